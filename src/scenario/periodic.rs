//! Periodic load in the format: a traffic pattern declared once (a daily shape, a spike at the top of every
//! hour, quieter weekends and holidays) and applied to the request rates it names, read from the page's
//! calendar date and time of day. The clock's `zone` only names the zone the times are written in.

use super::Date;
use super::model::Scenario;
use super::spans::ValuePath;
use super::validate::{Located, MAX_VALUE, invalid, known, number};
use serde::{Deserialize, Serialize};

/// A traffic pattern and the series it shapes.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LoadPattern {
    /// The series it multiplies, e.g. `(service: "edge", metric: "requests")`.
    pub applies_to: Vec<LoadTarget>,
    /// The daily shape: `("HH:MM", factor)` points, linear between them and around midnight (none: flat 1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub daily: Vec<(String, f64)>,
    /// A spike in the first minutes of every hour (cron jobs, clients polling on the hour).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_of_hour: Option<HourSpike>,
    /// Factor on Saturdays and Sundays (needs `clock.date`).
    #[serde(default = "one")]
    pub weekend: f64,
    /// Public holidays, `YYYY-MM-DD` (needs `clock.date`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<String>,
    /// Factor on a holiday (in place of `weekend`).
    #[serde(default = "one")]
    pub holiday: f64,
}

/// A series a pattern shapes.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LoadTarget {
    /// Service.
    pub service: String,
    /// One of its metrics (a request rate).
    pub metric: String,
}

/// A spike at the top of every hour.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HourSpike {
    /// Factor during the spike.
    pub factor: f64,
    /// How many minutes after the hour it lasts.
    pub minutes: u32,
}

fn one() -> f64 {
    1.0
}

/// Seconds after midnight of `HH:MM`.
fn time_of_day(text: &str) -> Option<i64> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m) = (h.parse::<i64>().ok()?, m.parse::<i64>().ok()?);
    ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 3600 + m * 60)
}

impl LoadPattern {
    /// The factor at `seconds` after midnight of `date` (a weekday when the date is unknown).
    pub fn factor(&self, date: Option<Date>, seconds: i64) -> f64 {
        let seconds = seconds.rem_euclid(86_400);
        let mut factor = self.daily_factor(seconds);
        if let Some(spike) = &self.top_of_hour
            && seconds % 3600 < i64::from(spike.minutes) * 60
        {
            factor *= spike.factor;
        }
        if let Some(date) = date {
            if self.holidays.iter().any(|h| Date::parse(h) == Some(date)) {
                factor *= self.holiday;
            } else if matches!(date.weekday(), "Saturday" | "Sunday") {
                factor *= self.weekend;
            }
        }
        factor
    }

    /// The daily shape at `seconds` after midnight: linear between its points, around midnight too.
    fn daily_factor(&self, seconds: i64) -> f64 {
        let mut points: Vec<(i64, f64)> =
            self.daily.iter().filter_map(|(at, f)| Some((time_of_day(at)?, *f))).collect();
        points.sort_by_key(|p| p.0);
        let (Some(&first), Some(&last)) = (points.first(), points.last()) else { return 1.0 };
        // The segment holding `seconds`: from the last point at or before it (yesterday's last before the
        // first) to the next one (tomorrow's first after the last).
        let (from, to) = match points.iter().rposition(|p| p.0 <= seconds) {
            None => ((last.0 - 86_400, last.1), first),
            Some(k) if k + 1 == points.len() => (last, (first.0 + 86_400, first.1)),
            Some(k) => (points[k], points[k + 1]),
        };
        if to.0 == from.0 {
            return from.1;
        }
        from.1 + (to.1 - from.1) * (seconds - from.0) as f64 / (to.0 - from.0) as f64
    }
}

