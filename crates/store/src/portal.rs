//! The customer portal's records: the links handed out (only as hashes)
//! and what customers did on their page.

use tegoed_core::{CustomerId, Date, InvoiceId, Money};

/// A portal link: the hash of its random token (never the token itself),
/// whose page it opens and for how long.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortalToken {
    pub hash: String,
    pub customer: CustomerId,
    pub issued_on: Date,
    /// The last day it opens the page.
    pub expires_on: Date,
    pub revoked_on: Option<Date>,
}

/// Something a customer did on their page: said they paid, promised a
/// day, asked for a plan, reported a problem or asked to be contacted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortalRequest {
    pub customer: CustomerId,
    /// `paid`, `promise`, `plan`, `problem` or `contact`.
    pub kind: String,
    pub created_on: Date,
    /// When, in Unix seconds (newest first on the worklists).
    pub created_at: i64,
    /// The day paid (`paid`), promised (`promise`), of the first
    /// instalment (`plan`).
    pub on_date: Option<Date>,
    pub amount: Option<Money>,
    pub instalments: Option<u32>,
    /// The invoice a problem is about.
    pub invoice: Option<InvoiceId>,
    /// A problem's reason code, or how and when to contact (`phone/morning`).
    pub reason: Option<String>,
    /// What the customer wrote, as written.
    pub text: Option<String>,
    /// `accepted` (settled at once), `request` (for a person) or `noted`.
    pub outcome: String,
    /// Why it went to a person, for the team.
    pub why: Option<String>,
    /// The promise, plan or dispute it made.
    pub ref_id: Option<i64>,
    /// The task it put on a worklist.
    pub task: Option<i64>,
    /// The same request from the same customer on the same day has the
    /// same fingerprint: it is recorded once (a double click, a retry).
    pub fingerprint: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPortalRequest {
    pub id: i64,
    pub request: PortalRequest,
}
