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
//! never to pay through us, and a customer with an invoice later than
//! their history not to pay their other invoices either (to that share).

use crate::Date;

/// A customer needs this many settled invoices for their own history to
/// count; with fewer, the pooled history of all customers is used.
pub const MIN_OWN_HISTORY: usize = 3;

/// Days late (negative: early) of settled invoices, sorted; and the
/// survival curve that also counts the invoices still open when the
/// history was taken (each "not paid by day N" of them), so that slow
/// payers still unpaid are not forgotten: `(day, share still unpaid after
/// it)` at each day an invoice was paid (Kaplan–Meier).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    days_late: Vec<i32>,
    survival: Vec<(i32, f64)>,
}

impl History {
    pub fn from_days(days_late: Vec<i32>) -> History {
        History::with_open(days_late, Vec::new())
    }

    /// The history of `days_late` (settled invoices) and `open_for` (how
    /// many days late each invoice still open was when the history was
    /// taken, negative when not yet due).
    pub fn with_open(mut days_late: Vec<i32>, mut open_for: Vec<i32>) -> History {
        days_late.sort_unstable();
        open_for.sort_unstable();
        // At risk on day t: paid on t or later, or open for t days or more.
        let mut survival = Vec::new();
        let mut alive = 1.0f64;
        let (mut i, mut j) = (0usize, 0usize);
        let total = days_late.len() + open_for.len();
        while i < days_late.len() {
            let t = days_late[i];
            let paid = days_late[i..].partition_point(|d| *d == t);
            // Open invoices open for fewer than t days left the risk set.
            j += open_for[j..].partition_point(|d| *d < t);
            let at_risk = total - i - j;
            alive *= 1.0 - paid as f64 / at_risk as f64;
            survival.push((t, alive));
            i += paid;
        }
        History {
            days_late,
            survival,
        }
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
        survival: Vec::new(),
    };
    let at = |q: f64| due.add_days(tail.quantile(q).round() as i32).max(as_of);
    (at(0.5), at(0.25), at(0.75))
}

/// The days an invoice is expected to be paid on, with a share each, and
/// the share never expected: the 10th, 30th, 50th, 70th and 90th
/// percentile of when invoices as late as this one was on `as_of` were
/// paid, a fifth each — for cash per week, where spreading each invoice
/// over its likely days predicts the total better than its single most
/// likely day. Invoices still open when the history was taken count as
/// "not paid by then" (the survival curve), so a percentile the history
/// never reached is a fifth expected never (or not within what the
/// history knows). With nothing in the history: the due date, at once.
pub fn spread(due: Date, as_of: Date, history: &History) -> (Vec<(Date, f64)>, f64) {
    let elapsed = due.days_until(as_of);
    let curve = &history.survival;
    if curve.is_empty() {
        if history.is_empty() {
            return (vec![(due.max(as_of), 1.0)], 0.0);
        }
        return (vec![], 1.0);
    }
    // Unpaid just before `elapsed`: the curve's value at the last day
    // before it (1 before the first).
    let from = curve.partition_point(|(t, _)| *t < elapsed);
    let before = if from == 0 { 1.0 } else { curve[from - 1].1 };
    let mut parts = Vec::new();
    let mut never = 0.0;
    for q in [0.1, 0.3, 0.5, 0.7, 0.9] {
        // The first day on which the share paid since `elapsed` reaches q.
        let day = curve[from..]
            .iter()
            .find(|(_, alive)| before <= 0.0 || 1.0 - alive / before >= q - 1e-9)
            .map(|(t, _)| *t);
        match day {
            Some(t) => parts.push((due.add_days(t).max(as_of), 0.2)),
            None => never += 0.2,
        }
    }
    (parts, never)
}

/// The share of a customer's invoices never expected, seen on `as_of`: the
/// largest share [`spread`] expects never of any invoice of theirs open
/// then (`dues`: their due dates). An invoice later than anything their
/// history knows says the customer has stopped paying, and their other
/// invoices wait behind it.
pub fn stopped_paying(dues: impl IntoIterator<Item = Date>, as_of: Date, history: &History) -> f64 {
    dues.into_iter()
        .map(|due| spread(due, as_of, history).1)
        .fold(0.0, f64::max)
}

