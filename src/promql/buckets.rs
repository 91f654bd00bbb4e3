//! `histogram_fraction(lower, upper, buckets)` and `histogram_quantiles(buckets, "label", φ…)` over
//! classic `le` buckets, as Prometheus's `BucketFraction` and `funcHistogramQuantiles` compute them. Buckets
//! group by their labels without `le` and the metric name; series without a valid `le` are left out.

use super::engine::{Evaluator, StepArg, StepOut, Value};
use super::error::QueryError;
use super::functions::{bucket_quantile, parse_le};
use super::value::Labels;
use promql_parser::parser::Expr;
use std::collections::BTreeMap;

/// `histogram_fraction(lower, upper, v)` at every step.
pub(super) fn histogram_fraction(ev: &mut Evaluator, args: &[Box<Expr>]) -> Result<Value, QueryError> {
    let values = evaluate(ev, args, "histogram_fraction")?;
    let series = ev.step_eval(&values, |step, _| {
        let (Some(StepArg::Scalar(lower)), Some(StepArg::Scalar(upper)), Some(StepArg::Vector(input))) =
            (step.first(), step.get(1), step.get(2))
        else {
            return Err(QueryError::invalid("`histogram_fraction` takes two numbers and an instant vector"));
        };
        Ok(groups(input)
            .into_iter()
            .map(|(labels, buckets)| (labels, bucket_fraction(*lower, *upper, buckets)))
            .collect())
    })?;
    Ok(Value::Vector(series))
}

/// `histogram_quantiles(v, "label", φ1, φ2, …)` at every step: one series per group and quantile, the
/// quantile in the named label.
pub(super) fn histogram_quantiles(ev: &mut Evaluator, args: &[Box<Expr>]) -> Result<Value, QueryError> {
    if args.len() < 3 {
        return Err(QueryError::invalid("`histogram_quantiles` takes an instant vector, a label name and quantiles"));
    }
    let values = evaluate(ev, args, "histogram_quantiles")?;
    let series = ev.step_eval(&values, |step, _| {
        let (Some(StepArg::Vector(input)), Some(StepArg::String(label))) = (step.first(), step.get(1)) else {
            return Err(QueryError::invalid(
                "`histogram_quantiles` takes an instant vector, a label name and quantiles",
            ));
        };
        let groups = groups(input);
        let mut out: StepOut = Vec::new();
        for q in &step[2..] {
            let StepArg::Scalar(q) = q else {
                return Err(QueryError::invalid("`histogram_quantiles` takes numbers as quantiles"));
            };
            let name = openmetrics_float(*q);
            for (labels, buckets) in &groups {
                out.push((labels.with(label, &name), bucket_quantile(*q, &mut buckets.clone())));
            }
        }
        Ok(out)
    })?;
    Ok(Value::Vector(series))
}

fn evaluate(ev: &mut Evaluator, args: &[Box<Expr>], name: &str) -> Result<Vec<Value>, QueryError> {
    let mut values = Vec::with_capacity(args.len());
    for a in args {
        match ev.eval(a)? {
            Value::Matrix(_) => return Err(QueryError::invalid(format!("`{name}` takes no range vector"))),
            v => values.push(v),
        }
    }
    Ok(values)
}

/// Bucket series grouped by their labels without `le` and the name: `(upper bound, count)` each.
fn groups(input: &[(&Labels, f64)]) -> BTreeMap<Labels, Vec<(f64, f64)>> {
    let le = ["le".to_string()];
    let mut groups: BTreeMap<Labels, Vec<(f64, f64)>> = BTreeMap::new();
    for &(labels, v) in input {
        let Some(bound) = parse_le(labels.get("le")) else { continue };
        groups.entry(labels.remove(&le).without_name()).or_default().push((bound, v));
    }
    groups
}

