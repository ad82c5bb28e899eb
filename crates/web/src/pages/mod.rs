//! The HTML pages. Each handler runs on the blocking pool: find the
//! session, check the role, call a use case, render a template. Forms post
//! with the session's CSRF token and answer with a redirect (303) back to
//! the page, so a reload never posts twice.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};
use minijinja::Value;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tegoed_app::access::{self, Action, Role};
use tegoed_app::customer::{self, CustomerView};
use tegoed_app::dunning::templates;
use tegoed_app::facts::CustomerLedger;
use tegoed_app::policy::{CheckRequest, Checker, Subject};
use tegoed_app::portfolio::{Filter, Portfolio, PortfolioRow, Sort, SortKey};
use tegoed_app::{AppError, agreements, review, segments};
use tegoed_core::customer::CustomerKind;
use tegoed_core::{AccountManagerId, Currency, Date, Language, Money};

use crate::auth::{self, Fail, Visit, check_csrf, require};
use crate::forms::{self, Amount, Back, Day, Empty, Numbers, Text, Whole};
use crate::listing::{self, Cell, Column, Listing, column, totalled};
use crate::{AppState, blocking, i18n, view};

mod appreciation;
mod check;
mod customers;
mod dunning;
mod forecast;
mod kpi;
mod lists;
mod login;
mod meeting;
mod payments;
mod scoreboard;
mod settings;
mod today;
mod training;
mod users;

use appreciation::*;
use check::*;
use customers::*;
use dunning::*;
use forecast::*;
use kpi::*;
use lists::*;
use login::*;
use meeting::*;
use payments::*;
use scoreboard::*;
use settings::*;
use today::*;
use training::*;
use users::*;

type S = Arc<AppState>;
type Params = HashMap<String, String>;
/// A page: the path's parameters and the query.
type PageFn = fn(&S, &Visit, &Params, &Params) -> Result<Response, Fail>;
/// A form post: the path's parameters and the form `F`, read by
/// [`forms::parse`] (a map of strings only for forms of numbered rows).
/// Answers where to go next.
type PostFn<F> = fn(&S, &Visit, &Params, F) -> Result<String, Fail>;
/// A form post that answers with a page (previews).
type PreviewFn<F> = fn(&S, &Visit, &Params, F) -> Result<Response, Fail>;

/// What a form handler can be given: a typed form.
trait Input: DeserializeOwned + Send + 'static {}
impl<F: DeserializeOwned + Send + 'static> Input for F {}

