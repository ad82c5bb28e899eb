//! Every page, as every role, in Dutch and in English, on the demo: what a
//! person reads contains no internal identifier (`final_notice`,
//! `watch_list`), no unrendered template variable, no English in a Dutch
//! page, and numbers, amounts and dates in the page language's format
//! (ARCHITECTURE.md, "Formats").
//!
//! What is checked is the text a person sees: text between tags and the
//! `title`, `placeholder`, `alt` and `aria-label` attributes. The expert
//! editors (`<textarea>`, `<pre>`, `<code>`) show a file as it is and are
//! left out.

mod common;

use common::{Client, login, start};

/// The pages every signed-in person may open (a role that may not gets a
/// 403 page, which must read well too).
const PAGES: &[&str] = &[
    "/today",
    "/my",
    "/customers",
    "/customers?risk=E",
    "/check",
    "/dunning",
    "/dunning/confirm",
    "/payments",
    "/payments?sort=amount",
    "/lists/tasks?status=all",
    "/lists/messages",
    "/lists/messages?period=all&status=sent",
    "/lists/disputes?status=all",
    "/lists/promises?sort=amount",
    "/lists/plans?status=all&sort=total",
    "/settings",
    "/settings/template",
    "/settings/segments/watch_list",
    "/settings/strategies/light",
    "/settings/policy/large_prospect",
    "/settings/company",
    "/settings/policy/risky_industry",
    "/scoreboard",
    "/training/story",
    "/appreciation",
    "/meeting",
    "/kpi",
    "/forecast",
    "/training/quiz",
    "/meeting?period=2026-Q3",
    "/scoreboard?period=2026-09&manager=none&sort=share_on_time",
    "/users",
    "/customers/C999999",
];

/// English words that mean an English text was left in a Dutch page.
const ENGLISH: &[&str] = &[
    "the",
    "and",
    "days",
    "day",
    "overdue",
    "invoice",
    "invoices",
    "customer",
    "customers",
    "paid",
    "worsening",
    "improving",
    "stable",
    "none",
    "may",
    "your",
    "role",
    "not",
    "found",
    "reminder",
    "notice",
    "call",
    "letter",
    "email",
    "pending",
    "approved",
    "rejected",
    "open_amount",
    "since",
    "until",
];

#[derive(Debug)]
struct Slip {
    language: &'static str,
    who: String,
    page: String,
    what: &'static str,
    text: String,
}

