//! Scores a GM would defend: each form-over-substance shortcut earns what it deserves, and whole runs (strong
//! and weak) are pinned for the default scenario and the connection-pool one.

use crate::common::TestEnvironment;

/// The score block of a finished drill's output.
fn score_of(stdout: &str) -> String {
    let start = stdout.find("Score: ").expect("a score");
    let end = stdout.find("Debrief written").unwrap_or(stdout.len());
    stdout[start..end].to_string()
}

fn play(scenario: &str, seed: u64, commands: &[&str]) -> (String, String) {
    let env = TestEnvironment::new();
    let mut input = commands.join("\n");
    input.push('\n');
    let out = env.run(&["play", scenario, "--seed", &seed.to_string()], &input);
    assert_eq!(out.status, 0, "{out}");
    (out.stdout.clone(), env.debrief())
}

/// A weak run of the default scenario: a hint at once, a harmful restart, a late declaration at the wrong
/// severity, one person in two roles, a vague update, a diagnosis blaming the database.
const WEAK_RUN: &[&str] = &[
    "status",
    "hint",
    "mitigate restart users-db",
    "wait 5m",
    "hint",
    "declare sev3 database problem",
    "role ic",
    "role ol",
    "update looking into it",
    "diagnose the users-db database is overloaded, not the deploy",
    "wait 20m",
    "resolve",
];

fn line<'a>(score: &'a str, item: &str) -> &'a str {
    score.lines().find(|l| l.trim_start().starts_with(item)).unwrap_or_else(|| panic!("no `{item}` line in {score}"))
}

#[test]
fn a_diagnosis_that_denies_everything_earns_nothing_for_naming_it() {
    let (out, _) = play(
        "signup-outage",
        3,
        &["diagnose it was not the deploy, not the flag, and not marketing_opt_in null constraint", "quit"],
    );
    let score = score_of(&out);
    let root = line(&score, "root cause");
    assert!(root.contains("0/20"), "{root}");
    assert!(root.contains("rules out v2.15.0, not null, marketing_opt_in"), "{root}");
}

#[test]
fn a_diagnosis_is_credited_for_the_facts_it_asserts_and_halved_for_a_wrong_cause() {
    let (out, _) = play(
        "signup-outage",
        3,
        &["diagnose the auth deploy broke it, and the users-db database is overloaded", "quit"],
    );
    let root = line(&score_of(&out), "root cause").to_string();
    insta::assert_snapshot!(root, @"  root cause       3/20  T+0s  diagnosis gets 1 of 3 key facts right (v2.15.0); missing: not null, marketing_opt_in; it asserts a wrong cause: the users database is down or overloaded, so half");
}

#[test]
fn an_update_that_says_nothing_is_worth_nothing() {
    let (out, _) = play("signup-outage", 3, &["declare sev2 signups", "update .", "quit"]);
    let updates = line(&score_of(&out), "updates").to_string();
    assert!(updates.contains(" 0/10 "), "{updates}");
    assert!(
        updates.contains("none said who is affected or what is being done or when the next update comes"),
        "{updates}"
    );
}

#[test]
fn an_update_before_the_incident_is_declared_is_refused_with_the_reason() {
    let env = TestEnvironment::new();
    let out = env.play(3, &["update investigating", "quit"]);
    assert!(
        out.stdout.contains(
            "update: no incident is declared yet, so there is nothing for stakeholders to follow; `declare <severity> <title>` first"
        ),
        "{out}"
    );
    let updates = line(&score_of(&out.stdout), "updates").to_string();
    assert!(updates.contains("0 updates posted; no incident declared"), "{updates}");
}

#[test]
fn one_person_in_every_role_earns_partial_credit_and_is_told_why() {
    let (out, _) = play("signup-outage", 3, &["declare sev2 signups", "role ic", "role ol", "role cl", "quit"]);
    let roles = line(&score_of(&out), "roles").to_string();
    insta::assert_snapshot!(roles, @"  roles            2/5    T+50s  IC you, OL you, CL you; one person held 3 roles, so partial credit");
    // Naming teammates who are not in the drill is no more than holding the roles oneself.
    let (out, _) = play("signup-outage", 3, &["role ic me", "role ol alex", "role cl sam", "quit"]);
    let roles = line(&score_of(&out), "roles").to_string();
    insta::assert_snapshot!(roles, @"  roles            2/5   T+20s  IC you, OL alex, CL sam; alex and sam are not playing (no command typed), so no credit as another person; 1 person for 3 roles");
}

#[test]
fn hints_follow_progress_and_help_states_the_cost_first() {
    let env = TestEnvironment::new();
    let out =
        env.play(42, &["help hint", "hint", "mitigate disable-flag new_signup_handler", "wait 5m", "hint", "quit"]);
    assert!(out.stdout.contains("In this drill each hint costs 3 points of the score; 4 hints left."), "{out}");
    // Nothing found yet: the first hint is about investigating.
    assert!(out.stdout.contains("Hint 1 of 4: Signups are the symptom."), "{out}");
    // Once mitigated, the next hint is still about what is not done (finding the evidence), never the mitigation.
    assert!(out.stdout.contains("Hint 2 of 4: Compare when signups_per_min dropped"), "{out}");
    assert!(!out.stdout.contains("Hint 4 of 4"), "{out}");
}

