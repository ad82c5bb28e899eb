//! The customer's own page (the portal): the links in every message, what
//! the page shows, and what a customer can do there.
//!
//! A link is `<public_url>/p/<token>`: 128 random bits, stored only as a
//! hash (a copy of the database opens no page), valid for `link_days` from
//! the day it was issued. Every delivered e-mail or letter issues a fresh
//! one (the "renewal"); older links keep working until they expire or a
//! credit manager revokes them all.
//!
//! Each action is a use case acting as the customer through the portal
//! ([`Actor::portal`]): the customer comes from the link, never from the
//! form, so nothing of another customer is reachable. Every action is
//! recorded once per customer, day and content (a double click or a retry
//! shows the same confirmation), lands on the timeline with the portal's
//! wording, is audited, and goes to the worklist of whoever must act:
//! - "I have already paid" → a payment for the collectors to look for;
//!   dunning pauses `paid_pause_days`;
//! - "I will pay on …" → a promise, accepted at once within the limits in
//!   core's `portal` rules, else a request for a collector;
//! - "I'd like a payment plan" → a plan, accepted at once within the
//!   limits, else a request for the credit manager;
//! - "There is a problem with this invoice" → a dispute (dunning leaves the
//!   invoice alone) and a task for the account manager, who gets an e-mail;
//! - "Please contact me" → a call for the account manager.

use lettre::message::{Mailbox, header::ContentType};
use serde::Serialize;
use tegoed_core::portal::{self as rules, Contact, DayPart, PlanAsk, Problem, Why};
use tegoed_core::{Currency, CustomerId, Date, Language, Money};
use tegoed_store::{
    CollectionState, PortalRequest, PortalToken, ReadTx, StoredCustomer, StoredPortalRequest, Task,
    TimelineEvent, WriteTx,
};

use crate::access::{Action, Actor, random_hex, token_hash};
use crate::audit::{Detail, Label};
use crate::config::Config;
use crate::format::{long_date, short_date};
use crate::{AppError, Result};

/// The longest note a customer can leave (characters).
pub const MAX_NOTE: usize = 1000;

/// Working days dunning waits while a person looks at a promise or plan
/// the customer asked for (the page says so).
const HOLD_WORKING_DAYS: u32 = 2;

/// The largest amount a customer can type (€ 1 billion, in cents): more is
/// a typing mistake.
const MAX_AMOUNT: i64 = 100_000_000_000;

/// A link to a customer's page, as handed to a person (CLI, web).
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub customer: String,
    pub url: String,
    #[serde(serialize_with = "crate::ser::date")]
    pub expires_on: Date,
}

