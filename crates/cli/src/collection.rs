//! The collection commands: segments, dunning, disputes, promises, plans,
//! pauses, tasks, timelines, the legal calculators and the claim.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;
use tegoed_app::config::{Config, DEFAULT_CONFIG};
use tegoed_app::dunning::templates::{self, Templates};
use tegoed_app::dunning::{self, Options, RunOptions};
use tegoed_app::{agreements, legal, segments};
use tegoed_core::Currency;
use tegoed_core::legal::InterestKind;
use tegoed_core::money::parse_amount;
use tegoed_core::rate::Rate;

use crate::Ctx;
use crate::args::{
    AgreementCommand, AppreciationCommand, ConfigCommand, DisputeCommand, DunningCommand,
    LegalCommand, MeetingCommand, PlanCommand, PortalCommand, PromiseCommand, SegmentsCommand,
    TasksCommand, TemplatesCommand, TrainingCommand,
};
use crate::render::{Align, Table};

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

pub fn segments_cmd(ctx: &Ctx, command: SegmentsCommand) -> Result<()> {
    let config = ctx.config()?;
    match command {
        SegmentsCommand::List => {
            let lines = ctx.read(|tx| segments::list(tx, &config, ctx.as_of))?;
            ctx.print(&lines, |lines| {
                let mut table = Table::new(&[
                    ("Segment", Align::Left),
                    ("Name", Align::Left),
                    ("Strategy", Align::Left),
                    ("Customers", Align::Right),
                    ("With open", Align::Right),
                    ("Open", Align::Right),
                    ("Overdue", Align::Right),
                ]);
                for l in lines {
                    table.row(vec![
                        l.id.clone(),
                        l.name_en.clone(),
                        l.strategy.clone(),
                        l.customers.to_string(),
                        l.customers_open.to_string(),
                        crate::render::money(l.open),
                        crate::render::money(l.overdue),
                    ]);
                }
                format!("Segments as of {}\n{}", ctx.as_of, table.render())
            })
        }
        SegmentsCommand::Explain { customer } => {
            let explanation = ctx.read(|tx| {
                let ledger = tegoed_app::facts::CustomerLedger::load(tx, &customer, ctx.as_of)?;
                segments::explain(tx, &config, &ledger.stored, &ledger.rows, None, ctx.as_of)
            })?;
            ctx.print(&explanation, |e| {
                let f = &e.facts;
                let mut text = format!(
                    "{} — {}: segment {} ({}), strategy {}\n\nFacts on {}:\n",
                    e.customer, e.name, e.segment, e.segment_name_en, e.strategy, e.as_of
                );
                text.push_str(&format!(
                    "  kind {}, industry {}, customer for {} days, tags [{}]\n  revenue 12 months {}, open {}, overdue {} (oldest {} days)\n  paid invoices 12 months {}, average days late {}, share paid late {}, trend {}\n\nRules tried, in order:\n",
                    f.kind,
                    f.industry.as_deref().unwrap_or("none"),
                    f.customer_age_days,
                    f.tags.join(", "),
                    crate::render::money(f.revenue_12m),
                    crate::render::money(f.open),
                    crate::render::money(f.overdue),
                    f.max_days_overdue,
                    f.paid_invoices_12m,
                    f.avg_days_late.map_or("-".into(), |d| format!("{d:.1}")),
                    f.share_paid_late.map_or("-".into(), |s| format!("{:.0} %", s * 100.0)),
                    f.trend.unwrap_or("-"),
                ));
                for tried in &e.tried {
                    text.push_str(&format!(
                        "  {} {}\n",
                        if tried.matched { "✔" } else { "✘" },
                        tried.segment
                    ));
                    if tried.alternatives.is_empty() {
                        text.push_str("      (no conditions: takes everyone)\n");
                    }
                    for (i, checks) in tried.alternatives.iter().enumerate() {
                        if tried.alternatives.len() > 1 {
                            text.push_str(&format!(
                                "      alternative {}{}\n",
                                i + 1,
                                if tried.matched_alternative == Some(i) { " (matched)" } else { "" }
                            ));
                        }
                        if checks.is_empty() {
                            text.push_str("        (no conditions: takes everyone)\n");
                        }
                        for c in checks {
                            // The sentence a credit team reads, with the
                            // settings key it comes from for whoever edits
                            // tegoed.toml.
                            text.push_str(&format!(
                                "        {} {} [{}]\n",
                                if c.holds { "✔" } else { "✘" },
                                c.text_en,
                                c.condition,
                            ));
                        }
                    }
                }
                text
            })
        }
    }
}

fn planned_text(p: &dunning::Planned) -> String {
    let mut text = format!(
        "── {} {} · {} / {} · step {} ({:+} days) · {}{}\n",
        p.customer,
        p.name,
        p.segment,
        p.strategy,
        p.step,
        p.offset_days,
        p.channel,
        p.channel_note
            .as_ref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default()
    );
    text.push_str(&format!(
        "   from {}{} to {}\n",
        p.sender.name,
        p.sender
            .email
            .as_ref()
            .map(|e| format!(" <{e}>"))
            .unwrap_or_default(),
        p.recipient.as_deref().unwrap_or("-")
    ));
    text.push_str(&format!(
        "   principal {} · interest {} · costs {} · credit {} · total {} {}\n",
        p.amounts.principal,
        p.amounts.interest,
        p.amounts.costs,
        p.amounts.credit,
        p.amounts.total,
        p.currency.code()
    ));
    if let Some(pay_by) = p.pay_by {
        text.push_str(&format!("   pay by {pay_by}\n"));
    }
    for item in &p.items {
        text.push_str(&format!(
            "   {} due {} ({} days) open {}: {}\n",
            item.invoice_number,
            item.due_date,
            item.days_overdue,
            item.open_amount,
            item.step.as_deref().unwrap_or("also open")
        ));
    }
    if let Some(basis) = &p.costs_basis {
        text.push_str(&format!("   costs: {basis}\n"));
    }
    if !p.effects.is_empty() {
        text.push_str(&format!("   effects: {}\n", p.effects.join(", ")));
    }
    text.push_str(&format!("   subject: {}\n\n", p.message.subject));
    for line in p.message.text.lines() {
        text.push_str("   │ ");
        text.push_str(line);
        text.push('\n');
    }
    text.push('\n');
    text
}

