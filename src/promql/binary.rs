//! Binary operators: arithmetic, comparisons (filtering or `bool`), and the set operators `and`, `or`,
//! `unless`, with Prometheus's vector matching (`on`, `ignoring`, `group_left`, `group_right`).

use super::engine::{Evaluator, StepArg, StepOut, Value};
use super::error::QueryError;
use super::value::Labels;
use promql_parser::parser::token::{self, TokenType};
use promql_parser::parser::{BinModifier, BinaryExpr, LabelModifier, VectorMatchCardinality};
use std::collections::{HashMap, HashSet};

/// Evaluates a binary expression over all steps.
pub(super) fn binary(ev: &mut Evaluator, bin: &BinaryExpr) -> Result<Value, QueryError> {
    let op = bin.op;
    let return_bool = bin.modifier.as_ref().is_some_and(|m| m.return_bool);
    let lhs = ev.eval(&bin.lhs)?;
    let rhs = ev.eval(&bin.rhs)?;
    let comparison = op.is_comparison_operator();
    let delayed = ev.delayed_names;
    match (&lhs, &rhs) {
        (Value::Scalar(a), Value::Scalar(b)) => {
            let mut out = Vec::with_capacity(a.len());
            for (&x, &y) in a.iter().zip(b) {
                let (v, keep) = apply(op, x, y)?;
                out.push(if comparison { if keep { 1.0 } else { 0.0 } } else { v });
            }
            Ok(Value::Scalar(out))
        }
        (Value::Vector(_), Value::Scalar(_)) | (Value::Scalar(_), Value::Vector(_)) => {
            let swap = matches!(lhs, Value::Scalar(_));
            let series = ev.step_eval(&[lhs, rhs], |args, _| {
                let (vector, scalar) = match (&args[0], &args[1]) {
                    (StepArg::Vector(v), StepArg::Scalar(s)) => (v, *s),
                    (StepArg::Scalar(s), StepArg::Vector(v)) => (v, *s),
                    _ => return Ok(Vec::new()),
                };
                let mut out = Vec::with_capacity(vector.len());
                for &(labels, x) in vector {
                    let (l, r) = if swap { (scalar, x) } else { (x, scalar) };
                    let (mut v, keep) = apply(op, l, r)?;
                    // The vector's value is the result of a filtering comparison, whichever side it is on.
                    if comparison && swap {
                        v = r;
                    }
                    if return_bool {
                        v = if keep { 1.0 } else { 0.0 };
                    } else if !keep {
                        continue;
                    }
                    let labels = if return_bool || !comparison { labels.drop_name(delayed) } else { labels.clone() };
                    out.push((labels, v));
                }
                Ok(out)
            })?;
            Ok(Value::Vector(series))
        }
        (Value::Vector(_), Value::Vector(_)) => {
            let default = BinModifier {
                card: if op.is_set_operator() {
                    VectorMatchCardinality::ManyToMany
                } else {
                    VectorMatchCardinality::OneToOne
                },
                matching: None,
                return_bool: false,
                fill_values: Default::default(),
            };
            let modifier = bin.modifier.as_ref().unwrap_or(&default);
            let series = ev.step_eval(&[lhs, rhs], |args, _| {
                let (StepArg::Vector(l), StepArg::Vector(r)) = (&args[0], &args[1]) else { return Ok(Vec::new()) };
                match op.id() {
                    token::T_LAND | token::T_LOR | token::T_LUNLESS => Ok(set_operation(op, l, r, modifier)),
                    _ => vector_binop(op, l, r, modifier, delayed),
                }
            })?;
            Ok(Value::Vector(series))
        }
        _ => Err(QueryError::invalid(format!("operator `{op}` needs numbers or instant vectors"))),
    }
}

/// The labels two series are matched on: those named in `on(…)`, or all but those in `ignoring(…)` and the
/// metric name (`__type__` and `__unit__`, where a series still has them, take part, as in Prometheus).
fn signature(labels: &Labels, matching: &Option<LabelModifier>) -> Labels {
    match matching {
        Some(LabelModifier::Include(on)) => labels.keep(&on.labels),
        Some(LabelModifier::Exclude(ignoring)) => labels.match_key(&ignoring.labels),
        None => labels.match_key(&[]),
    }
}

fn set_operation(op: TokenType, l: &[(&Labels, f64)], r: &[(&Labels, f64)], m: &BinModifier) -> StepOut {
    let sig = |labels: &Labels| signature(labels, &m.matching);
    match op.id() {
        token::T_LAND => {
            let right: HashSet<Labels> = r.iter().map(|(l, _)| sig(l)).collect();
            l.iter().filter(|(labels, _)| right.contains(&sig(labels))).map(|&(l, v)| (l.clone(), v)).collect()
        }
        token::T_LUNLESS => {
            let right: HashSet<Labels> = r.iter().map(|(l, _)| sig(l)).collect();
            l.iter().filter(|(labels, _)| !right.contains(&sig(labels))).map(|&(l, v)| (l.clone(), v)).collect()
        }
        _ => {
            let left: HashSet<Labels> = l.iter().map(|(l, _)| sig(l)).collect();
            let mut out: StepOut = l.iter().map(|&(l, v)| (l.clone(), v)).collect();
            out.extend(r.iter().filter(|(labels, _)| !left.contains(&sig(labels))).map(|&(l, v)| (l.clone(), v)));
            out
        }
    }
}

