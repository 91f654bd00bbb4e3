//! The fused evaluation of an aggregation over a range function (`sum by (job) (rate(x[5m]))`) and of
//! `histogram_quantile` over one gives the general evaluation's answers bit for bit. The general path is
//! forced by a no-op `label_replace` between the function and the aggregation; the data has what real data
//! has: counter resets, NaN, stale markers, gaps, irregular timestamps, and enough series that both paths
//! run on several threads.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use wom::promql::{Labels, MemStorage, QueryValue, instant_query, range_query, stale_nan};

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

/// An answer with every float as its bits, so NaN equals NaN and -0 differs from 0.
fn exact(value: QueryValue) -> Vec<String> {
    match value {
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
    }
}

/// `query` with `{f}` as written and as the general path evaluates it.
fn both(query: &str, f: &str) -> (String, String) {
    (query.replace("{f}", f), query.replace("{f}", &format!("label_replace({f}, \"unfused\", \"\", \"\", \"\")")))
}

fn assert_same(store: &MemStorage, query: &str, f: &str) {
    let (fused, general) = both(query, f);
    for t in [1_234_567, 2_400_000] {
        let a = instant_query(store, &fused, t).map(|a| exact(a.value));
        let b = instant_query(store, &general, t).map(|a| exact(a.value));
        assert_eq!(a.as_ref().map(Vec::len).ok(), b.as_ref().map(Vec::len).ok(), "{fused} at {t}");
        assert_eq!(a, b, "{fused} at {t}");
    }
    // A step that does not divide the samples' spacing, from before the first sample.
    let (start, end, step) = (0, 2_500_000, 47_000);
    let a = range_query(store, &fused, start, end, step).map(|a| exact(a.value));
    let b = range_query(store, &general, start, end, step).map(|a| exact(a.value));
    assert!(a.as_ref().is_ok_and(|a| !a.is_empty()), "{fused}: {a:?}");
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
