//! The simulation's history as a PromQL [`Storage`]: series ids are frame columns, times are milliseconds
//! from the page (negative before it).

use super::History;
use crate::promql::{Labels, Storage};
use promql_parser::label::Matchers;

/// A read-only view of the history with each column's labels.
pub struct HistoryStore<'a> {
    /// The frames.
    pub history: &'a History,
    /// Labels of each column.
    pub labels: &'a [Labels],
}

impl Storage for HistoryStore<'_> {
    fn len(&self) -> usize {
        self.labels.len()
    }

    fn labels(&self, id: usize) -> Labels {
        self.labels[id].clone()
    }

    fn select(&self, matchers: &Matchers) -> Vec<usize> {
        (0..self.labels.len())
            .filter(|&id| matchers.matchers.iter().all(|m| m.is_match(self.labels[id].get(&m.name))))
            .collect()
    }

    fn metric_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.labels.iter().map(|l| l.name().to_string()).collect();
        names.sort();
        names.dedup();
        names
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
        for k in from.max(0)..to {
            let frame = h.frame(k as usize);
            let t = first_ms + k * step_ms;
            for (o, &id) in out.iter_mut().zip(ids) {
                o.push((t, f64::from(frame[id])));
            }
        }
        out
    }
}
