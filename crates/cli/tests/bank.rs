//! Bank statements and e-invoices through the built `tegoed` binary, on the
//! example ledger (`examples/*.csv`): matching by each rule, the review
//! queue, learning an IBAN from a decision, returned payments, idempotent
//! re-import, bad files.
//!
//! The statement files in `tests/data` were written for these tests; what
//! each entry should do is in the comments below.

mod common;

use common::{Sandbox, data};
use serde_json::Value;

trait OpenAmount {
    fn open_amount(&self, customer: &str, invoice: &str) -> Option<String>;
}

impl OpenAmount for Sandbox {
    fn open_amount(&self, customer: &str, invoice: &str) -> Option<String> {
        let statement = self.json(&["customer", "show", customer, "--as-of", "2026-04-05"]);
        statement["open_items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["invoice_number"] == invoice)
            .map(|i| i["open_amount"].as_str().unwrap().to_string())
    }
}

#[test]
fn a_days_statement_is_matched_by_each_rule() {
    let ledger = Sandbox::with_examples();
    let result = ledger.json(&["import", "statement", &data("statement-day1.xml")]);
    assert_eq!(result["imported"], 1);
    let s = &result["files"][0]["summary"];
    assert_eq!(s["transactions"], 9);
    // 1: betalingskenmerk 5000000002026004 → 2026-004.
    assert_eq!(s["matched_by_reference"], 1);
    // 2: "Invoices 2026-007 and 2026-006" → both.
    assert_eq!(s["matched_by_invoice_number"], 1);
    // 3: C002's IBAN, 900.00 = 2025-101; 4: C003's IBAN, 210.45 = both open.
    assert_eq!(s["matched_by_iban_amount"], 2);
    // 6: "Factuur 2026-001", which BANK-0001 paid already.
    assert_eq!(s["already_paid"], 1);
    // 5: unknown account, name close to C001; 8: a batch of two unknowns.
    assert_eq!(s["to_review"], 3);
    // 7: office supplies paid by us.
    assert_eq!(s["debits_skipped"], 1);

    assert_eq!(ledger.open_amount("C002", "2026-004"), None);
    assert_eq!(ledger.open_amount("C002", "2025-101"), None);
    assert_eq!(ledger.open_amount("C004", "2026-006"), None);
    assert_eq!(ledger.open_amount("C004", "2026-007"), None);
    assert_eq!(ledger.open_amount("C003", "2025-102"), None);
    assert_eq!(ledger.open_amount("C003", "2026-005"), None);
    assert_eq!(
        ledger.open_amount("C001", "2026-002"),
        Some("1420.00".into())
    );

    // The same file again, and it books nothing.
    let again = ledger.json(&["import", "statement", &data("statement-day1.xml")]);
    assert_eq!(again["files"][0]["summary"]["payments"], 0);
    assert_eq!(again["files"][0]["summary"]["duplicates"], 8);
}

#[test]
fn review_decisions_teach_the_iban() {
    let ledger = Sandbox::with_examples();
    ledger.ok(&["import", "statement", &data("statement-day1.xml")]);
    let queue = ledger.json(&["payments", "unmatched"]);
    let queue = queue.as_array().unwrap();
    assert_eq!(queue.len(), 4);
    let by_name = queue
        .iter()
        .find(|p| p["counterparty_iban"] == "NL39RABO0300065264")
        .unwrap();
    assert_eq!(by_name["suggestion"]["customer_id"], "C001");
    assert_eq!(
        by_name["suggestion"]["allocations"][0]["invoice_number"],
        "2026-002"
    );
    let paid_twice = queue
        .iter()
        .find(|p| p["counterparty_iban"] == "NL91ABNA0417164300")
        .unwrap();
    assert_eq!(paid_twice["customer_id"], "C001");
    assert!(
        paid_twice["note"]
            .as_str()
            .unwrap()
            .contains("already paid")
    );

    // A person assigns the € 500 from the unknown account to C001.
    let id = by_name["payment_id"].as_str().unwrap();
    let open_before = ledger.open_amount("C001", "2026-002");
    let queued = ledger
        .json(&["payments", "unmatched"])
        .as_array()
        .unwrap()
        .len();
    let outcome = ledger.json(&["payments", "assign", id, "C001"]);
    assert_eq!(outcome["applied"][0]["invoice_number"], "2026-002");
    assert_eq!(outcome["learned_iban"], "NL39RABO0300065264");
    assert_eq!(
        ledger.open_amount("C001", "2026-002"),
        Some("920.00".into())
    );

    // Undone (say it was the wrong customer): the invoice is open as
    // before, the account is forgotten, the payment is back on the queue
    // with C001 as its suggestion. Undoing twice is refused.
    let undone = ledger.json(&["payments", "undo", id]);
    assert_eq!(undone["reopened"][0]["invoice_number"], "2026-002");
    assert_eq!(undone["forgotten_iban"], "NL39RABO0300065264");
    assert_eq!(undone["customer_id"], "C001");
    assert_eq!(ledger.open_amount("C001", "2026-002"), open_before);
    let back = ledger.json(&["payments", "unmatched"]);
    assert_eq!(back.as_array().unwrap().len(), queued);
    let again = back
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["payment_id"] == id)
        .expect("back on the queue");
    assert_eq!(again["suggestion"]["customer_id"], "C001");
    let twice = ledger.tegoed(&["payments", "undo", id]);
    assert!(!twice.status.success());
    assert!(
        String::from_utf8_lossy(&twice.stderr).contains("nothing to undo"),
        "{}",
        String::from_utf8_lossy(&twice.stderr)
    );
    let outcome = ledger.json(&["payments", "assign", id, "C001"]);
    assert_eq!(
        outcome["learned_iban"], "NL39RABO0300065264",
        "learned again"
    );

