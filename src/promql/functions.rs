//! The function table: every PromQL function the engine evaluates, keyed by name with its argument shape,
//! and the implementations. Completion and the "supported" list in error messages read [`FUNCTIONS`], so
//! they cannot drift from what the evaluator does.

use super::aggregation::{kahan_sum, variance};
use super::engine::{Evaluator, RangeSource, StepArg, StepSeries, Value, Window, range_source, unparen};
use super::error::{QueryError, QueryErrorKind};
use super::value::{Labels, METRIC_NAME};
use promql_parser::parser::Expr;
use std::collections::BTreeMap;

/// How a function reads its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FunctionKind {
    /// Reads a range vector (`f(x[5m])`), one value per series per step.
    Range,
    /// Reads instant vectors or scalars per step.
    Instant,
}

/// One function of the table.
#[derive(Clone, Copy, Debug)]
pub struct Function {
    /// Name as typed.
    pub name: &'static str,
    /// How it reads its input.
    pub kind: FunctionKind,
}

const fn range(name: &'static str) -> Function {
    Function { name, kind: FunctionKind::Range }
}

const fn instant(name: &'static str) -> Function {
    Function { name, kind: FunctionKind::Instant }
}

/// Every function the evaluator knows, sorted by name.
pub const FUNCTIONS: &[Function] = &[
    instant("abs"),
    instant("absent"),
    range("absent_over_time"),
    instant("acos"),
    instant("acosh"),
    instant("asin"),
    instant("asinh"),
    instant("atan"),
    instant("atanh"),
    range("avg_over_time"),
    instant("ceil"),
    range("changes"),
    instant("clamp"),
    instant("clamp_max"),
    instant("clamp_min"),
    instant("cos"),
    instant("cosh"),
    range("count_over_time"),
    instant("day_of_month"),
    instant("day_of_week"),
    instant("day_of_year"),
    instant("days_in_month"),
    instant("deg"),
    range("delta"),
    range("deriv"),
    range("double_exponential_smoothing"),
    instant("end"),
    instant("exp"),
    range("first_over_time"),
    instant("floor"),
    instant("histogram_fraction"),
    instant("histogram_quantile"),
    instant("histogram_quantiles"),
    instant("hour"),
    range("idelta"),
    range("increase"),
    instant("info"),
    range("irate"),
    instant("label_join"),
    instant("label_replace"),
    range("last_over_time"),
    instant("ln"),
    instant("log10"),
    instant("log2"),
    range("mad_over_time"),
    instant("max_of"),
    range("max_over_time"),
    instant("min_of"),
    range("min_over_time"),
    instant("minute"),
    instant("month"),
    instant("pi"),
    range("predict_linear"),
    range("present_over_time"),
    range("quantile_over_time"),
    instant("rad"),
    instant("range"),
    range("rate"),
    range("resets"),
    instant("round"),
    instant("scalar"),
    instant("sgn"),
    instant("sin"),
    instant("sinh"),
    instant("sort"),
    instant("sort_by_label"),
    instant("sort_by_label_desc"),
    instant("sort_desc"),
    instant("sqrt"),
    instant("start"),
    instant("start_timestamp"),
    range("stddev_over_time"),
    range("stdvar_over_time"),
    instant("step"),
    range("sum_over_time"),
    instant("tan"),
    instant("tanh"),
    instant("time"),
    instant("timestamp"),
    range("ts_of_first_over_time"),
    range("ts_of_last_over_time"),
    range("ts_of_max_over_time"),
    range("ts_of_min_over_time"),
    instant("vector"),
    instant("year"),
];

/// Aggregation operators the evaluator knows.
pub const AGGREGATIONS: &[&str] = &[
    "avg",
    "bottomk",
    "count",
    "count_values",
    "group",
    "limit_ratio",
    "limitk",
    "max",
    "min",
    "quantile",
    "stddev",
    "stdvar",
    "sum",
    "topk",
];

/// Keywords worth completing inside a query.
pub const KEYWORDS: &[&str] =
    &["and", "bool", "by", "group_left", "group_right", "ignoring", "offset", "on", "or", "unless", "without"];

/// The table entry for `name`.
pub fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// "abs, absent, …": the functions for a "supported:" message.
pub fn supported() -> String {
    FUNCTIONS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
}

/// Evaluates a call over all steps.
pub(super) fn call(ev: &mut Evaluator, name: &str, args: &[Box<Expr>]) -> Result<Value, QueryError> {
    let Some(function) = lookup(name) else {
        return Err(QueryError::new(QueryErrorKind::UnknownFunction {
            name: name.to_string(),
            supported: supported(),
        }));
    };
    match function.kind {
        FunctionKind::Range => range_call(ev, name, args),
        FunctionKind::Instant => instant_call(ev, name, args),
    }
}