pub fn routes() -> Router<S> {
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(|| async { "ok" }))
        .route("/static/app.css", get(css))
        .route("/static/app.js", get(js))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/today", page(today))
        .route("/my", page(my_customers))
        .route("/scoreboard", page(scoreboard_page))
        .route("/training/story", page(training_story))
        .route("/training/quiz", page(quiz_page))
        .route("/training/quiz/answer", action(quiz_answer))
        .route("/customers", page(customers))
        .route("/customers/{number}", page(customer))
        .route("/customers/{number}/messages/{id}", page(message))
        .route(
            "/customers/{number}/messages/{id}/{part}",
            page(message_as_sent),
        )
        .route("/customers/{number}/note", form_action(note, customer))
        .route(
            "/customers/{number}/promise",
            form_action(promise, customer),
        )
        .route(
            "/customers/{number}/pause-request",
            form_action(pause_request, customer),
        )
        .route("/customers/{number}/pause", form_action(pause, customer))
        .route(
            "/customers/{number}/dispute",
            form_action(dispute, customer),
        )
        .route(
            "/customers/{number}/resolve",
            form_action(resolve, customer),
        )
        .route("/customers/{number}/plan", form_action(plan, customer))
        .route(
            "/customers/{number}/end-pause",
            form_action(end_pause, customer),
        )
        .route(
            "/customers/{number}/lift-hold",
            form_action(lift_hold, customer),
        )
        .route(
            "/customers/{number}/sale-agreement",
            form_action(sale_agreement, customer),
        )
        .route("/customers/{number}/limit", form_action(limit, customer))
        .route(
            "/customers/{number}/portal-revoke",
            form_action(portal_revoke, customer),
        )
        .route("/check", page(check))
        .route("/dunning", page(dunning_page))
        .route("/dunning/confirm", page(dunning_confirm))
        .route("/dunning/run", action(dunning_run))
        .route("/dunning/progress", page(dunning_progress))
        .route("/lists/{list}", page(worklist))
        .route("/payments", page(payments))
        .route("/payments/{id}/match", action(payment_match))
        .route("/payments/{id}/assign", action(payment_assign))
        .route("/payments/{id}/undo", action(payment_undo))
        .route("/kpi", page(kpi_page))
        .route("/forecast", page(forecast_page))
        .route("/meeting", page(meeting_page))
        .route("/meeting/pdf", page(meeting_pdf))
        .route("/meeting/decide", form_action(meeting_decide, meeting_page))
        .route("/appreciation", page(appreciation_page))
        .route(
            "/appreciation/{id}/{action}",
            form_action(appreciation_action, appreciation_page),
        )
        .route("/gifts/{id}/{decision}", action(gift_decision))
        .route("/tasks/{id}/done", action(task_done))
        .route("/pause-requests/{id}/{decision}", action(decide_pause))
        .route("/settings", page(settings))
        .route("/settings/preview", preview(settings_preview))
        .route("/settings/config", action(settings_save))
        .route("/settings/segments/{id}", page(segment_page))
        .route("/settings/segments/{id}/preview", preview(segment_preview))
        .route("/settings/segments/{id}/save", action(segment_save))
        .route(
            "/settings/company",
            page(company_page).merge(form_action(company_save, company_page)),
        )
        .route("/settings/policy/{id}", page(rule_page))
        .route("/settings/policy/{id}/preview", preview(rule_preview))
        .route(
            "/settings/policy/{id}/save",
            form_action(rule_save, rule_page),
        )
        .route("/settings/strategies/{id}", page(strategy_page))
        .route(
            "/settings/strategies/{id}/preview",
            preview(strategy_preview),
        )
        .route(
            "/settings/strategies/{id}/save",
            form_action(strategy_save, strategy_page),
        )
        .route(
            "/settings/template",
            page(template_page).merge(action(template_save)),
        )
        .route("/settings/template/preview", preview(template_preview))
        .route("/settings/template/reset", action(template_reset))
        .route("/users", page(users))
        .route("/users/add", preview(add_user))
        .route("/users/token", preview(create_token))
        .route("/users/update", preview(update_user))
        .route("/account/language", action(set_language))
}

