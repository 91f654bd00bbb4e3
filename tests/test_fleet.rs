//! Fleets (`docs/scenario-format.md`, "Fleets") on the small fixture `tests/fixtures/fleet.ron`: members'
//! series and their aggregate with exact values, symptoms on a fraction and on named members, `status`
//! counting unhealthy members, and actions on one member, a range or the whole fleet.

use crate::common::TestEnvironment;
use std::sync::Arc;
use wom::scenario::parse;
use wom::session::Drill;
use wom::sim::{Health, Sim};

const FLEET: &str = include_str!("fixtures/fleet.ron");

fn sim() -> Sim {
    Sim::new(Arc::new(parse(FLEET, "fleet.ron").expect("fixture loads")), 7)
}

#[test]
fn members_have_their_own_series_and_the_service_aggregates_them() {
    let sim = sim();
    let edge = sim.service_index("edge").expect("edge") as usize;
    let run = sim.fleet(edge).expect("edge is a fleet");
    assert_eq!(run.members, 10);
    // Three of ten members are down (a fraction of 0.3), spread over the fleet; two named ones are slow.
    let value = |member: usize, metric: &str| sim.latest(sim.member_series(edge, member, metric).expect("series"));
    let down: Vec<usize> = (0..10).filter(|&k| value(k, "up") == 0.0).collect();
    assert_eq!(down, [0, 2, 5]);
    assert!(down.iter().all(|&k| run.health[k] == Health::Down));
    assert_eq!((value(1, "latency_p99"), value(9, "latency_p99"), value(2, "latency_p99")), (900.0, 900.0, 100.0));
    assert_eq!((run.unhealthy(), run.down()), (5, 3));
    // The aggregate: requests and `up` sum, ratios and latencies average.
    let agg = |metric: &str| sim.latest(sim.series_index("edge", metric).expect("aggregate"));
    assert_eq!(agg("requests"), 100.0);
    assert_eq!(agg("up"), 7.0);
    assert!((agg("error_rate") - 0.3007).abs() < 1e-6, "{}", agg("error_rate"));
    assert_eq!(agg("latency_p99"), 260.0);
    assert_eq!(sim.health(edge), Health::Degraded);
}

#[test]
fn a_dependency_failure_reaches_every_member() {
    let scenario = FLEET.replace(
        r#"Metric(service: "edge", metric: "up", shift: Set(0.0), members: Fraction(0.3)),"#,
        r#"Metric(service: "db", metric: "error_rate", shift: Set(0.2)),"#,
    );
    let sim = Sim::new(Arc::new(parse(&scenario, "fleet.ron").expect("loads")), 7);
    let edge = sim.service_index("edge").expect("edge") as usize;
    let value = |member: usize| sim.latest(sim.member_series(edge, member, "error_rate").expect("series"));
    // Healthy members: their 0.1% plus the database's 20%; the three failing ones stay capped at 100%.
    assert!((value(1) - 0.201).abs() < 1e-6, "{}", value(1));
    assert_eq!(value(0), 1.0);
}

#[test]
fn status_counts_unhealthy_members_and_actions_target_members() {
    let env = TestEnvironment::new();
    let path = env.write("fleet.ron", FLEET);
    let input = "status\nmitigate restart edge-03\nmitigate restart edge-01..edge-04\nmitigate restart edge-11\n\
                 mitigate restart edge\nwait 2m\nstatus\n";
    let out = env.run(&["play", path.to_str().expect("utf-8"), "--seed", "7"], input);
    let text = out.stdout.clone();
    assert!(text.contains("edge: 5/10 hosts unhealthy (3 down)"), "{text}");
    assert!(text.contains("Restarted `edge-03`."), "{text}");
    assert!(text.contains("Restarted `edge-01..edge-04`."), "{text}");
    assert!(text.contains("error: mitigate: no target `edge-11`"), "{text}");
    assert!(text.contains("edge: 0/10 hosts unhealthy"), "{text}");
    assert!(text.contains("ALERT EdgeErrors resolved"), "{text}");
}

#[test]
fn a_member_restart_alone_does_not_meet_a_trigger_on_the_fleet() {
    let mut drill = Drill::start(Arc::new(parse(FLEET, "fleet.ron").expect("loads")), 7);
    drill.respond("mitigate restart edge-01..edge-10");
    drill.respond("wait 2m");
    let edge = drill.sim().service_index("edge").expect("edge") as usize;
    assert_eq!(drill.sim().fleet(edge).expect("fleet").down(), 3);
}