    // The next payment from that account (MT940, ABN AMRO) matches by itself.
    let day3 = ledger.json(&["import", "statement", &data("statement-day3.sta")]);
    assert_eq!(day3["files"][0]["summary"]["matched_by_iban_amount"], 1);
    assert_eq!(ledger.open_amount("C001", "2026-002"), None);

    // The batch payments: one matched to an invoice by a person.
    let gift = queue.iter().find(|p| p["amount"] == "20.00").unwrap()["payment_id"]
        .as_str()
        .unwrap()
        .to_string();
    let matched = ledger.json(&["payments", "match", &gift, "2026-005"]);
    assert_eq!(matched["customer_id"], "C003");
    assert_eq!(
        matched["applied"].as_array().unwrap().len(),
        0,
        "2026-005 was already paid: all credit"
    );
    assert_eq!(matched["credit"], "20.00");
    let remaining = ledger.json(&["payments", "unmatched"]);
    assert_eq!(remaining.as_array().unwrap().len(), 2);

    let err = ledger.tegoed(&["payments", "match", "BNK-nope", "2026-005"]);
    assert_eq!(err.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&err.stderr).contains("no payment with id 'BNK-nope'"));
}

#[test]
fn a_returned_direct_debit_reopens_its_invoice() {
    let ledger = Sandbox::with_examples();
    ledger.ok(&["import", "statement", &data("statement-day1.xml")]);
    assert_eq!(ledger.open_amount("C002", "2026-004"), None);
    let day2 = ledger.json(&["import", "statement", &data("statement-day2-return.xml")]);
    assert_eq!(day2["files"][0]["summary"]["reversals"], 1);
    assert_eq!(
        ledger.open_amount("C002", "2026-004"),
        Some("3025.00".into())
    );
    let again = ledger.json(&["import", "statement", &data("statement-day2-return.xml")]);
    assert_eq!(again["files"][0]["summary"]["reversals"], 0);
    assert_eq!(
        ledger.open_amount("C002", "2026-004"),
        Some("3025.00".into())
    );
}

#[test]
fn bad_files_are_listed_and_good_ones_imported() {
    let ledger = Sandbox::with_examples();
    let broken = ledger.dir().join("broken.xml");
    std::fs::write(
        &broken,
        std::fs::read_to_string(data("statement-day1.xml"))
            .unwrap()
            .replacen("<Amt Ccy=\"EUR\">900.00</Amt>", "", 1),
    )
    .unwrap();
    let out = ledger.tegoed(&[
        "import",
        "statement",
        broken.to_str().unwrap(),
        &data("statement-day3.sta"),
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed file makes the command fail"
    );
    let body: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["imported"], 1);
    assert_eq!(body["failed"], 1);
    let error = body["files"][0]["error"].as_str().unwrap();
    assert!(
        error.contains("broken.xml: line 33, Stmt/Ntry[3]: missing Amt"),
        "{error}"
    );
    // Nothing of the broken file was booked: C002's 2026-004 is still open.
    assert_eq!(
        ledger.open_amount("C002", "2026-004"),
        Some("3025.00".into())
    );
}

