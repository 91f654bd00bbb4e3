//! The simulation: a bevy_ecs `World` of services whose telemetry, health, alerts and incident state
//! advance on a virtual clock. Deterministic: the same scenario, seed and inputs give the same world.
//!
//! The schedule is the recipe of one tick (see [`TickSet`]). Nothing here prints or reads the wall clock.

mod alerts;
mod components;
mod history;
mod incident;
mod logs;
mod slo;
mod store;
mod systems;
mod template;

pub use alerts::{AlertBook, AlertCondition, AlertPlan, AlertStatus};
pub use components::Health;
pub use history::History;
pub use incident::{Input, Inventory, RecordedChange};
pub use logs::{LogFilter, LogLine, LogStore};
pub use slo::{DISPLAY_WINDOWS, SloBook, SloRun, Tier, policy_tiers, window_label};
pub use store::HistoryStore;
pub use systems::LOG_HISTORY;

use crate::promql::{Answer, Labels, QueryError, QueryErrorKind};
use crate::scenario::{AlertSeverity, Channel, Phase, Scenario, dependency_order};
use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{ScheduleBuildSettings, SingleThreadedExecutor};
use components::*;
use incident::{Compiler, Incident, MessagePlan, Outbox, StatePlan, TrackRun};
use rand::SeedableRng;
use std::collections::BTreeMap;
use std::sync::Arc;
use systems::ActiveSymptoms;
use template::Template;

/// Something that happened in the simulation, for the session to record and render.
#[derive(Clone, Debug, PartialEq)]
pub enum SimEvent {
    /// A track entered a state (hidden truth: GM only).
    StateEntered { t: i64, track: String, state: String, phase: Phase },
    /// An alert fired.
    AlertFired { t: i64, name: String, service: String, severity: AlertSeverity, summary: String },
    /// An alert stopped firing.
    AlertResolved { t: i64, name: String },
    /// A simulated person sent a message.
    MessageArrived { t: i64, from: String, channel: Channel, text: String },
}

impl SimEvent {
    /// Simulated time of the event.
    pub fn time(&self) -> i64 {
        match self {
            SimEvent::StateEntered { t, .. }
            | SimEvent::AlertFired { t, .. }
            | SimEvent::AlertResolved { t, .. }
            | SimEvent::MessageArrived { t, .. } => *t,
        }
    }
}

/// The steps of one tick, in order.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub enum TickSet {
    /// Move the clock one step.
    Clock,
    /// Take transitions, rebuild symptoms, deliver messages.
    Script,
    /// Compute every metric from its model and the active symptoms.
    Symptoms,
    /// Carry failure along dependencies.
    Propagate,
    /// Judge health.
    Health,
    /// Measure SLIs, budgets and burn rates.
    Slo,
    /// Fire and resolve alerts.
    Alerts,
    /// Store the frame and the log lines.
    Record,
}

/// Service name lookups.
#[derive(Resource, Debug, Default)]
pub struct ServiceNames {
    /// Service id → index.
    pub index: BTreeMap<String, u32>,
}

/// Seconds between ticks (and between history samples).
pub const STEP: i64 = 60;
/// How long a drill may run after the page before the oldest history is dropped.
const DRILL_HEADROOM: i64 = 12 * 3600;
/// Log lines kept.
const LOG_CAPACITY: usize = 2_000_000;

/// A running simulation of one scenario.
pub struct Sim {
    world: World,
    schedule: Schedule,
    scenario: Arc<Scenario>,
    series: BTreeMap<(String, String), usize>,
    labels: Vec<Labels>,
    entities: Vec<Entity>,
    /// First series of each service.
    firsts: Vec<usize>,
}

impl Sim {
    /// Builds the world for a validated scenario and simulates the history up to the page (time 0).
    pub fn new(scenario: Arc<Scenario>, seed: u64) -> Sim {
        let mut sim = Sim::build(scenario, seed);
        sim.run_until(0);
        sim
    }

