//! Start timestamps: `rate`, `increase`, `irate` and `resets` over a store whose series carry a start time
//! per sample (OpenMetrics 2's and OTel's start time, the `@st` lines of Prometheus's test files), as
//! Prometheus evaluates them with its `use-start-timestamps` option: a start time after the previous
//! sample is a reset (a delta sample, or a restarted counter), and a first sample whose start time falls
//! inside the window counts from zero at that time instead of extrapolating towards the window's start.
//!
//! Only stores that hold start times come here ([`Storage::has_start_times`]); every other store, and
//! subqueries, which do not carry start times on, take the usual path unchanged.
//!
//! [`Storage::has_start_times`]: super::storage::Storage::has_start_times

use super::engine::{Evaluator, LOOKBACK_MS, RangeSource, StepSeries, Value, Window, bounds_of};
use super::error::QueryError;
use super::functions::{extrapolated_rate, merge_same_labels, range_function};
use super::value::is_stale;
use promql_parser::parser::Expr;

/// The functions that read start timestamps.
const READERS: &[&str] = &["rate", "increase", "irate", "resets"];

/// `name` over a range selector, reading start timestamps, when the store holds any; `None` to take the
/// usual path.
pub(super) fn range_call(ev: &mut Evaluator, name: &str, source: &RangeSource) -> Result<Option<Value>, QueryError> {
    let RangeSource::Selector { vs, .. } = source else { return Ok(None) };
    if !READERS.contains(&name) || !ev.store.has_start_times() {
        return Ok(None);
    }
    let windows = ev.windows(source);
    let (Some(lo), Some(hi)) = (windows.iter().map(|w| w.start).min(), windows.iter().map(|w| w.end).max()) else {
        return Ok(Some(Value::Vector(Vec::new())));
    };
    let store = ev.store;
    let mut out = Vec::new();
    for id in ev.select(vs) {
        let Some(mut samples) = store.samples(&[id], lo + 1, hi).pop() else { continue };
        let mut starts = store.start_times(id, lo + 1, hi);
        if let Some(st) = &mut starts {
            // Stale markers go, and their start times with them.
            let mut keep = samples.iter().map(|&(_, v)| !is_stale(v));
            st.retain(|_| keep.next().unwrap_or(true));
        }
        samples.retain(|&(_, v)| !is_stale(v));
        let mut points = Vec::new();
        for (w, &(from, to)) in windows.iter().zip(&bounds_of(&windows, &samples)) {
            if from >= to {
                continue;
            }
            let s = &samples[from..to];
            let value = match &starts {
                Some(st) => with_starts(name, s, &st[from..to], w),
                None => range_function(name, s, w, f64::NAN)?,
            };
            if let Some(v) = value {
                points.push((w.ts, v));
            }
        }
        if !points.is_empty() {
            out.push(StepSeries { labels: store.labels(id).drop_name(ev.delayed_names), points });
        }
    }
    merge_same_labels(out).map(|series| Some(Value::Vector(series)))
}

