//! Every bank statement and e-invoice in the third-party corpus
//! (`../shared/corpus`, see its SOURCES.md) is read: a snapshot records what
//! came out of each file, files meant to be invalid must be rejected with a
//! reason, and where the original project ships its expected results
//! (genkgo `.json`, OCA `golden-*.pydata`, WoLpH `.yml`) they are compared
//! entry by entry.

use std::fmt::Write;
use std::path::Path;

use tegoed_formats::statement::{self, Direction, StatementFile};
use tegoed_formats::{corpus, ubl};

/// Snapshot name for a corpus file: its path below the corpus, flattened.
fn snapshot_name(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .unwrap_or(file)
        .to_string_lossy()
        .replace(['/', '\\', ' ', '(', ')'], "_")
}

fn short(text: &str) -> String {
    let mut out: String = text.chars().take(70).collect();
    if text.chars().count() > 70 {
        out.push('…');
    }
    out
}

fn describe_statements(file: &StatementFile) -> String {
    let mut out = String::new();
    for statement in &file.statements {
        let balance = |b: &Option<statement::Balance>| {
            b.map(|b| format!("{} ({})", b.amount, b.date))
                .unwrap_or_else(|| "-".into())
        };
        let _ = writeln!(
            out,
            "statement {} [{}] account {} {} opening {} closing {}",
            statement.id.as_deref().unwrap_or("-"),
            statement.format,
            statement.account.as_deref().unwrap_or("-"),
            statement
                .currency
                .map(|c| c.to_string())
                .unwrap_or_else(|| "-".into()),
            balance(&statement.opening),
            balance(&statement.closing),
        );
        for entry in &statement.entries {
            let _ = writeln!(
                out,
                "  {} {} {}{}{} ref={} code={}",
                entry.booking_date,
                entry.direction.as_str(),
                entry.amount,
                if entry.reversal { " REVERSAL" } else { "" },
                match entry.status {
                    statement::EntryStatus::Booked => "",
                    statement::EntryStatus::Pending => " PENDING",
                    statement::EntryStatus::Information => " INFO",
                },
                entry
                    .servicer_ref
                    .as_deref()
                    .or(entry.entry_ref.as_deref())
                    .unwrap_or("-"),
                entry.bank_code.as_deref().unwrap_or("-"),
            );
            for detail in &entry.details {
                let _ = writeln!(
                    out,
                    "    {} party={:?} account={} e2e={} sref={} text={:?}{}",
                    detail
                        .amount
                        .map(|a| a.to_string())
                        .unwrap_or_else(|| "-".into()),
                    detail.counterparty_name.as_deref().unwrap_or(""),
                    detail.counterparty_account.as_deref().unwrap_or("-"),
                    detail.end_to_end_id.as_deref().unwrap_or("-"),
                    detail.structured_reference.as_deref().unwrap_or("-"),
                    short(detail.remittance.as_deref().unwrap_or("")),
                    detail
                        .return_reason
                        .as_ref()
                        .map(|r| format!(" return={r}"))
                        .unwrap_or_default(),
                );
            }
        }
    }
    for warning in &file.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    out
}

/// Files the corpus marks as invalid: they must be rejected.
const MEANT_INVALID: &[&str] = &[
    "test-camt053-wrong-amount.xml",
    "camt053.v2.wrong.xml",
    "test-wrong-file.940",
    "invalid_statement.sta",
    "knab_invalid.txt",
    "empty_non_swift.sta",
];

#[test]
fn every_statement_file_is_read_or_rejected_with_a_reason() {
    let Some(root) = corpus::dir() else { return };
    let mut read = 0;
    let mut rejected = 0;
    for folder in ["camt053", "mt940"] {
        for file in corpus::files(&root.join(folder)) {
            let name = file.file_name().unwrap().to_string_lossy().to_string();
            let bytes = std::fs::read(&file).unwrap();
            let outcome = statement::parse(&bytes);
            let text = match &outcome {
                Ok(parsed) => {
                    read += 1;
                    describe_statements(parsed)
                }
                Err(error) => {
                    rejected += 1;
                    assert!(
                        error.line >= 1 && !error.message.is_empty(),
                        "{name}: an error must say where and why"
                    );
                    format!("rejected: {error}\n")
                }
            };
            if MEANT_INVALID.contains(&name.as_str()) {
                assert!(
                    outcome.is_err(),
                    "{name} is meant to be invalid and must be rejected"
                );
            }
            insta::assert_snapshot!(snapshot_name(&root, &file), text);
        }
    }
    assert!(read >= 100, "only {read} statement files read");
    eprintln!("statements: {read} read, {rejected} rejected");
}

