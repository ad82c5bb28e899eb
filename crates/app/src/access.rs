//! Who may do what: users with roles, passwords (argon2), login sessions,
//! API tokens, the audit log, and dunning pause requests that a salesperson
//! makes and a credit manager decides.
//!
//! Moments (`now`, Unix seconds) are parameters: the caller reads the clock.
//! Session and API tokens are random 256-bit values; the store keeps only
//! their BLAKE2b hash, so a copy of the database does not log anyone in.

use crate::audit::{Detail, Label};
use crate::refusal::{Needed, Refusal};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use blake2::{Blake2b512, Digest};
use serde::Serialize;
use tegoed_core::party::Email;
use tegoed_core::{Date, Language};
use tegoed_store::{AuditEntry, PauseRequest, ReadTx, Session, Store, StoredUser, User, WriteTx};

use crate::{AppError, Result};

/// How long a login lasts.
pub const SESSION_SECONDS: i64 = 12 * 3600;
/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// A user's role; each includes what the roles before it may do, except
/// that sales acts only on their own customers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Sales,
    Collector,
    CreditManager,
    Admin,
}

/// Something a user may try.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Read customers, timelines, reports; run the pre-sale check.
    View,
    /// Add a note to a customer's timeline.
    Note,
    /// Record a payment agreement (a promise to pay).
    Agreement,
    /// Ask for a dunning pause.
    RequestPause,
    /// Collection work: calls, promises, disputes, plans, payments to
    /// match, dunning preview and run, direct pauses.
    Collect,
    /// Import ledger files, bank statements, e-invoices and ratings.
    Import,
    /// Approve or reject pause requests.
    DecidePause,
    /// Thank a customer, log a gift, dismiss a suggestion.
    Appreciate,
    /// Approve or refuse a gift over the budget.
    ApproveGift,
    /// Segments, strategies, templates, credit policy.
    EditSettings,
    /// Credit limits.
    SetLimit,
    /// Users and API tokens.
    ManageUsers,
    /// Revoke a customer's links to their own page.
    RevokeLinks,
}

impl Action {
    /// What the action is, in words (for a refusal).
    pub fn describe(self) -> &'static str {
        match self {
            Action::View => "view this",
            Action::Note => "add notes for this customer",
            Action::Agreement => "record agreements for this customer",
            Action::RequestPause => "ask for a pause for this customer",
            Action::Collect => "do collection work",
            Action::Import => "import files",
            Action::DecidePause => "decide pause requests",
            Action::EditSettings => "change the settings",
            Action::SetLimit => "set credit limits",
            Action::ManageUsers => "manage users",
            Action::Appreciate => "thank this customer or give a gift",
            Action::ApproveGift => "approve gifts over the budget",
            Action::RevokeLinks => "revoke links to a customer's own page",
        }
    }
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::CreditManager,
        Role::Collector,
        Role::Sales,
    ];

    pub fn parse(text: &str) -> Option<Role> {
        match text.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "admin" => Some(Role::Admin),
            "credit_manager" => Some(Role::CreditManager),
            "collector" => Some(Role::Collector),
            "sales" => Some(Role::Sales),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::CreditManager => "credit_manager",
            Role::Collector => "collector",
            Role::Sales => "sales",
        }
    }

    /// Whether this role may do `action` at all.
    pub fn may(self, action: Action) -> bool {
        match action {
            Action::View
            | Action::Note
            | Action::Agreement
            | Action::RequestPause
            | Action::Appreciate => true,
            Action::Collect | Action::Import => self >= Role::Collector,
            Action::DecidePause
            | Action::EditSettings
            | Action::SetLimit
            | Action::ApproveGift
            | Action::RevokeLinks => self >= Role::CreditManager,
            Action::ManageUsers => self == Role::Admin,
        }
    }

    /// Whether this role may do `action` only for their own customers.
    pub fn own_customers_only(self, action: Action) -> bool {
        self == Role::Sales
            && matches!(
                action,
                Action::Note | Action::Agreement | Action::RequestPause | Action::Appreciate
            )
    }
}

impl PartialOrd for Role {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Role {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (*self as u8).cmp(&(*other as u8))
    }
}

/// A user as shown (never the password hash).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct UserLine {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub language: &'static str,
    /// The account manager record a salesperson's customers point to.
    pub account_manager: Option<String>,
    pub disabled: bool,
}

