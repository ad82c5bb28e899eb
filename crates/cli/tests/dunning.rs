//! Collection through the built `tegoed` binary: target groups, the dunning
//! ladder day by day, pauses (dispute, promise, plan, customer pause), the
//! consumer's 14-day letter before any costs, the claim and the agency
//! hand-off, call tasks and the timeline.
//!
//! The ledger is `tests/data/dunning/*.csv`: one invoice per customer, due
//! on Saturday 31 October 2026, each telling one story (see the comments).
//! The configuration puts consumers on the shipped consumer strategy,
//! customers tagged `key_account` on the pamper strategy and everyone else
//! on the standard one.

mod common;

use common::{Sandbox, data};
use serde_json::Value;

struct Book {
    sandbox: Sandbox,
    config: String,
}

impl Book {
    fn new() -> Book {
        let sandbox = Sandbox::new();
        let config = sandbox.write(
            "tegoed.toml",
            &std::fs::read_to_string(data("dunning/config.toml")).unwrap(),
        );
        for kind in ["customers", "invoices"] {
            sandbox.ok(&["import", kind, &data(&format!("dunning/{kind}.csv"))]);
        }
        Book { sandbox, config }
    }

    fn args<'a>(&'a self, day: &'a str, args: &[&'a str]) -> Vec<&'a str> {
        let mut all = vec!["--config", &self.config, "--as-of", day];
        all.extend_from_slice(args);
        all
    }

    fn ok(&self, day: &str, args: &[&str]) -> String {
        self.sandbox.ok(&self.args(day, args))
    }

    fn json(&self, day: &str, args: &[&str]) -> Value {
        self.sandbox.json(&self.args(day, args))
    }

    fn run(&self, day: &str) -> Value {
        self.json(day, &["dunning", "run"])
    }

    /// The messages of a preview, by customer.
    fn preview(&self, day: &str) -> Vec<Value> {
        self.json(day, &["dunning", "preview"])["messages"]
            .as_array()
            .unwrap()
            .clone()
    }
}

fn for_customer<'a>(messages: &'a [Value], customer: &str) -> Option<&'a Value> {
    messages.iter().find(|m| m["customer"] == customer)
}

