//! The score lines for what a team does beside fixing the system: updates to each audience, the 5 Ws,
//! responder habits (ack, silence, escalate, reply) and "only the OL changes the system".
//!
//! Each function reads the [`Record`] and the scenario's rubric and returns one [`ScoreLine`]; `score.rs`
//! puts them in rubric order.

use super::claims::{Claims, Stance};
use super::record::{PostedUpdate, Record, person};
use super::score::ScoreLine;
use super::text::{FIVE_WS, count, offset_label};
use super::update_content::NEEDS;
use crate::scenario::{Audience, ResponderGoal, Scenario, SimDuration, UpdateContent};

/// A score line worth points.
pub(super) fn line(item: impl Into<String>, points: i64, max: i64, detail: String, at: Option<i64>) -> ScoreLine {
    ScoreLine { item: item.into(), points, max, detail, info: false, at }
}

/// What an update must say, as a reader names it, and whether a text says it.
struct Need<'a> {
    what: String,
    content: &'a UpdateContent,
}

impl Need<'_> {
    fn met_by(&self, text: &str) -> bool {
        match self.content {
            UpdateContent::WhoIsAffected => NEEDS[0].met_by(text),
            UpdateContent::WhatIsBeingDone => NEEDS[1].met_by(text),
            UpdateContent::NextUpdate => NEEDS[2].met_by(text),
            UpdateContent::Words { any, .. } => {
                let lower = text.to_lowercase();
                any.iter().any(|w| lower.contains(&w.to_lowercase()))
            }
        }
    }
}

const STANDARD: [UpdateContent; 3] =
    [UpdateContent::WhoIsAffected, UpdateContent::WhatIsBeingDone, UpdateContent::NextUpdate];

fn needs(must_say: &[UpdateContent]) -> Vec<Need<'_>> {
    let list = if must_say.is_empty() { &STANDARD[..] } else { must_say };
    list.iter()
        .map(|content| Need {
            what: match content {
                UpdateContent::WhoIsAffected => NEEDS[0].what.to_string(),
                UpdateContent::WhatIsBeingDone => NEEDS[1].what.to_string(),
                UpdateContent::NextUpdate => NEEDS[2].what.to_string(),
                UpdateContent::Words { what, .. } => what.clone(),
            },
            content,
        })
        .collect()
}

/// "a, b and c".
pub(super) fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// One audience's updates, judged by what each says and by cadence (counting only updates that say
/// something): points × the share of the needs met on average × 1, ½ or 0 for the longest silence within
/// the goal, within twice the goal, or longer.
pub fn audience_updates(
    f: &Record,
    posted: &[&PostedUpdate],
    every: SimDuration,
    points: u32,
    must_say: &[UpdateContent],
) -> (i64, String, Option<i64>) {
    let Some(declared) = f.declared.as_ref().map(|d| d.first_t) else {
        return (0, format!("{} posted; no incident declared to update on", count(posted.len(), "update")), None);
    };
    if posted.is_empty() {
        return (0, format!("no updates (goal: every {every})"), None);
    }
    let needs = needs(must_say);
    let judged: Vec<(i64, Vec<bool>)> =
        posted.iter().map(|u| (u.t, needs.iter().map(|n| n.met_by(&u.text)).collect())).collect();
    let said = |u: &[bool]| u.iter().filter(|b| **b).count();
    let of = needs.len().max(1);
    let content: f64 = judged.iter().map(|(_, u)| said(u) as f64 / of as f64).sum::<f64>() / judged.len() as f64;
    let mut marks = vec![declared];
    marks.extend(judged.iter().filter(|(t, u)| *t >= declared && said(u) > 0).map(|(t, _)| *t));
    marks.push(f.end_t());
    let gap = marks.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    let cadence = if gap <= every.secs() {
        1.0
    } else if gap <= 2 * every.secs() {
        0.5
    } else {
        0.0
    };
    let earned = (points as f64 * content * cadence).floor() as i64;
    let never: Vec<String> =
        (0..needs.len()).filter(|i| judged.iter().all(|(_, u)| !u[*i])).map(|i| needs[i].what.clone()).collect();
    let partly: Vec<String> = (0..needs.len())
        .filter(|i| !never.contains(&needs[*i].what) && judged.iter().any(|(_, u)| !u[*i]))
        .map(|i| needs[i].what.clone())
        .collect();
    let mut detail = count(judged.len(), "update");
    if never.is_empty() && partly.is_empty() {
        let all: Vec<String> = needs.iter().map(|n| n.what.clone()).collect();
        let each = if judged.len() == 1 { "" } else { "each " };
        detail.push_str(&format!(", {each}saying {}", and_list(&all)));
    }
    if !never.is_empty() {
        detail.push_str(&format!("; none said {}", never.join(" or ")));
    }
    if !partly.is_empty() {
        detail.push_str(&format!("; not every one said {}", partly.join(" or ")));
    }
    detail.push_str(&format!("; longest silence {} (goal: every {every})", SimDuration(gap)));
    // The moment: the first update that left something out, else the last one.
    let at = judged.iter().find(|(_, u)| said(u) < needs.len()).or(judged.last()).map(|(t, _)| *t);
    (earned, detail, at)
}