fn summary_text(by_step: &[dunning::StepCount], skipped: &dunning::Skipped) -> String {
    let mut table = Table::new(&[
        ("Segment", Align::Left),
        ("Step", Align::Left),
        ("Channel", Align::Left),
        ("Messages", Align::Right),
    ]);
    for s in by_step {
        table.row(vec![
            s.segment.clone(),
            s.step.clone(),
            s.channel.to_string(),
            s.messages.to_string(),
        ]);
    }
    let mut text = table.render();
    text.push_str(&format!(
        "Skipped: {} at the agency, {} paused, {} waiting for their next step, {} covered by credit, {} below the minimum, {} left out; {} {} on hold (dispute, promise, plan).\n",
        skipped.handed_off,
        skipped.paused,
        skipped.waiting,
        skipped.credit_covers,
        skipped.below_minimum,
        skipped.left_out,
        skipped.invoices_on_hold,
        if skipped.invoices_on_hold == 1 { "invoice" } else { "invoices" }
    ));
    text
}

pub fn dunning_cmd(ctx: &Ctx, command: DunningCommand) -> Result<()> {
    let config = ctx.config()?;
    let templates = ctx.templates(&config)?;
    let store = ctx.open()?;
    match command {
        DunningCommand::Preview { customer, summary } => {
            let started = Instant::now();
            let preview = dunning::plan(
                store.as_ref(),
                &config,
                &templates,
                ctx.as_of,
                &Options {
                    customer,
                    ..Options::default()
                },
                &ctx.progress(),
            )?;
            let seconds = started.elapsed().as_secs_f64();
            if ctx.json && summary {
                #[derive(Serialize)]
                struct Summary<'a> {
                    as_of: String,
                    customers: u64,
                    messages: usize,
                    by_step: &'a [dunning::StepCount],
                    skipped: &'a dunning::Skipped,
                    agreements: &'a [agreements::AgreementChange],
                    holds_released: &'a [String],
                }
                let out = Summary {
                    as_of: preview.as_of.to_string(),
                    customers: preview.customers,
                    messages: preview.messages.len(),
                    by_step: &preview.by_step,
                    skipped: &preview.skipped,
                    agreements: &preview.agreements,
                    holds_released: &preview.holds_released,
                };
                crate::print_json(&out)?;
                return Ok(());
            }
            ctx.print(&preview, |p| {
                let mut text = String::new();
                if !summary {
                    for message in &p.messages {
                        text.push_str(&planned_text(message));
                    }
                }
                text.push_str(&format!(
                    "Dunning preview for {}: {} messages for {} customers ({seconds:.2} s). Nothing was sent.\n",
                    p.as_of,
                    p.messages.len(),
                    p.customers
                ));
                text.push_str(&summary_text(&p.by_step, &p.skipped));
                for change in &p.agreements {
                    text.push_str(&format!("{}: {} — {}\n", change.kind, change.customer, change.text));
                }
                if !p.holds_released.is_empty() {
                    text.push_str(&format!(
                        "Credit hold would end for {} customers (nothing overdue).\n",
                        p.holds_released.len()
                    ));
                }
                text
            })
        }
        DunningCommand::Run {
            customer,
            throttle_ms,
        } => {
            let started = Instant::now();
            let report = dunning::run(
                store.as_ref(),
                &ctx.actor(),
                &config,
                &templates,
                ctx.as_of,
                &RunOptions {
                    only: Options {
                        customer,
                        ..Options::default()
                    },
                    throttle: throttle_ms.map(Duration::from_millis),
                    ..RunOptions::new(crate::now)
                },
                &ctx.progress(),
            )?;
            let seconds = started.elapsed().as_secs_f64();
            ctx.print(&report, |r| {
                let d = &r.delivered;
                let mut text = format!(
                    "Dunning run {} for {}: {} new messages planned ({seconds:.2} s).\n  e-mail {} ({}), letters {}, call tasks {}, hand-offs {}\n",
                    r.run_id, r.as_of, r.planned, d.email, if r.email_via == "smtp" { "via SMTP".to_string() } else { format!("in {}", r.outbox) }, d.letter, d.call, d.handoff
                );
                if r.resumed > 0 {
                    text.push_str(&format!("  {} messages left queued by an interrupted run were delivered.\n", r.resumed));
                }
                if r.cancelled > 0 {
                    text.push_str(&format!("  {} messages queued on an earlier day were cancelled and planned again.\n", r.cancelled));
                }
                if d.letter > 0 {
                    text.push_str(&format!("  Letters to print: {}\n", r.letters));
                }
                if d.handoff > 0 {
                    text.push_str(&format!("  Claim files for the agency: {}\n", r.claims));
                }
                text.push_str(&summary_text(&r.by_step, &r.skipped));
                for failure in &r.failed {
                    text.push_str(&format!("failed: message {} to {}: {}\n", failure.message_id, failure.customer, failure.error));
                }
                text
            })?;
            if report.failed.is_empty() {
                Ok(())
            } else {
                Err(crate::Reported(format!(
                    "{} messages could not be delivered; they stay queued for the next run",
                    report.failed.len()
                ))
                .into())
            }
        }
        DunningCommand::Messages { customer, full } => {
            let day = if customer.is_none() {
                Some(ctx.as_of)
            } else {
                None
            };
            let lines = tegoed_app::read_tx(store.as_ref(), |tx| {
                dunning::messages(tx, customer.as_deref(), day)
            })?;
            ctx.print(&lines, |lines| {
                let mut text = String::new();
                for l in lines {
                    text.push_str(&format!(
                        "#{} {} {} {} {} ({}) {} — {}\n",
                        l.id,
                        l.as_of,
                        l.customer,
                        l.strategy,
                        l.step,
                        l.channel,
                        l.status,
                        l.subject
                    ));
                    if let Some(file) = &l.file {
                        text.push_str(&format!("   {file}\n"));
                    }
                    if full {
                        for line in l.text.lines() {
                            text.push_str("   │ ");
                            text.push_str(line);
                            text.push('\n');
                        }
                    }
                }
                if lines.is_empty() {
                    text.push_str("No messages.\n");
                }
                text
            })
        }
    }
}