/// Any address no route answers: the API's JSON 404, or a page in the
/// reader's language with the menu and a way back.
pub async fn not_found(State(state): State<S>, headers: HeaderMap, uri: Uri) -> Response {
    let fail = || Fail::NotFound("no such page".into());
    if uri.path().starts_with("/api/") {
        return fail().api();
    }
    blocking(state.clone(), move || {
        match auth::visit(&state, &headers, uri.path()) {
            Ok(visit) => {
                let lang = visit.user.language;
                page_error(&state, fail(), lang, Some(&visit), came_from(&headers))
            }
            Err(_) => page_error(&state, fail(), Language::Nl, None, None),
        }
    })
    .await
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
fn action<F: Input>(handler: PostFn<F>) -> MethodRouter<S> {
    post(
        move |s: State<S>, h: HeaderMap, u: Uri, p: Option<Path<Params>>, body: Bytes| {
            act(s, h, u, p, body, handler, None)
        },
    )
}

/// A state-changing form post whose mistakes (invalid input) show the page
/// `page` again, with the message at the form and what was typed (HTTP
/// 422), instead of an error page.
fn form_action<F: Input>(handler: PostFn<F>, page: PageFn) -> MethodRouter<S> {
    post(
        move |s: State<S>, h: HeaderMap, u: Uri, p: Option<Path<Params>>, body: Bytes| {
            act(s, h, u, p, body, handler, Some(page))
        },
    )
}

/// A form post that renders a page and changes nothing (previews).
fn preview<F: Input>(handler: PreviewFn<F>) -> MethodRouter<S> {
    post(
        move |s: State<S>, h: HeaderMap, u: Uri, p: Option<Path<Params>>, body: Bytes| {
            show_post(s, h, u, p, body, handler)
        },
    )
}

/// A form's body, read twice: as the map of what was typed (for the CSRF
/// token, and to fill the form again after a mistake) and as the typed
/// form `F` the handler gets. Only a body sent as a form is read; the CSRF
/// token and NUL characters are checked before `F` is read.
fn read_form<F: Input>(
    headers: &HeaderMap,
    body: &[u8],
    visit: &Visit,
) -> Result<(Params, F), (Params, Fail)> {
    let unreadable = || Fail::Field(forms::FieldError::new("", forms::Problem::Unreadable));
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';').next().is_some_and(|t| {
                t.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        });
    if !is_form {
        return Err((Params::new(), unreadable()));
    }
    let typed: Params = forms::parse(body).map_err(|e| (Params::new(), Fail::Field(e)))?;
    check_csrf(&typed, visit).map_err(|f| (typed.clone(), f))?;
    auth::refuse_nul(typed.iter()).map_err(|f| (typed.clone(), f))?;
    match forms::parse::<F>(body) {
        Ok(form) => Ok((typed, form)),
        Err(e) => Err((typed, Fail::Field(e))),
    }
}

const CSS: &str = include_str!("../../static/app.css");
const JS: &str = include_str!("../../static/app.js");

async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

async fn js() -> Response {
    asset("text/javascript; charset=utf-8", JS)
}

/// A file compiled into the binary, cached by browsers for an hour.
fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
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

/// What the layout around every page shows: the language, the title, the
/// confirmation of the last action (with its undo), the signed-in user and
/// what their role may open, and the form tokens.
#[derive(Serialize)]
struct Layout<'a> {
    lang: &'static str,
    title: &'a str,
    done: Option<String>,
    undo: Option<Undo>,
    form_error: &'a Option<auth::FormError>,
    csrf: &'a str,
    here: &'a Option<String>,
    as_of: String,
    user: LayoutUser<'a>,
}

/// The signed-in user, and which parts of the menu their role sees.
#[derive(Serialize)]
struct LayoutUser<'a> {
    name: &'a str,
    email: &'a str,
    role: &'static str,
    collect: bool,
    manage: bool,
    admin: bool,
    sales: bool,
}

/// A page's view-model inside the layout (the page's fields win).
#[derive(Serialize)]
struct InLayout<'a, P: Serialize> {
    #[serde(flatten)]
    layout: Layout<'a>,
    #[serde(flatten)]
    page: P,
}

/// Renders `template` inside the layout ([`Layout`]) with the page's
/// view-model `page`: a struct of its own, or a JSON object.
fn render(
    state: &S,
    visit: &Visit,
    template: &str,
    title: &str,
    page: impl Serialize,
) -> Result<Response, Fail> {
    let lang = visit.user.language;
    let done = visit.here.as_deref().and_then(done_of);
    let user = &visit.user;
    let context = InLayout {
        layout: Layout {
            lang: lang.as_str(),
            title: i18n::t(lang, title),
            done: done.as_ref().and_then(|d| done_notice(d, lang)),
            undo: done.as_ref().and_then(undo_of),
            form_error: &visit.form_error,
            csrf: &visit.csrf,
            here: &visit.here,
            as_of: state.as_of().to_string(),
            user: LayoutUser {
                name: &user.name,
                email: &user.email,
                role: user.role.as_str(),
                collect: user.role.may(Action::Collect),
                manage: user.role.may(Action::EditSettings),
                admin: user.role.may(Action::ManageUsers),
                sales: user.role == Role::Sales,
            },
        },
        page,
    };
    let body = state
        .views
        .render(template, Value::from_serialize(&context))
        .map_err(Fail::Internal)?;
    Ok(html(body))
}

