//! Validation of the world constructs (processes, tools), in the validator's style: every problem names the
//! path of the offending value, which the loader turns into `file:line:col`.

use super::model::*;
use super::spans::ValuePath;
use super::validate::{Located, MAX_COST, MAX_VALUE, MAX_WINDOW, at, duration, invalid, known, number};
use super::{ControlMode, Expr, ScenarioErrorKind, ToolMode, command_names};
use std::collections::BTreeSet;

type Check = Result<(), Located>;

/// Commands whose answers a stale tool can cut at the moment it went stale.
pub const STALE_COMMANDS: [&str; 2] = ["metrics", "logs"];

/// Checks processes and tools against the rest of the scenario.
pub fn check(s: &Scenario) -> Check {
    let clock = ValuePath::root().field("clock");
    if let Some(date) = &s.clock.date
        && super::Date::parse(date).is_none()
    {
        return Err(invalid(
            &clock.field("date"),
            "clock.date",
            format!("`{date}` is not a date; expected `YYYY-MM-DD`"),
        ));
    }
    if let Some(zone) = &s.clock.zone
        && (zone.is_empty()
            || zone.len() > 16
            || !zone.chars().all(|c| c.is_ascii_alphanumeric() || "+-:/_".contains(c)))
    {
        return Err(invalid(
            &clock.field("zone"),
            "clock.zone",
            format!("`{zone}` is not a zone name; expected a word like `UTC` or `PST`"),
        ));
    }
    super::network::check(s)?;
    super::periodic::check(s)?;
    super::time_skip::check(s)?;
    let lookup = Lookup::of(s);
    check_processes(s, &lookup)?;
    check_effects(s, &lookup)?;
    check_tools(s, &lookup)
}

struct Lookup {
    services: Vec<String>,
    states: Vec<String>,
    capacities: Vec<String>,
    controllers: Vec<String>,
}

impl Lookup {
    fn of(s: &Scenario) -> Lookup {
        let sorted = |v: Vec<&String>| {
            let mut v: Vec<String> = v.into_iter().cloned().collect();
            v.sort();
            v
        };
        let p = &s.processes;
        Lookup {
            services: sorted(s.services.iter().map(|x| &x.id).collect()),
            states: sorted(s.tracks.iter().flat_map(|t| &t.states).map(|x| &x.id).collect()),
            capacities: sorted(p.capacities.iter().map(|x| &x.id).collect()),
            controllers: sorted(p.controllers.iter().map(|x| &x.id).collect()),
        }
    }

    fn metric(&self, s: &Scenario, path: &ValuePath, service: &str, metric: &str, context: &str) -> Check {
        known(&path.field("service"), "service", service, &self.services, || context.to_string())?;
        let metrics: Vec<String> = s
            .services
            .iter()
            .find(|x| x.id == service)
            .map(|x| x.metrics.iter().map(|m| m.name.clone()).collect())
            .unwrap_or_default();
        known(path, "metric", metric, &metrics, || format!("{context} (service `{service}`)"))
    }

    fn states(&self, path: &ValuePath, states: &[String], context: &str) -> Check {
        if states.is_empty() {
            return Err(invalid(path, context, "`during` names no state; expected at least one"));
        }
        for (i, state) in states.iter().enumerate() {
            known(&path.index(i), "state", state, &self.states, || context.to_string())?;
        }
        Ok(())
    }
}

fn unique<'a>(what: &'static str, path: &ValuePath, ids: impl Iterator<Item = &'a String>) -> Check {
    let mut seen = BTreeSet::new();
    for (i, id) in ids.enumerate() {
        if !seen.insert(id) {
            return Err(at(&path.index(i).field("id"), ScenarioErrorKind::Duplicate { what, name: id.clone() }));
        }
    }
    Ok(())
}

fn check_processes(s: &Scenario, lookup: &Lookup) -> Check {
    let root = ValuePath::root().field("processes");
    let p = &s.processes;
    let mut derived: Vec<(&str, &str)> = Vec::new();
    for (i, d) in p.derived.iter().enumerate() {
        let here = root.field("derived").index(i);
        let context = format!("derived metric `{}` of `{}`", d.metric, d.service);
        lookup.metric(s, &here.field("metric"), &d.service, &d.metric, &context)?;
        let expr = Expr::parse(&d.expr, &d.service).map_err(|e| {
            invalid(&here.field("expr"), &context, format!("bad expression at column {}: {}", e.offset + 1, e.message))
        })?;
        let later: Vec<(&str, &str)> = p.derived[i..].iter().map(|x| (x.service.as_str(), x.metric.as_str())).collect();
        for (service, metric) in expr.metrics() {
            lookup.metric(s, &here.field("expr"), service, metric, &context)?;
            if later.contains(&(service, metric)) {
                return Err(invalid(
                    &here.field("expr"),
                    &context,
                    format!(
                        "`{service}.{metric}` is derived here or later; a derived metric reads only metrics derived before it"
                    ),
                ));
            }
        }
        if derived.contains(&(d.service.as_str(), d.metric.as_str())) {
            return Err(invalid(&here.field("metric"), &context, "this metric is derived twice"));
        }
        derived.push((&d.service, &d.metric));
    }
    unique("controller", &root.field("controllers"), p.controllers.iter().map(|c| &c.id))?;
    for (i, c) in p.controllers.iter().enumerate() {
        let here = root.field("controllers").index(i);
        let context = format!("controller `{}`", c.id);
        lookup.metric(s, &here.field("watches"), &c.service, &c.watches, &context)?;
        lookup.metric(s, &here.field("adjusts"), &c.service, &c.adjusts, &context)?;
        number(&here.field("target"), &context, c.target, (f64::MIN_POSITIVE, MAX_VALUE), "target")?;
        number(&here.field("min"), &context, c.min, (0.0, MAX_VALUE), "min")?;
        number(&here.field("max"), &context, c.max, (c.min, MAX_VALUE), "max (at least `min`)")?;
        number(&here.field("max_step"), &context, c.max_step, (0.0, MAX_VALUE), "max_step")?;
        duration(&here.field("delay"), &context, c.delay, 0, MAX_WINDOW)?;
    }
    unique("capacity", &root.field("capacities"), p.capacities.iter().map(|c| &c.id))?;
    for (i, c) in p.capacities.iter().enumerate() {
        let context = format!("capacity `{}`", c.id);
        number(
            &root.field("capacities").index(i).field("per_minute"),
            context,
            c.per_minute,
            (0.0, MAX_VALUE),
            "per_minute",
        )?;
    }
    for (i, r) in p.recoveries.iter().enumerate() {
        let here = root.field("recoveries").index(i);
        let context = format!("recovery of `{}` `{}`", r.service, r.metric);
        lookup.metric(s, &here.field("metric"), &r.service, &r.metric, &context)?;
        number(&here.field("to"), &context, r.to, (-MAX_VALUE, MAX_VALUE), "to")?;
        known(&here.field("capacity"), "capacity", &r.capacity, &lookup.capacities, || context.clone())?;
        lookup.states(&here.field("during"), &r.during, &context)?;
    }
    Ok(())
}