    fn build(scenario: Arc<Scenario>, seed: u64) -> Sim {
        let mut world = World::new();
        let s = &*scenario;
        let mut series = BTreeMap::new();
        let mut names = ServiceNames::default();
        let mut next = 0usize;
        let mut labels = Vec::new();
        let mut built: Vec<Option<(Model, Vitals, Vec<LogSource>)>> = (0..s.services.len()).map(|_| None).collect();
        let mut firsts = vec![0; s.services.len()];
        let mut models = Vec::new();
        for (i, svc) in s.services.iter().enumerate() {
            names.index.insert(svc.id.clone(), i as u32);
        }
        // Dependencies first, for entities and series alike: a tick then sweeps the frame, the models and
        // the entity table in one direction, and propagation finds every dependency already computed.
        let order = dependency_order(s).unwrap_or_else(|_| (0..s.services.len()).collect());
        for &i in &order {
            let svc = &s.services[i];
            let first = next;
            firsts[i] = first;
            let mut vitals = Vitals::default();
            for m in &svc.metrics {
                series.insert((svc.id.clone(), m.name.clone()), next);
                let kind = format!("{:?}", svc.kind).to_lowercase();
                labels.push(Labels::new([
                    ("__name__", m.name.as_str()),
                    ("service", svc.id.as_str()),
                    ("kind", kind.as_str()),
                ]));
                let slot = Some((next as u32, m.baseline as f32));
                match m.name.as_str() {
                    "error_rate" => vitals.error_rate = slot,
                    "latency_p50" => vitals.latency_p50 = slot,
                    "latency_p99" => vitals.latency_p99 = slot,
                    "queue_depth" => vitals.queue_depth = slot,
                    "saturation" => vitals.saturation = slot,
                    _ => {}
                }
                models.push(MetricModel {
                    baseline: m.baseline as f32,
                    noise: m.noise as f32,
                    seasonality: m.seasonality as f32,
                });
                next += 1;
            }
            let logs = svc
                .logs
                .iter()
                .map(|l| LogSource { level: l.level, template: Template::parse(&l.template), rate: l.rate as f32 })
                .collect();
            built[i] = Some((Model { first: first as u32, len: svc.metrics.len() as u32 }, vitals, logs));
        }
        world.insert_resource(MetricModels(models));
        // Edges carry their dependency's series, so propagation needs no entity lookups.
        let all_vitals: Vec<Vitals> =
            built.iter().map(|b| b.as_ref().map(|(_, v, _)| *v).unwrap_or_default()).collect();
        let mut entities = vec![Entity::PLACEHOLDER; s.services.len()];
        for (rank, &i) in order.iter().enumerate() {
            let Some((model, vitals, logs)) = built[i].take() else { continue };
            let edges = s.services[i]
                .depends_on
                .iter()
                .map(|d| Edge {
                    on: all_vitals[names.index[&d.on] as usize],
                    coupling: d.coupling,
                    weight: d.weight as f32,
                    backlog: 0.0,
                })
                .collect();
            entities[i] = world
                .spawn((
                    ServiceIndex(i as u32),
                    TopoRank(rank as u32),
                    model,
                    vitals,
                    Health::Healthy,
                    Dependencies(edges),
                    LogSources(logs),
                ))
                .id();
        }

        let history = s.clock.history.secs().max(0) / STEP * STEP;
        world.insert_resource(SimClock {
            now: -history,
            tick: -history - STEP,
            step: STEP,
            // Validation guarantees a valid time; 09:00 only for scenarios built without it.
            page_time_of_day: s.clock.page_time_of_day().unwrap_or(9 * 3600),
            season: 0.0,
        });
        let capacity = ((history + DRILL_HEADROOM) / STEP + 1) as usize;
        world.insert_resource(History::with_first_chunk(next, capacity, STEP, (history / STEP + 1) as usize));
        // Start from the baselines so conditions read on the first tick see a healthy system, not zeros.
        let baselines = world.resource::<MetricModels>().0.iter().map(|m| m.baseline).collect();
        world.insert_resource(Frame(baselines));
        world.insert_resource(LogStore::new(LOG_CAPACITY));
        world.insert_resource(Rngs {
            noise: rand_pcg::Pcg64Mcg::seed_from_u64(seed ^ 0x6e6f_6973_6521),
            logs: rand_pcg::Pcg64Mcg::seed_from_u64(seed.rotate_left(17) ^ 0x6c6f_6773),
        });
        world.insert_resource(PendingLogs::default());
        world.insert_resource(ActiveSymptoms::default());
        world.insert_resource(Outbox::default());
        world.insert_resource(Inventory {
            versions: s.services.iter().map(|x| x.version.clone()).collect(),
            flags: s.flags.iter().map(|f| (f.id.clone(), f.value.clone())).collect(),
            changes: Vec::new(),
            config: BTreeMap::new(),
        });
        let slos = SloBook::new(s, &series);
        world.insert_resource(alert_book(s, &series, &slos));
        world.insert_resource(slos);
        world.insert_resource(compile_incident(s, &series, &names.index, -history));
        world.insert_resource(names);

        Sim { world, schedule: tick_schedule(), scenario, series, labels, entities, firsts }
    }

