//! What agreements mean for dunning on a date: which invoices to leave
//! alone, and which promises and plans were kept or broken (recorded once,
//! by the run).

use rustc_hash::FxHashSet;
use serde::Serialize;
use tegoed_core::agreements::{PlanStatus, PromiseStatus};
use tegoed_core::{CustomerId, Date, InvoiceId, Language};
use tegoed_store::ReadTx;

use super::*;
use crate::Result;

#[derive(Debug, Default)]
pub(crate) struct Evaluation {
    /// Invoices dunning must leave alone: disputed, under a pending promise,
    /// or in a plan on track.
    pub paused: FxHashSet<InvoiceId>,
    pub disputed: FxHashSet<InvoiceId>,
    /// Promises and plans whose status changed, to record.
    pub changes: Vec<AgreementChange>,
}

/// A promise kept or broken, a plan completed or broken.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AgreementChange {
    pub kind: &'static str,
    pub id: i64,
    #[serde(skip)]
    pub customer_id: CustomerId,
    pub customer: String,
    #[serde(skip)]
    pub promise: Option<PromiseStatus>,
    #[serde(skip)]
    pub plan: Option<PlanStatus>,
    pub text: String,
    /// The same in Dutch, for the timeline.
    #[serde(skip)]
    pub text_nl: String,
}

/// Disputes, promises and plans as they stand on `as_of`.
pub(crate) fn evaluate(tx: &mut dyn ReadTx, as_of: Date, grace_days: i32) -> Result<Evaluation> {
    let mut evaluation = Evaluation::default();
    for dispute in tx.disputes(None, true)? {
        evaluation.paused.insert(dispute.dispute.invoice);
        evaluation.disputed.insert(dispute.dispute.invoice);
    }
    for stored in tx.promises(None, true)? {
        let promise = &stored.promise;
        let (status, paid) = promise_status_on(tx, promise, as_of)?;
        match status {
            PromiseStatus::Pending => evaluation.paused.extend(promise.invoices.iter().copied()),
            done => {
                let number = tx
                    .customer(promise.customer)?
                    .map(|c| c.customer.number)
                    .unwrap_or_default();
                evaluation.changes.push(AgreementChange {
                    kind: if done == PromiseStatus::Kept {
                        "promise_kept"
                    } else {
                        "promise_broken"
                    },
                    id: stored.id,
                    customer_id: promise.customer,
                    customer: number,
                    promise: Some(done),
                    plan: None,
                    text: if done == PromiseStatus::Kept {
                        format!(
                            "Promise kept: {} paid by {}",
                            promise.amount.display(),
                            date_en(promise.promised_on)
                        )
                    } else {
                        format!(
                            "Promise broken: {} promised by {}, {} arrived",
                            promise.amount.display(),
                            date_en(promise.promised_on),
                            eur(paid, promise.amount.currency)
                        )
                    },
                    text_nl: if done == PromiseStatus::Kept {
                        format!(
                            "Toezegging nagekomen: {} betaald uiterlijk {}",
                            promise.amount.display_in(Language::Nl),
                            date_nl(promise.promised_on)
                        )
                    } else {
                        format!(
                            "Toezegging niet nagekomen: {} toegezegd voor {}, {} ontvangen",
                            promise.amount.display_in(Language::Nl),
                            date_nl(promise.promised_on),
                            eur_nl(paid, promise.amount.currency)
                        )
                    },
                });
            }
        }
    }
    for stored in tx.plans(None, true)? {
        let plan = &stored.plan;
        let (status, paid) = plan_status_on(tx, plan, as_of, grace_days)?;
        match status {
            PlanStatus::Active => evaluation.paused.extend(plan.invoices.iter().copied()),
            done => {
                let number = tx
                    .customer(plan.customer)?
                    .map(|c| c.customer.number)
                    .unwrap_or_default();
                let (kind, text, text_nl) = match done {
                    PlanStatus::Broken { missed } => (
                        "plan_broken",
                        format!(
                            "Payment plan broken: the instalment due {} was missed ({} of {} paid)",
                            date_en(missed),
                            eur(paid, plan.total.currency),
                            plan.total.display()
                        ),
                        format!(
                            "Betalingsregeling niet nagekomen: de termijn van {} is niet betaald ({} van {} betaald)",
                            date_nl(missed),
                            eur_nl(paid, plan.total.currency),
                            plan.total.display_in(Language::Nl)
                        ),
                    ),
                    _ => (
                        "plan_completed",
                        format!(
                            "Payment plan completed: {} paid in full",
                            plan.total.display()
                        ),
                        format!(
                            "Betalingsregeling afgerond: {} helemaal betaald",
                            plan.total.display_in(Language::Nl)
                        ),
                    ),
                };
                evaluation.changes.push(AgreementChange {
                    kind,
                    id: stored.id,
                    customer_id: plan.customer,
                    customer: number,
                    promise: None,
                    plan: Some(done),
                    text,
                    text_nl,
                });
            }
        }
    }
    Ok(evaluation)
}

/// Records evaluated changes (once: the status moves off pending/active).
pub(crate) fn record_changes(
    tx: &mut dyn WriteTx,
    changes: &[AgreementChange],
    as_of: Date,
) -> Result<()> {
    for change in changes {
        if let Some(status) = change.promise {
            tx.set_promise_status(change.id, status, as_of)?;
        }
        if let Some(status) = change.plan {
            tx.set_plan_status(change.id, status, as_of)?;
        }
        tx.add_event(&event(
            change.customer_id,
            as_of,
            change.kind,
            None,
            Some(change.id),
            (change.text.clone(), change.text_nl.clone()),
        ))?;
    }
    Ok(())
}
