//! Call tasks: who to call, why, with talking points; done with an outcome.
//! The call list puts the most important first.

use crate::audit::Detail;
use crate::refusal::Needed;
use serde::Serialize;
use tegoed_core::{Date, Language, Money};
use tegoed_store::{ReadTx, StoredTask, TimelineEvent, WriteTx};

use super::*;
use crate::access::{Action, Actor};
use crate::{AppError, Result};

/// A call task, as listed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TaskLine {
    pub id: i64,
    pub customer: String,
    pub name: String,
    pub phone: Option<String>,
    pub kind: String,
    #[serde(serialize_with = "crate::ser::date")]
    pub created_on: Date,
    #[serde(serialize_with = "crate::ser::date")]
    pub due_on: Date,
    pub assignee: Option<String>,
    pub title: String,
    pub talking_points: String,
    #[serde(serialize_with = "crate::ser::money")]
    pub amount: Money,
    pub status: &'static str,
    #[serde(serialize_with = "crate::ser::opt_date")]
    pub done_on: Option<Date>,
    pub outcome: Option<String>,
}

impl TaskLine {
    /// What to say or know before acting on the task, in `language`: a
    /// decision of the sales and credit meeting says when it was made (its
    /// stored text is the English of that); other tasks their talking
    /// points as written (the call script is in the customer's language,
    /// a customer's request in their words).
    pub fn talking_points_in(&self, language: Language) -> String {
        if self.kind != "decision" {
            return self.talking_points.clone();
        }
        let day = crate::format::long_date(self.created_on, language);
        match language {
            Language::Nl => format!("Besloten in het overleg van sales en credit van {day}"),
            Language::En => format!("Decided at the sales and credit meeting of {day}"),
        }
    }
}

/// The lines of `list`, with the customers read in one go.
fn task_lines(tx: &mut dyn ReadTx, list: Vec<StoredTask>) -> Result<Vec<TaskLine>> {
    let customers = customer_labels(tx, list.iter().map(|t| t.task.customer))?;
    Ok(list
        .into_iter()
        .map(|t| {
            let customer = customers.get(&t.task.customer).cloned().unwrap_or_default();
            let task = t.task;
            TaskLine {
                id: t.id,
                customer: customer.number,
                phone: customer.phone,
                name: customer.name,
                kind: task.kind,
                created_on: task.created_on,
                due_on: task.due_on,
                assignee: task.assignee,
                title: task.title,
                talking_points: task.talking_points,
                amount: task.amount,
                status: if t.done_on.is_some() { "done" } else { "open" },
                done_on: t.done_on,
                outcome: t.outcome,
            }
        })
        .collect())
}

/// Open tasks (all with `all`), by due date.
pub fn tasks(tx: &mut dyn ReadTx, all: bool) -> Result<Vec<TaskLine>> {
    let list = tx.tasks(None, !all)?;
    task_lines(tx, list)
}

/// Marks a task done with its outcome, on the customer's timeline.
///
/// Collectors complete any call; an account manager completes the calls
/// about their own customers (the key accounts' calls are theirs).
pub fn complete_task(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    id: i64,
    outcome: &str,
    as_of: Date,
) -> Result<TaskLine> {
    require_text(outcome, Needed::CallOutcome)?;
    let stored = tx
        .task(id)?
        .ok_or_else(|| AppError::NotFound(format!("no task {id}")))?;
    if !actor.may(Action::Collect, None) {
        let owner = owner_of(tx, stored.task.customer)?;
        actor.require(Action::Agreement, owner)?;
    }
    if let Some(done) = stored.done_on {
        // Someone else was first (409), as with every "done already".
        return Err(AppError::Conflict(format!(
            "task {id} was already done on {done}"
        )));
    }
    tx.complete_task(id, as_of, outcome.trim())?;
    tx.add_event(&TimelineEvent {
        customer: stored.task.customer,
        date: as_of,
        // What was done: a call, a decision carried out, or another task
        // (a customer's request from their own page) handled.
        kind: match stored.task.kind.as_str() {
            "decision" => "decision_done",
            "call" => "call_done",
            _ => "task_done",
        }
        .into(),
        invoice: None,
        ref_id: Some(id),
        text: format!("{}: {}", stored.task.title, outcome.trim()),
        text_nl: None,
        author: Some(actor.id.clone()),
    })?;
    let line = task_lines(
        tx,
        vec![StoredTask {
            id,
            task: stored.task,
            done_on: Some(as_of),
            outcome: Some(outcome.trim().to_string()),
        }],
    )?
    .pop()
    .ok_or_else(|| AppError::NotFound(format!("no task {id}")))?;
    actor.audit(tx, "task.done", &line.customer, Detail::said(outcome))?;
    Ok(line)
}

/// A call to make, with what puts it high on the list.
#[derive(Debug, Clone, Serialize)]
pub struct CallLine {
    #[serde(flatten)]
    pub task: TaskLine,
    /// The customer's overdue amount today.
    #[serde(serialize_with = "crate::ser::money")]
    pub overdue: Money,
    /// Days the customer's oldest open invoice is overdue, today.
    pub days_overdue: i32,
    pub risk_class: Option<String>,
    /// Days the call itself is late (0 when due today).
    pub days_late: i32,
}

/// The calls to make on `as_of` — those due today and those still open from
/// earlier days — most important first: the customer's overdue amount
/// today times the weight of their risk class. Returns the number of calls
/// and the first `limit`.
pub fn call_list(
    tx: &mut dyn ReadTx,
    book: &crate::portfolio::Portfolio,
    as_of: Date,
    limit: usize,
) -> Result<(usize, Vec<CallLine>)> {
    let mut due: Vec<(i64, StoredTask)> = tx
        .tasks(None, true)?
        .into_iter()
        .filter(|t| t.task.due_on <= as_of && t.task.kind == "call")
        .map(|t| {
            let priority = book.row_by_id(t.task.customer).map_or(0, |r| {
                tegoed_core::priority::priority(r.overdue_minor, r.risk_class)
            });
            (priority, t)
        })
        .collect();
    due.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.task.due_on.cmp(&b.1.task.due_on)));
    let total = due.len();
    let first: Vec<StoredTask> = due.into_iter().take(limit).map(|(_, t)| t).collect();
    let lines = task_lines(tx, first)?
        .into_iter()
        .map(|task| {
            let row = book.row_of(&task.customer);
            CallLine {
                overdue: Money::eur(row.map_or(0, |r| r.overdue_minor)),
                days_overdue: row.map_or(0, |r| r.max_days_overdue.max(0)),
                risk_class: row.and_then(|r| r.risk_class).map(String::from),
                days_late: task.due_on.days_until(as_of).max(0),
                task,
            }
        })
        .collect();
    Ok((total, lines))
}

/// The customer's tasks, open ones first.
pub fn tasks_of(tx: &mut dyn ReadTx, customer: CustomerId) -> Result<Vec<TaskLine>> {
    let mut list: Vec<StoredTask> = tx.tasks(Some(customer), false)?;
    list.sort_by_key(|t| (t.done_on.is_some(), t.task.due_on));
    list.truncate(50);
    task_lines(tx, list)
}
