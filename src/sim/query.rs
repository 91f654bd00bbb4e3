//! PromQL-style instant queries over the simulated history, parsed by `promql-parser`.
//!
//! Every series is a gauge named after its metric with labels `service` and `kind`
//! (`error_rate{service="auth",kind="service"}`). Queries are evaluated at the newest tick. Range
//! functions read the history in time-major order, one pass over the frames for all selected series.

use super::History;
use promql_parser::label::{MatchOp, Matchers};
use promql_parser::parser::{self, Expr, LabelModifier, VectorSelector};
use std::collections::BTreeMap;
use std::fmt;

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

/// Why a query cannot be answered.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryError(pub String);

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(message: impl Into<String>) -> Result<T, QueryError> {
    Err(QueryError(message.into()))
}

/// Range functions this evaluator knows.
pub const RANGE_FUNCTIONS: &[&str] = &[
    "avg_over_time",
    "count_over_time",
    "delta",
    "increase",
    "last_over_time",
    "max_over_time",
    "min_over_time",
    "rate",
    "sum_over_time",
];

/// Instant functions this evaluator knows.
pub const INSTANT_FUNCTIONS: &[&str] =
    &["abs", "ceil", "clamp", "clamp_max", "clamp_min", "floor", "round", "scalar", "vector"];

/// Evaluates queries against a history and its series labels.
pub struct Evaluator<'a> {
    history: &'a History,
    series: &'a [SeriesLabels],
    by_metric: BTreeMap<&'a str, Vec<usize>>,
}

/// Per-series aggregates over a window, gathered in one pass.
#[derive(Clone, Copy, Debug)]
struct Window {
    first: f64,
    last: f64,
    sum: f64,
    min: f64,
    max: f64,
    count: usize,
    /// Sum of drops, for counter resets.
    resets: f64,
}

