//! Network elements in the format: links, gateways, load balancers and DNS zones that are not services but
//! sit on the dependency edges that cross them (`depends_on: [(on: "api", via: ["lb-east"])]`). States
//! impair them with `Network` symptoms (packet loss, added latency, a partition), ramped like any symptom;
//! the callers whose edges cross an impaired element see errors, retries, timeouts and latency.

use super::ScenarioErrorKind;
use super::model::{Scenario, Symptom};
use super::spans::ValuePath;
use super::validate::{Located, MAX_NAME, MAX_VALUE, MAX_WINDOW, at, duration, invalid, known, number};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Most network elements a scenario may declare.
pub const MAX_ELEMENTS: usize = 1000;
/// Most elements one dependency edge may cross.
pub const MAX_HOPS: usize = 16;

/// A piece of the network that is not a service.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NetworkElement {
    /// Name used in `via` and shown by `deps` as `[lb-east]`.
    pub id: String,
    /// What sort of element it is.
    #[serde(default)]
    pub kind: ElementKind,
    /// One line shown by `deps`.
    #[serde(default)]
    pub description: String,
    /// Healthy round-trip time across it, milliseconds.
    #[serde(default = "default_rtt")]
    pub rtt: f64,
    /// Healthy packet loss, as a fraction (0..=1).
    #[serde(default)]
    pub loss: f64,
    /// Noise of its round-trip time, as a fraction (0.05 = ±5% standard deviation).
    #[serde(default)]
    pub noise: f64,
    /// Whether its `network_loss_ratio` and `network_rtt_ms` series are monitored: visible to `query`, and
    /// its health shown by `deps`. Unmonitored elements show in paths with their health unknown.
    #[serde(default)]
    pub visible: bool,
}

fn default_rtt() -> f64 {
    1.0
}

/// Sorts of network element.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum ElementKind {
    /// A network link (a transit provider, a cross-region link).
    #[default]
    Link,
    /// A gateway (NAT, VPN, an API gateway's network side).
    Gateway,
    /// A load balancer.
    LoadBalancer,
    /// A DNS zone the callers resolve the dependency's name in.
    DnsZone,
}

impl ElementKind {
    /// The words users see.
    pub fn label(self) -> &'static str {
        match self {
            ElementKind::Link => "link",
            ElementKind::Gateway => "gateway",
            ElementKind::LoadBalancer => "load balancer",
            ElementKind::DnsZone => "DNS zone",
        }
    }

    /// The `kind` label of its series (one word).
    pub fn word(self) -> &'static str {
        match self {
            ElementKind::Link => "link",
            ElementKind::Gateway => "gateway",
            ElementKind::LoadBalancer => "load_balancer",
            ElementKind::DnsZone => "dns_zone",
        }
    }
}

impl std::fmt::Display for ElementKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// The three series of an element, in frame order: loss, round-trip time, the share of flows cut.
pub const ELEMENT_SERIES: [&str; 3] = ["network_loss_ratio", "network_rtt_ms", "network_partition_ratio"];

/// Checks the elements, the edges' `via` and the `Network` symptoms against each other.
pub fn check(s: &Scenario) -> Result<(), Located> {
    let root = ValuePath::root().field("network");
    if s.network.len() > MAX_ELEMENTS {
        return Err(invalid(&root, "network", format!("at most {MAX_ELEMENTS} network elements")));
    }
    let mut seen = BTreeSet::new();
    for (i, e) in s.network.iter().enumerate() {
        let here = root.index(i);
        let word = !e.id.is_empty()
            && e.id.chars().count() <= MAX_NAME
            && !e.id.chars().any(|c| c.is_whitespace() || c.is_control() || c == '[' || c == ']');
        if !word {
            return Err(invalid(
                &here.field("id"),
                format!("network element `{}`", e.id.escape_default()),
                format!(
                    "a network element name is one word of 1 to {MAX_NAME} printable characters, without `[` or `]`"
                ),
            ));
        }
        if !seen.insert(e.id.as_str()) {
            return Err(at(
                &here.field("id"),
                ScenarioErrorKind::Duplicate { what: "network element", name: e.id.clone() },
            ));
        }
        if s.services.iter().any(|x| x.id == e.id) {
            return Err(invalid(
                &here.field("id"),
                format!("network element `{}`", e.id),
                "a service has this name; give the element its own",
            ));
        }
        let context = format!("network element `{}`", e.id);
        number(&here.field("rtt"), &context, e.rtt, (0.0, MAX_VALUE), "rtt (milliseconds)")?;
        number(&here.field("loss"), &context, e.loss, (0.0, 1.0), "loss")?;
        number(&here.field("noise"), &context, e.noise, (0.0, 1.0), "noise")?;
    }
    let mut elements: Vec<String> = s.network.iter().map(|e| e.id.clone()).collect();
    elements.sort();
    for (i, svc) in s.services.iter().enumerate() {
        for (k, dep) in svc.depends_on.iter().enumerate() {
            let path = ValuePath::root().field("services").index(i).field("depends_on").index(k).field("via");
            let context = || format!("dependency `{}` -> `{}`", svc.id, dep.on);
            if dep.via.len() > MAX_HOPS {
                return Err(invalid(&path, context(), format!("an edge crosses at most {MAX_HOPS} network elements")));
            }
            for (h, hop) in dep.via.iter().enumerate() {
                known(&path.index(h), "network element", hop, &elements, context)?;
                if dep.via[..h].contains(hop) {
                    return Err(invalid(&path.index(h), context(), format!("the edge crosses `{hop}` twice")));
                }
            }
        }
    }
    for (t, track) in s.tracks.iter().enumerate() {
        for (k, state) in track.states.iter().enumerate() {
            for (j, sym) in state.symptoms.iter().enumerate() {
                let Symptom::Network { element, loss, latency, partition, ramp, delay } = sym else { continue };
                let path =
                    ValuePath::root().field("tracks").index(t).field("states").index(k).field("symptoms").index(j);
                let context = format!("a symptom of state `{}`", state.id);
                known(&path.field("element"), "network element", element, &elements, || context.clone())?;
                if loss.is_none() && latency.is_none() && partition.is_none() {
                    return Err(invalid(
                        &path,
                        &context,
                        "a `Network` symptom sets at least one of `loss`, `latency` and `partition`",
                    ));
                }
                if let Some(v) = loss {
                    number(&path.field("loss"), &context, *v, (0.0, 1.0), "loss")?;
                }
                if let Some(v) = latency {
                    number(&path.field("latency"), &context, *v, (0.0, MAX_VALUE), "latency (milliseconds)")?;
                }
                if let Some(v) = partition {
                    number(&path.field("partition"), &context, *v, (0.0, 1.0), "partition (share of flows cut)")?;
                }
                duration(&path.field("ramp"), &context, *ramp, 0, MAX_WINDOW)?;
                duration(&path.field("delay"), &context, *delay, 0, MAX_WINDOW)?;
            }
        }
    }
    Ok(())
}

/// `web -> [lb-east] -> [transit-1] -> api`: an edge as `deps` shows it.
pub fn path_label(from: &str, via: &[String], to: &str) -> String {
    let mut out = from.to_string();
    for hop in via {
        out.push_str(&format!(" -> [{hop}]"));
    }
    out.push_str(&format!(" -> {to}"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_shows_each_element_in_brackets() {
        assert_eq!(path_label("web", &[], "api"), "web -> api");
        assert_eq!(
            path_label("web", &["lb-east".into(), "transit-1".into()], "api"),
            "web -> [lb-east] -> [transit-1] -> api"
        );
    }
}
