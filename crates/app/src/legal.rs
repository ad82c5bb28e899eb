//! Dutch law applied to customers: statutory interest per invoice, WIK
//! collection costs over what is collected together, the consumer's 14-day
//! letter, and the full claim (`tegoed claim`) — the same numbers the dunning
//! messages and the agency's claim file show.

use std::collections::HashSet;

use serde::Serialize;
use tegoed_core::customer::CustomerKind;
use tegoed_core::legal::{
    CostsBasis, InterestCalc, InterestKind, LetterTerm, WikCalc, collection_costs,
    statutory_interest, statutory_interest_with_payments, wik_costs,
};
use tegoed_core::money::sum_minor;
use tegoed_core::rate::Rate;
use tegoed_core::strategy::Channel;
use tegoed_core::{Currency, CustomerId, Date, InvoiceId, Language, Money};
use tegoed_store::{MessageFilter, MessageStatus, ReadTx, StoredMessage};

use crate::config::Config;
use crate::{AppError, Result};

/// Which interest applies to a customer.
pub fn interest_kind(kind: CustomerKind) -> InterestKind {
    match kind {
        CustomerKind::B2b => InterestKind::Commercial,
        CustomerKind::B2c => InterestKind::Consumer,
    }
}

fn decimal(minor: i64) -> String {
    Money::eur(minor).to_decimal_string()
}

/// `legal interest` as JSON.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InterestReport {
    pub principal: String,
    pub interest: String,
    pub kind: &'static str,
    pub from: String,
    pub to: String,
    pub days: i32,
    pub periods: Vec<PeriodLine>,
    /// False when a rate used is unconfirmed or carried forward.
    pub verified: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PeriodLine {
    pub from: String,
    pub to: String,
    pub rate: String,
    pub days: i32,
    /// The principal this period's interest runs on (it grows with yearly
    /// compounding).
    pub principal: String,
    pub interest: String,
    pub verified: bool,
}

/// A rate as a percentage with two decimals ("12.50"); statutory rates
/// have at most two.
fn percent_2(rate: Rate) -> String {
    let ppm = rate.0.abs();
    let sign = if rate.0 < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", ppm / 10_000, (ppm % 10_000) / 100)
}

fn period_lines(calc: &InterestCalc) -> Vec<PeriodLine> {
    calc.periods
        .iter()
        .map(|p| PeriodLine {
            from: p.from.to_string(),
            to: p.to.to_string(),
            rate: percent_2(p.rate),
            days: p.days,
            principal: decimal(p.principal_minor),
            interest: decimal(p.interest_minor),
            verified: p.verified,
        })
        .collect()
}

/// Statutory interest on `principal_minor` (euro cents) from `from` (the
/// first day that counts) to `to` (not counted).
pub fn interest(
    config: &Config,
    principal_minor: i64,
    from: Date,
    to: Date,
    kind: InterestKind,
) -> Result<InterestReport> {
    if to < from {
        return Err(AppError::Invalid(format!(
            "--to {to} is before --from {from}"
        )));
    }
    let calc = statutory_interest(principal_minor, from, to, config.legal.rates(kind))
        .map_err(|e| AppError::Invalid(e.to_string()))?;
    Ok(InterestReport {
        principal: decimal(principal_minor),
        interest: decimal(calc.interest_minor),
        kind: kind.as_str(),
        from: from.to_string(),
        to: to.to_string(),
        days: from.days_until(to),
        verified: !calc.uses_unverified_rate(),
        periods: period_lines(&calc),
    })
}

/// `legal wik` as JSON.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WikReport {
    pub principal: String,
    pub costs: String,
    pub vat_uplift: String,
    pub total_costs: String,
    pub bands: Vec<BandLine>,
    pub minimum_applied: bool,
    pub maximum_applied: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BandLine {
    pub from: String,
    pub to: Option<String>,
    pub rate: String,
    pub part: String,
    pub costs: String,
}

pub fn wik_report(calc: &WikCalc) -> WikReport {
    WikReport {
        principal: decimal(calc.principal_minor),
        costs: decimal(calc.costs_minor),
        vat_uplift: decimal(calc.vat_uplift_minor),
        total_costs: decimal(calc.total_minor),
        bands: calc
            .bands
            .iter()
            .map(|b| BandLine {
                from: decimal(b.from_minor),
                to: b.to_minor.map(decimal),
                rate: b.rate.percent_string(),
                part: decimal(b.part_minor),
                costs: decimal(b.rate.apply(b.part_minor)),
            })
            .collect(),
        minimum_applied: calc.minimum_applied,
        maximum_applied: calc.maximum_applied,
    }
}

