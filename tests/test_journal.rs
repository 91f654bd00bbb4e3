//! The journal file: where it goes, what its lines hold, that it is never overwritten and stays small.

use crate::common::TestEnvironment;
use serde_json::Value;
use std::sync::Arc;
use wom::journal::JournaledDrill;
use wom::session::{DrillInput, EventKind};

fn lines(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("journal");
    text.lines().map(|l| serde_json::from_str(l).expect("every line is JSON")).collect()
}

#[test]
fn play_journals_beside_the_debrief_with_a_header_and_every_event() {
    let env = TestEnvironment::new();
    let out = env.play(42, &["status", "statsu", "note checking"]);
    assert_eq!(out.status, 0, "{out}");
    let path = env.path().join("debriefs/signup-outage-42-20261125T180000Z.journal.jsonl");
    assert!(out.stdout.ends_with("Journal: debriefs/signup-outage-42-20261125T180000Z.journal.jsonl\n"), "{out}");
    let records = lines(&path);
    let header = &records[0];
    assert_eq!(header["type"], "header");
    assert_eq!(header["format"], "wom-journal/1");
    assert_eq!(header["wom"], env!("CARGO_PKG_VERSION"));
    assert_eq!(header["scenario"]["id"], "signup-outage");
    assert_eq!(header["scenario"]["path"], Value::Null);
    assert_eq!(header["scenario"]["hash"].as_str().map(str::len), Some(64));
    assert_eq!(header["seed"], 42);
    assert_eq!(header["participants"][0]["name"], "volunteer");
    assert_eq!(header["started"], "2026-11-25T18:00:00.000Z");
    let inputs: Vec<&Value> = records.iter().filter(|r| r["type"] == "input").collect();
    let typed: Vec<&str> = inputs.iter().filter_map(|r| r["input"]["line"]["line"].as_str()).collect();
    assert_eq!(typed, ["status", "statsu", "note checking"]);
    assert_eq!(inputs.last().expect("inputs")["input"]["end"]["reason"], "EndOfInput");
    assert!(inputs.iter().all(|r| r["input"]["line"]["who"] == "volunteer" || r["input"]["end"].is_object()));
    // Events are numbered without gaps, each with simulated and wall time.
    let events: Vec<&Value> = records.iter().filter(|r| r["type"] == "event").collect();
    for (n, e) in events.iter().enumerate() {
        assert_eq!(e["seq"], n as u64, "{e}");
        assert!(e["t"].is_i64() && e["wall"].is_string(), "{e}");
    }
    let kinds: Vec<&str> =
        events.iter().filter_map(|e| e["kind"].as_object()?.keys().next().map(String::as_str)).collect();
    for kind in ["Started", "AlertFired", "Command", "Output", "Rejected", "Clock", "Note", "StateEntered", "Ended"] {
        assert!(kinds.contains(&kind), "no {kind} in {kinds:?}");
    }
    // A command's output is kept as a digest, not whole.
    let output = events.iter().find(|e| e["kind"]["Output"].is_object()).expect("an output");
    assert_eq!(output["kind"]["Output"]["digest"].as_str().map(str::len), Some(32));
    assert!(!std::fs::read_to_string(&path).expect("journal").contains("SERVICE         KIND"));
}

#[test]
fn a_journal_is_never_overwritten() {
    let env = TestEnvironment::new();
    let first = env.play(1, &["quit"]);
    let second = env.play(1, &["quit"]);
    assert!(first.stdout.ends_with("signup-outage-1-20261125T180000Z.journal.jsonl\n"), "{first}");
    assert!(second.stdout.ends_with("signup-outage-1-20261125T180000Z-2.journal.jsonl\n"), "{second}");
    let before = std::fs::read(env.path().join("mine.jsonl")).ok();
    assert!(before.is_none());
    let out = env.run(&["play", "--seed", "1", "--journal", "mine.jsonl"], "note one\n");
    assert_eq!(out.status, 0, "{out}");
    let kept = std::fs::read(env.path().join("mine.jsonl")).expect("journal");
    let out = env.run(&["play", "--seed", "2", "--journal", "mine.jsonl"], "note two\n");
    insta::assert_snapshot!(out, @r"
    ------- stderr -------
    error: the journal mine.jsonl exists and journals are never overwritten; `wom resume mine.jsonl` continues it
    [EOF]
    [exit status: 2]
    ");
    assert_eq!(std::fs::read(env.path().join("mine.jsonl")).expect("journal"), kept);
}

/// A two-hour drill of about 500 commands, built through the library as `play` builds it.
fn long_drill(path: &std::path::Path) -> JournaledDrill {
    let scenario = Arc::new(wom::scenario::builtin("signup-outage").expect("built in").expect("loads"));
    let mut drill = JournaledDrill::start(scenario, None, 7, vec![], path).expect("journal");
    let cycle = ["status", "alerts", "time", "note still looking", "inbox", "logs auth --tail 5", "time", "deps"];
    for line in cycle.iter().copied().cycle().take(500) {
        drill.feed(DrillInput::line("volunteer", line)).expect("journaled");
    }
    drill
}

#[test]
fn a_journal_grows_less_than_2_kb_per_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("long.journal.jsonl");
    let drill = long_drill(&path);
    let bytes = std::fs::metadata(&path).expect("journal").len();
    let commands = drill.drill().events().iter().filter(|e| matches!(e.kind, EventKind::Command { .. })).count();
    assert_eq!(commands, 500);
    assert!(drill.drill().now() >= 2 * 3600, "a two-hour drill, not {}s", drill.drill().now());
    let per_command = bytes / commands as u64;
    assert!(per_command < 2048, "{per_command} bytes per command");
}

#[test]
fn the_format_example_in_docs_is_a_real_journal() {
    let env = TestEnvironment::new();
    let args = ["play", "--seed", "42", "--player", "alex", "--journal", "j.jsonl"];
    let out = env.run(&args, "status\nstatsu\nnote checking the probe\nquit\n");
    assert_eq!(out.status, 0, "{out}");
    let real = std::fs::read_to_string(env.path().join("j.jsonl")).expect("journal");
    let doc = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/journal.md"))
        .expect("docs/journal.md");
    let example = doc.split("```jsonl\n").nth(1).and_then(|b| b.split("```").next()).expect("a jsonl example");
    let quoted: Vec<&str> = example.lines().collect();
    assert_eq!(quoted.len(), real.lines().count(), "the example shows every line of the journal");
    for (shown, line) in quoted.iter().zip(real.lines()) {
        match shown.split_once('…') {
            // Shortened: what comes before the cut (up to its last quote) is real.
            Some((before, _)) => {
                let kept = &before[..before.rfind('"').map_or(0, |i| i + 1)];
                assert!(line.starts_with(kept), "docs/journal.md shows\n{shown}\nbut wom writes\n{line}");
            }
            None => assert_eq!(*shown, line, "docs/journal.md is out of date"),
        }
    }
}