/// A logged-in user, as the web app carries it through a request.
#[derive(Clone, Debug)]
pub struct Principal {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub language: Language,
    pub account_manager: Option<tegoed_core::AccountManagerId>,
}

impl Principal {
    fn of(stored: &StoredUser) -> Result<Principal> {
        Ok(Principal {
            id: stored.id,
            email: stored.user.email.clone(),
            name: stored.user.name.clone(),
            role: Role::parse(&stored.user.role).ok_or_else(|| {
                AppError::Invalid(format!("user {} has an unknown role", stored.user.email))
            })?,
            language: stored.user.language,
            account_manager: stored.user.account_manager,
        })
    }

    /// Whether this user may do `action` for a customer whose account
    /// manager is `owner`.
    pub fn may(&self, action: Action, owner: Option<tegoed_core::AccountManagerId>) -> bool {
        allowed(self.role, self.account_manager, action, owner)
    }
}

/// Whether `role` (with `own` customers) may do `action` for a customer
/// whose account manager is `owner`.
fn allowed(
    role: Role,
    own: Option<tegoed_core::AccountManagerId>,
    action: Action,
    owner: Option<tegoed_core::AccountManagerId>,
) -> bool {
    role.may(action) && (!role.own_customers_only(action) || (owner.is_some() && owner == own))
}

/// Who acts, and when: every use case that changes data takes one, checks
/// that this actor may do it, and writes its audit line in the same
/// transaction as the change. The web app acts for the logged-in user; the
/// command line for a named system actor (`TEGOED_USER` or the OS user).
#[derive(Clone, Debug)]
pub struct Actor {
    /// How the audit log and the timeline name them: a user's e-mail
    /// address, or `cli:<name>` on the command line.
    pub id: String,
    pub role: Role,
    /// The account manager whose customers are theirs (sales).
    pub account_manager: Option<tegoed_core::AccountManagerId>,
    pub language: Language,
    /// When they act, in Unix seconds (the edge reads the clock).
    pub at: i64,
}

impl Actor {
    /// The command line (or another system job) acting for `name`, with
    /// every right: whoever can run the binary on the database can change
    /// anything in it, so the point is the record of who did.
    pub fn system(name: &str, at: i64) -> Actor {
        Actor {
            id: format!("cli:{}", name.trim()),
            role: Role::Admin,
            account_manager: None,
            language: Language::En,
            at,
        }
    }

    /// A customer on their own page (the portal), `portal:<number>`: a
    /// collector's rights, which the portal's use cases exercise only on
    /// the customer the link opened.
    pub fn portal(number: &str, language: Language, at: i64) -> Actor {
        Actor {
            id: format!("portal:{}", number.trim()),
            role: Role::Collector,
            account_manager: None,
            language,
            at,
        }
    }

    /// A logged-in user.
    pub fn user(principal: &Principal, at: i64) -> Actor {
        Actor {
            id: principal.email.clone(),
            role: principal.role,
            account_manager: principal.account_manager,
            language: principal.language,
            at,
        }
    }

    /// Whether this actor may do `action` for a customer whose account
    /// manager is `owner`.
    pub fn may(&self, action: Action, owner: Option<tegoed_core::AccountManagerId>) -> bool {
        allowed(self.role, self.account_manager, action, owner)
    }

    /// [`Self::may`], or [`AppError::Forbidden`].
    pub fn require(
        &self,
        action: Action,
        owner: Option<tegoed_core::AccountManagerId>,
    ) -> Result<()> {
        if self.may(action, owner) {
            Ok(())
        } else if self.role.may(action) {
            Err(AppError::Forbidden(format!(
                "{} may {} only for their own customers (ask the account manager or a collector)",
                self.id,
                action.describe().trim_end_matches(" for this customer")
            )))
        } else {
            Err(AppError::Forbidden(format!(
                "{} may not {}",
                self.id,
                action.describe()
            )))
        }
    }

    /// Writes this actor's audit line inside `tx`.
    pub fn audit(
        &self,
        tx: &mut dyn WriteTx,
        action: &str,
        subject: &str,
        detail: crate::audit::Detail,
    ) -> Result<()> {
        audit(tx, &self.id, action, subject, &detail.stored(), self.at)
    }
}