fn range_call(ev: &mut Evaluator, name: &str, args: &[Box<Expr>]) -> Result<Value, QueryError> {
    let matrix_at = if matches!(name, "quantile_over_time") { 1 } else { 0 };
    let Some(source) = args.get(matrix_at).and_then(|a| range_source(a)) else {
        return Err(QueryError::invalid(format!("`{name}` takes a range vector such as `x[5m]`")));
    };
    if let Some(mode) = super::extended::mode_of(&source) {
        return super::extended::range_call(ev, name, source, mode);
    }
    if name == "double_exponential_smoothing" {
        return super::over_time::double_exponential_smoothing(ev, source, args);
    }
    // Scalar arguments, one value per step.
    let mut scalars: Vec<Vec<f64>> = Vec::new();
    for (i, a) in args.iter().enumerate() {
        if i == matrix_at {
            continue;
        }
        match ev.eval(a)? {
            Value::Scalar(v) => scalars.push(v),
            _ => return Err(QueryError::invalid(format!("`{name}` needs a number as argument {}", i + 1))),
        }
    }
    if name == "absent_over_time" {
        return absent_over_time(ev, source, args);
    }
    if let Some(value) = super::start_times::range_call(ev, name, &source)? {
        return Ok(value);
    }
    let keep_name = matches!(name, "last_over_time" | "first_over_time");
    let delayed = ev.delayed_names;
    let results = ev.map_range(source, |windows, labels, samples, bounds| {
        let mut points = Vec::with_capacity(windows.len());
        for (k, (w, &(from, to))) in windows.iter().zip(bounds).enumerate() {
            if from >= to {
                continue;
            }
            let arg = scalars.first().map_or(f64::NAN, |s| s[k]);
            if let Some(v) = range_function(name, &samples[from..to], w, arg)? {
                points.push((w.ts, v));
            }
        }
        // The name, or `None` when the series also has `__type__` or `__unit__` (dropped with it).
        let described = labels.pairs().iter().any(|(n, _)| matches!(&**n, "__type__" | "__unit__"));
        let metric = labels.pairs().iter().find(|(n, _)| &**n == super::value::METRIC_NAME).map(|(_, v)| v.clone());
        let metric = if described { Err(()) } else { Ok(metric) };
        let series = (!points.is_empty())
            .then(|| StepSeries { labels: if keep_name { labels.clone() } else { labels.drop_name(delayed) }, points });
        Ok::<_, QueryError>((series, metric))
    })?;
    let mut out = Vec::with_capacity(results.len());
    // Dropping the name can make two series' labels equal only when their names (or types and units) differ.
    let (mut first_name, mut one_name) = (None, true);
    for r in results {
        let (series, metric) = r?;
        match (&first_name, metric) {
            (_, Err(())) => one_name = false,
            (None, Ok(m)) => first_name = Some(m),
            (Some(a), Ok(b)) => one_name &= a.as_deref() == b.as_deref(),
        }
        out.extend(series);
    }
    if keep_name || one_name {
        return Ok(Value::Vector(out));
    }
    merge_same_labels(out).map(Value::Vector)
}

/// Series whose labels became equal (by dropping the name) may not overlap in time.
pub(super) fn merge_same_labels(series: Vec<StepSeries>) -> Result<Vec<StepSeries>, QueryError> {
    let mut index: BTreeMap<Labels, usize> = BTreeMap::new();
    let mut out: Vec<StepSeries> = Vec::with_capacity(series.len());
    for s in series {
        match index.get(&s.labels) {
            None => {
                index.insert(s.labels.clone(), out.len());
                out.push(s);
            }
            Some(&i) => {
                let mut merged = std::mem::take(&mut out[i].points);
                merged.extend(s.points);
                merged.sort_by_key(|p| p.0);
                if merged.windows(2).any(|w| w[0].0 == w[1].0) {
                    return Err(QueryError::invalid("vector cannot contain metrics with the same labelset"));
                }
                out[i].points = merged;
            }
        }
    }
    Ok(out)
}

