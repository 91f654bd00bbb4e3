//! Exporter-shaped series derived from the domain model (`docs/queries.md`, "Series"), on the noiseless
//! fleet fixture so values are exact: request counters split by code, the latency histogram fitted to the
//! modelled p50 and p99, `up`, no samples while an instance is down, and counters that reset when a process
//! restarts.

use std::sync::Arc;
use wom::promql::QueryValue;
use wom::scenario::parse;
use wom::session::Drill;
use wom::sim::Sim;

const FLEET: &str = include_str!("fixtures/fleet.ron");

fn drill() -> Drill {
    Drill::start(Arc::new(parse(FLEET, "fleet.ron").expect("fixture loads")), 7)
}

/// An instant query's samples as (label set without the name, value), sorted.
fn query(sim: &Sim, q: &str) -> Vec<(String, f64)> {
    let answer = sim.query(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    let QueryValue::Vector(samples) = answer.value else { panic!("{q}: not a vector") };
    let mut out: Vec<(String, f64)> = samples
        .into_iter()
        .map(|s| {
            let labels: Vec<String> =
                s.labels.iter().filter(|(n, _)| n != "__name__").map(|(n, v)| format!("{n}={v}")).collect();
            (labels.join(","), s.value)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn one(sim: &Sim, q: &str) -> f64 {
    let got = query(sim, q);
    assert_eq!(got.len(), 1, "{q}: {got:?}");
    got[0].1
}

#[test]
fn request_counters_are_the_integral_of_the_modelled_rate_split_by_code() {
    let d = drill();
    let sim = d.sim();
    // Seven of ten hosts are up, each serving 10 requests a second, 0.1% of them failing.
    let by_job = query(sim, "sum by (job) (rate(http_requests_total[5m]))");
    assert_eq!(by_job.len(), 1);
    assert_eq!(by_job[0].0, "job=edge");
    // Differences of f64 counters of a few million requests, as Prometheus computes them.
    assert!((by_job[0].1 - 70.0).abs() < 1e-9, "{by_job:?}");
    let errors = "sum(rate(http_requests_total{code=~\"5..\"}[5m])) / sum(rate(http_requests_total[5m]))";
    assert!((one(sim, errors) - 0.001).abs() < 1e-9);
    assert!((one(sim, "increase(http_requests_total{instance=\"edge-02\",code=\"500\"}[10m])") - 6.0).abs() < 1e-5);
    // A counter has been counting since its process started, days before the history.
    assert!(one(sim, "http_requests_total{instance=\"edge-02\",code=\"200\"}") > 10.0 * 86_400.0 * 3.0);
    assert_eq!(query(sim, "count by (code, method, route) (http_requests_total)").len(), 2);
}

#[test]
fn the_histogram_has_the_modelled_quantiles() {
    let d = drill();
    let sim = d.sim();
    // p99 is modelled at 100 ms, the bound of the `le="0.1"` bucket: 99% of requests fall in it.
    let share = "rate(http_request_duration_seconds_bucket{instance=\"edge-04\",le=\"0.1\"}[5m]) \
                 / ignoring (le) rate(http_request_duration_seconds_count{instance=\"edge-04\"}[5m])";
    assert!((one(sim, share) - 0.99).abs() < 1e-9, "{}", one(sim, share));
    let buckets = query(sim, "http_request_duration_seconds_bucket{instance=\"edge-04\"}");
    assert_eq!(buckets.len(), 12);
    assert!(buckets.iter().any(|(l, _)| l.contains("le=+Inf")));
    let inf = one(sim, "http_request_duration_seconds_bucket{instance=\"edge-04\",le=\"+Inf\"}");
    assert_eq!(inf, one(sim, "http_request_duration_seconds_count{instance=\"edge-04\"}"));
    // Two hosts are slowed to a 900 ms p99: the fleet's p99 from the buckets lies well above 100 ms.
    let p99 = "histogram_quantile(0.99, sum by (le, job) (rate(http_request_duration_seconds_bucket[5m])))";
    let fleet_p99 = one(sim, p99);
    assert!(fleet_p99 > 0.1 && fleet_p99 < 1.0, "{fleet_p99}");
    // Requests in flight: rate × mean latency, a little above 10/s × 20 ms.
    let in_flight = one(sim, "http_requests_in_flight{instance=\"edge-04\"}");
    assert!(in_flight > 0.2 && in_flight < 0.4, "{in_flight}");
}

#[test]
fn a_down_instance_reports_up_0_and_nothing_else() {
    let d = drill();
    let sim = d.sim();
    let down = query(sim, "up == 0");
    let names: Vec<&str> = down.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        names,
        [
            "instance=edge-01,job=edge,service=edge",
            "instance=edge-03,job=edge,service=edge",
            "instance=edge-06,job=edge,service=edge"
        ]
    );
    assert_eq!(query(sim, "http_requests_total{instance=\"edge-01\"}"), []);
    assert_eq!(one(sim, "up{job=\"db\"}"), 1.0);
    assert_eq!(one(sim, "sum(up{job=\"edge\"})"), 7.0);
}

#[test]
fn counters_reset_when_processes_restart() {
    let mut d = drill();
    d.respond("mitigate restart edge-02");
    d.respond("wait 4m");
    let sim = d.sim();
    // The restart landed at 10:01; by 10:05 the counter holds five minutes of 9.99 ok requests a second.
    assert_eq!(one(sim, "resets(http_requests_total{instance=\"edge-02\",code=\"200\"}[10m])"), 1.0);
    assert_eq!(one(sim, "resets(http_requests_total{instance=\"edge-04\",code=\"200\"}[10m])"), 0.0);
    let value = one(sim, "http_requests_total{instance=\"edge-02\",code=\"200\"}");
    assert!((value - 5.0 * 60.0 * 9.99).abs() < 1e-6, "{value}");
    // A host that was down comes back with a fresh counter once the fleet restarts.
    d.respond("mitigate restart edge");
    d.respond("wait 3m");
    let sim = d.sim();
    assert_eq!(query(sim, "up == 0"), []);
    let back = one(sim, "http_requests_total{instance=\"edge-01\",code=\"200\"}");
    assert!(back < 10.0 * 60.0 * 5.0, "{back}");
}

#[test]
fn a_rolling_restart_resets_each_stage_share_of_the_fleet_in_member_order() {
    let whole = r#"cost: "1m", result: "Restarted `{target}`.")"#;
    assert!(FLEET.contains(whole), "the fixture's restart action");
    let staged = FLEET.replace(
        whole,
        r#"cost: "1m", result: "Restarting `{target}`.",
           stages: [(after: "0s", done: 0.5, report: "restarted 5 of 10 {target} hosts"),
                    (after: "2m", done: 1.0, report: "restarted 10 of 10 {target} hosts")])"#,
    );
    let mut d = Drill::start(Arc::new(parse(&staged, "fleet.ron").expect("staged fixture loads")), 7);
    let resets = |d: &Drill, host: &str| {
        one(d.sim(), &format!("resets(http_requests_total{{instance=\"{host}\",code=\"200\"}}[10m])"))
    };
    d.respond("mitigate restart edge");
    d.respond("wait 90s");
    // The first stage (at 10:01) restarted the first half of the fleet, edge-01 to edge-05 (edge-01, -03 and
    // -06 are down: their counters come back fresh, with no sample before to fall from).
    assert_eq!(resets(&d, "edge-04"), 1.0);
    assert_eq!(resets(&d, "edge-05"), 1.0);
    assert_eq!(resets(&d, "edge-07"), 0.0);
    assert_eq!(resets(&d, "edge-08"), 0.0);
    d.respond("wait 3m");
    // The second (at 10:03) restarted the rest, and none of the first half again.
    assert_eq!(resets(&d, "edge-04"), 1.0);
    assert_eq!(resets(&d, "edge-07"), 1.0);
    assert_eq!(resets(&d, "edge-08"), 1.0);
}

#[test]
fn exporter_labels_carry_nothing_but_names_a_volunteer_sees() {
    let d = drill();
    let sim = d.sim();
    let all = query(sim, "{__name__=~\"up|http_.*\"}");
    assert!(all.len() > 100);
    for (labels, _) in &all {
        for pair in labels.split(',') {
            let name = pair.split('=').next().unwrap_or_default();
            assert!(["job", "instance", "service", "code", "method", "route", "le"].contains(&name), "{labels}");
        }
        for hidden in ["broken", "fixed", "healthy", "incident", "rule set"] {
            assert!(!labels.contains(hidden), "{labels}");
        }
    }
}

#[test]
fn query_precise_prints_every_digit_and_the_default_stays_readable() {
    let env = crate::common::TestEnvironment::new();
    let path = env.write("fleet.ron", FLEET);
    let q = r#"sum by (job) (rate(http_requests_total{code="500"}[5m]))"#;
    let out = env.run(
        &["play", path.to_str().expect("utf-8"), "--seed", "7"],
        &format!("query --precise {q}\nquery {q}\nquery --precise error_rate{{service=\"edge\"}}\n"),
    );
    let rows: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("{job=\"edge\"}")).collect();
    assert_eq!(rows.len(), 2, "{}", out.stdout);
    // 7 hosts × 10 requests/s × an error ratio of 0.001, from differences of f64 counters of millions.
    assert_eq!(rows[0], "{job=\"edge\"}  0.06999999999998939");
    assert_eq!(rows[1], "{job=\"edge\"}  0.07");
    // The fleet's error ratio: 3 of 10 hosts failing every request, the others 0.1%, summed in f64 (32-bit
    // samples would show 0.30070000886917114).
    assert!(out.stdout.contains("error_rate{kind=\"edge\",service=\"edge\"}  0.3006999999999999\n"), "{}", out.stdout);
    assert!(out.stdout.contains(&format!("{q} at 10:00:00\n")), "the echo leaves out the flag: {}", out.stdout);
}
