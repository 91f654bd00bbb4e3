//! Cross-reference and shape checks on a parsed scenario.

use super::model::*;
use super::{SCHEMA_VERSION, ScenarioErrorKind, VOLUNTEER_COMMANDS};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

type Check = Result<(), ScenarioErrorKind>;

/// Longest history before the page (30 days of one-minute frames).
const MAX_HISTORY: i64 = 30 * 86_400;

/// Checks every reference, id and reachability rule; returns the first problem.
pub fn validate(s: &Scenario) -> Check {
    if s.schema_version != SCHEMA_VERSION {
        return Err(ScenarioErrorKind::SchemaVersion { found: s.schema_version, supported: SCHEMA_VERSION });
    }
    check_plain_name("meta.id", &s.meta.id)?;
    let names = Names::of(s);
    unique("service", s.services.iter().map(|x| &x.id))?;
    unique("track", s.tracks.iter().map(|x| &x.id))?;
    unique("state", s.tracks.iter().flat_map(|t| &t.states).map(|x| &x.id))?;
    unique("action", s.actions.iter().map(|x| &x.id))?;
    unique("alert", s.alerts.iter().map(|x| &x.name))?;
    unique("runbook", s.runbooks.iter().map(|x| &x.id))?;
    unique("flag", s.flags.iter().map(|x| &x.id))?;
    unique("evidence", s.rubric.evidence.iter().map(|x| &x.id))?;
    check_clock(s)?;
    check_services(s, &names)?;
    check_telemetry(s, &names)?;
    check_tracks(s, &names)?;
    check_actions(s, &names)?;
    check_rubric(s, &names)?;
    if s.walkthrough.is_empty() {
        return Err(invalid("walkthrough", "a scenario needs a walkthrough that proves it can be solved"));
    }
    Ok(())
}

/// Every name a reference can point at, sorted for stable messages.
struct Names {
    services: Vec<String>,
    metrics: BTreeMap<String, Vec<String>>,
    states: Vec<String>,
    actions: Vec<String>,
    flags: Vec<String>,
    commands: Vec<String>,
    action_targets: BTreeMap<String, Vec<String>>,
}

impl Names {
    fn of(s: &Scenario) -> Names {
        let sorted = |it: &mut dyn Iterator<Item = &String>| {
            let mut v: Vec<String> = it.cloned().collect();
            v.sort();
            v
        };
        Names {
            services: sorted(&mut s.services.iter().map(|x| &x.id)),
            metrics: s
                .services
                .iter()
                .map(|svc| (svc.id.clone(), sorted(&mut svc.metrics.iter().map(|m| &m.name))))
                .collect(),
            states: sorted(&mut s.tracks.iter().flat_map(|t| &t.states).map(|x| &x.id)),
            actions: sorted(&mut s.actions.iter().map(|x| &x.id)),
            flags: sorted(&mut s.flags.iter().map(|x| &x.id)),
            commands: VOLUNTEER_COMMANDS.iter().map(|c| c.to_string()).collect(),
            action_targets: s.actions.iter().map(|a| (a.id.clone(), a.targets.clone())).collect(),
        }
    }

    fn service(&self, name: &str, context: impl Fn() -> String) -> Check {
        known("service", name, &self.services, context)
    }

    fn metric(&self, service: &str, metric: &str, context: impl Fn() -> String) -> Check {
        self.service(service, &context)?;
        let empty = Vec::new();
        let metrics = self.metrics.get(service).unwrap_or(&empty);
        known("metric", metric, metrics, || format!("{} (service `{service}`)", context()))
    }
}

fn known(what: &'static str, name: &str, candidates: &[String], context: impl Fn() -> String) -> Check {
    if candidates.iter().any(|c| c == name) {
        return Ok(());
    }
    Err(ScenarioErrorKind::UnknownReference {
        what,
        name: name.to_string(),
        context: context(),
        candidates: candidates.to_vec(),
    })
}

fn invalid(context: impl Into<String>, message: impl Into<String>) -> ScenarioErrorKind {
    ScenarioErrorKind::Invalid { context: context.into(), message: message.into(), near: None }
}

