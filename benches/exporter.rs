//! Exporter-shaped telemetry at scale (issue 14's speed targets): the synthetic topology of 10,000 services,
//! each with its `http_requests_total` counters, a 12-bucket latency histogram, `up` and gauges, and 24 hours
//! of history before the page. Run with `cargo bench --bench exporter`.
//!
//! Targets: start < 3 s; resident memory < 2 GiB; over the last hour (a range query at a 1-minute step, as a
//! dashboard panel asks), `sum by (job) (rate(http_requests_total[5m]))` < 100 ms and
//! `histogram_quantile(0.99, sum by (le, job) (rate(http_request_duration_seconds_bucket[5m])))` < 200 ms.
//! `main` prints what divan does not: the series and samples held, the resident memory (VmHWM, VmRSS from
//! /proc/self/status) and the first, cold run of each query (it fills the counters' checkpoints).

use std::sync::Arc;
use std::time::Instant;
use wom::promql::{QueryValue, range_query};
use wom::scenario::{Scenario, SimDuration, SyntheticShape, synthetic};
use wom::sim::Sim;

const SERVICES: usize = 10_000;

/// The two queries of the targets.
const RATE_BY_JOB: &str = "sum by (job) (rate(http_requests_total[5m]))";
const P99_BY_JOB: &str = "histogram_quantile(0.99, sum by (le, job) (rate(http_request_duration_seconds_bucket[5m])))";

fn topology() -> Arc<Scenario> {
    Arc::new(synthetic(SyntheticShape {
        services: SERVICES,
        metrics: 10,
        history: SimDuration(24 * 3600),
        logging_services: 0,
        log_rate: 0.0,
    }))
}

/// The last hour at a 1-minute step, in milliseconds.
fn last_hour(sim: &Sim) -> (i64, i64, i64) {
    let end = sim.now() * 1000;
    (end - 3_600_000, end, 60_000)
}

fn run(sim: &Sim, q: &str) -> usize {
    let (start, end, step) = last_hour(sim);
    let answer = range_query(&sim.store(), q, start, end, step).unwrap_or_else(|e| panic!("{q}: {e}"));
    let QueryValue::Matrix(series) = answer.value else { panic!("{q}: not a matrix") };
    assert_eq!(series.len(), SERVICES, "{q}: one series per job");
    assert!(series.iter().all(|s| s.points.len() == 61), "{q}: a point a minute");
    series.len()
}

/// A line of /proc/self/status in MiB (Linux).
fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    kb / 1024.0
}

fn main() {
    let scenario = topology();
    let t = Instant::now();
    let sim = Sim::new(scenario.clone(), 1);
    let start = t.elapsed();
    let store = sim.store();
    let history = sim.history();
    eprintln!(
        "start {:.2} s; {} series visible ({} recorded columns x {} frames = {} samples in {:.0} MiB of f64)",
        start.as_secs_f64(),
        wom::promql::Storage::len(&store),
        history.width(),
        history.len(),
        history.width() * history.len(),
        history.bytes() as f64 / 1_048_576.0
    );
    for q in [RATE_BY_JOB, P99_BY_JOB] {
        let t = Instant::now();
        run(&sim, q);
        eprintln!("first (cold) run {:.0} ms: {q}", t.elapsed().as_secs_f64() * 1000.0);
    }
    eprintln!("resident memory: VmHWM {:.0} MiB, VmRSS {:.0} MiB", status_mib("VmHWM:"), status_mib("VmRSS:"));
    drop(sim);
    divan::main();
}

/// Scenario start: build the world, lay out every exporter series and simulate 24 hours of history.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn start_24h(bencher: divan::Bencher) {
    let scenario = topology();
    bencher.bench_local(|| Sim::new(scenario.clone(), 1));
}

/// `sum by (job) (rate(http_requests_total[5m]))` over the last hour, every service's two counters.
#[divan::bench(sample_count = 10)]
fn rate_by_job_last_hour(bencher: divan::Bencher) {
    let sim = Sim::new(topology(), 1);
    run(&sim, RATE_BY_JOB);
    bencher.bench_local(|| run(&sim, RATE_BY_JOB));
}

/// `histogram_quantile(0.99, sum by (le, job) (rate(..._bucket[5m])))` over the last hour: 120,000 buckets.
#[divan::bench(sample_count = 10)]
fn p99_by_job_last_hour(bencher: divan::Bencher) {
    let sim = Sim::new(topology(), 1);
    run(&sim, P99_BY_JOB);
    bencher.bench_local(|| run(&sim, P99_BY_JOB));
}
