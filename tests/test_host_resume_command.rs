//! `wom host` journaled and `wom resume` of a hosted drill, over real loopback with the real binary: a host
//! killed with SIGKILL (from outside, or by the journal's kill hook in the middle of a line), resumed on the
//! same port, with its responders and observer rejoining by themselves, ends exactly like a drill never
//! interrupted: the same transcript, score and debrief, and the same screen for the observer.

use crate::common::TestEnvironment;
use std::io::{Read, Write};
use std::process::{Child, ChildStdin};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SEED: &str = "23";
const CODE: &str = "resume-test-code";

/// Who types a step.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Gm,
    Alex,
    Sam,
}

/// A hosted drill with two responders and a GM: commands with who typed them, GM injects, a hint, a
/// question and its answer, a GM-fired trigger, pause and advance.
fn steps() -> Vec<(Who, &'static str)> {
    use Who::*;
    vec![
        (Alex, "status"),
        (Sam, "alerts"),
        (Gm, "inject alert DiskFull users-db disk 95% full"),
        (Alex, "declare sev2 Signups failing for all new users"),
        (Sam, "role ol"),
        (Alex, "role ic"),
        (Sam, "ask did the auth team ship anything today?"),
        (Gm, "answer 1 v2.15.0 went out after lunch"),
        (Alex, "logs auth --grep signup --tail 5"),
        (Gm, "inject vip-escalation"),
        (Gm, "pause"),
        (Sam, "changes"),
        (Gm, "resume"),
        (Gm, "advance 2m"),
        (Alex, "escalate dba are the users inserts failing?"),
        (Gm, "hint 1"),
        (Sam, "flags"),
        (Sam, "mitigate disable-flag new_signup_handler"),
        (Alex, "wait 3m"),
        (Alex, "diagnose auth v2.15.0 stopped sending marketing_opt_in, so INSERT INTO users violates NOT NULL"),
        (Gm, "accept"),
        (Alex, "update Mitigated: new_signup_handler is off and signups are recovering."),
        (Gm, "end"),
    ]
}

