//! Fused evaluation of the shapes dashboard panels ask most, an aggregation over a range function of a
//! selector (`sum by (job) (rate(http_requests_total[5m]))`) and `histogram_quantile` over one
//! (`histogram_quantile(0.99, sum by (le, job) (rate(x_bucket[5m])))`): each series' function values are
//! folded straight into its group's running folds, step by step, and a histogram's buckets straight into its
//! quantile, without building a vector per series or per bucket first. The answer is the unfused
//! evaluation's, bit for bit: the same groups in the same order, each group's members folded in series order
//! by the same [`Fold`], each histogram's buckets gathered in the same order. Shapes it does not cover
//! (subqueries, extended ranges, functions with scalar arguments, series whose names would collide once
//! dropped, delayed name removal, start timestamps, few large groups) are left to the general path.

use super::aggregation::{FOLDED, Fold, group_of, in_group};
use super::engine::{
    Evaluator, PARALLEL_MIN, RangeSource, StepSeries, Value, Window, par_parts, par_sort_by, par_weighted,
    range_source, threads, unparen, window_bounds,
};
use super::error::QueryError;
use super::functions::{NOT_HISTOGRAM, bucket_quantile, extrapolate, parse_le, range_function};
use super::storage::Storage;
use super::value::{Labels, is_name_label, is_stale};
use promql_parser::parser::token;
use promql_parser::parser::{AggregateExpr, Expr, LabelModifier};
use std::hash::{Hash, Hasher};

/// Range functions of one argument whose value depends on one window only.
const FUSED: &[&str] = &[
    "rate",
    "increase",
    "delta",
    "irate",
    "idelta",
    "deriv",
    "avg_over_time",
    "sum_over_time",
    "count_over_time",
    "present_over_time",
    "min_over_time",
    "max_over_time",
    "stddev_over_time",
    "stdvar_over_time",
    "mad_over_time",
    "last_over_time",
    "first_over_time",
    "changes",
    "resets",
    "ts_of_first_over_time",
    "ts_of_last_over_time",
    "ts_of_max_over_time",
    "ts_of_min_over_time",
];

/// Fewest groups per thread for the fused path: with fewer, one large group would keep one core busy while
/// the general path spreads its members over all of them.
const GROUPS_PER_THREAD: usize = 8;

/// Series read from storage at a time: few enough that their samples stay in the core's cache between
/// being read and being folded.
const FUSED_BLOCK: usize = 512;

/// An aggregation over a range function of a selector, its series selected and grouped.
struct Plan<'e, 's> {
    function: &'e str,
    op: u16,
    store: &'s dyn Storage,
    /// Selected series, ascending.
    ids: Vec<usize>,
    /// Each selected series' group, as labels borrowed from the series' own.
    keys: Keys<'s>,
    modifier: &'e Option<LabelModifier>,
    windows: Vec<Window>,
    /// Samples are read with `lo < t <= hi`.
    lo: i64,
    hi: i64,
    block_len: usize,
}

