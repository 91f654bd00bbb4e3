//! Exporter-shaped series, derived from the domain model the way a service's exporters would expose it.
//!
//! Every instance (a service, or each member of a fleet) gets `up{job,instance}`; with a modelled request
//! rate, `http_requests_total{job,instance,code,method,route}` counters (the integral of the rate, split by
//! the error ratio into `200` and `500`); with p50 and p99 latencies, the `http_request_duration_seconds`
//! histogram (12 cumulative `le` buckets, `_sum`, `_count`) from a log-logistic distribution fitted to the
//! two quantiles, and the `http_requests_in_flight` gauge (rate × mean latency, Little's law). Kind-specific
//! gauges relabel the domain series a Prometheus user would look for under their exporters' names (see
//! [`GAUGES`]).
//!
//! Counters are not stored: they are a deterministic function of the recorded frames, summed on demand from
//! checkpoints kept every [`CHECKPOINT`] frames (filled the first time a query needs them), in f64. A
//! counter resets to 0 when its process restarts: when the instance comes back after being down (`up` 0,
//! during which nothing is scraped and its series have no samples) and when a restart-like action lands on
//! it. Labels carry only what a volunteer may see: service and member names (`job` and `service` are both the
//! service, `instance` the member).

use super::History;
use super::components::SimClock;
use super::incident::{Incident, Input};
use crate::scenario::{Scenario, ServiceKind};
use bevy_ecs::prelude::*;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Upper bounds of the latency histogram's buckets, in seconds (the last is `+Inf`).
pub const BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, f64::INFINITY];

/// Least time an instance has been up when the history starts, and how much more some have.
const UPTIME: i64 = 3 * 86_400;
const UPTIME_SPREAD: i64 = 2 * 86_400;

/// Frames between counter checkpoints.
pub const CHECKPOINT: usize = 30;

/// Domain series renamed to what their exporters call them: (service kind or any, domain metric,
/// exporter metric).
pub const GAUGES: [(Option<ServiceKind>, &str, &str); 9] = [
    (None, "cpu", "process_cpu_usage_ratio"),
    (None, "memory_bytes", "process_resident_memory_bytes"),
    (None, "db_pool_in_use", "db_client_connections_in_use"),
    (None, "db_pool_size", "db_client_connections_max"),
    (None, "db_pool_waiting", "db_client_connections_pending_requests"),
    (Some(ServiceKind::Database), "connections", "pg_stat_activity_count"),
    (Some(ServiceKind::Database), "replication_lag_s", "pg_replication_lag_seconds"),
    (Some(ServiceKind::Queue), "queue_depth", "queue_messages_ready"),
    (Some(ServiceKind::Queue), "queue_age_s", "queue_oldest_message_age_seconds"),
];

/// Counter state slots: requests, failed requests, latency sum, then the buckets; the last slot remembers
/// whether the instance was up on the previous frame.
const TOTAL: usize = 0;
const ERRORS: usize = 1;
const SUM: usize = 2;
const FIRST_BUCKET: usize = 3;
const WAS_UP: usize = FIRST_BUCKET + BUCKETS.len();
const SLOTS: usize = WAS_UP + 1;

type State = [f64; SLOTS];

/// What a derived series shows of its instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Derived {
    /// `up`.
    Up,
    /// `http_requests_total` with `code="200"` (false) or `code="500"` (true).
    Requests(bool),
    /// `http_request_duration_seconds_bucket` with the `le` of [`BUCKETS`] at this position.
    Bucket(u8),
    /// `http_request_duration_seconds_sum`.
    DurationSum,
    /// `http_request_duration_seconds_count`.
    DurationCount,
    /// `http_requests_in_flight`.
    InFlight,
}

/// The domain series one instance's exporter series derive from (frame columns).
#[derive(Clone, Debug, Default)]
pub struct Instance {
    /// Service index.
    pub service: u32,
    /// Member position in its fleet (0 for a plain service).
    pub member: u32,
    /// Requests per second.
    pub requests: Option<u32>,
    /// Failed share of requests.
    pub error_rate: Option<u32>,
    /// Median latency, ms.
    pub p50: Option<u32>,
    /// 99th percentile latency, ms.
    pub p99: Option<u32>,
    /// 1 while up.
    pub up: Option<u32>,
}

impl Instance {
    fn is_up(&self, frame: &[f32]) -> bool {
        self.up.is_none_or(|c| frame[c as usize] >= 0.5)
    }

