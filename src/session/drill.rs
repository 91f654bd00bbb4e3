//! A drill in progress: volunteer commands in, events out.

use super::cmd::{self, Context, Outcome};
use super::command::{CommandError, CommandErrorKind, Invocation, Parsed, parse};
use super::event::{BudgetLine, DrillEvent, EndReason, EventKind};
use super::limits::{MAX_LINE, escape_controls, line_too_long, shorten};
use super::record::Record;
use super::text::{Doc, text_doc};
use crate::scenario::Scenario;
use crate::sim::{Input, Sim, SimEvent};
use std::ops::Range;
use std::sync::Arc;

/// One Wheel of Misfortune drill: the simulation, what the volunteer has done, and the event stream.
pub struct Drill {
    pub(super) scenario: Arc<Scenario>,
    pub(super) sim: Sim,
    seed: u64,
    pub(super) events: Vec<DrillEvent>,
    pub(super) record: Record,
    /// The GM's controls and queues (`gm.rs`).
    pub(super) desk: super::gm::GmDesk,
    /// Who typed the line being handled, in a hosted drill.
    pub(super) speaker: Option<String>,
    /// What the tools will report as actions' stages land, by time.
    reports: Vec<(i64, EventKind)>,
}

impl Drill {
    /// Starts a solo drill: simulates the history up to the page and pages the volunteer; solo mode's
    /// automatic GM stands in for a person (scripted answers, self-firing injects, hint offers).
    pub fn start(scenario: Arc<Scenario>, seed: u64) -> Drill {
        let mut drill = Drill::start_quietly(scenario, seed);
        drill.schedule_auto_injects();
        drill
    }

    /// Starts a drill without solo mode's self-firing injects (a hosted drill has a person as GM).
    pub(super) fn start_quietly(scenario: Arc<Scenario>, seed: u64) -> Drill {
        let sim = Sim::new(scenario.clone(), seed);
        let record = Record::new(&scenario);
        let mut drill = Drill {
            scenario,
            sim,
            seed,
            events: Vec::new(),
            record,
            desk: Default::default(),
            speaker: None,
            reports: Vec::new(),
        };
        let briefing = drill.scenario.meta.briefing.clone();
        drill.push(0, EventKind::Started { seed, briefing });
        drill.collect_sim_events();
        drill
    }

    /// The scenario (hidden truth included: for the GM and the debrief).
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The seed of the drill's random streams.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Every event so far, hidden ones included.
    pub fn events(&self) -> &[DrillEvent] {
        &self.events
    }

    /// The simulation (hidden truth included).
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// Current simulated time.
    pub fn now(&self) -> i64 {
        self.sim.now()
    }

    /// What the event stream says so far: the fold the score and the debrief read too.
    pub fn record(&self) -> &Record {
        &self.record
    }

    /// Whether the drill has ended.
    pub fn is_over(&self) -> bool {
        self.record.is_over()
    }

    /// Why the drill ended, if it has.
    pub fn end_reason(&self) -> Option<EndReason> {
        self.record.ended.map(|(_, reason)| reason)
    }

    /// Runs a read-only telemetry command (`status`, `logs`, `query`…) and returns what it would show,
    /// without recording it or letting time pass: for observers, tools and benchmarks.
    pub fn preview(&self, line: &str) -> Result<Doc, CommandError> {
        let invocation = match parse(line)? {
            Parsed::Command(invocation) if invocation.spec.reads_telemetry => invocation,
            _ => {
                return Err(CommandError {
                    word: line.split_whitespace().next().unwrap_or("").to_string(),
                    kind: CommandErrorKind::Usage { message: "only telemetry commands can be previewed".into() },
                });
            }
        };
        self.execute(&invocation).map(|outcome| outcome.doc)
    }

    /// Handles one line typed by a named responder of a hosted drill; the transcript says who ran it.
    pub fn respond_as(&mut self, by: &str, line: &str) -> Range<usize> {
        self.speaker = Some(by.to_string());
        let range = self.respond(line);
        self.speaker = None;
        range
    }

