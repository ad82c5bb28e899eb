//! Reports over the ledger: aging, DSO, a customer's statement, the list of
//! unallocated payments, and the short overview the demo prints.
//!
//! Every report is "as of" a date: documents issued and money received after
//! it do not count, so a report for last month-end is the same whenever it is
//! run.

use std::collections::HashMap;

use serde::Serialize;
use tegoed_core::aging::{Bucket, BucketTotals};
use tegoed_core::dso::{self, RevenuePeriod};
use tegoed_core::money::{Total, sum_minor};
use tegoed_core::{Currency, CustomerId, Date, Money};
use tegoed_store::{CustomerBrief, LedgerRow, ReadTx};

use crate::error::{AppError, Result};
use crate::facts::CustomerLedger;
use crate::ser;

/// One aging bucket's amount and number of open items.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BucketLine {
    pub bucket: &'static str,
    #[serde(serialize_with = "ser::money")]
    pub amount: Money,
    pub count: u64,
}

fn bucket_lines(totals: &BucketTotals, currency: Currency) -> Vec<BucketLine> {
    Bucket::ALL
        .iter()
        .map(|b| BucketLine {
            bucket: b.key(),
            amount: Money::new(totals.amounts[b.index()], currency),
            count: totals.counts[b.index()],
        })
        .collect()
}

/// How to split an aging report into rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgingGroup {
    Customer,
    AccountManager,
    Industry,
}

impl AgingGroup {
    pub fn as_str(self) -> &'static str {
        match self {
            AgingGroup::Customer => "customer",
            AgingGroup::AccountManager => "account-manager",
            AgingGroup::Industry => "industry",
        }
    }
}

/// One row of a grouped aging report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AgingRow {
    /// Customer number, account manager e-mail (or name), or SBI section letter.
    pub key: String,
    pub name: String,
    pub buckets: Vec<BucketLine>,
    #[serde(serialize_with = "ser::money")]
    pub overdue: Money,
    #[serde(serialize_with = "ser::money")]
    pub total: Money,
}

/// Open amounts per bucket of days overdue (ouderdomsanalyse).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AgingReport {
    #[serde(serialize_with = "ser::date")]
    pub as_of: Date,
    #[serde(serialize_with = "ser::currency")]
    pub currency: Currency,
    pub buckets: Vec<BucketLine>,
    #[serde(serialize_with = "ser::money")]
    pub overdue: Money,
    #[serde(serialize_with = "ser::money")]
    pub total: Money,
    /// Open items in other currencies, left out of this report.
    pub other_currency_items: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<AgingRow>>,
}

/// Looks customers up by id in the id-sorted directory.
fn brief(directory: &[CustomerBrief], id: CustomerId) -> Option<&CustomerBrief> {
    directory
        .binary_search_by_key(&id, |c| c.id)
        .ok()
        .map(|idx| &directory[idx])
}

/// The aging report as of `as_of` for invoices in `currency`, optionally with
/// a row per customer, account manager or industry (most owed first).
pub fn aging(
    tx: &mut dyn ReadTx,
    as_of: Date,
    currency: Currency,
    by: Option<AgingGroup>,
) -> Result<AgingReport> {
    let mut totals = BucketTotals::default();
    let mut other_currency_items = 0u64;
    let mut per_customer: HashMap<CustomerId, BucketTotals> = HashMap::new();
    let group = by.is_some();
    // What is open per due date (and customer): the store sums, the
    // buckets are decided here.
    for sum in tx.open_by_due(as_of, group)? {
        if sum.currency != currency {
            other_currency_items += sum.count;
            continue;
        }
        let days = sum.due_date.days_until(as_of);
        let open = i64::try_from(sum.open_minor).map_err(|_| tegoed_core::MoneyError::Overflow)?;
        totals.add_items(days, open, sum.count)?;
        if let Some(customer) = sum.customer {
            per_customer
                .entry(customer)
                .or_default()
                .add_items(days, open, sum.count)?;
        }
    }
    let rows = match by {
        None => None,
        Some(group) => Some(group_rows(tx, group, per_customer, currency)?),
    };
    Ok(AgingReport {
        as_of,
        currency,
        buckets: bucket_lines(&totals, currency),
        overdue: Money::new(totals.overdue()?, currency),
        total: Money::new(totals.total()?, currency),
        other_currency_items,
        by: by.map(AgingGroup::as_str),
        rows,
    })
}

