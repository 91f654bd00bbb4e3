//! The drill's event stream: every change of drill state, in order. Front ends render it, the debrief
//! replays it, and (later) a journal or a socket carries it.

use super::text::Doc;
use crate::scenario::{ActionResult, AlertSeverity, Channel, Phase, Severity};
use serde::{Deserialize, Serialize};

/// One event with its place in the stream and its simulated time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DrillEvent {
    /// Position in the stream, from 0.
    pub seq: u64,
    /// Simulated seconds from the page.
    pub t: i64,
    /// What happened.
    pub kind: EventKind,
}

/// Who may see an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// The volunteer, observers and the GM.
    Everyone,
    /// Only the GM (and the debrief, after the drill).
    GameMaster,
}

/// An incident role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Role {
    /// Incident Commander.
    IncidentCommander,
    /// Operations Lead.
    OperationsLead,
    /// Communications Lead.
    CommunicationsLead,
}

impl Role {
    /// All roles in order.
    pub const ALL: [Role; 3] = [Role::IncidentCommander, Role::OperationsLead, Role::CommunicationsLead];

    /// Full name.
    pub fn title(self) -> &'static str {
        match self {
            Role::IncidentCommander => "Incident Commander",
            Role::OperationsLead => "Operations Lead",
            Role::CommunicationsLead => "Communications Lead",
        }
    }

    /// `ic`, `ol`, `cl`.
    pub fn short(self) -> &'static str {
        match self {
            Role::IncidentCommander => "ic",
            Role::OperationsLead => "ol",
            Role::CommunicationsLead => "cl",
        }
    }
}

/// Error budget burned for one SLO.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BudgetLine {
    /// "auth availability 99.90%".
    pub slo: String,
    /// Fraction of the window's budget burned from the page to the end.
    pub during_drill: f64,
    /// Fraction burned over the whole simulated run (history included).
    pub whole_run: f64,
    /// Fraction left at the end.
    pub remaining: f64,
}

/// Why a drill ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EndReason {
    /// The volunteer ran `resolve`.
    Resolved,
    /// The volunteer ran `quit`.
    Quit,
    /// Input ran out (script or pipe ended, or Ctrl-D).
    EndOfInput,
    /// A signal stopped it (SIGTERM, SIGHUP when the terminal closed, Ctrl-C outside the prompt).
    Signal,
    /// The GM's timebox ran out.
    TimeUp,
    /// The GM ended the drill.
    GameMaster,
}

impl std::fmt::Display for EndReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EndReason::Resolved => "resolved",
            EndReason::Quit => "quit",
            EndReason::EndOfInput => "end of input",
            EndReason::Signal => "stopped by a signal",
            EndReason::TimeUp => "time is up",
            EndReason::GameMaster => "ended by the GM",
        })
    }
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum EventKind {
    /// The drill began; the volunteer is paged with the briefing (never the title or id, which can give
    /// the cause away).
    Started { seed: u64, briefing: String },
    /// The volunteer typed a command.
    Command {
        /// Who typed it, in a hosted drill with several responders.
        #[serde(skip_serializing_if = "Option::is_none")]
        by: Option<String>,
        /// The line as typed.
        line: String,
        /// The command word (`help` for `<cmd> --help`).
        name: String,
        /// Its first argument, as triggers see it.
        target: Option<String>,
    },
    /// What the command answered.
    Output { doc: Doc },
    /// The command was refused; nothing else happened.
    Rejected { line: String, error: String },
    /// Simulated time moved on.
    Clock { from: i64, to: i64 },
    /// An alert fired.
    AlertFired { name: String, service: String, severity: AlertSeverity, summary: String },
    /// An alert resolved.
    AlertResolved { name: String },
    /// A message arrived.
    Message { from: String, channel: Channel, text: String },
    /// An incident was declared (or its severity changed).
    Declared { severity: Severity, title: String },
    /// Someone took a role.
    RoleTaken { role: Role, name: String },
    /// A status update to stakeholders: the incident channel, or the scenario's audience `to`.
    StatusUpdate {
        /// What it says.
        text: String,
        /// The audience (`update --to <id>`); none for the incident channel.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
    },
    /// A note for the record.
    Note { text: String },
    /// A mitigation or other action.
    Action {
        action: String,
        target: Option<String>,
        /// Its argument as read (`30%`), if it takes one.
        #[serde(skip_serializing_if = "Option::is_none")]
        arg: Option<String>,
        /// How it ended, when it did not simply succeed (partial, failed, refused).
        #[serde(skip_serializing_if = "ActionResult::is_success")]
        result: ActionResult,
        /// What the tool said, when it did not simply succeed (the reason it failed or was refused).
        #[serde(skip_serializing_if = "String::is_empty")]
        reply: String,
    },
    /// A stage of an action landed; the tool reports it as it would (`rollback reached 6 of 10 regions`).
    ActionReport { action: String, target: Option<String>, text: String },
    /// The volunteer's statement of the cause.
    Diagnosis { text: String },
    /// A firing alert was acknowledged.
    AlertAcked { name: String },
    /// An alert was silenced until simulated time `until`.
    AlertSilenced { name: String, until: i64 },
    /// The volunteer asked another team for help (`urgent` when paged).
    Escalated {
        /// The team's id.
        team: String,
        /// Paged rather than escalated to.
        urgent: bool,
        /// What was asked.
        text: String,
        /// In a hosted drill, its number in the GM's queue (`answer <n>` replies as the team).
        #[serde(skip_serializing_if = "Option::is_none")]
        queued: Option<usize>,
    },
    /// The volunteer replied to someone who wrote.
    Replied { to: String, text: String },
    /// The volunteer's answer to one of the 5 Ws (`what`, `where`, `why`, `when`, `who`).
    FiveW { question: String, answer: String },
    /// A hint was given.
    Hint { number: usize, text: String },
    /// Hidden: a track entered a state.
    StateEntered { track: String, state: String, phase: Phase },
    /// Hidden: the volunteer's output showed a piece of evidence.
    EvidenceFound { id: String },
    /// Error budget burned, reported when the drill ends.
    BudgetReport { slos: Vec<BudgetLine> },
    /// The drill is over.
    Ended { reason: EndReason },
    /// A responder asked what the simulation does not model; it waits in the GM's queue.
    Asked { number: usize, by: Option<String>, question: String },
    /// The answer to a question (from the GM, or a scripted one in solo mode).
    Answered { number: usize, from: String, text: String },
    /// The GM (or solo mode's automatic GM) says something to everyone.
    Announcement { text: String },
    /// The scenario let `pass` seconds go by at once (a state's `skip`); everyone is told `say`.
    TimeSkipped { pass: i64, say: String },
    /// The GM accepted or rejected the latest diagnosis.
    Verdict { accepted: bool, diagnosis: String },
    /// Hidden: a line the GM typed at the console.
    GmCommand { line: String },
    /// Hidden: what the GM console answered.
    GmOutput { doc: Doc },
}

impl EventKind {
    /// Who may see this event.
    pub fn visibility(&self) -> Visibility {
        match self {
            EventKind::StateEntered { .. }
            | EventKind::EvidenceFound { .. }
            | EventKind::GmCommand { .. }
            | EventKind::GmOutput { .. } => Visibility::GameMaster,
            _ => Visibility::Everyone,
        }
    }
}
