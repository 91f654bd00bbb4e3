//! The fused evaluation of an aggregation over a range function (`sum by (job) (rate(x[5m]))`) and of
//! `histogram_quantile` over one gives the general evaluation's answers bit for bit. The general path is
//! forced by a no-op `label_replace` between the function and the aggregation; the data has what real data
//! has: counter resets, NaN, stale markers, gaps, irregular timestamps, and enough series that both paths
//! run on several threads.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use wom::promql::{Answer, Labels, MemStorage, QueryError, QueryValue, instant_query, range_query, stale_nan};

const LE: [&str; 12] = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"];

/// 4,500 request counters and 4,200 latency buckets, a sample about every 30 s for 40 minutes.
fn store() -> MemStorage {
    let mut rng = Pcg64::seed_from_u64(7);
    let mut store = MemStorage::new();
    let series = |store: &mut MemStorage, labels: Labels, rate: f64, rng: &mut Pcg64| {
        let mut v: f64 = rng.random_range(0.0..1000.0);
        let mut t = rng.random_range(0..30_000);
        while t < 2_400_000 {
            match rng.random_range(0..200) {
                0 => v = 0.0,                            // a reset
                1 => store.add(&labels, t, f64::NAN),    // a NaN sample
                2 => store.add(&labels, t, stale_nan()), // the series goes stale
                3 => t += 120_000,                       // a gap
                _ => {
                    v += rate * rng.random_range(0.0..30.0);
                    store.add(&labels, t, v);
                }
            }
            t += rng.random_range(20_000..40_000);
        }
    };
    for job in 0..150 {
        for instance in 0..3 {
            for code in ["200", "201", "204", "301", "400", "404", "429", "500", "502", "503"] {
                let labels = Labels::new([
                    ("__name__", "req_total"),
                    ("job", &format!("job-{job}") as &str),
                    ("instance", &format!("host-{instance}:9100")),
                    ("code", code),
                ]);
                series(&mut store, labels, 1.0 + job as f64, &mut rng);
            }
        }
    }
    for job in 0..50 {
        for instance in 0..7 {
            for (k, le) in LE.iter().enumerate() {
                let labels = Labels::new([
                    ("__name__", "lat_bucket"),
                    ("job", &format!("job-{job}") as &str),
                    ("instance", &format!("host-{instance}:9100")),
                    ("le", le),
                ]);
                series(&mut store, labels, (k + 1) as f64, &mut rng);
            }
        }
    }
    store
}

/// An answer with every float as its bits, so NaN equals NaN and -0 differs from 0, and its notes.
fn exact(answer: Answer) -> Vec<String> {
    let mut out = match answer.value {
        QueryValue::Vector(samples) => {
            samples.into_iter().map(|s| format!("{:?} {} {:x}", s.labels, s.t, s.value.to_bits())).collect()
        }
        QueryValue::Matrix(series) => series
            .into_iter()
            .map(|s| {
                let points: Vec<String> = s.points.iter().map(|(t, v)| format!("{t}:{:x}", v.to_bits())).collect();
                format!("{:?} {}", s.labels, points.join(" "))
            })
            .collect(),
        other => vec![format!("{other:?}")],
    };
    out.extend(answer.notes.into_iter().map(|n| format!("note: {n}")));
    out
}

/// `query` with `{f}` as written and as the general path evaluates it.
fn both(query: &str, f: &str) -> (String, String) {
    (query.replace("{f}", f), query.replace("{f}", &format!("label_replace({f}, \"unfused\", \"\", \"\", \"\")")))
}

fn assert_same(store: &MemStorage, query: &str, f: &str) {
    let (fused, general) = both(query, f);
    assert_answers_same(store, &fused, &general, true);
}

