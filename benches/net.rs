//! Network benchmarks over real loopback sockets (issue 11's targets): a responder's command round trip with
//! one GM, 5 responders and 50 observers connected; the host's memory per observer; the time from starting
//! the host to the first participant joining. Run with `cargo bench --bench net`.
//!
//! The host is the real `wom host` binary in its own process (journaled, every input synced to disk before
//! anything is sent), so its memory can be read from `/proc` apart from the clients'. The round trip is
//! measured a second time against an in-process host without a journal, which isolates what the network
//! and the drill cost from what the disk sync costs.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wom::net::{Connection, Host, HostConfig, JoinOptions, ServerFrame};
use wom::scenario::{DEFAULT_SCENARIO, builtin};
use wom::session::Drill;

const CODE: &str = "bench-code";
const RESPONDERS: usize = 5;
const OBSERVERS: usize = 50;
const ROUND_TRIPS: usize = 500;
/// A command mix with the costs of a real drill (500 of them take a few simulated hours).
const CYCLE: [&str; 8] =
    ["status", "alerts", "time", "note still looking", "inbox", "logs auth --tail 5", "time", "deps"];

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-net");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");

    println!("net benchmarks over loopback (1 GM, {RESPONDERS} responders, {OBSERVERS} observers)");
    let starts: Vec<Duration> = (0..15).map(|n| runtime.block_on(start_to_first_join(&dir, n))).collect();
    report("start to first join (wom host process)", &starts, Some(Duration::from_millis(200)));

    let (trips, per_observer) = runtime.block_on(against_the_binary(&dir));
    report("round trip, wom host (journaled)", &trips, None);
    println!(
        "host memory per observer: {:.1} KiB (RSS growth over {} more observers, idle)",
        per_observer / 1024.0,
        MORE_OBSERVERS
    );
    let trips = runtime.block_on(in_process());
    report("round trip, in-process host, no journal", &trips, None);
    println!("targets: round trip p50 < 2 ms, p99 < 10 ms; start to first join < 200 ms");
}

/// Observers added to measure memory per observer.
const MORE_OBSERVERS: usize = 200;

fn report(what: &str, samples: &[Duration], target: Option<Duration>) {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let verdict = target.map_or(String::new(), |t| format!(" (target {} ms)", ms(t)));
    println!(
        "{what}: n={} p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  max {:.3} ms{verdict}",
        sorted.len(),
        ms(at(0.5)),
        ms(at(0.9)),
        ms(at(0.99)),
        ms(at(1.0))
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// Starts `wom host` on a free port with its GM console on a pipe.
fn spawn_host(dir: &std::path::Path, n: usize) -> (Child, String) {
    let addr = format!("127.0.0.1:{}", free_port());
    let child = Command::new(env!("CARGO_BIN_EXE_wom"))
        .args(["host", DEFAULT_SCENARIO, "--listen", &addr, "--code", CODE, "--seed", "7"])
        .arg("--debrief")
        .arg(dir.join(format!("run-{n}")))
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn wom host");
    (child, addr)
}

fn options(addr: &str, name: &str, observe: bool) -> JoinOptions {
    JoinOptions { addr: addr.to_string(), code: CODE.into(), name: name.into(), observe }
}

/// From spawning `wom host` to a participant's `welcome`, retrying the connection until the host listens.
async fn start_to_first_join(dir: &std::path::Path, n: usize) -> Duration {
    let started = Instant::now();
    let (mut child, addr) = spawn_host(dir, 1000 + n);
    let mut connection = loop {
        match Connection::open(&options(&addr, "first", false)).await {
            Ok(connection) => break connection,
            Err(_) => tokio::time::sleep(Duration::from_micros(500)).await,
        }
    };
    loop {
        match connection.next().await {
            Some(Ok(ServerFrame::Welcome { .. })) => break,
            Some(Ok(_)) => continue,
            other => panic!("no welcome: {other:?}"),
        }
    }
    let took = started.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    took
}

/// Connects observers that read every frame they are sent, as a terminal would.
async fn observers(addr: &str, from: usize, count: usize) {
    for i in from..from + count {
        let mut connection = Connection::open(&options(addr, &format!("observer-{i}"), true)).await.expect("observer");
        let welcomed = connection.until_ready().await;
        assert!(matches!(welcomed.first(), Some(ServerFrame::Welcome { .. })), "observer {i}: {welcomed:?}");
        tokio::spawn(async move { while let Some(Ok(_)) = connection.next().await {} });
    }
}

async fn responders(addr: &str) -> Vec<Connection> {
    let mut all = Vec::new();
    for i in 0..RESPONDERS {
        let mut connection =
            Connection::open(&options(addr, &format!("responder-{i}"), false)).await.expect("responder");
        connection.until_ready().await;
        all.push(connection);
    }
    all
}

/// Round trips: each responder in turn sends a command and waits for the host's `ready`.
async fn round_trips(responders: &mut [Connection]) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(ROUND_TRIPS);
    for n in 0..ROUND_TRIPS {
        let responder = &mut responders[n % RESPONDERS];
        let started = Instant::now();
        let frames = responder.command(CYCLE[n % CYCLE.len()]).await.expect("command");
        samples.push(started.elapsed());
        assert!(matches!(frames.last(), Some(ServerFrame::Ready { .. })), "{frames:?}");
    }
    samples
}

/// Resident memory of a process, in bytes.
fn rss(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kib * 1024.0
}

async fn against_the_binary(dir: &std::path::Path) -> (Vec<Duration>, f64) {
    let (mut child, addr) = spawn_host(dir, 0);
    while Connection::open(&options(&addr, "probe", true)).await.is_err() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    observers(&addr, 0, OBSERVERS).await;
    let mut responders = responders(&addr).await;
    // Warm up: the first commands fill caches (the series, the log index).
    for (n, responder) in responders.iter_mut().enumerate() {
        responder.command(CYCLE[n]).await.expect("warm up");
    }
    let trips = round_trips(&mut responders).await;
    // Memory per observer: connect many more and compare the host's resident memory, once it settles.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = rss(child.id());
    observers(&addr, OBSERVERS, MORE_OBSERVERS).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = rss(child.id());
    if let Some(stdin) = child.stdin.as_mut() {
        let _ = stdin.write_all(b"end\n");
    }
    let _ = child.wait();
    (trips, (after - before) / MORE_OBSERVERS as f64)
}

async fn in_process() -> Vec<Duration> {
    let scenario = Arc::new(builtin(DEFAULT_SCENARIO).expect("built in").expect("loads"));
    let config = HostConfig { listen: "127.0.0.1:0".parse().expect("addr"), code: CODE.into(), shown: 0 };
    let mut host = Host::start(Drill::host(scenario, 7), config).await.expect("host");
    let addr = host.addr().to_string();
    // The GM console's feed is read, as the console does.
    let mut feed = std::mem::replace(&mut host.feed, tokio::sync::mpsc::unbounded_channel().1);
    tokio::spawn(async move { while feed.recv().await.is_some() {} });
    observers(&addr, 0, OBSERVERS).await;
    let mut responders = responders(&addr).await;
    for (n, responder) in responders.iter_mut().enumerate() {
        responder.command(CYCLE[n]).await.expect("warm up");
    }
    let trips = round_trips(&mut responders).await;
    host.gm("end").await;
    let _ = host.finish().await;
    trips
}
