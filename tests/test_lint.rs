//! Physical bounds in the simulation and `wom check` as a linter, on small fixtures with exact values
//! (`tests/fixtures/lint/*.ron`).

use std::sync::Arc;
use wom::scenario::parse;
use wom::sim::Sim;

const BOUNDS: &str = include_str!("fixtures/lint/bounds.ron");

fn sim(text: &str) -> Sim {
    Sim::new(Arc::new(parse(text, "fixture.ron").expect("fixture loads")), 1)
}

fn value(sim: &Sim, metric: &str) -> f64 {
    sim.latest(sim.series_index("api", metric).expect("series"))
}

#[test]
fn the_simulation_keeps_every_value_within_its_bounds() {
    let sim = sim(BOUNDS);
    // `Scale(2.6)` of a 50% CPU would be 130%: a ratio stops at 100%.
    assert_eq!(value(&sim, "cpu"), 1.0);
    // `Set(12.6)` in-use connections: whole, and never more than the pool's 10.
    assert_eq!(value(&sim, "in_use"), 10.0);
    assert_eq!(value(&sim, "pool_size"), 10.0);
    // 2 × 1.3 = 2.6 waiting threads round to 3.
    assert_eq!(value(&sim, "waiting"), 3.0);
    // 3 + 2 busy cores of at most 4.
    assert_eq!(value(&sim, "cores_busy"), 4.0);
    // A 3s p99 against a 2s timeout: capped at the timeout, and the requests slower than it (2.02% of a
    // log-normal with median 100ms and p99 3s) fail on top of the 1% that already did.
    assert_eq!(value(&sim, "latency_p99"), 2000.0);
    assert_eq!(value(&sim, "latency_p50"), 100.0);
    let errors = value(&sim, "error_rate");
    assert!((errors - 0.030_028).abs() < 1e-5, "error_rate {errors}");
}

#[test]
fn items_are_whole_before_any_symptom() {
    let text = BOUNDS.replace("initial: \"broken\"", "initial: \"fixed\"").replace(
        "(id: \"fixed\", phase: Resolved)",
        "(id: \"fixed\", phase: Resolved, transitions: [(to: \"broken\", when: Gm(\"never\"))])",
    );
    let sim = sim(&text);
    // A baseline of 6.4 in-use connections shows as 6; a p99 of 1s against a 2s timeout still loses the
    // 0.12% of requests slower than 2s.
    assert_eq!(value(&sim, "in_use"), 6.0);
    assert_eq!(value(&sim, "cpu"), 0.5);
    assert_eq!(value(&sim, "latency_p99"), 1000.0);
    let errors = value(&sim, "error_rate");
    assert!((errors - 0.011_224).abs() < 1e-5, "error_rate {errors}");
}

mod check {
    use crate::common::TestEnvironment;
    use wom::scenario::{RULES, RuleSeverity, rule_table};

    fn check(fixture: &str) -> crate::common::CommandOutput {
        let env = TestEnvironment::new();
        let text = std::fs::read_to_string(format!("tests/fixtures/lint/{fixture}")).expect("fixture");
        env.write(fixture, &text);
        env.run(&["check", fixture], "")
    }