impl<'s> Plan<'_, 's> {
    /// The plan for `agg`, or `None` when its shape is not one this covers or its groups, told apart without
    /// the labels named in `ignoring`, are too few to keep every thread busy.
    fn of<'e>(ev: &mut Evaluator<'s>, agg: &'e AggregateExpr, ignoring: &[&str]) -> Option<Plan<'e, 's>> {
        let op = agg.op.id();
        // Names dropped late, and start timestamps, are the general path's to read.
        if agg.param.is_some() || !FOLDED.contains(&op) || ev.delayed_names || ev.store.has_start_times() {
            return None;
        }
        let Expr::Call(call) = unparen(&agg.expr) else { return None };
        let function = call.func.name;
        if !FUSED.contains(&function) || call.args.args.len() != 1 {
            return None;
        }
        let source = range_source(&call.args.args[0])?;
        let RangeSource::Selector { vs, .. } = source else { return None };
        if super::extended::mode_of(&source).is_some() {
            return None;
        }
        let modifier = &agg.modifier;
        if let Some(LabelModifier::Include(by)) = modifier
            && by.labels.iter().any(|l| is_name_label(l))
        {
            return None;
        }
        let windows = ev.windows(&source);
        let (Some(lo), Some(hi)) = (windows.iter().map(|w| w.start).min(), windows.iter().map(|w| w.end).max()) else {
            return None;
        };
        let ids = ev.select(vs);
        // Without `by` or `without` there is one group: the general path spreads a wide one over the cores.
        if modifier.is_none() && ids.len() >= PARALLEL_MIN {
            return None;
        }
        let store = ev.store;
        // Dropping the name merges series whose names (or types and units) differ: the general path's case.
        let first_name = ids.first().map(|&id| store.labels(id).name());
        let one_name = ids.iter().all(|&id| {
            let labels = store.labels(id);
            Some(labels.name()) == first_name
                && !labels.pairs().iter().any(|(n, _)| matches!(&**n, "__type__" | "__unit__"))
        });
        if !one_name {
            return None;
        }
        if !parallel_enough(store, &ids, modifier, ignoring) {
            return None;
        }
        let keys = Keys::of(store, &ids, modifier);
        let block_len = ev.block_len(lo + 1, hi).min(FUSED_BLOCK);
        Some(Plan { function, op, store, ids, keys, modifier, windows, lo, hi, block_len })
    }

    /// The labels of the group of the series at position `i` of `ids`.
    fn group_labels(&self, i: usize) -> Labels {
        group_of(self.modifier, self.store.labels(self.ids[i]))
    }

    /// Folds each of `groups` (positions in `ids`, members in series order) over the steps, calling `emit`
    /// with each group's index and folds, in order, once all its members are in.
    fn fold(&self, groups: &[&[usize]], mut emit: impl FnMut(usize, &[Fold])) -> Result<(), QueryError> {
        let add: fn(&mut Fold, f64) = match self.op {
            token::T_COUNT | token::T_GROUP => Fold::add_count,
            token::T_SUM => Fold::add_sum,
            _ => Fold::add,
        };
        let counter = matches!(self.function, "rate" | "increase");
        let mut folds = vec![Fold::default(); self.windows.len()];
        let members: Vec<(usize, usize)> =
            groups.iter().enumerate().flat_map(|(g, m)| m.iter().map(move |&i| (g, i))).collect();
        let mut current = 0;
        let mut block_ids = Vec::with_capacity(self.block_len);
        let mut bounds = Vec::with_capacity(self.windows.len());
        let mut read = Vec::new();
        for block in members.chunks(self.block_len) {
            block_ids.clear();
            block_ids.extend(block.iter().map(|&(_, i)| self.ids[i]));
            self.store.samples_into(&block_ids, self.lo + 1, self.hi, &mut read);
            for (&(g, _), samples) in block.iter().zip(read.iter_mut()) {
                while current < g {
                    emit(current, &folds);
                    folds.fill(Fold::default());
                    current += 1;
                }
                if samples.iter().any(|&(_, v)| is_stale(v)) {
                    samples.retain(|&(_, v)| !is_stale(v));
                }
                // A counter that never falls has no reset to add back in any window.
                let monotonic = counter && !samples.windows(2).any(|p| p[1].1 < p[0].1);
                window_bounds(&self.windows, samples, &mut bounds);
                for ((fold, w), &(from, to)) in folds.iter_mut().zip(&self.windows).zip(&bounds) {
                    if from >= to {
                        continue;
                    }
                    let s = &samples[from..to];
                    let value = if monotonic {
                        extrapolate(s, &[], w, s[s.len() - 1].1 - s[0].1, true, self.function == "rate")
                    } else {
                        range_function(self.function, s, w, f64::NAN)?
                    };
                    if let Some(v) = value {
                        add(fold, v);
                    }
                }
            }
        }
        while current < groups.len() {
            emit(current, &folds);
            folds.fill(Fold::default());
            current += 1;
        }
        Ok(())
    }

    /// A group's points from its folds: the steps where it had a value.
    fn points(&self, folds: &[Fold]) -> Vec<(i64, f64)> {
        let mut points = Vec::with_capacity(folds.len());
        points.extend(
            folds.iter().zip(&self.windows).filter(|(f, _)| f.count > 0).map(|(f, w)| (w.ts, f.value(self.op))),
        );
        points
    }
}

/// `agg by (…) (f(x[r]))` evaluated series by series into its groups, or `None` when the shape is not one
/// this covers (the caller evaluates it the general way).
pub(super) fn aggregate_range(ev: &mut Evaluator, agg: &AggregateExpr) -> Option<Result<Value, QueryError>> {
    let plan = Plan::of(ev, agg, &[])?;
    let keys = &plan.keys;
    let mut order: Vec<usize> = (0..plan.ids.len()).collect();
    par_sort_by(&mut order, |&a, &b| keys.get(a).cmp(keys.get(b)).then(a.cmp(&b)));
    let groups: Vec<&[usize]> = order.chunk_by(|&a, &b| keys.get(a) == keys.get(b)).collect();
    let results = par_weighted(
        &groups,
        |g| g.len(),
        |part| {
            let mut out = Vec::with_capacity(part.len());
            let folded = plan.fold(part, |g, folds| {
                let points = plan.points(folds);
                if !points.is_empty() {
                    out.push(StepSeries { labels: plan.group_labels(part[g][0]), points });
                }
            });
            vec![folded.map(|()| out)]
        },
    );
    collect(results, groups.len())
}

