//! Scoring a drill from its event stream and the scenario's rubric, line by line.

use super::event::{DrillEvent, EndReason, Role};
use super::record::Record;
use super::text::{Doc, Line, Style, offset_label, table};
use crate::scenario::{Goal, Phase, Scenario, SimDuration};
use serde::Serialize;

/// One line of the score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoreLine {
    /// What is judged.
    pub item: String,
    /// Points earned (negative for penalties).
    pub points: i64,
    /// Points available (0 for penalty lines).
    pub max: i64,
    /// Why.
    pub detail: String,
    /// Reported for the debrief, worth no points.
    pub info: bool,
}

/// The whole score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scorecard {
    /// Lines in rubric order.
    pub lines: Vec<ScoreLine>,
    /// Sum, never below zero.
    pub total: i64,
    /// Points available.
    pub max: i64,
}

/// Every harmful action taken, with the rubric entry it matched and a label such as `restart users-db`;
/// repeating one counts again.
pub fn harmful_actions<'a>(scenario: &'a Scenario, r: &Record) -> Vec<(&'a crate::scenario::Harm, String)> {
    let mut out = Vec::new();
    for taken in &r.actions {
        for h in scenario
            .rubric
            .harmful
            .iter()
            .filter(|h| h.action == taken.action && (h.target.is_none() || h.target == taken.target))
        {
            out.push((h, format!("{} {}", taken.action, taken.target.as_deref().unwrap_or("")).trim().to_string()));
        }
    }
    out
}

/// How many of the root cause's keyword groups a diagnosis matches.
pub fn root_cause_match(scenario: &Scenario, diagnosis: &str) -> (usize, usize) {
    let text = diagnosis.to_lowercase();
    let groups = &scenario.root_cause.keywords;
    let hit = groups.iter().filter(|g| g.iter().any(|w| text.contains(&w.to_lowercase()))).count();
    (hit, groups.len())
}

fn goal_points(goal: &Goal, at: Option<i64>) -> i64 {
    match at {
        Some(t) if t <= goal.within.secs() => goal.points as i64,
        Some(t) if t <= goal.within.secs() * 2 => goal.points as i64 / 2,
        _ => 0,
    }
}

/// Scores a drill from its event stream.
pub fn score(scenario: &Scenario, events: &[DrillEvent]) -> Scorecard {
    score_record(scenario, &Record::of(scenario, events))
}

