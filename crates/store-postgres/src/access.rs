//! [`AccessRead`] and [`AccessWrite`] for PostgreSQL: users, sessions, API
//! tokens, the audit log, pause requests and shared secrets.

use postgres::Row;
use tegoed_core::{AccountManagerId, CustomerId, Date, Language};
use tegoed_store::Result;
use tegoed_store::access::{
    AccessRead, AccessWrite, AuditEntry, PauseRequest, QuizAnswer, Session, StoredPauseRequest,
    StoredQuizAnswer, StoredUser, User,
};

const QUIZ_COLUMNS: &str = "id, user_email, answered_on, customer_id, amount_minor, terms_days, \
     answer, verdict, rule";

fn quiz_row(row: &Row) -> Result<StoredQuizAnswer> {
    let terms: i64 = get(row, 5)?;
    Ok(StoredQuizAnswer {
        id: get(row, 0)?,
        answer: QuizAnswer {
            user: get(row, 1)?,
            answered_on: get::<Day>(row, 2)?.0,
            customer: CustomerId(get(row, 3)?),
            amount_minor: get(row, 4)?,
            terms_days: i32::try_from(terms).map_err(|_| corrupt("quiz terms", terms))?,
            answer: get(row, 6)?,
            verdict: get(row, 7)?,
            rule: get(row, 8)?,
        },
    })
}

use crate::types::{Day, day, opt_day};
use crate::{PgTx, corrupt, get};

const USER_COLUMNS: &str =
    "id, email, name, role, language, password_hash, account_manager_id, disabled, created_at";

fn user_row(row: &Row) -> Result<StoredUser> {
    let language: &str = get(row, 4)?;
    Ok(StoredUser {
        id: get(row, 0)?,
        user: User {
            email: get(row, 1)?,
            name: get(row, 2)?,
            role: get(row, 3)?,
            language: Language::parse(language).ok_or_else(|| corrupt("language", language))?,
            password_hash: get(row, 5)?,
            account_manager: get::<Option<i64>>(row, 6)?.map(AccountManagerId),
            disabled: get(row, 7)?,
            created_at: get(row, 8)?,
        },
    })
}

const REQUEST_COLUMNS: &str = "id, customer_id, requested_by, requested_on, until, reason, status, \
                               decided_by, decided_on";

fn request_row(row: &Row) -> Result<StoredPauseRequest> {
    Ok(StoredPauseRequest {
        id: get(row, 0)?,
        request: PauseRequest {
            customer: CustomerId(get(row, 1)?),
            requested_by: get(row, 2)?,
            requested_on: get::<Day>(row, 3)?.0,
            until: get::<Day>(row, 4)?.0,
            reason: get(row, 5)?,
            status: get(row, 6)?,
            decided_by: get(row, 7)?,
            decided_on: get::<Option<Day>>(row, 8)?.map(|d| d.0),
        },
    })
}

