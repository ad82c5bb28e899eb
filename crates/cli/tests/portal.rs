//! The customer portal from the command line: every e-mail and letter of a
//! dunning run carries a link to the customer's own page; the database
//! keeps only hashes of the links; `tegoed portal link` hands out a fresh
//! one for a phone call and `tegoed portal revoke` ends them all.

mod common;

use common::{Sandbox, pdf_text};

const DAY: &str = "2026-11-25";

fn demo() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.ok(&["--as-of", DAY, "demo", "--customers", "150"]);
    sandbox
}

/// Decodes quoted-printable soft breaks and `=3D`, enough to read a link.
fn unqp(text: &str) -> String {
    text.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
}

/// The tokens of the portal links in `text` at `base`.
fn tokens(text: &str, base: &str) -> Vec<String> {
    let text = unqp(text);
    let marker = format!("{base}/p/");
    text.match_indices(&marker)
        .map(|(at, _)| {
            text[at + marker.len()..]
                .chars()
                .take_while(|c| c.is_ascii_hexdigit())
                .collect::<String>()
        })
        .collect()
}

#[test]
fn every_message_carries_its_customers_link_and_the_database_keeps_only_hashes() {
    let sandbox = demo();
    sandbox.json(&["--as-of", DAY, "dunning", "run"]);
    let mails = sandbox.files("outbox");
    assert!(!mails.is_empty());
    let mut all = Vec::new();
    for name in &mails {
        let text = std::fs::read_to_string(sandbox.dir().join("outbox").join(name)).unwrap();
        // The text and the HTML part both carry the link (default address:
        // where `tegoed serve` listens).
        let found = tokens(&text, "http://127.0.0.1:8080");
        assert!(found.len() >= 2, "{name}: {found:?}");
        assert!(
            found.iter().all(|t| t.len() == 32 && *t == found[0]),
            "{name}"
        );
        all.push(found[0].clone());
    }
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), all.len(), "a fresh link per message");
    // The database never holds a link in the clear.
    if !sandbox.on_postgres() {
        let mut stored = Vec::new();
        for entry in std::fs::read_dir(sandbox.dir()).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("test.db") || name.ends_with(".db") || name.contains(".db-") {
                stored.extend(std::fs::read(entry.path()).unwrap());
            }
        }
        assert!(!stored.is_empty(), "the database files were read");
        let stored = String::from_utf8_lossy(&stored);
        for token in &all {
            assert!(
                !stored.contains(token.as_str()),
                "token {token} stored in the clear"
            );
        }
    }
}

#[test]
fn a_letter_carries_the_link_to_the_customers_own_page() {
    let sandbox = Sandbox::new();
    let customers = sandbox.write(
        "customers.csv",
        "customer_id,name,kind,account_manager,payment_terms_days,language,street,postal_code,city\n\
         C1,Bakkerij Een,b2b,Anna Verkoop,30,nl,Dorpsstraat 1,1234 AB,Ergens\n",
    );
    let invoices = sandbox.write(
        "invoices.csv",
        "invoice_number,customer_id,issue_date,amount,due_date,currency\n\
         I1,C1,2026-09-01,100.00,2026-10-01,EUR\n",
    );
    sandbox.ok(&["import", "customers", &customers]);
    sandbox.ok(&["import", "invoices", &invoices]);
    sandbox.json(&["--as-of", DAY, "dunning", "run"]);
    let letters = sandbox.files("letters");
    assert_eq!(letters.len(), 1, "no e-mail address: a letter");
    let pdf = std::fs::read(sandbox.dir().join("letters").join(&letters[0])).unwrap();
    let text = pdf_text(&pdf);
    assert!(text.contains("Uw eigen pagina"), "{text}");
    let found = tokens(&text, "http://127.0.0.1:8080");
    assert_eq!(found.len(), 1, "{text}");
    assert_eq!(found[0].len(), 32);
}

#[test]
fn portal_link_and_revoke_for_a_phone_call() {
    let sandbox = demo();
    let number = "C000001".to_string();
    let link = sandbox.json(&["--as-of", DAY, "portal", "link", &number]);
    assert_eq!(link["customer"], number.as_str());
    assert_eq!(link["expires_on"], "2027-02-23", "90 days from {DAY}");
    let url = link["url"].as_str().unwrap();
    assert!(url.starts_with("http://127.0.0.1:8080/p/"), "{url}");
    assert_eq!(url.len(), "http://127.0.0.1:8080/p/".len() + 32);
    // A company's own address and link lifetime.
    let config = sandbox.write(
        "portal.toml",
        "[portal]\npublic_url = \"https://mijn.example.nl/\"\nlink_days = 30\n",
    );
    let link = sandbox.json(&[
        "--config", &config, "--as-of", DAY, "portal", "link", &number,
    ]);
    assert!(
        link["url"]
            .as_str()
            .unwrap()
            .starts_with("https://mijn.example.nl/p/")
    );
    assert_eq!(link["expires_on"], "2026-12-25");
    // Revoke: both links end; audited.
    let revoked = sandbox.json(&["--as-of", DAY, "portal", "revoke", &number]);
    assert_eq!(revoked["revoked"], 2);
    let again = sandbox.json(&["--as-of", DAY, "portal", "revoke", &number]);
    assert_eq!(again["revoked"], 0);
    let audit = sandbox.ok(&["user", "audit", "--json"]);
    assert!(audit.contains("portal.revoke") && audit.contains("portal.link"));
    // Errors name what is wrong.
    let err = sandbox.fails(&["--as-of", DAY, "portal", "link", "NOPE"]);
    assert!(err.contains("NOPE"), "{err}");
    let bad = sandbox.write("bad.toml", "[portal]\npublic_url = \"ftp://x\"\n");
    let err = sandbox.fails(&["--config", &bad, "--as-of", DAY, "portal", "link", &number]);
    assert!(
        err.contains("public_url") && err.contains("ftp://x"),
        "{err}"
    );
    // Switched off: no links, and messages carry none.
    let off = sandbox.write("off.toml", "[portal]\nenabled = false\n");
    let err = sandbox.fails(&["--config", &off, "--as-of", DAY, "portal", "link", &number]);
    assert!(err.contains("enabled = false"), "{err}");
    sandbox.json(&["--config", &off, "--as-of", DAY, "dunning", "run"]);
    for name in sandbox.files("outbox") {
        let text = std::fs::read_to_string(sandbox.dir().join("outbox").join(&name)).unwrap();
        assert!(!unqp(&text).contains("/p/"), "{name} has no link");
    }
}
