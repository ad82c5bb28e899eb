//! Deterministic mutation testing of every parser, within a fixed budget.
//!
//! Seeds: every bank statement and e-invoice of the third-party corpus
//! (`../shared/corpus` or `TEGOED_CORPUS`; when it is missing this says so
//! and runs on the rest, except under `CI=true`, where that fails), the
//! example CSV files in `examples/`, a few CSV files written here, and the
//! regression cases in `tests/regressions/`.
//!
//! Each mutant is a seed with one to three mutations chosen by a seeded
//! SplitMix64: byte flips, truncation, duplicated, removed and swapped
//! lines, nesting injected, very long words, huge numbers in amount fields,
//! special characters, other line endings, pieces of other seeds, repeated
//! blocks, and ZIP archives with lying sizes. It is fed to the matching
//! public parser, and for each the test asserts: no panic; a rejection says
//! why (a non-empty message) and where (a line inside the file, and the
//! element where the parser names one); and no mutant takes more than
//! [`MUTANT_BOUND`]. Memory is bounded by the parsers' own limits (XML
//! depth, ZIP sizes).
//!
//! `TEGOED_MUTANTS` sets the number of mutants (default [`DEFAULT_MUTANTS`]),
//! `TEGOED_MUTATION_SEED` the seed. A mutant that fails is written to
//! `target/tmp/mutants/`; keep it (small) in `tests/regressions/`, named
//! `<parser>-<what>.<ok|err|any>.<ext>`, where the parser is `statement`,
//! `camt`, `mt940`, `zip`, `ubl`, `customers`, `invoices`, `payments` or
//! `ratings`, and `ok`/`err` say whether it must be read or rejected.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tegoed_formats::{camt, corpus, ledger_csv, mt940, statement, text, ubl, zip};

const DEFAULT_MUTANTS: usize = 12_000;

/// No single mutant may take longer (a debug build on a busy machine; the
/// slowest are typically a few tens of milliseconds).
const MUTANT_BOUND: Duration = Duration::from_secs(2);

const DEFAULT_SEED: u64 = 0x7E60_ED2B_AD1A_0940;

/// A small, fast, well-mixed generator (Steele, Lea and Flood), so that the
/// test needs no dependency and a seed reproduces every mutant.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn percent(&mut self, p: usize) -> bool {
        self.below(100) < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Through `statement::parse` (detection) and `camt::parse`.
    Camt,
    /// Through `statement::parse` and `mt940::parse`.
    Mt940,
    /// Through `statement::parse` and `zip::read_members`.
    Zip,
    /// Through `statement::parse` only (a regression case of any format).
    Statement,
    Ubl,
    Customers,
    Invoices,
    Payments,
    Ratings,
}

impl Kind {
    fn from_prefix(prefix: &str) -> Option<Kind> {
        Some(match prefix {
            "camt" => Kind::Camt,
            "mt940" => Kind::Mt940,
            "zip" => Kind::Zip,
            "statement" => Kind::Statement,
            "ubl" => Kind::Ubl,
            "customers" => Kind::Customers,
            "invoices" => Kind::Invoices,
            "payments" => Kind::Payments,
            "ratings" => Kind::Ratings,
            _ => return None,
        })
    }

    fn is_xml(self) -> bool {
        matches!(self, Kind::Camt | Kind::Ubl)
    }

    fn is_statement(self) -> bool {
        matches!(self, Kind::Camt | Kind::Mt940 | Kind::Zip | Kind::Statement)
    }
}

/// What a regression case must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Read,
    Reject,
    Either,
}

struct Seed {
    name: String,
    kind: Kind,
    bytes: Vec<u8>,
    expect: Expect,
}

/// A rejection as the test checks it.
struct Rejection {
    parser: &'static str,
    line: Option<u64>,
    element: Option<String>,
    message: String,
    display: String,
}

/// What feeding one input to its parsers gave.
struct Outcome {
    rejections: Vec<Rejection>,
    /// How many parsers read it.
    read: usize,
}

fn statement_rejection(parser: &'static str, e: statement::StatementError) -> Rejection {
    Rejection {
        parser,
        line: Some(e.line),
        element: e.element.clone(),
        display: e.to_string(),
        message: e.message,
    }
}

fn csv<T>(result: Result<ledger_csv::Parsed<T>, ledger_csv::CsvError>, outcome: &mut Outcome) {
    match result {
        Ok(_) => outcome.read += 1,
        Err(e) => outcome.rejections.push(Rejection {
            parser: "ledger_csv",
            line: Some(e.line),
            element: e.column.clone(),
            display: e.to_string(),
            message: e.reason,
        }),
    }
}

