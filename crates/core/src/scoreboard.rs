//! The paid-on-time scoreboard: per account manager, what fell due in a
//! period and how it was paid — within the agreed terms (plus a grace of
//! some days), late, not yet, or not at all (handed to the collection
//! agency) — and what the late and unpaid money cost: financing, collection
//! effort, the write-off, and the extra sales needed to earn that back.
//! Pure: the app gathers the invoices, the money applied to them and the
//! messages about them.
//!
//! Definitions (README, "Sales and credit: the paid-on-time scoreboard"):
//! - an invoice counts in the period when its due date is in it (and not
//!   after the day of the report);
//! - `paid_on_time`: money applied (payments and credit notes) on or before
//!   the due date plus the grace days; `paid_late`: applied after that;
//! - `open_overdue`: still open; `written_off`: still open on a customer
//!   handed to the collection agency;
//! - `avg_days_beyond_terms`: over the money paid, weighted by amount, the
//!   days after the due date it arrived (money on time counts 0);
//! - financing: `Σ amount × days beyond the due date × cost of capital ÷
//!   365` over the money paid late (until it arrived) and the money still
//!   open (until the day of the report), rounded once to the cent — the
//!   formula of `tegoed cost`;
//! - collection: messages, calls and hand-offs about these invoices × the
//!   configured cost of each;
//! - extra revenue needed: (financing + collection + written off) ÷ margin;
//! - the ranking: `paid_on_time − written_off` (the claw-back), highest
//!   first.

use crate::Date;

/// One invoice due in the period.
#[derive(Clone, Debug, PartialEq)]
pub struct DueInvoice {
    pub amount_minor: i64,
    pub due_date: Date,
    /// Every payment or credit note applied to it on or before the day of
    /// the report: (date, minor units).
    pub settlements: Vec<(Date, i64)>,
    /// The customer was handed to the collection agency on or before the
    /// day of the report.
    pub handed_off: bool,
    /// Messages (e-mails and letters), calls and hand-offs about it.
    pub messages: u32,
    pub calls: u32,
    pub handoffs: u32,
}

/// What late payment costs, from the settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CostRates {
    /// Yearly, e.g. 0.08.
    pub cost_of_capital: f64,
    /// Gross margin, e.g. 0.25.
    pub margin: f64,
    pub message_minor: i64,
    pub call_minor: i64,
    pub handoff_minor: i64,
}

/// What late and unpaid money cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    pub financing: i64,
    pub collection: i64,
    pub written_off: i64,
    /// `None` when the margin is zero or less (never earned back).
    pub extra_revenue_needed: Option<i64>,
}

/// The figures of one account manager (or the total).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Score {
    pub invoices: u64,
    pub invoiced: i64,
    pub paid_on_time: i64,
    pub paid_late: i64,
    pub open_overdue: i64,
    pub written_off: i64,
    /// Σ minor × days after the due date, over the money paid.
    paid_days: i128,
    paid: i64,
    /// Σ minor × days after the due date, over the money paid late and the
    /// money still open.
    late_days: i128,
    pub messages: u64,
    pub calls: u64,
    pub handoffs: u64,
}

impl Score {
    /// Counts `invoice` as of `as_of` with `grace_days` after the due date
    /// still on time.
    pub fn add(&mut self, invoice: &DueInvoice, as_of: Date, grace_days: i32) {
        let limit = invoice.due_date.add_days(grace_days.max(0));
        self.invoices += 1;
        self.invoiced = self.invoiced.saturating_add(invoice.amount_minor);
        let mut paid = 0i64;
        for &(date, minor) in &invoice.settlements {
            if date > as_of || minor <= 0 {
                continue;
            }
            paid = paid.saturating_add(minor);
            let days =
                i128::from((date.days_since_epoch() - invoice.due_date.days_since_epoch()).max(0));
            self.paid = self.paid.saturating_add(minor);
            self.paid_days += i128::from(minor) * days;
            if date <= limit {
                self.paid_on_time = self.paid_on_time.saturating_add(minor);
            } else {
                self.paid_late = self.paid_late.saturating_add(minor);
                self.late_days += i128::from(minor) * days;
            }
        }
        let open = (invoice.amount_minor - paid).max(0);
        if open > 0 {
            if invoice.handed_off {
                self.written_off = self.written_off.saturating_add(open);
            } else {
                self.open_overdue = self.open_overdue.saturating_add(open);
                let days = i128::from(
                    (as_of.days_since_epoch() - invoice.due_date.days_since_epoch()).max(0),
                );
                self.late_days += i128::from(open) * days;
            }
        }
        self.messages += u64::from(invoice.messages);
        self.calls += u64::from(invoice.calls);
        self.handoffs += u64::from(invoice.handoffs);
    }

