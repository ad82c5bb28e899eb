//! Target groups (segments): who do we pamper, who do we follow critically.
//!
//! A segment is an ordered rule over facts about a customer — kind,
//! industry, revenue, open and overdue amounts, how they paid over the last
//! twelve months, how long they have been a customer, tags, risk class. The
//! first rule that matches wins; the last segment has no conditions, so every
//! customer lands in exactly one. [`explain`] says which rule decided and
//! with which values.

use crate::customer::CustomerKind;
use crate::money::format_minor;
use crate::party::SbiCode;

/// A payment later than this many days after the due date counts as late
/// for "share paid late" (a few days are ordinary bank and booking delay).
pub const LATE_GRACE_DAYS: i32 = 3;

/// Which way a customer's payment behaviour is going.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trend {
    Worsening,
    Stable,
    Improving,
}

impl Trend {
    pub fn as_str(self) -> &'static str {
        match self {
            Trend::Worsening => "worsening",
            Trend::Stable => "stable",
            Trend::Improving => "improving",
        }
    }

    pub fn parse(text: &str) -> Option<Trend> {
        match text {
            "worsening" => Some(Trend::Worsening),
            "stable" => Some(Trend::Stable),
            "improving" => Some(Trend::Improving),
            _ => None,
        }
    }
}

/// What is known about a customer on a date, for segmentation and risk.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct CustomerFacts {
    pub kind: CustomerKind,
    pub industry: Option<SbiCode>,
    /// Invoices minus credit notes issued in the last 12 months (EUR cents).
    pub revenue_12m_minor: i64,
    pub open_minor: i64,
    pub overdue_minor: i64,
    /// Days the oldest open invoice is past due (0 when nothing is overdue).
    pub max_days_overdue: i32,
    /// Invoices paid in the last 12 months.
    pub paid_invoices_12m: u32,
    /// Average days after the due date they were paid (early counts as 0).
    pub avg_days_late: Option<f64>,
    /// Share paid more than [`LATE_GRACE_DAYS`] late.
    pub share_paid_late: Option<f64>,
    /// Average lateness of the last three payments minus the three before.
    pub trend_days: Option<f64>,
    /// Days since the first invoice.
    pub customer_age_days: i32,
    pub tags: Vec<String>,
    /// A to E, when a risk model has scored the customer.
    pub risk_class: Option<char>,
}

impl CustomerFacts {
    pub fn trend(&self) -> Option<Trend> {
        self.trend_days.map(|t| {
            if t > 5.0 {
                Trend::Worsening
            } else if t < -5.0 {
                Trend::Improving
            } else {
                Trend::Stable
            }
        })
    }
}

/// Conditions of a segment rule; all that are set must hold.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Conditions {
    pub kind: Option<CustomerKind>,
    /// SBI section letters (A–U); any of them.
    pub industry_sections: Vec<char>,
    /// SBI code prefixes ("41", "4321"); any of them.
    pub industry_codes: Vec<String>,
    pub revenue_12m_min: Option<i64>,
    pub revenue_12m_max: Option<i64>,
    pub open_min: Option<i64>,
    pub open_max: Option<i64>,
    pub overdue_min: Option<i64>,
    pub overdue_max: Option<i64>,
    pub max_days_overdue_min: Option<i32>,
    pub avg_days_late_min: Option<f64>,
    pub avg_days_late_max: Option<f64>,
    pub share_late_min: Option<f64>,
    pub share_late_max: Option<f64>,
    pub trend: Option<Trend>,
    pub customer_age_days_min: Option<i32>,
    pub customer_age_days_max: Option<i32>,
    /// Paid invoices in the last 12 months, at least (history to judge on).
    pub paid_invoices_min: Option<u32>,
    pub tags_any: Vec<String>,
    pub risk_classes: Vec<char>,
}

impl Conditions {
    pub fn is_empty(&self) -> bool {
        *self == Conditions::default()
    }
}

/// A target group and the collection strategy it gets.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    pub id: String,
    pub name_nl: String,
    pub name_en: String,
    /// The strategy's id.
    pub strategy: String,
    /// Alternatives: the segment matches when all conditions of any one of
    /// them hold. No alternatives (or one without conditions) matches every
    /// customer.
    pub when: Vec<Conditions>,
}

impl Segment {
    /// What people read: `name_nl`/`name_en`.
    pub fn name(&self, language: crate::Language) -> &str {
        match language {
            crate::Language::Nl => &self.name_nl,
            crate::Language::En => &self.name_en,
        }
    }

