//! Proof of the dunning ladder: the run every day for 120 days on a demo
//! ledger of a few hundred customers, starting without any dunning history
//! (go-live), with new invoices every month, payments arriving the way each
//! customer pays (some after the reminder, some after the call, some after
//! the final notice, some never), a dispute, promises and a payment plan
//! along the way. Every message of every day is checked against the rules:
//!
//! - no rung skipped per invoice, each one at most once, always upward;
//! - no demand, final notice or hand-off as a first contact;
//! - a pay-by date never before the send date plus the days to pay;
//! - a hand-off only for invoices whose last rung was the final notice and
//!   whose deadline passed (consumers: after their 14-day letter's term);
//! - costs only where allowed (consumers: after the 14-day letter's term);
//! - at most one message per customer per run;
//! - nothing about disputed, promised or planned invoices;
//! - the amounts of a message add up to its items, and its text says them.
//!
//! It prints the number of messages per step and how many customers paid
//! after each step.

use std::collections::{BTreeMap, HashMap, HashSet};

use tegoed_app::access::Actor;
use tegoed_app::config::Config;
use tegoed_app::demo::{self, DemoConfig};
use tegoed_app::dunning::{self, Options, RunOptions, templates::Templates};
use tegoed_app::{Silent, agreements, facts, import, reports};
use tegoed_core::customer::CustomerKind;
use tegoed_core::strategy::{Channel, StepKind};
use tegoed_core::{Date, Language, Money};
use tegoed_store::Store;
use tegoed_store::{ReadTx, WriteTx};

mod common;

const DAYS: i32 = 120;

/// When a customer pays: after a message of this kind (and how many days
/// later), or never.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pays {
    After(StepKind, i32),
    Never,
}

