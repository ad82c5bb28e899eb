//! [`CollectionTx`] for SQLite: row mapping of the collection tables.

use rusqlite::{OptionalExtension, Row, params};
use tegoed_core::agreements::{PlanStatus, PromiseStatus};
use tegoed_core::strategy::{Channel, Effect, StepKind};
use tegoed_core::{CustomerId, Date, InvoiceId, Language, Money};

use crate::{SqliteTx, corrupt, currency, date};
use tegoed_store::Result;
use tegoed_store::collection::{
    CollectionRead, CollectionState, CollectionWrite, Dispute, FourteenDayRecord, HistoryRow,
    LadderRow, Lease, Message, MessageFilter, MessageItem, MessageStatus, PaymentPlan, Promise,
    SaleAgreement, StoredDispute, StoredEvent, StoredMessage, StoredPlan, StoredPromise,
    StoredSaleAgreement, StoredTask, Task, TimelineEvent,
};
use tegoed_store::{
    Appreciation, AppreciationStatus, Gift, GiftStatus, StoredAppreciation, StoredGift,
};

fn day(value: Date) -> i32 {
    value.days_since_epoch()
}

fn opt_day(value: Option<Date>) -> Option<i32> {
    value.map(day)
}

const APPRECIATION_COLUMNS: &str = "id, customer_id, reason, since, ref_id, suggested, evidence, \
     evidence_nl, raised_on, status, decided_on, decided_by, message_id";

type RawAppreciation = (StoredAppreciation, String, String, String);

fn appreciation_from_row(row: &Row<'_>) -> rusqlite::Result<RawAppreciation> {
    Ok((
        StoredAppreciation {
            id: row.get(0)?,
            appreciation: Appreciation {
                customer: CustomerId(row.get(1)?),
                reason: tegoed_core::appreciation::Reason::PlanCompleted,
                since: date(row.get(3)?),
                ref_id: row.get(4)?,
                suggested: tegoed_core::appreciation::Suggested::ThankYou,
                evidence: row.get(6)?,
                evidence_nl: row.get(7)?,
                raised_on: date(row.get(8)?),
            },
            status: AppreciationStatus::Open,
            decided_on: row.get::<_, Option<i32>>(10)?.map(date),
            decided_by: row.get(11)?,
            message: row.get(12)?,
        },
        row.get(2)?,
        row.get(5)?,
        row.get(9)?,
    ))
}

fn checked_appreciation(raw: RawAppreciation) -> Result<StoredAppreciation> {
    let (mut stored, reason, suggested, status) = raw;
    stored.appreciation.reason = tegoed_core::appreciation::Reason::parse(&reason)
        .ok_or_else(|| corrupt("appreciation reason", &reason))?;
    stored.appreciation.suggested = tegoed_core::appreciation::Suggested::parse(&suggested)
        .ok_or_else(|| corrupt("appreciation suggestion", &suggested))?;
    stored.status = AppreciationStatus::parse(&status)
        .ok_or_else(|| corrupt("appreciation status", &status))?;
    Ok(stored)
}

const GIFT_COLUMNS: &str = "id, customer_id, account_manager_id, appreciation_id, given_on, item, \
     value_minor, currency, logged_by, status, decided_by, decided_on";

type RawGift = (StoredGift, String, String);

fn gift_from_row(row: &Row<'_>) -> rusqlite::Result<RawGift> {
    Ok((
        StoredGift {
            id: row.get(0)?,
            gift: Gift {
                customer: CustomerId(row.get(1)?),
                account_manager: row
                    .get::<_, Option<i64>>(2)?
                    .map(tegoed_core::AccountManagerId),
                appreciation: row.get(3)?,
                given_on: date(row.get(4)?),
                item: row.get(5)?,
                value: Money::new(row.get(6)?, tegoed_core::Currency::EUR),
                logged_by: row.get(8)?,
            },
            status: GiftStatus::Given,
            decided_by: row.get(10)?,
            decided_on: row.get::<_, Option<i32>>(11)?.map(date),
        },
        row.get(7)?,
        row.get(9)?,
    ))
}

fn checked_gift(raw: RawGift) -> Result<StoredGift> {
    let (mut stored, code, status) = raw;
    stored.gift.value.currency = currency(&code)?;
    stored.status = GiftStatus::parse(&status).ok_or_else(|| corrupt("gift status", &status))?;
    Ok(stored)
}

const DISPUTE_COLUMNS: &str =
    "id, invoice_id, customer_id, opened_on, reason, resolved_on, resolution";

fn dispute_from_row(row: &Row<'_>) -> rusqlite::Result<StoredDispute> {
    Ok(StoredDispute {
        id: row.get(0)?,
        dispute: Dispute {
            invoice: InvoiceId(row.get(1)?),
            customer: CustomerId(row.get(2)?),
            opened_on: date(row.get(3)?),
            reason: row.get(4)?,
            resolved_on: row.get::<_, Option<i32>>(5)?.map(date),
            resolution: row.get(6)?,
        },
    })
}

const MESSAGE_COLUMNS: &str = "id, run_id, customer_id, as_of, segment, strategy, step_id, step_offset, \
     channel, language, recipient, sender_name, sender_email, subject, body_text, document, currency, \
     principal_minor, interest_minor, costs_minor, vat_uplift_minor, credit_minor, pay_by, effects, status, \
     delivered_on, file_path, error, fourteen_day, received_on, pay_without_costs_until, stated_costs_minor";

/// A message row before its text columns are checked.
struct RawMessage {
    id: i64,
    run: i64,
    customer: i64,
    as_of: i32,
    segment: String,
    strategy: String,
    step_id: String,
    step_offset: i32,
    channel: String,
    language: String,
    recipient: Option<String>,
    sender_name: String,
    sender_email: Option<String>,
    subject: String,
    body_text: String,
    document: String,
    currency: String,
    amounts: [i64; 5],
    pay_by: Option<i32>,
    effects: String,
    status: String,
    delivered_on: Option<i32>,
    file_path: Option<String>,
    error: Option<String>,
    fourteen_day: bool,
    fourteen: (Option<i32>, Option<i32>, Option<i64>),
}

