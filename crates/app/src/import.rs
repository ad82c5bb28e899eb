//! Importing customers, invoices and payments from the canonical CSV files.
//!
//! One file is one transaction: the file is parsed completely first, then
//! applied inside a single write transaction; any bad row ends the import
//! with an error naming file, line, column and value, and the database is
//! left exactly as it was. Rows are keyed (customer number, invoice number,
//! payment id), so importing the same file again changes nothing, and a
//! changed row updates its record.

use rustc_hash::FxHashMap as HashMap;

use serde::Serialize;
use tegoed_core::allocation::{OpenItem, Target};
use tegoed_core::party::Email;
use tegoed_core::{
    AccountManager, AccountManagerId, AllocationSource, CustomerId, Date, Invoice, InvoiceId,
    Money, Payment, PaymentSource,
};
use tegoed_formats::ledger_csv::{self, CsvError, PaymentRow};
use tegoed_store::{BulkTable, CustomerBrief, InvoiceRef, WriteTx};

use crate::access::{Action, Actor};
use crate::audit::Detail;
use crate::error::{AppError, Result};
use crate::posting::{self, OpenItems};
use crate::progress::Progress;

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub file: String,
    pub kind: &'static str,
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Account managers created because a customer named one not yet known.
    #[serde(skip_serializing_if = "is_zero")]
    pub account_managers_created: u64,
    /// Allocations written (payments and credit notes applied to invoices).
    #[serde(skip_serializing_if = "is_zero")]
    pub allocations: u64,
    pub warnings: Vec<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Why streaming a file stopped: the file itself, or what a row asked for.
enum Stop {
    Csv(CsvError),
    App(AppError),
    /// The other side of a pipeline stopped first.
    Cancelled,
}

impl From<CsvError> for Stop {
    fn from(error: CsvError) -> Stop {
        Stop::Csv(error)
    }
}

impl From<AppError> for Stop {
    fn from(error: AppError) -> Stop {
        Stop::App(error)
    }
}

impl From<tegoed_store::StoreError> for Stop {
    fn from(error: tegoed_store::StoreError) -> Stop {
        Stop::App(AppError::Store(error))
    }
}

impl Stop {
    fn into_app(self, file: &str) -> AppError {
        match self {
            Stop::Csv(error) => AppError::Input {
                file: file.to_string(),
                error,
            },
            Stop::App(error) => error,
            Stop::Cancelled => AppError::Invalid(format!("{file}: the import was cancelled")),
        }
    }
}

/// Runs `produce` (reading and checking rows) on a second thread and hands
/// its items, in order and in batches, to `consume` (the database work) on
/// this one, so parsing and writing a big file use both cores. The first
/// error in row order wins, as if it all ran on one thread.
fn pipeline<T: Send>(
    produce: impl FnOnce(&mut dyn FnMut(T) -> Result<(), Stop>) -> Result<Vec<String>, Stop> + Send,
    mut consume: impl FnMut(T) -> Result<(), Stop>,
) -> Result<Vec<String>, Stop> {
    const BATCH: usize = 1024;
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<T>>(16);
    std::thread::scope(|scope| {
        let producer = scope.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            let result = produce(&mut |item| {
                batch.push(item);
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    sender.send(full).map_err(|_| Stop::Cancelled)?;
                }
                Ok(())
            });
            if result.is_ok() && !batch.is_empty() {
                let _ = sender.send(batch);
            }
            result
        });
        let mut consumed = Ok(());
        'batches: for batch in receiver.iter() {
            for item in batch {
                if let Err(stop) = consume(item) {
                    consumed = Err(stop);
                    break 'batches;
                }
            }
        }
        drop(receiver);
        let produced = match producer.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        match (consumed, produced) {
            (Err(stop), _) => Err(stop),
            (Ok(()), result) => result,
        }
    })
}

/// Customers by number, for files that name many of them.
fn customer_numbers(directory: &[CustomerBrief]) -> HashMap<&str, &CustomerBrief> {
    directory.iter().map(|c| (c.number.as_str(), c)).collect()
}

/// The audit line of an import, in its transaction.
fn audit_import(tx: &mut dyn WriteTx, actor: &Actor, summary: &ImportSummary) -> Result<()> {
    actor.audit(
        tx,
        &format!("import.{}", summary.kind),
        &summary.file,
        Detail::row_counts(
            summary.rows,
            summary.inserted,
            summary.updated,
            summary.unchanged,
        ),
    )
}

fn summary(file: &str, kind: &'static str) -> ImportSummary {
    ImportSummary {
        file: file.to_string(),
        kind,
        ..ImportSummary::default()
    }
}

