//! Tegoed's PostgreSQL backend: the store traits of `tegoed-store` over the
//! synchronous `postgres` client, for installations where several servers,
//! a CLI import and the web app write at the same time.
//!
//! # Connections
//!
//! [`PostgresStore`] keeps a small pool of its own (a `Mutex<Vec<_>>` of idle
//! connections, up to 32 kept): a transaction takes a connection, and gives
//! it back when it ends, unless the connection failed (a broken socket, an
//! error the server did not report as an SQL error), in which case it is
//! closed. Each pooled connection keeps its prepared statements, keyed by
//! their text, so a hot statement is parsed and planned once per connection
//! rather than once per call; that is why the pool is ours and not a
//! generic one. The backend's interface is synchronous like the traits: no
//! async runtime shows through (the `postgres` crate drives its own).
//!
//! # Transactions
//!
//! * A read transaction is `BEGIN ISOLATION LEVEL REPEATABLE READ READ
//!   ONLY`: one snapshot for the whole transaction, as SQLite's WAL readers
//!   have, so a report adds up even while writers commit.
//! * A write transaction is `BEGIN` (READ COMMITTED) with `SET LOCAL
//!   lock_timeout`: writers run concurrently, which is the point of
//!   PostgreSQL here: a web write does not wait for a long CLI import into
//!   other rows. A write that does wait for a row another transaction holds
//!   gives up after the lock wait ([`PostgresStore::with_lock_wait`]) with
//!   [`StoreError::Busy`] instead of hanging.
//!
//!   Under READ COMMITTED two writers can read the same state, so the reads
//!   that money is allocated from lock what they read first: in a write
//!   transaction `open_items`, `open_item`, `credit_note_remaining`,
//!   `allocations_from`, `allocations_to` and `customer_credit` first lock
//!   the invoice, payment or credit-note rows concerned (`SELECT ... FOR NO KEY UPDATE`,
//!   in id order) and only then compute, in a second statement that sees
//!   everything committed before the lock was granted. Two transactions
//!   posting money to one invoice are thereby serialized: the second sees
//!   what the first allocated. (`FOR NO KEY UPDATE` rather than `FOR
//!   UPDATE`: it excludes other allocators and updates of the invoice, but
//!   not inserts elsewhere that merely refer to the invoice, such as a
//!   dunning item or a timeline event.) A read transaction locks nothing.
//! * PostgreSQL aborts a transaction at its first failed statement (SQLite
//!   fails only the statement). The transaction remembers it, and `commit`
//!   then reports an error rather than letting the server turn the COMMIT
//!   into a silent ROLLBACK. Dropping a transaction without commit rolls
//!   back.
//!
//! # Bulk loads
//!
//! Between `begin_bulk_load` and `end_bulk_load`, inserts into the
//! announced tables (customers with their IBANs, invoices, payments,
//! allocations; empty or not) are buffered, one buffer per table, and sent
//! with binary `COPY`, many thousand rows per statement. The ids are taken
//! from each table's identity sequence in blocks beforehand (`nextval` over
//! `generate_series`, safe against concurrent inserts; the blocks grow from
//! 16 to 10,000 ids, so a small load leaves no large gap), so
//! `insert_invoice` still returns the row's id at once, and a payment's
//! allocations can name it right away. Allocations take their ids from the
//! column default, in the order written. The buffers are sent in
//! foreign-key order (customer, invoice, payment, allocation), so a row
//! never arrives before one it refers to, whenever any other statement of
//! the transaction runs (so every read and write sees the rows), when a
//! buffer is full, at `end_bulk_load` and at commit; a few rows go as
//! single inserts. A row the server refuses (a duplicate key) fails the
//! statement that sent it, which may be a later read or the commit, as
//! `StoreError::Conflict`. A table with rows keeps its indexes and foreign
//! keys and is not locked, so other writers go on during a long import. A
//! table that is empty (a go-live load) is locked until commit; customers
//! and invoices then have their secondary indexes and their own foreign
//! keys set aside and built once at the end (a million invoices: 12-14 s
//! instead of 31-33 s on the 100k bench), which makes the table, and the
//! one its key refers to, the load's alone: readers and writers of them
//! wait for the lock wait and are told the store is busy. Ids of a locked
//! table are taken a block per `setval` instead of a `nextval` per id.
//!
//! # Revision
//!
//! SQLite moves a counter row inside each write transaction; here that row
//! would serialize all writers. Instead `commit` calls `nextval` on the
//! sequence `store_revision` right after the COMMIT succeeded, outside the
//! transaction, and [`tegoed_store::ReadTx::revision`] reads the sequence's
//! value. Whoever reads revision R therefore finds the commit that moved it
//! to R already visible to a transaction begun afterwards.
//!
//! # Migrations
//!
//! Embedded (`migrations/*.sql`), recorded in `schema_migration` with a
//! checksum, checked at every open, and applied under a session advisory
//! lock so that two servers starting at once do not both migrate.

