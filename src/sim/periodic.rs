//! Periodic load at run time: each load pattern's factor for the current tick, from the page's date and the
//! time of day, which `compute_metrics` multiplies into the healthy model of the series it shapes (each
//! series' [`MetricModel::load`](super::components::MetricModel) names its pattern).

use super::components::SimClock;
use crate::scenario::{Date, LoadPattern, Scenario};
use bevy_ecs::prelude::*;

/// The scenario's load patterns and their factors this tick.
#[derive(Resource, Debug)]
pub struct LoadShapes {
    patterns: Vec<LoadPattern>,
    /// The page's date, if the scenario gives one.
    date: Option<Date>,
    /// Factor of each pattern this tick, after a leading 1 for series no pattern shapes.
    pub factors: Vec<f64>,
}

impl LoadShapes {
    /// The scenario's patterns, all at 1 until the first tick.
    pub fn new(s: &Scenario) -> LoadShapes {
        LoadShapes {
            patterns: s.load.clone(),
            date: s.clock.date.as_deref().and_then(Date::parse),
            factors: vec![1.0; s.load.len() + 1],
        }
    }

    /// The position a series' model keeps for `service`'s `metric`: 1 + its pattern, or 0.
    pub fn slot(s: &Scenario, service: &str, metric: &str) -> u32 {
        s.load
            .iter()
            .position(|p| p.applies_to.iter().any(|t| t.service == service && t.metric == metric))
            .map_or(0, |k| k as u32 + 1)
    }
}

/// Sets each pattern's factor for this tick from the calendar: the page's date plus the days since, and
/// the time of day.
pub fn shape_load(clock: Res<SimClock>, mut load: ResMut<LoadShapes>) {
    if load.patterns.is_empty() {
        return;
    }
    let local = clock.page_time_of_day + clock.tick;
    let date = load.date.map(|d| d.plus_days(local.div_euclid(86_400)));
    let load = &mut *load;
    for (slot, pattern) in load.factors[1..].iter_mut().zip(&load.patterns) {
        *slot = pattern.factor(date, local);
    }
}

#[cfg(test)]
mod tests {
    use crate::sim::Sim;
    use crate::sim::{Input, SimEvent};
    use std::sync::Arc;

    fn calendar() -> Sim {
        let text = include_str!("../../tests/fixtures/calendar.ron");
        let s = crate::scenario::parse(text, "calendar.ron").unwrap_or_else(|e| panic!("{e}"));
        Sim::new(Arc::new(s), 1)
    }

    #[test]
    fn the_request_rate_follows_the_day_the_hour_the_weekend_and_the_holiday() {
        let mut sim = calendar();
        let requests = sim.series_index("edge", "requests").expect("series");
        // Tuesday 08:00: halfway up the daily shape (1.0), in the top-of-hour spike (× 2).
        assert_eq!(sim.latest(requests), 200.0);
        sim.advance(30 * 60);
        // 08:30: 0.5 + 510/960.
        assert_eq!(sim.latest(requests), 103.125);
        sim.advance(2 * 86_400);
        // Thursday 4 July 08:30, a holiday: half.
        assert_eq!(sim.latest(requests), 51.5625);
        sim.advance(2 * 86_400);
        // Saturday 08:30: three quarters.
        assert_eq!(sim.latest(requests), 77.343_75);
        sim.advance(3 * 86_400 - 30 * 60 + 4 * 3600);
        // The next Tuesday at noon: 0.5 + 720/960, in the spike.
        assert_eq!(sim.latest(requests), 250.0);
        let errors = sim.series_index("edge", "error_rate").expect("series");
        assert_eq!(sim.latest(errors), 0.5, "a pattern shapes only the series it names");
    }

    #[test]
    fn entering_a_state_with_a_skip_lets_its_hours_pass_at_once_and_every_tick_runs() {
        let mut sim = calendar();
        sim.take_events();
        sim.input_at(60, Input::Action { action: "restore".into(), target: Some("edge".into()), arg: None });
        sim.advance(60);
        // `restoring` was entered at 1m; six hours passed at once, and `restored` came 4h after entry.
        assert_eq!(sim.now(), 60 + 6 * 3600);
        let events = sim.take_events();
        let skip = events.iter().position(|e| matches!(e, SimEvent::TimeSkipped { .. }));
        assert_eq!(
            skip.map(|k| &events[k]),
            Some(&SimEvent::TimeSkipped { t: 60, pass: 6 * 3600, say: "The edge restarts, rack by rack.".into() })
        );
        let restored = events.iter().find_map(|e| match e {
            SimEvent::StateEntered { t, state, .. } if state == "restored" => Some(*t),
            _ => None,
        });
        assert_eq!(restored, Some(60 + 4 * 3600));
        assert_eq!(sim.history().last_t(), Some(60 + 6 * 3600), "every minute of the skip is in the history");
        // Time moves on as before afterwards.
        sim.advance(120);
        assert_eq!(sim.now(), 60 + 6 * 3600 + 120);
    }
}
