//! The store contract: one story that every backend must pass.
//!
//! It walks through what the application relies on — records round-trip
//! unchanged, a dropped transaction leaves nothing behind, open amounts are
//! derived from allocations as of a date, and lookups find what was written.
//! Each backend's test suite calls [`story`] on a fresh, empty store.

use tegoed_core::customer::CustomerKind;
use tegoed_core::party::{Email, KvkNumber, SbiCode};
use tegoed_core::{
    AccountManager, Allocation, AllocationSource, Currency, Customer, Date, Iban, Invoice, Money,
    Payment, PaymentReference, PaymentSource,
};

use tegoed_core::MatchInfo;
use tegoed_core::matching::MatchRule;

use crate::{BulkTable, CustomerKey, StatementImportRecord, Store};

fn d(text: &str) -> Date {
    Date::parse_iso(text).expect("valid test date")
}

/// Runs the contract against `store`, which must be empty. Panics with a
/// message naming the broken promise.
pub fn story(store: &dyn Store) {
    // An empty store has nothing.
    {
        let mut tx = store.read().expect("read tx");
        assert_eq!(tx.customer_count().unwrap(), 0, "a fresh store is empty");
        assert_eq!(tx.invoice_count().unwrap(), 0);
    }

    // A transaction dropped without commit leaves nothing behind.
    {
        let mut tx = store.write().expect("write tx");
        tx.insert_customer(&Customer::new("GHOST", "Never committed"))
            .unwrap();
        drop(tx);
        let mut tx = store.read().unwrap();
        assert!(
            tx.customer_by_number("GHOST").unwrap().is_none(),
            "rollback on drop"
        );
    }

    // Records round-trip unchanged.
    let mut tx = store.write().unwrap();
    let manager = AccountManager {
        name: "Sanne de Boer".into(),
        email: Some(Email::parse("sanne@example.nl").unwrap()),
    };
    let manager_id = tx.insert_account_manager(&manager).unwrap();
    assert_eq!(
        tx.account_managers().unwrap(),
        vec![(manager_id, manager.clone())]
    );

    let mut customer = Customer::new("C-001", "Bakkerij De Vries B.V.");
    customer.kind = CustomerKind::B2b;
    customer.email = Some(Email::parse("info@devries.example").unwrap());
    customer.industry = Some(SbiCode::parse("1071").unwrap());
    customer.account_manager = Some(manager_id);
    customer.credit_limit = Some(Money::eur(1_000_000));
    customer.payment_terms_days = 14;
    customer.ibans = vec![Iban::parse("NL91ABNA0417164300").unwrap()];
    customer.kvk = Some(KvkNumber::parse("12345678").unwrap());
    customer.address.city = Some("Utrecht".into());
    let customer_id = tx.insert_customer(&customer).unwrap();
    let stored = tx
        .customer_by_number("C-001")
        .unwrap()
        .expect("customer by number");
    assert_eq!(stored.id, customer_id);
    assert_eq!(stored.customer, customer, "customer round-trips");
    assert_eq!(
        tx.customer(customer_id).unwrap().unwrap().customer,
        customer
    );
    assert_eq!(
        tx.customers_by_iban(&customer.ibans[0]).unwrap(),
        vec![customer_id],
        "customer found by IBAN"
    );
    let directory = tx.customer_directory().unwrap();
    assert_eq!(directory.len(), 1);
    assert_eq!(directory[0].number, "C-001");
    assert_eq!(directory[0].account_manager, Some(manager_id));

    let invoice = |number: &str, issue: &str, due: &str, minor: i64| Invoice {
        number: number.into(),
        customer: customer_id,
        issue_date: d(issue),
        due_date: d(due),
        amount: Money::eur(minor),
        payment_reference: None,
        description: Some(format!("Levering {number}")),
        credits_invoice: None,
    };
    let mut first = invoice("F-1", "2026-01-01", "2026-01-15", 10_000);
    first.payment_reference = Some(PaymentReference::betalingskenmerk_for(1));
    let first_id = tx.insert_invoice(&first).unwrap();
    let second_id = tx
        .insert_invoice(&invoice("F-2", "2026-02-01", "2026-02-15", 5_000))
        .unwrap();
    let mut credit = invoice("CN-1", "2026-02-10", "2026-02-10", -2_000);
    credit.credits_invoice = Some("F-2".into());
    let credit_id = tx.insert_invoice(&credit).unwrap();
    assert_eq!(
        tx.invoice_by_number("F-1").unwrap().unwrap().invoice,
        first,
        "invoice round-trips"
    );
    assert_eq!(tx.invoice(credit_id).unwrap().unwrap().invoice, credit);
    assert_eq!(tx.invoice_count().unwrap(), 3);

    let payment = Payment {
        external_id: "P-1".into(),
        date: d("2026-01-20"),
        amount: Money::eur(12_000),
        customer: Some(customer_id),
        invoice: Some(first_id),
        reference: Some("F-1".into()),
        counterparty_iban: Some(customer.ibans[0].clone()),
        counterparty_name: Some("De Vries".into()),
        source: PaymentSource::Csv,
        end_to_end_id: None,
        bank_account: None,
    };
    let payment_id = tx.insert_payment(&payment).unwrap();
    assert_eq!(
        tx.payment_by_external_id("P-1").unwrap().unwrap().payment,
        payment,
        "payment round-trips"
    );
    tx.insert_allocation(&Allocation {
        invoice: first_id,
        source: AllocationSource::Payment(payment_id),
        amount_minor: 10_000,
        date: d("2026-01-20"),
    })
    .unwrap();
    tx.insert_allocation(&Allocation {
        invoice: second_id,
        source: AllocationSource::CreditNote(credit_id),
        amount_minor: 2_000,
        date: d("2026-02-10"),
    })
    .unwrap();
    tx.commit().unwrap();

    // Open amounts are derived from allocations.
    let mut tx = store.read().unwrap();
    let open = tx.open_items(customer_id).unwrap();
    assert_eq!(open.len(), 1, "F-1 is paid, F-2 is partly credited");
    assert_eq!(open[0].invoice, second_id);
    assert_eq!(open[0].open, Money::eur(3_000));
    assert_eq!(tx.credit_note_remaining(credit_id).unwrap(), 0);

    // As of a date: allocations after it do not count.
    let documents = tx.customer_documents(customer_id, d("2026-01-31")).unwrap();
    assert_eq!(documents.len(), 1, "only F-1 was issued by 31 January");
    assert_eq!(documents[0].open_minor, 0);
    let documents = tx.customer_documents(customer_id, d("2026-01-19")).unwrap();
    assert_eq!(documents[0].open_minor, 10_000, "paid only on the 20th");

    let mut rows = Vec::new();
    tx.scan_ledger(d("2026-03-01"), &mut |row| rows.push(*row))
        .unwrap();
    let open_by_number: Vec<i64> = rows.iter().map(|r| r.open_minor).collect();
    assert_eq!(
        open_by_number,
        vec![0, 3_000, 0],
        "scan: F-1 paid, F-2 3,000 open, CN-1 used"
    );
    assert!(rows.iter().all(|r| r.currency == Currency::EUR));

    // The 2,000 overpayment is the customer's credit.
    let balances = tx.credit_balances(d("2026-03-01")).unwrap();
    assert_eq!(balances.len(), 1);
    assert_eq!(balances[0].customer, Some(customer_id));
    assert_eq!(balances[0].minor, 2_000);
    let unallocated = tx.unallocated_payments(d("2026-03-01")).unwrap();
    assert_eq!(unallocated.len(), 1);
    assert_eq!(unallocated[0].1, 2_000);
    let payments = tx.customer_payments(customer_id, d("2026-03-01")).unwrap();
    assert_eq!(payments[0].allocated_minor, 10_000);
    assert_eq!(payments[0].applied_to, vec![("F-1".to_string(), 10_000)]);
    drop(tx);

    // Updates and allocation changes.
    let mut tx = store.write().unwrap();
    let mut changed = customer.clone();
    changed.name = "Bakkerij De Vries".into();
    changed.ibans = vec![];
    tx.update_customer(customer_id, &changed).unwrap();
    assert_eq!(tx.customer(customer_id).unwrap().unwrap().customer, changed);
    assert!(tx.customers_by_iban(&customer.ibans[0]).unwrap().is_empty());
    let mut lowered = invoice("F-2", "2026-02-01", "2026-02-15", 4_000);
    lowered.description = None;
    tx.update_invoice(second_id, &lowered).unwrap();
    assert_eq!(tx.invoice(second_id).unwrap().unwrap().invoice, lowered);
    let allocations = tx.allocations_to(first_id).unwrap();
    assert_eq!(allocations.len(), 1);
    assert_eq!(
        tx.allocations_from(AllocationSource::Payment(payment_id))
            .unwrap(),
        allocations
    );
    tx.set_allocation_amount(allocations[0].row, 4_000).unwrap();
    assert_eq!(tx.open_items(customer_id).unwrap().len(), 2);
    tx.delete_allocation(allocations[0].row).unwrap();
    assert!(tx.allocations_to(first_id).unwrap().is_empty());
    let mut moved = payment.clone();
    moved.amount = Money::eur(9_000);
    tx.update_payment(payment_id, &moved).unwrap();
    assert_eq!(tx.payment(payment_id).unwrap().unwrap().payment, moved);
    tx.commit().unwrap();

    let mut tx = store.read().unwrap();
    let balances = tx.credit_balances(d("2026-03-01")).unwrap();
    assert_eq!(
        balances[0].minor, 9_000,
        "payment fully unallocated after the delete"
    );
    assert_eq!(
        tx.customer_credit(customer_id, Currency::EUR).unwrap(),
        9_000
    );
    drop(tx);

    bank_matching_story(store, customer_id, payment_id);
}

