//! Turns events into text: the one place the REPL, transcripts and the debrief take their wording from.

use super::event::{DrillEvent, EventKind, Visibility};
use super::observe::channel_word;
use super::text::{Doc, Line, Style, clock_label};
use crate::scenario::SimDuration;

/// What the volunteer sees for an event, if anything; commands themselves are echoed by the front end.
pub fn volunteer_view(event: &DrillEvent, page_time_of_day: i64) -> Option<Doc> {
    if event.kind.visibility() != Visibility::Everyone {
        return None;
    }
    let at = clock_label(page_time_of_day, event.t);
    let doc = match &event.kind {
        EventKind::Started { seed, briefing } => {
            let mut doc =
                Doc::line(Line::styled(Style::Heading, format!("wom: Wheel of Misfortune drill (seed {seed})")));
            doc.push(Line::styled(Style::Bad, format!("[{at}] ")).push(Style::Plain, briefing.clone()));
            doc.push(Line::styled(Style::Dim, "Type `help` for commands. Every command takes simulated time."));
            doc
        }
        EventKind::Output { doc } => doc.clone(),
        EventKind::Rejected { error, .. } => Doc::line(Line::styled(Style::Bad, format!("error: {error}"))),
        EventKind::AlertFired { name, service, severity, summary } => Doc::line(
            Line::styled(Style::Bad, format!("[{at}] ALERT {name} firing"))
                .push(Style::Dim, format!(" ({severity}, {service}) "))
                .push(Style::Plain, summary.clone()),
        ),
        EventKind::AlertResolved { name } => {
            Doc::line(Line::styled(Style::Good, format!("[{at}] ALERT {name} resolved")))
        }
        EventKind::Message { from, channel, text } => Doc::line(
            Line::styled(Style::Warn, format!("[{at}] new {} from {from}: ", channel_word(*channel)))
                .push(Style::Plain, text.clone()),
        ),
        EventKind::ActionReport { action, text, .. } => {
            Doc::line(Line::styled(Style::Warn, format!("[{at}] {action}: ")).push(Style::Plain, text.clone()))
        }
        EventKind::Ended { reason } => {
            Doc::line(Line::styled(Style::Heading, format!("Drill over at {at} ({reason}).")))
        }
        EventKind::Asked { number, by, question } => {
            let who = by.as_deref().map_or(String::new(), |b| format!(" {b}"));
            Doc::line(
                Line::styled(Style::Warn, format!("[{at}] question #{number}{who}: "))
                    .push(Style::Plain, question.clone()),
            )
        }
        EventKind::Answered { number, from, text } => Doc::line(
            Line::styled(Style::Warn, format!("[{at}] answer #{number} from {from}: "))
                .push(Style::Plain, text.clone()),
        ),
        EventKind::TimeSkipped { pass, say } => Doc::line(
            Line::styled(
                Style::Heading,
                format!("[{at}] {} pass, to {}: ", SimDuration(*pass), clock_label(page_time_of_day, event.t + pass)),
            )
            .push(Style::Plain, say.clone()),
        ),
        EventKind::Announcement { text } => {
            Doc::line(Line::styled(Style::Heading, format!("[{at}] GM: ")).push(Style::Plain, text.clone()))
        }
        EventKind::Verdict { accepted, diagnosis } => Doc::line(
            Line::styled(
                if *accepted { Style::Good } else { Style::Bad },
                format!("[{at}] GM {} the diagnosis: ", if *accepted { "accepts" } else { "rejects" }),
            )
            .push(Style::Plain, diagnosis.clone()),
        ),
        EventKind::Command { .. }
        | EventKind::GmCommand { .. }
        | EventKind::GmOutput { .. }
        | EventKind::Clock { .. }
        | EventKind::Declared { .. }
        | EventKind::RoleTaken { .. }
        | EventKind::StatusUpdate { .. }
        | EventKind::Note { .. }
        | EventKind::Action { .. }
        | EventKind::Diagnosis { .. }
        | EventKind::FiveW { .. }
        | EventKind::AlertAcked { .. }
        | EventKind::AlertSilenced { .. }
        | EventKind::Replied { .. }
        | EventKind::Escalated { .. }
        | EventKind::Hint { .. }
        | EventKind::BudgetReport { .. }
        | EventKind::StateEntered { .. }
        | EventKind::EvidenceFound { .. } => return None,
    };
    Some(doc)
}
