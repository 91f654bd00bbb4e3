//! Which facts about the system a command's result covered: evidence is declared as an observation (this
//! metric of this service, log lines of this service matching this text, this change, this message) and is
//! credited when a command that shows it ran, whichever command that was. The page, the briefing and an
//! alert repeating the page show none of them.

use super::command::Command;
use crate::scenario::{Observation, Scenario};

/// The columns of the `status` dashboard, as metrics.
const STATUS_METRICS: [&str; 3] = ["requests", "error_rate", "latency_p99"];

/// Whether running `command`, which showed `values` (its output's spans, lowercased, echoed input left
/// out), covered `observation`.
pub fn covers(scenario: &Scenario, observation: &Observation, command: &Command, values: &[String]) -> bool {
    let shown = |text: &str| {
        let text = text.to_lowercase();
        !text.is_empty() && values.iter().any(|v| v.contains(&text))
    };
    match (observation, command) {
        (Observation::Metric { metric, .. }, Command::Status) => STATUS_METRICS.contains(&metric.as_str()),
        (Observation::Metric { service, metric }, Command::Metrics { service: s, metric: m, .. }) => {
            s == service && m.as_ref().is_none_or(|m| m == metric)
        }
        (Observation::Metric { service, metric }, Command::Slo { service: s }) => {
            s.as_ref().is_none_or(|s| s == service)
                && scenario.slos.iter().any(|slo| &slo.service == service)
                && matches!(metric.as_str(), "error_rate" | "latency_p99")
        }
        (Observation::Metric { service, metric }, Command::Query { expr, .. }) => {
            let expr = expr.join(" ");
            // A query names the metric, or the exporter series derived from it; a `service`, `job` or
            // `instance` matcher, if any, must select this service.
            let exporter = match metric.as_str() {
                "requests" | "error_rate" => Some("http_requests_total"),
                m if m.starts_with("latency") => Some("http_request_duration_seconds"),
                "up" => Some("up"),
                _ => None,
            };
            let named = expr.contains(metric.as_str()) || exporter.is_some_and(|e| expr.contains(e));
            let scoped = ["service", "job", "instance"].iter().any(|l| expr.contains(l));
            named && (!scoped || expr.contains(service.as_str()))
        }
        (Observation::Log { service, contains }, Command::Logs { service: s, .. }) => {
            s.as_ref().is_none_or(|s| s == service) && shown(contains)
        }
        (Observation::Change { contains }, Command::Changes { .. }) => shown(contains),
        (Observation::Message { from }, Command::Inbox | Command::Tickets) => shown(from),
        (Observation::Diagnostic { diagnostic, contains }, Command::Run { diagnostic: d, .. }) => {
            d == diagnostic && shown(contains)
        }
        _ => false,
    }
}