/// Imports a customers file.
pub fn import_customers(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    file: &str,
    bytes: &[u8],
    progress: &dyn Progress,
) -> Result<ImportSummary> {
    actor.require(Action::Import, None)?;
    let mut summary = summary(file, "customers");
    let mut managers = ManagerIndex::load(&mut *tx)?;
    // No customers yet: nothing to compare with, so no lookups, and the
    // customers go in as a bulk load (numbers are unique within the file:
    // the reader refuses a second row with the same number).
    let first_import = tx.customer_count()? == 0;
    if first_import {
        tx.begin_bulk_load(&[BulkTable::Customer])?;
    }
    progress.start("customers", ledger_csv::estimate_rows(bytes));
    let warnings = ledger_csv::read_customers(bytes, |row| -> Result<(), Stop> {
        summary.rows += 1;
        let mut customer = row.customer;
        if let Some(name) = &row.account_manager {
            let (id, created) = managers.resolve(&mut *tx, name)?;
            customer.account_manager = Some(id);
            summary.account_managers_created += u64::from(created);
        }
        let existing = if first_import {
            None
        } else {
            tx.customer_by_number(&customer.number)?
        };
        match existing {
            None => {
                tx.insert_customer(&customer)?;
                summary.inserted += 1;
            }
            Some(stored) if stored.customer == customer => summary.unchanged += 1,
            Some(stored) => {
                tx.update_customer(stored.id, &customer)?;
                summary.updated += 1;
            }
        }
        progress.advance(1);
        Ok(())
    })
    .map_err(|stop| stop.into_app(file))?;
    summary.warnings = warnings;
    tx.end_bulk_load()?;
    audit_import(tx, actor, &summary)?;
    progress.finish();
    Ok(summary)
}

/// Account managers by lower-case name and e-mail, creating missing ones.
pub(crate) struct ManagerIndex {
    by_key: HashMap<String, AccountManagerId>,
}

impl ManagerIndex {
    pub(crate) fn load(tx: &mut dyn WriteTx) -> Result<ManagerIndex> {
        let mut by_key = HashMap::default();
        for (id, manager) in tx.account_managers()? {
            by_key.insert(manager.name.to_lowercase(), id);
            if let Some(email) = &manager.email {
                by_key.insert(email.as_str().to_lowercase(), id);
            }
        }
        Ok(ManagerIndex { by_key })
    }

    /// The account manager with this name or e-mail; created when new.
    pub(crate) fn resolve(
        &mut self,
        tx: &mut dyn WriteTx,
        text: &str,
    ) -> Result<(AccountManagerId, bool)> {
        let key = text.trim().to_lowercase();
        if let Some(id) = self.by_key.get(&key) {
            return Ok((*id, false));
        }
        let manager = match Email::parse(text) {
            Ok(email) => AccountManager {
                name: name_from_email(email.as_str()),
                email: Some(email),
            },
            Err(_) => AccountManager {
                name: text.trim().to_string(),
                email: None,
            },
        };
        let id = match self.by_key.get(&manager.name.to_lowercase()) {
            Some(id) => *id,
            None => tx.insert_account_manager(&manager)?,
        };
        self.by_key.insert(key, id);
        self.by_key.insert(manager.name.to_lowercase(), id);
        Ok((id, true))
    }
}

