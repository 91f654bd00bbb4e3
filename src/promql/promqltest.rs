//! A runner for Prometheus's PromQL test language (`load`, `clear`, `eval instant at`, `eval range from … to
//! … step`, `expect fail`, `expect ordered`), so semantics cases are one line each and wom can be measured
//! against Prometheus's own test files.
//!
//! Native histograms are not modelled: a case is skipped (not failed) when its data or its expected result
//! holds a `{{…}}` histogram, so the report counts float-sample cases only.

use super::storage::MemStorage;
use super::value::{Labels, QueryValue, stale_nan};
use super::{QueryOptions, instant_query_with, range_query_with};
use promql_parser::parser::Expr;

/// What a test file's cases came to.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Cases that agreed.
    pub passed: usize,
    /// Cases that disagreed, each with its line number, query and what went wrong.
    pub failed: Vec<String>,
    /// Cases not run: native histograms or forms the runner does not read.
    pub skipped: usize,
}

impl Report {
    /// Cases run.
    pub fn total(&self) -> usize {
        self.passed + self.failed.len()
    }
}

/// Expected values of one series; `None` is a missing point.
type Expected = Vec<ExpectedSeries>;

/// One expected series.
type ExpectedSeries = (Labels, Vec<Option<f64>>);

struct Case {
    line: usize,
    expr: String,
    /// `(start, end, step)` in milliseconds; an instant query has `start == end`.
    range: Option<(i64, i64, i64)>,
    at: i64,
    fail: bool,
    ordered: bool,
    skip: bool,
    scalar: Option<f64>,
    string: Option<String>,
    expected: Expected,
}

/// Runs every case of a test file.
pub fn run(text: &str) -> Report {
    let mut report = Report::default();
    let mut store = MemStorage::new();
    // Names of series loaded with native histograms: cases that read them are skipped.
    let mut histograms: Vec<String> = Vec::new();
    let mut nhcb = false;
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        i += 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let body = block(&lines, &mut i);
        if line == "clear" {
            store = MemStorage::new();
            histograms.clear();
            nhcb = false;
        } else if let Some(rest) = line.strip_prefix("load") {
            // Classic histograms loaded as native ones too: their cases read native histograms.
            nhcb |= rest.starts_with("_with_nhcb");
            let interval = rest.split_whitespace().last().and_then(parse_duration).unwrap_or(60_000);
            // A `name{…}@st offsets` line gives the start timestamps of the sample line after it, which
            // must be the same series.
            let mut starts: Option<(usize, Option<Labels>, Vec<Option<i64>>)> = None;
            for &(n, l) in &body {
                if let Some((series, offsets)) = start_line(l) {
                    if let Some((at, ..)) = starts.take() {
                        report.failed.push(format!("line {at}: start timestamps with no sample line after them"));
                    }
                    match offsets {
                        Some(offsets) => starts = Some((n, parse_labels(series), offsets)),
                        None => report.failed.push(format!("line {n}: cannot load `{l}`: bad start timestamps")),
                    }
                    continue;
                }
                let starts = match starts.take() {
                    Some((at, series, _)) if series != split_series(l).and_then(|(s, _)| parse_labels(s)) => {
                        report.failed.push(format!("line {at}: start timestamps of another series than line {n}'s"));
                        None
                    }
                    starts => starts.map(|(.., offsets)| offsets),
                };
                if l.contains("{{") {
                    let name = l.split(['{', ' ', '\t']).next().unwrap_or("").to_string();
                    if !name.is_empty() && !histograms.contains(&name) {
                        histograms.push(name);
                    }
                }
                if let Err(e) = load_series(&mut store, l, interval, starts.as_deref()) {
                    report.failed.push(format!("line {n}: cannot load `{l}`: {e}"));
                }
            }
            if let Some((at, ..)) = starts {
                report.failed.push(format!("line {at}: start timestamps with no sample line after them"));
            }
        } else if line.starts_with("eval") {
            match parse_case(line, &body, i) {
                Some(case) if !case.skip && !nhcb && !histograms.iter().any(|h| case.expr.contains(h.as_str())) => {
                    match check(&store, &case) {
                        Ok(()) => report.passed += 1,
                        Err(e) => {
                            let e: String = e.chars().take(300).collect();
                            report.failed.push(format!("line {}: {}: {e}", case.line, case.expr))
                        }
                    }
                }
                _ => report.skipped += 1,
            }
        }
    }
    report
}

