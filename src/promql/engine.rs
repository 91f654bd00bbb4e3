//! The evaluator: PromQL-style instant queries over the simulated history, parsed by `promql-parser`.
//!
//! Every series is a gauge named after its metric with labels `service` and `kind`
//! (`error_rate{service="auth",kind="service"}`). Queries are evaluated at the newest tick. Range
//! functions read the history in time-major order, one pass over the frames for all selected series, and
//! rows keep a series id instead of label strings until labels are needed, so a query over every series
//! allocates per group, not per series.

use super::error::{QueryError, QueryErrorKind};
use super::functions::{self, FunctionKind};
use crate::sim::History;
use promql_parser::label::Matchers;
use promql_parser::parser::{Expr, LabelModifier, VectorSelector};
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

/// The labels of one simulated series.
#[derive(Clone, Debug)]
pub struct SeriesLabels {
    /// Metric name.
    pub metric: String,
    /// Service id.
    pub service: String,
    /// Service kind, lowercase.
    pub kind: String,
}

/// A result sample: sorted labels and a value.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Label pairs sorted by name; `__name__` first when present.
    pub labels: Vec<(String, String)>,
    /// Value.
    pub value: f64,
}

/// What a query evaluates to.
#[derive(Clone, Debug, PartialEq)]
pub enum QueryValue {
    /// A number.
    Scalar(f64),
    /// One value per series.
    Vector(Vec<Sample>),
}

fn err<T>(message: impl Into<String>) -> Result<T, QueryError> {
    Err(QueryError::invalid(message))
}

/// Labels of a row while a query is evaluated.
#[derive(Clone, Debug)]
enum Labels {
    /// A simulated series' labels, with or without `__name__`.
    Series { id: usize, name: bool },
    /// Labels built by an aggregation.
    Set(Vec<(String, String)>),
}

#[derive(Clone, Debug)]
struct Row {
    labels: Labels,
    value: f64,
}

enum Value {
    Scalar(f64),
    Vector(Vec<Row>),
}

/// A label signature borrowed from the evaluator or the rows.
type Key<'k> = Vec<(&'k str, &'k str)>;

/// Evaluates queries against a history and its series labels.
pub struct Evaluator<'a> {
    history: &'a History,
    series: &'a [SeriesLabels],
    by_metric: BTreeMap<&'a str, Vec<usize>>,
    /// Levels of `eval` currently on the stack.
    depth: Cell<usize>,
}

