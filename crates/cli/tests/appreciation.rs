//! `tegoed appreciation` on a small hand-made ledger: each trigger fires on
//! the day it becomes true, once and only once; a thank-you goes out through
//! the dunning delivery signed by the account manager; gifts count against
//! the quarterly budget; a dismissed suggestion stays dismissed.

mod common;

use common::Sandbox;
use serde_json::Value;

const CUSTOMERS: &str = "\
customer_id,name,kind,email,account_manager,payment_terms_days,language
C1,Bakkerij Een,b2b,a@een.example,Anna Verkoop,30,nl
C2,Drukkerij Twee,b2b,b@twee.example,Bas Verkoop,30,en
C3,Garage Drie,b2b,c@drie.example,Anna Verkoop,30,nl
C4,Winkel Vier,b2b,d@vier.example,Anna Verkoop,30,nl
";

// C1: late once (I1, 45 days), then three on time in a row: I3 two days
// after its due date (inside the 2 days' grace), I4 before it. The third
// on-time payment arrives on 28 Sep 2026.
// C2: I5 overdue; promises 200.00 by 10 Oct and pays on 8 Oct.
// C3: every monthly invoice from 15 Oct 2025 to 15 Sep 2026 paid on time.
// C4: four invoices in the year to 15 Oct 2026, none late — but K3 was
// credited in full, not paid: three paid, one short of a year on time.
const INVOICES: &str = "\
invoice_number,customer_id,issue_date,amount,due_date,currency,applies_to
K1,C4,2025-09-15,80.00,2025-10-15,EUR,
K2,C4,2025-12-16,80.00,2026-01-15,EUR,
K3,C4,2026-03-16,80.00,2026-04-15,EUR,
CN1,C4,2026-04-10,-80.00,,EUR,K3
K4,C4,2026-06-15,80.00,2026-07-15,EUR,
I1,C1,2026-06-01,100.00,2026-07-01,EUR,
I2,C1,2026-07-02,100.00,2026-08-01,EUR,
I3,C1,2026-08-02,100.00,2026-09-01,EUR,
I4,C1,2026-09-01,100.00,2026-10-01,EUR,
I5,C2,2026-08-16,200.00,2026-09-15,EUR,
";

const PAYMENTS: &str = "\
payment_id,date,amount,currency,customer_id,invoice_number
P1,2026-08-15,100.00,EUR,C1,I1
P2,2026-08-01,100.00,EUR,C1,I2
P3,2026-09-03,100.00,EUR,C1,I3
P4,2026-09-28,100.00,EUR,C1,I4
P5,2026-10-08,200.00,EUR,C2,I5
P6,2025-10-14,80.00,EUR,C4,K1
P7,2026-01-15,80.00,EUR,C4,K2
P8,2026-07-10,80.00,EUR,C4,K4
";

fn ledger() -> Sandbox {
    let sandbox = Sandbox::new();
    let mut invoices = INVOICES.to_string();
    let mut payments = PAYMENTS.to_string();
    for month in 0..12 {
        let (year, m) = if month < 3 {
            (2025, 10 + month)
        } else {
            (2026, month - 2)
        };
        let due = format!("{year}-{m:02}-15");
        invoices.push_str(&format!("Y{month},C3,{due},50.00,{due},EUR,\n"));
        payments.push_str(&format!("Q{month},{due},50.00,EUR,C3,Y{month}\n"));
    }
    for (what, name, text) in [
        ("customers", "customers.csv", CUSTOMERS.to_string()),
        ("invoices", "invoices.csv", invoices),
        ("payments", "payments.csv", payments),
    ] {
        let path = sandbox.write(name, &text);
        sandbox.ok(&["import", what, &path]);
    }
    sandbox
}

fn suggestions(sandbox: &Sandbox, as_of: &str) -> Vec<Value> {
    sandbox
        .json(&["--as-of", as_of, "appreciation"])
        .as_array()
        .unwrap()
        .clone()
}

fn of<'a>(list: &'a [Value], customer: &str, reason: &str) -> Vec<&'a Value> {
    list.iter()
        .filter(|s| s["customer"] == customer && s["reason"] == reason)
        .collect()
}

