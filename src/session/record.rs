//! The one reading of the event stream: everything the drill, the score and the debrief need to know
//! about what has happened, folded event by event.
//!
//! The drill keeps a [`Record`] in step as it appends events; the score and the debrief read the same
//! record; replaying a journal folds the same events into the same record. Nothing else walks the stream
//! to work out a fact.

use super::event::{BudgetLine, DrillEvent, EndReason, EventKind, Role};
use crate::scenario::{AlertSeverity, Channel, Phase, Scenario, Severity};
use std::collections::{BTreeMap, BTreeSet};

/// The first declaration and the latest severity and title.
#[derive(Clone, Debug, PartialEq)]
pub struct Declaration {
    /// When the incident was first declared.
    pub first_t: i64,
    /// The latest severity.
    pub severity: Severity,
    /// The latest title.
    pub title: String,
}

/// A message the volunteer received.
#[derive(Clone, Debug, PartialEq)]
pub struct Received {
    /// When it arrived.
    pub t: i64,
    /// Who sent it.
    pub from: String,
    /// Chat or ticket.
    pub channel: Channel,
    /// What it says.
    pub text: String,
}

/// An alert that fired and later resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedAlert {
    /// Alert name.
    pub name: String,
    /// When it fired.
    pub fired: i64,
    /// When it resolved.
    pub resolved: i64,
}

/// An action the volunteer took.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionTaken {
    /// When it was typed.
    pub t: i64,
    /// Who typed it (in a hosted drill).
    pub by: Option<String>,
    /// Who held the Operations Lead role then, if anyone.
    pub ol: Option<String>,
    /// The action id.
    pub action: String,
    /// Its target, if any.
    pub target: Option<String>,
    /// Its argument as read (`30%`), if any.
    pub arg: Option<String>,
    /// Every track's state when it was typed, as `track.state`, in track order.
    pub states: Vec<String>,
    /// How it ended: succeeded, partial, failed or refused.
    pub result: crate::scenario::ActionResult,
}

/// A stretch of the incident with user impact stopped: from entering a mitigated or resolved phase until
/// impact came back (a relapse), if it did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mitigation {
    /// When user impact stopped.
    pub start: i64,
    /// When it came back, if it did.
    pub relapsed: Option<i64>,
}

/// A status update as posted.
#[derive(Clone, Debug, PartialEq)]
pub struct PostedUpdate {
    /// When.
    pub t: i64,
    /// The audience; none for the incident channel.
    pub to: Option<String>,
    /// What it says.
    pub text: String,
}

/// What one responder did: their commands, the roles they held, the evidence their commands showed, the
/// updates they posted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PersonRecord {
    /// Commands typed: time and line.
    pub commands: Vec<(i64, String)>,
    /// Roles taken by or given to them, in order.
    pub roles: Vec<Role>,
    /// Evidence ids first shown by their commands.
    pub evidence: Vec<String>,
    /// Updates they posted: time, audience, text.
    pub updates: Vec<PostedUpdate>,
    /// Actions they took: time and `action target`.
    pub actions: Vec<(i64, String)>,
}

/// How a name typed for a role or carried by a command is shown: `me` and `you` are the solo volunteer.
pub fn person(name: Option<&str>) -> String {
    match name {
        None | Some("me" | "you") => "you".to_string(),
        Some(n) => n.to_string(),
    }
}

/// A red-herring alert that fired, and how many commands the volunteer spent on its service afterwards.
#[derive(Clone, Debug, PartialEq)]
pub struct RedHerring {
    /// Alert name.
    pub alert: String,
    /// Its service.
    pub service: String,
    /// When it first fired.
    pub fired: i64,
    /// Commands aimed at that service after it fired.
    pub commands: usize,
}

