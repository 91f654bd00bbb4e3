//! Scenarios compiled into the binary so `wom play` works from any directory.

use super::{Scenario, ScenarioError, parse};

/// Id of the scenario `wom play` runs when none is named.
pub const DEFAULT_SCENARIO: &str = "signup-outage";

/// Built-in scenarios: (id, file name, RON text).
pub const BUILTIN: &[(&str, &str, &str)] = &[
    ("signup-outage", "scenarios/signup-outage.ron", include_str!("../../scenarios/signup-outage.ron")),
    ("api-timeouts", "scenarios/api-timeouts.ron", include_str!("../../scenarios/api-timeouts.ron")),
    (
        "cloudflare-waf-2019",
        "scenarios/cloudflare-waf-2019.ron",
        include_str!("../../scenarios/cloudflare-waf-2019.ron"),
    ),
    ("aws-s3-2017", "scenarios/aws-s3-2017.ron", include_str!("../../scenarios/aws-s3-2017.ron")),
];

/// Loads a built-in scenario by id.
pub fn builtin(id: &str) -> Option<Result<Scenario, ScenarioError>> {
    BUILTIN.iter().find(|(name, _, _)| *name == id).map(|(_, path, text)| parse(text, &format!("<builtin>/{path}")))
}