pub fn dispute_cmd(ctx: &Ctx, command: DisputeCommand) -> Result<()> {
    let text = |d: &agreements::DisputeLine| {
        format!(
            "Dispute {} on invoice {} ({}), opened {}: {}{}\n",
            d.id,
            d.invoice,
            d.customer,
            d.opened_on,
            d.reason,
            match (&d.resolved_on, &d.resolution) {
                (Some(on), Some(r)) => format!(" — resolved {on}: {r}"),
                (Some(on), None) => format!(" — resolved {on}"),
                _ => String::new(),
            }
        )
    };
    match command {
        DisputeCommand::Open { invoice, reason } => {
            let line = ctx.write(|tx, actor| {
                agreements::open_dispute(tx, actor, &invoice, &reason, ctx.as_of)
            })?;
            ctx.print(&line, text)
        }
        DisputeCommand::Resolve {
            invoice,
            resolution,
        } => {
            let line = ctx.write(|tx, actor| {
                agreements::resolve_dispute(tx, actor, &invoice, resolution.as_deref(), ctx.as_of)
            })?;
            ctx.print(&line, text)
        }
        DisputeCommand::List { all } => {
            let lines = ctx.read(|tx| agreements::disputes(tx, all))?;
            ctx.print(&lines, |lines| {
                if lines.is_empty() {
                    "No disputes.\n".into()
                } else {
                    lines.iter().map(text).collect()
                }
            })
        }
    }
}

fn promise_text(p: &agreements::PromiseLine) -> String {
    format!(
        "Promise {} by {} ({}): {} by {} — {} (paid {}), invoices {}\n",
        p.id,
        p.customer,
        p.name,
        crate::render::money(p.amount),
        p.promised_on,
        p.status,
        crate::render::money(p.paid),
        p.invoices.join(", ")
    )
}

fn sale_agreement_text(a: &agreements::SaleAgreementLine) -> String {
    format!(
        "{} {}: agreed with {} (by {}): pay within {} day{} by {}{}{}\n",
        a.customer,
        a.agreed_on,
        a.agreed_with,
        a.agreed_by,
        a.terms_days,
        if a.terms_days == 1 { "" } else { "s" },
        if a.method == "direct_debit" {
            "direct debit"
        } else {
            "bank transfer"
        },
        a.invoice_contact
            .as_ref()
            .map(|c| format!("; invoices to {c}"))
            .unwrap_or_default(),
        a.note
            .as_ref()
            .map(|n| format!(" — {n}"))
            .unwrap_or_default(),
    )
}

pub fn agreement_cmd(ctx: &Ctx, command: AgreementCommand) -> Result<()> {
    match command {
        AgreementCommand::Record {
            customer,
            terms,
            method,
            invoice_contact,
            agreed_with,
            date,
            note,
        } => {
            let line = ctx.write(|tx, actor| {
                agreements::record_sale_agreement(
                    tx,
                    actor,
                    &customer,
                    &agreements::NewSaleAgreement {
                        terms_days: terms,
                        method: method.as_deref(),
                        invoice_contact: invoice_contact.as_deref(),
                        agreed_with: &agreed_with,
                        agreed_on: date,
                        note: note.as_deref(),
                    },
                    ctx.as_of,
                )
            })?;
            ctx.print(&line, sale_agreement_text)
        }
        AgreementCommand::List { customer } => {
            let lines = ctx.read(|tx| agreements::sale_agreements_of(tx, &customer))?;
            ctx.print(&lines, |lines| {
                if lines.is_empty() {
                    format!("No payment agreement made at the sale with {customer}.\n")
                } else {
                    lines.iter().map(sale_agreement_text).collect()
                }
            })
        }
    }
}

fn suggestion_text(s: &tegoed_app::appreciation::SuggestionLine) -> String {
    format!(
        "{:>5}  {}  {} {} ({}) — {}: {}{}\n",
        s.id,
        s.since,
        if s.suggested == "gift" {
            "gift     "
        } else {
            "thank you"
        },
        s.customer,
        s.name,
        s.reason.replace('_', " "),
        s.evidence,
        s.account_manager
            .as_deref()
            .map(|m| format!(" [{m}]"))
            .unwrap_or_default()
    )
}

fn budget_text(b: &tegoed_app::appreciation::BudgetLine) -> String {
    format!(
        "{}: budget € {} from {} to {}, used € {}, left € {}{}\n",
        b.account_manager
            .as_deref()
            .unwrap_or("(no account manager)"),
        b.budget,
        b.quarter_from,
        b.quarter_to,
        b.used,
        b.left,
        if b.awaiting_minor > 0 {
            format!(", € {} waiting for approval", b.awaiting_approval)
        } else {
            String::new()
        }
    )
}

fn gift_text(g: &tegoed_app::appreciation::GiftLine) -> String {
    format!(
        "gift {}  {}  {} ({}): {} € {} — {}{}\n",
        g.id,
        g.given_on,
        g.customer,
        g.name,
        g.item,
        g.value,
        g.status.replace('_', " "),
        g.decided_by
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default()
    )
}

