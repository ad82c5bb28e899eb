//! The credit policy: ordered rules that give a verdict on a deal, the
//! plain-language text generated from the same rules, the salesperson's
//! checklist, and what non-payment would cost.

use crate::customer::{CustomerKind, Language};
use crate::money::Money;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Approve,
    Conditions,
    Prepay,
}

impl Verdict {
    pub fn parse(text: &str) -> Option<Verdict> {
        match text {
            "approve" => Some(Verdict::Approve),
            "conditions" => Some(Verdict::Conditions),
            "prepay" => Some(Verdict::Prepay),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::Conditions => "conditions",
            Verdict::Prepay => "prepay",
        }
    }

    /// What the verdict tells sales, the same words wherever it is shown.
    pub fn title(self, language: Language) -> &'static str {
        match (self, language) {
            (Verdict::Approve, Language::Nl) => "Verkopen op normale voorwaarden",
            (Verdict::Approve, Language::En) => "Sell on normal terms",
            (Verdict::Conditions, Language::Nl) => "Verkopen met extra voorwaarden",
            (Verdict::Conditions, Language::En) => "Sell with extra conditions",
            (Verdict::Prepay, Language::Nl) => "Alleen tegen vooruitbetaling",
            (Verdict::Prepay, Language::En) => "Prepayment only",
        }
    }
}

/// A condition of sale that a `conditions` rule asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Requirement {
    /// Payment terms of at most this many days.
    ShorterTerms(i32),
    /// This share of the deal paid before delivery (0.3 = 30 %).
    Prepayment(f64),
    DirectDebit,
    /// Keep the open amount within the credit limit: the part of the deal
    /// above it paid in advance.
    WithinLimit,
    BankGuarantee,
    CreditInsurance,
    /// The overdue invoices paid before the deal is delivered.
    SettleOverdue,
    /// A credit rating younger than the maximum age, checked before signing.
    FreshRating,
}

impl Requirement {
    /// Reads `shorter_terms:14`, `prepayment:30%`, `direct_debit`, ….
    pub fn parse(text: &str) -> Option<Requirement> {
        let (name, arg) = match text.split_once(':') {
            Some((n, a)) => (n.trim(), Some(a.trim())),
            None => (text.trim(), None),
        };
        Some(match (name, arg) {
            ("shorter_terms", Some(days)) => {
                Requirement::ShorterTerms(days.parse().ok().filter(|d| *d > 0)?)
            }
            ("prepayment", Some(share)) => {
                let share = match share.strip_suffix('%') {
                    Some(pct) => pct.trim().parse::<f64>().ok()? / 100.0,
                    None => share.parse::<f64>().ok()?,
                };
                if !(share > 0.0 && share <= 1.0) {
                    return None;
                }
                Requirement::Prepayment(share)
            }
            ("direct_debit", None) => Requirement::DirectDebit,
            ("within_limit", None) => Requirement::WithinLimit,
            ("bank_guarantee", None) => Requirement::BankGuarantee,
            ("credit_insurance", None) => Requirement::CreditInsurance,
            ("settle_overdue", None) => Requirement::SettleOverdue,
            ("fresh_rating", None) => Requirement::FreshRating,
            _ => return None,
        })
    }

    pub const NAMES: &'static str = "shorter_terms:DAYS, prepayment:PCT%, direct_debit, within_limit, bank_guarantee, credit_insurance, settle_overdue or fresh_rating";

