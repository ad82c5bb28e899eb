//! `COPY`: the bulk load of invoices and payments (ids handed out at once,
//! rows sent in batches), whole tables in and out as neutral cells
//! (`tegoed migrate`), and the revision.

use std::collections::VecDeque;
use std::io::Write;

use tegoed_core::{Invoice, MatchInfo, Payment, matching::MatchRule};
use tegoed_store::schema::{Cell, Kind, Table};
use tegoed_store::{BulkTable, Result, StoreError};

use crate::types::{CopyEncoder, Day};
use crate::{PgTx, get};

/// Rows buffered before they are sent in one COPY.
const BATCH_ROWS: usize = 20_000;
/// Ids taken from the sequence per round trip.
const ID_BLOCK: i64 = 10_000;
/// Below this many buffered rows a flush inserts them one by one (a COPY
/// costs an extra round trip; an import that reads between inserts flushes
/// every row).
const SMALL_FLUSH: usize = 8;
/// The chunk size written to the server.
const CHUNK: usize = 256 * 1024;

pub(crate) const INVOICE_INSERT_COLUMNS: &str = "id, number, customer_id, issue_date, due_date, \
     amount_minor, currency, payment_reference, description, credits_invoice";
pub(crate) const PAYMENT_INSERT_COLUMNS: &str = "id, external_id, date, amount_minor, currency, \
     customer_id, invoice_id, reference, counterparty_iban, counterparty_name, source, \
     end_to_end_id, bank_account, match_rule, match_confidence, needs_review, \
     suggested_customer_id, note, reverses_payment_id";

pub(crate) const SQL_INSERT_INVOICE_WITH_ID: &str = "INSERT INTO invoice (id, number, customer_id, \
     issue_date, due_date, amount_minor, currency, payment_reference, description, credits_invoice) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
pub(crate) const SQL_INSERT_PAYMENT_WITH_ID: &str = "INSERT INTO payment (id, external_id, date, \
     amount_minor, currency, customer_id, invoice_id, reference, counterparty_iban, counterparty_name, \
     source, end_to_end_id, bank_account, match_rule, match_confidence, needs_review, \
     suggested_customer_id, note, reverses_payment_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)";

/// A row waiting to be sent.
enum Pending {
    Invoice(i64, Invoice),
    Payment(i64, Payment, MatchInfo),
}

/// A bulk load in progress.
pub(crate) struct Bulk {
    table: BulkTable,
    /// Ids taken from the sequence, not yet handed out.
    ids: VecDeque<i64>,
    rows: Vec<Pending>,
}

impl Bulk {
    pub(crate) fn pending(&self) -> bool {
        !self.rows.is_empty()
    }
}

fn table_name(table: BulkTable) -> &'static str {
    match table {
        BulkTable::Invoice => "invoice",
        BulkTable::Payment => "payment",
    }
}

