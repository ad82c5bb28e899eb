//! Tegoed's SQLite backend: one embedded database file in WAL mode, the
//! default (nothing to install).
//!
//! One writer connection (writers are serialized by a mutex and take the
//! write lock up front with `BEGIN IMMEDIATE`) and a small pool of read-only
//! connections, which in WAL mode read a consistent snapshot while a write is
//! going on. Migrations are embedded in the binary and run at open.

mod access;
mod collection;
mod copy;
mod portal;
mod risk;

use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};
use tegoed_core::allocation::OpenItem;
use tegoed_core::customer::{Address, CustomerKind, Language};
use tegoed_core::party::{Email, KvkNumber, SbiCode, VatNumber};
use tegoed_core::{
    AccountManager, AccountManagerId, Allocation, AllocationSource, Currency, Customer, CustomerId,
    Date, Iban, Invoice, InvoiceId, MatchInfo, Money, Payment, PaymentId, PaymentReference,
    PaymentSource, matching::MatchRule,
};

use tegoed_store::{
    BulkTable, CreditBalance, CustomerBrief, CustomerKey, DocumentState, InvoiceKeyRow, InvoiceRef,
    LedgerRow, PaymentState, ReadTx, Result, ReviewItem, StatementImportRecord, Store, StoreError,
    StoredAllocation, StoredCustomer, StoredInvoice, StoredPayment, WriteTx,
};

/// Embedded migrations, applied in order; never edit one that has shipped.
const MIGRATIONS: &[(u32, &str, &str)] = &[
    (1, "ledger", include_str!("../migrations/0001_ledger.sql")),
    (
        2,
        "bank_matching",
        include_str!("../migrations/0002_bank_matching.sql"),
    ),
    (
        3,
        "collection",
        include_str!("../migrations/0003_collection.sql"),
    ),
    (4, "risk", include_str!("../migrations/0004_risk.sql")),
    (5, "access", include_str!("../migrations/0005_access.sql")),
    (
        6,
        "timeline_nl",
        include_str!("../migrations/0006_timeline_nl.sql"),
    ),
    (
        7,
        "hardening",
        include_str!("../migrations/0007_hardening.sql"),
    ),
    (8, "ladder", include_str!("../migrations/0008_ladder.sql")),
    (
        9,
        "revision",
        include_str!("../migrations/0009_revision.sql"),
    ),
    (
        10,
        "sale_agreement",
        include_str!("../migrations/0010_sale_agreement.sql"),
    ),
    (
        11,
        "appreciation",
        include_str!("../migrations/0011_appreciation.sql"),
    ),
    (12, "quiz", include_str!("../migrations/0012_quiz.sql")),
    (13, "portal", include_str!("../migrations/0013_portal.sql")),
];

/// Read connections kept for reuse: enough for the web app's concurrent
/// requests, so a busy server does not open and close connections (and lose
/// their prepared statements and page cache) per request.
const READERS_KEPT: usize = 64;

/// A SQLite database file.
pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// How long a writer waits for the write lock (held by another writer
    /// in this process or another) before it gives up with
    /// [`StoreError::Busy`].
    busy_wait: Duration,
}

/// The default [`SqliteStore::with_busy_wait`].
pub const BUSY_WAIT: Duration = Duration::from_secs(10);

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema
    /// up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore> {
        let path = path.as_ref().to_path_buf();
        let conn = Connection::open(&path).map_err(|source| StoreError::Open {
            location: path.display().to_string(),
            source: Box::new(source),
        })?;
        configure(&conn).map_err(|source| StoreError::Open {
            location: path.display().to_string(),
            source: Box::new(source),
        })?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        migrate(&conn)?;
        Ok(SqliteStore {
            path,
            writer: Mutex::new(conn),
            readers: Mutex::new(Vec::new()),
            busy_wait: BUSY_WAIT,
        })
    }

    /// Sets how long a writer waits for the write lock before it fails with
    /// [`StoreError::Busy`] (default [`BUSY_WAIT`]).
    pub fn with_busy_wait(mut self, wait: Duration) -> SqliteStore {
        self.busy_wait = wait;
        if let Ok(conn) = self.writer.get_mut() {
            let _ = conn.busy_timeout(wait);
        }
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn reader(&self) -> Result<Connection> {
        if let Some(conn) = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            return Ok(conn);
        }
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(|source| StoreError::Open {
            location: self.path.display().to_string(),
            source: Box::new(source),
        })?;
        configure(&conn)?;
        Ok(conn)
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "cache_size", "-524288")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // Index builds after a bulk load sort on both cores.
    conn.pragma_update(None, "threads", 2)?;
    // Reads of a large ledger go through the page cache without copies.
    conn.pragma_update(None, "mmap_size", 1i64 << 30)?;
    conn.set_prepared_statement_cache_capacity(128);
    Ok(())
}

/// FNV-1a, to notice a migration that was edited after it was applied.
fn checksum(sql: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in sql.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

fn migrate(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migration (
            version    INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            checksum   TEXT NOT NULL,
            applied_at TEXT NOT NULL DEFAULT (datetime('now'))
        )",
    )?;
    let applied: Vec<(u32, String, String)> = conn
        .prepare("SELECT version, name, checksum FROM schema_migration ORDER BY version")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let known = MIGRATIONS.last().map(|m| m.0).unwrap_or(0);
    if let Some((found, ..)) = applied.iter().find(|(v, ..)| *v > known) {
        return Err(StoreError::TooNew {
            found: *found,
            known,
        });
    }
    for (version, name, sql) in MIGRATIONS {
        let sum = checksum(sql);
        match applied.iter().find(|(v, ..)| v == version) {
            Some((_, _, applied_sum)) if *applied_sum != sum => {
                return Err(StoreError::MigrationChanged {
                    version: *version,
                    name: name.to_string(),
                });
            }
            Some(_) => {}
            None => {
                let run = || -> rusqlite::Result<()> {
                    conn.execute_batch("BEGIN IMMEDIATE")?;
                    conn.execute_batch(sql)?;
                    conn.execute(
                        "INSERT INTO schema_migration (version, name, checksum) VALUES (?1, ?2, ?3)",
                        params![version, name, sum],
                    )?;
                    conn.execute_batch("COMMIT")
                };
                if let Err(source) = run() {
                    let _ = conn.execute_batch("ROLLBACK");
                    return Err(StoreError::Migration {
                        version: *version,
                        name,
                        source: Box::new(source),
                    });
                }
            }
        }
    }
    Ok(())
}

impl Drop for SqliteStore {
    /// Closes the readers first, then folds the write-ahead log back into the
    /// database file, so a big import does not leave a log of the same size
    /// that every later reader must wade through.
    fn drop(&mut self) {
        self.readers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writer.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
    }
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn read(&self) -> Result<Box<dyn ReadTx + '_>> {
        let conn = self.reader()?;
        conn.execute_batch("BEGIN DEFERRED")?;
        Ok(Box::new(SqliteTx {
            conn: Handle::Reader {
                conn: Some(conn),
                pool: &self.readers,
            },
            open: true,
            set_aside: Vec::new(),
        }))
    }

    fn write(&self) -> Result<Box<dyn WriteTx + '_>> {
        // Writers of this process wait their turn for the connection at most
        // `busy_wait`, as SQLite's busy timeout bounds the wait for other
        // processes: a long import makes others fail with `Busy`, not hang.
        let deadline = std::time::Instant::now() + self.busy_wait;
        let guard = loop {
            match self.writer.try_lock() {
                Ok(guard) => break guard,
                Err(std::sync::TryLockError::Poisoned(e)) => break e.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => {
                    if std::time::Instant::now() >= deadline {
                        return Err(StoreError::Busy);
                    }
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
        };
        guard.execute_batch("BEGIN IMMEDIATE")?;
        Ok(Box::new(SqliteTx {
            conn: Handle::Writer(guard),
            open: true,
            set_aside: Vec::new(),
        }))
    }
}

