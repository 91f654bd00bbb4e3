//! Scenario values that used to hang, exhaust memory or get an error with no position (issue 10): each is
//! refused at the `file:line:col` of the offending value, quickly, with the limit named.

use crate::common::TestEnvironment;
use wom::scenario::{BUILTIN, line_col, parse};

/// Mutates built-in scenario `which` (replacing the first `find` with `replace`) and checks the loader's
/// error points at `point`, the first occurrence of that text inside `replace`; returns the message.
fn refused_at(which: usize, find: &str, replace: &str, point: &str) -> String {
    let original = BUILTIN[which].2;
    let at = original.find(find).unwrap_or_else(|| panic!("anchor `{find}` not in the scenario"));
    let text = original.replacen(find, replace, 1);
    let offset = at + replace.find(point).unwrap_or_else(|| panic!("`{point}` not in `{replace}`"));
    let (line, col) = line_col(&text, offset);
    let message = match parse(&text, "scenarios/broken.ron") {
        Ok(_) => panic!("`{replace}` loaded without error"),
        Err(err) => err.to_string(),
    };
    let want = format!("scenarios/broken.ron:{line}:{col}: ");
    assert!(message.starts_with(&want), "expected {want}…, got {message}");
    message
}

const SIGNUP: usize = 0;
const POOL: usize = 1;

#[test]
fn unbounded_log_rates_are_refused_with_the_limit() {
    let anchor = "template: \"GET /api/feed 200 {ms}ms request_id={id}\", rate: 6.0";
    for rate in ["1e12", "inf", "NaN", "-1.0", "601.0"] {
        let replace = anchor.replace("6.0", rate);
        let message = refused_at(SIGNUP, anchor, &replace, rate);
        assert!(message.contains("rate (lines per minute)") && message.contains("outside 0..=600"), "{message}");
    }
    let symptom = "template: \"POST /signup 201 created user={user} in {ms}ms\", rate: 3.0";
    refused_at(SIGNUP, symptom, &symptom.replace("3.0", "1e12"), "1e12");
    // Every source within its limit, but all together far over the total.
    let busy = format!(
        "{}), (level: Info, template: \"a\", rate: 500.0), (level: Info, template: \"b\", rate: 500.5",
        anchor.replace("6.0", "500.0")
    );
    let message = refused_at(SIGNUP, anchor, &busy, "500.5");
    assert!(message.contains("add up to more than 1200 lines per minute"), "{message}");
}

#[test]
fn huge_costs_and_windows_are_refused_with_the_limit() {
    let cost = "targets: [\"auth\", \"web\", \"email\"], cost: \"3m\"";
    let message = refused_at(SIGNUP, cost, &cost.replace("3m", "2h"), "\"2h\"");
    assert!(message.contains("action `rollback`: `2h` must lie between 0s and 1h"), "{message}");
    let message = refused_at(SIGNUP, "gm_notes:", "costs: {\"status\": \"1000d\"}, gm_notes:", "1000d");
    assert!(message.contains("longer than 366d"), "{message}");
    let message = refused_at(SIGNUP, "gm_notes:", "costs: {\"status\": \"2h\"}, gm_notes:", "\"2h\"");
    assert!(message.contains("the cost of `status`: `2h` must lie between 0s and 1h"), "{message}");
    let slo = "(service: \"web\", target: 0.999)";
    let message = refused_at(SIGNUP, slo, "(service: \"web\", target: 0.999, window: \"100d\")", "\"100d\"");
    assert!(message.contains("must lie between 1m and 90d"), "{message}");
    let message = refused_at(SIGNUP, slo, "(service: \"web\", target: 0.999, window: \"1000000d\")", "1000000d");
    assert!(message.contains("longer than 366d"), "{message}");
    refused_at(SIGNUP, slo, "(service: \"web\", target: 0.999, window: \"100000000000d\")", "100000000000d");
    let tier = "severity_policy: Custom([(name: \"X\", budget: 0.1, window: \"200d\")]), gm_notes:";
    let message = refused_at(SIGNUP, "gm_notes:", tier, "\"200d\"");
    assert!(message.contains("severity tier `X`: `200d` must lie between 1m and 90d"), "{message}");
    refused_at(SIGNUP, "history: \"2h\"", "history: \"31d\"", "\"31d\"");
}