impl PgTx<'_> {
    pub(crate) fn begin_bulk(&mut self, table: BulkTable) -> Result<()> {
        self.end_bulk()?;
        let sql = match table {
            BulkTable::Invoice => "SELECT NOT EXISTS (SELECT 1 FROM invoice)",
            BulkTable::Payment => "SELECT NOT EXISTS (SELECT 1 FROM payment)",
        };
        let empty: bool = get(&self.query_one(sql, &[])?, 0)?;
        if empty {
            self.bulk = Some(Bulk {
                table,
                ids: VecDeque::new(),
                rows: Vec::new(),
            });
        }
        Ok(())
    }

    pub(crate) fn end_bulk(&mut self) -> Result<()> {
        self.ready()?;
        self.bulk = None;
        Ok(())
    }

    /// The next id of the bulk table, from the block taken beforehand.
    fn bulk_id(&mut self, table: BulkTable) -> Result<i64> {
        if let Some(id) = self.bulk.as_mut().and_then(|b| b.ids.pop_front()) {
            return Ok(id);
        }
        let rows = self.query_unflushed(
            "SELECT nextval(pg_get_serial_sequence($1, 'id')::regclass) \
             FROM generate_series(1::bigint, $2::bigint)",
            &[&table_name(table), &ID_BLOCK],
        )?;
        let mut ids = VecDeque::with_capacity(rows.len());
        for row in &rows {
            ids.push_back(get::<i64>(row, 0)?);
        }
        let first = ids
            .pop_front()
            .ok_or_else(|| StoreError::Backend("the id sequence gave no ids".into()))?;
        if let Some(bulk) = self.bulk.as_mut() {
            bulk.ids = ids;
        }
        Ok(first)
    }

    /// Buffers an invoice when a bulk load of invoices is on; `None` when
    /// it is not (insert it the usual way).
    pub(crate) fn bulk_invoice(&mut self, invoice: &Invoice) -> Result<Option<i64>> {
        if self.bulk.as_ref().map(|b| b.table) != Some(BulkTable::Invoice) {
            return Ok(None);
        }
        let id = self.bulk_id(BulkTable::Invoice)?;
        self.push_pending(Pending::Invoice(id, invoice.clone()))?;
        Ok(Some(id))
    }

    pub(crate) fn bulk_payment(
        &mut self,
        payment: &Payment,
        info: &MatchInfo,
    ) -> Result<Option<i64>> {
        if self.bulk.as_ref().map(|b| b.table) != Some(BulkTable::Payment) {
            return Ok(None);
        }
        let id = self.bulk_id(BulkTable::Payment)?;
        self.push_pending(Pending::Payment(id, payment.clone(), info.clone()))?;
        Ok(Some(id))
    }

    fn push_pending(&mut self, row: Pending) -> Result<()> {
        let full = match self.bulk.as_mut() {
            Some(bulk) => {
                bulk.rows.push(row);
                bulk.rows.len() >= BATCH_ROWS
            }
            None => false,
        };
        if full { self.flush_bulk() } else { Ok(()) }
    }

    /// Sends the buffered rows: a COPY, or single inserts for a few.
    pub(crate) fn flush_bulk(&mut self) -> Result<()> {
        let Some(bulk) = self.bulk.as_mut() else {
            return Ok(());
        };
        let table = bulk.table;
        let rows = std::mem::take(&mut bulk.rows);
        if rows.is_empty() {
            return Ok(());
        }
        if rows.len() < SMALL_FLUSH {
            for row in &rows {
                self.insert_pending(row)?;
            }
            return Ok(());
        }
        let mut encoder = CopyEncoder::new();
        for row in &rows {
            encode_pending(&mut encoder, row)?;
        }
        let columns = match table {
            BulkTable::Invoice => INVOICE_INSERT_COLUMNS,
            BulkTable::Payment => PAYMENT_INSERT_COLUMNS,
        };
        let sql = format!(
            "COPY {} ({columns}) FROM STDIN (FORMAT binary)",
            table_name(table)
        );
        self.send_copy(&sql, encoder)
    }

    /// Streams an encoded COPY to the server.
    fn send_copy(&mut self, sql: &str, encoder: CopyEncoder) -> Result<()> {
        let data = encoder.finish();
        enum Stop {
            Pg(postgres::Error),
            Io(std::io::Error),
        }
        let client = self.client()?;
        let outcome = (|| {
            let mut writer = client.copy_in(sql).map_err(Stop::Pg)?;
            for chunk in data.chunks(CHUNK) {
                writer.write_all(chunk).map_err(Stop::Io)?;
            }
            writer.finish().map_err(Stop::Pg)
        })();
        match outcome {
            Ok(_) => Ok(()),
            Err(Stop::Pg(e)) => Err(self.fail(e)),
            Err(Stop::Io(e)) => {
                // The writer wraps the driver's error; the COPY was aborted.
                self.failed = true;
                self.poisoned = true;
                Err(StoreError::Backend(Box::new(e)))
            }
        }
    }

    fn insert_pending(&mut self, row: &Pending) -> Result<()> {
        match row {
            Pending::Invoice(id, invoice) => {
                self.execute_unflushed(
                    SQL_INSERT_INVOICE_WITH_ID,
                    &[
                        id,
                        &invoice.number,
                        &invoice.customer.0,
                        &Day(invoice.issue_date),
                        &Day(invoice.due_date),
                        &invoice.amount.minor,
                        &invoice.amount.currency.code(),
                        &invoice.payment_reference.as_ref().map(|r| r.as_str()),
                        &invoice.description,
                        &invoice.credits_invoice,
                    ],
                )?;
            }
            Pending::Payment(id, payment, info) => {
                self.execute_unflushed(
                    SQL_INSERT_PAYMENT_WITH_ID,
                    &[
                        id,
                        &payment.external_id,
                        &Day(payment.date),
                        &payment.amount.minor,
                        &payment.amount.currency.code(),
                        &payment.customer.map(|c| c.0),
                        &payment.invoice.map(|i| i.0),
                        &payment.reference,
                        &payment.counterparty_iban.as_ref().map(|i| i.as_str()),
                        &payment.counterparty_name,
                        &payment.source.as_str(),
                        &payment.end_to_end_id,
                        &payment.bank_account,
                        &info.rule.map(MatchRule::as_str),
                        &i64::from(info.confidence),
                        &info.needs_review,
                        &info.suggested_customer.map(|c| c.0),
                        &info.note,
                        &info.reverses.map(|p| p.0),
                    ],
                )?;
            }
        }
        Ok(())
    }

    /// Every row of `table` in key order, as cells.
    pub(crate) fn copy_table_out(
        &mut self,
        table: &Table,
        visit: &mut dyn FnMut(&[Cell]) -> Result<()>,
    ) -> Result<u64> {
        // Text keys sort bytewise, as SQLite's BINARY collation does,
        // whatever the database's locale.
        let order = table
            .key
            .iter()
            .map(|key| {
                let text = table
                    .columns
                    .iter()
                    .any(|(name, kind)| name == key && *kind == Kind::Text);
                if text {
                    format!("\"{key}\" COLLATE \"C\"")
                } else {
                    format!("\"{key}\"")
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {} FROM \"{}\" ORDER BY {order}",
            table.column_list(),
            table.name
        );
        let mut cells = Vec::with_capacity(table.columns.len());
        self.stream(&sql, &[], &mut |row| {
            cells.clear();
            for (i, (_, kind)) in table.columns.iter().enumerate() {
                let cell = match kind {
                    Kind::Int => get::<Option<i64>>(row, i)?.map(Cell::Int),
                    Kind::Date => get::<Option<Day>>(row, i)?
                        .map(|d| Cell::Int(i64::from(d.0.days_since_epoch()))),
                    Kind::Bool => get::<Option<bool>>(row, i)?.map(|b| Cell::Int(i64::from(b))),
                    Kind::Real => get::<Option<f64>>(row, i)?.map(Cell::Real),
                    Kind::Text => get::<Option<String>>(row, i)?.map(Cell::Text),
                };
                cells.push(cell.unwrap_or(Cell::Null));
            }
            visit(&cells)
        })
    }

    /// Appends rows exactly as given (ids included) with one COPY, then
    /// moves the table's id sequence past the largest id.
    pub(crate) fn copy_table_in(&mut self, table: &Table, rows: &[Vec<Cell>]) -> Result<()> {
        self.ready()?;
        if !rows.is_empty() {
            let mut encoder = CopyEncoder::new();
            for row in rows {
                encode_cells(&mut encoder, table, row)?;
            }
            let sql = format!(
                "COPY \"{}\" ({}) FROM STDIN (FORMAT binary)",
                table.name,
                table.column_list()
            );
            self.send_copy(&sql, encoder)?;
        }
        if table.serial_id {
            // Only forward: never below what the sequence handed out.
            let sql = format!(
                "SELECT setval(s, m) FROM (SELECT pg_get_serial_sequence($1, 'id')::regclass AS s, \
                 (SELECT max(id) FROM \"{}\") AS m) x \
                 WHERE m IS NOT NULL AND m > COALESCE(pg_sequence_last_value(s), 0)",
                table.name
            );
            self.query(&sql, &[&table.name])?;
        }
        Ok(())
    }

    pub(crate) fn read_revision(&mut self) -> Result<i64> {
        let row = self.query_one("SELECT last_value, is_called FROM store_revision", &[])?;
        let last: i64 = get(&row, 0)?;
        let called: bool = get(&row, 1)?;
        // A fresh sequence reports 1 before its first nextval: that is 0.
        Ok(if called { last } else { last - 1 })
    }
}

fn encode_pending(encoder: &mut CopyEncoder, row: &Pending) -> Result<()> {
    match row {
        Pending::Invoice(id, invoice) => {
            encoder.row(10)?;
            encoder.int8(*id);
            encoder.text(&invoice.number)?;
            encoder.int8(invoice.customer.0);
            encoder.date(invoice.issue_date)?;
            encoder.date(invoice.due_date)?;
            encoder.int8(invoice.amount.minor);
            encoder.text(invoice.amount.currency.code())?;
            encoder.opt_text(invoice.payment_reference.as_ref().map(|r| r.as_str()))?;
            encoder.opt_text(invoice.description.as_deref())?;
            encoder.opt_text(invoice.credits_invoice.as_deref())?;
        }
        Pending::Payment(id, payment, info) => {
            encoder.row(19)?;
            encoder.int8(*id);
            encoder.text(&payment.external_id)?;
            encoder.date(payment.date)?;
            encoder.int8(payment.amount.minor);
            encoder.text(payment.amount.currency.code())?;
            encoder.opt_int8(payment.customer.map(|c| c.0));
            encoder.opt_int8(payment.invoice.map(|i| i.0));
            encoder.opt_text(payment.reference.as_deref())?;
            encoder.opt_text(payment.counterparty_iban.as_ref().map(|i| i.as_str()))?;
            encoder.opt_text(payment.counterparty_name.as_deref())?;
            encoder.text(payment.source.as_str())?;
            encoder.opt_text(payment.end_to_end_id.as_deref())?;
            encoder.opt_text(payment.bank_account.as_deref())?;
            encoder.opt_text(info.rule.map(MatchRule::as_str))?;
            encoder.int8(i64::from(info.confidence));
            encoder.boolean(info.needs_review);
            encoder.opt_int8(info.suggested_customer.map(|c| c.0));
            encoder.opt_text(info.note.as_deref())?;
            encoder.opt_int8(info.reverses.map(|p| p.0));
        }
    }
    Ok(())
}

fn encode_cells(encoder: &mut CopyEncoder, table: &Table, row: &[Cell]) -> Result<()> {
    if row.len() != table.columns.len() {
        return Err(StoreError::Corrupt(format!(
            "{}: a row of {} cells for {} columns",
            table.name,
            row.len(),
            table.columns.len()
        )));
    }
    encoder.row(row.len())?;
    for (cell, (column, kind)) in row.iter().zip(table.columns) {
        match (cell, kind) {
            (Cell::Null, _) => encoder.null(),
            (Cell::Int(v), Kind::Int) => encoder.int8(*v),
            (Cell::Int(v), Kind::Date) => {
                let days = i32::try_from(*v).map_err(|_| {
                    StoreError::Corrupt(format!("{}.{column}: day {v}", table.name))
                })?;
                encoder.date(tegoed_core::Date::from_days_since_epoch(days))?;
            }
            (Cell::Int(v), Kind::Bool) => encoder.boolean(*v != 0),
            (Cell::Int(v), Kind::Real) => encoder.float8(*v as f64),
            (Cell::Real(v), Kind::Real) => encoder.float8(*v),
            (Cell::Text(t), Kind::Text) => encoder.text(t)?,
            (other, _) => {
                return Err(StoreError::Corrupt(format!(
                    "{}.{column} given {other:?} where {kind:?} belongs",
                    table.name
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_insert_columns_match_the_logical_schema() {
        for (table, columns) in [
            ("invoice", INVOICE_INSERT_COLUMNS),
            ("payment", PAYMENT_INSERT_COLUMNS),
        ] {
            let logical: Vec<&str> = tegoed_store::schema::table(table)
                .unwrap()
                .columns
                .iter()
                .map(|(name, _)| *name)
                .collect();
            let ours: Vec<&str> = columns.split(", ").collect();
            assert_eq!(ours, logical, "{table}");
        }
    }
}
