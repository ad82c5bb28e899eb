//! Agreements and pauses: disputes, promises to pay, payment plans, dunning
//! pauses, tags, call tasks and the customer timeline — the use cases behind
//! `tegoed dispute|promise|plan|pause|tasks|customer tag|customer timeline`.
//!
//! Whether a promise is kept or a plan on track is derived from the money
//! that arrived on the invoices they cover; [`evaluate`] does it for a date,
//! and the dunning run records the outcome (kept, broken, completed) on the
//! customer's timeline once.

use rustc_hash::FxHashSet;
use serde::Serialize;
use tegoed_core::agreements::{
    Interval, PlanStatus, PromiseStatus, instalments, plan_status, promise_status,
};
use tegoed_core::{Currency, CustomerId, Date, InvoiceId, Language, Money};
use tegoed_store::{
    CollectionState, Dispute, DocumentState, PaymentPlan, Promise, Store, StoredCustomer,
    StoredPlan, StoredPromise, StoredTask, Task, TimelineEvent, Tx,
};

use crate::{AppError, Result};

/// A reason, outcome or note a person must give: not blank.
fn require_text(text: &str, missing: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(AppError::Invalid(missing.to_string()));
    }
    Ok(())
}

fn customer(tx: &mut dyn Tx, number: &str) -> Result<StoredCustomer> {
    tx.customer_by_number(number)?
        .ok_or_else(|| AppError::NotFound(format!("no customer with number '{number}'")))
}

/// A timeline entry written by Tegoed, in English and Dutch.
pub(crate) fn event(
    customer: CustomerId,
    date: Date,
    kind: &str,
    invoice: Option<InvoiceId>,
    ref_id: Option<i64>,
    (en, nl): (String, String),
) -> TimelineEvent {
    TimelineEvent {
        customer,
        date,
        kind: kind.into(),
        invoice,
        ref_id,
        text: en,
        text_nl: Some(nl),
        author: None,
    }
}

fn eur(minor: i64, currency: Currency) -> String {
    Money::new(minor, currency).display()
}

/// Money and dates in Dutch, for the Dutch timeline texts.
pub(crate) fn eur_nl(minor: i64, currency: Currency) -> String {
    Money::new(minor, currency).display_in(Language::Nl)
}

pub(crate) fn date_nl(date: Date) -> String {
    crate::dunning::document::short_date(date, Language::Nl)
}

/// The invoice numbers of a list of invoices, for a text.
fn numbers_of(invoices: &[(InvoiceId, String, i64, Currency)]) -> String {
    invoices
        .iter()
        .map(|i| i.1.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The overdue invoices of a customer on `as_of` (open, due before it).
fn overdue_invoices(
    tx: &mut dyn Tx,
    customer: CustomerId,
    as_of: Date,
) -> Result<Vec<(InvoiceId, String, i64, Currency)>> {
    Ok(tx
        .customer_documents(customer, as_of)?
        .into_iter()
        .filter(|d| d.invoice.amount.minor > 0 && d.open_minor > 0 && d.invoice.due_date < as_of)
        .map(|d| {
            (
                d.id,
                d.invoice.number,
                d.open_minor,
                d.invoice.amount.currency,
            )
        })
        .collect())
}

// --- disputes ----------------------------------------------------------------

/// A dispute, as listed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DisputeLine {
    pub id: i64,
    pub customer: String,
    pub invoice: String,
    #[serde(serialize_with = "crate::ser::date")]
    pub opened_on: Date,
    pub reason: String,
    #[serde(serialize_with = "crate::ser::opt_date")]
    pub resolved_on: Option<Date>,
    pub resolution: Option<String>,
}

fn dispute_line(tx: &mut dyn Tx, id: i64, dispute: Dispute) -> Result<DisputeLine> {
    let invoice = tx
        .invoice(dispute.invoice)?
        .map(|i| i.invoice.number)
        .unwrap_or_default();
    let customer = tx
        .customer(dispute.customer)?
        .map(|c| c.customer.number)
        .unwrap_or_default();
    Ok(DisputeLine {
        id,
        customer,
        invoice,
        opened_on: dispute.opened_on,
        reason: dispute.reason,
        resolved_on: dispute.resolved_on,
        resolution: dispute.resolution,
    })
}

/// Opens a dispute on an invoice: dunning pauses on it.
pub fn open_dispute(
    store: &dyn Store,
    invoice_number: &str,
    reason: &str,
    as_of: Date,
) -> Result<DisputeLine> {
    require_text(reason, "a dispute needs a reason (--reason)")?;
    let mut tx = store.write()?;
    let invoice = tx
        .invoice_by_number(invoice_number)?
        .ok_or_else(|| AppError::NotFound(format!("no invoice with number '{invoice_number}'")))?;
    if invoice.invoice.is_credit_note() {
        return Err(AppError::Invalid(format!(
            "{invoice_number} is a credit note; only invoices can be disputed"
        )));
    }
    if let Some(open) = tx.open_dispute_on(invoice.id)? {
        return Err(AppError::Invalid(format!(
            "invoice {invoice_number} is already disputed since {} ({})",
            open.dispute.opened_on, open.dispute.reason
        )));
    }
    let dispute = Dispute {
        invoice: invoice.id,
        customer: invoice.invoice.customer,
        opened_on: as_of,
        reason: reason.trim().to_string(),
        resolved_on: None,
        resolution: None,
    };
    let id = tx.insert_dispute(&dispute)?;
    tx.add_event(&event(
        dispute.customer,
        as_of,
        "dispute_opened",
        Some(invoice.id),
        Some(id),
        (
            format!("Invoice {invoice_number} disputed: {}", dispute.reason),
            format!("Factuur {invoice_number} betwist: {}", dispute.reason),
        ),
    ))?;
    let line = dispute_line(tx.as_mut(), id, dispute)?;
    tx.commit()?;
    Ok(line)
}

/// Resolves the open dispute on an invoice: dunning on it resumes.
pub fn resolve_dispute(
    store: &dyn Store,
    invoice_number: &str,
    resolution: Option<&str>,
    as_of: Date,
) -> Result<DisputeLine> {
    let mut tx = store.write()?;
    let invoice = tx
        .invoice_by_number(invoice_number)?
        .ok_or_else(|| AppError::NotFound(format!("no invoice with number '{invoice_number}'")))?;
    let open = tx.open_dispute_on(invoice.id)?.ok_or_else(|| {
        AppError::Invalid(format!("invoice {invoice_number} has no open dispute"))
    })?;
    let resolution = resolution.map(str::trim).filter(|r| !r.is_empty());
    tx.resolve_dispute(open.id, as_of, resolution)?;
    tx.add_event(&event(
        open.dispute.customer,
        as_of,
        "dispute_resolved",
        Some(invoice.id),
        Some(open.id),
        match resolution {
            Some(r) => (
                format!("Dispute on invoice {invoice_number} resolved: {r}"),
                format!("Geschil over factuur {invoice_number} opgelost: {r}"),
            ),
            None => (
                format!("Dispute on invoice {invoice_number} resolved"),
                format!("Geschil over factuur {invoice_number} opgelost"),
            ),
        },
    ))?;
    let mut dispute = open.dispute;
    dispute.resolved_on = Some(as_of);
    dispute.resolution = resolution.map(str::to_string);
    let line = dispute_line(tx.as_mut(), open.id, dispute)?;
    tx.commit()?;
    Ok(line)
}

/// Disputes (open ones unless `all`).
pub fn disputes(store: &dyn Store, all: bool) -> Result<Vec<DisputeLine>> {
    let mut tx = store.read()?;
    let list = tx.disputes(None, !all)?;
    list.into_iter()
        .map(|d| dispute_line(tx.as_mut(), d.id, d.dispute))
        .collect()
}

// --- promises and plans ------------------------------------------------------

/// A promise, as listed, with its status on the date asked.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PromiseLine {
    pub id: i64,
    pub customer: String,
    pub name: String,
    #[serde(serialize_with = "crate::ser::date")]
    pub created_on: Date,
    #[serde(serialize_with = "crate::ser::money")]
    pub amount: Money,
    #[serde(serialize_with = "crate::ser::date")]
    pub promised_on: Date,
    /// Paid on the covered invoices from the promise up to its date.
    #[serde(serialize_with = "crate::ser::money")]
    pub paid: Money,
    pub status: &'static str,
    pub invoices: Vec<String>,
    pub note: Option<String>,
}

