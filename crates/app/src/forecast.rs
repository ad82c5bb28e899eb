//! `tegoed forecast`: the cash expected in each of the next weeks, and
//! `tegoed forecast backtest`: how far off that method was on the
//! company's own past. The method is core's `forecast` (each open invoice
//! expected its customer's median days late after its due date, the
//! pooled median without enough own history; promises and plans by their
//! own dates; customers at the agency never).

use rustc_hash::FxHashMap;
use serde::Serialize;
use tegoed_core::forecast::{self, Settled};
use tegoed_core::{Currency, CustomerId, Date, Money};
use tegoed_store::{LedgerRow, ReadTx};

use crate::{AppError, Result};

/// One week of the forecast.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Week {
    #[serde(serialize_with = "crate::ser::date")]
    pub week_start: Date,
    #[serde(serialize_with = "crate::ser::money")]
    pub expected: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub low: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub high: Money,
    /// The part of `expected` agreed in a promise or plan.
    #[serde(serialize_with = "crate::ser::money")]
    pub from_plans_and_promises: Money,
}

/// How the forecast was made.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Model {
    pub method: &'static str,
    pub open_invoices: u64,
    pub settled_invoices: u64,
    pub customers_with_own_history: u64,
    pub min_own_history: usize,
    pub pooled_median_days_late: f64,
    /// Expected after the last week shown.
    #[serde(serialize_with = "crate::ser::money")]
    pub after_horizon: Money,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Forecast {
    #[serde(serialize_with = "crate::ser::date")]
    pub as_of: Date,
    pub weeks: Vec<Week>,
    #[serde(serialize_with = "crate::ser::money")]
    pub never_expected: Money,
    pub model: Model,
}

/// The ledger as the forecast needs it: settled invoices (history) and
/// open ones, in euros, as of `as_of`.
struct Ledger {
    settled: Vec<Settled<CustomerId>>,
    /// Invoices still open on `as_of`.
    open: Vec<forecast::Open<CustomerId>>,
    rows: Vec<LedgerRow>,
}

fn read(tx: &mut dyn ReadTx, as_of: Date) -> Result<Ledger> {
    let mut ledger = Ledger {
        settled: Vec::new(),
        open: Vec::new(),
        rows: Vec::new(),
    };
    tx.scan_ledger(as_of, &mut |row: &LedgerRow| {
        if row.currency != Currency::EUR || row.amount_minor <= 0 || row.issue_date > as_of {
            return;
        }
        if row.open_minor == 0
            && let Some(paid_on) = row.last_paid_on
        {
            ledger.settled.push(Settled {
                customer: row.customer,
                issue: row.issue_date,
                due: row.due_date,
                paid_on,
            });
        }
        if row.open_minor > 0 {
            ledger.open.push(forecast::Open {
                customer: row.customer,
                issue: row.issue_date,
                due: row.due_date,
            });
        }
        ledger.rows.push(*row);
    })?;
    Ok(ledger)
}

/// Monday of the week `date` is in.
fn monday(date: Date) -> Date {
    date.add_days(-(date.weekday() as i32))
}