/// Whether `token` has the form of a link token (32 lowercase hex
/// characters); anything else is refused before the database is asked.
pub fn well_formed(token: &str) -> bool {
    token.len() == 32
        && token
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Issues a fresh link for `customer` inside `tx`: gives the URL and its
/// last day.
pub(crate) fn issue_in(
    tx: &mut dyn WriteTx,
    config: &Config,
    customer: CustomerId,
    as_of: Date,
) -> Result<(String, Date)> {
    let token = random_hex(16)?;
    let expires_on = as_of.add_days(config.portal.link_days);
    tx.insert_portal_token(&PortalToken {
        hash: token_hash(&token),
        customer,
        issued_on: as_of,
        expires_on,
        revoked_on: None,
    })?;
    Ok((
        format!("{}/p/{token}", config.portal.base_url()),
        expires_on,
    ))
}

fn customer_by_number(tx: &mut dyn ReadTx, number: &str) -> Result<StoredCustomer> {
    let number = number.trim();
    match tx.customer_by_number(number)? {
        Some(found) => Ok(found),
        None => tx
            .customer_by_number(&number.to_uppercase())?
            .ok_or_else(|| AppError::NotFound(format!("no customer with number '{number}'"))),
    }
}

/// A fresh link to read out on the phone (`tegoed portal link`). Links
/// are stored only as hashes, so an earlier one cannot be shown again;
/// earlier ones keep working until they expire.
pub fn link(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    config: &Config,
    number: &str,
    as_of: Date,
) -> Result<Link> {
    if !config.portal.enabled {
        return Err(AppError::Invalid(
            "the customer portal is off ([portal] enabled = false in tegoed.toml)".into(),
        ));
    }
    let stored = customer_by_number(tx, number)?;
    actor.require(Action::Collect, stored.customer.account_manager)?;
    let (url, expires_on) = issue_in(tx, config, stored.id, as_of)?;
    actor.audit(
        tx,
        "portal.link",
        &stored.customer.number,
        Detail::none().date(Label::ValidUntil, expires_on),
    )?;
    Ok(Link {
        customer: stored.customer.number,
        url,
        expires_on,
    })
}

/// What revoking did.
#[derive(Debug, Clone, Serialize)]
pub struct Revoked {
    pub customer: String,
    pub revoked: u64,
}

/// Revokes every link of a customer (a credit manager's call: a link that
/// reached the wrong person). The next message carries a new one.
pub fn revoke(tx: &mut dyn WriteTx, actor: &Actor, number: &str, as_of: Date) -> Result<Revoked> {
    let stored = customer_by_number(tx, number)?;
    actor.require(Action::RevokeLinks, stored.customer.account_manager)?;
    let revoked = tx.revoke_portal_tokens(stored.id, as_of)?;
    tx.add_event(&TimelineEvent {
        customer: stored.id,
        date: as_of,
        kind: "portal".into(),
        invoice: None,
        ref_id: None,
        text: format!("Links to the customer's own page revoked ({revoked})"),
        text_nl: Some(format!(
            "Links naar de eigen pagina van de klant ingetrokken ({revoked})"
        )),
        author: Some(actor.id.clone()),
    })?;
    actor.audit(
        tx,
        "portal.revoke",
        &stored.customer.number,
        Detail::none().number(Label::Links, revoked),
    )?;
    Ok(Revoked {
        customer: stored.customer.number,
        revoked,
    })
}

/// The customer a link opens on `as_of`, if it does: unknown, malformed,
/// expired and revoked links are all just `None` (the page says the same
/// for each, so nothing can be learned by trying).
pub fn open(tx: &mut dyn ReadTx, token: &str, as_of: Date) -> Result<Option<StoredCustomer>> {
    if !well_formed(token) {
        return Ok(None);
    }
    let Some(link) = tx.portal_token(&token_hash(token))? else {
        return Ok(None);
    };
    if !rules::link_valid(
        as_of,
        link.issued_on,
        link.expires_on,
        link.revoked_on.is_some(),
    ) {
        return Ok(None);
    }
    Ok(tx.customer(link.customer)?)
}

// --- the page -------------------------------------------------------------

/// Who the customer deals with.
#[derive(Debug, Clone, Serialize)]
pub struct ContactPerson {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// An account manager (else credit management).
    pub account_manager: bool,
}

/// An open invoice on the page.
#[derive(Debug, Clone, Serialize)]
pub struct OpenInvoice {
    pub number: String,
    #[serde(serialize_with = "crate::ser::date")]
    pub issue_date: Date,
    #[serde(serialize_with = "crate::ser::date")]
    pub due_date: Date,
    pub amount_minor: i64,
    /// Already paid or credited.
    pub paid_minor: i64,
    pub open_minor: i64,
    /// Negative: days until due.
    pub days_overdue: i32,
    /// A problem reported and not yet solved.
    pub disputed: bool,
}

/// How to pay.
#[derive(Debug, Clone, Serialize)]
pub struct HowToPay {
    pub beneficiary: String,
    /// In groups of four.
    pub iban: String,
    pub bic: Option<String>,
    pub reference: String,
    pub amount_minor: i64,
    /// With a plan running: the day the instalment to pay is due.
    #[serde(serialize_with = "crate::ser::opt_date")]
    pub instalment_due: Option<Date>,
    /// The GiroCode (EPC QR) text, euros only.
    pub epc: Option<String>,
    /// The "pay now" address, when configured.
    pub pay_now: Option<String>,
}

/// A promise or plan the customer has running.
#[derive(Debug, Clone, Serialize)]
pub struct Running {
    pub kind: &'static str,
    pub amount_minor: i64,
    #[serde(serialize_with = "crate::ser::opt_date")]
    pub on: Option<Date>,
    /// A plan's instalments: day and amount.
    pub schedule: Vec<Instalment>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Instalment {
    pub number: u32,
    #[serde(serialize_with = "crate::ser::date")]
    pub due_on: Date,
    pub amount_minor: i64,
}

/// A request the customer made, as they read it back.
#[derive(Debug, Clone, Serialize)]
pub struct Sent {
    pub id: i64,
    #[serde(serialize_with = "crate::ser::date")]
    pub created_on: Date,
    pub text: String,
    /// `accepted`, `request` or `noted`.
    pub outcome: String,
}

/// What the customer may do (what they may not is not shown).
#[derive(Debug, Clone, Serialize)]
pub struct May {
    pub paid: bool,
    pub promise: bool,
    pub plan: bool,
    pub problem: bool,
}

/// The customer's page.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub number: String,
    pub name: String,
    pub language: &'static str,
    pub company: String,
    pub company_phone: Option<String>,
    pub company_email: Option<String>,
    pub company_website: Option<String>,
    pub contact: ContactPerson,
    pub currency: String,
    pub invoices: Vec<OpenInvoice>,
    pub total_open_minor: i64,
    pub overdue_minor: i64,
    pub pay: Option<HowToPay>,
    pub running: Vec<Running>,
    pub sent: Vec<Sent>,
    pub may: May,
    pub plan_max_instalments: u32,
    #[serde(serialize_with = "crate::ser::date")]
    pub as_of: Date,
    /// A promise of everything overdue, within the days, would be agreed
    /// at once (no promise broken recently): the page may say so.
    pub promise_at_once: bool,
    /// A plan of two instalments starting today would be agreed at once
    /// (class, amount): the page may say so.
    pub plan_at_once: bool,
    /// The latest day a promise may name and be accepted at once.
    #[serde(serialize_with = "crate::ser::date")]
    pub promise_until: Date,
}

fn contact_of(
    tx: &mut dyn ReadTx,
    config: &Config,
    stored: &StoredCustomer,
) -> Result<ContactPerson> {
    if let Some(id) = stored.customer.account_manager
        && let Some((_, manager)) = tx.account_managers()?.into_iter().find(|(m, _)| *m == id)
    {
        return Ok(ContactPerson {
            name: manager.name,
            email: manager.email.map(|e| e.as_str().to_string()),
            phone: config.company.phone.clone(),
            account_manager: true,
        });
    }
    let collector = &config.company.collector;
    Ok(ContactPerson {
        name: collector.name.clone(),
        email: collector
            .email
            .clone()
            .or_else(|| config.company.email.clone()),
        phone: collector
            .phone
            .clone()
            .or_else(|| config.company.phone.clone()),
        account_manager: false,
    })
}

/// The payment description for `invoices` (number, own reference): the
/// invoice's reference when one, else the customer and invoice numbers.
fn reference_for(
    number: &str,
    invoices: &[(String, Option<String>)],
    language: Language,
) -> String {
    crate::dunning::compose::payment_reference(number, invoices, language)
}

/// The page of `stored` on `as_of`.
pub fn page(
    tx: &mut dyn ReadTx,
    config: &Config,
    stored: &StoredCustomer,
    class: Option<char>,
    language: Language,
    as_of: Date,
) -> Result<Page> {
    let customer = &stored.customer;
    let documents = tx.customer_documents(stored.id, as_of)?;
    let disputed: rustc_hash::FxHashSet<_> = tx
        .disputes(Some(stored.id), true)?
        .into_iter()
        .map(|d| d.dispute.invoice)
        .collect();
    let currency = documents
        .iter()
        .map(|d| d.invoice.amount.currency)
        .next()
        .unwrap_or(Currency::EUR);
    let mut invoices = Vec::new();
    let mut refs = Vec::new();
    let (mut total, mut overdue) = (0i64, 0i64);
    let mut credit = 0i64;
    for d in &documents {
        if d.invoice.amount.currency != currency {
            continue;
        }
        if d.invoice.amount.minor < 0 {
            credit = credit.saturating_add(-d.open_minor.min(0));
            continue;
        }
        if d.open_minor <= 0 {
            continue;
        }
        let days = d.invoice.due_date.days_until(as_of);
        total = total.saturating_add(d.open_minor);
        if days > 0 {
            overdue = overdue.saturating_add(d.open_minor);
        }
        let is_disputed = disputed.contains(&d.id);
        if days > 0 && !is_disputed {
            refs.push((
                d.invoice.number.clone(),
                d.invoice
                    .payment_reference
                    .as_ref()
                    .map(|r| r.as_str().to_string()),
            ));
        }
        invoices.push(OpenInvoice {
            number: d.invoice.number.clone(),
            issue_date: d.invoice.issue_date,
            due_date: d.invoice.due_date,
            amount_minor: d.invoice.amount.minor,
            paid_minor: d.invoice.amount.minor - d.open_minor,
            open_minor: d.open_minor,
            days_overdue: days,
            disputed: is_disputed,
        });
    }
    invoices.sort_by(|a, b| a.due_date.cmp(&b.due_date).then(a.number.cmp(&b.number)));
    // What to pay now: with a plan running, the next instalment (what is
    // left of it); else the overdue invoices not in dispute; when nothing
    // is overdue, everything open.
    let plans = tx.plans(Some(stored.id), true)?;
    let mut next_instalment: Option<(Date, i64)> = None;
    if let Some(plan) = plans.first() {
        let (_, paid) = crate::agreements::plan_status_on(
            tx,
            &plan.plan,
            as_of,
            config.dunning.plan_grace_days,
        )?;
        let interval = tegoed_core::agreements::Interval::parse(&plan.plan.interval)
            .unwrap_or(tegoed_core::agreements::Interval::Months(1));
        let mut cumulative = 0i64;
        for i in tegoed_core::agreements::instalments(
            plan.plan.total.minor,
            plan.plan.instalments,
            plan.plan.first_due,
            interval,
        ) {
            cumulative = cumulative.saturating_add(i.amount_minor);
            if cumulative > paid {
                next_instalment = Some((i.due_on, cumulative - paid));
                break;
            }
        }
    }
    let payable: i64 = match next_instalment {
        Some((_, left)) => left,
        None => invoices
            .iter()
            .filter(|i| !i.disputed && (i.days_overdue > 0 || overdue == 0))
            .map(|i| i.open_minor)
            .sum(),
    };
    if overdue == 0 {
        refs = invoices
            .iter()
            .filter(|i| !i.disputed)
            .map(|i| {
                let own = documents
                    .iter()
                    .find(|d| d.invoice.number == i.number)
                    .and_then(|d| d.invoice.payment_reference.as_ref())
                    .map(|r| r.as_str().to_string());
                (i.number.clone(), own)
            })
            .collect();
    }
    let pay = config
        .company
        .iban
        .as_ref()
        .filter(|_| payable > 0)
        .map(|iban| {
            let reference = reference_for(&customer.number, &refs, language);
            let epc = (currency == Currency::EUR)
                .then(|| {
                    tegoed_formats::epc::payload(&tegoed_formats::epc::Transfer {
                        beneficiary: &config.company.name,
                        iban: iban.as_str(),
                        bic: config.company.bic.as_deref(),
                        amount_minor: payable,
                        reference: &reference,
                    })
                    .ok()
                })
                .flatten();
            let pay_now = config.portal.pay_url.as_ref().map(|template| {
                template
                    .replace(
                        "{amount}",
                        &Money::new(payable, currency).to_decimal_string(),
                    )
                    .replace("{reference}", &url_encode(&reference))
            });
            HowToPay {
                beneficiary: config.company.name.clone(),
                iban: iban
                    .as_str()
                    .as_bytes()
                    .chunks(4)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect::<Vec<_>>()
                    .join(" "),
                bic: config.company.bic.clone(),
                reference,
                amount_minor: payable,
                instalment_due: next_instalment.map(|(due, _)| due),
                epc,
                pay_now,
            }
        });
    let mut running = Vec::new();
    for p in tx.promises(Some(stored.id), true)? {
        running.push(Running {
            kind: "promise",
            amount_minor: p.promise.amount.minor,
            on: Some(p.promise.promised_on),
            schedule: Vec::new(),
        });
    }
    for p in &plans {
        let interval = tegoed_core::agreements::Interval::parse(&p.plan.interval)
            .unwrap_or(tegoed_core::agreements::Interval::Months(1));
        running.push(Running {
            kind: "plan",
            amount_minor: p.plan.total.minor,
            on: Some(p.plan.first_due),
            schedule: tegoed_core::agreements::instalments(
                p.plan.total.minor,
                p.plan.instalments,
                p.plan.first_due,
                interval,
            )
            .into_iter()
            .map(|i| Instalment {
                number: i.number,
                due_on: i.due_on,
                amount_minor: i.amount_minor,
            })
            .collect(),
        });
    }
    let sent = tx
        .portal_requests(Some(stored.id), as_of.add_days(-90))?
        .into_iter()
        .take(20)
        .map(|r| Sent {
            id: r.id,
            created_on: r.request.created_on,
            text: describe(&r.request, &documents_numbers(&documents), language, false),
            outcome: r.request.outcome,
        })
        .collect();
    let contact = contact_of(tx, config, stored)?;
    let plan_active = !plans.is_empty();
    let limits = &config.portal.limits;
    let broken: Vec<Date> = tx
        .promises(Some(stored.id), false)?
        .into_iter()
        .filter(|p| p.promise.status == tegoed_core::agreements::PromiseStatus::Broken)
        .filter_map(|p| p.promise.status_on)
        .collect();
    let promise_at_once = rules::promise(limits, as_of, as_of, overdue, overdue, &broken).is_ok();
    let plan_at_once = rules::plan(
        limits,
        as_of,
        &PlanAsk {
            instalments: 2,
            first: as_of,
            total_minor: overdue,
            class,
            has_active_plan: plan_active,
        },
    )
    .is_ok();
    Ok(Page {
        number: customer.number.clone(),
        name: customer.name.clone(),
        language: language.as_str(),
        company: config.company.name.clone(),
        company_phone: config.company.phone.clone(),
        company_email: config.company.email.clone(),
        company_website: config.company.website.clone(),
        contact,
        currency: currency.code().to_string(),
        may: May {
            paid: total > 0,
            promise: overdue > 0 && !plan_active,
            plan: overdue > 0 && !plan_active && config.portal.limits.plan_max_instalments > 1,
            problem: invoices.iter().any(|i| !i.disputed),
        },
        invoices,
        total_open_minor: total,
        overdue_minor: overdue,
        pay,
        running,
        sent,
        plan_max_instalments: config.portal.limits.plan_max_instalments.max(2),
        as_of,
        promise_until: as_of.add_days(config.portal.limits.promise_max_days),
        promise_at_once,
        plan_at_once,
    })
}

fn documents_numbers(
    documents: &[tegoed_store::DocumentState],
) -> rustc_hash::FxHashMap<tegoed_core::InvoiceId, String> {
    documents
        .iter()
        .map(|d| (d.id, d.invoice.number.clone()))
        .collect()
}

/// Percent-encodes a text for a URL's query.
fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The GiroCode of the page as a PNG, when there is one (euros, an IBAN
/// configured, something to pay).
pub fn girocode_png(page: &Page) -> Option<Vec<u8>> {
    let epc = page.pay.as_ref()?.epc.as_deref()?;
    Some(tegoed_formats::epc::QrMatrix::encode(epc).ok()?.to_png(6))
}

/// The statement as a PDF letter: what is open and how to pay.
pub fn statement_pdf(config: &Config, page: &Page, language: Language) -> Vec<u8> {
    use crate::dunning::document::{Document, Letterhead, PayInfo, Row, Signature, Total};
    let nl = language == Language::Nl;
    let document = Document {
        language,
        date: page.as_of,
        currency: page.currency.clone(),
        subject: if nl {
            format!("Overzicht van uw openstaande facturen bij {}", page.company)
        } else {
            format!("Your open invoices with {}", page.company)
        },
        recipient: vec![page.name.clone()],
        customer_number: page.number.clone(),
        opening: if nl {
            format!(
                "Dit is het overzicht van uw openstaande facturen op {}.",
                long_date(page.as_of, language)
            )
        } else {
            format!(
                "These are your open invoices on {}.",
                long_date(page.as_of, language)
            )
        },
        rows: page
            .invoices
            .iter()
            .map(|i| Row {
                number: i.number.clone(),
                issue_date: i.issue_date,
                due_date: i.due_date,
                days_overdue: i.days_overdue,
                open_minor: i.open_minor,
            })
            .collect(),
        totals: vec![Total {
            label: if nl { "Totaal open" } else { "Total open" }.into(),
            minor: page.total_open_minor,
            strong: true,
        }],
        pay: page.pay.as_ref().map(|p| PayInfo {
            amount_minor: p.amount_minor,
            beneficiary: p.beneficiary.clone(),
            iban: p.iban.replace(' ', ""),
            bic: p.bic.clone(),
            reference: p.reference.clone(),
            pay_by: page.as_of,
            epc: p.epc.clone(),
        }),
        closing: if nl {
            "Vragen? Neem gerust contact met ons op.".into()
        } else {
            "Questions? Please get in touch.".into()
        },
        signature: Signature {
            name: page.contact.name.clone(),
            title: Signature::title(page.contact.account_manager, &page.company, language),
            email: page.contact.email.clone(),
            phone: page.contact.phone.clone(),
        },
        letterhead: Letterhead::of(&config.company),
        portal: None,
    };
    document.pdf()
}

// --- the actions ----------------------------------------------------------

/// What a customer asks on their page, as checked input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    /// "I have already paid".
    Paid {
        on: Date,
        amount_minor: i64,
        note: Option<String>,
    },
    /// "I will pay on …".
    Promise {
        on: Date,
        amount_minor: i64,
        note: Option<String>,
    },
    /// "I'd like a payment plan".
    Plan {
        instalments: u32,
        first: Date,
        note: Option<String>,
    },
    /// "There is a problem with this invoice".
    Problem {
        invoice: String,
        problem: Problem,
        note: Option<String>,
    },
    /// "Please contact me".
    Contact {
        how: Contact,
        when: DayPart,
        phone: Option<String>,
        note: Option<String>,
    },
}

impl Ask {
    pub fn kind(&self) -> &'static str {
        match self {
            Ask::Paid { .. } => "paid",
            Ask::Promise { .. } => "promise",
            Ask::Plan { .. } => "plan",
            Ask::Problem { .. } => "problem",
            Ask::Contact { .. } => "contact",
        }
    }
}