    /// True for a segment that takes every customer (the last one must).
    pub fn is_catch_all(&self) -> bool {
        self.when.is_empty() || self.when.iter().any(Conditions::is_empty)
    }
}

/// One condition checked against a customer. `expected` and `actual` are
/// the plain texts of the JSON output; `bound` and `value` the same as
/// values, for sentences in a reader's language.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub condition: String,
    pub expected: String,
    pub actual: String,
    pub holds: bool,
    pub bound: Quantity,
    pub value: Quantity,
}

/// A value a condition compares.
#[derive(Clone, Debug, PartialEq)]
pub enum Quantity {
    Money(i64),
    Days(f64),
    /// 0.0–1.0.
    Share(f64),
    Count(i64),
    Kind(CustomerKind),
    Trend(Trend),
    /// Industry sections or codes, tags, risk classes.
    Codes(Vec<String>),
    /// Not known (no payments in 12 months, not scored, no industry).
    Unknown,
}

/// One segment tried: the checks of each alternative, and which one
/// matched.
#[derive(Clone, Debug, PartialEq)]
pub struct Tried {
    pub segment: usize,
    pub alternatives: Vec<Vec<Check>>,
    pub matched: Option<usize>,
}

/// Why a customer is in their segment: the segments tried, in order; the
/// last one is the match.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    pub segment: usize,
    pub tried: Vec<Tried>,
}

fn money(minor: i64) -> String {
    format!("€ {}", format_minor(minor, 2))
}

fn opt_days(v: Option<f64>) -> String {
    v.map_or("no payments in 12 months".into(), |d| {
        format!("{d:.1} days")
    })
}

fn opt_share(v: Option<f64>) -> String {
    v.map_or("no payments in 12 months".into(), |s| {
        format!("{:.0} %", s * 100.0)
    })
}