fn check_effects(s: &Scenario, lookup: &Lookup) -> Check {
    for (t, track) in s.tracks.iter().enumerate() {
        for (k, state) in track.states.iter().enumerate() {
            let here = ValuePath::root().field("tracks").index(t).field("states").index(k);
            for (list, effects) in [("on_enter", &state.on_enter), ("on_exit", &state.on_exit)] {
                for (e, effect) in effects.iter().enumerate() {
                    let path = here.field(list).index(e);
                    let context = format!("`{list}` of state `{}`", state.id);
                    match effect {
                        Effect::SetCapacity { capacity, per_minute } => {
                            known(&path.field("capacity"), "capacity", capacity, &lookup.capacities, || {
                                context.clone()
                            })?;
                            number(&path.field("per_minute"), &context, *per_minute, (0.0, MAX_VALUE), "per_minute")?;
                        }
                        Effect::Control { controller, mode } => {
                            known(&path.field("controller"), "controller", controller, &lookup.controllers, || {
                                context.clone()
                            })?;
                            if let ControlMode::Hold(v) = mode {
                                number(&path.field("mode").index(0), &context, *v, (0.0, MAX_VALUE), "held value")?;
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    Ok(())
}

fn check_tools(s: &Scenario, lookup: &Lookup) -> Check {
    let root = ValuePath::root().field("tools");
    unique("tool", &root, s.tools.iter().map(|t| &t.id))?;
    let mut commands = command_names();
    commands.sort();
    for (i, tool) in s.tools.iter().enumerate() {
        let here = root.index(i);
        let context = format!("tool `{}`", tool.id);
        if tool.commands.is_empty() {
            return Err(invalid(&here.field("commands"), &context, "a tool answers at least one command"));
        }
        for (k, c) in tool.commands.iter().enumerate() {
            known(&here.field("commands").index(k), "command", c, &commands, || context.clone())?;
        }
        if tool.audience.is_some() && tool.commands.iter().any(|c| c != "update") {
            return Err(invalid(&here.field("audience"), &context, "a tool with an `audience` answers only `update`"));
        }
        if let Some(service) = &tool.served_by {
            known(&here.field("served_by"), "service", service, &lookup.services, || context.clone())?;
        }
        for (k, cond) in tool.when.iter().enumerate() {
            let path = here.field("when").index(k);
            lookup.states(&path.field("during"), &cond.during, &context)?;
            match &cond.mode {
                ToolMode::Slow(d) => duration(&path.field("mode").index(0), &context, *d, 1, MAX_COST)?,
                ToolMode::Stale => {
                    if let Some(c) = tool.commands.iter().find(|c| !STALE_COMMANDS.contains(&c.as_str())) {
                        return Err(invalid(
                            &path.field("mode"),
                            &context,
                            format!("`{c}` cannot answer stale; a `Stale` tool answers only `metrics` and `logs`"),
                        ));
                    }
                }
                ToolMode::Partial(services) => {
                    for (j, service) in services.iter().enumerate() {
                        known(&path.field("mode").index(0).index(j), "service", service, &lookup.services, || {
                            context.clone()
                        })?;
                    }
                }
                ToolMode::Unavailable(reason) if reason.trim().is_empty() => {
                    return Err(invalid(&path.field("mode").index(0), &context, "say why the tool is unavailable"));
                }
                ToolMode::Working | ToolMode::Unavailable(_) => {}
            }
        }
    }
    if let Some((i, a)) = s
        .alerts
        .iter()
        .enumerate()
        .find(|(_, a)| a.monitor.as_ref().is_some_and(|m| !s.tools.iter().any(|t| &t.id == m)))
    {
        let tools: Vec<String> = s.tools.iter().map(|t| t.id.clone()).collect();
        let name = a.monitor.clone().unwrap_or_default();
        known(&ValuePath::root().field("alerts").index(i).field("monitor"), "tool", &name, &tools, || {
            format!("alert `{}`", a.name)
        })?;
    }
    Ok(())
}
