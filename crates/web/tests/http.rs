//! The web app over real HTTP on a free port with a fresh database: every
//! page and API route with each role, login, CSRF, permissions, escaping,
//! the audit log, and the OpenAPI document against what the server does.

mod common;

use common::{Client, login, request, start};

const PAGES: &[&str] = &[
    "/today",
    "/my",
    "/customers",
    "/check",
    "/dunning",
    "/payments",
    "/settings",
    "/users",
    "/settings/template?name=standard/reminder.nl.txt",
];

/// (own customer, someone else's customer) of the sales user.
fn customers_of(server: &common::Server) -> (String, String) {
    let mut tx = server.store.read().unwrap();
    let managers = tx.account_managers().unwrap();
    let mine = managers
        .iter()
        .find(|(_, m)| {
            m.email
                .as_ref()
                .is_some_and(|e| e.as_str() == server.sales_email)
        })
        .unwrap()
        .0;
    let directory = tx.customer_directory().unwrap();
    let own = directory
        .iter()
        .find(|c| c.account_manager == Some(mine))
        .unwrap()
        .number
        .clone();
    let other = directory
        .iter()
        .find(|c| c.account_manager.is_some() && c.account_manager != Some(mine))
        .unwrap()
        .number
        .clone();
    (own, other)
}

fn timeline_len(server: &common::Server, number: &str) -> usize {
    tegoed_app::read_tx(server.store.as_ref(), |tx| {
        let ledger = tegoed_app::facts::CustomerLedger::load(tx, number, common::as_of())?;
        tegoed_app::agreements::timeline(tx, &ledger, common::as_of(), tegoed_core::Language::En)
    })
    .unwrap()
    .len()
}

#[test]
fn pages_and_api_by_role() {
    let server = start(120);
    let addr = server.addr;
    let (own, other) = customers_of(&server);

    // Without a session pages redirect to the login page, the API says 401.
    for page in PAGES.iter().chain(&["/customers/C000001"]) {
        let r = request(addr, "GET", page, &[], None);
        assert_eq!(r.status, 303, "{page}");
        assert!(
            r.header("location").unwrap().starts_with("/login?next="),
            "{page}"
        );
    }
    for (method, path, _) in tegoed_web::api::ROUTES {
        let path = path.replace("{number}", &own).replace("{id}", "1");
        let r = request(addr, method, &path, &[], None);
        assert_eq!(r.status, 401, "{method} {path}");
        assert_eq!(r.json()["error"]["code"], "unauthorized");
    }
    let r = request(
        addr,
        "GET",
        "/api/v1/customers",
        &[("Authorization", "Bearer tgd_wrong")],
        None,
    );
    assert_eq!(r.status, 401);

    // Each role sees what it may.
    let expect: &[(&str, &[u16])] = &[
        (
            "admin@t.example",
            &[200, 200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "credit@t.example",
            &[200, 200, 200, 200, 200, 200, 200, 403, 200],
        ),
        (
            "collector@t.example",
            &[200, 200, 200, 200, 200, 200, 200, 403, 200],
        ),
        (
            &server.sales_email,
            &[303, 200, 200, 200, 403, 403, 200, 403, 200],
        ),
    ];
    for (email, statuses) in expect {
        let client = login(addr, email);
        for (page, status) in PAGES.iter().zip(statuses.iter()) {
            let r = client.get(page);
            assert_eq!(
                r.status,
                *status,
                "{email} {page}: {}",
                &r.body[..r.body.len().min(300)]
            );
            if r.status == 200 {
                assert!(r.body.contains("</html>"), "{email} {page}");
            }
        }
        let r = client.get(&format!("/customers/{own}"));
        assert_eq!(r.status, 200, "{email}: customer page");
        assert!(r.body.contains("id=\"timeline\""));
        let r = client.get(&format!("/check?customer={own}&amount=2500"));
        assert!(r.body.contains("data-verdict="), "{email}: check result");
        let r = client.get("/customers/NOPE");
        assert_eq!(r.status, 404);
    }

    // Sales acts on their own customers only; a refused action changes nothing.
    let sales = login(addr, &server.sales_email);
    let before = timeline_len(&server, &other);
    let r = sales.post(&format!("/customers/{other}/note"), &[("text", "not mine")]);
    assert_eq!(r.status, 403);
    assert_eq!(timeline_len(&server, &other), before);
    let r = sales.post(
        &format!("/customers/{own}/note"),
        &[("text", "Called about the new order")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        sales
            .get(&format!("/customers/{own}"))
            .body
            .contains("Called about the new order")
    );
    // …and may not do collection work at all.
    let before = timeline_len(&server, &own);
    let r = sales.post(
        &format!("/customers/{own}/pause"),
        &[("until", "2026-12-31"), ("reason", "x")],
    );
    assert_eq!(r.status, 403);
    let r = sales.post(&format!("/customers/{own}/limit"), &[("limit", "1")]);
    assert_eq!(r.status, 403);
    assert_eq!(timeline_len(&server, &own), before);
    let r = sales.post("/dunning/run", &[]);
    assert_eq!(r.status, 403);

    // A form without the CSRF token is refused and changes nothing.
    let collector = login(addr, "collector@t.example");
    let before = timeline_len(&server, &own);
    let r = collector.post_bare(&format!("/customers/{own}/note"), &[("text", "no token")]);
    assert_eq!(r.status, 403);
    assert!(r.body.contains("data-code=\"csrf\""));
    let r = collector.post_bare(
        &format!("/customers/{own}/note"),
        &[("csrf", "forged"), ("text", "forged")],
    );
    assert_eq!(r.status, 403);
    assert_eq!(timeline_len(&server, &own), before);

    // Every change is in the audit log.
    let log = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        tegoed_app::access::audit_log(tx, 50)
    })
    .unwrap();
    assert!(
        log.iter()
            .any(|a| a.action == "note.add" && a.actor == server.sales_email && a.subject == own)
    );
    let admin = login(addr, "admin@t.example");
    // The audit log names the action in words, with the moment in the
    // reader's format.
    assert!(admin.get("/users").body.contains("<td>note</td>"));
}

