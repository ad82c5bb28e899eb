//! Appreciation for customers who keep their deal: suggestions raised from
//! the ledger and the agreements (the rules are in
//! `tegoed_core::appreciation`), a thank-you message signed by the account
//! manager through the same delivery as dunning, relationship gifts against
//! each account manager's quarterly budget (over it, a credit manager
//! approves), and dismissing a suggestion. All on the customer's timeline
//! and in the audit log.

use rustc_hash::FxHashMap;
use serde::Serialize;
use tegoed_core::agreements::{PlanStatus, PromiseStatus};
use tegoed_core::appreciation::{
    self as rules, Budget, Evidence, Facts, Kept, PaidInvoice, Reason, Suggested, Trigger,
};
use tegoed_core::strategy::Channel;
use tegoed_core::{AccountManagerId, Currency, CustomerId, Date, InvoiceId, Language, Money};
use tegoed_store::{
    Appreciation, AppreciationStatus, Gift, GiftStatus, Message, ReadTx, Store, StoredAppreciation,
    StoredCustomer, StoredGift, WriteTx,
};

use crate::access::{Action, Actor};
use crate::agreements::event;
use crate::audit::{Detail, Label};
use crate::config::Config;
use crate::dunning::document::{Document, Letterhead, Signature};
use crate::dunning::templates::Templates;
use crate::format::{money, short_date};
use crate::{AppError, Result};

/// The segment, strategy and step a thank-you is recorded under (it is no
/// dunning step: no invoice moves on the ladder).
pub const THANK_YOU: &str = "thank_you";
pub const APPRECIATION: &str = "appreciation";

/// What one refresh raised and let lapse.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Refreshed {
    pub raised: u64,
    pub lapsed: u64,
}

fn evidence_texts(
    trigger: &Trigger<InvoiceId>,
    numbers: &FxHashMap<InvoiceId, String>,
) -> (String, String) {
    let eur = |minor: i64, lang| money(minor, "EUR", lang);
    match &trigger.evidence {
        Evidence::Kept(kept) => match trigger.reason {
            Reason::PlanCompleted => (
                format!(
                    "Payment plan of {} paid in full on {}",
                    eur(kept.amount_minor, Language::En),
                    short_date(kept.on, Language::En)
                ),
                format!(
                    "Betalingsregeling van {} helemaal betaald op {}",
                    eur(kept.amount_minor, Language::Nl),
                    short_date(kept.on, Language::Nl)
                ),
            ),
            _ => (
                format!(
                    "Promise of {} kept on {}",
                    eur(kept.amount_minor, Language::En),
                    short_date(kept.on, Language::En)
                ),
                format!(
                    "Betaalbelofte van {} nagekomen op {}",
                    eur(kept.amount_minor, Language::Nl),
                    short_date(kept.on, Language::Nl)
                ),
            ),
        },
        Evidence::BackOnTime {
            on_time,
            late_before,
        } => {
            let list = on_time
                .iter()
                .filter_map(|id| numbers.get(id).cloned())
                .collect::<Vec<_>>()
                .join(", ");
            (
                format!(
                    "Paid {} invoices in a row on time ({list}) after {} late {}",
                    on_time.len(),
                    late_before,
                    if *late_before == 1 {
                        "payment"
                    } else {
                        "payments"
                    }
                ),
                format!(
                    "{} facturen op rij op tijd betaald ({list}) na {} {}",
                    on_time.len(),
                    late_before,
                    if *late_before == 1 {
                        "late betaling"
                    } else {
                        "late betalingen"
                    }
                ),
            )
        }
        Evidence::OnTimeYear { from, to, invoices } => (
            format!(
                "All {invoices} invoices due from {} to {} paid on time",
                short_date(*from, Language::En),
                short_date(*to, Language::En)
            ),
            format!(
                "Alle {invoices} facturen met vervaldatum van {} tot {} op tijd betaald",
                short_date(*from, Language::Nl),
                short_date(*to, Language::Nl)
            ),
        ),
    }
}

