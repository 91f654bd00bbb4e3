//! Commands answered by a degraded tool (the scenario's `tools`): an unavailable tool answers with why, a
//! slow one takes longer, a stale one shows data only up to when it went stale, a partial one has no data
//! about some services. The rules live here, once, for every command a tool answers.

use super::{Context, Outcome};
use crate::scenario::{SimDuration, ToolMode};
use crate::session::command::CommandError;
use crate::session::text::{Doc, Line, Style, clock_label};

/// Runs a command through the tool that answers it, if one does.
pub(super) fn through_tool(
    cx: &Context,
    target: Option<&str>,
    audience: Option<&str>,
    run: impl FnOnce() -> Result<Outcome, CommandError>,
) -> Result<Outcome, CommandError> {
    let Some((tool, mode, stale_since)) = cx.sim.tools().for_command(cx.spec.name, audience) else { return run() };
    let notice = |text: String| Doc::line(Line::styled(Style::Warn, text));
    match mode {
        ToolMode::Working => run(),
        ToolMode::Unavailable(reason) => Ok(unanswered(cx, notice(format!("{tool} is unavailable: {reason}")))),
        ToolMode::Partial(services) if target.is_some_and(|t| services.iter().any(|s| s == t)) => {
            let service = target.unwrap_or_default();
            Ok(unanswered(cx, notice(format!("{tool} has no data for {service} (no samples received)"))))
        }
        ToolMode::Partial(_) => run(),
        ToolMode::Slow(delay) => {
            let mut outcome = run()?;
            outcome.cost += delay.secs();
            let mut doc = notice(format!("{tool} is slow: this took {} longer than usual", SimDuration(delay.secs())));
            doc.extend(std::mem::take(&mut outcome.doc));
            outcome.doc = doc;
            Ok(outcome)
        }
        ToolMode::Stale => {
            let mut outcome = run()?;
            let since = stale_since.unwrap_or(cx.sim.now());
            let mut doc = notice(format!(
                "{tool}: data up to {} (nothing newer has arrived)",
                clock_label(cx.sim.page_time_of_day(), since)
            ));
            doc.extend(std::mem::take(&mut outcome.doc));
            outcome.doc = doc;
            Ok(outcome)
        }
    }
}

fn unanswered(cx: &Context, doc: Doc) -> Outcome {
    let mut outcome = cx.show(doc);
    outcome.unanswered = true;
    outcome
}
