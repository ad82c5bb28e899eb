//! The ledger through the built `tegoed` binary: imports, bad input,
//! idempotent re-import, aging, DSO, statements, and the demo generator.
//!
//! The example files in `examples/` are small enough to check by hand; the
//! expected figures below are worked out in the comments.

mod common;

use std::path::PathBuf;

use common::Sandbox as Run;
use serde_json::Value;

fn examples() -> PathBuf {
    common::root().join("examples")
}

fn bucket(report: &Value, key: &str) -> (String, u64) {
    let b = report["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["bucket"] == key)
        .unwrap_or_else(|| panic!("bucket {key}"));
    (
        b["amount"].as_str().unwrap().to_string(),
        b["count"].as_u64().unwrap(),
    )
}

#[test]
fn init_creates_an_empty_database_and_is_harmless_twice() {
    let run = Run::new();
    let first = run.json(&["init"]);
    assert_eq!(first["created"], true);
    let second = run.json(&["init"]);
    assert_eq!(second["created"], false);
    let report = run.json(&["report", "aging", "--as-of", "2026-03-31"]);
    assert_eq!(report["total"], "0.00");
}

#[test]
fn importing_the_examples_gives_the_hand_computed_aging() {
    let run = Run::new();
    run.import_examples();
    let report = run.json(&["report", "aging", "--as-of", "2026-03-31"]);
    assert_eq!(report["as_of"], "2026-03-31");
    assert_eq!(report["currency"], "EUR");
    // 2026-006 (€ 8,000, due 19 April) is not due.
    assert_eq!(bucket(&report, "not_due"), ("8000.00".into(), 1));
    // 2026-002 € 1,420 left after € 1,000 oldest-first (27 days), 2026-004
    // € 3,025 (7 days) and 2026-005 € 149.95 (30 days).
    assert_eq!(bucket(&report, "1_30"), ("4594.95".into(), 3));
    assert_eq!(bucket(&report, "31_60"), ("1500.00".into(), 1));
    assert_eq!(bucket(&report, "61_90"), ("60.50".into(), 1));
    assert_eq!(bucket(&report, "over_90"), ("900.00".into(), 1));
    assert_eq!(report["total"], "15055.45");
    assert!(report.get("rows").is_none(), "rows only with --by");
}

#[test]
fn aging_by_customer_account_manager_and_industry() {
    let run = Run::new();
    run.import_examples();
    let report = run.json(&[
        "report",
        "aging",
        "--as-of",
        "2026-03-31",
        "--by",
        "customer",
    ]);
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows[0]["key"], "C004", "most owed first");
    assert_eq!(rows[0]["total"], "9500.00");
    let c002 = rows.iter().find(|r| r["key"] == "C002").unwrap();
    assert_eq!(c002["total"], "3925.00");
    let by_manager = run.json(&[
        "report",
        "aging",
        "--as-of",
        "2026-03-31",
        "--by",
        "account-manager",
    ]);
    let sanne = by_manager["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Sanne De Boer")
        .expect("account manager created from the e-mail in customers.csv");
    assert_eq!(sanne["total"], "10920.00", "C001 € 1,420 + C004 € 9,500");
    let by_industry = run.json(&[
        "report",
        "aging",
        "--as-of",
        "2026-03-31",
        "--by",
        "industry",
    ]);
    let construction = by_industry["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "F")
        .unwrap();
    assert_eq!(
        construction["total"], "3925.00",
        "C002 is SBI 4321, section F"
    );
}

#[test]
fn dso_by_both_methods() {
    let run = Run::new();
    run.import_examples();
    let dso = run.json(&["report", "dso", "--as-of", "2026-03-31", "--days", "90"]);
    // Receivables: € 15,055.45 open minus € 125 credit (€ 50 overpaid by
    // C002, € 75 from an unknown payer).
    assert_eq!(dso["receivables"], "14930.45");
    // Countback: March revenue € 11,025 (31 days), February € 2,464.95
    // (28 days), then € 1,440.50 of January's € 3,375.50 (31 days):
    // 31 + 28 + 13.2 = 72.2.
    assert_eq!(dso["countback"]["days"], 72.2);
    assert_eq!(dso["countback"]["months_used"], 3);
    // Simple: € 14,930.45 / € 16,865.45 × 90 = 79.7.
    assert_eq!(dso["simple"]["days"], 79.7);
    assert_eq!(dso["simple"]["revenue"], "16865.45");
    let text = run.ok(&["report", "dso", "--as-of", "2026-03-31"]);
    assert!(text.contains("Countback method: 72.2 days"));
    assert!(text.contains("Simple method (90 days): 79.7 days"));
}

#[test]
fn customer_statement_shows_open_items_payments_and_credit() {
    let run = Run::new();
    run.import_examples();
    let statement = run.json(&["customer", "show", "C001", "--as-of", "2026-03-31"]);
    assert_eq!(statement["customer_id"], "C001");
    assert_eq!(statement["name"], "Bakkerij De Vries B.V.");
    let open = statement["open_items"].as_array().unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["invoice_number"], "2026-002");
    assert_eq!(
        open[0]["due_date"], "2026-03-04",
        "issue date + 30 days of terms"
    );
    assert_eq!(open[0]["amount"], "2420.00");
    assert_eq!(open[0]["open_amount"], "1420.00");
    assert_eq!(open[0]["days_overdue"], 27);
    assert_eq!(statement["unallocated_credit"], "0.00");
    assert_eq!(statement["payments"].as_array().unwrap().len(), 2);

    let c002 = run.json(&["customer", "show", "C002", "--as-of", "2026-03-31"]);
    assert_eq!(
        c002["unallocated_credit"], "50.00",
        "overpaid 2026-003 after its credit note"
    );
    assert_eq!(c002["balance"], "3875.00");

    // As of an earlier date, later payments do not count.
    let early = run.json(&["customer", "show", "C001", "--as-of", "2026-02-01"]);
    assert_eq!(early["open_items"][0]["invoice_number"], "2026-001");
    assert_eq!(early["open_items"][0]["open_amount"], "1210.00");

    let missing = run.fails(&["customer", "show", "C999"]);
    assert!(
        missing.contains("no customer with number 'C999'"),
        "{missing}"
    );
}