mod access;
mod collection;
mod copy;
mod ledger;
mod portal;
mod risk;
pub mod testing;
mod types;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use postgres::types::ToSql;
use postgres::{Client, Config, NoTls, Row, Statement};
use tegoed_store::{ReadTx, Result, Store, StoreError, WriteTx};

/// Embedded migrations, applied in order; never edit one that has shipped.
const MIGRATIONS: &[(u32, &str, &str)] = &[
    (1, "initial", include_str!("../migrations/0001_initial.sql")),
    (
        2,
        "sale_agreement",
        include_str!("../migrations/0002_sale_agreement.sql"),
    ),
    (
        3,
        "appreciation",
        include_str!("../migrations/0003_appreciation.sql"),
    ),
    (4, "quiz", include_str!("../migrations/0004_quiz.sql")),
    (5, "portal", include_str!("../migrations/0005_portal.sql")),
    (
        6,
        "invoice_paid",
        include_str!("../migrations/0006_invoice_paid.sql"),
    ),
    (
        7,
        "identifier_collation",
        include_str!("../migrations/0007_identifier_collation.sql"),
    ),
    (
        8,
        "recount_locks",
        include_str!("../migrations/0008_recount_locks.sql"),
    ),
    (
        9,
        "payment_allocated",
        include_str!("../migrations/0009_payment_allocated.sql"),
    ),
];

/// Idle connections kept for reuse (each with its prepared statements).
const IDLE_KEPT: usize = 32;

/// The default [`PostgresStore::with_lock_wait`].
pub const LOCK_WAIT: Duration = Duration::from_secs(10);

/// The advisory lock migrations run under ("tegoed" and a 1).
const MIGRATION_LOCK: i64 = 0x7465_676f_6564_0001;

/// A PostgreSQL database.
pub struct PostgresStore {
    config: Config,
    /// The URL without its password, for messages.
    location: String,
    idle: Mutex<Vec<Conn>>,
    /// How long a write waits for a lock before [`StoreError::Busy`].
    lock_wait: Duration,
    /// This open created Tegoed's tables (the database had none).
    created: bool,
}

