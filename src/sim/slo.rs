//! SLOs: SLIs from the simulated traffic, error budgets, burn rates over several windows, and the
//! severity policy that turns burn into tiers (and burn-rate alerts).
//!
//! Each SLO keeps the bad fraction of every simulated minute in a ring as long as its longest window,
//! with a running sum per window, so a tick costs O(windows). Before the simulated history began the
//! service is assumed to have run at its baseline.

use crate::scenario::{Scenario, SeverityPolicy, SeverityTier, SimDuration, SloKind};
use bevy_ecs::prelude::*;
use std::collections::BTreeMap;

/// One tier of a severity policy with windows in minutes.
#[derive(Clone, Debug, PartialEq)]
pub struct Tier {
    /// Name, e.g. `Critical`.
    pub name: String,
    /// Fraction of the SLO window's budget that must be consumed within `window`.
    pub budget: f64,
    /// Long window, minutes.
    pub window: usize,
    /// Short window that must burn at the same rate too, minutes.
    pub short_window: Option<usize>,
    /// Whether it pages.
    pub page: bool,
}

/// The tiers of a policy.
pub fn policy_tiers(policy: &SeverityPolicy) -> Vec<Tier> {
    let tier = |name: &str, budget: f64, window: i64, short: Option<i64>, page: bool| Tier {
        name: name.to_string(),
        budget,
        window: (window / 60) as usize,
        short_window: short.map(|s| (s / 60) as usize),
        page,
    };
    const H: i64 = 3600;
    const D: i64 = 86_400;
    match policy {
        // The seed guide's tiers for a 99.9% SLO, judged over 1h, 1d, 1w, 1w. Its "2x the monthly budget in
        // 1 hour" for Critical can never fire (a total outage burns about 1.4 budgets an hour at 99.9%), so
        // Critical uses the SRE workbook's fast-burn page: 2% of the budget in one hour (burn rate 14.4).
        SeverityPolicy::SeedGuide => vec![
            tier("Critical", 0.02, H, None, true),
            tier("Major", 0.10, D, None, true),
            tier("Minor", 0.25, 7 * D, None, false),
            tier("Warning", 0.10, 7 * D, None, false),
        ],
        // The SRE workbook's multi-window, multi-burn-rate alerts (chapter 5, "Alerting on SLOs").
        SeverityPolicy::Workbook => vec![
            tier("FastBurn", 0.02, H, Some(5 * 60), true),
            tier("SlowBurn", 0.05, 6 * H, Some(30 * 60), true),
            tier("Ticket", 0.10, 3 * D, Some(6 * H), false),
        ],
        SeverityPolicy::Custom(tiers) => tiers
            .iter()
            .map(|SeverityTier { name, budget, window, short_window, page }| {
                tier(name, *budget, window.secs(), short_window.map(|s| s.secs()), *page)
            })
            .collect(),
    }
}

/// One SLO being tracked.
#[derive(Debug)]
pub struct SloRun {
    /// Service id.
    pub service: String,
    /// What is measured.
    pub kind: SloKind,
    /// Target good fraction.
    pub target: f64,
    /// Compliance window, minutes.
    pub window: usize,
    bad_series: usize,
    p50_series: Option<usize>,
    ring: Vec<f64>,
    head: usize,
    /// (window minutes, running sum of bad fractions).
    sums: BTreeMap<usize, f64>,
    /// Bad fraction of every tick simulated, with its time.
    pub log: Vec<(i64, f64)>,
}

impl SloRun {
    /// "availability" or "latency under 400ms".
    pub fn describe(&self) -> String {
        match self.kind {
            SloKind::Availability => "availability".to_string(),
            SloKind::Latency(ms) => format!("latency under {ms}ms"),
        }
    }

    /// Allowed bad fraction.
    pub fn allowance(&self) -> f64 {
        1.0 - self.target
    }

    fn sum(&self, minutes: usize) -> f64 {
        self.sums.get(&minutes).copied().unwrap_or(0.0)
    }

    /// SLI over the last `minutes`: the good fraction.
    pub fn sli(&self, minutes: usize) -> f64 {
        1.0 - self.sum(minutes) / minutes.max(1) as f64
    }

    /// Burn rate over the last `minutes`: 1.0 spends the budget exactly over the SLO window.
    pub fn burn_rate(&self, minutes: usize) -> f64 {
        self.sum(minutes) / minutes.max(1) as f64 / self.allowance()
    }

