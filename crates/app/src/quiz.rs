//! The policy quiz: short questions made from the live credit policy and a
//! real customer ("Klant X wil € 12.000 op 30 dagen; klasse D, € 3.000 over
//! tijd. Wat zegt het beleid?"), answered by a person, checked against the
//! policy's own decision (the pre-sale check), with the rule explained; the
//! answers are kept, so each person's score and who did the training show.

use rustc_hash::FxHashMap;
use serde::Serialize;
use tegoed_core::policy::Verdict;
use tegoed_core::{Date, Language, Money};
use tegoed_store::{QuizAnswer, ReadTx, WriteTx};

use crate::access::Actor;
use crate::audit::{Detail, Label};
use crate::config::Config;
use crate::format::{money, percent};
use crate::policy::{CheckRequest, CheckResult, Checker, Subject};
use crate::{AppError, Result};

/// The three answers, as the policy names them.
pub const VERDICTS: [&str; 3] = ["approve", "conditions", "prepay"];

/// What a verdict means, for people: the policy's own words
/// ([`Verdict::title`]), as on the policy page and the pre-sale check.
pub fn verdict_text(verdict: &str, language: Language) -> &'static str {
    Verdict::parse(verdict)
        .unwrap_or(Verdict::Prepay)
        .title(language)
}

/// A question.
#[derive(Debug, Clone, Serialize)]
pub struct Question {
    /// Makes the same question again (the answer refers to it).
    pub seed: u64,
    pub customer: String,
    pub name: String,
    /// Decimal string, euros.
    pub amount: String,
    pub terms_days: i32,
    /// The question in the reader's language, with the facts it rests on.
    pub text: String,
    pub facts: Vec<String>,
    #[serde(skip)]
    pub amount_minor: i64,
}

/// An answer, checked.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    pub id: i64,
    pub customer: String,
    pub name: String,
    pub amount: String,
    pub terms_days: i32,
    pub answer: String,
    pub verdict: String,
    pub correct: bool,
    /// The rule that decided, in words, and the facts behind it.
    pub explanation: Vec<String>,
    /// The conditions the policy sets (for `conditions`).
    pub conditions: Vec<String>,
}

/// SplitMix64: one step, for picking from a seed.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The deal a seed asks about: a customer with invoices, an amount of one
/// to eight typical invoices (rounded to hundreds), and 14, 30 or 60 days.
fn deal_of(tx: &mut dyn ReadTx, seed: u64, as_of: Date) -> Result<(String, i64, i32)> {
    let mut typical: FxHashMap<tegoed_core::CustomerId, Vec<i64>> = FxHashMap::default();
    let year_ago = as_of.add_years(-1);
    tx.scan_ledger(as_of, &mut |row| {
        if row.amount_minor > 0 && row.issue_date > year_ago {
            typical
                .entry(row.customer)
                .or_default()
                .push(row.amount_minor);
        }
    })?;
    let mut candidates: Vec<(String, i64)> = tx
        .customer_directory()?
        .into_iter()
        .filter_map(|c| {
            let mut amounts = typical.remove(&c.id)?;
            amounts.sort_unstable();
            Some((c.number, amounts[amounts.len() / 2]))
        })
        .collect();
    if candidates.is_empty() {
        return Err(AppError::NotFound(
            "no customer with invoices in the last year to ask about".into(),
        ));
    }
    candidates.sort();
    let r = mix(seed);
    let (number, median) = candidates[(r % candidates.len() as u64) as usize].clone();
    let times = [1, 2, 4, 8][((r >> 16) % 4) as usize];
    let amount = (median.saturating_mul(times) / 10_000).max(1) * 10_000;
    let terms = [14, 30, 60][((r >> 24) % 3) as usize];
    Ok((number, amount, terms))
}

fn check(
    tx: &mut dyn ReadTx,
    config: &Config,
    number: &str,
    amount_minor: i64,
    terms: i32,
    as_of: Date,
    language: Language,
) -> Result<CheckResult> {
    Checker::new(tx, config)?.check(
        tx,
        &CheckRequest {
            subject: Subject::Customer(number.to_string()),
            amount: Money::eur(amount_minor),
            terms_days: Some(terms),
            language,
        },
        as_of,
    )
}