/// A field of a portal form that was not right, with what to do, in the
/// customer's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// A note as written: trimmed, at most [`MAX_NOTE`] characters, control
/// characters (but line breaks) removed; empty is none.
pub fn clean_note(text: &str) -> Option<String> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| (!c.is_control() || *c == '\n') && !is_bidi_control(*c))
        .take(MAX_NOTE)
        .collect();
    (!cleaned.is_empty()).then_some(cleaned)
}

/// Characters that reorder text around them (right-to-left overrides and
/// isolates): in a note they would turn the team's own words around it.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// An amount as a customer types it (`1.234,56`, `1234.56`, `€ 50`),
/// in cents; `None` when it is not one.
pub fn parse_customer_amount(text: &str) -> Option<i64> {
    let t: String = text
        .trim()
        .trim_start_matches('€')
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if t.is_empty() || t.len() > 20 {
        return None;
    }
    // The last separator followed by one or two digits is the decimal one.
    let last = t.rfind([',', '.']);
    let (int, frac) = match last {
        Some(i) if t.len() - i - 1 <= 2 && t.len() - i > 1 => (&t[..i], &t[i + 1..]),
        _ => (t.as_str(), ""),
    };
    let int: String = int.chars().filter(|c| *c != '.' && *c != ',').collect();
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = int.parse().ok()?;
    let cents: i64 = format!("{frac:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(cents)
}

/// What happened, for the confirmation page and e-mail.
#[derive(Debug, Clone, Serialize)]
pub struct Receipt {
    pub id: i64,
    pub kind: &'static str,
    /// `accepted`, `request` or `noted`.
    pub outcome: String,
    /// What the customer asked, in their words (their language).
    pub summary: String,
    /// What happens next, in their language.
    pub next: String,
    /// A plan's schedule, when accepted.
    pub schedule: Vec<Instalment>,
    /// This exact request was already made today (nothing recorded again).
    pub repeated: bool,
    /// The person who follows up.
    pub contact: ContactPerson,
    /// Where a staff notice goes (the account manager, for a problem).
    #[serde(skip)]
    pub notify: Option<(String, String, String)>,
}

/// The actor for a customer acting on their own page: a collector's rights,
/// exercised only on the customer the link opens (the use cases below
/// never take a customer from the form).
fn portal_actor(stored: &StoredCustomer, language: Language, at: i64) -> Actor {
    Actor::portal(&stored.customer.number, language, at)
}

fn team_why(why: &Why, language: Language) -> String {
    let nl = language == Language::Nl;
    match why {
        Why::TooFar { max_days } if nl => format!("verder dan {max_days} dagen vooruit"),
        Why::TooFar { max_days } => format!("more than {max_days} days ahead"),
        Why::BrokenRecently { on } if nl => {
            format!(
                "eerdere toezegging gebroken op {}",
                short_date(*on, language)
            )
        }
        Why::BrokenRecently { on } => {
            format!(
                "an earlier promise was broken on {}",
                short_date(*on, language)
            )
        }
        Why::TooManyInstalments { max } if nl => format!("meer dan {max} termijnen"),
        Why::TooManyInstalments { max } => format!("more than {max} instalments"),
        Why::TooLarge { max_minor } if nl => format!(
            "meer dan {} (grens voor een eigen regeling)",
            Money::eur(*max_minor).display_in(Language::Nl)
        ),
        Why::TooLarge { max_minor } => format!(
            "more than {} (the limit for a self-service plan)",
            Money::eur(*max_minor).display()
        ),
        Why::Class { class: Some(c) } if nl => {
            format!("risicoklasse {c} mag niet zelf een regeling treffen")
        }
        Why::Class { class: Some(c) } => format!("risk class {c} may not set up a plan alone"),
        Why::Class { class: None } if nl => "klant zonder risicoklasse".into(),
        Why::Class { class: None } => "customer without a risk class".into(),
        Why::PlanActive if nl => "er loopt al een regeling".into(),
        Why::PlanActive => "a plan is already active".into(),
        Why::Partial { overdue_minor } if nl => format!(
            "minder dan de {} over de vervaldatum",
            Money::eur(*overdue_minor).display_in(Language::Nl)
        ),
        Why::Partial { overdue_minor } => format!(
            "less than the {} past its due date",
            Money::eur(*overdue_minor).display()
        ),
    }
}

/// A request in words: for the customer (`team` false: "You said …") or
/// for the team ("Says …").
fn describe(
    r: &PortalRequest,
    numbers: &rustc_hash::FxHashMap<tegoed_core::InvoiceId, String>,
    language: Language,
    team: bool,
) -> String {
    let nl = language == Language::Nl;
    let money = |minor: Option<Money>| minor.map(|m| m.display_in(language)).unwrap_or_default();
    let day = |d: Option<Date>| d.map(|d| long_date(d, language)).unwrap_or_default();
    let invoice = r
        .invoice
        .and_then(|i| numbers.get(&i).cloned())
        .unwrap_or_default();
    let mut text = match (r.kind.as_str(), nl, team) {
        ("paid", true, false) => {
            format!("U hebt {} betaald op {}", money(r.amount), day(r.on_date))
        }
        ("paid", false, false) => format!("You paid {} on {}", money(r.amount), day(r.on_date)),
        ("paid", true, true) => format!(
            "Zegt {} betaald te hebben op {}",
            money(r.amount),
            day(r.on_date)
        ),
        ("paid", false, true) => {
            format!("Says they paid {} on {}", money(r.amount), day(r.on_date))
        }
        ("promise", true, false) => format!("U betaalt {} op {}", money(r.amount), day(r.on_date)),
        ("promise", false, false) => {
            format!("You will pay {} on {}", money(r.amount), day(r.on_date))
        }
        ("promise", true, true) if r.outcome == "accepted" => format!(
            "Heeft toegezegd {} te betalen op {}",
            money(r.amount),
            day(r.on_date)
        ),
        ("promise", false, true) if r.outcome == "accepted" => {
            format!("Promised to pay {} on {}", money(r.amount), day(r.on_date))
        }
        ("plan", true, true) if r.outcome == "accepted" => format!(
            "Betalingsregeling afgesproken: {} termijnen vanaf {}",
            r.instalments.unwrap_or(0),
            day(r.on_date)
        ),
        ("plan", false, true) if r.outcome == "accepted" => format!(
            "Payment plan agreed: {} instalments from {}",
            r.instalments.unwrap_or(0),
            day(r.on_date)
        ),
        ("promise", true, true) => format!(
            "Belooft {} te betalen op {}",
            money(r.amount),
            day(r.on_date)
        ),
        ("promise", false, true) => {
            format!("Promises to pay {} on {}", money(r.amount), day(r.on_date))
        }
        ("plan", true, false) => format!(
            "Betalingsregeling in {} termijnen vanaf {}",
            r.instalments.unwrap_or(0),
            day(r.on_date)
        ),
        ("plan", false, false) => format!(
            "A payment plan in {} instalments from {}",
            r.instalments.unwrap_or(0),
            day(r.on_date)
        ),
        ("plan", true, true) => format!(
            "Vraagt een betalingsregeling in {} termijnen vanaf {}",
            r.instalments.unwrap_or(0),
            day(r.on_date)
        ),
        ("plan", false, true) => format!(
            "Asks for a payment plan in {} instalments from {}",
            r.instalments.unwrap_or(0),
            day(r.on_date)
        ),
        ("problem", _, _) => {
            let label = r
                .reason
                .as_deref()
                .and_then(Problem::parse)
                .map(|p| p.label(language))
                .unwrap_or_default();
            if nl {
                format!("Probleem met factuur {invoice}: {label}")
            } else {
                format!("Problem with invoice {invoice}: {label}")
            }
        }
        ("contact", _, _) => {
            let (how, when) = r
                .reason
                .as_deref()
                .and_then(|s| s.split_once('/'))
                .map(|(h, w)| {
                    (
                        Contact::parse(h)
                            .map(|c| c.label(language))
                            .unwrap_or_default(),
                        DayPart::parse(w)
                            .map(|d| d.label(language))
                            .unwrap_or_default(),
                    )
                })
                .unwrap_or_default();
            match (nl, team) {
                (true, false) => format!("U wilt {how} contact, {when}"),
                (false, false) => format!("You would like us to contact you {how}, {when}"),
                (true, true) => format!("Wil {how} contact, {when}"),
                (false, true) => format!("Asks to be contacted {how}, {when}"),
            }
        }
        _ => r.kind.clone(),
    };
    if team && let Some(note) = &r.text {
        text.push_str(if nl { " — „" } else { " — “" });
        text.push_str(note);
        text.push('”');
    }
    text
}

/// Carries out what the customer asked on their page (see the module
/// documentation). `class` is the customer's risk class, for the plan
/// limits. Errors at a field come back as [`AppError::Invalid`] with
/// `field: message` — the web edge shows them at the form.
#[allow(clippy::too_many_arguments)]
pub fn act(
    tx: &mut dyn WriteTx,
    config: &Config,
    stored: &StoredCustomer,
    ask: &Ask,
    class: Option<char>,
    language: Language,
    as_of: Date,
    at: i64,
) -> Result<std::result::Result<Receipt, FieldError>> {
    let actor = portal_actor(stored, language, at);
    let limits = &config.portal.limits;
    let nl = language == Language::Nl;
    let team_lang = config.company.language;
    let documents = tx.customer_documents(stored.id, as_of)?;
    let numbers = documents_numbers(&documents);
    let overdue_minor: i64 = documents
        .iter()
        .filter(|d| d.invoice.amount.minor > 0 && d.open_minor > 0 && d.invoice.due_date < as_of)
        .map(|d| d.open_minor)
        .sum();
    let currency = documents
        .iter()
        .map(|d| d.invoice.amount.currency)
        .next()
        .unwrap_or(Currency::EUR);
    let field = |field: &'static str, nl_text: &str, en_text: &str| {
        Ok(Err(FieldError {
            field,
            message: if nl { nl_text } else { en_text }.to_string(),
        }))
    };
    // Check the input the way the form explains it.
    let mut request = PortalRequest {
        customer: stored.id,
        kind: ask.kind().into(),
        created_on: as_of,
        created_at: at,
        on_date: None,
        amount: None,
        instalments: None,
        invoice: None,
        reason: None,
        text: None,
        outcome: "noted".into(),
        why: None,
        ref_id: None,
        task: None,
        fingerprint: String::new(),
    };
    match ask {
        Ask::Paid {
            on,
            amount_minor,
            note,
        } => {
            if *on > as_of {
                return field(
                    "on",
                    "Die datum ligt in de toekomst.",
                    "That date is in the future.",
                );
            }
            if as_of.days_until(*on) < -366 {
                return field(
                    "on",
                    "Kies een datum in het afgelopen jaar.",
                    "Choose a date in the past year.",
                );
            }
            if *amount_minor <= 0 || *amount_minor > MAX_AMOUNT {
                return field(
                    "amount",
                    "Vul het bedrag in dat u betaalde.",
                    "Fill in the amount you paid.",
                );
            }
            request.on_date = Some(*on);
            request.amount = Some(Money::new(*amount_minor, currency));
            request.text = note.clone();
        }
        Ask::Promise {
            on,
            amount_minor,
            note,
        } => {
            if overdue_minor <= 0 {
                return field("on", "Er staat niets te laat open.", "Nothing is overdue.");
            }
            if *on < as_of {
                return field(
                    "on",
                    "Kies vandaag of een latere datum.",
                    "Choose today or a later date.",
                );
            }
            if as_of.days_until(*on) > 366 {
                return field(
                    "on",
                    "Kies een datum binnen een jaar.",
                    "Choose a date within a year.",
                );
            }
            if *amount_minor <= 0 || *amount_minor > MAX_AMOUNT {
                return field(
                    "amount",
                    "Vul het bedrag in dat u gaat betalen.",
                    "Fill in the amount you will pay.",
                );
            }
            request.on_date = Some(*on);
            request.amount = Some(Money::new(*amount_minor, currency));
            request.text = note.clone();
        }
        Ask::Plan {
            instalments,
            first,
            note,
        } => {
            if overdue_minor <= 0 {
                return field(
                    "first",
                    "Er staat niets te laat open.",
                    "Nothing is overdue.",
                );
            }
            if !(2..=24).contains(instalments) {
                return field(
                    "instalments",
                    "Kies 2 tot en met 24 termijnen.",
                    "Choose 2 to 24 instalments.",
                );
            }
            if *first < as_of || as_of.days_until(*first) > 366 {
                return field(
                    "first",
                    "Kies vandaag of een datum binnen een jaar.",
                    "Choose today or a date within a year.",
                );
            }
            request.on_date = Some(*first);
            request.instalments = Some(*instalments);
            request.amount = Some(Money::new(overdue_minor, currency));
            request.text = note.clone();
        }
        Ask::Problem {
            invoice,
            problem,
            note,
        } => {
            let Some(doc) = documents.iter().find(|d| {
                d.invoice.number == *invoice && d.invoice.amount.minor > 0 && d.open_minor > 0
            }) else {
                return field(
                    "invoice",
                    "Kies een van uw openstaande facturen.",
                    "Choose one of your open invoices.",
                );
            };
            if *problem == Problem::Other && note.is_none() {
                return field(
                    "note",
                    "Vertel kort wat er is.",
                    "Tell us briefly what is wrong.",
                );
            }
            request.invoice = Some(doc.id);
            request.reason = Some(problem.as_str().into());
            request.text = note.clone();
        }
        Ask::Contact {
            how,
            when,
            phone,
            note,
        } => {
            if let Some(p) = phone
                && (p.len() > 30 || !p.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c)))
            {
                return field(
                    "phone",
                    "Vul een telefoonnummer in (alleen cijfers, spaties en +).",
                    "Fill in a phone number (digits, spaces and + only).",
                );
            }
            request.reason = Some(format!("{}/{}", how.as_str(), when.as_str()));
            request.text = match (phone, note) {
                (Some(p), Some(n)) => Some(format!("{p} — {n}")),
                (Some(p), None) => Some(p.clone()),
                (None, n) => n.clone(),
            };
        }
    }
    request.fingerprint = fingerprint(&request);
    let contact = contact_of(tx, config, stored)?;
    // Once per customer, day and content.
    let Some(id) = tx.insert_portal_request(&request)? else {
        let earlier = tx
            .portal_requests(Some(stored.id), as_of)?
            .into_iter()
            .find(|r| r.request.fingerprint == request.fingerprint)
            .ok_or_else(|| AppError::Conflict("the same request is being recorded".into()))?;
        let mut receipt = receipt_of(tx, config, &earlier, &numbers, language, contact)?;
        receipt.repeated = true;
        return Ok(Ok(receipt));
    };
    let number = stored.customer.number.clone();
    let team_text = describe(&request, &numbers, team_lang, true);
    let (mut outcome, mut why, mut ref_id, mut task) = ("noted", None::<String>, None, None);
    let mut notify = None;
    let manager_name = contact.account_manager.then(|| contact.name.clone());
    let new_task =
        |kind: &str, assignee: Option<String>, title: String, due: Date, amount: i64| Task {
            customer: stored.id,
            message: None,
            kind: kind.into(),
            created_on: as_of,
            due_on: due,
            assignee,
            title,
            talking_points: request.text.clone().unwrap_or_default(),
            amount: Money::new(amount, currency),
        };
    match ask {
        Ask::Paid {
            on, amount_minor, ..
        } => {
            // Look for it on the payments queue; dunning waits meanwhile.
            if limits.paid_pause_days > 0 {
                pause_at_least(
                    tx,
                    stored.id,
                    as_of.add_days(limits.paid_pause_days),
                    if team_lang == Language::Nl {
                        format!(
                            "klant zegt betaald te hebben op {}",
                            short_date(*on, team_lang)
                        )
                    } else {
                        format!("customer says they paid on {}", short_date(*on, team_lang))
                    },
                )?;
            }
            // More than is open: say so, it may be a typing mistake.
            let open: i64 = documents
                .iter()
                .filter(|d| d.invoice.amount.minor > 0 && d.open_minor > 0)
                .map(|d| d.open_minor)
                .sum();
            let team_text = if *amount_minor > open {
                match team_lang {
                    Language::Nl => format!(
                        "{team_text} (meer dan de {} die openstaat)",
                        Money::new(open, currency).display_in(Language::Nl)
                    ),
                    Language::En => format!(
                        "{team_text} (more than the {} open)",
                        Money::new(open, currency).display()
                    ),
                }
            } else {
                team_text.clone()
            };
            task = Some(tx.insert_task(&new_task(
                "portal_paid",
                None,
                team_text.clone(),
                as_of,
                *amount_minor,
            ))?);
        }
        Ask::Promise {
            on,
            amount_minor,
            note,
        } => {
            let broken: Vec<Date> = tx
                .promises(Some(stored.id), false)?
                .into_iter()
                .filter(|p| p.promise.status == tegoed_core::agreements::PromiseStatus::Broken)
                .filter_map(|p| p.promise.status_on)
                .collect();
            match rules::promise(limits, as_of, *on, *amount_minor, overdue_minor, &broken) {
                Ok(()) => {
                    let amount = Money::new(*amount_minor, currency).to_decimal_string();
                    let line = crate::agreements::add_promise(
                        tx,
                        &actor,
                        &number,
                        &amount,
                        *on,
                        &[],
                        note.as_deref(),
                        as_of,
                    )?;
                    outcome = "accepted";
                    ref_id = Some(line.id);
                }
                Err(w) => {
                    outcome = "request";
                    why = Some(w.code());
                    task = Some(tx.insert_task(&new_task(
                        "portal_request",
                        None,
                        format!("{team_text} ({})", team_why(&w, team_lang)),
                        as_of,
                        *amount_minor,
                    ))?);
                }
            }
        }
        Ask::Plan {
            instalments, first, ..
        } => {
            let ask_plan = PlanAsk {
                instalments: *instalments,
                first: *first,
                total_minor: overdue_minor,
                class,
                has_active_plan: !tx.plans(Some(stored.id), true)?.is_empty(),
            };
            match rules::plan(limits, as_of, &ask_plan) {
                Ok(()) => {
                    let line = crate::agreements::create_plan(
                        tx,
                        &actor,
                        &number,
                        *instalments,
                        *first,
                        "1m",
                        config.dunning.plan_grace_days,
                        as_of,
                    )?;
                    outcome = "accepted";
                    ref_id = Some(line.id);
                }
                Err(w) => {
                    outcome = "request";
                    why = Some(w.code());
                    task = Some(tx.insert_task(&new_task(
                        "portal_plan",
                        None,
                        format!("{team_text} ({})", team_why(&w, team_lang)),
                        as_of,
                        overdue_minor,
                    ))?);
                }
            }
        }
        Ask::Problem {
            invoice,
            problem,
            note,
        } => {
            let reason = match note {
                // "Something else": the customer's own words say what.
                Some(n) if *problem == Problem::Other => n.clone(),
                Some(n) => format!("{} — {n}", problem.label(team_lang)),
                None => problem.label(team_lang).to_string(),
            };
            let already = request
                .invoice
                .map(|i| tx.open_dispute_on(i))
                .transpose()?
                .flatten();
            ref_id = match already {
                Some(open) => Some(open.id),
                None => {
                    Some(crate::agreements::open_dispute(tx, &actor, invoice, &reason, as_of)?.id)
                }
            };
            let open_minor = documents
                .iter()
                .find(|d| d.invoice.number == *invoice)
                .map_or(0, |d| d.open_minor);
            task = Some(tx.insert_task(&new_task(
                "portal_problem",
                manager_name.clone(),
                team_text.clone(),
                as_of.add_working_days(1),
                open_minor,
            ))?);
            if contact.account_manager
                && let Some(email) = &contact.email
            {
                notify = Some((
                    email.clone(),
                    if team_lang == Language::Nl {
                        format!(
                            "{} meldt een probleem met factuur {invoice}",
                            stored.customer.name
                        )
                    } else {
                        format!(
                            "{} reports a problem with invoice {invoice}",
                            stored.customer.name
                        )
                    },
                    staff_notice(stored, &team_text, team_lang),
                ));
            }
        }
        Ask::Contact { .. } => {
            task = Some(tx.insert_task(&new_task(
                "call",
                Some(manager_name.clone().unwrap_or_else(|| contact.name.clone())),
                team_text.clone(),
                as_of.add_working_days(1),
                overdue_minor,
            ))?);
        }
    }
    if outcome == "request" {
        // A person answers within two working days; no reminder meanwhile.
        pause_at_least(
            tx,
            stored.id,
            as_of.add_working_days(HOLD_WORKING_DAYS),
            match team_lang {
                Language::Nl => "klant vroeg via de eigen pagina om uitstel of een regeling".into(),
                Language::En => "customer asked for time or a plan on their own page".into(),
            },
        )?;
    }
    tx.set_portal_request_result(id, outcome, why.as_deref(), ref_id, task)?;
    request.outcome = outcome.into();
    request.why = why;
    request.ref_id = ref_id;
    request.task = task;
    let (en, nl_text) = (
        describe(&request, &numbers, Language::En, true),
        describe(&request, &numbers, Language::Nl, true),
    );
    let suffix = |l: Language| match (outcome, l) {
        ("accepted", Language::Nl) => " (direct geaccepteerd)",
        ("accepted", Language::En) => " (accepted at once)",
        ("request", Language::Nl) => " (ter beoordeling)",
        ("request", Language::En) => " (for review)",
        _ => "",
    };
    tx.add_event(&TimelineEvent {
        customer: stored.id,
        date: as_of,
        kind: "portal".into(),
        invoice: request.invoice,
        ref_id: Some(id),
        text: format!("Via their own page: {en}{}", suffix(Language::En)),
        text_nl: Some(format!(
            "Via de eigen pagina: {nl_text}{}",
            suffix(Language::Nl)
        )),
        author: Some(actor.id.clone()),
    })?;
    actor.audit(
        tx,
        &format!("portal.{}", ask.kind()),
        &number,
        Detail::none().word(Label::Outcome, outcome).both(
            Label::Message,
            describe(&request, &numbers, Language::Nl, true),
            describe(&request, &numbers, Language::En, true),
        ),
    )?;
    let stored_request = StoredPortalRequest { id, request };
    let mut receipt = receipt_of(tx, config, &stored_request, &numbers, language, contact)?;
    receipt.notify = notify;
    Ok(Ok(receipt))
}

