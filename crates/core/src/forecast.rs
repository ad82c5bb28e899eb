//! The cash-in forecast: when will each open invoice be paid? Learned from
//! the company's own history — how many days after the due date each
//! customer paid — with the pooled history of all customers where a
//! customer has too little of their own. Pure: the app gathers the
//! history and the open invoices.
//!
//! For an open invoice the expected payment day is its due date plus the
//! median days late of the history that applies (never before today);
//! the spread is the 25th and 75th percentile. A promise or plan replaces
//! it with its own dates; a customer handed to the agency is expected
//! never to pay through us.

use crate::Date;

/// A customer needs this many settled invoices for their own history to
/// count; with fewer, the pooled history of all customers is used.
pub const MIN_OWN_HISTORY: usize = 3;

/// Days late (negative: early) of settled invoices, sorted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    days_late: Vec<i32>,
}

impl History {
    pub fn from_days(mut days_late: Vec<i32>) -> History {
        days_late.sort_unstable();
        History { days_late }
    }

    pub fn len(&self) -> usize {
        self.days_late.len()
    }

    pub fn is_empty(&self) -> bool {
        self.days_late.is_empty()
    }

    /// The `q` quantile (0–1), by linear interpolation; 0 when empty.
    pub fn quantile(&self, q: f64) -> f64 {
        let d = &self.days_late;
        match d.len() {
            0 => 0.0,
            1 => f64::from(d[0]),
            n => {
                let at = q.clamp(0.0, 1.0) * (n - 1) as f64;
                let (i, frac) = (at.floor() as usize, at - at.floor());
                let next = d[(i + 1).min(n - 1)];
                f64::from(d[i]) + frac * f64::from(next - d[i])
            }
        }
    }
}

/// Which history to use: the customer's own when long enough.
pub fn history_for<'a>(own: Option<&'a History>, pooled: &'a History) -> &'a History {
    match own {
        Some(h) if h.len() >= MIN_OWN_HISTORY => h,
        _ => pooled,
    }
}

/// When an invoice due on `due` is expected to be paid, seen on `as_of`:
/// (expected, early, late) — the median and the 25th and 75th percentile
/// of `history` after the due date. An invoice already later than some of
/// the history is compared only with the invoices that were at least as
/// late (they are the ones it now resembles); later than all of them, it is
/// expected a week on. Never before `as_of`.
pub fn expect(due: Date, as_of: Date, history: &History) -> (Date, Date, Date) {
    let elapsed = due.days_until(as_of);
    let tail = if elapsed > 0 {
        let from = history.days_late.partition_point(|d| *d < elapsed);
        &history.days_late[from..]
    } else {
        &history.days_late[..]
    };
    if tail.is_empty() && !history.is_empty() {
        let day = as_of.add_days(7);
        return (day, as_of, as_of.add_days(14));
    }
    let tail = History {
        days_late: tail.to_vec(),
    };
    let at = |q: f64| due.add_days(tail.quantile(q).round() as i32).max(as_of);
    (at(0.5), at(0.25), at(0.75))
}

/// The days an invoice is expected to be paid on, with a share each: the
/// 10th, 30th, 50th, 70th and 90th percentile of the same history as
/// [`expect`], a fifth each — for cash per week, where spreading each
/// invoice over its likely days predicts the total better than its single
/// most likely day.
pub fn spread(due: Date, as_of: Date, history: &History) -> [(Date, f64); 5] {
    let elapsed = due.days_until(as_of);
    let from = if elapsed > 0 {
        history.days_late.partition_point(|d| *d < elapsed)
    } else {
        0
    };
    let tail = &history.days_late[from..];
    if tail.is_empty() && !history.is_empty() {
        return [7, 7, 7, 14, 21].map(|days| (as_of.add_days(days), 0.2));
    }
    let tail = History {
        days_late: tail.to_vec(),
    };
    [0.1, 0.3, 0.5, 0.7, 0.9].map(|q| {
        (
            due.add_days(tail.quantile(q).round() as i32).max(as_of),
            0.2,
        )
    })
}

