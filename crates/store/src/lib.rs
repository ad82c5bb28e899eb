//! Persistence for Tegoed behind one interface.
//!
//! [`Store`] hands out transactions: [`ReadTx`] (a consistent snapshot) and
//! [`WriteTx`] (which also reads); everything the application reads or
//! writes goes through one, so a use case is all-or-nothing: an import that
//! fails on row 9,000 leaves the database as it was. Each backend is a crate
//! of its own that implements these traits and passes the same [`contract`]
//! story: `tegoed-store-sqlite` (embedded, the default) and
//! `tegoed-store-postgres`.
//!
//! Callers see `tegoed-core` types and the small record types below, never
//! SQL rows, and one neutral [`StoreError`].

pub mod access;
pub mod collection;
pub mod contract;
pub mod portal;
pub mod risk;
pub mod schema;

use tegoed_core::allocation::OpenItem;
use tegoed_core::customer::CustomerKind;
use tegoed_core::party::SbiCode;
use tegoed_core::{
    AccountManager, AccountManagerId, Allocation, AllocationSource, Currency, Customer, CustomerId,
    Date, Iban, Invoice, InvoiceId, MatchInfo, Payment, PaymentId,
};

pub use access::{
    AccessRead, AccessWrite, AuditEntry, PauseRequest, Session, StoredPauseRequest, StoredUser,
    User,
};
pub use access::{QuizAnswer, StoredQuizAnswer};
pub use collection::{
    Appreciation, AppreciationStatus, CollectionRead, CollectionState, CollectionWrite, Dispute,
    FourteenDayRecord, Gift, GiftStatus, HistoryRow, LadderRow, Lease, Message, MessageFilter,
    MessageItem, MessageStatus, PaymentPlan, Promise, SaleAgreement, StoredAppreciation,
    StoredDispute, StoredEvent, StoredGift, StoredMessage, StoredPlan, StoredPromise,
    StoredSaleAgreement, StoredTask, Task, TimelineEvent,
};
pub use portal::{PortalRequest, PortalToken, StoredPortalRequest};
pub use risk::{Rating, RiskRead, RiskWrite, Upsert};

/// A backend's own error, boxed: callers never see a backend type.
pub type BackendError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What can go wrong in the store, the same for every backend.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A record that should be there is not.
    #[error("not found: {0}")]
    NotFound(String),
    /// A write that conflicts with the data (a unique key, a concurrent
    /// change).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Another writer holds the database longer than a writer waits (a
    /// large import, say): try again shortly.
    #[error("the database is busy with other work (an import or a dunning run); try again shortly")]
    Busy,
    /// The database cannot be reached or opened.
    #[error("cannot open the database {location}: {source}")]
    Open {
        location: String,
        #[source]
        source: BackendError,
    },
    #[error("database migration {version} ({name}) failed: {source}")]
    Migration {
        version: u32,
        name: &'static str,
        #[source]
        source: BackendError,
    },
    #[error(
        "migration {version} ({name}) was changed after it was applied to this database; migrations must never be edited"
    )]
    MigrationChanged { version: u32, name: String },
    #[error(
        "this database has schema version {found}, newer than this Tegoed ({known}); upgrade Tegoed"
    )]
    TooNew { found: u32, known: u32 },
    #[error("the database holds a value this version cannot read: {0}")]
    Corrupt(String),
    /// Anything else the backend reports (logged; not for users).
    #[error("database error: {0}")]
    Backend(BackendError),
}

#[cfg(feature = "rusqlite")]
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                StoreError::Busy
            }
            Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::Conflict(e.to_string()),
            _ => StoreError::Backend(Box::new(e)),
        }
    }
}