/// Regression: "50.000" typed into an amount field (fifty thousand, as a
/// Dutch person writes it) was refused as an amount with three decimals.
#[test]
fn an_amount_typed_with_a_thousands_point_is_read_as_thousands() {
    let server = start(30);
    let credit = login(server.addr, "credit@t.example");
    let last_audit = || {
        tegoed_app::read_tx(server.store.as_ref(), |tx| {
            tegoed_app::access::audit_log(tx, 1)
        })
        .unwrap()
        .remove(0)
    };
    for (typed, minor) in [("50.000", 5_000_000), ("€ 7,500", 750_000)] {
        let r = credit.post("/customers/C000001/limit", &[("limit", typed)]);
        assert_eq!(r.status, 303, "{typed}: {}", r.body);
        let detail = last_audit().detail;
        assert!(
            detail.contains(&format!("\"minor\":{minor},")),
            "{typed}: {detail}"
        );
    }
    // The promise form reads it the same way (it refused "50.000" while
    // the limit took it, found by trying both).
    let r = credit.post(
        "/customers/C000001/promise",
        &[("amount", "1.000"), ("date", "2026-12-20")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let detail = last_audit().detail;
    assert!(detail.contains("\"minor\":100000,"), "{detail}");
}

#[test]
fn the_audit_logs_details_read_in_the_readers_language() {
    let server = start(30);
    let credit = login(server.addr, "credit@t.example");
    let own = "C000001";
    let r = credit.post(
        &format!("/customers/{own}/pause"),
        &[("until", "2026-12-31"), ("reason", "Directeur op vakantie")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let r = credit.post(&format!("/customers/{own}/limit"), &[("limit", "12500")]);
    assert_eq!(r.status, 303, "{}", r.body);

    let admin = login(server.addr, "admin@t.example");
    let english = admin.get("/users").body;
    assert!(
        english.contains("until: 31 Dec 2026 · reason: Directeur op vakantie"),
        "{english}"
    );
    assert!(
        english.contains("limit: €\u{a0}12,500.00 · was: "),
        "{english}"
    );
    assert_eq!(
        admin
            .post("/account/language", &[("language", "nl")])
            .status,
        303
    );
    let dutch = admin.get("/users").body;
    assert!(
        dutch.contains("tot en met: 31-12-2026 · reden: Directeur op vakantie"),
        "{dutch}"
    );
    assert!(
        dutch.contains("limiet: €\u{a0}12.500,00 · was: "),
        "{dutch}"
    );
    // What the stored line holds is typed, not words of either language.
    let log = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        tegoed_app::access::audit_log(tx, 50)
    })
    .unwrap();
    let pause = log.iter().find(|a| a.action == "pause.set").unwrap();
    assert!(
        pause.detail.contains("\"date\":\"2026-12-31\""),
        "{}",
        pause.detail
    );
}

#[test]
fn hostile_names_and_notes_are_escaped() {
    let server = start(30);
    let hostile = "<script>alert('x')</script> \"Quote\" & Co";
    {
        let mut tx = server.store.write().unwrap();
        let mut c = tx.customer_by_number("C000001").unwrap().unwrap();
        c.customer.name = hostile.to_string();
        tx.update_customer(c.id, &c.customer).unwrap();
        tx.commit().unwrap();
    }
    let collector = login(server.addr, "collector@t.example");
    let r = collector.post(
        "/customers/C000001/note",
        &[("text", "<img src=x onerror=alert(1)> \"hi\"")],
    );
    assert_eq!(r.status, 303);
    server.state.cache.portfolio(&server.state, true).unwrap();
    for page in ["/customers/C000001", "/customers?q=script", "/today"] {
        let body = collector.get(page).body;
        assert!(
            !body.contains("<script>alert"),
            "{page} has a raw script tag"
        );
        assert!(!body.contains("<img src=x"), "{page} has a raw img tag");
        if page != "/today" {
            assert!(
                body.contains("&lt;script&gt;alert("),
                "{page} shows the name escaped"
            );
        }
    }
    assert!(
        collector
            .get("/customers/C000001")
            .body
            .contains("&lt;img src=x onerror=alert(1)&gt;")
    );
}

#[test]
fn logins_are_rate_limited_and_sessions_end_at_logout() {
    let server = start(20);
    let addr = server.addr;
    let page = request(addr, "GET", "/login", &[], None);
    let token = common::hidden(&page.body, "login_token").unwrap();
    let cookie = format!("tegoed_login={token}");
    let attempt = |password: &str| {
        request(
            addr,
            "POST",
            "/login",
            &[("Cookie", &cookie)],
            Some((
                "application/x-www-form-urlencoded",
                &common::form(&[
                    ("login_token", &token),
                    ("email", "credit@t.example"),
                    ("password", password),
                ]),
            )),
        )
    };
    for _ in 0..5 {
        assert_eq!(attempt("wrong password").status, 401);
    }
    assert_eq!(
        attempt(common::PASSWORD).status,
        429,
        "blocked even with the right password"
    );
    // Without the login form's token nobody logs in.
    let r = request(
        addr,
        "POST",
        "/login",
        &[],
        Some((
            "application/x-www-form-urlencoded",
            &common::form(&[("email", "admin@t.example"), ("password", common::PASSWORD)]),
        )),
    );
    assert_eq!(r.status, 403);

    let admin = login(addr, "admin@t.example");
    let r = admin.post("/logout", &[]);
    assert_eq!(r.status, 303);
    assert_eq!(admin.get("/customers").status, 303, "the session is gone");
    let set = r.cookies();
    assert!(
        set.iter()
            .any(|(k, v)| k == "tegoed_session" && v.is_empty())
    );
    let raw = r.header("set-cookie").unwrap();
    assert!(
        raw.contains("HttpOnly") && raw.contains("SameSite=Lax"),
        "{raw}"
    );
}

#[test]
fn sales_requests_a_pause_and_a_credit_manager_approves_it() {
    let server = start(120);
    let (own, _) = customers_of(&server);
    let sales = login(server.addr, &server.sales_email);
    let r = sales.post(
        &format!("/customers/{own}/pause-request"),
        &[("until", "2026-12-20"), ("reason", "New contract signed")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let requests = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        tegoed_app::access::pause_requests(tx, None, true)
    })
    .unwrap();
    assert_eq!(requests.len(), 1);
    let id = requests[0].id;
    // Sales and collectors may not decide.
    assert_eq!(
        sales
            .post(&format!("/pause-requests/{id}/approve"), &[])
            .status,
        403
    );
    let collector = login(server.addr, "collector@t.example");
    assert_eq!(
        collector
            .post(&format!("/pause-requests/{id}/approve"), &[])
            .status,
        403
    );
    let credit = login(server.addr, "credit@t.example");
    assert!(
        credit
            .get("/today")
            .body
            .contains(&format!("data-request=\"{id}\""))
    );
    assert_eq!(
        credit
            .post(&format!("/pause-requests/{id}/approve"), &[])
            .status,
        303
    );
    let state = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        tegoed_app::agreements::state_of(tx, &own)
    })
    .unwrap();
    assert_eq!(
        state.pause_until.map(|d| d.to_string()).as_deref(),
        Some("2026-12-20")
    );
    assert_eq!(
        credit
            .post(&format!("/pause-requests/{id}/approve"), &[])
            .status,
        422,
        "decided once"
    );
    // The timeline speaks the reader's language; notes stay as written.
    let english = credit.get(&format!("/customers/{own}")).body;
    assert!(english.contains("Dunning paused until 20 Dec 2026: New contract signed"));
    assert!(english.contains("Invoice "));
    assert_eq!(
        credit
            .post("/account/language", &[("language", "nl")])
            .status,
        303
    );
    let dutch = credit.get(&format!("/customers/{own}")).body;
    for text in [
        "Aanmaningen gepauzeerd tot en met 20-12-2026: New contract signed",
        "Aanmaanpauze tot en met 20-12-2026 gevraagd: New contract signed",
        "Factuur ",
        "Betaling van €",
    ] {
        assert!(dutch.contains(text), "no '{text}' on the Dutch page");
    }
    assert!(!dutch.contains("Dunning paused until"));
    // The salesperson who asked hears the answer on My customers.
    let my = sales.get("/my").body;
    assert!(
        my.contains("note-pause_approved") && my.contains("decided by credit@t.example"),
        "the decision on My customers"
    );
}