/// An invalid value, pointed at where `near` is written.
fn invalid_near(context: impl Into<String>, message: impl Into<String>, near: String) -> ScenarioErrorKind {
    ScenarioErrorKind::Invalid { context: context.into(), message: message.into(), near: Some(near) }
}

fn unique<'a>(what: &'static str, ids: impl Iterator<Item = &'a String>) -> Check {
    let mut seen = BTreeSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(ScenarioErrorKind::Duplicate { what, name: id.clone() });
        }
    }
    Ok(())
}

/// Ids that name files and commands are plain names: letters, digits, `-`, `_` and `.`, at most 64.
fn check_plain_name(context: &str, id: &str) -> Check {
    let plain = !id.is_empty()
        && id.len() <= 64
        && !id.starts_with('.')
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if plain {
        return Ok(());
    }
    Err(invalid_near(
        context,
        format!(
            "`{}` is not a plain name; use 1 to 64 letters, digits, `-`, `_` or `.` (not first)",
            id.escape_debug()
        ),
        format!("\"{}\"", id.escape_default()),
    ))
}

fn check_clock(s: &Scenario) -> Check {
    if s.clock.page_time_of_day().is_none() {
        let text = &s.clock.page_time;
        return Err(invalid_near(
            "clock.page_time",
            format!("`{text}` is not a time of day; expected `HH:MM`"),
            format!("\"{text}\""),
        ));
    }
    if s.clock.history.secs() < 0 || s.clock.history.secs() > MAX_HISTORY {
        return Err(invalid_near(
            "clock.history",
            format!("history must lie between 0s and {}", super::SimDuration(MAX_HISTORY)),
            "history:".to_string(),
        ));
    }
    Ok(())
}

fn check_services(s: &Scenario, names: &Names) -> Check {
    for svc in &s.services {
        unique("metric", svc.metrics.iter().map(|m| &m.name))?;
        for dep in &svc.depends_on {
            names.service(&dep.on, || format!("`depends_on` of service `{}`", svc.id))?;
            if dep.on == svc.id {
                return Err(invalid(format!("service `{}`", svc.id), "a service cannot depend on itself"));
            }
            if !(0.0..=1.0).contains(&dep.weight) {
                return Err(invalid_near(
                    format!("dependency `{}` -> `{}`", svc.id, dep.on),
                    format!("weight {} is outside 0..=1", dep.weight),
                    format!("weight: {}", dep.weight),
                ));
            }
        }
        for m in &svc.metrics {
            if m.noise < 0.0 || m.seasonality < 0.0 || !m.baseline.is_finite() {
                return Err(invalid(
                    format!("metric `{}` of service `{}`", m.name, svc.id),
                    "baseline must be finite and noise and seasonality not negative",
                ));
            }
        }
    }
    dependency_order(s).map(|_| ())
}

/// Services ordered so that every dependency comes before its dependents.
pub fn dependency_order(s: &Scenario) -> Result<Vec<usize>, ScenarioErrorKind> {
    let index: BTreeMap<&str, usize> = s.services.iter().enumerate().map(|(i, x)| (x.id.as_str(), i)).collect();
    let mut state = vec![0u8; s.services.len()]; // 0 new, 1 on the stack, 2 done
    let mut order = Vec::with_capacity(s.services.len());
    let mut stack: Vec<usize> = Vec::new();
    fn visit(
        i: usize,
        s: &Scenario,
        index: &BTreeMap<&str, usize>,
        state: &mut [u8],
        order: &mut Vec<usize>,
        stack: &mut Vec<usize>,
    ) -> Check {
        match state[i] {
            2 => return Ok(()),
            1 => {
                let from = stack.iter().position(|&x| x == i).unwrap_or(0);
                let mut circle: Vec<String> = stack[from..].iter().map(|&x| s.services[x].id.clone()).collect();
                circle.push(s.services[i].id.clone());
                return Err(ScenarioErrorKind::DependencyCycle { circle });
            }
            _ => {}
        }
        state[i] = 1;
        stack.push(i);
        for dep in &s.services[i].depends_on {
            if let Some(&j) = index.get(dep.on.as_str()) {
                visit(j, s, index, state, order, stack)?;
            }
        }
        stack.pop();
        state[i] = 2;
        order.push(i);
        Ok(())
    }
    for i in 0..s.services.len() {
        visit(i, s, &index, &mut state, &mut order, &mut stack)?;
    }
    Ok(order)
}