impl<'a> Evaluator<'a> {
    /// An evaluator over `history`, whose frame columns are labelled by `series`.
    pub fn new(history: &'a History, series: &'a [SeriesLabels]) -> Evaluator<'a> {
        let mut by_metric: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, s) in series.iter().enumerate() {
            by_metric.entry(s.metric.as_str()).or_default().push(i);
        }
        Evaluator { history, series, by_metric, depth: Cell::new(0) }
    }

    /// Parses and evaluates `text` at the newest tick.
    pub fn query(&self, text: &str) -> Result<QueryValue, QueryError> {
        let expr = super::parse(text)?;
        if self.history.is_empty() {
            return Err(QueryError::new(QueryErrorKind::NoSamples));
        }
        Ok(match self.eval(&expr)? {
            Value::Scalar(v) => QueryValue::Scalar(v),
            Value::Vector(rows) => QueryValue::Vector(
                rows.into_iter().map(|r| Sample { labels: self.pairs(&r.labels), value: r.value }).collect(),
            ),
        })
    }

    fn now_index(&self) -> usize {
        self.history.len() - 1
    }

    /// The label pairs of a row, `__name__` first.
    fn pairs(&self, labels: &Labels) -> Vec<(String, String)> {
        match labels {
            Labels::Series { id, name } => {
                let s = &self.series[*id];
                let mut out = Vec::with_capacity(3);
                if *name {
                    out.push(("__name__".to_string(), s.metric.clone()));
                }
                out.push(("kind".to_string(), s.kind.clone()));
                out.push(("service".to_string(), s.service.clone()));
                out
            }
            Labels::Set(pairs) => pairs.clone(),
        }
    }

    /// Borrowed label pairs of a row.
    fn key<'k>(&'k self, labels: &'k Labels) -> Key<'k> {
        match labels {
            Labels::Series { id, name } => {
                let s = &self.series[*id];
                let mut out = Vec::with_capacity(3);
                if *name {
                    out.push(("__name__", s.metric.as_str()));
                }
                out.push(("kind", s.kind.as_str()));
                out.push(("service", s.service.as_str()));
                out
            }
            Labels::Set(pairs) => pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect(),
        }
    }

    /// Evaluates `expr`, refusing to nest deeper than [`super::MAX_DEPTH`] even if the parser built
    /// a deeper tree.
    fn eval(&self, expr: &Expr) -> Result<Value, QueryError> {
        let depth = self.depth.get() + 1;
        if depth > super::MAX_DEPTH {
            return Err(QueryError::new(QueryErrorKind::TooDeep { limit: super::MAX_DEPTH }));
        }
        self.depth.set(depth);
        let value = self.eval_node(expr);
        self.depth.set(depth - 1);
        value
    }

    fn eval_node(&self, expr: &Expr) -> Result<Value, QueryError> {
        match expr {
            Expr::NumberLiteral(n) => Ok(Value::Scalar(n.val)),
            Expr::Paren(p) => self.eval(&p.expr),
            Expr::Unary(u) => match self.eval(&u.expr)? {
                Value::Scalar(v) => Ok(Value::Scalar(-v)),
                Value::Vector(v) => Ok(Value::Vector(map_values(drop_name(v), |x| -x))),
            },
            Expr::VectorSelector(vs) => self.instant(vs),
            Expr::MatrixSelector(_) => {
                err("a range selector like `x[5m]` needs a function around it, e.g. `avg_over_time(x[5m])`")
            }
            Expr::Call(call) => self.call(call.func.name, &call.args.args),
            Expr::Aggregate(agg) => self.aggregate(agg),
            Expr::Binary(bin) => self.binary(bin),
            Expr::StringLiteral(_) => Err(QueryError::unsupported("string values are not supported")),
            Expr::Subquery(_) => Err(QueryError::unsupported("subqueries are not supported")),
            Expr::Extension(_) => Err(QueryError::unsupported("extensions are not supported")),
        }
    }

    fn label_value(&self, i: usize, name: &str) -> &'a str {
        let s = &self.series[i];
        match name {
            "__name__" => &s.metric,
            "service" => &s.service,
            "kind" => &s.kind,
            _ => "",
        }
    }

    /// Series matching a selector, in series order.
    fn select(&self, vs: &VectorSelector) -> Result<Vec<usize>, QueryError> {
        if vs.at.is_some() {
            return Err(QueryError::unsupported("the `@` modifier is not supported"));
        }
        if !vs.matchers.or_matchers.is_empty() {
            return Err(QueryError::unsupported("`or` inside a selector is not supported"));
        }
        let candidates: Vec<usize> = match &vs.name {
            Some(name) => match self.by_metric.get(name.as_str()) {
                Some(list) => list.clone(),
                None => {
                    let names: Vec<String> = self.by_metric.keys().map(|k| k.to_string()).collect();
                    let suggestion = crate::scenario::closest(name, &names).map(str::to_string);
                    return Err(QueryError::new(QueryErrorKind::UnknownMetric { name: name.clone(), suggestion }));
                }
            },
            None => (0..self.series.len()).collect(),
        };
        Ok(candidates.into_iter().filter(|&i| matches(&vs.matchers, |n| self.label_value(i, n))).collect())
    }

    fn offset_frames(&self, vs: &VectorSelector) -> Result<usize, QueryError> {
        match &vs.offset {
            None => Ok(0),
            Some(promql_parser::parser::Offset::Pos(d)) => Ok((d.as_secs() as i64 / self.history.step()) as usize),
            Some(promql_parser::parser::Offset::Neg(_)) => err("negative offsets look into the future"),
        }
    }

    fn instant(&self, vs: &VectorSelector) -> Result<Value, QueryError> {
        let ids = self.select(vs)?;
        let back = self.offset_frames(vs)?;
        let Some(at) = self.now_index().checked_sub(back) else { return Ok(Value::Vector(Vec::new())) };
        let frame = self.history.frame(at);
        let rows =
            ids.into_iter().map(|i| Row { labels: Labels::Series { id: i, name: true }, value: frame[i] as f64 });
        Ok(Value::Vector(rows.collect()))
    }

    /// Calls `f` with the values of `ids` in every frame from `start` to `end`; selections of adjacent
    /// series are passed as slices of the frame, others are gathered.
    fn each_frame(&self, ids: &[usize], start: usize, end: usize, mut f: impl FnMut(&[f32])) {
        let contiguous = ids.windows(2).all(|w| w[1] == w[0] + 1);
        let mut gathered = Vec::with_capacity(ids.len());
        for k in start..=end {
            let frame = self.history.frame(k);
            if contiguous {
                let first = ids.first().copied().unwrap_or(0);
                f(&frame[first..first + ids.len()]);
            } else {
                gathered.clear();
                gathered.extend(ids.iter().map(|&i| frame[i]));
                f(&gathered);
            }
        }
    }

    /// One value per series for a range function over the window, each function with its own loop.
    /// `None` when the window lies before the history.
    fn range_values(&self, name: &str, ids: &[usize], range_secs: i64, back: usize) -> Option<Vec<f64>> {
        let end = self.now_index().checked_sub(back)?;
        // `[5m]` holds the samples of the last five minutes, (t - 5m, t], as in Prometheus.
        let frames = (range_secs / self.history.step()).max(1) as usize;
        let start = (end + 1).saturating_sub(frames);
        let count = (end - start + 1) as f64;
        let n = ids.len();
        Some(match name {
            "avg_over_time" | "sum_over_time" => {
                let mut sums = vec![0.0f64; n];
                self.each_frame(ids, start, end, |v| sums.iter_mut().zip(v).for_each(|(s, x)| *s += *x as f64));
                if name == "avg_over_time" {
                    sums.iter_mut().for_each(|s| *s /= count);
                }
                sums
            }
            "min_over_time" | "max_over_time" => {
                let min = name == "min_over_time";
                let mut acc = vec![if min { f32::INFINITY } else { f32::NEG_INFINITY }; n];
                self.each_frame(ids, start, end, |v| {
                    acc.iter_mut().zip(v).for_each(|(a, x)| *a = if min { a.min(*x) } else { a.max(*x) })
                });
                acc.into_iter().map(f64::from).collect()
            }
            "count_over_time" => vec![count; n],
            "last_over_time" | "delta" => {
                let last: Vec<f32> = ids.iter().map(|&i| self.history.frame(end)[i]).collect();
                if name == "last_over_time" {
                    return Some(last.into_iter().map(f64::from).collect());
                }
                ids.iter().zip(last).map(|(&i, l)| (l - self.history.frame(start)[i]) as f64).collect()
            }
            // rate and increase: counter semantics, a drop counts as a reset.
            _ => {
                let mut prev: Vec<f32> = ids.iter().map(|&i| self.history.frame(start)[i]).collect();
                let mut increase = vec![0.0f64; n];
                self.each_frame(ids, start, end, |v| {
                    for ((inc, p), x) in increase.iter_mut().zip(prev.iter_mut()).zip(v) {
                        *inc += if *x >= *p { (*x - *p) as f64 } else { *x as f64 };
                        *p = *x;
                    }
                });
                if name == "rate" {
                    increase.iter_mut().for_each(|x| *x /= range_secs.max(1) as f64);
                }
                increase
            }
        })
    }

    fn call(&self, name: &str, args: &[Box<Expr>]) -> Result<Value, QueryError> {
        let kind = functions::lookup(name).map(|f| f.kind);
        if kind == Some(FunctionKind::Range) {
            let Some(Expr::MatrixSelector(ms)) = args.first().map(|a| a.as_ref()) else {
                return err(format!("`{name}` takes a range selector such as `error_rate[5m]`"));
            };
            let ids = self.select(&ms.vs)?;
            let back = self.offset_frames(&ms.vs)?;
            let Some(values) = self.range_values(name, &ids, ms.range.as_secs() as i64, back) else {
                return Ok(Value::Vector(Vec::new()));
            };
            let rows = ids
                .into_iter()
                .zip(values)
                .map(|(id, value)| Row { labels: Labels::Series { id, name: false }, value });
            return Ok(Value::Vector(rows.collect()));
        }
        if name == "histogram_quantile" {
            return Err(QueryError::unsupported(
                "histograms are not modelled; read the latency_p50 and latency_p99 series instead",
            ));
        }
        if kind.is_none() {
            return Err(QueryError::new(QueryErrorKind::UnknownFunction {
                name: name.to_string(),
                supported: functions::supported(),
            }));
        }
        let scalar_arg = |k: usize| -> Result<f64, QueryError> {
            match args.get(k).map(|a| self.eval(a)).transpose()? {
                Some(Value::Scalar(v)) => Ok(v),
                _ => err(format!("`{name}` needs a number as argument {}", k + 1)),
            }
        };
        let input = match args.first() {
            Some(a) => self.eval(a)?,
            None => return err(format!("`{name}` needs an argument")),
        };
        match (name, input) {
            ("vector", Value::Scalar(v)) => Ok(Value::Vector(vec![Row { labels: Labels::Set(Vec::new()), value: v }])),
            ("scalar", Value::Vector(v)) => Ok(Value::Scalar(if v.len() == 1 { v[0].value } else { f64::NAN })),
            ("vector", Value::Vector(_)) => err("`vector` takes a number"),
            (_, Value::Scalar(_)) => err(format!("`{name}` takes an instant vector")),
            (_, Value::Vector(v)) => {
                let v = drop_name(v);
                let f: Box<dyn Fn(f64) -> f64> = match name {
                    "abs" => Box::new(f64::abs),
                    "ceil" => Box::new(f64::ceil),
                    "floor" => Box::new(f64::floor),
                    "round" => Box::new(f64::round),
                    "clamp_min" => {
                        let lo = scalar_arg(1)?;
                        Box::new(move |x| x.max(lo))
                    }
                    "clamp_max" => {
                        let hi = scalar_arg(1)?;
                        Box::new(move |x| x.min(hi))
                    }
                    _ => {
                        let (lo, hi) = (scalar_arg(1)?, scalar_arg(2)?);
                        Box::new(move |x| x.max(lo).min(hi))
                    }
                };
                Ok(Value::Vector(map_values(v, f)))
            }
        }
    }

    /// The grouping key of a row under an aggregation's `by`/`without`.
    fn group_key<'k>(&'k self, labels: &'k Labels, modifier: &Option<LabelModifier>) -> Key<'k> {
        let all = self.key(labels);
        match modifier {
            Some(LabelModifier::Include(by)) => {
                all.into_iter().filter(|(n, _)| by.labels.iter().any(|b| b == n)).collect()
            }
            Some(LabelModifier::Exclude(without)) => {
                all.into_iter().filter(|(n, _)| *n != "__name__" && !without.labels.iter().any(|w| w == n)).collect()
            }
            None => Vec::new(),
        }
    }

    fn aggregate(&self, agg: &promql_parser::parser::AggregateExpr) -> Result<Value, QueryError> {
        let op = agg.op.to_string().to_lowercase();
        let Value::Vector(input) = self.eval(&agg.expr)? else {
            return err(format!("`{op}` aggregates a vector, not a number"));
        };
        let param = match &agg.param {
            Some(p) => match self.eval(p)? {
                Value::Scalar(v) => Some(v),
                _ => return err(format!("the parameter of `{op}` must be a number")),
            },
            None => None,
        };
        if op == "topk" || op == "bottomk" {
            let k = param.unwrap_or(1.0).max(0.0) as usize;
            let mut groups: BTreeMap<Key, Vec<usize>> = BTreeMap::new();
            for (i, row) in input.iter().enumerate() {
                groups.entry(self.group_key(&row.labels, &agg.modifier)).or_default().push(i);
            }
            let mut keep = Vec::new();
            for (_, mut members) in groups {
                members.sort_by(|&a, &b| {
                    let order = input[a].value.total_cmp(&input[b].value);
                    if op == "topk" { order.reverse() } else { order }
                });
                keep.extend(members.into_iter().take(k));
            }
            return Ok(Value::Vector(keep.into_iter().map(|i| input[i].clone()).collect()));
        }
        if !["sum", "avg", "min", "max", "count", "stddev", "stdvar"].contains(&op.as_str()) {
            return err(format!(
                "aggregation `{op}` is not supported; supported: sum, avg, min, max, count, stddev, stdvar, topk, bottomk"
            ));
        }
        // Per group: count, sum, sum of squares, min, max.
        let mut groups: BTreeMap<Key, (f64, f64, f64, f64, f64)> = BTreeMap::new();
        for row in &input {
            let acc = groups.entry(self.group_key(&row.labels, &agg.modifier)).or_insert((
                0.0,
                0.0,
                0.0,
                f64::INFINITY,
                f64::NEG_INFINITY,
            ));
            acc.0 += 1.0;
            acc.1 += row.value;
            acc.2 += row.value * row.value;
            acc.3 = acc.3.min(row.value);
            acc.4 = acc.4.max(row.value);
        }
        let rows = groups
            .into_iter()
            .map(|(key, (n, sum, squares, min, max))| {
                let mean = sum / n;
                let var = (squares / n - mean * mean).max(0.0);
                let value = match op.as_str() {
                    "sum" => sum,
                    "avg" => mean,
                    "min" => min,
                    "max" => max,
                    "count" => n,
                    "stddev" => var.sqrt(),
                    _ => var,
                };
                let labels = key.into_iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
                Row { labels: Labels::Set(labels), value }
            })
            .collect();
        Ok(Value::Vector(rows))
    }

    fn binary(&self, bin: &promql_parser::parser::BinaryExpr) -> Result<Value, QueryError> {
        let op = bin.op.to_string().to_lowercase();
        let return_bool = bin.modifier.as_ref().is_some_and(|m| m.return_bool);
        let lhs = self.eval(&bin.lhs)?;
        let rhs = self.eval(&bin.rhs)?;
        let comparison = ["==", "!=", ">", "<", ">=", "<="].contains(&op.as_str());
        if ["and", "or", "unless"].contains(&op.as_str()) {
            return self.set_operation(&op, lhs, rhs);
        }
        if let Some(m) = &bin.modifier
            && !matches!(m.card, promql_parser::parser::VectorMatchCardinality::OneToOne)
        {
            return Err(QueryError::unsupported("group_left and group_right are not supported"));
        }
        match (lhs, rhs) {
            (Value::Scalar(a), Value::Scalar(b)) => Ok(Value::Scalar(apply(&op, a, b)?)),
            (Value::Vector(v), Value::Scalar(b)) => vector_scalar(&op, v, |a| (a, b), comparison, return_bool),
            (Value::Scalar(a), Value::Vector(v)) => vector_scalar(&op, v, |b| (a, b), comparison, return_bool),
            (Value::Vector(l), Value::Vector(r)) => {
                let matching = bin.modifier.as_ref().and_then(|m| m.matching.as_ref());
                let on = |labels: &Labels| -> Vec<(String, String)> {
                    let all = self.key(labels);
                    let kept: Key = match matching {
                        Some(LabelModifier::Include(on)) => {
                            all.into_iter().filter(|(n, _)| on.labels.iter().any(|o| o == n)).collect()
                        }
                        Some(LabelModifier::Exclude(ign)) => all
                            .into_iter()
                            .filter(|(n, _)| *n != "__name__" && !ign.labels.iter().any(|i| i == n))
                            .collect(),
                        None => all.into_iter().filter(|(n, _)| *n != "__name__").collect(),
                    };
                    kept.into_iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
                };
                let right: BTreeMap<Vec<(String, String)>, f64> = r.iter().map(|s| (on(&s.labels), s.value)).collect();
                let mut out = Vec::new();
                for row in l {
                    let Some(&b) = right.get(&on(&row.labels)) else { continue };
                    let value = apply(&op, row.value, b)?;
                    push_result(&mut out, row, value, comparison && !return_bool);
                }
                Ok(Value::Vector(out))
            }
        }
    }

    fn set_operation(&self, op: &str, lhs: Value, rhs: Value) -> Result<Value, QueryError> {
        let (Value::Vector(l), Value::Vector(r)) = (lhs, rhs) else {
            return err(format!("`{op}` works on two vectors"));
        };
        let sig = |row: &Row| -> Vec<(String, String)> {
            self.key(&row.labels)
                .into_iter()
                .filter(|(n, _)| *n != "__name__")
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect()
        };
        let right: BTreeSet<_> = r.iter().map(sig).collect();
        let out = match op {
            "and" => l.into_iter().filter(|s| right.contains(&sig(s))).collect(),
            "unless" => l.into_iter().filter(|s| !right.contains(&sig(s))).collect(),
            _ => {
                let left: BTreeSet<_> = l.iter().map(sig).collect();
                let mut out = l;
                out.extend(r.into_iter().filter(|s| !left.contains(&sig(s))));
                out
            }
        };
        Ok(Value::Vector(out))
    }
}

