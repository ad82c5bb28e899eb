//! Users, roles and API tokens.

use super::*;
use tegoed_app::audit;

/// The audit log's columns (sortable and exportable).
const AUDIT: &[Column] = &[
    column("at", "When (UTC)"),
    column("who", "Who"),
    column("what", "What"),
    column("about", "About"),
    column("detail", "Details"),
];

/// Who did it, for people: a user by e-mail address, a customer on their
/// own page, or the command line acting for someone.
fn actor_label(actor: &str, lang: Language) -> String {
    if let Some(customer) = actor.strip_prefix("portal:") {
        return format!("{} {customer}", i18n::t(lang, "the customer"));
    }
    match actor.strip_prefix("cli:") {
        Some("command line") => i18n::t(lang, "command line").to_string(),
        Some(name) => format!("{name} ({})", i18n::t(lang, "command line")),
        None => actor.to_string(),
    }
}

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
        .map(|mut a| {
            a.detail = audit::show(&a.detail, lang, &|key| i18n::t(lang, key).to_string());
            a.actor = actor_label(&a.actor, lang);
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

/// The users page's view-model (`users.html`): the users, the audit log,
/// and what was just done (a user added or changed, a token made: shown
/// once).
#[derive(Serialize)]
pub(super) struct UsersPage {
    users: Vec<access::UserLine>,
    /// The newest 200 lines of the audit log, in the list's order.
    audit: Vec<access::AuditLine>,
    list: listing::Head,
    /// Account managers' names, to link a salesperson to.
    managers: Vec<String>,
    roles: Vec<&'static str>,
    added: Option<String>,
    updated: Option<String>,
    token: Option<NewToken>,
}

/// An API token just made, shown this once.
#[derive(Serialize)]
pub(super) struct NewToken {
    email: String,
    name: String,
    value: String,
}

pub(super) fn users_context(state: &S, query: &Params, lang: Language) -> Result<UsersPage, Fail> {
    let managers: Vec<_> = managers(state)?.into_iter().map(|(_, n)| n).collect();
    let audit = audit_listing(state, query, lang)?;
    Ok(UsersPage {
        users: state.read(access::users)?,
        list: audit.head(&listing::base_of("/users", query), lang),
        audit: audit.items().into_iter().take(200).cloned().collect(),
        managers,
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        added: None,
        updated: None,
        token: None,
    })
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

/// A role as the form names it (`credit_manager`).
#[derive(Clone, Copy, Debug)]
pub(super) struct RoleField(Role);

impl forms::FormValue for RoleField {
    fn from_text(text: &str) -> Result<Self, forms::Problem> {
        Role::parse(text)
            .map(RoleField)
            .ok_or_else(|| forms::Problem::NotAChoice {
                text: text.chars().take(40).collect(),
            })
    }
}

impl<'de> Deserialize<'de> for RoleField {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        forms::required(d)
    }
}

#[derive(Deserialize)]
pub(super) struct NewUserForm {
    email: Text,
    #[serde(default, deserialize_with = "forms::optional")]
    name: Option<Text>,
    role: RoleField,
    #[serde(default, deserialize_with = "forms::optional")]
    language: Option<forms::Lang>,
    /// Not trimmed: a password is what was typed. Empty: the user sets one
    /// with a link (the use case decides what it accepts).
    #[serde(default)]
    password: String,
    #[serde(default, deserialize_with = "forms::optional")]
    account_manager: Option<Text>,
}

/// Adding a user answers with the page (no redirect), like making an API
/// token and changing a user.
pub(super) fn add_user(
    state: &S,
    visit: &Visit,
    _: &Params,
    form: NewUserForm,
) -> Result<Response, Fail> {
    let new = access::NewUser {
        email: form.email.as_str(),
        name: form.name.as_ref().map(Text::as_str),
        role: form.role.0,
        language: form.language.map_or(Language::Nl, |l| l.0),
        password: &form.password,
        account_manager: form.account_manager.as_ref().map(Text::as_str),
    };
    let line = state.write(|tx| access::add_user(tx, &visit.actor(), &new))?;
    let mut context = users_context(state, &Params::new(), visit.user.language)?;
    context.added = Some(line.email);
    render(state, visit, "users.html", "Users", context)
}

#[derive(Deserialize)]
pub(super) struct TokenForm {
    email: Text,
    /// What the token is for (`boekhouding`).
    name: Text,
}

/// An API token is shown once, on the page this answers with.
pub(super) fn create_token(
    state: &S,
    visit: &Visit,
    _: &Params,
    form: TokenForm,
) -> Result<Response, Fail> {
    let (email, name) = (form.email.as_str(), form.name.as_str());
    let token = state.write(|tx| access::create_api_token(tx, &visit.actor(), email, name))?;
    let mut context = users_context(state, &Params::new(), visit.user.language)?;
    context.token = Some(NewToken {
        email: email.to_string(),
        name: name.to_string(),
        value: token,
    });
    render(state, visit, "users.html", "Users", context)
}

#[derive(Deserialize)]
pub(super) struct UpdateUserForm {
    email: Text,
    #[serde(default, deserialize_with = "forms::optional")]
    role: Option<RoleField>,
    /// `1` disables the user, `0` enables them again.
    #[serde(default, deserialize_with = "forms::optional")]
    disabled: Option<Whole<0, 1>>,
}

pub(super) fn update_user(
    state: &S,
    visit: &Visit,
    _: &Params,
    form: UpdateUserForm,
) -> Result<Response, Fail> {
    let email = form.email.as_str();
    let role = form.role.map(|r| r.0);
    let disabled = form.disabled.map(|d| d.0 == 1);
    state.write(|tx| access::update_user(tx, &visit.actor(), email, role, None, disabled))?;
    let mut context = users_context(state, &Params::new(), visit.user.language)?;
    context.updated = Some(email.to_string());
    render(state, visit, "users.html", "Users", context)
}
