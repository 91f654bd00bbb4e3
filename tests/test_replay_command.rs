//! `wom replay` and `wom debrief`: a journal replays to the transcript that was shown, `--check` finds the
//! first event that differs, and the debrief regenerated from a journal is the one `play` wrote.

use crate::common::TestEnvironment;

fn walkthrough_of(id: &str) -> String {
    let scenario = wom::scenario::builtin(id).expect("built in").expect("loads");
    scenario.walkthrough.iter().map(|l| format!("{l}\n")).collect()
}

#[test]
fn every_shipped_walkthrough_replays_with_check_to_the_transcript_and_debrief_play_gave() {
    for (id, _, _) in wom::scenario::BUILTIN {
        let env = TestEnvironment::new();
        let play = env.run(&["play", id, "--seed", "3", "--journal", "j.jsonl"], &walkthrough_of(id));
        assert_eq!(play.status, 0, "{play}");
        let check = env.run(&["replay", "j.jsonl", "--check"], "");
        assert_eq!(check.status, 0, "{id}: {check}");
        assert!(check.stderr.starts_with("replay --check: all "), "{check}");
        // The replayed transcript is what play printed, up to the score.
        let transcript = play.stdout.split("\nScore: ").next().expect("transcript");
        assert_eq!(check.stdout, format!("{transcript}"), "{id}");
        let md = std::fs::read_to_string(env.path().join(format!("debriefs/{id}-seed3.md"))).expect("md");
        let json = std::fs::read_to_string(env.path().join(format!("debriefs/{id}-seed3.json"))).expect("json");
        let debrief = env.run(&["debrief", "j.jsonl"], "");
        assert_eq!(debrief.status, 0, "{debrief}");
        assert_eq!(debrief.stdout, md, "{id}");
        let written = env.run(&["debrief", "j.jsonl", "--format", "json", "-o", "again.json"], "");
        assert_eq!(written.status, 0, "{written}");
        assert_eq!(std::fs::read_to_string(env.path().join("again.json")).expect("json"), json, "{id}");
        let html = std::fs::read_to_string(env.path().join(format!("debriefs/{id}-seed3.html"))).expect("html");
        let written = env.run(&["debrief", "j.jsonl", "--format", "html", "-o", "again.html"], "");
        assert_eq!(written.status, 0, "{written}");
        assert_eq!(std::fs::read_to_string(env.path().join("again.html")).expect("html"), html, "{id}");
    }
}

#[test]
fn replay_shows_only_what_the_volunteer_saw() {
    let env = TestEnvironment::new();
    let id = "signup-outage";
    assert_eq!(env.run(&["play", id, "--seed", "3", "--journal", "j.jsonl"], &walkthrough_of(id)).status, 0);
    let replay = env.run(&["replay", "j.jsonl"], "");
    let scenario = wom::scenario::builtin(id).expect("built in").expect("loads");
    let mut secrets = vec![scenario.root_cause.summary.clone(), scenario.meta.title.clone()];
    secrets.extend(scenario.tracks.iter().flat_map(|t| t.states.iter().map(|s| format!("`{}`", s.id))));
    for secret in secrets {
        assert!(!replay.stdout.contains(&secret), "replay shows {secret:?}");
    }
    // The journal itself holds the hidden truth, for the debrief.
    let journal = std::fs::read_to_string(env.path().join("j.jsonl")).expect("journal");
    assert!(journal.contains("\"StateEntered\""));
}