fn matches<'s>(m: &Matchers, value_of: impl Fn(&str) -> &'s str) -> bool {
    m.matchers.iter().all(|matcher| matcher.is_match(value_of(&matcher.name)))
}

fn apply(op: &str, a: f64, b: f64) -> Result<f64, QueryError> {
    let truth = |c: bool| if c { 1.0 } else { 0.0 };
    Ok(match op {
        "+" => a + b,
        "-" => a - b,
        "*" => a * b,
        "/" => a / b,
        "%" => a % b,
        "^" => a.powf(b),
        "==" => truth(a == b),
        "!=" => truth(a != b),
        ">" => truth(a > b),
        "<" => truth(a < b),
        ">=" => truth(a >= b),
        "<=" => truth(a <= b),
        _ => return Err(QueryError::unsupported(format!("operator `{op}` is not supported"))),
    })
}

fn vector_scalar(
    op: &str,
    v: Vec<Row>,
    operands: impl Fn(f64) -> (f64, f64),
    comparison: bool,
    return_bool: bool,
) -> Result<Value, QueryError> {
    let mut out = Vec::with_capacity(v.len());
    for row in v {
        let (a, b) = operands(row.value);
        let value = apply(op, a, b)?;
        push_result(&mut out, row, value, comparison && !return_bool);
    }
    Ok(Value::Vector(out))
}

/// Adds a binary operation's result: a filtering comparison keeps the row as it was when it holds (`value`
/// is 1); anything else yields the value under the row's labels without the metric name.
fn push_result(out: &mut Vec<Row>, row: Row, value: f64, filter: bool) {
    if !filter {
        out.push(Row { labels: without_name(row.labels), value });
    } else if value == 1.0 {
        out.push(row);
    }
}

fn without_name(labels: Labels) -> Labels {
    match labels {
        Labels::Series { id, .. } => Labels::Series { id, name: false },
        Labels::Set(pairs) => Labels::Set(pairs.into_iter().filter(|(n, _)| n != "__name__").collect()),
    }
}

fn drop_name(v: Vec<Row>) -> Vec<Row> {
    v.into_iter().map(|r| Row { labels: without_name(r.labels), value: r.value }).collect()
}

fn map_values(v: Vec<Row>, f: impl Fn(f64) -> f64) -> Vec<Row> {
    v.into_iter().map(|r| Row { labels: r.labels, value: f(r.value) }).collect()
}
