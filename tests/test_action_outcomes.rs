//! Actions whose result depends on the state (refused, failed, partial), actions that land in stages, and
//! on-demand diagnostics, on `tests/fixtures/outcomes.ron` with exact values.

use std::sync::Arc;
use wom::scenario::{ActionResult, Scenario, parse};
use wom::session::{Drill, EventKind, volunteer_view};

const OUTCOMES: &str = include_str!("fixtures/outcomes.ron");

fn scenario() -> Scenario {
    parse(OUTCOMES, "outcomes.ron").expect("the fixture loads")
}

fn drill() -> Drill {
    Drill::start(Arc::new(scenario()), 1)
}

fn state(drill: &Drill, track: &str) -> String {
    drill.sim().gm_states().into_iter().find(|s| s.0 == track).expect("track").1
}

/// What the volunteer saw for the events in `range`.
fn seen(drill: &Drill, range: std::ops::Range<usize>) -> String {
    drill.events()[range].iter().filter_map(|e| volunteer_view(e, 0)).map(|d| d.plain_text()).collect()
}

/// The actions recorded, with how each ended.
fn actions(drill: &Drill) -> Vec<(i64, String, ActionResult)> {
    drill.record().actions.iter().map(|a| (a.t, a.action.clone(), a.result)).collect()
}

fn error_rate(drill: &Drill) -> f64 {
    drill.sim().latest(drill.sim().series_index("api", "error_rate").expect("series"))
}

#[test]
fn a_refused_action_says_why_is_journaled_and_lands_nothing() {
    let mut drill = drill();
    let r = drill.respond("mitigate rollback api");
    assert_eq!(
        seen(&drill, r.clone()),
        "error: deploys to api are frozen (change freeze in effect); lift the freeze first\n"
    );
    assert_eq!(drill.now(), 10, "the outcome's own cost");
    assert!(drill.events()[r].iter().any(|e| matches!(&e.kind,
        EventKind::Action { result: ActionResult::Refused, reply, .. } if reply.starts_with("error: deploys to api are frozen"))));
    drill.respond("wait 3m");
    assert_eq!(state(&drill, "main"), "locked", "nothing landed");
    assert_eq!(actions(&drill), [(0, "rollback".to_string(), ActionResult::Refused)]);
    drill.finish(wom::session::EndReason::EndOfInput);
    let debrief = wom::session::debrief(&drill).markdown;
    assert!(
        debrief.contains(
            "Action: rollback api (refused: error: deploys to api are frozen (change freeze in effect); lift the freeze first)"
        ),
        "{debrief}"
    );
}

#[test]
fn a_failed_action_takes_its_time_and_the_same_action_succeeds_in_another_state() {
    let mut drill = drill();
    let r = drill.respond("mitigate restart api");
    assert_eq!(seen(&drill, r), "restart of api timed out: 4 of 10 pods did not come back within 120s\n");
    assert_eq!(drill.now(), 120);
    drill.respond("wait 1m");
    assert_eq!(state(&drill, "restarts"), "none", "a failed restart lands nothing");
    drill.respond("mitigate unlock");
    drill.respond("wait 1m");
    assert_eq!(state(&drill, "main"), "open");
    let r = drill.respond("mitigate restart api");
    assert_eq!(seen(&drill, r), "Restarted `api`.\n");
    drill.respond("wait 1m");
    assert_eq!(state(&drill, "restarts"), "restarted");
    let results: Vec<ActionResult> = actions(&drill).into_iter().map(|a| a.2).collect();
    assert_eq!(results, [ActionResult::Fails, ActionResult::Succeeds, ActionResult::Succeeds]);
    // The failed restart did run, so it still counts as harmful; a refused action would not.
    let card = wom::session::score_record(drill.scenario(), drill.record());
    let harm = card.lines.iter().find(|l| l.item == "harmful actions").expect("harm line");
    assert_eq!(harm.points, -6, "{harm:?}");
}

#[test]
fn a_partial_action_adds_its_share_to_the_counter() {
    let mut drill = drill();
    let r = drill.respond("mitigate drain api");
    assert_eq!(seen(&drill, r), "drained 4 of 10 api pods; 6 hold long-lived connections\n");
    // It landed at 1:00 with 0.4 of its effect: above 0.3, not above 0.7.
    assert_eq!(state(&drill, "drain"), "some");
    drill.respond("mitigate drain api");
    assert_eq!(state(&drill, "drain"), "most", "0.4 + 0.4 = 0.8");
    assert_eq!(actions(&drill).iter().filter(|a| a.2 == ActionResult::Partial(0.4)).count(), 2);
}

