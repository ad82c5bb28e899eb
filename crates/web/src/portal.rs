//! The customer's own page, `/p/<token>`: no login, the link is the key.
//!
//! Every answer for a link that does not open a page (unknown, malformed,
//! expired, revoked) is the same neutral page with the same status, so
//! trying links teaches nothing; a client that tries too many is made to
//! wait (429). Forms carry a token signed for this link (CSRF), actions are
//! limited per client, and every page is sent with `Referrer-Policy:
//! no-referrer` so the link never leaks to another site (a "pay now"
//! provider, say). The customer comes from the link, never from a form:
//! nothing of another customer is reachable.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::Value;
use serde::Serialize;
use tegoed_app::access;
use tegoed_app::portal::{self, Ask, FieldError};
use tegoed_core::portal::{Contact, DayPart, Problem};
use tegoed_core::{Date, Language};
use tegoed_store::StoredCustomer;

use crate::{AppState, blocking};

type S = Arc<AppState>;
type Params = HashMap<String, String>;

pub fn routes() -> Router<S> {
    Router::new()
        .route("/p/{token}", get(show))
        .route("/p/{token}/statement.pdf", get(statement))
        .route("/p/{token}/girocode.png", get(girocode))
        .route("/p/{token}/done/{id}", get(done))
        .route("/p/{token}/{action}", post(act))
        .route("/static/portal.css", get(css))
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/portal.css"),
    )
        .into_response()
}

/// Headers of every portal answer.
fn secure(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, "no-store".parse().expect("static"));
    h.insert(header::X_FRAME_OPTIONS, "DENY".parse().expect("static"));
    h.insert(
        header::REFERRER_POLICY,
        "no-referrer".parse().expect("static"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'none'; \
         form-action 'self'; frame-ancestors 'none'"
            .parse()
            .expect("static"),
    );
    h.insert("x-content-type-options", "nosniff".parse().expect("static"));
    h.insert("x-robots-tag", "noindex, nofollow".parse().expect("static"));
    response
}

fn language_of(query: &Params, stored: Option<&StoredCustomer>) -> Language {
    match query.get("lang").map(String::as_str) {
        Some("en") => Language::En,
        Some("nl") => Language::Nl,
        _ => stored.map_or(Language::Nl, |s| s.customer.language),
    }
}

fn render(state: &S, name: &str, status: StatusCode, context: impl Serialize) -> Response {
    match state.views.render(name, Value::from_serialize(&context)) {
        Ok(body) => secure((status, axum::response::Html(body)).into_response()),
        Err(e) => {
            tracing::error!(error = %e, "portal page");
            secure((StatusCode::INTERNAL_SERVER_ERROR, "").into_response())
        }
    }
}

/// The view-model of `portal_gone.html`: the page for a link that opens
/// nothing, and for what went wrong (too many tries, a form from an old
/// page, busy, broken), with how to reach the company instead.
#[derive(Serialize, Default)]
struct GonePage {
    lang: &'static str,
    company: String,
    phone: Option<String>,
    email: Option<String>,
    /// The way back to the customer's page (when the link did open).
    base: Option<String>,
    limited: bool,
    broken: bool,
    expired_form: bool,
    busy: bool,
}

impl GonePage {
    fn of(state: &S, language: Language) -> GonePage {
        let live = state.live();
        let company = &live.config.company;
        GonePage {
            lang: language.as_str(),
            company: company.name.clone(),
            phone: company.phone.clone(),
            email: company.email.clone(),
            ..GonePage::default()
        }
    }
}

/// The one page for every link that opens nothing.
fn gone(state: &S, language: Language, status: StatusCode) -> Response {
    let page = GonePage {
        limited: status == StatusCode::TOO_MANY_REQUESTS,
        ..GonePage::of(state, language)
    };
    render(state, "portal_gone.html", status, page)
}

fn internal(state: &S, language: Language, error: impl std::fmt::Display) -> Response {
    tracing::error!(error = %error, "portal");
    let page = GonePage {
        broken: true,
        ..GonePage::of(state, language)
    };
    render(
        state,
        "portal_gone.html",
        StatusCode::INTERNAL_SERVER_ERROR,
        page,
    )
}