/// A running `wom` whose standard output is collected as it comes.
struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Running {
    fn spawn(env: &TestEnvironment, args: &[&str], vars: &[(&str, &str)]) -> Running {
        let mut child = env.command(args, vars).spawn().expect("spawn wom");
        let stdin = child.stdin.take();
        let collect = |mut from: Box<dyn Read + Send>| {
            let buf = Arc::new(Mutex::new(Vec::new()));
            let into = buf.clone();
            std::thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while let Ok(n) = from.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    into.lock().expect("lock").extend_from_slice(&chunk[..n]);
                }
            });
            buf
        };
        let stdout = collect(Box::new(child.stdout.take().expect("stdout")));
        let stderr = collect(Box::new(child.stderr.take().expect("stderr")));
        Running { child, stdin, stdout, stderr }
    }

    fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        if let Err(e) = stdin.write_all(format!("{line}\n").as_bytes()).and_then(|()| stdin.flush()) {
            std::thread::sleep(Duration::from_millis(200));
            let status = self.child.try_wait();
            panic!(
                "typing `{line}` failed ({e}); exit {status:?}\nstdout:\n{}\nstderr:\n{}",
                text(&self.stdout),
                text(&self.stderr)
            );
        }
    }

    fn exited(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_some()
    }

    /// Waits for the process to end (after closing its standard input) and returns its output.
    fn finish(mut self) -> (String, String, i32) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            assert!(Instant::now() < deadline, "wom did not finish: {}", text(&self.stdout));
            std::thread::sleep(Duration::from_millis(20));
        };
        // Let the reader threads drain the pipes.
        std::thread::sleep(Duration::from_millis(100));
        (text(&self.stdout), text(&self.stderr), status.code().unwrap_or(-1))
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A test that fails half way leaves no `wom` running behind it.
impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn text(buf: &Arc<Mutex<Vec<u8>>>) -> String {
    String::from_utf8_lossy(&buf.lock().expect("lock")).into_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn listening(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// Inputs wholly on disk: a torn last line does not count.
fn inputs_on_disk(env: &TestEnvironment, journal: &str) -> usize {
    let text = std::fs::read_to_string(env.path().join(journal)).unwrap_or_default();
    let complete = &text[..text.rfind('\n').map_or(0, |i| i + 1)];
    complete.lines().filter(|l| l.starts_with("{\"type\":\"input\"")).count()
}

/// How a run is interrupted.
#[derive(Clone, Copy, Debug)]
enum Kill {
    Never,
    /// SIGKILL from outside once this many steps are on disk.
    AfterSteps(usize),
    /// The journal's kill hook: the host dies when its journal reaches this many bytes (mid-line).
    AtByte(u64),
}

/// Everything that must not differ between an interrupted drill and one never interrupted.
#[derive(Debug, PartialEq)]
struct Outcome {
    transcript: String,
    check: String,
    markdown: String,
    json: String,
    score: String,
    observer: String,
}

/// Plays the steps on a hosted drill, interrupted as `kill` says, and gathers the outcome.
fn play(env: &TestEnvironment, name: &str, kill: Kill) -> (Outcome, bool) {
    let port = free_port();
    assert!(port >= 10_000, "an ephemeral port has five digits: {port}");
    let addr = format!("127.0.0.1:{port}");
    let journal = format!("{name}.jsonl");
    let host_args = [
        "host",
        "signup-outage",
        "--listen",
        &addr,
        "--code",
        CODE,
        "--seed",
        SEED,
        "--journal",
        &journal,
        "--debrief",
        name,
    ];
    let hook = match kill {
        Kill::AtByte(at) => vec![("WOM_JOURNAL_KILL_AT", at.to_string())],
        _ => vec![],
    };
    let hook: Vec<(&str, &str)> = hook.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut host = Running::spawn(env, &host_args, &hook);
    wait_for("the host to listen", || listening(port));
    let join = |who: &str, observe: bool| {
        let mut args = vec!["join", &addr, "--code", CODE, "--name", who];
        if observe {
            args.push("--observe");
        }
        Running::spawn(env, &args, &[])
    };
    let watcher = join("watcher", true);
    let mut alex = join("alex", false);
    let mut sam = join("sam", false);
    let mut resumed = false;
    let resume = |env: &TestEnvironment| {
        let args = ["resume", &journal, "--debrief", name];
        let host = Running::spawn(env, &args, &[]);
        wait_for("the resumed host to listen", || listening(port));
        host
    };
    for (i, (who, line)) in steps().into_iter().enumerate() {
        if let Kill::AfterSteps(k) = kill
            && k == i
        {
            host.kill();
            host = resume(env);
            resumed = true;
        }
        match who {
            Who::Gm => host.type_line(line),
            Who::Alex => alex.type_line(line),
            Who::Sam => sam.type_line(line),
        }
        wait_for(&format!("step {i} `{line}` on disk"), || inputs_on_disk(env, &journal) > i || host.exited());
        if host.exited() && inputs_on_disk(env, &journal) <= i {
            // Killed mid-write by the hook: the step never reached the journal. A responder's client sends
            // it again by itself once it has rejoined; the GM types it again.
            host = resume(env);
            resumed = true;
            if who == Who::Gm {
                host.type_line(line);
            }
            wait_for(&format!("step {i} `{line}` after the resume"), || inputs_on_disk(env, &journal) > i);
        } else if host.exited() && i + 1 < steps().len() {
            host = resume(env);
            resumed = true;
        }
    }
    let (host_out, host_err, status) = host.finish();
    assert_eq!(status, 0, "{host_out}\n{host_err}");
    for client in [alex, sam] {
        let (out, err, status) = client.finish();
        assert_eq!(status, 0, "{out}\n{err}");
        // A client that lost the host rejoins the resumed one and says so. One whose first connection the dying
        // host reset retries it and joins the resumed host as its first (no rejoin to report).
        assert_eq!(err.contains("Lost the host"), err.contains("Rejoined as"), "{err}");
        assert!(resumed || !err.contains("Rejoined as"), "{err}");
        assert!(out.trim_end().ends_with("The host says: the drill is over."), "{out}");
    }
    let (observer, _, status) = watcher.finish();
    assert_eq!(status, 0, "{observer}");
    let replay = env.run(&["replay", &journal], "");
    assert_eq!(replay.status, 0, "{replay}");
    let check = env.run(&["replay", &journal, "--check"], "");
    let read = |ext: &str| std::fs::read_to_string(env.path().join(format!("{name}/signup-outage-seed{SEED}.{ext}")));
    let score = host_out.split("\nScore: ").nth(1).and_then(|s| s.split("Debrief written").next());
    let outcome = Outcome {
        transcript: replay.stdout,
        check: check.to_string(),
        markdown: read("md").expect("markdown debrief"),
        json: read("json").expect("json debrief"),
        score: score.unwrap_or_else(|| panic!("a score: {host_out}")).to_string(),
        observer,
    };
    (outcome, resumed)
}

#[test]
fn a_hosted_drill_killed_and_resumed_ends_like_an_uninterrupted_one() {
    let env = TestEnvironment::new();
    let (expected, resumed) = play(&env, "full", Kill::Never);
    assert!(!resumed);
    assert!(expected.check.contains("------- stderr -------\nreplay --check: all "), "{}", expected.check);
    // Who typed what is in the journal and the transcript.
    let journal = std::fs::read_to_string(env.path().join("full.jsonl")).expect("journal");
    assert!(journal.contains(r#""input":{"line":{"who":"sam","line":"ask did the auth team ship anything today?"}}"#));
    assert!(journal.contains(r#""input":{"gm":{"line":"inject vip-escalation"}}"#));
    assert!(journal.lines().next().is_some_and(|h| h.contains(r#""hosted":{"listen":"127.0.0.1:"#)));
    assert!(expected.observer.contains("alex> declare sev2"), "{}", expected.observer);
    assert!(expected.transcript.contains("ALERT DiskFull firing"), "{}", expected.transcript);

    // Byte offsets of every input line of the uninterrupted journal. Every run's header has the same
    // length: ports come from the ephemeral range, five digits each.
    let inputs: Vec<(u64, u64)> = journal
        .match_indices("{\"type\":\"input\"")
        .map(|(start, _)| (start as u64, journal[start..].find('\n').expect("line end") as u64 + 1))
        .collect();
    let mut kills = vec![Kill::AfterSteps(1), Kill::AfterSteps(8), Kill::AfterSteps(15)];
    // Mid-line: in a responder's input line and in a GM's (neither reaches the disk), and in the first
    // event after an input (the input is on disk; the resume completes its events).
    let (responder, gm, events) = (inputs[4], inputs[9], inputs[12]);
    kills.push(Kill::AtByte(responder.0 + responder.1 / 2));
    kills.push(Kill::AtByte(gm.0 + gm.1 / 2));
    kills.push(Kill::AtByte(events.0 + events.1 + 10));
    for (n, kill) in kills.into_iter().enumerate() {
        let name = format!("killed-{n}");
        let (got, resumed) = play(&env, &name, kill);
        assert!(resumed, "{kill:?}: never interrupted");
        assert_same(&got, &expected, &format!("{kill:?}"));
    }
}

/// Equal outcomes, or a failure naming the first part and line that differ.
fn assert_same(got: &Outcome, expected: &Outcome, what: &str) {
    let parts = [
        ("transcript", &got.transcript, &expected.transcript),
        ("replay --check", &got.check, &expected.check),
        ("markdown debrief", &got.markdown, &expected.markdown),
        ("json debrief", &got.json, &expected.json),
        ("score", &got.score, &expected.score),
        ("observer's screen", &got.observer, &expected.observer),
    ];
    for (part, got, expected) in parts {
        if got == expected {
            continue;
        }
        let line = got.lines().zip(expected.lines()).position(|(a, b)| a != b).unwrap_or(0);
        let context = |text: &str| text.lines().skip(line.saturating_sub(3)).take(8).collect::<Vec<_>>().join("\n");
        panic!(
            "{what}: the {part} differs at line {line}:\n--- got:\n{}\n--- expected:\n{}",
            context(got),
            context(expected)
        );
    }
}
