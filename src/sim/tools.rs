//! The responders' tools at run time: each tick `judge_tools` decides how every tool of the scenario's
//! `tools` behaves (the first `when` whose states are current, else unavailable while the service it runs on
//! is down), remembering when a tool went stale so its answers stop there.

use super::ServiceNames;
use super::components::{Health, ServiceIndex, SimClock};
use super::incident::Incident;
use crate::scenario::{Scenario, Tool, ToolMode};
use bevy_ecs::prelude::*;

/// How each tool behaves now, in the order of the scenario's `tools`.
#[derive(Resource, Debug, Default)]
pub struct ToolStatus {
    /// The declared tools.
    pub tools: Vec<Tool>,
    /// Index of each tool's `served_by` service.
    served_by: Vec<Option<u32>>,
    /// Each tool's mode now.
    pub modes: Vec<ToolMode>,
    /// When each tool went stale, while it is.
    pub stale_since: Vec<Option<i64>>,
}

impl ToolStatus {
    /// The tools of a scenario, all working.
    pub fn new(s: &Scenario, names: &ServiceNames) -> ToolStatus {
        let n = s.tools.len();
        ToolStatus {
            tools: s.tools.clone(),
            served_by: s.tools.iter().map(|t| t.served_by.as_ref().and_then(|x| names.index.get(x).copied())).collect(),
            modes: vec![ToolMode::Working; n],
            stale_since: vec![None; n],
        }
    }

    /// The tool answering `command` (for `update`, to `audience`) and how it behaves, if a tool answers it.
    pub fn for_command(&self, command: &str, audience: Option<&str>) -> Option<(&str, &ToolMode, Option<i64>)> {
        let i = self.tools.iter().position(|t| {
            t.commands.iter().any(|c| c == command) && t.audience.as_deref().is_none_or(|a| Some(a) == audience)
        })?;
        Some((&self.tools[i].id, &self.modes[i], self.stale_since[i]))
    }

    /// How the tool named `id` behaves.
    pub fn mode_of(&self, id: &str) -> Option<&ToolMode> {
        self.tools.iter().position(|t| t.id == id).map(|i| &self.modes[i])
    }
}

/// Decides each tool's mode from the current states and the health of what serves it.
pub fn judge_tools(
    clock: Res<SimClock>,
    incident: Res<Incident>,
    services: Query<(&ServiceIndex, &Health)>,
    mut status: ResMut<ToolStatus>,
) {
    if status.tools.is_empty() {
        return;
    }
    let current: Vec<&str> = incident.tracks.iter().map(|t| t.states[t.current].id.as_str()).collect();
    let status = &mut *status;
    for (i, tool) in status.tools.iter().enumerate() {
        let declared = tool.when.iter().find(|c| c.during.iter().any(|d| current.contains(&d.as_str())));
        let mode = match (declared, status.served_by[i]) {
            (Some(c), _) => c.mode.clone(),
            (None, Some(host)) if services.iter().any(|(x, h)| x.0 == host && *h == Health::Down) => {
                ToolMode::Unavailable("no response (connection timed out)".to_string())
            }
            _ => ToolMode::Working,
        };
        status.stale_since[i] = match mode {
            ToolMode::Stale => Some(status.stale_since[i].unwrap_or(clock.tick)),
            _ => None,
        };
        status.modes[i] = mode;
    }
}