/// Signed minor units of each transaction detail in file order.
fn signed_details(file: &StatementFile) -> Vec<i64> {
    file.statements
        .iter()
        .flat_map(|s| &s.entries)
        .flat_map(|e| {
            e.details.iter().map(move |d| {
                let minor = d.amount.unwrap_or(e.amount).minor;
                if e.direction == Direction::Debit {
                    -minor
                } else {
                    minor
                }
            })
        })
        .collect()
}

#[test]
fn camt_entries_match_genkgo_expected_results() {
    let Some(root) = corpus::dir() else { return };
    let folder = root.join("camt053/genkgo_camt");
    let mut compared = 0;
    for file in corpus::files(&folder) {
        let expected_path = file.with_extension("json");
        let Ok(expected) = std::fs::read_to_string(&expected_path) else {
            continue;
        };
        let expected: serde_json::Value = serde_json::from_str(&expected).unwrap();
        let parsed = statement::parse(&std::fs::read(&file).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        // genkgo's message-level `getEntries` holds the entries of the last
        // record only (two records: `camt053.v2.multi.statement`).
        let records = expected["getRecords"].as_array().map_or(1, Vec::len);
        let ours: Vec<_> = if records > 1 {
            parsed
                .statements
                .last()
                .map(|s| s.entries.iter().collect())
                .unwrap_or_default()
        } else {
            parsed.statements.iter().flat_map(|s| &s.entries).collect()
        };
        let theirs = expected["getEntries"].as_array().unwrap();
        assert_eq!(ours.len(), theirs.len(), "{}: entry count", file.display());
        for (entry, exp) in ours.iter().zip(theirs) {
            let amount: i64 = exp["getAmount"]["getAmount"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            let signed = if entry.direction == Direction::Debit {
                -entry.amount.minor
            } else {
                entry.amount.minor
            };
            assert_eq!(signed, amount, "{}: amount", file.display());
            assert_eq!(
                entry.amount.currency.code(),
                exp["getAmount"]["getCurrency"]["getCode"].as_str().unwrap(),
                "{}: currency",
                file.display()
            );
            if let Some(date) = exp["getBookingDate"]["0"].as_str() {
                assert_eq!(
                    entry.booking_date.to_string(),
                    &date[..10],
                    "{}: booking date",
                    file.display()
                );
            }
            if let Some(reference) = exp["getAccountServicerReference"].as_str() {
                assert_eq!(
                    entry.servicer_ref.as_deref(),
                    Some(reference),
                    "{}: servicer reference",
                    file.display()
                );
            }
            assert_eq!(
                entry.reversal,
                exp["getReversalIndicator"].as_bool().unwrap_or(false),
                "{}",
                file.display()
            );
            compared += 1;
        }
    }
    assert!(compared >= 15, "compared {compared} entries");
}

/// The numbers after `'amount': ` in an OCA golden file's transactions.
fn golden_amounts(text: &str) -> Vec<i64> {
    let Some(start) = text.find("'transactions'") else {
        return Vec::new();
    };
    text[start..]
        .match_indices("'amount': ")
        .map(|(at, key)| {
            let rest = &text[start + at + key.len()..];
            let number: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
                .collect();
            let value: f64 = number.parse().unwrap();
            (value * 100.0).round() as i64
        })
        .collect()
}

#[test]
fn camt_transactions_match_oca_golden_results() {
    let Some(root) = corpus::dir() else { return };
    let folder = root.join("camt053/OCA_bank-statement-import");
    for (golden, source) in [
        ("golden-camt053.pydata", "test-camt053.xml"),
        ("golden-camt053-txdtls.pydata", "test-camt053-txdtls.xml"),
        ("golden-camt054.pydata", "test-camt054.xml"),
        ("golden-camt053-no-ntry.pydata", "test-camt053-no-ntry.xml"),
    ] {
        let expected = golden_amounts(&std::fs::read_to_string(folder.join(golden)).unwrap());
        let parsed = statement::parse(&std::fs::read(folder.join(source)).unwrap()).unwrap();
        assert_eq!(signed_details(&parsed), expected, "{source}");
    }
}

/// Signed amounts and value dates of the transactions in a WoLpH `.yml`.
fn wolph_transactions(text: &str) -> Vec<(i64, Option<String>)> {
    let Some(start) = text.find("\ntransactions:") else {
        return Vec::new();
    };
    let body = &text[start..];
    body.split("!!python/object:mt940.models.Transaction\n")
        .skip(1)
        .filter_map(|tx| {
            // `Decimal ['1.00']` or `Decimal` with `- '1.00'` on the next line.
            let at = tx.find("decimal.Decimal")?;
            let quote = tx[at..].find('\'')? + at + 1;
            let number: String = tx[quote..].chars().take_while(|c| *c != '\'').collect();
            let minor = (number.parse::<f64>().ok()? * 100.0).round() as i64;
            let date = tx
                .find("    date: !!python/object/apply:mt940.models.Date")
                .and_then(|at| tx[at..].lines().nth(2))
                .and_then(|line| decode_date(line.trim()));
            Some((minor, date))
        })
        .collect()
}

/// A pickled date: base64 of year (2 bytes), month, day.
fn decode_date(b64: &str) -> Option<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits: u32 = 0;
    let mut n = 0;
    let mut bytes = Vec::new();
    for c in b64.bytes().take_while(|c| *c != b'=') {
        bits = (bits << 6) | ALPHABET.iter().position(|a| *a == c)? as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            bytes.push((bits >> n) as u8);
        }
    }
    (bytes.len() >= 4).then(|| {
        format!(
            "{:04}-{:02}-{:02}",
            u16::from_be_bytes([bytes[0], bytes[1]]),
            bytes[2],
            bytes[3]
        )
    })
}