/// One range function over the samples of one window (never empty).
pub(super) fn range_function(name: &str, s: &[(i64, f64)], w: &Window, arg: f64) -> Result<Option<f64>, QueryError> {
    let values = || s.iter().map(|&(_, v)| v);
    let n = s.len() as f64;
    Ok(Some(match name {
        "rate" => return Ok(extrapolated_rate(s, &[], w, true, true)),
        "increase" => return Ok(extrapolated_rate(s, &[], w, true, false)),
        "delta" => return Ok(extrapolated_rate(s, &[], w, false, false)),
        "irate" | "idelta" => {
            if s.len() < 2 {
                return Ok(None);
            }
            let (t0, v0) = s[s.len() - 2];
            let (t1, v1) = s[s.len() - 1];
            let dv = if name == "irate" && v1 < v0 { v1 } else { v1 - v0 };
            if name == "idelta" {
                dv
            } else {
                let dt = (t1 - t0) as f64 / 1000.0;
                if dt == 0.0 {
                    return Ok(None);
                }
                dv / dt
            }
        }
        "deriv" => {
            if s.len() < 2 {
                return Ok(None);
            }
            linear_regression(s, s[0].0).0
        }
        "predict_linear" => {
            if s.len() < 2 {
                return Ok(None);
            }
            // Prometheus takes the intercept at the evaluation time, not at the window's (offset or `@`) end.
            let (slope, intercept) = linear_regression(s, w.ts);
            intercept + slope * arg
        }
        "avg_over_time" => super::over_time::avg(s),
        "sum_over_time" => kahan_sum(values()),
        "count_over_time" => n,
        "present_over_time" => 1.0,
        "last_over_time" => s[s.len() - 1].1,
        "first_over_time" => s[0].1,
        n if n.starts_with("ts_of_") => return Ok(super::over_time::ts_of(n, s)),
        "min_over_time" => values().fold(f64::NAN, |m, v| if m.is_nan() || v < m { v } else { m }),
        "max_over_time" => values().fold(f64::NAN, |m, v| if m.is_nan() || v > m { v } else { m }),
        "stddev_over_time" => variance(values()).sqrt(),
        "stdvar_over_time" => variance(values()),
        "quantile_over_time" => quantile(arg, values().collect()),
        "mad_over_time" => {
            // A NaN makes the median, and so the deviation, undefined.
            if values().any(f64::is_nan) {
                return Ok(Some(f64::NAN));
            }
            let median = quantile(0.5, values().collect());
            quantile(0.5, values().map(|v| (v - median).abs()).collect())
        }
        "changes" => s.windows(2).filter(|p| p[0].1 != p[1].1 && !(p[0].1.is_nan() && p[1].1.is_nan())).count() as f64,
        "resets" => s.windows(2).filter(|p| p[1].1 < p[0].1).count() as f64,
        _ => return Err(QueryError::unsupported(format!("function `{name}` is not supported"))),
    }))
}

/// `rate`, `increase` and `delta` as Prometheus computes them: the change across the window, with counter
/// resets added back for counters, extrapolated towards the window's edges. `starts` are the samples'
/// start timestamps (empty, or 0 where a sample has none): for counters a start after the previous sample
/// is a reset too, and a first sample whose start lies inside the window counts from zero at its start
/// instead of extrapolating towards the window's start (so one such sample is enough).
pub(super) fn extrapolated_rate(
    s: &[(i64, f64)],
    starts: &[i64],
    w: &Window,
    counter: bool,
    rate: bool,
) -> Option<f64> {
    let starts = if counter { starts } else { &[] };
    let mut change = s.last()?.1 - s[0].1;
    if counter {
        for (i, p) in s.windows(2).enumerate() {
            let restarted =
                starts.len() > i + 1 && super::start_times::is_reset(starts[i], p[0].0, starts[i + 1], p[1].0);
            if p[1].1 < p[0].1 || restarted {
                change += p[0].1;
            }
        }
    }
    extrapolate(s, starts, w, change, counter, rate)
}

/// The `change` across the samples `s` (not empty) of window `w`, extrapolated towards the window's edges as
/// [`extrapolated_rate`] does, and per second with `rate`.
pub(super) fn extrapolate(
    s: &[(i64, f64)],
    starts: &[i64],
    w: &Window,
    change: f64,
    counter: bool,
    rate: bool,
) -> Option<f64> {
    let (first_t, first_v) = s[0];
    let last_t = s[s.len() - 1].0;
    let mut result = change;
    let mut to_start = (first_t - w.start) as f64 / 1000.0;
    let mut to_end = (w.end - last_t) as f64 / 1000.0;
    let mut sampled = (last_t - first_t) as f64 / 1000.0;
    let average = if s.len() > 1 { sampled / (s.len() - 1) as f64 } else { 0.0 };
    let threshold = average * 1.1;
    match starts.first() {
        Some(&st) if st != 0 && st > w.start && st < first_t => {
            // Zero at the first sample's start, which lies inside the window.
            to_start = 0.0;
            sampled = (last_t - st) as f64 / 1000.0;
            result += first_v;
        }
        _ if s.len() < 2 => return None,
        _ => {
            if to_start >= threshold {
                to_start = average / 2.0;
            }
            if counter && result > 0.0 && first_v >= 0.0 {
                // A counter starts at zero: do not extrapolate to before that.
                let to_zero = sampled * (first_v / result);
                if to_zero < to_start {
                    to_start = to_zero;
                }
            }
        }
    }
    if to_end >= threshold {
        to_end = average / 2.0;
    }
    let factor = if sampled != 0.0 { (sampled + to_start + to_end) / sampled } else { 1.0 };
    result *= factor;
    if rate {
        result /= (w.end - w.start) as f64 / 1000.0;
    }
    Some(result)
}

