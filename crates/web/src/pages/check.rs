//! The pre-sale check.

use super::*;

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

pub(super) fn check(
    state: &S,
    visit: &Visit,
    _: &Params,
    query: &Params,
) -> Result<Response, Fail> {
    let lang = visit.user.language;
    let asked = opt(query, "amount").is_some();
    // A customer asked by name (or part of a number): the one customer it
    // fits is checked; several are offered to choose from.
    let mut query = query.clone();
    let mut choices: Vec<serde_json::Value> = Vec::new();
    if let Some(typed) = opt(&query, "customer").map(str::to_string)
        && opt(&query, "new").is_none()
    {
        let book = portfolio(state, false)?;
        if book.row_of(&typed).is_none() {
            let filter = Filter {
                query: Some(typed.clone()),
                ..Filter::default()
            };
            let (total, hits) = book.search(&filter, 0, 10);
            if total == 1 {
                query.insert("customer".into(), hits[0].number.clone());
            } else {
                choices = hits
                    .iter()
                    .map(|r| json!({"number": r.number, "name": r.name}))
                    .collect();
            }
        }
    }
    let (result, error) = if asked {
        let live = state.live();
        let run = || -> Result<_, Fail> {
            let request = check_request(&query, lang)?;
            let as_of = state.as_of();
            state.read(|tx| Checker::new(tx, &live.config)?.check(tx, &request, as_of))
        };
        match run() {
            Ok(r) => (Some(r), None),
            Err(Fail::Internal(m)) => return Err(Fail::Internal(m)),
            Err(Fail::NotFound(_)) => {
                let typed = opt(&query, "customer").unwrap_or("");
                (
                    None,
                    Some(match lang {
                        Language::Nl => format!(
                            "Geen klant gevonden voor '{typed}'. Zoek het klantnummer op bij Klanten, of vul voor een nieuwe klant de naam in."
                        ),
                        Language::En => format!(
                            "No customer found for '{typed}'. Look the customer number up under Customers, or fill in the name for a new customer."
                        ),
                    }),
                )
            }
            Err(Fail::Invalid(message)) => {
                let field = field_of(&message);
                (None, Some(form_message(&message, field.as_deref(), lang)))
            }
            Err(f) => (None, Some(error_words(&f, lang).0)),
        }
    } else {
        (None, None)
    };
    render(
        state,
        visit,
        "check.html",
        "Pre-sale check",
        json!({"q": query, "r": result, "error": error, "choices": choices}),
    )
}