/// Feeds `bytes` to the public parsers for `kind`.
fn feed(kind: Kind, bytes: &[u8]) -> Outcome {
    let mut outcome = Outcome {
        rejections: Vec::new(),
        read: 0,
    };
    if kind.is_statement() {
        match statement::parse(bytes) {
            Ok(_) => outcome.read += 1,
            Err(e) => outcome
                .rejections
                .push(statement_rejection("statement::parse", e)),
        }
    }
    match kind {
        Kind::Camt => match camt::parse(&text::decode(bytes).0) {
            Ok(_) => outcome.read += 1,
            Err(e) => outcome
                .rejections
                .push(statement_rejection("camt::parse", e)),
        },
        Kind::Mt940 => match mt940::parse(&text::decode(bytes).0) {
            Ok(_) => outcome.read += 1,
            Err(e) => outcome
                .rejections
                .push(statement_rejection("mt940::parse", e)),
        },
        Kind::Zip => match zip::read_members(bytes) {
            Ok(_) => outcome.read += 1,
            Err(e) => outcome.rejections.push(Rejection {
                parser: "zip::read_members",
                line: None,
                element: None,
                display: e.to_string(),
                message: e.0,
            }),
        },
        Kind::Ubl => match ubl::parse(bytes) {
            Ok(_) => outcome.read += 1,
            Err(e) => outcome.rejections.push(Rejection {
                parser: "ubl::parse",
                line: Some(e.line),
                element: e.element.clone(),
                display: e.to_string(),
                message: e.message,
            }),
        },
        Kind::Customers => csv(ledger_csv::parse_customers(bytes), &mut outcome),
        Kind::Invoices => csv(ledger_csv::parse_invoices(bytes), &mut outcome),
        Kind::Payments => csv(ledger_csv::parse_payments(bytes), &mut outcome),
        Kind::Ratings => csv(ledger_csv::parse_ratings(bytes), &mut outcome),
        Kind::Statement => {}
    }
    outcome
}

/// Lines in `bytes` as an editor counts them (`\r\n`, `\n` or a lone `\r`).
fn line_count(bytes: &[u8]) -> u64 {
    let mut lines = 1;
    for (idx, b) in bytes.iter().enumerate() {
        match b {
            b'\n' => lines += 1,
            b'\r' if bytes.get(idx + 1) != Some(&b'\n') => lines += 1,
            _ => {}
        }
    }
    lines
}

/// What is wrong with a rejection, if anything.
fn check_rejection(kind: Kind, bytes: &[u8], r: &Rejection) -> Option<String> {
    if r.message.trim().is_empty() || r.display.trim().is_empty() {
        return Some(format!("{}: empty error message", r.parser));
    }
    if let Some(line) = r.line {
        if line == 0 {
            return Some(format!("{}: line 0 in '{}'", r.parser, r.display));
        }
        // Errors about a member of an archive count lines in the member.
        let lines = line_count(bytes);
        if kind != Kind::Zip
            && !(kind == Kind::Statement && bytes.starts_with(b"PK"))
            && line > lines
        {
            return Some(format!(
                "{}: line {line} but the file has {lines} lines: '{}'",
                r.parser, r.display
            ));
        }
    }
    if r.message.contains("nested deeper") && r.element.is_none() {
        return Some(format!("{}: no element path in '{}'", r.parser, r.display));
    }
    if r.display.len() > 1024 {
        let start: String = r.display.chars().take(160).collect();
        return Some(format!(
            "{}: a {} byte error message: '{start}…'",
            r.parser,
            r.display.len()
        ));
    }
    None
}

/// Runs one input and checks it; `Err` says what went wrong.
fn check(kind: Kind, bytes: &[u8]) -> Result<(Outcome, Duration), String> {
    let started = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| feed(kind, bytes)));
    let took = started.elapsed();
    let outcome = outcome.map_err(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("panicked: {what}")
    })?;
    if took > MUTANT_BOUND {
        return Err(format!("took {took:?}, more than {MUTANT_BOUND:?}"));
    }
    for rejection in &outcome.rejections {
        if let Some(problem) = check_rejection(kind, bytes, rejection) {
            return Err(problem);
        }
    }
    Ok((outcome, took))
}

// ---------------------------------------------------------------------------
// Seeds
// ---------------------------------------------------------------------------

fn main_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn regressions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions")
}

fn corpus_seeds(root: &Path) -> Vec<Seed> {
    let mut seeds = Vec::new();
    for (folder, kind) in [
        ("camt053", Kind::Camt),
        ("mt940", Kind::Mt940),
        ("ubl", Kind::Ubl),
    ] {
        for path in corpus::files(&root.join(folder)) {
            let name = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .to_string();
            let kind = if name.ends_with(".zip") {
                Kind::Zip
            } else {
                kind
            };
            seeds.push(Seed {
                name,
                kind,
                bytes: std::fs::read(&path).expect("corpus file"),
                expect: Expect::Either,
            });
        }
    }
    seeds
}