/// A settled invoice as history: its customer's key, due date and the day
/// it was paid in full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settled<K> {
    pub customer: K,
    pub due: Date,
    pub paid_on: Date,
}

/// The histories known on `cutoff`: only invoices paid in full on or
/// before it count (a backtest must not learn from what came later).
pub fn fit<K: Copy + Eq + std::hash::Hash>(
    settled: &[Settled<K>],
    cutoff: Date,
) -> (std::collections::HashMap<K, History>, History) {
    let mut own: std::collections::HashMap<K, Vec<i32>> = std::collections::HashMap::new();
    let mut pooled = Vec::new();
    for s in settled.iter().filter(|s| s.paid_on <= cutoff) {
        let late = s.due.days_until(s.paid_on);
        own.entry(s.customer).or_default().push(late);
        pooled.push(late);
    }
    (
        own.into_iter()
            .map(|(k, v)| (k, History::from_days(v)))
            .collect(),
        History::from_days(pooled),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        Date::parse_iso(text).unwrap()
    }

    #[test]
    fn quantiles_interpolate() {
        let h = History::from_days(vec![10, 0, 20, 30]);
        assert_eq!(h.quantile(0.5), 15.0);
        assert_eq!(h.quantile(0.25), 7.5);
        assert_eq!(History::default().quantile(0.5), 0.0);
    }

    #[test]
    fn an_invoice_is_expected_like_the_history_that_was_at_least_as_late() {
        let h = History::from_days(vec![4, 10, 12]);
        let (expected, early, late) = expect(d("2026-12-01"), d("2026-11-20"), &h);
        assert_eq!(expected, d("2026-12-11"));
        assert_eq!(early, d("2026-12-08"));
        assert_eq!(late, d("2026-12-12"));
        // Already 11 days late: like the invoices that were at least that
        // late (12 days).
        assert_eq!(
            expect(d("2026-12-01"), d("2026-12-12"), &h).0,
            d("2026-12-13")
        );
        // Later than all of history: a week on.
        assert_eq!(
            expect(d("2026-01-01"), d("2026-11-20"), &h),
            (d("2026-11-27"), d("2026-11-20"), d("2026-12-04"))
        );
    }

    #[test]
    fn an_invoice_is_spread_over_its_likely_days() {
        let h = History::from_days((0..=10).collect());
        let days: Vec<Date> = spread(d("2026-12-01"), d("2026-11-20"), &h)
            .iter()
            .map(|(day, share)| {
                assert_eq!(*share, 0.2);
                *day
            })
            .collect();
        assert_eq!(
            days,
            [
                "2026-12-02",
                "2026-12-04",
                "2026-12-06",
                "2026-12-08",
                "2026-12-10"
            ]
            .map(d)
        );
    }

    #[test]
    fn too_little_own_history_uses_everyones() {
        let own = History::from_days(vec![50, 60]);
        let pooled = History::from_days(vec![1, 2, 3]);
        assert_eq!(history_for(Some(&own), &pooled), &pooled);
        let own = History::from_days(vec![50, 60, 70]);
        assert_eq!(history_for(Some(&own), &pooled), &own);
    }

    #[test]
    fn nothing_paid_after_the_cutoff_is_learned() {
        let settled = vec![
            Settled {
                customer: 1,
                due: d("2026-01-01"),
                paid_on: d("2026-01-11"),
            },
            Settled {
                customer: 1,
                due: d("2026-02-01"),
                paid_on: d("2026-02-06"),
            },
        ];
        let (own, pooled) = fit(&settled, d("2026-03-01"));
        let mut later = settled.clone();
        later.push(Settled {
            customer: 1,
            due: d("2026-02-15"),
            paid_on: d("2026-09-01"),
        });
        let (own_later, pooled_later) = fit(&later, d("2026-03-01"));
        assert_eq!(own, own_later);
        assert_eq!(pooled, pooled_later);
        assert_eq!(pooled.len(), 2);
    }
}
