//! Proving a scenario solvable: play its walkthrough and judge where the incident ends up.

use super::{Drill, EndReason, EventKind, score};
use crate::scenario::{Phase, Scenario};
use std::fmt;
use std::sync::Arc;

/// A walkthrough that left the incident mitigated or resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Solved {
    /// Where the incident ended up.
    pub phase: Phase,
    /// Points scored.
    pub total: i64,
    /// Points available.
    pub max: i64,
}

impl fmt::Display for Solved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "walkthrough leaves the incident {}, scoring {}/{}", phase_words(self.phase), self.total, self.max)
    }
}

/// Plays a scenario's walkthrough with seed 1; fails if a step is refused or users are still hurt at the end.
pub fn check_walkthrough(scenario: Arc<Scenario>) -> Result<Solved, String> {
    let mut drill = Drill::start(scenario.clone(), 1);
    for (n, line) in scenario.walkthrough.iter().enumerate() {
        let range = drill.respond(line);
        let refused = drill.events()[range].iter().find_map(|e| match &e.kind {
            EventKind::Rejected { error, .. } => Some(error.clone()),
            _ => None,
        });
        if let Some(err) = refused {
            return Err(format!("walkthrough step {} `{line}` was refused: {err}", n + 1));
        }
    }
    drill.finish(EndReason::EndOfInput);
    let phase = drill.sim().phase();
    if !matches!(phase, Phase::Mitigated | Phase::Resolved) {
        return Err(format!("the walkthrough leaves the incident {}", phase_words(phase)));
    }
    let card = score(drill.scenario(), drill.events());
    Ok(Solved { phase, total: card.total, max: card.max })
}

fn phase_words(phase: Phase) -> &'static str {
    match phase {
        Phase::Normal => "not yet started",
        Phase::Impact => "still hurting users",
        Phase::Mitigated => "mitigated",
        Phase::Resolved => "resolved",
    }
}
