//! The risk side of the store: fitted risk models and external credit
//! ratings. [`RiskRead`] and [`RiskWrite`] are supertraits of [`crate::ReadTx`] and [`crate::WriteTx`].

use tegoed_core::{CustomerId, Date};

use crate::Result;

/// An external credit rating, as the provider gave it.
#[derive(Clone, Debug, PartialEq)]
pub struct Rating {
    /// The customer it is about, or `None` for a prospect known by KvK.
    pub customer: Option<CustomerId>,
    pub kvk: Option<String>,
    pub provider: String,
    /// The provider's score on its own scale.
    pub score: f64,
    pub recommended_limit_minor: Option<i64>,
    pub rated_on: Date,
}

/// What writing a rating did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upsert {
    Inserted,
    Updated,
    Unchanged,
}

/// Reads of risk models and ratings.
pub trait RiskRead {
    /// The newest model: (id, trained as of, JSON).
    fn latest_risk_model(&mut self) -> Result<Option<(i64, Date, String)>>;
    /// Ratings of a customer, or of a KvK number, newest first.
    fn ratings_for(
        &mut self,
        customer: Option<CustomerId>,
        kvk: Option<&str>,
    ) -> Result<Vec<Rating>>;
    /// Every customer's ratings (for reports over all customers).
    fn all_customer_ratings(&mut self) -> Result<Vec<Rating>>;
}

/// Writes of risk models and ratings.
pub trait RiskWrite: RiskRead {
    /// Stores a fitted model (JSON); returns its id.
    fn insert_risk_model(&mut self, trained_as_of: Date, body: &str) -> Result<i64>;
    /// Keyed by subject, provider and date: a re-import changes nothing.
    fn upsert_rating(&mut self, rating: &Rating) -> Result<Upsert>;
}
