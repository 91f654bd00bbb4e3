//! Building the world: services spawned as entities in dependency order, their series laid out, and the
//! resources (clock, history, logs, alerts, SLOs, the compiled incident) inserted.

use super::alerts::{AlertBook, AlertCondition, AlertPlan, AlertStatus};
use super::catalog::{Catalog, Source};
use super::components::*;
use super::event::Outbox;
use super::exporter::{Exporters, ScenarioRef, catalog_series};
use super::fleet::{Fleets, is_sum, member_baseline};
use super::history::History;
use super::incident::{Incident, Inventory};
use super::logs::LogStore;
use super::periodic::LoadShapes;
use super::schedule::tick_schedule;
use super::slo::{SloBook, window_label};
use super::symptoms::ActiveSymptoms;
use super::{DRILL_HEADROOM, LOG_CAPACITY, LONG_TERM, STEP, ServiceNames, Sim};
use crate::scenario::Template;
use crate::scenario::{AlertSeverity, Scenario, dependency_order};
use bevy_ecs::prelude::*;
use rand::SeedableRng;
use std::collections::BTreeMap;
use std::sync::Arc;

impl Sim {
    /// Builds the world for a validated scenario, before any tick has run.
    pub(super) fn build(scenario: Arc<Scenario>, seed: u64) -> Sim {
        let mut world = World::new();
        let s = &*scenario;
        let mut series = BTreeMap::new();
        let mut names = ServiceNames::default();
        let mut next = 0usize;
        let mut catalog = Catalog::default();
        let mut member_vitals = Vitals::default();
        let mut spare = (None, None);
        let mut built: Vec<Option<(Model, Vitals, Vec<LogSource>)>> = (0..s.services.len()).map(|_| None).collect();
        let mut firsts = vec![0; s.services.len()];
        let mut models = Vec::new();
        for (i, svc) in s.services.iter().enumerate() {
            names.index.insert(svc.id.clone(), i as u32);
        }
        // Dependencies first, for entities and series alike: a tick then sweeps the frame, the models and
        // the entity table in one direction, and propagation finds every dependency already computed.
        let order = dependency_order(s).unwrap_or_else(|_| (0..s.services.len()).collect());
        let mut fleets = Fleets::default();
        for &i in &order {
            let svc = &s.services[i];
            let first = next;
            firsts[i] = first;
            let mut vitals = Vitals::default();
            let members = svc.fleet.as_ref().map_or(0, |f| f.size());
            let weight = |k: usize| svc.fleet.as_ref().map_or(1.0, |f| f.weight(k));
            let total: f64 = (0..members).map(weight).sum();
            for (position, m) in svc.metrics.iter().enumerate() {
                series.insert((svc.id.clone(), m.name.clone()), next);
                // A declared `up` shows as the exporters' `up`, per instance, not twice under one name.
                if m.name != "up" {
                    catalog.add(
                        &[("__name__", m.name.as_str()), ("service", svc.id.as_str()), ("kind", svc.kind.label())],
                        Source::Column(next as u32),
                    );
                }
                // A fleet's own series aggregate its members': sums start from the members' total.
                let baseline = match members {
                    0 => m.baseline,
                    _ if m.name == "up" => members as f64,
                    _ if is_sum(&m.name, m.unit) => m.baseline * total,
                    _ => m.baseline,
                };
                let slot = Some((next as u32, baseline));
                let member_slot = Some((position as u32, m.baseline));
                let (own, per_member) = match m.name.as_str() {
                    "error_rate" => (&mut vitals.error_rate, &mut member_vitals.error_rate),
                    "latency_p50" => (&mut vitals.latency_p50, &mut member_vitals.latency_p50),
                    "latency_p99" => (&mut vitals.latency_p99, &mut member_vitals.latency_p99),
                    "queue_depth" => (&mut vitals.queue_depth, &mut member_vitals.queue_depth),
                    "saturation" => (&mut vitals.saturation, &mut member_vitals.saturation),
                    "up" => (&mut vitals.up, &mut member_vitals.up),
                    _ => (&mut spare.0, &mut spare.1),
                };
                *own = slot;
                *per_member = member_slot;
                models.push(MetricModel {
                    baseline,
                    noise: m.noise,
                    seasonality: m.seasonality,
                    load: LoadShapes::slot(s, &svc.id, &m.name),
                });
                next += 1;
            }
            if members > 0 {
                // Member series: each member's metrics in turn, hidden from queries (their exporter
                // series show them per instance).
                let member_first = next;
                for k in 0..members {
                    for m in &svc.metrics {
                        models.push(MetricModel {
                            baseline: member_baseline(&m.name, m.unit, m.baseline, weight(k)),
                            noise: m.noise,
                            seasonality: m.seasonality,
                            load: LoadShapes::slot(s, &svc.id, &m.name),
                        });
                        next += 1;
                    }
                }
                fleets.add(s, i, first, member_first, member_vitals);
                member_vitals = Vitals::default();
            }
            let logs = svc
                .logs
                .iter()
                .map(|l| LogSource { level: l.level, template: Template::parse(&l.template), rate: l.rate })
                .collect();
            let len = (next - first) as u32;
            built[i] = Some((Model { first: first as u32, len }, vitals, logs));
        }
        // Network elements: three series each after every service's (loss, round-trip time, share cut),
        // computed by an entity of their own ranked after the services, so the noise of services is drawn
        // as before.
        let mut network = super::network::Network::new(s, next);
        let mut element_models = Vec::new();
        for (k, e) in s.network.iter().enumerate() {
            let first = next;
            for (j, name) in crate::scenario::ELEMENT_SERIES.iter().enumerate() {
                series.insert((e.id.clone(), name.to_string()), next);
                if e.visible {
                    catalog.add(
                        &[("__name__", name), ("element", e.id.as_str()), ("kind", e.kind.word())],
                        Source::Column(next as u32),
                    );
                }
                let (baseline, noise) = match j {
                    0 => (e.loss, 0.0),
                    1 => (e.rtt, e.noise),
                    _ => (0.0, 0.0),
                };
                models.push(MetricModel { baseline, noise, seasonality: 0.0, load: 0 });
                next += 1;
            }
            element_models.push((TopoRank((s.services.len() + k) as u32), Model { first: first as u32, len: 3 }));
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
                    weight: d.weight,
                    backlog: 0.0,
                    declared: (d.coupling, d.weight),
                    via: network.path(s, &d.via),
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
        // Spawned after the services, so the metric sweep meets them last.
        world.spawn_batch(element_models);

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
            capacities: s.processes.capacities.iter().map(|c| (c.id.clone(), c.per_minute)).collect(),
            controls: BTreeMap::new(),
        });
        let slos = SloBook::new(s, &series);
        world.insert_resource(alert_book(s, &series, &slos));
        world.insert_resource(slos);
        world.insert_resource(Incident::compile(s, &series, &names.index, &fleets, -history, seed));
        let column = |service: usize, member: usize, position: usize| match fleets.of(service as u32) {
            Some(run) => run.column(member, position),
            None => firsts[service] + position,
        };
        let mut exporters = Exporters::new(s, -history, column);
        exporters.baseline = world.resource::<MetricModels>().0.iter().map(|m| m.baseline).collect();
        // Back far enough for every SLO window and burn-rate window, and 30 days at least.
        exporters.backfill = world.resource::<SloBook>().span().max(LONG_TERM) / STEP * STEP;
        catalog_series(&mut catalog, s, &exporters, column);
        world.insert_resource(exporters);
        world.insert_resource(ScenarioRef(scenario.clone()));
        world.insert_resource(super::bounds::Bounds::compile(s, &firsts, &fleets));
        world.insert_resource(fleets);
        world.insert_resource(network);
        world.insert_resource(LoadShapes::new(s));
        world.insert_resource(super::tools::ToolStatus::new(s, &names));
        let baselines: Vec<f64> = world.resource::<MetricModels>().0.iter().map(|m| m.baseline).collect();
        world.insert_resource(super::process::ProcessRun::compile(s, &series, &baselines));
        world.insert_resource(names);