#[test]
fn mt940_transactions_match_wolph_expected_results() {
    let Some(root) = corpus::dir() else { return };
    let folder = root.join("mt940/WoLpH_mt940");
    let mut compared = 0;
    for file in corpus::files(&folder) {
        let Ok(yml) = std::fs::read_to_string(file.with_extension("yml")) else {
            continue;
        };
        let expected = wolph_transactions(&yml);
        let Ok(parsed) = statement::parse(&std::fs::read(&file).unwrap()) else {
            // Fragments and invalid files are checked in the snapshot test.
            continue;
        };
        let amounts: Vec<i64> = expected.iter().map(|(a, _)| *a).collect();
        assert_eq!(signed_details(&parsed), amounts, "{}", file.display());
        let dates: Vec<String> = parsed
            .statements
            .iter()
            .flat_map(|s| &s.entries)
            .map(|e| e.value_date.unwrap_or(e.booking_date).to_string())
            .collect();
        for ((_, expected_date), ours) in expected.iter().zip(&dates) {
            if let Some(expected_date) = expected_date {
                assert_eq!(ours, expected_date, "{}: value date", file.display());
            }
        }
        compared += expected.len();
    }
    assert!(compared >= 100, "compared {compared} transactions");
}

#[test]
fn every_ubl_file_is_read_or_rejected_with_a_reason() {
    let Some(root) = corpus::dir() else { return };
    let mut imported = 0;
    let mut rejected = 0;
    for file in corpus::files(&root.join("ubl")) {
        let name = file.to_string_lossy().to_lowercase();
        if !name.ends_with(".xml") {
            continue;
        }
        let text = match ubl::parse(&std::fs::read(&file).unwrap()) {
            Ok(invoice) => {
                imported += 1;
                let b = &invoice.buyer;
                format!(
                    "{:?} {} issued {} due {} payable {} ledger {} payment_id={} credits={:?} type={}\nbuyer {:?} number={} kvk={} vat={} endpoint={} city={}\n",
                    invoice.kind,
                    invoice.number,
                    invoice.issue_date,
                    invoice
                        .due_date
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "-".into()),
                    invoice.payable,
                    invoice.ledger_amount(),
                    invoice.payment_id.as_deref().unwrap_or("-"),
                    invoice.billing_references,
                    invoice.type_code.as_deref().unwrap_or("-"),
                    b.name.as_deref().unwrap_or(""),
                    b.customer_number.as_deref().unwrap_or("-"),
                    b.kvk.as_deref().unwrap_or("-"),
                    b.vat_number.as_deref().unwrap_or("-"),
                    b.endpoint.as_deref().unwrap_or("-"),
                    b.city.as_deref().unwrap_or("-"),
                )
            }
            Err(error) => {
                rejected += 1;
                assert!(!error.message.is_empty());
                format!("rejected: {error}\n")
            }
        };
        // Not invoices at all: test fragments, invoice responses, CII.
        let not_an_invoice = name.contains("unit-tests")
            || name.contains("invoice-response")
            || name.contains("cii");
        if not_an_invoice {
            assert!(
                text.starts_with("rejected"),
                "{} must be rejected",
                file.display()
            );
        }
        insta::assert_snapshot!(snapshot_name(&root, &file), text);
    }
    assert!(imported >= 100, "only {imported} e-invoices read");
    eprintln!("e-invoices: {imported} read, {rejected} rejected");
}
