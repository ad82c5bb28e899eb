//! `tegoed report meeting` and `tegoed meeting decide` on a small
//! hand-made ledger: the pack's figures, its files, and last time's
//! decisions with whether they were done.

mod common;

use common::Sandbox;
use serde_json::Value;

const CUSTOMERS: &str = "\
customer_id,name,kind,email,account_manager,payment_terms_days
C1,Bakkerij Een,b2b,a@een.example,Anna Verkoop,30
C2,Drukkerij Twee,b2b,b@twee.example,Bas Verkoop,30
C3,Garage Drie,b2b,c@drie.example,,30
";

// On 25 Nov 2026: C1 owes 1,000 (46 days overdue), C2 3,000 (24 days),
// C3 200 (5 days, disputed since 15 Nov); I4 was paid.
const INVOICES: &str = "\
invoice_number,customer_id,issue_date,amount,due_date,currency
I1,C1,2026-09-10,1000.00,2026-10-10,EUR
I2,C2,2026-10-02,3000.00,2026-11-01,EUR
I3,C3,2026-10-21,200.00,2026-11-20,EUR
I4,C1,2026-08-01,500.00,2026-08-31,EUR
";

const PAYMENTS: &str = "\
payment_id,date,amount,currency,customer_id,invoice_number
P1,2026-08-30,500.00,EUR,C1,I4
";

fn ledger() -> Sandbox {
    let sandbox = Sandbox::new();
    for (what, name, text) in [
        ("customers", "customers.csv", CUSTOMERS),
        ("invoices", "invoices.csv", INVOICES),
        ("payments", "payments.csv", PAYMENTS),
    ] {
        let path = sandbox.write(name, text);
        sandbox.ok(&["import", what, &path]);
    }
    sandbox.ok(&[
        "--as-of",
        "2026-11-15",
        "dispute",
        "open",
        "I3",
        "--reason",
        "Kwaliteit niet akkoord",
    ]);
    sandbox
}

fn pack(sandbox: &Sandbox, as_of: &str, period: &str) -> Value {
    sandbox.json(&[
        "--as-of", as_of, "report", "meeting", "--period", period, "--lang", "en", "--out", "pack",
    ])
}