    /// Current simulated time, seconds from the page.
    pub fn now(&self) -> i64 {
        self.world.resource::<SimClock>().now
    }

    /// Seconds after midnight at the page, for wall-clock display.
    pub fn page_time_of_day(&self) -> i64 {
        self.world.resource::<SimClock>().page_time_of_day
    }

    /// Lets `secs` of simulated time pass, running a tick on every step boundary crossed.
    pub fn advance(&mut self, secs: i64) {
        let target = self.now() + secs.max(0);
        self.run_until(target);
    }

    fn run_until(&mut self, target: i64) {
        loop {
            let clock = *self.world.resource::<SimClock>();
            if clock.tick + clock.step > target {
                break;
            }
            self.world.resource_mut::<SimClock>().now = clock.tick + clock.step;
            self.schedule.run(&mut self.world);
        }
        self.world.resource_mut::<SimClock>().now = target;
    }

    /// Records a volunteer or GM input at the current time; triggers see it from the next tick.
    pub fn input(&mut self, input: Input) {
        self.input_at(self.now(), input);
    }

    /// Records an input that takes effect at time `t` (an action lands when it completes).
    pub fn input_at(&mut self, t: i64, input: Input) {
        let t = t.max(self.now());
        let mut incident = self.world.resource_mut::<Incident>();
        let at = incident.inputs.partition_point(|(when, _)| *when <= t);
        incident.inputs.insert(at, (t, input));
    }

    /// Takes the events produced since the last call.
    pub fn take_events(&mut self) -> Vec<SimEvent> {
        systems::drain(&mut self.world.resource_mut::<Outbox>())
    }

    /// The scenario being simulated.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Metric history.
    pub fn history(&self) -> &History {
        self.world.resource::<History>()
    }

    /// Log lines.
    pub fn logs(&self) -> &LogStore {
        self.world.resource::<LogStore>()
    }

    /// Alert rules and their status.
    pub fn alerts(&self) -> &AlertBook {
        self.world.resource::<AlertBook>()
    }

    /// SLOs, budgets and burn rates.
    pub fn slos(&self) -> &SloBook {
        self.world.resource::<SloBook>()
    }

    /// Versions, flags and changes made during the run.
    pub fn inventory(&self) -> &Inventory {
        self.world.resource::<Inventory>()
    }

    /// Series index of a service's metric.
    pub fn series_index(&self, service: &str, metric: &str) -> Option<usize> {
        self.series.get(&(service.to_string(), metric.to_string())).copied()
    }