/// A connection borrowed for one transaction.
enum Handle<'a> {
    Writer(MutexGuard<'a, Connection>),
    Reader {
        conn: Option<Connection>,
        pool: &'a Mutex<Vec<Connection>>,
    },
}

impl Deref for Handle<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match self {
            Handle::Writer(guard) => guard,
            Handle::Reader { conn, .. } => {
                conn.as_ref().expect("reader connection present until drop")
            }
        }
    }
}

impl DerefMut for Handle<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        match self {
            Handle::Writer(guard) => guard,
            Handle::Reader { conn, .. } => {
                conn.as_mut().expect("reader connection present until drop")
            }
        }
    }
}

impl Drop for Handle<'_> {
    fn drop(&mut self) {
        if let Handle::Reader { conn, pool } = self
            && let Some(conn) = conn.take()
        {
            let mut pool = pool.lock().unwrap_or_else(|e| e.into_inner());
            if pool.len() < READERS_KEPT {
                pool.push(conn);
            }
        }
    }
}

struct SqliteTx<'a> {
    conn: Handle<'a>,
    open: bool,
    /// Index definitions set aside by a bulk load, to rebuild.
    set_aside: Vec<String>,
}

impl Drop for SqliteTx<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

// --- statements --------------------------------------------------------------
//
// Parameterized statements carry no ORDER BY: with SQLite's STAT4 planner, a
// sorted query with bound parameters is marked for re-preparation whenever
// its bindings are cleared, which the statement cache does on every reuse
// (re-preparing cost ~50 µs per call, 25× the query). Small result sets are
// sorted in Rust instead. `no_statement_is_reprepared` pins this.

const SQL_IBANS_OF: &str =
    "SELECT rowid, iban FROM customer_iban WHERE customer_id = ?1 AND source = 'customer'";
const SQL_CUSTOMERS_BY_IBAN: &str = "SELECT customer_id FROM customer_iban WHERE iban = ?1";
const SQL_OPEN_ITEMS: &str = "SELECT i.id, i.issue_date, i.due_date, i.amount_minor - COALESCE(\
     (SELECT SUM(a.amount_minor) FROM allocation a WHERE a.invoice_id = i.id), 0), i.currency \
     FROM invoice i WHERE i.customer_id = ?1 AND i.amount_minor > 0";
const SQL_OPEN_ITEM: &str = "SELECT i.id, i.issue_date, i.due_date, i.amount_minor - COALESCE(\
     (SELECT SUM(a.amount_minor) FROM allocation a WHERE a.invoice_id = i.id), 0), i.currency \
     FROM invoice i WHERE i.id = ?1 AND i.amount_minor > 0";
const SQL_ALLOCATIONS_TO: &str = "SELECT id, invoice_id, payment_id, credit_note_id, date, amount_minor FROM allocation WHERE invoice_id = ?1";
const SQL_ALLOCATIONS_FROM_PAYMENT: &str = "SELECT id, invoice_id, payment_id, credit_note_id, date, amount_minor FROM allocation WHERE payment_id = ?1";
const SQL_ALLOCATIONS_FROM_CREDIT_NOTE: &str = "SELECT id, invoice_id, payment_id, credit_note_id, date, amount_minor FROM allocation WHERE credit_note_id = ?1";

const SQL_PAYMENTS_BY_END_TO_END: &str = "SELECT id, external_id, date, amount_minor, currency, customer_id, \
     invoice_id, reference, counterparty_iban, counterparty_name, source, end_to_end_id, bank_account \
     FROM payment WHERE end_to_end_id = ?1";
const SQL_CUSTOMER_CREDIT: &str = "SELECT \
     COALESCE((SELECT SUM(p.amount_minor - COALESCE((SELECT SUM(a.amount_minor) FROM allocation a \
         WHERE a.payment_id = p.id), 0)) FROM payment p WHERE p.customer_id = ?1 AND p.currency = ?2), 0) + \
     COALESCE((SELECT SUM(-i.amount_minor - COALESCE((SELECT SUM(a.amount_minor) FROM allocation a \
         WHERE a.credit_note_id = i.id), 0)) FROM invoice i WHERE i.customer_id = ?1 AND i.currency = ?2 \
         AND i.amount_minor < 0), 0)";
// Credit balances are a merge of two sequential scans: payments in rowid
// order against their allocations in payment order (a covering index), which
// is ~6x faster than a correlated subquery per payment on a million payments.
const SQL_CREDIT_PAYMENTS: &str = "SELECT id, customer_id, currency, amount_minor FROM payment \
     WHERE date <= ?1 ORDER BY id";
const SQL_CREDIT_PAYMENT_ALLOCATIONS: &str = "SELECT payment_id, amount_minor FROM allocation \
     INDEXED BY allocation_payment_cover WHERE payment_id > 0 AND date <= ?1 ORDER BY payment_id";
const SQL_CREDIT_NOTES_LEFT: &str = "SELECT i.customer_id, i.currency, -i.amount_minor - COALESCE(\
     (SELECT SUM(a.amount_minor) FROM allocation a WHERE a.credit_note_id = i.id AND a.date <= ?1), 0) \
     FROM invoice i WHERE i.amount_minor < 0 AND i.issue_date <= ?1";
const SQL_SCAN_ALLOCATIONS: &str = "SELECT invoice_id, amount_minor, date FROM allocation INDEXED BY allocation_invoice \
     WHERE invoice_id > 0 AND date <= ?1 ORDER BY invoice_id";
const SQL_SCAN_INVOICES: &str = "SELECT id, customer_id, issue_date, due_date, amount_minor, currency FROM invoice \
     WHERE issue_date <= ?1 ORDER BY id";
const SQL_SCAN_INVOICE_KEYS: &str = "SELECT id, customer_id, issue_date, due_date, amount_minor, currency, number, \
     payment_reference FROM invoice WHERE issue_date <= ?1 ORDER BY id";

fn sql_customer_documents() -> String {
    format!(
        "SELECT {INVOICE_COLUMNS}, \
           COALESCE((SELECT SUM(a.amount_minor) FROM allocation a WHERE a.invoice_id = invoice.id AND a.date <= ?2), 0), \
           CASE WHEN amount_minor < 0 THEN \
             COALESCE((SELECT SUM(a.amount_minor) FROM allocation a WHERE a.credit_note_id = invoice.id AND a.date <= ?2), 0) \
           ELSE 0 END, \
           (SELECT MAX(a.date) FROM allocation a WHERE a.invoice_id = invoice.id AND a.date <= ?2) \
         FROM invoice WHERE customer_id = ?1 AND issue_date <= ?2"
    )
}

// --- row mapping -----------------------------------------------------------

fn corrupt(what: &str, value: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what} '{value}'"))
}

fn date(days: i32) -> Date {
    Date::from_days_since_epoch(days)
}

fn currency(text: &str) -> Result<Currency> {
    Currency::parse(text).map_err(|_| corrupt("currency", text))
}

fn kind_from(text: &str) -> Result<CustomerKind> {
    CustomerKind::parse(text).ok_or_else(|| corrupt("customer kind", text))
}

