//! Typed forms: what a page posts, parsed once at the edge into domain
//! values (a [`Date`], an amount in [`Money`], a number in its range), so a
//! handler gets a struct it can trust instead of a map of strings.
//!
//! Each form is a `#[derive(Deserialize)]` struct of the field types below.
//! [`parse`] reads the body with `serde_urlencoded`, and a mistake comes
//! back as a [`FieldError`]: the field it is about and a [`Problem`], both
//! known by kind, so the page says it in the reader's language (label and
//! explanation) without matching English words.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use tegoed_core::{Currency, Date, Language, Money};

/// What is wrong with one field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// Nothing (or only spaces) was filled in.
    Missing,
    /// Not a date as `<input type=date>` sends it (`yyyy-mm-dd`).
    NotADate { text: String },
    /// A date before 1900 or after 2999.
    DateOutOfRange { text: String },
    /// Not an amount (`250`, `250,00`, `€ 1.250,00`), or too large.
    NotAnAmount { text: String },
    /// Not a whole number from `min` to `max`.
    NotInRange { text: String, min: u32, max: u32 },
    /// Not one of the choices the form offers.
    NotAChoice { text: String },
    /// Not a KvK number (8 digits).
    NotAKvkNumber { text: String },
    /// Longer than the form allows.
    TooLong { max: usize },
    /// More numbers in a list than the form allows.
    TooMany { max: usize },
    /// The form itself could not be read: not sent as
    /// `application/x-www-form-urlencoded`, or not in that format.
    Unreadable,
}

/// A form's mistake: the field and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name in the form (`amount`); empty when the mistake is
    /// about the form as a whole.
    pub field: String,
    pub problem: Problem,
}

impl FieldError {
    pub fn new(field: &str, problem: Problem) -> FieldError {
        FieldError {
            field: field.to_string(),
            problem,
        }
    }

    /// The mistake for the reader: the field's label and what to do.
    pub fn message(&self, lang: Language) -> String {
        let why = self.problem.text(lang);
        match label(&self.field, lang) {
            Some(label) => format!("{label}: {why}."),
            None if self.field.is_empty() => format!("{}.", sentence(&why)),
            None => format!("'{}': {why}.", self.field),
        }
    }
}

/// A business rule's refusal for the reader: the field's label and what
/// to do, in `lang` (the use case's kind of refusal, not its English).
pub fn refusal_message(refusal: &tegoed_app::refusal::Refusal, lang: Language) -> String {
    let why = refusal.text(lang);
    match refusal.field().and_then(|f| label(f, lang)) {
        Some(label) => format!("{label}: {why}."),
        None => format!("{}.", sentence(&why)),
    }
}

/// `text` with a capital first letter (any letter, not only ASCII).
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl Problem {
    /// What is wrong, in `lang`, as the end of a sentence.
    pub fn text(&self, lang: Language) -> String {
        let nl = lang == Language::Nl;
        match self {
            Problem::Missing if nl => "vul dit in".into(),
            Problem::Missing => "fill this in".into(),
            Problem::NotADate { text } if nl => {
                format!("'{text}' is geen datum; kies een datum (jjjj-mm-dd)")
            }
            Problem::NotADate { text } => format!("'{text}' is not a date; pick one (yyyy-mm-dd)"),
            Problem::DateOutOfRange { text } if nl => {
                format!("'{text}' ligt buiten 1900 tot en met 2999; kies een andere datum")
            }
            Problem::DateOutOfRange { text } => {
                format!("'{text}' is outside 1900 to 2999; pick another date")
            }
            Problem::NotAnAmount { text } if nl => {
                format!("'{text}' is geen bedrag (bijvoorbeeld 250 of 250,00, tot een miljard)")
            }
            Problem::NotAnAmount { text } => {
                format!("'{text}' is not an amount (for example 250 or 250.00, up to a billion)")
            }
            Problem::NotInRange { text, min, max } if nl => {
                format!("'{text}' is geen heel getal van {min} tot en met {max}")
            }
            Problem::NotInRange { text, min, max } => {
                format!("'{text}' is not a whole number from {min} to {max}")
            }
            Problem::NotAChoice { text } if nl => {
                format!("'{text}' is geen van de keuzes; kies er een uit de lijst")
            }
            Problem::NotAChoice { text } => {
                format!("'{text}' is not one of the choices; pick one from the list")
            }
            Problem::NotAKvkNumber { text } if nl => {
                format!("'{text}' is geen KvK-nummer (8 cijfers)")
            }
            Problem::NotAKvkNumber { text } => {
                format!("'{text}' is not a KvK number (8 digits)")
            }
            Problem::TooLong { max } => {
                let max = tegoed_app::format::integer(*max as i64, lang);
                if nl {
                    format!("te lang; hooguit {max} tekens")
                } else {
                    format!("too long; at most {max} characters")
                }
            }
            Problem::TooMany { max } => {
                let max = tegoed_app::format::integer(*max as i64, lang);
                if nl {
                    format!("te veel; hooguit {max} nummers")
                } else {
                    format!("too many; at most {max} numbers")
                }
            }
            Problem::Unreadable if nl => {
                "het formulier kon niet worden gelezen; laad de pagina opnieuw".into()
            }
            Problem::Unreadable => "the form could not be read; reload the page".into(),
        }
    }
}

