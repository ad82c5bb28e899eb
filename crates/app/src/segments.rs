//! Target groups: how many customers each segment holds and what they owe
//! (`tegoed segments list`), and why a customer is where they are
//! (`tegoed segments explain`).

use serde::Serialize;
use tegoed_core::segment::{CustomerFacts, assign, explain as explain_facts};
use tegoed_core::{CustomerKind, Date, Language, Money};
use tegoed_store::{LedgerRow, ReadTx, StoredCustomer};

use crate::Result;
use crate::config::Config;

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
    let snapshot = crate::risk::segment_snapshot(tx, config, as_of)?;
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

/// The segment (index into `config.segments`) of every customer on
/// `as_of`, with the customers' briefs (account manager).
pub fn assignments(
    tx: &mut dyn ReadTx,
    config: &Config,
    as_of: Date,
) -> Result<Vec<(tegoed_store::CustomerBrief, usize)>> {
    let snapshot = crate::risk::segment_snapshot(tx, config, as_of)?;
    Ok(snapshot
        .customers
        .iter()
        .zip(&snapshot.facts)
        .map(|(brief, facts)| {
            (
                brief.clone(),
                assign(&config.segments, facts).expect("the last segment takes everyone"),
            )
        })
        .collect())
}

/// A condition checked for a customer: the condition's name, the plain
/// bound and value, and the same as a sentence in Dutch and in English
/// ("betaalt gemiddeld 68 dagen te laat (grens: minstens 30)").
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CheckLine {
    pub condition: String,
    pub expected: String,
    pub actual: String,
    pub holds: bool,
    pub text_nl: String,
    pub text_en: String,
}

impl CheckLine {
    pub fn of(check: &tegoed_core::segment::Check) -> CheckLine {
        CheckLine {
            condition: check.condition.clone(),
            expected: check.expected.clone(),
            actual: check.actual.clone(),
            holds: check.holds,
            text_nl: sentence(check, Language::Nl),
            text_en: sentence(check, Language::En),
        }
    }

    pub fn text(&self, language: Language) -> &str {
        match language {
            Language::Nl => &self.text_nl,
            Language::En => &self.text_en,
        }
    }
}

/// A segment condition as a sentence a credit team reads: what the customer
/// does, then the bound in brackets.
pub fn sentence(check: &tegoed_core::segment::Check, language: Language) -> String {
    use crate::format;
    use tegoed_core::segment::{Quantity, Trend};
    let nl = language == Language::Nl;
    let show = |q: &Quantity| -> String {
        match q {
            Quantity::Money(m) => format::money(*m, "EUR", language),
            Quantity::Days(d) => format::number(*d, 0, language),
            Quantity::Share(s) => format::percent(*s, language),
            Quantity::Count(n) => format::integer(*n, language),
            Quantity::Kind(CustomerKind::B2b) => if nl { "zakelijk" } else { "business" }.into(),
            Quantity::Kind(CustomerKind::B2c) => if nl { "consument" } else { "consumer" }.into(),
            Quantity::Trend(Trend::Worsening) => if nl {
                "betaalt steeds later"
            } else {
                "paying later and later"
            }
            .into(),
            Quantity::Trend(Trend::Stable) => if nl { "gelijk gebleven" } else { "steady" }.into(),
            Quantity::Trend(Trend::Improving) => if nl {
                "betaalt steeds eerder"
            } else {
                "paying sooner and sooner"
            }
            .into(),
            Quantity::Codes(list) if list.is_empty() => if nl { "geen" } else { "none" }.into(),
            Quantity::Codes(list) => list.join(", "),
            Quantity::Unknown => if nl { "onbekend" } else { "unknown" }.into(),
        }
    };
    let name = check.condition.as_str();
    let bound = show(&check.bound);
    let value = show(&check.value);
    let limit = if name.ends_with("_min") {
        if nl {
            format!("grens: minstens {bound}")
        } else {
            format!("limit: at least {bound}")
        }
    } else if name.ends_with("_max") {
        if nl {
            format!("grens: hoogstens {bound}")
        } else {
            format!("limit: at most {bound}")
        }
    } else if nl {
        format!("gezocht: {bound}")
    } else {
        format!("looking for: {bound}")
    };
    let unknown = check.value == Quantity::Unknown;
    let what = match (name, nl) {
        ("kind", true) => format!("soort klant: {value}"),
        ("kind", false) => format!("kind of customer: {value}"),
        ("industry_sections" | "industry_codes", true) => format!("branche: {value}"),
        ("industry_sections" | "industry_codes", false) => format!("industry: {value}"),
        ("revenue_12m_min" | "revenue_12m_max", true) => {
            format!("omzet in de laatste 12 maanden: {value}")
        }
        ("revenue_12m_min" | "revenue_12m_max", false) => {
            format!("revenue over the last 12 months: {value}")
        }
        ("open_min" | "open_max", true) => format!("openstaand: {value}"),
        ("open_min" | "open_max", false) => format!("open: {value}"),
        ("overdue_min" | "overdue_max", true) => format!("vervallen: {value}"),
        ("overdue_min" | "overdue_max", false) => format!("overdue: {value}"),
        ("max_days_overdue_min", true) => {
            format!("oudste vervallen factuur: {value} dagen over de vervaldatum")
        }
        ("max_days_overdue_min", false) => {
            format!("oldest overdue invoice: {value} days past its due date")
        }
        ("avg_days_late_min" | "avg_days_late_max", _) if unknown => {
            if nl {
                "geen betalingen in de laatste 12 maanden".to_string()
            } else {
                "no payments in the last 12 months".to_string()
            }
        }
        ("avg_days_late_min" | "avg_days_late_max", true) => {
            format!("betaalt gemiddeld {value} dagen te laat")
        }
        ("avg_days_late_min" | "avg_days_late_max", false) => {
            format!("pays {value} days late on average")
        }
        ("share_late_min" | "share_late_max", _) if unknown => {
            if nl {
                "geen betalingen in de laatste 12 maanden".to_string()
            } else {
                "no payments in the last 12 months".to_string()
            }
        }
        ("share_late_min" | "share_late_max", true) => {
            format!("betaalt {value} van de facturen te laat")
        }
        ("share_late_min" | "share_late_max", false) => {
            format!("pays {value} of the invoices late")
        }
        ("trend", true) => format!("betaalgedrag: {value}"),
        ("trend", false) => format!("payment behaviour: {value}"),
        ("customer_age_days_min" | "customer_age_days_max", true) => {
            format!("klant sinds {value} dagen")
        }
        ("customer_age_days_min" | "customer_age_days_max", false) => {
            format!("customer for {value} days")
        }
        ("paid_invoices_min", true) => {
            format!("{value} facturen betaald in de laatste 12 maanden")
        }
        ("paid_invoices_min", false) => {
            format!("{value} invoices paid in the last 12 months")
        }
        ("tags_any", true) => format!("labels: {value}"),
        ("tags_any", false) => format!("tags: {value}"),
        ("risk_classes", true) => format!("risicoklasse: {value}"),
        ("risk_classes", false) => format!("risk class: {value}"),
        (_, _) => value,
    };
    format!("{what} ({limit})")
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

impl Explanation {
    /// The segment's name in `language`.
    pub fn segment_name(&self, language: Language) -> &str {
        match language {
            Language::Nl => &self.segment_name_nl,
            Language::En => &self.segment_name_en,
        }
    }
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
                    .map(|checks| checks.iter().map(CheckLine::of).collect())
                    .collect(),
                matched_alternative: t.matched,
            })
            .collect(),
    })
}
