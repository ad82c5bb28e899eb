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
