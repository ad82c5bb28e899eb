//! The payment agreement made at the sale: payment terms on the back of
//! an invoice are not enough, the customer must hear them. Sales records
//! what was agreed, with whom and when; the pre-sale check ticks "terms
//! agreed and explained" when there is one, and reminders quote the latest
//! ("Zoals op 3 maart 2026 afgesproken met Sanne de Boer: betalen binnen 30
//! dagen").

use crate::audit::{Detail, Label};
use crate::refusal::{Needed, Refusal};
use serde::Serialize;
use tegoed_core::Date;
use tegoed_core::party::Email;
use tegoed_store::{ReadTx, SaleAgreement, StoredSaleAgreement, WriteTx};

use super::*;
use crate::Result;
use crate::access::{Action, Actor};

/// An agreement as listed and printed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SaleAgreementLine {
    pub id: i64,
    pub customer: String,
    #[serde(serialize_with = "crate::ser::date")]
    pub agreed_on: Date,
    pub terms_days: u32,
    /// `transfer` or `direct_debit`.
    pub method: String,
    pub invoice_contact: Option<String>,
    pub agreed_with: String,
    pub agreed_by: String,
    pub note: Option<String>,
}

impl SaleAgreementLine {
    pub(crate) fn of(number: &str, stored: StoredSaleAgreement) -> SaleAgreementLine {
        let a = stored.agreement;
        SaleAgreementLine {
            id: stored.id,
            customer: number.to_string(),
            agreed_on: a.agreed_on,
            terms_days: a.terms_days,
            method: a.method,
            invoice_contact: a.invoice_contact,
            agreed_with: a.agreed_with,
            agreed_by: a.agreed_by,
            note: a.note,
        }
    }
}

/// What sales tells Tegoed about the agreement.
#[derive(Debug, Clone)]
pub struct NewSaleAgreement<'a> {
    pub terms_days: u32,
    /// `transfer` (default) or `direct_debit`.
    pub method: Option<&'a str>,
    pub invoice_contact: Option<&'a str>,
    pub agreed_with: &'a str,
    pub agreed_on: Date,
    pub note: Option<&'a str>,
}

/// Records the agreement made at the sale with customer `number`: by the
/// customer's account manager (or the actor when there is none), on the
/// timeline and in the audit log.
pub fn record_sale_agreement(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    number: &str,
    new: &NewSaleAgreement<'_>,
    as_of: Date,
) -> Result<SaleAgreementLine> {
    let stored = customer(tx, number)?;
    actor.require(Action::Agreement, stored.customer.account_manager)?;
    if new.terms_days > 365 {
        return Err(Refusal::TermsOutOfRange {
            terms: new.terms_days,
        }
        .into());
    }
    let method = new.method.unwrap_or("transfer").trim();
    if !matches!(method, "transfer" | "direct_debit") {
        return Err(Refusal::MethodUnknown {
            method: method.to_string(),
        }
        .into());
    }
    let agreed_with = new.agreed_with.trim();
    require_text(agreed_with, Needed::AgreedWith)?;
    if agreed_with.chars().count() > 200 {
        return Err(Refusal::TooLong {
            field: "agreed_with",
            max: 200,
            said: "--agreed-with: at most 200 characters",
        }
        .into());
    }
    let contact = match new.invoice_contact.map(str::trim).filter(|c| !c.is_empty()) {
        Some(text) => Some(
            Email::parse(text)
                .map_err(|e| Refusal::EmailInvalid {
                    field: "invoice_contact",
                    text: text.to_string(),
                    reason: e.to_string(),
                })?
                .as_str()
                .to_string(),
        ),
        None => None,
    };
    if new.agreed_on > as_of {
        return Err(Refusal::SaleAgreementInTheFuture {
            date: new.agreed_on,
            today: as_of,
        }
        .into());
    }
    let note = new.note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 2000) {
        return Err(Refusal::TooLong {
            field: "note",
            max: 2000,
            said: "--note: at most 2,000 characters",
        }
        .into());
    }
    let agreed_by = match stored.customer.account_manager {
        Some(manager) => tx
            .account_managers()?
            .into_iter()
            .find(|(id, _)| *id == manager)
            .map(|(_, m)| m.name)
            .unwrap_or_else(|| actor.id.clone()),
        None => actor.id.clone(),
    };
    let agreement = SaleAgreement {
        customer: stored.id,
        agreed_on: new.agreed_on,
        terms_days: new.terms_days,
        method: method.to_string(),
        invoice_contact: contact,
        agreed_with: agreed_with.to_string(),
        agreed_by,
        note: note.map(str::to_string),
    };
    let id = tx.insert_sale_agreement(&agreement)?;
    let (how_en, how_nl) = match method {
        "direct_debit" => ("by direct debit", "via automatische incasso"),
        _ => ("by bank transfer", "per overboeking"),
    };
    let days = |n: u32, nl: bool| match (n, nl) {
        (1, true) => "1 dag".to_string(),
        (1, false) => "1 day".to_string(),
        (n, true) => format!("{n} dagen"),
        (n, false) => format!("{n} days"),
    };
    add_event_in(
        tx,
        stored.id,
        new.agreed_on,
        "sale_agreement",
        Some(id),
        (
            format!(
                "Agreed at the sale with {agreed_with}: pay within {} {how_en}",
                days(new.terms_days, false)
            ),
            Some(format!(
                "Afgesproken bij de verkoop met {agreed_with}: betalen binnen {} {how_nl}",
                days(new.terms_days, true)
            )),
        ),
        Some(actor.id.as_str()),
    )?;
    actor.audit(
        tx,
        "agreement.record",
        number,
        Detail::none()
            .number(Label::TermsDays, new.terms_days)
            .word(Label::Method, method)
            .text(Label::AgreedWith, agreed_with),
    )?;
    Ok(SaleAgreementLine::of(
        number,
        StoredSaleAgreement { id, agreement },
    ))
}

/// The agreements made at the sale with customer `number`, oldest first.
pub fn sale_agreements_of(tx: &mut dyn ReadTx, number: &str) -> Result<Vec<SaleAgreementLine>> {
    let stored = customer(tx, number)?;
    Ok(tx
        .sale_agreements(Some(stored.id))?
        .into_iter()
        .map(|a| SaleAgreementLine::of(number, a))
        .collect())
}
