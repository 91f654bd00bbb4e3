//! `wom resume`: a drill killed with SIGKILL at any point, resumed and finished, ends exactly like one never
//! interrupted (same transcript, score and debrief).

use crate::common::{CommandOutput, TestEnvironment, walkthrough};
use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

const SEED: &str = "11";

/// A scripted drill: the default walkthrough with a refused command, help and a wait mixed in.
fn script() -> Vec<String> {
    let mut lines = vec!["help logs".to_string(), "statsu".to_string(), "wait 2m".to_string()];
    lines.extend(walkthrough());
    lines
}

fn stdin_of(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// Everything that must not differ between two runs of the same drill.
#[derive(Debug, PartialEq)]
struct Outcome {
    transcript: String,
    check: CommandOutput,
    markdown: String,
    json: String,
    score: String,
}

impl PartialEq for CommandOutput {
    fn eq(&self, other: &CommandOutput) -> bool {
        self.to_string() == other.to_string()
    }
}

impl std::fmt::Debug for CommandOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

fn outcome(env: &TestEnvironment, journal: &str, debrief_dir: &str, finished: &CommandOutput) -> Outcome {
    let replay = env.run(&["replay", journal], "");
    assert_eq!(replay.status, 0, "{replay}");
    let score = finished.stdout.split("\nScore: ").nth(1).and_then(|s| s.split("Debrief written").next());
    let read =
        |ext: &str| std::fs::read_to_string(env.path().join(format!("{debrief_dir}/signup-outage-seed{SEED}.{ext}")));
    Outcome {
        transcript: replay.stdout,
        check: env.run(&["replay", journal, "--check"], ""),
        markdown: read("md").expect("markdown debrief"),
        json: read("json").expect("json debrief"),
        score: score.expect("a score").to_string(),
    }
}

fn uninterrupted(env: &TestEnvironment) -> Outcome {
    let out = env.run(&["play", "--seed", SEED, "--journal", "full.jsonl", "--debrief", "full"], &stdin_of(&script()));
    assert_eq!(out.status, 0, "{out}");
    assert!(out.stdout.contains("Score: 97/100"), "{out}");
    outcome(env, "full.jsonl", "full", &out)
}

/// Inputs wholly on disk: a torn last line does not count.
fn inputs_on_disk(env: &TestEnvironment, journal: &str) -> usize {
    let text = std::fs::read_to_string(env.path().join(journal)).unwrap_or_default();
    let complete = &text[..text.rfind('\n').map_or(0, |i| i + 1)];
    complete.lines().filter(|l| l.starts_with("{\"type\":\"input\"")).count()
}

/// Whether the journal ends in a line cut short.
fn torn(env: &TestEnvironment, journal: &str) -> bool {
    std::fs::read(env.path().join(journal)).is_ok_and(|t| t.last().is_some_and(|b| *b != b'\n'))
}

/// Resumes `journal` (or starts over when the kill came before its header was on disk) and finishes the script.
fn resume_and_finish(env: &TestEnvironment, journal: &str, debrief_dir: &str) -> CommandOutput {
    let header_on_disk = std::fs::read_to_string(env.path().join(journal)).is_ok_and(|t| t.contains('\n'));
    let torn = torn(env, journal);
    if !header_on_disk {
        let _ = std::fs::remove_file(env.path().join(journal));
        let args = ["play", "--seed", SEED, "--journal", journal, "--debrief", debrief_dir];
        return env.run(&args, &stdin_of(&script()));
    }
    let done = inputs_on_disk(env, journal);
    let out = env.run(&["resume", journal, "--debrief", debrief_dir], &stdin_of(&script()[done..]));
    assert_eq!(out.status, 0, "{out}");
    assert_eq!(out.stderr.contains("dropped a torn last line"), torn, "{out}");
    assert!(out.stdout.starts_with("Resumed from "), "{out}");
    out
}

#[test]
fn sigkill_mid_write_at_many_points_then_resume_ends_like_an_uninterrupted_drill() {
    let env = TestEnvironment::new();
    let expected = uninterrupted(&env);
    assert_eq!(expected.check.status, 0, "{}", expected.check);
    let full = std::fs::read(env.path().join("full.jsonl")).expect("journal");
    let ends: Vec<usize> = full.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1).collect();
    // Kill points: just after a line (a clean cut), one byte short of a line's end and halfway through a
    // line (killed mid-write), spread over the whole drill, header included.
    let mut points: Vec<(usize, bool)> = Vec::new();
    for (n, pair) in ends.windows(2).enumerate().step_by(4) {
        let (start, end) = (pair[0], pair[1]);
        points.push((start, false));
        points.push((end - 1, true));
        points.push((start + (end - start) / 2, true));
        if n == 0 {
            points.push((ends[0] / 2, true)); // Inside the header.
        }
    }
    assert!(points.len() >= 30, "{} kill points", points.len());
    for (n, (at, torn)) in points.into_iter().enumerate() {
        let journal = format!("killed-{n}.jsonl");
        let dir = format!("killed-{n}");
        let args = ["play", "--seed", SEED, "--journal", &journal, "--debrief", &dir];
        let killed = env.run_with(&args, stdin_of(&script()).as_bytes(), &[("WOM_JOURNAL_KILL_AT", &at.to_string())]);
        assert_eq!(killed.signal, Some(9), "killed at byte {at}: {killed}");
        assert_eq!(std::fs::metadata(env.path().join(&journal)).expect("journal").len(), at as u64);
        assert_eq!(self::torn(&env, &journal), torn, "killed at byte {at}");
        let finished = resume_and_finish(&env, &journal, &dir);
        let got = outcome(&env, &journal, &dir, &finished);
        assert_eq!(got, expected, "killed at byte {at} of {}", full.len());
    }
}