/// "sanne.de.boer@x.nl" → "Sanne De Boer".
fn name_from_email(email: &str) -> String {
    let local = email.split('@').next().unwrap_or(email);
    local
        .split(['.', '_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Imports an invoices file (credit notes included: negative amounts).
pub fn import_invoices(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    file: &str,
    bytes: &[u8],
    progress: &dyn Progress,
) -> Result<ImportSummary> {
    invoices(tx, actor, file, bytes, progress, Lookup::BySize)
}

fn invoices(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    file: &str,
    bytes: &[u8],
    progress: &dyn Progress,
    lookup: Lookup,
) -> Result<ImportSummary> {
    actor.require(Action::Import, None)?;
    let mut summary = summary(file, "invoices");
    let directory = tx.customer_directory()?;
    let customers = customer_numbers(&directory);
    // On an empty ledger there is nothing to compare with: skip the lookups.
    let ledger_was_empty = tx.invoice_count()? == 0;
    if ledger_was_empty {
        tx.begin_bulk_load(&[BulkTable::Invoice])?;
    }
    progress.start("invoices", ledger_csv::estimate_rows(bytes));
    let produce = |each: &mut dyn FnMut((u64, Invoice)) -> Result<(), Stop>| {
        ledger_csv::read_invoices(bytes, |row| -> Result<(), Stop> {
            let customer = customers.get(row.customer_number.as_str()).ok_or_else(|| {
                AppError::row(
                    file,
                    row.line,
                    "customer_id",
                    &row.customer_number,
                    "unknown customer; import the customers file first",
                )
            })?;
            let invoice = Invoice {
                number: row.number,
                customer: customer.id,
                issue_date: row.issue_date,
                due_date: row
                    .due_date
                    .unwrap_or_else(|| row.issue_date.add_days(customer.payment_terms_days as i32)),
                amount: row.amount,
                payment_reference: row.payment_reference,
                description: row.description,
                credits_invoice: row.applies_to,
            };
            each((row.line, invoice))
        })
    };
    let mut writer = InvoiceWriter::new(ledger_was_empty);
    writer.lookup = lookup;
    let warnings = pipeline(produce, |(line, invoice)| -> Result<(), Stop> {
        summary.rows += 1;
        writer.write(&mut *tx, line, invoice)?;
        progress.advance(1);
        Ok(())
    })
    .map_err(|stop| stop.into_app(file))?;
    summary.warnings = warnings;
    tx.end_bulk_load()?;
    let counts = writer.finish(&mut *tx, &|line, number, reason| {
        AppError::row(file, line, "applies_to", number, reason)
    })?;
    summary.inserted = counts.inserted;
    summary.updated = counts.updated;
    summary.unchanged = counts.unchanged;
    summary.allocations = counts.allocations;
    audit_import(tx, actor, &summary)?;
    progress.finish();
    Ok(summary)
}

/// What writing invoices did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct WriteCounts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub allocations: u64,
}

/// Whether an invoice was new, changed, or the same as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Inserted,
    Updated,
    Unchanged,
}

/// Writes invoices and credit notes keyed by number (insert, update or
/// leave alone), then applies the credit notes once all invoices exist, so
/// a credit note may name an invoice that comes later in the same batch.
/// Shared by the CSV and the e-invoice imports.
pub(crate) struct InvoiceWriter {
    /// The ledger had no invoices: nothing to compare with, skip lookups.
    ledger_was_empty: bool,
    /// Into an empty ledger: what was written, so the credit notes find
    /// their invoices without reading the ledger back.
    written: Option<Written>,
    /// (line, id, credit note, whether it is new and so has nothing allocated)
    credit_notes: Vec<(u64, InvoiceId, Invoice, bool)>,
    counts: WriteCounts,
    /// How the credit notes find their invoices.
    lookup: Lookup,
}

impl InvoiceWriter {
    pub(crate) fn new(ledger_was_empty: bool) -> InvoiceWriter {
        InvoiceWriter {
            ledger_was_empty,
            written: ledger_was_empty.then(Written::default),
            credit_notes: Vec::new(),
            counts: WriteCounts::default(),
            lookup: Lookup::BySize,
        }
    }

    /// Inserts or updates `invoice`; `line` is where it came from.
    pub(crate) fn write(
        &mut self,
        tx: &mut dyn WriteTx,
        line: u64,
        invoice: Invoice,
    ) -> tegoed_store::Result<(InvoiceId, Outcome)> {
        let existing = if self.ledger_was_empty {
            None
        } else {
            tx.invoice_by_number(&invoice.number)?
        };
        let (id, outcome) = match existing {
            None => {
                self.counts.inserted += 1;
                let id = tx.insert_invoice(&invoice)?;
                if let Some(written) = &mut self.written {
                    written.push(id, &invoice);
                }
                (id, Outcome::Inserted)
            }
            Some(stored) if stored.invoice == invoice => {
                self.counts.unchanged += 1;
                return Ok((stored.id, Outcome::Unchanged));
            }
            Some(stored) => {
                self.counts.updated += 1;
                self.counts.allocations +=
                    release_for_update(tx, &stored.invoice, stored.id, &invoice)?;
                tx.update_invoice(stored.id, &invoice)?;
                (stored.id, Outcome::Updated)
            }
        };
        if invoice.is_credit_note() {
            self.credit_notes
                .push((line, id, invoice, outcome == Outcome::Inserted));
        }
        Ok((id, outcome))
    }

    /// Applies the credit notes written: to the invoice each names, else
    /// oldest-first. `bad_target(line, number, reason)` makes the error for
    /// a credit note that names an unknown invoice or another customer's.
    /// Called with no bulk load going on (it may run one of its own).
    pub(crate) fn finish(
        mut self,
        tx: &mut dyn WriteTx,
        bad_target: &dyn Fn(u64, &str, &str) -> AppError,
    ) -> Result<WriteCounts> {
        let credit_notes = std::mem::take(&mut self.credit_notes);
        if credit_notes.is_empty() {
            return Ok(self.counts);
        }
        let mut open = OpenItems::default();
        // Many credit notes: read the ledger once instead of each one's
        // invoice, and, with nothing read in between, write the allocations
        // as a bulk load.
        // (The tests read the ledger back with the other lookups, to
        // compare.)
        let written = self
            .written
            .take()
            .filter(|_| self.lookup == Lookup::BySize);
        let keys = if let Some(written) = written {
            let keys = written.keys(&credit_notes, &mut open);
            tx.begin_bulk_load(&[BulkTable::Allocation])?;
            Some(keys)
        } else if self.lookup.scan(&mut *tx, credit_notes.len() as u64)? {
            let keys = LedgerKeys::load(&mut *tx, &mut open)?;
            tx.begin_bulk_load(&[BulkTable::Allocation])?;
            Some(keys)
        } else {
            None
        };
        for (line, id, credit_note, fresh) in credit_notes {
            let remaining = match &keys {
                Some(keys) => keys.credit_left(id),
                None if fresh => -credit_note.amount.minor,
                None => tx.credit_note_remaining(id)?,
            };
            if remaining <= 0 {
                continue;
            }
            let target_id = match &credit_note.credits_invoice {
                None => None,
                Some(number) => {
                    let target = match &keys {
                        Some(keys) => keys.get(number),
                        None => tx.invoice_ref(number)?,
                    }
                    .ok_or_else(|| bad_target(line, number, "unknown invoice"))?;
                    if target.customer != credit_note.customer {
                        return Err(bad_target(
                            line,
                            number,
                            "that invoice belongs to another customer",
                        ));
                    }
                    Some(target.id)
                }
            };
            let named: Vec<InvoiceId> = target_id.into_iter().collect();
            let target = if named.is_empty() {
                Target::OldestFirst
            } else {
                Target::Invoices(&named)
            };
            let plan = posting::post(
                tx,
                &mut open,
                credit_note.customer,
                AllocationSource::CreditNote(id),
                tegoed_core::Money::new(remaining, credit_note.amount.currency),
                credit_note.issue_date,
                target,
            )?;
            self.counts.allocations += plan.parts.len() as u64;
        }
        if keys.is_some() {
            tx.end_bulk_load()?;
        }
        Ok(self.counts)
    }
}

/// Whether a payment row says nothing new about the stored payment. A
/// customer or invoice the file leaves empty does not undo one a person
/// assigned since (`tegoed payments assign` / `match`).
fn unchanged_in_file(stored: &Payment, file: &Payment) -> bool {
    let customer_same = file.customer.is_none() || file.customer == stored.customer;
    let invoice_same = file.invoice.is_none() || file.invoice == stored.invoice;
    customer_same
        && invoice_same
        && Payment {
            customer: stored.customer,
            invoice: stored.invoice,
            ..file.clone()
        } == *stored
}

/// Before `old` becomes `new`: gives back allocations the new version can no
/// longer carry. Returns how many allocations changed.
fn release_for_update(
    tx: &mut dyn WriteTx,
    old: &Invoice,
    id: InvoiceId,
    new: &Invoice,
) -> tegoed_store::Result<u64> {
    let moved = old.customer != new.customer
        || old.amount.currency != new.amount.currency
        || old.is_credit_note() != new.is_credit_note();
    if moved {
        // Money of one customer never pays another's invoice, and an invoice
        // that became a credit note (or back) starts over.
        Ok(posting::release_excess(tx, id, 0)?
            + posting::unpost(tx, AllocationSource::CreditNote(id))?)
    } else if new.is_credit_note() {
        posting::release_credit_excess(tx, id, -new.amount.minor)
    } else {
        posting::release_excess(tx, id, new.amount.minor)
    }
}

/// Imports a payments file. A payment that names an invoice is applied to
/// it; one that names only a customer goes to that customer's oldest open
/// items; what is left is the customer's credit. A payment with neither stays
/// unallocated until someone assigns it.
pub fn import_payments(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    file: &str,
    bytes: &[u8],
    progress: &dyn Progress,
) -> Result<ImportSummary> {
    payments(tx, actor, file, bytes, progress, Lookup::BySize)
}

fn payments(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    file: &str,
    bytes: &[u8],
    progress: &dyn Progress,
    lookup: Lookup,
) -> Result<ImportSummary> {
    actor.require(Action::Import, None)?;
    let mut summary = summary(file, "payments");
    let directory = tx.customer_directory()?;
    let customers = customer_numbers(&directory);
    let no_payments_yet = tx.payment_count()? == 0;
    let mut open = OpenItems::default();
    let rows = ledger_csv::estimate_rows(bytes);
    // A file that is large next to the ledger reads every invoice once (one
    // scan) instead of looking up each row's invoice and open items; then
    // nothing is read between the inserts, and the payments and their
    // allocations go in as one bulk load.
    let ledger = if lookup.scan(&mut *tx, rows)? {
        Some(LedgerKeys::load(&mut *tx, &mut open)?)
    } else {
        None
    };
    if no_payments_yet {
        if ledger.is_some() {
            tx.begin_bulk_load(&[BulkTable::Payment, BulkTable::Allocation])?;
        } else {
            tx.begin_bulk_load(&[BulkTable::Payment])?;
        }
    }
    progress.start("payments", rows);
    let produce = |each: &mut dyn FnMut((PaymentRow, Option<CustomerId>)) -> Result<(), Stop>| {
        ledger_csv::read_payments(bytes, |row| -> Result<(), Stop> {
            let customer = match &row.customer_number {
                None => None,
                Some(number) => Some(
                    customers
                        .get(number.as_str())
                        .ok_or_else(|| {
                            AppError::row(
                                file,
                                row.line,
                                "customer_id",
                                number,
                                "unknown customer; import the customers file first",
                            )
                        })?
                        .id,
                ),
            };
            each((row, customer))
        })
    };
    let warnings = pipeline(produce, |(row, mut customer)| -> Result<(), Stop> {
        summary.rows += 1;
        let invoice = match &row.invoice_number {
            None => None,
            Some(number) => {
                let found = match &ledger {
                    Some(keys) => keys.get(number),
                    None => tx.invoice_ref(number)?,
                };
                let found = found.ok_or_else(|| {
                    AppError::row(file, row.line, "invoice_number", number, "unknown invoice")
                })?;
                if let Some(c) = customer
                    && c != found.customer
                {
                    return Err(AppError::row(
                        file,
                        row.line,
                        "invoice_number",
                        number,
                        format!(
                            "that invoice belongs to another customer than {}",
                            row.customer_number.as_deref().unwrap_or("")
                        ),
                    )
                    .into());
                }
                if found.currency != row.amount.currency {
                    return Err(AppError::row(
                        file,
                        row.line,
                        "currency",
                        row.amount.currency.code(),
                        format!("invoice {number} is in {}", found.currency),
                    )
                    .into());
                }
                customer = Some(found.customer);
                Some(found.id)
            }
        };
        let payment = Payment {
            external_id: row.payment_id,
            date: row.date,
            amount: row.amount,
            customer,
            invoice,
            reference: row.reference,
            counterparty_iban: row.counterparty_iban,
            counterparty_name: row.counterparty_name,
            source: PaymentSource::Csv,
            end_to_end_id: None,
            bank_account: None,
        };
        let existing = if no_payments_yet {
            None
        } else {
            tx.payment_by_external_id(&payment.external_id)?
        };
        let id = match existing {
            Some(stored) if unchanged_in_file(&stored.payment, &payment) => {
                summary.unchanged += 1;
                progress.advance(1);
                return Ok(());
            }
            Some(stored) => {
                posting::unpost(&mut *tx, AllocationSource::Payment(stored.id))?;
                for c in [stored.payment.customer, payment.customer]
                    .into_iter()
                    .flatten()
                {
                    open.invalidate(c);
                }
                tx.update_payment(stored.id, &payment)?;
                summary.updated += 1;
                stored.id
            }
            None => {
                summary.inserted += 1;
                tx.insert_payment(&payment)?
            }
        };
        if let Some(customer) = payment.customer {
            let named: Vec<InvoiceId> = payment.invoice.into_iter().collect();
            let target = if named.is_empty() {
                Target::OldestFirst
            } else {
                Target::Invoices(&named)
            };
            let plan = posting::post(
                &mut *tx,
                &mut open,
                customer,
                AllocationSource::Payment(id),
                payment.amount,
                payment.date,
                target,
            )?;
            summary.allocations += plan.parts.len() as u64;
        }
        progress.advance(1);
        Ok(())
    })
    .map_err(|stop| stop.into_app(file))?;
    summary.warnings = warnings;
    tx.end_bulk_load()?;
    audit_import(tx, actor, &summary)?;
    progress.finish();
    Ok(summary)
}

/// A file with at least one row per this many invoices in the ledger reads
/// the whole ledger once ([`LedgerKeys`]) rather than looking up what each
/// row needs: a scan of the ledger costs about as much as this many
/// lookups (on PostgreSQL, where each lookup is a round trip).
const PRELOAD_RATIO: u64 = 64;

/// How an import finds the documents its rows name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lookup {
    /// Read the whole ledger first when the rows are many next to it.
    BySize,
    /// Always read the whole ledger first ([`LedgerKeys`]); the tests
    /// compare both ways on small files.
    #[cfg_attr(not(test), allow(dead_code))]
    Scan,
    /// Always look up row by row.
    #[cfg_attr(not(test), allow(dead_code))]
    PerRow,
}

