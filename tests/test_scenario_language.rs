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

fn value(sim: &Sim, service: &str, metric: &str) -> f64 {
    sim.latest(sim.series_index(service, metric).expect("series"))
}

fn state(sim: &Sim, track: &str) -> String {
    sim.gm_states().into_iter().find(|s| s.0 == track).expect("track").1
}

fn act(sim: &mut Sim, action: &str) {
    sim.input(Input::Action { action: action.into(), target: None, arg: None });
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
    assert!((value(&sim, "db", "cpu") - 0.9).abs() < 1e-12, "contention while the feature is on");
    act(&mut sim, "disable");
    sim.advance(60);
    assert_eq!(value(&sim, "db", "cpu"), 0.2, "the feature is off again: `In` is not sticky like `Reached`");
    act(&mut sim, "enable");
    sim.advance(60);
    assert!((value(&sim, "db", "cpu") - 0.9).abs() < 1e-12);
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
    sim.input_at(120, Input::Action { action: "step".into(), target: None, arg: None });
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
    sim.input(Input::Action { action: "pause-export".into(), target: Some("reporting-replica".into()), arg: None });
    sim.advance(6 * 60);
    let lag = value(&sim, "reporting-replica", "replication_lag_s");
    assert!(lag < 2.0, "four minutes after the pause the replica has caught up, not stayed near 140 s: {lag}");
}

const ARGUMENTS: &str = include_str!("fixtures/arguments.ron");

/// Plays `lines` on the arguments fixture; returns what each line was refused with ("" when accepted) and
/// the drill.
fn play_arguments(lines: &[&str]) -> (Vec<String>, wom::session::Drill) {
    let scenario = Arc::new(parse(ARGUMENTS, "arguments.ron").expect("the fixture loads"));
    let mut drill = wom::session::Drill::start(scenario, 1);
    let mut refusals = Vec::new();
    for line in lines {
        let range = drill.respond(line);
        let refused = drill.events()[range].iter().find_map(|e| match &e.kind {
            wom::session::EventKind::Rejected { error, .. } => Some(error.clone()),
            _ => None,
        });
        refusals.push(refused.unwrap_or_default());
    }
    (refusals, drill)
}

fn drill_state(drill: &wom::session::Drill, track: &str) -> String {
    drill.sim().gm_states().into_iter().find(|s| s.0 == track).expect("track").1
}

#[test]
fn action_arguments_are_typed_and_bounded() {
    let (refused, _) = play_arguments(&[
        "mitigate admit",
        "mitigate admit lots",
        "mitigate admit 120%",
        "mitigate scale gate 2.5",
        "mitigate scale gate 41",
        "mitigate hold 30s",
        "mitigate mode sleep",
        "mitigate scale gate",
        "mitigate admit 10% more",
        "mitigate admit 10%",
    ]);
    assert_eq!(
        refused,
        [
            "mitigate: `admit` needs its share: `mitigate admit <share>` (see `help mitigate`)",
            "mitigate: `share` is a percent from 0% to 100%, e.g. `30%`, not `lots` (see `help mitigate`)",
            "mitigate: `share` is a percent from 0% to 100%, e.g. `30%`, not `120%` (see `help mitigate`)",
            "mitigate: `pods` is a whole number from 1 to 40, not `2.5` (see `help mitigate`)",
            "mitigate: `pods` is a whole number from 1 to 40, not `41` (see `help mitigate`)",
            "mitigate: `for` is a duration from 1m to 1h, e.g. `5m`, not `30s` (see `help mitigate`)",
            "mitigate: `mode` is one of `drain`, `hold`, not `sleep` (see `help mitigate`)",
            "mitigate: `scale` needs its pods: `mitigate scale <target> <pods>` (see `help mitigate`)",
            "mitigate: `admit` takes one argument, not `more` too (see `help mitigate`)",
            "",
        ]
    );
}

