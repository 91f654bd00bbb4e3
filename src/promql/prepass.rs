//! A pass over the query text before `promql-parser` reads it, for the parts of Prometheus's experimental
//! syntax that the crate does not parse.
//!
//! - Duration expressions (`x[5m+1m]`, `x[1h:step()*2]`, `x offset (2*1m)`, `x offset -min_of(step(), 1s)`)
//!   are evaluated here, where the query's step and range are known, and written back as a plain duration
//!   (`360000ms`), as Prometheus's `durationVisitor` fills in a selector's range and offset before evaluation.
//! - The `anchored` and `smoothed` modifiers are removed from the text and handed to the evaluator on the
//!   selector they modify, as a matcher on a reserved label (`__wom_anchored__=""`). A matcher that asks a
//!   label to be empty selects the same series, so the selection is unchanged; [`ExtendedRange::of`] reads the
//!   mark back.
//!
//! - `info`'s second argument gets a matcher on a reserved label, [`INFO_MARK`], so that a label selector
//!   whose matchers all accept the empty value (`{data=~".*"}`) parses; `info` ignores it.
//!
//! - Byte escapes in string literals (`"\xc3\xa9"`) are read as Go reads them, as bytes of UTF-8, where
//!   the parser would read each as a character of its own.
//!
//! String literals (but for those byte escapes), comments and label matchers are copied untouched. Text the pass cannot read is left as
//! it was, so the parser reports the error where it is.

use super::error::QueryError;
use promql_parser::label::Matchers;

/// The reserved label that marks an `anchored` selector.
pub const ANCHORED_MARK: &str = "__wom_anchored__";

/// The reserved label that marks a `smoothed` selector.
pub const SMOOTHED_MARK: &str = "__wom_smoothed__";

/// The reserved label added to `info`'s label selector (`{data=~".*"}` may match the empty value, which
/// the parser refuses of a selector); `info` leaves it out.
pub const INFO_MARK: &str = "__wom_info__";

/// How a selector reads its range: Prometheus's experimental extended range selectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExtendedRange {
    /// `x[5m] anchored`: the window also takes the newest sample before its start (within the lookback).
    Anchored,
    /// `x[5m] smoothed` or `x smoothed`: values interpolated at the window's edges.
    Smoothed,
}

impl ExtendedRange {
    /// The modifier a selector's matchers carry, if any.
    pub fn of(matchers: &Matchers) -> Option<ExtendedRange> {
        matchers.matchers.iter().find_map(|m| match m.name.as_str() {
            ANCHORED_MARK => Some(ExtendedRange::Anchored),
            SMOOTHED_MARK => Some(ExtendedRange::Smoothed),
            _ => None,
        })
    }

    /// The modifier's keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            ExtendedRange::Anchored => "anchored",
            ExtendedRange::Smoothed => "smoothed",
        }
    }
}

/// Rewrites `text` for the parser: duration expressions evaluated with the query's `step_ms` and `range_ms`
/// (both 0 for an instant query), `anchored`/`smoothed` turned into marks on their selectors.
pub fn rewrite(text: &str, step_ms: i64, range_ms: i64) -> Result<String, QueryError> {
    let text = &byte_escapes(text)?;
    let mut pass = Prepass {
        src: text,
        b: text.as_bytes(),
        i: 0,
        out: String::with_capacity(text.len()),
        target: None,
        ends_expr: false,
        depth: 0,
        info_depths: Vec::new(),
        info_open: false,
        info_arg: false,
        env: DurationEnv { step: step_ms as f64 / 1000.0, range: range_ms as f64 / 1000.0 },
    };
    pass.run()?;
    Ok(pass.out)
}

/// Where a mark goes in the output: after a bare metric name, or before the `}` of a selector's matchers.
#[derive(Clone, Copy, Debug)]
enum Target {
    AfterName(usize),
    BeforeClose { at: usize, comma: bool },
}

/// The values `step()` and `range()` stand for, in seconds.
#[derive(Clone, Copy, Debug)]
struct DurationEnv {
    step: f64,
    range: f64,
}

struct Prepass<'a> {
    src: &'a str,
    b: &'a [u8],
    i: usize,
    out: String,
    /// The selector the next `anchored`/`smoothed` would modify.
    target: Option<Target>,
    /// Whether the last token ends an expression (so a keyword that follows is a modifier, not a name).
    ends_expr: bool,
    /// Open parentheses.
    depth: usize,
    /// The depths of the open `info(` calls' parentheses.
    info_depths: Vec<usize>,
    /// An `info` word was just read: the next `(` opens its arguments.
    info_open: bool,
    /// A comma of an `info` call was just read: the next `{` is its label selector.
    info_arg: bool,
    env: DurationEnv,
}

