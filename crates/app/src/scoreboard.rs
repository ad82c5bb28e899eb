//! `tegoed report paid-on-time` and the Scoreboard page: per account
//! manager, what fell due in a period and how much of it was paid within
//! the agreed terms, with what the late and unpaid money cost. The
//! figures are core's (`tegoed_core::scoreboard`); this gathers the
//! invoices, the money applied to them, the customers handed to the
//! agency and the messages, calls and hand-offs about them.

use rustc_hash::FxHashMap;
use serde::Serialize;
use tegoed_core::scoreboard::{CostRates, DueInvoice, Period, Score};
use tegoed_core::strategy::Channel;
use tegoed_core::{AccountManagerId, Currency, CustomerId, Date, InvoiceId, Money};
use tegoed_store::{LedgerRow, MessageFilter, MessageStatus, ReadTx};

use crate::config::Config;
use crate::{AppError, Result};

/// The whole report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PaidOnTime {
    #[serde(serialize_with = "crate::ser::date")]
    pub as_of: Date,
    pub period: PeriodLine,
    pub grace_days: i32,
    /// Per account manager, ranked.
    pub rows: Vec<ScoreLine>,
    pub total: ScoreLine,
    /// Per account manager (in the order of `rows`), the customers behind
    /// their figures, most late or open money first. Not in the JSON.
    #[serde(skip)]
    pub customers: Vec<Vec<CustomerLine>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PeriodLine {
    #[serde(serialize_with = "crate::ser::date")]
    pub from: Date,
    #[serde(serialize_with = "crate::ser::date")]
    pub to: Date,
}

/// One account manager's figures (or the total's: no name, no rank).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScoreLine {
    pub account_manager: Option<String>,
    pub invoices: u64,
    #[serde(serialize_with = "crate::ser::money")]
    pub invoiced: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub paid_on_time: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub paid_late: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub open_overdue: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub written_off: Money,
    /// 0.0–1.0, four decimals; `null` when nothing was invoiced.
    #[serde(serialize_with = "share")]
    pub share_on_time: Option<f64>,
    #[serde(serialize_with = "crate::ser::days")]
    pub avg_days_beyond_terms: Option<f64>,
    /// 1 = the highest paid on time less written off; `null` in the total.
    pub rank: Option<u32>,
    pub cost_of_late_payment: CostLine,
    #[serde(skip)]
    pub account_manager_id: Option<AccountManagerId>,
}

/// What late and unpaid money cost (`tegoed cost`'s formulas).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CostLine {
    #[serde(serialize_with = "crate::ser::money")]
    pub financing: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub collection: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub written_off: Money,
    /// `null` when the margin is zero (never earned back).
    #[serde(serialize_with = "crate::ser::opt_money")]
    pub extra_revenue_needed: Option<Money>,
}

/// A customer behind a manager's figures.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CustomerLine {
    pub customer: String,
    pub name: String,
    #[serde(serialize_with = "crate::ser::money")]
    pub paid_on_time: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub paid_late: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub open_overdue: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub written_off: Money,
    #[serde(serialize_with = "crate::ser::days")]
    pub avg_days_beyond_terms: Option<f64>,
}

fn share<S: serde::Serializer>(value: &Option<f64>, s: S) -> std::result::Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.serialize_f64((v * 10_000.0).round() / 10_000.0),
        None => s.serialize_none(),
    }
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

fn line(
    score: &Score,
    rates: &CostRates,
    name: Option<String>,
    id: Option<AccountManagerId>,
) -> ScoreLine {
    let cost = score.cost(rates);
    ScoreLine {
        account_manager: name,
        invoices: score.invoices,
        invoiced: eur(score.invoiced),
        paid_on_time: eur(score.paid_on_time),
        paid_late: eur(score.paid_late),
        open_overdue: eur(score.open_overdue),
        written_off: eur(score.written_off),
        share_on_time: score.share_on_time(),
        avg_days_beyond_terms: score.avg_days_beyond_terms(),
        rank: None,
        cost_of_late_payment: CostLine {
            financing: eur(cost.financing),
            collection: eur(cost.collection),
            written_off: eur(cost.written_off),
            extra_revenue_needed: cost.extra_revenue_needed.map(eur),
        },
        account_manager_id: id,
    }
}