impl AccessRead for PgTx<'_> {
    fn user(&mut self, id: i64) -> Result<Option<StoredUser>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM app_user WHERE id = $1");
        self.query_opt(&sql, &[&id])?
            .map(|row| user_row(&row))
            .transpose()
    }

    fn user_by_email(&mut self, email: &str) -> Result<Option<StoredUser>> {
        // ASCII case folding, as SQLite's lower(); the expression index
        // app_user_email serves it.
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM app_user \
             WHERE lower(email COLLATE \"C\") = lower($1::text COLLATE \"C\") ORDER BY id LIMIT 1"
        );
        self.query_opt(&sql, &[&email.trim()])?
            .map(|row| user_row(&row))
            .transpose()
    }

    fn users(&mut self) -> Result<Vec<StoredUser>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM app_user ORDER BY id");
        self.query(&sql, &[])?.iter().map(user_row).collect()
    }

    fn session(&mut self, token_hash: &str) -> Result<Option<Session>> {
        let Some(row) = self.query_opt(
            "SELECT user_id, csrf, created_at, expires_at FROM session WHERE token_hash = $1",
            &[&token_hash],
        )?
        else {
            return Ok(None);
        };
        Ok(Some(Session {
            user: get(&row, 0)?,
            csrf: get(&row, 1)?,
            created_at: get(&row, 2)?,
            expires_at: get(&row, 3)?,
        }))
    }

    fn api_token_user(&mut self, token_hash: &str) -> Result<Option<i64>> {
        self.query_opt(
            "SELECT user_id FROM api_token WHERE token_hash = $1",
            &[&token_hash],
        )?
        .map(|row| get(&row, 0))
        .transpose()
    }

    fn audit_log(&mut self, limit: u32) -> Result<Vec<AuditEntry>> {
        self.query(
            "SELECT at, actor, action, subject, detail FROM audit_log ORDER BY id DESC LIMIT $1",
            &[&i64::from(limit)],
        )?
        .iter()
        .map(|row| {
            Ok(AuditEntry {
                at: get(row, 0)?,
                actor: get(row, 1)?,
                action: get(row, 2)?,
                subject: get(row, 3)?,
                detail: get(row, 4)?,
            })
        })
        .collect()
    }

    fn pause_request(&mut self, id: i64) -> Result<Option<StoredPauseRequest>> {
        let sql = format!("SELECT {REQUEST_COLUMNS} FROM pause_request WHERE id = $1");
        self.query_opt(&sql, &[&id])?
            .map(|row| request_row(&row))
            .transpose()
    }

    fn pause_requests(
        &mut self,
        customer: Option<CustomerId>,
        pending_only: bool,
    ) -> Result<Vec<StoredPauseRequest>> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM pause_request \
             WHERE ($1::bigint IS NULL OR customer_id = $1) \
             AND (NOT $2::boolean OR status = 'pending') ORDER BY id"
        );
        self.query(&sql, &[&customer.map(|c| c.0), &pending_only])?
            .iter()
            .map(request_row)
            .collect()
    }

    fn quiz_answers(&mut self, from: Date) -> Result<Vec<StoredQuizAnswer>> {
        self.query(
            &format!(
                "SELECT {QUIZ_COLUMNS} FROM quiz_answer WHERE answered_on >= $1 \
                 ORDER BY answered_on, id"
            ),
            &[&day(from)],
        )?
        .iter()
        .map(quiz_row)
        .collect()
    }

    fn quiz_answer(&mut self, id: i64) -> Result<Option<StoredQuizAnswer>> {
        self.query_opt(
            &format!("SELECT {QUIZ_COLUMNS} FROM quiz_answer WHERE id = $1"),
            &[&id],
        )?
        .as_ref()
        .map(quiz_row)
        .transpose()
    }

    fn secret(&mut self, name: &str) -> Result<Option<String>> {
        self.query_opt("SELECT value FROM server_secret WHERE name = $1", &[&name])?
            .map(|row| get(&row, 0))
            .transpose()
    }

    fn portal_token(&mut self, hash: &str) -> Result<Option<tegoed_store::PortalToken>> {
        self.portal_token_by_hash(hash)
    }
}

