//! Hosted drills over real loopback sockets: a host on an ephemeral port, responders and observers joining
//! with the same client `wom join` uses, the GM driving the drill, and every fault closing one connection only.

use std::sync::Arc;
use std::time::Duration;
use wom::net::{ClientFrame, Connection, Host, HostConfig, JoinOptions, ServerFrame, View, render_frame};
use wom::scenario::{Scenario, builtin};
use wom::session::{Drill, DrillEvent, EventKind, gm_feed};

const CODE: &str = "loopback-test-code";

fn scenario(id: &str) -> Arc<Scenario> {
    Arc::new(builtin(id).expect("built-in").expect("valid"))
}

async fn host(id: &str) -> Host {
    let config = HostConfig { listen: "127.0.0.1:0".parse().unwrap(), code: CODE.into(), shown: 0 };
    Host::start(Drill::host(scenario(id), 7), config).await.expect("host starts")
}

fn options(host: &Host, name: &str, observe: bool) -> JoinOptions {
    JoinOptions { addr: host.addr().to_string(), code: CODE.into(), name: name.into(), observe }
}

/// A participant and every frame it has been sent, rendered as its screen would show them.
struct Seat {
    connection: Connection,
    frames: Vec<ServerFrame>,
}

impl Seat {
    async fn join(host: &Host, name: &str, observe: bool) -> Seat {
        let mut connection = Connection::open(&options(host, name, observe)).await.expect("connects");
        let frames = connection.until_ready().await;
        assert!(matches!(frames.first(), Some(ServerFrame::Welcome { .. })), "{name} got {frames:?}");
        Seat { connection, frames }
    }

    async fn run(&mut self, line: &str) -> Vec<ServerFrame> {
        let frames = self.connection.command(line).await.expect("sends");
        self.frames.extend(frames.clone());
        frames
    }

    /// Reads frames until the connection closes (observers, after the drill is over).
    async fn drain(&mut self) {
        while let Ok(Some(Ok(frame))) = tokio::time::timeout(Duration::from_secs(10), self.connection.next()).await {
            self.frames.push(frame);
        }
    }

    fn screen(&self) -> String {
        self.frames.iter().map(|f| render_frame(f, 14 * 3600 + 5 * 60).plain_text()).collect()
    }
}

fn text(frames: &[ServerFrame]) -> String {
    frames.iter().map(|f| render_frame(f, 14 * 3600 + 5 * 60).plain_text()).collect()
}