/// Raises the suggestions true on `as_of` that were not raised before, and
/// lets open "on time" suggestions lapse for customers with something
/// overdue now. One scan of the ledger; safe to run again and at once (the
/// store keeps each suggestion once).
pub fn refresh(
    tx: &mut dyn WriteTx,
    settings: &tegoed_core::appreciation::Rules,
    as_of: Date,
) -> Result<Refreshed> {
    let directory = tx.customer_directory()?;
    let index: FxHashMap<CustomerId, usize> = directory
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id, i))
        .collect();
    let mut facts: Vec<Facts<InvoiceId>> = directory
        .iter()
        .map(|_| Facts {
            paid: Vec::new(),
            oldest_open_due: None,
            plans_completed: Vec::new(),
            promises_kept: Vec::new(),
        })
        .collect();
    // Two years of payment behaviour is what the triggers look at.
    let two_years_ago = as_of.add_years(-2);
    tx.scan_ledger(as_of, &mut |row| {
        let Some(&i) = index.get(&row.customer) else {
            return;
        };
        if row.amount_minor <= 0 || row.currency != Currency::EUR {
            return;
        }
        let f = &mut facts[i];
        if row.open_minor > 0 {
            f.oldest_open_due = Some(
                f.oldest_open_due
                    .map_or(row.due_date, |d| d.min(row.due_date)),
            );
        } else if let Some(paid_on) = row.last_paid_on
            && row.due_date > two_years_ago
        {
            f.paid.push(PaidInvoice {
                key: row.invoice,
                due_date: row.due_date,
                paid_on,
            });
        }
    })?;
    // An invoice settled by credit notes alone was not paid: it proves
    // nothing about paying on time.
    let settled: Vec<InvoiceId> = facts
        .iter()
        .flat_map(|f| f.paid.iter().map(|p| p.key))
        .collect();
    let mut by_payment: rustc_hash::FxHashSet<InvoiceId> = rustc_hash::FxHashSet::default();
    for a in tx.allocations_of(&settled)? {
        if matches!(a.source, tegoed_core::AllocationSource::Payment(_)) {
            by_payment.insert(a.invoice);
        }
    }
    for f in &mut facts {
        f.paid.retain(|p| by_payment.contains(&p.key));
    }
    for stored in tx.plans(None, false)? {
        if let (PlanStatus::Completed, Some(on), Some(&i)) = (
            stored.plan.status,
            stored.plan.status_on,
            index.get(&stored.plan.customer),
        ) {
            facts[i].plans_completed.push(Kept {
                id: stored.id,
                on,
                amount_minor: stored.plan.total.minor,
            });
        }
    }
    for stored in tx.promises(None, false)? {
        if let (PromiseStatus::Kept, Some(on), Some(&i)) = (
            stored.promise.status,
            stored.promise.status_on,
            index.get(&stored.promise.customer),
        ) {
            facts[i].promises_kept.push(Kept {
                id: stored.id,
                on,
                amount_minor: stored.promise.amount.minor,
            });
        }
    }
    let handed_off: rustc_hash::FxHashSet<CustomerId> = tx
        .collection_states()?
        .into_iter()
        .filter(|(_, s)| s.handed_off_on.is_some())
        .map(|(c, _)| c)
        .collect();
    let mut raised: Vec<(usize, Trigger<InvoiceId>)> = Vec::new();
    for (i, f) in facts.iter().enumerate() {
        if handed_off.contains(&directory[i].id) {
            continue;
        }
        raised.extend(
            rules::triggers(f, settings, as_of)
                .into_iter()
                .map(|t| (i, t)),
        );
    }
    // Invoice numbers only for the evidence that names them.
    let wanted: Vec<InvoiceId> = raised
        .iter()
        .flat_map(|(_, t)| match &t.evidence {
            Evidence::BackOnTime { on_time, .. } => on_time.clone(),
            _ => Vec::new(),
        })
        .collect();
    let mut numbers: FxHashMap<InvoiceId, String> = FxHashMap::default();
    for id in wanted {
        if let Some(invoice) = tx.invoice(id)? {
            numbers.insert(id, invoice.invoice.number);
        }
    }
    let list: Vec<Appreciation> = raised
        .iter()
        .map(|(i, trigger)| {
            let (evidence, evidence_nl) = evidence_texts(trigger, &numbers);
            Appreciation {
                customer: directory[*i].id,
                reason: trigger.reason,
                since: trigger.since,
                ref_id: trigger.ref_id,
                suggested: trigger.suggested,
                evidence,
                evidence_nl,
                raised_on: as_of,
            }
        })
        .collect();
    let new = tx.insert_appreciations(&list)?;
    // On-time suggestions no longer true: something fell overdue.
    let mut lapsed = 0;
    for open in tx.appreciations(None, true)? {
        let a = &open.appreciation;
        if !matches!(a.reason, Reason::BackOnTime | Reason::OnTimeYear) {
            continue;
        }
        let overdue = index.get(&a.customer).is_some_and(|&i| {
            facts[i]
                .oldest_open_due
                .is_some_and(|due| due.add_days(settings.grace_days) < as_of)
        });
        if (overdue || handed_off.contains(&a.customer))
            && tx.decide_appreciation(open.id, AppreciationStatus::Lapsed, as_of, "tegoed", None)?
        {
            lapsed += 1;
        }
    }
    Ok(Refreshed {
        raised: new.len() as u64,
        lapsed,
    })
}

