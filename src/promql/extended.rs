//! Prometheus's experimental extended range selectors, `anchored` and `smoothed` (marked on a selector by
//! [`super::prepass`]), evaluated as Prometheus's `extendedRate`, `pickFirstSampleIndices`, `extendFloats`
//! and `smoothSeries` do.
//!
//! - `anchored`: a range also reads the newest sample at or before its start (within the lookback), so
//!   `increase(x[1m] anchored)` is the change from that sample to the newest one, without extrapolation.
//!   Only `changes`, `delta`, `increase`, `rate` and `resets` take it.
//! - `smoothed`: the range's edges are values interpolated between the samples around them (reading up to a
//!   lookback past each edge); `x smoothed` interpolates an instant selector at each step. Only `delta`,
//!   `increase` and `rate` take a smoothed range.

use super::engine::{Evaluator, LOOKBACK_MS, RangeSource, StepSeries, Value};
use super::error::QueryError;
use super::prepass::ExtendedRange;
use promql_parser::parser::{MatrixSelector, Offset, VectorSelector};
use std::time::Duration;

/// The functions a range of each kind may be passed to, sorted as Prometheus lists them.
const ANCHORED_FUNCTIONS: &[&str] = &["changes", "delta", "increase", "rate", "resets"];
const SMOOTHED_FUNCTIONS: &[&str] = &["delta", "increase", "rate"];

/// The modifier on a range function's argument, if it is a marked range selector.
pub(super) fn mode_of(source: &RangeSource) -> Option<ExtendedRange> {
    match source {
        RangeSource::Selector { vs, .. } => ExtendedRange::of(&vs.matchers),
        RangeSource::Subquery(_) => None,
    }
}

/// `name(x[r] anchored)` or `name(x[r] smoothed)` at every step.
pub(super) fn range_call(
    ev: &mut Evaluator,
    name: &str,
    source: RangeSource,
    mode: ExtendedRange,
) -> Result<Value, QueryError> {
    let RangeSource::Selector { vs, range } = source else {
        return Err(QueryError::invalid(format!("the {} modifier is not supported for subqueries", mode.keyword())));
    };
    let allowed = match mode {
        ExtendedRange::Anchored => ANCHORED_FUNCTIONS,
        ExtendedRange::Smoothed => SMOOTHED_FUNCTIONS,
    };
    if !allowed.contains(&name) {
        return Err(QueryError::invalid(format!(
            "{} modifier can only be used with: {} - not with {name}",
            mode.keyword(),
            allowed.join(", ")
        )));
    }
    let range_ms = range.as_millis() as i64;
    let after = if mode == ExtendedRange::Smoothed { LOOKBACK_MS } else { 0 };
    let wide = widened(vs, after);
    let wide_range = Duration::from_millis((range_ms + LOOKBACK_MS + after) as u64);
    let smoothed = mode == ExtendedRange::Smoothed;
    let mut out = Vec::new();
    let delayed = ev.delayed_names;
    ev.for_each_range(
        RangeSource::Selector { vs: &wide, range: wide_range },
        &mut |windows, labels, samples, bounds| {
            let mut points = Vec::new();
            for (w, &(from, to)) in windows.iter().zip(bounds) {
                let f = &samples[from..to];
                if f.is_empty() {
                    continue;
                }
                let end = w.end - after;
                let start = end - range_ms;
                let value = match name {
                    "rate" => extended_rate(f, start, end, smoothed, true).map(|v| v / (range_ms as f64 / 1000.0)),
                    "increase" => extended_rate(f, start, end, smoothed, true),
                    "delta" => extended_rate(f, start, end, smoothed, false),
                    _ => anchored_count(name, f, start),
                };
                if let Some(v) = value {
                    points.push((w.ts, v));
                }
            }
            if !points.is_empty() {
                out.push(StepSeries { labels: labels.drop_name(delayed), points });
            }
        },
    )?;
    super::functions::merge_same_labels(out).map(Value::Vector)
}