fn message_from_row(row: &Row<'_>) -> rusqlite::Result<RawMessage> {
    Ok(RawMessage {
        id: row.get(0)?,
        run: row.get(1)?,
        customer: row.get(2)?,
        as_of: row.get(3)?,
        segment: row.get(4)?,
        strategy: row.get(5)?,
        step_id: row.get(6)?,
        step_offset: row.get(7)?,
        channel: row.get(8)?,
        language: row.get(9)?,
        recipient: row.get(10)?,
        sender_name: row.get(11)?,
        sender_email: row.get(12)?,
        subject: row.get(13)?,
        body_text: row.get(14)?,
        document: row.get(15)?,
        currency: row.get(16)?,
        amounts: [
            row.get(17)?,
            row.get(18)?,
            row.get(19)?,
            row.get(20)?,
            row.get(21)?,
        ],
        pay_by: row.get(22)?,
        effects: row.get(23)?,
        status: row.get(24)?,
        delivered_on: row.get(25)?,
        file_path: row.get(26)?,
        error: row.get(27)?,
        fourteen_day: row.get(28)?,
        fourteen: (row.get(29)?, row.get(30)?, row.get(31)?),
    })
}

impl RawMessage {
    fn into_stored(self) -> Result<StoredMessage> {
        let channel =
            Channel::parse(&self.channel).ok_or_else(|| corrupt("channel", &self.channel))?;
        let language =
            Language::parse(&self.language).ok_or_else(|| corrupt("language", &self.language))?;
        let status = MessageStatus::parse(&self.status)
            .ok_or_else(|| corrupt("message status", &self.status))?;
        let effects = self
            .effects
            .split(',')
            .filter(|e| !e.is_empty())
            .map(|e| Effect::parse(e).ok_or_else(|| corrupt("effect", e)))
            .collect::<Result<Vec<_>>>()?;
        let fourteen_day = match (self.fourteen_day, self.fourteen) {
            (true, (Some(received), Some(until), Some(costs))) => Some(FourteenDayRecord {
                received_on: date(received),
                pay_without_costs_until: date(until),
                stated_costs_minor: costs,
            }),
            (true, _) => return Err(corrupt("14-day letter of message", self.id)),
            (false, _) => None,
        };
        let [
            principal_minor,
            interest_minor,
            costs_minor,
            vat_uplift_minor,
            credit_minor,
        ] = self.amounts;
        Ok(StoredMessage {
            id: self.id,
            run: self.run,
            message: Message {
                customer: CustomerId(self.customer),
                as_of: date(self.as_of),
                segment: self.segment,
                strategy: self.strategy,
                step_id: self.step_id,
                step_offset: self.step_offset,
                channel,
                language,
                recipient: self.recipient,
                sender_name: self.sender_name,
                sender_email: self.sender_email,
                subject: self.subject,
                body_text: self.body_text,
                document: self.document,
                currency: currency(&self.currency)?,
                principal_minor,
                interest_minor,
                costs_minor,
                vat_uplift_minor,
                credit_minor,
                pay_by: self.pay_by.map(date),
                effects,
                fourteen_day,
            },
            status,
            delivered_on: self.delivered_on.map(date),
            file_path: self.file_path,
            error: self.error,
        })
    }
}

const TASK_COLUMNS: &str = "id, customer_id, message_id, kind, created_on, due_on, assignee, title, \
     talking_points, amount_minor, currency, done_on, outcome";

fn task_from_row(row: &Row<'_>) -> rusqlite::Result<(StoredTask, String)> {
    Ok((
        StoredTask {
            id: row.get(0)?,
            task: Task {
                customer: CustomerId(row.get(1)?),
                message: row.get(2)?,
                kind: row.get(3)?,
                created_on: date(row.get(4)?),
                due_on: date(row.get(5)?),
                assignee: row.get(6)?,
                title: row.get(7)?,
                talking_points: row.get(8)?,
                amount: Money::eur(row.get(9)?),
            },
            done_on: row.get::<_, Option<i32>>(11)?.map(date),
            outcome: row.get(12)?,
        },
        row.get(10)?,
    ))
}

fn promise_status(text: &str) -> Result<PromiseStatus> {
    match text {
        "pending" => Ok(PromiseStatus::Pending),
        "kept" => Ok(PromiseStatus::Kept),
        "broken" => Ok(PromiseStatus::Broken),
        _ => Err(corrupt("promise status", text)),
    }
}

/// The ladder rows of messages (not cancelled) and of imported history.
const SQL_LADDER: &str = "SELECT i.invoice_id, m.strategy, i.step, i.kind, m.as_of, m.pay_by, m.channel, \
     m.id, CASE WHEN m.fourteen_day = 1 THEN m.pay_without_costs_until END \
     FROM dunning_item i JOIN dunning_message m ON m.id = i.message_id \
     WHERE i.step IS NOT NULL AND m.status <> 'cancelled'";
const SQL_HISTORY: &str = "SELECT h.invoice_id, h.strategy, h.step, h.kind, h.date, NULL, h.channel, \
     NULL, NULL FROM dunning_history h";

