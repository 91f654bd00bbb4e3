//! Reading a scenario from RON text or a file.

use super::{Scenario, ScenarioError, ScenarioErrorKind, validate};
use ron::extensions::Extensions;
use std::path::Path;

/// Parses and validates a scenario from text; `path` names it in errors.
pub fn parse(text: &str, path: &str) -> Result<Scenario, ScenarioError> {
    let options = ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME);
    let scenario: Scenario = options.from_str(text).map_err(|err| ScenarioError {
        path: path.to_string(),
        position: Some((err.span.start.line, err.span.start.col)),
        kind: Box::new(ScenarioErrorKind::Syntax { message: err.code.to_string() }),
    })?;
    validate::validate(&scenario).map_err(|kind| locate(text, path, kind))?;
    Ok(scenario)
}

/// Reads, parses and validates a scenario file.
pub fn load_file(path: &Path) -> Result<Scenario, ScenarioError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|err| ScenarioError::new(&shown, ScenarioErrorKind::Io { message: err.to_string() }))?;
    parse(&text, &shown)
}

/// Points a validation error at the first place in the text where the offending name is written.
fn locate(text: &str, path: &str, kind: ScenarioErrorKind) -> ScenarioError {
    // Search from `anchor` (when there is one) for `needle`.
    let (anchor, needle) = match &kind {
        ScenarioErrorKind::UnknownReference { name, .. }
        | ScenarioErrorKind::Duplicate { name, .. }
        | ScenarioErrorKind::UnreachableState { state: name, .. } => (None, Some(format!("\"{name}\""))),
        ScenarioErrorKind::NoResolvedState { track } => (None, Some(format!("\"{track}\""))),
        ScenarioErrorKind::BadTarget { action, target, .. } => {
            (None, Some(format!("action: \"{action}\", target: \"{target}\"")))
        }
        ScenarioErrorKind::SchemaVersion { .. } => (None, Some("schema_version".to_string())),
        // The edge that closes the circle is written in the last service before the repeat.
        ScenarioErrorKind::DependencyCycle { circle } if circle.len() >= 2 => {
            (Some(format!("id: \"{}\"", circle[circle.len() - 2])), Some(format!("\"{}\"", circle[circle.len() - 1])))
        }
        ScenarioErrorKind::Invalid { near, .. } => (None, near.clone()),
        _ => (None, None),
    };
    let from = anchor.and_then(|a| text.find(&a)).unwrap_or(0);
    let offset = needle.and_then(|n| match &kind {
        // The second occurrence is the duplicate.
        ScenarioErrorKind::Duplicate { .. } => text.match_indices(&n).nth(1).map(|(i, _)| i),
        // A valid name used in the wrong place: prefer where it is written in a field holding that kind of name.
        ScenarioErrorKind::UnknownReference { what, .. } => fields_for(what)
            .iter()
            .filter_map(|field| text.find(&format!("{field}{n}")).map(|i| i + field.len()))
            .min()
            .or_else(|| text.find(&n)),
        _ => text[from..].find(&n).map(|i| from + i),
    });
    let position = offset.map(|at| {
        let before = &text[..at];
        let line = before.matches('\n').count() + 1;
        let col = before.rfind('\n').map_or(at, |nl| at - nl - 1) + 1;
        (line, col)
    });
    ScenarioError { path: path.to_string(), position, kind: Box::new(kind) }
}

/// Fields a name of this kind is written in, most specific first.
fn fields_for(what: &str) -> &'static [&'static str] {
    match what {
        "target" => &["target: "],
        "state" => &["to: ", "initial: ", "Reached("],
        "action" => &["action: "],
        "metric" => &["metric: "],
        "service" => &["on: ", "service: "],
        "command" => &["command: "],
        _ => &[],
    }
}