fn opt_parse<T, E>(
    value: Option<String>,
    parse: impl Fn(&str) -> Result<T, E>,
    what: &str,
) -> Result<Option<T>> {
    value
        .map(|v| parse(&v).map_err(|_| corrupt(what, &v)))
        .transpose()
}

const CUSTOMER_COLUMNS: &str = "id, number, name, kind, email, phone, language, industry, account_manager_id, \
     credit_limit_minor, payment_terms_days, kvk, vat_number, street, postal_code, city, country";

/// Raw customer row before the IBANs are attached.
fn customer_from_row(row: &Row<'_>) -> rusqlite::Result<(i64, RawCustomer)> {
    Ok((
        row.get(0)?,
        RawCustomer {
            number: row.get(1)?,
            name: row.get(2)?,
            kind: row.get(3)?,
            email: row.get(4)?,
            phone: row.get(5)?,
            language: row.get(6)?,
            industry: row.get(7)?,
            account_manager: row.get(8)?,
            credit_limit: row.get(9)?,
            terms: row.get(10)?,
            kvk: row.get(11)?,
            vat: row.get(12)?,
            street: row.get(13)?,
            postal_code: row.get(14)?,
            city: row.get(15)?,
            country: row.get(16)?,
        },
    ))
}

struct RawCustomer {
    number: String,
    name: String,
    kind: String,
    email: Option<String>,
    phone: Option<String>,
    language: String,
    industry: Option<String>,
    account_manager: Option<i64>,
    credit_limit: Option<i64>,
    terms: u32,
    kvk: Option<String>,
    vat: Option<String>,
    street: Option<String>,
    postal_code: Option<String>,
    city: Option<String>,
    country: String,
}

impl RawCustomer {
    fn into_customer(self, ibans: Vec<Iban>) -> Result<Customer> {
        Ok(Customer {
            number: self.number,
            name: self.name,
            kind: kind_from(&self.kind)?,
            email: opt_parse(self.email, Email::parse, "email")?,
            phone: self.phone,
            language: Language::parse(&self.language)
                .ok_or_else(|| corrupt("language", &self.language))?,
            industry: opt_parse(self.industry, SbiCode::parse, "SBI code")?,
            account_manager: self.account_manager.map(AccountManagerId),
            credit_limit: self.credit_limit.map(Money::eur),
            payment_terms_days: self.terms,
            ibans,
            kvk: opt_parse(self.kvk, KvkNumber::parse, "KvK number")?,
            vat_number: opt_parse(self.vat, VatNumber::parse, "VAT number")?,
            address: Address {
                street: self.street,
                postal_code: self.postal_code,
                city: self.city,
                country: self.country,
            },
        })
    }
}

const INVOICE_COLUMNS: &str = "id, number, customer_id, issue_date, due_date, amount_minor, currency, \
     payment_reference, description, credits_invoice";

struct RawInvoice {
    id: i64,
    number: String,
    customer: i64,
    issue: i32,
    due: i32,
    amount: i64,
    currency: String,
    reference: Option<String>,
    description: Option<String>,
    credits: Option<String>,
}

fn invoice_from_row(row: &Row<'_>) -> rusqlite::Result<RawInvoice> {
    Ok(RawInvoice {
        id: row.get(0)?,
        number: row.get(1)?,
        customer: row.get(2)?,
        issue: row.get(3)?,
        due: row.get(4)?,
        amount: row.get(5)?,
        currency: row.get(6)?,
        reference: row.get(7)?,
        description: row.get(8)?,
        credits: row.get(9)?,
    })
}

impl RawInvoice {
    fn into_stored(self) -> Result<StoredInvoice> {
        Ok(StoredInvoice {
            id: InvoiceId(self.id),
            invoice: Invoice {
                number: self.number,
                customer: CustomerId(self.customer),
                issue_date: date(self.issue),
                due_date: date(self.due),
                amount: Money::new(self.amount, currency(&self.currency)?),
                payment_reference: opt_parse(
                    self.reference,
                    PaymentReference::parse,
                    "payment reference",
                )?,
                description: self.description,
                credits_invoice: self.credits,
            },
        })
    }
}

const PAYMENT_COLUMNS: &str = "id, external_id, date, amount_minor, currency, customer_id, invoice_id, \
     reference, counterparty_iban, counterparty_name, source, end_to_end_id, bank_account";

struct RawPayment {
    id: i64,
    external_id: String,
    date: i32,
    amount: i64,
    currency: String,
    customer: Option<i64>,
    invoice: Option<i64>,
    reference: Option<String>,
    iban: Option<String>,
    name: Option<String>,
    source: String,
    end_to_end_id: Option<String>,
    bank_account: Option<String>,
}

fn payment_from_row(row: &Row<'_>) -> rusqlite::Result<RawPayment> {
    Ok(RawPayment {
        id: row.get(0)?,
        external_id: row.get(1)?,
        date: row.get(2)?,
        amount: row.get(3)?,
        currency: row.get(4)?,
        customer: row.get(5)?,
        invoice: row.get(6)?,
        reference: row.get(7)?,
        iban: row.get(8)?,
        name: row.get(9)?,
        source: row.get(10)?,
        end_to_end_id: row.get(11)?,
        bank_account: row.get(12)?,
    })
}

impl RawPayment {
    fn into_stored(self) -> Result<StoredPayment> {
        Ok(StoredPayment {
            id: PaymentId(self.id),
            payment: Payment {
                external_id: self.external_id,
                date: date(self.date),
                amount: Money::new(self.amount, currency(&self.currency)?),
                customer: self.customer.map(CustomerId),
                invoice: self.invoice.map(InvoiceId),
                reference: self.reference,
                counterparty_iban: opt_parse(self.iban, Iban::parse, "IBAN")?,
                counterparty_name: self.name,
                source: PaymentSource::parse(&self.source)
                    .ok_or_else(|| corrupt("payment source", &self.source))?,
                end_to_end_id: self.end_to_end_id,
                bank_account: self.bank_account,
            },
        })
    }
}

fn allocation_from_row(row: &Row<'_>) -> rusqlite::Result<StoredAllocation> {
    let payment: Option<i64> = row.get(2)?;
    let credit_note: Option<i64> = row.get(3)?;
    let source = match (payment, credit_note) {
        (Some(p), _) => AllocationSource::Payment(PaymentId(p)),
        (None, Some(c)) => AllocationSource::CreditNote(InvoiceId(c)),
        (None, None) => AllocationSource::CreditNote(InvoiceId(0)),
    };
    Ok(StoredAllocation {
        row: row.get(0)?,
        allocation: Allocation {
            invoice: InvoiceId(row.get(1)?),
            source,
            date: date(row.get(4)?),
            amount_minor: row.get(5)?,
        },
    })
}

/// Receives each document of a scan, with its number and payment reference
/// when asked for.
type ScanVisitor<'v> = dyn FnMut(&LedgerRow, Option<&str>, Option<&str>) + 'v;