fn group_rows(
    tx: &mut dyn ReadTx,
    group: AgingGroup,
    per_customer: HashMap<CustomerId, BucketTotals>,
    currency: Currency,
) -> Result<Vec<AgingRow>> {
    let directory = tx.customer_directory()?;
    let managers: HashMap<_, _> = tx.account_managers()?.into_iter().collect();
    let mut groups: HashMap<String, (String, BucketTotals)> = HashMap::new();
    for (customer, buckets) in per_customer {
        let Some(c) = brief(&directory, customer) else {
            continue;
        };
        let (key, name) = match group {
            AgingGroup::Customer => (c.number.clone(), c.name.clone()),
            AgingGroup::AccountManager => {
                match c.account_manager.and_then(|id| managers.get(&id)) {
                    Some(m) => (
                        m.email
                            .as_ref()
                            .map(|e| e.as_str().to_string())
                            .unwrap_or_else(|| m.name.clone()),
                        m.name.clone(),
                    ),
                    None => ("-".to_string(), "(no account manager)".to_string()),
                }
            }
            AgingGroup::Industry => match c.industry.as_ref().and_then(|s| s.section()) {
                Some(section) => (section.letter().to_string(), section.name("en").to_string()),
                None => ("-".to_string(), "(no industry)".to_string()),
            },
        };
        groups
            .entry(key)
            .or_insert_with(|| (name, BucketTotals::default()))
            .1
            .merge(&buckets)?;
    }
    let mut rows: Vec<AgingRow> = groups
        .into_iter()
        .map(|(key, (name, totals))| {
            Ok(AgingRow {
                key,
                name,
                buckets: bucket_lines(&totals, currency),
                overdue: Money::new(totals.overdue()?, currency),
                total: Money::new(totals.total()?, currency),
            })
        })
        .collect::<Result<_>>()?;
    rows.sort_by(|a, b| {
        b.total
            .minor
            .cmp(&a.total.minor)
            .then_with(|| a.key.cmp(&b.key))
    });
    Ok(rows)
}

/// DSO by the countback method.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CountbackDso {
    #[serde(serialize_with = "ser::days")]
    pub days: Option<f64>,
    /// Months of revenue the receivables used up.
    pub months_used: u32,
    /// The receivables exceed all revenue in the 24 months looked at.
    pub exceeds_history: bool,
    pub method: &'static str,
}

/// DSO by the simple (average) method.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SimpleDso {
    #[serde(serialize_with = "ser::days")]
    pub days: Option<f64>,
    pub period_days: u32,
    #[serde(serialize_with = "ser::money")]
    pub revenue: Money,
    pub method: &'static str,
}

/// Days sales outstanding, by both methods.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DsoReport {
    #[serde(serialize_with = "ser::date")]
    pub as_of: Date,
    #[serde(serialize_with = "ser::currency")]
    pub currency: Currency,
    /// Open invoices minus unused credit notes and unallocated payments.
    #[serde(serialize_with = "ser::money")]
    pub receivables: Money,
    pub countback: CountbackDso,
    pub simple: SimpleDso,
}

const COUNTBACK_MONTHS: u32 = 24;