    /// Adds one frame's worth of requests, `step` seconds of them, to the counters.
    fn accumulate(&self, state: &mut State, frame: &[f32], step: f64) {
        let Some(rate) = self.requests.map(|c| f64::from(frame[c as usize]).max(0.0)) else { return };
        let n = rate * step;
        let err = self.error_rate.map_or(0.0, |c| f64::from(frame[c as usize]).clamp(0.0, 1.0));
        state[TOTAL] += n;
        state[ERRORS] += n * err;
        let (Some(p50), Some(p99)) = (self.p50, self.p99) else { return };
        let fit = LogLogistic::fit(f64::from(frame[p50 as usize]) / 1000.0, f64::from(frame[p99 as usize]) / 1000.0);
        state[SUM] += n * fit.mean();
        for (b, le) in BUCKETS.iter().enumerate() {
            state[FIRST_BUCKET + b] += n * fit.cdf(*le);
        }
    }

    /// Walks one frame: a restart or a return from down resets the counters first; a down frame adds
    /// nothing.
    fn step(&self, state: &mut State, frame: &[f32], step: f64, restarted: bool) {
        let up = self.is_up(frame);
        if up && (restarted || state[WAS_UP] == 0.0) {
            *state = [0.0; SLOTS];
        }
        if up {
            self.accumulate(state, frame, step);
        }
        state[WAS_UP] = if up { 1.0 } else { 0.0 };
    }
}

/// A log-logistic (Fisk) latency distribution with median `alpha` and shape `beta`, fitted so that its
/// 99th percentile is the modelled p99: `F(x) = 1 / (1 + (x/α)^-β)`, `β = ln 99 / ln(p99/p50)`.
#[derive(Clone, Copy, Debug)]
pub struct LogLogistic {
    alpha: f64,
    beta: f64,
}

impl LogLogistic {
    /// Fits p50 and p99 (seconds); a p99 not above p50 is treated as a narrow distribution.
    pub fn fit(p50: f64, p99: f64) -> LogLogistic {
        let alpha = p50.max(1e-6);
        let ratio = (p99 / alpha).max(1.01);
        // β above 1.5 keeps the mean finite and close to what the quantiles suggest.
        LogLogistic { alpha, beta: (99f64.ln() / ratio.ln()).clamp(1.5, 500.0) }
    }

    /// Share of requests no slower than `x` seconds.
    pub fn cdf(&self, x: f64) -> f64 {
        if x.is_infinite() {
            return 1.0;
        }
        1.0 / (1.0 + (-self.beta * (x / self.alpha).ln()).exp())
    }

    /// Mean latency in seconds: `α (π/β) / sin(π/β)`.
    pub fn mean(&self) -> f64 {
        let b = std::f64::consts::PI / self.beta;
        self.alpha * b / b.sin()
    }
}

/// The instances, their restarts and the counter checkpoints.
#[derive(Resource, Debug, Default)]
pub struct Exporters {
    /// Every instance, in catalog order.
    pub instances: Vec<Instance>,
    /// Times at which each instance restarted (sorted).
    pub restarts: Vec<Vec<i64>>,
    /// Time of the first frame ever recorded: frame numbers count from it.
    pub origin: i64,
    /// How many landed inputs [`record_restarts`] has looked at.
    landed: usize,
    /// Counter state at every [`CHECKPOINT`]-th frame of each instance, filled on demand.
    checkpoints: Mutex<Vec<Vec<State>>>,
}

impl Exporters {
    /// Instances of every service (each member of a fleet), with their columns in a frame laid out by
    /// `column(service, member, metric position)`.
    pub fn new(s: &Scenario, origin: i64, column: impl Fn(usize, usize, usize) -> usize) -> Exporters {
        let mut instances = Vec::new();
        for (i, svc) in s.services.iter().enumerate() {
            let position = |name: &str| svc.metrics.iter().position(|m| m.name == name);
            let members = svc.fleet.as_ref().map_or(1, |f| f.size());
            for k in 0..members {
                let col = |name: &str| position(name).map(|p| column(i, k, p) as u32);
                instances.push(Instance {
                    service: i as u32,
                    member: k as u32,
                    requests: col("requests"),
                    error_rate: col("error_rate"),
                    p50: col("latency_p50"),
                    p99: col("latency_p99"),
                    up: col("up"),
                });
            }
        }
        let n = instances.len();
        Exporters {
            instances,
            restarts: vec![Vec::new(); n],
            origin,
            landed: 0,
            checkpoints: Mutex::new(vec![Vec::new(); n]),
        }
    }

    fn restarted(&self, instance: usize, t: i64) -> bool {
        self.restarts[instance].binary_search(&t).is_ok()
    }

