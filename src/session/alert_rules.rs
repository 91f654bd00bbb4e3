//! `alerts --all`: every alert rule with its state, grouped by the service it watches, as Prometheus's
//! alerts page lists rule groups: firing, pending (with since when) or inactive, so that a rule that stayed
//! quiet is something a volunteer can see. A rule evaluated by a degraded monitor says so (no data, stale,
//! late) instead of a state nobody computed.
//!
//! Built only from the rules' public definitions (name, severity, condition) and their present status: never
//! whether a rule is a red herring, nor when a pending rule will fire.

use super::observe::format_value;
use super::text::{Doc, Line, Style, clock_label, count, table};
use crate::scenario::{Comparison, ToolMode};
use crate::sim::{AlertCondition, AlertPlan, AlertStatus, Sim};

/// Where a rule stands, as the volunteer sees it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RuleState {
    /// Its condition has held long enough.
    Firing(i64),
    /// Its condition holds, not yet for long enough.
    Pending(i64),
    /// Its condition does not hold.
    Inactive,
    /// Its monitor does not evaluate it now: why, in a few words.
    NoData(String),
}

/// The state of `rule` now, given its status and the health of the tool that evaluates it.
pub fn rule_state(sim: &Sim, rule: &AlertPlan, status: &AlertStatus) -> RuleState {
    let tools = sim.tools();
    let tool = rule.monitor.and_then(|m| Some((tools.tools.get(m)?.id.as_str(), tools.modes.get(m)?)));
    match tool {
        Some((id, ToolMode::Unavailable(_))) => return RuleState::NoData(format!("{id} unavailable")),
        Some((id, ToolMode::Stale)) => return RuleState::NoData(format!("{id} stale")),
        Some((id, ToolMode::Partial(services))) if services.contains(&rule.service) => {
            return RuleState::NoData(format!("{id} has no data for {}", rule.service));
        }
        _ => {}
    }
    match (status.firing_since, status.pending_since) {
        (Some(t), _) => RuleState::Firing(t),
        (None, Some(t)) => RuleState::Pending(t),
        (None, None) => RuleState::Inactive,
    }
}

/// How many rules are firing, pending, quiet and without data: the line `alerts` ends with.
pub fn summary(sim: &Sim) -> Line {
    let book = sim.alerts();
    let (mut firing, mut pending, mut inactive, mut no_data) = (0, 0, 0, 0);
    for (rule, status) in book.rules.iter().zip(&book.status) {
        match rule_state(sim, rule, status) {
            RuleState::Firing(_) => firing += 1,
            RuleState::Pending(_) => pending += 1,
            RuleState::Inactive => inactive += 1,
            RuleState::NoData(_) => no_data += 1,
        }
    }
    let mut parts = vec![format!("{firing} firing"), format!("{pending} pending"), format!("{inactive} inactive")];
    if no_data > 0 {
        parts.push(format!("{no_data} without data"));
    }
    Line::styled(Style::Dim, format!("{}: {}", count(book.rules.len(), "rule"), parts.join(", ")))
        .push(Style::Dim, " (`alerts --all` lists them)")
}

/// `alerts --all`: every rule, grouped by service in the order services are declared, each group firing
/// first, then pending, then inactive.
pub fn all_rules(sim: &Sim) -> Doc {
    let s = sim.scenario();
    let tod = sim.page_time_of_day();
    let book = sim.alerts();
    let mut doc = Doc::line(
        Line::styled(Style::Heading, format!("Alert rules at {}", clock_label(tod, sim.now())))
            .push(Style::Dim, format!(" ({})", summary(sim).0.first().map(|s| s.text.clone()).unwrap_or_default())),
    );
    if book.rules.is_empty() {
        doc.push(Line::styled(Style::Dim, "This system has no alert rules."));
        return doc;
    }
    for service in &s.services {
        let mut rules: Vec<(RuleState, &AlertPlan)> = book
            .rules
            .iter()
            .zip(&book.status)
            .filter(|(rule, _)| rule.service == service.id)
            .map(|(rule, status)| (rule_state(sim, rule, status), rule))
            .collect();
        if rules.is_empty() {
            continue;
        }
        // Firing first, then pending, then inactive, each in the order the rules are declared.
        rules.sort_by_key(|(state, _)| match state {
            RuleState::Firing(_) => 0,
            RuleState::Pending(_) => 1,
            RuleState::NoData(_) => 2,
            RuleState::Inactive => 3,
        });
        doc.push(Line::styled(Style::Heading, service.id.clone()));
        let rows = rules
            .into_iter()
            .map(|(state, rule)| {
                let (style, word, since) = match &state {
                    RuleState::Firing(t) => {
                        (Style::Bad, "firing".to_string(), format!("since {}", clock_label(tod, *t)))
                    }
                    RuleState::Pending(t) => {
                        (Style::Warn, "pending".to_string(), format!("since {}", clock_label(tod, *t)))
                    }
                    RuleState::Inactive => (Style::Good, "inactive".to_string(), String::new()),
                    RuleState::NoData(why) => (Style::Warn, "no data".to_string(), why.clone()),
                };
                vec![
                    (style, format!("  {word}")),
                    (Style::Plain, rule.name.clone()),
                    (Style::Dim, rule.severity.label().to_string()),
                    (Style::Plain, condition(sim, rule)),
                    (Style::Dim, since),
                ]
            })
            .collect();
        doc.extend(table(rows));
    }
    doc
}

/// A rule's condition as its definition reads: `cpu > 90.00% for 2m`, or the SLO burn it watches; a monitor
/// that evaluates it late says how late.
fn condition(sim: &Sim, rule: &AlertPlan) -> String {
    let s = sim.scenario();
    let mut text = match &rule.condition {
        AlertCondition::Threshold { op, .. } => {
            let Some(def) = s.alerts.iter().find(|a| a.name == rule.name) else { return String::new() };
            let unit = s
                .services
                .iter()
                .find(|x| x.id == def.service)
                .and_then(|x| x.metrics.iter().find(|m| m.name == def.metric))
                .map(|m| m.unit)
                .unwrap_or_default();
            let op = match op {
                Comparison::Above => ">",
                Comparison::Below => "<",
            };
            format!("{} {op} {}", def.metric, format_value(def.threshold, unit))
        }
        AlertCondition::Burn { slo, tier } => {
            let slos = sim.slos();
            match (slos.slos.get(*slo), slos.tiers.get(*tier)) {
                (Some(run), Some(tier)) => format!(
                    "{} {:.2}% SLO burns {}% of its budget in {}",
                    run.describe(),
                    run.target * 100.0,
                    tier.budget * 100.0,
                    crate::sim::window_label(tier.window)
                ),
                _ => String::new(),
            }
        }
    };
    if rule.sustained > 0 {
        text.push_str(&format!(" for {}", crate::scenario::SimDuration(rule.sustained)));
    }
    let tools = sim.tools();
    if let Some((id, ToolMode::Slow(d))) =
        rule.monitor.and_then(|m| Some((&tools.tools.get(m)?.id, tools.modes.get(m)?)))
    {
        text.push_str(&format!(" (late: {id} is {d} behind)"));
    }
    text
}