/// `bytes` random bytes from the system, as hex.
pub fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)
        .map_err(|e| AppError::Invalid(format!("no random numbers from the system: {e}")))?;
    Ok(hex(&buf))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The key that signs login-form tokens: one per database, so several
/// servers on it accept each other's forms. Created on first use.
pub fn login_form_key(store: &dyn Store) -> Result<String> {
    const NAME: &str = "login_form_key";
    if let Some(key) = store.read()?.secret(NAME)? {
        return Ok(key);
    }
    let mut tx = store.write()?;
    tx.put_secret_if_absent(NAME, &random_hex(32)?)?;
    let key = tx
        .secret(NAME)?
        .ok_or_else(|| AppError::Invalid("the login form key was not stored".into()))?;
    tx.commit()?;
    Ok(key)
}

fn login_signature(key: &str, nonce: &str) -> String {
    // BLAKE2 has no length extension, so a hash of key and message is a MAC.
    let digest = Blake2b512::new()
        .chain_update(key.as_bytes())
        .chain_update(b"/login-form/")
        .chain_update(nonce.as_bytes())
        .finalize();
    hex(&digest[..16])
}

/// A fresh login-form token: a random nonce and its signature. The form
/// carries it in a hidden field and a cookie (double submit); the server
/// accepts the pair only when both are equal and the signature is its own,
/// so a cookie planted by another site cannot be paired with a forged field.
pub fn new_login_token(key: &str) -> Result<String> {
    let nonce = random_hex(16)?;
    let signature = login_signature(key, &nonce);
    Ok(format!("{nonce}.{signature}"))
}

/// Whether `token` was signed with `key` (see [`new_login_token`]).
pub fn login_token_signed(key: &str, token: &str) -> bool {
    let Some((nonce, signature)) = token.split_once('.') else {
        return false;
    };
    let expected = login_signature(key, nonce);
    nonce.len() == 32
        && expected.len() == signature.len()
        && expected
            .bytes()
            .zip(signature.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn portal_signature(key: &str, link: &str, nonce: &str) -> String {
    let digest = Blake2b512::new()
        .chain_update(key.as_bytes())
        .chain_update(b"/portal-form/")
        .chain_update(token_hash(link).as_bytes())
        .chain_update(b"/")
        .chain_update(nonce.as_bytes())
        .finalize();
    hex(&digest[..16])
}

/// A form token for the customer page opened by `link`: a nonce and a
/// signature over both, so a form posted from elsewhere (without the page)
/// or for another customer's link is refused.
pub fn new_portal_form_token(key: &str, link: &str) -> Result<String> {
    let nonce = random_hex(16)?;
    let signature = portal_signature(key, link, &nonce);
    Ok(format!("{nonce}.{signature}"))
}

/// Whether `token` is a form token of the page opened by `link`.
pub fn portal_form_token_ok(key: &str, link: &str, token: &str) -> bool {
    let Some((nonce, signature)) = token.split_once('.') else {
        return false;
    };
    let expected = portal_signature(key, link, nonce);
    nonce.len() == 32
        && expected.len() == signature.len()
        && expected
            .bytes()
            .zip(signature.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The stored form of a session or API token.
pub fn token_hash(token: &str) -> String {
    hex(&Blake2b512::digest(token.as_bytes())[..32])
}

/// An argon2id hash (PHC string) of `password`.
pub fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| AppError::Invalid(format!("no random numbers from the system: {e}")))?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| AppError::Invalid(format!("cannot encode a salt: {e}")))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| AppError::Invalid(format!("cannot hash the password: {e}")))?
        .to_string())
}

fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

fn user_line(tx: &mut dyn ReadTx, stored: &StoredUser) -> Result<UserLine> {
    let manager = match stored.user.account_manager {
        Some(id) => tx
            .account_managers()?
            .into_iter()
            .find(|(m, _)| *m == id)
            .map(|(_, m)| m.name),
        None => None,
    };
    Ok(UserLine {
        id: stored.id,
        email: stored.user.email.clone(),
        name: stored.user.name.clone(),
        role: stored.user.role.clone(),
        language: stored.user.language.as_str(),
        account_manager: manager,
        disabled: stored.user.disabled,
    })
}

