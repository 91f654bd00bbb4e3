//! The series a query can see, each with its labels and where its samples come from, indexed by metric
//! name so a selector naming a metric reads only that metric's series (an all-series scan over 100,000
//! label sets costs seconds; the index makes it a lookup).

use super::exporter::Derived;
use crate::promql::Labels;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where a visible series' samples come from.
#[derive(Clone, Copy, Debug)]
pub enum Source {
    /// A column of the history, as recorded.
    Column(u32),
    /// Derived from an instance's columns the way its exporter would show it (see `exporter.rs`).
    Derived {
        /// Instance index.
        instance: u32,
        /// Which series.
        what: Derived,
    },
}

/// Every visible series.
#[derive(Debug, Default)]
pub struct Catalog {
    labels: Vec<Labels>,
    sources: Vec<Source>,
    by_name: BTreeMap<Arc<str>, Vec<usize>>,
    /// Interned label values, so a hundred thousand label sets share their strings.
    strings: BTreeMap<String, Arc<str>>,
}

impl Catalog {
    /// Interns a string.
    pub fn intern(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.strings.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.strings.insert(s.to_string(), a.clone());
        a
    }

    /// Adds a series with these label pairs (any order; `__name__` among them).
    pub fn add(&mut self, pairs: &[(&str, &str)], source: Source) -> usize {
        let mut sorted: Vec<(Arc<str>, Arc<str>)> =
            pairs.iter().map(|(n, v)| (self.intern(n), self.intern(v))).collect();
        sorted.sort();
        let labels = Labels::from_sorted(sorted);
        let id = self.labels.len();
        let name = self.intern(labels.name());
        self.by_name.entry(name).or_default().push(id);
        self.labels.push(labels);
        self.sources.push(source);
        id
    }

    /// Number of series.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there is no series.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Labels of series `id`.
    pub fn labels(&self, id: usize) -> &Labels {
        &self.labels[id]
    }

    /// Source of series `id`.
    pub fn source(&self, id: usize) -> Source {
        self.sources[id]
    }

    /// Series of the metric `name`, ascending.
    pub fn named(&self, name: &str) -> &[usize] {
        self.by_name.get(name).map_or(&[], |v| v.as_slice())
    }

    /// Every metric name, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(|k| &**k)
    }
}