/// The line for one declared audience: `updates to <id>`.
pub fn audience_line(f: &Record, a: &Audience) -> ScoreLine {
    let posted: Vec<&PostedUpdate> = f.updates.iter().filter(|u| u.to.as_deref() == Some(a.id.as_str())).collect();
    let (points, detail, at) = audience_updates(f, &posted, a.every, a.points, &a.must_say);
    line(format!("updates to {}", a.id), points, a.points as i64, detail, at)
}

/// Whether an answer to one of the 5 Ws is right: it asserts one word of every keyword group; with no
/// groups in the rubric, any answer counts.
pub fn five_w_right(s: &Scenario, w: &str, answer: &str) -> bool {
    let groups = s.rubric.five_ws.keywords(w);
    let words: Vec<&str> = groups.iter().flatten().map(String::as_str).collect();
    let claims = Claims::parse(answer, &words);
    groups.iter().all(|g| claims.stance(g) == Stance::Asserted)
}

/// The 5 Ws: each answer against the truth, points × right answers / 5.
pub fn five_ws_line(s: &Scenario, f: &Record) -> ScoreLine {
    let max = s.rubric.five_ws.points as i64;
    let (mut right, mut wrong, mut missing) = (Vec::new(), Vec::new(), Vec::new());
    for w in FIVE_WS {
        match f.five_ws.get(w) {
            Some(answer) if five_w_right(s, w, answer) => right.push(w),
            Some(_) => wrong.push(w),
            None => missing.push(w),
        }
    }
    let points = max * right.len() as i64 / 5;
    let mut detail = if missing.len() == FIVE_WS.len() {
        "none of the 5 answered (`5w <question> <answer>`, or at `resolve`)".to_string()
    } else if right.is_empty() {
        "no answer matches what happened".to_string()
    } else {
        format!("{} of 5 match what happened ({})", right.len(), right.join(", "))
    };
    if !wrong.is_empty() {
        detail.push_str(&format!("; off the mark: {}", wrong.join(", ")));
    }
    if !missing.is_empty() && missing.len() < FIVE_WS.len() {
        detail.push_str(&format!("; not answered: {}", missing.join(", ")));
    }
    line("5 Ws", points, max, detail, f.five_ws_t)
}

