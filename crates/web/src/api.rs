//! The JSON API under `/api/v1`: the same use cases as the pages, for
//! integrations (a CRM's "check this deal" button, a BI tool). Requests
//! carry `Authorization: Bearer TOKEN` (`tegoed user token`); the token's
//! user and role decide what is allowed, as on the pages. Errors are
//! `{"error": {"code", "message"}}` with a stable `code`. The routes are
//! one table ([`ROUTES`]) that both the router and the check against the
//! OpenAPI document (`openapi.json`, served at `/api/v1/openapi.json`) read.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::on;
use serde_json::{Value, json};
use tegoed_app::access::{self, Action, Principal};
use tegoed_app::facts::CustomerLedger;
use tegoed_app::policy::{CheckRequest, Checker, Subject};
use tegoed_app::{agreements, appreciation, reports, review, risk, segments};
use tegoed_core::customer::CustomerKind;
use tegoed_core::{Currency, Language, Money};

use crate::auth::{self, Fail, require};
use crate::{AppState, blocking};

type S = Arc<AppState>;
type Params = HashMap<String, String>;

/// What a handler gets: the user, path and query parameters, the JSON body.
pub struct Call<'a> {
    pub user: &'a Principal,
    pub path: &'a Params,
    pub query: &'a Params,
    pub body: Option<Value>,
}

/// A status and the JSON body, serialized once.
type Reply = (StatusCode, Vec<u8>);

type Handler = fn(&S, Call<'_>) -> Result<Reply, Fail>;

/// Every API route: method, path (axum syntax, as in the OpenAPI document),
/// handler.
pub const ROUTES: &[(&str, &str, Handler)] = &[
    ("GET", "/api/v1/customers", customers),
    ("GET", "/api/v1/customers/{number}", customer),
    ("GET", "/api/v1/customers/{number}/timeline", timeline),
    ("POST", "/api/v1/customers/{number}/notes", add_note),
    ("GET", "/api/v1/invoices/{number}", invoice),
    ("GET", "/api/v1/payments/unmatched", unmatched),
    ("POST", "/api/v1/payments/{id}/match", match_payment),
    ("POST", "/api/v1/payments/{id}/undo", undo_payment),
    ("POST", "/api/v1/check", check),
    ("GET", "/api/v1/dunning/preview", dunning_preview),
    ("GET", "/api/v1/tasks", tasks),
    ("POST", "/api/v1/tasks/{id}/done", task_done),
    ("GET", "/api/v1/appreciation", appreciation_list),
    (
        "POST",
        "/api/v1/appreciation/{id}/thank",
        appreciation_thank,
    ),
    ("POST", "/api/v1/appreciation/{id}/gift", appreciation_gift),
    (
        "POST",
        "/api/v1/appreciation/{id}/dismiss",
        appreciation_dismiss,
    ),
    ("GET", "/api/v1/gifts", gifts),
    ("POST", "/api/v1/gifts/{id}/approve", gift_approve),
    ("POST", "/api/v1/gifts/{id}/refuse", gift_refuse),
];

pub const OPENAPI: &str = include_str!("../openapi.json");

pub fn routes() -> Router<S> {
    let mut router = Router::new().route(
        "/api/v1/openapi.json",
        axum::routing::get(|| async {
            ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
        }),
    );
    for &(method, path, handler) in ROUTES {
        let filter = match method {
            "GET" => axum::routing::MethodFilter::GET,
            _ => axum::routing::MethodFilter::POST,
        };
        router = router.route(
            path,
            on(
                filter,
                move |state: State<S>,
                      ConnectInfo(client): ConnectInfo<std::net::SocketAddr>,
                      headers: HeaderMap,
                      path: Option<Path<Params>>,
                      query: Query<Params>,
                      body: Bytes| {
                    dispatch(state, client, headers, path, query, body, handler)
                },
            ),
        );
    }
    router.fallback(|method: Method, uri: axum::http::Uri| async move {
        if uri.path().starts_with("/api/") {
            Fail::NotFound(format!("no route {method} {}", uri.path())).api()
        } else {
            StatusCode::NOT_FOUND.into_response()
        }
    })
}

async fn dispatch(
    State(state): State<S>,
    client: std::net::SocketAddr,
    headers: HeaderMap,
    path: Option<Path<Params>>,
    Query(query): Query<Params>,
    body: Bytes,
    handler: Handler,
) -> Response {
    let path = path.map(|p| p.0).unwrap_or_default();
    blocking(state.clone(), move || {
        let run = || -> Result<Reply, Fail> {
            let user = auth::api_user(&state, &headers, &auth::client_of(&headers, &client))?;
            let body: Option<Value> = if body.is_empty() {
                None
            } else {
                Some(
                    serde_json::from_slice(&body)
                        .map_err(|e| Fail::Invalid(format!("the body is not valid JSON: {e}")))?,
                )
            };
            handler(
                &state,
                Call {
                    user: &user,
                    path: &path,
                    query: &query,
                    body,
                },
            )
        };
        match run() {
            Ok((status, body)) => {
                (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
            }
            Err(fail) => fail.api(),
        }
    })
    .await
}

fn internal(e: impl std::fmt::Display) -> Fail {
    Fail::Internal(e.to_string())
}

fn ok(value: impl serde::Serialize) -> Result<Reply, Fail> {
    Ok((
        StatusCode::OK,
        serde_json::to_vec(&value).map_err(internal)?,
    ))
}

/// A path parameter (a customer or invoice number, a payment or task id).
/// None holds a NUL character, so one with it names nothing.
fn param<'a>(params: &'a Params, name: &str) -> Result<&'a str, Fail> {
    let value = params
        .get(name)
        .map(String::as_str)
        .ok_or_else(|| Fail::Invalid(format!("'{name}' is missing")))?;
    if value.contains('\0') {
        return Err(Fail::NotFound(format!("no {name} with a NUL character")));
    }
    Ok(value)
}

