//! The access side of the store: users and their roles, login sessions, API
//! tokens, the audit log, and dunning pause requests waiting for a credit
//! manager. [`AccessRead`] and [`AccessWrite`] are supertraits of [`crate::ReadTx`] and [`crate::WriteTx`].
//!
//! Moments (`*_at`) are Unix seconds, handed in by the caller: the store
//! never reads the clock.

use tegoed_core::{AccountManagerId, CustomerId, Date, Language};

use crate::Result;

/// Someone who logs in to the web app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub email: String,
    pub name: String,
    /// `admin`, `credit_manager`, `collector` or `sales`.
    pub role: String,
    pub language: Language,
    /// An argon2 PHC string.
    pub password_hash: String,
    /// The account-manager record of a salesperson: "my customers".
    pub account_manager: Option<AccountManagerId>,
    pub disabled: bool,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredUser {
    pub id: i64,
    pub user: User,
}

/// A login session, found by the hash of its cookie token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub user: i64,
    /// The token every form of this session must carry.
    pub csrf: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: i64,
    /// The user's e-mail address (or `cli`).
    pub actor: String,
    pub action: String,
    /// What it was about: a customer number, invoice, payment, user…
    pub subject: String,
    pub detail: String,
}

/// A salesperson's request to pause dunning for a customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PauseRequest {
    pub customer: CustomerId,
    pub requested_by: String,
    pub requested_on: Date,
    pub until: Date,
    pub reason: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_on: Option<Date>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPauseRequest {
    pub id: i64,
    pub request: PauseRequest,
}

/// Reads of users, sessions, tokens, the audit log and pause requests.
/// An answer to a question of the policy quiz: which deal was asked about,
/// what the person answered and what the policy decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuizAnswer {
    /// Who answered (a user's e-mail address, as in the audit log).
    pub user: String,
    pub answered_on: Date,
    pub customer: CustomerId,
    pub amount_minor: i64,
    pub terms_days: i32,
    /// `approve`, `conditions` or `prepay`.
    pub answer: String,
    /// What the policy decided.
    pub verdict: String,
    /// The rule that decided.
    pub rule: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredQuizAnswer {
    pub id: i64,
    pub answer: QuizAnswer,
}

pub trait AccessRead {
    fn user(&mut self, id: i64) -> Result<Option<StoredUser>>;
    /// E-mail addresses compare without regard to case.
    fn user_by_email(&mut self, email: &str) -> Result<Option<StoredUser>>;
    fn users(&mut self) -> Result<Vec<StoredUser>>;
    fn session(&mut self, token_hash: &str) -> Result<Option<Session>>;
    /// The user an API token belongs to.
    fn api_token_user(&mut self, token_hash: &str) -> Result<Option<i64>>;
    /// The newest `limit` entries, newest first.
    fn audit_log(&mut self, limit: u32) -> Result<Vec<AuditEntry>>;
    fn pause_request(&mut self, id: i64) -> Result<Option<StoredPauseRequest>>;
    /// Oldest first; only pending ones with `pending_only`.
    fn pause_requests(
        &mut self,
        customer: Option<CustomerId>,
        pending_only: bool,
    ) -> Result<Vec<StoredPauseRequest>>;

    /// A secret shared by every server on this database, if created.
    fn secret(&mut self, name: &str) -> Result<Option<String>>;

    /// Quiz answers given on or after `from`, oldest first.
    fn quiz_answers(&mut self, from: Date) -> Result<Vec<StoredQuizAnswer>>;
    fn quiz_answer(&mut self, id: i64) -> Result<Option<StoredQuizAnswer>>;

    /// The portal link with this token hash, if one was issued.
    fn portal_token(&mut self, hash: &str) -> Result<Option<crate::PortalToken>>;
}

/// Writes of users, sessions, tokens, the audit log and pause requests.
pub trait AccessWrite: AccessRead {
    fn insert_user(&mut self, user: &User) -> Result<i64>;
    fn update_user(&mut self, id: i64, user: &User) -> Result<()>;
    /// Holds the administrators' rows until the transaction ends, so a
    /// rule over all of them (the last active administrator keeps the
    /// role) is checked against what others commit meanwhile: a second
    /// transaction doing the same waits, then reads the first one's
    /// change. A backend whose writers run one at a time does nothing.
    fn lock_administrators(&mut self) -> Result<()>;

    fn insert_session(&mut self, token_hash: &str, session: &Session) -> Result<()>;
    fn delete_session(&mut self, token_hash: &str) -> Result<()>;
    /// Removes sessions that expired before `now`; returns how many.
    fn delete_expired_sessions(&mut self, now: i64) -> Result<u64>;

    fn insert_api_token(
        &mut self,
        token_hash: &str,
        user: i64,
        name: &str,
        created_at: i64,
    ) -> Result<i64>;

    fn insert_audit(&mut self, entry: &AuditEntry) -> Result<i64>;

    fn insert_pause_request(&mut self, request: &PauseRequest) -> Result<i64>;
    fn decide_pause_request(&mut self, id: i64, status: &str, by: &str, on: Date) -> Result<()>;
    /// Stores `value` as the secret `name` unless one exists (the first
    /// server to create it wins; read it back with [`Self::secret`]).
    fn put_secret_if_absent(&mut self, name: &str, value: &str) -> Result<()>;

    fn insert_quiz_answer(&mut self, answer: &QuizAnswer) -> Result<i64>;

    fn insert_portal_token(&mut self, token: &crate::PortalToken) -> Result<()>;
    /// Revokes every link of `customer` not revoked yet; gives how many.
    fn revoke_portal_tokens(&mut self, customer: CustomerId, on: Date) -> Result<u64>;
}