#[test]
fn each_trigger_fires_on_its_day_once_and_only_once() {
    let sandbox = ledger();
    // Before the third on-time payment: nothing for C1.
    let early = suggestions(&sandbox, "2026-09-27");
    assert!(of(&early, "C1", "back_on_time").is_empty(), "{early:?}");

    let list = suggestions(&sandbox, "2026-10-05");
    let back = of(&list, "C1", "back_on_time");
    assert_eq!(back.len(), 1, "{list:?}");
    let back = back[0].clone();
    let mut keys: Vec<&str> = back
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "account_manager",
            "customer",
            "evidence",
            "evidence_nl",
            "id",
            "name",
            "reason",
            "since",
            "suggested"
        ]
    );
    assert_eq!(back["since"], "2026-09-28");
    assert_eq!(back["account_manager"], "Anna Verkoop");
    assert_eq!(back["suggested"], "thank_you");
    assert_eq!(
        back["evidence"],
        "Paid 3 invoices in a row on time (I2, I3, I4) after 1 late payment"
    );
    // Asked again the same day and later: the same one, not a second.
    for day in ["2026-10-05", "2026-10-20"] {
        let again = suggestions(&sandbox, day);
        let same = of(&again, "C1", "back_on_time");
        assert_eq!(same.len(), 1, "{day}: {again:?}");
        assert_eq!(same[0]["id"], back["id"], "{day}");
    }

    // A year on time for C3: on the anniversary of its first due date
    // (15 Oct), not before.
    assert!(of(&suggestions(&sandbox, "2026-10-14"), "C3", "on_time_year").is_empty());
    let year = suggestions(&sandbox, "2026-10-20");
    let year = of(&year, "C3", "on_time_year");
    assert_eq!(year.len(), 1);
    assert_eq!(year[0]["since"], "2026-10-15");
    // A credited invoice was not paid: C4 has three paid, not a year on
    // time (regression: it counted as paid on time).
    assert!(
        of(&suggestions(&sandbox, "2026-10-20"), "C4", "on_time_year").is_empty(),
        "C4: one of its four invoices was credited, not paid"
    );
    assert_eq!(
        year[0]["evidence_nl"],
        "Alle 12 facturen met vervaldatum van 15-10-2025 tot 15-10-2026 op tijd betaald"
    );

    // A promise kept: recorded by the dunning run after the money came.
    sandbox.ok(&[
        "--as-of",
        "2026-10-01",
        "promise",
        "add",
        "C2",
        "--amount",
        "200.00",
        "--date",
        "2026-10-10",
    ]);
    assert!(of(&suggestions(&sandbox, "2026-10-09"), "C2", "promise_kept").is_empty());
    let run = sandbox.json(&["--as-of", "2026-10-12", "dunning", "run"]);
    assert!(run["appreciation_raised"].as_u64().unwrap() >= 1, "{run}");
    let kept = suggestions(&sandbox, "2026-10-12");
    let kept = of(&kept, "C2", "promise_kept");
    assert_eq!(kept.len(), 1);
    assert_eq!(
        kept[0]["evidence"],
        "Promise of €\u{a0}200.00 kept on 12 Oct 2026"
    );
    // Another run the next day raises nothing new.
    let run = sandbox.json(&["--as-of", "2026-10-13", "dunning", "run"]);
    assert_eq!(run["appreciation_raised"], 0, "{run}");
    assert_eq!(
        of(&suggestions(&sandbox, "2026-10-13"), "C2", "promise_kept").len(),
        1
    );
}

#[test]
fn a_thank_you_goes_out_once_signed_by_the_account_manager() {
    let sandbox = ledger();
    suggestions(&sandbox, "2026-10-05");
    let done = sandbox.json(&["--as-of", "2026-10-05", "appreciation", "thank", "C1"]);
    assert_eq!(done["channel"], "email");
    assert_eq!(done["recipient"], "a@een.example");
    assert_eq!(done["sender"], "Anna Verkoop");
    assert_eq!(done["delivered"], true);
    assert_eq!(done["subject"], "Bedankt, Bakkerij Een");
    let text = done["text"].as_str().unwrap();
    assert!(
        text.contains(
            "Sinds een eerdere betaling te laat was, heeft u 3 facturen op rij op tijd betaald."
        ),
        "{text}"
    );
    assert!(text.contains("Anna Verkoop"), "{text}");
    // Nothing about a payment to make: a thank-you asks for nothing.
    assert!(
        !text.contains("IBAN") && !text.contains("Te betalen"),
        "{text}"
    );
    let file = sandbox
        .dir()
        .join(done["file"].as_str().unwrap().trim_start_matches("./"));
    let eml = std::fs::read_to_string(&file).unwrap();
    assert!(eml.contains("Subject: Bedankt, Bakkerij Een"), "{eml}");

    // Thanked: no longer open, and not twice.
    assert!(of(&suggestions(&sandbox, "2026-10-05"), "C1", "back_on_time").is_empty());
    let again = sandbox.fails(&["--as-of", "2026-10-05", "appreciation", "thank", "C1"]);
    assert!(again.contains("no open suggestion"), "{again}");
    let outbox: Vec<_> = std::fs::read_dir(file.parent().unwrap()).unwrap().collect();
    assert_eq!(outbox.len(), 1, "one e-mail");

    // On the timeline, and in the audit log.
    let timeline = sandbox.json(&["--as-of", "2026-10-05", "customer", "timeline", "C1"]);
    assert!(
        timeline
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "message_sent"
                && e["text"].as_str().unwrap().contains("Bedankt")),
        "{timeline}"
    );
}