fn timeline_kinds(book: &Book, day: &str, customer: &str) -> Vec<String> {
    book.json(day, &["customer", "timeline", customer])
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_ladder_day_by_day_with_pauses_costs_and_handoff() {
    let book = Book::new();
    book.ok("2026-11-02", &["customer", "tag", "K001", "key_account"]);
    // B002 disputes its invoice; B003 promises to pay by 12 November; B004
    // gets a plan of three monthly instalments from 10 November; B005 asks
    // for a pause until 20 November.
    book.ok(
        "2026-11-02",
        &["dispute", "open", "INV-3", "--reason", "Werk niet afgerond"],
    );
    let promise = book.json(
        "2026-11-02",
        &[
            "promise",
            "add",
            "B003",
            "--amount",
            "800",
            "--date",
            "2026-11-12",
        ],
    );
    assert_eq!(promise["status"], "pending");
    assert_eq!(promise["invoices"][0], "INV-4");
    let plan = book.json(
        "2026-11-02",
        &[
            "plan",
            "create",
            "B004",
            "--instalments",
            "3",
            "--first",
            "2026-11-10",
        ],
    );
    assert_eq!(plan["total"], "1200.00");
    assert_eq!(plan["instalments"][1]["due_on"], "2026-12-10");
    assert_eq!(plan["instalments"][2]["amount"], "400.00");
    book.ok(
        "2026-11-02",
        &[
            "pause",
            "B005",
            "--until",
            "2026-11-20",
            "--reason",
            "Overname",
        ],
    );

    // Segments follow the configuration, and say why.
    let explain = book.json("2026-11-02", &["segments", "explain", "K001"]);
    assert_eq!(explain["segment"], "key");
    assert_eq!(explain["tried"][0]["segment"], "consumers");
    assert_eq!(explain["tried"][0]["alternatives"][0][0]["actual"], "b2b");
    assert_eq!(explain["tried"][1]["matched"], true);
    let list = book.json("2026-11-02", &["segments", "list"]);
    let count = |id: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap()["customers"]
            .as_u64()
            .unwrap()
    };
    assert_eq!((count("consumers"), count("key"), count("rest")), (1, 1, 5));

    // 3 November (due + 3): the first reminder to B001 and to the consumer
    // (as a letter: no e-mail address). Disputed, promised, planned and
    // paused invoices get nothing.
    let messages = book.preview("2026-11-03");
    let b001 = for_customer(&messages, "B001").expect("B001 is reminded");
    assert_eq!(b001["step"], "reminder");
    assert_eq!(b001["channel"], "email");
    assert_eq!(b001["amounts"]["principal"], "1000.00");
    assert_eq!(b001["amounts"]["interest"], "0.00");
    assert_eq!(b001["pay_by"], "2026-11-08", "five days");
    assert!(b001["message"]["text"].as_str().unwrap().contains("INV-1"));
    let p001 = for_customer(&messages, "P001").unwrap();
    assert_eq!(p001["channel"], "letter");
    assert_eq!(p001["channel_note"], "no e-mail address: sent as a letter");
    for quiet in ["B002", "B003", "B004", "B005", "K001"] {
        assert!(
            for_customer(&messages, quiet).is_none(),
            "{quiet} gets nothing"
        );
    }
    let report = book.run("2026-11-03");
    assert_eq!(report["planned"], 2);
    assert_eq!(report["delivered"]["email"], 1);
    assert_eq!(report["delivered"]["letter"], 1);
    assert_eq!(book.sandbox.files("outbox").len(), 1);
    assert_eq!(book.sandbox.files("letters").len(), 1);
    // The same day again: nothing new, nothing twice.
    let again = book.run("2026-11-03");
    assert_eq!(again["planned"], 0);
    assert_eq!(book.sandbox.files("outbox").len(), 1);
    // The next days: the reminder was sent, the next step is at + 14.
    assert_eq!(book.run("2026-11-05")["planned"], 0);

    // 10 November: B002's dispute is resolved; it catches up to the
    // reminder (one message, not one per missed day).
    book.ok(
        "2026-11-10",
        &["dispute", "resolve", "INV-3", "--resolution", "Afgerond"],
    );
    book.ok(
        "2026-11-09",
        &["import", "payments", &data("dunning/payments-plan.csv")],
    );
    let report = book.run("2026-11-10");
    assert_eq!(report["planned"], 1, "{report}");
    let b002 = book.json("2026-11-10", &["dunning", "messages", "B002"]);
    assert_eq!(b002[0]["step"], "reminder");

    // 13 November: B003's promise passed without the money: broken, on the
    // broken-promises list, and dunning resumes.
    let messages = book.preview("2026-11-13");
    assert_eq!(for_customer(&messages, "B003").unwrap()["step"], "reminder");
    book.run("2026-11-13");
    let broken = book.json("2026-11-13", &["promise", "list", "--broken"]);
    assert_eq!(broken[0]["customer"], "B003");
    assert!(timeline_kinds(&book, "2026-11-13", "B003").contains(&"promise_broken".to_string()));

    // 14 November: the second reminder for B001 and the consumer.
    let report = book.run("2026-11-14");
    assert_eq!(report["planned"], 2, "{report}");

    // 21 November (Saturday): B001 reached the call (€ 1,000 ≥ € 250): a
    // task; the consumer gets the 14-day letter; B005's pause is over.
    let messages = book.preview("2026-11-21");
    assert_eq!(for_customer(&messages, "B001").unwrap()["channel"], "call");
    let letter = for_customer(&messages, "P001").unwrap();
    assert_eq!(letter["step"], "fourteen_day_letter");
    // Sent Saturday, received two working days later (Tuesday 24th); 14
    // days from the day after: until 8 December. WIK on € 200: € 30, so the
    // € 40 minimum.
    assert_eq!(letter["fourteen_day_letter"]["received_on"], "2026-11-24");
    assert_eq!(
        letter["fourteen_day_letter"]["pay_without_costs_until"],
        "2026-12-08"
    );
    assert_eq!(letter["fourteen_day_letter"]["stated_costs"], "40.00");
    assert_eq!(letter["pay_by"], "2026-12-08");
    assert_eq!(
        letter["amounts"]["costs"], "0.00",
        "the letter itself charges nothing"
    );
    let text = letter["message"]["text"].as_str().unwrap();
    assert!(text.contains("binnen veertien dagen na de dag waarop u deze brief ontvangt"));
    assert!(text.contains("€\u{a0}40,00"), "{text}");
    assert!(for_customer(&messages, "B005").is_some(), "pause ended");
    book.run("2026-11-21");
    let tasks = book.json("2026-11-21", &["tasks"]);
    let task = tasks
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["customer"] == "B001")
        .unwrap();
    assert_eq!(task["amount"], "1000.00");
    assert_eq!(task["due_on"], "2026-11-21", "due the day it is made");
    assert!(task["talking_points"].as_str().unwrap().contains("€"));
    let id = task["id"].as_i64().unwrap().to_string();
    let done = book.json(
        "2026-11-23",
        &["tasks", "done", &id, "--outcome", "Betaalt volgende week"],
    );
    assert_eq!(done["status"], "done");
    assert!(timeline_kinds(&book, "2026-11-23", "B001").contains(&"call_done".to_string()));

    // 30 November (+30): the demand for B001 claims interest. Statutory
    // commercial interest 10.15 % from 1 November to 30 November included
    // (30 days): 1000 × 10.15 % × 30 / 365 = 8.34.
    let messages = book.preview("2026-11-30");
    let demand = for_customer(&messages, "B001").unwrap();
    assert_eq!(demand["step"], "demand");
    assert_eq!(demand["amounts"]["interest"], "8.34");
    assert_eq!(demand["amounts"]["costs"], "0.00");
    assert_eq!(demand["amounts"]["total"], "1008.34");
    // K001's invoice falls due on 5 December: the account manager's
    // heads-up, in English.
    let heads_up = for_customer(&messages, "K001").unwrap();
    assert_eq!(heads_up["step"], "heads_up");
    assert_eq!(heads_up["sender"]["name"], "Sanne de Boer");
    assert_eq!(heads_up["language"], "en");
    assert!(
        heads_up["message"]["subject"]
            .as_str()
            .unwrap()
            .contains("is due on 5 December 2026")
    );
    book.run("2026-11-30");

    // 8 December: the consumer's 14 days are not over; no costs in the
    // claim yet.
    let claim = book.json("2026-12-08", &["claim", "P001"]);
    assert!(claim["costs"].is_null());
    assert!(
        claim["costs_basis"]
            .as_str()
            .unwrap()
            .contains("2026-12-08"),
        "{claim}"
    );

    // Every day up to 15 December.
    for day in [
        "2026-12-01",
        "2026-12-05",
        "2026-12-07",
        "2026-12-10",
        "2026-12-12",
    ] {
        book.run(day);
    }
    // 15 December (+45): final notices. B001 (business): interest 45 days
    // = 12.51, WIK on 1,000 = 150.00, credit hold. P001 (consumer): the
    // 14 days passed, so the € 40 announced; consumer interest 6 % (carried
    // forward) on 200 for 45 days = 1.48.
    let messages = book.preview("2026-12-15");
    let b001 = for_customer(&messages, "B001").unwrap();
    assert_eq!(b001["step"], "final_notice");
    assert_eq!(b001["channel"], "letter");
    assert_eq!(b001["amounts"]["interest"], "12.51");
    assert_eq!(b001["amounts"]["costs"], "150.00");
    assert_eq!(b001["amounts"]["total"], "1162.51");
    assert!(
        b001["effects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == "credit_hold")
    );
    let claim = book.json("2026-12-15", &["claim", "B001"]);
    assert_eq!(
        claim["interest"], "12.51",
        "the claim shows the message's numbers"
    );
    assert_eq!(claim["costs"]["total_costs"], "150.00");
    assert_eq!(claim["total"], "1162.51");
    let p001 = for_customer(&messages, "P001").unwrap();
    assert_eq!(p001["step"], "final_notice");
    assert_eq!(p001["amounts"]["costs"], "40.00");
    assert_eq!(p001["amounts"]["interest"], "1.48");
    let claim = book.json("2026-12-15", &["claim", "P001"]);
    assert_eq!(claim["costs"]["total_costs"], "40.00");
    assert_eq!(claim["fourteen_day_letter"]["sent_on"], "2026-11-21");
    assert_eq!(claim["fourteen_day_letter"]["channel"], "letter");
    book.run("2026-12-15");

    // 16 December: B004 paid only the first instalment; the second (10
    // December) is more than 5 days late: the plan is broken and dunning
    // resumes.
    book.run("2026-12-16");
    let plans = book.json("2026-12-16", &["plan", "list"]);
    assert_eq!(plans[0]["status"], "broken");
    assert_eq!(plans[0]["missed"], "2026-12-10");
    assert_eq!(plans[0]["paid"], "400.00");
    assert!(timeline_kinds(&book, "2026-12-16", "B004").contains(&"plan_broken".to_string()));
    assert!(
        !book
            .json("2026-12-16", &["dunning", "messages", "B004"])
            .as_array()
            .unwrap()
            .is_empty()
    );

    // 14 January (+75): B001 is handed to the agency: a claim file (JSON
    // and HTML) and no more dunning.
    for day in ["2026-12-20", "2026-12-28", "2027-01-05", "2027-01-10"] {
        book.run(day);
    }
    let report = book.run("2027-01-14");
    assert!(
        report["delivered"]["handoff"].as_u64().unwrap() >= 1,
        "{report}"
    );
    let claims = book.sandbox.files("claims");
    let json_file = claims
        .iter()
        .find(|f| f.ends_with("-B001.json"))
        .expect("claim file");
    assert!(claims.iter().any(|f| f.ends_with("-B001.html")));
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(book.sandbox.dir().join("claims").join(json_file)).unwrap(),
    )
    .unwrap();
    assert_eq!(file["debtor"]["kvk"], "12345678");
    assert_eq!(file["invoices"][0]["number"], "INV-1");
    assert_eq!(file["costs"]["total_costs"], "150.00");
    assert!(file["not_claimed"].as_array().unwrap().is_empty());
    // The history in the file's language (Dutch), without internal codes.
    let history: Vec<&str> = file["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["what"].as_str().unwrap())
        .collect();
    assert!(
        history.contains(&"gebeld") && history.contains(&"bericht verstuurd"),
        "{history:?}"
    );
    assert!(
        book.preview("2027-01-20")
            .iter()
            .all(|m| m["customer"] != "B001")
    );
    assert!(timeline_kinds(&book, "2027-01-20", "B001").contains(&"handed_off".to_string()));
}