/// Words that never end an expression.
const KEYWORDS: &[&str] =
    &["and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "atan2", "offset"];

impl Prepass<'_> {
    fn run(&mut self) -> Result<(), QueryError> {
        while self.i < self.b.len() {
            let c = self.b[self.i];
            match c {
                b'"' | b'\'' | b'`' => {
                    let end = string_end(self.b, self.i);
                    self.copy_to(end);
                    self.target = None;
                    self.ends_expr = true;
                }
                b'#' => {
                    let end = self.src[self.i..].find('\n').map_or(self.b.len(), |n| self.i + n);
                    self.copy_to(end);
                }
                b'{' => self.matchers(),
                b'[' => self.brackets()?,
                c if c.is_ascii_alphabetic() || c == b'_' || c == b':' => self.word()?,
                c if c.is_ascii_digit() || c == b'.' => {
                    let end = word_end(self.b, self.i);
                    self.copy_to(end);
                    self.target = None;
                    self.ends_expr = true;
                }
                c if c.is_ascii_whitespace() => self.copy_to(self.i + 1),
                b'@' => self.at(),
                b'(' => {
                    self.depth += 1;
                    if std::mem::take(&mut self.info_open) {
                        self.info_depths.push(self.depth);
                    }
                    self.copy_to(self.i + 1);
                    self.target = None;
                    self.ends_expr = false;
                }
                b',' => {
                    self.info_arg = self.info_depths.last() == Some(&self.depth);
                    self.copy_to(self.i + 1);
                    self.target = None;
                    self.ends_expr = false;
                }
                b')' => {
                    if self.info_depths.last() == Some(&self.depth) {
                        self.info_depths.pop();
                    }
                    self.depth = self.depth.saturating_sub(1);
                    self.info_arg = false;
                    self.copy_to(self.i + 1);
                    self.target = None;
                    self.ends_expr = true;
                }
                _ => {
                    // Copy a whole character: the text is UTF-8.
                    let len = self.src[self.i..].chars().next().map_or(1, char::len_utf8);
                    self.copy_to(self.i + len);
                    self.target = None;
                    self.ends_expr = false;
                }
            }
        }
        Ok(())
    }

    fn copy_to(&mut self, end: usize) {
        self.out.push_str(&self.src[self.i..end]);
        self.i = end;
    }

    /// `{a="b", c=~"d"}`: copied as is; the place before `}` is where a mark would go.
    fn matchers(&mut self) {
        let start = self.i;
        let mut j = self.i + 1;
        while j < self.b.len() && self.b[j] != b'}' {
            j = if matches!(self.b[j], b'"' | b'\'' | b'`') { string_end(self.b, j) } else { j + 1 };
        }
        if j >= self.b.len() {
            self.copy_to(self.b.len());
            return;
        }
        let inner = self.src[start + 1..j].trim();
        let comma = !inner.is_empty() && !inner.ends_with(',');
        if std::mem::take(&mut self.info_arg) {
            self.copy_to(start + 1);
            self.out.push_str(&format!("{INFO_MARK}=\"1\"{}", if inner.is_empty() { "" } else { "," }));
        }
        self.copy_to(j);
        self.target = Some(Target::BeforeClose { at: self.out.len(), comma });
        self.copy_to(j + 1);
        self.ends_expr = true;
    }

    /// `[range]` or `[range:step]`: duration expressions evaluated, plain durations kept.
    fn brackets(&mut self) -> Result<(), QueryError> {
        let Some(close) = matching(self.b, self.i, b'[', b']') else {
            self.copy_to(self.b.len());
            return Ok(());
        };
        let inner = &self.src[self.i + 1..close];
        let parts: Vec<&str> = split_top_level_colon(inner);
        let mut rewritten = Vec::with_capacity(parts.len());
        for (k, part) in parts.iter().enumerate() {
            let trimmed = part.trim();
            if trimmed.is_empty() || is_plain_duration(trimmed) {
                rewritten.push(part.to_string());
                continue;
            }
            let what = if k == 0 { "range" } else { "subquery step" };
            match DurationParser::new(trimmed).parse_all() {
                Some(expr) => {
                    let seconds = expr.eval(self.env)?;
                    rewritten.push(format_duration(checked_ms(seconds, false, what)?));
                }
                None => rewritten.push(part.to_string()),
            }
        }
        self.out.push('[');
        self.out.push_str(&rewritten.join(":"));
        self.out.push(']');
        self.i = close + 1;
        // A range keeps the selector it follows as the target of a modifier; a subquery has none.
        if parts.len() > 1 {
            self.target = None;
        }
        self.ends_expr = true;
        Ok(())
    }

    fn word(&mut self) -> Result<(), QueryError> {
        let end = word_end(self.b, self.i);
        let word = &self.src[self.i..end];
        let lower = word.to_ascii_lowercase();
        if self.ends_expr && lower == "offset" {
            let keyword_at = self.out.len();
            self.copy_to(end);
            self.ends_expr = false;
            return self.offset(keyword_at);
        }
        if self.ends_expr && (lower == "anchored" || lower == "smoothed") {
            let kind = if lower == "anchored" { ExtendedRange::Anchored } else { ExtendedRange::Smoothed };
            self.mark(kind)?;
            self.out.truncate(self.out.trim_end().len());
            self.i = end;
            return Ok(());
        }
        let keyword = KEYWORDS.contains(&lower.as_str());
        self.copy_to(end);
        let next = self.src[end..].trim_start().as_bytes().first().copied();
        self.info_open = lower == "info" && next == Some(b'(');
        self.info_arg = false;
        self.target = if keyword || next == Some(b'(') { None } else { Some(Target::AfterName(self.out.len())) };
        self.ends_expr = !keyword;
        Ok(())
    }

    /// The duration after `offset`: one signed literal, `step()`, `range()`, `min_of(…)`/`max_of(…)` or a
    /// parenthesised expression (`x offset -2 ^ 2` is `(x offset -2) ^ 2`, as in Prometheus).
    fn offset(&mut self, keyword_at: usize) -> Result<(), QueryError> {
        let ws = self.src[self.i..].len() - self.src[self.i..].trim_start().len();
        self.copy_to(self.i + ws);
        let rest = &self.src[self.i..];
        let mut parser = DurationParser::new(rest);
        let Some(expr) = parser.offset_atom() else { return Ok(()) };
        let used = parser.pos;
        let atom = rest[..used].trim();
        if !is_plain_duration(atom.trim_start_matches(['-', '+']).trim_start()) || atom.starts_with('+') {
            let seconds = expr.eval(self.env)?;
            let ms = checked_ms(seconds, true, "offset")?;
            if ms == 0 {
                // The parser refuses a zero duration: no offset is the same.
                self.out.truncate(self.out[..keyword_at].trim_end().len());
            } else {
                self.out.push_str(&format_duration(ms));
            }
            self.out.push_str(&rest[rest[..used].trim_end().len()..used]);
        } else {
            self.out.push_str(&rest[..used]);
        }
        self.i += used;
        self.ends_expr = true;
        Ok(())
    }

    /// `@ <time>`, `@ start()` or `@ end()`: copied, keeping the selector it follows as a modifier's target.
    fn at(&mut self) {
        self.copy_to(self.i + 1);
        let ws = self.src[self.i..].len() - self.src[self.i..].trim_start().len();
        self.copy_to(self.i + ws);
        let mut end = self.i;
        if matches!(self.b.get(end), Some(b'-' | b'+')) {
            end += 1;
        }
        if self.b.get(end).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'.') {
            end = word_end(self.b, end);
        }
        if self.src[end..].starts_with("()") {
            end += 2;
        }
        self.copy_to(end.min(self.b.len()));
        self.ends_expr = true;
    }

    /// Puts the mark of `kind` on the selector the modifier follows.
    fn mark(&mut self, kind: ExtendedRange) -> Result<(), QueryError> {
        let Some(target) = self.target else {
            return Err(QueryError::invalid(format!(
                "the {} modifier applies to a selector such as `x[5m] {}`, not to a subquery or an expression",
                kind.keyword(),
                kind.keyword()
            )));
        };
        let label = match kind {
            ExtendedRange::Anchored => ANCHORED_MARK,
            ExtendedRange::Smoothed => SMOOTHED_MARK,
        };
        let other = if kind == ExtendedRange::Anchored { SMOOTHED_MARK } else { ANCHORED_MARK };
        let (at, text) = match target {
            Target::AfterName(at) => (at, format!("{{{label}=\"\"}}")),
            Target::BeforeClose { at, comma } => (at, format!("{}{label}=\"\"", if comma { "," } else { "" })),
        };
        // Both modifiers on one selector is an error in Prometheus; the same one twice is harmless.
        let selector_start = self.out[..at].rfind(|c: char| c.is_whitespace() || c == '(').map_or(0, |p| p + 1);
        let selector = &self.out[selector_start..at];
        if selector.contains(other) {
            return Err(QueryError::invalid("anchored and smoothed modifiers cannot be used together"));
        }
        if selector.contains(label) {
            return Ok(());
        }
        self.out.insert_str(at, &text);
        self.target = Some(match target {
            Target::AfterName(at) => Target::BeforeClose { at: at + text.len() - 1, comma: true },
            Target::BeforeClose { at, .. } => Target::BeforeClose { at: at + text.len(), comma: true },
        });
        Ok(())
    }
}

