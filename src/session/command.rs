//! Volunteer commands: one clap multicall enum is the command table, the parser, the help text and the
//! completion list.

use super::limits::{MAX_TEXT, MAX_TITLE, shorten};
use crate::scenario::closest;
use clap::{CommandFactory, Parser, error::ErrorKind};
use std::fmt;

/// A volunteer command, parsed.
#[derive(Parser, Debug, Clone, PartialEq)]
#[command(multicall = true, disable_help_subcommand = true, color = clap::ColorChoice::Never)]
pub enum Command {
    /// List the commands, or explain one: `help logs` (`?` works too)
    #[command(alias = "?")]
    Help {
        /// Command to explain.
        command: Option<String>,
    },
    /// Dashboard: health, traffic, errors and latency of every service
    Status,
    /// Alerts that are firing or fired recently
    Alerts,
    /// A service's metrics with sparklines: `metrics web signups_per_min --since 2h`
    Metrics {
        /// Service.
        service: String,
        /// One metric to show in detail.
        metric: Option<String>,
        /// How far back to look (default 1h).
        #[arg(long)]
        since: Option<String>,
        /// Resolution of the table (default: about 12 rows).
        #[arg(long)]
        step: Option<String>,
    },
    /// Log lines: `logs auth --grep signup --level warn --since 30m --tail 20`
    Logs {
        /// Service (all services when omitted).
        service: Option<String>,
        /// Only lines containing this text (quote text with spaces).
        #[arg(long)]
        grep: Option<String>,
        /// Only lines matching this regular expression.
        #[arg(long)]
        regex: Option<String>,
        /// Only lines at or above this level: debug, info, warn, error.
        #[arg(long)]
        level: Option<String>,
        /// How far back to look (default 30m).
        #[arg(long)]
        since: Option<String>,
        /// How many of the newest matching lines (default 20).
        #[arg(long)]
        tail: Option<usize>,
    },
    /// What a service calls and what calls it; the whole graph without a service
    Deps {
        /// Service (the whole dependency graph when omitted).
        service: Option<String>,
    },
    /// Recent deploys, config changes and flag flips, newest first
    Changes {
        /// How far back to look (default 24h).
        #[arg(long)]
        since: Option<String>,
    },
    /// SLOs: SLI, error budget left, burn rates and the severity they imply: `slo auth`
    Slo {
        /// Service (all SLOs when omitted).
        service: Option<String>,
    },
    /// PromQL over the metrics: `query max by (service) (error_rate)`; series are per-minute gauges
    Query {
        /// The expression; series are metrics with labels `service` and `kind`.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        expr: Vec<String>,
    },
    /// Feature flags and their values
    Flags,
    /// Configuration values of a service
    Config {
        /// Service.
        service: String,
    },
    /// List runbooks, or read one: `runbook rollback`
    Runbook {
        /// Runbook name.
        name: Option<String>,
    },
    /// Messages from people: chat and support tickets
    Inbox,
    /// Support tickets only
    Tickets,
    /// Declare an incident: `declare sev2 Signups failing`
    Declare {
        /// Severity: sev1 (critical) to sev4 (low).
        severity: String,
        /// Incident title (at most 200 characters).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        title: Vec<String>,
    },
    /// Take or assign a role: `role ic Alex` (ic, ol, cl)
    Role {
        /// ic (Incident Commander), ol (Operations Lead) or cl (Communications Lead).
        role: String,
        /// Who takes it (default: you; at most 200 characters).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        name: Vec<String>,
    },
    /// Post a status update to stakeholders
    Update {
        /// The update (at most 2000 characters).
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        text: Vec<String>,
    },
    /// Add a note to the incident record
    Note {
        /// The note (at most 2000 characters).
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        text: Vec<String>,
    },
    /// Take an action: `mitigate <action> [<target>]` (`help mitigate` lists this system's actions)
    Mitigate {
        /// Action.
        action: String,
        /// Service or flag it acts on.
        target: Option<String>,
    },
    /// State what you believe the cause is
    Diagnose {
        /// The diagnosis (at most 2000 characters).
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        text: Vec<String>,
    },
    /// Ask for a hint (costs points)
    Hint,
    /// Let simulated time pass: `wait 5m`
    Wait {
        /// How long: 30s, 5m, 1h.
        duration: String,
    },
    /// Current simulated time
    Time,
    /// Clear the screen; the drill and its clock go on
    Clear,
    /// Declare the incident resolved and end the drill
    Resolve,
    /// End the drill now (`exit` works too)
    #[command(alias = "exit")]
    Quit,
}

