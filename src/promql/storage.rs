//! Where series come from: the [`Storage`] trait the engine reads, and [`MemStorage`], series held in
//! memory (loaded from OpenMetrics text or a test file).

use super::value::Labels;
use promql_parser::label::{MatchOp, Matchers};
use std::collections::BTreeMap;

/// A store of series the engine can query. Times are milliseconds. Wide selections are read from several
/// threads at once, so a store is `Sync`.
pub trait Storage: Sync {
    /// Number of series; ids run from 0.
    fn len(&self) -> usize;

    /// Whether the store holds no series.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The labels of series `id`, metric name included.
    fn labels(&self, id: usize) -> &Labels;

    /// Ids of series whose labels satisfy every matcher, ascending.
    fn select(&self, matchers: &Matchers) -> Vec<usize> {
        (0..self.len())
            .filter(|&id| {
                let labels = self.labels(id);
                matchers.matchers.iter().all(|m| m.is_match(labels.get(&m.name)))
            })
            .collect()
    }

    /// Every metric name, sorted, for did-you-mean hints.
    fn metric_names(&self) -> Vec<String>;

    /// The samples of each of `ids` with `mint <= t <= maxt`, oldest first (stale markers included).
    fn samples(&self, ids: &[usize], mint: i64, maxt: i64) -> Vec<Vec<(i64, f64)>>;

    /// [`Storage::samples`] into `out`, one vector per id, reusing the vectors' memory: a reader going
    /// through a wide selection a block at a time allocates for the first block only.
    fn samples_into(&self, ids: &[usize], mint: i64, maxt: i64, out: &mut Vec<Vec<(i64, f64)>>) {
        *out = self.samples(ids, mint, maxt);
    }

    /// The most samples one series can hold with `mint <= t <= maxt`, if the store knows (0 if not), so the
    /// engine reads a long window a few series at a time.
    fn density(&self, _mint: i64, _maxt: i64) -> usize {
        0
    }

    /// Whether any series holds start timestamps (see [`Storage::start_times`]); most stores hold none.
    fn has_start_times(&self) -> bool {
        false
    }

    /// The start timestamps of series `id`'s samples with `mint <= t <= maxt`, aligned with what
    /// [`Storage::samples`] returns (0 where a sample has none), or `None` when the series holds none: the
    /// time each cumulative sample counts from (OpenMetrics 2's and OTel's start time), which `rate`,
    /// `increase`, `irate` and `resets` read to find resets and the counter's zero point.
    fn start_times(&self, _id: usize, _mint: i64, _maxt: i64) -> Option<Vec<i64>> {
        None
    }
}

/// The metric name a selector's matchers require, if one `__name__="x"` matcher is present.
pub fn required_name(matchers: &Matchers) -> Option<&str> {
    matchers
        .matchers
        .iter()
        .find(|m| m.name == super::value::METRIC_NAME && matches!(m.op, MatchOp::Equal))
        .map(|m| m.value.as_str())
}

/// The ids of `labels` that `matchers` select, ascending, reading only the named metric's series (`by_name`)
/// when the selector names one: the one select both in-memory stores share.
pub fn select_indexed(labels: &[Labels], by_name: &BTreeMap<String, Vec<usize>>, matchers: &Matchers) -> Vec<usize> {
    let candidates: Vec<usize> = match required_name(matchers) {
        Some(name) => by_name.get(name).cloned().unwrap_or_default(),
        None => (0..labels.len()).collect(),
    };
    let mut out: Vec<usize> = candidates
        .into_iter()
        .filter(|&id| matchers.matchers.iter().all(|m| m.is_match(labels[id].get(&m.name))))
        .collect();
    out.sort_unstable();
    out
}

/// Series held in memory, each with its samples sorted by time.
#[derive(Clone, Debug, Default)]
pub struct MemStorage {
    labels: Vec<Labels>,
    samples: Vec<Vec<(i64, f64)>>,
    index: BTreeMap<Labels, usize>,
    by_name: BTreeMap<String, Vec<usize>>,
    /// Start timestamps of the few series that have them, aligned with their samples (0 for none).
    starts: BTreeMap<usize, Vec<i64>>,
}

impl MemStorage {
    /// An empty store.
    pub fn new() -> MemStorage {
        MemStorage::default()
    }