    #[test]
    fn check_warns_about_a_model_that_breaks_its_own_bounds() {
        let out = check("bounds.ron");
        assert_eq!(out.status, 0, "warnings do not fail the check: {out}");
        insta::assert_snapshot!(out.stdout, @r#"
        bounds.ron:24:74: warning[W007 over-timeout]: `api.latency_p99` times out at 2s, but `Set(3000)` in state `broken` asks for 3000ms; the simulation keeps it at 2000ms
        bounds.ron:25:69: warning[W006 over-bound]: `api.in_use` is bounded by `api.pool_size` (10), but `Set(12.6)` in state `broken` asks for 12.6; the simulation keeps it at 10
        bounds.ron:26:68: warning[W004 ratio-out-of-bounds]: `api.cpu` is a ratio (0..=1), but `Scale(2.6)` in state `broken` asks for 1.3; the simulation keeps it at 1
        bounds.ron:27:73: warning[W006 over-bound]: `api.cores_busy` has `max: 4`, but `Add(2)` in state `broken` asks for 5; the simulation keeps it at 4
        ok   bounds.ron: walkthrough leaves the incident resolved, scoring 10/40; 4 warnings
        "#);
    }

    #[test]
    fn check_warns_about_triggers_that_cannot_match_and_symptoms_nobody_sees() {
        let out = check("warnings.ron");
        assert_eq!(out.status, 0, "warnings do not fail the check: {out}");
        insta::assert_snapshot!(out.stdout, @r#"
        warnings.ron:9:57: warning[W004 ratio-out-of-bounds]: `api.error_rate` is a ratio (0..=1), but its baseline asks for 1.2
        warnings.ron:14:95: warning[W004 ratio-out-of-bounds]: alert `NeverFires` waits for `api.error_rate` above 1.5, but the value stays within 0..=1: it never holds
        warnings.ron:18:71: warning[W005 negative-value]: `api.requests` cannot be negative, but `Add(-150)` in state `broken` asks for -50; the simulation keeps it at 0
        warnings.ron:19:50: warning[W008 unseen-symptom]: symptom on `batch.gc_pauses` in state `broken`: nothing reads this metric (no `status` column, health, alert, SLO, trigger, evidence or process) and nothing leads anyone to it (no alert, action, change, briefing, hint, runbook, message or walkthrough step names `batch` or `gc_pauses`)
        warnings.ron:25:42: warning[W003 negative-after]: `After("-5m")` is negative and holds as soon as the state is entered; write `After("0s")` or a positive time
        warnings.ron:29:18: warning[W001 gm-only-state]: state `side.storm` is reached only through GM trigger `storm` with no `auto` time: only a live GM can bring it about
        warnings.ron:33:71: warning[W002 ignored-command-target]: command `status` takes no target, so `Command(command: "status", target: "api")` never matches; leave the target out
        ok   warnings.ron: walkthrough leaves the incident resolved, scoring 10/40; 7 warnings
        "#);
    }

    #[test]
    fn every_warning_rule_fires_on_a_fixture() {
        let out = format!("{}{}", check("bounds.ron").stdout, check("warnings.ron").stdout);
        for rule in RULES.iter().filter(|r| r.severity == RuleSeverity::Warning) {
            assert!(out.contains(&format!("warning[{} {}]", rule.id, rule.name)), "{} never fires:\n{out}", rule.id);
        }
    }

    #[test]
    fn the_rule_table_in_the_format_reference_lists_exactly_the_rules_of_the_code() {
        let doc = std::fs::read_to_string("docs/scenario-format.md").expect("format reference");
        let table = rule_table();
        assert!(doc.contains(&table), "docs/scenario-format.md must contain, verbatim:\n{table}");
        let rows = doc.lines().filter(|l| l.starts_with("| E0") || l.starts_with("| W0")).count();
        assert_eq!(rows, RULES.len(), "the doc lists other rules than the code");
        insta::assert_snapshot!("lint_rules", table);
    }

    #[test]
    fn a_misspelt_optional_field_is_rejected_not_dropped() {
        let env = TestEnvironment::new();
        let text = std::fs::read_to_string("tests/fixtures/lint/bounds.ron").expect("fixture");
        let text = text.replace("shift: Set(12.6))", "shift: Set(12.6), rmap: \"5m\")");
        env.write("typo.ron", &text);
        let out = env.run(&["check", "typo.ron"], "");
        assert_eq!(out.status, 1, "{out}");
        let first = out.stdout.lines().next().unwrap_or_default().to_string();
        assert!(first.starts_with("typo.ron:25:"), "{out}");
        let (_, message) = first.split_once(": error[E002 syntax]: ").expect("a syntax error");
        // The format reference quotes this very message.
        let doc = std::fs::read_to_string("docs/scenario-format.md").expect("format reference");
        assert!(doc.contains(&format!("scenarios/broken.ron:162:88: {message}\n")), "the doc must quote: {message}");
    }
}