/// A customer who will pay these invoices, after a message of this kind.
type Payer = (String, Vec<String>, &'static str);

/// The last rung an invoice had, as the test saw it.
#[derive(Clone, Debug)]
struct Seen {
    strategy: String,
    step: String,
    kind: StepKind,
    on: Date,
    pay_by: Option<Date>,
}

/// A use case in a read transaction.
fn read<T>(store: &dyn Store, work: impl FnOnce(&mut dyn ReadTx) -> tegoed_app::Result<T>) -> T {
    tegoed_app::read_tx(store, work).unwrap()
}

/// A use case in a write transaction, as the simulation's actor.
fn write<T>(
    store: &dyn Store,
    work: impl FnOnce(&mut dyn WriteTx, &Actor) -> tegoed_app::Result<T>,
) -> T {
    let actor = Actor::system("simulation", 0);
    tegoed_app::write_tx(store, |tx| work(tx, &actor)).unwrap()
}

fn statement(store: &dyn Store, number: &str, as_of: Date) -> reports::Statement {
    read(store, |tx| {
        let ledger = facts::CustomerLedger::load(tx, number, as_of)?;
        reports::statement(tx, &ledger, as_of)
    })
}

fn d(text: &str) -> Date {
    Date::parse_iso(text).unwrap()
}

fn minor(text: &str) -> i64 {
    tegoed_core::money::parse_amount(text, 2).unwrap()
}

#[test]
fn a_hundred_and_twenty_days_of_dunning_keep_every_rule() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::database(dir.path(), "sim");
    let store: &dyn Store = &*db;
    let start = d("2026-06-30");
    write(store, |tx, actor| {
        demo::fill(
            tx,
            actor,
            &DemoConfig {
                customers: 300,
                seed: 3,
                as_of: start,
            },
            &Silent,
        )
    });
    let config = Config::default_in(dir.path());
    let templates = Templates::load(None).unwrap();
    let pay_within = config.dunning.pay_within_days;

    // How each customer pays, from how they paid so far (the demo's payment
    // behaviours show in their history).
    let snapshot = read(store, |tx| facts::snapshot(tx, start));
    let mut pays: HashMap<String, Pays> = HashMap::new();
    let mut consumers: HashSet<String> = HashSet::new();
    for (i, c) in snapshot.customers.iter().enumerate() {
        let f = &snapshot.facts[i];
        let late = f.avg_days_late.unwrap_or(10.0);
        let behaviour = if f.max_days_overdue > 150 {
            Pays::Never
        } else if late <= 4.0 {
            Pays::After(StepKind::Reminder, 2)
        } else if late <= 20.0 {
            Pays::After(StepKind::SecondReminder, 3)
        } else if late <= 45.0 {
            Pays::After(StepKind::Call, 4)
        } else {
            Pays::After(StepKind::FinalNotice, 4)
        };
        pays.insert(c.number.clone(), behaviour);
        if c.kind == CustomerKind::B2c {
            consumers.insert(c.number.clone());
        }
    }

    let mut last: HashMap<String, Seen> = HashMap::new();
    let mut fourteen_day: HashMap<String, Date> = HashMap::new();
    let mut first_contact_seen: HashSet<String> = HashSet::new();
    let mut held: HashSet<String> = HashSet::new();
    let mut due_payments: BTreeMap<Date, Vec<Payer>> = BTreeMap::new();
    let mut per_step: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut paid_after: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut payment_no = 0u64;
    let mut new_invoice_no = 0u64;
    let mut handed_off = 0u64;
    let mut costs_messages = 0u64;

    for day in 0..DAYS {
        let as_of = start.add_days(day);

        // Along the way: a dispute, promises and a payment plan on customers
        // with something overdue.
        if [5, 10, 15].contains(&day) {
            let snapshot = read(store, |tx| facts::snapshot(tx, as_of));
            let overdue: Vec<String> = snapshot
                .customers
                .iter()
                .enumerate()
                .filter(|(i, _)| snapshot.facts[*i].overdue_minor > 50_000)
                .map(|(_, c)| c.number.clone())
                .collect();
            let statement = |number: &str| statement(store, number, as_of);
            match day {
                5 => {
                    let number = &overdue[0];
                    let invoice = statement(number).open_items[0].invoice_number.clone();
                    write(store, |tx, actor| {
                        agreements::open_dispute(tx, actor, &invoice, "Levering onvolledig", as_of)
                    });
                }
                10 => {
                    for number in overdue.iter().skip(1).take(3) {
                        let s = statement(number);
                        write(store, |tx, actor| {
                            agreements::add_promise(
                                tx,
                                actor,
                                number,
                                &s.overdue.to_decimal_string(),
                                as_of.add_days(14),
                                &[],
                                None,
                                as_of,
                            )
                        });
                    }
                }
                15 => {
                    let number = &overdue[4];
                    write(store, |tx, actor| {
                        agreements::create_plan(
                            tx,
                            actor,
                            number,
                            3,
                            as_of.add_days(7),
                            "1m",
                            config.dunning.plan_grace_days,
                            as_of,
                        )
                    });
                }
                _ => {}
            }
        }
        // What is on hold today: open disputes, promises not yet due,
        // plans still running (a broken promise or plan lets dunning
        // resume).
        held.clear();
        for dispute in read(store, |tx| agreements::disputes(tx, false)) {
            held.insert(dispute.invoice.clone());
        }
        for promise in read(store, |tx| agreements::promises(tx, false, as_of)) {
            if promise.status == "pending" {
                held.extend(promise.invoices.iter().cloned());
            }
        }
        let grace = config.dunning.plan_grace_days;
        for plan in read(store, |tx| agreements::plans(tx, as_of, grace)) {
            if plan.status == "active" {
                held.extend(plan.invoices.iter().cloned());
            }
        }

        // New invoices every month for a third of the customers.
        if day % 30 == 1 {
            let mut csv = String::from("invoice_number,customer_id,issue_date,amount,due_date\n");
            for (i, c) in snapshot
                .customers
                .iter()
                .enumerate()
                .filter(|(i, _)| i % 3 == 0)
            {
                new_invoice_no += 1;
                let amount = 100 + (i as u64 * 37 + new_invoice_no * 11) % 2_400;
                csv.push_str(&format!(
                    "SIM-{new_invoice_no:05},{},{as_of},{amount}.00,{}\n",
                    c.number,
                    as_of.add_days(30)
                ));
            }
            write(store, |tx, actor| {
                import::import_invoices(tx, actor, "sim-invoices.csv", csv.as_bytes(), &Silent)
            });
        }

        // Payments that were due to arrive today.
        if let Some(list) = due_payments.remove(&as_of) {
            let mut csv = String::from("payment_id,date,amount,customer_id,invoice_number\n");
            let mut any = false;
            for (number, invoices, after) in list {
                let statement = statement(store, &number, as_of);
                let mut paid = false;
                for item in statement
                    .open_items
                    .iter()
                    .filter(|i| invoices.contains(&i.invoice_number))
                {
                    payment_no += 1;
                    any = true;
                    paid = true;
                    csv.push_str(&format!(
                        "SIMPAY-{payment_no:06},{as_of},{},{number},{}\n",
                        item.open_amount.to_decimal_string(),
                        item.invoice_number
                    ));
                }
                if paid {
                    *paid_after.entry(after).or_default() += 1;
                }
            }
            if any {
                write(store, |tx, actor| {
                    import::import_payments(tx, actor, "sim-payments.csv", csv.as_bytes(), &Silent)
                });
            }
        }

        // The preview: one message per customer, its amounts add up, and
        // its text says them.
        let preview = dunning::plan(
            store,
            &config,
            &templates,
            as_of,
            &Options::default(),
            &Silent,
        )
        .unwrap();
        let mut customers_today = HashSet::new();
        for m in &preview.messages {
            assert!(
                customers_today.insert(m.customer.clone()),
                "{as_of}: two messages for {}",
                m.customer
            );
            let open: i64 = m.items.iter().map(|i| minor(&i.open_amount)).sum();
            assert_eq!(open, minor(&m.amounts.open), "{as_of} {}: open", m.customer);
            assert_eq!(
                minor(&m.amounts.principal),
                open - minor(&m.amounts.credit),
                "{as_of} {}",
                m.customer
            );
            assert_eq!(
                minor(&m.amounts.total),
                minor(&m.amounts.principal)
                    + minor(&m.amounts.interest)
                    + minor(&m.amounts.costs)
                    + minor(&m.amounts.vat_uplift),
                "{as_of} {}",
                m.customer
            );
            for item in &m.items {
                assert!(
                    !held.contains(&item.invoice_number),
                    "{as_of}: {} is disputed, promised or planned, yet in a message to {}",
                    item.invoice_number,
                    m.customer
                );
            }
            if matches!(m.channel, "email" | "letter") {
                let language = Language::parse(m.language).unwrap();
                let show = |minor: i64| Money::eur(minor).display_in(language);
                assert!(
                    m.message.text.contains(&show(minor(&m.amounts.total))),
                    "{as_of} {}: the text does not say the total {}:\n{}",
                    m.customer,
                    m.amounts.total,
                    m.message.text
                );
                let pay_by = m.pay_by.expect("a written message has a pay-by date");
                assert!(
                    pay_by >= as_of.add_days(pay_within),
                    "{as_of}: pay by {pay_by}"
                );
            } else {
                assert_eq!(m.pay_by, None, "calls and hand-offs ask no date");
            }
            let costs = minor(&m.amounts.costs);
            if costs > 0 {
                costs_messages += 1;
                if consumers.contains(&m.customer) {
                    assert!(
                        m.items.iter().any(|i| fourteen_day
                            .get(&i.invoice_number)
                            .is_some_and(|until| as_of > *until)),
                        "{as_of}: costs for consumer {} before a 14-day letter's term passed",
                        m.customer
                    );
                }
            }
        }

        // The run, then each message of the day against the ladder.
        let report = dunning::run(
            store,
            &Actor::system("simulation", 0),
            &config,
            &templates,
            as_of,
            &RunOptions::new(|| 0),
            &Silent,
        )
        .unwrap();
        assert!(report.failed.is_empty(), "{as_of}: {:?}", report.failed);
        assert_eq!(report.planned as usize, preview.messages.len());
        for m in read(store, |tx| dunning::messages(tx, None, Some(as_of))) {
            let strategy = config.strategy(&m.strategy).unwrap();
            let kind_of = |step: &str| strategy.steps[strategy.position(step).unwrap()].kind;
            let message_kind = kind_of(&m.step);
            *per_step.entry(message_kind.as_str()).or_default() += 1;
            if first_contact_seen.insert(m.customer.clone()) {
                assert!(
                    !message_kind.is_formal(),
                    "{as_of}: the first contact with {} is a {}",
                    m.customer,
                    m.step
                );
            }
            let mut rung_invoices = Vec::new();
            for item in &m.items {
                let Some(step) = &item.step else {
                    continue;
                };
                let index = strategy.position(step).unwrap();
                let kind = strategy.steps[index].kind;
                rung_invoices.push(item.invoice_number.clone());
                match last.get(&item.invoice_number) {
                    None => assert!(
                        matches!(kind, StepKind::HeadsUp | StepKind::Reminder),
                        "{as_of}: invoice {} starts at {step}",
                        item.invoice_number
                    ),
                    Some(prev) if prev.strategy == m.strategy => {
                        let at = strategy.position(&prev.step).unwrap();
                        assert!(
                            index > at,
                            "{as_of}: {} went from {} to {step}",
                            item.invoice_number,
                            prev.step
                        );
                        // Steps passed over are only those that do not
                        // apply (a minimum amount, a heads-up after the
                        // due date).
                        for skipped in &strategy.steps[at + 1..index] {
                            assert!(
                                skipped.min_overdue_minor > 0
                                    || (skipped.offset_days < 0 && item.days_overdue > 0),
                                "{as_of}: {} skipped {} ({} → {step})",
                                item.invoice_number,
                                skipped.id,
                                prev.step
                            );
                        }
                        let gap =
                            strategy.steps[index].offset_days - strategy.steps[at].offset_days;
                        assert!(
                            prev.on.days_until(as_of) >= gap.max(1),
                            "{as_of}: {} {step} only {} days after {}",
                            item.invoice_number,
                            prev.on.days_until(as_of),
                            prev.step
                        );
                        if let Some(pay_by) = prev.pay_by {
                            assert!(as_of > pay_by, "{as_of}: before the deadline {pay_by}");
                        }
                    }
                    Some(prev) => assert!(
                        kind.severity() > prev.kind.severity(),
                        "{as_of}: {} went from {}/{} to {}/{step}",
                        item.invoice_number,
                        prev.strategy,
                        prev.step,
                        m.strategy
                    ),
                }
                if kind == StepKind::Handoff {
                    let prev = &last[&item.invoice_number];
                    assert_eq!(prev.kind, StepKind::FinalNotice, "{as_of}: hand-off");
                    assert!(prev.pay_by.is_some_and(|p| as_of > p));
                    if consumers.contains(&m.customer) {
                        assert!(
                            fourteen_day
                                .get(&item.invoice_number)
                                .is_some_and(|until| as_of > *until),
                            "{as_of}: a consumer's invoice handed off before the 14-day term"
                        );
                    }
                    handed_off += 1;
                }
                if kind == StepKind::FourteenDayLetter {
                    let until = m.pay_by.expect("the 14-day letter's term");
                    fourteen_day.insert(item.invoice_number.clone(), until);
                }
                last.insert(
                    item.invoice_number.clone(),
                    Seen {
                        strategy: m.strategy.clone(),
                        step: step.clone(),
                        kind,
                        on: as_of,
                        pay_by: m.pay_by,
                    },
                );
            }
            // The customer answers the way they pay.
            if let Pays::After(kind, delay) = pays[&m.customer]
                && message_kind.severity() >= kind.severity()
                && message_kind != StepKind::Handoff
                && !rung_invoices.is_empty()
            {
                due_payments
                    .entry(as_of.add_days(delay))
                    .or_default()
                    .push((
                        m.customer.clone(),
                        rung_invoices.clone(),
                        message_kind.as_str(),
                    ));
                // A promise made on the phone: the call is done, with what
                // came of it.
                if m.channel == Channel::Call.as_str() {
                    for task in read(store, |tx| agreements::tasks(tx, false)) {
                        if task.customer == m.customer && task.created_on == as_of {
                            write(store, |tx, actor| {
                                agreements::complete_task(
                                    tx,
                                    actor,
                                    task.id,
                                    "Betaalt binnen een week",
                                    as_of,
                                )
                            });
                        }
                    }
                }
            }
        }
    }

    eprintln!("messages per step over {DAYS} days:");
    for (kind, n) in &per_step {
        eprintln!(
            "  {kind:20} {n:5} messages; customers who paid after it: {}",
            paid_after.get(kind).unwrap_or(&0)
        );
    }
    eprintln!("hand-offs: {handed_off}, messages with costs: {costs_messages}");
    assert!(per_step.get("reminder").copied().unwrap_or(0) > 50);
    assert!(
        per_step.get("final_notice").copied().unwrap_or(0) > 0,
        "120 days reach the final notice: {per_step:?}"
    );
    assert!(handed_off > 0, "and the agency: {per_step:?}");
}
