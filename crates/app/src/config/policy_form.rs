//! A credit policy rule as a form: its verdict, when it applies (rows of a
//! fact, a comparison and a value, in alternatives, as a segment's
//! conditions), the conditions of sale it asks for, and its reason in Dutch
//! and English. Read from the settings in force ([`form_of`]) and written
//! back into the settings file's text ([`apply`]) keeping the rest of the
//! file and its comments; [`super::Config::parse`] checks the result as it
//! checks a file edited by hand.

use serde::Serialize;
use tegoed_core::policy::{Requirement, Rule, When};
use toml_edit::{Array, Item};

use super::segment_form::{
    Fact, FactKind, FormError, MIN_MAX, Op, Row, conditions_of, euros, number, set_when,
    settings_document, whole,
};

/// What a rule can look at, in the order the form lists them.
pub const FACTS: &[Fact] = &[
    Fact {
        key: "prospect",
        kind: FactKind::YesNo,
        ops: &[Op::Is],
        label_nl: "nog geen klant (prospect)",
        label_en: "not a customer yet (prospect)",
    },
    Fact {
        key: "kind",
        kind: FactKind::Kind,
        ops: &[Op::Is],
        label_nl: "soort klant",
        label_en: "kind of customer",
    },
    Fact {
        key: "deal",
        kind: FactKind::Money,
        ops: MIN_MAX,
        label_nl: "orderbedrag (€)",
        label_en: "order amount (€)",
    },
    Fact {
        key: "risk_classes",
        kind: FactKind::List,
        ops: &[Op::OneOf],
        label_nl: "risicoklasse",
        label_en: "risk class",
    },
    Fact {
        key: "rating",
        kind: FactKind::Score,
        ops: &[Op::AtMost],
        label_nl: "externe rating (0–100)",
        label_en: "external rating (0–100)",
    },
    Fact {
        key: "rating_missing_or_stale",
        kind: FactKind::YesNo,
        ops: &[Op::Is],
        label_nl: "geen of verouderde rating",
        label_en: "no rating, or an old one",
    },
    Fact {
        key: "overdue",
        kind: FactKind::Money,
        ops: &[Op::AtLeast],
        label_nl: "vervallen (€)",
        label_en: "overdue (€)",
    },
    Fact {
        key: "max_days_overdue",
        kind: FactKind::Days,
        ops: &[Op::AtLeast],
        label_nl: "dagen over de vervaldatum (oudste factuur)",
        label_en: "days past due (oldest invoice)",
    },
    Fact {
        key: "limit_use_after",
        kind: FactKind::Percent,
        ops: &[Op::AtLeast],
        label_nl: "kredietlimiet gebruikt na de order (%)",
        label_en: "credit limit used after the order (%)",
    },
    Fact {
        key: "customer_age_days",
        kind: FactKind::Days,
        ops: &[Op::AtMost],
        label_nl: "dagen klant",
        label_en: "days a customer",
    },
    Fact {
        key: "industry_groups",
        kind: FactKind::List,
        ops: &[Op::OneOf],
        label_nl: "risicogroep van de branche (laag, gemiddeld, hoog)",
        label_en: "industry risk group (low, medium, high)",
    },
    Fact {
        key: "credit_hold",
        kind: FactKind::YesNo,
        ops: &[Op::Is],
        label_nl: "kredietstop",
        label_en: "on credit hold",
    },
    Fact {
        key: "handed_off",
        kind: FactKind::YesNo,
        ops: &[Op::Is],
        label_nl: "bij het incassobureau",
        label_en: "with the collection agency",
    },
    Fact {
        key: "broken_promises",
        kind: FactKind::Count,
        ops: &[Op::AtLeast],
        label_nl: "niet nagekomen betaalafspraken",
        label_en: "payment agreements broken",
    },
    Fact {
        key: "segments",
        kind: FactKind::List,
        ops: &[Op::OneOf],
        label_nl: "doelgroep",
        label_en: "segment",
    },
];

