//! `tegoed report paid-on-time` on a small hand-made ledger whose figures
//! are worked out by hand below (to the cent), through the binary.

mod common;

use common::Sandbox;
use serde_json::Value;

const CUSTOMERS: &str = "\
customer_id,name,kind,email,account_manager,payment_terms_days
C1,Bakkerij Een,b2b,a@een.example,Anna Verkoop,30
C2,Drukkerij Twee,b2b,b@twee.example,Anna Verkoop,30
C3,Garage Drie,b2b,c@drie.example,Bas Verkoop,14
C4,Winkel Vier,b2b,d@vier.example,,30
C5,Bloemist Vijf,b2b,e@vijf.example,Cor Verkoop,30
";

const INVOICES: &str = "\
invoice_number,customer_id,issue_date,amount,due_date,currency
I1,C1,2026-09-10,1000.00,2026-10-10,EUR
I2,C1,2026-09-20,500.00,2026-10-20,EUR
I3,C2,2026-10-01,2000.00,2026-10-31,EUR
I4,C3,2026-10-01,300.00,2026-10-15,EUR
I5,C3,2026-09-16,700.00,2026-09-30,EUR
I6,C4,2026-09-05,100.00,2026-10-05,EUR
I7,C1,2026-10-11,400.00,2026-11-10,EUR
I8,C5,2026-07-15,250.00,2026-08-14,EUR
";

const PAYMENTS: &str = "\
payment_id,date,amount,currency,customer_id,invoice_number
P1,2026-10-08,1000.00,EUR,C1,I1
P2,2026-10-30,500.00,EUR,C1,I2
P3,2026-11-03,1200.00,EUR,C2,I3
P4,2026-10-17,300.00,EUR,C3,I4
P5,2026-10-20,700.00,EUR,C3,I5
P6,2026-08-10,250.00,EUR,C5,I8
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
    sandbox
}

fn row<'a>(report: &'a Value, manager: Option<&str>) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["account_manager"].as_str() == manager)
        .unwrap_or_else(|| panic!("no row for {manager:?}: {report}"))
}

#[test]
fn the_scoreboard_counts_what_fell_due_and_how_it_was_paid() {
    let sandbox = ledger();
    let report = sandbox.json(&[
        "--as-of",
        "2026-11-25",
        "report",
        "paid-on-time",
        "--period",
        "2026-10",
    ]);
    assert_eq!(report["period"]["from"], "2026-10-01");
    assert_eq!(report["period"]["to"], "2026-10-31");
    assert_eq!(report["grace_days"], 0);
    let mut keys: Vec<&str> = row(&report, Some("Anna Verkoop"))
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
            "avg_days_beyond_terms",
            "cost_of_late_payment",
            "invoiced",
            "invoices",
            "open_overdue",
            "paid_late",
            "paid_on_time",
            "rank",
            "share_on_time",
            "written_off",
        ]
    );

    // Anna: I1 paid on its due date (on time), I2 10 days late, I3 1,200 of
    // 2,000 three days late and 800 still open (25 days overdue on 25 Nov).
    let anna = row(&report, Some("Anna Verkoop"));
    assert_eq!(anna["rank"], 1);
    assert_eq!(anna["invoices"], 3);
    assert_eq!(anna["invoiced"], "3500.00");
    assert_eq!(anna["paid_on_time"], "1000.00");
    assert_eq!(anna["paid_late"], "1700.00");
    assert_eq!(anna["open_overdue"], "800.00");
    assert_eq!(anna["written_off"], "0.00");
    assert_eq!(anna["share_on_time"], 0.2857); // 1,000 / 3,500
    assert_eq!(anna["avg_days_beyond_terms"], 3.2); // (500×10 + 1,200×3) / 2,700
    // Financing: (500×10 + 1,200×3 + 800×25) euro-days × 8 % ÷ 365 = € 6.27;
    // no messages; at a 25 % margin € 25.08 of sales earns it back.
    let cost = &anna["cost_of_late_payment"];
    assert_eq!(cost["financing"], "6.27");
    assert_eq!(cost["collection"], "0.00");
    assert_eq!(cost["written_off"], "0.00");
    assert_eq!(cost["extra_revenue_needed"], "25.08");

    // Bas: I4 two days late (I5 fell due in September: not counted).
    let bas = row(&report, Some("Bas Verkoop"));
    assert_eq!(bas["rank"], 2);
    assert_eq!(bas["invoices"], 1);
    assert_eq!(bas["paid_on_time"], "0.00");
    assert_eq!(bas["paid_late"], "300.00");
    assert_eq!(bas["cost_of_late_payment"]["financing"], "0.13"); // 300×2×8%/365
    // Nobody's customer: I6, 100 open, 51 days overdue.
    let nobody = row(&report, None);
    assert_eq!(nobody["rank"], Value::Null, "nobody's score is not ranked");
    assert_eq!(nobody["open_overdue"], "100.00");
    assert_eq!(nobody["avg_days_beyond_terms"], Value::Null, "nothing paid");
    assert_eq!(nobody["cost_of_late_payment"]["financing"], "1.12"); // 100×51×8%/365

    let total = &report["total"];
    assert_eq!(total["rank"], Value::Null);
    assert_eq!(total["account_manager"], Value::Null);
    assert_eq!(total["invoices"], 5);
    assert_eq!(total["invoiced"], "3900.00");
    assert_eq!(total["paid_late"], "2000.00");
    assert_eq!(total["open_overdue"], "900.00");
    assert_eq!(total["cost_of_late_payment"]["financing"], "7.52");
    assert_eq!(
        total["cost_of_late_payment"]["extra_revenue_needed"],
        "30.08"
    );

    // Two days' grace: Bas's payment counts as on time.
    let graced = sandbox.json(&[
        "--as-of",
        "2026-11-25",
        "report",
        "paid-on-time",
        "--period",
        "2026-10",
        "--grace-days",
        "2",
    ]);
    assert_eq!(graced["grace_days"], 2);
    assert_eq!(row(&graced, Some("Bas Verkoop"))["paid_on_time"], "300.00");
    assert_eq!(row(&graced, Some("Bas Verkoop"))["paid_late"], "0.00");

    // The default period is the last full month; a quarter and a year read.
    let default = sandbox.json(&["--as-of", "2026-11-25", "report", "paid-on-time"]);
    assert_eq!(default["period"]["from"], "2026-10-01");
    let quarter = sandbox.json(&[
        "--as-of",
        "2026-11-25",
        "report",
        "paid-on-time",
        "--period",
        "2026-Q3",
    ]);
    assert_eq!(quarter["period"]["to"], "2026-09-30");
    assert_eq!(row(&quarter, Some("Bas Verkoop"))["invoices"], 1, "I5");
    let error = sandbox.fails(&[
        "--as-of",
        "2026-11-25",
        "report",
        "paid-on-time",
        "--period",
        "oktober",
    ]);
    assert!(error.contains("--period 'oktober'"), "{error}");
}

