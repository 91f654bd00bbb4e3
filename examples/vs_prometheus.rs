//! wom beside the real Prometheus on the same data (`scripts/bench-vs-prometheus` drives it; method and
//! figures in docs/queries.md, "Speed").
//!
//! `cargo run --release --example vs_prometheus -- <SERVICES> <FILE>` simulates the synthetic exporter-shaped
//! topology of SERVICES services with 24 hours of history, writes every visible series to FILE as OpenMetrics
//! text with timestamps (what `wom export` writes for a scenario, for Prometheus to load), then times each of
//! [`QUERIES`] as a range query over the last hour at a 1-minute step, twice: over the drill's own store (what
//! `query` and the Prometheus API of a live drill read) and over the same file loaded as `wom query --load`
//! loads it. It prints one tab-separated line per query: the query, the start, end and step (Unix seconds) and
//! the median milliseconds of each store.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;
use wom::promql::{MemStorage, Storage, openmetrics, range_query};
use wom::scenario::{SimDuration, SyntheticShape, synthetic};
use wom::sim::Sim;

/// The queries timed on both sides.
const QUERIES: [&str; 4] = [
    "sum by (job) (rate(http_requests_total[5m]))",
    "histogram_quantile(0.99, sum by (le, job) (rate(http_request_duration_seconds_bucket[5m])))",
    "sum(rate(http_requests_total{code=~\"5..\"}[5m])) / sum(rate(http_requests_total[5m]))",
    "avg by (job) (avg_over_time(process_cpu_usage_ratio[10m]))",
];

/// Unix time of the drill's page in the file: 2026-01-01 12:00 UTC.
const PAGE: i64 = 1_767_225_600 + 12 * 3600;

/// Timed runs per query and store (after one warm-up run); the median is reported.
const RUNS: usize = 7;

fn median_ms(mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[RUNS / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, services, file] = args.as_slice() else {
        return Err("usage: vs_prometheus <SERVICES> <FILE>".into());
    };
    let services: usize = services.parse()?;
    let scenario = Arc::new(synthetic(SyntheticShape {
        services,
        metrics: 10,
        history: SimDuration(24 * 3600),
        logging_services: 0,
        log_rate: 0.0,
    }));
    let sim = Sim::new(scenario, 1);
    let store = sim.store();
    let ids: Vec<usize> = (0..store.len()).collect();
    let labels: Vec<_> = ids.iter().map(|&i| store.labels(i)).collect();
    let from = sim.history().first_t() * 1000;
    let samples: Vec<Vec<(i64, f64)>> = store
        .samples(&ids, from, i64::MAX / 4)
        .into_iter()
        .map(|s| s.into_iter().map(|(t, v)| (t + PAGE * 1000, v)).collect())
        .collect();
    let count: usize = samples.iter().map(Vec::len).sum();
    let text = openmetrics::write(labels.iter().copied().zip(samples.iter().map(Vec::as_slice)));
    drop(samples);
    std::fs::File::create(file)?.write_all(text.as_bytes())?;
    eprintln!(
        "{} series, {count} samples, {:.0} MiB of OpenMetrics in {file}",
        ids.len(),
        text.len() as f64 / 1_048_576.0
    );
    let loaded: MemStorage = openmetrics::parse(&text).map_err(|e| format!("{file}: {e}"))?;
    drop(text);
    let (end, step) = (sim.now() * 1000, 60_000);
    let start = end - 3_600_000;
    for q in QUERIES {
        let drill = median_ms(|| {
            range_query(&sim.store(), q, start, end, step).expect("query answers");
        });
        let shift = PAGE * 1000;
        let file_store = median_ms(|| {
            range_query(&loaded, q, start + shift, end + shift, step).expect("query answers");
        });
        println!(
            "{q}\t{}\t{}\t{}\t{drill:.2}\t{file_store:.2}",
            (start + shift) / 1000,
            (end + shift) / 1000,
            step / 1000
        );
    }
    Ok(())
}
