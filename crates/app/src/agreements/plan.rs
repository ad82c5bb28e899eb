//! Payment plans (betalingsregelingen): the overdue invoices split into
//! instalments; completed when paid up, broken when an instalment is more
//! than the grace days late.

use crate::audit::{Detail, Label};
use crate::refusal::Refusal;
use serde::Serialize;
use tegoed_core::agreements::{Interval, PlanStatus, instalments, plan_status};
use tegoed_core::{Date, Money};
use tegoed_store::{PaymentPlan, ReadTx, StoredPlan, WriteTx};

use super::*;
use crate::access::{Action, Actor};
use crate::{AppError, Result};

/// A payment plan, as listed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PlanLine {
    pub id: i64,
    pub customer: String,
    pub name: String,
    #[serde(serialize_with = "crate::ser::date")]
    pub created_on: Date,
    #[serde(serialize_with = "crate::ser::money")]
    pub total: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub paid: Money,
    pub status: &'static str,
    #[serde(serialize_with = "crate::ser::opt_date")]
    pub missed: Option<Date>,
    pub instalments: Vec<InstalmentLine>,
    pub invoices: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InstalmentLine {
    pub number: u32,
    #[serde(serialize_with = "crate::ser::date")]
    pub due_on: Date,
    #[serde(serialize_with = "crate::ser::money")]
    pub amount: Money,
}

/// A plan's status on `as_of`, from what was paid on its invoices.
pub(crate) fn plan_status_on(
    tx: &mut dyn ReadTx,
    plan: &PaymentPlan,
    as_of: Date,
    grace_days: i32,
) -> Result<(PlanStatus, i64)> {
    let paid = if as_of >= plan.created_on {
        tx.allocated_between(&plan.invoices, plan.created_on, as_of)?
    } else {
        0
    };
    if plan.status != PlanStatus::Active {
        return Ok((plan.status, paid));
    }
    let interval = Interval::parse(&plan.interval)
        .ok_or_else(|| AppError::Invalid(format!("plan interval '{}'", plan.interval)))?;
    let schedule = instalments(plan.total.minor, plan.instalments, plan.first_due, interval);
    Ok((plan_status(&schedule, paid, as_of, grace_days), paid))
}

fn plan_line(
    tx: &mut dyn ReadTx,
    stored: &StoredPlan,
    as_of: Date,
    grace_days: i32,
) -> Result<PlanLine> {
    let plan = &stored.plan;
    let (status, paid) = plan_status_on(tx, plan, as_of, grace_days)?;
    let interval = Interval::parse(&plan.interval).unwrap_or(Interval::Months(1));
    let (customer, name) = customer_label(tx, plan.customer)?;
    Ok(PlanLine {
        id: stored.id,
        customer,
        name,
        created_on: plan.created_on,
        total: plan.total,
        paid: Money::new(paid, plan.total.currency),
        status: status.as_str(),
        missed: match status {
            PlanStatus::Broken { missed } => Some(missed),
            _ => None,
        },
        instalments: instalments(plan.total.minor, plan.instalments, plan.first_due, interval)
            .into_iter()
            .map(|i| InstalmentLine {
                number: i.number,
                due_on: i.due_on,
                amount: Money::new(i.amount_minor, plan.total.currency),
            })
            .collect(),
        invoices: invoice_numbers(tx, &plan.invoices)?,
    })
}

