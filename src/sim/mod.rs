//! The simulation: a bevy_ecs `World` of services whose telemetry, health, alerts and incident state
//! advance on a virtual clock. Deterministic: the same scenario, seed and inputs give the same world.
//!
//! One concept per file: `build.rs` builds the world, `schedule.rs` declares the recipe of one tick (see
//! [`TickSet`]), `systems.rs` holds every system it runs, `event.rs` what the simulation reports, and
//! `incident.rs`, `symptoms.rs`, `alerts.rs`, `slo.rs`, `history.rs`, `logs.rs` the state they work on.
//! Nothing here prints or reads the wall clock.

mod alerts;
mod bounds;
mod build;
mod catalog;
mod components;
mod event;
mod exporter;
mod fleet;
mod history;
mod incident;
mod logs;
mod network;
mod periodic;
mod process;
mod schedule;
mod slo;
mod store;
mod symptoms;
mod systems;
mod tools;

pub use alerts::{AlertBook, AlertCondition, AlertPlan, AlertStatus};
pub use bounds::share_slower_than;
pub use components::Health;
pub use event::SimEvent;
pub use exporter::{BUCKETS, LogLogistic};
pub use fleet::{FleetRun, Fleets};
pub use history::History;
pub use incident::{ArgValue, Input, Inventory, RecordedChange};
pub use logs::{LogFilter, LogLine, LogStore};
pub use network::{CONNECT_TIMEOUT_MS, ElementReading, Impairment, RETRANSMIT_MS};
pub use schedule::TickSet;
pub use slo::{DISPLAY_WINDOWS, SloBook, SloRun, Tier, policy_tiers, window_label};
pub use store::HistoryStore;
pub use systems::LOG_HISTORY;
pub use tools::ToolStatus;

use crate::promql::{Answer, QueryError, QueryErrorKind};
use crate::scenario::{Phase, Scenario};
use bevy_ecs::prelude::*;
use components::*;
use event::Outbox;
use incident::Incident;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Service name lookups.
#[derive(Resource, Debug, Default)]
pub struct ServiceNames {
    /// Service id → index.
    pub index: BTreeMap<String, u32>,
}

/// Seconds between ticks (and between history samples).
pub const STEP: i64 = 60;
/// How far before the first simulated frame queries still find samples (the backfill), at least.
pub(crate) const LONG_TERM: i64 = 30 * 86_400;
/// How long a drill may run after the page before the oldest history is dropped.
pub(crate) const DRILL_HEADROOM: i64 = 12 * 3600;
/// Log lines kept.
pub(crate) const LOG_CAPACITY: usize = 2_000_000;

/// A running simulation of one scenario.
pub struct Sim {
    world: World,
    schedule: Schedule,
    scenario: Arc<Scenario>,
    series: BTreeMap<(String, String), usize>,
    catalog: catalog::Catalog,
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