/// `histogram_quantile(φ, agg by (le, …) (f(x[r])))` with each histogram's buckets folded and read into its
/// quantile in place, or `None` when the shape is not one this covers.
pub(super) fn histogram_quantile(ev: &mut Evaluator, args: &[Box<Expr>]) -> Option<Result<Value, QueryError>> {
    let [q, buckets] = args else { return None };
    let Expr::Aggregate(agg) = unparen(buckets) else { return None };
    // Left to the general path, φ is read again: its notes (a subquery's are not deduplicated) go with it.
    let noted = ev.notes.len();
    let fallback = |ev: &mut Evaluator| {
        ev.notes.truncate(noted);
        None
    };
    let q = match ev.eval(q) {
        Ok(Value::Scalar(q)) => q,
        _ => return fallback(ev),
    };
    let Some(plan) = Plan::of(ev, agg, &NOT_HISTOGRAM) else { return fallback(ev) };
    let keys = &plan.keys;
    // Each aggregation group's bound; groups without a valid `le` are no bucket.
    let bounds: Vec<Option<f64>> = (0..plan.ids.len())
        .map(|i| parse_le(keys.get(i).iter().find(|(n, _)| *n == "le").map_or("", |(_, v)| v)))
        .collect();
    let bound = |i: usize| bounds[i].unwrap_or(f64::NAN);
    let histogram = |a: usize, b: usize| {
        let outside = |(n, _): &&(&str, &str)| !NOT_HISTOGRAM.contains(n);
        keys.get(a).iter().filter(outside).cmp(keys.get(b).iter().filter(outside))
    };
    let mut order: Vec<usize> = (0..plan.ids.len()).filter(|&i| bounds[i].is_some()).collect();
    // Histograms in their labels' order; each one's buckets by bound, then in their groups' order (the order
    // `bucket_quantile`'s stable sort by bound leaves the aggregation's output in, so it finds them sorted);
    // each bucket's members in series order.
    par_sort_by(&mut order, |&a, &b| {
        histogram(a, b)
            .then_with(|| bound(a).total_cmp(&bound(b)))
            .then_with(|| keys.get(a).cmp(keys.get(b)))
            .then(a.cmp(&b))
    });
    let buckets: Vec<&[usize]> = order.chunk_by(|&a, &b| keys.get(a) == keys.get(b)).collect();
    let histograms: Vec<&[&[usize]]> = buckets.chunk_by(|a, b| histogram(a[0], b[0]).is_eq()).collect();
    let ignored: Vec<String> = NOT_HISTOGRAM.iter().map(|s| s.to_string()).collect();
    let steps = plan.windows.len();
    let results = par_weighted(
        &histograms,
        |h| h.iter().map(|b| b.len()).sum(),
        |part| {
            // The part's buckets in order, each with its histogram's position in the part.
            let of: Vec<usize> = part.iter().enumerate().flat_map(|(h, b)| std::iter::repeat_n(h, b.len())).collect();
            let buckets: Vec<&[usize]> = part.iter().flat_map(|h| h.iter().copied()).collect();
            let mut out = Vec::with_capacity(part.len());
            let mut at_step: Vec<Vec<(f64, f64)>> = vec![Vec::new(); steps];
            let mut current = 0;
            let mut finish = |h: usize, at_step: &mut [Vec<(f64, f64)>]| {
                let mut points = Vec::with_capacity(steps);
                points.extend(
                    at_step
                        .iter_mut()
                        .zip(&plan.windows)
                        .enumerate()
                        .filter(|(_, (b, _))| !b.is_empty())
                        .map(|(k, (b, w))| (w.ts, bucket_quantile(q[k], b))),
                );
                if !points.is_empty() {
                    out.push(StepSeries { labels: plan.group_labels(part[h][0][0]).remove(&ignored), points });
                }
                for b in at_step {
                    b.clear();
                }
            };
            let folded = plan.fold(&buckets, |g, folds| {
                if of[g] != current {
                    finish(current, &mut at_step);
                    current = of[g];
                }
                let le = bound(buckets[g][0]);
                for (k, f) in folds.iter().enumerate() {
                    if f.count > 0 {
                        at_step[k].push((le, f.value(plan.op)));
                    }
                }
            });
            if !part.is_empty() {
                finish(current, &mut at_step);
            }
            vec![folded.map(|()| out)]
        },
    );
    collect(results, histograms.len())
}