impl AccessWrite for PgTx<'_> {
    fn insert_user(&mut self, user: &User) -> Result<i64> {
        get(
            &self.query_one(
                "INSERT INTO app_user (email, name, role, language, password_hash, \
                 account_manager_id, disabled, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                &[
                    &user.email,
                    &user.name,
                    &user.role,
                    &user.language.as_str(),
                    &user.password_hash,
                    &user.account_manager.map(|m| m.0),
                    &user.disabled,
                    &user.created_at,
                ],
            )?,
            0,
        )
    }

    fn lock_administrators(&mut self) -> Result<()> {
        // READ COMMITTED: the statements after this one see what the
        // transaction that held the rows committed.
        self.execute(
            "SELECT id FROM app_user WHERE role = 'admin' ORDER BY id FOR UPDATE",
            &[],
        )
        .map(drop)
    }

    fn update_user(&mut self, id: i64, user: &User) -> Result<()> {
        self.execute(
            "UPDATE app_user SET email = $2, name = $3, role = $4, language = $5, \
             password_hash = $6, account_manager_id = $7, disabled = $8 WHERE id = $1",
            &[
                &id,
                &user.email,
                &user.name,
                &user.role,
                &user.language.as_str(),
                &user.password_hash,
                &user.account_manager.map(|m| m.0),
                &user.disabled,
            ],
        )?;
        Ok(())
    }

    fn insert_session(&mut self, token_hash: &str, session: &Session) -> Result<()> {
        self.execute(
            "INSERT INTO session (token_hash, user_id, csrf, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &token_hash,
                &session.user,
                &session.csrf,
                &session.created_at,
                &session.expires_at,
            ],
        )?;
        Ok(())
    }

    fn delete_session(&mut self, token_hash: &str) -> Result<()> {
        self.execute("DELETE FROM session WHERE token_hash = $1", &[&token_hash])?;
        Ok(())
    }

    fn delete_expired_sessions(&mut self, now: i64) -> Result<u64> {
        self.execute("DELETE FROM session WHERE expires_at < $1", &[&now])
    }

    fn insert_api_token(
        &mut self,
        token_hash: &str,
        user: i64,
        name: &str,
        created_at: i64,
    ) -> Result<i64> {
        get(
            &self.query_one(
                "INSERT INTO api_token (token_hash, user_id, name, created_at) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
                &[&token_hash, &user, &name, &created_at],
            )?,
            0,
        )
    }

    fn insert_quiz_answer(&mut self, answer: &QuizAnswer) -> Result<i64> {
        get(
            &self.query_one(
                "INSERT INTO quiz_answer (user_email, answered_on, customer_id, amount_minor, \
                 terms_days, answer, verdict, rule) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 RETURNING id",
                &[
                    &answer.user,
                    &day(answer.answered_on),
                    &answer.customer.0,
                    &answer.amount_minor,
                    &i64::from(answer.terms_days),
                    &answer.answer,
                    &answer.verdict,
                    &answer.rule,
                ],
            )?,
            0,
        )
    }

    fn insert_audit(&mut self, entry: &AuditEntry) -> Result<i64> {
        get(
            &self.query_one(
                "INSERT INTO audit_log (at, actor, action, subject, detail) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[
                    &entry.at,
                    &entry.actor,
                    &entry.action,
                    &entry.subject,
                    &entry.detail,
                ],
            )?,
            0,
        )
    }

    fn insert_pause_request(&mut self, request: &PauseRequest) -> Result<i64> {
        get(
            &self.query_one(
                "INSERT INTO pause_request (customer_id, requested_by, requested_on, until, reason, \
                 status, decided_by, decided_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                &[
                    &request.customer.0,
                    &request.requested_by,
                    &day(request.requested_on),
                    &day(request.until),
                    &request.reason,
                    &request.status,
                    &request.decided_by,
                    &opt_day(request.decided_on),
                ],
            )?,
            0,
        )
    }

    fn decide_pause_request(&mut self, id: i64, status: &str, by: &str, on: Date) -> Result<()> {
        self.execute(
            "UPDATE pause_request SET status = $2, decided_by = $3, decided_on = $4 WHERE id = $1",
            &[&id, &status, &by, &day(on)],
        )?;
        Ok(())
    }

    fn put_secret_if_absent(&mut self, name: &str, value: &str) -> Result<()> {
        self.execute(
            "INSERT INTO server_secret (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            &[&name, &value],
        )?;
        Ok(())
    }

    fn insert_portal_token(&mut self, token: &tegoed_store::PortalToken) -> Result<()> {
        self.add_portal_token(token)
    }

    fn revoke_portal_tokens(&mut self, customer: CustomerId, on: Date) -> Result<u64> {
        self.revoke_tokens_of(customer, on)
    }
}
