//! Two dunning runs at the same time — two `dunning run` processes, or two
//! people clicking *Approve and send* on two servers — deliver every
//! message exactly once: the run lease lets one run at a time, and each
//! message is claimed (a conditional update) before it is delivered.
//!
//! Regression tests for "two dunning runs at the same time deliver every
//! message twice" (264 of 264 e-mails arrived twice over SMTP; with files,
//! both runs failed with `cannot write ./letters/…pdf`).

mod common;

use std::collections::BTreeSet;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Barrier};

use common::{Sandbox, smtp, web};
use serde_json::Value;

const DAY: &str = "2026-11-25";

fn demo(customers: &str) -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.ok(&["--as-of", DAY, "demo", "--customers", customers]);
    sandbox
}

/// Starts both commands, as close together as two processes can be, and
/// waits for both.
fn at_once(mut a: Command, mut b: Command) -> [Output; 2] {
    let first = a
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let second = b
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    [
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    ]
}

/// The messages recorded for the day that were delivered, per channel.
fn sent_messages(sandbox: &Sandbox, config: Option<&str>) -> Vec<Value> {
    let mut args = vec!["--as-of", DAY];
    if let Some(config) = config {
        args.extend(["--config", config]);
    }
    args.extend(["dunning", "messages"]);
    let messages = sandbox.json(&args);
    let all = messages.as_array().unwrap().clone();
    for m in &all {
        assert!(
            m["status"] == "sent" || m["status"] == "cancelled",
            "every message ends sent: {m}"
        );
    }
    all.into_iter().filter(|m| m["status"] == "sent").collect()
}

/// What a run that lost the race may say: it waited for nothing and was
/// told who is running, or it ran after the first and found nothing to do.
fn check_second_run(output: &Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.success() {
        return;
    }
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("run is in progress, started by"),
        "a clear reason: {stdout}{stderr}"
    );
    assert!(!stderr.contains("cannot write"), "{stderr}");
}

#[test]
fn two_dunning_runs_at_once_send_every_email_once() {
    let sandbox = demo("150");
    let Some(server) = smtp::start(sandbox.dir()) else {
        return;
    };
    let config = sandbox.write("smtp.toml", &server.config());
    let run = || {
        let mut command = sandbox.command(&[
            "--config",
            &config,
            "--as-of",
            DAY,
            "dunning",
            "run",
            "--throttle-ms",
            "5",
        ]);
        command.env("TEGOED_USER", "collector@tegoed.example");
        command
    };
    let outputs = at_once(run(), run());
    let succeeded = outputs.iter().filter(|o| o.status.success()).count();
    assert!(succeeded >= 1, "one run does the work: {outputs:?}");
    for output in &outputs {
        check_second_run(output);
    }
    let emails: Vec<Value> = sent_messages(&sandbox, Some(&config))
        .into_iter()
        .filter(|m| m["channel"] == "email")
        .collect();
    assert!(
        emails.len() > 10,
        "enough e-mail to race over: {}",
        emails.len()
    );
    let ids = server.message_ids();
    let twice: Vec<_> = ids.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    assert_eq!(ids.len(), emails.len(), "every e-mail arrived once");
}

#[test]
fn two_dunning_runs_at_once_write_every_file_once() {
    let sandbox = demo("150");
    // Slowed down a little, so the two runs overlap.
    let run = || sandbox.command(&["--as-of", DAY, "dunning", "run", "--throttle-ms", "20"]);
    let outputs = at_once(run(), run());
    assert!(
        outputs.iter().any(|o| o.status.success()),
        "one run does the work: {outputs:?}"
    );
    for output in &outputs {
        check_second_run(output);
    }
    let sent = sent_messages(&sandbox, None);
    let mut files = sandbox.files("outbox");
    files.extend(sandbox.files("letters"));
    assert!(files.iter().all(|f| !f.ends_with(".tmp")), "{files:?}");
    let ids: BTreeSet<&str> = files.iter().map(|f| &f[..8]).collect();
    assert_eq!(ids.len(), files.len(), "one file per message");
    let on_paper = sent
        .iter()
        .filter(|m| m["channel"] == "email" || m["channel"] == "letter")
        .count();
    assert!(on_paper > 10, "enough messages to race over: {on_paper}");
    assert_eq!(files.len(), on_paper, "every message written once");
}

#[test]
fn two_approve_and_send_clicks_on_two_servers_send_every_email_once() {
    let sandbox = demo("150");
    let Some(smtp_server) = smtp::start(sandbox.dir()) else {
        return;
    };
    let config = sandbox.write("smtp.toml", &smtp_server.config());
    for email in ["first@tegoed.example", "second@tegoed.example"] {
        let mut add = sandbox.command(&["user", "add", email, "--role", "collector"]);
        add.stdin(Stdio::piped()).stdout(Stdio::null());
        let mut child = add.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"a long enough password\n")
            .unwrap();
        assert!(child.wait().unwrap().success());
    }
    let global = ["--config", config.as_str(), "--as-of", DAY];
    let servers = [
        web::serve(&sandbox, &global, &[]),
        web::serve(&sandbox, &global, &[]),
    ];
    let clicks: Vec<(String, String, String)> = servers
        .iter()
        .zip(["first@tegoed.example", "second@tegoed.example"])
        .map(|(server, email)| {
            let cookie = web::login(&server.addr, email, "a long enough password");
            let csrf = web::csrf(&server.addr, &cookie);
            (server.addr.clone(), cookie, csrf)
        })
        .collect();
    let barrier = Arc::new(Barrier::new(clicks.len()));
    let answers: Vec<(u16, String, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = clicks
            .iter()
            .map(|(addr, cookie, csrf)| {
                let barrier = barrier.clone();
                scope.spawn(move || {
                    barrier.wait();
                    web::post(
                        addr,
                        "/dunning/run",
                        cookie,
                        &format!("csrf={}", web::enc(csrf)),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (status, head, body) in &answers {
        // The winner is sent back to the Dunning page; the other is told a
        // run is in progress (409), or ran after it and found nothing.
        assert!(
            *status == 303
                || (*status == 409
                    && (body.contains("in progress")
                        || body.contains("er loopt al een aanmaanrun"))),
            "{status} {head} {body}"
        );
        assert!(*status != 500, "{body}");
    }
    assert!(answers.iter().any(|(status, ..)| *status == 303));
    // The runs go on in the background: wait until both servers' progress
    // pages say their run ended (one did the work; the other, kept out by
    // the run lease or finding nothing left, says so).
    for (addr, cookie, _) in &clicks {
        let mut ended = false;
        for _ in 0..600 {
            let (status, _, body) = web::get(addr, "/dunning/progress", cookie);
            assert!(status == 200 || status == 303, "{status} {body}");
            if !body.contains("data-state=\"running\"") {
                assert!(!body.contains("data-code=\"internal\""), "{body}");
                ended = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert!(ended, "a run did not end within a minute");
    }
    let emails = sent_messages(&sandbox, Some(&config))
        .into_iter()
        .filter(|m| m["channel"] == "email")
        .count();
    assert!(emails > 10, "enough e-mail to race over: {emails}");
    let ids = smtp_server.message_ids();
    let twice: Vec<_> = ids.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    assert_eq!(ids.len(), emails, "every e-mail arrived once");
}