/// The label people see for a form field, in `lang`.
pub fn label(field: &str, lang: Language) -> Option<&'static str> {
    const LABELS: &[(&str, &str, &str)] = &[
        ("amount", "Bedrag", "Amount"),
        ("date", "Datum", "Date"),
        ("until", "Tot en met", "Until"),
        ("reason", "Reden", "Reason"),
        ("instalments", "Termijnen", "Instalments"),
        ("first", "Eerste termijn", "First instalment"),
        ("interval", "Interval", "Interval"),
        ("limit", "Kredietlimiet", "Credit limit"),
        ("terms", "Betaaltermijn", "Payment terms"),
        ("agreed_with", "Afgesproken met", "Agreed with"),
        ("invoice_contact", "Facturen naar", "Invoices to"),
        ("method", "Betaalwijze", "Payment method"),
        ("text", "Notitie", "Note"),
        ("note", "Notitie", "Note"),
        ("invoices", "Facturen", "Invoices"),
        ("invoice", "Factuur", "Invoice"),
        ("resolution", "Oplossing", "Resolution"),
        ("value", "Waarde", "Value"),
        ("item", "Cadeau", "Gift"),
        ("due", "Uiterlijk", "Due"),
        ("owner", "Wie", "Who"),
        ("customer", "Klant", "Customer"),
        ("outcome", "Uitkomst", "Outcome"),
        ("email", "E-mailadres", "E-mail address"),
        ("name", "Naam", "Name"),
        ("role", "Rol", "Role"),
        ("language", "Taal", "Language"),
        ("kvk", "KvK-nummer", "KvK number"),
        ("industry", "Branche (SBI)", "Industry (SBI)"),
        ("kind", "Soort klant", "Kind of customer"),
        ("toml", "Instellingen (TOML)", "Settings (TOML)"),
        ("source", "Tekst van het sjabloon", "Template text"),
        ("seed", "Vraag", "Question"),
        ("answer", "Antwoord", "Answer"),
        ("account_manager", "Accountmanager", "Account manager"),
        ("disabled", "Status", "Status"),
        ("password", "Wachtwoord", "Password"),
    ];
    LABELS
        .iter()
        .find(|(f, _, _)| *f == field)
        .map(|(_, nl, en)| if lang == Language::Nl { *nl } else { *en })
}

/// Reads a form body (or a query string) into `F`. The first mistake comes
/// back with the field it is about.
pub fn parse<F: DeserializeOwned>(body: &[u8]) -> Result<F, FieldError> {
    let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(body));
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let field = e.path().to_string();
        let message = e.inner().to_string();
        // A field type's own mistake travels as its JSON (serde's errors
        // carry text only); serde's "missing field `x`" names the field.
        if let Ok(problem) = serde_json::from_str::<Problem>(&message) {
            return FieldError { field, problem };
        }
        match message
            .strip_prefix("missing field `")
            .and_then(|m| m.strip_suffix('`'))
        {
            Some(name) => FieldError::new(name, Problem::Missing),
            None if field == "." => FieldError::new("", Problem::Unreadable),
            None => FieldError {
                field,
                problem: Problem::Unreadable,
            },
        }
    })
}

/// Reads a map of fields (a page's query, already read by the router) as
/// the typed form `F`, as [`parse`] reads a body.
pub fn from_map<F: DeserializeOwned>(
    fields: &std::collections::HashMap<String, String>,
) -> Result<F, FieldError> {
    let encoded = serde_urlencoded::to_string(fields)
        .map_err(|_| FieldError::new("", Problem::Unreadable))?;
    parse(encoded.as_bytes())
}

/// A field type's mistake, as serde carries it (see [`parse`]).
fn fail<E: serde::de::Error>(problem: Problem) -> E {
    E::custom(serde_json::to_string(&problem).unwrap_or_default())
}