#[test]
fn the_api_does_what_the_openapi_document_says() {
    let server = start(300);
    let (own, _) = customers_of(&server);
    let token = tegoed_app::write_tx(server.store.as_ref(), |tx| {
        tegoed_app::access::create_api_token(tx, &common::system(), "credit@t.example", "test")
    })
    .unwrap();
    let auth = format!("Bearer {token}");
    let doc = request(server.addr, "GET", "/api/v1/openapi.json", &[], None).json();
    assert_eq!(doc["openapi"], "3.1.0");
    let invoice = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        let ledger = tegoed_app::facts::CustomerLedger::load(tx, &own, common::as_of())?;
        tegoed_app::reports::statement(tx, &ledger, common::as_of())
    })
    .unwrap()
    .open_items
    .first()
    .map(|i| i.invoice_number.clone())
    .unwrap_or_else(|| "2025-0000001".into());
    let task = {
        let mut tx = server.store.read().unwrap();
        tx.tasks(None, true).unwrap().first().map(|t| t.id)
    };
    let payment = tegoed_app::read_tx(server.store.as_ref(), tegoed_app::review::unmatched)
        .unwrap()
        .into_iter()
        .find_map(|p| {
            let invoices: Vec<String> = p
                .suggestion?
                .allocations
                .into_iter()
                .map(|a| a.invoice_number)
                .collect();
            (!invoices.is_empty()).then_some((p.payment_id, invoices))
        });
    // Appreciation: suggestions of three different customers (thank, gift,
    // dismiss), and a gift over budget by a salesperson for the credit
    // manager to approve and another to refuse.
    let mut open = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        tegoed_app::appreciation::open_suggestions(tx, None, common::as_of())
    })
    .unwrap();
    open.dedup_by(|a, b| a.customer == b.customer);
    assert!(open.len() >= 3, "the demo has customers to thank: {open:?}");
    let waiting: Vec<i64> = open[3..]
        .iter()
        .chain(open[..3].iter())
        .take(2)
        .map(|s| {
            let sales = tegoed_app::access::Actor {
                id: "sales@t.example".into(),
                role: tegoed_app::access::Role::Sales,
                account_manager: s.account_manager_id,
                language: tegoed_core::Language::Nl,
                at: 0,
            };
            tegoed_app::write_tx(server.store.as_ref(), |tx| {
                tegoed_app::appreciation::gift(
                    tx,
                    &sales,
                    &tegoed_app::config::Config::default_in(std::path::Path::new(".")),
                    &s.customer,
                    &tegoed_app::appreciation::NewGift {
                        item: "Lunch",
                        value: "999.00",
                        suggestion: None,
                    },
                    common::as_of(),
                )
            })
            .unwrap()
            .gift
            .id
        })
        .collect();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let mut url = path.replace(
                "{number}",
                if path.contains("invoices") {
                    &invoice
                } else {
                    &own
                },
            );
            let body: Option<String> = match (method.as_str(), path.as_str()) {
                ("post", "/api/v1/customers/{number}/notes") => {
                    Some(r#"{"text":"API note"}"#.into())
                }
                ("post", "/api/v1/check") => {
                    Some(format!(r#"{{"customer":"{own}","amount":"2500.00"}}"#))
                }
                ("post", "/api/v1/tasks/{id}/done") => match task {
                    Some(id) => {
                        url = url.replace("{id}", &id.to_string());
                        Some(r#"{"outcome":"Reached, pays Friday"}"#.into())
                    }
                    None => continue,
                },
                ("post", "/api/v1/payments/{id}/match") => match &payment {
                    Some((id, invoices)) => {
                        url = url.replace("{id}", id);
                        Some(serde_json::json!({ "invoices": invoices }).to_string())
                    }
                    None => continue,
                },
                // The same payment, matched just before (paths in order).
                ("post", "/api/v1/payments/{id}/undo") => match &payment {
                    Some((id, _)) => {
                        url = url.replace("{id}", id);
                        None
                    }
                    None => continue,
                },
                ("post", "/api/v1/appreciation/{id}/thank") => {
                    url = url.replace("{id}", &open[0].id.to_string());
                    None
                }
                ("post", "/api/v1/appreciation/{id}/gift") => {
                    url = url.replace("{id}", &open[1].id.to_string());
                    Some(r#"{"item":"Taart","value":"35.00"}"#.into())
                }
                ("post", "/api/v1/appreciation/{id}/dismiss") => {
                    url = url.replace("{id}", &open[2].id.to_string());
                    None
                }
                ("post", "/api/v1/gifts/{id}/approve") => {
                    url = url.replace("{id}", &waiting[0].to_string());
                    None
                }
                ("post", "/api/v1/gifts/{id}/refuse") => {
                    url = url.replace("{id}", &waiting[1].to_string());
                    None
                }
                ("get", _) => None,
                other => panic!("no example for {other:?}"),
            };
            if path == "/api/v1/customers" {
                url.push_str("?overdue=1&limit=5");
            }
            let headers = [("Authorization", auth.as_str())];
            let r = request(
                server.addr,
                &method.to_uppercase(),
                &url,
                &headers,
                body.as_deref().map(|b| ("application/json", b)),
            );
            let documented: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
            assert!(
                documented.contains(&&r.status.to_string()),
                "{method} {url}: {} not documented ({})",
                r.status,
                r.body
            );
            assert!(r.status < 300, "{method} {url}: {} {}", r.status, r.body);
            let schema =
                &op["responses"][r.status.to_string()]["content"]["application/json"]["schema"];
            let value = r.json();
            for key in schema["required"].as_array().into_iter().flatten() {
                assert!(
                    value.get(key.as_str().unwrap()).is_some(),
                    "{method} {url}: no '{key}' in {}",
                    r.body
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "checked {checked} operations");

    // Errors carry a stable code; roles apply to tokens too.
    let r = request(
        server.addr,
        "GET",
        "/api/v1/customers/NOPE",
        &[("Authorization", auth.as_str())],
        None,
    );
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let r = request(
        server.addr,
        "POST",
        "/api/v1/check",
        &[("Authorization", auth.as_str())],
        Some(("application/json", "{nope")),
    );
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (422, Some("invalid"))
    );
    let sales_token = tegoed_app::write_tx(server.store.as_ref(), |tx| {
        tegoed_app::access::create_api_token(tx, &common::system(), &server.sales_email, "crm")
    })
    .unwrap();
    let r = request(
        server.addr,
        "GET",
        "/api/v1/dunning/preview",
        &[("Authorization", &format!("Bearer {sales_token}"))],
        None,
    );
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
}

#[test]
fn a_promise_takes_the_customer_out_of_the_dunning_preview() {
    let server = start(120);
    let collector: Client = login(server.addr, "collector@t.example");
    let page = collector.get("/dunning");
    assert_eq!(page.status, 200);
    let preview = server.state.cache.preview(&server.state, true).unwrap();
    let target = preview
        .messages
        .iter()
        .find(|m| m.items.iter().all(|i| i.days_overdue > 0))
        .expect("someone overdue in the preview")
        .clone();
    assert!(
        page.body
            .contains(&format!("data-customer=\"{}\"", target.customer))
    );
    let r = collector.post(
        &format!("/customers/{}/promise", target.customer),
        &[("amount", &target.amounts.total), ("date", "2026-12-05")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = collector.get("/dunning");
    assert!(
        !page
            .body
            .contains(&format!("data-customer=\"{}\"", target.customer)),
        "still in the preview"
    );
}

#[test]
fn a_credit_manager_edits_a_message_template_with_a_live_preview() {
    let server = start(120);
    let live = server.state.live();
    let folder = live
        .config
        .delivery
        .templates
        .clone()
        .expect("a templates folder");
    // A customer today's run writes to, and the template of their step.
    let preview = server.state.cache.preview(&server.state, true).unwrap();
    let (customer, name) = preview
        .messages
        .iter()
        .filter(|m| m.channel == "email" || m.channel == "letter")
        .find_map(|m| {
            let template = &live
                .config
                .strategies
                .iter()
                .find(|s| s.id == m.strategy)?
                .steps
                .iter()
                .find(|st| st.id == m.step)?
                .template;
            Some((m.customer.clone(), format!("{template}.{}.txt", m.language)))
        })
        .expect("a message in today's run");
    let file = folder.join(&name);
    let subject_today = || {
        let preview = server.state.cache.preview(&server.state, true).unwrap();
        let message = preview.messages.iter().find(|m| m.customer == customer);
        message.unwrap().message.subject.clone()
    };
    let page = format!("/settings/template?name={}", common::enc(&name));
    let edited = "{% block subject %}Even bijpraten over {{ count }} factuur{% endblock %}\n\
                  {% block opening %}Hallo {{ customer.name }},{% endblock %}\n\
                  {% block closing %}Groet, {{ sender.name }}{% endblock %}";

    let credit = login(server.addr, "credit@t.example");
    let settings = credit.get("/settings").body;
    assert!(
        settings.contains(&format!(
            "href=\"/settings/template?name={}\"",
            common::enc(&name)
        )) || settings
            .replace("&#x2f;", "/")
            .contains(&format!("name={}", name)),
        "the template is listed"
    );
    assert!(
        !settings.contains("<code>"),
        "listed by what people call it, not by file name"
    );
    let r = credit.get(&page);
    assert_eq!(r.status, 200);
    assert!(r.body.contains("block subject"), "the text is shown");
    assert!(
        r.body.contains(&customer),
        "a customer who gets it today is offered"
    );

    // Preview on a real customer, before saving: nothing is written.
    let r = credit.post(
        "/settings/template/preview",
        &[("name", &name), ("source", edited), ("customer", &customer)],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("Even bijpraten over"),
        "the edit is previewed"
    );
    assert!(!file.exists());
    // A broken edit is explained in the preview and refused on save.
    let broken = "{% block subject %}{{ oops( }}{% endblock %}";
    let r = credit.post(
        "/settings/template/preview",
        &[("name", &name), ("source", broken), ("customer", &customer)],
    );
    assert!(r.body.contains("role=\"alert\""), "the error is shown");
    // In Dutch, what it means comes first (the parser's detail is English).
    credit.post("/account/language", &[("language", "nl")]);
    let r = credit.post(
        "/settings/template/preview",
        &[("name", &name), ("source", broken), ("customer", &customer)],
    );
    assert!(
        visible_text(&r.body).contains("Dit klopt nog niet, er is niets veranderd."),
        "{}",
        visible_text(&r.body)
    );
    credit.post("/account/language", &[("language", "en")]);
    let r = credit.post("/settings/template", &[("name", &name), ("source", broken)]);
    assert_eq!(r.status, 422);
    assert!(!file.exists());
    // Collectors and sales may look (and preview the saved text) but not save.
    let sales = login(server.addr, &server.sales_email);
    let r = sales.get(&format!("{page}&customer={}", common::enc(&customer)));
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("id=\"template-preview\""),
        "sales previews the saved text"
    );
    assert!(
        !r.body.contains("formaction=\"/settings/template\""),
        "no save button"
    );
    for email in ["collector@t.example", server.sales_email.as_str()] {
        let r = login(server.addr, email)
            .post("/settings/template", &[("name", &name), ("source", edited)]);
        assert_eq!(r.status, 403, "{email}");
    }
    assert!(!file.exists());

    // Saved: the file is in the folder and the next run uses it.
    let r = credit.post("/settings/template", &[("name", &name), ("source", edited)]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), edited);
    let subject = subject_today();
    assert!(subject.starts_with("Even bijpraten over"), "{subject}");
    assert!(credit.get("/settings").body.contains("tag\">your own text"));
    let log = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        tegoed_app::access::audit_log(tx, 10)
    })
    .unwrap();
    assert!(
        log.iter()
            .any(|a| a.action == "template.save" && a.subject == name)
    );

    // And back to the shipped text.
    let r = credit.post("/settings/template/reset", &[("name", &name)]);
    assert_eq!(r.status, 303);
    assert!(!file.exists());
    assert!(!subject_today().starts_with("Even bijpraten over"));
}

/// "1 facturen" / "1 invoices" on the Dunning page: a count of one takes
/// the singular, in both languages.
#[test]
fn one_invoice_is_not_counted_in_the_plural_on_the_dunning_page() {
    let server = start(120);
    let collector: Client = login(server.addr, "collector@t.example");
    let preview = server.state.cache.preview(&server.state, true).unwrap();
    assert!(
        preview.messages.iter().any(|m| m.items.len() == 1),
        "the demo has a message for one invoice"
    );
    for (language, singular, plural) in [
        ("nl", "1 factuur", "1 facturen"),
        ("en", "1 invoice", "1 invoices"),
    ] {
        let r = collector.post(
            "/account/language",
            &[("language", language), ("back", "/dunning")],
        );
        assert_eq!(r.status, 303, "{}", r.body);
        let page = collector.get("/dunning");
        assert!(page.body.contains(singular), "{language}: no '{singular}'");
        // "1 facturen", not the end of "11 facturen".
        let counted_one = page.body.match_indices(plural).any(|(at, _)| {
            !page.body[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_digit())
        });
        assert!(!counted_one, "{language}: '{plural}' on the page");
    }
}

/// Switching the language went back to the start page: it stays on the
/// page it was switched on.
#[test]
fn switching_the_language_stays_on_the_page() {
    let server = start(40);
    let client: Client = login(server.addr, "credit@t.example");
    let page = client.get("/payments");
    let back = common::hidden(&page.body, "back")
        .expect("the language form says where it was")
        .replace("&#x2f;", "/");
    assert_eq!(back, "/payments");
    let r = client.post("/account/language", &[("language", "nl"), ("back", &back)]);
    assert_eq!((r.status, r.header("location")), (303, Some("/payments")));
    assert!(client.get("/payments").body.contains("lang=\"nl\""));
}

/// After a run, a message opens as the customer got it: the e-mail's HTML
/// in a sandboxed frame (the QR code inline, nothing loaded from
/// elsewhere), a letter as its PDF; nobody reaches it through another
/// customer's address.
#[test]
fn a_sent_message_opens_as_the_customer_got_it() {
    let server = start(120);
    let collector = login(server.addr, "collector@t.example");
    let r = collector.post("/dunning/run", &[]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/dunning/progress"));
    let progress = common::wait_for_run(&collector);
    assert!(
        progress.body.contains("data-state=\"done\""),
        "{}",
        progress.body
    );
    let sent = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        tegoed_app::dunning::messages(tx, None, Some(common::as_of()))
    })
    .unwrap();
    let email = sent
        .iter()
        .find(|m| m.channel == "email")
        .expect("an e-mail was sent");
    let page = collector.get(&format!(
        "/customers/{}/messages/{}",
        email.customer, email.id
    ));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("<iframe class=\"as-sent\" sandbox"),
        "{}",
        page.body
    );
    let view = collector.get(&format!(
        "/customers/{}/messages/{}/email",
        email.customer, email.id
    ));
    assert_eq!(view.status, 200);
    let policy = view.header("content-security-policy").unwrap();
    assert!(
        policy.contains("default-src 'none'") && policy.contains("sandbox"),
        "{policy}"
    );
    assert!(view.body.starts_with("<!DOCTYPE html>"));
    assert!(
        view.body.contains(&email.subject.replace('\'', "&#39;"))
            || view.body.contains(&email.subject)
    );
    assert!(!view.body.contains("cid:epc-qr"), "the QR code is inline");

    // Its letter layout (what a letter sends) as PDF.
    let pdf = collector.get(&format!(
        "/customers/{}/messages/{}/pdf",
        email.customer, email.id
    ));
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(pdf.body.starts_with("%PDF-"));

    // Another customer's address does not reach this message.
    let other = sent
        .iter()
        .find(|m| m.customer != email.customer)
        .expect("another customer");
    let wrong = collector.get(&format!(
        "/customers/{}/messages/{}/email",
        other.customer, email.id
    ));
    assert_eq!(wrong.status, 404);
}

