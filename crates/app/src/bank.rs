//! Importing bank statements (CAMT.053/052/054, MT940/MT942) and matching
//! the money that came in to open invoices.
//!
//! Each file is one transaction. Every transaction detail of a booked entry
//! gets an identity (see `tegoed_formats::statement::entry_identity`); a
//! detail whose identity is already in the ledger is a duplicate and is
//! skipped, so importing a file twice, or overlapping statements, books
//! nothing twice. Credits are matched by the core's rules (reference,
//! invoice number, IBAN + amount, else a suggestion for review). Debits are
//! not customer payments, except a refund from a customer's credit or a
//! returned direct debit, which undoes the payment it returned.

use serde::Serialize;
use tegoed_core::allocation::{self, OpenItem, Target};
use tegoed_core::matching::{Decision, Incoming, IndexedInvoice, MatchIndex, MatchRule};
use tegoed_core::{
    Allocation, AllocationSource, CustomerId, Date, Iban, InvoiceId, MatchInfo, Money, Payment,
    PaymentId, PaymentSource,
};
use tegoed_formats::statement::{self, BankEntry, Direction, EntryStatus, StatementFile, TxDetail};
use tegoed_store::{BulkTable, StatementImportRecord, WriteTx};

use crate::audit::{Detail, Label};
use crate::error::{AppError, Result};
use crate::payment_note::PaymentNote;
use crate::posting;
use crate::progress::Progress;

/// What importing one statement file did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StatementSummary {
    pub file: String,
    pub format: String,
    pub statements: u64,
    /// Transaction details in booked entries (each is one payment).
    pub transactions: u64,
    /// New incoming payments booked.
    pub payments: u64,
    pub matched_by_reference: u64,
    pub matched_by_invoice_number: u64,
    pub matched_by_iban_amount: u64,
    /// Booked as the customer's credit and flagged: the invoices named were
    /// already paid.
    pub already_paid: u64,
    /// Waiting for a person (`tegoed payments unmatched`).
    pub to_review: u64,
    /// Seen before (same file, or an overlapping statement).
    pub duplicates: u64,
    /// Outgoing money that is not a customer payment; left out.
    pub debits_skipped: u64,
    pub refunds: u64,
    /// Returned payments that undid an earlier one.
    pub reversals: u64,
    /// Pending or information-only entries, not booked by the bank yet.
    pub not_booked: u64,
    pub warnings: Vec<String>,
}

/// Loads what the matcher needs: every invoice with its number, reference
/// and open amount, the customers' IBANs and names.
pub fn load_index(tx: &mut dyn WriteTx) -> Result<MatchIndex> {
    let invoices = tx.invoice_count()? as usize;
    let customers = tx.customer_count()? as usize;
    let mut index = MatchIndex::with_capacity(invoices, customers);
    tx.scan_invoice_keys(&mut |row| {
        if row.ledger.amount_minor > 0 {
            index.add_invoice(
                IndexedInvoice {
                    id: row.ledger.invoice,
                    customer: row.ledger.customer,
                    number: row.number.to_string(),
                    issue_date: row.ledger.issue_date,
                    due_date: row.ledger.due_date,
                    currency: row.ledger.currency,
                    open_minor: row.ledger.open_minor,
                },
                row.payment_reference,
            );
        }
    })?;
    index.finish_loading();
    for (iban, customer) in tx.all_customer_ibans()? {
        index.add_customer_iban(&iban, customer);
    }
    for customer in tx.customer_directory()? {
        index.add_customer_name(customer.id, &customer.name);
    }
    Ok(index)
}

