//! Volunteer commands: one clap multicall enum is the command table, the parser, the help text and the
//! completion list.

use super::limits::{MAX_TEXT, MAX_TITLE, shorten};
use crate::scenario::{CommandSpec, CostClass, SimDuration, Target, closest, command_names, command_spec};
use clap::{CommandFactory, FromArgMatches, Parser, error::ErrorKind};
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
    /// Alerts that are firing or fired recently; `--all` lists every rule with its state
    Alerts {
        /// List every alert rule, firing, pending or inactive, grouped by service.
        #[arg(long)]
        all: bool,
    },
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
    /// PromQL over the series: `query sum(rate(http_requests_total[5m]))`; `--precise` prints every digit
    Query {
        /// Print values in full (shortest round-trip form) instead of four decimals.
        #[arg(long)]
        precise: bool,
        /// The expression: the drill's per-minute series (`error_rate{service,kind}`) and exporter-shaped
        /// ones (`http_requests_total{job,instance,code}`, `http_request_duration_seconds_bucket`, `up`).
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
    /// Run a diagnostic: `run profile edge` (`help run` lists this system's profilers, `EXPLAIN`s, dumps…)
    Run {
        /// The diagnostic.
        diagnostic: String,
        /// The service to run it against, if it takes one.
        target: Option<String>,
    },
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
    /// Post a status update to stakeholders: `update --to status-page Investigating …`
    Update {
        /// The audience (the scenario's, e.g. status-page or execs; default: the incident channel).
        #[arg(long, value_name = "AUDIENCE")]
        to: Option<String>,
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
    /// Ask the GM what the simulation does not model: `ask is the vendor's status page green?`
    Ask {
        /// The question (at most 2000 characters).
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        question: Vec<String>,
    },
    /// Take an action: `mitigate <action> [<target>] [<argument>]` (`help mitigate` lists this system's actions)
    Mitigate {
        /// Action.
        action: String,
        /// Service or flag it acts on (or, for an action without targets, its argument).
        target: Option<String>,
        /// The action's argument, if it takes one: a percent, a count, a duration or a choice.
        arg: Option<String>,
    },
    /// State what you believe the cause is
    Diagnose {
        /// The diagnosis (at most 2000 characters).
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        text: Vec<String>,
    },
    /// Record your answer to one of the 5 Ws: `5w who every new user`
    #[command(name = "5w")]
    FiveW {
        /// Which W: what, where, why, when or who.
        question: String,
        /// Your answer (at most 2000 characters).
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        answer: Vec<String>,
    },
    /// Acknowledge a firing alert, so others know someone is on it: `ack SignupsLow`
    Ack {
        /// The alert.
        alert: String,
    },
    /// Silence an alert for a while (it keeps firing, but stops paging): `silence DbSlow 30m`
    Silence {
        /// The alert.
        alert: String,
        /// For how long: 15m, 1h.
        duration: String,
    },
    /// Reply to someone who wrote to you: `reply Priya we are on it, next update by 14:30`
    Reply {
        /// Who (as the inbox names them).
        to: String,
        /// What to say (at most 2000 characters).
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        text: Vec<String>,
    },
    /// Ask another team for help: `escalate dba is users-db healthy?`
    Escalate {
        /// The team.
        team: String,
        /// What you ask (at most 2000 characters).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        text: Vec<String>,
    },
    /// Page another team's on-call (urgent): `page auth-team signups failing since 13:40`
    Page {
        /// The team.
        team: String,
        /// Why (at most 2000 characters).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
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

/// A parsed command with its row of the command table and its target.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// The command and its arguments.
    pub command: Command,
    /// Its facts.
    pub spec: &'static CommandSpec,
    /// The argument triggers match on (`logs users-db` → `users-db`), per the table.
    pub target: Option<String>,
}

impl Invocation {
    /// The command word.
    pub fn name(&self) -> &'static str {
        self.spec.name
    }
}

/// What a line turned into.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    /// Nothing typed.
    Empty,
    /// A command.
    Command(Invocation),
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

/// The command table as the scenario format reference prints it (Markdown), from `scenario::COMMANDS`
/// and the clap enum's summaries; a test keeps `docs/scenario-format.md` in step and a snapshot pins it.
pub fn command_table() -> String {
    let mut out = String::from(
        "| Command | Default cost | Telemetry | Target (for triggers) | What it does |\n|---|---|---|---|---|\n",
    );
    for ((name, about), spec) in command_summaries().into_iter().zip(crate::scenario::COMMANDS) {
        let cost = match spec.cost {
            CostClass::Free => "none".to_string(),
            CostClass::Given => "its argument".to_string(),
            CostClass::Default(secs) => SimDuration(secs).to_string(),
        };
        let telemetry = if spec.reads_telemetry { "yes" } else { "" };
        let target = match spec.target {
            None => String::new(),
            Some(Target::Arg(arg)) => format!("`<{arg}>`"),
            Some(Target::Folded(arg)) => format!("`<{arg}>`, lowercased"),
        };
        out.push_str(&format!("| `{name}` | {cost} | {telemetry} | {target} | {} |\n", about.replace('|', "\\|")));
    }
    out
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
    let matches = match Command::command().try_get_matches_from(&words) {
        Ok(matches) => matches,
        Err(err) => return usage_error(&word, err),
    };
    let command = match Command::from_arg_matches(&matches) {
        Ok(command) => command,
        Err(err) => return usage_error(&word, err),
    };
    let Some((name, args)) = matches.subcommand() else {
        return Err(unknown_command(&word));
    };
    // The table and the enum are kept in step by a test; a word missing from the table is not a command.
    let spec = command_spec(name).ok_or_else(|| unknown_command(&word))?;
    let target = spec.target.and_then(|t| {
        let value = args.try_get_one::<String>(t.arg()).ok().flatten()?;
        Some(match t {
            Target::Arg(_) => value.clone(),
            Target::Folded(_) => value.to_ascii_lowercase(),
        })
    });
    let command = keep_raw_text(command, trimmed);
    check_text_length(&command, spec.name)?;
    Ok(Parsed::Command(Invocation { command, spec, target }))
}

fn unknown_command(word: &str) -> CommandError {
    CommandError {
        word: shorten(word, 64),
        kind: CommandErrorKind::UnknownCommand { suggestion: closest(word, &command_names()).map(str::to_string) },
    }
}

/// Free text is bounded so one line cannot bloat the record and the debrief.
fn check_text_length(command: &Command, word: &str) -> Result<(), CommandError> {
    let (text, max, what) = match command {
        Command::Update { text, .. } | Command::Note { text } | Command::Diagnose { text } => (text, MAX_TEXT, "text"),
        Command::FiveW { answer, .. } => (answer, MAX_TEXT, "answer"),
        Command::Reply { text, .. } | Command::Escalate { text, .. } | Command::Page { text, .. } => {
            (text, MAX_TEXT, "text")
        }
        Command::Ask { question } => (question, MAX_TEXT, "question"),
        Command::Declare { title, .. } => (title, MAX_TITLE, "title"),
        Command::Role { name, .. } => (name, MAX_TITLE, "name"),
        _ => return Ok(()),
    };
    let len: usize = text.iter().map(|t| t.chars().count()).sum();
    if len <= max {
        return Ok(());
    }
    Err(CommandError {
        word: word.to_string(),
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
            return Err(unknown_command(word));
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
        Command::Update { to, .. } => {
            // `update --to x text` or `update --to=x text`: the text starts after the audience.
            let skip = match line.split_whitespace().nth(1) {
                Some("--to") => 3,
                Some(w) if w.starts_with("--to=") => 2,
                _ => 1,
            };
            Command::Update { to, text: vec![rest_after(line, skip)] }
        }
        Command::Note { .. } => Command::Note { text: vec![rest_after(line, 1)] },
        Command::Ask { .. } => Command::Ask { question: vec![rest_after(line, 1)] },
        Command::Diagnose { .. } => Command::Diagnose { text: vec![rest_after(line, 1)] },
        Command::FiveW { question, .. } => Command::FiveW { question, answer: vec![rest_after(line, 2)] },
        Command::Reply { to, .. } => Command::Reply { to, text: vec![rest_after(line, 2)] },
        Command::Escalate { team, text } if !text.is_empty() => {
            Command::Escalate { team, text: vec![rest_after(line, 2)] }
        }
        Command::Page { team, text } if !text.is_empty() => Command::Page { team, text: vec![rest_after(line, 2)] },
        // `--precise` comes before the expression, whose text is kept as typed.
        Command::Query { precise, .. } => {
            Command::Query { precise, expr: vec![rest_after(line, 1 + usize::from(precise))] }
        }
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
    /// The command makes no sense yet; says what has to come first.
    NotYet { why: String },
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
            NotYet { why } => write!(f, "{}: {why}", self.word),
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
    fn clap_enum_and_command_table_agree() {
        let names: Vec<String> = command_summaries().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, command_names(), "the clap enum and scenario::COMMANDS list the same words in order");
        let root = Command::command();
        for spec in crate::scenario::COMMANDS {
            let sub = root.find_subcommand(spec.name).expect("listed");
            let positionals = sub.get_positionals().count();
            assert_eq!(positionals, spec.args.len(), "`{}`: one ArgKind per positional argument", spec.name);
            if let Some(target) = spec.target {
                assert!(
                    sub.get_arguments().any(|a| a.get_id() == target.arg()),
                    "`{}`: its target `{}` is one of its arguments",
                    spec.name,
                    target.arg()
                );
            }
        }
    }

    fn command(line: &str) -> Invocation {
        match parse(line).unwrap() {
            Parsed::Command(invocation) => invocation,
            other => panic!("`{line}` parsed to {other:?}"),
        }
    }

    #[test]
    fn targets_come_from_the_table() {
        assert_eq!(command("logs users-db --grep x").target.as_deref(), Some("users-db"));
        assert_eq!(command("mitigate rollback auth").target.as_deref(), Some("auth"));
        assert_eq!(command("role IC Alex").target.as_deref(), Some("ic"));
        assert_eq!(command("runbook rollback").target.as_deref(), Some("rollback"));
        assert_eq!(command("logs").target, None);
        assert_eq!(command("status").target, None);
        assert_eq!(command("status").name(), "status");
    }

    #[test]
    fn free_text_is_kept_verbatim() {
        let parsed = command("update It's   broken -- rolling back").command;
        assert_eq!(parsed, Command::Update { to: None, text: vec!["It's   broken -- rolling back".into()] });
        let parsed = command("update --to status-page We are  on it").command;
        assert_eq!(parsed, Command::Update { to: Some("status-page".into()), text: vec!["We are  on it".into()] });
        let parsed = command("update --to=execs We are  on it").command;
        assert_eq!(parsed, Command::Update { to: Some("execs".into()), text: vec!["We are  on it".into()] });
        let parsed = command("declare sev2 Signups \"down\"").command;
        assert_eq!(parsed, Command::Declare { severity: "sev2".into(), title: vec!["Signups \"down\"".into()] });
    }

    #[test]
    fn quoted_grep_is_one_argument() {
        let Command::Logs { grep, tail, .. } = command("logs auth --grep \"null value\" --tail 3").command else {
            panic!("not logs")
        };
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
