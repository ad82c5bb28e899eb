//! Portal links and requests (see `tegoed_store::portal`).

use rusqlite::{OptionalExtension, Row, params};
use tegoed_core::{CustomerId, Date, InvoiceId, Money};
use tegoed_store::{PortalRequest, PortalToken, Result, StoredPortalRequest};

use crate::{SqliteTx, corrupt, currency, date};

const REQUEST_COLUMNS: &str = "id, customer_id, kind, created_on, created_at, on_date, \
     amount_minor, currency, instalments, invoice_id, reason, text, outcome, why, ref_id, \
     task_id, fingerprint";

type RawRequest = (StoredPortalRequest, Option<i64>, Option<String>);

fn request_row(row: &Row<'_>) -> rusqlite::Result<RawRequest> {
    Ok((
        StoredPortalRequest {
            id: row.get(0)?,
            request: PortalRequest {
                customer: CustomerId(row.get(1)?),
                kind: row.get(2)?,
                created_on: date(row.get(3)?),
                created_at: row.get(4)?,
                on_date: row.get::<_, Option<i32>>(5)?.map(date),
                amount: None,
                instalments: row.get(8)?,
                invoice: row.get::<_, Option<i64>>(9)?.map(InvoiceId),
                reason: row.get(10)?,
                text: row.get(11)?,
                outcome: row.get(12)?,
                why: row.get(13)?,
                ref_id: row.get(14)?,
                task: row.get(15)?,
                fingerprint: row.get(16)?,
            },
        },
        row.get(6)?,
        row.get(7)?,
    ))
}

fn checked(raw: RawRequest) -> Result<StoredPortalRequest> {
    let (mut stored, minor, code) = raw;
    stored.request.amount = match (minor, code) {
        (Some(minor), Some(code)) => Some(Money::new(minor, currency(&code)?)),
        (None, None) => None,
        (minor, code) => {
            return Err(corrupt(
                "portal request amount",
                format!("{minor:?} {code:?}"),
            ));
        }
    };
    Ok(stored)
}

impl SqliteTx<'_> {
    pub(crate) fn portal_token_by_hash(&mut self, hash: &str) -> Result<Option<PortalToken>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT hash, customer_id, issued_on, expires_on, revoked_on \
                 FROM portal_token WHERE hash = ?1",
            )?
            .query_row([hash], |row| {
                Ok(PortalToken {
                    hash: row.get(0)?,
                    customer: CustomerId(row.get(1)?),
                    issued_on: date(row.get(2)?),
                    expires_on: date(row.get(3)?),
                    revoked_on: row.get::<_, Option<i32>>(4)?.map(date),
                })
            })
            .optional()?)
    }

    pub(crate) fn add_portal_token(&mut self, token: &PortalToken) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO portal_token (hash, customer_id, issued_on, expires_on, revoked_on) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                token.hash,
                token.customer.0,
                token.issued_on.days_since_epoch(),
                token.expires_on.days_since_epoch(),
                token.revoked_on.map(Date::days_since_epoch),
            ])?;
        Ok(())
    }

    pub(crate) fn revoke_tokens_of(&mut self, customer: CustomerId, on: Date) -> Result<u64> {
        Ok(self
            .conn
            .prepare_cached(
                "UPDATE portal_token SET revoked_on = ?2 \
                 WHERE customer_id = ?1 AND revoked_on IS NULL",
            )?
            .execute(params![customer.0, on.days_since_epoch()])? as u64)
    }

    pub(crate) fn portal_requests_since(
        &mut self,
        customer: Option<CustomerId>,
        since: Date,
    ) -> Result<Vec<StoredPortalRequest>> {
        let raw = match customer {
            Some(c) => self
                .conn
                .prepare_cached(&format!(
                    "SELECT {REQUEST_COLUMNS} FROM portal_request \
                     WHERE customer_id = ?1 AND created_on >= ?2 ORDER BY created_at DESC, id DESC"
                ))?
                .query_map(params![c.0, since.days_since_epoch()], request_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
            None => self
                .conn
                .prepare_cached(&format!(
                    "SELECT {REQUEST_COLUMNS} FROM portal_request \
                     WHERE created_on >= ?1 ORDER BY created_at DESC, id DESC"
                ))?
                .query_map(params![since.days_since_epoch()], request_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
        };
        raw.into_iter().map(checked).collect()
    }

    pub(crate) fn add_portal_request(&mut self, r: &PortalRequest) -> Result<Option<i64>> {
        let added = self
            .conn
            .prepare_cached(
                "INSERT INTO portal_request (customer_id, kind, created_on, created_at, on_date, \
                 amount_minor, currency, instalments, invoice_id, reason, text, outcome, why, \
                 ref_id, task_id, fingerprint) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) \
                 ON CONFLICT (customer_id, fingerprint) DO NOTHING",
            )?
            .execute(params![
                r.customer.0,
                r.kind,
                r.created_on.days_since_epoch(),
                r.created_at,
                r.on_date.map(Date::days_since_epoch),
                r.amount.map(|a| a.minor),
                r.amount.as_ref().map(|a| a.currency.code().to_string()),
                r.instalments,
                r.invoice.map(|i| i.0),
                r.reason,
                r.text,
                r.outcome,
                r.why,
                r.ref_id,
                r.task,
                r.fingerprint,
            ])?;
        Ok((added == 1).then(|| self.conn.last_insert_rowid()))
    }

    pub(crate) fn set_portal_result(
        &mut self,
        id: i64,
        outcome: &str,
        why: Option<&str>,
        ref_id: Option<i64>,
        task: Option<i64>,
    ) -> Result<()> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE portal_request SET outcome = ?2, why = ?3, ref_id = ?4, task_id = ?5 \
                 WHERE id = ?1",
            )?
            .execute(params![id, outcome, why, ref_id, task])?;
        if changed != 1 {
            return Err(tegoed_store::StoreError::NotFound(format!(
                "portal request {id}"
            )));
        }
        Ok(())
    }
}