    /// Counter state at the start of the history: its processes have been up for a few days already (a
    /// different while for each instance), serving what they serve in the first frame held, so counters
    /// start large as real ones do, not at 0 with the history.
    fn uptime_state(&self, instance: usize, history: &History) -> State {
        let mut state = [0.0; SLOTS];
        if history.is_empty() {
            return state;
        }
        let frame = history.frame(0);
        let inst = &self.instances[instance];
        if !inst.is_up(frame) {
            return state;
        }
        let uptime = UPTIME + (instance as i64 * 7_919) % UPTIME_SPREAD;
        inst.accumulate(&mut state, frame, uptime as f64);
        state[WAS_UP] = 1.0;
        state
    }

    /// Counter state just before frame `at` (an absolute frame number), from the nearest checkpoint.
    fn state_before(&self, instance: usize, at: usize, history: &History) -> State {
        let step = history.step();
        let first = ((history.first_t() - self.origin) / step) as usize;
        let inst = &self.instances[instance];
        let walk = |state: &mut State, from: usize, to: usize| {
            for f in from.max(first)..to {
                let frame = history.frame(f - first);
                inst.step(state, frame, step as f64, self.restarted(instance, self.origin + f as i64 * step));
            }
        };
        let wanted = at / CHECKPOINT;
        let mut state = {
            let mut all = self.checkpoints.lock().unwrap_or_else(|e| e.into_inner());
            let marks = &mut all[instance];
            if marks.is_empty() {
                marks.push(self.uptime_state(instance, history));
            }
            while marks.len() <= wanted {
                let mut state = *marks.last().unwrap_or(&[0.0; SLOTS]);
                let k = marks.len();
                walk(&mut state, (k - 1) * CHECKPOINT, k * CHECKPOINT);
                marks.push(state);
            }
            marks[wanted]
        };
        walk(&mut state, wanted * CHECKPOINT, at);
        state
    }

    /// Samples of the derived series `what` of each instance, for frames `from..to` (positions in the
    /// history), appended to `out` in the same order; a down instance has no sample but `up`'s 0.
    pub fn samples(
        &self,
        history: &History,
        wanted: &[(usize, Derived)],
        from: usize,
        to: usize,
    ) -> Vec<Vec<(i64, f64)>> {
        let mut out = vec![Vec::new(); wanted.len()];
        let mut by_instance: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (k, &(instance, _)) in wanted.iter().enumerate() {
            by_instance.entry(instance).or_default().push(k);
        }
        let step = history.step();
        let first = ((history.first_t() - self.origin) / step) as usize;
        for (instance, outs) in by_instance {
            let inst = &self.instances[instance];
            let needs_counters = outs.iter().any(|&k| !matches!(wanted[k].1, Derived::Up | Derived::InFlight));
            let mut state =
                if needs_counters { self.state_before(instance, first + from, history) } else { [0.0; SLOTS] };
            for f in from..to {
                let frame = history.frame(f);
                let t = (history.first_t() + f as i64 * step) * 1000;
                let restarted = self.restarted(instance, self.origin + (first + f) as i64 * step);
                if needs_counters {
                    inst.step(&mut state, frame, step as f64, restarted);
                }
                let up = inst.is_up(frame);
                for &k in &outs {
                    let value = match wanted[k].1 {
                        Derived::Up => Some(if up { 1.0 } else { 0.0 }),
                        _ if !up => None,
                        Derived::Requests(false) => Some(state[TOTAL] - state[ERRORS]),
                        Derived::Requests(true) => Some(state[ERRORS]),
                        Derived::Bucket(b) => Some(state[FIRST_BUCKET + b as usize]),
                        Derived::DurationSum => Some(state[SUM]),
                        Derived::DurationCount => Some(state[TOTAL]),
                        Derived::InFlight => in_flight(inst, frame),
                    };
                    if let Some(v) = value {
                        out[k].push((t, v));
                    }
                }
            }
        }
        out
    }
}

/// Requests being served at once: rate × mean latency.
fn in_flight(inst: &Instance, frame: &[f32]) -> Option<f64> {
    let rate = f64::from(frame[inst.requests? as usize]);
    let fit =
        LogLogistic::fit(f64::from(frame[inst.p50? as usize]) / 1000.0, f64::from(frame[inst.p99? as usize]) / 1000.0);
    Some(rate * fit.mean())
}

/// Whether an action restarts the processes it targets.
fn restarts_processes(action: &str) -> bool {
    let word = action.to_ascii_lowercase();
    ["restart", "reboot", "bounce", "recycle", "rollback", "roll-back", "redeploy"].iter().any(|w| word.contains(w))
}