/// The conditions of sale without a number, as ticked on the form.
pub const FLAGS: &[Requirement] = &[
    Requirement::SettleOverdue,
    Requirement::DirectDebit,
    Requirement::WithinLimit,
    Requirement::FreshRating,
    Requirement::CreditInsurance,
    Requirement::BankGuarantee,
];

/// A rule as the form shows and sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RuleForm {
    pub id: String,
    /// `approve`, `conditions` or `prepay`.
    pub verdict: String,
    pub alternatives: Vec<Vec<Row>>,
    /// Shorter payment terms, in days (empty: none).
    pub terms_days: String,
    /// Paid in advance, in per cent of the order (empty: none).
    pub prepayment_pct: String,
    /// The codes of the ticked [`FLAGS`].
    pub flags: Vec<String>,
    pub reason_nl: String,
    pub reason_en: String,
}

fn rows_of(w: &When) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut add = |fact: &str, op: Op, value: String| {
        rows.push(Row {
            fact: fact.into(),
            op: op.code().into(),
            value,
        })
    };
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
    if let Some(p) = w.prospect {
        add("prospect", Op::Is, yes_no(p));
    }
    if let Some(k) = w.kind {
        add("kind", Op::Is, k.as_str().into());
    }
    if let Some(v) = w.deal_min {
        add("deal", Op::AtLeast, euros(v));
    }
    if let Some(v) = w.deal_max {
        add("deal", Op::AtMost, euros(v));
    }
    if !w.risk_classes.is_empty() {
        let classes: Vec<String> = w.risk_classes.iter().map(char::to_string).collect();
        add("risk_classes", Op::OneOf, classes.join(", "));
    }
    if let Some(v) = w.rating_max {
        add("rating", Op::AtMost, number(v));
    }
    if let Some(b) = w.rating_missing_or_stale {
        add("rating_missing_or_stale", Op::Is, yes_no(b));
    }
    if let Some(v) = w.overdue_min {
        add("overdue", Op::AtLeast, euros(v));
    }
    if let Some(v) = w.max_days_overdue_min {
        add("max_days_overdue", Op::AtLeast, v.to_string());
    }
    if let Some(v) = w.limit_use_after_min {
        add(
            "limit_use_after",
            Op::AtLeast,
            number((v * 1000.0).round() / 10.0),
        );
    }
    if let Some(v) = w.customer_age_days_max {
        add("customer_age_days", Op::AtMost, v.to_string());
    }
    if !w.industry_groups.is_empty() {
        let groups: Vec<&str> = w.industry_groups.iter().map(|g| g.as_str()).collect();
        add("industry_groups", Op::OneOf, groups.join(", "));
    }
    if let Some(b) = w.credit_hold {
        add("credit_hold", Op::Is, yes_no(b));
    }
    if let Some(b) = w.handed_off {
        add("handed_off", Op::Is, yes_no(b));
    }
    if let Some(v) = w.broken_promises_min {
        add("broken_promises", Op::AtLeast, v.to_string());
    }
    if !w.segments.is_empty() {
        add("segments", Op::OneOf, w.segments.join(", "));
    }
    rows
}

/// The form of `rule` as the settings have it.
pub fn form_of(rule: &Rule) -> RuleForm {
    let mut form = RuleForm {
        id: rule.id.clone(),
        verdict: rule.verdict.as_str().into(),
        alternatives: rule.when.iter().map(rows_of).collect(),
        reason_nl: rule.reason_nl.clone(),
        reason_en: rule.reason_en.clone(),
        ..RuleForm::default()
    };
    for r in &rule.requirements {
        match r {
            Requirement::ShorterTerms(days) => form.terms_days = days.to_string(),
            Requirement::Prepayment(share) => {
                form.prepayment_pct = number((share * 1000.0).round() / 10.0)
            }
            other => form.flags.push(other.code().into()),
        }
    }
    form
}