#[test]
fn legal_calculators_have_the_documented_json() {
    let book = Book::new();
    let wik = book.json("2026-11-25", &["legal", "wik", "2500"]);
    assert_eq!(
        wik,
        serde_json::json!({"principal": "2500.00", "costs": "375.00", "vat_uplift": "0.00", "total_costs": "375.00"})
    );
    let uplift = book.json("2026-11-25", &["legal", "wik", "100", "--vat-uplift", "21"]);
    assert_eq!(uplift["costs"], "40.00", "the minimum");
    assert_eq!(uplift["total_costs"], "48.40");
    // 10,000 from 1 June to 1 August 2024: 30 days at 12.50 %, 31 at 12.25 %.
    let interest = book.json(
        "2026-11-25",
        &[
            "legal",
            "interest",
            "--principal",
            "10000",
            "--from",
            "2024-06-01",
            "--to",
            "2024-08-01",
            "--commercial",
        ],
    );
    assert_eq!(
        interest,
        serde_json::json!({
            "principal": "10000.00",
            "interest": "206.78",
            "periods": [
                {"from": "2024-06-01", "to": "2024-07-01", "rate": "12.50", "days": 30, "interest": "102.74"},
                {"from": "2024-07-01", "to": "2024-08-01", "rate": "12.25", "days": 31, "interest": "104.04"}
            ]
        })
    );
    // Consumer rate, two years: compounding after the first year.
    let consumer = book.json(
        "2026-11-25",
        &[
            "legal",
            "interest",
            "--principal",
            "1000",
            "--from",
            "2023-07-01",
            "--to",
            "2025-07-01",
            "--consumer",
        ],
    );
    let periods = consumer["periods"].as_array().unwrap();
    assert_eq!(periods[0]["rate"], "6.00");
    assert_eq!(periods.last().unwrap()["to"], "2025-07-01");
    let errors = book
        .sandbox
        .fails(&book.args("2026-11-25", &["legal", "wik", "abc"]));
    assert!(errors.contains("'abc'"), "{errors}");
}