/// FNV-1a: a short, stable id from a longer identity text.
fn short_hash(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Imports one statement file in one transaction. The file is parsed on a
/// second thread while the matcher's index is loaded.
pub fn import_statement(
    tx: &mut dyn WriteTx,
    actor: &crate::access::Actor,
    file: &str,
    bytes: &[u8],
    progress: &dyn Progress,
) -> Result<StatementSummary> {
    actor.require(crate::access::Action::Import, None)?;
    std::thread::scope(|scope| {
        let parser = scope.spawn(|| statement::parse(bytes));
        let mut index = load_index(tx)?;
        let parsed = match parser.join() {
            Ok(parsed) => parsed,
            Err(panic) => std::panic::resume_unwind(panic),
        }
        .map_err(|e| AppError::File {
            file: file.to_string(),
            line: e.line,
            element: e.element,
            message: e.message,
        })?;
        let summary = book_statements(tx, &mut index, file, bytes, parsed, progress)?;
        actor.audit(
            tx,
            "import.statement",
            file,
            Detail::none()
                .number(Label::Transactions, summary.transactions)
                .number(Label::PaymentsBooked, summary.payments)
                .number(Label::ToReview, summary.to_review)
                .number(Label::SeenBefore, summary.duplicates),
        )?;
        Ok(summary)
    })
}

/// The external id of every booked transaction of the file, in file order:
/// a hash of its identity, with a count for equal transactions in one file.
fn external_ids(parsed: &StatementFile) -> Vec<String> {
    let mut seen: std::collections::HashMap<u64, u32> =
        std::collections::HashMap::with_capacity(1024);
    let mut ids = Vec::new();
    for statement in &parsed.statements {
        for entry in &statement.entries {
            if entry.status != EntryStatus::Booked {
                continue;
            }
            for (position, detail) in entry.details.iter().enumerate() {
                let identity = statement::entry_identity(
                    statement.account.as_deref(),
                    entry,
                    detail,
                    position,
                );
                let hash = short_hash(&identity);
                let occurrence = seen.entry(hash).or_insert(0);
                *occurrence += 1;
                ids.push(if *occurrence == 1 {
                    format!("BNK-{hash:016x}")
                } else {
                    format!("BNK-{hash:016x}-{occurrence}")
                });
            }
        }
    }
    ids
}

/// Books the statements of one file into `tx`, matching with `index` (kept
/// current as payments are applied).
pub fn book_statements(
    tx: &mut dyn WriteTx,
    index: &mut MatchIndex,
    file: &str,
    bytes: &[u8],
    parsed: StatementFile,
    progress: &dyn Progress,
) -> Result<StatementSummary> {
    let mut summary = StatementSummary {
        file: file.to_string(),
        format: parsed
            .statements
            .first()
            .map(|s| s.format.to_string())
            .unwrap_or_default(),
        statements: parsed.statements.len() as u64,
        warnings: parsed.warnings.clone(),
        ..StatementSummary::default()
    };
    let total: usize = parsed.statements.iter().map(|s| s.entries.len()).sum();
    // Which of the file's transactions are booked already: looked up in
    // sorted order, one walk over the payment index instead of a random
    // probe per transaction.
    let ids = external_ids(&parsed);
    let mut sorted: Vec<&str> = ids.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    let mut booked_before = rustc_hash::FxHashSet::default();
    for id in sorted {
        if tx.payment_exists(id)? {
            booked_before.insert(id.to_string());
        }
    }
    let mut ids = ids.into_iter();
    let mut pending = Pending::default();
    progress.start("entries", total as u64);
    let mut accounts: Vec<String> = Vec::new();
    for statement in &parsed.statements {
        if let Some(account) = &statement.account
            && !accounts.contains(account)
        {
            accounts.push(account.clone());
        }
        for entry in &statement.entries {
            progress.advance(1);
            if entry.status != EntryStatus::Booked {
                summary.not_booked += 1;
                continue;
            }
            for detail in &entry.details {
                summary.transactions += 1;
                let external_id = ids.next().expect("one id per booked transaction");
                if booked_before.contains(&external_id) {
                    summary.duplicates += 1;
                    continue;
                }
                let amount = detail.amount.unwrap_or(entry.amount);
                let booking = Booking {
                    external_id,
                    account: statement.account.clone(),
                    entry,
                    detail,
                    amount,
                };
                match entry.direction {
                    Direction::Credit => {
                        book_credit(tx, index, &mut pending, &booking, &mut summary)?
                    }
                    Direction::Debit => {
                        // A return or refund reads the payments back.
                        pending.flush(tx)?;
                        book_debit(tx, index, &booking, &mut summary)?
                    }
                }
            }
        }
    }
    pending.flush(tx)?;
    progress.finish();
    tx.record_statement_import(&StatementImportRecord {
        file_name: file.to_string(),
        file_hash: format!("{:016x}", short_hash(&String::from_utf8_lossy(bytes))),
        format: summary.format.clone(),
        accounts: accounts.join(","),
        statements: summary.statements,
        entries: summary.transactions,
        booked: summary.payments + summary.refunds + summary.reversals,
        duplicates: summary.duplicates,
        debits: summary.debits_skipped,
    })?;
    Ok(summary)
}

/// One transaction detail about to be booked.
struct Booking<'a> {
    external_id: String,
    account: Option<String>,
    entry: &'a BankEntry,
    detail: &'a TxDetail,
    /// Positive, in the entry's currency.
    amount: Money,
}

