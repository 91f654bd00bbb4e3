//! `wom check`: prove a scenario solvable (play its walkthrough and judge where the incident ends up) and
//! lint it. Every finding, error or warning, carries a rule id (`scenario::RULES`) and `file:line:col`.

use super::score::score_record;
use super::{Drill, EndReason, EventKind};
use crate::scenario::{
    Phase, Rule, RuleSeverity, Scenario, ScenarioError, SpanIndex, ValuePath, error_rule, line_col, lint, parse, rules,
};
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
    /// Every step ran, but the incident ended in this phase, with its track in this state.
    EndsIn {
        /// Where the incident stands.
        phase: Phase,
        /// The incident track.
        track: String,
        /// Its state after the last step.
        state: String,
        /// 1-based number of the last step.
        step: usize,
        /// The last step as written.
        line: String,
    },
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
            Unsolved::EndsIn { phase, track, state, line, .. } => write!(
                f,
                "the walkthrough leaves the incident {}: track `{track}` is in state `{state}` after the last step `{line}`",
                phase_words(*phase)
            ),
            Unsolved::OnSeed { seed, why } => write!(f, "with seed {seed}, {why}"),
        }
    }
}

impl std::error::Error for Unsolved {}

impl Unsolved {
    /// The 1-based walkthrough step it points at.
    pub fn step(&self) -> usize {
        match self {
            Unsolved::Refused { step, .. } | Unsolved::EndsIn { step, .. } => *step,
            Unsolved::OnSeed { why, .. } => why.step(),
        }
    }

    /// The rule it is reported under.
    pub fn rule(&self) -> &'static Rule {
        match self {
            Unsolved::Refused { .. } => &rules::WALKTHROUGH_REFUSED,
            Unsolved::EndsIn { .. } => &rules::WALKTHROUGH_UNSOLVED,
            Unsolved::OnSeed { why, .. } => why.rule(),
        }
    }
}

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
        let (track, state) = drill.sim().gm_states().into_iter().next().map(|(t, s, ..)| (t, s)).unwrap_or_default();
        let step = scenario.walkthrough.len();
        let line = scenario.walkthrough.last().cloned().unwrap_or_default();
        return Err(Unsolved::EndsIn { phase, track, state, step, line });
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
    /// Where the state is defined.
    pub at: ValuePath,
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
    for (t, track) in scenario.tracks.iter().enumerate() {
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
        for (j, state) in track.states.iter().enumerate().filter(|(_, s)| !seen.contains(s.id.as_str())) {
            let mut triggers = Vec::new();
            for tr in track.states.iter().flat_map(|s| &s.transitions).filter(|tr| tr.to == state.id) {
                gm_names(&tr.when, &mut triggers);
            }
            if !triggers.is_empty() {
                let at = ValuePath::root().field("tracks").index(t).field("states").index(j).field("id");
                found.push(GmOnly { track: track.id.clone(), state: state.id.clone(), triggers, at });
            }
        }
    }
    found
}

/// One finding of `wom check`: its rule, where and what.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The rule.
    pub rule: &'static Rule,
    /// The file as named.
    pub path: String,
    /// 1-based line and column, when the finding has a place in the text.
    pub position: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, col)) => write!(f, "{}:{line}:{col}: ", self.path)?,
            None => write!(f, "{}: ", self.path)?,
        }
        let r = self.rule;
        write!(f, "{}[{} {}]: {}", r.severity.label(), r.id, r.name, self.message)
    }
}

/// What `wom check` found in one scenario: its findings in file order, and the walkthrough's verdict when it
/// was played.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckReport {
    /// Errors and warnings, in file order (a walkthrough's failure last).
    pub findings: Vec<Finding>,
    /// The walkthrough's verdict, when the scenario loaded and its walkthrough passed.
    pub solved: Option<Solved>,
}

impl CheckReport {
    /// How many findings have this severity.
    pub fn count(&self, severity: RuleSeverity) -> usize {
        self.findings.iter().filter(|f| f.rule.severity == severity).count()
    }

    /// Whether the scenario passes: it loads, its walkthrough solves it, and nothing is an error.
    pub fn passed(&self) -> bool {
        self.solved.is_some() && self.count(RuleSeverity::Error) == 0
    }

    /// A scenario that could not be read or loaded.
    pub fn failed(err: &ScenarioError) -> CheckReport {
        let finding = Finding {
            rule: error_rule(&err.kind),
            path: err.path.clone(),
            position: err.position,
            message: err.kind.to_string(),
        };
        CheckReport { findings: vec![finding], solved: None }
    }
}

/// Checks the scenario whose RON text is `text` (named `path` in findings): loads it, lints it and plays
/// its walkthrough.
pub fn check_source(text: &str, path: &str) -> CheckReport {
    let scenario = match parse(text, path) {
        Ok(scenario) => scenario,
        Err(err) => return CheckReport::failed(&err),
    };
    let spans = SpanIndex::of(text);
    let finding = |rule: &'static Rule, at: &ValuePath, message: String| Finding {
        rule,
        path: path.to_string(),
        position: Some(line_col(text, spans.offset(at))),
        message,
    };
    let mut findings: Vec<Finding> = lint(&scenario).into_iter().map(|l| finding(l.rule, &l.at, l.message)).collect();
    findings
        .extend(gm_only_states(&scenario).into_iter().map(|g| finding(&rules::GM_ONLY_STATE, &g.at, g.to_string())));
    findings.sort_by_key(|f| f.position);
    let solved = match check_walkthrough(Arc::new(scenario)) {
        Ok(solved) => Some(solved),
        Err(why) => {
            let at = ValuePath::root().field("walkthrough").index(why.step().saturating_sub(1));
            findings.push(finding(why.rule(), &at, why.to_string()));
            None
        }
    };
    CheckReport { findings, solved }
}
