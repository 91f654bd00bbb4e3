//! The spin: a seeded, weighted draw of the next volunteer (unless one is named) and of their scenario, with
//! the reason for every weight so the choice can be explained and argued with.

use super::roster::unknown_person;
use super::{History, Level, Roster, WheelError, WheelErrorKind};
use crate::scenario::{Difficulty, Meta};
use chrono::{DateTime, Utc};
use rand::SeedableRng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;

/// A scenario the wheel can land on: only what the wheel may know, never the story.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// The scenario id (what `wom play` takes).
    pub id: String,
    /// How hard it is.
    pub difficulty: Difficulty,
    /// Its tags.
    pub tags: Vec<String>,
}

impl From<&Meta> for Candidate {
    fn from(meta: &Meta) -> Candidate {
        Candidate { id: meta.id.clone(), difficulty: meta.difficulty, tags: meta.tags.clone() }
    }
}

/// What to spin for.
#[derive(Clone, Debug, Default)]
pub struct SpinRequest {
    /// The volunteer; when `None` the wheel picks one from the roster.
    pub person: Option<String>,
    /// Only scenarios with this tag.
    pub tag: Option<String>,
    /// The level to aim for instead of the person's own.
    pub level: Option<Level>,
    /// The seed of the draw.
    pub seed: u64,
}

/// One slice of a wheel: who or what, its chance, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Slice {
    /// The person's name or the scenario id.
    pub name: String,
    /// Chance of landing here, 0 to 1.
    pub chance: f64,
    /// Why it weighs what it weighs.
    pub reasons: Vec<String>,
}

/// Where the wheel landed, with both wheels' slices.
#[derive(Clone, Debug, PartialEq)]
pub struct Pick {
    /// Who plays (None when the roster is empty and no one was named).
    pub person: Option<String>,
    /// The level aimed for, and where it came from.
    pub level: Option<(Level, String)>,
    /// The people's wheel, when the wheel chose the person.
    pub people: Vec<Slice>,
    /// The scenario chosen.
    pub scenario: String,
    /// The scenarios' wheel.
    pub scenarios: Vec<Slice>,
    /// The seed of the draw.
    pub seed: u64,
}

/// Spins the wheel. The same inputs and seed always land on the same pick.
pub fn spin(
    candidates: &[Candidate],
    roster: &Roster,
    history: &History,
    now: DateTime<Utc>,
    request: &SpinRequest,
) -> Result<Pick, WheelError> {
    let mut rng = rand_pcg::Pcg64::seed_from_u64(request.seed);
    let (person, people) = match &request.person {
        Some(name) => {
            if roster.get(name).is_none() && history.of(name).next().is_none() {
                let mut known = roster.names();
                known.extend(history.people().into_iter().filter(|p| roster.get(p).is_none()));
                return Err(unknown_person(name, known));
            }
            (Some(name.clone()), Vec::new())
        }
        None if roster.engineers.is_empty() => (None, Vec::new()),
        None => {
            let people = people_slices(roster, history, now);
            let at = draw(&people, &mut rng);
            (Some(people[at].name.clone()), people)
        }
    };
    let level = match (request.level, person.as_deref().and_then(|p| roster.get(p))) {
        (Some(level), _) => Some((level, "asked for".to_string())),
        (None, Some(e)) => Some((e.level, format!("{}'s level", e.name))),
        (None, None) => None,
    };
    let pool: Vec<&Candidate> = match &request.tag {
        Some(tag) => {
            let pool: Vec<&Candidate> = candidates.iter().filter(|c| c.tags.contains(tag)).collect();
            if pool.is_empty() {
                let mut tags: Vec<String> = candidates.iter().flat_map(|c| c.tags.iter().cloned()).collect();
                tags.sort();
                tags.dedup();
                let closest = crate::scenario::closest(tag, &tags).map(str::to_string);
                return Err(WheelError::new(WheelErrorKind::UnknownTag { tag: tag.clone(), closest }));
            }
            pool
        }
        None => candidates.iter().collect(),
    };
    if pool.is_empty() {
        return Err(WheelError::new(WheelErrorKind::NothingToPick { why: "no scenarios".into() }));
    }
    let scenarios = scenario_slices(&pool, person.as_deref(), level.as_ref().map(|(l, _)| *l), history, now, request);
    let at = draw(&scenarios, &mut rng);
    Ok(Pick { person, level, people, scenario: scenarios[at].name.clone(), scenarios, seed: request.seed })
}

/// Draws a slice by its chance.
fn draw(slices: &[Slice], rng: &mut rand_pcg::Pcg64) -> usize {
    match WeightedIndex::new(slices.iter().map(|s| s.chance)) {
        Ok(index) => index.sample(rng),
        // Every weight is positive by construction; fall back to the first rather than panic.
        Err(_) => 0,
    }
}