fn promise_paid(tx: &mut dyn Tx, promise: &Promise, as_of: Date) -> Result<i64> {
    let until = promise.promised_on.min(as_of);
    if until < promise.created_on {
        return Ok(0);
    }
    Ok(tx.allocated_between(&promise.invoices, promise.created_on, until)?)
}

/// A promise's status on `as_of`, from the money that arrived.
pub(crate) fn promise_status_on(
    tx: &mut dyn Tx,
    promise: &Promise,
    as_of: Date,
) -> Result<(PromiseStatus, i64)> {
    if promise.status != PromiseStatus::Pending {
        let paid = promise_paid(tx, promise, as_of)?;
        return Ok((promise.status, paid));
    }
    let paid = promise_paid(tx, promise, as_of)?;
    Ok((
        promise_status(promise.amount.minor, promise.promised_on, paid, as_of),
        paid,
    ))
}

fn invoice_numbers(tx: &mut dyn Tx, ids: &[InvoiceId]) -> Result<Vec<String>> {
    let mut numbers = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(invoice) = tx.invoice(*id)? {
            numbers.push(invoice.invoice.number);
        }
    }
    Ok(numbers)
}

/// A customer's number and name for a listing (empty when the customer is
/// gone).
fn customer_label(tx: &mut dyn Tx, id: CustomerId) -> Result<(String, String)> {
    Ok(tx
        .customer(id)?
        .map(|c| (c.customer.number, c.customer.name))
        .unwrap_or_default())
}

fn promise_line(tx: &mut dyn Tx, stored: &StoredPromise, as_of: Date) -> Result<PromiseLine> {
    let promise = &stored.promise;
    let (status, paid) = promise_status_on(tx, promise, as_of)?;
    let (customer, name) = customer_label(tx, promise.customer)?;
    Ok(PromiseLine {
        id: stored.id,
        customer,
        name,
        created_on: promise.created_on,
        amount: promise.amount,
        promised_on: promise.promised_on,
        paid: Money::new(paid, promise.amount.currency),
        status: status.as_str(),
        invoices: invoice_numbers(tx, &promise.invoices)?,
        note: promise.note.clone(),
    })
}

