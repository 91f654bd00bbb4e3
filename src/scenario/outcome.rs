//! Actions whose result depends on the state (succeeds, partial, fails, refused, with the reason) and take
//! effect in stages, and on-demand diagnostics (a profiler, a flame graph, `EXPLAIN`) whose output depends on
//! the state but which change nothing. Plain data, read from RON; `validate_outcomes` checks it.

use super::SimDuration;
use super::model::Trigger;
use serde::{Deserialize, Serialize};

/// What an action does while a condition holds: the first of an action's `outcomes` whose `when` holds
/// when the action is typed decides; without one, the action succeeds with its `result`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ActionOutcome {
    /// When this outcome applies, judged when the action is typed (e.g. `In("control-plane-down")`).
    pub when: Trigger,
    /// What happens.
    #[serde(default)]
    pub result: ActionResult,
    /// What the tool answers; `{target}` and `{arg}` are replaced. Empty: the action's own `result`.
    #[serde(default)]
    pub reply: String,
    /// Simulated time it takes (default: the action's cost).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<SimDuration>,
    /// The stages it lands in (default: the action's `stages`, for a success).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<Stage>,
}

/// How an action ends.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq)]
pub enum ActionResult {
    /// It does all it says, in one landing or in its stages.
    #[default]
    Succeeds,
    /// It does only this share of what it says (0 to 1): some members, part of the effect.
    Partial(f64),
    /// It runs, takes its time and fails with the reason given in `reply`: nothing lands.
    Fails,
    /// The tool refuses it with the reason given in `reply`: nothing runs, nothing lands.
    Refused,
}

impl ActionResult {
    /// The word the timeline and the debrief show.
    pub fn label(self) -> &'static str {
        match self {
            ActionResult::Succeeds => "succeeded",
            ActionResult::Partial(_) => "partial",
            ActionResult::Fails => "failed",
            ActionResult::Refused => "refused",
        }
    }

    /// Whether it is a plain success (left out of a stored event, so older journals read the same).
    pub fn is_success(&self) -> bool {
        *self == ActionResult::Succeeds
    }

    /// How much of the action is done once it has landed (0 when nothing lands).
    pub fn share(self) -> f64 {
        match self {
            ActionResult::Succeeds => 1.0,
            ActionResult::Partial(share) => share,
            ActionResult::Fails | ActionResult::Refused => 0.0,
        }
    }
}

/// One stage of an action: it lands `after` the action completes, having done `done` of it so far, and the
/// tool reports `report`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Time after the action's cost (the first stage usually `"0s"`).
    #[serde(default)]
    pub after: SimDuration,
    /// Share of the whole action done once this stage lands (0 to 1, rising stage by stage).
    pub done: f64,
    /// What the tool reports when the stage lands; `{target}` and `{arg}` are replaced.
    pub report: String,
}

/// A diagnostic the volunteer runs with `run <id> [<target>]`: output that depends on the state, evidence
/// each time it runs, no state change.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Diagnostic {
    /// The word `run` takes, e.g. `profile`.
    pub id: String,
    /// One line for `help run`.
    pub summary: String,
    /// Services it can run against; empty means it takes no target.
    #[serde(default)]
    pub targets: Vec<String>,
    /// Simulated time one run takes (default: the cost of `run`, 1m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<SimDuration>,
    /// What it prints: the first output whose `target` and `when` fit is shown.
    pub outputs: Vec<DiagnosticOutput>,
}

/// One possible output of a diagnostic.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DiagnosticOutput {
    /// Only for this target, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Only while this condition holds, when given (e.g. `In("regex-hot")`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Trigger>,
    /// The lines it prints; `{target}` is replaced.
    pub text: String,
}
