//! Appreciation: when a customer has earned a thank-you or a gift.
//!
//! A debtor is still a customer, and one who closes a deal and keeps it —
//! even a deal to clear arrears — deserves to hear that it was noticed. Four
//! triggers, each raised once for the day it became true (its `since`):
//!
//! - `plan_completed`: a payment plan was paid in full (on the day the run
//!   recorded it);
//! - `promise_kept`: a promise to pay was kept;
//! - `back_on_time`: a customer that paid late before paid the first
//!   `back_on_time_invoices` invoices (by due date) after its last late one
//!   on time, and nothing is overdue now; `since` is the day the last of
//!   those was paid;
//! - `on_time_year`: a full year in which every invoice was paid on time
//!   (at least `on_time_year_invoices` of them), counted from the customer's
//!   last late payment or its first invoice, and nothing is overdue now;
//!   `since` is the anniversary (so it comes back every year it stays true).
//!
//! "On time" is paid in full on or before the due date plus `grace_days`
//! (bank transfers take a day or two). A trigger older than `max_age_days`
//! on the day of the check is not raised: thanks for something months ago
//! would be odd. Each trigger suggests a thank-you or a gift
//! (`gift_for` lists the reasons that suggest a gift).
//!
//! Pure: the app gathers the customer's paid invoices and its kept promises
//! and completed plans, and stores what is raised so it is raised once.

use crate::date::Date;

/// Why a customer is suggested for appreciation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    PlanCompleted,
    PromiseKept,
    BackOnTime,
    OnTimeYear,
}

impl Reason {
    pub const ALL: [Reason; 4] = [
        Reason::PlanCompleted,
        Reason::PromiseKept,
        Reason::BackOnTime,
        Reason::OnTimeYear,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::PlanCompleted => "plan_completed",
            Reason::PromiseKept => "promise_kept",
            Reason::BackOnTime => "back_on_time",
            Reason::OnTimeYear => "on_time_year",
        }
    }

    pub fn parse(text: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == text.trim())
    }
}

/// What is suggested.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Suggested {
    ThankYou,
    Gift,
}

impl Suggested {
    pub fn as_str(self) -> &'static str {
        match self {
            Suggested::ThankYou => "thank_you",
            Suggested::Gift => "gift",
        }
    }

    pub fn parse(text: &str) -> Option<Suggested> {
        match text.trim() {
            "thank_you" => Some(Suggested::ThankYou),
            "gift" => Some(Suggested::Gift),
            _ => None,
        }
    }
}

/// The rules, from `[appreciation]` in `tegoed.toml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rules {
    /// Invoices in a row paid on time after a late one (default 3).
    pub back_on_time_invoices: u32,
    /// Invoices a year of on-time payment must hold (default 4).
    pub on_time_year_invoices: u32,
    /// Days after the due date that still count as on time (default 2).
    pub grace_days: i32,
    /// Older triggers are not raised (default 30).
    pub max_age_days: i32,
    /// The reasons that suggest a gift rather than a thank-you.
    pub gift_for: Vec<Reason>,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            back_on_time_invoices: 3,
            on_time_year_invoices: 4,
            grace_days: 2,
            max_age_days: 30,
            gift_for: vec![Reason::PlanCompleted],
        }
    }
}

/// An invoice paid in full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaidInvoice<K> {
    /// The caller's key (to name the invoice in the evidence).
    pub key: K,
    pub due_date: Date,
    /// The day the last money arrived.
    pub paid_on: Date,
}

/// A kept promise or a completed plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kept {
    pub id: i64,
    /// The day it was recorded as kept or completed.
    pub on: Date,
    pub amount_minor: i64,
}

/// One customer's facts on the day of the check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts<K> {
    /// Invoices paid in full, in any order.
    pub paid: Vec<PaidInvoice<K>>,
    /// The earliest due date of an invoice still open, if any.
    pub oldest_open_due: Option<Date>,
    pub plans_completed: Vec<Kept>,
    pub promises_kept: Vec<Kept>,
}

/// What backs a trigger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evidence<K> {
    /// The plan or promise and its amount.
    Kept(Kept),
    /// The invoices paid on time in a row, after `late_before` late ones.
    BackOnTime { on_time: Vec<K>, late_before: u32 },
    /// The year and the invoices paid on time in it.
    OnTimeYear { from: Date, to: Date, invoices: u32 },
}

/// A raised trigger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trigger<K> {
    pub reason: Reason,
    /// The day it became true; with the reason and `ref_id` it names the
    /// trigger, so it is raised once.
    pub since: Date,
    /// The plan or promise (0 for the others).
    pub ref_id: i64,
    pub suggested: Suggested,
    pub evidence: Evidence<K>,
}

fn on_time<K>(invoice: &PaidInvoice<K>, grace_days: i32) -> bool {
    invoice.paid_on <= invoice.due_date.add_days(grace_days)
}

