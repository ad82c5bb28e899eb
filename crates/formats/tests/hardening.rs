//! Regression tests for the hardening issue: hostile or odd input that used
//! to abort the process, eat memory or time, or be misread. Each test is
//! named after the defect it pins down.

use std::time::{Duration, Instant};

use tegoed_formats::{camt, ledger_csv, mt940, statement, ubl, zip};

// ---------------------------------------------------------------------------
// 1. Deeply nested XML
// ---------------------------------------------------------------------------

/// A camt.053 whose third entry holds `depth` nested elements.
fn nested_camt(depth: usize) -> String {
    let entry = |inner: &str| {
        format!(
            "<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-03-02</Dt></BookgDt><NtryDtls><TxDtls>{inner}</TxDtls></NtryDtls></Ntry>\n"
        )
    };
    let mut doc = String::from(
        "<?xml version=\"1.0\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">\n<BkToCstmrStmt>\n<Stmt>\n<Id>S1</Id>\n",
    );
    doc.push_str(&entry(""));
    doc.push_str(&entry(""));
    let deep = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
    doc.push_str(&entry(&deep));
    doc.push_str("</Stmt>\n</BkToCstmrStmt>\n</Document>\n");
    doc
}

#[test]
fn deeply_nested_camt_is_refused_not_a_stack_overflow() {
    // 50,000 levels inside an Ntry: about 350 KB, as in the issue.
    let doc = nested_camt(50_000);
    assert!(doc.len() > 340_000);
    let err = statement::parse(doc.as_bytes()).expect_err("must be refused");
    assert!(
        err.message.contains("XML nested deeper than 64 levels"),
        "{err}"
    );
    let element = err.element.as_deref().unwrap_or("");
    assert!(
        element.starts_with("Document/BkToCstmrStmt/Stmt/Ntry[3]/NtryDtls/"),
        "{err}"
    );
    assert!(element.contains('…'), "{err}");
    assert_eq!(err.line, 8, "{err}");
    // The same through the CAMT reader directly.
    let err = camt::parse(&doc).expect_err("must be refused");
    assert!(err.message.contains("nested deeper"), "{err}");
}

#[test]
fn nesting_just_inside_the_limit_is_read() {
    // Document/BkToCstmrStmt/Stmt/Ntry/NtryDtls/TxDtls is 6 levels; 58 more
    // make 64, the deepest allowed.
    let doc = nested_camt(58);
    let file = statement::parse(doc.as_bytes()).expect("64 levels are allowed");
    assert_eq!(file.statements[0].entries.len(), 3);
    let err = statement::parse(nested_camt(59).as_bytes()).expect_err("65 levels are not");
    assert!(
        err.message.contains("nested deeper than 64 levels"),
        "{err}"
    );
}

#[test]
fn deeply_nested_xml_outside_an_entry_is_refused() {
    let depth = 100_000;
    let doc = format!(
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>{}{}</BkToCstmrStmt></Document>",
        "<x>".repeat(depth),
        "</x>".repeat(depth)
    );
    let err = statement::parse(doc.as_bytes()).expect_err("must be refused");
    assert!(
        err.message.contains("nested deeper than 64 levels"),
        "{err}"
    );
    assert!(
        err.element
            .as_deref()
            .unwrap_or("")
            .starts_with("Document/BkToCstmrStmt/x/"),
        "{err}"
    );
}

#[test]
fn deeply_nested_ubl_is_refused_not_a_stack_overflow() {
    let depth = 200_000;
    let doc = format!(
        "<?xml version=\"1.0\"?>\n<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\">\n<cbc:ID>1</cbc:ID>\n<cac:Note>{}{}</cac:Note></Invoice>",
        "<cbc:x>".repeat(depth),
        "</cbc:x>".repeat(depth)
    );
    let err = ubl::parse(doc.as_bytes()).expect_err("must be refused");
    assert!(
        err.message.contains("nested deeper than 64 levels"),
        "{err}"
    );
    assert!(
        err.element
            .as_deref()
            .unwrap_or("")
            .starts_with("Invoice/Note/x/"),
        "{err}"
    );
    assert_eq!(err.line, 4, "{err}");
}

