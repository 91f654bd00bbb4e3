//! Scoring a drill from its event stream and the scenario's rubric, line by line.

use super::action_lines::{harmful_line, mitigate_line, reward_line};
use super::claims::{Claims, Stance};
use super::event::{DrillEvent, EndReason, Role};
use super::record::PostedUpdate;
use super::record::{Record, person};
use super::rubric_lines::{audience_line, audience_updates, five_ws_line, line, only_ol_line, responder_line};
use super::text::{Doc, Line, Style, offset_label, table};
use super::update_content::judge;
use crate::scenario::{Goal, Phase, Scenario};
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
    /// The moment on the timeline that earned or lost the points, when there is one.
    pub at: Option<i64>,
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

/// How a diagnosis stands against the scenario's candidate causes: which key facts of the real one it
/// asserts, which it denies, which it leaves out, and which wrong causes it asserts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DiagnosisMatch {
    /// Key facts asserted (each named by its first keyword).
    pub right: Vec<String>,
    /// Key facts ruled out ("not the deploy") although they were the cause.
    pub denied: Vec<String>,
    /// Key facts not mentioned.
    pub missing: Vec<String>,
    /// Wrong causes asserted, by summary.
    pub wrong: Vec<String>,
}

impl DiagnosisMatch {
    /// Key facts in all.
    pub fn of(&self) -> usize {
        self.right.len() + self.denied.len() + self.missing.len()
    }
}

/// Reads a diagnosis against the real cause and the scenario's wrong ones, understanding negation.
pub fn diagnosis_match(scenario: &Scenario, diagnosis: &str) -> DiagnosisMatch {
    let rc = &scenario.root_cause;
    let words: Vec<&str> = rc
        .keywords
        .iter()
        .chain(rc.wrong_causes.iter().flat_map(|w| w.keywords.iter()))
        .flatten()
        .map(String::as_str)
        .collect();
    let claims = Claims::parse(diagnosis, &words);
    let mut m = DiagnosisMatch::default();
    for group in &rc.keywords {
        let label = group.first().cloned().unwrap_or_default();
        match claims.stance(group) {
            Stance::Asserted => m.right.push(label),
            Stance::Denied => m.denied.push(label),
            Stance::Silent => m.missing.push(label),
        }
    }
    for wrong in &rc.wrong_causes {
        if !wrong.keywords.is_empty() && wrong.keywords.iter().all(|g| claims.stance(g) == Stance::Asserted) {
            m.wrong.push(wrong.summary.clone());
        }
    }
    m
}

/// How many of the root cause's key facts a diagnosis asserts, of how many.
pub fn root_cause_match(scenario: &Scenario, diagnosis: &str) -> (usize, usize) {
    let m = diagnosis_match(scenario, diagnosis);
    (m.right.len(), m.of())
}

fn root_cause_line(scenario: &Scenario, f: &Record) -> (i64, String) {
    let max = scenario.rubric.root_cause as i64;
    let Some(text) = &f.diagnosis else { return (0, "no diagnosis given".to_string()) };
    // A live GM's `accept` or `reject` of this diagnosis overrides reading it.
    match f.verdict.as_ref().filter(|(_, judged)| judged == text).map(|(accepted, _)| *accepted) {
        Some(true) => return (max, "the GM accepted the diagnosis".to_string()),
        Some(false) => return (0, "the GM rejected the diagnosis".to_string()),
        None => {}
    }
    let m = diagnosis_match(scenario, text);
    let (hit, of) = (m.right.len(), m.of());
    let mut points = max * hit as i64 / of.max(1) as i64;
    let mut detail = if hit == of {
        format!("diagnosis names the root cause ({hit} of {of} key facts)")
    } else if hit == 0 {
        format!("diagnosis asserts none of the {of} key facts")
    } else {
        format!("diagnosis gets {hit} of {of} key facts right ({}); missing: {}", m.right.join(", "), {
            let mut gaps = m.missing.clone();
            gaps.extend(m.denied.iter().cloned());
            gaps.join(", ")
        })
    };
    if !m.denied.is_empty() {
        detail.push_str(&format!("; it rules out {}, which was part of the cause", m.denied.join(", ")));
    }
    if !m.wrong.is_empty() {
        let half = if points > 0 { ", so half" } else { "" };
        points /= 2;
        detail.push_str(&format!("; it asserts a wrong cause: {}{half}", m.wrong.join("; ")));
    }
    (points, detail)
}

