//! A customer's collection state and what changes it: dunning pauses,
//! notes, the credit limit and tags.

use crate::audit::{Detail, Label};
use crate::refusal::{Needed, Refusal};
use serde::Serialize;
use tegoed_core::{CustomerId, Date, Language};
use tegoed_store::{CollectionState, ReadTx, TimelineEvent, WriteTx};

use super::*;
use crate::access::{Action, Actor};
use crate::{AppError, Result};

/// The collection state of a customer, as shown.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StateLine {
    pub customer: String,
    #[serde(serialize_with = "crate::ser::opt_date")]
    pub pause_until: Option<Date>,
    pub pause_reason: Option<String>,
    #[serde(serialize_with = "crate::ser::opt_date")]
    pub credit_hold_since: Option<Date>,
    pub credit_hold_reason: Option<String>,
    #[serde(serialize_with = "crate::ser::opt_date")]
    pub handed_off_on: Option<Date>,
}

fn state_line(number: String, state: CollectionState) -> StateLine {
    StateLine {
        customer: number,
        pause_until: state.pause_until,
        pause_reason: state.pause_reason,
        credit_hold_since: state.credit_hold_since,
        credit_hold_reason: state.credit_hold_reason,
        handed_off_on: state.handed_off_on,
    }
}

/// Pauses dunning for a customer up to and including `until`.
pub fn pause(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    number: &str,
    until: Date,
    reason: &str,
    as_of: Date,
) -> Result<StateLine> {
    require_text(reason, Needed::PauseReason)?;
    let stored = customer(tx, number)?;
    actor.require(Action::Collect, stored.customer.account_manager)?;
    if until < as_of {
        // A pause that ended before today would only put an untrue line
        // on the timeline.
        return Err(Refusal::PauseEndsBeforeToday {
            until,
            today: as_of,
        }
        .into());
    }
    crate::refusal::within_a_year("until", until, as_of)?;
    let state = pause_in(tx, stored.id, until, reason, as_of)?;
    actor.audit(
        tx,
        "pause.set",
        number,
        Detail::none()
            .date(Label::Until, until)
            .text(Label::Reason, reason),
    )?;
    Ok(state_line(stored.customer.number, state))
}

/// Ends a customer's dunning pause today (dunning resumes with the next
/// run), with why on the timeline.
pub fn end_pause(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    number: &str,
    reason: &str,
    as_of: Date,
) -> Result<StateLine> {
    require_text(reason, Needed::EndPauseReason)?;
    let stored = customer(tx, number)?;
    actor.require(Action::Collect, stored.customer.account_manager)?;
    let state = tx.collection_state(stored.id)?;
    if state.pause_until.is_none_or(|until| until < as_of) {
        return Err(Refusal::NotPaused {
            customer: number.to_string(),
        }
        .into());
    }
    let state = pause_in(tx, stored.id, as_of.add_days(-1), reason, as_of)?;
    actor.audit(tx, "pause.end", number, Detail::said(reason))?;
    Ok(state_line(stored.customer.number, state))
}

/// Lifts a customer's credit hold (a credit manager's decision), with why
/// on the timeline; the dunning run may set it again at a step that does.
pub fn lift_credit_hold(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    number: &str,
    reason: &str,
    as_of: Date,
) -> Result<StateLine> {
    require_text(reason, Needed::LiftHoldReason)?;
    let stored = customer(tx, number)?;
    actor.require(Action::SetLimit, stored.customer.account_manager)?;
    if tx.collection_state(stored.id)?.credit_hold_since.is_none() {
        return Err(Refusal::NotOnHold {
            customer: number.to_string(),
        }
        .into());
    }
    let state = release_hold(
        tx,
        stored.id,
        as_of,
        (
            format!("Credit hold lifted: {}", reason.trim()),
            format!("Kredietstop opgeheven: {}", reason.trim()),
        ),
    )?;
    actor.audit(tx, "hold.lift", number, Detail::said(reason))?;
    Ok(state_line(stored.customer.number, state))
}

/// Takes a customer off credit hold, with why on the timeline (by a
/// person, or by the dunning run when nothing is overdue any more).
pub(crate) fn release_hold(
    tx: &mut dyn WriteTx,
    customer: CustomerId,
    as_of: Date,
    why: (String, String),
) -> Result<tegoed_store::CollectionState> {
    let mut state = tx.collection_state(customer)?;
    state.credit_hold_since = None;
    state.credit_hold_reason = None;
    tx.set_collection_state(customer, &state)?;
    tx.add_event(&event(
        customer,
        as_of,
        "credit_hold_released",
        None,
        None,
        why,
    ))?;
    Ok(state)
}

/// Sets the pause, with its timeline entry (a direct pause, or an approved
/// request).
pub(crate) fn pause_in(
    tx: &mut dyn WriteTx,
    customer: CustomerId,
    until: Date,
    reason: &str,
    as_of: Date,
) -> Result<CollectionState> {
    let mut state = tx.collection_state(customer)?;
    state.pause_until = Some(until);
    state.pause_reason = Some(reason.trim().to_string());
    tx.set_collection_state(customer, &state)?;
    tx.add_event(&event(
        customer,
        as_of,
        "pause",
        None,
        None,
        if until < as_of {
            (
                format!("Dunning pause ended: {}", reason.trim()),
                format!("Aanmaanpauze beëindigd: {}", reason.trim()),
            )
        } else {
            (
                format!("Dunning paused until {}: {}", date_en(until), reason.trim()),
                format!(
                    "Aanmaningen gepauzeerd tot en met {}: {}",
                    date_nl(until),
                    reason.trim()
                ),
            )
        },
    ))?;
    Ok(state)
}

