//! `tegoed report kpi`: the figures a credit manager reports, per month —
//! DSO (both methods), best-possible DSO, ADD, CEI, the bad-debt ratio, the
//! promise-kept rate, the share paid on time and the average days late,
//! with the amounts they come from. The formulas are in core's `kpi`; this
//! gathers the amounts: one ledger scan as of each month's end (and the DSO
//! report's own), the collection states for hand-offs, the promises.
//!
//! What each amount is (euros; the DSO report's currency):
//! - `receivables`: open invoice amounts at the month's end (the last day,
//!   or the as-of day for the current month); `overdue`: the part past its
//!   due date; current receivables: the part not yet due.
//! - `credit_sales`: invoices minus credit notes issued in the month.
//! - `collected`: opening receivables + credit sales − closing receivables
//!   (what was paid or otherwise cleared; CEI's numerator).
//! - best-possible DSO: current receivables ÷ credit sales of the last 90
//!   days × 90 (the simple DSO's period); ADD = simple DSO − best-possible.
//! - bad-debt ratio: what was open at the month's end on the invoices of
//!   customers handed to the agency in the month ÷ the month's credit sales.
//! - promise-kept rate: promises whose date fell in the month (and has
//!   passed) paid in full by their date ÷ those promises.
//! - share paid on time / average days late: invoices settled in the month
//!   (nothing open at its end, last payment in it), paid by the due date /
//!   days after it (0 when on time).

use rustc_hash::FxHashMap;
use serde::Serialize;
use tegoed_core::kpi::{self, Targets};
use tegoed_core::{Currency, CustomerId, Date, Money};
use tegoed_store::{LedgerRow, ReadTx};

use crate::Result;
use crate::reports;
use tegoed_core::money::Total;

/// One month's figures. Ratios are `null` when their base is zero.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KpiMonth {
    /// `YYYY-MM`.
    pub month: String,
    pub dso_countback: Option<f64>,
    pub dso_simple: Option<f64>,
    pub best_possible_dso: Option<f64>,
    pub add: Option<f64>,
    pub cei: Option<f64>,
    pub bad_debt_ratio: Option<f64>,
    pub promise_kept_rate: Option<f64>,
    pub share_paid_on_time: Option<f64>,
    pub avg_days_late: Option<f64>,
    #[serde(serialize_with = "crate::ser::money")]
    pub receivables: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub overdue: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub credit_sales: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub collected: Money,
}

/// The targets as printed (`null`: none set).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TargetsLine {
    pub cei_min: Option<f64>,
    pub dso_max: Option<f64>,
    pub add_max: Option<f64>,
    pub bad_debt_ratio_max: Option<f64>,
    pub promise_kept_rate_min: Option<f64>,
    pub share_paid_on_time_min: Option<f64>,
}

impl From<&Targets> for TargetsLine {
    fn from(t: &Targets) -> TargetsLine {
        TargetsLine {
            cei_min: t.cei_min,
            dso_max: t.dso_max,
            add_max: t.add_max,
            bad_debt_ratio_max: t.bad_debt_ratio_max,
            promise_kept_rate_min: t.promise_kept_rate_min,
            share_paid_on_time_min: t.share_paid_on_time_min,
        }
    }
}

/// The report: months oldest first, the rows per group (with `--by`),
/// and the targets.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KpiReport {
    #[serde(serialize_with = "crate::ser::date")]
    pub as_of: Date,
    pub months: Vec<KpiMonth>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<KpiRow>>,
    pub targets: TargetsLine,
}

/// How to split the rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    /// Who collects: the account manager when the customer's strategy has
    /// the account manager send its first step, else the company's
    /// collector.
    Collector,
    AccountManager,
    Segment,
}

impl By {
    pub fn parse(text: &str) -> Option<By> {
        match text {
            "collector" => Some(By::Collector),
            "account-manager" | "account_manager" => Some(By::AccountManager),
            "segment" => Some(By::Segment),
            _ => None,
        }
    }
}

