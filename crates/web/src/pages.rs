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
use axum::routing::{get, post};
use minijinja::Value;
use serde::Serialize;
use serde_json::json;
use tegoed_app::access::{self, Action, Role};
use tegoed_app::customer::{self, CustomerView};
use tegoed_app::dunning::templates;
use tegoed_app::facts::CustomerLedger;
use tegoed_app::policy::{CheckRequest, Checker, Subject};
use tegoed_app::portfolio::{Filter, Portfolio, PortfolioRow};
use tegoed_app::{AppError, agreements, dunning, review, segments};
use tegoed_core::customer::CustomerKind;
use tegoed_core::{AccountManagerId, Currency, Date, Language, Money};
use tegoed_store::MessageFilter;

use crate::auth::{self, Fail, Visit, check_csrf, require};
use crate::{AppState, blocking, i18n, view};

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
        .route(
            "/today",
            get(|s: State<S>, h: HeaderMap, u: Uri, q: Query<Params>| {
                show(s, h, u, q, None, today)
            }),
        )
        .route(
            "/my",
            get(|s: State<S>, h: HeaderMap, u: Uri, q: Query<Params>| {
                show(s, h, u, q, None, my_customers)
            }),
        )
        .route(
            "/customers",
            get(|s: State<S>, h: HeaderMap, u: Uri, q: Query<Params>| {
                show(s, h, u, q, None, customers)
            }),
        )
        .route(
            "/customers/{number}",
            get(
                |s: State<S>, h: HeaderMap, u: Uri, q: Query<Params>, p: Path<Params>| {
                    show(s, h, u, q, Some(p), customer)
                },
            ),
        )
        .route(
            "/customers/{number}/messages/{id}",
            get(
                |s: State<S>, h: HeaderMap, u: Uri, q: Query<Params>, p: Path<Params>| {
                    show(s, h, u, q, Some(p), message)
                },
            ),
        )
        .route(
            "/customers/{number}/{action}",
            post(
                |s: State<S>, h: HeaderMap, u: Uri, p: Path<Params>, f: Form<Params>| {
                    act(s, h, u, Some(p), f, customer_action)
                },
            ),
        )
        .route(
            "/check",
            get(|s: State<S>, h: HeaderMap, u: Uri, q: Query<Params>| {
                show(s, h, u, q, None, check)
            }),
        )
        .route(
            "/dunning",
            get(|s: State<S>, h: HeaderMap, u: Uri, q: Query<Params>| {
                show(s, h, u, q, None, dunning_page)
            }),
        )
        .route(
            "/dunning/confirm",
            get(|s: State<S>, h: HeaderMap, u: Uri, q: Query<Params>| {
                show(s, h, u, q, None, dunning_confirm)
            }),
        )
        .route(
            "/dunning/run",
            post(|s: State<S>, h: HeaderMap, u: Uri, f: Form<Params>| {
                act(s, h, u, None, f, dunning_run)
            }),
        )
        .route(
            "/payments",
            get(|s: State<S>, h: HeaderMap, u: Uri, q: Query<Params>| {
                show(s, h, u, q, None, payments)
            }),
        )
        .route(
            "/payments/{id}/{action}",
            post(
                |s: State<S>, h: HeaderMap, u: Uri, p: Path<Params>, f: Form<Params>| {
                    act(s, h, u, Some(p), f, payment_action)
                },
            ),
        )
        .route(
            "/tasks/{id}/done",
            post(
                |s: State<S>, h: HeaderMap, u: Uri, p: Path<Params>, f: Form<Params>| {
                    act(s, h, u, Some(p), f, task_done)
                },
            ),
        )
        .route(
            "/pause-requests/{id}/{decision}",
            post(
                |s: State<S>, h: HeaderMap, u: Uri, p: Path<Params>, f: Form<Params>| {
                    act(s, h, u, Some(p), f, decide_pause)
                },
            ),
        )
        .route(
            "/settings",
            get(|s: State<S>, h: HeaderMap, u: Uri, q: Query<Params>| {
                show(s, h, u, q, None, settings)
            }),
        )
        .route(
            "/settings/preview",
            post(|s: State<S>, h: HeaderMap, u: Uri, f: Form<Params>| {
                show_post(s, h, u, f, settings_preview)
            }),
        )
        .route(
            "/settings/config",
            post(|s: State<S>, h: HeaderMap, u: Uri, f: Form<Params>| {
                act(s, h, u, None, f, settings_save)
            }),
        )
        .route(
            "/settings/template",
            get(|s: State<S>, h: HeaderMap, u: Uri, q: Query<Params>| {
                show(s, h, u, q, None, template_page)
            })
            .post(|s: State<S>, h: HeaderMap, u: Uri, f: Form<Params>| {
                act(s, h, u, None, f, template_save)
            }),
        )
        .route(
            "/settings/template/preview",
            post(|s: State<S>, h: HeaderMap, u: Uri, f: Form<Params>| {
                show_post(s, h, u, f, template_preview)
            }),
        )
        .route(
            "/settings/template/reset",
            post(|s: State<S>, h: HeaderMap, u: Uri, f: Form<Params>| {
                act(s, h, u, None, f, template_reset)
            }),
        )
        .route(
            "/users",
            get(|s: State<S>, h: HeaderMap, u: Uri, q: Query<Params>| {
                show(s, h, u, q, None, users)
            }),
        )
        .route(
            "/users/{action}",
            post(
                |s: State<S>, h: HeaderMap, u: Uri, p: Path<Params>, f: Form<Params>| {
                    show_post_params(s, h, u, p, f, user_action)
                },
            ),
        )
        .route(
            "/account/language",
            post(|s: State<S>, h: HeaderMap, u: Uri, f: Form<Params>| {
                act(s, h, u, None, f, set_language)
            }),
        )
}

const CSS: &str = include_str!("../static/app.css");

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
            Ok(v) => v,
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
    state: State<S>,
    headers: HeaderMap,
    uri: Uri,
    form: Form<Params>,
    handler: PageFn,
) -> Response {
    show_post_params(state, headers, uri, Path(Params::new()), form, handler).await
}

