//! The dunning run: who gets which message today, and sending it.
//!
//! Planning ([`plan`]) reads one consistent picture — every customer's
//! facts, open invoices, collection state, agreements and the steps their
//! invoices already passed — puts each customer in a segment, and asks the
//! core's `strategy::decide` for the step. One message per customer (and
//! currency) per run, covering every invoice that reached a step, at the step
//! of the most advanced one. A step waits while the deadline of the previous
//! message has not passed, so the ladder never escalates before the date it
//! gave the customer.
//!
//! Running ([`run`]) records the plan — every message queued, with its
//! rendered document and the invoices it moves, in one transaction — before
//! anything leaves the building, then delivers the queued messages and marks
//! each one sent (see `deliver`). A crash at any point loses nothing: the
//! next run delivers what is still queued from the same day, and cancels and
//! replans what is queued from an earlier day (its words would be stale).
//! Delivery writes files under the message's id via a temporary name, so a
//! message delivered twice is one file.

mod deliver;
pub mod document;
pub mod templates;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use tegoed_core::customer::CustomerKind;
use tegoed_core::legal::wik_costs;
use tegoed_core::segment::assign;
use tegoed_core::strategy::{Channel, DunnableInvoice, Effect, Sender, Strategy, decide};
use tegoed_core::{AccountManagerId, Currency, CustomerId, Date, InvoiceId, Language, Money};
use tegoed_store::{FourteenDayRecord, Message, MessageItem, Store, StoredCustomer, Task, Tx};

use crate::agreements::{AgreementChange, evaluate};
use crate::config::Config;
use crate::facts::{OpenDoc, Snapshot, snapshot};
use crate::legal::{ClaimInput, compute_claim};
use crate::progress::Progress;
use crate::{AppError, Result};
use document::{Document, Letterhead, PayInfo, Row, Signature, Total};
use templates::Templates;

pub use deliver::{Delivered, Failure, RunOptions, RunReport, run};

/// An invoice in a planned message.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PlannedInvoice {
    pub number: String,
    #[serde(serialize_with = "crate::ser::date")]
    pub due_date: Date,
    pub days_overdue: i32,
    pub open: String,
    pub interest: String,
    /// True when this message moves the invoice to the step (false: it was
    /// there already and is listed because it is still open).
    pub new_step: bool,
}

/// Amounts of a planned message, as decimal texts.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Amounts {
    /// Open on the covered invoices, less credit not yet applied.
    pub principal: String,
    pub interest: String,
    pub costs: String,
    pub vat_uplift: String,
    /// Payments and credit notes not yet applied, deducted.
    pub credit: String,
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
    pub invoices: Vec<PlannedInvoice>,
    pub amounts: Amounts,
    pub costs_basis: Option<String>,
    pub effects: Vec<&'static str>,
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
    /// Handed to the collection agency.
    pub handed_off: u64,
    /// On a dunning pause.
    pub paused: u64,
    /// Waiting for the deadline of an earlier message.
    pub waiting: u64,
    /// Credit not yet applied covers what is open.
    pub credit_covers: u64,
    /// Less open than `dunning.min_amount`.
    pub below_minimum: u64,
    /// Invoices left alone: disputed, under a promise, in a plan.
    pub invoices_on_hold: u64,
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
}

fn decimal(minor: i64) -> String {
    Money::eur(minor).to_decimal_string()
}

/// The template context of a message or call.
#[derive(Serialize)]
struct Context<'a> {
    lang: &'static str,
    currency: &'a str,
    tone: &'a str,
    segment: SegmentCtx<'a>,
    step: StepCtx<'a>,
    customer: CustomerCtx<'a>,
    sender: PersonCtx,
    collector: PersonCtx,
    account_manager: Option<PersonCtx>,
    company: CompanyCtx<'a>,
    as_of: String,
    pay_by: String,
    invoices: Vec<InvoiceCtx>,
    count: usize,
    overdue_count: usize,
    oldest_days: i32,
    principal: i64,
    interest: i64,
    costs: i64,
    vat_uplift: i64,
    credit: i64,
    total: i64,
    claims_interest: bool,
    claims_costs: bool,
    interest_name: &'static str,
    credit_hold: bool,
    fourteen_day: Option<FourteenCtx>,
    next: Option<NextCtx>,
    reference: &'a str,
    /// What the customer already had about these invoices.
    earlier: EarlierCtx,
}

