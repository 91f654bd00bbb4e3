//! Processes at run time: derived metrics, controllers and capacity-limited recoveries (declared in the
//! scenario's `processes`). One system, `run_processes`, runs them after the metric models, saturation and
//! fleet aggregates each tick:
//! controllers first (they read the value their watched metric had at the end of the last tick), then
//! recoveries sharing each capacity, then derived metrics in declaration order.

use super::components::{Frame, SimClock};
use super::incident::{Incident, Inventory};
use crate::scenario::{ControlMode, Expr, Scenario};
use bevy_ecs::prelude::*;
use std::collections::{BTreeMap, VecDeque};

/// The compiled processes and their running state.
#[derive(Resource, Debug, Default)]
pub struct ProcessRun {
    controllers: Vec<ControllerRun>,
    derived: Vec<(usize, Expr)>,
    recoveries: Vec<RecoveryRun>,
    /// Series of every metric an expression names, by (service, metric).
    series: BTreeMap<(String, String), usize>,
}

#[derive(Debug)]
struct ControllerRun {
    id: String,
    watch: usize,
    adjust: usize,
    target: f64,
    delay: i64,
    min: f64,
    max: f64,
    max_step: f64,
    /// The value it has set.
    value: f64,
    /// What its watched metric read at the end of the last tick.
    last_watch: Option<f64>,
    /// A decision in flight: (when it lands, the value).
    pending: VecDeque<(i64, f64)>,
}

#[derive(Debug)]
struct RecoveryRun {
    series: usize,
    to: f64,
    capacity: String,
    during: Vec<String>,
    /// Where it stands while it runs; `None` while its states are not current.
    level: Option<f64>,
    /// The series' value at the end of the last tick, where a recovery starts from.
    last: f64,
}

impl ProcessRun {
    /// Compiles the scenario's processes against the series layout.
    pub fn compile(s: &Scenario, series: &BTreeMap<(String, String), usize>, baselines: &[f64]) -> ProcessRun {
        let at = |service: &str, metric: &str| series[&(service.to_string(), metric.to_string())];
        let p = &s.processes;
        let controllers = p
            .controllers
            .iter()
            .map(|c| {
                let adjust = at(&c.service, &c.adjusts);
                ControllerRun {
                    id: c.id.clone(),
                    watch: at(&c.service, &c.watches),
                    adjust,
                    target: c.target,
                    delay: c.delay.secs(),
                    min: c.min,
                    max: c.max,
                    max_step: c.max_step,
                    value: baselines[adjust].clamp(c.min, c.max),
                    last_watch: None,
                    pending: VecDeque::new(),
                }
            })
            .collect();
        // Validation proved every expression parses.
        let derived = p
            .derived
            .iter()
            .filter_map(|d| Expr::parse(&d.expr, &d.service).ok().map(|e| (at(&d.service, &d.metric), e)))
            .collect();
        let recoveries = p
            .recoveries
            .iter()
            .map(|r| {
                let series = at(&r.service, &r.metric);
                RecoveryRun {
                    series,
                    to: r.to,
                    capacity: r.capacity.clone(),
                    during: r.during.clone(),
                    level: None,
                    last: baselines[series],
                }
            })
            .collect();
        ProcessRun { controllers, derived, recoveries, series: series.clone() }
    }

    /// Whether the scenario declares any process (the system does nothing otherwise).
    fn is_empty(&self) -> bool {
        self.controllers.is_empty() && self.derived.is_empty() && self.recoveries.is_empty()
    }
}

/// Runs controllers, recoveries and derived metrics on the frame the metric models just computed.
pub fn run_processes(
    clock: Res<SimClock>,
    incident: Res<Incident>,
    inventory: Res<Inventory>,
    mut run: ResMut<ProcessRun>,
    mut frame: ResMut<Frame>,
) {
    if run.is_empty() {
        return;
    }
    let now = clock.tick;
    let frame = &mut frame.0;
    let run = &mut *run;
    for c in &mut run.controllers {
        control(c, now, inventory.controls.get(&c.id).copied());
        frame[c.adjust] = c.value;
    }
    // Recoveries first, so a metric derived from a recovering one reads where the recovery stands.
    let current: Vec<&str> = incident.tracks.iter().map(|t| t.states[t.current].id.as_str()).collect();
    recover(&mut run.recoveries, &current, &inventory.capacities, clock.step, frame);
    for (series, expr) in &run.derived {
        let value = expr.eval(&|service, metric| {
            run.series.get(&(service.to_string(), metric.to_string())).map_or(0.0, |&i| frame[i])
        });
        frame[*series] = if value.is_finite() { value } else { 0.0 };
    }
    for c in &mut run.controllers {
        c.last_watch = Some(frame[c.watch]);
    }
}

