//! Agreements with a customer: promises to pay and payment plans — and
//! whether they are kept.
//!
//! A promise that is not yet due, and a plan that is on track, pause dunning
//! on the invoices they cover. A promise whose date passes without the money
//! is broken; a plan whose instalment is missed is broken; both make dunning
//! resume. A plan paid in full is completed (and that is worth a thank-you).

use crate::date::Date;

/// Where a promise stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromiseStatus {
    /// The date has not come yet and not all is paid.
    Pending,
    Kept,
    Broken,
}

impl PromiseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PromiseStatus::Pending => "pending",
            PromiseStatus::Kept => "kept",
            PromiseStatus::Broken => "broken",
        }
    }
}

/// A promise of `amount_minor` by `promised_on`, given what the customer paid
/// from the promise until that date.
pub fn promise_status(
    amount_minor: i64,
    promised_on: Date,
    paid_minor: i64,
    as_of: Date,
) -> PromiseStatus {
    if paid_minor >= amount_minor {
        PromiseStatus::Kept
    } else if as_of > promised_on {
        PromiseStatus::Broken
    } else {
        PromiseStatus::Pending
    }
}

/// How far apart instalments fall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interval {
    Days(u32),
    Months(u32),
}

impl Interval {
    /// "1m", "2w", "14d".
    pub fn parse(text: &str) -> Option<Interval> {
        let text = text.trim();
        let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
        let n: u32 = number.parse().ok().filter(|n| *n > 0)?;
        match unit {
            "m" => Some(Interval::Months(n)),
            "w" => Some(Interval::Days(7 * n)),
            "d" => Some(Interval::Days(n)),
            _ => None,
        }
    }

    pub fn after(self, date: Date, times: u32) -> Date {
        match self {
            Interval::Days(d) => date.add_days((d * times) as i32),
            Interval::Months(m) => date.add_months((m * times) as i32),
        }
    }
}

/// One instalment of a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instalment {
    pub number: u32,
    pub due_on: Date,
    pub amount_minor: i64,
}

/// Splits `total_minor` into `count` instalments from `first` on; the last
/// one takes the rounding remainder.
pub fn instalments(
    total_minor: i64,
    count: u32,
    first: Date,
    interval: Interval,
) -> Vec<Instalment> {
    let count = count.max(1);
    let base = total_minor / i64::from(count);
    (0..count)
        .map(|i| Instalment {
            number: i + 1,
            due_on: interval.after(first, i),
            amount_minor: if i + 1 == count {
                total_minor - base * i64::from(count - 1)
            } else {
                base
            },
        })
        .collect()
}

/// Where a plan stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanStatus {
    /// On track.
    Active,
    Completed,
    /// An instalment was missed (its due date plus the grace days passed
    /// without the money).
    Broken {
        missed: Date,
    },
}

impl PlanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Active => "active",
            PlanStatus::Completed => "completed",
            PlanStatus::Broken { .. } => "broken",
        }
    }
}

/// The status of a plan given what was paid on its invoices since it began.
pub fn plan_status(
    instalments: &[Instalment],
    paid_minor: i64,
    as_of: Date,
    grace_days: i32,
) -> PlanStatus {
    let total: i64 = instalments.iter().map(|i| i.amount_minor).sum();
    if paid_minor >= total {
        return PlanStatus::Completed;
    }
    let mut due = 0;
    for instalment in instalments {
        due += instalment.amount_minor;
        if instalment.due_on.add_days(grace_days) < as_of && paid_minor < due {
            return PlanStatus::Broken {
                missed: instalment.due_on,
            };
        }
    }
    PlanStatus::Active
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse_iso(s).unwrap()
    }

    #[test]
    fn promises() {
        let date = d("2026-12-01");
        assert_eq!(
            promise_status(10_000, date, 0, d("2026-11-30")),
            PromiseStatus::Pending
        );
        assert_eq!(
            promise_status(10_000, date, 0, d("2026-12-01")),
            PromiseStatus::Pending
        );
        assert_eq!(
            promise_status(10_000, date, 0, d("2026-12-02")),
            PromiseStatus::Broken
        );
        assert_eq!(
            promise_status(10_000, date, 10_000, d("2026-12-02")),
            PromiseStatus::Kept
        );
    }

    #[test]
    fn plans() {
        let plan = instalments(100_000, 3, d("2026-01-31"), Interval::parse("1m").unwrap());
        assert_eq!(
            plan.iter().map(|i| i.amount_minor).collect::<Vec<_>>(),
            vec![33_333, 33_333, 33_334]
        );
        assert_eq!(plan[1].due_on, d("2026-02-28"));
        assert_eq!(
            plan_status(&plan, 0, d("2026-01-31"), 3),
            PlanStatus::Active
        );
        assert_eq!(
            plan_status(&plan, 0, d("2026-02-04"), 3),
            PlanStatus::Broken {
                missed: d("2026-01-31")
            }
        );
        assert_eq!(
            plan_status(&plan, 33_333, d("2026-03-01"), 3),
            PlanStatus::Active
        );
        assert_eq!(
            plan_status(&plan, 100_000, d("2026-02-01"), 3),
            PlanStatus::Completed
        );
        assert_eq!(Interval::parse("2w"), Some(Interval::Days(14)));
        assert_eq!(Interval::parse("x"), None);
    }
}
