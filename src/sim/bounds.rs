//! Physical bounds: what units and declarations say a metric can be, enforced on every tick. A `Ratio`
//! stays within 0..=1 and nothing goes below 0 after noise and symptoms; `Items` are whole numbers; a
//! metric `bounded_by` another never exceeds it (in-use connections <= pool size), nor its `max`; a
//! latency with a `timeout` is capped at it, and on `latency_p99` the requests slower than the timeout
//! become errors, as a client that gives up would count them.
//!
//! The rules are compiled once into flat lists of series; a pass applies them in a fixed order (ranges,
//! timeouts, whole numbers, then bounds by other series), so the result is deterministic. The schedule runs
//! a pass after symptoms (the only one that turns timeouts into errors), after processes and after
//! propagation, so what propagation, health, alerts and the history read is always physical.

use super::components::Frame;
use super::fleet::Fleets;
use crate::scenario::{Scenario, Unit};
use bevy_ecs::prelude::*;

/// A latency capped at a client's timeout.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Timeout {
    /// The latency series.
    series: u32,
    /// The timeout, in the series' unit (milliseconds).
    cap: f64,
    /// On `latency_p99`: the `latency_p50` series (capped too) and the `error_rate` series the slow
    /// requests fail into.
    convert: Option<(u32, u32)>,
}

/// The compiled bounds of every series.
#[derive(Resource, Debug, Default)]
pub struct Bounds {
    /// (series, lowest, highest).
    ranges: Vec<(u32, f64, f64)>,
    timeouts: Vec<Timeout>,
    /// Series rounded to whole numbers.
    whole: Vec<u32>,
    /// (series, the series it never exceeds).
    below: Vec<(u32, u32)>,
}

impl Bounds {
    /// Compiles the bounds of `s`: every metric of a service, and on a fleet each member's copy too.
    /// `firsts[i]` is the first column of service `i`.
    pub fn compile(s: &Scenario, firsts: &[usize], fleets: &Fleets) -> Bounds {
        let mut bounds = Bounds::default();
        for (i, svc) in s.services.iter().enumerate() {
            let position = |name: &str| svc.metrics.iter().position(|m| m.name == name);
            let members = fleets.of(i as u32).map_or(0, |run| run.members);
            for copy in 0..=members {
                let column = |p: usize| -> u32 {
                    match (copy, fleets.of(i as u32)) {
                        (0, _) | (_, None) => (firsts[i] + p) as u32,
                        (k, Some(run)) => run.column(k - 1, p) as u32,
                    }
                };
                for (p, m) in svc.metrics.iter().enumerate() {
                    let series = column(p);
                    // Values are never negative already (symptoms and noise stop at 0): only an upper
                    // bound needs a rule.
                    let hi = if m.unit == Unit::Ratio { 1.0 } else { f64::MAX };
                    let hi = m.max.map_or(hi, |max| hi.min(max));
                    if hi < f64::MAX {
                        bounds.ranges.push((series, 0.0, hi));
                    }
                    if let Some(t) = m.timeout {
                        let convert = match (m.name.as_str(), position("latency_p50"), position("error_rate")) {
                            ("latency_p99", Some(p50), Some(errors)) => Some((column(p50), column(errors))),
                            _ => None,
                        };
                        bounds.timeouts.push(Timeout { series, cap: t.secs() as f64 * 1000.0, convert });
                    }
                    if m.unit == Unit::Items {
                        bounds.whole.push(series);
                    }
                    if let Some(other) = m.bounded_by.as_deref().and_then(position) {
                        bounds.below.push((series, column(other)));
                    }
                }
            }
        }
        bounds
    }

    /// Applies every bound to `frame`; with `convert`, requests slower than a `latency_p99`'s timeout
    /// first become errors.
    pub fn apply(&self, frame: &mut [f64], convert: bool) {
        for &(series, lo, hi) in &self.ranges {
            let v = &mut frame[series as usize];
            // `max`/`min` rather than `clamp`: a NaN becomes the lower bound instead of staying NaN.
            *v = v.max(lo).min(hi);
        }
        for t in &self.timeouts {
            let latency = frame[t.series as usize];
            if let Some((p50, errors)) = t.convert {
                if convert {
                    let slow = share_slower_than(frame[p50 as usize], latency, t.cap);
                    let e = frame[errors as usize];
                    frame[errors as usize] = (e + (1.0 - e) * slow).min(1.0);
                }
                frame[p50 as usize] = frame[p50 as usize].min(t.cap);
            }
            frame[t.series as usize] = latency.min(t.cap);
        }
        for &series in &self.whole {
            frame[series as usize] = frame[series as usize].round();
        }
        for &(series, bound) in &self.below {
            frame[series as usize] = frame[series as usize].min(frame[bound as usize]);
        }
    }
}

/// The share of requests slower than `timeout`, for latencies log-normally distributed with this median
/// and 99th percentile.
pub fn share_slower_than(p50: f64, p99: f64, timeout: f64) -> f64 {
    if timeout <= 0.0 {
        return 1.0;
    }
    if p50 <= 0.0 {
        return 0.0;
    }
    // The 99th percentile of a standard normal.
    const Z99: f64 = 2.326_347_874;
    let sigma = (p99.max(p50) / p50).ln() / Z99;
    if sigma < 1e-9 {
        return if p50 > timeout { 1.0 } else { 0.0 };
    }
    let z = (timeout / p50).ln() / sigma;
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// The complementary error function (Numerical Recipes' `erfcc`, fractional error below 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// Keeps every series within its bounds after symptoms; the one pass where a `latency_p99` over its
/// timeout turns into errors.
pub fn bound_symptoms(bounds: Res<Bounds>, mut frame: ResMut<Frame>) {
    bounds.apply(&mut frame.0, true);
}

/// Keeps every series within its bounds again after fleets' aggregates, processes or propagation changed
/// them.
pub fn rebound(bounds: Res<Bounds>, mut frame: ResMut<Frame>) {
    bounds.apply(&mut frame.0, false);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_slower_than_a_timeout_follows_the_log_normal() {
        // At the median, half the requests are slower; at the 99th percentile, 1%.
        assert!((share_slower_than(100.0, 1000.0, 100.0) - 0.5).abs() < 1e-6);
        assert!((share_slower_than(100.0, 1000.0, 1000.0) - 0.01).abs() < 1e-6);
        assert!(share_slower_than(42.0, 380.0, 5000.0) < 1e-6, "a healthy service loses nothing");
        assert_eq!(share_slower_than(0.0, 0.0, 5000.0), 0.0);
        assert_eq!(share_slower_than(6000.0, 6000.0, 5000.0), 1.0);
    }

    #[test]
    fn erfc_matches_known_values() {
        for (x, want) in [(0.0, 1.0), (0.5, 0.479_500_122), (1.0, 0.157_299_207), (-1.0, 1.842_700_793)] {
            assert!((erfc(x) - want).abs() < 1e-6, "erfc({x})");
        }
    }
}
