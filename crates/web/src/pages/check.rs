//! The pre-sale check.

use super::*;

/// The check's form: the order's amount and terms, and a customer number
/// or (with `new`) a prospect's name, KvK number, industry and kind.
#[derive(Deserialize)]
struct CheckForm {
    amount: Amount,
    #[serde(default, deserialize_with = "forms::optional")]
    terms: Option<Whole<0, 365>>,
    #[serde(default, deserialize_with = "forms::optional")]
    customer: Option<Text>,
    #[serde(default, deserialize_with = "forms::optional")]
    new: Option<Text>,
    #[serde(default, deserialize_with = "forms::optional")]
    name: Option<Text>,
    #[serde(default, deserialize_with = "forms::optional")]
    kvk: Option<Text>,
    #[serde(default, deserialize_with = "forms::optional")]
    industry: Option<Text>,
    #[serde(default, deserialize_with = "forms::optional")]
    kind: Option<Text>,
}

impl CheckForm {
    fn request(self, language: Language) -> Result<CheckRequest, Fail> {
        let subject = match (self.customer, self.new) {
            (Some(number), None) => Subject::Customer(number.0),
            // The customer form left empty: the customer is what is missing.
            (None, None) => return Err(missing("customer")),
            _ => Subject::Prospect {
                name: self.name.ok_or_else(|| missing("name"))?.0,
                kvk: match self.kvk {
                    Some(kvk) if kvk.0.len() == 8 && kvk.0.bytes().all(|b| b.is_ascii_digit()) => {
                        Some(kvk.0)
                    }
                    Some(kvk) => {
                        return Err(forms::FieldError::new(
                            "kvk",
                            forms::Problem::NotAKvkNumber {
                                text: kvk.0.chars().take(40).collect(),
                            },
                        )
                        .into());
                    }
                    None => None,
                },
                industry: match self.industry {
                    Some(code) => Some(tegoed_core::party::SbiCode::parse(code.as_str()).map_err(
                        |_| {
                            forms::FieldError::new(
                                "industry",
                                forms::Problem::NotAChoice {
                                    text: code.0.chars().take(40).collect(),
                                },
                            )
                        },
                    )?),
                    None => None,
                },
                kind: match self.kind.as_ref().map(Text::as_str) {
                    Some("b2c") => CustomerKind::B2c,
                    Some("b2b") | None => CustomerKind::B2b,
                    Some(other) => {
                        return Err(forms::FieldError::new(
                            "kind",
                            forms::Problem::NotAChoice {
                                text: other.chars().take(40).collect(),
                            },
                        )
                        .into());
                    }
                },
            },
        };
        Ok(CheckRequest {
            subject,
            amount: self.amount.0,
            terms_days: self.terms.map(|t| t.0 as i32),
            language,
        })
    }
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
    let mut choices: Vec<CustomerChoice> = Vec::new();
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
                    .map(|r| CustomerChoice {
                        number: r.number.clone(),
                        name: r.name.clone(),
                    })
                    .collect();
            }
        }
    }
    let (result, error) = if asked {
        let live = state.live();
        let run = || -> Result<_, Fail> {
            let request = forms::from_map::<CheckForm>(&query)?.request(lang)?;
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
            Err(Fail::Field(e)) => (None, Some(e.message(lang))),
            Err(Fail::Invalid(message)) => {
                let field = field_of(&message);
                (None, Some(form_message(&message, field.as_deref(), lang)))
            }
            Err(f) => (None, Some(error_words(&f, lang).0)),
        }
    } else {
        (None, None)
    };
    let page = CheckPage {
        q: &query,
        r: result,
        error,
        choices,
    };
    render(state, visit, "check.html", "Pre-sale check", page)
}

/// The pre-sale check's view-model (`check.html`).
#[derive(Serialize)]
struct CheckPage<'a> {
    /// What was asked, to fill the forms again.
    q: &'a Params,
    /// The verdict with its reasons and the cost of non-payment.
    r: Option<tegoed_app::policy::CheckResult>,
    /// What is wrong with what was asked, in the reader's language.
    error: Option<String>,
    /// The customers a name fits, when it fits more than one.
    choices: Vec<CustomerChoice>,
}

/// A customer the typed name fits.
#[derive(Serialize)]
struct CustomerChoice {
    number: String,
    name: String,
}
