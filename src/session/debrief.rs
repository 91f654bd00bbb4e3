//! The debrief: the full timeline, the score, the revealed root cause and a blameless postmortem draft,
//! as Markdown for people and JSON for machines.

use super::Drill;
use super::action_lines::impact_time;
use super::blameless::{self, BlameNote};
use super::cmd::CHANNEL;
use super::event::{EventKind, Visibility};
use super::record::Record;
use super::render::volunteer_view;
use super::score::{Scorecard, root_cause_match, score_record};
use super::text::{FIVE_W_QUESTIONS, clock_label, count, day_clock_label, offset_label};
use crate::scenario::SimDuration;
use serde::Serialize;
use std::fmt::Write;

/// A finished drill written up.
pub struct Debrief {
    /// Markdown for people.
    pub markdown: String,
    /// JSON for machines.
    pub json: String,
    /// One self-contained HTML page with charts.
    pub html: String,
    /// The score.
    pub score: Scorecard,
}

#[derive(Serialize)]
struct Machine<'a> {
    format: &'static str,
    scenario: &'a str,
    title: &'a str,
    source: SourceJson<'a>,
    seed: u64,
    score: &'a Scorecard,
    /// Who did what, when several responders played.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    people: Vec<PersonJson<'a>>,
    /// Updates by audience, when the scenario has audiences.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    audiences: Vec<AudienceJson<'a>>,
    /// Phrases that read as blame, with suggestions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    language_notes: Vec<BlameNote>,
    events: Vec<&'a super::DrillEvent>,
}

/// The scenario's source, always as an object for machines.
#[derive(Serialize)]
struct SourceJson<'a> {
    url: &'a str,
    date: Option<&'a str>,
    /// An invented training example, not a real incident.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    invented: bool,
}

#[derive(Serialize)]
struct PersonJson<'a> {
    name: &'a str,
    roles: Vec<&'static str>,
    commands: Vec<TimedJson<'a>>,
    evidence: &'a [String],
    updates: Vec<UpdateJson<'a>>,
    actions: Vec<TimedJson<'a>>,
}

#[derive(Serialize)]
struct TimedJson<'a> {
    t: i64,
    text: &'a str,
}

#[derive(Serialize)]
struct UpdateJson<'a> {
    t: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<&'a str>,
    text: &'a str,
}

#[derive(Serialize)]
struct AudienceJson<'a> {
    audience: &'a str,
    updates: Vec<UpdateJson<'a>>,
}

fn timed(v: &[(i64, String)]) -> Vec<TimedJson<'_>> {
    v.iter().map(|(t, text)| TimedJson { t: *t, text }).collect()
}

fn people_json(facts: &Record) -> Vec<PersonJson<'_>> {
    if !facts.several_responders() {
        return Vec::new();
    }
    facts
        .people
        .iter()
        .map(|(name, p)| PersonJson {
            name,
            roles: p.roles.iter().map(|r| r.title()).collect(),
            commands: timed(&p.commands),
            evidence: &p.evidence,
            updates: p.updates.iter().map(|u| UpdateJson { t: u.t, to: u.to.as_deref(), text: &u.text }).collect(),
            actions: timed(&p.actions),
        })
        .collect()
}

fn audiences_json<'a>(s: &'a crate::scenario::Scenario, facts: &'a Record) -> Vec<AudienceJson<'a>> {
    if s.rubric.audiences.is_empty() {
        return Vec::new();
    }
    audience_ids(s)
        .into_iter()
        .map(|(id, key)| AudienceJson {
            audience: id,
            updates: facts
                .updates
                .iter()
                .filter(|u| u.to.as_deref() == key)
                .map(|u| UpdateJson { t: u.t, to: None, text: &u.text })
                .collect(),
        })
        .collect()
}

/// Every audience of the scenario, the incident channel first: the id shown and the key updates carry.
fn audience_ids(s: &crate::scenario::Scenario) -> Vec<(&str, Option<&str>)> {
    std::iter::once((CHANNEL, None))
        .chain(s.rubric.audiences.iter().map(|a| (a.id.as_str(), Some(a.id.as_str()))))
        .collect()
}