/// Slope and intercept (at `intercept_t`) of the least-squares line through the samples.
fn linear_regression(s: &[(i64, f64)], intercept_t: i64) -> (f64, f64) {
    let (mut n, mut sum_x, mut sum_y, mut sum_xy, mut sum_x2) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut cx, mut cy, mut cxy, mut cx2) = (0.0, 0.0, 0.0, 0.0);
    let mut const_y = true;
    let first_y = s[0].1;
    for &(t, y) in s {
        if const_y && y != first_y {
            const_y = false;
        }
        n += 1.0;
        let x = (t - intercept_t) as f64 / 1000.0;
        (sum_x, cx) = kahan_add(x, sum_x, cx);
        (sum_y, cy) = kahan_add(y, sum_y, cy);
        (sum_xy, cxy) = kahan_add(x * y, sum_xy, cxy);
        (sum_x2, cx2) = kahan_add(x * x, sum_x2, cx2);
    }
    if const_y {
        if first_y.is_infinite() {
            return (f64::NAN, f64::NAN);
        }
        return (0.0, first_y);
    }
    let (sum_x, sum_y, sum_xy, sum_x2) = (sum_x + cx, sum_y + cy, sum_xy + cxy, sum_x2 + cx2);
    let cov = sum_xy - sum_x * sum_y / n;
    let var = sum_x2 - sum_x * sum_x / n;
    let slope = cov / var;
    let intercept = sum_y / n - slope * sum_x / n;
    (slope, intercept)
}

/// One step of Kahan-Neumaier summation: the new sum and compensation.
pub(super) fn kahan_add(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    let t = sum + inc;
    let c = if t.is_infinite() {
        0.0
    } else if sum.abs() >= inc.abs() {
        c + ((sum - t) + inc)
    } else {
        c + ((inc - t) + sum)
    };
    (t, c)
}

/// The φ-quantile of `values` by linear interpolation, as Prometheus's `quantile`.
pub(super) fn quantile(q: f64, mut values: Vec<f64>) -> f64 {
    if values.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    // Go sorts NaN first; keep that order so results agree.
    let nans: Vec<f64> = values.iter().copied().filter(|v| v.is_nan()).collect();
    values.retain(|v| !v.is_nan());
    let mut values: Vec<f64> = nans.into_iter().chain(values).collect();
    let n = values.len() as f64;
    let rank = q * (n - 1.0);
    let lower = rank.floor().max(0.0) as usize;
    let upper = (lower + 1).min(values.len() - 1);
    let weight = rank - rank.floor();
    let (a, b) = (values[lower], values[upper]);
    values.clear();
    a * (1.0 - weight) + b * weight
}

fn absent_over_time(ev: &mut Evaluator, source: RangeSource, args: &[Box<Expr>]) -> Result<Value, QueryError> {
    let steps: Vec<i64> = ev.steps().collect();
    let mut present = vec![false; steps.len()];
    ev.for_each_range(source, &mut |_, _, _, bounds| {
        for (p, &(from, to)) in present.iter_mut().zip(bounds) {
            *p |= from < to;
        }
    })?;
    let labels = absent_labels(&args[0]);
    let points: Vec<(i64, f64)> = steps.into_iter().zip(present).filter(|(_, p)| !p).map(|(t, _)| (t, 1.0)).collect();
    Ok(Value::Vector(if points.is_empty() { Vec::new() } else { vec![StepSeries { labels, points }] }))
}

/// The labels `absent` reports: the selector's equality matchers, unless a name appears twice.
fn absent_labels(expr: &Expr) -> Labels {
    let vs = match expr {
        Expr::VectorSelector(vs) => vs,
        Expr::MatrixSelector(ms) => &ms.vs,
        Expr::Paren(p) => return absent_labels(&p.expr),
        _ => return Labels::default(),
    };
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    let mut repeated: Vec<&str> = Vec::new();
    for m in &vs.matchers.matchers {
        if m.name == METRIC_NAME {
            continue;
        }
        if pairs.iter().any(|(n, _)| *n == m.name) || repeated.contains(&m.name.as_str()) {
            repeated.push(&m.name);
            continue;
        }
        if matches!(m.op, promql_parser::label::MatchOp::Equal) {
            pairs.push((&m.name, &m.value));
        } else {
            repeated.push(&m.name);
        }
    }
    Labels::new(pairs.into_iter().filter(|(n, _)| !repeated.contains(n)))
}

