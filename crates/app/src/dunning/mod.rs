//! The dunning run: who gets which message today, and sending it.
//!
//! Planning ([`plan`]) gathers one consistent picture — every customer's
//! facts and open invoices, collection state, agreements, and each
//! invoice's ladder so far (`ladder`) — puts each customer in a segment,
//! and asks the core (`tegoed_core::dunning`, where every rule lives) which
//! message the customer gets: one per customer and currency, each invoice
//! one rung at a time. `compose` turns that decision into the amounts, the
//! words and the document.
//!
//! Running ([`run`]) records the plan — every message queued, with its
//! rendered document and the rung it gives each invoice, in one
//! transaction — before anything leaves the building, then delivers the
//! queued messages and marks each one sent (see `deliver`). A crash at any
//! point loses nothing: the next run delivers what is still queued from the
//! same day, and cancels and replans what is queued from an earlier day
//! (its words would be stale). Delivery writes files under the message's id
//! via a temporary name, so a message delivered twice is one file.

pub(crate) mod compose;
pub(crate) mod deliver;
pub mod document;
pub mod history;
mod ladder;
pub mod templates;

use rustc_hash::FxHashMap;
use serde::Serialize;
use tegoed_core::customer::CustomerKind;
use tegoed_core::dunning::{LadderInvoice, Next, next_rung, plan_message};
use tegoed_core::segment::assign;
use tegoed_core::strategy::Strategy;
use tegoed_core::{Currency, CustomerId, Date, InvoiceId, Money};
use tegoed_store::{Message, MessageItem, Store, Task};

use crate::agreements::{AgreementChange, evaluate};
use crate::config::Config;
use crate::facts::OpenDoc;
use crate::progress::Progress;
use crate::{AppError, Result};
use compose::{Composer, Decision};
use templates::Templates;

pub use deliver::{Delivered, Failure, RunOptions, RunReport, run};

/// An invoice in a planned message.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PlannedItem {
    pub invoice_number: String,
    #[serde(serialize_with = "crate::ser::date")]
    pub due_date: Date,
    pub days_overdue: i32,
    pub open_amount: String,
    pub interest: String,
    /// The step this message gives the invoice, or `null` when it is only
    /// listed as also open.
    pub step: Option<String>,
}

/// Amounts of a planned message, as decimal texts.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Amounts {
    /// The listed invoices' open amounts added up (the table's "open").
    pub open: String,
    /// Payments and credit notes not yet applied, taken off.
    pub credit: String,
    /// `open - credit`.
    pub principal: String,
    pub interest: String,
    pub costs: String,
    pub vat_uplift: String,
    pub total: String,
}

/// Who signs.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SenderLine {
    pub name: String,
    pub email: Option<String>,
    pub role: &'static str,
}

/// The rendered words.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RenderedMessage {
    pub subject: String,
    pub text: String,
}

/// One message the run would send (or task it would create, or claim it
/// would hand off).
#[derive(Debug, Clone, Serialize)]
pub struct Planned {
    pub customer: String,
    pub name: String,
    pub segment: String,
    pub strategy: String,
    pub step: String,
    /// The step's kind: heads_up, reminder, …, final_notice, handoff.
    pub kind: &'static str,
    pub offset_days: i32,
    pub channel: &'static str,
    /// Set when the step's channel could not be used (e-mail without an
    /// address goes as a letter).
    pub channel_note: Option<String>,
    pub language: &'static str,
    pub sender: SenderLine,
    pub recipient: Option<String>,
    #[serde(serialize_with = "crate::ser::currency")]
    pub currency: Currency,
    pub items: Vec<PlannedItem>,
    pub amounts: Amounts,
    pub costs_basis: Option<String>,
    pub effects: Vec<&'static str>,
    /// `null` for calls and hand-offs.
    #[serde(serialize_with = "crate::ser::opt_date")]
    pub pay_by: Option<Date>,
    pub fourteen_day_letter: Option<FourteenDayPlan>,
    pub message: RenderedMessage,
    #[serde(skip)]
    pub(crate) record: Record,
}

/// A 14-day letter's term as planned.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FourteenDayPlan {
    #[serde(serialize_with = "crate::ser::date")]
    pub received_on: Date,
    #[serde(serialize_with = "crate::ser::date")]
    pub pay_without_costs_until: Date,
    pub stated_costs: String,
}