/// Writes up a drill.
pub fn debrief(drill: &Drill) -> Debrief {
    let s = drill.scenario();
    let facts = drill.record();
    let card = score_record(s, facts);
    let tod = drill.sim().page_time_of_day();
    let at = |t: i64| format!("{} ({})", day_clock_label(tod, t), offset_label(t));
    let mut md = String::new();
    let _ = writeln!(md, "# Debrief: {}\n", s.meta.title);
    let _ = writeln!(
        md,
        "Scenario `{}` (version {}), seed {}. Source: {}. Paged at {}; the drill ended at {} after {} of simulated \
         time.\n",
        s.meta.id,
        &s.content_hash()[..12],
        drill.seed(),
        s.meta.source,
        clock_label(tod, 0),
        clock_label(tod, facts.end_t()),
        SimDuration(facts.end_t())
    );
    let _ = writeln!(md, "## Score\n\n```text\n{}```\n", card.render().plain_text());
    write_truth(&mut md, drill, facts);
    let _ = writeln!(md, "## Timeline\n");
    let _ = writeln!(md, "Everything the volunteer typed and saw, with what happened behind the scenes in italics.\n");
    let mut pending_command: Option<String> = None;
    for e in drill.events() {
        match &e.kind {
            EventKind::Command { line, .. } => pending_command = Some(line.clone()),
            EventKind::Output { doc } => {
                let line = pending_command.take().unwrap_or_default();
                let _ =
                    writeln!(md, "**{}** `{}`\n\n```text\n{}```\n", at(e.t), line.replace('`', "'"), doc.plain_text());
            }
            EventKind::Rejected { line, error } => {
                let _ = writeln!(md, "**{}** `{}`: refused: {error}\n", at(e.t), line.replace('`', "'"));
            }
            // A GM-only track (`debrief: false`) stays out of the write-up.
            EventKind::StateEntered { track, state, phase } if s.in_debrief(track) => {
                let _ = writeln!(md, "*{}: behind the scenes, `{track}` entered `{state}` ({phase})*\n", at(e.t));
            }
            EventKind::EvidenceFound { id } => {
                let _ = writeln!(md, "*{}: evidence `{id}` was on screen*\n", at(e.t));
            }
            _ if e.kind.visibility() == Visibility::Everyone => {
                if let Some(doc) = volunteer_view(e, tod) {
                    for line in doc.plain_text().lines() {
                        let _ = writeln!(md, "> {line}");
                    }
                    md.push('\n');
                }
            }
            _ => {}
        }
    }
    write_postmortem(&mut md, drill, facts, &card);
    let json = serde_json::to_string_pretty(&Machine {
        format: "wom-debrief/1",
        scenario: &s.meta.id,
        title: &s.meta.title,
        source: SourceJson {
            url: &s.meta.source.url,
            date: s.meta.source.date.as_deref(),
            invented: s.meta.source.invented,
        },
        seed: drill.seed(),
        score: &card,
        people: people_json(facts),
        audiences: audiences_json(s, facts),
        language_notes: blameless::scan(s, facts),
        events: drill
            .events()
            .iter()
            .filter(|e| !matches!(&e.kind, EventKind::StateEntered { track, .. } if !s.in_debrief(track)))
            .collect(),
    })
    .unwrap_or_default();
    let html = super::html::debrief_html(drill, &card, &md);
    Debrief { markdown: md, json, html, score: card }
}