/// Records a promise to pay `amount` by `date`, covering the customer's
/// overdue invoices (or the ones named): dunning on them pauses until the
/// date.
pub fn add_promise(
    store: &dyn Store,
    number: &str,
    amount: &str,
    date: Date,
    invoice_numbers_given: &[String],
    note: Option<&str>,
    as_of: Date,
) -> Result<PromiseLine> {
    if date < as_of {
        return Err(AppError::Invalid(format!(
            "the promised date {date} is before today ({as_of})"
        )));
    }
    let mut tx = store.write()?;
    let stored = customer(tx.as_mut(), number)?;
    let overdue = overdue_invoices(tx.as_mut(), stored.id, as_of)?;
    let chosen: Vec<(InvoiceId, String, i64, Currency)> = if invoice_numbers_given.is_empty() {
        overdue
    } else {
        let mut chosen = Vec::new();
        for wanted in invoice_numbers_given {
            let invoice = tx
                .invoice_by_number(wanted)?
                .filter(|i| i.invoice.customer == stored.id)
                .ok_or_else(|| {
                    AppError::NotFound(format!("customer {number} has no invoice '{wanted}'"))
                })?;
            let open = tx.open_item(invoice.id)?.map_or(0, |o| o.open.minor);
            chosen.push((
                invoice.id,
                invoice.invoice.number,
                open,
                invoice.invoice.amount.currency,
            ));
        }
        chosen
    };
    if chosen.is_empty() {
        return Err(AppError::Invalid(format!(
            "customer {number} has no overdue invoices on {as_of}; name the invoices with --invoice"
        )));
    }
    let currency = chosen[0].3;
    let amount_minor = tegoed_core::money::parse_amount(amount, currency.exponent())
        .map_err(|e| AppError::Invalid(format!("--amount '{amount}': {e}")))?;
    if amount_minor <= 0 {
        return Err(AppError::Invalid(format!(
            "--amount '{amount}' must be more than zero"
        )));
    }
    let promise = Promise {
        customer: stored.id,
        created_on: as_of,
        amount: Money::new(amount_minor, currency),
        promised_on: date,
        status: PromiseStatus::Pending,
        status_on: None,
        note: note.map(str::to_string),
        invoices: chosen.iter().map(|c| c.0).collect(),
    };
    let id = tx.insert_promise(&promise)?;
    tx.add_event(&event(stored.id, as_of, "promise_made", None, Some(id), {
        let numbers = numbers_of(&chosen);
        (
            format!(
                "Promised to pay {} by {date} (invoices {numbers})",
                eur(amount_minor, currency),
            ),
            format!(
                "Toegezegd: {} betalen uiterlijk {} (facturen {numbers})",
                eur_nl(amount_minor, currency),
                date_nl(date),
            ),
        )
    }))?;
    let line = promise_line(tx.as_mut(), &StoredPromise { id, promise }, as_of)?;
    tx.commit()?;
    Ok(line)
}

/// Promises with their status on `as_of`; only broken ones with `broken`.
pub fn promises(store: &dyn Store, broken_only: bool, as_of: Date) -> Result<Vec<PromiseLine>> {
    let mut tx = store.read()?;
    let list = tx.promises(None, false)?;
    let mut lines = Vec::new();
    for promise in &list {
        let line = promise_line(tx.as_mut(), promise, as_of)?;
        if !broken_only || line.status == "broken" {
            lines.push(line);
        }
    }
    Ok(lines)
}

/// A payment plan, as listed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PlanLine {
    pub id: i64,
    pub customer: String,
    pub name: String,
    #[serde(serialize_with = "crate::ser::date")]
    pub created_on: Date,
    #[serde(serialize_with = "crate::ser::money")]
    pub total: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub paid: Money,
    pub status: &'static str,
    #[serde(serialize_with = "crate::ser::opt_date")]
    pub missed: Option<Date>,
    pub instalments: Vec<InstalmentLine>,
    pub invoices: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InstalmentLine {
    pub number: u32,
    #[serde(serialize_with = "crate::ser::date")]
    pub due_on: Date,
    #[serde(serialize_with = "crate::ser::money")]
    pub amount: Money,
}

/// A plan's status on `as_of`, from what was paid on its invoices.
pub(crate) fn plan_status_on(
    tx: &mut dyn Tx,
    plan: &PaymentPlan,
    as_of: Date,
    grace_days: i32,
) -> Result<(PlanStatus, i64)> {
    let paid = if as_of >= plan.created_on {
        tx.allocated_between(&plan.invoices, plan.created_on, as_of)?
    } else {
        0
    };
    if plan.status != PlanStatus::Active {
        return Ok((plan.status, paid));
    }
    let interval = Interval::parse(&plan.interval)
        .ok_or_else(|| AppError::Invalid(format!("plan interval '{}'", plan.interval)))?;
    let schedule = instalments(plan.total.minor, plan.instalments, plan.first_due, interval);
    Ok((plan_status(&schedule, paid, as_of, grace_days), paid))
}

fn plan_line(
    tx: &mut dyn Tx,
    stored: &StoredPlan,
    as_of: Date,
    grace_days: i32,
) -> Result<PlanLine> {
    let plan = &stored.plan;
    let (status, paid) = plan_status_on(tx, plan, as_of, grace_days)?;
    let interval = Interval::parse(&plan.interval).unwrap_or(Interval::Months(1));
    let (customer, name) = customer_label(tx, plan.customer)?;
    Ok(PlanLine {
        id: stored.id,
        customer,
        name,
        created_on: plan.created_on,
        total: plan.total,
        paid: Money::new(paid, plan.total.currency),
        status: status.as_str(),
        missed: match status {
            PlanStatus::Broken { missed } => Some(missed),
            _ => None,
        },
        instalments: instalments(plan.total.minor, plan.instalments, plan.first_due, interval)
            .into_iter()
            .map(|i| InstalmentLine {
                number: i.number,
                due_on: i.due_on,
                amount: Money::new(i.amount_minor, plan.total.currency),
            })
            .collect(),
        invoices: invoice_numbers(tx, &plan.invoices)?,
    })
}

