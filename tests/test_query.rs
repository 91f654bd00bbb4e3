//! `query` semantics on a noise-free fixture, where every value is known exactly.

use std::sync::Arc;
use wom::promql::QueryValue;
use wom::scenario::parse;
use wom::sim::{Input, Sim};

const FIXTURE: &str = r#"(
    schema_version: 1,
    meta: (id: "q", title: "t", briefing: "b", gm_summary: "g", source: "test"),
    clock: (page_time: "12:00", history: "1h"),
    services: [
        (id: "a", metrics: [(name: "error_rate", unit: Ratio, baseline: 0.01), (name: "requests", baseline: 100.0)]),
        (id: "b", kind: Database, metrics: [(name: "error_rate", unit: Ratio, baseline: 0.02), (name: "requests", baseline: 50.0)]),
        (id: "c", metrics: [(name: "error_rate", unit: Ratio, baseline: 0.03)]),
    ],
    tracks: [(id: "main", initial: "ok", states: [
        (id: "ok", phase: Normal, transitions: [(to: "bad", when: Gm("go"))]),
        (id: "bad", symptoms: [Metric(service: "a", metric: "error_rate", shift: Set(0.5))], transitions: [(to: "done", when: Gm("stop"))]),
        (id: "done", phase: Resolved),
    ])],
    actions: [],
    root_cause: (summary: "s", keywords: [["x"]], five_ws: (what: "a", where: "b", why: "c", when: "d", who: "e")),
    rubric: (declare: (within: "5m", points: 1), mitigate: (within: "5m", points: 1), root_cause: 1, updates: (every: "5m", points: 1)),
    walkthrough: ["status"],
)"#;

fn sim() -> Sim {
    Sim::new(Arc::new(parse(FIXTURE, "q.ron").expect("fixture loads")), 1)
}

/// `label=value,…  value` lines, or `scalar value`.
fn run(sim: &Sim, q: &str) -> Vec<String> {
    match sim.query(q).unwrap_or_else(|e| panic!("{q}: {e}")).value {
        QueryValue::Scalar(v) => vec![format!("scalar {v}")],
        QueryValue::String(s) => vec![format!("string {s}")],
        QueryValue::Matrix(series) => series.into_iter().map(|s| format!("{:?} {:?}", s.labels, s.points)).collect(),
        QueryValue::Vector(samples) => samples
            .into_iter()
            .map(|s| {
                let labels: Vec<String> = s.labels.iter().map(|(n, v)| format!("{n}={v}")).collect();
                format!("{} {}", labels.join(","), (s.value * 1e6).round() / 1e6)
            })
            .collect(),
    }
}