#[cfg(feature = "postgres")]
impl From<postgres::Error> for StoreError {
    /// Constraint violations (unique, foreign key, check, not null,
    /// exclusion) are conflicts with the data, as SQLite's constraint errors
    /// are. Waiting too long for a lock, a serialization failure, a deadlock
    /// (the server aborts one of the two), a cancelled statement and a
    /// server out of connection slots mean "busy: try again". The message
    /// carries the server's text (with its detail), not just "db error".
    fn from(e: postgres::Error) -> StoreError {
        use postgres::error::SqlState;
        let Some(code) = e.code() else {
            return StoreError::Backend(Box::new(e));
        };
        let conflict = [
            SqlState::UNIQUE_VIOLATION,
            SqlState::FOREIGN_KEY_VIOLATION,
            SqlState::CHECK_VIOLATION,
            SqlState::NOT_NULL_VIOLATION,
            SqlState::EXCLUSION_VIOLATION,
        ];
        let busy = [
            SqlState::LOCK_NOT_AVAILABLE,
            SqlState::T_R_SERIALIZATION_FAILURE,
            SqlState::T_R_DEADLOCK_DETECTED,
            SqlState::QUERY_CANCELED,
            SqlState::TOO_MANY_CONNECTIONS,
            SqlState::CANNOT_CONNECT_NOW,
        ];
        if conflict.contains(code) {
            let text = match e.as_db_error() {
                Some(db) => db.to_string(),
                None => e.to_string(),
            };
            StoreError::Conflict(text)
        } else if busy.contains(code) {
            StoreError::Busy
        } else {
            match e.as_db_error() {
                // The server's own error reads better than "db error".
                Some(db) => StoreError::Backend(Box::new(db.clone())),
                None => StoreError::Backend(Box::new(e)),
            }
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A customer record with its id.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredCustomer {
    pub id: CustomerId,
    pub customer: Customer,
}

impl StoredCustomer {
    /// The customer's brief, as [`ReadTx::customer_directory`] lists it.
    pub fn brief(&self) -> CustomerBrief {
        let c = &self.customer;
        CustomerBrief {
            id: self.id,
            number: c.number.clone(),
            name: c.name.clone(),
            kind: c.kind,
            account_manager: c.account_manager,
            industry: c.industry.clone(),
            payment_terms_days: c.payment_terms_days,
        }
    }
}

/// Open invoices summed per due date: see [`ReadTx::open_by_due`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenByDue {
    /// `None` unless asked per customer.
    pub customer: Option<CustomerId>,
    pub currency: Currency,
    pub due_date: Date,
    /// What is open on them together (an `i128`: no sum of `i64` amounts
    /// overflows it; the report checks that it fits).
    pub open_minor: i128,
    pub count: u64,
}

/// The few customer facts reports and lookups need, cheap to load for all.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerBrief {
    pub id: CustomerId,
    pub number: String,
    pub name: String,
    pub kind: CustomerKind,
    pub account_manager: Option<AccountManagerId>,
    pub industry: Option<SbiCode>,
    pub payment_terms_days: u32,
}

/// An invoice or credit note with its id.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredInvoice {
    pub id: InvoiceId,
    pub invoice: Invoice,
}

/// The key facts of an invoice, for lookups by number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvoiceRef {
    pub id: InvoiceId,
    pub customer: CustomerId,
    pub currency: Currency,
}

/// A payment with its id.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredPayment {
    pub id: PaymentId,
    pub payment: Payment,
}

/// An allocation with its row id (so it can be changed or removed).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StoredAllocation {
    pub row: i64,
    pub allocation: Allocation,
}

/// One document in a ledger scan, with what is open on it as of the scan
/// date: positive for an invoice, negative for a credit note with credit left.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LedgerRow {
    pub invoice: InvoiceId,
    pub customer: CustomerId,
    pub issue_date: Date,
    pub due_date: Date,
    pub amount_minor: i64,
    pub open_minor: i64,
    pub currency: Currency,
    /// The date of the latest payment or credit note applied to an invoice
    /// (counted as of the scan date): the day it was settled when nothing is
    /// open.
    pub last_paid_on: Option<Date>,
}