/// The cash expected in each of the `weeks` weeks from `as_of`'s week.
pub fn forecast(tx: &mut dyn ReadTx, as_of: Date, weeks: u32) -> Result<Forecast> {
    if !(1..=104).contains(&weeks) {
        return Err(AppError::Invalid(format!(
            "--weeks {weeks}: choose 1 to 104 weeks"
        )));
    }
    let ledger = read(tx, as_of)?;
    let (own, pooled) = forecast::fit(&ledger.settled, &ledger.open, as_of);
    let handed_off: FxHashMap<CustomerId, Date> = tx
        .collection_states()?
        .into_iter()
        .filter_map(|(c, s)| s.handed_off_on.map(|on| (c, on)))
        .collect();
    // Agreed dates: a pending promise covers its invoices up to its date; a
    // plan spreads its invoices over its instalments.
    let mut promised: FxHashMap<tegoed_core::InvoiceId, Date> = FxHashMap::default();
    for p in tx.promises(None, true)? {
        if p.promise.promised_on >= as_of {
            for i in &p.promise.invoices {
                promised.insert(*i, p.promise.promised_on);
            }
        }
    }
    let mut planned: FxHashMap<tegoed_core::InvoiceId, Vec<(Date, f64)>> = FxHashMap::default();
    for p in tx.plans(None, true)? {
        let interval = tegoed_core::agreements::Interval::parse(&p.plan.interval)
            .unwrap_or(tegoed_core::agreements::Interval::Months(1));
        let schedule = tegoed_core::agreements::instalments(
            p.plan.total.minor,
            p.plan.instalments,
            p.plan.first_due,
            interval,
        );
        let total = p.plan.total.minor.max(1) as f64;
        let shares: Vec<(Date, f64)> = schedule
            .iter()
            .map(|i| (i.due_on.max(as_of), i.amount_minor as f64 / total))
            .collect();
        for i in &p.plan.invoices {
            planned.insert(*i, shares.clone());
        }
    }
    let start = monday(as_of);
    let n = weeks as usize;
    let mut expected = vec![0i64; n];
    let mut early = vec![0i64; n];
    let mut late = vec![0i64; n];
    let mut agreed = vec![0i64; n];
    let (mut never, mut after, mut open_count) = (0i64, 0i64, 0u64);
    let week_of = |date: Date| -> Option<usize> {
        let i = start.days_until(date).div_euclid(7);
        (i >= 0 && (i as usize) < n).then_some(i as usize)
    };
    let put = |bucket: &mut Vec<i64>, date: Date, minor: i64| -> bool {
        match week_of(date) {
            Some(i) => {
                bucket[i] += minor;
                true
            }
            None => false,
        }
    };
    // Customers who have stopped paying (an invoice later than their
    // history knows): their other invoices wait behind it. Invoices under a
    // promise or plan have their own dates and do not count.
    let stopped = stopped_customers(
        ledger.rows.iter().filter(|r| {
            r.open_minor > 0
                && !promised.contains_key(&r.invoice)
                && !planned.contains_key(&r.invoice)
        }),
        as_of,
        &own,
        &pooled,
    );
    for row in ledger.rows.iter().filter(|r| r.open_minor > 0) {
        open_count += 1;
        if handed_off.contains_key(&row.customer) {
            never += row.open_minor;
            continue;
        }
        if let Some(day) = promised.get(&row.invoice) {
            for bucket in [&mut expected, &mut early, &mut late] {
                put(bucket, *day, row.open_minor);
            }
            if !put(&mut agreed, *day, row.open_minor) {
                after += row.open_minor;
            }
            continue;
        }
        if let Some(shares) = planned.get(&row.invoice) {
            let mut left = row.open_minor;
            for (k, (day, share)) in shares.iter().enumerate() {
                let part = if k + 1 == shares.len() {
                    left
                } else {
                    ((row.open_minor as f64) * share).round() as i64
                };
                left -= part;
                for bucket in [&mut expected, &mut early, &mut late] {
                    put(bucket, *day, part);
                }
                if !put(&mut agreed, *day, part) {
                    after += part;
                }
            }
            continue;
        }
        let history = forecast::history_for(own.get(&row.customer), &pooled);
        // Expected: the amount spread over its likely days; the band: all
        // of it on the early or the late day.
        // The share the history never saw paid is expected never.
        let mut left = row.open_minor;
        let (parts, unseen) = forecast::spread_for(
            row.due_date,
            as_of,
            history,
            stopped.get(&row.customer).copied().unwrap_or(0.0),
        );
        let never_part = (row.open_minor as f64 * unseen).round() as i64;
        for (k, (day, share)) in parts.iter().enumerate() {
            let part = if k + 1 == parts.len() {
                left - never_part
            } else {
                (row.open_minor as f64 * share).round() as i64
            };
            left -= part;
            if !put(&mut expected, *day, part) {
                after += part;
            }
        }
        never += left;
        let (_, soon, slow) = forecast::expect(row.due_date, as_of, history);
        put(&mut early, soon, row.open_minor);
        put(&mut late, slow, row.open_minor);
    }
    let weeks = (0..n)
        .map(|i| {
            let low = expected[i].min(early[i]).min(late[i]);
            let high = expected[i].max(early[i]).max(late[i]);
            Week {
                week_start: start.add_days(7 * i as i32),
                expected: Money::eur(expected[i]),
                low: Money::eur(low),
                high: Money::eur(high),
                from_plans_and_promises: Money::eur(agreed[i]),
            }
        })
        .collect();
    Ok(Forecast {
        as_of,
        weeks,
        never_expected: Money::eur(never),
        model: Model {
            method: "per open invoice: its customer's days late after the due date (all customers' with fewer than 3 settled invoices), among the invoices at least as late as it already is; cash per week spreads each invoice over the 10th-90th percentile of those days, counting the invoices still open as not paid yet (a survival curve), so a percentile the history never reached is expected never; a customer with an invoice later than their history has stopped paying, so their other invoices are expected never to at least that share; the band puts it on the 25th or 75th; promises and plans on their dates; customers at the agency never",
            open_invoices: open_count,
            settled_invoices: ledger.settled.len() as u64,
            customers_with_own_history: own
                .values()
                .filter(|h| h.len() >= forecast::MIN_OWN_HISTORY)
                .count() as u64,
            min_own_history: forecast::MIN_OWN_HISTORY,
            pooled_median_days_late: pooled.quantile(0.5),
            after_horizon: Money::eur(after),
        },
    })
}

