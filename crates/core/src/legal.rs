//! Dutch law on late payment: statutory interest (wettelijke rente and
//! wettelijke handelsrente), extrajudicial collection costs (the WIK
//! staffel), and the consumer's 14-day letter.
//!
//! See `../shared/LEGAL-NL.md`. Rates change twice a year, so they are data
//! (a [`RateTable`]) the application loads from a file users can extend.

use std::fmt;

use crate::date::Date;
use crate::ids::InvoiceId;
use crate::rate::{Rate, round_div};

/// Which statutory interest applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InterestKind {
    /// Wettelijke handelsrente (art. 6:119a BW): between businesses.
    Commercial,
    /// Wettelijke rente (art. 6:119 BW): consumers and other debts.
    Consumer,
}

impl InterestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InterestKind::Commercial => "commercial",
            InterestKind::Consumer => "consumer",
        }
    }
}

/// A rate that applies from a date on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateEntry {
    pub from: Date,
    pub rate: Rate,
    /// False for a rate not yet confirmed against the official publication.
    pub verified: bool,
}

/// Rates over time, ordered by date.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RateTable {
    entries: Vec<RateEntry>,
}

/// Why a legal calculation cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegalError {
    NoRate(Date),
    Overflow,
}

impl fmt::Display for LegalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LegalError::NoRate(date) => write!(
                f,
                "no statutory interest rate is known for {date}; add it to the rates file"
            ),
            LegalError::Overflow => f.write_str("amount too large"),
        }
    }
}

impl std::error::Error for LegalError {}

impl RateTable {
    /// A table from entries in any order; a later entry for the same date wins.
    pub fn new(mut entries: Vec<RateEntry>) -> RateTable {
        entries.sort_by_key(|e| e.from);
        let mut deduped: Vec<RateEntry> = Vec::with_capacity(entries.len());
        for entry in entries {
            match deduped.last_mut() {
                Some(last) if last.from == entry.from => *last = entry,
                _ => deduped.push(entry),
            }
        }
        RateTable { entries: deduped }
    }

    pub fn entries(&self) -> &[RateEntry] {
        &self.entries
    }

    /// The rate in force on `date`.
    pub fn on(&self, date: Date) -> Option<RateEntry> {
        self.entries.iter().rev().find(|e| e.from <= date).copied()
    }

    /// The first date after `date` on which the rate changes.
    fn next_change_after(&self, date: Date) -> Option<Date> {
        self.entries
            .iter()
            .map(|e| e.from)
            .find(|from| *from > date)
    }

    /// Rates are set per half-year: the last entry is known up to the end of
    /// its half-year, and carried forward (unconfirmed) after it.
    pub fn known_until(&self) -> Option<Date> {
        let last = self.entries.last()?.from;
        Some(if last.month() < 7 {
            Date::from_ymd(last.year(), 7, 1).expect("valid date")
        } else {
            Date::from_ymd(last.year() + 1, 1, 1).expect("valid date")
        })
    }
}

/// Interest over one stretch of days at one rate on one principal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InterestPeriod {
    pub from: Date,
    /// First day not counted.
    pub to: Date,
    pub rate: Rate,
    pub days: i32,
    /// The principal interest runs on (grown by capitalized interest).
    pub principal_minor: i64,
    pub interest_minor: i64,
    /// False when the rate is unconfirmed or carried forward past the last
    /// known half-year.
    pub verified: bool,
}

/// Statutory interest over a principal, split by rate periods and years.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterestCalc {
    pub principal_minor: i64,
    pub interest_minor: i64,
    pub periods: Vec<InterestPeriod>,
}

impl InterestCalc {
    /// True when any period used a rate not yet confirmed.
    pub fn uses_unverified_rate(&self) -> bool {
        self.periods.iter().any(|p| !p.verified)
    }
}

