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
                let (a, b) = (older.part(id), newer.part(id));
                let mut s = Vec::with_capacity(a.len() + b.len());
                s.extend_from_slice(a);
                s.extend_from_slice(b);
                s
            })
            .collect();
        Segment { from: older.from, to: newer.to, series, count: older.count + newer.count }
    }

    /// Series `id`'s samples here.
    fn part(&self, id: usize) -> &[(i64, f64)] {
        self.series.get(id).map_or(&[][..], Vec::as_slice)
    }

    /// The samples at `from` or later, one segment (none when nothing is left).
    fn since(&self, from: i64) -> Option<Segment> {
        let series =
            self.series.iter().map(|s| s[s.partition_point(|&(t, _)| t < from)..].to_vec()).collect::<Vec<_>>();
        Segment::new(series)
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
    /// The oldest time still held when older samples were dropped to keep within the budget.
    retained_from: Option<i64>,
}

impl Snapshot {
    /// The drill's simulated present when this snapshot was published, milliseconds from the page.
    pub fn now(&self) -> i64 {
        self.now
    }

    /// Where the samples held begin, milliseconds from the page, when older ones were dropped to keep within
    /// [`MAX_SNAPSHOT_SAMPLES`] (as Prometheus's size-based retention drops its oldest blocks).
    pub fn retained_from(&self) -> Option<i64> {
        self.retained_from
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

    fn labels(&self, id: usize) -> &Labels {
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

/// Most samples a snapshot holds (16 bytes each: 384 MB). A drill with more telemetry than that (the
/// 10,000-service synthetic topology, whose 24 hours of history would take 8.6 GB) is served its newest
/// samples only, as Prometheus's size-based retention keeps its newest blocks: the last hour and a half of
/// 10,000 services' exporter series. Every shipped scenario fits whole, with room to spare.
pub const MAX_SNAPSHOT_SAMPLES: usize = 24_000_000;

/// The writer: lives with the drill, publishes what the drill has recorded since the last time.
#[derive(Debug)]
pub struct Publisher {
    live: Arc<LiveSeries>,
    /// The snapshot being extended (the one readers have).
    head: Snapshot,
    /// Newest sample time copied so far.
    copied_to: i64,
    /// Most samples the snapshot holds.
    budget: usize,
}

impl Publisher {
    /// Publishes the drill's series as they stand: the series the drill's own `query` reads
    /// ([`Sim::store`], its volunteer-visible telemetry) and the metric metadata its scenario gives; at most
    /// [`MAX_SNAPSHOT_SAMPLES`] of them, the newest.
    pub fn new(sim: &Sim) -> Publisher {
        Publisher::with_budget(sim, MAX_SNAPSHOT_SAMPLES)
    }

    /// [`Publisher::new`] holding at most `budget` samples.
    pub fn with_budget(sim: &Sim, budget: usize) -> Publisher {
        let store = sim.store();
        let labels: Vec<Labels> = (0..store.len()).map(|id| store.labels(id).clone()).collect();
        let metadata = metadata(sim, &labels);
        let now = sim.now() * 1000;
        // Copy no more of the history than the budget holds at one sample a minute per series (the finest step
        // the drill records), so a huge drill is never copied whole before being cut down.
        let minutes = (budget / labels.len().max(1)).max(1) as i64;
        let from = now.saturating_sub(minutes.saturating_mul(60_000));
        // Whether anything older exists, asked of a few series (all share the history), not of all of them.
        let few: Vec<usize> = (0..store.len().min(16)).collect();
        // The simulated history: the baseline backfill before it (30 days of one sample a minute for every
        // series, see sim/store.rs) stays with the drill's own `query`.
        let history_from = sim.history().first_t() * 1000;
        let retained_from = store.samples(&few, history_from, from - 1).iter().any(|s| !s.is_empty()).then_some(from);
        let head = Snapshot {
            by_name: Arc::new(index(&labels)),
            labels: Arc::new(labels),
            metadata: Arc::new(metadata),
            segments: Vec::new(),
            now,
            retained_from,
        };
        let live = Arc::new(LiveSeries { current: Mutex::new(Arc::new(head.clone())) });
        let copied_to = retained_from.map_or(history_from, |from| from.max(history_from)) - 1;
        let mut publisher = Publisher { live, head, copied_to, budget };
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
            let labels: Vec<Labels> = (0..store.len()).map(|id| store.labels(id).clone()).collect();
            self.head.by_name = Arc::new(index(&labels));
            self.head.labels = Arc::new(labels);
        }
        let ids: Vec<usize> = (0..store.len()).collect();
        let fresh = store.samples(&ids, self.copied_to.saturating_add(1), i64::MAX / 4);
        if let Some(segment) = Segment::new(fresh) {
            self.copied_to = segment.to;
            self.head.segments.push(Arc::new(segment));
            self.compact();
            self.retain();
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

    /// Past the budget, drops the oldest samples down to three quarters of it (so the cost of cutting is
    /// spread over many publications), estimating the cut from the oldest segment's span.
    fn retain(&mut self) {
        let total = self.head.sample_count();
        if total <= self.budget {
            return;
        }
        let mut excess = total - self.budget / 4 * 3;
        let segments = &mut self.head.segments;
        while let Some(oldest) = segments.first().cloned() {
            if oldest.count <= excess {
                excess -= oldest.count;
                segments.remove(0);
                self.head.retained_from = Some(oldest.to + 1);
                continue;
            }
            let span = (oldest.to - oldest.from).max(1) as f64;
            let cut = oldest.from + (span * excess as f64 / oldest.count as f64).ceil() as i64;
            match oldest.since(cut) {
                Some(kept) => segments[0] = Arc::new(kept),
                None => {
                    segments.remove(0);
                }
            }
            self.head.retained_from = Some(cut);
            break;
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
        let from = sim.history().first_t() * 1000;
        assert_eq!(snap.samples(&ids, i64::MIN / 4, i64::MAX / 4), store.samples(&ids, from, i64::MAX / 4));
        assert_eq!(snap.samples(&ids, -600_000, 120_000), store.samples(&ids, -600_000, 120_000));
        assert!(snap.segment_count() <= 12, "{} segments", snap.segment_count());
        assert_eq!(snap.now(), sim.now() * 1000);
        // An earlier snapshot is untouched by later publications.
        assert_eq!(first.now(), 0);
        assert!(first.sample_count() < snap.sample_count());
        assert!(first.samples(&ids, 1, i64::MAX / 4).iter().all(Vec::is_empty));
    }

    #[test]
    fn a_snapshot_keeps_the_newest_samples_within_its_budget() {
        let mut sim = Sim::new(Arc::new(crate::scenario::fixture()), 3);
        let whole = Publisher::new(&sim).live().snapshot();
        assert_eq!(whole.retained_from(), None);
        let budget = whole.sample_count() / 2;
        let mut publisher = Publisher::with_budget(&sim, budget);
        let first = publisher.live().snapshot();
        assert!(first.sample_count() <= budget && first.retained_from().is_some());
        for _ in 0..300 {
            sim.advance(60);
            publisher.publish(&sim);
            assert!(publisher.live().snapshot().sample_count() <= budget);
        }
        let snap = publisher.live().snapshot();
        assert!(snap.sample_count() >= budget / 2, "{} of {budget}", snap.sample_count());
        // What is held is exactly the drill's samples from where it begins.
        let from = snap.retained_from().unwrap();
        assert!(from > first.retained_from().unwrap());
        let store = sim.store();
        let ids: Vec<usize> = (0..store.len()).collect();
        assert_eq!(snap.samples(&ids, i64::MIN / 4, i64::MAX / 4), store.samples(&ids, from, i64::MAX / 4));
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
            retained_from: None,
        };
        let view = WallClockView { snapshot: &snapshot, offset: 1_000_000 };
        assert_eq!(view.samples(&[0], 940_000, 1_000_000), vec![vec![(940_000, 1.0), (1_000_000, 2.0)]]);
        assert_eq!(view.samples(&[0], 1_000_001, 2_000_000), vec![vec![]]);
        assert!(view.has_samples(0, 0, 950_000) && !view.has_samples(0, 0, 900_000));
    }
}
