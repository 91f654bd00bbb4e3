//! `resolve` typed through `wom join` at a terminal asks for each of the 5 Ws not yet recorded, like the solo
//! REPL: the host says which are missing (the `five_ws` frame), the client asks and sends the answers as `5w`
//! lines. Over real loopback sockets, and through a real pseudo-terminal (util-linux's `script`).

use crate::common::TestEnvironment;
use std::sync::Arc;
use std::time::Duration;
use wom::net::{ClientFrame, Connection, FiveWQuestion, Host, HostConfig, JoinOptions, ServerFrame};
use wom::scenario::builtin;
use wom::session::Drill;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_answers_which_ws_are_not_recorded_yet_and_refuses_observers() {
    let scenario = Arc::new(builtin("signup-outage").expect("built-in").expect("valid"));
    let config = HostConfig { listen: "127.0.0.1:0".parse().expect("addr"), code: "c".into(), shown: 0 };
    let host = Host::start(Drill::host(scenario, 7), config).await.expect("host starts");
    let options = |name: &str, observe| JoinOptions {
        addr: host.addr().to_string(),
        code: "c".into(),
        name: name.into(),
        observe,
    };
    let mut alex = Connection::open(&options("alex", false)).await.expect("connects");
    alex.until_ready().await;
    alex.command("5w who every new user").await.expect("sends");
    alex.send(&ClientFrame::FiveWs).await.expect("asks");
    let answer = tokio::time::timeout(Duration::from_secs(10), alex.next()).await.expect("in time");
    let q = |w: &str, question: &str| FiveWQuestion { w: w.into(), question: question.into() };
    assert_eq!(
        answer.expect("a frame").expect("valid"),
        ServerFrame::FiveWs {
            unanswered: vec![
                q("what", "What was the system trying to do?"),
                q("where", "Where did it fail?"),
                q("why", "Why did it fail?"),
                q("when", "When did it start?"),
            ]
        }
    );
    let mut watcher = Connection::open(&options("watcher", true)).await.expect("connects");
    watcher.until_ready().await;
    watcher.send(&ClientFrame::FiveWs).await.expect("sends");
    let refused = watcher.until_ready().await;
    assert!(
        matches!(refused.last(), Some(ServerFrame::Refused { reason, .. }) if reason == "observers cannot send commands"),
        "{refused:?}"
    );
    let _ = host.finish().await;
}

/// Reads a child's output on a thread, so the test can look at it while the child runs.
fn collect(from: impl std::io::Read + Send + 'static) -> Arc<std::sync::Mutex<String>> {
    let buf = Arc::new(std::sync::Mutex::new(String::new()));
    let into = buf.clone();
    std::thread::spawn(move || {
        let mut from = from;
        let mut chunk = [0u8; 4096];
        while let Ok(n) = std::io::Read::read(&mut from, &mut chunk) {
            if n == 0 {
                break;
            }
            into.lock().expect("lock").push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    });
    buf
}

fn wait_until(what: &str, buf: &std::sync::Mutex<String>, done: impl Fn(&str) -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !done(&buf.lock().expect("lock")) {
        assert!(std::time::Instant::now() < deadline, "waited too long for {what}: {}", buf.lock().expect("lock"));
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn resolve_typed_in_wom_join_at_a_terminal_asks_for_each_missing_w() {
    use std::io::Write;
    let env = TestEnvironment::new();
    let host_args =
        ["host", "signup-outage", "--listen", "127.0.0.1:0", "--code", "ws-code", "--seed", "9", "--debrief", "d"];
    let mut host = env.command(&host_args, &[]).spawn().expect("spawn host");
    let gm = host.stdin.take().expect("stdin");
    let console = collect(host.stdout.take().expect("stdout"));
    wait_until("the banner", &console, |s| s.contains("--code ws-code --name"));
    let addr = {
        let text = console.lock().expect("lock").clone();
        let at = text.find("wom join ").expect("join line") + "wom join ".len();
        text[at..].split_whitespace().next().expect("address").to_string()
    };
    let wom = env!("CARGO_BIN_EXE_wom");
    let mut join = std::process::Command::new("script")
        .args(["-qfec", &format!("{wom} join {addr} --code ws-code --name alex"), "/dev/null"])
        .current_dir(env.path())
        .env("NO_COLOR", "")
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs");
    let mut keys = join.stdin.take().expect("stdin");
    let screen = collect(join.stdout.take().expect("stdout"));
    wait_until("the prompt", &screen, |s| s.contains("wom> "));
    let mut type_line = |text: &str| keys.write_all(format!("{text}\r").as_bytes()).expect("type");
    type_line("5w who every new user");
    wait_until("the 5w", &console, |s| s.contains("alex> 5w who"));
    type_line("resolve");
    wait_until("the first question", &screen, |s| s.contains("what: What was the system trying to do?"));
    type_line("signing up a new user");
    wait_until("the second question", &screen, |s| s.contains("where: Where did it fail?"));
    type_line("");
    wait_until("the third question", &screen, |s| s.contains("why: Why did it fail?"));
    type_line("");
    wait_until("the fourth question", &screen, |s| s.contains("when: When did it start?"));
    type_line("13:40");
    let status = host.wait().expect("host ends");
    drop(gm);
    drop(keys);
    let _ = join.wait();
    let shown = screen.lock().expect("lock").clone();
    let out = console.lock().expect("lock").clone();
    assert!(status.success(), "{out}");
    assert!(shown.contains("Before resolving: 4 of the 5 Ws not recorded yet."), "{shown}");
    assert!(!shown.contains("who: Who was affected?"), "an answered W is not asked again: {shown}");
    assert!(shown.contains("The host says: the drill is over."), "{shown}");
    // The answers went through the host as `5w` lines typed by alex, then `resolve` ended the drill.
    for typed in ["alex> 5w what signing up a new user", "alex> 5w when 13:40", "alex> resolve"] {
        assert!(out.contains(typed), "{typed}: {out}");
    }
    let md = std::fs::read_to_string(env.path().join("d/signup-outage-seed9.md")).expect("the debrief");
    assert!(md.contains("| What was the system trying to do? | create a user row"), "{md}");
    assert!(md.contains("| signing up a new user |"), "{md}");
    assert!(md.contains("| 13:40 |"), "{md}");
    assert!(md.contains("| Why did it fail? |") && md.contains("(not answered; `5w why ...`)"), "{md}");
}
