//! The simulation's history as a PromQL [`Storage`]: series are the [`Catalog`]'s, times are milliseconds
//! from the page (negative before it). A selector that names its metric reads only that metric's series.

use super::History;
use super::catalog::{Catalog, Source};
use super::exporter::Exporters;
use crate::promql::{Labels, Storage, required_name};
use promql_parser::label::Matchers;

/// A read-only view of the history through the catalog of visible series.
pub struct HistoryStore<'a> {
    /// The frames.
    pub history: &'a History,
    /// The visible series.
    pub catalog: &'a Catalog,
    /// Instances whose exporter series derive from the frames.
    pub exporters: &'a Exporters,
}

impl Storage for HistoryStore<'_> {
    fn len(&self) -> usize {
        self.catalog.len()
    }

    fn labels(&self, id: usize) -> Labels {
        self.catalog.labels(id).clone()
    }

    fn select(&self, matchers: &Matchers) -> Vec<usize> {
        let matches = |id: &usize| matchers.matchers.iter().all(|m| m.is_match(self.catalog.labels(*id).get(&m.name)));
        match required_name(matchers) {
            Some(name) => self.catalog.named(name).iter().copied().filter(matches).collect(),
            None => (0..self.catalog.len()).filter(matches).collect(),
        }
    }

    fn metric_names(&self) -> Vec<String> {
        self.catalog.names().map(str::to_string).collect()
    }

    fn samples(&self, ids: &[usize], mint: i64, maxt: i64) -> Vec<Vec<(i64, f64)>> {
        let h = self.history;
        let mut out: Vec<Vec<(i64, f64)>> = vec![Vec::new(); ids.len()];
        if h.is_empty() {
            return out;
        }
        let step_ms = h.step() * 1000;
        let first_ms = h.first_t() * 1000;
        // Frames with mint <= t <= maxt, read time-major so each frame is one contiguous read.
        let from = if mint <= first_ms { 0 } else { ((mint - first_ms) + step_ms - 1) / step_ms };
        if maxt < first_ms {
            return out;
        }
        let to = (((maxt - first_ms) / step_ms) + 1).min(h.len() as i64);
        let (from, to) = (from.max(0) as usize, to.max(0) as usize);
        let mut columns = Vec::new();
        let mut derived = Vec::new();
        for (k, &id) in ids.iter().enumerate() {
            match self.catalog.source(id) {
                Source::Column(c) => columns.push((k, c as usize)),
                Source::Derived { instance, what } => derived.push((k, (instance as usize, what))),
            }
        }
        for f in from..to {
            let frame = h.frame(f);
            let t = first_ms + f as i64 * step_ms;
            for &(k, c) in &columns {
                out[k].push((t, f64::from(frame[c])));
            }
        }
        if !derived.is_empty() {
            let wanted: Vec<_> = derived.iter().map(|&(_, w)| w).collect();
            for ((k, _), samples) in derived.iter().zip(self.exporters.samples(h, &wanted, from, to)) {
                out[*k] = samples;
            }
        }
        out
    }
}
