//! `tegoed report kpi` on a small hand-made ledger: every figure of
//! October 2026 worked out by hand below, to the cent and the decimal.

mod common;

use common::Sandbox;
use serde_json::Value;

const CUSTOMERS: &str = "\
customer_id,name,kind,email,payment_terms_days,language
C1,Bakkerij Een,b2b,a@een.example,30,nl
";

// Opening (30 Sep): I1 1,000.00 open.
// October: I2 500.00 (due 20 Oct) and I3 300.00 issued, CN1 −100.00 on I3:
// credit sales 700.00. P1 pays I1 on 10 Oct (9 days late); P2 pays 200.00
// of I2 on 30 Oct.
// Closing (31 Oct): I2 300.00 open and overdue, I3 200.00 open and not
// yet due: receivables 500.00, current 200.00.
const INVOICES: &str = "\
invoice_number,customer_id,issue_date,amount,due_date,currency,applies_to
I1,C1,2026-09-01,1000.00,2026-10-01,EUR,
I2,C1,2026-10-05,500.00,2026-10-20,EUR,
I3,C1,2026-10-20,300.00,2026-11-19,EUR,
CN1,C1,2026-10-25,-100.00,,EUR,I3
";

const PAYMENTS: &str = "\
payment_id,date,amount,currency,customer_id,invoice_number
P1,2026-10-10,1000.00,EUR,C1,I1
P2,2026-10-30,200.00,EUR,C1,I2
";

fn close(value: &Value, expected: f64) {
    let got = value
        .as_f64()
        .unwrap_or_else(|| panic!("a number, got {value}"));
    assert!((got - expected).abs() < 1e-6, "{got} is not {expected}");
}

#[test]
fn every_kpi_of_a_month_worked_out_by_hand() {
    let sandbox = Sandbox::new();
    for (what, name, text) in [
        ("customers", "customers.csv", CUSTOMERS),
        ("invoices", "invoices.csv", INVOICES),
        ("payments", "payments.csv", PAYMENTS),
    ] {
        let path = sandbox.write(name, text);
        sandbox.ok(&["import", what, &path]);
    }
    // Two promises fell due in October: 300.00 by 28 Oct (nothing came:
    // broken) and 200.00 by 31 Oct (P2 on 30 Oct: kept).
    sandbox.ok(&[
        "--as-of",
        "2026-10-21",
        "promise",
        "add",
        "C1",
        "--amount",
        "300.00",
        "--date",
        "2026-10-28",
    ]);
    sandbox.ok(&[
        "--as-of",
        "2026-10-29",
        "promise",
        "add",
        "C1",
        "--amount",
        "200.00",
        "--date",
        "2026-10-31",
    ]);
    let report = sandbox.json(&["--as-of", "2026-11-10", "report", "kpi", "--months", "2"]);
    assert_eq!(report["as_of"], "2026-11-10");
    let months = report["months"].as_array().unwrap();
    assert_eq!(
        months
            .iter()
            .map(|m| m["month"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["2026-10", "2026-11"]
    );
    let oct = &months[0];
    assert_eq!(oct["receivables"], "500.00");
    assert_eq!(oct["overdue"], "300.00");
    assert_eq!(oct["credit_sales"], "700.00");
    // Collected: opening 1,000 + sales 700 − closing 500.
    assert_eq!(oct["collected"], "1200.00");
    // CEI: 1,200 of (1,000 + 700 − 200 not yet due) = 1,500: 80 %.
    close(&oct["cei"], 80.0);
    // Simple DSO: 500 ÷ 1,700 of sales in the 90 days to 31 Oct × 90.
    close(&oct["dso_simple"], 500.0 / 1700.0 * 90.0);
    // Countback: 500 of October's 700 of sales: 31 × 5/7 days.
    close(&oct["dso_countback"], 31.0 * 500.0 / 700.0);
    // Best possible: the 200 not yet due ÷ 1,700 × 90; ADD the difference.
    close(&oct["best_possible_dso"], 200.0 / 1700.0 * 90.0);
    close(&oct["add"], 300.0 / 1700.0 * 90.0);
    // Settled in October: I1 only, 9 days late.
    close(&oct["share_paid_on_time"], 0.0);
    close(&oct["avg_days_late"], 9.0);
    // One of the two promises kept.
    close(&oct["promise_kept_rate"], 50.0);
    // Nothing handed to the agency.
    close(&oct["bad_debt_ratio"], 0.0);
    // November so far: no sales, nothing collected, nothing settled.
    let nov = &months[1];
    assert_eq!(nov["credit_sales"], "0.00");
    assert_eq!(nov["collected"], "0.00");
    close(&nov["cei"], 0.0);
    assert!(nov["share_paid_on_time"].is_null(), "no base, no figure");
    assert!(nov["bad_debt_ratio"].is_null());
    // The shipped targets.
    close(&report["targets"]["cei_min"], 85.0);
    close(&report["targets"]["dso_max"], 45.0);
    // Per account manager, per segment: the last month's figures per group.
    let by = sandbox.json(&[
        "--as-of",
        "2026-11-10",
        "report",
        "kpi",
        "--months",
        "2",
        "--by",
        "account-manager",
    ]);
    let rows = by["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "C1 has no account manager: one group");
    assert_eq!(rows[0]["key"], "none");
    assert_eq!(rows[0]["customers"], 1);
    assert_eq!(rows[0]["month"], "2026-11");
    assert_eq!(rows[0]["receivables"], "500.00");
    close(&rows[0]["cei"], 0.0);
    assert!(report.get("rows").is_none(), "no rows without --by");
    let by = sandbox.json(&[
        "--as-of",
        "2026-11-10",
        "report",
        "kpi",
        "--months",
        "1",
        "--by",
        "segment",
    ]);
    assert_eq!(by["rows"].as_array().unwrap().len(), 1);
    let by = sandbox.json(&[
        "--as-of",
        "2026-11-10",
        "report",
        "kpi",
        "--months",
        "1",
        "--by",
        "collector",
    ]);
    assert_eq!(by["rows"][0]["customers"], 1);
    let err = sandbox.fails(&["report", "kpi", "--by", "region"]);
    assert!(err.contains("--by 'region'"), "{err}");
    // Bad input is refused with what to do.
    let err = sandbox.fails(&["report", "kpi", "--months", "0"]);
    assert!(err.contains("--months 0"), "{err}");
}
