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
    /// For a scenario with chance: the scores of the walkthrough over [`CHANCE_SEEDS`] seeds, in seed order.
    pub spread: Vec<i64>,
}

/// How many seeds `wom check` plays a scenario with chance over (seeds 1 to this).
pub const CHANCE_SEEDS: u64 = 20;

impl fmt::Display for Solved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "walkthrough leaves the incident {}, scoring {}/{}", phase_words(self.phase), self.total, self.max)?;
        let mut sorted = self.spread.clone();
        sorted.sort_unstable();
        if let (Some(lo), Some(hi)) = (sorted.first(), sorted.last()) {
            let median = sorted[sorted.len() / 2];
            write!(f, "; by chance, {lo} to {hi} over seeds 1 to {} (median {median})", sorted.len())?;
        }
        Ok(())
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
    /// With this seed (a scenario with chance is played over several), the walkthrough fails.
    OnSeed {
        /// The seed.
        seed: u64,
        /// How.
        why: Box<Unsolved>,
    },
}

impl fmt::Display for Unsolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unsolved::Refused { step, line, error } => {
                write!(f, "walkthrough step {step} `{line}` was refused: {error}")
            }
            Unsolved::EndsIn(phase) => write!(f, "the walkthrough leaves the incident {}", phase_words(*phase)),
            Unsolved::OnSeed { seed, why } => write!(f, "with seed {seed}, {why}"),
        }
    }
}

impl std::error::Error for Unsolved {}

/// Plays a scenario's walkthrough with seed 1; fails if a step is refused or users are still hurt at the end.
/// A scenario with chance is also played with seeds 2 to [`CHANCE_SEEDS`], each of which must pass too, and
/// the spread of its scores is reported.
pub fn check_walkthrough(scenario: Arc<Scenario>) -> Result<Solved, Unsolved> {
    let mut solved = play_walkthrough(scenario.clone(), 1)?;
    if scenario.has_chance() {
        solved.spread.push(solved.total);
        for seed in 2..=CHANCE_SEEDS {
            let other = play_walkthrough(scenario.clone(), seed)
                .map_err(|why| Unsolved::OnSeed { seed, why: Box::new(why) })?;
            solved.spread.push(other.total);
        }
    }
    Ok(solved)
}

fn play_walkthrough(scenario: Arc<Scenario>, seed: u64) -> Result<Solved, Unsolved> {
    let mut drill = Drill::start(scenario.clone(), seed);
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
    Ok(Solved { phase, total: card.total, max: card.max, spread: Vec::new() })
}

fn phase_words(phase: Phase) -> &'static str {
    match phase {
        Phase::Normal => "not yet started",
        Phase::Impact => "still hurting users",
        Phase::Mitigated => "mitigated",
        Phase::Resolved => "resolved",
    }
}