/// Creates a payment plan over the customer's overdue invoices.
pub fn create_plan(
    store: &dyn Store,
    number: &str,
    count: u32,
    first: Date,
    interval: &str,
    grace_days: i32,
    as_of: Date,
) -> Result<PlanLine> {
    if !(1..=120).contains(&count) {
        return Err(AppError::Invalid(format!(
            "--instalments {count}: choose 1 to 120 instalments"
        )));
    }
    let parsed = Interval::parse(interval).ok_or_else(|| {
        AppError::Invalid(format!(
            "--interval '{interval}': write a number and m, w or d (1m, 2w, 14d)"
        ))
    })?;
    if first < as_of {
        return Err(AppError::Invalid(format!(
            "--first {first} is before today ({as_of})"
        )));
    }
    let mut tx = store.write()?;
    let stored = customer(tx.as_mut(), number)?;
    if !tx.plans(Some(stored.id), true)?.is_empty() {
        return Err(AppError::Invalid(format!(
            "customer {number} already has an active payment plan"
        )));
    }
    let overdue = overdue_invoices(tx.as_mut(), stored.id, as_of)?;
    let Some(currency) = overdue.first().map(|o| o.3) else {
        return Err(AppError::Invalid(format!(
            "customer {number} has nothing overdue on {as_of}"
        )));
    };
    let invoices: Vec<_> = overdue.into_iter().filter(|o| o.3 == currency).collect();
    let total = tegoed_core::money::sum_minor(invoices.iter().map(|o| o.2))?;
    let plan = PaymentPlan {
        customer: stored.id,
        created_on: as_of,
        total: Money::new(total, currency),
        instalments: count,
        first_due: first,
        interval: interval.trim().to_string(),
        status: PlanStatus::Active,
        status_on: None,
        invoices: invoices.iter().map(|o| o.0).collect(),
    };
    let id = tx.insert_plan(&plan)?;
    let schedule = instalments(total, count, first, parsed);
    tx.add_event(&event(
        stored.id,
        as_of,
        "plan_created",
        None,
        Some(id),
        {
            let numbers = numbers_of(&invoices);
            (
                format!(
                    "Payment plan: {} in {count} instalment{} of about {} from {first} (every {interval}), invoices {numbers}",
                    eur(total, currency),
                    if count == 1 { "" } else { "s" },
                    eur(schedule[0].amount_minor, currency),
                ),
                format!(
                    "Betalingsregeling: {} in {count} termijn{} van ongeveer {} vanaf {} (elke {interval}), facturen {numbers}",
                    eur_nl(total, currency),
                    if count == 1 { "" } else { "en" },
                    eur_nl(schedule[0].amount_minor, currency),
                    date_nl(first),
                ),
            )
        },
    ))?;
    let line = plan_line(tx.as_mut(), &StoredPlan { id, plan }, as_of, grace_days)?;
    tx.commit()?;
    Ok(line)
}

/// Payment plans with their status on `as_of`.
pub fn plans(store: &dyn Store, as_of: Date, grace_days: i32) -> Result<Vec<PlanLine>> {
    let mut tx = store.read()?;
    let list = tx.plans(None, false)?;
    list.iter()
        .map(|p| plan_line(tx.as_mut(), p, as_of, grace_days))
        .collect()
}

/// What agreements mean for dunning on a date.
#[derive(Debug, Default)]
pub(crate) struct Evaluation {
    /// Invoices dunning must leave alone: disputed, under a pending promise,
    /// or in a plan on track.
    pub paused: FxHashSet<InvoiceId>,
    pub disputed: FxHashSet<InvoiceId>,
    /// Promises and plans whose status changed, to record.
    pub changes: Vec<AgreementChange>,
}

/// A promise kept or broken, a plan completed or broken.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AgreementChange {
    pub kind: &'static str,
    pub id: i64,
    #[serde(skip)]
    pub customer_id: CustomerId,
    pub customer: String,
    #[serde(skip)]
    pub promise: Option<PromiseStatus>,
    #[serde(skip)]
    pub plan: Option<PlanStatus>,
    pub text: String,
    /// The same in Dutch, for the timeline.
    #[serde(skip)]
    pub text_nl: String,
}

