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
}

/// Symptoms of the current states, rebuilt whenever a track changes state.
#[derive(Resource, Debug, Default)]
pub struct ActiveSymptoms {
    /// Metric shifts in force.
    pub metrics: Vec<ActiveMetricSymptom>,
    /// Log lines the states emit.
    pub logs: Vec<LogSymptom>,
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
    pub rate: f32,
    /// The service's `latency_p50` series, which `{ms}` follows.
    pub p50: Option<u32>,
}