fn error_page(state: &S, fail: Fail, language: Language) -> Response {
    page_error(state, fail, language, None, None)
}

/// An error as a page in the reader's language: inside the layout with the
/// menu when someone is signed in, what went wrong, what to do about it,
/// and a link back to where they were (`back`: the page the form was on).
fn page_error(
    state: &S,
    fail: Fail,
    language: Language,
    visit: Option<&Visit>,
    back: Option<String>,
) -> Response {
    if let Fail::Login(next) = &fail {
        return auth::redirect_to_login(next);
    }
    fail.log();
    let status = fail.status();
    let (message, todo) = error_words(&fail, language);
    let back = back.unwrap_or_else(|| "/".into());
    let extra = ErrorPage {
        status: status.as_u16(),
        message,
        todo,
        code: fail.code(),
        back,
    };
    let rendered = match visit {
        Some(visit) => render(state, visit, "error.html", "Something is not right", &extra).ok(),
        None => None,
    };
    let mut response = match rendered {
        Some(mut response) => {
            *response.status_mut() = status;
            response
        }
        None => {
            // Without a session: the page alone, without the menu.
            let context = BareErrorPage {
                lang: language.as_str(),
                title: i18n::t(language, "Something is not right"),
                error: &extra,
            };
            let body = state
                .views
                .render("error_bare.html", Value::from_serialize(&context))
                .unwrap_or_else(|e| view::escape(&e));
            (status, html(body)).into_response()
        }
    };
    fail.set_retry_after(response.headers_mut());
    response
}

/// The error page's view-model (`error.html`, and `error_bare.html`
/// without a session): what went wrong, what to do, a stable code and the
/// way back.
#[derive(Serialize)]
struct ErrorPage {
    status: u16,
    message: String,
    todo: String,
    code: &'static str,
    back: String,
}

#[derive(Serialize)]
struct BareErrorPage<'a> {
    lang: &'static str,
    title: &'a str,
    #[serde(flatten)]
    error: &'a ErrorPage,
}

/// The confirmations an action leaves behind (`?done=CODE&ref=…` on the
/// page it returns to), as the text with `{}` for each reference.
const DONE: &[(&str, &str)] = &[
    ("call", "Call recorded."),
    ("task", "Task done."),
    (
        "decision",
        "Decision about {} recorded; it is on the owner's list.",
    ),
    ("dismissed", "Suggestion for {} dismissed."),
    ("gift", "Gift to {} logged."),
    ("gift_approved", "Gift to {} approved."),
    ("gift_refused", "Gift to {} refused."),
    (
        "gift_waiting",
        "Gift to {} is over the quarter's budget: a credit manager decides.",
    ),
    (
        "thank_failed",
        "The thank-you to {} could not be delivered: see the message on the customer's page.",
    ),
    ("thanked", "Thank-you sent to {}."),
    ("dispute", "Dispute opened for invoice {}."),
    ("limit", "Credit limit saved."),
    ("note", "Note saved."),
    ("pause", "Dunning paused until {}."),
    ("pause_changed", "Dunning paused until {}."),
    ("hold_lifted", "Credit hold lifted."),
    ("pause_approved", "Pause approved."),
    (
        "pause_ended",
        "Dunning pause ended; the next run may remind again.",
    ),
    ("pause_rejected", "Pause refused."),
    ("pause_request", "Pause request sent to the credit team."),
    ("payment_assigned", "Payment {} assigned to customer {}."),
    ("payment_matched", "Payment {} matched to {}."),
    (
        "payment_matched_credit",
        "Payment {} matched to {}; {} stays as the customer's credit.",
    ),
    (
        "payment_credit_only",
        "Payment {} paid no invoice: nothing is open on {}. It stays as the customer's credit.",
    ),
    (
        "payment_assigned_credit",
        "Payment {} assigned to customer {}; nothing was open, so it stays as their credit.",
    ),
    (
        "payment_undone_credit",
        "Undone: payment {} is back on the list.",
    ),
    (
        "payment_undone",
        "Undone: payment {} is back on the list; {} open again.",
    ),
    ("plan", "Payment plan made."),
    (
        "portal_revoked",
        "Links to the customer's own page revoked ({}); the next message carries a new one.",
    ),
    ("promise", "Payment agreement saved: pays by {}."),
    ("resolved", "Dispute resolved for invoice {}."),
    (
        "sale_agreement",
        "Payment agreement made at the sale saved: {} days.",
    ),
    ("settings", "Settings saved."),
];