// ---------------------------------------------------------------------------
// 2. ZIP bombs
// ---------------------------------------------------------------------------

/// One member of a hand-built archive.
struct Member {
    name: String,
    method: u16,
    data: Vec<u8>,
    /// The uncompressed size written in the headers (may lie).
    declared: u32,
}

fn deflated(name: &str, content: &[u8]) -> Member {
    Member {
        name: name.into(),
        method: 8,
        data: miniz_oxide::deflate::compress_to_vec(content, 6),
        declared: content.len() as u32,
    }
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

#[test]
fn zip_bomb_is_refused_before_inflating() {
    // 20 members that each claim 500 MiB, as in the issue. The data is a
    // little real deflate stream: an archive that passed the declared-size
    // check would be inflated, so refusing it proves the check came first.
    let payload = miniz_oxide::deflate::compress_to_vec(&vec![b'<'; 500_000], 6);
    let members: Vec<Member> = (0..20)
        .map(|i| Member {
            name: format!("statement-{i:02}.xml"),
            method: 8,
            data: payload.clone(),
            declared: 500 << 20,
        })
        .collect();
    let bomb = archive(&members);
    let started = Instant::now();
    let err = zip::read_members(&bomb).expect_err("a ZIP bomb must be refused");
    assert!(started.elapsed() < Duration::from_secs(2), "refused late");
    assert!(err.0.contains("statement-00.xml"), "{err}");
    assert!(err.0.contains("compress"), "{err}");
    let err = statement::parse(&bomb).expect_err("a ZIP bomb must be refused");
    assert!(err.message.contains("statement-00.xml"), "{err}");
}

#[test]
fn zip_total_uncompressed_size_is_capped() {
    // Honest, moderately compressible members (about 4:1) that each stay
    // under the per-member cap but together claim more than the total cap.
    let members: Vec<Member> = (0..3)
        .map(|i| Member {
            name: format!("part-{i}.xml"),
            method: 8,
            data: vec![0; 4 << 20],
            declared: 400 << 20,
        })
        .collect();
    let err = zip::read_members(&archive(&members)).expect_err("over the total cap");
    assert!(err.0.contains("part-2.xml"), "{err}");
    assert!(err.0.contains("1024 MiB in total"), "{err}");
}

#[test]
fn zip_member_inflating_past_its_declared_size_is_refused() {
    // The headers claim 1 KiB; the data inflates to 64 MiB.
    let mut liar = deflated("liar.xml", &vec![b' '; 64 << 20]);
    liar.declared = 1024;
    let err = zip::read_members(&archive(&[liar])).expect_err("must be refused");
    assert!(err.0.contains("liar.xml"), "{err}");
    assert!(err.0.contains("its header declares"), "{err}");
}

#[test]
fn zip_member_with_an_extreme_compression_ratio_is_refused() {
    // 64 MiB of spaces deflates to about 64 KB (ratio ~1000:1); declared
    // honestly it is still refused on the ratio, before inflating.
    let bomb = deflated("spaces.xml", &vec![b' '; 64 << 20]);
    let err = zip::read_members(&archive(&[bomb])).expect_err("must be refused");
    assert!(err.0.contains("spaces.xml"), "{err}");
    assert!(err.0.contains("compress"), "{err}");
}

#[test]
fn zip_inside_zip_is_not_unpacked() {
    let camt = nested_camt(1);
    let inner = archive(&[deflated("inner.xml", camt.as_bytes())]);
    let outer = archive(&[Member {
        name: "inner.zip".into(),
        method: 0,
        declared: inner.len() as u32,
        data: inner,
    }]);
    let err = statement::parse(&outer).expect_err("nested archives are refused");
    assert!(err.message.contains("inner.zip"), "{err}");
    assert!(err.message.contains("ZIP archive inside"), "{err}");
}

#[test]
fn ordinary_zip_still_reads() {
    let camt = nested_camt(1);
    let zipped = archive(&[deflated("a.xml", camt.as_bytes())]);
    let file = statement::parse(&zipped).expect("an ordinary archive reads");
    assert_eq!(file.statements[0].entries.len(), 3);
}

// ---------------------------------------------------------------------------
// 3. Quadratic MT940 scans
// ---------------------------------------------------------------------------

fn mt940_with_86(info: &str) -> String {
    format!(
        ":20:STMT\r\n:25:NL91ABNA0417164300\r\n:28C:1\r\n:60F:C260301EUR0,00\r\n:61:2603020302C1,00NTRFNONREF\r\n:86:{info}\r\n:62F:C260302EUR1,00\r\n-\r\n"
    )
}

/// Debug builds are slow and CI machines are busy: a generous bound that a
/// linear scan meets with a wide margin, and the old quadratic one (44 s
/// for 400 KB) misses by far.
const LINEAR_BOUND: Duration = Duration::from_secs(5);

fn assert_fast(
    what: &str,
    source: &str,
) -> Result<statement::StatementFile, statement::StatementError> {
    let started = Instant::now();
    let result = mt940::parse(source);
    let took = started.elapsed();
    assert!(took < LINEAR_BOUND, "{what}: took {took:?}");
    result
}

#[test]
fn long_word_in_mt940_86_parses_in_linear_time() {
    // One 1 MB "word" (letters and digits, no IBAN in it) in a free-text :86:.
    let word: String = "AB12CDEF3456789".repeat(70_000);
    assert!(word.len() >= 1_000_000);
    let file = assert_fast("long word", &mt940_with_86(&word)).expect("reads");
    let detail = &file.statements[0].entries[0].details[0];
    assert_eq!(detail.counterparty_account, None);
    // Many IBAN-shaped starts inside one long word, uppercase letters only.
    let word = "NL".repeat(500_000);
    assert_fast("NL run", &mt940_with_86(&word)).expect("reads");
    // And a long word that ends in an IBAN-shaped tail is still no IBAN (a
    // word is only an IBAN when the whole word has the shape).
    let word = format!("{}NL91ABNA0417164300", "X".repeat(500_000));
    let file = assert_fast("tail", &mt940_with_86(&word)).expect("reads");
    assert_eq!(
        file.statements[0].entries[0].details[0].counterparty_account,
        None
    );
}

#[test]
fn many_keywords_in_mt940_86_parse_in_linear_time() {
    // German subfields with 200,000 SEPA keywords of one kind: the search
    // for the next keyword used to rescan the rest for every other kind.
    let info = format!("166?00SEPA?20{}", "EREF+x".repeat(200_000));
    assert_fast("german keywords", &mt940_with_86(&info)).expect("reads");
    // ABN AMRO / Knab keyword dialect with many keys.
    let info = format!("IBAN: NL91ABNA0417164300 {}", "NAAM: x ".repeat(120_000));
    assert_fast("keyword dialect", &mt940_with_86(&info)).expect("reads");
    // Slash codes.
    let info = "/REMI/x".repeat(150_000);
    assert_fast("slash codes", &mt940_with_86(&info)).expect("reads");
}

#[test]
fn mt940_with_many_fields_parses_in_linear_time() {
    // 100,000 statement lines in a message without :20:, and as many lone
    // dashes: each used to rescan every field of the message.
    let mut source = String::from(":25:NL91ABNA0417164300\n:60F:C260301EUR0,00\n");
    for _ in 0..100_000 {
        source.push_str(":61:2603020302C1,00NTRF\n-\n");
    }
    let err = assert_fast("fields", &source).expect_err("no :20:");
    assert!(err.message.contains("no :20:"), "{err}");
}

// ---------------------------------------------------------------------------
// 4. MT940 messages separated by the DOS end-of-file character
// ---------------------------------------------------------------------------

/// Two ABN AMRO MT940 messages (as in its older exports, with the
/// ABNANL2A/940 header lines), joined by `sep`.
fn abn_amro_pair(sep: &str) -> String {
    let first = "ABNANL2A\r\n940\r\nABNANL2A\r\n:20:ABN AMRO BANK NV\r\n:25:517852257\r\n:28:19321/1\r\n:60F:C110522EUR3236,28\r\n:61:1105240524D9,N192NONREF\r\n:86:GIRO   428428 KPN - DIGITENNE    BETALINGSKENM.  000000042188659\r\n5314606715                       BETREFT FACTUUR D.D. 20-05-2011\r\nINCL. 1,44 BTW\r\n:61:1105210523D11,59N426NONREF\r\n:86:BEA   NR:XXX1234   21.05.11/12.54 DIRCKIII FIL2500 KATWIJK,PAS999\r\n:62F:C110523EUR3215,69";
    let second = ":20:ABN AMRO BANK NV\r\n:25:517852257\r\n:28C:19322/1\r\n:60F:C110523EUR3215,69\r\n:61:1105240524D9,49N426NONREF\r\n:86:BEA   NR:XXX1234   24.05.11/09.18 PETS PLACE KATWIJK KATWI,PAS999\r\n:62F:C110524EUR3206,20\r\n-\r\n\x1a";
    format!("{first}{sep}{second}")
}

#[test]
fn mt940_messages_separated_by_dos_eof_are_imported() {
    for sep in [
        // Ctrl-Z at the start of the next message's :940: header line.
        "\r\n\x1a:940:\r\n",
        // Ctrl-Z right after the closing balance, on the same line.
        "\x1a:940:\r\n",
        // After the dash, before the ABN AMRO header lines.
        "\r\n-\x1aABNANL2A\r\n940\r\nABNANL2A\r\n",
        // Alone, with no header at all.
        "\r\n\x1a",
        // On a line of its own after a dash.
        "\r\n-\r\n\x1a\r\n",
    ] {
        let source = abn_amro_pair(sep);
        let file = mt940::parse(&source).unwrap_or_else(|e| panic!("separator {sep:?}: {e}"));
        assert_eq!(file.statements.len(), 2, "separator {sep:?}");
        let first = &file.statements[0];
        assert_eq!(first.entries.len(), 2, "separator {sep:?}");
        assert_eq!(
            first.closing.map(|b| b.amount.minor),
            Some(321_569),
            "separator {sep:?}"
        );
        assert_eq!(file.statements[1].entries.len(), 1, "separator {sep:?}");
        assert!(file.warnings.is_empty(), "{sep:?}: {:?}", file.warnings);
        // And through format detection.
        let detected = statement::parse(source.as_bytes()).expect("detected as MT940");
        assert_eq!(detected.statements.len(), 2);
    }
}

#[test]
fn dos_eof_does_not_glue_a_dash_to_the_next_message() {
    // A dash with Ctrl-Z straight after it closes the message, even when
    // the message has no closing balance yet.
    let source = ":20:A\n:25:NL91ABNA0417164300\n:60F:C260301EUR0,00\n:61:2603020302C1,00NTRF\n:86:one\n-\x1a:20:B\n:25:NL91ABNA0417164300\n:60F:C260301EUR0,00\n:62F:C260301EUR0,00\n-\n";
    let file = mt940::parse(source).expect("reads");
    assert_eq!(file.statements.len(), 2);
    assert_eq!(
        file.statements[0].entries[0].details[0]
            .remittance
            .as_deref(),
        Some("one")
    );
}

// ---------------------------------------------------------------------------
// 5. CSV line numbers with CRLF, and the article in messages
// ---------------------------------------------------------------------------

#[test]
fn csv_error_line_is_the_same_with_crlf_as_with_lf() {
    let lf = "invoice_number,customer_id,issue_date,amount\nF-1,C1,2026-01-01,10.00\nF-2,C1,2026-01-02,11.00\nF-3,C1,2026-13-01,5\n";
    let crlf = lf.replace('\n', "\r\n");
    let lf_err = ledger_csv::parse_invoices(lf.as_bytes()).unwrap_err();
    let crlf_err = ledger_csv::parse_invoices(crlf.as_bytes()).unwrap_err();
    assert_eq!(lf_err.line, 4, "{lf_err}");
    assert_eq!(crlf_err.line, 4, "{crlf_err}");
    assert_eq!(lf_err, crlf_err);

    // Rows read fine keep their lines too, and so do errors from the CSV
    // reader itself (a quote left open), with a blank line in between.
    let lf = "payment_id,date,amount\nP1,2026-02-01,1\n\nP2,2026-02-02,2\nP3,2026-02-03,0\n";
    let crlf = lf.replace('\n', "\r\n");
    for text in [lf, crlf.as_str()] {
        let err = ledger_csv::parse_payments(text.as_bytes()).unwrap_err();
        assert_eq!(err.line, 5, "{text:?}: {err}");
        let ok = text.replace("2026-02-03,0", "2026-02-03,3");
        let parsed = ledger_csv::parse_payments(ok.as_bytes()).unwrap();
        let lines: Vec<u64> = parsed.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 4, 5], "{text:?}");
    }
    // Old Mac line endings (CR only) count as lines as well.
    let cr = lf.replace('\n', "\r");
    let err = ledger_csv::parse_payments(cr.as_bytes()).unwrap_err();
    assert_eq!(err.line, 5, "{err}");
    // Mixed: a CRLF file with a line break inside a quoted field.
    let quoted = "customer_id,name,email\r\nC1,\"Line\r\nbreak\",a@b.nl\r\nC2,X,not-an-email\r\n";
    let err = ledger_csv::parse_customers(quoted.as_bytes()).unwrap_err();
    assert_eq!(err.line, 4, "{err}");
}