        Sim { world, schedule: tick_schedule(), scenario, series, catalog, entities, firsts }
    }
}

/// The name of SLO `i`'s burn rule for `tier`: `SloBurn<Tier>-<service>`, with the SLO's kind after it when
/// its service has several SLOs (`SloBurnFast-web-latency`), and its position when that is not enough, so
/// that no two rules share a name.
fn burn_rule_name(tier: &str, slos: &[super::slo::SloRun], i: usize) -> String {
    let slo = &slos[i];
    let kind = |s: &super::slo::SloRun| match s.kind {
        crate::scenario::SloKind::Availability => "availability",
        crate::scenario::SloKind::Latency(_) => "latency",
    };
    let same_service = slos.iter().filter(|s| s.service == slo.service).count();
    let same_kind = slos.iter().filter(|s| s.service == slo.service && kind(s) == kind(slo)).count();
    match (same_service, same_kind) {
        (1, _) => format!("SloBurn{tier}-{}", slo.service),
        (_, 1) => format!("SloBurn{tier}-{}-{}", slo.service, kind(slo)),
        _ => {
            let nth = slos[..i].iter().filter(|s| s.service == slo.service && kind(s) == kind(slo)).count() + 1;
            format!("SloBurn{tier}-{}-{}-{nth}", slo.service, kind(slo))
        }
    }
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
                threshold: a.threshold,
            },
            sustained: a.sustained.secs(),
            severity: a.severity,
            summary: a.summary.clone(),
            monitor: a.monitor.as_ref().and_then(|m| s.tools.iter().position(|t| &t.id == m)),
        })
        .collect();
    for (i, slo) in slos.slos.iter().enumerate() {
        for (k, tier) in slos.tiers.iter().enumerate() {
            let what = slo.describe();
            let short = tier.short_window.map_or(String::new(), |m| format!(" and the last {}", window_label(m)));
            rules.push(AlertPlan {
                name: burn_rule_name(&tier.name, &slos.slos, i),
                service: slo.service.clone(),
                condition: AlertCondition::Burn { slo: i, tier: k },
                sustained: 0,
                severity: if tier.page { AlertSeverity::Page } else { AlertSeverity::Ticket },
                monitor: None,
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
