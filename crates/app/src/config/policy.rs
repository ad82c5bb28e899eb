//! The `[risk]` and `[policy]` sections of `tegoed.toml`: the risk model's
//! settings, external rating scales, and the credit policy's rules.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use tegoed_core::customer::CustomerKind;
use tegoed_core::policy::{IndustryGroup, Requirement, Rule, Verdict, When};
use tegoed_core::risk::DEFAULT_CLASS_BOUNDS;

use super::{Amount, opt_amount, read_when};

/// Settings of the risk model and of external ratings.
#[derive(Clone, Debug, PartialEq)]
pub struct RiskSettings {
    /// "Late" means paid more than this many days after the due date.
    pub late_days: i32,
    pub holdout_months: i32,
    /// Upper probability bounds of classes A to D.
    pub class_bounds: [f64; 4],
    /// Ratings older than this count as stale.
    pub rating_max_age_days: i32,
    /// Per provider (lower case): the worst and the best score of its scale.
    /// Scores are read on 0–100 (100 best) when a provider is not listed.
    pub rating_scales: BTreeMap<String, (f64, f64)>,
}

impl RiskSettings {
    /// A provider's score on the 0–100 scale (100 best).
    pub fn normalize(&self, provider: &str, score: f64) -> f64 {
        let (worst, best) = self
            .rating_scales
            .get(&provider.to_lowercase())
            .copied()
            .unwrap_or((0.0, 100.0));
        ((score - worst) / (best - worst) * 100.0).clamp(0.0, 100.0)
    }
}

