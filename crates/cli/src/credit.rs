//! The credit commands: the risk model, external ratings, risk groups, the
//! credit policy, the pre-sale check and the cost calculator.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use tegoed_app::config::Config;
use tegoed_app::policy::{CheckRequest, Checker, Subject};
use tegoed_app::risk::{self, GroupBy};
use tegoed_core::customer::CustomerKind;
use tegoed_core::party::SbiCode;
use tegoed_core::{Language, Money};

use crate::Ctx;
use crate::args::{CheckArgs, PolicyCommand, RiskCommand, RiskGroupBy};
use crate::render::{Align, Table};

pub(crate) fn language(config: &Config, lang: Option<&str>) -> Result<Language> {
    match lang {
        None => Ok(config.company.language),
        Some(l) => Language::parse(l).ok_or_else(|| anyhow!("--lang {l}: choose nl or en")),
    }
}

fn eur(text: &str, what: &str) -> Result<Money> {
    Money::parse(text, tegoed_core::Currency::EUR).map_err(|e| anyhow!("{what} '{text}': {e}"))
}

/// A percentage as a fraction: "25", "25%" or "25,5" → 0.25 / 0.255.
fn percent(text: &str, what: &str) -> Result<f64> {
    let clean = text.trim().trim_end_matches('%').trim().replace(',', ".");
    clean
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(|v| v / 100.0)
        .ok_or_else(|| anyhow!("{what} '{text}': expected a percentage such as 25 or 25%"))
}

fn pct(p: f64) -> String {
    format!("{:.1}%", p * 100.0)
}

pub fn risk_cmd(ctx: &Ctx, command: RiskCommand) -> Result<()> {
    let config = ctx.config()?;
    match command {
        RiskCommand::Train {
            holdout_months,
            late_days,
        } => {
            let started = Instant::now();
            let store = ctx.open()?;
            let report = risk::train(
                store.as_ref(),
                &ctx.actor(),
                &config.risk,
                ctx.as_of,
                holdout_months,
                late_days,
            )?;
            let seconds = started.elapsed().as_secs_f64();
            ctx.print(&report, |r| {
                let mut text = format!(
                    "Risk model {} trained as of {} ({seconds:.1} s): the chance an invoice is paid more than {} days late.\n\
                     Trained on {} invoices due before {} ({} late); tested on {} invoices due after ({} late).\n\
                     AUC {}   Brier score {:.4}   late → never paid: {}\n\nCalibration on the test invoices (predicted vs. actual share late):\n",
                    r.model_id,
                    r.trained_as_of,
                    r.late_days,
                    r.n_train,
                    r.cutoff,
                    pct(r.late_share_train),
                    r.n_test,
                    pct(r.late_share_test),
                    r.auc.map_or_else(|| "n/a (one class only)".to_string(), |a| format!("{a:.3}")),
                    r.brier,
                    pct(r.loss_share),
                );
                let mut table = Table::new(&[
                    ("Predicted from–to", Align::Left),
                    ("Invoices", Align::Right),
                    ("Predicted", Align::Right),
                    ("Actual", Align::Right),
                ]);
                for b in &r.calibration {
                    table.row(vec![
                        format!("{}–{}", pct(b.from), pct(b.to)),
                        b.n.to_string(),
                        pct(b.predicted),
                        pct(b.observed),
                    ]);
                }
                text.push_str(&table.render());
                text.push_str("\nWeights (standardized; + raises the risk):\n");
                for w in &r.weights {
                    text.push_str(&format!("  {:<22} {:+.3}\n", w.feature, w.weight));
                }
                text
            })
        }
        RiskCommand::Show { customer, lang } => {
            let lang = language(&config, lang.as_deref())?;
            let show = ctx.read(|tx| {
                let ledger = tegoed_app::facts::CustomerLedger::load(tx, &customer, ctx.as_of)?;
                let model = risk::load_model(tx)?;
                risk::show(
                    tx,
                    &config,
                    model.as_ref(),
                    &ledger.stored,
                    &ledger.rows,
                    ctx.as_of,
                    lang,
                )
            })?;
            ctx.print(&show, |s| {
                let mut text = format!("{} — {} (as of {})\n", s.customer, s.name, s.as_of);
                match (s.score.class, s.score.probability) {
                    (Some(c), Some(p)) => text.push_str(&format!(
                        "Risk class {c}: {} chance of paying more than {} days late (basis: {}).\n",
                        pct(p),
                        s.score.late_days.unwrap_or(30),
                        s.score.basis
                    )),
                    (Some(c), None) => {
                        text.push_str(&format!("Risk class {c} (basis: {}).\n", s.score.basis))
                    }
                    _ => text.push_str("No risk class.\n"),
                }
                if let Some(note) = &s.score.note {
                    text.push_str(&format!("Note: {note}.\n"));
                }
                if s.score.reasons.is_empty() && s.score.class.is_some() {
                    text.push_str("Nothing in the payment behaviour raises the risk.\n");
                }
                for r in &s.score.reasons {
                    text.push_str(&format!("  • {} (+{:.2})\n", r.text, r.contribution));
                }
                if let Some(r) = &s.rating {
                    text.push_str(&format!(
                        "External rating: {} {} ({}/100) of {}{}\n",
                        r.provider,
                        r.score,
                        r.score_100,
                        r.rated_on,
                        if r.stale { ", stale" } else { "" }
                    ));
                }
                text
            })
        }
    }
}

