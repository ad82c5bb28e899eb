//! Importing UBL e-invoices and credit notes (Peppol BIS 3, EN 16931,
//! SI-UBL 2.0).
//!
//! Each document is its own transaction. The buyer is found by customer
//! number, KvK number, VAT number or Peppol endpoint, in that order, and
//! created when unknown (so the next document from the same buyer finds
//! it). A credit note that names its invoice (`BillingReference`) is applied
//! to that invoice; otherwise to the customer's oldest open items.

use serde::Serialize;
use tegoed_core::customer::{Address, CustomerKind, Language};
use tegoed_core::party::{Email, KvkNumber, VatNumber};
use tegoed_core::{Customer, Invoice, PaymentReference};
use tegoed_formats::ubl::{self, DocumentKind, EInvoice};
use tegoed_store::{CustomerKey, StoredCustomer, WriteTx};

use crate::access::{Action, Actor};
use crate::audit::{Detail, Label};

use crate::error::{AppError, Result};
use crate::import::{InvoiceWriter, Outcome};
use crate::ser;

/// What importing one e-invoice did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EInvoiceSummary {
    pub file: String,
    pub kind: &'static str,
    pub invoice_number: String,
    pub customer_id: String,
    /// The buyer was not known and was created.
    pub customer_created: bool,
    /// inserted, updated or unchanged.
    pub outcome: &'static str,
    #[serde(serialize_with = "ser::money")]
    pub amount: tegoed_core::Money,
    pub warnings: Vec<String>,
}

/// Imports one UBL document (one file: all or nothing, in `tx`).
pub fn import_ubl(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    file: &str,
    bytes: &[u8],
) -> Result<EInvoiceSummary> {
    actor.require(Action::Import, None)?;
    let document = ubl::parse(bytes).map_err(|e| AppError::File {
        file: file.to_string(),
        line: e.line,
        element: e.element,
        message: e.message,
    })?;
    let mut warnings = Vec::new();
    let (customer, created) = find_or_create_customer(tx, &document, &mut warnings)?;
    let payment_reference = match &document.payment_id {
        Some(id) => match PaymentReference::parse(id) {
            Ok(reference) => Some(reference),
            Err(_) => {
                warnings.push(format!(
                    "PaymentID '{id}' is not a betalingskenmerk or RF reference; kept in the description"
                ));
                None
            }
        },
        None => None,
    };
    let amount = document.ledger_amount();
    let mut description = document.note.clone();
    if payment_reference.is_none()
        && let Some(id) = &document.payment_id
    {
        description = Some(
            format!("{} (payment id {id})", description.unwrap_or_default())
                .trim()
                .to_string(),
        );
    }
    if let Some(seller) = &document.seller_name {
        description.get_or_insert_with(|| format!("e-invoice from {seller}"));
    }
    if amount.is_negative() && document.billing_references.is_empty() {
        warnings.push(
            "credit note without a BillingReference: applied to the oldest open invoices".into(),
        );
    }
    let invoice = Invoice {
        number: document.number.clone(),
        customer: customer.id,
        issue_date: document.issue_date,
        due_date: document.due_date.unwrap_or_else(|| {
            document
                .issue_date
                .add_days(customer.customer.payment_terms_days as i32)
        }),
        amount,
        payment_reference,
        description,
        credits_invoice: if amount.is_negative() {
            document.billing_references.first().cloned()
        } else {
            None
        },
    };
    if let Some(existing) = tx.invoice_by_number(&invoice.number)?
        && existing.invoice.customer != customer.id
    {
        return Err(AppError::File {
            file: file.to_string(),
            line: 1,
            element: Some("ID".into()),
            message: format!(
                "invoice number {} already belongs to another customer; not imported",
                invoice.number
            ),
        });
    }
    // A credit note may name an invoice from before Tegoed: then it is
    // applied oldest-first instead.
    let mut invoice = invoice;
    if let Some(target) = &invoice.credits_invoice
        && tx.invoice_by_number(target)?.is_none()
    {
        warnings.push(format!(
            "the credited invoice {target} is not in Tegoed; applied to the oldest open invoices"
        ));
        invoice.credits_invoice = None;
    }
    let mut writer = InvoiceWriter::new(false);
    let (_, outcome) = writer.write(tx, 1, invoice)?;
    writer.finish(tx, &|_, number, reason| AppError::File {
        file: file.to_string(),
        line: 1,
        element: Some("BillingReference".into()),
        message: format!("{number}: {reason}"),
    })?;
    actor.audit(
        tx,
        "einvoice.import",
        file,
        Detail::none()
            .text(Label::Invoice, &document.number)
            .text(Label::Customer, &customer.customer.number),
    )?;
    Ok(EInvoiceSummary {
        file: file.to_string(),
        kind: match document.kind {
            DocumentKind::Invoice => "invoice",
            DocumentKind::CreditNote => "credit_note",
        },
        invoice_number: document.number,
        customer_id: customer.customer.number,
        customer_created: created,
        outcome: match outcome {
            Outcome::Inserted => "inserted",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
        },
        amount,
        warnings,
    })
}