    /// Series index of a metric of the service at `index`, found without allocating.
    pub fn series_of(&self, index: usize, metric: &str) -> Option<usize> {
        let first = *self.firsts.get(index)?;
        let position = self.scenario.services[index].metrics.iter().position(|m| m.name == metric)?;
        Some(first + position)
    }

    /// The history as a PromQL store.
    pub fn store(&self) -> HistoryStore<'_> {
        HistoryStore { history: self.history(), labels: &self.labels }
    }

    /// Evaluates a PromQL query at the newest tick.
    pub fn query(&self, text: &str) -> Result<Answer, QueryError> {
        let Some(t) = self.history().last_t() else {
            crate::promql::parse(text)?;
            return Err(QueryError::new(QueryErrorKind::NoSamples));
        };
        crate::promql::instant_query(&self.store(), text, t * 1000)
    }

    /// Index of a service by id.
    pub fn service_index(&self, service: &str) -> Option<u32> {
        self.world.resource::<ServiceNames>().index.get(service).copied()
    }

    /// Health of the service at `index` as of the last tick.
    pub fn health(&self, index: usize) -> Health {
        self.entities.get(index).and_then(|&e| self.world.get::<Health>(e)).copied().unwrap_or_default()
    }

    /// Latest value of a series.
    pub fn latest(&self, series: usize) -> f32 {
        self.world.resource::<Frame>().0.get(series).copied().unwrap_or(0.0)
    }

    /// Hidden truth, for the GM and the debrief only: each track's current state, phase and entry time.
    pub fn gm_states(&self) -> Vec<(String, String, Phase, i64)> {
        self.world
            .resource::<Incident>()
            .tracks
            .iter()
            .map(|t| {
                let st = &t.states[t.current];
                (t.id.clone(), st.id.clone(), st.phase, t.entered_at)
            })
            .collect()
    }

    /// Hidden truth: phase of the incident (first) track.
    pub fn phase(&self) -> Phase {
        let incident = self.world.resource::<Incident>();
        let main = &incident.tracks[0];
        main.states[main.current].phase
    }
}

/// The recipe of one tick.
fn tick_schedule() -> Schedule {
    let mut schedule = Schedule::default();
    schedule.set_executor(SingleThreadedExecutor::new());
    schedule.set_build_settings(ScheduleBuildSettings {
        ambiguity_detection: bevy_ecs::schedule::LogLevel::Error,
        ..ScheduleBuildSettings::default()
    });
    use TickSet::*;
    schedule.configure_sets((Clock, Script, Symptoms, Propagate, Health, Slo, Alerts, Record).chain());
    schedule.add_systems((
        // Move the clock and the daily cycle.
        systems::advance_clock.in_set(Clock),
        // Take transitions, then rebuild symptoms, then deliver messages.
        (incident::take_transitions, systems::rebuild_symptoms, incident::deliver_messages).chain().in_set(Script),
        // Compute metric values from models and symptoms, then let saturation stretch latency.
        (systems::compute_metrics, systems::apply_saturation).chain().in_set(Symptoms),
        // Carry failure from dependencies to dependents.
        systems::propagate_failures.in_set(Propagate),
        // Judge health from the finished frame.
        systems::judge_health.in_set(Health),
        // Record each SLO's bad minute and update its windows.
        systems::track_slos.in_set(Slo),
        // Fire and resolve alerts.
        systems::evaluate_alerts.in_set(Alerts),
        // Store the frame, then the log lines.
        (systems::record_history, systems::emit_logs).chain().in_set(Record),
    ));
    schedule
}