fn write_truth(md: &mut String, drill: &Drill, facts: &Record) {
    let s = drill.scenario();
    let rc = &s.root_cause;
    let _ = writeln!(md, "## What really happened\n\n{}\n", rc.summary);
    if !rc.trigger.is_empty() {
        let _ = writeln!(md, "Trigger: {}.\n", rc.trigger);
    }
    let diagnosis = facts.diagnosis.as_deref().unwrap_or("(no diagnosis given)");
    let (hit, of) = facts.diagnosis.as_deref().map_or((0, rc.keywords.len()), |d| root_cause_match(s, d));
    let _ = writeln!(md, "Your diagnosis ({hit} of {of} key facts): {diagnosis}\n");
    let mut herrings: Vec<String> = facts
        .red_herrings
        .iter()
        .map(|h| format!("the alert `{}` ({} on {})", h.alert, super::text::count(h.commands, "command"), h.service))
        .collect();
    for (t, from) in &facts.herring_messages_received {
        herrings.push(format!("the message from {from} at {}", clock_label(drill.sim().page_time_of_day(), *t)));
    }
    if !herrings.is_empty() {
        let _ = writeln!(md, "Red herrings, unrelated to the incident: {}.\n", herrings.join("; "));
    }
}

fn write_postmortem(md: &mut String, drill: &Drill, facts: &Record, card: &Scorecard) {
    let s = drill.scenario();
    let tod = drill.sim().page_time_of_day();
    let at = |t: i64| day_clock_label(tod, t);
    let w = &s.root_cause.five_ws;
    let title = facts
        .declared
        .as_ref()
        .map_or_else(|| "(never declared)".to_string(), |d| format!("{} {}", d.severity.label(), d.title));
    let _ = writeln!(md, "## Postmortem (draft)\n");
    let _ = writeln!(md, "*Blameless: describe what the system and the process did, not who was at fault.*\n");
    let _ = writeln!(md, "### Summary\n\nIncident: {title}. {}\n", s.root_cause.summary);
    let _ = writeln!(md, "### Impact\n");
    let _ = writeln!(md, "- Who: {}", w.who);
    let end = facts.mitigated.unwrap_or(facts.end_t());
    match facts.impact_start {
        Some(start) => {
            let ongoing = if facts.mitigated.is_none() { " (still ongoing when the drill ended)" } else { "" };
            let _ = writeln!(md, "- Duration: {} to {}, {}{ongoing}", at(start), at(end), SimDuration(end - start));
            let relapses: Vec<String> = facts
                .mitigations
                .iter()
                .filter_map(|m| {
                    m.relapsed.map(|back| format!("stopped at {} and came back at {}", at(m.start), at(back)))
                })
                .collect();
            if !relapses.is_empty() {
                let affected = impact_time(facts);
                let _ = writeln!(
                    md,
                    "- Relapses: impact {}; users affected for {affected} in all",
                    relapses.join(", then ")
                );
            }
        }
        None => {
            let _ = writeln!(md, "- Duration: unknown");
        }
    }
    for b in &facts.budget {
        let _ = writeln!(
            md,
            "- Error budget, {}: {:.1}% burned during the drill, {:.1}% over the simulated run, {:.1}% left",
            b.slo,
            b.during_drill * 100.0,
            b.whole_run * 100.0,
            b.remaining * 100.0
        );
    }
    let _ = writeln!(
        md,
        "- Detection: paged at {}{}\n",
        at(0),
        facts.impact_start.map_or(String::new(), |t| if t < 0 {
            format!(", {} after impact began", SimDuration(-t))
        } else {
            format!("; impact began {} after the page", SimDuration(t))
        })
    );
    let _ = writeln!(md, "### Timeline\n");
    let mut key: Vec<(i64, String)> = s
        .changes
        .iter()
        // Every change of the day before impact: the trigger can be hours old (a config change the night before).
        .filter(|c| facts.impact_start.is_some_and(|start| c.at.secs() <= start && start - c.at.secs() <= 86_400))
        .map(|c| (c.at.secs(), format!("{} ({})", c.summary, c.service)))
        .collect();
    if let Some(t) = facts.impact_start {
        key.push((t, "Impact begins".to_string()));
    }
    key.push((0, "Page".to_string()));
    for e in drill.events() {
        let what = match &e.kind {
            EventKind::Declared { severity, title } => {
                format!("Declared {} \"{title}\"", severity.label())
            }
            EventKind::Action { action, target, arg, result, reply } => {
                let words = [Some(action.as_str()), target.as_deref(), arg.as_deref()];
                let label = words.into_iter().flatten().collect::<Vec<_>>().join(" ");
                match result {
                    r if r.is_success() => format!("Action: {label}"),
                    r => format!("Action: {label} ({}: {reply})", r.label()),
                }
            }
            EventKind::ActionReport { action, text, .. } => format!("{action}: {text}"),
            EventKind::StatusUpdate { text, to } => match to {
                Some(to) => format!("Status update to {to}: {text}"),
                None => format!("Status update: {text}"),
            },
            EventKind::Diagnosis { text } => format!("Diagnosis: {text}"),
            EventKind::AlertAcked { name } => format!("Alert {name} acknowledged"),
            EventKind::AlertSilenced { name, until } => {
                format!("Alert {name} silenced until {}", day_clock_label(tod, *until))
            }
            EventKind::Replied { to, text } => format!("Reply to {to}: {text}"),
            EventKind::Escalated { team, urgent, text, .. } => {
                format!(
                    "{} {team}{}",
                    if *urgent { "Paged" } else { "Escalated to" },
                    if text.is_empty() { String::new() } else { format!(": {text}") }
                )
            }
            EventKind::Ended { reason } => format!("Drill ended ({reason})"),
            _ => continue,
        };
        key.push((e.t, what.trim().to_string()));
    }
    for m in &facts.mitigations {
        key.push((m.start, "User impact stops".to_string()));
        if let Some(back) = m.relapsed {
            key.push((back, "User impact returns (relapse)".to_string()));
        }
    }
    key.sort_by_key(|(t, _)| *t);
    for (t, what) in key {
        let _ = writeln!(md, "- {} {what}", at(t));
    }
    let _ = writeln!(md, "\n### Root cause\n\n{}\n", s.root_cause.summary);
    let _ = writeln!(md, "### The 5 Ws\n");
    let _ = writeln!(md, "| Question | What happened | Your answer |\n|---|---|---|");
    for (key, q) in FIVE_W_QUESTIONS {
        let yours = facts
            .five_ws
            .get(key)
            .map_or("(not answered; `5w ".to_string() + key + " ...`)", |y| y.replace('|', "\\|"));
        let _ = writeln!(md, "| {q} | {} | {yours} |", w.answer(key));
    }
    let _ = writeln!(md, "\n### What went well\n");
    let good: Vec<_> = card.lines.iter().filter(|l| l.max > 0 && l.points >= l.max).collect();
    if good.is_empty() {
        let _ = writeln!(md, "- (to discuss)");
    }
    for l in good {
        let _ = writeln!(md, "- {}: {}", l.item, l.detail);
    }
    let _ = writeln!(md, "\n### What to improve\n");
    let weak: Vec<_> = card.lines.iter().filter(|l| l.points < l.max || l.points < 0).collect();
    if weak.is_empty() {
        let _ = writeln!(md, "- (to discuss)");
    }
    for l in weak {
        let _ = writeln!(md, "- {}: {}", l.item, l.detail);
    }
    // Each harmful action taken is on the `harmful actions` line above, with its reason.
    for e in s.rubric.evidence.iter().filter(|e| !facts.evidence.contains(&e.id)) {
        let _ = writeln!(md, "- missed evidence: {}", e.description);
    }
    for h in &facts.red_herrings {
        if h.commands > 0 {
            let _ = writeln!(
                md,
                "- red herring `{}` on {} took {} (it had nothing to do with the incident)",
                h.alert,
                h.service,
                super::text::count(h.commands, "command")
            );
        }
    }
    write_language(md, drill, facts);
    let _ = writeln!(md, "\n### Action items\n");
    if !s.root_cause.trigger.is_empty() {
        let _ = writeln!(md, "- [ ] Prevent a recurrence of {}", s.root_cause.trigger);
    }
    if let Some(start) = facts.impact_start.filter(|t| *t < 0) {
        let _ = writeln!(md, "- [ ] Detect sooner: impact began {} before the page", SimDuration(-start));
    }
    let _ = writeln!(md, "- [ ] Review the runbooks used in this drill for gaps");
    write_audiences(md, drill, facts);
    write_people(md, drill, facts);
    if !facts.notes.is_empty() {
        let _ = writeln!(md, "\n### Notes taken during the drill\n");
        for n in &facts.notes {
            let _ = writeln!(md, "- {n}");
        }
    }
}

