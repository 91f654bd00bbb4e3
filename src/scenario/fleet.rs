//! Fleets: a service made of many alike members (hosts, pods, clusters, regions), written once.
//!
//! A fleet declares how many members a service has (or names them, five regions written once), what a
//! member is called in `status`, and optional per-member traffic weights. Symptoms pick members with
//! [`Members`] (all, a fraction, a count, or named ones); actions can target one member, a range of members
//! or the whole service. The choice of members for a fraction is deterministic and spread over the fleet,
//! so the same scenario always hits the same members.

use serde::{Deserialize, Serialize};

/// Most members a fleet may have.
pub const MAX_FLEET: u32 = 100_000;

/// The members of a service.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Fleet {
    /// Number of members (default: the number of `names`).
    #[serde(default)]
    pub count: u32,
    /// What a member is, plural, as `status` says it (`118/1200 hosts unhealthy`).
    #[serde(default = "default_noun")]
    pub noun: String,
    /// Member names (e.g. regions); without them members are `<service>-<n>`, numbered from 1 and padded.
    #[serde(default)]
    pub names: Vec<String>,
    /// Relative share of the service's per-member baselines each member carries, by position (missing
    /// ones are 1), so a big region can carry twice the traffic of a small one.
    #[serde(default)]
    pub weights: Vec<f64>,
}

fn default_noun() -> String {
    "members".to_string()
}

impl Fleet {
    /// Number of members.
    pub fn size(&self) -> usize {
        if self.count == 0 { self.names.len() } else { self.count as usize }
    }

    /// Name of member `i` (0-based) of service `service`.
    pub fn member_name(&self, service: &str, i: usize) -> String {
        if let Some(name) = self.names.get(i) {
            return name.clone();
        }
        let width = self.size().to_string().len();
        format!("{service}-{:0width$}", i + 1)
    }

    /// Every member's name, in order.
    pub fn member_names(&self, service: &str) -> Vec<String> {
        (0..self.size()).map(|i| self.member_name(service, i)).collect()
    }

    /// Weight of member `i`.
    pub fn weight(&self, i: usize) -> f64 {
        self.weights.get(i).copied().unwrap_or(1.0)
    }

    /// Position of the member named `name`.
    pub fn position(&self, service: &str, name: &str) -> Option<usize> {
        if !self.names.is_empty() {
            return self.names.iter().position(|n| n == name);
        }
        let number = name.strip_prefix(service)?.strip_prefix('-')?;
        let width = self.size().to_string().len();
        let n: usize = number.parse().ok()?;
        (number.len() == width && (1..=self.size()).contains(&n)).then(|| n - 1)
    }

    /// Members an action target names: one member (`edge-0042`), a range (`edge-0001..edge-0100`,
    /// inclusive), or `None` when `target` is not about this fleet's members.
    pub fn target_members(&self, service: &str, target: &str) -> Option<Vec<usize>> {
        if let Some((a, b)) = target.split_once("..") {
            let (a, b) = (self.position(service, a)?, self.position(service, b)?);
            return (a <= b).then(|| (a..=b).collect());
        }
        self.position(service, target).map(|i| vec![i])
    }
}

/// The fleet service among `services` (ids of `scenario`'s services) whose member or member range `target`
/// names, if any: `edge-0042` and `edge-0001..edge-0100` belong to `edge`.
pub fn member_owner<'a>(scenario: &super::Scenario, services: &'a [String], target: &str) -> Option<&'a str> {
    services.iter().map(String::as_str).find(|id| {
        scenario
            .services
            .iter()
            .find(|x| x.id == *id)
            .and_then(|x| x.fleet.as_ref())
            .is_some_and(|f| f.target_members(id, target).is_some())
    })
}

/// Which members of a fleet a symptom hits.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub enum Members {
    /// Every member (and, on a service without a fleet, the service).
    #[default]
    All,
    /// This fraction of the members (0..=1), rounded to the nearest whole member, spread over the fleet.
    Fraction(f64),
    /// This many members, spread over the fleet.
    Count(u32),
    /// The members with these names.
    Named(Vec<String>),
}

impl Members {
    /// Whether every member is hit.
    pub fn is_all(&self) -> bool {
        *self == Members::All
    }

    /// Positions of the members hit in a fleet of `size` (sorted); `position` resolves a name. Unknown
    /// names are skipped (validation reports them).
    pub fn select(&self, size: usize, position: impl Fn(&str) -> Option<usize>) -> Vec<usize> {
        let mut chosen = match self {
            Members::All => return (0..size).collect(),
            Members::Fraction(f) => spread(size, (f.clamp(0.0, 1.0) * size as f64).round() as usize),
            Members::Count(n) => spread(size, (*n as usize).min(size)),
            Members::Named(names) => names.iter().filter_map(|n| position(n)).collect(),
        };
        chosen.sort_unstable();
        chosen.dedup();
        chosen
    }
}

/// `k` of `size` members spread evenly but not regularly: ranked by the fractional part of `i·φ` (a
/// low-discrepancy sequence), so any prefix of the ranking is spread over the whole fleet.
fn spread(size: usize, k: usize) -> Vec<usize> {
    const PHI: f64 = 0.618_033_988_749_894_9;
    let mut ranked: Vec<usize> = (0..size).collect();
    ranked.sort_by(|&a, &b| ((a as f64 * PHI).fract()).total_cmp(&(b as f64 * PHI).fract()).then(a.cmp(&b)));
    ranked.truncate(k);
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fleet(count: u32) -> Fleet {
        Fleet { count, noun: "hosts".into(), names: Vec::new(), weights: Vec::new() }
    }

    #[test]
    fn members_are_numbered_from_one_and_padded_to_the_fleet_size() {
        let f = fleet(1200);
        assert_eq!(f.member_name("edge", 0), "edge-0001");
        assert_eq!(f.member_name("edge", 1199), "edge-1200");
        assert_eq!(f.position("edge", "edge-0042"), Some(41));
        assert_eq!(f.position("edge", "edge-42"), None);
        assert_eq!(f.position("edge", "edge-1201"), None);
        assert_eq!(f.target_members("edge", "edge-0002..edge-0004"), Some(vec![1, 2, 3]));
        assert_eq!(f.target_members("edge", "edge-0004..edge-0002"), None);
        assert_eq!(f.target_members("edge", "edge"), None);
    }

    #[test]
    fn named_members_are_their_names() {
        let f = Fleet { count: 0, noun: "regions".into(), names: vec!["eu".into(), "us".into()], weights: vec![2.0] };
        assert_eq!(f.size(), 2);
        assert_eq!(f.member_names("api"), ["eu", "us"]);
        assert_eq!((f.weight(0), f.weight(1)), (2.0, 1.0));
        assert_eq!(f.position("api", "us"), Some(1));
    }

    #[test]
    fn a_fraction_hits_that_many_members_spread_over_the_fleet() {
        let f = fleet(1200);
        let hit = Members::Fraction(118.0 / 1200.0).select(1200, |n| f.position("edge", n));
        assert_eq!(hit.len(), 118);
        assert!(hit.windows(2).all(|w| w[1] - w[0] < 40), "spread, not a block: {hit:?}");
        assert_eq!(Members::Fraction(0.5).select(4, |_| None), [0, 2]);
        assert_eq!(Members::Count(3).select(10, |_| None), [0, 2, 5]);
        assert_eq!(Members::Count(30).select(3, |_| None), [0, 1, 2]);
        assert_eq!(Members::Named(vec!["edge-0003".into(), "x".into()]).select(1200, |n| f.position("edge", n)), [2]);
    }
}