/// The indented lines after a command, with their line numbers.
fn block<'a>(lines: &[&'a str], i: &mut usize) -> Vec<(usize, &'a str)> {
    let mut out = Vec::new();
    while *i < lines.len() {
        let l = lines[*i];
        let t = l.trim();
        if t.is_empty() || !(l.starts_with(' ') || l.starts_with('\t')) {
            if t.starts_with('#') {
                *i += 1;
                continue;
            }
            break;
        }
        if !t.starts_with('#') {
            out.push((*i + 1, t));
        }
        *i += 1;
    }
    out
}

fn parse_case(line: &str, body: &[(usize, &str)], line_no: usize) -> Option<Case> {
    let (command, rest) = line.split_once(' ')?;
    let mut case = Case {
        line: line_no,
        expr: String::new(),
        range: None,
        at: 0,
        fail: command == "eval_fail",
        ordered: command == "eval_ordered",
        skip: false,
        scalar: None,
        string: None,
        expected: Vec::new(),
    };
    let words: Vec<&str> = rest.split_whitespace().collect();
    let consumed;
    match words.first().copied() {
        Some("instant") if words.get(1) == Some(&"at") => {
            case.at = parse_duration(words.get(2)?)?;
            consumed = 3;
        }
        Some("range")
            if words.get(1) == Some(&"from") && words.get(3) == Some(&"to") && words.get(5) == Some(&"step") =>
        {
            let (s, e, st) = (parse_duration(words[2])?, parse_duration(words[4])?, parse_duration(words.get(6)?)?);
            case.range = Some((s, e, st));
            consumed = 7;
        }
        _ => return None,
    }
    // The expression is the rest of the line after the consumed words.
    let mut rest = rest;
    for w in &words[..consumed] {
        rest = rest.trim_start().strip_prefix(w)?;
    }
    case.expr = rest.trim().to_string();
    for &(_, l) in body {
        if let Some(e) = l.strip_prefix("expect ") {
            let kind = e.split([' ', ':']).next().unwrap_or("");
            match kind {
                "fail" => case.fail = true,
                "ordered" => case.ordered = true,
                "string" => case.string = Some(unquote(e["string".len()..].trim())),
                "warn" | "info" | "no_warn" | "no_info" => {}
                _ => case.skip = true,
            }
            continue;
        }
        if l.contains("{{") {
            case.skip = true;
            continue;
        }
        match parse_expected(l) {
            Some(Ok(series)) => case.expected.push(series),
            Some(Err(v)) => case.scalar = Some(v),
            None => case.skip = true,
        }
    }
    Some(case)
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    match s.chars().next() {
        Some('"') | Some('`') | Some('\'') if s.len() >= 2 => {
            let inner = &s[1..s.len() - 1];
            if s.starts_with('`') { inner.to_string() } else { inner.replace("\\\"", "\"").replace("\\\\", "\\") }
        }
        _ => s.to_string(),
    }
}

/// An expected line: a series with values, or a bare scalar (`Err`).
fn parse_expected(l: &str) -> Option<Result<ExpectedSeries, f64>> {
    if let Some(v) = parse_value(l.trim()) {
        return Some(Err(v));
    }
    let (labels, values) = split_series(l)?;
    let labels = parse_labels(labels)?;
    let mut out = Vec::new();
    for token in values.split_whitespace() {
        out.extend(expand(token)?.into_iter().map(|p| match p {
            Point::Value(v) => Some(v),
            Point::Missing | Point::Stale => None,
        }));
    }
    Some(Ok((labels, out)))
}

