//! The responders' own tools in the format: which volunteer commands a tool (dashboards, the log search,
//! chat, the status page) answers, what serves it, and how states degrade it: slow, stale, partial or
//! unavailable.

use super::SimDuration;
use serde::{Deserialize, Serialize};

/// One of the responders' tools.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    /// Name shown when it is degraded (`dashboards`, `log search`).
    pub id: String,
    /// The volunteer commands it answers (`metrics`, `status`, `query`, `logs`, `inbox`…).
    pub commands: Vec<String>,
    /// A service it runs on: while that service is down the tool is unavailable (unless a `when` says
    /// otherwise).
    #[serde(default)]
    pub served_by: Option<String>,
    /// With `commands: ["update"]`: the audience (`update --to <audience>`) it posts to, e.g. a status page
    /// whose admin console can fail; without it the tool answers every `update`.
    #[serde(default)]
    pub audience: Option<String>,
    /// How it behaves in given states; the first entry whose `during` holds a current state wins.
    #[serde(default)]
    pub when: Vec<ToolCondition>,
}

/// How a tool behaves while any of some states is current.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ToolCondition {
    /// States (any track).
    pub during: Vec<String>,
    /// How it behaves.
    pub mode: ToolMode,
}

/// A degraded tool.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub enum ToolMode {
    /// Works normally.
    Working,
    /// Answers, but each command takes this much longer.
    Slow(SimDuration),
    /// Answers with data only up to the moment it went stale (`metrics`, `logs`); alert rules it
    /// evaluates stop changing.
    Stale,
    /// Answers only about some services; these get "no data".
    Partial(Vec<String>),
    /// Does not answer; the volunteer is told why (e.g. "502 Bad Gateway from the edge").
    Unavailable(String),
}
