//! Signing in and out, the start page, and the language switch.

use super::*;

pub(super) async fn home(State(state): State<S>, headers: HeaderMap) -> Response {
    blocking(state.clone(), move || {
        match auth::visit(&state, &headers, "/") {
            Ok(v) if v.user.role == Role::Sales => Redirect::to("/my").into_response(),
            Ok(_) => Redirect::to("/today").into_response(),
            Err(f) => error_page(&state, f, Language::Nl),
        }
    })
    .await
}

pub(super) fn login_token(state: &S) -> String {
    // The login form's signed double-submit token; a failure leaves it
    // empty, which no post can match.
    access::new_login_token(&state.login_key).unwrap_or_default()
}

pub(super) fn login_page(
    state: &S,
    language: Language,
    next: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let token = login_token(state);
    /// The login page's view-model (`login.html`).
    #[derive(Serialize)]
    struct LoginPage<'a> {
        lang: &'static str,
        title: &'a str,
        next: &'a str,
        login_token: &'a str,
        error: Option<String>,
    }
    let context = LoginPage {
        lang: language.as_str(),
        title: i18n::t(language, "Log in"),
        next,
        login_token: &token,
        error,
    };
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

pub(super) fn page_language(query: &Params) -> Language {
    match query.get("lang").map(String::as_str) {
        Some("en") => Language::En,
        _ => Language::Nl,
    }
}

pub(super) async fn login_form(State(state): State<S>, Query(query): Query<Params>) -> Response {
    blocking(state.clone(), move || {
        let next = query.get("next").cloned().unwrap_or_else(|| "/".into());
        login_page(&state, page_language(&query), &next, None, StatusCode::OK)
    })
    .await
}

pub(super) async fn login(
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
        let ip = auth::client_of(&headers, &client);
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

pub(super) async fn logout(
    State(state): State<S>,
    headers: HeaderMap,
    Form(form): Form<Params>,
) -> Response {
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

#[derive(Deserialize)]
pub(super) struct LanguageForm {
    language: forms::Lang,
    #[serde(default)]
    back: Back,
}

pub(super) fn set_language(
    state: &S,
    visit: &Visit,
    _: &Params,
    form: LanguageForm,
) -> Result<String, Fail> {
    state.write(|tx| access::set_language(tx, &visit.actor(), form.language.0))?;
    Ok(form.back.or("/"))
}