/// String literals whose `\x` or octal escapes stand for bytes of multi-byte UTF-8 characters, read as Go
/// (and Prometheus) reads them: `"\xc3\xa9"` is `é`, where the parser would take each escape for a
/// character of its own. Those escapes are written as the characters they make; ASCII escapes stay. A
/// string whose bytes are not UTF-8 (`"\xff"`) is refused: Prometheus refuses it as a label name and wom
/// cannot hold it as a label value.
fn byte_escapes(text: &str) -> Result<String, QueryError> {
    let b = text.as_bytes();
    let byte_escape = |j: usize| match b.get(j + 1) {
        Some(b'x') => b.get(j + 2..j + 4).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()),
        Some(b'0'..=b'3') => b.get(j + 1..j + 4).and_then(|o| u8::from_str_radix(std::str::from_utf8(o).ok()?, 8).ok()),
        _ => None,
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => {
                let end = text[i..].find('\n').map_or(b.len(), |n| i + n);
                out.push_str(&text[i..end]);
                i = end;
            }
            b'`' => {
                let end = string_end(b, i);
                out.push_str(&text[i..end]);
                i = end;
            }
            b'"' | b'\'' => {
                let end = string_end(b, i);
                let literal = &text[i..end];
                if !(i..end).any(|j| b[j] == b'\\' && byte_escape(j).is_some_and(|v| v >= 0x80)) {
                    out.push_str(literal);
                    i = end;
                    continue;
                }
                // Non-ASCII byte escapes become raw bytes; everything else is copied as written.
                let mut bytes = Vec::with_capacity(literal.len());
                let mut j = i;
                while j < end {
                    if b[j] == b'\\' && j + 1 < end {
                        match byte_escape(j) {
                            Some(v) if v >= 0x80 => {
                                bytes.push(v);
                                j += 4;
                            }
                            _ => {
                                bytes.extend_from_slice(&b[j..j + 2]);
                                j += 2;
                            }
                        }
                    } else {
                        bytes.push(b[j]);
                        j += 1;
                    }
                }
                match String::from_utf8(bytes) {
                    Ok(s) => out.push_str(&s),
                    Err(_) => {
                        return Err(QueryError::new(super::error::QueryErrorKind::Parse {
                            message: format!("string {literal} is not valid UTF-8"),
                        }));
                    }
                }
                i = end;
            }
            _ => {
                let len = text[i..].chars().next().map_or(1, char::len_utf8);
                out.push_str(&text[i..i + len]);
                i += len;
            }
        }
    }
    Ok(out)
}