    pub fn code(&self) -> &'static str {
        match self {
            Requirement::ShorterTerms(_) => "shorter_terms",
            Requirement::Prepayment(_) => "prepayment",
            Requirement::DirectDebit => "direct_debit",
            Requirement::WithinLimit => "within_limit",
            Requirement::BankGuarantee => "bank_guarantee",
            Requirement::CreditInsurance => "credit_insurance",
            Requirement::SettleOverdue => "settle_overdue",
            Requirement::FreshRating => "fresh_rating",
        }
    }

    /// The condition in words, in general (for the policy text).
    pub fn text(&self, language: Language) -> String {
        let nl = language == Language::Nl;
        match self {
            Requirement::ShorterTerms(d) if nl => format!("betaaltermijn van hoogstens {d} dagen"),
            Requirement::ShorterTerms(d) => format!("payment terms of at most {d} days"),
            Requirement::Prepayment(s) if nl => {
                format!("{}% van de order vooraf betalen", (s * 100.0).round())
            }
            Requirement::Prepayment(s) => {
                format!("{}% of the order paid in advance", (s * 100.0).round())
            }
            Requirement::DirectDebit if nl => {
                "betalen via automatische incasso (getekende machtiging)".into()
            }
            Requirement::DirectDebit => "payment by direct debit (signed mandate)".into(),
            Requirement::WithinLimit if nl => {
                "het deel boven de kredietlimiet vooraf betalen".into()
            }
            Requirement::WithinLimit => "the part above the credit limit paid in advance".into(),
            Requirement::BankGuarantee if nl => "een bankgarantie".into(),
            Requirement::BankGuarantee => "a bank guarantee".into(),
            Requirement::CreditInsurance if nl => "dekking door de kredietverzekeraar".into(),
            Requirement::CreditInsurance => "cover from the credit insurer".into(),
            Requirement::SettleOverdue if nl => "eerst de vervallen facturen betalen".into(),
            Requirement::SettleOverdue => "the overdue invoices paid first".into(),
            Requirement::FreshRating if nl => "een actuele kredietbeoordeling (rating)".into(),
            Requirement::FreshRating => "a current credit rating".into(),
        }
    }

    /// The condition for one deal, with its amounts.
    pub fn text_for(&self, deal: &Deal, language: Language) -> String {
        let nl = language == Language::Nl;
        match self {
            Requirement::Prepayment(s) => {
                let part = Money::new(
                    (deal.amount.minor as f64 * s).round() as i64,
                    deal.amount.currency,
                );
                if nl {
                    format!(
                        "{} vooraf betalen ({}% van de order)",
                        part.display_in(language),
                        (s * 100.0).round()
                    )
                } else {
                    format!(
                        "{} paid in advance ({}% of the order)",
                        part.display_in(language),
                        (s * 100.0).round()
                    )
                }
            }
            Requirement::WithinLimit => match deal.limit_excess() {
                Some(excess) if excess.minor > 0 => {
                    if nl {
                        format!(
                            "{} vooraf betalen (het deel boven de kredietlimiet)",
                            excess.display_in(language)
                        )
                    } else {
                        format!(
                            "{} paid in advance (the part above the credit limit)",
                            excess.display_in(language)
                        )
                    }
                }
                _ => self.text(language),
            },
            Requirement::SettleOverdue if deal.overdue.minor > 0 => {
                if nl {
                    format!(
                        "eerst de vervallen facturen betalen ({})",
                        deal.overdue.display_in(language)
                    )
                } else {
                    format!(
                        "the overdue invoices paid first ({})",
                        deal.overdue.display_in(language)
                    )
                }
            }
            _ => self.text(language),
        }
    }

    /// What the salesperson confirms before signing.
    pub fn checklist_item(
        &self,
        deal: &Deal,
        language: Language,
        rating_max_age_days: i32,
    ) -> String {
        let nl = language == Language::Nl;
        let months = (f64::from(rating_max_age_days) / 30.4).round();
        match self {
            Requirement::ShorterTerms(d) if nl => {
                format!("Betaaltermijn van {d} dagen in de offerte en het contract gezet")
            }
            Requirement::ShorterTerms(d) => {
                format!("Payment terms of {d} days written into the quote and the contract")
            }
            Requirement::Prepayment(_) | Requirement::WithinLimit => {
                let text = self.text_for(deal, language);
                if nl {
                    format!("Aanbetaling ontvangen vóór levering: {text}")
                } else {
                    format!("Prepayment received before delivery: {text}")
                }
            }
            Requirement::DirectDebit if nl => {
                "Machtiging voor automatische incasso getekend".into()
            }
            Requirement::DirectDebit => "Direct-debit mandate signed".into(),
            Requirement::BankGuarantee if nl => "Bankgarantie ontvangen en gecontroleerd".into(),
            Requirement::BankGuarantee => "Bank guarantee received and checked".into(),
            Requirement::CreditInsurance if nl => {
                "Dekking door de kredietverzekeraar bevestigd".into()
            }
            Requirement::CreditInsurance => "Credit insurance cover confirmed".into(),
            Requirement::SettleOverdue if nl => "Vervallen facturen betaald vóór levering".into(),
            Requirement::SettleOverdue => "Overdue invoices paid before delivery".into(),
            Requirement::FreshRating if nl => {
                format!("Rating jonger dan {months} maanden opgevraagd en bekeken")
            }
            Requirement::FreshRating => {
                format!("Credit rating younger than {months} months obtained and read")
            }
        }
    }
}

