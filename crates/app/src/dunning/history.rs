//! Go-live with history: `tegoed import dunning-history FILE.csv` records
//! what an earlier system already sent, so each invoice continues its
//! ladder from there instead of starting at the first rung.
//!
//! The file has the columns `invoice_number`, `step` and `date`, and
//! optionally `channel` and `strategy`. A step is a step id of the named
//! strategy, or — without a strategy — a step id of any strategy or a kind
//! (`reminder`, `second_reminder`, `call`, `demand`, `final_notice`, …).
//! The import is all-or-nothing per file and keyed by invoice, date and
//! step: importing the file again changes nothing. Every new row lands on
//! the customer's timeline.

use serde::Serialize;
use tegoed_core::Date;
use tegoed_core::strategy::{Channel, StepKind};
use tegoed_formats::ledger_csv::{self, DunningHistoryRow};
use tegoed_store::{HistoryRow, Upsert, WriteTx};

use crate::access::{Action, Actor};
use crate::agreements::{date_nl, event};
use crate::audit::Detail;
use crate::config::Config;
use crate::{AppError, Result};

/// What an import did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct HistorySummary {
    pub file: String,
    pub kind: &'static str,
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub warnings: Vec<String>,
}

fn row_error(
    file: &str,
    row: &DunningHistoryRow,
    column: &str,
    value: &str,
    reason: String,
) -> AppError {
    AppError::row(file, row.line, column, value, reason)
}

/// The step's kind and strategy, from the configuration or the kinds.
fn step_of(
    config: &Config,
    file: &str,
    row: &DunningHistoryRow,
) -> Result<(StepKind, Option<String>)> {
    if let Some(strategy_id) = &row.strategy {
        let strategy = config.strategy(strategy_id).ok_or_else(|| {
            row_error(
                file,
                row,
                "strategy",
                strategy_id,
                "no strategy with this id in the settings".into(),
            )
        })?;
        let step = strategy
            .steps
            .iter()
            .find(|s| s.id == row.step)
            .ok_or_else(|| {
                let ids: Vec<&str> = strategy.steps.iter().map(|s| s.id.as_str()).collect();
                row_error(
                    file,
                    row,
                    "step",
                    &row.step,
                    format!(
                        "not a step of strategy '{strategy_id}' ({})",
                        ids.join(", ")
                    ),
                )
            })?;
        return Ok((step.kind, Some(strategy_id.clone())));
    }
    let kind = StepKind::parse(&row.step).or_else(|| {
        config
            .strategies
            .iter()
            .flat_map(|s| s.steps.iter())
            .find(|s| s.id == row.step)
            .map(|s| s.kind)
    });
    kind.map(|k| (k, None)).ok_or_else(|| {
        row_error(
            file,
            row,
            "step",
            &row.step,
            "not a step of your strategies; use a step id, or one of heads_up, reminder, second_reminder, call, demand, fourteen_day_letter, final_notice, handoff".into(),
        )
    })
}

/// Imports a dunning history file in one transaction.
pub fn import(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    config: &Config,
    file: &str,
    bytes: &[u8],
    as_of: Date,
) -> Result<HistorySummary> {
    let parsed = ledger_csv::parse_dunning_history(bytes).map_err(|error| AppError::Input {
        file: file.to_string(),
        error,
    })?;
    actor.require(Action::Import, None)?;
    let mut summary = HistorySummary {
        file: file.to_string(),
        kind: "dunning_history",
        rows: parsed.rows.len() as u64,
        inserted: 0,
        updated: 0,
        unchanged: 0,
        warnings: parsed.warnings,
    };
    for row in &parsed.rows {
        let invoice = tx.invoice_by_number(&row.invoice_number)?.ok_or_else(|| {
            row_error(
                file,
                row,
                "invoice_number",
                &row.invoice_number,
                "no invoice with this number (import the invoices first)".into(),
            )
        })?;
        if row.date > as_of {
            return Err(row_error(
                file,
                row,
                "date",
                &row.date.to_string(),
                format!("after {as_of}: history is what was sent before"),
            ));
        }
        let (kind, strategy) = step_of(config, file, row)?;
        let channel = match &row.channel {
            None => None,
            Some(text) => Some(Channel::parse(text).ok_or_else(|| {
                row_error(
                    file,
                    row,
                    "channel",
                    text,
                    "not email, letter, call or handoff".into(),
                )
            })?),
        };
        let outcome = tx.insert_history(&HistoryRow {
            invoice: invoice.id,
            on: row.date,
            step: row.step.clone(),
            kind,
            channel,
            strategy,
        })?;
        match outcome {
            Upsert::Inserted => {
                summary.inserted += 1;
                tx.add_event(&event(
                    invoice.invoice.customer,
                    row.date,
                    "history",
                    Some(invoice.id),
                    None,
                    (
                        format!(
                            "Sent by the earlier system: {} about invoice {}",
                            kind_en(kind),
                            invoice.invoice.number
                        ),
                        format!(
                            "Verstuurd door het vorige systeem: {} over factuur {} ({})",
                            kind_nl(kind),
                            invoice.invoice.number,
                            date_nl(row.date)
                        ),
                    ),
                ))?;
            }
            Upsert::Updated => summary.updated += 1,
            Upsert::Unchanged => summary.unchanged += 1,
        }
    }
    actor.audit(
        tx,
        "import.dunning_history",
        file,
        Detail::row_counts(
            summary.rows,
            summary.inserted,
            summary.updated,
            summary.unchanged,
        ),
    )?;
    Ok(summary)
}

/// A step kind in English words.
pub fn kind_en(kind: StepKind) -> &'static str {
    match kind {
        StepKind::HeadsUp => "a friendly note before the due date",
        StepKind::Reminder => "a reminder",
        StepKind::SecondReminder => "a second reminder",
        StepKind::Call => "a call",
        StepKind::Demand => "a demand to pay",
        StepKind::FourteenDayLetter => "the 14-day letter",
        StepKind::FinalNotice => "a final notice",
        StepKind::Handoff => "the hand-off to the collection agency",
    }
}

/// A step kind in Dutch words.
pub fn kind_nl(kind: StepKind) -> &'static str {
    match kind {
        StepKind::HeadsUp => "een vriendelijk bericht vóór de vervaldatum",
        StepKind::Reminder => "een herinnering",
        StepKind::SecondReminder => "een tweede herinnering",
        StepKind::Call => "een telefoontje",
        StepKind::Demand => "een aanmaning",
        StepKind::FourteenDayLetter => "de veertiendagenbrief",
        StepKind::FinalNotice => "een laatste aanmaning",
        StepKind::Handoff => "de overdracht aan het incassobureau",
    }
}
