//! Prometheus API benchmarks: a Grafana panel of 20 series over the last hour at a 15 s step (the answer
//! alone, and over a loopback HTTP request), what publishing costs the drill after a command, and, printed
//! before divan's table, the responders' command latency on a hosted drill while 5 viewers refresh 20 such
//! panels every 5 seconds, against the same drill with nobody watching. Run with `cargo bench --bench http`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use wom::http::{Api, ApiServer, Endpoint, Params, Publisher};
use wom::net::{Connection, Host, HostConfig, JoinOptions};
use wom::scenario::{Scenario, SimDuration, SyntheticShape, synthetic};
use wom::session::Drill;

/// Services, so a per-service panel has 20 series.
const SERVICES: usize = 20;
/// The panel: 20 series, as Grafana asks for one.
const PANEL: &str = "max by (service) (avg_over_time(latency_p99[4m]))";

fn scenario() -> Arc<Scenario> {
    Arc::new(synthetic(SyntheticShape {
        services: SERVICES,
        metrics: 8,
        history: SimDuration(24 * 3600),
        logging_services: 4,
        log_rate: 20.0,
    }))
}

/// The form Grafana posts for the panel over the hour before `end` (Unix seconds).
fn panel_form(end: f64) -> String {
    let query = PANEL.replace('(', "%28").replace(')', "%29").replace('[', "%5B").replace(']', "%5D").replace(' ', "+");
    format!("query={query}&start={:.3}&end={end:.3}&step=15", end - 3600.0)
}

/// One form POST over a fresh loopback connection; the response's length.
fn post(addr: SocketAddr, path: &str, form: &str) -> usize {
    let mut stream = TcpStream::connect(addr).expect("connect");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read");
    assert!(response.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&response));
    response.len()
}

fn now_secs() -> f64 {
    wom::http::wall_now() as f64 / 1000.0
}

/// A drill 30 simulated minutes in, and its publisher.
fn drill() -> (Drill, Publisher) {
    let mut drill = Drill::start(scenario(), 3);
    drill.respond("wait 30m");
    let publisher = Publisher::new(drill.sim());
    (drill, publisher)
}

/// Commands a responder types, with the costs of a real drill.
const CYCLE: [&str; 6] = ["status", "alerts", "deps svc-3", "query max(error_rate)", "time", "note still looking"];

/// Latency percentiles (p50, p99, max) of `samples`, in milliseconds.
fn percentiles(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0;
    (at(0.5), at(0.99), at(1.0))
}

/// `viewers` viewers, each refreshing 20 panels every 5 seconds against `addr` (the 20 requests at once, as
/// a browser sends them), until `stop`; they count the panels answered.
fn start_viewers(
    addr: SocketAddr,
    viewers: usize,
    stop: &Arc<AtomicBool>,
    panels: &Arc<AtomicUsize>,
) -> Vec<std::thread::JoinHandle<()>> {
    (0..viewers)
        .map(|v| {
            let (stop, panels) = (stop.clone(), panels.clone());
            std::thread::spawn(move || {
                // Viewers opened their dashboards at different moments.
                std::thread::sleep(Duration::from_millis(1000 * v as u64));
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let form = panel_form(now_secs());
                    let requests: Vec<_> = (0..20)
                        .map(|_| {
                            let form = form.clone();
                            std::thread::spawn(move || post(addr, "/api/v1/query_range", &form))
                        })
                        .collect();
                    for r in requests {
                        r.join().expect("panel");
                        panels.fetch_add(1, Ordering::Relaxed);
                    }
                    while started.elapsed() < Duration::from_secs(5) && !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            })
        })
        .collect()
}

/// A solo drill (`wom play --prometheus`): the responder's thread runs `commands` commands, one every 50 ms,
/// each followed by its publication, while `viewers` watch; each command's time on that thread.
fn solo_under_viewers(viewers: usize, commands: usize) -> (Vec<Duration>, usize) {
    let (mut drill, mut publisher) = drill();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server = ApiServer::start(listener, publisher.live()).unwrap();
    let (stop, panels) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)));
    let watchers = start_viewers(server.addr(), viewers, &stop, &panels);
    let mut latencies = Vec::with_capacity(commands);
    let mut next = Instant::now();
    for n in 0..commands {
        next += Duration::from_millis(50);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        let started = Instant::now();
        drill.respond(CYCLE[n % CYCLE.len()]);
        publisher.publish(drill.sim());
        latencies.push(started.elapsed());
    }
    stop.store(true, Ordering::Relaxed);
    for w in watchers {
        w.join().expect("viewer");
    }
    (latencies, panels.load(Ordering::Relaxed))
}

/// A hosted drill where one responder runs `commands` commands, one every 50 ms, while `viewers` watch on the
/// host's port; the responder's round trips (command sent to `Ready` back).
fn hosted_under_viewers(viewers: usize, commands: usize) -> (Vec<Duration>, usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let config = HostConfig { listen: "127.0.0.1:0".parse().unwrap(), code: "bench".into(), shown: 0 };
    let host = runtime.block_on(Host::start(Drill::host(scenario(), 3), config)).unwrap();
    let (stop, panels) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)));
    let watchers = start_viewers(host.addr(), viewers, &stop, &panels);
    let options =
        JoinOptions { addr: host.addr().to_string(), code: "bench".into(), name: "responder".into(), observe: false };
    let latencies = runtime.block_on(async {
        let mut seat = Connection::open(&options).await.expect("joins");
        seat.until_ready().await;
        let mut latencies = Vec::with_capacity(commands);
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        for n in 0..commands {
            tick.tick().await;
            let started = Instant::now();
            seat.command(CYCLE[n % CYCLE.len()]).await.expect("command");
            latencies.push(started.elapsed());
        }
        latencies
    });
    stop.store(true, Ordering::Relaxed);
    for w in watchers {
        w.join().expect("viewer");
    }
    runtime.block_on(host.finish());
    (latencies, panels.load(Ordering::Relaxed))
}

