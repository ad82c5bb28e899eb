//! UBL 2.1 e-invoices: `Invoice` and `CreditNote` documents as Peppol BIS
//! Billing 3.0, EN 16931 and the Dutch SI-UBL 2.0 (NLCIUS) send them.
//!
//! Only what credit management needs is read: number, dates, amount due,
//! currency, payment reference, the referenced invoice of a credit note, and
//! who the buyer is. A document that is not a UBL invoice, or that lacks one
//! of those, is rejected with the reason; business rules that do not affect
//! what is owed (a missing city in the seller's address) are left to the
//! sender's validator.

use std::fmt;

use tegoed_core::{Currency, Date, Money};

use crate::statement::clean;
use crate::text::{MAX_MESSAGE, MAX_VALUE, shorten};
use crate::xml::{Element, parse_document};

/// Invoice or credit note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    Invoice,
    CreditNote,
}

/// The buyer (AccountingCustomerParty) as the document describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Buyer {
    pub name: Option<String>,
    /// The seller's number for this customer (SupplierAssignedAccountID, or
    /// the buyer identifier PartyIdentification/ID without a scheme).
    pub customer_number: Option<String>,
    /// Peppol endpoint as `scheme:id` (e.g. `0106:12345678`).
    pub endpoint: Option<String>,
    pub kvk: Option<String>,
    pub vat_number: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
}

/// The part of an e-invoice that credit management needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EInvoice {
    pub kind: DocumentKind,
    pub number: String,
    pub issue_date: Date,
    /// `DueDate`, or the `PaymentDueDate` of the payment means.
    pub due_date: Option<Date>,
    /// What is to be paid (`PayableAmount`), as written: positive for a
    /// normal invoice or credit note, negative for a negative invoice.
    pub payable: Money,
    /// `PaymentMeans/PaymentID`: the payment reference.
    pub payment_id: Option<String>,
    /// `BillingReference/InvoiceDocumentReference/ID`: invoices this document
    /// corrects or credits.
    pub billing_references: Vec<String>,
    pub type_code: Option<String>,
    pub seller_name: Option<String>,
    pub note: Option<String>,
    pub buyer: Buyer,
}

impl EInvoice {
    /// The signed amount for the ledger: a credit note (or a negative
    /// invoice) reduces what the customer owes.
    pub fn ledger_amount(&self) -> Money {
        match self.kind {
            DocumentKind::Invoice => self.payable,
            DocumentKind::CreditNote => Money::new(-self.payable.minor, self.payable.currency),
        }
    }
}

/// A document that cannot be imported as an e-invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UblError {
    pub line: u64,
    pub element: Option<String>,
    pub message: String,
}