/// Every event the GM console has been fed so far.
fn feed(host: &mut Host, into: &mut Vec<DrillEvent>) {
    while let Ok(event) = host.feed.try_recv() {
        into.push(event);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_responders_an_observer_and_a_gm_play_a_drill_to_the_end() {
    let mut host = host("signup-outage").await;
    let mut gm_events = Vec::new();
    let mut alex = Seat::join(&host, "alex", false).await;
    let mut sam = Seat::join(&host, "sam", false).await;
    let mut watcher = Seat::join(&host, "watcher", true).await;

    let out = text(&alex.run("status").await);
    assert!(out.contains("alex> status") && out.contains("SERVICE"), "{out}");
    alex.run("role ic").await;
    sam.run("role ol").await;
    alex.run("declare sev2 Signups failing").await;

    // A scenario GM trigger fires a message; ad-hoc injects reach everyone.
    host.gm("inject vip-escalation").await;
    host.gm("inject log auth warn pool nearly exhausted (GM inject)").await;
    host.gm("say \"Kim (auth team)\" we are looking at it from our side").await;
    host.gm("advance 2m").await;
    let out = text(&sam.run("logs auth --grep GM --tail 3").await);
    assert!(out.contains("pool nearly exhausted (GM inject)"), "{out}");
    assert!(out.contains("Jordan (Account Manager)"), "the GM-fired message arrived: {out}");
    assert!(out.contains("Kim (auth team)"), "{out}");

    // ask lands in the GM's queue; the answer reaches everyone.
    let out = text(&sam.run("ask did the auth team ship anything today?").await);
    assert!(out.contains("question #1 sam: did the auth team ship anything today?"), "{out}");
    assert!(out.contains("Question #1 is with the GM."), "{out}");
    host.gm("answer 1 Kim says v2.15.0 went out after lunch").await;
    host.gm("hint 2").await;
    let out = text(&alex.run("time").await);
    assert!(out.contains("answer #1 from the GM: Kim says v2.15.0 went out after lunch"), "{out}");
    assert!(out.contains("GM: hint 2 of 4: Compare when signups_per_min dropped"), "{out}");

    // Paused, commands cost no time; resumed, they do.
    host.gm("pause").await;
    let before = ready_t(&alex.run("status").await);
    let after = ready_t(&alex.run("status").await);
    assert_eq!(before, after, "the clock stood still while paused");
    host.gm("resume").await;
    let later = ready_t(&alex.run("status").await);
    assert!(later > after, "the clock runs again");

    // A GM-fired trigger moves a hidden track; the GM sees it, nobody else does.
    host.gm("inject mail-backlog").await;
    host.gm("advance 1m").await;
    host.gm("state").await;
    feed(&mut host, &mut gm_events);
    let console: String =
        gm_events.iter().filter_map(|e| gm_feed(e, 14 * 3600 + 5 * 60)).map(|d| d.plain_text()).collect();
    assert!(console.contains("track mail entered mail_relay_slow"), "{console}");
    assert!(console.contains("track incident: signups_failing"), "the GM view shows the state: {console}");
    assert!(console.contains("sam> ask did the auth team ship anything today?"), "the feed says who: {console}");

    // The rest of the walkthrough, shared between the two responders.
    for (i, line) in scenario("signup-outage").walkthrough.iter().enumerate().skip(6) {
        if line == "resolve" {
            break;
        }
        if i % 2 == 0 {
            alex.run(line).await
        } else {
            sam.run(line).await
        };
    }
    host.gm("accept").await;
    let out = text(&alex.run("resolve").await);
    assert!(out.contains("Drill over"), "{out}");
    assert!(out.contains("The host says: the drill is over."), "{out}");
    sam.drain().await;
    watcher.drain().await;

    // The observer saw what the responders saw, with who ran each command.
    let seen = watcher.screen();
    for expected in [
        "alex> declare sev2 Signups failing",
        "sam> role ol",
        "answer #1 from the GM",
        "Jordan (Account Manager)",
        "GM accepts the diagnosis",
        "Drill over",
    ] {
        assert!(seen.contains(expected), "observer missed {expected:?}:\n{seen}");
    }
    assert!(!seen.contains("mail_relay_slow") && !seen.contains("gm>"), "no hidden truth for observers");

    let drill = host.finish().await.expect("the drill comes back").drill;
    let by: Vec<&str> = drill
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Command { by, .. } => by.as_deref(),
            _ => None,
        })
        .collect();
    assert!(by.contains(&"alex") && by.contains(&"sam") && !by.contains(&"watcher"));
    let card = wom::session::score(drill.scenario(), drill.events());
    let root = card.lines.iter().find(|l| l.item == "root cause").unwrap();
    assert_eq!((root.points, root.detail.as_str()), (root.max, "the GM accepted the diagnosis"));
    let hints = card.lines.iter().find(|l| l.item == "hints").unwrap();
    assert_eq!(hints.detail, "1 used");
}

fn ready_t(frames: &[ServerFrame]) -> i64 {
    frames
        .iter()
        .find_map(|f| match f {
            ServerFrame::Ready { t } => Some(*t),
            _ => None,
        })
        .expect("ready")
}

async fn refused(connection: &mut Connection) -> String {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), connection.next()).await.expect("an answer in time") {
            Some(Ok(ServerFrame::Refused { reason, .. })) => return reason,
            Some(Ok(_)) => continue,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}