#[derive(Serialize)]
struct EarlierCtx {
    /// E-mails and letters.
    written: usize,
    calls: usize,
}

#[derive(Serialize)]
struct SegmentCtx<'a> {
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct StepCtx<'a> {
    id: &'a str,
    offset: i32,
    channel: &'static str,
}

#[derive(Serialize)]
struct CustomerCtx<'a> {
    number: &'a str,
    name: &'a str,
    kind: &'static str,
}

#[derive(Serialize, Clone)]
struct PersonCtx {
    name: String,
    first_name: String,
    email: Option<String>,
    phone: Option<String>,
}

#[derive(Serialize)]
struct CompanyCtx<'a> {
    name: &'a str,
    phone: Option<&'a str>,
    email: Option<&'a str>,
    website: Option<&'a str>,
    iban: Option<String>,
    bic: Option<&'a str>,
}

#[derive(Serialize)]
struct InvoiceCtx {
    number: String,
    issue_date: String,
    due_date: String,
    open: i64,
    days_overdue: i32,
    interest: i64,
    overdue: bool,
}

#[derive(Serialize)]
struct FourteenCtx {
    costs: i64,
    vat_uplift: i64,
    total_costs: i64,
    received_on: String,
    pay_without_costs_until: String,
}

#[derive(Serialize)]
struct NextCtx {
    step: String,
    channel: &'static str,
    date: String,
}

fn person(name: &str, email: Option<String>, phone: Option<String>) -> PersonCtx {
    PersonCtx {
        first_name: name.split_whitespace().next().unwrap_or(name).to_string(),
        name: name.to_string(),
        email,
        phone,
    }
}

/// The first step at or before `step` that has `effect`.
fn claims(strategy: &Strategy, step: usize, effect: Effect) -> bool {
    let offset = strategy.steps[step].offset_days;
    strategy
        .steps
        .iter()
        .any(|s| s.offset_days <= offset && s.has(effect))
}

/// The payment description: the invoice's own reference when there is one
/// invoice with one, else the customer and invoice numbers (our matcher
/// finds invoice numbers in the remittance text).
fn payment_reference(
    customer: &str,
    invoices: &[(String, Option<String>)],
    language: Language,
) -> String {
    if let [(number, reference)] = invoices {
        return reference.clone().unwrap_or_else(|| number.clone());
    }
    let prefix = match language {
        Language::Nl => "Klant",
        Language::En => "Customer",
    };
    let mut text = format!("{prefix} {customer}");
    for (number, _) in invoices {
        if text.len() + number.len() + 1 > 140 {
            break;
        }
        text.push(' ');
        text.push_str(number);
    }
    text
}

fn address_lines(customer: &tegoed_core::Customer) -> Vec<String> {
    let mut lines = vec![customer.name.clone()];
    lines.extend(customer.address.street.clone());
    let city: Vec<&str> = [
        customer.address.postal_code.as_deref(),
        customer.address.city.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !city.is_empty() {
        lines.push(city.join("  "));
    }
    if customer.address.country != "NL" && !customer.address.country.is_empty() {
        lines.push(customer.address.country.clone());
    }
    lines
}

/// Everything planning needs besides the snapshot.
struct Planner<'a> {
    config: &'a Config,
    templates: &'a Templates,
    managers: FxHashMap<AccountManagerId, (String, Option<String>)>,
    last_offsets: FxHashMap<InvoiceId, i32>,
    deadlines: FxHashMap<CustomerId, Date>,
    /// Messages and calls sent in the last year and a half, per customer.
    sent: FxHashMap<CustomerId, Vec<(Date, Channel)>>,
    as_of: Date,
}

/// One customer's invoices in one currency, and what decide() said.
struct Decision<'s> {
    idx: usize,
    segment: usize,
    strategy: &'s Strategy,
    currency: Currency,
    docs: Vec<&'s OpenDoc>,
    step: tegoed_core::strategy::CustomerStep,
}