/// A value read from one form field's text (trimmed; never empty: an empty
/// optional field is `None`, see [`optional`]).
pub trait FormValue: Sized {
    fn from_text(text: &str) -> Result<Self, Problem>;
}

/// Reads a required field through [`FormValue`] (what a form value's
/// `Deserialize` calls).
pub fn required<'de, D: Deserializer<'de>, T: FormValue>(d: D) -> Result<T, D::Error> {
    let text = String::deserialize(d)?;
    let text = text.trim();
    if text.is_empty() {
        return Err(fail(Problem::Missing));
    }
    T::from_text(text).map_err(fail)
}

/// For `#[serde(default, deserialize_with = "forms::optional")]`: an
/// optional field, `None` when absent, left empty or holding nothing of
/// its kind (a list of only commas).
pub fn optional<'de, D: Deserializer<'de>, T: FormValue>(d: D) -> Result<Option<T>, D::Error> {
    let text = String::deserialize(d)?;
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match T::from_text(text) {
        Ok(value) => Ok(Some(value)),
        Err(Problem::Missing) => Ok(None),
        Err(problem) => Err(fail(problem)),
    }
}

macro_rules! form_value {
    ($($ty:ty),*) => {$(
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                required(d)
            }
        }
    )*};
}

/// Text people typed, trimmed, not empty, at most 10,000 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text(pub String);

impl FormValue for Text {
    fn from_text(text: &str) -> Result<Self, Problem> {
        const MAX: usize = 10_000;
        if text.chars().count() > MAX {
            return Err(Problem::TooLong { max: MAX });
        }
        Ok(Text(text.to_string()))
    }
}

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A document typed or pasted into a text area (the settings as TOML, a
/// message template): not empty, at most a million characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document(pub String);

impl FormValue for Document {
    fn from_text(text: &str) -> Result<Self, Problem> {
        const MAX: usize = 1_000_000;
        if text.len() > MAX && text.chars().count() > MAX {
            return Err(Problem::TooLong { max: MAX });
        }
        Ok(Document(text.to_string()))
    }
}

/// A day, as `<input type=date>` sends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Day(pub Date);

impl FormValue for Day {
    fn from_text(text: &str) -> Result<Self, Problem> {
        Date::parse_iso(text).map(Day).map_err(|_| {
            // A well-formed day of a year Tegoed does not keep.
            let bytes = text.as_bytes();
            let shaped = bytes.len() == 10 && bytes[4] == b'-' && bytes[7] == b'-';
            let year = text.get(..4).and_then(|y| y.parse::<i32>().ok());
            match year {
                Some(y) if shaped && !(1900..=2999).contains(&y) => {
                    Problem::DateOutOfRange { text: clip(text) }
                }
                _ => Problem::NotADate { text: clip(text) },
            }
        })
    }
}

/// An amount in euros as people write it (`250`, `250,00`, `€ 1.250,00`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount(pub Money);

impl FormValue for Amount {
    fn from_text(text: &str) -> Result<Self, Problem> {
        tegoed_core::money::parse_typed_amount(text, 2)
            .map(|minor| Amount(Money::new(minor, Currency::EUR)))
            .map_err(|_| Problem::NotAnAmount { text: clip(text) })
    }
}

/// A whole number from `MIN` to `MAX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Whole<const MIN: u32, const MAX: u32>(pub u32);

impl<const MIN: u32, const MAX: u32> FormValue for Whole<MIN, MAX> {
    fn from_text(text: &str) -> Result<Self, Problem> {
        text.parse::<u32>()
            .ok()
            .filter(|n| (MIN..=MAX).contains(n))
            .map(Whole)
            .ok_or_else(|| Problem::NotInRange {
                text: clip(text),
                min: MIN,
                max: MAX,
            })
    }
}

impl<'de, const MIN: u32, const MAX: u32> Deserialize<'de> for Whole<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        required(d)
    }
}

/// Numbers (invoice numbers) separated by commas or spaces; at least one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Numbers(pub Vec<String>);

impl FormValue for Numbers {
    fn from_text(text: &str) -> Result<Self, Problem> {
        const MAX: usize = 1_000;
        let numbers: Vec<String> = text
            .split([',', ' ', ';', '\n', '\r', '\t'])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if numbers.is_empty() {
            return Err(Problem::Missing);
        }
        if numbers.len() > MAX {
            return Err(Problem::TooMany { max: MAX });
        }
        Ok(Numbers(numbers))
    }
}

/// A language the product speaks (`nl`, `en`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lang(pub Language);

impl FormValue for Lang {
    fn from_text(text: &str) -> Result<Self, Problem> {
        Language::parse(text)
            .map(Lang)
            .ok_or_else(|| Problem::NotAChoice { text: clip(text) })
    }
}