/// What a new user needs.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: Option<&'a str>,
    pub role: Role,
    pub language: Language,
    pub password: &'a str,
    /// The account manager (name or e-mail) whose customers are theirs;
    /// by default the one with the user's e-mail address.
    pub account_manager: Option<&'a str>,
}

/// Creates a user; an existing e-mail address is an error.
pub fn add_user(tx: &mut dyn WriteTx, actor: &Actor, new: &NewUser<'_>) -> Result<UserLine> {
    actor.require(Action::ManageUsers, None)?;
    let email = Email::parse(new.email).map_err(|e| Refusal::EmailInvalid {
        field: "email",
        text: new.email.to_string(),
        reason: e.to_string(),
    })?;
    if new.password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Refusal::PasswordTooShort {
            min: MIN_PASSWORD_CHARS,
        }
        .into());
    }
    if tx.user_by_email(email.as_str())?.is_some() {
        return Err(Refusal::UserExists {
            email: email.as_str().to_string(),
        }
        .into());
    }
    let managers = tx.account_managers()?;
    let account_manager = match new.account_manager {
        Some(key) => Some(
            managers
                .iter()
                .find(|(_, m)| {
                    m.name.eq_ignore_ascii_case(key.trim())
                        || m.email
                            .as_ref()
                            .is_some_and(|e| e.as_str().eq_ignore_ascii_case(key.trim()))
                })
                .map(|(id, _)| *id)
                .ok_or_else(|| AppError::NotFound(format!("no account manager '{key}'")))?,
        ),
        None => managers
            .iter()
            .find(|(_, m)| {
                m.email
                    .as_ref()
                    .is_some_and(|e| e.as_str().eq_ignore_ascii_case(email.as_str()))
            })
            .map(|(id, _)| *id),
    };
    let name = match new.name {
        Some(name) if !name.trim().is_empty() => name.trim().to_string(),
        _ => account_manager
            .and_then(|id| managers.iter().find(|(m, _)| *m == id))
            .map(|(_, m)| m.name.clone())
            .unwrap_or_else(|| email.as_str().split('@').next().unwrap_or("").to_string()),
    };
    let user = User {
        email: email.as_str().to_string(),
        name,
        role: new.role.as_str().to_string(),
        language: new.language,
        password_hash: hash_password(new.password)?,
        account_manager,
        disabled: false,
        created_at: actor.at,
    };
    let id = tx.insert_user(&user)?;
    actor.audit(
        tx,
        "user.add",
        &user.email,
        Detail::none().word(Label::Role, &user.role),
    )?;
    user_line(tx, &StoredUser { id, user })
}

/// Every user.
pub fn users(tx: &mut dyn ReadTx) -> Result<Vec<UserLine>> {
    let all = tx.users()?;
    all.iter().map(|u| user_line(tx, u)).collect()
}

/// Changes a user's role, language or disabled flag (admin work).
pub fn update_user(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    email: &str,
    role: Option<Role>,
    language: Option<Language>,
    disabled: Option<bool>,
) -> Result<UserLine> {
    actor.require(Action::ManageUsers, None)?;
    let mut stored = tx
        .user_by_email(email)?
        .ok_or_else(|| AppError::NotFound(format!("no user {email}")))?;
    let before = stored.user.clone();
    if let Some(role) = role {
        stored.user.role = role.as_str().to_string();
    }
    if let Some(language) = language {
        stored.user.language = language;
    }
    if let Some(disabled) = disabled {
        stored.user.disabled = disabled;
    }
    // Someone must be able to manage users: the last active administrator
    // keeps that role and stays active.
    let admin = Role::Admin.as_str();
    let was_admin = before.role == admin && !before.disabled;
    let stays_admin = stored.user.role == admin && !stored.user.disabled;
    if was_admin && !stays_admin {
        // Two administrators stepping down at once: the second waits for
        // the first and counts what it committed.
        tx.lock_administrators()?;
        let others = tx
            .users()?
            .iter()
            .filter(|u| u.id != stored.id && u.user.role == admin && !u.user.disabled)
            .count();
        if others == 0 {
            return Err(Refusal::LastAdministrator {
                email: stored.user.email.clone(),
            }
            .into());
        }
    }
    if stored.user != before {
        tx.update_user(stored.id, &stored.user)?;
        actor.audit(
            tx,
            "user.update",
            &stored.user.email,
            Detail::none()
                .word(Label::Role, &stored.user.role)
                .word(Label::Language, stored.user.language.as_str())
                .word(
                    Label::Status,
                    if stored.user.disabled {
                        "disabled"
                    } else {
                        "active"
                    },
                ),
        )?;
    }
    user_line(tx, &stored)
}