impl Booking<'_> {
    fn counterparty_iban(&self) -> Option<Iban> {
        self.detail
            .counterparty_account
            .as_deref()
            .and_then(|a| Iban::parse(a).ok())
    }

    fn text(&self) -> String {
        [
            self.detail.remittance.as_deref(),
            self.entry.additional_info.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
    }

    /// The payment record, signed (`-1` for money out).
    fn payment(
        &self,
        sign: i64,
        customer: Option<CustomerId>,
        invoice: Option<InvoiceId>,
    ) -> Payment {
        let reference = self
            .detail
            .structured_reference
            .clone()
            .or_else(|| self.detail.remittance.clone())
            .map(|r| r.chars().take(500).collect());
        Payment {
            external_id: self.external_id.clone(),
            date: self.entry.booking_date,
            amount: Money::new(sign * self.amount.minor, self.amount.currency),
            customer,
            invoice,
            reference,
            counterparty_iban: self.counterparty_iban(),
            counterparty_name: self.detail.counterparty_name.clone(),
            source: PaymentSource::BankStatement,
            end_to_end_id: self.detail.end_to_end_id.clone(),
            bank_account: self.account.clone(),
        }
    }
}

/// Payments of a file waiting to be written, with their allocations.
///
/// Written together, sorted — payments by external id, allocations by
/// invoice — so the million-row indexes they go into are walked in order
/// instead of at random: the statement import's largest cost. Flushed before
/// anything that reads payments back (a debit: a return or a refund) and at
/// the end of the file, inside the file's one transaction.
#[derive(Default)]
struct Pending {
    payments: Vec<(Payment, MatchInfo, Vec<Part>)>,
}

/// An allocation to write: invoice, amount, date.
type Part = (InvoiceId, i64, Date);

impl Pending {
    fn add(&mut self, payment: Payment, info: MatchInfo, parts: Vec<Part>) {
        self.payments.push((payment, info, parts));
    }

    fn flush(&mut self, tx: &mut dyn WriteTx) -> Result<()> {
        if self.payments.is_empty() {
            return Ok(());
        }
        self.payments
            .sort_unstable_by(|a, b| a.0.external_id.cmp(&b.0.external_id));
        // Nothing is read until the batch is written: the backend may send
        // it its fastest way (COPY on PostgreSQL). The external ids are new
        // (checked against the ledger and unique within the file) and the
        // invoices exist, so no row can fail on a key.
        tx.begin_bulk_load(&[BulkTable::Payment, BulkTable::Allocation])?;
        let mut allocations = Vec::new();
        for (payment, info, parts) in self.payments.drain(..) {
            let id = tx.insert_matched_payment(&payment, &info)?;
            allocations.extend(
                parts
                    .into_iter()
                    .map(|(invoice, amount_minor, date)| Allocation {
                        invoice,
                        source: AllocationSource::Payment(id),
                        amount_minor,
                        date,
                    }),
            );
        }
        allocations.sort_unstable_by_key(|a| (a.invoice, a.date));
        for allocation in &allocations {
            tx.insert_allocation(allocation)?;
        }
        tx.end_bulk_load()?;
        Ok(())
    }
}

