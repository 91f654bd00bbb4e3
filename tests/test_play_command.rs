use crate::common::{TestEnvironment, walkthrough};

#[test]
fn walkthrough_piped_into_play_resolves_with_a_strong_score_and_writes_debrief() {
    let env = TestEnvironment::new();
    let steps = walkthrough();
    let steps: Vec<&str> = steps.iter().map(String::as_str).collect();
    let out = env.play(42, &steps);
    assert_eq!(out.status, 0, "{out}");
    assert!(out.stdout.contains("Drill over at"), "{out}");
    assert!(out.stdout.contains("(resolved)"), "{out}");
    assert!(out.stdout.contains("Score: 97/100"), "{out}");
    insta::assert_snapshot!("walkthrough_transcript", out.to_string());
    let debrief = env.debrief();
    assert!(debrief.contains("## What really happened"));
    assert!(debrief.contains("### The 5 Ws"));
    insta::assert_snapshot!("walkthrough_debrief", debrief);
    let json = std::fs::read_to_string(env.path().join("debriefs/signup-outage-seed42.json")).expect("json debrief");
    let value: serde_json::Value = serde_json::from_str(&json).expect("valid json");
    assert_eq!(value["score"]["total"], 97);
    assert_eq!(value["seed"], 42);
    assert!(value["events"].as_array().is_some_and(|e| e.len() > 20));
}

#[test]
fn script_flag_reads_commands_from_a_file_and_skips_comments() {
    let env = TestEnvironment::new();
    let script = env.write("drill.txt", "# a comment\n\ntime\nquit\nstatus\n");
    let out = env.run(&["play", "--seed", "5", "--script", script.to_str().unwrap(), "--debrief", "out"], "");
    assert_eq!(out.status, 0, "{out}");
    assert!(out.stdout.contains("14:05:00 wom> time\nIt is 14:05:00 (T+0s); the page came at 14:05:00.\n"), "{out}");
    assert!(out.stdout.contains("Drill over at 14:05:00 (quit)."), "{out}");
    // Nothing after `quit` runs.
    assert!(!out.stdout.contains("wom> status"), "{out}");
    assert!(env.path().join("out/signup-outage-seed5.md").exists());
}

#[test]
fn end_of_input_ends_the_drill_and_still_scores() {
    let env = TestEnvironment::new();
    let out = env.play(9, &["declare sev3 signups"]);
    assert_eq!(out.status, 0, "{out}");
    assert!(out.stdout.contains("(end of input)"), "{out}");
    assert!(out.stdout.contains("declare          7/15"), "wrong severity halves the points: {out}");
}

#[test]
fn a_second_drill_with_the_same_seed_does_not_overwrite_the_first_debrief() {
    let env = TestEnvironment::new();
    for _ in 0..2 {
        let out = env.play(1, &["quit"]);
        assert_eq!(out.status, 0, "{out}");
    }
    assert!(env.path().join("debriefs/signup-outage-seed1.md").exists());
    assert!(env.path().join("debriefs/signup-outage-seed1-2.md").exists());
}

#[test]
fn unknown_scenario_names_the_built_ins() {
    let env = TestEnvironment::new();
    let out = env.run(&["play", "signup-outag"], "");
    insta::assert_snapshot!(out, @r#"
    ------- stderr -------
    error: no scenario `signup-outag`; did you mean `signup-outage`? built-in: signup-outage, api-timeouts, cloudflare-waf-2019, aws-s3-2017; or give a path to a .ron file
    [EOF]
    [exit status: 2]
    "#);
}

#[test]
fn list_shows_the_default_scenario() {
    let env = TestEnvironment::new();
    let out = env.run(&["list"], "");
    assert!(out.stdout.starts_with("signup-outage (default)  Easy  PAGE 14:05 SignupsLow"), "{out}");
}