/// Disputes, promises and plans as they stand on `as_of`.
pub(crate) fn evaluate(tx: &mut dyn Tx, as_of: Date, grace_days: i32) -> Result<Evaluation> {
    let mut evaluation = Evaluation::default();
    for dispute in tx.disputes(None, true)? {
        evaluation.paused.insert(dispute.dispute.invoice);
        evaluation.disputed.insert(dispute.dispute.invoice);
    }
    for stored in tx.promises(None, true)? {
        let promise = &stored.promise;
        let (status, paid) = promise_status_on(tx, promise, as_of)?;
        match status {
            PromiseStatus::Pending => evaluation.paused.extend(promise.invoices.iter().copied()),
            done => {
                let number = tx
                    .customer(promise.customer)?
                    .map(|c| c.customer.number)
                    .unwrap_or_default();
                evaluation.changes.push(AgreementChange {
                    kind: if done == PromiseStatus::Kept {
                        "promise_kept"
                    } else {
                        "promise_broken"
                    },
                    id: stored.id,
                    customer_id: promise.customer,
                    customer: number,
                    promise: Some(done),
                    plan: None,
                    text: if done == PromiseStatus::Kept {
                        format!(
                            "Promise kept: {} paid by {}",
                            promise.amount.display(),
                            promise.promised_on
                        )
                    } else {
                        format!(
                            "Promise broken: {} promised by {}, {} arrived",
                            promise.amount.display(),
                            promise.promised_on,
                            eur(paid, promise.amount.currency)
                        )
                    },
                    text_nl: if done == PromiseStatus::Kept {
                        format!(
                            "Toezegging nagekomen: {} betaald uiterlijk {}",
                            promise.amount.display_in(Language::Nl),
                            date_nl(promise.promised_on)
                        )
                    } else {
                        format!(
                            "Toezegging niet nagekomen: {} toegezegd voor {}, {} ontvangen",
                            promise.amount.display_in(Language::Nl),
                            date_nl(promise.promised_on),
                            eur_nl(paid, promise.amount.currency)
                        )
                    },
                });
            }
        }
    }
    for stored in tx.plans(None, true)? {
        let plan = &stored.plan;
        let (status, paid) = plan_status_on(tx, plan, as_of, grace_days)?;
        match status {
            PlanStatus::Active => evaluation.paused.extend(plan.invoices.iter().copied()),
            done => {
                let number = tx
                    .customer(plan.customer)?
                    .map(|c| c.customer.number)
                    .unwrap_or_default();
                let (kind, text, text_nl) = match done {
                    PlanStatus::Broken { missed } => (
                        "plan_broken",
                        format!(
                            "Payment plan broken: the instalment due {missed} was missed ({} of {} paid)",
                            eur(paid, plan.total.currency),
                            plan.total.display()
                        ),
                        format!(
                            "Betalingsregeling niet nagekomen: de termijn van {} is niet betaald ({} van {} betaald)",
                            date_nl(missed),
                            eur_nl(paid, plan.total.currency),
                            plan.total.display_in(Language::Nl)
                        ),
                    ),
                    _ => (
                        "plan_completed",
                        format!(
                            "Payment plan completed: {} paid in full",
                            plan.total.display()
                        ),
                        format!(
                            "Betalingsregeling afgerond: {} helemaal betaald",
                            plan.total.display_in(Language::Nl)
                        ),
                    ),
                };
                evaluation.changes.push(AgreementChange {
                    kind,
                    id: stored.id,
                    customer_id: plan.customer,
                    customer: number,
                    promise: None,
                    plan: Some(done),
                    text,
                    text_nl,
                });
            }
        }
    }
    Ok(evaluation)
}

/// Records evaluated changes (once: the status moves off pending/active).
pub(crate) fn record_changes(
    tx: &mut dyn Tx,
    changes: &[AgreementChange],
    as_of: Date,
) -> Result<()> {
    for change in changes {
        if let Some(status) = change.promise {
            tx.set_promise_status(change.id, status, as_of)?;
        }
        if let Some(status) = change.plan {
            tx.set_plan_status(change.id, status, as_of)?;
        }
        tx.add_event(&event(
            change.customer_id,
            as_of,
            change.kind,
            None,
            Some(change.id),
            (change.text.clone(), change.text_nl.clone()),
        ))?;
    }
    Ok(())
}

// --- pauses and tags ---------------------------------------------------------

/// The collection state of a customer, as shown.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StateLine {
    pub customer: String,
    #[serde(serialize_with = "crate::ser::opt_date")]
    pub pause_until: Option<Date>,
    pub pause_reason: Option<String>,
    #[serde(serialize_with = "crate::ser::opt_date")]
    pub credit_hold_since: Option<Date>,
    pub credit_hold_reason: Option<String>,
    #[serde(serialize_with = "crate::ser::opt_date")]
    pub handed_off_on: Option<Date>,
}

fn state_line(number: String, state: CollectionState) -> StateLine {
    StateLine {
        customer: number,
        pause_until: state.pause_until,
        pause_reason: state.pause_reason,
        credit_hold_since: state.credit_hold_since,
        credit_hold_reason: state.credit_hold_reason,
        handed_off_on: state.handed_off_on,
    }
}

/// Pauses dunning for a customer up to and including `until`.
pub fn pause(
    store: &dyn Store,
    number: &str,
    until: Date,
    reason: &str,
    as_of: Date,
) -> Result<StateLine> {
    require_text(reason, "a pause needs a reason (--reason)")?;
    let mut tx = store.write()?;
    let stored = customer(tx.as_mut(), number)?;
    let state = pause_in(tx.as_mut(), stored.id, until, reason, as_of)?;
    tx.commit()?;
    Ok(state_line(stored.customer.number, state))
}

/// Sets the pause inside `tx`, with its timeline entry.
pub(crate) fn pause_in(
    tx: &mut dyn Tx,
    customer: CustomerId,
    until: Date,
    reason: &str,
    as_of: Date,
) -> Result<CollectionState> {
    let mut state = tx.collection_state(customer)?;
    state.pause_until = Some(until);
    state.pause_reason = Some(reason.trim().to_string());
    tx.set_collection_state(customer, &state)?;
    tx.add_event(&event(
        customer,
        as_of,
        "pause",
        None,
        None,
        if until < as_of {
            (
                format!("Dunning pause ended: {}", reason.trim()),
                format!("Aanmaningspauze beëindigd: {}", reason.trim()),
            )
        } else {
            (
                format!("Dunning paused until {until}: {}", reason.trim()),
                format!(
                    "Aanmaningen gepauzeerd tot en met {}: {}",
                    date_nl(until),
                    reason.trim()
                ),
            )
        },
    ))?;
    Ok(state)
}