/// Whether something is overdue (beyond the grace) on `as_of`.
fn overdue_now<K>(facts: &Facts<K>, rules: &Rules, as_of: Date) -> bool {
    facts
        .oldest_open_due
        .is_some_and(|due| due.add_days(rules.grace_days) < as_of)
}

/// Whether a trigger that became true on `since` is still worth raising.
fn fresh(since: Date, rules: &Rules, as_of: Date) -> bool {
    since <= as_of && since.days_until(as_of) <= rules.max_age_days
}

/// The triggers true for one customer on `as_of`, within the age limit.
pub fn triggers<K: Clone>(facts: &Facts<K>, rules: &Rules, as_of: Date) -> Vec<Trigger<K>> {
    let suggested = |reason: Reason| {
        if rules.gift_for.contains(&reason) {
            Suggested::Gift
        } else {
            Suggested::ThankYou
        }
    };
    let mut out = Vec::new();
    for (reason, list) in [
        (Reason::PlanCompleted, &facts.plans_completed),
        (Reason::PromiseKept, &facts.promises_kept),
    ] {
        for kept in list {
            if fresh(kept.on, rules, as_of) {
                out.push(Trigger {
                    reason,
                    since: kept.on,
                    ref_id: kept.id,
                    suggested: suggested(reason),
                    evidence: Evidence::Kept(*kept),
                });
            }
        }
    }
    if overdue_now(facts, rules, as_of) {
        return out;
    }
    // Paid invoices known on the day, by due date (then payment day).
    let mut paid: Vec<&PaidInvoice<K>> = facts.paid.iter().filter(|p| p.paid_on <= as_of).collect();
    paid.sort_by_key(|p| (p.due_date, p.paid_on));
    let last_late = paid.iter().rposition(|p| !on_time(p, rules.grace_days));

    // Back on time: the first N after the last late one.
    if let Some(late) = last_late {
        let n = rules.back_on_time_invoices.max(1) as usize;
        let streak = &paid[late + 1..];
        if streak.len() >= n {
            let first = &streak[..n];
            let since = first.iter().map(|p| p.paid_on).max().unwrap_or(as_of);
            if fresh(since, rules, as_of) {
                out.push(Trigger {
                    reason: Reason::BackOnTime,
                    since,
                    ref_id: 0,
                    suggested: suggested(Reason::BackOnTime),
                    evidence: Evidence::BackOnTime {
                        on_time: first.iter().map(|p| p.key.clone()).collect(),
                        late_before: paid[..=late]
                            .iter()
                            .filter(|p| !on_time(p, rules.grace_days))
                            .count() as u32,
                    },
                });
            }
        }
    }

    // A year on time: from the last late payment (or the first due date),
    // each anniversary.
    let start = match last_late {
        Some(late) => Some(paid[late].paid_on),
        None => paid.first().map(|p| p.due_date),
    };
    if let Some(start) = start {
        let mut years = 0;
        while start.add_years(years + 1) <= as_of {
            years += 1;
        }
        if years >= 1 {
            let to = start.add_years(years);
            let from = to.add_years(-1);
            let invoices = paid
                .iter()
                .filter(|p| from <= p.due_date && p.due_date <= to)
                .count() as u32;
            if invoices >= rules.on_time_year_invoices.max(1) && fresh(to, rules, as_of) {
                out.push(Trigger {
                    reason: Reason::OnTimeYear,
                    since: to,
                    ref_id: 0,
                    suggested: suggested(Reason::OnTimeYear),
                    evidence: Evidence::OnTimeYear { from, to, invoices },
                });
            }
        }
    }
    out
}

/// The calendar quarter `date` falls in: (first day, last day).
pub fn quarter_of(date: Date) -> (Date, Date) {
    let first_month = (date.month() - 1) / 3 * 3 + 1;
    let from = Date::from_ymd(date.year(), first_month, 1).expect("a valid quarter start");
    (from, from.add_months(3).add_days(-1))
}

/// A gift against the budget: what was used before it, and whether it fits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    pub budget_minor: i64,
    pub used_minor: i64,
}

impl Budget {
    /// What is left (never below zero).
    pub fn left_minor(self) -> i64 {
        (self.budget_minor - self.used_minor).max(0)
    }