    fn run_until(&mut self, mut target: i64) {
        loop {
            let clock = *self.world.resource::<SimClock>();
            if clock.tick + clock.step > target {
                break;
            }
            self.world.resource_mut::<SimClock>().now = clock.tick + clock.step;
            self.schedule.run(&mut self.world);
            // A state entered on this tick may let hours pass at once: the target moves on by that much,
            // and every tick in between runs.
            let skips = std::mem::take(&mut self.world.resource_mut::<Incident>().skips);
            for skip in skips {
                let t = self.world.resource::<SimClock>().tick;
                target += skip.pass.secs();
                self.world.resource_mut::<Outbox>().push(SimEvent::TimeSkipped {
                    t,
                    pass: skip.pass.secs(),
                    say: skip.say,
                });
            }
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

    /// Schedules the routine, visible effects of an action on `service` for when it lands at `t`.
    pub fn routine_at(&mut self, t: i64, service: &str, effects: Vec<crate::scenario::Effect>) {
        let t = t.max(self.now());
        let mut incident = self.world.resource_mut::<Incident>();
        let at = incident.routine.partition_point(|(when, ..)| *when <= t);
        incident.routine.insert(at, (t, service.to_string(), effects));
    }

    /// Which of an action's `outcomes` applies if it is typed now (the first whose condition holds), if any.
    /// Judged here because the conditions read the hidden state; the answer is only an index.
    pub fn action_outcome(&self, action: &str) -> Option<usize> {
        self.world.resource::<Incident>().action_outcome(action, self.now())
    }

    /// Which of a diagnostic's `outputs` it shows if run now against `target`, if any.
    pub fn diagnostic_output(&self, diagnostic: &str, target: Option<&str>) -> Option<usize> {
        self.world.resource::<Incident>().diagnostic_output(diagnostic, target, self.now())
    }

    /// Takes the events produced since the last call.
    pub fn take_events(&mut self) -> Vec<SimEvent> {
        self.world.resource_mut::<Outbox>().drain()
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

    /// How the responders' tools behave now.
    pub fn tools(&self) -> &ToolStatus {
        self.world.resource::<ToolStatus>()
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
        HistoryStore {
            history: self.history(),
            catalog: &self.catalog,
            exporters: self.world.resource::<exporter::Exporters>(),
        }
    }

    /// Evaluates a PromQL query now, as Prometheus evaluates an instant query at the wall clock's now: an
    /// instant selector reads the newest sample within the lookback (the tick at or before now).
    pub fn query(&self, text: &str) -> Result<Answer, QueryError> {
        if self.history().is_empty() {
            crate::promql::parse(text)?;
            return Err(QueryError::new(QueryErrorKind::NoSamples));
        }
        crate::promql::instant_query(&self.store(), text, self.now() * 1000)
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
    pub fn latest(&self, series: usize) -> f64 {
        self.world.resource::<Frame>().0.get(series).copied().unwrap_or(0.0)
    }

    /// Network element `k` (in the scenario's `network`) as its monitoring reads it after the last tick.
    pub fn network_element(&self, k: usize) -> Option<ElementReading> {
        self.world.resource::<network::Network>().reading(k, &self.world.resource::<Frame>().0)
    }

    /// The fleet of the service at `index`, if it has one: its members' health as of the last tick.
    pub fn fleet(&self, index: usize) -> Option<&FleetRun> {
        self.world.resource::<Fleets>().of(index as u32)
    }

    /// Series index of metric `metric` of member `member` of the fleet service at `index`.
    pub fn member_series(&self, index: usize, member: usize, metric: &str) -> Option<usize> {
        let run = self.fleet(index)?;
        let position = self.scenario.services[index].metrics.iter().position(|m| m.name == metric)?;
        (member < run.members).then(|| run.column(member, position))
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

    /// GM: shifts a metric from now on (reaching the full shift over `ramp` seconds), until the drill ends.
    pub fn inject_metric(&mut self, series: usize, shift: crate::scenario::Shift, ramp: i64) {
        let start = self.now();
        let mut incident = self.world.resource_mut::<Incident>();
        incident.injected.push(symptoms::ActiveMetricSymptom {
            series,
            shift,
            start,
            ramp: ramp.max(0),
            when: None,
            holding_since: Some(start),
        });
        incident.changed = true;
    }

    /// GM: applies a one-shot effect now (a log line, a change, a flag or a version).
    pub fn inject_effect(&mut self, effect: &crate::scenario::Effect) {
        let now = self.now();
        self.world.resource_scope(|world, mut inventory: Mut<Inventory>| {
            world.resource_scope(|world, mut pending: Mut<components::PendingLogs>| {
                let services = world.resource::<ServiceNames>();
                systems::apply_effect(effect, now, services, &mut inventory, &mut pending);
            });
        });
    }

    /// GM: sends a track to a state on the next tick, whatever its transitions say. Returns false if either
    /// name is unknown.
    pub fn goto(&mut self, track: &str, state: &str) -> bool {
        let mut incident = self.world.resource_mut::<Incident>();
        let Some(t) = incident.tracks.iter().position(|x| x.id == track) else { return false };
        let Some(s) = incident.tracks[t].states.iter().position(|x| x.id == state) else { return false };
        incident.forced.push((t, s));
        true
    }

    /// Hidden truth, for the GM console: for each track, how far each transition out of its current state
    /// is from firing (time left, a metric's value), in the order of the scenario's tracks and transitions.
    pub fn gm_pending(&self) -> Vec<Vec<Option<String>>> {
        let incident = self.world.resource::<Incident>();
        let frame = &self.world.resource::<components::Frame>().0;
        let now = self.now();
        incident
            .tracks
            .iter()
            .map(|track| {
                let state = &track.states[track.current];
                state
                    .transitions
                    .iter()
                    .map(|(_, c)| c.progress(now, track.entered_at, &incident.watches, frame))
                    .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixture_incident_resolves_once_its_rollback_lands() {
        let mut sim = Sim::new(Arc::new(crate::scenario::fixture()), 3);
        assert_eq!(sim.phase(), Phase::Impact);
        let series = sim.series_index("api", "error_rate").expect("api has an error rate");
        assert!(sim.latest(series) > 0.2, "the broken state sets the error rate");
        // A rollback typed at 0:30 that takes two minutes lands at 2:30, between ticks.
        sim.input_at(150, Input::Action { action: "rollback".into(), target: Some("api".into()), arg: None });
        sim.advance(150);
        assert_eq!(sim.phase(), Phase::Impact, "the tick at 2:00 came before the action landed");
        sim.advance(30);
        assert_eq!(sim.phase(), Phase::Resolved);
        let entered: Vec<SimEvent> =
            sim.take_events().into_iter().filter(|e| matches!(e, SimEvent::StateEntered { .. })).collect();
        assert_eq!(entered.len(), 1, "{entered:?}");
        sim.advance(60);
        assert!(sim.latest(series) < 0.05, "the symptom is gone with its state");
    }
}