/// Runs `setup` idle and watched by 5 viewers, alternately, twice each (so drift in the machine's load falls
/// on both alike), and prints the responder's percentiles.
fn compare(name: &str, setup: fn(usize, usize) -> (Vec<Duration>, usize)) {
    let (mut idle, mut watched, mut panels) = (Vec::new(), Vec::new(), 0);
    for _ in 0..2 {
        idle.extend(setup(0, 600).0);
        let (l, p) = setup(5, 600);
        watched.extend(l);
        panels += p;
    }
    let (i50, i99, imax) = percentiles(idle);
    let (w50, w99, wmax) = percentiles(watched);
    eprintln!(
        "{name}, idle:                  p50 {i50:.3} ms  p99 {i99:.3} ms  max {imax:.3} ms\n\
         {name}, 5 viewers x 20 panels: p50 {w50:.3} ms  p99 {w99:.3} ms  max {wmax:.3} ms  \
         ({panels} panels answered; p99 {:+.1}% of idle)",
        (w99 / i99 - 1.0) * 100.0
    );
}

/// The snapshot's memory for every shipped scenario just after the page, and for the 10,000-service synthetic
/// topology with 24 hours of history (held to [`wom::http::MAX_SNAPSHOT_SAMPLES`]).
fn memory() {
    let report = |name: &str, drill: &Drill| {
        let started = Instant::now();
        let snapshot = Publisher::new(drill.sim()).live().snapshot();
        let took = started.elapsed();
        let kept = snapshot
            .retained_from()
            .map_or("all of it".to_string(), |from| format!("the last {} min", (snapshot.now() - from) / 60_000));
        eprintln!(
            "snapshot of {name}: {} series, {} samples ({kept}), {:.1} MB, first publication {:.0} ms",
            wom::promql::Storage::len(&*snapshot),
            snapshot.sample_count(),
            snapshot.heap_bytes() as f64 / 1e6,
            took.as_secs_f64() * 1000.0
        );
    };
    for (id, _, _) in wom::scenario::BUILTIN {
        let scenario = wom::scenario::builtin(id).expect("built in").expect("loads");
        report(id, &Drill::start(Arc::new(scenario), 3));
    }
    if std::env::var_os("WOM_BENCH_SKIP_10K").is_none() {
        let shape = SyntheticShape {
            services: 10_000,
            metrics: 8,
            history: SimDuration(24 * 3600),
            logging_services: 4,
            log_rate: 20.0,
        };
        report("the 10,000-service synthetic topology (24 h of history)", &Drill::start(Arc::new(synthetic(shape)), 3));
    }
}

fn main() {
    if std::env::var_os("WOM_BENCH_SKIP_MEMORY").is_none() {
        memory();
    }
    if std::env::args().any(|a| a == "--bench") && std::env::var_os("WOM_BENCH_SKIP_LOAD").is_none() {
        let only = std::env::var("WOM_BENCH_LOAD").unwrap_or_default();
        if only != "hosted" {
            compare("solo drill, the responder's command on its thread", solo_under_viewers);
        }
        if only != "solo" {
            compare("hosted drill, the responder's round trip", hosted_under_viewers);
        }
    }
    divan::main();
}

/// The panel's answer: a range query of 20 series over the last hour at 15 s (241 points each), evaluated
/// and rendered as JSON, without HTTP.
#[divan::bench]
fn panel_answer(bencher: divan::Bencher) {
    let (_drill, publisher) = drill();
    let snapshot = publisher.live().snapshot();
    let form = panel_form(now_secs());
    let params = Params::new(None, Some("application/x-www-form-urlencoded"), form.as_bytes());
    bencher.bench(|| {
        let answer = Api::answer(&Endpoint::QueryRange, &params, &snapshot, wom::http::wall_now()).expect("answers");
        assert_eq!(answer.data["result"].as_array().map(Vec::len), Some(SERVICES));
        answer
    });
}

/// The same panel over a loopback HTTP request to `wom play --prometheus`'s server.
#[divan::bench]
fn panel_over_http(bencher: divan::Bencher) {
    let (_drill, publisher) = drill();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server = ApiServer::start(listener, publisher.live()).unwrap();
    bencher.bench(|| post(server.addr(), "/api/v1/query_range", &panel_form(now_secs())));
}

/// A one-minute command alone, for comparison with the next.
#[divan::bench]
fn command_without_publishing(bencher: divan::Bencher) {
    let (mut drill, _publisher) = drill();
    bencher.bench_local(|| drill.respond("wait 1m"));
}

/// What the drill's thread pays after a one-minute command (the command included): copying the new frame of every series and
/// swapping the snapshot in.
#[divan::bench]
fn publish_after_a_command(bencher: divan::Bencher) {
    let (mut drill, mut publisher) = drill();
    bencher.bench_local(|| {
        drill.respond("wait 1m");
        publisher.publish(drill.sim());
    });
}

/// The first publication, when the API starts: the whole history of the default scenario copied.
#[divan::bench]
fn first_publication(bencher: divan::Bencher) {
    let drill = Drill::start(
        Arc::new(wom::scenario::builtin(wom::scenario::DEFAULT_SCENARIO).expect("built in").expect("loads")),
        3,
    );
    bencher.bench_local(|| Publisher::new(drill.sim()));
}