impl Planner<'_> {
    fn sender(
        &self,
        customer: &tegoed_core::Customer,
        sender: Sender,
    ) -> (PersonCtx, &'static str) {
        let collector = &self.config.company.collector;
        if sender == Sender::AccountManager
            && let Some((name, email)) = customer
                .account_manager
                .and_then(|id| self.managers.get(&id))
        {
            return (
                person(name, email.clone(), self.config.company.phone.clone()),
                "account_manager",
            );
        }
        (
            person(
                &collector.name,
                collector.email.clone(),
                collector.phone.clone(),
            ),
            "collector",
        )
    }

    /// Builds the message (or task, or claim) for one decision.
    fn build(
        &self,
        tx: &mut dyn Tx,
        snapshot: &Snapshot,
        decision: &Decision<'_>,
        stored: &StoredCustomer,
    ) -> Result<Option<Planned>> {
        let config = self.config;
        let as_of = self.as_of;
        let strategy = decision.strategy;
        let step = &strategy.steps[decision.step.step];
        let segment = &config.segments[decision.segment];
        let customer = &stored.customer;
        let language = customer.language;
        let covered: FxHashSet<InvoiceId> = decision.step.covered.iter().copied().collect();
        let advancing: FxHashSet<InvoiceId> = decision.step.advancing.iter().copied().collect();
        let docs: Vec<&OpenDoc> = decision
            .docs
            .iter()
            .copied()
            .filter(|d| covered.contains(&d.invoice))
            .collect();
        let gross: i64 = docs.iter().map(|d| d.open_minor).sum();
        let credit_available = if decision.currency == Currency::EUR {
            snapshot.credit_minor[decision.idx].max(0)
        } else {
            0
        };
        let credit = credit_available.min(gross);
        let principal = gross - credit;

        // Per invoice: number, reference, interest (claim computation).
        let mut invoice_rows = Vec::with_capacity(docs.len());
        for doc in &docs {
            let invoice = tx
                .invoice(doc.invoice)?
                .ok_or_else(|| AppError::NotFound(format!("invoice {}", doc.invoice)))?;
            invoice_rows.push((
                doc.invoice,
                invoice.invoice.number,
                doc.issue_date,
                doc.due_date,
                doc.amount_minor,
                doc.open_minor,
                invoice
                    .invoice
                    .payment_reference
                    .map(|r| r.as_str().to_string()),
            ));
        }
        // Credit not yet applied goes to the oldest invoices first.
        let mut left = credit;
        let overdue_net: Vec<(InvoiceId, String, Date, Date, i64, i64)> = invoice_rows
            .iter()
            .filter(|r| r.3 < as_of)
            .map(|r| {
                let take = left.min(r.5);
                left -= take;
                (r.0, r.1.clone(), r.2, r.3, r.4, r.5 - take)
            })
            .filter(|r| r.5 > 0)
            .collect();
        let claims_interest = claims(strategy, decision.step.step, Effect::Interest);
        let claims_costs = claims(strategy, decision.step.step, Effect::CollectionCosts);
        let (claim_lines, costs, _) = compute_claim(
            tx,
            config,
            &ClaimInput {
                customer: stored.id,
                kind: customer.kind,
                currency: decision.currency,
                invoices: &overdue_net,
            },
            as_of,
            claims_costs,
        )?;
        let interest_by_invoice: FxHashMap<InvoiceId, i64> = claim_lines
            .iter()
            .map(|l| (l.invoice, l.interest_minor))
            .collect();
        let interest = if claims_interest {
            claim_lines.iter().map(|l| l.interest_minor).sum()
        } else {
            0
        };
        let (costs_minor, uplift_minor) = costs
            .calc
            .as_ref()
            .map_or((0, 0), |c| (c.costs_minor, c.vat_uplift_minor));
        let total = principal + interest + costs_minor + uplift_minor;

        // The 14-day letter announces the costs that will follow.
        let overdue_principal: i64 = overdue_net.iter().map(|r| r.5).sum();
        let fourteen = if step.has(Effect::FourteenDayLetter) && overdue_principal > 0 {
            let calc = wik_costs(overdue_principal, config.legal.uplift());
            let channel_days = match step.channel {
                Channel::Email if customer.email.is_some() => {
                    config.legal.email_receipt_working_days
                }
                _ => config.legal.letter_receipt_working_days,
            };
            let term = tegoed_core::legal::FourteenDayTerm::new(as_of, channel_days);
            Some((calc, term))
        } else {
            None
        };

        // Channel: e-mail needs an address.
        let (channel, channel_note) = match step.channel {
            Channel::Email if customer.email.is_none() => (
                Channel::Letter,
                Some("no e-mail address: sent as a letter".to_string()),
            ),
            other => (other, None),
        };
        let (sender, role) = self.sender(customer, step.sender);
        let collector = &config.company.collector;
        let account_manager = customer
            .account_manager
            .and_then(|id| self.managers.get(&id))
            .map(|(name, email)| person(name, email.clone(), None));
        // The deadline: the due date for a heads-up, the end of the 14 days
        // for a 14-day letter, else the configured number of days.
        let pay_by = match (&fourteen, step.offset_days < 0) {
            (Some((_, term)), _) => term.pay_without_costs_until,
            (None, true) => docs.iter().map(|d| d.due_date).min().unwrap_or(as_of),
            (None, false) => as_of.add_days(config.dunning.pay_within_days),
        };
        let most_advanced_due = docs
            .iter()
            .filter(|d| advancing.contains(&d.invoice))
            .map(|d| d.due_date)
            .min()
            .unwrap_or(as_of);
        let next = strategy.steps[decision.step.step + 1..]
            .iter()
            .find(|s| s.offset_days > step.offset_days && principal >= s.min_overdue_minor)
            .map(|s| NextCtx {
                step: s.id.clone(),
                channel: s.channel.as_str(),
                date: most_advanced_due
                    .add_days(s.offset_days)
                    .max(pay_by.add_days(1))
                    .to_string(),
            });
        let references: Vec<(String, Option<String>)> = invoice_rows
            .iter()
            .map(|r| (r.1.clone(), r.6.clone()))
            .collect();
        let reference = payment_reference(&customer.number, &references, language);
        let currency_code = decision.currency.code().to_string();
        let invoices_ctx: Vec<InvoiceCtx> = invoice_rows
            .iter()
            .map(|r| InvoiceCtx {
                number: r.1.clone(),
                issue_date: r.2.to_string(),
                due_date: r.3.to_string(),
                open: r.5,
                days_overdue: r.3.days_until(as_of),
                interest: interest_by_invoice.get(&r.0).copied().unwrap_or(0),
                overdue: r.3 < as_of,
            })
            .collect();
        let company = &config.company;
        let ctx = Context {
            lang: language.as_str(),
            currency: &currency_code,
            tone: &strategy.tone,
            segment: SegmentCtx {
                id: &segment.id,
                name: match language {
                    Language::Nl => &segment.name_nl,
                    Language::En => &segment.name_en,
                },
            },
            step: StepCtx {
                id: &step.id,
                offset: step.offset_days,
                channel: channel.as_str(),
            },
            customer: CustomerCtx {
                number: &customer.number,
                name: &customer.name,
                kind: customer.kind.as_str(),
            },
            sender: sender.clone(),
            collector: person(
                &collector.name,
                collector.email.clone(),
                collector.phone.clone(),
            ),
            account_manager,
            company: CompanyCtx {
                name: &company.name,
                phone: company.phone.as_deref(),
                email: company.email.as_deref(),
                website: company.website.as_deref(),
                iban: company.iban.as_ref().map(|i| i.display()),
                bic: company.bic.as_deref(),
            },
            as_of: as_of.to_string(),
            pay_by: pay_by.to_string(),
            count: invoices_ctx.len(),
            overdue_count: invoices_ctx.iter().filter(|i| i.overdue).count(),
            oldest_days: invoices_ctx
                .iter()
                .map(|i| i.days_overdue)
                .max()
                .unwrap_or(0)
                .max(0),
            invoices: invoices_ctx,
            principal,
            interest,
            costs: costs_minor + uplift_minor,
            vat_uplift: uplift_minor,
            credit,
            total,
            claims_interest,
            claims_costs,
            interest_name: match (customer.kind, language) {
                (CustomerKind::B2b, Language::Nl) => "wettelijke handelsrente",
                (CustomerKind::B2c, Language::Nl) => "wettelijke rente",
                (CustomerKind::B2b, Language::En) => "statutory commercial interest",
                (CustomerKind::B2c, Language::En) => "statutory interest",
            },
            credit_hold: step.has(Effect::CreditHold),
            fourteen_day: fourteen.as_ref().map(|(calc, term)| FourteenCtx {
                costs: calc.costs_minor,
                vat_uplift: calc.vat_uplift_minor,
                total_costs: calc.total_minor,
                received_on: term.received_on.to_string(),
                pay_without_costs_until: term.pay_without_costs_until.to_string(),
            }),
            next,
            reference: &reference,
            earlier: {
                // Messages since just before the oldest covered invoice fell due.
                let since = docs
                    .iter()
                    .map(|d| d.due_date)
                    .min()
                    .unwrap_or(as_of)
                    .add_days(-14);
                let sent = self.sent.get(&stored.id).map(Vec::as_slice).unwrap_or(&[]);
                let relevant = || sent.iter().filter(|(on, _)| *on >= since && *on < as_of);
                EarlierCtx {
                    written: relevant()
                        .filter(|(_, c)| matches!(c, Channel::Email | Channel::Letter))
                        .count(),
                    calls: relevant().filter(|(_, c)| *c == Channel::Call).count(),
                }
            },
        };

        let items: Vec<MessageItem> = invoice_rows
            .iter()
            .map(|r| MessageItem {
                invoice: r.0,
                open_minor: r.5,
                interest_minor: interest_by_invoice.get(&r.0).copied().unwrap_or(0),
                days_overdue: r.3.days_until(as_of),
                step_offset: advancing.contains(&r.0).then_some(step.offset_days),
            })
            .collect();
        let planned_invoices: Vec<PlannedInvoice> = invoice_rows
            .iter()
            .map(|r| PlannedInvoice {
                number: r.1.clone(),
                due_date: r.3,
                days_overdue: r.3.days_until(as_of),
                open: Money::new(r.5, decision.currency).to_decimal_string(),
                interest: decimal(interest_by_invoice.get(&r.0).copied().unwrap_or(0)),
                new_step: advancing.contains(&r.0),
            })
            .collect();

        let (subject, text, document, task) = match channel {
            Channel::Call => {
                let call = self.templates.call(&step.template, language, &ctx)?;
                let task = Task {
                    customer: stored.id,
                    message: None,
                    kind: "call".into(),
                    created_on: as_of,
                    due_on: as_of.add_working_days(config.dunning.call_due_working_days),
                    assignee: Some(sender.name.clone()),
                    title: call.title.clone(),
                    talking_points: call.talking_points.clone(),
                    amount: Money::new(principal, decision.currency),
                };
                let document = serde_json::json!({
                    "title": call.title,
                    "talking_points": call.talking_points,
                })
                .to_string();
                (call.title, call.talking_points, document, Some(task))
            }
            Channel::Handoff => {
                let subject = match language {
                    Language::Nl => format!(
                        "Vordering op {} overgedragen aan het incassobureau",
                        customer.name
                    ),
                    Language::En => {
                        format!("Claim on {} handed to the collection agency", customer.name)
                    }
                };
                let text = format!(
                    "Hand-off of {} overdue: principal {}, interest {}, costs {}.",
                    customer.number,
                    decimal(principal),
                    decimal(claim_lines.iter().map(|l| l.interest_minor).sum()),
                    decimal(costs_minor + uplift_minor)
                );
                (subject, text, String::from("{}"), None)
            }
            Channel::Email | Channel::Letter => {
                let rendered = self.templates.message(&step.template, language, &ctx)?;
                let labels_nl = language == Language::Nl;
                let mut totals = Vec::new();
                let show_breakdown = credit > 0 || interest > 0 || costs_minor > 0;
                if show_breakdown {
                    totals.push(Total {
                        label: if labels_nl { "Openstaand" } else { "Open" }.into(),
                        minor: gross,
                        strong: false,
                    });
                }
                if credit > 0 {
                    totals.push(Total {
                        label: if labels_nl {
                            "Al ontvangen, nog niet verwerkt"
                        } else {
                            "Received, not yet applied"
                        }
                        .into(),
                        minor: -credit,
                        strong: false,
                    });
                }
                if interest > 0 {
                    totals.push(Total {
                        label: ctx.interest_name.to_string(),
                        minor: interest,
                        strong: false,
                    });
                }
                if costs_minor > 0 {
                    totals.push(Total {
                        label: if labels_nl {
                            "Incassokosten"
                        } else {
                            "Collection costs"
                        }
                        .into(),
                        minor: costs_minor + uplift_minor,
                        strong: false,
                    });
                }
                totals.push(Total {
                    label: if labels_nl { "Te betalen" } else { "To pay" }.into(),
                    minor: total,
                    strong: true,
                });
                let pay = company.iban.as_ref().filter(|_| total > 0).map(|iban| {
                    let epc = (decision.currency == Currency::EUR)
                        .then(|| {
                            tegoed_formats::epc::payload(&tegoed_formats::epc::Transfer {
                                beneficiary: &company.name,
                                iban: iban.as_str(),
                                bic: company.bic.as_deref(),
                                amount_minor: total,
                                reference: &reference,
                            })
                            .ok()
                        })
                        .flatten();
                    PayInfo {
                        amount_minor: total,
                        beneficiary: company.name.clone(),
                        iban: iban.as_str().to_string(),
                        bic: company.bic.clone(),
                        reference: reference.clone(),
                        pay_by,
                        epc,
                    }
                });
                let document = Document {
                    language,
                    date: as_of,
                    currency: currency_code.clone(),
                    subject: rendered.subject.clone(),
                    recipient: address_lines(customer),
                    customer_number: customer.number.clone(),
                    opening: rendered.opening,
                    rows: invoice_rows
                        .iter()
                        .map(|r| Row {
                            number: r.1.clone(),
                            issue_date: r.2,
                            due_date: r.3,
                            days_overdue: r.3.days_until(as_of),
                            open_minor: r.5,
                        })
                        .collect(),
                    totals,
                    pay,
                    closing: rendered.closing,
                    signature: Signature {
                        name: sender.name.clone(),
                        title: match (role, language) {
                            ("account_manager", Language::Nl) => {
                                format!("Accountmanager, {}", company.name)
                            }
                            ("account_manager", Language::En) => {
                                format!("Account manager, {}", company.name)
                            }
                            (_, Language::Nl) => format!("Debiteurenbeheer, {}", company.name),
                            (_, Language::En) => format!("Credit management, {}", company.name),
                        },
                        email: sender.email.clone(),
                        phone: sender.phone.clone(),
                    },
                    letterhead: Letterhead {
                        name: company.name.clone(),
                        address: company.address.clone(),
                        phone: company.phone.clone(),
                        email: company.email.clone(),
                        website: company.website.clone(),
                        kvk: company.kvk.clone(),
                    },
                };
                let text = document.text();
                let json = serde_json::to_string(&document)
                    .map_err(|e| AppError::Invalid(format!("cannot store the message: {e}")))?;
                (rendered.subject, text, json, None)
            }
        };
        let recipient = match channel {
            Channel::Email => customer.email.as_ref().map(|e| e.as_str().to_string()),
            Channel::Letter => Some(address_lines(customer).join(", ")),
            Channel::Call => customer.phone.clone(),
            Channel::Handoff => None,
        };
        let effects: Vec<Effect> = step.effects.clone();
        let message = Message {
            customer: stored.id,
            as_of,
            segment: segment.id.clone(),
            strategy: strategy.id.clone(),
            step_id: step.id.clone(),
            step_offset: step.offset_days,
            channel,
            language,
            recipient: recipient.clone(),
            sender_name: sender.name.clone(),
            sender_email: sender.email.clone(),
            subject: subject.clone(),
            body_text: text.clone(),
            document,
            currency: decision.currency,
            principal_minor: principal,
            interest_minor: interest,
            costs_minor,
            vat_uplift_minor: uplift_minor,
            credit_minor: credit,
            pay_by: matches!(channel, Channel::Email | Channel::Letter).then_some(pay_by),
            effects: effects.clone(),
            fourteen_day: fourteen.as_ref().map(|(calc, term)| FourteenDayRecord {
                received_on: term.received_on,
                pay_without_costs_until: term.pay_without_costs_until,
                stated_costs_minor: calc.total_minor,
            }),
        };
        Ok(Some(Planned {
            customer: customer.number.clone(),
            name: customer.name.clone(),
            segment: segment.id.clone(),
            strategy: strategy.id.clone(),
            step: step.id.clone(),
            offset_days: step.offset_days,
            channel: channel.as_str(),
            channel_note,
            language: language.as_str(),
            sender: SenderLine {
                name: sender.name,
                email: sender.email,
                role,
            },
            recipient,
            currency: decision.currency,
            invoices: planned_invoices,
            amounts: Amounts {
                principal: decimal(principal),
                interest: decimal(interest),
                costs: decimal(costs_minor),
                vat_uplift: decimal(uplift_minor),
                credit: decimal(credit),
                total: decimal(total),
            },
            costs_basis: claims_costs.then(|| costs.basis.clone()),
            effects: effects.iter().map(|e| e.as_str()).collect(),
            pay_by: matches!(channel, Channel::Email | Channel::Letter).then_some(pay_by),
            fourteen_day_letter: fourteen.map(|(calc, term)| FourteenDayPlan {
                received_on: term.received_on,
                pay_without_costs_until: term.pay_without_costs_until,
                stated_costs: decimal(calc.total_minor),
            }),
            message: RenderedMessage { subject, text },
            record: Record {
                message,
                items,
                task,
            },
        }))
    }
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
    let mut snapshot = snapshot(store, as_of)?;
    crate::risk::fill_classes(store, config, &mut snapshot)?;
    let mut tx = store.read()?;
    let only = match &options.customer {
        Some(number) => Some(
            tx.customer_by_number(number)?
                .ok_or_else(|| AppError::NotFound(format!("no customer with number '{number}'")))?
                .id,
        ),
        None => None,
    };
    let evaluation = evaluate(tx.as_mut(), as_of, config.dunning.plan_grace_days)?;
    let managers = tx
        .account_managers()?
        .into_iter()
        .map(|(id, m)| (id, (m.name, m.email.map(|e| e.as_str().to_string()))))
        .collect();
    let planner = Planner {
        config,
        templates,
        managers,
        last_offsets: tx.last_step_offsets()?.into_iter().collect(),
        deadlines: tx.last_deadlines()?.into_iter().collect(),
        sent: {
            let mut sent: FxHashMap<CustomerId, Vec<(Date, Channel)>> = FxHashMap::default();
            for (customer, on, channel) in tx.sent_messages_since(as_of.add_days(-550))? {
                sent.entry(customer).or_default().push((on, channel));
            }
            sent
        },
        as_of,
    };
    let strategies: FxHashMap<&str, &Strategy> = config
        .strategies
        .iter()
        .map(|s| (s.id.as_str(), s))
        .collect();

    let mut skipped = Skipped::default();
    let mut decisions = Vec::new();
    let mut holds_released = Vec::new();
    for idx in 0..snapshot.customers.len() {
        let customer = &snapshot.customers[idx];
        if only.is_some_and(|id| id != customer.id) {
            continue;
        }
        let state = &snapshot.states[idx];
        let facts = &snapshot.facts[idx];
        if state.credit_hold_since.is_some()
            && facts.overdue_minor <= 0
            && state.handed_off_on.is_none()
        {
            holds_released.push(customer.number.clone());
        }
        let docs = &snapshot.open[idx];
        if !docs.iter().any(|d| d.open_minor > 0) {
            continue;
        }
        if state.handed_off_on.is_some() {
            skipped.handed_off += 1;
            continue;
        }
        if state.is_paused_on(as_of) {
            skipped.paused += 1;
            continue;
        }
        let segment = assign(&config.segments, facts).expect("the last segment takes everyone");
        let strategy = strategies[config.segments[segment].strategy.as_str()];
        // One decision per currency (amounts are never added across them).
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
            let dunnable: Vec<DunnableInvoice> = in_currency
                .iter()
                .map(|d| {
                    let paused = evaluation.paused.contains(&d.invoice);
                    DunnableInvoice {
                        invoice: d.invoice,
                        due_date: d.due_date,
                        open_minor: d.open_minor,
                        paused,
                        last_offset_done: planner.last_offsets.get(&d.invoice).copied(),
                    }
                })
                .collect();
            skipped.invoices_on_hold += dunnable
                .iter()
                .filter(|d| d.paused && d.due_date < as_of)
                .count() as u64;
            let Some(step) = decide(strategy, &dunnable, as_of) else {
                continue;
            };
            if planner
                .deadlines
                .get(&customer.id)
                .is_some_and(|deadline| as_of <= *deadline)
            {
                skipped.waiting += 1;
                continue;
            }
            decisions.push(Decision {
                idx,
                segment,
                strategy,
                currency,
                docs: in_currency,
                step,
            });
        }
    }

    progress.finish();
    let mut candidates = Vec::with_capacity(decisions.len());
    for decision in &decisions {
        let gross: i64 = decision
            .docs
            .iter()
            .filter(|d| decision.step.covered.contains(&d.invoice))
            .map(|d| d.open_minor)
            .sum();
        let credit = if decision.currency == Currency::EUR {
            snapshot.credit_minor[decision.idx].max(0)
        } else {
            0
        };
        if credit >= gross {
            skipped.credit_covers += 1;
        } else if gross - credit < config.dunning.min_amount_minor {
            skipped.below_minimum += 1;
        } else {
            candidates.push(decision);
        }
    }
    drop(tx);
    // Rendering is independent per customer: two threads, each with its own
    // read transaction, split the work; the order of the result is kept.
    progress.start("Writing the messages", candidates.len() as u64);
    let build_all =
        |part: &[&Decision<'_>], report: Option<&dyn Progress>| -> Result<Vec<Planned>> {
            let mut tx = store.read()?;
            let mut out = Vec::with_capacity(part.len());
            for decision in part {
                let brief = &snapshot.customers[decision.idx];
                let stored = tx
                    .customer(brief.id)?
                    .ok_or_else(|| AppError::NotFound(format!("customer {}", brief.number)))?;
                if let Some(planned) = planner.build(tx.as_mut(), &snapshot, decision, &stored)? {
                    out.push(planned);
                }
                if let Some(progress) = report {
                    progress.advance(1);
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
    let mut counts: FxHashMap<(String, String, &'static str), u64> = FxHashMap::default();
    for message in &messages {
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
        (order.get(a.segment.as_str()), &a.step, a.channel).cmp(&(
            order.get(b.segment.as_str()),
            &b.step,
            b.channel,
        ))
    });
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
    #[serde(serialize_with = "crate::ser::opt_date")]
    pub delivered_on: Option<Date>,
    pub file: Option<String>,
    pub error: Option<String>,
    pub fourteen_day_letter: bool,
    pub text: String,
}

/// The messages recorded for customer `number` (all of them), or for
/// every customer on `day`; oldest first.
pub fn messages(
    store: &dyn Store,
    number: Option<&str>,
    day: Option<Date>,
) -> Result<Vec<MessageLine>> {
    let mut tx = store.read()?;
    let customer = match number {
        Some(number) => Some(
            tx.customer_by_number(number)?
                .ok_or_else(|| AppError::NotFound(format!("no customer with number '{number}'")))?
                .id,
        ),
        None => None,
    };
    let list = tx.messages(tegoed_store::MessageFilter {
        customer,
        as_of: day,
        ..tegoed_store::MessageFilter::default()
    })?;
    let numbers: FxHashMap<CustomerId, String> = tx
        .customer_directory()?
        .into_iter()
        .map(|c| (c.id, c.number))
        .collect();
    Ok(list
        .into_iter()
        .map(|m| {
            let message = m.message;
            let costs = message.costs_minor + message.vat_uplift_minor;
            MessageLine {
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
                delivered_on: m.delivered_on,
                file: m.file_path,
                error: m.error,
                fourteen_day_letter: message.fourteen_day.is_some(),
                text: message.body_text,
            }
        })
        .collect())
}