/// Today starts with what the reader does first: a collector's worklist
/// (calls, broken promises, disputes, payments to match), a credit
/// manager's decisions and then the portfolio.
#[test]
fn today_puts_each_roles_own_work_first() {
    let server = start(120);
    let order = |email: &str| -> Vec<usize> {
        let body = login(server.addr, email).get("/today").body;
        ["id=\"worklist\"", "id=\"decisions\"", "class=\"totals\""]
            .iter()
            .map(|marker| {
                body.find(marker)
                    .unwrap_or_else(|| panic!("{email}: {marker}"))
            })
            .collect()
    };
    let collector = order("collector@t.example");
    assert!(
        collector[0] < collector[1] && collector[1] < collector[2],
        "{collector:?}"
    );
    let credit = order("credit@t.example");
    assert!(credit[1] < credit[2] && credit[2] < credit[0], "{credit:?}");
}

/// A credit manager changes a segment through the form: the conditions are
/// rows of a fact, a comparison and a value; a wrong value is named at its
/// row in the reader's language; a preview shows where a real customer
/// lands; saving writes the settings file with its comments and puts it in
/// force. A collector may not.
#[test]
fn a_credit_manager_edits_a_segment_through_the_form() {
    let server = common::start_with(120, true);
    let credit = login(server.addr, "credit@t.example");
    let r = credit.post(
        "/account/language",
        &[("language", "nl"), ("back", "/settings")],
    );
    assert_eq!(r.status, 303);
    let settings = credit.get("/settings").body;
    assert!(settings.contains("href=\"/settings/segments/watch_list\""));
    let page = credit.get("/settings/segments/watch_list");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("gemiddeld aantal dagen te laat"));
    assert!(
        page.body.contains("name=\"a0r0_fact\""),
        "the rows are a form"
    );
    let mut form: Vec<(String, String)> = vec![
        ("name_nl".into(), "Kritisch volgen".into()),
        ("name_en".into(), "Watch list".into()),
        ("strategy".into(), "critical".into()),
        ("a0r0_fact".into(), "avg_days_late".into()),
        ("a0r0_op".into(), "min".into()),
        ("a0r0_value".into(), "veel".into()),
        ("a1r0_fact".into(), "max_days_overdue".into()),
        ("a1r0_op".into(), "min".into()),
        ("a1r0_value".into(), "60".into()),
        ("customer".into(), "C000001".into()),
    ];
    let pairs = |form: &[(String, String)]| -> Vec<(String, String)> { form.to_vec() };
    let send = |path: &str, form: &[(String, String)]| {
        let borrowed: Vec<(&str, &str)> =
            form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        credit.post(path, &borrowed)
    };
    // A wrong value: the form again, the mistake at its row, in Dutch.
    let wrong = send("/settings/segments/watch_list/preview", &pairs(&form));
    assert_eq!(wrong.status, 200, "{}", wrong.body);
    assert!(
        wrong.body.contains("aria-invalid=\"true\""),
        "{}",
        wrong.body
    );
    assert!(
        wrong
            .body
            .contains("gemiddeld aantal dagen te laat: &#x27;veel&#x27; is geen aantal dagen"),
        "{}",
        wrong.body
    );
    // A good one: the preview says where the customer lands.
    form[5].1 = "45".into();
    let preview = send("/settings/segments/watch_list/preview", &pairs(&form));
    assert_eq!(preview.status, 200);
    assert!(preview.body.contains("id=\"preview\""), "{}", preview.body);
    assert!(
        preview
            .body
            .contains("Met deze instellingen hoort deze klant bij")
    );
    // Saved: the file keeps its comments, the server its new settings.
    let saved = send("/settings/segments/watch_list/save", &pairs(&form));
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(saved.header("location").unwrap().contains("done=settings"));
    let text = std::fs::read_to_string(&server.settings).unwrap();
    assert!(text.contains("# --- Strategies"), "comments stay");
    assert!(text.contains("avg_days_late_min = 45"), "{text}");
    let live = server.state.live();
    let watch = live
        .config
        .segments
        .iter()
        .find(|s| s.id == "watch_list")
        .unwrap();
    assert_eq!(watch.when.len(), 2);
    assert_eq!(watch.when[0].avg_days_late_min, Some(45.0));
    assert_eq!(watch.when[1].max_days_overdue_min, Some(60));
    // A collector may not change settings.
    let collector = login(server.addr, "collector@t.example");
    assert_eq!(collector.get("/settings/segments/watch_list").status, 403);
    assert_eq!(
        collector
            .post("/settings/segments/watch_list/save", &[("name_nl", "x")])
            .status,
        403
    );
}

/// A credit manager changes a strategy through the form: its steps are rows
/// (days, kind, how it is sent, the words, who signs, from what amount,
/// effects); a wrong value is named at its row in the reader's language; a
/// ladder the settings refuse is refused in words; a preview shows what a
/// real customer gets today; saving writes the settings file with its
/// comments and puts it in force. A collector may not.
#[test]
fn a_credit_manager_edits_a_strategy_through_the_form() {
    let server = common::start_with(120, true);
    let credit = login(server.addr, "credit@t.example");
    let r = credit.post(
        "/account/language",
        &[("language", "nl"), ("back", "/settings")],
    );
    assert_eq!(r.status, 303);
    let settings = credit.get("/settings").body;
    assert!(
        settings.contains("href=\"/settings/strategies/light\""),
        "{settings}"
    );
    let page = credit.get("/settings/strategies/light");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("name=\"s0_offset\""),
        "the steps are a form"
    );
    assert!(page.body.contains("laatste aanmaning"), "kinds in Dutch");
    assert!(page.body.contains("Ondertekend door"));
    let live = server.state.live();
    let light = live.config.strategy("light").unwrap().clone();
    drop(live);
    let mut form: Vec<(String, String)> = vec![
        ("name_nl".into(), "Licht".into()),
        ("name_en".into(), "Light".into()),
        ("tone".into(), "light".into()),
        ("customer".into(), "C000001".into()),
    ];
    for (r, step) in light.steps.iter().enumerate() {
        let mut add = |part: &str, value: String| form.push((format!("s{r}_{part}"), value));
        add("id", step.id.clone());
        add("kind", step.kind.as_str().into());
        add("offset", step.offset_days.to_string());
        add("channel", step.channel.as_str().into());
        add("template", step.template.clone());
        add("sender", step.sender.as_str().into());
        add("min_overdue", (step.min_overdue_minor / 100).to_string());
        for e in &step.effects {
            add(&format!("effect_{}", e.as_str()), "on".into());
        }
    }
    let send = |path: &str, form: &[(String, String)]| {
        let borrowed: Vec<(&str, &str)> =
            form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        credit.post(path, &borrowed)
    };
    let set = |form: &mut Vec<(String, String)>, key: &str, value: &str| {
        form.iter_mut().find(|(k, _)| k == key).unwrap().1 = value.into();
    };
    // A wrong value: the form again, the mistake at its row, in Dutch.
    let mut wrong = form.clone();
    set(&mut wrong, "s1_offset", "twee weken");
    let page = send("/settings/strategies/light/preview", &wrong);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("aria-invalid=\"true\""), "{}", page.body);
    assert!(
        page.body
            .contains("stap 2: &#x27;twee weken&#x27; is geen aantal dagen"),
        "{}",
        page.body
    );
    // The hand-off before the final notice: refused as a whole.
    let mut wrong = form.clone();
    set(&mut wrong, "s4_offset", "30");
    let page = send("/settings/strategies/light/save", &wrong);
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        page.body.contains("direct na de laatste aanmaning"),
        "{}",
        page.body
    );
    assert!(page.body.contains("value=\"30\""), "what was typed stays");
    // A good change: the reminder a week after the due date; the preview
    // shows what the customer gets.
    set(&mut form, "s0_offset", "7");
    let preview = send("/settings/strategies/light/preview", &form);
    assert_eq!(preview.status, 200);
    assert!(preview.body.contains("id=\"preview\""), "{}", preview.body);
    let saved = send("/settings/strategies/light/save", &form);
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(saved.header("location").unwrap().contains("done=settings"));
    let text = std::fs::read_to_string(&server.settings).unwrap();
    assert!(text.contains("# --- Strategies"), "comments stay");
    let live = server.state.live();
    let light = live.config.strategy("light").unwrap();
    assert_eq!(light.steps[0].offset_days, 7);
    assert_eq!(light.steps[0].id, "reminder", "ids stay");
    assert_eq!(light.steps.len(), 5);
    // A collector may not change settings.
    let collector = login(server.addr, "collector@t.example");
    assert_eq!(collector.get("/settings/strategies/light").status, 403);
    assert_eq!(
        collector
            .post("/settings/strategies/light/save", &[("name_nl", "x")])
            .status,
        403
    );
}

