//! Errors reading and changing the wheel's files, each saying where and what was expected.

use std::fmt;

/// A wheel error: which file (and where in it, when known) and what went wrong.
#[derive(Debug)]
pub struct WheelError {
    /// The file, as shown to the user; empty when no file is involved.
    pub path: String,
    /// Line and column (1-based), when the error is inside the file.
    pub position: Option<(usize, usize)>,
    /// What went wrong.
    pub kind: Box<WheelErrorKind>,
}

/// What went wrong.
#[derive(Debug)]
pub enum WheelErrorKind {
    /// The file could not be read or written.
    Io { message: String },
    /// The file is not valid RON for what it holds.
    Syntax { message: String },
    /// A name nobody on the roster or in the history has.
    UnknownPerson { name: String, closest: Option<String>, known: Vec<String> },
    /// A tag no scenario has.
    UnknownTag { tag: String, closest: Option<String> },
    /// Nothing to pick from.
    NothingToPick { why: String },
    /// A name that cannot be used.
    BadName { name: String },
}

impl WheelError {
    /// An error about `path` as a whole.
    pub fn file(path: &str, kind: WheelErrorKind) -> WheelError {
        WheelError { path: path.to_string(), position: None, kind: Box::new(kind) }
    }

    /// An error not tied to a file.
    pub fn new(kind: WheelErrorKind) -> WheelError {
        WheelError::file("", kind)
    }
}

impl fmt::Display for WheelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.path[..], self.position) {
            ("", _) => {}
            (path, Some((line, col))) => write!(f, "{path}:{line}:{col}: ")?,
            (path, None) => write!(f, "{path}: ")?,
        }
        match &*self.kind {
            WheelErrorKind::Io { message } => write!(f, "{message}"),
            WheelErrorKind::Syntax { message } => write!(f, "{message}"),
            WheelErrorKind::UnknownPerson { name, closest, known } => {
                write!(f, "nobody called `{name}` is on the roster or in the history")?;
                match closest {
                    Some(c) => write!(f, "; did you mean `{c}`?"),
                    None if known.is_empty() => write!(f, "; add people with `wom roster add NAME --level LEVEL`"),
                    None => write!(f, "; known: {}", crate::scenario::backticked(known)),
                }
            }
            WheelErrorKind::UnknownTag { tag, closest } => {
                write!(f, "no scenario is tagged `{tag}`")?;
                match closest {
                    Some(c) => write!(f, "; did you mean `{c}`?"),
                    None => Ok(()),
                }
            }
            WheelErrorKind::NothingToPick { why } => write!(f, "nothing to spin: {why}"),
            WheelErrorKind::BadName { name } => {
                write!(f, "`{name}` is not a usable name: use letters, digits, `.`, `_` or `-`")
            }
        }
    }
}

impl std::error::Error for WheelError {}

/// A RON error in `path`, at its position.
pub(super) fn syntax(path: &str, err: ron::error::SpannedError, line_offset: usize) -> WheelError {
    WheelError {
        path: path.to_string(),
        position: Some((err.span.start.line + line_offset, err.span.start.col)),
        kind: Box::new(WheelErrorKind::Syntax { message: err.code.to_string() }),
    }
}

/// An I/O error on `path`.
pub(super) fn io(path: &str, err: std::io::Error) -> WheelError {
    WheelError::file(path, WheelErrorKind::Io { message: err.to_string() })
}