impl Lookup {
    /// Whether `rows` rows read the whole ledger first.
    fn scan(self, tx: &mut dyn WriteTx, rows: u64) -> tegoed_store::Result<bool> {
        Ok(match self {
            Lookup::BySize => rows.saturating_mul(PRELOAD_RATIO) >= tx.invoice_count()?,
            Lookup::Scan => true,
            Lookup::PerRow => false,
        })
    }
}

/// Every document's id, customer and currency by number, and the credit
/// left on each credit note, from one scan of the ledger; the scan also
/// gives every customer's open items, so posting reads nothing either.
///
/// The reads are those of the transaction's snapshot and lock nothing (as
/// the statement import's matcher index): on PostgreSQL a writer posting to
/// the same invoices at the same time is not waited for.
struct LedgerKeys {
    by_number: HashMap<Box<str>, InvoiceRef>,
    credit_left: HashMap<InvoiceId, i64>,
}

impl LedgerKeys {
    fn load(tx: &mut dyn WriteTx, open: &mut OpenItems) -> tegoed_store::Result<LedgerKeys> {
        let capacity = usize::try_from(tx.invoice_count()?).unwrap_or(0);
        let mut by_number: HashMap<Box<str>, InvoiceRef> =
            HashMap::with_capacity_and_hasher(capacity, Default::default());
        let mut credit_left = HashMap::default();
        let mut items: HashMap<CustomerId, Vec<OpenItem>> = HashMap::default();
        tx.scan_invoice_keys(&mut |row| {
            let ledger = &row.ledger;
            by_number.insert(
                row.number.into(),
                InvoiceRef {
                    id: ledger.invoice,
                    customer: ledger.customer,
                    currency: ledger.currency,
                },
            );
            if ledger.amount_minor < 0 {
                // Open on a credit note is what it has left, negative.
                credit_left.insert(ledger.invoice, -ledger.open_minor);
            } else if ledger.amount_minor > 0 && ledger.open_minor > 0 {
                // What `open_items` gives: invoices with money open.
                items.entry(ledger.customer).or_default().push(OpenItem {
                    invoice: ledger.invoice,
                    issue_date: ledger.issue_date,
                    due_date: ledger.due_date,
                    open: Money::new(ledger.open_minor, ledger.currency),
                });
            }
        })?;
        preload(open, items);
        Ok(LedgerKeys {
            by_number,
            credit_left,
        })
    }

