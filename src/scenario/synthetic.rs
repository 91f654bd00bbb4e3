//! Generated scenarios of any size, for benchmarks and load tests: a layered topology with the
//! well-known metrics, a few alerts and SLOs, and an incident in one service.

use super::model::*;
use super::{SCHEMA_VERSION, SimDuration};
use std::collections::BTreeMap;

/// Shape of a generated scenario.
#[derive(Clone, Copy, Debug)]
pub struct SyntheticShape {
    /// Number of services.
    pub services: usize,
    /// Metrics per service (at least the five well-known ones are always present).
    pub metrics: usize,
    /// History before the page.
    pub history: SimDuration,
    /// Services that write background logs.
    pub logging_services: usize,
    /// Log lines per minute for each of them.
    pub log_rate: f64,
}

const WELL_KNOWN: [(&str, Unit, f64); 5] = [
    ("requests", Unit::PerSecond, 100.0),
    ("error_rate", Unit::Ratio, 0.0005),
    ("latency_p50", Unit::Millis, 20.0),
    ("latency_p99", Unit::Millis, 90.0),
    ("saturation", Unit::Ratio, 0.4),
];

const GAUGES: [(&str, Unit, f64); 5] = [
    ("cpu", Unit::Ratio, 0.35),
    ("memory_bytes", Unit::Bytes, 512.0 * 1_048_576.0),
    ("db_pool_in_use", Unit::Count, 6.0),
    ("db_pool_size", Unit::Count, 25.0),
    ("db_pool_waiting", Unit::Count, 0.5),
];

/// A scenario with `shape.services` services of `shape.metrics` metrics each; service `i` depends on
/// services `i+1` and `2i+1` (when they exist), so every service has callers and failure can travel.
pub fn synthetic(shape: SyntheticShape) -> Scenario {
    let n = shape.services.max(2);
    let services = (0..n).map(|i| service(i, n, shape)).collect();
    let target = "svc-1".to_string();
    Scenario {
        schema_version: SCHEMA_VERSION,
        meta: Meta {
            id: "synthetic".into(),
            title: format!("synthetic topology of {n} services"),
            briefing: "Synthetic load: svc-1 fails.".into(),
            gm_summary: "svc-1 starts failing 30 minutes before the page.".into(),
            source: "generated".into(),
            difficulty: Difficulty::Medium,
            tags: vec!["synthetic".into()],
            objectives: Vec::new(),
            length: None,
        },
        clock: ClockSpec { page_time: "12:00".into(), history: shape.history, date: None, zone: None },
        services,
        changes: vec![Change {
            at: SimDuration::minutes(-31),
            service: target.clone(),
            kind: ChangeKind::Deploy,
            summary: "Deploy svc-1 v2".into(),
            author: "bot".into(),
        }],
        flags: Vec::new(),
        alerts: (0..n.min(100))
            .map(|i| AlertRule {
                name: format!("Errors{i}"),
                service: format!("svc-{i}"),
                metric: "error_rate".into(),
                op: Comparison::Above,
                threshold: 0.05,
                sustained: SimDuration::minutes(5),
                severity: AlertSeverity::Page,
                summary: format!("svc-{i} errors above 5%"),
                red_herring: false,
                monitor: None,
            })
            .collect(),
        slos: vec![Slo {
            service: "svc-0".into(),
            kind: SloKind::Availability,
            target: 0.999,
            window: SimDuration(30 * 86_400),
        }],
        severity_policy: SeverityPolicy::SeedGuide,
        tracks: vec![Track {
            id: "incident".into(),
            initial: "healthy".into(),
            states: vec![
                State {
                    id: "healthy".into(),
                    description: String::new(),
                    phase: Phase::Normal,
                    symptoms: Vec::new(),
                    on_enter: Vec::new(),
                    on_exit: Vec::new(),
                    transitions: vec![Transition { to: "broken".into(), when: Trigger::At(SimDuration::minutes(-30)) }],
                    couplings: Vec::new(),
                    skip: None,
                },
                State {
                    id: "broken".into(),
                    description: String::new(),
                    phase: Phase::Impact,
                    symptoms: vec![Symptom::Metric {
                        service: target.clone(),
                        metric: "error_rate".into(),
                        shift: Shift::Set(0.3),
                        ramp: SimDuration::minutes(10),
                        delay: SimDuration::ZERO,
                        when: None,
                        members: Members::All,
                    }],
                    on_enter: Vec::new(),
                    on_exit: Vec::new(),
                    transitions: vec![Transition {
                        to: "fixed".into(),
                        when: Trigger::Action {
                            action: "rollback".into(),
                            target: Some(target.clone()),
                            arg: None,
                            done: None,
                        },
                    }],
                    couplings: Vec::new(),
                    skip: None,
                },
                State {
                    id: "fixed".into(),
                    description: String::new(),
                    phase: Phase::Resolved,
                    symptoms: Vec::new(),
                    on_enter: Vec::new(),
                    on_exit: Vec::new(),
                    transitions: Vec::new(),
                    couplings: Vec::new(),
                    skip: None,
                },
            ],
            debrief: true,
        }],
        actions: vec![Action {
            id: "rollback".into(),
            summary: "roll back".into(),
            targets: vec![target],
            arg: None,
            counts: None,
            outcomes: Vec::new(),
            stages: Vec::new(),
            cost: None,
            result: "Rolled back `{target}`.".into(),
        }],
        counters: Vec::new(),
        root_cause: RootCause {
            summary: "svc-1 v2 is broken.".into(),
            trigger: "the deploy of svc-1 v2".into(),
            keywords: vec![vec!["svc-1".into()]],
            five_ws: FiveWs {
                what: "serve".into(),
                where_: "svc-1".into(),
                why: "bad deploy".into(),
                when: "T-30m".into(),
                who: "everyone".into(),
            },
            wrong_causes: Vec::new(),
        },
        hints: Vec::new(),
        runbooks: Vec::new(),
        messages: Vec::new(),
        costs: BTreeMap::new(),
        rubric: Rubric {
            declare: Goal { within: SimDuration::minutes(10), points: 10 },
            expected_severity: Vec::new(),
            mitigate: Goal { within: SimDuration::minutes(30), points: 10 },
            root_cause: 10,
            evidence: Vec::new(),
            updates: Cadence { every: SimDuration::minutes(15), points: 10 },
            roles: 0,
            harmful: Vec::new(),
            good: Vec::new(),
            hint_penalty: 0,
            audiences: Vec::new(),
            five_ws: Default::default(),
            responders: Vec::new(),
            only_ol_acts: 0,
        },
        walkthrough: vec!["mitigate rollback svc-1".into()],
        gm_notes: String::new(),
        teams: Vec::new(),
        gm: GmSpec::default(),
        processes: Default::default(),
        tools: Vec::new(),
        diagnostics: Vec::new(),
        network: Vec::new(),
        load: Vec::new(),
    }
}