// --- input, checked exactly as the OpenAPI document describes it ---------

/// Text the document describes as `pattern: "^[^\\u0000]*\\S[^\\u0000]*$"`:
/// something besides spaces, and no NUL character (no text Tegoed keeps
/// may hold one).
fn text_ok(name: &str, text: &str) -> Result<(), Fail> {
    if text.contains('\0') {
        return Err(Fail::Invalid(format!("'{name}' contains a NUL character")));
    }
    if text.trim().is_empty() {
        return Err(Fail::Invalid(format!("'{name}' is empty")));
    }
    Ok(())
}
//
// What the document allows the server accepts, and what it forbids the
// server refuses with 422: the schema-based fuzzer test holds the two
// together (`tests/schemathesis.rs`).

/// The longest note or call outcome (`maxLength` in the document).
const MAX_TEXT: usize = 4000;

/// A text field of the body: a string with something besides spaces and
/// no NUL character, at most [`MAX_TEXT`] characters (`minLength: 1`,
/// `pattern: "^[^\\u0000]*\\S[^\\u0000]*$"`).
fn body_str<'a>(body: &'a Option<Value>, name: &str) -> Result<&'a str, Fail> {
    let text = body
        .as_ref()
        .and_then(|b| b.get(name))
        .and_then(Value::as_str)
        .ok_or_else(|| Fail::Invalid(format!("the body needs a string '{name}'")))?;
    text_ok(name, text)?;
    if text.chars().count() > MAX_TEXT {
        return Err(Fail::Invalid(format!(
            "'{name}' is longer than {MAX_TEXT} characters"
        )));
    }
    Ok(text.trim())
}

/// An optional whole-number query parameter within `min..=max`.
fn query_int(query: &Params, name: &str, min: i64, max: i64) -> Result<Option<i64>, Fail> {
    let Some(text) = query.get(name) else {
        return Ok(None);
    };
    match text.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(Fail::Invalid(format!(
            "'{name}' ({text}): a whole number from {min} to {max}"
        ))),
    }
}