/// One group's figures for the report's last month (the same definitions;
/// the DSO figures by the simple method over the group's own 90 days).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KpiRow {
    /// The group's id (account manager or segment id; the collector's name).
    pub key: String,
    pub name: String,
    pub customers: u64,
    #[serde(flatten)]
    pub figures: KpiMonth,
}

/// What one scan as of a month's end gives.
#[derive(Default)]
struct AtEnd {
    open: Total,
    current: Total,
    overdue: Total,
    sales: Total,
    sales_90: Total,
    settled: u64,
    settled_on_time: u64,
    days_late: i64,
    written_off: Total,
}

/// Counts one ledger row (as of `end`) into `at`.
fn add_row(
    at: &mut AtEnd,
    row: &LedgerRow,
    start: Date,
    end: Date,
    from_90: Date,
    handed_off: &FxHashMap<CustomerId, Date>,
) {
    if row.currency != Currency::EUR || row.issue_date > end {
        return;
    }
    if row.issue_date >= start {
        at.sales.add(row.amount_minor);
    }
    if row.issue_date >= from_90 {
        at.sales_90.add(row.amount_minor);
    }
    if row.amount_minor <= 0 {
        return;
    }
    if row.open_minor > 0 {
        at.open.add(row.open_minor);
        if row.due_date < end {
            at.overdue.add(row.open_minor);
        } else {
            at.current.add(row.open_minor);
        }
        if handed_off
            .get(&row.customer)
            .is_some_and(|on| *on >= start && *on <= end)
        {
            at.written_off.add(row.open_minor);
        }
    } else if let Some(paid_on) = row.last_paid_on
        && paid_on >= start
        && paid_on <= end
    {
        at.settled += 1;
        let late = row.due_date.days_until(paid_on);
        if late <= 0 {
            at.settled_on_time += 1;
        } else {
            at.days_late += i64::from(late);
        }
    }
}

/// The month ends of the last `months` months up to `as_of` (the current
/// month ends on `as_of`), oldest first, with each month's first day.
fn month_ends(as_of: Date, months: u32) -> Vec<(Date, Date)> {
    let mut out = Vec::with_capacity(months as usize);
    let mut end = as_of;
    for _ in 0..months {
        let start = end.first_of_month();
        out.push((start, end));
        end = start.add_days(-1);
    }
    out.reverse();
    out
}

fn scan(
    tx: &mut dyn ReadTx,
    start: Date,
    end: Date,
    handed_off: &FxHashMap<CustomerId, Date>,
) -> Result<AtEnd> {
    let mut at = AtEnd::default();
    let from_90 = end.add_days(-89);
    tx.scan_ledger(end, &mut |row: &LedgerRow| {
        add_row(&mut at, row, start, end, from_90, handed_off);
    })?;
    Ok(at)
}

/// The figures of the last `months` months up to `as_of`, and with `by`
/// one row per group for the last of them.
pub fn report(
    tx: &mut dyn ReadTx,
    config: &crate::config::Config,
    as_of: Date,
    months: u32,
    by: Option<By>,
) -> Result<KpiReport> {
    let targets = &config.kpi;
    if !(1..=120).contains(&months) {
        return Err(crate::AppError::Invalid(format!(
            "--months {months}: choose 1 to 120 months"
        )));
    }
    let handed_off: FxHashMap<CustomerId, Date> = tx
        .collection_states()?
        .into_iter()
        .filter_map(|(c, s)| s.handed_off_on.map(|on| (c, on)))
        .collect();
    let promises = tx.promises(None, false)?;
    let ends = month_ends(as_of, months);
    // The opening receivables of the first month: the month before's end.
    let first_start = ends[0].0;
    let before = first_start.add_days(-1);
    let mut opening = scan(tx, before.first_of_month(), before, &handed_off)?
        .open
        .get()?;
    let mut out = Vec::with_capacity(ends.len());
    for (start, end) in ends {
        let at = scan(tx, start, end, &handed_off)?;
        let dso = reports::dso(tx, end, Currency::EUR, 90)?;
        let (due, kept) = promises_kept(tx, &promises, start, end, as_of, |_| true)?;
        let month = figures(start, opening, &at, (due, kept))?;
        opening = at.open.get()?;
        out.push(KpiMonth {
            dso_countback: dso.countback.days,
            dso_simple: dso.simple.days,
            add: dso
                .simple
                .days
                .zip(month.best_possible_dso)
                .map(|(d, b)| d - b),
            ..month
        });
    }
    let rows = match by {
        Some(by) => Some(rows(tx, config, as_of, by, &handed_off, &promises)?),
        None => None,
    };
    Ok(KpiReport {
        as_of,
        months: out,
        rows,
        targets: TargetsLine::from(targets),
    })
}

