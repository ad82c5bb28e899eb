//! What is known about every customer on a date, from one pass over the
//! ledger: the facts segments (and later the risk model) decide on, and the
//! open documents the dunning run works from.
//!
//! Money facts count documents in euros only; other currencies are never
//! converted silently. Payment behaviour looks at invoices settled in the
//! twelve months up to the date: how many days after the due date the last
//! money arrived (early counts as zero), the share more than
//! [`LATE_GRACE_DAYS`] late, and the trend (the last three against the three
//! before).

use rustc_hash::FxHashMap;
use tegoed_core::segment::{CustomerFacts, LATE_GRACE_DAYS};
use tegoed_core::{Currency, CustomerId, Date, InvoiceId};
use tegoed_store::{
    CollectionState, CustomerBrief, DocumentState, LedgerRow, PaymentState, ReadTx, StoredCustomer,
};

use crate::{AppError, Result};

/// A document with money open on it as of the snapshot date: an invoice
/// (positive) or a credit note with credit left (negative).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenDoc {
    pub invoice: InvoiceId,
    pub issue_date: Date,
    pub due_date: Date,
    pub amount_minor: i64,
    pub open_minor: i64,
    pub currency: Currency,
}

/// Every customer with their facts and open documents on one date.
pub struct Snapshot {
    pub as_of: Date,
    pub customers: Vec<CustomerBrief>,
    pub facts: Vec<CustomerFacts>,
    pub open: Vec<Vec<OpenDoc>>,
    /// Unallocated payments and unused credit notes, in euros.
    pub credit_minor: Vec<i64>,
    pub states: Vec<CollectionState>,
    index: CustomerIndex,
}

impl Snapshot {
    pub fn position(&self, customer: CustomerId) -> Option<usize> {
        self.index.get(customer)
    }
}

/// Where each customer is in a list, looked up once per ledger row: a
/// table by id when the ids are dense (as the store hands them out), a
/// hash map otherwise.
enum CustomerIndex {
    Dense(Vec<u32>),
    Sparse(FxHashMap<CustomerId, usize>),
}

impl CustomerIndex {
    const NONE: u32 = u32::MAX;

    fn new(customers: &[CustomerBrief]) -> CustomerIndex {
        let max = customers.iter().map(|c| c.id.0).max().unwrap_or(0);
        let dense = max >= 0
            && (max as u64) < 4 * customers.len() as u64 + 1024
            && customers.len() < Self::NONE as usize;
        if dense {
            let mut table = vec![Self::NONE; max as usize + 1];
            for (i, c) in customers.iter().enumerate() {
                if let Ok(id) = usize::try_from(c.id.0) {
                    table[id] = i as u32;
                }
            }
            CustomerIndex::Dense(table)
        } else {
            CustomerIndex::Sparse(
                customers
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.id, i))
                    .collect(),
            )
        }
    }

    fn get(&self, customer: CustomerId) -> Option<usize> {
        match self {
            CustomerIndex::Dense(table) => usize::try_from(customer.0)
                .ok()
                .and_then(|id| table.get(id))
                .filter(|i| **i != Self::NONE)
                .map(|i| *i as usize),
            CustomerIndex::Sparse(map) => map.get(&customer).copied(),
        }
    }
}

/// Running totals for one customer while the ledger streams by.
#[derive(Default, Clone)]
struct Acc {
    first_issue: Option<Date>,
    /// (settled on, days late) of invoices settled in the last 12 months.
    settled: Vec<(Date, i32)>,
}

/// Folds ledger rows into facts.
pub struct FactsBuilder {
    as_of: Date,
    year_ago: Date,
    facts: Vec<CustomerFacts>,
    open: Vec<Vec<OpenDoc>>,
    acc: Vec<Acc>,
    /// Set when a total overflowed: [`FactsBuilder::finish`] then fails.
    overflow: bool,
}

impl FactsBuilder {
    pub fn new(as_of: Date, customers: &[CustomerBrief]) -> FactsBuilder {
        FactsBuilder {
            as_of,
            year_ago: as_of.add_years(-1),
            facts: customers
                .iter()
                .map(|c| CustomerFacts {
                    kind: c.kind,
                    industry: c.industry.clone(),
                    ..CustomerFacts::default()
                })
                .collect(),
            open: vec![Vec::new(); customers.len()],
            acc: vec![Acc::default(); customers.len()],
            overflow: false,
        }
    }