/// An optional query parameter that must be one of `choices`.
fn query_choice<'a>(
    query: &'a Params,
    name: &str,
    choices: &[&str],
) -> Result<Option<&'a str>, Fail> {
    match query.get(name).map(String::as_str) {
        None => Ok(None),
        Some(value) if choices.contains(&value) => Ok(Some(value)),
        Some(value) => Err(Fail::Invalid(format!(
            "'{name}' ({value}): one of {}",
            choices.join(", ")
        ))),
    }
}

/// A number of days from 0 to 365 written as a whole number (`30` or
/// `30.0`).
fn whole_days(n: &serde_json::Number) -> Option<u64> {
    match n.as_u64() {
        Some(days) => Some(days),
        None => n
            .as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= 365.0)
            .map(|f| f as u64),
    }
    .filter(|days| *days <= 365)
}

/// A deal amount: a decimal string `1234.56` or a JSON number, more than
/// zero and below one billion, at most two decimals.
fn deal_amount(value: &Value) -> Result<Money, Fail> {
    let bad = || {
        Fail::Invalid(
            "'amount': a positive amount in euros below 1000000000, such as \"5000\" or \"1234.56\""
                .into(),
        )
    };
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Err(bad()),
    };
    // As the document's pattern: 1–9 digits without a leading zero, then
    // optionally a point and one or two digits (a number may end in ".0").
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let plain = !int.is_empty()
        && int.len() <= 9
        && !int.starts_with('0')
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= 2
        && frac.bytes().all(|b| b.is_ascii_digit())
        && (frac.is_empty() != text.contains('.'));
    if !plain {
        return Err(bad());
    }
    tegoed_core::money::parse_amount(&text, 2)
        .map(|minor| Money::new(minor, Currency::EUR))
        .map_err(|_| bad())
}

fn customers(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    require(call.user, Action::View, None)?;
    let book = state
        .cache
        .portfolio(state, false)
        .map_err(Fail::Internal)?;
    let filter = crate::listing::customer_filter(&state.live().config, call.query);
    let limit = query_int(call.query, "limit", 1, 1000)?.unwrap_or(50) as usize;
    let offset = query_int(call.query, "offset", 0, i64::from(u32::MAX))?.unwrap_or(0) as usize;
    query_int(call.query, "account_manager", 0, i64::MAX)?;
    query_choice(call.query, "risk", &["A", "B", "C", "D", "E"])?;
    let (total, rows) = book.search(&filter, offset, limit);
    let live = state.live();
    let list: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "number": r.number, "name": r.name, "kind": r.kind,
                "segment": live.config.segments.get(r.segment).map(|s| s.id.as_str()),
                "risk_class": r.risk_class.map(String::from),
                "open": decimal(r.open_minor), "overdue": decimal(r.overdue_minor),
                "max_days_overdue": r.max_days_overdue, "on_hold": r.on_hold, "paused": r.paused,
                "handed_off": r.handed_off, "in_plan": r.in_plan,
            })
        })
        .collect();
    ok(
        json!({"as_of": book.as_of.to_string(), "total": total, "offset": offset, "limit": limit, "customers": list}),
    )
}

fn decimal(minor: i64) -> String {
    tegoed_core::Money::eur(minor).to_decimal_string()
}

fn language(call: &Call<'_>) -> Result<Language, Fail> {
    Ok(query_choice(call.query, "lang", &["nl", "en"])?
        .and_then(Language::parse)
        .unwrap_or(call.user.language))
}

