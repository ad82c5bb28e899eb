//! [`CollectionRead`] and [`CollectionWrite`] for PostgreSQL: tags, state,
//! disputes, promises, plans, dunning runs and messages, leases and claims,
//! tasks and the timeline.
//!
//! Claims and leases are single conditional statements. Under READ
//! COMMITTED a second transaction updating the same row waits for the
//! first and then re-checks its `WHERE` against the committed row, so of two
//! concurrent claimants exactly one sees its update apply.

use std::collections::HashMap;

use postgres::Row;
use postgres::types::ToSql;
use tegoed_core::agreements::{PlanStatus, PromiseStatus};
use tegoed_core::strategy::{Channel, Effect, StepKind};
use tegoed_core::{CustomerId, Date, InvoiceId, Language, Money};
use tegoed_store::collection::{
    CollectionRead, CollectionState, CollectionWrite, Dispute, FourteenDayRecord, HistoryRow,
    LadderRow, Lease, Message, MessageFilter, MessageItem, MessageStatus, PaymentPlan, Promise,
    SaleAgreement, StoredDispute, StoredEvent, StoredMessage, StoredPlan, StoredPromise,
    StoredSaleAgreement, StoredTask, Task, TimelineEvent,
};
use tegoed_store::{
    Appreciation, AppreciationStatus, Gift, GiftStatus, Result, StoredAppreciation, StoredGift,
    Upsert,
};

use crate::types::{Day, day, opt_day};
use crate::{PgTx, corrupt, get};

fn currency(text: &str) -> Result<tegoed_core::Currency> {
    tegoed_core::Currency::parse(text).map_err(|_| corrupt("currency", text))
}

fn opt_date(row: &Row, idx: usize) -> Result<Option<Date>> {
    Ok(get::<Option<Day>>(row, idx)?.map(|d| d.0))
}

fn date(row: &Row, idx: usize) -> Result<Date> {
    Ok(get::<Day>(row, idx)?.0)
}

fn int32(row: &Row, idx: usize, what: &str) -> Result<i32> {
    let value: i64 = get(row, idx)?;
    i32::try_from(value).map_err(|_| corrupt(what, value))
}

const APPRECIATION_COLUMNS: &str = "id, customer_id, reason, since, ref_id, suggested, evidence, \
     evidence_nl, raised_on, status, decided_on, decided_by, message_id";

fn appreciation_from_row(row: &Row) -> Result<StoredAppreciation> {
    use tegoed_core::appreciation::{Reason, Suggested};
    let reason: &str = get(row, 2)?;
    let suggested: &str = get(row, 5)?;
    let status: &str = get(row, 9)?;
    Ok(StoredAppreciation {
        id: get(row, 0)?,
        appreciation: Appreciation {
            customer: CustomerId(get(row, 1)?),
            reason: Reason::parse(reason).ok_or_else(|| corrupt("appreciation reason", reason))?,
            since: date(row, 3)?,
            ref_id: get(row, 4)?,
            suggested: Suggested::parse(suggested)
                .ok_or_else(|| corrupt("appreciation suggestion", suggested))?,
            evidence: get(row, 6)?,
            evidence_nl: get(row, 7)?,
            raised_on: date(row, 8)?,
        },
        status: AppreciationStatus::parse(status)
            .ok_or_else(|| corrupt("appreciation status", status))?,
        decided_on: opt_date(row, 10)?,
        decided_by: get(row, 11)?,
        message: get(row, 12)?,
    })
}

const GIFT_COLUMNS: &str = "id, customer_id, account_manager_id, appreciation_id, given_on, item, \
     value_minor, currency, logged_by, status, decided_by, decided_on";

fn gift_from_row(row: &Row) -> Result<StoredGift> {
    let code: &str = get(row, 7)?;
    let status: &str = get(row, 9)?;
    Ok(StoredGift {
        id: get(row, 0)?,
        gift: Gift {
            customer: CustomerId(get(row, 1)?),
            account_manager: get::<Option<i64>>(row, 2)?.map(tegoed_core::AccountManagerId),
            appreciation: get(row, 3)?,
            given_on: date(row, 4)?,
            item: get(row, 5)?,
            value: Money::new(get(row, 6)?, currency(code)?),
            logged_by: get(row, 8)?,
        },
        status: GiftStatus::parse(status).ok_or_else(|| corrupt("gift status", status))?,
        decided_by: get(row, 10)?,
        decided_on: opt_date(row, 11)?,
    })
}

const DISPUTE_COLUMNS: &str =
    "id, invoice_id, customer_id, opened_on, reason, resolved_on, resolution";

fn dispute_from_row(row: &Row) -> Result<StoredDispute> {
    Ok(StoredDispute {
        id: get(row, 0)?,
        dispute: Dispute {
            invoice: InvoiceId(get(row, 1)?),
            customer: CustomerId(get(row, 2)?),
            opened_on: date(row, 3)?,
            reason: get(row, 4)?,
            resolved_on: opt_date(row, 5)?,
            resolution: get(row, 6)?,
        },
    })
}

const MESSAGE_COLUMNS: &str = "id, run_id, customer_id, as_of, segment, strategy, step_id, step_offset, \
     channel, language, recipient, sender_name, sender_email, subject, body_text, document, currency, \
     principal_minor, interest_minor, costs_minor, vat_uplift_minor, credit_minor, pay_by, effects, status, \
     delivered_on, file_path, error, fourteen_day, received_on, pay_without_costs_until, stated_costs_minor";

