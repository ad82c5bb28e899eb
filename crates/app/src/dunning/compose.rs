//! Turning the core's decision for one customer into the message: the
//! amounts (credit taken off, interest and costs only where allowed), the
//! deadline, the facts the words may state, the rendered text and the
//! document, and the record to store.

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use tegoed_core::customer::CustomerKind;
use tegoed_core::dunning::{self, MessagePlan, Next, Rung};
use tegoed_core::legal::{FourteenDayTerm, wik_costs};
use tegoed_core::money::sum_minor;
use tegoed_core::strategy::{Channel, Effect, Sender, StepKind, Strategy};
use tegoed_core::{AccountManagerId, Currency, Date, Invoice, InvoiceId, Language, Money};
use tegoed_store::{FourteenDayRecord, Message, MessageItem, ReadTx, StoredCustomer, Task};

use super::document::{Document, Letterhead, PayInfo, Row, Signature, Total};
use super::ladder::{Happened, InvoiceHistory};
use super::templates::Templates;
use super::{
    Amounts, FourteenDayPlan, Planned, PlannedItem, Record, RenderedMessage, SenderLine, decimal,
};
use crate::config::Config;
use crate::facts::OpenDoc;
use crate::legal::{ClaimInput, ClaimLine, compute_claim, decide_costs, fourteen_day_letters};
use crate::{AppError, Result};

/// Everything composing needs besides the customer.
pub(super) struct Composer<'a> {
    pub config: &'a Config,
    pub templates: &'a Templates,
    pub managers: FxHashMap<AccountManagerId, (String, Option<String>)>,
    pub histories: FxHashMap<InvoiceId, InvoiceHistory>,
    pub happened: Happened,
    pub as_of: Date,
}

/// One customer's message as the core decided it.
pub(super) struct Decision<'s> {
    pub segment: usize,
    pub strategy: &'s Strategy,
    pub currency: Currency,
    /// The customer's open documents in this currency, by invoice.
    pub docs: FxHashMap<InvoiceId, &'s OpenDoc>,
    pub plan: MessagePlan,
    /// Credit not yet applied, in this currency.
    pub credit_minor: i64,
    /// Which steps apply to the customer (minimum amounts).
    pub applies: Vec<bool>,
}

/// The template context of a message or call: the facts its words may use.
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
    /// The date to pay by (`""` for calls).
    pay_by: String,
    /// The invoices listed, oldest due date first.
    invoices: Vec<InvoiceCtx>,
    /// How many are listed.
    count: usize,
    /// How many this step is about (the others are listed as also open).
    step_count: usize,
    /// How many are listed as also open.
    also_open_count: usize,
    /// Days the oldest listed invoice is past its due date (0 if none is).
    oldest_days: i32,
    /// The listed invoices' open amounts added up: the table's "open".
    open_total: i64,
    /// Money received but not yet applied, taken off.
    credit: i64,
    /// `open_total - credit`.
    principal: i64,
    interest: i64,
    costs: i64,
    vat_uplift: i64,
    /// What to pay: `principal + interest + costs`.
    total: i64,
    claims_interest: bool,
    claims_costs: bool,
    interest_name: &'static str,
    /// This message puts the customer on credit hold.
    credit_hold: bool,
    fourteen_day: Option<FourteenCtx>,
    /// The next step and the day it would come, if nothing happens.
    next: Option<NextCtx>,
    reference: &'a str,
    /// E-mails and letters already sent about the listed invoices.
    earlier: EarlierCtx,
    /// The last call made about these invoices, with what came of it (only
    /// calls that were done).
    called: Option<CallCtx>,
    /// The last promise to pay about these invoices that was not kept.
    promise_broken: Option<PromiseCtx>,
    /// The payment agreement made at the sale (the latest), if any.
    agreement: Option<AgreementCtx>,
}

#[derive(Serialize)]
struct AgreementCtx {
    /// The day it was made (ISO; the `date` filter writes it for people).
    agreed_on: String,
    terms_days: u32,
    /// `transfer` or `direct_debit`.
    method: String,
    direct_debit: bool,
    /// Who on our side made it.
    by: String,
    /// Who at the customer agreed.
    with: String,
}

#[derive(Serialize)]
struct EarlierCtx {
    /// The most written messages any listed invoice had.
    written: u32,
}

