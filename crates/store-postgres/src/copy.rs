//! `COPY`: bulk loads of customers, invoices, payments and allocations
//! (ids handed out at once, rows sent in batches), whole tables in and out
//! as neutral cells (`tegoed migrate`), and the revision.

use std::collections::VecDeque;
use std::io::Write;

use tegoed_core::matching::MatchRule;
use tegoed_core::{Allocation, AllocationSource, Customer, Invoice, MatchInfo, Payment};
use tegoed_store::schema::{Cell, Kind, Table};
use tegoed_store::{BulkTable, Result, StoreError};

use crate::ledger::{customer_values, invoice_values, params, payment_values};
use crate::types::{CopyEncoder, Day};
use crate::{PgTx, get};

/// Rows a table buffers before everything buffered is sent.
const BATCH_ROWS: usize = 20_000;
/// Ids taken from a sequence in the first round trip of a bulk load; each
/// next block is twice as large, up to [`ID_BLOCK`], so a load of a few
/// rows does not leave a gap of thousands of ids behind.
const FIRST_ID_BLOCK: i64 = 16;
/// The most ids taken from a sequence per round trip.
const ID_BLOCK: i64 = 10_000;
/// Below this many buffered rows a table's flush inserts them one by one (a
/// COPY costs an extra round trip; a caller that reads between inserts
/// flushes every few rows).
const SMALL_FLUSH: usize = 8;
/// The chunk size written to the server.
const CHUNK: usize = 256 * 1024;

pub(crate) const CUSTOMER_INSERT_COLUMNS: &str = "id, number, name, kind, email, phone, language, \
     industry, account_manager_id, credit_limit_minor, payment_terms_days, kvk, vat_number, street, \
     postal_code, city, country";
pub(crate) const CUSTOMER_IBAN_INSERT_COLUMNS: &str = "iban, customer_id, source";
pub(crate) const INVOICE_INSERT_COLUMNS: &str = "id, number, customer_id, issue_date, due_date, \
     amount_minor, currency, payment_reference, description, credits_invoice";
pub(crate) const PAYMENT_INSERT_COLUMNS: &str = "id, external_id, date, amount_minor, currency, \
     customer_id, invoice_id, reference, counterparty_iban, counterparty_name, source, \
     end_to_end_id, bank_account, match_rule, match_confidence, needs_review, \
     suggested_customer_id, note, reverses_payment_id";
/// Allocations take their ids from the column default, in the order sent.
pub(crate) const ALLOCATION_INSERT_COLUMNS: &str =
    "invoice_id, payment_id, credit_note_id, date, amount_minor";

pub(crate) const SQL_INSERT_CUSTOMER_WITH_ID: &str = "INSERT INTO customer (id, number, name, \
     kind, email, phone, language, industry, account_manager_id, credit_limit_minor, \
     payment_terms_days, kvk, vat_number, street, postal_code, city, country) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";
pub(crate) const SQL_INSERT_INVOICE_WITH_ID: &str = "INSERT INTO invoice (id, number, customer_id, \
     issue_date, due_date, amount_minor, currency, payment_reference, description, credits_invoice) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
pub(crate) const SQL_INSERT_PAYMENT_WITH_ID: &str = "INSERT INTO payment (id, external_id, date, \
     amount_minor, currency, customer_id, invoice_id, reference, counterparty_iban, counterparty_name, \
     source, end_to_end_id, bank_account, match_rule, match_confidence, needs_review, \
     suggested_customer_id, note, reverses_payment_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)";
pub(crate) const SQL_INSERT_ALLOCATION: &str = "INSERT INTO allocation (invoice_id, payment_id, \
     credit_note_id, date, amount_minor) VALUES ($1, $2, $3, $4, $5)";
pub(crate) const SQL_INSERT_CUSTOMER_IBAN: &str = "INSERT INTO customer_iban (iban, customer_id, \
     source) VALUES ($1, $2, 'customer') ON CONFLICT (iban, customer_id) DO UPDATE SET source = 'customer'";

/// The rows one table has waiting.
enum Rows {
    Customer(Vec<(i64, Customer)>),
    Invoice(Vec<(i64, Invoice)>),
    Payment(Vec<(i64, Payment, MatchInfo)>),
    Allocation(Vec<Allocation>),
}

