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
use tegoed_core::allocation::Target;
use tegoed_core::party::Email;
use tegoed_core::{
    AccountManager, AccountManagerId, AllocationSource, CustomerId, Invoice, InvoiceId, Payment,
    PaymentSource,
};
use tegoed_formats::ledger_csv::{self, CsvError, PaymentRow};
use tegoed_store::{BulkTable, CustomerBrief, WriteTx};

use crate::access::{Action, Actor};
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
        &format!(
            "{} rows: {} new, {} changed, {} unchanged",
            summary.rows, summary.inserted, summary.updated, summary.unchanged
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
    progress.start("customers", ledger_csv::estimate_rows(bytes));
    let warnings = ledger_csv::read_customers(bytes, |row| -> Result<(), Stop> {
        summary.rows += 1;
        let mut customer = row.customer;
        if let Some(name) = &row.account_manager {
            let (id, created) = managers.resolve(&mut *tx, name)?;
            customer.account_manager = Some(id);
            summary.account_managers_created += u64::from(created);
        }
        match tx.customer_by_number(&customer.number)? {
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
    actor.require(Action::Import, None)?;
    let mut summary = summary(file, "invoices");
    let directory = tx.customer_directory()?;
    let customers = customer_numbers(&directory);
    // On an empty ledger there is nothing to compare with: skip the lookups.
    let ledger_was_empty = tx.invoice_count()? == 0;
    if ledger_was_empty {
        tx.begin_bulk_load(BulkTable::Invoice)?;
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
    /// (line, id, credit note, whether it is new and so has nothing allocated)
    credit_notes: Vec<(u64, InvoiceId, Invoice, bool)>,
    counts: WriteCounts,
}

impl InvoiceWriter {
    pub(crate) fn new(ledger_was_empty: bool) -> InvoiceWriter {
        InvoiceWriter {
            ledger_was_empty,
            credit_notes: Vec::new(),
            counts: WriteCounts::default(),
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
                (tx.insert_invoice(&invoice)?, Outcome::Inserted)
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
    pub(crate) fn finish(
        mut self,
        tx: &mut dyn WriteTx,
        bad_target: &dyn Fn(u64, &str, &str) -> AppError,
    ) -> Result<WriteCounts> {
        let mut open = OpenItems::default();
        for (line, id, credit_note, fresh) in std::mem::take(&mut self.credit_notes) {
            let remaining = if fresh {
                -credit_note.amount.minor
            } else {
                tx.credit_note_remaining(id)?
            };
            if remaining <= 0 {
                continue;
            }
            let target_id = match &credit_note.credits_invoice {
                None => None,
                Some(number) => {
                    let target = tx
                        .invoice_by_number(number)?
                        .ok_or_else(|| bad_target(line, number, "unknown invoice"))?;
                    if target.invoice.customer != credit_note.customer {
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
    actor.require(Action::Import, None)?;
    let mut summary = summary(file, "payments");
    let directory = tx.customer_directory()?;
    let customers = customer_numbers(&directory);
    let no_payments_yet = tx.payment_count()? == 0;
    if no_payments_yet {
        tx.begin_bulk_load(BulkTable::Payment)?;
    }
    let mut open = OpenItems::default();
    progress.start("payments", ledger_csv::estimate_rows(bytes));
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
                let found = tx.invoice_ref(number)?.ok_or_else(|| {
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
    audit_import(tx, actor, &summary)?;
    progress.finish();
    Ok(summary)
}