/// Checks `conditions` against `facts`, one [`Check`] per condition set.
pub fn check(conditions: &Conditions, facts: &CustomerFacts) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut add = |condition: &str,
                   (expected, bound): (String, Quantity),
                   (actual, value): (String, Quantity),
                   holds: bool| {
        checks.push(Check {
            condition: condition.to_string(),
            expected,
            actual,
            holds,
            bound,
            value,
        })
    };
    let codes = |list: &[String]| Quantity::Codes(list.to_vec());
    let chars = |list: &[char]| Quantity::Codes(list.iter().map(|c| c.to_string()).collect());
    if let Some(kind) = conditions.kind {
        add(
            "kind",
            (kind.as_str().into(), Quantity::Kind(kind)),
            (facts.kind.as_str().into(), Quantity::Kind(facts.kind)),
            facts.kind == kind,
        );
    }
    if !conditions.industry_sections.is_empty() {
        let section = facts
            .industry
            .as_ref()
            .and_then(|i| i.section())
            .map(|s| s.letter());
        add(
            "industry_sections",
            (
                format!("one of {:?}", conditions.industry_sections),
                chars(&conditions.industry_sections),
            ),
            (
                section.map_or("none".into(), |s| s.to_string()),
                section.map_or(Quantity::Unknown, |s| chars(&[s])),
            ),
            section.is_some_and(|s| conditions.industry_sections.contains(&s)),
        );
    }
    if !conditions.industry_codes.is_empty() {
        let code = facts.industry.as_ref().map(|i| i.as_str().to_string());
        add(
            "industry_codes",
            (
                format!("starting with one of {:?}", conditions.industry_codes),
                codes(&conditions.industry_codes),
            ),
            (
                code.clone().unwrap_or_else(|| "none".into()),
                code.as_ref()
                    .map_or(Quantity::Unknown, |c| codes(std::slice::from_ref(c))),
            ),
            code.is_some_and(|c| {
                conditions
                    .industry_codes
                    .iter()
                    .any(|p| c.starts_with(p.as_str()))
            }),
        );
    }
    let mut money_bound = |name: &str, bound: Option<i64>, actual: i64, min: bool| {
        if let Some(b) = bound {
            let holds = if min { actual >= b } else { actual <= b };
            add(
                name,
                (
                    format!("{} {}", if min { "≥" } else { "≤" }, money(b)),
                    Quantity::Money(b),
                ),
                (money(actual), Quantity::Money(actual)),
                holds,
            );
        }
    };
    money_bound(
        "revenue_12m_min",
        conditions.revenue_12m_min,
        facts.revenue_12m_minor,
        true,
    );
    money_bound(
        "revenue_12m_max",
        conditions.revenue_12m_max,
        facts.revenue_12m_minor,
        false,
    );
    money_bound("open_min", conditions.open_min, facts.open_minor, true);
    money_bound("open_max", conditions.open_max, facts.open_minor, false);
    money_bound(
        "overdue_min",
        conditions.overdue_min,
        facts.overdue_minor,
        true,
    );
    money_bound(
        "overdue_max",
        conditions.overdue_max,
        facts.overdue_minor,
        false,
    );
    if let Some(min) = conditions.max_days_overdue_min {
        add(
            "max_days_overdue_min",
            (format!("≥ {min} days"), Quantity::Days(f64::from(min))),
            (
                format!("{} days", facts.max_days_overdue),
                Quantity::Days(f64::from(facts.max_days_overdue)),
            ),
            facts.max_days_overdue >= min,
        );
    }
    let mut float_bound = |name: &str,
                           bound: Option<f64>,
                           actual: Option<f64>,
                           min: bool,
                           show: &dyn Fn(Option<f64>) -> String,
                           quantity: fn(f64) -> Quantity| {
        if let Some(b) = bound {
            let holds = actual.is_some_and(|a| if min { a >= b } else { a <= b });
            add(
                name,
                (
                    format!("{} {}", if min { "≥" } else { "≤" }, show(Some(b))),
                    quantity(b),
                ),
                (show(actual), actual.map_or(Quantity::Unknown, quantity)),
                holds,
            );
        }
    };
    float_bound(
        "avg_days_late_min",
        conditions.avg_days_late_min,
        facts.avg_days_late,
        true,
        &opt_days,
        Quantity::Days,
    );
    float_bound(
        "avg_days_late_max",
        conditions.avg_days_late_max,
        facts.avg_days_late,
        false,
        &opt_days,
        Quantity::Days,
    );
    float_bound(
        "share_late_min",
        conditions.share_late_min,
        facts.share_paid_late,
        true,
        &opt_share,
        Quantity::Share,
    );
    float_bound(
        "share_late_max",
        conditions.share_late_max,
        facts.share_paid_late,
        false,
        &opt_share,
        Quantity::Share,
    );
    if let Some(trend) = conditions.trend {
        let actual = facts.trend();
        add(
            "trend",
            (trend.as_str().into(), Quantity::Trend(trend)),
            (
                actual.map_or("not enough payments".into(), |t| t.as_str().into()),
                actual.map_or(Quantity::Unknown, Quantity::Trend),
            ),
            actual == Some(trend),
        );
    }
    if let Some(min) = conditions.customer_age_days_min {
        add(
            "customer_age_days_min",
            (format!("≥ {min} days"), Quantity::Days(f64::from(min))),
            (
                format!("{} days", facts.customer_age_days),
                Quantity::Days(f64::from(facts.customer_age_days)),
            ),
            facts.customer_age_days >= min,
        );
    }
    if let Some(max) = conditions.customer_age_days_max {
        add(
            "customer_age_days_max",
            (format!("≤ {max} days"), Quantity::Days(f64::from(max))),
            (
                format!("{} days", facts.customer_age_days),
                Quantity::Days(f64::from(facts.customer_age_days)),
            ),
            facts.customer_age_days <= max,
        );
    }
    if let Some(min) = conditions.paid_invoices_min {
        add(
            "paid_invoices_min",
            (format!("≥ {min}"), Quantity::Count(i64::from(min))),
            (
                facts.paid_invoices_12m.to_string(),
                Quantity::Count(i64::from(facts.paid_invoices_12m)),
            ),
            facts.paid_invoices_12m >= min,
        );
    }
    if !conditions.tags_any.is_empty() {
        add(
            "tags_any",
            (
                format!("one of {:?}", conditions.tags_any),
                codes(&conditions.tags_any),
            ),
            (
                if facts.tags.is_empty() {
                    "none".into()
                } else {
                    facts.tags.join(", ")
                },
                codes(&facts.tags),
            ),
            facts.tags.iter().any(|t| conditions.tags_any.contains(t)),
        );
    }
    if !conditions.risk_classes.is_empty() {
        add(
            "risk_classes",
            (
                format!("one of {:?}", conditions.risk_classes),
                chars(&conditions.risk_classes),
            ),
            (
                facts
                    .risk_class
                    .map_or("not scored".into(), |c| c.to_string()),
                facts.risk_class.map_or(Quantity::Unknown, |c| chars(&[c])),
            ),
            facts
                .risk_class
                .is_some_and(|c| conditions.risk_classes.contains(&c)),
        );
    }
    checks
}

