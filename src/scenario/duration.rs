//! Simulated durations and offsets written as `90s`, `5m`, `1h30m` or `-25m`.

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use std::fmt;

/// A signed span of simulated time, in whole seconds.
///
/// As a scenario offset it counts from the page (the moment the drill starts): negative values lie in
/// the history before the volunteer was paged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub i64);

impl SimDuration {
    /// The zero duration.
    pub const ZERO: SimDuration = SimDuration(0);

    /// A duration of `n` minutes.
    pub const fn minutes(n: i64) -> SimDuration {
        SimDuration(n * 60)
    }

    /// Whole seconds.
    pub const fn secs(self) -> i64 {
        self.0
    }

    /// Parses `90s`, `5m`, `1h30m`, `2d`, `-25m`; a bare number counts seconds.
    pub fn parse(text: &str) -> Result<SimDuration, DurationError> {
        let error = |kind| DurationError { text: text.to_string(), kind };
        let trimmed = text.trim();
        let (negative, body) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
        };
        if body.is_empty() {
            return Err(error(DurationErrorKind::Empty));
        }
        if body.bytes().all(|b| b.is_ascii_digit()) {
            let secs: i64 = body.parse().map_err(|_| error(DurationErrorKind::TooLarge))?;
            return Ok(SimDuration(if negative { -secs } else { secs }));
        }
        let mut total: i64 = 0;
        let mut digits = String::new();
        for ch in body.chars() {
            if ch.is_ascii_digit() {
                digits.push(ch);
                continue;
            }
            let unit = match ch {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                _ => return Err(error(DurationErrorKind::UnknownUnit(ch))),
            };
            if digits.is_empty() {
                return Err(error(DurationErrorKind::NumberMissing(ch)));
            }
            let n: i64 = digits.parse().map_err(|_| error(DurationErrorKind::TooLarge))?;
            total = n
                .checked_mul(unit)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(|| error(DurationErrorKind::TooLarge))?;
            digits.clear();
        }
        if !digits.is_empty() {
            return Err(error(DurationErrorKind::UnitMissing(digits)));
        }
        Ok(SimDuration(if negative { -total } else { total }))
    }
}

/// Text that is not a duration: what was written and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DurationError {
    /// The text as written.
    pub text: String,
    /// What is wrong.
    pub kind: DurationErrorKind,
}

/// What is wrong with a duration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DurationErrorKind {
    /// Nothing but a sign.
    Empty,
    /// More seconds than fit.
    TooLarge,
    /// A letter that is not `s`, `m`, `h` or `d`.
    UnknownUnit(char),
    /// A unit with no number before it.
    NumberMissing(char),
    /// Trailing digits with no unit.
    UnitMissing(String),
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = &self.text;
        match &self.kind {
            DurationErrorKind::Empty => {
                write!(f, "`{text}` is not a duration; expected something like `90s`, `5m` or `1h30m`")
            }
            DurationErrorKind::TooLarge => write!(f, "`{text}` is too large"),
            DurationErrorKind::UnknownUnit(ch) => {
                write!(f, "`{text}` is not a duration: unknown unit `{ch}`; expected `s`, `m`, `h` or `d`")
            }
            DurationErrorKind::NumberMissing(ch) => {
                write!(f, "`{text}` is not a duration: a number must come before `{ch}`")
            }
            DurationErrorKind::UnitMissing(digits) => {
                write!(f, "`{text}` is not a duration: `{digits}` needs a unit (`s`, `m`, `h` or `d`)")
            }
        }
    }
}

impl std::error::Error for DurationError {}

impl fmt::Display for SimDuration {
    /// Compact form that [`SimDuration::parse`] reads back: `-1h5m`, `30s`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0.unsigned_abs();
        if rest == 0 {
            return f.write_str("0s");
        }
        if self.0 < 0 {
            f.write_str("-")?;
        }
        for (unit, suffix) in [(86_400, 'd'), (3600, 'h'), (60, 'm'), (1, 's')] {
            if rest >= unit {
                write!(f, "{}{suffix}", rest / unit)?;
                rest %= unit;
            }
        }
        Ok(())
    }
}

impl Serialize for SimDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SimDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = SimDuration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as \"90s\", \"5m\" or \"-1h30m\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SimDuration, E> {
                SimDuration::parse(v).map_err(E::custom).and_then(bounded)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<SimDuration, E> {
                bounded(SimDuration(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<SimDuration, E> {
                i64::try_from(v).map_err(|_| E::custom("duration too large")).and_then(|v| bounded(SimDuration(v)))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// The longest span a scenario may write anywhere (a year), so no arithmetic on durations can overflow;
/// validation sets tighter limits where a value costs time or memory.
pub const MAX_SCENARIO_DURATION: SimDuration = SimDuration(366 * 86_400);

fn bounded<E: de::Error>(d: SimDuration) -> Result<SimDuration, E> {
    if d.0.abs() > MAX_SCENARIO_DURATION.0 {
        return Err(E::custom(format!(
            "duration `{d}` is longer than {MAX_SCENARIO_DURATION}, the longest a scenario can use"
        )));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::SimDuration;

    #[test]
    fn parses_units_and_signs() {
        assert_eq!(SimDuration::parse("90s"), Ok(SimDuration(90)));
        assert_eq!(SimDuration::parse("1h30m"), Ok(SimDuration(5400)));
        assert_eq!(SimDuration::parse("-25m"), Ok(SimDuration(-1500)));
        assert_eq!(SimDuration::parse("2d"), Ok(SimDuration(172_800)));
        assert_eq!(SimDuration::parse("45"), Ok(SimDuration(45)));
    }

    #[test]
    fn rejects_bad_text() {
        assert!(SimDuration::parse("5x").unwrap_err().to_string().contains("unknown unit `x`"));
        assert!(SimDuration::parse("m").unwrap_err().to_string().contains("a number must come before"));
        assert!(SimDuration::parse("5m3").unwrap_err().to_string().contains("needs a unit"));
        assert!(SimDuration::parse("").is_err());
    }

    #[test]
    fn display_round_trips() {
        for secs in [0, 59, 60, 3661, -1500, 90_000] {
            let d = SimDuration(secs);
            assert_eq!(SimDuration::parse(&d.to_string()), Ok(d));
        }
    }
}
