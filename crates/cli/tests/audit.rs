//! Changes made from the command line are audited like changes made in the
//! web app: under a named actor (`TEGOED_USER`, else the OS user), in the
//! same transaction as the change, so a change that fails leaves no line.

mod common;

use common::Sandbox;
use serde_json::Value;

fn audit(sandbox: &Sandbox) -> Vec<Value> {
    sandbox.json(&["user", "audit"]).as_array().unwrap().clone()
}

fn lines_of<'a>(log: &'a [Value], action: &str) -> Vec<&'a Value> {
    log.iter().filter(|l| l["action"] == action).collect()
}

#[test]
fn changes_from_the_command_line_are_audited_under_the_acting_user() {
    let sandbox = Sandbox::with_examples();
    let out = sandbox
        .command(&[
            "--as-of",
            "2026-03-01",
            "pause",
            "C001",
            "--until",
            "2026-03-20",
            "--reason",
            "Directeur op vakantie",
        ])
        .env("TEGOED_USER", "alice")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let log = audit(&sandbox);
    let pause = lines_of(&log, "pause.set");
    assert_eq!(pause.len(), 1, "{log:#?}");
    assert_eq!(pause[0]["actor"], "cli:alice");
    assert_eq!(pause[0]["subject"], "C001");
    assert_eq!(
        pause[0]["detail"],
        "until: 20 Mar 2026 · reason: Directeur op vakantie"
    );
    // The imports of the sandbox are there too, one line per file.
    for kind in ["customers", "invoices", "payments"] {
        let import = lines_of(&log, &format!("import.{kind}"));
        assert_eq!(import.len(), 1, "import.{kind}: {log:#?}");
        assert!(import[0]["actor"].as_str().unwrap().starts_with("cli:"));
    }
    // Newest first.
    assert_eq!(log[0]["action"], "pause.set");

    let text = sandbox.ok(&["user", "audit", "--limit", "1"]);
    assert!(text.contains("cli:alice"), "{text}");
    assert!(text.contains("pause.set"), "{text}");
    assert!(!text.contains("import.customers"), "--limit 1: {text}");
}

#[test]
fn a_change_that_fails_leaves_no_audit_line() {
    let sandbox = Sandbox::with_examples();
    let before = audit(&sandbox);
    let invoices = sandbox.json(&["report", "aging"])["total"].clone();
    // Two good rows are written before the third fails: the whole file is
    // rolled back, and with it the audit line.
    let file = sandbox.write(
        "invoices-bad.csv",
        "invoice_number,customer_id,issue_date,amount\n\
         AUD-1,C001,2026-02-01,100.00\n\
         AUD-2,C002,2026-02-01,200.00\n\
         AUD-3,C999,2026-02-01,300.00\n",
    );
    let error = sandbox.fails(&["import", "invoices", &file]);
    assert!(
        error.contains("line 4") && error.contains("C999"),
        "{error}"
    );
    assert_eq!(audit(&sandbox), before);
    assert_eq!(sandbox.json(&["report", "aging"])["total"], invoices);
}