/// `tegoed training story`: an invoice's stages on the same hand-made
/// ledger, with its cost worked out by hand.
#[test]
fn the_story_after_the_sale_tells_each_stage_and_its_cost() {
    let sandbox = ledger();
    let story = sandbox.json(&[
        "--as-of",
        "2026-11-25",
        "training",
        "story",
        "--account-manager",
        "Anna Verkoop",
        "--invoice",
        "I3",
        "--lang",
        "en",
    ]);
    assert_eq!(story["invoice"]["number"], "I3");
    assert_eq!(story["invoice"]["open"], "800.00");
    assert_eq!(story["outcome"], "open");
    let kinds: Vec<&str> = story["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["issued", "due", "payment", "open"]);
    assert_eq!(
        story["stages"][3]["title"],
        "Still open: €\u{a0}800.00, 25 days after the due date"
    );
    assert_eq!(story["stages"][3]["financing_so_far"], "5.17");
    assert_eq!(
        story["stages"][2]["title"],
        "€\u{a0}1,200.00 paid, 3 days after the due date"
    );
    // 2,000 × 3 days until the payment, then 800 × 22 days until 25 Nov:
    // 23,600 euro-days × 8 % ÷ 365 = € 5.17; € 20.68 of sales at 25 %.
    assert_eq!(story["stages"][2]["financing_so_far"], "1.32");
    assert_eq!(story["cost"]["financing"], "5.17");
    assert_eq!(story["cost"]["collection"], "0.00");
    assert_eq!(story["cost"]["extra_revenue_needed"], "20.68");
    // Another salesperson's invoice is not theirs to tell.
    let other = sandbox.fails(&[
        "--as-of",
        "2026-11-25",
        "training",
        "story",
        "--account-manager",
        "Bas Verkoop",
        "--invoice",
        "I3",
    ]);
    assert!(
        other.contains("not of a customer of Bas Verkoop"),
        "{other}"
    );
    // Without --invoice: the one that went most wrong of the last year —
    // I3, still open 25 days after its due date (I2 was 10 days late).
    let picked = sandbox.json(&[
        "--as-of",
        "2026-11-25",
        "training",
        "story",
        "--account-manager",
        "Anna Verkoop",
    ]);
    assert_eq!(picked["invoice"]["number"], "I3");
    // A salesperson whose customers paid on time has no story.
    let none = sandbox.fails(&[
        "--as-of",
        "2026-11-25",
        "training",
        "story",
        "--account-manager",
        "Cor Verkoop",
    ]);
    assert!(none.contains("went wrong"), "{none}");
}
