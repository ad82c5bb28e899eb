//! `tegoed migrate`: copies a whole database into an empty one, table by
//! table (ledger, collection history, users, the audit log — everything in
//! [`tegoed_store::schema::TABLES`]), ids included, so every reference stays
//! as it was; then reads both back and compares, per table, the number of
//! rows, the totals of every money column and a fingerprint of every cell.
//! Typically from the embedded SQLite file to PostgreSQL, but any backend to
//! any other works the same way.
//!
//! The source is read in one read transaction (a consistent snapshot, while
//! it stays in use) and the target written in one write transaction: the
//! copy is there completely or not at all.

use serde::Serialize;
use tegoed_store::schema::{Cell, Kind, TABLES, Table};
use tegoed_store::{ReadTx, Store};

use crate::access::{Action, Actor};
use crate::audit::{Detail, Label};
use crate::progress::Progress;
use crate::{AppError, Result};

/// Rows sent to the target at a time.
const CHUNK: usize = 5_000;

/// What one table looked like on both sides.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TableCheck {
    pub table: &'static str,
    pub rows: u64,
    /// Each money column (`*_minor`) with its total, in minor units.
    pub totals: Vec<(String, i64)>,
    /// Rows, totals and every cell equal on both sides.
    pub identical: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MigrateReport {
    pub from: String,
    pub to: String,
    pub tables: Vec<TableCheck>,
    pub rows: u64,
    /// Every table identical.
    pub verified: bool,
}

/// Rows, money totals and a fingerprint of one table.
#[derive(Debug, Default, PartialEq, Eq)]
struct Summary {
    rows: u64,
    totals: Vec<(String, i64)>,
    fingerprint: u64,
}

/// Rows, money totals and fingerprint of `table`, of its first `limit`
/// rows in key order when given.
fn summarize(tx: &mut dyn ReadTx, table: &Table, limit: Option<u64>) -> Result<Summary> {
    let money: Vec<usize> = table
        .columns
        .iter()
        .enumerate()
        .filter(|(_, (name, kind))| *kind == Kind::Int && name.ends_with("_minor"))
        .map(|(i, _)| i)
        .collect();
    let mut totals = vec![0i64; money.len()];
    let mut fingerprint = Fingerprint::default();
    let mut overflow = false;
    let mut rows = 0u64;
    tx.copy_out(table, &mut |cells| {
        if limit.is_some_and(|limit| rows >= limit) {
            return Ok(());
        }
        rows += 1;
        for (total, &i) in totals.iter_mut().zip(&money) {
            if let Cell::Int(v) = cells[i] {
                match total.checked_add(v) {
                    Some(sum) => *total = sum,
                    None => overflow = true,
                }
            }
        }
        fingerprint.row(cells);
        Ok(())
    })?;
    if overflow {
        return Err(AppError::Invalid(format!(
            "{}: a money total is too large to add up",
            table.name
        )));
    }
    Ok(Summary {
        rows,
        totals: money
            .iter()
            .map(|&i| table.columns[i].0.to_string())
            .zip(totals)
            .collect(),
        fingerprint: fingerprint.0,
    })
}

/// FNV-1a over every cell, with its kind and length, in row order.
struct Fingerprint(u64);

impl Default for Fingerprint {
    fn default() -> Self {
        Fingerprint(0xcbf2_9ce4_8422_2325)
    }
}

impl Fingerprint {
    fn bytes(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn row(&mut self, cells: &[Cell]) {
        for cell in cells {
            match cell {
                Cell::Null => self.bytes(&[0]),
                Cell::Int(v) => {
                    self.bytes(&[1]);
                    self.bytes(&v.to_le_bytes());
                }
                Cell::Real(v) => {
                    self.bytes(&[2]);
                    self.bytes(&v.to_bits().to_le_bytes());
                }
                Cell::Text(t) => {
                    self.bytes(&[3]);
                    self.bytes(&(t.len() as u64).to_le_bytes());
                    self.bytes(t.as_bytes());
                }
            }
        }
        self.bytes(&[0xff]);
    }
}

/// Copies everything in `from` into `to`, which must be empty (freshly
/// initialised), and verifies the copy. `from_name` and `to_name` say
/// where they are, for the report and the audit line (no passwords).
/// Whether `table` has any row (stops at the first).
fn has_rows(tx: &mut dyn ReadTx, table: &Table) -> Result<bool> {
    let mut any = false;
    match tx.copy_out(table, &mut |_| {
        any = true;
        // Any error stops the scan; `any` tells it from a real one.
        Err(tegoed_store::StoreError::Busy)
    }) {
        Ok(_) => Ok(false),
        Err(_) if any => Ok(true),
        Err(e) => Err(e.into()),
    }
}

pub fn migrate(
    from: &dyn Store,
    to: &dyn Store,
    actor: &Actor,
    (from_name, to_name): (&str, &str),
    progress: &dyn Progress,
) -> Result<MigrateReport> {
    actor.require(Action::ManageUsers, None)?;
    {
        let mut target = to.read()?;
        for table in TABLES {
            if has_rows(target.as_mut(), table)? {
                return Err(AppError::Invalid(format!(
                    "{to_name} is not empty (table {} has rows): migrate into a new, empty database",
                    table.name
                )));
            }
        }
    }
    let mut source = from.read()?;
    // What the source holds, from the snapshot the copy is made of.
    let mut expected = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        expected.push(summarize(source.as_mut(), table, None)?);
    }
    let total: u64 = expected.iter().map(|s| s.rows).sum();

    let mut target = to.write()?;
    progress.start("Copying", total);
    for table in TABLES {
        let mut chunk: Vec<Vec<Cell>> = Vec::with_capacity(CHUNK.min(1024));
        let mut failed = None;
        let copied = source.copy_out(table, &mut |cells| {
            chunk.push(cells.to_vec());
            if chunk.len() == CHUNK {
                if let Err(e) = target.copy_in(table, &chunk) {
                    failed = Some(e);
                    return Err(tegoed_store::StoreError::Busy);
                }
                progress.advance(chunk.len() as u64);
                chunk.clear();
            }
            Ok(())
        });
        if let Some(e) = failed {
            return Err(e.into());
        }
        copied?;
        target.copy_in(table, &chunk)?;
        progress.advance(chunk.len() as u64);
    }
    actor.audit(
        target.as_mut(),
        "database.migrate",
        to_name,
        Detail::none()
            .number(Label::RowsCopied, total)
            .text(Label::From, from_name),
    )?;
    target.commit()?;
    progress.finish();
    to.settle()?;

    // Read the copy back: it must hold what the source held (the audit log
    // one line more, the migration's own, after the copied ones).
    let mut copied = to.read()?;
    let mut tables = Vec::with_capacity(TABLES.len());
    for (table, want) in TABLES.iter().zip(expected) {
        let limit = (table.name == "audit_log").then_some(want.rows);
        let got = summarize(copied.as_mut(), table, limit)?;
        tables.push(TableCheck {
            table: table.name,
            rows: want.rows,
            identical: want == got,
            totals: want.totals,
        });
    }
    let verified = tables.iter().all(|t| t.identical);
    Ok(MigrateReport {
        from: from_name.to_string(),
        to: to_name.to_string(),
        rows: total,
        verified,
        tables,
    })
}