    /// Handles one line typed by the volunteer; returns the range of events it produced.
    ///
    /// Control characters are escaped before anything else sees the line, so what is recorded, echoed and
    /// written into the debrief is always printable; a line over [`MAX_LINE`] bytes is refused whole.
    pub fn respond(&mut self, line: &str) -> Range<usize> {
        let start = self.events.len();
        let now = self.now();
        if line.len() > MAX_LINE {
            let shown = escape_controls(&shorten(line, 60));
            self.push(now, EventKind::Rejected { line: shown, error: line_too_long(line.len()) });
            return start..self.events.len();
        }
        let line = &escape_controls(line);
        if self.is_over() {
            let error = CommandError { word: String::new(), kind: CommandErrorKind::Ended }.to_string();
            self.push(now, EventKind::Rejected { line: line.to_string(), error });
            return start..self.events.len();
        }
        match parse(line) {
            Ok(Parsed::Empty) => {}
            Ok(Parsed::Help(text)) => {
                let name = line.split_whitespace().next().unwrap_or("help").to_string();
                let by = self.speaker.clone();
                self.push(now, EventKind::Command { by, line: line.trim().to_string(), name, target: None });
                self.push(now, EventKind::Output { doc: text_doc(&text) });
            }
            Err(err) => self.push(now, EventKind::Rejected { line: rejected(line), error: err.to_string() }),
            Ok(Parsed::Command(invocation)) => match self.execute(&invocation) {
                Err(err) => self.push(now, EventKind::Rejected { line: rejected(line), error: err.to_string() }),
                Ok(outcome) => self.apply(line.trim(), &invocation, outcome),
            },
        }
        start..self.events.len()
    }

    /// Ends the drill without a command (end of input, Ctrl-D); does nothing if it has ended.
    pub fn finish(&mut self, reason: EndReason) {
        if !self.is_over() {
            let slos = self.budget_lines();
            if !slos.is_empty() {
                self.push(self.now(), EventKind::BudgetReport { slos });
            }
            self.push(self.now(), EventKind::Ended { reason });
        }
    }

    fn execute(&self, invocation: &Invocation) -> Result<Outcome, CommandError> {
        let cx = Context {
            scenario: &self.scenario,
            sim: &self.sim,
            record: &self.record,
            spec: invocation.spec,
            speaker: self.speaker.as_deref(),
        };
        cmd::run(&cx, &invocation.command, invocation.target.as_deref())
    }

    fn apply(&mut self, line: &str, invocation: &Invocation, mut outcome: Outcome) {
        let now = self.now();
        let (name, target) = (invocation.name(), invocation.target.clone());
        tracing::debug!(t = now, command = name, cost = outcome.cost, "command");
        let by = self.speaker.clone();
        self.push(
            now,
            EventKind::Command { by, line: line.to_string(), name: name.to_string(), target: target.clone() },
        );
        for kind in std::mem::take(&mut outcome.events) {
            self.push(now, kind);
        }
        match &invocation.command {
            super::command::Command::Ask { question } => outcome.doc = self.ask(&question.join(" ")),
            super::command::Command::Escalate { team, text } => {
                outcome.doc = self.escalate(team, &text.join(" "), false)
            }
            super::command::Command::Page { team, text } => outcome.doc = self.escalate(team, &text.join(" "), true),
            _ => {}
        }
        // A GM's override replaces what this run shows (and so what it can count as evidence).
        if let Some(doc) = self.take_override(name) {
            outcome.doc = doc;
        }
        if invocation.spec.reads_telemetry && !outcome.unanswered {
            self.spot_evidence(&invocation.command, &outcome.doc, usize::from(invocation.spec.echoes_input));
        }
        self.push(now, EventKind::Output { doc: outcome.doc });
        self.sim.input(Input::Command { command: name.to_string(), target, line: line.to_string() });
        for landing in outcome.landings {
            // An action lands when it completes (each stage later still), not when it is typed.
            self.sim.input_at(now + landing.after, landing.input);
            if let Some(report) = landing.report {
                let at = self.reports.partition_point(|(t, _)| *t <= now + landing.after);
                self.reports.insert(at, (now + landing.after, report));
            }
        }
        if let Some((service, effects)) = outcome.routine {
            self.sim.routine_at(now + outcome.cost, &service, effects);
        }
        self.run_clock(outcome.cost);
        if let Some(reason) = outcome.ends {
            self.finish(reason);
        }
    }

    fn budget_lines(&self) -> Vec<BudgetLine> {
        let now = self.now();
        self.sim
            .slos()
            .slos
            .iter()
            .map(|run| {
                let what = run.describe();
                BudgetLine {
                    slo: format!("{} {what} {:.2}%", run.service, run.target * 100.0),
                    // `+ 0.0` turns a negative zero into zero: "-0.0%" reads as an error to people.
                    during_drill: run.burned_between(1, now) + 0.0,
                    whole_run: run.burned_between(i64::MIN, now) + 0.0,
                    remaining: run.budget_remaining() + 0.0,
                }
            })
            .collect()
    }

