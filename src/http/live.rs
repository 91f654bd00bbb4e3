//! The series the API reads: a copy of a drill's volunteer-visible series that the thread owning the drill
//! keeps up to date after every input, and that any number of readers query at once without ever holding the
//! drill or its lock.
//!
//! The drill's thread is the only writer ([`Publisher`]). It copies only the samples recorded since its last
//! publication into a new segment and swaps a new [`Snapshot`] in; readers take an `Arc` of the current
//! snapshot (a pointer copy under a mutex held for nanoseconds) and evaluate against it while the drill goes on.
//! Segments are immutable and shared between snapshots; small ones are merged as they accumulate (sizes stay
//! roughly geometric), so a snapshot holds O(log n) segments and publishing copies only new samples, amortised.

use crate::journal::{FeedDrill, JournalError};
use crate::promql::{Labels, Storage, select_indexed};
use crate::session::{Drill, DrillInput};
use crate::sim::Sim;
use promql_parser::label::Matchers;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

/// Samples of every series over one stretch of time: `series[id]` holds series `id`'s samples, oldest first.
#[derive(Debug)]
struct Segment {
    /// Oldest and newest sample time in the segment, milliseconds from the page.
    from: i64,
    to: i64,
    series: Vec<Vec<(i64, f64)>>,
    count: usize,
}

impl Segment {
    fn new(series: Vec<Vec<(i64, f64)>>) -> Option<Segment> {
        let from = series.iter().filter_map(|s| s.first().map(|&(t, _)| t)).min()?;
        let to = series.iter().filter_map(|s| s.last().map(|&(t, _)| t)).max()?;
        let count = series.iter().map(Vec::len).sum();
        Some(Segment { from, to, series, count })
    }

    /// `older` then `newer`, one segment.
    fn merge(older: &Segment, newer: &Segment) -> Segment {
        let width = older.series.len().max(newer.series.len());
        let series = (0..width)
            .map(|id| {
                let mut s = older.series.get(id).cloned().unwrap_or_default();
                s.extend_from_slice(newer.series.get(id).map_or(&[][..], Vec::as_slice));
                s
            })
            .collect();
        Segment { from: older.from, to: newer.to, series, count: older.count + newer.count }
    }
}

/// What a metric is, for `/api/v1/metadata`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricMetadata {
    /// `counter`, `gauge`, `histogram` (or `unknown`).
    pub kind: &'static str,
    /// The scenario's help line for the metric, when it has one.
    pub help: String,
}

/// One consistent view of the series: labels, samples up to the drill's present, and that present.
#[derive(Clone, Debug)]
pub struct Snapshot {
    labels: Arc<Vec<Labels>>,
    by_name: Arc<BTreeMap<String, Vec<usize>>>,
    metadata: Arc<BTreeMap<String, MetricMetadata>>,
    segments: Vec<Arc<Segment>>,
    /// The drill's simulated present, milliseconds from the page.
    now: i64,
}

impl Snapshot {
    /// The drill's simulated present when this snapshot was published, milliseconds from the page.
    pub fn now(&self) -> i64 {
        self.now
    }

    /// Metadata of each metric family, by family name.
    pub fn metadata(&self) -> &BTreeMap<String, MetricMetadata> {
        &self.metadata
    }

    /// Whether series `id` has a sample with `mint <= t <= maxt`.
    pub fn has_samples(&self, id: usize, mint: i64, maxt: i64) -> bool {
        self.segments.iter().filter(|s| s.to >= mint && s.from <= maxt).any(|seg| {
            seg.series.get(id).is_some_and(|s| {
                let i = s.partition_point(|&(t, _)| t < mint);
                s.get(i).is_some_and(|&(t, _)| t <= maxt)
            })
        })
    }

    /// Samples held, over all series.
    pub fn sample_count(&self) -> usize {
        self.segments.iter().map(|s| s.count).sum()
    }

