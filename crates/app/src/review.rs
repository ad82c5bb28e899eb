//! The review queue: payments the matcher was not sure about, and what a
//! person decides about them — apply a payment to named invoices, or assign
//! it to a customer (applied oldest-first). A decision teaches Tegoed: the
//! paying IBAN is stored on the customer, so the next payment from that
//! account matches by itself.

use serde::Serialize;
use tegoed_core::allocation::Target;
use tegoed_core::matching::MatchRule;
use tegoed_core::{AllocationSource, CustomerId, Date, InvoiceId, Language, MatchInfo, Money};
use tegoed_store::{ReadTx, StoredPayment, WriteTx};

use crate::access::{Action, Actor};
use crate::audit::{Detail, Label};
use crate::payment_note::PaymentNote;

use crate::error::{AppError, Result};
use crate::posting::{self, OpenItems};
use crate::ser;

/// An invoice a suggestion would pay, and how much.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuggestedAllocation {
    pub invoice_number: String,
    #[serde(serialize_with = "ser::money")]
    pub amount: Money,
}

/// The customer the matcher suggests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuggestionLine {
    pub customer_id: String,
    pub name: String,
    pub confidence: u8,
    /// Applied oldest-first, as `tegoed payments assign` would.
    pub allocations: Vec<SuggestedAllocation>,
}

/// A payment waiting for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnmatchedLine {
    pub payment_id: String,
    #[serde(serialize_with = "ser::date")]
    pub date: Date,
    #[serde(serialize_with = "ser::money")]
    pub amount: Money,
    #[serde(serialize_with = "ser::money")]
    pub unallocated: Money,
    pub customer_id: Option<String>,
    pub counterparty_name: Option<String>,
    pub counterparty_iban: Option<String>,
    pub reference: Option<String>,
    pub rule: Option<&'static str>,
    pub confidence: u8,
    /// The note in English (the CLI and the API).
    pub note: Option<String>,
    /// The note, typed: the pages read it in the reader's language.
    #[serde(skip)]
    pub typed_note: Option<PaymentNote>,
    pub suggestion: Option<SuggestionLine>,
}

/// The review queue with a fresh suggestion per payment.
pub fn unmatched(tx: &mut dyn ReadTx) -> Result<Vec<UnmatchedLine>> {
    let directory = tx.customer_directory()?;
    let number_of = |id: CustomerId| {
        directory
            .binary_search_by_key(&id, |c| c.id)
            .ok()
            .map(|idx| (directory[idx].number.clone(), directory[idx].name.clone()))
    };
    let mut lines = Vec::new();
    for item in tx.review_queue()? {
        let payment = &item.payment.payment;
        let currency = payment.amount.currency;
        let suggestion = match item
            .info
            .suggested_customer
            .and_then(|c| number_of(c).map(|n| (c, n)))
        {
            None => None,
            Some((customer, (number, name))) => {
                let mut left = item.unallocated_minor;
                let mut parts = Vec::new();
                for open in tx.open_items(customer)? {
                    if left <= 0 {
                        break;
                    }
                    if open.open.currency != currency {
                        continue;
                    }
                    let take = left.min(open.open.minor);
                    parts.push((open.invoice, take));
                    left -= take;
                }
                let allocations = suggested(tx, &parts, currency)?;
                Some(SuggestionLine {
                    customer_id: number,
                    name,
                    confidence: item.info.confidence,
                    allocations,
                })
            }
        };
        let typed_note = item.info.note.as_deref().map(PaymentNote::from_stored);
        lines.push(UnmatchedLine {
            payment_id: payment.external_id.clone(),
            date: payment.date,
            amount: payment.amount,
            unallocated: Money::new(item.unallocated_minor, currency),
            customer_id: payment.customer.and_then(number_of).map(|(n, _)| n),
            counterparty_name: payment.counterparty_name.clone(),
            counterparty_iban: payment
                .counterparty_iban
                .as_ref()
                .map(|i| i.as_str().to_string()),
            reference: payment.reference.clone(),
            rule: item.info.rule.map(MatchRule::as_str),
            confidence: item.info.confidence,
            note: typed_note.as_ref().map(|n| n.text(Language::En)),
            typed_note,
            suggestion,
        });
    }
    Ok(lines)
}

/// What a person's decision did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionOutcome {
    pub payment_id: String,
    pub customer_id: String,
    pub applied: Vec<SuggestedAllocation>,
    /// Left as the customer's credit.
    #[serde(serialize_with = "ser::money")]
    pub credit: Money,
    /// The paying IBAN was new for this customer and is now remembered.
    pub learned_iban: Option<String>,
}