/// The index just past the string literal starting at `start` (or the end of the text).
fn string_end(b: &[u8], start: usize) -> usize {
    let quote = b[start];
    let mut j = start + 1;
    while j < b.len() {
        if b[j] == b'\\' && quote != b'`' {
            j += 2;
            continue;
        }
        if b[j] == quote {
            return j + 1;
        }
        j += 1;
    }
    b.len()
}

fn word_end(b: &[u8], start: usize) -> usize {
    let mut j = start;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || matches!(b[j], b'_' | b':' | b'.')) {
        j += 1;
    }
    j.max(start + 1)
}

/// The index of the bracket closing the one at `start`.
fn matching(b: &[u8], start: usize, open: u8, close: u8) -> Option<usize> {
    let mut depth = 0usize;
    for (j, &c) in b.iter().enumerate().skip(start) {
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return Some(j);
            }
        } else if matches!(c, b'"' | b'\'' | b'`' | b'{') {
            return None;
        }
    }
    None
}

fn split_top_level_colon(inner: &str) -> Vec<&str> {
    let mut depth = 0i32;
    for (j, c) in inner.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ':' if depth == 0 => return vec![&inner[..j], &inner[j + 1..]],
            _ => {}
        }
    }
    vec![inner]
}

/// `5m`, `1h30m`, `500ms`: a duration the parser reads itself.
fn is_plain_duration(s: &str) -> bool {
    !s.is_empty() && s.as_bytes()[0].is_ascii_digit() && duration_literal(s).is_some_and(|(_, unit)| unit)
}

