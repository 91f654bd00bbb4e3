//! Every volunteer command, end to end through the binary, good and bad input alike.

use crate::common::TestEnvironment;

#[test]
fn every_command_in_one_session() {
    let env = TestEnvironment::new();
    let out = env.play(
        3,
        &[
            "help",
            "help logs",
            "logs --help",
            "status",
            "alerts",
            "metrics auth",
            "metrics web signups_per_min --since 2h --step 10m",
            "logs users-db --grep constraint --tail 2",
            "logs --level error --since 5m --tail 3",
            "deps auth",
            "changes --since 2h",
            "flags",
            "slo",
            "slo auth",
            "query sum by (service) (avg_over_time(error_rate[30m])) > 0.005",
            "query max(latency_p99{kind=~\"edge|service\"})",
            "logs auth --regex \"POST /(login|signup) 5\\d\\d\" --tail 2",
            "config auth",
            "runbook",
            "runbook rollback",
            "inbox",
            "tickets",
            "declare sev2 Signups failing",
            "declare sev1 Signups failing",
            "role ic Alex",
            "role ol",
            "role cl me",
            "update Investigating signup failures.",
            "note auth error rate rose at 13:40",
            "hint",
            "mitigate scale-up auth",
            "diagnose something with auth",
            "wait 90s",
            "time",
            "resolve",
        ],
    );
    assert_eq!(out.status, 0, "{out}");
    insta::assert_snapshot!("every_command_transcript", out.to_string());
}

#[test]
fn bad_input_gets_one_line_and_the_prompt_back() {
    let env = TestEnvironment::new();
    let bad = [
        "stauts",
        "metrics",
        "metrics auht",
        "metrics auth signups",
        "logs auth --tail many",
        "logs auth --level loud",
        "logs auth --since yesterday",
        "wait 5",
        "runbook rolback",
        "declare sev9 oops",
        "role boss Alex",
        "mitigate rollbak auth",
        "mitigate rollback",
        "mitigate rollback users-db",
        "wait",
        "wait 0s",
        "wait 3d",
        "update",
        "help nothing",
        "slo email",
        "slo nosuch",
        "query",
        "query rate(requests[5m]",
        "query rate(requests)",
        "query error_rate + on () error_rate",
        "logs auth --regex \"(unclosed\"",
        "mitigate disable-flag",
        "logs auth --grep \"unbalanced",
    ];
    let out = env.play(2, &bad);
    assert_eq!(out.status, 0, "{out}");
    let errors: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("error: ")).collect();
    // `logs auth --grep "unbalanced` is read as plain words: not an error.
    assert_eq!(errors.len(), bad.len() - 1, "{out}");
    // Refused commands cost no time: every prompt still shows the page time.
    assert_eq!(out.stdout.matches("14:05:00 wom> ").count(), bad.len(), "{out}");
    insta::assert_snapshot!("bad_input_errors", errors.join("\n"));
}

/// Prometheus answers an unknown metric with an empty result, not an error; wom adds a did-you-mean, and
/// shows a bare range selector's samples.
#[test]
fn queries_that_prometheus_answers_are_answered() {
    let env = TestEnvironment::new();
    let out = env.play(2, &["query sum(errror_rate)", "query error_rate{service=\"auth\"}[3m]"]);
    assert_eq!(out.status, 0, "{out}");
    assert!(out.stdout.contains("no series\nno metric `errror_rate`; did you mean `error_rate`?"), "{out}");
    let samples =
        out.stdout.lines().find(|l| l.starts_with("error_rate{kind=\"service\",service=\"auth\"}")).unwrap_or("");
    assert_eq!(samples.matches(" @").count(), 3, "{out}");
}

#[test]
fn commands_after_the_end_are_refused() {
    let scenario = std::sync::Arc::new(wom::scenario::builtin("signup-outage").unwrap().unwrap());
    let mut drill = wom::session::Drill::start(scenario, 1);
    drill.respond("quit");
    let range = drill.respond("status");
    assert!(
        matches!(&drill.events()[range.start].kind, wom::session::EventKind::Rejected { error, .. } if error == "the drill has ended")
    );
}

#[test]
fn commands_cost_simulated_time() {
    let env = TestEnvironment::new();
    let out = env.play(1, &["status", "logs auth", "mitigate scale-up auth", "wait 5m", "time"]);
    for prompt in [
        "14:05:00 wom> status",
        "14:05:30 wom> logs auth",
        "14:06:30 wom> mitigate",
        "14:08:30 wom> wait 5m",
        "14:13:30 wom> time",
    ] {
        assert!(out.stdout.contains(prompt), "missing `{prompt}` in {out}");
    }
}

#[test]
fn mitigation_changes_what_the_volunteer_observes() {
    let env = TestEnvironment::new();
    let out = env.play(
        4,
        &["mitigate rollback auth", "wait 3m", "status", "changes --since 10m", "logs auth --grep signup --since 2m"],
    );
    assert!(out.stdout.contains("auth            service   healthy"), "{out}");
    assert!(out.stdout.contains("v2.14.3"), "{out}");
    assert!(out.stdout.contains("Rollback auth v2.15.0 -> v2.14.3"), "{out}");
    assert!(out.stdout.contains("POST /signup 201 created"), "{out}");
    assert!(out.stdout.contains("ALERT SignupsLow resolved"), "{out}");
}

#[test]
fn harmful_action_makes_things_worse_and_costs_points() {
    let env = TestEnvironment::new();
    let out = env.play(4, &["mitigate restart users-db", "wait 2m", "status", "inbox"]);
    assert!(out.stdout.contains("users-db        database  DOWN"), "{out}");
    assert!(out.stdout.contains("Who restarted users-db?!"), "{out}");
    let harm = out.stdout.lines().find(|l| l.trim_start().starts_with("harmful actions")).unwrap_or_default();
    assert!(harm.contains("-10") && harm.contains("restart users-db"), "{out}");
}

#[test]
fn messages_react_to_what_the_volunteer_did() {
    let env = TestEnvironment::new();
    let silent = env.play(1, &["wait 9m"]);
    assert!(silent.stdout.contains("Is this an incident?"), "{silent}");
    let declared = env.play(1, &["declare sev2 Signups failing", "wait 9m"]);
    assert!(!declared.stdout.contains("Is this an incident?"), "{declared}");
    assert!(declared.stdout.contains("Thanks for declaring."), "{declared}");
}

#[test]
fn deps_without_a_service_shows_the_whole_graph_dependencies_first() {
    let env = TestEnvironment::new();
    let out = env.play(1, &["deps"]);
    let rows: Vec<&str> = out.stdout.lines().skip_while(|l| !l.ends_with("wom> deps")).skip(1).take(6).collect();
    let position =
        |name: &str| rows.iter().position(|r| r.starts_with(name)).unwrap_or_else(|| panic!("{name}: {out}"));
    assert!(position("users-db") < position("auth") && position("auth") < position("web"), "{rows:?}");
    assert!(rows[position("web")].contains("calls auth (hard)"), "{rows:?}");
}