/// The visible text of an HTML page: text nodes (entities decoded) and
/// the attributes a person reads, without scripts, styles and the expert
/// editors.
fn visible(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    let mut skip: Option<&str> = None;
    while let Some(open) = rest.find('<') {
        if skip.is_none() {
            out.push_str(&decode(&rest[..open]));
            out.push('\n');
        }
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let tag = &rest[open + 1..open + close];
        rest = &rest[open + close + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if let Some(until) = skip {
            if tag.starts_with('/') && name == until {
                skip = None;
            }
            continue;
        }
        if !tag.starts_with('/')
            && matches!(
                name.as_str(),
                "script" | "style" | "textarea" | "pre" | "code"
            )
        {
            skip = Some(match name.as_str() {
                "script" => "script",
                "style" => "style",
                "textarea" => "textarea",
                "pre" => "pre",
                _ => "code",
            });
            continue;
        }
        for attribute in ["title", "placeholder", "alt", "aria-label"] {
            let marker = format!(" {attribute}=\"");
            if let Some(at) = tag.find(&marker) {
                let value = &tag[at + marker.len()..];
                if let Some(end) = value.find('"') {
                    out.push_str(&decode(&value[..end]));
                    out.push('\n');
                }
            }
        }
    }
    if skip.is_none() {
        out.push_str(&decode(rest));
    }
    out
}

fn decode(text: &str) -> String {
    text.replace("&nbsp;", " ")
        .replace("&#160;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
        .replace('\u{a0}', " ")
}

/// The words of a text, with the characters that join them.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '\''))
        .filter(|w| !w.is_empty())
}

fn is_identifier(word: &str) -> bool {
    word.contains('_')
        && word.chars().any(|c| c.is_ascii_lowercase())
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Amounts: `€ 1.234,56` in Dutch, `€1,234.56` in English (a minus before
/// the euro sign).
fn bad_amounts(text: &str, dutch: bool) -> Vec<String> {
    let mut bad = Vec::new();
    for (at, _) in text.match_indices('€') {
        let after: String = text[at + '€'.len_utf8()..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | ' ' | '-' | '−'))
            .collect();
        // A list or a sentence goes on after the amount ("€ 1,108.95, €
        // 20.00", "€ 25.000,00, 30 dagen"): the amount ends before a
        // separator followed by a space, and at its last digit.
        let after = ["，", ", ", ". "]
            .iter()
            .filter_map(|sep| {
                after
                    .trim_start()
                    .find(sep)
                    .map(|i| i + after.len() - after.trim_start().len())
            })
            .min()
            .map_or(after.as_str(), |end| &after[..end])
            .trim_end_matches(|c: char| !c.is_ascii_digit())
            .to_string();
        let amount = after.trim();
        if amount.is_empty() {
            continue;
        }
        // Chart labels shorten: `€ 12,5k`, `€ 1,2 mln`, `€ 1.2M`.
        let rest = &text[at + '€'.len_utf8() + after.len()..];
        if rest.starts_with('k') || rest.starts_with(" mln") || rest.starts_with('M') {
            continue;
        }
        let (group, decimal) = if dutch { ('.', ',') } else { (',', '.') };
        let ok = amount.split_once(decimal).is_some_and(|(whole, cents)| {
            let cents = cents.trim_end();
            (cents.len() == 2 && cents.chars().all(|c| c.is_ascii_digit())) && grouped(whole, group)
        }) || (grouped(amount, group) && !amount.contains(decimal));
        if !ok {
            bad.push(format!("€{}", &text[at + '€'.len_utf8()..][..after.len()]));
        }
    }
    bad
}

/// `1.234.567` (Dutch) or `1,234,567` (English): groups of three.
fn grouped(whole: &str, separator: char) -> bool {
    let mut parts = whole.split(separator);
    let first = parts.next().unwrap_or("");
    !first.is_empty()
        && first.len() <= 3
        && first.chars().all(|c| c.is_ascii_digit())
        && parts.all(|p| p.len() == 3 && p.chars().all(|c| c.is_ascii_digit()))
}

fn slips(html: &str, dutch: bool) -> Vec<(&'static str, String)> {
    let text = visible(html);
    let mut found = Vec::new();
    for word in words(&text) {
        if is_identifier(word) {
            found.push(("identifier", word.to_string()));
        }
        if dutch && ENGLISH.contains(&word) {
            found.push(("English word", word.to_string()));
        }
    }
    for marker in ["{{", "{%", "}}", "undefined", "NaN", "null", "None"] {
        if text.contains(marker) {
            found.push(("unrendered", marker.to_string()));
        }
    }
    for amount in bad_amounts(&text, dutch) {
        found.push(("amount format", amount));
    }
    // ISO dates (2026-11-25) are for files; pages write dates in words or
    // as 25-11-2026 (Dutch) / 25 Nov 2026 (English).
    let bytes = text.as_bytes();
    for at in 0..bytes.len().saturating_sub(9) {
        let window = &bytes[at..at + 10];
        let before = at.checked_sub(1).map(|b| bytes[b]);
        let after = bytes.get(at + 10).copied();
        if window[4] == b'-'
            && window[7] == b'-'
            && window
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit())
            && !before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !after.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            // With some text around it, to find where it comes from.
            let mut from = at.saturating_sub(40);
            while !text.is_char_boundary(from) {
                from -= 1;
            }
            let mut to = (at + 20).min(text.len());
            while !text.is_char_boundary(to) {
                to += 1;
            }
            found.push(("ISO date", text[from..to].replace('\n', " ")));
        }
    }
    // "1 dagen", "1 days": a plural after one (not the end of "61,1 dagen").
    for noun in [
        "dagen",
        "facturen",
        "klanten",
        "days",
        "invoices",
        "customers",
        "weken",
    ] {
        let needle = format!("1 {noun}");
        for (at, _) in text.match_indices(&needle) {
            let before = text[..at].chars().next_back();
            let after = text[at + needle.len()..].chars().next();
            if !before.is_some_and(|c| c.is_ascii_digit() || c == '.' || c == ',')
                && !after.is_some_and(char::is_alphanumeric)
            {
                found.push(("plural after one", needle.clone()));
            }
        }
    }
    // A decimal point in a Dutch number (60.3 days) or a decimal comma in an
    // English one.
    if dutch {
        for (i, w) in text.char_indices() {
            if w == '.' {
                let before = text[..i].chars().next_back();
                let digits_after: String = text[i + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_digit())
                    .collect();
                let next_after = text[i + 1 + digits_after.len()..].chars().next();
                if before.is_some_and(|c| c.is_ascii_digit())
                    && (1..=2).contains(&digits_after.len())
                    && !next_after.is_some_and(|c| c.is_ascii_digit() || c == '.')
                {
                    let start = text[..i]
                        .char_indices()
                        .rev()
                        .take_while(|(_, c)| c.is_ascii_digit())
                        .last()
                        .map_or(i, |(s, _)| s);
                    found.push((
                        "decimal point in Dutch",
                        text[start..i + 1 + digits_after.len()].to_string(),
                    ));
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

fn set_language(client: &Client, language: &str) {
    let r = client.post(
        "/account/language",
        &[("language", language), ("back", "/customers")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
}

/// A few customers with the most to show: promises, plans, disputes,
/// messages, the highest risk.
fn interesting_customers(client: &Client) -> Vec<String> {
    let mut numbers = Vec::new();
    for query in ["/customers", "/customers?risk=E", "/customers?risk=D"] {
        let page = client.get(query);
        let mut rest = page.body.as_str();
        while let Some(at) = rest.find("href=\"/customers/C") {
            let tail = &rest[at + "href=\"/customers/".len()..];
            let number: String = tail.chars().take_while(|c| *c != '"').collect();
            if !numbers.contains(&number) && !number.contains('/') {
                numbers.push(number);
            }
            rest = tail;
            if numbers.len() >= 12 {
                break;
            }
        }
    }
    numbers
}

#[test]
fn every_page_reads_well_for_every_role_in_both_languages() {
    let server = start(150);
    // A bank statement, so the payments queue has rows to read.
    common::import_demo_statement(&server, 30, 3);
    // Appreciation: a thank-you sent (its message page is read too) and a
    // gift over budget waiting for a credit manager.
    let open = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        tegoed_app::appreciation::open_suggestions(tx, None, common::as_of())
    })
    .unwrap();
    assert!(open.len() >= 2, "the demo has customers to thank: {open:?}");
    let live = server.state.live();
    let config = &live.config;
    let thanked = tegoed_app::appreciation::thank(
        server.store.as_ref(),
        &common::system(),
        config,
        &live.templates,
        &open[0].customer,
        None,
        common::as_of(),
        || 0,
    )
    .unwrap();
    let gift_to = open
        .iter()
        .find(|s| s.customer != open[0].customer)
        .unwrap();
    let sales = tegoed_app::access::Actor {
        id: "sales@t.example".into(),
        role: tegoed_app::access::Role::Sales,
        account_manager: gift_to.account_manager_id,
        language: tegoed_core::Language::Nl,
        at: 0,
    };
    tegoed_app::write_tx(server.store.as_ref(), |tx| {
        tegoed_app::appreciation::gift(
            tx,
            &sales,
            config,
            &gift_to.customer,
            &tegoed_app::appreciation::NewGift {
                item: "Lunch",
                value: "1234.50",
                suggestion: None,
            },
            common::as_of(),
        )
    })
    .unwrap();
    let extra_pages = [
        format!("/customers/{}", open[0].customer),
        format!(
            "/customers/{}/messages/{}",
            open[0].customer, thanked.message_id
        ),
        format!("/customers/{}", gift_to.customer),
    ];
    let mut found: Vec<Slip> = Vec::new();
    let mut opened = 0;
    for email in [
        "admin@t.example",
        "credit@t.example",
        "collector@t.example",
        server.sales_email.as_str(),
    ] {
        let client = login(server.addr, email);
        let mut pages: Vec<String> = PAGES.iter().map(|p| p.to_string()).collect();
        let customers = interesting_customers(&client);
        assert!(!customers.is_empty(), "{email} sees customers");
        pages.extend(customers.iter().map(|n| format!("/customers/{n}")));
        pages.extend(extra_pages.iter().cloned());
        pages.push(format!(
            "/check?customer={}&amount=25000",
            customers.first().unwrap()
        ));
        for language in ["nl", "en"] {
            set_language(&client, language);
            for page in &pages {
                let r = client.get(page);
                assert!(
                    matches!(r.status, 200 | 303 | 403 | 404 | 422),
                    "{email} {page}: {}",
                    r.status
                );
                opened += 1;
                for (what, text) in slips(&r.body, language == "nl") {
                    found.push(Slip {
                        language,
                        who: email.to_string(),
                        page: page.clone(),
                        what,
                        text,
                    });
                }
            }
        }
    }
    // One line per distinct slip, with where it was first seen; dates and
    // amounts, which differ on every page, by kind with a few examples.
    let mut seen: std::collections::BTreeMap<(&str, &str, String), (usize, String)> =
        std::collections::BTreeMap::new();
    for slip in &found {
        let text = match slip.what {
            "ISO date" | "amount format" | "decimal point in Dutch" => String::new(),
            _ => slip.text.clone(),
        };
        let entry = seen
            .entry((slip.language, slip.what, text))
            .or_insert_with(|| (0, String::new()));
        entry.0 += 1;
        if entry.0 <= 3 {
            entry
                .1
                .push_str(&format!(" {:?} ({} {})", slip.text, slip.who, slip.page));
        }
    }
    let report: Vec<String> = seen
        .iter()
        .map(|((language, what, text), (n, at))| format!("[{language}] {what} {text} ×{n}:{at}"))
        .collect();
    assert!(
        report.is_empty(),
        "{} slips on {opened} pages opened:\n{}",
        report.len(),
        report.join("\n")
    );
}

#[test]
fn the_checks_catch_what_they_should() {
    let page = |body: &str| format!("<html><body><p>{body}</p></body></html>");
    assert!(slips(&page("Strategie: critical_accounts"), true)[0].0 == "identifier");
    assert!(slips(&page("DSO 60.3 dagen"), true)[0].0 == "decimal point in Dutch");
    assert!(slips(&page("ruimte € -37.672,95"), true)[0].0 == "amount format");
    assert!(slips(&page("€ 58369.47"), true)[0].0 == "amount format");
    assert!(slips(&page("1 facturen"), true)[0].0 == "plural after one");
    assert!(slips(&page("61,1 dagen en 2.001 facturen"), true).is_empty());
    assert!(slips(&page("trend: worsening"), true)[0].0 == "English word");
    assert!(slips(&page("op 2026-11-25"), true)[0].0 == "ISO date");
    assert!(slips(&page("{{ name }}"), true)[0].0 == "unrendered");
    assert!(
        slips(
            &page("€ 1.234,56 op 25-11-2026, 2.000 klanten, 60,3 dagen"),
            true
        )
        .is_empty()
    );
    assert!(slips(&page("€1,234.56 on 25 Nov 2026, 60.3 days"), false).is_empty());
    assert!(slips(&page("− € 37.672,95 en factuur 2026-0018177"), true).is_empty());
    assert!(slips(&page("€ 1,108.95, € 20.00 and €3"), false).is_empty());
    assert!(slips(&page("€ 25.000,00, 30 dagen of € 5,00. Daarna"), true).is_empty());
    assert!(slips("<textarea>grace_days = 3</textarea>", true).is_empty());
    assert!(slips("<p title=\"final_notice\">x</p>", true)[0].0 == "identifier");
}

#[test]
fn actions_confirm_what_they_did_and_errors_keep_the_menu_in_dutch() {
    let server = start(150);
    let collector = login(server.addr, "collector@t.example");
    set_language(&collector, "nl");
    let customer = interesting_customers(&collector)
        .into_iter()
        .next()
        .expect("a customer");

    // A note: back on the customer page with a confirmation.
    let r = collector.post(
        &format!("/customers/{customer}/note"),
        &[("text", "Gebeld, betaalt vrijdag")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.header("location").expect("redirect").to_string();
    assert!(location.contains("done=note"), "{location}");
    let page = collector.get(&location);
    assert!(page.body.contains("Notitie bewaard."), "{}", page.body);

    // An unknown customer: a Dutch page with the menu and a way back.
    let missing = collector.get("/customers/C999999");
    assert_eq!(missing.status, 404);
    let text = visible(&missing.body);
    assert!(missing.body.contains("<nav>"), "the menu stays");
    assert!(text.contains("Dit bestaat niet (meer)."), "{text}");
    assert!(text.contains("Controleer het nummer"), "{text}");

    // An address no page answers: the same, not a blank page.
    let nowhere = collector.get("/nergens");
    assert_eq!(nowhere.status, 404);
    assert!(nowhere.body.contains("<nav>"));
    assert!(visible(&nowhere.body).contains("Dit bestaat niet (meer)."));

    // What a role may not do is said in Dutch, with the menu.
    let sales = login(server.addr, &server.sales_email);
    set_language(&sales, "nl");
    let refused = sales.get("/dunning");
    assert_eq!(refused.status, 403);
    let text = visible(&refused.body);
    assert!(refused.body.contains("<nav>"));
    assert!(text.contains("Je rol mag dit niet."), "{text}");
    assert!(slips(&refused.body, true).is_empty(), "{text}");
}

/// The rows of a CSV answer, split on `separator` (the test data has no
/// quoted separators in the columns it reads).
fn csv_rows(body: &str, separator: char) -> Vec<Vec<String>> {
    body.trim_start_matches('\u{feff}')
        .lines()
        .map(|l| l.split(separator).map(str::to_string).collect())
        .collect()
}

#[test]
fn the_customer_list_sorts_totals_and_exports_what_it_shows() {
    let server = start(150);
    let collector = login(server.addr, "collector@t.example");
    set_language(&collector, "en");

    // Sorted by overdue amount, largest first, filtered to overdue only.
    let page = collector.get("/customers?overdue=1&sort=overdue&dir=desc");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("aria-sort=\"descending\""));
    assert!(
        page.body.contains("id=\"totals\""),
        "the filtered set has a total"
    );
    let csv = collector.get("/customers?overdue=1&sort=overdue&dir=desc&format=csv");
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(
        csv.header("content-disposition")
            .unwrap()
            .contains("customers.csv")
    );
    let rows = csv_rows(&csv.body, ',');
    assert_eq!(rows[0][0], "Customer number");
    let overdue: Vec<f64> = rows[1..].iter().map(|r| r[5].parse().unwrap()).collect();
    assert!(!overdue.is_empty());
    assert!(overdue.iter().all(|v| *v > 0.0), "only overdue customers");
    assert!(overdue.windows(2).all(|w| w[0] >= w[1]), "largest first");
    // Every customer the filter keeps, not one page: the count the page
    // states, and the page's total is the file's sum.
    let count = overdue.len();
    assert!(
        visible(&page.body).contains(&format!("Total ({count} customers)"))
            || visible(&page.body).contains(&format!("Total ({} customers)", group(count))),
        "{count}"
    );
    let sum: i64 = rows[1..]
        .iter()
        .map(|r| (r[5].parse::<f64>().unwrap() * 100.0).round() as i64)
        .sum();
    let total = tegoed_app::format::money(sum, "EUR", tegoed_core::Language::En);
    assert!(
        page.body.contains(&total.replace('\u{a0}', "&nbsp;"))
            || visible(&page.body).contains(&total.replace('\u{a0}', " ")),
        "{total}"
    );

    // Ascending the other way; names from A.
    let csv = collector.get("/customers?sort=name&dir=asc&format=csv");
    let names: Vec<String> = csv_rows(&csv.body, ',')[1..]
        .iter()
        .map(|r| r[1].to_lowercase())
        .collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]));

    // In Dutch: Dutch columns, `;` and a decimal comma.
    set_language(&collector, "nl");
    let csv = collector.get("/customers?overdue=1&format=csv");
    assert!(
        csv.header("content-disposition")
            .unwrap()
            .contains("klanten.csv")
    );
    let rows = csv_rows(&csv.body, ';');
    assert_eq!(rows[0][0], "Klantnummer");
    assert!(
        rows[1][4].contains(',') && !rows[1][4].contains('.'),
        "{:?}",
        rows[1]
    );

    // The sorted page reads well in Dutch too.
    let page = collector.get("/customers?sort=open");
    assert!(slips(&page.body, true).is_empty());
}

#[test]
fn the_worklists_sort_total_page_and_export_what_they_show() {
    let server = start(150);
    let collector = login(server.addr, "collector@t.example");
    set_language(&collector, "en");

    // Promises, largest first: the total is the sum of the exported file,
    // and the file holds every row the filter keeps.
    let page = collector.get("/lists/promises?status=all&sort=amount&dir=desc");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("aria-sort=\"descending\""));
    let csv = collector.get("/lists/promises?status=all&sort=amount&dir=desc&format=csv");
    assert_eq!(csv.status, 200);
    assert!(
        csv.header("content-disposition")
            .unwrap()
            .contains("payment-agreements-")
    );
    let rows = csv_rows(&csv.body, ',');
    assert_eq!(rows[0][0], "Pays by");
    let amounts: Vec<i64> = rows[1..]
        .iter()
        .map(|r| (r[2].parse::<f64>().unwrap() * 100.0).round() as i64)
        .collect();
    assert!(amounts.len() >= 2, "the demo has promises: {}", csv.body);
    assert!(amounts.windows(2).all(|w| w[0] >= w[1]), "largest first");
    let total = tegoed_app::format::money(amounts.iter().sum(), "EUR", tegoed_core::Language::En);
    let text = visible(&page.body);
    assert!(
        text.contains(&format!("Total ({})", amounts.len()))
            && text.contains(&total.replace('\u{a0}', " ")),
        "{total} in {text}"
    );

    // The status filter keeps only what it says; the search finds by
    // customer number, and the export follows both.
    let kept = collector.get("/lists/promises?status=kept&format=csv");
    let kept = csv_rows(&kept.body, ',');
    assert!(kept[1..].iter().all(|r| r[4] == "kept"), "{kept:?}");
    let one = rows[1][1].split(" · ").next().unwrap().to_string();
    let found = collector.get(&format!("/lists/promises?status=all&q={one}&format=csv"));
    let found = csv_rows(&found.body, ',');
    assert!(found.len() >= 2 && found[1..].iter().all(|r| r[1].starts_with(&one)));

    // A call done from the task list: back on the same list, with the
    // confirmation, and the task is no longer open.
    let tasks = collector.get("/lists/tasks");
    let open_before = csv_rows(&collector.get("/lists/tasks?format=csv").body, ',').len() - 1;
    let at = tasks
        .body
        .find("action=\"/tasks/")
        .expect("an open task on the list");
    let id: String = tasks.body[at + "action=\"/tasks/".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let done = collector.post(
        &format!("/tasks/{id}/done"),
        &[
            ("outcome", "Called, pays Friday"),
            ("back", "/lists/tasks?sort=due&dir=asc&page=1"),
        ],
    );
    assert_eq!(done.status, 303);
    let location = done.header("location").unwrap().to_string();
    assert!(location.starts_with("/lists/tasks?"), "{location}");
    let back = collector.get(&location);
    // A call is a call; the first task may also be a customer's request
    // from their own page, which was not a call (it said so before).
    let kind = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        Ok(tx.task(id.parse().unwrap())?.unwrap().task.kind)
    })
    .unwrap();
    let said = if kind == "call" {
        "Call recorded."
    } else {
        "Task done."
    };
    assert!(
        visible(&back.body).contains(said),
        "{kind}: {}",
        visible(&back.body)
    );
    let open_after = csv_rows(&collector.get("/lists/tasks?format=csv").body, ',').len() - 1;
    assert_eq!(open_after + 1, open_before);

    // In Dutch: Dutch headings and file names, `;` and a decimal comma.
    set_language(&collector, "nl");
    let csv = collector.get("/lists/plans?status=all&format=csv");
    assert!(
        csv.header("content-disposition")
            .unwrap()
            .contains("betalingsregelingen-")
    );
    let rows = csv_rows(&csv.body, ';');
    assert_eq!(rows[0][0], "Gemaakt op");
    assert!(
        rows[1][2].contains(',') && !rows[1][2].contains('.'),
        "{:?}",
        rows[1]
    );
    let xlsx = collector.get("/lists/plans?status=all&format=xlsx");
    assert_eq!(xlsx.status, 200);
    assert!(
        xlsx.header("content-disposition")
            .unwrap()
            .ends_with(".xlsx\"")
    );
    assert!(collector.get("/lists/nothing").status == 404);
    // Messages of a period: the last 30 days unless asked; never more
    // than all of them.
    let rows = |q: &str| {
        csv_rows(
            &collector
                .get(&format!("/lists/messages?{q}format=csv"))
                .body,
            ';',
        )
        .len()
    };
    let page = collector.get("/lists/messages");
    assert!(page.body.contains("name=\"period\""), "a period to choose");
    assert!(rows("") <= rows("period=all&"));
}

fn group(n: usize) -> String {
    tegoed_app::format::integer(n as i64, tegoed_core::Language::En)
}

/// A form with a mistake comes back as it was typed, with the message at
/// that form in the reader's language (HTTP 422), not as an error page.
#[test]
fn a_form_with_a_mistake_comes_back_with_the_message_at_the_form() {
    let server = start(120);
    let collector = login(server.addr, "collector@t.example");
    set_language(&collector, "nl");
    let customer = interesting_customers(&collector)
        .into_iter()
        .next()
        .expect("a customer");
    let r = collector.post(
        &format!("/customers/{customer}/promise"),
        &[
            ("amount", "veel geld"),
            ("date", "2026-12-05"),
            ("note", "belt terug"),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("<nav>"), "the page itself, with the menu");
    let form_start = r
        .body
        .find("id=\"promise-form\"")
        .expect("the promise form");
    let form = &r.body[form_start..form_start + r.body[form_start..].find("</form>").unwrap()];
    assert!(form.contains("role=\"alert\""), "{form}");
    assert!(
        form.contains("Bedrag: dat is geen bedrag (bijvoorbeeld 250 of 250,00)."),
        "{form}"
    );
    assert!(
        form.contains("value=\"veel geld\""),
        "what was typed stays: {form}"
    );
    assert!(form.contains("aria-invalid=\"true\""), "{form}");
    assert!(form.contains("value=\"belt terug\""));
    assert!(
        slips(&r.body, true).is_empty(),
        "{:?}",
        slips(&r.body, true)
    );
    // A pause that ended before today: said in Dutch, at its field
    // (found by trying it: it said only "wat is ingevuld klopt niet").
    let r = collector.post(
        &format!("/customers/{customer}/pause"),
        &[("until", "2020-01-01"), ("reason", "vakantie")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body
            .contains("Tot en met: een pauze loopt tot en met vandaag of later."),
        "{}",
        r.body
    );
    // In English the use case's own words.
    set_language(&collector, "en");
    let r = collector.post(
        &format!("/customers/{customer}/pause"),
        &[("until", "2020-01-01"), ("reason", "holiday")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let form_start = r.body.find("id=\"pause-form\"").unwrap();
    let form = &r.body[form_start..form_start + r.body[form_start..].find("</form>").unwrap()];
    assert!(form.contains("role=\"alert\""), "{form}");
    assert!(form.contains("value=\"holiday\""), "{form}");
    // The refusal is known by kind: said in plain English at its field, not
    // as the CLI's words with their flags (it said "--until 2020-01-01: a
    // pause ends today or later (today is …)").
    assert!(
        form.contains("Until: a pause lasts until today or later."),
        "{form}"
    );
    assert!(!r.body.contains("--until"), "no CLI flag on a page");
    // A promise for a day that has passed, in Dutch.
    set_language(&collector, "nl");
    let r = collector.post(
        &format!("/customers/{customer}/promise"),
        &[("amount", "100"), ("date", "2026-01-05")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body
            .contains("Datum: die datum is al voorbij; kies vandaag of later."),
        "{}",
        r.body
    );
}

/// The forms are read into typed values at the edge (a date, an amount, a
/// number in its range): a field that is not one comes back at its form
/// with what is wrong with that field, in the reader's language, without
/// reaching the use case.
#[test]
fn typed_forms_say_which_field_is_wrong_in_the_readers_language() {
    let server = start(120);
    let collector = login(server.addr, "collector@t.example");
    let customer = interesting_customers(&collector)
        .into_iter()
        .next()
        .expect("a customer");
    let form_of = |body: &str, id: &str| -> String {
        let start = body.find(&format!("id=\"{id}\"")).expect(id);
        body[start..start + body[start..].find("</form>").unwrap()].to_string()
    };
    let plan = [
        ("instalments", "twaalf"),
        ("first", "2026-12-20"),
        ("interval", "1m"),
    ];
    for (lang, said) in [
        (
            "nl",
            "Termijnen: &#x27;twaalf&#x27; is geen heel getal van 1 tot en met 120.",
        ),
        (
            "en",
            "Instalments: &#x27;twaalf&#x27; is not a whole number from 1 to 120.",
        ),
    ] {
        set_language(&collector, lang);
        let r = collector.post(&format!("/customers/{customer}/plan"), &plan);
        assert_eq!(r.status, 422, "{}", r.body);
        let form = form_of(&r.body, "plan-form");
        assert!(form.contains(said), "{lang}: {form}");
        assert!(form.contains("value=\"twaalf\""), "what was typed stays");
        assert!(
            slips(&r.body, lang == "nl").is_empty(),
            "{:?}",
            slips(&r.body, lang == "nl")
        );
    }
    set_language(&collector, "nl");
    let r = collector.post(
        &format!("/customers/{customer}/pause"),
        &[("until", "volgende week"), ("reason", "vakantie")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        form_of(&r.body, "pause-form").contains(
            "Tot en met: &#x27;volgende week&#x27; is geen datum; kies een datum (jjjj-mm-dd)."
        ),
        "{}",
        r.body
    );
    // A promise decades ahead would stop dunning for decades: at most a
    // year (it was saved: "betaalt uiterlijk 01-01-2099").
    let latest = tegoed_app::format::long_date(
        tegoed_app::refusal::latest_ahead(common::as_of()),
        tegoed_core::Language::Nl,
    );
    let r = collector.post(
        &format!("/customers/{customer}/promise"),
        &[("amount", "10"), ("date", "2099-01-01")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        form_of(&r.body, "promise-form").contains(&format!(
            "Datum: hooguit een jaar vooruit, tot en met {latest}."
        )),
        "{}",
        r.body
    );
    // A day Tegoed does not keep is said as such, not as "no date".
    let r = collector.post(
        &format!("/customers/{customer}/pause"),
        &[("until", "9999-12-31"), ("reason", "vakantie")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("ligt buiten 1900 tot en met 2999"),
        "{}",
        r.body
    );
    // A refused sale agreement keeps every field as typed.
    let r = collector.post(
        &format!("/customers/{customer}/sale-agreement"),
        &[
            ("terms", "45"),
            ("method", "direct_debit"),
            ("agreed_with", ""),
            ("date", "2026-11-01"),
            ("note", "afgesproken op de beurs"),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let form = form_of(&r.body, "sale-agreement-form");
    assert!(form.contains("value=\"45\""), "{form}");
    assert!(form.contains("value=\"direct_debit\" selected"), "{form}");
    assert!(form.contains("value=\"2026-11-01\""), "{form}");
    assert!(form.contains("value=\"afgesproken op de beurs\""), "{form}");
    // In English too the refusal is said for people, not as the CLI's
    // words ("--invoice-contact 'not-an-email': …").
    set_language(&collector, "en");
    let r = collector.post(
        &format!("/customers/{customer}/sale-agreement"),
        &[
            ("terms", "30"),
            ("method", "transfer"),
            ("agreed_with", "Piet"),
            ("date", "2026-11-01"),
            ("invoice_contact", "not-an-email"),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        form_of(&r.body, "sale-agreement-form")
            .contains("Invoices to: that is not an e-mail address (name@company.com)."),
        "{}",
        r.body
    );
    assert!(!r.body.contains("--invoice-contact"));
    set_language(&collector, "nl");
    // The pre-sale check: an empty customer is named as such (it said
    // "Naam: vul dit in.", the prospect's field), a KvK number is checked.
    let r = collector.get("/check?customer=&amount=5000");
    assert!(r.body.contains("Klant: vul dit in."), "{}", r.body);
    let r = collector.get("/check?new=1&name=Nieuw+B.V.&kvk=abc&amount=5000");
    assert!(
        r.body
            .contains("KvK-nummer: &#x27;abc&#x27; is geen KvK-nummer (8 cijfers)."),
        "{}",
        r.body
    );
    // An invoice in dispute offers no second dispute (the button stayed).
    let page = collector.get(&format!("/customers/{customer}")).body;
    let invoice = page
        .split("name=\"invoice\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an open invoice to dispute")
        .to_string();
    let r = collector.post(
        &format!("/customers/{customer}/dispute"),
        &[
            ("invoice", invoice.as_str()),
            ("reason", "levering niet compleet"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = collector.get(&format!("/customers/{customer}")).body;
    let row_start = page
        .find(&format!("<td class=\"nowrap\">{invoice}</td>"))
        .expect("the invoice's row");
    let row = &page[row_start..row_start + page[row_start..].find("</tr>").unwrap()];
    assert!(row.contains(">betwist<"), "{row}");
    assert!(!row.contains("/dispute\""), "{row}");
    // A preview on a customer number that finds nobody says so in Dutch.
    let credit = login(server.addr, "credit@t.example");
    set_language(&credit, "nl");
    let r = credit.get("/settings/template?name=standard/reminder.nl.txt&customer=C999999");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body
            .contains("Geen klant gevonden met dit nummer; zoek het op bij Klanten."),
        "{}",
        r.body
    );
    // An empty reason is named as the field to fill in.
    let r = collector.post(
        &format!("/customers/{customer}/pause"),
        &[("until", "2026-12-20"), ("reason", "  ")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        form_of(&r.body, "pause-form").contains("Reden: vul dit in."),
        "{}",
        r.body
    );
    // A note far too long is refused at the form, not stored.
    let long = "x".repeat(20_000);
    let r = collector.post(
        &format!("/customers/{customer}/note"),
        &[("text", long.as_str())],
    );
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("Notitie: te lang; hooguit 10.000 tekens."),
        "{}",
        r.body
    );
    // Nothing of it reached the customer's timeline.
    let page = collector.get(&format!("/customers/{customer}"));
    assert!(!page.body.contains(&long[..200]));
    // Ending a pause for a customer who is not paused: the end-pause form
    // is not on the page then, so the refusal is shown at the top (it came
    // back as a 422 with no message to be seen).
    let unpaused = interesting_customers(&collector)
        .into_iter()
        .find(|c| {
            !collector
                .get(&format!("/customers/{c}"))
                .body
                .contains("id=\"end-pause-form\"")
        })
        .expect("a customer who is not paused");
    let r = collector.post(
        &format!("/customers/{unpaused}/end-pause"),
        &[("reason", "klant betaalt")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body
            .contains("id=\"form-error\">De aanmaningen van deze klant zijn niet gepauzeerd.</p>"),
        "{}",
        r.body
    );
    // A body that is not a form is not read as one, and changes nothing.
    let r = common::request(
        server.addr,
        "POST",
        &format!("/customers/{customer}/note"),
        &[("Cookie", &collector.cookie)],
        Some((
            "text/plain",
            &format!("csrf={}&text=ingeschoven", collector.csrf),
        )),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("Het formulier kon niet worden gelezen"),
        "{}",
        r.body
    );
    assert!(
        !collector
            .get(&format!("/customers/{customer}"))
            .body
            .contains("ingeschoven")
    );
    // The payments queue's match needs at least one invoice number.
    let r = collector.post("/payments/1/match", &[("invoices", " , ")]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("Facturen: vul dit in."), "{}", r.body);
    assert!(r.body.contains("<nav>"), "an error page keeps the menu");
}

/// The customer's own page, its confirmations and the page for a link
/// that opens nothing, in Dutch and English, for the customers who used
/// it in the demo; and the team's pages that show what they did.
#[test]
fn the_customers_own_page_reads_well_in_both_languages() {
    let server = start(150);
    let as_of = common::as_of();
    let config = server.state.live().config.clone();
    let requests = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        Ok(tx.portal_requests(None, as_of.add_days(-7))?)
    })
    .unwrap();
    assert!(requests.len() >= 5, "the demo has portal activity");
    let mut found: Vec<String> = Vec::new();
    let mut opened = 0;
    for r in &requests {
        let url = tegoed_app::write_tx(server.store.as_ref(), |tx| {
            let number = tx.customer(r.request.customer)?.unwrap().customer.number;
            tegoed_app::portal::link(tx, &common::system(), &config, &number, as_of)
        })
        .unwrap()
        .url;
        let link = url[url.find("/p/").unwrap()..].to_string();
        for language in ["nl", "en"] {
            for page in [
                format!("{link}?lang={language}"),
                format!("{link}/done/{}?lang={language}", r.id),
                format!("/p/{}?lang={language}", "0".repeat(32)),
            ] {
                let resp = common::request(server.addr, "GET", &page, &[], None);
                assert!(matches!(resp.status, 200 | 404), "{page}: {}", resp.status);
                opened += 1;
                for (what, text) in slips(&resp.body, language == "nl") {
                    found.push(format!("[{language}] {what} {text:?} on {page}"));
                }
            }
        }
    }
    // The team's side: Today, My customers and the customer pages.
    for email in ["collector@t.example", server.sales_email.as_str()] {
        let client = login(server.addr, email);
        let mut pages = vec!["/today".to_string(), "/my".to_string()];
        for r in &requests {
            let number = tegoed_app::read_tx(server.store.as_ref(), |tx| {
                Ok(tx.customer(r.request.customer)?.unwrap().customer.number)
            })
            .unwrap();
            pages.push(format!("/customers/{number}"));
        }
        for language in ["nl", "en"] {
            set_language(&client, language);
            for page in &pages {
                let resp = client.get(page);
                opened += 1;
                for (what, text) in slips(&resp.body, language == "nl") {
                    found.push(format!("[{language}] {what} {text:?} on {email} {page}"));
                }
            }
        }
    }
    found.sort();
    found.dedup();
    assert!(
        found.is_empty(),
        "{} slips on {opened} pages:\n{}",
        found.len(),
        found.join("\n")
    );
}