/// [`spread`] for an invoice of a customer who has stopped paying to the
/// share `stopped` ([`stopped_paying`]): its own share never expected,
/// raised to `stopped`, its likely days taking the rest in proportion.
pub fn spread_for(
    due: Date,
    as_of: Date,
    history: &History,
    stopped: f64,
) -> (Vec<(Date, f64)>, f64) {
    let (parts, never) = spread(due, as_of, history);
    if stopped <= never || never >= 1.0 {
        return (parts, never);
    }
    let scale = (1.0 - stopped) / (1.0 - never);
    (
        parts.into_iter().map(|(d, s)| (d, s * scale)).collect(),
        stopped,
    )
}

/// A settled invoice as history: its customer's key, due date and the day
/// it was paid in full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settled<K> {
    pub customer: K,
    pub issue: Date,
    pub due: Date,
    pub paid_on: Date,
}

/// An invoice that was open at some time: its customer's key, its issue
/// and due dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Open<K> {
    pub customer: K,
    pub issue: Date,
    pub due: Date,
}

/// The histories known on `cutoff`: only invoices paid in full on or
/// before it count as paid (a backtest must not learn from what came
/// later); invoices issued by then and not paid by then, among `settled`
/// (paid later) and `open`, count as open for as many days as they were
/// late on the cut-off.
pub fn fit<K: Copy + Eq + std::hash::Hash>(
    settled: &[Settled<K>],
    open: &[Open<K>],
    cutoff: Date,
) -> (std::collections::HashMap<K, History>, History) {
    type Days = (Vec<i32>, Vec<i32>);
    let mut own: std::collections::HashMap<K, Days> = std::collections::HashMap::new();
    let mut pooled: Days = (Vec::new(), Vec::new());
    let mut still_open = |customer: K, due: Date| {
        let late = due.days_until(cutoff);
        own.entry(customer).or_default().1.push(late);
        pooled.1.push(late);
    };
    for o in open.iter().filter(|o| o.issue <= cutoff) {
        still_open(o.customer, o.due);
    }
    for s in settled
        .iter()
        .filter(|s| s.paid_on > cutoff && s.issue <= cutoff)
    {
        still_open(s.customer, s.due);
    }
    for s in settled.iter().filter(|s| s.paid_on <= cutoff) {
        let late = s.due.days_until(s.paid_on);
        own.entry(s.customer).or_default().0.push(late);
        pooled.0.push(late);
    }
    (
        own.into_iter()
            .map(|(k, (paid, open))| (k, History::with_open(paid, open)))
            .collect(),
        History::with_open(pooled.0, pooled.1),
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
        let (parts, never) = spread(d("2026-12-01"), d("2026-11-20"), &h);
        assert_eq!(never, 0.0);
        let days: Vec<Date> = parts
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

    /// Worked out by hand: paid 2, 4 and 6 days late; open for 3 and 10
    /// days. At risk on day 2: 5 (one paid: 4/5 left); day 4: 3 (the one
    /// open for 3 days left the set; 2/3 × 4/5 = 8/15 left); day 6: 2 (one
    /// paid: 4/15 left). The rest, 4/15, was still open: no percentile
    /// above 11/15 is reached.
    #[test]
    fn invoices_still_open_count_as_not_paid_yet() {
        let h = History::with_open(vec![2, 4, 6], vec![3, 10]);
        assert_eq!(h.len(), 3);
        let left: Vec<(i32, f64)> = h.survival.clone();
        let expected = [(2, 4.0 / 5.0), (4, 8.0 / 15.0), (6, 4.0 / 15.0)];
        for ((t, s), (et, es)) in left.iter().zip(expected) {
            assert_eq!(*t, et);
            assert!((s - es).abs() < 1e-12, "{t}: {s} vs {es}");
        }
        let due = d("2026-12-01");
        let (parts, never) = spread(due, d("2026-11-20"), &h);
        // 10th percentile: day 2 (1/5 paid); 30th and 50th: day 4 (7/15);
        // 70th: day 6 (11/15); 90th: never reached.
        let days: Vec<Date> = parts.iter().map(|(day, _)| *day).collect();
        assert_eq!(days, [2, 4, 6, 6].map(|n| due.add_days(n)));
        assert!((never - 0.2).abs() < 1e-12);
        // Five days late already: of those at risk then (1 paid on day 6
        // after 8/15 left, 4/15 after), half pay on day 6, half not known.
        let (parts, never) = spread(due, due.add_days(5), &h);
        assert_eq!(parts.len(), 3, "{parts:?}");
        assert!((never - 0.4).abs() < 1e-12);
    }

    #[test]
    fn a_customer_with_an_invoice_later_than_their_history_is_expected_not_to_pay_the_others() {
        // Paid 0, 5 and 10 days late; nothing open when the history was
        // taken. One invoice is 30 days late on 1 March: later than any, so
        // all of it is never expected; the customer has stopped paying.
        let history = History::from_days(vec![0, 5, 10]);
        let as_of = d("2026-03-01");
        let stuck = d("2026-01-30");
        let fresh = d("2026-03-15");
        assert_eq!(spread(stuck, as_of, &history).1, 1.0);
        let stopped = stopped_paying([stuck, fresh], as_of, &history);
        assert_eq!(stopped, 1.0);
        // The invoice not yet due would be paid on its likely days alone;
        // with the customer stopped, never.
        let (alone, never_alone) = spread(fresh, as_of, &history);
        assert_eq!(never_alone, 0.0);
        assert!((alone.iter().map(|(_, s)| s).sum::<f64>() - 1.0).abs() < 1e-9);
        let (parts, never) = spread_for(fresh, as_of, &history, stopped);
        assert_eq!(never, 1.0);
        assert!(parts.iter().all(|(_, s)| *s == 0.0));
        // Partly: one of the paid invoices was 0 days late and four invoices
        // are still open at 20 days (at risk until then): an invoice 6 days
        // late has paid on day 10 a share 1/5 of those at risk (the 10th
        // percentile only), so 4/5 of it is never expected; a customer at
        // that share scales the likely days of their others to 1/5.
        let history = History::with_open(vec![0, 5, 10], vec![20, 20, 20, 20]);
        let late = d("2026-02-23");
        let (_, never_late) = spread(late, as_of, &history);
        assert!((never_late - 0.8).abs() < 1e-9, "{never_late}");
        let stopped = stopped_paying([late], as_of, &history);
        let (parts, never) = spread_for(fresh, as_of, &history, stopped);
        let (alone, own) = spread(fresh, as_of, &history);
        assert!((never - 0.8).abs() < 1e-9);
        let scale = 0.2 / (1.0 - own);
        for ((d1, s1), (d2, s2)) in parts.iter().zip(&alone) {
            assert_eq!(d1, d2);
            assert!((s1 - s2 * scale).abs() < 1e-9);
        }
        // Never below the invoice's own share.
        assert_eq!(spread_for(late, as_of, &history, 0.2).1, never_late);
    }

    #[test]
    fn too_little_own_history_uses_everyones() {
        let own = History::from_days(vec![50, 60]);
        let pooled = History::from_days(vec![1, 2, 3]);
        assert_eq!(history_for(Some(&own), &pooled), &pooled);
        let own = History::from_days(vec![50, 60, 70]);
        assert_eq!(history_for(Some(&own), &pooled), &own);
    }

    /// What was paid after the cut-off is only "open on the cut-off": the
    /// same as an invoice never paid at all.
    #[test]
    fn nothing_paid_after_the_cutoff_is_learned() {
        let settled = vec![
            Settled {
                customer: 1,
                issue: d("2025-12-01"),
                due: d("2026-01-01"),
                paid_on: d("2026-01-11"),
            },
            Settled {
                customer: 1,
                issue: d("2026-01-01"),
                due: d("2026-02-01"),
                paid_on: d("2026-02-06"),
            },
        ];
        let unpaid = Open {
            customer: 1,
            issue: d("2026-01-15"),
            due: d("2026-02-15"),
        };
        let (own, pooled) = fit(&settled, &[unpaid], d("2026-03-01"));
        let mut later = settled.clone();
        later.push(Settled {
            customer: 1,
            issue: unpaid.issue,
            due: unpaid.due,
            paid_on: d("2026-09-01"),
        });
        let (own_later, pooled_later) = fit(&later, &[], d("2026-03-01"));
        assert_eq!(own, own_later);
        assert_eq!(pooled, pooled_later);
        assert_eq!(pooled.len(), 2);
        // Issued after the cut-off: not known then at all.
        later.push(Settled {
            customer: 1,
            issue: d("2026-04-01"),
            due: d("2026-05-01"),
            paid_on: d("2026-05-02"),
        });
        assert_eq!(fit(&later, &[], d("2026-03-01")).1, pooled);
    }
}