/// The acting user changes their own language (anyone may).
pub fn set_language(tx: &mut dyn WriteTx, actor: &Actor, language: Language) -> Result<()> {
    let mut stored = tx
        .user_by_email(&actor.id)?
        .ok_or_else(|| AppError::NotFound(format!("no user {}", actor.id)))?;
    if stored.user.language != language {
        stored.user.language = language;
        tx.update_user(stored.id, &stored.user)?;
        actor.audit(
            tx,
            "user.language",
            &actor.id,
            Detail::none().word(Label::Language, language.as_str()),
        )?;
    }
    Ok(())
}

/// A new login session: the cookie token and the user.
pub struct Login {
    pub token: String,
    pub principal: Principal,
    pub csrf: String,
}

/// Checks e-mail and password; on success starts a session. `None` for a
/// wrong e-mail, password or a disabled user (the caller says no more).
pub fn login(store: &dyn Store, email: &str, password: &str, now: i64) -> Result<Option<Login>> {
    // No address holds a NUL character (and a database may not look one up).
    if email.contains('\0') {
        let _ = verify_password(DUMMY_HASH, password);
        return Ok(None);
    }
    let stored = {
        let mut tx = store.read()?;
        tx.user_by_email(email)?
    };
    let Some(stored) = stored else {
        // Spend the same effort as for a real user, so timing tells nothing.
        let _ = verify_password(DUMMY_HASH, password);
        return Ok(None);
    };
    if stored.user.disabled || !verify_password(&stored.user.password_hash, password) {
        return Ok(None);
    }
    let token = random_hex(32)?;
    let csrf = random_hex(32)?;
    let mut tx = store.write()?;
    tx.delete_expired_sessions(now)?;
    tx.insert_session(
        &token_hash(&token),
        &Session {
            user: stored.id,
            csrf: csrf.clone(),
            created_at: now,
            expires_at: now + SESSION_SECONDS,
        },
    )?;
    audit(
        tx.as_mut(),
        &stored.user.email,
        "login",
        &stored.user.email,
        "",
        now,
    )?;
    tx.commit()?;
    Ok(Some(Login {
        token,
        principal: Principal::of(&stored)?,
        csrf,
    }))
}

/// A hash to verify against when the e-mail address is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$dGVnb2VkZHVtbXlzYWx0$3wD4q0m9lO1mYq3b8dD8c4xQm7Vj0l1rj3zvQY8h0kA";

/// The user of a live session, with the session's CSRF token.
pub fn session(tx: &mut dyn ReadTx, token: &str, now: i64) -> Result<Option<(Principal, String)>> {
    let Some(session) = tx.session(&token_hash(token))? else {
        return Ok(None);
    };
    if session.expires_at < now {
        return Ok(None);
    }
    match tx.user(session.user)? {
        Some(user) if !user.user.disabled => Ok(Some((Principal::of(&user)?, session.csrf))),
        _ => Ok(None),
    }
}

/// Ends a session.
pub fn logout(tx: &mut dyn WriteTx, token: &str, now: i64) -> Result<()> {
    let hash = token_hash(token);
    if let Some(session) = tx.session(&hash)? {
        tx.delete_session(&hash)?;
        if let Some(user) = tx.user(session.user)? {
            audit(tx, &user.user.email, "logout", &user.user.email, "", now)?;
        }
    }
    Ok(())
}

/// Creates an API token for a user; the token is shown once.
pub fn create_api_token(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    email: &str,
    name: &str,
) -> Result<String> {
    actor.require(Action::ManageUsers, None)?;
    let user = tx
        .user_by_email(email)?
        .ok_or_else(|| AppError::NotFound(format!("no user {email}")))?;
    let token = format!("tgd_{}", random_hex(32)?);
    tx.insert_api_token(&token_hash(&token), user.id, name.trim(), actor.at)?;
    actor.audit(
        tx,
        "token.create",
        &user.user.email,
        Detail::none().text(Label::Name, name),
    )?;
    Ok(token)
}

