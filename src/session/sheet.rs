//! What `wom show` prints before a drill: the volunteer's briefing card, and the Game Master's sheet.
//!
//! The two are built by separate functions from separate parts of the scenario: the briefing card reads only
//! the briefing, the difficulty and the expected length (never the title, tags or anything below `meta`, which
//! often name the cause); the GM sheet reads everything.

use super::text::{Doc, Line, Style, table};
use crate::scenario::{ArgTest, Scenario, SimDuration, Trigger};

/// What a volunteer may know before the drill: the briefing, the difficulty and the expected length.
pub fn briefing_card(s: &Scenario) -> Doc {
    let mut doc = Doc::line(Line::styled(Style::Heading, "Briefing"));
    for line in s.meta.briefing.lines() {
        doc.plain(format!("  {line}"));
    }
    doc.push(Line::styled(Style::Heading, "Difficulty: ").push(Style::Plain, format!("{:?}", s.meta.difficulty)));
    doc.push(Line::styled(Style::Heading, "Expected length: ").push(Style::Plain, expected_length(s).to_string()));
    doc.push(Line::styled(Style::Dim, "Start it with `wom play` (alone) or `wom join` (a hosted drill)."));
    doc
}

/// How long a drill usually takes: the scenario's own figure, else twice the mitigation goal.
pub fn expected_length(s: &Scenario) -> SimDuration {
    s.meta.length.unwrap_or(SimDuration(s.rubric.mitigate.within.secs() * 2))
}

/// The Game Master's sheet: everything about the scenario, hidden truth included.
pub fn gm_sheet(s: &Scenario) -> Doc {
    let mut doc = Doc::line(Line::styled(Style::Heading, format!("{} ({})", s.meta.title, s.meta.id)));
    let facts = format!(
        "{:?}, about {}; tags: {}",
        s.meta.difficulty,
        expected_length(s),
        if s.meta.tags.is_empty() { "none".into() } else { s.meta.tags.join(", ") }
    );
    doc.push(Line::styled(Style::Dim, facts));
    section(&mut doc, "Briefing (what the volunteer is told)", &s.meta.briefing);
    section(&mut doc, "Summary", &s.meta.gm_summary);
    section(&mut doc, "GM notes", &s.gm_notes);
    if !s.meta.objectives.is_empty() {
        heading(&mut doc, "Objectives");
        for o in &s.meta.objectives {
            doc.plain(format!("  - {o}"));
        }
    }
    tracks(&mut doc, s);
    heading(&mut doc, "Root cause");
    indented(&mut doc, &s.root_cause.summary);
    if !s.root_cause.trigger.is_empty() {
        doc.plain(format!("  Trigger: {}", s.root_cause.trigger));
    }
    let w = &s.root_cause.five_ws;
    let rows = [("What", &w.what), ("Where", &w.where_), ("Why", &w.why), ("When", &w.when), ("Who", &w.who)]
        .into_iter()
        .map(|(k, v)| vec![(Style::Heading, format!("  {k}")), (Style::Plain, v.clone())])
        .collect();
    doc.extend(table(rows));
    let groups: Vec<String> = s.root_cause.keywords.iter().map(|g| g.join("|")).collect();
    doc.push(Line::styled(Style::Dim, format!("  A diagnosis names it with one word of each: {}", groups.join(" + "))));
    gm_extras(&mut doc, s);
    numbered(&mut doc, "Hints (mildest first)", s.hints.iter().map(|h| h.text.clone()));
    numbered(&mut doc, "Walkthrough", s.walkthrough.iter().cloned());
    rubric(&mut doc, s);
    heading(&mut doc, "Source");
    doc.plain(format!("  {}", s.meta.source));
    doc
}

fn gm_extras(doc: &mut Doc, s: &Scenario) {
    if !s.gm.injects.is_empty() {
        heading(doc, "Injects (`inject <name>`)");
        for i in &s.gm.injects {
            let auto = i.auto.map_or(String::new(), |d| format!(" [solo: fires by itself at T+{d}]"));
            doc.push(Line::styled(Style::Plain, format!("  {}: {}", i.name, i.description)).push(Style::Dim, auto));
        }
    }
    if !s.gm.answers.is_empty() {
        heading(doc, "Scripted answers to `ask` (solo mode)");
        for a in &s.gm.answers {
            doc.push(
                Line::styled(Style::Dim, format!("  [{}] ", a.keywords.join(", "))).push(Style::Plain, a.text.clone()),
            );
        }
    }
    if let Some(after) = s.gm.hint_after {
        doc.plain(format!("  Solo mode offers the next hint after {after} without progress."));
    }
}

