//! Reading a journal back: the header, every complete line, and a torn last line told apart from damage.

use super::error::{JournalError, JournalErrorKind};
use super::record::{FORMAT, Header, Record};
use std::path::{Path, PathBuf};

/// A journal as read from disk.
#[derive(Clone, Debug)]
pub struct JournalFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its first line.
    pub header: Header,
    /// Every complete line after the header, in order.
    pub records: Vec<Record>,
    /// Bytes of complete lines (where appending may continue).
    pub valid_len: u64,
    /// A last line cut short by a kill mid-write, if any; it is not part of `records`.
    pub torn: Option<TornLine>,
}

/// A last line without its newline: the process was killed while writing it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornLine {
    /// Its line number.
    pub line: usize,
    /// Bytes it had.
    pub bytes: usize,
}

/// Reads and parses a journal. A torn last line is set aside in [`JournalFile::torn`], never an error;
/// a damaged complete line is an error naming its line.
pub fn read(path: &Path) -> Result<JournalFile, JournalError> {
    let bytes = std::fs::read(path).map_err(|e| JournalError::io(path, "read", &e))?;
    parse(path, &bytes)
}

fn parse(path: &Path, bytes: &[u8]) -> Result<JournalFile, JournalError> {
    let complete = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let mut lines = bytes[..complete].split(|b| *b == b'\n');
    lines.next_back(); // The empty piece after the final newline.
    let torn = (complete < bytes.len()).then(|| TornLine {
        line: bytes[..complete].iter().filter(|b| **b == b'\n').count() + 1,
        bytes: bytes.len() - complete,
    });
    let malformed =
        |line: usize, message: String| JournalError::new(path, JournalErrorKind::Malformed { line, message });
    let header = match lines.next() {
        None => return Err(JournalError::new(path, JournalErrorKind::NoHeader)),
        Some(first) => match serde_json::from_slice::<Record>(first) {
            Ok(Record::Header(header)) => header,
            Ok(_) => return Err(malformed(1, "the first line is not a header".into())),
            Err(e) => return Err(malformed(1, e.to_string())),
        },
    };
    if header.format.split('.').next() != Some(FORMAT) {
        return Err(JournalError::new(path, JournalErrorKind::Format { found: header.format }));
    }
    let mut records = Vec::new();
    for (n, line) in lines.enumerate() {
        match serde_json::from_slice::<Record>(line) {
            Ok(Record::Header(_)) => return Err(malformed(n + 2, "a second header".into())),
            Ok(record) => records.push(record),
            Err(e) => return Err(malformed(n + 2, e.to_string())),
        }
    }
    Ok(JournalFile { path: path.to_path_buf(), header, records, valid_len: complete as u64, torn })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::record::ScenarioRef;

    fn header_line() -> String {
        let header = Header {
            format: FORMAT.into(),
            wom: "0.1.0".into(),
            scenario: ScenarioRef { id: "x".into(), path: None, hash: "00".into() },
            seed: 1,
            participants: vec![],
            started: "2026-01-01T00:00:00Z".into(),
            hosted: None,
        };
        serde_json::to_string(&Record::Header(header)).expect("serializes") + "\n"
    }

    #[test]
    fn a_torn_last_line_is_set_aside_at_every_cut() {
        let full = header_line() + "{\"type\":\"resumed\",\"wall\":\"w\"}\n";
        let header_len = header_line().len();
        for cut in header_len..full.len() {
            let journal = parse(Path::new("j"), &full.as_bytes()[..cut]).expect("reads");
            assert!(journal.records.is_empty());
            assert_eq!(journal.valid_len, header_len as u64);
            assert_eq!(journal.torn.as_ref().map(|t| t.bytes), (cut > header_len).then_some(cut - header_len));
        }
        assert_eq!(parse(Path::new("j"), full.as_bytes()).expect("reads").records.len(), 1);
    }

    #[test]
    fn damage_names_the_line_and_a_missing_header_is_an_error() {
        let damaged = header_line() + "{\"type\":\"resumed\",\"wall\":\"w\"}\nnot json\n";
        let err = parse(Path::new("j.jsonl"), damaged.as_bytes()).expect_err("damaged");
        assert!(err.to_string().starts_with("j.jsonl:3: not a journal record: "), "{err}");
        let err = parse(Path::new("j.jsonl"), &header_line().as_bytes()[..10]).expect_err("no header");
        assert!(matches!(*err.kind, JournalErrorKind::NoHeader), "{err}");
    }
}
