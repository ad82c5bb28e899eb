//! The company, legal and dunning settings as one form: who sends the
//! messages (name, address, bank account, contact, Chamber of Commerce
//! number, the credit team's collector), the legal settings (VAT on
//! collection costs, when a 14-day letter counts as received) and the
//! dunning run's settings (pay within, plan grace, minimum amount, when
//! calls are due). Every mistake is named at its field in Dutch and
//! English, all at once; the form is written into the settings file's text
//! keeping the rest and its comments, and [`super::Config::parse`] checks
//! the result as it checks a hand-edited file.

use serde::Serialize;
use tegoed_core::Language;
use tegoed_core::iban::Iban;
use tegoed_core::money::{format_minor, parse_typed_amount};
use tegoed_core::rate::Rate;
use toml_edit::{Array, Item, Table};

use super::Config;
use super::segment_form::settings_document;

/// The form as shown and sent; every value as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CompanyForm {
    pub name: String,
    /// One address line per line.
    pub address: String,
    pub iban: String,
    pub bic: String,
    pub phone: String,
    pub email: String,
    pub website: String,
    pub kvk: String,
    /// `nl` or `en`: the language of the claim files for the agency.
    pub language: String,
    pub collector_name: String,
    pub collector_email: String,
    pub collector_phone: String,
    pub vat_uplift: bool,
    pub vat_rate: String,
    pub email_receipt_working_days: String,
    pub letter_receipt_working_days: String,
    pub pay_within_days: String,
    pub plan_grace_days: String,
    pub min_amount: String,
    pub call_due_working_days: String,
}

/// A field's value as the form shows it: what was typed, or a tick.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum FieldValue<'a> {
    Text(&'a str),
    Tick(bool),
}

impl CompanyForm {
    /// The value of the form's field `name`; `None` for a name the form
    /// does not have.
    pub fn field(&self, name: &str) -> Option<FieldValue<'_>> {
        let text = FieldValue::Text;
        Some(match name {
            "name" => text(&self.name),
            "address" => text(&self.address),
            "iban" => text(&self.iban),
            "bic" => text(&self.bic),
            "phone" => text(&self.phone),
            "email" => text(&self.email),
            "website" => text(&self.website),
            "kvk" => text(&self.kvk),
            "language" => text(&self.language),
            "collector_name" => text(&self.collector_name),
            "collector_email" => text(&self.collector_email),
            "collector_phone" => text(&self.collector_phone),
            "vat_uplift" => FieldValue::Tick(self.vat_uplift),
            "vat_rate" => text(&self.vat_rate),
            "email_receipt_working_days" => text(&self.email_receipt_working_days),
            "letter_receipt_working_days" => text(&self.letter_receipt_working_days),
            "pay_within_days" => text(&self.pay_within_days),
            "plan_grace_days" => text(&self.plan_grace_days),
            "min_amount" => text(&self.min_amount),
            "call_due_working_days" => text(&self.call_due_working_days),
            _ => return None,
        })
    }
}

/// A mistake at a field (the form's field name), in Dutch and English.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub nl: String,
    pub en: String,
}

impl FieldError {
    pub fn text(&self, language: Language) -> &str {
        match language {
            Language::Nl => &self.nl,
            Language::En => &self.en,
        }
    }
}

/// The form as the settings in force have it.
pub fn form_of(config: &Config) -> CompanyForm {
    let c = &config.company;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    CompanyForm {
        name: c.name.clone(),
        address: c.address.join("\n"),
        iban: c.iban.as_ref().map(|i| i.to_string()).unwrap_or_default(),
        bic: text(&c.bic),
        phone: text(&c.phone),
        email: text(&c.email),
        website: text(&c.website),
        kvk: text(&c.kvk),
        language: c.language.as_str().into(),
        collector_name: c.collector.name.clone(),
        collector_email: text(&c.collector.email),
        collector_phone: text(&c.collector.phone),
        vat_uplift: config.legal.vat_uplift,
        vat_rate: config.legal.vat_rate.percent_string(),
        email_receipt_working_days: config.legal.email_receipt_working_days.to_string(),
        letter_receipt_working_days: config.legal.letter_receipt_working_days.to_string(),
        pay_within_days: config.dunning.pay_within_days.to_string(),
        plan_grace_days: config.dunning.plan_grace_days.to_string(),
        min_amount: format_minor(config.dunning.min_amount_minor, 2),
        call_due_working_days: config.dunning.call_due_working_days.to_string(),
    }
}

/// The checked values, as the settings write them.
struct Checked {
    address: Vec<String>,
    iban: Option<String>,
    language: &'static str,
    vat_rate: String,
    days: Vec<(&'static str, &'static str, i64)>,
    min_amount: String,
}