pub fn appreciation_cmd(ctx: &Ctx, command: Option<AppreciationCommand>) -> Result<()> {
    use tegoed_app::appreciation;
    let config = ctx.config()?;
    match command.unwrap_or(AppreciationCommand::List {
        account_manager: None,
    }) {
        AppreciationCommand::List { account_manager } => {
            let list = ctx.write(|tx, _actor| {
                let manager = match &account_manager {
                    Some(name) => Some(tegoed_app::managers::find(tx, name)?.0),
                    None => None,
                };
                appreciation::refresh(tx, &config.appreciation.rules, ctx.as_of)?;
                appreciation::open_suggestions(tx, manager, ctx.as_of)
            })?;
            ctx.print(&list, |list| {
                if list.is_empty() {
                    "No open suggestions: nobody to thank today.\n".to_string()
                } else {
                    list.iter().map(suggestion_text).collect()
                }
            })
        }
        AppreciationCommand::Thank { customer, id } => {
            let templates = ctx.templates(&config)?;
            let store = ctx.open()?;
            let done = appreciation::thank(
                store.as_ref(),
                &ctx.actor(),
                &config,
                &templates,
                &customer,
                id,
                ctx.as_of,
                crate::now,
            )?;
            ctx.print(&done, |d| {
                let mut out = format!(
                    "Thank-you {} to {} ({}): \"{}\", signed by {}.\n",
                    d.message_id,
                    d.customer,
                    d.recipient.as_deref().unwrap_or("no address"),
                    d.subject,
                    d.sender
                );
                match (&d.file, &d.error) {
                    (_, Some(e)) => out.push_str(&format!(
                        "Not delivered: {e}. It stays queued; the next dunning run tries again.\n"
                    )),
                    (Some(file), None) => out.push_str(&format!("Written to {file}.\n")),
                    (None, None) => out.push_str("Sent.\n"),
                }
                out
            })
        }
        AppreciationCommand::Gift {
            customer,
            item,
            value,
            id,
        } => {
            let logged = ctx.write(|tx, actor| {
                appreciation::gift(
                    tx,
                    actor,
                    &config,
                    &customer,
                    &appreciation::NewGift {
                        item: &item,
                        value: &value,
                        suggestion: id,
                    },
                    ctx.as_of,
                )
            })?;
            ctx.print(&logged, |l| {
                let mut out = gift_text(&l.gift);
                if l.needs_approval {
                    out.push_str(
                        "Over the quarter's budget: it waits for a credit manager's approval.\n",
                    );
                }
                out.push_str(&budget_text(&l.budget));
                out
            })
        }
        AppreciationCommand::Dismiss { id } => {
            let line = ctx.write(|tx, actor| appreciation::dismiss(tx, actor, id, ctx.as_of))?;
            ctx.print(&line, |s| format!("Dismissed: {}", suggestion_text(s)))
        }
        AppreciationCommand::Approve { gift } => {
            let line =
                ctx.write(|tx, actor| appreciation::decide_gift(tx, actor, gift, true, ctx.as_of))?;
            ctx.print(&line, gift_text)
        }
        AppreciationCommand::Refuse { gift } => {
            let line = ctx
                .write(|tx, actor| appreciation::decide_gift(tx, actor, gift, false, ctx.as_of))?;
            ctx.print(&line, gift_text)
        }
        AppreciationCommand::Gifts { customer } => {
            #[derive(serde::Serialize)]
            struct Out {
                gifts: Vec<appreciation::GiftLine>,
                budgets: Vec<appreciation::BudgetLine>,
            }
            let out = ctx.read(|tx| {
                Ok(Out {
                    gifts: appreciation::gifts(tx, customer.as_deref())?,
                    budgets: appreciation::budgets(tx, &config, ctx.as_of)?,
                })
            })?;
            ctx.print(&out, |o| {
                let mut text: String = o.gifts.iter().map(gift_text).collect();
                if o.gifts.is_empty() {
                    text.push_str("No gifts yet.\n");
                }
                text.push('\n');
                text.extend(o.budgets.iter().map(budget_text));
                text
            })
        }
    }
}

/// `report meeting`: the pack as meeting.html and meeting.pdf in `out`,
/// and its figures (`--json`) or where the files are.
pub fn meeting_report(
    ctx: &Ctx,
    period: Option<&str>,
    out: &std::path::Path,
    lang: Option<&str>,
) -> Result<()> {
    use tegoed_app::meeting;
    let config = ctx.config()?;
    let language = crate::credit::language(&config, lang)?;
    let pack = ctx.read(|tx| meeting::pack(tx, &config, ctx.as_of, period, language))?;
    let html = meeting::html(&pack, true)?;
    let pdf = meeting::pdf(&pack);
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let html_path = out.join("meeting.html");
    let pdf_path = out.join("meeting.pdf");
    std::fs::write(&html_path, html)
        .with_context(|| format!("cannot write {}", html_path.display()))?;
    std::fs::write(&pdf_path, pdf)
        .with_context(|| format!("cannot write {}", pdf_path.display()))?;
    ctx.print(&pack, |p| {
        format!(
            "Meeting pack {} ({} to {}): {} customers to discuss, {} open disputes, {} decisions from last time ({} done).\nWritten: {} and {}\n",
            p.period.label,
            p.period.from,
            p.period.to,
            p.discuss.len(),
            p.disputes.len(),
            p.decisions.len(),
            p.decisions.iter().filter(|d| d.done).count(),
            html_path.display(),
            pdf_path.display()
        )
    })
}

pub fn portal_cmd(ctx: &Ctx, command: PortalCommand) -> Result<()> {
    use tegoed_app::portal;
    match command {
        PortalCommand::Link { customer } => {
            let config = ctx.config()?;
            let link =
                ctx.write(|tx, actor| portal::link(tx, actor, &config, &customer, ctx.as_of))?;
            ctx.print(&link, |l| {
                format!(
                    "{}\nThe page of customer {} opens with this link up to and including {}.\n",
                    l.url, l.customer, l.expires_on
                )
            })
        }
        PortalCommand::Revoke { customer } => {
            let done = ctx.write(|tx, actor| portal::revoke(tx, actor, &customer, ctx.as_of))?;
            ctx.print(&done, |r| {
                format!(
                    "Revoked {} link{} of customer {}; the next message carries a new one.\n",
                    r.revoked,
                    if r.revoked == 1 { "" } else { "s" },
                    r.customer
                )
            })
        }
    }
}

