//! `run <diagnostic> [<target>]`: a scenario's on-demand diagnostic (a profiler, a flame graph, `EXPLAIN`, a
//! heap dump). Each run shows the output the current state calls for and changes nothing; like any
//! telemetry, what it shows can be evidence (through the `Diagnostic` observation).

use super::{Context, Outcome};
use crate::session::command::{CommandError, CommandErrorKind};
use crate::session::text::{Doc, Line, Style};

/// `run <diagnostic> [<target>]`.
pub fn run(cx: &Context, id: &str, target: Option<&str>) -> Result<Outcome, CommandError> {
    let s = cx.scenario;
    let error = |kind| CommandError { word: cx.spec.name.into(), kind };
    let spec = s.diagnostics.iter().find(|d| d.id == id).ok_or_else(|| {
        error(CommandErrorKind::Unknown {
            what: "diagnostic",
            name: id.to_string(),
            candidates: s.diagnostics.iter().map(|d| d.id.clone()).collect(),
        })
    })?;
    match (target, spec.targets.is_empty()) {
        (None, false) => {
            return Err(error(CommandErrorKind::Usage {
                message: format!("`{id}` runs against one of: {}", spec.targets.join(", ")),
            }));
        }
        (Some(t), false) if !spec.targets.iter().any(|x| x == t) => {
            return Err(error(CommandErrorKind::Unknown {
                what: "target",
                name: t.to_string(),
                candidates: spec.targets.clone(),
            }));
        }
        (Some(t), true) => {
            return Err(error(CommandErrorKind::Usage { message: format!("`{id}` takes no target, not `{t}`") }));
        }
        _ => {}
    }
    let cost = spec.cost.map_or_else(|| cx.cost(), |d| d.secs());
    // The sim judges which output the state calls for; only its index comes back.
    let chosen = cx.sim.diagnostic_output(id, target).and_then(|i| spec.outputs.get(i));
    let doc = match chosen {
        Some(output) => {
            let mut doc = Doc::new();
            for line in output.text.replace("{target}", target.unwrap_or("")).lines() {
                doc.push(Line::plain(line.to_string()));
            }
            doc
        }
        None => Doc::line(Line::styled(Style::Dim, format!("`{id}` finished with no output."))),
    };
    Ok(Outcome::show(doc, cost))
}
