//! Reading a scenario from RON text or a file. Every error that has a place in the text gets its
//! `line:col`: syntax errors from RON's own span, validation errors from the path of the offending value,
//! bytes that are not UTF-8 from where they sit.

use super::spans::{SpanIndex, line_col};
use super::{Scenario, ScenarioError, ScenarioErrorKind, validate};
use ron::extensions::Extensions;
use std::path::Path;

/// Largest scenario file read, in bytes.
pub const MAX_FILE: u64 = 4 << 20;

/// Parses and validates a scenario from text; `path` names it in errors.
pub fn parse(text: &str, path: &str) -> Result<Scenario, ScenarioError> {
    let options = ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME);
    let scenario: Scenario = options.from_str(text).map_err(|err| ScenarioError {
        path: path.to_string(),
        position: Some((err.span.start.line.max(1), err.span.start.col.max(1))),
        kind: Box::new(ScenarioErrorKind::Syntax { message: err.code.to_string() }),
    })?;
    validate::validate(&scenario).map_err(|found| {
        let offset = SpanIndex::of(text).offset(&found.at);
        ScenarioError { path: path.to_string(), position: Some(line_col(text, offset)), kind: Box::new(found.kind) }
    })?;
    Ok(scenario)
}

/// Reads, parses and validates a scenario file.
pub fn load_file(path: &Path) -> Result<Scenario, ScenarioError> {
    parse(&read_source(path)?, &path.display().to_string())
}

/// Reads a scenario file's text: at most [`MAX_FILE`] bytes of UTF-8.
pub fn read_source(path: &Path) -> Result<String, ScenarioError> {
    let shown = path.display().to_string();
    let io = |message: String| ScenarioError::new(&shown, ScenarioErrorKind::Io { message });
    let size = std::fs::metadata(path).map_err(|err| io(err.to_string()))?.len();
    if size > MAX_FILE {
        return Err(io(format!("the file has {size} bytes; a scenario is at most {MAX_FILE} bytes (4 MiB)")));
    }
    let bytes = std::fs::read(path).map_err(|err| io(err.to_string()))?;
    decode(&bytes, &shown).map(str::to_string)
}

/// The file as UTF-8, or an error pointing at the first byte that is not.
fn decode<'a>(bytes: &'a [u8], path: &str) -> Result<&'a str, ScenarioError> {
    std::str::from_utf8(bytes).map_err(|err| {
        let good = err.valid_up_to();
        // The valid prefix is text, so its lines and columns count as they would in an editor.
        let before = std::str::from_utf8(&bytes[..good]).unwrap_or("");
        let (line, col) = line_col(before, good);
        ScenarioError {
            path: path.to_string(),
            position: Some((line, col)),
            kind: Box::new(ScenarioErrorKind::Syntax {
                message: format!(
                    "byte 0x{:02x} is not UTF-8 (a Latin-1 file?); save the scenario as UTF-8",
                    bytes[good]
                ),
            }),
        }
    })
}
