//! The scenario file format: serde types, loading, validation and the built-in scenarios.
//!
//! Pure: nothing here simulates, prints or reads a terminal.

mod builtin;
mod calendar;
mod commands;
mod duration;
mod error;
mod fleet;
mod lint;
mod load;
mod model;
mod network;
mod outcome;
mod outcome_check;
mod periodic;
mod process;
mod spans;
mod synthetic;
mod template;
mod time_skip;
mod tools;
mod validate;
mod world;

pub use builtin::{BUILTIN, DEFAULT_SCENARIO, builtin};
pub use calendar::Date;
pub use commands::{ArgKind, COMMANDS, CommandSpec, CostClass, Target, command_names, command_spec};
pub use duration::{DurationError, DurationErrorKind, MAX_SCENARIO_DURATION, SimDuration};
pub use error::{ScenarioError, ScenarioErrorKind};
pub use lint::{Lint, RULES, Rule, RuleSeverity, error_rule, lint, rule_table, rules};
pub use load::{MAX_FILE, load_file, parse, read_source};
pub use model::*;
pub use network::{ELEMENT_SERIES, ElementKind, MAX_ELEMENTS, MAX_HOPS, NetworkElement, path_label};
pub use outcome::{ActionOutcome, ActionResult, Diagnostic, DiagnosticOutput, Stage};
pub use periodic::{HourSpike, LoadPattern, LoadTarget};
pub use process::{BinOp, Capacity, ControlMode, Controller, Derived, Expr, ExprError, Func, Processes, Recovery};
pub use spans::{SpanIndex, ValuePath, line_col};
pub use synthetic::{SyntheticShape, synthetic, synthetic_fleet};
pub use template::{REF_POOL, Template, TemplateError};
pub use time_skip::{MAX_SKIP, TimeSkip};
pub use tools::{Tool, ToolCondition, ToolMode};
pub use validate::{
    Located, MAX_COST, MAX_HISTORY, MAX_LOG_RATE, MAX_NAME, MAX_TOTAL_LOG_RATE, MAX_VALUE, MAX_WINDOW,
    dependency_order, validate, validation_rules,
};

/// Longest name, in bytes, for which a did-you-mean is looked for.
pub const MAX_SUGGEST: usize = 128;

/// The candidate closest to `name` by edit distance, if any is close enough to be a likely typo.
///
/// The work is bounded: a name longer than [`MAX_SUGGEST`] gets no suggestion, and a candidate whose length
/// alone puts it too far away is never compared.
pub fn closest<'a>(name: &str, candidates: &'a [String]) -> Option<&'a str> {
    if name.len() > MAX_SUGGEST {
        return None;
    }
    let allowed = |c: &str| (c.len().max(name.len()) / 3).max(1) + 1;
    candidates
        .iter()
        .filter(|c| c.len().abs_diff(name.len()) <= allowed(c))
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, c)| *d <= allowed(c) && *d < c.len().max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.as_str())
}

/// "`a`, `b`, `c`".
pub fn backticked(items: &[String]) -> String {
    items.iter().map(|x| format!("`{x}`")).collect::<Vec<_>>().join(", ")
}

/// The fixture scenario every unit test of the engine shares (`tests/fixtures/engine.ron`).
#[cfg(test)]
pub(crate) fn fixture() -> Scenario {
    match parse(include_str!("../../tests/fixtures/engine.ron"), "tests/fixtures/engine.ron") {
        Ok(scenario) => scenario,
        Err(err) => panic!("the fixture scenario must load: {err}"),
    }
}
