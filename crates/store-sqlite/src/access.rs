use rusqlite::{OptionalExtension, Row, params};
use tegoed_core::{AccountManagerId, CustomerId, Date, Language};

use crate::{SqliteTx, corrupt, date};
use tegoed_store::Result;
use tegoed_store::access::{
    AccessRead, AccessWrite, AuditEntry, PauseRequest, QuizAnswer, Session, StoredPauseRequest,
    StoredQuizAnswer, StoredUser, User,
};

const QUIZ_COLUMNS: &str = "id, user_email, answered_on, customer_id, amount_minor, terms_days, \
     answer, verdict, rule";

fn quiz_row(row: &Row<'_>) -> rusqlite::Result<StoredQuizAnswer> {
    Ok(StoredQuizAnswer {
        id: row.get(0)?,
        answer: QuizAnswer {
            user: row.get(1)?,
            answered_on: date(row.get(2)?),
            customer: CustomerId(row.get(3)?),
            amount_minor: row.get(4)?,
            terms_days: row.get(5)?,
            answer: row.get(6)?,
            verdict: row.get(7)?,
            rule: row.get(8)?,
        },
    })
}

const USER_COLUMNS: &str =
    "id, email, name, role, language, password_hash, account_manager_id, disabled, created_at";

fn user_row(row: &Row<'_>) -> rusqlite::Result<(i64, User, String)> {
    let language: String = row.get(4)?;
    Ok((
        row.get(0)?,
        User {
            email: row.get(1)?,
            name: row.get(2)?,
            role: row.get(3)?,
            language: Language::En,
            password_hash: row.get(5)?,
            account_manager: row.get::<_, Option<i64>>(6)?.map(AccountManagerId),
            disabled: row.get::<_, i64>(7)? != 0,
            created_at: row.get(8)?,
        },
        language,
    ))
}

fn stored_user(raw: (i64, User, String)) -> Result<StoredUser> {
    let (id, mut user, language) = raw;
    user.language = Language::parse(&language).ok_or_else(|| corrupt("language", &language))?;
    Ok(StoredUser { id, user })
}

const REQUEST_COLUMNS: &str = "id, customer_id, requested_by, requested_on, until, reason, status, \
                               decided_by, decided_on";

fn request_row(row: &Row<'_>) -> rusqlite::Result<StoredPauseRequest> {
    Ok(StoredPauseRequest {
        id: row.get(0)?,
        request: PauseRequest {
            customer: CustomerId(row.get(1)?),
            requested_by: row.get(2)?,
            requested_on: date(row.get(3)?),
            until: date(row.get(4)?),
            reason: row.get(5)?,
            status: row.get(6)?,
            decided_by: row.get(7)?,
            decided_on: row.get::<_, Option<i32>>(8)?.map(date),
        },
    })
}

impl AccessRead for SqliteTx<'_> {
    fn user(&mut self, id: i64) -> Result<Option<StoredUser>> {
        let raw = self
            .conn
            .prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM app_user WHERE id = ?1"
            ))?
            .query_row([id], user_row)
            .optional()?;
        raw.map(stored_user).transpose()
    }

    fn user_by_email(&mut self, email: &str) -> Result<Option<StoredUser>> {
        let raw = self
            .conn
            .prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM app_user WHERE lower(email) = lower(?1)"
            ))?
            .query_row([email.trim()], user_row)
            .optional()?;
        raw.map(stored_user).transpose()
    }

    fn users(&mut self) -> Result<Vec<StoredUser>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM app_user ORDER BY id"))?;
        let raw = stmt
            .query_map([], user_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raw.into_iter().map(stored_user).collect()
    }

    fn session(&mut self, token_hash: &str) -> Result<Option<Session>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT user_id, csrf, created_at, expires_at FROM session WHERE token_hash = ?1",
            )?
            .query_row([token_hash], |row| {
                Ok(Session {
                    user: row.get(0)?,
                    csrf: row.get(1)?,
                    created_at: row.get(2)?,
                    expires_at: row.get(3)?,
                })
            })
            .optional()?)
    }

    fn quiz_answers(&mut self, from: Date) -> Result<Vec<StoredQuizAnswer>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {QUIZ_COLUMNS} FROM quiz_answer WHERE answered_on >= ?1 \
                 ORDER BY answered_on, id"
            ))?
            .query_map([from.days_since_epoch()], quiz_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn quiz_answer(&mut self, id: i64) -> Result<Option<StoredQuizAnswer>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {QUIZ_COLUMNS} FROM quiz_answer WHERE id = ?1"
            ))?
            .query_row([id], quiz_row)
            .optional()?)
    }

    fn secret(&mut self, name: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM server_secret WHERE name = ?1")?
            .query_row([name], |row| row.get(0))
            .optional()?)
    }

    fn api_token_user(&mut self, token_hash: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT user_id FROM api_token WHERE token_hash = ?1")?
            .query_row([token_hash], |row| row.get(0))
            .optional()?)
    }

    fn audit_log(&mut self, limit: u32) -> Result<Vec<AuditEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT at, actor, action, subject, detail FROM audit_log ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |row| {
            Ok(AuditEntry {
                at: row.get(0)?,
                actor: row.get(1)?,
                action: row.get(2)?,
                subject: row.get(3)?,
                detail: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn pause_request(&mut self, id: i64) -> Result<Option<StoredPauseRequest>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {REQUEST_COLUMNS} FROM pause_request WHERE id = ?1"
            ))?
            .query_row([id], request_row)
            .optional()?)
    }

    fn pause_requests(
        &mut self,
        customer: Option<CustomerId>,
        pending_only: bool,
    ) -> Result<Vec<StoredPauseRequest>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {REQUEST_COLUMNS} FROM pause_request \
             WHERE (?1 IS NULL OR customer_id = ?1) AND (?2 = 0 OR status = 'pending') ORDER BY id"
        ))?;
        let rows = stmt.query_map(
            params![customer.map(|c| c.0), pending_only as i64],
            request_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn portal_token(&mut self, hash: &str) -> Result<Option<tegoed_store::PortalToken>> {
        self.portal_token_by_hash(hash)
    }
}