fn tracks(doc: &mut Doc, s: &Scenario) {
    for track in &s.tracks {
        heading(doc, &format!("Track `{}` (starts in `{}`)", track.id, track.initial));
        for st in &track.states {
            doc.push(Line::styled(Style::Plain, format!("  {} ", st.id)).push(Style::Dim, format!("[{:?}]", st.phase)));
            if !st.description.is_empty() {
                doc.plain(format!("      {}", st.description));
            }
            for t in &st.transitions {
                doc.push(
                    Line::styled(Style::Good, format!("      -> {} ", t.to))
                        .push(Style::Plain, format!("when {}", describe_trigger(&t.when))),
                );
            }
        }
    }
}

fn rubric(doc: &mut Doc, s: &Scenario) {
    let r = &s.rubric;
    let max = r.declare.points
        + r.mitigate.points
        + r.root_cause
        + r.updates.points
        + r.roles
        + r.evidence.iter().map(|e| e.points).sum::<u32>()
        + r.audiences.iter().map(|a| a.points).sum::<u32>()
        + r.five_ws.points
        + r.responders.iter().map(|g| g.points()).sum::<u32>()
        + r.good.iter().map(|g| g.points).sum::<u32>();
    heading(doc, &format!("Rubric ({max} points)"));
    let severities: Vec<&str> = r.expected_severity.iter().map(|x| x.label()).collect();
    let mut rows = vec![
        row("declare", format!("within {}{}", r.declare.within, sev_list(&severities)), r.declare.points),
        row("mitigate", format!("user impact stops within {} and stays stopped", r.mitigate.within), r.mitigate.points),
        row("root cause", "a `diagnose` that names it".into(), r.root_cause),
        row("updates", format!("a status update at least every {}", r.updates.every), r.updates.points),
    ];
    if r.roles > 0 {
        rows.push(row("roles", "IC, OL and CL all filled".into(), r.roles));
    }
    for e in &r.evidence {
        rows.push(row(&format!("evidence {}", e.id), format!("{} (seen: \"{}\")", e.description, e.seen), e.points));
    }
    for a in &r.audiences {
        let name = if a.name.is_empty() { &a.id } else { &a.name };
        rows.push(row(
            &format!("updates to {}", a.id),
            format!("`update --to {}` ({name}) at least every {}", a.id, a.every),
            a.points,
        ));
    }
    if !r.five_ws.is_unscored() {
        rows.push(row("5 Ws", "each `5w` answer against the truth".into(), r.five_ws.points));
    }
    for g in &r.responders {
        let (what, how) = match g {
            crate::scenario::ResponderGoal::Ack { within, .. } => {
                ("ack".to_string(), format!("every paging alert acknowledged within {within}"))
            }
            crate::scenario::ResponderGoal::Silence { alert, .. } => {
                ("silence".to_string(), format!("`silence {alert}`"))
            }
            crate::scenario::ResponderGoal::Escalate { team, within, .. } => (
                format!("escalate {team}"),
                format!(
                    "`escalate {team}` or `page {team}`{}",
                    within.map_or(String::new(), |w| format!(" within {w}"))
                ),
            ),
            crate::scenario::ResponderGoal::Reply { to, within, .. } => (
                format!("reply {to}"),
                format!("`reply {to}`{}", within.map_or(String::new(), |w| format!(" within {w}"))),
            ),
        };
        rows.push(row(&what, how, g.points()));
    }
    for g in &r.good {
        let label = super::action_lines::action_label(&g.action, g.target.as_deref());
        rows.push(row(
            &format!("good: {label}"),
            format!("`mitigate {label}`{}: {}", moments(&g.when), g.why),
            g.points,
        ));
    }
    doc.extend(table(rows));
    if r.only_ol_acts > 0 {
        doc.push(
            Line::styled(Style::Bad, format!("  -{} ", r.only_ol_acts))
                .push(Style::Plain, "per `mitigate` typed by someone not holding OL"),
        );
    }
    for h in &r.harmful {
        let target = h.target.as_deref().map_or(String::new(), |t| format!(" {t}"));
        doc.push(
            Line::styled(Style::Bad, format!("  -{} ", h.penalty))
                .push(Style::Plain, format!("mitigate {}{target}{}: {}", h.action, moments(&h.when), h.why)),
        );
    }
    if r.hint_penalty > 0 {
        doc.push(Line::styled(Style::Bad, format!("  -{} ", r.hint_penalty)).push(Style::Plain, "per hint used"));
    }
}