/// Which parser an example file is for: by folder (`camt053`, `mt940`,
/// `ubl`, `inbox`), name (`customers…csv`) or content.
fn example_kind(path: &Path, bytes: &[u8]) -> Option<Kind> {
    let name = path.file_name()?.to_string_lossy().to_lowercase();
    let folders: Vec<String> = path
        .iter()
        .map(|p| p.to_string_lossy().to_lowercase())
        .collect();
    let in_folder = |f: &str| folders.iter().any(|p| p == f);
    if name.ends_with(".csv") {
        return ["customers", "invoices", "payments", "ratings"]
            .iter()
            .find(|k| name.starts_with(*k))
            .and_then(|k| Kind::from_prefix(k));
    }
    if name.ends_with(".zip") {
        return Some(Kind::Zip);
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_string();
    if in_folder("ubl")
        || in_folder("inbox")
        || head.contains("<Invoice")
        || head.contains("<CreditNote")
        || head.contains(":Invoice")
    {
        return Some(Kind::Ubl);
    }
    if in_folder("camt053") || head.contains("BkToCstmr") || head.contains("camt.05") {
        return Some(Kind::Camt);
    }
    if in_folder("mt940") || head.contains(":20:") || head.contains(":940:") {
        return Some(Kind::Mt940);
    }
    None
}

/// The example files in `examples/` (any folder below it), and a few CSV
/// files written here.
fn example_seeds() -> Vec<Seed> {
    let mut seeds = Vec::new();
    let examples = main_dir().join("examples");
    for path in corpus::files(&examples) {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let Some(kind) = example_kind(&path, &bytes) else {
            continue;
        };
        seeds.push(Seed {
            name: format!(
                "examples/{}",
                path.strip_prefix(&examples).unwrap_or(&path).display()
            ),
            kind,
            bytes,
            expect: Expect::Either,
        });
    }
    assert!(
        seeds.iter().any(|s| s.kind == Kind::Invoices),
        "no example files found in {}",
        examples.display()
    );
    // Other forms the readers accept: semicolons, Dutch amounts and dates,
    // quotes, Windows line endings and Windows-1252; and a ratings file.
    let written: [(&str, Kind, &[u8]); 3] = [
        (
            "written/invoices-dutch.csv",
            Kind::Invoices,
            b"invoice_number;customer_id;issue_date;amount;due_date;currency;description\r\nF-1;C1;01-03-2026;1.234,56;31-03-2026;eur;\"Caf\xe9 De Zwaan; levering\"\r\nF-2;C1;2026-03-05;-100,00;;;creditnota\r\n",
        ),
        (
            "written/payments-tabs.csv",
            Kind::Payments,
            b"payment_id\tdate\tamount\tcounterparty_iban\tinvoice_number\tcounterparty_name\nP1\t2026-02-01\t10,00\tNL91ABNA0417164300\tF-1\t\"Jansen, J.\"\nP2\t2026-02-02\t\xe2\x82\xac 1.000,00\t\tF-2\t\n",
        ),
        (
            "written/ratings.csv",
            Kind::Ratings,
            b"provider,score,date,customer_id,kvk,recommended_limit\ngraydon,72,2026-01-01,C1,,5000.00\ncreditsafe,\"6,5\",2026-01-02,,12345678,\n",
        ),
    ];
    for (name, kind, bytes) in written {
        seeds.push(Seed {
            name: name.into(),
            kind,
            bytes: bytes.to_vec(),
            expect: Expect::Read,
        });
    }
    seeds
}

fn regression_seeds() -> Vec<Seed> {
    let mut seeds = Vec::new();
    let Ok(entries) = std::fs::read_dir(regressions_dir()) else {
        return seeds;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".md") {
            continue;
        }
        let kind = name
            .split_once('-')
            .and_then(|(prefix, _)| Kind::from_prefix(prefix))
            .unwrap_or_else(|| panic!("regression case {name}: name must start with a parser"));
        let parts: Vec<&str> = name.split('.').collect();
        let expect = match parts.get(parts.len().wrapping_sub(2)).copied() {
            Some("ok") => Expect::Read,
            Some("err") => Expect::Reject,
            Some("any") => Expect::Either,
            _ => panic!(
                "regression case {name}: name must end in .ok.<ext>, .err.<ext> or .any.<ext>"
            ),
        };
        seeds.push(Seed {
            name: format!("regressions/{name}"),
            kind,
            bytes: std::fs::read(&path).unwrap(),
            expect,
        });
    }
    seeds
}

// ---------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------

/// Start offsets of the lines of `bytes`.
fn line_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    for (idx, b) in bytes.iter().enumerate() {
        if *b == b'\n' && idx + 1 < bytes.len() {
            starts.push(idx + 1);
        }
    }
    starts
}

