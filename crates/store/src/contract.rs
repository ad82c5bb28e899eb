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

use tegoed_core::Language;
use tegoed_core::agreements::{PlanStatus, PromiseStatus};
use tegoed_core::strategy::{Channel, Effect, StepKind};

use tegoed_core::{CustomerId, InvoiceId, PaymentId};

use crate::schema::{Cell, TABLES};
use crate::{
    BulkTable, CollectionState, CustomerKey, Dispute, FourteenDayRecord, HistoryRow, LadderRow,
    Lease, Message, MessageFilter, MessageItem, MessageStatus, PaymentPlan, Promise, SaleAgreement,
    StatementImportRecord, Store, Task, TimelineEvent, Upsert,
};

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

    // Nor does a bulk load into the empty tables, read in between.
    {
        let mut tx = store.write().unwrap();
        tx.begin_bulk_load(&BulkTable::ALL).unwrap();
        let ghosts = bulk_rows(&mut *tx, "GHOST", 3);
        let found = tx.customer_by_number("GHOST-01").unwrap().unwrap();
        assert_eq!(found.id, ghosts[1].0, "a read in a bulk load sees its rows");
        drop(tx);
        let mut tx = store.read().unwrap();
        assert_eq!(tx.customer_count().unwrap(), 0, "bulk load rolled back");
        assert_eq!(tx.invoice_count().unwrap(), 0);
        assert_eq!(tx.payment_count().unwrap(), 0);
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
    let batch: Vec<_> = tx
        .invoices(&[credit_id, InvoiceId(999_999), first_id])
        .unwrap()
        .into_iter()
        .map(|i| (i.id, i.invoice))
        .collect();
    assert_eq!(
        batch,
        vec![(credit_id, credit.clone()), (first_id, first.clone())],
        "a batch read gives the invoices asked for, in that order, without the missing ones"
    );
    assert!(tx.invoices(&[]).unwrap().is_empty());
    let customers = tx.customers(&[CustomerId(999_999), customer_id]).unwrap();
    assert_eq!(customers.len(), 1);
    assert_eq!(customers[0].customer, customer, "batch read of customers");

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
    assert_eq!(documents[0].last_paid_on, Some(d("2026-01-20")));
    let documents = tx.customer_documents(customer_id, d("2026-01-19")).unwrap();
    assert_eq!(documents[0].open_minor, 10_000, "paid only on the 20th");
    assert_eq!(documents[0].last_paid_on, None, "nothing paid by the 19th");
    let documents = tx.customer_documents(customer_id, d("2026-03-01")).unwrap();
    let credited = documents.iter().find(|doc| doc.id == second_id).unwrap();
    assert_eq!(
        credited.last_paid_on,
        Some(d("2026-02-10")),
        "a credit note counts as money applied"
    );

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
    open_invoices_agree_with_the_scan(&mut *tx, "as first written");

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
    open_invoices_agree_with_the_scan(&mut *tx, "an allocation lowered");
    tx.delete_allocation(allocations[0].row).unwrap();
    assert!(tx.allocations_to(first_id).unwrap().is_empty());
    open_invoices_agree_with_the_scan(&mut *tx, "an allocation removed");
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

/// The open invoices summed per due date (what aging reads) are those of
/// the whole ledger's scan that have money open, on a day before a payment, the day of a
/// credit and today, whatever was `done` to the allocations before.
fn open_invoices_agree_with_the_scan(tx: &mut dyn crate::ReadTx, done: &str) {
    for as_of in ["2026-01-19", "2026-02-09", "2026-03-01"] {
        let mut all = Vec::new();
        tx.scan_ledger(d(as_of), &mut |row| all.push(*row)).unwrap();
        derived_sums_agree_with_the_allocations(tx, &all, d(as_of), done);
        all.retain(|r| r.amount_minor > 0 && r.open_minor > 0);
        // Their sums per due date (and customer), as aging reads them.
        for by_customer in [false, true] {
            let mut expected: Vec<crate::OpenByDue> = Vec::new();
            for row in &all {
                let customer = by_customer.then_some(row.customer);
                match expected.iter_mut().find(|s| {
                    (s.customer, s.currency, s.due_date) == (customer, row.currency, row.due_date)
                }) {
                    Some(sum) => {
                        sum.open_minor += i128::from(row.open_minor);
                        sum.count += 1;
                    }
                    None => expected.push(crate::OpenByDue {
                        customer,
                        currency: row.currency,
                        due_date: row.due_date,
                        open_minor: i128::from(row.open_minor),
                        count: 1,
                    }),
                }
            }
            let mut sums = tx.open_by_due(d(as_of), by_customer).unwrap();
            let key = |s: &crate::OpenByDue| (s.customer.map(|c| c.0), s.due_date);
            sums.sort_by_key(key);
            expected.sort_by_key(key);
            assert_eq!(sums, expected, "open per due date as of {as_of}, {done}");
        }
    }
}

/// The scan's open amounts and last payment dates, the credit balances and
/// the payments still to match, each counted again from the allocations
/// themselves (a backend may keep these sums apart: PostgreSQL does, in
/// triggers; a sum kept wrong shows here).
fn derived_sums_agree_with_the_allocations(
    tx: &mut dyn crate::ReadTx,
    scan: &[crate::LedgerRow],
    as_of: Date,
    done: &str,
) {
    let upto = |allocations: Vec<crate::StoredAllocation>| -> Vec<Allocation> {
        allocations
            .into_iter()
            .map(|a| a.allocation)
            .filter(|a| a.date <= as_of)
            .collect()
    };
    let allocated_from = |tx: &mut dyn crate::ReadTx, source| -> i64 {
        upto(tx.allocations_from(source).unwrap())
            .iter()
            .map(|a| a.amount_minor)
            .sum()
    };
    let mut credit: Vec<(CustomerId, Currency, i64)> = Vec::new();
    let mut add_credit = |customer, currency, minor: i64| match credit
        .iter_mut()
        .find(|(c, cur, _)| (*c, *cur) == (customer, currency))
    {
        Some(entry) => entry.2 += minor,
        None => credit.push((customer, currency, minor)),
    };
    for row in scan {
        if row.amount_minor > 0 {
            let applied = upto(tx.allocations_to(row.invoice).unwrap());
            let paid: i64 = applied.iter().map(|a| a.amount_minor).sum();
            assert_eq!(
                row.open_minor,
                row.amount_minor - paid,
                "open on {:?} as of {as_of}, {done}",
                row.invoice
            );
            assert_eq!(
                row.last_paid_on,
                applied.iter().map(|a| a.date).max(),
                "last paid on {:?} as of {as_of}, {done}",
                row.invoice
            );
        } else {
            let used = allocated_from(tx, AllocationSource::CreditNote(row.invoice));
            assert_eq!(
                row.open_minor,
                row.amount_minor + used,
                "credit left on {:?} as of {as_of}, {done}",
                row.invoice
            );
            add_credit(row.customer, row.currency, -row.open_minor);
        }
    }
    let customers: Vec<CustomerId> = tx
        .customer_directory()
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    let mut unallocated = Vec::new();
    for customer in customers {
        for state in tx.customer_payments(customer, as_of).unwrap() {
            let allocated = allocated_from(tx, AllocationSource::Payment(state.id));
            let left = state.payment.amount.minor - allocated;
            add_credit(customer, state.payment.amount.currency, left);
            if state.payment.amount.minor > 0 && left > 0 {
                unallocated.push((state.id, left));
            }
        }
    }
    credit.retain(|(_, _, minor)| *minor != 0);
    credit.sort_unstable();
    // Payments nobody has been found for are checked by the stories that
    // write them.
    let mut balances: Vec<(CustomerId, Currency, i64)> = tx
        .credit_balances(as_of)
        .unwrap()
        .iter()
        .filter_map(|b| Some((b.customer?, b.currency, b.minor)))
        .collect();
    balances.sort_unstable();
    assert_eq!(balances, credit, "credit balances as of {as_of}, {done}");
    let mut to_match: Vec<(PaymentId, i64)> = tx
        .unallocated_payments(as_of)
        .unwrap()
        .iter()
        .filter(|(p, _)| p.payment.customer.is_some())
        .map(|(p, left)| (p.id, *left))
        .collect();
    to_match.sort_unstable();
    unallocated.sort_unstable();
    assert_eq!(
        to_match, unallocated,
        "payments with money left as of {as_of}, {done}"
    );
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
    // A learned IBAN can be forgotten (an undone decision); the record's
    // own IBANs cannot be forgotten that way.
    assert!(tx.forget_learned_iban(customer_id, &learned).unwrap());
    assert!(tx.customers_by_iban(&learned).unwrap().is_empty());
    assert!(!tx.forget_learned_iban(customer_id, &learned).unwrap());
    for own in &stored.customer.ibans {
        assert!(!tx.forget_learned_iban(customer_id, own).unwrap());
        assert_eq!(tx.customers_by_iban(own).unwrap(), vec![customer_id]);
    }
    assert!(tx.learn_iban(customer_id, &learned).unwrap());

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
    tx.begin_bulk_load(&[BulkTable::Payment]).unwrap();
    tx.end_bulk_load().unwrap();
    assert!(tx.payment_by_external_id("P-1").unwrap().is_some());
    tx.commit().unwrap();

    collection_story(store);
    risk_story(store);
    access_story(store);
    revision_story(store);
    bulk_story(store);
    payment_over_days_story(store);
}

/// A payment allocated on two days, read on a day before, between and
/// after them, and a payment nobody has been found for: what is derived
/// from the allocations (kept apart by PostgreSQL) counts only what was
/// allocated by the day read.
fn payment_over_days_story(store: &dyn Store) {
    let mut tx = store.write().unwrap();
    let customer = tx
        .insert_customer(&Customer::new("C-DAYS", "Twee Dagen"))
        .unwrap();
    let invoice = tx
        .insert_invoice(&Invoice {
            number: "F-DAYS".into(),
            customer,
            issue_date: d("2026-01-05"),
            due_date: d("2026-01-19"),
            amount: Money::eur(10_000),
            payment_reference: None,
            description: None,
            credits_invoice: None,
        })
        .unwrap();
    let payment = |external_id: &str, date: &str, minor: i64, customer| Payment {
        external_id: external_id.into(),
        date: d(date),
        amount: Money::eur(minor),
        customer,
        invoice: None,
        reference: None,
        counterparty_iban: None,
        counterparty_name: None,
        source: PaymentSource::Csv,
        end_to_end_id: None,
        bank_account: None,
    };
    let paid = tx
        .insert_payment(&payment("P-DAYS", "2026-01-15", 12_000, Some(customer)))
        .unwrap();
    tx.insert_payment(&payment("P-NOBODY", "2026-01-10", 500, None))
        .unwrap();
    for (minor, date) in [(4_000, "2026-01-20"), (6_000, "2026-02-10")] {
        tx.insert_allocation(&Allocation {
            invoice,
            source: AllocationSource::Payment(paid),
            amount_minor: minor,
            date: d(date),
        })
        .unwrap();
    }
    tx.commit().unwrap();

    let mut tx = store.read().unwrap();
    let nobody_before: Vec<i64> = tx
        .credit_balances(d("2026-01-09"))
        .unwrap()
        .iter()
        .filter(|b| b.customer.is_none())
        .map(|b| b.minor)
        .collect();
    let nobody_before = nobody_before.first().copied().unwrap_or(0);
    for (as_of, open, last_paid, credit) in [
        ("2026-01-19", 10_000, None, 12_000),
        ("2026-02-09", 6_000, Some("2026-01-20"), 8_000),
        ("2026-03-01", 0, Some("2026-02-10"), 2_000),
    ] {
        let mut rows = Vec::new();
        tx.scan_ledger(d(as_of), &mut |row| rows.push(*row))
            .unwrap();
        let row = rows.iter().find(|r| r.invoice == invoice).unwrap();
        assert_eq!(row.open_minor, open, "open on {as_of}");
        assert_eq!(row.last_paid_on, last_paid.map(d), "last paid on {as_of}");
        let balances = tx.credit_balances(d(as_of)).unwrap();
        let of = |c: Option<CustomerId>| {
            balances
                .iter()
                .find(|b| b.customer == c)
                .map_or(0, |b| b.minor)
        };
        assert_eq!(of(Some(customer)), credit, "credit on {as_of}");
        assert_eq!(of(None), nobody_before + 500, "nobody's payment on {as_of}");
        let left: Vec<i64> = tx
            .unallocated_payments(d(as_of))
            .unwrap()
            .iter()
            .filter(|(p, _)| p.id == paid)
            .map(|(_, left)| *left)
            .collect();
        assert_eq!(left, vec![credit], "P-DAYS still to match on {as_of}");
        derived_sums_agree_with_the_allocations(
            &mut *tx,
            &rows,
            d(as_of),
            "a payment allocated on two days",
        );
    }
}

/// Ids of one customer's rows written by [`bulk_rows`]: customer, invoice,
/// credit note, payment.
type BulkIds = (CustomerId, InvoiceId, InvoiceId, tegoed_core::PaymentId);

/// Writes `n` customers, each with an invoice, a credit note, a payment and
/// two allocations, interleaved as the demo and the imports write them,
/// using every id the moment it comes back.
fn bulk_rows(tx: &mut dyn crate::WriteTx, prefix: &str, n: usize) -> Vec<BulkIds> {
    let ibans = [
        Iban::parse("NL91ABNA0417164300").unwrap(),
        Iban::parse("NL20INGB0001234567").unwrap(),
    ];
    let mut ids = Vec::new();
    for k in 0..n {
        let mut customer = Customer::new(format!("{prefix}-{k:02}"), format!("Bulk {k}"));
        // The same IBAN twice is kept once, as a single insert keeps it.
        customer.ibans = vec![ibans[k % 2].clone(), ibans[k % 2].clone()];
        customer.payment_terms_days = 30;
        let customer_id = tx.insert_customer(&customer).unwrap();
        let invoice = Invoice {
            number: format!("{prefix}-F-{k:02}"),
            customer: customer_id,
            issue_date: d("2026-04-01"),
            due_date: d("2026-05-01"),
            amount: Money::eur(10_000 + k as i64),
            payment_reference: None,
            description: Some(format!("Levering {k}")),
            credits_invoice: None,
        };
        let invoice_id = tx.insert_invoice(&invoice).unwrap();
        let credit_note = Invoice {
            number: format!("{prefix}-CN-{k:02}"),
            amount: Money::eur(-1_000),
            credits_invoice: Some(invoice.number.clone()),
            ..invoice.clone()
        };
        let credit_id = tx.insert_invoice(&credit_note).unwrap();
        tx.insert_allocation(&Allocation {
            invoice: invoice_id,
            source: AllocationSource::CreditNote(credit_id),
            amount_minor: 1_000,
            date: d("2026-04-01"),
        })
        .unwrap();
        let payment = Payment {
            external_id: format!("{prefix}-P-{k:02}"),
            date: d("2026-04-20"),
            amount: Money::eur(4_000),
            customer: Some(customer_id),
            invoice: Some(invoice_id),
            reference: Some(invoice.number.clone()),
            counterparty_iban: Some(ibans[k % 2].clone()),
            counterparty_name: Some(format!("Bulk {k}")),
            source: PaymentSource::Csv,
            end_to_end_id: None,
            bank_account: None,
        };
        let payment_id = tx
            .insert_matched_payment(
                &payment,
                &MatchInfo {
                    rule: Some(MatchRule::Csv),
                    confidence: 100,
                    ..MatchInfo::default()
                },
            )
            .unwrap();
        tx.insert_allocation(&Allocation {
            invoice: invoice_id,
            source: AllocationSource::Payment(payment_id),
            amount_minor: 4_000,
            date: d("2026-04-20"),
        })
        .unwrap();
        ids.push((customer_id, invoice_id, credit_id, payment_id));
    }
    ids
}

/// Several tables bulk-loaded at once into tables that hold rows: ids come
/// back at once and can be used right away, a read in between sees
/// everything written so far, and after commit everything reads back as if
/// inserted one by one.
fn bulk_story(store: &dyn Store) {
    let mut tx = store.write().unwrap();
    let customers = tx.customer_count().unwrap();
    let invoices = tx.invoice_count().unwrap();
    let payments = tx.payment_count().unwrap();
    assert!(customers > 0 && invoices > 0 && payments > 0);
    tx.begin_bulk_load(&[BulkTable::Customer, BulkTable::Invoice])
        .unwrap();
    // Announcing more later adds to what is announced.
    tx.begin_bulk_load(&[BulkTable::Payment, BulkTable::Allocation])
        .unwrap();
    let first = bulk_rows(&mut *tx, "BULK", 40);
    let mut all: Vec<i64> = first.iter().map(|ids| ids.0.0).collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 40, "every customer its own id");

    // A read in between sees every row and every link written so far.
    let (customer_id, invoice_id, credit_id, payment_id) = first[17];
    let customer = tx.customer_by_number("BULK-17").unwrap().unwrap();
    assert_eq!(customer.id, customer_id);
    assert_eq!(
        customer.customer.ibans,
        vec![Iban::parse("NL20INGB0001234567").unwrap()]
    );
    assert_eq!(tx.customer_count().unwrap(), customers + 40);
    assert_eq!(tx.invoice_count().unwrap(), invoices + 80);
    let open = tx.open_items(customer_id).unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].invoice, invoice_id);
    assert_eq!(open[0].open, Money::eur(10_017 - 1_000 - 4_000));
    assert_eq!(tx.credit_note_remaining(credit_id).unwrap(), 0);
    let paid = tx.payment_by_external_id("BULK-P-17").unwrap().unwrap();
    assert_eq!(paid.id, payment_id);
    assert_eq!(
        tx.payment_match(payment_id).unwrap().rule,
        Some(MatchRule::Csv)
    );

    // Rows after the read, and an ordinary write between bulk rows.
    let second = bulk_rows(&mut *tx, "BULK2", 3);
    tx.add_tag(second[0].0, "bulk").unwrap();
    let third = bulk_rows(&mut *tx, "BULK3", 2);
    tx.end_bulk_load().unwrap();
    // After the bulk load, inserts are ordinary again.
    let after = bulk_rows(&mut *tx, "BULK4", 1);
    tx.commit().unwrap();

    let mut tx = store.read().unwrap();
    assert_eq!(tx.customer_count().unwrap(), customers + 46);
    assert_eq!(tx.invoice_count().unwrap(), invoices + 92);
    assert_eq!(tx.payment_count().unwrap(), payments + 46);
    assert_eq!(tx.tags_of(second[0].0).unwrap(), vec!["bulk".to_string()]);
    for (prefix, ids) in [
        ("BULK", &first),
        ("BULK2", &second),
        ("BULK3", &third),
        ("BULK4", &after),
    ] {
        for (k, (customer_id, invoice_id, credit_id, payment_id)) in ids.iter().enumerate() {
            let customer = tx.customer(*customer_id).unwrap().unwrap().customer;
            assert_eq!(customer.number, format!("{prefix}-{k:02}"));
            assert_eq!(customer.ibans.len(), 1, "{prefix}-{k:02}: IBANs");
            let invoice = tx.invoice(*invoice_id).unwrap().unwrap().invoice;
            assert_eq!(invoice.number, format!("{prefix}-F-{k:02}"));
            assert_eq!(invoice.customer, *customer_id);
            let credit = tx.invoice(*credit_id).unwrap().unwrap().invoice;
            assert_eq!(credit.amount, Money::eur(-1_000));
            let payment = tx.payment(*payment_id).unwrap().unwrap().payment;
            assert_eq!(payment.external_id, format!("{prefix}-P-{k:02}"));
            assert_eq!(payment.invoice, Some(*invoice_id));
            let to = tx.allocations_to(*invoice_id).unwrap();
            let parts: Vec<_> = to
                .iter()
                .map(|a| (a.allocation.source, a.allocation.amount_minor))
                .collect();
            assert_eq!(
                parts,
                vec![
                    (AllocationSource::CreditNote(*credit_id), 1_000),
                    (AllocationSource::Payment(*payment_id), 4_000),
                ],
                "{prefix}-F-{k:02}: allocations in the order written"
            );
            let open = tx.open_item(*invoice_id).unwrap().unwrap();
            assert_eq!(open.open.minor, 10_000 + k as i64 - 5_000);
        }
        // The same allocations read for many invoices in one call, in the
        // order asked (the scoreboard reads a period's invoices this way).
        let invoices: Vec<InvoiceId> = ids.iter().rev().map(|i| i.1).collect();
        let many = tx.allocations_of(&invoices).unwrap();
        let expected: Vec<(InvoiceId, AllocationSource, i64)> = ids
            .iter()
            .rev()
            .flat_map(|(_, invoice, credit, payment)| {
                [
                    (*invoice, AllocationSource::CreditNote(*credit), 1_000),
                    (*invoice, AllocationSource::Payment(*payment), 4_000),
                ]
            })
            .collect();
        let got: Vec<(InvoiceId, AllocationSource, i64)> = many
            .iter()
            .map(|a| (a.invoice, a.source, a.amount_minor))
            .collect();
        assert_eq!(got, expected, "{prefix}: allocations of many invoices");
        assert!(tx.allocations_of(&[]).unwrap().is_empty());
    }
    let by_iban = tx
        .customers_by_iban(&Iban::parse("NL91ABNA0417164300").unwrap())
        .unwrap();
    assert!(by_iban.contains(&first[0].0) && by_iban.contains(&after[0].0));
    drop(tx);

    // New rows after a bulk load get ids of their own.
    let mut tx = store.write().unwrap();
    let next = tx
        .insert_customer(&Customer::new("BULK-AFTER", "Daarna"))
        .unwrap();
    assert!(!all.contains(&next.0));
    tx.commit().unwrap();
}