/// Which alternative of `segment` matches `facts`, if any.
fn matching_alternative(segment: &Segment, facts: &CustomerFacts) -> Option<usize> {
    if segment.when.is_empty() {
        return Some(0);
    }
    segment
        .when
        .iter()
        .position(|conditions| check(conditions, facts).iter().all(|c| c.holds))
}

/// The first segment that matches. `segments` must end with a catch-all
/// (configuration checks this), so there always is one; `None` only for an
/// empty list.
pub fn assign(segments: &[Segment], facts: &CustomerFacts) -> Option<usize> {
    segments
        .iter()
        .position(|segment| matching_alternative(segment, facts).is_some())
}

/// [`assign`] with its reasons.
pub fn explain(segments: &[Segment], facts: &CustomerFacts) -> Option<Explanation> {
    let mut tried = Vec::new();
    for (idx, segment) in segments.iter().enumerate() {
        let alternatives: Vec<Vec<Check>> = segment.when.iter().map(|c| check(c, facts)).collect();
        let matched = matching_alternative(segment, facts);
        tried.push(Tried {
            segment: idx,
            alternatives,
            matched,
        });
        if matched.is_some() {
            return Some(Explanation {
                segment: idx,
                tried,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(id: &str, when: Conditions) -> Segment {
        Segment {
            id: id.into(),
            name_nl: id.into(),
            name_en: id.into(),
            strategy: id.into(),
            when: vec![when],
        }
    }

    fn segments() -> Vec<Segment> {
        vec![
            segment(
                "consumers",
                Conditions {
                    kind: Some(CustomerKind::B2c),
                    ..Conditions::default()
                },
            ),
            segment(
                "key_accounts",
                Conditions {
                    revenue_12m_min: Some(5_000_000),
                    avg_days_late_max: Some(20.0),
                    ..Conditions::default()
                },
            ),
            segment(
                "watch_list",
                Conditions {
                    avg_days_late_min: Some(30.0),
                    ..Conditions::default()
                },
            ),
            segment("standard", Conditions::default()),
        ]
    }

    #[test]
    fn first_match_wins_and_explains() {
        let facts = CustomerFacts {
            revenue_12m_minor: 6_000_000,
            avg_days_late: Some(35.0),
            ..CustomerFacts::default()
        };
        let explanation = explain(&segments(), &facts).unwrap();
        assert_eq!(
            explanation.segment, 2,
            "too late for a key account: watch list"
        );
        let key = &explanation.tried[1].alternatives[0];
        assert!(
            key.iter()
                .any(|c| c.condition == "avg_days_late_max" && !c.holds && c.actual == "35.0 days")
        );
        assert_eq!(
            assign(&segments(), &CustomerFacts::default()),
            Some(3),
            "no history: standard"
        );
        let consumer = CustomerFacts {
            kind: CustomerKind::B2c,
            ..CustomerFacts::default()
        };
        assert_eq!(assign(&segments(), &consumer), Some(0));
    }

    #[test]
    fn any_alternative_matches() {
        let mut watch = segment("watch", Conditions::default());
        watch.when = vec![
            Conditions {
                avg_days_late_min: Some(30.0),
                ..Conditions::default()
            },
            Conditions {
                tags_any: vec!["watch".into()],
                ..Conditions::default()
            },
        ];
        let list = vec![watch, segment("standard", Conditions::default())];
        let tagged = CustomerFacts {
            tags: vec!["watch".into()],
            ..CustomerFacts::default()
        };
        let explanation = explain(&list, &tagged).unwrap();
        assert_eq!(explanation.segment, 0);
        assert_eq!(explanation.tried[0].matched, Some(1));
        assert_eq!(assign(&list, &CustomerFacts::default()), Some(1));
        assert!(list[1].is_catch_all() && !list[0].is_catch_all());
    }

    #[test]
    fn behaviour_conditions_need_history() {
        let reliable = Conditions {
            share_late_max: Some(0.2),
            ..Conditions::default()
        };
        assert!(
            !check(&reliable, &CustomerFacts::default())[0].holds,
            "unknown is not reliable"
        );
        let facts = CustomerFacts {
            trend_days: Some(9.0),
            ..CustomerFacts::default()
        };
        assert_eq!(facts.trend(), Some(Trend::Worsening));
    }
}
