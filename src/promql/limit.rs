//! `limitk` and `limit_ratio`, Prometheus's experimental aggregations that pick series rather than compute
//! over them: `limitk(k, v)` keeps the first `k` series of each group (in the order they come), and
//! `limit_ratio(r, v)` keeps a stable share of them, chosen by a hash of each series' labels, so the same
//! series are kept at every step and `limit_ratio(r, v)` and `limit_ratio(-(1 - r), v)` split `v` in two.

use super::error::QueryError;
use super::value::{Labels, NAME_DROPPED};

/// `limitk` over one group's members at one step: the first `k` (none when `k < 1`).
pub(super) fn limitk(k: f64, members: Vec<(&Labels, f64)>) -> Result<Vec<(&Labels, f64)>, QueryError> {
    if k.is_nan() {
        return Err(QueryError::invalid("parameter value is NaN for limitk"));
    }
    let k = if k >= members.len() as f64 { members.len() } else { k.max(0.0) as usize };
    Ok(members.into_iter().take(k).collect())
}

/// `limit_ratio` over one group's members at one step: those whose place in `[0, 1)`, their label set's
/// hash over the largest hash, lies below `r` (for `r >= 0`) or at or above `1 + r` (for `r < 0`), as
/// Prometheus's `HashRatioSampler` picks them; `r` is capped to `[-1, 1]`.
pub(super) fn limit_ratio(r: f64, members: Vec<(&Labels, f64)>) -> Result<Vec<(&Labels, f64)>, QueryError> {
    if r.is_nan() {
        return Err(QueryError::invalid("ratio value is NaN for limit_ratio"));
    }
    let r = r.clamp(-1.0, 1.0);
    if r == 0.0 {
        return Ok(Vec::new());
    }
    Ok(members
        .into_iter()
        .filter(|(labels, _)| {
            let offset = labels_hash(labels) as f64 / u64::MAX as f64;
            (r >= 0.0 && offset < r) || (r < 0.0 && offset >= 1.0 + r)
        })
        .collect())
}

/// Prometheus's `labels.Labels.Hash`: XXH64 (seed 0) of each label's name and value, each followed by a
/// 0xff byte, in label order (the mark of a delayed name drop left out).
pub(super) fn labels_hash(labels: &Labels) -> u64 {
    let mut hasher = xxhash_rust::xxh64::Xxh64::new(0);
    for (name, value) in labels.pairs().iter().filter(|(n, _)| &**n != NAME_DROPPED) {
        hasher.update(name.as_bytes());
        hasher.update(&[0xff]);
        hasher.update(value.as_bytes());
        hasher.update(&[0xff]);
    }
    hasher.digest()
}

#[cfg(test)]
mod tests {
    use super::{labels_hash, limit_ratio, limitk};
    use crate::promql::Labels;

    #[test]
    fn the_hash_is_prometheus_s() {
        // XXH64 of "__name__\xffx\xffa\xff1\xff", worked out with the reference C library (libxxhash).
        let labels = Labels::new([("__name__", "x"), ("a", "1")]);
        assert_eq!(labels_hash(&labels), EXPECTED_HASH);
    }

    const EXPECTED_HASH: u64 = 1_373_863_254_455_806_757;

    #[test]
    fn complementary_ratios_split_the_series() {
        let labels: Vec<Labels> = (0..50).map(|i| Labels::new([("i", i.to_string())])).collect();
        let members: Vec<(&Labels, f64)> = labels.iter().map(|l| (l, 1.0)).collect();
        let half = limit_ratio(0.3, members.clone()).unwrap_or_default();
        let rest = limit_ratio(-0.7, members.clone()).unwrap_or_default();
        assert_eq!(half.len() + rest.len(), 50);
        assert!(half.iter().all(|(l, _)| !rest.iter().any(|(r, _)| r == l)));
        assert_eq!(limit_ratio(1.5, members.clone()).map(|v| v.len()).ok(), Some(50));
        assert_eq!(limitk(2.0, members.clone()).map(|v| v.len()).ok(), Some(2));
        assert_eq!(limitk(-1.0, members.clone()).map(|v| v.len()).ok(), Some(0));
        assert!(limitk(f64::NAN, members).is_err());
    }
}