/// Statutory interest on `principal_minor` from `from` (the first day of
/// interest: the day after the due date) up to `to` (not counted).
///
/// Each rate applies to its own days; after each full year since `from` the
/// year's interest is added to the principal (art. 6:119 lid 2 BW). Within a
/// year interest is simple, actual days / 365, rounded to cents per period.
pub fn statutory_interest(
    principal_minor: i64,
    from: Date,
    to: Date,
    table: &RateTable,
) -> Result<InterestCalc, LegalError> {
    statutory_interest_with_payments(principal_minor, from, to, &[], table)
}

/// [`statutory_interest`] on a principal that payments bring down: a payment
/// `(date, amount)` stops interest on `amount` from `date` on. Payments
/// before `from` are taken off the principal; payments on or after `to` do
/// not matter. Payments reduce the principal (as the ledger applies them),
/// not capitalized interest.
pub fn statutory_interest_with_payments(
    principal_minor: i64,
    from: Date,
    to: Date,
    payments: &[(Date, i64)],
    table: &RateTable,
) -> Result<InterestCalc, LegalError> {
    let mut payments: Vec<(Date, i64)> = payments.to_vec();
    payments.sort_by_key(|p| p.0);
    let mut principal = principal_minor;
    let mut later = Vec::new();
    for (date, amount) in payments {
        if date < from {
            principal -= amount;
        } else if date < to {
            later.push((date, amount));
        }
    }
    let mut calc = InterestCalc {
        principal_minor: principal.max(0),
        interest_minor: 0,
        periods: Vec::new(),
    };
    if to <= from || principal <= 0 {
        return Ok(calc);
    }
    let mut base = principal;
    let mut year_start = from;
    let mut year_interest = 0i64;
    let mut cursor = from;
    let mut next_payment = 0;
    while cursor < to && base > 0 {
        let anniversary = year_start.add_years(1);
        let entry = table.on(cursor).ok_or(LegalError::NoRate(cursor))?;
        let mut end = to.min(anniversary);
        if let Some(change) = table.next_change_after(cursor) {
            end = end.min(change);
        }
        if let Some((date, _)) = later.get(next_payment) {
            end = end.min(*date);
        }
        let known_until = table.known_until();
        if let Some(known) = known_until
            && cursor < known
        {
            end = end.min(known);
        }
        let verified = entry.verified && known_until.is_none_or(|known| cursor < known);
        let days = cursor.days_until(end);
        if days > 0 {
            let interest = round_div(
                i128::from(base) * i128::from(entry.rate.0) * i128::from(days),
                1_000_000 * 365,
            );
            calc.periods.push(InterestPeriod {
                from: cursor,
                to: end,
                rate: entry.rate,
                days,
                principal_minor: base,
                interest_minor: interest,
                verified,
            });
            calc.interest_minor = calc
                .interest_minor
                .checked_add(interest)
                .ok_or(LegalError::Overflow)?;
            year_interest += interest;
        }
        if end == anniversary {
            base = base
                .checked_add(year_interest)
                .ok_or(LegalError::Overflow)?;
            year_interest = 0;
            year_start = anniversary;
        }
        while let Some((date, amount)) = later.get(next_payment) {
            if *date != end {
                break;
            }
            base -= amount;
            next_payment += 1;
        }
        cursor = end;
    }
    Ok(calc)
}

/// One band of the WIK staffel as applied to a principal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WikBand {
    /// Lower and upper bound of the band (minor units); `None`: no upper bound.
    pub from_minor: i64,
    pub to_minor: Option<i64>,
    pub rate: Rate,
    /// The part of the principal in this band.
    pub part_minor: i64,
}

/// Extrajudicial collection costs under the WIK and how they were computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WikCalc {
    pub principal_minor: i64,
    pub bands: Vec<WikBand>,
    /// The staffel's outcome before the minimum and maximum.
    pub staffel_minor: i64,
    /// After the € 40 minimum and € 6,775 maximum.
    pub costs_minor: i64,
    pub minimum_applied: bool,
    pub maximum_applied: bool,
    pub vat_uplift_minor: i64,
    pub total_minor: i64,
}

