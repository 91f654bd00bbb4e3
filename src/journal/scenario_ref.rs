//! Naming the scenario a journal was played on, hashing its content and loading it back.

use super::record::ScenarioRef;
use crate::scenario::{Scenario, builtin, load_file};
use std::path::Path;

/// SHA-256 of the scenario's parsed content (so reformatting or comments do not count as a change).
pub fn scenario_hash(scenario: &Scenario) -> String {
    scenario.content_hash()
}

impl ScenarioRef {
    /// Names `scenario`, loaded from `path` (absolute) or built in.
    pub fn new(scenario: &Scenario, path: Option<&Path>) -> ScenarioRef {
        ScenarioRef {
            id: scenario.meta.id.clone(),
            path: path.map(|p| p.display().to_string()),
            hash: scenario_hash(scenario),
        }
    }
}

/// Loads the scenario a journal names, as it is now; the caller compares its hash with the header's.
pub fn load_scenario(reference: &ScenarioRef) -> Result<Scenario, String> {
    match &reference.path {
        Some(path) => load_file(Path::new(path)).map_err(|e| e.to_string()),
        None => match builtin(&reference.id) {
            Some(loaded) => loaded.map_err(|e| e.to_string()),
            None => Err(format!("this wom has no built-in scenario `{}`", reference.id)),
        },
    }
}
