//! Broken scenario files: every message says where (`file:line:col`), what was found and what was expected.

use crate::common::TestEnvironment;
use wom::scenario::{BUILTIN, parse};

fn default_text() -> &'static str {
    BUILTIN[0].2
}

/// Applies one textual mutation to the default scenario and returns the loader's message.
fn broken(find: &str, replace: &str) -> String {
    broken_many(&[(find, replace)])
}

/// The default scenario with each `(find, replace)` applied once, as loaded.
fn broken_many(edits: &[(&str, &str)]) -> String {
    let mut text = default_text().to_string();
    for (find, replace) in edits {
        assert!(text.contains(find), "mutation anchor `{find}` not in the default scenario");
        text = text.replacen(find, replace, 1);
    }
    match parse(&text, "scenarios/broken.ron") {
        Ok(_) => "loaded without error".to_string(),
        Err(err) => err.to_string(),
    }
}

#[test]
fn default_scenario_loads() {
    parse(default_text(), "scenarios/signup-outage.ron").expect("default scenario is valid");
}

#[test]
fn loader_error_messages() {
    let cases = [
        ("syntax: missing comma", broken("schema_version: 1,", "schema_version: 1")),
        ("misspelt field", broken("difficulty: Easy,", "dificulty: Easy,")),
        ("bad enum value", broken("coupling: Soft", "coupling: Loose")),
        (
            "unknown service",
            broken("(on: \"users-db\", coupling: Hard, weight: 1.0)", "(on: \"user-db\", coupling: Hard, weight: 1.0)"),
        ),
        (
            "unknown metric",
            broken("metric: \"signups_per_min\", shift: Set(0.0)", "metric: \"signups_per_minute\", shift: Set(0.0)"),
        ),
        (
            "unknown state",
            broken(
                "(to: \"rolled_back\", when: Action(action: \"rollback\"",
                "(to: \"rolledback\", when: Action(action: \"rollback\"",
            ),
        ),
        ("unknown action", broken("Action(action: \"disable-flag\"", "Action(action: \"disable_flag\"")),
        ("duplicate service", broken("id: \"email\",", "id: \"auth\",")),
        (
            "unreachable state",
            broken_many(&[
                ("(to: \"flag_off\", when: Action(action: \"disable-flag\", target: \"new_signup_handler\")),", ""),
                (
                    "(to: \"flag_off\", when: Action(action: \"set-rollout\", target: \"new_signup_handler\", \
                     arg: Below(0.005))),",
                    "",
                ),
            ]),
        ),
        ("no resolved state", broken("phase: Resolved,", "phase: Mitigated,")),
        ("bad duration", broken("within: \"10m\"", "within: \"10min\"")),
        ("schema version", broken("schema_version: 1,", "schema_version: 2,")),
        ("dependency cycle", broken("kind: Database,", "kind: Database, depends_on: [(on: \"web\")],")),
        ("bad page time", broken("page_time: \"14:05\"", "page_time: \"25:00\"")),
        ("weight out of range", broken("weight: 0.35", "weight: 3.5")),
        ("unknown command in costs", broken("gm_notes:", "costs: {\"stat\": \"1m\"}, gm_notes:")),
        ("cost on a command that takes no time", broken("gm_notes:", "costs: {\"wait\": \"1m\"}, gm_notes:")),
        ("misspelt symptom field", broken("shift: Set(0.0)),", "shift: Set(0.0), rmap: \"5m\"),")),
        (
            "trigger target the action does not take",
            broken(
                "Action(action: \"rollback\", target: \"auth\")",
                "Action(action: \"rollback\", target: \"users-db\")",
            ),
        ),
        (
            "harm target the action does not take",
            broken("(action: \"failover\", target: \"users-db\", why", "(action: \"failover\", target: \"auth\", why"),
        ),
        ("infinite alert threshold", broken("threshold: 2.0,", "threshold: inf,")),
        ("history too long", broken("history: \"2h\"", "history: \"400d\"")),
        ("empty evidence text", broken("observe: [Change(contains: \"Deploy auth v2.15.0\")]", "seen: \"\"")),
        (
            "observation of an unknown metric",
            broken(
                "Metric(service: \"web\", metric: \"signups_per_min\")",
                "Metric(service: \"web\", metric: \"signups\")",
            ),
        ),
        (
            "SLO tier window under a minute",
            broken("gm_notes:", "severity_policy: Custom([(name: \"X\", budget: 0.1, window: \"30s\")]), gm_notes:"),
        ),
    ];
    let report: String = cases.iter().map(|(name, message)| format!("{name}:\n  {message}\n")).collect();
    for (name, message) in &cases {
        assert!(message.starts_with("scenarios/broken.ron:"), "{name}: {message}");
        assert!(!message.contains("loaded without error"), "{name}");
    }
    insta::assert_snapshot!("loader_error_messages", report);
}

#[test]
fn typo_points_at_the_line_and_column_of_the_bad_name() {
    let message =
        broken("(on: \"users-db\", coupling: Hard, weight: 1.0)", "(on: \"user-db\", coupling: Hard, weight: 1.0)");
    let text = default_text();
    let line = text.lines().position(|l| l.contains("(on: \"users-db\", coupling: Hard")).unwrap() + 1;
    let col = text.lines().nth(line - 1).unwrap().find("\"users-db\"").unwrap() + 1;
    assert!(message.starts_with(&format!("scenarios/broken.ron:{line}:{col}: unknown service `user-db`")), "{message}");
    assert!(message.contains("did you mean `users-db`?"), "{message}");
}

#[test]
fn play_with_a_broken_file_reports_file_line_col_and_exits_2() {
    let env = TestEnvironment::new();
    env.write("typo.ron", &default_text().replacen("schema_version: 1,", "schema_version: 1", 1));
    let out = env.run(&["play", "typo.ron", "--seed", "1"], "");
    assert_eq!(out.status, 2, "{out}");
    assert!(out.stderr.starts_with("error: typo.ron:"), "{out}");
    let position = out.stderr.trim_start_matches("error: typo.ron:");
    let mut numbers = position.split(':').take(2).map(|n| n.parse::<usize>());
    assert!(numbers.next().is_some_and(|n| n.is_ok()) && numbers.next().is_some_and(|n| n.is_ok()), "{out}");
    assert!(out.stdout.is_empty(), "{out}");
}

#[test]
fn missing_file_is_an_error_not_a_panic() {
    let env = TestEnvironment::new();
    let out = env.run(&["play", "nope.ron"], "");
    assert_eq!(out.status, 2, "{out}");
    assert!(out.stderr.starts_with("error: nope.ron: cannot read scenario:"), "{out}");
}
