//! The HTML pages. Each handler runs on the blocking pool: find the
//! session, check the role, call a use case, render a template. Forms post
//! with the session's CSRF token and answer with a redirect (303) back to
//! the page, so a reload never posts twice.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};
use minijinja::Value;
use serde::Serialize;
use serde_json::json;
use tegoed_app::access::{self, Action, Role};
use tegoed_app::customer::{self, CustomerView};
use tegoed_app::dunning::templates;
use tegoed_app::facts::CustomerLedger;
use tegoed_app::policy::{CheckRequest, Checker, Subject};
use tegoed_app::portfolio::{Filter, Portfolio, PortfolioRow};
use tegoed_app::{AppError, agreements, review, segments};
use tegoed_core::customer::CustomerKind;
use tegoed_core::{AccountManagerId, Currency, Date, Language, Money};
use tegoed_store::MessageFilter;

use crate::auth::{self, Fail, Visit, check_csrf, require};
use crate::{AppState, blocking, i18n, view};

mod check;
mod customers;
mod dunning;
mod login;
mod payments;
mod settings;
mod today;
mod users;

pub(crate) use check::check_request;
use check::*;
pub(crate) use customers::parse_filter;
use customers::*;
use dunning::*;
use login::*;
use payments::*;
use settings::*;
use today::*;
use users::*;

type S = Arc<AppState>;
type Params = HashMap<String, String>;
type PageFn = fn(&S, &Visit, &Params, &Params) -> Result<Response, Fail>;
type PostFn = fn(&S, &Visit, &Params, &Params) -> Result<String, Fail>;

pub fn routes() -> Router<S> {
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(|| async { "ok" }))
        .route("/static/app.css", get(css))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/today", page(today))
        .route("/my", page(my_customers))
        .route("/customers", page(customers))
        .route("/customers/{number}", page(customer))
        .route("/customers/{number}/messages/{id}", page(message))
        .route("/customers/{number}/{action}", action(customer_action))
        .route("/check", page(check))
        .route("/dunning", page(dunning_page))
        .route("/dunning/confirm", page(dunning_confirm))
        .route("/dunning/run", action(dunning_run))
        .route("/payments", page(payments))
        .route("/payments/{id}/{action}", action(payment_action))
        .route("/tasks/{id}/done", action(task_done))
        .route("/pause-requests/{id}/{decision}", action(decide_pause))
        .route("/settings", page(settings))
        .route("/settings/preview", preview(settings_preview))
        .route("/settings/config", action(settings_save))
        .route(
            "/settings/template",
            page(template_page).merge(action(template_save)),
        )
        .route("/settings/template/preview", preview(template_preview))
        .route("/settings/template/reset", action(template_reset))
        .route("/users", page(users))
        .route("/users/{action}", preview(user_action))
        .route("/account/language", action(set_language))
}

/// A page: `GET` with the query (and the path's parameters, if any).
fn page(handler: PageFn) -> MethodRouter<S> {
    get(
        move |s: State<S>, h: HeaderMap, u: Uri, q: Query<Params>, p: Option<Path<Params>>| {
            show(s, h, u, q, p, handler)
        },
    )
}

/// A form post that changes something and redirects.
fn action(handler: PostFn) -> MethodRouter<S> {
    post(
        move |s: State<S>, h: HeaderMap, u: Uri, p: Option<Path<Params>>, f: Form<Params>| {
            act(s, h, u, p, f, handler)
        },
    )
}

/// A form post that renders a page and changes nothing (previews).
fn preview(handler: PageFn) -> MethodRouter<S> {
    post(
        move |s: State<S>, h: HeaderMap, u: Uri, p: Option<Path<Params>>, f: Form<Params>| {
            show_post(s, h, u, p, f, handler)
        },
    )
}

const CSS: &str = include_str!("../../static/app.css");

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

// --- plumbing ---------------------------------------------------------------

fn html(body: String) -> Response {
    let mut response = Html(body).into_response();
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, "no-store".parse().expect("static"));
    h.insert(header::X_FRAME_OPTIONS, "DENY".parse().expect("static"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
            .parse()
            .expect("static"),
    );
    h.insert("x-content-type-options", "nosniff".parse().expect("static"));
    response
}

/// Renders `template` inside the layout, with the user, language and CSRF
/// token.
fn render(
    state: &S,
    visit: &Visit,
    template: &str,
    title: &str,
    extra: serde_json::Value,
) -> Result<Response, Fail> {
    let lang = visit.user.language;
    let mut context = json!({
        "lang": lang.as_str(),
        "title": i18n::t(lang, title),
        "csrf": visit.csrf,
        "here": visit.here,
        "as_of": state.as_of().to_string(),
        "user": {
            "name": visit.user.name,
            "email": visit.user.email,
            "role": visit.user.role.as_str(),
            "collect": visit.user.role.may(Action::Collect),
            "manage": visit.user.role.may(Action::EditSettings),
            "admin": visit.user.role.may(Action::ManageUsers),
            "sales": visit.user.role == Role::Sales,
        },
    });
    if let (Some(base), serde_json::Value::Object(more)) = (context.as_object_mut(), extra) {
        base.extend(more);
    }
    let body = state
        .views
        .render(template, Value::from_serialize(&context))
        .map_err(Fail::Internal)?;
    Ok(html(body))
}

