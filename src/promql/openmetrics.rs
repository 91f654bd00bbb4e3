//! OpenMetrics text with timestamps: reading it into a [`MemStorage`] and writing series out, so the same
//! data can be queried by wom and loaded into a real Prometheus (`promtool tsdb create-blocks-from
//! openmetrics`). Series with gaps, stale points and irregular timestamps load as they are.

use super::storage::MemStorage;
use super::value::{Labels, METRIC_NAME, escape, is_stale};
use std::fmt::Write as _;

/// Why a line of OpenMetrics text was refused.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// What was expected.
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Reads OpenMetrics (or Prometheus text format) samples; a sample without a timestamp is at time 0.
pub fn parse(text: &str) -> Result<MemStorage, ParseError> {
    let mut store = MemStorage::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            if line.trim() == "# EOF" {
                break;
            }
            continue;
        }
        let err = |message: String| ParseError { line: i + 1, message };
        let (labels, rest) = parse_series(line).map_err(err)?;
        let mut fields = rest.split_whitespace();
        let value = fields.next().ok_or_else(|| err("expected a value after the series".into()))?;
        let value = parse_float(value).ok_or_else(|| err(format!("expected a number, found `{value}`")))?;
        let t = match fields.next() {
            None => 0,
            Some(ts) => {
                let secs = parse_float(ts)
                    .filter(|s| s.is_finite())
                    .ok_or_else(|| err(format!("expected a timestamp in seconds, found `{ts}`")))?;
                (secs * 1000.0).round() as i64
            }
        };
        store.add(&labels, t, value);
    }
    Ok(store)
}

fn parse_float(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" | "inf" | "+inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        "NaN" | "nan" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

/// `name{a="x",b="y"} rest` into labels and the rest of the line.
fn parse_series(line: &str) -> Result<(Labels, &str), String> {
    let name_end = line.find(['{', ' ', '\t']).unwrap_or(line.len());
    let name = &line[..name_end];
    if name.is_empty() {
        return Err("expected a metric name".into());
    }
    let mut pairs: Vec<(String, String)> = vec![(METRIC_NAME.into(), name.into())];
    let mut rest = &line[name_end..];
    if let Some(body) = rest.strip_prefix('{') {
        let mut chars = body.char_indices().peekable();
        loop {
            // Skip separators.
            while let Some(&(_, c)) = chars.peek() {
                if c == ',' || c == ' ' {
                    chars.next();
                } else {
                    break;
                }
            }
            let Some(&(start, c)) = chars.peek() else { return Err("unclosed `{`".into()) };
            if c == '}' {
                rest = &body[start + 1..];
                break;
            }
            let eq = body[start..].find('=').ok_or("expected `label=\"value\"`")? + start;
            let label = body[start..eq].trim().to_string();
            while chars.peek().is_some_and(|&(i, _)| i <= eq) {
                chars.next();
            }
            if chars.next().map(|(_, c)| c) != Some('"') {
                return Err(format!("expected a quoted value for label `{label}`"));
            }
            let mut value = String::new();
            loop {
                match chars.next() {
                    None => return Err("unclosed label value".into()),
                    Some((_, '"')) => break,
                    Some((_, '\\')) => match chars.next() {
                        Some((_, 'n')) => value.push('\n'),
                        Some((_, c)) => value.push(c),
                        None => return Err("unclosed label value".into()),
                    },
                    Some((_, c)) => value.push(c),
                }
            }
            pairs.push((label, value));
        }
    }
    Ok((Labels::new(pairs), rest))
}

/// Writes series as OpenMetrics text: one `gauge` family per metric name, samples in time order with
/// timestamps in seconds, stale points left out, `# EOF` at the end.
pub fn write<'a>(series: impl IntoIterator<Item = (&'a Labels, &'a [(i64, f64)])>) -> String {
    type Family<'s> = Vec<(&'s Labels, &'s [(i64, f64)])>;
    let mut by_name: std::collections::BTreeMap<&str, Family> = Default::default();
    for (labels, samples) in series {
        by_name.entry(labels.name()).or_default().push((labels, samples));
    }
    let mut out = String::new();
    for (name, members) in by_name {
        let _ = writeln!(out, "# TYPE {name} gauge");
        for (labels, samples) in members {
            let series = series_text(labels);
            for &(t, v) in samples.iter().filter(|(_, v)| !is_stale(*v)) {
                let _ = writeln!(out, "{series} {} {}", super::go_float(v), seconds(t));
            }
        }
    }
    out.push_str("# EOF\n");
    out
}

/// `name{a="x",b="y"}`.
fn series_text(labels: &Labels) -> String {
    let rest: Vec<String> = labels
        .pairs()
        .iter()
        .filter(|(n, _)| &**n != METRIC_NAME)
        .map(|(n, v)| format!("{n}=\"{}\"", escape(v)))
        .collect();
    if rest.is_empty() { labels.name().to_string() } else { format!("{}{{{}}}", labels.name(), rest.join(",")) }
}

/// Milliseconds as seconds with at most three decimals, as Prometheus prints times.
pub fn seconds(t: i64) -> String {
    let (s, ms) = (t.div_euclid(1000), t.rem_euclid(1000));
    if ms == 0 { s.to_string() } else { format!("{s}.{ms:03}").trim_end_matches('0').to_string() }
}

#[cfg(test)]
mod tests {
    use super::{parse, seconds, write};
    use crate::promql::Storage;

    #[test]
    fn round_trips_series_with_gaps_and_escapes() {
        let text = "# TYPE up gauge\nup{job=\"a\\\"b\",instance=\"x\"} 1 100\nup{job=\"a\\\"b\",instance=\"x\"} 0 160.5\nreq_total 3 50\n# EOF\n";
        let store = parse(text).expect("parses");
        assert_eq!(store.len(), 2);
        let series: Vec<_> = store.series().collect();
        assert_eq!(series[0].1, &[(100_000, 1.0), (160_500, 0.0)]);
        let again = write(store.series());
        assert_eq!(
            again,
            "# TYPE req_total gauge\nreq_total 3 50\n# TYPE up gauge\nup{instance=\"x\",job=\"a\\\"b\"} 1 100\nup{instance=\"x\",job=\"a\\\"b\"} 0 160.5\n# EOF\n"
        );
    }

    #[test]
    fn bad_lines_say_where() {
        assert_eq!(
            parse("up 1\nup{a=1} 2\n").unwrap_err().to_string(),
            "line 2: expected a quoted value for label `a`"
        );
        assert_eq!(seconds(-1500), "-2.5");
    }
}
