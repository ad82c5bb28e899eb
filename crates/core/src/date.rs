//! Calendar dates without a clock or a time zone.
//!
//! A [`Date`] is a day count since 1970-01-01, so it is `Copy`, four bytes,
//! and subtracting two dates is an integer subtraction. That matters when an
//! aging report walks a million invoices. The core never asks what day it is:
//! every date-dependent function takes the "as of" date as a parameter.

use std::fmt;

/// A proleptic Gregorian calendar date.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i32);

/// Why a text could not be read as a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateError {
    pub input: String,
    pub reason: &'static str,
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid date '{}': {}", self.input, self.reason)
    }
}

impl std::error::Error for DateError {}

/// Day of the week, Monday first (ISO 8601).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Date {
    /// The smallest and largest years we accept; wide enough for any ledger.
    const MIN_YEAR: i32 = 1900;
    const MAX_YEAR: i32 = 2999;

    /// Builds a date from year, month (1–12) and day (1–31), or `None` when no
    /// such day exists.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(Self::MIN_YEAR..=Self::MAX_YEAR).contains(&year)
            || !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
        {
            return None;
        }
        Some(Date(days_from_civil(year, month, day)))
    }

    /// The date `days` days after 1970-01-01 (negative: before).
    pub fn from_days_since_epoch(days: i32) -> Date {
        Date(days)
    }

    /// Days since 1970-01-01; the representation used by the store.
    pub fn days_since_epoch(self) -> i32 {
        self.0
    }

    pub fn year(self) -> i32 {
        civil_from_days(self.0).0
    }

    pub fn month(self) -> u32 {
        civil_from_days(self.0).1
    }

    pub fn day(self) -> u32 {
        civil_from_days(self.0).2
    }

    /// `(year, month, day)` in one conversion.
    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.0)
    }

    pub fn add_days(self, days: i32) -> Date {
        Date(self.0 + days)
    }

    /// Days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Date) -> i32 {
        later.0 - self.0
    }

    /// The same day `months` months later, clamped to the end of a shorter
    /// month (31 January + 1 month = 28 or 29 February).
    pub fn add_months(self, months: i32) -> Date {
        let (y, m, d) = self.ymd();
        let index = y * 12 + (m as i32 - 1) + months;
        let year = index.div_euclid(12);
        let month = index.rem_euclid(12) as u32 + 1;
        let day = d.min(days_in_month(year, month));
        Date(days_from_civil(year, month, day))
    }

    /// The same day-of-year `years` years later (29 February becomes 28 February).
    pub fn add_years(self, years: i32) -> Date {
        self.add_months(years * 12)
    }

    pub fn first_of_month(self) -> Date {
        let (y, m, _) = self.ymd();
        Date(days_from_civil(y, m, 1))
    }

    pub fn days_in_month(self) -> u32 {
        let (y, m, _) = self.ymd();
        days_in_month(y, m)
    }

    pub fn weekday(self) -> Weekday {
        // 1970-01-01 was a Thursday.
        match (self.0 + 3).rem_euclid(7) {
            0 => Weekday::Monday,
            1 => Weekday::Tuesday,
            2 => Weekday::Wednesday,
            3 => Weekday::Thursday,
            4 => Weekday::Friday,
            5 => Weekday::Saturday,
            _ => Weekday::Sunday,
        }
    }

    pub fn is_weekend(self) -> bool {
        matches!(self.weekday(), Weekday::Saturday | Weekday::Sunday)
    }

    /// The `n`th working day (Monday–Friday) after `self`; public holidays are
    /// not modelled.
    pub fn add_working_days(self, n: u32) -> Date {
        let mut date = self;
        let mut left = n;
        while left > 0 {
            date = date.add_days(1);
            if !date.is_weekend() {
                left -= 1;
            }
        }
        date
    }

    /// Reads `YYYY-MM-DD`.
    pub fn parse_iso(text: &str) -> Result<Date, DateError> {
        let error = |reason| DateError {
            input: text.to_string(),
            reason,
        };
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(error("expected YYYY-MM-DD"));
        }
        let year = digits(&bytes[0..4]).ok_or_else(|| error("expected YYYY-MM-DD"))?;
        let month = digits(&bytes[5..7]).ok_or_else(|| error("expected YYYY-MM-DD"))?;
        let day = digits(&bytes[8..10]).ok_or_else(|| error("expected YYYY-MM-DD"))?;
        Date::from_ymd(year as i32, month, day).ok_or_else(|| error("no such day"))
    }

    /// Reads `YYYY-MM-DD`, or the Dutch `DD-MM-YYYY` (also with `/` or `.`
    /// between the parts). The four-digit year makes the two unambiguous.
    pub fn parse_lenient(text: &str) -> Result<Date, DateError> {
        let text = text.trim();
        let bytes = text.as_bytes();
        if bytes.len() == 10 && bytes[4] == b'-' {
            return Date::parse_iso(text);
        }
        let error = |reason| DateError {
            input: text.to_string(),
            reason,
        };
        let expected = "expected YYYY-MM-DD or DD-MM-YYYY";
        if bytes.len() != 10 || !matches!(bytes[2], b'-' | b'/' | b'.') || bytes[5] != bytes[2] {
            return Err(error(expected));
        }
        let day = digits(&bytes[0..2]).ok_or_else(|| error(expected))?;
        let month = digits(&bytes[3..5]).ok_or_else(|| error(expected))?;
        let year = digits(&bytes[6..10]).ok_or_else(|| error(expected))?;
        Date::from_ymd(year as i32, month, day).ok_or_else(|| error("no such day"))
    }
}