#[test]
fn replay_until_stops_at_a_simulated_time() {
    let env = TestEnvironment::new();
    let play = env.play(4, &["status", "wait 10m", "alerts", "time"]);
    assert_eq!(play.status, 0, "{play}");
    let journal = "debriefs/signup-outage-4-20261125T180000Z.journal.jsonl";
    for until in ["14:10", "5m", "T+5m"] {
        let out = env.run(&["replay", journal, "--until", until], "");
        assert_eq!(out.status, 0, "{out}");
        assert!(out.stdout.contains("wom> wait 10m"), "{until}: {out}");
        assert!(!out.stdout.contains("wom> alerts"), "{until}: {out}");
    }
    let all = env.run(&["replay", journal, "--until", "14:30:00"], "");
    assert!(all.stdout.contains("wom> time"), "{all}");
    let bad = env.run(&["replay", journal, "--until", "25:00"], "");
    insta::assert_snapshot!(bad, @r"
    ------- stderr -------
    error: bad --until `25:00`: expected a clock time like `14:30` or a time since the page like `25m` or `T+1h`
    [EOF]
    [exit status: 2]
    ");
}

/// Plays the default walkthrough to `j.jsonl` and returns the journal's lines.
fn journaled_walkthrough(env: &TestEnvironment, scenario: &str) -> Vec<String> {
    let id = "signup-outage";
    let play = env.run(&["play", scenario, "--seed", "3", "--journal", "j.jsonl"], &walkthrough_of(id));
    assert_eq!(play.status, 0, "{play}");
    std::fs::read_to_string(env.path().join("j.jsonl")).expect("journal").lines().map(String::from).collect()
}

fn doctor(env: &TestEnvironment, lines: &[String], find: &str, from: &str, to: &str) -> String {
    let mut lines = lines.to_vec();
    let n = lines.iter().position(|l| l.contains(find)).expect("line to doctor");
    lines[n] = lines[n].replacen(from, to, 1);
    std::fs::write(env.path().join("j.jsonl"), lines.join("\n") + "\n").expect("write");
    let seq: serde_json::Value = serde_json::from_str(&lines[n]).expect("json");
    seq["seq"].to_string()
}

#[test]
fn check_fails_on_a_doctored_event_and_names_it() {
    let env = TestEnvironment::new();
    let lines = journaled_walkthrough(&env, "signup-outage");
    let seq = doctor(&env, &lines, "\"Message\"", "sixth such ticket", "first ticket");
    let out = env.run(&["replay", "j.jsonl", "--check"], "");
    assert_eq!(out.status, 1, "{out}");
    assert!(out.stderr.starts_with(&format!("replay --check failed: event {seq} differs (after `")), "{out}");
    insta::assert_snapshot!(out.stderr, @r#"replay --check failed: event 14 differs (after `declare sev2 Signups failing for all new users`): the journal has T+1m …ays Something went wrong.\" That is the first ticket in 20 minutes."}}; the replay gives T+1m …ays Something went wrong.\" That is the sixth such ticket in 20 minutes."}}"#);
}

#[test]
fn check_fails_on_a_doctored_input_at_the_first_event_it_changes() {
    let env = TestEnvironment::new();
    let lines = journaled_walkthrough(&env, "signup-outage");
    doctor(&env, &lines, "\"input\":{\"line\"", "\"line\":\"status\"", "\"line\":\"alerts\"");
    let out = env.run(&["replay", "j.jsonl", "--check"], "");
    assert_eq!(out.status, 1, "{out}");
    insta::assert_snapshot!(out.stderr, @r#"replay --check failed: event 3 differs (after `alerts`): the journal has T+0s {"Command":{"line":"status","name":"status","target":null}}; the replay gives T+0s {"Command":{"line":"alerts","name":"alerts","target":null}}"#);
}

#[test]
fn a_changed_scenario_is_said_first_then_the_event_that_differs() {
    let env = TestEnvironment::new();
    let text = wom::scenario::BUILTIN.iter().find(|(id, _, _)| *id == "signup-outage").expect("built in").2;
    let path = env.write("signups.ron", text);
    journaled_walkthrough(&env, path.to_str().expect("utf-8 path"));
    assert_eq!(env.run(&["replay", "j.jsonl", "--check"], "").status, 0);
    // Support now says it is the seventh ticket.
    std::fs::write(&path, text.replacen("sixth such ticket", "seventh such ticket", 1)).expect("write");
    let out = env.run(&["replay", "j.jsonl", "--check"], "");
    assert_eq!(out.status, 1, "{out}");
    let first = out.stderr.lines().next().expect("a message");
    assert!(first.starts_with("note: the scenario `signup-outage` changed since the drill was played (hash "), "{out}");
    let second = out.stderr.lines().nth(1).expect("the difference");
    assert!(second.starts_with("replay --check failed: event "), "{out}");
    assert!(second.contains("seventh such ticket"), "{out}");
    // Resume refuses: the drill cannot be rebuilt exactly. (Drop the last line, which says the drill was
    // written up, as if it had been killed before.)
    let journal = std::fs::read_to_string(env.path().join("j.jsonl")).expect("journal");
    let open = journal.trim_end().rsplit_once('\n').expect("lines").0.to_string() + "\n";
    std::fs::write(env.path().join("j.jsonl"), open).expect("write");
    let resume = env.run(&["resume", "j.jsonl"], "");
    assert_eq!(resume.status, 2, "{resume}");
    assert!(resume.stderr.contains("changed since the drill in j.jsonl was played"), "{resume}");
}

#[test]
fn damaged_and_headerless_journals_are_errors_not_panics() {
    let env = TestEnvironment::new();
    let lines = journaled_walkthrough(&env, "signup-outage");
    let mut damaged = lines.clone();
    damaged[5] = "{\"type\":\"event\",".to_string();
    std::fs::write(env.path().join("j.jsonl"), damaged.join("\n") + "\n").expect("write");
    let out = env.run(&["replay", "j.jsonl", "--check"], "");
    insta::assert_snapshot!(out, @r"
    ------- stderr -------
    error: j.jsonl:6: not a journal record: EOF while parsing a value at line 1 column 16
    [EOF]
    [exit status: 2]
    ");
    std::fs::write(env.path().join("j.jsonl"), &lines[0][..40]).expect("write");
    let out = env.run(&["resume", "j.jsonl"], "");
    insta::assert_snapshot!(out, @r"
    ------- stderr -------
    error: j.jsonl has no complete header: the drill was stopped before it began, nothing to rebuild
    [EOF]
    [exit status: 2]
    ");
    let out = env.run(&["debrief", "missing.jsonl"], "");
    assert_eq!(out.status, 2, "{out}");
}
