//! The simulation through its public API on a small fixture: propagation, triggers, alerts, history.

use std::sync::Arc;
use wom::scenario::{DEFAULT_SCENARIO, Phase, builtin, parse};
use wom::sim::{Health, Input, Sim, SimEvent};

const FIXTURE: &str = r#"(
    schema_version: 1,
    meta: (id: "fixture", title: "t", briefing: "b", gm_summary: "g", source: "test"),
    clock: (page_time: "12:00", history: "30m"),
    services: [
        (id: "front", depends_on: [
            (on: "db", coupling: Hard, weight: 0.5),
            (on: "cache", coupling: Soft),
            (on: "mailer", coupling: Async),
        ], metrics: [
            (name: "error_rate", unit: Ratio, baseline: 0.01),
            (name: "latency_p99", unit: Millis, baseline: 100.0),
        ]),
        (id: "db", metrics: [(name: "error_rate", unit: Ratio, baseline: 0.0), (name: "latency_p99", unit: Millis, baseline: 10.0)]),
        (id: "cache", metrics: [(name: "error_rate", unit: Ratio, baseline: 0.0), (name: "latency_p99", unit: Millis, baseline: 1.0)]),
        (id: "mailer", kind: Queue, metrics: [(name: "error_rate", unit: Ratio, baseline: 0.0), (name: "queue_depth", baseline: 5.0)]),
    ],
    alerts: [(name: "FrontErrors", service: "front", metric: "error_rate", op: Above, threshold: 0.2, sustained: "3m", summary: "front errors")],
    tracks: [
        (id: "main", initial: "ok", states: [
            (id: "ok", phase: Normal, transitions: [(to: "db_down", when: Gm("break"))]),
            (id: "db_down",
             symptoms: [
                Metric(service: "db", metric: "error_rate", shift: Set(0.8)),
                Metric(service: "db", metric: "latency_p99", shift: Set(110.0), ramp: "10m"),
                Metric(service: "cache", metric: "error_rate", shift: Set(1.0)),
                Metric(service: "mailer", metric: "error_rate", shift: Set(1.0)),
             ],
             transitions: [(to: "fixed", when: All([
                Action(action: "fix", target: "db"),
                Metric(service: "front", metric: "error_rate", op: Above, value: 0.3, sustained: "2m"),
             ]))]),
            (id: "fixed", phase: Resolved),
        ]),
        (id: "noise", initial: "quiet", states: [
            (id: "quiet", phase: Normal, transitions: [(to: "loud", when: Reached("db_down"))]),
            (id: "loud", phase: Normal),
        ]),
    ],
    actions: [(id: "fix", summary: "fix it", targets: ["db"], result: "fixed {target}")],
    root_cause: (summary: "s", keywords: [["db"]], five_ws: (what: "a", where: "b", why: "c", when: "d", who: "e")),
    rubric: (declare: (within: "5m", points: 10), mitigate: (within: "10m", points: 10), root_cause: 10, updates: (every: "10m", points: 10)),
    walkthrough: ["mitigate fix db"],
)"#;

fn fixture() -> Sim {
    Sim::new(Arc::new(parse(FIXTURE, "fixture.ron").expect("fixture loads")), 1)
}

fn value(sim: &Sim, service: &str, metric: &str) -> f64 {
    sim.latest(sim.series_index(service, metric).expect("series"))
}

fn state(sim: &Sim, track: usize) -> String {
    sim.gm_states()[track].1.clone()
}

#[test]
fn history_runs_from_before_the_page() {
    let sim = fixture();
    assert_eq!(sim.now(), 0);
    assert_eq!(sim.history().first_t(), -1800);
    assert_eq!(sim.history().last_t(), Some(0));
    assert_eq!(sim.history().len(), 31);
    assert_eq!(value(&sim, "front", "error_rate"), 0.01);
}