/// The collection side: tags, state, disputes, promises, plans, messages
/// and their items, tasks, the timeline.
fn collection_story(store: &dyn Store) {
    let mut tx = store.write().unwrap();
    let customer = tx.customer_by_number("C-001").unwrap().unwrap().id;
    let invoice = tx.invoice_by_number("F-1").unwrap().unwrap().id;

    // Tags: added once, listed sorted, removed.
    assert!(tx.add_tag(customer, "watch").unwrap());
    assert!(
        !tx.add_tag(customer, "watch").unwrap(),
        "a tag is added once"
    );
    assert!(tx.add_tag(customer, "key_account").unwrap());
    assert_eq!(tx.tags_of(customer).unwrap(), vec!["key_account", "watch"]);
    assert!(tx.remove_tag(customer, "watch").unwrap());
    assert_eq!(
        tx.all_tags().unwrap(),
        vec![(customer, "key_account".to_string())]
    );

    // Collection state round-trips; unknown customers have the default.
    assert_eq!(
        tx.collection_state(customer).unwrap(),
        CollectionState::default()
    );
    let state = CollectionState {
        credit_hold_since: Some(d("2026-03-01")),
        credit_hold_reason: Some("final notice".into()),
        pause_until: Some(d("2026-03-31")),
        pause_reason: Some("takeover".into()),
        handed_off_on: None,
    };
    tx.set_collection_state(customer, &state).unwrap();
    assert_eq!(tx.collection_state(customer).unwrap(), state);
    assert!(state.is_paused_on(d("2026-03-31")) && !state.is_paused_on(d("2026-04-01")));
    assert_eq!(tx.collection_states().unwrap(), vec![(customer, state)]);

    // One open dispute per invoice; resolving closes it.
    let dispute = Dispute {
        invoice,
        customer,
        opened_on: d("2026-03-02"),
        reason: "not delivered".into(),
        resolved_on: None,
        resolution: None,
    };
    let dispute_id = tx.insert_dispute(&dispute).unwrap();
    assert_eq!(
        tx.open_dispute_on(invoice).unwrap().unwrap().dispute,
        dispute
    );
    assert_eq!(tx.disputes(Some(customer), true).unwrap().len(), 1);
    tx.resolve_dispute(dispute_id, d("2026-03-05"), Some("credited"))
        .unwrap();
    assert!(tx.open_dispute_on(invoice).unwrap().is_none());
    assert!(tx.disputes(None, true).unwrap().is_empty());
    assert_eq!(
        tx.disputes(None, false).unwrap()[0]
            .dispute
            .resolution
            .as_deref(),
        Some("credited")
    );

    // Promises and plans round-trip with their invoices and statuses.
    let promise = Promise {
        customer,
        created_on: d("2026-03-02"),
        amount: Money::eur(5_000),
        promised_on: d("2026-03-09"),
        status: PromiseStatus::Pending,
        status_on: None,
        note: Some("by phone".into()),
        invoices: vec![invoice],
    };
    let promise_id = tx.insert_promise(&promise).unwrap();
    assert_eq!(
        tx.promises(Some(customer), true).unwrap()[0].promise,
        promise
    );
    tx.set_promise_status(promise_id, PromiseStatus::Broken, d("2026-03-10"))
        .unwrap();
    assert!(tx.promises(None, true).unwrap().is_empty());
    assert_eq!(
        tx.promises(None, false).unwrap()[0].promise.status,
        PromiseStatus::Broken
    );
    // Payment agreements made at the sale: oldest first, per customer.
    let later = SaleAgreement {
        customer,
        agreed_on: d("2026-03-03"),
        terms_days: 14,
        method: "direct_debit".into(),
        invoice_contact: Some("crediteuren@klant.example".into()),
        agreed_with: "J. de Vries".into(),
        agreed_by: "Sanne de Boer".into(),
        note: None,
    };
    let earlier = SaleAgreement {
        agreed_on: d("2026-01-15"),
        terms_days: 30,
        method: "transfer".into(),
        invoice_contact: None,
        note: Some("op de beurs".into()),
        ..later.clone()
    };
    let later_id = tx.insert_sale_agreement(&later).unwrap();
    let earlier_id = tx.insert_sale_agreement(&earlier).unwrap();
    assert_ne!(later_id, earlier_id);
    let of_customer: Vec<SaleAgreement> = tx
        .sale_agreements(Some(customer))
        .unwrap()
        .into_iter()
        .map(|a| a.agreement)
        .collect();
    assert_eq!(of_customer, vec![earlier.clone(), later.clone()]);
    assert_eq!(tx.sale_agreements(None).unwrap().len(), 2);
    let plan = PaymentPlan {
        customer,
        created_on: d("2026-03-02"),
        total: Money::eur(10_000),
        instalments: 2,
        first_due: d("2026-04-01"),
        interval: "1m".into(),
        status: PlanStatus::Active,
        status_on: None,
        invoices: vec![invoice],
    };
    let plan_id = tx.insert_plan(&plan).unwrap();
    assert_eq!(tx.plans(Some(customer), true).unwrap()[0].plan, plan);
    let broken = PlanStatus::Broken {
        missed: d("2026-04-01"),
    };
    tx.set_plan_status(plan_id, broken, d("2026-04-07"))
        .unwrap();
    assert_eq!(tx.plans(None, false).unwrap()[0].plan.status, broken);
    assert!(tx.plans(None, true).unwrap().is_empty());

    // Money applied between two dates (both included).
    let applied = tx
        .allocated_between(&[invoice], d("2026-01-01"), d("2026-12-31"))
        .unwrap();
    assert!(applied >= 0);

    // A message with its items; offsets of messages not cancelled count.
    let run = tx.insert_run(d("2026-03-15")).unwrap();
    let message = Message {
        customer,
        as_of: d("2026-03-15"),
        segment: "standard".into(),
        strategy: "standard".into(),
        step_id: "fourteen_day_letter".into(),
        step_offset: 21,
        channel: Channel::Letter,
        language: Language::Nl,
        recipient: Some("Bakkerij De Vries B.V., Utrecht".into()),
        sender_name: "Eva Jansen".into(),
        sender_email: Some("eva@example.nl".into()),
        subject: "Laatste herinnering".into(),
        body_text: "Beste klant,".into(),
        document: "{}".into(),
        currency: Currency::EUR,
        principal_minor: 10_000,
        interest_minor: 120,
        costs_minor: 0,
        vat_uplift_minor: 0,
        credit_minor: 0,
        pay_by: Some(d("2026-03-31")),
        effects: vec![Effect::FourteenDayLetter, Effect::CreditHold],
        fourteen_day: Some(FourteenDayRecord {
            received_on: d("2026-03-17"),
            pay_without_costs_until: d("2026-03-31"),
            stated_costs_minor: 4_000,
        }),
    };
    let items = [MessageItem {
        invoice,
        open_minor: 10_000,
        interest_minor: 120,
        days_overdue: 21,
        step: Some(("fourteen_day_letter".into(), StepKind::FourteenDayLetter)),
    }];
    let message_id = tx.insert_message(run, &message, &items).unwrap();
    tx.set_run_messages(run, 1).unwrap();
    let stored = tx.message(message_id).unwrap().unwrap();
    assert_eq!(stored.message, message, "a message round-trips");
    assert_eq!(
        stored.status,
        MessageStatus::Queued,
        "recorded before delivery"
    );
    assert_eq!(tx.message_items(message_id).unwrap(), items.to_vec());
    // The ladder: the rung the message gave, with its deadline and the
    // 14-day letter's term.
    let rung = LadderRow {
        invoice,
        strategy: Some("standard".into()),
        step: "fourteen_day_letter".into(),
        kind: Some(StepKind::FourteenDayLetter),
        on: d("2026-03-15"),
        pay_by: Some(d("2026-03-31")),
        channel: Some(Channel::Letter),
        message: Some(message_id),
        fourteen_day_until: Some(d("2026-03-31")),
    };
    assert_eq!(tx.ladder().unwrap(), vec![rung.clone()]);
    assert_eq!(tx.ladder_of(customer).unwrap(), vec![rung]);
    // Claims: one deliverer wins a queued message; the claim is freed for
    // a new run only when released, and a delivered message is claimed by
    // nobody.
    assert!(
        tx.claim_message(message_id, "run-a").unwrap(),
        "first claim"
    );
    assert!(
        tx.claim_message(message_id, "run-a").unwrap(),
        "the claimant may claim again"
    );
    assert!(
        !tx.claim_message(message_id, "run-b").unwrap(),
        "one claimant only"
    );
    assert_eq!(tx.release_claims("run-a").unwrap(), 0, "own claims stay");
    assert_eq!(tx.release_claims("run-b").unwrap(), 1, "others' are freed");
    assert!(tx.claim_message(message_id, "run-b").unwrap());
    tx.set_message_status(
        message_id,
        MessageStatus::Sent,
        Some(d("2026-03-15")),
        Some("letters/1.pdf"),
        None,
    )
    .unwrap();
    let sent = tx.message(message_id).unwrap().unwrap();
    assert_eq!(
        (sent.status, sent.file_path.as_deref()),
        (MessageStatus::Sent, Some("letters/1.pdf"))
    );
    let filter = MessageFilter {
        status: Some(MessageStatus::Sent),
        as_of: Some(d("2026-03-15")),
        ..MessageFilter::default()
    };
    assert_eq!(tx.messages(filter).unwrap().len(), 1);
    let since = |day: &str| MessageFilter {
        since: Some(d(day)),
        ..MessageFilter::default()
    };
    assert_eq!(
        tx.messages(since("2026-03-15")).unwrap().len(),
        tx.messages(MessageFilter {
            as_of: Some(d("2026-03-15")),
            ..MessageFilter::default()
        })
        .unwrap()
        .len()
            + tx.messages(since("2026-03-16")).unwrap().len(),
        "on or after the day"
    );
    assert!(tx.messages(since("2099-01-01")).unwrap().is_empty());
    assert!(
        !tx.claim_message(message_id, "run-c").unwrap(),
        "a sent message cannot be claimed"
    );
    tx.set_message_status(
        message_id,
        MessageStatus::Cancelled,
        None,
        None,
        Some("stale"),
    )
    .unwrap();
    // The same in batches (what a run does): messages in order with their
    // items, claims and sending only of what still waits.
    let second = Message {
        step_id: "reminder".into(),
        channel: Channel::Email,
        recipient: None,
        pay_by: None,
        effects: Vec::new(),
        fourteen_day: None,
        ..message.clone()
    };
    let batch: [(&Message, &[MessageItem]); 2] = [(&message, &items), (&second, &[])];
    let ids = tx.insert_messages(run, &batch).unwrap();
    assert_eq!(ids.len(), 2);
    assert_eq!(tx.message(ids[0]).unwrap().unwrap().message, message);
    assert_eq!(tx.message(ids[1]).unwrap().unwrap().message, second);
    assert_eq!(tx.message_items(ids[0]).unwrap(), items.to_vec());
    assert!(tx.message_items(ids[1]).unwrap().is_empty());
    assert!(tx.claim_message(ids[1], "run-e").unwrap());
    assert_eq!(
        tx.claim_messages(&[message_id, ids[1], ids[0]], "run-d")
            .unwrap(),
        vec![ids[0]],
        "not a cancelled message, not one another claimed"
    );
    assert_eq!(
        tx.mark_messages_sent(
            &[(message_id, None), (ids[0], Some("outbox/1.eml"))],
            d("2026-03-15")
        )
        .unwrap(),
        vec![ids[0]],
        "a cancelled message stays cancelled"
    );
    let sent = tx.message(ids[0]).unwrap().unwrap();
    assert_eq!(
        (sent.status, sent.delivered_on, sent.file_path.as_deref()),
        (
            MessageStatus::Sent,
            Some(d("2026-03-15")),
            Some("outbox/1.eml")
        )
    );
    assert_eq!(
        tx.message(message_id).unwrap().unwrap().status,
        MessageStatus::Cancelled
    );
    for id in ids {
        tx.set_message_status(id, MessageStatus::Cancelled, None, None, Some("test"))
            .unwrap();
    }
    assert_eq!(
        tx.collection_states_of(&[customer, CustomerId(987_654)])
            .unwrap(),
        vec![
            tx.collection_state(customer).unwrap(),
            CollectionState::default()
        ],
        "states in the order asked, the default for none"
    );
    assert!(
        tx.ladder().unwrap().is_empty(),
        "cancelled messages do not count"
    );
    // History from an earlier system: keyed, so importing again changes
    // nothing, and a changed row updates.
    let earlier = HistoryRow {
        invoice,
        on: d("2026-02-10"),
        step: "reminder".into(),
        kind: StepKind::Reminder,
        channel: Some(Channel::Email),
        strategy: None,
    };
    assert_eq!(tx.insert_history(&earlier).unwrap(), Upsert::Inserted);
    assert_eq!(tx.insert_history(&earlier).unwrap(), Upsert::Unchanged);
    let changed = HistoryRow {
        channel: Some(Channel::Letter),
        ..earlier.clone()
    };
    assert_eq!(tx.insert_history(&changed).unwrap(), Upsert::Updated);
    assert_eq!(
        tx.ladder().unwrap(),
        vec![LadderRow {
            invoice,
            strategy: None,
            step: "reminder".into(),
            kind: Some(StepKind::Reminder),
            on: d("2026-02-10"),
            pay_by: None,
            channel: Some(Channel::Letter),
            message: None,
            fourteen_day_until: None,
        }]
    );

    // Leases: taken by one holder; renewed or taken over only by naming
    // the token that holds it; released by its holder only.
    let lease = Lease {
        name: "dunning".into(),
        token: "t1".into(),
        holder: "eva@example.nl (host, process 1)".into(),
        host: "host".into(),
        pid: 1,
        started_at: 1_000,
        expires_at: 1_120,
    };
    assert!(tx.lease("dunning").unwrap().is_none());
    assert!(tx.put_lease(&lease, None).unwrap(), "taken");
    let rival = Lease {
        token: "t2".into(),
        ..lease.clone()
    };
    assert!(
        !tx.put_lease(&rival, None).unwrap(),
        "held: not taken twice"
    );
    assert!(
        !tx.put_lease(&rival, Some("t-old")).unwrap(),
        "not by naming a token that does not hold it"
    );
    assert_eq!(tx.lease("dunning").unwrap(), Some(lease.clone()));
    assert!(tx.put_lease(&rival, Some("t1")).unwrap(), "taken over");
    tx.release_lease("dunning", "t1").unwrap();
    assert_eq!(
        tx.lease("dunning").unwrap().map(|l| l.token),
        Some("t2".into())
    );
    tx.release_lease("dunning", "t2").unwrap();
    assert!(tx.lease("dunning").unwrap().is_none(), "released");

    // Tasks: open, then done.
    let task = Task {
        customer,
        message: Some(message_id),
        kind: "call".into(),
        created_on: d("2026-03-15"),
        due_on: d("2026-03-16"),
        assignee: Some("Eva Jansen".into()),
        title: "Bel Bakkerij De Vries".into(),
        talking_points: "- open: 100.00".into(),
        amount: Money::eur(10_000),
    };
    let task_id = tx.insert_task(&task).unwrap();
    assert_eq!(tx.tasks(None, true).unwrap()[0].task, task);
    assert_eq!(tx.tasks(Some(task.customer), true).unwrap()[0].task, task);
    assert!(
        tx.tasks(Some(tegoed_core::CustomerId(task.customer.0 + 1000)), false)
            .unwrap()
            .is_empty(),
        "another customer's tasks are not theirs"
    );
    tx.complete_task(task_id, d("2026-03-16"), "pays Friday")
        .unwrap();
    assert!(tx.tasks(None, true).unwrap().is_empty());
    assert_eq!(tx.tasks(Some(task.customer), false).unwrap().len(), 1);
    assert_eq!(
        tx.task(task_id).unwrap().unwrap().outcome.as_deref(),
        Some("pays Friday")
    );

    // The timeline keeps events in date order, in both languages.
    for (date, kind, nl) in [
        ("2026-03-16", "call_done", None),
        ("2026-03-15", "message_sent", Some("bericht verstuurd")),
    ] {
        tx.add_event(&TimelineEvent {
            customer,
            date: d(date),
            kind: kind.into(),
            invoice: Some(invoice),
            ref_id: None,
            text: kind.into(),
            text_nl: nl.map(str::to_string),
            author: None,
        })
        .unwrap();
    }
    let events: Vec<TimelineEvent> = tx
        .events(customer)
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, vec!["message_sent", "call_done"]);
    assert_eq!(events[0].text_in(Language::Nl), "bericht verstuurd");
    assert_eq!(events[0].text_in(Language::En), "message_sent");
    assert_eq!(
        events[1].text_in(Language::Nl),
        "call_done",
        "English when there is no Dutch"
    );
    // Several events at once keep their order (same date).
    let batch: Vec<TimelineEvent> = ["first", "second", "third"]
        .into_iter()
        .map(|text| TimelineEvent {
            customer,
            date: d("2026-03-20"),
            kind: "note".into(),
            invoice: None,
            ref_id: Some(7),
            text: text.into(),
            text_nl: Some(format!("{text} nl")),
            author: Some("eva@example.nl".into()),
        })
        .collect();
    tx.add_events(&batch).unwrap();
    let stored: Vec<TimelineEvent> = tx
        .events(customer)
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .filter(|e| e.date == d("2026-03-20"))
        .collect();
    assert_eq!(stored, batch);

    // Appreciation: raised once per (customer, reason, since, ref), closed
    // once; gifts wait for approval once.
    use tegoed_core::appreciation::{Reason, Suggested};
    let kept = crate::Appreciation {
        customer,
        reason: Reason::PromiseKept,
        since: d("2026-03-21"),
        ref_id: promise_id,
        suggested: Suggested::ThankYou,
        evidence: "Promise kept".into(),
        evidence_nl: "Belofte nagekomen".into(),
        raised_on: d("2026-03-22"),
    };
    let back = crate::Appreciation {
        reason: Reason::BackOnTime,
        ref_id: 0,
        ..kept.clone()
    };
    let ids = tx
        .insert_appreciations(&[kept.clone(), back.clone()])
        .unwrap();
    assert_eq!(ids.len(), 2);
    assert!(
        tx.insert_appreciations(std::slice::from_ref(&kept))
            .unwrap()
            .is_empty(),
        "raised once"
    );
    let open = tx.appreciations(Some(customer), true).unwrap();
    assert_eq!(
        open.iter().map(|a| &a.appreciation).collect::<Vec<_>>(),
        vec![&kept, &back]
    );
    assert_eq!(open[0].status, crate::AppreciationStatus::Open);
    assert!(
        tx.decide_appreciation(
            ids[0],
            crate::AppreciationStatus::Thanked,
            d("2026-03-23"),
            "eva@example.nl",
            None
        )
        .unwrap()
    );
    assert!(
        !tx.decide_appreciation(
            ids[0],
            crate::AppreciationStatus::Dismissed,
            d("2026-03-23"),
            "joost@example.nl",
            None
        )
        .unwrap(),
        "closed once"
    );
    assert_eq!(tx.appreciations(None, true).unwrap().len(), 1);
    let all = tx.appreciations(None, false).unwrap();
    assert_eq!(all[0].status, crate::AppreciationStatus::Thanked);
    assert_eq!(all[0].decided_by.as_deref(), Some("eva@example.nl"));
    assert_eq!(all[0].decided_on, Some(d("2026-03-23")));
    let gift = crate::Gift {
        customer,
        account_manager: None,
        appreciation: Some(ids[1]),
        given_on: d("2026-03-24"),
        item: "Taart".into(),
        value: Money::eur(4_500),
        logged_by: "sanne@example.nl".into(),
    };
    let gift_id = tx
        .insert_gift(&gift, crate::GiftStatus::AwaitingApproval)
        .unwrap();
    assert!(
        tx.decide_gift(
            gift_id,
            crate::GiftStatus::Given,
            d("2026-03-25"),
            "joost@example.nl"
        )
        .unwrap()
    );
    assert!(
        !tx.decide_gift(
            gift_id,
            crate::GiftStatus::Refused,
            d("2026-03-25"),
            "joost@example.nl"
        )
        .unwrap()
    );
    let gifts = tx.gifts(Some(customer)).unwrap();
    assert_eq!(gifts.len(), 1);
    assert_eq!(gifts[0].gift, gift);
    assert_eq!(gifts[0].status, crate::GiftStatus::Given);
    assert_eq!(gifts[0].decided_by.as_deref(), Some("joost@example.nl"));
    tx.commit().unwrap();
}