/// A suggestion as listed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SuggestionLine {
    pub id: i64,
    pub customer: String,
    pub name: String,
    /// The account manager's name (`null` when the customer has none).
    pub account_manager: Option<String>,
    /// `plan_completed`, `promise_kept`, `back_on_time` or `on_time_year`.
    pub reason: &'static str,
    #[serde(serialize_with = "crate::ser::date")]
    pub since: Date,
    pub evidence: String,
    pub evidence_nl: String,
    /// `thank_you` or `gift`.
    pub suggested: &'static str,
    #[serde(skip)]
    pub account_manager_id: Option<AccountManagerId>,
}

impl SuggestionLine {
    /// The evidence in `language`.
    pub fn evidence_in(&self, language: Language) -> &str {
        match language {
            Language::Nl => &self.evidence_nl,
            Language::En => &self.evidence,
        }
    }
}

fn managers(
    tx: &mut dyn ReadTx,
) -> Result<FxHashMap<AccountManagerId, tegoed_core::AccountManager>> {
    Ok(tx.account_managers()?.into_iter().collect())
}

/// Open suggestions true on or before `as_of`, oldest first; only those of
/// `account_manager`'s customers when given. Reads the customers they
/// name, not the whole directory.
pub fn open_suggestions(
    tx: &mut dyn ReadTx,
    account_manager: Option<AccountManagerId>,
    as_of: Date,
) -> Result<Vec<SuggestionLine>> {
    let mut open = tx.appreciations(None, true)?;
    open.retain(|a| a.appreciation.since <= as_of);
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let names = managers(tx)?;
    let directory = who(tx, open.iter().map(|a| a.appreciation.customer))?;
    Ok(open
        .into_iter()
        .filter_map(|stored| {
            let (number, name, manager) = directory.get(&stored.appreciation.customer)?.clone();
            if account_manager.is_some() && manager != account_manager {
                return None;
            }
            Some(line(stored, number, name, manager, &names))
        })
        .collect())
}

/// A customer's number, name and account manager.
type Who = (String, String, Option<AccountManagerId>);

/// Number, name and account manager of the customers `ids` names, in one
/// batch read of those customers, never the whole directory (reading
/// 100,000 customers twice on every visit made Today take 0.8 s on the
/// 100k bench).
fn who(
    tx: &mut dyn ReadTx,
    ids: impl Iterator<Item = CustomerId>,
) -> Result<FxHashMap<CustomerId, Who>> {
    let mut seen = rustc_hash::FxHashSet::default();
    let wanted: Vec<CustomerId> = ids.filter(|id| seen.insert(*id)).collect();
    Ok(tx
        .customers(&wanted)?
        .into_iter()
        .map(|c| {
            let customer = c.customer;
            (
                c.id,
                (customer.number, customer.name, customer.account_manager),
            )
        })
        .collect())
}

fn line(
    stored: StoredAppreciation,
    number: String,
    name: String,
    manager: Option<AccountManagerId>,
    names: &FxHashMap<AccountManagerId, tegoed_core::AccountManager>,
) -> SuggestionLine {
    let a = stored.appreciation;
    SuggestionLine {
        id: stored.id,
        customer: number,
        name,
        account_manager: manager.and_then(|m| names.get(&m)).map(|m| m.name.clone()),
        reason: a.reason.as_str(),
        since: a.since,
        evidence: a.evidence,
        evidence_nl: a.evidence_nl,
        suggested: a.suggested.as_str(),
        account_manager_id: manager,
    }
}

fn customer(tx: &mut dyn ReadTx, number: &str) -> Result<StoredCustomer> {
    tx.customer_by_number(number)?
        .ok_or_else(|| AppError::NotFound(format!("no customer with number '{number}'")))
}

/// The open suggestions of one customer: `only` when given (it must be
/// theirs and open), else all of them.
fn open_of(
    tx: &mut dyn ReadTx,
    stored: &StoredCustomer,
    only: Option<i64>,
    as_of: Date,
) -> Result<Vec<StoredAppreciation>> {
    let mut open = tx.appreciations(Some(stored.id), true)?;
    open.retain(|a| a.appreciation.since <= as_of);
    match only {
        Some(id) => {
            let one: Vec<_> = open.into_iter().filter(|a| a.id == id).collect();
            if one.is_empty() {
                return Err(AppError::NotFound(format!(
                    "no open suggestion {id} for customer {}",
                    stored.customer.number
                )));
            }
            Ok(one)
        }
        None => Ok(open),
    }
}

/// The template context of a thank-you: what the customer did, so every
/// sentence is true.
#[derive(Serialize)]
struct ThankContext {
    lang: &'static str,
    customer: NameCtx,
    sender: PersonCtx,
    company: NameCtx,
    plan: Option<KeptCtx>,
    promise: Option<KeptCtx>,
    back_on_time: Option<CountCtx>,
    on_time_year: Option<CountCtx>,
}

#[derive(Serialize)]
struct NameCtx {
    name: String,
}