/// `url` with the confirmation `code` and its references added.
fn with_done(url: &str, code: &str, refs: &[&str]) -> String {
    let mut out = format!(
        "{url}{}done={code}",
        if url.contains('?') { '&' } else { '?' }
    );
    for r in refs {
        out.push_str("&ref=");
        out.push_str(&auth::encode(r));
    }
    out
}

/// The `done=CODE&ref=…` of a page reached by `here`: its path, the code
/// and up to three references (80 characters each).
fn done_of(here: &str) -> Option<(&str, String, Vec<String>)> {
    let (path, query) = here.split_once('?')?;
    let mut code = None;
    let mut refs = Vec::new();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = auth::decode(value);
        match key {
            "done" => code = Some(value),
            "ref" if refs.len() < 3 => refs.push(value.chars().take(80).collect::<String>()),
            _ => {}
        }
    }
    Some((path, code?, refs))
}

/// The confirmation to show for `done` ([`done_of`]) in `lang`; only the
/// codes of [`DONE`], references shown as text.
fn done_notice(done: &(&str, String, Vec<String>), lang: Language) -> Option<String> {
    let (_, code, refs) = done;
    let text = DONE.iter().find(|(c, _)| c == code)?.1;
    let mut out = i18n::t(lang, text).to_string();
    for r in refs {
        // A date or an amount (`€:cents`) reads in the page's format (a
        // confirmation is a sentence: a date in words).
        let amount = r.strip_prefix("€:").and_then(|c| c.parse::<i64>().ok());
        let shown = match (Date::parse_iso(r), amount) {
            (Ok(d), _) => tegoed_app::format::long_date(d, lang),
            (_, Some(cents)) => tegoed_app::format::money(cents, "EUR", lang),
            _ => r.clone(),
        };
        out = out.replacen("{}", &shown, 1);
    }
    // A name ending in a full stop (`B.V.`) ends the sentence too.
    Some(out.replace("{}", "–").replace("..", "."))
}

/// The undo offered with the confirmation `done` ([`done_of`]): the form
/// that takes the action back (posted with the session's CSRF token and
/// checked by its use case like any other action), for the actions that
/// can be taken back.
/// The form that takes an action back: where it posts and its fields.
#[derive(Serialize)]
struct Undo {
    action: String,
    fields: Vec<(&'static str, &'static str)>,
}

fn undo_of(done: &(&str, String, Vec<String>)) -> Option<Undo> {
    let (path, code, refs) = done;
    let first_ref = refs.first();
    match code.as_str() {
        // A match or an assignment: the payment back on the queue.
        "payment_matched"
        | "payment_matched_credit"
        | "payment_credit_only"
        | "payment_assigned"
        | "payment_assigned_credit" => Some(Undo {
            action: format!("/payments/{}/undo", auth::encode(first_ref?)),
            fields: Vec::new(),
        }),
        // A pause set a moment ago: ended again today.
        "pause" if path.starts_with("/customers/") => Some(Undo {
            action: format!("{path}/end-pause"),
            fields: vec![("undo", "1")],
        }),
        _ => None,
    }
}

/// What went wrong and what to do, in `language`. The English page shows
/// the use case's own words; the Dutch page shows them when they have a
/// Dutch version, and otherwise says in Dutch what kind of problem it is.
fn error_words(fail: &Fail, language: Language) -> (String, String) {
    match fail {
        // A form field's mistake says itself in both languages.
        Fail::Field(e) => (
            e.message(language),
            error_words_of(fail.code(), "", language).1,
        ),
        Fail::Refused(r) => (
            forms::refusal_message(r, language),
            error_words_of(fail.code(), "", language).1,
        ),
        _ => error_words_of(fail.code(), &fail.message(), language),
    }
}