    /// Adds another manager's figures (for the total).
    pub fn merge(&mut self, other: &Score) {
        self.invoices += other.invoices;
        self.invoiced = self.invoiced.saturating_add(other.invoiced);
        self.paid_on_time = self.paid_on_time.saturating_add(other.paid_on_time);
        self.paid_late = self.paid_late.saturating_add(other.paid_late);
        self.open_overdue = self.open_overdue.saturating_add(other.open_overdue);
        self.written_off = self.written_off.saturating_add(other.written_off);
        self.paid_days += other.paid_days;
        self.paid = self.paid.saturating_add(other.paid);
        self.late_days += other.late_days;
        self.messages += other.messages;
        self.calls += other.calls;
        self.handoffs += other.handoffs;
    }

    /// The share of what was invoiced that was paid on time (0.0–1.0).
    pub fn share_on_time(&self) -> Option<f64> {
        (self.invoiced > 0).then(|| self.paid_on_time as f64 / self.invoiced as f64)
    }

    /// Days after the due date the money paid arrived, weighted by amount.
    pub fn avg_days_beyond_terms(&self) -> Option<f64> {
        (self.paid > 0).then(|| self.paid_days as f64 / self.paid as f64)
    }

    /// What ranks: money paid on time, less what went to the agency.
    pub fn claw_back(&self) -> i64 {
        self.paid_on_time.saturating_sub(self.written_off)
    }

    pub fn cost(&self, rates: &CostRates) -> Cost {
        let financing = (self.late_days as f64 * rates.cost_of_capital / 365.0).round() as i64;
        let collection = (self.messages as i64)
            .saturating_mul(rates.message_minor)
            .saturating_add((self.calls as i64).saturating_mul(rates.call_minor))
            .saturating_add((self.handoffs as i64).saturating_mul(rates.handoff_minor));
        let lost = financing
            .saturating_add(collection)
            .saturating_add(self.written_off);
        Cost {
            financing,
            collection,
            written_off: self.written_off,
            extra_revenue_needed: (rates.margin > 0.0)
                .then(|| (lost as f64 / rates.margin).round() as i64),
        }
    }
}

/// A period of the scoreboard: a month, a quarter or a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

impl Period {
    /// `2026-11`, `2026-Q4` (or `2026Q4`), `2026`.
    pub fn parse(text: &str) -> Option<Period> {
        let text = text.trim();
        let month = |y: i32, m: u32| -> Option<(Date, Date)> {
            let from = Date::from_ymd(y, m, 1)?;
            let next = if m == 12 {
                Date::from_ymd(y + 1, 1, 1)?
            } else {
                Date::from_ymd(y, m + 1, 1)?
            };
            Some((from, next.add_days(-1)))
        };
        let year: i32 = text.get(..4)?.parse().ok()?;
        if !(1900..=9999).contains(&year) {
            return None;
        }
        let rest = &text[4..];
        let (from, to) = if rest.is_empty() {
            (month(year, 1)?.0, month(year, 12)?.1)
        } else if let Some(q) = rest.strip_prefix("-Q").or_else(|| rest.strip_prefix('Q')) {
            let q: u32 = q.parse().ok().filter(|q| (1..=4).contains(q))?;
            (month(year, q * 3 - 2)?.0, month(year, q * 3)?.1)
        } else {
            let m: u32 = rest
                .strip_prefix('-')?
                .parse()
                .ok()
                .filter(|m| (1..=12).contains(m))?;
            if rest.len() != 3 {
                return None;
            }
            month(year, m)?
        };
        Some(Period { from, to })
    }

    /// The last full month before `as_of`.
    pub fn last_month(as_of: Date) -> Period {
        let (y, m, _) = as_of.ymd();
        let first = Date::from_ymd(y, m, 1).unwrap_or(as_of);
        let to = first.add_days(-1);
        let (py, pm, _) = to.ymd();
        Period {
            from: Date::from_ymd(py, pm, 1).unwrap_or(to),
            to,
        }
    }

