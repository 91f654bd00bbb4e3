//! Aggregation operators (`sum`, `avg`, `count`, `min`, `max`, `group`, `stddev`, `stdvar`, `topk`,
//! `bottomk`, `quantile`, `count_values`), each group per step, with `by` and `without`.

use super::engine::{Evaluator, StepArg, Value, par_parts};
use super::error::QueryError;
use super::functions::{kahan_add, quantile};
use super::value::Labels;
use promql_parser::parser::token;
use promql_parser::parser::{AggregateExpr, LabelModifier};
use std::collections::BTreeMap;

/// Evaluates an aggregation over all steps.
pub(super) fn aggregate(ev: &mut Evaluator, agg: &AggregateExpr) -> Result<Value, QueryError> {
    if let Some(value) = super::fused::aggregate_range(ev, agg) {
        return value;
    }
    let input = ev.eval(&agg.expr)?;
    if !matches!(input, Value::Vector(_)) {
        return Err(QueryError::invalid(format!("`{}` aggregates an instant vector", agg.op)));
    }
    let param = match &agg.param {
        Some(p) => ev.eval(p)?,
        None => Value::Scalar(vec![f64::NAN; ev.step_count()]),
    };
    let op = agg.op.id();
    let modifier = agg.modifier.clone();
    if agg.param.is_none() && FOLDED.contains(&op) {
        let Value::Vector(input) = input else { return Ok(Value::Vector(Vec::new())) };
        let marked = marked_groups(&modifier, &input);
        let mut out = fold_series(ev, op, &modifier, input);
        if !marked.is_empty() {
            for s in &mut out {
                if marked.binary_search(&s.labels).is_ok() {
                    s.labels = s.labels.drop_name(true);
                }
            }
        }
        return Ok(Value::Vector(out));
    }
    let series = ev.step_eval(&[input, param], |args, _| {
        let StepArg::Vector(v) = &args[0] else { return Ok(Vec::new()) };
        let mut groups: BTreeMap<Labels, Vec<(&Labels, f64)>> = BTreeMap::new();
        for &(labels, x) in v {
            groups.entry(group_of(&modifier, labels)).or_default().push((labels, x));
        }
        // Under delayed name removal a group whose members had their names dropped drops its own.
        let groups = groups.into_iter().map(|(group, members)| {
            if members.iter().any(|(l, _)| l.name_dropped()) {
                (group.drop_name(true), members)
            } else {
                (group, members)
            }
        });
        let mut out = Vec::new();
        match (op, &args[1]) {
            (token::T_TOPK | token::T_BOTTOMK, StepArg::Scalar(k)) => {
                if k.is_nan() {
                    return Err(QueryError::invalid(format!("parameter value is NaN for {}", agg.op)));
                }
                let k = if *k >= 9.2e18 { usize::MAX } else { k.max(0.0) as usize };
                for (_, mut members) in groups {
                    members.sort_by(|a, b| {
                        // NaN sorts last for both.
                        match (a.1.is_nan(), b.1.is_nan()) {
                            (true, true) => std::cmp::Ordering::Equal,
                            (true, false) => std::cmp::Ordering::Greater,
                            (false, true) => std::cmp::Ordering::Less,
                            _ if op == token::T_TOPK => b.1.total_cmp(&a.1),
                            _ => a.1.total_cmp(&b.1),
                        }
                    });
                    out.extend(members.into_iter().take(k).map(|(l, v)| (l.clone(), v)));
                }
            }
            (token::T_COUNT_VALUES, StepArg::String(label)) => {
                if !valid_label_name(label) {
                    return Err(QueryError::invalid(format!("invalid label name {label:?}")));
                }
                for (group, members) in groups {
                    let mut counts: BTreeMap<String, f64> = BTreeMap::new();
                    for (_, v) in members {
                        *counts.entry(super::go_float(v)).or_default() += 1.0;
                    }
                    for (value, n) in counts {
                        out.push((group.with(label, &value), n));
                    }
                }
            }
            (token::T_QUANTILE, StepArg::Scalar(q)) => {
                for (group, members) in groups {
                    let values: Vec<f64> = members.iter().map(|m| m.1).collect();
                    out.push((group, quantile(*q, values)));
                }
            }
            (token::T_LIMITK | token::T_LIMIT_RATIO, StepArg::Scalar(p)) => {
                if p.is_nan() {
                    return Err(QueryError::invalid(format!("parameter value is NaN for {}", agg.op)));
                }
                for (_, members) in groups {
                    let kept = if op == token::T_LIMITK {
                        super::limit::limitk(*p, members)?
                    } else {
                        super::limit::limit_ratio(*p, members)?
                    };
                    out.extend(kept.into_iter().map(|(l, v)| (l.clone(), v)));
                }
            }
            _ => {
                for (group, members) in groups {
                    let values = members.iter().map(|m| m.1);
                    out.push((group, fold(op, values)?));
                }
            }
        }
        Ok(out)
    })?;
    Ok(Value::Vector(series))
}