/// Checks the patterns against the services and the clock.
pub fn check(s: &Scenario) -> Result<(), Located> {
    let root = ValuePath::root().field("load");
    let mut services: Vec<String> = s.services.iter().map(|x| x.id.clone()).collect();
    services.sort();
    let mut shaped: Vec<(&str, &str)> = Vec::new();
    for (i, p) in s.load.iter().enumerate() {
        let here = root.index(i);
        let context = format!("load pattern {}", i + 1);
        if p.applies_to.is_empty() {
            return Err(invalid(&here.field("applies_to"), &context, "a load pattern applies to at least one metric"));
        }
        for (k, target) in p.applies_to.iter().enumerate() {
            let path = here.field("applies_to").index(k);
            known(&path.field("service"), "service", &target.service, &services, || context.clone())?;
            let mut metrics: Vec<String> = s
                .services
                .iter()
                .find(|x| x.id == target.service)
                .map(|x| x.metrics.iter().map(|m| m.name.clone()).collect())
                .unwrap_or_default();
            metrics.sort();
            known(&path.field("metric"), "metric", &target.metric, &metrics, || {
                format!("{context} (service `{}`)", target.service)
            })?;
            if shaped.contains(&(target.service.as_str(), target.metric.as_str())) {
                return Err(invalid(&path, &context, "this metric is already shaped by a load pattern"));
            }
            shaped.push((&target.service, &target.metric));
        }
        for (k, (at, factor)) in p.daily.iter().enumerate() {
            let path = here.field("daily").index(k);
            if time_of_day(at).is_none() {
                return Err(invalid(
                    &path.index(0),
                    &context,
                    format!("`{at}` is not a time of day; expected `HH:MM`"),
                ));
            }
            number(&path.index(1), &context, *factor, (0.0, MAX_VALUE), "factor")?;
        }
        if let Some(spike) = &p.top_of_hour {
            number(&here.field("top_of_hour").field("factor"), &context, spike.factor, (0.0, MAX_VALUE), "factor")?;
            if !(1..=59).contains(&spike.minutes) {
                return Err(invalid(
                    &here.field("top_of_hour").field("minutes"),
                    &context,
                    "a spike lasts 1 to 59 minutes after the hour",
                ));
            }
        }
        number(&here.field("weekend"), &context, p.weekend, (0.0, MAX_VALUE), "weekend factor")?;
        number(&here.field("holiday"), &context, p.holiday, (0.0, MAX_VALUE), "holiday factor")?;
        for (k, day) in p.holidays.iter().enumerate() {
            if Date::parse(day).is_none() {
                return Err(invalid(
                    &here.field("holidays").index(k),
                    &context,
                    format!("`{day}` is not a date; expected `YYYY-MM-DD`"),
                ));
            }
        }
        let calendar = p.weekend != 1.0 || !p.holidays.is_empty();
        if calendar && s.clock.date.is_none() {
            let field = if p.weekend != 1.0 { "weekend" } else { "holidays" };
            return Err(invalid(
                &here.field(field),
                &context,
                "weekends and holidays need the page's date; give `clock.date`",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern() -> LoadPattern {
        LoadPattern {
            applies_to: Vec::new(),
            daily: vec![("04:00".into(), 0.5), ("16:00".into(), 1.5)],
            top_of_hour: Some(HourSpike { factor: 2.0, minutes: 5 }),
            weekend: 0.6,
            holidays: vec!["2019-07-04".into()],
            holiday: 0.4,
        }
    }

    #[test]
    fn the_daily_shape_is_linear_between_its_points_and_around_midnight() {
        let p = LoadPattern { top_of_hour: None, ..pattern() };
        let at = |h: i64, m: i64| p.factor(None, h * 3600 + m * 60);
        assert_eq!(at(4, 0), 0.5);
        assert_eq!(at(10, 0), 1.0);
        assert_eq!(at(16, 0), 1.5);
        assert_eq!(at(22, 0), 1.0, "halfway from 16:00 back to 04:00");
        assert_eq!(at(1, 0), 0.75);
        assert_eq!(at(23, 60 + 60 * 4), 0.5, "the next day's 04:00");
    }

    #[test]
    fn the_hour_spikes_and_weekends_and_holidays_are_quieter() {
        let p = LoadPattern { daily: Vec::new(), ..pattern() };
        let tuesday = Date::parse("2019-07-02");
        let saturday = Date::parse("2019-07-06");
        let holiday = Date::parse("2019-07-04");
        assert_eq!(p.factor(tuesday, 10 * 3600 + 4 * 60), 2.0, "10:04 is in the spike");
        assert_eq!(p.factor(tuesday, 10 * 3600 + 5 * 60), 1.0, "10:05 is not");
        assert!((p.factor(saturday, 10 * 3600 + 30 * 60) - 0.6).abs() < 1e-12);
        assert!((p.factor(holiday, 10 * 3600 + 30 * 60) - 0.4).abs() < 1e-12, "a Thursday holiday");
        assert_eq!(LoadPattern { daily: Vec::new(), top_of_hour: None, ..pattern() }.factor(tuesday, 0), 1.0);
    }
}
