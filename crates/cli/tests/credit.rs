//! Risk, ratings, risk groups, the credit policy, the pre-sale check and
//! the cost calculator, through the `tegoed` binary.

mod common;

use common::Sandbox;
use serde_json::Value;

const AS_OF: &str = "2026-11-25";

fn demo(customers: &str) -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.ok(&["--as-of", AS_OF, "demo", "--customers", customers]);
    sandbox
}

fn keys(value: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    k.sort();
    k
}

#[test]
fn risk_model_trains_on_a_time_split_and_explains_scores() {
    let sandbox = demo("600");
    let report = sandbox.json(&["--as-of", AS_OF, "risk", "train"]);
    for key in [
        "auc",
        "brier",
        "n_train",
        "n_test",
        "cutoff",
        "late_days",
        "calibration",
    ] {
        assert!(
            report.get(key).is_some(),
            "risk train --json lacks {key}: {report}"
        );
    }
    assert_eq!(report["cutoff"], "2026-05-25", "as-of minus 6 months");
    assert_eq!(report["late_days"], 30);
    let auc = report["auc"].as_f64().unwrap();
    // The demo's behaviours give something real to learn, but not a toy.
    assert!(auc > 0.65 && auc < 0.95, "AUC {auc}");
    let brier = report["brier"].as_f64().unwrap();
    assert!(brier > 0.0 && brier < 0.25, "Brier {brier}");
    let n_test = report["n_test"].as_u64().unwrap();
    assert!(report["n_train"].as_u64().unwrap() > n_test && n_test > 500);
    let calibration = report["calibration"].as_array().unwrap();
    assert_eq!(calibration.len(), 10);
    let counted: u64 = calibration.iter().map(|b| b["n"].as_u64().unwrap()).sum();
    assert_eq!(counted, n_test);
    for bin in calibration {
        assert_eq!(keys(bin), ["from", "n", "observed", "predicted", "to"]);
    }
    // Predictions rise with the bins, and the riskiest tenth is really
    // later than the safest tenth.
    let first = &calibration[0];
    let last = &calibration[9];
    assert!(last["observed"].as_f64() > first["observed"].as_f64());

    let other = sandbox.json(&[
        "--as-of",
        AS_OF,
        "risk",
        "train",
        "--holdout-months",
        "3",
        "--late-days",
        "60",
    ]);
    assert_eq!(other["cutoff"], "2026-08-25");
    assert_eq!(other["late_days"], 60);

    // The newest model scores customers, with reasons in words.
    let mut classes = std::collections::BTreeSet::new();
    for n in 1..=40 {
        let id = format!("C{n:06}");
        let show = sandbox.json(&["--as-of", AS_OF, "risk", "show", &id, "--lang", "en"]);
        let p = show["probability"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p));
        let class = show["class"].as_str().unwrap().to_string();
        assert!(["A", "B", "C", "D", "E"].contains(&class.as_str()));
        assert_eq!(show["late_days"], 60);
        for reason in show["reasons"].as_array().unwrap() {
            assert!(reason["contribution"].as_f64().unwrap() > 0.0);
            assert!(!reason["text"].as_str().unwrap().is_empty());
        }
        classes.insert(class);
    }
    assert!(classes.len() >= 3, "a spread of classes: {classes:?}");
    let text = sandbox.ok(&["--as-of", AS_OF, "risk", "show", "C000007", "--lang", "en"]);
    assert!(
        text.contains("chance of paying more than 60 days late"),
        "{text}"
    );

    // Segments can follow the risk class once a model exists.
    let config = sandbox.write(
        "risk-segments.toml",
        "[[segment]]\nid = \"risky\"\nstrategy = \"critical\"\nwhen = { risk_classes = [\"E\"] }\n\n[[segment]]\nid = \"rest\"\nstrategy = \"standard\"\n",
    );
    let show = sandbox.json(&["--as-of", AS_OF, "risk", "show", "C000007"]);
    let explain = sandbox.json(&[
        "--as-of", AS_OF, "--config", &config, "segments", "explain", "C000007",
    ]);
    assert_eq!(explain["facts"]["risk_class"], show["class"]);
    let expected = if show["class"] == "E" {
        "risky"
    } else {
        "rest"
    };
    assert_eq!(explain["segment"], expected);
    let list = sandbox.json(&["--as-of", AS_OF, "--config", &config, "segments", "list"]);
    let risky = list[0]["customers"].as_u64().unwrap();
    assert!(
        risky > 0 && risky < 600,
        "some customers are class E: {risky}"
    );

    let groups = sandbox.json(&["--as-of", AS_OF, "report", "risk-groups"]);
    assert_eq!(groups["by"], "industry");
    let rows = groups["rows"].as_array().unwrap();
    assert!(rows.len() >= 4);
    for row in rows {
        assert_eq!(
            keys(row),
            [
                "avg_days_late",
                "classes",
                "customers",
                "dso",
                "handed_off",
                "key",
                "name",
                "receivables",
                "revenue_12m",
                "share_lost",
                "share_paid_late"
            ]
        );
    }
    let customers: u64 = rows.iter().map(|r| r["customers"].as_u64().unwrap()).sum();
    assert_eq!(customers, 600);
    assert_eq!(groups["total"]["customers"], 600);
    let scored: u64 = groups["total"]["classes"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.as_str() != "none")
        .map(|(_, v)| v.as_u64().unwrap())
        .sum();
    assert_eq!(
        scored, 600,
        "every customer has a class once a model exists"
    );
    // The segments read the classes from the same scan as the facts; the
    // risk groups from a scan of their own: the same customers are E.
    assert_eq!(
        groups["total"]["classes"]["E"].as_u64().unwrap_or(0),
        risky,
        "class E in the risk groups and the segment that takes class E"
    );
    for by in ["segment", "account-manager"] {
        let g = sandbox.json(&["--as-of", AS_OF, "report", "risk-groups", "--by", by]);
        assert_eq!(g["by"], by);
        assert_eq!(g["total"]["customers"], 600);
    }

    // The check on a demo customer has the stable shape.
    let check = sandbox.json(&[
        "--as-of",
        AS_OF,
        "check",
        "--customer",
        "C000007",
        "--amount",
        "5000",
    ]);
    assert_eq!(
        keys(&check),
        [
            "amount",
            "as_of",
            "checklist",
            "checklist_done",
            "conditions",
            "cost_of_non_payment",
            "limit",
            "max_days_overdue",
            "overdue",
            "rating",
            "reasons",
            "risk",
            "rule",
            "subject",
            "terms_agreed",
            "terms_days",
            "verdict"
        ]
    );
    assert!(["approve", "conditions", "prepay"].contains(&check["verdict"].as_str().unwrap()));
    for key in ["class", "probability", "reasons"] {
        assert!(check["risk"].get(key).is_some());
    }
    for key in ["limit", "open", "after_deal", "room"] {
        assert!(check["limit"].get(key).is_some());
    }
    for key in [
        "financing",
        "expected_loss",
        "collection",
        "extra_revenue_needed",
    ] {
        assert!(check["cost_of_non_payment"][key].is_string());
    }
    assert_eq!(
        check["cost_of_non_payment"]["extra_revenue_needed"],
        "20000.00"
    );
}