/// Turns weights into chances.
fn normalise(mut slices: Vec<Slice>, weights: &[f64]) -> Vec<Slice> {
    let total: f64 = weights.iter().sum();
    for (s, w) in slices.iter_mut().zip(weights) {
        s.chance = if total > 0.0 { w / total } else { 1.0 / weights.len() as f64 };
    }
    slices
}

fn days_since(date: Option<DateTime<Utc>>, now: DateTime<Utc>) -> f64 {
    date.map_or(0.0, |d| ((now - d).num_minutes().max(0) as f64) / 1440.0)
}

fn days_label(days: f64) -> String {
    match days.floor() as i64 {
        0 => "today".to_string(),
        1 => "yesterday".to_string(),
        n => format!("{n} days ago"),
    }
}

/// Everyone on the roster, those who never played first, then by time since their last drill.
fn people_slices(roster: &Roster, history: &History, now: DateTime<Utc>) -> Vec<Slice> {
    let never: Vec<&str> =
        roster.engineers.iter().map(|e| e.name.as_str()).filter(|n| history.of(n).next().is_none()).collect();
    let mut slices = Vec::new();
    let mut weights = Vec::new();
    for e in &roster.engineers {
        let last = history.of(&e.name).filter_map(|d| d.when()).max();
        let (weight, why) = match last {
            None => (1.0, "has not played a drill yet".to_string()),
            // Someone who never played goes first.
            Some(_) if !never.is_empty() => continue,
            Some(d) => {
                let days = days_since(Some(d), now);
                (1.0 + days.min(90.0), format!("last played {}", days_label(days)))
            }
        };
        slices.push(Slice { name: e.name.clone(), chance: 0.0, reasons: vec![why] });
        weights.push(weight);
    }
    normalise(slices, &weights)
}

fn rank(d: Difficulty) -> i32 {
    match d {
        Difficulty::Easy => 0,
        Difficulty::Medium => 1,
        Difficulty::Hard => 2,
    }
}

fn scenario_slices(
    pool: &[&Candidate],
    person: Option<&str>,
    level: Option<Level>,
    history: &History,
    now: DateTime<Utc>,
    request: &SpinRequest,
) -> Vec<Slice> {
    let played = |id: &str| -> Option<DateTime<Utc>> {
        history
            .drills
            .iter()
            .filter(|d| d.scenario == id && person.is_none_or(|p| d.who == p))
            .filter_map(|d| d.when())
            .max()
    };
    let played_by: Vec<bool> = pool
        .iter()
        .map(|c| history.drills.iter().any(|d| d.scenario == c.id && person.is_none_or(|p| d.who == p)))
        .collect();
    let any_unplayed = played_by.iter().any(|p| !p);
    let seen_tags: Vec<&String> = match person {
        Some(p) => {
            history.of(p).filter_map(|d| pool.iter().find(|c| c.id == d.scenario)).flat_map(|c| c.tags.iter()).collect()
        }
        None => Vec::new(),
    };
    let who = person.unwrap_or("anyone");
    let mut slices = Vec::new();
    let mut weights = Vec::new();
    for (c, was_played) in pool.iter().zip(&played_by) {
        // Unplayed first: once something is unplayed, what was played stays off the wheel.
        if *was_played && any_unplayed {
            continue;
        }
        let mut weight = 1.0;
        let mut reasons = Vec::new();
        if *was_played {
            let days = days_since(played(&c.id), now);
            weight *= 1.0 + days.min(90.0) / 7.0;
            reasons.push(format!("{who} last played it {}", days_label(days)));
        } else {
            reasons.push(format!("not yet played by {who}"));
        }
        if let Some(level) = level {
            let steps = (rank(c.difficulty) - rank(level.difficulty())).abs();
            weight *= [1.0, 0.3, 0.1][steps as usize];
            let relation = match rank(c.difficulty) - rank(level.difficulty()) {
                0 => "suits",
                1 => "is a step above",
                2 => "is two steps above",
                -1 => "is a step below",
                _ => "is two steps below",
            };
            reasons.push(format!("{} {relation} {} {}", c.difficulty, article(level), level.label()));
        }
        match &request.tag {
            Some(tag) => reasons.push(format!("tagged `{tag}`")),
            None if person.is_some() && !c.tags.is_empty() => {
                let new = c.tags.iter().filter(|t| !seen_tags.contains(t)).count();
                weight *= 1.0 + new as f64 / c.tags.len() as f64;
                reasons.push(format!("{new} of {} topics new to {who}", c.tags.len()));
            }
            None => {}
        }
        slices.push(Slice { name: c.id.clone(), chance: 0.0, reasons });
        weights.push(weight);
    }
    normalise(slices, &weights)
}

