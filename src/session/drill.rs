//! A drill in progress: volunteer commands in, events out.

use super::command::{Command, CommandError, CommandErrorKind, Parsed, command_help, command_summaries, parse};
use super::event::{DrillEvent, EndReason, EventKind, Role};
use super::limits::{MAX_LINE, escape_controls, line_too_long, shorten};
use super::observe::{self, LogsArgs, duration_arg};
use super::text::{Doc, Line, Style, clock_label, offset_label};
use crate::scenario::{Channel, Scenario, Severity, SimDuration};
use crate::sim::{Input, Sim, SimEvent};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::Arc;

/// Longest single `wait`.
const MAX_WAIT: i64 = 6 * 3600;

/// One Wheel of Misfortune drill: the simulation, what the volunteer has done, and the event stream.
pub struct Drill {
    scenario: Arc<Scenario>,
    sim: Sim,
    seed: u64,
    events: Vec<DrillEvent>,
    record: Record,
}

/// What the volunteer has established so far (derived from events as they happen).
#[derive(Debug, Default)]
struct Record {
    declared: Option<Severity>,
    roles: BTreeMap<Role, String>,
    hints: usize,
    evidence: BTreeSet<String>,
    inbox: Vec<(i64, String, Channel, String)>,
    fired: BTreeMap<String, i64>,
    resolved_alerts: Vec<(String, i64, i64)>,
    ended: Option<EndReason>,
}

/// The result of one command: its domain events, its output, its cost in simulated time.
struct Outcome {
    doc: Doc,
    events: Vec<EventKind>,
    cost: i64,
    input: Option<Input>,
    ends: Option<EndReason>,
}

impl Outcome {
    fn show(doc: Doc, cost: i64) -> Outcome {
        Outcome { doc, events: Vec::new(), cost, input: None, ends: None }
    }
}

impl Drill {
    /// Starts a drill: simulates the history up to the page and pages the volunteer.
    pub fn start(scenario: Arc<Scenario>, seed: u64) -> Drill {
        let sim = Sim::new(scenario.clone(), seed);
        let mut drill = Drill { scenario, sim, seed, events: Vec::new(), record: Record::default() };
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

    /// Whether the drill has ended.
    pub fn is_over(&self) -> bool {
        self.record.ended.is_some()
    }

    /// Why the drill ended, if it has.
    pub fn end_reason(&self) -> Option<EndReason> {
        self.record.ended
    }

    /// Runs a read-only telemetry command (`status`, `logs`, `query`…) and returns what it would show,
    /// without recording it or letting time pass: for observers, tools and benchmarks.
    pub fn preview(&self, line: &str) -> Result<Doc, CommandError> {
        let command = match parse(line)? {
            Parsed::Command(command) if command.shows_telemetry() => command,
            _ => {
                return Err(CommandError {
                    word: line.split_whitespace().next().unwrap_or("").to_string(),
                    kind: CommandErrorKind::Usage { message: "only telemetry commands can be previewed".into() },
                });
            }
        };
        self.execute(&command).map(|outcome| outcome.doc)
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
                self.push(now, EventKind::Command { line: line.trim().to_string(), name, target: None });
                self.push(now, EventKind::Output { doc: text_doc(&text) });
            }
            Err(err) => self.push(now, EventKind::Rejected { line: rejected(line), error: err.to_string() }),
            Ok(Parsed::Command(command)) => match self.execute(&command) {
                Err(err) => self.push(now, EventKind::Rejected { line: rejected(line), error: err.to_string() }),
                Ok(outcome) => self.apply(line.trim(), &command, outcome),
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
            self.record.ended = Some(reason);
            self.push(self.now(), EventKind::Ended { reason });
        }
    }

