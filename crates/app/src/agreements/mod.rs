//! Agreements and pauses: disputes, promises to pay, payment plans, dunning
//! pauses, tags, call tasks and the customer timeline — the use cases behind
//! `tegoed dispute|promise|plan|pause|tasks|customer tag|customer timeline`.
//!
//! Whether a promise is kept or a plan on track is derived from the money
//! that arrived on the invoices they cover; [`evaluate`] does it for a date,
//! and the dunning run records the outcome (kept, broken, completed) on the
//! customer's timeline once.

//!
//! One module per topic: `dispute`, `promise`, `plan`, `evaluate`, `state`
//! (pauses, notes, limits, tags), `task` and `timeline`.

mod dispute;
mod evaluate;
mod plan;
mod promise;
mod sale;
mod state;
mod task;
mod timeline;

pub use dispute::*;
pub use evaluate::*;
pub use plan::*;
pub use promise::*;
pub use sale::*;
pub use state::*;
pub use task::*;
pub use timeline::*;

use crate::refusal::{Needed, Refusal};
use tegoed_core::{Currency, CustomerId, Date, InvoiceId, Language, Money};
use tegoed_store::{DocumentState, ReadTx, StoredCustomer, TimelineEvent, WriteTx};

use crate::{AppError, Result};

/// A reason, outcome or note a person must give: not blank.
fn require_text(text: &str, needed: Needed) -> Result<()> {
    if text.trim().is_empty() {
        return Err(Refusal::Missing(needed).into());
    }
    Ok(())
}

fn customer(tx: &mut dyn ReadTx, number: &str) -> Result<StoredCustomer> {
    tx.customer_by_number(number)?
        .ok_or_else(|| AppError::NotFound(format!("no customer with number '{number}'")))
}

/// A timeline entry written by Tegoed, in English and Dutch.
pub(crate) fn event(
    customer: CustomerId,
    date: Date,
    kind: &str,
    invoice: Option<InvoiceId>,
    ref_id: Option<i64>,
    (en, nl): (String, String),
) -> TimelineEvent {
    TimelineEvent {
        customer,
        date,
        kind: kind.into(),
        invoice,
        ref_id,
        text: en,
        text_nl: Some(nl),
        author: None,
    }
}

fn eur(minor: i64, currency: Currency) -> String {
    Money::new(minor, currency).display()
}

/// Money and dates in Dutch, for the Dutch timeline texts.
pub(crate) fn eur_nl(minor: i64, currency: Currency) -> String {
    Money::new(minor, currency).display_in(Language::Nl)
}

pub(crate) fn date_nl(date: Date) -> String {
    crate::format::short_date(date, Language::Nl)
}

/// A date in the English timeline texts: `25 Nov 2026`.
pub(crate) fn date_en(date: Date) -> String {
    crate::format::short_date(date, Language::En)
}

/// The invoice numbers of a list of invoices, for a text.
fn numbers_of(invoices: &[(InvoiceId, String, i64, Currency)]) -> String {
    invoices
        .iter()
        .map(|i| i.1.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The overdue invoices of a customer on `as_of` (open, due before it).
fn overdue_invoices(
    tx: &mut dyn ReadTx,
    customer: CustomerId,
    as_of: Date,
) -> Result<Vec<(InvoiceId, String, i64, Currency)>> {
    Ok(tx
        .customer_documents(customer, as_of)?
        .into_iter()
        .filter(|d| d.invoice.amount.minor > 0 && d.open_minor > 0 && d.invoice.due_date < as_of)
        .map(|d| {
            (
                d.id,
                d.invoice.number,
                d.open_minor,
                d.invoice.amount.currency,
            )
        })
        .collect())
}

/// The customer's median invoice over the last year (a "standard deal"
/// for the policy verdict on the customer page); `None` without invoices.
pub fn typical_invoice(tx: &mut dyn ReadTx, number: &str, as_of: Date) -> Result<Option<i64>> {
    let stored = customer(tx, number)?;
    Ok(typical_of(&tx.customer_documents(stored.id, as_of)?, as_of))
}

/// The median invoice of the year up to `as_of` among `documents`.
pub fn typical_of(documents: &[DocumentState], as_of: Date) -> Option<i64> {
    let year_ago = as_of.add_years(-1);
    let mut amounts: Vec<i64> = documents
        .iter()
        .filter(|d| d.invoice.amount.minor > 0 && d.invoice.issue_date >= year_ago)
        .map(|d| d.invoice.amount.minor)
        .collect();
    if amounts.is_empty() {
        return None;
    }
    amounts.sort_unstable();
    Some(amounts[amounts.len() / 2])
}

/// The numbers of these invoices, in one read.
fn invoice_numbers(tx: &mut dyn ReadTx, ids: &[InvoiceId]) -> Result<Vec<String>> {
    Ok(tx
        .invoices(ids)?
        .into_iter()
        .map(|i| i.invoice.number)
        .collect())
}

/// What a listing shows of a customer.
#[derive(Debug, Clone, Default)]
pub(crate) struct CustomerLabel {
    pub number: String,
    pub name: String,
    pub phone: Option<String>,
}

/// Number, name and phone of these customers, in one read.
pub(crate) fn customer_labels(
    tx: &mut dyn ReadTx,
    ids: impl IntoIterator<Item = CustomerId>,
) -> Result<rustc_hash::FxHashMap<CustomerId, CustomerLabel>> {
    let mut ids: Vec<CustomerId> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(tx
        .customers(&ids)?
        .into_iter()
        .map(|c| {
            (
                c.id,
                CustomerLabel {
                    number: c.customer.number,
                    name: c.customer.name,
                    phone: c.customer.phone,
                },
            )
        })
        .collect())
}

/// A customer's number and name for a listing (empty when the customer is
/// gone).
fn customer_label(tx: &mut dyn ReadTx, id: CustomerId) -> Result<(String, String)> {
    let label = customer_labels(tx, [id])?.remove(&id).unwrap_or_default();
    Ok((label.number, label.name))
}

/// The account manager of a customer (whose customer it is, for what sales
/// may do).
pub(crate) fn owner_of(
    tx: &mut dyn ReadTx,
    customer: CustomerId,
) -> Result<Option<tegoed_core::AccountManagerId>> {
    Ok(tx
        .customer(customer)?
        .and_then(|c| c.customer.account_manager))
}
