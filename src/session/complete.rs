//! Completion candidates for a partly typed line, derived from the command table (what each positional
//! argument names), clap (which flags a command has and which take a value) and the scenario (the names).

use super::command::Command;
use super::event::Role;
use super::text::FIVE_WS;
use crate::scenario::{ArgKind, Scenario, Severity, command_names, command_spec};
use clap::CommandFactory;

/// Log levels `--level` accepts.
const LEVELS: [&str; 4] = ["debug", "info", "warn", "error"];

/// Where the word being completed starts and the candidates that extend it, sorted.
pub fn completions(s: &Scenario, before_cursor: &str) -> (usize, Vec<String>) {
    // Any whitespace ends a word, including multi-byte spaces (U+00A0, U+3000).
    let start =
        before_cursor.char_indices().rev().find(|(_, c)| c.is_whitespace()).map_or(0, |(i, c)| i + c.len_utf8());
    let prefix = &before_cursor[start..];
    let done: Vec<&str> = before_cursor[..start].split_whitespace().collect();
    let mut pool = match done.split_first() {
        None => command_names(),
        Some((word, rest)) => arguments(s, word, rest, prefix),
    };
    pool.retain(|c| c.starts_with(prefix));
    pool.sort();
    pool.dedup();
    (start, pool)
}

/// The words an action's argument can be, when it is a choice.
fn choices(a: &crate::scenario::Action) -> Vec<String> {
    match a.arg.as_ref().map(|x| &x.kind) {
        Some(crate::scenario::ArgType::Choice(words)) => words.clone(),
        _ => Vec::new(),
    }
}

/// Candidates for the next argument of `word`, given the words after it.
fn arguments(s: &Scenario, word: &str, rest: &[&str], prefix: &str) -> Vec<String> {
    let root = Command::command();
    let (Some(sub), Some(spec)) = (root.find_subcommand(word), command_spec(word)) else {
        return Vec::new();
    };
    let long = |name: &str| sub.get_arguments().find(|a| a.get_long() == Some(name));
    // Walk the typed words: a flag that takes a value consumes the next word.
    let mut positionals: Vec<&str> = Vec::new();
    let mut pending_flag = None;
    let mut words = rest.iter();
    while let Some(w) = words.next() {
        match w.strip_prefix("--") {
            Some(name) if long(name).is_some_and(|a| a.get_action().takes_values()) => {
                if words.next().is_none() {
                    pending_flag = Some(name);
                }
            }
            Some(_) => {}
            None => positionals.push(w),
        }
    }
    if let Some(flag) = pending_flag {
        return match flag {
            "level" => LEVELS.map(String::from).to_vec(),
            // `update --to`: the incident channel and the scenario's audiences.
            "to" => std::iter::once(super::cmd::CHANNEL.to_string())
                .chain(s.rubric.audiences.iter().map(|a| a.id.clone()))
                .collect(),
            _ => Vec::new(),
        };
    }
    if prefix.starts_with("--") {
        return sub.get_arguments().filter_map(|a| a.get_long()).map(|l| format!("--{l}")).collect();
    }
    // Trailing free text or expressions repeat their kind.
    let slot = positionals.len();
    let kind = spec.args.get(slot).or_else(|| spec.args.last().filter(|k| matches!(k, ArgKind::Expression)));
    let Some(kind) = kind else { return Vec::new() };
    let previous = positionals.last().copied().unwrap_or("");
    match kind {
        ArgKind::Command => command_names(),
        ArgKind::Service => s.services.iter().map(|x| x.id.clone()).collect(),
        ArgKind::Metric => s
            .services
            .iter()
            .find(|x| x.id == previous)
            .map(|x| x.metrics.iter().map(|m| m.name.clone()).collect())
            .unwrap_or_default(),
        ArgKind::Runbook => s.runbooks.iter().map(|r| r.id.clone()).collect(),
        ArgKind::Action => s.actions.iter().map(|a| a.id.clone()).collect(),
        // An action without targets takes its argument here instead.
        ArgKind::ActionTarget => match s.actions.iter().find(|a| a.id == previous) {
            Some(a) if a.targets.is_empty() => choices(a),
            Some(a) => a.targets.clone(),
            None => Vec::new(),
        },
        ArgKind::ActionArg => {
            let action = positionals.first().copied().unwrap_or("");
            s.actions.iter().find(|a| a.id == action && !a.targets.is_empty()).map(choices).unwrap_or_default()
        }
        ArgKind::Diagnostic => s.diagnostics.iter().map(|d| d.id.clone()).collect(),
        ArgKind::DiagnosticTarget => {
            s.diagnostics.iter().find(|d| d.id == previous).map(|d| d.targets.clone()).unwrap_or_default()
        }
        ArgKind::Role => Role::ALL.iter().map(|r| r.short().to_string()).collect(),
        ArgKind::Severity => Severity::ALL.iter().map(|v| v.label().to_lowercase()).collect(),
        ArgKind::Expression => {
            let mut names: Vec<String> =
                s.services.iter().flat_map(|x| x.metrics.iter().map(|m| m.name.clone())).collect();
            names.extend(crate::promql::FUNCTIONS.iter().map(|f| f.name.to_string()));
            names.extend(crate::promql::AGGREGATIONS.iter().chain(crate::promql::KEYWORDS).map(|w| w.to_string()));
            names
        }
        ArgKind::Question => FIVE_WS.iter().map(|q| q.to_string()).collect(),
        ArgKind::Team => s.teams.iter().map(|t| t.id.clone()).collect(),
        ArgKind::Duration | ArgKind::Text => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(line: &str) -> Vec<String> {
        completions(&crate::scenario::fixture(), line).1
    }

    #[test]
    fn commands_then_arguments_by_kind() {
        assert_eq!(complete("sta"), ["status"]);
        assert_eq!(complete("help sl"), ["slo"]);
        assert_eq!(complete("logs "), ["api", "db"]);
        assert_eq!(complete("metrics api err"), ["error_rate"]);
        assert_eq!(complete("mitigate "), ["restart", "rollback"]);
        assert_eq!(complete("mitigate rollback "), ["api"]);
        assert_eq!(complete("role "), ["cl", "ic", "ol"]);
        assert_eq!(complete("declare sev"), ["sev1", "sev2", "sev3", "sev4"]);
        assert!(complete("declare sev2 ").is_empty(), "a title is free text");
        assert!(complete("query max by (service) err").contains(&"error_rate".to_string()));
    }

    #[test]
    fn flags_come_from_clap_and_their_values_are_skipped() {
        assert_eq!(complete("logs --"), ["--grep", "--level", "--regex", "--since", "--tail"]);
        assert_eq!(complete("metrics api --"), ["--since", "--step"]);
        assert_eq!(complete("changes --"), ["--since"]);
        assert!(complete("status --").is_empty());
        assert_eq!(complete("logs --level w"), ["warn"]);
        assert!(complete("logs --since ").is_empty(), "a duration, not a service");
        assert_eq!(complete("metrics --since 2h api "), ["error_rate", "latency_p99"]);
        assert_eq!(complete("update --"), ["--to"]);
        assert_eq!(complete("update --to "), ["incident"], "the fixture declares no audiences");
    }
}
