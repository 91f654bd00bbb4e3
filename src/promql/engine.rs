//! The evaluator. As in Prometheus, every query is a range query: an instant query is one step. Each node
//! evaluates to a value per step ([`Value`]); vector operators run step by step through
//! [`Evaluator::step_eval`], range functions slide a window over each series' samples.

use super::error::{QueryError, QueryErrorKind};
use super::prepass::ExtendedRange;
use super::storage::Storage;
use super::value::{Answer, Labels, QueryValue, Sample, Series, is_stale};
use promql_parser::parser::{AtModifier, Expr, MatrixSelector, Offset, SubqueryExpr, VectorSelector};
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How far back an instant selector looks for the newest sample (Prometheus's default, 5 minutes).
pub const LOOKBACK_MS: i64 = 5 * 60 * 1000;

/// Step of a subquery written without one (`x[1h:]`), as Prometheus's default evaluation interval.
pub const SUBQUERY_STEP_MS: i64 = 60 * 1000;

/// Series fetched from storage at a time, so memory stays bounded on wide selections.
const BLOCK: usize = 2048;

/// Samples fetched from storage at a time: a long window is read a few series at a time.
const BLOCK_SAMPLES: usize = 4_000_000;

/// Most samples a range vector answer may hold, as Prometheus's `--query.max-samples` default.
pub const MAX_SAMPLES: usize = 50_000_000;

/// Selections of at least this many series are read and evaluated on several threads.
pub(super) const PARALLEL_MIN: usize = 4096;

/// Most threads one selection is read with.
const MAX_THREADS: usize = 4;

/// Threads a wide selection is evaluated on: the cores, at most [`MAX_THREADS`].
pub(super) fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS)
}

/// Runs `f` over contiguous parts of `items` (series, or groups of them), on scoped threads when there are
/// many and the machine has more than one core, and returns the results in the order of `items`, as one
/// thread would.
pub(super) fn par_parts<I: Sync, T: Send>(items: &[I], f: impl Fn(&[I]) -> Vec<T> + Sync) -> Vec<T> {
    par_weighted(items, |_| 1, f)
}

/// [`par_parts`] over items of different weights (groups, weighed by their members): parallel when the
/// items weigh at least [`PARALLEL_MIN`] in all, in parts of about equal weight.
pub(super) fn par_weighted<I: Sync, T: Send>(
    items: &[I],
    weight: impl Fn(&I) -> usize,
    f: impl Fn(&[I]) -> Vec<T> + Sync,
) -> Vec<T> {
    let total: usize = items.iter().map(&weight).sum();
    let threads = if total < PARALLEL_MIN || items.len() < 2 { 1 } else { threads() };
    if threads <= 1 {
        return f(items);
    }
    // Cut where the running weight passes each thread's share.
    let mut parts = Vec::with_capacity(threads);
    let (mut from, mut acc) = (0, 0);
    for (i, item) in items.iter().enumerate() {
        acc += weight(item);
        if acc * threads >= total * (parts.len() + 1) && parts.len() + 1 < threads {
            parts.push(&items[from..=i]);
            from = i + 1;
        }
    }
    parts.push(&items[from..]);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts.into_iter().map(|part| scope.spawn(move || f(part))).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    })
}

/// Sorts `v` by `cmp`, a total order (no two items equal, so the result is the one order), each part on
/// its own thread when `v` is long, then merged.
pub(super) fn par_sort_by<T: Send + Copy>(v: &mut Vec<T>, cmp: impl Fn(&T, &T) -> std::cmp::Ordering + Sync) {
    let threads = if v.len() < PARALLEL_MIN { 1 } else { threads() };
    if threads <= 1 {
        v.sort_unstable_by(cmp);
        return;
    }
    let len = v.len().div_ceil(threads);
    let cmp = &cmp;
    std::thread::scope(|scope| {
        for part in v.chunks_mut(len) {
            scope.spawn(move || part.sort_unstable_by(cmp));
        }
    });
    let mut heads: Vec<&[T]> = v.chunks(len).collect();
    let mut merged = Vec::with_capacity(v.len());
    while let Some(k) =
        (0..heads.len()).filter(|&k| !heads[k].is_empty()).min_by(|&a, &b| cmp(&heads[a][0], &heads[b][0]))
    {
        merged.push(heads[k][0]);
        heads[k] = &heads[k][1..];
    }
    *v = merged;
}