/// A credit policy rule through its form: the rules are rows on the
/// settings page, a wrong value comes back at its row, the preview runs the
/// pre-sale check under the edited rule, and a save keeps the rule's place
/// and the file's comments and puts it in force.
#[test]
fn a_credit_manager_edits_a_policy_rule_through_the_form() {
    let server = common::start_with(120, true);
    let credit = login(server.addr, "credit@t.example");
    let r = credit.post(
        "/account/language",
        &[("language", "nl"), ("back", "/settings")],
    );
    assert_eq!(r.status, 303);
    let settings = credit.get("/settings").body;
    assert!(settings.contains("id=\"policy-rules\""), "rules as rows");
    assert!(settings.contains("href=\"/settings/policy/high_risk\""));
    let page = credit.get("/settings/policy/high_risk");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("name=\"a0r0_fact\""),
        "conditions as rows"
    );
    assert!(page.body.contains("Verkoopvoorwaarden"));
    let form: Vec<(&str, &str)> = vec![
        ("verdict", "conditions"),
        ("a0r0_fact", "risk_classes"),
        ("a0r0_op", "in"),
        ("a0r0_value", "D"),
        ("a1r0_fact", "deal"),
        ("a1r0_op", "min"),
        ("a1r0_value", "75.000,00"),
        ("terms_days", "14"),
        ("prepayment_pct", "40"),
        ("flag_direct_debit", "1"),
        (
            "reason_nl",
            "Deze klant betaalt vaak laat, of de order is heel groot.",
        ),
        (
            "reason_en",
            "This customer often pays late, or the order is very large.",
        ),
        ("customer", "C000001"),
        ("amount", "80000"),
    ];
    // A wrong value: the form again, the mistake at its row, in Dutch.
    let mut wrong = form.clone();
    wrong[6] = ("a1r0_value", "heel veel");
    let page = credit.post("/settings/policy/high_risk/preview", &wrong);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("aria-invalid=\"true\""), "{}", page.body);
    assert!(
        page.body.contains("&#x27;heel veel&#x27; is geen bedrag"),
        "{}",
        page.body
    );
    // The preview: the check of a real customer and order under the edit.
    let preview = credit.post("/settings/policy/high_risk/preview", &form);
    assert_eq!(preview.status, 200);
    assert!(preview.body.contains("id=\"preview\""), "{}", preview.body);
    assert!(preview.body.contains("class=\"verdict verdict-"));
    // Conditions without any condition of sale: refused as a whole (422),
    // what was typed stays.
    let mut bare: Vec<(&str, &str)> = form.clone();
    bare.retain(|(k, _)| !matches!(*k, "terms_days" | "prepayment_pct" | "flag_direct_debit"));
    let refused = credit.post("/settings/policy/high_risk/save", &bare);
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("minstens één voorwaarde"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("75.000,00"), "what was typed stays");
    // Saved: in force, in its place, comments kept.
    let before: Vec<String> = server
        .state
        .live()
        .config
        .policy
        .rules
        .iter()
        .map(|r| r.id.clone())
        .collect();
    let saved = credit.post("/settings/policy/high_risk/save", &form);
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(saved.header("location").unwrap().contains("done=settings"));
    let text = std::fs::read_to_string(&server.settings).unwrap();
    assert!(text.contains("# Gross margin on sales"), "comments stay");
    let live = server.state.live();
    let rules = &live.config.policy.rules;
    assert_eq!(
        rules.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        before,
        "the order stays (first match wins)"
    );
    let rule = rules.iter().find(|r| r.id == "high_risk").unwrap();
    assert_eq!(rule.when.len(), 2);
    assert_eq!(rule.when[1].deal_min, Some(7_500_000));
    assert_eq!(
        rule.requirements,
        vec![
            tegoed_core::policy::Requirement::Prepayment(0.4),
            tegoed_core::policy::Requirement::ShorterTerms(14),
            tegoed_core::policy::Requirement::DirectDebit,
        ]
    );
    drop(live);
    // A collector may not change the policy.
    let collector = login(server.addr, "collector@t.example");
    assert_eq!(collector.get("/settings/policy/high_risk").status, 403);
    assert_eq!(
        collector
            .post("/settings/policy/high_risk/save", &form)
            .status,
        403
    );
    assert_eq!(credit.get("/settings/policy/nothing").status, 404);
}

/// The company, legal and dunning settings through a form: every mistake
/// at its field in the reader's language (the form as typed, 422), a good
/// save written into the settings file with its comments and in force.
#[test]
fn a_credit_manager_edits_the_company_and_legal_settings_through_the_form() {
    let server = common::start_with(60, true);
    let credit = login(server.addr, "credit@t.example");
    let r = credit.post(
        "/account/language",
        &[("language", "nl"), ("back", "/settings")],
    );
    assert_eq!(r.status, 303);
    assert!(
        credit
            .get("/settings")
            .body
            .contains("href=\"/settings/company\"")
    );
    let page = credit.get("/settings/company");
    assert_eq!(page.status, 200, "{}", page.body);
    let value = |name: &str| common::hidden(&page.body, name);
    let mut form: Vec<(String, String)> = [
        "name",
        "iban",
        "bic",
        "phone",
        "email",
        "website",
        "kvk",
        "collector_name",
        "collector_email",
        "collector_phone",
        "vat_rate",
        "email_receipt_working_days",
        "letter_receipt_working_days",
        "pay_within_days",
        "plan_grace_days",
        "min_amount",
        "call_due_working_days",
    ]
    .iter()
    .map(|k| {
        (
            k.to_string(),
            value(k).unwrap_or_else(|| panic!("{k} on the form")),
        )
    })
    .collect();
    form.push((
        "address".into(),
        "Keizersgracht 100\n1015 AA Amsterdam".into(),
    ));
    form.push(("language".into(), "nl".into()));
    let minimum = form
        .iter()
        .find(|(k, _)| k == "min_amount")
        .unwrap()
        .1
        .clone();
    assert!(minimum.contains(','), "a Dutch amount: {minimum}");
    let send = |form: &[(String, String)]| {
        let borrowed: Vec<(&str, &str)> =
            form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        credit.post("/settings/company", &borrowed)
    };
    let set = |form: &mut Vec<(String, String)>, key: &str, to: &str| {
        form.iter_mut().find(|(k, _)| k == key).unwrap().1 = to.into();
    };
    let mut wrong = form.clone();
    set(&mut wrong, "iban", "NL00 FOUT");
    set(&mut wrong, "pay_within_days", "twee weken");
    let refused = send(&wrong);
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("&#x27;NL00 FOUT&#x27; is geen geldig IBAN")
    );
    assert!(
        refused
            .body
            .contains("&#x27;twee weken&#x27; is geen aantal dagen")
    );
    assert_eq!(refused.body.matches("aria-invalid=\"true\"").count(), 2);
    assert!(
        refused.body.contains("value=\"twee weken\""),
        "what was typed stays"
    );
    set(&mut form, "name", "Bakkerij Jansen B.V.");
    set(&mut form, "min_amount", "12,50");
    form.push(("vat_uplift".into(), "1".into()));
    let saved = send(&form);
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(saved.header("location").unwrap().contains("done=settings"));
    let text = std::fs::read_to_string(&server.settings).unwrap();
    assert!(
        text.contains("# When a 14-day letter counts as received"),
        "comments stay"
    );
    let live = server.state.live();
    assert_eq!(live.config.company.name, "Bakkerij Jansen B.V.");
    assert_eq!(live.config.dunning.min_amount_minor, 1250);
    assert!(live.config.legal.vat_uplift);
    drop(live);
    let collector = login(server.addr, "collector@t.example");
    assert_eq!(collector.get("/settings/company").status, 403);
}

/// The matcher's notes on the queue read in the reader's language, also
/// after a person's match is undone; they are stored typed, not as
/// English sentences translated by patterns.
#[test]
fn the_matchers_notes_read_in_the_readers_language() {
    let server = start(120);
    common::import_demo_statement(&server, 40, 5);
    let english = [
        "no reference",
        "known account",
        "suggested because",
        "already paid",
        "decided by a person",
    ];
    let collector = login(server.addr, "collector@t.example");
    let page = visible_text(&collector.get("/payments").body);
    assert!(page.contains("suggested because"), "{page}");
    collector.post("/account/language", &[("language", "nl")]);
    let dutch = |collector: &common::Client| {
        let page = visible_text(&collector.get("/payments").body);
        assert!(page.contains("voorgesteld omdat"), "{page}");
        for words in english {
            assert!(!page.contains(words), "{words}: {page}");
        }
    };
    dutch(&collector);
    // Matched by a person and undone: the note of before, in Dutch.
    let queue = tegoed_app::read_tx(server.store.as_ref(), tegoed_app::review::unmatched).unwrap();
    let (id, invoice) = queue
        .iter()
        .find_map(|l| {
            let s = l.suggestion.as_ref()?;
            Some((
                l.payment_id.clone(),
                s.allocations.first()?.invoice_number.clone(),
            ))
        })
        .expect("a payment with a suggested invoice");
    let matched = collector.post(&format!("/payments/{id}/match"), &[("invoices", &invoice)]);
    assert_eq!(matched.status, 303, "{}", matched.body);
    let undone = collector.post(&format!("/payments/{id}/undo"), &[]);
    assert_eq!(undone.status, 303, "{}", undone.body);
    dutch(&collector);
    let stored = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        let p = tx.payment_by_external_id(&id)?.unwrap();
        Ok(tx.payment_match(p.id)?.note)
    })
    .unwrap()
    .unwrap();
    assert!(stored.starts_with('{'), "typed: {stored}");
}

