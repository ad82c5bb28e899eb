//! Executing a run: record the plan, then deliver every queued message and
//! mark it sent — e-mail as `.eml` in the outbox (or through SMTP), letters
//! as PDF, hand-offs as claim files (JSON and HTML) for the agency.
//!
//! Files are named after the message id and written under a temporary name
//! first, then renamed: a message is one complete file or none, and
//! delivering it again finds the file there. SMTP cannot be undone, so a
//! crash between the server accepting a message and Tegoed marking it sent
//! means it goes again on the next run (at least once); every message
//! carries a stable Message-ID so mail systems can recognise the repeat.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{SmtpTransport, Transport};
use serde::Serialize;
use tegoed_core::strategy::{Channel, Effect};
use tegoed_core::{CustomerId, Date};
use tegoed_store::{
    CollectionState, Message, MessageFilter, MessageItem, MessageStatus, ReadTx, Store,
    StoredMessage, TimelineEvent, WriteTx,
};

use super::document::Document;
use super::templates::Templates;
use super::{Options, Preview, Skipped, StepCount, plan};
use crate::agreements::event;
use crate::audit::{Detail, Label};
use crate::config::{Config, Smtp, SmtpTls};
use crate::legal::{Claim, NotClaimed, build_handoff_claim};
use crate::progress::Progress;
use crate::{AppError, Result};

/// Messages delivered per channel.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Delivered {
    pub email: u64,
    pub letter: u64,
    pub call: u64,
    pub handoff: u64,
}

/// A message that could not be delivered (it stays queued as failed and is
/// retried by the next run on the same day).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Failure {
    pub message_id: i64,
    pub customer: String,
    pub error: String,
}

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    #[serde(serialize_with = "crate::ser::date")]
    pub as_of: Date,
    pub run_id: i64,
    /// Queued by an earlier, interrupted run today and delivered now.
    pub resumed: u64,
    /// Queued on an earlier day and never delivered: cancelled and planned
    /// again.
    pub cancelled: u64,
    /// New messages planned by this run.
    pub planned: u64,
    pub delivered: Delivered,
    pub failed: Vec<Failure>,
    pub skipped: Skipped,
    pub by_step: Vec<StepCount>,
    pub agreements_recorded: u64,
    pub holds_released: u64,
    /// Appreciation suggestions raised by this run.
    pub appreciation_raised: u64,
    /// Thank-yous the run sent itself (`thank_you = "auto"`).
    pub thanked: u64,
    pub outbox: String,
    pub letters: String,
    pub claims: String,
    /// `smtp` when e-mail went through an SMTP server, else `outbox`.
    pub email_via: &'static str,
}

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub only: Options,
    /// Wait this long after each delivery (gentle on an SMTP server).
    pub throttle: Option<Duration>,
    /// The wall clock, for the lease (the edge owns the clock).
    pub clock: crate::lease::Clock,
}

impl RunOptions {
    pub fn new(clock: crate::lease::Clock) -> RunOptions {
        RunOptions {
            only: Options::default(),
            throttle: None,
            clock,
        }
    }
}

/// A file name part from a customer number.
fn safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect()
}