/// A document of one customer with its open amount as of a date.
#[derive(Clone, Debug, PartialEq)]
pub struct DocumentState {
    pub id: InvoiceId,
    pub invoice: Invoice,
    pub open_minor: i64,
    /// For an invoice, the date of the latest payment or credit note applied
    /// to it (as of the same date), as in [`LedgerRow::last_paid_on`].
    pub last_paid_on: Option<Date>,
}

/// A payment with the part of it allocated as of a date.
#[derive(Clone, Debug, PartialEq)]
pub struct PaymentState {
    pub id: PaymentId,
    pub payment: Payment,
    pub allocated_minor: i64,
    /// Invoice numbers this payment was applied to, with the amounts.
    pub applied_to: Vec<(String, i64)>,
}

/// Unallocated credit of one customer (or of nobody) in one currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CreditBalance {
    pub customer: Option<CustomerId>,
    pub currency: Currency,
    pub minor: i64,
}

/// A document in the matcher's scan: the ledger facts plus its keys.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InvoiceKeyRow<'a> {
    pub ledger: LedgerRow,
    pub number: &'a str,
    pub payment_reference: Option<&'a str>,
}

/// Ways to find a customer other than by number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomerKey<'a> {
    Kvk(&'a str),
    Vat(&'a str),
    /// Peppol endpoint `scheme:id`.
    Peppol(&'a str),
}

/// A payment in the review queue.
#[derive(Clone, Debug, PartialEq)]
pub struct ReviewItem {
    pub payment: StoredPayment,
    pub info: MatchInfo,
    /// Not yet applied to invoices (negative for a return or refund).
    pub unallocated_minor: i64,
}

/// One statement file imported, for the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementImportRecord {
    pub file_name: String,
    pub file_hash: String,
    pub format: String,
    pub accounts: String,
    pub statements: u64,
    pub entries: u64,
    pub booked: u64,
    pub duplicates: u64,
    pub debits: u64,
}

/// Tables that can be bulk-loaded (see [`WriteTx::begin_bulk_load`]), in
/// foreign-key order: a row of one may refer to rows of those before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BulkTable {
    /// [`WriteTx::insert_customer`] (with the customer's IBANs).
    Customer,
    /// [`WriteTx::insert_invoice`]: invoices and credit notes.
    Invoice,
    /// [`WriteTx::insert_payment`] and [`WriteTx::insert_matched_payment`].
    Payment,
    /// [`WriteTx::insert_allocation`].
    Allocation,
}

impl BulkTable {
    /// Every bulk table, in foreign-key order.
    pub const ALL: [BulkTable; 4] = [
        BulkTable::Customer,
        BulkTable::Invoice,
        BulkTable::Payment,
        BulkTable::Allocation,
    ];
}

/// A handle on the database that gives out transactions. Cheap to share
/// between threads.
pub trait Store: Send + Sync {
    /// A read-only transaction: a consistent snapshot.
    fn read(&self) -> Result<Box<dyn ReadTx + '_>>;
    /// A read-write transaction. Dropped without [`WriteTx::commit`], it
    /// rolls back.
    fn write(&self) -> Result<Box<dyn WriteTx + '_>>;
    /// What kind of database this is (`sqlite`, `postgres`), for messages.
    fn backend(&self) -> &'static str;
    /// After a copy of a whole database into this one: brings the
    /// backend's own bookkeeping up to date, so the first users after it
    /// do not wait for it. Nothing to do by default.
    fn settle(&self) -> Result<()> {
        Ok(())
    }
}

/// Everything the application can read, inside one transaction: a
/// consistent snapshot (the collection side in [`CollectionRead`], risk in
/// [`RiskRead`], users and the audit log in [`AccessRead`]).
pub trait ReadTx: CollectionRead + RiskRead + AccessRead {
    // --- account managers ---
    fn account_managers(&mut self) -> Result<Vec<(AccountManagerId, AccountManager)>>;