#[test]
fn a_staged_action_reports_each_stage_when_it_lands_and_triggers_see_how_much_is_done() {
    let mut drill = drill();
    drill.respond("mitigate unlock");
    drill.respond("wait 30s");
    assert_eq!((drill.now(), state(&drill, "main")), (60, "open".to_string()));
    let start = drill.events().len();
    let r = drill.respond("mitigate rollback api");
    assert_eq!(seen(&drill, r), "Rolling back `api`.\n[00:02:00] rollback: rollback of api reached 3 of 10 regions\n");
    drill.respond("wait 5m");
    let stream: Vec<(i64, String)> = drill.events()[start..]
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ActionReport { text, .. } => Some((e.t, text.clone())),
            EventKind::StateEntered { state, .. } => Some((e.t, format!("(hidden) {state}"))),
            _ => None,
        })
        .collect();
    let expected = [
        (120, "rollback of api reached 3 of 10 regions"),
        (180, "rollback of api reached 6 of 10 regions"),
        (180, "(hidden) halfway"),
        (240, "rollback of api complete: 10 of 10 regions on v1.4.2"),
        (240, "(hidden) fixed"),
    ];
    assert_eq!(stream, expected.map(|(t, s)| (t, s.to_string())));
    assert_eq!(error_rate(&drill), 0.0, "resolved: back to the baseline");
    // Once fixed, the same action is refused with the state's reason.
    let r = drill.respond("mitigate rollback api");
    assert_eq!(seen(&drill, r), "error: nothing to roll back: api already runs v1.4.2\n");
}

#[test]
fn the_metric_follows_the_stages() {
    let mut drill = drill();
    drill.respond("mitigate unlock");
    drill.respond("wait 30s");
    drill.respond("mitigate rollback api");
    assert_eq!(error_rate(&drill), 0.5, "3 of 10 regions is not enough for the next state");
    drill.respond("wait 1m");
    assert!((error_rate(&drill) - 0.2).abs() < 1e-6, "more than half done: {}", error_rate(&drill));
    drill.respond("wait 1m");
    assert_eq!(error_rate(&drill), 0.0);
}

#[test]
fn a_diagnostic_shows_what_the_state_calls_for_and_changes_nothing() {
    let mut drill = drill();
    let before = drill.sim().gm_states();
    let r = drill.respond("run explain db");
    assert_eq!(
        seen(&drill, r),
        "Seq Scan on orders  (cost=0.00..431000.00 rows=9000000)\n  Filter: (customer_id = $1)\n"
    );
    assert_eq!(drill.now(), 20, "the diagnostic's own cost");
    let states = |d: &Drill| d.sim().gm_states().into_iter().map(|s| s.1).collect::<Vec<_>>();
    assert_eq!(states(&drill), before.into_iter().map(|s| s.1).collect::<Vec<_>>());
    assert_eq!(drill.record().evidence.iter().cloned().collect::<Vec<_>>(), ["seq-scan"]);
    drill.respond("mitigate unlock");
    drill.respond("wait 30s");
    let r = drill.respond("run explain db");
    assert_eq!(seen(&drill, r), "Index Scan using orders_customer_idx on orders  (cost=0.43..8.45 rows=1)\n");
}

#[test]
fn diagnostic_evidence_needs_the_output_that_shows_it() {
    let mut drill = drill();
    drill.respond("mitigate unlock");
    drill.respond("wait 30s");
    drill.respond("run explain db");
    assert!(drill.record().evidence.is_empty(), "after the fix the plan no longer shows a sequential scan");
    // Typing the text is not seeing it.
    drill.respond("note Seq Scan on orders");
    drill.respond("logs db --grep \"Seq Scan on orders\"");
    assert!(drill.record().evidence.is_empty());
}

