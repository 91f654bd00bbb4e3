//! Network elements at run time: each element has three series in the frame (its packet loss, its
//! round-trip time and the share of flows cut across it), computed like any metric (model, noise, `Network`
//! symptoms with their ramps), and a dependency edge that crosses elements carries what they do to its
//! calls to the caller during propagation:
//!
//! - loss: a lost request is retried once, so a share `loss²` of the calls fail; once 1% of calls lose a
//!   packet the caller's p99 includes a retransmission timeout ([`RETRANSMIT_MS`]);
//! - latency: the round-trip time above the element's healthy one adds to the caller's p50 and p99;
//! - partition: the share of flows cut fails outright, and once 1% are cut the caller's p99 includes a
//!   connect timeout ([`CONNECT_TIMEOUT_MS`]).
//!
//! Along a path of several elements, losses and cuts combine as independent chances and added latencies
//! sum. The edge's coupling then applies as it does to the dependency's own failure.

use super::components::Health;
use crate::scenario::Scenario;
use bevy_ecs::prelude::*;

/// Retransmission timeout a lost packet costs (Linux's minimum RTO), milliseconds.
pub const RETRANSMIT_MS: f64 = 200.0;
/// Connect timeout a call across a cut flow waits before failing, milliseconds.
pub const CONNECT_TIMEOUT_MS: f64 = 1000.0;
/// An edge that crosses no element.
pub const DIRECT: u32 = u32::MAX;

/// One element as laid out in the frame.
#[derive(Clone, Copy, Debug)]
pub struct ElementRun {
    /// Column of its loss; its round-trip time follows, then the share cut.
    pub first: u32,
    /// Healthy loss.
    pub loss: f64,
    /// Healthy round-trip time, milliseconds.
    pub rtt: f64,
}

/// Every network element and every path of elements an edge crosses.
#[derive(Resource, Debug, Default)]
pub struct Network {
    /// Elements in the scenario's order.
    pub elements: Vec<ElementRun>,
    /// Paths: the elements (positions in `elements`) each crossing edge goes through.
    pub paths: Vec<Vec<u32>>,
}

/// What the network does to one edge's calls this tick, before the edge's coupling and weight.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Impairment {
    /// Share of calls that fail.
    pub errors: f64,
    /// Milliseconds added to the caller's p50.
    pub p50: f64,
    /// Milliseconds added to the caller's p99.
    pub p99: f64,
}

/// An element as its monitoring reads it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ElementReading {
    /// Packet loss.
    pub loss: f64,
    /// Round-trip time, milliseconds.
    pub rtt: f64,
    /// Share of flows cut.
    pub cut: f64,
    /// Health judged from the three.
    pub health: Health,
}

impl Network {
    /// Lays out the scenario's elements from frame column `first`, three series each.
    pub fn new(s: &Scenario, first: usize) -> Network {
        let elements = s
            .network
            .iter()
            .enumerate()
            .map(|(k, e)| ElementRun { first: (first + 3 * k) as u32, loss: e.loss, rtt: e.rtt })
            .collect();
        Network { elements, paths: Vec::new() }
    }

    /// Registers the path of an edge crossing `via` (element ids), returning what the edge keeps.
    pub fn path(&mut self, s: &Scenario, via: &[String]) -> u32 {
        if via.is_empty() {
            return DIRECT;
        }
        let hops = via.iter().filter_map(|id| s.network.iter().position(|e| &e.id == id)).map(|k| k as u32);
        self.paths.push(hops.collect());
        (self.paths.len() - 1) as u32
    }

    /// What path `path` (from [`Network::path`]) does to calls this tick.
    pub fn impairment(&self, path: u32, frame: &[f64]) -> Impairment {
        let Some(hops) = self.paths.get(path as usize) else { return Impairment::default() };
        let (mut pass, mut intact, mut added) = (1.0f64, 1.0f64, 0.0f64);
        for &k in hops {
            let run = self.elements[k as usize];
            let c = run.first as usize;
            pass *= 1.0 - (frame[c] - run.loss).clamp(0.0, 1.0);
            added += (frame[c + 1] - run.rtt).max(0.0);
            intact *= 1.0 - frame[c + 2].clamp(0.0, 1.0);
        }
        let (loss, cut) = (1.0 - pass, 1.0 - intact);
        let onset = |share: f64| (share / 0.01).min(1.0);
        Impairment {
            errors: cut + (1.0 - cut) * loss * loss,
            p50: added,
            p99: added + RETRANSMIT_MS * onset(loss) + CONNECT_TIMEOUT_MS * onset(cut),
        }
    }

    /// Element `k` as of the last tick.
    pub fn reading(&self, k: usize, frame: &[f64]) -> Option<ElementReading> {
        let run = self.elements.get(k)?;
        let c = run.first as usize;
        let (loss, rtt, cut) = (frame[c], frame[c + 1], frame[c + 2]);
        let health = if cut >= 0.5 || loss >= 0.5 {
            Health::Down
        } else if cut > 0.0 || loss - run.loss > 0.01 || rtt > run.rtt * 3.0 + 1.0 {
            Health::Degraded
        } else {
            Health::Healthy
        };
        Some(ElementReading { loss, rtt, cut, health })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_element(loss: f64, rtt: f64, cut: f64) -> (Network, Vec<f64>) {
        let network = Network { elements: vec![ElementRun { first: 0, loss: 0.0, rtt: 2.0 }], paths: vec![vec![0]] };
        (network, vec![loss, rtt, cut])
    }

    #[test]
    fn loss_fails_the_calls_that_lose_both_tries_and_costs_the_p99_a_retransmit() {
        let (network, frame) = one_element(0.2, 2.0, 0.0);
        let hit = network.impairment(0, &frame);
        assert!((hit.errors - 0.04).abs() < 1e-6, "{hit:?}");
        assert_eq!((hit.p50, hit.p99), (0.0, 200.0));
        // Half a percent of loss: half a retransmit at the p99.
        let (network, frame) = one_element(0.005, 2.0, 0.0);
        assert!((network.impairment(0, &frame).p99 - 100.0).abs() < 1e-3);
    }

    #[test]
    fn added_latency_reaches_both_percentiles_and_a_partition_fails_every_call() {
        let (network, frame) = one_element(0.0, 42.0, 0.0);
        assert_eq!(network.impairment(0, &frame), Impairment { errors: 0.0, p50: 40.0, p99: 40.0 });
        let (network, frame) = one_element(0.0, 2.0, 1.0);
        assert_eq!(network.impairment(0, &frame), Impairment { errors: 1.0, p50: 0.0, p99: 1000.0 });
        assert_eq!(network.impairment(DIRECT, &frame), Impairment::default());
    }

    #[test]
    fn elements_along_a_path_combine_losses_as_chances_and_add_latencies() {
        let network = Network {
            elements: vec![ElementRun { first: 0, loss: 0.0, rtt: 1.0 }, ElementRun { first: 3, loss: 0.0, rtt: 5.0 }],
            paths: vec![vec![0, 1]],
        };
        let frame = [0.5, 11.0, 0.0, 0.5, 15.0, 0.0];
        let hit = network.impairment(0, &frame);
        // 1 - 0.5 × 0.5 = 0.75 lost; 0.75² fail.
        assert_eq!(hit.errors, 0.5625);
        assert_eq!((hit.p50, hit.p99), (20.0, 220.0));
        assert_eq!(network.reading(0, &frame).map(|r| r.health), Some(Health::Down));
    }
}