impl SqliteTx<'_> {
    fn ladder_rows(&mut self, customer: Option<CustomerId>) -> Result<Vec<LadderRow>> {
        let (sql_ladder, sql_history) = match customer {
            None => (SQL_LADDER.to_string(), SQL_HISTORY.to_string()),
            Some(_) => (
                format!("{SQL_LADDER} AND m.customer_id = ?1"),
                format!(
                    "{SQL_HISTORY} WHERE h.invoice_id IN (SELECT id FROM invoice WHERE customer_id = ?1)"
                ),
            ),
        };
        let mut out = Vec::new();
        for sql in [sql_ladder, sql_history] {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let map = |row: &Row<'_>| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, Option<String>>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, Option<String>>(3)?,
                    row.get::<_, i32>(4)?,
                    row.get::<_, Option<i32>>(5)?,
                    row.get::<_, Option<String>>(6)?,
                    row.get::<_, Option<i64>>(7)?,
                    row.get::<_, Option<i32>>(8)?,
                ))
            };
            let rows = match customer {
                None => stmt
                    .query_map([], map)?
                    .collect::<rusqlite::Result<Vec<_>>>()?,
                Some(c) => stmt
                    .query_map([c.0], map)?
                    .collect::<rusqlite::Result<Vec<_>>>()?,
            };
            for (invoice, strategy, step, kind, on, pay_by, channel, message, fourteen) in rows {
                let kind = match kind {
                    Some(kind) => {
                        Some(StepKind::parse(&kind).ok_or_else(|| corrupt("step kind", &kind))?)
                    }
                    None => None,
                };
                let channel = match channel {
                    Some(c) => Some(Channel::parse(&c).ok_or_else(|| corrupt("channel", &c))?),
                    None => None,
                };
                out.push(LadderRow {
                    invoice: InvoiceId(invoice),
                    strategy,
                    step,
                    kind,
                    on: date(on),
                    pay_by: pay_by.map(date),
                    channel,
                    message,
                    fourteen_day_until: fourteen.map(date),
                });
            }
        }
        Ok(out)
    }

    fn invoice_list(&self, sql: &str, id: i64) -> Result<Vec<InvoiceId>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map([id], |row| Ok(InvoiceId(row.get(0)?)))?;
        let mut ids: Vec<InvoiceId> = rows.collect::<rusqlite::Result<_>>()?;
        ids.sort_unstable();
        Ok(ids)
    }

    fn query_messages(&self, filter: MessageFilter) -> Result<Vec<StoredMessage>> {
        let mut sql = format!("SELECT {MESSAGE_COLUMNS} FROM dunning_message WHERE 1 = 1");
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(customer) = filter.customer {
            values.push(customer.0.into());
            sql.push_str(&format!(" AND customer_id = ?{}", values.len()));
        }
        if let Some(status) = filter.status {
            values.push(status.as_str().to_string().into());
            sql.push_str(&format!(" AND status = ?{}", values.len()));
        }
        if let Some(run) = filter.run {
            values.push(run.into());
            sql.push_str(&format!(" AND run_id = ?{}", values.len()));
        }
        if let Some(as_of) = filter.as_of {
            values.push(i64::from(day(as_of)).into());
            sql.push_str(&format!(" AND as_of = ?{}", values.len()));
        }
        if let Some(since) = filter.since {
            values.push(i64::from(day(since)).into());
            sql.push_str(&format!(" AND as_of >= ?{}", values.len()));
        }
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let raw: Vec<RawMessage> = stmt
            .query_map(rusqlite::params_from_iter(values), message_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        let mut messages = raw
            .into_iter()
            .map(RawMessage::into_stored)
            .collect::<Result<Vec<_>>>()?;
        messages.sort_unstable_by_key(|m| m.id);
        Ok(messages)
    }
}