/// `x smoothed`: at each step the value interpolated at the read time between the samples around it
/// (within the lookback on either side), the previous value when none follows yet.
pub(super) fn smoothed_selector(ev: &mut Evaluator, vs: &VectorSelector) -> Result<Value, QueryError> {
    let wide = widened(vs, LOOKBACK_MS);
    let range = Duration::from_millis(2 * LOOKBACK_MS as u64);
    let mut out = Vec::new();
    ev.for_each_range(RangeSource::Selector { vs: &wide, range }, &mut |windows, labels, samples, bounds| {
        let mut points = Vec::new();
        for (w, &(from, to)) in windows.iter().zip(bounds) {
            let f = &samples[from..to];
            let at = w.end - LOOKBACK_MS;
            let i = f.partition_point(|&(t, _)| t < at);
            let value = match (f.get(i), i.checked_sub(1).and_then(|p| f.get(p))) {
                (Some(&(t, v)), _) if t == at => v,
                (Some(&next), Some(&prev)) => interpolate(prev, next, at, false),
                (None, Some(&(_, v))) => v,
                _ => continue,
            };
            points.push((w.ts, value));
        }
        if !points.is_empty() {
            out.push(StepSeries { labels: labels.clone(), points });
        }
    })?;
    Ok(Value::Vector(out))
}

/// `x[r] anchored` or `x[r] smoothed` as a range vector (an instant query's result): the samples inside the
/// range between two boundary points at its start and end.
pub(super) fn matrix(ev: &mut Evaluator, ms: &MatrixSelector, mode: ExtendedRange) -> Result<Value, QueryError> {
    let smoothed = mode == ExtendedRange::Smoothed;
    let after = if smoothed { LOOKBACK_MS } else { 0 };
    let range_ms = ms.range.as_millis() as i64;
    let wide = widened(&ms.vs, after);
    let wide_range = Duration::from_millis((range_ms + LOOKBACK_MS + after) as u64);
    let mut out = Vec::new();
    ev.for_each_range(
        RangeSource::Selector { vs: &wide, range: wide_range },
        &mut |windows, labels, samples, bounds| {
            let (Some(w), Some(&(from, to))) = (windows.first(), bounds.first()) else { return };
            let end = w.end - after;
            if let Some(points) = extend(&samples[from..to], end - range_ms, end, smoothed) {
                out.push(StepSeries { labels: labels.clone(), points });
            }
        },
    )?;
    Ok(Value::Matrix(out))
}

/// The selector with its offset moved `later_ms` later, so a window reaching past the read time is read.
fn widened(vs: &VectorSelector, later_ms: i64) -> VectorSelector {
    let offset = match &vs.offset {
        None => 0,
        Some(Offset::Pos(d)) => d.as_millis() as i64,
        Some(Offset::Neg(d)) => -(d.as_millis() as i64),
    } - later_ms;
    let mut wide = vs.clone();
    wide.offset = match offset {
        0 => None,
        o if o > 0 => Some(Offset::Pos(Duration::from_millis(o as u64))),
        o => Some(Offset::Neg(Duration::from_millis(o.unsigned_abs()))),
    };
    wide
}

/// Prometheus's `extendedRate` without the division by the range: `f` holds the samples from a lookback
/// before `start` to `end` (and a lookback after it when smoothed).
fn extended_rate(f: &[(i64, f64)], start: i64, end: i64, smoothed: bool, counter: bool) -> Option<f64> {
    let mut last = f.len() - 1;
    let mut first = f[..last].partition_point(|&(t, _)| t <= start).saturating_sub(1);
    if smoothed {
        last = f[..last].partition_point(|&(t, _)| t < end);
    }
    if f[last].0 <= start || (smoothed && f[first].0 > end) {
        return None;
    }
    let left =
        if smoothed && f[first].0 < start { interpolate(f[first], f[first + 1], start, counter) } else { f[first].1 };
    let right = if smoothed && last > 0 && f[last].0 > end {
        interpolate(f[last - 1], f[last], end, counter)
    } else {
        f[last].1
    };
    let mut result = right - left;
    if counter {
        // Resets between the edges; the interpolated edges already account for a reset next to them.
        if f[first].0 <= start {
            first += 1;
        }
        let inner_end = if f[last].0 >= end { last } else { last + 1 };
        let mut prev = left;
        for &(_, v) in f.get(first..inner_end).unwrap_or(&[]) {
            if v < prev {
                result += prev;
            }
            prev = v;
        }
        if right < prev {
            result += prev;
        }
    }
    Some(result)
}