fn check(form: &CompanyForm) -> Result<Checked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut wrong = |field: &'static str, nl: String, en: String| {
        errors.push(FieldError { field, nl, en });
    };
    if form.name.trim().is_empty() {
        wrong(
            "name",
            "vul de naam van het bedrijf in (die staat onder elk bericht)".into(),
            "enter the company's name (it is under every message)".into(),
        );
    }
    if form.collector_name.trim().is_empty() {
        wrong(
            "collector_name",
            "vul de naam van de medewerker debiteurenbeheer in (die ondertekent)".into(),
            "enter the collector's name (they sign the messages)".into(),
        );
    }
    let address: Vec<String> = form
        .address
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let iban = match form.iban.trim() {
        "" => None,
        text => match Iban::parse(text) {
            Ok(iban) => Some(iban.to_string()),
            Err(e) => {
                wrong(
                    "iban",
                    format!("'{text}' is geen geldig IBAN (controleer de tekens en de lengte)"),
                    format!("'{text}' is not a valid IBAN ({e})"),
                );
                None
            }
        },
    };
    for (field, value) in [
        ("email", &form.email),
        ("collector_email", &form.collector_email),
    ] {
        let value = value.trim();
        if !value.is_empty() && tegoed_core::party::Email::parse(value).is_err() {
            wrong(
                field,
                format!("'{value}' is geen e-mailadres"),
                format!("'{value}' is not an e-mail address"),
            );
        }
    }
    let kvk = form.kvk.trim();
    let kvk_ok = kvk.len() == 8 && kvk.bytes().all(|b| b.is_ascii_digit());
    if !kvk.is_empty() && !kvk_ok {
        wrong(
            "kvk",
            format!("'{kvk}' is geen KvK-nummer (8 cijfers)"),
            format!("'{kvk}' is not a Chamber of Commerce number (8 digits)"),
        );
    }
    let language = match form.language.trim() {
        "en" => "en",
        "nl" | "" => "nl",
        other => {
            wrong(
                "language",
                format!("'{other}' is geen taal die Tegoed schrijft"),
                format!("'{other}' is not a language Tegoed writes"),
            );
            "nl"
        }
    };
    let vat_rate = match Rate::parse_percent(&form.vat_rate) {
        Ok(rate) if rate >= Rate::ZERO && rate.0 <= 1_000_000 => rate.percent_string(),
        _ => {
            wrong(
                "vat_rate",
                format!(
                    "'{}' is geen percentage van 0 tot 100",
                    form.vat_rate.trim()
                ),
                format!(
                    "'{}' is not a percentage from 0 to 100",
                    form.vat_rate.trim()
                ),
            );
            String::new()
        }
    };
    let mut days = Vec::new();
    for (field, section, value, max) in [
        (
            "email_receipt_working_days",
            "legal",
            &form.email_receipt_working_days,
            30,
        ),
        (
            "letter_receipt_working_days",
            "legal",
            &form.letter_receipt_working_days,
            30,
        ),
        ("pay_within_days", "dunning", &form.pay_within_days, 90),
        ("plan_grace_days", "dunning", &form.plan_grace_days, 90),
        (
            "call_due_working_days",
            "dunning",
            &form.call_due_working_days,
            30,
        ),
    ] {
        match value.trim().parse::<i64>() {
            Ok(n) if (0..=max).contains(&n) => days.push((section, field, n)),
            _ => wrong(
                field,
                format!("'{}' is geen aantal dagen van 0 tot {max}", value.trim()),
                format!("'{}' is not a number of days from 0 to {max}", value.trim()),
            ),
        }
    }
    let min_amount = match parse_typed_amount(&form.min_amount.trim().replace(['€', ' '], ""), 2)
    {
        Ok(minor) if minor >= 0 => format_minor(minor, 2),
        _ => {
            wrong(
                "min_amount",
                format!(
                    "'{}' is geen bedrag in euro's (bijvoorbeeld 5 of 5,00)",
                    form.min_amount.trim()
                ),
                format!(
                    "'{}' is not an amount in euros (e.g. 5 or 5.00)",
                    form.min_amount.trim()
                ),
            );
            String::new()
        }
    };
    if errors.is_empty() {
        Ok(Checked {
            address,
            iban,
            language,
            vat_rate,
            days,
            min_amount,
        })
    } else {
        Err(errors)
    }
}

/// `table[key]` set to `text`, or removed when it is empty.
fn set_text(table: &mut Table, key: &str, text: &str) {
    let text = text.trim();
    if text.is_empty() {
        table.remove(key);
    } else {
        table[key] = toml_edit::value(text);
    }
}

/// The `[name]` table in `parent` (made when there is none).
fn section<'t>(parent: &'t mut Table, name: &str) -> &'t mut Table {
    let item = parent.entry(name).or_insert(Item::Table(Table::new()));
    if !item.is_table() {
        *item = Item::Table(Table::new());
    }
    item.as_table_mut().expect("made a table above")
}