form_value!(Text, Document, Day, Amount, Numbers, Lang);

/// A page of this site to go back to (`back`): a local path only, so a
/// form cannot send anyone elsewhere; anything else is ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Back(Option<String>);

impl<'de> Deserialize<'de> for Back {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Ok(Back(crate::auth::local_path(&text).then_some(text)))
    }
}

impl Back {
    /// Where to go: the form's page, or `default`.
    pub fn or(&self, default: &str) -> String {
        self.0.clone().unwrap_or_else(|| default.to_string())
    }
}

/// A form with no fields of its own (the CSRF token aside).
#[derive(Debug, Default, Deserialize)]
pub struct Empty {}

/// What was typed, cut for a message.
fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(40).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Promise {
        amount: Amount,
        date: Day,
        #[serde(default, deserialize_with = "optional")]
        invoices: Option<Numbers>,
        #[serde(default, deserialize_with = "optional")]
        note: Option<Text>,
        instalments: Whole<1, 120>,
        #[serde(default)]
        back: Back,
    }

    fn promise(body: &str) -> Result<Promise, FieldError> {
        parse(body.as_bytes())
    }

    #[test]
    fn a_form_becomes_domain_values_once() {
        let p = promise(
            "amount=1.250%2C50&date=2026-12-05&invoices=2026-1%2C+2026-2&note=+&instalments=3&back=%2Fcustomers%2FC1&csrf=x",
        )
        .expect("valid");
        assert_eq!(p.amount.0.minor, 125_050);
        assert_eq!(p.date.0, Date::parse_iso("2026-12-05").expect("date"));
        assert_eq!(
            p.invoices.expect("given").0,
            vec!["2026-1".to_string(), "2026-2".to_string()]
        );
        assert_eq!(p.note, None, "a field left empty is None");
        assert_eq!(p.instalments.0, 3);
        assert_eq!(p.back.or("/"), "/customers/C1");
        // A link elsewhere is not followed.
        let p = promise("amount=1&date=2026-12-05&instalments=1&back=https%3A%2F%2Fevil.example")
            .expect("valid");
        assert_eq!(p.back.or("/today"), "/today");
    }

    #[test]
    fn each_mistake_names_its_field_and_says_it_in_both_languages() {
        let e = promise("amount=twelve&date=2026-12-05&instalments=1").expect_err("amount");
        assert_eq!(e.field, "amount");
        assert_eq!(
            e.message(Language::Nl),
            "Bedrag: 'twelve' is geen bedrag (bijvoorbeeld 250 of 250,00, tot een miljard)."
        );
        assert_eq!(
            e.message(Language::En),
            "Amount: 'twelve' is not an amount (for example 250 or 250.00, up to a billion)."
        );
        let e = promise("amount=1&date=5-12-2026&instalments=1").expect_err("date");
        assert_eq!(
            (e.field.as_str(), e.problem.clone()),
            (
                "date",
                Problem::NotADate {
                    text: "5-12-2026".into()
                }
            )
        );
        let e = promise("amount=1&date=2026-12-05&instalments=121").expect_err("range");
        assert_eq!(
            e.message(Language::Nl),
            "Termijnen: '121' is geen heel getal van 1 tot en met 120."
        );
        let e = promise("amount=+&date=2026-12-05&instalments=1").expect_err("empty");
        assert_eq!(e.message(Language::Nl), "Bedrag: vul dit in.");
        let e = promise("date=2026-12-05&instalments=1").expect_err("absent");
        assert_eq!((e.field.as_str(), e.problem), ("amount", Problem::Missing));
        let e = promise("amount=1&date=2026-12-05&instalments=1&note=x")
            .map(|p| p.note)
            .expect("note");
        assert_eq!(e, Some(Text("x".into())));
    }

    #[test]
    fn hostile_forms_are_refused_without_a_panic() {
        let long = format!(
            "amount=1&date=2026-12-05&instalments=1&note={}",
            "x".repeat(20_000)
        );
        let e = promise(&long).expect_err("too long");
        assert_eq!(e.problem, Problem::TooLong { max: 10_000 });
        let e =
            promise("amount=99999999999999999999&date=2026-12-05&instalments=1").expect_err("huge");
        assert!(matches!(e.problem, Problem::NotAnAmount { .. }));
        assert!(promise("%FF%FE=%FF").is_err());
        let e = promise("amount=1&date=2026-12-05&instalments=1&invoices=a%2C").map(|p| p.invoices);
        assert_eq!(e.expect("list").expect("some").0, vec!["a".to_string()]);
    }
}
