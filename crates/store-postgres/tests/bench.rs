//! Timings on a million invoices (ignored by default; run in release):
//!
//! ```text
//! cargo test --release -p tegoed-store-postgres --test bench -- --ignored --nocapture
//! ```
//!
//! Loads 1,000,000 invoices with `begin_bulk_load` + `insert_invoice`, scans
//! them (`scan_ledger`, `scan_invoice_keys`, `customer_directory`), and,
//! with `TEGOED_BENCH_CSV=path`, writes the same invoices as CSV for a
//! `psql \copy` comparison.

use std::io::Write;
use std::time::Instant;

use tegoed_core::{Customer, CustomerId, Date, Invoice, Money, PaymentReference};
use tegoed_store::{BulkTable, Store};
use tegoed_store_postgres::PostgresStore;
use tegoed_store_postgres::testing::scratch;

const INVOICES: u64 = 1_000_000;
const CUSTOMERS: u64 = 10_000;

fn invoice(n: u64, customers: &[CustomerId]) -> Invoice {
    let issue = Date::parse_iso("2024-01-01")
        .unwrap()
        .add_days((n % 700) as i32);
    Invoice {
        number: format!("F-{n:07}"),
        customer: customers[(n % CUSTOMERS) as usize],
        issue_date: issue,
        due_date: issue.add_days(30),
        amount: Money::eur(1_000 + (n % 50_000) as i64),
        payment_reference: n
            .is_multiple_of(2)
            .then(|| PaymentReference::betalingskenmerk_for(n)),
        description: Some(format!("Levering {n}")),
        credits_invoice: None,
    }
}

#[test]
#[ignore]
fn a_million_invoices() {
    let Some(db) = scratch() else { return };
    let store = PostgresStore::open(&db.url).unwrap();
    let mut tx = store.write().unwrap();
    let customers: Vec<CustomerId> = (0..CUSTOMERS)
        .map(|n| {
            tx.insert_customer(&Customer::new(format!("C-{n:05}"), "Klant"))
                .unwrap()
        })
        .collect();
    tx.commit().unwrap();

    let invoices: Vec<Invoice> = (0..INVOICES).map(|n| invoice(n, &customers)).collect();
    let started = Instant::now();
    let mut tx = store.write().unwrap();
    tx.begin_bulk_load(&[BulkTable::Invoice]).unwrap();
    for invoice in &invoices {
        tx.insert_invoice(invoice).unwrap();
    }
    tx.end_bulk_load().unwrap();
    tx.commit().unwrap();
    eprintln!(
        "bulk load of {INVOICES} invoices (begin_bulk_load + insert_invoice): {:?}",
        started.elapsed()
    );

    let as_of = Date::parse_iso("2026-01-01").unwrap();
    for round in 0..2 {
        let mut tx = store.read().unwrap();
        let started = Instant::now();
        let mut open = 0i64;
        tx.scan_ledger(as_of, &mut |row| open += row.open_minor)
            .unwrap();
        eprintln!(
            "scan_ledger ({round}): {:?} (open {open})",
            started.elapsed()
        );
        let started = Instant::now();
        let mut n = 0u64;
        tx.scan_invoice_keys(&mut |row| n += row.number.len() as u64)
            .unwrap();
        eprintln!("scan_invoice_keys ({round}): {:?}", started.elapsed());
        let started = Instant::now();
        let directory = tx.customer_directory().unwrap();
        eprintln!(
            "customer_directory of {} ({round}): {:?}",
            directory.len(),
            started.elapsed()
        );
    }

    if let Ok(path) = std::env::var("TEGOED_BENCH_CSV") {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        for (n, invoice) in invoices.iter().enumerate() {
            writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},",
                n + 1,
                invoice.number,
                invoice.customer.0,
                invoice.issue_date,
                invoice.due_date,
                invoice.amount.minor,
                invoice.amount.currency.code(),
                invoice
                    .payment_reference
                    .as_ref()
                    .map_or("", |r| r.as_str()),
                invoice.description.as_deref().unwrap_or(""),
            )
            .unwrap();
        }
        out.flush().unwrap();
        eprintln!("wrote {path}");
    }
}