fn instant_call(ev: &mut Evaluator, name: &str, args: &[Box<Expr>]) -> Result<Value, QueryError> {
    match name {
        "time" => return Ok(Value::Scalar(ev.steps().map(|t| t as f64 / 1000.0).collect())),
        "info" => return super::info::info(ev, args),
        "histogram_fraction" => return super::buckets::histogram_fraction(ev, args),
        "histogram_quantiles" => return super::buckets::histogram_quantiles(ev, args),
        "histogram_quantile" => {
            if let Some(value) = super::fused::histogram_quantile(ev, args) {
                return value;
            }
        }
        "pi" => return Ok(Value::Scalar(vec![std::f64::consts::PI; ev.step_count()])),
        // The query's own shape: its step (0 for an instant query), its range, its start and end.
        "step" | "range" | "start" | "end" => {
            let (start, end) = ev.query_range();
            let v = match name {
                "step" if start == end => 0.0,
                "step" => ev.interval as f64 / 1000.0,
                "range" => (end - start) as f64 / 1000.0,
                "start" => start as f64 / 1000.0,
                _ => end as f64 / 1000.0,
            };
            return Ok(Value::Scalar(vec![v; ev.step_count()]));
        }
        "min_of" | "max_of" => {
            let mut values = Vec::with_capacity(args.len());
            for a in args {
                match ev.eval(a)? {
                    Value::Scalar(v) => values.push(v),
                    _ => return Err(QueryError::invalid(format!("`{name}` takes numbers"))),
                }
            }
            let pick = if name == "min_of" { go_min } else { go_max };
            let out =
                (0..ev.step_count()).map(|k| values.iter().map(|v| v[k]).reduce(pick).unwrap_or(f64::NAN)).collect();
            return Ok(Value::Scalar(out));
        }
        "timestamp" => {
            if let Some(Expr::VectorSelector(vs)) = args.first().map(|a| unparen(a)) {
                let series = ev.vector_selector(vs, true)?;
                return Ok(Value::Vector(
                    series
                        .into_iter()
                        .map(|s| StepSeries { labels: s.labels.drop_name(ev.delayed_names), points: s.points })
                        .collect(),
                ));
            }
        }
        "label_replace" | "label_join" => return label_function(ev, name, args),
        "start_timestamp" => return super::start_times::start_timestamp(ev, args),
        _ => {}
    }
    let mut values = Vec::with_capacity(args.len());
    for a in args {
        values.push(ev.eval(a)?);
    }
    let absent = if name == "absent" { Some(absent_labels(&args[0])) } else { None };
    if values.is_empty() && is_date_function(name) {
        // `hour()` reads `vector(time())`.
        let now: Vec<StepSeries> = vec![StepSeries {
            labels: Labels::default(),
            points: ev.steps().map(|t| (t, t as f64 / 1000.0)).collect(),
        }];
        values.push(Value::Vector(now));
    }
    if name == "scalar" {
        let steps: Vec<i64> = ev.steps().collect();
        let mut out = vec![f64::NAN; steps.len()];
        let series = ev.step_eval(&values, |args, _| {
            let StepArg::Vector(v) = &args[0] else { return Ok(Vec::new()) };
            Ok(if v.len() == 1 { vec![(Labels::default(), v[0].1)] } else { Vec::new() })
        })?;
        if let Some(s) = series.first() {
            for &(t, v) in &s.points {
                out[((t - ev.start) / ev.interval) as usize] = v;
            }
        }
        return Ok(Value::Scalar(out));
    }
    if name == "histogram_quantile"
        && let [Value::Scalar(q), Value::Vector(_)] = values.as_mut_slice()
    {
        let q = std::mem::take(q);
        let Some(Value::Vector(buckets)) = values.pop() else { return Ok(Value::Vector(Vec::new())) };
        return Ok(Value::Vector(histogram_quantile_series(ev, &q, buckets)));
    }
    let delayed = ev.delayed_names;
    let series = ev.step_eval(&values, |args, ts| step_function(name, args, ts, delayed, absent.as_ref()))?;
    Ok(Value::Vector(series))
}

/// The labels a bucket's histogram is not told apart by: the name, with its type and unit, and `le`.
pub(super) const NOT_HISTOGRAM: [&str; 4] = [METRIC_NAME, "__type__", "__unit__", "le"];

