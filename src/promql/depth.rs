//! A bound on how deeply a query nests, checked on the text before parsing.
//!
//! The parser, the syntax tree's drop and the evaluator all recurse once per level, so a query of 55,000
//! unary minuses or a 15,000-term sum would overflow the stack. [`check`] scans the text once (no recursion)
//! and over-estimates the depth of the tree the parser would build: every level of brackets adds one, and
//! every operator adds one to the level it appears in (a chain `a + b + c` nests to the left).

use super::error::{QueryError, QueryErrorKind};

/// Deepest nesting a query may have.
pub const MAX_DEPTH: usize = 256;

/// Fails with [`QueryErrorKind::TooDeep`] when `text` may nest deeper than [`MAX_DEPTH`].
pub fn check(text: &str) -> Result<(), QueryError> {
    if estimate(text) > MAX_DEPTH {
        return Err(QueryError::new(QueryErrorKind::TooDeep { limit: MAX_DEPTH }));
    }
    Ok(())
}

/// An upper bound on the syntax tree's depth.
pub fn estimate(text: &str) -> usize {
    // Operators seen so far in each open bracket level; the depth is the sum plus the levels.
    let mut levels: Vec<usize> = vec![0];
    let mut total = 0usize;
    let mut deepest = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' | '`' => skip_string(&mut chars, c),
            '#' => {
                // A comment runs to the end of the line.
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
            }
            '(' | '[' | '{' => levels.push(0),
            ')' | ']' | '}' if levels.len() > 1 => total -= levels.pop().unwrap_or(0),
            '+' | '-' | '*' | '/' | '%' | '^' | '<' | '>' | '@' => {
                // `<=`, `>=` and `!=` count once: the `=` that follows is not an operator of its own.
                add_operator(&mut levels, &mut total);
                if chars.peek() == Some(&'=') {
                    chars.next();
                }
            }
            '=' | '!' if chars.peek() == Some(&'=') => {
                chars.next();
                add_operator(&mut levels, &mut total);
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut word = String::from(c);
                while let Some(&n) = chars.peek() {
                    if !(n.is_alphanumeric() || n == '_' || n == ':') {
                        break;
                    }
                    word.push(n);
                    chars.next();
                }
                if matches!(word.as_str(), "and" | "or" | "unless" | "atan2" | "offset") {
                    add_operator(&mut levels, &mut total);
                }
            }
            _ => {}
        }
        deepest = deepest.max(total + levels.len());
    }
    deepest
}

fn add_operator(levels: &mut [usize], total: &mut usize) {
    if let Some(last) = levels.last_mut() {
        *last += 1;
    }
    *total += 1;
}

fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, quote: char) {
    while let Some(c) = chars.next() {
        if c == '\\' && quote != '`' {
            chars.next();
        } else if c == quote {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_DEPTH, estimate};

    #[test]
    fn everyday_queries_are_shallow() {
        assert!(estimate("sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m])) > 0.05") < 10);
        assert!(estimate("a{x=\"((((((((\"}") < 5, "brackets inside strings do not count");
    }

    #[test]
    fn chains_and_nesting_count() {
        assert!(estimate(&"-".repeat(1000)) >= 1000);
        assert!(estimate(&"abs(".repeat(300)) >= 300);
        assert!(estimate(&vec!["x"; 500].join(" + ")) >= 499);
        assert!(estimate(&vec!["x"; 500].join(" or ")) >= 499);
        assert!(estimate(&vec!["x"; MAX_DEPTH / 2].join(" + ")) <= MAX_DEPTH);
    }
}