#[test]
fn failure_propagates_by_coupling() {
    let mut sim = fixture();
    sim.input(Input::Gm("break".into()));
    sim.advance(60);
    assert_eq!(state(&sim, 0), "db_down");
    // Hard at weight 0.5 passes half of db's 0.8; the soft cache edge passes 5% of its 1.0; async passes none.
    let front = value(&sim, "front", "error_rate");
    assert!((front - (0.01 + 0.4 + 0.05)).abs() < 1e-5, "front error_rate {front}");
    assert_eq!(sim.health(0), Health::Degraded);
    assert_eq!(sim.health(1), Health::Down);
    // The ramp starts at entry: after one more minute of a ten-minute ramp from 10ms to 110ms db is at
    // 20ms, and half of the extra reaches front over the hard edge at weight 0.5.
    assert_eq!(value(&sim, "db", "latency_p99"), 10.0);
    let q1 = value(&sim, "mailer", "queue_depth");
    sim.advance(60);
    assert!((value(&sim, "db", "latency_p99") - 20.0).abs() < 1e-3);
    assert!((value(&sim, "front", "latency_p99") - 105.0).abs() < 1e-3);
    // The async consumer's queue backs up tick after tick.
    let q2 = value(&sim, "mailer", "queue_depth");
    assert!(q1 > 5.0 && q2 > q1, "queue {q1} then {q2}");
}

#[test]
fn parallel_track_follows_a_reached_state() {
    let mut sim = fixture();
    assert_eq!(state(&sim, 1), "quiet");
    sim.input(Input::Gm("break".into()));
    sim.advance(60);
    assert_eq!(state(&sim, 1), "loud");
}

#[test]
fn all_trigger_needs_the_action_and_the_sustained_metric() {
    let mut sim = fixture();
    sim.input(Input::Gm("break".into()));
    sim.input(Input::Action { action: "fix".into(), target: Some("db".into()), arg: None });
    sim.advance(60);
    assert_eq!(state(&sim, 0), "db_down");
    // An action taken before the state was entered does not count for its transitions.
    sim.advance(600);
    assert_eq!(state(&sim, 0), "db_down");
    sim.input(Input::Action { action: "fix".into(), target: Some("db".into()), arg: None });
    sim.advance(60);
    assert_eq!(state(&sim, 0), "fixed", "the metric has held long enough by now");
    let mut sim = fixture();
    sim.input(Input::Gm("break".into()));
    sim.advance(60);
    sim.input(Input::Action { action: "fix".into(), target: Some("db".into()), arg: None });
    sim.advance(60);
    assert_eq!(state(&sim, 0), "db_down", "the metric has not held for 2m yet");
    sim.advance(60);
    assert_eq!(state(&sim, 0), "fixed");
    assert_eq!(sim.phase(), Phase::Resolved);
    sim.advance(60);
    assert_eq!(value(&sim, "front", "error_rate"), 0.01, "symptoms end with their state");
}

#[test]
fn wrong_target_does_not_trigger() {
    let mut sim = fixture();
    sim.input(Input::Gm("break".into()));
    sim.advance(60);
    sim.input(Input::Action { action: "fix".into(), target: Some("cache".into()), arg: None });
    sim.advance(600);
    assert_eq!(state(&sim, 0), "db_down");
}

#[test]
fn alerts_fire_after_holding_and_resolve() {
    let mut sim = fixture();
    sim.take_events();
    sim.input(Input::Gm("break".into()));
    sim.advance(60 * 3);
    assert!(!sim.take_events().iter().any(|e| matches!(e, SimEvent::AlertFired { .. })), "fires only after 3m");
    sim.advance(60);
    let fired: Vec<i64> = sim
        .take_events()
        .iter()
        .filter_map(|e| match e {
            SimEvent::AlertFired { t, name, .. } if name == "FrontErrors" => Some(*t),
            _ => None,
        })
        .collect();
    assert_eq!(fired, vec![240]);
    sim.input(Input::Action { action: "fix".into(), target: Some("db".into()), arg: None });
    sim.advance(300);
    assert!(
        sim.take_events().iter().any(|e| matches!(e, SimEvent::AlertResolved { name, .. } if name == "FrontErrors"))
    );
}