    /// Adds one document of the customer at `idx`.
    pub fn add(&mut self, idx: usize, row: &LedgerRow) {
        let acc = &mut self.acc[idx];
        acc.first_issue = Some(
            acc.first_issue
                .map_or(row.issue_date, |d| d.min(row.issue_date)),
        );
        if row.open_minor != 0 {
            self.open[idx].push(OpenDoc {
                invoice: row.invoice,
                issue_date: row.issue_date,
                due_date: row.due_date,
                amount_minor: row.amount_minor,
                open_minor: row.open_minor,
                currency: row.currency,
            });
        }
        if row.currency != Currency::EUR {
            return;
        }
        let facts = &mut self.facts[idx];
        // Checked: an overflow makes `finish` fail rather than wrap.
        let mut add = |total: &mut i64, amount: i64| match total.checked_add(amount) {
            Some(sum) => *total = sum,
            None => self.overflow = true,
        };
        if row.issue_date > self.year_ago {
            add(&mut facts.revenue_12m_minor, row.amount_minor);
        }
        if row.amount_minor > 0 && row.open_minor > 0 {
            add(&mut facts.open_minor, row.open_minor);
            if row.due_date < self.as_of {
                add(&mut facts.overdue_minor, row.open_minor);
                facts.max_days_overdue = facts
                    .max_days_overdue
                    .max(row.due_date.days_until(self.as_of));
            }
        }
        if row.amount_minor > 0
            && row.open_minor == 0
            && let Some(settled) = row.last_paid_on
            && settled > self.year_ago
        {
            acc.settled
                .push((settled, row.due_date.days_until(settled).max(0)));
        }
    }

    /// The facts and open documents, with tags added.
    pub fn finish(
        mut self,
        tags: &FxHashMap<CustomerId, Vec<String>>,
        customers: &[CustomerBrief],
    ) -> Result<(Vec<CustomerFacts>, Vec<Vec<OpenDoc>>)> {
        if self.overflow {
            return Err(tegoed_core::MoneyError::Overflow.into());
        }
        for (idx, acc) in self.acc.iter_mut().enumerate() {
            let facts = &mut self.facts[idx];
            facts.customer_age_days = acc
                .first_issue
                .map_or(0, |d| d.days_until(self.as_of).max(0));
            if let Some(t) = tags.get(&customers[idx].id) {
                facts.tags = t.clone();
            }
            let n = acc.settled.len();
            facts.paid_invoices_12m = n as u32;
            if n == 0 {
                continue;
            }
            let total: i64 = acc.settled.iter().map(|s| i64::from(s.1)).sum();
            facts.avg_days_late = Some(total as f64 / n as f64);
            let late = acc.settled.iter().filter(|s| s.1 > LATE_GRACE_DAYS).count();
            facts.share_paid_late = Some(late as f64 / n as f64);
            if n >= 6 {
                acc.settled.sort_unstable();
                let mean = |part: &[(Date, i32)]| {
                    part.iter().map(|s| f64::from(s.1)).sum::<f64>() / part.len() as f64
                };
                facts.trend_days =
                    Some(mean(&acc.settled[n - 3..]) - mean(&acc.settled[n - 6..n - 3]));
            }
        }
        for docs in &mut self.open {
            docs.sort_unstable_by_key(|d| (d.due_date, d.invoice));
        }
        Ok((self.facts, self.open))
    }
}

fn tag_map(tx: &mut dyn ReadTx) -> Result<FxHashMap<CustomerId, Vec<String>>> {
    let mut tags: FxHashMap<CustomerId, Vec<String>> = FxHashMap::default();
    for (customer, tag) in tx.all_tags()? {
        tags.entry(customer).or_default().push(tag);
    }
    for list in tags.values_mut() {
        list.sort();
    }
    Ok(tags)
}

/// Facts and open documents of every customer on `as_of`, in one read
/// transaction (a consistent picture).
pub fn snapshot(tx: &mut dyn ReadTx, as_of: Date) -> Result<Snapshot> {
    snapshot_visiting(tx, as_of, &mut |_, _| {})
}

/// [`snapshot`], handing each ledger row with its customer's position to
/// `visit` as well, so what else needs every row (the risk histories) is
/// built from the same read.
pub(crate) fn snapshot_visiting(
    tx: &mut dyn ReadTx,
    as_of: Date,
    visit: &mut dyn FnMut(usize, &LedgerRow),
) -> Result<Snapshot> {
    let customers = tx.customer_directory()?;
    let index = CustomerIndex::new(&customers);
    let mut builder = FactsBuilder::new(as_of, &customers);
    tx.scan_ledger(as_of, &mut |row| {
        if let Some(idx) = index.get(row.customer) {
            builder.add(idx, row);
            visit(idx, row);
        }
    })?;
    let tags = tag_map(tx)?;
    let (facts, open) = builder.finish(&tags, &customers)?;
    let mut credit_minor = vec![0i64; customers.len()];
    for balance in tx.credit_balances(as_of)? {
        if balance.currency == Currency::EUR
            && let Some(idx) = balance.customer.and_then(|c| index.get(c))
        {
            credit_minor[idx] = tegoed_core::money::add_minor(credit_minor[idx], balance.minor)?;
        }
    }
    let mut states = vec![CollectionState::default(); customers.len()];
    for (customer, state) in tx.collection_states()? {
        if let Some(idx) = index.get(customer) {
            states[idx] = state;
        }
    }
    Ok(Snapshot {
        as_of,
        customers,
        facts,
        open,
        credit_minor,
        states,
        index,
    })
}