/// `histogram_quantile` series by series: each bucket series' group and `le` are read once, not at every
/// step; each group's buckets at a step are gathered in series order, as the per-step form gathers them.
fn histogram_quantile_series(ev: &Evaluator, q: &[f64], input: Vec<StepSeries>) -> Vec<StepSeries> {
    let steps: Vec<i64> = ev.steps().collect();
    // A bucket's group: its labels but the name (with its type and unit) and `le`, compared in place.
    let group_cmp = |a: usize, b: usize| input[a].labels.cmp_ignoring(&input[b].labels, &NOT_HISTOGRAM);
    let mut keyed: Vec<(f64, usize)> =
        input.iter().enumerate().filter_map(|(i, s)| Some((parse_le(s.labels.get("le"))?, i))).collect();
    // Buckets keep series order within their group.
    keyed.sort_unstable_by(|a, b| group_cmp(a.1, b.1).then(a.1.cmp(&b.1)));
    let groups: Vec<&[(f64, usize)]> = keyed.chunk_by(|a, b| group_cmp(a.1, b.1).is_eq()).collect();
    let ignored: Vec<String> = NOT_HISTOGRAM.iter().map(|s| s.to_string()).collect();
    super::engine::par_parts(&groups, |part| {
        let mut at_step: Vec<Vec<(f64, f64)>> = vec![Vec::new(); steps.len()];
        let mut out = Vec::with_capacity(part.len());
        for group in part {
            for buckets in &mut at_step {
                buckets.clear();
            }
            for (le, i) in *group {
                for &(ts, v) in &input[*i].points {
                    at_step[((ts - ev.start) / ev.interval) as usize].push((*le, v));
                }
            }
            let points = at_step
                .iter_mut()
                .enumerate()
                .filter(|(_, b)| !b.is_empty())
                .map(|(k, b)| (steps[k], bucket_quantile(q[k], b)))
                .collect();
            out.push(StepSeries { labels: input[group[0].1].labels.remove(&ignored), points });
        }
        out
    })
}

fn is_date_function(name: &str) -> bool {
    matches!(
        name,
        "minute" | "hour" | "day_of_week" | "day_of_month" | "day_of_year" | "days_in_month" | "month" | "year"
    )
}

/// An instant function at one step.
fn step_function(
    name: &str,
    args: &[StepArg],
    _ts: i64,
    delayed: bool,
    absent: Option<&Labels>,
) -> Result<Vec<(Labels, f64)>, QueryError> {
    let scalar = |k: usize| match args.get(k) {
        Some(StepArg::Scalar(v)) => *v,
        _ => f64::NAN,
    };
    let strings = || -> Vec<&str> {
        args.iter()
            .skip(1)
            .filter_map(|a| match a {
                StepArg::String(s) => Some(*s),
                _ => None,
            })
            .collect()
    };
    let input: &[(&Labels, f64)] = match args.first() {
        Some(StepArg::Vector(v)) => v,
        Some(StepArg::Scalar(v)) if name == "vector" => return Ok(vec![(Labels::default(), *v)]),
        _ => &[],
    };
    let map = |f: &dyn Fn(f64) -> f64| -> Vec<(Labels, f64)> {
        input.iter().map(|&(l, v)| (l.drop_name(delayed), f(v))).collect()
    };
    Ok(match name {
        "absent" => {
            if input.is_empty() {
                vec![(absent.cloned().unwrap_or_default(), 1.0)]
            } else {
                Vec::new()
            }
        }
        "abs" => map(&f64::abs),
        "ceil" => map(&f64::ceil),
        "floor" => map(&f64::floor),
        "exp" => map(&f64::exp),
        "sqrt" => map(&f64::sqrt),
        "ln" => map(&f64::ln),
        "log2" => map(&f64::log2),
        "log10" => map(&f64::log10),
        "sin" => map(&f64::sin),
        "cos" => map(&f64::cos),
        "tan" => map(&f64::tan),
        "asin" => map(&f64::asin),
        "acos" => map(&f64::acos),
        "atan" => map(&f64::atan),
        "sinh" => map(&f64::sinh),
        "cosh" => map(&f64::cosh),
        "tanh" => map(&f64::tanh),
        "asinh" => map(&f64::asinh),
        "acosh" => map(&f64::acosh),
        "atanh" => map(&f64::atanh),
        "deg" => map(&|v| v * 180.0 / std::f64::consts::PI),
        "rad" => map(&|v| v * std::f64::consts::PI / 180.0),
        "sgn" => map(&|v| {
            if v > 0.0 {
                1.0
            } else if v < 0.0 {
                -1.0
            } else {
                v
            }
        }),
        "round" => {
            let to = if args.len() > 1 { scalar(1) } else { 1.0 };
            let inverse = 1.0 / to;
            map(&|v| (v * inverse + 0.5).floor() / inverse)
        }
        "clamp" => {
            let (lo, hi) = (scalar(1), scalar(2));
            if hi < lo { Vec::new() } else { map(&|v| go_max(lo, go_min(hi, v))) }
        }
        "clamp_min" => {
            let lo = scalar(1);
            map(&|v| go_max(lo, v))
        }
        "clamp_max" => {
            let hi = scalar(1);
            map(&|v| go_min(hi, v))
        }
        "timestamp" => map(&|_| _ts as f64 / 1000.0),
        "sort" | "sort_desc" => {
            let mut out: Vec<(Labels, f64)> = input.iter().map(|&(l, v)| (l.clone(), v)).collect();
            out.sort_by(|a, b| match (a.1.is_nan(), b.1.is_nan()) {
                (true, true) => std::cmp::Ordering::Equal,
                (true, false) => std::cmp::Ordering::Greater,
                (false, true) => std::cmp::Ordering::Less,
                _ if name == "sort" => a.1.total_cmp(&b.1),
                _ => b.1.total_cmp(&a.1),
            });
            out
        }
        "sort_by_label" | "sort_by_label_desc" => {
            let names = strings();
            let mut out: Vec<(Labels, f64)> = input.iter().map(|&(l, v)| (l.clone(), v)).collect();
            out.sort_by(|a, b| {
                let mut order = std::cmp::Ordering::Equal;
                for n in &names {
                    order = natural_cmp(a.0.get(n), b.0.get(n));
                    if order.is_ne() {
                        break;
                    }
                }
                let order = if order.is_eq() { a.0.cmp(&b.0) } else { order };
                if name == "sort_by_label" { order } else { order.reverse() }
            });
            out
        }
        "histogram_quantile" => histogram_quantile(scalar(0), args),
        n if is_date_function(n) => {
            let mut out = Vec::with_capacity(input.len());
            for &(l, v) in input {
                if v.is_nan() || v.is_infinite() {
                    out.push((l.drop_name(delayed), f64::NAN));
                    continue;
                }
                out.push((l.drop_name(delayed), date_part(n, v)));
            }
            out
        }
        _ => return Err(QueryError::unsupported(format!("function `{name}` is not supported"))),
    })
}

fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() { f64::NAN } else { a.max(b) }
}

fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() { f64::NAN } else { a.min(b) }
}

/// Compares strings with digit runs as numbers ("a2" < "a10").
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    while !x.is_empty() && !y.is_empty() {
        if x[0].is_ascii_digit() && y[0].is_ascii_digit() {
            let dx = x.iter().take_while(|c| c.is_ascii_digit()).count();
            let dy = y.iter().take_while(|c| c.is_ascii_digit()).count();
            let (nx, ny) = (trim_zeros(&x[..dx]), trim_zeros(&y[..dy]));
            let order = nx.len().cmp(&ny.len()).then(nx.cmp(ny));
            if order.is_ne() {
                return order;
            }
            x = &x[dx..];
            y = &y[dy..];
        } else {
            if x[0] != y[0] {
                return x[0].cmp(&y[0]);
            }
            x = &x[1..];
            y = &y[1..];
        }
    }
    x.len().cmp(&y.len())
}

fn trim_zeros(d: &[u8]) -> &[u8] {
    let zeros = d.iter().take_while(|&&c| c == b'0').count();
    &d[zeros..]
}

/// `histogram_quantile(φ, buckets)` over classic `le` buckets, grouped by all other labels.
fn histogram_quantile(q: f64, args: &[StepArg]) -> Vec<(Labels, f64)> {
    let Some(StepArg::Vector(input)) = args.get(1) else { return Vec::new() };
    let mut groups: BTreeMap<Labels, Vec<(f64, f64)>> = BTreeMap::new();
    for &(labels, v) in input {
        let Some(le) = parse_le(labels.get("le")) else { continue };
        groups.entry(labels.remove(&["le".to_string()]).without_name()).or_default().push((le, v));
    }
    groups.into_iter().map(|(labels, mut buckets)| (labels, bucket_quantile(q, &mut buckets))).collect()
}

pub(super) fn parse_le(le: &str) -> Option<f64> {
    match le {
        "" => None,
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        _ => le.parse().ok(),
    }
}

/// Prometheus's `bucketQuantile`: linear interpolation inside the bucket holding the rank. Sorts and
/// coalesces `buckets` in place.
pub(super) fn bucket_quantile(q: f64, buckets: &mut Vec<(f64, f64)>) -> f64 {
    if q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    if buckets.last().is_none_or(|b| b.0 != f64::INFINITY) {
        return f64::NAN;
    }
    // Coalesce equal bounds.
    buckets.dedup_by(|b, last| {
        let same = last.0 == b.0;
        if same {
            last.1 += b.1;
        }
        same
    });
    // Force monotonic counts, ignoring tiny float differences.
    let mut prev = buckets[0].1;
    for b in buckets.iter_mut().skip(1) {
        let curr = b.1;
        if curr == prev {
            continue;
        }
        if almost_equal(prev, curr, 1e-12) || curr < prev {
            b.1 = prev;
            continue;
        }
        prev = curr;
    }
    if buckets.len() < 2 {
        return f64::NAN;
    }
    let observations = buckets[buckets.len() - 1].1;
    if observations == 0.0 {
        return f64::NAN;
    }
    let mut rank = q * observations;
    let b = buckets[..buckets.len() - 1].partition_point(|x| x.1 < rank);
    if b == buckets.len() - 1 {
        return buckets[buckets.len() - 2].0;
    }
    if b == 0 && buckets[0].0 <= 0.0 {
        return buckets[0].0;
    }
    let (mut start, end, mut count) = (0.0, buckets[b].0, buckets[b].1);
    if b > 0 {
        start = buckets[b - 1].0;
        count -= buckets[b - 1].1;
        rank -= buckets[b - 1].1;
    }
    start + (end - start) * (rank / count)
}