pub fn import_ratings(ctx: &Ctx, file: &Path) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = file.display().to_string();
    let summary = ctx.write(|tx, actor| risk::import_ratings(tx, actor, &name, &bytes))?;
    ctx.print(&summary, |s| {
        let mut text = format!(
            "Imported {} (ratings): {} rows: {} inserted, {} updated, {} unchanged",
            s.file, s.rows, s.inserted, s.updated, s.unchanged
        );
        if s.prospects > 0 {
            text.push_str(&format!("; {} for prospects (KvK only)", s.prospects));
        }
        text.push_str(".\n");
        for w in &s.warnings {
            text.push_str(&format!("warning: {w}\n"));
        }
        text
    })
}

pub fn risk_groups(ctx: &Ctx, by: RiskGroupBy) -> Result<()> {
    let config = ctx.config()?;
    let by = match by {
        RiskGroupBy::Industry => GroupBy::Industry,
        RiskGroupBy::Segment => GroupBy::Segment,
        RiskGroupBy::AccountManager => GroupBy::AccountManager,
    };
    let report = ctx.read(|tx| risk::risk_groups(tx, &config, ctx.as_of, by, Language::En))?;
    ctx.print(&report, |r| {
        let mut table = Table::new(&[
            ("Group", Align::Left),
            ("Name", Align::Left),
            ("Customers", Align::Right),
            ("Revenue 12m", Align::Right),
            ("DSO", Align::Right),
            ("Paid late", Align::Right),
            ("Avg days late", Align::Right),
            ("Lost", Align::Right),
            ("At agency", Align::Right),
            ("A/B/C/D/E", Align::Right),
        ]);
        let opt = |v: Option<f64>, f: fn(f64) -> String| v.map_or_else(|| "-".into(), f);
        for row in r.rows.iter().chain(std::iter::once(&r.total)) {
            let mix: Vec<String> = ["A", "B", "C", "D", "E"]
                .iter()
                .map(|c| row.classes.get(*c).copied().unwrap_or(0).to_string())
                .collect();
            table.row(vec![
                row.key.clone(),
                row.name.chars().take(32).collect(),
                row.customers.to_string(),
                crate::render::money(row.revenue_12m),
                opt(row.dso, |d| format!("{d:.0}")),
                opt(row.share_paid_late, pct),
                opt(row.avg_days_late, |d| format!("{d:.1}")),
                opt(row.share_lost, pct),
                row.handed_off.to_string(),
                mix.join("/"),
            ]);
        }
        let mut text = format!(
            "Risk groups by {} as of {}\n{}",
            r.by,
            r.as_of,
            table.render()
        );
        if r.model.is_none() {
            text.push_str("No risk model yet: run `tegoed risk train` for the class mix.\n");
        }
        text
    })
}

pub fn policy_cmd(ctx: &Ctx, command: PolicyCommand) -> Result<()> {
    let config = ctx.config()?;
    match command {
        PolicyCommand::Explain { lang } => {
            let lang = language(&config, lang.as_deref())?;
            let text = tegoed_app::policy::explain(&config, lang);
            ctx.print(&text, |t| t.text.clone())
        }
    }
}