/// Adds a timeline entry with its author inside `tx`: in English and
/// Dutch, or (a note) as written, `nl` being `None`.
pub(crate) fn add_event_in(
    tx: &mut dyn WriteTx,
    customer: CustomerId,
    date: Date,
    kind: &str,
    ref_id: Option<i64>,
    (text, nl): (String, Option<String>),
    author: Option<&str>,
) -> Result<i64> {
    Ok(tx.add_event(&TimelineEvent {
        customer,
        date,
        kind: kind.into(),
        invoice: None,
        ref_id,
        text,
        text_nl: nl,
        author: author.map(str::to_string),
    })?)
}

/// A note on the customer's timeline, by the actor, for sales and credit
/// staff alike.
pub fn add_note(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    number: &str,
    text: &str,
    as_of: Date,
) -> Result<TimelineEntry> {
    let author = actor.id.as_str();
    require_text(text, Needed::Note)?;
    if text.chars().count() > 4000 {
        return Err(Refusal::TooLong {
            field: "text",
            max: 4000,
            said: "a note can be at most 4,000 characters",
        }
        .into());
    }
    let stored = customer(tx, number)?;
    actor.require(Action::Note, stored.customer.account_manager)?;
    let id = add_event_in(
        tx,
        stored.id,
        as_of,
        "note",
        None,
        (text.trim().to_string(), None),
        Some(author),
    )?;
    actor.audit(
        tx,
        "note.add",
        number,
        Detail::said(&text.trim().chars().take(200).collect::<String>()),
    )?;
    Ok(TimelineEntry {
        date: as_of,
        kind: "note".into(),
        text: text.trim().to_string(),
        invoice: None,
        ref_id: Some(id),
        author: Some(author.to_string()),
    })
}

/// Sets (or with `None` removes) a customer's credit limit, on the
/// timeline; returns the limit before.
pub fn set_credit_limit(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    number: &str,
    limit: Option<tegoed_core::Money>,
    as_of: Date,
) -> Result<Option<tegoed_core::Money>> {
    if limit.is_some_and(|l| l.minor < 0) {
        return Err(Refusal::LimitNegative.into());
    }
    let mut stored = customer(tx, number)?;
    actor.require(Action::SetLimit, stored.customer.account_manager)?;
    let before = stored.customer.credit_limit;
    if before != limit {
        stored.customer.credit_limit = limit;
        tx.update_customer(stored.id, &stored.customer)?;
        add_event_in(
            tx,
            stored.id,
            as_of,
            "credit_limit",
            None,
            match (before, limit) {
                (_, Some(l)) => (
                    format!(
                        "Credit limit set to {} (was {})",
                        l.display(),
                        before
                            .map(|b| b.display().to_string())
                            .unwrap_or_else(|| "none".into())
                    ),
                    Some(format!(
                        "Kredietlimiet {} (was {})",
                        l.display_in(Language::Nl),
                        before
                            .map(|b| b.display_in(Language::Nl))
                            .unwrap_or_else(|| "geen".into())
                    )),
                ),
                (_, None) => (
                    "Credit limit removed".to_string(),
                    Some("Kredietlimiet verwijderd".to_string()),
                ),
            },
            Some(&actor.id),
        )?;
        actor.audit(
            tx,
            "limit.set",
            number,
            Detail::none()
                .money_or_none(Label::Limit, limit)
                .money_or_none(Label::Was, before),
        )?;
    }
    Ok(before)
}

/// Adds or removes tags; returns the customer's tags after.
pub fn tag(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    number: &str,
    tags: &[String],
    remove: bool,
    as_of: Date,
) -> Result<Vec<String>> {
    let stored = customer(tx, number)?;
    actor.require(Action::Collect, stored.customer.account_manager)?;
    for tag in tags {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty()
            || !tag
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        {
            return Err(AppError::Invalid(format!(
                "tag '{tag}': use letters, digits, - and _"
            )));
        }
        let changed = if remove {
            tx.remove_tag(stored.id, &tag)?
        } else {
            tx.add_tag(stored.id, &tag)?
        };
        if changed {
            tx.add_event(&event(
                stored.id,
                as_of,
                "tag",
                None,
                None,
                if remove {
                    (
                        format!("Tag removed: {tag}"),
                        format!("Label verwijderd: {tag}"),
                    )
                } else {
                    (
                        format!("Tag added: {tag}"),
                        format!("Label toegevoegd: {tag}"),
                    )
                },
            ))?;
            actor.audit(
                tx,
                if remove { "tag.remove" } else { "tag.add" },
                number,
                Detail::said(&tag),
            )?;
        }
    }
    Ok(tx.tags_of(stored.id)?)
}

/// The customer's collection state.
pub fn state_of(tx: &mut dyn ReadTx, number: &str) -> Result<StateLine> {
    let stored = customer(tx, number)?;
    state_for(tx, &stored)
}

/// [`state_of`] for a customer already read.
pub fn state_for(tx: &mut dyn ReadTx, stored: &StoredCustomer) -> Result<StateLine> {
    let state = tx.collection_state(stored.id)?;
    Ok(state_line(stored.customer.number.clone(), state))
}