/// The buyer as a customer: by number, KvK, VAT number or Peppol endpoint;
/// created when none matches.
fn find_or_create_customer(
    tx: &mut dyn WriteTx,
    document: &EInvoice,
    warnings: &mut Vec<String>,
) -> Result<(StoredCustomer, bool)> {
    let buyer = &document.buyer;
    let kvk = buyer.kvk.as_deref().and_then(|k| KvkNumber::parse(k).ok());
    let vat = buyer
        .vat_number
        .as_deref()
        .and_then(|v| VatNumber::parse(v).ok());
    let mut found = match &buyer.customer_number {
        Some(number) => tx.customer_by_number(number)?,
        None => None,
    };
    if found.is_none()
        && let Some(kvk) = &kvk
    {
        found = tx.find_customer(CustomerKey::Kvk(kvk.as_str()))?;
    }
    if found.is_none()
        && let Some(vat) = &vat
    {
        found = tx.find_customer(CustomerKey::Vat(vat.as_str()))?;
    }
    if found.is_none()
        && let Some(endpoint) = &buyer.endpoint
    {
        found = tx.find_customer(CustomerKey::Peppol(endpoint))?;
    }
    if let Some(customer) = found {
        if let Some(endpoint) = &buyer.endpoint {
            tx.set_customer_peppol(customer.id, endpoint)?;
        }
        return Ok((customer, false));
    }
    let number = buyer
        .customer_number
        .clone()
        .or_else(|| kvk.as_ref().map(|k| format!("KVK-{}", k.as_str())))
        .or_else(|| vat.as_ref().map(|v| format!("VAT-{}", v.as_str())))
        .or_else(|| buyer.endpoint.as_ref().map(|e| format!("PEPPOL-{e}")))
        .or_else(|| buyer.name.as_ref().map(|n| name_number(n)))
        .ok_or_else(|| AppError::Invalid("the buyer cannot be identified".into()))?;
    // The number made up for this buyer last time.
    if let Some(customer) = tx.customer_by_number(&number)? {
        return Ok((customer, false));
    }
    let mut customer = Customer::new(
        number.clone(),
        buyer.name.clone().unwrap_or_else(|| number.clone()),
    );
    customer.kind = CustomerKind::B2b;
    customer.kvk = kvk;
    customer.vat_number = vat;
    if let Some(email) = &buyer.email {
        match Email::parse(email) {
            Ok(e) => customer.email = Some(e),
            Err(_) => warnings.push(format!("buyer e-mail '{email}' is not valid; left out")),
        }
    }
    customer.phone = buyer.phone.clone();
    let country = buyer
        .country
        .clone()
        .filter(|c| c.len() == 2)
        .map(|c| c.to_ascii_uppercase())
        .unwrap_or_else(|| "NL".into());
    customer.language = if country == "NL" {
        Language::Nl
    } else {
        Language::En
    };
    customer.address = Address {
        street: buyer.street.clone(),
        postal_code: buyer.postal_code.clone(),
        city: buyer.city.clone(),
        country,
    };
    let id = tx.insert_customer(&customer)?;
    if let Some(endpoint) = &buyer.endpoint {
        tx.set_customer_peppol(id, endpoint)?;
    }
    warnings.push(format!(
        "new customer {number} created from the e-invoice's buyer"
    ));
    Ok((StoredCustomer { id, customer }, true))
}

/// A customer number for a buyer known only by name: the same name gives
/// the same number, so the next document finds the customer again.
fn name_number(name: &str) -> String {
    let compact: String = name
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .take(24)
        .collect();
    format!("UBL-{compact}")
}