fn message_from_row(row: &Row) -> Result<StoredMessage> {
    let id: i64 = get(row, 0)?;
    let channel: &str = get(row, 8)?;
    let channel = Channel::parse(channel).ok_or_else(|| corrupt("channel", channel))?;
    let language: &str = get(row, 9)?;
    let language = Language::parse(language).ok_or_else(|| corrupt("language", language))?;
    let status: &str = get(row, 24)?;
    let status = MessageStatus::parse(status).ok_or_else(|| corrupt("message status", status))?;
    let effects: &str = get(row, 23)?;
    let effects = effects
        .split(',')
        .filter(|e| !e.is_empty())
        .map(|e| Effect::parse(e).ok_or_else(|| corrupt("effect", e)))
        .collect::<Result<Vec<_>>>()?;
    let fourteen_day: bool = get(row, 28)?;
    let fourteen_day = match (
        fourteen_day,
        opt_date(row, 29)?,
        opt_date(row, 30)?,
        get::<Option<i64>>(row, 31)?,
    ) {
        (true, Some(received_on), Some(pay_without_costs_until), Some(stated_costs_minor)) => {
            Some(FourteenDayRecord {
                received_on,
                pay_without_costs_until,
                stated_costs_minor,
            })
        }
        (true, ..) => return Err(corrupt("14-day letter of message", id)),
        (false, ..) => None,
    };
    let code: &str = get(row, 16)?;
    Ok(StoredMessage {
        id,
        run: get(row, 1)?,
        message: Message {
            customer: CustomerId(get(row, 2)?),
            as_of: date(row, 3)?,
            segment: get(row, 4)?,
            strategy: get(row, 5)?,
            step_id: get(row, 6)?,
            step_offset: int32(row, 7, "step offset")?,
            channel,
            language,
            recipient: get(row, 10)?,
            sender_name: get(row, 11)?,
            sender_email: get(row, 12)?,
            subject: get(row, 13)?,
            body_text: get(row, 14)?,
            document: get(row, 15)?,
            currency: currency(code)?,
            principal_minor: get(row, 17)?,
            interest_minor: get(row, 18)?,
            costs_minor: get(row, 19)?,
            vat_uplift_minor: get(row, 20)?,
            credit_minor: get(row, 21)?,
            pay_by: opt_date(row, 22)?,
            effects,
            fourteen_day,
        },
        status,
        delivered_on: opt_date(row, 25)?,
        file_path: get(row, 26)?,
        error: get(row, 27)?,
    })
}

const TASK_COLUMNS: &str = "id, customer_id, message_id, kind, created_on, due_on, assignee, title, \
     talking_points, amount_minor, currency, done_on, outcome";

fn task_from_row(row: &Row) -> Result<StoredTask> {
    let code: &str = get(row, 10)?;
    Ok(StoredTask {
        id: get(row, 0)?,
        task: Task {
            customer: CustomerId(get(row, 1)?),
            message: get(row, 2)?,
            kind: get(row, 3)?,
            created_on: date(row, 4)?,
            due_on: date(row, 5)?,
            assignee: get(row, 6)?,
            title: get(row, 7)?,
            talking_points: get(row, 8)?,
            amount: Money::new(get(row, 9)?, currency(code)?),
        },
        done_on: opt_date(row, 11)?,
        outcome: get(row, 12)?,
    })
}

fn promise_status(text: &str) -> Result<PromiseStatus> {
    match text {
        "pending" => Ok(PromiseStatus::Pending),
        "kept" => Ok(PromiseStatus::Kept),
        "broken" => Ok(PromiseStatus::Broken),
        _ => Err(corrupt("promise status", text)),
    }
}

fn step_kind(text: Option<&str>) -> Result<Option<StepKind>> {
    text.map(|k| StepKind::parse(k).ok_or_else(|| corrupt("step kind", k)))
        .transpose()
}

fn channel(text: Option<&str>) -> Result<Option<Channel>> {
    text.map(|c| Channel::parse(c).ok_or_else(|| corrupt("channel", c)))
        .transpose()
}

/// The ladder rows of messages (not cancelled) and of imported history.
const SQL_LADDER: &str = "SELECT i.invoice_id, m.strategy, i.step, i.kind, m.as_of, m.pay_by, m.channel, \
     m.id, CASE WHEN m.fourteen_day THEN m.pay_without_costs_until END \
     FROM dunning_item i JOIN dunning_message m ON m.id = i.message_id \
     WHERE i.step IS NOT NULL AND m.status <> 'cancelled'";
const SQL_HISTORY: &str = "SELECT h.invoice_id, h.strategy, h.step, h.kind, h.date, NULL::date, \
     h.channel, NULL::bigint, NULL::date FROM dunning_history h";

impl PgTx<'_> {
    fn ladder_rows(&mut self, customer: Option<CustomerId>) -> Result<Vec<LadderRow>> {
        let (sql_ladder, sql_history) = match customer {
            None => (
                format!("{SQL_LADDER} ORDER BY m.id, i.invoice_id"),
                format!("{SQL_HISTORY} ORDER BY h.invoice_id, h.date, h.step COLLATE \"C\""),
            ),
            Some(_) => (
                format!("{SQL_LADDER} AND m.customer_id = $1 ORDER BY m.id, i.invoice_id"),
                format!(
                    "{SQL_HISTORY} WHERE h.invoice_id IN (SELECT id FROM invoice WHERE customer_id = $1) \
                     ORDER BY h.invoice_id, h.date, h.step COLLATE \"C\""
                ),
            ),
        };
        let id = customer.map(|c| c.0);
        let mut out = Vec::new();
        for sql in [sql_ladder, sql_history] {
            let rows = match &id {
                None => self.query(&sql, &[])?,
                Some(id) => self.query(&sql, &[id])?,
            };
            for row in rows {
                out.push(LadderRow {
                    invoice: InvoiceId(get(&row, 0)?),
                    strategy: get(&row, 1)?,
                    step: get(&row, 2)?,
                    kind: step_kind(get(&row, 3)?)?,
                    on: date(&row, 4)?,
                    pay_by: opt_date(&row, 5)?,
                    channel: channel(get(&row, 6)?)?,
                    message: get(&row, 7)?,
                    fourteen_day_until: opt_date(&row, 8)?,
                });
            }
        }
        Ok(out)
    }

    /// The invoices of each promise or plan in `ids` (one round trip).
    fn invoice_lists(&mut self, sql: &str, ids: &[i64]) -> Result<HashMap<i64, Vec<InvoiceId>>> {
        let mut lists: HashMap<i64, Vec<InvoiceId>> = HashMap::new();
        if ids.is_empty() {
            return Ok(lists);
        }
        for row in self.query(sql, &[&ids])? {
            lists
                .entry(get(&row, 0)?)
                .or_default()
                .push(InvoiceId(get(&row, 1)?));
        }
        for list in lists.values_mut() {
            list.sort_unstable();
        }
        Ok(lists)
    }

    fn query_messages(&mut self, filter: MessageFilter) -> Result<Vec<StoredMessage>> {
        let customer = filter.customer.map(|c| c.0);
        let status = filter.status.map(MessageStatus::as_str);
        let as_of = filter.as_of.map(Day);
        let since = filter.since.map(Day);
        let mut sql = format!("SELECT {MESSAGE_COLUMNS} FROM dunning_message WHERE true");
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::new();
        if let Some(customer) = &customer {
            params.push(customer);
            sql.push_str(&format!(" AND customer_id = ${}", params.len()));
        }
        if let Some(status) = &status {
            params.push(status);
            sql.push_str(&format!(" AND status = ${}", params.len()));
        }
        if let Some(run) = &filter.run {
            params.push(run);
            sql.push_str(&format!(" AND run_id = ${}", params.len()));
        }
        if let Some(as_of) = &as_of {
            params.push(as_of);
            sql.push_str(&format!(" AND as_of = ${}", params.len()));
        }
        if let Some(since) = &since {
            params.push(since);
            sql.push_str(&format!(" AND as_of >= ${}", params.len()));
        }
        sql.push_str(" ORDER BY id");
        self.query(&sql, &params)?
            .iter()
            .map(message_from_row)
            .collect()
    }
}