/// The WIK minimum and maximum (in euro cents).
pub const WIK_MINIMUM: i64 = 4_000;
pub const WIK_MAXIMUM: i64 = 677_500;

/// The staffel (Besluit vergoeding voor buitengerechtelijke incassokosten,
/// art. 2): 15 % of the first € 2,500, 10 % of the next € 2,500, 5 % of the
/// next € 5,000, 1 % of the next € 190,000, 0.5 % above € 200,000.
const WIK_BANDS: [(i64, Option<i64>, i64); 5] = [
    (0, Some(250_000), 150_000),
    (250_000, Some(500_000), 100_000),
    (500_000, Some(1_000_000), 50_000),
    (1_000_000, Some(20_000_000), 10_000),
    (20_000_000, None, 5_000),
];

/// Collection costs over the summed principal of the invoices collected
/// together; `vat_uplift` raises them by the VAT rate when the creditor
/// cannot deduct VAT.
pub fn wik_costs(principal_minor: i64, vat_uplift: Option<Rate>) -> WikCalc {
    let principal = principal_minor.max(0);
    let mut bands = Vec::new();
    let mut staffel: i128 = 0;
    for (from, to, ppm) in WIK_BANDS {
        if principal <= from {
            break;
        }
        let top = to.map_or(principal, |t| principal.min(t));
        let part = top - from;
        staffel += i128::from(part) * i128::from(ppm);
        bands.push(WikBand {
            from_minor: from,
            to_minor: to,
            rate: Rate(ppm),
            part_minor: part,
        });
    }
    let staffel_minor = round_div(staffel, 1_000_000);
    let costs_minor = staffel_minor.clamp(WIK_MINIMUM, WIK_MAXIMUM);
    let vat_uplift_minor = vat_uplift.map_or(0, |rate| rate.apply(costs_minor));
    WikCalc {
        principal_minor: principal,
        bands,
        staffel_minor,
        costs_minor,
        minimum_applied: staffel_minor < WIK_MINIMUM,
        maximum_applied: staffel_minor > WIK_MAXIMUM,
        vat_uplift_minor,
        total_minor: costs_minor + vat_uplift_minor,
    }
}

/// How a 14-day letter was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LetterChannel {
    Email,
    Post,
}

/// When a consumer may be charged collection costs after a 14-day letter
/// (art. 6:96 lid 6 BW).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FourteenDayTerm {
    pub sent_on: Date,
    /// When the letter counts as received.
    pub received_on: Date,
    /// The last day the consumer can pay without costs: 14 days counted from
    /// the day after receipt.
    pub pay_without_costs_until: Date,
}

impl FourteenDayTerm {
    /// A letter sent on `sent_on`: received `receipt_working_days` working
    /// days later (by default one for e-mail, two for post).
    pub fn new(sent_on: Date, receipt_working_days: u32) -> FourteenDayTerm {
        let received_on = sent_on.add_working_days(receipt_working_days);
        FourteenDayTerm {
            sent_on,
            received_on,
            pay_without_costs_until: received_on.add_days(14),
        }
    }

    /// Costs may be charged from the day after the 14 days.
    pub fn costs_allowed_on(&self, date: Date) -> bool {
        date > self.pay_without_costs_until
    }
}

/// A 14-day letter, as the costs rule needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LetterTerm {
    pub sent_on: Date,
    /// The last day the consumer could pay without costs.
    pub pay_without_costs_until: Date,
    /// The costs the letter announced (never charge more).
    pub stated_costs_minor: i64,
    /// The invoices it was about.
    pub invoices: Vec<InvoiceId>,
}