impl AccessWrite for SqliteTx<'_> {
    fn insert_user(&mut self, user: &User) -> Result<i64> {
        self.conn
            .prepare_cached(
                "INSERT INTO app_user (email, name, role, language, password_hash, \
                 account_manager_id, disabled, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                user.email,
                user.name,
                user.role,
                user.language.as_str(),
                user.password_hash,
                user.account_manager.map(|m| m.0),
                user.disabled as i64,
                user.created_at
            ])?;
        Ok(self.conn.last_insert_rowid())
    }

    fn lock_administrators(&mut self) -> Result<()> {
        // Writers run one at a time (`BEGIN IMMEDIATE`): nothing to hold.
        Ok(())
    }

    fn update_user(&mut self, id: i64, user: &User) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE app_user SET email = ?2, name = ?3, role = ?4, language = ?5, \
                 password_hash = ?6, account_manager_id = ?7, disabled = ?8 WHERE id = ?1",
            )?
            .execute(params![
                id,
                user.email,
                user.name,
                user.role,
                user.language.as_str(),
                user.password_hash,
                user.account_manager.map(|m| m.0),
                user.disabled as i64
            ])?;
        Ok(())
    }

    fn insert_session(&mut self, token_hash: &str, session: &Session) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO session (token_hash, user_id, csrf, created_at, expires_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                token_hash,
                session.user,
                session.csrf,
                session.created_at,
                session.expires_at
            ])?;
        Ok(())
    }

    fn delete_session(&mut self, token_hash: &str) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM session WHERE token_hash = ?1")?
            .execute([token_hash])?;
        Ok(())
    }

    fn delete_expired_sessions(&mut self, now: i64) -> Result<u64> {
        Ok(self
            .conn
            .prepare_cached("DELETE FROM session WHERE expires_at < ?1")?
            .execute([now])? as u64)
    }

    fn insert_api_token(
        &mut self,
        token_hash: &str,
        user: i64,
        name: &str,
        created_at: i64,
    ) -> Result<i64> {
        self.conn
            .prepare_cached(
                "INSERT INTO api_token (token_hash, user_id, name, created_at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![token_hash, user, name, created_at])?;
        Ok(self.conn.last_insert_rowid())
    }

    fn put_secret_if_absent(&mut self, name: &str, value: &str) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO server_secret (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
            )?
            .execute([name, value])?;
        Ok(())
    }

    fn insert_quiz_answer(&mut self, answer: &QuizAnswer) -> Result<i64> {
        self.conn
            .prepare_cached(
                "INSERT INTO quiz_answer (user_email, answered_on, customer_id, amount_minor, \
                 terms_days, answer, verdict, rule) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                answer.user,
                answer.answered_on.days_since_epoch(),
                answer.customer.0,
                answer.amount_minor,
                answer.terms_days,
                answer.answer,
                answer.verdict,
                answer.rule,
            ])?;
        Ok(self.conn.last_insert_rowid())
    }

    fn insert_audit(&mut self, entry: &AuditEntry) -> Result<i64> {
        self.conn
            .prepare_cached(
                "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                entry.at,
                entry.actor,
                entry.action,
                entry.subject,
                entry.detail
            ])?;
        Ok(self.conn.last_insert_rowid())
    }

    fn insert_pause_request(&mut self, request: &PauseRequest) -> Result<i64> {
        self.conn
            .prepare_cached(
                "INSERT INTO pause_request (customer_id, requested_by, requested_on, until, reason, \
                 status, decided_by, decided_on) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                request.customer.0,
                request.requested_by,
                request.requested_on.days_since_epoch(),
                request.until.days_since_epoch(),
                request.reason,
                request.status,
                request.decided_by,
                request.decided_on.map(|d| d.days_since_epoch())
            ])?;
        Ok(self.conn.last_insert_rowid())
    }

    fn decide_pause_request(&mut self, id: i64, status: &str, by: &str, on: Date) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE pause_request SET status = ?2, decided_by = ?3, decided_on = ?4 WHERE id = ?1",
            )?
            .execute(params![id, status, by, on.days_since_epoch()])?;
        Ok(())
    }

    fn insert_portal_token(&mut self, token: &tegoed_store::PortalToken) -> Result<()> {
        self.add_portal_token(token)
    }

    fn revoke_portal_tokens(&mut self, customer: CustomerId, on: Date) -> Result<u64> {
        self.revoke_tokens_of(customer, on)
    }
}