#[test]
fn policy_edges_at_the_limit_with_stale_ratings_and_without_history() {
    let sandbox = Sandbox::with_examples();
    let as_of = "2026-01-10";
    let check = |args: &[&str]| {
        let mut all = vec!["--as-of", as_of, "check"];
        all.extend_from_slice(args);
        sandbox.json(&all)
    };
    // C001: limit 10,000.00, 1,210.00 open, nothing overdue.
    let at_limit = check(&["--customer", "C001", "--amount", "8790.00", "--lang", "en"]);
    assert_eq!(at_limit["limit"]["open"], "1210.00");
    assert_eq!(at_limit["limit"]["after_deal"], "10000.00");
    assert_eq!(at_limit["limit"]["room"], "8790.00");
    assert_eq!(
        at_limit["verdict"], "conditions",
        "exactly at the limit counts as full"
    );
    assert_eq!(at_limit["rule"], "over_limit");
    let under = check(&["--customer", "C001", "--amount", "8789.99"]);
    assert_eq!(under["verdict"], "approve");
    assert_eq!(under["conditions"], Value::Array(vec![]));
    let over = check(&["--customer", "C001", "--amount", "9000", "--lang", "en"]);
    assert_eq!(over["conditions"][0]["code"], "within_limit");
    assert_eq!(
        over["conditions"][0]["text"],
        "€\u{a0}210.00 paid in advance (the part above the credit limit)"
    );
    assert!(
        over["checklist"].as_array().unwrap().iter().any(|i| i
            .as_str()
            .unwrap()
            .starts_with("Prepayment received before delivery")),
        "{}",
        over["checklist"]
    );

    // Without a trained model the risk says so, and nothing pretends.
    assert_eq!(under["risk"]["class"], Value::Null);
    assert_eq!(under["risk"]["probability"], Value::Null);
    assert_eq!(under["risk"]["basis"], "none");

    // Ratings: for a customer by number, by KvK, and for a prospect.
    let ratings = sandbox.write(
        "ratings.csv",
        "customer_id;kvk;provider;score;recommended_limit;date\n\
         C001;;Graydon;72;15.000,00;2025-12-01\n\
         ;87654321;Creditsafe;55;;2025-11-15\n\
         ;11223344;Creditsafe;15;2000;2025-12-20\n",
    );
    let summary = sandbox.json(&["import", "ratings", &ratings]);
    assert_eq!(summary["inserted"], 3);
    assert_eq!(summary["prospects"], 1);
    let again = sandbox.json(&["import", "ratings", &ratings]);
    assert_eq!(again["unchanged"], 3, "a re-import changes nothing");

    // A poor, current rating: prepayment only.
    let prospect = [
        "--new",
        "--name",
        "Nieuwe Klant B.V.",
        "--kvk",
        "11223344",
        "--amount",
        "500",
    ];
    let poor = check(&prospect);
    assert_eq!(poor["verdict"], "prepay");
    assert_eq!(poor["rule"], "highest_risk");
    assert_eq!(poor["rating"]["age_days"], 21);
    // The same rating a year later is stale: it no longer decides.
    let stale = sandbox.json(&[
        "--as-of",
        "2026-12-20",
        "check",
        "--new",
        "--name",
        "Nieuwe Klant B.V.",
        "--kvk",
        "11223344",
        "--amount",
        "500",
    ]);
    assert_eq!(stale["rating"]["stale"], true);
    assert_eq!(stale["verdict"], "approve");
    // A prospect without history or rating and a large deal.
    let large = check(&[
        "--new",
        "--name",
        "Groot B.V.",
        "--industry",
        "4120",
        "--amount",
        "25000",
    ]);
    assert_eq!(large["verdict"], "conditions");
    assert_eq!(large["rule"], "large_prospect");
    assert_eq!(large["subject"]["prospect"], true);
    let codes: Vec<&str> = large["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["fresh_rating", "prepayment"]);
    // A KvK number that is already a customer is checked as that customer.
    let known = check(&[
        "--new", "--name", "Jansen", "--kvk", "87654321", "--amount", "100",
    ]);
    assert_eq!(known["subject"]["customer"], "C002");

    // Bad input is named.
    let err = sandbox.fails(&[
        "--as-of",
        as_of,
        "check",
        "--customer",
        "C999",
        "--amount",
        "10",
    ]);
    assert!(err.contains("no customer 'C999'"), "{err}");
    let err = sandbox.fails(&[
        "--as-of",
        as_of,
        "check",
        "--customer",
        "C001",
        "--amount=-5",
    ]);
    assert!(err.contains("positive amount"), "{err}");
    let bad = sandbox.write(
        "bad-ratings.csv",
        "customer_id,provider,score,date\nC001,Graydon,72,2026-01-01\nC002,Graydon,hoog,2026-01-01\n",
    );
    let err = sandbox.fails(&["import", "ratings", &bad]);
    assert!(
        err.contains("bad-ratings.csv") && err.contains("line 3"),
        "{err}"
    );
    assert!(err.contains("'score'") && err.contains("hoog"), "{err}");
    let fixed = sandbox.write(
        "bad-ratings.csv",
        "customer_id,provider,score,date\nC001,Graydon,72,2026-01-01\n",
    );
    assert_eq!(
        sandbox.json(&["import", "ratings", &fixed])["inserted"],
        1,
        "the failed file saved nothing"
    );
}

#[test]
fn cost_calculator_and_policy_text() {
    let sandbox = Sandbox::new();
    let cost = sandbox.json(&[
        "cost",
        "--amount",
        "10000",
        "--days-late",
        "45",
        "--margin",
        "20",
    ]);
    assert_eq!(cost["financing"], "98.63", "10,000 × 8 % × 45 / 365");
    assert_eq!(cost["extra_revenue_needed"], "50000.00", "10,000 / 20 %");
    assert_eq!(cost["collection"], "75.00");
    assert_eq!(cost["expected_loss"], Value::Null);
    let with_p = sandbox.json(&["cost", "--amount", "10000", "--probability", "3%"]);
    assert_eq!(with_p["expected_loss"], "300.00");
    assert_eq!(
        with_p["extra_revenue_needed"], "40000.00",
        "default margin 25 %"
    );
    let err = sandbox.fails(&["cost", "--amount", "100", "--margin", "0"]);
    assert!(err.contains("--margin"), "{err}");

    let nl = sandbox.ok(&["policy", "explain", "--lang", "nl"]);
    let en = sandbox.ok(&["policy", "explain", "--lang", "en"]);
    assert!(
        nl.contains("Alleen tegen vooruitbetaling")
            && nl.contains("Verkopen met extra voorwaarden")
    );
    assert!(en.contains("Prepayment only") && en.contains("Sell on normal terms"));
    assert!(
        en.contains("When the order takes the customer over the credit limit"),
        "{en}"
    );
    assert!(nl.contains("30% van de order vooraf betalen"), "{nl}");
    let json = sandbox.json(&["policy", "explain", "--lang", "en"]);
    let rules = json["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 10);
    // Every rule's reason is in the text: generated from the same rules.
    for rule in rules {
        assert!(en.contains(rule["reason"].as_str().unwrap()), "{rule}");
    }

    // A policy of one's own, checked with names.
    let config = sandbox.write(
        "tegoed.toml",
        "[policy]\nmargin = 0.3\n[[policy.rule]]\nid = \"big\"\nverdict = \"conditions\"\nwhen = { deal_minimum = \"1000\" }\nconditions = [\"direct_debit\"]\nreason_nl = \"x\"\nreason_en = \"x\"\n",
    );
    let err = sandbox.fails(&["--config", &config, "policy", "explain"]);
    assert!(
        err.contains("policy rule 'big'") && err.contains("deal_minimum"),
        "{err}"
    );
    let config = sandbox.write(
        "tegoed.toml",
        "[policy]\nmargin = 0.3\n[[policy.rule]]\nid = \"big\"\nverdict = \"conditions\"\nwhen = { deal_min = \"1000\" }\nconditions = [\"direct_debit\"]\nreason_nl = \"Groot\"\nreason_en = \"Big\"\n[[policy.rule]]\nid = \"rest\"\nverdict = \"approve\"\nreason_nl = \"Goed\"\nreason_en = \"Fine\"\n",
    );
    let text = sandbox.ok(&["--config", &config, "policy", "explain", "--lang", "en"]);
    assert!(
        text.contains("When the order is €\u{a0}1,000.00 or more: Big"),
        "{text}"
    );
    assert!(text.contains("payment by direct debit"), "{text}");
    let cost = sandbox.json(&["--config", &config, "cost", "--amount", "300"]);
    assert_eq!(
        cost["extra_revenue_needed"], "1000.00",
        "margin from the file"
    );
}

#[test]
fn risk_train_late_days_0_means_paid_after_the_due_date_at_all() {
    // Regression: `--late-days 0` was refused ("choose 1 to 365"), although
    // "paid after the due date" is the most common definition of late.
    let sandbox = demo("300");
    let train = |late_days: &str| {
        sandbox.json(&["--as-of", AS_OF, "risk", "train", "--late-days", late_days])
    };
    let strict = train("0");
    assert_eq!(strict["late_days"], 0);
    let lenient = train("30");
    let share = |r: &Value| r["late_share_train"].as_f64().unwrap();
    assert!(
        share(&strict) > share(&lenient),
        "more invoices are late by the day than by a month: {} vs {}",
        share(&strict),
        share(&lenient)
    );
    let err = sandbox.fails(&["--as-of", AS_OF, "risk", "train", "--late-days", "366"]);
    assert!(err.contains("choose 0"), "{err}");
}

/// The payment agreement made at the sale: recorded by sales with its
/// terms, who agreed and when; listed; refused when it cannot be true; the
/// pre-sale check ticks "terms agreed and explained"; and the next
/// reminder quotes it.
#[test]
fn an_agreement_made_at_the_sale_is_recorded_ticked_and_quoted() {
    let sandbox = demo("150");
    // A customer the dunning run reminds today.
    let preview = sandbox.json(&["--as-of", AS_OF, "dunning", "preview"]);
    let reminded = preview["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["step"] == "reminder" && m["language"] == "nl")
        .expect("a Dutch reminder today");
    let customer = reminded["customer"].as_str().unwrap().to_string();
    let before = sandbox.json(&[
        "--as-of",
        AS_OF,
        "check",
        "--customer",
        &customer,
        "--amount",
        "1000",
    ]);
    assert_eq!(before["terms_agreed"], Value::Null);
    assert!(
        before["checklist_done"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d == false)
    );

    let line = sandbox.json(&[
        "--as-of",
        AS_OF,
        "agreement",
        "record",
        &customer,
        "--terms",
        "14",
        "--method",
        "direct_debit",
        "--agreed-with",
        "Jan de Vries",
        "--date",
        "2026-03-03",
        "--invoice-contact",
        "facturen@klant.example",
    ]);
    assert_eq!(line["terms_days"], 14);
    assert_eq!(line["method"], "direct_debit");
    assert_eq!(line["agreed_with"], "Jan de Vries");
    assert!(line["agreed_by"].as_str().is_some_and(|by| !by.is_empty()));
    let list = sandbox.json(&["--as-of", AS_OF, "agreement", "list", &customer]);
    assert_eq!(list.as_array().unwrap().len(), 1);

    for bad in [
        vec![
            "--terms",
            "400",
            "--agreed-with",
            "x",
            "--date",
            "2026-03-03",
        ],
        vec![
            "--terms",
            "30",
            "--agreed-with",
            " ",
            "--date",
            "2026-03-03",
        ],
        vec![
            "--terms",
            "30",
            "--agreed-with",
            "x",
            "--date",
            "2026-12-31",
        ],
        vec![
            "--terms",
            "30",
            "--agreed-with",
            "x",
            "--date",
            "2026-03-03",
            "--method",
            "cash",
        ],
        vec![
            "--terms",
            "30",
            "--agreed-with",
            "x",
            "--date",
            "2026-03-03",
            "--invoice-contact",
            "nope",
        ],
    ] {
        let mut args = vec!["--as-of", AS_OF, "agreement", "record", &customer];
        args.extend(bad.iter().copied());
        sandbox.fails(&args);
    }
    assert_eq!(
        sandbox
            .json(&["--as-of", AS_OF, "agreement", "list", &customer])
            .as_array()
            .unwrap()
            .len(),
        1,
        "nothing recorded by a refused one"
    );

    // The check ticks the terms (30 days asked, 14 agreed).
    let after = sandbox.json(&[
        "--as-of",
        AS_OF,
        "check",
        "--customer",
        &customer,
        "--amount",
        "1000",
    ]);
    assert_eq!(after["terms_agreed"]["terms_days"], 14);
    let checklist = after["checklist"].as_array().unwrap();
    let done = after["checklist_done"].as_array().unwrap();
    assert_eq!(checklist.len(), done.len());
    if after["verdict"] != "prepay" {
        let terms = checklist
            .iter()
            .position(|item| {
                item.as_str().unwrap().contains("agreed in writing")
                    || item.as_str().unwrap().contains("schriftelijk afgesproken")
            })
            .expect("a terms item");
        // The item names the terms the policy asks (it may ask shorter);
        // only the agreed 14 days tick it.
        let asked: String = checklist[terms]
            .as_str()
            .unwrap()
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        assert_eq!(done[terms], asked == "14", "{}", checklist[terms]);
    }

    // The reminder quotes it.
    let preview = sandbox.json(&[
        "--as-of",
        AS_OF,
        "dunning",
        "preview",
        "--customer",
        &customer,
    ]);
    let text = preview["messages"][0]["message"]["text"].as_str().unwrap();
    assert!(
        text.contains("Zoals op 3 maart 2026 met")
            && text.contains("betaalt u binnen 14 dagen via automatische incasso"),
        "{text}"
    );
    let timeline = sandbox.json(&["--as-of", AS_OF, "customer", "timeline", &customer]);
    assert!(timeline.to_string().contains("sale_agreement"));
}

/// A pause that would end before today is refused (it would only put an
/// untrue line on the timeline); one to today is fine.
#[test]
fn a_pause_that_ended_before_today_is_refused() {
    let sandbox = demo("40");
    let error = sandbox.fails(&[
        "--as-of",
        AS_OF,
        "pause",
        "C000001",
        "--until",
        "2026-11-24",
        "--reason",
        "te laat",
    ]);
    assert!(error.contains("a pause ends today or later"), "{error}");
    // Said once (a refusal printed itself twice, as the error and as its
    // cause: "X: X").
    assert_eq!(
        error.matches("a pause ends today or later").count(),
        1,
        "{error}"
    );
    sandbox.ok(&[
        "--as-of", AS_OF, "pause", "C000001", "--until", AS_OF, "--reason", "vandaag",
    ]);
}

/// A pause ends on request (`pause --end`), on the timeline; ending one
/// that is not there is refused.
#[test]
fn a_pause_ends_when_asked() {
    let sandbox = demo("40");
    let error = sandbox.fails(&[
        "--as-of",
        AS_OF,
        "pause",
        "C000002",
        "--end",
        "--reason",
        "klant belde",
    ]);
    assert!(error.contains("is not paused"), "{error}");
    sandbox.ok(&[
        "--as-of",
        AS_OF,
        "pause",
        "C000002",
        "--until",
        "2026-12-20",
        "--reason",
        "overname",
    ]);
    let ended = sandbox.json(&[
        "--as-of",
        AS_OF,
        "pause",
        "C000002",
        "--end",
        "--reason",
        "klant belde",
    ]);
    assert_eq!(ended["pause_until"], "2026-11-24");
    let timeline = sandbox.json(&["--as-of", AS_OF, "customer", "timeline", "C000002"]);
    assert!(timeline.to_string().contains("klant belde"));
}