/// `fused` and `general` give the same answers (values, order, errors and notes), instant and range; with
/// `nonempty`, the range answer has series.
fn assert_answers_same(store: &MemStorage, fused: &str, general: &str, nonempty: bool) {
    let exact = |a: Result<Answer, QueryError>| a.map(exact).map_err(|e| e.to_string());
    for t in [1_234_567, 2_400_000] {
        let a = exact(instant_query(store, fused, t));
        let b = exact(instant_query(store, general, t));
        assert_eq!(a.as_ref().map(Vec::len).ok(), b.as_ref().map(Vec::len).ok(), "{fused} at {t}");
        assert_eq!(a, b, "{fused} at {t}");
    }
    // A step that does not divide the samples' spacing, from before the first sample.
    let (start, end, step) = (0, 2_500_000, 47_000);
    let a = exact(range_query(store, fused, start, end, step));
    let b = exact(range_query(store, general, start, end, step));
    if nonempty {
        assert!(a.as_ref().is_ok_and(|a| !a.is_empty()), "{fused}: {a:?}");
    }
    assert_eq!(a, b, "{fused} from {start} to {end} by {step}");
}

#[test]
fn aggregations_over_range_functions_match_the_general_path_bit_for_bit() {
    let store = store();
    let functions = [
        "rate(req_total[5m])",
        "increase(req_total[5m])",
        "delta(req_total[3m])",
        "irate(req_total[2m])",
        "idelta(req_total[2m])",
        "deriv(req_total[5m])",
        "avg_over_time(req_total[4m])",
        "sum_over_time(req_total[4m])",
        "count_over_time(req_total[4m])",
        "min_over_time(req_total[4m])",
        "max_over_time(req_total[4m])",
        "stddev_over_time(req_total[4m])",
        "last_over_time(req_total[4m])",
        "changes(req_total[10m])",
        "resets(req_total[10m])",
        "rate(req_total[5m] offset 3m)",
        "rate(req_total[5m] @ 1800)",
        "rate(req_total{code=~\"5..\"}[5m])",
    ];
    for f in functions {
        assert_same(&store, "sum by (job) ({f})", f);
    }
    let f = "rate(req_total[5m])";
    for agg in [
        "sum by (job, code) ({f})",
        "sum without (instance) ({f})",
        "sum by (job, instance, code) ({f})",
        "avg by (job) ({f})",
        "count by (job) ({f})",
        "min by (job) ({f})",
        "max by (job) ({f})",
        "group by (job) ({f})",
        "sum by (nothing, job) ({f})",
        "sum({f})",
        "sum by (code) ({f})",
        "sum by (job) (({f}))",
    ] {
        assert_same(&store, agg, f);
    }
}

#[test]
fn histogram_quantile_over_an_aggregated_rate_matches_the_general_path_bit_for_bit() {
    let store = store();
    let f = "rate(lat_bucket[5m])";
    for query in [
        "histogram_quantile(0.99, sum by (le, job) ({f}))",
        "histogram_quantile(0.5, sum by (job, le) ({f}))",
        "histogram_quantile(0.9, sum without (instance) ({f}))",
        "histogram_quantile(0.9, sum by (le, job, instance) ({f}))",
        "histogram_quantile(0.9, sum by (le) ({f}))",
        "histogram_quantile(0.75, max by (le, job) ({f}))",
        "histogram_quantile(1.5, sum by (le, job) ({f}))",
        "histogram_quantile(scalar(sum(count_over_time(lat_bucket[1m]))) / 1e9, sum by (le, job) ({f}))",
    ] {
        assert_same(&store, query, f);
    }
    assert_same(&store, "histogram_quantile(0.9, sum by (le, job) ({f}))", "increase(lat_bucket[10m])");
}

#[test]
fn a_fused_query_over_an_unknown_metric_still_suggests_the_known_one() {
    let store = store();
    let answer = instant_query(&store, "sum by (job) (rate(req_totl[5m]))", 600_000).expect("an empty answer");
    assert_eq!(answer.value, QueryValue::Vector(Vec::new()));
    assert_eq!(answer.notes, vec!["no metric `req_totl`; did you mean `req_total`?".to_string()]);
}