    fn get(&self, number: &str) -> Option<InvoiceRef> {
        self.by_number.get(number).copied()
    }

    /// What [`tegoed_store::ReadTx::credit_note_remaining`] gives.
    fn credit_left(&self, credit_note: InvoiceId) -> i64 {
        self.credit_left.get(&credit_note).copied().unwrap_or(0)
    }
}

/// Hands `open` every customer's items in the order
/// [`tegoed_store::ReadTx::open_items`] gives them.
fn preload(open: &mut OpenItems, mut items: HashMap<CustomerId, Vec<OpenItem>>) {
    for list in items.values_mut() {
        list.sort_unstable_by_key(|item| (item.due_date, item.issue_date, item.invoice));
    }
    open.preload_all(items);
}

/// What an import into an empty ledger wrote, kept compactly (every
/// number in one string) so its credit notes are applied from memory: the
/// ledger holds nothing else, so nothing is paid yet and a credit note has
/// all of itself left. Reading a million invoices back took 2 s of a 10 s
/// go-live load on PostgreSQL.
#[derive(Default)]
struct Written {
    numbers: String,
    rows: Vec<WrittenRow>,
}

struct WrittenRow {
    /// Where the number ends in [`Written::numbers`].
    end: usize,
    id: InvoiceId,
    customer: CustomerId,
    issue_date: Date,
    due_date: Date,
    amount: Money,
}