/// How risky an industry is compared with all customers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndustryGroup {
    Low,
    Medium,
    High,
}

impl IndustryGroup {
    pub fn parse(text: &str) -> Option<IndustryGroup> {
        match text {
            "low" => Some(IndustryGroup::Low),
            "medium" => Some(IndustryGroup::Medium),
            "high" => Some(IndustryGroup::High),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            IndustryGroup::Low => "low",
            IndustryGroup::Medium => "medium",
            IndustryGroup::High => "high",
        }
    }

    /// The group of an industry's late share against the overall share.
    pub fn of(industry_rate: f64, overall_rate: f64) -> IndustryGroup {
        if industry_rate > overall_rate * 1.25 {
            IndustryGroup::High
        } else if industry_rate < overall_rate * 0.8 {
            IndustryGroup::Low
        } else {
            IndustryGroup::Medium
        }
    }
}

/// Everything a policy rule can look at, for one deal.
#[derive(Clone, Debug, PartialEq)]
pub struct Deal {
    /// A prospect: not a customer yet.
    pub prospect: bool,
    pub kind: CustomerKind,
    pub amount: Money,
    pub terms_days: i32,
    pub risk_class: Option<char>,
    /// The external rating on a 0–100 scale (100 best), when there is one.
    pub rating: Option<f64>,
    pub rating_age_days: Option<i32>,
    pub rating_stale: bool,
    pub open: Money,
    pub overdue: Money,
    pub max_days_overdue: i32,
    pub limit: Option<Money>,
    pub customer_age_days: i32,
    pub industry_group: Option<IndustryGroup>,
    pub credit_hold: bool,
    pub handed_off: bool,
    pub broken_promises_12m: u32,
    pub segment: Option<String>,
}

impl Deal {
    pub fn after_deal(&self) -> Money {
        Money::new(self.open.minor + self.amount.minor, self.amount.currency)
    }

    /// Open amount after the deal as a share of the limit (`None` without a
    /// limit; a zero limit counts as fully used by any amount).
    pub fn limit_use_after(&self) -> Option<f64> {
        let limit = self.limit?;
        let after = self.after_deal().minor as f64;
        Some(if limit.minor <= 0 {
            if after > 0.0 { f64::INFINITY } else { 0.0 }
        } else {
            after / limit.minor as f64
        })
    }

    /// How far the deal takes the open amount over the limit.
    pub fn limit_excess(&self) -> Option<Money> {
        let limit = self.limit?;
        let excess = (self.after_deal().minor - limit.minor).clamp(0, self.amount.minor);
        Some(Money::new(excess, self.amount.currency))
    }

    fn rating_usable(&self) -> bool {
        self.rating.is_some() && !self.rating_stale
    }
}

/// The conditions of one alternative of a rule; all must hold.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct When {
    pub prospect: Option<bool>,
    pub kind: Option<CustomerKind>,
    pub risk_classes: Vec<char>,
    /// The rating (0–100) is at most this; a missing or stale rating does
    /// not match.
    pub rating_max: Option<f64>,
    /// A usable rating is missing (none, or older than the maximum age).
    pub rating_missing_or_stale: Option<bool>,
    pub overdue_min: Option<i64>,
    pub max_days_overdue_min: Option<i32>,
    /// Open amount after the deal ÷ credit limit is at least this.
    pub limit_use_after_min: Option<f64>,
    pub customer_age_days_max: Option<i32>,
    pub industry_groups: Vec<IndustryGroup>,
    pub deal_min: Option<i64>,
    pub deal_max: Option<i64>,
    pub credit_hold: Option<bool>,
    pub handed_off: Option<bool>,
    pub broken_promises_min: Option<u32>,
    pub segments: Vec<String>,
}

