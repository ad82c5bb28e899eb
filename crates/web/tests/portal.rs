//! The customer's own page over real HTTP: the link in a real message from
//! a dunning run opens it; every action lands where the team works; links
//! that open nothing all look the same, are rate-limited, and forms need
//! the page's own token. Runs on either backend (`TEGOED_TEST_BACKEND`).

mod common;

use common::{Resp, Server, form, hidden, login, request, start};
use tegoed_core::Date;

/// The messages in the server's outbox, as (file name, text).
fn outbox(server: &Server) -> Vec<(String, String)> {
    let dir = server.settings.parent().unwrap().join("outbox");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    files.sort_by_key(|f| f.file_name());
    files
        .into_iter()
        .map(|f| {
            (
                f.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(f.path()).unwrap(),
            )
        })
        .collect()
}

/// Decodes quoted-printable text (the .eml bodies), enough to read links.
fn unqp(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The portal path (`/p/<token>`) in a message, and the customer number in
/// its file name.
fn link_in(name: &str, text: &str) -> Option<(String, String)> {
    let text = unqp(text);
    let at = text.find("/p/")?;
    let token: String = text[at + 3..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    let customer = name.trim_end_matches(".eml").split_once('-')?.1.to_string();
    (token.len() == 32).then(|| (format!("/p/{token}"), customer))
}

fn get(server: &Server, path: &str) -> Resp {
    request(server.addr, "GET", path, &[], None)
}

fn post(server: &Server, path: &str, pairs: &[(&str, &str)]) -> Resp {
    request(
        server.addr,
        "POST",
        path,
        &[],
        Some(("application/x-www-form-urlencoded", &form(pairs))),
    )
}

/// Posts a portal form with the page's own token.
fn act(server: &Server, link: &str, action: &str, pairs: &[(&str, &str)]) -> Resp {
    let page = get(server, link);
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = hidden(&page.body, "csrf").expect("a form token on the page");
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(pairs);
    if !pairs.iter().any(|(k, _)| *k == "lang") {
        all.push(("lang", "nl"));
    }
    post(server, &format!("{link}/{action}"), &all)
}

/// Runs dunning from the web app and gives (link, customer) of every
/// e-mail that carries a link.
fn run_and_collect_links(server: &Server) -> Vec<(String, String)> {
    let collector = login(server.addr, "collector@t.example");
    let r = collector.post("/dunning/run", &[]);
    assert_eq!(r.status, 303, "{}", r.body);
    let progress = common::wait_for_run(&collector);
    assert!(
        progress.body.contains("data-state=\"done\""),
        "{}",
        progress.body
    );
    let mails = outbox(server);
    assert!(!mails.is_empty(), "the run wrote e-mails");
    let links: Vec<_> = mails
        .iter()
        .filter_map(|(name, text)| link_in(name, text))
        .collect();
    assert_eq!(links.len(), mails.len(), "every e-mail carries a link");
    links
}

fn invoices_of(server: &Server, number: &str) -> Vec<String> {
    let mut tx = server.store.read().unwrap();
    let id = tx.customer_by_number(number).unwrap().unwrap().id;
    tx.customer_documents(id, common::as_of())
        .unwrap()
        .into_iter()
        .filter(|d| d.open_minor > 0)
        .map(|d| d.invoice.number)
        .collect()
}

fn overdue_minor(server: &Server, number: &str) -> i64 {
    let mut tx = server.store.read().unwrap();
    let id = tx.customer_by_number(number).unwrap().unwrap().id;
    tx.customer_documents(id, common::as_of())
        .unwrap()
        .into_iter()
        .filter(|d| {
            d.invoice.amount.minor > 0 && d.open_minor > 0 && d.invoice.due_date < common::as_of()
        })
        .map(|d| d.open_minor)
        .sum()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

fn day(offset: i32) -> String {
    common::as_of().add_days(offset).to_string()
}

#[test]
fn the_link_in_a_real_message_opens_the_customers_own_page_and_nothing_of_anyone_else() {
    let server = start(120);
    let links = run_and_collect_links(&server);
    let (link, customer) = &links[0];
    let page = get(&server, link);
    assert_eq!(page.status, 200);
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert!(page.header("cache-control").unwrap().contains("no-store"));
    let name = {
        let mut tx = server.store.read().unwrap();
        tx.customer_by_number(customer)
            .unwrap()
            .unwrap()
            .customer
            .name
    };
    assert!(page.body.contains(&escape(&name)), "the customer's name");
    for invoice in invoices_of(&server, customer) {
        assert!(page.body.contains(&invoice), "open invoice {invoice} shown");
    }
    // No invoice of any other customer appears on the page.
    let others: Vec<String> = {
        let mut tx = server.store.read().unwrap();
        tx.customer_directory()
            .unwrap()
            .into_iter()
            .map(|c| c.number)
            .filter(|n| n != customer)
            .collect()
    };
    for other in others.iter().take(40) {
        for invoice in invoices_of(&server, other) {
            assert!(
                !page.body.contains(&format!(">{invoice}<")),
                "{invoice} of {other} on {customer}'s page"
            );
        }
    }
    // The statement and the GiroCode are this customer's.
    let pdf = get(&server, &format!("{link}/statement.pdf"));
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    let png = get(&server, &format!("{link}/girocode.png"));
    assert_eq!(png.status, 200);
    assert_eq!(png.header("content-type"), Some("image/png"));
    // English on request, Dutch for a Dutch customer by default.
    let en = get(&server, &format!("{link}?lang=en"));
    assert!(en.body.contains("I have already paid"));
    let nl = get(&server, &format!("{link}?lang=nl"));
    assert!(nl.body.contains("Ik heb al betaald"));
    // Two messages to two customers carry two different links.
    assert_ne!(links[0].0, links[1].0);
}

#[test]
fn unknown_malformed_expired_and_revoked_links_all_answer_the_same_neutral_page() {
    let server = start(60);
    let config = server.state.live().config.clone();
    let actor = common::system();
    let number = {
        let mut tx = server.store.read().unwrap();
        tx.customer_directory().unwrap()[0].number.clone()
    };
    let url = |as_of: Date| {
        tegoed_app::write_tx(server.store.as_ref(), |tx| {
            tegoed_app::portal::link(tx, &actor, &config, &number, as_of)
        })
        .unwrap()
        .url
    };
    let path = |url: String| url[url.find("/p/").unwrap()..].to_string();
    let valid = path(url(common::as_of()));
    assert_eq!(get(&server, &valid).status, 200);
    // Issued 100 days ago: expired 10 days ago (90 days valid).
    let expired = path(url(common::as_of().add_days(-100)));
    let issued_late = path(url(common::as_of().add_days(-89)));
    assert_eq!(get(&server, &issued_late).status, 200, "day 89 still opens");
    let unknown = format!("/p/{}", "0123456789abcdef".repeat(2));
    let malformed = "/p/..%2F..%2Fetc%2Fpasswd".to_string();
    let long = format!("/p/{}", "a".repeat(5000));
    let neutral = get(&server, &unknown);
    assert_eq!(neutral.status, 404);
    for other in [&expired, &malformed, &long] {
        let r = get(&server, other);
        assert_eq!(r.status, 404, "{other}");
        assert_eq!(r.body, neutral.body, "{other} answers like an unknown link");
    }
    // Revoked by a credit manager from the customer page: the same page.
    let credit = login(server.addr, "credit@t.example");
    let r = credit.post(&format!("/customers/{number}/portal-revoke"), &[]);
    assert_eq!(r.status, 303, "{}", r.body);
    let r = get(&server, &valid);
    assert_eq!(r.status, 404);
    assert_eq!(r.body, neutral.body);
    // A collector may not revoke.
    let collector = login(server.addr, "collector@t.example");
    assert_eq!(
        collector
            .post(&format!("/customers/{number}/portal-revoke"), &[])
            .status,
        403
    );
}

#[test]
fn trying_many_links_is_made_to_wait() {
    let server = start(30);
    let config = server.state.live().config.clone();
    let number = {
        let mut tx = server.store.read().unwrap();
        tx.customer_directory().unwrap()[0].number.clone()
    };
    let url = tegoed_app::write_tx(server.store.as_ref(), |tx| {
        tegoed_app::portal::link(tx, &common::system(), &config, &number, common::as_of())
    })
    .unwrap()
    .url;
    let valid = url[url.find("/p/").unwrap()..].to_string();
    let started = std::time::Instant::now();
    for i in 0..20 {
        let r = get(&server, &format!("/p/{i:032x}"));
        assert_eq!(r.status, 404);
    }
    // The 21st try is refused, and so is a valid link from that client
    // for the rest of the window: guessing is no faster than waiting.
    assert_eq!(get(&server, &format!("/p/{:032x}", 99)).status, 429);
    assert_eq!(get(&server, &valid).status, 429);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

/// Behind the HTTPS proxy every customer arrives from the proxy's address:
/// the limits count the address the proxy forwards, so one scanner does
/// not lock every customer out; a client on the internet cannot pick its
/// own address with the header.
#[test]
fn behind_a_proxy_the_limit_counts_the_forwarded_client() {
    let server = start(30);
    let config = server.state.live().config.clone();
    let url = tegoed_app::write_tx(server.store.as_ref(), |tx| {
        tegoed_app::portal::link(tx, &common::system(), &config, "C000001", common::as_of())
    })
    .unwrap()
    .url;
    let valid = url[url.find("/p/").unwrap()..].to_string();
    let from = |who: &str, path: &str| {
        request(
            server.addr,
            "GET",
            path,
            &[("X-Forwarded-For", &format!("198.51.100.7, {who}"))],
            None,
        )
        .status
    };
    for i in 0..20 {
        assert_eq!(from("203.0.113.5", &format!("/p/{i:032x}")), 404);
    }
    assert_eq!(from("203.0.113.5", &valid), 429, "the scanner waits");
    assert_eq!(
        from("203.0.113.6", &valid),
        200,
        "another customer does not"
    );
}

#[test]
fn forms_need_the_pages_own_token_for_this_link() {
    let server = start(120);
    let links = run_and_collect_links(&server);
    let (link, customer) = &links[0];
    let (other_link, _) = &links[1];
    let tasks_before = {
        let mut tx = server.store.read().unwrap();
        tx.tasks(None, false).unwrap().len()
    };
    let fields = [("on", day(0)), ("amount", "10,00".to_string())];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // No token, on every form.
    for action in ["paid", "promise", "plan", "problem", "contact"] {
        let r = post(&server, &format!("{link}/{action}"), &fields);
        assert_eq!(r.status, 403, "{action}: {}", r.body);
    }
    // The token of another customer's page.
    let other_page = get(&server, other_link);
    let other_token = hidden(&other_page.body, "csrf").unwrap();
    let mut with_other = vec![("csrf", other_token.as_str())];
    with_other.extend_from_slice(&fields);
    assert_eq!(
        post(&server, &format!("{link}/paid"), &with_other).status,
        403
    );
    // The right token, posted from another site.
    let page = get(&server, link);
    let token = hidden(&page.body, "csrf").unwrap();
    let mut right = vec![("csrf", token.as_str())];
    right.extend_from_slice(&fields);
    let r = request(
        server.addr,
        "POST",
        &format!("{link}/paid"),
        &[("Sec-Fetch-Site", "cross-site")],
        Some(("application/x-www-form-urlencoded", &form(&right))),
    );
    assert_eq!(r.status, 403);
    let tasks_after = {
        let mut tx = server.store.read().unwrap();
        tx.tasks(None, false).unwrap().len()
    };
    assert_eq!(tasks_before, tasks_after, "nothing was recorded");
    // An unknown action is the neutral page.
    assert_eq!(post(&server, &format!("{link}/delete"), &right).status, 404);
    // A confirmation is shown only on the page of the customer who asked.
    let r = post(&server, &format!("{link}/paid"), &right);
    assert_eq!(r.status, 303, "{}", r.body);
    let done = r.header("location").unwrap().to_string();
    let id = done.rsplit('/').next().unwrap().split('?').next().unwrap();
    assert_eq!(get(&server, &done).status, 200);
    let theirs = get(&server, &format!("{other_link}/done/{id}"));
    assert_eq!(
        theirs.status, 404,
        "{customer}'s confirmation on another page"
    );
}

#[test]
fn every_action_lands_on_the_timeline_the_worklists_and_in_a_confirmation() {
    let server = start(120);
    let links = run_and_collect_links(&server);
    // A customer with something overdue (every dunned one has).
    let (link, customer) = links
        .iter()
        .find(|(_, c)| overdue_minor(&server, c) > 0 && overdue_minor(&server, c) < 1_000_000)
        .expect("a dunned customer under the plan limit")
        .clone();
    let overdue = overdue_minor(&server, &customer);
    let mails_before = outbox(&server).len();

    // "I have already paid": a task for the collectors, dunning paused.
    let hostile = "<script>alert('x')</script> & \"quotes\"";
    let r = act(
        &server,
        &link,
        "paid",
        &[
            ("on", &day(-2)),
            ("amount", "12,50"),
            ("note", hostile),
            ("lang", "nl"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let done = r.header("location").unwrap().to_string();
    assert!(done.starts_with(&format!("{link}/done/")));
    let page = get(&server, &done);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("12,50"), "{}", page.body);
    assert!(!page.body.contains("<script>alert"), "escaped");
    {
        let mut tx = server.store.read().unwrap();
        let c = tx.customer_by_number(&customer).unwrap().unwrap();
        let state = tx.collection_state(c.id).unwrap();
        assert_eq!(
            state.pause_until,
            Some(common::as_of().add_days(10)),
            "dunning paused for paid_pause_days"
        );
        let tasks = tx.tasks(Some(c.id), true).unwrap();
        assert!(
            tasks
                .iter()
                .any(|t| t.task.kind == "portal_paid" && t.task.amount.minor == 1250)
        );
    }
    // Sent twice (a double click): recorded once, the same confirmation.
    let again = act(
        &server,
        &link,
        "paid",
        &[
            ("on", &day(-2)),
            ("amount", "12,50"),
            ("note", hostile),
            ("lang", "nl"),
        ],
    );
    assert_eq!(again.header("location"), Some(done.as_str()));

    // "I will pay on …" within the limit: a promise, accepted at once.
    let amount = format!("{},{:02}", overdue / 100, overdue % 100);
    let r = act(
        &server,
        &link,
        "promise",
        &[("on", &day(14)), ("amount", &amount)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = get(&server, r.header("location").unwrap());
    assert!(page.body.contains("Afgesproken"), "{}", page.body);
    // Beyond the limit: a request for a collector.
    let r = act(
        &server,
        &link,
        "promise",
        &[("on", &day(45)), ("amount", &amount)],
    );
    let page = get(&server, r.header("location").unwrap());
    assert!(
        page.body.contains("neemt binnen twee werkdagen contact"),
        "{}",
        page.body
    );
    {
        let mut tx = server.store.read().unwrap();
        let c = tx.customer_by_number(&customer).unwrap().unwrap();
        let promises = tx.promises(Some(c.id), false).unwrap();
        assert_eq!(promises.len(), 1, "one promise, the one within the limit");
        assert_eq!(
            promises[0].promise.promised_on,
            common::as_of().add_days(14)
        );
        let requests = tx.portal_requests(Some(c.id), common::as_of()).unwrap();
        let far = requests
            .iter()
            .find(|r| r.request.kind == "promise" && r.request.outcome == "request")
            .unwrap();
        assert_eq!(far.request.why.as_deref(), Some("too_far:30"));
    }

    // A field error comes back at the form, with what was typed.
    let r = act(
        &server,
        &link,
        "contact",
        &[("how", "phone"), ("phone", "call me <b>now</b>")],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("aria-invalid=\"true\""));
    assert!(
        r.body.contains("value=\"call me &lt;b&gt;now"),
        "{}",
        r.body
    );

    // "Please contact me": a call for the account manager.
    let r = act(
        &server,
        &link,
        "contact",
        &[
            ("how", "phone"),
            ("when", "morning"),
            ("phone", "+31 20 123 45 67"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);

    // "There is a problem": a dispute, and the account manager is told.
    let invoice = invoices_of(&server, &customer)
        .into_iter()
        .find(|number| {
            let mut tx = server.store.read().unwrap();
            let inv = tx.invoice_by_number(number).unwrap().unwrap();
            tx.open_dispute_on(inv.id).unwrap().is_none()
        })
        .expect("an open invoice without a dispute");
    let r = act(
        &server,
        &link,
        "problem",
        &[
            ("invoice", &invoice),
            ("reason", "wrong_amount"),
            ("note", hostile),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    {
        let mut tx = server.store.read().unwrap();
        let inv = tx.invoice_by_number(&invoice).unwrap().unwrap();
        let dispute = tx.open_dispute_on(inv.id).unwrap().expect("a dispute");
        assert!(
            dispute.dispute.reason.contains(hostile),
            "the customer's words, as written"
        );
        let c = tx.customer_by_number(&customer).unwrap().unwrap();
        let tasks = tx.tasks(Some(c.id), true).unwrap();
        assert!(
            tasks
                .iter()
                .any(|t| t.task.kind == "call" && t.task.assignee.is_some())
        );
        assert!(tasks.iter().any(|t| t.task.kind == "portal_problem"));
        let audit = tegoed_app::access::audit_log(tx.as_mut(), 50).unwrap();
        for action in [
            "portal.paid",
            "portal.promise",
            "portal.contact",
            "portal.problem",
        ] {
            assert!(
                audit
                    .iter()
                    .any(|a| a.action == action && a.actor == format!("portal:{customer}")),
                "{action} audited"
            );
        }
    }
    // A confirmation per action (the repeat sends none), and the account
    // manager's notice of the problem; plain text, the note as written.
    let mails = outbox(&server);
    let new: Vec<_> = mails[mails_before..].iter().collect();
    let confirmations = new
        .iter()
        .filter(|(n, _)| n.starts_with("portal-") && !n.ends_with("-staff.eml"))
        .count();
    assert_eq!(
        confirmations,
        5,
        "{:?}",
        new.iter().map(|m| &m.0).collect::<Vec<_>>()
    );
    let staff = new
        .iter()
        .find(|(n, _)| n.ends_with("-staff.eml"))
        .expect("the account manager's notice");
    assert!(unqp(&staff.1).contains("text/plain"));

    // The team sees it: the customer page (escaped, in the reader's
    // language), Today's card, the account manager's My customers.
    let collector = login(server.addr, "collector@t.example");
    let page = collector.get(&format!("/customers/{customer}"));
    assert!(page.body.contains("id=\"own-page\""));
    assert!(
        page.body.contains("&lt;script&gt;"),
        "the note shown escaped"
    );
    assert!(!page.body.contains("<script>alert"));
    assert!(!page.body.contains("portal:"), "no internal actor name");
    let payments = collector.get("/payments");
    assert!(
        payments.body.contains("id=\"said-paid\""),
        "the payments queue lists the claim"
    );
    assert!(
        payments
            .body
            .contains(&format!("/customers/{customer}#own-page"))
    );
    let today = collector.get("/today");
    assert!(today.body.contains("id=\"portal\""));
    assert!(today.body.contains(&format!("/customers/{customer}")));
    assert!(!today.body.contains("<script>alert"));
}

#[test]
fn a_plan_within_the_limits_is_agreed_with_its_schedule_and_one_beyond_goes_to_the_credit_manager()
{
    let server = start(120);
    let links = run_and_collect_links(&server);
    // Customers whose risk class may set up a plan alone (A to C).
    let book = server.state.cache.portfolio(&server.state, true).unwrap();
    let mut usable = links
        .iter()
        .filter(|(_, c)| {
            let o = overdue_minor(&server, c);
            let class = book.row_of(c).and_then(|r| r.risk_class);
            o > 200 && o < 1_000_000 && matches!(class, Some('A' | 'B' | 'C'))
        })
        .cloned();
    let (first, a) = usable.next().unwrap();
    let (second, b) = usable.next().unwrap();
    let r = act(
        &server,
        &first,
        "plan",
        &[("instalments", "3"), ("first", &day(7)), ("lang", "en")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = get(&server, r.header("location").unwrap());
    {
        let mut tx = server.store.read().unwrap();
        let c = tx.customer_by_number(&a).unwrap().unwrap();
        let requests = tx.portal_requests(Some(c.id), common::as_of()).unwrap();
        assert_eq!(
            requests[0].request.outcome, "accepted",
            "{:?}",
            requests[0].request.why
        );
    }
    assert!(page.body.contains("Agreed"), "{}", page.body);
    assert_eq!(
        page.body.matches("<tr><td>").count(),
        3,
        "three instalments"
    );
    {
        let mut tx = server.store.read().unwrap();
        let c = tx.customer_by_number(&a).unwrap().unwrap();
        let plans = tx.plans(Some(c.id), true).unwrap();
        assert_eq!(plans.len(), 1);
        assert_eq!(plans[0].plan.total.minor, overdue_minor(&server, &a));
    }
    // The page now shows the plan, and no second plan can be asked.
    let page = get(&server, &first);
    assert!(page.body.contains("id=\"running-1\""));
    assert!(!page.body.contains("action=\"") || !page.body.contains("/plan\""));
    let r = act(
        &server,
        &second,
        "plan",
        &[("instalments", "12"), ("first", &day(7))],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let mut tx = server.store.read().unwrap();
    let c = tx.customer_by_number(&b).unwrap().unwrap();
    assert!(tx.plans(Some(c.id), true).unwrap().is_empty());
    let requests = tx.portal_requests(Some(c.id), common::as_of()).unwrap();
    assert_eq!(requests[0].request.why.as_deref(), Some("instalments:6"));
    assert!(
        tx.tasks(Some(c.id), true)
            .unwrap()
            .iter()
            .any(|t| t.task.kind == "portal_plan")
    );
}
