//! Completion candidates for a partly typed line, derived from the command table and the scenario.

use super::command::command_summaries;
use crate::scenario::Scenario;

/// Where the word being completed starts and the candidates that extend it, sorted.
pub fn completions(s: &Scenario, before_cursor: &str) -> (usize, Vec<String>) {
    // Any whitespace ends a word, including multi-byte spaces (U+00A0, U+3000).
    let start =
        before_cursor.char_indices().rev().find(|(_, c)| c.is_whitespace()).map_or(0, |(i, c)| i + c.len_utf8());
    let prefix = &before_cursor[start..];
    let done: Vec<&str> = before_cursor[..start].split_whitespace().collect();
    let services = || s.services.iter().map(|x| x.id.clone()).collect::<Vec<_>>();
    let mut pool: Vec<String> = if prefix.starts_with("--") {
        flags(done.first().copied().unwrap_or(""))
    } else {
        let positional: Vec<&str> = done.iter().copied().filter(|w| !w.starts_with("--")).collect();
        match positional.as_slice() {
            [] => command_summaries().into_iter().map(|(n, _)| n).collect(),
            ["help"] => command_summaries().into_iter().map(|(n, _)| n).collect(),
            ["metrics" | "logs" | "deps" | "config" | "slo"] => services(),
            ["query", ..] => {
                let mut names: Vec<String> =
                    s.services.iter().flat_map(|x| x.metrics.iter().map(|m| m.name.clone())).collect();
                names.extend(crate::promql::FUNCTIONS.iter().map(|f| f.name.to_string()));
                names.extend(crate::promql::AGGREGATIONS.iter().chain(crate::promql::KEYWORDS).map(|w| w.to_string()));
                names
            }
            ["metrics", service] => s
                .services
                .iter()
                .find(|x| x.id == *service)
                .map(|x| x.metrics.iter().map(|m| m.name.clone()).collect())
                .unwrap_or_default(),
            ["runbook"] => s.runbooks.iter().map(|r| r.id.clone()).collect(),
            ["mitigate"] => s.actions.iter().map(|a| a.id.clone()).collect(),
            ["mitigate", action] => {
                s.actions.iter().find(|a| a.id == *action).map(|a| a.targets.clone()).unwrap_or_default()
            }
            ["role"] => ["ic", "ol", "cl"].map(String::from).to_vec(),
            ["declare"] => ["sev1", "sev2", "sev3", "sev4"].map(String::from).to_vec(),
            _ => Vec::new(),
        }
    };
    // After `--level` comes a level, not another flag.
    if done.last() == Some(&"--level") {
        pool = ["debug", "info", "warn", "error"].map(String::from).to_vec();
    }
    pool.retain(|c| c.starts_with(prefix));
    pool.sort();
    pool.dedup();
    (start, pool)
}

fn flags(command: &str) -> Vec<String> {
    let list: &[&str] = match command {
        "metrics" => &["--since", "--step"],
        "logs" => &["--grep", "--regex", "--level", "--since", "--tail"],
        "changes" => &["--since"],
        _ => &[],
    };
    list.iter().map(|s| s.to_string()).collect()
}