/// A rubric action's moments in words, after a comma: ", before `rollback api`".
fn moments(when: &[crate::scenario::ActionMoment]) -> String {
    when.iter().map(|m| format!(", {}", super::action_lines::moment_words(m))).collect()
}

fn row(what: &str, how: String, points: u32) -> Vec<(Style, String)> {
    vec![(Style::Good, format!("  {points:>3}")), (Style::Heading, what.to_string()), (Style::Plain, how)]
}

fn sev_list(severities: &[&str]) -> String {
    if severities.is_empty() { String::new() } else { format!(" as {}", severities.join(" or ")) }
}

/// A trigger in words, for the GM sheet and the GM console.
pub fn describe_trigger(t: &Trigger) -> String {
    match t {
        Trigger::At(d) => format!("the clock reaches T+{d}"),
        Trigger::After(d) => format!("{d} in this state"),
        Trigger::Action { action, target, arg, done } => {
            let target = target.as_deref().map_or(String::new(), |t| format!(" {t}"));
            let done = match done {
                None => String::new(),
                Some(ArgTest::Below(x)) => format!(", less than {:.0}% done", x * 100.0),
                Some(ArgTest::Above(x)) => format!(", more than {:.0}% done", x * 100.0),
                Some(ArgTest::Between(lo, hi)) => format!(", {:.0}% to {:.0}% done", lo * 100.0, hi * 100.0),
                Some(ArgTest::Is(w)) => format!(", {w} done"),
            };
            let arg = match arg {
                None => String::new(),
                Some(ArgTest::Below(x)) => format!(" with an argument below {x}"),
                Some(ArgTest::Above(x)) => format!(" with an argument above {x}"),
                Some(ArgTest::Between(lo, hi)) => format!(" with an argument from {lo} to {hi}"),
                Some(ArgTest::Is(w)) => format!(" {w}"),
            };
            format!("`mitigate {action}{target}`{arg}{done}")
        }
        Trigger::Counter { counter, op, value } => {
            format!("counter {counter} {} {value}", format!("{op:?}").to_lowercase())
        }
        Trigger::Command { command, target, contains } => {
            let target = target.as_deref().map_or(String::new(), |t| format!(" {t}"));
            let contains = contains.as_deref().map_or(String::new(), |c| format!(" containing \"{c}\""));
            format!("`{command}{target}`{contains}")
        }
        Trigger::Metric { service, metric, op, value, sustained } => {
            let held = if sustained.secs() > 0 { format!(" for {sustained}") } else { String::new() };
            format!("{service} {metric} {} {value}{held}", format!("{op:?}").to_lowercase())
        }
        Trigger::Gm(name) => format!("the GM runs `inject {name}`"),
        Trigger::Reached(state) => format!("`{state}` has been reached"),
        Trigger::In(state) => format!("`{state}` is current"),
        Trigger::Chance(p) => format!("a {:.0}% chance each minute", p * 100.0),
        Trigger::AfterRandom(lo, hi) => format!("between {lo} and {hi} in this state (drawn on entry)"),
        Trigger::All(inner) => join(inner, " and "),
        Trigger::Any(inner) => join(inner, " or "),
        Trigger::Not(inner) => format!("not ({})", describe_trigger(inner)),
    }
}

fn join(inner: &[Trigger], word: &str) -> String {
    let parts: Vec<String> = inner.iter().map(describe_trigger).collect();
    format!("({})", parts.join(word))
}

fn heading(doc: &mut Doc, text: &str) {
    doc.plain("");
    doc.push(Line::styled(Style::Heading, text.to_string()));
}

fn section(doc: &mut Doc, title: &str, text: &str) {
    if !text.trim().is_empty() {
        heading(doc, title);
        indented(doc, text);
    }
}

fn indented(doc: &mut Doc, text: &str) {
    for line in text.lines() {
        doc.plain(format!("  {line}"));
    }
}

fn numbered(doc: &mut Doc, title: &str, items: impl Iterator<Item = String>) {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        return;
    }
    heading(doc, title);
    for (i, item) in items.iter().enumerate() {
        doc.plain(format!("  {:>2}. {item}", i + 1));
    }
}