/// Risk models (newest wins) and ratings (keyed by subject, provider and
/// date; customers and prospects by KvK kept apart).
fn risk_story(store: &dyn Store) {
    use crate::{Rating, Upsert};
    let mut tx = store.write().unwrap();
    assert_eq!(tx.latest_risk_model().unwrap(), None);
    tx.insert_risk_model(d("2026-01-01"), "{\"v\":1}").unwrap();
    let second = tx.insert_risk_model(d("2026-02-01"), "{\"v\":2}").unwrap();
    assert_eq!(
        tx.latest_risk_model().unwrap(),
        Some((second, d("2026-02-01"), "{\"v\":2}".to_string()))
    );
    let customer = tx.customer_by_number("C-001").unwrap().unwrap().id;
    let rating = Rating {
        customer: Some(customer),
        kvk: Some("12345678".into()),
        provider: "Graydon".into(),
        score: 72.5,
        recommended_limit_minor: Some(1_500_000),
        rated_on: d("2026-01-15"),
    };
    assert_eq!(tx.upsert_rating(&rating).unwrap(), Upsert::Inserted);
    assert_eq!(tx.upsert_rating(&rating).unwrap(), Upsert::Unchanged);
    let lower = Rating {
        score: 60.0,
        ..rating.clone()
    };
    assert_eq!(tx.upsert_rating(&lower).unwrap(), Upsert::Updated);
    let newer = Rating {
        rated_on: d("2026-03-01"),
        ..rating.clone()
    };
    assert_eq!(tx.upsert_rating(&newer).unwrap(), Upsert::Inserted);
    let prospect = Rating {
        customer: None,
        kvk: Some("87654321".into()),
        ..rating.clone()
    };
    assert_eq!(tx.upsert_rating(&prospect).unwrap(), Upsert::Inserted);
    let of_customer = tx.ratings_for(Some(customer), None).unwrap();
    assert_eq!(of_customer.len(), 2);
    assert_eq!(of_customer[0].rated_on, d("2026-03-01"), "newest first");
    assert_eq!(of_customer[1].score, 60.0);
    assert_eq!(
        tx.ratings_for(None, Some("87654321")).unwrap(),
        vec![prospect]
    );
    assert_eq!(tx.all_customer_ratings().unwrap().len(), 2);
    tx.commit().unwrap();
}

