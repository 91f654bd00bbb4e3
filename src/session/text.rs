//! Styled text that commands return and front ends render: plain for files and pipes, coloured for terminals.

use serde::{Deserialize, Serialize};

/// How a span should look; front ends map styles to colours or to nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Style {
    /// Ordinary text.
    Plain,
    /// A heading or label.
    Heading,
    /// Healthy, done, good news.
    Good,
    /// Degraded, attention.
    Warn,
    /// Down, firing, failed.
    Bad,
    /// Secondary detail.
    Dim,
}

/// A run of text in one style.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Span {
    /// Style.
    pub style: Style,
    /// Text.
    pub text: String,
}

/// One line of spans.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Line(pub Vec<Span>);

/// A block of lines.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Doc(pub Vec<Line>);

impl Line {
    /// A line of plain text.
    pub fn plain(text: impl Into<String>) -> Line {
        Line(vec![Span { style: Style::Plain, text: text.into() }])
    }

    /// A line in one style.
    pub fn styled(style: Style, text: impl Into<String>) -> Line {
        Line(vec![Span { style, text: text.into() }])
    }

    /// Appends a span.
    pub fn push(mut self, style: Style, text: impl Into<String>) -> Line {
        self.0.push(Span { style, text: text.into() });
        self
    }

    /// The text without styles.
    pub fn plain_text(&self) -> String {
        self.0.iter().map(|s| s.text.as_str()).collect()
    }
}

impl Doc {
    /// An empty document.
    pub fn new() -> Doc {
        Doc(Vec::new())
    }

    /// A one-line document.
    pub fn line(line: Line) -> Doc {
        Doc(vec![line])
    }

    /// Appends a line.
    pub fn push(&mut self, line: Line) {
        self.0.push(line);
    }

    /// Appends a plain line.
    pub fn plain(&mut self, text: impl Into<String>) {
        self.0.push(Line::plain(text));
    }

    /// Appends every line of another document.
    pub fn extend(&mut self, other: Doc) {
        self.0.extend(other.0);
    }

    /// The text without styles, one line per line, each ending in a newline.
    pub fn plain_text(&self) -> String {
        let mut out = String::new();
        for line in &self.0 {
            out.push_str(line.plain_text().trim_end());
            out.push('\n');
        }
        out
    }

    /// Whether it has no lines.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Left-aligned table columns padded to the widest cell; the last column is not padded.
pub fn table(rows: Vec<Vec<(Style, String)>>) -> Doc {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().filter_map(|r| r.get(c)).map(|(_, t)| t.chars().count()).max().unwrap_or(0))
        .collect();
    let mut doc = Doc::new();
    for row in rows {
        let last = row.len().saturating_sub(1);
        let mut line = Line(Vec::new());
        for (c, (style, text)) in row.into_iter().enumerate() {
            let pad = if c == last { 0 } else { widths[c] - text.chars().count() + 2 };
            line.0.push(Span { style, text });
            if pad > 0 {
                line.0.push(Span { style: Style::Plain, text: " ".repeat(pad) });
            }
        }
        doc.push(line);
    }
    doc
}

/// A document of plain lines from multi-line text (clap's help, for instance).
pub fn text_doc(text: &str) -> Doc {
    let mut doc = Doc::new();
    for line in text.trim_end().lines() {
        doc.plain(line);
    }
    doc
}

/// The 5 Ws, in the order the debrief asks them.
pub const FIVE_WS: [&str; 5] = ["what", "where", "why", "when", "who"];

/// Each of the 5 Ws as the debrief and `resolve` ask it.
pub const FIVE_W_QUESTIONS: [(&str, &str); 5] = [
    ("what", "What was the system trying to do?"),
    ("where", "Where did it fail?"),
    ("why", "Why did it fail?"),
    ("when", "When did it start?"),
    ("who", "Who was affected?"),
];

/// What a terminal says before asking for the `n` Ws not recorded yet at `resolve`.
pub fn five_ws_preamble(n: usize) -> String {
    format!(
        "Before resolving: {n} of the 5 Ws not recorded yet. Answer each for the debrief, or press Enter to skip it."
    )
}

/// "1 alert", "3 alerts".
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// Seconds from the page as `T+2m30s` or `T-25m`.
pub fn offset_label(t: i64) -> String {
    let d = crate::scenario::SimDuration(t);
    if t < 0 { format!("T{d}") } else { format!("T+{d}") }
}

/// Wall-clock `HH:MM:SS` of time `t` given the page's seconds after midnight.
pub fn clock_label(page_time_of_day: i64, t: i64) -> String {
    let s = (page_time_of_day + t).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// Like [`clock_label`], but says which day when it is not the day of the page: `yesterday 21:59:00`.
pub fn day_clock_label(page_time_of_day: i64, t: i64) -> String {
    let clock = clock_label(page_time_of_day, t);
    match (page_time_of_day + t).div_euclid(86_400) {
        0 => clock,
        -1 => format!("yesterday {clock}"),
        1 => format!("next day {clock}"),
        d if d < 0 => format!("{} days before {clock}", -d),
        d => format!("{d} days later {clock}"),
    }
}

/// A sparkline of `values` squeezed into at most `width` columns (bucket means).
pub fn sparkline(values: &[f64], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if values.is_empty() || width == 0 {
        return String::new();
    }
    let buckets = values.len().min(width);
    let means: Vec<f64> = (0..buckets)
        .map(|b| {
            let lo = b * values.len() / buckets;
            let hi = ((b + 1) * values.len() / buckets).max(lo + 1);
            values[lo..hi].iter().sum::<f64>() / (hi - lo) as f64
        })
        .collect();
    // Scaled from zero, like a dashboard panel: noise on a large value stays small, a drop to zero stands out.
    let min = means.iter().copied().fold(0.0, f64::min);
    let max = means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    means
        .iter()
        .map(|v| {
            if max - min <= f64::from(f32::EPSILON) * max.abs().max(1.0) {
                BARS[0]
            } else {
                BARS[(((v - min) / (max - min)) * 7.0).round() as usize]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_between_min_and_max() {
        assert_eq!(sparkline(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], 8), "▁▂▃▄▅▆▇█");
        assert_eq!(sparkline(&[5.0, 5.0], 10), "██", "a flat non-zero series is full height, not empty");
        assert_eq!(sparkline(&[0.0, 0.0], 10), "▁▁");
        assert_eq!(sparkline(&[100.0, 98.0, 100.0], 3), "███", "small noise on a large value stays small");
        assert_eq!(sparkline(&[0.0, 0.0, 10.0, 10.0], 2), "▁█");
    }

    #[test]
    fn labels() {
        assert_eq!(clock_label(14 * 3600 + 5 * 60, -25 * 60), "13:40:00");
        assert_eq!(offset_label(150), "T+2m30s");
        assert_eq!(offset_label(-1500), "T-25m");
        assert_eq!(count(1, "alert"), "1 alert");
        assert_eq!(day_clock_label(14 * 3600, -16 * 3600 - 60), "yesterday 21:59:00");
        assert_eq!(day_clock_label(14 * 3600, 60), "14:01:00");
        assert_eq!(day_clock_label(23 * 3600, 3600), "next day 00:00:00");
    }

    #[test]
    fn table_pads_all_but_the_last_column() {
        let doc = table(vec![
            vec![(Style::Plain, "a".into()), (Style::Plain, "bb".into())],
            vec![(Style::Plain, "ccc".into()), (Style::Plain, "d".into())],
        ]);
        assert_eq!(doc.plain_text(), "a    bb\nccc  d\n");
    }
}