/// Per window, the half-open range of `samples` with `start < t <= end`, into `out`. Windows come in time
/// order (steps ascend and a selector's `@` and offset are the same at every step), so both ends only move
/// forward.
pub(super) fn window_bounds(windows: &[Window], samples: &[(i64, f64)], out: &mut Vec<(usize, usize)>) {
    debug_assert!(windows.windows(2).all(|w| w[0].start <= w[1].start && w[0].end <= w[1].end));
    out.clear();
    let (mut from, mut to) = (0, 0);
    out.extend(windows.iter().map(|w| {
        while from < samples.len() && samples[from].0 <= w.start {
            from += 1;
        }
        while to < samples.len() && samples[to].0 <= w.end {
            to += 1;
        }
        (from, to.max(from))
    }));
}

/// [`window_bounds`] into a new vector.
pub(super) fn bounds_of(windows: &[Window], samples: &[(i64, f64)]) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(windows.len());
    window_bounds(windows, samples, &mut out);
    out
}

/// One series' points over the steps of an evaluation.
#[derive(Clone, Debug)]
pub(super) struct StepSeries {
    pub labels: Labels,
    pub points: Vec<(i64, f64)>,
}

/// A node's value over all steps.
#[derive(Debug)]
pub(super) enum Value {
    /// One number per step.
    Scalar(Vec<f64>),
    /// An instant vector at each step.
    Vector(Vec<StepSeries>),
    /// A range vector (only at the top of an instant query): raw samples in the window.
    Matrix(Vec<StepSeries>),
    /// A string literal.
    String(String),
}

