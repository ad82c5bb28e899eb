//! Portal links and requests (see `tegoed_store::portal`).

use postgres::Row;
use tegoed_core::{CustomerId, Date, InvoiceId, Money};
use tegoed_store::{PortalRequest, PortalToken, Result, StoreError, StoredPortalRequest};

use crate::types::{Day, day, opt_day};
use crate::{PgTx, corrupt, get};

const REQUEST_COLUMNS: &str = "id, customer_id, kind, created_on, created_at, on_date, \
     amount_minor, currency, instalments, invoice_id, reason, text, outcome, why, ref_id, \
     task_id, fingerprint";

fn request_row(row: &Row) -> Result<StoredPortalRequest> {
    let amount = match (get::<Option<i64>>(row, 6)?, get::<Option<String>>(row, 7)?) {
        (Some(minor), Some(code)) => Some(Money::new(
            minor,
            tegoed_core::Currency::parse(&code).map_err(|_| corrupt("currency", &code))?,
        )),
        (None, None) => None,
        (minor, code) => {
            return Err(corrupt(
                "portal request amount",
                format!("{minor:?} {code:?}"),
            ));
        }
    };
    let instalments = match get::<Option<i64>>(row, 8)? {
        Some(n) => Some(u32::try_from(n).map_err(|_| corrupt("instalments", n))?),
        None => None,
    };
    Ok(StoredPortalRequest {
        id: get(row, 0)?,
        request: PortalRequest {
            customer: CustomerId(get(row, 1)?),
            kind: get(row, 2)?,
            created_on: get::<Day>(row, 3)?.0,
            created_at: get(row, 4)?,
            on_date: get::<Option<Day>>(row, 5)?.map(|d| d.0),
            amount,
            instalments,
            invoice: get::<Option<i64>>(row, 9)?.map(InvoiceId),
            reason: get(row, 10)?,
            text: get(row, 11)?,
            outcome: get(row, 12)?,
            why: get(row, 13)?,
            ref_id: get(row, 14)?,
            task: get(row, 15)?,
            fingerprint: get(row, 16)?,
        },
    })
}

impl PgTx<'_> {
    pub(crate) fn portal_token_by_hash(&mut self, hash: &str) -> Result<Option<PortalToken>> {
        self.query_opt(
            "SELECT hash, customer_id, issued_on, expires_on, revoked_on \
             FROM portal_token WHERE hash = $1",
            &[&hash],
        )?
        .map(|row| {
            Ok(PortalToken {
                hash: get(&row, 0)?,
                customer: CustomerId(get(&row, 1)?),
                issued_on: get::<Day>(&row, 2)?.0,
                expires_on: get::<Day>(&row, 3)?.0,
                revoked_on: get::<Option<Day>>(&row, 4)?.map(|d| d.0),
            })
        })
        .transpose()
    }

    pub(crate) fn add_portal_token(&mut self, token: &PortalToken) -> Result<()> {
        self.execute(
            "INSERT INTO portal_token (hash, customer_id, issued_on, expires_on, revoked_on) \
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &token.hash,
                &token.customer.0,
                &day(token.issued_on),
                &day(token.expires_on),
                &opt_day(token.revoked_on),
            ],
        )?;
        Ok(())
    }

    pub(crate) fn revoke_tokens_of(&mut self, customer: CustomerId, on: Date) -> Result<u64> {
        self.execute(
            "UPDATE portal_token SET revoked_on = $2 \
             WHERE customer_id = $1 AND revoked_on IS NULL",
            &[&customer.0, &day(on)],
        )
    }

    pub(crate) fn portal_requests_since(
        &mut self,
        customer: Option<CustomerId>,
        since: Date,
    ) -> Result<Vec<StoredPortalRequest>> {
        let rows = match customer {
            Some(c) => self.query(
                &format!(
                    "SELECT {REQUEST_COLUMNS} FROM portal_request \
                     WHERE customer_id = $1 AND created_on >= $2 \
                     ORDER BY created_at DESC, id DESC"
                ),
                &[&c.0, &day(since)],
            )?,
            None => self.query(
                &format!(
                    "SELECT {REQUEST_COLUMNS} FROM portal_request \
                     WHERE created_on >= $1 ORDER BY created_at DESC, id DESC"
                ),
                &[&day(since)],
            )?,
        };
        rows.iter().map(request_row).collect()
    }

    pub(crate) fn add_portal_request(&mut self, r: &PortalRequest) -> Result<Option<i64>> {
        let row = self.query_opt(
            "INSERT INTO portal_request (customer_id, kind, created_on, created_at, on_date, \
             amount_minor, currency, instalments, invoice_id, reason, text, outcome, why, \
             ref_id, task_id, fingerprint) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
             ON CONFLICT (customer_id, fingerprint) DO NOTHING RETURNING id",
            &[
                &r.customer.0,
                &r.kind,
                &day(r.created_on),
                &r.created_at,
                &opt_day(r.on_date),
                &r.amount.map(|a| a.minor),
                &r.amount.as_ref().map(|a| a.currency.code().to_string()),
                &r.instalments.map(i64::from),
                &r.invoice.map(|i| i.0),
                &r.reason,
                &r.text,
                &r.outcome,
                &r.why,
                &r.ref_id,
                &r.task,
                &r.fingerprint,
            ],
        )?;
        row.map(|row| get(&row, 0)).transpose()
    }

    pub(crate) fn set_portal_result(
        &mut self,
        id: i64,
        outcome: &str,
        why: Option<&str>,
        ref_id: Option<i64>,
        task: Option<i64>,
    ) -> Result<()> {
        let changed = self.execute(
            "UPDATE portal_request SET outcome = $2, why = $3, ref_id = $4, task_id = $5 \
             WHERE id = $1",
            &[&id, &outcome, &why, &ref_id, &task],
        )?;
        if changed != 1 {
            return Err(StoreError::NotFound(format!("portal request {id}")));
        }
        Ok(())
    }
}