    pub fn contains(&self, date: Date) -> bool {
        self.from <= date && date <= self.to
    }
}

#[cfg(test)]
// Amounts are written as euros_cents (`150_00` is € 150.00).
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        Date::parse_iso(text).unwrap()
    }

    fn invoice(amount: i64, due: &str, settlements: &[(&str, i64)]) -> DueInvoice {
        DueInvoice {
            amount_minor: amount,
            due_date: d(due),
            settlements: settlements.iter().map(|(s, m)| (d(s), *m)).collect(),
            handed_off: false,
            messages: 0,
            calls: 0,
            handoffs: 0,
        }
    }

    #[test]
    fn money_is_counted_on_time_late_open_or_written_off() {
        let as_of = d("2026-12-01");
        let mut score = Score::default();
        // On time (on the due date), late by 10 days, half open.
        score.add(
            &invoice(100_00, "2026-11-10", &[("2026-11-10", 100_00)]),
            as_of,
            0,
        );
        score.add(
            &invoice(200_00, "2026-11-10", &[("2026-11-20", 200_00)]),
            as_of,
            0,
        );
        score.add(
            &invoice(300_00, "2026-11-10", &[("2026-11-12", 150_00)]),
            as_of,
            0,
        );
        let mut handed = invoice(50_00, "2026-11-01", &[]);
        handed.handed_off = true;
        handed.messages = 3;
        handed.handoffs = 1;
        score.add(&handed, as_of, 0);
        assert_eq!(score.invoices, 4);
        assert_eq!(score.invoiced, 650_00);
        assert_eq!(score.paid_on_time, 100_00);
        assert_eq!(score.paid_late, 350_00);
        assert_eq!(score.open_overdue, 150_00);
        assert_eq!(score.written_off, 50_00);
        assert_eq!(score.claw_back(), 50_00);
        // (100×0 + 200×10 + 150×2) ÷ 450 = 5.11 days
        let avg = score.avg_days_beyond_terms().unwrap();
        assert!((avg - 2_300.0 / 450.0).abs() < 1e-9, "{avg}");
        // A grace of 2 days makes the payment 2 days late on time.
        let mut graced = Score::default();
        graced.add(
            &invoice(300_00, "2026-11-10", &[("2026-11-12", 150_00)]),
            as_of,
            2,
        );
        assert_eq!((graced.paid_on_time, graced.paid_late), (150_00, 0));
        // Financing: 200 × 10 + 150 × 2 (paid late) + 150 × 21 (still open)
        // = 5,450 euro-days × 8 % ÷ 365 = € 1.19; collection 3 × 2.50 +
        // 1 × 75; the extra revenue at a 25 % margin.
        let cost = score.cost(&CostRates {
            cost_of_capital: 0.08,
            margin: 0.25,
            message_minor: 250,
            call_minor: 1_500,
            handoff_minor: 7_500,
        });
        assert_eq!(cost.financing, 119);
        assert_eq!(cost.collection, 8_250);
        assert_eq!(cost.written_off, 5_000);
        assert_eq!(cost.extra_revenue_needed, Some((119 + 8_250 + 5_000) * 4));
    }

    #[test]
    fn periods_read_as_month_quarter_or_year() {
        assert_eq!(
            Period::parse("2026-11"),
            Some(Period {
                from: d("2026-11-01"),
                to: d("2026-11-30")
            })
        );
        assert_eq!(
            Period::parse("2026-Q4"),
            Some(Period {
                from: d("2026-10-01"),
                to: d("2026-12-31")
            })
        );
        assert_eq!(Period::parse("2026Q1").unwrap().to, d("2026-03-31"));
        assert_eq!(
            Period::parse("2024"),
            Some(Period {
                from: d("2024-01-01"),
                to: d("2024-12-31")
            })
        );
        assert_eq!(Period::parse("2026-02").unwrap().to, d("2026-02-28"));
        for bad in [
            "2026-13",
            "2026-Q5",
            "26-11",
            "2026-1",
            "november",
            "",
            "2026-11-01",
        ] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
        assert_eq!(
            Period::last_month(d("2026-12-02")),
            Period {
                from: d("2026-11-01"),
                to: d("2026-11-30")
            }
        );
        assert_eq!(Period::last_month(d("2026-01-15")).from, d("2025-12-01"));
    }
}