impl Rows {
    fn empty(table: BulkTable) -> Rows {
        match table {
            BulkTable::Customer => Rows::Customer(Vec::new()),
            BulkTable::Invoice => Rows::Invoice(Vec::new()),
            BulkTable::Payment => Rows::Payment(Vec::new()),
            BulkTable::Allocation => Rows::Allocation(Vec::new()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Rows::Customer(rows) => rows.len(),
            Rows::Invoice(rows) => rows.len(),
            Rows::Payment(rows) => rows.len(),
            Rows::Allocation(rows) => rows.len(),
        }
    }
}

/// One announced table: its ids taken from the sequence and not yet handed
/// out, and its rows not yet sent.
struct Buffer {
    ids: VecDeque<i64>,
    /// Nobody else inserts into the table until commit (it was empty and is
    /// locked), so a block of ids is one `setval` rather than a `nextval`
    /// per id.
    locked: bool,
    /// The size of the next block of ids.
    block: i64,
    rows: Rows,
}

/// A bulk load in progress: a buffer per announced table, kept in
/// foreign-key order (customer, invoice, payment, allocation), which is the
/// order they are sent in, so a row never arrives before a row it refers
/// to.
#[derive(Default)]
pub(crate) struct Bulk {
    buffers: [Option<Buffer>; 4],
    /// What empty tables set aside (indexes, foreign keys), to build once
    /// at the end, in order.
    set_aside: Vec<String>,
}

fn slot(table: BulkTable) -> usize {
    match table {
        BulkTable::Customer => 0,
        BulkTable::Invoice => 1,
        BulkTable::Payment => 2,
        BulkTable::Allocation => 3,
    }
}

impl Bulk {
    pub(crate) fn pending(&self) -> bool {
        self.buffers.iter().flatten().any(|b| b.rows.len() > 0)
    }

    fn buffer(&mut self, table: BulkTable) -> Option<&mut Buffer> {
        self.buffers[slot(table)].as_mut()
    }
}

fn table_name(table: BulkTable) -> &'static str {
    match table {
        BulkTable::Customer => "customer",
        BulkTable::Invoice => "invoice",
        BulkTable::Payment => "payment",
        BulkTable::Allocation => "allocation",
    }
}

