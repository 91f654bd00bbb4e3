//! `alerts` and `alerts --all` through the REPL: firing alerts first, then every rule with its state,
//! grouped by service, so that a rule that never fired is something the volunteer can see; rules whose
//! monitor is degraded say so.

use crate::common::TestEnvironment;

const FIXTURE: &str = include_str!("fixtures/alert_rules.ron");

/// The transcript up to the end of the drill (the score and file paths are other tests' business).
fn transcript(stdin: &str) -> String {
    let env = TestEnvironment::new();
    let path = env.write("alert-rules.ron", FIXTURE);
    let out = env.run(&["play", "--seed", "1", path.to_str().expect("utf-8 path")], stdin);
    assert_eq!(out.status, 0, "{out}");
    let end = out.stdout.find("Drill over").expect("the drill ends");
    out.stdout[..end].to_string()
}

#[test]
fn alerts_lists_quiet_rules_pending_ones_and_rules_without_data() {
    let out = transcript("alerts\nalerts --all\nwait 4m\nalerts\nalerts --all\n");
    insta::assert_snapshot!("alert_rules_transcript", out);
}

#[test]
fn the_rule_list_shows_no_hidden_truth() {
    let out = transcript("alerts --all\nwait 4m\nalerts --all\n");
    // Whether a rule is a red herring, the states that degrade the monitors and the incident's states are
    // the GM's; when a pending rule will fire is the future.
    for secret in ["red", "herring", "lagging", "blind", "failing", "quiet", "will fire", "fires at"] {
        assert!(!out.to_lowercase().contains(secret), "{secret}: {out}");
    }
    assert!(out.contains("pending   ApiErrors"), "{out}");
    assert!(out.contains("no data  DbCpuHigh"), "{out}");
}

#[test]
fn help_says_what_all_does() {
    let out = transcript("help alerts\n");
    assert!(out.contains("--all   List every alert rule, firing, pending or inactive, grouped by service"), "{out}");
}

#[test]
fn two_slos_on_one_service_get_burn_rules_of_their_own() {
    let one = r#"slos: [(service: "api", target: 0.999)],"#;
    assert!(FIXTURE.contains(one), "the fixture's SLO");
    let two = FIXTURE.replace(
        one,
        r#"slos: [(service: "api", target: 0.999), (service: "api", kind: Latency(500.0), target: 0.99)],"#,
    );
    let env = TestEnvironment::new();
    let path = env.write("two-slos.ron", &two);
    let out = env.run(&["play", "--seed", "1", path.to_str().expect("utf-8 path")], "alerts --all\n");
    assert_eq!(out.status, 0, "{out}");
    assert!(out.stdout.contains("SloBurnFast-api-availability"), "{out}");
    assert!(out.stdout.contains("SloBurnFast-api-latency"), "{out}");
    assert!(!out.stdout.contains("SloBurnFast-api "), "{out}");
}
