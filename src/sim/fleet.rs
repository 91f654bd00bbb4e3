//! Fleets in the simulation: each member of a fleet service has its own series (its metrics, modelled per
//! member, with its own noise and symptoms), and the service's own series are their aggregate, as a
//! recording rule would keep them: traffic-like metrics (rates, counts, bytes) sum over the members, ratios
//! and latencies average. Dependencies, alerts, SLOs and triggers read the aggregate; failure carried in
//! from a dependency reaches every member; each member's health is judged on its own, so `status` can say
//! `118/1200 hosts unhealthy`.
//!
//! Frame layout of a fleet service: its aggregate series first (one per metric, in the scenario's order),
//! then each member's series, member after member.

use super::components::{Frame, Health, Vitals};
use crate::scenario::{Members, Scenario, Unit};
use bevy_ecs::prelude::*;
use std::collections::BTreeMap;

/// One fleet service as laid out in the frame.
#[derive(Clone, Debug)]
pub struct FleetRun {
    /// Service index.
    pub service: u32,
    /// Column of the first aggregate series.
    pub aggregate: usize,
    /// Column of member 0's first series.
    pub first: usize,
    /// Number of members.
    pub members: usize,
    /// Metrics per member.
    pub metrics: usize,
    /// Per metric: whether the aggregate is a sum (else a mean).
    pub sums: Vec<bool>,
    /// Per metric: 1 for sums, the member count for means.
    divisor: Vec<f64>,
    /// Aggregate values before propagation, this tick.
    before: Vec<f64>,
    /// The service's vital series, as positions among its metrics.
    vitals: Vitals,
    /// Health of each member as of the last tick.
    pub health: Vec<Health>,
}

impl FleetRun {
    /// Column of metric `position` of member `member`.
    pub fn column(&self, member: usize, position: usize) -> usize {
        self.first + member * self.metrics + position
    }

    /// Members not healthy as of the last tick.
    pub fn unhealthy(&self) -> usize {
        self.health.iter().filter(|h| **h != Health::Healthy).count()
    }

    /// Members down as of the last tick.
    pub fn down(&self) -> usize {
        self.health.iter().filter(|h| **h == Health::Down).count()
    }

    /// The member's vitals: the service's, moved to the member's columns.
    fn member_vitals(&self, member: usize) -> Vitals {
        let at = |slot: Option<(u32, f64)>| slot.map(|(p, b)| (self.column(member, p as usize) as u32, b));
        Vitals {
            error_rate: at(self.vitals.error_rate),
            latency_p50: at(self.vitals.latency_p50),
            latency_p99: at(self.vitals.latency_p99),
            queue_depth: at(self.vitals.queue_depth),
            saturation: at(self.vitals.saturation),
            up: at(self.vitals.up),
        }
    }
}

/// Every fleet of the scenario.
#[derive(Resource, Debug, Default)]
pub struct Fleets {
    /// Fleets in dependency order of their services.
    pub runs: Vec<FleetRun>,
    /// Service index → position in `runs`.
    pub by_service: BTreeMap<u32, usize>,
}

impl Fleets {
    /// The fleet of the service at `index`, if it has one.
    pub fn of(&self, index: u32) -> Option<&FleetRun> {
        self.by_service.get(&index).map(|&k| &self.runs[k])
    }

    /// Lays out a fleet service: `aggregate` and `first` as in [`FleetRun`], `vitals` with positions
    /// among the service's metrics (baselines per member).
    pub fn add(&mut self, s: &Scenario, service: usize, aggregate: usize, first: usize, vitals: Vitals) {
        let svc = &s.services[service];
        let Some(fleet) = &svc.fleet else { return };
        let members = fleet.size();
        let sums: Vec<bool> = svc.metrics.iter().map(|m| is_sum(&m.name, m.unit)).collect();
        let divisor = sums.iter().map(|&sum| if sum { 1.0 } else { members as f64 }).collect();
        self.by_service.insert(service as u32, self.runs.len());
        self.runs.push(FleetRun {
            service: service as u32,
            aggregate,
            first,
            members,
            metrics: svc.metrics.len(),
            before: vec![0.0; svc.metrics.len()],
            sums,
            divisor,
            vitals,
            health: vec![Health::Healthy; members],
        });
    }

    /// Columns a symptom on `metric` of the service at `service` touches: the chosen members' series on a
    /// fleet, or `None` for a service without one.
    pub fn symptom_columns(&self, s: &Scenario, service: u32, metric: &str, members: &Members) -> Option<Vec<usize>> {
        let run = self.of(service)?;
        let svc = &s.services[service as usize];
        let fleet = svc.fleet.as_ref()?;
        let position = svc.metrics.iter().position(|m| m.name == metric)?;
        let chosen = members.select(run.members, |name| fleet.position(&svc.id, name));
        Some(chosen.into_iter().map(|k| run.column(k, position)).collect())
    }
}

/// Whether a fleet's aggregate of this metric is the members' sum (traffic, counts, bytes) rather than their
/// mean (ratios, latencies, utilisation).
pub fn is_sum(name: &str, unit: Unit) -> bool {
    !matches!(unit, Unit::Ratio | Unit::Millis) && !name.starts_with("latency") && name != "saturation"
}

/// Per-member baseline of metric `unit`/`name` for a member of weight `weight`: traffic scales with it.
pub fn member_baseline(name: &str, unit: Unit, baseline: f64, weight: f64) -> f64 {
    if is_sum(name, unit) && name != "up" { baseline * weight } else { baseline }
}

/// Writes each fleet's aggregate series from its members' (after symptoms, before propagation).
pub fn aggregate_fleets(mut fleets: ResMut<Fleets>, mut frame: ResMut<Frame>) {
    let frame = &mut frame.0;
    for run in &mut fleets.runs {
        // Saturation stretches each member's latency before the aggregate averages it.
        for k in 0..run.members {
            super::systems::saturate(frame, &run.member_vitals(k));
        }
        for p in 0..run.metrics {
            let mut total = 0.0f64;
            for k in 0..run.members {
                total += frame[run.column(k, p)];
            }
            let value = total / run.divisor[p];
            frame[run.aggregate + p] = value;
            run.before[p] = value;
        }
    }
}

/// Carries what propagation added to a fleet's aggregate into every member (after propagation).
pub fn spread_to_members(fleets: Res<Fleets>, mut frame: ResMut<Frame>) {
    let frame = &mut frame.0;
    for run in &fleets.runs {
        for p in 0..run.metrics {
            let added = frame[run.aggregate + p] - run.before[p];
            if added == 0.0 {
                continue;
            }
            // A sum spreads its increase over the members; a mean moves every member by it.
            let each = if run.sums[p] { added / run.members as f64 } else { added };
            let cap = if Some(p as u32) == run.vitals.error_rate.map(|(s, _)| s) { 1.0 } else { f64::MAX };
            for k in 0..run.members {
                let c = run.column(k, p);
                frame[c] = (frame[c] + each).min(cap);
            }
        }
    }
}

/// Judges each member's health by the rules a service's health follows.
pub fn judge_members(mut fleets: ResMut<Fleets>, frame: Res<Frame>) {
    for run in &mut fleets.runs {
        for k in 0..run.members {
            let vitals = run.member_vitals(k);
            run.health[k] = super::systems::judge(&frame.0, &vitals);
        }
    }
}