impl PgTx<'_> {
    /// Announces `tables` (in addition to any announced before). A table
    /// with rows is left as it is: other writers go on. An empty table is
    /// a go-live load:
    ///
    /// * customers and invoices have their secondary indexes and their own
    ///   foreign keys set aside and built once at [`PgTx::end_bulk`] (or
    ///   commit): on the 100k bench a million invoices went in 12-14 s
    ///   instead of 31-33 s; the foreign-key check per row alone cost 13 s.
    ///   That takes the table's exclusive lock until commit, and dropping
    ///   the foreign key also the table it refers to (invoices: customers):
    ///   a reader or writer of those tables waits for the lock wait at most
    ///   and is then told the store is busy (the web answers 503 with
    ///   `Retry-After`), while what touches neither goes on;
    /// * payments and allocations (whose loaders look rows up in between)
    ///   keep their indexes and are only locked against other writers
    ///   (`SHARE ROW EXCLUSIVE`: reads, row locks and inserts elsewhere that
    ///   refer to their rows go on).
    ///
    /// Either way nobody else inserts into the table until commit, so its
    /// ids are taken a block at a time with one `setval` (see
    /// [`PgTx::bulk_id`]).
    pub(crate) fn begin_bulk(&mut self, tables: &[BulkTable]) -> Result<()> {
        for table in tables {
            let announced = self
                .bulk
                .as_ref()
                .is_some_and(|b| b.buffers[slot(*table)].is_some());
            if announced {
                continue;
            }
            let name = table_name(*table);
            let set_aside = matches!(table, BulkTable::Customer | BulkTable::Invoice);
            let locked = self.lock_if_empty(name, set_aside)?;
            if locked && set_aside {
                self.set_aside(name)?;
            }
            if locked {
                self.loaded.insert(name);
            }
            let bulk = self.bulk.get_or_insert_with(Bulk::default);
            bulk.buffers[slot(*table)] = Some(Buffer {
                ids: VecDeque::new(),
                locked,
                block: FIRST_ID_BLOCK,
                rows: Rows::empty(*table),
            });
        }
        Ok(())
    }

    /// Locks `table` when it is empty (exclusively, or against other
    /// writers only); true when it did.
    fn lock_if_empty(&mut self, table: &str, exclusive: bool) -> Result<bool> {
        let empty = |tx: &mut Self| -> Result<bool> {
            let sql = format!("SELECT NOT EXISTS (SELECT 1 FROM {table})");
            get::<bool>(&tx.query_one(&sql, &[])?, 0)
        };
        if !empty(self)? {
            return Ok(false);
        }
        let mode = if exclusive {
            "ACCESS EXCLUSIVE"
        } else {
            "SHARE ROW EXCLUSIVE"
        };
        self.batch(&format!("LOCK TABLE {table} IN {mode} MODE"))?;
        // Look again: another load may have committed rows before the lock
        // was granted (READ COMMITTED: this statement sees them).
        empty(self)
    }

    /// Drops `table`'s secondary indexes (not its primary key, not the
    /// indexes of constraints) and its own foreign keys, keeping their
    /// definitions from the catalog, so what is rebuilt is exactly what the
    /// migrations made.
    fn set_aside(&mut self, table: &str) -> Result<()> {
        let indexes = self.query(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i \
             WHERE i.indrelid = $1::text::regclass AND NOT i.indisprimary \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) \
             ORDER BY 1",
            &[&table],
        )?;
        let keys = self.query(
            "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint \
             WHERE conrelid = $1::text::regclass AND contype = 'f' ORDER BY 1",
            &[&table],
        )?;
        let mut drop = Vec::new();
        let mut rebuild = Vec::new();
        for row in &indexes {
            drop.push(format!("DROP INDEX {}", get::<String>(row, 0)?));
            rebuild.push(get::<String>(row, 1)?);
        }
        for row in &keys {
            let (name, definition) = (get::<String>(row, 0)?, get::<String>(row, 1)?);
            drop.push(format!("ALTER TABLE {table} DROP CONSTRAINT {name}"));
            rebuild.push(format!(
                "ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
            ));
        }
        if !drop.is_empty() {
            self.batch(&drop.join(";\n"))?;
        }
        let bulk = self.bulk.get_or_insert_with(Bulk::default);
        bulk.set_aside.extend(rebuild);
        Ok(())
    }

    /// Sends what is buffered and builds what was set aside; an error of a
    /// row (a duplicate key) surfaces here as [`StoreError::Conflict`].
    pub(crate) fn end_bulk(&mut self) -> Result<()> {
        self.ready()?;
        let set_aside = self.bulk.take().map(|b| b.set_aside).unwrap_or_default();
        if !set_aside.is_empty() {
            // Index builds sort; give them room for a million rows.
            self.batch("SET LOCAL maintenance_work_mem = '256MB'")?;
            self.batch(&set_aside.join(";\n"))?;
        }
        Ok(())
    }

    /// Gives the tables loaded from empty in this transaction their
    /// planner statistics before it commits. Without them PostgreSQL
    /// guesses (a customer with 1,500 payments, say) until autovacuum
    /// comes round, which after a million rows took minutes: in that time
    /// a customer page scanned the whole allocation table (220 ms per
    /// statement) and, at 50 clients on the 100k bench, answered in 1.9 s
    /// at p95 against 53 ms once analyzed. `ANALYZE` reads a sample (3.9 s
    /// for the whole 100k demo database by hand) and runs inside the
    /// transaction, so the statistics appear with the rows.
    pub(crate) fn analyze_loaded(&mut self) -> Result<()> {
        if self.loaded.is_empty() {
            return Ok(());
        }
        let tables: Vec<String> = std::mem::take(&mut self.loaded)
            .into_iter()
            .map(|t| format!("\"{t}\""))
            .collect();
        self.batch(&format!("ANALYZE {}", tables.join(", ")))
    }

    fn bulk_on(&self, table: BulkTable) -> bool {
        self.bulk
            .as_ref()
            .is_some_and(|b| b.buffers[slot(table)].is_some())
    }

    /// The next id of an announced table, from the block taken beforehand:
    /// `nextval` over `generate_series`, safe against concurrent inserts,
    /// which simply get other ids; or, when the table is locked by this
    /// load, one `setval` past the block (nobody else can insert meanwhile;
    /// a million `nextval`s cost 8.7 s on the 100k bench, the `setval`s
    /// 0.03 s).
    fn bulk_id(&mut self, table: BulkTable) -> Result<i64> {
        let (block, locked) = match self.bulk.as_mut().and_then(|b| b.buffer(table)) {
            Some(buffer) => {
                if let Some(id) = buffer.ids.pop_front() {
                    return Ok(id);
                }
                (buffer.block, buffer.locked)
            }
            None => return Err(StoreError::Backend("no bulk load of this table".into())),
        };
        let mut ids = VecDeque::with_capacity(block as usize);
        if locked {
            let row = self.query_unflushed(
                "SELECT setval(s, nextval(s) + $2::bigint - 1) \
                 FROM (SELECT pg_get_serial_sequence($1, 'id')::regclass AS s) q",
                &[&table_name(table), &block],
            )?;
            let last = row.first().map(|r| get::<i64>(r, 0)).transpose()?;
            let last =
                last.ok_or_else(|| StoreError::Backend("the id sequence gave no ids".into()))?;
            ids.extend(last - block + 1..=last);
        } else {
            let rows = self.query_unflushed(
                "SELECT nextval(pg_get_serial_sequence($1, 'id')::regclass) \
                 FROM generate_series(1::bigint, $2::bigint)",
                &[&table_name(table), &block],
            )?;
            for row in &rows {
                ids.push_back(get::<i64>(row, 0)?);
            }
        }
        let first = ids
            .pop_front()
            .ok_or_else(|| StoreError::Backend("the id sequence gave no ids".into()))?;
        if let Some(buffer) = self.bulk.as_mut().and_then(|b| b.buffer(table)) {
            buffer.ids = ids;
            buffer.block = block.saturating_mul(2).min(ID_BLOCK);
        }
        Ok(first)
    }

    /// Buffers a customer (with its IBANs) when customers are announced;
    /// `None` when they are not (insert it the usual way).
    pub(crate) fn bulk_customer(&mut self, customer: &Customer) -> Result<Option<i64>> {
        if !self.bulk_on(BulkTable::Customer) {
            return Ok(None);
        }
        let id = self.bulk_id(BulkTable::Customer)?;
        self.push_row(BulkTable::Customer, |rows| {
            if let Rows::Customer(rows) = rows {
                rows.push((id, customer.clone()));
            }
        })?;
        Ok(Some(id))
    }

    pub(crate) fn bulk_invoice(&mut self, invoice: &Invoice) -> Result<Option<i64>> {
        if !self.bulk_on(BulkTable::Invoice) {
            return Ok(None);
        }
        let id = self.bulk_id(BulkTable::Invoice)?;
        self.push_row(BulkTable::Invoice, |rows| {
            if let Rows::Invoice(rows) = rows {
                rows.push((id, invoice.clone()));
            }
        })?;
        Ok(Some(id))
    }

    pub(crate) fn bulk_payment(
        &mut self,
        payment: &Payment,
        info: &MatchInfo,
    ) -> Result<Option<i64>> {
        if !self.bulk_on(BulkTable::Payment) {
            return Ok(None);
        }
        let id = self.bulk_id(BulkTable::Payment)?;
        self.push_row(BulkTable::Payment, |rows| {
            if let Rows::Payment(rows) = rows {
                rows.push((id, payment.clone(), info.clone()));
            }
        })?;
        Ok(Some(id))
    }

    /// Buffers an allocation when allocations are announced; `false` when
    /// they are not.
    pub(crate) fn bulk_allocation(&mut self, allocation: &Allocation) -> Result<bool> {
        if !self.bulk_on(BulkTable::Allocation) {
            return Ok(false);
        }
        self.push_row(BulkTable::Allocation, |rows| {
            if let Rows::Allocation(rows) = rows {
                rows.push(*allocation);
            }
        })?;
        Ok(true)
    }

    /// Adds a row to `table`'s buffer; a full buffer sends everything.
    fn push_row(&mut self, table: BulkTable, push: impl FnOnce(&mut Rows)) -> Result<()> {
        let full = match self.bulk.as_mut().and_then(|b| b.buffer(table)) {
            Some(buffer) => {
                push(&mut buffer.rows);
                buffer.rows.len() >= BATCH_ROWS
            }
            None => false,
        };
        if full { self.flush_bulk() } else { Ok(()) }
    }

    /// Sends every buffered row, table by table in foreign-key order: a
    /// COPY per table, or single inserts for a few rows.
    pub(crate) fn flush_bulk(&mut self) -> Result<()> {
        for table in BulkTable::ALL {
            let Some(buffer) = self.bulk.as_mut().and_then(|b| b.buffer(table)) else {
                continue;
            };
            let rows = std::mem::replace(&mut buffer.rows, Rows::empty(table));
            let outcome = if rows.len() == 0 {
                Ok(())
            } else if rows.len() < SMALL_FLUSH {
                self.insert_rows(&rows)
            } else {
                self.copy_rows(&rows)
            };
            if let Err(e) = outcome {
                // The transaction is lost: what is left will never be sent.
                self.bulk = None;
                return Err(e);
            }
        }
        Ok(())
    }

    fn copy_rows(&mut self, rows: &Rows) -> Result<()> {
        let mut encoder = CopyEncoder::new();
        match rows {
            Rows::Customer(rows) => {
                let mut ibans = CopyEncoder::new();
                let mut any_iban = false;
                for (id, customer) in rows {
                    encode_customer(&mut encoder, *id, customer)?;
                    for iban in customer_ibans(customer) {
                        ibans.row(3)?;
                        ibans.text(iban)?;
                        ibans.int8(*id);
                        ibans.text("customer")?;
                        any_iban = true;
                    }
                }
                self.send_copy(&copy_sql("customer", CUSTOMER_INSERT_COLUMNS), encoder)?;
                if any_iban {
                    let sql = copy_sql("customer_iban", CUSTOMER_IBAN_INSERT_COLUMNS);
                    self.send_copy(&sql, ibans)?;
                }
                return Ok(());
            }
            Rows::Invoice(rows) => {
                for (id, invoice) in rows {
                    encode_invoice(&mut encoder, *id, invoice)?;
                }
            }
            Rows::Payment(rows) => {
                for (id, payment, info) in rows {
                    encode_payment(&mut encoder, *id, payment, info)?;
                }
            }
            Rows::Allocation(rows) => {
                for allocation in rows {
                    encode_allocation(&mut encoder, allocation)?;
                }
            }
        }
        let sql = match rows {
            Rows::Customer(_) => copy_sql("customer", CUSTOMER_INSERT_COLUMNS),
            Rows::Invoice(_) => copy_sql("invoice", INVOICE_INSERT_COLUMNS),
            Rows::Payment(_) => copy_sql("payment", PAYMENT_INSERT_COLUMNS),
            Rows::Allocation(_) => copy_sql("allocation", ALLOCATION_INSERT_COLUMNS),
        };
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

    /// A few rows, one statement each.
    fn insert_rows(&mut self, rows: &Rows) -> Result<()> {
        match rows {
            Rows::Customer(rows) => {
                for (id, customer) in rows {
                    self.insert_customer_with_id(*id, customer)?;
                }
            }
            Rows::Invoice(rows) => {
                for (id, invoice) in rows {
                    let values = invoice_values(invoice);
                    self.execute_unflushed(SQL_INSERT_INVOICE_WITH_ID, &params(Some(id), &values))?;
                }
            }
            Rows::Payment(rows) => {
                for (id, payment, info) in rows {
                    let values = payment_values(payment, info);
                    self.execute_unflushed(SQL_INSERT_PAYMENT_WITH_ID, &params(Some(id), &values))?;
                }
            }
            Rows::Allocation(rows) => {
                for allocation in rows {
                    self.insert_allocation_unflushed(allocation)?;
                }
            }
        }
        Ok(())
    }

    fn insert_customer_with_id(&mut self, id: i64, customer: &Customer) -> Result<()> {
        let values = customer_values(customer);
        self.execute_unflushed(SQL_INSERT_CUSTOMER_WITH_ID, &params(Some(&id), &values))?;
        for iban in &customer.ibans {
            self.execute_unflushed(SQL_INSERT_CUSTOMER_IBAN, &[&iban.as_str(), &id])?;
        }
        Ok(())
    }

    /// Inserts one allocation now (the caller has flushed what it must).
    pub(crate) fn insert_allocation_unflushed(&mut self, allocation: &Allocation) -> Result<()> {
        let (payment, credit_note) = allocation_sources(allocation);
        self.execute_unflushed(
            SQL_INSERT_ALLOCATION,
            &[
                &allocation.invoice.0,
                &payment,
                &credit_note,
                &Day(allocation.date),
                &allocation.amount_minor,
            ],
        )?;
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
            // A copy fills an empty database (`tegoed migrate` refuses any
            // other): give the table its statistics before the commit.
            self.loaded.insert(table.name);
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
        let rows = self.query_afresh("SELECT last_value, is_called FROM store_revision", &[])?;
        let row = rows
            .first()
            .ok_or_else(|| StoreError::Backend("no row from the revision sequence".into()))?;
        let last: i64 = get(row, 0)?;
        let called: bool = get(row, 1)?;
        // A fresh sequence reports 1 before its first nextval: that is 0.
        Ok(if called { last } else { last - 1 })
    }
}