/// A connection with its prepared statements.
pub(crate) struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db`
    /// or a `key=value` string), without TLS, and brings its schema up to
    /// date.
    pub fn open(url: &str) -> Result<PostgresStore> {
        let location = redact(url);
        let mut config: Config = url.parse().map_err(|source| StoreError::Open {
            location: location.clone(),
            source: Box::new(source),
        })?;
        if config.get_application_name().is_none() {
            config.application_name("tegoed");
        }
        let store = PostgresStore {
            config,
            location,
            idle: Mutex::new(Vec::new()),
            lock_wait: LOCK_WAIT,
            created: false,
        };
        let mut conn = store.connect().map_err(|e| match e {
            StoreError::Busy => StoreError::Open {
                location: store.location.clone(),
                source: "the server has no connection slot free".into(),
            },
            other => other,
        })?;
        let created = migrate(&mut conn.client)?;
        store.put_back(conn);
        Ok(PostgresStore { created, ..store })
    }

    /// Sets how long a write transaction waits for a lock (a row another
    /// transaction is changing) before it fails with [`StoreError::Busy`]
    /// (default [`LOCK_WAIT`]).
    pub fn with_lock_wait(mut self, wait: Duration) -> PostgresStore {
        self.lock_wait = wait;
        self
    }

    /// Whether opening created Tegoed's tables (the database had none yet).
    pub fn created(&self) -> bool {
        self.created
    }

    /// Where the database is, without the password.
    pub fn location(&self) -> &str {
        &self.location
    }

    fn connect(&self) -> Result<Conn> {
        match self.config.connect(NoTls) {
            Ok(client) => Ok(Conn {
                client,
                statements: HashMap::new(),
            }),
            Err(e) if e.code() == Some(&postgres::error::SqlState::TOO_MANY_CONNECTIONS) => {
                Err(StoreError::Busy)
            }
            Err(source) => Err(StoreError::Open {
                location: self.location.clone(),
                source: Box::new(source),
            }),
        }
    }

    fn put_back(&self, conn: Conn) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < IDLE_KEPT {
            idle.push(conn);
        }
    }

    fn pooled(&self) -> Option<Conn> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop()
    }

    /// Takes a connection and begins a transaction on it. A pooled
    /// connection that turns out to be dead (the server restarted, say) is
    /// dropped and the next one tried, then a fresh one.
    fn begin(&self, write: bool) -> Result<PgTx<'_>> {
        // 0 would mean "wait forever" to PostgreSQL. Readers wait too (for
        // a table a go-live load holds exclusively), never forever.
        let ms = self.lock_wait.as_millis().clamp(1, i32::MAX as u128);
        let begin = if write {
            format!("BEGIN; SET LOCAL lock_timeout = {ms}")
        } else {
            format!(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL lock_timeout = {ms}"
            )
        };
        loop {
            let (mut conn, fresh) = match self.pooled() {
                Some(conn) => (conn, false),
                None => (self.connect()?, true),
            };
            match conn.client.batch_execute(&begin) {
                Ok(()) => {
                    return Ok(PgTx {
                        store: self,
                        conn: Some(conn),
                        write,
                        open: true,
                        failed: false,
                        poisoned: false,
                        bulk: None,
                        loaded: Default::default(),
                        memo: HashMap::new(),
                    });
                }
                Err(e) if !fresh && e.as_db_error().is_none() => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn read(&self) -> Result<Box<dyn ReadTx + '_>> {
        Ok(Box::new(self.begin(false)?))
    }

    fn write(&self) -> Result<Box<dyn WriteTx + '_>> {
        Ok(Box::new(self.begin(true)?))
    }

    /// `VACUUM (ANALYZE)` of the whole database, outside any transaction:
    /// after millions of rows were copied in, autovacuum would otherwise
    /// visit every table in the next minutes, competing with the first
    /// users (measured on the 100k bench right after `tegoed migrate`: the
    /// customer page's p95 at 50 clients 167-330 ms while it ran, 53 ms
    /// after).
    fn settle(&self) -> Result<()> {
        let mut conn = self.connect()?;
        conn.client
            .batch_execute("VACUUM (ANALYZE)")
            .map_err(StoreError::from)
    }
}

/// The URL or connection string without its password.
fn redact(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let rest = scheme_end + 3;
        let authority_end = out[rest..].find(['/', '?']).map_or(out.len(), |i| rest + i);
        if let Some(at) = out[rest..authority_end].rfind('@') {
            let userinfo = &out[rest..rest + at];
            if let Some(colon) = userinfo.find(':') {
                out.replace_range(rest + colon..rest + at, "");
            }
        }
    }
    // `password=...` as a query parameter or in a key=value string.
    let lower = out.to_ascii_lowercase();
    if let Some(start) = lower.find("password=") {
        let value_start = start + "password=".len();
        let end = out[value_start..]
            .find(['&', ' '])
            .map_or(out.len(), |i| value_start + i);
        out.replace_range(value_start..end, "***");
    }
    out
}

/// FNV-1a, to notice a migration that was edited after it was applied (the
/// same function as the SQLite backend's).
fn checksum(sql: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in sql.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Applies what is missing under the advisory lock; the lock goes with the
/// session, so an error that drops the connection releases it too.
/// Applies the migrations not yet applied; `true` when none had been (a
/// database without Tegoed's tables).
fn migrate(client: &mut Client) -> Result<bool> {
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])?;
    let outcome = migrate_locked(client);
    let unlocked = client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
    let created = outcome?;
    unlocked?;
    Ok(created)
}

fn migrate_locked(client: &mut Client) -> Result<bool> {
    client.batch_execute(
        "SET client_min_messages = warning;
         CREATE TABLE IF NOT EXISTS schema_migration (
            version    bigint PRIMARY KEY,
            name       text NOT NULL,
            checksum   text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
         );
         RESET client_min_messages",
    )?;
    let mut applied: Vec<(u32, String)> = Vec::new();
    for row in client.query(
        "SELECT version, checksum FROM schema_migration ORDER BY version",
        &[],
    )? {
        let version: i64 = row.try_get(0)?;
        let version = u32::try_from(version)
            .map_err(|_| StoreError::Corrupt(format!("schema_migration version {version}")))?;
        applied.push((version, row.try_get(1)?));
    }
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    if let Some((found, _)) = applied.iter().find(|(v, _)| *v > known) {
        return Err(StoreError::TooNew {
            found: *found,
            known,
        });
    }
    for (version, name, sql) in MIGRATIONS {
        let sum = checksum(sql);
        match applied.iter().find(|(v, _)| v == version) {
            Some((_, applied_sum)) if *applied_sum != sum => {
                return Err(StoreError::MigrationChanged {
                    version: *version,
                    name: name.to_string(),
                });
            }
            Some(_) => {}
            None => {
                let run = |client: &mut Client| -> Result<(), postgres::Error> {
                    let mut tx = client.transaction()?;
                    tx.batch_execute(sql)?;
                    tx.execute(
                        "INSERT INTO schema_migration (version, name, checksum) VALUES ($1, $2, $3)",
                        &[&i64::from(*version), name, &sum],
                    )?;
                    tx.commit()
                };
                run(client).map_err(|source| StoreError::Migration {
                    version: *version,
                    name,
                    source: Box::new(source),
                })?;
            }
        }
    }
    Ok(applied.is_empty())
}

/// Parameters of a statement.
pub(crate) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// One transaction on one connection (read or write).
pub(crate) struct PgTx<'s> {
    store: &'s PostgresStore,
    /// Present until the transaction is dropped.
    conn: Option<Conn>,
    write: bool,
    /// BEGIN done, COMMIT or ROLLBACK not yet.
    open: bool,
    /// A statement failed, so the server aborted the transaction.
    failed: bool,
    /// The connection is not fit to be pooled again.
    poisoned: bool,
    /// Rows waiting to be sent with COPY (see the crate documentation).
    bulk: Option<copy::Bulk>,
    /// Tables loaded from empty in this transaction: analyzed before the
    /// commit (see [`PgTx::analyze_loaded`]).
    loaded: std::collections::BTreeSet<&'static str>,
    /// A read transaction's small results, by statement and parameters:
    /// see [`PgTx::query_unflushed`].
    memo: HashMap<(String, Vec<u8>), Vec<Row>>,
}

/// The key of a read's result: its statement and its parameters as
/// PostgreSQL receives them. `None` for a parameter that cannot be encoded
/// (the query itself then reports it) and for a batch read by a list of
/// ids, whose result is rarely small and whose list (a million ids, say)
/// is not worth encoding twice.
fn memo_key(sql: &str, statement: &Statement, params: Params<'_>) -> Option<(String, Vec<u8>)> {
    let types = statement.params();
    if params.len() != types.len()
        || types
            .iter()
            .any(|ty| matches!(ty.kind(), postgres::types::Kind::Array(_)))
    {
        return None;
    }
    let mut bytes = bytes::BytesMut::new();
    for (value, ty) in params.iter().zip(types) {
        let start = bytes.len();
        bytes.extend_from_slice(&[0; 4]);
        let length = match value.to_sql_checked(ty, &mut bytes).ok()? {
            postgres::types::IsNull::Yes => -1,
            postgres::types::IsNull::No => i32::try_from(bytes.len() - start - 4).ok()?,
        };
        bytes[start..start + 4].copy_from_slice(&length.to_be_bytes());
    }
    Some((sql.to_string(), bytes.to_vec()))
}

impl Drop for PgTx<'_> {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        if self.open && conn.client.batch_execute("ROLLBACK").is_err() {
            self.poisoned = true;
        }
        if !self.poisoned && !conn.client.is_closed() {
            self.store.put_back(conn);
        }
    }
}

fn finished() -> StoreError {
    StoreError::Backend("the transaction has ended".into())
}

impl PgTx<'_> {
    /// Notes what an error means for the transaction and the connection.
    pub(crate) fn fail(&mut self, e: postgres::Error) -> StoreError {
        self.failed = true;
        if e.as_db_error().is_none() {
            self.poisoned = true;
        }
        e.into()
    }

    pub(crate) fn client(&mut self) -> Result<&mut Client> {
        self.conn
            .as_mut()
            .map(|c| &mut c.client)
            .ok_or_else(finished)
    }

    /// The prepared statement for `sql`, from this connection's cache.
    pub(crate) fn prepared(&mut self, sql: &str) -> Result<Statement> {
        let Some(conn) = self.conn.as_mut() else {
            return Err(finished());
        };
        if let Some(statement) = conn.statements.get(sql) {
            return Ok(statement.clone());
        }
        match conn.client.prepare(sql) {
            Ok(statement) => {
                conn.statements.insert(sql.to_string(), statement.clone());
                Ok(statement)
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Sends what a bulk load buffered; every statement but the bulk
    /// inserts themselves goes through here first.
    pub(crate) fn ready(&mut self) -> Result<()> {
        if self.bulk.as_ref().is_some_and(|b| b.pending()) {
            self.flush_bulk()?;
        }
        Ok(())
    }

    /// Runs a query without flushing a bulk load first. In a read
    /// transaction (one snapshot: `REPEATABLE READ READ ONLY`) the same
    /// statement with the same parameters gives the same rows, so a small
    /// result is kept and given again: one customer page asks for the
    /// customer's disputes, promises, ratings, tags and collection state
    /// from several use cases (risk, segment, check, timeline), and each
    /// round trip costs both processes.
    pub(crate) fn query_unflushed(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>> {
        /// Results up to this many rows are kept (big scans are not asked
        /// twice, and are not held until the transaction ends) ...
        const MEMO_ROWS: usize = 256;
        /// ... and this many results, however long the transaction.
        const MEMO_ENTRIES: usize = 1024;
        let statement = self.prepared(sql)?;
        let key = match self.write || self.failed {
            true => None,
            false => memo_key(sql, &statement, params),
        };
        if let Some(rows) = key.as_ref().and_then(|key| self.memo.get(key)) {
            return Ok(rows.clone());
        }
        let result = self.client()?.query(&statement, params);
        let rows = result.map_err(|e| self.fail(e))?;
        if let Some(key) = key
            && rows.len() <= MEMO_ROWS
            && self.memo.len() < MEMO_ENTRIES
        {
            self.memo.insert(key, rows.clone());
        }
        Ok(rows)
    }

    /// Runs a query that is always asked of the server, also in a read
    /// transaction: a sequence is not part of a snapshot.
    pub(crate) fn query_afresh(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>> {
        self.ready()?;
        let statement = self.prepared(sql)?;
        let result = self.client()?.query(&statement, params);
        result.map_err(|e| self.fail(e))
    }

    pub(crate) fn execute_unflushed(&mut self, sql: &str, params: Params<'_>) -> Result<u64> {
        let statement = self.prepared(sql)?;
        let result = self.client()?.execute(&statement, params);
        result.map_err(|e| self.fail(e))
    }

    pub(crate) fn query(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>> {
        self.ready()?;
        self.query_unflushed(sql, params)
    }

    pub(crate) fn query_opt(&mut self, sql: &str, params: Params<'_>) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    pub(crate) fn query_one(&mut self, sql: &str, params: Params<'_>) -> Result<Row> {
        self.query_opt(sql, params)?
            .ok_or_else(|| StoreError::Backend(format!("no row from: {sql}").into()))
    }

    pub(crate) fn execute(&mut self, sql: &str, params: Params<'_>) -> Result<u64> {
        self.ready()?;
        self.execute_unflushed(sql, params)
    }

    /// Runs statements that are not worth preparing (DDL), bulk flushed
    /// first.
    pub(crate) fn batch(&mut self, sql: &str) -> Result<()> {
        self.ready()?;
        let result = self.client()?.batch_execute(sql);
        result.map_err(|e| self.fail(e))
    }

    /// Runs a statement and hands each row to `visit` as it arrives, so a
    /// million rows never sit in memory at once; returns how many.
    pub(crate) fn stream(
        &mut self,
        sql: &str,
        params: Params<'_>,
        visit: &mut dyn FnMut(&Row) -> Result<()>,
    ) -> Result<u64> {
        use postgres::fallible_iterator::FallibleIterator;
        enum Stop {
            Pg(postgres::Error),
            Visit(StoreError),
        }
        self.ready()?;
        let statement = self.prepared(sql)?;
        let client = self.client()?;
        let outcome = (|| {
            let mut rows = client
                .query_raw(&statement, params.iter().copied())
                .map_err(Stop::Pg)?;
            let mut n = 0u64;
            while let Some(row) = rows.next().map_err(Stop::Pg)? {
                visit(&row).map_err(Stop::Visit)?;
                n += 1;
            }
            Ok(n)
        })();
        match outcome {
            Ok(n) => Ok(n),
            Err(Stop::Pg(e)) => Err(self.fail(e)),
            Err(Stop::Visit(e)) => {
                // Rows of the abandoned statement may still be on the wire.
                self.poisoned = true;
                Err(e)
            }
        }
    }

    /// Whether reads must lock what they read (inside a write transaction).
    pub(crate) fn locking(&self) -> bool {
        self.write
    }

    /// Ends a write transaction: flush, COMMIT, then move the revision.
    fn finish_commit(&mut self) -> Result<()> {
        if !self.failed {
            self.end_bulk()?;
            self.analyze_loaded()?;
        }
        self.bulk = None;
        if self.failed {
            return Err(StoreError::Backend(
                "a statement of this transaction failed, so PostgreSQL rolled all of it back"
                    .into(),
            ));
        }
        let result = self.client()?.batch_execute("COMMIT");
        // Whatever the outcome, the transaction is over (a failed COMMIT
        // rolls back; a lost connection is poisoned and closed).
        self.open = false;
        result.map_err(|e| self.fail(e))?;
        // Outside the transaction, after it became visible: readers that see
        // the new revision see this commit. The data is committed whatever
        // happens here, so a failure only retires the connection.
        let moved = self
            .client()?
            .batch_execute("SELECT nextval('store_revision')");
        if moved.is_err() {
            self.poisoned = true;
        }
        Ok(())
    }
}

/// Reads column `idx` of `row`.
pub(crate) fn get<'a, T: postgres::types::FromSql<'a>>(row: &'a Row, idx: usize) -> Result<T> {
    row.try_get(idx)
        .map_err(|e| StoreError::Corrupt(format!("column {idx}: {e}")))
}

pub(crate) fn corrupt(what: &str, value: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what} '{value}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    use tegoed_store::{CollectionRead, CollectionWrite};

    /// A read transaction answers a repeated small read from memory, and
    /// only that: other parameters, a write transaction, the revision
    /// sequence and batch reads by a list of ids go to the server; what it answers is what the server gave.
    #[test]
    fn a_read_transaction_asks_the_server_once_per_read() {
        let Some(db) = testing::scratch() else { return };
        let store = PostgresStore::open(&db.url).unwrap();
        let customer = {
            let mut tx = Box::new(store.begin(true).unwrap());
            let id = tx
                .insert_customer(&tegoed_core::Customer::new("C-1", "Een"))
                .unwrap();
            tx.add_tag(id, "vip").unwrap();
            assert!(tx.tags_of(id).unwrap().contains(&"vip".to_string()));
            tx.tags_of(id).unwrap();
            assert!(tx.memo.is_empty(), "a writer reads afresh");
            tx.commit().unwrap();
            id
        };
        let mut tx = store.begin(false).unwrap();
        let first = tx.tags_of(customer).unwrap();
        assert_eq!(tx.memo.len(), 1);
        // Changed meanwhile: the snapshot, and so the memory, keeps what
        // the transaction saw first.
        let mut other = store.write().unwrap();
        other.add_tag(customer, "late").unwrap();
        other.commit().unwrap();
        assert_eq!(tx.tags_of(customer).unwrap(), first);
        assert_eq!(tx.memo.len(), 1, "the same read, from memory");
        tx.tags_of(tegoed_core::CustomerId(customer.0 + 1)).unwrap();
        assert_eq!(tx.memo.len(), 2, "another customer, another read");
        tx.revision().unwrap();
        assert_eq!(tx.memo.len(), 2, "the revision is read afresh");
        assert_eq!(tx.customers(&[customer]).unwrap().len(), 1);
        assert_eq!(
            tx.memo.len(),
            2,
            "a batch read by a list of ids is not kept"
        );
        drop(tx);
        let mut tx = store.begin(false).unwrap();
        assert_eq!(tx.tags_of(customer).unwrap().len(), 2, "a new snapshot");
    }

    #[test]
    fn the_location_has_no_password() {
        assert_eq!(
            redact("postgres://eva:s3cret@db.example:5432/tegoed"),
            "postgres://eva@db.example:5432/tegoed"
        );
        assert_eq!(
            redact("postgresql://eva@db/tegoed?password=s3cret&sslmode=disable"),
            "postgresql://eva@db/tegoed?password=***&sslmode=disable"
        );
        assert_eq!(
            redact("host=db user=eva password=s3cret dbname=tegoed"),
            "host=db user=eva password=*** dbname=tegoed"
        );
        assert_eq!(
            redact("postgres://eva@127.0.0.1/db"),
            "postgres://eva@127.0.0.1/db"
        );
    }
}