impl When {
    pub fn holds(&self, deal: &Deal) -> bool {
        let flag = |want: Option<bool>, have: bool| want.is_none_or(|w| w == have);
        flag(self.prospect, deal.prospect)
            && self.kind.is_none_or(|k| k == deal.kind)
            && (self.risk_classes.is_empty()
                || deal
                    .risk_class
                    .is_some_and(|c| self.risk_classes.contains(&c)))
            && self
                .rating_max
                .is_none_or(|max| deal.rating_usable() && deal.rating.is_some_and(|r| r <= max))
            && flag(self.rating_missing_or_stale, !deal.rating_usable())
            && self.overdue_min.is_none_or(|m| deal.overdue.minor >= m)
            && self
                .max_days_overdue_min
                .is_none_or(|m| deal.max_days_overdue >= m)
            && self
                .limit_use_after_min
                .is_none_or(|m| deal.limit_use_after().is_some_and(|u| u >= m))
            && self
                .customer_age_days_max
                .is_none_or(|m| deal.customer_age_days <= m)
            && (self.industry_groups.is_empty()
                || deal
                    .industry_group
                    .is_some_and(|g| self.industry_groups.contains(&g)))
            && self.deal_min.is_none_or(|m| deal.amount.minor >= m)
            && self.deal_max.is_none_or(|m| deal.amount.minor <= m)
            && flag(self.credit_hold, deal.credit_hold)
            && flag(self.handed_off, deal.handed_off)
            && self
                .broken_promises_min
                .is_none_or(|m| deal.broken_promises_12m >= m)
            && (self.segments.is_empty()
                || deal
                    .segment
                    .as_ref()
                    .is_some_and(|s| self.segments.contains(s)))
    }

