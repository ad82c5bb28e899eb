//! `tegoed migrate`: a SQLite database with a ledger, collection history,
//! messages, users and an audit log moves into the sandbox's database (a
//! fresh SQLite file, or PostgreSQL when the suites run on it) and every
//! command then answers the same on both.

mod common;

use std::process::{Command, Stdio};

use common::Sandbox;
use serde_json::Value;

const DAY: &str = "2026-11-25";

/// `tegoed --db SOURCE …` (the SQLite file being moved), in its folder
/// (a dunning run writes its outbox there, not into the source tree).
fn on(db: &str, args: &[&str]) -> Value {
    let folder = std::path::Path::new(db)
        .parent()
        .expect("a file in a folder");
    let out = Command::new(env!("CARGO_BIN_EXE_tegoed"))
        .current_dir(folder)
        .arg("--db")
        .arg(db)
        .args(args)
        .arg("--json")
        .env_remove("TEGOED_DB")
        .env_remove("TEGOED_CONFIG")
        .env("TEGOED_USER", "migration-test")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tegoed {args:?} on {db}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn migrate_moves_a_whole_database_and_verifies_it() {
    let sandbox = Sandbox::new();
    let source = sandbox.dir().join("source.db").display().to_string();
    on(&source, &["--as-of", DAY, "demo", "--customers", "150"]);
    on(&source, &["--as-of", DAY, "dunning", "run"]);
    on(
        &source,
        &[
            "--as-of",
            DAY,
            "pause",
            "C000002",
            "--until",
            "2026-12-20",
            "--reason",
            "Directeur op vakantie",
        ],
    );
    let mut add = Command::new(env!("CARGO_BIN_EXE_tegoed"));
    add.args([
        "--db",
        &source,
        "user",
        "add",
        "kim@t.example",
        "--role",
        "collector",
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::null());
    let mut child = add.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    assert!(child.wait().unwrap().success());

    let report = sandbox.json(&["migrate", "--from", &source, "--to", &sandbox.db]);
    assert_eq!(report["verified"], true, "{report:#}");
    let tables = report["tables"].as_array().unwrap();
    assert!(tables.iter().all(|t| t["identical"] == true), "{report:#}");
    let rows = |name: &str| {
        tables.iter().find(|t| t["table"] == name).unwrap()["rows"]
            .as_u64()
            .unwrap()
    };
    assert!(rows("invoice") > 1_000 && rows("dunning_message") > 10 && rows("app_user") == 1);
    assert!(rows("audit_log") >= 3, "demo, run, pause, user");

    // Every read answers the same on the copy.
    for args in [
        vec!["report", "aging", "--by", "customer"],
        vec!["report", "dso"],
        vec!["dunning", "messages"],
        vec!["customer", "timeline", "C000002"],
        vec!["customer", "show", "C000003"],
        vec!["user", "list"],
        vec!["tasks", "--all"],
    ] {
        let mut all = vec!["--as-of", DAY];
        all.extend(&args);
        assert_eq!(sandbox.json(&all), on(&source, &all), "{args:?}");
    }
    // The copy's audit log is the source's plus the migration.
    let copied = sandbox.json(&["user", "audit", "--limit", "1000"]);
    let original = on(&source, &["user", "audit", "--limit", "1000"]);
    assert_eq!(
        copied.as_array().unwrap().len(),
        original.as_array().unwrap().len() + 1
    );
    assert_eq!(copied[0]["action"], "database.migrate");
    assert_eq!(
        &copied.as_array().unwrap()[1..],
        original.as_array().unwrap().as_slice()
    );
    // New records get new ids on the copy, after the copied ones.
    let before = on(&source, &["--as-of", DAY, "dispute", "list", "--all"]);
    let disputed: Vec<&str> = before
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["invoice"].as_str())
        .collect();
    // An open invoice nobody disputes yet (the demo has a few disputes).
    let invoice = (3..40)
        .find_map(|n| {
            let shown = sandbox.json(&["--as-of", DAY, "customer", "show", &format!("C{n:06}")]);
            shown["open_items"]
                .as_array()?
                .iter()
                .filter_map(|i| i["invoice_number"].as_str())
                .find(|i| !disputed.contains(i))
                .map(str::to_string)
        })
        .expect("an open invoice without a dispute");
    let invoice = invoice.as_str();
    let max = before
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .max()
        .unwrap_or(0);
    let opened = sandbox.json(&[
        "--as-of",
        DAY,
        "dispute",
        "open",
        invoice,
        "--reason",
        "Levering onvolledig",
    ]);
    assert!(opened["id"].as_i64().unwrap() > max, "{opened}");

    // Into a database that is not empty: refused, nothing changed.
    let error = sandbox.fails(&["migrate", "--from", &source, "--to", &sandbox.db]);
    assert!(error.contains("is not empty"), "{error}");
}