/// Pauses dunning for `customer` up to and including `until`, unless a
/// pause already runs as long; `why` is the reason the team reads.
fn pause_at_least(
    tx: &mut dyn WriteTx,
    customer: CustomerId,
    until: Date,
    why: String,
) -> Result<()> {
    let mut state: CollectionState = tx.collection_state(customer)?;
    if state.pause_until.is_none_or(|u| u < until) {
        state.pause_until = Some(until);
        state.pause_reason = Some(why);
        tx.set_collection_state(customer, &state)?;
    }
    Ok(())
}

fn fingerprint(r: &PortalRequest) -> String {
    format!(
        "{}|{}|{}|{}|{}|{}|{}|{}",
        r.kind,
        r.created_on,
        r.on_date.map(|d| d.to_string()).unwrap_or_default(),
        r.amount.map(|a| a.minor).unwrap_or_default(),
        r.instalments.unwrap_or_default(),
        r.invoice.map(|i| i.0).unwrap_or_default(),
        r.reason.as_deref().unwrap_or_default(),
        token_hash(r.text.as_deref().unwrap_or_default()),
    )
}

fn staff_notice(stored: &StoredCustomer, text: &str, language: Language) -> String {
    match language {
        Language::Nl => format!(
            "{} ({}) meldde via de eigen pagina:\n\n{text}\n\nAanmaningen over deze factuur staan stil tot het geschil is opgelost. \
             Je vindt de taak onder Mijn klanten en op de klantpagina.\n",
            stored.customer.name, stored.customer.number
        ),
        Language::En => format!(
            "{} ({}) reported on their own page:\n\n{text}\n\nDunning on this invoice waits until the dispute is resolved. \
             The task is on My customers and the customer page.\n",
            stored.customer.name, stored.customer.number
        ),
    }
}