/// A few series each with one of real data's odd corners: one sample, no `job`, falling and negative
/// values, infinities, -0, NaN first, values whose sum overflows, stale markers; buckets whose bounds are
/// equal but spelled differently ("1" and "1.0", "0" and "-0", "Inf" and "+Inf"), a bucket without `le`, a
/// malformed `le`, a NaN bound, a histogram with the `+Inf` bucket only.
fn odd_store() -> MemStorage {
    let mut store = MemStorage::new();
    let mut add = |pairs: &[(&str, &str)], value: &dyn Fn(i64) -> f64, every: i64| {
        let labels = Labels::new(pairs.iter().copied());
        let mut t = every;
        while t <= 2_400_000 {
            store.add(&labels, t, value(t));
            t += every;
        }
    };
    let n = |t: i64| (t / 15_000) as f64;
    add(&[("__name__", "c_total"), ("job", "a"), ("instance", "1")], &|t| n(t) * 3.0, 15_000);
    add(&[("__name__", "c_total"), ("job", "a"), ("instance", "2")], &|t| n(t), 2_400_000);
    add(&[("__name__", "c_total"), ("instance", "3")], &|t| n(t) * 0.5, 15_000);
    add(&[("__name__", "c_total"), ("job", "b"), ("instance", "1")], &|t| -n(t), 15_000);
    let infinite = |t: i64| match (t / 15_000) % 7 {
        0 => f64::INFINITY,
        3 => f64::NEG_INFINITY,
        k => k as f64,
    };
    add(&[("__name__", "c_total"), ("job", "b"), ("instance", "2")], &infinite, 15_000);
    add(&[("__name__", "c_total"), ("job", "c"), ("instance", "1")], &|_| -0.0, 15_000);
    add(
        &[("__name__", "c_total"), ("job", "c"), ("instance", "2")],
        &|t| if t % 60_000 == 15_000 { f64::NAN } else { n(t) },
        15_000,
    );
    for instance in ["1", "2", "3"] {
        add(&[("__name__", "c_total"), ("job", "d"), ("instance", instance)], &|t| f64::MAX * 0.75 + n(t), 15_000);
    }
    add(
        &[("__name__", "c_total"), ("job", "e"), ("instance", "1")],
        &|t| if (t / 15_000) % 13 == 5 { stale_nan() } else { n(t) },
        15_000,
    );
    let buckets: &[(&str, &str, &[&str])] = &[
        ("a", "1", &["0.1", "1", "+Inf"]),
        ("a", "2", &["0.1", "1.0", "+Inf"]),
        ("b", "1", &["-0", "0", "abc", "", "Inf"]),
        ("b", "2", &["0", "0.5", "+Inf"]),
        ("c", "1", &["NaN", "1", "+Inf"]),
        ("d", "1", &["+Inf"]),
    ];
    for &(job, instance, les) in buckets {
        for (k, &le) in les.iter().enumerate() {
            let rate = (k + 1) as f64;
            add(
                &[("__name__", "h_bucket"), ("job", job), ("instance", instance), ("le", le)],
                &|t| n(t) * rate,
                15_000,
            );
        }
    }
    // Buckets that fall: a histogram whose counts are not monotonic in `le`.
    for (k, le) in ["0.1", "1", "+Inf"].iter().enumerate() {
        add(
            &[("__name__", "h_bucket"), ("job", "e"), ("instance", "1"), ("le", le)],
            &|t| n(t) * (3 - k) as f64,
            15_000,
        );
    }
    store
}