fn customer(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    require(call.user, Action::View, None)?;
    let number = param(call.path, "number")?;
    let as_of = state.as_of();
    let live = state.live();
    let language = language(&call)?;
    let (statement, why, risk, collection) = state.read(|tx| {
        let ledger = CustomerLedger::load(tx, number, as_of)?;
        let statement = reports::statement(tx, &ledger, as_of)?;
        let model = risk::load_model(tx)?;
        let risk = risk::show(
            tx,
            &live.config,
            model.as_ref(),
            &ledger.stored,
            &ledger.rows,
            as_of,
            language,
        )?;
        let why = segments::explain(
            tx,
            &live.config,
            &ledger.stored,
            &ledger.rows,
            Some(risk.score.class),
            as_of,
        )?;
        Ok((statement, why, risk, agreements::state_of(tx, number)?))
    })?;
    ok(json!({
        "customer": statement,
        "segment": {"id": why.segment, "name_nl": why.segment_name_nl, "name_en": why.segment_name_en, "strategy": why.strategy},
        "risk": risk,
        "collection": collection,
    }))
}

fn timeline(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    require(call.user, Action::View, None)?;
    let number = param(call.path, "number")?;
    let (as_of, language) = (state.as_of(), language(&call)?);
    let entries = state.read(|tx| {
        let ledger = CustomerLedger::load(tx, number, as_of)?;
        agreements::timeline(tx, &ledger, as_of, language)
    })?;
    ok(json!({"customer": number, "entries": entries}))
}

fn add_note(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    let number = param(call.path, "number")?;
    let text = body_str(&call.body, "text")?;
    let as_of = state.as_of();
    let entry = state.write(|tx| agreements::add_note(tx, &actor(&call), number, text, as_of))?;
    Ok((
        StatusCode::CREATED,
        serde_json::to_vec(&entry).map_err(internal)?,
    ))
}

fn invoice(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    require(call.user, Action::View, None)?;
    let number = param(call.path, "number")?;
    let as_of = state.as_of();
    ok(state.read(|tx| reports::invoice(tx, number, as_of))?)
}

fn unmatched(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    require(call.user, Action::Collect, None)?;
    let list = state.read(review::unmatched)?;
    ok(json!({"total": list.len(), "payments": list}))
}

/// Takes a person's match or assignment back (the payment returns to the
/// review queue).
fn undo_payment(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    require(call.user, Action::Collect, None)?;
    let id = param(call.path, "id")?;
    let as_of = state.as_of();
    let outcome = state.write(|tx| review::unmatch_payment(tx, &actor(&call), id, as_of))?;
    ok(outcome)
}

fn match_payment(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    require(call.user, Action::Collect, None)?;
    let id = param(call.path, "id")?;
    let invoices: Vec<String> = call
        .body
        .as_ref()
        .and_then(|b| b.get("invoices"))
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .and_then(|a| {
            a.iter()
                .map(|v| {
                    v.as_str()
                        .filter(|s| text_ok("invoices", s).is_ok())
                        .map(str::to_string)
                })
                .collect::<Option<Vec<String>>>()
        })
        .ok_or_else(|| Fail::Invalid("'invoices': a list of one or more invoice numbers".into()))?;
    let outcome = state.write(|tx| review::match_payment(tx, &actor(&call), id, &invoices))?;
    ok(outcome)
}