/// The confirmation of request `id` of this customer (`None` when it is
/// not theirs: a page never shows another customer's request).
pub fn receipt(
    tx: &mut dyn ReadTx,
    config: &Config,
    stored: &StoredCustomer,
    id: i64,
    language: Language,
    as_of: Date,
) -> Result<Option<Receipt>> {
    let Some(found) = tx
        .portal_requests(Some(stored.id), as_of.add_days(-366))?
        .into_iter()
        .find(|r| r.id == id)
    else {
        return Ok(None);
    };
    let documents = tx.customer_documents(stored.id, as_of)?;
    let numbers = documents_numbers(&documents);
    let contact = contact_of(tx, config, stored)?;
    Ok(Some(receipt_of(
        tx, config, &found, &numbers, language, contact,
    )?))
}

/// The receipt of a recorded request.
fn receipt_of(
    tx: &mut dyn ReadTx,
    config: &Config,
    stored: &StoredPortalRequest,
    numbers: &rustc_hash::FxHashMap<tegoed_core::InvoiceId, String>,
    language: Language,
    contact: ContactPerson,
) -> Result<Receipt> {
    let r = &stored.request;
    let nl = language == Language::Nl;
    let name = contact.name.clone();
    let kind: &'static str = match r.kind.as_str() {
        "paid" => "paid",
        "promise" => "promise",
        "plan" => "plan",
        "problem" => "problem",
        _ => "contact",
    };
    let mut schedule = Vec::new();
    let next = match (kind, r.outcome.as_str()) {
        ("paid", _) => {
            let until = r.created_on.add_days(config.portal.limits.paid_pause_days);
            if nl {
                format!(
                    "Dank u. We zoeken uw betaling op en sturen u tot en met {} geen herinnering over deze facturen.",
                    long_date(until, language)
                )
            } else {
                format!(
                    "Thank you. We will look for your payment and send no reminders about these invoices until {}.",
                    long_date(until, language)
                )
            }
        }
        ("promise", "accepted") => {
            if nl {
                "Afgesproken. Tot die datum sturen we u geen herinnering over deze facturen.".into()
            } else {
                "Agreed. Until that date we will send you no reminders about these invoices.".into()
            }
        }
        ("plan", "accepted") => {
            if let Some(plan) = r.ref_id.and_then(|id| {
                tx.plans(Some(r.customer), false)
                    .ok()?
                    .into_iter()
                    .find(|p| p.id == id)
            }) {
                let interval = tegoed_core::agreements::Interval::parse(&plan.plan.interval)
                    .unwrap_or(tegoed_core::agreements::Interval::Months(1));
                schedule = tegoed_core::agreements::instalments(
                    plan.plan.total.minor,
                    plan.plan.instalments,
                    plan.plan.first_due,
                    interval,
                )
                .into_iter()
                .map(|i| Instalment {
                    number: i.number,
                    due_on: i.due_on,
                    amount_minor: i.amount_minor,
                })
                .collect();
            }
            if nl {
                "Afgesproken. Zolang u de termijnen op tijd betaalt, sturen we u geen herinneringen.".into()
            } else {
                "Agreed. As long as you pay the instalments on time, we will send you no reminders."
                    .into()
            }
        }
        ("promise" | "plan", _) => {
            let reason = customer_reason(r, language);
            // A promise goes to the collectors, a plan to the credit
            // manager: say who, as the worklists do.
            let who = match (kind, nl) {
                ("promise", true) => {
                    format!("{} van debiteurenbeheer", config.company.collector.name)
                }
                ("promise", false) => {
                    format!("{} of our credit team", config.company.collector.name)
                }
                (_, true) => "Onze afdeling debiteurenbeheer".to_string(),
                (_, false) => "Our credit team".to_string(),
            };
            let until = r.created_on.add_working_days(HOLD_WORKING_DAYS);
            if nl {
                format!(
                    "{reason} {who} neemt binnen twee werkdagen contact met u op. Tot en met {} sturen we u geen herinnering.",
                    long_date(until, language)
                )
            } else {
                format!(
                    "{reason} {who} will contact you within two working days. Until {} we will send you no reminder.",
                    long_date(until, language)
                )
            }
        }
        ("problem", _) => {
            if nl {
                format!(
                    "Dank u voor uw melding. We sturen u geen herinneringen over deze factuur tot het is opgelost; {name} neemt contact met u op."
                )
            } else {
                format!(
                    "Thank you for letting us know. We will send no reminders about this invoice until it is solved; {name} will contact you."
                )
            }
        }
        _ => {
            if nl {
                format!("{name} neemt binnen twee werkdagen contact met u op.")
            } else {
                format!("{name} will contact you within two working days.")
            }
        }
    };
    Ok(Receipt {
        id: stored.id,
        kind,
        outcome: r.outcome.clone(),
        summary: describe(r, numbers, language, false),
        next,
        schedule,
        repeated: false,
        contact,
        notify: None,
    })
}