fn article(level: Level) -> &'static str {
    match level {
        Level::IncidentCommander => "an",
        _ => "a",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wheel::Played;

    fn candidates() -> Vec<Candidate> {
        vec![
            Candidate { id: "easy-one".into(), difficulty: Difficulty::Easy, tags: vec!["db".into()] },
            Candidate { id: "medium-one".into(), difficulty: Difficulty::Medium, tags: vec!["net".into()] },
            Candidate { id: "hard-one".into(), difficulty: Difficulty::Hard, tags: vec!["db".into()] },
        ]
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z").unwrap().with_timezone(&Utc)
    }

    fn played(who: &str, scenario: &str, date: &str) -> Played {
        Played { date: date.into(), who: who.into(), scenario: scenario.into(), seed: 1, score: 50, max: 100, gm: None }
    }

    fn roster() -> Roster {
        let mut r = Roster::default();
        r.add("ada", Level::NewHire).unwrap();
        r.add("bob", Level::IncidentCommander).unwrap();
        r
    }

    #[test]
    fn unplayed_scenarios_come_first_and_difficulty_follows_the_level() {
        let history = History { drills: vec![played("ada", "easy-one", "2026-11-20T10:00:00Z")] };
        let request = SpinRequest { person: Some("ada".into()), seed: 3, ..SpinRequest::default() };
        let pick = spin(&candidates(), &roster(), &history, now(), &request).unwrap();
        let names: Vec<&str> = pick.scenarios.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, vec!["medium-one", "hard-one"], "the played one is off the wheel");
        assert!(pick.scenarios[0].chance > 0.7, "{pick:?}");
        assert_eq!(pick.scenarios[1].reasons[1], "Hard is two steps above a new hire");
        assert_eq!(pick.level, Some((Level::NewHire, "ada's level".to_string())));
    }

    #[test]
    fn same_seed_same_pick_and_seeds_cover_the_wheel() {
        let request = |seed| SpinRequest { seed, ..SpinRequest::default() };
        let history = History::default();
        let a = spin(&candidates(), &roster(), &history, now(), &request(9)).unwrap();
        let b = spin(&candidates(), &roster(), &history, now(), &request(9)).unwrap();
        assert_eq!(a, b);
        let landed: std::collections::BTreeSet<String> =
            (0..200).map(|s| spin(&candidates(), &roster(), &history, now(), &request(s)).unwrap().scenario).collect();
        assert_eq!(landed.len(), 3, "every scenario can come up");
    }

    #[test]
    fn who_never_played_is_picked_before_anyone_who_did() {
        let history = History { drills: vec![played("ada", "easy-one", "2026-01-01T10:00:00Z")] };
        for seed in 0..20 {
            let pick = spin(&candidates(), &roster(), &history, now(), &SpinRequest { seed, ..Default::default() });
            assert_eq!(pick.unwrap().person.as_deref(), Some("bob"));
        }
    }

    #[test]
    fn a_long_unplayed_scenario_weighs_more() {
        let history = History {
            drills: vec![
                played("ada", "easy-one", "2026-11-25T09:00:00Z"),
                played("ada", "medium-one", "2026-09-01T09:00:00Z"),
                played("ada", "hard-one", "2026-11-25T09:00:00Z"),
            ],
        };
        let request =
            SpinRequest { person: Some("ada".into()), level: Some(Level::OnCall), seed: 1, ..Default::default() };
        let pick = spin(&candidates(), &roster(), &history, now(), &request).unwrap();
        assert_eq!(pick.scenarios[1].reasons[0], "ada last played it 85 days ago");
        assert!(pick.scenarios[1].chance > 0.8, "{pick:?}");
        assert_eq!(pick.level, Some((Level::OnCall, "asked for".to_string())));
    }

    #[test]
    fn tags_filter_and_unknown_names_get_candidates() {
        let request = SpinRequest { tag: Some("db".into()), ..Default::default() };
        let pick = spin(&candidates(), &Roster::default(), &History::default(), now(), &request).unwrap();
        assert!(pick.scenarios.iter().all(|s| s.name != "medium-one"));
        assert_eq!(pick.person, None);
        let request = SpinRequest { tag: Some("dbb".into()), ..Default::default() };
        let err = spin(&candidates(), &roster(), &History::default(), now(), &request).unwrap_err();
        assert_eq!(err.to_string(), "no scenario is tagged `dbb`; did you mean `db`?");
        let request = SpinRequest { person: Some("adaa".into()), ..Default::default() };
        let err = spin(&candidates(), &roster(), &History::default(), now(), &request).unwrap_err();
        assert_eq!(err.to_string(), "nobody called `adaa` is on the roster or in the history; did you mean `ada`?");
    }
}