/// One argument of a vector operator at one step.
pub(super) enum StepArg<'a> {
    Scalar(f64),
    Vector(Vec<(&'a Labels, f64)>),
    String(&'a str),
}

/// Output of an operator at one step.
pub(super) type StepOut = Vec<(Labels, f64)>;

/// How queries are evaluated where Prometheus has a switch for it; the default is Prometheus's.
#[derive(Clone, Copy, Debug, Default)]
pub struct QueryOptions {
    /// Prometheus's `enable-delayed-name-removal` (on in its test engine): an operation that drops the metric
    /// name only marks it, later operations still read it (`label_replace(rate(x[5m]), "n", "$1",
    /// "__name__", "(.+)")`, `sum by (__name__)`), and the end of the query drops it.
    pub delayed_name_removal: bool,
}

/// Evaluates instant query `text` at `t` (milliseconds).
pub fn instant_query(store: &dyn Storage, text: &str, t: i64) -> Result<Answer, QueryError> {
    instant_query_with(store, text, t, QueryOptions::default())
}

/// [`instant_query`] with `options`.
pub fn instant_query_with(
    store: &dyn Storage,
    text: &str,
    t: i64,
    options: QueryOptions,
) -> Result<Answer, QueryError> {
    let expr = super::parse_query(text, 0, 0)?;
    let mut ev = Evaluator::new(store, t, t, 1);
    ev.delayed_names = options.delayed_name_removal;
    let value = ev.eval(&expr)?;
    let value = ev.finish_name_drops(value)?;
    let value = match value {
        Value::Scalar(v) => QueryValue::Scalar(v[0]),
        Value::String(s) => QueryValue::String(s),
        Value::Vector(series) => QueryValue::Vector(
            series
                .into_iter()
                .filter_map(|s| s.points.first().map(|&(t, value)| Sample { labels: s.labels.to_strings(), t, value }))
                .collect(),
        ),
        Value::Matrix(series) => QueryValue::Matrix(public_series(series)),
    };
    Ok(Answer { value, notes: ev.notes })
}

/// Evaluates `text` at every `step` milliseconds from `start` to `end`.
pub fn range_query(store: &dyn Storage, text: &str, start: i64, end: i64, step: i64) -> Result<Answer, QueryError> {
    range_query_with(store, text, start, end, step, QueryOptions::default())
}

/// [`range_query`] with `options`.
pub fn range_query_with(
    store: &dyn Storage,
    text: &str,
    start: i64,
    end: i64,
    step: i64,
    options: QueryOptions,
) -> Result<Answer, QueryError> {
    if step <= 0 {
        return Err(QueryError::invalid("the step of a range query must be positive"));
    }
    if end < start {
        return Err(QueryError::invalid("the end of a range query comes before its start"));
    }
    if (end - start) / step > 11_000 {
        return Err(QueryError::invalid(
            "exceeded maximum resolution of 11,000 points per timeseries; try decreasing the query resolution (?step=XX)",
        ));
    }
    let expr = super::parse_query(text, step, end - start)?;
    let mut ev = Evaluator::new(store, start, end, step);
    ev.delayed_names = options.delayed_name_removal;
    let value = ev.eval(&expr)?;
    let value = match ev.finish_name_drops(value)? {
        Value::Scalar(v) => {
            let points = ev.steps().zip(v).collect();
            QueryValue::Matrix(vec![Series { labels: Vec::new(), points }])
        }
        Value::Vector(mut series) => {
            series.retain(|s| !s.points.is_empty());
            series.sort_by(|a, b| a.labels.cmp(&b.labels));
            QueryValue::Matrix(public_series(series))
        }
        Value::Matrix(_) | Value::String(_) => {
            return Err(QueryError::invalid(
                "invalid expression type for range query, must be scalar or instant vector",
            ));
        }
    };
    Ok(Answer { value, notes: ev.notes })
}

fn public_series(series: Vec<StepSeries>) -> Vec<Series> {
    series.into_iter().map(|s| Series { labels: s.labels.to_strings(), points: s.points }).collect()
}

/// Evaluation state: the steps, the store, and notes for the reader.
pub(super) struct Evaluator<'s> {
    pub store: &'s dyn Storage,
    pub start: i64,
    pub end: i64,
    pub interval: i64,
    /// The outermost query's range, for `@ start()` and `@ end()`.
    query_start: i64,
    query_end: i64,
    depth: usize,
    pub notes: Vec<String>,
    /// Delayed name removal ([`QueryOptions::delayed_name_removal`]).
    pub delayed_names: bool,
}

impl<'s> Evaluator<'s> {
    pub(super) fn new(store: &'s dyn Storage, start: i64, end: i64, interval: i64) -> Evaluator<'s> {
        Evaluator {
            store,
            start,
            end,
            interval,
            query_start: start,
            query_end: end,
            depth: 0,
            notes: Vec::new(),
            delayed_names: false,
        }
    }

    /// The end of a query under delayed name removal: the names marked to go are dropped; series that
    /// become the same are merged when they do not meet at a step, and are an error when they do.
    fn finish_name_drops(&self, value: Value) -> Result<Value, QueryError> {
        match value {
            Value::Vector(series) if self.delayed_names && series.iter().any(|s| s.labels.name_dropped()) => {
                let series = series
                    .into_iter()
                    .map(|s| StepSeries { labels: s.labels.finish_name_drop(), points: s.points })
                    .collect();
                super::functions::merge_same_labels(series).map(Value::Vector)
            }
            value => Ok(value),
        }
    }

    /// A child evaluator over other steps (a subquery).
    fn child(&self, start: i64, end: i64, interval: i64) -> Evaluator<'s> {
        Evaluator {
            store: self.store,
            start,
            end,
            interval,
            query_start: self.query_start,
            query_end: self.query_end,
            depth: self.depth,
            notes: Vec::new(),
            delayed_names: self.delayed_names,
        }
    }

    /// The outermost query's start and end.
    pub fn query_range(&self) -> (i64, i64) {
        (self.query_start, self.query_end)
    }

    /// Timestamps of the steps.
    pub fn steps(&self) -> impl Iterator<Item = i64> + use<> {
        let (start, end, interval) = (self.start, self.end, self.interval);
        (0..).map(move |k| start + k * interval).take_while(move |&t| t <= end)
    }

    /// Number of steps.
    pub fn step_count(&self) -> usize {
        ((self.end - self.start) / self.interval + 1) as usize
    }

    /// Evaluates `expr` over all steps, refusing to nest deeper than [`super::MAX_DEPTH`].
    pub fn eval(&mut self, expr: &Expr) -> Result<Value, QueryError> {
        if self.depth >= super::MAX_DEPTH {
            return Err(QueryError::new(QueryErrorKind::TooDeep { limit: super::MAX_DEPTH }));
        }
        self.depth += 1;
        let value = self.eval_node(expr);
        self.depth -= 1;
        value
    }

    fn eval_node(&mut self, expr: &Expr) -> Result<Value, QueryError> {
        match expr {
            Expr::NumberLiteral(n) => Ok(Value::Scalar(vec![n.val; self.step_count()])),
            Expr::StringLiteral(s) => Ok(Value::String(s.val.clone())),
            Expr::Paren(p) => self.eval(&p.expr),
            Expr::Unary(u) => match self.eval(&u.expr)? {
                Value::Scalar(v) => Ok(Value::Scalar(v.into_iter().map(|x| -x).collect())),
                // Dropping the name may make two series one: fine at different steps, an error at the same.
                Value::Vector(v) => super::functions::merge_same_labels(
                    v.into_iter()
                        .map(|s| StepSeries {
                            labels: s.labels.drop_name(self.delayed_names),
                            points: s.points.into_iter().map(|(t, x)| (t, -x)).collect(),
                        })
                        .collect(),
                )
                .map(Value::Vector),
                _ => Err(QueryError::invalid("unary minus needs a number or an instant vector")),
            },
            Expr::VectorSelector(vs) => match ExtendedRange::of(&vs.matchers) {
                Some(ExtendedRange::Smoothed) => super::extended::smoothed_selector(self, vs),
                _ => Ok(Value::Vector(self.vector_selector(vs, false)?)),
            },
            Expr::MatrixSelector(ms) => {
                if self.start != self.end {
                    return Err(QueryError::invalid(
                        "invalid expression type \"range vector\" for range query, must be Scalar or instant Vector",
                    ));
                }
                if let Some(mode) = ExtendedRange::of(&ms.vs.matchers) {
                    return super::extended::matrix(self, ms, mode);
                }
                let series = self.range_series(ms_source(ms), self.start)?;
                Ok(Value::Matrix(series))
            }
            Expr::Subquery(sq) => {
                if self.start != self.end {
                    return Err(QueryError::invalid(
                        "invalid expression type \"range vector\" for range query, must be Scalar or instant Vector",
                    ));
                }
                let series = self.range_series(RangeSource::Subquery(sq), self.start)?;
                Ok(Value::Matrix(series))
            }
            Expr::Call(call) => super::functions::call(self, call.func.name, &call.args.args),
            Expr::Aggregate(agg) => super::aggregation::aggregate(self, agg),
            Expr::Binary(bin) => super::binary::binary(self, bin),
            Expr::Extension(_) => Err(QueryError::unsupported("extensions are not supported")),
        }
    }

    /// The time a selector reads at step `ts`: its `@` time or the step, minus its offset.
    pub fn read_time(&self, at: &Option<AtModifier>, offset: &Option<Offset>, ts: i64) -> i64 {
        let base = match at {
            None => ts,
            Some(AtModifier::Start) => self.query_start,
            Some(AtModifier::End) => self.query_end,
            Some(AtModifier::At(t)) => system_time_ms(*t),
        };
        base - offset_ms(offset)
    }

    /// Series ids a selector picks, noting a did-you-mean when its metric name is unknown.
    pub(super) fn select(&mut self, vs: &VectorSelector) -> Vec<usize> {
        let mut matchers = vs.matchers.clone();
        if let Some(name) = &vs.name
            && super::storage::required_name(&matchers).is_none()
        {
            matchers.matchers.push(promql_parser::label::Matcher::new(
                promql_parser::label::MatchOp::Equal,
                super::value::METRIC_NAME,
                name,
            ));
        }
        let ids = if vs.matchers.or_matchers.is_empty() {
            self.store.select(&matchers)
        } else {
            // `{a="1" or b="2"}`: the union of each alternative.
            let mut all = Vec::new();
            for alt in &vs.matchers.or_matchers {
                let mut m = promql_parser::label::Matchers::new(alt.clone());
                m.matchers.extend(matchers.matchers.iter().cloned());
                all.extend(self.store.select(&m));
            }
            all.sort_unstable();
            all.dedup();
            all
        };
        if ids.is_empty()
            && let Some(name) = super::storage::required_name(&matchers)
        {
            let names = self.store.metric_names();
            if !names.iter().any(|n| n == name) {
                let hint = match crate::scenario::closest(name, &names) {
                    Some(c) => format!("no metric `{name}`; did you mean `{c}`?"),
                    None => format!("no metric `{name}`"),
                };
                if !self.notes.contains(&hint) {
                    self.notes.push(hint);
                }
            }
        }
        ids
    }

    /// An instant selector at every step: the newest sample in the lookback window, unless stale. With
    /// `timestamps`, the value is the sample's own time in seconds (for `timestamp(x)`).
    pub fn vector_selector(&mut self, vs: &VectorSelector, timestamps: bool) -> Result<Vec<StepSeries>, QueryError> {
        let ids = self.select(vs);
        let steps: Vec<i64> = self.steps().collect();
        let reads: Vec<i64> = steps.iter().map(|&ts| self.read_time(&vs.at, &vs.offset, ts)).collect();
        let (Some(&lo), Some(&hi)) = (reads.iter().min(), reads.iter().max()) else { return Ok(Vec::new()) };
        let (store, block_len) = (self.store, self.block_len(lo - LOOKBACK_MS + 1, hi));
        Ok(par_parts(&ids, |part| {
            let mut out = Vec::new();
            for block in part.chunks(block_len) {
                let samples = store.samples(block, lo - LOOKBACK_MS + 1, hi);
                for (&id, samples) in block.iter().zip(samples) {
                    let mut points = Vec::with_capacity(steps.len());
                    for (&ts, &rt) in steps.iter().zip(&reads) {
                        let i = samples.partition_point(|&(t, _)| t <= rt);
                        if i == 0 {
                            continue;
                        }
                        let (t, v) = samples[i - 1];
                        if t <= rt - LOOKBACK_MS || is_stale(v) {
                            continue;
                        }
                        points.push((ts, if timestamps { t as f64 / 1000.0 } else { v }));
                    }
                    if !points.is_empty() {
                        out.push(StepSeries { labels: store.labels(id).clone(), points });
                    }
                }
            }
            out
        }))
    }

    /// The raw samples of a range selector or subquery in the window ending at `ts` (an instant query of
    /// `x[5m]`).
    fn range_series(&mut self, source: RangeSource, ts: i64) -> Result<Vec<StepSeries>, QueryError> {
        let mut out = Vec::new();
        let mut held = 0usize;
        self.for_each_range(source, &mut |_, labels, samples, windows| {
            let (from, to) = windows[0];
            let _ = ts;
            held += to.saturating_sub(from);
            if from < to && held <= MAX_SAMPLES {
                out.push(StepSeries { labels: labels.clone(), points: samples[from..to].to_vec() });
            }
        })?;
        if held > MAX_SAMPLES {
            return Err(QueryError::invalid(
                "query processing would load too many samples into memory in query execution",
            ));
        }
        Ok(out)
    }

    /// Series per storage read for samples in `mint..=maxt`.
    pub(super) fn block_len(&self, mint: i64, maxt: i64) -> usize {
        match self.store.density(mint, maxt) {
            0 => BLOCK,
            d => (BLOCK_SAMPLES / d).clamp(1, BLOCK),
        }
    }

    /// Calls `f` for each series of a range selector or subquery with its samples (stale markers removed)
    /// and, per step, the half-open index range of the samples inside that step's window
    /// `(read time - range, read time]`. `f` also gets each step's window bounds through [`Window`].
    pub fn for_each_range(&mut self, source: RangeSource, f: &mut RangeVisitor) -> Result<(), QueryError> {
        let windows = self.windows(&source);
        let (Some(lo), Some(hi)) = (windows.iter().map(|w| w.start).min(), windows.iter().map(|w| w.end).max()) else {
            return Ok(());
        };
        let mut visit = |labels: &Labels, mut samples: Vec<(i64, f64)>| {
            samples.retain(|&(_, v)| !is_stale(v));
            f(&windows, labels, &samples, &bounds_of(&windows, &samples));
        };
        match source {
            RangeSource::Selector { vs, .. } => {
                let ids = self.select(vs);
                for block in ids.chunks(self.block_len(lo + 1, hi)) {
                    let samples = self.store.samples(block, lo + 1, hi);
                    for (&id, s) in block.iter().zip(samples) {
                        visit(self.store.labels(id), s);
                    }
                }
            }
            RangeSource::Subquery(sq) => {
                let step = sq.step.map_or(SUBQUERY_STEP_MS, |d| d.as_millis() as i64).max(1);
                // The first step after the window's start that is a multiple of the step, as Prometheus aligns.
                let mut start = step * (lo / step);
                if start <= lo {
                    start += step;
                }
                let mut child = self.child(start, hi, step);
                let series = match child.eval(&sq.expr)? {
                    Value::Vector(series) => series,
                    Value::Scalar(_) => return Err(QueryError::invalid("a subquery needs an instant vector")),
                    _ => return Err(QueryError::invalid("a subquery needs an instant vector expression")),
                };
                for note in child.notes {
                    if !self.notes.contains(&note) {
                        self.notes.push(note);
                    }
                }
                for s in series {
                    visit(&s.labels, s.points);
                }
            }
        }
        Ok(())
    }

    /// [`Evaluator::for_each_range`] with a function of each series, on several threads for a wide selector:
    /// the results come back in series order.
    pub fn map_range<T: Send>(
        &mut self,
        source: RangeSource,
        f: impl Fn(&[Window], &Labels, &[(i64, f64)], &[(usize, usize)]) -> T + Sync,
    ) -> Result<Vec<T>, QueryError> {
        let RangeSource::Selector { vs, .. } = source else {
            let mut out = Vec::new();
            self.for_each_range(source, &mut |w, l, s, b| out.push(f(w, l, s, b)))?;
            return Ok(out);
        };
        let windows = self.windows(&source);
        let (Some(lo), Some(hi)) = (windows.iter().map(|w| w.start).min(), windows.iter().map(|w| w.end).max()) else {
            return Ok(Vec::new());
        };
        let ids = self.select(vs);
        let (store, block_len) = (self.store, self.block_len(lo + 1, hi));
        Ok(par_parts(&ids, |part| {
            let mut out = Vec::with_capacity(part.len());
            let (mut read, mut bounds) = (Vec::new(), Vec::with_capacity(windows.len()));
            for block in part.chunks(block_len) {
                store.samples_into(block, lo + 1, hi, &mut read);
                for (&id, samples) in block.iter().zip(read.iter_mut()) {
                    if samples.iter().any(|&(_, v)| is_stale(v)) {
                        samples.retain(|&(_, v)| !is_stale(v));
                    }
                    window_bounds(&windows, samples, &mut bounds);
                    out.push(f(&windows, store.labels(id), samples, &bounds));
                }
            }
            out
        }))
    }

    /// The window of each step over a range selector or subquery.
    pub(super) fn windows(&self, source: &RangeSource) -> Vec<Window> {
        let (range, at, offset) = source.range_at_offset();
        self.steps()
            .map(|ts| {
                let end = self.read_time(at, offset, ts);
                Window { ts, start: end - range, end }
            })
            .collect()
    }

    /// Runs `op` at every step over the per-step values of `args`, collecting its output into series.
    /// Two outputs with the same labels at one step are an error, as in Prometheus.
    pub fn step_eval(
        &mut self,
        args: &[Value],
        mut op: impl FnMut(&[StepArg], i64) -> Result<StepOut, QueryError>,
    ) -> Result<Vec<StepSeries>, QueryError> {
        let mut cursors: Vec<Vec<usize>> = args
            .iter()
            .map(|a| match a {
                Value::Vector(s) => vec![0; s.len()],
                _ => Vec::new(),
            })
            .collect();
        let mut out: Vec<StepSeries> = Vec::new();
        let mut index: HashMap<Labels, usize> = HashMap::new();
        for (k, ts) in self.steps().enumerate() {
            let mut step_args = Vec::with_capacity(args.len());
            for (a, cur) in args.iter().zip(cursors.iter_mut()) {
                step_args.push(match a {
                    Value::Scalar(v) => StepArg::Scalar(v[k]),
                    Value::String(s) => StepArg::String(s),
                    Value::Vector(series) => {
                        let mut vec = Vec::new();
                        for (s, c) in series.iter().zip(cur.iter_mut()) {
                            if let Some(&(t, v)) = s.points.get(*c)
                                && t == ts
                            {
                                vec.push((&s.labels, v));
                                *c += 1;
                            }
                        }
                        StepArg::Vector(vec)
                    }
                    Value::Matrix(_) => return Err(QueryError::invalid("a range vector is not allowed here")),
                });
            }
            for (labels, v) in op(&step_args, ts)? {
                match index.get(&labels) {
                    Some(&i) => {
                        if out[i].points.last().is_some_and(|&(t, _)| t == ts) {
                            return Err(QueryError::invalid("vector cannot contain metrics with the same labelset"));
                        }
                        out[i].points.push((ts, v));
                    }
                    None => {
                        index.insert(labels.clone(), out.len());
                        out.push(StepSeries { labels, points: vec![(ts, v)] });
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Called per series with the step windows, the labels, the samples and each window's sample bounds.
pub(super) type RangeVisitor<'f> = dyn FnMut(&[Window], &Labels, &[(i64, f64)], &[(usize, usize)]) + 'f;

/// One step's window over a range: samples with `start < t <= end`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Window {
    pub ts: i64,
    pub start: i64,
    pub end: i64,
}

/// What a range function reads: a range selector or a subquery.
pub(super) enum RangeSource<'e> {
    Selector { vs: &'e VectorSelector, range: Duration },
    Subquery(&'e SubqueryExpr),
}

impl RangeSource<'_> {
    fn range_at_offset(&self) -> (i64, &Option<AtModifier>, &Option<Offset>) {
        match self {
            RangeSource::Selector { vs, range } => (range.as_millis() as i64, &vs.at, &vs.offset),
            RangeSource::Subquery(sq) => (sq.range.as_millis() as i64, &sq.at, &sq.offset),
        }
    }
}

pub(super) fn ms_source(ms: &MatrixSelector) -> RangeSource<'_> {
    RangeSource::Selector { vs: &ms.vs, range: ms.range }
}

/// `expr` without the parentheses around it.
pub(super) fn unparen(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(p) => unparen(&p.expr),
        e => e,
    }
}

/// The range argument of a function call, through parentheses: `rate((x[5m]))` reads `x[5m]`.
pub(super) fn range_source(expr: &Expr) -> Option<RangeSource<'_>> {
    match expr {
        Expr::MatrixSelector(ms) => Some(ms_source(ms)),
        Expr::Subquery(sq) => Some(RangeSource::Subquery(sq)),
        Expr::Paren(p) => range_source(&p.expr),
        _ => None,
    }
}

fn offset_ms(offset: &Option<Offset>) -> i64 {
    match offset {
        None => 0,
        Some(Offset::Pos(d)) => d.as_millis() as i64,
        Some(Offset::Neg(d)) => -(d.as_millis() as i64),
    }
}

fn system_time_ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    }
}
