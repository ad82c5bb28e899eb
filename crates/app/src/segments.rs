//! Target groups: how many customers each segment holds and what they owe
//! (`tegoed segments list`), and why a customer is where they are
//! (`tegoed segments explain`).

use serde::Serialize;
use tegoed_core::segment::{CustomerFacts, assign, explain as explain_facts};
use tegoed_core::{Date, Money};
use tegoed_store::{LedgerRow, ReadTx, StoredCustomer};

use crate::Result;
use crate::config::Config;
use crate::facts::snapshot;

/// One segment with its customers.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SegmentLine {
    pub id: String,
    pub name_nl: String,
    pub name_en: String,
    pub strategy: String,
    pub customers: u64,
    /// Customers with something open.
    pub customers_open: u64,
    #[serde(serialize_with = "crate::ser::money")]
    pub open: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub overdue: Money,
}

/// Every segment with customer count, open and overdue amounts (euros).
pub fn list(tx: &mut dyn ReadTx, config: &Config, as_of: Date) -> Result<Vec<SegmentLine>> {
    let mut snapshot = snapshot(tx, as_of)?;
    crate::risk::fill_classes(tx, config, &mut snapshot)?;
    let mut lines: Vec<SegmentLine> = config
        .segments
        .iter()
        .map(|s| SegmentLine {
            id: s.id.clone(),
            name_nl: s.name_nl.clone(),
            name_en: s.name_en.clone(),
            strategy: s.strategy.clone(),
            customers: 0,
            customers_open: 0,
            open: Money::eur(0),
            overdue: Money::eur(0),
        })
        .collect();
    for facts in &snapshot.facts {
        let idx = assign(&config.segments, facts).expect("the last segment takes everyone");
        let line = &mut lines[idx];
        line.customers += 1;
        if facts.open_minor > 0 {
            line.customers_open += 1;
        }
        line.open = line.open.checked_add(Money::eur(facts.open_minor))?;
        line.overdue = line.overdue.checked_add(Money::eur(facts.overdue_minor))?;
    }
    Ok(lines)
}

/// A condition checked for a customer.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CheckLine {
    pub condition: String,
    pub expected: String,
    pub actual: String,
    pub holds: bool,
}

/// A segment tried for a customer.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TriedLine {
    pub segment: String,
    pub matched: bool,
    /// Each alternative's checks (a segment matches when all checks of one
    /// alternative hold; none at all: it takes everyone).
    pub alternatives: Vec<Vec<CheckLine>>,
    /// The alternative that matched, counted from 0.
    pub matched_alternative: Option<usize>,
}

/// The facts a segment decision used.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FactsLine {
    pub kind: &'static str,
    pub industry: Option<String>,
    #[serde(serialize_with = "crate::ser::money")]
    pub revenue_12m: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub open: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub overdue: Money,
    pub max_days_overdue: i32,
    pub paid_invoices_12m: u32,
    #[serde(serialize_with = "crate::ser::days")]
    pub avg_days_late: Option<f64>,
    pub share_paid_late: Option<f64>,
    pub trend: Option<&'static str>,
    pub customer_age_days: i32,
    pub tags: Vec<String>,
    pub risk_class: Option<String>,
}

fn facts_line(facts: &CustomerFacts) -> FactsLine {
    FactsLine {
        kind: facts.kind.as_str(),
        industry: facts.industry.as_ref().map(|i| i.as_str().to_string()),
        revenue_12m: Money::eur(facts.revenue_12m_minor),
        open: Money::eur(facts.open_minor),
        overdue: Money::eur(facts.overdue_minor),
        max_days_overdue: facts.max_days_overdue,
        paid_invoices_12m: facts.paid_invoices_12m,
        avg_days_late: facts.avg_days_late,
        share_paid_late: facts.share_paid_late.map(|s| (s * 1000.0).round() / 1000.0),
        trend: facts.trend().map(|t| t.as_str()),
        customer_age_days: facts.customer_age_days,
        tags: facts.tags.clone(),
        risk_class: facts.risk_class.map(|c| c.to_string()),
    }
}

/// Why a customer is in their segment.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Explanation {
    pub customer: String,
    pub name: String,
    #[serde(serialize_with = "crate::ser::date")]
    pub as_of: Date,
    pub segment: String,
    pub segment_name_nl: String,
    pub segment_name_en: String,
    pub strategy: String,
    pub facts: FactsLine,
    pub tried: Vec<TriedLine>,
}

/// Explains the segment of a customer on `as_of` from their ledger rows
/// (see [`crate::facts::CustomerLedger`]). `risk_class` is the customer's
/// class when the caller scored them already (the customer page); with
/// `None` it is worked out here, when a segment looks at it.
pub fn explain(
    tx: &mut dyn ReadTx,
    config: &Config,
    stored: &StoredCustomer,
    rows: &[LedgerRow],
    risk_class: Option<Option<char>>,
    as_of: Date,
) -> Result<Explanation> {
    let uses_risk = crate::risk::segments_use_risk(config);
    let risk_class = match risk_class {
        Some(class) => class,
        None if uses_risk => crate::risk::customer_class(tx, config, stored, rows, as_of)?,
        None => None,
    };
    let brief = stored.brief();
    let (mut facts, _) = crate::facts::facts_from_rows(tx, &brief, rows, as_of)?;
    if uses_risk {
        facts.risk_class = risk_class;
    }
    let explanation =
        explain_facts(&config.segments, &facts).expect("the last segment takes everyone");
    let segment = &config.segments[explanation.segment];
    Ok(Explanation {
        customer: stored.customer.number.clone(),
        name: stored.customer.name.clone(),
        as_of,
        segment: segment.id.clone(),
        segment_name_nl: segment.name_nl.clone(),
        segment_name_en: segment.name_en.clone(),
        strategy: segment.strategy.clone(),
        facts: facts_line(&facts),
        tried: explanation
            .tried
            .iter()
            .map(|t| TriedLine {
                segment: config.segments[t.segment].id.clone(),
                matched: t.matched.is_some(),
                alternatives: t
                    .alternatives
                    .iter()
                    .map(|checks| {
                        checks
                            .iter()
                            .map(|c| CheckLine {
                                condition: c.condition.clone(),
                                expected: c.expected.clone(),
                                actual: c.actual.clone(),
                                holds: c.holds,
                            })
                            .collect()
                    })
                    .collect(),
                matched_alternative: t.matched,
            })
            .collect(),
    })
}