/// The period asked for (`2026-11`, `2026-Q4`, `2026`), or the last full
/// month before `as_of`.
pub fn period_of(text: Option<&str>, as_of: Date) -> Result<Period> {
    match text {
        None => Ok(Period::last_month(as_of)),
        Some(text) => Period::parse(text).ok_or_else(|| {
            AppError::Invalid(format!(
                "--period '{text}': give a month (2026-11), a quarter (2026-Q4) or a year (2026)"
            ))
        }),
    }
}

/// What the scoreboard reads: the invoices that fell due in a range, with
/// the money applied to them and the effort spent, and who is whose.
struct Gathered {
    due: Vec<(CustomerId, DueInvoice)>,
    directory: FxHashMap<CustomerId, (String, String, Option<AccountManagerId>)>,
    names: FxHashMap<AccountManagerId, String>,
}

fn gather(tx: &mut dyn ReadTx, as_of: Date, from: Date, to: Date) -> Result<Gathered> {
    let mut rows: Vec<LedgerRow> = Vec::new();
    tx.scan_ledger(as_of, &mut |row: &LedgerRow| {
        if row.amount_minor > 0
            && row.currency == Currency::EUR
            && from <= row.due_date
            && row.due_date <= to
            && row.due_date <= as_of
        {
            rows.push(*row);
        }
    })?;
    let ids: Vec<InvoiceId> = rows.iter().map(|r| r.invoice).collect();
    let mut settlements: FxHashMap<InvoiceId, Vec<(Date, i64)>> = FxHashMap::default();
    for a in tx.allocations_of(&ids)? {
        if a.date <= as_of {
            settlements
                .entry(a.invoice)
                .or_default()
                .push((a.date, a.amount_minor));
        }
    }
    // Collection effort: messages sent about these invoices, by channel.
    let wanted: rustc_hash::FxHashSet<InvoiceId> = ids.iter().copied().collect();
    let sent: Vec<(i64, Channel)> = tx
        .messages(MessageFilter {
            status: Some(MessageStatus::Sent),
            ..MessageFilter::default()
        })?
        .into_iter()
        .filter(|m| m.message.as_of <= as_of)
        .map(|m| (m.id, m.message.channel))
        .collect();
    let channel_of: FxHashMap<i64, Channel> = sent.iter().copied().collect();
    let message_ids: Vec<i64> = sent.iter().map(|(id, _)| *id).collect();
    let mut effort: FxHashMap<InvoiceId, (u32, u32, u32)> = FxHashMap::default();
    for (message, item) in tx.message_items_of(&message_ids)? {
        if !wanted.contains(&item.invoice) {
            continue;
        }
        let counts = effort.entry(item.invoice).or_default();
        match channel_of.get(&message) {
            Some(Channel::Email | Channel::Letter) => counts.0 += 1,
            Some(Channel::Call) => counts.1 += 1,
            Some(Channel::Handoff) => counts.2 += 1,
            None => {}
        }
    }
    let handed_off: rustc_hash::FxHashSet<CustomerId> = tx
        .collection_states()?
        .into_iter()
        .filter(|(_, s)| s.handed_off_on.is_some_and(|d| d <= as_of))
        .map(|(c, _)| c)
        .collect();
    let due = rows
        .iter()
        .map(|row| {
            let (messages, calls, handoffs) = effort.get(&row.invoice).copied().unwrap_or_default();
            (
                row.customer,
                DueInvoice {
                    amount_minor: row.amount_minor,
                    due_date: row.due_date,
                    settlements: settlements.remove(&row.invoice).unwrap_or_default(),
                    handed_off: handed_off.contains(&row.customer),
                    messages,
                    calls,
                    handoffs,
                },
            )
        })
        .collect();
    let directory = tx
        .customer_directory()?
        .into_iter()
        .map(|c| (c.id, (c.number, c.name, c.account_manager)))
        .collect();
    let names = tx
        .account_managers()?
        .into_iter()
        .map(|(id, m)| (id, m.name))
        .collect();
    Ok(Gathered {
        due,
        directory,
        names,
    })
}

fn grace_of(config: &Config, grace_days: Option<i32>) -> Result<i32> {
    let grace = grace_days.unwrap_or(config.scoreboard.grace_days);
    if !(0..=365).contains(&grace) {
        return Err(AppError::Invalid(format!(
            "--grace-days {grace}: give 0 to 365 days"
        )));
    }
    Ok(grace)
}

fn rates_of(config: &Config) -> CostRates {
    CostRates {
        cost_of_capital: config.policy.cost_of_capital,
        margin: config.policy.margin,
        message_minor: config.scoreboard.message_cost_minor,
        call_minor: config.scoreboard.call_cost_minor,
        handoff_minor: config.scoreboard.handoff_cost_minor,
    }
}