fn almost_equal(a: f64, b: f64, epsilon: f64) -> bool {
    if a == b {
        return true;
    }
    let diff = (a - b).abs();
    let norm = (a.abs() + b.abs()).min(f64::MAX);
    diff < epsilon * norm.max(f64::MIN_POSITIVE)
}

/// `label_replace(v, dst, replacement, src, regex)` and `label_join(v, dst, separator, src...)`.
fn label_function(ev: &mut Evaluator, name: &str, args: &[Box<Expr>]) -> Result<Value, QueryError> {
    let strings: Vec<String> = args[1..]
        .iter()
        .map(|a| match unparen(a) {
            Expr::StringLiteral(s) => Ok(s.val.clone()),
            _ => Err(QueryError::invalid(format!("`{name}` takes string arguments after the vector"))),
        })
        .collect::<Result<_, _>>()?;
    let Value::Vector(series) = ev.eval(&args[0])? else {
        return Err(QueryError::invalid(format!("`{name}` takes an instant vector")));
    };
    let dst = strings[0].clone();
    if dst.is_empty() {
        return Err(QueryError::invalid(format!("invalid destination label name in {name}(): {dst}")));
    }
    let relabel: Box<dyn Fn(&Labels) -> Labels> = if name == "label_replace" {
        let (replacement, src, pattern) = (strings[1].clone(), strings[2].clone(), &strings[3]);
        let regex = regex::Regex::new(&format!("^(?s:{pattern})$"))
            .map_err(|_| QueryError::invalid(format!("invalid regular expression in label_replace(): {pattern}")))?;
        Box::new(move |labels: &Labels| match regex.captures(labels.get(&src)) {
            Some(caps) => {
                let mut value = String::new();
                caps.expand(&replacement, &mut value);
                // Writing the name keeps it, though an earlier operation marked it to go.
                let labels = if dst == METRIC_NAME { labels.keep_name() } else { labels.clone() };
                labels.with(&dst, &value)
            }
            None => labels.clone(),
        })
    } else {
        let (separator, sources) = (strings[1].clone(), strings[2..].to_vec());
        Box::new(move |labels: &Labels| {
            let joined: Vec<&str> = sources.iter().map(|s| labels.get(s)).collect();
            let labels = if dst == METRIC_NAME { labels.keep_name() } else { labels.clone() };
            labels.with(&dst, &joined.join(&separator))
        })
    };
    let relabelled = series.into_iter().map(|s| StepSeries { labels: relabel(&s.labels), points: s.points }).collect();
    merge_same_labels(relabelled).map(Value::Vector)
}

/// Calendar fields of a Unix time in seconds, in UTC.
fn date_part(name: &str, seconds: f64) -> f64 {
    let secs = seconds.floor() as i64;
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    match name {
        "minute" => ((of_day / 60) % 60) as f64,
        "hour" => (of_day / 3600) as f64,
        "day_of_week" => ((days + 4).rem_euclid(7)) as f64,
        "day_of_month" => d as f64,
        "day_of_year" => {
            const BEFORE: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
            (BEFORE[(m - 1) as usize] + d + i64::from(leap && m > 2)) as f64
        }
        "days_in_month" => match m {
            2 if leap => 29.0,
            2 => 28.0,
            4 | 6 | 9 | 11 => 30.0,
            _ => 31.0,
        },
        "month" => m as f64,
        _ => y as f64,
    }
}

/// Year, month, day of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::{FUNCTIONS, bucket_quantile, civil_from_days, natural_cmp, quantile};

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(FUNCTIONS.windows(2).all(|w| w[0].name < w[1].name));
    }

    #[test]
    fn quantiles_interpolate() {
        assert_eq!(quantile(0.5, vec![1.0, 3.0, 2.0, 4.0]), 2.5);
        assert_eq!(bucket_quantile(0.5, &mut vec![(1.0, 10.0), (2.0, 20.0), (f64::INFINITY, 20.0)]), 1.0);
        assert!(bucket_quantile(0.5, &mut vec![(1.0, 10.0)]).is_nan());
    }

    #[test]
    fn calendar_and_natural_order() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert!(natural_cmp("a2", "a10").is_lt());
    }
}