/// A duration literal in seconds (`1h30m`), or a plain number of seconds; `true` when it had units.
fn duration_literal(s: &str) -> Option<(f64, bool)> {
    if let Ok(v) = s.parse::<f64>()
        && s.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return Some((v, false));
    }
    let mut rest = s;
    let mut total = 0.0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = match &rest[..unit_len] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            "w" => 604_800.0,
            "y" => 31_536_000.0,
            _ => return None,
        };
        total += n * unit;
        rest = &rest[unit_len..];
    }
    Some((total, true))
}

/// Seconds to whole milliseconds as Prometheus converts them, refusing what it refuses.
fn checked_ms(seconds: f64, negative_ok: bool, what: &str) -> Result<i64, QueryError> {
    if !seconds.is_finite() {
        return Err(QueryError::invalid(format!("the {what}'s duration is NaN or infinite")));
    }
    if seconds <= 0.0 && !negative_ok {
        return Err(QueryError::invalid(format!("the {what}'s duration must be greater than 0")));
    }
    if seconds.abs() > 9_223_372_036.0 {
        return Err(QueryError::invalid(format!("the {what}'s duration is out of range")));
    }
    Ok((seconds * 1000.0) as i64)
}

fn format_duration(ms: i64) -> String {
    if ms < 0 { format!("-{}ms", -ms) } else { format!("{ms}ms") }
}

/// A duration expression: numbers are seconds.
#[derive(Debug)]
enum DurationExpr {
    Number(f64),
    Step,
    Range,
    Neg(Box<DurationExpr>),
    Binary(u8, Box<DurationExpr>, Box<DurationExpr>),
    MinOf(Box<DurationExpr>, Box<DurationExpr>),
    MaxOf(Box<DurationExpr>, Box<DurationExpr>),
}

impl DurationExpr {
    fn eval(&self, env: DurationEnv) -> Result<f64, QueryError> {
        Ok(match self {
            DurationExpr::Number(v) => *v,
            DurationExpr::Step => env.step,
            DurationExpr::Range => env.range,
            DurationExpr::Neg(e) => -e.eval(env)?,
            DurationExpr::MinOf(a, b) => a.eval(env)?.min(b.eval(env)?),
            DurationExpr::MaxOf(a, b) => a.eval(env)?.max(b.eval(env)?),
            DurationExpr::Binary(op, a, b) => {
                let (a, b) = (a.eval(env)?, b.eval(env)?);
                match op {
                    b'+' => a + b,
                    b'-' => a - b,
                    b'*' => a * b,
                    b'/' if b == 0.0 => return Err(QueryError::invalid("division by zero in a duration")),
                    b'/' => a / b,
                    b'%' if b == 0.0 => return Err(QueryError::invalid("modulo by zero in a duration")),
                    b'%' => a % b,
                    _ => a.powf(b),
                }
            }
        })
    }
}