#[test]
fn time_moves_in_seconds_and_ticks_on_minute_boundaries() {
    let mut sim = fixture();
    sim.advance(30);
    assert_eq!(sim.now(), 30);
    assert_eq!(sim.history().last_t(), Some(0));
    sim.advance(30);
    assert_eq!(sim.history().last_t(), Some(60));
}

#[test]
fn same_seed_same_world_other_seed_other_noise() {
    let scenario = Arc::new(builtin(DEFAULT_SCENARIO).unwrap().unwrap());
    let series = |seed| {
        let sim = Sim::new(scenario.clone(), seed);
        let index = sim.series_index("web", "requests").unwrap();
        sim.history().series(index, -7200).1
    };
    assert_eq!(series(3), series(3));
    assert_ne!(series(3), series(4));
}

#[test]
fn default_scenario_starts_25_minutes_before_the_page() {
    let scenario = Arc::new(builtin(DEFAULT_SCENARIO).unwrap().unwrap());
    let sim = Sim::new(scenario, 5);
    let index = sim.series_index("web", "signups_per_min").unwrap();
    let (t0, values) = sim.history().series(index, -7200);
    let first_zero = values.iter().position(|v| *v == 0.0).map(|i| t0 + i as i64 * 60);
    assert_eq!(first_zero, Some(-1500));
    assert!(values[..values.len() - 26].iter().all(|v| *v > 10.0));
}

/// A scenario with a nested `After` message and a `Below` metric trigger, both of which must wait.
const WAITING: &str = r#"(
    schema_version: 1,
    meta: (id: "waiting", title: "t", briefing: "b", gm_summary: "g", source: "test"),
    clock: (page_time: "12:00", history: "1h"),
    services: [(id: "app", metrics: [(name: "rps", baseline: 100.0)])],
    tracks: [(id: "main", initial: "calm", states: [
        (id: "calm", phase: Normal, transitions: [
            (to: "quiet", when: Metric(service: "app", metric: "rps", op: Below, value: 50.0, sustained: "1m")),
            (to: "done", when: Action(action: "fix")),
        ]),
        (id: "quiet", phase: Impact),
        (id: "done", phase: Resolved),
    ])],
    actions: [(id: "fix", summary: "fix", result: "ok")],
    messages: [(from: "Sam", when: All([After("10m"), Reached("calm")]), text: "ten minutes in")],
    root_cause: (summary: "s", keywords: [["x"]], five_ws: (what: "a", where: "b", why: "c", when: "d", who: "e")),
    rubric: (declare: (within: "5m", points: 10), mitigate: (within: "10m", points: 10), root_cause: 10, updates: (every: "10m", points: 10)),
    walkthrough: ["mitigate fix"],
)"#;

#[test]
fn nothing_fires_early_from_zeroed_frames_or_nested_after() {
    let mut sim = Sim::new(Arc::new(parse(WAITING, "waiting.ron").expect("loads")), 1);
    assert_eq!(state(&sim, 0), "calm", "a Below trigger must not read an all-zero first frame");
    let early = sim.take_events();
    assert!(!early.iter().any(|e| matches!(e, SimEvent::MessageArrived { .. })), "{early:?}");
    sim.advance(600);
    let arrived: Vec<i64> =
        sim.take_events().iter().filter(|&e| matches!(e, SimEvent::MessageArrived { .. })).map(|e| e.time()).collect();
    assert_eq!(arrived, vec![600]);
}

#[test]
fn an_action_lands_when_it_completes() {
    let mut sim = Sim::new(Arc::new(parse(WAITING, "waiting.ron").expect("loads")), 1);
    sim.input_at(180, Input::Action { action: "fix".into(), target: None, arg: None });
    sim.advance(120);
    assert_eq!(state(&sim, 0), "calm");
    sim.advance(60);
    assert_eq!(state(&sim, 0), "done");
}

