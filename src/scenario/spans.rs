//! Where each value of a scenario file is written. RON's deserializer keeps no positions once a file has
//! parsed, so validation names the offending value by its path (`services[2].metrics[0].noise`) and this
//! index, built by a small tolerant scan of the same text, turns the path into `line:col`.

use std::collections::HashMap;

/// A path to a value in a scenario: fields, list indexes and map keys, from the top.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValuePath(Vec<Seg>);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Seg {
    Field(String),
    Index(usize),
    /// A map key itself (`costs: {"stat": …}` points at `"stat"`).
    Key(String),
    /// The value stored under a map key.
    Value(String),
}

impl ValuePath {
    /// The top of the file.
    pub fn root() -> ValuePath {
        ValuePath(Vec::new())
    }

    /// This path, then field `name`.
    pub fn field(&self, name: &str) -> ValuePath {
        self.with(Seg::Field(name.to_string()))
    }

    /// This path, then element `i` of a list (or of a tuple or enum variant's contents).
    pub fn index(&self, i: usize) -> ValuePath {
        self.with(Seg::Index(i))
    }

    /// This path, then the map key `key`.
    pub fn key(&self, key: &str) -> ValuePath {
        self.with(Seg::Key(key.to_string()))
    }

    /// This path, then the value under map key `key`.
    pub fn value(&self, key: &str) -> ValuePath {
        self.with(Seg::Value(key.to_string()))
    }

    fn with(&self, seg: Seg) -> ValuePath {
        let mut segs = self.0.clone();
        segs.push(seg);
        ValuePath(segs)
    }
}

/// Byte offsets of every value in a RON text, by path.
pub struct SpanIndex {
    offsets: HashMap<Vec<Seg>, usize>,
}

impl SpanIndex {
    /// Scans `text`; a text that does not parse as RON still yields whatever was scanned before the problem.
    pub fn of(text: &str) -> SpanIndex {
        let mut scan = Scan { text: text.as_bytes(), at: 0, offsets: HashMap::new(), depth: 0 };
        scan.attributes();
        scan.value(&mut Vec::new());
        SpanIndex { offsets: scan.offsets }
    }

    /// Offset of the value at `path`, or of the nearest enclosing value that is written out (a defaulted
    /// field is not in the text, so its struct is pointed at).
    pub fn offset(&self, path: &ValuePath) -> usize {
        (0..=path.0.len()).rev().find_map(|n| self.offsets.get(&path.0[..n]).copied()).unwrap_or(0)
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |nl| nl + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Nesting deeper than this is not indexed (RON itself refuses far shallower files).
const MAX_DEPTH: usize = 256;

struct Scan<'a> {
    text: &'a [u8],
    at: usize,
    offsets: HashMap<Vec<Seg>, usize>,
    depth: usize,
}

impl Scan<'_> {
    fn rest(&self) -> &[u8] {
        self.text.get(self.at..).unwrap_or(&[])
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    /// Skips whitespace and comments (`// …`, nested `/* … */`).
    fn skip(&mut self) {
        loop {
            while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
                self.at += 1;
            }
            if self.rest().starts_with(b"//") {
                while self.peek().is_some_and(|b| b != b'\n') {
                    self.at += 1;
                }
            } else if self.rest().starts_with(b"/*") {
                let mut depth = 0;
                while self.at < self.text.len() {
                    if self.rest().starts_with(b"/*") {
                        depth += 1;
                        self.at += 2;
                    } else if self.rest().starts_with(b"*/") {
                        depth -= 1;
                        self.at += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        self.at += 1;
                    }
                }
            } else {
                return;
            }
        }
    }

    /// `#![enable(…)]` lines before the value.
    fn attributes(&mut self) {
        loop {
            self.skip();
            if !self.rest().starts_with(b"#!") {
                return;
            }
            while self.peek().is_some_and(|b| b != b']') {
                self.at += 1;
            }
            self.at += 1;
        }
    }

    fn value(&mut self, path: &mut Vec<Seg>) {
        self.skip();
        if self.depth >= MAX_DEPTH || self.at >= self.text.len() {
            return;
        }
        self.offsets.entry(path.clone()).or_insert(self.at);
        self.depth += 1;
        match self.peek() {
            Some(b'"') => {
                self.string();
            }
            Some(b'\'') => self.char_literal(),
            Some(b'r') if matches!(self.text.get(self.at + 1), Some(b'"' | b'#')) => self.raw_string(),
            Some(b'[') => self.list(path),
            Some(b'{') => self.map(path),
            Some(b'(') => self.parens(path),
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => {
                let name = self.ident();
                self.skip();
                if self.peek() == Some(b'(') {
                    if name == "Some" {
                        // `Some(x)` and a bare `x` are the same value at the same path.
                        self.at += 1;
                        self.value(path);
                        self.skip();
                        if self.peek() == Some(b')') {
                            self.at += 1;
                        }
                    } else {
                        self.parens(path);
                    }
                }
            }
            _ => {
                while self.peek().is_some_and(|b| !b",)]}".contains(&b) && !b.is_ascii_whitespace()) {
                    self.at += 1;
                }
            }
        }
        self.depth -= 1;
    }