impl Command {
    /// The command word.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Help { .. } => "help",
            Command::Status => "status",
            Command::Alerts => "alerts",
            Command::Metrics { .. } => "metrics",
            Command::Logs { .. } => "logs",
            Command::Deps { .. } => "deps",
            Command::Changes { .. } => "changes",
            Command::Slo { .. } => "slo",
            Command::Query { .. } => "query",
            Command::Flags => "flags",
            Command::Config { .. } => "config",
            Command::Runbook { .. } => "runbook",
            Command::Inbox => "inbox",
            Command::Tickets => "tickets",
            Command::Declare { .. } => "declare",
            Command::Role { .. } => "role",
            Command::Update { .. } => "update",
            Command::Note { .. } => "note",
            Command::Mitigate { .. } => "mitigate",
            Command::Diagnose { .. } => "diagnose",
            Command::Hint => "hint",
            Command::Wait { .. } => "wait",
            Command::Time => "time",
            Command::Clear => "clear",
            Command::Resolve => "resolve",
            Command::Quit => "quit",
        }
    }

    /// Whether the command shows simulated telemetry, the only output that counts as finding evidence
    /// (runbooks, hints and action results are written by the scenario author and would give it away).
    pub fn shows_telemetry(&self) -> bool {
        matches!(
            self,
            Command::Status
                | Command::Alerts
                | Command::Metrics { .. }
                | Command::Logs { .. }
                | Command::Deps { .. }
                | Command::Changes { .. }
                | Command::Flags
                | Command::Slo { .. }
                | Command::Query { .. }
                | Command::Config { .. }
                | Command::Inbox
                | Command::Tickets
        )
    }

    /// Whether the first line of its output repeats what the volunteer typed (a search pattern, a query),
    /// which must not count as finding evidence.
    pub fn echoes_input(&self) -> bool {
        matches!(self, Command::Logs { .. } | Command::Query { .. })
    }

    /// The first argument, which triggers may match on (`logs users-db` → `users-db`).
    pub fn target(&self) -> Option<String> {
        match self {
            Command::Metrics { service, .. } | Command::Config { service } => Some(service.clone()),
            Command::Deps { service } => service.clone(),
            Command::Logs { service, .. } | Command::Slo { service } => service.clone(),
            Command::Runbook { name, .. } => name.clone(),
            Command::Role { role, .. } => Some(role.to_ascii_lowercase()),
            Command::Mitigate { target, .. } => target.clone(),
            _ => None,
        }
    }
}

/// What a line turned into.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    /// Nothing typed.
    Empty,
    /// A command.
    Command(Command),
    /// `<cmd> --help`: the text to show.
    Help(String),
}

/// Every command word with its one-line summary, in table order.
pub fn command_summaries() -> Vec<(String, String)> {
    Command::command()
        .get_subcommands()
        .map(|c| (c.get_name().to_string(), c.get_about().map(|a| a.to_string()).unwrap_or_default()))
        .collect()
}

/// The long help of one command, or `None` if there is no such command.
pub fn command_help(name: &str) -> Option<String> {
    let mut root = Command::command();
    let sub = root.find_subcommand_mut(name)?;
    Some(sub.render_help().to_string())
}

/// Parses one line typed by the volunteer.
pub fn parse(line: &str) -> Result<Parsed, CommandError> {
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return Ok(Parsed::Empty);
    }
    // Free text keeps apostrophes: fall back to plain words when quotes do not balance.
    let words = shlex::split(trimmed).unwrap_or_else(|| trimmed.split_whitespace().map(str::to_string).collect());
    let word = words.first().cloned().unwrap_or_default();
    let command = match Command::try_parse_from(&words) {
        Ok(command) => command,
        Err(err) => return usage_error(&word, err),
    };
    let command = keep_raw_text(command, trimmed);
    check_text_length(&command)?;
    Ok(Parsed::Command(command))
}

/// Free text is bounded so one line cannot bloat the record and the debrief.
fn check_text_length(command: &Command) -> Result<(), CommandError> {
    let (text, max, what) = match command {
        Command::Update { text } | Command::Note { text } | Command::Diagnose { text } => (text, MAX_TEXT, "text"),
        Command::Declare { title, .. } => (title, MAX_TITLE, "title"),
        Command::Role { name, .. } => (name, MAX_TITLE, "name"),
        _ => return Ok(()),
    };
    let len: usize = text.iter().map(|t| t.chars().count()).sum();
    if len <= max {
        return Ok(());
    }
    Err(CommandError {
        word: command.name().to_string(),
        kind: CommandErrorKind::Usage {
            message: format!("the {what} has {len} characters; at most {max} are kept, so say it in fewer"),
        },
    })
}

fn usage_error(word: &str, err: clap::Error) -> Result<Parsed, CommandError> {
    let kind = match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            return Ok(Parsed::Help(err.render().to_string()));
        }
        ErrorKind::InvalidSubcommand | ErrorKind::UnknownArgument if !is_command(word) => {
            let names: Vec<String> = command_summaries().into_iter().map(|(n, _)| n).collect();
            CommandErrorKind::UnknownCommand { suggestion: closest(word, &names).map(str::to_string) }
        }
        ErrorKind::MissingRequiredArgument => {
            let rendered = err.render().to_string();
            let missing: Vec<&str> = rendered.lines().skip(1).map(str::trim).take_while(|l| !l.is_empty()).collect();
            let usage = rendered.lines().find_map(|l| l.trim().strip_prefix("Usage: ")).unwrap_or(word);
            CommandErrorKind::Usage { message: format!("missing {}; usage: {usage}", missing.join(" ")) }
        }
        _ => {
            let rendered = err.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            let message = first.trim_start_matches("error: ").to_string();
            CommandErrorKind::Usage { message }
        }
    };
    Err(CommandError { word: shorten(word, 64), kind })
}

