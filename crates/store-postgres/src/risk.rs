//! [`RiskRead`] and [`RiskWrite`] for PostgreSQL: risk models and ratings.

use postgres::Row;
use tegoed_core::{CustomerId, Date};
use tegoed_store::Result;
use tegoed_store::risk::{Rating, RiskRead, RiskWrite, Upsert};

use crate::types::{Day, day};
use crate::{PgTx, get};

const RATING_COLUMNS: &str = "customer_id, kvk, provider, score, recommended_limit_minor, rated_on";

fn rating_row(row: &Row) -> Result<Rating> {
    Ok(Rating {
        customer: get::<Option<i64>>(row, 0)?.map(CustomerId),
        kvk: get(row, 1)?,
        provider: get(row, 2)?,
        score: get(row, 3)?,
        recommended_limit_minor: get(row, 4)?,
        rated_on: get::<Day>(row, 5)?.0,
    })
}

/// Newest first, then by provider (as the SQLite backend orders them).
fn newest_first(mut ratings: Vec<Rating>) -> Vec<Rating> {
    ratings.sort_by(|a, b| {
        b.rated_on
            .cmp(&a.rated_on)
            .then_with(|| a.provider.cmp(&b.provider))
    });
    ratings
}

impl RiskRead for PgTx<'_> {
    fn latest_risk_model(&mut self) -> Result<Option<(i64, Date, String)>> {
        let Some(row) = self.query_opt(
            "SELECT id, trained_as_of, body FROM risk_model ORDER BY id DESC LIMIT 1",
            &[],
        )?
        else {
            return Ok(None);
        };
        Ok(Some((get(&row, 0)?, get::<Day>(&row, 1)?.0, get(&row, 2)?)))
    }

    fn ratings_for(
        &mut self,
        customer: Option<CustomerId>,
        kvk: Option<&str>,
    ) -> Result<Vec<Rating>> {
        let mut out = Vec::new();
        if let Some(customer) = customer {
            let sql =
                format!("SELECT {RATING_COLUMNS} FROM rating WHERE customer_id = $1 ORDER BY id");
            for row in self.query(&sql, &[&customer.0])? {
                out.push(rating_row(&row)?);
            }
        }
        if let Some(kvk) = kvk {
            let sql = format!(
                "SELECT {RATING_COLUMNS} FROM rating WHERE kvk = $1 AND customer_id IS NULL ORDER BY id"
            );
            for row in self.query(&sql, &[&kvk])? {
                out.push(rating_row(&row)?);
            }
        }
        Ok(newest_first(out))
    }

    fn all_customer_ratings(&mut self) -> Result<Vec<Rating>> {
        let sql = format!(
            "SELECT {RATING_COLUMNS} FROM rating WHERE customer_id IS NOT NULL ORDER BY id"
        );
        let ratings = self
            .query(&sql, &[])?
            .iter()
            .map(rating_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(newest_first(ratings))
    }
}

impl RiskWrite for PgTx<'_> {
    fn insert_risk_model(&mut self, trained_as_of: Date, body: &str) -> Result<i64> {
        get(
            &self.query_one(
                "INSERT INTO risk_model (trained_as_of, body) VALUES ($1, $2) RETURNING id",
                &[&day(trained_as_of), &body],
            )?,
            0,
        )
    }

    fn upsert_rating(&mut self, rating: &Rating) -> Result<Upsert> {
        let subject = match (rating.customer, &rating.kvk) {
            (Some(c), _) => format!("customer:{}", c.0),
            (None, Some(kvk)) => format!("kvk:{kvk}"),
            (None, None) => format!("provider-only:{}", rating.provider),
        };
        let rated_on = day(rating.rated_on);
        let existing = self.query_opt(
            "SELECT score, recommended_limit_minor FROM rating \
             WHERE subject = $1 AND provider = $2 AND rated_on = $3",
            &[&subject, &rating.provider, &rated_on],
        )?;
        match existing {
            Some(row) => {
                let score: f64 = get(&row, 0)?;
                let limit: Option<i64> = get(&row, 1)?;
                if score == rating.score && limit == rating.recommended_limit_minor {
                    return Ok(Upsert::Unchanged);
                }
                self.execute(
                    "UPDATE rating SET score = $4, recommended_limit_minor = $5, kvk = $6 \
                     WHERE subject = $1 AND provider = $2 AND rated_on = $3",
                    &[
                        &subject,
                        &rating.provider,
                        &rated_on,
                        &rating.score,
                        &rating.recommended_limit_minor,
                        &rating.kvk,
                    ],
                )?;
                Ok(Upsert::Updated)
            }
            None => {
                self.execute(
                    "INSERT INTO rating (subject, customer_id, kvk, provider, score, \
                     recommended_limit_minor, rated_on) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[
                        &subject,
                        &rating.customer.map(|c| c.0),
                        &rating.kvk,
                        &rating.provider,
                        &rating.score,
                        &rating.recommended_limit_minor,
                        &rated_on,
                    ],
                )?;
                Ok(Upsert::Inserted)
            }
        }
    }
}
