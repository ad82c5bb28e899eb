//! Regression tests from the hardening round, each named after the defect
//! it pins: the open redirect after login, the unsigned login token,
//! unlimited API token guessing, and a web write answered with HTTP 500
//! "database is locked" while an import held the database.

mod common;

use common::{PASSWORD, form, hidden, login, request, start};

/// Logs in with `next`; returns the response.
fn login_with_next(addr: std::net::SocketAddr, next: &str) -> common::Resp {
    let page = request(addr, "GET", "/login", &[], None);
    let token = hidden(&page.body, "login_token").unwrap();
    request(
        addr,
        "POST",
        "/login",
        &[("Cookie", &format!("tegoed_login={token}"))],
        Some((
            "application/x-www-form-urlencoded",
            &form(&[
                ("login_token", &token),
                ("email", "collector@t.example"),
                ("password", PASSWORD),
                ("next", next),
            ]),
        )),
    )
}

#[test]
fn login_next_with_a_tab_or_line_break_is_no_open_redirect_and_no_500() {
    let server = start(10);
    // Browsers drop tabs and line breaks from a Location, so each of these
    // would lead to //evil.example; \n, \r and \v used to give HTTP 500.
    for next in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r/evil.example",
        "/\x0b/evil.example",
        "/ /evil.example",
        "//evil.example",
        "/\\evil.example",
    ] {
        let r = login_with_next(server.addr, next);
        assert_eq!(r.status, 303, "{next:?}: {}", r.body);
        assert_eq!(r.header("location"), Some("/"), "{next:?}");
    }
    let r = login_with_next(server.addr, "/customers?q=a%20b");
    assert_eq!(r.header("location"), Some("/customers?q=a%20b"));
}

#[test]
fn an_unsigned_login_token_pair_is_refused() {
    let server = start(10);
    // Any equal cookie and field used to pass: a site that can plant a
    // cookie could log a victim into its own account.
    let forged = "0123456789abcdef0123456789abcdef";
    let r = request(
        server.addr,
        "POST",
        "/login",
        &[("Cookie", &format!("tegoed_login={forged}"))],
        Some((
            "application/x-www-form-urlencoded",
            &form(&[
                ("login_token", forged),
                ("email", "collector@t.example"),
                ("password", PASSWORD),
            ]),
        )),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let signed_elsewhere = format!("{forged}.00000000000000000000000000000000");
    let r = request(
        server.addr,
        "POST",
        "/login",
        &[("Cookie", &format!("tegoed_login={signed_elsewhere}"))],
        Some((
            "application/x-www-form-urlencoded",
            &form(&[
                ("login_token", &signed_elsewhere),
                ("email", "collector@t.example"),
                ("password", PASSWORD),
            ]),
        )),
    );
    assert_eq!(r.status, 403);
    // The server's own token still works.
    assert_eq!(login_with_next(server.addr, "/").status, 303);
}

#[test]
fn failed_api_tokens_are_rate_limited() {
    let server = start(10);
    let guess = |token: &str| {
        request(
            server.addr,
            "GET",
            "/api/v1/customers",
            &[("Authorization", &format!("Bearer {token}"))],
            None,
        )
    };
    for i in 0..20 {
        assert_eq!(guess(&format!("guess-{i}")).status, 401);
    }
    let r = guess("guess-21");
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.header("retry-after").is_some());
    assert_eq!(r.json()["error"]["code"], "rate_limited");
}

#[test]
fn a_web_write_while_an_import_holds_the_database_gets_503_not_500() {
    let server = start(10);
    let collector = login(server.addr, "collector@t.example");
    let note = |text: &str| collector.post("/customers/C000001/note", &[("text", text)]);
    let check_busy = |r: &common::Resp| {
        assert_eq!(r.status, 503, "{}", r.body);
        assert!(r.header("retry-after").is_some(), "{:?}", r.headers);
        assert!(!r.body.contains("database is locked"), "{}", r.body);
        assert!(r.body.contains("busy"), "{}", r.body);
    };

    // Another process (a CLI import) holds a write transaction: its own
    // handle on the same database.
    let other = server.db.open(std::time::Duration::from_secs(10));
    let mut import = other.write().unwrap();
    import
        .insert_customer(&tegoed_core::Customer::new("IMPORTING", "Being imported"))
        .unwrap();
    match &server.db {
        // SQLite has one writer at a time: the web write waits half a
        // second, then is told the database is busy.
        common::Db::Sqlite(_) => check_busy(&note("while the import runs")),
        // PostgreSQL's writers do not wait for each other.
        common::Db::Postgres(_) => assert_eq!(note("while the import runs").status, 303),
    }
    import.commit().unwrap();
    assert_eq!(note("after the import").status, 303);

    // A long write in this process (a dunning run's planning) likewise.
    let run = server.store.write().unwrap();
    match &server.db {
        common::Db::Sqlite(_) => check_busy(&note("while the run plans")),
        common::Db::Postgres(_) => assert_eq!(note("while the run plans").status, 303),
    }
    drop(run);
    assert_eq!(note("after the run").status, 303);
}