/// Why collection costs are (not) charged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CostsBasis {
    NothingOverdue,
    /// Not claimed at this step of the ladder.
    NotAtThisStep,
    /// The staffel is in euros; Tegoed does not convert.
    NotInEuros,
    /// A business: the WIK staffel over the summed principal.
    Business,
    /// A consumer whose 14-day letter's term has not passed yet.
    ConsumerTermRuns {
        until: Date,
    },
    /// A consumer without a 14-day letter: no costs (art. 6:96 lid 6 BW).
    ConsumerNoLetter,
    /// A consumer: the staffel over the invoices of the letter whose term
    /// passed; `left_out_minor` of other invoices carries no costs.
    Consumer {
        sent_on: Date,
        until: Date,
        left_out_minor: i64,
    },
}

impl CostsBasis {
    /// In words, for people, the claim file and the agency.
    pub fn text(&self, language: crate::Language) -> String {
        use crate::Language::{En, Nl};
        let money = |minor: i64| crate::Money::eur(minor).display_in(language);
        let day = |date: Date| {
            let (y, m, d) = date.ymd();
            match language {
                Nl => format!("{d:02}-{m:02}-{y}"),
                En => date.to_string(),
            }
        };
        match (self, language) {
            (CostsBasis::NothingOverdue, Nl) => "er staat niets over de vervaldatum open".into(),
            (CostsBasis::NothingOverdue, En) => "nothing is overdue".into(),
            (CostsBasis::NotAtThisStep, Nl) => "geen incassokosten bij deze stap".into(),
            (CostsBasis::NotAtThisStep, En) => "no collection costs at this step".into(),
            (CostsBasis::NotInEuros, Nl) => {
                "geen incassokosten op facturen in een andere munt dan de euro (de staffel is in euro's)".into()
            }
            (CostsBasis::NotInEuros, En) => {
                "no WIK costs on invoices not in euros (the staffel is in euros; Tegoed does not convert)".into()
            }
            (CostsBasis::Business, Nl) => {
                "wettelijke staffel (WIK) over de samen geïnde hoofdsom".into()
            }
            (CostsBasis::Business, En) => {
                "WIK staffel over the summed principal of the invoices collected together".into()
            }
            (CostsBasis::ConsumerTermRuns { until }, Nl) => format!(
                "consument: nog geen incassokosten; de termijn van de veertiendagenbrief loopt tot en met {}",
                day(*until)
            ),
            (CostsBasis::ConsumerTermRuns { until }, En) => format!(
                "consumer: no collection costs yet; the 14-day letter's term runs until {}",
                day(*until)
            ),
            (CostsBasis::ConsumerNoLetter, Nl) => {
                "consument: geen incassokosten zonder veertiendagenbrief (art. 6:96 lid 6 BW)".into()
            }
            (CostsBasis::ConsumerNoLetter, En) => {
                "consumer: no collection costs without a 14-day letter (art. 6:96 lid 6 BW)".into()
            }
            (
                CostsBasis::Consumer {
                    sent_on,
                    until,
                    left_out_minor,
                },
                _,
            ) => {
                let mut text = match language {
                    Nl => format!(
                        "consument: wettelijke staffel over de facturen uit de veertiendagenbrief van {}, waarvan de termijn eindigde op {}",
                        day(*sent_on),
                        day(*until)
                    ),
                    En => format!(
                        "consumer: WIK staffel over the invoices of the 14-day letter sent on {}, whose term ended on {}",
                        day(*sent_on),
                        day(*until)
                    ),
                };
                if *left_out_minor > 0 {
                    text.push_str(&match language {
                        Nl => format!(
                            "; over {} aan facturen buiten die brief gaan geen kosten",
                            money(*left_out_minor)
                        ),
                        En => format!(
                            "; {} of invoices not in that letter carries no costs",
                            money(*left_out_minor)
                        ),
                    });
                }
                text
            }
        }
    }
}