async fn show_post_params(
    State(state): State<S>,
    headers: HeaderMap,
    uri: Uri,
    Path(path): Path<Params>,
    Form(form): Form<Params>,
    handler: PageFn,
) -> Response {
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

// --- login ------------------------------------------------------------------

async fn home(State(state): State<S>, headers: HeaderMap) -> Response {
    blocking(state.clone(), move || {
        match auth::visit(&state, &headers, "/") {
            Ok(v) if v.user.role == Role::Sales => Redirect::to("/my").into_response(),
            Ok(_) => Redirect::to("/today").into_response(),
            Err(f) => error_page(&state, f, Language::Nl),
        }
    })
    .await
}

fn login_token(state: &S) -> String {
    // The login form's signed double-submit token; a failure leaves it
    // empty, which no post can match.
    access::new_login_token(&state.login_key).unwrap_or_default()
}

fn login_page(
    state: &S,
    language: Language,
    next: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let token = login_token(state);
    let context = json!({
        "lang": language.as_str(),
        "title": i18n::t(language, "Log in"),
        "next": next,
        "login_token": token,
        "error": error,
    });
    match state
        .views
        .render("login.html", Value::from_serialize(&context))
    {
        Ok(body) => {
            let mut response = (status, html(body)).into_response();
            response.headers_mut().append(
                header::SET_COOKIE,
                auth::set_cookie(state, auth::LOGIN_COOKIE, &token, 3600),
            );
            response
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
    }
}

fn page_language(query: &Params) -> Language {
    match query.get("lang").map(String::as_str) {
        Some("en") => Language::En,
        _ => Language::Nl,
    }
}

async fn login_form(State(state): State<S>, Query(query): Query<Params>) -> Response {
    blocking(state.clone(), move || {
        let next = query.get("next").cloned().unwrap_or_else(|| "/".into());
        login_page(&state, page_language(&query), &next, None, StatusCode::OK)
    })
    .await
}

async fn login(
    State(state): State<S>,
    ConnectInfo(client): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<Params>,
) -> Response {
    blocking(state.clone(), move || {
        let language = page_language(&form);
        let next = form
            .get("next")
            .filter(|n| auth::local_path(n))
            .cloned()
            .unwrap_or_else(|| "/".into());
        let token_ok = match (
            auth::cookie(&headers, auth::LOGIN_COOKIE),
            form.get("login_token"),
        ) {
            (Some(cookie), Some(field)) => {
                auth::same(cookie, field) && access::login_token_signed(&state.login_key, field)
            }
            _ => false,
        };
        if !token_ok {
            return error_page(&state, Fail::Csrf, language);
        }
        let email = form.get("email").map(|e| e.trim()).unwrap_or("");
        let password = form.get("password").map(String::as_str).unwrap_or("");
        let now = crate::now();
        let ip = client.ip().to_string();
        if let Some(wait) = state.limiter.blocked(email, &ip, now) {
            let fail = Fail::TooMany(wait);
            let message = fail.message();
            return login_page(
                &state,
                language,
                &next,
                Some(message),
                StatusCode::TOO_MANY_REQUESTS,
            );
        }
        match access::login(state.store.as_ref(), email, password, now) {
            Ok(Some(login)) => {
                state.limiter.succeeded(email);
                let mut response = Redirect::to(&next).into_response();
                let h = response.headers_mut();
                h.append(
                    header::SET_COOKIE,
                    auth::set_cookie(
                        &state,
                        auth::SESSION_COOKIE,
                        &login.token,
                        access::SESSION_SECONDS,
                    ),
                );
                h.append(
                    header::SET_COOKIE,
                    auth::set_cookie(&state, auth::LOGIN_COOKIE, "", 0),
                );
                response
            }
            Ok(None) => {
                state.limiter.failed(email, &ip, now);
                login_page(
                    &state,
                    language,
                    &next,
                    Some(i18n::t(language, "E-mail address or password is not right.").to_string()),
                    StatusCode::UNAUTHORIZED,
                )
            }
            Err(e) => error_page(&state, Fail::from(e), language),
        }
    })
    .await
}

async fn logout(State(state): State<S>, headers: HeaderMap, Form(form): Form<Params>) -> Response {
    blocking(state.clone(), move || {
        let visit = match auth::visit(&state, &headers, "/") {
            Ok(v) => v,
            Err(_) => return Redirect::to("/login").into_response(),
        };
        if let Err(f) = check_csrf(&form, &visit) {
            return error_page(&state, f, visit.user.language);
        }
        if let Err(f) = state.write(|tx| access::logout(tx, &visit.token, crate::now())) {
            return error_page(&state, f, visit.user.language);
        }
        let mut response = Redirect::to("/login").into_response();
        response.headers_mut().append(
            header::SET_COOKIE,
            auth::set_cookie(&state, auth::SESSION_COOKIE, "", 0),
        );
        response
    })
    .await
}

fn set_language(state: &S, visit: &Visit, _: &Params, form: &Params) -> Result<String, Fail> {
    let language = Language::parse(field(form, "language")?)
        .ok_or_else(|| Fail::Invalid("language: nl or en".into()))?;
    state.write(|tx| access::set_language(tx, &visit.actor(), language))?;
    Ok(back(form, "/"))
}

/// Where a form asked to go back to (a local path only).
fn back(form: &Params, default: &str) -> String {
    form.get("back")
        .filter(|b| auth::local_path(b))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

// --- Today ------------------------------------------------------------------

fn today(state: &S, visit: &Visit, _: &Params, _: &Params) -> Result<Response, Fail> {
    if visit.user.role == Role::Sales {
        return Ok(Redirect::to("/my").into_response());
    }
    let lang = visit.user.language;
    let book = portfolio(state, false)?;
    let as_of = state.as_of();
    let labels = [
        i18n::t(lang, "Not yet due"),
        "1–30",
        "31–60",
        "61–90",
        "> 90",
    ];
    let bars: Vec<(String, i64)> = tegoed_app::portfolio::aging_lines(&book.aging)
        .iter()
        .zip(labels)
        .map(|((_, minor, _), label)| (label.to_string(), *minor))
        .collect();
    // Broken promises, new disputes and the review queue come with the
    // book (a pass over all agreements); calls and requests are read live.
    let (calls, requests) = state.read(|tx| {
        Ok((
            agreements::call_list(tx, &book, as_of, 15)?,
            access::pause_requests(tx, None, true)?,
        ))
    })?;
    let lists = &book.worklists;
    let (broken, disputes, to_match) = (&lists.broken, &lists.new_disputes, lists.to_match);
    let handoffs: Vec<serde_json::Value> = state
        .cache
        .preview_if_ready(state)
        .map(|p| {
            p.messages
                .iter()
                .filter(|m| m.channel == "handoff")
                .take(20)
                .map(|m| json!({"customer": m.customer, "name": m.name, "total": m.amounts.total, "segment": m.segment}))
                .collect()
        })
        .unwrap_or_default();
    render(
        state,
        visit,
        "today.html",
        "Today",
        json!({
            "open": book.aging.total().map_err(|e| Fail::Internal(e.to_string()))?,
            "overdue": book.aging.overdue().map_err(|e| Fail::Internal(e.to_string()))?,
            "dso_countback": book.dso.countback.days,
            "dso_simple": book.dso.simple.days,
            "customers": book.rows.len(),
            "invoices": book.invoices,
            "chart": view::aging_svg(&bars, lang),
            "calls": calls.1,
            "calls_total": calls.0,
            "broken": broken.iter().take(15).collect::<Vec<_>>(),
            "broken_total": broken.len(),
            "disputes": disputes.iter().take(15).collect::<Vec<_>>(),
            "disputes_total": disputes.len(),
            "requests": requests,
            "to_match": to_match,
            "handoffs": handoffs,
            "may_decide": visit.user.role.may(Action::DecidePause),
        }),
    )
}

// --- customers --------------------------------------------------------------

const PAGE_SIZE: usize = 50;

fn my_customers(state: &S, visit: &Visit, _: &Params, _: &Params) -> Result<Response, Fail> {
    let lang = visit.user.language;
    let Some(manager) = visit.user.account_manager else {
        return render(
            state,
            visit,
            "customers.html",
            "My customers",
            json!({"mine": true, "unlinked": true}),
        );
    };
    let book = portfolio(state, false)?;
    let filter = Filter {
        account_manager: Some(manager),
        ..Filter::default()
    };
    let (total, rows) = book.search(&filter, 0, 500);
    let rows = rows_out(state, &rows, lang)?;
    let notes = notifications(state, &book, manager)?;
    // The calls this account manager is to make (the key accounts' calls).
    let as_of = state.as_of();
    let (name, (_, calls)) = state.read(|tx| {
        let name = tx
            .account_managers()?
            .into_iter()
            .find(|(id, _)| *id == manager)
            .map(|(_, m)| m.name);
        Ok((name, agreements::call_list(tx, &book, as_of, 500)?))
    })?;
    let calls: Vec<_> = calls
        .into_iter()
        .filter(|c| c.task.assignee.is_some() && c.task.assignee == name)
        .collect();
    render(
        state,
        visit,
        "customers.html",
        "My customers",
        json!({
            "mine": true,
            "calls": calls,
            "rows": rows,
            "total": total,
            "overdue_count": rows.iter().filter(|r| r.row.overdue_minor > 0).count(),
            "hold_count": rows.iter().filter(|r| r.row.on_hold).count(),
            "plan_count": rows.iter().filter(|r| r.row.in_plan).count(),
            "notifications": notes,
        }),
    )
}

/// What a salesperson should know about their customers this week: new
/// overdue invoices, final notices and hand-offs sent, credit holds.
fn notifications(
    state: &S,
    book: &Portfolio,
    manager: AccountManagerId,
) -> Result<Vec<serde_json::Value>, Fail> {
    let as_of = book.as_of;
    let mut out = Vec::new();
    let mut tx = state.store.read().map_err(Fail::from)?;
    let internal = Fail::from;
    for n in book
        .newly_overdue
        .iter()
        .filter(|n| book.rows[n.row].account_manager == Some(manager))
        .take(50)
    {
        let row = &book.rows[n.row];
        let number = tx
            .invoice(n.invoice)
            .map_err(internal)?
            .map(|i| i.invoice.number)
            .unwrap_or_default();
        out.push(json!({"kind": "overdue", "date": n.due_date.to_string(), "customer": row.number, "name": row.name,
                        "text": number, "amount": n.open_minor}));
    }
    let mine: std::collections::HashMap<_, _> = book
        .rows
        .iter()
        .filter(|r| r.account_manager == Some(manager))
        .map(|r| (r.id, r))
        .collect();
    for back in 0..14 {
        let day = as_of.add_days(-back);
        for m in tx
            .messages(MessageFilter {
                as_of: Some(day),
                ..MessageFilter::default()
            })
            .map_err(internal)?
        {
            let Some(row) = mine.get(&m.message.customer) else {
                continue;
            };
            let kind = state
                .live()
                .config
                .strategy(&m.message.strategy)
                .and_then(|s| s.steps.iter().find(|st| st.id == m.message.step_id))
                .map(|st| st.kind);
            let final_step = matches!(
                kind,
                Some(
                    tegoed_core::strategy::StepKind::FinalNotice
                        | tegoed_core::strategy::StepKind::Handoff
                )
            ) || m.message.channel.as_str() == "handoff";
            if final_step {
                out.push(json!({"kind": if m.message.channel.as_str() == "handoff" { "handoff" } else { "final_notice" },
                                "date": day.to_string(), "customer": row.number, "name": row.name,
                                "text": m.message.step_id, "amount": m.message.principal_minor}));
            }
        }
    }
    for (customer, state) in tx.collection_states().map_err(internal)? {
        if let (Some(row), Some(since)) = (mine.get(&customer), state.credit_hold_since)
            && since.add_days(14) >= as_of
        {
            out.push(json!({"kind": "blocked", "date": since.to_string(), "customer": row.number, "name": row.name,
                            "text": state.credit_hold_reason.unwrap_or_default(), "amount": row.overdue_minor}));
        }
    }
    out.sort_by(|a, b| b["date"].as_str().cmp(&a["date"].as_str()));
    Ok(out)
}

pub(crate) fn parse_filter(state: &S, query: &Params) -> Filter {
    let config = &state.live().config;
    Filter {
        query: opt(query, "q").map(str::to_string),
        segment: opt(query, "segment").and_then(|s| config.segments.iter().position(|x| x.id == s)),
        risk_class: opt(query, "risk")
            .and_then(|r| r.chars().next())
            .map(|c| c.to_ascii_uppercase()),
        account_manager: opt(query, "account_manager")
            .and_then(|m| m.parse().ok())
            .map(AccountManagerId),
        overdue_only: opt(query, "overdue").is_some(),
        on_hold_only: opt(query, "hold").is_some(),
    }
}

fn customers(state: &S, visit: &Visit, _: &Params, query: &Params) -> Result<Response, Fail> {
    let lang = visit.user.language;
    let book = portfolio(state, false)?;
    let filter = parse_filter(state, query);
    let page: usize = opt(query, "page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let (total, rows) = book.search(&filter, (page - 1) * PAGE_SIZE, PAGE_SIZE);
    let rows = rows_out(state, &rows, lang)?;
    let live = state.live();
    let segments: Vec<_> = live
        .config
        .segments
        .iter()
        .map(|s| json!({"id": s.id, "name": if lang == Language::Nl { &s.name_nl } else { &s.name_en }}))
        .collect();
    let managers: Vec<_> = managers(state)?
        .into_iter()
        .map(|(id, n)| json!({"id": id.0, "name": n}))
        .collect();
    let mut keep: Vec<(String, String)> = query
        .iter()
        .filter(|(k, v)| k.as_str() != "page" && !v.is_empty())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    keep.sort();
    let base: String = keep
        .iter()
        .map(|(k, v)| format!("{}={}&", auth::encode(k), auth::encode(v)))
        .collect();
    render(
        state,
        visit,
        "customers.html",
        "Customers",
        json!({
            "mine": false,
            "rows": rows,
            "total": total,
            "page": page,
            "pages": total.div_ceil(PAGE_SIZE).max(1),
            "base": base,
            "q": query,
            "segments": segments,
            "managers": managers,
            "has_model": book.has_model,
        }),
    )
}

fn customer(state: &S, visit: &Visit, path: &Params, _: &Params) -> Result<Response, Fail> {
    let number = field(path, "number")?;
    let lang = visit.user.language;
    let as_of = state.as_of();
    let live = state.live();
    // The model comes with the cached book (loaded once, not per page);
    // the rest is one read of the customer.
    let book = portfolio(state, false)?;
    let CustomerView {
        statement,
        owner,
        risk,
        segment: why,
        verdict,
        mut timeline,
        disputes,
        promises,
        plans,
        requests,
        tasks,
        state: state_line,
    } = state
        .read(|tx| customer::view(tx, &live.config, book.model.clone(), number, as_of, lang))?;
    timeline.reverse();
    let all = path.contains_key("all");
    let timeline_total = timeline.len();
    timeline.truncate(if all { usize::MAX } else { 100 });
    let matched = why
        .tried
        .iter()
        .find(|t| t.matched)
        .and_then(|t| t.matched_alternative.and_then(|i| t.alternatives.get(i)))
        .cloned()
        .unwrap_or_default();
    let user = &visit.user;
    render(
        state,
        visit,
        "customer.html",
        &statement.name.clone(),
        json!({
            "c": statement,
            "segment": if lang == Language::Nl { &why.segment_name_nl } else { &why.segment_name_en },
            "segment_id": why.segment,
            "strategy": why.strategy,
            "why": matched,
            "facts": why.facts,
            "risk": risk,
            "verdict": verdict,
            "timeline": timeline,
            "timeline_total": timeline_total,
            "disputes": disputes,
            "promises": promises,
            "plans": plans,
            "requests": requests,
            "tasks": tasks,
            "state": state_line,
            "may": {
                "note": user.may(Action::Note, owner),
                "agreement": user.may(Action::Agreement, owner),
                "request_pause": user.role == Role::Sales && user.may(Action::RequestPause, owner),
                "collect": user.may(Action::Collect, owner),
                "decide": user.may(Action::DecidePause, owner),
                "limit": user.may(Action::SetLimit, owner),
            },
            "own": owner.is_some() && owner == user.account_manager,
            "today": as_of.to_string(),
        }),
    )
}

fn message(state: &S, visit: &Visit, path: &Params, _: &Params) -> Result<Response, Fail> {
    let number = field(path, "number")?;
    let id: i64 = field(path, "id")?
        .parse()
        .map_err(|_| Fail::NotFound("no such message".into()))?;
    let found = state
        .read(|tx| dunning::messages(tx, Some(number), None))?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or_else(|| Fail::NotFound(format!("no message {id} for customer {number}")))?;
    render(
        state,
        visit,
        "message.html",
        "Message",
        json!({"m": found, "number": number}),
    )
}

/// The customer page's forms. Each use case checks what the user may do
/// and writes its audit line in the same transaction as the change.
fn customer_action(state: &S, visit: &Visit, path: &Params, form: &Params) -> Result<String, Fail> {
    let number = field(path, "number")?;
    let action = field(path, "action")?;
    let actor = visit.actor();
    let as_of = state.as_of();
    let grace_days = state.live().config.dunning.plan_grace_days;
    match action {
        "note" => {
            let text = field(form, "text")?;
            state.write(|tx| agreements::add_note(tx, &actor, number, text, as_of).map(drop))?;
        }
        "promise" => {
            let amount = field(form, "amount")?;
            let date = date_field(form, "date")?;
            let invoices: Vec<String> = opt(form, "invoices")
                .map(|t| {
                    t.split([',', ' '])
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            let note = opt(form, "note");
            state.write(|tx| {
                agreements::add_promise(tx, &actor, number, amount, date, &invoices, note, as_of)
                    .map(drop)
            })?;
        }
        "pause-request" => {
            let until = date_field(form, "until")?;
            let reason = field(form, "reason")?;
            state.write(|tx| {
                access::request_pause(tx, &actor, number, until, reason, as_of).map(drop)
            })?;
        }
        "pause" => {
            let until = date_field(form, "until")?;
            let reason = field(form, "reason")?;
            state.write(|tx| {
                agreements::pause(tx, &actor, number, until, reason, as_of).map(drop)
            })?;
        }
        "dispute" => {
            let invoice = field(form, "invoice")?;
            let reason = field(form, "reason")?;
            state.write(|tx| {
                invoice_of(tx, invoice, number)?;
                agreements::open_dispute(tx, &actor, invoice, reason, as_of).map(drop)
            })?;
        }
        "resolve" => {
            let invoice = field(form, "invoice")?;
            let resolution = opt(form, "resolution");
            state.write(|tx| {
                invoice_of(tx, invoice, number)?;
                agreements::resolve_dispute(tx, &actor, invoice, resolution, as_of).map(drop)
            })?;
        }
        "plan" => {
            let count: u32 = field(form, "instalments")?
                .parse()
                .map_err(|_| Fail::Invalid("instalments: a whole number".into()))?;
            let first = date_field(form, "first")?;
            let interval = opt(form, "interval").unwrap_or("1m");
            state.write(|tx| {
                agreements::create_plan(
                    tx, &actor, number, count, first, interval, grace_days, as_of,
                )
                .map(drop)
            })?;
        }
        "limit" => {
            let limit = match opt(form, "limit") {
                Some(_) => Some(money_field(form, "limit")?),
                None => None,
            };
            state.write(|tx| agreements::set_credit_limit(tx, &actor, number, limit, as_of))?;
        }
        _ => return Err(Fail::NotFound(format!("no action '{action}'"))),
    }
    Ok(format!("/customers/{}?ok=1", auth::encode(number)))
}

/// The invoice must belong to the customer of the page.
fn invoice_of(
    tx: &mut dyn tegoed_store::ReadTx,
    invoice: &str,
    number: &str,
) -> tegoed_app::Result<()> {
    let found = tx.invoice_by_number(invoice)?;
    let customer = tx.customer_by_number(number)?;
    match (found, customer) {
        (Some(i), Some(c)) if i.invoice.customer == c.id => Ok(()),
        _ => Err(AppError::NotFound(format!(
            "customer {number} has no invoice '{invoice}'"
        ))),
    }
}

/// Collectors complete any call, account managers the calls about their
/// own customers (the use case decides).
fn task_done(state: &S, visit: &Visit, path: &Params, form: &Params) -> Result<String, Fail> {
    let id: i64 = field(path, "id")?
        .parse()
        .map_err(|_| Fail::NotFound("no such task".into()))?;
    let outcome = field(form, "outcome")?;
    let as_of = state.as_of();
    let line =
        state.write(|tx| agreements::complete_task(tx, &visit.actor(), id, outcome, as_of))?;
    Ok(back(
        form,
        &format!("/customers/{}?ok=1", auth::encode(&line.customer)),
    ))
}

fn decide_pause(state: &S, visit: &Visit, path: &Params, form: &Params) -> Result<String, Fail> {
    let id: i64 = field(path, "id")?
        .parse()
        .map_err(|_| Fail::NotFound("no such request".into()))?;
    let approve = match field(path, "decision")? {
        "approve" => true,
        "reject" => false,
        other => return Err(Fail::NotFound(format!("no decision '{other}'"))),
    };
    let as_of = state.as_of();
    state.write(|tx| access::decide_pause(tx, &visit.actor(), id, approve, as_of).map(drop))?;
    Ok(back(form, "/today?ok=1"))
}

// --- pre-sale check ---------------------------------------------------------

pub(crate) fn check_request(query: &Params, language: Language) -> Result<CheckRequest, Fail> {
    let amount = money_field(query, "amount")?;
    let terms_days = match opt(query, "terms") {
        Some(t) => Some(
            t.parse()
                .map_err(|_| Fail::Invalid(format!("terms ({t}): a number of days")))?,
        ),
        None => None,
    };
    let subject = match opt(query, "customer") {
        Some(number) if opt(query, "new").is_none() => Subject::Customer(number.to_string()),
        _ => Subject::Prospect {
            name: field(query, "name")?.to_string(),
            kvk: opt(query, "kvk").map(str::to_string),
            industry: match opt(query, "industry") {
                Some(code) => Some(
                    tegoed_core::party::SbiCode::parse(code)
                        .map_err(|e| Fail::Invalid(format!("industry ({code}): {e}")))?,
                ),
                None => None,
            },
            kind: match opt(query, "kind") {
                Some("b2c") => CustomerKind::B2c,
                Some("b2b") | None => CustomerKind::B2b,
                Some(other) => return Err(Fail::Invalid(format!("kind ({other}): b2b or b2c"))),
            },
        },
    };
    Ok(CheckRequest {
        subject,
        amount,
        terms_days,
        language,
    })
}

fn check(state: &S, visit: &Visit, _: &Params, query: &Params) -> Result<Response, Fail> {
    let asked = opt(query, "amount").is_some();
    let (result, error) = if asked {
        let live = state.live();
        let run = || -> Result<_, Fail> {
            let request = check_request(query, visit.user.language)?;
            let as_of = state.as_of();
            state.read(|tx| Checker::new(tx, &live.config)?.check(tx, &request, as_of))
        };
        match run() {
            Ok(r) => (Some(r), None),
            Err(Fail::Internal(m)) => return Err(Fail::Internal(m)),
            Err(f) => (None, Some(f.message())),
        }
    } else {
        (None, None)
    };
    render(
        state,
        visit,
        "check.html",
        "Pre-sale check",
        json!({"q": query, "r": result, "error": error}),
    )
}

// --- dunning ----------------------------------------------------------------

fn dunning_page(state: &S, visit: &Visit, _: &Params, query: &Params) -> Result<Response, Fail> {
    require(&visit.user, Action::Collect, None)?;
    let preview = state.cache.preview(state, true).map_err(Fail::Internal)?;
    let mut groups: Vec<serde_json::Value> = Vec::new();
    for step in &preview.by_step {
        let messages: Vec<_> = preview
            .messages
            .iter()
            .filter(|m| m.segment == step.segment && m.step == step.step)
            .take(50)
            .collect();
        groups.push(json!({"segment": step.segment, "step": step.step, "channel": step.channel, "count": step.messages, "messages": messages}));
    }
    render(
        state,
        visit,
        "dunning.html",
        "Dunning",
        json!({"p": {"customers": preview.messages.len(), "skipped": preview.skipped, "agreements": preview.agreements.len(), "holds_released": preview.holds_released.len()},
               "groups": groups, "ran": query.get("sent")}),
    )
}

/// Before anything is sent: per segment, step and channel the messages and
/// their amounts, the costs that will be charged, and every customer who
/// gets a final notice or goes to the agency, each of whom can be left out
/// of this run (with a reason, on their timeline).
fn dunning_confirm(state: &S, visit: &Visit, _: &Params, _: &Params) -> Result<Response, Fail> {
    require(&visit.user, Action::Collect, None)?;
    let preview = state.cache.preview(state, true).map_err(Fail::Internal)?;
    let live = state.live();
    let lang = visit.user.language;
    let segment_name = |id: &str| {
        live.config
            .segments
            .iter()
            .find(|s| s.id == id)
            .map(|s| match lang {
                Language::Nl => s.name_nl.clone(),
                Language::En => s.name_en.clone(),
            })
            .unwrap_or_else(|| id.to_string())
    };
    let minor = |text: &str| tegoed_core::money::parse_amount(text, 2).unwrap_or(0);
    let mut groups: Vec<serde_json::Value> = Vec::new();
    let (mut all_total, mut all_costs) = (0i64, 0i64);
    for step in &preview.by_step {
        let of_group: Vec<&dunning::Planned> = preview
            .messages
            .iter()
            .filter(|m| {
                m.segment == step.segment && m.step == step.step && m.channel == step.channel
            })
            .collect();
        let total: i64 = of_group.iter().map(|m| minor(&m.amounts.total)).sum();
        let costs: i64 = of_group.iter().map(|m| minor(&m.amounts.costs)).sum();
        all_total += total;
        all_costs += costs;
        let kind = of_group.first().map_or("reminder", |m| m.kind);
        groups.push(json!({
            "segment": segment_name(&step.segment), "kind": kind, "channel": step.channel,
            "count": step.messages, "total": total, "costs": costs,
        }));
    }
    let serious: Vec<serde_json::Value> = preview
        .messages
        .iter()
        .filter(|m| matches!(m.kind, "final_notice" | "handoff"))
        .map(|m| {
            json!({"customer": m.customer, "name": m.name, "kind": m.kind,
                   "total": minor(&m.amounts.total), "costs": minor(&m.amounts.costs),
                   "segment": segment_name(&m.segment)})
        })
        .collect();
    render(
        state,
        visit,
        "dunning_confirm.html",
        "Check before sending",
        json!({"groups": groups, "serious": serious, "count": preview.messages.len(),
               "total": all_total, "costs": all_costs}),
    )
}

fn dunning_run(state: &S, visit: &Visit, _: &Params, form: &Params) -> Result<String, Fail> {
    let live = state.live();
    // Customers ticked on the confirmation page stay out of this run.
    let mut leave_out: Vec<String> = form
        .iter()
        .filter(|(k, v)| k.starts_with("leave_out_") && !v.is_empty())
        .map(|(k, _)| k["leave_out_".len()..].to_string())
        .collect();
    leave_out.sort();
    let options = dunning::RunOptions {
        only: dunning::Options {
            leave_out,
            leave_out_reason: opt(form, "reason").map(str::to_string),
            ..dunning::Options::default()
        },
        ..dunning::RunOptions::new(crate::now)
    };
    let report = dunning::run(
        state.store.as_ref(),
        &visit.actor(),
        &live.config,
        &live.templates,
        state.as_of(),
        &options,
        &tegoed_app::Silent,
    )?;
    let d = &report.delivered;
    let sent = d.email + d.letter + d.call + d.handoff;
    Ok(format!("/dunning?ok=1&sent={sent}"))
}

// --- payments ---------------------------------------------------------------

fn payments(state: &S, visit: &Visit, _: &Params, _: &Params) -> Result<Response, Fail> {
    require(&visit.user, Action::Collect, None)?;
    let queue = state.read(review::unmatched)?;
    let total = queue.len();
    let rows: Vec<serde_json::Value> = queue
        .into_iter()
        .take(200)
        .map(|line| {
            let invoices: Vec<&str> = line
                .suggestion
                .as_ref()
                .map(|s| {
                    s.allocations
                        .iter()
                        .map(|a| a.invoice_number.as_str())
                        .collect()
                })
                .unwrap_or_default();
            let joined = invoices.join(",");
            json!({"p": line, "suggested_invoices": joined})
        })
        .collect();
    render(
        state,
        visit,
        "payments.html",
        "Payments to match",
        json!({"rows": rows, "total": total}),
    )
}

fn payment_action(state: &S, visit: &Visit, path: &Params, form: &Params) -> Result<String, Fail> {
    let id = field(path, "id")?;
    let actor = visit.actor();
    match field(path, "action")? {
        "match" => {
            let invoices: Vec<String> = field(form, "invoices")?
                .split([',', ' '])
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            state.write(|tx| review::match_payment(tx, &actor, id, &invoices).map(drop))?;
        }
        "assign" => {
            let customer = field(form, "customer")?;
            state.write(|tx| review::assign_payment(tx, &actor, id, customer).map(drop))?;
        }
        other => return Err(Fail::NotFound(format!("no action '{other}'"))),
    }
    Ok("/payments?ok=1".into())
}

// --- settings ---------------------------------------------------------------

fn config_text(state: &S) -> String {
    state
        .config_path
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_else(|| tegoed_app::config::DEFAULT_CONFIG.to_string())
}

fn settings_context(state: &S, visit: &Visit, text: &str) -> Result<serde_json::Value, Fail> {
    let lang = visit.user.language;
    let live = state.live();
    let book = portfolio(state, false)?;
    let mut counts = vec![0usize; live.config.segments.len()];
    for row in &book.rows {
        if let Some(c) = counts.get_mut(row.segment) {
            *c += 1;
        }
    }
    let segments: Vec<_> = live
        .config
        .segments
        .iter()
        .zip(&counts)
        .map(|(s, n)| json!({"id": s.id, "name": if lang == Language::Nl { &s.name_nl } else { &s.name_en }, "strategy": s.strategy, "customers": n}))
        .collect();
    let strategies: Vec<_> = live
        .config
        .strategies
        .iter()
        .map(|s| json!({"id": s.id, "tone": s.tone, "steps": s.steps.iter().map(|st| json!({
            "id": st.id, "offset": st.offset_days, "channel": st.channel.as_str(), "template": st.template,
            "min": st.min_overdue_minor, "effects": st.effects.iter().map(|e| e.as_str()).collect::<Vec<_>>()})).collect::<Vec<_>>()}))
        .collect();
    let mut groups: Vec<serde_json::Value> = Vec::new();
    for info in templates::catalogue(live.config.delivery.templates.as_deref())? {
        let version = json!({"name": info.name, "language": info.language, "custom": info.custom});
        match groups.last_mut() {
            Some(last) if last["base"] == info.base.as_str() && last["kind"] == info.kind => {
                if let Some(versions) = last["versions"].as_array_mut() {
                    versions.push(version);
                }
            }
            _ => groups.push(json!({"base": info.base, "kind": info.kind, "versions": [version]})),
        }
    }
    Ok(json!({
        "segments": segments,
        "strategies": strategies,
        "templates": groups,
        "policy": tegoed_app::policy::explain(&live.config, lang),
        "toml": text,
        "path": state.config_path.as_ref().map(|p| p.display().to_string()),
        "may_edit": visit.user.role.may(Action::EditSettings),
    }))
}

fn settings(state: &S, visit: &Visit, _: &Params, _: &Params) -> Result<Response, Fail> {
    let context = settings_context(state, visit, &config_text(state))?;
    render(state, visit, "settings.html", "Settings", context)
}

fn parse_config(state: &S, text: &str) -> Result<tegoed_app::config::Config, Fail> {
    let base = state
        .config_path
        .as_ref()
        .and_then(|p| p.parent().map(|d| d.to_path_buf()))
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    tegoed_app::config::Config::parse(
        text,
        "tegoed.toml (edited)",
        &base,
        state.config_path.clone(),
    )
    .map_err(|e| Fail::Invalid(e.to_string()))
}

/// A live preview of edited settings on a real customer, before saving.
fn settings_preview(state: &S, visit: &Visit, _: &Params, form: &Params) -> Result<Response, Fail> {
    require(&visit.user, Action::EditSettings, None)?;
    let text = form.get("toml").cloned().unwrap_or_default();
    let number = field(form, "customer")?;
    let mut context = settings_context(state, visit, &text)?;
    let outcome = parse_config(state, &text).and_then(|config| {
        let templates =
            tegoed_app::dunning::templates::Templates::load(config.delivery.templates.as_deref())?;
        let preview = dunning::plan(
            state.store.as_ref(),
            &config,
            &templates,
            state.as_of(),
            &dunning::Options {
                customer: Some(number.to_string()),
                ..dunning::Options::default()
            },
            &tegoed_app::Silent,
        )?;
        let as_of = state.as_of();
        let why = tegoed_app::read_tx(state.store.as_ref(), |tx| {
            let ledger = CustomerLedger::load(tx, number, as_of)?;
            segments::explain(tx, &config, &ledger.stored, &ledger.rows, None, as_of)
        })?;
        Ok((preview, why))
    });
    match outcome {
        Ok((preview, why)) => {
            context["preview"] =
                json!({"customer": number, "segment": why.segment, "messages": preview.messages});
        }
        Err(f) => context["preview_error"] = json!(f.message()),
    }
    render(state, visit, "settings.html", "Settings", context)
}

fn settings_save(state: &S, visit: &Visit, _: &Params, form: &Params) -> Result<String, Fail> {
    require(&visit.user, Action::EditSettings, None)?;
    let text = field(form, "toml")?;
    let config = parse_config(state, text)?;
    let templates =
        tegoed_app::dunning::templates::Templates::load(config.delivery.templates.as_deref())?;
    let path = state.config_path.clone().ok_or_else(|| {
        Fail::Invalid(
            "the server runs on the shipped settings; start it with --config FILE to edit them"
                .into(),
        )
    })?;
    let tmp = path.with_extension("toml.saving");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| Fail::Internal(format!("cannot save {}: {e}", path.display())))?;
    state.replace_config(crate::Live { config, templates });
    let target = path.display().to_string();
    let detail = format!("{} bytes", text.len());
    state.write(|tx| visit.actor().audit(tx, "settings.save", &target, &detail))?;
    Ok("/settings?ok=1".into())
}

// --- message templates -------------------------------------------------------

/// The template page: the text (edited or as it stands), which steps use
/// it, and customers who get it today.
fn template_context(
    state: &S,
    visit: &Visit,
    name: &str,
    source: Option<&str>,
) -> Result<(serde_json::Value, templates::TemplateInfo), Fail> {
    let live = state.live();
    let dir = live.config.delivery.templates.as_deref();
    let info = templates::find(dir, name)?;
    let source = match source {
        Some(text) => text.to_string(),
        None => templates::source_of(dir, &info)?,
    };
    let used_by: Vec<(String, String, &'static str)> = live
        .config
        .strategies
        .iter()
        .flat_map(|s| {
            s.steps
                .iter()
                .filter(|st| st.template == info.base)
                .map(|st| (s.id.clone(), st.id.clone(), st.channel.as_str()))
        })
        .collect();
    // Customers today's run sends this text to (when the preview is built).
    let suggestions: Vec<String> = state
        .cache
        .preview_if_ready(state)
        .map(|preview| {
            preview
                .messages
                .iter()
                .filter(|m| written_with(&live.config, m, &info))
                .take(8)
                .map(|m| m.customer.clone())
                .collect()
        })
        .unwrap_or_default();
    let context = json!({
        "tpl": info,
        "source": source,
        "used_by": used_by.iter().map(|(s, st, c)| json!({"strategy": s, "step": st, "channel": c})).collect::<Vec<_>>(),
        "suggestions": suggestions,
        "dir": dir.map(|d| d.display().to_string()),
        "may_edit": visit.user.role.may(Action::EditSettings),
    });
    Ok((context, info))
}

/// Whether planned message `m` is worded by template `info`: its step
/// names the template's base and it is in the template's language.
fn written_with(
    config: &tegoed_app::config::Config,
    m: &dunning::Planned,
    info: &templates::TemplateInfo,
) -> bool {
    m.language == info.language
        && config
            .strategies
            .iter()
            .find(|s| s.id == m.strategy)
            .and_then(|s| s.steps.iter().find(|st| st.id == m.step))
            .is_some_and(|st| st.template == info.base)
}

/// The customer's messages of today with `templates` in place, marked
/// whether they are worded by template `info`.
fn template_preview_of(
    state: &S,
    info: &templates::TemplateInfo,
    number: &str,
    templates: &templates::Templates,
) -> Result<serde_json::Value, Fail> {
    let live = state.live();
    let preview = dunning::plan(
        state.store.as_ref(),
        &live.config,
        templates,
        state.as_of(),
        &dunning::Options {
            customer: Some(number.to_string()),
            ..dunning::Options::default()
        },
        &tegoed_app::Silent,
    )?;
    let messages: Vec<serde_json::Value> = preview
        .messages
        .iter()
        .map(|m| {
            json!({"strategy": m.strategy, "step": m.step, "language": m.language,
                   "uses": written_with(&live.config, m, info),
                   "subject": m.message.subject, "text": m.message.text})
        })
        .collect();
    Ok(json!({"customer": number, "messages": messages}))
}

fn template_page(state: &S, visit: &Visit, _: &Params, query: &Params) -> Result<Response, Fail> {
    let name = field(query, "name")?;
    let (mut context, info) = template_context(state, visit, name, None)?;
    context["saved"] = json!(query.contains_key("saved"));
    if let Some(number) = opt(query, "customer") {
        context["customer"] = json!(number);
        let live = state.live();
        match template_preview_of(state, &info, number, &live.templates) {
            Ok(preview) => context["preview"] = preview,
            Err(f) => context["preview_error"] = json!(f.message()),
        }
    }
    render(state, visit, "template.html", "Message template", context)
}

/// A live preview of an edited template on a real customer, before saving.
fn template_preview(state: &S, visit: &Visit, _: &Params, form: &Params) -> Result<Response, Fail> {
    require(&visit.user, Action::EditSettings, None)?;
    let name = field(form, "name")?;
    let source = form.get("source").map(String::as_str).unwrap_or_default();
    let number = field(form, "customer")?;
    let (mut context, info) = template_context(state, visit, name, Some(source))?;
    context["customer"] = json!(number);
    let dir = state.live().config.delivery.templates.clone();
    let outcome = templates::check_source(dir.as_deref(), name, source)
        .map_err(Fail::from)
        .and_then(|edited| template_preview_of(state, &info, number, &edited));
    match outcome {
        Ok(preview) => context["preview"] = preview,
        Err(f) => context["preview_error"] = json!(f.message()),
    }
    render(state, visit, "template.html", "Message template", context)
}

fn templates_folder(state: &S) -> Result<std::path::PathBuf, Fail> {
    state
        .live()
        .config
        .delivery
        .templates
        .clone()
        .ok_or_else(|| {
            Fail::Invalid(
                "no templates folder: set templates = \"FOLDER\" under [delivery] in the settings"
                    .into(),
            )
        })
}

fn template_save(state: &S, visit: &Visit, _: &Params, form: &Params) -> Result<String, Fail> {
    require(&visit.user, Action::EditSettings, None)?;
    let name = field(form, "name")?;
    let source = field(form, "source")?;
    let dir = templates_folder(state)?;
    let loaded = templates::save_override(&dir, name, source)?;
    let detail = format!("{} bytes in {}", source.len(), dir.display());
    use_templates(state, visit, loaded, "template.save", name, &detail)?;
    Ok(format!(
        "/settings/template?name={}&saved=1",
        auth::encode(name)
    ))
}

fn template_reset(state: &S, visit: &Visit, _: &Params, form: &Params) -> Result<String, Fail> {
    require(&visit.user, Action::EditSettings, None)?;
    let name = field(form, "name")?;
    let dir = templates_folder(state)?;
    let loaded = templates::remove_override(&dir, name)?;
    let detail = "back to the shipped text";
    use_templates(state, visit, loaded, "template.reset", name, detail)?;
    Ok(format!("/settings/template?name={}", auth::encode(name)))
}

/// Puts changed templates in use and writes the change to the audit log.
fn use_templates(
    state: &S,
    visit: &Visit,
    loaded: templates::Templates,
    action: &str,
    name: &str,
    detail: &str,
) -> Result<(), Fail> {
    let config = state.live().config.clone();
    state.replace_config(crate::Live {
        config,
        templates: loaded,
    });
    state.write(|tx| visit.actor().audit(tx, action, name, detail))
}

// --- users ------------------------------------------------------------------

fn users_context(state: &S) -> Result<serde_json::Value, Fail> {
    let managers: Vec<_> = managers(state)?.into_iter().map(|(_, n)| n).collect();
    Ok(json!({
        "users": state.read(access::users)?,
        "audit": state.read(|tx| access::audit_log(tx, 100))?,
        "managers": managers,
        "roles": Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
    }))
}

fn users(state: &S, visit: &Visit, _: &Params, _: &Params) -> Result<Response, Fail> {
    require(&visit.user, Action::ManageUsers, None)?;
    render(state, visit, "users.html", "Users", users_context(state)?)
}

/// Adding a user or making an API token answers with the page (the token is
/// shown once, so no redirect).
fn user_action(state: &S, visit: &Visit, path: &Params, form: &Params) -> Result<Response, Fail> {
    let actor = visit.actor();
    let mut context;
    match field(path, "action")? {
        "add" => {
            let role = Role::parse(field(form, "role")?).ok_or_else(|| {
                Fail::Invalid("role: admin, credit_manager, collector or sales".into())
            })?;
            let language = opt(form, "language")
                .and_then(Language::parse)
                .unwrap_or(Language::Nl);
            let new = access::NewUser {
                email: field(form, "email")?,
                name: opt(form, "name"),
                role,
                language,
                password: form.get("password").map(String::as_str).unwrap_or(""),
                account_manager: opt(form, "account_manager"),
            };
            let line = state.write(|tx| access::add_user(tx, &actor, &new))?;
            context = users_context(state)?;
            context["added"] = json!(line.email);
        }
        "token" => {
            let email = field(form, "email")?;
            let name = field(form, "name")?;
            let token = state.write(|tx| access::create_api_token(tx, &actor, email, name))?;
            context = users_context(state)?;
            context["token"] = json!({"email": email, "name": name, "value": token});
        }
        "update" => {
            let email = field(form, "email")?;
            let role = opt(form, "role").and_then(Role::parse);
            let disabled = opt(form, "disabled").map(|d| d == "1");
            state.write(|tx| access::update_user(tx, &actor, email, role, None, disabled))?;
            context = users_context(state)?;
            context["updated"] = json!(email);
        }
        other => return Err(Fail::NotFound(format!("no action '{other}'"))),
    }
    render(state, visit, "users.html", "Users", context)
}
