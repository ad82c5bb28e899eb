//! One customer, everything the shared customer view shows, in one read
//! transaction: the statement, the risk and the segment with their reasons,
//! the verdict on a standard deal, the timeline, agreements, pause requests,
//! calls and the collection state. The customer's ledger is read once and
//! used for all of them (a remote database sees a handful of round trips,
//! not one per section).

use std::sync::Arc;

use serde::Serialize;
use tegoed_core::{AccountManagerId, Currency, Date, Language, Money};
use tegoed_store::ReadTx;

use crate::Result;
use crate::access::{self, PauseRequestLine};
use crate::agreements::{
    self, DisputeLine, PlanLine, PromiseLine, StateLine, TaskLine, TimelineEntry,
};
use crate::config::Config;
use crate::facts::CustomerLedger;
use crate::policy::{CheckRequest, CheckResult, Checker, Subject};
use crate::reports::{self, Statement};
use crate::risk::{self, LoadedModel, RiskShow};
use crate::segments::{self, Explanation};

/// The shared view of one customer on a date.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerView {
    pub statement: Statement,
    /// Whose customer it is (what sales may do depends on it).
    #[serde(skip)]
    pub owner: Option<AccountManagerId>,
    pub risk: RiskShow,
    pub segment: Explanation,
    /// The credit policy on a deal of the customer's usual size (their
    /// median invoice of the last year); none without invoices.
    pub verdict: Option<CheckResult>,
    /// Oldest first.
    pub timeline: Vec<TimelineEntry>,
    pub disputes: Vec<DisputeLine>,
    pub promises: Vec<PromiseLine>,
    pub plans: Vec<PlanLine>,
    pub requests: Vec<PauseRequestLine>,
    pub tasks: Vec<TaskLine>,
    pub state: StateLine,
    /// Every invoice paid in full in the last 24 months: when, and how many
    /// days after its due date (negative: early), oldest first. What the
    /// risk class and the segment's payment facts are built on.
    pub paid: Vec<PaidInvoice>,
    /// Payment agreements made at the sale, oldest first.
    pub sale_agreements: Vec<agreements::SaleAgreementLine>,
    /// What sales invested in the relationship, for credit staff.
    pub relationship: Relationship,
}

/// What sales invested in the relationship: how long the customer has
/// bought, what they bought per year, and the account manager's own notes.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Relationship {
    /// The first invoice's date.
    #[serde(serialize_with = "crate::ser::opt_date")]
    pub since: Option<Date>,
    /// Invoiced per calendar year (credit notes taken off), oldest first.
    pub revenue_by_year: Vec<YearRevenue>,
    /// The account manager's notes on the timeline, newest first (at most 5).
    pub notes: Vec<TimelineEntry>,
    /// The account manager's name.
    pub account_manager: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct YearRevenue {
    pub year: i32,
    #[serde(serialize_with = "crate::ser::money")]
    pub revenue: Money,
}

/// The relationship of a customer from its ledger rows and timeline.
fn relationship(
    rows: &[tegoed_store::LedgerRow],
    timeline: &[TimelineEntry],
    manager: Option<(String, Option<String>)>,
) -> Relationship {
    let since = rows.iter().map(|r| r.issue_date).min();
    let mut by_year: std::collections::BTreeMap<i32, i64> = std::collections::BTreeMap::new();
    for row in rows.iter().filter(|r| r.currency == Currency::EUR) {
        let total = by_year.entry(row.issue_date.ymd().0).or_default();
        *total = total.saturating_add(row.amount_minor);
    }
    let email = manager.as_ref().and_then(|m| m.1.clone());
    let mut notes: Vec<TimelineEntry> = timeline
        .iter()
        .filter(|e| e.kind == "note" && email.is_some() && e.author == email)
        .cloned()
        .collect();
    notes.reverse();
    notes.truncate(5);
    Relationship {
        since,
        revenue_by_year: by_year
            .into_iter()
            .map(|(year, minor)| YearRevenue {
                year,
                revenue: Money::new(minor, Currency::EUR),
            })
            .collect(),
        notes,
        account_manager: manager.map(|m| m.0),
    }
}