/// Collection costs over `invoices` (id, principal) of a customer: a
/// business owes the WIK staffel over the summed principal; a consumer only
/// over the invoices of a 14-day letter whose term has passed, and never
/// more than that letter announced. Returns the costs (if any), why, and
/// the index of the letter they rest on.
pub fn collection_costs(
    consumer: bool,
    invoices: &[(InvoiceId, i64)],
    letters: &[LetterTerm],
    vat_uplift: Option<Rate>,
    as_of: Date,
) -> (Option<WikCalc>, CostsBasis, Option<usize>) {
    // Principals are bounded (`money::MAX_MINOR` each): saturating keeps
    // even absurd data from wrapping.
    let principal = invoices.iter().fold(0i64, |a, i| a.saturating_add(i.1));
    if principal <= 0 {
        return (None, CostsBasis::NothingOverdue, None);
    }
    if !consumer {
        return (
            Some(wik_costs(principal, vat_uplift)),
            CostsBasis::Business,
            None,
        );
    }
    let valid: Vec<usize> = (0..letters.len())
        .filter(|&i| as_of > letters[i].pay_without_costs_until)
        .collect();
    let in_letter = invoices
        .iter()
        .filter(|(id, _)| valid.iter().any(|&l| letters[l].invoices.contains(id)))
        .fold(0i64, |a, i| a.saturating_add(i.1));
    if in_letter == 0 {
        let pending = letters
            .iter()
            .filter(|l| as_of <= l.pay_without_costs_until)
            .map(|l| l.pay_without_costs_until)
            .max();
        let basis = match pending {
            Some(until) => CostsBasis::ConsumerTermRuns { until },
            None => CostsBasis::ConsumerNoLetter,
        };
        return (None, basis, None);
    }
    let letter = *valid.last().expect("a valid letter covers an invoice");
    let stated = valid
        .iter()
        .map(|&l| letters[l].stated_costs_minor)
        .max()
        .unwrap_or(0);
    let mut calc = wik_costs(in_letter, vat_uplift);
    // Never more than the letter announced (the principal may have come
    // down since; then the staffel on what is left is lower anyway).
    if calc.total_minor > stated && stated > 0 {
        calc.costs_minor = calc.costs_minor.min(stated);
        calc.vat_uplift_minor = vat_uplift.map_or(0, |r| r.apply(calc.costs_minor));
        calc.total_minor = calc.costs_minor + calc.vat_uplift_minor;
    }
    (
        Some(calc),
        CostsBasis::Consumer {
            sent_on: letters[letter].sent_on,
            until: letters[letter].pay_without_costs_until,
            left_out_minor: principal - in_letter,
        },
        Some(letter),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse_iso(s).unwrap()
    }

    fn table(rows: &[(&str, &str)]) -> RateTable {
        RateTable::new(
            rows.iter()
                .map(|(from, rate)| RateEntry {
                    from: d(from),
                    rate: Rate::parse_percent(rate).unwrap(),
                    verified: true,
                })
                .collect(),
        )
    }

    #[test]
    fn wik_examples_from_the_staffel() {
        let check = |principal: i64, costs: i64| {
            assert_eq!(wik_costs(principal, None).costs_minor, costs, "{principal}")
        };
        check(100_000, 15_000); // € 1,000 → € 150
        check(250_000, 37_500); // € 2,500 → € 375
        check(500_000, 62_500); // € 5,000 → € 625
        check(1_000_000, 87_500); // € 10,000 → € 875
        check(10_000, 4_000); // € 100 → the € 40 minimum
        check(100_000_000, 677_500); // € 1,000,000 → the € 6,775 maximum
        check(20_000_000, 277_500); // € 200,000 → 875 + 1,900
        let calc = wik_costs(10_000, Some(Rate::parse_percent("21").unwrap()));
        assert!(calc.minimum_applied);
        assert_eq!(
            calc.vat_uplift_minor, 840,
            "the uplift applies to the minimum too"
        );
        assert_eq!(calc.total_minor, 4_840);
        assert_eq!(wik_costs(1_234_567, None).bands.len(), 4);
    }

    #[test]
    fn interest_splits_at_rate_changes() {
        let rates = table(&[("2024-01-01", "12.50"), ("2024-07-01", "12.25")]);
        // € 10,000 from 1 June to 1 August 2024: 30 days at 12.50 %, 31 at 12.25 %.
        let calc = statutory_interest(1_000_000, d("2024-06-01"), d("2024-08-01"), &rates).unwrap();
        assert_eq!(calc.periods.len(), 2);
        assert_eq!(calc.periods[0].days, 30);
        assert_eq!(calc.periods[0].interest_minor, 10_274); // 10000 × 12.5 % × 30 / 365
        assert_eq!(calc.periods[1].days, 31);
        assert_eq!(calc.periods[1].interest_minor, 10_404); // 10000 × 12.25 % × 31 / 365
        assert_eq!(calc.interest_minor, 20_678);
    }

    #[test]
    fn interest_compounds_yearly() {
        let rates = table(&[("2020-01-01", "8")]);
        // Two years on € 1,000 at 8 %: 80 the first year, then 8 % of 1,080.
        let calc = statutory_interest(100_000, d("2021-03-01"), d("2023-03-01"), &rates).unwrap();
        assert_eq!(calc.periods.len(), 2);
        assert_eq!(calc.periods[0].interest_minor, 8_000);
        assert_eq!(calc.periods[1].principal_minor, 108_000);
        assert_eq!(calc.periods[1].interest_minor, 8_640);
        assert_eq!(calc.interest_minor, 16_640);
        assert!(statutory_interest(100_000, d("2019-01-01"), d("2020-06-01"), &rates).is_err());
        assert_eq!(
            statutory_interest(100_000, d("2021-01-01"), d("2021-01-01"), &rates)
                .unwrap()
                .interest_minor,
            0
        );
    }

    #[test]
    fn rates_past_the_last_half_year_are_flagged() {
        let rates = table(&[("2025-07-01", "10.15")]);
        let calc = statutory_interest(100_000, d("2025-12-01"), d("2026-02-01"), &rates).unwrap();
        assert_eq!(
            calc.periods.len(),
            2,
            "split at the end of the known half-year"
        );
        assert!(calc.periods[0].verified);
        assert_eq!(calc.periods[1].from, d("2026-01-01"));
        assert!(!calc.periods[1].verified);
        assert!(calc.uses_unverified_rate());
    }

    #[test]
    fn payments_stop_interest_on_what_they_pay() {
        let rates = table(&[("2024-01-01", "10")]);
        // € 1,000 from 1 March; € 400 paid on 31 March (30 days on 1,000),
        // then 30 days on 600 until 30 April.
        let payments = [
            (d("2024-02-20"), 0),
            (d("2024-03-31"), 40_000),
            (d("2024-06-01"), 60_000),
        ];
        let calc = statutory_interest_with_payments(
            100_000,
            d("2024-03-01"),
            d("2024-04-30"),
            &payments,
            &rates,
        )
        .unwrap();
        assert_eq!(calc.periods.len(), 2);
        assert_eq!(calc.periods[0].interest_minor, 822); // 1000 × 10 % × 30 / 365
        assert_eq!(calc.periods[1].principal_minor, 60_000);
        assert_eq!(calc.periods[1].interest_minor, 493); // 600 × 10 % × 30 / 365
        // Paid in full before interest started: nothing.
        let paid = statutory_interest_with_payments(
            100_000,
            d("2024-03-01"),
            d("2024-04-30"),
            &[(d("2024-02-01"), 100_000)],
            &rates,
        )
        .unwrap();
        assert_eq!(paid.interest_minor, 0);
    }

    #[test]
    fn fourteen_day_term() {
        // Sent by post on Friday 20 November 2026: received Tuesday 24th;
        // free of costs until 8 December; costs from 9 December.
        let term = FourteenDayTerm::new(d("2026-11-20"), 2);
        assert_eq!(term.received_on, d("2026-11-24"));
        assert_eq!(term.pay_without_costs_until, d("2026-12-08"));
        assert!(!term.costs_allowed_on(d("2026-12-08")));
        assert!(term.costs_allowed_on(d("2026-12-09")));
    }
}