fn check(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    require(call.user, Action::View, None)?;
    let body = call
        .body
        .as_ref()
        .filter(|b| b.is_object())
        .ok_or_else(|| {
            Fail::Invalid("the body needs 'amount' and 'customer' or 'prospect'".into())
        })?;
    let amount = body
        .get("amount")
        .ok_or_else(|| Fail::Invalid("'amount' is missing".into()))?;
    let amount = deal_amount(amount)?;
    let terms_days = match body.get("terms") {
        None => None,
        // JSON Schema counts 30.0 as an integer too.
        Some(Value::Number(n)) if whole_days(n).is_some() => {
            whole_days(n).and_then(|d| i32::try_from(d).ok())
        }
        Some(_) => {
            return Err(Fail::Invalid(
                "'terms': a whole number of days from 0 to 365".into(),
            ));
        }
    };
    let string = |value: &Value, name: &str| -> Result<String, Fail> {
        let text = value
            .as_str()
            .ok_or_else(|| Fail::Invalid(format!("'{name}': a text that is not empty")))?;
        text_ok(name, text)?;
        Ok(text.trim().to_string())
    };
    let subject = match (body.get("customer"), body.get("prospect")) {
        (Some(customer), None) => Subject::Customer(string(customer, "customer")?),
        (None, Some(prospect)) if prospect.is_object() => {
            let name = prospect
                .get("name")
                .ok_or_else(|| Fail::Invalid("'prospect.name' is missing".into()))?;
            let name = string(name, "prospect.name")?;
            let kvk = match prospect.get("kvk") {
                None => None,
                Some(kvk) => Some(
                    kvk.as_str()
                        .filter(|k| k.len() == 8 && k.bytes().all(|b| b.is_ascii_digit()))
                        .map(str::to_string)
                        .ok_or_else(|| {
                            Fail::Invalid("'prospect.kvk': a KvK number of 8 digits".into())
                        })?,
                ),
            };
            let industry = match prospect.get("industry") {
                None => None,
                Some(industry) => {
                    let code = industry.as_str().unwrap_or("");
                    let sbi = tegoed_core::party::SbiCode::parse(code)
                        .ok()
                        .filter(|_| code.len() >= 2 && code.bytes().all(|b| b.is_ascii_digit()))
                        .ok_or_else(|| {
                            Fail::Invalid(format!(
                                "'prospect.industry' ({industry}): an SBI code of 2 to 5 digits"
                            ))
                        })?;
                    Some(sbi)
                }
            };
            let kind = match prospect.get("kind").map(|k| k.as_str()) {
                None | Some(Some("b2b")) => CustomerKind::B2b,
                Some(Some("b2c")) => CustomerKind::B2c,
                Some(_) => return Err(Fail::Invalid("'prospect.kind': b2b or b2c".into())),
            };
            Subject::Prospect {
                name,
                kvk,
                industry,
                kind,
            }
        }
        _ => {
            return Err(Fail::Invalid(
                "the body needs either 'customer' (a customer number) or 'prospect' (an object), not both"
                    .into(),
            ));
        }
    };
    let lang = match body.get("lang") {
        None => call.user.language,
        Some(lang) => lang
            .as_str()
            .and_then(Language::parse)
            .ok_or_else(|| Fail::Invalid("'lang': nl or en".into()))?,
    };
    let request = CheckRequest {
        subject,
        amount,
        terms_days,
        language: lang,
    };
    let live = state.live();
    // The model comes with the cached book: loaded once, not per check.
    let book = state
        .cache
        .portfolio(state, false)
        .map_err(Fail::Internal)?;
    let checker = Checker::with_model(&live.config, book.model.clone());
    let as_of = state.as_of();
    ok(state.read(|tx| checker.check(tx, &request, as_of))?)
}

fn dunning_preview(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    require(call.user, Action::Collect, None)?;
    let preview = state.cache.preview(state, true).map_err(Fail::Internal)?;
    ok(&*preview)
}

fn tasks(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    require(call.user, Action::Collect, None)?;
    let all = query_choice(call.query, "all", &["true", "false"])? == Some("true");
    ok(json!({"tasks": state.read(|tx| agreements::tasks(tx, all))?}))
}

/// Collectors complete any call, account managers their own customers'
/// (the use case decides).
fn task_done(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    let id: i64 = param(call.path, "id")?
        .parse()
        .map_err(|_| Fail::NotFound("no such task".into()))?;
    let outcome = body_str(&call.body, "outcome")?;
    let as_of = state.as_of();
    ok(state.write(|tx| agreements::complete_task(tx, &actor(&call), id, outcome, as_of))?)
}

/// Open appreciation suggestions: a salesperson's own customers', or all.
fn appreciation_list(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    require(call.user, Action::View, None)?;
    state.raise_appreciation();
    let mine = match call.user.role {
        access::Role::Sales => match call.user.account_manager {
            Some(m) => Some(m),
            None => return ok(json!({"suggestions": []})),
        },
        _ => None,
    };
    let as_of = state.as_of();
    let list = state.read(|tx| appreciation::open_suggestions(tx, mine, as_of))?;
    ok(json!({ "suggestions": list }))
}