impl Written {
    fn push(&mut self, id: InvoiceId, invoice: &Invoice) {
        self.numbers.push_str(&invoice.number);
        self.rows.push(WrittenRow {
            end: self.numbers.len(),
            id,
            customer: invoice.customer,
            issue_date: invoice.issue_date,
            due_date: invoice.due_date,
            amount: invoice.amount,
        });
    }

    /// The keys [`LedgerKeys::load`] would read for these credit notes: the
    /// invoices they name, and the open items of their customers.
    fn keys(
        self,
        credit_notes: &[(u64, InvoiceId, Invoice, bool)],
        open: &mut OpenItems,
    ) -> LedgerKeys {
        let named: rustc_hash::FxHashSet<&str> = credit_notes
            .iter()
            .filter_map(|(_, _, note, _)| note.credits_invoice.as_deref())
            .collect();
        let customers: rustc_hash::FxHashSet<CustomerId> = credit_notes
            .iter()
            .map(|(_, _, note, _)| note.customer)
            .collect();
        let mut by_number = HashMap::default();
        let mut credit_left = HashMap::default();
        let mut items: HashMap<CustomerId, Vec<OpenItem>> = HashMap::default();
        let mut start = 0;
        for row in &self.rows {
            let number = &self.numbers[start..row.end];
            start = row.end;
            if named.contains(number) {
                let key = InvoiceRef {
                    id: row.id,
                    customer: row.customer,
                    currency: row.amount.currency,
                };
                by_number.insert(number.into(), key);
            }
            if row.amount.minor < 0 {
                credit_left.insert(row.id, -row.amount.minor);
            } else if row.amount.minor > 0 && customers.contains(&row.customer) {
                items.entry(row.customer).or_default().push(OpenItem {
                    invoice: row.id,
                    issue_date: row.issue_date,
                    due_date: row.due_date,
                    open: row.amount,
                });
            }
        }
        // Only the credit notes' customers are asked for.
        preload(open, items);
        LedgerKeys {
            by_number,
            credit_left,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{self, CsvSink, DemoConfig};
    use crate::{Silent, write_tx};
    use tegoed_store::Store;
    use tegoed_store::schema::{self, Cell};
    use tegoed_store_sqlite::SqliteStore;

    /// The demo's customers, invoices and payments files.
    struct CsvSet {
        customers: Vec<u8>,
        invoices: Vec<u8>,
        payments: Vec<u8>,
    }

    fn csv_set(customers: u32) -> CsvSet {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str| std::fs::File::create(dir.path().join(name)).unwrap();
        let mut sink = CsvSink::new(
            file("customers.csv"),
            file("invoices.csv"),
            file("payments.csv"),
        )
        .unwrap();
        let config = DemoConfig {
            customers,
            ..DemoConfig::default_on(Date::parse_iso("2026-11-25").unwrap())
        };
        demo::generate(&config, &mut sink, &Silent).unwrap();
        sink.finish().unwrap();
        let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
        CsvSet {
            customers: read("customers.csv"),
            invoices: read("invoices.csv"),
            payments: read("payments.csv"),
        }
    }

    fn actor() -> Actor {
        Actor::system("test", 0)
    }

    /// Imports the customers and invoices; gives the invoices' summary.
    fn import_ledger(store: &dyn Store, set: &CsvSet, lookup: Lookup) -> ImportSummary {
        write_tx(store, |tx| {
            import_customers(tx, &actor(), "customers.csv", &set.customers, &Silent)
        })
        .unwrap();
        write_tx(store, |tx| {
            invoices(tx, &actor(), "invoices.csv", &set.invoices, &Silent, lookup)
        })
        .unwrap()
    }

    fn import_payments_with(store: &dyn Store, bytes: &[u8], lookup: Lookup) -> ImportSummary {
        write_tx(store, |tx| {
            payments(tx, &actor(), "payments.csv", bytes, &Silent, lookup)
        })
        .unwrap()
    }

    /// Every row of the ledger's tables, with the ids of customers,
    /// invoices and payments replaced by their keys (numbers, external
    /// ids): the ids a backend hands out after a bulk load may differ
    /// (PostgreSQL takes them from its sequences in blocks), the rows may
    /// not. Sorted, so the order rows were written in does not matter.
    fn ledger(store: &dyn Store) -> Vec<(&'static str, Vec<String>)> {
        let mut tx = store.read().unwrap();
        let mut raw = Vec::new();
        for name in [
            "account_manager",
            "customer",
            "customer_iban",
            "invoice",
            "payment",
            "allocation",
        ] {
            let table = schema::table(name).unwrap();
            let mut rows = Vec::new();
            tx.copy_out(table, &mut |cells| {
                rows.push(cells.to_vec());
                Ok(())
            })
            .unwrap();
            raw.push((table, rows));
        }
        let mut keys: HashMap<(&str, i64), Cell> = HashMap::default();
        for (table, key) in [("customer", 1), ("invoice", 1), ("payment", 1)] {
            let (_, rows) = raw.iter().find(|(t, _)| t.name == table).unwrap();
            for row in rows {
                if let Cell::Int(id) = row[0] {
                    keys.insert((table, id), row[key].clone());
                }
            }
        }
        raw.iter()
            .map(|(table, rows)| {
                let mut out: Vec<String> = rows
                    .iter()
                    .map(|row| {
                        let cells: Vec<Cell> = row
                            .iter()
                            .zip(table.columns)
                            .map(|(cell, (column, _))| {
                                let refers = match *column {
                                    "id" if table.name != "account_manager" => {
                                        return Cell::Null;
                                    }
                                    "customer_id" | "suggested_customer_id" => "customer",
                                    "invoice_id" | "credit_note_id" => "invoice",
                                    "payment_id" | "reverses_payment_id" => "payment",
                                    _ => return cell.clone(),
                                };
                                match cell {
                                    Cell::Int(id) => keys[&(refers, *id)].clone(),
                                    other => other.clone(),
                                }
                            })
                            .collect();
                        format!("{cells:?}")
                    })
                    .collect();
                out.sort_unstable();
                (table.name, out)
            })
            .collect()
    }

    /// The first `keep` payment rows, and every fifth row of the whole file
    /// paid with another amount: a second import that adds and changes.
    fn payment_files(payments: &[u8], keep: usize) -> (Vec<u8>, Vec<u8>) {
        let text = std::str::from_utf8(payments).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        let rows: Vec<&str> = lines.collect();
        let mut first = format!("{header}\n");
        for row in &rows[..keep] {
            first.push_str(row);
            first.push('\n');
        }
        let mut second = format!("{header}\n");
        for (n, row) in rows.iter().enumerate() {
            if n % 5 == 0 && !row.contains('"') {
                let mut cells: Vec<&str> = row.split(',').collect();
                cells[2] = "7.50";
                second.push_str(&cells.join(","));
            } else {
                second.push_str(row);
            }
            second.push('\n');
        }
        (first.into_bytes(), second.into_bytes())
    }

    fn sqlite(dir: &std::path::Path, name: &str) -> SqliteStore {
        SqliteStore::open(dir.join(format!("{name}.db"))).unwrap()
    }

    /// Reading the ledger once (and bulk-loading the rows), or applying the
    /// credit notes of a first load from what it wrote, writes exactly
    /// what looking up row by row writes: the same rows with the same ids,
    /// on a first import, on one that adds and changes payments, and on
    /// PostgreSQL (when a test server is configured) as on SQLite.
    #[test]
    fn reading_the_ledger_once_writes_what_row_by_row_lookups_write() {
        let mut set = csv_set(60);
        // Every other credit note names no invoice: it goes oldest-first.
        let mut other = false;
        let text = String::from_utf8(set.invoices).unwrap();
        let lines: Vec<String> = text
            .lines()
            .map(|line| match line.rsplit_once(',') {
                Some((head, named)) if !named.is_empty() && head.contains(",-") => {
                    other = !other;
                    if other {
                        format!("{head},")
                    } else {
                        line.to_string()
                    }
                }
                _ => line.to_string(),
            })
            .collect();
        set.invoices = (lines.join("\n") + "\n").into_bytes();
        let rows = ledger_csv::estimate_rows(&set.payments) as usize;
        let (first, second) = payment_files(&set.payments, rows * 3 / 5);
        let dir = tempfile::tempdir().unwrap();
        let run = |store: &dyn Store, lookup: Lookup| {
            let invoices = import_ledger(store, &set, lookup);
            assert!(invoices.allocations > 0, "credit notes applied");
            let one = import_payments_with(store, &first, lookup);
            let two = import_payments_with(store, &second, lookup);
            assert!(two.updated > 0 && two.inserted > 0 && two.unchanged > 0);
            let three = import_payments_with(store, &second, lookup);
            assert_eq!(three.unchanged, three.rows, "a second run changes nothing");
            (one, two, ledger(store))
        };
        let per_row = sqlite(dir.path(), "per-row");
        let scan = sqlite(dir.path(), "scan");
        let expected = run(&per_row, Lookup::PerRow);
        assert!(expected.2[5].1.len() > 100, "allocations written");
        assert_eq!(run(&scan, Lookup::Scan), expected, "SQLite, one scan");
        // As imports run: into the empty ledger from what was written.
        let memory = sqlite(dir.path(), "memory");
        assert_eq!(
            run(&memory, Lookup::BySize),
            expected,
            "SQLite, from memory"
        );
        for lookup in [Lookup::Scan, Lookup::BySize] {
            if let Some(db) = tegoed_store_postgres::testing::scratch() {
                let postgres = tegoed_store_postgres::PostgresStore::open(&db.url).unwrap();
                assert_eq!(run(&postgres, lookup), expected, "PostgreSQL, {lookup:?}");
            }
        }
        if let Some(db) = tegoed_store_postgres::testing::scratch() {
            let postgres = tegoed_store_postgres::PostgresStore::open(&db.url).unwrap();
            assert_eq!(
                run(&postgres, Lookup::PerRow),
                expected,
                "PostgreSQL, row by row"
            );
        }
    }

    /// However the ledger is read, a bad row is named by file, line, column
    /// and value, and nothing of the file is saved.
    #[test]
    fn a_bad_row_is_named_whichever_way_the_ledger_is_read() {
        let set = csv_set(5);
        let text = std::str::from_utf8(&set.payments).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        let good = lines.next().unwrap();
        let bad_payments =
            format!("{header}\n{good}\nPAY-BAD,2026-01-05,10.00,EUR,C000001,2099-0000001,,,\n");
        let invoices = format!(
            "{}CN-BAD,C000001,2026-01-05,-5.00,,EUR,,,2099-0000404\n",
            std::str::from_utf8(&set.invoices).unwrap()
        );
        let dir = tempfile::tempdir().unwrap();
        for (n, lookup) in [Lookup::PerRow, Lookup::Scan].into_iter().enumerate() {
            let store = sqlite(dir.path(), &format!("bad-{n}"));
            write_tx(&store, |tx| {
                import_customers(tx, &actor(), "customers.csv", &set.customers, &Silent)
            })
            .unwrap();
            let error = write_tx(&store, |tx| invoices_with(tx, invoices.as_bytes(), lookup))
                .unwrap_err()
                .to_string();
            let line = invoices.lines().count();
            assert!(
                error.contains(&format!(
                    "invoices.csv: line {line}, column 'applies_to', value '2099-0000404'"
                )),
                "{lookup:?}: {error}"
            );
            assert_eq!(store.read().unwrap().invoice_count().unwrap(), 0);
            import_ledger(&store, &set, lookup);
            let error = write_tx(&store, |tx| {
                payments(
                    tx,
                    &actor(),
                    "payments.csv",
                    bad_payments.as_bytes(),
                    &Silent,
                    lookup,
                )
            })
            .unwrap_err()
            .to_string();
            assert!(
                error.contains("payments.csv: line 3, column 'invoice_number', value '2099-0000001': unknown invoice"),
                "{lookup:?}: {error}"
            );
            assert_eq!(store.read().unwrap().payment_count().unwrap(), 0);
        }
    }

    fn invoices_with(tx: &mut dyn WriteTx, bytes: &[u8], lookup: Lookup) -> Result<ImportSummary> {
        invoices(tx, &actor(), "invoices.csv", bytes, &Silent, lookup)
    }
}