/// Why a promise or plan went to a person, in the customer's words.
fn customer_reason(r: &PortalRequest, language: Language) -> String {
    r.why
        .as_deref()
        .and_then(Why::parse_code)
        .map(|w| w.to_customer(language))
        .unwrap_or_default()
}

/// The confirmation e-mail to the customer, and the notice to the account
/// manager when there is one; written to the outbox or sent over SMTP like
/// every message. Gives what was written (paths), or the error — the
/// request itself is recorded either way.
pub fn send_confirmation(
    config: &Config,
    stored: &StoredCustomer,
    receipt: &Receipt,
    language: Language,
    link: Option<&str>,
) -> Result<Vec<String>> {
    let mut written = Vec::new();
    if receipt.repeated {
        return Ok(written);
    }
    let nl = language == Language::Nl;
    if let Some(to) = stored.customer.email.as_ref() {
        let mut body = String::new();
        body.push_str(&if nl {
            format!("Beste {},\n\n", stored.customer.name)
        } else {
            format!("Dear {},\n\n", stored.customer.name)
        });
        body.push_str(if nl {
            "Dit hebt u ons via uw eigen pagina laten weten:\n\n"
        } else {
            "This is what you told us on your own page:\n\n"
        });
        body.push_str(&format!("  {}\n", receipt.summary));
        for i in &receipt.schedule {
            body.push_str(&format!(
                "    {}. {}  {}\n",
                i.number,
                short_date(i.due_on, language),
                Money::eur(i.amount_minor).display_in(language)
            ));
        }
        body.push('\n');
        body.push_str(&receipt.next);
        body.push_str("\n\n");
        if let Some(link) = link {
            body.push_str(if nl {
                "Op uw eigen pagina ziet u altijd wat er openstaat:\n"
            } else {
                "Your own page always shows what is open:\n"
            });
            body.push_str(link);
            body.push_str("\n\n");
        }
        body.push_str(if nl {
            "Met vriendelijke groet,\n"
        } else {
            "Kind regards,\n"
        });
        body.push_str(&receipt.contact.name);
        body.push('\n');
        body.push_str(&config.company.name);
        body.push('\n');
        let subject = if nl {
            format!("We hebben uw bericht ontvangen – {}", config.company.name)
        } else {
            format!("We have received your message – {}", config.company.name)
        };
        let mail = plain_mail(
            config,
            &receipt.contact.name,
            receipt.contact.email.as_deref(),
            to.as_str(),
            &subject,
            body,
        )?;
        written.extend(crate::dunning::deliver::post(
            config,
            &mail,
            &format!(
                "portal-{:08}-{}",
                receipt.id,
                safe_name(&stored.customer.number)
            ),
        )?);
    }
    if let Some((to, subject, body)) = &receipt.notify {
        let mail = plain_mail(config, "Tegoed", None, to, subject, body.clone())?;
        written.extend(crate::dunning::deliver::post(
            config,
            &mail,
            &format!("portal-{:08}-staff", receipt.id),
        )?);
    }
    Ok(written)
}