#[derive(Serialize)]
struct PersonCtx {
    name: String,
    first_name: String,
    email: Option<String>,
    phone: Option<String>,
}

#[derive(Serialize)]
struct KeptCtx {
    /// Minor units (the `money` filter writes them).
    amount: i64,
    /// ISO (the `date` filter writes it).
    on: String,
}

#[derive(Serialize)]
struct CountCtx {
    invoices: usize,
}

/// The thank-you message for `suggestions` of customer `stored`, signed by
/// the account manager (the collector when there is none).
fn thank_you_message(
    tx: &mut dyn ReadTx,
    config: &Config,
    templates: &Templates,
    stored: &StoredCustomer,
    suggestions: &[StoredAppreciation],
    as_of: Date,
) -> Result<Message> {
    let customer = &stored.customer;
    let language = customer.language;
    let company = &config.company;
    let manager = match customer.account_manager {
        Some(id) => managers(tx)?.remove(&id),
        None => None,
    };
    let (name, email, phone, title) = match &manager {
        Some(m) => (
            m.name.clone(),
            m.email.as_ref().map(|e| e.as_str().to_string()),
            company.phone.clone(),
            Signature::title(true, &company.name, language),
        ),
        None => (
            company.collector.name.clone(),
            company.collector.email.clone(),
            company.collector.phone.clone(),
            Signature::title(false, &company.name, language),
        ),
    };
    let kept = |reason: Reason| {
        suggestions
            .iter()
            .filter(|s| s.appreciation.reason == reason)
            .max_by_key(|s| s.appreciation.since)
            .map(|s| (s.appreciation.ref_id, s.appreciation.since))
    };
    let plan = match kept(Reason::PlanCompleted) {
        Some((id, on)) => tx
            .plans(Some(stored.id), false)?
            .into_iter()
            .find(|p| p.id == id)
            .map(|p| KeptCtx {
                amount: p.plan.total.minor,
                on: on.to_string(),
            }),
        None => None,
    };
    let promise = match kept(Reason::PromiseKept) {
        Some((id, on)) => tx
            .promises(Some(stored.id), false)?
            .into_iter()
            .find(|p| p.id == id)
            .map(|p| KeptCtx {
                amount: p.promise.amount.minor,
                on: on.to_string(),
            }),
        None => None,
    };
    let on_time = |reason: Reason| {
        suggestions
            .iter()
            .find(|s| s.appreciation.reason == reason)
            .map(|_| CountCtx {
                invoices: match reason {
                    Reason::BackOnTime => config.appreciation.rules.back_on_time_invoices as usize,
                    _ => config.appreciation.rules.on_time_year_invoices as usize,
                },
            })
    };
    let ctx = ThankContext {
        lang: language.as_str(),
        customer: NameCtx {
            name: customer.name.clone(),
        },
        sender: PersonCtx {
            first_name: name.split_whitespace().next().unwrap_or(&name).to_string(),
            name: name.clone(),
            email: email.clone(),
            phone: phone.clone(),
        },
        company: NameCtx {
            name: company.name.clone(),
        },
        plan,
        promise,
        back_on_time: on_time(Reason::BackOnTime),
        on_time_year: on_time(Reason::OnTimeYear),
    };
    let rendered = templates.message("appreciation/thank_you", language, &ctx)?;
    let channel = if customer.email.is_some() {
        Channel::Email
    } else {
        Channel::Letter
    };
    let document = Document {
        language,
        date: as_of,
        currency: "EUR".into(),
        subject: rendered.subject.clone(),
        recipient: crate::dunning::compose::address_lines(customer),
        customer_number: customer.number.clone(),
        opening: rendered.opening,
        rows: Vec::new(),
        totals: Vec::new(),
        pay: None,
        closing: rendered.closing,
        signature: Signature {
            name: name.clone(),
            title,
            email: email.clone(),
            phone,
        },
        letterhead: Letterhead::of(company),
        portal: None,
    };
    let text = document.text();
    let json = serde_json::to_string(&document)
        .map_err(|e| AppError::Invalid(format!("cannot store the message: {e}")))?;
    Ok(Message {
        customer: stored.id,
        as_of,
        segment: APPRECIATION.into(),
        strategy: APPRECIATION.into(),
        step_id: THANK_YOU.into(),
        step_offset: 0,
        channel,
        language,
        recipient: match channel {
            Channel::Email => customer.email.as_ref().map(|e| e.as_str().to_string()),
            _ => Some(crate::dunning::compose::address_lines(customer).join(", ")),
        },
        sender_name: name,
        sender_email: email,
        subject: rendered.subject,
        body_text: text,
        document: json,
        currency: Currency::EUR,
        principal_minor: 0,
        interest_minor: 0,
        costs_minor: 0,
        vat_uplift_minor: 0,
        credit_minor: 0,
        pay_by: None,
        effects: Vec::new(),
        fourteen_day: None,
    })
}