impl SqliteTx<'_> {
    /// The merge scan behind [`Tx::scan_ledger`] and [`Tx::scan_invoice_keys`]:
    /// the invoice table in rowid order against the `allocation_invoice`
    /// index in invoice order, summing allocations dated on or before
    /// `as_of_days`. Credit-note use is small and summed separately. With
    /// `keys`, the number and payment reference come along.
    fn scan_documents(
        &self,
        as_of_days: i32,
        keys: bool,
        visit: &mut ScanVisitor<'_>,
    ) -> Result<()> {
        let mut credit_used = std::collections::HashMap::new();
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT credit_note_id, SUM(amount_minor) FROM allocation \
                 WHERE credit_note_id IS NOT NULL AND date <= ?1 GROUP BY credit_note_id",
            )?;
            let mut rows = stmt.query([as_of_days])?;
            while let Some(row) = rows.next()? {
                credit_used.insert(row.get::<_, i64>(0)?, row.get::<_, i64>(1)?);
            }
        }
        let mut alloc_stmt = self.conn.prepare_cached(SQL_SCAN_ALLOCATIONS)?;
        let mut allocs = alloc_stmt.query([as_of_days])?;
        let mut next_alloc: Option<(i64, i64, i32)> = match allocs.next()? {
            Some(row) => Some((row.get(0)?, row.get(1)?, row.get(2)?)),
            None => None,
        };
        let mut inv_stmt = self.conn.prepare_cached(if keys {
            SQL_SCAN_INVOICE_KEYS
        } else {
            SQL_SCAN_INVOICES
        })?;
        let mut invoices = inv_stmt.query([as_of_days])?;
        let mut last_code: Option<(String, Currency)> = None;
        while let Some(row) = invoices.next()? {
            let id: i64 = row.get(0)?;
            let amount: i64 = row.get(4)?;
            let mut allocated = 0i64;
            let mut last_paid: Option<i32> = None;
            while let Some((invoice_id, part, paid_on)) = next_alloc {
                if invoice_id > id {
                    break;
                }
                if invoice_id == id {
                    allocated += part;
                    last_paid = Some(last_paid.map_or(paid_on, |d| d.max(paid_on)));
                }
                next_alloc = match allocs.next()? {
                    Some(row) => Some((row.get(0)?, row.get(1)?, row.get(2)?)),
                    None => None,
                };
            }
            let code = row.get_ref(5)?.as_str().map_err(rusqlite::Error::from)?;
            let currency = match &last_code {
                Some((last, cur)) if last == code => *cur,
                _ => {
                    let cur = currency(code)?;
                    last_code = Some((code.to_string(), cur));
                    cur
                }
            };
            let open = if amount >= 0 {
                amount - allocated
            } else {
                amount + credit_used.get(&id).copied().unwrap_or(0)
            };
            let ledger = LedgerRow {
                invoice: InvoiceId(id),
                customer: CustomerId(row.get(1)?),
                issue_date: date(row.get(2)?),
                due_date: date(row.get(3)?),
                amount_minor: amount,
                open_minor: open,
                currency,
                last_paid_on: last_paid.map(date),
            };
            if keys {
                let number = row.get_ref(6)?.as_str().map_err(rusqlite::Error::from)?;
                let reference = row
                    .get_ref(7)?
                    .as_str_or_null()
                    .map_err(rusqlite::Error::from)?;
                visit(&ledger, Some(number), reference);
            } else {
                visit(&ledger, None, None);
            }
        }
        Ok(())
    }

    fn ibans_of(&self, customer: i64) -> Result<Vec<Iban>> {
        let mut stmt = self.conn.prepare_cached(SQL_IBANS_OF)?;
        let mut rows: Vec<(i64, String)> = stmt
            .query_map([customer], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        rows.sort_unstable_by_key(|(rowid, _)| *rowid);
        rows.into_iter()
            .map(|(_, iban)| Iban::parse(&iban).map_err(|_| corrupt("IBAN", &iban)))
            .collect()
    }

    /// Bulk loads into an empty table: drops its indexes (keeping their
    /// definitions, to build them again at the end in one sorted pass). A
    /// table with rows, or one set aside already, keeps what it has.
    fn set_indexes_aside(&mut self, table: &str) -> Result<()> {
        let empty: bool = self.conn.query_row(
            &format!("SELECT NOT EXISTS (SELECT 1 FROM \"{table}\")"),
            [],
            |row| row.get(0),
        )?;
        if !empty {
            return Ok(());
        }
        // The definitions come from the schema itself, so the rebuilt indexes
        // are exactly the migrated ones. Unique column constraints have no
        // definition here and stay (the IBAN upsert needs its key).
        let indexes: Vec<(String, String)> = self
            .conn
            .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL")?
            .query_map([table], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (index, sql) in indexes {
            self.conn
                .execute_batch(&format!("DROP INDEX \"{index}\""))?;
            self.set_aside.push(sql);
        }
        Ok(())
    }

    /// Writes the customer's own IBANs; `replace` drops the ones written
    /// before (a new customer has none: a foreign key guards the table).
    fn write_ibans(&self, customer: i64, ibans: &[Iban], replace: bool) -> Result<()> {
        if replace {
            self.conn
                .prepare_cached(
                    "DELETE FROM customer_iban WHERE customer_id = ?1 AND source = 'customer'",
                )?
                .execute([customer])?;
        }
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO customer_iban (iban, customer_id, source) VALUES (?1, ?2, 'customer') \
             ON CONFLICT (iban, customer_id) DO UPDATE SET source = 'customer'",
        )?;
        for iban in ibans {
            insert.execute(params![iban.as_str(), customer])?;
        }
        Ok(())
    }

    fn load_customer(
        &self,
        sql_where: &str,
        param: &dyn rusqlite::ToSql,
    ) -> Result<Option<StoredCustomer>> {
        let sql = format!("SELECT {CUSTOMER_COLUMNS} FROM customer WHERE {sql_where}");
        let found = self
            .conn
            .prepare_cached(&sql)?
            .query_row([param], customer_from_row)
            .optional()?;
        match found {
            None => Ok(None),
            Some((id, raw)) => {
                let ibans = self.ibans_of(id)?;
                Ok(Some(StoredCustomer {
                    id: CustomerId(id),
                    customer: raw.into_customer(ibans)?,
                }))
            }
        }
    }

    fn load_invoice(
        &self,
        sql_where: &str,
        param: &dyn rusqlite::ToSql,
    ) -> Result<Option<StoredInvoice>> {
        let sql = format!("SELECT {INVOICE_COLUMNS} FROM invoice WHERE {sql_where}");
        self.conn
            .prepare_cached(&sql)?
            .query_row([param], invoice_from_row)
            .optional()?
            .map(RawInvoice::into_stored)
            .transpose()
    }

    fn load_payment(
        &self,
        sql_where: &str,
        param: &dyn rusqlite::ToSql,
    ) -> Result<Option<StoredPayment>> {
        let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payment WHERE {sql_where}");
        self.conn
            .prepare_cached(&sql)?
            .query_row([param], payment_from_row)
            .optional()?
            .map(RawPayment::into_stored)
            .transpose()
    }
}

fn customer_params(customer: &Customer) -> [Box<dyn rusqlite::ToSql + '_>; 16] {
    [
        Box::new(customer.number.as_str()),
        Box::new(customer.name.as_str()),
        Box::new(customer.kind.as_str()),
        Box::new(customer.email.as_ref().map(|e| e.as_str())),
        Box::new(customer.phone.as_deref()),
        Box::new(customer.language.as_str()),
        Box::new(customer.industry.as_ref().map(|s| s.as_str())),
        Box::new(customer.account_manager.map(|a| a.0)),
        Box::new(customer.credit_limit.map(|m| m.minor)),
        Box::new(customer.payment_terms_days),
        Box::new(customer.kvk.as_ref().map(|k| k.as_str())),
        Box::new(customer.vat_number.as_ref().map(|v| v.as_str())),
        Box::new(customer.address.street.as_deref()),
        Box::new(customer.address.postal_code.as_deref()),
        Box::new(customer.address.city.as_deref()),
        Box::new(customer.address.country.as_str()),
    ]
}

