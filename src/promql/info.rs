//! `info(v, {data selector})`, Prometheus's experimental join with info metrics (`target_info` by default):
//! each series of `v` gains the data labels of the info series that share its identifying labels
//! (`instance`, `job`), as Prometheus's `evalInfo` computes it.
//!
//! - The info series are selected by the name matchers of the data selector (`__name__="build_info"`;
//!   `target_info` when it has none, and `.+_info` when it has only negative ones), the identifying labels'
//!   values found in `v`, and the selector's other matchers; they are read at `v`'s own offset and `@` time.
//! - Series of `v` that are themselves info metrics (matching the name matchers) pass through unchanged.
//! - With data matchers, only the labels they name are added; a series that no info series matches is kept
//!   only when every data matcher accepts the empty value.
//! - A label two info metrics give different values is an error, as are two info series of one identity at
//!   the same sample time; of two at different times the newer wins.

use super::engine::{Evaluator, StepSeries, Value, unparen};
use super::error::QueryError;
use super::prepass::INFO_MARK;
use super::value::{Labels, METRIC_NAME};
use promql_parser::label::{MatchOp, Matcher, Matchers};
use promql_parser::parser::{AtModifier, Expr, Offset, SubqueryExpr, VectorSelector};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

/// The info metric joined when the data selector names none.
const TARGET_INFO: &str = "target_info";

/// The labels that identify the target an info series describes.
const IDENTIFYING: [&str; 2] = ["instance", "job"];

/// `info(v)` or `info(v, {selector})` at every step.
pub(super) fn info(ev: &mut Evaluator, args: &[Box<Expr>]) -> Result<Value, QueryError> {
    let (Some(base_expr), true) = (args.first(), args.len() <= 2) else {
        return Err(QueryError::invalid("`info` takes an instant vector and an optional label selector"));
    };
    let base = match ev.eval(base_expr)? {
        Value::Vector(v) => v,
        _ => return Err(QueryError::invalid("`info` takes an instant vector as its first argument")),
    };
    let data = match args.get(1).map(|a| unparen(a)) {
        None => None,
        Some(Expr::VectorSelector(vs)) => Some(selector_matchers(vs)),
        Some(_) => {
            return Err(QueryError::invalid("`info`'s second argument is a label selector such as `{data=~\".+\"}`"));
        }
    };
    let name_matchers: Vec<Matcher> = match &data {
        Some(ms) => ms.iter().filter(|m| m.name == METRIC_NAME).cloned().collect(),
        None => vec![Matcher::new(MatchOp::Equal, METRIC_NAME, TARGET_INFO)],
    };
    let effective = effective_name_matchers(name_matchers)?;
    let data_labels: Vec<Matcher> = data.unwrap_or_default().into_iter().filter(|m| m.name != METRIC_NAME).collect();

    let ignored: Vec<bool> = base.iter().map(|s| effective.iter().all(|m| m.is_match(s.labels.name()))).collect();
    let mut identities: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (s, _) in base.iter().zip(&ignored).filter(|(_, ignored)| !**ignored) {
        for name in IDENTIFYING {
            let v = s.labels.get(name);
            if !v.is_empty() {
                identities.entry(name).or_default().insert(v.to_string());
            }
        }
    }
    let info_series = if identities.is_empty() {
        Vec::new()
    } else {
        let (at, offset_ms) = read_time_of(base_expr);
        let mut matchers = data_labels.clone();
        matchers.extend(effective.iter().cloned());
        let mut vs = VectorSelector::new(None, Matchers::new(matchers));
        vs.at = at;
        vs.offset = match offset_ms {
            0 => None,
            o if o > 0 => Some(Offset::Pos(Duration::from_millis(o as u64))),
            o => Some(Offset::Neg(Duration::from_millis(o.unsigned_abs()))),
        };
        // The info selector is not the user's: no did-you-mean for a missing `target_info`.
        let notes = ev.notes.len();
        let mut series = ev.vector_selector(&vs, true)?;
        ev.notes.truncate(notes);
        series.retain(|s| identities.iter().all(|(name, values)| values.contains(s.labels.get(name))));
        series
    };
    combine(ev, &base, &ignored, &info_series, &data_labels).map(Value::Vector)
}

/// A selector's matchers with its metric name as a `__name__` matcher, the prepass's mark left out.
fn selector_matchers(vs: &VectorSelector) -> Vec<Matcher> {
    let mut ms: Vec<Matcher> = vs.matchers.matchers.iter().filter(|m| m.name != INFO_MARK).cloned().collect();
    if let Some(name) = &vs.name {
        ms.push(Matcher::new(MatchOp::Equal, METRIC_NAME, name));
    }
    ms
}

/// Prometheus's `effectiveInfoNameMatchers`: the name matchers as given when one is positive; with only
/// negative ones, `.+_info` as well; with none, `target_info`.
fn effective_name_matchers(matchers: Vec<Matcher>) -> Result<Vec<Matcher>, QueryError> {
    if matchers.iter().any(|m| matches!(m.op, MatchOp::Equal | MatchOp::Re(_))) {
        return Ok(matchers);
    }
    if matchers.is_empty() {
        return Ok(vec![Matcher::new(MatchOp::Equal, METRIC_NAME, TARGET_INFO)]);
    }
    let any_info = match promql_parser::parser::parse("{__name__=~\".+_info\"}") {
        Ok(Expr::VectorSelector(vs)) => vs.matchers.matchers,
        _ => return Err(QueryError::invalid("cannot build the `.+_info` matcher")),
    };
    Ok(any_info.into_iter().chain(matchers).collect())
}