/// [`error_words`] of an error kept as its code and English words.
fn error_words_of(code: &str, detail: &str, language: Language) -> (String, String) {
    let detail = detail.to_string();
    let todo = match code {
        "forbidden" => "Ask a credit manager or an administrator if you need this.",
        "not_found" => "Check the number, or search for it on the Customers page.",
        "invalid" => "Go back, correct what you entered and try again.",
        "conflict" | "csrf" => "Reload the page and try again.",
        "busy" => "Try again in a few seconds.",
        "rate_limited" => "Wait a moment and try again.",
        "internal" => "Try again, or ask your administrator.",
        _ => "Log in and try again.",
    };
    let message = match language {
        Language::En => detail,
        Language::Nl if i18n::has(&detail) => i18n::t(language, &detail).to_string(),
        Language::Nl => i18n::t(
            language,
            match code {
                "forbidden" => "Your role may not do this.",
                "not_found" => "This does not exist (any more).",
                "invalid" => "What was entered is not right.",
                "conflict" => "This was done or changed in the meantime (by someone else, or a dunning run is in progress); nothing of yours was changed.",
                "csrf" => "The form is stale or did not come from this site.",
                "busy" => "Tegoed is busy with other work (an import or a dunning run); nothing was changed.",
                "rate_limited" => "Too many attempts.",
                "internal" => "Something went wrong on the server; it has been logged.",
                _ => "Log in first.",
            },
        )
        .to_string(),
    };
    (message, i18n::t(language, todo).to_string())
}

/// Where the user came from, when it was a page of this site: the link
/// back on an error page.
fn came_from(headers: &HeaderMap) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let rest = referer
        .strip_prefix("http://")
        .or_else(|| referer.strip_prefix("https://"))?;
    let path = rest.strip_prefix(host)?;
    (path.starts_with('/') && !path.starts_with("//")).then(|| path.to_string())
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
            .unwrap_or_else(|f| {
                let back = came_from(&headers).filter(|b| b != target);
                page_error(&state, f, visit.user.language, Some(&visit), back)
            })
    })
    .await
}

/// A form post that renders a page (previews): CSRF-checked, no change.
async fn show_post<F: Input>(
    State(state): State<S>,
    headers: HeaderMap,
    uri: Uri,
    path: Option<Path<Params>>,
    body: Bytes,
    handler: PreviewFn<F>,
) -> Response {
    let path = path.map(|p| p.0).unwrap_or_default();
    blocking(state.clone(), move || {
        let visit = match auth::visit(&state, &headers, uri.path()) {
            Ok(v) => v,
            Err(f) => return error_page(&state, f, Language::Nl),
        };
        auth::refuse_nul(path.iter())
            .and_then(|()| read_form::<F>(&headers, &body, &visit).map_err(|(_, f)| f))
            .and_then(|(_, form)| handler(&state, &visit, &path, form))
            .unwrap_or_else(|f| {
                page_error(
                    &state,
                    f,
                    visit.user.language,
                    Some(&visit),
                    came_from(&headers),
                )
            })
    })
    .await
}