async fn closed(connection: &mut Connection) {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), connection.next()).await.expect("closes in time") {
            None | Some(Err(_)) => return,
            Some(Ok(_)) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_close_one_connection_and_the_drill_goes_on() {
    let host = host("signup-outage").await;
    let mut alex = Seat::join(&host, "alex", false).await;

    let mut wrong =
        Connection::open(&JoinOptions { code: "guess".into(), ..options(&host, "mallory", false) }).await.unwrap();
    assert_eq!(refused(&mut wrong).await, "wrong join code");

    let mut watcher = Seat::join(&host, "watcher", true).await;
    watcher.connection.send(&ClientFrame::Line { text: "mitigate rollback auth".into() }).await.unwrap();
    assert_eq!(refused(&mut watcher.connection).await, "observers cannot send commands");

    let mut broken = Seat::join(&host, "broken", false).await;
    broken.connection.send_raw("{not json".into()).await.unwrap();
    assert!(refused(&mut broken.connection).await.starts_with("malformed frame"));

    let mut unknown = Seat::join(&host, "unknown", false).await;
    unknown.connection.send_raw(r#"{"type":"gm","line":"goto incident rolled_back"}"#.into()).await.unwrap();
    assert!(refused(&mut unknown.connection).await.contains("unknown variant `gm`"));

    let mut huge = Seat::join(&host, "huge", false).await;
    let line = format!(r#"{{"type":"line","text":"note {}"}}"#, "x".repeat(200_000));
    let _ = huge.connection.send_raw(line).await;
    closed(&mut huge.connection).await;

    let mut again = Seat::join(&host, "again", false).await;
    again
        .connection
        .send(&ClientFrame::Hello {
            protocol: wom::net::PROTOCOL_VERSION,
            code: CODE.into(),
            name: "again".into(),
            observe: false,
        })
        .await
        .unwrap();
    assert_eq!(refused(&mut again.connection).await, "already joined");

    let mut twin = Connection::open(&options(&host, "alex", false)).await.unwrap();
    assert!(refused(&mut twin).await.contains("the name `alex` is taken"));

    // None of that touched the drill: alex carries on, and nothing of the refused lines was recorded.
    let out = text(&alex.run("note still here").await);
    assert!(out.contains("alex> note still here") && out.contains("Noted."), "{out}");
    let drill = host.finish().await.unwrap().drill;
    let lines: Vec<String> = drill
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Command { line, .. } => Some(line.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(lines, ["note still here"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vanished_responder_rejoins_with_the_visible_history() {
    let host = host("signup-outage").await;
    let mut alex = Seat::join(&host, "alex", false).await;
    alex.run("declare sev2 Signups failing").await;
    alex.run("logs auth --grep signup --tail 2").await;
    // The process dies: no leave, no close frame.
    drop(alex);
    let mut other = Seat::join(&host, "sam", false).await;
    other.run("status").await;

    let mut back = Connection::open(&options(&host, "alex", false)).await.unwrap();
    let mut frames = back.until_ready().await;
    // The server may not have noticed the drop yet; then the name is still taken: retry briefly.
    for _ in 0..50 {
        if matches!(frames.first(), Some(ServerFrame::Welcome { .. })) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        back = Connection::open(&options(&host, "alex", false)).await.unwrap();
        frames = back.until_ready().await;
    }
    let Some(ServerFrame::Welcome { history, .. }) = frames.first() else { panic!("no welcome: {frames:?}") };
    let typed: Vec<(&str, &str)> = history
        .iter()
        .filter_map(|i| match &i.view {
            View::Typed { by, line } => Some((by.as_str(), line.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        typed,
        [("alex", "declare sev2 Signups failing"), ("alex", "logs auth --grep signup --tail 2"), ("sam", "status")]
    );
    let screen = text(&frames);
    assert!(screen.contains("Incident declared: SEV2"), "{screen}");
    let out = text(&back.command("time").await.unwrap());
    assert!(out.contains("It is"), "{out}");
}

/// Every frame of every shipped walkthrough, played over the network with GM traffic, is free of hidden text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_frame_carries_hidden_truth() {
    for (id, _, _) in wom::scenario::BUILTIN {
        let s = scenario(id);
        let host = host(id).await;
        let mut player = Seat::join(&host, "player", false).await;
        let mut watcher = Seat::join(&host, "watcher", true).await;
        for (n, line) in s.walkthrough.iter().enumerate() {
            if n == 2 {
                player.run("ask what changed recently?").await;
                host.gm("answer 1 nothing I know of").await;
                host.gm("hint 1").await;
                host.gm("state").await;
                host.gm("score").await;
                for name in wom::session::inject_names(&s) {
                    host.gm(&format!("inject {name}")).await;
                }
                host.gm("advance 1m").await;
            }
            player.run(line).await;
        }
        watcher.drain().await;
        let mut secrets = vec![
            s.meta.title.clone(),
            s.meta.gm_summary.clone(),
            s.root_cause.summary.clone(),
            s.root_cause.trigger.clone(),
            s.root_cause.five_ws.why.clone(),
            s.root_cause.five_ws.where_.clone(),
            s.gm_notes.clone(),
            s.meta.id.clone(),
            "GM view".into(),
            "gm>".into(),
        ];
        for track in &s.tracks {
            for state in &track.states {
                secrets.push(state.description.clone());
                if state.id.contains('_') {
                    secrets.push(state.id.clone());
                }
            }
        }
        secrets.extend(s.rubric.evidence.iter().map(|e| e.id.clone()));
        secrets.extend(s.gm.injects.iter().map(|i| i.description.clone()));
        for seat in [&player, &watcher] {
            let raw: String = seat.frames.iter().map(|f| f.encode()).collect::<Vec<_>>().join("\n");
            assert!(raw.len() > 10_000, "{id}: frames to scan: {}", raw.len());
            assert!(raw.contains("answer #1 from the GM"), "{id}: the GM traffic reached the seat");
            for secret in secrets.iter().filter(|x| !x.is_empty()) {
                // JSON escapes quotes; compare against the escaped form too.
                let escaped = serde_json::to_string(secret).unwrap();
                let escaped = &escaped[1..escaped.len() - 1];
                assert!(!raw.contains(escaped), "{id}: a frame carried hidden text: {secret}");
            }
        }
        host.finish().await;
    }
}

/// Tab in `wom join`: the host completes a responder's partial line as the solo REPL would; an observer,
/// who types no commands, is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_completes_what_a_responder_types() {
    let host = host("signup-outage").await;
    let mut alex = Seat::join(&host, "alex", false).await;
    let ask = |line: &str| ClientFrame::Complete { line: line.to_string() };
    for (line, start, expected) in [
        ("lo", 0, vec!["logs"]),
        ("logs a", 5, vec!["auth"]),
        ("logs auth --l", 10, vec!["--level"]),
        ("escalate ", 9, vec!["auth-team", "dba"]),
    ] {
        alex.connection.send(&ask(line)).await.unwrap();
        let answer = alex.connection.next().await.expect("an answer").expect("a frame");
        let candidates = expected.into_iter().map(String::from).collect();
        assert_eq!(answer, ServerFrame::Completions { start, candidates }, "{line}");
    }
    let mut watcher = Seat::join(&host, "watcher", true).await;
    watcher.connection.send(&ask("lo")).await.unwrap();
    assert_eq!(refused(&mut watcher.connection).await, "observers cannot send commands");
}

/// CPU time a process has used so far, in clock ticks (Linux: `utime + stime` of `/proc/<pid>/stat`).
#[cfg(target_os = "linux")]
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    // Fields after the command name (which may hold spaces) in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')').expect("comm").1.split_whitespace().collect();
    fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
}

/// A piped `wom join` has no editor asking for completions; it once spun on that closed channel, using a
/// whole core for as long as it stayed joined. Idle, it must use next to no CPU.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_piped_participant_uses_no_cpu() {
    let host = host("signup-outage").await;
    let mut join = std::process::Command::new(env!("CARGO_BIN_EXE_wom"))
        .args(["join", &host.addr().to_string(), "--code", CODE, "--name", "idle", "--observe"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn wom join");
    // Joined and past its first frames, then two idle seconds.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before = cpu_ticks(join.id());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let used = cpu_ticks(join.id()) - before;
    let _ = join.kill();
    let _ = join.wait();
    // A spinning loop uses about 200 ticks (at 100 a second) in two seconds.
    assert!(used < 40, "an idle `wom join` used {used} clock ticks of CPU in 2 s");
}