/// Records a thank-you for the open `suggestions` of `stored` in run `run`
/// (queued; the caller delivers) and closes them. Gives the message id, or
/// `None` when none of them was open any more (someone else was first).
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_thank_you(
    tx: &mut dyn WriteTx,
    config: &Config,
    templates: &Templates,
    run: i64,
    stored: &StoredCustomer,
    suggestions: &[StoredAppreciation],
    by: &str,
    as_of: Date,
) -> Result<Option<i64>> {
    let message = thank_you_message(tx, config, templates, stored, suggestions, as_of)?;
    let id = tx.insert_message(run, &message, &[])?;
    let mut closed = 0;
    for s in suggestions {
        if tx.decide_appreciation(s.id, AppreciationStatus::Thanked, as_of, by, Some(id))? {
            closed += 1;
        }
    }
    if closed == 0 {
        // Someone else thanked them (or dismissed it) first: nothing goes
        // out; the message stays on record as cancelled.
        tx.set_message_status(
            id,
            tegoed_store::MessageStatus::Cancelled,
            None,
            None,
            Some("thanked or dismissed by someone else first"),
        )?;
        return Ok(None);
    }
    Ok(Some(id))
}

/// What a thank-you did.
#[derive(Debug, Clone, Serialize)]
pub struct Thanked {
    pub customer: String,
    pub message_id: i64,
    /// `email` or `letter`.
    pub channel: &'static str,
    pub recipient: Option<String>,
    pub subject: String,
    pub sender: String,
    /// The suggestions it answered.
    pub suggestions: Vec<i64>,
    /// Delivered now (`false`: it failed and stays queued for the next run).
    pub delivered: bool,
    /// The file written (outbox or letters), when not sent over SMTP.
    pub file: Option<String>,
    pub error: Option<String>,
    pub text: String,
}

/// Sends customer `number` a thank-you for its open suggestions (or only
/// `only`), signed by its account manager, through the dunning delivery
/// (outbox or SMTP for e-mail, a PDF for a letter).
#[allow(clippy::too_many_arguments)]
pub fn thank(
    store: &dyn Store,
    actor: &Actor,
    config: &Config,
    templates: &Templates,
    number: &str,
    only: Option<i64>,
    as_of: Date,
    clock: crate::lease::Clock,
) -> Result<Thanked> {
    // One deliverer at a time: the dunning lease, briefly.
    let lease = crate::lease::acquire(store, "dunning", &actor.id, clock)?;
    let (id, suggestions, message) = {
        let mut tx = store.write()?;
        let stored = customer(tx.as_mut(), number)?;
        actor.require(Action::Appreciate, stored.customer.account_manager)?;
        let suggestions = open_of(tx.as_mut(), &stored, only, as_of)?;
        if suggestions.is_empty() {
            return Err(AppError::Conflict(format!(
                "customer {number} has no open suggestion to thank them for"
            )));
        }
        let run = tx.insert_run(as_of)?;
        let id = record_thank_you(
            tx.as_mut(),
            config,
            templates,
            run,
            &stored,
            &suggestions,
            &actor.id,
            as_of,
        )?
        .ok_or_else(|| AppError::Conflict(format!("customer {number} was thanked already")))?;
        tx.set_run_messages(run, 1)?;
        let message = tx
            .message(id)?
            .ok_or_else(|| AppError::NotFound(format!("message {id}")))?;
        actor.audit(
            tx.as_mut(),
            "appreciation.thank",
            number,
            Detail::none().number(Label::Message, id).words(
                Label::Reasons,
                &suggestions
                    .iter()
                    .map(|s| s.appreciation.reason.as_str())
                    .collect::<Vec<_>>(),
            ),
        )?;
        tx.commit()?;
        (id, suggestions, message)
    };
    let outcome = crate::dunning::deliver::deliver_recorded(
        store,
        config,
        templates,
        &message,
        as_of,
        lease.token(),
    )?;
    let (delivered, file, error) = match outcome {
        Ok(file) => (true, file, None),
        Err(e) => (false, None, Some(e)),
    };
    Ok(Thanked {
        customer: number.to_string(),
        message_id: id,
        channel: message.message.channel.as_str(),
        recipient: message.message.recipient.clone(),
        subject: message.message.subject.clone(),
        sender: message.message.sender_name.clone(),
        suggestions: suggestions.iter().map(|s| s.id).collect(),
        delivered,
        file,
        error,
        text: message.message.body_text,
    })
}