/// Prometheus's `BucketFraction`: the share of observations between `lower` and `upper`, interpolating
/// linearly inside a bucket (not inside one with an infinite bound).
fn bucket_fraction(lower: f64, upper: f64, mut buckets: Vec<(f64, f64)>) -> f64 {
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    if buckets.last().is_none_or(|b| b.0 != f64::INFINITY) {
        return f64::NAN;
    }
    let mut merged: Vec<(f64, f64)> = Vec::with_capacity(buckets.len());
    for b in buckets {
        match merged.last_mut() {
            Some(last) if last.0 == b.0 => last.1 += b.1,
            _ => merged.push(b),
        }
    }
    let count = merged[merged.len() - 1].1;
    if count == 0.0 || lower.is_nan() || upper.is_nan() {
        return f64::NAN;
    }
    if lower >= upper {
        return 0.0;
    }
    let (mut rank, mut lower_rank, mut upper_rank) = (0.0, None, None);
    let mut lower_bound = if merged[0].0 <= 0.0 { f64::NEG_INFINITY } else { 0.0 };
    for (i, &(upper_bound, bucket_count)) in merged.iter().enumerate() {
        if i > 0 {
            lower_bound = merged[i - 1].0;
        }
        let interpolate = |v: f64| {
            if lower_bound == f64::NEG_INFINITY {
                bucket_count
            } else {
                rank + (bucket_count - rank) * (v - lower_bound) / (upper_bound - lower_bound)
            }
        };
        if lower_rank.is_none() && lower_bound >= lower {
            lower_rank = Some(rank);
        }
        if upper_rank.is_none() && lower_bound >= upper {
            upper_rank = Some(rank);
        }
        if lower_rank.is_some() && upper_rank.is_some() {
            break;
        }
        if lower_rank.is_none() && lower_bound < lower && upper_bound > lower {
            lower_rank = Some(interpolate(lower));
        }
        if upper_rank.is_none() && lower_bound < upper && upper_bound > upper {
            upper_rank = Some(interpolate(upper));
        }
        if lower_rank.is_some() && upper_rank.is_some() {
            break;
        }
        rank = bucket_count;
    }
    let lower_rank = lower_rank.filter(|&r| r <= count).unwrap_or(count);
    let upper_rank = upper_rank.filter(|&r| r <= count).unwrap_or(count);
    (upper_rank - lower_rank) / count
}

/// A quantile as Prometheus writes it in a label (`FormatOpenMetricsFloat`): `0.5`, `1.0`, `1e-05`.
fn openmetrics_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-4..1e21).contains(&abs) {
        // Go's %g: a shortest mantissa and an exponent of at least two digits.
        let s = format!("{f:e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        let (sign, digits) = match exponent.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exponent),
        };
        return format!("{mantissa}e{sign}{digits:0>2}");
    }
    let s = format!("{f}");
    if s.contains('.') { s } else { format!("{s}.0") }
}

#[cfg(test)]
mod tests {
    use super::{bucket_fraction, openmetrics_float};

    #[test]
    fn fractions_interpolate_inside_finite_buckets() {
        // 10 observations <= 1, 20 <= 2, 20 in all.
        let b = vec![(1.0, 10.0), (2.0, 20.0), (f64::INFINITY, 20.0)];
        assert_eq!(bucket_fraction(0.0, 1.0, b.clone()), 0.5);
        assert_eq!(bucket_fraction(0.5, 1.5, b.clone()), 0.5);
        assert_eq!(bucket_fraction(f64::NEG_INFINITY, f64::INFINITY, b.clone()), 1.0);
        assert_eq!(bucket_fraction(2.0, 1.0, b), 0.0);
        assert!(bucket_fraction(0.0, 1.0, vec![(1.0, 1.0)]).is_nan(), "no +Inf bucket");
    }

    #[test]
    fn quantile_labels_are_written_as_prometheus_writes_them() {
        assert_eq!(openmetrics_float(0.5), "0.5");
        assert_eq!(openmetrics_float(1.0), "1.0");
        assert_eq!(openmetrics_float(0.0), "0.0");
        assert_eq!(openmetrics_float(0.00001), "1e-05");
    }
}
