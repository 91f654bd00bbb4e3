//! Symptoms: what a state does to metrics and logs, as planned per state and as active now. Named
//! structs, not tuples, because a plan counts from the state's entry (`delay`) and an active symptom from
//! a time (`start`): swapping the two must not compile.

use crate::scenario::Template;
use crate::scenario::{Level, Shift};
use bevy_ecs::prelude::*;

/// A metric symptom of a state, as compiled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MetricSymptom {
    /// Series index.
    pub series: usize,
    /// What happens to the value.
    pub shift: Shift,
    /// Seconds over which the shift ramps in.
    pub ramp: i64,
    /// Seconds after the state's entry before it begins.
    pub delay: i64,
    /// Index of its `when` condition in `Incident::symptom_conditions`, if it has one.
    pub when: Option<u32>,
}

/// A metric symptom in force: where its state put it in time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ActiveMetricSymptom {
    /// Series index.
    pub series: usize,
    /// What happens to the value.
    pub shift: Shift,
    /// Simulated time it begins.
    pub start: i64,
    /// Seconds over which the shift ramps in.
    pub ramp: i64,
    /// Its `when` condition and the track whose state it belongs to, if it has one.
    pub when: Option<(u32, u32)>,
    /// Since when its `when` has held (always `Some(start)` without one); `None` while it does not.
    pub holding_since: Option<i64>,
}

impl ActiveMetricSymptom {
    /// The same symptom, ignoring whether its condition holds now.
    fn same(&self, other: &ActiveMetricSymptom) -> bool {
        (self.series, self.shift, self.start, self.ramp, self.when)
            == (other.series, other.shift, other.start, other.ramp, other.when)
    }
}

/// Where a metric was when the symptoms acting on it changed: the next symptoms start from there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Anchor {
    /// Series index.
    pub series: usize,
    /// Time of the change.
    pub at: i64,
    /// The value then, as a multiple of the healthy model (which keeps the noise), or as a plain value when
    /// the model was zero.
    pub from: AnchorValue,
}

/// An anchor's value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AnchorValue {
    /// This many times the healthy value.
    Relative(f64),
    /// This value.
    Absolute(f64),
}

impl AnchorValue {
    /// The anchored value, given this tick's healthy value.
    pub fn at(self, healthy: f64) -> f64 {
        match self {
            AnchorValue::Relative(r) => healthy * r,
            AnchorValue::Absolute(v) => v,
        }
    }
}

/// Symptoms of the current states, rebuilt whenever a track changes state.
#[derive(Resource, Debug, Default)]
pub struct ActiveSymptoms {
    /// Metric shifts in force.
    pub metrics: Vec<ActiveMetricSymptom>,
    /// Log lines the states emit.
    pub logs: Vec<LogSymptom>,
    /// Where each metric whose symptoms changed was at the change.
    pub anchors: Vec<Anchor>,
    /// For each metric a symptom touched on the last tick: (series, healthy value, value after symptoms).
    pub last: Vec<(usize, f64, f64)>,
}

impl ActiveSymptoms {
    /// Replaces the metric symptoms with `next` at time `now`: a metric whose symptoms change is anchored
    /// where it was, so the new ones start from there; a symptom that stays keeps its condition's state.
    pub fn replace_metrics(&mut self, mut next: Vec<ActiveMetricSymptom>, now: i64) {
        for sym in &mut next {
            if let Some(old) = self.metrics.iter().find(|o| o.same(sym)) {
                sym.holding_since = old.holding_since;
            }
        }
        let mut series: Vec<usize> = self.metrics.iter().chain(&next).map(|m| m.series).collect();
        series.sort_unstable();
        series.dedup();
        let of = |list: &[ActiveMetricSymptom], s: usize| -> Vec<ActiveMetricSymptom> {
            list.iter().filter(|m| m.series == s).copied().collect()
        };
        let mut anchors = Vec::new();
        for s in series {
            let (old, new) = (of(&self.metrics, s), of(&next, s));
            if new.is_empty() {
                continue;
            }
            let same = old.len() == new.len() && old.iter().zip(&new).all(|(a, b)| a.same(b));
            if same {
                anchors.extend(self.anchors.iter().filter(|a| a.series == s).copied());
            } else if let Some(&(_, healthy, value)) = self.last.iter().find(|(x, ..)| *x == s) {
                let from =
                    if healthy > 1e-6 { AnchorValue::Relative(value / healthy) } else { AnchorValue::Absolute(value) };
                anchors.push(Anchor { series: s, at: now, from });
            }
        }
        self.metrics = next;
        self.anchors = anchors;
    }
}

/// Log lines a state emits while it lasts.
#[derive(Clone, Debug)]
pub struct LogSymptom {
    /// Service index.
    pub service: u32,
    /// Level.
    pub level: Level,
    /// Template.
    pub template: Template,
    /// Lines per minute.
    pub rate: f64,
    /// The service's `latency_p50` series, which `{ms}` follows.
    pub p50: Option<u32>,
}