fn safe_name(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn plain_mail(
    config: &Config,
    from_name: &str,
    reply_to: Option<&str>,
    to: &str,
    subject: &str,
    body: String,
) -> Result<lettre::Message> {
    let invalid = |what: &str, e: String| AppError::Invalid(format!("portal e-mail: {what}: {e}"));
    let from_address = crate::dunning::deliver::sender_address(config)
        .map_err(|e| invalid("sender", e.to_string()))?;
    let mut builder = lettre::Message::builder()
        .from(Mailbox::new(
            Some(format!("{from_name} | {}", config.company.name)),
            from_address
                .parse()
                .map_err(|e| invalid("from address", format!("{e}")))?,
        ))
        .to(Mailbox::new(
            None,
            to.parse()
                .map_err(|e| invalid("to address", format!("{e}")))?,
        ))
        .subject(subject.replace(['\r', '\n'], " "))
        .user_agent("Tegoed".into());
    if let Some(reply) = reply_to
        && let Ok(address) = reply.parse()
    {
        builder = builder.reply_to(Mailbox::new(Some(from_name.to_string()), address));
    }
    builder
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| invalid("e-mail", e.to_string()))
}

// --- for the team -----------------------------------------------------------

/// A portal request as the team sees it (Today, My customers, the
/// customer page).
#[derive(Debug, Clone, Serialize)]
pub struct TeamLine {
    pub id: i64,
    pub customer: String,
    pub name: String,
    #[serde(serialize_with = "crate::ser::date")]
    pub created_on: Date,
    pub kind: String,
    pub outcome: String,
    /// In the reader's language, with the customer's own note.
    pub text: String,
    pub why: Option<String>,
    /// Someone still has to act on it (its task is open).
    pub open: bool,
    pub task: Option<i64>,
}

