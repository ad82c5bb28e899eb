//! Deciding which open items a payment or credit note pays.
//!
//! Rules: money that names invoices goes to those invoices, in the order
//! named; otherwise it goes to the customer's oldest open items first (by due
//! date, then issue date). What is left stays with the customer as
//! unallocated credit. Money is never created or lost: the parts plus the
//! remainder always equal the amount, and no item gets more than is open.

use crate::date::Date;
use crate::ids::InvoiceId;
use crate::money::Money;

/// An invoice with money still open, as the allocator sees it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct OpenItem {
    pub invoice: InvoiceId,
    pub issue_date: Date,
    pub due_date: Date,
    /// What is still open; positive.
    pub open: Money,
}

/// Which items the money is meant for.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a> {
    /// The payer named these invoices (in this order).
    Invoices(&'a [InvoiceId]),
    /// No invoice named: oldest open items first.
    OldestFirst,
}

/// The outcome: minor units per invoice, and what is left over.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct AllocationPlan {
    pub parts: Vec<(InvoiceId, i64)>,
    /// Minor units not applied to any item: the customer's credit.
    pub remainder: i64,
}

impl AllocationPlan {
    pub fn allocated(&self) -> i64 {
        self.parts.iter().map(|(_, amount)| amount).sum()
    }
}

/// Splits `amount` over `items` according to `target`. Items in another
/// currency, or with nothing open, are never touched. A zero or negative
/// amount (a refund) allocates nothing.
pub fn allocate(items: &[OpenItem], amount: Money, target: Target<'_>) -> AllocationPlan {
    let mut plan = AllocationPlan {
        parts: Vec::new(),
        remainder: amount.minor,
    };
    if amount.minor <= 0 {
        return plan;
    }
    let eligible = |item: &&OpenItem| item.open.currency == amount.currency && item.open.minor > 0;
    let order: Vec<&OpenItem> = match target {
        Target::Invoices(named) => named
            .iter()
            .filter_map(|id| items.iter().find(|item| item.invoice == *id))
            .filter(eligible)
            .collect(),
        Target::OldestFirst => {
            let mut sorted: Vec<&OpenItem> = items.iter().filter(eligible).collect();
            sorted.sort_by_key(|item| (item.due_date, item.issue_date, item.invoice));
            sorted
        }
    };
    for item in order {
        if plan.remainder == 0 {
            break;
        }
        // Named twice: do not pay the same item beyond what is open.
        let already: i64 = plan
            .parts
            .iter()
            .filter(|(id, _)| *id == item.invoice)
            .map(|(_, a)| a)
            .sum();
        let take = plan.remainder.min(item.open.minor - already);
        if take > 0 {
            plan.parts.push((item.invoice, take));
            plan.remainder -= take;
        }
    }
    plan
}

/// Lowers the open amounts in `items` by `plan` (for callers that allocate
/// several payments in a row against one in-memory list), dropping items
/// that are settled.
pub fn apply(items: &mut Vec<OpenItem>, plan: &AllocationPlan) {
    for (invoice, amount) in &plan.parts {
        if let Some(item) = items.iter_mut().find(|item| item.invoice == *invoice) {
            item.open.minor -= amount;
        }
    }
    items.retain(|item| item.open.minor > 0);
}