/// DSO as of `as_of` in `currency`; the simple method looks back `days` days.
pub fn dso(tx: &mut dyn ReadTx, as_of: Date, currency: Currency, days: u32) -> Result<DsoReport> {
    if days == 0 {
        return Err(AppError::Invalid("--days must be at least 1".into()));
    }
    let periods = dso::countback_periods(as_of, COUNTBACK_MONTHS);
    let oldest = periods.last().map(|p| p.0).unwrap_or(as_of);
    let simple_from = as_of.add_days(-(days as i32) + 1);
    let mut revenue_by_month = vec![Total::default(); periods.len()];
    let mut simple_revenue = Total::default();
    let mut open_invoices = Total::default();
    tx.scan_ledger(as_of, &mut |row: &LedgerRow| {
        if row.currency != currency {
            return;
        }
        if row.amount_minor > 0 && row.open_minor > 0 {
            open_invoices.add(row.open_minor);
        }
        if row.issue_date >= simple_from {
            simple_revenue.add(row.amount_minor);
        }
        if row.issue_date >= oldest {
            // Months back from as_of's month.
            let (ay, am, _) = as_of.ymd();
            let (iy, im, _) = row.issue_date.ymd();
            let back = ((ay - iy) * 12 + am as i32 - im as i32) as usize;
            if back < revenue_by_month.len() {
                revenue_by_month[back].add(row.amount_minor);
            }
        }
    })?;
    let revenue_by_month: Vec<i64> = revenue_by_month
        .into_iter()
        .map(Total::get)
        .collect::<Result<_, _>>()?;
    let simple_revenue = simple_revenue.get()?;
    let credit = sum_minor(
        tx.credit_balances(as_of)?
            .iter()
            .filter(|b| b.currency == currency)
            .map(|b| b.minor),
    )?;
    let receivables = open_invoices
        .get()?
        .checked_sub(credit)
        .ok_or(tegoed_core::MoneyError::Overflow)?
        .max(0);
    let revenue_periods: Vec<RevenuePeriod> = periods
        .iter()
        .zip(&revenue_by_month)
        .map(|((start, end), revenue)| RevenuePeriod {
            start: *start,
            end: *end,
            revenue_minor: *revenue,
        })
        .collect();
    let countback = dso::dso_countback(receivables, &revenue_periods);
    let mut months_used = 0u32;
    let mut left = receivables;
    for period in &revenue_periods {
        if left <= 0 {
            break;
        }
        months_used += 1;
        left = left.saturating_sub(period.revenue_minor.max(0));
    }
    let any_revenue = revenue_by_month.iter().any(|r| *r > 0);
    Ok(DsoReport {
        as_of,
        currency,
        receivables: Money::new(receivables, currency),
        countback: CountbackDso {
            days: any_revenue.then_some(countback.days),
            months_used,
            exceeds_history: countback.exceeds_history,
            method: "countback: receivables are matched against revenue month by month, newest month first",
        },
        simple: SimpleDso {
            days: dso::dso_simple(receivables, simple_revenue, days),
            period_days: days,
            revenue: Money::new(simple_revenue, currency),
            method: "simple: receivables divided by revenue over the period, times the days in the period",
        },
    })
}

/// DSO at the end of each of the `months` months before `as_of`'s month,
/// oldest first, by the same method as [`dso`] (a full read of the ledger
/// as of each month-end: for a chart, computed in the background).
pub fn dso_history(
    tx: &mut dyn ReadTx,
    as_of: Date,
    currency: Currency,
    months: u32,
) -> Result<Vec<DsoReport>> {
    let (y, m, _) = as_of.ymd();
    let mut ends = Vec::new();
    let mut first = Date::from_ymd(y, m, 1).unwrap_or(as_of);
    for _ in 0..months {
        let end = first.add_days(-1);
        ends.push(end);
        let (py, pm, _) = end.ymd();
        first = Date::from_ymd(py, pm, 1).unwrap_or(end);
    }
    ends.reverse();
    ends.into_iter()
        .map(|end| dso(tx, end, currency, 90))
        .collect()
}