fn copy_sql(table: &str, columns: &str) -> String {
    format!("COPY {table} ({columns}) FROM STDIN (FORMAT binary)")
}

/// A new customer's IBANs as the upsert would leave them: each once, in
/// the order first given.
fn customer_ibans(customer: &Customer) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::with_capacity(customer.ibans.len());
    for iban in &customer.ibans {
        if !out.contains(&iban.as_str()) {
            out.push(iban.as_str());
        }
    }
    out
}

fn allocation_sources(allocation: &Allocation) -> (Option<i64>, Option<i64>) {
    match allocation.source {
        AllocationSource::Payment(p) => (Some(p.0), None),
        AllocationSource::CreditNote(c) => (None, Some(c.0)),
    }
}

fn encode_customer(encoder: &mut CopyEncoder, id: i64, customer: &Customer) -> Result<()> {
    encoder.row(17)?;
    encoder.int8(id);
    encoder.text(&customer.number)?;
    encoder.text(&customer.name)?;
    encoder.text(customer.kind.as_str())?;
    encoder.opt_text(customer.email.as_ref().map(|e| e.as_str()))?;
    encoder.opt_text(customer.phone.as_deref())?;
    encoder.text(customer.language.as_str())?;
    encoder.opt_text(customer.industry.as_ref().map(|s| s.as_str()))?;
    encoder.opt_int8(customer.account_manager.map(|a| a.0));
    encoder.opt_int8(customer.credit_limit.map(|m| m.minor));
    encoder.int8(i64::from(customer.payment_terms_days));
    encoder.opt_text(customer.kvk.as_ref().map(|k| k.as_str()))?;
    encoder.opt_text(customer.vat_number.as_ref().map(|v| v.as_str()))?;
    encoder.opt_text(customer.address.street.as_deref())?;
    encoder.opt_text(customer.address.postal_code.as_deref())?;
    encoder.opt_text(customer.address.city.as_deref())?;
    encoder.text(&customer.address.country)?;
    Ok(())
}

