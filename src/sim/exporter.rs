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
//! checkpoints kept every [`CHECKPOINT`] frames (filled the first time a query needs them), in f64. Before
//! the first frame (the backfill, see `store.rs`) every instance serves its baseline, restarting every few
//! days. A
//! counter resets to 0 when its process restarts: when the instance comes back after being down (`up` 0,
//! during which nothing is scraped and its series have no samples) and when a restart-like action lands on
//! it. Labels carry only what a volunteer may see: service and member names (`job` and `service` are both the
//! service, `instance` the member).

use super::History;
use super::components::SimClock;
use super::incident::{Incident, Input};
use crate::scenario::{Scenario, ServiceKind};
use bevy_ecs::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// Upper bounds of the latency histogram's buckets, in seconds (the last is `+Inf`).
pub const BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, f64::INFINITY];

/// `ln` of the finite bucket bounds.
static LN_BUCKETS: std::sync::LazyLock<[f64; BUCKETS.len() - 1]> =
    std::sync::LazyLock::new(|| std::array::from_fn(|b| BUCKETS[b].ln()));

/// Least time an instance has been up when the history starts, and how much more some have.
const UPTIME: i64 = 3 * 86_400;
const UPTIME_SPREAD: i64 = 2 * 86_400;

/// Frames between counter checkpoints.
pub const CHECKPOINT: usize = 30;

