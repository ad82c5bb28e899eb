//! Disputes: a customer contests an invoice; dunning leaves it alone until
//! the dispute is resolved.

use crate::audit::{Detail, Label};
use crate::refusal::{Needed, Refusal};
use serde::Serialize;
use tegoed_core::Date;
use tegoed_store::{Dispute, ReadTx, StoredDispute, WriteTx};

use super::*;
use crate::access::{Action, Actor};
use crate::{AppError, Result};

/// A dispute, as listed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DisputeLine {
    pub id: i64,
    pub customer: String,
    pub invoice: String,
    #[serde(serialize_with = "crate::ser::date")]
    pub opened_on: Date,
    pub reason: String,
    #[serde(serialize_with = "crate::ser::opt_date")]
    pub resolved_on: Option<Date>,
    pub resolution: Option<String>,
}

/// The lines of `list`, with invoice and customer numbers read in one go.
fn dispute_lines(tx: &mut dyn ReadTx, list: Vec<StoredDispute>) -> Result<Vec<DisputeLine>> {
    let invoices: Vec<_> = list.iter().map(|d| d.dispute.invoice).collect();
    let numbers: rustc_hash::FxHashMap<_, _> = tx
        .invoices(&invoices)?
        .into_iter()
        .map(|i| (i.id, i.invoice.number))
        .collect();
    let customers = customer_labels(tx, list.iter().map(|d| d.dispute.customer))?;
    Ok(list
        .into_iter()
        .map(|d| {
            let dispute = d.dispute;
            DisputeLine {
                id: d.id,
                customer: customers
                    .get(&dispute.customer)
                    .map(|c| c.number.clone())
                    .unwrap_or_default(),
                invoice: numbers.get(&dispute.invoice).cloned().unwrap_or_default(),
                opened_on: dispute.opened_on,
                reason: dispute.reason,
                resolved_on: dispute.resolved_on,
                resolution: dispute.resolution,
            }
        })
        .collect())
}

fn dispute_line(tx: &mut dyn ReadTx, id: i64, dispute: Dispute) -> Result<DisputeLine> {
    let mut lines = dispute_lines(tx, vec![StoredDispute { id, dispute }])?;
    lines
        .pop()
        .ok_or_else(|| AppError::NotFound(format!("dispute {id}")))
}

/// Opens a dispute on an invoice: dunning pauses on it.
pub fn open_dispute(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    invoice_number: &str,
    reason: &str,
    as_of: Date,
) -> Result<DisputeLine> {
    require_text(reason, Needed::DisputeReason)?;
    let invoice = tx
        .invoice_by_number(invoice_number)?
        .ok_or_else(|| AppError::NotFound(format!("no invoice with number '{invoice_number}'")))?;
    let owner = owner_of(tx, invoice.invoice.customer)?;
    actor.require(Action::Collect, owner)?;
    if invoice.invoice.is_credit_note() {
        return Err(AppError::Invalid(format!(
            "{invoice_number} is a credit note; only invoices can be disputed"
        )));
    }
    if let Some(open) = tx.open_dispute_on(invoice.id)? {
        return Err(Refusal::AlreadyDisputed {
            invoice: invoice_number.to_string(),
            since: open.dispute.opened_on,
            reason: open.dispute.reason,
        }
        .into());
    }
    let dispute = Dispute {
        invoice: invoice.id,
        customer: invoice.invoice.customer,
        opened_on: as_of,
        reason: reason.trim().to_string(),
        resolved_on: None,
        resolution: None,
    };
    let id = tx.insert_dispute(&dispute)?;
    tx.add_event(&event(
        dispute.customer,
        as_of,
        "dispute_opened",
        Some(invoice.id),
        Some(id),
        (
            format!("Invoice {invoice_number} disputed: {}", dispute.reason),
            format!("Factuur {invoice_number} betwist: {}", dispute.reason),
        ),
    ))?;
    let line = dispute_line(tx, id, dispute)?;
    actor.audit(
        tx,
        "dispute.open",
        &line.customer,
        Detail::none()
            .text(Label::Invoice, invoice_number)
            .text(Label::Reason, &line.reason),
    )?;
    Ok(line)
}

/// Resolves the open dispute on an invoice: dunning on it resumes.
pub fn resolve_dispute(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    invoice_number: &str,
    resolution: Option<&str>,
    as_of: Date,
) -> Result<DisputeLine> {
    let invoice = tx
        .invoice_by_number(invoice_number)?
        .ok_or_else(|| AppError::NotFound(format!("no invoice with number '{invoice_number}'")))?;
    let owner = owner_of(tx, invoice.invoice.customer)?;
    actor.require(Action::Collect, owner)?;
    let open = tx.open_dispute_on(invoice.id)?.ok_or_else(|| {
        AppError::from(Refusal::NoOpenDispute {
            invoice: invoice_number.to_string(),
        })
    })?;
    let resolution = resolution.map(str::trim).filter(|r| !r.is_empty());
    tx.resolve_dispute(open.id, as_of, resolution)?;
    tx.add_event(&event(
        open.dispute.customer,
        as_of,
        "dispute_resolved",
        Some(invoice.id),
        Some(open.id),
        match resolution {
            Some(r) => (
                format!("Dispute on invoice {invoice_number} resolved: {r}"),
                format!("Geschil over factuur {invoice_number} opgelost: {r}"),
            ),
            None => (
                format!("Dispute on invoice {invoice_number} resolved"),
                format!("Geschil over factuur {invoice_number} opgelost"),
            ),
        },
    ))?;
    let mut dispute = open.dispute;
    dispute.resolved_on = Some(as_of);
    dispute.resolution = resolution.map(str::to_string);
    let line = dispute_line(tx, open.id, dispute)?;
    actor.audit(
        tx,
        "dispute.resolve",
        &line.customer,
        Detail::none()
            .text(Label::Invoice, invoice_number)
            .text(Label::Resolution, resolution.unwrap_or_default()),
    )?;
    Ok(line)
}

/// Disputes (open ones unless `all`).
pub fn disputes(tx: &mut dyn ReadTx, all: bool) -> Result<Vec<DisputeLine>> {
    let list = tx.disputes(None, !all)?;
    dispute_lines(tx, list)
}

/// The customer's disputes, open ones first.
pub fn disputes_of(tx: &mut dyn ReadTx, customer: CustomerId) -> Result<Vec<DisputeLine>> {
    let list = tx.disputes(Some(customer), false)?;
    let mut lines = dispute_lines(tx, list)?;
    lines.sort_by_key(|d| (d.resolved_on.is_some(), std::cmp::Reverse(d.opened_on)));
    Ok(lines)
}
