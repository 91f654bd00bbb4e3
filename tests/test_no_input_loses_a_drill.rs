//! Inputs that used to end a drill abruptly: each now leaves the drill running, or ends it cleanly with
//! its debrief written (issue 10).

use crate::common::TestEnvironment;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::io::{BufRead, BufReader, Read, Write};

#[test]
fn an_invalid_utf8_byte_does_not_end_the_drill() {
    let env = TestEnvironment::new();
    let out = env.run_with(&["play", "--seed", "1"], b"status\nnote caf\xe9\ntime\nquit\n", &[]);
    assert_eq!(out.status, 0, "{out}");
    assert!(out.stdout.contains("wom> note caf\u{fffd}\nNoted."), "{out}");
    assert!(out.stdout.contains("(quit)"), "the drill ran on to `quit`: {out}");
    assert!(env.debrief().contains("caf\u{fffd}"));
}

#[test]
fn a_huge_line_is_refused_with_the_limit_and_the_drill_goes_on() {
    let env = TestEnvironment::new();
    let mut input = vec![b'x'; 4 << 20];
    input.extend_from_slice(b"\ntime\nquit\n");
    let out = env.run_with(&["play", "--seed", "1"], &input, &[]);
    assert_eq!(out.status, 0, "{out}");
    assert!(
        out.stdout.contains("error: line too long (4194304 bytes); a command line holds at most 8192 bytes (8 KiB)\n"),
        "{out}"
    );
    assert!(out.stdout.contains("wom> time\nIt is"), "{out}");
    assert!(out.stdout.len() < 100_000, "the refused line is not echoed back");
}

#[test]
fn a_long_unknown_word_gets_a_short_error() {
    let env = TestEnvironment::new();
    let word = "z".repeat(8000);
    let out = env.play(1, &[&word, "quit"]);
    let error = out.stdout.lines().find(|l| l.starts_with("error: unknown command")).expect("an error line");
    assert!(error.len() < 200, "{error}");
    assert!(out.stdout.contains("(quit)"), "{out}");
}

#[test]
fn free_text_has_a_limit_that_is_said() {
    let env = TestEnvironment::new();
    let note = format!("note {}", "n".repeat(3000));
    let title = format!("declare sev2 {}", "t".repeat(300));
    let out = env.play(1, &[&note, &title, "note short", "quit"]);
    assert!(
        out.stdout.contains("error: note: the text has 3000 characters; at most 2000 are kept, so say it in fewer"),
        "{out}"
    );
    assert!(out.stdout.contains("error: declare: the title has 300 characters; at most 200 are kept"), "{out}");
    assert!(out.stdout.contains("wom> note short\nNoted."), "{out}");
    let debrief = env.debrief();
    assert!(!debrief.contains(&"n".repeat(2001)), "the long note is not in the debrief");
}

#[test]
fn control_characters_are_shown_escaped_on_screen_and_in_the_debrief() {
    let env = TestEnvironment::new();
    let out = env.run_with(
        &["play", "--seed", "1"],
        b"note \x1b[31mred\x1b[0m and a bell\x07\nupdate \xe2\x80\xaeevil\nstat\x1b[Aus\nquit\n",
        &[],
    );
    assert!(!out.stdout.contains('\u{1b}') && !out.stdout.contains('\u{7}'), "{out}");
    assert!(out.stdout.contains("wom> note ␛[31mred␛[0m and a bell␇\nNoted."), "{out}");
    assert!(out.stdout.contains("error: unknown command `stat␛[Aus`"), "{out}");
    let debrief = env.debrief();
    assert!(debrief.contains("␛[31mred"), "{debrief}");
    assert!(debrief.contains("<U+202E>evil"), "{debrief}");
    assert!(!debrief.chars().any(|c| c.is_control() && c != '\n' || c == '\u{202e}'), "{debrief}");
}

#[test]
fn habitual_words_exit_clear_and_question_mark_work() {
    let env = TestEnvironment::new();
    let out = env.play(1, &["?", "clear", "exit", "status"]);
    assert!(out.stdout.contains("wom> ?\nhelp "), "`?` lists the commands: {out}");
    assert!(out.stdout.contains("wom> clear\n"), "{out}");
    assert!(!out.stdout.contains("error: "), "{out}");
    assert!(out.stdout.contains("(quit)"), "`exit` ends the drill like `quit`: {out}");
    assert!(!out.stdout.contains("wom> status"), "nothing runs after `exit`: {out}");
}