#[derive(Serialize)]
struct CallCtx {
    date: String,
    by: Option<String>,
    outcome: String,
}

#[derive(Serialize)]
struct PromiseCtx {
    made_on: String,
    amount: i64,
    date: String,
}

#[derive(Serialize)]
struct SegmentCtx<'a> {
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct StepCtx<'a> {
    id: &'a str,
    kind: &'static str,
    channel: &'static str,
}

#[derive(Serialize)]
struct CustomerCtx<'a> {
    number: &'a str,
    name: &'a str,
    kind: &'static str,
    consumer: bool,
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
    /// This message is a step for it (not only listed as also open).
    this_step: bool,
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
    kind: &'static str,
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

/// The payment description: the invoice's own reference when there is one
/// invoice with one, else the customer and invoice numbers (our matcher
/// finds invoice numbers in the remittance text).
pub(crate) fn payment_reference(
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

pub(crate) fn address_lines(customer: &tegoed_core::Customer) -> Vec<String> {
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

/// A listed invoice with what composing needs of it.
struct Line {
    invoice: InvoiceId,
    number: String,
    reference: Option<String>,
    issue_date: Date,
    due_date: Date,
    amount_minor: i64,
    open_minor: i64,
    /// The step this message gives it.
    rung: Option<usize>,
}

impl Composer<'_> {
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

    /// The rung an invoice reaches with this message: the one it gets now,
    /// or the last one it had.
    fn reached(&self, strategy: &Strategy, line: &Line) -> Option<Rung> {
        match line.rung {
            Some(step) => Some(Rung {
                strategy: Some(strategy.id.clone()),
                step: strategy.steps[step].id.clone(),
                kind: strategy.steps[step].kind,
                on: self.as_of,
                pay_by: None,
            }),
            None => self
                .histories
                .get(&line.invoice)
                .and_then(|h| h.last.clone()),
        }
    }

    /// Builds the message (or task, or hand-off) for one customer.
    ///
    /// `known` holds invoices the caller read beforehand (in one batch for
    /// many customers); others are read here.
    pub fn build(
        &self,
        tx: &mut dyn ReadTx,
        decision: &Decision<'_>,
        stored: &StoredCustomer,
        known: &FxHashMap<InvoiceId, Invoice>,
    ) -> Result<Planned> {
        let config = self.config;
        let as_of = self.as_of;
        let strategy = decision.strategy;
        let step = &strategy.steps[decision.plan.step];
        let segment = &config.segments[decision.segment];
        let customer = &stored.customer;
        let language = customer.language;
        let consumer = customer.kind == CustomerKind::B2c;

        let mut lines = Vec::with_capacity(decision.plan.items.len());
        for item in &decision.plan.items {
            let doc = decision
                .docs
                .get(&item.invoice)
                .ok_or_else(|| AppError::NotFound(format!("invoice {}", item.invoice)))?;
            let invoice = match known.get(&item.invoice) {
                Some(invoice) => invoice.clone(),
                None => {
                    tx.invoice(item.invoice)?
                        .ok_or_else(|| AppError::NotFound(format!("invoice {}", item.invoice)))?
                        .invoice
                }
            };
            lines.push(Line {
                invoice: item.invoice,
                number: invoice.number,
                reference: invoice.payment_reference.map(|r| r.as_str().to_string()),
                issue_date: doc.issue_date,
                due_date: doc.due_date,
                amount_minor: doc.amount_minor,
                open_minor: doc.open_minor,
                rung: item.rung,
            });
        }

        // What is demanded: the listed invoices, less credit not yet
        // applied, oldest first.
        let demanded = dunning::demanded(
            &lines
                .iter()
                .map(|l| (l.invoice, l.open_minor))
                .collect::<Vec<_>>(),
            decision.credit_minor,
        );
        let net: FxHashMap<InvoiceId, i64> = demanded.per_invoice.iter().copied().collect();
        let open_total = demanded.open_minor;
        let credit = demanded.credit_minor;
        let principal = demanded.net_minor;

        // Interest and costs: only on overdue invoices that have had a step
        // allowing them, and never in a heads-up.
        let overdue_lines: Vec<&Line> = lines.iter().filter(|l| l.due_date < as_of).collect();
        let allowed = |effect: Effect| -> FxHashSet<InvoiceId> {
            if step.kind == StepKind::HeadsUp {
                return FxHashSet::default();
            }
            overdue_lines
                .iter()
                .filter(|l| {
                    self.reached(strategy, l)
                        .is_some_and(|r| dunning::allows(strategy, &r, effect))
                })
                .map(|l| l.invoice)
                .collect()
        };
        let with_interest = allowed(Effect::Interest);
        let with_costs = allowed(Effect::CollectionCosts);
        let claim_lines: Vec<ClaimLine> = overdue_lines
            .iter()
            .filter(|l| net.get(&l.invoice).copied().unwrap_or(0) > 0)
            .map(|l| ClaimLine {
                invoice: l.invoice,
                number: l.number.clone(),
                issue_date: l.issue_date,
                due_date: l.due_date,
                amount_minor: l.amount_minor,
                open_minor: net[&l.invoice],
            })
            .collect();
        let (claimed, _, _) = compute_claim(
            tx,
            config,
            &ClaimInput {
                customer: stored.id,
                kind: customer.kind,
                currency: decision.currency,
                invoices: &claim_lines,
            },
            as_of,
            false,
        )?;
        let interest_by_invoice: FxHashMap<InvoiceId, i64> = claimed
            .iter()
            .filter(|c| with_interest.contains(&c.invoice))
            .map(|c| (c.invoice, c.interest_minor))
            .collect();
        let interest = sum_minor(interest_by_invoice.values().copied())?;
        let costs = if with_costs.is_empty() || decision.currency != Currency::EUR {
            None
        } else {
            let principals: Vec<(InvoiceId, i64)> = claim_lines
                .iter()
                .filter(|l| with_costs.contains(&l.invoice))
                .map(|l| (l.invoice, l.open_minor))
                .collect();
            let letters = if consumer {
                fourteen_day_letters(tx, stored.id)?
            } else {
                Vec::new()
            };
            Some(decide_costs(
                config,
                customer.kind,
                &principals,
                &letters,
                as_of,
            ))
        };
        let (costs_minor, uplift_minor) = costs
            .as_ref()
            .and_then(|c| c.calc.as_ref())
            .map_or((0, 0), |c| (c.costs_minor, c.vat_uplift_minor));
        let total = sum_minor([principal, interest, costs_minor, uplift_minor])?;

        // A 14-day letter announces the costs that will follow, over the
        // invoices it is about.
        let fourteen = if step.kind == StepKind::FourteenDayLetter {
            let about = sum_minor(
                lines
                    .iter()
                    .filter(|l| l.rung.is_some())
                    .map(|l| net.get(&l.invoice).copied().unwrap_or(0)),
            )?;
            (about > 0).then(|| {
                let calc = wik_costs(about, config.legal.uplift());
                let days = match step.channel {
                    Channel::Email if customer.email.is_some() => {
                        config.legal.email_receipt_working_days
                    }
                    _ => config.legal.letter_receipt_working_days,
                };
                (calc, FourteenDayTerm::new(as_of, days))
            })
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
        let earliest_due = lines.iter().map(|l| l.due_date).min().unwrap_or(as_of);
        let pay_by = dunning::pay_by(
            step.kind,
            channel,
            as_of,
            config.dunning.pay_within_days,
            earliest_due,
            fourteen.as_ref().map(|(_, t)| t.pay_without_costs_until),
        );
        // What comes next for the invoices at this step, and when.
        let next = lines
            .iter()
            .filter(|l| l.rung == Some(decision.plan.step))
            .filter_map(|l| {
                let history = self.histories.get(&l.invoice);
                let after = dunning::LadderInvoice {
                    invoice: l.invoice,
                    due_date: l.due_date,
                    open_minor: l.open_minor,
                    on_hold: false,
                    last: Some(Rung {
                        strategy: Some(strategy.id.clone()),
                        step: step.id.clone(),
                        kind: step.kind,
                        on: as_of,
                        pay_by,
                    }),
                    fourteen_day_until: fourteen
                        .as_ref()
                        .map(|(_, t)| t.pay_without_costs_until)
                        .or(history.and_then(|h| h.fourteen_day_until)),
                };
                match dunning::next_rung(strategy, &after, &decision.applies, consumer, as_of) {
                    Next::Waiting { step, from } => Some((step, from)),
                    _ => None,
                }
            })
            .min_by_key(|(_, from)| *from)
            .map(|(next, from)| NextCtx {
                step: strategy.steps[next].id.clone(),
                kind: strategy.steps[next].kind.as_str(),
                channel: strategy.steps[next].channel.as_str(),
                date: from.to_string(),
            });
        let references: Vec<(String, Option<String>)> = lines
            .iter()
            .map(|l| (l.number.clone(), l.reference.clone()))
            .collect();
        let reference = payment_reference(&customer.number, &references, language);
        let currency_code = decision.currency.code().to_string();
        let listed: Vec<InvoiceId> = lines.iter().map(|l| l.invoice).collect();
        let invoices_ctx: Vec<InvoiceCtx> = lines
            .iter()
            .map(|l| InvoiceCtx {
                number: l.number.clone(),
                issue_date: l.issue_date.to_string(),
                due_date: l.due_date.to_string(),
                open: l.open_minor,
                days_overdue: l.due_date.days_until(as_of),
                interest: interest_by_invoice.get(&l.invoice).copied().unwrap_or(0),
                overdue: l.due_date < as_of,
                this_step: l.rung.is_some(),
            })
            .collect();
        let company = &config.company;
        let claims_costs = costs_minor > 0;
        let ctx = Context {
            lang: language.as_str(),
            currency: &currency_code,
            tone: &strategy.tone,
            segment: SegmentCtx {
                id: &segment.id,
                name: segment.name(language),
            },
            step: StepCtx {
                id: &step.id,
                kind: step.kind.as_str(),
                channel: channel.as_str(),
            },
            customer: CustomerCtx {
                number: &customer.number,
                name: &customer.name,
                kind: customer.kind.as_str(),
                consumer,
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
            pay_by: pay_by.map(|d| d.to_string()).unwrap_or_default(),
            count: invoices_ctx.len(),
            step_count: invoices_ctx.iter().filter(|i| i.this_step).count(),
            also_open_count: invoices_ctx.iter().filter(|i| !i.this_step).count(),
            oldest_days: invoices_ctx
                .iter()
                .map(|i| i.days_overdue)
                .max()
                .unwrap_or(0)
                .max(0),
            invoices: invoices_ctx,
            open_total,
            credit,
            principal,
            interest,
            costs: costs_minor + uplift_minor,
            vat_uplift: uplift_minor,
            total,
            claims_interest: interest > 0,
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
            earlier: EarlierCtx {
                written: listed
                    .iter()
                    .filter_map(|i| self.histories.get(i))
                    .map(|h| h.written)
                    .max()
                    .unwrap_or(0),
            },
            called: self
                .happened
                .last_call(&self.histories, listed.iter())
                .map(|c| CallCtx {
                    date: c.on.to_string(),
                    by: c.by.clone(),
                    outcome: c.outcome.clone(),
                }),
            promise_broken: self
                .happened
                .broken_promise(stored.id, &listed)
                .map(|p| PromiseCtx {
                    made_on: p.made_on.to_string(),
                    amount: p.amount_minor,
                    date: p.promised_on.to_string(),
                }),
            agreement: self
                .happened
                .sale_agreement(stored.id, as_of)
                .map(|a| AgreementCtx {
                    agreed_on: a.agreed_on.to_string(),
                    terms_days: a.terms_days,
                    direct_debit: a.method == "direct_debit",
                    method: a.method.clone(),
                    by: a.agreed_by.clone(),
                    with: a.agreed_with.clone(),
                }),
        };

        let items: Vec<MessageItem> = lines
            .iter()
            .map(|l| MessageItem {
                invoice: l.invoice,
                open_minor: l.open_minor,
                interest_minor: interest_by_invoice.get(&l.invoice).copied().unwrap_or(0),
                days_overdue: l.due_date.days_until(as_of),
                step: l
                    .rung
                    .map(|s| (strategy.steps[s].id.clone(), strategy.steps[s].kind)),
            })
            .collect();
        let planned_items: Vec<PlannedItem> = lines
            .iter()
            .map(|l| PlannedItem {
                invoice_number: l.number.clone(),
                due_date: l.due_date,
                days_overdue: l.due_date.days_until(as_of),
                open_amount: Money::new(l.open_minor, decision.currency).to_decimal_string(),
                interest: decimal(interest_by_invoice.get(&l.invoice).copied().unwrap_or(0)),
                step: l.rung.map(|s| strategy.steps[s].id.clone()),
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
                    // Due the day it is made: the call list shows it today.
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
                let (subject, text) = match language {
                    Language::Nl => (
                        format!(
                            "Vordering op {} overgedragen aan het incassobureau",
                            customer.name
                        ),
                        format!(
                            "Overgedragen: {} {}, hoofdsom {}, rente {}, kosten {}.",
                            lines.len(),
                            if lines.len() == 1 {
                                "factuur"
                            } else {
                                "facturen"
                            },
                            Money::new(principal, decision.currency).display_in(Language::Nl),
                            Money::new(interest, decision.currency).display_in(Language::Nl),
                            Money::new(costs_minor + uplift_minor, decision.currency)
                                .display_in(Language::Nl)
                        ),
                    ),
                    Language::En => (
                        format!("Claim on {} handed to the collection agency", customer.name),
                        format!(
                            "Handed off: {} {}, principal {}, interest {}, costs {}.",
                            lines.len(),
                            if lines.len() == 1 {
                                "invoice"
                            } else {
                                "invoices"
                            },
                            Money::new(principal, decision.currency).display_in(Language::En),
                            Money::new(interest, decision.currency).display_in(Language::En),
                            Money::new(costs_minor + uplift_minor, decision.currency)
                                .display_in(Language::En)
                        ),
                    ),
                };
                (subject, text, String::from("{}"), None)
            }
            Channel::Email | Channel::Letter => {
                let rendered = self.templates.message(&step.template, language, &ctx)?;
                let nl = language == Language::Nl;
                let mut totals = Vec::new();
                let breakdown = credit > 0 || interest > 0 || costs_minor > 0;
                if breakdown {
                    totals.push(Total {
                        label: if nl { "Openstaand" } else { "Open" }.into(),
                        minor: open_total,
                        strong: false,
                    });
                }
                if credit > 0 {
                    totals.push(Total {
                        label: if nl {
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
                    let name = ctx.interest_name;
                    let mut label = name.to_string();
                    if let Some(first) = label.get_mut(..1) {
                        first.make_ascii_uppercase();
                    }
                    totals.push(Total {
                        label,
                        minor: interest,
                        strong: false,
                    });
                }
                if costs_minor > 0 {
                    totals.push(Total {
                        label: if nl {
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
                    label: if nl { "Te betalen" } else { "To pay" }.into(),
                    minor: total,
                    strong: true,
                });
                let pay = company.iban.as_ref().zip(pay_by).filter(|_| total > 0).map(
                    |(iban, pay_by)| {
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
                    },
                );
                let document = Document {
                    language,
                    date: as_of,
                    currency: currency_code.clone(),
                    subject: rendered.subject.clone(),
                    recipient: address_lines(customer),
                    customer_number: customer.number.clone(),
                    opening: rendered.opening,
                    rows: lines
                        .iter()
                        .map(|l| Row {
                            number: l.number.clone(),
                            issue_date: l.issue_date,
                            due_date: l.due_date,
                            days_overdue: l.due_date.days_until(as_of),
                            open_minor: l.open_minor,
                        })
                        .collect(),
                    totals,
                    pay,
                    closing: rendered.closing,
                    signature: Signature {
                        name: sender.name.clone(),
                        title: Signature::title(role == "account_manager", &company.name, language),
                        email: sender.email.clone(),
                        phone: sender.phone.clone(),
                    },
                    letterhead: Letterhead::of(company),
                    portal: None,
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
            pay_by,
            effects: effects.clone(),
            fourteen_day: fourteen.as_ref().map(|(calc, term)| FourteenDayRecord {
                received_on: term.received_on,
                pay_without_costs_until: term.pay_without_costs_until,
                stated_costs_minor: calc.total_minor,
            }),
        };
        Ok(Planned {
            customer: customer.number.clone(),
            name: customer.name.clone(),
            segment: segment.id.clone(),
            strategy: strategy.id.clone(),
            step: step.id.clone(),
            kind: step.kind.as_str(),
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
            items: planned_items,
            amounts: Amounts {
                open: decimal(open_total),
                credit: decimal(credit),
                principal: decimal(principal),
                interest: decimal(interest),
                costs: decimal(costs_minor),
                vat_uplift: decimal(uplift_minor),
                total: decimal(total),
            },
            costs_basis: costs.map(|c| c.basis.text(tegoed_core::Language::En)),
            effects: effects.iter().map(|e| e.as_str()).collect(),
            pay_by,
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
        })
    }
}