    /// Segments held (for tests of the merge policy).
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// Bytes this snapshot holds on the heap (samples, label tables, index, metadata), counting what it shares
    /// with older snapshots once: what serving the API costs in memory.
    pub fn heap_bytes(&self) -> usize {
        let vec = std::mem::size_of::<Vec<u8>>();
        let samples: usize = self
            .segments
            .iter()
            .map(|s| s.series.capacity() * vec + s.series.iter().map(|v| v.capacity() * 16).sum::<usize>())
            .sum();
        let pair = std::mem::size_of::<(Arc<str>, Arc<str>)>();
        // Label strings are `Arc<str>`: count each text with its two reference counts, as if unshared.
        let labels: usize = self
            .labels
            .iter()
            .map(|l| vec + l.pairs().iter().map(|(n, v)| pair + n.len() + v.len() + 32).sum::<usize>())
            .sum();
        let index: usize = self.by_name.iter().map(|(n, ids)| n.len() + vec + ids.capacity() * 8 + 48).sum();
        let metadata: usize = self.metadata.iter().map(|(n, m)| n.len() + m.help.len() + 96).sum();
        samples + labels + index + metadata
    }
}

impl Storage for Snapshot {
    fn len(&self) -> usize {
        self.labels.len()
    }

    fn labels(&self, id: usize) -> Labels {
        self.labels[id].clone()
    }

    fn select(&self, matchers: &Matchers) -> Vec<usize> {
        select_indexed(&self.labels, &self.by_name, matchers)
    }

    fn metric_names(&self) -> Vec<String> {
        self.by_name.keys().filter(|n| !n.is_empty()).cloned().collect()
    }

    fn samples(&self, ids: &[usize], mint: i64, maxt: i64) -> Vec<Vec<(i64, f64)>> {
        let mut out: Vec<Vec<(i64, f64)>> = vec![Vec::new(); ids.len()];
        for seg in self.segments.iter().filter(|s| s.to >= mint && s.from <= maxt) {
            for (o, &id) in out.iter_mut().zip(ids) {
                let Some(s) = seg.series.get(id) else { continue };
                let from = s.partition_point(|&(t, _)| t < mint);
                let to = s.partition_point(|&(t, _)| t <= maxt);
                o.extend_from_slice(&s[from..to.max(from)]);
            }
        }
        out
    }
}

/// A snapshot seen from the wall clock: every sample time moved by `offset` milliseconds, so that the drill's
/// present falls on the wall clock's now. PromQL then evaluates in wall-clock time throughout (`time()`,
/// `@`, `timestamp()` and the steps of a range agree with what the client asked for).
pub struct WallClockView<'a> {
    /// The snapshot.
    pub snapshot: &'a Snapshot,
    /// Wall-clock Unix milliseconds minus simulated milliseconds from the page.
    pub offset: i64,
}

impl WallClockView<'_> {
    /// A wall-clock time (Unix ms) as simulated ms from the page.
    pub fn to_sim(&self, wall: i64) -> i64 {
        wall.saturating_sub(self.offset)
    }

    /// Whether series `id` has a sample between wall-clock times `start` and `end`.
    pub fn has_samples(&self, id: usize, start: i64, end: i64) -> bool {
        self.snapshot.has_samples(id, self.to_sim(start), self.to_sim(end))
    }
}

impl Storage for WallClockView<'_> {
    fn len(&self) -> usize {
        self.snapshot.len()
    }

    fn labels(&self, id: usize) -> Labels {
        self.snapshot.labels(id)
    }

    fn select(&self, matchers: &Matchers) -> Vec<usize> {
        self.snapshot.select(matchers)
    }

    fn metric_names(&self) -> Vec<String> {
        self.snapshot.metric_names()
    }

    fn samples(&self, ids: &[usize], mint: i64, maxt: i64) -> Vec<Vec<(i64, f64)>> {
        let mut out = self.snapshot.samples(ids, self.to_sim(mint), self.to_sim(maxt));
        for s in &mut out {
            for p in s.iter_mut() {
                p.0 += self.offset;
            }
        }
        out
    }
}