#[test]
fn gifts_count_against_the_quarterly_budget_and_dismissed_stays_dismissed() {
    let sandbox = ledger();
    let list = suggestions(&sandbox, "2026-10-20");
    let gift = sandbox.json(&[
        "--as-of",
        "2026-10-20",
        "appreciation",
        "gift",
        "C3",
        "--item",
        "Taart",
        "--value",
        "45.50",
    ]);
    assert_eq!(gift["gift"]["status"], "given");
    assert_eq!(gift["gift"]["value"], "45.50");
    assert_eq!(gift["budget"]["budget"], "250.00");
    assert_eq!(gift["budget"]["used"], "45.50");
    assert_eq!(gift["budget"]["left"], "204.50");
    assert_eq!(gift["budget"]["quarter_from"], "2026-10-01");
    assert_eq!(gift["needs_approval"], false);
    // The year-on-time suggestion is answered by the gift.
    assert!(of(&suggestions(&sandbox, "2026-10-20"), "C3", "on_time_year").is_empty());
    // A next quarter starts afresh.
    let gifts = sandbox.json(&["--as-of", "2027-01-05", "appreciation", "gifts"]);
    let anna = gifts["budgets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["account_manager"] == "Anna Verkoop")
        .unwrap();
    assert_eq!(anna["used"], "0.00");
    assert_eq!(gifts["gifts"][0]["item"], "Taart");

    // Bad values are refused with the value named.
    let bad = sandbox.fails(&[
        "appreciation",
        "gift",
        "C3",
        "--item",
        "Taart",
        "--value=-5",
    ]);
    assert!(bad.contains("--value '-5'"), "{bad}");

    // Dismiss: gone from the list, and it does not come back.
    let back = of(&list, "C1", "back_on_time")[0]["id"].as_i64().unwrap();
    sandbox.ok(&[
        "--as-of",
        "2026-10-20",
        "appreciation",
        "dismiss",
        &back.to_string(),
    ]);
    assert!(of(&suggestions(&sandbox, "2026-10-21"), "C1", "back_on_time").is_empty());
    let twice = sandbox.fails(&["appreciation", "dismiss", &back.to_string()]);
    assert!(twice.contains("not open"), "{twice}");
}

#[test]
fn with_thank_you_auto_the_run_thanks_a_customer_whose_plan_is_completed() {
    let sandbox = ledger();
    let config = sandbox.write(
        "tegoed.toml",
        "[appreciation]\nthank_you = \"auto\"\ngift_for = []\n",
    );
    // C2 owes 200.00 (I5) and agrees a plan of two instalments.
    sandbox.ok(&[
        "--as-of",
        "2026-09-20",
        "--config",
        &config,
        "plan",
        "create",
        "C2",
        "--instalments",
        "2",
        "--first",
        "2026-09-25",
        "--interval",
        "14d",
    ]);
    // P5 (8 Oct) pays it all; the run of 12 Oct records the plan completed
    // and thanks C2 itself, in English (C2's language), signed by Bas.
    let run = sandbox.json(&[
        "--as-of",
        "2026-10-12",
        "--config",
        &config,
        "dunning",
        "run",
    ]);
    assert_eq!(run["thanked"], 1, "{run}");
    let messages = sandbox.json(&["--as-of", "2026-10-12", "dunning", "messages", "C2"]);
    let thanks: Vec<&Value> = messages
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["step"] == "thank_you")
        .collect();
    assert_eq!(thanks.len(), 1, "{messages}");
    assert_eq!(thanks[0]["status"], "sent");
    assert_eq!(thanks[0]["subject"], "Thank you, Drukkerij Twee");
    assert_eq!(thanks[0]["sender"], "Bas Verkoop");
    let text = thanks[0]["text"].as_str().unwrap();
    assert!(
        text.contains("You have paid the payment plan in full: €\u{a0}200.00"),
        "{text}"
    );
    // The suggestion is answered; the next run sends nothing again.
    assert!(of(&suggestions(&sandbox, "2026-10-12"), "C2", "plan_completed").is_empty());
    let again = sandbox.json(&[
        "--as-of",
        "2026-10-13",
        "--config",
        &config,
        "dunning",
        "run",
    ]);
    assert_eq!(again["thanked"], 0, "{again}");
}