#[test]
fn unallocated_payments_are_listed() {
    let run = Run::new();
    run.import_examples();
    let lines = run.json(&["payments", "unallocated", "--as-of", "2026-03-31"]);
    let lines = lines.as_array().unwrap();
    assert_eq!(lines.len(), 2);
    let unknown = lines
        .iter()
        .find(|l| l["payment_id"] == "BANK-0004")
        .unwrap();
    assert_eq!(unknown["customer_id"], Value::Null);
    assert_eq!(unknown["unallocated"], "75.00");
}

#[test]
fn reimporting_changes_nothing_and_a_changed_row_updates() {
    let run = Run::new();
    run.import_examples();
    let before = run.json(&[
        "report",
        "aging",
        "--as-of",
        "2026-03-31",
        "--by",
        "customer",
    ]);
    for kind in ["customers", "invoices", "payments"] {
        let file = examples().join(format!("{kind}.csv"));
        let summary = run.json(&["import", kind, file.to_str().unwrap()]);
        assert_eq!(summary["inserted"], 0, "{kind}");
        assert_eq!(summary["updated"], 0, "{kind}");
        assert_eq!(summary["unchanged"], summary["rows"], "{kind}");
    }
    assert_eq!(
        run.json(&[
            "report",
            "aging",
            "--as-of",
            "2026-03-31",
            "--by",
            "customer"
        ]),
        before
    );

    // Lower 2026-002 below what was paid on it: the excess goes back as credit.
    let file = run.write(
        "changed.csv",
        "invoice_number;customer_id;issue_date;amount\n2026-002;C001;02-02-2026;800,00\n",
    );
    let summary = run.json(&["import", "invoices", &file]);
    assert_eq!(
        (summary["inserted"].as_u64(), summary["updated"].as_u64()),
        (Some(0), Some(1))
    );
    let statement = run.json(&["customer", "show", "C001", "--as-of", "2026-03-31"]);
    assert_eq!(statement["open_items"].as_array().unwrap().len(), 0);
    assert_eq!(
        statement["unallocated_credit"], "200.00",
        "€ 1,000 paid on an € 800 invoice"
    );
}