#[test]
fn weak_run_with_hints_and_a_harmful_action_on_the_default_scenario() {
    let (out, debrief) = play("signup-outage", 11, WEAK_RUN);
    insta::assert_snapshot!("weak_run_default_score", score_of(&out));
    insta::assert_snapshot!("weak_run_default_postmortem", postmortem(&debrief));
}

/// The postmortem draft of a debrief, from its heading to the end.
fn postmortem(debrief: &str) -> &str {
    &debrief[debrief.find("## Postmortem (draft)").expect("a postmortem")..]
}

#[test]
fn weak_run_with_hints_and_a_harmful_action_on_the_pool_scenario() {
    let (out, debrief) = play(
        "api-timeouts",
        11,
        &[
            "status",
            "hint",
            "mitigate restart api",
            "declare sev3 api slow",
            "update .",
            "diagnose the reporting-replica is lagging behind the primary, not the pool",
            "wait 10m",
            "hint",
            "resolve",
        ],
    );
    insta::assert_snapshot!("weak_run_pool_score", score_of(&out));
    insta::assert_snapshot!("weak_run_pool_postmortem", postmortem(&debrief));
}

#[test]
fn five_ws_are_recorded_and_shown_beside_the_truth() {
    let env = TestEnvironment::new();
    let out = env.play(3, &["5w whom everyone", "5w who every new user", "5w who new users only", "quit"]);
    assert!(out.stdout.contains("5w: no question `whom`; did you mean `who`?"), "{out}");
    assert!(out.stdout.contains("Recorded your answer to `who` (1 of 5 answered)"), "{out}");
    let debrief = env.debrief();
    let row = debrief.lines().find(|l| l.starts_with("| Who was affected?")).expect("who row");
    assert!(
        row.ends_with("| every new user who tries to sign up; existing users can still log in | new users only |"),
        "{row}"
    );
    assert!(
        debrief
            .contains("| Where did it fail? | auth's new signup handler, at the INSERT into users-db | (not answered")
    );
}

#[test]
fn evidence_is_an_observation_credited_by_whichever_command_covered_it_and_never_by_the_page() {
    let evidence = |commands: &[&str]| {
        let mut all = commands.to_vec();
        all.push("quit");
        let (out, _) = play("signup-outage", 5, &all);
        line(&score_of(&out), "evidence").to_string()
    };
    // `alerts` repeats the page's words (signups_per_min) but observes nothing new.
    assert!(evidence(&["alerts"]).contains("found 0 of 3"));
    // The dashboard shows the signup probe failing; the metrics show the drop; either observes it.
    assert!(evidence(&["status"]).contains("found 1 of 3: signup-drop"));
    assert!(evidence(&["metrics web"]).contains("found 1 of 3: signup-drop"));
    assert!(evidence(&["query signups_per_min"]).contains("found 1 of 3: signup-drop"));
    // A log observation needs that service's logs showing the line, from either service that logs it.
    assert!(evidence(&["logs auth --grep marketing_opt_in"]).contains("constraint-violation"));
    assert!(evidence(&["logs web"]).contains("found 0 of 3"));
    assert!(evidence(&["changes"]).contains("bad-deploy"));
}

#[test]
fn the_examples_in_docs_debrief_are_real_scores() {
    let doc = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/debrief.md"))
        .expect("docs/debrief.md");
    let strong = crate::common::walkthrough();
    let strong: Vec<&str> = strong.iter().map(String::as_str).collect();
    let (out, _) = play("signup-outage", 42, &strong);
    assert!(doc.contains(&format!("```text\n{}```", score_of(&out))), "docs/debrief.md strong run is stale");
    let (out, _) = play("signup-outage", 11, WEAK_RUN);
    assert!(doc.contains(&format!("```text\n{}```", score_of(&out))), "docs/debrief.md weak run is stale");
    let pool = wom::scenario::builtin("api-timeouts").expect("built in").expect("loads").walkthrough;
    let pool: Vec<&str> = pool.iter().map(String::as_str).collect();
    let (out, _) = play("api-timeouts", 17, &pool);
    assert!(doc.contains(&format!("```text\n{}```", score_of(&out))), "docs/debrief.md pool run is stale");
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rubric.ron");
    let relapse = [
        "mitigate rollback api",
        "wait 5m",
        "mitigate pause pusher",
        "mitigate rollback api",
        "wait 3m",
        "mitigate deploy-fix api-canary",
        "mitigate deploy-fix api",
        "wait 2m",
    ];
    let (out, _) = play(fixture, 1, &relapse);
    assert!(doc.contains(&format!("```text\n{}```", score_of(&out))), "docs/debrief.md relapse run is stale");
    let rubric = std::fs::read_to_string(fixture).expect("the fixture");
    let quoted = &doc[doc.find("```ron\nharmful: [").expect("the quoted rubric") + 7..];
    let quoted = &quoted[..quoted.find("```").expect("its end")];
    for line in quoted.lines() {
        assert!(rubric.contains(line.trim()), "docs/debrief.md quotes a rubric line the fixture lacks: {line}");
    }
    for item in [
        "declare",
        "mitigate",
        "root cause",
        "evidence",
        "updates",
        "updates to `<audience>`",
        "roles",
        "5 Ws",
        "ack",
        "silence",
        "escalate `<team>`",
        "reply `<person>`",
        "only the OL acts",
        "good: `<action>`",
        "harmful actions",
        "hints",
    ] {
        assert!(doc.contains(&format!("- **{item}**")), "docs/debrief.md explains `{item}`");
    }
}
