//! History over the windows the drill reasons about (`docs/queries.md`, "History"): before the simulated
//! history the store shows every series at its baseline, which is what `slo` assumes, so a query over an
//! SLO's 30-day window and `slo` read the same minutes and agree exactly.

use std::sync::Arc;
use wom::promql::QueryValue;
use wom::scenario::builtin;
use wom::session::Drill;
use wom::sim::Sim;

fn drill(id: &str, seed: u64) -> Drill {
    let scenario = builtin(id).expect("built in").expect("loads");
    Drill::start(Arc::new(scenario), seed)
}

fn one(sim: &Sim, q: &str) -> f64 {
    let answer = sim.query(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    match answer.value {
        QueryValue::Vector(samples) if samples.len() == 1 => samples[0].value,
        QueryValue::Scalar(v) => v,
        other => panic!("{q}: {other:?}"),
    }
}

const MONTH: usize = 30 * 24 * 60;

/// The SLI and budget `slo` reports for `service` against the same figures read by queries.
fn assert_agrees(sim: &Sim, service: &str) {
    let run = sim.slos().slos.iter().find(|s| s.service == service).expect("an SLO");
    assert_eq!(run.window, MONTH);
    let bad = one(sim, &format!("avg_over_time(error_rate{{service=\"{service}\"}}[30d])"));
    assert!((1.0 - bad - run.sli(MONTH)).abs() < 1e-12, "{} vs {}", 1.0 - bad, run.sli(MONTH));
    // Sloth's form of the same SLI: the sum of the 1-minute ratios over their count.
    let sloth = format!(
        "sum_over_time(error_rate{{service=\"{service}\"}}[30d]) / count_over_time(error_rate{{service=\"{service}\"}}[30d])"
    );
    assert!((one(sim, &sloth) - bad).abs() < 1e-15);
    let budget = format!("1 - avg_over_time(error_rate{{service=\"{service}\"}}[30d]) / (1 - {})", run.target);
    assert!((one(sim, &budget) - run.budget_remaining()).abs() < 1e-9, "{}", one(sim, &budget));
    // Every other window `slo` shows reads the same way.
    for (minutes, range) in [(60, "1h"), (6 * 60, "6h"), (24 * 60, "1d"), (7 * 24 * 60, "7d")] {
        let q = format!("1 - avg_over_time(error_rate{{service=\"{service}\"}}[{range}])");
        assert!((one(sim, &q) - run.sli(minutes)).abs() < 1e-12, "{range}: {} vs {}", one(sim, &q), run.sli(minutes));
    }
}

#[test]
fn a_30_day_query_and_slo_agree_at_the_page_and_later() {
    let mut d = drill("api-timeouts", 11);
    let sim = d.sim();
    // A 30-day window holds one sample a minute: the simulated history and the backfill before it.
    assert_eq!(one(sim, "count_over_time(error_rate{service=\"api\"}[30d])"), MONTH as f64);
    assert_agrees(sim, "api");
    assert_agrees(sim, "edge");
    // Off the minute (the drill's now is 30 seconds past a tick) and after the incident has burned more.
    d.respond("status");
    d.respond("wait 17m");
    assert_ne!(d.sim().now() % 60, 0);
    assert_agrees(d.sim(), "api");
}

#[test]
fn before_the_simulated_history_series_hold_their_baselines() {
    let d = drill("api-timeouts", 11);
    let sim = d.sim();
    assert!(sim.history().first_t() > -86_400);
    let spec = sim.scenario().services.iter().find(|s| s.id == "api").expect("api");
    let baseline = spec.metrics.iter().find(|m| m.name == "error_rate").expect("error_rate").baseline;
    assert_eq!(one(sim, "error_rate{service=\"api\"} offset 20d"), baseline);
    assert_eq!(one(sim, "max_over_time(error_rate{service=\"api\"}[20d] offset 2d)"), baseline);
    // Counters keep counting at the baseline before the history, and reset every few days as processes
    // restart, so `increase` over 30 days is the baseline's requests with the history's on top.
    let resets = one(sim, "resets(http_requests_total{job=\"api\",code=\"200\"}[30d])");
    assert!((5.0..=10.0).contains(&resets), "{resets}");
    let requests = spec.metrics.iter().find(|m| m.name == "requests").expect("requests").baseline;
    let month = one(sim, "sum(increase(http_requests_total{job=\"api\"}[30d]))");
    let expected = requests * (MONTH * 60) as f64;
    assert!((month / expected - 1.0).abs() < 0.05, "{month} vs {expected}");
    // The request-weighted error ratio from the counters is close to the SLO's (traffic varies, so not equal).
    let ratio = one(
        sim,
        "sum(increase(http_requests_total{job=\"api\",code=\"500\"}[30d])) / sum(increase(http_requests_total{job=\"api\"}[30d]))",
    );
    let run = sim.slos().slos.iter().find(|s| s.service == "api").expect("an SLO");
    assert!((ratio - (1.0 - run.sli(MONTH))).abs() < 1e-4, "{ratio}");
}

#[test]
fn a_long_window_over_every_series_is_read_in_bounded_blocks() {
    // 30 days of every series of a built-in scenario: an answer, not an allocation of every window at once.
    let d = drill("aws-s3-2017", 2);
    let n = one(d.sim(), "count(last_over_time({__name__=~\".+\"}[30d]))");
    assert!(n > 10.0 && n == one(d.sim(), "count({__name__=~\".+\"})"), "{n}");
    assert_eq!(one(d.sim(), "sum(count_over_time(up[30d])) / count(up)"), MONTH as f64);
}