/// The credit policy and the cost settings of the pre-sale check.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicySettings {
    pub rules: Vec<Rule>,
    /// Gross margin on sales (0.25 = 25 %).
    pub margin: f64,
    /// Yearly cost of capital (0.08 = 8 %).
    pub cost_of_capital: f64,
    /// The internal cost of one collection case (calls, letters, time).
    pub collection_cost_minor: i64,
    /// The share of a late invoice that is lost, used when no risk model is
    /// trained yet (the model learns it from history).
    pub default_loss_share: f64,
    /// Payment terms of a deal when the check does not name them and the
    /// customer has none (prospects).
    pub default_terms_days: i32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRisk {
    late_days: Option<i32>,
    holdout_months: Option<i32>,
    class_bounds: Option<Vec<f64>>,
    rating_max_age_days: Option<i32>,
    #[serde(default)]
    rating_scales: BTreeMap<String, Vec<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPolicy {
    margin: Option<f64>,
    cost_of_capital: Option<f64>,
    collection_cost: Option<Amount>,
    default_loss_share: Option<f64>,
    default_terms_days: Option<i32>,
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    verdict: String,
    /// A table of conditions or a list of them (any one), read through JSON
    /// values so a misspelt condition is named in the error.
    when: Option<serde_json::Value>,
    #[serde(default)]
    conditions: Vec<String>,
    reason_nl: String,
    reason_en: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawWhen {
    prospect: Option<bool>,
    kind: Option<String>,
    #[serde(default)]
    risk_classes: Vec<String>,
    rating_max: Option<f64>,
    rating_missing_or_stale: Option<bool>,
    overdue_min: Option<Amount>,
    max_days_overdue_min: Option<i32>,
    limit_use_after_min: Option<f64>,
    customer_age_days_max: Option<i32>,
    #[serde(default)]
    industry_groups: Vec<String>,
    deal_min: Option<Amount>,
    deal_max: Option<Amount>,
    credit_hold: Option<bool>,
    handed_off: Option<bool>,
    broken_promises_min: Option<u32>,
    #[serde(default)]
    segments: Vec<String>,
}

pub(super) fn check_risk(raw: RawRisk) -> Result<RiskSettings, String> {
    let class_bounds = match raw.class_bounds {
        None => DEFAULT_CLASS_BOUNDS,
        Some(bounds) => {
            let ok = bounds.len() == 4
                && bounds.iter().all(|b| *b > 0.0 && *b < 1.0)
                && bounds.windows(2).all(|w| w[0] < w[1]);
            if !ok {
                return Err(format!(
                    "risk.class_bounds: {bounds:?} must be four rising probabilities between 0 and 1 (the upper bounds of classes A to D)"
                ));
            }
            [bounds[0], bounds[1], bounds[2], bounds[3]]
        }
    };
    let mut rating_scales = BTreeMap::new();
    for (provider, scale) in raw.rating_scales {
        match scale.as_slice() {
            [worst, best] if worst != best => {
                rating_scales.insert(provider.to_lowercase(), (*worst, *best));
            }
            _ => {
                return Err(format!(
                    "risk.rating_scales.{provider}: {scale:?} must be [worst, best], two different numbers"
                ));
            }
        }
    }
    let late_days = raw.late_days.unwrap_or(30);
    if !(0..=365).contains(&late_days) {
        return Err(format!(
            "risk.late_days: {late_days} must be 0 (paid after the due date at all) to 365"
        ));
    }
    let holdout_months = raw.holdout_months.unwrap_or(6);
    if !(1..=60).contains(&holdout_months) {
        return Err(format!(
            "risk.holdout_months: {holdout_months} must be 1 to 60"
        ));
    }
    Ok(RiskSettings {
        late_days,
        holdout_months,
        class_bounds,
        rating_max_age_days: raw.rating_max_age_days.unwrap_or(183).max(1),
        rating_scales,
    })
}

fn fraction(value: Option<f64>, what: &str, default: f64) -> Result<f64, String> {
    match value {
        None => Ok(default),
        Some(v) if (0.0..=1.0).contains(&v) => Ok(v),
        Some(v) => Err(format!(
            "{what}: {v} is not a fraction between 0 and 1 (0.25 = 25 %)"
        )),
    }
}

pub(super) fn check_policy(
    raw: RawPolicy,
    segments: &HashSet<String>,
) -> Result<PolicySettings, String> {
    let margin = fraction(raw.margin, "policy.margin", 0.25)?;
    if margin == 0.0 {
        return Err("policy.margin: 0 would make any write-off impossible to earn back".into());
    }
    let mut rules = Vec::new();
    let mut ids = HashSet::new();
    for rule in raw.rule {
        let at = format!("policy rule '{}'", rule.id);
        if !ids.insert(rule.id.clone()) {
            return Err(format!("{at}: the id is used twice"));
        }
        let verdict = Verdict::parse(&rule.verdict).ok_or_else(|| {
            format!(
                "{at}: verdict '{}' is not approve, conditions or prepay",
                rule.verdict
            )
        })?;
        let requirements = rule
            .conditions
            .iter()
            .map(|c| {
                Requirement::parse(c).ok_or_else(|| {
                    format!("{at}: condition '{c}' is not one of {}", Requirement::NAMES)
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if verdict == Verdict::Conditions && requirements.is_empty() {
            return Err(format!(
                "{at}: a 'conditions' verdict needs a list of conditions"
            ));
        }
        let when = read_when(rule.when, &at, |w: RawWhen| w.check(&at, segments))?;
        rules.push(Rule {
            id: rule.id,
            when,
            verdict,
            requirements,
            reason_nl: rule.reason_nl,
            reason_en: rule.reason_en,
        });
    }
    match rules.last() {
        None => return Err("the credit policy has no rules".into()),
        Some(last) if !last.when.is_empty() => {
            return Err(format!(
                "the last policy rule ('{}') must have no conditions, so every deal gets a verdict",
                last.id
            ));
        }
        _ => {}
    }
    Ok(PolicySettings {
        rules,
        margin,
        cost_of_capital: fraction(raw.cost_of_capital, "policy.cost_of_capital", 0.08)?,
        collection_cost_minor: opt_amount(&raw.collection_cost, "policy.collection_cost")?
            .unwrap_or(7_500),
        default_loss_share: fraction(raw.default_loss_share, "policy.default_loss_share", 0.1)?,
        default_terms_days: raw.default_terms_days.unwrap_or(30).max(0),
    })
}

impl RawWhen {
    fn check(self, at: &str, segments: &HashSet<String>) -> Result<When, String> {
        let kind = self
            .kind
            .map(|k| {
                CustomerKind::parse(&k)
                    .ok_or_else(|| format!("{at}, kind: '{k}' is not b2b or b2c"))
            })
            .transpose()?;
        let mut risk_classes = Vec::new();
        for class in &self.risk_classes {
            let mut chars = class.trim().chars();
            match (chars.next(), chars.next()) {
                (Some(c @ 'A'..='E'), None) => risk_classes.push(c),
                _ => {
                    return Err(format!(
                        "{at}, risk_classes: '{class}' is not a risk class A to E"
                    ));
                }
            }
        }
        let industry_groups = self
            .industry_groups
            .iter()
            .map(|g| {
                IndustryGroup::parse(g).ok_or_else(|| {
                    format!("{at}, industry_groups: '{g}' is not low, medium or high")
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        for segment in &self.segments {
            if !segments.contains(segment) {
                return Err(format!(
                    "{at}, segments: '{segment}' is not a defined segment"
                ));
            }
        }
        if let Some(r) = self.rating_max
            && !(0.0..=100.0).contains(&r)
        {
            return Err(format!("{at}, rating_max: {r} is not on the 0–100 scale"));
        }
        if let Some(u) = self.limit_use_after_min
            && u < 0.0
        {
            return Err(format!(
                "{at}, limit_use_after_min: {u} must be a share of the limit (1.0 = 100 %)"
            ));
        }
        Ok(When {
            prospect: self.prospect,
            kind,
            risk_classes,
            rating_max: self.rating_max,
            rating_missing_or_stale: self.rating_missing_or_stale,
            overdue_min: opt_amount(&self.overdue_min, &format!("{at}, overdue_min"))?,
            max_days_overdue_min: self.max_days_overdue_min,
            limit_use_after_min: self.limit_use_after_min,
            customer_age_days_max: self.customer_age_days_max,
            industry_groups,
            deal_min: opt_amount(&self.deal_min, &format!("{at}, deal_min"))?,
            deal_max: opt_amount(&self.deal_max, &format!("{at}, deal_max"))?,
            credit_hold: self.credit_hold,
            handed_off: self.handed_off,
            broken_promises_min: self.broken_promises_min,
            segments: self.segments,
        })
    }
}