/// The byte range of line `n`, its line ending included.
fn line_range(bytes: &[u8], starts: &[usize], n: usize) -> (usize, usize) {
    let start = starts[n];
    let end = starts.get(n + 1).copied().unwrap_or(bytes.len());
    (start, end)
}

/// Ranges of numbers written in amount fields (XML elements whose name
/// ends in `Amt` or `Amount`, MT940 balance and statement lines, CSV
/// cells), or any run of digits when there are none.
fn amount_ranges(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let is_number = |b: u8| b.is_ascii_digit() || b == b'.' || b == b',' || b == b'-';
    // XML: `…Amt …>123.45<` and `…Amount …>123.45<`.
    let mut idx = 0;
    while let Some(found) = find(&bytes[idx..], b"Am") {
        let at = idx + found;
        idx = at + 2;
        if !(bytes[at..].starts_with(b"Amt") || bytes[at..].starts_with(b"Amount")) {
            continue;
        }
        let Some(close) = bytes[at..].iter().take(200).position(|b| *b == b'>') else {
            continue;
        };
        let start = at + close + 1;
        let len = bytes[start..].iter().take_while(|b| is_number(**b)).count();
        if len > 0 {
            ranges.push((start, start + len));
        }
    }
    // MT940: the amount of :60F:/:62F:/:60M:/:62M:/:61: lines.
    for tag in [
        &b":60F:"[..],
        b":62F:",
        b":60M:",
        b":62M:",
        b":61:",
        b":64:",
    ] {
        let mut idx = 0;
        while let Some(found) = find(&bytes[idx..], tag) {
            let at = idx + found + tag.len();
            idx = at;
            let line_end = bytes[at..]
                .iter()
                .position(|b| *b == b'\n' || *b == b'\r')
                .map_or(bytes.len(), |p| at + p);
            // The amount: the run of digits with a comma in it.
            let mut pos = at;
            while pos < line_end {
                let len = bytes[pos..line_end]
                    .iter()
                    .take_while(|b| b.is_ascii_digit() || **b == b',')
                    .count();
                if len > 0 && bytes[pos..pos + len].contains(&b',') {
                    ranges.push((pos, pos + len));
                    break;
                }
                pos += len.max(1);
            }
        }
    }
    if ranges.is_empty() {
        // CSV cells and anything else: runs of digits and separators.
        let mut idx = 0;
        while idx < bytes.len() {
            if bytes[idx].is_ascii_digit() {
                let len = bytes[idx..].iter().take_while(|b| is_number(**b)).count();
                ranges.push((idx, idx + len));
                idx += len;
            } else {
                idx += 1;
            }
        }
    }
    ranges
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

const HUGE_NUMBERS: &[&str] = &[
    "99999999999999999999999",
    "99999999999999999999999.99",
    "99999999999999999999999,99",
    "92233720368547758.07",
    "92233720368547758,07",
    "92233720368547758.08",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "18446744073709551616",
    "10000000000000.00",
    "0.000000000001",
    "1e308",
    "1.7976931348623157e308",
    "NaN",
    "-0",
    "",
    ",",
    "1.2.3,4,5",
];

const SPECIALS: &[&[u8]] = &[
    b"\x1a",
    b"\x00",
    b"\r",
    b"\r\n",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xc3",
    b"\xe9",
    b"&",
    b"<",
    b">",
    b"]]>",
    b"<![CDATA[",
    b"<?xml version=\"1.0\"?>",
    b"<!DOCTYPE x [<!ENTITY a \"aaaa\">]>",
    b"&a;",
    b"&#0;",
    b"&#x110000;",
    b"&#xD800;",
    b"\"",
    b";",
    b",",
    b"\t",
    b"-}",
    b"{4:",
    b"{1:F01",
    b":20:",
    b":61:",
    b":86:",
    b"-\x1a:940:\r\n",
    b":\n",
    b"\n-\n",
    b"?20",
    b">20",
    b"/EREF/",
    b"//CNTP/",
    b"IBAN: ",
    b"NAAM: ",
    b"EREF+",
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"</Ntry>",
    b"<Ntry>",
    b"<Document>",
    b"</Stmt>",
    b"xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"",
];

/// Material for long words: IBAN-like runs, keywords, plain letters.
const WORDS: &[&str] = &[
    "NL",
    "AB12CDEF3456789",
    "NL91ABNA0417164300",
    "A",
    "1",
    "EREF+",
    "/REMI/",
    "?20",
    ">20",
    "IBAN:",
    "x",
    "é",
    "-",
    ":",
];

/// A long run of `material`, `len` bytes or a little more.
fn long_word(rng: &mut SplitMix64, len: usize) -> Vec<u8> {
    let material = rng.pick(WORDS).as_bytes();
    let mut out = Vec::with_capacity(len + material.len());
    while out.len() < len {
        out.extend_from_slice(material);
    }
    out
}

/// Sizes for long runs: mostly up to tens of kilobytes, sometimes a
/// megabyte (the size at which the old quadratic scans took minutes).
fn long_size(rng: &mut SplitMix64) -> usize {
    match rng.below(100) {
        0..=59 => 100 + rng.below(2_000),
        60..=94 => 2_000 + rng.below(40_000),
        _ => 200_000 + rng.below(800_000),
    }
}

/// The most one repeating mutation adds, so that mutants stay a few
/// megabytes at most.
const MAX_GROWTH: usize = 2 << 20;

fn insert(bytes: &mut Vec<u8>, at: usize, piece: &[u8]) {
    let at = at.min(bytes.len());
    bytes.splice(at..at, piece.iter().copied());
}

/// One mutation of `bytes`; returns its name.
fn mutate_once(
    rng: &mut SplitMix64,
    bytes: &mut Vec<u8>,
    kind: Kind,
    others: &[&Seed],
) -> &'static str {
    let len = bytes.len();
    match rng.below(14) {
        0 => {
            for _ in 0..1 + rng.below(8) {
                if !bytes.is_empty() {
                    let at = rng.below(bytes.len());
                    bytes[at] = if rng.percent(50) {
                        bytes[at] ^ (1 << rng.below(8))
                    } else {
                        rng.next() as u8
                    };
                }
            }
            "flip"
        }
        1 => {
            bytes.truncate(rng.below(len + 1));
            "truncate"
        }
        2 => {
            let starts = line_starts(bytes);
            let n = rng.below(starts.len());
            let (start, end) = line_range(bytes, &starts, n);
            let line = bytes[start..end].to_vec();
            let times = if rng.percent(10) {
                50 + rng.below(500)
            } else {
                1 + rng.below(3)
            };
            let times = times.min(MAX_GROWTH / line.len().max(1)).max(1);
            let mut piece = Vec::with_capacity(line.len() * times);
            for _ in 0..times {
                piece.extend_from_slice(&line);
            }
            insert(bytes, end, &piece);
            "duplicate-line"
        }
        3 => {
            for _ in 0..1 + rng.below(3) {
                let starts = line_starts(bytes);
                let n = rng.below(starts.len());
                let (start, end) = line_range(bytes, &starts, n);
                bytes.drain(start..end);
            }
            "remove-line"
        }
        4 => {
            let starts = line_starts(bytes);
            if starts.len() > 1 {
                let a = rng.below(starts.len());
                let b = rng.below(starts.len());
                let (a, b) = (a.min(b), a.max(b));
                if a != b {
                    let (a_start, a_end) = line_range(bytes, &starts, a);
                    let (b_start, b_end) = line_range(bytes, &starts, b);
                    let mut out = Vec::with_capacity(bytes.len());
                    out.extend_from_slice(&bytes[..a_start]);
                    out.extend_from_slice(&bytes[b_start..b_end]);
                    out.extend_from_slice(&bytes[a_end..b_start]);
                    out.extend_from_slice(&bytes[a_start..a_end]);
                    out.extend_from_slice(&bytes[b_end..]);
                    *bytes = out;
                }
            }
            "swap-lines"
        }
        5 => {
            // Nesting: right after a start tag in XML, anywhere otherwise.
            let depth = *rng.pick(&[10, 58, 63, 64, 65, 100, 1_000, 20_000, 60_000]);
            let tag = *rng.pick(&["a", "Ntry", "cbc:ID", "x:y"]);
            let closes = rng.percent(80);
            let mut piece = Vec::new();
            for _ in 0..depth {
                piece.extend_from_slice(format!("<{tag}>").as_bytes());
            }
            if closes {
                for _ in 0..depth {
                    piece.extend_from_slice(format!("</{tag}>").as_bytes());
                }
            }
            let positions: Vec<usize> = bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'>')
                .map(|(i, _)| i + 1)
                .collect();
            let at = if kind.is_xml() && !positions.is_empty() {
                *rng.pick(&positions)
            } else {
                rng.below(len + 1)
            };
            insert(bytes, at, &piece);
            "deep-nesting"
        }
        6 => {
            let size = long_size(rng);
            let word = long_word(rng, size);
            // Often inside a field's text: after a ':86:' or '>' or ','.
            let anchors: Vec<usize> = bytes
                .windows(4)
                .enumerate()
                .filter(|(_, w)| *w == b":86:" || w[0] == b'>' || w[0] == b',')
                .map(|(i, w)| i + if w == b":86:" { 4 } else { 1 })
                .collect();
            let at = if !anchors.is_empty() && rng.percent(70) {
                *rng.pick(&anchors)
            } else {
                rng.below(len + 1)
            };
            insert(bytes, at, &word);
            "long-word"
        }
        7 => {
            let ranges = amount_ranges(bytes);
            let huge = rng.pick(HUGE_NUMBERS).as_bytes();
            if ranges.is_empty() {
                let at = rng.below(len + 1);
                insert(bytes, at, huge);
            } else {
                // Several amounts at once, sometimes.
                let times = if rng.percent(30) { 1 + rng.below(5) } else { 1 };
                let mut chosen: Vec<(usize, usize)> =
                    (0..times).map(|_| *rng.pick(&ranges)).collect();
                chosen.sort_unstable();
                chosen.dedup();
                for (start, end) in chosen.into_iter().rev() {
                    bytes.splice(start..end, huge.iter().copied());
                }
            }
            "huge-number"
        }
        8 => {
            for _ in 0..1 + rng.below(3) {
                let piece = *rng.pick(SPECIALS);
                let at = rng.below(bytes.len() + 1);
                insert(bytes, at, piece);
            }
            "special-characters"
        }
        9 => {
            let text: Vec<u8> = match rng.below(3) {
                0 => bytes
                    .iter()
                    .flat_map(|b| {
                        if *b == b'\n' {
                            vec![b'\r', b'\n']
                        } else {
                            vec![*b]
                        }
                    })
                    .collect(),
                1 => bytes
                    .iter()
                    .map(|b| if *b == b'\n' { b'\r' } else { *b })
                    .collect(),
                _ => bytes.iter().copied().filter(|b| *b != b'\r').collect(),
            };
            *bytes = text;
            "line-endings"
        }
        10 => {
            if let Some(other) = (!others.is_empty()).then(|| *rng.pick(others)) {
                let from = rng.below(other.bytes.len());
                let to = (from + 1 + rng.below(2_048)).min(other.bytes.len());
                let at = rng.below(len + 1);
                insert(bytes, at, &other.bytes[from..to]);
            }
            "splice"
        }
        11 => {
            // A block repeated: many entries, many rows.
            let from = rng.below(len + 1);
            let to = (from + 1 + rng.below(1_024)).min(len);
            let block = bytes[from.min(to)..to].to_vec();
            let times = if rng.percent(5) {
                200 + rng.below(800)
            } else {
                1 + rng.below(20)
            };
            let times = times.min(MAX_GROWTH / block.len().max(1)).max(1);
            let mut piece = Vec::with_capacity(block.len() * times);
            for _ in 0..times {
                piece.extend_from_slice(&block);
            }
            insert(bytes, to, &piece);
            "repeat-block"
        }
        12 => {
            // Ctrl-Z and other separators between the lines.
            let starts = line_starts(bytes);
            let at = starts[rng.below(starts.len())];
            let piece = *rng.pick(&[
                &b"\x1a"[..],
                b"\x1a:940:\r\n",
                b"-\x1a",
                b"\x00\x00",
                b"\x0c",
            ]);
            insert(bytes, at, piece);
            "separator"
        }
        _ => {
            // Delete a random range.
            let from = rng.below(len + 1);
            let to = (from + rng.below(256)).min(len);
            bytes.drain(from..to);
            "delete-range"
        }
    }
}

