//! The pre-sale check, in process, on a real database.
//!
//! Usage: `cargo bench -p tegoed-app --bench check -- DB [AS_OF] [CHECKS]`
//! (`bench/check.sh` builds the 100k-customer database and trains the
//! model first). Prints the time per check and the ratio against a named
//! baseline: reading the same customer's documents with their open amounts
//! (`customer_documents`, the least any check must read).

use std::time::Instant;

use tegoed_app::config::Config;
use tegoed_app::policy::{CheckRequest, Checker, Subject};
use tegoed_core::{Date, Language, Money};
use tegoed_store::Store;
use tegoed_store_sqlite::SqliteStore;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some(db) = args.first() else {
        eprintln!("usage: cargo bench -p tegoed-app --bench check -- DB [AS_OF] [CHECKS]");
        eprintln!("(bench/check.sh prepares the database)");
        return;
    };
    let as_of = Date::parse_iso(args.get(1).map_or("2026-11-25", String::as_str)).expect("AS_OF");
    let checks: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(2000);
    let store = SqliteStore::open(db).expect("open the database");
    let config = Config::default_in(std::path::Path::new("."));
    let mut tx = store.read().expect("read transaction");
    let directory = tx.customer_directory().expect("customers");
    let step = (directory.len() / checks).max(1);
    let sample: Vec<_> = directory.iter().step_by(step).take(checks).collect();

    let started = Instant::now();
    let checker = Checker::new(tx.as_mut(), &config).expect("load the model");
    let load_ms = started.elapsed().as_secs_f64() * 1e3;
    assert!(
        checker.model.is_some(),
        "train the model first: tegoed risk train"
    );

    let mut base = Vec::with_capacity(sample.len());
    for c in &sample {
        let t = Instant::now();
        let docs = tx.customer_documents(c.id, as_of).expect("documents");
        std::hint::black_box(docs);
        base.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let mut times = Vec::with_capacity(sample.len());
    let mut verdicts = [0usize; 3];
    for (i, c) in sample.iter().enumerate() {
        let request = CheckRequest {
            subject: Subject::Customer(c.number.clone()),
            amount: Money::eur(250_000 + (i as i64 % 40) * 100_000),
            terms_days: None,
            language: Language::Nl,
        };
        let t = Instant::now();
        let result = checker.check(tx.as_mut(), &request, as_of).expect("check");
        times.push(t.elapsed().as_secs_f64() * 1e3);
        verdicts[match result.verdict {
            "approve" => 0,
            "conditions" => 1,
            _ => 2,
        }] += 1;
    }
    times.sort_by(f64::total_cmp);
    base.sort_by(f64::total_cmp);
    let median = percentile(&times, 0.5);
    let base_median = percentile(&base, 0.5);
    println!(
        "pre-sale check, in process: {} customers of {}, as of {as_of}",
        sample.len(),
        directory.len()
    );
    println!("model and policy loaded once: {load_ms:.2} ms");
    println!(
        "check: median {median:.3} ms, p95 {:.3} ms, max {:.3} ms, mean {:.3} ms (target under 5 ms)",
        percentile(&times, 0.95),
        times[times.len() - 1],
        times.iter().sum::<f64>() / times.len() as f64
    );
    println!(
        "verdicts: {} approve, {} conditions, {} prepay",
        verdicts[0], verdicts[1], verdicts[2]
    );
    println!(
        "baseline customer_documents (the customer's documents and open amounts): median {base_median:.3} ms"
    );
    println!("ratio check / baseline: {:.2}", median / base_median);
    println!(
        "{}",
        if percentile(&times, 0.95) < 5.0 {
            "PASS: p95 under 5 ms"
        } else {
            "FAIL: p95 not under 5 ms"
        }
    );
}
