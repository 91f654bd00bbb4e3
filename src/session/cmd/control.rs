//! Commands about the drill itself: `help`, `time`, `clear`, `wait`, `resolve`, `quit`.

use super::{Context, Outcome};
use crate::scenario::{SimDuration, command_names};
use crate::session::command::{CommandError, CommandErrorKind, command_help, command_summaries};
use crate::session::event::EndReason;
use crate::session::observe::duration_arg;
use crate::session::text::{Doc, Line, Style, clock_label, offset_label, table, text_doc};

/// Longest single `wait`.
const MAX_WAIT: i64 = 6 * 3600;

/// `help [<command>]`: the command list, or one command's help (with this scenario's actions for
/// `mitigate`). Free.
pub fn help(cx: &Context, command: Option<&str>) -> Result<Outcome, CommandError> {
    let Some(name) = command else {
        let rows =
            command_summaries().into_iter().map(|(name, about)| vec![(Style::Heading, name), (Style::Plain, about)]);
        let mut doc = table(rows.collect());
        doc.push(Line::styled(Style::Dim, "`help <command>` explains one. Commands take simulated time."));
        return Ok(Outcome::show(doc, 0));
    };
    let text = command_help(name).ok_or_else(|| CommandError {
        word: "help".into(),
        kind: CommandErrorKind::Unknown { what: "command", name: name.to_string(), candidates: command_names() },
    })?;
    let mut doc = text_doc(&text);
    if name == "mitigate" {
        doc.push(Line::styled(Style::Heading, "Actions:"));
        let rows = cx
            .scenario
            .actions
            .iter()
            .map(|a| {
                let mut targets =
                    if a.targets.is_empty() { String::new() } else { format!("({})", a.targets.join(", ")) };
                if let Some(arg) = &a.arg {
                    let words = super::incident::arg_words(arg);
                    targets = format!("{targets}{}<{}>: {words}", if targets.is_empty() { "" } else { " " }, arg.name);
                }
                vec![(Style::Plain, format!("  {}", a.id)), (Style::Plain, a.summary.clone()), (Style::Dim, targets)]
            })
            .collect();
        doc.extend(table(rows));
    }
    if name == "run" {
        doc.push(Line::styled(Style::Heading, "Diagnostics:"));
        let rows: Vec<_> = cx
            .scenario
            .diagnostics
            .iter()
            .map(|d| {
                let targets = if d.targets.is_empty() { String::new() } else { format!("({})", d.targets.join(", ")) };
                vec![(Style::Plain, format!("  {}", d.id)), (Style::Plain, d.summary.clone()), (Style::Dim, targets)]
            })
            .collect();
        if rows.is_empty() {
            doc.push(Line::styled(Style::Dim, "  none in this system"));
        }
        doc.extend(table(rows));
    }
    if name == "hint" {
        let left = cx.scenario.hints.len().saturating_sub(cx.record.hints);
        let cost = cx.scenario.rubric.hint_penalty;
        let line = match (left, cost) {
            (0, _) => "No hints are left in this drill.".to_string(),
            (_, 0) => format!("Hints are free in this drill; {} left.", crate::session::text::count(left, "hint")),
            (_, cost) => format!(
                "In this drill each hint costs {} of the score; {} left.",
                crate::session::text::count(cost as usize, "point"),
                crate::session::text::count(left, "hint")
            ),
        };
        doc.push(Line::styled(Style::Warn, line));
    }
    Ok(Outcome::show(doc, 0))
}

/// `time`: the simulated clock. Free.
pub fn time(cx: &Context) -> Outcome {
    let (tod, now) = (cx.sim.page_time_of_day(), cx.sim.now());
    let clock = &cx.scenario.clock;
    let zone = clock.zone.as_ref().map_or(String::new(), |z| format!(" {z}"));
    let day = clock.date.as_deref().and_then(crate::scenario::Date::parse).map_or(String::new(), |d| {
        let d = d.plus_days((tod + now).div_euclid(86_400));
        format!(" on {} {}", d.weekday(), d.iso())
    });
    let text = format!(
        "It is {}{zone}{day} ({}); the page came at {}{zone}.",
        clock_label(tod, now),
        offset_label(now),
        clock_label(tod, 0)
    );
    cx.show(Doc::line(Line::plain(text)))
}

/// `clear`: nothing to show; a terminal front end clears the screen. Free; the drill and its clock go on.
pub fn clear(cx: &Context) -> Outcome {
    cx.show(Doc::new())
}

/// `wait <duration>`: takes exactly the time it is given, up to [`MAX_WAIT`].
pub fn wait(cx: &Context, duration: &str) -> Result<Outcome, CommandError> {
    let secs = duration_arg(cx.spec.name, Some(duration), 0)?;
    if secs > MAX_WAIT {
        return Err(CommandError {
            word: cx.spec.name.into(),
            kind: CommandErrorKind::BadDuration {
                message: format!("wait at most {} at a time", SimDuration(MAX_WAIT)),
            },
        });
    }
    let until = clock_label(cx.sim.page_time_of_day(), cx.sim.now() + secs);
    Ok(Outcome::show(Doc::line(Line::plain(format!("Waiting {} until {until}.", SimDuration(secs)))), secs))
}

/// `resolve`: ends the drill as resolved.
pub fn resolve(cx: &Context) -> Outcome {
    let at = clock_label(cx.sim.page_time_of_day(), cx.sim.now());
    let mut doc = Doc::line(Line::styled(Style::Good, format!("Incident resolved at {at}.")));
    let missing: Vec<&str> =
        crate::session::text::FIVE_WS.into_iter().filter(|w| !cx.record.five_ws.contains_key(*w)).collect();
    if !missing.is_empty() {
        let text = format!("Of the 5 Ws, not recorded (the debrief shows them unanswered): {}.", missing.join(", "));
        doc.push(Line::styled(Style::Dim, text));
    }
    let mut outcome = Outcome::show(doc, 0);
    outcome.ends = Some(EndReason::Resolved);
    outcome
}

/// `quit`: ends the drill now.
pub fn quit(_cx: &Context) -> Outcome {
    let mut outcome = Outcome::show(Doc::line(Line::plain("Ending the drill.")), 0);
    outcome.ends = Some(EndReason::Quit);
    outcome
}