/// One responder habit.
pub fn responder_line(f: &Record, goal: &ResponderGoal) -> ScoreLine {
    let max = goal.points() as i64;
    let why = |why: &str| if why.is_empty() { String::new() } else { format!(" ({why})") };
    match goal {
        ResponderGoal::Ack { within, why: reason, .. } => {
            // Every paging alert that fired during the drill, red herrings included: someone has to own a page.
            let mut pages: Vec<(&str, i64)> = Vec::new();
            for (name, fired) in f.page_alerts() {
                if !pages.iter().any(|(n, _)| *n == name) {
                    pages.push((name, fired));
                }
            }
            if pages.is_empty() {
                return line("ack", max, max, format!("no alert paged during the drill{}", why(reason)), None);
            }
            let mut late = Vec::new();
            let mut last = None;
            for (name, fired) in &pages {
                match f.acked.get(*name) {
                    Some(t) if *t - fired.max(&0) <= within.secs() => last = Some(last.unwrap_or(*t).max(*t)),
                    Some(t) => late.push(format!("{name} after {}", SimDuration(*t - fired.max(&0)))),
                    None => late.push(format!("{name} never")),
                }
            }
            let on_time = pages.len() - late.len();
            let points = max * on_time as i64 / pages.len() as i64;
            let mut detail =
                format!("{} of {} acknowledged within {within}", on_time, count(pages.len(), "paging alert"));
            if !late.is_empty() {
                detail.push_str(&format!("; {}", late.join(", ")));
            }
            detail.push_str(&why(reason));
            line("ack", points, max, detail, last)
        }
        ResponderGoal::Silence { alert, why: reason, .. } => match f.silenced_at.get(alert) {
            Some(t) => line("silence", max, max, format!("silenced {alert}{}", why(reason)), Some(*t)),
            None => line("silence", 0, max, format!("{alert} was not silenced{}", why(reason)), None),
        },
        ResponderGoal::Escalate { team, within, why: reason, .. } => {
            let first = f.escalations.iter().find(|(_, t)| t == team).map(|(t, _)| *t);
            let others: Vec<&str> = f.escalations.iter().filter(|(_, t)| t != team).map(|(_, t)| t.as_str()).collect();
            let (points, mut detail) = match (first, within) {
                (None, _) => (0, format!("{team} was never escalated to or paged")),
                (Some(t), Some(w)) if t > w.secs() => {
                    (max / 2, format!("{team} reached at {} (goal: within {w}), so half", offset_label(t)))
                }
                (Some(t), _) => (max, format!("{team} reached at {}", offset_label(t))),
            };
            if !others.is_empty() {
                detail.push_str(&format!("; also asked: {}", others.join(", ")));
            }
            detail.push_str(&why(reason));
            line(format!("escalate {team}"), points, max, detail, first)
        }
        ResponderGoal::Reply { to, within, why: reason, .. } => {
            let item = format!("reply {to}");
            let matches = |from: &str| from == to || from.split_whitespace().next() == Some(to.as_str());
            let first = f.inbox.iter().find(|m| matches(&m.from));
            let wrote = first.map(|m| m.t);
            let reply = f.replies.iter().find(|(_, who, _)| matches(who));
            let replied = reply.map(|(t, _, _)| *t);
            let to = reply.map(|(_, who, _)| who).or(first.map(|m| &m.from)).map_or(to.as_str(), String::as_str);
            let (points, detail) = match (wrote, replied, within) {
                (None, _, _) => (max, format!("{to} never wrote, so nothing to answer")),
                (Some(_), None, _) => (0, format!("{to} wrote and got no reply")),
                // Someone who wrote before the page is answered from the page on.
                (Some(w), Some(r), Some(goal)) if r - w.max(0) > goal.secs() => {
                    (max / 2, format!("replied to {to} at {} (goal: within {goal}), so half", offset_label(r)))
                }
                (Some(_), Some(r), _) => (max, format!("replied to {to} at {}", offset_label(r))),
            };
            line(item, points, max, format!("{detail}{}", why(reason)), replied)
        }
    }
}

/// "Only the OL changes the system": each `mitigate` typed by someone who did not hold the Operations Lead
/// role at the time loses the rubric's points, with who and when.
pub fn only_ol_line(s: &Scenario, f: &Record) -> ScoreLine {
    let penalty = s.rubric.only_ol_acts as i64;
    let off: Vec<String> = f
        .actions
        .iter()
        .filter(|a| a.ol.as_deref().map(|ol| person(Some(ol))) != Some(person(a.by.as_deref())))
        .map(|a| {
            let label = format!("{} {}", a.action, a.target.as_deref().unwrap_or("")).trim().to_string();
            let holder =
                a.ol.as_deref().map_or("nobody held OL".to_string(), |ol| format!("OL was {}", person(Some(ol))));
            format!("`{label}` by {} at {} ({holder})", person(a.by.as_deref()), offset_label(a.t))
        })
        .collect();
    let first = f
        .actions
        .iter()
        .find(|a| a.ol.as_deref().map(|ol| person(Some(ol))) != Some(person(a.by.as_deref())))
        .map(|a| a.t);
    let detail = if off.is_empty() {
        if f.actions.is_empty() {
            "no changing actions taken".to_string()
        } else {
            format!("all {} taken by the Operations Lead", count(f.actions.len(), "changing action"))
        }
    } else {
        off.join("; ")
    };
    line("only the OL acts", -penalty * off.len() as i64, 0, detail, first)
}