#[test]
fn odd_corners_of_real_data_match_the_general_path_bit_for_bit() {
    let store = odd_store();
    let functions = [
        "rate(c_total[5m])",
        "increase(c_total[5m])",
        "delta(c_total[5m])",
        "irate(c_total[1m])",
        "deriv(c_total[5m])",
        "last_over_time(c_total[5m])",
        "first_over_time(c_total[5m])",
        "max_over_time(c_total[5m])",
        "avg_over_time(c_total[5m])",
        "stddev_over_time(c_total[5m])",
        "mad_over_time(c_total[5m])",
        "changes(c_total[5m])",
        "resets(c_total[5m])",
        "ts_of_max_over_time(c_total[5m])",
        "present_over_time(c_total[5m])",
        "rate(c_total[5m] @ end())",
        "rate(c_total[5m] @ end() offset 10m)",
        "increase(c_total[5m] offset -5m)",
    ];
    for f in functions {
        for agg in [
            "sum by (job) ({f})",
            "avg by (job) ({f})",
            "min by (job) ({f})",
            "max by (job) ({f})",
            "count by (job) ({f})",
            "group by (job) ({f})",
            "sum without (instance) ({f})",
            "avg without (__name__, job) ({f})",
            "sum by (instance, job) ({f})",
            "max({f})",
            "sum by () ({f})",
            "sum without () ({f})",
            "max_over_time(sum by (job) ({f})[30m:1m])",
            "sum by (job) ({f}) / on (job) group_left count by (job) ({f})",
        ] {
            assert_same(&store, agg, f);
        }
    }
}

#[test]
fn histograms_with_odd_bounds_match_the_general_path_bit_for_bit() {
    let store = odd_store();
    for f in ["rate(h_bucket[5m])", "last_over_time(h_bucket[5m])", "irate(h_bucket[1m])", "delta(h_bucket[5m])"] {
        for query in [
            "histogram_quantile(0.9, sum by (le, job) ({f}))",
            "histogram_quantile(0.5, sum by (le) ({f}))",
            "histogram_quantile(0.5, sum without (instance) ({f}))",
            "histogram_quantile(0.5, max by (job, instance, le) ({f}))",
            "histogram_quantile(0, sum by (le, job) ({f}))",
            "histogram_quantile(1, count by (le, job) ({f}))",
            "histogram_quantile(0.5, avg without (job, instance) ({f}))",
            "max_over_time(histogram_quantile(0.9, sum by (le, job) ({f}))[30m:1m])",
        ] {
            assert_same(&store, query, f);
        }
        // No `le` left to read: nothing, the same way.
        for query in ["histogram_quantile(0.5, sum by (job) ({f}))", "histogram_quantile(0.5, sum without (le) ({f}))"]
        {
            let (fused, general) = both(query, f);
            assert_answers_same(&store, &fused, &general, false);
        }
    }
}

#[test]
fn a_histogram_quantile_left_to_the_general_path_notes_an_unknown_metric_once() {
    let store = odd_store();
    // A subquery is not fused: the quantile's own argument, with its note, must still be read once.
    let q = "scalar(max_over_time(c_totl[5m:1m]))";
    let buckets = "sum by (le, job) (rate(h_bucket[5m:1m]))";
    let fused = format!("histogram_quantile({q}, {buckets})");
    let general = format!("histogram_quantile({q}, label_replace({buckets}, \"unfused\", \"\", \"\", \"\"))");
    assert_answers_same(&store, &fused, &general, true);
    let notes = instant_query(&store, &fused, 1_234_567).expect("an answer").notes;
    assert_eq!(notes, vec!["no metric `c_totl`; did you mean `c_total`?".to_string()]);
}

