//! Delivery under stress: a dunning run killed with SIGKILL in the middle
//! and started again neither loses a message nor sends one twice; e-mail
//! through a real SMTP server (Python's aiosmtpd, which `.ci/run`
//! installs) arrives once per message with the QR code inline.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{Sandbox, smtp};
use serde_json::Value;

const DAY: &str = "2026-11-25";

fn demo(customers: &str) -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.ok(&["--as-of", DAY, "demo", "--customers", customers]);
    sandbox
}

/// Files delivered so far (e-mails and letters), without temporary ones.
fn delivered_files(sandbox: &Sandbox) -> Vec<String> {
    let mut files = sandbox.files("outbox");
    files.extend(sandbox.files("letters"));
    files.retain(|f| !f.ends_with(".tmp"));
    files
}

/// (customer, step, channel) of every message recorded for the day.
fn messages_of_the_day(sandbox: &Sandbox) -> BTreeSet<(String, String, String)> {
    let messages = sandbox.json(&["--as-of", DAY, "dunning", "messages"]);
    messages
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["status"] != "cancelled")
        .map(|m| {
            assert_eq!(m["status"], "sent", "{m}");
            (
                m["customer"].as_str().unwrap().to_string(),
                m["step"].as_str().unwrap().to_string(),
                m["channel"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn kill(mut child: Child) {
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
}

#[test]
fn a_run_killed_midway_loses_nothing_and_doubles_nothing() {
    // The reference: the same data, run without interruption.
    let reference = demo("300");
    let clean: Value = reference.json(&["--as-of", DAY, "dunning", "run"]);
    let expected_files = delivered_files(&reference).len();
    assert!(
        expected_files > 40,
        "enough messages to interrupt: {expected_files}"
    );

    let sandbox = demo("300");
    // 1. Killed while delivering (slowed down so there is a middle).
    let child = sandbox
        .command(&["--as-of", DAY, "dunning", "run", "--throttle-ms", "40"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while delivered_files(&sandbox).len() < 10 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no files appeared"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    kill(child);
    let after_kill = delivered_files(&sandbox).len();
    assert!(
        after_kill < expected_files,
        "killed in the middle: {after_kill} of {expected_files}"
    );

    // 2. Killed again right after it started (planning or resuming).
    let child = sandbox
        .command(&["--as-of", DAY, "dunning", "run", "--throttle-ms", "40"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(150));
    kill(child);

    // 3. A run to the end: it delivers what was left queued, plans nothing
    //    twice.
    let resumed: Value = sandbox.json(&["--as-of", DAY, "dunning", "run"]);
    assert!(
        resumed["failed"].as_array().unwrap().is_empty(),
        "{resumed}"
    );
    let files = delivered_files(&sandbox);
    assert_eq!(files.len(), expected_files, "every message delivered once");
    let ids: BTreeSet<&str> = files.iter().map(|f| &f[..8]).collect();
    assert_eq!(ids.len(), files.len(), "one file per message");
    let mut per_customer: BTreeMap<String, usize> = BTreeMap::new();
    for f in &files {
        *per_customer
            .entry(f[9..f.len() - 4].to_string())
            .or_default() += 1;
    }
    assert!(
        per_customer.values().all(|n| *n == 1),
        "one message per customer"
    );
    assert!(sandbox.files("outbox").iter().all(|f| !f.ends_with(".tmp")));
    // The same messages as the uninterrupted run, all marked sent.
    assert_eq!(
        messages_of_the_day(&sandbox),
        messages_of_the_day(&reference)
    );
    let planned: u64 = clean["planned"].as_u64().unwrap();
    assert_eq!(messages_of_the_day(&sandbox).len() as u64, planned);
    // And again: nothing.
    let again: Value = sandbox.json(&["--as-of", DAY, "dunning", "run"]);
    assert_eq!(again["planned"], 0);
    assert_eq!(again["resumed"], 0);
    assert_eq!(delivered_files(&sandbox).len(), expected_files);
}

#[test]
fn queued_messages_from_an_earlier_day_are_replanned_not_sent_stale() {
    let sandbox = demo("150");
    let child = sandbox
        .command(&["--as-of", DAY, "dunning", "run", "--throttle-ms", "60"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while delivered_files(&sandbox).len() < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no files appeared"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    kill(child);
    let next_day: Value = sandbox.json(&["--as-of", "2026-11-26", "dunning", "run"]);
    assert!(next_day["cancelled"].as_u64().unwrap() > 0, "{next_day}");
    assert_eq!(next_day["resumed"], 0);
    assert!(next_day["planned"].as_u64().unwrap() >= next_day["cancelled"].as_u64().unwrap());
}

#[test]
fn email_goes_through_a_real_smtp_server_once() {
    let sandbox = demo("120");
    let Some(server) = smtp::start(sandbox.dir()) else {
        return;
    };
    let config = sandbox.write("smtp.toml", &server.config());
    let report: Value = sandbox.json(&["--config", &config, "--as-of", DAY, "dunning", "run"]);
    assert_eq!(report["email_via"], "smtp");
    let sent = report["delivered"]["email"].as_u64().unwrap();
    assert!(sent > 0, "{report}");
    assert!(
        sandbox.files("outbox").is_empty(),
        "no outbox files when SMTP is set"
    );
    let mails = server.mails();
    assert_eq!(mails.len() as u64, sent, "one mail per message");
    let ids: BTreeSet<String> = mails
        .iter()
        .map(|m| {
            m.lines()
                .find(|l| l.starts_with("Message-ID:"))
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), mails.len(), "stable, distinct Message-IDs");
    assert!(mails.iter().all(|m| m.contains("multipart/alternative")));
    assert!(
        mails.iter().any(|m| m.contains("Content-ID: <epc-qr>")),
        "QR inline"
    );
    // Running again sends nothing.
    let again: Value = sandbox.json(&["--config", &config, "--as-of", DAY, "dunning", "run"]);
    assert_eq!(again["delivered"]["email"], 0);
    assert_eq!(server.mails().len() as u64, sent);
}