/// The conditions of sale of the form, as the settings write them.
fn requirements(form: &RuleForm) -> Result<Vec<String>, FormError> {
    let mut out = Vec::new();
    let terms = form.terms_days.trim();
    if !terms.is_empty() {
        match terms.parse::<i32>() {
            Ok(days) if (1..=365).contains(&days) => out.push(format!("shorter_terms:{days}")),
            _ => {
                return Err(whole(
                    format!("betaaltermijn: '{terms}' is geen aantal dagen van 1 tot 365"),
                    format!("payment terms: '{terms}' is not a number of days from 1 to 365"),
                ));
            }
        }
    }
    let pct = form.prepayment_pct.trim().trim_end_matches('%').trim();
    if !pct.is_empty() {
        match pct.replace(',', ".").parse::<f64>() {
            Ok(p) if p > 0.0 && p <= 100.0 => out.push(format!("prepayment:{}%", number(p))),
            _ => {
                return Err(whole(
                    format!("vooruitbetaling: '{pct}' is geen percentage boven 0 tot en met 100"),
                    format!("payment in advance: '{pct}' is not a percentage above 0 up to 100"),
                ));
            }
        }
    }
    for flag in FLAGS {
        if form.flags.iter().any(|f| f == flag.code()) {
            out.push(flag.code().into());
        }
    }
    Ok(out)
}

