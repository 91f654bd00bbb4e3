//! Telemetry commands: what the volunteer can look at. The views themselves are built in `observe.rs`;
//! these functions turn arguments into view parameters and charge the command's cost.

use super::{Context, Outcome};
use crate::scenario::Channel;
use crate::session::command::{CommandError, CommandErrorKind};
use crate::session::observe::{self, LogsArgs, duration_arg};

/// `status`.
pub fn status(cx: &Context) -> Outcome {
    cx.show(observe::status(cx.sim, cx.record))
}

/// `alerts [--all]`: firing and recently resolved alerts, then how many rules are quiet; with `--all`, every
/// rule with its state.
pub fn alerts(cx: &Context, all: bool) -> Outcome {
    if all {
        return cx.show(crate::session::alert_rules::all_rules(cx.sim));
    }
    cx.show(observe::alerts(cx.sim, cx.record))
}

/// `metrics <service> [<metric>] [--since] [--step]`.
pub fn metrics(
    cx: &Context,
    service: &str,
    metric: Option<&str>,
    since: Option<&str>,
    step: Option<&str>,
) -> Result<Outcome, CommandError> {
    let since = duration_arg(cx.spec.name, since, 3600)?;
    let step = step.map(|s| duration_arg(cx.spec.name, Some(s), 60)).transpose()?;
    Ok(cx.show(observe::metrics(cx.sim, service, metric, since, step, cx.stale_since())?))
}

/// The arguments of `logs` as typed.
pub struct LogsQuery<'a> {
    /// Service (all when absent).
    pub service: Option<&'a str>,
    /// `--grep`.
    pub grep: Option<&'a str>,
    /// `--regex`.
    pub regex: Option<&'a str>,
    /// `--level`.
    pub level: Option<&'a str>,
    /// `--since`.
    pub since: Option<&'a str>,
    /// `--tail`.
    pub tail: Option<usize>,
}

/// `logs [<service>] [--grep] [--regex] [--level] [--since] [--tail]`.
pub fn logs(cx: &Context, q: LogsQuery) -> Result<Outcome, CommandError> {
    let word = cx.spec.name;
    let regex = q
        .regex
        .map(|r| {
            regex::Regex::new(r).map_err(|e| CommandError {
                word: word.into(),
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
        service: q.service,
        grep: q.grep,
        regex,
        level: q.level.map(observe::level_arg).transpose()?,
        since: duration_arg(word, q.since, 1800)?,
        tail: q.tail.unwrap_or(20).min(observe::MAX_TAIL),
        until: cx.stale_since(),
    };
    Ok(cx.show(observe::logs(cx.sim, &args)?))
}

/// `deps [<service>]`: one service's neighbours, or the whole graph.
pub fn deps(cx: &Context, service: Option<&str>) -> Result<Outcome, CommandError> {
    let doc = match service {
        Some(service) => observe::deps(cx.sim, service)?,
        None => observe::topology(cx.sim),
    };
    Ok(cx.show(doc))
}

/// `changes [--since]`.
pub fn changes(cx: &Context, since: Option<&str>) -> Result<Outcome, CommandError> {
    Ok(cx.show(observe::changes(cx.sim, duration_arg(cx.spec.name, since, 86_400)?)))
}

/// `slo [<service>]`.
pub fn slo(cx: &Context, service: Option<&str>) -> Result<Outcome, CommandError> {
    Ok(cx.show(observe::slo(cx.sim, service)?))
}

/// `query <expr>`.
pub fn query(cx: &Context, expr: &str, precise: bool) -> Result<Outcome, CommandError> {
    Ok(cx.show(observe::query(cx.sim, expr, precise)?))
}

/// `flags`.
pub fn flags(cx: &Context) -> Outcome {
    cx.show(observe::flags(cx.sim))
}

/// `config <service>`.
pub fn config(cx: &Context, service: &str) -> Result<Outcome, CommandError> {
    Ok(cx.show(observe::config(cx.sim, service)?))
}

/// `inbox`: every message so far.
pub fn inbox(cx: &Context) -> Outcome {
    cx.show(observe::inbox(cx.sim.page_time_of_day(), &cx.record.inbox, None))
}

/// `tickets`: support tickets only.
pub fn tickets(cx: &Context) -> Outcome {
    cx.show(observe::inbox(cx.sim.page_time_of_day(), &cx.record.inbox, Some(Channel::Ticket)))
}
