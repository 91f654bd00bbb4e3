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

/// A state that only a live GM can bring about: every way into it waits for a `Gm("...")` trigger that has
/// no `auto` time, so in solo play it never happens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GmOnly {
    /// The track.
    pub track: String,
    /// The state.
    pub state: String,
    /// The GM triggers on the transitions into it.
    pub triggers: Vec<String>,
}

impl fmt::Display for GmOnly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.triggers.iter().map(|t| format!("`{t}`")).collect();
        write!(
            f,
            "state `{}.{}` is reached only through GM trigger {} with no `auto` time: only a live GM can bring it about",
            self.track,
            self.state,
            names.join(" or ")
        )
    }
}

/// The states of `scenario` that only a live GM can reach (reachability over the transitions that can fire
/// without one: the volunteer's actions, time, metrics, and GM triggers with an `auto` time).
pub fn gm_only_states(scenario: &Scenario) -> Vec<GmOnly> {
    use crate::scenario::Trigger;
    use std::collections::{BTreeSet, VecDeque};
    let auto: BTreeSet<&str> =
        scenario.gm.injects.iter().filter(|i| i.auto.is_some()).map(|i| i.name.as_str()).collect();
    fn needs_gm(t: &Trigger, auto: &BTreeSet<&str>) -> bool {
        match t {
            Trigger::Gm(name) => !auto.contains(name.as_str()),
            Trigger::All(inner) => inner.iter().any(|t| needs_gm(t, auto)),
            Trigger::Any(inner) => !inner.is_empty() && inner.iter().all(|t| needs_gm(t, auto)),
            _ => false,
        }
    }
    fn gm_names(t: &Trigger, out: &mut Vec<String>) {
        match t {
            Trigger::Gm(name) if !out.contains(name) => out.push(name.clone()),
            Trigger::All(inner) | Trigger::Any(inner) => inner.iter().for_each(|t| gm_names(t, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    for track in &scenario.tracks {
        let mut seen = BTreeSet::from([track.initial.as_str()]);
        let mut queue = VecDeque::from([track.initial.as_str()]);
        while let Some(id) = queue.pop_front() {
            let Some(state) = track.states.iter().find(|s| s.id == id) else { continue };
            for tr in state.transitions.iter().filter(|tr| !needs_gm(&tr.when, &auto)) {
                if seen.insert(tr.to.as_str()) {
                    queue.push_back(tr.to.as_str());
                }
            }
        }
        for state in track.states.iter().filter(|s| !seen.contains(s.id.as_str())) {
            let mut triggers = Vec::new();
            for tr in track.states.iter().flat_map(|s| &s.transitions).filter(|tr| tr.to == state.id) {
                gm_names(&tr.when, &mut triggers);
            }
            if !triggers.is_empty() {
                found.push(GmOnly { track: track.id.clone(), state: state.id.clone(), triggers });
            }
        }
    }
    found
}
