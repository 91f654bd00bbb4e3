//! Range functions of Prometheus's experimental set that wom adds beside the table's core ones:
//! `double_exponential_smoothing` (two scalar arguments per step) and the `ts_of_*_over_time` family (the
//! time of the sample `min_over_time`, `max_over_time`, `first_over_time` or `last_over_time` would pick);
//! and `avg_over_time`'s mean, which switches from a compensated sum to a compensated incremental mean.

use super::engine::{Evaluator, RangeSource, StepSeries, Value};
use super::error::QueryError;
use promql_parser::parser::Expr;

/// `double_exponential_smoothing(v[r], sf, tf)`: Holt's linear smoothing of each window, as Prometheus
/// computes it; nothing for a window of fewer than two samples; factors outside `(0, 1)` are an error.
pub(super) fn double_exponential_smoothing(
    ev: &mut Evaluator,
    source: RangeSource,
    args: &[Box<Expr>],
) -> Result<Value, QueryError> {
    let mut factors = Vec::with_capacity(2);
    for a in args.iter().skip(1) {
        match ev.eval(a)? {
            Value::Scalar(v) => factors.push(v),
            _ => return Err(QueryError::invalid("`double_exponential_smoothing` takes two numbers after its range")),
        }
    }
    let [sf, tf] = factors.as_slice() else {
        return Err(QueryError::invalid("`double_exponential_smoothing` takes a range vector and two numbers"));
    };
    let mut out = Vec::new();
    let mut failure = None;
    let delayed = ev.delayed_names;
    ev.for_each_range(source, &mut |windows, labels, samples, bounds| {
        let mut points = Vec::new();
        for (k, (w, &(from, to))) in windows.iter().zip(bounds).enumerate() {
            let s = &samples[from..to];
            if s.len() < 2 {
                continue;
            }
            let (sf, tf) = (sf[k], tf[k]);
            if !(sf > 0.0 && sf < 1.0) {
                failure = Some(format!("invalid smoothing factor. Expected: 0 < sf < 1, got: {sf:.6}"));
                continue;
            }
            if !(tf > 0.0 && tf < 1.0) {
                failure = Some(format!("invalid trend factor. Expected: 0 < tf < 1, got: {tf:.6}"));
                continue;
            }
            points.push((w.ts, smooth(s, sf, tf)));
        }
        if !points.is_empty() {
            out.push(StepSeries { labels: labels.drop_name(delayed), points });
        }
    })?;
    if let Some(message) = failure {
        return Err(QueryError::invalid(message));
    }
    super::functions::merge_same_labels(out).map(Value::Vector)
}

/// Prometheus's `funcDoubleExponentialSmoothing` over at least two samples.
fn smooth(s: &[(i64, f64)], sf: f64, tf: f64) -> f64 {
    let (mut s0, mut s1) = (0.0, s[0].1);
    let mut b = s[1].1 - s[0].1;
    for (i, &(_, v)) in s.iter().enumerate().skip(1) {
        let x = sf * v;
        // The trend: the first step keeps the initial difference.
        if i > 1 {
            b = tf * (s1 - s0) + (1.0 - tf) * b;
        }
        let y = (1.0 - sf) * (s1 + b);
        s0 = s1;
        s1 = x + y;
    }
    s1
}

/// `avg_over_time` of a non-empty window as Prometheus's `funcAvgOverTime` computes it: a Kahan-compensated
/// sum divided by the count while the sum stays finite; once it would overflow, a Kahan-compensated
/// incremental mean carried on from the sum so far.
pub(super) fn avg(s: &[(i64, f64)]) -> f64 {
    use super::functions::kahan_add;
    let (mut sum, mut c, mut mean) = (s[0].1, 0.0, 0.0);
    let mut incremental = false;
    let mut count = 1.0;
    for (i, &(_, v)) in s.iter().enumerate().skip(1) {
        count = (i + 1) as f64;
        if !incremental {
            let (new_sum, new_c) = kahan_add(v, sum, c);
            if !new_sum.is_infinite() {
                (sum, c) = (new_sum, new_c);
                continue;
            }
            incremental = true;
            mean = sum / (count - 1.0);
            c /= count - 1.0;
        }
        let q = (count - 1.0) / count;
        (mean, c) = kahan_add(v / count, q * mean, q * c);
    }
    if incremental { mean + c } else { sum / count + c / count }
}

/// The time, in seconds, of the sample a `ts_of_*_over_time` function picks in a non-empty window; the
/// latest of equal extremes, as Prometheus's `compareOverTime` keeps it.
pub(super) fn ts_of(name: &str, s: &[(i64, f64)]) -> Option<f64> {
    let t = match name {
        "ts_of_first_over_time" => s.first()?.0,
        "ts_of_last_over_time" => s.last()?.0,
        "ts_of_max_over_time" | "ts_of_min_over_time" => {
            let max = name == "ts_of_max_over_time";
            let (mut at, mut best) = *s.first()?;
            for &(t, v) in s {
                let better = if max { v >= best } else { v <= best };
                if better || best.is_nan() {
                    best = v;
                    at = t;
                }
            }
            at
        }
        _ => return None,
    };
    Some(t as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::{avg, smooth, ts_of};

    #[test]
    fn the_mean_goes_on_incrementally_past_an_overflow() {
        let s = [(0, f64::MAX), (1000, f64::MAX), (2000, -f64::MAX)];
        // The sum overflows at the second sample; the incremental mean does not (as Prometheus's, two ulps
        // below max / 3).
        assert_eq!(avg(&s), 5.992310449541051e307);
        let cancel = [(0, 1e308), (1, 1e308), (2, -1e308), (3, -1e308), (4, 1.0)];
        assert_eq!(avg(&cancel), 0.2);
        assert_eq!(avg(&[(0, 1.0), (1000, 2.0), (2000, 4.0)]), 7.0 / 3.0);
    }

    #[test]
    fn smoothing_follows_a_straight_line() {
        let line: Vec<(i64, f64)> = (0..5).map(|i| (i * 1000, 10.0 * i as f64)).collect();
        assert!((smooth(&line, 0.5, 0.5) - 40.0).abs() < 1e-9);
    }

    #[test]
    fn the_latest_extreme_wins() {
        let s = [(1000, 3.0), (2000, 1.0), (3000, 3.0), (4000, 1.0)];
        assert_eq!(ts_of("ts_of_max_over_time", &s), Some(3.0));
        assert_eq!(ts_of("ts_of_min_over_time", &s), Some(4.0));
        assert_eq!(ts_of("ts_of_first_over_time", &s), Some(1.0));
    }
}