impl CollectionRead for SqliteTx<'_> {
    fn all_tags(&mut self) -> Result<Vec<(CustomerId, String)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT customer_id, tag FROM customer_tag")?;
        let rows = stmt.query_map([], |row| Ok((CustomerId(row.get(0)?), row.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn tags_of(&mut self, customer: CustomerId) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT tag FROM customer_tag WHERE customer_id = ?1")?;
        let rows = stmt.query_map([customer.0], |row| row.get(0))?;
        let mut tags: Vec<String> = rows.collect::<rusqlite::Result<_>>()?;
        tags.sort();
        Ok(tags)
    }

    fn collection_states(&mut self) -> Result<Vec<(CustomerId, CollectionState)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT customer_id, credit_hold_since, credit_hold_reason, pause_until, pause_reason, \
             handed_off_on FROM collection_state",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok((
                CustomerId(row.get(0)?),
                CollectionState {
                    credit_hold_since: row.get::<_, Option<i32>>(1)?.map(date),
                    credit_hold_reason: row.get(2)?,
                    pause_until: row.get::<_, Option<i32>>(3)?.map(date),
                    pause_reason: row.get(4)?,
                    handed_off_on: row.get::<_, Option<i32>>(5)?.map(date),
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn collection_state(&mut self, customer: CustomerId) -> Result<CollectionState> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT credit_hold_since, credit_hold_reason, pause_until, pause_reason, handed_off_on \
             FROM collection_state WHERE customer_id = ?1",
        )?;
        let state = stmt
            .query_row([customer.0], |row| {
                Ok(CollectionState {
                    credit_hold_since: row.get::<_, Option<i32>>(0)?.map(date),
                    credit_hold_reason: row.get(1)?,
                    pause_until: row.get::<_, Option<i32>>(2)?.map(date),
                    pause_reason: row.get(3)?,
                    handed_off_on: row.get::<_, Option<i32>>(4)?.map(date),
                })
            })
            .optional()?;
        Ok(state.unwrap_or_default())
    }

    fn open_dispute_on(&mut self, invoice: InvoiceId) -> Result<Option<StoredDispute>> {
        let sql = format!(
            "SELECT {DISPUTE_COLUMNS} FROM dispute WHERE invoice_id = ?1 AND resolved_on IS NULL"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt.query_row([invoice.0], dispute_from_row).optional()?)
    }

    fn disputes(
        &mut self,
        customer: Option<CustomerId>,
        open_only: bool,
    ) -> Result<Vec<StoredDispute>> {
        let open = if open_only {
            " AND resolved_on IS NULL"
        } else {
            ""
        };
        let mut rows: Vec<StoredDispute> = match customer {
            Some(customer) => {
                let sql =
                    format!("SELECT {DISPUTE_COLUMNS} FROM dispute WHERE customer_id = ?1{open}");
                let mut stmt = self.conn.prepare_cached(&sql)?;
                stmt.query_map([customer.0], dispute_from_row)?
                    .collect::<rusqlite::Result<_>>()?
            }
            None => {
                let sql = format!("SELECT {DISPUTE_COLUMNS} FROM dispute WHERE 1 = 1{open}");
                let mut stmt = self.conn.prepare_cached(&sql)?;
                stmt.query_map([], dispute_from_row)?
                    .collect::<rusqlite::Result<_>>()?
            }
        };
        rows.sort_unstable_by_key(|d| d.id);
        Ok(rows)
    }

    fn sale_agreements(
        &mut self,
        customer: Option<CustomerId>,
    ) -> Result<Vec<StoredSaleAgreement>> {
        let columns = "id, customer_id, agreed_on, terms_days, method, invoice_contact, \
                       agreed_with, agreed_by, note";
        let map = |row: &Row<'_>| -> rusqlite::Result<StoredSaleAgreement> {
            Ok(StoredSaleAgreement {
                id: row.get(0)?,
                agreement: SaleAgreement {
                    customer: CustomerId(row.get(1)?),
                    agreed_on: date(row.get(2)?),
                    terms_days: row.get(3)?,
                    method: row.get(4)?,
                    invoice_contact: row.get(5)?,
                    agreed_with: row.get(6)?,
                    agreed_by: row.get(7)?,
                    note: row.get(8)?,
                },
            })
        };
        let out = match customer {
            Some(c) => self
                .conn
                .prepare_cached(&format!(
                    "SELECT {columns} FROM sale_agreement WHERE customer_id = ?1 \
                     ORDER BY agreed_on, id"
                ))?
                .query_map([c.0], map)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
            None => self
                .conn
                .prepare_cached(&format!(
                    "SELECT {columns} FROM sale_agreement ORDER BY customer_id, agreed_on, id"
                ))?
                .query_map([], map)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
        };
        Ok(out)
    }

    fn promises(
        &mut self,
        customer: Option<CustomerId>,
        pending_only: bool,
    ) -> Result<Vec<StoredPromise>> {
        let pending = if pending_only {
            " AND status = 'pending'"
        } else {
            ""
        };
        let columns = "id, customer_id, created_on, amount_minor, currency, promised_on, status, status_on, note";
        type Raw = (
            i64,
            i64,
            i32,
            i64,
            String,
            i32,
            String,
            Option<i32>,
            Option<String>,
        );
        let map = |row: &Row<'_>| -> rusqlite::Result<Raw> {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
                row.get(6)?,
                row.get(7)?,
                row.get(8)?,
            ))
        };
        let raw: Vec<Raw> = match customer {
            Some(customer) => {
                let sql = format!("SELECT {columns} FROM promise WHERE customer_id = ?1{pending}");
                let mut stmt = self.conn.prepare_cached(&sql)?;
                stmt.query_map([customer.0], map)?
                    .collect::<rusqlite::Result<_>>()?
            }
            None => {
                let sql = format!("SELECT {columns} FROM promise WHERE 1 = 1{pending}");
                let mut stmt = self.conn.prepare_cached(&sql)?;
                stmt.query_map([], map)?.collect::<rusqlite::Result<_>>()?
            }
        };
        let mut promises = Vec::with_capacity(raw.len());
        for (id, customer, created, amount, code, promised, status, status_on, note) in raw {
            promises.push(StoredPromise {
                id,
                promise: Promise {
                    customer: CustomerId(customer),
                    created_on: date(created),
                    amount: Money::new(amount, currency(&code)?),
                    promised_on: date(promised),
                    status: promise_status(&status)?,
                    status_on: status_on.map(date),
                    note,
                    invoices: self.invoice_list(
                        "SELECT invoice_id FROM promise_invoice WHERE promise_id = ?1",
                        id,
                    )?,
                },
            });
        }
        promises.sort_unstable_by_key(|p| p.id);
        Ok(promises)
    }

    fn plans(
        &mut self,
        customer: Option<CustomerId>,
        active_only: bool,
    ) -> Result<Vec<StoredPlan>> {
        let active = if active_only {
            " AND status = 'active'"
        } else {
            ""
        };
        let columns = "id, customer_id, created_on, total_minor, currency, instalments, first_due, \
                       interval, status, status_on, missed_due";
        type Raw = (
            i64,
            i64,
            i32,
            i64,
            String,
            u32,
            i32,
            String,
            String,
            Option<i32>,
            Option<i32>,
        );
        let map = |row: &Row<'_>| -> rusqlite::Result<Raw> {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
                row.get(6)?,
                row.get(7)?,
                row.get(8)?,
                row.get(9)?,
                row.get(10)?,
            ))
        };
        let raw: Vec<Raw> = match customer {
            Some(customer) => {
                let sql =
                    format!("SELECT {columns} FROM payment_plan WHERE customer_id = ?1{active}");
                let mut stmt = self.conn.prepare_cached(&sql)?;
                stmt.query_map([customer.0], map)?
                    .collect::<rusqlite::Result<_>>()?
            }
            None => {
                let sql = format!("SELECT {columns} FROM payment_plan WHERE 1 = 1{active}");
                let mut stmt = self.conn.prepare_cached(&sql)?;
                stmt.query_map([], map)?.collect::<rusqlite::Result<_>>()?
            }
        };
        let mut plans = Vec::with_capacity(raw.len());
        for (id, customer, created, total, code, count, first, interval, status, on, missed) in raw
        {
            let status = match (status.as_str(), missed) {
                ("active", _) => PlanStatus::Active,
                ("completed", _) => PlanStatus::Completed,
                ("broken", Some(missed)) => PlanStatus::Broken {
                    missed: date(missed),
                },
                _ => return Err(corrupt("payment plan status", &status)),
            };
            plans.push(StoredPlan {
                id,
                plan: PaymentPlan {
                    customer: CustomerId(customer),
                    created_on: date(created),
                    total: Money::new(total, currency(&code)?),
                    instalments: count,
                    first_due: date(first),
                    interval,
                    status,
                    status_on: on.map(date),
                    invoices: self.invoice_list(
                        "SELECT invoice_id FROM plan_invoice WHERE plan_id = ?1",
                        id,
                    )?,
                },
            });
        }
        plans.sort_unstable_by_key(|p| p.id);
        Ok(plans)
    }

    fn allocated_between(&mut self, invoices: &[InvoiceId], from: Date, to: Date) -> Result<i64> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT COALESCE(SUM(amount_minor), 0) FROM allocation \
             WHERE invoice_id = ?1 AND date >= ?2 AND date <= ?3",
        )?;
        let mut total = 0i64;
        for invoice in invoices {
            total += stmt.query_row(params![invoice.0, day(from), day(to)], |row| {
                row.get::<_, i64>(0)
            })?;
        }
        Ok(total)
    }

    fn message(&mut self, id: i64) -> Result<Option<StoredMessage>> {
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM dunning_message WHERE id = ?1");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        stmt.query_row([id], message_from_row)
            .optional()?
            .map(RawMessage::into_stored)
            .transpose()
    }

    fn messages(&mut self, filter: MessageFilter) -> Result<Vec<StoredMessage>> {
        self.query_messages(filter)
    }

    fn message_items(&mut self, message: i64) -> Result<Vec<MessageItem>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT i.invoice_id, i.open_minor, i.interest_minor, i.days_overdue, i.step, i.kind \
             FROM dunning_item i WHERE i.message_id = ?1",
        )?;
        let rows = stmt.query_map([message], |row| {
            Ok((
                MessageItem {
                    invoice: InvoiceId(row.get(0)?),
                    open_minor: row.get(1)?,
                    interest_minor: row.get(2)?,
                    days_overdue: row.get(3)?,
                    step: None,
                },
                row.get::<_, Option<String>>(4)?,
                row.get::<_, Option<String>>(5)?,
            ))
        })?;
        let mut items = Vec::new();
        for row in rows {
            let (mut item, step, kind) = row?;
            if let Some(step) = step {
                let kind = match kind {
                    Some(kind) => {
                        StepKind::parse(&kind).ok_or_else(|| corrupt("step kind", &kind))?
                    }
                    None => StepKind::from_step_id(&step).unwrap_or(StepKind::Reminder),
                };
                item.step = Some((step, kind));
            }
            items.push(item);
        }
        items.sort_unstable_by_key(|i| i.invoice);
        Ok(items)
    }

    fn lease(&mut self, name: &str) -> Result<Option<Lease>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT name, token, holder, host, pid, started_at, expires_at \
                 FROM run_lease WHERE name = ?1",
            )?
            .query_row(params![name], |row| {
                Ok(Lease {
                    name: row.get(0)?,
                    token: row.get(1)?,
                    holder: row.get(2)?,
                    host: row.get(3)?,
                    pid: row.get(4)?,
                    started_at: row.get(5)?,
                    expires_at: row.get(6)?,
                })
            })
            .optional()?)
    }

    fn ladder(&mut self) -> Result<Vec<LadderRow>> {
        self.ladder_rows(None)
    }

    fn ladder_of(&mut self, customer: CustomerId) -> Result<Vec<LadderRow>> {
        self.ladder_rows(Some(customer))
    }

    fn task(&mut self, id: i64) -> Result<Option<StoredTask>> {
        let sql = format!("SELECT {TASK_COLUMNS} FROM task WHERE id = ?1");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let Some((mut task, code)) = stmt.query_row([id], task_from_row).optional()? else {
            return Ok(None);
        };
        task.task.amount.currency = currency(&code)?;
        Ok(Some(task))
    }

    fn tasks(&mut self, customer: Option<CustomerId>, open_only: bool) -> Result<Vec<StoredTask>> {
        let open = if open_only {
            " AND status = 'open'"
        } else {
            ""
        };
        let raw: Vec<(StoredTask, String)> = match customer {
            Some(customer) => {
                let sql = format!("SELECT {TASK_COLUMNS} FROM task WHERE customer_id = ?1{open}");
                let mut stmt = self.conn.prepare_cached(&sql)?;
                stmt.query_map([customer.0], task_from_row)?
                    .collect::<rusqlite::Result<_>>()?
            }
            None => {
                let sql = format!("SELECT {TASK_COLUMNS} FROM task WHERE 1 = 1{open}");
                let mut stmt = self.conn.prepare_cached(&sql)?;
                stmt.query_map([], task_from_row)?
                    .collect::<rusqlite::Result<_>>()?
            }
        };
        let mut tasks = Vec::with_capacity(raw.len());
        for (mut task, code) in raw {
            task.task.amount.currency = currency(&code)?;
            tasks.push(task);
        }
        tasks.sort_unstable_by_key(|t| (t.task.due_on, t.id));
        Ok(tasks)
    }

    fn appreciations(
        &mut self,
        customer: Option<CustomerId>,
        open_only: bool,
    ) -> Result<Vec<StoredAppreciation>> {
        let open = if open_only {
            " AND status = 'open'"
        } else {
            ""
        };
        let raw: Vec<RawAppreciation> = match customer {
            Some(c) => self
                .conn
                .prepare_cached(&format!(
                    "SELECT {APPRECIATION_COLUMNS} FROM appreciation WHERE customer_id = ?1{open} \
                     ORDER BY since, id"
                ))?
                .query_map([c.0], appreciation_from_row)?
                .collect::<rusqlite::Result<_>>()?,
            None => self
                .conn
                .prepare_cached(&format!(
                    "SELECT {APPRECIATION_COLUMNS} FROM appreciation WHERE 1 = 1{open} \
                     ORDER BY since, id"
                ))?
                .query_map([], appreciation_from_row)?
                .collect::<rusqlite::Result<_>>()?,
        };
        raw.into_iter().map(checked_appreciation).collect()
    }

    fn gifts(&mut self, customer: Option<CustomerId>) -> Result<Vec<StoredGift>> {
        let raw: Vec<RawGift> = match customer {
            Some(c) => self
                .conn
                .prepare_cached(&format!(
                    "SELECT {GIFT_COLUMNS} FROM gift WHERE customer_id = ?1 ORDER BY given_on, id"
                ))?
                .query_map([c.0], gift_from_row)?
                .collect::<rusqlite::Result<_>>()?,
            None => self
                .conn
                .prepare_cached(&format!(
                    "SELECT {GIFT_COLUMNS} FROM gift ORDER BY given_on, id"
                ))?
                .query_map([], gift_from_row)?
                .collect::<rusqlite::Result<_>>()?,
        };
        raw.into_iter().map(checked_gift).collect()
    }

    fn events(&mut self, customer: CustomerId) -> Result<Vec<StoredEvent>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, customer_id, date, kind, invoice_id, ref_id, text, author, text_nl \
             FROM timeline_event WHERE customer_id = ?1",
        )?;
        let rows = stmt.query_map([customer.0], |row| {
            Ok(StoredEvent {
                id: row.get(0)?,
                event: TimelineEvent {
                    customer: CustomerId(row.get(1)?),
                    date: date(row.get(2)?),
                    kind: row.get(3)?,
                    invoice: row.get::<_, Option<i64>>(4)?.map(InvoiceId),
                    ref_id: row.get(5)?,
                    text: row.get(6)?,
                    author: row.get(7)?,
                    text_nl: row.get(8)?,
                },
            })
        })?;
        let mut events: Vec<StoredEvent> = rows.collect::<rusqlite::Result<_>>()?;
        events.sort_unstable_by_key(|e| (e.event.date, e.id));
        Ok(events)
    }

    fn portal_requests(
        &mut self,
        customer: Option<CustomerId>,
        since: Date,
    ) -> Result<Vec<tegoed_store::StoredPortalRequest>> {
        self.portal_requests_since(customer, since)
    }
}

