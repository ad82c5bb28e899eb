//! `tegoed forecast` and `tegoed forecast backtest` on a small hand-made
//! ledger, every figure worked out by hand; the backtest learns nothing
//! that was paid after its cut-off.

mod common;

use common::Sandbox;
use serde_json::Value;

const CUSTOMERS: &str = "\
customer_id,name,kind,email,payment_terms_days,language
C1,Bakkerij Een,b2b,a@een.example,30,nl
C2,Drukkerij Twee,b2b,b@twee.example,30,nl
";

// C1 pays 10 days late, three times before the cut-off (30 Sep): its own
// history. After it: I4 10 days late, I5 20 days late. C2 has no history
// of its own; J1 (due 15 Sep) is paid 61 days late, after the cut-off —
// it must not teach the model anything. I6 is open on 30 Nov.
const INVOICES: &str = "\
invoice_number,customer_id,issue_date,amount,due_date,currency
I1,C1,2026-05-02,100.00,2026-06-01,EUR
I2,C1,2026-06-01,100.00,2026-07-01,EUR
I3,C1,2026-07-02,100.00,2026-08-01,EUR
I4,C1,2026-09-01,100.00,2026-10-01,EUR
I5,C1,2026-10-02,100.00,2026-11-01,EUR
J1,C2,2026-08-16,100.00,2026-09-15,EUR
I6,C1,2026-11-10,100.00,2026-12-10,EUR
";

const PAYMENTS: &str = "\
payment_id,date,amount,currency,customer_id,invoice_number
P1,2026-06-11,100.00,EUR,C1,I1
P2,2026-07-11,100.00,EUR,C1,I2
P3,2026-08-11,100.00,EUR,C1,I3
P4,2026-10-11,100.00,EUR,C1,I4
P5,2026-11-21,100.00,EUR,C1,I5
P6,2026-11-15,100.00,EUR,C2,J1
";

fn close(value: &Value, expected: f64) {
    let got = value
        .as_f64()
        .unwrap_or_else(|| panic!("a number, got {value}"));
    assert!((got - expected).abs() < 1e-3, "{got} is not {expected}");
}

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

#[test]
fn the_backtest_worked_out_by_hand_learns_nothing_after_its_cutoff() {
    let sandbox = ledger();
    let r = sandbox.json(&[
        "--as-of",
        "2026-11-30",
        "forecast",
        "backtest",
        "--holdout-months",
        "2",
    ]);
    assert_eq!(r["cutoff"], "2026-09-30");
    // Paid after the cut-off: I4, I5, J1.
    assert_eq!(r["n"], 3);
    // I4: seen on the cut-off, C1's median 10 days: 11 Oct, paid 11 Oct (0).
    // I5: issued 2 Oct, expected 11 Nov, paid 21 Nov (10).
    // J1: C2 has no history, the pooled one (C1's, 10 days) — J1 is already
    // 15 days late on the cut-off, later than all of it: a week on, 7 Oct;
    // paid 15 Nov (39). Had J1's own 61 days been learned, it would be 0.
    close(&r["rmse_days"], ((0.0 + 100.0 + 1521.0) / 3.0f64).sqrt());
    close(&r["mae_days"], 49.0 / 3.0);
    // Paid on the due date: 10, 20 and 61 days off.
    close(
        &r["baseline_rmse_days"],
        ((100.0 + 400.0 + 3721.0) / 3.0f64).sqrt(),
    );
    // Cash per week, weeks from Monday 28 Sep: every invoice open on the
    // cut-off or issued after it, paid or not. Came in: I4 (week of 5 Oct),
    // J1 (Sunday 15 Nov: week of 9 Nov), I5 (week of 16 Nov). Expected: I4
    // all on 11 Oct and I5 all on 11 Nov (C1 always paid 10 days late; I4,
    // open on the cut-off, left the curve before day 10); J1 never (C2 has
    // no history; everyone's was paid at 10 days, and J1, open on the
    // cut-off, is already 15 days late: later than anything ever paid);
    // I6 after the horizon. Off by 0, 0 and 100 %: 33.3 %. Paid on the due
    // date: I4 and J1 (due before the cut-off: on it) in the week of 28
    // Sep, I5 in the week of 26 Oct — all weeks without cash: 100 %.
    close(&r["weekly_mape"], 100.0 / 3.0);
    close(&r["baseline_weekly_mape"], 100.0);
    let err = sandbox.fails(&["forecast", "backtest", "--holdout-months", "0"]);
    assert!(err.contains("--holdout-months 0"), "{err}");
}

#[test]
fn the_forecast_puts_each_open_invoice_in_the_week_its_customer_pays() {
    let sandbox = ledger();
    let r = sandbox.json(&["--as-of", "2026-11-30", "forecast", "--weeks", "13"]);
    assert_eq!(r["as_of"], "2026-11-30");
    let weeks = r["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 13);
    assert_eq!(weeks[0]["week_start"], "2026-11-30", "a Monday");
    assert_eq!(weeks[12]["week_start"], "2027-02-22");
    // I6, due 10 Dec. C1's history on 30 Nov: paid 10, 10, 10, 10 and 20
    // days late (I5); I6 itself is still open, not yet due (it leaves the
    // survival curve before day 10). After day 10 a fifth is unpaid, after
    // day 20 none: the 10th–70th percentiles are 10 days (20 Dec, week of
    // 14 Dec), the 90th 20 days (30 Dec, week of 28 Dec): 80.00 and 20.00,
    // nothing never. The band puts all of it on the 25th or 75th
    // percentile (both 10 days): week of 14 Dec low 80.00 high 100.00,
    // week of 28 Dec low 0.00 high 20.00.
    let expected: Vec<(&str, &str, &str)> = (0..13)
        .map(|i| match i {
            2 => ("80.00", "80.00", "100.00"),
            4 => ("20.00", "0.00", "20.00"),
            _ => ("0.00", "0.00", "0.00"),
        })
        .collect();
    for (i, (w, (e, low, high))) in weeks.iter().zip(expected).enumerate() {
        assert_eq!(w["expected"], e, "week {i}");
        assert_eq!(w["low"], low, "week {i}");
        assert_eq!(w["high"], high, "week {i}");
        assert_eq!(w["from_plans_and_promises"], "0.00");
    }
    assert_eq!(r["never_expected"], "0.00");
    assert_eq!(r["model"]["customers_with_own_history"], 1);
    // A promise moves it to its own date.
    sandbox.ok(&[
        "--as-of",
        "2026-11-30",
        "promise",
        "add",
        "C1",
        "--amount",
        "100.00",
        "--date",
        "2026-12-04",
        "--invoice",
        "I6",
    ]);
    let r = sandbox.json(&["--as-of", "2026-11-30", "forecast"]);
    assert_eq!(r["weeks"][0]["expected"], "100.00");
    assert_eq!(r["weeks"][0]["from_plans_and_promises"], "100.00");
    assert_eq!(r["weeks"][2]["expected"], "0.00");
    assert_eq!(r["weeks"][3]["expected"], "0.00");
}