/// The blameless-language note: phrases the players wrote that read as blame, gently, with what to say
/// instead. Nothing when there are none.
fn write_language(md: &mut String, drill: &Drill, facts: &Record) {
    let notes = blameless::scan(drill.scenario(), facts);
    if notes.is_empty() {
        return;
    }
    let tod = drill.sim().page_time_of_day();
    let _ = writeln!(md, "\n### A note on language\n");
    let _ = writeln!(
        md,
        "*Not part of the score. A few phrases written during the drill read as blame; a blameless postmortem \
         asks what in the system and the process made a mistake possible, so that people can speak openly next \
         time.*\n"
    );
    for n in notes {
        let _ = writeln!(md, "- {} at {}: \"{}\" {}", n.source, day_clock_label(tod, n.t), n.phrase, n.suggestion);
    }
}

/// Updates by audience, when the scenario declares audiences.
fn write_audiences(md: &mut String, drill: &Drill, facts: &Record) {
    let s = drill.scenario();
    if s.rubric.audiences.is_empty() {
        return;
    }
    let tod = drill.sim().page_time_of_day();
    let _ = writeln!(md, "\n### Updates by audience\n");
    for (id, key) in audience_ids(s) {
        let name = s
            .rubric
            .audiences
            .iter()
            .find(|a| Some(a.id.as_str()) == key)
            .map_or("the incident channel", |a| if a.name.is_empty() { a.id.as_str() } else { a.name.as_str() });
        let posted: Vec<_> = facts.updates.iter().filter(|u| u.to.as_deref() == key).collect();
        let _ = writeln!(md, "- `{id}` ({name}): {}", count(posted.len(), "update"));
        for u in posted {
            let _ = writeln!(md, "  - {} {}", day_clock_label(tod, u.t), u.text);
        }
    }
}

