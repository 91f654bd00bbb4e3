//! Limits on what a volunteer can type, and the one place typed text is made safe to show: a line is
//! bounded in length, free text in characters, and control characters are shown escaped, so no input can
//! stall the drill, bloat its debrief or drive the terminal that displays it.

use std::fmt::Write as _;

/// Longest command line, in bytes; longer lines are refused whole.
pub const MAX_LINE: usize = 8 * 1024;

/// Longest `note`, `update` or `diagnose` text, in characters.
pub const MAX_TEXT: usize = 2000;

/// Longest `declare` title or `role` name, in characters.
pub const MAX_TITLE: usize = 200;

/// The one-line refusal of a line of `len` bytes.
pub fn line_too_long(len: usize) -> String {
    format!("line too long ({len} bytes); a command line holds at most {MAX_LINE} bytes (8 KiB)")
}

/// Whether a character is shown escaped: C0 and C1 controls, DEL, and the bidirectional overrides that
/// reorder what a terminal or a Markdown viewer displays.
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with control characters shown as visible stand-ins: a C0 control as its Unicode control picture
/// (`␛` for ESC, `␇` for BEL), DEL as `␡`, anything else as `<U+202E>`; a tab becomes a space. The stand-ins
/// hold no backslash or quote, so a command line parses the same before and after.
pub fn escape_controls(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' => out.push(' '),
            c if (c as u32) < 0x20 => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('?')),
            '\u{7f}' => out.push('\u{2421}'),
            c if needs_escape(c) => {
                let _ = write!(out, "<U+{:04X}>", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters of `text`, with `…` when cut: for names echoed back in error messages.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_plain_text_is_kept() {
        assert_eq!(escape_controls("note caf\u{e9} ok"), "note caf\u{e9} ok");
        assert_eq!(escape_controls("a\u{1b}[31mred\u{7}"), "a\u{241b}[31mred\u{2407}");
        assert_eq!(escape_controls("x\ty\r\n\u{7f}"), "x y\u{240d}\u{240a}\u{2421}");
        assert_eq!(escape_controls("\u{202e}evil"), "<U+202E>evil");
        assert_eq!(escape_controls("\u{9b}2J"), "<U+009B>2J");
    }

    #[test]
    fn shorten_cuts_on_a_character_boundary() {
        assert_eq!(shorten("ééééé", 3), "ééé…");
        assert_eq!(shorten("abc", 3), "abc");
    }
}