/// `source` (the settings file's text) with the form's settings; the rest
/// of the file as it was.
pub fn apply(source: &str, form: &CompanyForm) -> Result<String, Vec<FieldError>> {
    let checked = check(form)?;
    let mut doc = settings_document(source).map_err(|e| {
        vec![FieldError {
            field: "",
            nl: e.nl,
            en: e.en,
        }]
    })?;
    {
        let company = section(doc.as_table_mut(), "company");
        company["name"] = toml_edit::value(form.name.trim());
        let mut lines = Array::new();
        for line in &checked.address {
            lines.push(line.as_str());
        }
        company["address"] = toml_edit::value(lines);
        set_text(company, "iban", checked.iban.as_deref().unwrap_or(""));
        set_text(company, "bic", &form.bic.to_uppercase());
        set_text(company, "phone", &form.phone);
        set_text(company, "email", &form.email);
        set_text(company, "website", &form.website);
        set_text(company, "kvk", &form.kvk);
        company["language"] = toml_edit::value(checked.language);
        let collector = section(company, "collector");
        collector["name"] = toml_edit::value(form.collector_name.trim());
        set_text(collector, "email", &form.collector_email);
        set_text(collector, "phone", &form.collector_phone);
    }
    {
        let legal = section(doc.as_table_mut(), "legal");
        legal["vat_uplift"] = toml_edit::value(form.vat_uplift);
        legal["vat_rate"] = toml_edit::value(checked.vat_rate.as_str());
    }
    for (name, field, n) in &checked.days {
        section(doc.as_table_mut(), name)[*field] = toml_edit::value(*n);
    }
    section(doc.as_table_mut(), "dunning")["min_amount"] =
        toml_edit::value(checked.min_amount.as_str());
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {

    #[test]
    fn every_field_of_the_form_reads_by_its_name() {
        let form = CompanyForm {
            name: "n".into(),
            vat_uplift: true,
            call_due_working_days: "2".into(),
            ..CompanyForm::default()
        };
        let serde_json::Value::Object(fields) = serde_json::to_value(&form).unwrap() else {
            panic!("an object");
        };
        for (name, value) in fields {
            let read = form
                .field(&name)
                .unwrap_or_else(|| panic!("no field {name}"));
            assert_eq!(serde_json::to_value(read).unwrap(), value, "{name}");
        }
        assert_eq!(form.field("nope"), None);
    }

    use super::*;

    use crate::config::parse_for_test as parse;

    #[test]
    fn the_shipped_settings_survive_the_round_trip_through_the_form() {
        let config = parse(crate::config::DEFAULT_CONFIG);
        let text = apply(crate::config::DEFAULT_CONFIG, &form_of(&config)).unwrap();
        let again = parse(&text);
        assert_eq!(again.company, config.company);
        assert_eq!(again.legal, config.legal);
        assert_eq!(again.dunning, config.dunning);
    }

    #[test]
    fn a_change_is_written_and_the_comments_stay() {
        let config = parse(crate::config::DEFAULT_CONFIG);
        let mut form = form_of(&config);
        form.name = "Bakkerij Jansen B.V.".into();
        form.address = "Dorpsstraat 1\n\n1234 AB Ergens\n".into();
        form.iban = "nl02 abna 0123 4567 89".into();
        form.vat_uplift = true;
        form.vat_rate = "21,0".into();
        form.min_amount = "12,50".into();
        form.pay_within_days = "7".into();
        form.website = String::new();
        let text = apply(crate::config::DEFAULT_CONFIG, &form).unwrap();
        assert!(text.contains("# When a 14-day letter counts as received"));
        let again = parse(&text);
        assert_eq!(again.company.name, "Bakkerij Jansen B.V.");
        assert_eq!(
            again.company.address,
            vec!["Dorpsstraat 1", "1234 AB Ergens"]
        );
        assert_eq!(
            again
                .company
                .iban
                .as_ref()
                .map(|i| i.to_string())
                .as_deref(),
            Some("NL02ABNA0123456789")
        );
        assert_eq!(again.company.website, None);
        assert!(again.legal.vat_uplift);
        assert_eq!(again.dunning.min_amount_minor, 1250);
        assert_eq!(again.dunning.pay_within_days, 7);
    }

    #[test]
    fn every_mistake_is_named_at_its_field() {
        let config = parse(crate::config::DEFAULT_CONFIG);
        let mut form = form_of(&config);
        form.iban = "NL00 FOUT".into();
        form.email = "debiteuren at example".into();
        form.kvk = "1234".into();
        form.pay_within_days = "twee weken".into();
        form.min_amount = "-5".into();
        form.vat_rate = "121".into();
        let errors = apply(crate::config::DEFAULT_CONFIG, &form).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec![
                "iban",
                "email",
                "kvk",
                "vat_rate",
                "pay_within_days",
                "min_amount"
            ]
        );
        assert!(errors[0].nl.contains("'NL00 FOUT' is geen geldig IBAN"));
        assert!(
            errors[4]
                .en
                .contains("'twee weken' is not a number of days")
        );
    }
}