    fn apply(&mut self, line: &str, command: &Command, outcome: Outcome) {
        let now = self.now();
        tracing::debug!(t = now, command = command.name(), cost = outcome.cost, "command");
        let (name, target) = (command.name().to_string(), command.target());
        self.push(now, EventKind::Command { line: line.to_string(), name, target });
        for kind in outcome.events {
            self.push(now, kind);
        }
        if command.shows_telemetry() {
            let skip = usize::from(command.echoes_input());
            self.spot_evidence(&Doc(outcome.doc.0[skip.min(outcome.doc.0.len())..].to_vec()));
        }
        self.push(now, EventKind::Output { doc: outcome.doc });
        self.sim.input(Input::Command {
            command: command.name().to_string(),
            target: command.target(),
            line: line.to_string(),
        });
        if let Some(input) = outcome.input {
            // An action lands when it completes, not when it is typed.
            self.sim.input_at(now + outcome.cost, input);
        }
        if outcome.cost > 0 {
            self.sim.advance(outcome.cost);
            self.push(self.now(), EventKind::Clock { from: now, to: self.now() });
            self.collect_sim_events();
        }
        if let Some(reason) = outcome.ends {
            self.finish(reason);
        }
    }

    fn budget_lines(&self) -> Vec<super::event::BudgetLine> {
        let now = self.now();
        self.sim
            .slos()
            .slos
            .iter()
            .map(|run| {
                let what = run.describe();
                super::event::BudgetLine {
                    slo: format!("{} {what} {:.2}%", run.service, run.target * 100.0),
                    during_drill: run.burned_between(1, now),
                    whole_run: run.burned_between(i64::MIN, now),
                    remaining: run.budget_remaining(),
                }
            })
            .collect()
    }

    fn push(&mut self, t: i64, kind: EventKind) {
        self.record_kind(t, &kind);
        self.events.push(DrillEvent { seq: self.events.len() as u64, t, kind });
    }

    /// Keeps the running record in step with the stream.
    fn record_kind(&mut self, t: i64, kind: &EventKind) {
        let r = &mut self.record;
        match kind {
            EventKind::Declared { severity, .. } => r.declared = Some(*severity),
            EventKind::RoleTaken { role, name } => {
                r.roles.insert(*role, name.clone());
            }
            EventKind::Hint { .. } => r.hints += 1,
            EventKind::EvidenceFound { id } => {
                r.evidence.insert(id.clone());
            }
            EventKind::Message { from, channel, text } => r.inbox.push((t, from.clone(), *channel, text.clone())),
            EventKind::AlertFired { name, .. } => {
                r.fired.insert(name.clone(), t);
            }
            EventKind::AlertResolved { name } => {
                let fired = r.fired.remove(name).unwrap_or(t);
                r.resolved_alerts.push((name.clone(), fired, t));
            }
            EventKind::Ended { reason } => r.ended = Some(*reason),
            _ => {}
        }
    }

    fn collect_sim_events(&mut self) {
        for event in self.sim.take_events() {
            // State changes are hidden truth: diagnostics during play name only what the volunteer sees.
            if !matches!(event, SimEvent::StateEntered { .. }) {
                tracing::trace!(?event, "simulation event");
            }
            let (t, kind) = match event {
                SimEvent::StateEntered { t, track, state, phase } => {
                    (t, EventKind::StateEntered { track, state, phase })
                }
                SimEvent::AlertFired { t, name, service, severity, summary } => {
                    (t, EventKind::AlertFired { name, service, severity, summary })
                }
                SimEvent::AlertResolved { t, name } => (t, EventKind::AlertResolved { name }),
                SimEvent::MessageArrived { t, from, channel, text } => (t, EventKind::Message { from, channel, text }),
            };
            self.push(t, kind);
        }
    }

    /// Evidence counts as found when the volunteer's own output shows it.
    fn spot_evidence(&mut self, doc: &Doc) {
        let text = doc.plain_text().to_lowercase();
        let found: Vec<String> = self
            .scenario
            .rubric
            .evidence
            .iter()
            .filter(|e| !self.record.evidence.contains(&e.id) && text.contains(&e.seen.to_lowercase()))
            .map(|e| e.id.clone())
            .collect();
        for id in found {
            self.push(self.now(), EventKind::EvidenceFound { id });
        }
    }