/// The fleet counterpart of [`synthetic`]: the same incident and metrics, but `members` alike hosts in one
/// service (`svc-1`, the failing one, 10% of its members hit) called by `svc-0`, so a benchmark can compare a
/// fleet with as many services.
pub fn synthetic_fleet(members: u32, metrics: usize, history: SimDuration) -> Scenario {
    let mut s = synthetic(SyntheticShape { services: 2, metrics, history, logging_services: 0, log_rate: 0.0 });
    s.meta.title = format!("synthetic fleet of {members} hosts");
    s.services[1].fleet =
        Some(super::Fleet { count: members, noun: "hosts".into(), names: Vec::new(), weights: Vec::new() });
    for state in &mut s.tracks[0].states {
        for symptom in &mut state.symptoms {
            if let Symptom::Metric { members, .. } = symptom {
                *members = Members::Fraction(0.1);
            }
        }
    }
    s
}

fn service(i: usize, n: usize, shape: SyntheticShape) -> Service {
    let mut metrics: Vec<MetricSpec> = WELL_KNOWN
        .iter()
        .map(|(name, unit, baseline)| MetricSpec {
            name: name.to_string(),
            unit: *unit,
            baseline: *baseline,
            noise: 0.05,
            seasonality: 0.2,
            help: String::new(),
            bounded_by: None,
            max: None,
            timeout: None,
        })
        .collect();
    for k in WELL_KNOWN.len()..shape.metrics {
        // The next ones are gauges a Prometheus user knows under their exporters' names (docs/queries.md).
        let (name, unit, baseline) = match GAUGES.get(k - WELL_KNOWN.len()) {
            Some(&(name, unit, baseline)) => (name.to_string(), unit, baseline),
            None => (format!("m{k}"), Unit::Count, 10.0 + k as f64),
        };
        metrics.push(MetricSpec {
            name,
            unit,
            baseline,
            noise: 0.1,
            seasonality: 0.1,
            help: String::new(),
            bounded_by: None,
            max: None,
            timeout: None,
        });
    }
    let depends_on = [i + 1, 2 * i + 1]
        .into_iter()
        .filter(|&j| j < n)
        .enumerate()
        .map(|(k, j)| Dependency {
            on: format!("svc-{j}"),
            coupling: if k == 0 { Coupling::Hard } else { Coupling::Soft },
            weight: 0.5,
            via: Vec::new(),
        })
        .collect();
    let logs = if i < shape.logging_services {
        vec![LogSpec {
            level: Level::Info,
            template: "GET /items/{n} 200 {ms}ms request_id={id} user={user}".into(),
            rate: shape.log_rate,
        }]
    } else {
        Vec::new()
    };
    Service {
        id: format!("svc-{i}"),
        kind: ServiceKind::Service,
        description: String::new(),
        version: "v1".into(),
        user_facing: i == 0,
        depends_on,
        metrics,
        logs,
        config: BTreeMap::new(),
        fleet: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_synthetic_scenario_validates() {
        let shape = SyntheticShape {
            services: 50,
            metrics: 10,
            history: SimDuration(3600),
            logging_services: 2,
            log_rate: 5.0,
        };
        let s = synthetic(shape);
        assert_eq!(s.services.len(), 50);
        assert!(s.services.iter().all(|x| x.metrics.len() == 10));
        super::super::validate::validate(&s).expect("valid");
    }

    #[test]
    fn a_synthetic_fleet_validates_and_hits_a_tenth_of_its_members() {
        let s = synthetic_fleet(1000, 10, SimDuration(3600));
        assert_eq!(s.services.len(), 2);
        assert_eq!(s.services[1].fleet.as_ref().map(|f| f.size()), Some(1000));
        let hit = s.tracks[0].states[1]
            .symptoms
            .iter()
            .any(|x| matches!(x, Symptom::Metric { members: Members::Fraction(f), .. } if *f == 0.1));
        assert!(hit);
        super::super::validate::validate(&s).expect("valid");
    }
}
