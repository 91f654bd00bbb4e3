//! Components and resources of the simulation world.

use crate::scenario::{Coupling, Level};
use bevy_ecs::prelude::*;
use rand_pcg::Pcg64Mcg;

/// Index of a service in the scenario (and in every per-service table).
#[derive(Component, Clone, Copy, Debug)]
pub struct ServiceIndex(pub u32);

/// Where a service's series sit: contiguous in a frame (and in [`MetricModels`]) from `first`.
#[derive(Component, Debug)]
pub struct Model {
    /// Series index of the first metric.
    pub first: u32,
    /// Number of metrics.
    pub len: u32,
}

/// The healthy model of every series, in frame order.
#[derive(Resource, Debug, Default)]
pub struct MetricModels(pub Vec<MetricModel>);

/// Healthy behaviour of one metric.
#[derive(Clone, Copy, Debug)]
pub struct MetricModel {
    /// Mean value.
    pub baseline: f64,
    /// Relative noise (standard deviation as a fraction).
    pub noise: f64,
    /// Relative daily amplitude.
    pub seasonality: f64,
    /// Position of its load pattern's factor in `LoadShapes::factors` (0: none, a factor of 1).
    pub load: u32,
}

impl MetricModel {
    /// The healthy value this tick before noise: the baseline, the daily cycle and the load pattern.
    #[inline]
    pub fn base(&self, season: f64, load: &[f64]) -> f64 {
        self.baseline * (1.0 + self.seasonality * season) * load[self.load as usize]
    }
}

/// Series indices (and baselines) of the metrics failure propagation and health read.
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct Vitals {
    /// `error_rate`.
    pub error_rate: Option<(u32, f64)>,
    /// `latency_p50`.
    pub latency_p50: Option<(u32, f64)>,
    /// `latency_p99`.
    pub latency_p99: Option<(u32, f64)>,
    /// `queue_depth`.
    pub queue_depth: Option<(u32, f64)>,
    /// `saturation`: utilisation of the scarcest resource (CPU, a connection pool), 0..=1.
    pub saturation: Option<(u32, f64)>,
    /// `up`: 1 while the process runs, 0 when it is down (on a fleet, the number of members up).
    pub up: Option<(u32, f64)>,
}

/// Edges to the services this one calls.
#[derive(Component, Debug, Default)]
pub struct Dependencies(pub Vec<Edge>);

/// One dependency edge.
#[derive(Clone, Copy, Debug)]
pub struct Edge {
    /// The series of the service depended on.
    pub on: Vitals,
    /// How failure travels.
    pub coupling: Coupling,
    /// Share of requests that touch it.
    pub weight: f64,
    /// Work waiting in the dependency's queue because it fails (async coupling).
    pub backlog: f64,
    /// The coupling and weight the scenario declares, which states' `couplings` override while they hold.
    pub declared: (Coupling, f64),
    /// The path of network elements it crosses (in `network::Network`), or `network::DIRECT`.
    pub via: u32,
}

/// Position in dependency order (dependencies first); entities are spawned in this order.
#[derive(Component, Clone, Copy, Debug)]
pub struct TopoRank(pub u32);

/// Health as derived from metrics each tick.
#[derive(Component, Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Health {
    /// Within normal bounds.
    #[default]
    Healthy,
    /// Errors or latency well above normal.
    Degraded,
    /// Failing most requests.
    Down,
}

/// Background log sources of a service.
#[derive(Component, Debug, Default)]
pub struct LogSources(pub Vec<LogSource>);

/// A log template and its rate.
#[derive(Clone, Debug)]
pub struct LogSource {
    /// Level.
    pub level: Level,
    /// Parsed template.
    pub template: crate::scenario::Template,
    /// Lines per minute.
    pub rate: f64,
}

/// The simulated clock. `now` counts seconds from the page and moves with commands; ticks happen on
/// every `step` boundary it crosses.
#[derive(Resource, Clone, Copy, Debug)]
pub struct SimClock {
    /// Current simulated time.
    pub now: i64,
    /// Time of the last tick.
    pub tick: i64,
    /// Seconds between ticks.
    pub step: i64,
    /// Seconds after midnight at the page.
    pub page_time_of_day: i64,
    /// Daily-cycle factor for the current tick, in -1..=1.
    pub season: f64,
}

/// The frame being computed this tick: one value per series.
#[derive(Resource, Debug, Default)]
pub struct Frame(pub Vec<f64>);

/// Seeded random streams, one per concern so that adding log lines never shifts metric noise.
#[derive(Resource, Debug)]
pub struct Rngs {
    /// Metric noise.
    pub noise: Pcg64Mcg,
    /// Log line counts and placeholder values.
    pub logs: Pcg64Mcg,
}

/// Log lines produced this tick, sorted and stored at the end of the tick.
#[derive(Resource, Debug, Default)]
pub struct PendingLogs(pub Vec<(i64, u32, Level, String)>);