/// Adds a timeline entry with its author inside `tx`: in English and
/// Dutch, or (a note) as written, `nl` being `None`.
pub(crate) fn add_event_in(
    tx: &mut dyn Tx,
    customer: CustomerId,
    date: Date,
    kind: &str,
    ref_id: Option<i64>,
    (text, nl): (String, Option<String>),
    author: Option<&str>,
) -> Result<i64> {
    Ok(tx.add_event(&TimelineEvent {
        customer,
        date,
        kind: kind.into(),
        invoice: None,
        ref_id,
        text,
        text_nl: nl,
        author: author.map(str::to_string),
    })?)
}

/// A note on the customer's timeline, by `author`, for sales and credit
/// staff alike.
pub fn add_note(
    store: &dyn Store,
    number: &str,
    text: &str,
    author: &str,
    as_of: Date,
) -> Result<TimelineEntry> {
    require_text(text, "a note cannot be empty")?;
    if text.chars().count() > 4000 {
        return Err(AppError::Invalid(
            "a note can be at most 4,000 characters".into(),
        ));
    }
    let mut tx = store.write()?;
    let stored = customer(tx.as_mut(), number)?;
    let id = add_event_in(
        tx.as_mut(),
        stored.id,
        as_of,
        "note",
        None,
        (text.trim().to_string(), None),
        Some(author),
    )?;
    tx.commit()?;
    Ok(TimelineEntry {
        date: as_of,
        kind: "note".into(),
        text: text.trim().to_string(),
        invoice: None,
        ref_id: Some(id),
        author: Some(author.to_string()),
    })
}

/// Sets (or with `None` removes) a customer's credit limit, on the
/// timeline; returns the limit before.
pub fn set_credit_limit(
    store: &dyn Store,
    number: &str,
    limit: Option<tegoed_core::Money>,
    author: &str,
    as_of: Date,
) -> Result<Option<tegoed_core::Money>> {
    if limit.is_some_and(|l| l.minor < 0) {
        return Err(AppError::Invalid(
            "a credit limit cannot be negative".into(),
        ));
    }
    let mut tx = store.write()?;
    let mut stored = customer(tx.as_mut(), number)?;
    let before = stored.customer.credit_limit;
    if before != limit {
        stored.customer.credit_limit = limit;
        tx.update_customer(stored.id, &stored.customer)?;
        add_event_in(
            tx.as_mut(),
            stored.id,
            as_of,
            "credit_limit",
            None,
            match (before, limit) {
                (_, Some(l)) => (
                    format!(
                        "Credit limit set to {} (was {})",
                        l.display(),
                        before
                            .map(|b| b.display().to_string())
                            .unwrap_or_else(|| "none".into())
                    ),
                    Some(format!(
                        "Kredietlimiet {} (was {})",
                        l.display_in(Language::Nl),
                        before
                            .map(|b| b.display_in(Language::Nl))
                            .unwrap_or_else(|| "geen".into())
                    )),
                ),
                (_, None) => (
                    "Credit limit removed".to_string(),
                    Some("Kredietlimiet verwijderd".to_string()),
                ),
            },
            Some(author),
        )?;
    }
    tx.commit()?;
    Ok(before)
}

/// Adds or removes tags; returns the customer's tags after.
pub fn tag(
    store: &dyn Store,
    number: &str,
    tags: &[String],
    remove: bool,
    as_of: Date,
) -> Result<Vec<String>> {
    let mut tx = store.write()?;
    let stored = customer(tx.as_mut(), number)?;
    for tag in tags {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty()
            || !tag
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        {
            return Err(AppError::Invalid(format!(
                "tag '{tag}': use letters, digits, - and _"
            )));
        }
        let changed = if remove {
            tx.remove_tag(stored.id, &tag)?
        } else {
            tx.add_tag(stored.id, &tag)?
        };
        if changed {
            tx.add_event(&event(
                stored.id,
                as_of,
                "tag",
                None,
                None,
                if remove {
                    (
                        format!("Tag removed: {tag}"),
                        format!("Label verwijderd: {tag}"),
                    )
                } else {
                    (
                        format!("Tag added: {tag}"),
                        format!("Label toegevoegd: {tag}"),
                    )
                },
            ))?;
        }
    }
    let tags = tx.tags_of(stored.id)?;
    tx.commit()?;
    Ok(tags)
}

// --- tasks -----------------------------------------------------------------

/// A call task, as listed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TaskLine {
    pub id: i64,
    pub customer: String,
    pub name: String,
    pub phone: Option<String>,
    pub kind: String,
    #[serde(serialize_with = "crate::ser::date")]
    pub created_on: Date,
    #[serde(serialize_with = "crate::ser::date")]
    pub due_on: Date,
    pub assignee: Option<String>,
    pub title: String,
    pub talking_points: String,
    #[serde(serialize_with = "crate::ser::money")]
    pub amount: Money,
    pub status: &'static str,
    #[serde(serialize_with = "crate::ser::opt_date")]
    pub done_on: Option<Date>,
    pub outcome: Option<String>,
}

