//! Styled text to a terminal: ANSI colours when wanted, plain text otherwise.

use crate::session::{Doc, Style};
use anstyle::{AnsiColor, Effects};

/// Renders a document, with colours if `color` is set.
pub fn paint(doc: &Doc, color: bool) -> String {
    if !color {
        return doc.plain_text();
    }
    let mut out = String::new();
    for line in &doc.0 {
        let mut text = String::new();
        for span in &line.0 {
            let style = ansi(span.style);
            text.push_str(&format!("{style}{}{style:#}", span.text));
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

fn ansi(style: Style) -> anstyle::Style {
    match style {
        Style::Plain => anstyle::Style::new(),
        Style::Heading => anstyle::Style::new().effects(Effects::BOLD),
        Style::Good => AnsiColor::Green.on_default(),
        Style::Warn => AnsiColor::Yellow.on_default(),
        Style::Bad => AnsiColor::Red.on_default().effects(Effects::BOLD),
        Style::Dim => anstyle::Style::new().effects(Effects::DIMMED),
    }
}

/// Whether to colour output: only on a terminal, never under `NO_COLOR` or `TERM=dumb`.
pub fn want_color(is_terminal: bool) -> bool {
    is_terminal
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var("TERM").map_or(true, |t| t != "dumb")
}