/// The gift budget of one account manager in the quarter of a date.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BudgetLine {
    pub account_manager: Option<String>,
    #[serde(serialize_with = "crate::ser::date")]
    pub quarter_from: Date,
    #[serde(serialize_with = "crate::ser::date")]
    pub quarter_to: Date,
    /// Decimal strings.
    pub budget: String,
    pub used: String,
    /// Gifts over budget waiting for a credit manager.
    pub awaiting_approval: String,
    pub left: String,
    /// Given beyond the budget (approved by a credit manager).
    pub over: String,
    #[serde(skip)]
    pub budget_minor: i64,
    #[serde(skip)]
    pub used_minor: i64,
    #[serde(skip)]
    pub awaiting_minor: i64,
    #[serde(skip)]
    pub left_minor: i64,
    #[serde(skip)]
    pub over_minor: i64,
    #[serde(skip)]
    pub account_manager_id: Option<AccountManagerId>,
}

fn budget_of(
    gifts: &[StoredGift],
    config: &Config,
    manager: Option<AccountManagerId>,
    name: Option<String>,
    as_of: Date,
) -> BudgetLine {
    let (from, to) = rules::quarter_of(as_of);
    let in_quarter = |g: &&StoredGift| {
        g.gift.account_manager == manager && from <= g.gift.given_on && g.gift.given_on <= to
    };
    let sum = |status: GiftStatus| -> i64 {
        gifts
            .iter()
            .filter(in_quarter)
            .filter(|g| g.status == status)
            .map(|g| g.gift.value.minor)
            .fold(0i64, |a, b| a.saturating_add(b))
    };
    let used = sum(GiftStatus::Given);
    let awaiting = sum(GiftStatus::AwaitingApproval);
    let budget = Budget {
        budget_minor: config.appreciation.gift_budget_per_quarter_minor,
        used_minor: used,
    };
    let decimal = |minor| Money::eur(minor).to_decimal_string();
    BudgetLine {
        account_manager: name,
        quarter_from: from,
        quarter_to: to,
        budget: decimal(budget.budget_minor),
        used: decimal(used),
        awaiting_approval: decimal(awaiting),
        left: decimal(budget.left_minor()),
        over: decimal((used - budget.budget_minor).max(0)),
        budget_minor: budget.budget_minor,
        used_minor: used,
        awaiting_minor: awaiting,
        left_minor: budget.left_minor(),
        over_minor: (used - budget.budget_minor).max(0),
        account_manager_id: manager,
    }
}

/// Every account manager's gift budget in the quarter of `as_of` (and the
/// customers without one, when they had gifts).
pub fn budgets(tx: &mut dyn ReadTx, config: &Config, as_of: Date) -> Result<Vec<BudgetLine>> {
    let gifts = tx.gifts(None)?;
    let mut out: Vec<BudgetLine> = tx
        .account_managers()?
        .into_iter()
        .map(|(id, m)| budget_of(&gifts, config, Some(id), Some(m.name), as_of))
        .collect();
    let unowned = budget_of(&gifts, config, None, None, as_of);
    if unowned.used_minor > 0 || unowned.awaiting_minor > 0 {
        out.push(unowned);
    }
    out.sort_by(|a, b| a.account_manager.cmp(&b.account_manager));
    Ok(out)
}

/// A gift as listed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GiftLine {
    pub id: i64,
    pub customer: String,
    pub name: String,
    pub account_manager: Option<String>,
    #[serde(serialize_with = "crate::ser::date")]
    pub given_on: Date,
    pub item: String,
    /// Decimal string, euros.
    pub value: String,
    /// `given`, `awaiting_approval` or `refused`.
    pub status: &'static str,
    pub logged_by: String,
    pub decided_by: Option<String>,
    #[serde(skip)]
    pub value_minor: i64,
    #[serde(skip)]
    pub account_manager_id: Option<AccountManagerId>,
}

/// Gifts, newest first: of one customer, or all.
pub fn gifts(tx: &mut dyn ReadTx, number: Option<&str>) -> Result<Vec<GiftLine>> {
    let only = match number {
        Some(n) => Some(customer(tx, n)?.id),
        None => None,
    };
    let list = tx.gifts(only)?;
    let names = managers(tx)?;
    let directory = who(tx, list.iter().map(|g| g.gift.customer))?;
    let mut out: Vec<GiftLine> = list
        .into_iter()
        .map(|g| {
            let (number, name) = directory
                .get(&g.gift.customer)
                .map(|(number, name, _)| (number.clone(), name.clone()))
                .unwrap_or_default();
            GiftLine {
                id: g.id,
                customer: number,
                name,
                account_manager: g
                    .gift
                    .account_manager
                    .and_then(|m| names.get(&m))
                    .map(|m| m.name.clone()),
                given_on: g.gift.given_on,
                item: g.gift.item,
                value: g.gift.value.to_decimal_string(),
                status: g.status.as_str(),
                logged_by: g.gift.logged_by,
                decided_by: g.decided_by,
                value_minor: g.gift.value.minor,
                account_manager_id: g.gift.account_manager,
            }
        })
        .collect();
    out.reverse();
    Ok(out)
}