fn vector_binop(
    op: TokenType,
    lhs: &[(&Labels, f64)],
    rhs: &[(&Labels, f64)],
    m: &BinModifier,
    delayed: bool,
) -> Result<StepOut, QueryError> {
    // `fill(v)`, `fill_left(v)`, `fill_right(v)`: a series missing on one side is matched with `v`.
    let (fill_left, fill_right) = (m.fill_values.lhs, m.fill_values.rhs);
    if (lhs.is_empty() || rhs.is_empty()) && fill_left.is_none() && fill_right.is_none() {
        return Ok(Vec::new());
    }
    let (one_to_many, include) = match &m.card {
        VectorMatchCardinality::OneToMany(labels) => (true, labels.labels.clone()),
        VectorMatchCardinality::ManyToOne(labels) => (false, labels.labels.clone()),
        _ => (false, Vec::new()),
    };
    let one_to_one = matches!(m.card, VectorMatchCardinality::OneToOne);
    // The "one" side is indexed by signature; with group_right the sides swap.
    let (many, one) = if one_to_many { (rhs, lhs) } else { (lhs, rhs) };
    let mut one_by_sig: HashMap<Labels, (&Labels, f64)> = HashMap::with_capacity(one.len());
    for &(labels, v) in one {
        let sig = signature(labels, &m.matching);
        if let Some((dup, _)) = one_by_sig.get(&sig) {
            let side = if one_to_many { "left" } else { "right" };
            let (a, b) = (labels.to_string(), dup.to_string());
            let (a, b) = if a > b { (b, a) } else { (a, b) };
            return Err(QueryError::invalid(format!(
                "found duplicate series for the match group {sig} on the {side} hand-side of the operation: [{a}, {b}];many-to-many matching not allowed: matching labels must be unique on one side"
            )));
        }
        one_by_sig.insert(sig, (labels, v));
    }
    let comparison = op.is_comparison_operator();
    let mut matched: HashSet<Labels> = HashSet::new();
    let mut produced: HashSet<Labels> = HashSet::new();
    let mut out = Vec::new();
    // As in Prometheus, which swaps the sides for group_right before reading the fill values: `fill_left`
    // always fills the "many" side and `fill_right` the "one" side.
    let (fill_many, fill_one) = (fill_left, fill_right);
    // The "one" side's unmatched series get the fill value on the "many" side, after the matched ones.
    let mut filled_many: Vec<(Labels, f64)> = Vec::new();
    let mut rows: Vec<(&Labels, f64)> = many.to_vec();
    if let Some(fill) = fill_many {
        let seen: HashSet<Labels> = many.iter().map(|(l, _)| signature(l, &m.matching)).collect();
        for &(labels, _) in one {
            let sig = signature(labels, &m.matching);
            if !seen.contains(&sig) {
                filled_many.push((sig, fill));
            }
        }
    }
    rows.extend(filled_many.iter().map(|(l, v)| (l, *v)));
    for (labels, v) in rows {
        let sig = signature(labels, &m.matching);
        let (one_labels, w) = match one_by_sig.get(&sig) {
            Some(&(one_labels, w)) => (one_labels, w),
            None => match fill_one {
                Some(fill) => (labels, fill),
                None => continue,
            },
        };
        let (l, r) = if one_to_many { (w, v) } else { (v, w) };
        let (mut value, keep) = apply(op, l, r)?;
        if m.return_bool {
            value = if keep { 1.0 } else { 0.0 };
        }
        // Arithmetic drops the name at once, delayed removal or not; a comparison with `bool` drops it (or
        // marks it); a filtering one keeps the left-hand side's labels, and under delayed removal takes any
        // earlier mark off them, as Prometheus's `VectorBinop` does.
        let mut result = match (comparison, m.return_bool) {
            (false, _) => labels.without_name(),
            (true, true) => labels.drop_name(delayed),
            (true, false) => labels.keep_name(),
        };
        if one_to_one {
            result = match &m.matching {
                Some(LabelModifier::Include(on)) if result.name_dropped() => result.keep(&on.labels).drop_name(true),
                Some(LabelModifier::Include(on)) => result.keep(&on.labels),
                Some(LabelModifier::Exclude(ignoring)) => result.remove(&ignoring.labels),
                None => result,
            };
            if !matched.insert(sig) {
                return Err(QueryError::invalid(
                    "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
                ));
            }
        } else {
            for name in &include {
                result = result.with(name, one_labels.get(name));
            }
            if !produced.insert(result.clone()) {
                return Err(QueryError::invalid(
                    "multiple matches for labels: grouping labels must ensure unique matches",
                ));
            }
        }
        if keep || m.return_bool {
            out.push((result, value));
        }
    }
    Ok(out)
}

/// `a op b` and whether a comparison holds (always true for arithmetic).
pub(super) fn apply(op: TokenType, a: f64, b: f64) -> Result<(f64, bool), QueryError> {
    Ok(match op.id() {
        token::T_ADD => (a + b, true),
        token::T_SUB => (a - b, true),
        token::T_MUL => (a * b, true),
        token::T_DIV => (a / b, true),
        token::T_MOD => (a % b, true),
        token::T_POW => (a.powf(b), true),
        token::T_ATAN2 => (a.atan2(b), true),
        token::T_EQLC => (a, a == b),
        token::T_NEQ => (a, a != b),
        token::T_GTR => (a, a > b),
        token::T_LSS => (a, a < b),
        token::T_GTE => (a, a >= b),
        token::T_LTE => (a, a <= b),
        _ => return Err(QueryError::unsupported(format!("operator `{op}` is not supported"))),
    })
}