impl<'a> Evaluator<'a> {
    /// An evaluator over `history`, whose frame columns are labelled by `series`.
    pub fn new(history: &'a History, series: &'a [SeriesLabels]) -> Evaluator<'a> {
        let mut by_metric: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, s) in series.iter().enumerate() {
            by_metric.entry(s.metric.as_str()).or_default().push(i);
        }
        Evaluator { history, series, by_metric }
    }

    /// Parses and evaluates `text` at the newest tick.
    pub fn query(&self, text: &str) -> Result<QueryValue, QueryError> {
        let expr = parser::parse(text).map_err(|e| QueryError(format!("cannot parse: {}", e.trim())))?;
        if self.history.is_empty() {
            return err("no samples yet");
        }
        self.eval(&expr)
    }

    fn now_index(&self) -> usize {
        self.history.len() - 1
    }

    fn eval(&self, expr: &Expr) -> Result<QueryValue, QueryError> {
        match expr {
            Expr::NumberLiteral(n) => Ok(QueryValue::Scalar(n.val)),
            Expr::Paren(p) => self.eval(&p.expr),
            Expr::Unary(u) => match self.eval(&u.expr)? {
                QueryValue::Scalar(v) => Ok(QueryValue::Scalar(-v)),
                QueryValue::Vector(v) => Ok(QueryValue::Vector(map_values(drop_name(v), |x| -x))),
            },
            Expr::VectorSelector(vs) => self.instant(vs),
            Expr::MatrixSelector(_) => {
                err("a range selector like `x[5m]` needs a function around it, e.g. `avg_over_time(x[5m])`")
            }
            Expr::Call(call) => self.call(call.func.name, &call.args.args),
            Expr::Aggregate(agg) => self.aggregate(agg),
            Expr::Binary(bin) => self.binary(bin),
            Expr::StringLiteral(_) => err("string values are not supported"),
            Expr::Subquery(_) => err("subqueries are not supported"),
            Expr::Extension(_) => err("extensions are not supported"),
        }
    }

    fn labels(&self, i: usize) -> Vec<(String, String)> {
        let s = &self.series[i];
        vec![
            ("__name__".to_string(), s.metric.clone()),
            ("kind".to_string(), s.kind.clone()),
            ("service".to_string(), s.service.clone()),
        ]
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
            return err("the `@` modifier is not supported");
        }
        if !vs.matchers.or_matchers.is_empty() {
            return err("`or` inside a selector is not supported");
        }
        let candidates: Vec<usize> = match &vs.name {
            Some(name) => match self.by_metric.get(name.as_str()) {
                Some(list) => list.clone(),
                None => {
                    let names: Vec<String> = self.by_metric.keys().map(|k| k.to_string()).collect();
                    let hint = crate::scenario::closest(name, &names)
                        .map_or(String::new(), |c| format!("; did you mean `{c}`?"));
                    return err(format!("no metric `{name}`{hint}"));
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

    fn instant(&self, vs: &VectorSelector) -> Result<QueryValue, QueryError> {
        let ids = self.select(vs)?;
        let back = self.offset_frames(vs)?;
        let Some(at) = self.now_index().checked_sub(back) else { return Ok(QueryValue::Vector(Vec::new())) };
        let frame = self.history.frame(at);
        Ok(QueryValue::Vector(
            ids.into_iter().map(|i| Sample { labels: self.labels(i), value: frame[i] as f64 }).collect(),
        ))
    }

    /// One pass over the frames of the window for all `ids`.
    fn windows(&self, ids: &[usize], range_secs: i64, back: usize) -> Vec<Window> {
        let end = self.now_index().saturating_sub(back);
        let frames = (range_secs / self.history.step()).max(1) as usize;
        let start = (end + 1).saturating_sub(frames + 1).min(end);
        let mut out = vec![
            Window {
                first: 0.0,
                last: 0.0,
                sum: 0.0,
                min: f64::INFINITY,
                max: f64::NEG_INFINITY,
                count: 0,
                resets: 0.0
            };
            ids.len()
        ];
        for k in start..=end {
            let frame = self.history.frame(k);
            for (w, &i) in out.iter_mut().zip(ids) {
                let v = frame[i] as f64;
                if w.count == 0 {
                    w.first = v;
                } else if v < w.last {
                    w.resets += w.last;
                }
                w.last = v;
                w.sum += v;
                w.min = w.min.min(v);
                w.max = w.max.max(v);
                w.count += 1;
            }
        }
        out
    }

    fn call(&self, name: &str, args: &[Box<Expr>]) -> Result<QueryValue, QueryError> {
        if RANGE_FUNCTIONS.contains(&name) {
            let Some(Expr::MatrixSelector(ms)) = args.first().map(|a| a.as_ref()) else {
                return err(format!("`{name}` takes a range selector such as `error_rate[5m]`"));
            };
            let ids = self.select(&ms.vs)?;
            let range = ms.range.as_secs() as i64;
            let back = self.offset_frames(&ms.vs)?;
            let windows = self.windows(&ids, range, back);
            let secs = range.max(1) as f64;
            let samples = ids
                .iter()
                .zip(windows)
                .filter(|(_, w)| w.count > 0)
                .map(|(&i, w)| {
                    let increase = w.last - w.first + w.resets;
                    let value = match name {
                        "rate" => increase / secs,
                        "increase" => increase,
                        "delta" => w.last - w.first,
                        "avg_over_time" => w.sum / w.count as f64,
                        "sum_over_time" => w.sum,
                        "min_over_time" => w.min,
                        "max_over_time" => w.max,
                        "count_over_time" => w.count as f64,
                        _ => w.last,
                    };
                    let mut labels = self.labels(i);
                    labels.remove(0);
                    Sample { labels, value }
                })
                .collect();
            return Ok(QueryValue::Vector(samples));
        }
        if name == "histogram_quantile" {
            return err("histograms are not modelled; read the latency_p50 and latency_p99 series instead");
        }
        if !INSTANT_FUNCTIONS.contains(&name) {
            return err(format!(
                "function `{name}` is not supported; supported: {}, {}",
                RANGE_FUNCTIONS.join(", "),
                INSTANT_FUNCTIONS.join(", ")
            ));
        }
        let scalar_arg = |k: usize| -> Result<f64, QueryError> {
            match args.get(k).map(|a| self.eval(a)).transpose()? {
                Some(QueryValue::Scalar(v)) => Ok(v),
                _ => err(format!("`{name}` needs a number as argument {}", k + 1)),
            }
        };
        let input = match args.first() {
            Some(a) => self.eval(a)?,
            None => return err(format!("`{name}` needs an argument")),
        };
        match (name, input) {
            ("vector", QueryValue::Scalar(v)) => Ok(QueryValue::Vector(vec![Sample { labels: Vec::new(), value: v }])),
            ("scalar", QueryValue::Vector(v)) => {
                Ok(QueryValue::Scalar(if v.len() == 1 { v[0].value } else { f64::NAN }))
            }
            (_, QueryValue::Scalar(_)) => err(format!("`{name}` takes an instant vector")),
            (_, QueryValue::Vector(v)) => {
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
                Ok(QueryValue::Vector(map_values(v, f)))
            }
        }
    }

    fn aggregate(&self, agg: &promql_parser::parser::AggregateExpr) -> Result<QueryValue, QueryError> {
        let op = agg.op.to_string().to_lowercase();
        let QueryValue::Vector(input) = self.eval(&agg.expr)? else {
            return err(format!("`{op}` aggregates a vector, not a number"));
        };
        let param = match &agg.param {
            Some(p) => match self.eval(p)? {
                QueryValue::Scalar(v) => Some(v),
                _ => return err(format!("the parameter of `{op}` must be a number")),
            },
            None => None,
        };
        let key = |labels: &[(String, String)]| -> Vec<(String, String)> {
            match &agg.modifier {
                Some(LabelModifier::Include(by)) => {
                    labels.iter().filter(|(n, _)| by.labels.contains(n)).cloned().collect()
                }
                Some(LabelModifier::Exclude(without)) => {
                    labels.iter().filter(|(n, _)| n != "__name__" && !without.labels.contains(n)).cloned().collect()
                }
                None => Vec::new(),
            }
        };
        if op == "topk" || op == "bottomk" {
            let k = param.unwrap_or(1.0).max(0.0) as usize;
            let mut groups: BTreeMap<Vec<(String, String)>, Vec<Sample>> = BTreeMap::new();
            for s in input {
                groups.entry(key(&s.labels)).or_default().push(s);
            }
            let mut out = Vec::new();
            for (_, mut members) in groups {
                members.sort_by(|a, b| {
                    let order = a.value.total_cmp(&b.value);
                    if op == "topk" { order.reverse() } else { order }
                });
                out.extend(members.into_iter().take(k));
            }
            return Ok(QueryValue::Vector(out));
        }
        let mut groups: BTreeMap<Vec<(String, String)>, Vec<f64>> = BTreeMap::new();
        for s in &input {
            groups.entry(key(&s.labels)).or_default().push(s.value);
        }
        let mut out = Vec::new();
        for (labels, values) in groups {
            let n = values.len() as f64;
            let value = match op.as_str() {
                "sum" => values.iter().sum(),
                "avg" => values.iter().sum::<f64>() / n,
                "min" => values.iter().copied().fold(f64::INFINITY, f64::min),
                "max" => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                "count" => n,
                "stddev" | "stdvar" => {
                    let mean = values.iter().sum::<f64>() / n;
                    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
                    if op == "stddev" { var.sqrt() } else { var }
                }
                _ => {
                    return err(format!(
                        "aggregation `{op}` is not supported; supported: sum, avg, min, max, count, stddev, stdvar, topk, bottomk"
                    ));
                }
            };
            out.push(Sample { labels, value });
        }
        Ok(QueryValue::Vector(out))
    }

    fn binary(&self, bin: &promql_parser::parser::BinaryExpr) -> Result<QueryValue, QueryError> {
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
            return err("group_left and group_right are not supported");
        }
        match (lhs, rhs) {
            (QueryValue::Scalar(a), QueryValue::Scalar(b)) => Ok(QueryValue::Scalar(apply(&op, a, b)?)),
            (QueryValue::Vector(v), QueryValue::Scalar(b)) => {
                vector_scalar(&op, v, |a| (a, b), comparison, return_bool)
            }
            (QueryValue::Scalar(a), QueryValue::Vector(v)) => {
                vector_scalar(&op, v, |b| (a, b), comparison, return_bool)
            }
            (QueryValue::Vector(l), QueryValue::Vector(r)) => {
                let on = |labels: &[(String, String)]| match bin.modifier.as_ref().and_then(|m| m.matching.as_ref()) {
                    Some(LabelModifier::Include(on)) => {
                        labels.iter().filter(|(n, _)| on.labels.contains(n)).cloned().collect::<Vec<_>>()
                    }
                    Some(LabelModifier::Exclude(ign)) => {
                        labels.iter().filter(|(n, _)| n != "__name__" && !ign.labels.contains(n)).cloned().collect()
                    }
                    None => labels.iter().filter(|(n, _)| n != "__name__").cloned().collect(),
                };
                let right: BTreeMap<Vec<(String, String)>, f64> = r.iter().map(|s| (on(&s.labels), s.value)).collect();
                let mut out = Vec::new();
                for s in l {
                    let Some(&b) = right.get(&on(&s.labels)) else { continue };
                    let value = apply(&op, s.value, b)?;
                    if comparison && !return_bool {
                        if value == 1.0 {
                            out.push(s);
                        }
                    } else {
                        let labels = s.labels.into_iter().filter(|(n, _)| n != "__name__").collect();
                        out.push(Sample { labels, value });
                    }
                }
                Ok(QueryValue::Vector(out))
            }
        }
    }

    fn set_operation(&self, op: &str, lhs: QueryValue, rhs: QueryValue) -> Result<QueryValue, QueryError> {
        let (QueryValue::Vector(l), QueryValue::Vector(r)) = (lhs, rhs) else {
            return err(format!("`{op}` works on two vectors"));
        };
        let sig = |s: &Sample| s.labels.iter().filter(|(n, _)| n != "__name__").cloned().collect::<Vec<_>>();
        let right: std::collections::BTreeSet<_> = r.iter().map(sig).collect();
        let out = match op {
            "and" => l.into_iter().filter(|s| right.contains(&sig(s))).collect(),
            "unless" => l.into_iter().filter(|s| !right.contains(&sig(s))).collect(),
            _ => {
                let left: std::collections::BTreeSet<_> = l.iter().map(sig).collect();
                let mut out = l;
                out.extend(r.into_iter().filter(|s| !left.contains(&sig(s))));
                out
            }
        };
        Ok(QueryValue::Vector(out))
    }
}

fn matches<'s>(m: &Matchers, value_of: impl Fn(&str) -> &'s str) -> bool {
    m.matchers.iter().all(|matcher| {
        let value = value_of(&matcher.name);
        match &matcher.op {
            MatchOp::Equal | MatchOp::NotEqual | MatchOp::Re(_) | MatchOp::NotRe(_) => matcher.is_match(value),
        }
    })
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
        _ => return err(format!("operator `{op}` is not supported")),
    })
}

fn vector_scalar(
    op: &str,
    v: Vec<Sample>,
    operands: impl Fn(f64) -> (f64, f64),
    comparison: bool,
    return_bool: bool,
) -> Result<QueryValue, QueryError> {
    let mut out = Vec::with_capacity(v.len());
    for s in v {
        let (a, b) = operands(s.value);
        let value = apply(op, a, b)?;
        if comparison && !return_bool {
            // A comparison filters: keep the sample as it was when the comparison holds.
            if value == 1.0 {
                out.push(s);
            }
        } else {
            let labels = s.labels.into_iter().filter(|(n, _)| n != "__name__").collect();
            out.push(Sample { labels, value });
        }
    }
    Ok(QueryValue::Vector(out))
}

fn drop_name(v: Vec<Sample>) -> Vec<Sample> {
    v.into_iter()
        .map(|s| Sample { labels: s.labels.into_iter().filter(|(n, _)| n != "__name__").collect(), value: s.value })
        .collect()
}

fn map_values(v: Vec<Sample>, f: impl Fn(f64) -> f64) -> Vec<Sample> {
    v.into_iter().map(|s| Sample { labels: s.labels, value: f(s.value) }).collect()
}