/// Prometheus's `infoSelectTimestampAndOffset`: the `@` time and offset of the first selector of `expr`,
/// with the offsets of the subqueries around it up to the first that has an `@` time.
fn read_time_of(expr: &Expr) -> (Option<AtModifier>, i64) {
    fn first<'e>(e: &'e Expr, path: &mut Vec<&'e SubqueryExpr>) -> Option<(Option<AtModifier>, i64)> {
        match e {
            Expr::VectorSelector(vs) => Some(selector(vs, path)),
            Expr::MatrixSelector(ms) => Some(selector(&ms.vs, path)),
            Expr::Subquery(sq) => {
                path.push(sq);
                let found = first(&sq.expr, path);
                path.pop();
                found
            }
            Expr::Paren(p) => first(&p.expr, path),
            Expr::Unary(u) => first(&u.expr, path),
            Expr::Binary(b) => first(&b.lhs, path).or_else(|| first(&b.rhs, path)),
            Expr::Aggregate(a) => first(&a.expr, path).or_else(|| a.param.as_ref().and_then(|p| first(p, path))),
            Expr::Call(c) => c.args.args.iter().find_map(|a| first(a, path)),
            _ => None,
        }
    }
    fn selector(vs: &VectorSelector, path: &[&SubqueryExpr]) -> (Option<AtModifier>, i64) {
        let mut at = vs.at.clone();
        let mut offset = offset_ms(&vs.offset);
        for sq in path.iter().rev() {
            if at.is_some() {
                break;
            }
            offset += offset_ms(&sq.offset);
            at = sq.at.clone();
        }
        (at, offset)
    }
    first(expr, &mut Vec::new()).unwrap_or((None, 0))
}

fn offset_ms(offset: &Option<Offset>) -> i64 {
    match offset {
        None => 0,
        Some(Offset::Pos(d)) => d.as_millis() as i64,
        Some(Offset::Neg(d)) => -(d.as_millis() as i64),
    }
}

/// An info series' identity for the join: its metric name and identifying labels.
type Signature = (String, String, String);

fn signature(name: &str, labels: &Labels) -> Signature {
    (name.to_string(), labels.get(IDENTIFYING[0]).to_string(), labels.get(IDENTIFYING[1]).to_string())
}

/// Prometheus's `combineWithInfoSeries`, step by step.
fn combine(
    ev: &Evaluator,
    base: &[StepSeries],
    ignored: &[bool],
    info: &[StepSeries],
    data_labels: &[Matcher],
) -> Result<Vec<StepSeries>, QueryError> {
    let info_names: BTreeSet<&str> = info.iter().map(|s| s.labels.name()).collect();
    let keep_unmatched = data_labels.iter().all(|m| m.is_match(""));
    let wanted: BTreeSet<&str> = data_labels.iter().map(|m| m.name.as_str()).collect();
    let mut out: Vec<StepSeries> = Vec::new();
    let mut index: HashMap<Labels, usize> = HashMap::new();
    for ts in ev.steps() {
        // The newest info sample of each identity at this step.
        let mut current: HashMap<Signature, (&Labels, f64)> = HashMap::new();
        for s in info {
            let Some(&(_, orig_t)) = point_at(&s.points, ts) else { continue };
            let sig = signature(s.labels.name(), &s.labels);
            match current.get(&sig) {
                Some(&(existing, t)) if t == orig_t => {
                    return Err(QueryError::invalid(format!(
                        "found duplicate series for info metric: existing {existing} @ {}, new {} @ {}",
                        (t * 1000.0) as i64,
                        s.labels,
                        (orig_t * 1000.0) as i64
                    )));
                }
                Some(&(_, t)) if t > orig_t => {}
                _ => {
                    current.insert(sig, (&s.labels, orig_t));
                }
            }
        }
        for (s, &ignore) in base.iter().zip(ignored) {
            let Some(&(_, v)) = point_at(&s.points, ts) else { continue };
            let labels = if ignore {
                s.labels.clone()
            } else {
                let mut added: BTreeMap<&str, &str> = BTreeMap::new();
                let mut matched = false;
                for name in &info_names {
                    let Some((info_labels, _)) = current.get(&signature(name, &s.labels)) else { continue };
                    matched = true;
                    for (n, value) in info_labels.pairs() {
                        let (n, value) = (&**n, &**value);
                        if n == METRIC_NAME || (!wanted.is_empty() && !wanted.contains(n)) {
                            continue;
                        }
                        if added.get(n).is_some_and(|v| *v != value) {
                            return Err(QueryError::invalid(format!("conflicting label: {n}")));
                        }
                        if !s.labels.get(n).is_empty() {
                            continue;
                        }
                        added.insert(n, value);
                    }
                }
                if !matched && !keep_unmatched {
                    continue;
                }
                added.into_iter().fold(s.labels.clone(), |l, (n, value)| l.with(n, value))
            };
            match index.get(&labels) {
                Some(&i) if out[i].points.last().is_some_and(|&(t, _)| t == ts) => {
                    return Err(QueryError::invalid("vector cannot contain metrics with the same labelset"));
                }
                Some(&i) => out[i].points.push((ts, v)),
                None => {
                    index.insert(labels.clone(), out.len());
                    out.push(StepSeries { labels, points: vec![(ts, v)] });
                }
            }
        }
    }
    Ok(out)
}

fn point_at(points: &[(i64, f64)], ts: i64) -> Option<&(i64, f64)> {
    points.binary_search_by_key(&ts, |p| p.0).ok().map(|i| &points[i])
}