/// A member of a hand-built archive, with the size its headers claim.
struct Member {
    name: String,
    method: u16,
    data: Vec<u8>,
    declared: u32,
}

fn archive(members: &[Member]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut offsets = Vec::new();
    for m in members {
        offsets.push(out.len() as u32);
        out.extend(b"PK\x03\x04");
        out.extend([20, 0, 0, 0]);
        out.extend(m.method.to_le_bytes());
        out.extend([0; 8]);
        out.extend((m.data.len() as u32).to_le_bytes());
        out.extend(m.declared.to_le_bytes());
        out.extend((m.name.len() as u16).to_le_bytes());
        out.extend([0, 0]);
        out.extend(m.name.as_bytes());
        out.extend(&m.data);
    }
    let directory = out.len() as u32;
    for (m, offset) in members.iter().zip(&offsets) {
        out.extend(b"PK\x01\x02");
        out.extend([20, 0, 20, 0, 0, 0]);
        out.extend(m.method.to_le_bytes());
        out.extend([0; 8]);
        out.extend((m.data.len() as u32).to_le_bytes());
        out.extend(m.declared.to_le_bytes());
        out.extend((m.name.len() as u16).to_le_bytes());
        out.extend([0; 12]);
        out.extend(offset.to_le_bytes());
        out.extend(m.name.as_bytes());
    }
    let size = out.len() as u32 - directory;
    out.extend(b"PK\x05\x06");
    out.extend([0, 0, 0, 0]);
    out.extend((members.len() as u16).to_le_bytes());
    out.extend((members.len() as u16).to_le_bytes());
    out.extend(size.to_le_bytes());
    out.extend(directory.to_le_bytes());
    out.extend([0, 0]);
    out
}