/// Splits `name{a="b c"} 1 2` into the series part and the values, minding quotes.
fn split_series(l: &str) -> Option<(&str, &str)> {
    let l = l.trim();
    let mut quote = None;
    let mut escaped = false;
    for (i, c) in l.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' | '`' => quote = Some(c),
            '}' => return Some((&l[..=i], &l[i + 1..])),
            c if c.is_whitespace() && !l[..i].contains('{') => {
                // A bare metric name, unless a brace follows.
                let rest = l[i..].trim_start();
                if !rest.starts_with('{') {
                    return Some((&l[..i], &l[i..]));
                }
            }
            _ => {}
        }
    }
    if l.contains('{') { None } else { Some((l, "")) }
}

fn parse_labels(series: &str) -> Option<Labels> {
    let series = series.trim();
    if series == "{}" {
        return Some(Labels::default());
    }
    let expr = promql_parser::parser::parse(series).ok()?;
    let Expr::VectorSelector(vs) = expr else { return None };
    let mut pairs: Vec<(String, String)> = Vec::new();
    if let Some(name) = vs.name {
        pairs.push(("__name__".into(), name));
    }
    for m in vs.matchers.matchers {
        pairs.push((m.name, m.value));
    }
    Some(Labels::new(pairs))
}

enum Point {
    Value(f64),
    Missing,
    Stale,
}

fn parse_value(s: &str) -> Option<f64> {
    match s {
        "Inf" | "+Inf" | "inf" | "+inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        "NaN" | "nan" => Some(f64::NAN),
        _ => {
            if s.chars().any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E') {
                return None;
            }
            s.parse().ok()
        }
    }
}

/// Expands one token of the series notation: `1`, `_`, `stale`, `a+bxN`, `a-bxN`, `axN`, `_xN`.
fn expand(token: &str) -> Option<Vec<Point>> {
    if let Some(v) = parse_value(token) {
        return Some(vec![Point::Value(v)]);
    }
    match token {
        "_" => return Some(vec![Point::Missing]),
        "stale" => return Some(vec![Point::Stale]),
        _ => {}
    }
    let (base, count) = token.rsplit_once('x')?;
    let n: usize = count.parse().ok()?;
    if base == "_" {
        return Some((0..n).map(|_| Point::Missing).collect());
    }
    if base == "stale" {
        return Some((0..n).map(|_| Point::Stale).collect());
    }
    // Find the operator between start and increment: a sign not at the start and not after an exponent.
    let bytes = base.as_bytes();
    let op_at = (1..bytes.len())
        .rev()
        .find(|&i| (bytes[i] == b'+' || bytes[i] == b'-') && !matches!(bytes[i - 1], b'e' | b'E'));
    let (start, step) = match op_at {
        Some(i) => {
            let start = parse_value(&base[..i])?;
            let step = parse_value(&base[i + 1..])?;
            (start, if bytes[i] == b'-' { -step } else { step })
        }
        None => (parse_value(base)?, 0.0),
    };
    let mut out = Vec::with_capacity(n + 1);
    let mut v = start;
    for _ in 0..=n {
        out.push(Point::Value(v));
        v += step;
    }
    Some(out)
}

/// Loads one series line; `starts` are the offsets of its samples' start timestamps from their times
/// (`None` where a sample has none), from the `@st` line before it.
fn load_series(
    store: &mut MemStorage,
    line: &str,
    interval: i64,
    starts: Option<&[Option<i64>]>,
) -> Result<(), String> {
    if line.contains("{{") {
        return Ok(());
    }
    let (series, values) = split_series(line).ok_or("no series")?;
    let labels = parse_labels(series).ok_or("bad series")?;
    let mut t = 0;
    let mut k = 0;
    for token in values.split_whitespace() {
        for p in expand(token).ok_or_else(|| format!("bad value `{token}`"))? {
            let v = match p {
                Point::Value(v) => Some(v),
                Point::Stale => Some(stale_nan()),
                Point::Missing => None,
            };
            match (v, starts.and_then(|s| s.get(k).copied().flatten())) {
                (Some(v), Some(offset)) => store.add_with_start(&labels, t, v, t + offset),
                (Some(v), None) => store.add(&labels, t, v),
                (None, _) => {}
            }
            t += interval;
            k += 1;
        }
    }
    if starts.is_some_and(|s| s.len() != k) {
        return Err(format!("{k} values but {} start timestamps", starts.map_or(0, <[_]>::len)));
    }
    Ok(())
}

/// A start-timestamp line, `name{…}@st <offsets>`: its series and `Some` of its offsets in milliseconds
/// (`None` where omitted), or `None` if they do not read; `None` for any other line.
fn start_line(line: &str) -> Option<(&str, Option<Vec<Option<i64>>>)> {
    let (series, offsets) = line.trim().split_once([' ', '\t'])?;
    let series = series.strip_suffix("@st")?;
    let mut out = Vec::new();
    for item in offsets.split_whitespace() {
        match start_item(item) {
            Some(items) => out.extend(items),
            None => return Some((series, None)),
        }
    }
    Some((series, Some(out)))
}

/// One item of an `@st` line, as Prometheus's test loader reads it: `_`, `_xN` (N omitted), `<dur>`,
/// `<dur>xN` (N+1 equal), `<dur>+<dur>xN` or `<dur>-<dur>xN` (N+1 stepping); durations may be signed.
fn start_item(item: &str) -> Option<Vec<Option<i64>>> {
    if item == "_" {
        return Some(vec![None]);
    }
    if let Some(n) = item.strip_prefix("_x") {
        let n: usize = n.parse().ok().filter(|&n| n > 0)?;
        return Some(vec![None; n]);
    }
    let (base, rest) = signed_duration_prefix(item)?;
    if rest.is_empty() {
        return Some(vec![Some(base)]);
    }
    let (step, rest) = match rest.as_bytes()[0] {
        b'x' => (0, rest),
        b'+' => signed_duration_prefix(&rest[1..])?,
        b'-' => signed_duration_prefix(&rest[1..]).map(|(d, r)| (-d, r))?,
        _ => return None,
    };
    let n: usize = rest.strip_prefix('x')?.parse().ok()?;
    Some((0..=n as i64).map(|k| Some(base + k * step)).collect())
}

/// A duration with an optional sign at the start of `s` (its unit stops before an `x`), and the rest.
fn signed_duration_prefix(s: &str) -> Option<(i64, &str)> {
    let (negative, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let unit = body[digits..].bytes().take_while(|b| b.is_ascii_alphabetic() && *b != b'x').count();
    let text = &body[..digits + unit];
    // A bare number is only a duration when it is 0, as Prometheus's `model.ParseDuration` reads it.
    let ms = if unit == 0 { (text.parse::<i64>().ok()? == 0).then_some(0)? } else { parse_duration(text)? };
    Some((if negative { -ms } else { ms }, &body[digits + unit..]))
}

/// A duration such as `5m`, `1h30m`, `100ms` or `0`, in milliseconds; a leading `-` negates it.
pub fn parse_duration(s: &str) -> Option<i64> {
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if s == "0" {
        return Some(0);
    }
    if let Ok(secs) = s.parse::<i64>() {
        return Some(if negative { -secs * 1000 } else { secs * 1000 });
    }
    let mut total = 0i64;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        let n: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.chars().take_while(|c| c.is_ascii_alphabetic()).count();
        let unit = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 7 * 86_400_000,
            "y" => 365 * 86_400_000,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        rest = &rest[unit_len..];
    }
    Some(if negative { -total } else { total })
}

/// The options of Prometheus's test engine (`promqltest.NewTestEngine`), which its test files assume.
const PROMETHEUS_TEST_ENGINE: QueryOptions = QueryOptions { delayed_name_removal: true };

fn check(store: &MemStorage, case: &Case) -> Result<(), String> {
    let result = match case.range {
        Some((s, e, st)) => range_query_with(store, &case.expr, s, e, st, PROMETHEUS_TEST_ENGINE),
        None => instant_query_with(store, &case.expr, case.at, PROMETHEUS_TEST_ENGINE),
    };
    let answer = match (result, case.fail) {
        (Err(_), true) => return Ok(()),
        (Ok(_), true) => return Err("expected an error, got a result".into()),
        (Err(e), false) => return Err(format!("error: {e}")),
        (Ok(a), false) => a,
    };
    match answer.value {
        QueryValue::Scalar(v) => match case.scalar {
            Some(exp) if close(exp, v) => Ok(()),
            exp => Err(format!("expected {exp:?}, got scalar {v}")),
        },
        QueryValue::String(s) => match &case.string {
            Some(exp) if *exp == s => Ok(()),
            exp => Err(format!("expected {exp:?}, got string {s:?}")),
        },
        QueryValue::Vector(samples) => {
            let got: Vec<(Labels, Vec<Option<f64>>)> =
                samples.into_iter().map(|s| (Labels::new(s.labels), vec![Some(s.value)])).collect();
            compare(&case.expected, &got, case.ordered)
        }
        QueryValue::Matrix(series) => {
            let Some((start, end, step)) = case.range else {
                return Err("range vector results are not compared".into());
            };
            let steps = ((end - start) / step + 1) as usize;
            let got: Vec<(Labels, Vec<Option<f64>>)> = series
                .into_iter()
                .map(|s| {
                    let mut values = vec![None; steps];
                    for (t, v) in s.points {
                        values[((t - start) / step) as usize] = Some(v);
                    }
                    (Labels::new(s.labels), values)
                })
                .collect();
            let mut expected = case.expected.clone();
            if expected.is_empty()
                && let Some(v) = case.scalar
            {
                expected.push((Labels::default(), vec![Some(v); steps]));
            }
            for (_, values) in &mut expected {
                values.resize(steps, None);
            }
            compare(&expected, &got, false)
        }
    }
}

fn compare(expected: &Expected, got: &Expected, ordered: bool) -> Result<(), String> {
    if expected.len() != got.len() {
        return Err(format!("expected {} series, got {}: {}", expected.len(), got.len(), show(got)));
    }
    for (k, (labels, values)) in expected.iter().enumerate() {
        let found = if ordered { got.get(k).filter(|g| &g.0 == labels) } else { got.iter().find(|g| &g.0 == labels) };
        let Some((_, got_values)) = found else {
            return Err(format!("no series {labels} in {}", show(got)));
        };
        let same = values.len() == got_values.len()
            && values.iter().zip(got_values).all(|(a, b)| match (a, b) {
                (Some(a), Some(b)) => close(*a, *b),
                (None, None) => true,
                _ => false,
            });
        if !same {
            return Err(format!("{labels}: expected {values:?}, got {got_values:?}"));
        }
    }
    Ok(())
}

fn show(got: &Expected) -> String {
    let items: Vec<String> = got.iter().take(5).map(|(l, v)| format!("{l} {v:?}")).collect();
    items.join("; ")
}

/// Prometheus's test comparison: equal, both NaN, or within a relative error of 1e-6.
fn close(a: f64, b: f64) -> bool {
    if a.is_nan() && b.is_nan() {
        return true;
    }
    if a == b {
        return true;
    }
    let diff = (a - b).abs();
    if a == 0.0 || b == 0.0 || diff < f64::MIN_POSITIVE {
        return diff < 1e-6 * f64::MIN_POSITIVE;
    }
    diff / (a.abs() + b.abs()).min(f64::MAX) < 1e-6
}

#[cfg(test)]
mod tests {
    use super::{parse_duration, run, start_item, start_line};

    #[test]
    fn start_timestamp_lines() {
        assert_eq!(start_item("-30s-1mx2"), Some(vec![Some(-30_000), Some(-90_000), Some(-150_000)]));
        assert_eq!(start_item("_x2"), Some(vec![None, None]));
        assert_eq!(start_item("+1m"), Some(vec![Some(60_000)]));
        assert_eq!(start_item("-0msx1"), Some(vec![Some(0), Some(0)]));
        assert_eq!(start_item("1ms+1sx1"), Some(vec![Some(1), Some(1001)]));
        assert_eq!(start_item("5"), None);
        assert_eq!(start_line("x{a=\"b\"}@st _ 0"), Some(("x{a=\"b\"}", Some(vec![None, Some(0)]))));
        assert_eq!(start_line("x{a=\"b\"} 1 2"), None);
        assert_eq!(start_line("x@st 1q"), Some(("x", None)));
        // The series after the start timestamps must be theirs, and have as many values.
        let report = run("load 1m\n  x@st 0 0\n  y 1 2\n  z@st 0\n  z 1 2\n  w@st 0\n");
        assert_eq!(report.failed.len(), 3, "{report:?}");
        assert!(report.failed[0].starts_with("line 2: start timestamps of another series"), "{report:?}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h30m"), Some(5_400_000));
        assert_eq!(parse_duration("0"), Some(0));
        assert_eq!(parse_duration("-10s"), Some(-10_000));
    }

    #[test]
    fn names_go_at_once_outside_the_test_engine() {
        use super::super::instant_query;
        use super::MemStorage;
        use crate::promql::{Labels, QueryValue};
        let mut store = MemStorage::new();
        for t in 0..=10 {
            store.add(&Labels::new([("__name__", "cpu_seconds_total"), ("host", "a")]), t * 60_000, 6.0 * t as f64);
        }
        store.add(&Labels::new([("__name__", "temp_celsius"), ("__type__", "gauge"), ("room", "1")]), 0, 20.0);
        store.add(&Labels::new([("__name__", "temp_celsius"), ("__type__", "gauge"), ("room", "2")]), 0, 25.0);
        store.add(&Labels::new([("__name__", "target_celsius"), ("room", "1")]), 0, 21.0);
        let labels = |query: &str, t: i64| match instant_query(&store, query, t).map(|a| a.value) {
            Ok(QueryValue::Vector(samples)) => samples.into_iter().map(|s| Labels::new(s.labels).to_string()).collect(),
            other => vec![format!("{other:?}")],
        };
        // Prometheus's default: rate drops the name before label_replace can read it.
        let replaced = r#"label_replace(rate(cpu_seconds_total[5m]), "m", "$1", "__name__", "(.*)")"#;
        assert_eq!(labels(replaced, 600_000), vec![r#"{host="a"}"#]);
        // `+ 0` drops `__type__` with the name, so the gauge of room 1 matches the target.
        assert_eq!(labels("(temp_celsius + 0) unless target_celsius", 0), vec![r#"{room="2"}"#]);
    }

    #[test]
    fn a_small_file_runs() {
        let report = run(
            "load 5m\n  x{a=\"b\"} 0+10x10\n\neval instant at 50m x\n  x{a=\"b\"} 100\n\neval instant at 50m x\n  x{a=\"b\"} 99\n",
        );
        assert_eq!(report.passed, 1, "{report:?}");
        assert_eq!(report.failed.len(), 1, "{report:?}");
    }
}
