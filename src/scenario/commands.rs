//! The command table: every volunteer command's facts, declared once.
//!
//! A scenario names commands (in `Command` triggers and `costs`), so the vocabulary lives here, below the
//! session that runs them. Each row says what a command costs, whether its output is simulated telemetry
//! (the only output that can show evidence), which argument triggers see as its target and what each
//! positional argument names (for completion). The session's clap enum gives the arguments, flags and help
//! text; a test keeps the two in step, and the doc table in `docs/scenario-format.md` is generated from both.

/// How a command's simulated time is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CostClass {
    /// Takes no simulated time; a scenario cannot give it a cost.
    Free,
    /// Takes exactly the time its argument gives (`wait 5m`); a scenario cannot give it a cost.
    Given,
    /// Takes this many seconds unless the scenario's `costs` says otherwise.
    Default(i64),
}

impl CostClass {
    /// Whether a scenario's `costs` may override it.
    pub fn overridable(self) -> bool {
        matches!(self, CostClass::Default(_))
    }
}

/// What a positional argument names: where completion finds its candidates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// A service id.
    Service,
    /// A metric of the service named before it.
    Metric,
    /// A runbook id.
    Runbook,
    /// A scenario action id.
    Action,
    /// One of the targets of the action named before it.
    ActionTarget,
    /// The argument of the action named before it (a percent, count, duration or choice).
    ActionArg,
    /// A scenario diagnostic id.
    Diagnostic,
    /// One of the targets of the diagnostic named before it.
    DiagnosticTarget,
    /// An incident role (`ic`, `ol`, `cl`).
    Role,
    /// A severity (`sev1` … `sev4`).
    Severity,
    /// A command word.
    Command,
    /// A PromQL expression (metric names, functions, aggregations).
    Expression,
    /// A duration (`30s`, `5m`).
    Duration,
    /// One of the 5 Ws (`what`, `where`, `why`, `when`, `who`).
    Question,
    /// A team to escalate to or page.
    Team,
    /// Free text.
    Text,
}

/// Which argument triggers see as a command's target (`logs users-db` → `users-db`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The value of this argument (the clap argument id), as typed.
    Arg(&'static str),
    /// The value of this argument, lowercased (roles: `role IC` and `role ic` are the same target).
    Folded(&'static str),
}

impl Target {
    /// The clap argument id.
    pub fn arg(self) -> &'static str {
        match self {
            Target::Arg(id) | Target::Folded(id) => id,
        }
    }
}

/// One command's facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandSpec {
    /// The command word.
    pub name: &'static str,
    /// Its simulated cost.
    pub cost: CostClass,
    /// Whether it shows simulated telemetry, the only output that counts as finding evidence (runbooks,
    /// hints and action results are written by the scenario author and would give it away).
    pub reads_telemetry: bool,
    /// Whether the first line of its output repeats what was typed (a search pattern, a query), which must
    /// not count as finding evidence.
    pub echoes_input: bool,
    /// The argument triggers match on, if any.
    pub target: Option<Target>,
    /// What each positional argument names, in order.
    pub args: &'static [ArgKind],
}

const fn spec(name: &'static str, cost: CostClass) -> CommandSpec {
    CommandSpec { name, cost, reads_telemetry: false, echoes_input: false, target: None, args: &[] }
}

const fn telemetry(name: &'static str, secs: i64) -> CommandSpec {
    CommandSpec { reads_telemetry: true, ..spec(name, CostClass::Default(secs)) }
}

impl CommandSpec {
    const fn target(self, target: Target) -> CommandSpec {
        CommandSpec { target: Some(target), ..self }
    }

    const fn args(self, args: &'static [ArgKind]) -> CommandSpec {
        CommandSpec { args, ..self }
    }

    const fn echoes(self) -> CommandSpec {
        CommandSpec { echoes_input: true, ..self }
    }

    /// Seconds the command takes unless a scenario overrides it (0 for free and given-time commands).
    pub fn default_secs(&self) -> i64 {
        match self.cost {
            CostClass::Default(secs) => secs,
            CostClass::Free | CostClass::Given => 0,
        }
    }
}

use ArgKind::*;
use CostClass::{Free, Given};
use Target::{Arg, Folded};

/// Every volunteer command, in the order `help` lists them. Adding a command: a row here, a variant in
/// `session::Command` (arguments, flags, help) and its function in `session::cmd`.
pub const COMMANDS: &[CommandSpec] = &[
    spec("help", Free).args(&[Command]),
    telemetry("status", 30),
    telemetry("alerts", 20),
    telemetry("metrics", 60).target(Arg("service")).args(&[Service, Metric]),
    telemetry("logs", 60).target(Arg("service")).args(&[Service]).echoes(),
    telemetry("deps", 20).target(Arg("service")).args(&[Service]),
    telemetry("changes", 30),
    telemetry("slo", 30).target(Arg("service")).args(&[Service]),
    telemetry("query", 60).args(&[Expression]).echoes(),
    telemetry("flags", 20),
    telemetry("config", 20).target(Arg("service")).args(&[Service]),
    spec("runbook", CostClass::Default(60)).target(Arg("name")).args(&[Runbook]),
    telemetry("inbox", 20),
    telemetry("tickets", 20),
    telemetry("run", 60).target(Arg("diagnostic")).args(&[Diagnostic, DiagnosticTarget]),
    spec("declare", CostClass::Default(30)).args(&[Severity, Text]),
    spec("role", CostClass::Default(10)).target(Folded("role")).args(&[Role, Text]),
    spec("update", CostClass::Default(60)).args(&[Text]),
    spec("note", CostClass::Default(10)).args(&[Text]),
    spec("ask", CostClass::Default(60)).args(&[Text]),
    spec("mitigate", CostClass::Default(120)).target(Arg("target")).args(&[Action, ActionTarget, ActionArg]),
    spec("diagnose", CostClass::Default(30)).args(&[Text]),
    spec("5w", CostClass::Default(20)).args(&[Question, Text]),
    // No completion for alerts and senders: the scenario's lists name alerts and people not seen yet.
    spec("ack", CostClass::Default(10)).target(Arg("alert")).args(&[Text]),
    spec("silence", CostClass::Default(10)).target(Arg("alert")).args(&[Text, Duration]),
    spec("reply", CostClass::Default(30)).target(Arg("to")).args(&[Text, Text]),
    spec("escalate", CostClass::Default(60)).target(Arg("team")).args(&[Team, Text]),
    spec("page", CostClass::Default(60)).target(Arg("team")).args(&[Team, Text]),
    spec("hint", CostClass::Default(30)),
    spec("wait", Given).args(&[Duration]),
    spec("time", Free),
    spec("clear", Free),
    spec("resolve", Free),
    spec("quit", Free),
];

/// The facts of one command, by word.
pub fn command_spec(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// Every command word, in table order.
pub fn command_names() -> Vec<String> {
    COMMANDS.iter().map(|c| c.name.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let mut names = command_names();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), COMMANDS.len());
    }

    #[test]
    fn echoing_commands_read_telemetry() {
        // Only telemetry output is searched for evidence, so an echo flag elsewhere would mean nothing.
        assert!(COMMANDS.iter().filter(|c| c.echoes_input).all(|c| c.reads_telemetry));
    }
}