    fn ident(&mut self) -> String {
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') {
            self.at += 1;
        }
        String::from_utf8_lossy(&self.text[start..self.at]).into_owned()
    }

    /// A quoted string; returns its text between the quotes, escapes left as written.
    fn string(&mut self) -> String {
        self.at += 1;
        let start = self.at;
        while let Some(b) = self.peek() {
            match b {
                b'\\' => self.at += 2,
                b'"' => break,
                _ => self.at += 1,
            }
        }
        let end = self.at.min(self.text.len());
        self.at = (self.at + 1).min(self.text.len());
        String::from_utf8_lossy(&self.text[start..end]).into_owned()
    }

    fn char_literal(&mut self) {
        self.at += 1;
        while let Some(b) = self.peek() {
            self.at += if b == b'\\' { 2 } else { 1 };
            if b == b'\'' {
                break;
            }
        }
    }

    fn raw_string(&mut self) {
        self.at += 1;
        let mut hashes = 0;
        while self.peek() == Some(b'#') {
            hashes += 1;
            self.at += 1;
        }
        self.at += 1;
        let mut close = vec![b'"'];
        close.extend(std::iter::repeat_n(b'#', hashes));
        while self.at < self.text.len() && !self.rest().starts_with(&close) {
            self.at += 1;
        }
        self.at += close.len();
    }

    fn list(&mut self, path: &mut Vec<Seg>) {
        self.at += 1;
        let mut i = 0;
        loop {
            self.skip();
            match self.peek() {
                None => return,
                Some(b']') => {
                    self.at += 1;
                    return;
                }
                Some(b',') => self.at += 1,
                _ => {
                    let before = self.at;
                    path.push(Seg::Index(i));
                    self.value(path);
                    path.pop();
                    i += 1;
                    if self.at == before {
                        return;
                    }
                }
            }
        }
    }

    fn map(&mut self, path: &mut Vec<Seg>) {
        self.at += 1;
        loop {
            self.skip();
            match self.peek() {
                None => return,
                Some(b'}') => {
                    self.at += 1;
                    return;
                }
                Some(b',') => self.at += 1,
                Some(b'"') => {
                    let start = self.at;
                    let key = unescape(&self.string());
                    path.push(Seg::Key(key.clone()));
                    self.offsets.entry(path.clone()).or_insert(start);
                    path.pop();
                    self.skip();
                    if self.peek() == Some(b':') {
                        self.at += 1;
                    }
                    path.push(Seg::Value(key));
                    self.value(path);
                    path.pop();
                }
                _ => {
                    // A key that is not a string: index it by its position only through the map.
                    let before = self.at;
                    self.value(&mut Vec::from([Seg::Index(usize::MAX)]));
                    if self.at == before {
                        return;
                    }
                }
            }
        }
    }

    /// `( … )`: struct fields (`name: value`) or tuple and variant contents (indexed).
    fn parens(&mut self, path: &mut Vec<Seg>) {
        self.at += 1;
        let mut i = 0;
        loop {
            self.skip();
            match self.peek() {
                None => return,
                Some(b')') => {
                    self.at += 1;
                    return;
                }
                Some(b',') => self.at += 1,
                _ => {
                    let before = self.at;
                    if let Some(name) = self.field_name() {
                        path.push(Seg::Field(name));
                    } else {
                        path.push(Seg::Index(i));
                        i += 1;
                    }
                    self.value(path);
                    path.pop();
                    if self.at == before {
                        return;
                    }
                }
            }
        }
    }

    /// `name:` (not `name::`) at the cursor: consumes it and returns the name.
    fn field_name(&mut self) -> Option<String> {
        let start = self.at;
        if !self.peek().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_') {
            return None;
        }
        let name = self.ident();
        self.skip();
        if self.peek() == Some(b':') && self.text.get(self.at + 1) != Some(&b':') {
            self.at += 1;
            return Some(name);
        }
        self.at = start;
        None
    }
}

/// The common escapes of a RON string, enough to match map keys with the parsed names.
fn unescape(text: &str) -> String {
    if !text.contains('\\') {
        return text.to_string();
    }
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_find_fields_list_items_map_keys_and_variant_contents() {
        let text = "#![enable(implicit_some)]\n// c\n(\n  a: [ (id: \"x\"), (id: \"y\", w: Some(2.0)) ],\n  m: {\"k\": \"5m\"},\n  t: Custom([(name: \"c\")]),\n  s: Set(1.0), /* note */ r: r#\"raw \"q\"\"#, z: 'c',\n)";
        let index = SpanIndex::of(text);
        let at = |p: &ValuePath| line_col(text, index.offset(p));
        let root = ValuePath::root();
        assert_eq!(at(&root.field("a").index(1).field("id")), (4, 24));
        assert_eq!(at(&root.field("a").index(1).field("w")), (4, 32));
        assert_eq!(at(&root.field("m").key("k")), (5, 7));
        assert_eq!(at(&root.field("m").value("k")), (5, 12));
        assert_eq!(at(&root.field("t").index(0).index(0).field("name")), (6, 21));
        assert_eq!(at(&root.field("s").index(0)), (7, 10));
        assert_eq!(at(&root.field("z")), (7, 47));
        // A field that is not written points at its struct.
        assert_eq!(at(&root.field("a").index(0).field("missing")), (4, 8));
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(line_col("é\"x\"", 2), (1, 2));
    }
}