fn suggestion_id(call: &Call<'_>) -> Result<i64, Fail> {
    param(call.path, "id")?
        .parse()
        .map_err(|_| Fail::NotFound("no such suggestion".into()))
}

/// Thanks the suggestion's customer (for all its open suggestions).
fn appreciation_thank(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    let id = suggestion_id(&call)?;
    let (number, _) = state.read(|tx| appreciation::customer_of(tx, id))?;
    let live = state.live();
    let done = appreciation::thank(
        state.store.as_ref(),
        &actor(&call),
        &live.config,
        &live.templates,
        &number,
        None,
        state.as_of(),
        crate::now,
    )?;
    state.cache.invalidate(state);
    Ok((
        StatusCode::CREATED,
        serde_json::to_vec(&done).map_err(internal)?,
    ))
}

fn appreciation_gift(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    let id = suggestion_id(&call)?;
    let item = body_str(&call.body, "item")?;
    let value = body_str(&call.body, "value")?;
    let (number, _) = state.read(|tx| appreciation::customer_of(tx, id))?;
    let live = state.live();
    let as_of = state.as_of();
    let logged = state.write(|tx| {
        appreciation::gift(
            tx,
            &actor(&call),
            &live.config,
            &number,
            &appreciation::NewGift {
                item,
                value,
                suggestion: Some(id),
            },
            as_of,
        )
    })?;
    Ok((
        StatusCode::CREATED,
        serde_json::to_vec(&logged).map_err(internal)?,
    ))
}

fn appreciation_dismiss(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    let id = suggestion_id(&call)?;
    let as_of = state.as_of();
    ok(state.write(|tx| appreciation::dismiss(tx, &actor(&call), id, as_of))?)
}

/// Gifts (a salesperson's own customers', or all) and the budgets this
/// quarter.
fn gifts(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    require(call.user, Action::View, None)?;
    let sales = call.user.role == access::Role::Sales;
    let mine = call.user.account_manager;
    let live = state.live();
    let as_of = state.as_of();
    let (gifts, budgets) = state.read(|tx| {
        Ok((
            appreciation::gifts(tx, None)?,
            appreciation::budgets(tx, &live.config, as_of)?,
        ))
    })?;
    let gifts: Vec<_> = gifts
        .into_iter()
        .filter(|g| !sales || (mine.is_some() && g.account_manager_id == mine))
        .collect();
    let budgets: Vec<_> = budgets
        .into_iter()
        .filter(|b| !sales || (mine.is_some() && b.account_manager_id == mine))
        .collect();
    ok(json!({"gifts": gifts, "budgets": budgets}))
}

fn gift_decision(state: &S, call: Call<'_>, approve: bool) -> Result<Reply, Fail> {
    let id: i64 = param(call.path, "id")?
        .parse()
        .map_err(|_| Fail::NotFound("no such gift".into()))?;
    let as_of = state.as_of();
    ok(state.write(|tx| appreciation::decide_gift(tx, &actor(&call), id, approve, as_of))?)
}

fn gift_approve(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    gift_decision(state, call, true)
}

fn gift_refuse(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    gift_decision(state, call, false)
}

/// The caller as the actor of a change made now.
fn actor(call: &Call<'_>) -> access::Actor {
    access::Actor::user(call.user, crate::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every route is in the OpenAPI document and every documented
    /// operation is a route.
    #[test]
    fn routes_and_openapi_document_agree() {
        let doc: Value = serde_json::from_str(OPENAPI).expect("openapi.json parses");
        let mut documented: Vec<(String, String)> = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("operations").keys() {
                if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                    documented.push((method.to_uppercase(), path.clone()));
                }
            }
        }
        let mut served: Vec<(String, String)> = ROUTES
            .iter()
            .map(|(m, p, _)| (m.to_string(), p.to_string()))
            .collect();
        served.push(("GET".into(), "/api/v1/openapi.json".into()));
        documented.sort();
        served.sort();
        assert_eq!(documented, served);
    }
}