#[test]
fn ubl_invoices_find_or_create_their_customer() {
    let ledger = Sandbox::with_examples();
    let dir = ledger.dir().join("ubl");
    std::fs::create_dir(&dir).unwrap();
    let invoice = |number: &str,
                   kvk: &str,
                   name: &str,
                   amount: &str,
                   kind: &str,
                   reference: &str| {
        let (root, typ) = if kind == "credit" {
            (
                "CreditNote",
                "<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>",
            )
        } else {
            ("Invoice", "<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>")
        };
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cbc:ID>{number}</cbc:ID><cbc:IssueDate>2026-03-20</cbc:IssueDate>{typ}<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
{reference}
<cac:AccountingCustomerParty><cac:Party><cbc:EndpointID schemeID="0106">{kvk}</cbc:EndpointID><cac:PartyLegalEntity><cbc:RegistrationName>{name}</cbc:RegistrationName><cbc:CompanyID schemeID="0106">{kvk}</cbc:CompanyID></cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>
<cac:LegalMonetaryTotal><cbc:PayableAmount currencyID="EUR">{amount}</cbc:PayableAmount></cac:LegalMonetaryTotal>
</{root}>"#
        )
    };
    // C001 has KvK 12345678 (customers.csv): found, not created.
    std::fs::write(
        dir.join("a.xml"),
        invoice(
            "UBL-1",
            "12345678",
            "Bakkerij De Vries",
            "242.00",
            "invoice",
            "",
        ),
    )
    .unwrap();
    // A new buyer: created.
    std::fs::write(
        dir.join("b.xml"),
        invoice(
            "UBL-2",
            "87654300",
            "Nieuwe Klant B.V.",
            "100.00",
            "invoice",
            "",
        ),
    )
    .unwrap();
    // A credit note for UBL-1, in a subfolder (inboxes sort by month).
    let later = dir.join("z-march");
    std::fs::create_dir(&later).unwrap();
    std::fs::write(
        later.join("c.xml"),
        invoice(
            "UBL-CN-1",
            "12345678",
            "Bakkerij De Vries",
            "42.00",
            "credit",
            "<cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>UBL-1</cbc:ID></cac:InvoiceDocumentReference></cac:BillingReference>",
        ),
    )
    .unwrap();
    std::fs::write(
        later.join("d.xml"),
        "<Order xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Order-2\"/>",
    )
    .unwrap();
    let out = ledger.tegoed(&["import", "ubl", dir.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1), "d.xml is not an invoice");
    let body: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["imported"], 3);
    let files = body["files"].as_array().unwrap();
    assert_eq!(files[0]["summary"]["customer_id"], "C001");
    assert_eq!(files[0]["summary"]["customer_created"], false);
    assert_eq!(files[1]["summary"]["customer_id"], "KVK-87654300");
    assert_eq!(files[1]["summary"]["customer_created"], true);
    assert_eq!(files[2]["summary"]["kind"], "credit_note");
    assert!(
        files[3]["error"]
            .as_str()
            .unwrap()
            .contains("not a UBL invoice or credit note: the document is <Order>")
    );
    assert_eq!(
        ledger.open_amount("C001", "UBL-1"),
        Some("200.00".into()),
        "credit note applied to UBL-1"
    );

    // A folder without e-invoices is said, not silently skipped.
    let empty = ledger.dir().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = ledger.tegoed(&["import", "ubl", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no .xml files"));

    let again = ledger.json(&[
        "import",
        "ubl",
        dir.join("a.xml").to_str().unwrap(),
        dir.join("b.xml").to_str().unwrap(),
    ]);
    assert_eq!(again["files"][0]["summary"]["outcome"], "unchanged");
    assert_eq!(again["files"][1]["summary"]["customer_created"], false);
}