/// When an invoice's amount is lowered below what has been allocated to it,
/// the newest allocations give the excess back. `allocations` are
/// `(date, amount)` pairs; the result says, per index, the new amount (0 =
/// remove).
pub fn release_excess(allocations: &[(Date, i64)], invoice_amount: i64) -> Vec<(usize, i64)> {
    let total: i64 = allocations.iter().map(|(_, a)| a).sum();
    let mut excess = total - invoice_amount.max(0);
    let mut order: Vec<usize> = (0..allocations.len()).collect();
    order.sort_by_key(|&idx| std::cmp::Reverse((allocations[idx].0, idx)));
    let mut changes = Vec::new();
    for idx in order {
        if excess <= 0 {
            break;
        }
        let amount = allocations[idx].1;
        let give_back = excess.min(amount);
        changes.push((idx, amount - give_back));
        excess -= give_back;
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use proptest::prelude::*;

    fn item(id: i64, due: i32, open: i64) -> OpenItem {
        OpenItem {
            invoice: InvoiceId(id),
            issue_date: Date::from_days_since_epoch(due - 30),
            due_date: Date::from_days_since_epoch(due),
            open: Money::eur(open),
        }
    }

    #[test]
    fn oldest_first_with_partial_and_overpayment() {
        let items = [
            item(1, 200, 10_000),
            item(2, 100, 5_000),
            item(3, 300, 2_500),
        ];
        let plan = allocate(&items, Money::eur(12_000), Target::OldestFirst);
        assert_eq!(
            plan.parts,
            vec![(InvoiceId(2), 5_000), (InvoiceId(1), 7_000)]
        );
        assert_eq!(plan.remainder, 0);

        let plan = allocate(&items, Money::eur(20_000), Target::OldestFirst);
        assert_eq!(plan.allocated(), 17_500);
        assert_eq!(plan.remainder, 2_500, "overpayment stays as credit");
    }

    #[test]
    fn named_invoice_only_and_remainder_is_credit() {
        let items = [item(1, 100, 10_000), item(2, 200, 5_000)];
        let plan = allocate(&items, Money::eur(6_000), Target::Invoices(&[InvoiceId(2)]));
        assert_eq!(plan.parts, vec![(InvoiceId(2), 5_000)]);
        assert_eq!(plan.remainder, 1_000);
        // Named twice: still not more than is open.
        let plan = allocate(
            &items,
            Money::eur(20_000),
            Target::Invoices(&[InvoiceId(2), InvoiceId(2)]),
        );
        assert_eq!(plan.allocated(), 5_000);
    }

    #[test]
    fn other_currency_and_refunds_allocate_nothing() {
        let usd = Currency::parse("USD").unwrap();
        let items = [item(1, 100, 10_000)];
        let plan = allocate(&items, Money::new(5_000, usd), Target::OldestFirst);
        assert!(plan.parts.is_empty());
        assert_eq!(plan.remainder, 5_000);
        let plan = allocate(&items, Money::eur(-500), Target::OldestFirst);
        assert!(plan.parts.is_empty());
        assert_eq!(plan.remainder, -500);
    }

    #[test]
    fn release_newest_first() {
        let d = Date::from_days_since_epoch;
        let allocations = [(d(10), 3_000), (d(20), 4_000), (d(15), 2_000)];
        // Invoice lowered from 9,000 to 4,000: 5,000 comes back, newest first.
        assert_eq!(
            release_excess(&allocations, 4_000),
            vec![(1, 0), (2, 1_000)]
        );
        assert!(release_excess(&allocations, 9_000).is_empty());
    }

    /// One event in a customer's history for the property test.
    #[derive(Debug, Clone)]
    enum Event {
        Invoice(i64),
        Payment(i64, Option<usize>),
        CreditNote(i64, Option<usize>),
    }

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![
            (1i64..1_000_000).prop_map(Event::Invoice),
            ((1i64..1_500_000), proptest::option::of(0usize..20))
                .prop_map(|(a, t)| Event::Payment(a, t)),
            ((1i64..500_000), proptest::option::of(0usize..20))
                .prop_map(|(a, t)| Event::CreditNote(a, t)),
        ]
    }

    proptest! {
        /// Allocation never loses or creates money: the sum of allocations,
        /// open amounts and unallocated credit balances invoices minus credit
        /// notes, payments included.
        #[test]
        fn money_is_conserved(events in proptest::collection::vec(event(), 1..60)) {
            let mut items: Vec<OpenItem> = Vec::new();
            let mut invoiced = 0i64;
            let mut credited = 0i64;
            let mut paid = 0i64;
            let mut allocated = 0i64;
            let mut unallocated_credit = 0i64;
            let mut next_id = 0i64;
            let mut original: Vec<i64> = Vec::new();
            for (day, event) in events.into_iter().enumerate() {
                let day = day as i32;
                match event {
                    Event::Invoice(amount) => {
                        items.push(OpenItem {
                            invoice: InvoiceId(next_id),
                            issue_date: Date::from_days_since_epoch(day),
                            due_date: Date::from_days_since_epoch(day + 30),
                            open: Money::eur(amount),
                        });
                        original.push(amount);
                        next_id += 1;
                        invoiced += amount;
                    }
                    Event::Payment(amount, target) | Event::CreditNote(amount, target) => {
                        let is_payment = matches!(event, Event::Payment(..));
                        let named: Vec<InvoiceId> = target.map(|t| InvoiceId(t as i64)).into_iter().collect();
                        let target = if named.is_empty() { Target::OldestFirst } else { Target::Invoices(&named) };
                        let plan = allocate(&items, Money::eur(amount), target);
                        prop_assert_eq!(plan.allocated() + plan.remainder, amount);
                        prop_assert!(plan.remainder >= 0);
                        for (id, part) in &plan.parts {
                            let open = items.iter().find(|i| i.invoice == *id).map(|i| i.open.minor).unwrap_or(0);
                            prop_assert!(*part > 0 && *part <= open);
                        }
                        apply(&mut items, &plan);
                        allocated += plan.allocated();
                        unallocated_credit += plan.remainder;
                        if is_payment { paid += amount } else { credited += amount }
                    }
                }
            }
            let open: i64 = items.iter().map(|i| i.open.minor).sum();
            for item in &items {
                prop_assert!(item.open.minor > 0 && item.open.minor <= original[item.invoice.0 as usize]);
            }
            // Invoices are either still open or paid by allocations.
            prop_assert_eq!(invoiced, open + allocated);
            // Payments and credit notes are either allocated or still credit.
            prop_assert_eq!(paid + credited, allocated + unallocated_credit);
            // Hence: invoices − credit notes − payments = open − credit.
            prop_assert_eq!(invoiced - credited - paid, open - unallocated_credit);
        }
    }
}
