//! DSO (days sales outstanding): how long revenue waits to be collected.
//!
//! Two methods, because teams use both and they answer different questions:
//! - **countback**: start from today's receivables and walk back month by
//!   month, "paying off" the receivables with each month's revenue; the days
//!   used up are the DSO. It follows recent sales, so seasonality does not
//!   distort it.
//! - **simple** (average): receivables ÷ revenue over the last N days × N.

use crate::date::Date;

/// Revenue (invoices minus credit notes, in minor units) issued in the
/// inclusive period `start..=end`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RevenuePeriod {
    pub start: Date,
    pub end: Date,
    pub revenue_minor: i64,
}

impl RevenuePeriod {
    pub fn days(&self) -> i32 {
        self.start.days_until(self.end) + 1
    }
}

/// The countback periods ending at `as_of`: the current month up to and
/// including `as_of`, then `months - 1` full calendar months before it.
pub fn countback_periods(as_of: Date, months: u32) -> Vec<(Date, Date)> {
    let mut periods = Vec::with_capacity(months as usize);
    let mut start = as_of.first_of_month();
    let mut end = as_of;
    for _ in 0..months {
        periods.push((start, end));
        end = start.add_days(-1);
        start = end.first_of_month();
    }
    periods
}

/// Result of the countback method.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Countback {
    pub days: f64,
    /// True when the receivables were larger than all revenue in the history
    /// given: the DSO is then at least `days`.
    pub exceeds_history: bool,
}

/// DSO by the countback method over `periods`, newest first.
pub fn dso_countback(receivables_minor: i64, periods: &[RevenuePeriod]) -> Countback {
    let mut remaining = receivables_minor.max(0);
    let mut days = 0.0;
    for period in periods {
        if remaining == 0 {
            break;
        }
        let period_days = f64::from(period.days());
        if period.revenue_minor <= 0 {
            days += period_days;
        } else if remaining >= period.revenue_minor {
            days += period_days;
            remaining -= period.revenue_minor;
        } else {
            days += period_days * remaining as f64 / period.revenue_minor as f64;
            remaining = 0;
        }
    }
    Countback {
        days,
        exceeds_history: remaining > 0,
    }
}

/// DSO by the simple method; `None` when there was no revenue in the period.
pub fn dso_simple(receivables_minor: i64, revenue_minor: i64, period_days: u32) -> Option<f64> {
    if revenue_minor <= 0 {
        return None;
    }
    Some(receivables_minor.max(0) as f64 / revenue_minor as f64 * f64::from(period_days))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse_iso(s).unwrap()
    }

    #[test]
    fn periods_walk_back_by_calendar_month() {
        let periods = countback_periods(d("2026-03-10"), 3);
        assert_eq!(
            periods,
            vec![
                (d("2026-03-01"), d("2026-03-10")),
                (d("2026-02-01"), d("2026-02-28")),
                (d("2026-01-01"), d("2026-01-31")),
            ]
        );
    }

    #[test]
    fn countback_textbook_example() {
        // Receivables 250; revenue 100 (30 days), 100 (31 days), 100 (30 days):
        // 30 + 31 + 0.5 × 30 = 76 days.
        let periods = [
            RevenuePeriod {
                start: d("2026-06-01"),
                end: d("2026-06-30"),
                revenue_minor: 100,
            },
            RevenuePeriod {
                start: d("2026-05-01"),
                end: d("2026-05-31"),
                revenue_minor: 100,
            },
            RevenuePeriod {
                start: d("2026-04-01"),
                end: d("2026-04-30"),
                revenue_minor: 100,
            },
        ];
        let result = dso_countback(250, &periods);
        assert!((result.days - 76.0).abs() < 1e-9);
        assert!(!result.exceeds_history);
        let result = dso_countback(400, &periods);
        assert!((result.days - 91.0).abs() < 1e-9);
        assert!(result.exceeds_history);
        assert_eq!(dso_countback(0, &periods).days, 0.0);
    }

    #[test]
    fn simple_method() {
        assert_eq!(dso_simple(50, 300, 90), Some(15.0));
        assert_eq!(dso_simple(50, 0, 90), None);
    }
}