fn alert_book(s: &Scenario, series: &BTreeMap<(String, String), usize>, slos: &SloBook) -> AlertBook {
    let mut rules: Vec<AlertPlan> = s
        .alerts
        .iter()
        .map(|a| AlertPlan {
            name: a.name.clone(),
            service: a.service.clone(),
            condition: AlertCondition::Threshold {
                series: series[&(a.service.clone(), a.metric.clone())],
                op: a.op,
                threshold: a.threshold as f32,
            },
            sustained: a.sustained.secs(),
            severity: a.severity,
            summary: a.summary.clone(),
        })
        .collect();
    for (i, slo) in slos.slos.iter().enumerate() {
        for (k, tier) in slos.tiers.iter().enumerate() {
            let what = slo.describe();
            let short = tier.short_window.map_or(String::new(), |m| format!(" and the last {}", window_label(m)));
            rules.push(AlertPlan {
                name: format!("SloBurn{}-{}", tier.name, slo.service),
                service: slo.service.clone(),
                condition: AlertCondition::Burn { slo: i, tier: k },
                sustained: 0,
                severity: if tier.page { AlertSeverity::Page } else { AlertSeverity::Ticket },
                summary: format!(
                    "{} {what} SLO ({:.2}%) burning {}: at least {:.0}% of the {} budget in the last {}{short}",
                    slo.service,
                    slo.target * 100.0,
                    tier.name,
                    tier.budget * 100.0,
                    window_label(slo.window),
                    window_label(tier.window),
                ),
            });
        }
    }
    let status = vec![AlertStatus::default(); rules.len()];
    AlertBook { rules, status }
}

fn compile_incident(
    s: &Scenario,
    series: &BTreeMap<(String, String), usize>,
    services: &BTreeMap<String, u32>,
    start: i64,
) -> Incident {
    let mut state_index = BTreeMap::new();
    for (i, st) in s.tracks.iter().flat_map(|t| &t.states).enumerate() {
        state_index.insert(st.id.clone(), i);
    }
    let mut compiler = Compiler { series, services, states: state_index, watches: Vec::new() };
    let mut reached = vec![false; compiler.states.len()];
    let mut offset = 0;
    let mut tracks = Vec::new();
    for track in &s.tracks {
        let local: BTreeMap<&str, usize> = track.states.iter().enumerate().map(|(i, x)| (x.id.as_str(), i)).collect();
        let states = track.states.iter().map(|st| plan_state(st, &local, &mut compiler)).collect();
        let current = local[track.initial.as_str()];
        reached[offset + current] = true;
        tracks.push(TrackRun { id: track.id.clone(), states, current, entered_at: start, inputs_from: 0, offset });
        offset += track.states.len();
    }
    let messages = s
        .messages
        .iter()
        .map(|m| {
            let plan = MessagePlan {
                from: m.from.clone(),
                channel: m.channel,
                text: m.text.clone(),
                when: compiler.condition(&m.when),
            };
            (plan, false)
        })
        .collect();
    let watches = compiler.watches.iter().map(|w| (*w, None)).collect();
    Incident { tracks, reached, inputs: Vec::new(), watches, messages, changed: true }
}

fn plan_state(st: &crate::scenario::State, local: &BTreeMap<&str, usize>, c: &mut Compiler) -> StatePlan {
    use crate::scenario::Symptom;
    let mut metric_symptoms = Vec::new();
    let mut log_symptoms = Vec::new();
    for sym in &st.symptoms {
        match sym {
            Symptom::Metric { service, metric, shift, ramp, delay } => {
                metric_symptoms.push((c.series[&(service.clone(), metric.clone())], *shift, ramp.secs(), delay.secs()))
            }
            Symptom::Logs { service, level, template, rate } => log_symptoms.push(systems::LogSymptom {
                service: c.services[service],
                level: *level,
                template: Template::parse(template),
                rate: *rate as f32,
                p50: c.series.get(&(service.clone(), "latency_p50".to_string())).map(|&s| s as u32),
            }),
        }
    }
    StatePlan {
        id: st.id.clone(),
        phase: st.phase,
        metric_symptoms,
        log_symptoms,
        on_enter: st.on_enter.clone(),
        on_exit: st.on_exit.clone(),
        transitions: st.transitions.iter().map(|t| (local[t.to.as_str()], c.condition(&t.when))).collect(),
    }
}