impl CollectionRead for PgTx<'_> {
    fn all_tags(&mut self) -> Result<Vec<(CustomerId, String)>> {
        self.query(
            "SELECT customer_id, tag FROM customer_tag ORDER BY customer_id, tag COLLATE \"C\"",
            &[],
        )?
        .iter()
        .map(|row| Ok((CustomerId(get(row, 0)?), get(row, 1)?)))
        .collect()
    }

    fn tags_of(&mut self, customer: CustomerId) -> Result<Vec<String>> {
        let mut tags: Vec<String> = self
            .query(
                "SELECT tag FROM customer_tag WHERE customer_id = $1",
                &[&customer.0],
            )?
            .iter()
            .map(|row| get(row, 0))
            .collect::<Result<_>>()?;
        tags.sort();
        Ok(tags)
    }

    fn collection_states(&mut self) -> Result<Vec<(CustomerId, CollectionState)>> {
        self.query(
            "SELECT customer_id, credit_hold_since, credit_hold_reason, pause_until, pause_reason, \
             handed_off_on FROM collection_state ORDER BY customer_id",
            &[],
        )?
        .iter()
        .map(|row| {
            Ok((
                CustomerId(get(row, 0)?),
                CollectionState {
                    credit_hold_since: opt_date(row, 1)?,
                    credit_hold_reason: get(row, 2)?,
                    pause_until: opt_date(row, 3)?,
                    pause_reason: get(row, 4)?,
                    handed_off_on: opt_date(row, 5)?,
                },
            ))
        })
        .collect()
    }

    fn collection_state(&mut self, customer: CustomerId) -> Result<CollectionState> {
        let Some(row) = self.query_opt(
            "SELECT credit_hold_since, credit_hold_reason, pause_until, pause_reason, handed_off_on \
             FROM collection_state WHERE customer_id = $1",
            &[&customer.0],
        )?
        else {
            return Ok(CollectionState::default());
        };
        Ok(CollectionState {
            credit_hold_since: opt_date(&row, 0)?,
            credit_hold_reason: get(&row, 1)?,
            pause_until: opt_date(&row, 2)?,
            pause_reason: get(&row, 3)?,
            handed_off_on: opt_date(&row, 4)?,
        })
    }

    fn collection_states_of(&mut self, customers: &[CustomerId]) -> Result<Vec<CollectionState>> {
        let ids: Vec<i64> = customers.iter().map(|c| c.0).collect();
        let mut found: HashMap<i64, CollectionState> = Default::default();
        for row in self.query(
            "SELECT customer_id, credit_hold_since, credit_hold_reason, pause_until, pause_reason, \
             handed_off_on FROM collection_state WHERE customer_id = ANY($1)",
            &[&ids],
        )? {
            found.insert(
                get(&row, 0)?,
                CollectionState {
                    credit_hold_since: opt_date(&row, 1)?,
                    credit_hold_reason: get(&row, 2)?,
                    pause_until: opt_date(&row, 3)?,
                    pause_reason: get(&row, 4)?,
                    handed_off_on: opt_date(&row, 5)?,
                },
            );
        }
        Ok(ids
            .iter()
            .map(|id| found.get(id).cloned().unwrap_or_default())
            .collect())
    }

    fn open_dispute_on(&mut self, invoice: InvoiceId) -> Result<Option<StoredDispute>> {
        let sql = format!(
            "SELECT {DISPUTE_COLUMNS} FROM dispute WHERE invoice_id = $1 AND resolved_on IS NULL"
        );
        self.query_opt(&sql, &[&invoice.0])?
            .map(|row| dispute_from_row(&row))
            .transpose()
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
        let rows = match customer {
            Some(customer) => {
                let sql = format!(
                    "SELECT {DISPUTE_COLUMNS} FROM dispute WHERE customer_id = $1{open} ORDER BY id"
                );
                self.query(&sql, &[&customer.0])?
            }
            None => {
                let sql =
                    format!("SELECT {DISPUTE_COLUMNS} FROM dispute WHERE true{open} ORDER BY id");
                self.query(&sql, &[])?
            }
        };
        rows.iter().map(dispute_from_row).collect()
    }

    fn sale_agreements(
        &mut self,
        customer: Option<CustomerId>,
    ) -> Result<Vec<StoredSaleAgreement>> {
        let columns = "id, customer_id, agreed_on, terms_days, method, invoice_contact, \
                       agreed_with, agreed_by, note";
        let rows = match customer {
            Some(c) => self.query(
                &format!(
                    "SELECT {columns} FROM sale_agreement WHERE customer_id = $1 \
                     ORDER BY agreed_on, id"
                ),
                &[&c.0],
            )?,
            None => self.query(
                &format!(
                    "SELECT {columns} FROM sale_agreement ORDER BY customer_id, agreed_on, id"
                ),
                &[],
            )?,
        };
        rows.iter()
            .map(|row| {
                let terms: i64 = get(row, 3)?;
                Ok(StoredSaleAgreement {
                    id: get(row, 0)?,
                    agreement: SaleAgreement {
                        customer: CustomerId(get(row, 1)?),
                        agreed_on: date(row, 2)?,
                        terms_days: u32::try_from(terms)
                            .map_err(|_| corrupt("terms_days", terms))?,
                        method: get(row, 4)?,
                        invoice_contact: get(row, 5)?,
                        agreed_with: get(row, 6)?,
                        agreed_by: get(row, 7)?,
                        note: get(row, 8)?,
                    },
                })
            })
            .collect()
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
        let columns = "id, customer_id, created_on, amount_minor, currency, promised_on, status, \
                       status_on, note";
        let rows = match customer {
            Some(customer) => {
                let sql = format!(
                    "SELECT {columns} FROM promise WHERE customer_id = $1{pending} ORDER BY id"
                );
                self.query(&sql, &[&customer.0])?
            }
            None => {
                let sql = format!("SELECT {columns} FROM promise WHERE true{pending} ORDER BY id");
                self.query(&sql, &[])?
            }
        };
        let ids: Vec<i64> = rows.iter().map(|row| get(row, 0)).collect::<Result<_>>()?;
        let mut invoices = self.invoice_lists(
            "SELECT promise_id, invoice_id FROM promise_invoice WHERE promise_id = ANY($1)",
            &ids,
        )?;
        let mut promises = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = get(&row, 0)?;
            let code: &str = get(&row, 4)?;
            let status: &str = get(&row, 6)?;
            promises.push(StoredPromise {
                id,
                promise: Promise {
                    customer: CustomerId(get(&row, 1)?),
                    created_on: date(&row, 2)?,
                    amount: Money::new(get(&row, 3)?, currency(code)?),
                    promised_on: date(&row, 5)?,
                    status: promise_status(status)?,
                    status_on: opt_date(&row, 7)?,
                    note: get(&row, 8)?,
                    invoices: invoices.remove(&id).unwrap_or_default(),
                },
            });
        }
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
                       \"interval\", status, status_on, missed_due";
        let rows = match customer {
            Some(customer) => {
                let sql = format!(
                    "SELECT {columns} FROM payment_plan WHERE customer_id = $1{active} ORDER BY id"
                );
                self.query(&sql, &[&customer.0])?
            }
            None => {
                let sql =
                    format!("SELECT {columns} FROM payment_plan WHERE true{active} ORDER BY id");
                self.query(&sql, &[])?
            }
        };
        let ids: Vec<i64> = rows.iter().map(|row| get(row, 0)).collect::<Result<_>>()?;
        let mut invoices = self.invoice_lists(
            "SELECT plan_id, invoice_id FROM plan_invoice WHERE plan_id = ANY($1)",
            &ids,
        )?;
        let mut plans = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = get(&row, 0)?;
            let code: &str = get(&row, 4)?;
            let status: &str = get(&row, 8)?;
            let status = match (status, opt_date(&row, 10)?) {
                ("active", _) => PlanStatus::Active,
                ("completed", _) => PlanStatus::Completed,
                ("broken", Some(missed)) => PlanStatus::Broken { missed },
                _ => return Err(corrupt("payment plan status", status)),
            };
            let instalments: i64 = get(&row, 5)?;
            plans.push(StoredPlan {
                id,
                plan: PaymentPlan {
                    customer: CustomerId(get(&row, 1)?),
                    created_on: date(&row, 2)?,
                    total: Money::new(get(&row, 3)?, currency(code)?),
                    instalments: u32::try_from(instalments)
                        .map_err(|_| corrupt("instalments", instalments))?,
                    first_due: date(&row, 6)?,
                    interval: get(&row, 7)?,
                    status,
                    status_on: opt_date(&row, 9)?,
                    invoices: invoices.remove(&id).unwrap_or_default(),
                },
            });
        }
        Ok(plans)
    }

    fn allocated_between(&mut self, invoices: &[InvoiceId], from: Date, to: Date) -> Result<i64> {
        if invoices.is_empty() {
            return Ok(0);
        }
        let ids: Vec<i64> = invoices.iter().map(|i| i.0).collect();
        // Each id as often as it is named, as the SQLite backend sums per id.
        get(
            &self.query_one(
                "SELECT COALESCE(SUM(a.amount_minor), 0)::bigint \
                 FROM unnest($1::bigint[]) AS wanted(id) \
                 JOIN allocation a ON a.invoice_id = wanted.id \
                 WHERE a.date >= $2 AND a.date <= $3",
                &[&ids, &day(from), &day(to)],
            )?,
            0,
        )
    }

    fn message(&mut self, id: i64) -> Result<Option<StoredMessage>> {
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM dunning_message WHERE id = $1");
        self.query_opt(&sql, &[&id])?
            .map(|row| message_from_row(&row))
            .transpose()
    }

    fn messages(&mut self, filter: MessageFilter) -> Result<Vec<StoredMessage>> {
        self.query_messages(filter)
    }

    fn message_items(&mut self, message: i64) -> Result<Vec<MessageItem>> {
        let rows = self.query(
            "SELECT invoice_id, open_minor, interest_minor, days_overdue, step, kind \
             FROM dunning_item WHERE message_id = $1 ORDER BY invoice_id",
            &[&message],
        )?;
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            let step: Option<String> = get(&row, 4)?;
            let kind: Option<&str> = get(&row, 5)?;
            let step = match step {
                Some(step) => {
                    let kind = match step_kind(kind)? {
                        Some(kind) => kind,
                        None => StepKind::from_step_id(&step).unwrap_or(StepKind::Reminder),
                    };
                    Some((step, kind))
                }
                None => None,
            };
            items.push(MessageItem {
                invoice: InvoiceId(get(&row, 0)?),
                open_minor: get(&row, 1)?,
                interest_minor: get(&row, 2)?,
                days_overdue: int32(&row, 3, "days overdue")?,
                step,
            });
        }
        Ok(items)
    }

    fn lease(&mut self, name: &str) -> Result<Option<Lease>> {
        let Some(row) = self.query_opt(
            "SELECT name, token, holder, host, pid, started_at, expires_at \
             FROM run_lease WHERE name = $1",
            &[&name],
        )?
        else {
            return Ok(None);
        };
        let pid: i64 = get(&row, 4)?;
        Ok(Some(Lease {
            name: get(&row, 0)?,
            token: get(&row, 1)?,
            holder: get(&row, 2)?,
            host: get(&row, 3)?,
            pid: u32::try_from(pid).map_err(|_| corrupt("pid", pid))?,
            started_at: get(&row, 5)?,
            expires_at: get(&row, 6)?,
        }))
    }

    fn ladder(&mut self) -> Result<Vec<LadderRow>> {
        self.ladder_rows(None)
    }

    fn ladder_of(&mut self, customer: CustomerId) -> Result<Vec<LadderRow>> {
        self.ladder_rows(Some(customer))
    }

    fn task(&mut self, id: i64) -> Result<Option<StoredTask>> {
        let sql = format!("SELECT {TASK_COLUMNS} FROM task WHERE id = $1");
        self.query_opt(&sql, &[&id])?
            .map(|row| task_from_row(&row))
            .transpose()
    }

    fn tasks(&mut self, customer: Option<CustomerId>, open_only: bool) -> Result<Vec<StoredTask>> {
        let open = if open_only {
            " AND status = 'open'"
        } else {
            ""
        };
        let rows = match customer {
            Some(customer) => {
                let sql = format!(
                    "SELECT {TASK_COLUMNS} FROM task WHERE customer_id = $1{open} ORDER BY due_on, id"
                );
                self.query(&sql, &[&customer.0])?
            }
            None => {
                let sql =
                    format!("SELECT {TASK_COLUMNS} FROM task WHERE true{open} ORDER BY due_on, id");
                self.query(&sql, &[])?
            }
        };
        rows.iter().map(task_from_row).collect()
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
        let rows = match customer {
            Some(c) => self.query(
                &format!(
                    "SELECT {APPRECIATION_COLUMNS} FROM appreciation WHERE customer_id = $1{open} \
                     ORDER BY since, id"
                ),
                &[&c.0],
            )?,
            None => self.query(
                &format!(
                    "SELECT {APPRECIATION_COLUMNS} FROM appreciation WHERE true{open} \
                     ORDER BY since, id"
                ),
                &[],
            )?,
        };
        rows.iter().map(appreciation_from_row).collect()
    }

    fn gifts(&mut self, customer: Option<CustomerId>) -> Result<Vec<StoredGift>> {
        let rows = match customer {
            Some(c) => self.query(
                &format!(
                    "SELECT {GIFT_COLUMNS} FROM gift WHERE customer_id = $1 ORDER BY given_on, id"
                ),
                &[&c.0],
            )?,
            None => self.query(
                &format!("SELECT {GIFT_COLUMNS} FROM gift ORDER BY given_on, id"),
                &[],
            )?,
        };
        rows.iter().map(gift_from_row).collect()
    }

    fn events(&mut self, customer: CustomerId) -> Result<Vec<StoredEvent>> {
        self.query(
            "SELECT id, customer_id, date, kind, invoice_id, ref_id, text, author, text_nl \
             FROM timeline_event WHERE customer_id = $1 ORDER BY date, id",
            &[&customer.0],
        )?
        .iter()
        .map(|row| {
            Ok(StoredEvent {
                id: get(row, 0)?,
                event: TimelineEvent {
                    customer: CustomerId(get(row, 1)?),
                    date: date(row, 2)?,
                    kind: get(row, 3)?,
                    invoice: get::<Option<i64>>(row, 4)?.map(InvoiceId),
                    ref_id: get(row, 5)?,
                    text: get(row, 6)?,
                    author: get(row, 7)?,
                    text_nl: get(row, 8)?,
                },
            })
        })
        .collect()
    }

    fn portal_requests(
        &mut self,
        customer: Option<CustomerId>,
        since: Date,
    ) -> Result<Vec<tegoed_store::StoredPortalRequest>> {
        self.portal_requests_since(customer, since)
    }
}