/// What the event stream says so far.
#[derive(Clone, Debug, Default)]
pub struct Record {
    /// The incident (first) track, whose phases the score reads.
    main_track: String,
    /// Alerts the scenario marks as red herrings.
    herring_alerts: BTreeSet<String>,
    /// Messages the scenario marks as red herrings: (from, text).
    herring_messages: BTreeSet<(String, String)>,
    /// First declaration, latest severity and title.
    pub declared: Option<Declaration>,
    /// Roles taken, with who took them.
    pub roles: BTreeMap<Role, String>,
    /// Hints used.
    pub hints: usize,
    /// Which hints were given (their numbers in the scenario, from 1), in order.
    pub hints_given: Vec<usize>,
    /// Evidence ids found.
    pub evidence: BTreeSet<String>,
    /// When each piece of evidence was first found.
    pub evidence_t: BTreeMap<String, i64>,
    /// When the latest role was taken.
    pub roles_t: Option<i64>,
    /// When the first hint was given.
    pub first_hint_t: Option<i64>,
    /// Messages received, in order.
    pub inbox: Vec<Received>,
    /// Alerts firing now, with when they fired.
    pub firing: BTreeMap<String, i64>,
    /// What each alert that fired said when it last fired: (service, severity, summary). The `alerts`
    /// command shows an alert the GM injected from here, since no rule of the simulation knows it.
    pub fired_as: BTreeMap<String, (String, AlertSeverity, String)>,
    /// Alerts that fired and resolved, in the order they resolved.
    pub resolved_alerts: Vec<ResolvedAlert>,
    /// When user impact began (first entry into an impact state of the incident track).
    pub impact_start: Option<i64>,
    /// When the mitigation that holds now began: the incident track's entry into a mitigated or resolved
    /// phase after the page, unless user impact came back since (then none until it stops again).
    pub mitigated: Option<i64>,
    /// Every stretch with user impact stopped after the page, in order; all but the last relapsed.
    pub mitigations: Vec<Mitigation>,
    /// Each track's current state, in track order: (track, state).
    states: Vec<(String, String)>,
    /// Phase of the incident track now.
    pub phase: Option<Phase>,
    /// Latest diagnosis.
    pub diagnosis: Option<String>,
    /// When the latest diagnosis was given.
    pub diagnosis_t: Option<i64>,
    /// Alerts acknowledged, with when.
    pub acked: BTreeMap<String, i64>,
    /// Alerts silenced, with until when.
    pub silenced: BTreeMap<String, i64>,
    /// Alerts silenced, with when they were first silenced.
    pub silenced_at: BTreeMap<String, i64>,
    /// Paging alerts that fired, with when, in order (an alert firing again counts again).
    pub pages: Vec<(String, i64)>,
    /// Teams escalated to or paged: time and team.
    pub escalations: Vec<(i64, String)>,
    /// Replies sent: time, to whom, text.
    pub replies: Vec<(i64, String, String)>,
    /// The GM's latest verdict: accepted or not, and the diagnosis it judged.
    pub verdict: Option<(bool, String)>,
    /// The volunteer's latest answer to each of the 5 Ws, by question.
    pub five_ws: BTreeMap<String, String>,
    /// When the latest answer to one of the 5 Ws was given.
    pub five_ws_t: Option<i64>,
    /// Status updates as posted, to every audience, in order.
    pub updates: Vec<PostedUpdate>,
    /// Who typed the latest command (in a hosted drill).
    speaker: Option<String>,
    /// What each responder did, by name (`you` in a solo drill).
    pub people: BTreeMap<String, PersonRecord>,
    /// Every free text the players wrote: time, what it was (`update`, `note`, `diagnosis`, `5w why`, `reply`,
    /// `escalation`, `title`) and the text.
    pub written: Vec<(i64, String, String)>,
    /// Notes taken, in order.
    pub notes: Vec<String>,
    /// Actions taken, in order.
    pub actions: Vec<ActionTaken>,
    /// Red-herring alerts that fired, first firing only, in order.
    pub red_herrings: Vec<RedHerring>,
    /// Red-herring messages received: (time, sender).
    pub herring_messages_received: Vec<(i64, String)>,
    /// Error budget report at the end.
    pub budget: Vec<BudgetLine>,
    /// When and how the drill ended.
    pub ended: Option<(i64, EndReason)>,
    /// Time of the last event.
    pub last_t: i64,
}

impl Record {
    /// An empty record for a drill of `scenario`.
    pub fn new(scenario: &Scenario) -> Record {
        // The incident track's first state holds from the start of the simulated history.
        let first = scenario.tracks.first().and_then(|t| t.states.iter().find(|s| s.id == t.initial));
        let phase = first.map(|s| s.phase);
        let impact_start = (phase == Some(Phase::Impact)).then(|| -scenario.clock.history.secs());
        Record {
            phase,
            impact_start,
            main_track: scenario.tracks.first().map(|t| t.id.clone()).unwrap_or_default(),
            states: scenario.tracks.iter().map(|t| (t.id.clone(), t.initial.clone())).collect(),
            herring_alerts: scenario.alerts.iter().filter(|a| a.red_herring).map(|a| a.name.clone()).collect(),
            herring_messages: scenario
                .messages
                .iter()
                .filter(|m| m.red_herring)
                .map(|m| (m.from.clone(), m.text.clone()))
                .collect(),
            ..Record::default()
        }
    }

    /// Folds a whole stream.
    pub fn of(scenario: &Scenario, events: &[DrillEvent]) -> Record {
        let mut record = Record::new(scenario);
        for e in events {
            record.apply(e);
        }
        record
    }

