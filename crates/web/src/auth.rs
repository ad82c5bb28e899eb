//! Sessions, CSRF tokens, API tokens, the login rate limit, and the errors
//! a request can end in (an HTML page or a JSON body with a stable `code`).

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use tegoed_app::AppError;
use tegoed_app::access::{self, Action, Principal};

use crate::AppState;

pub const SESSION_COOKIE: &str = "tegoed_session";
/// The double-submit token of the login form (there is no session yet).
pub const LOGIN_COOKIE: &str = "tegoed_login";

/// Why a request did not get what it asked for.
#[derive(Debug)]
pub enum Fail {
    /// No session: go to the login page, then back to `next`.
    Login(String),
    Unauthorized,
    Forbidden(String),
    NotFound(String),
    Invalid(String),
    /// A form field that could not be read (see [`crate::forms`]).
    Field(crate::forms::FieldError),
    /// A business rule refused the request ([`tegoed_app::refusal`]).
    Refused(tegoed_app::refusal::Refusal),
    Csrf,
    TooMany(i64),
    /// Someone else is doing this right now (a dunning run in progress).
    Conflict(String),
    /// The database is held by other work (a large import): try again.
    Busy,
    /// Something broke on the server: the cause is logged, the user sees a
    /// generic message.
    Internal(String),
}

/// Seconds a client is asked to wait when the database is busy.
pub const BUSY_RETRY_SECONDS: u64 = 10;

impl From<AppError> for Fail {
    fn from(e: AppError) -> Fail {
        match e {
            AppError::NotFound(m) => Fail::NotFound(m),
            AppError::Forbidden(m) => Fail::Forbidden(m),
            AppError::Busy(m) | AppError::Conflict(m) => Fail::Conflict(m),
            AppError::Store(s) => Fail::from(s),
            AppError::Refused(r) => Fail::Refused(r),
            other => Fail::Invalid(other.to_string()),
        }
    }
}

impl From<crate::forms::FieldError> for Fail {
    fn from(e: crate::forms::FieldError) -> Fail {
        Fail::Field(e)
    }
}

impl From<tegoed_store::StoreError> for Fail {
    fn from(e: tegoed_store::StoreError) -> Fail {
        match e {
            tegoed_store::StoreError::Busy => {
                tracing::info!("answered 503: the database is busy");
                Fail::Busy
            }
            // Two changes to the same thing at once (a unique key taken in
            // between): the database's words stay in the log.
            tegoed_store::StoreError::Conflict(cause) => {
                tracing::warn!(%cause, "answered 409: a concurrent change");
                Fail::Conflict(
                    "someone else changed this at the same moment; nothing of yours was saved. Reload the page and try again".into(),
                )
            }
            other => Fail::Internal(other.to_string()),
        }
    }
}