#[test]
fn the_pack_has_the_figures_and_the_files() {
    let sandbox = ledger();
    let p = pack(&sandbox, "2026-11-25", "2026Q4");
    // The pack's KPIs are the KPI report's, month for month.
    let kpi = sandbox.json(&["--as-of", "2026-11-25", "report", "kpi", "--months", "2"]);
    assert_eq!(p["kpi"], kpi["months"], "the meeting uses the same figures");
    let mut keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "account_managers",
            "appreciation",
            "as_of",
            "changes",
            "credit_hold",
            "decisions",
            "discuss",
            "disputes",
            "dso",
            "handed_off",
            "kpi",
            "lang",
            "pause_requests",
            "period",
            "previous",
            "risk_groups",
            "scoreboard",
            "training"
        ]
    );
    assert_eq!(p["period"]["label"], "2026-Q4");
    assert_eq!(p["period"]["from"], "2026-10-01");
    assert_eq!(p["previous"]["from"], "2026-07-01");
    assert_eq!(p["previous"]["to"], "2026-09-30");
    // Per account manager, open and overdue today.
    let anna = p["account_managers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account_manager"] == "Anna Verkoop")
        .unwrap();
    assert_eq!(anna["open"], "1000.00");
    assert_eq!(anna["overdue"], "1000.00");
    // To discuss: overdue × risk weight (no model: every class weighs 3),
    // so the largest overdue first.
    let discuss: Vec<&str> = p["discuss"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["customer"].as_str().unwrap())
        .collect();
    assert_eq!(discuss, ["C2", "C1", "C3"]);
    assert_eq!(p["discuss"][0]["priority"], 900_000);
    assert_eq!(
        p["discuss"][1]["reason"],
        "up to 46 days overdue, no risk class"
    );
    // The open dispute with its age.
    assert_eq!(p["disputes"][0]["invoice"], "I3");
    assert_eq!(p["disputes"][0]["age_days"], 10);
    // What changed: on 30 Sep only I1 was open (not yet due) … and I4 paid.
    assert_eq!(p["changes"]["open"]["before"], "1000.00");
    assert_eq!(p["changes"]["overdue"]["before"], "0.00");
    assert_eq!(p["changes"]["open"]["now"], "4200.00");
    assert_eq!(p["changes"]["overdue"]["now"], "4200.00");
    // DSO: 12 month-ends and the day itself.
    assert_eq!(p["dso"].as_array().unwrap().len(), 13);
    assert_eq!(p["dso"][12]["date"], "2026-11-25");
    // The files: self-contained HTML with its chart, and a PDF.
    let html = std::fs::read_to_string(sandbox.dir().join("pack/meeting.html")).unwrap();
    assert!(html.starts_with("<!doctype html>"), "{}", &html[..100]);
    assert!(html.contains("<svg") && html.contains("@media print"));
    assert!(html.contains("Sales and credit meeting — Q4 2026"));
    assert!(
        !html.contains("<link") && !html.contains("<script") && !html.contains("src="),
        "self-contained: nothing to fetch"
    );
    let pdf = std::fs::read(sandbox.dir().join("pack/meeting.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    // The PDF carries the KPI report's figures per month, as the page does.
    let text = common::pdf_text(&pdf);
    assert!(text.contains("Key figures per month"), "{text}");
    assert!(text.contains("Best possible DSO") && text.contains("CEI"));
    let last = p["kpi"].as_array().unwrap().last().unwrap()["month"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(last, "2026-11");
    assert!(text.contains("Nov 2026"), "the last month in words: {text}");
    // In Dutch, the same pack speaks Dutch.
    sandbox.ok(&[
        "--as-of",
        "2026-11-25",
        "report",
        "meeting",
        "--lang",
        "nl",
        "--out",
        "nl",
    ]);
    let dutch = std::fs::read_to_string(sandbox.dir().join("nl/meeting.html")).unwrap();
    assert!(dutch.contains("Overleg sales en credit — 4e kwartaal 2026"));
    // Months in words, not codes (found by a trial: "2026-10").
    assert!(dutch.contains("<td>oktober 2026</td>"), "{dutch}");
    assert!(!dutch.contains("<td>2026-10</td>"));
    assert!(dutch.contains("€\u{a0}4.200,00"), "Dutch amounts");
    let text = common::pdf_text(&std::fs::read(sandbox.dir().join("nl/meeting.pdf")).unwrap());
    for heading in [
        "Kerncijfers per maand",
        "Best mogelijke DSO",
        "Beloftes nagekomen",
    ] {
        assert!(text.contains(heading), "{heading} whole in the Dutch PDF");
    }
    // A period that has not begun is refused.
    let err = sandbox.fails(&[
        "--as-of",
        "2026-11-25",
        "report",
        "meeting",
        "--period",
        "2027Q1",
    ]);
    assert!(err.contains("2027-Q1"), "{err}");
}

#[test]
fn the_next_pack_lists_last_times_decisions_and_whether_they_were_done() {
    let sandbox = ledger();
    let decided = sandbox.json(&[
        "--as-of",
        "2026-11-25",
        "meeting",
        "decide",
        "C2",
        "--text",
        "Bas calls the director about a payment plan",
    ]);
    assert_eq!(
        decided["owner"], "Bas Verkoop",
        "the account manager by default"
    );
    assert_eq!(decided["due_on"], "2026-12-09", "in two weeks by default");
    assert_eq!(decided["done"], false);
    let id = decided["id"].as_i64().unwrap();
    // On the timeline.
    let timeline = sandbox.json(&["--as-of", "2026-11-25", "customer", "timeline", "C2"]);
    assert!(
        timeline
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "meeting_decision")
    );
    // The next quarter's pack: listed, not done.
    let next = pack(&sandbox, "2027-01-10", "2027Q1");
    assert_eq!(next["decisions"].as_array().unwrap().len(), 1);
    assert_eq!(next["decisions"][0]["done"], false);
    assert_eq!(
        next["decisions"][0]["text"],
        "Bas calls the director about a payment plan"
    );
    // Done, then listed as done with what came of it.
    sandbox.ok(&[
        "--as-of",
        "2026-12-04",
        "tasks",
        "done",
        &id.to_string(),
        "--outcome",
        "Plan in three instalments agreed",
    ]);
    let next = pack(&sandbox, "2027-01-10", "2027Q1");
    assert_eq!(next["decisions"][0]["done"], true);
    assert_eq!(next["decisions"][0]["done_on"], "2026-12-04");
    assert_eq!(
        next["decisions"][0]["outcome"],
        "Plan in three instalments agreed"
    );
    // A pack two quarters on no longer lists a decision that was done.
    let later = pack(&sandbox, "2027-04-10", "2027Q2");
    assert!(later["decisions"].as_array().unwrap().is_empty());
    // Bad input names the value.
    let err = sandbox.fails(&["meeting", "decide", "C2", "--text", "  "]);
    assert!(err.contains("--text"), "{err}");
    let err = sandbox.fails(&[
        "--as-of",
        "2026-11-25",
        "meeting",
        "decide",
        "C2",
        "--text",
        "x",
        "--due",
        "2026-11-01",
    ]);
    assert!(err.contains("--due 2026-11-01"), "{err}");
    let err = sandbox.fails(&[
        "--as-of",
        "2026-11-25",
        "meeting",
        "decide",
        "C2",
        "--text",
        "x",
        "--owner",
        "Nobody Here",
    ]);
    assert!(err.contains("--owner 'Nobody Here'"), "{err}");
    let to_anna = sandbox.json(&[
        "--as-of",
        "2026-11-25",
        "meeting",
        "decide",
        "C2",
        "--text",
        "Anna visits them",
        "--owner",
        "anna verkoop",
    ]);
    assert_eq!(to_anna["owner"], "Anna Verkoop");
    // A customer number typed in lower case is the same customer.
    let lower = sandbox.json(&[
        "--as-of",
        "2026-11-25",
        "meeting",
        "decide",
        "c2",
        "--text",
        "Send the statement",
    ]);
    assert_eq!(lower["customer"], "C2");
}

#[test]
fn the_quiz_checks_answers_against_the_policys_own_decision_and_the_pack_shows_who_did_it() {
    let sandbox = ledger();
    let ask = || {
        sandbox.json(&[
            "--as-of",
            "2026-11-25",
            "training",
            "quiz",
            "--seed",
            "42",
            "--lang",
            "en",
        ])
    };
    let q = ask();
    assert_eq!(q, ask(), "the same seed asks the same question");
    let customer = q["customer"].as_str().unwrap();
    let amount = q["amount"].as_str().unwrap();
    let terms = q["terms_days"].to_string();
    assert!(
        q["text"]
            .as_str()
            .unwrap()
            .ends_with("What does the policy say?"),
        "{q}"
    );
    // The policy's own decision on that deal: the pre-sale check.
    let check = sandbox.json(&[
        "--as-of",
        "2026-11-25",
        "check",
        "--customer",
        customer,
        "--amount",
        amount,
        "--terms",
        &terms,
        "--lang",
        "en",
    ]);
    let verdict = check["verdict"].as_str().unwrap();
    let wrong = ["approve", "conditions", "prepay"]
        .into_iter()
        .find(|v| *v != verdict)
        .unwrap();
    let answer = |given: &str| {
        sandbox.json(&[
            "--as-of",
            "2026-11-25",
            "training",
            "answer",
            "--seed",
            "42",
            "--answer",
            given,
            "--lang",
            "en",
        ])
    };
    let right = answer(verdict);
    assert_eq!(right["correct"], true);
    assert_eq!(right["verdict"], verdict);
    // The rule explained: the check's own reasons, the rule's first.
    assert_eq!(right["explanation"], check["reasons"]);
    // Answered once: after the explanation, a second try does not count.
    let again = sandbox.fails(&[
        "--as-of",
        "2026-11-25",
        "training",
        "answer",
        "--seed",
        "42",
        "--answer",
        wrong,
    ]);
    assert!(again.contains("answered this question already"), "{again}");
    // Another question (a seed that asks about another deal), answered wrong.
    let other = (43u64..)
        .map(|seed| {
            let q2 = sandbox.json(&[
                "--as-of",
                "2026-11-25",
                "training",
                "quiz",
                "--seed",
                &seed.to_string(),
            ]);
            (seed, q2)
        })
        .find(|(_, q2)| {
            (&q2["customer"], &q2["amount"], &q2["terms_days"])
                != (&q["customer"], &q["amount"], &q["terms_days"])
        })
        .unwrap();
    let check2 = sandbox.json(&[
        "--as-of",
        "2026-11-25",
        "check",
        "--customer",
        other.1["customer"].as_str().unwrap(),
        "--amount",
        other.1["amount"].as_str().unwrap(),
        "--terms",
        &other.1["terms_days"].to_string(),
    ]);
    let verdict2 = check2["verdict"].as_str().unwrap();
    let wrong2 = ["approve", "conditions", "prepay"]
        .into_iter()
        .find(|v| *v != verdict2)
        .unwrap();
    let not = sandbox.json(&[
        "--as-of",
        "2026-11-25",
        "training",
        "answer",
        "--seed",
        &other.0.to_string(),
        "--answer",
        wrong2,
    ]);
    assert_eq!(not["correct"], false);
    assert_eq!(not["verdict"], verdict2);
    // Nonsense is refused with what was given.
    let err = sandbox.fails(&["training", "answer", "--seed", "42", "--answer", "maybe"]);
    assert!(err.contains("'maybe'"), "{err}");
    // Scores per person; the meeting pack shows who did the training.
    let scores = sandbox.json(&["--as-of", "2026-11-25", "training", "scores"]);
    assert_eq!(scores[0]["answered"], 2);
    assert_eq!(scores[0]["correct"], 1);
    assert_eq!(scores[0]["share_correct"], 0.5);
    let p = pack(&sandbox, "2026-11-25", "2026Q4");
    assert_eq!(p["training"][0]["answered"], 2);
    assert_eq!(p["training"][0]["user"], scores[0]["user"]);
}