    /// Takes one more event into account.
    pub fn apply(&mut self, e: &DrillEvent) {
        let t = e.t;
        self.last_t = self.last_t.max(t);
        self.attribute(e);
        match &e.kind {
            EventKind::Declared { severity, title } => {
                let first_t = self.declared.as_ref().map_or(t, |d| d.first_t);
                self.declared = Some(Declaration { first_t, severity: *severity, title: title.clone() });
            }
            EventKind::RoleTaken { role, name } => {
                self.roles_t = Some(t);
                self.roles.insert(*role, name.clone());
            }
            EventKind::Hint { number, .. } => {
                self.first_hint_t.get_or_insert(t);
                self.hints += 1;
                self.hints_given.push(*number);
            }
            EventKind::EvidenceFound { id } => {
                self.evidence_t.entry(id.clone()).or_insert(t);
                self.evidence.insert(id.clone());
            }
            EventKind::Message { from, channel, text } => {
                if self.herring_messages.contains(&(from.clone(), text.clone())) {
                    self.herring_messages_received.push((t, from.clone()));
                }
                self.inbox.push(Received { t, from: from.clone(), channel: *channel, text: text.clone() });
            }
            EventKind::AlertFired { name, service, severity, summary } => {
                self.firing.insert(name.clone(), t);
                self.fired_as.insert(name.clone(), (service.clone(), *severity, summary.clone()));
                if *severity == crate::scenario::AlertSeverity::Page {
                    self.pages.push((name.clone(), t));
                }
                if self.herring_alerts.contains(name) && !self.red_herrings.iter().any(|h| &h.alert == name) {
                    let herring = RedHerring { alert: name.clone(), service: service.clone(), fired: t, commands: 0 };
                    self.red_herrings.push(herring);
                }
            }
            EventKind::AlertResolved { name } => {
                let fired = self.firing.remove(name).unwrap_or(t);
                self.resolved_alerts.push(ResolvedAlert { name: name.clone(), fired, resolved: t });
            }
            EventKind::StateEntered { track, state, phase } => {
                if let Some(current) = self.states.iter_mut().find(|(id, _)| id == track) {
                    current.1 = state.clone();
                }
                if *track == self.main_track {
                    self.enter_phase(t, *phase);
                }
            }
            EventKind::Diagnosis { text } => {
                self.diagnosis = Some(text.clone());
                self.diagnosis_t = Some(t);
            }
            EventKind::AlertAcked { name } => {
                self.acked.entry(name.clone()).or_insert(t);
            }
            EventKind::AlertSilenced { name, until } => {
                self.silenced.insert(name.clone(), *until);
                self.silenced_at.entry(name.clone()).or_insert(t);
            }
            EventKind::Escalated { team, .. } => self.escalations.push((t, team.clone())),
            EventKind::Replied { to, text } => self.replies.push((t, to.clone(), text.clone())),
            EventKind::FiveW { question, answer } => {
                self.five_ws_t = Some(t);
                self.five_ws.insert(question.clone(), answer.clone());
            }
            EventKind::StatusUpdate { text, to } => {
                self.updates.push(PostedUpdate { t, to: to.clone(), text: text.clone() });
            }
            EventKind::Verdict { accepted, diagnosis } => self.verdict = Some((*accepted, diagnosis.clone())),
            EventKind::Note { text } => self.notes.push(text.clone()),
            EventKind::Action { action, target, arg, result, .. } => {
                let ol = self.roles.get(&Role::OperationsLead).cloned();
                let by = self.speaker.clone();
                let states = self.states.iter().map(|(track, state)| format!("{track}.{state}")).collect();
                let (action, target, arg, result) = (action.clone(), target.clone(), arg.clone(), *result);
                self.actions.push(ActionTaken { t, by, ol, action, target, arg, states, result })
            }
            EventKind::Command { target: Some(target), .. } => {
                for h in self.red_herrings.iter_mut().filter(|h| t >= h.fired && &h.service == target) {
                    h.commands += 1;
                }
            }
            EventKind::BudgetReport { slos } => self.budget = slos.clone(),
            EventKind::Ended { reason } => self.ended = Some((t, *reason)),
            _ => {}
        }
    }

    /// The incident track entered a state of `phase` at `t`: impact starts, stops (a mitigation, counted
    /// from the page on) or comes back (a relapse of the mitigation that held).
    fn enter_phase(&mut self, t: i64, phase: Phase) {
        self.phase = Some(phase);
        match phase {
            Phase::Impact => {
                self.impact_start.get_or_insert(t);
                if let Some(held) = self.mitigations.last_mut().filter(|m| m.relapsed.is_none()) {
                    held.relapsed = Some(t);
                }
                self.mitigated = None;
            }
            Phase::Mitigated | Phase::Resolved if t >= 0 && self.mitigated.is_none() => {
                self.mitigated = Some(t);
                self.mitigations.push(Mitigation { start: t, relapsed: None });
            }
            _ => {}
        }
    }