    // --- customers ---
    fn customer_count(&mut self) -> Result<u64>;
    fn customer_by_number(&mut self, number: &str) -> Result<Option<StoredCustomer>>;
    fn customer(&mut self, id: CustomerId) -> Result<Option<StoredCustomer>>;
    /// The customers with these ids, in the order asked; ids that do not
    /// exist are left out.
    fn customers(&mut self, ids: &[CustomerId]) -> Result<Vec<StoredCustomer>>;
    /// Number, name and reporting facts of every customer, by id.
    fn customer_directory(&mut self) -> Result<Vec<CustomerBrief>>;
    /// Customers who pay from this IBAN.
    fn customers_by_iban(&mut self, iban: &Iban) -> Result<Vec<CustomerId>>;

    // --- invoices and credit notes ---
    fn invoice_count(&mut self) -> Result<u64>;
    fn invoice_by_number(&mut self, number: &str) -> Result<Option<StoredInvoice>>;
    fn invoice(&mut self, id: InvoiceId) -> Result<Option<StoredInvoice>>;
    /// The invoices with these ids, in the order asked; ids that do not
    /// exist are left out. One round trip where a backend is remote.
    fn invoices(&mut self, ids: &[InvoiceId]) -> Result<Vec<StoredInvoice>>;
    /// Id, customer and currency of an invoice: what a payment naming it
    /// needs, without loading the whole record.
    fn invoice_ref(&mut self, number: &str) -> Result<Option<InvoiceRef>>;
    /// The customer's invoices with money open on them (all allocations
    /// counted, whatever their date): what new money can be applied to.
    fn open_items(&mut self, customer: CustomerId) -> Result<Vec<OpenItem>>;
    /// One invoice with what is open on it (all allocations counted); `None`
    /// when it does not exist or is a credit note.
    fn open_item(&mut self, invoice: InvoiceId) -> Result<Option<OpenItem>>;
    /// Credit left on a credit note (its absolute amount minus what it paid).
    fn credit_note_remaining(&mut self, credit_note: InvoiceId) -> Result<i64>;
    /// The customer's documents issued on or before `as_of`, with their open
    /// amounts as of that date, oldest due date first.
    fn customer_documents(
        &mut self,
        customer: CustomerId,
        as_of: Date,
    ) -> Result<Vec<DocumentState>>;
    /// The allocations to these invoices (payments and credit notes applied,
    /// whatever their date), ordered by invoice and then as they were made.
    /// One round trip where a backend is remote.
    fn allocations_of(&mut self, invoices: &[InvoiceId]) -> Result<Vec<Allocation>>;
    /// Visits every document issued on or before `as_of` with its open amount
    /// as of that date (allocations dated after `as_of` do not count).
    fn scan_ledger(&mut self, as_of: Date, visit: &mut dyn FnMut(&LedgerRow)) -> Result<()>;