impl CollectionWrite for SqliteTx<'_> {
    fn add_tag(&mut self, customer: CustomerId, tag: &str) -> Result<bool> {
        let added = self
            .conn
            .prepare_cached(
                "INSERT INTO customer_tag (customer_id, tag) VALUES (?1, ?2) \
                 ON CONFLICT (customer_id, tag) DO NOTHING",
            )?
            .execute(params![customer.0, tag])?;
        Ok(added > 0)
    }

    fn remove_tag(&mut self, customer: CustomerId, tag: &str) -> Result<bool> {
        let removed = self
            .conn
            .prepare_cached("DELETE FROM customer_tag WHERE customer_id = ?1 AND tag = ?2")?
            .execute(params![customer.0, tag])?;
        Ok(removed > 0)
    }

    fn set_collection_state(
        &mut self,
        customer: CustomerId,
        state: &CollectionState,
    ) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO collection_state (customer_id, credit_hold_since, credit_hold_reason, \
                 pause_until, pause_reason, handed_off_on) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (customer_id) DO UPDATE SET credit_hold_since = excluded.credit_hold_since, \
                 credit_hold_reason = excluded.credit_hold_reason, pause_until = excluded.pause_until, \
                 pause_reason = excluded.pause_reason, handed_off_on = excluded.handed_off_on",
            )?
            .execute(params![
                customer.0,
                opt_day(state.credit_hold_since),
                state.credit_hold_reason,
                opt_day(state.pause_until),
                state.pause_reason,
                opt_day(state.handed_off_on),
            ])?;
        Ok(())
    }

    fn insert_dispute(&mut self, dispute: &Dispute) -> Result<i64> {
        self.conn
            .prepare_cached(
                "INSERT INTO dispute (invoice_id, customer_id, opened_on, reason, resolved_on, resolution) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                dispute.invoice.0,
                dispute.customer.0,
                day(dispute.opened_on),
                dispute.reason,
                opt_day(dispute.resolved_on),
                dispute.resolution,
            ])?;
        Ok(self.conn.last_insert_rowid())
    }

    fn resolve_dispute(&mut self, id: i64, on: Date, resolution: Option<&str>) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE dispute SET resolved_on = ?2, resolution = ?3 WHERE id = ?1")?
            .execute(params![id, day(on), resolution])?;
        Ok(())
    }

    fn insert_sale_agreement(&mut self, agreement: &SaleAgreement) -> Result<i64> {
        self.conn
            .prepare_cached(
                "INSERT INTO sale_agreement (customer_id, agreed_on, terms_days, method, \
                 invoice_contact, agreed_with, agreed_by, note) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                agreement.customer.0,
                day(agreement.agreed_on),
                agreement.terms_days,
                agreement.method,
                agreement.invoice_contact,
                agreement.agreed_with,
                agreement.agreed_by,
                agreement.note,
            ])?;
        Ok(self.conn.last_insert_rowid())
    }

    fn insert_promise(&mut self, promise: &Promise) -> Result<i64> {
        self.conn
            .prepare_cached(
                "INSERT INTO promise (customer_id, created_on, amount_minor, currency, promised_on, \
                 status, status_on, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                promise.customer.0,
                day(promise.created_on),
                promise.amount.minor,
                promise.amount.currency.code(),
                day(promise.promised_on),
                promise.status.as_str(),
                opt_day(promise.status_on),
                promise.note,
            ])?;
        let id = self.conn.last_insert_rowid();
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO promise_invoice (promise_id, invoice_id) VALUES (?1, ?2)",
        )?;
        for invoice in &promise.invoices {
            stmt.execute(params![id, invoice.0])?;
        }
        Ok(id)
    }

    fn set_promise_status(&mut self, id: i64, status: PromiseStatus, on: Date) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE promise SET status = ?2, status_on = ?3 WHERE id = ?1")?
            .execute(params![id, status.as_str(), day(on)])?;
        Ok(())
    }

    fn insert_plan(&mut self, plan: &PaymentPlan) -> Result<i64> {
        let missed = match plan.status {
            PlanStatus::Broken { missed } => Some(day(missed)),
            _ => None,
        };
        self.conn
            .prepare_cached(
                "INSERT INTO payment_plan (customer_id, created_on, total_minor, currency, instalments, \
                 first_due, interval, status, status_on, missed_due) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                plan.customer.0,
                day(plan.created_on),
                plan.total.minor,
                plan.total.currency.code(),
                plan.instalments,
                day(plan.first_due),
                plan.interval,
                plan.status.as_str(),
                opt_day(plan.status_on),
                missed,
            ])?;
        let id = self.conn.last_insert_rowid();
        let mut stmt = self
            .conn
            .prepare_cached("INSERT INTO plan_invoice (plan_id, invoice_id) VALUES (?1, ?2)")?;
        for invoice in &plan.invoices {
            stmt.execute(params![id, invoice.0])?;
        }
        Ok(id)
    }

    fn set_plan_status(&mut self, id: i64, status: PlanStatus, on: Date) -> Result<()> {
        let missed = match status {
            PlanStatus::Broken { missed } => Some(day(missed)),
            _ => None,
        };
        self.conn
            .prepare_cached(
                "UPDATE payment_plan SET status = ?2, status_on = ?3, missed_due = ?4 WHERE id = ?1",
            )?
            .execute(params![id, status.as_str(), day(on), missed])?;
        Ok(())
    }

    fn insert_run(&mut self, as_of: Date) -> Result<i64> {
        self.conn
            .prepare_cached("INSERT INTO dunning_run (as_of, messages) VALUES (?1, 0)")?
            .execute([day(as_of)])?;
        Ok(self.conn.last_insert_rowid())
    }

    fn set_run_messages(&mut self, run: i64, messages: u64) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE dunning_run SET messages = ?2 WHERE id = ?1")?
            .execute(params![run, messages as i64])?;
        Ok(())
    }

    fn insert_message(
        &mut self,
        run: i64,
        message: &Message,
        items: &[MessageItem],
    ) -> Result<i64> {
        let effects: Vec<&str> = message.effects.iter().map(|e| e.as_str()).collect();
        let fourteen = message.fourteen_day;
        self.conn
            .prepare_cached(
                "INSERT INTO dunning_message (run_id, customer_id, as_of, segment, strategy, step_id, \
                 step_offset, channel, language, recipient, sender_name, sender_email, subject, \
                 body_text, document, currency, principal_minor, interest_minor, costs_minor, \
                 vat_uplift_minor, credit_minor, pay_by, effects, status, fourteen_day, received_on, \
                 pay_without_costs_until, stated_costs_minor) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, \
                 ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, 'queued', \
                 ?24, ?25, ?26, ?27)",
            )?
            .execute(params![
                run,
                message.customer.0,
                day(message.as_of),
                message.segment,
                message.strategy,
                message.step_id,
                message.step_offset,
                message.channel.as_str(),
                message.language.as_str(),
                message.recipient,
                message.sender_name,
                message.sender_email,
                message.subject,
                message.body_text,
                message.document,
                message.currency.code(),
                message.principal_minor,
                message.interest_minor,
                message.costs_minor,
                message.vat_uplift_minor,
                message.credit_minor,
                opt_day(message.pay_by),
                effects.join(","),
                fourteen.is_some(),
                fourteen.map(|f| day(f.received_on)),
                fourteen.map(|f| day(f.pay_without_costs_until)),
                fourteen.map(|f| f.stated_costs_minor),
            ])?;
        let id = self.conn.last_insert_rowid();
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO dunning_item (message_id, invoice_id, open_minor, interest_minor, \
             days_overdue, step_offset, step, kind) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for item in items {
            stmt.execute(params![
                id,
                item.invoice.0,
                item.open_minor,
                item.interest_minor,
                item.days_overdue,
                item.step.as_ref().map(|_| message.step_offset),
                item.step.as_ref().map(|(step, _)| step.as_str()),
                item.step.as_ref().map(|(_, kind)| kind.as_str()),
            ])?;
        }
        Ok(id)
    }

    fn set_message_status(
        &mut self,
        id: i64,
        status: MessageStatus,
        delivered_on: Option<Date>,
        file_path: Option<&str>,
        error: Option<&str>,
    ) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE dunning_message SET status = ?2, delivered_on = ?3, \
                 file_path = COALESCE(?4, file_path), error = ?5, claimed_by = NULL WHERE id = ?1",
            )?
            .execute(params![
                id,
                status.as_str(),
                opt_day(delivered_on),
                file_path,
                error
            ])?;
        Ok(())
    }

    fn claim_message(&mut self, id: i64, token: &str) -> Result<bool> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE dunning_message SET claimed_by = ?2 WHERE id = ?1 \
                 AND status IN ('queued', 'failed') AND (claimed_by IS NULL OR claimed_by = ?2)",
            )?
            .execute(params![id, token])?;
        Ok(changed == 1)
    }

    fn release_claims(&mut self, except_token: &str) -> Result<u64> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE dunning_message SET claimed_by = NULL WHERE claimed_by IS NOT NULL \
                 AND claimed_by <> ?1 AND status IN ('queued', 'failed')",
            )?
            .execute(params![except_token])?;
        Ok(changed as u64)
    }

    fn put_lease(&mut self, lease: &Lease, replacing: Option<&str>) -> Result<bool> {
        let changed = match replacing {
            None => self
                .conn
                .prepare_cached(
                    "INSERT INTO run_lease (name, token, holder, host, pid, started_at, expires_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (name) DO NOTHING",
                )?
                .execute(params![
                    lease.name,
                    lease.token,
                    lease.holder,
                    lease.host,
                    lease.pid,
                    lease.started_at,
                    lease.expires_at
                ])?,
            Some(old) => self
                .conn
                .prepare_cached(
                    "UPDATE run_lease SET token = ?2, holder = ?3, host = ?4, pid = ?5, \
                     started_at = ?6, expires_at = ?7 WHERE name = ?1 AND token = ?8",
                )?
                .execute(params![
                    lease.name,
                    lease.token,
                    lease.holder,
                    lease.host,
                    lease.pid,
                    lease.started_at,
                    lease.expires_at,
                    old
                ])?,
        };
        Ok(changed == 1)
    }

    fn release_lease(&mut self, name: &str, token: &str) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM run_lease WHERE name = ?1 AND token = ?2")?
            .execute(params![name, token])?;
        Ok(())
    }

    fn insert_history(&mut self, row: &HistoryRow) -> Result<tegoed_store::Upsert> {
        let existing: Option<(String, Option<String>, Option<String>)> = self
            .conn
            .prepare_cached(
                "SELECT kind, channel, strategy FROM dunning_history \
                 WHERE invoice_id = ?1 AND date = ?2 AND step = ?3",
            )?
            .query_row(params![row.invoice.0, day(row.on), row.step], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let wanted = (
            row.kind.as_str().to_string(),
            row.channel.map(|c| c.as_str().to_string()),
            row.strategy.clone(),
        );
        let outcome = match existing {
            Some(current) if current == wanted => return Ok(tegoed_store::Upsert::Unchanged),
            Some(_) => tegoed_store::Upsert::Updated,
            None => tegoed_store::Upsert::Inserted,
        };
        self.conn
            .prepare_cached(
                "INSERT INTO dunning_history (invoice_id, date, step, kind, channel, strategy) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (invoice_id, date, step) \
                 DO UPDATE SET kind = excluded.kind, channel = excluded.channel, strategy = excluded.strategy",
            )?
            .execute(params![
                row.invoice.0,
                day(row.on),
                row.step,
                wanted.0,
                wanted.1,
                wanted.2
            ])?;
        Ok(outcome)
    }

    fn insert_task(&mut self, task: &Task) -> Result<i64> {
        self.conn
            .prepare_cached(
                "INSERT INTO task (customer_id, message_id, kind, created_on, due_on, assignee, title, \
                 talking_points, amount_minor, currency, status) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'open')",
            )?
            .execute(params![
                task.customer.0,
                task.message,
                task.kind,
                day(task.created_on),
                day(task.due_on),
                task.assignee,
                task.title,
                task.talking_points,
                task.amount.minor,
                task.amount.currency.code(),
            ])?;
        Ok(self.conn.last_insert_rowid())
    }

    fn complete_task(&mut self, id: i64, on: Date, outcome: &str) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE task SET status = 'done', done_on = ?2, outcome = ?3 WHERE id = ?1",
            )?
            .execute(params![id, day(on), outcome])?;
        Ok(())
    }

    fn insert_appreciations(&mut self, list: &[Appreciation]) -> Result<Vec<i64>> {
        let mut ids = Vec::new();
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO appreciation (customer_id, reason, since, ref_id, suggested, evidence, \
             evidence_nl, raised_on, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'open') \
             ON CONFLICT (customer_id, reason, since, ref_id) DO NOTHING",
        )?;
        for a in list {
            let added = stmt.execute(params![
                a.customer.0,
                a.reason.as_str(),
                day(a.since),
                a.ref_id,
                a.suggested.as_str(),
                a.evidence,
                a.evidence_nl,
                day(a.raised_on),
            ])?;
            if added == 1 {
                ids.push(self.conn.last_insert_rowid());
            }
        }
        Ok(ids)
    }

    fn decide_appreciation(
        &mut self,
        id: i64,
        status: AppreciationStatus,
        on: Date,
        by: &str,
        message: Option<i64>,
    ) -> Result<bool> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE appreciation SET status = ?2, decided_on = ?3, decided_by = ?4, \
                 message_id = ?5 WHERE id = ?1 AND status = 'open'",
            )?
            .execute(params![id, status.as_str(), day(on), by, message])?;
        Ok(changed == 1)
    }

    fn insert_gift(&mut self, gift: &Gift, status: GiftStatus) -> Result<i64> {
        self.conn
            .prepare_cached(
                "INSERT INTO gift (customer_id, account_manager_id, appreciation_id, given_on, \
                 item, value_minor, currency, logged_by, status) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                gift.customer.0,
                gift.account_manager.map(|m| m.0),
                gift.appreciation,
                day(gift.given_on),
                gift.item,
                gift.value.minor,
                gift.value.currency.code(),
                gift.logged_by,
                status.as_str(),
            ])?;
        Ok(self.conn.last_insert_rowid())
    }

    fn decide_gift(&mut self, id: i64, status: GiftStatus, on: Date, by: &str) -> Result<bool> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE gift SET status = ?2, decided_on = ?3, decided_by = ?4 \
                 WHERE id = ?1 AND status = 'awaiting_approval'",
            )?
            .execute(params![id, status.as_str(), day(on), by])?;
        Ok(changed == 1)
    }

    fn add_event(&mut self, event: &TimelineEvent) -> Result<i64> {
        self.conn
            .prepare_cached(
                "INSERT INTO timeline_event (customer_id, date, kind, invoice_id, ref_id, text, author, text_nl) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                event.customer.0,
                day(event.date),
                event.kind,
                event.invoice.map(|i| i.0),
                event.ref_id,
                event.text,
                event.author,
                event.text_nl,
            ])?;
        Ok(self.conn.last_insert_rowid())
    }

    fn insert_portal_request(
        &mut self,
        request: &tegoed_store::PortalRequest,
    ) -> Result<Option<i64>> {
        self.add_portal_request(request)
    }

    fn set_portal_request_result(
        &mut self,
        id: i64,
        outcome: &str,
        why: Option<&str>,
        ref_id: Option<i64>,
        task: Option<i64>,
    ) -> Result<()> {
        self.set_portal_result(id, outcome, why, ref_id, task)
    }
}
