//! The simulation's history as a PromQL [`Storage`]: series are the [`Catalog`]'s, times are milliseconds
//! from the page (negative before it). A selector that names its metric reads only that metric's series.
//!
//! Before the first simulated frame the store shows a backfill: every series at its baseline, one sample a
//! step, back far enough for the longest SLO window (30 days at least). That is what `slo` assumes for the
//! minutes before the history, so a query over an SLO's window and `slo` read the same minutes. The
//! backfill is computed when read, never stored.

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

    fn labels(&self, id: usize) -> &Labels {
        self.catalog.labels(id)
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
        let mut out = Vec::new();
        self.samples_into(ids, mint, maxt, &mut out);
        out
    }

    fn samples_into(&self, ids: &[usize], mint: i64, maxt: i64, out: &mut Vec<Vec<(i64, f64)>>) {
        out.resize_with(ids.len(), Vec::new);
        for v in out.iter_mut() {
            v.clear();
        }
        let h = self.history;
        if h.is_empty() {
            return;
        }
        self.backfill(ids, mint, maxt, out);
        let step_ms = h.step() * 1000;
        let first_ms = h.first_t() * 1000;
        // Frames with mint <= t <= maxt, read time-major so each frame is one contiguous read.
        let from = if mint <= first_ms { 0 } else { ((mint - first_ms) + step_ms - 1) / step_ms };
        if maxt < first_ms {
            return;
        }
        let to = (((maxt - first_ms) / step_ms) + 1).min(h.len() as i64);
        let (from, to) = (from.max(0) as usize, to.max(0) as usize);
        let mut columns = Vec::new();
        let mut derived = Vec::new();
        let mut targets = Vec::new();
        for (k, &id) in ids.iter().enumerate() {
            match self.catalog.source(id) {
                Source::Column(c) => columns.push((k, c as usize)),
                Source::Derived { instance, what } => {
                    derived.push((instance as usize, what));
                    targets.push(k);
                }
            }
        }
        for f in from..to {
            let frame = h.frame(f);
            let t = first_ms + f as i64 * step_ms;
            for &(k, c) in &columns {
                out[k].push((t, frame[c]));
            }
        }
        if !derived.is_empty() {
            self.exporters.samples(h, &derived, from, to, &targets, out);
        }
    }

    fn density(&self, mint: i64, maxt: i64) -> usize {
        let step_ms = self.history.step().max(1) * 1000;
        ((maxt - mint).max(0) / step_ms + 1) as usize
    }
}

impl HistoryStore<'_> {
    /// The samples before the first frame ever recorded, back to [`Exporters::backfill`] seconds before it:
    /// every series at its baseline (derived ones as their exporters would show a baseline day), one a step,
    /// so a window reaching back 30 days reads what `slo` assumed for those minutes.
    fn backfill(&self, ids: &[usize], mint: i64, maxt: i64, out: &mut [Vec<(i64, f64)>]) {
        let e = self.exporters;
        let step = self.history.step();
        let (origin, start) = (e.origin, e.origin - e.backfill);
        // Steps `start..origin` inside `[mint, maxt]`, in seconds, on the history's grid.
        let first = start.max(mint.div_euclid(1000) + i64::from(mint.rem_euclid(1000) != 0));
        let first = start + (first - start + step - 1).div_euclid(step) * step;
        let last = (origin - step).min(maxt.div_euclid(1000));
        if e.baseline.is_empty() || first > last {
            return;
        }
        for (k, &id) in ids.iter().enumerate() {
            let samples = &mut out[k];
            match self.catalog.source(id) {
                Source::Column(c) => {
                    let v = e.baseline[c as usize];
                    samples.extend((first..=last).step_by(step as usize).map(|t| (t * 1000, v)));
                }
                Source::Derived { instance, what } => {
                    for t in (first..=last).step_by(step as usize) {
                        if let Some(v) = e.backfill_value(instance as usize, what, t) {
                            samples.push((t * 1000, v));
                        }
                    }
                }
            }
        }
    }
}