    /// The invoices (not credit notes) of [`ReadTx::scan_ledger`] with
    /// something open on `as_of`, summed per
    /// currency and due date, and per customer when `by_customer`, in no
    /// particular order: all the aging report needs, which decides the
    /// buckets itself. A remote backend sends a few hundred rows instead of
    /// every open invoice (a million on a go-live ledger).
    fn open_by_due(&mut self, as_of: Date, by_customer: bool) -> Result<Vec<OpenByDue>> {
        let mut sums: std::collections::HashMap<(Option<CustomerId>, Currency, Date), (i128, u64)> =
            std::collections::HashMap::new();
        self.scan_ledger(as_of, &mut |row| {
            if row.amount_minor <= 0 || row.open_minor <= 0 {
                return;
            }
            let customer = by_customer.then_some(row.customer);
            let sum = sums
                .entry((customer, row.currency, row.due_date))
                .or_default();
            sum.0 += i128::from(row.open_minor);
            sum.1 += 1;
        })?;
        Ok(sums
            .into_iter()
            .map(
                |((customer, currency, due_date), (open_minor, count))| OpenByDue {
                    customer,
                    currency,
                    due_date,
                    open_minor,
                    count,
                },
            )
            .collect())
    }
    /// Visits every document with its number and payment reference and its
    /// open amount counting all allocations (for the payment matcher).
    fn scan_invoice_keys(&mut self, visit: &mut dyn FnMut(&InvoiceKeyRow<'_>)) -> Result<()>;

    // --- payments ---
    fn payment_count(&mut self) -> Result<u64>;
    fn payment_by_external_id(&mut self, external_id: &str) -> Result<Option<StoredPayment>>;
    fn payment(&mut self, id: PaymentId) -> Result<Option<StoredPayment>>;
    /// Whether a payment with this id exists (cheaper than loading it).
    fn payment_exists(&mut self, external_id: &str) -> Result<bool>;
    /// The customer's payments dated on or before `as_of`, newest first.
    fn customer_payments(&mut self, customer: CustomerId, as_of: Date)
    -> Result<Vec<PaymentState>>;
    /// Payments dated on or before `as_of` with money not allocated, with
    /// that amount; oldest first.
    fn unallocated_payments(&mut self, as_of: Date) -> Result<Vec<(StoredPayment, i64)>>;
    /// Credit of one customer in one currency now: unallocated payments
    /// (refunds subtract) plus unused credit notes.
    fn customer_credit(&mut self, customer: CustomerId, currency: Currency) -> Result<i64>;
    /// Unallocated payments plus unused credit notes per customer and
    /// currency, as of a date.
    fn credit_balances(&mut self, as_of: Date) -> Result<Vec<CreditBalance>>;

    // --- bank matching and e-invoices ---
    /// Every (IBAN, customer) pair, from customer records and learned ones.
    fn all_customer_ibans(&mut self) -> Result<Vec<(String, CustomerId)>>;
    fn find_customer(&mut self, key: CustomerKey<'_>) -> Result<Option<StoredCustomer>>;
    fn payment_match(&mut self, id: PaymentId) -> Result<MatchInfo>;
    /// Payments with this end-to-end id (to find what a return undoes).
    fn payments_by_end_to_end(&mut self, end_to_end_id: &str) -> Result<Vec<StoredPayment>>;
    /// Payments waiting for a person, oldest first.
    fn review_queue(&mut self) -> Result<Vec<ReviewItem>>;
    /// Allocations to an invoice.
    fn allocations_to(&mut self, invoice: InvoiceId) -> Result<Vec<StoredAllocation>>;
    /// Allocations made from a payment or a credit note.
    fn allocations_from(&mut self, source: AllocationSource) -> Result<Vec<StoredAllocation>>;

    // --- the store itself ---
    /// A number that changes after every committed write transaction, in
    /// this process or another one on the same database: what a cache
    /// compares to notice that its data is old. A transaction begun after
    /// reading revision R sees every write that moved the revision to R, so
    /// a cache reads the revision first and builds from a new transaction.
    fn revision(&mut self) -> Result<i64>;
    /// Visits every row of `table` in key order, its cells in the order of
    /// [`schema::Table::columns`]; returns how many rows.
    fn copy_out(
        &mut self,
        table: &schema::Table,
        visit: &mut dyn FnMut(&[schema::Cell]) -> Result<()>,
    ) -> Result<u64>;
}

/// Everything the application can write, inside one transaction that also
/// reads; dropped without [`WriteTx::commit`], it rolls back.
pub trait WriteTx: ReadTx + CollectionWrite + RiskWrite + AccessWrite {
    /// Makes the transaction's writes durable.
    fn commit(self: Box<Self>) -> Result<()>;

    /// Announces many inserts into `tables` (empty or not, several at
    /// once, interleaved in any order), so the backend can write them its
    /// fastest way until [`WriteTx::end_bulk_load`]. Calling it again adds
    /// tables to those announced.
    ///
    /// What a backend may do meanwhile, and what stays true:
    ///
    /// * It may buffer the inserts into announced tables and send them
    ///   later, in batches, its fastest way (PostgreSQL: binary `COPY`, in
    ///   foreign-key order), or set a table's indexes aside and build them
    ///   once at the end (SQLite, only for a table that was empty).
    /// * Ids come back at once, as usual: they are the rows' ids, so they
    ///   can be used in later inserts (a payment's allocations) right away.
    /// * The rows are visible to every later statement of the transaction:
    ///   a read, an update or any other write sees them as if inserted one
    ///   by one (a backend sends what it buffered first, so a read in
    ///   between costs a round trip and makes the next batch smaller). A
    ///   lookup in a table whose indexes are set aside is correct but slow:
    ///   a caller that looks rows up in between ends the bulk load first,
    ///   or announces only tables it does not read.
    /// * An error of a buffered row, such as a duplicate key or a missing
    ///   row it refers to, may surface at a later statement, at
    ///   `end_bulk_load` or at commit, as [`StoreError::Conflict`]; the
    ///   transaction is then lost. Callers check their rows first (unique
    ///   keys within the batch, references that exist), so that a user
    ///   learns about a bad row from the caller, never from the database.
    ///
    /// Nothing else changes: the same rows end up in the same tables.
    fn begin_bulk_load(&mut self, tables: &[BulkTable]) -> Result<()>;
    /// Finishes what [`WriteTx::begin_bulk_load`] began for every announced
    /// table: sends what is buffered, builds what was set aside (commit does
    /// it too).
    fn end_bulk_load(&mut self) -> Result<()>;
    fn insert_account_manager(&mut self, manager: &AccountManager) -> Result<AccountManagerId>;
    fn update_account_manager(
        &mut self,
        id: AccountManagerId,
        manager: &AccountManager,
    ) -> Result<()>;
    fn insert_customer(&mut self, customer: &Customer) -> Result<CustomerId>;
    fn update_customer(&mut self, id: CustomerId, customer: &Customer) -> Result<()>;
    fn insert_invoice(&mut self, invoice: &Invoice) -> Result<InvoiceId>;
    fn update_invoice(&mut self, id: InvoiceId, invoice: &Invoice) -> Result<()>;
    fn insert_payment(&mut self, payment: &Payment) -> Result<PaymentId>;
    /// Inserts a payment together with what matching decided about it.
    fn insert_matched_payment(&mut self, payment: &Payment, info: &MatchInfo) -> Result<PaymentId>;
    fn update_payment(&mut self, id: PaymentId, payment: &Payment) -> Result<()>;
    /// Remembers that the customer pays from `iban` (a person confirmed it);
    /// `false` when it was known already.
    fn learn_iban(&mut self, customer: CustomerId, iban: &Iban) -> Result<bool>;
    /// Forgets a learned `iban` of the customer (a person's decision was
    /// undone); the IBANs of the customer's own record stay. `false` when
    /// there was no such learned IBAN.
    fn forget_learned_iban(&mut self, customer: CustomerId, iban: &Iban) -> Result<bool>;
    fn set_customer_peppol(&mut self, customer: CustomerId, peppol_id: &str) -> Result<()>;
    fn set_payment_match(&mut self, id: PaymentId, info: &MatchInfo) -> Result<()>;
    fn record_statement_import(&mut self, record: &StatementImportRecord) -> Result<()>;

    // --- allocations ---
    fn insert_allocation(&mut self, allocation: &Allocation) -> Result<()>;
    fn set_allocation_amount(&mut self, row: i64, amount_minor: i64) -> Result<()>;
    fn delete_allocation(&mut self, row: i64) -> Result<()>;

    /// Appends rows to `table` exactly as given, ids included (copying a
    /// database into an empty one); called as often as needed, and by
    /// commit the backend hands out new ids above the copied ones.
    fn copy_in(&mut self, table: &schema::Table, rows: &[Vec<schema::Cell>]) -> Result<()>;
}
