use rusqlite::{OptionalExtension, Row, params};
use tegoed_core::{CustomerId, Date};

use crate::{SqliteTx, date};
use tegoed_store::Result;
use tegoed_store::risk::{Rating, RiskRead, RiskWrite, Upsert};

const RATING_COLUMNS: &str = "customer_id, kvk, provider, score, recommended_limit_minor, rated_on";

fn rating_row(row: &Row<'_>) -> rusqlite::Result<Rating> {
    Ok(Rating {
        customer: row.get::<_, Option<i64>>(0)?.map(CustomerId),
        kvk: row.get(1)?,
        provider: row.get(2)?,
        score: row.get(3)?,
        recommended_limit_minor: row.get(4)?,
        rated_on: date(row.get(5)?),
    })
}

fn newest_first(mut ratings: Vec<Rating>) -> Vec<Rating> {
    ratings.sort_by(|a, b| {
        b.rated_on
            .cmp(&a.rated_on)
            .then_with(|| a.provider.cmp(&b.provider))
    });
    ratings
}

impl RiskRead for SqliteTx<'_> {
    fn latest_risk_model(&mut self) -> Result<Option<(i64, Date, String)>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, trained_as_of, body FROM risk_model \
                 WHERE id = (SELECT MAX(id) FROM risk_model)",
            )?
            .query_row([], |row| Ok((row.get(0)?, date(row.get(1)?), row.get(2)?)))
            .optional()?)
    }

    fn ratings_for(
        &mut self,
        customer: Option<CustomerId>,
        kvk: Option<&str>,
    ) -> Result<Vec<Rating>> {
        let mut out = Vec::new();
        if let Some(customer) = customer {
            let sql = format!("SELECT {RATING_COLUMNS} FROM rating WHERE customer_id = ?1");
            let mut stmt = self.conn.prepare_cached(&sql)?;
            for row in stmt.query_map([customer.0], rating_row)? {
                out.push(row?);
            }
        }
        if let Some(kvk) = kvk {
            let sql = format!(
                "SELECT {RATING_COLUMNS} FROM rating WHERE kvk = ?1 AND customer_id IS NULL"
            );
            let mut stmt = self.conn.prepare_cached(&sql)?;
            for row in stmt.query_map([kvk], rating_row)? {
                out.push(row?);
            }
        }
        Ok(newest_first(out))
    }

    fn all_customer_ratings(&mut self) -> Result<Vec<Rating>> {
        let sql = format!("SELECT {RATING_COLUMNS} FROM rating WHERE customer_id IS NOT NULL");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([], rating_row)?;
        Ok(newest_first(rows.collect::<rusqlite::Result<Vec<_>>>()?))
    }
}

impl RiskWrite for SqliteTx<'_> {
    fn insert_risk_model(&mut self, trained_as_of: Date, body: &str) -> Result<i64> {
        self.conn
            .prepare_cached("INSERT INTO risk_model (trained_as_of, body) VALUES (?1, ?2)")?
            .execute(params![trained_as_of.days_since_epoch(), body])?;
        Ok(self.conn.last_insert_rowid())
    }

    fn upsert_rating(&mut self, rating: &Rating) -> Result<Upsert> {
        let subject = match (rating.customer, &rating.kvk) {
            (Some(c), _) => format!("customer:{}", c.0),
            (None, Some(kvk)) => format!("kvk:{kvk}"),
            (None, None) => format!("provider-only:{}", rating.provider),
        };
        let existing: Option<(f64, Option<i64>)> = self
            .conn
            .prepare_cached(
                "SELECT score, recommended_limit_minor FROM rating \
                 WHERE subject = ?1 AND provider = ?2 AND rated_on = ?3",
            )?
            .query_row(
                params![subject, rating.provider, rating.rated_on.days_since_epoch()],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        match existing {
            Some((score, limit))
                if score == rating.score && limit == rating.recommended_limit_minor =>
            {
                Ok(Upsert::Unchanged)
            }
            Some(_) => {
                self.conn
                    .prepare_cached(
                        "UPDATE rating SET score = ?4, recommended_limit_minor = ?5, kvk = ?6 \
                         WHERE subject = ?1 AND provider = ?2 AND rated_on = ?3",
                    )?
                    .execute(params![
                        subject,
                        rating.provider,
                        rating.rated_on.days_since_epoch(),
                        rating.score,
                        rating.recommended_limit_minor,
                        rating.kvk
                    ])?;
                Ok(Upsert::Updated)
            }
            None => {
                self.conn
                    .prepare_cached(
                        "INSERT INTO rating (subject, customer_id, kvk, provider, score, \
                         recommended_limit_minor, rated_on) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    )?
                    .execute(params![
                        subject,
                        rating.customer.map(|c| c.0),
                        rating.kvk,
                        rating.provider,
                        rating.score,
                        rating.recommended_limit_minor,
                        rating.rated_on.days_since_epoch()
                    ])?;
                Ok(Upsert::Inserted)
            }
        }
    }
}
