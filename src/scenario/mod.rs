//! The scenario file format: serde types, loading, validation and the built-in scenarios.
//!
//! Pure: nothing here simulates, prints or reads a terminal.

mod builtin;
mod duration;
mod error;
mod load;
mod model;
mod synthetic;
mod validate;

pub use builtin::{BUILTIN, DEFAULT_SCENARIO, builtin};
pub use duration::SimDuration;
pub use error::{ScenarioError, ScenarioErrorKind};
pub use load::{load_file, parse};
pub use model::*;
pub use synthetic::{SyntheticShape, synthetic};
pub use validate::{dependency_order, validate};

/// Every volunteer command word; triggers and costs may only name these.
pub const VOLUNTEER_COMMANDS: &[&str] = &[
    "alerts", "changes", "config", "declare", "deps", "diagnose", "flags", "help", "hint", "inbox", "logs", "metrics",
    "mitigate", "note", "query", "quit", "resolve", "role", "runbook", "slo", "status", "tickets", "time", "update",
    "wait",
];

/// The candidate closest to `name` by edit distance, if any is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: &'a [String]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, c)| *d <= (c.len().max(name.len()) / 3).max(1) + 1 && *d < c.len().max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.as_str())
}

/// "`a`, `b`, `c`".
pub fn backticked(items: &[String]) -> String {
    items.iter().map(|x| format!("`{x}`")).collect::<Vec<_>>().join(", ")
}
