//! Errors found while reading or validating a scenario file.

use super::validate::shown;
use std::fmt;

/// A scenario problem: where it is and what is wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioError {
    /// Path of the file as given (or `<builtin>/…`).
    pub path: String,
    /// 1-based line and column, when the problem has a place in the text.
    pub position: Option<(usize, usize)>,
    /// What is wrong.
    pub kind: Box<ScenarioErrorKind>,
}

/// What is wrong with a scenario.
#[derive(Clone, Debug, PartialEq)]
pub enum ScenarioErrorKind {
    /// The file could not be read.
    Io { message: String },
    /// The RON did not parse or did not fit the format.
    Syntax { message: String },
    /// The file is written for another format version.
    SchemaVersion { found: u32, supported: u32 },
    /// A name that does not exist.
    UnknownReference { what: &'static str, name: String, context: String, candidates: Vec<String> },
    /// A target an action does not take.
    BadTarget { action: String, target: String, context: String, candidates: Vec<String> },
    /// The same id twice.
    Duplicate { what: &'static str, name: String },
    /// A state no transition leads to.
    UnreachableState { state: String, track: String },
    /// The incident track has no state with phase `Resolved`.
    NoResolvedState { track: String },
    /// Services depend on each other in a circle.
    DependencyCycle { circle: Vec<String> },
    /// A value outside what makes sense.
    Invalid { context: String, message: String },
}

impl ScenarioError {
    /// An error with no position yet.
    pub fn new(path: &str, kind: ScenarioErrorKind) -> ScenarioError {
        ScenarioError { path: path.to_string(), position: None, kind: Box::new(kind) }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, col)) => write!(f, "{}:{line}:{col}: ", self.path)?,
            None => write!(f, "{}: ", self.path)?,
        }
        write!(f, "{}", self.kind)
    }
}

impl fmt::Display for ScenarioErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ScenarioErrorKind::*;
        match self {
            Io { message } => write!(f, "cannot read scenario: {message}"),
            Syntax { message } => write!(f, "{}", shown(&lowercase_first(message))),
            SchemaVersion { found, supported } => {
                write!(f, "schema_version {found} is not supported; this build reads version {supported}")
            }
            UnknownReference { what, name, context, candidates } => {
                write!(f, "unknown {what} `{}` in {context}", shown(name))?;
                if let Some(best) = super::closest(name, candidates) {
                    write!(f, "; did you mean `{best}`?")?;
                }
                if !candidates.is_empty() {
                    write!(f, " (known: {})", super::backticked(candidates))?;
                }
                Ok(())
            }
            BadTarget { action, target, context, candidates } if candidates.is_empty() => {
                write!(f, "action `{}` takes no target, yet {context} names `{}`", shown(action), shown(target))
            }
            BadTarget { action, target, context, candidates } => {
                write!(f, "action `{}` does not take target `{}` in {context}", shown(action), shown(target))?;
                if let Some(best) = super::closest(target, candidates) {
                    write!(f, "; did you mean `{best}`?")?;
                }
                write!(f, " (its targets: {})", super::backticked(candidates))
            }
            Duplicate { what, name } => write!(f, "duplicate {what} `{}`", shown(name)),
            UnreachableState { state, track } => {
                write!(
                    f,
                    "state `{}` in track `{}` cannot be reached from the track's initial state",
                    shown(state),
                    shown(track)
                )
            }
            NoResolvedState { track } => {
                write!(f, "track `{}` has no state with `phase: Resolved`, so the drill cannot end well", shown(track))
            }
            DependencyCycle { circle } => {
                let circle: Vec<String> = circle.iter().map(|s| shown(s)).collect();
                write!(f, "services depend on each other in a circle: {}", circle.join(" -> "))
            }
            Invalid { context, message, .. } => write!(f, "{context}: {message}"),
        }
    }
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl std::error::Error for ScenarioError {}