#[test]
fn a_closed_stdout_still_runs_the_drill_to_its_end_and_writes_the_debrief() {
    let env = TestEnvironment::new();
    let mut script = "help\n".repeat(200);
    script.push_str("note the last line of the script\n");
    let script = env.write("s.txt", &script);
    let mut child =
        env.command(&["play", "--seed", "4", "--script", script.to_str().unwrap()], &[]).spawn().expect("spawn wom");
    drop(child.stdin.take());
    // Like `| head -3`: read three lines, then go away.
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    for _ in 0..3 {
        let mut line = String::new();
        stdout.read_line(&mut line).expect("a line");
    }
    drop(stdout);
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("stderr");
    let status = child.wait().expect("wait");
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("wom: standard output closed early"), "{stderr}");
    assert!(stderr.contains("the drill went on without it to its end (end of input)"), "{stderr}");
    assert!(stderr.contains("debrief written to debriefs/signup-outage-seed4.md"), "{stderr}");
    assert!(env.debrief().contains("the last line of the script"), "the whole script was played");
}

/// Starts a drill on a pipe, waits until it has answered `time`, sends `signal`, and returns what it said.
fn signalled(signal: Signal) -> (TestEnvironment, String, String, i32) {
    let env = TestEnvironment::new();
    let mut child = env.command(&["play", "--seed", "2"], &[]).spawn().expect("spawn wom");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"note before the signal\ntime\n").expect("write");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut seen = String::new();
    while !seen.contains("It is ") {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).expect("read") > 0, "wom ended early: {seen}");
        seen.push_str(&line);
    }
    kill(Pid::from_raw(child.id() as i32), signal).expect("kill");
    stdout.read_to_string(&mut seen).expect("rest of stdout");
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("stderr");
    let status = child.wait().expect("wait").code().unwrap_or(-1);
    drop(stdin);
    (env, seen, stderr, status)
}

#[test]
fn sigterm_sighup_and_sigint_end_the_drill_cleanly_with_its_debrief() {
    for (signal, name) in [(Signal::SIGTERM, "SIGTERM"), (Signal::SIGHUP, "SIGHUP"), (Signal::SIGINT, "SIGINT")] {
        let (env, stdout, stderr, status) = signalled(signal);
        assert_eq!(status, 0, "{name}: {stdout}{stderr}");
        assert!(stdout.contains("(stopped by a signal)"), "{name}: {stdout}");
        assert!(stdout.contains("Debrief written to debriefs/signup-outage-seed2.md"), "{name}: {stdout}");
        assert!(stderr.contains(&format!("wom: {name} received; the drill ended there")), "{name}: {stderr}");
        assert!(env.debrief().contains("before the signal"), "{name}: what was typed is kept");
    }
}

#[test]
fn a_scenario_id_that_is_not_a_plain_name_is_refused_at_load() {
    let env = TestEnvironment::new();
    let text = wom::scenario::BUILTIN[0].2.replacen("id: \"signup-outage\"", "id: \"../../etc/evil\"", 1);
    assert_ne!(text, wom::scenario::BUILTIN[0].2);
    let path = env.write("evil.ron", &text);
    let out = env.run(&["play", path.to_str().unwrap()], "quit\n");
    assert_eq!(out.status, 2, "{out}");
    let line = text.lines().position(|l| l.contains("../../etc/evil")).unwrap() + 1;
    assert!(out.stderr.contains(&format!("evil.ron:{line}:")), "{out}");
    assert!(out.stderr.contains("`../../etc/evil` is not a plain name"), "{out}");
    assert!(
        !env.path().join("debriefs").exists() || std::fs::read_dir(env.path().join("debriefs")).unwrap().count() == 0
    );
}

#[test]
fn trace_diagnostics_during_play_carry_no_hidden_truth() {
    let env = TestEnvironment::new();
    let scenario = wom::scenario::builtin(wom::scenario::DEFAULT_SCENARIO).unwrap().unwrap();
    let mut input = scenario.walkthrough.join("\n");
    input.push('\n');
    let out = env.run_with(&["play", "--seed", "3"], input.as_bytes(), &[("WOM_LOG", "trace")]);
    assert!(out.stderr.lines().count() > 20, "trace logging is on: {}", out.stderr);
    let mut secrets = vec![scenario.root_cause.summary.clone(), scenario.gm_notes.clone(), scenario.meta.id.clone()];
    secrets.extend(scenario.tracks.iter().flat_map(|t| t.states.iter()).map(|s| format!("\"{}\"", s.id)));
    secrets.extend(scenario.tracks.iter().flat_map(|t| t.states.iter()).map(|s| format!("state: {}", s.id)));
    secrets.extend(scenario.rubric.evidence.iter().map(|e| e.id.clone()));
    secrets.extend(["StateEntered", "phase"].map(String::from));
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        assert!(!out.stderr.contains(secret.as_str()), "stderr shows hidden text `{secret}`:\n{}", out.stderr);
    }
}

