//! Scenarios compiled into the binary so `wom play` works from any directory.

use super::{Scenario, ScenarioError, parse};

/// Id of the scenario `wom play` runs when none is named.
pub const DEFAULT_SCENARIO: &str = "signup-not-null";

/// Built-in scenarios: (id, file name, RON text).
pub const BUILTIN: &[(&str, &str, &str)] = &[
    ("signup-not-null", "scenarios/signup-not-null.ron", include_str!("../../scenarios/signup-not-null.ron")),
    (
        "api-pool-exhaustion",
        "scenarios/api-pool-exhaustion.ron",
        include_str!("../../scenarios/api-pool-exhaustion.ron"),
    ),
];

/// Loads a built-in scenario by id.
pub fn builtin(id: &str) -> Option<Result<Scenario, ScenarioError>> {
    BUILTIN.iter().find(|(name, _, _)| *name == id).map(|(_, path, text)| parse(text, &format!("<builtin>/{path}")))
}