/// The aggregations [`fold_series`] computes.
pub(super) const FOLDED: [u16; 6] =
    [token::T_SUM, token::T_AVG, token::T_COUNT, token::T_GROUP, token::T_MIN, token::T_MAX];

/// Under delayed name removal, the groups of the series whose names were dropped: the group drops its
/// name at the end too (Prometheus's `groupedAggregation.dropName`), though its members share one group
/// with series whose names stay.
fn marked_groups(modifier: &Option<LabelModifier>, input: &[super::engine::StepSeries]) -> Vec<Labels> {
    let mut out: Vec<Labels> =
        input.iter().filter(|s| s.labels.name_dropped()).map(|s| group_of(modifier, &s.labels)).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The group of a series under `by`/`without`: its labels [`in_group`] keeps.
pub(super) fn group_of(modifier: &Option<LabelModifier>, labels: &Labels) -> Labels {
    Labels::from_sorted(labels.pairs().iter().filter(|(n, _)| in_group(modifier, n)).cloned().collect())
}

/// Whether a label named `n` is part of a series' group under `by`/`without`: a `by` label; under `without`,
/// any label not listed that does not go with the name.
pub(super) fn in_group(modifier: &Option<LabelModifier>, n: &str) -> bool {
    match modifier {
        Some(LabelModifier::Include(by)) => by.labels.iter().any(|k| k == n),
        Some(LabelModifier::Exclude(without)) => {
            !without.labels.iter().any(|k| k == n) && !super::value::is_name_label(n)
        }
        None => false,
    }
}

/// `sum`, `avg`, `count`, `group`, `min` and `max` series by series rather than step by step: each input
/// series' group is worked out once, not at every step, and each group's members are folded into one running
/// [`Fold`] per step in series order, so the result is the per-step fold's, bit for bit.
fn fold_series(
    ev: &Evaluator,
    op: u16,
    modifier: &Option<LabelModifier>,
    input: Vec<super::engine::StepSeries>,
) -> Vec<super::engine::StepSeries> {
    let steps: Vec<i64> = ev.steps().collect();
    let keys: Vec<Labels> = par_parts(&input, |part| part.iter().map(|s| group_of(modifier, &s.labels)).collect());
    let mut order: Vec<usize> = (0..input.len()).collect();
    // Members keep series order within their group.
    order.sort_unstable_by(|&a, &b| keys[a].cmp(&keys[b]).then(a.cmp(&b)));
    let (start, interval) = (ev.start, ev.interval);
    // Points lie on the steps; `add` is the cheapest update the operator needs.
    let add_all = |folds: &mut [Fold], points: &[(i64, f64)], add: fn(&mut Fold, f64)| {
        for &(ts, v) in points {
            add(&mut folds[((ts - start) / interval) as usize], v);
        }
    };
    let add: fn(&mut Fold, f64) = match op {
        token::T_COUNT | token::T_GROUP => Fold::add_count,
        _ => Fold::add,
    };
    let groups: Vec<&[usize]> = order.chunk_by(|&a, &b| keys[a] == keys[b]).collect();
    let mut out = par_parts(&groups, |part| {
        let mut folds = vec![Fold::default(); steps.len()];
        let mut out = Vec::with_capacity(part.len());
        for members in part {
            if members.len() == 1 {
                // Filled below from the member's own points.
                out.push(super::engine::StepSeries { labels: Labels::default(), points: Vec::new() });
                continue;
            }
            folds.fill(Fold::default());
            for &m in *members {
                add_all(&mut folds, &input[m].points, add);
            }
            let points =
                folds.iter().zip(&steps).filter(|(f, _)| f.count > 0).map(|(f, &ts)| (ts, f.value(op))).collect();
            out.push(super::engine::StepSeries { labels: keys[members[0]].clone(), points });
        }
        out
    });
    // A group of one series: its points, each value folded alone, in place (`by` over labels that tell every
    // series apart, as `sum by (le, job)` over one instance a job).
    let (mut input, mut keys) = (input, keys);
    // `sum`, `avg`, `min` and `max` of one finite, non-zero value are that value; anything else is folded.
    let identity = matches!(op, token::T_SUM | token::T_AVG | token::T_MIN | token::T_MAX);
    for (series, members) in out.iter_mut().zip(&groups) {
        if let [m] = **members {
            let mut points = std::mem::take(&mut input[m].points);
            for p in &mut points {
                if identity && p.1.is_finite() && p.1 != 0.0 {
                    continue;
                }
                let mut f = Fold::default();
                add(&mut f, p.1);
                p.1 = f.value(op);
            }
            *series = super::engine::StepSeries { labels: std::mem::take(&mut keys[m]), points };
        }
    }
    out
}

/// A running `sum`/`avg`/`count`/`min`/`max` of one group at one step, fed as [`fold`] reads its values.
#[derive(Clone, Copy, Debug)]
pub(super) struct Fold {
    pub count: usize,
    sum: f64,
    c: f64,
    /// The mean and its Kahan compensation, kept once the sum overflows (`incremental`).
    mean: f64,
    mean_c: f64,
    incremental: bool,
    min: f64,
    max: f64,
}

impl Default for Fold {
    fn default() -> Fold {
        Fold { count: 0, sum: 0.0, c: 0.0, mean: 0.0, mean_c: 0.0, incremental: false, min: f64::NAN, max: f64::NAN }
    }
}

impl Fold {
    /// Counts `v` only (for `count` and `group`).
    pub fn add_count(&mut self, _v: f64) {
        self.count += 1;
    }

    /// Adds `v` to the sum only (for `sum`, which reads nothing else).
    pub fn add_sum(&mut self, v: f64) {
        (self.sum, self.c) = kahan_add(v, self.sum, self.c);
        self.count += 1;
    }

    /// Adds `v` to every running figure.
    pub fn add(&mut self, v: f64) {
        let (sum, c) = kahan_add(v, self.sum, self.c);
        // As Prometheus's `avg`: once the sum would overflow, the mean goes on incrementally from the sum so
        // far (`q·mean + v/n`, compensated), which does not.
        if self.count > 0 && (self.incremental || sum.is_infinite()) {
            if !self.incremental {
                self.incremental = true;
                self.mean = self.sum / self.count as f64;
                self.mean_c = self.c / self.count as f64;
            }
            let n = self.count as f64 + 1.0;
            let q = (n - 1.0) / n;
            (self.mean, self.mean_c) = kahan_add(v / n, q * self.mean, q * self.mean_c);
        }
        (self.sum, self.c) = (sum, c);
        self.count += 1;
        if self.min.is_nan() || v < self.min {
            self.min = v;
        }
        if self.max.is_nan() || v > self.max {
            self.max = v;
        }
    }

    pub fn value(&self, op: u16) -> f64 {
        let sum = if (self.sum + self.c).is_nan() && !self.sum.is_nan() { self.sum } else { self.sum + self.c };
        match op {
            token::T_SUM => sum,
            token::T_AVG if self.incremental => self.mean + self.mean_c,
            token::T_AVG => self.sum / self.count as f64 + self.c / self.count as f64,
            token::T_COUNT => self.count as f64,
            token::T_GROUP => 1.0,
            token::T_MIN => self.min,
            _ => self.max,
        }
    }
}

fn fold(op: u16, values: impl Iterator<Item = f64> + Clone) -> Result<f64, QueryError> {
    let count = values.clone().count() as f64;
    Ok(match op {
        token::T_SUM => kahan_sum(values),
        token::T_AVG => {
            let mut avg = Fold::default();
            values.for_each(|v| avg.add(v));
            avg.value(token::T_AVG)
        }
        token::T_COUNT => count,
        token::T_GROUP => 1.0,
        token::T_MIN => values.fold(f64::NAN, |m, v| if m.is_nan() || v < m { v } else { m }),
        token::T_MAX => values.fold(f64::NAN, |m, v| if m.is_nan() || v > m { v } else { m }),
        token::T_STDDEV | token::T_STDVAR => {
            let var = variance(values);
            if op == token::T_STDDEV { var.sqrt() } else { var }
        }
        _ => return Err(QueryError::unsupported("this aggregation is not supported")),
    })
}

/// A Kahan-Neumaier compensated sum, as Prometheus sums.
pub(super) fn kahan_sum(values: impl Iterator<Item = f64>) -> f64 {
    let (mut sum, mut c) = (0.0, 0.0);
    for v in values {
        (sum, c) = kahan_add(v, sum, c);
    }
    if (sum + c).is_nan() && !sum.is_nan() { sum } else { sum + c }
}

/// Population variance by Welford's method.
pub(super) fn variance(values: impl Iterator<Item = f64>) -> f64 {
    let (mut n, mut mean, mut m2) = (0.0, 0.0, 0.0);
    for v in values {
        n += 1.0;
        let delta = v - mean;
        mean += delta / n;
        m2 += delta * (v - mean);
    }
    m2 / n
}

/// Whether `name` is a valid label name.
pub(super) fn valid_label_name(name: &str) -> bool {
    // Prometheus 3 accepts any UTF-8 name but the empty one.
    !name.is_empty()
}
