//! The portal's use cases on the demo: the "pay now" address carries the
//! amount and reference; a request's confirmation is only ever shown to
//! the customer who made it; a double submission is recorded once; the
//! limits decide what is agreed at once.

use tegoed_app::config::Config;
use tegoed_app::demo::{self, DemoConfig};
use tegoed_app::portal::{self, Ask};
use tegoed_core::{Date, Language};

mod common;

fn as_of() -> Date {
    Date::parse_iso("2026-11-25").unwrap()
}

#[test]
fn pay_now_confirmations_and_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::database(dir.path(), "portal");
    let actor = tegoed_app::access::Actor::system("test", 0);
    tegoed_app::write_tx(&*db, |tx| {
        demo::fill(
            tx,
            &actor,
            &DemoConfig {
                customers: 60,
                seed: 3,
                as_of: as_of(),
            },
            &tegoed_app::Silent,
        )
    })
    .unwrap();
    let mut config = Config::default_in(dir.path());
    config.portal.pay_url = Some("https://pay.example/?a={amount}&r={reference}".into());
    let (first, second) = tegoed_app::read_tx(&*db, |tx| {
        let mut overdue = Vec::new();
        for brief in tx.customer_directory()? {
            let stored = tx.customer_by_number(&brief.number)?.unwrap();
            let page = portal::page(tx, &config, &stored, None, Language::Nl, as_of())?;
            if page.overdue_minor > 0 && page.pay.is_some() && page.may.promise {
                overdue.push((stored, page));
            }
        }
        let mut it = overdue.into_iter();
        Ok((it.next().unwrap(), it.next().unwrap()))
    })
    .unwrap();
    let (customer, page) = first;
    let pay = page.pay.as_ref().unwrap();
    let amount = format!("{}.{:02}", pay.amount_minor / 100, pay.amount_minor % 100);
    let now = pay.pay_now.as_deref().unwrap();
    assert!(
        now.starts_with(&format!("https://pay.example/?a={amount}&r=")),
        "{now}"
    );
    assert!(!now.contains(' '), "the reference is encoded: {now}");
    assert!(pay.epc.as_deref().unwrap().contains(&pay.reference));

    // A promise within the limits: agreed; the same again the same day:
    // recorded once, the same confirmation.
    let ask = Ask::Promise {
        on: as_of().add_days(10),
        amount_minor: page.overdue_minor,
        note: Some("<b>salary day</b>".into()),
    };
    let act = |ask: &Ask| {
        tegoed_app::write_tx(&*db, |tx| {
            portal::act(
                tx,
                &config,
                &customer,
                ask,
                Some('B'),
                Language::Nl,
                as_of(),
                1_795_000_000,
            )
        })
        .unwrap()
        .unwrap()
    };
    let receipt = act(&ask);
    assert_eq!(receipt.outcome, "accepted");
    assert!(!receipt.repeated);
    let again = act(&ask);
    assert_eq!((again.id, again.repeated), (receipt.id, true));
    let promises =
        tegoed_app::read_tx(&*db, |tx| Ok(tx.promises(Some(customer.id), false)?)).unwrap();
    assert_eq!(
        promises.len(),
        1,
        "one promise for two identical submissions"
    );

    // A token amount is not agreed at once: it would stop the reminders.
    let (other_customer, other_page) = &second;
    let token = tegoed_app::write_tx(&*db, |tx| {
        portal::act(
            tx,
            &config,
            other_customer,
            &Ask::Promise {
                on: as_of().add_days(5),
                amount_minor: 1,
                note: None,
            },
            Some('A'),
            Language::Nl,
            as_of(),
            1_795_000_050,
        )
    })
    .unwrap()
    .unwrap();
    assert_eq!(token.outcome, "request", "{}", token.next);
    assert!(token.next.contains("lager bedrag"), "{}", token.next);
    let hold = tegoed_app::read_tx(&*db, |tx| Ok(tx.collection_state(other_customer.id)?)).unwrap();
    assert_eq!(
        hold.pause_until,
        Some(as_of().add_working_days(2)),
        "no reminder while a colleague looks"
    );
    assert!(other_page.promise_at_once);

    // The confirmation is this customer's only.
    let (other, _) = second;
    let mine = tegoed_app::read_tx(&*db, |tx| {
        portal::receipt(tx, &config, &customer, receipt.id, Language::En, as_of())
    })
    .unwrap();
    assert!(mine.is_some());
    let theirs = tegoed_app::read_tx(&*db, |tx| {
        portal::receipt(tx, &config, &other, receipt.id, Language::En, as_of())
    })
    .unwrap();
    assert!(theirs.is_none(), "another customer's request is not shown");

    // Risk class D may not set up a plan alone: a request, with the rule
    // for the team and a plain reason for the customer.
    let plan = Ask::Plan {
        instalments: 3,
        first: as_of().add_days(5),
        note: None,
    };
    let receipt = tegoed_app::write_tx(&*db, |tx| {
        portal::act(
            tx,
            &config,
            &other,
            &plan,
            Some('D'),
            Language::En,
            as_of(),
            1_795_000_100,
        )
    })
    .unwrap()
    .unwrap();
    assert_eq!(receipt.outcome, "request");
    assert!(
        !receipt.next.contains('D'),
        "no risk class told to the customer: {}",
        receipt.next
    );
    let team = tegoed_app::read_tx(&*db, |tx| {
        portal::recent(tx, Some(other.id), None, 7, Language::En, as_of())
    })
    .unwrap();
    let asked = team.iter().find(|r| r.id == receipt.id).unwrap();
    assert_eq!(
        asked.why.as_deref(),
        Some("risk class D may not set up a plan alone")
    );
    assert!(asked.open, "a task waits for the credit manager");

    // The page tells the truth about what would be agreed at once.
    let (d_page, a_page) = tegoed_app::read_tx(&*db, |tx| {
        Ok((
            portal::page(tx, &config, &other, Some('D'), Language::Nl, as_of())?,
            portal::page(tx, &config, &customer, Some('A'), Language::Nl, as_of())?,
        ))
    })
    .unwrap();
    assert!(!d_page.plan_at_once, "class D may not set up a plan alone");
    assert!(!a_page.may.plan || a_page.plan_at_once);

    // With a plan agreed, what to pay now is the next instalment.
    let (third, _) = tegoed_app::read_tx(&*db, |tx| {
        for brief in tx.customer_directory()? {
            let stored = tx.customer_by_number(&brief.number)?.unwrap();
            if stored.id == customer.id || stored.id == other.id {
                continue;
            }
            let page = portal::page(tx, &config, &stored, Some('A'), Language::Nl, as_of())?;
            if page.may.plan && page.overdue_minor > 300 {
                return Ok((stored, page));
            }
        }
        panic!("a customer who may ask for a plan")
    })
    .unwrap();
    let plan = tegoed_app::write_tx(&*db, |tx| {
        portal::act(
            tx,
            &config,
            &third,
            &Ask::Plan {
                instalments: 3,
                first: as_of().add_days(7),
                note: None,
            },
            Some('A'),
            Language::Nl,
            as_of(),
            1_795_000_200,
        )
    })
    .unwrap()
    .unwrap();
    assert_eq!(plan.outcome, "accepted");
    let page = tegoed_app::read_tx(&*db, |tx| {
        portal::page(tx, &config, &third, Some('A'), Language::Nl, as_of())
    })
    .unwrap();
    let pay = page.pay.unwrap();
    assert_eq!(pay.amount_minor, plan.schedule[0].amount_minor);
    assert_eq!(pay.instalment_due, Some(as_of().add_days(7)));
}

#[test]
fn notes_lose_control_and_direction_characters() {
    assert_eq!(
        portal::clean_note("  paid \u{202E}today\u{202C} via\u{7} ING \n ok "),
        Some("paid today via ING \n ok".into())
    );
    assert_eq!(portal::clean_note(" \u{2066}\u{2069} "), None);
    assert_eq!(
        portal::clean_note(&"x".repeat(5000)).unwrap().len(),
        portal::MAX_NOTE
    );
}

#[test]
fn amounts_as_customers_type_them() {
    for (text, minor) in [
        ("1.234,56", Some(123_456)),
        ("1,234.56", Some(123_456)),
        ("€ 50", Some(5_000)),
        ("50,5", Some(5_050)),
        ("1234", Some(123_400)),
        ("12.345", Some(1_234_500)),
        ("abc", None),
        ("", None),
        ("-5", None),
        ("99999999999999999999", None),
    ] {
        assert_eq!(portal::parse_customer_amount(text), minor, "{text}");
    }
}
