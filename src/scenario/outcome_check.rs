//! Validation of action outcomes, stages and diagnostics, in the validator's style: every problem names the
//! path of the offending value. What a tool answers is written by the author and shown to the volunteer, so
//! it may use `{target}` and `{arg}` but no other placeholder (`{state}` would name hidden truth) and must not
//! name a state.

use super::model::*;
use super::spans::ValuePath;
use super::validate::{Located, MAX_COST, MAX_WINDOW, duration, invalid, known, number, shown};
use super::{ActionResult, Stage};

type Check = Result<(), Located>;

/// Checks a trigger where it sits (the validator's own trigger rules).
pub type TriggerCheck<'a> = dyn Fn(&ValuePath, &Trigger, &str) -> Check + 'a;

/// A `done` test on an `Action` trigger compares a share of the action, 0 to 1.
pub fn check_done(path: &ValuePath, test: &ArgTest, context: &str) -> Check {
    let share = |path: &ValuePath, x: f64| number(path, context, x, (0.0, 1.0), "share done");
    match test {
        ArgTest::Below(x) | ArgTest::Above(x) => share(&path.index(0), *x),
        ArgTest::Between(lo, hi) => {
            share(&path.index(0), *lo)?;
            number(&path.index(1), context, *hi, (*lo, 1.0), "upper bound")
        }
        ArgTest::Is(_) => {
            Err(invalid(path, context, "`done` is a share from 0 to 1: use `Below`, `Above` or `Between`"))
        }
    }
}

/// An action's `outcomes` and `stages`.
pub fn check_action(s: &Scenario, here: &ValuePath, a: &Action, trigger: &TriggerCheck) -> Check {
    let context = format!("action `{}`", shown(&a.id));
    check_reply(s, &here.field("result"), &a.result, &context)?;
    check_stages(s, &here.field("stages"), &a.stages, 1.0, &context)?;
    for (k, o) in a.outcomes.iter().enumerate() {
        let at = here.field("outcomes").index(k);
        let context = format!("outcome {} of action `{}`", k + 1, shown(&a.id));
        trigger(&at.field("when"), &o.when, &context)?;
        if let Some(cost) = o.cost {
            duration(&at.field("cost"), context.clone(), cost, 0, MAX_COST)?;
        }
        check_reply(s, &at.field("reply"), &o.reply, &context)?;
        match o.result {
            ActionResult::Partial(share) => {
                number(&at.field("result").index(0), context.clone(), share, (0.0, 1.0), "share")?;
                check_stages(s, &at.field("stages"), &o.stages, share, &context)?;
            }
            ActionResult::Succeeds => check_stages(s, &at.field("stages"), &o.stages, 1.0, &context)?,
            ActionResult::Fails | ActionResult::Refused => {
                if o.reply.trim().is_empty() {
                    return Err(invalid(
                        &at.field("reply"),
                        context,
                        format!("a `{:?}` outcome says why in `reply`", o.result),
                    ));
                }
                if !o.stages.is_empty() {
                    return Err(invalid(
                        &at.field("stages"),
                        context,
                        "nothing lands when an action fails or is refused, so it has no stages",
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Stages land in order, each having done more than the last, the last having done `total`.
fn check_stages(s: &Scenario, path: &ValuePath, stages: &[Stage], total: f64, context: &str) -> Check {
    let mut last = (0, 0.0);
    for (k, stage) in stages.iter().enumerate() {
        let at = path.index(k);
        duration(&at.field("after"), context, stage.after, last.0, MAX_WINDOW)?;
        number(&at.field("done"), context, stage.done, (last.1, total), "share done")?;
        check_reply(s, &at.field("report"), &stage.report, context)?;
        last = (stage.after.secs(), stage.done);
    }
    if let Some(stage) = stages.last()
        && (stage.done - total).abs() > 1e-9
    {
        return Err(invalid(
            &path.index(stages.len() - 1).field("done"),
            context,
            format!("the last stage has done {}; expected {total}, all the action does", stage.done),
        ));
    }
    Ok(())
}

/// What a tool answers: only `{target}` and `{arg}` are replaced, and no state is named.
fn check_reply(s: &Scenario, path: &ValuePath, text: &str, context: &str) -> Check {
    check_text(s, path, text, context, &["target", "arg"])
}

fn check_text(s: &Scenario, path: &ValuePath, text: &str, context: &str, allowed: &[&str]) -> Check {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let name = &after[..close];
        if !allowed.contains(&name) {
            let list: Vec<String> = allowed.iter().map(|a| format!("`{{{a}}}`")).collect();
            return Err(invalid(
                path,
                context,
                format!(
                    "`{{{}}}` is not replaced here; only {} are (a volunteer must never see a state)",
                    shown(name),
                    list.join(" and ")
                ),
            ));
        }
        rest = &after[close + 1..];
    }
    for state in s.tracks.iter().flat_map(|t| &t.states) {
        // Compound ids (`cpu-exhausted`, `pool_full`) read as state names; plain words may be ordinary speech.
        let compound = state.id.contains(['-', '_', '.']);
        if compound && names_word(text, &state.id) {
            return Err(invalid(
                path,
                context,
                format!("the text names state `{}`, which the volunteer must never see", shown(&state.id)),
            ));
        }
    }
    Ok(())
}

/// Whether `word` occurs in `text` as a whole word (not inside a longer name).
fn names_word(text: &str, word: &str) -> bool {
    let part = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '.');
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(part) && !after.is_some_and(|c| part(c) && c != '.')
    })
}

/// Diagnostics: unique one-word ids, targets that are services, outputs whose targets are the diagnostic's
/// and whose texts name no state.
pub fn check_diagnostics(s: &Scenario, trigger: &TriggerCheck) -> Check {
    let root = ValuePath::root().field("diagnostics");
    let mut services: Vec<String> = s.services.iter().map(|x| x.id.clone()).collect();
    services.sort();
    for (i, d) in s.diagnostics.iter().enumerate() {
        let here = root.index(i);
        let context = format!("diagnostic `{}`", shown(&d.id));
        let word = !d.id.is_empty()
            && d.id.chars().count() <= 64
            && !d.id.chars().any(|c| c.is_whitespace() || c.is_control());
        if !word {
            return Err(invalid(&here.field("id"), context, "an id is one word of 1 to 64 printable characters"));
        }
        if s.diagnostics[..i].iter().any(|x| x.id == d.id) {
            return Err(invalid(&here.field("id"), context, format!("`{}` is declared twice", shown(&d.id))));
        }
        for (k, t) in d.targets.iter().enumerate() {
            known(&here.field("targets").index(k), "target", t, &services, || context.clone())?;
        }
        if let Some(cost) = d.cost {
            duration(&here.field("cost"), context.clone(), cost, 0, MAX_COST)?;
        }
        if d.outputs.is_empty() {
            return Err(invalid(&here.field("outputs"), context, "a diagnostic needs at least one output"));
        }
        for (k, o) in d.outputs.iter().enumerate() {
            let at = here.field("outputs").index(k);
            if let Some(t) = &o.target {
                known(&at.field("target"), "target", t, &d.targets, || context.clone())?;
            }
            if let Some(when) = &o.when {
                trigger(&at.field("when"), when, &context)?;
            }
            check_text(s, &at.field("text"), &o.text, &context, &["target"])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::names_word;

    #[test]
    fn a_state_id_counts_only_as_a_whole_word() {
        assert!(names_word("now in cpu-exhausted.", "cpu-exhausted"));
        assert!(!names_word("cpu-exhausted-twice", "cpu-exhausted"));
        assert!(!names_word("pre-cpu-exhausted", "cpu-exhausted"));
    }
}