impl CollectionWrite for PgTx<'_> {
    fn add_tag(&mut self, customer: CustomerId, tag: &str) -> Result<bool> {
        let added = self.execute(
            "INSERT INTO customer_tag (customer_id, tag) VALUES ($1, $2) \
             ON CONFLICT (customer_id, tag) DO NOTHING",
            &[&customer.0, &tag],
        )?;
        Ok(added > 0)
    }

    fn remove_tag(&mut self, customer: CustomerId, tag: &str) -> Result<bool> {
        let removed = self.execute(
            "DELETE FROM customer_tag WHERE customer_id = $1 AND tag = $2",
            &[&customer.0, &tag],
        )?;
        Ok(removed > 0)
    }

    fn set_collection_state(
        &mut self,
        customer: CustomerId,
        state: &CollectionState,
    ) -> Result<()> {
        self.execute(
            "INSERT INTO collection_state (customer_id, credit_hold_since, credit_hold_reason, \
             pause_until, pause_reason, handed_off_on) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (customer_id) DO UPDATE SET credit_hold_since = excluded.credit_hold_since, \
             credit_hold_reason = excluded.credit_hold_reason, pause_until = excluded.pause_until, \
             pause_reason = excluded.pause_reason, handed_off_on = excluded.handed_off_on",
            &[
                &customer.0,
                &opt_day(state.credit_hold_since),
                &state.credit_hold_reason,
                &opt_day(state.pause_until),
                &state.pause_reason,
                &opt_day(state.handed_off_on),
            ],
        )?;
        Ok(())
    }

    fn insert_dispute(&mut self, dispute: &Dispute) -> Result<i64> {
        get(
            &self.query_one(
                "INSERT INTO dispute (invoice_id, customer_id, opened_on, reason, resolved_on, \
                 resolution) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[
                    &dispute.invoice.0,
                    &dispute.customer.0,
                    &day(dispute.opened_on),
                    &dispute.reason,
                    &opt_day(dispute.resolved_on),
                    &dispute.resolution,
                ],
            )?,
            0,
        )
    }

    fn resolve_dispute(&mut self, id: i64, on: Date, resolution: Option<&str>) -> Result<()> {
        self.execute(
            "UPDATE dispute SET resolved_on = $2, resolution = $3 WHERE id = $1",
            &[&id, &day(on), &resolution],
        )?;
        Ok(())
    }

    fn insert_sale_agreement(&mut self, agreement: &SaleAgreement) -> Result<i64> {
        get(
            &self.query_one(
                "INSERT INTO sale_agreement (customer_id, agreed_on, terms_days, method, \
                 invoice_contact, agreed_with, agreed_by, note) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                &[
                    &agreement.customer.0,
                    &day(agreement.agreed_on),
                    &i64::from(agreement.terms_days),
                    &agreement.method,
                    &agreement.invoice_contact,
                    &agreement.agreed_with,
                    &agreement.agreed_by,
                    &agreement.note,
                ],
            )?,
            0,
        )
    }

    fn insert_promise(&mut self, promise: &Promise) -> Result<i64> {
        let id: i64 = get(
            &self.query_one(
                "INSERT INTO promise (customer_id, created_on, amount_minor, currency, promised_on, \
                 status, status_on, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                &[
                    &promise.customer.0,
                    &day(promise.created_on),
                    &promise.amount.minor,
                    &promise.amount.currency.code(),
                    &day(promise.promised_on),
                    &promise.status.as_str(),
                    &opt_day(promise.status_on),
                    &promise.note,
                ],
            )?,
            0,
        )?;
        for invoice in &promise.invoices {
            self.execute(
                "INSERT INTO promise_invoice (promise_id, invoice_id) VALUES ($1, $2)",
                &[&id, &invoice.0],
            )?;
        }
        Ok(id)
    }

    fn set_promise_status(&mut self, id: i64, status: PromiseStatus, on: Date) -> Result<()> {
        self.execute(
            "UPDATE promise SET status = $2, status_on = $3 WHERE id = $1",
            &[&id, &status.as_str(), &day(on)],
        )?;
        Ok(())
    }

    fn insert_plan(&mut self, plan: &PaymentPlan) -> Result<i64> {
        let missed = match plan.status {
            PlanStatus::Broken { missed } => Some(day(missed)),
            _ => None,
        };
        let id: i64 = get(
            &self.query_one(
                "INSERT INTO payment_plan (customer_id, created_on, total_minor, currency, \
                 instalments, first_due, \"interval\", status, status_on, missed_due) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                &[
                    &plan.customer.0,
                    &day(plan.created_on),
                    &plan.total.minor,
                    &plan.total.currency.code(),
                    &i64::from(plan.instalments),
                    &day(plan.first_due),
                    &plan.interval,
                    &plan.status.as_str(),
                    &opt_day(plan.status_on),
                    &missed,
                ],
            )?,
            0,
        )?;
        for invoice in &plan.invoices {
            self.execute(
                "INSERT INTO plan_invoice (plan_id, invoice_id) VALUES ($1, $2)",
                &[&id, &invoice.0],
            )?;
        }
        Ok(id)
    }

    fn set_plan_status(&mut self, id: i64, status: PlanStatus, on: Date) -> Result<()> {
        let missed = match status {
            PlanStatus::Broken { missed } => Some(day(missed)),
            _ => None,
        };
        self.execute(
            "UPDATE payment_plan SET status = $2, status_on = $3, missed_due = $4 WHERE id = $1",
            &[&id, &status.as_str(), &day(on), &missed],
        )?;
        Ok(())
    }

    fn insert_run(&mut self, as_of: Date) -> Result<i64> {
        get(
            &self.query_one(
                "INSERT INTO dunning_run (as_of, messages) VALUES ($1, 0) RETURNING id",
                &[&day(as_of)],
            )?,
            0,
        )
    }

    fn set_run_messages(&mut self, run: i64, messages: u64) -> Result<()> {
        let messages = i64::try_from(messages).map_err(|_| corrupt("message count", messages))?;
        self.execute(
            "UPDATE dunning_run SET messages = $2 WHERE id = $1",
            &[&run, &messages],
        )?;
        Ok(())
    }

    fn insert_message(
        &mut self,
        run: i64,
        message: &Message,
        items: &[MessageItem],
    ) -> Result<i64> {
        let ids = self.insert_messages(run, &[(message, items)])?;
        ids.first()
            .copied()
            .ok_or_else(|| tegoed_store::StoreError::Backend("the message got no id".into()))
    }

    fn insert_messages(
        &mut self,
        run: i64,
        messages: &[(&Message, &[MessageItem])],
    ) -> Result<Vec<i64>> {
        let mut out = Vec::with_capacity(messages.len());
        for chunk in messages.chunks(2_000) {
            // Ids first (safe against concurrent inserts, which get others),
            // so the items can name their message in the same round. The
            // messages go in before their items: the items' foreign-key
            // check is planned once per connection, and planned while the
            // table still looked empty it would stay a sequential scan (one
            // message at a time, a go-live run's checks read 516 million
            // rows and the run took 190 s instead of 22 s).
            let ids: Vec<i64> = self
                .query(
                    "SELECT nextval(pg_get_serial_sequence('dunning_message', 'id')::regclass) \
                     FROM generate_series(1::bigint, $1::bigint)",
                    &[&(chunk.len() as i64)],
                )?
                .iter()
                .map(|row| get::<i64>(row, 0))
                .collect::<Result<_>>()?;
            let m = || chunk.iter().map(|(message, _)| *message);
            let customers: Vec<i64> = m().map(|x| x.customer.0).collect();
            let as_of: Vec<Day> = m().map(|x| day(x.as_of)).collect();
            let segments: Vec<&str> = m().map(|x| x.segment.as_str()).collect();
            let strategies: Vec<&str> = m().map(|x| x.strategy.as_str()).collect();
            let step_ids: Vec<&str> = m().map(|x| x.step_id.as_str()).collect();
            let offsets: Vec<i64> = m().map(|x| i64::from(x.step_offset)).collect();
            let channels: Vec<&str> = m().map(|x| x.channel.as_str()).collect();
            let languages: Vec<&str> = m().map(|x| x.language.as_str()).collect();
            let recipients: Vec<Option<&str>> = m().map(|x| x.recipient.as_deref()).collect();
            let sender_names: Vec<&str> = m().map(|x| x.sender_name.as_str()).collect();
            let sender_emails: Vec<Option<&str>> = m().map(|x| x.sender_email.as_deref()).collect();
            let subjects: Vec<&str> = m().map(|x| x.subject.as_str()).collect();
            let bodies: Vec<&str> = m().map(|x| x.body_text.as_str()).collect();
            let documents: Vec<&str> = m().map(|x| x.document.as_str()).collect();
            let currencies: Vec<&str> = m().map(|x| x.currency.code()).collect();
            let principal: Vec<i64> = m().map(|x| x.principal_minor).collect();
            let interest: Vec<i64> = m().map(|x| x.interest_minor).collect();
            let costs: Vec<i64> = m().map(|x| x.costs_minor).collect();
            let vat: Vec<i64> = m().map(|x| x.vat_uplift_minor).collect();
            let credit: Vec<i64> = m().map(|x| x.credit_minor).collect();
            let pay_by: Vec<Option<Day>> = m().map(|x| opt_day(x.pay_by)).collect();
            let effects: Vec<String> = m()
                .map(|x| {
                    let list: Vec<&str> = x.effects.iter().map(|e| e.as_str()).collect();
                    list.join(",")
                })
                .collect();
            let fourteen: Vec<bool> = m().map(|x| x.fourteen_day.is_some()).collect();
            let received: Vec<Option<Day>> = m()
                .map(|x| x.fourteen_day.map(|f| day(f.received_on)))
                .collect();
            let without_costs: Vec<Option<Day>> = m()
                .map(|x| x.fourteen_day.map(|f| day(f.pay_without_costs_until)))
                .collect();
            let stated: Vec<Option<i64>> = m()
                .map(|x| x.fourteen_day.map(|f| f.stated_costs_minor))
                .collect();
            self.execute(
                "INSERT INTO dunning_message (id, run_id, customer_id, as_of, segment, strategy, \
                 step_id, step_offset, channel, language, recipient, sender_name, sender_email, \
                 subject, body_text, document, currency, principal_minor, interest_minor, \
                 costs_minor, vat_uplift_minor, credit_minor, pay_by, effects, status, \
                 fourteen_day, received_on, pay_without_costs_until, stated_costs_minor) \
                 SELECT u.id, $1, u.c, u.a, u.sg, u.st, u.si, u.so, u.ch, u.la, u.re, u.sn, u.se, \
                 u.su, u.bo, u.dc, u.cu, u.pr, u.ir, u.co, u.va, u.cr, u.pb, u.ef, 'queued', \
                 u.ft, u.rc, u.wc, u.sc FROM unnest($2::bigint[], $3::bigint[], $4::date[], \
                 $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[], \
                 $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], \
                 $17::text[], $18::bigint[], $19::bigint[], $20::bigint[], $21::bigint[], \
                 $22::bigint[], $23::date[], $24::text[], $25::boolean[], $26::date[], \
                 $27::date[], $28::bigint[]) AS u(id, c, a, sg, st, si, so, ch, la, re, sn, se, \
                 su, bo, dc, cu, pr, ir, co, va, cr, pb, ef, ft, rc, wc, sc) ORDER BY u.id",
                &[
                    &run,
                    &ids,
                    &customers,
                    &as_of,
                    &segments,
                    &strategies,
                    &step_ids,
                    &offsets,
                    &channels,
                    &languages,
                    &recipients,
                    &sender_names,
                    &sender_emails,
                    &subjects,
                    &bodies,
                    &documents,
                    &currencies,
                    &principal,
                    &interest,
                    &costs,
                    &vat,
                    &credit,
                    &pay_by,
                    &effects,
                    &fourteen,
                    &received,
                    &without_costs,
                    &stated,
                ],
            )?;
            let mut item_message = Vec::new();
            let mut invoices = Vec::new();
            let mut open = Vec::new();
            let mut interest = Vec::new();
            let mut days = Vec::new();
            let mut offsets: Vec<Option<i64>> = Vec::new();
            let mut steps: Vec<Option<&str>> = Vec::new();
            let mut kinds: Vec<Option<&str>> = Vec::new();
            for (id, (message, items)) in ids.iter().zip(chunk) {
                for item in *items {
                    item_message.push(*id);
                    invoices.push(item.invoice.0);
                    open.push(item.open_minor);
                    interest.push(item.interest_minor);
                    days.push(i64::from(item.days_overdue));
                    offsets.push(item.step.as_ref().map(|_| i64::from(message.step_offset)));
                    steps.push(item.step.as_ref().map(|(step, _)| step.as_str()));
                    kinds.push(item.step.as_ref().map(|(_, kind)| kind.as_str()));
                }
            }
            if !item_message.is_empty() {
                self.execute(
                    "INSERT INTO dunning_item (message_id, invoice_id, open_minor, interest_minor, \
                     days_overdue, step_offset, step, kind) SELECT * FROM unnest($1::bigint[], \
                     $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], \
                     $7::text[], $8::text[])",
                    &[
                        &item_message,
                        &invoices,
                        &open,
                        &interest,
                        &days,
                        &offsets,
                        &steps,
                        &kinds,
                    ],
                )?;
            }
            out.extend(ids);
        }
        Ok(out)
    }

    fn set_message_status(
        &mut self,
        id: i64,
        status: MessageStatus,
        delivered_on: Option<Date>,
        file_path: Option<&str>,
        error: Option<&str>,
    ) -> Result<()> {
        self.execute(
            "UPDATE dunning_message SET status = $2, delivered_on = $3, \
             file_path = COALESCE($4, file_path), error = $5, claimed_by = NULL WHERE id = $1",
            &[
                &id,
                &status.as_str(),
                &opt_day(delivered_on),
                &file_path,
                &error,
            ],
        )?;
        Ok(())
    }

    fn claim_message(&mut self, id: i64, token: &str) -> Result<bool> {
        let changed = self.execute(
            "UPDATE dunning_message SET claimed_by = $2 WHERE id = $1 \
             AND status IN ('queued', 'failed') AND (claimed_by IS NULL OR claimed_by = $2)",
            &[&id, &token],
        )?;
        Ok(changed == 1)
    }

    fn claim_messages(&mut self, ids: &[i64], token: &str) -> Result<Vec<i64>> {
        let rows = self.query(
            "UPDATE dunning_message SET claimed_by = $2 WHERE id = ANY($1) \
             AND status IN ('queued', 'failed') AND (claimed_by IS NULL OR claimed_by = $2) \
             RETURNING id",
            &[&ids, &token],
        )?;
        let mut won = std::collections::HashSet::new();
        for row in rows {
            won.insert(get::<i64>(&row, 0)?);
        }
        Ok(ids.iter().copied().filter(|id| won.contains(id)).collect())
    }

    fn mark_messages_sent(&mut self, sent: &[(i64, Option<&str>)], on: Date) -> Result<Vec<i64>> {
        let ids: Vec<i64> = sent.iter().map(|(id, _)| *id).collect();
        let paths: Vec<Option<&str>> = sent.iter().map(|(_, path)| *path).collect();
        let rows = self.query(
            "UPDATE dunning_message m SET status = 'sent', delivered_on = $1, \
             file_path = COALESCE(u.path, m.file_path), error = NULL, claimed_by = NULL \
             FROM unnest($2::bigint[], $3::text[]) AS u(id, path) \
             WHERE m.id = u.id AND m.status IN ('queued', 'failed') RETURNING m.id",
            &[&day(on), &ids, &paths],
        )?;
        let mut marked = std::collections::HashSet::new();
        for row in rows {
            marked.insert(get::<i64>(&row, 0)?);
        }
        Ok(ids.into_iter().filter(|id| marked.contains(id)).collect())
    }

    fn release_claims(&mut self, except_token: &str) -> Result<u64> {
        self.execute(
            "UPDATE dunning_message SET claimed_by = NULL WHERE claimed_by IS NOT NULL \
             AND claimed_by <> $1 AND status IN ('queued', 'failed')",
            &[&except_token],
        )
    }

    fn put_lease(&mut self, lease: &Lease, replacing: Option<&str>) -> Result<bool> {
        let pid = i64::from(lease.pid);
        let changed = match replacing {
            None => self.execute(
                "INSERT INTO run_lease (name, token, holder, host, pid, started_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO NOTHING",
                &[
                    &lease.name,
                    &lease.token,
                    &lease.holder,
                    &lease.host,
                    &pid,
                    &lease.started_at,
                    &lease.expires_at,
                ],
            )?,
            Some(old) => self.execute(
                "UPDATE run_lease SET token = $2, holder = $3, host = $4, pid = $5, \
                 started_at = $6, expires_at = $7 WHERE name = $1 AND token = $8",
                &[
                    &lease.name,
                    &lease.token,
                    &lease.holder,
                    &lease.host,
                    &pid,
                    &lease.started_at,
                    &lease.expires_at,
                    &old,
                ],
            )?,
        };
        Ok(changed == 1)
    }

    fn release_lease(&mut self, name: &str, token: &str) -> Result<()> {
        self.execute(
            "DELETE FROM run_lease WHERE name = $1 AND token = $2",
            &[&name, &token],
        )?;
        Ok(())
    }

    fn insert_history(&mut self, row: &HistoryRow) -> Result<Upsert> {
        let on = day(row.on);
        let existing = self.query_opt(
            "SELECT kind, channel, strategy FROM dunning_history \
             WHERE invoice_id = $1 AND date = $2 AND step = $3",
            &[&row.invoice.0, &on, &row.step],
        )?;
        let wanted = (
            row.kind.as_str().to_string(),
            row.channel.map(|c| c.as_str().to_string()),
            row.strategy.clone(),
        );
        let outcome = match existing {
            Some(current) => {
                let current: (String, Option<String>, Option<String>) =
                    (get(&current, 0)?, get(&current, 1)?, get(&current, 2)?);
                if current == wanted {
                    return Ok(Upsert::Unchanged);
                }
                Upsert::Updated
            }
            None => Upsert::Inserted,
        };
        self.execute(
            "INSERT INTO dunning_history (invoice_id, date, step, kind, channel, strategy) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (invoice_id, date, step) \
             DO UPDATE SET kind = excluded.kind, channel = excluded.channel, \
             strategy = excluded.strategy",
            &[
                &row.invoice.0,
                &on,
                &row.step,
                &wanted.0,
                &wanted.1,
                &wanted.2,
            ],
        )?;
        Ok(outcome)
    }

    fn insert_task(&mut self, task: &Task) -> Result<i64> {
        get(
            &self.query_one(
                "INSERT INTO task (customer_id, message_id, kind, created_on, due_on, assignee, \
                 title, talking_points, amount_minor, currency, status) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open') RETURNING id",
                &[
                    &task.customer.0,
                    &task.message,
                    &task.kind,
                    &day(task.created_on),
                    &day(task.due_on),
                    &task.assignee,
                    &task.title,
                    &task.talking_points,
                    &task.amount.minor,
                    &task.amount.currency.code(),
                ],
            )?,
            0,
        )
    }

    fn complete_task(&mut self, id: i64, on: Date, outcome: &str) -> Result<()> {
        self.execute(
            "UPDATE task SET status = 'done', done_on = $2, outcome = $3 WHERE id = $1",
            &[&id, &day(on), &outcome],
        )?;
        Ok(())
    }

    fn add_events(&mut self, events: &[TimelineEvent]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let customers: Vec<i64> = events.iter().map(|e| e.customer.0).collect();
        let dates: Vec<Day> = events.iter().map(|e| day(e.date)).collect();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        let invoices: Vec<Option<i64>> = events.iter().map(|e| e.invoice.map(|i| i.0)).collect();
        let refs: Vec<Option<i64>> = events.iter().map(|e| e.ref_id).collect();
        let texts: Vec<&str> = events.iter().map(|e| e.text.as_str()).collect();
        let authors: Vec<Option<&str>> = events.iter().map(|e| e.author.as_deref()).collect();
        let texts_nl: Vec<Option<&str>> = events.iter().map(|e| e.text_nl.as_deref()).collect();
        // WITH ORDINALITY keeps the ids in the order given.
        self.execute(
            "INSERT INTO timeline_event (customer_id, date, kind, invoice_id, ref_id, text, \
             author, text_nl) SELECT c, d, k, i, r, t, a, n FROM unnest($1::bigint[], \
             $2::date[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], \
             $8::text[]) WITH ORDINALITY AS u(c, d, k, i, r, t, a, n, o) ORDER BY o",
            &[
                &customers, &dates, &kinds, &invoices, &refs, &texts, &authors, &texts_nl,
            ],
        )?;
        Ok(())
    }

    fn insert_appreciations(&mut self, list: &[Appreciation]) -> Result<Vec<i64>> {
        let mut ids = Vec::new();
        for a in list {
            let row = self.query_opt(
                "INSERT INTO appreciation (customer_id, reason, since, ref_id, suggested, \
                 evidence, evidence_nl, raised_on, status) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open') \
                 ON CONFLICT (customer_id, reason, since, ref_id) DO NOTHING RETURNING id",
                &[
                    &a.customer.0,
                    &a.reason.as_str(),
                    &day(a.since),
                    &a.ref_id,
                    &a.suggested.as_str(),
                    &a.evidence,
                    &a.evidence_nl,
                    &day(a.raised_on),
                ],
            )?;
            if let Some(row) = row {
                ids.push(get(&row, 0)?);
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
        let changed = self.execute(
            "UPDATE appreciation SET status = $2, decided_on = $3, decided_by = $4, \
             message_id = $5 WHERE id = $1 AND status = 'open'",
            &[&id, &status.as_str(), &day(on), &by, &message],
        )?;
        Ok(changed == 1)
    }

    fn insert_gift(&mut self, gift: &Gift, status: GiftStatus) -> Result<i64> {
        get(
            &self.query_one(
                "INSERT INTO gift (customer_id, account_manager_id, appreciation_id, given_on, \
                 item, value_minor, currency, logged_by, status) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                &[
                    &gift.customer.0,
                    &gift.account_manager.map(|m| m.0),
                    &gift.appreciation,
                    &day(gift.given_on),
                    &gift.item,
                    &gift.value.minor,
                    &gift.value.currency.code(),
                    &gift.logged_by,
                    &status.as_str(),
                ],
            )?,
            0,
        )
    }

    fn decide_gift(&mut self, id: i64, status: GiftStatus, on: Date, by: &str) -> Result<bool> {
        let changed = self.execute(
            "UPDATE gift SET status = $2, decided_on = $3, decided_by = $4 \
             WHERE id = $1 AND status = 'awaiting_approval'",
            &[&id, &status.as_str(), &day(on), &by],
        )?;
        Ok(changed == 1)
    }

    fn add_event(&mut self, event: &TimelineEvent) -> Result<i64> {
        get(
            &self.query_one(
                "INSERT INTO timeline_event (customer_id, date, kind, invoice_id, ref_id, text, \
                 author, text_nl) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                &[
                    &event.customer.0,
                    &day(event.date),
                    &event.kind,
                    &event.invoice.map(|i| i.0),
                    &event.ref_id,
                    &event.text,
                    &event.author,
                    &event.text_nl,
                ],
            )?,
            0,
        )
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