impl fmt::Display for UblError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(element) = &self.element {
            write!(f, ", {element}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for UblError {}

fn line_of(source: &str, offset: u64) -> u64 {
    let end = (offset as usize).min(source.len());
    source.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u64
        + 1
}

/// Reads one UBL document.
pub fn parse(bytes: &[u8]) -> Result<EInvoice, UblError> {
    let (source, _) = crate::text::decode(bytes);
    let root = parse_document(&source).map_err(|e| UblError {
        line: e.line,
        element: e.element,
        message: format!("not readable as XML: {}", e.message),
    })?;
    // Messages quoting a huge value are shortened.
    let at = |element: &Element, path: &str, message: String| UblError {
        line: line_of(&source, element.offset),
        element: Some(shorten(path, MAX_VALUE).into_owned()),
        message: shorten(&message, MAX_MESSAGE).into_owned(),
    };
    let namespace = root.attribute("xmlns").unwrap_or("");
    let kind = match root.name.as_str() {
        "Invoice" => DocumentKind::Invoice,
        "CreditNote" => DocumentKind::CreditNote,
        "CrossIndustryInvoice" => {
            return Err(at(
                &root,
                "CrossIndustryInvoice",
                "this is a UN/CEFACT CII invoice; Tegoed reads UBL (ask the sender for UBL, as Peppol and SI-UBL deliver)"
                    .into(),
            ));
        }
        other => {
            return Err(at(
                &root,
                other,
                format!("not a UBL invoice or credit note: the document is <{other}>"),
            ));
        }
    };
    if !namespace.is_empty()
        && !namespace.starts_with("urn:oasis:names:specification:ubl:schema:xsd:")
    {
        return Err(at(
            &root,
            &root.name,
            format!("not a UBL document: namespace {namespace}"),
        ));
    }
    let name = root.name.clone();
    let number = root
        .text_at(&["ID"])
        .ok_or_else(|| {
            at(
                &root,
                &format!("{name}/ID"),
                "missing the invoice number (cbc:ID)".into(),
            )
        })?
        .to_string();
    let date = |element: &Element, path: &str| -> Result<Date, UblError> {
        Date::parse_iso(element.text.trim()).map_err(|_| {
            at(
                element,
                path,
                format!("invalid date '{}': expected YYYY-MM-DD", element.text),
            )
        })
    };
    let issue_element = root.child("IssueDate").ok_or_else(|| {
        at(
            &root,
            &format!("{name}/IssueDate"),
            "missing the issue date (cbc:IssueDate)".into(),
        )
    })?;
    let issue_date = date(issue_element, &format!("{name}/IssueDate"))?;
    let due_element = root.child("DueDate").or_else(|| {
        root.children_named("PaymentMeans")
            .find_map(|m| m.child("PaymentDueDate"))
    });
    let due_date = match due_element {
        Some(element) if !element.text.is_empty() => Some(date(element, "DueDate")?),
        _ => None,
    };
    let document_currency = root.text_at(&["DocumentCurrencyCode"]);
    let total = root.child("LegalMonetaryTotal").ok_or_else(|| {
        at(
            &root,
            &format!("{name}/LegalMonetaryTotal"),
            "missing the totals (cac:LegalMonetaryTotal)".into(),
        )
    })?;
    let payable_element = total.child("PayableAmount").ok_or_else(|| {
        at(
            total,
            "LegalMonetaryTotal/PayableAmount",
            "missing the amount due (cbc:PayableAmount)".into(),
        )
    })?;
    let code = payable_element
        .attribute("currencyID")
        .or(document_currency)
        .ok_or_else(|| {
            at(
                payable_element,
                "PayableAmount",
                "no currency (currencyID or DocumentCurrencyCode)".into(),
            )
        })?;
    let currency =
        Currency::parse(code).map_err(|e| at(payable_element, "PayableAmount", e.to_string()))?;
    if let Some(doc) = document_currency
        && Currency::parse(doc).ok() != Some(currency)
    {
        return Err(at(
            payable_element,
            "PayableAmount",
            format!("the amount due is in {currency} but the document currency is {doc}"),
        ));
    }
    let payable = parse_amount(&payable_element.text, currency).map_err(|reason| {
        at(
            payable_element,
            "PayableAmount",
            format!("invalid amount '{}': {reason}", payable_element.text),
        )
    })?;
    let party = root
        .at(&["AccountingCustomerParty", "Party"])
        .ok_or_else(|| {
            at(
                &root,
                "AccountingCustomerParty",
                "missing the buyer (cac:AccountingCustomerParty)".into(),
            )
        })?;
    let customer_party = root.child("AccountingCustomerParty").unwrap_or(party);
    let buyer = read_buyer(customer_party, party);
    if buyer.name.is_none()
        && buyer.customer_number.is_none()
        && buyer.kvk.is_none()
        && buyer.vat_number.is_none()
    {
        return Err(at(
            party,
            "AccountingCustomerParty/Party",
            "the buyer has no name, number, KvK or VAT number; cannot tell who owes this".into(),
        ));
    }
    let payment_id = root
        .children_named("PaymentMeans")
        .find_map(|m| m.text_at(&["PaymentID"]))
        .map(str::to_string);
    let billing_references = root
        .children_named("BillingReference")
        .filter_map(|r| r.text_at(&["InvoiceDocumentReference", "ID"]))
        .map(str::to_string)
        .collect();
    let type_code = root
        .text_at(&["InvoiceTypeCode"])
        .or_else(|| root.text_at(&["CreditNoteTypeCode"]))
        .map(str::to_string);
    let seller_name = root
        .at(&["AccountingSupplierParty", "Party"])
        .and_then(|p| {
            p.text_at(&["PartyLegalEntity", "RegistrationName"])
                .or_else(|| p.text_at(&["PartyName", "Name"]))
                .map(str::to_string)
        });
    // A credit-note type code in an Invoice document (381) still credits.
    let kind = match (kind, type_code.as_deref()) {
        (DocumentKind::Invoice, Some("381")) => DocumentKind::CreditNote,
        (kind, _) => kind,
    };
    Ok(EInvoice {
        kind,
        number,
        issue_date,
        due_date,
        payable,
        payment_id,
        billing_references,
        type_code,
        seller_name,
        note: root.text_at(&["Note"]).and_then(clean),
        buyer,
    })
}

/// UBL amounts use '.' and may carry more decimals than the currency has
/// when they are zeros ("500.000").
fn parse_amount(text: &str, currency: Currency) -> Result<Money, &'static str> {
    let text = text.trim();
    if text.is_empty() || text.contains(',') {
        return Err("expected a decimal such as 1234.56");
    }
    let exponent = currency.exponent() as usize;
    let normalized = match text.split_once('.') {
        Some((int, frac)) if frac.len() > exponent => {
            if frac[exponent..].bytes().any(|b| b != b'0') {
                return Err("more decimals than the currency has");
            }
            if exponent == 0 {
                int.to_string()
            } else {
                format!("{int}.{}", &frac[..exponent])
            }
        }
        _ => text.to_string(),
    };
    Money::parse(&normalized, currency).map_err(|e| match e {
        tegoed_core::money::MoneyError::Amount { reason, .. } => reason,
        _ => "not an amount",
    })
}

fn read_buyer(customer_party: &Element, party: &Element) -> Buyer {
    let text = |path: &[&str]| party.text_at(path).map(str::to_string);
    let endpoint = party.child("EndpointID").filter(|e| !e.text.is_empty());
    let scheme_of = |e: &Element| e.attribute("schemeID").unwrap_or("").to_string();
    let mut kvk = None;
    let mut vat = None;
    let mut identifiers: Vec<(String, String)> = Vec::new();
    if let Some(e) = endpoint {
        identifiers.push((scheme_of(e), e.text.clone()));
    }
    for id in party
        .children_named("PartyIdentification")
        .filter_map(|p| p.child("ID"))
    {
        identifiers.push((scheme_of(id), id.text.clone()));
    }
    for legal in party.children_named("PartyLegalEntity") {
        if let Some(id) = legal.child("CompanyID") {
            identifiers.push((scheme_of(id), id.text.clone()));
        }
    }
    for (scheme, value) in &identifiers {
        match scheme.as_str() {
            // 0106: Dutch Chamber of Commerce (KvK).
            "0106" if kvk.is_none() => kvk = Some(value.clone()),
            // 9944: Dutch VAT number.
            "9944" if vat.is_none() => vat = Some(value.clone()),
            _ => {}
        }
    }
    for scheme in party.children_named("PartyTaxScheme") {
        if let Some(id) = scheme.text_at(&["CompanyID"])
            && vat.is_none()
            && scheme
                .text_at(&["TaxScheme", "ID"])
                .is_none_or(|t| t.eq_ignore_ascii_case("VAT"))
        {
            vat = Some(id.to_string());
        }
    }
    let customer_number = customer_party
        .text_at(&["SupplierAssignedAccountID"])
        .map(str::to_string)
        .or_else(|| {
            party
                .children_named("PartyIdentification")
                .filter_map(|p| p.child("ID"))
                .find(|id| id.attribute("schemeID").is_none() && !id.text.is_empty())
                .map(|id| id.text.clone())
        });
    Buyer {
        name: text(&["PartyLegalEntity", "RegistrationName"])
            .or_else(|| text(&["PartyName", "Name"]))
            .and_then(|n| clean(&n)),
        customer_number,
        endpoint: endpoint.map(|e| {
            let scheme = scheme_of(e);
            if scheme.is_empty() {
                e.text.clone()
            } else {
                format!("{scheme}:{}", e.text)
            }
        }),
        kvk,
        vat_number: vat,
        email: text(&["Contact", "ElectronicMail"]),
        phone: text(&["Contact", "Telephone"]),
        street: text(&["PostalAddress", "StreetName"]),
        postal_code: text(&["PostalAddress", "PostalZone"]),
        city: text(&["PostalAddress", "CityName"]),
        country: text(&["PostalAddress", "Country", "IdentificationCode"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const INVOICE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:ID>2026-0042</cbc:ID>
 <cbc:IssueDate>2026-03-01</cbc:IssueDate>
 <cbc:DueDate>2026-03-31</cbc:DueDate>
 <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
 <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
 <cac:AccountingSupplierParty><cac:Party><cac:PartyLegalEntity><cbc:RegistrationName>Leverancier B.V.</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>
 <cac:AccountingCustomerParty>
  <cac:Party>
   <cbc:EndpointID schemeID="0106">12345678</cbc:EndpointID>
   <cac:PartyIdentification><cbc:ID>C001</cbc:ID></cac:PartyIdentification>
   <cac:PostalAddress><cbc:StreetName>Hoofdstraat 1</cbc:StreetName><cbc:CityName>Utrecht</cbc:CityName><cbc:PostalZone>3511 AB</cbc:PostalZone><cac:Country><cbc:IdentificationCode>NL</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
   <cac:PartyTaxScheme><cbc:CompanyID>NL812345678B01</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
   <cac:PartyLegalEntity><cbc:RegistrationName>Bakkerij De Vries B.V.</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party>
 </cac:AccountingCustomerParty>
 <cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode><cbc:PaymentID>5000056789012345</cbc:PaymentID></cac:PaymentMeans>
 <cac:LegalMonetaryTotal><cbc:PayableAmount currencyID="EUR">1210.00</cbc:PayableAmount></cac:LegalMonetaryTotal>
</Invoice>"#;

    #[test]
    fn reads_what_credit_management_needs() {
        let invoice = parse(INVOICE.as_bytes()).unwrap();
        assert_eq!(invoice.kind, DocumentKind::Invoice);
        assert_eq!(invoice.number, "2026-0042");
        assert_eq!(invoice.due_date, Date::from_ymd(2026, 3, 31));
        assert_eq!(invoice.payable, Money::eur(121_000));
        assert_eq!(invoice.payment_id.as_deref(), Some("5000056789012345"));
        assert_eq!(invoice.buyer.kvk.as_deref(), Some("12345678"));
        assert_eq!(invoice.buyer.vat_number.as_deref(), Some("NL812345678B01"));
        assert_eq!(invoice.buyer.customer_number.as_deref(), Some("C001"));
        assert_eq!(invoice.buyer.endpoint.as_deref(), Some("0106:12345678"));
        assert_eq!(
            invoice.buyer.name.as_deref(),
            Some("Bakkerij De Vries B.V.")
        );
    }

    #[test]
    fn rejections_say_why() {
        let err = parse(INVOICE.replace("<cbc:ID>2026-0042</cbc:ID>", "").as_bytes()).unwrap_err();
        assert!(err.message.contains("missing the invoice number"), "{err}");
        let err = parse(b"<Order xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Order-2\"/>")
            .unwrap_err();
        assert!(
            err.message
                .contains("not a UBL invoice or credit note: the document is <Order>"),
            "{err}"
        );
        let err = parse(INVOICE.replace("1210.00", "12,10").as_bytes()).unwrap_err();
        assert!(err.message.contains("invalid amount '12,10'"), "{err}");
        assert_eq!(err.line, 21);
    }

    proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,300}") {
            let _ = parse(text.as_bytes());
        }

        #[test]
        fn never_panics_on_damaged_invoices(cut in 0usize..3000, insert in "[<>/a-zA-Z0-9 .\"=:]{0,12}") {
            let mut damaged = INVOICE.to_string();
            let at = cut % damaged.len();
            if damaged.is_char_boundary(at) {
                damaged.insert_str(at, &insert);
            }
            let _ = parse(damaged.as_bytes());
        }
    }
}