fn error_page(state: &S, fail: Fail, language: Language) -> Response {
    if let Fail::Login(next) = &fail {
        return auth::redirect_to_login(next);
    }
    fail.log();
    let status = fail.status();
    let context = json!({
        "lang": language.as_str(),
        "title": i18n::t(language, "Something is not right"),
        "status": status.as_u16(),
        "message": fail.message(),
        "code": fail.code(),
    });
    let body = state
        .views
        .render("error.html", Value::from_serialize(&context))
        .unwrap_or_else(|e| view::escape(&e));
    let mut response = (status, html(body)).into_response();
    fail.set_retry_after(response.headers_mut());
    response
}

async fn show(
    State(state): State<S>,
    headers: HeaderMap,
    uri: Uri,
    Query(query): Query<Params>,
    path: Option<Path<Params>>,
    handler: PageFn,
) -> Response {
    let path = path.map(|p| p.0).unwrap_or_default();
    blocking(state.clone(), move || {
        let target = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let visit = match auth::visit(&state, &headers, target) {
            Ok(v) => Visit {
                here: Some(target.to_string()),
                ..v
            },
            Err(f) => return error_page(&state, f, Language::Nl),
        };
        auth::refuse_nul(path.iter().chain(query.iter()))
            .and_then(|()| handler(&state, &visit, &path, &query))
            .unwrap_or_else(|f| error_page(&state, f, visit.user.language))
    })
    .await
}

/// A form post that renders a page (previews): CSRF-checked, no change.
async fn show_post(
    State(state): State<S>,
    headers: HeaderMap,
    uri: Uri,
    path: Option<Path<Params>>,
    Form(form): Form<Params>,
    handler: PageFn,
) -> Response {
    let path = path.map(|p| p.0).unwrap_or_default();
    blocking(state.clone(), move || {
        let visit = match auth::visit(&state, &headers, uri.path()) {
            Ok(v) => v,
            Err(f) => return error_page(&state, f, Language::Nl),
        };
        check_csrf(&form, &visit)
            .and_then(|()| auth::refuse_nul(path.iter().chain(form.iter())))
            .and_then(|()| handler(&state, &visit, &path, &form))
            .unwrap_or_else(|f| error_page(&state, f, visit.user.language))
    })
    .await
}

/// A state-changing form post: session, CSRF, the action, then a redirect
/// to where the handler says (with `ok=1` for the notice).
async fn act(
    State(state): State<S>,
    headers: HeaderMap,
    uri: Uri,
    path: Option<Path<Params>>,
    Form(form): Form<Params>,
    handler: PostFn,
) -> Response {
    let path = path.map(|p| p.0).unwrap_or_default();
    blocking(state.clone(), move || {
        let visit = match auth::visit(&state, &headers, uri.path()) {
            Ok(v) => v,
            Err(f) => return error_page(&state, f, Language::Nl),
        };
        match check_csrf(&form, &visit)
            .and_then(|()| auth::refuse_nul(path.iter().chain(form.iter())))
            .and_then(|()| handler(&state, &visit, &path, &form))
        {
            Ok(target) => {
                state.cache.invalidate(&state);
                Redirect::to(&target).into_response()
            }
            Err(f) => error_page(&state, f, visit.user.language),
        }
    })
    .await
}

fn field<'a>(form: &'a Params, name: &str) -> Result<&'a str, Fail> {
    form.get(name)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Fail::Invalid(format!("'{name}' is missing")))
}

fn opt<'a>(form: &'a Params, name: &str) -> Option<&'a str> {
    form.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn date_field(form: &Params, name: &str) -> Result<Date, Fail> {
    let text = field(form, name)?;
    Date::parse_iso(text).map_err(|e| Fail::Invalid(format!("'{name}': {e}")))
}

fn money_field(form: &Params, name: &str) -> Result<Money, Fail> {
    let text = field(form, name)?;
    tegoed_core::money::parse_amount(text, 2)
        .map(|minor| Money::new(minor, Currency::EUR))
        .map_err(|e| Fail::Invalid(format!("'{name}' ({text}): {e}")))
}

fn portfolio(state: &S, fresh: bool) -> Result<Arc<Portfolio>, Fail> {
    state.cache.portfolio(state, fresh).map_err(Fail::Internal)
}

fn segment_name(state: &S, index: usize, lang: Language) -> String {
    state
        .live()
        .config
        .segments
        .get(index)
        .map(|s| {
            if lang == Language::Nl {
                s.name_nl.clone()
            } else {
                s.name_en.clone()
            }
        })
        .unwrap_or_default()
}

#[derive(Serialize)]
struct RowOut<'a> {
    #[serde(flatten)]
    row: &'a PortfolioRow,
    segment: String,
    account_manager: String,
}

fn rows_out<'a>(
    state: &S,
    rows: &[&'a PortfolioRow],
    lang: Language,
) -> Result<Vec<RowOut<'a>>, Fail> {
    let managers = managers(state)?;
    Ok(rows
        .iter()
        .map(|r| RowOut {
            row: r,
            segment: segment_name(state, r.segment, lang),
            account_manager: r
                .account_manager
                .and_then(|m| managers.iter().find(|(id, _)| *id == m))
                .map(|(_, n)| n.clone())
                .unwrap_or_default(),
        })
        .collect())
}

fn managers(state: &S) -> Result<Vec<(AccountManagerId, String)>, Fail> {
    let mut tx = state.store.read().map_err(Fail::from)?;
    Ok(tx
        .account_managers()
        .map_err(Fail::from)?
        .into_iter()
        .map(|(id, m)| (id, m.name))
        .collect())
}