/// A gift as someone logs it.
#[derive(Debug, Clone, Copy)]
pub struct NewGift<'a> {
    /// What the gift is.
    pub item: &'a str,
    /// What it is worth, in euros (`45.00`, `45,00`).
    pub value: &'a str,
    /// The suggestion it answers (default: the customer's open ones).
    pub suggestion: Option<i64>,
}

/// What logging a gift did.
#[derive(Debug, Clone, Serialize)]
pub struct GiftLogged {
    pub gift: GiftLine,
    /// The budget after it (of the customer's account manager).
    pub budget: BudgetLine,
    /// Over the budget and logged by someone who may not approve it: it
    /// waits for a credit manager.
    pub needs_approval: bool,
}

/// Logs a relationship gift to customer `number`: `item`, worth `value`
/// (euros, e.g. `45.00`). Within the account manager's quarterly budget it
/// is given; over it, it waits for a credit manager's approval (a credit
/// manager's own gift over budget counts as approved).
pub fn gift(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    config: &Config,
    number: &str,
    new: &NewGift<'_>,
    as_of: Date,
) -> Result<GiftLogged> {
    let (item, value, only) = (new.item, new.value, new.suggestion);
    let stored = customer(tx, number)?;
    actor.require(Action::Appreciate, stored.customer.account_manager)?;
    let item = item.trim();
    if item.is_empty() {
        return Err(AppError::Invalid("--item: say what the gift is".into()));
    }
    if item.chars().count() > 200 {
        return Err(AppError::Invalid("--item: at most 200 characters".into()));
    }
    let value_minor = tegoed_core::money::parse_typed_amount(value, 2).map_err(|e| {
        crate::refusal::Refusal::GiftValueUnreadable {
            value: value.to_string(),
            reason: e.to_string(),
        }
    })?;
    if value_minor <= 0 {
        return Err(crate::refusal::Refusal::GiftValueNotPositive {
            value: value.to_string(),
        }
        .into());
    }
    let suggestions = open_of(tx, &stored, only, as_of)?;
    let manager = stored.customer.account_manager;
    let name = match manager {
        Some(id) => managers(tx)?.remove(&id).map(|m| m.name),
        None => None,
    };
    let all = tx.gifts(None)?;
    let before = budget_of(&all, config, manager, name.clone(), as_of);
    let fits = Budget {
        budget_minor: before.budget_minor,
        used_minor: before.used_minor,
    }
    .fits(value_minor);
    let approver = actor.may(Action::ApproveGift, None);
    let status = if fits || approver {
        GiftStatus::Given
    } else {
        GiftStatus::AwaitingApproval
    };
    let value_money = Money::eur(value_minor);
    let gift = Gift {
        customer: stored.id,
        account_manager: manager,
        appreciation: suggestions.first().map(|s| s.id),
        given_on: as_of,
        item: item.to_string(),
        value: value_money,
        logged_by: actor.id.clone(),
    };
    let id = if status == GiftStatus::Given && !fits {
        // Over the budget, logged by someone who may approve it: approved
        // by them, on the record.
        let id = tx.insert_gift(&gift, GiftStatus::AwaitingApproval)?;
        tx.decide_gift(id, GiftStatus::Given, as_of, &actor.id)?;
        id
    } else {
        tx.insert_gift(&gift, status)?
    };
    if status == GiftStatus::Given {
        for s in &suggestions {
            tx.decide_appreciation(s.id, AppreciationStatus::Gifted, as_of, &actor.id, None)?;
        }
    }
    let (en, nl) = match status {
        GiftStatus::Given if !fits => (
            format!(
                "Gift: {item} ({}), over the quarter's budget, approved by {}",
                value_money.display_in(Language::En),
                actor.id
            ),
            format!(
                "Cadeau: {item} ({}), boven het budget van het kwartaal, goedgekeurd door {}",
                value_money.display_in(Language::Nl),
                actor.id
            ),
        ),
        GiftStatus::Given => (
            format!("Gift: {item} ({})", value_money.display_in(Language::En)),
            format!("Cadeau: {item} ({})", value_money.display_in(Language::Nl)),
        ),
        _ => (
            format!(
                "Gift proposed: {item} ({}), over the quarter's budget: waits for a credit manager",
                value_money.display_in(Language::En)
            ),
            format!(
                "Cadeau voorgesteld: {item} ({}), boven het budget van het kwartaal: wacht op een creditmanager",
                value_money.display_in(Language::Nl)
            ),
        ),
    };
    let mut entry = event(stored.id, as_of, "gift", None, Some(id), (en, nl));
    entry.author = Some(actor.id.clone());
    tx.add_event(&entry)?;
    actor.audit(
        tx,
        "appreciation.gift",
        number,
        Detail::none()
            .number(Label::Gift, id)
            .text(Label::Item, item)
            .money(Label::Value, value_money)
            .word(Label::Status, status.as_str()),
    )?;
    let all = tx.gifts(None)?;
    let budget = budget_of(&all, config, manager, name, as_of);
    let line = gifts(tx, Some(number))?
        .into_iter()
        .find(|g| g.id == id)
        .ok_or_else(|| AppError::NotFound(format!("gift {id}")))?;
    Ok(GiftLogged {
        gift: line,
        budget,
        needs_approval: status == GiftStatus::AwaitingApproval,
    })
}