/// The invoices' numbers beside their amounts, read in one go.
fn suggested(
    tx: &mut dyn ReadTx,
    parts: &[(InvoiceId, i64)],
    currency: tegoed_core::Currency,
) -> Result<Vec<SuggestedAllocation>> {
    let ids: Vec<InvoiceId> = parts.iter().map(|p| p.0).collect();
    let numbers: rustc_hash::FxHashMap<InvoiceId, String> = tx
        .invoices(&ids)?
        .into_iter()
        .map(|i| (i.id, i.invoice.number))
        .collect();
    Ok(parts
        .iter()
        .map(|(invoice, amount)| SuggestedAllocation {
            invoice_number: numbers.get(invoice).cloned().unwrap_or_default(),
            amount: Money::new(*amount, currency),
        })
        .collect())
}

fn load_payment(tx: &mut dyn WriteTx, payment_id: &str) -> Result<StoredPayment> {
    tx.payment_by_external_id(payment_id)?
        .ok_or_else(|| AppError::NotFound(format!("no payment with id '{payment_id}'")))
}

fn unallocated(tx: &mut dyn WriteTx, payment: &StoredPayment) -> Result<i64> {
    let allocated = tegoed_core::money::sum_minor(
        tx.allocations_from(AllocationSource::Payment(payment.id))?
            .iter()
            .map(|a| a.allocation.amount_minor),
    )?;
    Ok(payment.payment.amount.minor - allocated)
}

/// Applies what is left of payment `payment_id` to the named invoices, in
/// order; the rest is the customer's credit.
pub fn match_payment(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    payment_id: &str,
    invoice_numbers: &[String],
) -> Result<DecisionOutcome> {
    actor.require(Action::Collect, None)?;
    if invoice_numbers.is_empty() {
        return Err(AppError::Invalid("name at least one invoice number".into()));
    }
    let stored = load_payment(tx, payment_id)?;
    let mut invoices: Vec<InvoiceId> = Vec::new();
    let mut customer: Option<CustomerId> = None;
    for number in invoice_numbers {
        let invoice = tx
            .invoice_by_number(number)?
            .ok_or_else(|| AppError::NotFound(format!("no invoice with number '{number}'")))?;
        if invoice.invoice.is_credit_note() {
            return Err(AppError::Invalid(format!(
                "{number} is a credit note, not an invoice"
            )));
        }
        if invoice.invoice.amount.currency != stored.payment.amount.currency {
            return Err(AppError::Invalid(format!(
                "{number} is in {}, the payment in {}",
                invoice.invoice.amount.currency, stored.payment.amount.currency
            )));
        }
        match customer {
            Some(c) if c != invoice.invoice.customer => {
                return Err(AppError::Invalid(
                    "the invoices belong to different customers; match them one payment per customer".into(),
                ));
            }
            _ => customer = Some(invoice.invoice.customer),
        }
        invoices.push(invoice.id);
    }
    let customer = customer.expect("at least one invoice");
    if let Some(assigned) = stored.payment.customer
        && assigned != customer
    {
        return Err(AppError::Invalid(format!(
            "payment {payment_id} belongs to another customer; it cannot pay these invoices"
        )));
    }
    let outcome = decide(tx, stored, customer, Target::Invoices(&invoices))?;
    actor.audit(
        tx,
        "payment.match",
        payment_id,
        Detail::none().names(Label::Invoices, invoice_numbers),
    )?;
    Ok(outcome)
}

/// Assigns payment `payment_id` to customer `customer_number` and applies it
/// to their oldest open items.
pub fn assign_payment(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    payment_id: &str,
    customer_number: &str,
) -> Result<DecisionOutcome> {
    actor.require(Action::Collect, None)?;
    let stored = load_payment(tx, payment_id)?;
    let customer = tx.customer_by_number(customer_number)?.ok_or_else(|| {
        AppError::NotFound(format!("no customer with number '{customer_number}'"))
    })?;
    if let Some(assigned) = stored.payment.customer
        && assigned != customer.id
        && !tx
            .allocations_from(AllocationSource::Payment(stored.id))?
            .is_empty()
    {
        return Err(AppError::Invalid(format!(
            "payment {payment_id} is already applied to another customer's invoices"
        )));
    }
    let outcome = decide(tx, stored, customer.id, Target::OldestFirst)?;
    actor.audit(
        tx,
        "payment.assign",
        payment_id,
        Detail::none().text(Label::Customer, customer_number),
    )?;
    Ok(outcome)
}

