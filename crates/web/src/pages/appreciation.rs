//! Appreciation: the customers to thank (on Today for credit, on *My
//! customers* for sales, and on their own page), one click to send the
//! thank-you, log a gift or dismiss; gifts over budget for a credit manager
//! to approve; each account manager's gift budget this quarter.

use tegoed_app::appreciation::{self, BudgetLine, GiftLine, NewGift, SuggestionLine};

use super::*;

/// A suggestion as the cards show it: the reason and evidence in the
/// reader's language.
#[derive(Serialize)]
pub(super) struct SuggestionOut {
    id: i64,
    customer: String,
    name: String,
    account_manager: Option<String>,
    reason: &'static str,
    evidence: String,
    since: String,
    /// The suggestion is a gift (not only a thank-you).
    gift: bool,
}

fn suggestion_out(s: &SuggestionLine, lang: Language) -> SuggestionOut {
    SuggestionOut {
        id: s.id,
        customer: s.customer.clone(),
        name: s.name.clone(),
        account_manager: s.account_manager.clone(),
        reason: i18n::t(lang, s.reason),
        evidence: s.evidence_in(lang).to_string(),
        since: s.since.to_string(),
        gift: appreciation::is_gift(s.suggested),
    }
}

/// A gift, with the budget it is weighed against while it waits.
#[derive(Serialize)]
pub(super) struct GiftOut {
    id: i64,
    customer: String,
    name: String,
    account_manager: Option<String>,
    given_on: String,
    item: String,
    /// In minor units (euros).
    value: i64,
    status: &'static str,
    waiting: bool,
    logged_by: String,
    decided_by: Option<String>,
    budget: Option<BudgetOut>,
}

fn gift_out(g: &GiftLine, lang: Language) -> GiftOut {
    GiftOut {
        id: g.id,
        customer: g.customer.clone(),
        name: g.name.clone(),
        account_manager: g.account_manager.clone(),
        given_on: g.given_on.to_string(),
        item: g.item.clone(),
        value: g.value_minor,
        status: i18n::t(lang, g.status),
        waiting: g.status == "awaiting_approval",
        logged_by: g.logged_by.clone(),
        decided_by: g.decided_by.clone(),
        budget: None,
    }
}

/// An account manager's gift budget this quarter, in minor units (euros).
#[derive(Serialize)]
pub(super) struct BudgetOut {
    account_manager: Option<String>,
    from: String,
    to: String,
    budget: i64,
    used: i64,
    awaiting: i64,
    left: i64,
    over: i64,
}

fn budget_out(b: &BudgetLine) -> BudgetOut {
    BudgetOut {
        account_manager: b.account_manager.clone(),
        from: b.quarter_from.to_string(),
        to: b.quarter_to.to_string(),
        budget: b.budget_minor,
        used: b.used_minor,
        awaiting: b.awaiting_minor,
        left: b.left_minor,
        over: b.over_minor,
    }
}

/// The appreciation card (`appreciation_card.html`, on Today, My customers
/// and the Appreciation page).
#[derive(Serialize, Default)]
pub(super) struct Card {
    /// The newest open suggestions (as many as the card shows).
    suggestions: Vec<SuggestionOut>,
    /// How many are open in all.
    total: usize,
    /// Gifts over budget waiting for a credit manager.
    waiting: Vec<GiftOut>,
    may_approve: bool,
    budgets: Vec<BudgetOut>,
}

/// What the appreciation card shows to `visit`'s user: the open
/// suggestions (a salesperson's own customers only), the gifts waiting for
/// approval (for those who may approve) and the gift budget (a
/// salesperson's own, or everyone's).
pub(super) fn card(state: &S, visit: &Visit, limit: usize) -> Result<Card, Fail> {
    Ok(card_and_gifts(state, visit, limit)?.0)
}

/// [`card`], with every gift it read (the Appreciation page lists them).
fn card_and_gifts(state: &S, visit: &Visit, limit: usize) -> Result<(Card, Vec<GiftLine>), Fail> {
    state.raise_appreciation();
    let lang = visit.user.language;
    let as_of = state.as_of();
    let mine = (visit.user.role == Role::Sales).then_some(visit.user.account_manager);
    if mine == Some(None) {
        // A salesperson not linked to an account manager has no customers.
        return Ok((Card::default(), Vec::new()));
    }
    let live = state.live();
    // Suggestions are read once per change, not on every visit.
    let all = state.cache.suggestions(state).map_err(Fail::Internal)?;
    let suggestions: Vec<&SuggestionLine> = all
        .iter()
        .filter(|s| mine.is_none() || s.account_manager_id == mine.flatten())
        .collect();
    let (gifts, budgets) = state.read(|tx| {
        Ok((
            appreciation::gifts(tx, None)?,
            appreciation::budgets(tx, &live.config, as_of)?,
        ))
    })?;
    let may_approve = visit.user.role.may(Action::ApproveGift);
    // Newest first: what happened lately is what to act on.
    let total = suggestions.len();
    let shown = suggestions
        .iter()
        .rev()
        .take(limit)
        .map(|s| suggestion_out(s, lang))
        .collect();
    let waiting = gifts
        .iter()
        .filter(|g| g.status == "awaiting_approval")
        .filter(|g| may_approve || (mine.is_some() && g.account_manager_id == mine.flatten()))
        .map(|g| {
            let mut out = gift_out(g, lang);
            // What the approver weighs it against: that budget.
            out.budget = budgets
                .iter()
                .find(|b| b.account_manager_id == g.account_manager_id)
                .map(budget_out);
            out
        })
        .collect();
    let budgets = budgets
        .iter()
        .filter(|b| {
            mine.flatten()
                .is_none_or(|m| b.account_manager_id == Some(m))
        })
        .map(budget_out)
        .collect();
    Ok((
        Card {
            suggestions: shown,
            total,
            waiting,
            may_approve,
            budgets,
        },
        gifts,
    ))
}