/// The current snapshot, shared between the drill's thread and the API's readers.
#[derive(Debug)]
pub struct LiveSeries {
    current: Mutex<Arc<Snapshot>>,
}

impl LiveSeries {
    /// The newest snapshot; the lock is held only to copy the pointer.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        match self.current.lock() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn replace(&self, snapshot: Snapshot) {
        let snapshot = Arc::new(snapshot);
        match self.current.lock() {
            Ok(mut guard) => *guard = snapshot,
            Err(poisoned) => *poisoned.into_inner() = snapshot,
        }
    }
}

/// The writer: lives with the drill, publishes what the drill has recorded since the last time.
#[derive(Debug)]
pub struct Publisher {
    live: Arc<LiveSeries>,
    /// The snapshot being extended (the one readers have).
    head: Snapshot,
    /// Newest sample time copied so far.
    copied_to: i64,
}

impl Publisher {
    /// Publishes the drill's series as they stand: the series the drill's own `query` reads
    /// ([`Sim::store`], its volunteer-visible telemetry) and the metric metadata its scenario gives.
    pub fn new(sim: &Sim) -> Publisher {
        let store = sim.store();
        let labels: Vec<Labels> = (0..store.len()).map(|id| store.labels(id)).collect();
        let metadata = metadata(sim, &labels);
        let head = Snapshot {
            by_name: Arc::new(index(&labels)),
            labels: Arc::new(labels),
            metadata: Arc::new(metadata),
            segments: Vec::new(),
            now: sim.now() * 1000,
        };
        let live = Arc::new(LiveSeries { current: Mutex::new(Arc::new(head.clone())) });
        let mut publisher = Publisher { live, head, copied_to: i64::MIN / 4 };
        publisher.publish(sim);
        publisher
    }

    /// What readers share.
    pub fn live(&self) -> Arc<LiveSeries> {
        self.live.clone()
    }

    /// Copies the samples recorded since the last call and makes them, with the drill's present, the
    /// snapshot readers see. Cheap when nothing was recorded.
    pub fn publish(&mut self, sim: &Sim) {
        let store = sim.store();
        if store.len() > self.head.labels.len() {
            // Series that appeared since (none today, but a store may grow): readers get the new label table.
            let labels: Vec<Labels> = (0..store.len()).map(|id| store.labels(id)).collect();
            self.head.by_name = Arc::new(index(&labels));
            self.head.labels = Arc::new(labels);
        }
        let ids: Vec<usize> = (0..store.len()).collect();
        let fresh = store.samples(&ids, self.copied_to.saturating_add(1), i64::MAX / 4);
        if let Some(segment) = Segment::new(fresh) {
            self.copied_to = segment.to;
            self.head.segments.push(Arc::new(segment));
            self.compact();
        }
        self.head.now = sim.now() * 1000;
        self.live.replace(self.head.clone());
    }

    /// Merges the newest segment into the one before while that one is no bigger, so sizes stay geometric.
    fn compact(&mut self) {
        let segments = &mut self.head.segments;
        while segments.len() >= 2 && segments[segments.len() - 2].count <= segments[segments.len() - 1].count {
            let (Some(newer), Some(older)) = (segments.pop(), segments.pop()) else { break };
            segments.push(Arc::new(Segment::merge(&older, &newer)));
        }
    }
}

/// Metric names to series ids.
fn index(labels: &[Labels]) -> BTreeMap<String, Vec<usize>> {
    let mut by_name: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (id, l) in labels.iter().enumerate() {
        by_name.entry(l.name().to_string()).or_default().push(id);
    }
    by_name
}