/// The customer a link opens, or the answer to give instead.
fn opened(
    state: &S,
    headers: &HeaderMap,
    client: &std::net::SocketAddr,
    token: &str,
    query: &Params,
) -> Result<StoredCustomer, Box<Response>> {
    let now = crate::now();
    let ip = crate::auth::client_of(headers, client);
    let language = language_of(query, None);
    if !state.live().config.portal.enabled {
        return Err(Box::new(gone(state, language, StatusCode::NOT_FOUND)));
    }
    if state.limiter.portal_blocked(&ip, now).is_some() {
        return Err(Box::new(gone(
            state,
            language,
            StatusCode::TOO_MANY_REQUESTS,
        )));
    }
    let as_of = state.as_of();
    match state.read(|tx| portal::open(tx, token, as_of)) {
        Ok(Some(stored)) => Ok(stored),
        Ok(None) => {
            state.limiter.portal_failed(&ip, now);
            Err(Box::new(gone(state, language, StatusCode::NOT_FOUND)))
        }
        Err(e) => Err(Box::new(internal(state, language, e.message()))),
    }
}

fn risk_class(state: &S, stored: &StoredCustomer) -> Option<char> {
    state
        .cache
        .portfolio(state, false)
        .ok()
        .and_then(|book| book.row_by_id(stored.id).and_then(|r| r.risk_class))
}

/// The page, perhaps with a form's error and what was typed.
fn page(
    state: &S,
    token: &str,
    stored: &StoredCustomer,
    language: Language,
    form: Option<(&str, &FieldError, &Params)>,
) -> Response {
    let live = state.live();
    let as_of = state.as_of();
    let class = risk_class(state, stored);
    let view = match state.read(|tx| portal::page(tx, &live.config, stored, class, language, as_of))
    {
        Ok(view) => view,
        Err(e) => return internal(state, language, e.message()),
    };
    let form_token = access::new_portal_form_token(&state.login_key, token).unwrap_or_default();
    let problems = Problem::ALL
        .iter()
        .map(|p| ProblemChoice {
            code: p.as_str(),
            label: p.label(language),
        })
        .collect();
    let (status, error, bad) = match form {
        Some((action, e, typed)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(PortalError {
                action,
                field: e.field,
                message: &e.message,
                typed,
            }),
            format!("{action}-{}", e.field),
        ),
        None => (StatusCode::OK, None, String::new()),
    };
    render(
        state,
        "portal.html",
        status,
        PortalPage {
            lang: language.as_str(),
            other_lang: other_language(language),
            base: format!("/p/{token}"),
            page: view,
            csrf: form_token,
            problems,
            error,
            bad,
        },
    )
}

/// The view-model of `portal.html`: the customer's page, its forms' token,
/// the problems they can report, and a refused form's mistake with what
/// was typed.
#[derive(Serialize)]
struct PortalPage<'a> {
    lang: &'static str,
    other_lang: &'static str,
    base: String,
    page: portal::Page,
    csrf: String,
    problems: Vec<ProblemChoice>,
    error: Option<PortalError<'a>>,
    /// `{action}-{field}`: the field to mark.
    bad: String,
}

#[derive(Serialize)]
struct ProblemChoice {
    code: &'static str,
    label: &'static str,
}

/// A refused form: which form, which field, why, and what was typed.
#[derive(Serialize)]
struct PortalError<'a> {
    action: &'a str,
    field: &'static str,
    message: &'a str,
    typed: &'a Params,
}

/// The language the page offers to switch to.
fn other_language(language: Language) -> &'static str {
    match language {
        Language::Nl => "en",
        Language::En => "nl",
    }
}

/// The view-model of `portal_done.html`: what the customer just did.
#[derive(Serialize)]
struct DonePage<'a> {
    lang: &'static str,
    other_lang: &'static str,
    base: String,
    company: &'a str,
    receipt: portal::Receipt,
    id: i64,
    emailed: bool,
}

async fn show(
    State(state): State<S>,
    ConnectInfo(client): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(query): Query<Params>,
) -> Response {
    blocking(state.clone(), move || {
        match opened(&state, &headers, &client, &token, &query) {
            Ok(stored) => {
                let language = language_of(&query, Some(&stored));
                page(&state, &token, &stored, language, None)
            }
            Err(answer) => *answer,
        }
    })
    .await
}

/// The page of the customer a link opens (with its language), or the
/// answer to give instead.
fn opened_page(
    state: &S,
    headers: &HeaderMap,
    client: &std::net::SocketAddr,
    token: &str,
    query: &Params,
) -> Result<(portal::Page, Language), Box<Response>> {
    let stored = opened(state, headers, client, token, query)?;
    let language = language_of(query, Some(&stored));
    let live = state.live();
    let as_of = state.as_of();
    state
        .read(|tx| {
            portal::page(
                tx,
                &live.config,
                &stored,
                risk_class(state, &stored),
                language,
                as_of,
            )
        })
        .map(|view| (view, language))
        .map_err(|e| Box::new(internal(state, language, e.message())))
}