#[test]
fn a_bad_row_aborts_the_whole_file_and_names_file_line_column_value() {
    let run = Run::new();
    run.import_examples();
    let before = run.json(&["report", "aging", "--as-of", "2026-03-31"]);
    let file = run.write(
        "bad.csv",
        "invoice_number,customer_id,issue_date,amount\n\
         2026-100,C001,2026-03-01,100.00\n\
         2026-101,C001,2026-03-02,12.3.4\n",
    );
    let err = run.fails(&["import", "invoices", &file]);
    assert!(err.contains("bad.csv"), "{err}");
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("column 'amount'"), "{err}");
    assert!(err.contains("value '12.3.4'"), "{err}");
    assert_eq!(
        run.json(&["report", "aging", "--as-of", "2026-03-31"]),
        before,
        "nothing imported"
    );

    let unknown_customer = run.write(
        "unknown.csv",
        "invoice_number,customer_id,issue_date,amount\n2026-100,C001,2026-03-01,100.00\n2026-101,C999,2026-03-02,5\n",
    );
    let err = run.fails(&["import", "invoices", &unknown_customer]);
    assert!(
        err.contains("line 3, column 'customer_id', value 'C999': unknown customer"),
        "{err}"
    );
    assert_eq!(
        run.json(&["report", "aging", "--as-of", "2026-03-31"]),
        before,
        "rolled back"
    );

    let unknown_column = run.write(
        "cols.csv",
        "payment_id,date,amount,colour\nX,2026-01-01,1,red\n",
    );
    let err = run.fails(&["import", "payments", &unknown_column]);
    assert!(err.contains("unknown column 'colour'"), "{err}");

    let bad_iban = run.write(
        "iban.csv",
        "customer_id,name,iban\nC9,Test,NL00ABNA0000000000\n",
    );
    let err = run.fails(&["import", "customers", &bad_iban]);
    assert!(
        err.contains("line 2, column 'iban', value 'NL00ABNA0000000000'"),
        "{err}"
    );

    let err = run.fails(&["import", "customers", "/nonexistent/file.csv"]);
    assert!(err.contains("/nonexistent/file.csv"), "{err}");

    let json_err = run.tegoed(&["import", "invoices", &file, "--json"]);
    assert_eq!(json_err.status.code(), Some(1));
    let body: Value = serde_json::from_slice(&json_err.stdout).unwrap();
    assert!(body["error"].as_str().unwrap().contains("line 3"));
}

