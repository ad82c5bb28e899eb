//! Cross-training, *after the sale*: the story of one of a salesperson's
//! own invoices that went wrong — issued, due, each reminder with its text,
//! the calls and what came of them, promises, and the payment or the
//! hand-off — with what each stage cost (`tegoed training story` and the
//! page of the same name). By default the most instructive of the last
//! year's invoices that were reminded, handed off, paid late or are still
//! open after their due date: handed to the agency first, then the most
//! messages, then the most days late; the latest of equals.

use rustc_hash::FxHashMap;
use serde::Serialize;
use tegoed_core::scoreboard::CostRates;
use tegoed_core::strategy::Channel;
use tegoed_core::{Currency, Date, InvoiceId, Language, Money};
use tegoed_store::{MessageFilter, MessageStatus, ReadTx};

use crate::config::Config;
use crate::format;
use crate::{AppError, Result};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Story {
    pub account_manager: String,
    pub invoice: StoryInvoice,
    /// `paid`, `paid_late`, `open` or `handed_off`.
    pub outcome: &'static str,
    pub stages: Vec<Stage>,
    pub cost: crate::scoreboard::CostLine,
    #[serde(serialize_with = "crate::ser::date")]
    pub as_of: Date,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StoryInvoice {
    pub number: String,
    pub customer: String,
    pub name: String,
    #[serde(serialize_with = "crate::ser::date")]
    pub issue_date: Date,
    #[serde(serialize_with = "crate::ser::date")]
    pub due_date: Date,
    #[serde(serialize_with = "crate::ser::money")]
    pub amount: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub open: Money,
}

/// One stage of the story.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Stage {
    #[serde(serialize_with = "crate::ser::date")]
    pub date: Date,
    /// `issued`, `due`, `message`, `call`, `promise`, `payment`, `handoff`
    /// or `open` (what is still open today).
    pub kind: &'static str,
    /// What happened, in the reader's language.
    pub title: String,
    /// The message as the customer read it, or what came of a call.
    pub text: Option<String>,
    /// The effort this stage cost (a message, a call, a hand-off).
    #[serde(serialize_with = "crate::ser::money")]
    pub cost: Money,
    /// Financing of the open amount from the due date up to this stage.
    #[serde(serialize_with = "crate::ser::money")]
    pub financing_so_far: Money,
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

/// Financing of an open amount over time: `Σ open × days × rate ÷ 365`
/// from `due` up to `until`, the open amount falling at each payment.
fn financing(
    amount: i64,
    due: Date,
    payments: &[(Date, i64)],
    until: Date,
    cost_of_capital: f64,
) -> i64 {
    let mut open = amount;
    let mut from = due;
    let mut money_days: i128 = 0;
    for &(date, minor) in payments {
        if date > until {
            break;
        }
        if date > from {
            money_days += i128::from(open.max(0))
                * i128::from(date.days_since_epoch() - from.days_since_epoch());
            from = date;
        }
        open -= minor;
    }
    if until > from {
        money_days += i128::from(open.max(0))
            * i128::from(until.days_since_epoch() - from.days_since_epoch());
    }
    (money_days as f64 * cost_of_capital / 365.0).round() as i64
}

/// The story of an invoice of account manager `name` (by name or e-mail):
/// `invoice` when given, else the most instructive of the last year.
pub fn story(
    tx: &mut dyn ReadTx,
    config: &Config,
    as_of: Date,
    name: &str,
    invoice: Option<&str>,
    language: Language,
) -> Result<Story> {
    let nl = language == Language::Nl;
    let (manager_id, manager) = crate::managers::find(tx, name)?;
    let customers: FxHashMap<tegoed_core::CustomerId, (String, String)> = tx
        .customer_directory()?
        .into_iter()
        .filter(|c| c.account_manager == Some(manager_id))
        .map(|c| (c.id, (c.number, c.name)))
        .collect();
    // Messages, calls and hand-offs per invoice of these customers.
    let sent: Vec<tegoed_store::StoredMessage> = tx
        .messages(MessageFilter {
            status: Some(MessageStatus::Sent),
            ..MessageFilter::default()
        })?
        .into_iter()
        .filter(|m| customers.contains_key(&m.message.customer) && m.message.as_of <= as_of)
        .collect();
    let ids: Vec<i64> = sent.iter().map(|m| m.id).collect();
    let mut about: FxHashMap<InvoiceId, Vec<i64>> = FxHashMap::default();
    for (message, item) in tx.message_items_of(&ids)? {
        about.entry(item.invoice).or_default().push(message);
    }
    let by_id: FxHashMap<i64, &tegoed_store::StoredMessage> =
        sent.iter().map(|m| (m.id, m)).collect();
    let handed: rustc_hash::FxHashSet<tegoed_core::CustomerId> = tx
        .collection_states()?
        .into_iter()
        .filter(|(c, s)| customers.contains_key(c) && s.handed_off_on.is_some_and(|d| d <= as_of))
        .map(|(c, _)| c)
        .collect();
    // The candidates: their invoices of the last year (or the one asked).
    let mut rows = Vec::new();
    tx.scan_ledger(as_of, &mut |row| {
        if row.amount_minor > 0 && customers.contains_key(&row.customer) {
            rows.push(*row);
        }
    })?;
    let chosen = match invoice {
        Some(number) => {
            let found = tx
                .invoice_ref(number)?
                .ok_or_else(|| AppError::NotFound(format!("no invoice '{number}'")))?;
            rows.into_iter()
                .find(|r| r.invoice == found.id)
                .ok_or_else(|| {
                    AppError::NotFound(format!(
                        "invoice '{number}' is not of a customer of {}",
                        manager.name
                    ))
                })?
        }
        None => {
            // Went wrong: reminded, handed off, paid late or still open
            // after its due date (counted until today while open).
            let year_ago = as_of.add_years(-1);
            let days_late = |r: &tegoed_store::LedgerRow| {
                let settled = if r.open_minor > 0 {
                    as_of
                } else {
                    r.last_paid_on.unwrap_or(r.due_date)
                };
                settled.days_since_epoch() - r.due_date.days_since_epoch()
            };
            rows.into_iter()
                .filter(|r| r.issue_date >= year_ago && r.due_date < as_of)
                .filter(|r| {
                    about.contains_key(&r.invoice)
                        || handed.contains(&r.customer)
                        || days_late(r) > 0
                })
                .max_by_key(|r| {
                    (
                        handed.contains(&r.customer) && r.open_minor > 0,
                        about.get(&r.invoice).map_or(0, Vec::len),
                        days_late(r),
                        r.due_date,
                    )
                })
                .ok_or_else(|| {
                    AppError::NotFound(format!(
                        "no invoice of a customer of {} went wrong in the last year",
                        manager.name
                    ))
                })?
        }
    };
    let stored = tx
        .invoice(chosen.invoice)?
        .ok_or_else(|| AppError::NotFound("the invoice".into()))?;
    let (number, customer_name) = customers.get(&chosen.customer).cloned().unwrap_or_default();
    let mut payments: Vec<(Date, i64)> = tx
        .allocations_of(&[chosen.invoice])?
        .into_iter()
        .filter(|a| a.date <= as_of)
        .map(|a| (a.date, a.amount_minor))
        .collect();
    payments.sort();
    let coc = config.policy.cost_of_capital;
    let money = |minor: i64| format::money(minor, "EUR", language);
    let date_text = |d: Date| format::long_date(d, language);
    let financed = |at: Date| {
        eur(financing(
            chosen.amount_minor,
            chosen.due_date,
            &payments,
            at,
            coc,
        ))
    };
    let mut stages = vec![
        Stage {
            date: chosen.issue_date,
            kind: "issued",
            title: if nl {
                format!(
                    "Factuur {} verstuurd: {}",
                    stored.invoice.number,
                    money(chosen.amount_minor)
                )
            } else {
                format!(
                    "Invoice {} sent: {}",
                    stored.invoice.number,
                    money(chosen.amount_minor)
                )
            },
            text: None,
            cost: eur(0),
            financing_so_far: eur(0),
        },
        Stage {
            date: chosen.due_date,
            kind: "due",
            title: if nl {
                format!("Vervaldatum: {}", date_text(chosen.due_date))
            } else {
                format!("Due date: {}", date_text(chosen.due_date))
            },
            text: None,
            cost: eur(0),
            financing_so_far: eur(0),
        },
    ];
    let rates = CostRates {
        cost_of_capital: coc,
        margin: config.policy.margin,
        message_minor: config.scoreboard.message_cost_minor,
        call_minor: config.scoreboard.call_cost_minor,
        handoff_minor: config.scoreboard.handoff_cost_minor,
    };
    let mut collection = 0i64;
    let mut message_ids = about.get(&chosen.invoice).cloned().unwrap_or_default();
    message_ids.sort_unstable();
    message_ids.dedup();
    for id in &message_ids {
        let Some(m) = by_id.get(id) else { continue };
        let (kind, cost, title) = match m.message.channel {
            Channel::Handoff => (
                "handoff",
                rates.handoff_minor,
                if nl {
                    "Naar het incassobureau".to_string()
                } else {
                    "To the collection agency".to_string()
                },
            ),
            Channel::Call => (
                "call",
                rates.call_minor,
                if nl {
                    "Telefoontje gepland".to_string()
                } else {
                    "Call planned".to_string()
                },
            ),
            Channel::Email | Channel::Letter => (
                "message",
                rates.message_minor,
                format!(
                    "{}: {}",
                    if nl { "Bericht" } else { "Message" },
                    m.message.subject
                ),
            ),
        };
        collection += cost;
        stages.push(Stage {
            date: m.message.as_of,
            kind,
            title,
            text: (kind == "message").then(|| m.message.body_text.clone()),
            cost: eur(cost),
            financing_so_far: financed(m.message.as_of),
        });
    }
    for task in tx.tasks(Some(chosen.customer), true)? {
        let about_it = task.task.message.is_some_and(|m| message_ids.contains(&m));
        if let (true, Some(done_on), Some(outcome)) = (about_it, task.done_on, &task.outcome) {
            stages.push(Stage {
                date: done_on,
                kind: "call",
                title: if nl {
                    "Gebeld".to_string()
                } else {
                    "Called".to_string()
                },
                text: Some(outcome.clone()),
                cost: eur(0),
                financing_so_far: financed(done_on),
            });
        }
    }
    for promise in tx.promises(Some(chosen.customer), false)? {
        let p = promise.promise;
        if p.invoices.contains(&chosen.invoice) && p.created_on <= as_of {
            stages.push(Stage {
                date: p.created_on,
                kind: "promise",
                title: if nl {
                    format!(
                        "Belofte: {} uiterlijk {} ({})",
                        money(p.amount.minor),
                        date_text(p.promised_on),
                        match p.status.as_str() {
                            "kept" => "nagekomen",
                            "broken" => "niet nagekomen",
                            _ => "loopt nog",
                        }
                    )
                } else {
                    format!(
                        "Promise: {} by {} ({})",
                        money(p.amount.minor),
                        date_text(p.promised_on),
                        match p.status.as_str() {
                            "kept" => "kept",
                            "broken" => "broken",
                            _ => "pending",
                        }
                    )
                },
                text: p.note.clone(),
                cost: eur(0),
                financing_so_far: financed(p.created_on),
            });
        }
    }
    for &(date, minor) in &payments {
        let days = date.days_since_epoch() - chosen.due_date.days_since_epoch();
        stages.push(Stage {
            date,
            kind: "payment",
            title: match (nl, days > 0) {
                (true, true) => format!("{} betaald, {days} dagen na de vervaldatum", money(minor)),
                (true, false) => format!("{} betaald, op tijd", money(minor)),
                (false, true) => format!("{} paid, {days} days after the due date", money(minor)),
                (false, false) => format!("{} paid, on time", money(minor)),
            },
            text: None,
            cost: eur(0),
            financing_so_far: financed(date),
        });
    }
    // What is still open today, and what it has cost so far.
    if chosen.open_minor > 0 {
        let days = as_of.days_since_epoch() - chosen.due_date.days_since_epoch();
        stages.push(Stage {
            date: as_of,
            kind: "open",
            title: if nl {
                format!(
                    "Nog open: {}, {days} dagen na de vervaldatum",
                    money(chosen.open_minor)
                )
            } else {
                format!(
                    "Still open: {}, {days} days after the due date",
                    money(chosen.open_minor)
                )
            },
            text: None,
            cost: eur(0),
            financing_so_far: financed(as_of),
        });
    }
    stages.sort_by_key(|s| {
        let order = [
            "issued", "due", "message", "call", "promise", "payment", "handoff", "open",
        ];
        (s.date, order.iter().position(|k| *k == s.kind).unwrap_or(9))
    });
    let handed_off = handed.contains(&chosen.customer) && chosen.open_minor > 0;
    let written_off = if handed_off { chosen.open_minor } else { 0 };
    let end = if chosen.open_minor > 0 {
        as_of
    } else {
        payments.last().map_or(as_of, |p| p.0)
    };
    let financing_total = financing(chosen.amount_minor, chosen.due_date, &payments, end, coc);
    let lost = financing_total + collection + written_off;
    let outcome = if handed_off {
        "handed_off"
    } else if chosen.open_minor > 0 {
        "open"
    } else if payments.last().is_some_and(|p| p.0 > chosen.due_date) {
        "paid_late"
    } else {
        "paid"
    };
    Ok(Story {
        account_manager: manager.name,
        invoice: StoryInvoice {
            number: stored.invoice.number,
            customer: number,
            name: customer_name,
            issue_date: chosen.issue_date,
            due_date: chosen.due_date,
            amount: eur(chosen.amount_minor),
            open: eur(chosen.open_minor),
        },
        outcome,
        stages,
        cost: crate::scoreboard::CostLine {
            financing: eur(financing_total),
            collection: eur(collection),
            written_off: eur(written_off),
            extra_revenue_needed: (rates.margin > 0.0)
                .then(|| eur((lost as f64 / rates.margin).round() as i64)),
        },
        as_of,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn financing_follows_the_open_amount_over_time() {
        let d = |s: &str| Date::parse_iso(s).unwrap();
        // € 1,000 due 1 March, € 400 paid 11 March, the rest 21 March:
        // (1,000 × 10 + 600 × 10) euro-days × 8 % ÷ 365 = € 3.51.
        let payments = [(d("2026-03-11"), 40_000), (d("2026-03-21"), 60_000)];
        assert_eq!(
            financing(100_000, d("2026-03-01"), &payments, d("2026-03-31"), 0.08),
            351
        );
        // Up to the first payment only the whole amount counts.
        assert_eq!(
            financing(100_000, d("2026-03-01"), &payments, d("2026-03-11"), 0.08),
            219
        );
        // Paid before the due date: nothing.
        assert_eq!(
            financing(
                100_000,
                d("2026-03-01"),
                &[(d("2026-02-20"), 100_000)],
                d("2026-03-31"),
                0.08
            ),
            0
        );
    }
}
