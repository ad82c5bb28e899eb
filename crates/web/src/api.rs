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
use tegoed_app::policy::Checker;
use tegoed_app::{agreements, reports, review, risk, segments};
use tegoed_core::Language;

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
    ("POST", "/api/v1/check", check),
    ("GET", "/api/v1/dunning/preview", dunning_preview),
    ("GET", "/api/v1/tasks", tasks),
    ("POST", "/api/v1/tasks/{id}/done", task_done),
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
            let user = auth::api_user(&state, &headers, &client.ip().to_string())?;
            let body = if body.is_empty() {
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

fn param<'a>(params: &'a Params, name: &str) -> Result<&'a str, Fail> {
    params
        .get(name)
        .map(String::as_str)
        .ok_or_else(|| Fail::Invalid(format!("'{name}' is missing")))
}

fn body_str<'a>(body: &'a Option<Value>, name: &str) -> Result<&'a str, Fail> {
    body.as_ref()
        .and_then(|b| b.get(name))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Fail::Invalid(format!("the body needs a string '{name}'")))
}

fn owner(state: &S, number: &str) -> Result<Option<tegoed_core::AccountManagerId>, Fail> {
    let mut tx = state.store.read().map_err(internal)?;
    Ok(tx
        .customer_by_number(number)
        .map_err(internal)?
        .ok_or_else(|| Fail::NotFound(format!("no customer with number '{number}'")))?
        .customer
        .account_manager)
}

fn customers(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    require(call.user, Action::View, None)?;
    let book = state
        .cache
        .portfolio(state, false)
        .map_err(Fail::Internal)?;
    let filter = crate::pages::parse_filter(state, call.query);
    let limit = call
        .query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(50usize)
        .clamp(1, 1000);
    let offset = call
        .query
        .get("offset")
        .and_then(|o| o.parse().ok())
        .unwrap_or(0usize);
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

fn language(call: &Call<'_>) -> Language {
    call.query
        .get("lang")
        .and_then(|l| Language::parse(l))
        .unwrap_or(call.user.language)
}

fn customer(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    require(call.user, Action::View, None)?;
    let number = param(call.path, "number")?;
    let store = state.store.as_ref();
    let as_of = state.as_of();
    let live = state.live();
    let statement = reports::statement(store, number, as_of)?;
    let why = segments::explain(store, &live.config, number, as_of)?;
    let risk = risk::show(store, &live.config, number, as_of, language(&call))?;
    let collection = agreements::state_of(store, number)?;
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
    let entries =
        agreements::timeline(state.store.as_ref(), number, state.as_of(), language(&call))?;
    ok(json!({"customer": number, "entries": entries}))
}

fn add_note(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    let number = param(call.path, "number")?;
    require(call.user, Action::Note, owner(state, number)?)?;
    let text = body_str(&call.body, "text")?;
    let entry = agreements::add_note(
        state.store.as_ref(),
        number,
        text,
        &call.user.email,
        state.as_of(),
    )?;
    access::record(
        state.store.as_ref(),
        &call.user.email,
        "note.add",
        number,
        text,
        crate::now(),
    )?;
    state.cache.invalidate(state);
    Ok((
        StatusCode::CREATED,
        serde_json::to_vec(&entry).map_err(internal)?,
    ))
}

fn invoice(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    require(call.user, Action::View, None)?;
    let number = param(call.path, "number")?;
    ok(reports::invoice(
        state.store.as_ref(),
        number,
        state.as_of(),
    )?)
}

fn unmatched(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    require(call.user, Action::Collect, None)?;
    let list = review::unmatched(state.store.as_ref())?;
    ok(json!({"total": list.len(), "payments": list}))
}

fn match_payment(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    require(call.user, Action::Collect, None)?;
    let id = param(call.path, "id")?;
    let invoices: Vec<String> = call
        .body
        .as_ref()
        .and_then(|b| b.get("invoices"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let outcome = review::match_payment(state.store.as_ref(), id, &invoices)?;
    access::record(
        state.store.as_ref(),
        &call.user.email,
        "payment.match",
        id,
        &invoices.join(","),
        crate::now(),
    )?;
    state.cache.invalidate(state);
    ok(outcome)
}

fn check(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    require(call.user, Action::View, None)?;
    let body = call.body.as_ref().ok_or_else(|| {
        Fail::Invalid("the body needs 'amount' and 'customer' or 'prospect'".into())
    })?;
    let mut form = Params::new();
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    for key in ["customer", "amount", "terms"] {
        if let Some(v) = body.get(key).and_then(text) {
            form.insert(key.into(), v);
        }
    }
    if let Some(prospect) = body.get("prospect") {
        form.insert("new".into(), "1".into());
        for key in ["name", "kvk", "industry", "kind"] {
            if let Some(v) = prospect.get(key).and_then(text) {
                form.insert(key.into(), v);
            }
        }
    }
    let lang = body
        .get("lang")
        .and_then(Value::as_str)
        .and_then(Language::parse)
        .unwrap_or(call.user.language);
    let request = crate::pages::check_request(&form, lang)?;
    let live = state.live();
    // The model comes with the cached book: loaded once, not per check.
    let book = state
        .cache
        .portfolio(state, false)
        .map_err(Fail::Internal)?;
    let checker = Checker::with_model(&live.config, book.model.clone());
    let mut tx = state.store.read().map_err(internal)?;
    ok(checker.check(tx.as_mut(), &request, state.as_of())?)
}

fn dunning_preview(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    require(call.user, Action::Collect, None)?;
    let preview = state.cache.preview(state, true).map_err(Fail::Internal)?;
    ok(&*preview)
}

fn tasks(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    require(call.user, Action::Collect, None)?;
    let all = call
        .query
        .get("all")
        .is_some_and(|a| a == "true" || a == "1");
    ok(json!({"tasks": agreements::tasks(state.store.as_ref(), all)?}))
}

fn task_done(state: &S, call: Call<'_>) -> Result<Reply, Fail> {
    require(call.user, Action::Collect, None)?;
    let id: i64 = param(call.path, "id")?
        .parse()
        .map_err(|_| Fail::NotFound("no such task".into()))?;
    let outcome = body_str(&call.body, "outcome")?;
    let line = agreements::complete_task(state.store.as_ref(), id, outcome, state.as_of())?;
    access::record(
        state.store.as_ref(),
        &call.user.email,
        "task.done",
        &line.customer,
        outcome,
        crate::now(),
    )?;
    state.cache.invalidate(state);
    ok(line)
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