#[test]
fn usage_errors_exit_with_2() {
    let run = Run::new();
    assert_eq!(
        run.tegoed(&["report", "aging", "--by", "colour"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run.tegoed(&["report", "aging", "--as-of", "31-03-2026"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(run.tegoed(&["frobnicate"]).status.code(), Some(2));
}

/// Regression (found by reading the promise list): the demo's kept
/// promises were for the whole invoice although part was paid before the
/// promise, so "kept: € 489,66 paid" stood beside € 245,98 paid.
#[test]
fn the_demos_kept_promises_were_paid_in_full() {
    let run = Run::new();
    run.json(&["demo", "--customers", "600", "--as-of", "2026-12-02"]);
    let promises = run.json(&["promise", "list", "--as-of", "2026-12-02"]);
    let kept: Vec<&serde_json::Value> = promises
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"] == "kept")
        .collect();
    assert!(!kept.is_empty(), "the demo has kept promises: {promises}");
    let cents = |v: &serde_json::Value| -> i64 {
        let text = v.as_str().unwrap();
        let (euros, cents) = text.split_once('.').unwrap();
        euros.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap()
    };
    for p in kept {
        assert!(cents(&p["paid"]) >= cents(&p["amount"]), "{p}");
    }
}

#[test]
fn demo_is_deterministic_and_never_duplicates() {
    let first = Run::new();
    let second = Run::new();
    let args = [
        "demo",
        "--customers",
        "150",
        "--seed",
        "7",
        "--as-of",
        "2026-11-25",
    ];
    let out = first.json(&args);
    assert_eq!(out["outcome"], "generated");
    assert_eq!(out["customers"], 150);
    second.json(&args);
    let report = |run: &Run| {
        run.json(&[
            "report",
            "aging",
            "--as-of",
            "2026-11-25",
            "--by",
            "customer",
        ])
    };
    assert_eq!(report(&first), report(&second), "same seed, same data");
    let again = first.json(&args);
    assert_eq!(again["outcome"], "already_filled");
    assert_eq!(
        report(&first),
        report(&second),
        "a second demo run adds nothing"
    );

    let text = Run::new().ok(&["demo", "--customers", "50", "--as-of", "2026-11-25"]);
    for word in ["Customers", "Open", "Overdue", "DSO (countback)"] {
        assert!(text.contains(word), "summary mentions {word}: {text}");
    }
}

#[test]
fn demo_csv_export_imports_to_the_same_balances() {
    let direct = Run::new();
    direct.json(&[
        "demo",
        "--customers",
        "120",
        "--seed",
        "11",
        "--as-of",
        "2026-11-25",
    ]);
    let via_csv = Run::new();
    let dir = via_csv.dir().join("csv");
    via_csv.json(&[
        "demo",
        "--customers",
        "120",
        "--seed",
        "11",
        "--as-of",
        "2026-11-25",
        "--csv-dir",
        dir.to_str().unwrap(),
    ]);
    for kind in ["customers", "invoices", "payments"] {
        let file = dir.join(format!("{kind}.csv"));
        via_csv.ok(&["import", kind, file.to_str().unwrap()]);
    }
    let statement_balance = |run: &Run, id: &str| {
        run.json(&["customer", "show", id, "--as-of", "2026-11-25"])["balance"].clone()
    };
    for id in ["C000001", "C000017", "C000064", "C000120"] {
        assert_eq!(
            statement_balance(&direct, id),
            statement_balance(&via_csv, id),
            "balance of {id}"
        );
    }
    let total =
        |run: &Run| run.json(&["report", "dso", "--as-of", "2026-11-25"])["receivables"].clone();
    assert_eq!(total(&direct), total(&via_csv));
}

/// A small ledger written inline: one customer, two invoices.
fn small_ledger(run: &Run) {
    let customers = run.write(
        "c.csv",
        "customer_id,name,payment_terms_days\nK1,Klant Een,30\nK2,Klant Twee,14\n",
    );
    run.ok(&["import", "customers", &customers]);
    let invoices = run.write(
        "i.csv",
        "invoice_number,customer_id,issue_date,amount\nI-1,K1,2026-01-01,100.00\nI-2,K1,2026-01-29,50.00\nJ-1,K2,2026-01-10,80.00\n",
    );
    run.ok(&["import", "invoices", &invoices]);
}

#[test]
fn partial_payment_oldest_first_overpayment_refund_and_rebooking() {
    let run = Run::new();
    small_ledger(&run);
    let payments = run.write(
        "p.csv",
        "payment_id,date,amount,customer_id,invoice_number\n\
         P1,2026-02-01,30.00,,I-1\n\
         P2,2026-02-10,200.00,K1,\n\
         P3,2026-02-20,-20.00,K1,\n",
    );
    let summary = run.json(&["import", "payments", &payments]);
    assert_eq!(summary["inserted"], 3);
    // P1 pays 30 of I-1; P2 pays the 70 left on I-1 and all of I-2, 80 is
    // credit; P3 refunds 20 of that credit.
    let statement = run.json(&["customer", "show", "K1", "--as-of", "2026-03-01"]);
    assert_eq!(statement["open_items"].as_array().unwrap().len(), 0);
    assert_eq!(statement["unallocated_credit"], "60.00");
    assert_eq!(statement["balance"], "-60.00");
    let p2 = statement["payments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["payment_id"] == "P2")
        .unwrap()
        .clone();
    assert_eq!(p2["applied_to"].as_array().unwrap().len(), 2);
    assert_eq!(p2["unallocated"], "80.00");

    // The bank corrects P2 to 100: it is booked again from scratch.
    let corrected = run.write(
        "p2.csv",
        "payment_id,date,amount,customer_id,invoice_number\nP2,2026-02-10,100.00,K1,\n",
    );
    let summary = run.json(&["import", "payments", &corrected]);
    assert_eq!(
        (summary["updated"].as_u64(), summary["inserted"].as_u64()),
        (Some(1), Some(0))
    );
    let statement = run.json(&["customer", "show", "K1", "--as-of", "2026-03-01"]);
    let open = statement["open_items"].as_array().unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["invoice_number"], "I-2");
    assert_eq!(open[0]["open_amount"], "20.00");
    assert_eq!(
        statement["unallocated_credit"], "-20.00",
        "the refund now exceeds the credit"
    );
    assert_eq!(statement["balance"], "40.00");
}

#[test]
fn credit_notes_apply_to_their_invoice_or_oldest_first() {
    let run = Run::new();
    small_ledger(&run);
    // CN-1 names I-3, which appears further down the same file; CN-2 names
    // nothing and goes to K1's oldest open item (I-1).
    let invoices = run.write(
        "cn.csv",
        "invoice_number,customer_id,issue_date,amount,applies_to\n\
         CN-1,K1,2026-02-05,-25.00,I-3\n\
         CN-2,K1,2026-02-06,-10.00,\n\
         I-3,K1,2026-02-01,40.00,\n",
    );
    let summary = run.json(&["import", "invoices", &invoices]);
    assert_eq!(summary["allocations"], 2);
    let statement = run.json(&["customer", "show", "K1", "--as-of", "2026-03-01"]);
    let open: Vec<(String, String)> = statement["open_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["invoice_number"].as_str().unwrap().to_string(),
                i["open_amount"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        open,
        vec![
            ("I-1".to_string(), "90.00".to_string()),
            ("I-2".to_string(), "50.00".to_string()),
            ("I-3".to_string(), "15.00".to_string())
        ]
    );

    let wrong = run.write(
        "wrong.csv",
        "invoice_number,customer_id,issue_date,amount,applies_to\nCN-9,K2,2026-02-05,-5.00,I-1\n",
    );
    let err = run.fails(&["import", "invoices", &wrong]);
    assert!(
        err.contains(
            "line 2, column 'applies_to', value 'I-1': that invoice belongs to another customer"
        ),
        "{err}"
    );
}

#[test]
fn payments_naming_the_wrong_customer_or_currency_are_rejected() {
    let run = Run::new();
    small_ledger(&run);
    let wrong_customer = run.write(
        "p.csv",
        "payment_id,date,amount,customer_id,invoice_number\nP1,2026-02-01,30.00,K2,I-1\n",
    );
    let err = run.fails(&["import", "payments", &wrong_customer]);
    assert!(
        err.contains("line 2, column 'invoice_number', value 'I-1'"),
        "{err}"
    );
    let wrong_currency = run.write(
        "q.csv",
        "payment_id,date,amount,currency,invoice_number\nP1,2026-02-01,30.00,USD,I-1\n",
    );
    let err = run.fails(&["import", "payments", &wrong_currency]);
    assert!(err.contains("invoice I-1 is in EUR"), "{err}");
    let unknown_invoice = run.write(
        "r.csv",
        "payment_id,date,amount,invoice_number\nP1,2026-02-01,30.00,I-404\n",
    );
    let err = run.fails(&["import", "payments", &unknown_invoice]);
    assert!(err.contains("value 'I-404': unknown invoice"), "{err}");
    let statement = run.json(&["customer", "show", "K1", "--as-of", "2026-03-01"]);
    assert_eq!(
        statement["payments"].as_array().unwrap().len(),
        0,
        "nothing was booked"
    );
}

#[test]
fn account_managers_are_records_of_their_own() {
    let run = Run::new();
    run.import_examples();
    let added = run.json(&[
        "account-manager",
        "add",
        "Nina Smit",
        "--email",
        "nina@tegoed-demo.example",
    ]);
    assert_eq!(added["created"], true);
    let list = run.json(&["account-manager", "list"]);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Sanne De Boer", "Mark Visser", "Nina Smit"]);
    assert_eq!(list[0]["customers"], 2);
    let err = run.fails(&[
        "account-manager",
        "add",
        "Someone Else",
        "--email",
        "nina@tegoed-demo.example",
    ]);
    assert!(err.contains("Nina Smit already uses"), "{err}");
}

#[test]
fn amounts_near_i64_max_are_refused_not_summed_into_a_wrong_total() {
    // Regression: amounts up to i64::MAX cents were accepted per row and
    // their sums wrapped (two such invoices put the aging total € 0,02 low;
    // an unallocated credit showed € 92,233,720,368,546,338.05).
    let run = Run::new();
    small_ledger(&run);
    let before = run.json(&["report", "aging", "--as-of", "2026-03-31"]);
    let huge = run.write(
        "huge.csv",
        "invoice_number,customer_id,issue_date,amount\n\
         H-1,K1,2026-02-01,92233720368547758.07\n\
         H-2,K1,2026-02-01,92233720368547758.07\n",
    );
    let err = run.fails(&["import", "invoices", &huge]);
    assert!(
        err.contains("huge.csv: line 2, column 'amount', value '92233720368547758.07'"),
        "{err}"
    );
    assert!(err.contains("up to one billion"), "{err}");
    let payment = run.write(
        "pay.csv",
        "payment_id,date,amount,customer_id\nP-1,2026-02-01,1000000000.01,K1\n",
    );
    let err = run.fails(&["import", "payments", &payment]);
    assert!(err.contains("line 2, column 'amount'"), "{err}");
    assert_eq!(
        run.json(&["report", "aging", "--as-of", "2026-03-31"]),
        before
    );
    // The bound itself is accepted, and totals over it are exact.
    let big = run.write(
        "big.csv",
        "invoice_number,customer_id,issue_date,amount\n\
         B-1,K1,2026-02-01,1000000000.00\n\
         B-2,K1,2026-02-01,\"1.000.000.000,00\"\n",
    );
    run.ok(&["import", "invoices", &big]);
    let aging = run.json(&["report", "aging", "--as-of", "2026-03-31"]);
    assert_eq!(aging["total"], "2000000230.00", "{aging}");
}