/// The `changes` lines by the volunteer after `actions`, and the drill's log lines on `service`.
fn after_actions(actions: &[&str], service: &str) -> (Vec<String>, String) {
    let scenario = std::sync::Arc::new(wom::scenario::builtin(wom::scenario::DEFAULT_SCENARIO).unwrap().unwrap());
    let mut drill = wom::session::Drill::start(scenario, 5);
    for action in actions {
        drill.respond(action);
    }
    drill.respond("wait 5m");
    let text = |drill: &mut wom::session::Drill, line: &str| {
        let range = drill.respond(line);
        let events = &drill.events()[range];
        events.iter().filter_map(|e| wom::session::volunteer_view(e, 0)).map(|d| d.plain_text()).collect::<String>()
    };
    let changes =
        text(&mut drill, "changes --since 1h").lines().filter(|l| l.ends_with("by you")).map(String::from).collect();
    (changes, text(&mut drill, &format!("logs {service} --since 10m --tail 1000")))
}

#[test]
fn generic_actions_change_what_a_real_system_shows_whether_or_not_they_help() {
    let (changes, logs) = after_actions(&["mitigate restart web"], "web");
    assert!(changes.iter().any(|c| c.contains("web") && c.contains("restart of every web instance")), "{changes:?}");
    assert!(logs.contains("received SIGTERM") && logs.contains("web started; ready to serve"), "{logs}");
    let (changes, logs) = after_actions(&["mitigate rollback email"], "email");
    assert!(changes.iter().any(|c| c.contains("rollback of email to v1.7.0 (was v1.8.0)")), "{changes:?}");
    assert!(logs.contains("rolling email back from v1.8.0 to v1.7.0"), "{logs}");
    let (changes, _) = after_actions(&["mitigate scale-up auth"], "auth");
    assert!(changes.iter().any(|c| c.contains("scaled auth out by 2 instances")), "{changes:?}");
    let (changes, _) = after_actions(&["mitigate disable-flag remember_me_v2"], "auth");
    assert!(changes.iter().any(|c| c.contains("flag remember_me_v2 set to off")), "{changes:?}");
}

#[test]
fn a_modelled_action_shows_the_scenarios_effects_once_and_looks_like_any_other() {
    // The scenario models turning `new_signup_handler` off; the routine effects must not double it.
    let (changes, _) = after_actions(&["mitigate disable-flag new_signup_handler"], "auth");
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(changes[0].contains("Flag new_signup_handler: 100% -> 0%"), "{changes:?}");
    // Every action leaves exactly one entry, modelled or not: counting them reveals nothing.
    let (changes, _) = after_actions(&["mitigate disable-flag remember_me_v2"], "auth");
    assert_eq!(changes.len(), 1, "{changes:?}");
}

#[test]
fn play_into_a_file_from_a_terminal_keeps_prompt_and_editing_on_the_terminal_and_plain_text_in_the_file() {
    // util-linux's `script` gives wom a real terminal on standard input while its output goes to a file.
    let env = TestEnvironment::new();
    let wom = env!("CARGO_BIN_EXE_wom");
    let mut child = std::process::Command::new("script")
        .args(["-qfec", &format!("{wom} play --seed 1 > out.txt"), "/dev/null"])
        .current_dir(env.path())
        .env("NO_COLOR", "")
        .env("TERM", "xterm")
        .env("WOM_NOW", "2026-11-25T18:00:00Z")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"time\n").expect("type");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    stdin.write_all(b"quit\n").expect("type");
    let mut screen = String::new();
    child.stdout.take().expect("stdout").read_to_string(&mut screen).expect("screen");
    drop(stdin);
    child.wait().expect("wait");
    let file = std::fs::read_to_string(env.path().join("out.txt")).expect("out.txt");
    assert!(screen.contains("wom> "), "the prompt is on the terminal: {screen:?}");
    assert!(!file.contains('\u{1b}'), "no escape codes in the file: {file:?}");
    assert!(file.contains("14:05:00 wom> time\nIt is 14:05:00"), "the file is a plain transcript: {file}");
    assert!(file.contains("Drill over at 14:05:00 (quit)."), "{file}");
}
