//! The scenario language's newer constructs, each on a small fixture with exact values: conditional
//! symptoms and `In` triggers, continuity between states, inputs landing on an entry tick, chance, and
//! what validation rejects.

use std::sync::Arc;
use wom::scenario::parse;
use wom::sim::{Input, Sim, SimEvent};

const CONDITIONS: &str = include_str!("fixtures/conditions.ron");

fn conditions() -> Sim {
    Sim::new(Arc::new(parse(CONDITIONS, "conditions.ron").expect("the fixture loads")), 1)
}

fn value(sim: &Sim, service: &str, metric: &str) -> f32 {
    sim.latest(sim.series_index(service, metric).expect("series"))
}

fn state(sim: &Sim, track: &str) -> String {
    sim.gm_states().into_iter().find(|s| s.0 == track).expect("track").1
}

fn act(sim: &mut Sim, action: &str) {
    sim.input(Input::Action { action: action.into(), target: None });
}

#[test]
fn a_symptom_with_when_acts_only_while_its_condition_holds() {
    let mut sim = conditions();
    sim.input(Input::Gm("contend".into()));
    sim.advance(60);
    assert_eq!(state(&sim, "main"), "contention");
    assert_eq!(value(&sim, "db", "cpu"), 0.2, "contention alone leaves the cpu alone while the feature is off");
    act(&mut sim, "enable");
    sim.advance(60);
    assert_eq!(state(&sim, "feature"), "on");
    assert_eq!(value(&sim, "db", "cpu"), 0.9, "contention while the feature is on");
    act(&mut sim, "disable");
    sim.advance(60);
    assert_eq!(value(&sim, "db", "cpu"), 0.2, "the feature is off again: `In` is not sticky like `Reached`");
    act(&mut sim, "enable");
    sim.advance(60);
    assert_eq!(value(&sim, "db", "cpu"), 0.9);
}

#[test]
fn in_holds_for_a_message_while_the_state_is_current() {
    let mut sim = conditions();
    sim.advance(120);
    assert!(!sim.take_events().iter().any(|e| matches!(e, SimEvent::MessageArrived { .. })));
    act(&mut sim, "enable");
    sim.advance(60);
    let arrived: Vec<i64> =
        sim.take_events().iter().filter(|e| matches!(e, SimEvent::MessageArrived { .. })).map(|e| e.time()).collect();
    assert_eq!(arrived, vec![180]);
}

#[test]
fn entering_a_state_starts_its_ramp_from_where_the_metric_is() {
    let mut sim = conditions();
    assert_eq!(value(&sim, "db", "lag_s"), 140.0);
    act(&mut sim, "pause");
    let mut seen = Vec::new();
    for _ in 0..6 {
        sim.advance(60);
        seen.push(value(&sim, "db", "lag_s"));
    }
    // Entered at 1:00: from 140 down to 2 over four minutes, a quarter of the way each minute, and it ends
    // at 2, not near 140.
    assert_eq!(seen, vec![140.0, 105.5, 71.0, 36.5, 2.0, 1.0], "and back to its model in `caught_up`");
}

#[test]
fn an_action_landing_on_the_tick_its_state_is_entered_counts_for_that_state() {
    let mut sim = conditions();
    // `steps` enters `two` at 2:00 (twelve minutes after history began at -10:00); the action lands then.
    sim.input_at(120, Input::Action { action: "step".into(), target: None });
    sim.advance(120);
    assert_eq!(state(&sim, "steps"), "two");
    sim.advance(60);
    assert_eq!(state(&sim, "steps"), "three", "the action landed as `two` was entered, so it counts for `two`");
}

/// The fixture with `from` replaced by `to` (once), as loaded: its error message, if any.
fn load_edited(from: &str, to: &str) -> String {
    assert!(CONDITIONS.contains(from), "the fixture contains `{from}`");
    match parse(&CONDITIONS.replacen(from, to, 1), "conditions.ron") {
        Ok(_) => "loads".to_string(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn scale_factors_must_be_finite_and_not_negative() {
    let set = "shift: Set(0.9)";
    assert_eq!(
        load_edited(set, "shift: Scale(-2.0)"),
        "conditions.ron:17:75: state `contention`: `Scale(-2)` would make the value negative; a factor is 0 or more"
    );
    assert_eq!(
        load_edited(set, "shift: Scale(NaN)"),
        "conditions.ron:17:75: state `contention`: shift NaN is outside -1000000000000000..=1000000000000000"
    );
    assert_eq!(
        load_edited(set, "shift: Scale(inf)"),
        "conditions.ron:17:75: state `contention`: shift inf is outside -1000000000000000..=1000000000000000"
    );
    assert_eq!(load_edited(set, "shift: Scale(0.0)"), "loads");
}

#[test]
fn at_before_the_history_is_rejected() {
    let gm = r#"when: Gm("contend")"#;
    assert_eq!(
        load_edited(gm, r#"when: At("-11m")"#),
        "conditions.ron:15:83: an `At` trigger of state `calm`: `-11m` must lie between -10m and 90d"
    );
    assert_eq!(load_edited(gm, r#"when: At("-10m")"#), "loads");
}

#[test]
fn in_names_a_state_plainly_or_with_its_track() {
    assert_eq!(load_edited(r#"In("feature.on")"#, r#"In("on")"#), "loads");
    assert_eq!(
        load_edited(r#"In("feature.on")"#, r#"In("replica.on")"#),
        "conditions.ron:17:88: unknown state `replica.on` in an `In` trigger of state `contention`; did you mean \
         `replica.lagging`? (known: `feature.off`, `feature.on`, `main.calm`, `main.contention`, `main.fixed`, \
         `replica.lagging`, `replica.catching_up`, `replica.caught_up`, `steps.one`, `steps.two`, `steps.three`)"
    );
}

#[test]
fn api_timeouts_replica_catches_up_once_the_export_is_paused() {
    let scenario = wom::scenario::builtin("api-timeouts").expect("shipped").expect("loads");
    let mut sim = Sim::new(Arc::new(scenario), 1);
    sim.advance(30 * 60);
    assert!(value(&sim, "reporting-replica", "replication_lag_s") > 100.0, "the export holds replay back");
    sim.input(Input::Action { action: "pause-export".into(), target: Some("reporting-replica".into()) });
    sim.advance(6 * 60);
    let lag = value(&sim, "reporting-replica", "replication_lag_s");
    assert!(lag < 2.0, "four minutes after the pause the replica has caught up, not stayed near 140 s: {lag}");
}