fn check_telemetry(s: &Scenario, names: &Names) -> Check {
    for c in &s.changes {
        names.service(&c.service, || format!("change `{}`", c.summary))?;
    }
    for f in &s.flags {
        names.service(&f.service, || format!("flag `{}`", f.id))?;
    }
    for a in &s.alerts {
        names.metric(&a.service, &a.metric, || format!("alert `{}`", a.name))?;
        if !a.threshold.is_finite() {
            return Err(invalid_near(
                format!("alert `{}`", a.name),
                "threshold must be a finite number",
                format!("\"{}\"", a.name),
            ));
        }
    }
    for slo in &s.slos {
        let metric = match slo.kind {
            SloKind::Availability => "error_rate",
            SloKind::Latency(_) => "latency_p99",
        };
        names.metric(&slo.service, metric, || format!("the SLO of `{}`, which reads `{metric}`", slo.service))?;
        if !(slo.target > 0.0 && slo.target < 1.0) {
            return Err(invalid(format!("SLO of `{}`", slo.service), "target must lie strictly between 0 and 1"));
        }
    }
    if let SeverityPolicy::Custom(tiers) = &s.severity_policy {
        if tiers.is_empty() {
            return Err(invalid("severity_policy", "a custom policy needs at least one tier"));
        }
        for t in tiers {
            let at = format!("severity tier `{}`", t.name);
            let near = format!("\"{}\"", t.name);
            if t.window.secs() < 60 || t.short_window.is_some_and(|s| s.secs() < 60 || s > t.window) {
                let message = "windows must be at least 1m, and a short window no longer than the window";
                return Err(invalid_near(at, message, near));
            }
            if !(t.budget > 0.0 && t.budget <= 1.0) {
                return Err(invalid_near(at, "budget must lie in (0, 1]", near));
            }
        }
    }
    for m in &s.messages {
        check_trigger(&m.when, names, &format!("message from `{}`", m.from))?;
    }
    Ok(())
}

fn check_tracks(s: &Scenario, names: &Names) -> Check {
    let Some(main) = s.tracks.first() else {
        return Err(invalid("tracks", "a scenario needs at least one track"));
    };
    for track in &s.tracks {
        let own: Vec<String> = track.states.iter().map(|x| x.id.clone()).collect();
        known("state", &track.initial, &own, || format!("`initial` of track `{}`", track.id))?;
        for st in &track.states {
            let at = format!("state `{}`", st.id);
            for sym in &st.symptoms {
                match sym {
                    Symptom::Metric { service, metric, .. } => names.metric(service, metric, || at.clone())?,
                    Symptom::Logs { service, .. } => names.service(service, || at.clone())?,
                }
            }
            for eff in st.on_enter.iter().chain(&st.on_exit) {
                check_effect(eff, names, &at)?;
            }
            for tr in &st.transitions {
                known("state", &tr.to, &own, || format!("a transition of {at} (same track `{}`)", track.id))?;
                check_trigger(&tr.when, names, &at)?;
            }
        }
        if let Some(state) = unreachable(track).into_iter().next() {
            return Err(ScenarioErrorKind::UnreachableState { state, track: track.id.clone() });
        }
    }
    if !main.states.iter().any(|x| x.phase == Phase::Resolved) {
        return Err(ScenarioErrorKind::NoResolvedState { track: main.id.clone() });
    }
    Ok(())
}

fn unreachable(track: &Track) -> Vec<String> {
    let mut seen = BTreeSet::from([track.initial.as_str()]);
    let mut queue = VecDeque::from([track.initial.as_str()]);
    while let Some(id) = queue.pop_front() {
        let Some(st) = track.states.iter().find(|x| x.id == id) else {
            continue;
        };
        for tr in &st.transitions {
            if seen.insert(tr.to.as_str()) {
                queue.push_back(tr.to.as_str());
            }
        }
    }
    track.states.iter().filter(|x| !seen.contains(x.id.as_str())).map(|x| x.id.clone()).collect()
}

