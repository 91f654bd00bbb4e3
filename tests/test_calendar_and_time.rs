//! Periodic load, tracks kept out of the debrief (issue 13.8) and scenario-declared time compression
//! (13.11) on `tests/fixtures/calendar.ron`, which has no noise: every value is exact.

use crate::common::TestEnvironment;
use std::sync::Arc;
use wom::session::{Drill, EventKind, volunteer_view};

const FIXTURE: &str = include_str!("fixtures/calendar.ron");

fn play(env: &TestEnvironment, lines: &[&str]) -> String {
    env.write("cal.ron", FIXTURE);
    let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let out = env.run(&["play", "cal.ron", "--seed", "1"], &input);
    assert_eq!(out.status, 0, "{out}");
    out.stdout
}

fn read(env: &TestEnvironment, name: &str) -> String {
    std::fs::read_to_string(env.path().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn drill() -> Drill {
    let s = wom::scenario::parse(FIXTURE, "cal.ron").unwrap_or_else(|e| panic!("{e}"));
    Drill::start(Arc::new(s), 1)
}

#[test]
fn the_request_rate_a_responder_queries_follows_the_calendar() {
    let env = TestEnvironment::new();
    let out = play(&env, &["query requests", "wait 29m", "query requests"]);
    // 08:00 on a Tuesday: the daily shape's 1.0, doubled by the top-of-hour spike; 08:30: 0.5 + 510/960.
    assert!(out.contains("requests at 08:00:00\nrequests{kind=\"edge\",service=\"edge\"}  200\n"), "{out}");
    assert!(out.contains("requests at 08:30:00\nrequests{kind=\"edge\",service=\"edge\"}  103.125\n"), "{out}");
}

#[test]
fn a_state_s_skip_lets_hours_pass_at_once_and_says_what_happened() {
    let env = TestEnvironment::new();
    let out = play(&env, &["mitigate restore edge", "time", "query requests"]);
    let line = out.lines().find(|l| l.contains(" pass, to ")).unwrap_or_else(|| panic!("no skip line\n{out}"));
    let (at, rest) = line.split_once("] ").expect("a time");
    let start = at.trim_start_matches('[');
    // Six hours from when `restoring` was entered.
    let h: i64 = start[..2].parse().expect("hour");
    assert_eq!(rest, format!("6h pass, to {:02}{}: The edge restarts, rack by rack.", h + 6, &start[2..]));
    let time = out.lines().find(|l| l.starts_with("It is ")).expect("time");
    assert!(time.starts_with(&format!("It is {:02}", h + 6)), "{time}");
    // The incident was restored 4h after entry, during the skip, and the alert resolved then too.
    assert!(out.contains("ALERT EdgeErrors resolved"), "{out}");
}

#[test]
fn the_gm_s_advance_keeps_working_around_a_skip() {
    let mut drill = drill();
    drill.gm("advance 10m");
    assert_eq!(drill.now(), 600);
    drill.respond("mitigate restore edge");
    let after = drill.now();
    assert!(after >= 600 + 6 * 3600, "the skip moved the clock: {after}");
    drill.gm("advance 1h");
    assert_eq!(drill.now(), after + 3600);
    let skipped: Vec<(i64, i64)> = drill
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TimeSkipped { pass, .. } => Some((e.t, *pass)),
            _ => None,
        })
        .collect();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].1, 6 * 3600);
    // Everyone sees it.
    let e = drill.events().iter().find(|e| matches!(e.kind, EventKind::TimeSkipped { .. })).expect("event");
    assert!(volunteer_view(e, 8 * 3600).is_some());
}

#[test]
fn a_track_kept_out_of_the_debrief_shows_only_in_the_gm_s_view() {
    let env = TestEnvironment::new();
    play(&env, &["declare sev2 edge errors", "mitigate restore edge", "wait 5m"]);
    let md = read(&env, "debriefs/calendar-fixture-seed1.md");
    assert!(md.contains("`incident` entered `restoring` (Mitigated)"), "{md}");
    assert!(!md.contains("chatter") && !md.contains("gossip"), "{md}");
    let json = read(&env, "debriefs/calendar-fixture-seed1.json");
    assert!(json.contains("\"restoring\"") && !json.contains("chatter") && !json.contains("gossip"), "{json}");
    let html = read(&env, "debriefs/calendar-fixture-seed1.html");
    assert!(!html.contains("chatter") && !html.contains("gossip"));
    // The GM sees the track.
    let mut drill = drill();
    drill.respond("wait 3m");
    let view = drill.gm_view();
    assert!(view.tracks.iter().any(|t| t.track == "chatter" && t.state == "gossip"), "{:?}", view.tracks.len());
}

#[test]
fn broken_load_patterns_and_skips_are_refused_with_where_and_what() {
    let env = TestEnvironment::new();
    let cases = [
        (
            "clock: (page_time: \"08:00\", history: \"10m\", date: \"2019-07-02\", zone: \"UTC\")",
            "clock: (page_time: \"08:00\", history: \"10m\")",
            "weekend:",
            "load pattern 1: weekends and holidays need the page's date; give `clock.date`",
        ),
        (
            "daily: [(\"00:00\", 0.5), (\"16:00\", 1.5)]",
            "daily: [(\"00:00\", 0.5), (\"16:60\", 1.5)]",
            "16:60",
            "load pattern 1: `16:60` is not a time of day; expected `HH:MM`",
        ),
        (
            "applies_to: [(service: \"edge\", metric: \"requests\")]",
            "applies_to: [(service: \"edge\", metric: \"request\")]",
            "applies_to:",
            "unknown metric `request` in load pattern 1 (service `edge`); did you mean `requests`?",
        ),
        (
            "skip: (pass: \"6h\", say: \"The edge restarts, rack by rack.\")",
            "skip: (pass: \"2d\", say: \"The edge restarts, rack by rack.\")",
            "skip:",
            "`skip` of state `restoring`: `2d` must lie between 1m and 1d",
        ),
        (
            "skip: (pass: \"6h\", say: \"The edge restarts, rack by rack.\")",
            "skip: (pass: \"6h\", say: \" \")",
            "skip:",
            "`skip` of state `restoring`: say what the responders are told while time passes",
        ),
    ];
    for (find, replace, marker, message) in cases {
        assert!(FIXTURE.contains(find), "{find}");
        let text = FIXTURE.replacen(find, replace, 1);
        env.assert_refused_at(&text, marker, message);
    }
}
