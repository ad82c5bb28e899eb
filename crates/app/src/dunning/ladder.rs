//! The facts the ladder rules and the texts need, read once per run: each
//! invoice's last rung (from the messages Tegoed sent and the history
//! imported from an earlier system), the 14-day letters, and what really
//! happened with the customer — calls made with an outcome, promises made
//! and broken — so a message says only what is true.

use rustc_hash::FxHashMap;
use tegoed_core::agreements::PromiseStatus;
use tegoed_core::dunning::Rung;
use tegoed_core::strategy::{Channel, StepKind};
use tegoed_core::{CustomerId, Date, InvoiceId};
use tegoed_store::{LadderRow, ReadTx};

use crate::Result;
use crate::config::Config;

/// What an invoice has had.
#[derive(Clone, Debug, Default)]
pub struct InvoiceHistory {
    /// The last rung (the latest day; on one day the most severe).
    pub last: Option<Rung>,
    /// The end of the term of the latest 14-day letter about it.
    pub fourteen_day_until: Option<Date>,
    /// E-mails and letters about it before.
    pub written: u32,
    /// Messages of call steps about it (tasks created).
    pub call_messages: Vec<i64>,
}

/// The kind of a recorded step: as recorded, else as the configuration
/// says, else as its id suggests.
fn kind_of(config: &Config, row: &LadderRow) -> StepKind {
    row.kind
        .or_else(|| {
            row.strategy
                .as_deref()
                .and_then(|s| config.strategy(s))
                .and_then(|s| s.steps.iter().find(|st| st.id == row.step))
                .map(|st| st.kind)
        })
        .or_else(|| StepKind::from_step_id(&row.step))
        .unwrap_or(StepKind::Reminder)
}

/// Folds ladder rows into each invoice's history.
pub fn histories(config: &Config, rows: Vec<LadderRow>) -> FxHashMap<InvoiceId, InvoiceHistory> {
    let mut out: FxHashMap<InvoiceId, InvoiceHistory> = FxHashMap::default();
    for row in rows {
        let kind = kind_of(config, &row);
        let history = out.entry(row.invoice).or_default();
        if matches!(row.channel, Some(Channel::Email | Channel::Letter)) {
            history.written += 1;
        }
        if row.channel == Some(Channel::Call)
            && let Some(message) = row.message
        {
            history.call_messages.push(message);
        }
        if let Some(until) = row.fourteen_day_until {
            history.fourteen_day_until = Some(
                history
                    .fourteen_day_until
                    .map_or(until, |known| known.max(until)),
            );
        }
        let rung = Rung {
            strategy: row.strategy,
            step: row.step,
            kind,
            on: row.on,
            pay_by: row.pay_by,
        };
        let later = history
            .last
            .as_ref()
            .is_none_or(|last| (rung.on, kind.severity()) >= (last.on, last.kind.severity()));
        if later {
            history.last = Some(rung);
        }
    }
    out
}

/// A call that was made, with what came of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallMade {
    pub on: Date,
    pub by: Option<String>,
    pub outcome: String,
}

/// A promise the customer made and did not keep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PromiseBroken {
    pub made_on: Date,
    pub amount_minor: i64,
    pub promised_on: Date,
    pub invoices: Vec<InvoiceId>,
}

/// What happened with customers, for the texts.
#[derive(Default)]
pub struct Happened {
    /// Call tasks done with an outcome, by the message that created them.
    pub calls: FxHashMap<i64, CallMade>,
    /// Broken promises per customer, newest last.
    pub broken_promises: FxHashMap<CustomerId, Vec<PromiseBroken>>,
    /// Payment agreements made at the sale per customer, oldest first.
    pub sale_agreements: FxHashMap<CustomerId, Vec<tegoed_store::SaleAgreement>>,
}

impl Happened {
    /// Reads the done calls and the broken promises.
    pub fn read(tx: &mut dyn ReadTx) -> Result<Happened> {
        let mut happened = Happened::default();
        for task in tx.tasks(None, false)? {
            if let (Some(message), Some(on), Some(outcome)) =
                (task.task.message, task.done_on, task.outcome.as_ref())
                && !outcome.trim().is_empty()
            {
                happened.calls.insert(
                    message,
                    CallMade {
                        on,
                        by: task.task.assignee.clone(),
                        outcome: outcome.trim().to_string(),
                    },
                );
            }
        }
        for stored in tx.promises(None, false)? {
            let promise = stored.promise;
            if promise.status == PromiseStatus::Broken {
                happened
                    .broken_promises
                    .entry(promise.customer)
                    .or_default()
                    .push(PromiseBroken {
                        made_on: promise.created_on,
                        amount_minor: promise.amount.minor,
                        promised_on: promise.promised_on,
                        invoices: promise.invoices,
                    });
            }
        }
        for list in happened.broken_promises.values_mut() {
            list.sort_by_key(|p| (p.promised_on, p.made_on));
        }
        for stored in tx.sale_agreements(None)? {
            happened
                .sale_agreements
                .entry(stored.agreement.customer)
                .or_default()
                .push(stored.agreement);
        }
        Ok(happened)
    }

    /// The latest payment agreement made at the sale with `customer`, on or
    /// before `as_of`.
    pub fn sale_agreement(
        &self,
        customer: CustomerId,
        as_of: Date,
    ) -> Option<&tegoed_store::SaleAgreement> {
        self.sale_agreements
            .get(&customer)?
            .iter()
            .rfind(|a| a.agreed_on <= as_of)
    }

    /// The latest call made about any of `invoices`, with its outcome.
    pub fn last_call<'a>(
        &'a self,
        histories: &FxHashMap<InvoiceId, InvoiceHistory>,
        invoices: impl Iterator<Item = &'a InvoiceId>,
    ) -> Option<&'a CallMade> {
        invoices
            .filter_map(|i| histories.get(i))
            .flat_map(|h| h.call_messages.iter())
            .filter_map(|m| self.calls.get(m))
            .max_by_key(|c| c.on)
    }

    /// The latest broken promise of `customer` that covered one of
    /// `invoices` (or named none, and so covered the customer's overdue).
    pub fn broken_promise(
        &self,
        customer: CustomerId,
        invoices: &[InvoiceId],
    ) -> Option<&PromiseBroken> {
        self.broken_promises.get(&customer).and_then(|list| {
            list.iter()
                .rev()
                .find(|p| p.invoices.is_empty() || p.invoices.iter().any(|i| invoices.contains(i)))
        })
    }
}