/// WIK costs over `principal_minor`, with an optional VAT uplift.
pub fn wik(principal_minor: i64, vat_uplift: Option<Rate>) -> Result<WikReport> {
    if principal_minor <= 0 {
        return Err(AppError::Invalid(
            "the principal must be more than zero".into(),
        ));
    }
    Ok(wik_report(&wik_costs(principal_minor, vat_uplift)))
}

/// Interest on one invoice up to and including `as_of`: from the day after
/// the due date, on the amount less what was paid, each payment stopping
/// interest on its part from its date.
pub fn invoice_interest(
    config: &Config,
    kind: InterestKind,
    amount_minor: i64,
    due_date: Date,
    payments: &[(Date, i64)],
    as_of: Date,
) -> Result<InterestCalc> {
    let from = due_date.add_days(1);
    let to = as_of.add_days(1);
    statutory_interest_with_payments(amount_minor, from, to, payments, config.legal.rates(kind))
        .map_err(|e| AppError::Invalid(e.to_string()))
}

/// A 14-day letter as sent.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FourteenDayLetter {
    pub message_id: i64,
    #[serde(serialize_with = "crate::ser::date")]
    pub sent_on: Date,
    pub channel: &'static str,
    #[serde(serialize_with = "crate::ser::date")]
    pub received_on: Date,
    #[serde(serialize_with = "crate::ser::date")]
    pub pay_without_costs_until: Date,
    pub stated_costs: String,
    /// The invoices the letter was about.
    #[serde(skip)]
    pub invoices: Vec<InvoiceId>,
    #[serde(skip)]
    pub stated_costs_minor: i64,
}

/// The customer's 14-day letters that were sent, oldest first.
pub fn fourteen_day_letters(
    tx: &mut dyn ReadTx,
    customer: CustomerId,
) -> Result<Vec<FourteenDayLetter>> {
    let messages: Vec<StoredMessage> = tx.messages(MessageFilter {
        customer: Some(customer),
        status: Some(MessageStatus::Sent),
        ..MessageFilter::default()
    })?;
    let mut letters = Vec::new();
    for message in messages {
        let Some(record) = message.message.fourteen_day else {
            continue;
        };
        letters.push(FourteenDayLetter {
            message_id: message.id,
            sent_on: message.delivered_on.unwrap_or(message.message.as_of),
            channel: match message.message.channel {
                Channel::Email => "email",
                _ => "letter",
            },
            received_on: record.received_on,
            pay_without_costs_until: record.pay_without_costs_until,
            stated_costs: decimal(record.stated_costs_minor),
            stated_costs_minor: record.stated_costs_minor,
            // Only the invoices the letter was about (its rung), not those
            // it listed as also open.
            invoices: tx
                .message_items(message.id)?
                .into_iter()
                .filter(|i| i.step.is_some())
                .map(|i| i.invoice)
                .collect(),
        });
    }
    Ok(letters)
}

/// Collection costs decided for a set of invoices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostsDecision {
    pub calc: Option<WikCalc>,
    /// Why (no) costs (say it with [`CostsBasis::text`]).
    pub basis: CostsBasis,
    /// The 14-day letter the consumer costs rest on.
    pub letter: Option<FourteenDayLetter>,
}

impl CostsDecision {
    /// No costs at this step (or not in euros).
    fn none(currency: Currency) -> CostsDecision {
        CostsDecision {
            calc: None,
            basis: if currency == Currency::EUR {
                CostsBasis::NotAtThisStep
            } else {
                CostsBasis::NotInEuros
            },
            letter: None,
        }
    }
}

/// Costs over `invoices` (id, principal) of a customer of `kind`, by the
/// core's rule ([`tegoed_core::legal::collection_costs`]) with the sent
/// 14-day letters.
pub fn decide_costs(
    config: &Config,
    kind: CustomerKind,
    invoices: &[(InvoiceId, i64)],
    letters: &[FourteenDayLetter],
    as_of: Date,
) -> CostsDecision {
    let terms: Vec<LetterTerm> = letters
        .iter()
        .map(|l| LetterTerm {
            sent_on: l.sent_on,
            pay_without_costs_until: l.pay_without_costs_until,
            stated_costs_minor: l.stated_costs_minor,
            invoices: l.invoices.clone(),
        })
        .collect();
    let (calc, basis, letter) = collection_costs(
        kind == CustomerKind::B2c,
        invoices,
        &terms,
        config.legal.uplift(),
        as_of,
    );
    CostsDecision {
        calc,
        basis,
        letter: letter.map(|i| letters[i].clone()),
    }
}

// --- the claim ---------------------------------------------------------------

/// One invoice of a claim.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ClaimInvoice {
    pub number: String,
    #[serde(serialize_with = "crate::ser::date")]
    pub issue_date: Date,
    #[serde(serialize_with = "crate::ser::date")]
    pub due_date: Date,
    pub amount: String,
    pub paid: String,
    pub principal: String,
    pub days_overdue: i32,
    pub interest: String,
    pub interest_periods: Vec<PeriodLine>,
    #[serde(skip)]
    pub invoice: InvoiceId,
    #[serde(skip)]
    pub principal_minor: i64,
    #[serde(skip)]
    pub interest_minor: i64,
}

