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