/// Users (e-mail case-insensitive), sessions (found by hash, expired ones
/// swept), API tokens, the audit log (newest first) and pause requests.
fn access_story(store: &dyn Store) {
    use crate::{AuditEntry, PauseRequest, Session, User};
    let mut tx = store.write().unwrap();
    // Shared secrets: the first value stored wins.
    assert_eq!(tx.secret("login_form_key").unwrap(), None);
    tx.put_secret_if_absent("login_form_key", "first").unwrap();
    tx.put_secret_if_absent("login_form_key", "second").unwrap();
    assert_eq!(
        tx.secret("login_form_key").unwrap().as_deref(),
        Some("first")
    );
    // Quiz answers round-trip, listed from a day on, oldest first.
    let customer = tx.customer_by_number("C-001").unwrap().unwrap().id;
    let first = crate::QuizAnswer {
        user: "sanne@example.nl".into(),
        answered_on: d("2026-03-02"),
        customer,
        amount_minor: 1_200_000,
        terms_days: 30,
        answer: "approve".into(),
        verdict: "conditions".into(),
        rule: "limit_exceeded".into(),
    };
    let second = crate::QuizAnswer {
        answered_on: d("2026-04-01"),
        answer: "prepay".into(),
        verdict: "prepay".into(),
        ..first.clone()
    };
    let second_id = tx.insert_quiz_answer(&second).unwrap();
    tx.insert_quiz_answer(&first).unwrap();
    let all: Vec<crate::QuizAnswer> = tx
        .quiz_answers(d("2026-01-01"))
        .unwrap()
        .into_iter()
        .map(|a| a.answer)
        .collect();
    assert_eq!(all, vec![first.clone(), second.clone()]);
    assert_eq!(tx.quiz_answers(d("2026-03-03")).unwrap().len(), 1);
    assert_eq!(
        tx.quiz_answer(second_id).unwrap().map(|a| a.answer),
        Some(second)
    );
    assert_eq!(tx.quiz_answer(second_id + 100).unwrap(), None);
    // Portal links: found by hash only, revoked per customer.
    let link = crate::PortalToken {
        hash: "ab".repeat(32),
        customer,
        issued_on: d("2026-03-02"),
        expires_on: d("2026-05-31"),
        revoked_on: None,
    };
    tx.insert_portal_token(&link).unwrap();
    tx.insert_portal_token(&crate::PortalToken {
        hash: "cd".repeat(32),
        ..link.clone()
    })
    .unwrap();
    assert_eq!(tx.portal_token(&link.hash).unwrap(), Some(link.clone()));
    assert_eq!(tx.portal_token("ef").unwrap(), None);
    assert_eq!(
        tx.revoke_portal_tokens(customer, d("2026-03-05")).unwrap(),
        2
    );
    assert_eq!(
        tx.revoke_portal_tokens(customer, d("2026-03-06")).unwrap(),
        0
    );
    assert_eq!(
        tx.portal_token(&link.hash).unwrap().unwrap().revoked_on,
        Some(d("2026-03-05"))
    );
    // Portal requests: recorded once per fingerprint, newest first, with
    // what became of them.
    let invoice = tx.invoice_by_number("F-1").unwrap().map(|i| i.id);
    let paid = crate::PortalRequest {
        customer,
        kind: "paid".into(),
        created_on: d("2026-03-02"),
        created_at: 1_772_400_000,
        on_date: Some(d("2026-02-27")),
        amount: Some(tegoed_core::Money::eur(12_345)),
        instalments: None,
        invoice: None,
        reason: None,
        text: Some("<b>via ING</b>".into()),
        outcome: "noted".into(),
        why: None,
        ref_id: None,
        task: None,
        fingerprint: "paid/2026-02-27/12345".into(),
    };
    let problem = crate::PortalRequest {
        kind: "problem".into(),
        created_at: 1_772_400_100,
        on_date: None,
        amount: None,
        instalments: Some(3),
        invoice,
        reason: Some("wrong_amount".into()),
        fingerprint: "problem".into(),
        ..paid.clone()
    };
    let paid_id = tx.insert_portal_request(&paid).unwrap().unwrap();
    assert_eq!(tx.insert_portal_request(&paid).unwrap(), None);
    let problem_id = tx.insert_portal_request(&problem).unwrap().unwrap();
    tx.set_portal_request_result(paid_id, "request", Some("why"), Some(7), Some(8))
        .unwrap();
    let listed = tx.portal_requests(Some(customer), d("2026-03-01")).unwrap();
    assert_eq!(
        listed.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![problem_id, paid_id]
    );
    assert_eq!(listed[0].request, problem);
    assert_eq!(
        listed[1].request,
        crate::PortalRequest {
            outcome: "request".into(),
            why: Some("why".into()),
            ref_id: Some(7),
            task: Some(8),
            ..paid.clone()
        }
    );
    assert!(
        tx.portal_requests(None, d("2026-03-03"))
            .unwrap()
            .is_empty()
    );
    assert!(
        tx.set_portal_request_result(problem_id + 100, "noted", None, None, None)
            .is_err()
    );
    let user = User {
        email: "Sara@Example.nl".into(),
        name: "Sara".into(),
        role: "sales".into(),
        language: Language::Nl,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        account_manager: None,
        disabled: false,
        created_at: 1_700_000_000,
    };
    let id = tx.insert_user(&user).unwrap();
    let found = tx.user_by_email("sara@example.NL").unwrap().unwrap();
    assert_eq!((found.id, &found.user), (id, &user), "users round-trip");
    let changed = User {
        role: "collector".into(),
        language: Language::En,
        ..user.clone()
    };
    tx.update_user(id, &changed).unwrap();
    assert_eq!(tx.user(id).unwrap().unwrap().user, changed);
    assert_eq!(tx.users().unwrap().len(), 1);

    let session = Session {
        user: id,
        csrf: "c".into(),
        created_at: 100,
        expires_at: 200,
    };
    tx.insert_session("h1", &session).unwrap();
    tx.insert_session(
        "h2",
        &Session {
            expires_at: 50,
            ..session.clone()
        },
    )
    .unwrap();
    assert_eq!(tx.session("h1").unwrap(), Some(session));
    assert_eq!(tx.delete_expired_sessions(100).unwrap(), 1);
    assert_eq!(tx.session("h2").unwrap(), None);
    tx.delete_session("h1").unwrap();
    assert_eq!(tx.session("h1").unwrap(), None);

    tx.insert_api_token("t1", id, "crm", 100).unwrap();
    assert_eq!(tx.api_token_user("t1").unwrap(), Some(id));
    assert_eq!(tx.api_token_user("t2").unwrap(), None);

    for action in ["first", "second"] {
        tx.insert_audit(&AuditEntry {
            at: 100,
            actor: "sara@example.nl".into(),
            action: action.into(),
            subject: "C-001".into(),
            detail: String::new(),
        })
        .unwrap();
    }
    let log = tx.audit_log(10).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].action, "second", "audit log newest first");

    let customer = tx.customer_by_number("C-001").unwrap().unwrap().id;
    let request = PauseRequest {
        customer,
        requested_by: "sara@example.nl".into(),
        requested_on: d("2026-03-01"),
        until: d("2026-03-31"),
        reason: "new contract".into(),
        status: "pending".into(),
        decided_by: None,
        decided_on: None,
    };
    let rid = tx.insert_pause_request(&request).unwrap();
    assert_eq!(tx.pause_requests(None, true).unwrap().len(), 1);
    tx.decide_pause_request(rid, "approved", "boss@example.nl", d("2026-03-02"))
        .unwrap();
    assert!(tx.pause_requests(None, true).unwrap().is_empty());
    let decided = tx.pause_request(rid).unwrap().unwrap().request;
    assert_eq!(decided.status, "approved");
    assert_eq!(decided.decided_on, Some(d("2026-03-02")));
    assert_eq!(tx.pause_requests(Some(customer), false).unwrap().len(), 1);
    tx.commit().unwrap();
}

