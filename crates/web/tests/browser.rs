//! The browser flow (tests/browser/flow.mjs) in Debian's Chromium driven
//! by Playwright. Needs node, `npm install` in tests/browser and
//! /usr/bin/chromium; `.ci/run` installs them. Without them the test says
//! why it did not run, and fails under CI=true.

mod common;

use std::path::Path;
use std::process::Command;

fn missing() -> Option<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node is not installed".into());
    }
    if !dir.join("node_modules/playwright-core").exists() {
        return Some(format!(
            "playwright-core is not installed (npm install --prefix {})",
            dir.display()
        ));
    }
    if !Path::new(&chromium).exists() {
        return Some(format!("{chromium} is missing (apt-get install chromium)"));
    }
    None
}

/// Whether node, playwright-core and Chromium are there; says why not
/// (and fails under CI=true, where `.ci/run` installs them).
fn browser_present() -> bool {
    let Some(why) = missing() else {
        return true;
    };
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("the browser test cannot run under CI: {why}");
    }
    eprintln!("SKIPPED: the browser test did not run: {why}");
    false
}

/// Runs `script` in tests/browser with `args`; its output, and a failure
/// with both outputs when it does not succeed.
fn run_script(script: &str, args: &[&str]) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let out = Command::new("node")
        .current_dir(&dir)
        .arg(script)
        .args(args)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "the browser script {script} failed:\n{stdout}\n{stderr}"
    );
    stdout
}

#[test]
fn sales_credit_and_collection_work_together_in_a_browser() {
    if !browser_present() {
        return;
    }
    let server = common::start(120);
    let (own, dunned) = {
        let mut tx = server.store.read().unwrap();
        let manager = tx
            .account_managers()
            .unwrap()
            .into_iter()
            .find(|(_, m)| {
                m.email
                    .as_ref()
                    .is_some_and(|e| e.as_str() == server.sales_email)
            })
            .unwrap()
            .0;
        let own = tx
            .customer_directory()
            .unwrap()
            .into_iter()
            .find(|c| c.account_manager == Some(manager))
            .unwrap()
            .number;
        drop(tx);
        let preview = server.state.cache.preview(&server.state, true).unwrap();
        let dunned = preview
            .messages
            .iter()
            .find(|m| m.customer != own && m.items.iter().all(|i| i.days_overdue > 0))
            .expect("someone in the dunning preview")
            .customer
            .clone();
        (own, dunned)
    };
    let base = format!("http://{}", server.addr);
    let stdout = run_script(
        "flow.mjs",
        &[&base, &server.sales_email, &own, &dunned, common::PASSWORD],
    );
    assert!(stdout.contains("flow: ok"));
    let state = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        tegoed_app::agreements::state_of(tx, &own)
    })
    .unwrap();
    assert_eq!(
        state.pause_until.map(|d| d.to_string()).as_deref(),
        Some("2026-12-20")
    );
}