/// Whether the groups of `ids` under `modifier`, told apart without the labels named in `ignoring`, are
/// enough to keep every thread busy. Read before any key is built, from a hash of each series' group labels:
/// two groups that share a hash count once, so this may say no where the answer is yes, which only costs
/// speed.
fn parallel_enough(store: &dyn Storage, ids: &[usize], modifier: &Option<LabelModifier>, ignoring: &[&str]) -> bool {
    if ids.len() < PARALLEL_MIN {
        return true;
    }
    let wanted = GROUPS_PER_THREAD * threads();
    let mut seen = std::collections::HashSet::new();
    ids.iter().any(|&id| {
        let mut h = std::hash::DefaultHasher::new();
        for (n, v) in store.labels(id).pairs() {
            if in_group(modifier, n) && !ignoring.contains(&&**n) {
                (&**n, &**v).hash(&mut h);
            }
        }
        seen.insert(h.finish());
        seen.len() >= wanted
    })
}

/// Each selected series' group labels, borrowed from the series' own (no label set built per series):
/// compared pair by pair, then by length, as [`Labels`] compare.
struct Keys<'s> {
    pairs: Vec<(&'s str, &'s str)>,
    /// Where each series' pairs end in `pairs`.
    ends: Vec<usize>,
}

impl<'s> Keys<'s> {
    /// The keys of `ids` under `modifier`: the labels [`in_group`] keeps.
    fn of(store: &'s dyn Storage, ids: &[usize], modifier: &Option<LabelModifier>) -> Keys<'s> {
        let parts = par_parts(ids, |part| {
            let mut pairs = Vec::with_capacity(part.len() * 2);
            let mut lens = Vec::with_capacity(part.len());
            for &id in part {
                let before = pairs.len();
                pairs.extend(
                    store.labels(id).pairs().iter().filter(|(n, _)| in_group(modifier, n)).map(|(n, v)| (&**n, &**v)),
                );
                lens.push(pairs.len() - before);
            }
            vec![(pairs, lens)]
        });
        let mut keys = Keys { pairs: Vec::new(), ends: Vec::with_capacity(ids.len()) };
        for (pairs, lens) in parts {
            let mut end = keys.pairs.len();
            for len in lens {
                end += len;
                keys.ends.push(end);
            }
            keys.pairs.extend(pairs);
        }
        keys
    }

    /// The key of the series at position `i`.
    fn get(&self, i: usize) -> &[(&'s str, &'s str)] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.pairs[start..self.ends[i]]
    }
}

/// The parts' series in order, or the first error.
fn collect(results: Vec<Result<Vec<StepSeries>, QueryError>>, len: usize) -> Option<Result<Value, QueryError>> {
    let mut series = Vec::with_capacity(len);
    for r in results {
        match r {
            Ok(s) => series.extend(s),
            Err(e) => return Some(Err(e)),
        }
    }
    Some(Ok(Value::Vector(series)))
}

#[cfg(test)]
mod tests {
    use super::{Evaluator, Plan};
    use crate::promql::{Labels, MemStorage};
    use promql_parser::parser::Expr;

    /// Whether `query`'s aggregation (at the top, or inside `histogram_quantile`) takes the fused path.
    fn fused(query: &str) -> bool {
        let mut store = MemStorage::new();
        for job in ["a", "b"] {
            for t in 0..10 {
                store.add(&Labels::new([("__name__", "x"), ("job", job), ("le", "1")]), t * 15_000, t as f64);
                store.add(&Labels::new([("__name__", "y"), ("job", job)]), t * 15_000, t as f64);
            }
        }
        let expr = crate::promql::parse(query).expect("parses");
        let agg = match &expr {
            Expr::Aggregate(agg) => agg,
            Expr::Call(call) => match &*call.args.args[1] {
                Expr::Aggregate(agg) => agg,
                _ => panic!("no aggregation"),
            },
            _ => panic!("no aggregation"),
        };
        let mut ev = Evaluator::new(&store, 150_000, 150_000, 1);
        Plan::of(&mut ev, agg, &[]).is_some()
    }

    #[test]
    fn the_dashboard_shapes_are_fused_and_the_rest_are_not() {
        assert!(fused("sum by (job) (rate(x[5m]))"));
        assert!(fused("avg without (le) (increase(x[1m] offset 1m))"));
        assert!(fused("histogram_quantile(0.9, sum by (le, job) (rate(x[5m])))"));
        assert!(!fused("sum by (job) (rate(x[5m:1m]))"), "a subquery");
        assert!(!fused("sum by (__name__) (last_over_time(x[5m]))"), "grouped by the dropped name");
        assert!(!fused("sum by (job) (quantile_over_time(0.5, x[5m]))"), "a scalar argument");
        assert!(!fused("topk by (job) (1, rate(x[5m]))"), "a parameter");
        assert!(!fused("sum by (job) (rate({__name__=~\"x|y\"}[5m]))"), "names that collide once dropped");
        assert!(fused("sum by (job) (rate({__name__=~\"x|z\"}[5m]))"), "one name");
    }
}