fn is_command(word: &str) -> bool {
    Command::command().find_subcommand(word).is_some()
}

/// Free-text arguments keep the line exactly as typed rather than clap's re-joined words.
fn keep_raw_text(command: Command, line: &str) -> Command {
    match command {
        Command::Update { .. } => Command::Update { text: vec![rest_after(line, 1)] },
        Command::Note { .. } => Command::Note { text: vec![rest_after(line, 1)] },
        Command::Diagnose { .. } => Command::Diagnose { text: vec![rest_after(line, 1)] },
        Command::Query { .. } => Command::Query { expr: vec![rest_after(line, 1)] },
        Command::Declare { severity, title } if !title.is_empty() => {
            Command::Declare { severity, title: vec![rest_after(line, 2)] }
        }
        Command::Role { role, name } if !name.is_empty() => Command::Role { role, name: vec![rest_after(line, 2)] },
        other => other,
    }
}

/// The text after the first `n` whitespace-separated words.
fn rest_after(line: &str, n: usize) -> String {
    let mut rest = line.trim_start();
    for _ in 0..n {
        rest = rest.trim_start();
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest = &rest[end..];
    }
    rest.trim().to_string()
}

/// A command that cannot run: the command word and what is wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct CommandError {
    /// The command word typed.
    pub word: String,
    /// What is wrong.
    pub kind: CommandErrorKind,
}

/// What is wrong with a command.
#[derive(Clone, Debug, PartialEq)]
pub enum CommandErrorKind {
    /// No such command.
    UnknownCommand { suggestion: Option<String> },
    /// Arguments do not fit the command.
    Usage { message: String },
    /// A name that is not one of the candidates (service, metric, runbook, action, target, role…).
    Unknown { what: &'static str, name: String, candidates: Vec<String> },
    /// An action needs a target.
    MissingTarget { action: String, candidates: Vec<String> },
    /// A duration that does not parse.
    BadDuration { message: String },
    /// The drill has ended.
    Ended,
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use CommandErrorKind::*;
        match &self.kind {
            UnknownCommand { suggestion: Some(s) } => {
                write!(f, "unknown command `{}`; did you mean `{s}`? (`help` lists the commands)", self.word)
            }
            UnknownCommand { suggestion: None } => {
                write!(f, "unknown command `{}` (`help` lists the commands)", self.word)
            }
            Usage { message } => write!(f, "{}: {message} (see `help {}`)", self.word, self.word),
            Unknown { what, name, candidates } => {
                write!(f, "{}: no {what} `{name}`", self.word)?;
                if let Some(best) = closest(name, candidates) {
                    write!(f, "; did you mean `{best}`?")?;
                }
                if !candidates.is_empty() {
                    write!(f, " ({}: {})", plural(what), candidates.join(", "))?;
                }
                Ok(())
            }
            MissingTarget { action, candidates } => {
                write!(f, "{}: `{action}` needs a target: {}", self.word, candidates.join(", "))
            }
            BadDuration { message } => write!(f, "{}: {message}", self.word),
            Ended => write!(f, "the drill has ended"),
        }
    }
}

impl std::error::Error for CommandError {}

fn plural(noun: &str) -> String {
    match noun.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{noun}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_table_matches_the_scenario_vocabulary() {
        let mut names: Vec<String> = command_summaries().into_iter().map(|(n, _)| n).collect();
        names.sort();
        let known: Vec<String> = crate::scenario::VOLUNTEER_COMMANDS.iter().map(|s| s.to_string()).collect();
        assert_eq!(names, known);
    }

    #[test]
    fn free_text_is_kept_verbatim() {
        let parsed = parse("update It's   broken -- rolling back").unwrap();
        assert_eq!(parsed, Parsed::Command(Command::Update { text: vec!["It's   broken -- rolling back".into()] }));
        let parsed = parse("declare sev2 Signups \"down\"").unwrap();
        assert_eq!(
            parsed,
            Parsed::Command(Command::Declare { severity: "sev2".into(), title: vec!["Signups \"down\"".into()] })
        );
    }

    #[test]
    fn quoted_grep_is_one_argument() {
        let parsed = parse("logs auth --grep \"null value\" --tail 3").unwrap();
        let Parsed::Command(Command::Logs { grep, tail, .. }) = parsed else { panic!("not logs") };
        assert_eq!(grep.as_deref(), Some("null value"));
        assert_eq!(tail, Some(3));
    }

    #[test]
    fn errors_are_one_line_with_suggestions() {
        let err = parse("stauts").unwrap_err();
        assert_eq!(err.to_string(), "unknown command `stauts`; did you mean `status`? (`help` lists the commands)");
        let err = parse("metrics").unwrap_err();
        assert!(!err.to_string().contains('\n'), "{err}");
        assert!(err.to_string().starts_with("metrics: "), "{err}");
        assert!(matches!(parse("logs --help").unwrap(), Parsed::Help(_)));
        assert_eq!(parse("   ").unwrap(), Parsed::Empty);
    }
}