    /// Fraction of the whole window's budget consumed in the last `minutes`.
    pub fn consumed(&self, minutes: usize) -> f64 {
        self.sum(minutes) / (self.window as f64 * self.allowance())
    }

    /// Fraction of the budget left over the SLO window.
    pub fn budget_remaining(&self) -> f64 {
        1.0 - self.consumed(self.window)
    }

    /// Fraction of the budget burned by ticks in `from..=to`.
    pub fn burned_between(&self, from: i64, to: i64) -> f64 {
        let bad: f64 = self.log.iter().filter(|(t, _)| *t >= from && *t <= to).map(|(_, b)| *b).sum();
        bad / (self.window as f64 * self.allowance())
    }

    /// Whether `tier` holds now.
    pub fn tier_holds(&self, tier: &Tier) -> bool {
        let threshold = tier.budget * self.window as f64 / tier.window.max(1) as f64;
        self.burn_rate(tier.window) >= threshold && tier.short_window.is_none_or(|s| self.burn_rate(s) >= threshold)
    }

    fn push(&mut self, t: i64, bad: f64) {
        let len = self.ring.len();
        for (&minutes, sum) in self.sums.iter_mut() {
            // The sample leaving this window was written `minutes` ticks ago.
            *sum += bad - self.ring[(self.head + len - minutes) % len];
        }
        self.ring[self.head] = bad;
        self.head = (self.head + 1) % len;
        self.log.push((t, bad));
    }
}

/// Every SLO and the policy's tiers.
#[derive(Resource, Debug, Default)]
pub struct SloBook {
    /// SLOs in scenario order.
    pub slos: Vec<SloRun>,
    /// The severity policy.
    pub tiers: Vec<Tier>,
}

/// Windows shown by `slo` besides the policy's own.
pub const DISPLAY_WINDOWS: [usize; 4] = [60, 6 * 60, 24 * 60, 7 * 24 * 60];

impl SloBook {
    /// Builds the book for a validated scenario.
    pub fn new(s: &Scenario, series: &BTreeMap<(String, String), usize>) -> SloBook {
        let tiers = policy_tiers(&s.severity_policy);
        let slos = s
            .slos
            .iter()
            .map(|slo| {
                let window = (slo.window.secs() / 60).max(1) as usize;
                let metric = match slo.kind {
                    SloKind::Availability => "error_rate",
                    SloKind::Latency(_) => "latency_p99",
                };
                let lookup = |m: &str| series.get(&(slo.service.clone(), m.to_string())).copied();
                let spec = |m: &str| {
                    s.services.iter().find(|x| x.id == slo.service).and_then(|x| x.metrics.iter().find(|y| y.name == m))
                };
                let base = |m: &str| spec(m).map(|x| x.baseline);
                let baseline_bad = bad_fraction(
                    slo.kind,
                    base(metric).unwrap_or(0.0),
                    base("latency_p50").or(base("latency_p99").map(|p| p / 4.0)).unwrap_or(0.0),
                );
                let mut minutes: Vec<usize> =
                    tiers.iter().flat_map(|t| [Some(t.window), t.short_window]).flatten().collect();
                minutes.extend(DISPLAY_WINDOWS);
                minutes.push(window);
                let longest = minutes.iter().copied().max().unwrap_or(window);
                SloRun {
                    service: slo.service.clone(),
                    kind: slo.kind,
                    target: slo.target,
                    window,
                    bad_series: lookup(metric).unwrap_or(0),
                    p50_series: lookup("latency_p50"),
                    ring: vec![baseline_bad; longest + 1],
                    head: 0,
                    sums: minutes.into_iter().map(|m| (m, baseline_bad * m as f64)).collect(),
                    log: Vec::new(),
                }
            })
            .collect();
        SloBook { slos, tiers }
    }

    /// Records the bad fraction of every SLO for the frame of time `t`.
    pub fn record(&mut self, t: i64, frame: &[f64]) {
        for slo in &mut self.slos {
            let value = frame[slo.bad_series];
            let p50 = slo.p50_series.map_or(value / 4.0, |s| frame[s]);
            let bad = bad_fraction(slo.kind, value, p50);
            slo.push(t, bad);
        }
    }