/// What the run stores for a planned message.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub message: Message,
    pub items: Vec<MessageItem>,
    pub task: Option<Task>,
}

/// Why customers got nothing today.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Skipped {
    /// Everything overdue is with the collection agency.
    pub handed_off: u64,
    /// On a dunning pause.
    pub paused: u64,
    /// Something is overdue, but its next step is not due yet (its offset,
    /// the gap to the previous step, or the previous deadline).
    pub waiting: u64,
    /// Credit not yet applied covers what the message would ask.
    pub credit_covers: u64,
    /// Less to ask than `dunning.min_amount`.
    pub below_minimum: u64,
    /// Invoices left alone: disputed, under a promise, in a plan.
    pub invoices_on_hold: u64,
    /// Customers left out of this run by a person (Approve and send).
    pub left_out: u64,
}

/// Messages per segment and step.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StepCount {
    pub segment: String,
    pub step: String,
    pub channel: &'static str,
    pub messages: u64,
}

/// What a run would do.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    #[serde(serialize_with = "crate::ser::date")]
    pub as_of: Date,
    pub customers: u64,
    pub by_step: Vec<StepCount>,
    pub skipped: Skipped,
    /// Promises and plans whose status the run records.
    pub agreements: Vec<AgreementChange>,
    /// Customers whose credit hold ends because nothing is overdue.
    pub holds_released: Vec<String>,
    pub messages: Vec<Planned>,
}

/// Restricts a preview or run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only this customer (by number).
    pub customer: Option<String>,
    /// Leave these customers (by number) out of this run.
    pub leave_out: Vec<String>,
    /// Why they were left out (on their timeline).
    pub leave_out_reason: Option<String>,
}

fn decimal(minor: i64) -> String {
    Money::eur(minor).to_decimal_string()
}

/// What composing needs besides the customer: the account managers, the
/// ladder `rows` folded per invoice, and what happened (calls, promises).
fn composer<'a>(
    tx: &mut dyn tegoed_store::ReadTx,
    config: &'a Config,
    templates: &'a Templates,
    rows: Vec<tegoed_store::LadderRow>,
    as_of: Date,
) -> Result<Composer<'a>> {
    Ok(Composer {
        config,
        templates,
        managers: tx
            .account_managers()?
            .into_iter()
            .map(|(id, m)| (id, (m.name, m.email.map(|e| e.as_str().to_string()))))
            .collect(),
        histories: ladder::histories(config, rows),
        happened: ladder::Happened::read(tx)?,
        as_of,
    })
}