    /// Simulated seconds a command costs: the scenario's override, else the default for its kind.
    fn cost(&self, name: &str) -> i64 {
        if let Some(d) = self.scenario.costs.get(name) {
            return d.secs();
        }
        match name {
            "status" | "changes" | "slo" | "diagnose" | "declare" | "hint" => 30,
            "alerts" | "deps" | "flags" | "config" | "inbox" | "tickets" => 20,
            "metrics" | "logs" | "query" | "runbook" | "update" => 60,
            "role" | "note" => 10,
            "mitigate" => 120,
            _ => 0,
        }
    }

    fn execute(&self, command: &Command) -> Result<Outcome, CommandError> {
        let name = command.name();
        let cost = self.cost(name);
        let sim = &self.sim;
        let show = |doc: Doc| Ok(Outcome::show(doc, cost));
        match command {
            Command::Help { command } => self.help(command.as_deref()).map(|doc| Outcome::show(doc, 0)),
            Command::Status => show(observe::status(sim)),
            Command::Alerts => show(observe::alerts(sim, &self.record.resolved_alerts)),
            Command::Metrics { service, metric, since, step } => {
                let since = duration_arg(name, since.as_deref(), 3600)?;
                let step = step.as_deref().map(|s| duration_arg(name, Some(s), 60)).transpose()?;
                show(observe::metrics(sim, service, metric.as_deref(), since, step)?)
            }
            Command::Logs { service, grep, regex, level, since, tail } => {
                let regex = regex
                    .as_deref()
                    .map(|r| {
                        regex::Regex::new(r).map_err(|e| CommandError {
                            word: name.into(),
                            kind: CommandErrorKind::Usage {
                                message: format!(
                                    "bad --regex: {}",
                                    e.to_string().lines().last().unwrap_or("").trim_start_matches("error: ")
                                ),
                            },
                        })
                    })
                    .transpose()?;
                let args = LogsArgs {
                    service: service.as_deref(),
                    grep: grep.as_deref(),
                    regex,
                    level: level.as_deref().map(observe::level_arg).transpose()?,
                    since: duration_arg(name, since.as_deref(), 1800)?,
                    tail: tail.unwrap_or(20).min(observe::MAX_TAIL),
                };
                show(observe::logs(sim, &args)?)
            }
            Command::Deps { service: Some(service) } => show(observe::deps(sim, service)?),
            Command::Deps { service: None } => show(observe::topology(sim)),
            Command::Changes { since } => show(observe::changes(sim, duration_arg(name, since.as_deref(), 86_400)?)),
            Command::Flags => show(observe::flags(sim)),
            Command::Slo { service } => show(observe::slo(sim, service.as_deref())?),
            Command::Query { expr } => show(observe::query(sim, &expr.join(" "))?),
            Command::Config { service } => show(observe::config(sim, service)?),
            Command::Runbook { name } => show(observe::runbook(&self.scenario, name.as_deref())?),
            Command::Inbox => show(observe::inbox(sim.page_time_of_day(), &self.record.inbox, None)),
            Command::Tickets => show(observe::inbox(sim.page_time_of_day(), &self.record.inbox, Some(Channel::Ticket))),
            Command::Clear => show(Doc::new()),
            Command::Time => show(Doc::line(Line::plain(format!(
                "It is {} ({}); the page came at {}.",
                clock_label(sim.page_time_of_day(), sim.now()),
                offset_label(sim.now()),
                clock_label(sim.page_time_of_day(), 0)
            )))),
            Command::Declare { severity, title } => self.declare(severity, &title.join(" "), cost),
            Command::Role { role, name } => self.role(role, &name.join(" "), cost),
            Command::Update { text } => {
                let n = self.events.iter().filter(|e| matches!(e.kind, EventKind::StatusUpdate { .. })).count() + 1;
                let mut outcome = Outcome::show(
                    Doc::line(Line::styled(
                        Style::Good,
                        format!("Update #{n} posted to #incident and the status page."),
                    )),
                    cost,
                );
                outcome.events.push(EventKind::StatusUpdate { text: text.join(" ") });
                Ok(outcome)
            }
            Command::Note { text } => {
                let mut outcome = Outcome::show(Doc::line(Line::plain("Noted.")), cost);
                outcome.events.push(EventKind::Note { text: text.join(" ") });
                Ok(outcome)
            }
            Command::Mitigate { action, target } => self.mitigate(action, target.as_deref()),
            Command::Diagnose { text } => {
                let mut outcome = Outcome::show(
                    Doc::line(Line::plain("Diagnosis recorded; the debrief compares it with what really happened.")),
                    cost,
                );
                outcome.events.push(EventKind::Diagnosis { text: text.join(" ") });
                Ok(outcome)
            }
            Command::Hint => Ok(self.hint(cost)),
            Command::Wait { duration } => {
                let secs = duration_arg(name, Some(duration), 0)?;
                if secs > MAX_WAIT {
                    return Err(CommandError {
                        word: name.into(),
                        kind: CommandErrorKind::BadDuration {
                            message: format!("wait at most {} at a time", SimDuration(MAX_WAIT)),
                        },
                    });
                }
                let until = clock_label(sim.page_time_of_day(), sim.now() + secs);
                show(Doc::line(Line::plain(format!("Waiting {} until {until}.", SimDuration(secs)))))
                    .map(|o| Outcome { cost: secs, ..o })
            }
            Command::Resolve => {
                let mut outcome = Outcome::show(
                    Doc::line(Line::styled(
                        Style::Good,
                        format!("Incident resolved at {}.", clock_label(sim.page_time_of_day(), sim.now())),
                    )),
                    0,
                );
                outcome.ends = Some(EndReason::Resolved);
                Ok(outcome)
            }
            Command::Quit => {
                let mut outcome = Outcome::show(Doc::line(Line::plain("Ending the drill.")), 0);
                outcome.ends = Some(EndReason::Quit);
                Ok(outcome)
            }
        }
    }