#[test]
fn csv_messages_say_an_invoices_file() {
    let err = ledger_csv::parse_invoices(b"invoice_number,customer_id,amount\n").unwrap_err();
    assert!(err.reason.contains("in an invoices file"), "{}", err.reason);
    let err = ledger_csv::parse_invoices(b"invoice_number,colour\n").unwrap_err();
    assert!(err.reason.contains("in an invoices file"), "{}", err.reason);
    let err = ledger_csv::parse_invoices(b"").unwrap_err();
    assert!(
        err.reason.contains("an invoices file starts"),
        "{}",
        err.reason
    );
    let err = ledger_csv::parse_payments(b"payment_id,date\n").unwrap_err();
    assert!(err.reason.contains("in a payments file"), "{}", err.reason);
}

// ---------------------------------------------------------------------------
// Amounts at the edge of i64 must not panic
// ---------------------------------------------------------------------------

#[test]
fn camt_batch_with_huge_detail_amounts_does_not_overflow() {
    // Two details of 92233720368547758.07 each: adding them overflowed i64
    // (a panic in a debug build). The core now refuses such amounts, and
    // the sum is taken in i128 all the same.
    let max = "92233720368547758.07";
    let doc = format!(
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt><Stmt><Id>S</Id><Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-03-02</Dt></BookgDt><NtryDtls><TxDtls><Amt Ccy=\"EUR\">{max}</Amt></TxDtls><TxDtls><Amt Ccy=\"EUR\">{max}</Amt></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>"
    );
    let result = std::panic::catch_unwind(|| camt::parse(&doc));
    let file = result.expect("no panic").expect("reads as one payment");
    let entry = &file.statements[0].entries[0];
    assert_eq!(entry.details.len(), 1);
    assert!(
        file.warnings[0].contains("do not add up"),
        "{:?}",
        file.warnings
    );
}