pub fn check_cmd(ctx: &Ctx, args: CheckArgs) -> Result<()> {
    let config = ctx.config()?;
    let lang = language(&config, args.lang.as_deref())?;
    let amount = eur(&args.amount, "--amount")?;
    let subject = match (args.customer, args.new) {
        (Some(customer), false) => Subject::Customer(customer),
        (None, true) => {
            let kind = CustomerKind::parse(&args.kind)
                .ok_or_else(|| anyhow!("--kind {}: choose b2b or b2c", args.kind))?;
            let industry = args
                .industry
                .as_deref()
                .map(|i| SbiCode::parse(i).map_err(|e| anyhow!("--industry {i}: {}", e.reason)))
                .transpose()?;
            let kvk = args
                .kvk
                .as_deref()
                .map(|k| {
                    tegoed_core::party::KvkNumber::parse(k)
                        .map(|k| k.as_str().to_string())
                        .map_err(|e| anyhow!("--kvk {k}: {}", e.reason))
                })
                .transpose()?;
            Subject::Prospect {
                name: args.name.unwrap_or_default(),
                kvk,
                industry,
                kind,
            }
        }
        _ => {
            return Err(anyhow!(
                "give --customer ID, or --new --name NAME for a prospect"
            ));
        }
    };
    let request = CheckRequest {
        subject,
        amount,
        terms_days: args.terms,
        language: lang,
    };
    let result = ctx.read(|tx| Checker::new(tx, &config)?.check(tx, &request, ctx.as_of))?;
    let nl = lang == Language::Nl;
    ctx.print(&result, |r| {
        let verdict = match (r.verdict, nl) {
            ("approve", true) => "VERKOPEN op normale voorwaarden",
            ("approve", false) => "APPROVE: sell on normal terms",
            ("conditions", true) => "VERKOPEN MET VOORWAARDEN",
            ("conditions", false) => "CONDITIONS: sell with extra conditions",
            (_, true) => "ALLEEN TEGEN VOORUITBETALING",
            (_, false) => "PREPAY: prepayment only",
        };
        let who = r.subject.customer.clone().map_or_else(
            || format!("{} (prospect)", r.subject.name),
            |c| format!("{c} {}", r.subject.name),
        );
        let mut text = format!(
            "{who} — {} on {} days, as of {}\n\n{verdict}\n",
            r.amount.display(),
            r.terms_days,
            r.as_of
        );
        if !r.conditions.is_empty() {
            text.push_str(if nl { "\nVoorwaarden:\n" } else { "\nConditions:\n" });
            for c in &r.conditions {
                text.push_str(&format!("  • {}\n", c.text));
            }
        }
        text.push_str(if nl { "\nWaarom:\n" } else { "\nWhy:\n" });
        for reason in &r.reasons {
            text.push_str(&format!("  • {reason}\n"));
        }
        text.push_str(if nl { "\nChecklist vóór ondertekenen:\n" } else { "\nChecklist before signing:\n" });
        for (item, done) in r.checklist.iter().zip(&r.checklist_done) {
            let mark = if *done { "x" } else { " " };
            text.push_str(&format!("  [{mark}] {item}\n"));
        }
        if let Some(a) = &r.terms_agreed {
            text.push_str(&if nl {
                format!(
                    "  (afgesproken bij de verkoop op {}: {} dagen, met {})\n",
                    a.agreed_on, a.terms_days, a.agreed_with
                )
            } else {
                format!(
                    "  (agreed at the sale on {}: {} days, with {})\n",
                    a.agreed_on, a.terms_days, a.agreed_with
                )
            });
        }
        let c = &r.cost_of_non_payment;
        text.push_str(&if nl {
            format!(
                "\nWat niet (op tijd) betalen kost:\n  financiering ({} dagen te laat)  {}\n  verwacht verlies ({} kans)       {}\n  incasso-inspanning               {}\n  extra omzet nodig bij afschrijving ({} marge)  {}\n",
                c.expected_days_late, c.financing.display(), pct(c.probability_default), c.expected_loss.display(), c.collection.display(), pct(c.margin), c.extra_revenue_needed.display()
            )
        } else {
            format!(
                "\nWhat non-payment would cost:\n  financing ({} days late)            {}\n  expected loss ({} chance)          {}\n  collection effort                   {}\n  extra revenue to earn back a write-off ({} margin)  {}\n",
                c.expected_days_late, c.financing.display(), pct(c.probability_default), c.expected_loss.display(), c.collection.display(), pct(c.margin), c.extra_revenue_needed.display()
            )
        });
        text
    })
}

pub fn cost_cmd(
    ctx: &Ctx,
    amount: &str,
    days_late: f64,
    margin: Option<&str>,
    probability: Option<&str>,
) -> Result<()> {
    let config = ctx.config()?;
    let amount = eur(amount, "--amount")?;
    if !(0.0..=3650.0).contains(&days_late) {
        return Err(anyhow!("--days-late {days_late}: choose 0 to 3650 days"));
    }
    let margin = margin.map(|m| percent(m, "--margin")).transpose()?;
    let probability = probability
        .map(|p| percent(p, "--probability"))
        .transpose()?;
    let report = tegoed_app::policy::cost(&config, amount, days_late, margin, probability)?;
    ctx.print(&report, |r| {
        let mut text = format!(
            "A sale of {}:\n  paid {} days late costs {} in financing (cost of capital {})\n  one collection case costs {}\n  written off, it takes {} of extra sales to earn it back (margin {})\n",
            r.amount.display(),
            r.days_late,
            r.financing.display(),
            pct(r.cost_of_capital),
            r.collection.display(),
            r.extra_revenue_needed.display(),
            pct(r.margin)
        );
        if let (Some(p), Some(loss)) = (r.probability_default, r.expected_loss) {
            text.push_str(&format!("  with a {} chance of never being paid, the expected loss is {}\n", pct(p), loss.display()));
        }
        text
    })
}