/// What statement matching and e-invoices need from a store.
fn bank_matching_story(
    store: &dyn Store,
    customer_id: tegoed_core::CustomerId,
    payment_id: tegoed_core::PaymentId,
) {
    let mut tx = store.write().unwrap();
    // IBANs learned from a person's decision survive a customer update.
    let learned = Iban::parse("NL20INGB0001234567").unwrap();
    assert!(tx.learn_iban(customer_id, &learned).unwrap());
    assert!(
        !tx.learn_iban(customer_id, &learned).unwrap(),
        "learning twice is a no-op"
    );
    let stored = tx.customer(customer_id).unwrap().unwrap();
    tx.update_customer(customer_id, &stored.customer).unwrap();
    assert_eq!(tx.customers_by_iban(&learned).unwrap(), vec![customer_id]);
    assert!(
        tx.all_customer_ibans()
            .unwrap()
            .contains(&(learned.as_str().to_string(), customer_id))
    );

    // Customers by KvK, VAT and Peppol endpoint.
    assert_eq!(
        tx.find_customer(CustomerKey::Kvk("12345678"))
            .unwrap()
            .unwrap()
            .id,
        customer_id
    );
    assert!(
        tx.find_customer(CustomerKey::Vat("NL000000000B00"))
            .unwrap()
            .is_none()
    );
    tx.set_customer_peppol(customer_id, "0106:12345678")
        .unwrap();
    assert_eq!(
        tx.find_customer(CustomerKey::Peppol("0106:12345678"))
            .unwrap()
            .unwrap()
            .id,
        customer_id
    );

    // Match information round-trips; the review queue lists what needs a person.
    let info = MatchInfo {
        rule: Some(MatchRule::Reference),
        confidence: 90,
        needs_review: true,
        suggested_customer: Some(customer_id),
        note: Some("check this".into()),
        reverses: None,
    };
    tx.set_payment_match(payment_id, &info).unwrap();
    assert_eq!(tx.payment_match(payment_id).unwrap(), info);
    let queue = tx.review_queue().unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].payment.id, payment_id);
    assert_eq!(queue[0].unallocated_minor, 9_000);

    let mut bank = tx.payment(payment_id).unwrap().unwrap().payment;
    bank.end_to_end_id = Some("E2E-1".into());
    bank.bank_account = Some("NL91ABNA0417164300".into());
    tx.update_payment(payment_id, &bank).unwrap();
    assert_eq!(tx.payments_by_end_to_end("E2E-1").unwrap()[0].payment, bank);

    // The matcher's scan sees numbers, references and open amounts.
    let mut keys = Vec::new();
    tx.scan_invoice_keys(&mut |row| {
        keys.push((
            row.number.to_string(),
            row.payment_reference.map(str::to_string),
            row.ledger.open_minor,
        ))
    })
    .unwrap();
    assert_eq!(keys.len(), 3);
    assert_eq!(keys[0].0, "F-1");
    assert!(keys[0].1.is_some(), "F-1 has a payment reference");
    assert_eq!(
        keys[0].2, 10_000,
        "F-1 open again after its allocation was deleted"
    );

    tx.record_statement_import(&StatementImportRecord {
        file_name: "day.xml".into(),
        file_hash: "00".into(),
        format: "camt.053.001.02".into(),
        accounts: "NL91ABNA0417164300".into(),
        statements: 1,
        entries: 1,
        booked: 1,
        duplicates: 0,
        debits: 0,
    })
    .unwrap();
    tx.commit().unwrap();

    // A bulk load sets indexes aside and rebuilds them; lookups work after.
    let mut tx = store.write().unwrap();
    tx.begin_bulk_load(BulkTable::Payment).unwrap();
    tx.end_bulk_load().unwrap();
    assert!(tx.payment_by_external_id("P-1").unwrap().is_some());
    tx.commit().unwrap();
}
