//! The wheel end to end: `wom roster`, `wom spin`, `wom history`, and `wom play` appending to the history.

use crate::common::TestEnvironment;

/// Two engineers with a past: ada (new hire) played the default drill twice, grace (incident commander) never.
fn env_with_history() -> TestEnvironment {
    let env = TestEnvironment::new();
    assert_eq!(env.run(&["roster", "add", "ada", "--level", "new-hire"], "").status, 0);
    assert_eq!(env.run(&["roster", "add", "grace", "--level", "incident-commander"], "").status, 0);
    env.write(
        "wheel/history.ron",
        concat!(
            "(date:\"2026-11-01T10:00:00Z\",who:\"ada\",scenario:\"signup-outage\",seed:1,score:35,max:100,gm:None)\n",
            "(date:\"2026-11-15T10:00:00Z\",who:\"ada\",scenario:\"signup-outage\",seed:2,score:70,max:100,gm:Some(\"lin\"))\n",
        ),
    );
    env
}

#[test]
fn roster_adds_lists_changes_and_removes_with_did_you_mean() {
    let env = env_with_history();
    let out = env.run(&["roster", "add", "ada", "--level", "on-call"], "");
    insta::assert_snapshot!(out, @r"
    ada moves from new hire to on-call.
    [EOF]
    ");
    let out = env.run(&["roster", "list"], "");
    insta::assert_snapshot!(out, @r"
    NAME   LEVEL               DRILLS  LAST PLAYED
    ada    on-call             2       2026-11-15
    grace  incident commander  0       -
    [EOF]
    ");
    let out = env.run(&["roster", "remove", "grac"], "");
    insta::assert_snapshot!(out, @r"
    ------- stderr -------
    error: nobody called `grac` is on the roster or in the history; did you mean `grace`?
    [EOF]
    [exit status: 2]
    ");
    let out = env.run(&["roster", "remove", "ada"], "");
    insta::assert_snapshot!(out, @r"
    Removed ada (on-call); their 2 drills stay in the history.
    [EOF]
    ");
    let roster = std::fs::read_to_string(env.path().join("wheel/roster.ron")).expect("roster file");
    assert!(roster.contains("grace") && !roster.contains("ada"), "{roster}");
    // The history is append-only: removing someone from the roster keeps their drills.
    let out = env.run(&["history", "ada"], "");
    assert!(out.stdout.contains("signup-outage"), "{out}");
    let out = env.run(&["roster", "add", "bad name", "--level", "on-call"], "");
    assert_eq!(out.status, 2, "{out}");
    assert!(out.stderr.contains("`bad name` is not a usable name"), "{out}");
}

#[test]
fn spin_for_a_person_prefers_unplayed_scenarios_near_their_level_and_explains() {
    let env = env_with_history();
    let out = env.run(&["spin", "--for", "ada", "--seed", "7"], "");
    insta::assert_snapshot!("spin_for_ada", out);
    // Same seed, same files: same pick.
    assert_eq!(env.run(&["spin", "--for", "ada", "--seed", "7"], "").stdout, out.stdout);
    // Someone in the history but off the roster has no level: the wheel says how to give one.
    assert_eq!(env.run(&["roster", "remove", "ada"], "").status, 0);
    let out = env.run(&["spin", "--for", "ada", "--seed", "7"], "");
    assert!(
        out.stdout.contains("Level: any (ada is not on the roster; `wom roster add ada --level <level>` or --level)."),
        "{out}"
    );
}

#[test]
fn spin_without_a_name_picks_whoever_never_played() {
    let env = env_with_history();
    let out = env.run(&["spin", "--seed", "1"], "");
    insta::assert_snapshot!("spin_picks_person", out);
}

#[test]
fn spin_level_and_tag_steer_the_wheel_and_bad_values_are_explained() {
    let env = env_with_history();
    let out = env.run(&["spin", "--for", "grace", "--level", "new-hire", "--tag", "database", "--seed", "3"], "");
    insta::assert_snapshot!("spin_level_tag", out);
    let out = env.run(&["spin", "--tag", "databse", "--seed", "3"], "");
    insta::assert_snapshot!("spin_bad_tag", out);
    let out = env.run(&["spin", "--for", "adaa"], "");
    insta::assert_snapshot!("spin_unknown_person", out);
    // Over many seeds, several scenarios come up for someone who has played none (the easiest is rare for
    // an incident commander).
    let picks: std::collections::BTreeSet<String> = (0..12)
        .map(|seed| env.run(&["spin", "--for", "grace", "--seed", &seed.to_string()], "").stdout)
        .filter_map(|s| s.split_whitespace().nth(4).map(str::to_string))
        .collect();
    assert!(picks.len() >= 3, "{picks:?}");
}

#[test]
fn play_appends_to_the_history_and_history_shows_the_trend() {
    let env = env_with_history();
    let out = env.run(&["play", "--seed", "4", "--player", "ada"], "declare sev2 signups failing\nresolve\n");
    assert_eq!(out.status, 0, "{out}");
    assert!(out.stdout.contains("Recorded for ada in wheel/history.ron"), "{out}");
    let out = env.run(&["play", "api-timeouts", "--seed", "5", "--player", "grace"], "quit\n");
    assert_eq!(out.status, 0, "{out}");
    let history = std::fs::read_to_string(env.path().join("wheel/history.ron")).expect("history");
    assert_eq!(history.lines().count(), 4, "{history}");
    assert!(history.starts_with("(date:\"2026-11-01T10:00:00Z\""), "earlier lines untouched: {history}");
    let out = env.run(&["history"], "");
    insta::assert_snapshot!("history_all", out);
    let out = env.run(&["history", "ada"], "");
    insta::assert_snapshot!("history_ada", out);
    let out = env.run(&["history", "lin"], "");
    insta::assert_snapshot!("history_unknown", out);
}

#[test]
fn a_broken_history_line_is_reported_with_file_line_and_column() {
    let env = env_with_history();
    let path = env.path().join("wheel/history.ron");
    let mut text = std::fs::read_to_string(&path).expect("history");
    text.push_str("(date:\"2026-11-20T10:00:00Z\",who:\"ada\",scenario:signup,seed:1,score:1,max:100)\n");
    std::fs::write(&path, text).expect("write");
    let out = env.run(&["history"], "");
    insta::assert_snapshot!("history_broken_line", out);
}

#[test]
fn empty_wheel_says_what_to_do() {
    let env = TestEnvironment::new();
    insta::assert_snapshot!("empty_roster", env.run(&["roster"], ""));
    insta::assert_snapshot!("empty_history", env.run(&["history"], ""));
    insta::assert_snapshot!("empty_spin", env.run(&["spin", "--seed", "2"], ""));
}