pub fn meeting_cmd(ctx: &Ctx, command: MeetingCommand) -> Result<()> {
    match command {
        MeetingCommand::Decide {
            customer,
            text,
            owner,
            due,
        } => {
            let line = ctx.write(|tx, actor| {
                tegoed_app::meeting::decide(
                    tx,
                    actor,
                    &customer,
                    &text,
                    owner.as_deref(),
                    due,
                    ctx.as_of,
                )
            })?;
            ctx.print(&line, |d| {
                format!(
                    "Decision {} about {} ({}): {} — {}, by {}.\n",
                    d.id,
                    d.customer,
                    d.name,
                    d.text,
                    d.owner.as_deref().unwrap_or("no owner"),
                    d.due_on
                )
            })
        }
    }
}

pub fn training_cmd(ctx: &Ctx, command: TrainingCommand) -> Result<()> {
    use tegoed_app::quiz;
    match command {
        TrainingCommand::Quiz { seed, lang } => {
            let config = ctx.config()?;
            let language = crate::credit::language(&config, lang.as_deref())?;
            // A new question each time unless a seed is given (the clock is
            // the edge's).
            let seed = seed.unwrap_or_else(|| crate::now() as u64);
            let q = ctx.read(|tx| quiz::question(tx, &config, seed, ctx.as_of, language))?;
            ctx.print(&q, |q| {
                let mut out = format!("{}\n", q.text);
                for fact in &q.facts {
                    out.push_str(&format!("  - {fact}\n"));
                }
                for v in quiz::VERDICTS {
                    out.push_str(&format!("  {v}: {}\n", quiz::verdict_text(v, language)));
                }
                out.push_str(&format!(
                    "Answer with: tegoed training answer --seed {} --answer approve|conditions|prepay\n",
                    q.seed
                ));
                out
            })
        }
        TrainingCommand::Answer { seed, answer, lang } => {
            let config = ctx.config()?;
            let language = crate::credit::language(&config, lang.as_deref())?;
            let checked = ctx.write(|tx, actor| {
                quiz::answer(tx, actor, &config, seed, &answer, ctx.as_of, language)
            })?;
            ctx.print(&checked, |c| {
                let nl = language == tegoed_core::Language::Nl;
                let mut out = format!(
                    "{} {}: {}.\n",
                    match (c.correct, nl) {
                        (true, true) => "Goed!",
                        (true, false) => "Right!",
                        (false, true) => "Niet helemaal.",
                        (false, false) => "Not quite.",
                    },
                    if nl {
                        "Het beleid zegt"
                    } else {
                        "The policy says"
                    },
                    quiz::verdict_text(&c.verdict, language)
                );
                for line in c.explanation.iter().chain(&c.conditions) {
                    out.push_str(&format!("  - {line}\n"));
                }
                out
            })
        }
        TrainingCommand::Scores { period } => {
            let (period, _) = tegoed_app::meeting::periods(period.as_deref(), ctx.as_of)?;
            let list = ctx.read(|tx| quiz::scores(tx, period.from, period.to.min(ctx.as_of)))?;
            ctx.print(&list, |list| {
                if list.is_empty() {
                    return "Nobody did the policy quiz in this period.\n".into();
                }
                list.iter()
                    .map(|s| {
                        format!(
                            "{}: {} of {} right, last on {}\n",
                            s.user, s.correct, s.answered, s.last
                        )
                    })
                    .collect()
            })
        }
        TrainingCommand::Story {
            account_manager,
            invoice,
            lang,
        } => {
            let config = ctx.config()?;
            let language = crate::credit::language(&config, lang.as_deref())?;
            let story = ctx.read(|tx| {
                tegoed_app::training::story(
                    tx,
                    &config,
                    ctx.as_of,
                    &account_manager,
                    invoice.as_deref(),
                    language,
                )
            })?;
            ctx.print(&story, |s| {
                let nl = language == tegoed_core::Language::Nl;
                let money = |m: tegoed_core::Money| m.display_in(language);
                let mut out = format!(
                    "{} {} — {} ({}), {}\n\n",
                    if nl { "Factuur" } else { "Invoice" },
                    s.invoice.number,
                    s.invoice.name,
                    s.invoice.customer,
                    money(s.invoice.amount)
                );
                for stage in &s.stages {
                    out.push_str(&format!(
                        "{}  {}{}{}\n",
                        tegoed_app::format::short_date(stage.date, language),
                        stage.title,
                        if stage.cost.minor > 0 {
                            format!(" [{}]", money(stage.cost))
                        } else {
                            String::new()
                        },
                        if stage.financing_so_far.minor > 0 {
                            format!(
                                " ({} {})",
                                if nl {
                                    "financiering tot nu toe"
                                } else {
                                    "financing so far"
                                },
                                money(stage.financing_so_far)
                            )
                        } else {
                            String::new()
                        }
                    ));
                    if let Some(text) = &stage.text {
                        for line in text.lines() {
                            out.push_str(&format!("            │ {line}\n"));
                        }
                    }
                }
                out.push_str(&format!(
                    "\n{}: {} {}, {} {}, {} {}{}\n",
                    if nl { "Wat het kostte" } else { "What it cost" },
                    if nl { "financiering" } else { "financing" },
                    money(s.cost.financing),
                    if nl {
                        "incassowerk"
                    } else {
                        "collection effort"
                    },
                    money(s.cost.collection),
                    if nl { "afgeschreven" } else { "written off" },
                    money(s.cost.written_off),
                    s.cost
                        .extra_revenue_needed
                        .map(|m| format!(
                            "; {} {}",
                            if nl {
                                "omzet nodig om dat terug te verdienen:"
                            } else {
                                "sales needed to earn it back:"
                            },
                            money(m)
                        ))
                        .unwrap_or_default()
                ));
                out
            })
        }
    }
}