/// A payment matched from the queue is undone from its confirmation: the
/// invoice is open again and the payment back on the list; a pause is
/// undone the same way (ended today, with why on the timeline).
#[test]
fn a_match_and_a_pause_are_undone_from_their_confirmation() {
    let server = start(120);
    common::import_demo_statement(&server, 40, 5);
    let queue = tegoed_app::read_tx(server.store.as_ref(), tegoed_app::review::unmatched).unwrap();
    let (line, invoice) = queue
        .iter()
        .find_map(|l| {
            let s = l.suggestion.as_ref()?;
            Some((l, s.allocations.first()?.invoice_number.clone()))
        })
        .expect("a payment with a suggested invoice");
    let id = line.payment_id.clone();
    let open = |server: &common::Server| {
        tegoed_app::read_tx(server.store.as_ref(), |tx| {
            let stored = tx.invoice_by_number(&invoice)?.unwrap();
            Ok(tx.allocations_to(stored.id)?.len())
        })
        .unwrap()
    };
    let allocations_before = open(&server);
    let collector = login(server.addr, "collector@t.example");
    collector.post(
        "/account/language",
        &[("language", "nl"), ("back", "/payments")],
    );
    let matched = collector.post(&format!("/payments/{id}/match"), &[("invoices", &invoice)]);
    assert_eq!(matched.status, 303, "{}", matched.body);
    let page = collector.get(matched.header("location").unwrap());
    assert!(visible_text(&page.body).contains(&format!("Betaling {id} gekoppeld aan {invoice}")));
    assert!(
        page.body
            .replace("&#x2f;", "/")
            .contains(&format!("action=\"/payments/{id}/undo\"")),
        "the confirmation offers undo: {}",
        page.body
    );
    assert!(open(&server) > allocations_before);
    let undone = collector.post(&format!("/payments/{id}/undo"), &[]);
    assert_eq!(undone.status, 303, "{}", undone.body);
    let location = undone.header("location").unwrap().to_string();
    assert!(location.contains("done=payment_undone"), "{location}");
    let page = collector.get(&location);
    assert!(
        visible_text(&page.body)
            .contains(&format!("Ongedaan: betaling {id} staat weer op de lijst")),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("id=\"undo\""),
        "an undo is not undone again here"
    );
    assert!(
        !visible_text(&page.body).contains("(0%)"),
        "the chosen customer is suggested without a made-up confidence"
    );
    assert_eq!(
        open(&server),
        allocations_before,
        "the invoice is open as before"
    );
    let queue = tegoed_app::read_tx(server.store.as_ref(), tegoed_app::review::unmatched).unwrap();
    assert!(
        queue.iter().any(|l| l.payment_id == id),
        "back on the queue"
    );
    let twice = collector.post(&format!("/payments/{id}/undo"), &[]);
    assert_eq!(twice.status, 409, "a second click changes nothing");
    assert!(
        visible_text(&twice.body).contains("Dit is intussen al gedaan of veranderd"),
        "{}",
        visible_text(&twice.body)
    );

    // Regression (found by trying it): a payment matched to an invoice
    // that is paid already pays nothing; the confirmation says so instead
    // of "matched".
    let again = collector.post(&format!("/payments/{id}/match"), &[("invoices", &invoice)]);
    assert_eq!(again.status, 303);
    let other = queue
        .iter()
        .find(|l| l.payment_id != id && l.unallocated.minor > 0)
        .expect("a second payment on the queue");
    let late = collector.post(
        &format!("/payments/{}/match", other.payment_id),
        &[("invoices", &invoice)],
    );
    assert_eq!(late.status, 303, "{}", late.body);
    let page = collector.get(late.header("location").unwrap());
    let text = visible_text(&page.body);
    assert!(
        text.contains(&format!(
            "Betaling {} betaalde geen factuur: op {invoice} staat niets open",
            other.payment_id
        )),
        "{text}"
    );
    assert!(!text.contains("gekoppeld aan"), "{text}");

    // A pause: undone from its confirmation, ended today with why.
    let customer = "C000001";
    let paused = collector.post(
        &format!("/customers/{customer}/pause"),
        &[("until", "2026-12-20"), ("reason", "Klant belt terug")],
    );
    assert_eq!(paused.status, 303, "{}", paused.body);
    let page = collector.get(paused.header("location").unwrap());
    assert!(
        page.body
            .replace("&#x2f;", "/")
            .contains(&format!("action=\"/customers/{customer}/end-pause\""))
    );
    let ended = collector.post(
        &format!("/customers/{customer}/end-pause"),
        &[("undo", "1")],
    );
    assert_eq!(ended.status, 303, "{}", ended.body);
    let page = collector.get(ended.header("location").unwrap());
    assert!(visible_text(&page.body).contains("Per vergissing gepauzeerd; ongedaan gemaakt."));
    // Regression (found by trying it): a pause that replaced a running one
    // offers no undo, which would end the earlier pause too.
    let first = collector.post(
        &format!("/customers/{customer}/pause"),
        &[
            ("until", "2026-12-12"),
            ("reason", "Zegt betaald te hebben"),
        ],
    );
    assert_eq!(first.status, 303);
    let second = collector.post(
        &format!("/customers/{customer}/pause"),
        &[("until", "2026-12-20"), ("reason", "Klant belt terug")],
    );
    let page = collector.get(second.header("location").unwrap());
    assert!(
        visible_text(&page.body).contains("Aanmanen gepauzeerd tot"),
        "{}",
        visible_text(&page.body)
    );
    assert!(
        !page.body.contains("id=\"undo\""),
        "no undo that would end the first pause"
    );
}

/// The text between tags, entities of quotes decoded.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&#x27;", "'")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The payments queue, the audit log and a customer's open items sort by
/// column, total the filtered set and export exactly it as CSV and Excel.
#[test]
fn lists_sort_total_and_export_what_they_show() {
    let server = start(120);
    let to_review = common::import_demo_statement(&server, 40, 5).to_review;
    assert!(to_review > 1);
    let collector = login(server.addr, "collector@t.example");
    let page = collector.get("/payments?sort=amount&dir=desc");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("aria-sort=\"descending\""));
    assert!(page.body.contains("class=\"totals-row\""));
    let csv = collector.get("/payments?sort=amount&dir=desc&format=csv");
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(
        csv.body.starts_with('\u{feff}'),
        "a byte-order mark, so Excel reads € and ë as UTF-8"
    );
    let body = csv.body.trim_start_matches('\u{feff}');
    let rows: Vec<Vec<&str>> = body.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows[0][..2], ["Date", "Amount"]);
    let amounts: Vec<f64> = rows[1..].iter().map(|r| r[1].parse().unwrap()).collect();
    assert_eq!(amounts.len() as u64, to_review, "the whole queue");
    assert!(amounts.windows(2).all(|w| w[0] >= w[1]), "largest first");
    let cents: i64 = amounts.iter().map(|a| (a * 100.0).round() as i64).sum();
    let total = tegoed_app::format::money(cents, "EUR", tegoed_core::Language::En);
    assert!(
        page.body.contains(&total.replace('\u{a0}', "&nbsp;")) || page.body.contains(&total),
        "the page's total is the file's sum: {total}"
    );
    let xlsx = collector.get("/payments?format=xlsx");
    assert_eq!(
        xlsx.header("content-type"),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    assert!(xlsx.body.starts_with("PK"));

    // The audit log, oldest first, as a file.
    let admin = login(server.addr, "admin@t.example");
    let log = admin.get("/users?sort=at&dir=asc&format=csv");
    assert_eq!(log.status, 200);
    let lines: Vec<&str> = log.body.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("When (UTC),Who,What"));
    assert!(lines.len() > 2);
    assert!(
        lines[1] <= lines[2] || lines[1][..16] <= lines[2][..16],
        "oldest first"
    );

    // A customer's open items, with their total.
    let book = server.state.cache.portfolio(&server.state, true).unwrap();
    let customer = book
        .rows
        .iter()
        .filter(|r| r.open_minor > 0)
        .max_by_key(|r| r.open_minor)
        .unwrap();
    let items = collector.get(&format!(
        "/customers/{}?sort=open&format=csv",
        customer.number
    ));
    let open: i64 = items
        .body
        .trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .map(|l| (l.split(',').nth(3).unwrap().parse::<f64>().unwrap() * 100.0).round() as i64)
        .sum();
    let statement = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        let ledger =
            tegoed_app::facts::CustomerLedger::load(tx, &customer.number, common::as_of())?;
        tegoed_app::reports::statement(tx, &ledger, common::as_of())
    })
    .unwrap();
    let expected: i64 = statement
        .open_items
        .iter()
        .map(|i| i.open_amount.minor)
        .sum();
    assert_eq!(open, expected, "the file holds every open item");
}

/// The Scoreboard for every role: the last full month's ranking (the
/// leader marked), a salesperson's own row and the customers behind their
/// late money, a CSV for payroll with the report's figures, and on My
/// customers what their late payers cost this quarter.
#[test]
fn the_scoreboard_ranks_sales_that_were_paid_on_time() {
    let server = start(120);
    let report = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        let config = server.state.live();
        let period = tegoed_app::scoreboard::period_of(None, common::as_of())?;
        tegoed_app::scoreboard::paid_on_time(tx, &config.config, common::as_of(), period, None)
    })
    .unwrap();
    assert!(report.rows.len() > 1, "several salespeople");
    for email in ["admin@t.example", "credit@t.example", "collector@t.example"] {
        let page = login(server.addr, email).get("/scoreboard");
        assert_eq!(page.status, 200, "{email}");
        assert!(
            page.body.contains("class=\"leader"),
            "{email}: the leader is marked"
        );
    }
    let sales = login(server.addr, &server.sales_email);
    let page = sales.get("/scoreboard");
    assert!(page.body.contains(" own\""), "their own row stands out");
    assert!(
        page.body.contains("id=\"late-money\""),
        "their customers behind the figures"
    );
    let csv = sales.get("/scoreboard?format=csv");
    assert_eq!(csv.status, 200);
    let lines: Vec<&str> = csv.body.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("Rank,Account manager,Invoices,Invoiced,Paid on time"));
    assert_eq!(lines.len() - 1, report.rows.len());
    let on_time: i64 = lines[1..]
        .iter()
        .map(|l| (l.split(',').nth(4).unwrap().parse::<f64>().unwrap() * 100.0).round() as i64)
        .sum();
    assert_eq!(on_time, report.total.paid_on_time.minor);
    let first = lines[1].split(',').nth(1).unwrap();
    assert_eq!(Some(first), report.rows[0].account_manager.as_deref());
    let my = sales.get("/my");
    assert!(my.body.contains("id=\"late-cost\""), "{}", my.body);
}