/// The question of `seed` on `as_of`, in `language`.
pub fn question(
    tx: &mut dyn ReadTx,
    config: &Config,
    seed: u64,
    as_of: Date,
    language: Language,
) -> Result<Question> {
    let (number, amount_minor, terms) = deal_of(tx, seed, as_of)?;
    let result = check(tx, config, &number, amount_minor, terms, as_of, language)?;
    let nl = language == Language::Nl;
    let amount = money(amount_minor, "EUR", language);
    let mut facts = Vec::new();
    facts.push(match (result.risk.class, nl) {
        (Some(c), true) => format!("risicoklasse {c}"),
        (Some(c), false) => format!("risk class {c}"),
        (None, true) => "nog geen risicoklasse".into(),
        (None, false) => "no risk class yet".into(),
    });
    facts.push(match (result.overdue.minor > 0, nl) {
        (true, true) => format!(
            "{} over de vervaldatum (oudste {} {})",
            result.overdue.display_in(language),
            result.max_days_overdue,
            if result.max_days_overdue == 1 {
                "dag"
            } else {
                "dagen"
            }
        ),
        (true, false) => format!(
            "{} overdue (oldest {} {})",
            result.overdue.display_in(language),
            result.max_days_overdue,
            if result.max_days_overdue == 1 {
                "day"
            } else {
                "days"
            }
        ),
        (false, true) => "niets over de vervaldatum".into(),
        (false, false) => "nothing overdue".into(),
    });
    facts.push(match (&result.limit.limit, nl) {
        (Some(limit), true) => format!(
            "kredietlimiet {}, nu open {}",
            limit.display_in(language),
            result.limit.open.display_in(language)
        ),
        (Some(limit), false) => format!(
            "credit limit {}, open now {}",
            limit.display_in(language),
            result.limit.open.display_in(language)
        ),
        (None, true) => format!(
            "geen kredietlimiet, nu open {}",
            result.limit.open.display_in(language)
        ),
        (None, false) => format!(
            "no credit limit, open now {}",
            result.limit.open.display_in(language)
        ),
    });
    // The chance of paying late comes from the risk model: only with one.
    if result.risk.class.is_some() {
        facts.push(if nl {
            format!(
                "kans dat de betaling meer dan 30 dagen te laat komt: {}",
                percent(result.cost_of_non_payment.probability_late, language)
            )
        } else {
            format!(
                "chance that payment comes more than 30 days late: {}",
                percent(result.cost_of_non_payment.probability_late, language)
            )
        });
    }
    let text = if nl {
        format!(
            "{} ({}) wil {amount} bestellen, te betalen binnen {terms} dagen. Wat zegt het beleid?",
            result.subject.name, number
        )
    } else {
        format!(
            "{} ({}) wants to order {amount}, to pay within {terms} days. What does the policy say?",
            result.subject.name, number
        )
    };
    Ok(Question {
        seed,
        customer: number,
        name: result.subject.name,
        amount: Money::eur(amount_minor).to_decimal_string(),
        terms_days: terms,
        text,
        facts,
        amount_minor,
    })
}

fn explained(result: &CheckResult) -> (Vec<String>, Vec<String>) {
    (
        result.reasons.clone(),
        result.conditions.iter().map(|c| c.text.clone()).collect(),
    )
}

