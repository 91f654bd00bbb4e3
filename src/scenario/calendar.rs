//! The page's calendar date: parsing `YYYY-MM-DD`, the weekday, and the date a number of days later (for a
//! drill that runs past midnight). Proleptic Gregorian, by days since 1970-01-01.

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date {
    /// Days since 1970-01-01 (negative before).
    days: i64,
}

const WEEKDAYS: [&str; 7] = ["Thursday", "Friday", "Saturday", "Sunday", "Monday", "Tuesday", "Wednesday"];

impl Date {
    /// Parses `YYYY-MM-DD` (a real day of a year 1900..=2999).
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let (y, m, d) = (y.parse::<i64>().ok()?, m.parse::<i64>().ok()?, d.parse::<i64>().ok()?);
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        if !(1900..=2999).contains(&y) || !(1..=12).contains(&m) || d < 1 || d > month_days[(m - 1) as usize] {
            return None;
        }
        // Howard Hinnant's days_from_civil.
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Date { days: era * 146_097 + doe - 719_468 })
    }

    /// The date `n` days later (earlier when negative).
    pub fn plus_days(self, n: i64) -> Date {
        Date { days: self.days + n }
    }

    /// `Tuesday`.
    pub fn weekday(self) -> &'static str {
        WEEKDAYS[self.days.rem_euclid(7) as usize]
    }

    /// `2019-07-02`.
    pub fn iso(self) -> String {
        let z = self.days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        format!("{y:04}-{m:02}-{d:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::Date;

    #[test]
    fn weekdays_and_dates_are_the_calendar_s() {
        let d = |t: &str| Date::parse(t).unwrap_or_else(|| panic!("{t}"));
        assert_eq!(d("2019-07-02").weekday(), "Tuesday");
        assert_eq!(d("2017-02-28").weekday(), "Tuesday");
        assert_eq!(d("1970-01-01").weekday(), "Thursday");
        assert_eq!(d("2000-02-29").weekday(), "Tuesday");
        assert_eq!(d("2026-11-25").weekday(), "Wednesday");
        assert_eq!(d("2017-02-28").plus_days(1).iso(), "2017-03-01");
        assert_eq!(d("2016-02-28").plus_days(1).iso(), "2016-02-29");
        assert_eq!(d("2019-12-31").plus_days(1).iso(), "2020-01-01");
        assert_eq!(d("2019-07-02").plus_days(-1).iso(), "2019-07-01");
        for bad in ["2019-02-29", "2019-13-01", "2019-7-2", "19-07-02", "2019-07-02x", "1800-01-01", ""] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
    }
}
