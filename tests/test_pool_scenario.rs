//! The second built-in scenario: watermelon dashboards, saturation, propagation, SLO burn, red herrings.

use crate::common::TestEnvironment;
use wom::scenario::builtin;

fn walkthrough() -> Vec<String> {
    builtin("api-timeouts").expect("built in").expect("loads").walkthrough
}

#[test]
fn pool_walkthrough_resolves_with_a_strong_score() {
    let env = TestEnvironment::new();
    let steps = walkthrough();
    let mut input = steps.join("\n");
    input.push('\n');
    let out = env.run(&["play", "api-timeouts", "--seed", "17"], &input);
    assert_eq!(out.status, 0, "{out}");
    assert!(out.stdout.contains("Score: 117/120"), "{out}");
    insta::assert_snapshot!("pool_walkthrough_transcript", out.to_string());
    let debrief = env.debrief();
    insta::assert_snapshot!(
        "pool_walkthrough_postmortem",
        &debrief[debrief.find("## Postmortem (draft)").expect("a postmortem")..]
    );
}

#[test]
fn dashboards_look_green_while_users_hurt() {
    let env = TestEnvironment::new();
    let out = env.run(&["play", "api-timeouts", "--seed", "3"], "status\nslo\ntickets\n");
    let status: Vec<&str> = out.stdout.lines().skip_while(|l| !l.starts_with("Dashboard")).take(10).collect();
    for backend in ["edge ", "api ", "pipelines-db "] {
        let row = status.iter().find(|l| l.starts_with(backend)).unwrap_or_else(|| panic!("no {backend} row: {out}"));
        assert!(row.contains("healthy"), "{row}");
    }
    let probe = status.iter().find(|l| l.starts_with("api-probe")).expect("probe row");
    assert!(probe.contains("DEGRADED"), "{probe}");
    assert!(out.stdout.contains("severity: none (burning within policy)"), "{out}");
    assert!(out.stdout.contains("[ticket] Customer Support: Ticket #"), "{out}");
}

#[test]
fn following_the_red_herring_is_reported() {
    let env = TestEnvironment::new();
    let out = env.run(
        &["play", "api-timeouts", "--seed", "3"],
        "alerts\nmetrics reporting-replica\nlogs reporting-replica\nquit\n",
    );
    let line = out.stdout.lines().find(|l| l.trim_start().starts_with("red herrings")).expect("red herrings line");
    assert!(line.contains("followed ReplicaLagHigh (2 commands)"), "{line}");
    let debrief = env.debrief();
    assert!(debrief.contains("red herring `ReplicaLagHigh` on reporting-replica took 2 commands"), "{debrief}");
}

#[test]
fn restarting_the_api_makes_it_worse_and_burns_budget() {
    let env = TestEnvironment::new();
    let out = env.run(&["play", "api-timeouts", "--seed", "3"], "mitigate restart api\nwait 5m\nalerts\nslo api\n");
    assert!(out.stdout.contains("SloBurnCritical-api"), "{out}");
    let harm = out.stdout.lines().find(|l| l.trim_start().starts_with("harmful actions")).expect("harm line");
    assert!(harm.contains("restart api"), "{harm}");
}

#[test]
fn reverting_the_config_shows_in_config_and_changes() {
    let env = TestEnvironment::new();
    let out = env.run(
        &["play", "api-timeouts", "--seed", "3"],
        "config api\nmitigate revert-config api\nwait 2m\nconfig api\nchanges --since 10m\n",
    );
    let configs: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("database.primary.pool")).collect();
    assert_eq!(configs.len(), 2, "{out}");
    assert!(configs[0].ends_with(" 10") && configs[1].ends_with(" 25"), "{configs:?}");
    assert!(out.stdout.contains("Revert api to config v118"), "{out}");
}