/// The user an API token acts for.
pub fn token_principal(tx: &mut dyn ReadTx, token: &str) -> Result<Option<Principal>> {
    let Some(id) = tx.api_token_user(&token_hash(token))? else {
        return Ok(None);
    };
    match tx.user(id)? {
        Some(user) if !user.user.disabled => Ok(Some(Principal::of(&user)?)),
        _ => Ok(None),
    }
}

/// Writes one audit line inside `tx`.
pub fn audit(
    tx: &mut dyn WriteTx,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
    now: i64,
) -> Result<()> {
    tx.insert_audit(&AuditEntry {
        at: now,
        actor: actor.to_string(),
        action: action.to_string(),
        subject: subject.to_string(),
        detail: detail.to_string(),
    })?;
    Ok(())
}

/// An audit line as shown.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct AuditLine {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// The newest `limit` lines of the audit log, newest first by when they
/// happened (a line written later about an earlier moment, as the demo's
/// history does, sorts by its moment).
pub fn audit_log(tx: &mut dyn ReadTx, limit: u32) -> Result<Vec<AuditLine>> {
    let mut lines: Vec<AuditLine> = tx
        .audit_log(limit)?
        .into_iter()
        .map(|e| AuditLine {
            at: e.at,
            actor: e.actor,
            action: e.action,
            subject: e.subject,
            detail: e.detail,
        })
        .collect();
    lines.sort_by_key(|l| std::cmp::Reverse(l.at));
    Ok(lines)
}

// --- pause requests -----------------------------------------------------------

/// A pause request as shown.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PauseRequestLine {
    pub id: i64,
    pub customer: String,
    pub name: String,
    pub requested_by: String,
    #[serde(serialize_with = "crate::ser::date")]
    pub requested_on: Date,
    #[serde(serialize_with = "crate::ser::date")]
    pub until: Date,
    pub reason: String,
    pub status: String,
    pub decided_by: Option<String>,
    #[serde(serialize_with = "crate::ser::opt_date")]
    pub decided_on: Option<Date>,
}

fn request_line(tx: &mut dyn ReadTx, id: i64, r: PauseRequest) -> Result<PauseRequestLine> {
    let customer = tx.customer(r.customer)?;
    Ok(PauseRequestLine {
        id,
        customer: customer
            .as_ref()
            .map(|c| c.customer.number.clone())
            .unwrap_or_default(),
        name: customer.map(|c| c.customer.name).unwrap_or_default(),
        requested_by: r.requested_by,
        requested_on: r.requested_on,
        until: r.until,
        reason: r.reason,
        status: r.status,
        decided_by: r.decided_by,
        decided_on: r.decided_on,
    })
}

/// A salesperson asks to pause dunning for a customer until `until`.
pub fn request_pause(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    number: &str,
    until: Date,
    reason: &str,
    as_of: Date,
) -> Result<PauseRequestLine> {
    if reason.trim().is_empty() {
        return Err(Refusal::Missing(Needed::PauseRequestReason).into());
    }
    if until < as_of {
        return Err(Refusal::RequestedPauseEndsBeforeToday {
            until,
            today: as_of,
        }
        .into());
    }
    crate::refusal::within_a_year("until", until, as_of)?;
    let customer = tx
        .customer_by_number(number)?
        .ok_or_else(|| AppError::NotFound(format!("no customer with number '{number}'")))?;
    actor.require(Action::RequestPause, customer.customer.account_manager)?;
    let request = PauseRequest {
        customer: customer.id,
        requested_by: actor.id.clone(),
        requested_on: as_of,
        until,
        reason: reason.trim().to_string(),
        status: "pending".into(),
        decided_by: None,
        decided_on: None,
    };
    let id = tx.insert_pause_request(&request)?;
    crate::agreements::add_event_in(
        tx,
        customer.id,
        as_of,
        "pause_requested",
        Some(id),
        (
            format!(
                "Dunning pause until {} requested: {}",
                crate::agreements::date_en(until),
                request.reason
            ),
            Some(format!(
                "Aanmaanpauze tot en met {} gevraagd: {}",
                crate::agreements::date_nl(until),
                request.reason
            )),
        ),
        Some(&actor.id),
    )?;
    actor.audit(
        tx,
        "pause.request",
        number,
        Detail::none()
            .date(Label::Until, until)
            .text(Label::Reason, &request.reason),
    )?;
    request_line(tx, id, request)
}