/// Works out the run for `as_of` without changing anything.
pub fn plan(
    store: &dyn Store,
    config: &Config,
    templates: &Templates,
    as_of: Date,
    options: &Options,
    progress: &dyn Progress,
) -> Result<Preview> {
    progress.start("Reading the ledger", 0);
    let mut tx = store.read()?;
    let snapshot = crate::risk::segment_snapshot(tx.as_mut(), config, as_of)?;
    let only = match &options.customer {
        Some(number) => Some(
            tx.customer_by_number(number)?
                .ok_or_else(|| AppError::NotFound(format!("no customer with number '{number}'")))?
                .id,
        ),
        None => None,
    };
    let evaluation = evaluate(tx.as_mut(), as_of, config.dunning.plan_grace_days)?;
    let rows = tx.ladder()?;
    let composer = composer(tx.as_mut(), config, templates, rows, as_of)?;
    let strategies: FxHashMap<&str, &Strategy> = config
        .strategies
        .iter()
        .map(|s| (s.id.as_str(), s))
        .collect();

    let mut skipped = Skipped::default();
    let mut decisions: Vec<(usize, Decision<'_>)> = Vec::new();
    let mut holds_released = Vec::new();
    for idx in 0..snapshot.customers.len() {
        let customer = &snapshot.customers[idx];
        if only.is_some_and(|id| id != customer.id) {
            continue;
        }
        let state = &snapshot.states[idx];
        let facts = &snapshot.facts[idx];
        if state.credit_hold_since.is_some() && facts.overdue_minor <= 0 {
            holds_released.push(customer.number.clone());
        }
        let docs = &snapshot.open[idx];
        if !docs.iter().any(|d| d.open_minor > 0) {
            continue;
        }
        if state.is_paused_on(as_of) {
            skipped.paused += 1;
            continue;
        }
        if options.leave_out.contains(&customer.number) {
            skipped.left_out += 1;
            continue;
        }
        let segment = assign(&config.segments, facts).expect("the last segment takes everyone");
        let strategy = strategies[config.segments[segment].strategy.as_str()];
        let consumer = customer.kind == CustomerKind::B2c;
        // One message per currency (amounts are never added across them).
        let mut currencies: Vec<Currency> = docs
            .iter()
            .filter(|d| d.open_minor > 0)
            .map(|d| d.currency)
            .collect();
        currencies.sort_unstable();
        currencies.dedup();
        for currency in currencies {
            let in_currency: Vec<&OpenDoc> = docs
                .iter()
                .filter(|d| d.currency == currency && d.amount_minor > 0 && d.open_minor > 0)
                .collect();
            let invoices: Vec<LadderInvoice> = in_currency
                .iter()
                .map(|d| {
                    let history = composer.histories.get(&d.invoice);
                    LadderInvoice {
                        invoice: d.invoice,
                        due_date: d.due_date,
                        open_minor: d.open_minor,
                        on_hold: evaluation.paused.contains(&d.invoice),
                        last: history.and_then(|h| h.last.clone()),
                        fourteen_day_until: history.and_then(|h| h.fourteen_day_until),
                    }
                })
                .collect();
            skipped.invoices_on_hold += invoices
                .iter()
                .filter(|i| i.on_hold && i.is_overdue(as_of))
                .count() as u64;
            // Which steps apply: a heads-up measures what is open, the
            // others what is overdue (of what is not on hold).
            let active = || invoices.iter().filter(|i| !i.on_hold);
            let open: i64 = active().map(|i| i.open_minor).sum();
            let overdue: i64 = active()
                .filter(|i| i.is_overdue(as_of))
                .map(|i| i.open_minor)
                .sum();
            let applies: Vec<bool> = strategy
                .steps
                .iter()
                .map(|s| {
                    let basis = if s.offset_days < 0 { open } else { overdue };
                    basis >= s.min_overdue_minor
                })
                .collect();
            let Some(plan) = plan_message(strategy, &invoices, &applies, consumer, as_of) else {
                let overdue_active: Vec<&LadderInvoice> =
                    active().filter(|i| i.is_overdue(as_of)).collect();
                if overdue_active.is_empty() {
                    continue;
                }
                let at_agency = overdue_active.iter().all(|i| {
                    next_rung(strategy, i, &applies, consumer, as_of) == Next::Nothing
                        && i.last
                            .as_ref()
                            .is_some_and(|r| r.kind == tegoed_core::strategy::StepKind::Handoff)
                });
                if at_agency {
                    skipped.handed_off += 1;
                } else {
                    skipped.waiting += 1;
                }
                continue;
            };
            let credit_minor = if currency == Currency::EUR {
                snapshot.credit_minor[idx].max(0)
            } else {
                0
            };
            decisions.push((
                idx,
                Decision {
                    segment,
                    strategy,
                    currency,
                    docs: in_currency.iter().map(|d| (d.invoice, *d)).collect(),
                    plan,
                    credit_minor,
                    applies,
                },
            ));
        }
    }

    progress.finish();
    // What the message would ask: the listed invoices less credit.
    let mut candidates = Vec::with_capacity(decisions.len());
    for (idx, decision) in &decisions {
        let gross: i64 = decision
            .plan
            .items
            .iter()
            .filter_map(|i| decision.docs.get(&i.invoice))
            .map(|d| d.open_minor)
            .sum();
        if decision.credit_minor >= gross {
            skipped.credit_covers += 1;
        } else if gross - decision.credit_minor < config.dunning.min_amount_minor {
            skipped.below_minimum += 1;
        } else {
            candidates.push((*idx, decision));
        }
    }
    drop(tx);
    // Composing is independent per customer: two threads, each with its
    // own read transaction, split the work; the order of the result is kept.
    progress.start("Writing the messages", candidates.len() as u64);
    let build_all =
        |part: &[(usize, &Decision<'_>)], report: Option<&dyn Progress>| -> Result<Vec<Planned>> {
            let mut tx = store.read()?;
            let mut out = Vec::with_capacity(part.len());
            // The customers and the invoices the messages list, read in
            // batches rather than one by one (a round trip each on a
            // database server).
            for batch in part.chunks(500) {
                let ids: Vec<CustomerId> = batch
                    .iter()
                    .map(|(idx, _)| snapshot.customers[*idx].id)
                    .collect();
                let mut customers: FxHashMap<CustomerId, tegoed_store::StoredCustomer> =
                    tx.customers(&ids)?.into_iter().map(|c| (c.id, c)).collect();
                let wanted: Vec<InvoiceId> = batch
                    .iter()
                    .flat_map(|(_, d)| d.plan.items.iter().map(|i| i.invoice))
                    .collect();
                let known: FxHashMap<InvoiceId, tegoed_core::Invoice> = tx
                    .invoices(&wanted)?
                    .into_iter()
                    .map(|i| (i.id, i.invoice))
                    .collect();
                for (idx, decision) in batch {
                    let brief = &snapshot.customers[*idx];
                    let stored = customers
                        .remove(&brief.id)
                        .ok_or_else(|| AppError::NotFound(format!("customer {}", brief.number)))?;
                    out.push(composer.build(tx.as_mut(), decision, &stored, &known)?);
                    if let Some(progress) = report {
                        progress.advance(1);
                    }
                }
            }
            Ok(out)
        };
    let half = candidates.len().div_ceil(2);
    let (first, second) = candidates.split_at(half);
    let mut messages = if second.len() < 64 {
        build_all(&candidates, Some(progress))?
    } else {
        std::thread::scope(|scope| -> Result<Vec<Planned>> {
            let other = scope.spawn(|| build_all(second, None));
            let mut messages = build_all(first, Some(progress))?;
            let rest = other
                .join()
                .map_err(|_| AppError::Invalid("a planning thread panicked".into()))??;
            progress.advance(rest.len() as u64);
            messages.extend(rest);
            Ok(messages)
        })?
    };
    messages.shrink_to_fit();
    progress.finish();
    let by_step = count_by_step(config, &messages);
    let agreements = match only {
        Some(id) => evaluation
            .changes
            .into_iter()
            .filter(|c| c.customer_id == id)
            .collect(),
        None => evaluation.changes,
    };
    Ok(Preview {
        as_of,
        customers: snapshot.customers.len() as u64,
        by_step,
        skipped,
        agreements,
        holds_released,
        messages,
    })
}

/// Messages per segment (in configuration order), step and channel.
fn count_by_step(config: &Config, messages: &[Planned]) -> Vec<StepCount> {
    let mut counts: FxHashMap<(String, String, &'static str), u64> = FxHashMap::default();
    for message in messages {
        *counts
            .entry((
                message.segment.clone(),
                message.step.clone(),
                message.channel,
            ))
            .or_default() += 1;
    }
    let order: FxHashMap<&str, usize> = config
        .segments
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let step_order = |segment: &str, step: &str| -> usize {
        config
            .segments
            .iter()
            .find(|s| s.id == segment)
            .and_then(|s| config.strategy(&s.strategy))
            .and_then(|s| s.position(step))
            .unwrap_or(usize::MAX)
    };
    let mut by_step: Vec<StepCount> = counts
        .into_iter()
        .map(|((segment, step, channel), n)| StepCount {
            segment,
            step,
            channel,
            messages: n,
        })
        .collect();
    by_step.sort_by(|a, b| {
        (
            order.get(a.segment.as_str()),
            step_order(&a.segment, &a.step),
            a.channel,
        )
            .cmp(&(
                order.get(b.segment.as_str()),
                step_order(&b.segment, &b.step),
                b.channel,
            ))
    });
    by_step
}

/// An invoice in a recorded message.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MessageItemLine {
    pub invoice_number: String,
    #[serde(serialize_with = "crate::ser::date")]
    pub due_date: Date,
    pub days_overdue: i32,
    pub open_amount: String,
    /// The step the message gave the invoice, or `null` when it was only
    /// listed as also open.
    pub step: Option<String>,
}

/// A recorded message, as listed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MessageLine {
    pub id: i64,
    pub customer: String,
    #[serde(serialize_with = "crate::ser::date")]
    pub as_of: Date,
    pub segment: String,
    pub strategy: String,
    pub step: String,
    pub channel: &'static str,
    pub status: &'static str,
    pub recipient: Option<String>,
    pub sender: String,
    pub subject: String,
    pub principal: String,
    pub interest: String,
    pub costs: String,
    pub total: String,
    /// `total` in minor units, for lists that sort and add it up (not in
    /// the JSON, which keeps its decimal strings).
    #[serde(skip)]
    pub total_minor: i64,
    /// `null` for calls and hand-offs.
    #[serde(serialize_with = "crate::ser::opt_date")]
    pub pay_by: Option<Date>,
    pub items: Vec<MessageItemLine>,
    #[serde(serialize_with = "crate::ser::opt_date")]
    pub delivered_on: Option<Date>,
    pub file: Option<String>,
    pub error: Option<String>,
    pub fourteen_day_letter: bool,
    pub text: String,
}

/// Message `id` of customer `number` as it was laid out when it was
/// queued (and so as it was sent): the customer's account manager (who may
/// read it), its channel, and the document the e-mail's HTML and the
/// letter's PDF come from.
pub fn message_document(
    tx: &mut dyn tegoed_store::ReadTx,
    number: &str,
    id: i64,
) -> Result<(
    Option<tegoed_core::AccountManagerId>,
    tegoed_core::strategy::Channel,
    document::Document,
)> {
    let customer = tx
        .customer_by_number(number)?
        .ok_or_else(|| AppError::NotFound(format!("no customer with number '{number}'")))?;
    let stored = tx
        .message(id)?
        .filter(|m| m.message.customer == customer.id)
        .ok_or_else(|| AppError::NotFound(format!("no message {id} for customer {number}")))?;
    let document = serde_json::from_str(&stored.message.document)
        .map_err(|e| AppError::Invalid(format!("message {id}: stored document: {e}")))?;
    Ok((
        customer.customer.account_manager,
        stored.message.channel,
        document,
    ))
}

/// The messages recorded for customer `number` (all of them), or for
/// every customer on `day`; oldest first.
pub fn messages(
    tx: &mut dyn tegoed_store::ReadTx,
    number: Option<&str>,
    day: Option<Date>,
) -> Result<Vec<MessageLine>> {
    let customer = match number {
        Some(number) => Some(
            tx.customer_by_number(number)?
                .ok_or_else(|| AppError::NotFound(format!("no customer with number '{number}'")))?
                .id,
        ),
        None => None,
    };
    message_lines(
        tx,
        tegoed_store::MessageFilter {
            customer,
            as_of: day,
            ..tegoed_store::MessageFilter::default()
        },
    )
}

/// The messages of every customer recorded on `since` or later (the
/// worklist's period); oldest first.
pub fn messages_since(tx: &mut dyn tegoed_store::ReadTx, since: Date) -> Result<Vec<MessageLine>> {
    message_lines(
        tx,
        tegoed_store::MessageFilter {
            since: Some(since),
            ..tegoed_store::MessageFilter::default()
        },
    )
}

/// The messages `filter` keeps, as listed.
fn message_lines(
    tx: &mut dyn tegoed_store::ReadTx,
    filter: tegoed_store::MessageFilter,
) -> Result<Vec<MessageLine>> {
    let list = tx.messages(filter)?;
    let numbers: FxHashMap<CustomerId, String> = tx
        .customer_directory()?
        .into_iter()
        .map(|c| (c.id, c.number))
        .collect();
    // Items and their invoices in two reads, not two per message.
    let ids: Vec<i64> = list.iter().map(|m| m.id).collect();
    let mut items_of: FxHashMap<i64, Vec<tegoed_store::MessageItem>> = FxHashMap::default();
    for (id, item) in tx.message_items_of(&ids)? {
        items_of.entry(id).or_default().push(item);
    }
    let mut wanted: Vec<InvoiceId> = items_of.values().flatten().map(|i| i.invoice).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let invoices: FxHashMap<InvoiceId, (String, Date)> = tx
        .invoices(&wanted)?
        .into_iter()
        .map(|i| (i.id, (i.invoice.number, i.invoice.due_date)))
        .collect();
    let mut out = Vec::with_capacity(list.len());
    for m in list {
        let message = m.message;
        let mut items = Vec::new();
        for item in items_of.remove(&m.id).unwrap_or_default() {
            let (number, due_date) = invoices
                .get(&item.invoice)
                .cloned()
                .ok_or_else(|| AppError::NotFound(format!("invoice {}", item.invoice)))?;
            items.push(MessageItemLine {
                invoice_number: number,
                due_date,
                days_overdue: item.days_overdue,
                open_amount: Money::new(item.open_minor, message.currency).to_decimal_string(),
                step: item.step.map(|(step, _)| step),
            });
        }
        items.sort_by_key(|i| (i.due_date, i.invoice_number.clone()));
        let costs = message.costs_minor + message.vat_uplift_minor;
        out.push(MessageLine {
            id: m.id,
            customer: numbers.get(&message.customer).cloned().unwrap_or_default(),
            as_of: message.as_of,
            segment: message.segment,
            strategy: message.strategy,
            step: message.step_id,
            channel: message.channel.as_str(),
            status: m.status.as_str(),
            recipient: message.recipient,
            sender: message.sender_name,
            subject: message.subject,
            principal: decimal(message.principal_minor),
            interest: decimal(message.interest_minor),
            costs: decimal(costs),
            total: decimal(message.principal_minor + message.interest_minor + costs),
            total_minor: message.principal_minor + message.interest_minor + costs,
            pay_by: message.pay_by,
            items,
            delivered_on: m.delivered_on,
            file: m.file_path,
            error: m.error,
            fourteen_day_letter: message.fourteen_day.is_some(),
            text: message.body_text,
        });
    }
    Ok(out)
}

/// The message `number` would get at step `step_id` of `strategy_id` on
/// `as_of`, as if that step were due for all their overdue invoices (for a
/// heads-up: those not yet due): to see and check a template's words on a
/// real customer. Changes nothing.
pub fn sample(
    tx: &mut dyn tegoed_store::ReadTx,
    config: &Config,
    templates: &Templates,
    number: &str,
    strategy_id: &str,
    step_id: &str,
    as_of: Date,
) -> Result<Planned> {
    let strategy = config
        .strategy(strategy_id)
        .ok_or_else(|| AppError::NotFound(format!("no strategy '{strategy_id}'")))?;
    let step = strategy
        .position(step_id)
        .ok_or_else(|| AppError::NotFound(format!("no step '{step_id}' in '{strategy_id}'")))?;
    let snapshot = crate::risk::segment_snapshot(tx, config, as_of)?;
    let stored = tx
        .customer_by_number(number)?
        .ok_or_else(|| AppError::NotFound(format!("no customer with number '{number}'")))?;
    let idx = snapshot
        .position(stored.id)
        .ok_or_else(|| AppError::NotFound(format!("customer {number}")))?;
    let segment = assign(&config.segments, &snapshot.facts[idx]).unwrap_or(0);
    let heads_up = strategy.steps[step].offset_days < 0;
    let docs: Vec<&OpenDoc> = snapshot.open[idx]
        .iter()
        .filter(|d| d.currency == Currency::EUR && d.amount_minor > 0 && d.open_minor > 0)
        .filter(|d| (d.due_date < as_of) != heads_up)
        .collect();
    if docs.is_empty() {
        return Err(AppError::Invalid(format!(
            "customer {number} has no {} invoices on {as_of}",
            if heads_up { "not yet due" } else { "overdue" }
        )));
    }
    let rows = tx.ladder_of(stored.id)?;
    let composer = composer(tx, config, templates, rows, as_of)?;
    let decision = Decision {
        segment,
        strategy,
        currency: Currency::EUR,
        docs: docs.iter().map(|d| (d.invoice, *d)).collect(),
        plan: tegoed_core::dunning::MessagePlan {
            step,
            items: docs
                .iter()
                .map(|d| tegoed_core::dunning::Item {
                    invoice: d.invoice,
                    rung: Some(step),
                })
                .collect(),
        },
        credit_minor: snapshot.credit_minor[idx].max(0),
        applies: vec![true; strategy.steps.len()],
    };
    composer.build(tx, &decision, &stored, &FxHashMap::default())
}