/// Whether the drill so far meets an objective (what the next hint is about).
pub fn objective_met(scenario: &Scenario, f: &Record, objective: crate::scenario::Objective) -> bool {
    use crate::scenario::Objective::*;
    match objective {
        Declare => f.declared.is_some(),
        Investigate => scenario.rubric.evidence.iter().all(|e| f.evidence.contains(&e.id)),
        Mitigate => f.mitigated.is_some(),
        Diagnose => f.diagnosis.as_deref().is_some_and(|d| {
            let m = diagnosis_match(scenario, d);
            m.right.len() == m.of() && m.wrong.is_empty()
        }),
        Communicate => f.updates.iter().any(|u| judge(&u.text).iter().all(|b| *b)),
    }
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
    lines.push(line("declare", points, r.declare.points as i64, detail, f.declared.as_ref().map(|d| d.first_t)));

    let resolved_in_impact = matches!(f.ended, Some((_, EndReason::Resolved))) && f.phase == Some(Phase::Impact);
    lines.push(mitigate_line(&r.mitigate, f, resolved_in_impact));

    let (points, detail) = root_cause_line(scenario, f);
    lines.push(line("root cause", points, r.root_cause as i64, detail, f.diagnosis_t));

    let found: Vec<&str> = r.evidence.iter().filter(|e| f.evidence.contains(&e.id)).map(|e| e.id.as_str()).collect();
    let points: i64 = r.evidence.iter().filter(|e| f.evidence.contains(&e.id)).map(|e| e.points as i64).sum();
    let max: i64 = r.evidence.iter().map(|e| e.points as i64).sum();
    let detail = if found.is_empty() {
        format!("found 0 of {}", r.evidence.len())
    } else {
        format!("found {} of {}: {}", found.len(), r.evidence.len(), found.join(", "))
    };
    // The moment: when the last piece found came on screen.
    let found_t = found.iter().filter_map(|id| f.evidence_t.get(*id)).max().copied();
    lines.push(line("evidence", points, max, detail, found_t));

    let channel: Vec<&PostedUpdate> = f.channel_updates().collect();
    let (points, detail, at) = audience_updates(f, &channel, r.updates.every, r.updates.points, &[]);
    lines.push(line("updates", points, r.updates.points as i64, detail, at));
    for a in &r.audiences {
        lines.push(audience_line(f, a));
    }

    let (points, detail) = roles(f, r.roles as i64);
    lines.push(line("roles", points, r.roles as i64, detail, f.roles_t));
    if !r.five_ws.is_unscored() {
        lines.push(five_ws_line(scenario, f));
    }
    for goal in &r.responders {
        lines.push(responder_line(f, goal));
    }
    if r.only_ol_acts > 0 {
        lines.push(only_ol_line(scenario, f));
    }

    for reward in &r.good {
        lines.push(reward_line(f, reward));
    }
    lines.push(harmful_line(scenario, f));

    let hint_cost = f.hints as i64 * r.hint_penalty as i64;
    lines.push(line(
        "hints",
        -hint_cost,
        0,
        if f.hints == 0 { "none used".into() } else { format!("{} used", f.hints) },
        f.first_hint_t,
    ));

    let info = |item: &str, detail: String| ScoreLine {
        item: item.to_string(),
        points: 0,
        max: 0,
        detail,
        info: true,
        at: None,
    };
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

/// Roles: full marks when distinct people hold IC, OL and CL; one person holding several is allowed (small
/// teams do it) and earns partial credit, since nobody is then free to coordinate while another has hands on
/// the keyboard. Only people who played (typed a command in the drill) count as distinct: a role given to a
/// name nobody played is filled on paper, not by another pair of hands.
fn roles(f: &Record, max: i64) -> (i64, String) {
    if f.roles.is_empty() {
        return (0, "no roles taken".to_string());
    }
    let person = |name: &str| person(Some(name));
    let played = |name: &str| f.people.get(name).is_some_and(|p| !p.commands.is_empty());
    let mut holders: Vec<String> = f.roles.values().map(|n| person(n)).collect();
    holders.sort();
    holders.dedup();
    let (people, absent): (Vec<String>, Vec<String>) = holders.into_iter().partition(|n| played(n));
    let filled = f.roles.len() as i64;
    let all = Role::ALL.len() as i64;
    // Filled share, scaled by how spread the roles are: (1 + people) / (1 + roles) is 1 when each role has
    // its own person and 1/2 when one person holds all three.
    let points = max * filled * (1 + people.len() as i64) / (all * (1 + filled));
    let held: Vec<String> = Role::ALL
        .iter()
        .filter_map(|r| f.roles.get(r).map(|n| format!("{} {}", r.short().to_uppercase(), person(n))))
        .collect();
    let mut detail = held.join(", ");
    if !absent.is_empty() {
        let verb = if absent.len() == 1 { "is" } else { "are" };
        detail.push_str(&format!(
            "; {} {verb} not playing (no command typed), so no credit as another person",
            super::rubric_lines::and_list(&absent)
        ));
    }
    if people.len() == 1 && filled > 1 && absent.is_empty() {
        detail.push_str(&format!("; one person held {} roles, so partial credit", filled));
    } else if (people.len() as i64) < filled {
        let who = if people.len() == 1 { "1 person".to_string() } else { format!("{} people", people.len()) };
        detail.push_str(&format!("; {who} for {filled} roles"));
    }
    if filled < all {
        detail.push_str(&format!("; {} of {} roles filled", filled, all));
    }
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
                let at = l.at.map_or(String::new(), offset_label);
                vec![
                    (Style::Plain, format!("  {}", l.item)),
                    (style, points),
                    (Style::Dim, at),
                    (Style::Plain, l.detail.clone()),
                ]
            })
            .collect();
        doc.extend(table(rows));
        doc
    }
}
