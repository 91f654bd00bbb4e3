//! Physical bounds in the simulation and `wom check` as a linter, on small fixtures with exact values
//! (`tests/fixtures/lint/*.ron`).

use std::sync::Arc;
use wom::scenario::parse;
use wom::sim::Sim;

const BOUNDS: &str = include_str!("fixtures/lint/bounds.ron");

fn sim(text: &str) -> Sim {
    Sim::new(Arc::new(parse(text, "fixture.ron").expect("fixture loads")), 1)
}

fn value(sim: &Sim, metric: &str) -> f32 {
    sim.latest(sim.series_index("api", metric).expect("series"))
}

#[test]
fn the_simulation_keeps_every_value_within_its_bounds() {
    let sim = sim(BOUNDS);
    // `Scale(2.6)` of a 50% CPU would be 130%: a ratio stops at 100%.
    assert_eq!(value(&sim, "cpu"), 1.0);
    // `Set(12.6)` in-use connections: whole, and never more than the pool's 10.
    assert_eq!(value(&sim, "in_use"), 10.0);
    assert_eq!(value(&sim, "pool_size"), 10.0);
    // 2 × 1.3 = 2.6 waiting threads round to 3.
    assert_eq!(value(&sim, "waiting"), 3.0);
    // 3 + 2 busy cores of at most 4.
    assert_eq!(value(&sim, "cores_busy"), 4.0);
    // A 3s p99 against a 2s timeout: capped at the timeout, and the requests slower than it (2.02% of a
    // log-normal with median 100ms and p99 3s) fail on top of the 1% that already did.
    assert_eq!(value(&sim, "latency_p99"), 2000.0);
    assert_eq!(value(&sim, "latency_p50"), 100.0);
    let errors = value(&sim, "error_rate");
    assert!((errors - 0.030_028).abs() < 1e-5, "error_rate {errors}");
}

#[test]
fn items_are_whole_before_any_symptom() {
    let text = BOUNDS.replace("initial: \"broken\"", "initial: \"fixed\"").replace(
        "(id: \"fixed\", phase: Resolved)",
        "(id: \"fixed\", phase: Resolved, transitions: [(to: \"broken\", when: Gm(\"never\"))])",
    );
    let sim = sim(&text);
    // A baseline of 6.4 in-use connections shows as 6; a p99 of 1s against a 2s timeout still loses the
    // 0.12% of requests slower than 2s.
    assert_eq!(value(&sim, "in_use"), 6.0);
    assert_eq!(value(&sim, "cpu"), 0.5);
    assert_eq!(value(&sim, "latency_p99"), 1000.0);
    let errors = value(&sim, "error_rate");
    assert!((errors - 0.011_224).abs() < 1e-5, "error_rate {errors}");
}