/// A state-changing form post: session, CSRF, the action, then a redirect
/// to where the handler says (with `done=…` for the confirmation). With
/// `again`, invalid input shows that page again with the message at the
/// form (422); otherwise every failure is an error page.
async fn act<F: Input>(
    State(state): State<S>,
    headers: HeaderMap,
    uri: Uri,
    path: Option<Path<Params>>,
    body: Bytes,
    handler: PostFn<F>,
    again: Option<PageFn>,
) -> Response {
    let path = path.map(|p| p.0).unwrap_or_default();
    blocking(state.clone(), move || {
        let visit = match auth::visit(&state, &headers, uri.path()) {
            Ok(v) => v,
            Err(f) => return error_page(&state, f, Language::Nl),
        };
        let (typed, outcome) = match auth::refuse_nul(path.iter())
            .map_err(|f| (Params::new(), f))
            .and_then(|()| read_form::<F>(&headers, &body, &visit))
        {
            Ok((typed, form)) => (typed, handler(&state, &visit, &path, form)),
            Err((typed, f)) => (typed, Err(f)),
        };
        // Which form on the page the mistake is about: the action's name.
        let form_name = path
            .get("action")
            .cloned()
            .or_else(|| uri.path().rsplit('/').next().map(str::to_string))
            .unwrap_or_default();
        match outcome {
            Ok(target) => {
                state.cache.invalidate(&state);
                Redirect::to(&target).into_response()
            }
            // A mistake in what was typed, or a number typed that does not
            // exist (an invoice, a customer named in the form): the page
            // again with the message at the form and what was typed.
            Err(
                fail @ (Fail::Invalid(_) | Fail::Field(_) | Fail::Refused(_) | Fail::NotFound(_)),
            ) if again.is_some() => {
                let lang = visit.user.language;
                let status = fail.status();
                let (field, message) = match fail {
                    Fail::NotFound(message) => (None, not_found_message(&message, lang)),
                    Fail::Field(e) => (
                        (!e.field.is_empty()).then(|| e.field.clone()),
                        e.message(lang),
                    ),
                    Fail::Refused(r) => (
                        r.field().map(str::to_string),
                        forms::refusal_message(&r, lang),
                    ),
                    Fail::Invalid(message) => {
                        let field = field_of(&message);
                        let shown = form_message(&message, field.as_deref(), lang);
                        (field, shown)
                    }
                    _ => unreachable!("matched above"),
                };
                let visit_again = Visit {
                    form_error: Some(auth::FormError {
                        form: form_name,
                        message,
                        field,
                        values: typed,
                    }),
                    ..visit
                };
                let page = again.expect("checked above");
                match page(&state, &visit_again, &path, &Params::new()) {
                    Ok(mut response) => {
                        *response.status_mut() = status;
                        response
                    }
                    Err(f) => page_error(&state, f, lang, Some(&visit_again), came_from(&headers)),
                }
            }
            Err(f) => page_error(
                &state,
                f,
                visit.user.language,
                Some(&visit),
                came_from(&headers),
            ),
        }
    })
    .await
}

/// A number typed in a form that does not exist, in the reader's
/// language: the use case's words in English (they name the number); in
/// Dutch what is wrong and what to do.
fn not_found_message(message: &str, lang: Language) -> String {
    match lang {
        Language::En => {
            let mut chars = message.chars();
            let first: String = chars.next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
            format!("{first}{}.", chars.as_str())
        }
        Language::Nl => {
            "Dat nummer bestaat niet (meer), of het hoort bij iets anders. Controleer het en probeer het opnieuw."
                .into()
        }
    }
}

/// The form field a use case's message is about: `'amount' …`,
/// `--amount …`, `amount: …`.
fn field_of(message: &str) -> Option<String> {
    let word = |text: &str| -> Option<String> {
        let name: String = text
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_' || *c == '-')
            .collect();
        (!name.is_empty()).then(|| name.replace('-', "_"))
    };
    message
        .strip_prefix('\'')
        .and_then(word)
        .or_else(|| message.strip_prefix("--").and_then(word))
        .or_else(|| {
            let (head, _) = message.split_once(':')?;
            (head.chars().all(|c| c.is_ascii_lowercase() || c == '_')).then(|| head.to_string())
        })
        .or_else(|| message.find(" --").and_then(|at| word(&message[at + 3..])))
        .or_else(|| message.find("(--").and_then(|at| word(&message[at + 3..])))
}