/// tests/browser/morning.mjs: a collector's morning (Today, the call, the
/// promise, a payment matched, each confirmed) and a credit manager
/// changing a segment through the form, in Dutch.
#[test]
fn a_collectors_morning_and_a_segment_changed_through_the_form_in_a_browser() {
    if !browser_present() {
        return;
    }
    let server = common::start_with(120, true);
    let as_of = common::as_of();
    // This morning's work, as the dunning run and the bank would leave it:
    // a call due today about an overdue customer, and a statement whose
    // payments wait on the review queue.
    let book = server.state.cache.portfolio(&server.state, true).unwrap();
    let overdue = book
        .rows
        .iter()
        .filter(|r| r.overdue_minor > 10_000)
        .max_by_key(|r| r.overdue_minor)
        .expect("an overdue customer");
    let (called, called_id, amount) = (overdue.number.clone(), overdue.id, overdue.overdue_minor);
    let preview_customer = book.rows[0].number.clone();
    let statement = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        tegoed_app::demo::statement(tx, as_of, 40, 11)
    })
    .unwrap();
    tegoed_app::write_tx(server.store.as_ref(), |tx| {
        tx.insert_task(&tegoed_store::Task {
            customer: called_id,
            message: None,
            kind: "call".into(),
            created_on: as_of,
            due_on: as_of,
            assignee: None,
            title: "Bellen over de vervallen facturen".into(),
            talking_points: "Vraag wanneer de klant kan betalen.".into(),
            amount: tegoed_core::Money::eur(amount),
        })?;
        let summary = tegoed_app::bank::import_statement(
            tx,
            &common::system(),
            "ochtend.xml",
            statement.as_bytes(),
            &tegoed_app::Silent,
        )?;
        assert!(summary.to_review > 0, "payments to review");
        Ok(())
    })
    .unwrap();
    // Two of the salesperson's customers kept their deal.
    let thanked: Vec<tegoed_core::CustomerId> = {
        let mut tx = server.store.write().unwrap();
        let manager = tx
            .account_managers()
            .unwrap()
            .into_iter()
            .find(|(_, m)| {
                m.email
                    .as_ref()
                    .is_some_and(|e| e.as_str() == server.sales_email)
            })
            .unwrap()
            .0;
        let own: Vec<tegoed_core::CustomerId> = tx
            .customer_directory()
            .unwrap()
            .into_iter()
            .filter(|c| c.account_manager == Some(manager))
            .map(|c| c.id)
            .take(2)
            .collect();
        let list: Vec<tegoed_store::Appreciation> = own
            .iter()
            .map(|&customer| tegoed_store::Appreciation {
                customer,
                reason: tegoed_core::appreciation::Reason::PromiseKept,
                since: as_of.add_days(-3),
                ref_id: 0,
                suggested: tegoed_core::appreciation::Suggested::ThankYou,
                evidence: "Promise kept".into(),
                evidence_nl: "Betaalbelofte nagekomen".into(),
                raised_on: as_of,
            })
            .collect();
        tx.insert_appreciations(&list).unwrap();
        tx.commit().unwrap();
        own
    };
    let base = format!("http://{}", server.addr);
    let stdout = run_script(
        "morning.mjs",
        &[
            &base,
            common::PASSWORD,
            &called,
            &preview_customer,
            &server.sales_email,
        ],
    );
    assert!(stdout.contains("morning: ok"));
    // What the browser did is in the database and the settings file.
    let (promises, tasks) = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        Ok((
            tegoed_app::agreements::promises_of(tx, called_id, as_of)?,
            tegoed_app::agreements::tasks_of(tx, called_id)?,
        ))
    })
    .unwrap();
    assert_eq!(promises.len(), 1);
    assert!(
        tasks
            .iter()
            .filter(|t| t.kind == "call")
            .all(|t| t.outcome.is_some())
    );
    // The decision recorded at the meeting is a task for its owner.
    let decisions: Vec<_> = tasks.iter().filter(|t| t.kind == "decision").collect();
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].title, "Betalingsregeling aanbieden");
    let settings = std::fs::read_to_string(&server.settings).unwrap();
    assert!(settings.contains("avg_days_late_min = 45"));
    assert!(settings.contains("# --- Strategies"));
    // The salesperson's thank-you went out; the gift is logged.
    let (messages, gifts) = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        let thank_yous = tx
            .messages(tegoed_store::MessageFilter::default())?
            .into_iter()
            .filter(|m| m.message.step_id == "thank_you")
            .map(|m| (m.message.customer, m.status))
            .collect::<Vec<_>>();
        Ok((thank_yous, tx.gifts(None)?))
    })
    .unwrap();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(thanked.contains(&messages[0].0));
    assert_eq!(messages[0].1, tegoed_store::MessageStatus::Sent);
    assert_eq!(gifts.len(), 1);
    assert_eq!(gifts[0].gift.value.minor, 3_500);
    assert_eq!(gifts[0].gift.item, "Taart voor het team");
    // The quiz answer is kept for the salesperson.
    let answers = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        Ok(tx.quiz_answers(as_of.add_days(-1))?)
    })
    .unwrap();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].answer.user, server.sales_email);
}