/// One customer's ledger on a date, read once: what a customer page shows
/// several ways (statement, segment, risk, check, timeline) without reading
/// the same rows again for each.
pub struct CustomerLedger {
    pub stored: StoredCustomer,
    /// Documents issued on or before the date, oldest due date first.
    pub documents: Vec<DocumentState>,
    /// Payments received on or before the date, newest first.
    pub payments: Vec<PaymentState>,
    /// The documents as ledger rows (facts, risk).
    pub rows: Vec<LedgerRow>,
}

impl CustomerLedger {
    /// Reads customer `number`'s ledger as of `as_of` in `tx`.
    pub fn load(tx: &mut dyn ReadTx, number: &str, as_of: Date) -> Result<CustomerLedger> {
        let stored = tx
            .customer_by_number(number)?
            .ok_or_else(|| AppError::NotFound(format!("no customer with number '{number}'")))?;
        let documents = tx.customer_documents(stored.id, as_of)?;
        let payments = tx.customer_payments(stored.id, as_of)?;
        let rows = rows_of(stored.id, &documents);
        Ok(CustomerLedger {
            stored,
            documents,
            payments,
            rows,
        })
    }
}

/// The documents of one customer on `as_of` as ledger rows (with the day the
/// last money arrived on each invoice).
pub fn customer_rows(
    tx: &mut dyn ReadTx,
    customer: CustomerId,
    as_of: Date,
) -> Result<Vec<LedgerRow>> {
    Ok(rows_of(customer, &tx.customer_documents(customer, as_of)?))
}

/// Documents as ledger rows.
fn rows_of(customer: CustomerId, documents: &[DocumentState]) -> Vec<LedgerRow> {
    documents
        .iter()
        .map(|doc| LedgerRow {
            invoice: doc.id,
            customer,
            issue_date: doc.invoice.issue_date,
            due_date: doc.invoice.due_date,
            amount_minor: doc.invoice.amount.minor,
            open_minor: doc.open_minor,
            currency: doc.invoice.amount.currency,
            last_paid_on: if doc.invoice.amount.minor > 0 {
                doc.last_paid_on
            } else {
                None
            },
        })
        .collect()
}

/// The facts of one customer on `as_of` from their rows (what [`snapshot`]
/// computes for everyone).
pub fn facts_from_rows(
    tx: &mut dyn ReadTx,
    brief: &CustomerBrief,
    rows: &[LedgerRow],
    as_of: Date,
) -> Result<(CustomerFacts, Vec<OpenDoc>)> {
    let customers = std::slice::from_ref(brief);
    let mut builder = FactsBuilder::new(as_of, customers);
    for row in rows {
        builder.add(0, row);
    }
    let mut tags = FxHashMap::default();
    tags.insert(brief.id, tx.tags_of(brief.id)?);
    let (mut facts, mut open) = builder.finish(&tags, customers)?;
    Ok((facts.remove(0), open.remove(0)))
}

/// The facts of one customer on `as_of` (what [`snapshot`] computes for
/// everyone, from that customer's documents only).
pub fn customer_facts(
    tx: &mut dyn ReadTx,
    brief: &CustomerBrief,
    as_of: Date,
) -> Result<(CustomerFacts, Vec<OpenDoc>)> {
    let rows = customer_rows(tx, brief.id, as_of)?;
    facts_from_rows(tx, brief, &rows, as_of)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tegoed_core::customer::CustomerKind;

    fn brief(id: i64) -> CustomerBrief {
        CustomerBrief {
            id: CustomerId(id),
            number: format!("C{id}"),
            name: String::new(),
            kind: CustomerKind::B2b,
            account_manager: None,
            industry: None,
            payment_terms_days: 30,
        }
    }

    #[test]
    fn the_customer_index_finds_dense_and_sparse_ids() {
        let dense: Vec<CustomerBrief> = [3, 1, 2].into_iter().map(brief).collect();
        let index = CustomerIndex::new(&dense);
        assert!(matches!(index, CustomerIndex::Dense(_)));
        assert_eq!(
            [1, 2, 3, 4, 0, -5].map(|id| index.get(CustomerId(id))),
            [Some(1), Some(2), Some(0), None, None, None]
        );
        let sparse: Vec<CustomerBrief> = [7, 1_000_000_000].into_iter().map(brief).collect();
        let index = CustomerIndex::new(&sparse);
        assert!(matches!(index, CustomerIndex::Sparse(_)));
        assert_eq!(index.get(CustomerId(1_000_000_000)), Some(1));
        assert_eq!(index.get(CustomerId(8)), None);
        assert!(matches!(CustomerIndex::new(&[]), CustomerIndex::Dense(_)));
    }
}