/// An archive of mutated statements, with honest or lying sizes.
fn zip_mutant(rng: &mut SplitMix64, statements: &[&Seed], ops: &mut Vec<&'static str>) -> Vec<u8> {
    let count = 1 + rng.below(3);
    let mut members = Vec::new();
    for idx in 0..count {
        let seed = *rng.pick(statements);
        let mut content = seed.bytes.clone();
        if rng.percent(60) {
            ops.push(mutate_once(rng, &mut content, seed.kind, statements));
        }
        let stored = rng.percent(25);
        let data = if stored {
            content.clone()
        } else {
            miniz_oxide::deflate::compress_to_vec(&content, 1 + rng.below(9) as u8)
        };
        let honest = content.len() as u32;
        let (declared, what) = match rng.below(8) {
            0 => (500 << 20, "zip-declares-500MiB"),
            1 => (u32::MAX, "zip-declares-4GiB"),
            2 => (0, "zip-declares-0"),
            3 => (honest / 2, "zip-declares-half"),
            4 => (honest.saturating_mul(2), "zip-declares-double"),
            5 => (rng.next() as u32, "zip-declares-random"),
            _ => (honest, "zip-honest"),
        };
        ops.push(what);
        members.push(Member {
            name: format!(
                "member-{idx}.{}",
                if seed.kind == Kind::Mt940 {
                    "sta"
                } else {
                    "xml"
                }
            ),
            method: if stored { 0 } else { 8 },
            data,
            declared,
        });
    }
    if rng.percent(5) {
        // A ZIP inside the ZIP.
        let inner = archive(&members);
        members = vec![Member {
            name: "inner.zip".into(),
            method: 0,
            declared: inner.len() as u32,
            data: inner,
        }];
        ops.push("zip-in-zip");
    }
    let mut bytes = archive(&members);
    if rng.percent(30) {
        ops.push(mutate_once(rng, &mut bytes, Kind::Zip, &[]));
    }
    bytes
}