/// Who did what, when several responders played: per person, roles, commands, evidence their commands
/// showed, updates and actions.
fn write_people(md: &mut String, drill: &Drill, facts: &Record) {
    if !facts.several_responders() {
        return;
    }
    let tod = drill.sim().page_time_of_day();
    let _ = writeln!(md, "\n### Who did what\n");
    for (name, p) in &facts.people {
        let roles: Vec<&str> = p.roles.iter().map(|r| r.title()).collect();
        let roles = if roles.is_empty() { "no role".to_string() } else { roles.join(", ") };
        let _ = writeln!(md, "- **{name}** ({roles}): {}", count(p.commands.len(), "command"));
        if !p.commands.is_empty() {
            let typed: Vec<String> = p
                .commands
                .iter()
                .map(|(t, line)| format!("{} `{}`", clock_label(tod, *t), line.replace('`', "'")))
                .collect();
            let _ = writeln!(md, "  - typed: {}", typed.join("; "));
        }
        if !p.evidence.is_empty() {
            let _ = writeln!(md, "  - evidence first on their screen: {}", p.evidence.join(", "));
        }
        for u in &p.updates {
            let to = u.to.as_deref().map_or(String::new(), |to| format!(" to {to}"));
            let _ = writeln!(md, "  - update{to} at {}: {}", clock_label(tod, u.t), u.text);
        }
        for (t, action) in &p.actions {
            let _ = writeln!(md, "  - action at {}: {action}", clock_label(tod, *t));
        }
    }
}
