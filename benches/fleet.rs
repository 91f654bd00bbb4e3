//! Fleet benchmarks: one service of 10,000 members × 10 metrics against the synthetic topology of 10,000
//! services × 10 metrics that `benches/engine.rs` measures, with the same 24 hours of 1-minute history. A
//! fleet should play as fast as as many services do. Run with `cargo bench --bench fleet`.

use std::sync::Arc;
use wom::scenario::{Scenario, SimDuration, SyntheticShape, synthetic, synthetic_fleet};
use wom::session::Drill;
use wom::sim::Sim;

const MEMBERS: usize = 10_000;
const METRICS: usize = 10;
const HISTORY: SimDuration = SimDuration(24 * 3600);

fn fleet() -> Arc<Scenario> {
    Arc::new(synthetic_fleet(MEMBERS as u32, METRICS, HISTORY))
}

fn services() -> Arc<Scenario> {
    Arc::new(synthetic(SyntheticShape {
        services: MEMBERS,
        metrics: METRICS,
        history: HISTORY,
        logging_services: 0,
        log_rate: 0.0,
    }))
}

fn main() {
    // The two worlds hold as many series: a fleet's members plus its aggregate, against the services'.
    for (name, scenario) in [("fleet", fleet()), ("services", services())] {
        let sim = Sim::new(scenario, 1);
        eprintln!("{name}: {} series, {} frames", sim.history().width(), sim.history().len());
    }
    divan::main();
}

/// Scenario start with a fleet: build the world and simulate 24 hours of history for 10,000 members.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn start_24h_fleet(bencher: divan::Bencher) {
    let scenario = fleet();
    bencher.bench_local(|| Sim::new(scenario.clone(), 1));
}

/// The same start with 10,000 services.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn start_24h_services(bencher: divan::Bencher) {
    let scenario = services();
    bencher.bench_local(|| Sim::new(scenario.clone(), 1));
}

/// One tick of a 10,000-member fleet.
#[divan::bench(sample_count = 200)]
fn tick_fleet(bencher: divan::Bencher) {
    let mut sim = Sim::new(fleet(), 1);
    bencher.bench_local(|| sim.advance(60));
}

/// One tick of 10,000 services.
#[divan::bench(sample_count = 200)]
fn tick_services(bencher: divan::Bencher) {
    let mut sim = Sim::new(services(), 1);
    bencher.bench_local(|| sim.advance(60));
}

/// `status` over the fleet (it counts unhealthy members).
#[divan::bench(sample_count = 20)]
fn status_fleet(bencher: divan::Bencher) {
    let drill = Drill::start(fleet(), 1);
    bencher.bench_local(|| drill.preview("status").expect("status"));
}

/// `status` over 10,000 services.
#[divan::bench(sample_count = 20)]
fn status_services(bencher: divan::Bencher) {
    let drill = Drill::start(services(), 1);
    bencher.bench_local(|| drill.preview("status").expect("status"));
}

/// A query aggregating one metric of every member (10,000 series) over the last hour.
#[divan::bench(sample_count = 20)]
fn query_every_member_1h(bencher: divan::Bencher) {
    let drill = Drill::start(fleet(), 1);
    bencher.bench_local(|| drill.preview("query sum(rate(http_requests_total[1h]))").expect("query"));
}