/// Creates a payment plan over the customer's overdue invoices.
#[allow(clippy::too_many_arguments)]
pub fn create_plan(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    number: &str,
    count: u32,
    first: Date,
    interval: &str,
    grace_days: i32,
    as_of: Date,
) -> Result<PlanLine> {
    if !(1..=120).contains(&count) {
        return Err(Refusal::InstalmentsOutOfRange { count }.into());
    }
    let parsed = Interval::parse(interval).ok_or_else(|| {
        AppError::from(Refusal::IntervalUnreadable {
            interval: interval.to_string(),
        })
    })?;
    if first < as_of {
        return Err(Refusal::FirstInstalmentBeforeToday {
            first,
            today: as_of,
        }
        .into());
    }
    crate::refusal::within_a_year("first", first, as_of)?;
    let stored = customer(tx, number)?;
    actor.require(Action::Collect, stored.customer.account_manager)?;
    if !tx.plans(Some(stored.id), true)?.is_empty() {
        return Err(Refusal::PlanAlreadyRunning {
            customer: number.to_string(),
        }
        .into());
    }
    let overdue = overdue_invoices(tx, stored.id, as_of)?;
    let Some(currency) = overdue.first().map(|o| o.3) else {
        return Err(Refusal::NothingOverdue {
            customer: number.to_string(),
            today: as_of,
        }
        .into());
    };
    let invoices: Vec<_> = overdue.into_iter().filter(|o| o.3 == currency).collect();
    let total = tegoed_core::money::sum_minor(invoices.iter().map(|o| o.2))?;
    let plan = PaymentPlan {
        customer: stored.id,
        created_on: as_of,
        total: Money::new(total, currency),
        instalments: count,
        first_due: first,
        interval: interval.trim().to_string(),
        status: PlanStatus::Active,
        status_on: None,
        invoices: invoices.iter().map(|o| o.0).collect(),
    };
    let id = tx.insert_plan(&plan)?;
    let schedule = instalments(total, count, first, parsed);
    tx.add_event(&event(
        stored.id,
        as_of,
        "plan_created",
        None,
        Some(id),
        {
            let numbers = numbers_of(&invoices);
            (
                format!(
                    "Payment plan: {} in {count} instalment{} of about {} from {} ({}), invoices {numbers}",
                    eur(total, currency),
                    if count == 1 { "" } else { "s" },
                    eur(schedule[0].amount_minor, currency),
                    date_en(first),
                    every(parsed, Language::En),
                ),
                format!(
                    "Betalingsregeling: {} in {count} termijn{} van ongeveer {} vanaf {} ({}), facturen {numbers}",
                    eur_nl(total, currency),
                    if count == 1 { "" } else { "en" },
                    eur_nl(schedule[0].amount_minor, currency),
                    date_nl(first),
                    every(parsed, Language::Nl),
                ),
            )
        },
    ))?;
    let line = plan_line(tx, &StoredPlan { id, plan }, as_of, grace_days)?;
    actor.audit(
        tx,
        "plan.create",
        number,
        Detail::none()
            .number(Label::Instalments, count)
            .date(Label::First, first)
            .number(Label::Plan, id),
    )?;
    Ok(line)
}

/// Payment plans with their status on `as_of`.
pub fn plans(tx: &mut dyn ReadTx, as_of: Date, grace_days: i32) -> Result<Vec<PlanLine>> {
    let list = tx.plans(None, false)?;
    list.iter()
        .map(|p| plan_line(tx, p, as_of, grace_days))
        .collect()
}

/// The customer's payment plans.
pub fn plans_of(
    tx: &mut dyn ReadTx,
    customer: CustomerId,
    as_of: Date,
    grace_days: i32,
) -> Result<Vec<PlanLine>> {
    let list = tx.plans(Some(customer), false)?;
    list.iter()
        .map(|p| plan_line(tx, p, as_of, grace_days))
        .collect()
}

/// How often the instalments fall due, in words ("every 2 weeks", "elke
/// maand"), for the timeline.
fn every(interval: Interval, language: Language) -> String {
    let nl = language == Language::Nl;
    match interval {
        Interval::Months(1) if nl => "elke maand".into(),
        Interval::Months(1) => "every month".into(),
        Interval::Months(n) if nl => format!("elke {n} maanden"),
        Interval::Months(n) => format!("every {n} months"),
        Interval::Days(7) if nl => "elke week".into(),
        Interval::Days(7) => "every week".into(),
        Interval::Days(d) if d % 7 == 0 && nl => format!("elke {} weken", d / 7),
        Interval::Days(d) if d % 7 == 0 => format!("every {} weeks", d / 7),
        Interval::Days(1) if nl => "elke dag".into(),
        Interval::Days(1) => "every day".into(),
        Interval::Days(d) if nl => format!("elke {d} dagen"),
        Interval::Days(d) => format!("every {d} days"),
    }
}

#[cfg(test)]
mod every_tests {
    use super::*;

    /// The timeline said "(elke 2w)": the form's code, not words.
    #[test]
    fn intervals_read_as_words() {
        let nl = |t| every(Interval::parse(t).expect("interval"), Language::Nl);
        let en = |t| every(Interval::parse(t).expect("interval"), Language::En);
        assert_eq!(nl("1m"), "elke maand");
        assert_eq!(nl("2w"), "elke 2 weken");
        assert_eq!(nl("1w"), "elke week");
        assert_eq!(nl("14d"), "elke 2 weken");
        assert_eq!(nl("10d"), "elke 10 dagen");
        assert_eq!(en("3m"), "every 3 months");
        assert_eq!(en("2w"), "every 2 weeks");
    }
}