#[test]
fn selectors_and_matchers() {
    let sim = sim();
    assert_eq!(
        run(&sim, "requests"),
        ["__name__=requests,kind=service,service=a 100", "__name__=requests,kind=database,service=b 50"]
    );
    assert_eq!(run(&sim, r#"error_rate{kind!="database",service=~"a|c"}"#).len(), 2);
    // Every service also has its exporter's `up`.
    assert_eq!(
        run(&sim, r#"{service="c"}"#),
        ["__name__=error_rate,kind=service,service=c 0.03", "__name__=up,instance=c,job=c,service=c 1"]
    );
}

#[test]
fn aggregations_by_and_without() {
    let sim = sim();
    assert_eq!(run(&sim, "sum(requests)"), [" 150"]);
    assert_eq!(run(&sim, "avg by (kind) (error_rate)"), ["kind=database 0.02", "kind=service 0.02"]);
    assert_eq!(run(&sim, "count without (service) (error_rate)"), ["kind=database 1", "kind=service 2"]);
    assert_eq!(run(&sim, "max(error_rate)"), [" 0.03"]);
    assert_eq!(
        run(&sim, "topk(2, error_rate)"),
        ["__name__=error_rate,kind=service,service=c 0.03", "__name__=error_rate,kind=database,service=b 0.02"]
    );
}

#[test]
fn comparisons_filter_unless_bool() {
    let sim = sim();
    assert_eq!(run(&sim, "error_rate > 0.015").len(), 2);
    assert_eq!(
        run(&sim, "error_rate > bool 0.015"),
        ["kind=service,service=a 0", "kind=database,service=b 1", "kind=service,service=c 1"]
    );
    assert_eq!(run(&sim, "requests * 2 + 1"), ["kind=service,service=a 201", "kind=database,service=b 101"]);
    assert_eq!(run(&sim, "2 ^ 3 - 1"), ["scalar 7"]);
}

#[test]
fn vector_matching_and_set_operations() {
    let sim = sim();
    // One-to-one on all labels but the name: only services with both metrics.
    assert_eq!(run(&sim, "error_rate * requests"), ["kind=service,service=a 1", "kind=database,service=b 1"]);
    assert_eq!(run(&sim, "error_rate * on (service) requests").len(), 2);
    assert_eq!(run(&sim, "error_rate unless requests"), ["__name__=error_rate,kind=service,service=c 0.03"]);
    assert_eq!(run(&sim, "error_rate and requests").len(), 2);
    assert_eq!(run(&sim, "requests or error_rate").len(), 3);
}

#[test]
fn range_functions_and_offset() {
    let mut sim = sim();
    sim.input(Input::Gm("go".into()));
    sim.advance(600);
    // Entered `bad` at the 12:01 tick: 10 of the 11 samples in the last 11 minutes are 0.5.
    assert_eq!(run(&sim, r#"max_over_time(error_rate{service="a"}[11m])"#), ["kind=service,service=a 0.5"]);
    assert_eq!(run(&sim, r#"min_over_time(error_rate{service="a"}[11m])"#), ["kind=service,service=a 0.01"]);
    assert_eq!(
        run(&sim, r#"avg_over_time(error_rate{service="a"}[11m])"#),
        [format!("kind=service,service=a {}", ((10.0 * 0.5 + 0.01) / 11.0 * 1e6_f64).round() / 1e6)]
    );
    // Prometheus extrapolates: 11 samples span 10 of the window's 11 minutes, so the change scales by 1.1.
    assert_eq!(run(&sim, r#"delta(error_rate{service="a"}[11m])"#), ["kind=service,service=a 0.539"]);
    assert_eq!(run(&sim, r#"error_rate{service="a"} offset 15m"#), ["__name__=error_rate,kind=service,service=a 0.01"]);
    sim.input(Input::Gm("stop".into()));
    sim.advance(120);
    // A drop counts as a counter reset: one reset in the window.
    assert_eq!(run(&sim, r#"resets(error_rate{service="a"}[15m])"#), ["kind=service,service=a 1"]);
    assert_eq!(run(&sim, "count_over_time(requests[5m])"), ["kind=service,service=a 5", "kind=database,service=b 5"]);
    // Before the history the store shows the baselines (the backfill `slo` assumes), for 30 days.
    assert_eq!(
        run(&sim, "count_over_time(requests[5m] offset 3h)"),
        ["kind=service,service=a 5", "kind=database,service=b 5"]
    );
    assert!(run(&sim, "max_over_time(requests[5m] offset 40d)").is_empty(), "a window before the backfill is empty");
}

#[test]
fn errors_are_clear() {
    let sim = sim();
    let e = |q: &str| sim.query(q).unwrap_err().to_string();
    assert!(e("rate(requests)").contains("expected type matrix"), "{}", e("rate(requests)"));
    assert!(
        e("histogram_count(requests)")
            .starts_with("function `histogram_count` is not supported; supported: abs, absent,")
    );
    assert!(e("sum(").starts_with("cannot parse"));
    // Two `error_rate` series per `kind="service"` on the right: the "one" side must be unique.
    assert!(e("requests * on (kind) group_left error_rate").starts_with("found duplicate series for the match group"));
}

/// An unknown metric is an empty result, as in Prometheus, with a did-you-mean beside it.
#[test]
fn unknown_metric_is_empty_with_a_hint() {
    let sim = sim();
    let answer = sim.query("sum(error_rte)").expect("evaluates");
    assert_eq!(answer.value, QueryValue::Vector(Vec::new()));
    assert_eq!(answer.notes, ["no metric `error_rte`; did you mean `error_rate`?"]);
    // Once, however often the query reads it, in subqueries too.
    let answer = sim.query("max_over_time(error_rte[5m:1m]) or max_over_time(error_rte[10m:1m])").expect("evaluates");
    assert_eq!(answer.notes, ["no metric `error_rte`; did you mean `error_rate`?"]);
}

/// Inputs that overflowed the stack before the depth bound: each gets one line naming the limit.
#[test]
fn deep_queries_are_refused_with_the_limit() {
    let sim = sim();
    let minus = format!("{}error_rate", "-".repeat(55_000));
    let abs = format!("{}error_rate{}", "abs(".repeat(20_000), ")".repeat(20_000));
    let sum = vec!["error_rate"; 15_000].join(" + ");
    let chain = vec!["error_rate"; 15_000].join(" or ");
    for q in [&minus, &abs, &sum, &chain] {
        let e = sim.query(q).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "query nests deeper than {} levels (operators, parentheses and calls); simplify it",
                wom::promql::MAX_DEPTH
            )
        );
    }
}

/// Up to the limit, deep queries still evaluate (on a test thread's small stack).
#[test]
fn queries_within_the_depth_limit_evaluate() {
    let sim = sim();
    let depth = wom::promql::MAX_DEPTH / 2 - 2;
    let abs = format!("{}requests{{service=\"a\"}}{}", "abs(".repeat(depth), ")".repeat(depth));
    assert_eq!(run(&sim, &abs), ["kind=service,service=a 100"]);
    let minus = format!("{}4", "- ".repeat(depth * 2 - 4));
    assert_eq!(run(&sim, &minus), ["scalar 4"]);
}

/// `info` reads `target_info` itself: a drill without info metrics keeps `up` as it is, with no did-you-mean
/// about a metric the user did not type.
#[test]
fn info_without_info_metrics_keeps_the_series_and_adds_no_hint() {
    let sim = sim();
    let plain = sim.query("up").expect("evaluates");
    let answer = sim.query("info(up)").expect("evaluates");
    assert!(matches!(&answer.value, QueryValue::Vector(v) if !v.is_empty()), "{:?}", answer.value);
    assert_eq!(answer.value, plain.value);
    assert!(answer.notes.is_empty(), "{:?}", answer.notes);
}
