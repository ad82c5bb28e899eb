//! The whole third-party corpus through the real imports: every bank
//! statement and e-invoice is imported into a fresh ledger (or rejected with
//! a reason), and importing everything a second time books nothing new.

use tegoed_app::access::Actor;
use tegoed_app::{Silent, bank, einvoice, write_tx};
use tegoed_formats::corpus;

mod common;

fn actor() -> Actor {
    Actor::system("test", 0)
}

#[test]
fn statements_import_once_and_never_twice() {
    let Some(root) = corpus::dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = common::database(dir.path(), "corpus");
    let files: Vec<_> = ["camt053", "mt940"]
        .iter()
        .flat_map(|f| corpus::files(&root.join(f)))
        .collect();
    let mut first = Vec::new();
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let name = file.display().to_string();
        first.push(
            write_tx(&*store, |tx| {
                bank::import_statement(tx, &actor(), &name, &bytes, &Silent)
            })
            .ok(),
        );
    }
    let imported = first.iter().filter(|r| r.is_some()).count();
    assert!(imported >= 100, "only {imported} statement files imported");
    let booked: u64 = first
        .iter()
        .flatten()
        .map(|s| s.payments + s.refunds + s.reversals)
        .sum();
    assert!(
        booked >= 200,
        "only {booked} payments booked from the corpus"
    );
    // No customers or invoices: every incoming payment waits for review.
    let to_review: u64 = first.iter().flatten().map(|s| s.to_review).sum();
    let incoming: u64 = first.iter().flatten().map(|s| s.payments).sum();
    assert!(
        to_review >= incoming,
        "{to_review} to review of {incoming} incoming"
    );
    let payments_before = store.read().unwrap().payment_count().unwrap();
    for (file, before) in files.iter().zip(&first) {
        let bytes = std::fs::read(file).unwrap();
        let name = file.display().to_string();
        let again = write_tx(&*store, |tx| {
            bank::import_statement(tx, &actor(), &name, &bytes, &Silent)
        });
        match (before, again) {
            (Some(_), Ok(summary)) => {
                assert_eq!(
                    summary.payments + summary.refunds + summary.reversals,
                    0,
                    "{}",
                    file.display()
                );
            }
            (None, Err(_)) => {}
            (before, again) => panic!(
                "{}: first {:?}, then {:?}",
                file.display(),
                before.is_some(),
                again.is_ok()
            ),
        }
    }
    assert_eq!(
        store.read().unwrap().payment_count().unwrap(),
        payments_before,
        "a second import adds nothing"
    );
}

#[test]
fn e_invoices_import_once_and_then_are_unchanged() {
    let Some(root) = corpus::dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = common::database(dir.path(), "ubl");
    let files: Vec<_> = corpus::files(&root.join("ubl"))
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e.eq_ignore_ascii_case("xml")))
        .collect();
    let mut imported = 0;
    let mut rejected = 0;
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        match write_tx(&*store, |tx| {
            einvoice::import_ubl(tx, &actor(), &file.display().to_string(), &bytes)
        }) {
            Ok(_) => imported += 1,
            Err(error) => {
                rejected += 1;
                assert!(
                    error.to_string().contains(&file.display().to_string()),
                    "{error}"
                );
            }
        }
    }
    assert!(imported >= 100, "{imported} imported, {rejected} rejected");
    let invoices_before = store.read().unwrap().invoice_count().unwrap();
    let customers_before = store.read().unwrap().customer_count().unwrap();
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        if let Ok(summary) = write_tx(&*store, |tx| {
            einvoice::import_ubl(tx, &actor(), &file.display().to_string(), &bytes)
        }) {
            assert!(
                !summary.customer_created,
                "{}: buyer created twice",
                file.display()
            );
        }
    }
    assert_eq!(
        store.read().unwrap().invoice_count().unwrap(),
        invoices_before
    );
    assert_eq!(
        store.read().unwrap().customer_count().unwrap(),
        customers_before
    );
}