/// tests/browser/portal.mjs: the customer's own page on a phone, each
/// action in Dutch, a plan in English, from links the app issued.
#[test]
fn a_customer_acts_on_their_own_page_on_a_phone_in_dutch_and_english() {
    if !browser_present() {
        return;
    }
    let server = common::start(120);
    let as_of = common::as_of();
    let book = server.state.cache.portfolio(&server.state, true).unwrap();
    // Two customers with something overdue, nothing agreed or disputed,
    // not paused, whose class may set up a plan alone.
    let (busy, paused): (Vec<_>, Vec<_>) = {
        let mut tx = server.store.read().unwrap();
        let mut busy: Vec<_> = tx
            .promises(None, true)
            .unwrap()
            .into_iter()
            .map(|p| p.promise.customer)
            .collect();
        busy.extend(
            tx.plans(None, true)
                .unwrap()
                .into_iter()
                .map(|p| p.plan.customer),
        );
        busy.extend(
            tx.disputes(None, true)
                .unwrap()
                .into_iter()
                .map(|d| d.dispute.customer),
        );
        busy.extend(
            tx.portal_requests(None, as_of.add_days(-30))
                .unwrap()
                .into_iter()
                .map(|r| r.request.customer),
        );
        let paused = tx
            .collection_states()
            .unwrap()
            .into_iter()
            .filter(|(_, s)| s.pause_until.is_some() || s.handed_off_on.is_some())
            .map(|(c, _)| c)
            .collect();
        (busy, paused)
    };
    let mut picks = book.rows.iter().filter(|r| {
        r.overdue_minor > 10_000
            && r.overdue_minor < 1_000_000
            && matches!(r.risk_class, Some('A' | 'B' | 'C'))
            && !busy.contains(&r.id)
            && !paused.contains(&r.id)
    });
    let dutch = picks
        .next()
        .expect("a customer for the Dutch walk")
        .number
        .clone();
    let english = picks
        .next()
        .expect("a customer for the English walk")
        .number
        .clone();
    let config = server.state.live().config.clone();
    let link = |number: &str| {
        let url = tegoed_app::write_tx(server.store.as_ref(), |tx| {
            tegoed_app::portal::link(tx, &common::system(), &config, number, as_of)
        })
        .unwrap()
        .url;
        url[url.find("/p/").unwrap()..].to_string()
    };
    let invoice = tegoed_app::read_tx(server.store.as_ref(), |tx| {
        let c = tx.customer_by_number(&dutch)?.unwrap();
        Ok(tx
            .customer_documents(c.id, as_of)?
            .into_iter()
            .find(|d| d.open_minor > 0 && d.invoice.due_date < as_of)
            .unwrap()
            .invoice
            .number)
    })
    .unwrap();
    let base = format!("http://{}", server.addr);
    let overdue = book.row_of(&dutch).unwrap().overdue_minor;
    let overdue = format!("{},{:02}", overdue / 100, overdue % 100);
    let stdout = run_script(
        "portal.mjs",
        &[&base, &link(&dutch), &link(&english), &invoice, &overdue],
    );
    assert!(stdout.contains("portal: ok"));
    // What the customers did is where the team works.
    let mut tx = server.store.read().unwrap();
    let d = tx.customer_by_number(&dutch).unwrap().unwrap();
    let kinds: Vec<String> = tx
        .portal_requests(Some(d.id), as_of)
        .unwrap()
        .into_iter()
        .map(|r| r.request.kind)
        .collect();
    assert_eq!(kinds, ["contact", "problem", "promise", "paid"]);
    let e = tx.customer_by_number(&english).unwrap().unwrap();
    assert_eq!(tx.plans(Some(e.id), true).unwrap().len(), 1);
}