fn book_credit(
    tx: &mut dyn WriteTx,
    index: &mut MatchIndex,
    pending: &mut Pending,
    booking: &Booking<'_>,
    summary: &mut StatementSummary,
) -> Result<()> {
    // Money back for a refund we made that bounced: restore the credit.
    if booking.entry.reversal && booking.detail.end_to_end_id.is_some() {
        pending.flush(tx)?;
    }
    if booking.entry.reversal
        && let Some(e2e) = &booking.detail.end_to_end_id
        && let Some(refund) = tx
            .payments_by_end_to_end(e2e)?
            .into_iter()
            .find(|p| p.payment.amount.minor == -booking.amount.minor)
    {
        tx.insert_matched_payment(
            &booking.payment(1, refund.payment.customer, None),
            &MatchInfo {
                rule: Some(MatchRule::Reversal),
                confidence: 100,
                reverses: Some(refund.id),
                note: Some(
                    PaymentNote::RefundCameBack {
                        refund: refund.payment.external_id.clone(),
                    }
                    .stored(),
                ),
                ..MatchInfo::default()
            },
        )?;
        summary.reversals += 1;
        return Ok(());
    }
    let text = booking.text();
    let iban = booking.counterparty_iban();
    let incoming = Incoming {
        amount: booking.amount,
        structured_reference: booking.detail.structured_reference.as_deref(),
        text: &text,
        counterparty_iban: iban.as_ref().map(|i| i.as_str()),
        counterparty_name: booking.detail.counterparty_name.as_deref(),
    };
    summary.payments += 1;
    match index.decide(&incoming) {
        Decision::Allocate {
            rule,
            confidence,
            customer,
            invoices,
        } => {
            let mut items: Vec<OpenItem> = invoices
                .iter()
                .filter_map(|i| index.invoice(*i))
                .filter(|i| i.open_minor > 0)
                .map(|i| OpenItem {
                    invoice: i.id,
                    issue_date: i.issue_date,
                    due_date: i.due_date,
                    open: Money::new(i.open_minor, i.currency),
                })
                .collect();
            let target = Target::Invoices(&invoices);
            let remainder = allocation::allocate(&items, booking.amount, target).remainder;
            let note = (remainder > 0).then(|| {
                PaymentNote::more_than_open(Money::new(remainder, booking.amount.currency)).stored()
            });
            let (plan, parts) = posting::plan_for_items(
                &mut items,
                booking.amount,
                booking.entry.booking_date,
                target,
            );
            pending.add(
                booking.payment(1, Some(customer), invoices.first().copied()),
                MatchInfo {
                    rule: Some(rule),
                    confidence,
                    note,
                    ..MatchInfo::default()
                },
                parts,
            );
            index.record(&plan.parts);
            match rule {
                MatchRule::Reference => summary.matched_by_reference += 1,
                MatchRule::InvoiceNumber => summary.matched_by_invoice_number += 1,
                _ => summary.matched_by_iban_amount += 1,
            }
        }
        Decision::AlreadyPaid {
            rule,
            confidence,
            customer,
            invoices,
        } => {
            let numbers: Vec<String> = invoices
                .iter()
                .filter_map(|i| index.invoice(*i).map(|i| i.number.clone()))
                .collect();
            pending.add(
                booking.payment(1, Some(customer), invoices.first().copied()),
                MatchInfo {
                    rule: Some(rule),
                    confidence,
                    needs_review: true,
                    note: Some(PaymentNote::AlreadyPaid { invoices: numbers }.stored()),
                    ..MatchInfo::default()
                },
                Vec::new(),
            );
            summary.already_paid += 1;
        }
        Decision::Review { suggestion, reason } => {
            pending.add(
                booking.payment(1, None, None),
                MatchInfo {
                    rule: None,
                    confidence: suggestion.as_ref().map_or(0, |s| s.confidence),
                    needs_review: true,
                    suggested_customer: suggestion.as_ref().map(|s| s.customer),
                    note: Some(
                        PaymentNote::Review {
                            reason: reason.into(),
                            suggested_because: suggestion.as_ref().map(|s| s.basis.into()),
                        }
                        .stored(),
                    ),
                    reverses: None,
                },
                Vec::new(),
            );
            summary.to_review += 1;
        }
    }
    Ok(())
}