async fn statement(
    State(state): State<S>,
    ConnectInfo(client): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(query): Query<Params>,
) -> Response {
    blocking(state.clone(), move || {
        match opened_page(&state, &headers, &client, &token, &query) {
            Ok((view, language)) => {
                let pdf = portal::statement_pdf(&state.live().config, &view, language);
                let name = match language {
                    Language::Nl => format!("overzicht-{}.pdf", view.number),
                    Language::En => format!("statement-{}.pdf", view.number),
                };
                let name: String = name
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || ".-".contains(c) {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                secure(
                    (
                        [
                            (header::CONTENT_TYPE, "application/pdf".to_string()),
                            (
                                header::CONTENT_DISPOSITION,
                                format!("attachment; filename=\"{name}\""),
                            ),
                        ],
                        pdf,
                    )
                        .into_response(),
                )
            }
            Err(answer) => *answer,
        }
    })
    .await
}

async fn girocode(
    State(state): State<S>,
    ConnectInfo(client): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(query): Query<Params>,
) -> Response {
    blocking(state.clone(), move || {
        let (view, language) = match opened_page(&state, &headers, &client, &token, &query) {
            Ok(found) => found,
            Err(answer) => return *answer,
        };
        let png = portal::girocode_png(&view);
        match png {
            Some(png) => secure(([(header::CONTENT_TYPE, "image/png")], png).into_response()),
            None => gone(&state, language, StatusCode::NOT_FOUND),
        }
    })
    .await
}

async fn done(
    State(state): State<S>,
    ConnectInfo(client): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Path((token, id)): Path<(String, String)>,
    Query(query): Query<Params>,
) -> Response {
    blocking(state.clone(), move || {
        let stored = match opened(&state, &headers, &client, &token, &query) {
            Ok(stored) => stored,
            Err(answer) => return *answer,
        };
        let language = language_of(&query, Some(&stored));
        let live = state.live();
        let as_of = state.as_of();
        // An unknown confirmation answers exactly like an unknown link
        // (same page, same language rule): nothing tells a valid link
        // from an invalid one.
        let neutral = language_of(&query, None);
        let Ok(id) = id.parse::<i64>() else {
            return gone(&state, neutral, StatusCode::NOT_FOUND);
        };
        match state.read(|tx| portal::receipt(tx, &live.config, &stored, id, language, as_of)) {
            Ok(Some(receipt)) => render(
                &state,
                "portal_done.html",
                StatusCode::OK,
                DonePage {
                    lang: language.as_str(),
                    other_lang: other_language(language),
                    base: format!("/p/{token}"),
                    company: &live.config.company.name,
                    receipt,
                    id,
                    emailed: stored.customer.email.is_some(),
                },
            ),
            Ok(None) => gone(&state, neutral, StatusCode::NOT_FOUND),
            Err(e) => internal(&state, language, e.message()),
        }
    })
    .await
}

fn field_error(field: &'static str, language: Language, nl: &str, en: &str) -> FieldError {
    FieldError {
        field,
        message: if language == Language::Nl { nl } else { en }.to_string(),
    }
}

fn date_field(form: &Params, name: &'static str, language: Language) -> Result<Date, FieldError> {
    let text = form.get(name).map(|s| s.trim()).unwrap_or("");
    Date::parse_iso(text)
        .or_else(|_| Date::parse_lenient(text))
        .map_err(|_| {
            field_error(
                name,
                language,
                "Vul een datum in, zoals 15-12-2026.",
                "Fill in a date, such as 15-12-2026.",
            )
        })
}

fn amount_field(form: &Params, language: Language) -> Result<i64, FieldError> {
    match form
        .get("amount")
        .and_then(|a| portal::parse_customer_amount(a))
    {
        Some(minor) if minor > 0 => Ok(minor),
        Some(_) => Err(field_error(
            "amount",
            language,
            "Het bedrag moet meer dan € 0 zijn.",
            "The amount must be more than € 0.",
        )),
        None => Err(field_error(
            "amount",
            language,
            "Vul een bedrag in, zoals 1.250,00.",
            "Fill in an amount, such as 1,250.00.",
        )),
    }
}

/// The form, read into what the customer asks.
fn ask_of(action: &str, form: &Params, language: Language) -> Option<Result<Ask, FieldError>> {
    let note = form.get("note").and_then(|n| portal::clean_note(n));
    Some((|| -> Result<Ask, FieldError> {
        Ok(match action {
            "paid" => Ask::Paid {
                on: date_field(form, "on", language)?,
                amount_minor: amount_field(form, language)?,
                note,
            },
            "promise" => Ask::Promise {
                on: date_field(form, "on", language)?,
                amount_minor: amount_field(form, language)?,
                note,
            },
            "plan" => Ask::Plan {
                instalments: form
                    .get("instalments")
                    .and_then(|n| n.trim().parse().ok())
                    .ok_or_else(|| {
                        field_error(
                            "instalments",
                            language,
                            "Kies het aantal termijnen.",
                            "Choose the number of instalments.",
                        )
                    })?,
                first: date_field(form, "first", language)?,
                note,
            },
            "problem" => Ask::Problem {
                invoice: form
                    .get("invoice")
                    .map(|s| s.trim().to_string())
                    .unwrap_or_default(),
                problem: form
                    .get("reason")
                    .and_then(|r| Problem::parse(r.trim()))
                    .ok_or_else(|| {
                        field_error(
                            "reason",
                            language,
                            "Kies wat er is.",
                            "Choose what is wrong.",
                        )
                    })?,
                note,
            },
            "contact" => Ask::Contact {
                how: form
                    .get("how")
                    .and_then(|h| Contact::parse(h.trim()))
                    .ok_or_else(|| {
                        field_error(
                            "how",
                            language,
                            "Kies hoe we contact opnemen.",
                            "Choose how we get in touch.",
                        )
                    })?,
                when: form
                    .get("when")
                    .and_then(|w| DayPart::parse(w.trim()))
                    .unwrap_or(DayPart::Any),
                phone: form
                    .get("phone")
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty()),
                note,
            },
            _ => return Err(field_error("action", language, "", "")),
        })
    })())
    .filter(|r| !matches!(r, Err(e) if e.field == "action"))
}

