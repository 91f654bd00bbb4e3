//! The score lines about what was done to the system: the mitigation that held (credit taken back when the
//! incident relapses), actions the rubric rewards when taken at the right moment, and harmful ones.
//!
//! A rubric entry's `when` conditions ([`ActionMoment`]) are read from the [`Record`]: each action taken
//! keeps every track's state at the moment it was typed, and its place among the other actions.

use super::record::{ActionTaken, Mitigation, Record};
use super::rubric_lines::line;
use super::score::ScoreLine;
use super::text::offset_label;
use crate::scenario::{ActionMoment, ActionResult, Goal, Harm, Reward, Scenario, SimDuration};

/// `action target` as typed after `mitigate`.
pub fn action_label(action: &str, target: Option<&str>) -> String {
    format!("{action} {}", target.unwrap_or("")).trim().to_string()
}

/// Whether an action taken is this action (on this target, when one is named). A refused action never ran,
/// so it is not one: it neither hurts nor earns.
fn is(a: &ActionTaken, action: &str, target: Option<&str>) -> bool {
    a.action == action && target.is_none_or(|t| a.target.as_deref() == Some(t)) && a.result != ActionResult::Refused
}

/// Whether the record's `i`th action was taken at moment `m`.
fn holds(f: &Record, i: usize, m: &ActionMoment) -> bool {
    let a = &f.actions[i];
    match m {
        ActionMoment::In(state) => {
            a.states.iter().any(|s| s == state || s.split_once('.').is_some_and(|(_, st)| st == state))
        }
        ActionMoment::Before { action, target } => !f.actions[..i].iter().any(|b| is(b, action, target.as_deref())),
        ActionMoment::After { action, target } => f.actions[..i].iter().any(|b| is(b, action, target.as_deref())),
        ActionMoment::Within(d) => a.t <= d.secs(),
    }
}

/// The first of `when` that the record's `i`th action does not meet, if any.
fn missed<'a>(f: &Record, i: usize, when: &'a [ActionMoment]) -> Option<&'a ActionMoment> {
    when.iter().find(|m| !holds(f, i, m))
}

/// A moment in words: "while `incident.fighting`", "before `deploy all`", "within 10m of the page".
pub fn moment_words(m: &ActionMoment) -> String {
    match m {
        ActionMoment::In(state) => format!("while `{state}`"),
        ActionMoment::Before { action, target } => format!("before `{}`", action_label(action, target.as_deref())),
        ActionMoment::After { action, target } => format!("after `{}`", action_label(action, target.as_deref())),
        ActionMoment::Within(d) => format!("within {d} of the page"),
    }
}

/// Every harmful action taken at a moment its rubric entry names, with the entry, a label such as
/// `restart users-db` and when it was typed; repeating one counts again.
pub fn harmful_actions<'a>(scenario: &'a Scenario, f: &Record) -> Vec<(&'a Harm, String, i64)> {
    let mut out = Vec::new();
    for (i, taken) in f.actions.iter().enumerate() {
        for h in scenario.rubric.harmful.iter().filter(|h| is(taken, &h.action, h.target.as_deref())) {
            if missed(f, i, &h.when).is_none() {
                out.push((h, action_label(&taken.action, taken.target.as_deref()), taken.t));
            }
        }
    }
    out
}

/// The `harmful actions` line: each harm once with the scenario's reason, repeats counted; the moment is
/// the first.
pub fn harmful_line(scenario: &Scenario, f: &Record) -> ScoreLine {
    let taken = harmful_actions(scenario, f);
    let harm: i64 = taken.iter().map(|(h, _, _)| h.penalty as i64).sum();
    let mut harms: Vec<String> = Vec::new();
    for (h, label, _) in &taken {
        let times = taken.iter().filter(|(_, l, _)| l == label).count();
        let said = if times > 1 { format!("{label} ×{times} ({})", h.why) } else { format!("{label} ({})", h.why) };
        if !harms.contains(&said) {
            harms.push(said);
        }
    }
    let first = taken.iter().map(|(_, _, t)| *t).min();
    let detail = if harms.is_empty() { "none".into() } else { harms.join("; ") };
    line("harmful actions", -harm, 0, detail, first)
}