// ---------------------------------------------------------------------------
// Quadratic duplicate check on the IBANs of one customer
// ---------------------------------------------------------------------------

/// A valid Dutch IBAN for account `n` at bank ABNA.
fn nl_iban(n: u64) -> String {
    let bban = format!("ABNA{n:010}");
    // Mod-97 over BBAN + "NL00", letters as 10..35.
    let mut rest = 0u64;
    for ch in format!("{bban}NL00").chars() {
        let value = ch.to_digit(36).unwrap() as u64;
        rest = if value >= 10 {
            (rest * 100 + value) % 97
        } else {
            (rest * 10 + value) % 97
        };
    }
    format!("NL{:02}{bban}", 98 - rest)
}

#[test]
fn many_ibans_in_one_customer_cell_read_in_linear_time() {
    let ibans: Vec<String> = (0..50_000).map(nl_iban).collect();
    let file = format!("customer_id,name,iban\nC1,X,\"{}\"\n", ibans.join("|"));
    let started = Instant::now();
    let parsed = ledger_csv::parse_customers(file.as_bytes()).expect("valid IBANs");
    let took = started.elapsed();
    assert_eq!(parsed.rows[0].customer.ibans.len(), 50_000);
    assert!(took < LINEAR_BOUND, "took {took:?}");
}

