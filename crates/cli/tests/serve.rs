//! `tegoed serve --demo`, the README's main command: demo data, a risk
//! model, demo users and a settings file on a fresh folder, the app
//! answering on the address it prints, and a second start that reuses all
//! of it.

mod common;

use common::Sandbox;
use common::web::{Running, get, login, serve};

/// Starts `serve --demo` on a free port.
fn start(sandbox: &Sandbox) -> Running {
    serve(sandbox, &["--as-of", "2026-11-25"], &["--demo"])
}

#[test]
fn serve_demo_is_all_a_fresh_folder_needs() {
    let sandbox = Sandbox::new();
    let server = start(&sandbox);
    let (ready, said, addr) = (&server.ready, &server.said, server.addr.clone());
    let password = ready["password"].as_str().unwrap();
    let roles: Vec<&str> = ready["logins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l[1].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["admin", "credit_manager", "collector", "sales"]);
    assert!(said.contains("Demo data written"), "{said}");
    assert!(
        sandbox.dir().join("tegoed.toml").exists(),
        "a settings file to edit"
    );

    assert_eq!(get(&addr, "/healthz", "").0, 200);
    let credit = login(&addr, "credit@tegoed.example", password);
    let (status, _, today) = get(&addr, "/today", &credit);
    assert_eq!(status, 200);
    assert!(today.contains("<svg"), "the aging chart");
    let (status, _, settings) = get(&addr, "/settings", &credit);
    assert_eq!(status, 200);
    assert!(
        settings.contains("tegoed.toml"),
        "settings are saved to the file"
    );
    // One seed, one demo: `tegoed demo` builds the same companies under the
    // same numbers (regression: C000974 was another company in each).
    let cli_demo = Sandbox::new();
    cli_demo.ok(&["--as-of", "2026-11-25", "demo"]);
    for number in ["C000001", "C000974", "C002000"] {
        let show = |sandbox: &Sandbox| {
            sandbox.json(&["--as-of", "2026-11-25", "customer", "show", number])["name"].clone()
        };
        assert_eq!(show(&sandbox), show(&cli_demo), "{number}");
    }
    let sales_email = ready["logins"][3][0].as_str().unwrap();
    let sales = login(&addr, sales_email, password);
    assert_eq!(get(&addr, "/my", &sales).0, 200);
    drop(server);

    // A second start reuses the data, the users and the settings.
    let server = start(&sandbox);
    let (ready, said) = (&server.ready, &server.said);
    assert!(!said.contains("Demo data written"), "{said}");
    assert_eq!(ready["logins"].as_array().unwrap().len(), 4);
}

/// A user and an API token for them, made on the command line.
fn user_with_token(sandbox: &Sandbox, email: &str) -> String {
    use std::io::Write;
    let mut add = sandbox.command(&["user", "add", email, "--role", "collector"]);
    add.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null());
    let mut child = add.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
    sandbox.json(&["user", "token", email, "--name", "test"])["token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The customer as the other server's API lists it (from its in-memory
/// book).
fn listed(addr: &str, token: &str, number: &str) -> serde_json::Value {
    let (status, _, body) = common::web::http(
        addr,
        &format!(
            "GET /api/v1/customers?q={number} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert_eq!(status, 200, "{body}");
    let list: serde_json::Value = serde_json::from_str(&body).unwrap();
    list["customers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["number"] == number)
        .cloned()
        .unwrap_or_else(|| panic!("{number} listed: {body}"))
}

#[test]
fn two_servers_on_one_database_see_each_others_changes() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["--as-of", "2026-11-25", "demo", "--customers", "150"]);
    let token = user_with_token(&sandbox, "collector@t.example");
    let global = ["--as-of", "2026-11-25"];
    let (a, b) = (serve(&sandbox, &global, &[]), serve(&sandbox, &global, &[]));
    // A customer not paused yet (the demo pauses a few).
    let number = (1..40)
        .map(|n| format!("C{n:06}"))
        .find(|n| listed(&b.addr, &token, n)["paused"] == false)
        .expect("a customer without a pause");
    let number = number.as_str();

    // A collector pauses dunning on the first server …
    let cookie = login(&a.addr, "collector@t.example", "a long enough password");
    let csrf = common::web::csrf(&a.addr, &cookie);
    let (status, head, _) = common::web::post(
        &a.addr,
        &format!("/customers/{number}/pause"),
        &cookie,
        &format!(
            "csrf={}&until=2026-12-20&reason=Directeur+op+vakantie",
            common::web::enc(&csrf)
        ),
    );
    assert_eq!(status, 303, "{head}");

    // … and the second server's book shows it soon after (it compares the
    // database's revision at most every half second, then rebuilds).
    let started = std::time::Instant::now();
    while listed(&b.addr, &token, number)["paused"] != true {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the second server still shows {number} as not paused"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Its customer page reads the database directly: the pause is on the
    // timeline at once.
    let other = login(&b.addr, "collector@t.example", "a long enough password");
    let (status, _, page) = get(&b.addr, &format!("/customers/{number}"), &other);
    assert_eq!(status, 200);
    assert!(
        page.contains("Directeur op vakantie"),
        "the pause on B's page"
    );
}

/// Damages one stored value behind the server's back: a currency code no
/// money can have, on the first invoice of `number`.
fn corrupt_an_invoice(sandbox: &Sandbox, number: &str) {
    let sql = format!(
        "UPDATE invoice SET currency = 'X9Z' WHERE id = (SELECT min(i.id) FROM invoice i \
         JOIN customer c ON c.id = i.customer_id WHERE c.number = '{number}')"
    );
    if sandbox.on_postgres() {
        let mut client = postgres::Client::connect(&sandbox.db, postgres::NoTls).unwrap();
        assert_eq!(client.execute(sql.as_str(), &[]).unwrap(), 1);
    } else {
        let conn = rusqlite::Connection::open(&sandbox.db).unwrap();
        assert_eq!(conn.execute(&sql, []).unwrap(), 1);
    }
}

#[test]
fn an_internal_error_is_logged_with_its_cause_and_answered_without_it() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["--as-of", "2026-11-25", "demo", "--customers", "30"]);
    let token = user_with_token(&sandbox, "collector@t.example");
    let server = serve(&sandbox, &["--as-of", "2026-11-25"], &[]);
    corrupt_an_invoice(&sandbox, "C000001");

    let (status, _, body) = common::web::http(
        &server.addr,
        &format!(
            "GET /api/v1/customers/C000001 HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n",
            server.addr
        ),
    );
    assert_eq!(status, 500, "{body}");
    let error: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["error"]["code"], "internal");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        !message.contains("X9Z"),
        "no stored value in the answer: {message}"
    );
    assert!(!message.to_lowercase().contains("sql"), "{message}");
    let reference = message
        .split("reference ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("a reference to quote: {message}"));

    // The page answers the same way, in the reader's words.
    let cookie = login(
        &server.addr,
        "collector@t.example",
        "a long enough password",
    );
    let (status, _, page) = get(&server.addr, "/customers/C000001", &cookie);
    assert_eq!(status, 500);
    assert!(!page.contains("X9Z"), "{page}");

    // The log has the cause, under the same reference.
    let log = server.stderr();
    let line = log
        .lines()
        .find(|l| l.contains(reference))
        .unwrap_or_else(|| panic!("the reference {reference} in the log: {log}"));
    assert!(line.contains("ERROR"), "{line}");
    assert!(line.contains("X9Z"), "the cause in the log: {line}");
}
