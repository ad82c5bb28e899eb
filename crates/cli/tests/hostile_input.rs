//! Hostile files through the built `tegoed` binary: each is refused with an
//! error that names the file and says where, and the process exits with 1
//! — never aborts (a stack overflow is SIGABRT), never runs out of memory,
//! never hangs. The parsers are tested in depth in
//! `crates/formats/tests/hardening.rs` and `mutations.rs`; this checks what
//! a user sees.

mod common;

use std::time::{Duration, Instant};

use common::Sandbox;

/// Runs `tegoed` with `args`, expecting exit code 1 within `limit`;
/// returns what it printed (the per-file errors go to stdout, the summary
/// to stderr).
fn refused(sandbox: &Sandbox, args: &[&str], limit: Duration) -> String {
    let started = Instant::now();
    let out = sandbox.tegoed(args);
    let took = started.elapsed();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "tegoed {args:?} must fail with 1 (status {:?}): {printed}",
        out.status
    );
    assert!(!printed.contains("overflowed its stack"), "{printed}");
    assert!(took < limit, "tegoed {args:?} took {took:?}");
    printed
}

#[test]
fn deeply_nested_statement_is_refused_not_a_process_abort() {
    let sandbox = Sandbox::with_examples();
    // 50,000 levels inside the first entry: about 350 KB.
    let depth = 50_000;
    let file = sandbox.write(
        "deep.xml",
        &format!(
            "<?xml version=\"1.0\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">\n<BkToCstmrStmt><Stmt><Id>S</Id>\n<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><NtryDtls><TxDtls>{}{}</TxDtls></NtryDtls></Ntry>\n</Stmt></BkToCstmrStmt></Document>\n",
            "<a>".repeat(depth),
            "</a>".repeat(depth)
        ),
    );
    // The good statement in the same command is still imported.
    let good = common::root().join("examples/camt053.xml");
    let err = refused(
        &sandbox,
        &["import", "statement", &file, good.to_str().unwrap()],
        Duration::from_secs(30),
    );
    assert!(err.contains("1 imported, 1 failed"), "{err}");
    assert!(err.contains("deep.xml"), "{err}");
    assert!(err.contains("line 4"), "{err}");
    assert!(
        err.contains("Document/BkToCstmrStmt/Stmt/Ntry[1]/NtryDtls/TxDtls/…/a"),
        "{err}"
    );
    assert!(err.contains("XML nested deeper than 64 levels"), "{err}");
}

#[test]
fn deeply_nested_e_invoice_is_refused_not_a_process_abort() {
    let sandbox = Sandbox::with_examples();
    let depth = 200_000;
    let file = sandbox.write(
        "deep-invoice.xml",
        &format!(
            "<?xml version=\"1.0\"?>\n<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\">\n<cbc:ID>1</cbc:ID>{}{}</Invoice>",
            "<cbc:Note>".repeat(depth),
            "</cbc:Note>".repeat(depth)
        ),
    );
    let good = common::root().join("examples/inbox/2026-008-bakkerij-de-vries.xml");
    let err = refused(
        &sandbox,
        &["import", "ubl", &file, good.to_str().unwrap()],
        Duration::from_secs(30),
    );
    assert!(err.contains("1 imported, 1 failed"), "{err}");
    assert!(err.contains("deep-invoice.xml"), "{err}");
    assert!(err.contains("nested deeper than 64 levels"), "{err}");
}

/// A ZIP archive of `members` (name, deflated data, declared size).
fn archive(members: &[(String, Vec<u8>, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut offsets = Vec::new();
    for (name, data, declared) in members {
        offsets.push(out.len() as u32);
        out.extend(b"PK\x03\x04");
        out.extend([20, 0, 0, 0, 8, 0]);
        out.extend([0; 8]);
        out.extend((data.len() as u32).to_le_bytes());
        out.extend(declared.to_le_bytes());
        out.extend((name.len() as u16).to_le_bytes());
        out.extend([0, 0]);
        out.extend(name.as_bytes());
        out.extend(data);
    }
    let directory = out.len() as u32;
    for ((name, data, declared), offset) in members.iter().zip(&offsets) {
        out.extend(b"PK\x01\x02");
        out.extend([20, 0, 20, 0, 0, 0, 8, 0]);
        out.extend([0; 8]);
        out.extend((data.len() as u32).to_le_bytes());
        out.extend(declared.to_le_bytes());
        out.extend((name.len() as u16).to_le_bytes());
        out.extend([0; 12]);
        out.extend(offset.to_le_bytes());
        out.extend(name.as_bytes());
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
fn zip_bomb_statement_is_refused_before_it_is_inflated() {
    let sandbox = Sandbox::with_examples();
    // 20 members that each claim 500 MiB. The data is a fixed-Huffman
    // deflate block of nothing: nothing to inflate, the sizes alone refuse.
    let members: Vec<(String, Vec<u8>, u32)> = (0..20)
        .map(|i| (format!("statement-{i:02}.xml"), vec![0x03, 0x00], 500 << 20))
        .collect();
    let path = sandbox.dir().join("bomb.zip");
    std::fs::write(&path, archive(&members)).unwrap();
    let err = refused(
        &sandbox,
        &["import", "statement", path.to_str().unwrap()],
        Duration::from_secs(30),
    );
    assert!(err.contains("bomb.zip"), "{err}");
    assert!(err.contains("statement-00.xml"), "{err}");
    assert!(err.contains("ZIP bomb"), "{err}");
}