/// A recursive-descent reader of duration expressions with Prometheus's precedence: `+ -` below `* / %`
/// below unary signs below `^` (right-associative). The depth bound checked before this pass bounds its
/// recursion.
struct DurationParser<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> DurationParser<'a> {
    fn new(s: &'a str) -> DurationParser<'a> {
        DurationParser { s, pos: 0 }
    }

    /// The whole text as one expression.
    fn parse_all(&mut self) -> Option<DurationExpr> {
        let e = self.sum()?;
        self.skip_ws();
        (self.pos == self.s.len()).then_some(e)
    }

    fn skip_ws(&mut self) {
        while self.s[self.pos..].starts_with(|c: char| c.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.s.as_bytes().get(self.pos).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn sum(&mut self) -> Option<DurationExpr> {
        let mut lhs = self.product()?;
        while let Some(op @ (b'+' | b'-')) = self.peek() {
            self.pos += 1;
            lhs = DurationExpr::Binary(op, Box::new(lhs), Box::new(self.product()?));
        }
        Some(lhs)
    }

    fn product(&mut self) -> Option<DurationExpr> {
        let mut lhs = self.unary()?;
        while let Some(op @ (b'*' | b'/' | b'%')) = self.peek() {
            self.pos += 1;
            lhs = DurationExpr::Binary(op, Box::new(lhs), Box::new(self.unary()?));
        }
        Some(lhs)
    }

    fn unary(&mut self) -> Option<DurationExpr> {
        if self.eat(b'-') {
            return Some(DurationExpr::Neg(Box::new(self.unary()?)));
        }
        if self.eat(b'+') {
            return self.unary();
        }
        self.power()
    }

    fn power(&mut self) -> Option<DurationExpr> {
        let base = self.atom()?;
        if self.eat(b'^') {
            return Some(DurationExpr::Binary(b'^', Box::new(base), Box::new(self.unary()?)));
        }
        Some(base)
    }

    /// What may follow `offset`: an optional sign, then one literal, call or parenthesised expression.
    fn offset_atom(&mut self) -> Option<DurationExpr> {
        if self.eat(b'-') {
            return Some(DurationExpr::Neg(Box::new(self.atom()?)));
        }
        self.eat(b'+');
        self.atom()
    }

    fn atom(&mut self) -> Option<DurationExpr> {
        match self.peek()? {
            b'(' => {
                self.pos += 1;
                let e = self.sum()?;
                self.eat(b')').then_some(e)
            }
            c if c.is_ascii_digit() || c == b'.' => {
                let end = self.s[self.pos..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
                    .map_or(self.s.len(), |n| self.pos + n);
                let (v, _) = duration_literal(&self.s[self.pos..end])?;
                self.pos = end;
                Some(DurationExpr::Number(v))
            }
            c if c.is_ascii_alphabetic() => {
                let end = self.s[self.pos..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(self.s.len(), |n| self.pos + n);
                let name = self.s[self.pos..end].to_ascii_lowercase();
                self.pos = end;
                if !self.eat(b'(') {
                    return None;
                }
                match name.as_str() {
                    "step" | "range" => {
                        if !self.eat(b')') {
                            return None;
                        }
                        Some(if name == "step" { DurationExpr::Step } else { DurationExpr::Range })
                    }
                    "min_of" | "max_of" => {
                        let a = self.sum()?;
                        if !self.eat(b',') {
                            return None;
                        }
                        let b = self.sum()?;
                        if !self.eat(b')') {
                            return None;
                        }
                        let (a, b) = (Box::new(a), Box::new(b));
                        Some(if name == "min_of" { DurationExpr::MinOf(a, b) } else { DurationExpr::MaxOf(a, b) })
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    fn rw(text: &str) -> String {
        rewrite(text, 5_000, 10_000).unwrap_or_else(|e| format!("error: {e}"))
    }

    #[test]
    fn byte_escapes_read_as_go_reads_them() {
        assert_eq!(rw(r#"x{a="\xc3\xa9"}"#), r#"x{a="é"}"#);
        assert_eq!(rw(r#"x{a="\303\251\x41\n"}"#), r#"x{a="é\x41\n"}"#);
        assert_eq!(rw(r#"x{a=`\xff`}"#), r#"x{a=`\xff`}"#);
        assert!(super::rewrite(r#"label_replace(x, "\xff", "", "a", "(.*)")"#, 0, 0).is_err());
        assert!(super::rewrite(r#"count_values("a\xc5z", x)"#, 0, 0).is_err());
    }

    #[test]
    fn plain_queries_are_unchanged() {
        for q in [
            "rate(x[5m])",
            "sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m] offset 1h))",
            "x{a=\"[1m+1m] anchored\"} offset -5m",
            "max_over_time(x[1h:30s])",
            "anchored + smoothed",
            "sum(offset)",
            "x and anchored",
        ] {
            assert_eq!(rw(q), q);
        }
    }

    #[test]
    fn duration_expressions_are_evaluated() {
        assert_eq!(rw("changes(x[26m+4m])"), "changes(x[1800000ms])");
        assert_eq!(rw("changes(x[1800])"), "changes(x[1800000ms])");
        assert_eq!(rw("changes(x[2m*(10+5)])"), "changes(x[1800000ms])");
        assert_eq!(rw("changes(x[30m1s-30m1s % 1m])"), "changes(x[1800000ms])");
        assert_eq!(rw("s(x[29s+1s:20*500ms])"), "s(x[30000ms:10000ms])");
        assert_eq!(rw("x[step()+1ms]"), "x[5001ms]");
        assert_eq!(rw("x[max_of(min_of(step()+1,1h),1ms)]"), "x[6000ms]");
        assert_eq!(rw("x[range()]"), "x[10000ms]");
        assert_eq!(rw("x[2^-1 * 4]"), "x[2000ms]");
    }

    #[test]
    fn an_offset_takes_one_signed_atom() {
        assert_eq!(rw("x offset (100 + 2)"), "x offset 102000ms");
        assert_eq!(rw("x offset 100 + 2"), "x offset 100000ms + 2");
        assert_eq!(rw("x offset -2 ^ 2"), "x offset -2000ms ^ 2");
        assert_eq!(rw("x offset (-2 ^ 2)"), "x offset -4000ms");
        assert_eq!(rw("x offset -step()*2"), "x offset -5000ms*2");
        assert_eq!(rw("x offset -(min_of(step(), 2s)-5)+8000"), "x offset 3000ms+8000");
        assert_eq!(rw("x OFFSET STEP()"), "x OFFSET 5000ms");
        assert_eq!(rw("x offset 5m"), "x offset 5m");
        assert_eq!(rewrite("x offset range() + 1", 0, 0).ok().as_deref(), Some("x + 1"));
    }

    #[test]
    fn modifiers_mark_their_selector() {
        assert_eq!(rw("rate(x[1m] anchored)"), "rate(x{__wom_anchored__=\"\"}[1m])");
        assert_eq!(rw("rate(x{a=\"}\"}[1m] smoothed)"), "rate(x{a=\"}\",__wom_smoothed__=\"\"}[1m])");
        assert_eq!(rw("info(x, {a=~\".*\"})"), "info(x, {__wom_info__=\"1\",a=~\".*\"})");
        assert_eq!(rw("info(f(x, y), {})"), "info(f(x, y), {__wom_info__=\"1\"})");
        assert_eq!(rw("f(x, {a=\"b\"})"), "f(x, {a=\"b\"})");
        assert_eq!(rw("x{a=\"b\",} smoothed"), "x{a=\"b\",__wom_smoothed__=\"\"}");
        assert_eq!(rw("x smoothed + 1"), "x{__wom_smoothed__=\"\"} + 1");
        assert_eq!(rw("x @ 100 smoothed"), "x{__wom_smoothed__=\"\"} @ 100");
        assert_eq!(rw("x @ end() smoothed"), "x{__wom_smoothed__=\"\"} @ end()");
        assert_eq!(rw("rate(x[1m] offset 1m anchored)"), "rate(x{__wom_anchored__=\"\"}[1m] offset 1m)");
    }

    #[test]
    fn no_text_makes_it_panic() {
        // Every prefix of queries mixing the constructs, strings and non-ASCII text, with odd tails.
        let queries = [
            "rate(x{a=\"é}\"}[1m+1m] anchored) @ é offset -(step()*2) smoothed",
            "info(x, {a=~\"ü.*\",}) offset min_of(range(), 1s) + y @ end() smoothed",
            "sum(x[5m:step()] offset (1h/0)) or x @ -é[é]{\"\\é\"} anchored anchored",
            "x[((((1m))))] offset ((2)) `é` 'é\\' # é\n anchored",
        ];
        for q in queries {
            for (i, _) in q.char_indices().chain([(q.len(), ' ')]) {
                for tail in ["", "é", "@", "[", "{", "(", "offset", "anchored", "\"", "\\"] {
                    let text = format!("{}{tail}", &q[..i]);
                    let _ = rewrite(&text, 5_000, 10_000);
                    let _ = super::super::parse_query(&text, 5_000, 10_000);
                }
            }
        }
    }

    #[test]
    fn what_prometheus_refuses_is_refused() {
        assert!(rw("x[1m-1m]").starts_with("error"), "{}", rw("x[1m-1m]"));
        assert!(rw("x[1m/0]").starts_with("error"));
        assert!(rw("rate(x[5m:1m] anchored)").starts_with("error"));
        assert!(rw("rate(x[5m] anchored smoothed)").starts_with("error"));
        assert_eq!(rewrite("x[step()]", 0, 0).map_err(|_| ()), Err(()), "an instant query's step is 0");
    }
}
