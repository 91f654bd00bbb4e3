//! One function per command: what each volunteer command shows, which events it records, what it costs.
//!
//! [`run`] dispatches a parsed command to its function with one `match`; each function reads the drill
//! through a [`Context`] and returns an [`Outcome`] that the drill applies (records, advances time). Nothing
//! here mutates the drill, so `Drill::preview` can run telemetry commands without recording them.
//! Telemetry commands live in `telemetry.rs`, incident-handling commands in `incident.rs`, commands about
//! the drill itself (`help`, `time`, `clear`, `wait`, `resolve`, `quit`) in `control.rs`.

mod control;
mod diagnostic;
mod incident;
mod telemetry;
mod tools;

pub use incident::{CHANNEL, parse_severity};

use super::command::{Command, CommandError};
use super::event::{EndReason, EventKind};
use super::record::Record;
use super::text::Doc;
use crate::scenario::{CommandSpec, Scenario};
use crate::sim::{Input, Sim};

/// What a command reads: the scenario, the simulation and the record of the drill so far.
pub(super) struct Context<'a> {
    /// The scenario (hidden truth included; a command must not show it).
    pub scenario: &'a Scenario,
    /// The simulation.
    pub sim: &'a Sim,
    /// What the event stream says so far.
    pub record: &'a Record,
    /// The command's row of the command table.
    pub spec: &'static CommandSpec,
    /// Who typed it, in a hosted drill.
    pub speaker: Option<&'a str>,
}

impl Context<'_> {
    /// Simulated seconds the command costs: the scenario's override, else the table's default.
    pub fn cost(&self) -> i64 {
        self.scenario.costs.get(self.spec.name).map_or_else(|| self.spec.default_secs(), |d| d.secs())
    }

    /// When the tool answering this command went stale, if it is stale: its answers stop there.
    pub fn stale_since(&self) -> Option<i64> {
        self.sim.tools().for_command(self.spec.name, None).and_then(|(_, _, since)| since)
    }

    /// Shows `doc` at the command's cost.
    pub fn show(&self, doc: Doc) -> Outcome {
        Outcome::show(doc, self.cost())
    }
}

/// The result of one command: its output, its domain events, its cost in simulated time.
pub(super) struct Outcome {
    /// What the volunteer sees.
    pub doc: Doc,
    /// Events the command records (a declaration, an action…).
    pub events: Vec<EventKind>,
    /// Simulated seconds it takes.
    pub cost: i64,
    /// What lands in the simulation, and when (an action, or each stage of one).
    pub landings: Vec<Landing>,
    /// Set when the command ends the drill.
    pub ends: Option<EndReason>,
    /// What an action visibly does when it lands, on which service (see `session/routine.rs`).
    pub routine: Option<(String, Vec<crate::scenario::Effect>)>,
    /// Set when a degraded tool did not answer: the command showed nothing it could count as evidence.
    pub unanswered: bool,
}

impl Outcome {
    /// Output only.
    pub fn show(doc: Doc, cost: i64) -> Outcome {
        Outcome { doc, events: Vec::new(), cost, landings: Vec::new(), ends: None, routine: None, unanswered: false }
    }

    /// Also records `event`.
    pub fn with(mut self, event: EventKind) -> Outcome {
        self.events.push(event);
        self
    }
}

/// Something an action does in the simulation: an input landing `after` seconds from when it was typed, and
/// what the tool reports then (a stage's report; none for an action that lands whole).
pub(super) struct Landing {
    /// Seconds after the command was typed.
    pub after: i64,
    /// What triggers see.
    pub input: Input,
    /// The event the volunteer sees when it lands.
    pub report: Option<EventKind>,
}

/// Runs one command against the drill as it stands.
pub(super) fn run(cx: &Context, command: &Command, target: Option<&str>) -> Result<Outcome, CommandError> {
    let audience = match command {
        Command::Update { to, .. } => to.as_deref(),
        _ => None,
    };
    tools::through_tool(cx, target, audience, || dispatch(cx, command))
}

fn dispatch(cx: &Context, command: &Command) -> Result<Outcome, CommandError> {
    use Command::*;
    match command {
        Help { command } => control::help(cx, command.as_deref()),
        Status => Ok(telemetry::status(cx)),
        Alerts { all } => Ok(telemetry::alerts(cx, *all)),
        Metrics { service, metric, since, step } => {
            telemetry::metrics(cx, service, metric.as_deref(), since.as_deref(), step.as_deref())
        }
        Logs { service, grep, regex, level, since, tail } => telemetry::logs(
            cx,
            telemetry::LogsQuery {
                service: service.as_deref(),
                grep: grep.as_deref(),
                regex: regex.as_deref(),
                level: level.as_deref(),
                since: since.as_deref(),
                tail: *tail,
            },
        ),
        Deps { service } => telemetry::deps(cx, service.as_deref()),
        Changes { since } => telemetry::changes(cx, since.as_deref()),
        Slo { service } => telemetry::slo(cx, service.as_deref()),
        Query { precise, expr } => telemetry::query(cx, &expr.join(" "), *precise),
        Flags => Ok(telemetry::flags(cx)),
        Config { service } => telemetry::config(cx, service),
        Runbook { name } => incident::runbook(cx, name.as_deref()),
        Inbox => Ok(telemetry::inbox(cx)),
        Tickets => Ok(telemetry::tickets(cx)),
        Run { diagnostic, target } => diagnostic::run(cx, diagnostic, target.as_deref()),
        Declare { severity, title } => incident::declare(cx, severity, &title.join(" ")),
        Role { role, name } => incident::role(cx, role, &name.join(" ")),
        Update { to, text } => incident::update(cx, to.as_deref(), &text.join(" ")),
        Note { text } => Ok(incident::note(cx, &text.join(" "))),
        // The question goes to the GM's queue, which the drill keeps: `Drill::ask` answers it.
        Ask { .. } => Ok(cx.show(Doc::new())),
        Mitigate { action, target, arg } => incident::mitigate(cx, action, target.as_deref(), arg.as_deref()),
        Diagnose { text } => Ok(incident::diagnose(cx, &text.join(" "))),
        Ack { alert } => incident::ack(cx, alert),
        Silence { alert, duration } => incident::silence(cx, alert, duration),
        Escalate { team, .. } | Page { team, .. } => incident::escalate(cx, team),
        Reply { to, text } => incident::reply(cx, to, &text.join(" ")),
        FiveW { question, answer } => incident::five_w(cx, question, &answer.join(" ")),
        Hint => Ok(incident::hint(cx)),
        Wait { duration } => control::wait(cx, duration),
        Time => Ok(control::time(cx)),
        Clear => Ok(control::clear(cx)),
        Resolve => Ok(control::resolve(cx)),
        Quit => Ok(control::quit(cx)),
    }
}