/// The revision moves with every committed write and only then; a reader
/// keeps its snapshot while a writer commits.
fn revision_story(store: &dyn Store) {
    let before = store.read().unwrap().revision().unwrap();
    {
        let mut tx = store.write().unwrap();
        tx.insert_customer(&Customer::new("REV-GHOST", "Rolled back"))
            .unwrap();
    }
    assert_eq!(
        store.read().unwrap().revision().unwrap(),
        before,
        "a rolled-back transaction leaves the revision alone"
    );
    let mut reader = store.read().unwrap();
    let count = reader.customer_count().unwrap();
    {
        let mut tx = store.write().unwrap();
        tx.insert_customer(&Customer::new("REV-1", "Revision"))
            .unwrap();
        tx.commit().unwrap();
    }
    assert_eq!(
        reader.customer_count().unwrap(),
        count,
        "a read transaction is a snapshot: it does not see a later commit"
    );
    drop(reader);
    let mut tx = store.read().unwrap();
    assert_ne!(
        tx.revision().unwrap(),
        before,
        "a commit moves the revision"
    );
    assert!(tx.customer_by_number("REV-1").unwrap().is_some());
}

/// Copies every table of `from` (a store the [`story`] filled) into `to`
/// (fresh and empty) and checks that `to` holds the same rows, and that new
/// rows in `to` get ids after the copied ones.
pub fn copy_story(from: &dyn Store, to: &dyn Store) {
    let mut source = from.read().unwrap();
    let mut target = to.write().unwrap();
    let mut copied = 0;
    let mut empty = Vec::new();
    for table in TABLES {
        let mut rows: Vec<Vec<Cell>> = Vec::new();
        let n = source
            .copy_out(table, &mut |cells| {
                assert_eq!(
                    cells.len(),
                    table.columns.len(),
                    "{}: one cell a column",
                    table.name
                );
                rows.push(cells.to_vec());
                Ok(())
            })
            .unwrap_or_else(|e| panic!("copy out of {}: {e}", table.name));
        assert_eq!(
            n as usize,
            rows.len(),
            "{}: copy_out counts its rows",
            table.name
        );
        // In two parts, as `tegoed migrate` sends large tables.
        let half = rows.len() / 2;
        target
            .copy_in(table, &rows[..half])
            .unwrap_or_else(|e| panic!("copy into {}: {e}", table.name));
        target.copy_in(table, &rows[half..]).unwrap();
        copied += rows.len();
        if rows.is_empty() {
            empty.push(table.name);
        }
    }
    target.commit().unwrap();
    assert!(copied > 30, "the story leaves rows to copy ({copied})");
    assert!(empty.len() <= 3, "tables the story leaves empty: {empty:?}");
    let mut target = to.read().unwrap();
    for table in TABLES {
        let mut want = Vec::new();
        source
            .copy_out(table, &mut |cells| {
                want.push(cells.to_vec());
                Ok(())
            })
            .unwrap();
        let mut got = Vec::new();
        target
            .copy_out(table, &mut |cells| {
                got.push(cells.to_vec());
                Ok(())
            })
            .unwrap();
        assert_eq!(got, want, "{}: the copy holds the same rows", table.name);
    }
    let customer = source.customer_by_number("C-001").unwrap().unwrap();
    assert_eq!(
        target.customer_by_number("C-001").unwrap().unwrap(),
        customer,
        "records read back the same after a copy"
    );
    drop(target);
    let mut tx = to.write().unwrap();
    let max = tx
        .customer_directory()
        .unwrap()
        .iter()
        .map(|c| c.id.0)
        .max()
        .unwrap();
    let new = tx
        .insert_customer(&Customer::new("AFTER-COPY", "Nieuw"))
        .unwrap();
    assert!(new.0 > max, "new ids come after the copied ones");
    let event = tx
        .add_event(&TimelineEvent {
            customer: new,
            date: d("2026-03-01"),
            kind: "note".into(),
            invoice: None,
            ref_id: None,
            text: "after the copy".into(),
            text_nl: None,
            author: Some("a@b.nl".into()),
        })
        .unwrap();
    assert!(event > 0);
    tx.commit().unwrap();
}
