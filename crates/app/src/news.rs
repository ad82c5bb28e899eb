//! What an account manager should know about their customers this week
//! (My customers): invoices that just fell overdue, final notices and
//! hand-offs to the agency sent, credit holds set, and the answers to their
//! requests for a pause. What counts as news is decided here; the web app
//! words it.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use tegoed_core::strategy::StepKind;
use tegoed_core::{AccountManagerId, Date};
use tegoed_store::{MessageFilter, ReadTx};

use crate::Result;
use crate::config::Config;
use crate::portfolio::Portfolio;

/// How far back news goes, in days.
pub const DAYS: i32 = 14;
/// At most this many newly overdue invoices are told.
const MAX_OVERDUE: usize = 50;

/// One thing that happened with a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct News {
    /// `overdue`, `final_notice`, `handoff`, `blocked`, `pause_approved` or
    /// `pause_rejected` (a code: the page says it in words).
    pub kind: &'static str,
    #[serde(serialize_with = "crate::ser::date")]
    pub date: Date,
    pub customer: String,
    pub name: String,
    pub detail: Detail,
    /// The amount it is about, in minor units (euros).
    pub amount: Option<i64>,
}

/// What the news is about, for the page to put in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "is", rename_all = "snake_case")]
pub enum Detail {
    /// The invoice that fell overdue.
    Invoice { number: String },
    /// The channel the final notice or hand-off went by (`email`, `letter`,
    /// `handoff`).
    Channel { channel: String },
    /// Why the customer is on credit hold, as the dunning run or a person
    /// wrote it.
    HoldReason { reason: String },
    /// The pause asked for, until when, and who decided.
    Pause {
        #[serde(serialize_with = "crate::ser::date")]
        until: Date,
        decided_by: String,
    },
}

/// This week's news about `manager`'s customers, newest first.
pub fn for_account_manager(
    tx: &mut dyn ReadTx,
    book: &Portfolio,
    config: &Config,
    manager: AccountManagerId,
) -> Result<Vec<News>> {
    let as_of = book.as_of;
    let mut out = Vec::new();
    for n in book
        .newly_overdue
        .iter()
        .filter(|n| book.rows[n.row].account_manager == Some(manager))
        .take(MAX_OVERDUE)
    {
        let row = &book.rows[n.row];
        let number = tx
            .invoice(n.invoice)?
            .map(|i| i.invoice.number)
            .unwrap_or_default();
        out.push(News {
            kind: "overdue",
            date: n.due_date,
            customer: row.number.clone(),
            name: row.name.clone(),
            detail: Detail::Invoice { number },
            amount: Some(n.open_minor),
        });
    }
    let mine: HashMap<_, _> = book
        .rows
        .iter()
        .filter(|r| r.account_manager == Some(manager))
        .map(|r| (r.id, r))
        .collect();
    for back in 0..DAYS {
        let day = as_of.add_days(-back);
        for m in tx.messages(MessageFilter {
            as_of: Some(day),
            ..MessageFilter::default()
        })? {
            let Some(row) = mine.get(&m.message.customer) else {
                continue;
            };
            let handoff = m.message.channel.as_str() == "handoff";
            let kind = config
                .strategy(&m.message.strategy)
                .and_then(|s| s.steps.iter().find(|st| st.id == m.message.step_id))
                .map(|st| st.kind);
            if handoff || matches!(kind, Some(StepKind::FinalNotice | StepKind::Handoff)) {
                out.push(News {
                    kind: if handoff { "handoff" } else { "final_notice" },
                    date: day,
                    customer: row.number.clone(),
                    name: row.name.clone(),
                    detail: Detail::Channel {
                        channel: m.message.channel.as_str().to_string(),
                    },
                    amount: Some(m.message.principal_minor),
                });
            }
        }
    }
    for (customer, state) in tx.collection_states()? {
        if let (Some(row), Some(since)) = (mine.get(&customer), state.credit_hold_since)
            && since.add_days(DAYS) >= as_of
        {
            out.push(News {
                kind: "blocked",
                date: since,
                customer: row.number.clone(),
                name: row.name.clone(),
                detail: Detail::HoldReason {
                    reason: state.credit_hold_reason.unwrap_or_default(),
                },
                amount: Some(row.overdue_minor),
            });
        }
    }
    // Requests for a pause for these customers decided lately: the
    // salesperson who asked hears the answer.
    let numbers: HashSet<&str> = mine.values().map(|r| r.number.as_str()).collect();
    for request in crate::access::pause_requests(tx, None, false)? {
        let Some(decided_on) = request.decided_on else {
            continue;
        };
        if !numbers.contains(request.customer.as_str()) || decided_on.add_days(DAYS) < as_of {
            continue;
        }
        out.push(News {
            kind: if request.status == "approved" {
                "pause_approved"
            } else {
                "pause_rejected"
            },
            date: decided_on,
            customer: request.customer,
            name: request.name,
            detail: Detail::Pause {
                until: request.until,
                decided_by: request.decided_by.unwrap_or_default(),
            },
            amount: None,
        });
    }
    out.sort_by_key(|n| std::cmp::Reverse(n.date));
    Ok(out)
}