#[test]
fn fused_queries_over_a_drills_exporter_series_match_the_general_path() {
    use std::sync::Arc;
    let scenario = wom::scenario::parse(include_str!("fixtures/fleet.ron"), "fleet.ron").expect("fixture loads");
    let mut drill = wom::session::Drill::start(Arc::new(scenario), 7);
    // A restart, so the counters read from the drill's store reset.
    drill.respond("mitigate restart edge-02");
    drill.respond("wait 4m");
    let sim = drill.sim();
    let store = sim.store();
    let now = sim.now() * 1000;
    let exact = |a: Result<Answer, QueryError>| a.map(exact).map_err(|e| e.to_string());
    for (query, f) in [
        ("sum by (job) ({f})", "rate(http_requests_total[5m])"),
        ("sum by (instance, code) ({f})", "increase(http_requests_total[10m])"),
        ("max by (job) ({f})", "resets(http_requests_total[10m])"),
        ("avg without (instance) ({f})", "irate(http_requests_total[3m])"),
        ("histogram_quantile(0.99, sum by (le, job) ({f}))", "rate(http_request_duration_seconds_bucket[5m])"),
        ("histogram_quantile(0.5, sum by (le, instance) ({f}))", "rate(http_request_duration_seconds_bucket[5m])"),
    ] {
        let (fused, general) = both(query, f);
        let (a, b) = (exact(instant_query(&store, &fused, now)), exact(instant_query(&store, &general, now)));
        assert!(a.as_ref().is_ok_and(|a| !a.is_empty()), "{fused}: {a:?}");
        assert_eq!(a, b, "{fused} at {now}");
        // Back past the first frame, into the backfilled history.
        let (start, step) = (now - 2 * 3_600_000, 47_000);
        let a = exact(range_query(&store, &fused, start, now, step));
        let b = exact(range_query(&store, &general, start, now, step));
        assert!(a.as_ref().is_ok_and(|a| !a.is_empty()), "{fused}: {a:?}");
        assert_eq!(a, b, "{fused} from {start} to {now} by {step}");
    }
}

/// Random small stores (labels missing or spelled oddly, NaN, infinities, -0, resets, stale markers) under
/// random fused shapes.
#[test]
fn random_stores_and_fused_shapes_match_the_general_path() {
    let mut rng = Pcg64::seed_from_u64(14);
    let jobs = ["a", "b", "c", ""];
    let les = ["0.1", "0.10", "1", "1.0", "1e0", "-0", "0", "+Inf", "Inf", "inf", "NaN", "x", ""];
    let values = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 0.0, f64::MAX, -1.0, 1e-300];
    let functions = [
        "rate",
        "increase",
        "delta",
        "irate",
        "idelta",
        "deriv",
        "avg_over_time",
        "sum_over_time",
        "count_over_time",
        "min_over_time",
        "max_over_time",
        "stddev_over_time",
        "mad_over_time",
        "last_over_time",
        "changes",
        "resets",
        "ts_of_min_over_time",
    ];
    let aggregations = ["sum", "avg", "min", "max", "count", "group"];
    let modifiers =
        ["by (job)", "by (le)", "by (le, job)", "without (instance)", "without (le)", "by (instance, le)", ""];
    // Most cases have an answer (about four in five when this was written, histograms too).
    for case in 0..500 {
        let mut store = MemStorage::new();
        for s in 0..rng.random_range(1..40) {
            let instance = format!("{}", s % 5);
            let labels = Labels::new([
                ("__name__", "m"),
                ("job", jobs[rng.random_range(0..jobs.len())]),
                ("instance", &instance as &str),
                ("le", les[rng.random_range(0..les.len())]),
                ("s", &format!("{s}")),
            ]);
            let mut t = rng.random_range(0..60_000);
            let mut v: f64 = rng.random_range(-10.0..100.0);
            while t < 1_200_000 {
                let x = match rng.random_range(0..30) {
                    0 => values[rng.random_range(0..values.len())],
                    1 => stale_nan(),
                    2 => {
                        v = 0.0;
                        v
                    }
                    _ => {
                        v += rng.random_range(0.0..10.0);
                        v
                    }
                };
                store.add(&labels, t, x);
                t += rng.random_range(5_000..70_000);
            }
        }
        let at = ["", " offset 1m", " offset -30s", " @ 600"][rng.random_range(0..4)];
        let f = format!("{}(m[{}s]{at})", functions[rng.random_range(0..functions.len())], rng.random_range(30..400));
        let agg = format!(
            "{} {} ({{f}})",
            aggregations[rng.random_range(0..aggregations.len())],
            modifiers[rng.random_range(0..modifiers.len())]
        );
        let query =
            if case % 2 == 0 { agg } else { format!("histogram_quantile(0.{}, {agg})", rng.random_range(0..100)) };
        let (fused, general) = both(&query, &f);
        assert_answers_same(&store, &fused, &general, false);
    }
}