/// The scoreboard of `period` as of `as_of`, with `grace_days` (or the
/// settings' `[scoreboard] grace_days`). Euro invoices only.
pub fn paid_on_time(
    tx: &mut dyn ReadTx,
    config: &Config,
    as_of: Date,
    period: Period,
    grace_days: Option<i32>,
) -> Result<PaidOnTime> {
    let grace = grace_of(config, grace_days)?;
    let gathered = gather(tx, as_of, period.from, period.to)?;
    Ok(report(&gathered, &rates_of(config), as_of, period, grace))
}

/// The scoreboard of each of the `count` full months before `as_of`, oldest
/// first, read in one pass (the Scoreboard page's trend).
pub fn months(
    tx: &mut dyn ReadTx,
    config: &Config,
    as_of: Date,
    count: u32,
    grace_days: Option<i32>,
) -> Result<Vec<PaidOnTime>> {
    let grace = grace_of(config, grace_days)?;
    let mut periods = Vec::new();
    let mut period = Period::last_month(as_of);
    for _ in 0..count.max(1) {
        periods.push(period);
        period = Period::last_month(period.from);
    }
    periods.reverse();
    let gathered = gather(tx, as_of, periods[0].from, periods[periods.len() - 1].to)?;
    let rates = rates_of(config);
    Ok(periods
        .into_iter()
        .map(|p| report(&gathered, &rates, as_of, p, grace))
        .collect())
}

fn report(g: &Gathered, rates: &CostRates, as_of: Date, period: Period, grace: i32) -> PaidOnTime {
    let mut by_manager: FxHashMap<Option<AccountManagerId>, Score> = FxHashMap::default();
    let mut by_customer: FxHashMap<CustomerId, Score> = FxHashMap::default();
    for (customer, invoice) in &g.due {
        if !period.contains(invoice.due_date) {
            continue;
        }
        let manager = g.directory.get(customer).and_then(|c| c.2);
        by_manager
            .entry(manager)
            .or_default()
            .add(invoice, as_of, grace);
        by_customer
            .entry(*customer)
            .or_default()
            .add(invoice, as_of, grace);
    }
    let name_of = |id: &Option<AccountManagerId>| id.and_then(|i| g.names.get(&i).cloned());
    let mut scored: Vec<(Option<AccountManagerId>, Score)> = by_manager.into_iter().collect();
    // Highest claw-back first; ties by name (no manager last).
    scored.sort_by(|a, b| {
        b.1.claw_back()
            .cmp(&a.1.claw_back())
            .then_with(|| match (name_of(&a.0), name_of(&b.0)) {
                (Some(x), Some(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
    });
    let mut total = Score::default();
    let mut rows = Vec::with_capacity(scored.len());
    let mut customers = Vec::with_capacity(scored.len());
    // Customers without an account manager are counted but not ranked:
    // they are nobody's score. They come last.
    scored.sort_by_key(|(manager, _)| manager.is_none());
    let mut rank = 0u32;
    for (manager, score) in scored.iter() {
        total.merge(score);
        let mut out = line(score, rates, name_of(manager), *manager);
        if manager.is_some() {
            rank += 1;
            out.rank = Some(rank);
        }
        rows.push(out);
        let mut mine: Vec<CustomerLine> = by_customer
            .iter()
            .filter(|(c, _)| g.directory.get(c).and_then(|d| d.2) == *manager)
            .map(|(c, s)| {
                let (number, name) = g
                    .directory
                    .get(c)
                    .map(|d| (d.0.clone(), d.1.clone()))
                    .unwrap_or_default();
                CustomerLine {
                    customer: number,
                    name,
                    paid_on_time: eur(s.paid_on_time),
                    paid_late: eur(s.paid_late),
                    open_overdue: eur(s.open_overdue),
                    written_off: eur(s.written_off),
                    avg_days_beyond_terms: s.avg_days_beyond_terms(),
                }
            })
            .collect();
        mine.sort_by(|a, b| {
            let late =
                |c: &CustomerLine| c.paid_late.minor + c.open_overdue.minor + c.written_off.minor;
            late(b)
                .cmp(&late(a))
                .then_with(|| a.customer.cmp(&b.customer))
        });
        customers.push(mine);
    }
    PaidOnTime {
        as_of,
        period: PeriodLine {
            from: period.from,
            to: period.to,
        },
        grace_days: grace,
        rows,
        total: line(&total, rates, None, None),
        customers,
    }
}