/// Portal requests of the last `days` days (of one customer, or those of
/// the account manager `own`, or all), newest first.
pub fn recent(
    tx: &mut dyn ReadTx,
    customer: Option<CustomerId>,
    own: Option<tegoed_core::AccountManagerId>,
    days: i32,
    language: Language,
    as_of: Date,
) -> Result<Vec<TeamLine>> {
    let list = tx.portal_requests(customer, as_of.add_days(-days))?;
    let customers =
        crate::agreements::customer_labels(tx, list.iter().map(|r| r.request.customer))?;
    let mut owners = rustc_hash::FxHashMap::default();
    if own.is_some() {
        let ids: Vec<CustomerId> = customers.keys().copied().collect();
        for c in tx.customers(&ids)? {
            owners.insert(c.id, c.customer.account_manager);
        }
    }
    let invoice_ids: Vec<_> = list.iter().filter_map(|r| r.request.invoice).collect();
    let numbers: rustc_hash::FxHashMap<_, _> = tx
        .invoices(&invoice_ids)?
        .into_iter()
        .map(|i| (i.id, i.invoice.number))
        .collect();
    let open_tasks: rustc_hash::FxHashSet<i64> = if list.iter().any(|r| r.request.task.is_some()) {
        match customer {
            Some(c) => tx.tasks(Some(c), true)?,
            None => tx.tasks(None, true)?,
        }
        .into_iter()
        .map(|t| t.id)
        .collect()
    } else {
        Default::default()
    };
    Ok(list
        .into_iter()
        .filter(|r| own.is_none() || owners.get(&r.request.customer).copied().flatten() == own)
        .map(|r| {
            let label = customers
                .get(&r.request.customer)
                .cloned()
                .unwrap_or_default();
            TeamLine {
                id: r.id,
                customer: label.number,
                name: label.name,
                created_on: r.request.created_on,
                kind: r.request.kind.clone(),
                outcome: r.request.outcome.clone(),
                text: describe(&r.request, &numbers, language, true),
                why: r
                    .request
                    .why
                    .as_deref()
                    .and_then(Why::parse_code)
                    .map(|w| team_why(&w, language)),
                open: r.request.task.is_some_and(|t| open_tasks.contains(&t)),
                task: r.request.task,
            }
        })
        .collect())
}