/// An invoice paid in full: the day the last money arrived on it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PaidInvoice {
    #[serde(skip)]
    pub invoice: tegoed_core::InvoiceId,
    #[serde(serialize_with = "crate::ser::date")]
    pub paid_on: Date,
    pub days_late: i32,
    pub amount_minor: i64,
}

/// The invoices of `rows` paid in full in the 24 months before `as_of`.
pub fn paid_invoices(rows: &[tegoed_store::LedgerRow], as_of: Date) -> Vec<PaidInvoice> {
    let from = as_of.add_days(-730);
    let mut out: Vec<PaidInvoice> = rows
        .iter()
        .filter(|r| r.amount_minor > 0 && r.open_minor == 0)
        .filter_map(|r| {
            let paid_on = r.last_paid_on?;
            (paid_on >= from && paid_on <= as_of).then(|| PaidInvoice {
                invoice: r.invoice,
                paid_on,
                days_late: paid_on.days_since_epoch() - r.due_date.days_since_epoch(),
                amount_minor: r.amount_minor,
            })
        })
        .collect();
    out.sort_by_key(|p| (p.paid_on, p.invoice));
    out
}

/// The view of customer `number` on `as_of`, for a reader of `language`.
/// `model` is the risk model when the caller keeps one loaded (the web
/// app); `None` reads it.
pub fn view(
    tx: &mut dyn ReadTx,
    config: &Config,
    model: Option<Arc<LoadedModel>>,
    number: &str,
    as_of: Date,
    language: Language,
) -> Result<CustomerView> {
    let ledger = CustomerLedger::load(tx, number, as_of)?;
    let model = match model {
        Some(model) => Some(model),
        None => risk::load_model(tx)?.map(Arc::new),
    };
    let statement = reports::statement(tx, &ledger, as_of)?;
    let risk = risk::show(
        tx,
        config,
        model.as_deref(),
        &ledger.stored,
        &ledger.rows,
        as_of,
        language,
    )?;
    let segment = segments::explain(
        tx,
        config,
        &ledger.stored,
        &ledger.rows,
        Some(risk.score.class),
        as_of,
    )?;
    let verdict = match agreements::typical_of(&ledger.documents, as_of) {
        Some(amount) if amount > 0 => Some(Checker::with_model(config, model).check_customer(
            tx,
            &ledger.stored,
            &ledger.rows,
            &CheckRequest {
                subject: Subject::Customer(number.to_string()),
                amount: Money::new(amount, Currency::EUR),
                terms_days: None,
                language,
            },
            as_of,
        )?),
        _ => None,
    };
    let timeline = agreements::timeline(tx, &ledger, as_of, language)?;
    let manager = match ledger.stored.customer.account_manager {
        Some(m) => tx
            .account_managers()?
            .into_iter()
            .find(|(id, _)| *id == m)
            .map(|(_, a)| (a.name, a.email.map(|e| e.as_str().to_string()))),
        None => None,
    };
    let relationship = relationship(&ledger.rows, &timeline, manager);
    // The customer is read once, above; the lists below go by its id.
    let id = ledger.stored.id;
    Ok(CustomerView {
        owner: ledger.stored.customer.account_manager,
        statement,
        risk,
        segment,
        verdict,
        timeline,
        disputes: agreements::disputes_of(tx, id)?,
        promises: agreements::promises_of(tx, id, as_of)?,
        plans: agreements::plans_of(tx, id, as_of, config.dunning.plan_grace_days)?,
        requests: access::pause_requests_of(tx, Some(id), false)?,
        tasks: agreements::tasks_of(tx, id)?,
        state: agreements::state_for(tx, &ledger.stored)?,
        paid: paid_invoices(&ledger.rows, as_of),
        relationship,
        sale_agreements: tx
            .sale_agreements(Some(id))?
            .into_iter()
            .map(|a| agreements::SaleAgreementLine::of(number, a))
            .collect(),
    })
}