/// The appreciation page: every open suggestion, the gifts of this quarter
/// and the budgets.
pub(super) fn appreciation_page(
    state: &S,
    visit: &Visit,
    _: &Params,
    _: &Params,
) -> Result<Response, Fail> {
    let lang = visit.user.language;
    let (card, all_gifts) = card_and_gifts(state, visit, usize::MAX)?;
    let mine = (visit.user.role == Role::Sales).then_some(visit.user.account_manager);
    let (from, _) = tegoed_core::appreciation::quarter_of(state.as_of());
    let gifts = all_gifts
        .iter()
        .filter(|g| g.given_on >= from.add_years(-1))
        // A salesperson sees the gifts to their own customers.
        .filter(|g| mine.is_none_or(|m| m.is_some() && g.account_manager_id == m))
        .take(200)
        .map(|g| gift_out(g, lang))
        .collect();
    // A mistake about a suggestion no longer listed (a colleague thanked
    // or dismissed it first) has no line to stand at: it goes on top.
    let stray_error = visit.form_error.as_ref().and_then(|e| {
        let listed = e
            .values
            .get("suggestion")
            .is_some_and(|id| card.suggestions.iter().any(|s| s.id.to_string() == *id));
        (!listed).then(|| e.message.clone())
    });
    let page = AppreciationPage {
        card,
        gifts,
        stray_error,
    };
    render(state, visit, "appreciation.html", "Appreciation", page)
}

/// The Appreciation page's view-model (`appreciation.html`).
#[derive(Serialize)]
struct AppreciationPage {
    card: Card,
    /// A form's mistake about a suggestion that is not listed any more.
    stray_error: Option<String>,
    /// The gifts of the last year and this quarter (at most 200).
    gifts: Vec<GiftOut>,
}

/// The form of a suggestion's buttons: the gift's `item` and `value` (for
/// `gift` only) and where to go back to.
#[derive(Deserialize)]
pub(super) struct SuggestionForm {
    #[serde(default, deserialize_with = "forms::optional")]
    item: Option<Text>,
    #[serde(default, deserialize_with = "forms::optional")]
    value: Option<Text>,
    #[serde(default)]
    back: Back,
}

/// One click on a suggestion: `thank`, `gift` (with `item` and `value`) or
/// `dismiss`.
pub(super) fn appreciation_action(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: SuggestionForm,
) -> Result<String, Fail> {
    let id: i64 = field(path, "id")?
        .parse()
        .map_err(|_| Fail::NotFound("no such suggestion".into()))?;
    let actor = visit.actor();
    let as_of = state.as_of();
    let back_to = form.back.or("/appreciation");
    let (number, name) = state.read(|tx| appreciation::customer_of(tx, id))?;
    match field(path, "action")? {
        "thank" => {
            let live = state.live();
            let done = appreciation::thank(
                state.store.as_ref(),
                &actor,
                &live.config,
                &live.templates,
                &number,
                None,
                as_of,
                crate::now,
            )?;
            state.cache.invalidate(state);
            let code = if done.delivered {
                "thanked"
            } else {
                "thank_failed"
            };
            Ok(with_done(&back_to, code, &[&name]))
        }
        "gift" => {
            let missing = |name| forms::FieldError::new(name, forms::Problem::Missing);
            let item = form.item.as_ref().ok_or_else(|| missing("item"))?.as_str();
            let value = form
                .value
                .as_ref()
                .ok_or_else(|| missing("value"))?
                .as_str();
            let live = state.live();
            let logged = state.write(|tx| {
                appreciation::gift(
                    tx,
                    &actor,
                    &live.config,
                    &number,
                    &NewGift {
                        item,
                        value,
                        suggestion: Some(id),
                    },
                    as_of,
                )
            })?;
            let code = if logged.needs_approval {
                "gift_waiting"
            } else {
                "gift"
            };
            Ok(with_done(&back_to, code, &[&name]))
        }
        "dismiss" => {
            state.write(|tx| appreciation::dismiss(tx, &actor, id, as_of))?;
            Ok(with_done(&back_to, "dismissed", &[&name]))
        }
        other => Err(Fail::NotFound(format!("no action '{other}'"))),
    }
}

/// A credit manager approves or refuses a gift over budget.
pub(super) fn gift_decision(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: BackForm,
) -> Result<String, Fail> {
    let id: i64 = field(path, "id")?
        .parse()
        .map_err(|_| Fail::NotFound("no such gift".into()))?;
    let approve = match field(path, "decision")? {
        "approve" => true,
        "refuse" => false,
        other => return Err(Fail::NotFound(format!("no decision '{other}'"))),
    };
    let as_of = state.as_of();
    let line =
        state.write(|tx| appreciation::decide_gift(tx, &visit.actor(), id, approve, as_of))?;
    Ok(with_done(
        &form.back.or("/today"),
        if approve {
            "gift_approved"
        } else {
            "gift_refused"
        },
        &[&line.name],
    ))
}
