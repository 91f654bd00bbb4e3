//! Alert rules, threshold and SLO burn-rate alike: pending while the condition holds, firing once it has
//! held long enough, resolving when it stops.

use super::event::{Outbox, SimEvent};
use super::slo::SloBook;
use super::tools::ToolStatus;
use crate::scenario::{AlertSeverity, Comparison, ToolMode};
use bevy_ecs::prelude::*;

/// One alert rule with its metric resolved to a series.
#[derive(Clone, Debug)]
pub struct AlertPlan {
    /// Alert name.
    pub name: String,
    /// Service id.
    pub service: String,
    /// What makes it fire.
    pub condition: AlertCondition,
    /// Seconds the condition must hold.
    pub sustained: i64,
    /// Routing.
    pub severity: AlertSeverity,
    /// Text.
    pub summary: String,
    /// The tool that evaluates it (index in the scenario's `tools`), if its health matters.
    pub monitor: Option<usize>,
}

/// What an alert watches.
#[derive(Clone, Debug)]
pub enum AlertCondition {
    /// A metric compared with a threshold.
    Threshold {
        /// Series index watched.
        series: usize,
        /// Comparison.
        op: Comparison,
        /// Threshold.
        threshold: f64,
    },
    /// An SLO burning its budget at a tier of the severity policy.
    Burn {
        /// Index in the SLO book.
        slo: usize,
        /// Index of the tier.
        tier: usize,
    },
}

/// Where an alert stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AlertStatus {
    /// Since when the condition has held.
    pub pending_since: Option<i64>,
    /// Since when the alert has fired.
    pub firing_since: Option<i64>,
}

/// All alert rules and their status.
#[derive(Resource, Debug, Default)]
pub struct AlertBook {
    /// Rules in scenario order.
    pub rules: Vec<AlertPlan>,
    /// Status, parallel to `rules`.
    pub status: Vec<AlertStatus>,
}

impl AlertBook {
    /// Evaluates every rule against the frame of time `now` and the SLOs.
    pub fn evaluate(&mut self, now: i64, frame: &[f64], slos: &SloBook, tools: &ToolStatus, events: &mut Outbox) {
        for (rule, status) in self.rules.iter().zip(self.status.iter_mut()) {
            // A rule is only as good as the monitoring that evaluates it.
            let mut sustained = rule.sustained;
            match rule.monitor.map(|m| &tools.modes[m]) {
                Some(ToolMode::Unavailable(_) | ToolMode::Stale) => continue,
                Some(ToolMode::Partial(services)) if services.contains(&rule.service) => continue,
                Some(ToolMode::Slow(d)) => sustained += d.secs(),
                _ => {}
            }
            let holds = match rule.condition {
                AlertCondition::Threshold { series, op, threshold } => op.holds(frame[series], threshold),
                AlertCondition::Burn { slo, tier } => slos.slos[slo].tier_holds(&slos.tiers[tier]),
            };
            if !holds {
                status.pending_since = None;
                if status.firing_since.take().is_some() {
                    events.push(SimEvent::AlertResolved { t: now, name: rule.name.clone() });
                }
                continue;
            }
            let since = *status.pending_since.get_or_insert(now);
            if status.firing_since.is_none() && now - since >= sustained {
                status.firing_since = Some(now);
                events.push(SimEvent::AlertFired {
                    t: now,
                    name: rule.name.clone(),
                    service: rule.service.clone(),
                    severity: rule.severity,
                    summary: rule.summary.clone(),
                });
            }
        }
    }
}