fn digits(bytes: &[u8]) -> Option<u32> {
    let mut value = 0u32;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u32::from(b - b'0');
    }
    Some(value)
}

pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

// Howard Hinnant's `days_from_civil` / `civil_from_days` algorithms.
fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i32::from(month <= 2);
    (year, month, day)
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::str::FromStr for Date {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Date, DateError> {
        Date::parse_iso(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Date {
        Date::parse_iso(s).unwrap()
    }

    #[test]
    fn epoch_and_known_days() {
        assert_eq!(d("1970-01-01").days_since_epoch(), 0);
        assert_eq!(d("2000-03-01").days_since_epoch(), 11_017);
        assert_eq!(d("2026-11-25").weekday(), Weekday::Wednesday);
        assert_eq!(d("2024-02-29").add_years(1), d("2025-02-28"));
        assert_eq!(d("2025-01-31").add_months(1), d("2025-02-28"));
        assert_eq!(d("2025-12-15").add_months(1), d("2026-01-15"));
        assert_eq!(d("2025-01-15").add_months(-1), d("2024-12-15"));
    }

    #[test]
    fn lenient_parsing() {
        assert_eq!(Date::parse_lenient("25-11-2026").unwrap(), d("2026-11-25"));
        assert_eq!(Date::parse_lenient("25/11/2026").unwrap(), d("2026-11-25"));
        assert_eq!(
            Date::parse_lenient(" 2026-11-25 ").unwrap(),
            d("2026-11-25")
        );
        assert!(Date::parse_lenient("2026-02-30").is_err());
        assert!(Date::parse_lenient("25-11/2026").is_err());
        assert!(Date::parse_lenient("11/25/26").is_err());
        let err = Date::parse_lenient("31-04-2026").unwrap_err();
        assert_eq!(err.to_string(), "invalid date '31-04-2026': no such day");
    }

    #[test]
    fn working_days_skip_weekends() {
        // Friday + 1 working day = Monday.
        assert_eq!(d("2026-11-27").add_working_days(1), d("2026-11-30"));
        assert_eq!(d("2026-11-25").add_working_days(2), d("2026-11-27"));
    }

    proptest! {
        #[test]
        fn civil_round_trip(days in -25_000i32..300_000) {
            let date = Date::from_days_since_epoch(days);
            let (y, m, dd) = date.ymd();
            prop_assert_eq!(Date::from_ymd(y, m, dd), Some(date));
            prop_assert_eq!(Date::parse_iso(&date.to_string()), Ok(date));
        }

        #[test]
        fn next_day_is_a_valid_successor(days in -25_000i32..300_000) {
            let (y, m, dd) = Date::from_days_since_epoch(days).ymd();
            let (y2, m2, d2) = Date::from_days_since_epoch(days + 1).ymd();
            let same_month = y2 == y && m2 == m && d2 == dd + 1;
            let next_month = d2 == 1 && dd == days_in_month(y, m)
                && ((m < 12 && y2 == y && m2 == m + 1) || (m == 12 && y2 == y + 1 && m2 == 1));
            prop_assert!(same_month || next_month);
        }
    }
}