/// The `index`th mutant: its kind, bytes, seed name and mutations.
fn mutant(
    base: u64,
    index: usize,
    groups: &[Vec<&Seed>],
    statements: &[&Seed],
) -> (Kind, Vec<u8>, String, Vec<&'static str>) {
    let mut rng = SplitMix64(base ^ (index as u64).wrapping_mul(0xA24B_AED4_963E_E407));
    rng.next();
    let group = &groups[index % groups.len()];
    let seed = *rng.pick(group);
    let mut ops = Vec::new();
    if seed.kind == Kind::Zip || (seed.kind.is_statement() && rng.percent(8)) {
        if seed.kind == Kind::Zip && rng.percent(40) {
            let mut bytes = seed.bytes.clone();
            for _ in 0..1 + rng.below(3) {
                ops.push(mutate_once(&mut rng, &mut bytes, Kind::Zip, &[]));
            }
            return (Kind::Zip, bytes, seed.name.clone(), ops);
        }
        let bytes = zip_mutant(&mut rng, statements, &mut ops);
        return (Kind::Zip, bytes, "(zip of statements)".into(), ops);
    }
    let mut bytes = seed.bytes.clone();
    let same_kind: Vec<&Seed> = group
        .iter()
        .copied()
        .filter(|s| s.kind == seed.kind)
        .collect();
    for _ in 0..1 + rng.below(3) {
        ops.push(mutate_once(&mut rng, &mut bytes, seed.kind, &same_kind));
    }
    (seed.kind, bytes, seed.name.clone(), ops)
}

fn save_failure(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mutants");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(name);
    let _ = std::fs::write(&path, bytes);
    path
}

fn extension(kind: Kind) -> &'static str {
    match kind {
        Kind::Camt | Kind::Ubl => "xml",
        Kind::Mt940 | Kind::Statement => "sta",
        Kind::Zip => "zip",
        _ => "csv",
    }
}

fn prefix(kind: Kind) -> &'static str {
    match kind {
        Kind::Camt => "camt",
        Kind::Mt940 => "mt940",
        Kind::Zip => "zip",
        Kind::Statement => "statement",
        Kind::Ubl => "ubl",
        Kind::Customers => "customers",
        Kind::Invoices => "invoices",
        Kind::Payments => "payments",
        Kind::Ratings => "ratings",
    }
}

