//! Promises to pay: an amount by a date, covering invoices; kept when the
//! money arrives by then, broken when it does not.

use crate::audit::{Detail, Label};
use crate::refusal::Refusal;
use serde::Serialize;
use tegoed_core::agreements::{PromiseStatus, promise_status};
use tegoed_core::{Currency, Date, InvoiceId, Money};
use tegoed_store::{Promise, ReadTx, StoredPromise, WriteTx};

use super::*;
use crate::access::{Action, Actor};
use crate::{AppError, Result};

/// A promise, as listed, with its status on the date asked.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PromiseLine {
    pub id: i64,
    pub customer: String,
    pub name: String,
    #[serde(serialize_with = "crate::ser::date")]
    pub created_on: Date,
    #[serde(serialize_with = "crate::ser::money")]
    pub amount: Money,
    #[serde(serialize_with = "crate::ser::date")]
    pub promised_on: Date,
    /// Paid on the covered invoices from the promise up to its date.
    #[serde(serialize_with = "crate::ser::money")]
    pub paid: Money,
    pub status: &'static str,
    pub invoices: Vec<String>,
    pub note: Option<String>,
}

fn promise_paid(tx: &mut dyn ReadTx, promise: &Promise, as_of: Date) -> Result<i64> {
    let until = promise.promised_on.min(as_of);
    if until < promise.created_on {
        return Ok(0);
    }
    Ok(tx.allocated_between(&promise.invoices, promise.created_on, until)?)
}

/// A promise's status on `as_of`, from the money that arrived.
pub(crate) fn promise_status_on(
    tx: &mut dyn ReadTx,
    promise: &Promise,
    as_of: Date,
) -> Result<(PromiseStatus, i64)> {
    if promise.status != PromiseStatus::Pending {
        let paid = promise_paid(tx, promise, as_of)?;
        return Ok((promise.status, paid));
    }
    let paid = promise_paid(tx, promise, as_of)?;
    Ok((
        promise_status(promise.amount.minor, promise.promised_on, paid, as_of),
        paid,
    ))
}

fn promise_line(tx: &mut dyn ReadTx, stored: &StoredPromise, as_of: Date) -> Result<PromiseLine> {
    let promise = &stored.promise;
    let (status, paid) = promise_status_on(tx, promise, as_of)?;
    let (customer, name) = customer_label(tx, promise.customer)?;
    Ok(PromiseLine {
        id: stored.id,
        customer,
        name,
        created_on: promise.created_on,
        amount: promise.amount,
        promised_on: promise.promised_on,
        paid: Money::new(paid, promise.amount.currency),
        status: status.as_str(),
        invoices: invoice_numbers(tx, &promise.invoices)?,
        note: promise.note.clone(),
    })
}

/// Records a promise to pay `amount` by `date`, covering the customer's
/// overdue invoices (or the ones named): dunning on them pauses until the
/// date.
#[allow(clippy::too_many_arguments)]
pub fn add_promise(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    number: &str,
    amount: &str,
    date: Date,
    invoice_numbers_given: &[String],
    note: Option<&str>,
    as_of: Date,
) -> Result<PromiseLine> {
    if date < as_of {
        return Err(Refusal::PromiseBeforeToday { date, today: as_of }.into());
    }
    crate::refusal::within_a_year("date", date, as_of)?;
    let stored = customer(tx, number)?;
    actor.require(Action::Agreement, stored.customer.account_manager)?;
    let overdue = overdue_invoices(tx, stored.id, as_of)?;
    let chosen: Vec<(InvoiceId, String, i64, Currency)> = if invoice_numbers_given.is_empty() {
        overdue
    } else {
        let mut chosen = Vec::new();
        for wanted in invoice_numbers_given {
            let invoice = tx
                .invoice_by_number(wanted)?
                .filter(|i| i.invoice.customer == stored.id)
                .ok_or_else(|| {
                    AppError::NotFound(format!("customer {number} has no invoice '{wanted}'"))
                })?;
            let open = tx.open_item(invoice.id)?.map_or(0, |o| o.open.minor);
            chosen.push((
                invoice.id,
                invoice.invoice.number,
                open,
                invoice.invoice.amount.currency,
            ));
        }
        chosen
    };
    if chosen.is_empty() {
        return Err(Refusal::NoOverdueInvoices {
            customer: number.to_string(),
            today: as_of,
        }
        .into());
    }
    let currency = chosen[0].3;
    let amount_minor = tegoed_core::money::parse_typed_amount(amount, currency.exponent())
        .map_err(|e| Refusal::AmountUnreadable {
            amount: amount.to_string(),
            reason: e.to_string(),
        })?;
    if amount_minor <= 0 {
        return Err(Refusal::AmountNotPositive {
            amount: amount.to_string(),
        }
        .into());
    }
    let promise = Promise {
        customer: stored.id,
        created_on: as_of,
        amount: Money::new(amount_minor, currency),
        promised_on: date,
        status: PromiseStatus::Pending,
        status_on: None,
        note: note.map(str::to_string),
        invoices: chosen.iter().map(|c| c.0).collect(),
    };
    let id = tx.insert_promise(&promise)?;
    tx.add_event(&event(stored.id, as_of, "promise_made", None, Some(id), {
        let numbers = numbers_of(&chosen);
        (
            format!(
                "Promised to pay {} by {} (invoices {numbers})",
                eur(amount_minor, currency),
                date_en(date),
            ),
            format!(
                "Toegezegd: {} betalen uiterlijk {} (facturen {numbers})",
                eur_nl(amount_minor, currency),
                date_nl(date),
            ),
        )
    }))?;
    let line = promise_line(tx, &StoredPromise { id, promise }, as_of)?;
    actor.audit(
        tx,
        "promise.add",
        number,
        Detail::none()
            .money(Label::Amount, line.amount)
            .date(Label::By, date)
            .number(Label::Promise, id),
    )?;
    Ok(line)
}

/// Promises with their status on `as_of`; only broken ones with `broken`.
pub fn promises(tx: &mut dyn ReadTx, broken_only: bool, as_of: Date) -> Result<Vec<PromiseLine>> {
    let list = tx.promises(None, false)?;
    let mut lines = Vec::new();
    for promise in &list {
        let line = promise_line(tx, promise, as_of)?;
        if !broken_only || line.status == "broken" {
            lines.push(line);
        }
    }
    Ok(lines)
}

/// The customer's promises to pay, newest first.
pub fn promises_of(
    tx: &mut dyn ReadTx,
    customer: CustomerId,
    as_of: Date,
) -> Result<Vec<PromiseLine>> {
    let list = tx.promises(Some(customer), false)?;
    let mut lines = list
        .iter()
        .map(|p| promise_line(tx, p, as_of))
        .collect::<Result<Vec<_>>>()?;
    lines.sort_by_key(|p| std::cmp::Reverse((p.created_on, p.id)));
    Ok(lines)
}