/// An open invoice on a customer's statement.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OpenItemLine {
    pub invoice_number: String,
    #[serde(serialize_with = "ser::date")]
    pub issue_date: Date,
    #[serde(serialize_with = "ser::date")]
    pub due_date: Date,
    #[serde(serialize_with = "ser::money")]
    pub amount: Money,
    #[serde(serialize_with = "ser::money")]
    pub open_amount: Money,
    pub days_overdue: i32,
    #[serde(serialize_with = "ser::currency")]
    pub currency: Currency,
    pub payment_reference: Option<String>,
    pub description: Option<String>,
}

/// A credit note with credit left on it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CreditNoteLine {
    pub invoice_number: String,
    #[serde(serialize_with = "ser::date")]
    pub issue_date: Date,
    #[serde(serialize_with = "ser::money")]
    pub amount: Money,
    #[serde(serialize_with = "ser::money")]
    pub unused: Money,
    pub applies_to: Option<String>,
}

/// A part of a payment applied to an invoice.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AppliedLine {
    pub invoice_number: String,
    #[serde(serialize_with = "ser::money")]
    pub amount: Money,
}

/// A payment on a customer's statement.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PaymentLine {
    pub payment_id: String,
    #[serde(serialize_with = "ser::date")]
    pub date: Date,
    #[serde(serialize_with = "ser::money")]
    pub amount: Money,
    #[serde(serialize_with = "ser::money")]
    pub allocated: Money,
    #[serde(serialize_with = "ser::money")]
    pub unallocated: Money,
    pub applied_to: Vec<AppliedLine>,
    pub reference: Option<String>,
}

/// A customer's statement: what is open, what was paid, what credit is left.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Statement {
    pub customer_id: String,
    pub name: String,
    pub kind: &'static str,
    pub email: Option<String>,
    pub account_manager: Option<String>,
    #[serde(serialize_with = "ser::opt_money")]
    pub credit_limit: Option<Money>,
    pub payment_terms_days: u32,
    #[serde(serialize_with = "ser::date")]
    pub as_of: Date,
    #[serde(serialize_with = "ser::currency")]
    pub currency: Currency,
    pub open_items: Vec<OpenItemLine>,
    pub credit_notes: Vec<CreditNoteLine>,
    pub payments: Vec<PaymentLine>,
    #[serde(serialize_with = "ser::money")]
    pub total_open: Money,
    #[serde(serialize_with = "ser::money")]
    pub overdue: Money,
    /// Unallocated payments plus unused credit notes.
    #[serde(serialize_with = "ser::money")]
    pub unallocated_credit: Money,
    /// What the customer owes on balance: open items minus credit.
    #[serde(serialize_with = "ser::money")]
    pub balance: Money,
}