/// The groups' figures for `as_of`'s month.
fn rows(
    tx: &mut dyn ReadTx,
    config: &crate::config::Config,
    as_of: Date,
    by: By,
    handed_off: &FxHashMap<CustomerId, Date>,
    promises: &[tegoed_store::StoredPromise],
) -> Result<Vec<KpiRow>> {
    let managers: FxHashMap<_, String> = tx
        .account_managers()?
        .into_iter()
        .map(|(id, m)| (id, m.name))
        .collect();
    let assigned = crate::segments::assignments(tx, config, as_of)?;
    let language = config.company.language;
    // Each customer's group: (key, name).
    let mut keys: Vec<(String, String)> = Vec::new();
    let mut group_of: FxHashMap<CustomerId, usize> = FxHashMap::default();
    let mut customers: Vec<u64> = Vec::new();
    for (brief, segment) in &assigned {
        let segment = &config.segments[*segment];
        let manager = brief
            .account_manager
            .and_then(|m| managers.get(&m).cloned());
        let (key, name) = match by {
            By::AccountManager => match &manager {
                Some(name) => (name.clone(), name.clone()),
                None => ("none".into(), "–".into()),
            },
            By::Segment => (segment.id.clone(), segment.name(language).to_string()),
            By::Collector => {
                let first_by_manager = config.strategy(&segment.strategy).is_some_and(|s| {
                    s.steps.first().is_some_and(|step| {
                        step.sender == tegoed_core::strategy::Sender::AccountManager
                    })
                });
                let who = match (&manager, first_by_manager) {
                    (Some(name), true) => name.clone(),
                    _ => config.company.collector.name.clone(),
                };
                (who.clone(), who)
            }
        };
        let index = match keys.iter().position(|k| k.0 == key) {
            Some(i) => i,
            None => {
                keys.push((key, name));
                customers.push(0);
                keys.len() - 1
            }
        };
        customers[index] += 1;
        group_of.insert(brief.id, index);
    }
    let n = keys.len();
    let start = as_of.first_of_month();
    let before = start.add_days(-1);
    let opening = scan_groups(
        tx,
        before.first_of_month(),
        before,
        handed_off,
        &group_of,
        n,
    )?;
    let closing = scan_groups(tx, start, as_of, handed_off, &group_of, n)?;
    let mut out = Vec::with_capacity(n);
    for (g, (key, name)) in keys.into_iter().enumerate() {
        let (due, kept) = promises_kept(tx, promises, start, as_of, as_of, |c| {
            group_of.get(&c) == Some(&g)
        })?;
        let month = figures(start, opening[g].open.get()?, &closing[g], (due, kept))?;
        // The group's own simple DSO: its receivables over its 90 days.
        let dso_simple =
            tegoed_core::dso::dso_simple(closing[g].open.get()?, closing[g].sales_90.get()?, 90);
        out.push(KpiRow {
            key,
            name,
            customers: customers[g],
            figures: KpiMonth {
                dso_simple,
                add: dso_simple.zip(month.best_possible_dso).map(|(d, b)| d - b),
                ..month
            },
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Promises of the customers `of` whose date fell in `start..=end` and
/// before `as_of`: how many, and how many were paid in full by their date.
fn promises_kept(
    tx: &mut dyn ReadTx,
    promises: &[tegoed_store::StoredPromise],
    start: Date,
    end: Date,
    as_of: Date,
    of: impl Fn(CustomerId) -> bool,
) -> Result<(i64, i64)> {
    let (mut due, mut kept) = (0i64, 0i64);
    for p in promises {
        let promise = &p.promise;
        if promise.promised_on < start
            || promise.promised_on > end
            || promise.promised_on >= as_of
            || promise.amount.currency != Currency::EUR
            || !of(promise.customer)
        {
            continue;
        }
        due += 1;
        let paid = if promise.promised_on >= promise.created_on {
            tx.allocated_between(&promise.invoices, promise.created_on, promise.promised_on)?
        } else {
            0
        };
        if paid >= promise.amount.minor {
            kept += 1;
        }
    }
    Ok((due, kept))
}

/// The figures of a month from its amounts (`opening`: receivables at the
/// month before's end; `promises`: due and kept). DSO fields are left
/// `None` for the caller: the whole book and a group measure them apart.
fn figures(start: Date, opening: i64, at: &AtEnd, (due, kept): (i64, i64)) -> Result<KpiMonth> {
    let (open, current, overdue) = (at.open.get()?, at.current.get()?, at.overdue.get()?);
    let (sales, sales_90) = (at.sales.get()?, at.sales_90.get()?);
    let settled = at.settled as i64;
    Ok(KpiMonth {
        month: format!("{:04}-{:02}", start.ymd().0, start.ymd().1),
        dso_countback: None,
        dso_simple: None,
        best_possible_dso: kpi::best_possible_dso(current, sales_90, 90),
        add: None,
        cei: kpi::cei(opening, sales, open, current),
        bad_debt_ratio: kpi::percent(at.written_off.get()?, sales),
        promise_kept_rate: kpi::percent(kept, due),
        share_paid_on_time: kpi::percent(at.settled_on_time as i64, settled),
        avg_days_late: (settled > 0).then(|| at.days_late as f64 / settled as f64),
        receivables: Money::eur(open),
        overdue: Money::eur(overdue),
        credit_sales: Money::eur(sales),
        collected: Money::eur(
            opening
                .checked_add(sales)
                .and_then(|v| v.checked_sub(open))
                .ok_or(tegoed_core::MoneyError::Overflow)?,
        ),
    })
}

/// [`scan`] per group (`group_of` a customer's group, `n` groups).
fn scan_groups(
    tx: &mut dyn ReadTx,
    start: Date,
    end: Date,
    handed_off: &FxHashMap<CustomerId, Date>,
    group_of: &FxHashMap<CustomerId, usize>,
    n: usize,
) -> Result<Vec<AtEnd>> {
    let mut groups: Vec<AtEnd> = (0..n).map(|_| AtEnd::default()).collect();
    let from_90 = end.add_days(-89);
    tx.scan_ledger(end, &mut |row: &LedgerRow| {
        let Some(&g) = group_of.get(&row.customer) else {
            return;
        };
        add_row(&mut groups[g], row, start, end, from_90, handed_off);
    })?;
    Ok(groups)
}

/// What the KPI page shows: 24 months, and the last month per collector,
/// account manager and segment.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KpiPage {
    pub report: KpiReport,
    pub collector: Vec<KpiRow>,
    pub account_manager: Vec<KpiRow>,
    pub segment: Vec<KpiRow>,
}

/// The KPI page's figures on `as_of`.
pub fn page(tx: &mut dyn ReadTx, config: &crate::config::Config, as_of: Date) -> Result<KpiPage> {
    let report = report(tx, config, as_of, 24, None)?;
    let mut by = |by: By| -> Result<Vec<KpiRow>> {
        Ok(crate::kpi::report(tx, config, as_of, 1, Some(by))?
            .rows
            .unwrap_or_default())
    };
    Ok(KpiPage {
        collector: by(By::Collector)?,
        account_manager: by(By::AccountManager)?,
        segment: by(By::Segment)?,
        report,
    })
}