/// A form's mistake that is neither a field the form could not read
/// ([`forms::FieldError`]) nor a refusal known by kind
/// ([`tegoed_app::refusal::Refusal`]): the use case's words in English; in
/// Dutch the field it is about and what to do.
fn form_message(message: &str, field: Option<&str>, lang: Language) -> String {
    if lang == Language::En || i18n::has(message) {
        return i18n::t(lang, message).to_string();
    }
    match field.and_then(|f| forms::label(f, lang)) {
        Some(label) => {
            format!("{label}: wat is ingevuld klopt niet. Verbeter het en probeer het opnieuw.")
        }
        None => {
            "Wat is ingevuld klopt niet. Controleer het formulier en probeer het opnieuw.".into()
        }
    }
}

/// A form whose only field is where to go back to (a button).
#[derive(Deserialize)]
struct BackForm {
    #[serde(default)]
    back: Back,
}

/// A field the form needs that was left empty.
fn missing(name: &str) -> Fail {
    Fail::Field(forms::FieldError::new(name, forms::Problem::Missing))
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

fn money_field(form: &Params, name: &str) -> Result<Money, Fail> {
    let text = field(form, name)?;
    tegoed_core::money::parse_typed_amount(text, 2)
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
        .map(|s| s.name(lang).to_string())
        .unwrap_or_default()
}

/// What people read for a strategy id: its `name_nl`/`name_en`.
fn strategy_label(config: &tegoed_app::config::Config, id: &str, lang: Language) -> String {
    match config.strategy(id) {
        Some(s) => s.name(lang).to_string(),
        None => id.replace('_', " "),
    }
}

/// Something chosen by id and shown by name (a segment, an account
/// manager, a strategy).
#[derive(Serialize)]
struct Named {
    id: String,
    name: String,
}

/// What people read for a segment id: its `name_nl`/`name_en`.
fn segment_label(config: &tegoed_app::config::Config, id: &str, lang: Language) -> String {
    match config.segment(id) {
        Some(s) => s.name(lang).to_string(),
        // A thank-you is recorded under `appreciation`.
        None if i18n::has(id) => i18n::t(lang, id).to_string(),
        None => id.replace('_', " "),
    }
}

/// What people read for a step of the strategy of segment `segment`: the
/// kind of step (`vriendelijk bericht vooraf`, `laatste aanmaning`).
fn step_label(
    config: &tegoed_app::config::Config,
    segment: &str,
    step: &str,
    lang: Language,
) -> String {
    let kind = config
        .segments
        .iter()
        .find(|s| s.id == segment)
        .and_then(|s| config.strategy(&s.strategy))
        .and_then(|s| s.steps.iter().find(|x| x.id == step))
        .map_or(step, |s| s.kind.as_str());
    i18n::t(lang, kind).to_string()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A page's confirmation, as the layout shows it.
    fn notice(here: &str, lang: Language) -> Option<String> {
        done_of(here).and_then(|d| done_notice(&d, lang))
    }

    #[test]
    fn every_confirmation_has_dutch_and_reads_its_references() {
        for (code, text) in DONE {
            assert!(i18n::has(text), "no Dutch for {code}: {text}");
        }
        let url = with_done(
            "/payments",
            "payment_matched",
            &["1234", "2026-0042, 2026-0043"],
        );
        assert_eq!(
            url,
            "/payments?done=payment_matched&ref=1234&ref=2026-0042%2C%202026-0043"
        );
        assert_eq!(
            notice(&url, Language::Nl).as_deref(),
            Some("Betaling 1234 gekoppeld aan 2026-0042, 2026-0043.")
        );
        let url = with_done("/customers/C1?x=1", "promise", &["2026-12-05"]);
        assert_eq!(
            notice(&url, Language::Nl).as_deref(),
            Some("Betaalafspraak bewaard: betaalt uiterlijk 5 december 2026.")
        );
        assert_eq!(
            notice(&url, Language::En).as_deref(),
            Some("Payment agreement saved: pays by 5 December 2026.")
        );
        // Only known codes; a reference is text, never markup of its own.
        assert_eq!(notice("/x?done=<script>", Language::Nl), None);
        assert_eq!(notice("/x", Language::Nl), None);
    }
}