/// The first run on a ledger without dunning history (go-live), as the
/// issue saw it: `demo --customers 300 --seed 3 --as-of 2026-06-30`, and
/// the same ledger imported from CSV. Regression: 45 of 83 messages of
/// that run were final notices.
fn first_run_is_the_first_rung(sandbox: &Sandbox) {
    let preview = sandbox.json(&["--as-of", "2026-06-30", "dunning", "preview"]);
    let messages = preview["messages"].as_array().unwrap();
    assert!(messages.len() > 50, "{}", messages.len());
    let langs: std::collections::BTreeSet<&str> = messages
        .iter()
        .map(|m| m["language"].as_str().unwrap())
        .collect();
    assert_eq!(langs.into_iter().collect::<Vec<_>>(), vec!["en", "nl"]);
    for message in messages {
        let kind = message["kind"].as_str().unwrap();
        assert!(
            kind == "heads_up" || kind == "reminder",
            "a first contact is a {kind}: {}",
            message["customer"]
        );
        for item in message["items"].as_array().unwrap() {
            let step = item["step"].as_str();
            assert!(
                step.is_none_or(|s| s == message["step"]),
                "an invoice gets its own first rung: {item}"
            );
        }
        let text = message["message"]["text"].as_str().unwrap();
        assert!(!text.contains("Uit onze administratie is gebleken"));
        assert!(!text.contains("Indien deze brief uw betaling heeft gekruist"));
    }
    let run = sandbox.json(&["--as-of", "2026-06-30", "dunning", "run"]);
    assert_eq!(run["delivered"]["handoff"], 0);
    assert!(sandbox.files("claims").is_empty());
}