#[test]
fn regression_cases_are_read_or_rejected_as_recorded() {
    let seeds = regression_seeds();
    assert!(
        !seeds.is_empty(),
        "no regression cases in {}",
        regressions_dir().display()
    );
    let mut failures = Vec::new();
    for seed in &seeds {
        match check(seed.kind, &seed.bytes) {
            Err(problem) => failures.push(format!("{}: {problem}", seed.name)),
            Ok((outcome, _)) => {
                let parsers = outcome.read + outcome.rejections.len();
                let bad = match seed.expect {
                    Expect::Read if outcome.read != parsers => Some(format!(
                        "must be read, but: {}",
                        outcome
                            .rejections
                            .iter()
                            .map(|r| format!("{}: {}", r.parser, r.display))
                            .collect::<Vec<_>>()
                            .join("; ")
                    )),
                    Expect::Reject if outcome.read > 0 => {
                        Some("must be rejected, but was read".into())
                    }
                    _ => None,
                };
                if let Some(bad) = bad {
                    failures.push(format!("{}: {bad}", seed.name));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("{} regression cases pass", seeds.len());
}

#[test]
fn mutants_of_every_seed_are_read_or_rejected_quickly_without_panics() {
    let count: usize = match std::env::var("TEGOED_MUTANTS") {
        Ok(v) => v
            .trim()
            .parse()
            .expect("TEGOED_MUTANTS: a number of mutants"),
        Err(_) => DEFAULT_MUTANTS,
    };
    let base: u64 = match std::env::var("TEGOED_MUTATION_SEED") {
        Ok(v) => {
            let v = v.trim();
            match v.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => v.parse(),
            }
            .expect("TEGOED_MUTATION_SEED: a number")
        }
        Err(_) => DEFAULT_SEED,
    };
    let mut seeds = Vec::new();
    match corpus::dir() {
        Some(root) => seeds.extend(corpus_seeds(&root)),
        None => eprintln!(
            "mutation test: running without the corpus, on the examples and regression cases only"
        ),
    }
    seeds.extend(example_seeds());
    seeds.extend(regression_seeds());
    // Mutants are spread over groups, not files, so that the 364 UBL files
    // do not crowd out the 3 example CSV files.
    let group_of = |kind: Kind| match kind {
        Kind::Camt => 0,
        Kind::Mt940 | Kind::Statement => 1,
        Kind::Zip => 2,
        Kind::Ubl => 3,
        _ => 4,
    };
    let mut groups: Vec<Vec<&Seed>> = vec![Vec::new(); 5];
    for seed in &seeds {
        groups[group_of(seed.kind)].push(seed);
    }
    let statements: Vec<&Seed> = seeds
        .iter()
        .filter(|s| matches!(s.kind, Kind::Camt | Kind::Mt940))
        .collect();
    // Weights: a group appears in this cycle as often as it should be drawn.
    let cycle: Vec<Vec<&Seed>> = [0, 0, 0, 1, 1, 1, 2, 3, 3, 4, 4]
        .iter()
        .map(|g| groups[*g].clone())
        .filter(|g| !g.is_empty())
        .collect();
    let statements = if statements.is_empty() {
        cycle.iter().flatten().copied().collect()
    } else {
        statements
    };

    let started = Instant::now();
    let mut read = 0usize;
    let mut rejected = 0usize;
    let mut slowest = (Duration::ZERO, String::new());
    let mut failures = Vec::new();
    let mut bytes_total = 0usize;
    // Rejections by the limits (per parser, so one mutant may count twice).
    let (mut too_deep, mut zip_bombs) = (0usize, 0usize);
    for index in 0..count {
        let (kind, bytes, seed_name, ops) = mutant(base, index, &cycle, &statements);
        bytes_total += bytes.len();
        match check(kind, &bytes) {
            Ok((outcome, took)) => {
                if outcome.rejections.is_empty() {
                    read += 1;
                } else {
                    rejected += 1;
                }
                for r in &outcome.rejections {
                    if r.message.contains("nested deeper") {
                        too_deep += 1;
                    } else if r.message.contains("ZIP bomb") || r.message.contains("too large") {
                        zip_bombs += 1;
                    }
                }
                if took > slowest.0 {
                    slowest = (
                        took,
                        format!(
                            "#{index} of {seed_name} ({}, {} bytes)",
                            ops.join(", "),
                            bytes.len()
                        ),
                    );
                }
            }
            Err(problem) => {
                let file = format!("{}-mutant-{index}.any.{}", prefix(kind), extension(kind));
                let path = save_failure(&file, &bytes);
                failures.push(format!(
                    "mutant #{index} of {seed_name} ({}): {problem}\n    saved as {}",
                    ops.join(", "),
                    path.display()
                ));
            }
        }
    }
    let elapsed = started.elapsed();
    eprintln!(
        "mutation test: {count} mutants (seed {base:#x}) of {} seeds, {} MB in all: {read} parsed OK, {rejected} rejected ({too_deep} times too deep, {zip_bombs} times a ZIP too large), {} failed; slowest {:?}: {}; {elapsed:.1?} in all",
        seeds.len(),
        bytes_total >> 20,
        failures.len(),
        slowest.0,
        slowest.1
    );
    assert!(
        failures.is_empty(),
        "{} of {count} mutants failed (TEGOED_MUTATION_SEED={base:#x}; keep each as a regression case):\n{}",
        failures.len(),
        failures
            .iter()
            .take(25)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