fn decide(
    tx: &mut dyn WriteTx,
    stored: StoredPayment,
    customer: CustomerId,
    target: Target<'_>,
) -> Result<DecisionOutcome> {
    let left = unallocated(tx, &stored)?;
    let currency = stored.payment.amount.currency;
    if left < 0 && matches!(target, Target::Invoices(_)) {
        return Err(AppError::Invalid(
            "this is money going out (a return or refund); assign it to the customer instead"
                .into(),
        ));
    }
    let mut payment = stored.payment.clone();
    payment.customer = Some(customer);
    if let Target::Invoices(named) = target {
        payment.invoice = named.first().copied();
    }
    tx.update_payment(stored.id, &payment)?;
    let mut open = OpenItems::default();
    let plan = posting::post(
        tx,
        &mut open,
        customer,
        AllocationSource::Payment(stored.id),
        Money::new(left.max(0), currency),
        payment.date,
        target,
    )?;
    let mut info = tx.payment_match(stored.id)?;
    info = MatchInfo {
        rule: Some(MatchRule::Manual),
        confidence: 100,
        needs_review: false,
        suggested_customer: None,
        note: info.note.map(|n| {
            PaymentNote::Decided {
                was: Box::new(PaymentNote::from_stored(&n)),
            }
            .stored()
        }),
        reverses: info.reverses,
    };
    tx.set_payment_match(stored.id, &info)?;
    let learned_iban = match &payment.counterparty_iban {
        Some(iban) if tx.learn_iban(customer, iban)? => Some(iban.as_str().to_string()),
        _ => None,
    };
    let applied = suggested(tx, &plan.parts, currency)?;
    let customer_number = tx
        .customer(customer)?
        .map(|c| c.customer.number)
        .unwrap_or_default();
    Ok(DecisionOutcome {
        payment_id: payment.external_id,
        customer_id: customer_number,
        applied,
        credit: Money::new(if left < 0 { left } else { plan.remainder }, currency),
        learned_iban,
    })
}

/// What undoing a person's decision did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UndoOutcome {
    pub payment_id: String,
    /// The customer the decision had chosen: now the queue's suggestion.
    pub customer_id: String,
    /// The invoices the payment had paid, open again.
    pub reopened: Vec<SuggestedAllocation>,
    /// A paying IBAN that only this payment had taught, forgotten again.
    pub forgotten_iban: Option<String>,
}

/// Undoes a person's match or assignment of payment `payment_id`: what it
/// paid is open again, the payment is back on the review queue with the
/// customer that was chosen as the suggestion, and an IBAN learned from it
/// is forgotten unless another payment of that customer comes from it. Only
/// a person's decision can be undone this way (what the matcher did by
/// itself is re-booked with the statement).
pub fn unmatch_payment(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    payment_id: &str,
    as_of: Date,
) -> Result<UndoOutcome> {
    actor.require(Action::Collect, None)?;
    let stored = load_payment(tx, payment_id)?;
    let info = tx.payment_match(stored.id)?;
    if info.needs_review {
        // Undone already (a second click, or someone else was first).
        return Err(AppError::Conflict(format!(
            "payment {payment_id} is on the review queue already; there is nothing to undo"
        )));
    }
    if info.rule != Some(MatchRule::Manual) {
        return Err(AppError::Invalid(format!(
            "payment {payment_id} was not matched by a person; only a person's match or assignment can be undone"
        )));
    }
    let currency = stored.payment.amount.currency;
    let paid: Vec<(InvoiceId, i64)> = tx
        .allocations_from(AllocationSource::Payment(stored.id))?
        .iter()
        .map(|a| (a.allocation.invoice, a.allocation.amount_minor))
        .collect();
    posting::unpost(tx, AllocationSource::Payment(stored.id))?;
    let chosen = stored.payment.customer;
    let mut payment = stored.payment.clone();
    payment.customer = None;
    payment.invoice = None;
    tx.update_payment(stored.id, &payment)?;
    tx.set_payment_match(
        stored.id,
        &MatchInfo {
            rule: None,
            confidence: 0,
            needs_review: true,
            suggested_customer: chosen,
            // The matcher's note from before the decision, if it had one.
            note: Some(
                match info.note.as_deref().map(PaymentNote::from_stored) {
                    Some(PaymentNote::Decided { was }) => *was,
                    _ => PaymentNote::DecisionUndone,
                }
                .stored(),
            ),
            reverses: info.reverses,
        },
    )?;
    let mut forgotten_iban = None;
    if let (Some(customer), Some(iban)) = (chosen, &payment.counterparty_iban) {
        let taught_elsewhere = tx
            .customer_payments(customer, as_of.max(payment.date))?
            .iter()
            .any(|p| p.payment.counterparty_iban.as_ref() == Some(iban));
        if !taught_elsewhere && tx.forget_learned_iban(customer, iban)? {
            forgotten_iban = Some(iban.as_str().to_string());
        }
    }
    let customer_id = match chosen {
        Some(c) => tx.customer(c)?.map(|c| c.customer.number),
        None => None,
    }
    .unwrap_or_default();
    let reopened = suggested(tx, &paid, currency)?;
    actor.audit(
        tx,
        "payment.undo",
        payment_id,
        Detail::none().names(
            Label::InvoicesReopened,
            &reopened
                .iter()
                .map(|a| a.invoice_number.as_str())
                .collect::<Vec<_>>(),
        ),
    )?;
    Ok(UndoOutcome {
        payment_id: payment.external_id,
        customer_id,
        reopened,
        forgotten_iban,
    })
}

/// How many payments wait for a person.
pub fn queue_size(tx: &mut dyn ReadTx) -> Result<usize> {
    Ok(tx.review_queue()?.len())
}
