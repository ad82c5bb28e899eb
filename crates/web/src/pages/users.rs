//! Users, roles and API tokens.

use super::*;

/// The audit log's columns (sortable and exportable).
const AUDIT: &[Column] = &[
    column("at", "When (UTC)"),
    column("who", "Who"),
    column("what", "What"),
    column("about", "About"),
    column("detail", "Details"),
];

/// The newest lines of the audit log the page shows and exports.
const AUDIT_LINES: u32 = 1000;

fn audit_listing(
    state: &S,
    query: &Params,
    lang: Language,
) -> Result<Listing<tegoed_app::access::AuditLine>, Fail> {
    let lines = state.read(|tx| access::audit_log(tx, AUDIT_LINES))?;
    let rows = lines
        .into_iter()
        .map(|a| {
            let cells = vec![
                Cell::Moment(a.at),
                Cell::Text(a.actor.clone()),
                Cell::Text(i18n::t(lang, &a.action).to_string()),
                Cell::Text(a.subject.clone()),
                Cell::Text(a.detail.clone()),
            ];
            (cells, a)
        })
        .collect();
    Ok(Listing::new(AUDIT, rows).sort(query))
}

pub(super) fn users_context(
    state: &S,
    query: &Params,
    lang: Language,
) -> Result<serde_json::Value, Fail> {
    let managers: Vec<_> = managers(state)?.into_iter().map(|(_, n)| n).collect();
    let audit = audit_listing(state, query, lang)?;
    Ok(json!({
        "users": state.read(access::users)?,
        "audit": audit.items().into_iter().take(200).collect::<Vec<_>>(),
        "list": audit.head(&listing::base_of("/users", query), lang),
        "managers": managers,
        "roles": Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
    }))
}

pub(super) fn users(
    state: &S,
    visit: &Visit,
    _: &Params,
    query: &Params,
) -> Result<Response, Fail> {
    require(&visit.user, Action::ManageUsers, None)?;
    let lang = visit.user.language;
    let name = if lang == Language::Nl {
        "auditlog"
    } else {
        "audit-log"
    };
    if let Some(file) = audit_listing(state, query, lang)?.export(query, lang, name) {
        return Ok(file);
    }
    render(
        state,
        visit,
        "users.html",
        "Users",
        users_context(state, query, lang)?,
    )
}

/// Adding a user or making an API token answers with the page (the token is
/// shown once, so no redirect).
pub(super) fn user_action(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: &Params,
) -> Result<Response, Fail> {
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
            context = users_context(state, &Params::new(), visit.user.language)?;
            context["added"] = json!(line.email);
        }
        "token" => {
            let email = field(form, "email")?;
            let name = field(form, "name")?;
            let token = state.write(|tx| access::create_api_token(tx, &actor, email, name))?;
            context = users_context(state, &Params::new(), visit.user.language)?;
            context["token"] = json!({"email": email, "name": name, "value": token});
        }
        "update" => {
            let email = field(form, "email")?;
            let role = opt(form, "role").and_then(Role::parse);
            let disabled = opt(form, "disabled").map(|d| d == "1");
            state.write(|tx| access::update_user(tx, &actor, email, role, None, disabled))?;
            context = users_context(state, &Params::new(), visit.user.language)?;
            context["updated"] = json!(email);
        }
        other => return Err(Fail::NotFound(format!("no action '{other}'"))),
    }
    render(state, visit, "users.html", "Users", context)
}