/// `start_timestamp(v)`: for each series of selector `v`, the start time (in seconds) of the sample the
/// selector reads at each step, 0 where that sample has none, as Prometheus's `funcStartTimestamp`. Only a
/// selector carries start times: over any other expression, and over a store that holds none (as
/// Prometheus without `use-start-timestamps`), the result is empty.
pub(super) fn start_timestamp(ev: &mut Evaluator, args: &[Box<Expr>]) -> Result<Value, QueryError> {
    let Some(arg) = args.first() else {
        return Err(QueryError::invalid("`start_timestamp` takes an instant vector"));
    };
    let Expr::VectorSelector(vs) = &**arg else {
        // Evaluated for its errors; an expression's samples have no start times.
        return match ev.eval(arg)? {
            Value::Vector(_) => Ok(Value::Vector(Vec::new())),
            _ => Err(QueryError::invalid("`start_timestamp` takes an instant vector")),
        };
    };
    let ids = ev.select(vs);
    let store = ev.store;
    if !store.has_start_times() {
        return Ok(Value::Vector(Vec::new()));
    }
    let steps: Vec<(i64, i64)> = ev.steps().map(|ts| (ts, ev.read_time(&vs.at, &vs.offset, ts))).collect();
    let (Some(lo), Some(hi)) = (steps.iter().map(|s| s.1).min(), steps.iter().map(|s| s.1).max()) else {
        return Ok(Value::Vector(Vec::new()));
    };
    let (mint, maxt) = (lo - LOOKBACK_MS + 1, hi);
    let mut out = Vec::new();
    for id in ids {
        let Some(samples) = store.samples(&[id], mint, maxt).pop() else { continue };
        let starts = store.start_times(id, mint, maxt);
        let mut points = Vec::new();
        for &(ts, rt) in &steps {
            // The sample an instant selector reads: the newest within the lookback, unless stale.
            let i = samples.partition_point(|&(t, _)| t <= rt);
            let Some(&(t, v)) = i.checked_sub(1).and_then(|k| samples.get(k)) else { continue };
            if t <= rt - LOOKBACK_MS || is_stale(v) {
                continue;
            }
            let start = starts.as_ref().map_or(0, |s| s[i - 1]);
            points.push((ts, start as f64 / 1000.0));
        }
        if !points.is_empty() {
            out.push(StepSeries { labels: store.labels(id).drop_name(ev.delayed_names), points });
        }
    }
    Ok(Value::Vector(out))
}

/// One window of `name` over samples `s` with their start times `st` (0 where none).
fn with_starts(name: &str, s: &[(i64, f64)], st: &[i64], w: &Window) -> Option<f64> {
    match name {
        "rate" | "increase" => extrapolated_rate(s, st, w, true, name == "rate"),
        "irate" => {
            let [.., (t0, v0), (t1, v1)] = *s else { return None };
            let [.., st0, st1] = *st else { return None };
            let dv = if v1 < v0 || is_reset(st0, t0, st1, t1) { v1 } else { v1 - v0 };
            let dt = (t1 - t0) as f64 / 1000.0;
            (dt != 0.0).then_some(dv / dt)
        }
        "resets" => Some(
            (1..s.len()).filter(|&i| s[i].1 < s[i - 1].1 || is_reset(st[i - 1], s[i - 1].0, st[i], s[i].0)).count()
                as f64,
        ),
        _ => None,
    }
}

/// Whether a sample at `t` with start time `st` restarted the count after the previous sample at
/// `prev_t` (start time `prev_st`), as Prometheus's `isStartTimestampReset` decides: no start time (0), one
/// not before the sample (OTel's unknown start) or one before the previous sample is no reset; one after
/// the previous sample is; one equal to it is a reset (a delta sample) only when the previous sample had a
/// start time of its own, not after it and not equal to its time (a cumulative series of unknown start).
pub(super) fn is_reset(prev_st: i64, prev_t: i64, st: i64, t: i64) -> bool {
    if st == 0 || st >= t || st < prev_t {
        return false;
    }
    if st > prev_t {
        return true;
    }
    prev_st != 0 && prev_st < prev_t
}

#[cfg(test)]
mod tests {
    use super::is_reset;

    #[test]
    fn start_times_tell_resets() {
        // A delta sample: its start is the previous sample's time, which had a start of its own.
        assert!(is_reset(60_000, 120_000, 120_000, 180_000));
        // A restart between the samples.
        assert!(is_reset(0, 60_000, 90_000, 120_000));
        // A cumulative series of unknown start (the previous start is unknown or equal to its time).
        assert!(!is_reset(0, 60_000, 60_000, 120_000));
        assert!(!is_reset(60_000, 60_000, 60_000, 120_000));
        // An invalid previous start (after its sample) is taken as unknown.
        assert!(!is_reset(120_000, 60_000, 60_000, 120_000));
        // No start, a start at or after the sample, or one before the previous sample.
        assert!(!is_reset(0, 60_000, 0, 120_000));
        assert!(!is_reset(0, 60_000, 120_000, 120_000));
        assert!(!is_reset(0, 60_000, 30_000, 120_000));
    }
}