/// Approves (the pause starts) or rejects a pending request.
pub fn decide_pause(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    id: i64,
    approve: bool,
    as_of: Date,
) -> Result<PauseRequestLine> {
    actor.require(Action::DecidePause, None)?;
    let by = actor.id.as_str();
    let stored = tx
        .pause_request(id)?
        .ok_or_else(|| AppError::NotFound(format!("no pause request {id}")))?;
    if stored.request.status != "pending" {
        return Err(Refusal::PauseRequestDecided {
            id,
            status: stored.request.status,
        }
        .into());
    }
    let status = if approve { "approved" } else { "rejected" };
    tx.decide_pause_request(id, status, by, as_of)?;
    let r = &stored.request;
    if approve {
        crate::agreements::pause_in(tx, r.customer, r.until, &r.reason, as_of)?;
    } else {
        crate::agreements::add_event_in(
            tx,
            r.customer,
            as_of,
            "pause_rejected",
            Some(id),
            (
                format!("Pause request rejected: {}", r.reason),
                Some(format!("Verzoek om pauze afgewezen: {}", r.reason)),
            ),
            Some(by),
        )?;
    }
    let mut decided = stored.request;
    decided.status = status.into();
    decided.decided_by = Some(by.into());
    decided.decided_on = Some(as_of);
    let line = request_line(tx, id, decided)?;
    actor.audit(
        tx,
        if approve {
            "pause.approve"
        } else {
            "pause.reject"
        },
        &line.customer,
        Detail::none().number(Label::Request, id),
    )?;
    Ok(line)
}

/// Pause requests, oldest first.
pub fn pause_requests(
    tx: &mut dyn ReadTx,
    customer: Option<&str>,
    pending_only: bool,
) -> Result<Vec<PauseRequestLine>> {
    let customer = match customer {
        Some(number) => Some(
            tx.customer_by_number(number)?
                .ok_or_else(|| AppError::NotFound(format!("no customer with number '{number}'")))?
                .id,
        ),
        None => None,
    };
    pause_requests_of(tx, customer, pending_only)
}

/// [`pause_requests`] by customer id (of everyone with `None`).
pub fn pause_requests_of(
    tx: &mut dyn ReadTx,
    customer: Option<tegoed_core::CustomerId>,
    pending_only: bool,
) -> Result<Vec<PauseRequestLine>> {
    let list = tx.pause_requests(customer, pending_only)?;
    list.into_iter()
        .map(|s| request_line(tx, s.id, s.request))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_nest_and_sales_acts_on_own_customers_only() {
        use tegoed_core::AccountManagerId;
        assert!(Role::Admin.may(Action::ManageUsers));
        assert!(!Role::CreditManager.may(Action::ManageUsers));
        assert!(Role::CreditManager.may(Action::DecidePause));
        assert!(!Role::Collector.may(Action::DecidePause));
        assert!(Role::Collector.may(Action::Collect));
        assert!(!Role::Sales.may(Action::Collect));
        let sales = Principal {
            id: 1,
            email: "s@x.nl".into(),
            name: "S".into(),
            role: Role::Sales,
            language: Language::Nl,
            account_manager: Some(AccountManagerId(7)),
        };
        assert!(sales.may(Action::Note, Some(AccountManagerId(7))));
        assert!(!sales.may(Action::Note, Some(AccountManagerId(8))));
        assert!(!sales.may(Action::Note, None));
        assert!(sales.may(Action::View, None));
        let collector = Principal {
            role: Role::Collector,
            account_manager: None,
            ..sales
        };
        assert!(collector.may(Action::Note, Some(AccountManagerId(8))));
    }

    #[test]
    fn passwords_verify_and_hashes_differ() {
        let a = hash_password("correct horse").unwrap();
        let b = hash_password("correct horse").unwrap();
        assert_ne!(a, b, "salted");
        assert!(verify_password(&a, "correct horse"));
        assert!(!verify_password(&a, "wrong horse!"));
        assert!(
            PasswordHash::new(DUMMY_HASH).is_ok(),
            "the dummy hash parses"
        );
        assert!(!verify_password(DUMMY_HASH, "anything"));
    }
}