/// The statement of a customer as of `as_of`, from their ledger (read with
/// [`CustomerLedger::load`]). Totals are in the currency most of the
/// customer's documents use.
pub fn statement(tx: &mut dyn ReadTx, ledger: &CustomerLedger, as_of: Date) -> Result<Statement> {
    let customer = &ledger.stored.customer;
    let (documents, payments) = (&ledger.documents, &ledger.payments);
    let mut currency_use: HashMap<Currency, usize> = HashMap::new();
    for doc in documents {
        *currency_use.entry(doc.invoice.amount.currency).or_default() += 1;
    }
    let currency = currency_use
        .into_iter()
        .max_by_key(|(c, n)| (*n, std::cmp::Reverse(*c)))
        .map(|(c, _)| c)
        .unwrap_or(Currency::EUR);
    let account_manager = match customer.account_manager {
        None => None,
        Some(id) => tx
            .account_managers()?
            .into_iter()
            .find(|(mid, _)| *mid == id)
            .map(|(_, m)| m.name),
    };
    let mut open_items = Vec::new();
    let mut credit_notes = Vec::new();
    let (mut total_open, mut overdue, mut credit) =
        (Total::default(), Total::default(), Total::default());
    for doc in documents {
        let invoice = &doc.invoice;
        let cur = invoice.amount.currency;
        if invoice.amount.minor >= 0 && doc.open_minor > 0 {
            let days_overdue = invoice.due_date.days_until(as_of);
            if cur == currency {
                total_open.add(doc.open_minor);
                if days_overdue > 0 {
                    overdue.add(doc.open_minor);
                }
            }
            open_items.push(OpenItemLine {
                invoice_number: invoice.number.clone(),
                issue_date: invoice.issue_date,
                due_date: invoice.due_date,
                amount: invoice.amount,
                open_amount: Money::new(doc.open_minor, cur),
                days_overdue,
                currency: cur,
                payment_reference: invoice
                    .payment_reference
                    .as_ref()
                    .map(|r| r.as_str().to_string()),
                description: invoice.description.clone(),
            });
        } else if invoice.amount.minor < 0 && doc.open_minor < 0 {
            if cur == currency {
                credit.add(-doc.open_minor);
            }
            credit_notes.push(CreditNoteLine {
                invoice_number: invoice.number.clone(),
                issue_date: invoice.issue_date,
                amount: invoice.amount,
                unused: Money::new(-doc.open_minor, cur),
                applies_to: invoice.credits_invoice.clone(),
            });
        }
    }
    let payment_lines: Vec<PaymentLine> = payments
        .iter()
        .map(|p| {
            let cur = p.payment.amount.currency;
            let left = p.payment.amount.minor - p.allocated_minor;
            if cur == currency {
                credit.add(left);
            }
            PaymentLine {
                payment_id: p.payment.external_id.clone(),
                date: p.payment.date,
                amount: p.payment.amount,
                allocated: Money::new(p.allocated_minor, cur),
                unallocated: Money::new(left, cur),
                applied_to: p
                    .applied_to
                    .iter()
                    .map(|(invoice_number, amount)| AppliedLine {
                        invoice_number: invoice_number.clone(),
                        amount: Money::new(*amount, cur),
                    })
                    .collect(),
                reference: p.payment.reference.clone(),
            }
        })
        .collect();
    Ok(Statement {
        customer_id: customer.number.clone(),
        name: customer.name.clone(),
        kind: customer.kind.as_str(),
        email: customer.email.as_ref().map(|e| e.as_str().to_string()),
        account_manager,
        credit_limit: customer.credit_limit,
        payment_terms_days: customer.payment_terms_days,
        as_of,
        currency,
        open_items,
        credit_notes,
        payments: payment_lines,
        total_open: Money::new(total_open.get()?, currency),
        overdue: Money::new(overdue.get()?, currency),
        unallocated_credit: Money::new(credit.get()?, currency),
        balance: Money::new(
            total_open
                .get()?
                .checked_sub(credit.get()?)
                .ok_or(tegoed_core::MoneyError::Overflow)?,
            currency,
        ),
    })
}

/// A payment with money not applied to any invoice.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UnallocatedLine {
    pub payment_id: String,
    #[serde(serialize_with = "ser::date")]
    pub date: Date,
    #[serde(serialize_with = "ser::money")]
    pub amount: Money,
    #[serde(serialize_with = "ser::money")]
    pub unallocated: Money,
    /// Customer number, when the payment is known to be from a customer.
    pub customer_id: Option<String>,
    pub reference: Option<String>,
    pub counterparty_iban: Option<String>,
    pub counterparty_name: Option<String>,
}

/// Payments (as of a date) with money not applied to any invoice: overpaid
/// or not yet assigned to a customer.
pub fn unallocated_payments(tx: &mut dyn ReadTx, as_of: Date) -> Result<Vec<UnallocatedLine>> {
    let directory = tx.customer_directory()?;
    Ok(tx
        .unallocated_payments(as_of)?
        .into_iter()
        .map(|(stored, left)| {
            let payment = stored.payment;
            UnallocatedLine {
                payment_id: payment.external_id,
                date: payment.date,
                amount: payment.amount,
                unallocated: Money::new(left, payment.amount.currency),
                customer_id: payment
                    .customer
                    .and_then(|id| brief(&directory, id))
                    .map(|c| c.number.clone()),
                reference: payment.reference,
                counterparty_iban: payment.counterparty_iban.map(|i| i.as_str().to_string()),
                counterparty_name: payment.counterparty_name,
            }
        })
        .collect())
}