async fn act(
    State(state): State<S>,
    ConnectInfo(client): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Path((token, action)): Path<(String, String)>,
    Query(query): Query<Params>,
    Form(form): Form<Params>,
) -> Response {
    blocking(state.clone(), move || {
        let stored = match opened(&state, &headers, &client, &token, &query) {
            Ok(stored) => stored,
            Err(answer) => return *answer,
        };
        let language = match form.get("lang").map(String::as_str) {
            Some("en") => Language::En,
            Some("nl") => Language::Nl,
            _ => language_of(&query, Some(&stored)),
        };
        // A form from this page, for this link, from this site.
        let cross_site = headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == "cross-site");
        let signed = form
            .get("csrf")
            .is_some_and(|t| access::portal_form_token_ok(&state.login_key, &token, t));
        if cross_site || !signed {
            return render(
                &state,
                "portal_gone.html",
                StatusCode::FORBIDDEN,
                GonePage {
                    expired_form: true,
                    base: Some(format!("/p/{token}")),
                    ..GonePage::of(&state, language)
                },
            );
        }
        let now = crate::now();
        let ip = crate::auth::client_of(&headers, &client);
        if state.limiter.portal_acts_blocked(&ip, now).is_some() {
            return gone(&state, language, StatusCode::TOO_MANY_REQUESTS);
        }
        state.limiter.portal_acted(&ip, now);
        let ask = match ask_of(&action, &form, language) {
            None => return gone(&state, language, StatusCode::NOT_FOUND),
            Some(Err(e)) => {
                return page(
                    &state,
                    &token,
                    &stored,
                    language,
                    Some((&action, &e, &form)),
                );
            }
            Some(Ok(ask)) => ask,
        };
        let live = state.live();
        let as_of = state.as_of();
        let class = risk_class(&state, &stored);
        let outcome = state
            .write(|tx| portal::act(tx, &live.config, &stored, &ask, class, language, as_of, now));
        match outcome {
            Ok(Ok(receipt)) => {
                let link = format!("{}/p/{token}", live.config.portal.base_url());
                if let Err(e) = portal::send_confirmation(
                    &live.config,
                    &stored,
                    &receipt,
                    language,
                    Some(&link),
                ) {
                    tracing::error!(error = %e, request = receipt.id, "portal confirmation e-mail");
                }
                secure(
                    Redirect::to(&format!(
                        "/p/{token}/done/{}?lang={}",
                        receipt.id,
                        language.as_str()
                    ))
                    .into_response(),
                )
            }
            Ok(Err(e)) => page(
                &state,
                &token,
                &stored,
                language,
                Some((&action, &e, &form)),
            ),
            Err(crate::auth::Fail::Busy | crate::auth::Fail::Conflict(_)) => render(
                &state,
                "portal_gone.html",
                StatusCode::SERVICE_UNAVAILABLE,
                GonePage {
                    busy: true,
                    base: Some(format!("/p/{token}")),
                    ..GonePage::of(&state, language)
                },
            ),
            Err(e) => internal(&state, language, e.message()),
        }
    })
    .await
}