/// Costs in a claim.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ClaimCosts {
    pub principal: String,
    pub costs: String,
    pub vat_uplift: String,
    pub total_costs: String,
    pub bands: Vec<BandLine>,
    pub minimum_applied: bool,
    pub maximum_applied: bool,
}

/// The full claim on a customer on a date.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Claim {
    pub customer: String,
    pub name: String,
    pub kind: &'static str,
    #[serde(serialize_with = "crate::ser::date")]
    pub as_of: Date,
    #[serde(serialize_with = "crate::ser::currency")]
    pub currency: Currency,
    pub interest_kind: &'static str,
    pub invoices: Vec<ClaimInvoice>,
    pub principal: String,
    pub interest: String,
    /// `null` when no costs can be claimed (see `costs_basis`).
    pub costs: Option<ClaimCosts>,
    pub costs_basis: String,
    /// The same in Dutch (for a Dutch claim file).
    #[serde(skip)]
    pub costs_basis_nl: String,
    pub fourteen_day_letter: Option<FourteenDayLetter>,
    pub total: String,
    /// Overdue invoices left out because they are disputed.
    pub disputed: Vec<String>,
    /// False when an interest rate used is unconfirmed or carried forward.
    pub rates_verified: bool,
    #[serde(skip)]
    pub principal_minor: i64,
    #[serde(skip)]
    pub interest_minor: i64,
    #[serde(skip)]
    pub costs_minor: i64,
}

/// An overdue invoice to claim on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ClaimLine {
    pub invoice: InvoiceId,
    pub number: String,
    pub issue_date: Date,
    pub due_date: Date,
    pub amount_minor: i64,
    /// What is claimed of it (open, less credit not yet applied).
    pub open_minor: i64,
}

/// What to claim on `invoices` (overdue, not disputed) of a customer.
pub(crate) struct ClaimInput<'a> {
    pub customer: CustomerId,
    pub kind: CustomerKind,
    pub currency: Currency,
    pub invoices: &'a [ClaimLine],
}

/// The claim computation shared by `tegoed claim`, the messages and the
/// agency's claim file.
pub(crate) fn compute_claim(
    tx: &mut dyn ReadTx,
    config: &Config,
    input: &ClaimInput<'_>,
    as_of: Date,
    with_costs: bool,
) -> Result<(Vec<ClaimInvoice>, CostsDecision, bool)> {
    let kind = interest_kind(input.kind);
    let mut lines = Vec::new();
    let mut verified = true;
    for line in input.invoices {
        // Interest runs on what is still open: the amount less what was
        // paid on it, from the day it was paid.
        let payments: Vec<(Date, i64)> = if line.open_minor < line.amount_minor {
            tx.allocations_to(line.invoice)?
                .into_iter()
                .filter(|a| a.allocation.date <= as_of)
                .map(|a| (a.allocation.date, a.allocation.amount_minor))
                .collect()
        } else {
            Vec::new()
        };
        let calc = invoice_interest(
            config,
            kind,
            line.amount_minor,
            line.due_date,
            &payments,
            as_of,
        )?;
        verified &= !calc.uses_unverified_rate();
        lines.push(ClaimInvoice {
            number: line.number.clone(),
            issue_date: line.issue_date,
            due_date: line.due_date,
            amount: decimal(line.amount_minor),
            paid: decimal(line.amount_minor - line.open_minor),
            principal: decimal(line.open_minor),
            days_overdue: line.due_date.days_until(as_of),
            interest: decimal(calc.interest_minor),
            interest_periods: period_lines(&calc),
            invoice: line.invoice,
            principal_minor: line.open_minor,
            interest_minor: calc.interest_minor,
        });
    }
    let costs = if with_costs && input.currency == Currency::EUR {
        let letters = if input.kind == CustomerKind::B2c {
            fourteen_day_letters(tx, input.customer)?
        } else {
            Vec::new()
        };
        let principals: Vec<(InvoiceId, i64)> = lines
            .iter()
            .map(|l| (l.invoice, l.principal_minor))
            .collect();
        decide_costs(config, input.kind, &principals, &letters, as_of)
    } else {
        CostsDecision::none(input.currency)
    };
    Ok((lines, costs, verified))
}

/// `tegoed claim CUSTOMER`: every overdue, undisputed invoice in `currency`
/// with principal, interest to date and collection costs.
pub fn claim(
    tx: &mut dyn ReadTx,
    config: &Config,
    number: &str,
    currency: Currency,
    as_of: Date,
) -> Result<Claim> {
    let stored = tx
        .customer_by_number(number)?
        .ok_or_else(|| AppError::NotFound(format!("no customer with number '{number}'")))?;
    build_claim(tx, config, stored.id, currency, as_of)
}

