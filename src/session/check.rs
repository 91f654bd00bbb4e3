//! Proving a scenario solvable: play its walkthrough and judge where the incident ends up.

use super::score::score_record;
use super::{Drill, EndReason, EventKind};
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

/// Why a walkthrough does not prove the scenario solvable.
#[derive(Clone, Debug, PartialEq)]
pub enum Unsolved {
    /// A step was refused.
    Refused {
        /// 1-based step number.
        step: usize,
        /// The step as written.
        line: String,
        /// Why it was refused.
        error: String,
    },
    /// Every step ran, but the incident ended in this phase.
    EndsIn(Phase),
}

impl fmt::Display for Unsolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unsolved::Refused { step, line, error } => {
                write!(f, "walkthrough step {step} `{line}` was refused: {error}")
            }
            Unsolved::EndsIn(phase) => write!(f, "the walkthrough leaves the incident {}", phase_words(*phase)),
        }
    }
}

impl std::error::Error for Unsolved {}

/// Plays a scenario's walkthrough with seed 1; fails if a step is refused or users are still hurt at the end.
pub fn check_walkthrough(scenario: Arc<Scenario>) -> Result<Solved, Unsolved> {
    let mut drill = Drill::start(scenario.clone(), 1);
    for (n, line) in scenario.walkthrough.iter().enumerate() {
        let range = drill.respond(line);
        let refused = drill.events()[range].iter().find_map(|e| match &e.kind {
            EventKind::Rejected { error, .. } => Some(error.clone()),
            _ => None,
        });
        if let Some(error) = refused {
            return Err(Unsolved::Refused { step: n + 1, line: line.clone(), error });
        }
    }
    drill.finish(EndReason::EndOfInput);
    let phase = drill.sim().phase();
    if !matches!(phase, Phase::Mitigated | Phase::Resolved) {
        return Err(Unsolved::EndsIn(phase));
    }
    let card = score_record(drill.scenario(), drill.record());
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