#[test]
fn bad_diagnostic_lines_get_one_line_errors() {
    let mut drill = drill();
    let lines = ["run", "run explain", "run explain api", "run nope", "run heap-dump api"];
    let out: Vec<String> = lines
        .iter()
        .map(|l| {
            let r = drill.respond(l);
            seen(&drill, r)
        })
        .collect();
    assert_eq!(drill.now(), 0, "refused lines take no time");
    insta::assert_snapshot!(out.join(""), @r"
    error: run: missing <DIAGNOSTIC>; usage: run <DIAGNOSTIC> [TARGET] (see `help run`)
    error: run: `explain` runs against one of: db (see `help run`)
    error: run: no target `api` (targets: db)
    error: run: no diagnostic `nope` (diagnostics: explain, heap-dump)
    error: run: `heap-dump` takes no target, not `api` (see `help run`)
    ");
}

#[test]
fn a_self_transition_runs_entry_effects_again_but_never_resends_a_message() {
    let mut drill = drill();
    drill.respond("mitigate unlock");
    drill.respond("wait 30s");
    drill.respond("run heap-dump");
    drill.respond("wait 1m");
    drill.respond("run heap-dump");
    drill.respond("wait 1m");
    let entered: Vec<i64> = drill
        .events()
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::StateEntered { state, .. } if state == "open"))
        .map(|e| e.t)
        .collect();
    assert_eq!(entered, [60, 120, 180], "entered, then entered again after each heap dump");
    let logs = drill.respond("logs api --grep unlocked");
    let text = seen(&drill, logs);
    assert_eq!(text.matches("deploy pipeline unlocked").count(), 3, "{text}");
    let messages = drill.events().iter().filter(|e| matches!(e.kind, EventKind::Message { .. })).count();
    assert_eq!(messages, 1, "a message is delivered once, whatever the state does");
    assert_eq!(drill.record().phase, Some(wom::scenario::Phase::Impact));
}

#[test]
fn the_fixture_walkthrough_resolves() {
    let scenario = scenario();
    let solved = wom::session::check_walkthrough(Arc::new(scenario)).expect("solved");
    assert_eq!(solved.phase, wom::scenario::Phase::Resolved);
}

/// The fixture with `from` replaced by `to` (once), loaded.
fn broken(from: &str, to: &str) -> String {
    assert!(OUTCOMES.contains(from), "{from}");
    match parse(&OUTCOMES.replacen(from, to, 1), "outcomes.ron") {
        Ok(_) => "loads".to_string(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn validation_keeps_hidden_truth_out_of_replies_and_stages_in_order() {
    let cases = [
        broken("lift the freeze first", "we are in {state}"),
        renamed("Deploy freeze lifted.", "Deploy freeze lifted (we were in freeze-on)."),
        renamed("(text: \"heap dump written", "(text: \"heap dump freeze-on written"),
        broken(
            "result: Fails, reply: \"restart of {target} timed out: 4 of 10 pods did not come back within 120s\"",
            "result: Fails",
        ),
        broken("(after: \"2m\", done: 1.0,", "(after: \"2m\", done: 0.9,"),
        broken("(after: \"1m\", done: 0.6,", "(after: \"1m\", done: 0.2,"),
        broken("done: Above(0.5)", "done: Is(\"half\")"),
        broken("result: Partial(0.4)", "result: Partial(1.5)"),
        broken("(target: \"db\", when: In(\"locked\")", "(target: \"api\", when: In(\"locked\")"),
        broken("Diagnostic(diagnostic: \"explain\"", "Diagnostic(diagnostic: \"explian\""),
    ];
    insta::assert_snapshot!(cases.join("\n"), @r"
    outcomes.ron:51:22: outcome 1 of action `rollback`: `{state}` is not replaced here; only `{target}` and `{arg}` are (a volunteer must never see a state)
    outcomes.ron:41:80: action `unlock`: the text names state `freeze-on`, which the volunteer must never see
    outcomes.ron:66:20: diagnostic `heap-dump`: the text names state `freeze-on`, which the volunteer must never see
    outcomes.ron:55:21: outcome 1 of action `restart`: a `Fails` outcome says why in `reply`
    outcomes.ron:47:34: action `rollback`: the last stage has done 0.9; expected 1, all the action does
    outcomes.ron:46:34: action `rollback`: share done 0.2 is outside 0.3..=1
    outcomes.ron:20:88: a trigger of state `open`: `done` is a share from 0 to 1: use `Below`, `Above` or `Between`
    outcomes.ron:57:62: outcome 1 of action `drain`: share 1.5 is outside 0..=1
    outcomes.ron:62:22: unknown target `api` in diagnostic `explain` (known: `db`)
    outcomes.ron:72:99: unknown diagnostic `explian` in evidence `seq-scan`; did you mean `explain`? (known: `explain`, `heap-dump`)
    ");
}

/// The fixture with state `locked` renamed `freeze-on` (a compound id, which reads as a state's name) and
/// `from` replaced by `to`, loaded.
fn renamed(from: &str, to: &str) -> String {
    let text = OUTCOMES.replace("\"locked\"", "\"freeze-on\"");
    assert!(text.contains(from), "{from}");
    match parse(&text.replacen(from, to, 1), "outcomes.ron") {
        Ok(_) => "loads".to_string(),
        Err(e) => e.to_string(),
    }
}
