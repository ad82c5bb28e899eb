//! The customer timeline: invoices, payments and everything Tegoed and the
//! team did, in the reader's language.

use serde::Serialize;
use tegoed_core::{Date, Language};
use tegoed_store::ReadTx;

use super::*;
use crate::Result;

/// What a timeline entry of `kind` is, in words of `language` (for claim
/// files and other texts that must not show codes).
pub fn event_label(kind: &str, language: Language) -> &'static str {
    let (en, nl) = match kind {
        "invoice" => ("invoice", "factuur"),
        "credit_note" => ("credit note", "creditnota"),
        "payment" => ("payment", "betaling"),
        "refund" => ("refund", "terugbetaling"),
        "message_sent" => ("message sent", "bericht verstuurd"),
        "call_planned" => ("call planned", "telefoontje gepland"),
        "call_done" => ("call made", "gebeld"),
        "note" => ("note", "notitie"),
        "promise_made" => ("promise to pay", "betaalbelofte"),
        "promise_kept" => ("promise kept", "belofte nagekomen"),
        "promise_broken" => ("promise broken", "belofte niet nagekomen"),
        "dispute_opened" => ("dispute", "geschil"),
        "dispute_resolved" => ("dispute resolved", "geschil opgelost"),
        "plan_created" => ("payment plan", "betalingsregeling"),
        "plan_completed" => ("payment plan completed", "betalingsregeling afgerond"),
        "plan_broken" => ("payment plan broken", "betalingsregeling niet nagekomen"),
        "pause" => ("dunning paused", "aanmanen gepauzeerd"),
        "pause_requested" => ("pause requested", "pauze gevraagd"),
        "pause_rejected" => ("pause refused", "pauze afgewezen"),
        "credit_hold" => ("credit hold", "kredietstop"),
        "credit_hold_released" => ("credit hold lifted", "kredietstop opgeheven"),
        "credit_limit" => ("credit limit", "kredietlimiet"),
        "sale_agreement" => ("agreement at the sale", "afspraak bij de verkoop"),
        "gift" => ("gift", "cadeau"),
        "meeting_decision" => (
            "decided at the sales and credit meeting",
            "besluit van het overleg",
        ),
        "decision_done" => ("meeting decision carried out", "besluit uitgevoerd"),
        "task_done" => ("task done", "taak afgerond"),
        "handed_off" => ("handed to the agency", "naar het incassobureau"),
        "history" => (
            "sent by the earlier system",
            "verstuurd door het vorige systeem",
        ),
        "left_out" => ("left out of a dunning run", "overgeslagen bij het aanmanen"),
        "tag" => ("label", "label"),
        "portal" => ("on their own page", "via de eigen pagina"),
        _ => ("event", "gebeurtenis"),
    };
    match language {
        Language::Nl => nl,
        Language::En => en,
    }
}

/// One entry of the shared customer timeline.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TimelineEntry {
    #[serde(serialize_with = "crate::ser::date")]
    pub date: Date,
    /// `invoice`, `credit_note`, `payment`, or an event kind
    /// (`message_sent`, `call_done`, `promise_broken`, …).
    pub kind: String,
    pub text: String,
    pub invoice: Option<String>,
    /// The message, task, promise, plan or dispute it refers to.
    pub ref_id: Option<i64>,
    pub author: Option<String>,
}

/// Invoices, payments and everything that happened with the customer, in
/// date order, up to `as_of`, in `language` (notes and call outcomes as
/// written).
/// The customer's ledger comes from [`crate::facts::CustomerLedger::load`]
/// (a page that shows it too reads it once).
pub fn timeline(
    tx: &mut dyn ReadTx,
    ledger: &crate::facts::CustomerLedger,
    as_of: Date,
    language: Language,
) -> Result<Vec<TimelineEntry>> {
    let nl = language == Language::Nl;
    let stored = &ledger.stored;
    let mut entries: Vec<(Date, u8, i64, TimelineEntry)> = Vec::new();
    for doc in &ledger.documents {
        let invoice = &doc.invoice;
        let credit = invoice.amount.minor < 0;
        entries.push((
            invoice.issue_date,
            0,
            doc.id.0,
            TimelineEntry {
                date: invoice.issue_date,
                kind: if credit { "credit_note" } else { "invoice" }.into(),
                text: match (credit, nl) {
                    (true, false) => format!(
                        "Credit note {} of {}",
                        invoice.number,
                        invoice.amount.abs().display()
                    ),
                    (true, true) => format!(
                        "Creditnota {} van {}",
                        invoice.number,
                        invoice.amount.abs().display_in(Language::Nl)
                    ),
                    (false, false) => format!(
                        "Invoice {} of {}, due {}",
                        invoice.number,
                        invoice.amount.display(),
                        date_en(invoice.due_date)
                    ),
                    (false, true) => format!(
                        "Factuur {} van {}, vervalt {}",
                        invoice.number,
                        invoice.amount.display_in(Language::Nl),
                        date_nl(invoice.due_date)
                    ),
                },
                invoice: Some(invoice.number.clone()),
                ref_id: None,
                author: None,
            },
        ));
    }
    for payment in &ledger.payments {
        let applied: Vec<String> = payment.applied_to.iter().map(|(n, _)| n.clone()).collect();
        entries.push((
            payment.payment.date,
            1,
            payment.id.0,
            TimelineEntry {
                date: payment.payment.date,
                kind: if payment.payment.amount.minor < 0 {
                    "refund"
                } else {
                    "payment"
                }
                .into(),
                text: match (applied.is_empty(), nl) {
                    (true, false) => format!(
                        "Payment of {} (not applied)",
                        payment.payment.amount.display()
                    ),
                    (true, true) => format!(
                        "Betaling van {} (nog niet verwerkt)",
                        payment.payment.amount.display_in(Language::Nl)
                    ),
                    (false, false) => format!(
                        "Payment of {} for {}",
                        payment.payment.amount.display(),
                        applied.join(", ")
                    ),
                    (false, true) => format!(
                        "Betaling van {} voor {}",
                        payment.payment.amount.display_in(Language::Nl),
                        applied.join(", ")
                    ),
                },
                invoice: None,
                ref_id: None,
                author: None,
            },
        ));
    }
    let events: Vec<_> = tx
        .events(stored.id)?
        .into_iter()
        .filter(|e| e.event.date <= as_of)
        .collect();
    let mut numbers: rustc_hash::FxHashMap<InvoiceId, String> = ledger
        .documents
        .iter()
        .map(|d| (d.id, d.invoice.number.clone()))
        .collect();
    let unknown: Vec<InvoiceId> = events
        .iter()
        .filter_map(|e| e.event.invoice)
        .filter(|id| !numbers.contains_key(id))
        .collect();
    numbers.extend(
        tx.invoices(&unknown)?
            .into_iter()
            .map(|i| (i.id, i.invoice.number)),
    );
    for stored_event in events {
        let event = stored_event.event;
        let invoice = event.invoice.and_then(|id| numbers.get(&id).cloned());
        entries.push((
            event.date,
            2,
            stored_event.id,
            TimelineEntry {
                date: event.date,
                text: event.text_in(language).to_string(),
                kind: event.kind,
                invoice,
                ref_id: event.ref_id,
                author: event.author,
            },
        ));
    }
    entries.sort_by_key(|e| (e.0, e.1, e.2));
    Ok(entries.into_iter().map(|e| e.3).collect())
}