/// Notes the restarts of actions landed by this tick: a restart-like action on a service restarts every
/// instance of it, one on a member or a range of members restarts those.
pub fn record_restarts(
    clock: Res<SimClock>,
    incident: Res<Incident>,
    services: Res<super::ServiceNames>,
    scenario: Res<ScenarioRef>,
    mut exporters: ResMut<Exporters>,
) {
    let landed = incident.inputs.partition_point(|(t, _)| *t <= clock.tick);
    if landed <= exporters.landed {
        return;
    }
    let from = exporters.landed;
    exporters.landed = landed;
    let s = &*scenario.0;
    for (_, input) in &incident.inputs[from..landed] {
        let Input::Action { action, target: Some(target), .. } = input else { continue };
        if !restarts_processes(action) {
            continue;
        }
        let (service, members) = match services.index.get(target.as_str()) {
            Some(&i) => (i, None),
            None => {
                let owner = s
                    .services
                    .iter()
                    .position(|x| x.fleet.as_ref().is_some_and(|f| f.target_members(&x.id, target).is_some()));
                let Some(i) = owner else { continue };
                let svc = &s.services[i];
                (i as u32, svc.fleet.as_ref().and_then(|f| f.target_members(&svc.id, target)))
            }
        };
        let tick = clock.tick;
        let exporters = &mut *exporters;
        for (k, inst) in exporters.instances.iter().enumerate() {
            if inst.service == service && members.as_ref().is_none_or(|m| m.contains(&(inst.member as usize))) {
                exporters.restarts[k].push(tick);
            }
        }
    }
}

/// The scenario, for systems that need names.
#[derive(Resource, Debug)]
pub struct ScenarioRef(pub std::sync::Arc<Scenario>);

/// Adds every instance's exporter series to the catalog: derived ones, then the relabelled gauges of
/// [`GAUGES`] (reading the domain column at `column(service, member, metric position)`).
pub fn catalog_series(
    catalog: &mut super::catalog::Catalog,
    s: &Scenario,
    exporters: &Exporters,
    column: impl Fn(usize, usize, usize) -> usize,
) {
    use super::catalog::Source;
    for (k, inst) in exporters.instances.iter().enumerate() {
        let svc = &s.services[inst.service as usize];
        let instance = match &svc.fleet {
            Some(f) => f.member_name(&svc.id, inst.member as usize),
            None => svc.id.clone(),
        };
        let job = svc.id.as_str();
        let derived = |what| Source::Derived { instance: k as u32, what };
        // `service` as on the drill's own series, so `sum by (service)` reads both alike.
        let base = [("job", job), ("instance", instance.as_str()), ("service", job)];
        let with = |name: &'static str, extra: &[(&'static str, &'static str)]| {
            let mut pairs: Vec<(&str, &str)> = vec![("__name__", name)];
            pairs.extend(base);
            pairs.extend(extra.iter().copied());
            pairs
        };
        catalog.add(&with("up", &[]), derived(Derived::Up));
        if inst.requests.is_some() {
            let route = [("method", "GET"), ("route", "/")];
            let ok = [("code", "200"), route[0], route[1]];
            catalog.add(&with("http_requests_total", &ok), derived(Derived::Requests(false)));
            if inst.error_rate.is_some() {
                let failed = [("code", "500"), route[0], route[1]];
                catalog.add(&with("http_requests_total", &failed), derived(Derived::Requests(true)));
            }
            if inst.p50.is_some() && inst.p99.is_some() {
                for (b, le) in LE_LABELS.iter().enumerate() {
                    catalog.add(
                        &with("http_request_duration_seconds_bucket", &[("le", le)]),
                        derived(Derived::Bucket(b as u8)),
                    );
                }
                catalog.add(&with("http_request_duration_seconds_sum", &[]), derived(Derived::DurationSum));
                catalog.add(&with("http_request_duration_seconds_count", &[]), derived(Derived::DurationCount));
                catalog.add(&with("http_requests_in_flight", &[]), derived(Derived::InFlight));
            }
        }
        for (kind, metric, name) in GAUGES {
            if kind.is_some_and(|k| k != svc.kind) {
                continue;
            }
            let Some(p) = svc.metrics.iter().position(|m| m.name == metric) else { continue };
            let c = column(inst.service as usize, inst.member as usize, p);
            catalog.add(&with(name, &[]), Source::Column(c as u32));
        }
    }
}

/// The `le` label of each bucket, as Prometheus client libraries write it.
pub const LE_LABELS: [&str; 12] =
    ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fitted_distribution_has_the_modelled_quantiles() {
        let d = LogLogistic::fit(0.020, 0.090);
        assert!((d.cdf(0.020) - 0.5).abs() < 1e-12);
        assert!((d.cdf(0.090) - 0.99).abs() < 1e-12);
        assert_eq!(d.cdf(f64::INFINITY), 1.0);
        assert!(d.mean() > 0.020 && d.mean() < 0.090, "{}", d.mean());
    }
}