    fn help(&self, command: Option<&str>) -> Result<Doc, CommandError> {
        let Some(name) = command else {
            let mut rows = Vec::new();
            for (name, about) in command_summaries() {
                rows.push(vec![(Style::Heading, name), (Style::Plain, about)]);
            }
            let mut doc = super::text::table(rows);
            doc.push(Line::styled(Style::Dim, "`help <command>` explains one. Commands take simulated time."));
            return Ok(doc);
        };
        let text = command_help(name).ok_or_else(|| CommandError {
            word: "help".into(),
            kind: CommandErrorKind::Unknown {
                what: "command",
                name: name.to_string(),
                candidates: command_summaries().into_iter().map(|(n, _)| n).collect(),
            },
        })?;
        let mut doc = text_doc(&text);
        if name == "mitigate" {
            doc.push(Line::styled(Style::Heading, "Actions:"));
            let rows = self
                .scenario
                .actions
                .iter()
                .map(|a| {
                    let targets =
                        if a.targets.is_empty() { String::new() } else { format!("({})", a.targets.join(", ")) };
                    vec![
                        (Style::Plain, format!("  {}", a.id)),
                        (Style::Plain, a.summary.clone()),
                        (Style::Dim, targets),
                    ]
                })
                .collect();
            doc.extend(super::text::table(rows));
        }
        Ok(doc)
    }

    fn declare(&self, severity: &str, title: &str, cost: i64) -> Result<Outcome, CommandError> {
        let sev = parse_severity(severity).ok_or_else(|| CommandError {
            word: "declare".into(),
            kind: CommandErrorKind::Unknown {
                what: "severity",
                name: severity.to_string(),
                candidates: Severity::ALL.iter().map(|s| s.label().to_lowercase()).collect(),
            },
        })?;
        let title = if title.is_empty() { "untitled incident".to_string() } else { title.to_string() };
        let text = match self.record.declared {
            Some(old) if old != sev => format!("Severity changed from {} to {}: {title}", old.label(), sev.label()),
            Some(_) => format!("Incident already declared as {}: {title}", sev.label()),
            None => format!(
                "Incident declared: {} \"{title}\" at {}.",
                sev.label(),
                clock_label(self.sim.page_time_of_day(), self.now())
            ),
        };
        let mut outcome = Outcome::show(Doc::line(Line::styled(Style::Warn, text)), cost);
        outcome.events.push(EventKind::Declared { severity: sev, title });
        Ok(outcome)
    }