    /// The conditions in words, joined with "and".
    pub fn text(&self, language: Language) -> String {
        let nl = language == Language::Nl;
        let eur = |minor: i64| Money::eur(minor).display_in(language);
        let mut parts: Vec<String> = Vec::new();
        if let Some(p) = self.prospect {
            parts.push(match (p, nl) {
                (true, true) => "het een nieuwe klant is (prospect)".into(),
                (true, false) => "it is a prospect (not a customer yet)".into(),
                (false, true) => "het een bestaande klant is".into(),
                (false, false) => "it is an existing customer".into(),
            });
        }
        if let Some(k) = self.kind {
            parts.push(match (k, nl) {
                (CustomerKind::B2c, true) => "de klant een consument is".into(),
                (CustomerKind::B2c, false) => "the customer is a consumer".into(),
                (CustomerKind::B2b, true) => "de klant een bedrijf is".into(),
                (CustomerKind::B2b, false) => "the customer is a business".into(),
            });
        }
        if !self.risk_classes.is_empty() {
            let list: Vec<String> = self.risk_classes.iter().map(|c| c.to_string()).collect();
            let list = list.join(if nl { " of " } else { " or " });
            parts.push(if nl {
                format!("de risicoklasse {list} is")
            } else {
                format!("the risk class is {list}")
            });
        }
        if let Some(max) = self.rating_max {
            parts.push(if nl {
                format!("de externe rating {max} of lager is (op 100)")
            } else {
                format!("the external rating is {max} or lower (out of 100)")
            });
        }
        if let Some(m) = self.rating_missing_or_stale {
            parts.push(match (m, nl) {
                (true, true) => "er geen actuele externe rating is".into(),
                (true, false) => "there is no current external rating".into(),
                (false, true) => "er een actuele externe rating is".into(),
                (false, false) => "there is a current external rating".into(),
            });
        }
        if let Some(m) = self.overdue_min {
            parts.push(if nl {
                format!("er {} of meer over de vervaldatum openstaat", eur(m))
            } else {
                format!("{} or more is overdue", eur(m))
            });
        }
        if let Some(m) = self.max_days_overdue_min {
            parts.push(if nl {
                format!(
                    "een factuur {m} {} of langer over de vervaldatum is",
                    if m == 1 { "dag" } else { "dagen" }
                )
            } else {
                format!(
                    "an invoice is {m} or more {} overdue",
                    if m == 1 { "day" } else { "days" }
                )
            });
        }
        if let Some(m) = self.limit_use_after_min {
            let pct = (m * 100.0).round();
            parts.push(match (pct == 100.0, nl) {
                (true, true) => "de order de kredietlimiet overschrijdt".into(),
                (true, false) => "the order takes the customer over the credit limit".into(),
                (false, true) => {
                    format!("na de order {pct}% of meer van de kredietlimiet gebruikt is")
                }
                (false, false) => {
                    format!("after the order {pct}% or more of the credit limit is used")
                }
            });
        }
        if let Some(m) = self.customer_age_days_max {
            parts.push(if nl {
                format!("de klant korter dan {m} dagen klant is")
            } else {
                format!("the customer has bought for less than {m} days")
            });
        }
        if !self.industry_groups.is_empty() {
            let list: Vec<&str> = self
                .industry_groups
                .iter()
                .map(|g| match (g, nl) {
                    (IndustryGroup::High, true) => "hoog",
                    (IndustryGroup::Medium, true) => "gemiddeld",
                    (IndustryGroup::Low, true) => "laag",
                    (g, false) => g.as_str(),
                })
                .collect();
            let list = list.join(if nl { " of " } else { " or " });
            parts.push(if nl {
                format!("de branche een {list} risico heeft")
            } else {
                format!("the industry's risk is {list}")
            });
        }
        if let Some(m) = self.deal_min {
            parts.push(if nl {
                format!("de order {} of meer is", eur(m))
            } else {
                format!("the order is {} or more", eur(m))
            });
        }
        if let Some(m) = self.deal_max {
            parts.push(if nl {
                format!("de order hoogstens {} is", eur(m))
            } else {
                format!("the order is at most {}", eur(m))
            });
        }
        if self.credit_hold == Some(true) {
            parts.push(if nl {
                "de klant een kredietstop heeft".into()
            } else {
                "the customer is on credit hold".into()
            });
        }
        if self.handed_off == Some(true) {
            parts.push(if nl {
                "de klant bij het incassobureau is".into()
            } else {
                "the customer is with the collection agency".into()
            });
        }
        if let Some(m) = self.broken_promises_min {
            parts.push(if nl {
                format!("de klant dit jaar {m} of meer betaalbeloftes niet nakwam")
            } else {
                format!("the customer broke {m} or more promises to pay this year")
            });
        }
        if !self.segments.is_empty() {
            let list = self.segments.join(if nl { " of " } else { " or " });
            parts.push(if nl {
                format!("de klant in doelgroep {list} zit")
            } else {
                format!("the customer is in target group {list}")
            });
        }
        parts.join(if nl { " en " } else { " and " })
    }
}

/// One rule of the policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub id: String,
    /// Alternatives: the rule matches when any holds; none = always.
    pub when: Vec<When>,
    pub verdict: Verdict,
    pub requirements: Vec<Requirement>,
    pub reason_nl: String,
    pub reason_en: String,
}

impl Rule {
    pub fn matches(&self, deal: &Deal) -> bool {
        self.when.is_empty() || self.when.iter().any(|w| w.holds(deal))
    }

    pub fn reason(&self, language: Language) -> &str {
        match language {
            Language::Nl => &self.reason_nl,
            Language::En => &self.reason_en,
        }
    }
}

/// The first rule that matches; the last rule must match every deal (the
/// configuration checks it), so there always is one.
pub fn decide<'a>(rules: &'a [Rule], deal: &Deal) -> Option<&'a Rule> {
    rules.iter().find(|r| r.matches(deal))
}