pub fn promise_cmd(ctx: &Ctx, command: PromiseCommand) -> Result<()> {
    match command {
        PromiseCommand::Add {
            customer,
            amount,
            date,
            invoices,
            note,
        } => {
            let line = ctx.write(|tx, actor| {
                agreements::add_promise(
                    tx,
                    actor,
                    &customer,
                    &amount,
                    date,
                    &invoices,
                    note.as_deref(),
                    ctx.as_of,
                )
            })?;
            ctx.print(&line, promise_text)
        }
        PromiseCommand::List { broken } => {
            let lines = ctx.read(|tx| agreements::promises(tx, broken, ctx.as_of))?;
            ctx.print(&lines, |lines| {
                if lines.is_empty() {
                    if broken {
                        "No broken promises.\n".into()
                    } else {
                        "No promises.\n".into()
                    }
                } else {
                    lines.iter().map(promise_text).collect()
                }
            })
        }
    }
}

fn plan_text(p: &agreements::PlanLine) -> String {
    let mut text = format!(
        "Plan {} for {} ({}): {} in {} instalments — {} (paid {}){}\n",
        p.id,
        p.customer,
        p.name,
        crate::render::money(p.total),
        p.instalments.len(),
        p.status,
        crate::render::money(p.paid),
        p.missed
            .map(|m| format!(", missed the instalment due {m}"))
            .unwrap_or_default()
    );
    for i in &p.instalments {
        text.push_str(&format!(
            "  {:>3}. {}  {}\n",
            i.number,
            i.due_on,
            crate::render::money(i.amount)
        ));
    }
    text
}

pub fn plan_cmd(ctx: &Ctx, command: PlanCommand) -> Result<()> {
    let config = ctx.config()?;
    let grace = config.dunning.plan_grace_days;
    match command {
        PlanCommand::Create {
            customer,
            instalments,
            first,
            interval,
        } => {
            let line = ctx.write(|tx, actor| {
                agreements::create_plan(
                    tx,
                    actor,
                    &customer,
                    instalments,
                    first,
                    &interval,
                    grace,
                    ctx.as_of,
                )
            })?;
            ctx.print(&line, plan_text)
        }
        PlanCommand::List => {
            let lines = ctx.read(|tx| agreements::plans(tx, ctx.as_of, grace))?;
            ctx.print(&lines, |lines| {
                if lines.is_empty() {
                    "No payment plans.\n".into()
                } else {
                    lines.iter().map(plan_text).collect()
                }
            })
        }
    }
}

/// `pause CUSTOMER --until D` pauses; without a date (`--end`) the pause
/// ends today.
pub fn pause_cmd(
    ctx: &Ctx,
    customer: &str,
    until: Option<tegoed_core::Date>,
    reason: &str,
) -> Result<()> {
    let line = ctx.write(|tx, actor| match until {
        Some(until) => agreements::pause(tx, actor, customer, until, reason, ctx.as_of),
        None => agreements::end_pause(tx, actor, customer, reason, ctx.as_of),
    })?;
    ctx.print(&line, |l| match until {
        Some(_) => format!(
            "Dunning for {} is paused up to and including {}: {}\n",
            l.customer,
            l.pause_until.map(|d| d.to_string()).unwrap_or_default(),
            l.pause_reason.as_deref().unwrap_or("")
        ),
        None => format!(
            "Dunning for {} is no longer paused: {}\n",
            l.customer,
            l.pause_reason.as_deref().unwrap_or("")
        ),
    })
}

fn task_text(t: &agreements::TaskLine) -> String {
    let mut text = format!(
        "Task {} · due {} · {} · {} {}{}\n  {}\n",
        t.id,
        t.due_on,
        t.assignee.as_deref().unwrap_or("-"),
        t.customer,
        t.name,
        t.phone
            .as_ref()
            .map(|p| format!(" · {p}"))
            .unwrap_or_default(),
        t.title
    );
    for line in t.talking_points.lines() {
        text.push_str("  ");
        text.push_str(line);
        text.push('\n');
    }
    if let (Some(on), Some(outcome)) = (&t.done_on, &t.outcome) {
        text.push_str(&format!("  done {on}: {outcome}\n"));
    }
    text
}

pub fn tasks_cmd(ctx: &Ctx, command: Option<TasksCommand>, all: bool) -> Result<()> {
    match command {
        None => {
            let lines = ctx.read(|tx| agreements::tasks(tx, all))?;
            ctx.print(&lines, |lines| {
                if lines.is_empty() {
                    "No open tasks.\n".into()
                } else {
                    lines.iter().map(|t| task_text(t) + "\n").collect()
                }
            })
        }
        Some(TasksCommand::Done { id, outcome }) => {
            let line = ctx
                .write(|tx, actor| agreements::complete_task(tx, actor, id, &outcome, ctx.as_of))?;
            ctx.print(&line, task_text)
        }
    }
}

pub fn timeline_cmd(ctx: &Ctx, customer: &str, lang: Option<&str>) -> Result<()> {
    let language = crate::credit::language(&ctx.config()?, lang)?;
    let entries = ctx.read(|tx| {
        let ledger = tegoed_app::facts::CustomerLedger::load(tx, customer, ctx.as_of)?;
        agreements::timeline(tx, &ledger, ctx.as_of, language)
    })?;
    ctx.print(&entries, |entries| {
        let mut table = Table::new(&[
            ("Date", Align::Left),
            ("What", Align::Left),
            ("", Align::Left),
        ]);
        for e in entries {
            table.row(vec![e.date.to_string(), e.kind.clone(), e.text.clone()]);
        }
        table.render()
    })
}