/// Memory the recently read blocks of counter states may take (see [`Exporters::samples`]): enough for every
/// instance of a 10,000-service topology over the last hour, as dashboards refresh it.
pub const BLOCK_CACHE_BYTES: usize = 192 << 20;

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
    fn is_up(&self, frame: &[f64]) -> bool {
        self.up.is_none_or(|c| frame[c as usize] >= 0.5)
    }

    /// Adds one frame's worth of requests, `step` seconds of them, to the counters; the histogram's too
    /// unless `histogram` is false (a read of the request counters alone leaves it stale).
    fn accumulate(&self, state: &mut State, frame: &[f64], step: f64, histogram: bool) {
        let Some(rate) = self.requests.map(|c| frame[c as usize].max(0.0)) else { return };
        let n = rate * step;
        let err = self.error_rate.map_or(0.0, |c| frame[c as usize].clamp(0.0, 1.0));
        state[TOTAL] += n;
        state[ERRORS] += n * err;
        let (Some(p50), Some(p99), true) = (self.p50, self.p99, histogram) else { return };
        let fit = LogLogistic::fit(frame[p50 as usize] / 1000.0, frame[p99 as usize] / 1000.0);
        state[SUM] += n * fit.mean();
        let ln_alpha = fit.alpha.ln();
        for (b, ln_le) in LN_BUCKETS.iter().enumerate() {
            state[FIRST_BUCKET + b] += n * fit.cdf_ln(*ln_le, ln_alpha);
        }
        state[FIRST_BUCKET + BUCKETS.len() - 1] += n;
    }

    /// Walks one frame: a restart or a return from down resets the counters first; a down frame adds
    /// nothing.
    fn step(&self, state: &mut State, frame: &[f64], step: f64, restarted: bool, histogram: bool) {
        let up = self.is_up(frame);
        if up && (restarted || state[WAS_UP] == 0.0) {
            *state = [0.0; SLOTS];
        }
        if up {
            self.accumulate(state, frame, step, histogram);
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
        self.cdf_ln(x.ln(), self.alpha.ln())
    }

    /// [`LogLogistic::cdf`] of `x` given `ln x` and `ln α`: one `exp` per bucket.
    fn cdf_ln(&self, ln_x: f64, ln_alpha: f64) -> f64 {
        1.0 / (1.0 + (-self.beta * (ln_x - ln_alpha)).exp())
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
    /// Every column's baseline: what the system served before the simulated history began (the frame
    /// `slo` assumes for the minutes before it), read for the backfill.
    pub baseline: Vec<f64>,
    /// Seconds before `origin` the store shows the baseline for, at the history's step.
    pub backfill: i64,
    /// How many landed inputs [`record_restarts`] has looked at.
    landed: usize,
    /// Counter state at every [`CHECKPOINT`]-th frame of each instance, filled on demand.
    checkpoints: Mutex<Vec<Vec<State>>>,
    /// Counter states frame by frame in the blocks of [`CHECKPOINT`] frames read lately.
    blocks: Mutex<BlockCache>,
}

/// Counter states after each frame of a block of [`CHECKPOINT`] frames, per instance and block, for the
/// blocks read lately: a dashboard refreshing the last hour reads them back instead of summing the frames
/// again. Frames are never rewritten once recorded, so a block's states stay true; a block of the newest
/// frames holds fewer than [`CHECKPOINT`] states and grows as the drill goes on. Least recently used blocks
/// are dropped beyond [`BLOCK_CACHE_BYTES`].
#[derive(Debug, Default)]
struct BlockCache {
    /// By (instance, block number counted from the first frame ever recorded).
    map: HashMap<(u32, u32), Block>,
    /// Read counter, for least-recently-used eviction.
    clock: u64,
    /// Memory held, approximately.
    bytes: usize,
}

#[derive(Debug)]
struct Block {
    /// State after each frame of the block, from its first (shared with readers, who emit samples from it
    /// without holding the lock).
    states: std::sync::Arc<Vec<State>>,
    /// `clock` when last read.
    used: u64,
}

/// Memory one cached block takes.
const BLOCK_BYTES: usize = CHECKPOINT * std::mem::size_of::<State>() + 64;

impl BlockCache {
    /// States held for `instance` in block `b`.
    fn held(&self, instance: usize, b: usize) -> usize {
        self.map.get(&(instance as u32, b as u32)).map_or(0, |e| e.states.len())
    }

    /// Drops the least recently used blocks until three quarters of the budget is used.
    fn evict(&mut self) {
        if self.bytes <= BLOCK_CACHE_BYTES {
            return;
        }
        let mut ages: Vec<(u64, (u32, u32))> = self.map.iter().map(|(k, e)| (e.used, *k)).collect();
        ages.sort_unstable();
        for (_, key) in ages {
            if self.bytes <= BLOCK_CACHE_BYTES / 4 * 3 {
                break;
            }
            self.map.remove(&key);
            self.bytes -= BLOCK_BYTES;
        }
    }
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
            baseline: Vec::new(),
            backfill: 0,
            landed: 0,
            checkpoints: Mutex::new(vec![Vec::new(); n]),
            blocks: Mutex::new(BlockCache::default()),
        }
    }

    fn restarted(&self, instance: usize, t: i64) -> bool {
        self.restarts[instance].binary_search(&t).is_ok()
    }

    /// How long instance `instance` has been up when the history starts.
    fn uptime(instance: usize) -> i64 {
        UPTIME + (instance as i64 * 7_919) % UPTIME_SPREAD
    }

    /// Counter state just before the first frame ever recorded: its processes have been up for a few days
    /// already (a different while for each instance), serving their baseline, so counters start large as
    /// real ones do, not at 0 with the history, and carry on from the backfill without a step.
    fn uptime_state(&self, instance: usize, step: i64) -> State {
        let inst = &self.instances[instance];
        if self.baseline.is_empty() || !inst.is_up(&self.baseline) {
            return [0.0; SLOTS];
        }
        let mut state = [0.0; SLOTS];
        inst.accumulate(&mut state, &self.baseline, (Exporters::uptime(instance) - step) as f64, true);
        state[WAS_UP] = 1.0;
        state
    }

    /// Value of the derived series `what` of an instance at time `t` (seconds) before the first frame: the
    /// baseline served since its process last started (processes restart every few days, so counters
    /// reset in a 30-day window as real ones do).
    pub fn backfill_value(&self, instance: usize, what: Derived, t: i64) -> Option<f64> {
        let inst = &self.instances[instance];
        let up = inst.is_up(&self.baseline);
        match what {
            Derived::Up => return Some(if up { 1.0 } else { 0.0 }),
            _ if !up => return None,
            Derived::InFlight => return in_flight(inst, &self.baseline),
            _ => {}
        }
        let started = self.origin - Exporters::uptime(instance);
        let age = (t - started).rem_euclid(UPTIME + UPTIME_SPREAD);
        let mut state = [0.0; SLOTS];
        inst.accumulate(&mut state, &self.baseline, age as f64, true);
        Some(read(&state, what))
    }

    /// Counter state of each of `instances` just before frame `at` (an absolute frame number), from the
    /// nearest checkpoint. Frames are read one at a time for every instance (time-major, as they are laid
    /// out), and checkpoints are filled the same way the first time they are needed. The histogram slots are
    /// exact only with `histogram` (checkpoints always keep them).
    fn states_before(&self, instances: &[usize], at: usize, history: &History, histogram: bool) -> Vec<State> {
        let step = history.step();
        let first = ((history.first_t() - self.origin) / step) as usize;
        let wanted = at / CHECKPOINT;
        let frame_at = |f: usize| (f >= first && f - first < history.len()).then(|| history.frame(f - first));
        let restarted = |i: usize, f: usize| self.restarted(i, self.origin + f as i64 * step);
        let mut all = self.checkpoints.lock().unwrap_or_else(|e| e.into_inner());
        for &i in instances {
            if all[i].is_empty() {
                let start = self.uptime_state(i, step);
                all[i].push(start);
            }
        }
        // Instances whose checkpoint `wanted` is missing, with the first one each lacks.
        let behind: Vec<(usize, usize)> =
            instances.iter().filter(|&&i| all[i].len() <= wanted).map(|&i| (i, all[i].len())).collect();
        if let Some(from) = behind.iter().map(|&(_, n)| n).min() {
            let mut current: Vec<State> = behind.iter().map(|&(i, n)| all[i][n - 1]).collect();
            for k in from..=wanted {
                for f in (k - 1) * CHECKPOINT..k * CHECKPOINT {
                    let Some(frame) = frame_at(f) else { continue };
                    for (state, &(i, lacks)) in current.iter_mut().zip(&behind) {
                        if k >= lacks {
                            self.instances[i].step(state, frame, step as f64, restarted(i, f), true);
                        }
                    }
                }
                for (state, &(i, lacks)) in current.iter().zip(&behind) {
                    if k >= lacks {
                        all[i].push(*state);
                    }
                }
            }
        }
        let mut states: Vec<State> = instances.iter().map(|&i| all[i][wanted]).collect();
        drop(all);
        for f in wanted * CHECKPOINT..at {
            let Some(frame) = frame_at(f) else { continue };
            for (state, &i) in states.iter_mut().zip(instances) {
                self.instances[i].step(state, frame, step as f64, restarted(i, f), histogram);
            }
        }
        states
    }

    /// Samples of the derived series `what` of each instance, for frames `from..to` (positions in the
    /// history), appended to `out[targets[k]]` for the `k`-th of `wanted`; a down instance has no sample but
    /// `up`'s 0. Counters are read from the
    /// cached blocks of states, filled where missing (time-major: each frame once, for every instance that
    /// lacks it).
    pub fn samples(
        &self,
        history: &History,
        wanted: &[(usize, Derived)],
        from: usize,
        to: usize,
        targets: &[usize],
        out: &mut [Vec<(i64, f64)>],
    ) {
        if from >= to {
            return;
        }
        for &k in targets {
            out[k].reserve(to - from);
        }
        let mut by_instance: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (k, &(instance, _)) in wanted.iter().enumerate() {
            by_instance.entry(instance).or_default().push(k);
        }
        let step = history.step();
        let first = ((history.first_t() - self.origin) / step) as usize;
        let counted: Vec<usize> = by_instance
            .iter()
            .filter(|(_, outs)| outs.iter().any(|&k| !matches!(wanted[k].1, Derived::Up | Derived::InFlight)))
            .map(|(&i, _)| i)
            .collect();
        let (lo, hi) = (first + from, first + to);
        let blocks = lo / CHECKPOINT..=(hi - 1) / CHECKPOINT;
        // The blocks each instance reads, taken from the cache (filled where missing) under its lock.
        let held: Vec<Vec<Option<std::sync::Arc<Vec<State>>>>> = {
            let mut cache = self.blocks.lock().unwrap_or_else(|e| e.into_inner());
            cache.clock += 1;
            let now = cache.clock;
            for b in blocks.clone() {
                let needed = hi.min((b + 1) * CHECKPOINT) - b * CHECKPOINT;
                let lacking: Vec<usize> = counted.iter().copied().filter(|&i| cache.held(i, b) < needed).collect();
                if !lacking.is_empty() {
                    self.fill(&mut cache, &lacking, b, b * CHECKPOINT + needed, history);
                }
            }
            let held = by_instance
                .keys()
                .map(|&i| {
                    blocks
                        .clone()
                        .map(|b| {
                            cache.map.get_mut(&(i as u32, b as u32)).map(|e| {
                                e.used = now;
                                e.states.clone()
                            })
                        })
                        .collect()
                })
                .collect();
            cache.evict();
            held
        };
        for ((&instance, outs), held) in by_instance.iter().zip(held) {
            let inst = &self.instances[instance];
            for (b, block) in blocks.clone().zip(held) {
                let frames = lo.max(b * CHECKPOINT)..hi.min((b + 1) * CHECKPOINT);
                let time = |abs: usize| (history.first_t() + (abs - first) as i64 * step) * 1000;
                for &k in outs {
                    let out = &mut out[targets[k]];
                    match (wanted[k].1, &block) {
                        (Derived::Up, _) => out.extend(
                            frames
                                .clone()
                                .map(|abs| (time(abs), if inst.is_up(history.frame(abs - first)) { 1.0 } else { 0.0 })),
                        ),
                        (Derived::InFlight, _) => out.extend(frames.clone().filter_map(|abs| {
                            let frame = history.frame(abs - first);
                            if inst.is_up(frame) { in_flight(inst, frame).map(|v| (time(abs), v)) } else { None }
                        })),
                        (what, Some(states)) => {
                            let states = &states[frames.start - b * CHECKPOINT..frames.end - b * CHECKPOINT];
                            out.extend(
                                frames
                                    .clone()
                                    .zip(states)
                                    .filter(|(_, s)| s[WAS_UP] != 0.0)
                                    .map(|(abs, s)| (time(abs), read(s, what))),
                            );
                        }
                        (_, None) => {}
                    }
                }
            }
        }
    }

    /// Steps `instances` through block `b` up to absolute frame `until` (exclusive), each from the last state
    /// its cached block holds or from its checkpoint, and caches every state.
    fn fill(&self, cache: &mut BlockCache, instances: &[usize], b: usize, until: usize, history: &History) {
        let step = history.step();
        let first = ((history.first_t() - self.origin) / step) as usize;
        let base = b * CHECKPOINT;
        let fresh: Vec<usize> = instances.iter().copied().filter(|&i| cache.held(i, b) == 0).collect();
        let mut fresh_states = self.states_before(&fresh, base, history, true).into_iter();
        // (instance, its running state, the first frame it lacks)
        let mut running: Vec<(usize, State, usize)> = instances
            .iter()
            .map(|&i| match cache.map.get(&(i as u32, b as u32)) {
                Some(e) if !e.states.is_empty() => (i, e.states[e.states.len() - 1], base + e.states.len()),
                _ => (i, fresh_states.next().unwrap_or([0.0; SLOTS]), base),
            })
            .collect();
        let mut grown: Vec<Vec<State>> = running.iter().map(|_| Vec::with_capacity(CHECKPOINT)).collect();
        let start = running.iter().map(|r| r.2).min().unwrap_or(until);
        for f in start..until {
            let frame = (f >= first && f - first < history.len()).then(|| history.frame(f - first));
            let restart_t = self.origin + f as i64 * step;
            for ((i, state, lacks), states) in running.iter_mut().zip(grown.iter_mut()) {
                if f < *lacks {
                    continue;
                }
                if let Some(frame) = frame {
                    self.instances[*i].step(state, frame, step as f64, self.restarted(*i, restart_t), true);
                }
                states.push(*state);
            }
        }
        for ((i, _, _), states) in running.into_iter().zip(grown) {
            let entry =
                cache.map.entry((i as u32, b as u32)).or_insert_with(|| Block { states: Default::default(), used: 0 });
            let held = std::sync::Arc::make_mut(&mut entry.states);
            if held.is_empty() {
                held.reserve_exact(CHECKPOINT);
                cache.bytes += BLOCK_BYTES;
            }
            held.extend(states);
        }
    }
}