fn check_effect(eff: &Effect, names: &Names, at: &str) -> Check {
    match eff {
        Effect::Log { service, .. }
        | Effect::Change { service, .. }
        | Effect::Version { service, .. }
        | Effect::SetConfig { service, .. } => names.service(service, || at.to_string()),
        Effect::SetFlag { flag, .. } => known("flag", flag, &names.flags, || at.to_string()),
    }
}

fn check_trigger(t: &Trigger, names: &Names, at: &str) -> Check {
    match t {
        Trigger::At(_) | Trigger::After(_) | Trigger::Gm(_) => Ok(()),
        Trigger::Action { action, target } => {
            known("action", action, &names.actions, || format!("a trigger of {at}"))?;
            check_action_target(action, target.as_deref(), names, &format!("a trigger of {at}"))
        }
        Trigger::Command { command, .. } => known("command", command, &names.commands, || format!("a trigger of {at}")),
        Trigger::Metric { service, metric, value, .. } => {
            names.metric(service, metric, || format!("a trigger of {at}"))?;
            if !value.is_finite() {
                return Err(invalid(format!("a `Metric` trigger of {at}"), "value must be a finite number"));
            }
            Ok(())
        }
        Trigger::Reached(state) => known("state", state, &names.states, || format!("a `Reached` trigger of {at}")),
        Trigger::All(inner) | Trigger::Any(inner) => inner.iter().try_for_each(|t| check_trigger(t, names, at)),
        Trigger::Not(inner) => check_trigger(inner, names, at),
    }
}

/// A target named with an action must be one the action accepts, or the trigger could never match.
fn check_action_target(action: &str, target: Option<&str>, names: &Names, context: &str) -> Check {
    let Some(target) = target else { return Ok(()) };
    let accepted = names.action_targets.get(action).cloned().unwrap_or_default();
    if accepted.iter().any(|t| t == target) {
        return Ok(());
    }
    Err(ScenarioErrorKind::BadTarget {
        action: action.to_string(),
        target: target.to_string(),
        context: context.to_string(),
        candidates: accepted,
    })
}

fn check_target(target: &str, names: &Names, context: &str) -> Check {
    let mut candidates: Vec<String> = names.services.iter().chain(&names.flags).cloned().collect();
    candidates.sort();
    known("target", target, &candidates, || context.to_string())
}

fn check_actions(s: &Scenario, names: &Names) -> Check {
    for a in &s.actions {
        for target in &a.targets {
            check_target(target, names, &format!("targets of action `{}`", a.id))?;
        }
    }
    for command in s.costs.keys() {
        known("command", command, &names.commands, || "`costs`".to_string())?;
        if ["clear", "help", "quit", "resolve", "time", "wait"].contains(&command.as_str()) {
            let why = if command == "wait" { "takes the time it is given" } else { "takes no time" };
            return Err(invalid_near(
                "`costs`",
                format!("`{command}` {why}; it cannot have a cost"),
                format!("\"{command}\""),
            ));
        }
    }
    Ok(())
}

fn check_rubric(s: &Scenario, names: &Names) -> Check {
    for h in &s.rubric.harmful {
        known("action", &h.action, &names.actions, || "`rubric.harmful`".to_string())?;
        check_action_target(&h.action, h.target.as_deref(), names, "`rubric.harmful`")?;
    }
    if s.root_cause.keywords.is_empty() || s.root_cause.keywords.iter().any(|group| group.is_empty()) {
        return Err(invalid("root_cause.keywords", "give at least one group, each with at least one word"));
    }
    if let Some(e) = s.rubric.evidence.iter().find(|e| e.seen.trim().is_empty()) {
        return Err(invalid_near(format!("evidence `{}`", e.id), "`seen` cannot be empty", format!("\"{}\"", e.id)));
    }
    Ok(())
}
