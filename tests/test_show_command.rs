//! `wom show`: the volunteer's briefing card, the GM's sheet and the RON source.

use crate::common::TestEnvironment;
use wom::scenario::BUILTIN;

#[test]
fn show_without_gm_prints_only_the_briefing_card() {
    let env = TestEnvironment::new();
    let out = env.run(&["show", "signup-outage"], "");
    insta::assert_snapshot!(out, @r"
    Briefing
      PAGE 14:05 SignupsLow: web signups_per_min has been below 2 for 25 minutes. Support says new customers cannot create accounts. You are on call. Find out what is going on, stop the bleeding, and keep people informed.
    Difficulty: Easy
    Expected length: 1h
    Start it with `wom play` (alone) or `wom join` (a hosted drill).
    [EOF]
    ");
    for (id, _, _) in BUILTIN {
        let scenario = wom::scenario::builtin(id).unwrap().unwrap();
        let out = env.run(&["show", id], "");
        assert_eq!(out.status, 0, "{out}");
        // The title and tags often name the cause; the card must not.
        assert!(!out.stdout.contains(&scenario.meta.title), "{out}");
        for tag in &scenario.meta.tags {
            assert!(!out.stdout.contains(&format!("{tag},")) && !out.stdout.contains("tags"), "{out}");
        }
        assert!(!out.stdout.contains(&scenario.root_cause.summary), "{out}");
    }
}

#[test]
fn show_gm_prints_the_whole_sheet() {
    let env = TestEnvironment::new();
    for (id, _, _) in BUILTIN {
        let s = wom::scenario::builtin(id).unwrap().unwrap();
        let out = env.run(&["show", id, "--gm"], "");
        assert_eq!(out.status, 0, "{out}");
        let sheet = &out.stdout;
        let mut expected = vec![
            s.meta.title.clone(),
            s.meta.gm_summary.clone(),
            s.gm_notes.clone(),
            s.root_cause.summary.clone(),
            s.root_cause.five_ws.why.clone(),
            s.meta.source.to_string(),
        ];
        expected.extend(s.hints.iter().map(|h| h.text.clone()));
        expected.extend(s.walkthrough.iter().cloned());
        expected.extend(s.tracks.iter().flat_map(|t| t.states.iter().map(|x| x.id.clone())));
        expected.extend(s.rubric.evidence.iter().map(|e| e.id.clone()));
        expected.extend(s.gm.injects.iter().map(|i| i.name.clone()));
        for text in expected {
            assert!(sheet.contains(&text), "{id}: the GM sheet lacks {text:?}");
        }
    }
    let out = env.run(&["show", "signup-outage", "--gm"], "");
    for line in [
        "Track `incident` (starts in `healthy`)",
        "      -> rolled_back when `mitigate rollback auth`",
        "      -> mail_relay_slow when the GM runs `inject mail-backlog`",
        "      -> signups_failing when 4m in this state",
        "Rubric (100 points)",
        "  -10 mitigate restart users-db: restarting the primary drops every login and does not touch the schema",
        "  vip-escalation: Jordan (Account Manager) asks for an answer for Acme's CTO: tests communication under pressure [solo: fires by itself at T+40m]",
    ] {
        assert!(out.stdout.lines().any(|l| l == line), "missing {line:?} in:\n{out}");
    }
}

#[test]
fn show_ron_prints_source_that_loads_again() {
    let env = TestEnvironment::new();
    let out = env.run(&["show", "api-timeouts", "--ron"], "");
    assert_eq!(out.status, 0, "{out}");
    assert_eq!(out.stdout, BUILTIN.iter().find(|(id, _, _)| *id == "api-timeouts").unwrap().2);
    env.write("ours.ron", &out.stdout.replace("id: \"api-timeouts\"", "id: \"ours\""));
    let again = env.run(&["show", "ours.ron", "--ron"], "");
    assert!(again.stdout.contains("id: \"ours\""), "{again}");
    let check = env.run(&["check", "ours.ron"], "");
    assert_eq!(check.status, 0, "{check}");
}

#[test]
fn show_errors_name_the_candidates() {
    let env = TestEnvironment::new();
    let out = env.run(&["show", "signup-outgae"], "");
    insta::assert_snapshot!(out, @r#"
    ------- stderr -------
    error: no scenario `signup-outgae`; did you mean `signup-outage`? built-in: signup-outage, api-timeouts, cloudflare-waf-2019, aws-s3-2017; or give a path to a .ron file
    [EOF]
    [exit status: 2]
    "#);
    let out = env.run(&["show", "signup-outage", "--gm", "--ron"], "");
    assert_eq!(out.status, 2, "{out}");
    assert!(out.stderr.contains("cannot be used with"), "{out}");
}