fn book_debit(
    tx: &mut dyn WriteTx,
    index: &mut MatchIndex,
    booking: &Booking<'_>,
    summary: &mut StatementSummary,
) -> Result<()> {
    let returned = booking.entry.reversal || booking.detail.return_reason.is_some();
    if returned {
        return book_return(tx, index, booking, summary);
    }
    // A refund: money out to a customer's known account, covered by credit.
    if let Some(iban) = booking.counterparty_iban() {
        let customers = tx.customers_by_iban(&iban)?;
        if let [customer] = customers.as_slice() {
            let credit = tx.customer_credit(*customer, booking.amount.currency)?;
            if credit >= booking.amount.minor {
                tx.insert_matched_payment(
                    &booking.payment(-1, Some(*customer), None),
                    &MatchInfo {
                        rule: Some(MatchRule::Refund),
                        confidence: 90,
                        note: Some(PaymentNote::RefundOfCredit.stored()),
                        ..MatchInfo::default()
                    },
                )?;
                summary.refunds += 1;
                return Ok(());
            }
        }
    }
    summary.debits_skipped += 1;
    Ok(())
}

/// A returned payment (a direct debit the payer's bank sent back): undoes
/// the payment it returned, so its invoices are open again.
fn book_return(
    tx: &mut dyn WriteTx,
    index: &mut MatchIndex,
    booking: &Booking<'_>,
    summary: &mut StatementSummary,
) -> Result<()> {
    let reason = booking.detail.return_reason.clone();
    let original = match &booking.detail.end_to_end_id {
        Some(e2e) => {
            let candidates = tx.payments_by_end_to_end(e2e)?;
            let already_returned = |id: PaymentId| {
                candidates
                    .iter()
                    .any(|p| p.payment.amount.minor < 0 && p.id != id)
            };
            candidates
                .iter()
                .find(|p| p.payment.amount.minor == booking.amount.minor && !already_returned(p.id))
                .cloned()
        }
        None => None,
    };
    match original {
        Some(original) => {
            let allocations = tx.allocations_from(AllocationSource::Payment(original.id))?;
            let parts: Vec<(InvoiceId, i64)> = allocations
                .iter()
                .map(|a| (a.allocation.invoice, a.allocation.amount_minor))
                .collect();
            posting::unpost(tx, AllocationSource::Payment(original.id))?;
            index.unrecord(&parts);
            tx.insert_matched_payment(
                &booking.payment(-1, original.payment.customer, original.payment.invoice),
                &MatchInfo {
                    rule: Some(MatchRule::Reversal),
                    confidence: 100,
                    reverses: Some(original.id),
                    note: Some(
                        PaymentNote::Returns {
                            original: original.payment.external_id.clone(),
                            reason: reason.clone(),
                        }
                        .stored(),
                    ),
                    ..MatchInfo::default()
                },
            )?;
            let mut info = tx.payment_match(original.id)?;
            info.note = Some(
                PaymentNote::ReturnedOn {
                    date: booking.entry.booking_date.to_string(),
                }
                .stored(),
            );
            tx.set_payment_match(original.id, &info)?;
            summary.reversals += 1;
        }
        None => {
            let customer = booking
                .counterparty_iban()
                .map(|iban| tx.customers_by_iban(&iban))
                .transpose()?
                .and_then(|c| (c.len() == 1).then(|| c[0]));
            tx.insert_matched_payment(
                &booking.payment(-1, None, None),
                &MatchInfo {
                    rule: None,
                    confidence: 0,
                    needs_review: true,
                    suggested_customer: customer,
                    note: Some(PaymentNote::ReturnWithoutOriginal { reason }.stored()),
                    reverses: None,
                },
            )?;
            summary.to_review += 1;
        }
    }
    Ok(())
}