    /// Credits the responder who typed the latest command with what this event records.
    fn attribute(&mut self, e: &DrillEvent) {
        let t = e.t;
        if let EventKind::Command { by, line, .. } = &e.kind {
            self.speaker = by.clone();
            self.people.entry(person(by.as_deref())).or_default().commands.push((t, line.clone()));
            return;
        }
        if let EventKind::RoleTaken { role, name } = &e.kind {
            let holder = self.people.entry(person(Some(name))).or_default();
            if !holder.roles.contains(role) {
                holder.roles.push(*role);
            }
            return;
        }
        let what = match &e.kind {
            EventKind::StatusUpdate { text, to: None } => Some(("update".to_string(), text)),
            EventKind::StatusUpdate { text, to: Some(to) } => Some((format!("update to {to}"), text)),
            EventKind::Note { text } => Some(("note".to_string(), text)),
            EventKind::Diagnosis { text } => Some(("diagnosis".to_string(), text)),
            EventKind::FiveW { question, answer } => Some((format!("5w {question}"), answer)),
            EventKind::Replied { text, .. } => Some(("reply".to_string(), text)),
            EventKind::Escalated { text, .. } if !text.is_empty() => Some(("escalation".to_string(), text)),
            EventKind::Declared { title, .. } => Some(("title".to_string(), title)),
            _ => None,
        };
        if let Some((what, text)) = what {
            self.written.push((t, what, text.clone()));
        }
        let who = person(self.speaker.as_deref());
        match &e.kind {
            EventKind::EvidenceFound { id } if !self.evidence.contains(id) => {
                self.people.entry(who).or_default().evidence.push(id.clone())
            }
            EventKind::StatusUpdate { text, to } => {
                self.people.entry(who).or_default().updates.push(PostedUpdate { t, to: to.clone(), text: text.clone() })
            }
            EventKind::Action { action, target, .. } => {
                let label = format!("{action} {}", target.as_deref().unwrap_or("")).trim().to_string();
                self.people.entry(who).or_default().actions.push((t, label))
            }
            _ => {}
        }
    }

    /// Paging alerts that fired, each once, with when they first fired.
    pub fn page_alerts(&self) -> impl Iterator<Item = (&str, i64)> {
        self.pages.iter().map(|(n, t)| (n.as_str(), *t))
    }

    /// Whether several people typed commands (a hosted drill with more than one responder).
    pub fn several_responders(&self) -> bool {
        self.people.values().filter(|p| !p.commands.is_empty()).count() > 1
    }

    /// Updates posted to the incident channel (no `--to`).
    pub fn channel_updates(&self) -> impl Iterator<Item = &PostedUpdate> {
        self.updates.iter().filter(|u| u.to.is_none())
    }

    /// End of the drill (or the last event, if it has not ended).
    pub fn end_t(&self) -> i64 {
        self.ended.map_or(self.last_t, |(t, _)| t)
    }

    /// The 5 Ws not answered yet, each with its question, in the order `resolve` asks them.
    pub fn unanswered_five_ws(&self) -> Vec<(&'static str, &'static str)> {
        super::text::FIVE_W_QUESTIONS.into_iter().filter(|(w, _)| !self.five_ws.contains_key(*w)).collect()
    }

    /// Whether the drill has ended.
    pub fn is_over(&self) -> bool {
        self.ended.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Drill;
    use std::sync::Arc;

    #[test]
    fn folding_the_stream_again_gives_the_running_record() {
        let scenario = Arc::new(crate::scenario::fixture());
        let mut drill = Drill::start(scenario.clone(), 7);
        for line in scenario.walkthrough.clone() {
            drill.respond(&line);
        }
        drill.finish(EndReason::EndOfInput);
        let again = Record::of(&scenario, drill.events());
        let running = drill.record();
        assert_eq!(format!("{again:?}"), format!("{running:?}"));
        assert!(running.declared.is_some() && running.mitigated.is_some() && running.ended.is_some());
        assert_eq!(running.red_herrings.iter().map(|h| h.alert.as_str()).collect::<Vec<_>>(), ["DbSlow"]);
        assert_eq!(
            running.herring_messages_received.iter().map(|(_, from)| from.as_str()).collect::<Vec<_>>(),
            ["Dana"]
        );
        assert_eq!(running.evidence.len(), 2, "both pieces of evidence are on screen in the walkthrough");
    }
}