impl Fail {
    pub fn status(&self) -> StatusCode {
        match self {
            Fail::Login(_) => StatusCode::SEE_OTHER,
            Fail::Unauthorized => StatusCode::UNAUTHORIZED,
            Fail::Forbidden(_) | Fail::Csrf => StatusCode::FORBIDDEN,
            Fail::NotFound(_) => StatusCode::NOT_FOUND,
            Fail::Invalid(_) | Fail::Field(_) | Fail::Refused(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Fail::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            Fail::Conflict(_) => StatusCode::CONFLICT,
            Fail::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Fail::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code of the API.
    pub fn code(&self) -> &'static str {
        match self {
            Fail::Login(_) | Fail::Unauthorized => "unauthorized",
            Fail::Forbidden(_) => "forbidden",
            Fail::Csrf => "csrf",
            Fail::NotFound(_) => "not_found",
            Fail::Invalid(_) | Fail::Field(_) | Fail::Refused(_) => "invalid",
            Fail::TooMany(_) => "rate_limited",
            Fail::Conflict(_) => "conflict",
            Fail::Busy => "busy",
            Fail::Internal(_) => "internal",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Fail::Login(_) | Fail::Unauthorized => {
                "log in first (a session or an API token)".into()
            }
            Fail::Forbidden(m) | Fail::NotFound(m) | Fail::Invalid(m) | Fail::Conflict(m) => {
                m.clone()
            }
            Fail::Field(e) => e.message(tegoed_core::Language::En),
            Fail::Refused(r) => r.to_string(),
            Fail::Busy => format!(
                "Tegoed is busy with other work (an import or a dunning run); nothing was changed. Try again in {BUSY_RETRY_SECONDS} seconds"
            ),
            Fail::Internal(cause) => format!(
                "something went wrong on the server; it has been logged (reference {}). Try again, or ask your administrator",
                reference(cause)
            ),
            Fail::Csrf => {
                "the form is stale or did not come from this site; reload the page".into()
            }
            Fail::TooMany(s) => format!("too many failed attempts; try again in {s} seconds"),
        }
    }

    /// The JSON error of the API: `{"error": {"code", "message"}}`.
    pub fn api(self) -> Response {
        self.log();
        let body = serde_json::json!({"error": {"code": self.code(), "message": self.message()}});
        let mut response = (self.status(), axum::Json(body)).into_response();
        self.set_retry_after(response.headers_mut());
        response
    }

    /// Server-side causes go to the log, never to the user (who sees the
    /// reference to quote).
    pub fn log(&self) {
        if let Fail::Internal(cause) = self {
            tracing::error!(reference = %reference(cause), %cause, "internal error");
        }
    }

    /// `Retry-After` for answers that ask the client to wait.
    pub fn set_retry_after(&self, headers: &mut HeaderMap) {
        let seconds = match self {
            Fail::TooMany(s) => (*s).max(1) as u64,
            Fail::Busy => BUSY_RETRY_SECONDS,
            _ => return,
        };
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
}

/// A short reference for an internal error: the same cause gives the same
/// reference, so a user's report finds the log line.
fn reference(cause: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in cause.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", h >> 32)
}

/// Refuses input holding a NUL character: no text Tegoed keeps may hold
/// one (PostgreSQL cannot store it), so it is an error in the request, not
/// something to look up or save.
pub fn refuse_nul<'a>(
    fields: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> Result<(), Fail> {
    for (name, value) in fields {
        if name.contains('\0') || value.contains('\0') {
            return Err(Fail::Invalid(format!(
                "'{}' contains a NUL character",
                name.replace('\0', "\\0")
            )));
        }
    }
    Ok(())
}

pub fn forbidden() -> Fail {
    Fail::Forbidden("your role may not do this".into())
}

/// Requires `action`, for a customer owned by `owner` where it matters.
pub fn require(
    user: &Principal,
    action: Action,
    owner: Option<tegoed_core::AccountManagerId>,
) -> Result<(), Fail> {
    if user.may(action, owner) {
        Ok(())
    } else if user.role.may(action) {
        Err(Fail::Forbidden(
            "only for your own customers (ask their account manager or a collector)".into(),
        ))
    } else {
        Err(forbidden())
    }
}

pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .expect("cookie values are hex")
}

/// A logged-in page request.
pub struct Visit {
    pub user: Principal,
    pub csrf: String,
    pub token: String,
    /// The page being shown (path and query), for the forms on every page
    /// that come back to it (the language switch); none for a post.
    pub here: Option<String>,
    /// A form sent back with a mistake: the page shows it again with the
    /// message at that form and what was typed (set by the plumbing only,
    /// never from the request).
    pub form_error: Option<FormError>,
}

/// A form's mistake, for showing it at the form.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FormError {
    /// Which form (the action's name, e.g. `promise`).
    pub form: String,
    /// The field the mistake is about, when known.
    pub field: Option<String>,
    pub message: String,
    /// What was typed, to fill the form again.
    pub values: std::collections::HashMap<String, String>,
}

impl Visit {
    /// The user as the actor of a change made now.
    pub fn actor(&self) -> access::Actor {
        access::Actor::user(&self.user, crate::now())
    }
}

/// The session of a page request, or a redirect to the login page.
pub fn visit(state: &AppState, headers: &HeaderMap, path: &str) -> Result<Visit, Fail> {
    let Some(token) = cookie(headers, SESSION_COOKIE).filter(|t| !t.is_empty()) else {
        return Err(Fail::Login(path.to_string()));
    };
    match state.read(|tx| access::session(tx, token, crate::now()))? {
        Some((user, csrf)) => Ok(Visit {
            user,
            csrf,
            token: token.to_string(),
            here: None,
            form_error: None,
        }),
        None => Err(Fail::Login(path.to_string())),
    }
}

/// The user of an API request (`Authorization: Bearer TOKEN`). Wrong tokens
/// count against the client like failed logins: after twenty in fifteen
/// minutes it must wait (HTTP 429), so tokens cannot be guessed at speed.
pub fn api_user(state: &AppState, headers: &HeaderMap, client: &str) -> Result<Principal, Fail> {
    let now = crate::now();
    if let Some(wait) = state.limiter.token_blocked(client, now) {
        return Err(Fail::TooMany(wait));
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(Fail::Unauthorized)?;
    match state.read(|tx| access::token_principal(tx, token))? {
        Some(user) => Ok(user),
        None => {
            state.limiter.token_failed(client, now);
            Err(Fail::Unauthorized)
        }
    }
}

/// Compares in time independent of where the strings differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The form's CSRF field must equal the session's token.
pub fn check_csrf(form: &HashMap<String, String>, visit: &Visit) -> Result<(), Fail> {
    match form.get("csrf") {
        Some(token) if same(token, &visit.csrf) => Ok(()),
        _ => Err(Fail::Csrf),
    }
}

pub fn redirect_to_login(next: &str) -> Response {
    let target = if local_path(next) {
        format!("/login?next={}", encode(next))
    } else {
        "/login".into()
    };
    Redirect::to(&target).into_response()
}

/// A path on this site, safe to redirect to: it starts with one `/` and
/// holds only the characters a URL path and query may hold as they are.
///
/// Browsers normalise a `Location` before they follow it: they drop tabs and
/// line breaks anywhere, trim spaces and control characters, and read `\\`
/// as `/`. So `/\t/evil.example` becomes `//evil.example`, another site.
/// Rather than predict every normalisation, anything outside the plain set
/// (whitespace, control characters, backslashes, non-ASCII) is refused and
/// the caller falls back to `/`; such a value also could not be sent as a
/// header.
/// Percent-decoding of a query value (`+` is a space); invalid sequences
/// and bytes stay as they are.
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn local_path(path: &str) -> bool {
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%#".contains(&b);
    path.starts_with('/') && !path.starts_with("//") && path.bytes().all(plain)
}

/// Percent-encodes a query value.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Who is asking, for the rate limits: the connection's address, or —
/// when the connection comes from a proxy on this machine or the private
/// network (the HTTPS proxy in front of the server) — the address that
/// proxy put last in `X-Forwarded-For`. A client on the internet cannot
/// choose its own address this way: its header is ignored.
pub(crate) fn client_of(headers: &axum::http::HeaderMap, peer: &std::net::SocketAddr) -> String {
    let ip = peer.ip();
    let proxied = match ip {
        std::net::IpAddr::V4(v4) => v4.is_loopback() || v4.is_private(),
        std::net::IpAddr::V6(v6) => v6.is_loopback() || v6.is_unique_local(),
    };
    if proxied
        && let Some(forwarded) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .and_then(|v| v.parse::<std::net::IpAddr>().ok())
    {
        return forwarded.to_string();
    }
    ip.to_string()
}

/// Failed logins per e-mail address and per client address, in a sliding
/// window: five per address or twenty per client in fifteen minutes, then
/// wait.
#[derive(Default)]
pub struct Limiter {
    failures: Mutex<HashMap<String, Vec<i64>>>,
}

const WINDOW: i64 = 15 * 60;
const PER_EMAIL: usize = 5;
const PER_CLIENT: usize = 20;
/// Portal actions per client in the window.
const PORTAL_ACTIONS: usize = 30;

impl Limiter {
    /// Seconds to wait before another try, if any.
    pub fn blocked(&self, email: &str, client: &str, now: i64) -> Option<i64> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = None;
        for (key, max) in [
            (format!("e:{}", email.to_lowercase()), PER_EMAIL),
            (format!("c:{client}"), PER_CLIENT),
        ] {
            if let Some(times) = map.get_mut(&key) {
                times.retain(|t| now - t < WINDOW);
                if times.len() >= max {
                    let until = times[times.len() - max] + WINDOW;
                    wait = Some(wait.unwrap_or(0).max(until - now));
                }
            }
        }
        wait
    }

    pub fn failed(&self, email: &str, client: &str, now: i64) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, times| times.iter().any(|t| now - t < WINDOW));
        }
        for key in [format!("e:{}", email.to_lowercase()), format!("c:{client}")] {
            map.entry(key).or_default().push(now);
        }
    }

    /// Seconds a client must wait before presenting another API token, after
    /// [`PER_CLIENT`] wrong ones in the window.
    pub fn token_blocked(&self, client: &str, now: i64) -> Option<i64> {
        self.wait(&format!("t:{client}"), PER_CLIENT, now)
    }

    /// A wrong API token from `client`.
    pub fn token_failed(&self, client: &str, now: i64) {
        self.count(format!("t:{client}"), now);
    }

    /// Seconds a client must wait before trying another portal link, after
    /// [`PER_CLIENT`] links that opened nothing in the window.
    pub fn portal_blocked(&self, client: &str, now: i64) -> Option<i64> {
        self.wait(&format!("p:{client}"), PER_CLIENT, now)
    }

    /// A portal link from `client` that opened nothing.
    pub fn portal_failed(&self, client: &str, now: i64) {
        self.count(format!("p:{client}"), now);
    }

    /// Seconds a client must wait before another portal action, after
    /// [`PORTAL_ACTIONS`] in the window (a customer needs a handful).
    pub fn portal_acts_blocked(&self, client: &str, now: i64) -> Option<i64> {
        self.wait(&format!("a:{client}"), PORTAL_ACTIONS, now)
    }

    pub fn portal_acted(&self, client: &str, now: i64) {
        self.count(format!("a:{client}"), now);
    }

    fn wait(&self, key: &str, max: usize, now: i64) -> Option<i64> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let times = map.get_mut(key)?;
        times.retain(|t| now - t < WINDOW);
        (times.len() >= max).then(|| times[times.len() - max] + WINDOW - now)
    }

    fn count(&self, key: String, now: i64) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, times| times.iter().any(|t| now - t < WINDOW));
        }
        map.entry(key).or_default().push(now);
    }

    pub fn succeeded(&self, email: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&format!("e:{}", email.to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forwarded_client_counts_only_behind_a_proxy_of_our_own() {
        let headers = |value: &str| {
            let mut h = axum::http::HeaderMap::new();
            h.insert("x-forwarded-for", value.parse().unwrap());
            h
        };
        let peer = |ip: &str| std::net::SocketAddr::new(ip.parse().unwrap(), 5000);
        let forwarded = headers("1.1.1.1, 203.0.113.9");
        // From the proxy (loopback or private network): the address it added.
        assert_eq!(client_of(&forwarded, &peer("127.0.0.1")), "203.0.113.9");
        assert_eq!(client_of(&forwarded, &peer("10.0.0.2")), "203.0.113.9");
        assert_eq!(client_of(&forwarded, &peer("::1")), "203.0.113.9");
        // From the internet: the header is the client's own words, ignored.
        assert_eq!(client_of(&forwarded, &peer("198.51.100.4")), "198.51.100.4");
        // Not an address: the connection's.
        assert_eq!(
            client_of(&headers("nonsense"), &peer("127.0.0.1")),
            "127.0.0.1"
        );
        assert_eq!(
            client_of(&axum::http::HeaderMap::new(), &peer("127.0.0.1")),
            "127.0.0.1"
        );
    }

    #[test]
    fn five_failures_block_an_address_for_the_window() {
        let limiter = Limiter::default();
        for i in 0..5 {
            assert_eq!(limiter.blocked("a@x.nl", "1.2.3.4", 1000 + i), None);
            limiter.failed("a@x.nl", "1.2.3.4", 1000 + i);
        }
        assert_eq!(
            limiter.blocked("A@x.nl", "1.2.3.4", 1010),
            Some(WINDOW - 10)
        );
        assert_eq!(limiter.blocked("b@x.nl", "1.2.3.4", 1010), None);
        assert_eq!(
            limiter.blocked("a@x.nl", "1.2.3.4", 1000 + WINDOW + 5),
            None
        );
    }

    #[test]
    fn only_local_paths_are_redirect_targets() {
        assert!(local_path("/customers/C1?ok=1"));
        assert_eq!(
            decode("2026-0042%2C%202026-0043+x%"),
            "2026-0042, 2026-0043 x%"
        );
        assert_eq!(decode("%e2%82%ac%zz"), "€%zz");
        assert!(!local_path("//evil.example/"));
        assert!(!local_path("/\\evil.example/"));
        assert!(!local_path("https://evil.example/"));
        // Browsers drop tabs and line breaks: these become //evil.example.
        for sneaky in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/\x0b/evil.example",
            "/ /evil.example",
            "/\u{a0}/evil.example",
        ] {
            assert!(!local_path(sneaky), "{sneaky:?}");
        }
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; tegoed_session=abc; b=2"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "c"), None);
    }
}