fn encode_invoice(encoder: &mut CopyEncoder, id: i64, invoice: &Invoice) -> Result<()> {
    encoder.row(10)?;
    encoder.int8(id);
    encoder.text(&invoice.number)?;
    encoder.int8(invoice.customer.0);
    encoder.date(invoice.issue_date)?;
    encoder.date(invoice.due_date)?;
    encoder.int8(invoice.amount.minor);
    encoder.text(invoice.amount.currency.code())?;
    encoder.opt_text(invoice.payment_reference.as_ref().map(|r| r.as_str()))?;
    encoder.opt_text(invoice.description.as_deref())?;
    encoder.opt_text(invoice.credits_invoice.as_deref())?;
    Ok(())
}

fn encode_payment(
    encoder: &mut CopyEncoder,
    id: i64,
    payment: &Payment,
    info: &MatchInfo,
) -> Result<()> {
    encoder.row(19)?;
    encoder.int8(id);
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
    Ok(())
}

fn encode_allocation(encoder: &mut CopyEncoder, allocation: &Allocation) -> Result<()> {
    let (payment, credit_note) = allocation_sources(allocation);
    encoder.row(5)?;
    encoder.int8(allocation.invoice.0);
    encoder.opt_int8(payment);
    encoder.opt_int8(credit_note);
    encoder.date(allocation.date)?;
    encoder.int8(allocation.amount_minor);
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
        // (table, our columns, logical columns left to their default)
        for (table, columns, defaulted) in [
            ("customer", CUSTOMER_INSERT_COLUMNS, &["peppol_id"][..]),
            ("customer_iban", CUSTOMER_IBAN_INSERT_COLUMNS, &[][..]),
            ("invoice", INVOICE_INSERT_COLUMNS, &[][..]),
            ("payment", PAYMENT_INSERT_COLUMNS, &[][..]),
            ("allocation", ALLOCATION_INSERT_COLUMNS, &["id"][..]),
        ] {
            let logical: Vec<&str> = tegoed_store::schema::table(table)
                .unwrap()
                .columns
                .iter()
                .map(|(name, _)| *name)
                .filter(|name| !defaulted.contains(name))
                .collect();
            let ours: Vec<&str> = columns.split(", ").collect();
            assert_eq!(ours, logical, "{table}");
        }
    }
}
