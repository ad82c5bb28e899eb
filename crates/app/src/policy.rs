//! The credit policy at work: the pre-sale check, the policy in plain
//! words, and the cost calculator.

use serde::Serialize;
use tegoed_core::customer::CustomerKind;
use tegoed_core::policy::{self, Deal, IndustryGroup, Rule};
use tegoed_core::segment;
use tegoed_core::{Date, Language, Money};
use tegoed_store::{LedgerRow, ReadTx, StoredCustomer};

use crate::config::Config;
use crate::risk::{self, LoadedModel, RatingView, RiskScore};
use crate::{AppError, Result};

/// What the check is about: a customer, or a prospect.
#[derive(Clone, Debug)]
pub enum Subject {
    Customer(String),
    Prospect {
        name: String,
        kvk: Option<String>,
        industry: Option<tegoed_core::party::SbiCode>,
        kind: CustomerKind,
    },
}

#[derive(Clone, Debug)]
pub struct CheckRequest {
    pub subject: Subject,
    pub amount: Money,
    pub terms_days: Option<i32>,
    pub language: Language,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConditionOut {
    pub code: &'static str,
    pub text: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct RiskOut {
    pub class: Option<char>,
    pub probability: Option<f64>,
    pub reasons: Vec<String>,
    pub basis: &'static str,
    pub note: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LimitOut {
    #[serde(serialize_with = "crate::ser::opt_money")]
    pub limit: Option<Money>,
    #[serde(serialize_with = "crate::ser::money")]
    pub open: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub after_deal: Money,
    /// Room under the limit before the deal.
    #[serde(serialize_with = "crate::ser::opt_money")]
    pub room: Option<Money>,
    /// Room under the limit after the deal (negative: over the limit).
    #[serde(serialize_with = "crate::ser::opt_money")]
    pub room_after: Option<Money>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CostOut {
    #[serde(serialize_with = "crate::ser::money")]
    pub financing: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub expected_loss: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub collection: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub extra_revenue_needed: Money,
    pub probability_late: f64,
    pub probability_default: f64,
    pub expected_days_late: f64,
    pub margin: f64,
    pub cost_of_capital: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct CheckSubject {
    pub customer: Option<String>,
    pub name: String,
    pub kind: &'static str,
    pub kvk: Option<String>,
    pub industry: Option<String>,
    pub prospect: bool,
    pub segment: Option<String>,
}

/// The answer of the pre-sale check (`--json`, stable).
#[derive(Clone, Debug, Serialize)]
pub struct CheckResult {
    pub verdict: &'static str,
    pub conditions: Vec<ConditionOut>,
    pub reasons: Vec<String>,
    pub risk: RiskOut,
    pub limit: LimitOut,
    pub checklist: Vec<String>,
    /// Per checklist item, whether it is done: "payment terms agreed and
    /// explained" is when a payment agreement made at the sale is recorded
    /// with the same terms.
    pub checklist_done: Vec<bool>,
    /// The latest payment agreement made at the sale, if any.
    pub terms_agreed: Option<crate::agreements::SaleAgreementLine>,
    /// Which checklist item is the payment terms, and the days it asks.
    #[serde(skip)]
    pub terms_item: Option<(usize, i32)>,
    pub cost_of_non_payment: CostOut,
    pub rule: String,
    pub subject: CheckSubject,
    #[serde(serialize_with = "crate::ser::money")]
    pub amount: Money,
    pub terms_days: i32,
    #[serde(serialize_with = "crate::ser::money")]
    pub overdue: Money,
    pub max_days_overdue: i32,
    pub rating: Option<RatingView>,
    #[serde(serialize_with = "crate::ser::date")]
    pub as_of: Date,
}

/// A deal needs a positive amount.
fn positive_amount(request: &CheckRequest) -> Result<()> {
    if request.amount.minor <= 0 {
        return Err(crate::refusal::Refusal::DealNotPositive {
            amount: request.amount.to_decimal_string(),
        }
        .into());
    }
    Ok(())
}

/// The model and settings a check needs, loaded once (a CRM button or a
/// web request reuses it; the CLI loads it per call).
pub struct Checker<'c> {
    pub config: &'c Config,
    /// Shared, so a server keeps one loaded model for every check.
    pub model: Option<std::sync::Arc<LoadedModel>>,
}

impl<'c> Checker<'c> {
    pub fn new(tx: &mut dyn ReadTx, config: &'c Config) -> Result<Checker<'c>> {
        Ok(Checker {
            config,
            model: risk::load_model(tx)?.map(std::sync::Arc::new),
        })
    }

    /// A checker with a model loaded earlier (a server's cache).
    pub fn with_model(
        config: &'c Config,
        model: Option<std::sync::Arc<LoadedModel>>,
    ) -> Checker<'c> {
        Checker { config, model }
    }

    /// Runs the check in the read transaction `tx`.
    pub fn check(
        &self,
        tx: &mut dyn ReadTx,
        request: &CheckRequest,
        as_of: Date,
    ) -> Result<CheckResult> {
        positive_amount(request)?;
        let mut notes = Vec::new();
        let customer = match &request.subject {
            Subject::Customer(number) => Some(tx.customer_by_number(number)?.ok_or_else(|| {
                AppError::NotFound(format!(
                    "no customer '{number}' (for a prospect use --new --name …)"
                ))
            })?),
            Subject::Prospect { kvk: Some(kvk), .. } => {
                let found = tx.find_customer(tegoed_store::CustomerKey::Kvk(kvk))?;
                if let Some(c) = &found {
                    notes.push(match request.language {
                        Language::Nl => format!(
                            "KvK-nummer {kvk} is al klant {} ({}); gecontroleerd als die klant",
                            c.customer.number, c.customer.name
                        ),
                        Language::En => format!(
                            "KvK number {kvk} is already customer {} ({}); checked as that customer",
                            c.customer.number, c.customer.name
                        ),
                    });
                }
                found
            }
            Subject::Prospect { .. } => None,
        };
        let mut result = match customer {
            Some(c) => {
                let rows = crate::facts::customer_rows(tx, c.id, as_of)?;
                self.check_customer(tx, &c, &rows, request, as_of)?
            }
            None => self.check_prospect(tx, request, as_of)?,
        };
        notes.append(&mut result.reasons);
        result.reasons = notes;
        Ok(result)
    }

    /// Checks a deal with a customer whose ledger rows are read already (the
    /// customer page's standard deal); `request.subject` is not consulted.
    pub fn check_customer(
        &self,
        tx: &mut dyn ReadTx,
        stored: &StoredCustomer,
        rows: &[LedgerRow],
        request: &CheckRequest,
        as_of: Date,
    ) -> Result<CheckResult> {
        positive_amount(request)?;
        let config = self.config;
        let c = &stored.customer;
        let brief = stored.brief();
        let (mut facts, _open) = crate::facts::facts_from_rows(tx, &brief, rows, as_of)?;
        let risk::CustomerScore {
            score,
            rating,
            history,
        } = risk::score_customer(
            tx,
            config,
            self.model.as_deref(),
            stored,
            rows,
            as_of,
            Some(request.amount.minor),
            request.language,
        )?;
        let state = tx.collection_state(stored.id)?;
        let industry = risk::industry_key(c.industry.as_ref());
        facts.risk_class = score.class;
        let segment_id =
            segment::assign(&config.segments, &facts).map(|i| config.segments[i].id.clone());
        let one_year_ago = as_of.add_years(-1);
        let deal = Deal {
            prospect: false,
            kind: c.kind,
            amount: request.amount,
            terms_days: request.terms_days.unwrap_or(c.payment_terms_days as i32),
            risk_class: score.class,
            rating: rating.as_ref().map(|r| r.score_100),
            rating_age_days: rating.as_ref().map(|r| r.age_days),
            rating_stale: rating.as_ref().is_some_and(|r| r.stale),
            open: Money::eur(facts.open_minor),
            overdue: Money::eur(facts.overdue_minor),
            max_days_overdue: facts.max_days_overdue,
            limit: c.credit_limit,
            customer_age_days: facts.customer_age_days,
            industry_group: self.model.as_deref().map(|m| m.industry_group(&industry)),
            credit_hold: state.credit_hold_since.is_some(),
            handed_off: state.handed_off_on.is_some(),
            broken_promises_12m: history
                .broken_promises
                .iter()
                .filter(|d| **d > one_year_ago)
                .count() as u32,
            segment: segment_id.clone(),
        };
        let expected_days_late = facts.avg_days_late.unwrap_or_else(|| {
            self.model
                .as_deref()
                .map_or(0.0, |m| m.industry(&industry).avg_days_late)
        });
        let p_late = score
            .probability
            .unwrap_or_else(|| facts.share_paid_late.unwrap_or(0.0));
        let subject = CheckSubject {
            customer: Some(c.number.clone()),
            name: c.name.clone(),
            kind: c.kind.as_str(),
            kvk: c.kvk.as_ref().map(|k| k.as_str().to_string()),
            industry: c.industry.as_ref().map(|i| i.to_string()),
            prospect: false,
            segment: segment_id,
        };
        let mut result = self.answer(
            request,
            deal,
            score,
            rating,
            subject,
            p_late,
            expected_days_late,
            as_of,
        );
        // A payment agreement made at the sale ticks "terms agreed".
        let agreed = tx
            .sale_agreements(Some(stored.id))?
            .into_iter()
            .rfind(|a| a.agreement.agreed_on <= as_of);
        if let Some(agreement) = agreed {
            let line = crate::agreements::SaleAgreementLine::of(&c.number, agreement);
            // Ticked only for the terms of this deal: an agreement on other
            // terms is shown, but does not make these agreed.
            if let Some((index, days)) = result.terms_item
                && i64::from(line.terms_days) == i64::from(days)
                && let Some(done) = result.checklist_done.get_mut(index)
            {
                *done = true;
            }
            result.terms_agreed = Some(line);
        }
        Ok(result)
    }

    fn check_prospect(
        &self,
        tx: &mut dyn ReadTx,
        request: &CheckRequest,
        as_of: Date,
    ) -> Result<CheckResult> {
        let Subject::Prospect {
            name,
            kvk,
            industry,
            kind,
        } = &request.subject
        else {
            unreachable!("check_prospect is called for prospects");
        };
        let config = self.config;
        let ratings = match kvk {
            Some(k) => tx.ratings_for(None, Some(k))?,
            None => Vec::new(),
        };
        let rating = risk::newest_rating(&ratings, &config.risk, as_of);
        let key = risk::industry_key(industry.as_ref());
        let score = risk::score(
            self.model.as_deref(),
            &config.risk,
            &risk::CustomerHistory::default(),
            *kind == CustomerKind::B2c,
            &key,
            rating.as_ref(),
            as_of,
            request.amount.minor,
            request.language,
        );
        let deal = Deal {
            prospect: true,
            kind: *kind,
            amount: request.amount,
            terms_days: request
                .terms_days
                .unwrap_or(config.policy.default_terms_days),
            risk_class: score.class,
            rating: rating.as_ref().map(|r| r.score_100),
            rating_age_days: rating.as_ref().map(|r| r.age_days),
            rating_stale: rating.as_ref().is_some_and(|r| r.stale),
            open: Money::eur(0),
            overdue: Money::eur(0),
            max_days_overdue: 0,
            limit: rating
                .as_ref()
                .filter(|r| !r.stale)
                .and_then(|r| r.recommended_limit),
            customer_age_days: 0,
            industry_group: self.model.as_deref().map(|m| m.industry_group(&key)),
            credit_hold: false,
            handed_off: false,
            broken_promises_12m: 0,
            segment: None,
        };
        let expected_days_late = self
            .model
            .as_ref()
            .map_or(0.0, |m| m.industry(&key).avg_days_late);
        let p_late = score.probability.unwrap_or(0.0);
        let subject = CheckSubject {
            customer: None,
            name: name.clone(),
            kind: kind.as_str(),
            kvk: kvk.clone(),
            industry: industry.as_ref().map(|i| i.to_string()),
            prospect: true,
            segment: None,
        };
        Ok(self.answer(
            request,
            deal,
            score,
            rating,
            subject,
            p_late,
            expected_days_late,
            as_of,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn answer(
        &self,
        request: &CheckRequest,
        deal: Deal,
        score: RiskScore,
        rating: Option<RatingView>,
        subject: CheckSubject,
        p_late: f64,
        expected_days_late: f64,
        as_of: Date,
    ) -> CheckResult {
        let config = self.config;
        let lang = request.language;
        let nl = lang == Language::Nl;
        let rules = &config.policy.rules;
        let rule: &Rule = policy::decide(rules, &deal).unwrap_or_else(|| {
            rules
                .last()
                .expect("the configuration has a catch-all rule")
        });
        let mut reasons = vec![rule.reason(lang).to_string()];
        reasons.push(risk_reason(&score, nl));
        reasons.push(limit_reason(&deal, nl));
        reasons.push(if deal.overdue.minor > 0 {
            if nl {
                format!(
                    "Nu over de vervaldatum: {} (oudste {} {})",
                    deal.overdue.display_in(Language::Nl),
                    deal.max_days_overdue,
                    if deal.max_days_overdue == 1 {
                        "dag"
                    } else {
                        "dagen"
                    }
                )
            } else {
                format!(
                    "Overdue now: {} (oldest {} {})",
                    deal.overdue.display_in(Language::En),
                    deal.max_days_overdue,
                    if deal.max_days_overdue == 1 {
                        "day"
                    } else {
                        "days"
                    }
                )
            }
        } else if nl {
            "Niets over de vervaldatum".into()
        } else {
            "Nothing overdue".into()
        });
        reasons.push(match &rating {
            None => {
                if nl {
                    "Geen externe rating".into()
                } else {
                    "No external rating".into()
                }
            }
            Some(r) => {
                let stale = match (r.stale, nl) {
                    (true, true) => ", verouderd",
                    (true, false) => ", stale",
                    _ => "",
                };
                if nl {
                    format!(
                        "Rating {}: {}/100 van {} ({} dagen oud{stale})",
                        r.provider, r.score_100, r.rated_on, r.age_days
                    )
                } else {
                    format!(
                        "{} rating: {}/100 of {} ({} days old{stale})",
                        r.provider, r.score_100, r.rated_on, r.age_days
                    )
                }
            }
        });
        if let Some(group) = deal.industry_group
            && group != IndustryGroup::Medium
        {
            reasons.push(match (group, nl) {
                (IndustryGroup::High, true) => "Branche met een hoog risico".into(),
                (IndustryGroup::High, false) => "An industry with high risk".into(),
                (_, true) => "Branche met een laag risico".into(),
                (_, false) => "An industry with low risk".into(),
            });
        }
        let conditions = rule
            .requirements
            .iter()
            .map(|r| ConditionOut {
                code: r.code(),
                text: r.text_for(&deal, lang),
            })
            .collect();
        let checklist = policy::checklist(rule, &deal, lang, config.risk.rating_max_age_days);
        let loss_share = self
            .model
            .as_ref()
            .map_or(config.policy.default_loss_share, |m| m.file.loss_share);
        let p_default = p_late * loss_share;
        let cost = policy::cost_of_non_payment(
            deal.amount,
            config.policy.cost_of_capital,
            expected_days_late,
            p_late,
            p_default,
            Money::eur(config.policy.collection_cost_minor),
            config.policy.margin,
        );
        let limit = LimitOut {
            limit: deal.limit,
            open: deal.open,
            after_deal: deal.after_deal(),
            room: deal.limit.map(|l| Money::eur(l.minor - deal.open.minor)),
            room_after: deal
                .limit
                .map(|l| Money::eur(l.minor - deal.after_deal().minor)),
        };
        let round4 = |v: f64| (v * 10_000.0).round() / 10_000.0;
        CheckResult {
            verdict: rule.verdict.as_str(),
            conditions,
            reasons,
            risk: RiskOut {
                class: score.class,
                probability: score.probability,
                reasons: score.reasons.iter().map(|r| r.text.clone()).collect(),
                basis: score.basis,
                note: score.note.clone(),
            },
            limit,
            checklist_done: vec![false; checklist.items.len()],
            terms_item: checklist.terms_item,
            checklist: checklist.items,
            terms_agreed: None,
            cost_of_non_payment: CostOut {
                financing: cost.financing,
                expected_loss: cost.expected_loss,
                collection: cost.collection,
                extra_revenue_needed: cost.extra_revenue_needed,
                probability_late: round4(p_late),
                probability_default: round4(p_default),
                expected_days_late: (expected_days_late * 10.0).round() / 10.0,
                margin: config.policy.margin,
                cost_of_capital: config.policy.cost_of_capital,
            },
            rule: rule.id.clone(),
            subject,
            amount: deal.amount,
            terms_days: deal.terms_days,
            overdue: deal.overdue,
            max_days_overdue: deal.max_days_overdue,
            rating,
            as_of,
        }
    }
}

fn risk_reason(score: &RiskScore, nl: bool) -> String {
    let Some(class) = score.class else {
        return score.note.clone().unwrap_or_default();
    };
    let mut text = match (score.probability, nl) {
        (Some(p), true) => format!(
            "Risicoklasse {class}: {}% kans dat de betaling meer dan {} dagen te laat komt",
            (p * 100.0).round(),
            score.late_days.unwrap_or(30)
        ),
        (Some(p), false) => format!(
            "Risk class {class}: {}% chance of paying more than {} days late",
            (p * 100.0).round(),
            score.late_days.unwrap_or(30)
        ),
        (None, true) => format!("Risicoklasse {class}"),
        (None, false) => format!("Risk class {class}"),
    };
    if !score.reasons.is_empty() {
        let list: Vec<&str> = score.reasons.iter().map(|r| r.text.as_str()).collect();
        text.push_str(&format!(" ({})", list.join("; ")));
    }
    if let Some(note) = &score.note {
        text.push_str(&format!(" — {note}"));
    }
    text
}

fn limit_reason(deal: &Deal, nl: bool) -> String {
    match deal.limit {
        None => {
            if nl {
                format!(
                    "Geen kredietlimiet vastgelegd; na deze order staat {} open",
                    deal.after_deal().display_in(Language::Nl)
                )
            } else {
                format!(
                    "No credit limit set; after this order {} is open",
                    deal.after_deal().display_in(Language::En)
                )
            }
        }
        Some(limit) => {
            let room = Money::eur(limit.minor - deal.open.minor);
            let after = Money::eur(limit.minor - deal.after_deal().minor);
            if nl {
                format!(
                    "Kredietlimiet {}: ruimte {} voor en {} na deze order",
                    limit.display_in(Language::Nl),
                    room.display_in(Language::Nl),
                    after.display_in(Language::Nl)
                )
            } else {
                format!(
                    "Credit limit {}: room {} before and {} after this order",
                    limit.display_in(Language::En),
                    room.display_in(Language::En),
                    after.display_in(Language::En)
                )
            }
        }
    }
}

/// The policy in plain words (`policy explain`).
#[derive(Clone, Debug, Serialize)]
pub struct PolicyText {
    pub lang: &'static str,
    pub text: String,
    pub rules: Vec<PolicyRuleOut>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PolicyRuleOut {
    pub id: String,
    pub verdict: &'static str,
    pub when: Vec<String>,
    pub conditions: Vec<String>,
    pub reason: String,
}

pub fn explain(config: &Config, language: Language) -> PolicyText {
    let rules = &config.policy.rules;
    PolicyText {
        lang: language.as_str(),
        text: policy::explain(rules, language, &config.company.name),
        rules: rules
            .iter()
            .map(|r| PolicyRuleOut {
                id: r.id.clone(),
                verdict: r.verdict.as_str(),
                when: r.when.iter().map(|w| w.text(language)).collect(),
                conditions: r.requirements.iter().map(|q| q.text(language)).collect(),
                reason: r.reason(language).to_string(),
            })
            .collect(),
    }
}

/// The cost calculator on its own (`tegoed cost`).
#[derive(Clone, Debug, Serialize)]
pub struct CostReport {
    #[serde(serialize_with = "crate::ser::money")]
    pub amount: Money,
    pub days_late: f64,
    pub margin: f64,
    pub cost_of_capital: f64,
    #[serde(serialize_with = "crate::ser::money")]
    pub financing: Money,
    /// The cost of one collection case.
    #[serde(serialize_with = "crate::ser::money")]
    pub collection: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub extra_revenue_needed: Money,
    pub probability_default: Option<f64>,
    #[serde(serialize_with = "crate::ser::opt_money")]
    pub expected_loss: Option<Money>,
}

pub fn cost(
    config: &Config,
    amount: Money,
    days_late: f64,
    margin: Option<f64>,
    probability_default: Option<f64>,
) -> Result<CostReport> {
    let margin = margin.unwrap_or(config.policy.margin);
    if !(margin > 0.0 && margin <= 1.0) {
        return Err(AppError::Invalid(format!(
            "--margin {}: choose a margin above 0 and at most 100 %",
            margin * 100.0
        )));
    }
    if let Some(p) = probability_default
        && !(0.0..=1.0).contains(&p)
    {
        return Err(AppError::Invalid(format!(
            "--probability {p}: choose a probability from 0 to 1 (or 0% to 100%)"
        )));
    }
    let extra = policy::extra_revenue_needed(amount, margin).expect("margin is above zero");
    Ok(CostReport {
        amount,
        days_late,
        margin,
        cost_of_capital: config.policy.cost_of_capital,
        financing: policy::financing_cost(amount, config.policy.cost_of_capital, days_late),
        collection: Money::eur(config.policy.collection_cost_minor),
        extra_revenue_needed: extra,
        probability_default,
        expected_loss: probability_default
            .map(|p| Money::new((amount.minor as f64 * p).round() as i64, amount.currency)),
    })
}