/// Each metric family's type, read from its name as an exporter would declare it (`_total` counters,
/// `_bucket`/`_sum`/`_count` histograms), and the scenario's help line for it.
fn metadata(sim: &Sim, labels: &[Labels]) -> BTreeMap<String, MetricMetadata> {
    let names: std::collections::BTreeSet<&str> = labels.iter().map(Labels::name).filter(|n| !n.is_empty()).collect();
    let help = |name: &str| {
        sim.scenario()
            .services
            .iter()
            .flat_map(|s| &s.metrics)
            .find(|m| m.name == name && !m.help.is_empty())
            .map(|m| m.help.clone())
            .unwrap_or_default()
    };
    let mut out = BTreeMap::new();
    for &name in &names {
        let histogram = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .filter(|family| names.contains(format!("{family}_bucket").as_str()));
        let (family, kind) = match histogram {
            Some(family) => (family, "histogram"),
            None if name.ends_with("_total") => (name, "counter"),
            None => (name, "gauge"),
        };
        let entry = out.entry(family.to_string()).or_insert(MetricMetadata { kind, help: String::new() });
        if entry.help.is_empty() {
            entry.help = help(name);
        }
    }
    out
}

/// A drill that publishes its series after every input, for a front end that feeds it (`wom play
/// --prometheus`).
pub struct Published<'a, D: FeedDrill> {
    /// The drill.
    pub drill: &'a mut D,
    /// Its publisher.
    pub publisher: &'a mut Publisher,
}

impl<D: FeedDrill> FeedDrill for Published<'_, D> {
    fn drill(&self) -> &Drill {
        self.drill.drill()
    }

    fn feed_input(&mut self, input: DrillInput) -> Result<Range<usize>, JournalError> {
        let result = self.drill.feed_input(input);
        self.publisher.publish(self.drill.drill().sim());
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promql::{MemStorage, Storage};

    #[test]
    fn snapshots_agree_with_the_drill_store_and_stay_few_segments() {
        let scenario = Arc::new(crate::scenario::fixture());
        let mut sim = Sim::new(scenario, 3);
        let mut publisher = Publisher::new(&sim);
        let first = publisher.live().snapshot();
        for _ in 0..100 {
            sim.advance(60);
            publisher.publish(&sim);
        }
        let snap = publisher.live().snapshot();
        let store = sim.store();
        let ids: Vec<usize> = (0..store.len()).collect();
        assert_eq!(snap.samples(&ids, i64::MIN / 4, i64::MAX / 4), store.samples(&ids, i64::MIN / 4, i64::MAX / 4));
        assert_eq!(snap.samples(&ids, -600_000, 120_000), store.samples(&ids, -600_000, 120_000));
        assert!(snap.segment_count() <= 12, "{} segments", snap.segment_count());
        assert_eq!(snap.now(), sim.now() * 1000);
        // An earlier snapshot is untouched by later publications.
        assert_eq!(first.now(), 0);
        assert!(first.sample_count() < snap.sample_count());
        assert!(first.samples(&ids, 1, i64::MAX / 4).iter().all(Vec::is_empty));
    }

    #[test]
    fn the_wall_clock_view_moves_times_both_ways() {
        let mut mem = MemStorage::new();
        let labels = Labels::new([("__name__", "up")]);
        mem.add(&labels, -60_000, 1.0);
        mem.add(&labels, 0, 2.0);
        let segment = Segment::new(mem.samples(&[0], i64::MIN / 4, i64::MAX / 4)).unwrap();
        let snapshot = Snapshot {
            labels: Arc::new(vec![labels.clone()]),
            by_name: Arc::new(index(&[labels])),
            metadata: Arc::default(),
            segments: vec![Arc::new(segment)],
            now: 0,
        };
        let view = WallClockView { snapshot: &snapshot, offset: 1_000_000 };
        assert_eq!(view.samples(&[0], 940_000, 1_000_000), vec![vec![(940_000, 1.0), (1_000_000, 2.0)]]);
        assert_eq!(view.samples(&[0], 1_000_001, 2_000_000), vec![vec![]]);
        assert!(view.has_samples(0, 0, 950_000) && !view.has_samples(0, 0, 900_000));
    }
}