/// Per customer, the share [`forecast::stopped_paying`] of the invoices
/// `open` on `as_of`.
fn stopped_customers<'r>(
    open: impl Iterator<Item = &'r LedgerRow>,
    as_of: Date,
    own: &std::collections::HashMap<CustomerId, forecast::History>,
    pooled: &forecast::History,
) -> FxHashMap<CustomerId, f64> {
    let mut dues: FxHashMap<CustomerId, Vec<Date>> = FxHashMap::default();
    for row in open {
        dues.entry(row.customer).or_default().push(row.due_date);
    }
    dues.into_iter()
        .map(|(customer, dues)| {
            let history = forecast::history_for(own.get(&customer), pooled);
            (customer, forecast::stopped_paying(dues, as_of, history))
        })
        .filter(|(_, share)| *share > 0.0)
        .collect()
}

/// How the method did on the past.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Backtest {
    #[serde(serialize_with = "crate::ser::date")]
    pub cutoff: Date,
    pub n: u64,
    pub rmse_days: Option<f64>,
    pub mae_days: Option<f64>,
    pub baseline_rmse_days: Option<f64>,
    pub weekly_mape: Option<f64>,
    pub baseline_weekly_mape: Option<f64>,
}

/// Fits on what was known on the cut-off (`as_of` minus `holdout_months`)
/// and predicts the payment day of every invoice open on it or issued
/// after it that was paid in full by `as_of`; compares with what happened
/// and with "paid on the due date". Invoices still open on `as_of` are
/// left out (their day is not known yet); promises and plans are not used.
pub fn backtest(tx: &mut dyn ReadTx, as_of: Date, holdout_months: u32) -> Result<Backtest> {
    if !(1..=24).contains(&holdout_months) {
        return Err(AppError::Invalid(format!(
            "--holdout-months {holdout_months}: choose 1 to 24 months"
        )));
    }
    let cutoff = as_of.add_months(-(holdout_months as i32));
    let ledger = read(tx, as_of)?;
    let (own, pooled) = forecast::fit(&ledger.settled, &ledger.open, cutoff);
    let mut errors = Vec::new();
    let mut baseline = Vec::new();
    let start = monday(cutoff.add_days(1));
    let weeks = (start.days_until(as_of) / 7).max(0) as usize;
    let mut actual_weeks = vec![0i64; weeks];
    let mut predicted_weeks = vec![0i64; weeks];
    let mut baseline_weeks = vec![0i64; weeks];
    // Customers handed to the agency by the cut-off: never expected (as
    // the forecast has it), and known then.
    let handed_off: FxHashMap<CustomerId, Date> = tx
        .collection_states()?
        .into_iter()
        .filter_map(|(c, s)| s.handed_off_on.filter(|on| *on <= cutoff).map(|on| (c, on)))
        .collect();
    let week = |d: Date| {
        let i = start.days_until(d).div_euclid(7);
        (i >= 0 && (i as usize) < weeks).then_some(i as usize)
    };
    // Every invoice open on the cut-off or issued after it, paid since or
    // not: the cash expected of them per week against the cash they
    // brought. (Counting only the invoices that were paid would choose the
    // test set by its outcome.)
    let open_on_cutoff = |r: &&LedgerRow| match r.last_paid_on {
        _ if r.open_minor > 0 => true,
        Some(paid) => paid > cutoff,
        None => false,
    };
    // Who had stopped paying on the cut-off, as the forecast has it then.
    let stopped = stopped_customers(
        ledger
            .rows
            .iter()
            .filter(|r| r.issue_date <= cutoff)
            .filter(open_on_cutoff),
        cutoff,
        &own,
        &pooled,
    );
    for row in ledger.rows.iter().filter(open_on_cutoff) {
        let paid = (row.open_minor == 0).then_some(row.last_paid_on).flatten();
        // What came in: the whole invoice on the day it was paid in full;
        // of one still open, what was paid, on its last payment's day.
        if let Some(i) = row.last_paid_on.filter(|d| *d > cutoff).and_then(week) {
            actual_weeks[i] += row.amount_minor - row.open_minor;
        }
        if handed_off.contains_key(&row.customer) {
            continue;
        }
        // Known on the cut-off, or on its issue day when issued after it.
        let seen = row.issue_date.max(cutoff);
        let history = forecast::history_for(own.get(&row.customer), &pooled);
        if let Some(paid) = paid {
            let (predicted, _, _) = forecast::expect(row.due_date, seen, history);
            errors.push(f64::from(predicted.days_until(paid)));
            baseline.push(f64::from(row.due_date.days_until(paid)));
        }
        let stopped = stopped.get(&row.customer).copied().unwrap_or(0.0);
        for (day, share) in forecast::spread_for(row.due_date, seen, history, stopped).0 {
            if let Some(i) = week(day) {
                predicted_weeks[i] += (row.amount_minor as f64 * share).round() as i64;
            }
        }
        if let Some(i) = week(row.due_date.max(seen)) {
            baseline_weeks[i] += row.amount_minor;
        }
    }
    let rmse = |e: &[f64]| {
        (!e.is_empty()).then(|| (e.iter().map(|x| x * x).sum::<f64>() / e.len() as f64).sqrt())
    };
    let mape = |predicted: &[i64]| {
        let pairs: Vec<(i64, i64)> = actual_weeks
            .iter()
            .zip(predicted)
            .filter(|(a, _)| **a > 0)
            .map(|(a, p)| (*a, *p))
            .collect();
        (!pairs.is_empty()).then(|| {
            pairs
                .iter()
                .map(|(a, p)| ((a - p) as f64).abs() / *a as f64)
                .sum::<f64>()
                / pairs.len() as f64
                * 100.0
        })
    };
    Ok(Backtest {
        cutoff,
        n: errors.len() as u64,
        rmse_days: rmse(&errors),
        mae_days: (!errors.is_empty())
            .then(|| errors.iter().map(|e| e.abs()).sum::<f64>() / errors.len() as f64),
        baseline_rmse_days: rmse(&baseline),
        weekly_mape: mape(&predicted_weeks),
        baseline_weekly_mape: mape(&baseline_weeks),
    })
}