#[test]
fn sigkill_from_outside_while_commands_arrive_then_resume_ends_like_an_uninterrupted_drill() {
    let env = TestEnvironment::new();
    let expected = uninterrupted(&env);
    let lines = script();
    // Kill after k lines were sent and a pause that lets the drill reach anywhere in its handling of them.
    for (n, (k, pause_ms)) in
        [(0, 0), (0, 30), (1, 5), (2, 20), (4, 1), (6, 40), (9, 10), (12, 3)].into_iter().enumerate()
    {
        let journal = format!("outside-{n}.jsonl");
        let dir = format!("outside-{n}");
        let mut child = env
            .command(&["play", "--seed", SEED, "--journal", &journal, "--debrief", &dir], &[])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn wom");
        let mut stdin = child.stdin.take().expect("stdin");
        let _ = stdin.write_all(stdin_of(&lines[..k]).as_bytes());
        let _ = stdin.flush();
        std::thread::sleep(Duration::from_millis(pause_ms));
        child.kill().expect("SIGKILL");
        let status = child.wait().expect("wait");
        drop(stdin);
        assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(9), "{status}");
        let finished = resume_and_finish(&env, &journal, &dir);
        let got = outcome(&env, &journal, &dir, &finished);
        assert_eq!(got, expected, "killed after {k} lines and {pause_ms} ms");
    }
}

#[test]
fn resuming_twice_and_resuming_a_finished_drill_keep_the_same_outcome() {
    let env = TestEnvironment::new();
    let expected = uninterrupted(&env);
    let lines = script();
    let args = ["play", "--seed", SEED, "--journal", "twice.jsonl", "--debrief", "twice"];
    // Input ends early: the drill stays open only if the process dies, so kill it after three commands.
    let full = std::fs::read_to_string(env.path().join("full.jsonl")).expect("journal");
    let third_input = full.match_indices("{\"type\":\"input\"").nth(3).map(|(i, _)| i).expect("inputs");
    let killed = env.run_with(&args, stdin_of(&lines).as_bytes(), &[("WOM_JOURNAL_KILL_AT", &third_input.to_string())]);
    assert_eq!(killed.signal, Some(9), "{killed}");
    let second_stop = full.match_indices("{\"type\":\"input\"").nth(8).map(|(i, _)| i).expect("inputs");
    let resume_args = ["resume", "twice.jsonl", "--debrief", "twice"];
    let killed = env.run_with(
        &resume_args,
        stdin_of(&lines[3..]).as_bytes(),
        &[("WOM_JOURNAL_KILL_AT", &(second_stop + 100).to_string())],
    );
    assert_eq!(killed.signal, Some(9), "{killed}");
    let finished = resume_and_finish(&env, "twice.jsonl", "twice");
    assert_eq!(outcome(&env, "twice.jsonl", "twice", &finished), expected);
    // The drill is over and written up: there is nothing left to resume.
    let again = env.run(&["resume", "twice.jsonl", "--debrief", "twice"], "");
    insta::assert_snapshot!(again, @r"
    ------- stderr -------
    error: the drill in twice.jsonl is over and its debrief was written; `wom debrief twice.jsonl` writes it again
    [EOF]
    [exit status: 2]
    ");
    assert!(!env.path().join(format!("twice/signup-outage-seed{SEED}-2.md")).exists());
}

#[test]
fn a_drill_still_running_cannot_be_resumed_twice() {
    let env = TestEnvironment::new();
    let mut running =
        env.command(&["play", "--seed", SEED, "--journal", "busy.jsonl"], &[]).spawn().expect("spawn wom");
    let mut stdin = running.stdin.take().expect("stdin");
    let _ = stdin.write_all(b"status\n");
    let _ = stdin.flush();
    // Wait until the running drill has journaled the command: it holds the journal from its creation on.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while inputs_on_disk(&env, "busy.jsonl") < 1 {
        assert!(std::time::Instant::now() < deadline, "the drill never journaled its first command");
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = env.run(&["resume", "busy.jsonl"], "quit\n");
    insta::assert_snapshot!(second, @r"
    ------- stderr -------
    error: the journal busy.jsonl is in use by another wom: its drill is still running
    [EOF]
    [exit status: 2]
    ");
    running.kill().expect("SIGKILL");
    running.wait().expect("wait");
    drop(stdin);
    // The lock died with the process.
    let resumed = env.run(&["resume", "busy.jsonl"], "quit\n");
    assert_eq!(resumed.status, 0, "{resumed}");
    assert!(resumed.stdout.starts_with("Resumed from busy.jsonl: 1 input replayed;"), "{resumed}");
}