/// A counter's value in a counter state.
fn read(state: &State, what: Derived) -> f64 {
    match what {
        Derived::Requests(false) => state[TOTAL] - state[ERRORS],
        Derived::Requests(true) => state[ERRORS],
        Derived::Bucket(b) => state[FIRST_BUCKET + b as usize],
        Derived::DurationSum => state[SUM],
        Derived::DurationCount => state[TOTAL],
        Derived::Up | Derived::InFlight => 0.0,
    }
}

/// Requests being served at once: rate × mean latency.
fn in_flight(inst: &Instance, frame: &[f64]) -> Option<f64> {
    let rate = frame[inst.requests? as usize];
    let fit = LogLogistic::fit(frame[inst.p50? as usize] / 1000.0, frame[inst.p99? as usize] / 1000.0);
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
        // The share of the target's instances this landing restarts: all of them for an action landed whole,
        // the next ones in member order for a stage or a partial result (a rolling restart).
        let (action, target, before, done) = match input {
            Input::Action { action, target: Some(target), .. } => (action, target, 0.0, 1.0),
            Input::Stage { action, target: Some(target), done, part, .. } => (action, target, done - part, *done),
            _ => continue,
        };
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
        let chosen: Vec<usize> = (0..exporters.instances.len())
            .filter(|&k| {
                let inst = &exporters.instances[k];
                inst.service == service && members.as_ref().is_none_or(|m| m.contains(&(inst.member as usize)))
            })
            .collect();
        // Instances `[cut(before), cut(done))`: the first stage of a rolling restart restarts the first of them.
        let cut = |share: f64| ((share * chosen.len() as f64 - 1e-9).ceil().max(0.0) as usize).min(chosen.len());
        for &k in &chosen[cut(before)..cut(done).max(cut(before))] {
            exporters.restarts[k].push(tick);
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