#[test]
fn errors_that_had_no_position_now_point_at_the_value() {
    let dep = "depends_on: [(on: \"auth\", coupling: Hard, weight: 0.35)]";
    let message = refused_at(SIGNUP, dep, "depends_on: [(on: \"web\", coupling: Hard, weight: 0.35)]", "\"web\"");
    assert!(message.contains("a service cannot depend on itself"), "{message}");
    refused_at(SIGNUP, dep, &dep.replace("0.35", "1e20"), "1e20");
    let metric = "(name: \"requests\", unit: PerSecond, baseline: 420.0, noise: 0.04";
    refused_at(SIGNUP, metric, &metric.replace("420.0", "inf"), "inf");
    refused_at(SIGNUP, metric, &metric.replace("0.04", "-0.5"), "-0.5");
    let message = refused_at(SIGNUP, "(service: \"web\", target: 0.999)", "(service: \"web\", target: 1.0)", "1.0");
    assert!(message.contains("target must lie strictly between 0 and 1"), "{message}");
    let trigger = "metric: \"requests\", op: Above, value: 253.0";
    refused_at(POOL, trigger, &trigger.replace("253.0", "inf"), "inf");
    let walkthrough = BUILTIN[SIGNUP].2.split("walkthrough: [").nth(1).unwrap().split(']').next().unwrap();
    let message = refused_at(SIGNUP, &format!("walkthrough: [{walkthrough}]"), "walkthrough: []", "[]");
    assert!(message.contains("needs a walkthrough"), "{message}");
    let keywords = BUILTIN[SIGNUP].2.split("keywords: [").nth(1).unwrap().split("],\n        five_ws").next().unwrap();
    refused_at(SIGNUP, &format!("keywords: [{keywords}]"), "keywords: []", "[]");
    refused_at(SIGNUP, "[\"v2.15.0\", \"2.15\"", "[], [\"v2.15.0\", \"2.15\"", "[]");
}

#[test]
fn names_with_control_characters_are_shown_escaped_at_their_position() {
    let message = refused_at(SIGNUP, "id: \"web\",", "id: \"web\\t\",", "\"web\\t\"");
    assert!(message.contains("service `web\\t`"), "{message}");
    assert!(!message.contains('\t'), "{message}");
    let message = refused_at(SIGNUP, "id: \"web\",", "id: \"w\\u{1b}[31meb\",", "\"w");
    assert!(!message.contains('\u{1b}'), "{message}");
}

#[test]
fn a_duplicate_points_at_the_second_definition_not_a_reference() {
    // `auth` is referenced (line 28) before the second service is renamed to it (line 94).
    let message = refused_at(SIGNUP, "id: \"email\",", "id: \"auth\",", "\"auth\"");
    assert!(message.contains("duplicate service `auth`"), "{message}");
}

#[test]
fn a_latin1_byte_gets_a_position() {
    let env = TestEnvironment::new();
    let text = BUILTIN[SIGNUP].2.replacen("title: \"", "title: \"Caf\u{e9} ", 1);
    let line = text.lines().position(|l| l.contains("Caf\u{e9}")).unwrap() + 1;
    let col = text.lines().nth(line - 1).unwrap().chars().position(|c| c == '\u{e9}').unwrap() + 1;
    let bytes = text.replacen('\u{e9}', "\u{1}", 1).into_bytes();
    let bytes: Vec<u8> = bytes.into_iter().map(|b| if b == 1 { 0xe9 } else { b }).collect();
    std::fs::write(env.path().join("latin1.ron"), bytes).unwrap();
    let out = env.run(&["check", "latin1.ron"], "");
    assert_eq!(out.status, 1, "{out}");
    assert!(
        out.stdout.contains(&format!(
            "latin1.ron:{line}:{col}: error[E002 syntax]: byte 0xe9 is not UTF-8 (a Latin-1 file?)"
        )),
        "{out}"
    );
}

#[test]
fn the_shipped_scenarios_stay_within_the_limits() {
    for (id, _, text) in BUILTIN {
        parse(text, id).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn a_month_of_history_with_busy_logs_makes_only_the_recent_log_lines() {
    let text = BUILTIN[SIGNUP].2.replacen("history: \"2h\"", "history: \"30d\"", 1).replacen(
        "request_id={id}\", rate: 6.0",
        "request_id={id}\", rate: 600.0",
        1,
    );
    let scenario = std::sync::Arc::new(parse(&text, "busy.ron").expect("within the limits"));
    let sim = wom::sim::Sim::new(scenario, 1);
    let logs = sim.logs();
    assert!(logs.len() > 100_000, "the busy log is there: {}", logs.len());
    assert!(logs.line(0).t >= -wom::sim::LOG_HISTORY - 60, "oldest line at {}", logs.line(0).t);
    assert!(sim.history().len() > 40_000, "the metric history is the whole month");
}