/// A credit manager approves or refuses a gift over budget.
pub fn decide_gift(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    id: i64,
    approve: bool,
    as_of: Date,
) -> Result<GiftLine> {
    actor.require(Action::ApproveGift, None)?;
    let stored = tx
        .gifts(None)?
        .into_iter()
        .find(|g| g.id == id)
        .ok_or_else(|| AppError::NotFound(format!("no gift {id}")))?;
    let status = if approve {
        GiftStatus::Given
    } else {
        GiftStatus::Refused
    };
    if !tx.decide_gift(id, status, as_of, &actor.id)? {
        return Err(AppError::Conflict(format!(
            "gift {id} is not waiting for approval (it is {})",
            stored.status.as_str().replace('_', " ")
        )));
    }
    let g = &stored.gift;
    if approve && let Some(suggestion) = g.appreciation {
        tx.decide_appreciation(
            suggestion,
            AppreciationStatus::Gifted,
            as_of,
            &actor.id,
            None,
        )?;
    }
    let (en, nl) = if approve {
        (
            format!(
                "Gift approved by {}: {} ({})",
                actor.id,
                g.item,
                g.value.display_in(Language::En)
            ),
            format!(
                "Cadeau goedgekeurd door {}: {} ({})",
                actor.id,
                g.item,
                g.value.display_in(Language::Nl)
            ),
        )
    } else {
        (
            format!(
                "Gift refused by {}: {} ({})",
                actor.id,
                g.item,
                g.value.display_in(Language::En)
            ),
            format!(
                "Cadeau afgewezen door {}: {} ({})",
                actor.id,
                g.item,
                g.value.display_in(Language::Nl)
            ),
        )
    };
    let mut entry = event(g.customer, as_of, "gift", None, Some(id), (en, nl));
    entry.author = Some(actor.id.clone());
    tx.add_event(&entry)?;
    let number = tx
        .customer(g.customer)?
        .map(|c| c.customer.number)
        .unwrap_or_default();
    actor.audit(
        tx,
        if approve {
            "appreciation.gift_approved"
        } else {
            "appreciation.gift_refused"
        },
        &number,
        Detail::none().number(Label::Gift, id),
    )?;
    gifts(tx, Some(&number))?
        .into_iter()
        .find(|l| l.id == id)
        .ok_or_else(|| AppError::NotFound(format!("gift {id}")))
}

/// Dismisses an open suggestion (no thank-you, no gift).
pub fn dismiss(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    id: i64,
    as_of: Date,
) -> Result<SuggestionLine> {
    let stored = tx
        .appreciations(None, false)?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or_else(|| AppError::NotFound(format!("no suggestion {id}")))?;
    let customer_row = tx
        .customer(stored.appreciation.customer)?
        .ok_or_else(|| AppError::NotFound(format!("customer of suggestion {id}")))?;
    actor.require(Action::Appreciate, customer_row.customer.account_manager)?;
    if !tx.decide_appreciation(id, AppreciationStatus::Dismissed, as_of, &actor.id, None)? {
        return Err(AppError::Conflict(format!(
            "suggestion {id} is not open (it was {})",
            stored.status.as_str()
        )));
    }
    actor.audit(
        tx,
        "appreciation.dismiss",
        &customer_row.customer.number,
        Detail::none()
            .number(Label::Suggestion, id)
            .word(Label::Reason, stored.appreciation.reason.as_str()),
    )?;
    let names = managers(tx)?;
    Ok(line(
        stored,
        customer_row.customer.number,
        customer_row.customer.name,
        customer_row.customer.account_manager,
        &names,
    ))
}

/// The customer (number, name) a suggestion is about.
pub fn customer_of(tx: &mut dyn ReadTx, id: i64) -> Result<(String, String)> {
    let found = tx
        .appreciations(None, false)?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or_else(|| AppError::NotFound(format!("no suggestion {id}")))?;
    let customer = tx
        .customer(found.appreciation.customer)?
        .ok_or_else(|| AppError::NotFound(format!("no customer for suggestion {id}")))?
        .customer;
    Ok((customer.number, customer.name))
}

/// Whether `suggested` is a gift (for the pages' buttons).
pub fn is_gift(suggested: &str) -> bool {
    Suggested::parse(suggested) == Some(Suggested::Gift)
}