/// `changes` or `resets` of an anchored range: counted from the newest sample at or before the range's
/// start, if any sample follows it.
fn anchored_count(name: &str, f: &[(i64, f64)], start: i64) -> Option<f64> {
    let after = f.partition_point(|&(t, _)| t <= start);
    if after >= f.len() {
        return None;
    }
    let s = &f[after.saturating_sub(1)..];
    let count = if name == "changes" {
        s.windows(2).filter(|p| p[0].1 != p[1].1 && !(p[0].1.is_nan() && p[1].1.is_nan())).count()
    } else {
        s.windows(2).filter(|p| p[1].1 < p[0].1).count()
    };
    Some(count as f64)
}

/// Prometheus's `extendFloats`: the samples strictly inside `(start, end)` between a point at each edge.
fn extend(f: &[(i64, f64)], start: i64, end: i64, smoothed: bool) -> Option<Vec<(i64, f64)>> {
    if f.is_empty() {
        return None;
    }
    let mut last = f.len() - 1;
    let mut first = f[..last].partition_point(|&(t, _)| t <= start).saturating_sub(1);
    if smoothed {
        last = f[..last].partition_point(|&(t, _)| t < end);
    }
    if f[last].0 <= start {
        return None;
    }
    let left =
        if smoothed && f[first].0 < start { interpolate(f[first], f[first + 1], start, false) } else { f[first].1 };
    let right =
        if smoothed && last > 0 && f[last].0 > end { interpolate(f[last - 1], f[last], end, false) } else { f[last].1 };
    if f[first].0 <= start {
        first += 1;
    }
    let inner_end = if f[last].0 >= end { last } else { last + 1 };
    let mut points = vec![(start, left)];
    points.extend_from_slice(f.get(first..inner_end).unwrap_or(&[]));
    points.push((end, right));
    Some(points)
}

/// The value at `t` on the line between two samples; a counter that reset between them starts from 0.
fn interpolate(p1: (i64, f64), p2: (i64, f64), t: i64, counter: bool) -> f64 {
    let y1 = if counter && p2.1 < p1.1 { 0.0 } else { p1.1 };
    y1 + (p2.1 - y1) * (t - p1.0) as f64 / (p2.0 - p1.0) as f64
}

#[cfg(test)]
mod tests {
    use super::{extended_rate, interpolate};

    #[test]
    fn anchored_increase_reads_from_the_sample_before_the_window() {
        // Samples every 15 s: 1 2 3 4 5 9; window (50 s, 110 s].
        let f = [(0, 1.0), (15_000, 2.0), (30_000, 3.0), (45_000, 4.0), (60_000, 5.0), (75_000, 9.0)];
        assert_eq!(extended_rate(&f, 50_000, 110_000, false, true), Some(5.0));
    }

    #[test]
    fn a_counter_reset_is_added_back() {
        let f = [(0, 5.0), (10_000, 8.0), (20_000, 2.0), (30_000, 4.0)];
        // 8 -> 2 is a reset: 4 - 5 + 8.
        assert_eq!(extended_rate(&f, 0, 30_000, false, true), Some(7.0));
        assert_eq!(extended_rate(&f, 0, 30_000, false, false), Some(-1.0));
    }

    #[test]
    fn smoothed_edges_are_interpolated() {
        let f = [(0, 0.0), (10_000, 10.0), (20_000, 20.0), (30_000, 30.0)];
        // Window (5 s, 25 s]: 5 at the start, 25 at the end.
        assert_eq!(extended_rate(&f, 5_000, 25_000, true, true), Some(20.0));
        assert_eq!(interpolate((0, 10.0), (10_000, 4.0), 5_000, true), 2.0);
    }
}