/// One controller's tick: obey an operator's pause or hold, land a decision that is due, or decide anew.
fn control(c: &mut ControllerRun, now: i64, mode: Option<ControlMode>) {
    match mode {
        Some(ControlMode::Hold(v)) => {
            c.pending.clear();
            c.value = v;
            return;
        }
        Some(ControlMode::Pause) => {
            c.pending.clear();
            return;
        }
        Some(ControlMode::Resume) | None => {}
    }
    if let Some(&(due, v)) = c.pending.front() {
        if due <= now {
            c.value = v;
            c.pending.pop_front();
        }
        // One decision in flight at a time, as an autoscaler's cooldown does.
        return;
    }
    let Some(watch) = c.last_watch else { return };
    let mut desired = (c.value * watch / c.target).ceil();
    if c.max_step > 0.0 {
        desired = desired.clamp(c.value - c.max_step, c.value + c.max_step);
    }
    let desired = desired.clamp(c.min, c.max);
    if desired != c.value {
        if c.delay == 0 {
            c.value = desired;
        } else {
            c.pending.push_back((now + c.delay, desired));
        }
    }
}

/// Moves each running recovery toward its target, sharing each capacity's budget for this tick evenly
/// between the recoveries still short of theirs (what one cannot use goes to the others).
fn recover(
    recoveries: &mut [RecoveryRun],
    current: &[&str],
    capacities: &BTreeMap<String, f64>,
    step: i64,
    frame: &mut [f64],
) {
    for r in recoveries.iter_mut() {
        let running = r.during.iter().any(|d| current.contains(&d.as_str()));
        r.level = match (running, r.level) {
            (false, _) => None,
            (true, Some(level)) => Some(level),
            // Starts from where the metric stood at the end of the last tick.
            (true, None) => Some(r.last),
        };
    }
    for (capacity, per_minute) in capacities {
        let mut budget = per_minute * step as f64 / 60.0;
        loop {
            let short: Vec<usize> = (0..recoveries.len())
                .filter(|&i| &recoveries[i].capacity == capacity)
                .filter(|&i| recoveries[i].level.is_some_and(|l| l != recoveries[i].to))
                .collect();
            if short.is_empty() || budget <= 1e-9 {
                break;
            }
            let share = budget / short.len() as f64;
            for i in short {
                let r = &mut recoveries[i];
                let level = r.level.unwrap_or(r.last);
                let gap = r.to - level;
                let moved = gap.abs().min(share);
                r.level = Some(level + moved * gap.signum());
                budget -= moved;
            }
        }
    }
    for r in recoveries.iter_mut() {
        if let Some(level) = r.level {
            frame[r.series] = level;
        }
        r.last = frame[r.series];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recovery(capacity: &str, last: f64, to: f64) -> RecoveryRun {
        RecoveryRun { series: 0, to, capacity: capacity.into(), during: vec!["restarting".into()], level: None, last }
    }

    #[test]
    fn recoveries_share_a_capacity_and_the_one_that_finishes_gives_its_share_back() {
        let mut rs = vec![recovery("restarts", 100.0, 110.0), recovery("restarts", 0.0, 1000.0)];
        rs[1].series = 1;
        let caps = BTreeMap::from([("restarts".to_string(), 40.0)]);
        let mut frame = vec![0.0f64; 2];
        recover(&mut rs, &["restarting"], &caps, 60, &mut frame);
        // 20 each, but the first needs only 10: the second gets the other 30.
        assert_eq!(frame, vec![110.0, 30.0]);
        recover(&mut rs, &["restarting"], &caps, 60, &mut frame);
        assert_eq!(frame, vec![110.0, 70.0]);
        recover(&mut rs, &["healthy"], &caps, 60, &mut frame);
        assert_eq!(rs[1].level, None, "stops when its states end");
    }

    #[test]
    fn a_controller_waits_for_its_delay_obeys_its_limits_and_a_hold() {
        let mut c = ControllerRun {
            id: "asg".into(),
            watch: 0,
            adjust: 1,
            target: 0.5,
            delay: 120,
            min: 2.0,
            max: 12.0,
            max_step: 4.0,
            value: 4.0,
            last_watch: Some(1.0),
            pending: VecDeque::new(),
        };
        control(&mut c, 0, None);
        assert_eq!(
            (c.value, c.pending.clone()),
            (4.0, VecDeque::from([(120, 8.0)])),
            "twice the target: double, later"
        );
        control(&mut c, 60, None);
        assert_eq!(c.value, 4.0);
        control(&mut c, 120, None);
        assert_eq!(c.value, 8.0);
        c.last_watch = Some(2.0);
        control(&mut c, 180, None);
        assert_eq!(c.pending, VecDeque::from([(300, 12.0)]), "four times wanted, but at most +4 and at most 12");
        control(&mut c, 240, Some(ControlMode::Hold(3.0)));
        assert_eq!((c.value, c.pending.len()), (3.0, 0));
        control(&mut c, 300, Some(ControlMode::Pause));
        assert_eq!(c.value, 3.0);
    }
}