    /// Adds a sample to the series with `labels`, creating it if needed. Samples may come in any order; a
    /// second sample at the same time replaces the first.
    pub fn add(&mut self, labels: &Labels, t: i64, v: f64) {
        self.insert(labels, t, v, None);
    }

    /// [`MemStorage::add`] with the sample's start timestamp (milliseconds; 0 means none).
    pub fn add_with_start(&mut self, labels: &Labels, t: i64, v: f64, start: i64) {
        self.insert(labels, t, v, Some(start));
    }

    fn insert(&mut self, labels: &Labels, t: i64, v: f64, start: Option<i64>) {
        let id = match self.index.get(labels) {
            Some(&id) => id,
            None => {
                let id = self.labels.len();
                self.index.insert(labels.clone(), id);
                self.by_name.entry(labels.name().to_string()).or_default().push(id);
                self.labels.push(labels.clone());
                self.samples.push(Vec::new());
                id
            }
        };
        let series = &mut self.samples[id];
        let (at, new) = match series.last() {
            Some(&(last, _)) if last < t => (series.len(), true),
            None => (0, true),
            _ => match series.binary_search_by_key(&t, |&(x, _)| x) {
                Ok(i) => (i, false),
                Err(i) => (i, true),
            },
        };
        if new {
            series.insert(at, (t, v));
        } else {
            series[at].1 = v;
        }
        let len = series.len();
        match (self.starts.get_mut(&id), start) {
            (Some(starts), start) if new => starts.insert(at, start.unwrap_or(0)),
            (Some(starts), start) => starts[at] = start.unwrap_or(0),
            (None, Some(start)) if start != 0 => {
                let mut starts = vec![0; len];
                starts[at] = start;
                self.starts.insert(id, starts);
            }
            (None, _) => {}
        }
    }

    /// The newest sample time in the store.
    pub fn max_time(&self) -> Option<i64> {
        self.samples.iter().filter_map(|s| s.last().map(|&(t, _)| t)).max()
    }

    /// The oldest sample time in the store.
    pub fn min_time(&self) -> Option<i64> {
        self.samples.iter().filter_map(|s| s.first().map(|&(t, _)| t)).min()
    }

    /// Every series with its samples.
    pub fn series(&self) -> impl Iterator<Item = (&Labels, &[(i64, f64)])> {
        self.labels.iter().zip(self.samples.iter().map(Vec::as_slice))
    }
}

impl Storage for MemStorage {
    fn len(&self) -> usize {
        self.labels.len()
    }

    fn labels(&self, id: usize) -> &Labels {
        &self.labels[id]
    }

    fn select(&self, matchers: &Matchers) -> Vec<usize> {
        select_indexed(&self.labels, &self.by_name, matchers)
    }

    fn metric_names(&self) -> Vec<String> {
        self.by_name.keys().filter(|n| !n.is_empty()).cloned().collect()
    }

    fn samples(&self, ids: &[usize], mint: i64, maxt: i64) -> Vec<Vec<(i64, f64)>> {
        ids.iter()
            .map(|&id| {
                let (from, to) = self.span(id, mint, maxt);
                self.samples[id][from..to].to_vec()
            })
            .collect()
    }

    fn samples_into(&self, ids: &[usize], mint: i64, maxt: i64, out: &mut Vec<Vec<(i64, f64)>>) {
        out.resize_with(ids.len(), Vec::new);
        for (o, &id) in out.iter_mut().zip(ids) {
            let (from, to) = self.span(id, mint, maxt);
            o.clear();
            o.extend_from_slice(&self.samples[id][from..to]);
        }
    }

    fn has_start_times(&self) -> bool {
        !self.starts.is_empty()
    }

    fn start_times(&self, id: usize, mint: i64, maxt: i64) -> Option<Vec<i64>> {
        let starts = self.starts.get(&id)?;
        let (from, to) = self.span(id, mint, maxt);
        Some(starts[from..to].to_vec())
    }
}

impl MemStorage {
    /// The index range of series `id`'s samples with `mint <= t <= maxt`.
    fn span(&self, id: usize, mint: i64, maxt: i64) -> (usize, usize) {
        let s = &self.samples[id];
        let from = s.partition_point(|&(t, _)| t < mint);
        let to = s.partition_point(|&(t, _)| t <= maxt);
        (from, to.max(from))
    }
}