    fn role(&self, role: &str, name: &str, cost: i64) -> Result<Outcome, CommandError> {
        let role = match role.to_ascii_lowercase().as_str() {
            "ic" | "commander" | "incident-commander" => Role::IncidentCommander,
            "ol" | "ops" | "operations" | "operations-lead" => Role::OperationsLead,
            "cl" | "comms" | "communications" | "communications-lead" => Role::CommunicationsLead,
            _ => {
                return Err(CommandError {
                    word: "role".into(),
                    kind: CommandErrorKind::Unknown {
                        what: "role",
                        name: role.to_string(),
                        candidates: Role::ALL.iter().map(|r| r.short().to_string()).collect(),
                    },
                });
            }
        };
        let name = if name.is_empty() { "you".to_string() } else { name.to_string() };
        let verb = if name == "you" || name == "me" { "You are".to_string() } else { format!("{name} is") };
        let mut outcome = Outcome::show(Doc::line(Line::plain(format!("{verb} {}.", role.title()))), cost);
        outcome.events.push(EventKind::RoleTaken { role, name });
        Ok(outcome)
    }

    fn mitigate(&self, action: &str, target: Option<&str>) -> Result<Outcome, CommandError> {
        let s = &self.scenario;
        let error = |kind| CommandError { word: "mitigate".into(), kind };
        let spec = s.actions.iter().find(|a| a.id == action).ok_or_else(|| {
            error(CommandErrorKind::Unknown {
                what: "action",
                name: action.to_string(),
                candidates: s.actions.iter().map(|a| a.id.clone()).collect(),
            })
        })?;
        let target = match (target, spec.targets.is_empty()) {
            (None, false) => {
                return Err(error(CommandErrorKind::MissingTarget {
                    action: action.into(),
                    candidates: spec.targets.clone(),
                }));
            }
            (Some(t), false) if !spec.targets.iter().any(|x| x == t) => {
                return Err(error(CommandErrorKind::Unknown {
                    what: "target",
                    name: t.into(),
                    candidates: spec.targets.clone(),
                }));
            }
            (Some(t), true) => {
                return Err(error(CommandErrorKind::Usage {
                    message: format!("`{action}` takes no target, not `{t}`"),
                }));
            }
            (t, _) => t.map(str::to_string),
        };
        let cost = spec.cost.map_or_else(|| self.cost("mitigate"), |d| d.secs());
        let result = spec.result.replace("{target}", target.as_deref().unwrap_or(""));
        let mut outcome = Outcome::show(Doc::line(Line::plain(result)), cost);
        outcome.events.push(EventKind::Action { action: action.to_string(), target: target.clone() });
        outcome.input = Some(Input::Action { action: action.to_string(), target });
        Ok(outcome)
    }

    fn hint(&self, cost: i64) -> Outcome {
        let n = self.record.hints;
        match self.scenario.hints.get(n) {
            Some(hint) => {
                let mut outcome = Outcome::show(
                    Doc::line(
                        Line::styled(Style::Warn, format!("Hint {} of {}: ", n + 1, self.scenario.hints.len()))
                            .push(Style::Plain, hint.text.clone()),
                    ),
                    cost,
                );
                outcome.events.push(EventKind::Hint { number: n + 1, text: hint.text.clone() });
                outcome
            }
            None => Outcome::show(Doc::line(Line::plain("No more hints.")), 0),
        }
    }
}

/// `sev2`, `SEV-2`, `2`, `critical` … → a severity.
pub fn parse_severity(text: &str) -> Option<Severity> {
    let t = text.to_ascii_lowercase().replace(['-', '_'], "");
    match t.trim_start_matches("sev") {
        "1" | "critical" => Some(Severity::Sev1),
        "2" | "major" => Some(Severity::Sev2),
        "3" | "minor" => Some(Severity::Sev3),
        "4" | "low" | "warning" => Some(Severity::Sev4),
        _ => None,
    }
}

/// A refused line as the record keeps it: short enough that refusals cannot bloat the debrief.
fn rejected(line: &str) -> String {
    shorten(line.trim(), 200)
}

fn text_doc(text: &str) -> Doc {
    let mut doc = Doc::new();
    for line in text.trim_end().lines() {
        doc.plain(line);
    }
    doc
}