/// The policy as a one-page text for salespeople, from the rules.
pub fn explain(rules: &[Rule], language: Language, company: &str) -> String {
    let nl = language == Language::Nl;
    let mut out = String::new();
    if nl {
        out.push_str(&format!("Kredietbeleid van {company}\n\n"));
        out.push_str("Voor elke order kijkt Tegoed naar de regels hieronder, van boven naar beneden. De eerste regel die past, bepaalt het antwoord. Twijfel je? Doe de verkoopcheck (in Tegoed: Verkoopcheck) met de klant en het orderbedrag.\n");
    } else {
        out.push_str(&format!("Credit policy of {company}\n\n"));
        out.push_str("For every order Tegoed reads the rules below from top to bottom. The first rule that fits gives the answer. Not sure? Do the pre-sale check (in Tegoed: Pre-sale check) with the customer and the order amount.\n");
    }
    for verdict in [Verdict::Prepay, Verdict::Conditions, Verdict::Approve] {
        let (title_nl, title_en) = (verdict.title(Language::Nl), verdict.title(Language::En));
        let rules: Vec<(usize, &Rule)> = rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.verdict == verdict)
            .collect();
        if rules.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{}\n", if nl { title_nl } else { title_en }));
        for (i, rule) in rules {
            let when = if rule.when.is_empty() {
                if nl {
                    "In alle andere gevallen".to_string()
                } else {
                    "In all other cases".to_string()
                }
            } else {
                let alternatives: Vec<String> =
                    rule.when.iter().map(|w| w.text(language)).collect();
                let joined = alternatives.join(if nl { ", of als " } else { ", or when " });
                if nl {
                    format!("Als {joined}")
                } else {
                    format!("When {joined}")
                }
            };
            out.push_str(&format!("  {}. {}: {}", i + 1, when, rule.reason(language)));
            if !rule.requirements.is_empty() {
                let list: Vec<String> =
                    rule.requirements.iter().map(|r| r.text(language)).collect();
                out.push_str(&format!(
                    "\n     {} {}.",
                    if nl { "Voorwaarden:" } else { "Conditions:" },
                    list.join("; ")
                ));
            }
            out.push('\n');
        }
    }
    out
}

/// The money side of a deal going wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CostOfNonPayment {
    /// Cost of capital on the amount for the expected days late.
    pub financing: Money,
    /// Probability of default × amount.
    pub expected_loss: Money,
    /// Probability of a collection case × the cost of one case.
    pub collection: Money,
    /// Extra sales needed to earn back a write-off of the deal at the margin.
    pub extra_revenue_needed: Money,
}

/// `amount × cost_of_capital × days_late / 365`, rounded to cents.
pub fn financing_cost(amount: Money, cost_of_capital: f64, days_late: f64) -> Money {
    let minor = amount.minor as f64 * cost_of_capital * days_late.max(0.0) / 365.0;
    Money::new(minor.round() as i64, amount.currency)
}

/// The write-off of `amount` divided by the margin: the revenue that earns
/// it back. A margin of zero or less can never earn it back (`None`).
pub fn extra_revenue_needed(amount: Money, margin: f64) -> Option<Money> {
    (margin > 0.0).then(|| {
        Money::new(
            (amount.minor as f64 / margin).round() as i64,
            amount.currency,
        )
    })
}

pub fn cost_of_non_payment(
    amount: Money,
    cost_of_capital: f64,
    expected_days_late: f64,
    probability_late: f64,
    probability_default: f64,
    collection_cost: Money,
    margin: f64,
) -> CostOfNonPayment {
    let scale = |m: Money, p: f64| Money::new((m.minor as f64 * p).round() as i64, m.currency);
    CostOfNonPayment {
        financing: financing_cost(amount, cost_of_capital, expected_days_late),
        expected_loss: scale(amount, probability_default),
        collection: scale(collection_cost, probability_late),
        extra_revenue_needed: extra_revenue_needed(amount, margin)
            .unwrap_or(Money::new(0, amount.currency)),
    }
}