/// `source` (the settings file's text) with policy rule `form.id` replaced
/// by the form; everything else as it was.
pub fn apply(source: &str, form: &RuleForm) -> Result<String, FormError> {
    let mut doc = settings_document(source)?;
    let when = conditions_of(&form.alternatives, FACTS)?;
    let conditions = requirements(form)?;
    let (reason_nl, reason_en) = (form.reason_nl.trim(), form.reason_en.trim());
    if reason_nl.is_empty() || reason_en.is_empty() {
        return Err(whole(
            "geef de regel een reden in het Nederlands en in het Engels (sales leest die)".into(),
            "give the rule a reason in Dutch and in English (sales reads it)".into(),
        ));
    }
    let verdict = form.verdict.trim();
    if !matches!(verdict, "approve" | "conditions" | "prepay") {
        return Err(whole("kies een besluit".into(), "choose a verdict".into()));
    }
    if verdict == "conditions" && conditions.is_empty() {
        return Err(whole(
            "een besluit 'onder voorwaarden' noemt minstens één voorwaarde".into(),
            "a verdict 'with conditions' names at least one condition".into(),
        ));
    }
    let table = doc
        .get_mut("policy")
        .and_then(|p| p.get_mut("rule"))
        .and_then(Item::as_array_of_tables_mut)
        .and_then(|rules| {
            rules
                .iter_mut()
                .find(|t| t.get("id").and_then(Item::as_str) == Some(form.id.as_str()))
        })
        .ok_or_else(|| {
            whole(
                format!(
                    "beleidsregel '{}' staat niet in het instellingenbestand ([[policy.rule]])",
                    form.id
                ),
                format!(
                    "policy rule '{}' is not in the settings file ([[policy.rule]])",
                    form.id
                ),
            )
        })?;
    // The conditions keep the order the file gave them (sales reads them
    // in that order); new ones follow.
    let before: Vec<String> = table
        .get("conditions")
        .and_then(Item::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|v| v.as_str())
                .map(|c| c.split(':').next().unwrap_or(c).trim().to_string())
                .collect()
        })
        .unwrap_or_default();
    let mut conditions = conditions;
    conditions.sort_by_key(|c| {
        let code = c.split(':').next().unwrap_or(c);
        before.iter().position(|b| b == code).unwrap_or(usize::MAX)
    });
    table["verdict"] = toml_edit::value(verdict);
    set_when(table, when);
    if conditions.is_empty() {
        table.remove("conditions");
    } else {
        let mut list = Array::new();
        for c in conditions {
            list.push(c);
        }
        table["conditions"] = toml_edit::value(list);
    }
    table["reason_nl"] = toml_edit::value(reason_nl);
    table["reason_en"] = toml_edit::value(reason_en);
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::parse_for_test as parse;

    #[test]
    fn every_shipped_rule_survives_the_round_trip_through_the_form() {
        let config = parse(crate::config::DEFAULT_CONFIG);
        assert!(config.policy.rules.len() >= 5);
        for rule in &config.policy.rules {
            let text = apply(crate::config::DEFAULT_CONFIG, &form_of(rule)).unwrap();
            let again = parse(&text);
            let back = again.policy.rules.iter().find(|r| r.id == rule.id).unwrap();
            assert_eq!(back, rule, "{}", rule.id);
        }
    }

    #[test]
    fn a_changed_rule_is_written_in_place_and_the_comments_stay() {
        let config = parse(crate::config::DEFAULT_CONFIG);
        let high = config
            .policy
            .rules
            .iter()
            .find(|r| r.id == "high_risk")
            .unwrap();
        let mut form = form_of(high);
        assert_eq!(form.prepayment_pct, "30");
        assert_eq!(form.terms_days, "14");
        form.prepayment_pct = "40%".into();
        form.terms_days = String::new();
        form.flags = vec!["credit_insurance".into()];
        form.alternatives.push(vec![Row {
            fact: "deal".into(),
            op: "min".into(),
            value: "50.000,00".into(),
        }]);
        form.alternatives.push(vec![Row {
            fact: "credit_hold".into(),
            op: "is".into(),
            value: "ja".into(),
        }]);
        let text = apply(crate::config::DEFAULT_CONFIG, &form).unwrap();
        assert!(text.contains("# Gross margin on sales"), "comments stay");
        let again = parse(&text);
        let order: Vec<&str> = again.policy.rules.iter().map(|r| r.id.as_str()).collect();
        let before: Vec<&str> = config.policy.rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(order, before, "the rule keeps its place (first match wins)");
        let back = again
            .policy
            .rules
            .iter()
            .find(|r| r.id == "high_risk")
            .unwrap();
        assert_eq!(
            back.requirements,
            vec![Requirement::Prepayment(0.4), Requirement::CreditInsurance]
        );
        assert_eq!(back.when.len(), 3);
        assert_eq!(back.when[1].deal_min, Some(5_000_000));
        assert_eq!(back.when[2].credit_hold, Some(true));
    }

    #[test]
    fn mistakes_are_named_where_they_are() {
        let config = parse(crate::config::DEFAULT_CONFIG);
        let rule = config
            .policy
            .rules
            .iter()
            .find(|r| r.id == "over_limit")
            .unwrap();
        let mut form = form_of(rule);
        form.alternatives[0][0].value = "veel".into();
        let e = apply(crate::config::DEFAULT_CONFIG, &form).unwrap_err();
        assert_eq!((e.alternative, e.row), (Some(0), Some(0)));
        assert!(
            e.nl.contains("'veel' is geen percentage van 0 tot 1000"),
            "{}",
            e.nl
        );
        form.alternatives[0][0].value = "120".into();
        let text = apply(crate::config::DEFAULT_CONFIG, &form).unwrap();
        assert!(text.contains("limit_use_after_min = 1.2"), "{text}");

        let mut form = form_of(rule);
        form.flags.clear();
        let e = apply(crate::config::DEFAULT_CONFIG, &form).unwrap_err();
        assert!(e.en.contains("names at least one condition"), "{}", e.en);
        form.verdict = "prepay".into();
        form.reason_en = " ".into();
        let e = apply(crate::config::DEFAULT_CONFIG, &form).unwrap_err();
        assert!(e.nl.contains("reden"), "{}", e.nl);
        form.reason_en = "Over the limit: pay first.".into();
        form.prepayment_pct = "0".into();
        let e = apply(crate::config::DEFAULT_CONFIG, &form).unwrap_err();
        assert!(e.en.contains("payment in advance: '0'"), "{}", e.en);
    }
}