    /// Seconds the longest window of any SLO reaches back (its ring).
    pub fn span(&self) -> i64 {
        self.slos.iter().map(|s| (s.ring.len() as i64 - 1) * 60).max().unwrap_or(0)
    }

    /// The most severe tier that holds for an SLO, if any.
    pub fn severity(&self, slo: usize) -> Option<&Tier> {
        self.tiers.iter().find(|tier| self.slos[slo].tier_holds(tier))
    }
}

/// Bad fraction of a minute: the error rate for availability; for latency, the share of requests slower
/// than the threshold under a log-normal fitted to p50 and p99.
fn bad_fraction(kind: SloKind, value: f64, p50: f64) -> f64 {
    match kind {
        SloKind::Availability => value.clamp(0.0, 1.0),
        SloKind::Latency(threshold) => {
            let (p50, p99, threshold) = (p50.max(1e-3), value.max(1e-3), threshold.max(1e-3));
            let sigma = ((p99 / p50).ln() / 2.326).max(1e-6);
            let z = ((threshold / p50).ln()) / sigma;
            (1.0 - normal_cdf(z)).clamp(0.0, 1.0)
        }
    }
}

/// Standard normal CDF (Abramowitz and Stegun 7.1.26 for erf; error below 1.5e-7).
fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly =
        t * (0.254_829_592 + t * (-0.284_496_736 + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 { 0.5 * (1.0 + erf) } else { 0.5 * (1.0 - erf) }
}

/// "1h", "6h", "1d", "7d" for a window in minutes.
pub fn window_label(minutes: usize) -> String {
    SimDuration(minutes as i64 * 60).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(target: f64, window: usize, minutes: &[usize]) -> SloRun {
        let longest = minutes.iter().copied().max().unwrap_or(window).max(window);
        let mut all = minutes.to_vec();
        all.push(window);
        SloRun {
            service: "svc".into(),
            kind: SloKind::Availability,
            target,
            window,
            bad_series: 0,
            p50_series: None,
            ring: vec![0.0; longest + 1],
            head: 0,
            sums: all.into_iter().map(|m| (m, 0.0)).collect(),
            log: Vec::new(),
        }
    }

    #[test]
    fn total_outage_at_three_nines_burns_1000x_and_1_4_budgets_an_hour() {
        let mut slo = run(0.999, 30 * 24 * 60, &[60]);
        for t in 0..60 {
            slo.push(t * 60, 1.0);
        }
        assert!((slo.burn_rate(60) - 1000.0).abs() < 1e-6);
        assert!((slo.consumed(60) - 60.0 / 43.2).abs() < 1e-9, "{}", slo.consumed(60));
    }

    #[test]
    fn windows_forget_old_minutes() {
        let mut slo = run(0.99, 1000, &[5]);
        for t in 0..5 {
            slo.push(t, 1.0);
        }
        assert!((slo.burn_rate(5) - 100.0).abs() < 1e-9);
        for t in 5..10 {
            slo.push(t, 0.0);
        }
        assert!(slo.burn_rate(5).abs() < 1e-9);
        assert!((slo.sli(1000) - (1.0 - 5.0 / 1000.0)).abs() < 1e-9);
    }

    #[test]
    fn seed_guide_critical_fires_at_2_percent_in_an_hour() {
        let tiers = policy_tiers(&SeverityPolicy::SeedGuide);
        let mut slo = run(0.999, 30 * 24 * 60, &[60, 24 * 60, 7 * 24 * 60]);
        // 2% of a 43.2-minute budget in an hour is 0.864 bad minutes: a 1.44% error rate for the hour.
        for t in 0..60 {
            slo.push(t, 0.0145);
        }
        assert!(slo.tier_holds(&tiers[0]));
        let mut calm = run(0.999, 30 * 24 * 60, &[60]);
        for t in 0..60 {
            calm.push(t, 0.0140);
        }
        assert!(!calm.tier_holds(&tiers[0]));
    }

    #[test]
    fn latency_sli_counts_requests_over_the_threshold() {
        assert!(bad_fraction(SloKind::Latency(1000.0), 100.0, 20.0) < 1e-6);
        let half = bad_fraction(SloKind::Latency(300.0), 900.0, 300.0);
        assert!((half - 0.5).abs() < 1e-3, "{half}");
        assert!(bad_fraction(SloKind::Latency(100.0), 2000.0, 1000.0) > 0.99);
    }
}