/// Sales records the agreement made at the sale on the customer page; the
/// page confirms it and lists it, and the pre-sale check ticks the terms.
#[test]
fn sales_records_the_agreement_made_at_the_sale() {
    let server = start(120);
    let (own, _) = customers_of(&server);
    let sales = login(server.addr, &server.sales_email);
    let page = sales.get(&format!("/customers/{own}"));
    assert!(page.body.contains("id=\"sale-agreement-form\""));
    let r = sales.post(
        &format!("/customers/{own}/sale-agreement"),
        &[
            ("terms", "14"),
            ("method", "transfer"),
            ("agreed_with", "Jan de Vries"),
            ("date", "2026-11-20"),
            ("invoice_contact", ""),
            ("note", ""),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let back = sales.get(r.header("location").unwrap());
    assert!(
        back.body
            .contains("Payment agreement made at the sale saved: 14 days.")
    );
    assert!(back.body.contains("id=\"sale-agreements\""));
    assert!(back.body.contains("Jan de Vries"));
    let check = sales.get(&format!("/check?customer={own}&amount=500"));
    assert_eq!(check.status, 200);
    assert!(
        check.body.contains("id=\"terms-agreed\"")
            || check.body.contains("data-verdict=\"prepay\"")
    );
    // Another salesperson's customer is not theirs to agree for.
    let book = server.state.cache.portfolio(&server.state, true).unwrap();
    let mine = sales_manager(&server);
    let other = book
        .rows
        .iter()
        .find(|r| r.account_manager.is_some() && r.account_manager != Some(mine))
        .unwrap()
        .number
        .clone();
    let refused = sales.post(
        &format!("/customers/{other}/sale-agreement"),
        &[
            ("terms", "14"),
            ("agreed_with", "X"),
            ("date", "2026-11-20"),
        ],
    );
    assert_eq!(refused.status, 403);
}

fn sales_manager(server: &common::Server) -> tegoed_core::AccountManagerId {
    let mut tx = server.store.read().unwrap();
    tx.account_managers()
        .unwrap()
        .into_iter()
        .find(|(_, m)| {
            m.email
                .as_ref()
                .is_some_and(|e| e.as_str() == server.sales_email)
        })
        .unwrap()
        .0
}

/// Credit staff see what sales invested in the relationship: how long the
/// customer has bought, what per year, and the account manager's notes.
#[test]
fn the_customer_page_shows_what_sales_invested() {
    let server = start(120);
    let (own, _) = customers_of(&server);
    let sales = login(server.addr, &server.sales_email);
    let r = sales.post(
        &format!("/customers/{own}/note"),
        &[("text", "Nieuwe vestiging in Utrecht, groeit hard")],
    );
    assert_eq!(r.status, 303);
    let credit = login(server.addr, "credit@t.example");
    let page = credit.get(&format!("/customers/{own}")).body;
    let start = page
        .find("id=\"relationship\"")
        .expect("the relationship card");
    let card = &page[start..start + page[start..].find("</section>").unwrap()];
    assert!(card.contains("Customer since"), "{card}");
    assert!(card.contains("<th class=\"num\">2026</th>"), "{card}");
    assert!(
        card.contains("Nieuwe vestiging in Utrecht"),
        "the account manager's note: {card}"
    );
}

/// Today charts DSO per month: 23 month-ends worked out in the background
/// and today's, which is the headline figure.
#[test]
fn today_charts_dso_per_month() {
    let server = start(120);
    let credit = login(server.addr, "credit@t.example");
    let mut page = String::new();
    for _ in 0..200 {
        page = credit.get("/today").body;
        if page.contains("<svg class=\"chart dso\"") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let start = page
        .find("<svg class=\"chart dso\"")
        .expect("the DSO chart");
    let chart = &page[start..start + page[start..].find("</svg>").unwrap()];
    let points = chart.matches("<circle").count();
    assert!((2..=24).contains(&points), "{points} points");
    let book = server.state.cache.portfolio(&server.state, true).unwrap();
    let today = tegoed_app::format::number(
        book.dso.countback.days.expect("a DSO today"),
        1,
        tegoed_core::Language::En,
    );
    assert!(
        chart.contains(&format!("25 Nov 2026: {today} days")),
        "the last point is today's headline {today}: {chart}"
    );
    // Each month-end is the DSO report as of that day.
    let history = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        tegoed_app::reports::dso_history(tx, common::as_of(), tegoed_core::Currency::EUR, 23)
    })
    .unwrap();
    assert_eq!(history.len(), 23);
    assert_eq!(history.last().unwrap().as_of.to_string(), "2026-10-31");
    let october = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        tegoed_app::reports::dso(
            tx,
            tegoed_core::Date::parse_iso("2026-10-31").unwrap(),
            tegoed_core::Currency::EUR,
            90,
        )
    })
    .unwrap();
    assert_eq!(
        history.last().unwrap().countback.days,
        october.countback.days
    );
}

/// A credit manager lifts a credit hold on the customer page; a collector
/// may not; the timeline says why.
#[test]
fn a_credit_manager_lifts_a_credit_hold() {
    let server = start(120);
    let (own, _) = customers_of(&server);
    let id = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        Ok(tx.customer_by_number(&own)?.unwrap().id)
    })
    .unwrap();
    tegoed_app::write_tx(server.store.as_ref(), |tx| {
        let mut state = tx.collection_state(id)?;
        state.credit_hold_since = Some(common::as_of());
        state.credit_hold_reason = Some("dunning step final_notice (standard)".into());
        tx.set_collection_state(id, &state)?;
        Ok(())
    })
    .unwrap();
    let collector = login(server.addr, "collector@t.example");
    assert!(
        !collector
            .get(&format!("/customers/{own}"))
            .body
            .contains("id=\"lift-hold-form\"")
    );
    assert_eq!(
        collector
            .post(&format!("/customers/{own}/lift-hold"), &[("reason", "x")])
            .status,
        403
    );
    let credit = login(server.addr, "credit@t.example");
    assert!(
        credit
            .get(&format!("/customers/{own}"))
            .body
            .contains("id=\"lift-hold-form\"")
    );
    let r = credit.post(
        &format!("/customers/{own}/lift-hold"),
        &[("reason", "Betalingsregeling afgesproken")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = credit.get(r.header("location").unwrap()).body;
    assert!(page.contains("Credit hold lifted."));
    assert!(page.contains("Credit hold lifted: Betalingsregeling afgesproken"));
    assert!(!page.contains("id=\"lift-hold-form\""));
}

/// Raises a suggestion for customer `number` (the triggers themselves are
/// tested through the CLI on a hand-made ledger).
fn suggest(server: &common::Server, number: &str, reason: &str, since: &str) -> i64 {
    let mut tx = server.store.write().unwrap();
    let customer = tx.customer_by_number(number).unwrap().unwrap().id;
    let ids = tx
        .insert_appreciations(&[tegoed_store::Appreciation {
            customer,
            reason: tegoed_core::appreciation::Reason::parse(reason).unwrap(),
            since: tegoed_core::Date::parse_iso(since).unwrap(),
            ref_id: 0,
            suggested: tegoed_core::appreciation::Suggested::ThankYou,
            evidence: "Paid 3 invoices in a row on time".into(),
            evidence_nl: "3 facturen op rij op tijd betaald".into(),
            raised_on: common::as_of(),
        }])
        .unwrap();
    tx.commit().unwrap();
    ids[0]
}

#[test]
fn sales_thanks_a_customer_and_a_gift_over_budget_waits_for_the_credit_manager() {
    let server = start(120);
    let (own, other) = customers_of(&server);
    let mine = suggest(&server, &own, "back_on_time", "2026-11-20");
    let theirs = suggest(&server, &other, "back_on_time", "2026-11-20");
    let sales = login(server.addr, &server.sales_email);
    let my = sales.get("/my").body;
    assert!(my.contains(&format!("data-suggestion=\"{mine}\"")), "{my}");
    assert!(!my.contains(&format!("data-suggestion=\"{theirs}\"")));
    assert!(my.contains("Gift budget this quarter"), "{my}");
    // Not someone else's customer.
    assert_eq!(
        sales
            .post(&format!("/appreciation/{theirs}/thank"), &[])
            .status,
        403
    );
    // A mistake comes back at the form, with what was typed.
    let r = sales.post(
        &format!("/appreciation/{mine}/gift"),
        &[
            ("item", "Taart"),
            ("value", "-3"),
            ("suggestion", &mine.to_string()),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("a gift is worth more than nothing"),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"Taart\""), "{}", r.body);
    assert!(r.body.contains("aria-invalid=\"true\""), "{}", r.body);
    // A gift over the € 250 budget waits for a credit manager.
    let r = sales.post(
        &format!("/appreciation/{mine}/gift"),
        &[("item", "Lunch"), ("value", "300"), ("back", "/my")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.header("location").unwrap();
    assert!(location.contains("done=gift_waiting"), "{location}");
    let page = sales.get(location).body;
    assert!(
        page.contains("over the quarter&#x27;s budget: a credit manager decides"),
        "{page}"
    );
    // The salesperson sees what waits against their budget.
    assert!(page.contains("waiting for approval"), "{page}");
    let gift = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        tegoed_app::appreciation::gifts(tx, Some(&own))
    })
    .unwrap()[0]
        .clone();
    assert_eq!(gift.status, "awaiting_approval");
    assert_eq!(
        sales
            .post(&format!("/gifts/{}/approve", gift.id), &[])
            .status,
        403,
        "sales may not approve"
    );
    let credit = login(server.addr, "credit@t.example");
    let today = credit.get("/today").body;
    assert!(
        today.contains(&format!("data-gift=\"{}\"", gift.id)),
        "{today}"
    );
    // … with that account manager's budget beside it.
    assert!(today.contains("budget €"), "{today}");
    assert!(today.contains(&format!("data-suggestion=\"{theirs}\"")));
    assert_eq!(
        credit
            .post(&format!("/gifts/{}/approve", gift.id), &[])
            .status,
        303
    );
    assert_eq!(
        credit
            .post(&format!("/gifts/{}/approve", gift.id), &[])
            .status,
        409,
        "decided once"
    );
    // The gift answered the suggestion; a new one is thanked, once.
    let kept = suggest(&server, &own, "promise_kept", "2026-11-25");
    let r = sales.post(&format!("/appreciation/{kept}/thank"), &[("back", "/my")]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.header("location").unwrap().contains("done=thanked"));
    let thanks = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        tegoed_app::dunning::messages(tx, Some(&own), None)
    })
    .unwrap()
    .into_iter()
    .filter(|m| m.step == "thank_you")
    .collect::<Vec<_>>();
    assert_eq!(thanks.len(), 1);
    assert_eq!(thanks[0].status, "sent");
    assert_eq!(
        sales
            .post(&format!("/appreciation/{kept}/thank"), &[])
            .status,
        409,
        "thanked once"
    );
    // Both on the customer's timeline, in the reader's words.
    let timeline = credit.get(&format!("/customers/{own}")).body;
    assert!(timeline.contains("Gift proposed: Lunch"), "{timeline}");
    assert!(timeline.contains("Gift approved by credit@t.example"));
    // The message opens as sent, its step in words.
    let message = credit
        .get(&format!("/customers/{own}/messages/{}", thanks[0].id))
        .body;
    assert!(message.contains("thank-you"), "{message}");
    assert!(!message.contains("thank_you"), "{message}");
    // A gift for a suggestion no longer listed (thanked or dismissed by a
    // colleague first): the page says why on top (it came back as a 404
    // with nothing to read).
    let r = credit.post(
        "/appreciation/999999/gift",
        &[
            ("item", "Taart"),
            ("value", "25"),
            ("suggestion", "999999"),
            ("back", "/appreciation"),
        ],
    );
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(r.body.contains("id=\"form-error\""), "{}", r.body);
}