/// An open invoice a claim file names but does not claim: it stays in the
/// creditor's own collection.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NotClaimed {
    pub number: String,
    #[serde(serialize_with = "crate::ser::date")]
    pub due_date: Date,
    pub open: String,
    pub days_overdue: i32,
}

/// The claim for the agency: only `claimed` (the invoices that had the
/// final notice); every other open invoice of the customer is listed as
/// not claimed.
pub(crate) fn build_handoff_claim(
    tx: &mut dyn ReadTx,
    config: &Config,
    customer: CustomerId,
    currency: Currency,
    as_of: Date,
    claimed: &[InvoiceId],
) -> Result<(Claim, Vec<NotClaimed>)> {
    let mut not_claimed = Vec::new();
    for doc in tx.customer_documents(customer, as_of)? {
        let invoice = &doc.invoice;
        if invoice.amount.minor > 0 && doc.open_minor > 0 && !claimed.contains(&doc.id) {
            not_claimed.push(NotClaimed {
                number: invoice.number.clone(),
                due_date: invoice.due_date,
                open: Money::new(doc.open_minor, invoice.amount.currency).to_decimal_string(),
                days_overdue: invoice.due_date.days_until(as_of),
            });
        }
    }
    let claim = claim_on(tx, config, customer, currency, as_of, Some(claimed))?;
    Ok((claim, not_claimed))
}

pub(crate) fn build_claim(
    tx: &mut dyn ReadTx,
    config: &Config,
    customer: CustomerId,
    currency: Currency,
    as_of: Date,
) -> Result<Claim> {
    claim_on(tx, config, customer, currency, as_of, None)
}

/// The claim on the customer's overdue, undisputed invoices in `currency`
/// (only those in `only`, when given).
fn claim_on(
    tx: &mut dyn ReadTx,
    config: &Config,
    customer: CustomerId,
    currency: Currency,
    as_of: Date,
    only: Option<&[InvoiceId]>,
) -> Result<Claim> {
    let stored = tx
        .customer(customer)?
        .ok_or_else(|| AppError::NotFound(format!("no customer with id {customer}")))?;
    let disputed: HashSet<InvoiceId> = tx
        .disputes(Some(customer), true)?
        .into_iter()
        .map(|d| d.dispute.invoice)
        .collect();
    let mut invoices = Vec::new();
    let mut disputed_numbers = Vec::new();
    for doc in tx.customer_documents(customer, as_of)? {
        let invoice = &doc.invoice;
        if invoice.amount.minor <= 0
            || doc.open_minor <= 0
            || invoice.due_date >= as_of
            || invoice.amount.currency != currency
            || only.is_some_and(|only| !only.contains(&doc.id))
        {
            continue;
        }
        if disputed.contains(&doc.id) {
            disputed_numbers.push(invoice.number.clone());
            continue;
        }
        invoices.push(ClaimLine {
            invoice: doc.id,
            number: invoice.number.clone(),
            issue_date: invoice.issue_date,
            due_date: invoice.due_date,
            amount_minor: invoice.amount.minor,
            open_minor: doc.open_minor,
        });
    }
    let kind = stored.customer.kind;
    let (lines, costs, verified) = compute_claim(
        tx,
        config,
        &ClaimInput {
            customer,
            kind,
            currency,
            invoices: &invoices,
        },
        as_of,
        true,
    )?;
    let principal = sum_minor(lines.iter().map(|l| l.principal_minor))?;
    let interest = sum_minor(lines.iter().map(|l| l.interest_minor))?;
    let costs_minor = costs.calc.as_ref().map_or(0, |c| c.total_minor);
    Ok(Claim {
        customer: stored.customer.number,
        name: stored.customer.name,
        kind: kind.as_str(),
        as_of,
        currency,
        interest_kind: interest_kind(kind).as_str(),
        invoices: lines,
        principal: decimal(principal),
        interest: decimal(interest),
        costs: costs.calc.as_ref().map(|c| {
            let report = wik_report(c);
            ClaimCosts {
                principal: report.principal,
                costs: report.costs,
                vat_uplift: report.vat_uplift,
                total_costs: report.total_costs,
                bands: report.bands,
                minimum_applied: report.minimum_applied,
                maximum_applied: report.maximum_applied,
            }
        }),
        costs_basis: costs.basis.text(Language::En),
        costs_basis_nl: costs.basis.text(Language::Nl),
        fourteen_day_letter: costs.letter,
        total: decimal(principal + interest + costs_minor),
        disputed: disputed_numbers,
        rates_verified: verified,
        principal_minor: principal,
        interest_minor: interest,
        costs_minor,
    })
}