/// The salesperson's checklist for a verdict, with which item (and the
/// terms it asks for) is "payment terms agreed and explained": a payment
/// agreement recorded at the sale ticks it.
pub fn checklist(
    rule: &Rule,
    deal: &Deal,
    language: Language,
    rating_max_age_days: i32,
) -> Checklist {
    let nl = language == Language::Nl;
    let mut items: Vec<String> = Vec::new();
    let mut terms_item = None;
    if deal.kind == CustomerKind::B2b {
        items.push(if nl {
            "KvK-nummer gecontroleerd in het Handelsregister (naam, adres, tekenbevoegdheid)".into()
        } else {
            "KvK number checked in the trade register (name, address, who may sign)".into()
        });
    } else {
        items.push(if nl {
            "Naam, adres en e-mailadres van de klant gecontroleerd".into()
        } else {
            "The customer's name, address and e-mail checked".into()
        });
    }
    match rule.verdict {
        Verdict::Prepay => {
            items.push(if nl {
                "Pro-formafactuur gestuurd; pas leveren als het geld binnen is".into()
            } else {
                "Pro-forma invoice sent; deliver only once the money is in".into()
            });
            items.push(if nl {
                "Aan de klant uitgelegd waarom vooruitbetaling nodig is".into()
            } else {
                "Explained to the customer why prepayment is needed".into()
            });
        }
        Verdict::Approve | Verdict::Conditions => {
            let asks_rating = rule.requirements.contains(&Requirement::FreshRating);
            if (deal.rating.is_none() || deal.rating_stale) && !asks_rating {
                let months = (f64::from(rating_max_age_days) / 30.4).round();
                if deal.prospect || deal.amount.minor >= 1_000_000 {
                    items.push(if nl {
                        format!("Rating jonger dan {months} maanden opgevraagd")
                    } else {
                        format!("Credit rating younger than {months} months obtained")
                    });
                }
            }
            let terms = rule
                .requirements
                .iter()
                .find_map(|r| match r {
                    Requirement::ShorterTerms(d) => Some(*d),
                    _ => None,
                })
                .map_or(deal.terms_days, |d| d.min(deal.terms_days));
            terms_item = Some((items.len(), terms));
            items.push(if nl {
                format!("Betaaltermijn van {terms} dagen schriftelijk afgesproken en aan de klant uitgelegd")
            } else {
                format!("Payment terms of {terms} days agreed in writing and explained to the customer")
            });
            for requirement in &rule.requirements {
                let item = requirement.checklist_item(deal, language, rating_max_age_days);
                if !items.contains(&item) {
                    items.push(item);
                }
            }
            items.push(if nl {
                "Factuuradres en e-mailadres voor facturen bevestigd".into()
            } else {
                "Billing address and invoice e-mail address confirmed".into()
            });
        }
    }
    Checklist { items, terms_item }
}