const POOL: &str = r#"(
    schema_version: 1,
    meta: (id: "pool", title: "t", briefing: "b", gm_summary: "g", source: "test"),
    services: [(id: "api", metrics: [
        (name: "saturation", unit: Ratio, baseline: 0.5),
        (name: "latency_p99", unit: Millis, baseline: 100.0),
    ])],
    tracks: [(id: "main", initial: "exhausted", states: [
        (id: "exhausted", symptoms: [Metric(service: "api", metric: "saturation", shift: Set(0.95))],
         transitions: [(to: "noticed", when: Command(command: "logs", target: "api", contains: "pool"))]),
        (id: "noticed", phase: Resolved),
    ])],
    actions: [],
    root_cause: (summary: "s", keywords: [["x"]], five_ws: (what: "a", where: "b", why: "c", when: "d", who: "e")),
    rubric: (declare: (within: "5m", points: 10), mitigate: (within: "10m", points: 10), root_cause: 10, updates: (every: "10m", points: 10)),
    walkthrough: ["logs api --grep pool"],
)"#;

#[test]
fn saturation_stretches_latency_like_a_queue() {
    let sim = Sim::new(Arc::new(parse(POOL, "pool.ron").expect("loads")), 1);
    // (1 - 0.5) / (1 - 0.95) = 10 times the baseline p99.
    assert!((value(&sim, "api", "latency_p99") - 1000.0).abs() < 0.5, "{}", value(&sim, "api", "latency_p99"));
    assert_eq!(sim.health(0), Health::Degraded);
}

#[test]
fn command_trigger_can_require_text_in_the_line() {
    let mut sim = Sim::new(Arc::new(parse(POOL, "pool.ron").expect("loads")), 1);
    let logs = |line: &str| Input::Command { command: "logs".into(), target: Some("api".into()), line: line.into() };
    sim.input(logs("logs api --grep timeout"));
    sim.advance(60);
    assert_eq!(state(&sim, 0), "exhausted");
    sim.input(logs("logs api --grep pool"));
    sim.advance(60);
    assert_eq!(state(&sim, 0), "noticed");
}

const TWO_STEPS: &str = r#"(
    schema_version: 1,
    meta: (id: "steps", title: "t", briefing: "b", gm_summary: "g", source: "test"),
    services: [(id: "app", metrics: [(name: "rps", baseline: 1.0)])],
    tracks: [(id: "main", initial: "a", states: [
        (id: "a", transitions: [(to: "b", when: Action(action: "fix"))]),
        (id: "b", transitions: [(to: "c", when: Action(action: "fix"))]),
        (id: "c", phase: Resolved),
    ])],
    actions: [(id: "fix", summary: "fix", result: "ok")],
    root_cause: (summary: "s", keywords: [["x"]], five_ws: (what: "a", where: "b", why: "c", when: "d", who: "e")),
    rubric: (declare: (within: "5m", points: 1), mitigate: (within: "5m", points: 1), root_cause: 1, updates: (every: "5m", points: 1)),
    walkthrough: ["mitigate fix", "mitigate fix"],
)"#;

#[test]
fn one_action_landing_on_a_tick_moves_only_one_state() {
    let mut sim = Sim::new(Arc::new(parse(TWO_STEPS, "steps.ron").expect("loads")), 1);
    sim.input_at(60, Input::Action { action: "fix".into(), target: None, arg: None });
    sim.advance(60);
    assert_eq!(state(&sim, 0), "b");
    sim.advance(300);
    assert_eq!(state(&sim, 0), "b", "the same action must not also count for the state it led to");
    sim.input(Input::Action { action: "fix".into(), target: None, arg: None });
    sim.advance(60);
    assert_eq!(state(&sim, 0), "c");
}