pub fn tag_cmd(ctx: &Ctx, customer: &str, tags: &[String], remove: bool) -> Result<()> {
    let tags =
        ctx.write(|tx, actor| agreements::tag(tx, actor, customer, tags, remove, ctx.as_of))?;
    ctx.print(&tags, |tags| {
        format!(
            "Tags of {customer}: {}\n",
            if tags.is_empty() {
                "none".into()
            } else {
                tags.join(", ")
            }
        )
    })
}

fn euro_amount(text: &str, what: &str) -> Result<i64> {
    parse_amount(text, 2).map_err(|e| anyhow::anyhow!("{what} '{text}': {e}"))
}

pub fn legal_cmd(ctx: &Ctx, command: LegalCommand) -> Result<()> {
    let config = ctx.config()?;
    match command {
        LegalCommand::Interest {
            principal,
            from,
            to,
            commercial: _,
            consumer,
        } => {
            let kind = if consumer {
                InterestKind::Consumer
            } else {
                InterestKind::Commercial
            };
            let report = legal::interest(
                &config,
                euro_amount(&principal, "--principal")?,
                from,
                to,
                kind,
            )?;
            if ctx.json {
                // The documented shape, exactly.
                let out = serde_json::json!({
                    "principal": report.principal,
                    "interest": report.interest,
                    "periods": report.periods.iter().map(|p| serde_json::json!({
                        "from": p.from,
                        "to": p.to,
                        "rate": p.rate,
                        "days": p.days,
                        "interest": p.interest,
                    })).collect::<Vec<_>>(),
                });
                if !report.verified {
                    eprintln!(
                        "warning: a rate used is not confirmed or carried forward past the last known half-year; see `tegoed legal rates`"
                    );
                }
                crate::print_json(&out)?;
                return Ok(());
            }
            ctx.print(&report, |r| {
                let mut table = Table::new(&[
                    ("From", Align::Left),
                    ("To (not counted)", Align::Left),
                    ("Rate %", Align::Right),
                    ("Days", Align::Right),
                    ("On", Align::Right),
                    ("Interest", Align::Right),
                ]);
                for p in &r.periods {
                    table.row(vec![
                        p.from.clone(),
                        p.to.clone(),
                        format!("{}{}", p.rate, if p.verified { "" } else { " *" }),
                        p.days.to_string(),
                        p.principal.clone(),
                        p.interest.clone(),
                    ]);
                }
                let mut text = format!(
                    "{} interest on {} from {} to {} ({} days): {}\n{}",
                    if r.kind == "commercial" { "Statutory commercial" } else { "Statutory" },
                    r.principal,
                    r.from,
                    r.to,
                    r.days,
                    r.interest,
                    table.render()
                );
                if !r.verified {
                    text.push_str("* rate not confirmed or carried forward past the last known half-year: check it and add it to the rates file.\n");
                }
                text.push_str("Actual days / 365; a year's interest is added to the principal after each full year.\n");
                text
            })
        }
        LegalCommand::Wik { amount, vat_uplift } => {
            let uplift = vat_uplift
                .map(|v| Rate::parse_percent(&v).map_err(|e| anyhow::anyhow!("--vat-uplift: {e}")))
                .transpose()?;
            let report = legal::wik(euro_amount(&amount, "amount")?, uplift)?;
            if ctx.json {
                // The documented shape, exactly.
                let out = serde_json::json!({
                    "principal": report.principal,
                    "costs": report.costs,
                    "vat_uplift": report.vat_uplift,
                    "total_costs": report.total_costs,
                });
                crate::print_json(&out)?;
                return Ok(());
            }
            ctx.print(&report, |r| {
                let mut text = format!("WIK collection costs on a principal of {}:\n", r.principal);
                for b in &r.bands {
                    text.push_str(&format!(
                        "  {:>5} % of {:>12} = {:>9}\n",
                        b.rate, b.part, b.costs
                    ));
                }
                if r.minimum_applied {
                    text.push_str("  the minimum of 40.00 applies\n");
                }
                if r.maximum_applied {
                    text.push_str("  the maximum of 6775.00 applies\n");
                }
                text.push_str(&format!(
                    "Costs {} + VAT uplift {} = {}\n",
                    r.costs, r.vat_uplift, r.total_costs
                ));
                text
            })
        }
        LegalCommand::Rates => {
            #[derive(Serialize)]
            struct RateLine {
                kind: &'static str,
                from: String,
                rate: String,
                verified: bool,
            }
            let mut lines = Vec::new();
            for (kind, table) in [
                ("commercial", &config.legal.commercial_rates),
                ("consumer", &config.legal.consumer_rates),
            ] {
                for e in table.entries() {
                    lines.push(RateLine {
                        kind,
                        from: e.from.to_string(),
                        rate: e.rate.percent_string(),
                        verified: e.verified,
                    });
                }
            }
            ctx.print(&lines, |lines| {
                let mut table = Table::new(&[
                    ("Kind", Align::Left),
                    ("From", Align::Left),
                    ("Rate %", Align::Right),
                    ("Confirmed", Align::Left),
                ]);
                for l in lines {
                    table.row(vec![
                        l.kind.into(),
                        l.from.clone(),
                        l.rate.clone(),
                        yes_no(l.verified).into(),
                    ]);
                }
                table.render()
            })
        }
    }
}

