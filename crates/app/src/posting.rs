//! Posting money to the ledger inside a transaction: payments and credit
//! notes are split over open items by the core's allocation rules, and
//! allocations are given back when an invoice shrinks or money is re-booked.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use tegoed_core::allocation::{self, AllocationPlan, OpenItem, Target};
use tegoed_core::{Allocation, AllocationSource, CustomerId, Date, InvoiceId, Money};
use tegoed_store::{Result, StoredAllocation, WriteTx};

/// Open items per customer, loaded once and kept current while a batch of
/// payments is posted, so a file of many payments does not query the same
/// customer's invoices again for each one.
#[derive(Default)]
pub struct OpenItems {
    by_customer: HashMap<CustomerId, Vec<OpenItem>>,
    /// Every customer's items were loaded at once ([`OpenItems::preload_all`]):
    /// a customer not in `by_customer` has none, unless invalidated since.
    complete: bool,
    invalidated: HashSet<CustomerId>,
}

impl OpenItems {
    pub fn get(
        &mut self,
        tx: &mut dyn WriteTx,
        customer: CustomerId,
    ) -> Result<&mut Vec<OpenItem>> {
        let known_empty = self.complete && !self.invalidated.contains(&customer);
        Ok(match self.by_customer.entry(customer) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) if known_empty => {
                entry.insert(Vec::new())
            }
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(tx.open_items(customer)?)
            }
        })
    }

    /// Whether the customer's items are at hand (no read needed).
    fn loaded(&self, customer: CustomerId) -> bool {
        self.by_customer.contains_key(&customer)
            || (self.complete && !self.invalidated.contains(&customer))
    }

    /// Takes every customer's open items, read by the caller in one go (as
    /// [`tegoed_store::ReadTx::open_items`] gives them: invoices with money
    /// open, sorted by due date, issue date and id); a customer left out has
    /// none.
    pub fn preload_all(&mut self, items: HashMap<CustomerId, Vec<OpenItem>>) {
        self.by_customer = items;
        self.complete = true;
        self.invalidated.clear();
    }

    /// Forget a customer whose allocations changed behind the cache's back.
    pub fn invalidate(&mut self, customer: CustomerId) {
        self.by_customer.remove(&customer);
        if self.complete {
            self.invalidated.insert(customer);
        }
    }
}

/// Allocates `amount` from `source` to the customer's open items and writes
/// the allocations, dated `date` (or the invoice date, if later: money counts
/// against an invoice from the day both exist).
pub fn post(
    tx: &mut dyn WriteTx,
    open: &mut OpenItems,
    customer: CustomerId,
    source: AllocationSource,
    amount: Money,
    date: Date,
    target: Target<'_>,
) -> Result<AllocationPlan> {
    match target {
        Target::Invoices(named) if !open.loaded(customer) => {
            // Only the named invoices matter: fetch those, not the whole
            // ledger of the customer.
            let mut items = Vec::with_capacity(named.len());
            for id in named {
                if let Some(item) = tx.open_item(*id)?
                    && !items.contains(&item)
                {
                    items.push(item);
                }
            }
            post_to_items(tx, &mut items, source, amount, date, target)
        }
        _ => {
            let items = open.get(tx, customer)?;
            post_to_items(tx, items, source, amount, date, target)
        }
    }
}

/// Allocates `amount` from `source` over `items` (kept by the caller) and
/// writes the allocations.
pub fn post_to_items(
    tx: &mut dyn WriteTx,
    items: &mut Vec<OpenItem>,
    source: AllocationSource,
    amount: Money,
    date: Date,
    target: Target<'_>,
) -> Result<AllocationPlan> {
    let (plan, dated) = plan_for_items(items, amount, date, target);
    for (invoice, amount_minor, date) in dated {
        tx.insert_allocation(&Allocation {
            invoice,
            source,
            amount_minor,
            date,
        })?;
    }
    Ok(plan)
}

/// What [`post_to_items`] would write, without writing it: the plan and its
/// parts as (invoice, amount, date). `items` are lowered by the plan.
pub fn plan_for_items(
    items: &mut Vec<OpenItem>,
    amount: Money,
    date: Date,
    target: Target<'_>,
) -> (AllocationPlan, Vec<(InvoiceId, i64, Date)>) {
    let plan = allocation::allocate(items, amount, target);
    let dated: Vec<(InvoiceId, i64, Date)> = plan
        .parts
        .iter()
        .map(|(invoice, amount_minor)| {
            let issued = items
                .iter()
                .find(|i| i.invoice == *invoice)
                .map(|i| i.issue_date);
            (
                *invoice,
                *amount_minor,
                issued.map_or(date, |issued| issued.max(date)),
            )
        })
        .collect();
    allocation::apply(items, &plan);
    (plan, dated)
}

/// Removes every allocation made from `source` (a payment being re-booked),
/// returning the money to the invoices it paid.
pub fn unpost(tx: &mut dyn WriteTx, source: AllocationSource) -> Result<u64> {
    let allocations = tx.allocations_from(source)?;
    for stored in &allocations {
        tx.delete_allocation(stored.row)?;
    }
    Ok(allocations.len() as u64)
}

/// After an invoice's amount changed to `new_amount_minor`: if more has been
/// allocated to it than it now asks, the newest allocations give the excess
/// back to their payments or credit notes.
pub fn release_excess(
    tx: &mut dyn WriteTx,
    invoice: InvoiceId,
    new_amount_minor: i64,
) -> Result<u64> {
    let allocations = tx.allocations_to(invoice)?;
    shrink(tx, &allocations, new_amount_minor)
}

/// After a credit note's amount changed: if it has paid more than it now
/// holds, its newest allocations shrink.
pub fn release_credit_excess(
    tx: &mut dyn WriteTx,
    credit_note: InvoiceId,
    new_abs_minor: i64,
) -> Result<u64> {
    let allocations = tx.allocations_from(AllocationSource::CreditNote(credit_note))?;
    shrink(tx, &allocations, new_abs_minor)
}

/// Shrinks the newest of `allocations` until they sum to at most `limit`.
fn shrink(tx: &mut dyn WriteTx, allocations: &[StoredAllocation], limit: i64) -> Result<u64> {
    let pairs: Vec<(Date, i64)> = allocations
        .iter()
        .map(|a| (a.allocation.date, a.allocation.amount_minor))
        .collect();
    let changes = allocation::release_excess(&pairs, limit);
    for (idx, new_amount) in &changes {
        let row = allocations[*idx].row;
        if *new_amount == 0 {
            tx.delete_allocation(row)?;
        } else {
            tx.set_allocation_amount(row, *new_amount)?;
        }
    }
    Ok(changes.len() as u64)
}