impl ReadTx for SqliteTx<'_> {
    fn account_managers(&mut self) -> Result<Vec<(AccountManagerId, AccountManager)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, name, email FROM account_manager ORDER BY id")?;
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, email) = row?;
            out.push((
                AccountManagerId(id),
                AccountManager {
                    name,
                    email: opt_parse(email, Email::parse, "email")?,
                },
            ));
        }
        Ok(out)
    }

    fn customer_count(&mut self) -> Result<u64> {
        Ok(self
            .conn
            .prepare_cached("SELECT count(*) FROM customer")?
            .query_row([], |row| row.get::<_, i64>(0))? as u64)
    }

    fn customer_by_number(&mut self, number: &str) -> Result<Option<StoredCustomer>> {
        self.load_customer("number = ?1", &number)
    }

    fn customer(&mut self, id: CustomerId) -> Result<Option<StoredCustomer>> {
        self.load_customer("id = ?1", &id.0)
    }

    // In-process, a batch is the cached single-row statement in a loop.
    fn customers(&mut self, ids: &[CustomerId]) -> Result<Vec<StoredCustomer>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(self.load_customer("id = ?1", &id.0)?);
        }
        Ok(out)
    }

    fn customer_directory(&mut self) -> Result<Vec<CustomerBrief>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, number, name, kind, account_manager_id, industry, payment_terms_days \
             FROM customer ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let kind = row.get_ref(3)?.as_str().map_err(rusqlite::Error::from)?;
            let industry: Option<String> = row.get(5)?;
            out.push(CustomerBrief {
                id: CustomerId(row.get(0)?),
                number: row.get(1)?,
                name: row.get(2)?,
                kind: kind_from(kind)?,
                account_manager: row.get::<_, Option<i64>>(4)?.map(AccountManagerId),
                industry: opt_parse(industry, SbiCode::parse, "SBI code")?,
                payment_terms_days: row.get(6)?,
            });
        }
        Ok(out)
    }

    fn customers_by_iban(&mut self, iban: &Iban) -> Result<Vec<CustomerId>> {
        let mut stmt = self.conn.prepare_cached(SQL_CUSTOMERS_BY_IBAN)?;
        let mut ids: Vec<CustomerId> = stmt
            .query_map([iban.as_str()], |row| row.get(0).map(CustomerId))?
            .collect::<rusqlite::Result<_>>()?;
        ids.sort_unstable();
        Ok(ids)
    }

    fn invoice_count(&mut self) -> Result<u64> {
        Ok(self
            .conn
            .prepare_cached("SELECT count(*) FROM invoice")?
            .query_row([], |row| row.get::<_, i64>(0))? as u64)
    }

    fn invoice_by_number(&mut self, number: &str) -> Result<Option<StoredInvoice>> {
        self.load_invoice("number = ?1", &number)
    }

    fn allocations_of(&mut self, invoices: &[InvoiceId]) -> Result<Vec<Allocation>> {
        let mut stmt = self.conn.prepare_cached(SQL_ALLOCATIONS_TO)?;
        let mut out = Vec::new();
        for invoice in invoices {
            let mut rows: Vec<StoredAllocation> = stmt
                .query_map([invoice.0], allocation_from_row)?
                .collect::<rusqlite::Result<_>>()?;
            rows.sort_unstable_by_key(|a| a.row);
            out.extend(rows.into_iter().map(|a| a.allocation));
        }
        Ok(out)
    }

    fn invoices(&mut self, ids: &[InvoiceId]) -> Result<Vec<StoredInvoice>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(self.load_invoice("id = ?1", &id.0)?);
        }
        Ok(out)
    }

    fn invoice(&mut self, id: InvoiceId) -> Result<Option<StoredInvoice>> {
        self.load_invoice("id = ?1", &id.0)
    }

    fn invoice_ref(&mut self, number: &str) -> Result<Option<InvoiceRef>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, customer_id, currency FROM invoice WHERE number = ?1")?;
        let mut rows = stmt.query([number])?;
        let Some(row) = rows.next()? else {
            return Ok(None);
        };
        let code = row.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
        Ok(Some(InvoiceRef {
            id: InvoiceId(row.get(0)?),
            customer: CustomerId(row.get(1)?),
            currency: currency(code)?,
        }))
    }

    fn open_items(&mut self, customer: CustomerId) -> Result<Vec<OpenItem>> {
        let mut stmt = self.conn.prepare_cached(SQL_OPEN_ITEMS)?;
        let mut rows = stmt.query([customer.0])?;
        let mut items = Vec::new();
        while let Some(row) = rows.next()? {
            let open: i64 = row.get(3)?;
            if open <= 0 {
                continue;
            }
            let code = row.get_ref(4)?.as_str().map_err(rusqlite::Error::from)?;
            items.push(OpenItem {
                invoice: InvoiceId(row.get(0)?),
                issue_date: date(row.get(1)?),
                due_date: date(row.get(2)?),
                open: Money::new(open, currency(code)?),
            });
        }
        items.sort_unstable_by_key(|item| (item.due_date, item.issue_date, item.invoice));
        Ok(items)
    }

    fn open_item(&mut self, invoice: InvoiceId) -> Result<Option<OpenItem>> {
        let mut stmt = self.conn.prepare_cached(SQL_OPEN_ITEM)?;
        let mut rows = stmt.query([invoice.0])?;
        let Some(row) = rows.next()? else {
            return Ok(None);
        };
        let code = row.get_ref(4)?.as_str().map_err(rusqlite::Error::from)?;
        Ok(Some(OpenItem {
            invoice: InvoiceId(row.get(0)?),
            issue_date: date(row.get(1)?),
            due_date: date(row.get(2)?),
            open: Money::new(row.get(3)?, currency(code)?),
        }))
    }

    fn credit_note_remaining(&mut self, credit_note: InvoiceId) -> Result<i64> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT -i.amount_minor - COALESCE((SELECT SUM(a.amount_minor) FROM allocation a \
                 WHERE a.credit_note_id = i.id), 0) FROM invoice i WHERE i.id = ?1",
            )?
            .query_row([credit_note.0], |row| row.get(0))
            .optional()?
            .unwrap_or(0))
    }

    fn customer_documents(
        &mut self,
        customer: CustomerId,
        as_of: Date,
    ) -> Result<Vec<DocumentState>> {
        let mut stmt = self.conn.prepare_cached(&sql_customer_documents())?;
        let mut rows = stmt.query(params![customer.0, as_of.days_since_epoch()])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let raw = invoice_from_row(row)?;
            let paid: i64 = row.get(10)?;
            let used: i64 = row.get(11)?;
            let last_paid_on: Option<i32> = row.get(12)?;
            let open = if raw.amount >= 0 {
                raw.amount - paid
            } else {
                raw.amount + used
            };
            let stored = raw.into_stored()?;
            out.push(DocumentState {
                id: stored.id,
                invoice: stored.invoice,
                open_minor: open,
                last_paid_on: last_paid_on.map(date),
            });
        }
        out.sort_unstable_by_key(|d| (d.invoice.due_date, d.invoice.issue_date, d.id));
        Ok(out)
    }

    fn scan_ledger(&mut self, as_of: Date, visit: &mut dyn FnMut(&LedgerRow)) -> Result<()> {
        self.scan_documents(as_of.days_since_epoch(), false, &mut |row, _, _| visit(row))
    }

    fn scan_invoice_keys(&mut self, visit: &mut dyn FnMut(&InvoiceKeyRow<'_>)) -> Result<()> {
        self.scan_documents(i32::MAX, true, &mut |row, number, reference| {
            visit(&InvoiceKeyRow {
                ledger: *row,
                number: number.unwrap_or(""),
                payment_reference: reference,
            })
        })
    }

    fn payment_count(&mut self) -> Result<u64> {
        Ok(self
            .conn
            .prepare_cached("SELECT count(*) FROM payment")?
            .query_row([], |row| row.get::<_, i64>(0))? as u64)
    }

    fn payment_by_external_id(&mut self, external_id: &str) -> Result<Option<StoredPayment>> {
        self.load_payment("external_id = ?1", &external_id)
    }

    fn payment(&mut self, id: PaymentId) -> Result<Option<StoredPayment>> {
        self.load_payment("id = ?1", &id.0)
    }

    fn payment_exists(&mut self, external_id: &str) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM payment WHERE external_id = ?1)")?
            .query_row([external_id], |row| row.get(0))?)
    }

    fn customer_payments(
        &mut self,
        customer: CustomerId,
        as_of: Date,
    ) -> Result<Vec<PaymentState>> {
        let sql =
            format!("SELECT {PAYMENT_COLUMNS} FROM payment WHERE customer_id = ?1 AND date <= ?2");
        let mut raws: Vec<RawPayment> = self
            .conn
            .prepare_cached(&sql)?
            .query_map(
                params![customer.0, as_of.days_since_epoch()],
                payment_from_row,
            )?
            .collect::<rusqlite::Result<_>>()?;
        raws.sort_unstable_by_key(|p| std::cmp::Reverse((p.date, p.id)));
        // What every payment paid, in one query: (payment, allocation, number, amount).
        let mut applied: Vec<(i64, i64, String, i64)> = self
            .conn
            .prepare_cached(
                "SELECT a.payment_id, a.id, i.number, a.amount_minor \
                 FROM payment p JOIN allocation a ON a.payment_id = p.id JOIN invoice i ON i.id = a.invoice_id \
                 WHERE p.customer_id = ?1 AND p.date <= ?2 AND a.date <= ?2",
            )?
            .query_map(params![customer.0, as_of.days_since_epoch()], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        applied.sort_unstable_by_key(|(payment, id, ..)| (*payment, *id));
        let mut out = Vec::with_capacity(raws.len());
        for raw in raws {
            let start = applied.partition_point(|(payment, ..)| *payment < raw.id);
            let applied_to: Vec<(String, i64)> = applied[start..]
                .iter()
                .take_while(|(payment, ..)| *payment == raw.id)
                .map(|(_, _, number, amount)| (number.clone(), *amount))
                .collect();
            let stored = raw.into_stored()?;
            out.push(PaymentState {
                id: stored.id,
                payment: stored.payment,
                allocated_minor: applied_to.iter().map(|(_, a)| a).sum(),
                applied_to,
            });
        }
        Ok(out)
    }

    fn unallocated_payments(&mut self, as_of: Date) -> Result<Vec<(StoredPayment, i64)>> {
        let columns = PAYMENT_COLUMNS
            .split(", ")
            .map(|c| format!("p.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns}, p.amount_minor - COALESCE((SELECT SUM(a.amount_minor) FROM allocation a \
                 WHERE a.payment_id = p.id AND a.date <= ?1), 0) AS left_over \
             FROM payment p WHERE p.date <= ?1 AND p.amount_minor > 0 AND left_over > 0"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query([as_of.days_since_epoch()])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let left: i64 = row.get(13)?;
            out.push((payment_from_row(row)?.into_stored()?, left));
        }
        out.sort_unstable_by_key(|(p, _)| (p.payment.date, p.id));
        Ok(out)
    }

    fn customer_credit(&mut self, customer: CustomerId, currency: Currency) -> Result<i64> {
        Ok(self
            .conn
            .prepare_cached(SQL_CUSTOMER_CREDIT)?
            .query_row(params![customer.0, currency.code()], |row| row.get(0))?)
    }

    fn credit_balances(&mut self, as_of: Date) -> Result<Vec<CreditBalance>> {
        let as_of = as_of.days_since_epoch();
        let mut totals: std::collections::HashMap<(Option<i64>, String), i64> =
            std::collections::HashMap::new();
        {
            let mut alloc_stmt = self.conn.prepare_cached(SQL_CREDIT_PAYMENT_ALLOCATIONS)?;
            let mut allocs = alloc_stmt.query([as_of])?;
            let mut next_alloc: Option<(i64, i64)> = match allocs.next()? {
                Some(row) => Some((row.get(0)?, row.get(1)?)),
                None => None,
            };
            let mut pay_stmt = self.conn.prepare_cached(SQL_CREDIT_PAYMENTS)?;
            let mut payments = pay_stmt.query([as_of])?;
            while let Some(row) = payments.next()? {
                let id: i64 = row.get(0)?;
                let mut left: i64 = row.get(3)?;
                while let Some((payment, part)) = next_alloc {
                    if payment > id {
                        break;
                    }
                    if payment == id {
                        left -= part;
                    }
                    next_alloc = match allocs.next()? {
                        Some(row) => Some((row.get(0)?, row.get(1)?)),
                        None => None,
                    };
                }
                if left != 0 {
                    let code = row.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
                    *totals.entry((row.get(1)?, code.to_string())).or_default() += left;
                }
            }
        }
        {
            let mut stmt = self.conn.prepare_cached(SQL_CREDIT_NOTES_LEFT)?;
            let mut rows = stmt.query([as_of])?;
            while let Some(row) = rows.next()? {
                let left: i64 = row.get(2)?;
                if left != 0 {
                    *totals.entry((row.get(0)?, row.get(1)?)).or_default() += left;
                }
            }
        }
        let mut out = Vec::with_capacity(totals.len());
        for ((customer, code), minor) in totals {
            if minor != 0 {
                out.push(CreditBalance {
                    customer: customer.map(CustomerId),
                    currency: currency(&code)?,
                    minor,
                });
            }
        }
        out.sort_unstable_by_key(|b| (b.customer, b.currency));
        Ok(out)
    }

    fn all_customer_ibans(&mut self) -> Result<Vec<(String, CustomerId)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT iban, customer_id FROM customer_iban")?;
        let rows = stmt.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, CustomerId(row.get(1)?)))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn find_customer(&mut self, key: CustomerKey<'_>) -> Result<Option<StoredCustomer>> {
        match key {
            CustomerKey::Kvk(kvk) => self.load_customer("kvk = ?1", &kvk),
            CustomerKey::Vat(vat) => self.load_customer("vat_number = ?1", &vat),
            CustomerKey::Peppol(id) => self.load_customer("peppol_id = ?1", &id),
        }
    }

    fn payment_match(&mut self, id: PaymentId) -> Result<MatchInfo> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT match_rule, match_confidence, needs_review, suggested_customer_id, note, reverses_payment_id \
             FROM payment WHERE id = ?1",
        )?;
        let found = stmt
            .query_row([id.0], |row| {
                Ok((
                    row.get::<_, Option<String>>(0)?,
                    row.get::<_, Option<i64>>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, Option<i64>>(3)?,
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, Option<i64>>(5)?,
                ))
            })
            .optional()?;
        let Some((rule, confidence, review, suggested, note, reverses)) = found else {
            return Ok(MatchInfo::default());
        };
        Ok(MatchInfo {
            rule: rule
                .map(|r| MatchRule::parse(&r).ok_or_else(|| corrupt("match rule", &r)))
                .transpose()?,
            confidence: confidence.unwrap_or(0).clamp(0, 100) as u8,
            needs_review: review != 0,
            suggested_customer: suggested.map(CustomerId),
            note,
            reverses: reverses.map(PaymentId),
        })
    }

    fn payments_by_end_to_end(&mut self, end_to_end_id: &str) -> Result<Vec<StoredPayment>> {
        let mut stmt = self.conn.prepare_cached(SQL_PAYMENTS_BY_END_TO_END)?;
        let raws: Vec<RawPayment> = stmt
            .query_map([end_to_end_id], payment_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        let mut out: Vec<StoredPayment> = raws
            .into_iter()
            .map(RawPayment::into_stored)
            .collect::<Result<_>>()?;
        out.sort_unstable_by_key(|p| p.id);
        Ok(out)
    }

    fn review_queue(&mut self) -> Result<Vec<ReviewItem>> {
        let columns = PAYMENT_COLUMNS
            .split(", ")
            .map(|c| format!("p.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns}, p.amount_minor - COALESCE((SELECT SUM(a.amount_minor) FROM allocation a \
                 WHERE a.payment_id = p.id), 0) FROM payment p WHERE p.needs_review = 1"
        );
        let raws: Vec<(RawPayment, i64)> = self
            .conn
            .prepare_cached(&sql)?
            .query_map([], |row| Ok((payment_from_row(row)?, row.get(13)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::with_capacity(raws.len());
        for (raw, unallocated_minor) in raws {
            let payment = raw.into_stored()?;
            let info = self.payment_match(payment.id)?;
            out.push(ReviewItem {
                payment,
                info,
                unallocated_minor,
            });
        }
        out.sort_unstable_by_key(|r| (r.payment.payment.date, r.payment.id));
        Ok(out)
    }

    fn allocations_to(&mut self, invoice: InvoiceId) -> Result<Vec<StoredAllocation>> {
        let mut stmt = self.conn.prepare_cached(SQL_ALLOCATIONS_TO)?;
        let mut out: Vec<StoredAllocation> = stmt
            .query_map([invoice.0], allocation_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        out.sort_unstable_by_key(|a| a.row);
        Ok(out)
    }

    fn allocations_from(&mut self, source: AllocationSource) -> Result<Vec<StoredAllocation>> {
        let (sql, id) = match source {
            AllocationSource::Payment(p) => (SQL_ALLOCATIONS_FROM_PAYMENT, p.0),
            AllocationSource::CreditNote(c) => (SQL_ALLOCATIONS_FROM_CREDIT_NOTE, c.0),
        };
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut out: Vec<StoredAllocation> = stmt
            .query_map([id], allocation_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        out.sort_unstable_by_key(|a| a.row);
        Ok(out)
    }

    fn revision(&mut self) -> Result<i64> {
        copy::revision(&self.conn)
    }

    fn copy_out(
        &mut self,
        table: &tegoed_store::schema::Table,
        visit: &mut dyn FnMut(&[tegoed_store::schema::Cell]) -> Result<()>,
    ) -> Result<u64> {
        copy::copy_out(&self.conn, table, visit)
    }
}

impl WriteTx for SqliteTx<'_> {
    fn commit(mut self: Box<Self>) -> Result<()> {
        self.end_bulk_load()?;
        copy::bump_revision(&self.conn)?;
        self.conn.execute_batch("COMMIT")?;
        self.open = false;
        Ok(())
    }

    fn begin_bulk_load(&mut self, tables: &[BulkTable]) -> Result<()> {
        for table in tables {
            // A customer's IBANs are written with it.
            let names: &[&str] = match table {
                BulkTable::Customer => &["customer", "customer_iban"],
                BulkTable::Invoice => &["invoice"],
                BulkTable::Payment => &["payment"],
                BulkTable::Allocation => &["allocation"],
            };
            for name in names {
                self.set_indexes_aside(name)?;
            }
        }
        Ok(())
    }

    fn end_bulk_load(&mut self) -> Result<()> {
        for sql in std::mem::take(&mut self.set_aside) {
            self.conn.execute_batch(&sql)?;
        }
        Ok(())
    }

    fn insert_account_manager(&mut self, manager: &AccountManager) -> Result<AccountManagerId> {
        self.conn
            .prepare_cached("INSERT INTO account_manager (name, email) VALUES (?1, ?2)")?
            .execute(params![
                manager.name,
                manager.email.as_ref().map(|e| e.as_str())
            ])?;
        Ok(AccountManagerId(self.conn.last_insert_rowid()))
    }

    fn update_account_manager(
        &mut self,
        id: AccountManagerId,
        manager: &AccountManager,
    ) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE account_manager SET name = ?2, email = ?3 WHERE id = ?1")?
            .execute(params![
                id.0,
                manager.name,
                manager.email.as_ref().map(|e| e.as_str())
            ])?;
        Ok(())
    }

    fn insert_customer(&mut self, customer: &Customer) -> Result<CustomerId> {
        let values = customer_params(customer);
        self.conn
            .prepare_cached(
                "INSERT INTO customer (number, name, kind, email, phone, language, industry, account_manager_id, \
                 credit_limit_minor, payment_terms_days, kvk, vat_number, street, postal_code, city, country) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )?
            .execute(rusqlite::params_from_iter(values.iter()))?;
        let id = self.conn.last_insert_rowid();
        self.write_ibans(id, &customer.ibans, false)?;
        Ok(CustomerId(id))
    }

    fn update_customer(&mut self, id: CustomerId, customer: &Customer) -> Result<()> {
        let values = customer_params(customer);
        let mut all: Vec<&dyn rusqlite::ToSql> = values
            .iter()
            .map(|v| v.as_ref() as &dyn rusqlite::ToSql)
            .collect();
        all.push(&id.0);
        self.conn
            .prepare_cached(
                "UPDATE customer SET number = ?1, name = ?2, kind = ?3, email = ?4, phone = ?5, language = ?6, \
                 industry = ?7, account_manager_id = ?8, credit_limit_minor = ?9, payment_terms_days = ?10, \
                 kvk = ?11, vat_number = ?12, street = ?13, postal_code = ?14, city = ?15, country = ?16 \
                 WHERE id = ?17",
            )?
            .execute(rusqlite::params_from_iter(all))?;
        self.write_ibans(id.0, &customer.ibans, true)
    }

    fn insert_invoice(&mut self, invoice: &Invoice) -> Result<InvoiceId> {
        self.conn
            .prepare_cached(
                "INSERT INTO invoice (number, customer_id, issue_date, due_date, amount_minor, currency, \
                 payment_reference, description, credits_invoice) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                invoice.number,
                invoice.customer.0,
                invoice.issue_date.days_since_epoch(),
                invoice.due_date.days_since_epoch(),
                invoice.amount.minor,
                invoice.amount.currency.code(),
                invoice.payment_reference.as_ref().map(|r| r.as_str()),
                invoice.description,
                invoice.credits_invoice,
            ])?;
        Ok(InvoiceId(self.conn.last_insert_rowid()))
    }

    fn update_invoice(&mut self, id: InvoiceId, invoice: &Invoice) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE invoice SET number = ?2, customer_id = ?3, issue_date = ?4, due_date = ?5, amount_minor = ?6, \
                 currency = ?7, payment_reference = ?8, description = ?9, credits_invoice = ?10 WHERE id = ?1",
            )?
            .execute(params![
                id.0,
                invoice.number,
                invoice.customer.0,
                invoice.issue_date.days_since_epoch(),
                invoice.due_date.days_since_epoch(),
                invoice.amount.minor,
                invoice.amount.currency.code(),
                invoice.payment_reference.as_ref().map(|r| r.as_str()),
                invoice.description,
                invoice.credits_invoice,
            ])?;
        Ok(())
    }

    fn insert_payment(&mut self, payment: &Payment) -> Result<PaymentId> {
        self.insert_matched_payment(payment, &MatchInfo::default())
    }

    fn insert_matched_payment(&mut self, payment: &Payment, info: &MatchInfo) -> Result<PaymentId> {
        self.conn
            .prepare_cached(
                "INSERT INTO payment (external_id, date, amount_minor, currency, customer_id, invoice_id, reference, \
                 counterparty_iban, counterparty_name, source, end_to_end_id, bank_account, match_rule, \
                 match_confidence, needs_review, suggested_customer_id, note, reverses_payment_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            )?
            .execute(params![
                payment.external_id,
                payment.date.days_since_epoch(),
                payment.amount.minor,
                payment.amount.currency.code(),
                payment.customer.map(|c| c.0),
                payment.invoice.map(|i| i.0),
                payment.reference,
                payment.counterparty_iban.as_ref().map(|i| i.as_str()),
                payment.counterparty_name,
                payment.source.as_str(),
                payment.end_to_end_id,
                payment.bank_account,
                info.rule.map(MatchRule::as_str),
                i64::from(info.confidence),
                i64::from(info.needs_review),
                info.suggested_customer.map(|c| c.0),
                info.note,
                info.reverses.map(|p| p.0),
            ])?;
        Ok(PaymentId(self.conn.last_insert_rowid()))
    }

    fn update_payment(&mut self, id: PaymentId, payment: &Payment) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE payment SET external_id = ?2, date = ?3, amount_minor = ?4, currency = ?5, customer_id = ?6, \
                 invoice_id = ?7, reference = ?8, counterparty_iban = ?9, counterparty_name = ?10, source = ?11, \
                 end_to_end_id = ?12, bank_account = ?13 WHERE id = ?1",
            )?
            .execute(params![
                id.0,
                payment.external_id,
                payment.date.days_since_epoch(),
                payment.amount.minor,
                payment.amount.currency.code(),
                payment.customer.map(|c| c.0),
                payment.invoice.map(|i| i.0),
                payment.reference,
                payment.counterparty_iban.as_ref().map(|i| i.as_str()),
                payment.counterparty_name,
                payment.source.as_str(),
                payment.end_to_end_id,
                payment.bank_account,
            ])?;
        Ok(())
    }

    fn learn_iban(&mut self, customer: CustomerId, iban: &Iban) -> Result<bool> {
        let added = self
            .conn
            .prepare_cached(
                "INSERT INTO customer_iban (iban, customer_id, source) VALUES (?1, ?2, 'learned') \
                 ON CONFLICT (iban, customer_id) DO NOTHING",
            )?
            .execute(params![iban.as_str(), customer.0])?;
        Ok(added > 0)
    }

    fn forget_learned_iban(&mut self, customer: CustomerId, iban: &Iban) -> Result<bool> {
        let removed = self
            .conn
            .prepare_cached(
                "DELETE FROM customer_iban WHERE iban = ?1 AND customer_id = ?2 AND source = 'learned'",
            )?
            .execute(params![iban.as_str(), customer.0])?;
        Ok(removed > 0)
    }

    fn set_customer_peppol(&mut self, customer: CustomerId, peppol_id: &str) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE customer SET peppol_id = ?2 WHERE id = ?1")?
            .execute(params![customer.0, peppol_id])?;
        Ok(())
    }

    fn set_payment_match(&mut self, id: PaymentId, info: &MatchInfo) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE payment SET match_rule = ?2, match_confidence = ?3, needs_review = ?4, \
                 suggested_customer_id = ?5, note = ?6, reverses_payment_id = ?7 WHERE id = ?1",
            )?
            .execute(params![
                id.0,
                info.rule.map(MatchRule::as_str),
                i64::from(info.confidence),
                i64::from(info.needs_review),
                info.suggested_customer.map(|c| c.0),
                info.note,
                info.reverses.map(|p| p.0),
            ])?;
        Ok(())
    }

    fn record_statement_import(&mut self, record: &StatementImportRecord) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO statement_import (file_name, file_hash, format, accounts, statements, entries, booked, \
                 duplicates, debits) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                record.file_name,
                record.file_hash,
                record.format,
                record.accounts,
                record.statements as i64,
                record.entries as i64,
                record.booked as i64,
                record.duplicates as i64,
                record.debits as i64,
            ])?;
        Ok(())
    }

    fn insert_allocation(&mut self, allocation: &Allocation) -> Result<()> {
        let (payment, credit_note) = match allocation.source {
            AllocationSource::Payment(p) => (Some(p.0), None),
            AllocationSource::CreditNote(c) => (None, Some(c.0)),
        };
        self.conn
            .prepare_cached(
                "INSERT INTO allocation (invoice_id, payment_id, credit_note_id, date, amount_minor) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                allocation.invoice.0,
                payment,
                credit_note,
                allocation.date.days_since_epoch(),
                allocation.amount_minor
            ])?;
        Ok(())
    }

    fn set_allocation_amount(&mut self, row: i64, amount_minor: i64) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE allocation SET amount_minor = ?2 WHERE id = ?1")?
            .execute(params![row, amount_minor])?;
        Ok(())
    }

    fn copy_in(
        &mut self,
        table: &tegoed_store::schema::Table,
        rows: &[Vec<tegoed_store::schema::Cell>],
    ) -> Result<()> {
        copy::copy_in(&self.conn, table, rows)
    }

    fn delete_allocation(&mut self, row: i64) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM allocation WHERE id = ?1")?
            .execute([row])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every parameterized statement on a hot path runs again with new
    /// bindings without being re-prepared (see the note on statements).
    #[test]
    fn no_statement_is_reprepared() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("reprepare.db")).unwrap();
        let conn = store.writer.lock().unwrap();
        let documents = sql_customer_documents();
        let statements: &[(&str, usize)] = &[
            (SQL_IBANS_OF, 1),
            (SQL_CUSTOMERS_BY_IBAN, 1),
            (SQL_OPEN_ITEMS, 1),
            (SQL_OPEN_ITEM, 1),
            (SQL_ALLOCATIONS_TO, 1),
            (SQL_ALLOCATIONS_FROM_PAYMENT, 1),
            (SQL_ALLOCATIONS_FROM_CREDIT_NOTE, 1),
            (SQL_CREDIT_NOTES_LEFT, 1),
            (SQL_CUSTOMER_CREDIT, 2),
            (SQL_SCAN_ALLOCATIONS, 1),
            (SQL_SCAN_INVOICES, 1),
            (SQL_SCAN_INVOICE_KEYS, 1),
            (SQL_PAYMENTS_BY_END_TO_END, 1),
            (&documents, 2),
        ];
        for (sql, n_params) in statements {
            for value in 1..4i64 {
                let mut stmt = conn.prepare_cached(sql).unwrap();
                let values = vec![value; *n_params];
                let mut rows = stmt.query(rusqlite::params_from_iter(values)).unwrap();
                while rows.next().unwrap().is_some() {}
            }
            let stmt = conn.prepare_cached(sql).unwrap();
            assert_eq!(
                stmt.get_status(rusqlite::StatementStatus::RePrepare),
                0,
                "re-prepared on reuse: {sql}"
            );
        }
    }
}
