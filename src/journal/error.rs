//! Journal errors: where (the journal's path, a line) and what went wrong.

use super::replay::Difference;
use std::fmt;
use std::path::PathBuf;

/// A journal that could not be written, read or replayed.
#[derive(Debug)]
pub struct JournalError {
    /// The journal file.
    pub path: PathBuf,
    /// What went wrong.
    pub kind: Box<JournalErrorKind>,
}

/// What went wrong with a journal.
#[derive(Debug)]
pub enum JournalErrorKind {
    /// The file system refused.
    Io { action: &'static str, message: String },
    /// The file exists; journals are never overwritten.
    Exists,
    /// No complete header: the drill was killed before it started.
    NoHeader,
    /// A complete line that is not a journal record.
    Malformed { line: usize, message: String },
    /// Written in a format this wom does not read.
    Format { found: String },
    /// The scenario the header names cannot be loaded.
    Scenario { message: String },
    /// The scenario's content differs from what was played; the drill cannot be rebuilt exactly.
    ScenarioChanged { id: String, recorded: String, current: String },
    /// Replaying the inputs gave other events than those recorded.
    Diverged(Difference),
    /// The drill is over and was written up; there is nothing to resume.
    Closed,
    /// Another `wom` holds the journal: its drill is still running.
    Busy,
}

impl JournalError {
    /// An error about the journal at `path`.
    pub fn new(path: impl Into<PathBuf>, kind: JournalErrorKind) -> JournalError {
        JournalError { path: path.into(), kind: Box::new(kind) }
    }

    /// An I/O error while doing `action` (`create`, `write`…).
    pub fn io(path: impl Into<PathBuf>, action: &'static str, err: &std::io::Error) -> JournalError {
        JournalError::new(path, JournalErrorKind::Io { action, message: err.to_string() })
    }
}

impl fmt::Display for JournalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match &*self.kind {
            JournalErrorKind::Io { action, message } => write!(f, "cannot {action} the journal {path}: {message}"),
            JournalErrorKind::Exists => {
                write!(
                    f,
                    "the journal {path} exists and journals are never overwritten; `wom resume {path}` continues it"
                )
            }
            JournalErrorKind::NoHeader => {
                write!(f, "{path} has no complete header: the drill was stopped before it began, nothing to rebuild")
            }
            JournalErrorKind::Malformed { line, message } => {
                write!(f, "{path}:{line}: not a journal record: {message}")
            }
            JournalErrorKind::Format { found } => {
                write!(f, "{path} is in format `{found}`; this wom reads `{}`", super::FORMAT)
            }
            JournalErrorKind::Scenario { message } => write!(f, "{path}: cannot load its scenario: {message}"),
            JournalErrorKind::ScenarioChanged { id, recorded, current } => write!(
                f,
                "the scenario `{id}` changed since the drill in {path} was played (hash {} then, {} now); \
                 the drill cannot be rebuilt exactly (`wom replay --check` shows where it differs)",
                short(recorded),
                short(current)
            ),
            JournalErrorKind::Diverged(difference) => write!(f, "{path}: {difference}"),
            JournalErrorKind::Busy => {
                write!(f, "the journal {path} is in use by another wom: its drill is still running")
            }
            JournalErrorKind::Closed => write!(
                f,
                "the drill in {path} is over and its debrief was written; `wom debrief {path}` writes it again"
            ),
        }
    }
}

impl std::error::Error for JournalError {}

/// The first 12 hex digits of a hash: enough to tell two apart in a message.
pub(crate) fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}