fn task_line(
    tx: &mut dyn Tx,
    id: i64,
    task: Task,
    done_on: Option<Date>,
    outcome: Option<String>,
) -> Result<TaskLine> {
    let customer = tx.customer(task.customer)?;
    Ok(TaskLine {
        id,
        customer: customer
            .as_ref()
            .map(|c| c.customer.number.clone())
            .unwrap_or_default(),
        phone: customer.as_ref().and_then(|c| c.customer.phone.clone()),
        name: customer.map(|c| c.customer.name).unwrap_or_default(),
        kind: task.kind,
        created_on: task.created_on,
        due_on: task.due_on,
        assignee: task.assignee,
        title: task.title,
        talking_points: task.talking_points,
        amount: task.amount,
        status: if done_on.is_some() { "done" } else { "open" },
        done_on,
        outcome,
    })
}

/// Open tasks (all with `all`), by due date.
pub fn tasks(store: &dyn Store, all: bool) -> Result<Vec<TaskLine>> {
    let mut tx = store.read()?;
    let list = tx.tasks(None, !all)?;
    list.into_iter()
        .map(|t| task_line(tx.as_mut(), t.id, t.task, t.done_on, t.outcome))
        .collect()
}

/// Marks a task done with its outcome, on the customer's timeline.
pub fn complete_task(store: &dyn Store, id: i64, outcome: &str, as_of: Date) -> Result<TaskLine> {
    require_text(outcome, "say what came of it (--outcome)")?;
    let mut tx = store.write()?;
    let stored = tx
        .task(id)?
        .ok_or_else(|| AppError::NotFound(format!("no task {id}")))?;
    if let Some(done) = stored.done_on {
        return Err(AppError::Invalid(format!(
            "task {id} was already done on {done}"
        )));
    }
    tx.complete_task(id, as_of, outcome.trim())?;
    tx.add_event(&TimelineEvent {
        customer: stored.task.customer,
        date: as_of,
        kind: "call_done".into(),
        invoice: None,
        ref_id: Some(id),
        text: format!("{}: {}", stored.task.title, outcome.trim()),
        text_nl: None,
        author: stored.task.assignee.clone(),
    })?;
    let line = task_line(
        tx.as_mut(),
        id,
        stored.task,
        Some(as_of),
        Some(outcome.trim().to_string()),
    )?;
    tx.commit()?;
    Ok(line)
}

// --- timeline ----------------------------------------------------------------

/// One entry of the shared customer timeline.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TimelineEntry {
    #[serde(serialize_with = "crate::ser::date")]
    pub date: Date,
    /// `invoice`, `credit_note`, `payment`, or an event kind
    /// (`message_sent`, `call_done`, `promise_broken`, …).
    pub kind: String,
    pub text: String,
    pub invoice: Option<String>,
    /// The message, task, promise, plan or dispute it refers to.
    pub ref_id: Option<i64>,
    pub author: Option<String>,
}

/// Invoices, payments and everything that happened with the customer, in
/// date order, up to `as_of`, in `language` (notes and call outcomes as
/// written).
pub fn timeline(
    store: &dyn Store,
    number: &str,
    as_of: Date,
    language: Language,
) -> Result<Vec<TimelineEntry>> {
    let mut tx = store.read()?;
    let ledger = crate::facts::CustomerLedger::load(tx.as_mut(), number, as_of)?;
    timeline_of(tx.as_mut(), &ledger, as_of, language)
}

/// The timeline of a customer whose ledger was read already.
pub fn timeline_of(
    tx: &mut dyn Tx,
    ledger: &crate::facts::CustomerLedger,
    as_of: Date,
    language: Language,
) -> Result<Vec<TimelineEntry>> {
    let nl = language == Language::Nl;
    let stored = &ledger.stored;
    let mut entries: Vec<(Date, u8, i64, TimelineEntry)> = Vec::new();
    for doc in &ledger.documents {
        let invoice = &doc.invoice;
        let credit = invoice.amount.minor < 0;
        entries.push((
            invoice.issue_date,
            0,
            doc.id.0,
            TimelineEntry {
                date: invoice.issue_date,
                kind: if credit { "credit_note" } else { "invoice" }.into(),
                text: match (credit, nl) {
                    (true, false) => format!(
                        "Credit note {} of {}",
                        invoice.number,
                        invoice.amount.abs().display()
                    ),
                    (true, true) => format!(
                        "Creditnota {} van {}",
                        invoice.number,
                        invoice.amount.abs().display_in(Language::Nl)
                    ),
                    (false, false) => format!(
                        "Invoice {} of {}, due {}",
                        invoice.number,
                        invoice.amount.display(),
                        invoice.due_date
                    ),
                    (false, true) => format!(
                        "Factuur {} van {}, vervalt {}",
                        invoice.number,
                        invoice.amount.display_in(Language::Nl),
                        date_nl(invoice.due_date)
                    ),
                },
                invoice: Some(invoice.number.clone()),
                ref_id: None,
                author: None,
            },
        ));
    }
    for payment in &ledger.payments {
        let applied: Vec<String> = payment.applied_to.iter().map(|(n, _)| n.clone()).collect();
        entries.push((
            payment.payment.date,
            1,
            payment.id.0,
            TimelineEntry {
                date: payment.payment.date,
                kind: if payment.payment.amount.minor < 0 {
                    "refund"
                } else {
                    "payment"
                }
                .into(),
                text: match (applied.is_empty(), nl) {
                    (true, false) => format!(
                        "Payment of {} (not applied)",
                        payment.payment.amount.display()
                    ),
                    (true, true) => format!(
                        "Betaling van {} (nog niet verwerkt)",
                        payment.payment.amount.display_in(Language::Nl)
                    ),
                    (false, false) => format!(
                        "Payment of {} for {}",
                        payment.payment.amount.display(),
                        applied.join(", ")
                    ),
                    (false, true) => format!(
                        "Betaling van {} voor {}",
                        payment.payment.amount.display_in(Language::Nl),
                        applied.join(", ")
                    ),
                },
                invoice: None,
                ref_id: None,
                author: None,
            },
        ));
    }
    for stored_event in tx.events(stored.id)? {
        let event = stored_event.event;
        if event.date > as_of {
            continue;
        }
        let invoice = match event.invoice {
            Some(id) => match ledger.documents.iter().find(|d| d.id == id) {
                Some(doc) => Some(doc.invoice.number.clone()),
                None => tx.invoice(id)?.map(|i| i.invoice.number),
            },
            None => None,
        };
        entries.push((
            event.date,
            2,
            stored_event.id,
            TimelineEntry {
                date: event.date,
                text: event.text_in(language).to_string(),
                kind: event.kind,
                invoice,
                ref_id: event.ref_id,
                author: event.author,
            },
        ));
    }
    entries.sort_by_key(|e| (e.0, e.1, e.2));
    Ok(entries.into_iter().map(|e| e.3).collect())
}