/// One rewarded action: its points the first time it is taken at the right moment. The line says when it
/// was taken, or why a time it was taken did not count, and the scenario's reason.
pub fn reward_line(f: &Record, r: &Reward) -> ScoreLine {
    let label = action_label(&r.action, r.target.as_deref());
    let item = format!("good: {label}");
    let max = r.points as i64;
    let why = if r.why.is_empty() { String::new() } else { format!(" ({})", r.why) };
    // A failed action ran but did nothing: it is no good action either.
    let tries: Vec<usize> = (0..f.actions.len())
        .filter(|i| is(&f.actions[*i], &r.action, r.target.as_deref()) && f.actions[*i].result != ActionResult::Fails)
        .collect();
    let moment = |t: i64| {
        let words: Vec<String> = r.when.iter().map(moment_words).collect();
        if words.is_empty() {
            format!("`{label}` at {}", offset_label(t))
        } else {
            format!("`{label}` at {}, {}", offset_label(t), words.join(", "))
        }
    };
    if let Some(i) = tries.iter().copied().find(|i| missed(f, *i, &r.when).is_none()) {
        let t = f.actions[i].t;
        return line(item, max, max, format!("{}{why}", moment(t)), Some(t));
    }
    match tries.first() {
        None => line(item, 0, max, format!("not taken{why}"), None),
        Some(&i) => {
            let t = f.actions[i].t;
            let off = missed(f, i, &r.when).map(moment_words).unwrap_or_default();
            line(item, 0, max, format!("`{label}` at {}, but not {off}{why}", offset_label(t)), Some(t))
        }
    }
}

/// The `mitigate` line. Credit goes only to a mitigation that held to the end of the drill: when user impact
/// stopped and came back (a relapse), the time to mitigate is counted to the last stop, the one that held,
/// and a drill that ends with users affected earns nothing however early impact once stopped.
pub fn mitigate_line(goal: &Goal, f: &Record, resolved_in_impact: bool) -> ScoreLine {
    let within = goal.within;
    let held = f.mitigations.last().filter(|m| m.relapsed.is_none()).map(|m| m.start);
    let mut detail = match (f.mitigations.as_slice(), held) {
        ([], _) => format!("user impact never stopped (goal: within {within})"),
        ([_], Some(t)) => format!("user impact stopped at {} (goal: within {within})", offset_label(t)),
        (spans, Some(_)) => {
            format!("{}; the time counts to the stop that held (goal: within {within})", episodes(spans))
        }
        (spans, None) => {
            format!(
                "{}, and users were still affected at the end, so no credit (goal: within {within})",
                episodes(spans)
            )
        }
    };
    if resolved_in_impact {
        detail.push_str("; resolved while users were still affected");
    }
    let points = match held {
        Some(t) if t <= within.secs() => goal.points as i64,
        Some(t) if t <= within.secs() * 2 => goal.points as i64 / 2,
        _ => 0,
    };
    // The moment: the stop that held, else the relapse that undid the last one.
    let at = held.or(f.mitigations.last().and_then(|m| m.relapsed));
    line("mitigate", points, goal.points as i64, detail, at)
}

/// "user impact stopped at T+5m, came back at T+9m; stopped again at T+12m and held".
fn episodes(spans: &[Mitigation]) -> String {
    let mut parts = Vec::new();
    for (k, m) in spans.iter().enumerate() {
        let stopped = if k == 0 { "user impact stopped" } else { "stopped again" };
        parts.push(match m.relapsed {
            Some(back) => format!("{stopped} at {}, came back at {}", offset_label(m.start), offset_label(back)),
            None => format!("{stopped} at {} and held", offset_label(m.start)),
        });
    }
    parts.join("; ")
}

/// The stretches with users affected: from the first impact to the first stop, from each relapse to the
/// next stop, and from the last relapse to the end when nothing held.
pub fn impact_spans(f: &Record) -> Vec<(i64, i64)> {
    let Some(mut from) = f.impact_start else { return Vec::new() };
    let mut spans = Vec::new();
    for m in &f.mitigations {
        spans.push((from, m.start.max(from)));
        match m.relapsed {
            Some(back) => from = back,
            None => return spans,
        }
    }
    spans.push((from, f.end_t().max(from)));
    spans
}

/// How long users were affected in all (the sum of [`impact_spans`]).
pub fn impact_time(f: &Record) -> SimDuration {
    SimDuration(impact_spans(f).iter().map(|(a, b)| b - a).sum())
}
