//! The receivables ledger's records: invoices, credit notes, payments, and the
//! allocations that link money to what it pays.
//!
//! The open amount of an invoice is never stored: it is the invoice amount
//! minus the allocations to it, as of a date. That keeps one truth.

use crate::date::Date;
use crate::iban::Iban;
use crate::ids::{CustomerId, InvoiceId, PaymentId};
use crate::money::Money;
use crate::reference::PaymentReference;

/// An invoice (positive amount) or a credit note (negative amount).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Invoice {
    /// Invoice number, unique across the ledger.
    pub number: String,
    pub customer: CustomerId,
    pub issue_date: Date,
    pub due_date: Date,
    /// Including VAT. Negative for a credit note.
    pub amount: Money,
    /// Betalingskenmerk or RF reference printed on the invoice.
    pub payment_reference: Option<PaymentReference>,
    pub description: Option<String>,
    /// For a credit note: the invoice number it credits, when known.
    pub credits_invoice: Option<String>,
}

impl Invoice {
    pub fn is_credit_note(&self) -> bool {
        self.amount.minor < 0
    }
}

/// Where a payment came from: a CSV export, a bank statement, an e-invoice
/// channel, or a person typing it in.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum PaymentSource {
    Csv,
    BankStatement,
    Manual,
}

impl PaymentSource {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentSource::Csv => "csv",
            PaymentSource::BankStatement => "bank",
            PaymentSource::Manual => "manual",
        }
    }

    pub fn parse(text: &str) -> Option<PaymentSource> {
        match text {
            "csv" => Some(PaymentSource::Csv),
            "bank" => Some(PaymentSource::BankStatement),
            "manual" => Some(PaymentSource::Manual),
            _ => None,
        }
    }
}

/// Money received from (positive) or refunded to (negative) a customer.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Payment {
    /// The payment's key in its source (accounting export or bank entry id).
    pub external_id: String,
    pub date: Date,
    pub amount: Money,
    pub customer: Option<CustomerId>,
    /// The invoice the payer named, as resolved at booking.
    pub invoice: Option<InvoiceId>,
    /// Remittance text or structured reference as received.
    pub reference: Option<String>,
    pub counterparty_iban: Option<Iban>,
    pub counterparty_name: Option<String>,
    pub source: PaymentSource,
    /// The payer's end-to-end id (bank files), to find the payment a
    /// returned direct debit undoes.
    pub end_to_end_id: Option<String>,
    /// Our own account the money arrived on (bank files).
    pub bank_account: Option<String>,
}

/// What matching decided about a payment, and whether a person must look.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct MatchInfo {
    pub rule: Option<crate::matching::MatchRule>,
    /// 0–100.
    pub confidence: u8,
    pub needs_review: bool,
    pub suggested_customer: Option<CustomerId>,
    pub note: Option<String>,
    /// For a reversal: the payment it undoes.
    pub reverses: Option<PaymentId>,
}

/// What money an allocation moves onto an invoice.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash, PartialOrd, Ord)]
pub enum AllocationSource {
    Payment(PaymentId),
    CreditNote(InvoiceId),
}

/// Part of a payment or credit note applied to an invoice, on a date.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Allocation {
    pub invoice: InvoiceId,
    pub source: AllocationSource,
    /// Positive minor units, in the invoice's currency.
    pub amount_minor: i64,
    /// When the money counts as received: the payment or credit note date.
    pub date: Date,
}