    pub(super) fn push(&mut self, t: i64, kind: EventKind) {
        let event = DrillEvent { seq: self.events.len() as u64, t, kind };
        self.record.apply(&event);
        self.events.push(event);
    }

    pub(super) fn collect_sim_events(&mut self) {
        let mut produced = Vec::new();
        for event in self.sim.take_events() {
            // State changes are hidden truth: diagnostics during play name only what the volunteer sees.
            if !matches!(event, SimEvent::StateEntered { .. }) {
                tracing::trace!(?event, "simulation event");
            }
            produced.push(match event {
                SimEvent::StateEntered { t, track, state, phase } => {
                    (t, EventKind::StateEntered { track, state, phase })
                }
                SimEvent::AlertFired { t, name, service, severity, summary } => {
                    (t, EventKind::AlertFired { name, service, severity, summary })
                }
                SimEvent::AlertResolved { t, name } => (t, EventKind::AlertResolved { name }),
                SimEvent::MessageArrived { t, from, channel, text } => (t, EventKind::Message { from, channel, text }),
                SimEvent::TimeSkipped { t, pass, say } => (t, EventKind::TimeSkipped { pass, say }),
            });
        }
        // Stage reports that are due go in time order with what the simulation produced, each before the
        // simulation's events of the same moment: the tool reports, then the system reacts.
        let due = self.reports.partition_point(|(t, _)| *t <= self.now());
        let mut reports = self.reports.drain(..due).collect::<Vec<_>>().into_iter().peekable();
        let mut merged = Vec::new();
        for (t, kind) in produced {
            while let Some(report) = reports.next_if(|(r, _)| *r <= t) {
                merged.push(report);
            }
            merged.push((t, kind));
        }
        merged.extend(reports);
        for (t, kind) in merged {
            self.push(t, kind);
        }
    }

    /// Evidence counts as found when one of the values the volunteer's own output shows contains it. Values
    /// are the spans a view is built from (a log message, a change summary, a table cell), never the
    /// rendered text, so padding, column widths and line wrapping cannot make or break a match; lines
    /// before `skip` repeat what was typed and do not count.
    fn spot_evidence(&mut self, command: &super::command::Command, doc: &Doc, skip: usize) {
        let values: Vec<String> =
            doc.0.iter().skip(skip).flat_map(|line| &line.0).map(|span| span.text.to_lowercase()).collect();
        let shown = |seen: &str| {
            let seen = seen.to_lowercase();
            values.iter().any(|v| v.contains(&seen))
        };
        let found: Vec<String> = self
            .scenario
            .rubric
            .evidence
            .iter()
            .filter(|e| !self.record.evidence.contains(&e.id))
            .filter(|e| {
                if e.observe.is_empty() {
                    shown(&e.seen)
                } else {
                    e.observe.iter().any(|o| super::observation::covers(&self.scenario, o, command, &values))
                }
            })
            .map(|e| e.id.clone())
            .collect();
        for id in found {
            self.push(self.now(), EventKind::EvidenceFound { id });
        }
    }
}

/// A refused line as the record keeps it: short enough that refusals cannot bloat the debrief.
fn rejected(line: &str) -> String {
    shorten(line.trim(), 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(drill: &Drill) -> Vec<String> {
        drill.record().evidence.iter().cloned().collect()
    }

    #[test]
    fn evidence_is_matched_within_one_value_the_output_shows() {
        let mut drill = Drill::start(Arc::new(crate::scenario::fixture()), 1);
        // The search pattern is echoed in the first line, which never counts; no db line matches it.
        drill.respond("logs db --grep \"column items.owner does not exist\"");
        assert!(found(&drill).is_empty(), "{:?}", found(&drill));
        // A runbook is not telemetry, whatever it says.
        drill.respond("runbook rollback");
        assert!(found(&drill).is_empty());
        drill.respond("logs api --level error --tail 1");
        assert_eq!(found(&drill), ["missing-column"]);
        drill.respond("changes");
        assert_eq!(found(&drill), ["deploy", "missing-column"]);
        let hidden = drill.events().iter().filter(|e| matches!(e.kind, EventKind::EvidenceFound { .. })).count();
        assert_eq!(hidden, 2, "each piece is found once");
    }
}