#[test]
fn the_first_run_without_dunning_history_sends_no_demand_final_notice_or_handoff() {
    let demo = Sandbox::new();
    demo.ok(&[
        "--as-of",
        "2026-06-30",
        "demo",
        "--customers",
        "300",
        "--seed",
        "3",
    ]);
    first_run_is_the_first_rung(&demo);

    let csv = Sandbox::new();
    let dir = csv.dir().join("csv");
    csv.ok(&[
        "--as-of",
        "2026-06-30",
        "demo",
        "--customers",
        "300",
        "--seed",
        "3",
        "--csv-dir",
        dir.to_str().unwrap(),
    ]);
    for kind in ["customers", "invoices", "payments"] {
        let file = dir.join(format!("{kind}.csv"));
        csv.ok(&["import", kind, file.to_str().unwrap()]);
    }
    first_run_is_the_first_rung(&csv);
}

#[test]
fn imported_dunning_history_lets_invoices_continue_where_they_were() {
    let book = Book::new();
    // INV-1 (B001, due 31 October) had a reminder and a second reminder in
    // the earlier system; INV-4 (B003) a reminder.
    let file = book.sandbox.write(
        "history.csv",
        "invoice_number,step,date,channel\n\
         INV-1,reminder,2026-11-03,email\n\
         INV-1,second_reminder,2026-11-14,email\n\
         INV-4,reminder,2026-11-03,\n",
    );
    let summary = book.json("2026-11-20", &["import", "dunning-history", &file]);
    assert_eq!(summary["inserted"], 3, "{summary}");
    let again = book.json("2026-11-20", &["import", "dunning-history", &file]);
    assert_eq!(
        (again["inserted"].clone(), again["unchanged"].clone()),
        (0.into(), 3.into())
    );
    // 21 November: B001 continues with the call (its next rung), not with
    // a first reminder.
    let messages = book.preview("2026-11-21");
    let b001 = for_customer(&messages, "B001").unwrap();
    assert_eq!(b001["step"], "call", "{b001}");
    assert!(timeline_kinds(&book, "2026-11-21", "B001").contains(&"history".to_string()));
    // Errors name the file, line, column and value; nothing is imported.
    let bad = book.sandbox.write(
        "bad.csv",
        "invoice_number,step,date\nINV-3,reminder,2026-11-03\nINV-404,reminder,2026-11-03\n",
    );
    let err = book
        .sandbox
        .fails(&book.args("2026-11-20", &["import", "dunning-history", &bad]));
    assert!(
        err.contains("bad.csv: line 3, column 'invoice_number', value 'INV-404'"),
        "{err}"
    );
    let step = book.sandbox.write(
        "step.csv",
        "invoice_number,step,date\nINV-3,nudge,2026-11-03\n",
    );
    let err = book
        .sandbox
        .fails(&book.args("2026-11-20", &["import", "dunning-history", &step]));
    assert!(err.contains("column 'step', value 'nudge'"), "{err}");
    // The failed files left nothing: B002's INV-3 starts at the reminder.
    let messages = book.preview("2026-11-21");
    assert_eq!(for_customer(&messages, "B002").unwrap()["step"], "reminder");
    assert_eq!(
        for_customer(&messages, "B003").unwrap()["step"],
        "second_reminder"
    );
}

#[test]
fn a_bad_configuration_is_named() {
    let sandbox = Sandbox::new();
    let config = sandbox.write("bad.toml", "[[segment]]\nid = \"x\"\nstrategy = \"nope\"\n");
    let err = sandbox.fails(&["--config", &config, "segments", "list"]);
    assert!(
        err.contains("bad.toml") && err.contains("strategy 'nope' is not defined"),
        "{err}"
    );
    let overrides = sandbox.write("ok.toml", "[delivery]\ntemplates = \"mine\"\n");
    std::fs::create_dir_all(sandbox.dir().join("mine/standard")).unwrap();
    sandbox.write(
        "mine/standard/reminder.nl.txt",
        "{% block subject %}Hallo {{ nope.x }}{% endblock %}",
    );
    sandbox.ok(&["--as-of", "2026-11-25", "demo", "--customers", "100"]);
    let err = sandbox.fails(&[
        "--config",
        &overrides,
        "--as-of",
        "2026-11-25",
        "dunning",
        "preview",
    ]);
    assert!(err.contains("standard/reminder.nl.txt"), "{err}");
}