/// The checklist's items, and the index and days of the payment-terms item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checklist {
    pub items: Vec<String>,
    pub terms_item: Option<(usize, i32)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "getekend machtiging": the Dutch adjective takes its -e.
    #[test]
    fn the_direct_debit_condition_reads_as_correct_dutch() {
        assert_eq!(
            Requirement::DirectDebit.text(Language::Nl),
            "betalen via automatische incasso (getekende machtiging)"
        );
    }

    fn deal() -> Deal {
        Deal {
            prospect: false,
            kind: CustomerKind::B2b,
            amount: Money::eur(1_000_000),
            terms_days: 30,
            risk_class: Some('B'),
            rating: None,
            rating_age_days: None,
            rating_stale: false,
            open: Money::eur(500_000),
            overdue: Money::eur(0),
            max_days_overdue: 0,
            limit: Some(Money::eur(1_500_000)),
            customer_age_days: 400,
            industry_group: Some(IndustryGroup::Medium),
            credit_hold: false,
            handed_off: false,
            broken_promises_12m: 0,
            segment: None,
        }
    }

    fn rule(verdict: Verdict, when: When) -> Rule {
        Rule {
            id: "r".into(),
            when: vec![when],
            verdict,
            requirements: vec![],
            reason_nl: "r".into(),
            reason_en: "r".into(),
        }
    }

    #[test]
    fn limit_use_is_exact_at_the_limit() {
        let over = When {
            limit_use_after_min: Some(1.0),
            ..When::default()
        };
        let mut d = deal();
        // 5,000 open + 10,000 deal = 15,000 = the limit exactly: over "at least 100 %".
        assert_eq!(d.limit_use_after(), Some(1.0));
        assert!(over.holds(&d));
        assert_eq!(d.limit_excess(), Some(Money::eur(0)));
        d.amount = Money::eur(999_999);
        assert!(!over.holds(&d));
        d.limit = None;
        assert!(!over.holds(&d), "no limit: the condition cannot hold");
        d.limit = Some(Money::eur(0));
        assert!(over.holds(&d), "a zero limit is used by any amount");
    }

    #[test]
    fn stale_or_missing_ratings() {
        let missing = When {
            rating_missing_or_stale: Some(true),
            ..When::default()
        };
        let poor = When {
            rating_max: Some(30.0),
            ..When::default()
        };
        let mut d = deal();
        assert!(missing.holds(&d));
        assert!(!poor.holds(&d));
        d.rating = Some(25.0);
        d.rating_age_days = Some(30);
        assert!(!missing.holds(&d));
        assert!(poor.holds(&d));
        d.rating_stale = true;
        assert!(missing.holds(&d), "a stale rating counts as missing");
        assert!(!poor.holds(&d), "a stale poor rating does not decide");
    }

    #[test]
    fn first_matching_rule_wins() {
        let rules = vec![
            rule(
                Verdict::Prepay,
                When {
                    risk_classes: vec!['E'],
                    ..When::default()
                },
            ),
            rule(
                Verdict::Conditions,
                When {
                    deal_min: Some(1_000_000),
                    ..When::default()
                },
            ),
            Rule {
                when: vec![],
                ..rule(Verdict::Approve, When::default())
            },
        ];
        let mut d = deal();
        assert_eq!(
            decide(&rules, &d).unwrap().verdict,
            Verdict::Conditions,
            "exactly at deal_min"
        );
        d.amount = Money::eur(999_999);
        assert_eq!(decide(&rules, &d).unwrap().verdict, Verdict::Approve);
        d.risk_class = Some('E');
        assert_eq!(decide(&rules, &d).unwrap().verdict, Verdict::Prepay);
        d.risk_class = None;
        assert_eq!(
            decide(&rules, &d).unwrap().verdict,
            Verdict::Approve,
            "no class: no class rule"
        );
    }

    #[test]
    fn cost_formulas() {
        // 10,000 × 8 % × 45 / 365 = 98.63
        assert_eq!(
            financing_cost(Money::eur(1_000_000), 0.08, 45.0),
            Money::eur(9_863)
        );
        // 10,000 / 20 % = 50,000
        assert_eq!(
            extra_revenue_needed(Money::eur(1_000_000), 0.2),
            Some(Money::eur(5_000_000))
        );
        assert_eq!(extra_revenue_needed(Money::eur(1_000_000), 0.0), None);
        let c = cost_of_non_payment(
            Money::eur(1_000_000),
            0.08,
            45.0,
            0.3,
            0.02,
            Money::eur(7_500),
            0.2,
        );
        assert_eq!(c.expected_loss, Money::eur(20_000));
        assert_eq!(c.collection, Money::eur(2_250));
    }

    #[test]
    fn requirements_parse_and_read() {
        assert_eq!(
            Requirement::parse("shorter_terms:14"),
            Some(Requirement::ShorterTerms(14))
        );
        assert_eq!(
            Requirement::parse("prepayment:30%"),
            Some(Requirement::Prepayment(0.3))
        );
        assert_eq!(
            Requirement::parse("prepayment:0.5"),
            Some(Requirement::Prepayment(0.5))
        );
        assert_eq!(Requirement::parse("prepayment:150%"), None);
        assert_eq!(Requirement::parse("cash"), None);
        let d = deal();
        assert_eq!(
            Requirement::Prepayment(0.3).text_for(&d, Language::En),
            "€\u{a0}3,000.00 paid in advance (30% of the order)"
        );
        let mut over = deal();
        over.amount = Money::eur(1_200_000);
        assert_eq!(
            Requirement::WithinLimit.text_for(&over, Language::Nl),
            "€\u{a0}2.000,00 vooraf betalen (het deel boven de kredietlimiet)"
        );
    }
}