// --- one customer's agreements, for the customer page ---------------------------

/// Open tasks due on or before `as_of`: how many, and the first `limit`.
pub fn tasks_due(store: &dyn Store, as_of: Date, limit: usize) -> Result<(usize, Vec<TaskLine>)> {
    let mut tx = store.read()?;
    let due: Vec<StoredTask> = tx
        .tasks(None, true)?
        .into_iter()
        .filter(|t| t.task.due_on <= as_of)
        .collect();
    let total = due.len();
    let lines = due
        .into_iter()
        .take(limit)
        .map(|t| task_line(tx.as_mut(), t.id, t.task, t.done_on, t.outcome))
        .collect::<Result<_>>()?;
    Ok((total, lines))
}

/// The customer's tasks, open ones first.
pub fn tasks_of(store: &dyn Store, number: &str) -> Result<Vec<TaskLine>> {
    let mut tx = store.read()?;
    let stored = customer(tx.as_mut(), number)?;
    let mut list: Vec<StoredTask> = tx.tasks(Some(stored.id), false)?;
    list.sort_by_key(|t| (t.done_on.is_some(), t.task.due_on));
    list.into_iter()
        .take(50)
        .map(|t| task_line(tx.as_mut(), t.id, t.task, t.done_on, t.outcome))
        .collect()
}

/// The customer's disputes, open ones first.
pub fn disputes_of(store: &dyn Store, number: &str) -> Result<Vec<DisputeLine>> {
    let mut tx = store.read()?;
    let stored = customer(tx.as_mut(), number)?;
    let list = tx.disputes(Some(stored.id), false)?;
    let mut lines = list
        .into_iter()
        .map(|d| dispute_line(tx.as_mut(), d.id, d.dispute))
        .collect::<Result<Vec<_>>>()?;
    lines.sort_by_key(|d| (d.resolved_on.is_some(), std::cmp::Reverse(d.opened_on)));
    Ok(lines)
}

/// The customer's promises to pay, newest first.
pub fn promises_of(store: &dyn Store, number: &str, as_of: Date) -> Result<Vec<PromiseLine>> {
    let mut tx = store.read()?;
    let stored = customer(tx.as_mut(), number)?;
    let list = tx.promises(Some(stored.id), false)?;
    let mut lines = list
        .iter()
        .map(|p| promise_line(tx.as_mut(), p, as_of))
        .collect::<Result<Vec<_>>>()?;
    lines.sort_by_key(|p| std::cmp::Reverse((p.created_on, p.id)));
    Ok(lines)
}

/// The customer's payment plans.
pub fn plans_of(
    store: &dyn Store,
    number: &str,
    as_of: Date,
    grace_days: i32,
) -> Result<Vec<PlanLine>> {
    let mut tx = store.read()?;
    let stored = customer(tx.as_mut(), number)?;
    let list = tx.plans(Some(stored.id), false)?;
    list.iter()
        .map(|p| plan_line(tx.as_mut(), p, as_of, grace_days))
        .collect()
}

/// The customer's collection state.
pub fn state_of(store: &dyn Store, number: &str) -> Result<StateLine> {
    let mut tx = store.read()?;
    let stored = customer(tx.as_mut(), number)?;
    let state = tx.collection_state(stored.id)?;
    Ok(state_line(stored.customer.number, state))
}

/// The customer's median invoice over the last year (a "standard deal"
/// for the policy verdict on the customer page); `None` without invoices.
pub fn typical_invoice(tx: &mut dyn Tx, number: &str, as_of: Date) -> Result<Option<i64>> {
    let stored = customer(tx, number)?;
    Ok(typical_of(&tx.customer_documents(stored.id, as_of)?, as_of))
}

/// The median invoice of the year up to `as_of` among `documents`.
pub fn typical_of(documents: &[DocumentState], as_of: Date) -> Option<i64> {
    let year_ago = as_of.add_years(-1);
    let mut amounts: Vec<i64> = documents
        .iter()
        .filter(|d| d.invoice.amount.minor > 0 && d.invoice.issue_date >= year_ago)
        .map(|d| d.invoice.amount.minor)
        .collect();
    if amounts.is_empty() {
        return None;
    }
    amounts.sort_unstable();
    Some(amounts[amounts.len() / 2])
}