#[test]
fn the_meeting_pack_opens_prints_and_records_decisions() {
    let server = start(120);
    let (own, _) = customers_of(&server);
    let sales = login(server.addr, &server.sales_email);
    let page = sales.get("/meeting").body;
    assert!(
        page.contains("Sales and credit meeting — Q4 2026"),
        "{page}"
    );
    assert!(page.contains("<svg"), "the DSO chart");
    assert!(
        !page.contains("id=\"decide\""),
        "sales does not record decisions"
    );
    assert_eq!(
        sales
            .post(
                "/meeting/decide",
                &[("customer", &own), ("text", "Call them")]
            )
            .status,
        403
    );
    let pdf = sales.get("/meeting/pdf?period=2026-Q4");
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(pdf.body.starts_with("%PDF-"));
    let credit = login(server.addr, "credit@t.example");
    let r = credit.post(
        "/meeting/decide",
        &[
            ("customer", own.as_str()),
            ("text", "Offer a payment plan"),
            ("due", "2026-12-16"),
            ("back", "/meeting"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = credit.get(r.header("location").unwrap()).body;
    assert!(page.contains("recorded; it is on the owner"), "{page}");
    assert!(page.contains("Offer a payment plan"));
    assert!(page.contains("16 Dec 2026"));
    // A date in the past comes back at the form, in Dutch too.
    assert_eq!(
        credit
            .post("/account/language", &[("language", "nl")])
            .status,
        303
    );
    let r = credit.post(
        "/meeting/decide",
        &[
            ("customer", own.as_str()),
            ("text", "Later bellen"),
            ("due", "2026-01-01"),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body
            .contains("Uiterlijk: die datum is al voorbij; kies vandaag of later."),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"Later bellen\""));
    // A typo in the customer number is a clear error, nothing recorded.
    let r = credit.post(
        "/meeting/decide",
        &[("customer", "C999999"), ("text", "Klant bellen")],
    );
    assert_eq!(r.status, 404);
    // The meeting page again, with the message at the form and what was
    // typed (it was an error page and the decision was lost).
    assert!(
        r.body.contains("Dat nummer bestaat niet (meer)"),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"Klant bellen\"") || r.body.contains(">Klant bellen<"));
    // Regression: the decision's talking points were English with an ISO
    // date on Dutch pages ("Decided at the sales and credit meeting of
    // 2026-12-02").
    let page = visible_text(&credit.get(&format!("/customers/{own}")).body);
    assert!(
        page.contains("Besloten in het overleg van sales en credit van"),
        "{page}"
    );
    assert!(!page.contains("Decided at the sales"), "{page}");
    // Regression: carrying out the decision confirmed "Telefoontje
    // vastgelegd", put "gebeld" on the timeline and "call done" in the
    // audit log, though nobody called.
    let task = tegoed_app::read_tx(server.store.as_ref(), |tx| Ok(tx.tasks(None, true)?))
        .unwrap()
        .into_iter()
        .find(|t| t.task.kind == "decision")
        .expect("the decision's task");
    let r = credit.post(
        &format!("/tasks/{}/done", task.id),
        &[("outcome", "Regeling aangeboden")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = visible_text(&credit.get(r.header("location").unwrap()).body);
    assert!(page.contains("Taak afgerond."), "{page}");
    assert!(!page.contains("Telefoontje vastgelegd"), "{page}");
    let timeline = visible_text(&credit.get(&format!("/customers/{own}")).body);
    assert!(!timeline.contains("gebeld"), "{timeline}");
    let log = login(server.addr, "admin@t.example").get("/users").body;
    assert!(log.contains("<td>task done</td>"), "{log}");
    assert!(!log.contains("call done"), "{log}");
}

#[test]
fn the_policy_quiz_checks_an_answer_and_keeps_the_score() {
    let server = start(120);
    let sales = login(server.addr, &server.sales_email);
    let page = sales.get("/training/quiz").body;
    let seed = page
        .split("name=\"seed\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a question")
        .to_string();
    assert!(page.contains("What does the policy say?"), "{page}");
    let r = sales.post(
        "/training/quiz/answer",
        &[("seed", seed.as_str()), ("answer", "prepay")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.header("location").unwrap().to_string();
    let result = sales.get(&location).body;
    let stored = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        Ok(tx.quiz_answers(common::as_of().add_days(-1))?)
    })
    .unwrap();
    assert_eq!(stored.len(), 1);
    let a = &stored[0].answer;
    assert_eq!(a.user, server.sales_email);
    assert_eq!(a.answer, "prepay");
    if a.verdict == "prepay" {
        assert!(result.contains("Right!"), "{result}");
    } else {
        assert!(result.contains("Not quite."), "{result}");
    }
    assert!(result.contains("The policy says"));
    assert!(
        result.contains("1 of 1 right") || result.contains("0 of 1 right"),
        "{result}"
    );
    // Someone else's answer is not theirs to see.
    let credit = login(server.addr, "credit@t.example");
    assert_eq!(credit.get(&location).status, 404);
    // A made-up answer is refused.
    let r = sales.post(
        "/training/quiz/answer",
        &[("seed", seed.as_str()), ("answer", "maybe")],
    );
    assert_eq!(r.status, 422);
}

/// Schemathesis found it: a task marked done twice answered 422 "invalid"
/// although the request was valid; someone else was first, which is a
/// conflict (409), like every other "done already".
#[test]
fn a_task_done_twice_is_a_conflict() {
    let server = start(60);
    let token = tegoed_app::write_tx(server.store.as_ref(), |tx| {
        tegoed_app::access::create_api_token(tx, &common::system(), "collector@t.example", "t")
    })
    .unwrap();
    let auth = format!("Bearer {token}");
    let id = {
        let mut tx = server.store.read().unwrap();
        tx.tasks(None, true).unwrap()[0].id
    };
    let done = |outcome: &str| {
        request(
            server.addr,
            "POST",
            &format!("/api/v1/tasks/{id}/done"),
            &[("Authorization", &auth)],
            Some((
                "application/json",
                &format!("{{\"outcome\": \"{outcome}\"}}"),
            )),
        )
    };
    assert_eq!(done("called").status, 200);
    let again = done("called again");
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(again.json()["error"]["code"], "conflict");
}

/// The KPI page: worked out once a day in the background, then a chart per
/// figure with its target and the last twelve months as a table, in the
/// reader's language.
#[test]
fn the_kpi_page_charts_every_figure_against_its_target() {
    let server = start(60);
    let credit = login(server.addr, "credit@t.example");
    let mut page = credit.get("/kpi");
    for _ in 0..300 {
        if !page.body.contains("id=\"kpi-building\"") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        page = credit.get("/kpi");
    }
    assert_eq!(page.status, 200);
    for id in [
        "dso", "add", "cei", "on-time", "promises", "bad-debt", "late",
    ] {
        assert!(
            page.body.contains(&format!("id=\"kpi-{id}\"")),
            "chart {id}"
        );
    }
    // Six figures have a target (the shipped [kpi]); days late has none.
    assert_eq!(page.body.matches("class=\"target\"").count(), 6);
    assert!(page.body.contains("id=\"kpi-table\""));
    for by in ["collector", "account-manager", "segment"] {
        assert!(
            page.body.contains(&format!("id=\"kpi-by-{by}\"")),
            "table per {by}"
        );
    }
    let r = credit.post("/account/language", &[("language", "nl"), ("back", "/kpi")]);
    assert_eq!(r.status, 303);
    let nl = credit.get("/kpi");
    assert!(nl.body.contains("De laatste twaalf maanden"));
    assert!(nl.body.contains("doel 85"), "the CEI target in Dutch");
}

/// The Forecast page: 13 weeks as a chart with the band, and a table, in
/// the reader's language; the same figures as `tegoed forecast`.
#[test]
fn the_forecast_page_shows_the_thirteen_weeks_with_their_band() {
    let server = start(60);
    let credit = login(server.addr, "credit@t.example");
    let page = credit.get("/forecast");
    assert_eq!(page.status, 200);
    assert_eq!(page.body.matches("class=\"band\"").count(), 13);
    let forecast = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        tegoed_app::forecast::forecast(tx, common::as_of(), 13)
    })
    .unwrap();
    let first = &forecast.weeks[0];
    assert!(
        page.body.contains(&tegoed_app::format::money(
            first.expected.minor,
            "EUR",
            tegoed_core::Language::En
        )),
        "the first week's figure"
    );
    let r = credit.post(
        "/account/language",
        &[("language", "nl"), ("back", "/forecast")],
    );
    assert_eq!(r.status, 303);
    let nl = credit.get("/forecast");
    assert!(nl.body.contains("Prognose van de ontvangsten"));
    assert!(nl.body.contains(&tegoed_app::format::money(
        first.expected.minor,
        "EUR",
        tegoed_core::Language::Nl
    )));
}