    /// Whether a gift of `value_minor` fits in what is left.
    pub fn fits(self, value_minor: i64) -> bool {
        self.used_minor
            .checked_add(value_minor)
            .is_some_and(|total| total <= self.budget_minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        Date::parse_iso(text).unwrap()
    }

    fn paid(key: u32, due: &str, on: &str) -> PaidInvoice<u32> {
        PaidInvoice {
            key,
            due_date: d(due),
            paid_on: d(on),
        }
    }

    fn facts(paid: Vec<PaidInvoice<u32>>) -> Facts<u32> {
        Facts {
            paid,
            oldest_open_due: None,
            plans_completed: vec![],
            promises_kept: vec![],
        }
    }

    #[test]
    fn back_on_time_fires_on_the_day_the_third_on_time_invoice_is_paid() {
        let f = facts(vec![
            paid(1, "2026-06-01", "2026-07-15"), // late
            paid(2, "2026-08-01", "2026-08-01"),
            paid(3, "2026-09-01", "2026-09-03"), // within 2 days' grace
            paid(4, "2026-10-01", "2026-09-28"),
            paid(5, "2026-11-01", "2026-10-30"),
        ]);
        let rules = Rules::default();
        // Before the third: nothing.
        assert!(
            triggers(&f, &rules, d("2026-09-27"))
                .iter()
                .all(|t| t.reason != Reason::BackOnTime)
        );
        let raised = triggers(&f, &rules, d("2026-10-05"));
        let back: Vec<_> = raised
            .iter()
            .filter(|t| t.reason == Reason::BackOnTime)
            .collect();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].since, d("2026-09-28"));
        assert_eq!(
            back[0].evidence,
            Evidence::BackOnTime {
                on_time: vec![2, 3, 4],
                late_before: 1
            }
        );
        // A fourth on-time invoice does not move it: the same trigger.
        let later = triggers(&f, &rules, d("2026-10-20"));
        assert_eq!(
            later
                .iter()
                .find(|t| t.reason == Reason::BackOnTime)
                .unwrap()
                .since,
            d("2026-09-28")
        );
        // Too old after the age limit.
        assert!(
            triggers(&f, &rules, d("2026-11-20"))
                .iter()
                .all(|t| t.reason != Reason::BackOnTime)
        );
    }

    #[test]
    fn nothing_for_on_time_payment_while_something_is_overdue() {
        let mut f = facts(vec![
            paid(1, "2026-06-01", "2026-07-15"),
            paid(2, "2026-08-01", "2026-08-01"),
            paid(3, "2026-09-01", "2026-09-01"),
            paid(4, "2026-10-01", "2026-10-01"),
        ]);
        f.oldest_open_due = Some(d("2026-10-01"));
        f.promises_kept = vec![Kept {
            id: 7,
            on: d("2026-10-02"),
            amount_minor: 100,
        }];
        let raised = triggers(&f, &Rules::default(), d("2026-10-05"));
        assert_eq!(raised.len(), 1, "only the kept promise: {raised:?}");
        assert_eq!(raised[0].reason, Reason::PromiseKept);
        assert_eq!(raised[0].ref_id, 7);
        assert_eq!(raised[0].suggested, Suggested::ThankYou);
    }

    #[test]
    fn a_customer_never_late_has_no_back_on_time_but_a_year_on_its_anniversary() {
        let f = facts(
            (0..13)
                .map(|m| {
                    let due = d("2025-10-15").add_months(m);
                    PaidInvoice {
                        key: m as u32,
                        due_date: due,
                        paid_on: due.add_days(-3),
                    }
                })
                .collect(),
        );
        let rules = Rules::default();
        assert!(triggers(&f, &rules, d("2026-10-14")).is_empty());
        let raised = triggers(&f, &rules, d("2026-10-20"));
        assert_eq!(raised.len(), 1);
        assert_eq!(raised[0].reason, Reason::OnTimeYear);
        assert_eq!(raised[0].since, d("2026-10-15"));
        assert_eq!(
            raised[0].evidence,
            Evidence::OnTimeYear {
                from: d("2025-10-15"),
                to: d("2026-10-15"),
                invoices: 13
            }
        );
    }

    #[test]
    fn a_plan_completed_suggests_a_gift_by_default() {
        let mut f = facts(vec![]);
        f.plans_completed = vec![Kept {
            id: 3,
            on: d("2026-11-30"),
            amount_minor: 250_000,
        }];
        let raised = triggers(&f, &Rules::default(), d("2026-12-02"));
        assert_eq!(raised.len(), 1);
        assert_eq!(raised[0].suggested, Suggested::Gift);
        assert_eq!(raised[0].since, d("2026-11-30"));
    }

    #[test]
    fn quarters_and_budgets() {
        assert_eq!(
            quarter_of(d("2026-12-02")),
            (d("2026-10-01"), d("2026-12-31"))
        );
        assert_eq!(
            quarter_of(d("2026-02-28")),
            (d("2026-01-01"), d("2026-03-31"))
        );
        let budget = Budget {
            budget_minor: 25_000,
            used_minor: 20_000,
        };
        assert!(budget.fits(5_000));
        assert!(!budget.fits(5_001));
        assert!(!budget.fits(i64::MAX));
        assert_eq!(budget.left_minor(), 5_000);
    }
}