pub fn claim_cmd(ctx: &Ctx, customer: &str, currency: &str) -> Result<()> {
    let config = ctx.config()?;
    let currency = Currency::parse(currency).map_err(|e| anyhow::anyhow!("--currency: {e}"))?;
    let claim = ctx.read(|tx| legal::claim(tx, &config, customer, currency, ctx.as_of))?;
    ctx.print(&claim, |c| {
        let mut table = Table::new(&[
            ("Invoice", Align::Left),
            ("Due", Align::Left),
            ("Days", Align::Right),
            ("Principal", Align::Right),
            ("Interest", Align::Right),
        ]);
        for i in &c.invoices {
            table.row(vec![
                i.number.clone(),
                i.due_date.to_string(),
                i.days_overdue.to_string(),
                i.principal.clone(),
                i.interest.clone(),
            ]);
        }
        let mut text = format!(
            "Claim on {} — {} ({}) as of {} in {}\n{}",
            c.customer,
            c.name,
            c.kind,
            c.as_of,
            c.currency.code(),
            table.render()
        );
        text.push_str(&format!(
            "Principal {}\nInterest  {} ({} statutory interest)\nCosts     {}\nTotal     {}\n",
            c.principal,
            c.interest,
            c.interest_kind,
            c.costs
                .as_ref()
                .map_or("0.00".into(), |k| k.total_costs.clone()),
            c.total
        ));
        text.push_str(&format!("Costs: {}\n", c.costs_basis));
        if !c.disputed.is_empty() {
            text.push_str(&format!("Left out (disputed): {}\n", c.disputed.join(", ")));
        }
        if !c.rates_verified {
            text.push_str(
                "Note: an interest rate used is not confirmed; see `tegoed legal rates`.\n",
            );
        }
        text
    })
}

pub fn config_cmd(ctx: &Ctx, command: ConfigCommand) -> Result<()> {
    match command {
        ConfigCommand::Init { path } => {
            if path.exists() {
                anyhow::bail!("{} exists already; not overwritten", path.display());
            }
            std::fs::write(&path, DEFAULT_CONFIG)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let out = serde_json::json!({ "file": path.display().to_string() });
            ctx.print(&out, |_| {
                format!(
                    "Wrote the default configuration to {}; edit it and Tegoed picks it up.\n",
                    path.display()
                )
            })
        }
        ConfigCommand::Check => {
            let config = ctx.config()?;
            let templates = ctx.templates(&config)?;
            let mut missing = Vec::new();
            for strategy in &config.strategies {
                for step in &strategy.steps {
                    let extension = if step.channel == tegoed_core::strategy::Channel::Handoff {
                        "html"
                    } else {
                        "txt"
                    };
                    if !templates.has(&step.template, extension) {
                        missing.push(format!("{}/{}: {}", strategy.id, step.id, step.template));
                    }
                }
            }
            if !missing.is_empty() {
                anyhow::bail!("templates not found: {}", missing.join("; "));
            }
            #[derive(Serialize)]
            struct Check {
                file: Option<String>,
                segments: Vec<String>,
                strategies: Vec<StrategyLine>,
            }
            #[derive(Serialize)]
            struct StrategyLine {
                id: String,
                tone: String,
                steps: Vec<String>,
            }
            let out = Check {
                file: config.source.as_ref().map(|p| p.display().to_string()),
                segments: config
                    .segments
                    .iter()
                    .map(|s| format!("{} → {}", s.id, s.strategy))
                    .collect(),
                strategies: config
                    .strategies
                    .iter()
                    .map(|s| StrategyLine {
                        id: s.id.clone(),
                        tone: s.tone.clone(),
                        steps: s
                            .steps
                            .iter()
                            .map(|step| {
                                format!(
                                    "{:+} {} ({})",
                                    step.offset_days,
                                    step.id,
                                    step.channel.as_str()
                                )
                            })
                            .collect(),
                    })
                    .collect(),
            };
            ctx.print(&out, |c| {
                let mut text = format!(
                    "Configuration {} is valid.\nSegments (first match wins): {}\n",
                    c.file.as_deref().unwrap_or("(shipped default)"),
                    c.segments.join(", ")
                );
                for s in &c.strategies {
                    text.push_str(&format!(
                        "Strategy {} ({}): {}\n",
                        s.id,
                        s.tone,
                        s.steps.join(" → ")
                    ));
                }
                text
            })
        }
    }
}

pub fn templates_cmd(ctx: &Ctx, command: TemplatesCommand) -> Result<()> {
    match command {
        TemplatesCommand::Export { dir } => {
            let written = templates::export(&dir)?;
            let out = serde_json::json!({ "dir": dir.display().to_string(), "written": written });
            ctx.print(&out, |_| {
                format!(
                    "Wrote {} templates to {} (existing files kept). Set `templates = \"{}\"` under [delivery] in tegoed.toml to use them.\n",
                    written.len(),
                    dir.display(),
                    dir.display()
                )
            })
        }
    }
}

/// Loads the configuration for a command.
pub fn load_config(explicit: Option<&std::path::Path>) -> Result<Config> {
    if let Some(path) = explicit {
        return Ok(Config::load(path)?);
    }
    let local = std::path::Path::new("tegoed.toml");
    if local.exists() {
        return Ok(Config::load(local)?);
    }
    Ok(Config::default_in(std::path::Path::new(".")))
}

pub fn load_templates(config: &Config) -> Result<Templates> {
    Ok(Templates::load(config.delivery.templates.as_deref())?)
}

/// `tegoed import dunning-history FILE.csv`.
pub fn import_history(ctx: &Ctx, file: &std::path::Path) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let config = ctx.config()?;
    let name = file.display().to_string();
    let summary = ctx.write(|tx, actor| {
        dunning::history::import(tx, actor, &config, &name, &bytes, ctx.as_of)
    })?;
    ctx.print(&summary, |s| {
        let mut text = format!(
            "Imported {} (dunning history): {} rows: {} inserted, {} updated, {} unchanged.\n",
            s.file, s.rows, s.inserted, s.updated, s.unchanged
        );
        for w in &s.warnings {
            text.push_str(&format!("warning: {w}\n"));
        }
        text
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "1 invoices on hold": one takes the singular.
    #[test]
    fn one_invoice_on_hold_is_not_counted_in_the_plural() {
        let skipped = |n| dunning::Skipped {
            invoices_on_hold: n,
            ..Default::default()
        };
        assert!(summary_text(&[], &skipped(1)).contains("; 1 invoice on hold (dispute"));
        assert!(summary_text(&[], &skipped(2)).contains("; 2 invoices on hold (dispute"));
    }
}