/// Scores a drill from its record (the fold of its event stream).
pub fn score_record(scenario: &Scenario, f: &Record) -> Scorecard {
    let r = &scenario.rubric;
    let mut lines = Vec::new();
    let mut line = |item: &str, points: i64, max: i64, detail: String| {
        lines.push(ScoreLine { item: item.to_string(), points, max, detail, info: false })
    };

    let expected: Vec<&str> = r.expected_severity.iter().map(|s| s.label()).collect();
    let (points, detail) = match f.declared.as_ref().map(|d| (d.first_t, d.severity)) {
        None => (0, format!("never declared (goal: within {})", r.declare.within)),
        Some((t, sev)) => {
            let mut points = goal_points(&r.declare, Some(t));
            let mut detail =
                format!("{} declared at {} (goal: within {})", sev.label(), offset_label(t), r.declare.within);
            if !r.expected_severity.is_empty() && !r.expected_severity.contains(&sev) {
                points /= 2;
                detail.push_str(&format!("; expected {}, so half", expected.join(" or ")));
            }
            (points, detail)
        }
    };
    line("declare", points, r.declare.points as i64, detail);

    let mut detail = match f.mitigated {
        Some(t) => format!("user impact stopped at {} (goal: within {})", offset_label(t), r.mitigate.within),
        None => format!("user impact never stopped (goal: within {})", r.mitigate.within),
    };
    if matches!(f.ended, Some((_, EndReason::Resolved))) && f.phase == Some(Phase::Impact) {
        detail.push_str("; resolved while users were still affected");
    }
    line("mitigate", goal_points(&r.mitigate, f.mitigated), r.mitigate.points as i64, detail);

    let (points, detail) = match &f.diagnosis {
        None => (0, "no diagnosis given".to_string()),
        Some(text) => {
            let (hit, of) = root_cause_match(scenario, text);
            let points = r.root_cause as i64 * hit as i64 / of.max(1) as i64;
            let verdict = if hit == of { "names the root cause" } else { "misses part of the root cause" };
            (points, format!("diagnosis {verdict} ({hit} of {of} key facts)"))
        }
    };
    line("root cause", points, r.root_cause as i64, detail);

    let found: Vec<&str> = r.evidence.iter().filter(|e| f.evidence.contains(&e.id)).map(|e| e.id.as_str()).collect();
    let points: i64 = r.evidence.iter().filter(|e| f.evidence.contains(&e.id)).map(|e| e.points as i64).sum();
    let max: i64 = r.evidence.iter().map(|e| e.points as i64).sum();
    let detail = if found.is_empty() {
        format!("found 0 of {}", r.evidence.len())
    } else {
        format!("found {} of {}: {}", found.len(), r.evidence.len(), found.join(", "))
    };
    line("evidence", points, max, detail);

    let (points, detail) = cadence(f, &r.updates);
    line("updates", points, r.updates.points as i64, detail);

    let filled: Vec<&str> = f.roles.keys().map(|r| r.short()).collect();
    let points = r.roles as i64 * f.roles.len() as i64 / Role::ALL.len() as i64;
    let detail = if filled.is_empty() {
        "no roles taken".to_string()
    } else {
        format!("filled: {}", filled.join(", ").to_uppercase())
    };
    line("roles", points, r.roles as i64, detail);

    let taken = harmful_actions(scenario, f);
    let harm: i64 = taken.iter().map(|(h, _)| h.penalty as i64).sum();
    let harms: Vec<&str> = taken.iter().map(|(_, label)| label.as_str()).collect();
    line("harmful actions", -harm, 0, if harms.is_empty() { "none".into() } else { harms.join("; ") });

    let hint_cost = f.hints as i64 * r.hint_penalty as i64;
    line("hints", -hint_cost, 0, if f.hints == 0 { "none used".into() } else { format!("{} used", f.hints) });

    let info = |item: &str, detail: String| ScoreLine { item: item.to_string(), points: 0, max: 0, detail, info: true };
    for b in &f.budget {
        let detail = format!(
            "{}: {:.1}% of the budget burned during the drill, {:.1}% left",
            b.slo,
            b.during_drill * 100.0,
            b.remaining * 100.0
        );
        lines.push(info("error budget", detail));
    }
    let herrings = &f.red_herrings;
    if !herrings.is_empty() {
        let followed: Vec<String> = herrings
            .iter()
            .filter(|h| h.commands > 0)
            .map(|h| format!("{} ({})", h.alert, super::text::count(h.commands, "command")))
            .collect();
        let detail = if followed.is_empty() {
            format!("{} fired; none followed", super::text::count(herrings.len(), "red herring"))
        } else {
            format!("{} fired; followed {}", super::text::count(herrings.len(), "red herring"), followed.join(", "))
        };
        lines.push(info("red herrings", detail));
    }

    let max = lines.iter().map(|l| l.max).sum();
    let total = lines.iter().map(|l| l.points).sum::<i64>().max(0);
    Scorecard { lines, total, max }
}

fn cadence(f: &Record, goal: &crate::scenario::Cadence) -> (i64, String) {
    let Some(declared) = f.declared.as_ref().map(|d| d.first_t) else {
        return (
            0,
            format!("{} posted; no incident declared to update on", super::text::count(f.updates.len(), "update")),
        );
    };
    if f.updates.is_empty() {
        return (0, format!("no updates (goal: every {})", goal.every));
    }
    let mut marks = vec![declared];
    marks.extend(f.updates.iter().copied().filter(|&t| t >= declared));
    marks.push(f.end_t());
    let gap = marks.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    let every = goal.every.secs();
    let points = if gap <= every {
        goal.points as i64
    } else if gap <= 2 * every {
        goal.points as i64 / 2
    } else {
        0
    };
    let detail = format!(
        "{}; longest silence {} (goal: every {})",
        super::text::count(f.updates.len(), "update"),
        SimDuration(gap),
        goal.every
    );
    (points, detail)
}

impl Scorecard {
    /// The score as text.
    pub fn render(&self) -> Doc {
        let mut doc = Doc::line(Line::styled(Style::Heading, format!("Score: {}/{}", self.total, self.max)));
        let rows = self
            .lines
            .iter()
            .map(|l| {
                let style = if l.points < 0 {
                    Style::Bad
                } else if l.points >= l.max && l.max > 0 || (l.max == 0 && l.points == 0) {
                    Style::Good
                } else {
                    Style::Warn
                };
                let points = if l.info {
                    "·".to_string()
                } else if l.max > 0 {
                    format!("{}/{}", l.points, l.max)
                } else {
                    l.points.to_string()
                };
                let style = if l.info { Style::Dim } else { style };
                vec![(Style::Plain, format!("  {}", l.item)), (style, points), (Style::Plain, l.detail.clone())]
            })
            .collect();
        doc.extend(table(rows));
        doc
    }
}