/// The short overview printed after `demo`: how big the ledger is and how
/// healthy.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Overview {
    #[serde(serialize_with = "ser::date")]
    pub as_of: Date,
    pub customers: u64,
    pub invoices: u64,
    #[serde(serialize_with = "ser::money")]
    pub open: Money,
    #[serde(serialize_with = "ser::money")]
    pub overdue: Money,
    #[serde(serialize_with = "ser::days")]
    pub dso_countback: Option<f64>,
    #[serde(serialize_with = "ser::days")]
    pub dso_simple_90: Option<f64>,
}

pub fn overview(tx: &mut dyn ReadTx, as_of: Date) -> Result<Overview> {
    let (customers, invoices) = (tx.customer_count()?, tx.invoice_count()?);
    let aging = aging(tx, as_of, Currency::EUR, None)?;
    let dso = dso(tx, as_of, Currency::EUR, 90)?;
    Ok(Overview {
        as_of,
        customers,
        invoices,
        open: aging.total,
        overdue: aging.overdue,
        dso_countback: dso.countback.days,
        dso_simple_90: dso.simple.days,
    })
}

/// One invoice or credit note with what is open on it (`GET /api/v1/invoices/N`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InvoiceView {
    pub number: String,
    /// `invoice` or `credit_note`.
    pub kind: &'static str,
    pub customer: String,
    pub customer_name: String,
    #[serde(serialize_with = "ser::date")]
    pub issue_date: Date,
    #[serde(serialize_with = "ser::date")]
    pub due_date: Date,
    #[serde(serialize_with = "ser::money")]
    pub amount: Money,
    /// Open as of the date (credit left, for a credit note).
    #[serde(serialize_with = "ser::money")]
    pub open: Money,
    pub days_overdue: i32,
    #[serde(serialize_with = "ser::currency")]
    pub currency: Currency,
    pub payment_reference: Option<String>,
    pub description: Option<String>,
    pub disputed: bool,
    #[serde(serialize_with = "ser::date")]
    pub as_of: Date,
}

pub fn invoice(tx: &mut dyn ReadTx, number: &str, as_of: Date) -> Result<InvoiceView> {
    let stored = tx
        .invoice_by_number(number)?
        .ok_or_else(|| AppError::NotFound(format!("no invoice with number '{number}'")))?;
    let customer = tx
        .customer(stored.invoice.customer)?
        .ok_or_else(|| AppError::NotFound(format!("the customer of invoice '{number}' is gone")))?;
    let doc = tx
        .customer_documents(customer.id, as_of)?
        .into_iter()
        .find(|d| d.id == stored.id);
    let inv = &stored.invoice;
    let open_minor = doc.map_or(0, |d| d.open_minor);
    let days = as_of.days_since_epoch() - inv.due_date.days_since_epoch();
    Ok(InvoiceView {
        number: inv.number.clone(),
        kind: if inv.is_credit_note() {
            "credit_note"
        } else {
            "invoice"
        },
        customer: customer.customer.number,
        customer_name: customer.customer.name,
        issue_date: inv.issue_date,
        due_date: inv.due_date,
        amount: inv.amount,
        open: Money::new(open_minor, inv.amount.currency),
        days_overdue: if open_minor > 0 { days.max(0) } else { 0 },
        currency: inv.amount.currency,
        payment_reference: inv.payment_reference.as_ref().map(|r| r.to_string()),
        description: inv.description.clone(),
        disputed: tx.open_dispute_on(stored.id)?.is_some(),
        as_of,
    })
}