/// Answers the question of `seed`: checks `answer` against the policy's own
/// decision, keeps it, and explains the rule.
pub fn answer(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    config: &Config,
    seed: u64,
    answer: &str,
    as_of: Date,
    language: Language,
) -> Result<Checked> {
    let answer = answer.trim();
    if !VERDICTS.contains(&answer) {
        return Err(crate::refusal::Refusal::AnswerUnknown {
            answer: answer.to_string(),
        }
        .into());
    }
    let (number, amount_minor, terms) = deal_of(tx, seed, as_of)?;
    let result = check(tx, config, &number, amount_minor, terms, as_of, language)?;
    let customer = tx
        .customer_by_number(&number)?
        .ok_or_else(|| AppError::NotFound(format!("no customer with number '{number}'")))?;
    // One answer per question: once the rule was shown, answering again
    // would only count the explanation.
    let again = tx.quiz_answers(as_of)?.into_iter().any(|a| {
        let a = a.answer;
        a.user == actor.id
            && a.customer == customer.id
            && a.amount_minor == amount_minor
            && a.terms_days == terms
    });
    if again {
        return Err(AppError::Conflict(
            "you answered this question already today; take a new one".into(),
        ));
    }
    let stored = QuizAnswer {
        user: actor.id.clone(),
        answered_on: as_of,
        customer: customer.id,
        amount_minor,
        terms_days: terms,
        answer: answer.to_string(),
        verdict: result.verdict.to_string(),
        rule: result.rule.clone(),
    };
    let id = tx.insert_quiz_answer(&stored)?;
    actor.audit(
        tx,
        "training.quiz",
        &number,
        Detail::none()
            .both(
                Label::YourAnswer,
                verdict_text(answer, Language::Nl).to_string(),
                verdict_text(answer, Language::En).to_string(),
            )
            .both(
                Label::PolicySays,
                verdict_text(&stored.verdict, Language::Nl).to_string(),
                verdict_text(&stored.verdict, Language::En).to_string(),
            ),
    )?;
    let (explanation, conditions) = explained(&result);
    Ok(Checked {
        id,
        customer: number,
        name: customer.customer.name,
        amount: Money::eur(amount_minor).to_decimal_string(),
        terms_days: terms,
        answer: answer.to_string(),
        verdict: result.verdict.to_string(),
        correct: answer == result.verdict,
        explanation,
        conditions,
    })
}

/// An answer given earlier by `actor`, explained as the policy saw it on the
/// day it was given.
pub fn answered(
    tx: &mut dyn ReadTx,
    actor: &Actor,
    config: &Config,
    id: i64,
    language: Language,
) -> Result<Checked> {
    let stored = tx
        .quiz_answer(id)?
        .filter(|a| a.answer.user == actor.id)
        .ok_or_else(|| AppError::NotFound(format!("no answer {id} of yours")))?
        .answer;
    let customer = tx
        .customer(stored.customer)?
        .ok_or_else(|| AppError::NotFound(format!("customer of answer {id}")))?
        .customer;
    let result = check(
        tx,
        config,
        &customer.number,
        stored.amount_minor,
        stored.terms_days,
        stored.answered_on,
        language,
    )?;
    let (explanation, conditions) = explained(&result);
    Ok(Checked {
        id,
        customer: customer.number,
        name: customer.name,
        amount: Money::eur(stored.amount_minor).to_decimal_string(),
        terms_days: stored.terms_days,
        correct: stored.answer == stored.verdict,
        answer: stored.answer,
        verdict: stored.verdict,
        explanation,
        conditions,
    })
}

/// One person's score.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Score {
    pub user: String,
    /// The user's name (the e-mail address or actor when unknown).
    pub name: String,
    pub answered: u64,
    pub correct: u64,
    /// 0–1, four decimals.
    pub share_correct: f64,
    #[serde(serialize_with = "crate::ser::date")]
    pub last: Date,
}

/// Scores per person of the answers given from `from` to `to`, most
/// answered first.
pub fn scores(tx: &mut dyn ReadTx, from: Date, to: Date) -> Result<Vec<Score>> {
    let mut by: FxHashMap<String, (u64, u64, Date)> = FxHashMap::default();
    for a in tx.quiz_answers(from)? {
        let a = a.answer;
        if a.answered_on > to {
            continue;
        }
        let entry = by.entry(a.user).or_insert((0, 0, a.answered_on));
        entry.0 += 1;
        entry.1 += u64::from(a.answer == a.verdict);
        entry.2 = entry.2.max(a.answered_on);
    }
    let names: FxHashMap<String, String> = tx
        .users()?
        .into_iter()
        .map(|u| (u.user.email.to_lowercase(), u.user.name))
        .collect();
    let mut out: Vec<Score> = by
        .into_iter()
        .map(|(user, (answered, correct, last))| Score {
            name: names
                .get(&user.to_lowercase())
                .cloned()
                .unwrap_or_else(|| user.trim_start_matches("cli:").to_string()),
            user,
            answered,
            correct,
            share_correct: (correct as f64 / answered as f64 * 10_000.0).round() / 10_000.0,
            last,
        })
        .collect();
    out.sort_by(|a, b| b.answered.cmp(&a.answered).then(a.user.cmp(&b.user)));
    Ok(out)
}