/// Writes `bytes` to `path` unless it is there; via a temporary file and a
/// rename, so the file is complete or absent.
fn write_once(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    if path.exists() {
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    // One writer per message (it claimed the message), so the temporary
    // name is fixed: a crashed writer's leftover is simply overwritten.
    let tmp = path.with_extension(format!(
        "{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or("")
    ));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(true)
}

fn system_time(date: Date) -> SystemTime {
    // 09:00 UTC on the run's date: deterministic, never the clock.
    SystemTime::UNIX_EPOCH
        + Duration::from_secs(date.days_since_epoch().max(0) as u64 * 86_400 + 9 * 3_600)
}

/// The address e-mails are sent from: SMTP's `from`, else the company's,
/// else the collector's.
pub(crate) fn sender_address(config: &Config) -> Result<String> {
    config
        .delivery
        .smtp
        .as_ref()
        .map(|s| s.from.clone())
        .or_else(|| config.company.email.clone())
        .or_else(|| config.company.collector.email.clone())
        .ok_or_else(|| AppError::Invalid("set company.email in tegoed.toml".into()))
}

/// The e-mail for a message.
fn email(config: &Config, stored: &StoredMessage, document: &Document) -> Result<lettre::Message> {
    let message = &stored.message;
    let invalid =
        |what: &str, e: String| AppError::Invalid(format!("message {}: {what}: {e}", stored.id));
    let from_address = sender_address(config).map_err(|e| invalid("sender", e.to_string()))?;
    let from = Mailbox::new(
        Some(format!("{} | {}", message.sender_name, config.company.name)),
        from_address
            .parse()
            .map_err(|e| invalid("from address", format!("{e}")))?,
    );
    let to_address = message
        .recipient
        .as_deref()
        .ok_or_else(|| invalid("recipient", "no e-mail address".into()))?;
    let to = Mailbox::new(
        None,
        to_address
            .parse()
            .map_err(|e| invalid("to address", format!("{e}")))?,
    );
    let domain = from_address.rsplit('@').next().unwrap_or("tegoed.local");
    let mut builder = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(message.subject.clone())
        .date(system_time(message.as_of))
        .message_id(Some(format!(
            "<tegoed-{}-{}@{domain}>",
            stored.id,
            safe(&message.step_id)
        )))
        .user_agent("Tegoed".into());
    if let Some(reply) = &message.sender_email
        && let Ok(address) = reply.parse()
    {
        builder = builder.reply_to(Mailbox::new(Some(message.sender_name.clone()), address));
    }
    let html = SinglePart::html(document.html());
    // The text part as recorded, or with the customer's page in it.
    let text = match document.portal {
        Some(_) => document.text(),
        None => message.body_text.clone(),
    };
    let body = match document.qr() {
        Some(qr) => MultiPart::alternative()
            .singlepart(SinglePart::plain(text.clone()))
            .multipart(MultiPart::related().singlepart(html).singlepart(
                Attachment::new_inline("epc-qr".into()).body(
                    qr.to_png(4),
                    ContentType::parse("image/png").expect("valid content type"),
                ),
            )),
        None => MultiPart::alternative()
            .singlepart(SinglePart::plain(text))
            .singlepart(html),
    };
    builder
        .multipart(body)
        .map_err(|e| invalid("e-mail", e.to_string()))
}

fn smtp_transport(smtp: &Smtp) -> Result<SmtpTransport> {
    let err = |e: lettre::transport::smtp::Error| {
        AppError::Invalid(format!("SMTP server {}: {e}", smtp.host))
    };
    let mut builder = match smtp.tls {
        SmtpTls::Tls => SmtpTransport::relay(&smtp.host).map_err(err)?,
        SmtpTls::StartTls => SmtpTransport::starttls_relay(&smtp.host).map_err(err)?,
        SmtpTls::None => SmtpTransport::builder_dangerous(smtp.host.clone()),
    }
    .port(smtp.port)
    .timeout(Some(Duration::from_secs(30)));
    if let Some(user) = &smtp.username {
        let password = match &smtp.password_env {
            Some(var) => std::env::var(var).map_err(|_| {
                AppError::Invalid(format!(
                    "SMTP password: the environment variable {var} (delivery.smtp.password_env) is not set"
                ))
            })?,
            None => String::new(),
        };
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    Ok(builder.build())
}

/// The agency's claim file: the claimed invoices under `invoices` (with the
/// claim's totals beside them), the customer's other open invoices under
/// `not_claimed`.
#[derive(Serialize)]
struct ClaimFile<'a> {
    lang: &'static str,
    #[serde(serialize_with = "crate::ser::date")]
    handed_off_on: Date,
    creditor: serde_json::Value,
    debtor: serde_json::Value,
    #[serde(flatten)]
    claim: &'a Claim,
    /// Open invoices that stay with the creditor (they did not have the
    /// final notice).
    not_claimed: Vec<NotClaimed>,
    history: Vec<serde_json::Value>,
}

fn claim_files(
    tx: &mut dyn ReadTx,
    config: &Config,
    templates: &Templates,
    stored: &StoredMessage,
) -> Result<(Vec<u8>, Vec<u8>)> {
    let message = &stored.message;
    // Exactly the invoices the hand-off was for.
    let claimed: Vec<tegoed_core::InvoiceId> = tx
        .message_items(stored.id)?
        .into_iter()
        .filter(|i| i.step.is_some())
        .map(|i| i.invoice)
        .collect();
    let (mut claim, not_claimed) = build_handoff_claim(
        tx,
        config,
        message.customer,
        message.currency,
        message.as_of,
        &claimed,
    )?;
    let customer = tx
        .customer(message.customer)?
        .ok_or_else(|| AppError::NotFound(format!("customer {}", message.customer)))?
        .customer;
    let company = &config.company;
    let collector = &company.collector;
    let contact: Vec<String> = [
        Some(collector.name.clone()),
        collector.phone.clone(),
        collector.email.clone(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut address = Vec::new();
    address.extend(customer.address.street.clone());
    address.extend(
        [
            customer.address.postal_code.clone(),
            customer.address.city.clone(),
        ]
        .into_iter()
        .flatten()
        .reduce(|a, b| format!("{a} {b}")),
    );
    address.push(customer.address.country.clone());
    // The history and the costs' basis in the file's language, with no
    // internal codes.
    let language = company.language;
    if language == tegoed_core::Language::Nl {
        claim.costs_basis = claim.costs_basis_nl.clone();
    }
    let mut history = Vec::new();
    for event in tx.events(message.customer)? {
        history.push(serde_json::json!({
            "date": event.event.date.to_string(),
            "what": crate::agreements::event_label(&event.event.kind, language),
            "text": event.event.text_in(language),
        }));
    }
    let file = ClaimFile {
        lang: language.as_str(),
        handed_off_on: message.as_of,
        creditor: serde_json::json!({
            "name": company.name,
            "address": company.address,
            "kvk": company.kvk,
            "iban": company.iban.as_ref().map(|i| i.display()),
            "contact": contact.join(", "),
        }),
        debtor: serde_json::json!({
            "number": customer.number,
            "name": customer.name,
            "kind": customer.kind.as_str(),
            "kvk": customer.kvk.as_ref().map(|k| k.as_str().to_string()),
            "vat_number": customer.vat_number.as_ref().map(|v| v.as_str().to_string()),
            "email": customer.email.as_ref().map(|e| e.as_str().to_string()),
            "phone": customer.phone,
            "language": customer.language.as_str(),
            "address": address,
        }),
        claim: &claim,
        not_claimed,
        history,
    };
    let json = serde_json::to_vec_pretty(&file).map_err(|e| AppError::Invalid(e.to_string()))?;
    let template = config
        .strategy(&message.strategy)
        .and_then(|s| s.steps.iter().find(|step| step.id == message.step_id))
        .map_or("handoff", |step| step.template.as_str());
    let html = templates.html(template, language, &file)?;
    Ok((json, html.into_bytes()))
}

/// Delivers one message; returns the path of what was written.
fn deliver_one(
    store: &dyn Store,
    config: &Config,
    templates: &Templates,
    smtp: Option<&SmtpTransport>,
    stored: &StoredMessage,
    number: &str,
) -> Result<Option<String>> {
    let message = &stored.message;
    let base = format!("{:08}-{}", stored.id, safe(number));
    let io = |path: &Path, e: std::io::Error| {
        AppError::Invalid(format!("cannot write {}: {e}", path.display()))
    };
    match message.channel {
        Channel::Email => {
            let path = config.delivery.outbox.join(format!("{base}.eml"));
            if smtp.is_none() && path.exists() {
                // Written before a crash: the same message, not a new link.
                return Ok(Some(path.display().to_string()));
            }
            let mut document: Document = serde_json::from_str(&message.document).map_err(|e| {
                AppError::Invalid(format!("message {}: stored document: {e}", stored.id))
            })?;
            document.portal = portal_link(store, config, message.customer, message.as_of)?;
            let mail = email(config, stored, &document)?;
            Ok(post_to(config, smtp, &mail, &base)?)
        }
        Channel::Letter => {
            let path = config.delivery.letters.join(format!("{base}.pdf"));
            if !path.exists() {
                let mut document: Document =
                    serde_json::from_str(&message.document).map_err(|e| {
                        AppError::Invalid(format!("message {}: stored document: {e}", stored.id))
                    })?;
                document.portal = portal_link(store, config, message.customer, message.as_of)?;
                write_once(&path, &document.pdf()).map_err(|e| io(&path, e))?;
            }
            Ok(Some(path.display().to_string()))
        }
        Channel::Handoff => {
            let json_path = config.delivery.claims.join(format!("{base}.json"));
            let html_path = config.delivery.claims.join(format!("{base}.html"));
            if !json_path.exists() || !html_path.exists() {
                let mut tx = store.read()?;
                let (json, html) = claim_files(tx.as_mut(), config, templates, stored)?;
                write_once(&html_path, &html).map_err(|e| io(&html_path, e))?;
                write_once(&json_path, &json).map_err(|e| io(&json_path, e))?;
            }
            Ok(Some(json_path.display().to_string()))
        }
        Channel::Call => Ok(None),
    }
}

/// A fresh link to the customer's own page for a message being delivered
/// (its hash stored in a transaction of its own), when the portal is on.
fn portal_link(
    store: &dyn Store,
    config: &Config,
    customer: CustomerId,
    as_of: Date,
) -> Result<Option<String>> {
    if !config.portal.enabled {
        return Ok(None);
    }
    let mut tx = store.write()?;
    let (url, _) = crate::portal::issue_in(tx.as_mut(), config, customer, as_of)?;
    tx.commit()?;
    Ok(Some(url))
}

/// Sends `mail` over `smtp`, or writes it to the outbox as `<base>.eml`
/// (once: an existing file is kept); gives the file written.
fn post_to(
    config: &Config,
    smtp: Option<&SmtpTransport>,
    mail: &lettre::Message,
    base: &str,
) -> Result<Option<String>> {
    match smtp {
        Some(transport) => {
            transport
                .send(mail)
                .map_err(|e| AppError::Invalid(format!("SMTP: {e}")))?;
            Ok(None)
        }
        None => {
            let path = config.delivery.outbox.join(format!("{base}.eml"));
            write_once(&path, &mail.formatted())
                .map_err(|e| AppError::Invalid(format!("cannot write {}: {e}", path.display())))?;
            Ok(Some(path.display().to_string()))
        }
    }
}

/// Sends an e-mail outside a dunning run (a portal confirmation) the way
/// messages go: over SMTP when configured, else into the outbox.
pub(crate) fn post(config: &Config, mail: &lettre::Message, base: &str) -> Result<Option<String>> {
    let smtp = match &config.delivery.smtp {
        Some(smtp) => Some(smtp_transport(smtp)?),
        None => None,
    };
    post_to(config, smtp.as_ref(), mail, base)
}

/// Marks delivered messages sent and applies their effects, in one
/// transaction.
fn mark_sent(
    store: &dyn Store,
    done: &[(StoredMessage, Option<String>)],
    as_of: Date,
) -> Result<()> {
    if done.is_empty() {
        return Ok(());
    }
    let mut tx = store.write()?;
    // Another process may have delivered one meanwhile: only once. The
    // whole batch is marked, read and written in a few statements.
    let sent: Vec<(i64, Option<&str>)> = done
        .iter()
        .map(|(stored, path)| (stored.id, path.as_deref()))
        .collect();
    let marked: rustc_hash::FxHashSet<i64> =
        tx.mark_messages_sent(&sent, as_of)?.into_iter().collect();
    let marked: Vec<&StoredMessage> = done
        .iter()
        .map(|(stored, _)| stored)
        .filter(|stored| marked.contains(&stored.id))
        .collect();
    let mut customers: Vec<CustomerId> = marked.iter().map(|m| m.message.customer).collect();
    customers.sort_unstable();
    customers.dedup();
    let mut states: rustc_hash::FxHashMap<CustomerId, CollectionState> = customers
        .iter()
        .copied()
        .zip(tx.collection_states_of(&customers)?)
        .collect();
    let mut events = Vec::with_capacity(marked.len());
    let mut changed = Vec::new();
    for stored in marked {
        let customer = stored.message.customer;
        let state = states.entry(customer).or_default();
        let (event, state_changed) = effects(stored, state, as_of);
        events.extend(event);
        if state_changed {
            changed.push(customer);
        }
    }
    tx.add_events(&events)?;
    changed.sort_unstable();
    changed.dedup();
    for customer in changed {
        tx.set_collection_state(customer, &states[&customer])?;
    }
    tx.commit()?;
    Ok(())
}

/// Marks a message failed with the error (the next run the same day tries
/// it again).
fn mark_failed(store: &dyn Store, id: i64, error: &AppError) -> Result<()> {
    let mut tx = store.write()?;
    tx.set_message_status(
        id,
        MessageStatus::Failed,
        None,
        None,
        Some(&error.to_string()),
    )?;
    tx.commit()?;
    Ok(())
}

/// The message's effects and its line on the timeline.
fn apply_effects(tx: &mut dyn WriteTx, stored: &StoredMessage, as_of: Date) -> Result<()> {
    let customer = stored.message.customer;
    let mut state = tx.collection_state(customer)?;
    let (events, changed) = effects(stored, &mut state, as_of);
    tx.add_events(&events)?;
    if changed {
        tx.set_collection_state(customer, &state)?;
    }
    Ok(())
}

/// What a sent message changes: the customer's state (`true` when it
/// changed) and the events for the timeline.
fn effects(
    stored: &StoredMessage,
    state: &mut CollectionState,
    as_of: Date,
) -> (Vec<TimelineEvent>, bool) {
    let message = &stored.message;
    let mut events = Vec::new();
    let mut changed = false;
    if message.effects.contains(&Effect::CreditHold) && state.credit_hold_since.is_none() {
        state.credit_hold_since = Some(as_of);
        state.credit_hold_reason = Some(format!(
            "dunning step {} ({})",
            message.step_id, message.strategy
        ));
        events.push(event(
            message.customer,
            as_of,
            "credit_hold",
            None,
            Some(stored.id),
            (
                format!("Credit hold: {}", message.subject),
                format!("Kredietstop: {}", message.subject),
            ),
        ));
        changed = true;
    }
    let (kind, text) = match message.channel {
        Channel::Email => {
            let to = message.recipient.as_deref().unwrap_or("?");
            (
                "message_sent",
                (
                    format!("E-mail to {to}: {}", message.subject),
                    format!("E-mail aan {to}: {}", message.subject),
                ),
            )
        }
        Channel::Letter => {
            let (what, wat) = if message.fourteen_day.is_some() {
                ("14-day letter", "Veertiendagenbrief")
            } else {
                ("Letter", "Brief")
            };
            (
                "message_sent",
                (
                    format!("{what} sent: {}", message.subject),
                    format!("{wat} verstuurd: {}", message.subject),
                ),
            )
        }
        Channel::Call => (
            "call_planned",
            (
                format!(
                    "Call planned for {}: {}",
                    message.sender_name, message.subject
                ),
                format!(
                    "Belafspraak voor {}: {}",
                    message.sender_name, message.subject
                ),
            ),
        ),
        Channel::Handoff => {
            state.handed_off_on = Some(as_of);
            changed = true;
            (
                "handed_off",
                (
                    message.body_text.clone(),
                    format!("Overgedragen aan het incassobureau: {}", message.subject),
                ),
            )
        }
    };
    events.push(event(
        message.customer,
        as_of,
        kind,
        None,
        Some(stored.id),
        text,
    ));
    (events, changed)
}

/// Delivers one message recorded outside a run (a thank-you): claims it for
/// `token` (the dunning lease's holder), delivers it and marks it sent, or
/// marks it failed so the next run retries it. Gives the file written, or
/// the delivery error.
pub(crate) fn deliver_recorded(
    store: &dyn Store,
    config: &Config,
    templates: &Templates,
    stored: &StoredMessage,
    as_of: Date,
    token: &str,
) -> Result<std::result::Result<Option<String>, String>> {
    {
        let mut tx = store.write()?;
        let won = tx.claim_messages(&[stored.id], token)?;
        tx.commit()?;
        if won.is_empty() {
            return Ok(Err(format!(
                "message {} is being delivered by someone else",
                stored.id
            )));
        }
    }
    let number = {
        let mut tx = store.read()?;
        tx.customer(stored.message.customer)?
            .map(|c| c.customer.number)
            .unwrap_or_default()
    };
    let smtp = match &config.delivery.smtp {
        Some(smtp) => Some(smtp_transport(smtp)?),
        None => None,
    };
    match deliver_one(store, config, templates, smtp.as_ref(), stored, &number) {
        Ok(path) => {
            mark_sent(store, &[(stored.clone(), path.clone())], as_of)?;
            Ok(Ok(path))
        }
        Err(error) => {
            mark_failed(store, stored.id, &error)?;
            Ok(Err(error.to_string()))
        }
    }
}

/// Runs dunning for `as_of`: resume or cancel what an interrupted run left,
/// plan, record, deliver.
///
/// A job, not one transaction: the run is recorded (with the actor's audit
/// line) in one transaction, then each message is claimed, delivered and
/// marked sent on its own, so a crash loses nothing and sends nothing twice.
pub fn run(
    store: &dyn Store,
    actor: &crate::access::Actor,
    config: &Config,
    templates: &Templates,
    as_of: Date,
    options: &RunOptions,
    progress: &dyn Progress,
) -> Result<RunReport> {
    // 0. One run at a time: a second one is told who is running. Given up
    //    when `lease` is dropped, at the end of this function.
    actor.require(crate::access::Action::Collect, None)?;
    let mut lease = crate::lease::acquire(store, "dunning", &actor.id, options.clock)?;

    // 1. What an earlier run left queued: from today, deliver it; from an
    //    earlier day, cancel it so its invoices are planned afresh.
    let leftovers: Vec<StoredMessage> = {
        let mut tx = store.read()?;
        let mut list = tx.messages(MessageFilter {
            status: Some(MessageStatus::Queued),
            ..MessageFilter::default()
        })?;
        list.extend(tx.messages(MessageFilter {
            status: Some(MessageStatus::Failed),
            ..MessageFilter::default()
        })?);
        list
    };
    let mut cancelled = 0u64;
    let mut resumed_ids = Vec::new();
    if !leftovers.is_empty() {
        let mut tx = store.write()?;
        // Claims held by anyone else are from a run that is gone (we hold
        // the lease): free them so this run can deliver those messages.
        tx.release_claims(lease.token())?;
        for stored in &leftovers {
            if stored.message.as_of < as_of {
                tx.set_message_status(
                    stored.id,
                    MessageStatus::Cancelled,
                    None,
                    None,
                    Some(&format!(
                        "not delivered on {}; planned again on {as_of}",
                        stored.message.as_of
                    )),
                )?;
                cancelled += 1;
            } else if stored.message.as_of == as_of {
                resumed_ids.push(stored.id);
            }
        }
        tx.commit()?;
    }

    // 2. Plan and record, holding the write lock so no other run plans the
    //    same messages at the same time.
    let mut tx = store.write()?;
    let preview: Preview = plan(store, config, templates, as_of, &options.only, progress)?;
    let run_id = tx.insert_run(as_of)?;
    crate::agreements::record_changes(tx.as_mut(), &preview.agreements, as_of)?;
    for number in &preview.holds_released {
        if let Some(customer) = tx.customer_by_number(number)? {
            crate::agreements::release_hold(
                tx.as_mut(),
                customer.id,
                as_of,
                (
                    "Credit hold released: nothing is overdue any more".into(),
                    "Kredietstop opgeheven: er staat niets meer over de vervaldatum open".into(),
                ),
            )?;
        }
    }
    // Customers a person left out of this run: why, on their timeline.
    for number in &options.only.leave_out {
        if let Some(customer) = tx.customer_by_number(number)? {
            let reason = options
                .only
                .leave_out_reason
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty());
            let by = &actor.id;
            tx.add_event(&event(
                customer.id,
                as_of,
                "left_out",
                None,
                None,
                (
                    match reason {
                        Some(r) => format!("Left out of the dunning run by {by}: {r}"),
                        None => format!("Left out of the dunning run by {by}"),
                    },
                    match reason {
                        Some(r) => format!("Overgeslagen bij het aanmanen door {by}: {r}"),
                        None => format!("Overgeslagen bij het aanmanen door {by}"),
                    },
                ),
            ))?;
        }
    }
    let mut delivered = Delivered::default();
    progress.start("Recording the run", preview.messages.len() as u64);
    let records: Vec<(&Message, &[MessageItem])> = preview
        .messages
        .iter()
        .map(|planned| (&planned.record.message, planned.record.items.as_slice()))
        .collect();
    let ids = tx.insert_messages(run_id, &records)?;
    for (planned, id) in preview.messages.iter().zip(ids) {
        let record = &planned.record;
        if let Some(task) = &record.task {
            let mut task = task.clone();
            task.message = Some(id);
            tx.insert_task(&task)?;
            tx.set_message_status(id, MessageStatus::Sent, Some(as_of), None, None)?;
            let stored = StoredMessage {
                id,
                run: run_id,
                message: record.message.clone(),
                status: MessageStatus::Sent,
                delivered_on: Some(as_of),
                file_path: None,
                error: None,
            };
            apply_effects(tx.as_mut(), &stored, as_of)?;
            delivered.call += 1;
        }
        progress.advance(1);
    }
    tx.set_run_messages(run_id, preview.messages.len() as u64)?;
    actor.audit(
        tx.as_mut(),
        "dunning.run",
        &as_of.to_string(),
        Detail::none()
            .number(Label::Run, run_id)
            .number(Label::Messages, preview.messages.len())
            .number(Label::LeftOut, options.only.leave_out.len())
            .text(
                Label::Reason,
                options.only.leave_out_reason.as_deref().unwrap_or_default(),
            ),
    )?;
    tx.commit()?;
    progress.finish();

    // 2b. Appreciation: raise the suggestions that became true (a plan the
    //     run just recorded as completed among them); with `thank_you =
    //     "auto"` the run thanks those customers itself, delivered below.
    let (appreciation_raised, thanked) = {
        let mut tx = store.write()?;
        let refreshed =
            crate::appreciation::refresh(tx.as_mut(), &config.appreciation.rules, as_of)?;
        let mut thanked = 0u64;
        if config.appreciation.thank_you_auto {
            for change in preview
                .agreements
                .iter()
                .filter(|c| c.kind == "plan_completed")
            {
                let Some(customer) = tx.customer(change.customer_id)? else {
                    continue;
                };
                let open: Vec<_> = tx
                    .appreciations(Some(change.customer_id), true)?
                    .into_iter()
                    .filter(|a| {
                        a.appreciation.reason == tegoed_core::appreciation::Reason::PlanCompleted
                            && a.appreciation.ref_id == change.id
                    })
                    .collect();
                if open.is_empty() {
                    continue;
                }
                if crate::appreciation::record_thank_you(
                    tx.as_mut(),
                    config,
                    templates,
                    run_id,
                    &customer,
                    &open,
                    &actor.id,
                    as_of,
                )?
                .is_some()
                {
                    thanked += 1;
                }
            }
            if thanked > 0 {
                tx.set_run_messages(run_id, preview.messages.len() as u64 + thanked)?;
            }
        }
        tx.commit()?;
        (refreshed.raised, thanked)
    };

    // 3. Deliver everything queued for today.
    let queued: Vec<StoredMessage> = {
        let mut tx = store.read()?;
        let mut list = tx.messages(MessageFilter {
            status: Some(MessageStatus::Queued),
            ..MessageFilter::default()
        })?;
        list.extend(tx.messages(MessageFilter {
            status: Some(MessageStatus::Failed),
            ..MessageFilter::default()
        })?);
        list.retain(|m| m.message.as_of == as_of);
        list.sort_by_key(|m| m.id);
        list
    };
    // Claim each message before delivering it: a conditional update only
    // one deliverer can win, so no message goes out twice even if two
    // deliverers ever ran at once.
    let queued: Vec<StoredMessage> = {
        let mut tx = store.write()?;
        let ids: Vec<i64> = queued.iter().map(|m| m.id).collect();
        let won: rustc_hash::FxHashSet<i64> = tx
            .claim_messages(&ids, lease.token())?
            .into_iter()
            .collect();
        tx.commit()?;
        queued.into_iter().filter(|m| won.contains(&m.id)).collect()
    };
    let numbers: rustc_hash::FxHashMap<CustomerId, String> = {
        let mut tx = store.read()?;
        tx.customer_directory()?
            .into_iter()
            .map(|c| (c.id, c.number))
            .collect()
    };
    let smtp = match &config.delivery.smtp {
        Some(smtp) => Some(smtp_transport(smtp)?),
        None => None,
    };
    progress.start("Delivering", queued.len() as u64);
    let resumed = queued
        .iter()
        .filter(|m| resumed_ids.contains(&m.id))
        .count() as u64;
    let mut done: Vec<(StoredMessage, Option<String>)> = Vec::new();
    let mut failed = Vec::new();
    let mut last_flush = Instant::now();
    let mut handle = |stored: StoredMessage,
                      outcome: Result<Option<String>>,
                      done: &mut Vec<(StoredMessage, Option<String>)>|
     -> Result<()> {
        let number = numbers
            .get(&stored.message.customer)
            .cloned()
            .unwrap_or_default();
        match outcome {
            Ok(path) => {
                match stored.message.channel {
                    Channel::Email => delivered.email += 1,
                    Channel::Letter => delivered.letter += 1,
                    Channel::Handoff => delivered.handoff += 1,
                    Channel::Call => delivered.call += 1,
                }
                done.push((stored, path));
            }
            Err(error) => {
                mark_failed(store, stored.id, &error)?;
                failed.push(Failure {
                    message_id: stored.id,
                    customer: number,
                    error: error.to_string(),
                });
            }
        }
        progress.advance(1);
        // SMTP cannot be taken back: record each send at once. Files are
        // idempotent, so they are recorded in batches.
        if smtp.is_some() || done.len() >= 500 || last_flush.elapsed() > Duration::from_millis(500)
        {
            mark_sent(store, done, as_of)?;
            done.clear();
            last_flush = Instant::now();
            // Still ours? A run that lost its lease stops here.
            lease.renew()?;
        }
        Ok(())
    };
    let deliver = |stored: &StoredMessage| {
        let number = numbers
            .get(&stored.message.customer)
            .map(String::as_str)
            .unwrap_or("");
        let outcome = deliver_one(store, config, templates, smtp.as_ref(), stored, number);
        if let Some(pause) = options.throttle {
            std::thread::sleep(pause);
        }
        outcome
    };
    if smtp.is_some() || queued.len() < 64 {
        for stored in queued {
            let outcome = deliver(&stored);
            handle(stored, outcome, &mut done)?;
        }
    } else {
        // Files: two workers render and write, this thread records.
        std::thread::scope(|scope| -> Result<()> {
            let (send, receive) =
                std::sync::mpsc::sync_channel::<(StoredMessage, Result<Option<String>>)>(256);
            let parts: [Vec<StoredMessage>; 2] = {
                let (mut even, mut odd) = (Vec::new(), Vec::new());
                for (i, stored) in queued.into_iter().enumerate() {
                    if i % 2 == 0 {
                        even.push(stored)
                    } else {
                        odd.push(stored)
                    }
                }
                [even, odd]
            };
            for part in parts {
                let send = send.clone();
                let deliver = &deliver;
                scope.spawn(move || {
                    for stored in part {
                        let outcome = deliver(&stored);
                        if send.send((stored, outcome)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(send);
            for (stored, outcome) in receive {
                handle(stored, outcome, &mut done)?;
            }
            Ok(())
        })?;
    }
    mark_sent(store, &done, as_of)?;
    progress.finish();
    {
        let mut tx = store.write()?;
        actor.audit(
            tx.as_mut(),
            "dunning.delivered",
            &as_of.to_string(),
            Detail::none()
                .number(Label::Run, run_id)
                .number(
                    Label::Delivered,
                    delivered.email + delivered.letter + delivered.call + delivered.handoff,
                )
                .number(Label::Failed, failed.len()),
        )?;
        tx.commit()?;
    }

    let path = |p: &PathBuf| p.display().to_string();
    Ok(RunReport {
        as_of,
        run_id,
        resumed,
        cancelled,
        planned: preview.messages.len() as u64,
        delivered,
        failed,
        skipped: preview.skipped,
        by_step: preview.by_step,
        agreements_recorded: preview.agreements.len() as u64,
        holds_released: preview.holds_released.len() as u64,
        appreciation_raised,
        thanked,
        outbox: path(&config.delivery.outbox),
        letters: path(&config.delivery.letters),
        claims: path(&config.delivery.claims),
        email_via: if config.delivery.smtp.is_some() {
            "smtp"
        } else {
            "outbox"
        },
    })
}