#[test]
fn triggers_compare_arguments_and_counters_add_them_up() {
    let (refused, drill) = play_arguments(&["mitigate admit 30%", "wait 1m"]);
    assert_eq!(refused, ["", ""]);
    assert_eq!(drill_state(&drill, "main"), "overloaded", "30% is not below 25%");
    let (_, drill) = play_arguments(&["mitigate admit 20%", "wait 1m"]);
    assert_eq!(drill_state(&drill, "main"), "relieved");
    // 20% + 20% = 40% admitted: not yet above half.
    let (_, drill) = play_arguments(&["mitigate admit 20%", "mitigate admit 20%", "wait 1m"]);
    assert_eq!(drill_state(&drill, "main"), "relieved");
    let (_, drill) = play_arguments(&["mitigate admit 20%", "mitigate admit 20%", "mitigate admit 11%", "wait 1m"]);
    assert_eq!(drill_state(&drill, "main"), "drained", "51% admitted in all");
    let (_, drill) = play_arguments(&["mitigate scale gate 9", "mitigate scale gate 21", "wait 1m"]);
    assert_eq!(drill_state(&drill, "pods"), "few", "neither 9 nor 21 is between 10 and 20");
    let (_, drill) = play_arguments(&["mitigate scale gate 12", "wait 1m"]);
    assert_eq!(drill_state(&drill, "pods"), "many");
    let (_, drill) = play_arguments(&["mitigate mode hold", "wait 1m"]);
    assert_eq!(drill_state(&drill, "mode"), "serving");
    let (_, drill) = play_arguments(&["mitigate mode DRAIN", "wait 1m"]);
    assert_eq!(drill_state(&drill, "mode"), "draining", "choices match whatever the case");
}

#[test]
fn arguments_are_validated_against_their_action() {
    let edited = |from: &str, to: &str| match parse(&ARGUMENTS.replacen(from, to, 1), "arguments.ron") {
        Ok(_) => "loads".to_string(),
        Err(e) => e.to_string(),
    };
    assert_eq!(
        edited(r#"arg: Is("drain")"#, r#"arg: Is("drian")"#),
        "arguments.ron:21:112: unknown choice `drian` in a trigger of state `serving`; did you mean `drain`? \
         (known: `drain`, `hold`)"
    );
    assert_eq!(
        edited(r#"arg: Is("drain")"#, r#"arg: Below(1.0)"#),
        "arguments.ron:21:109: a trigger of state `serving`: a choice is tested with `Is(\"word\")`"
    );
    assert_eq!(
        edited(r#"counts: "admitted""#, r#"counts: "admited""#),
        "arguments.ron:26:90: unknown counter `admited` in action `admit`; did you mean `admitted`? (known: `admitted`)"
    );
    assert_eq!(
        edited("min: 1.0, max: 40.0", "min: 41.0, max: 40.0"),
        "arguments.ron:29:59: the argument of action `scale`: max 40 is below min 41"
    );
}

const CHANCE: &str = include_str!("fixtures/chance.ron");

/// When the `leader` track turned slow with `seed`, in seconds after the page.
fn slow_at(seed: u64) -> i64 {
    let mut sim = Sim::new(Arc::new(parse(CHANCE, "chance.ron").expect("the fixture loads")), seed);
    sim.advance(3600);
    let entered = sim.take_events().into_iter().find_map(|e| match e {
        SimEvent::StateEntered { t, state, .. } if state == "slow" => Some(t),
        _ => None,
    });
    entered.expect("a 25% chance a minute comes up within an hour")
}

#[test]
fn chance_is_drawn_from_the_seed() {
    let times: Vec<i64> = (1..=8).map(slow_at).collect();
    assert_eq!(times, (1..=8).map(slow_at).collect::<Vec<_>>(), "the same seed gives the same drill");
    assert_eq!(times, [0, 240, 60, 0, 0, 0, 60, 300]);
}

#[test]
fn check_reports_the_spread_of_scores_over_seeds() {
    let env = crate::common::TestEnvironment::new();
    env.write("chance.ron", CHANCE);
    let out = env.run(&["check", "chance.ron"], "");
    assert_eq!(out.status, 0, "{out}");
    assert_eq!(
        out.stdout,
        "ok   chance.ron: walkthrough leaves the incident resolved, scoring 10/40; by chance, 5 to 10 over seeds 1 \
         to 20 (median 5)\n"
    );
}

#[test]
fn a_state_overrides_a_dependency_edge_while_it_holds() {
    let scenario = Arc::new(parse(include_str!("fixtures/couplings.ron"), "couplings.ron").expect("loads"));
    let mut sim = Sim::new(scenario.clone(), 1);
    assert_eq!(value(&sim, "web", "error_rate"), 0.5, "a hard edge of weight 1 passes every error on");
    act(&mut sim, "maintenance");
    sim.advance(60);
    assert_eq!(value(&sim, "web", "error_rate"), 0.0, "the maintenance page passes no backend error on");
    act(&mut sim, "maintenance");
    sim.advance(60);
    assert_eq!(value(&sim, "web", "error_rate"), 0.5, "back to the declared edge when the state is left");
    let mut sim = Sim::new(scenario, 1);
    act(&mut sim, "fallback");
    sim.advance(60);
    assert_eq!(value(&sim, "web", "error_rate"), 0.025, "a soft edge passes 5% of the errors on");
}