#[test]
fn absurd_amounts_are_refused_in_every_format_with_the_reason() {
    let max = "92233720368547758.07";
    let camt_doc = format!(
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt><Stmt><Id>S</Id><Ntry><Amt Ccy=\"EUR\">{max}</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-03-02</Dt></BookgDt></Ntry></Stmt></BkToCstmrStmt></Document>"
    );
    let err = camt::parse(&camt_doc).unwrap_err();
    assert!(err.message.contains("too large"), "{err}");
    assert_eq!(err.element.as_deref(), Some("Stmt/Ntry[1]/Amt"));

    let huge = "99999999999999999999999,99";
    let balance =
        format!(":20:S\n:25:NL91ABNA0417164300\n:60F:C260301EUR{huge}\n:62F:C260302EUR1,00\n-\n");
    let err = mt940::parse(&balance).unwrap_err();
    assert!(err.message.contains("too large"), "{err}");
    assert_eq!(err.element.as_deref(), Some(":60F:"));
    let line61 = format!(
        ":20:S\n:25:NL91ABNA0417164300\n:60F:C260301EUR0,00\n:61:2603020302C{huge}NTRF\n:62F:C260302EUR1,00\n-\n"
    );
    let err = mt940::parse(&line61).unwrap_err();
    assert!(err.message.contains("too large"), "{err}");
    assert_eq!((err.line, err.element.as_deref()), (4, Some(":61:")));

    let invoice = format!(
        "<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"><ID>1</ID><IssueDate>2026-01-01</IssueDate><AccountingCustomerParty><Party><PartyName><Name>X</Name></PartyName></Party></AccountingCustomerParty><LegalMonetaryTotal><PayableAmount currencyID=\"EUR\">-{max}</PayableAmount></LegalMonetaryTotal></Invoice>"
    );
    let err = ubl::parse(invoice.as_bytes()).unwrap_err();
    assert!(err.message.contains("too large"), "{err}");

    let csv = format!("invoice_number,customer_id,issue_date,amount\nF1,C1,2026-01-01,{max}\n");
    let err = ledger_csv::parse_invoices(csv.as_bytes()).unwrap_err();
    assert!(err.reason.contains("too large"), "{err}");
}

// ---------------------------------------------------------------------------
// A NUL character in a CSV field
// ---------------------------------------------------------------------------

/// A customer number with a NUL in it was imported into SQLite (and broke
/// the PostgreSQL import with a database error): it is refused with the
/// line, the column and the value, NUL shown as `\0`.
#[test]
fn a_nul_character_in_a_csv_field_is_refused_with_line_and_column() {
    let text = "customer_id,name\nC1,Een\nC\u{0}2,Twee\n";
    let err = ledger_csv::parse_customers(text.as_bytes()).unwrap_err();
    assert_eq!(err.line, 3, "{err:?}");
    assert_eq!(err.column.as_deref(), Some("customer_id"));
    assert_eq!(err.value.as_deref(), Some("C\\02"));
    assert!(err.reason.contains("NUL"), "{err:?}");
    let invoices = "invoice_number,customer_id,issue_date,amount,description\n\
                    F1,C1,2026-01-01,10.00,ok\n\
                    F2,C1,2026-01-01,10.00,bad\u{0}\n";
    let err = ledger_csv::parse_invoices(invoices.as_bytes()).unwrap_err();
    assert_eq!((err.line, err.column.as_deref()), (3, Some("description")));
}
