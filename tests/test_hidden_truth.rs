//! The volunteer never sees hidden truth: root cause, GM notes, state names, the title, future states.

use std::sync::Arc;
use wom::scenario::{DEFAULT_SCENARIO, builtin};
use wom::session::{Drill, EventKind, command_summaries, volunteer_view};

/// Every command the volunteer has, with arguments that exercise it, plus the walkthrough.
fn everything(drill: &Drill) -> Vec<String> {
    let s = drill.scenario();
    let mut lines: Vec<String> = command_summaries().into_iter().map(|(name, _)| format!("help {name}")).collect();
    lines.push("help".into());
    for svc in &s.services {
        lines.push(format!("metrics {}", svc.id));
        lines.push(format!("logs {} --since 3h --tail 1000", svc.id));
        lines.push(format!("deps {}", svc.id));
        lines.push(format!("config {}", svc.id));
        for m in &svc.metrics {
            lines.push(format!("metrics {} {} --since 2h", svc.id, m.name));
        }
    }
    for r in &s.runbooks {
        lines.push(format!("runbook {}", r.id));
    }
    // Every diagnostic against every target, and every action, so each outcome's reply shows up somewhere.
    for d in &s.diagnostics {
        if d.targets.is_empty() {
            lines.push(format!("run {}", d.id));
        }
        lines.extend(d.targets.iter().map(|t| format!("run {} {t}", d.id)));
    }
    lines.push("alerts --all".into());
    lines.extend(
        ["status", "alerts", "changes --since 3d", "flags", "inbox", "tickets", "runbook", "time", "logs"]
            .map(String::from),
    );
    lines.extend(s.walkthrough.iter().cloned());
    lines
}

#[test]
fn no_command_shows_hidden_truth() {
    for (id, _, _) in wom::scenario::BUILTIN {
        no_command_shows_hidden_truth_in(id);
    }
}

fn no_command_shows_hidden_truth_in(id: &str) {
    let scenario = Arc::new(builtin(id).unwrap().unwrap());
    let mut drill = Drill::start(scenario.clone(), 11);
    for line in everything(&drill) {
        drill.respond(&line);
    }
    let tod = drill.sim().page_time_of_day();
    let seen: String = drill.events().iter().filter_map(|e| volunteer_view(e, tod)).map(|d| d.plain_text()).collect();
    for secret in secrets(&scenario) {
        assert!(!seen.contains(secret.as_str()), "{id}: the volunteer saw hidden text: {secret}");
    }
    // The stream did record hidden events, so the check above is not vacuous.
    assert!(drill.events().iter().any(|e| matches!(e.kind, EventKind::StateEntered { .. })));
    assert!(seen.len() > 10_000, "the commands produced output to check");
}

/// Every piece of hidden text in a scenario that is worth looking for in what the volunteer saw.
fn secrets(scenario: &wom::scenario::Scenario) -> Vec<String> {
    let mut secrets = vec![
        scenario.meta.title.clone(),
        scenario.meta.gm_summary.clone(),
        scenario.root_cause.summary.clone(),
        scenario.root_cause.trigger.clone(),
        scenario.root_cause.five_ws.why.clone(),
        scenario.root_cause.five_ws.where_.clone(),
        scenario.gm_notes.clone(),
        scenario.meta.id.clone(),
    ];
    for track in &scenario.tracks {
        for state in &track.states {
            if !state.description.is_empty() {
                secrets.push(state.description.clone());
            }
            // Ids like `signups_failing` are names only the GM knows; plain words like `healthy` are not.
            if state.id.contains('_') {
                secrets.push(state.id.clone());
            }
        }
    }
    for e in &scenario.rubric.evidence {
        secrets.push(e.id.clone());
    }
    secrets.retain(|s| !s.is_empty());
    secrets
}

/// Whatever state the drill is in when an action is typed or a diagnostic runs, the volunteer sees one of
/// these texts: so none of them may carry hidden truth, whether or not a walkthrough reaches it.
#[test]
fn no_action_reply_stage_report_or_diagnostic_output_carries_hidden_truth() {
    let mut checked = 0;
    for (id, _, _) in wom::scenario::BUILTIN {
        let scenario = builtin(id).unwrap().unwrap();
        let mut shown: Vec<&str> = Vec::new();
        for a in &scenario.actions {
            shown.push(&a.result);
            shown.extend(a.stages.iter().map(|s| s.report.as_str()));
            for o in &a.outcomes {
                shown.push(&o.reply);
                shown.extend(o.stages.iter().map(|s| s.report.as_str()));
            }
        }
        for d in &scenario.diagnostics {
            shown.push(&d.summary);
            shown.extend(d.outputs.iter().map(|o| o.text.as_str()));
        }
        let states: Vec<&str> = scenario.tracks.iter().flat_map(|t| &t.states).map(|s| s.id.as_str()).collect();
        for text in shown {
            for secret in secrets(&scenario) {
                assert!(!text.contains(secret.as_str()), "{id}: `{text}` shows hidden text: {secret}");
            }
            // Compound state ids (`cpu-exhausted`) read as names of states; validation refuses them too.
            for state in states.iter().filter(|s| s.contains(['-', '_', '.'])) {
                assert!(!text.contains(state), "{id}: `{text}` names state {state}");
            }
            checked += 1;
        }
    }
    assert!(checked > 20, "{checked} texts checked");
}

#[test]
fn diagnosis_gets_no_verdict_during_the_drill() {
    let scenario = Arc::new(builtin(DEFAULT_SCENARIO).unwrap().unwrap());
    let mut right = Drill::start(scenario.clone(), 1);
    let mut wrong = Drill::start(scenario, 1);
    let r = right.respond("diagnose v2.15.0 deploy: INSERT violates NOT NULL on marketing_opt_in");
    let w = wrong.respond("diagnose the cache is full");
    let text = |d: &Drill, r: std::ops::Range<usize>| {
        d.events()[r].iter().filter_map(|e| volunteer_view(e, 0)).map(|d| d.plain_text()).collect::<String>()
    };
    assert_eq!(text(&right, r), text(&wrong, w));
}

#[test]
fn reading_a_runbook_is_not_finding_evidence() {
    let mut scenario = builtin(DEFAULT_SCENARIO).unwrap().unwrap();
    scenario.runbooks[0].body.push_str("\nA classic: violates not-null constraint.");
    let mut drill = Drill::start(Arc::new(scenario), 1);
    drill.respond("runbook signups");
    assert!(!drill.events().iter().any(|e| matches!(e.kind, EventKind::EvidenceFound { .. })));
    drill.respond("logs users-db --grep constraint");
    assert!(
        drill
            .events()
            .iter()
            .any(|e| matches!(&e.kind, EventKind::EvidenceFound { id } if id == "constraint-violation"))
    );
}

#[test]
fn an_echoed_search_pattern_is_not_evidence() {
    let mut drill = Drill::start(Arc::new(builtin(DEFAULT_SCENARIO).unwrap().unwrap()), 1);
    drill.respond("logs web --grep \"violates not-null constraint\"");
    assert!(!drill.events().iter().any(|e| matches!(e.kind, EventKind::EvidenceFound { .. })));
}
