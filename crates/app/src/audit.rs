//! What an audit line records beyond who did what to which subject: its
//! details, as typed facts (a date, an amount, a count, a code, what a
//! person wrote), so each reader sees them in their own language and
//! formats. Stored as a small JSON object in the audit log's `detail`
//! column; lines written before details were typed hold plain English text
//! and are shown as written.

use serde::{Deserialize, Serialize};
use tegoed_core::{Date, Language, Money};

use crate::format;

/// Declares [`Label`] from one list of names and keys: the enum, its
/// `ALL` and its `key`.
macro_rules! labels {
    ($($name:ident => $key:literal,)*) => {
        /// The name of a fact. Its [`Label::key`] is English and is what
        /// readers translate (the web app's vocabulary holds every key; a
        /// test checks).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Label {
            $($name,)*
        }

        impl Label {
            /// Every label (for the vocabulary test).
            pub const ALL: &'static [Label] = &[$(Label::$name,)*];

            /// The English key readers translate.
            pub fn key(self) -> &'static str {
                match self {
                    $(Label::$name => $key,)*
                }
            }
        }
    };
}

labels! {
    AgreedWith => "agreed with",
    Amount => "amount",
    AsOf => "as of",
    Auc => "AUC",
    By => "by",
    Changed => "changed",
    Customer => "customer",
    Customers => "customers",
    Delivered => "delivered",
    Email => "e-mail",
    Failed => "failed",
    First => "first",
    Folder => "folder",
    From => "from",
    Gift => "gift",
    Instalments => "instalments",
    Invoice => "invoice",
    Invoices => "invoices",
    InvoicesReopened => "invoices reopened",
    Item => "item",
    LeftOut => "customers left out",
    Language => "language",
    Limit => "limit",
    Links => "links",
    Message => "message",
    Messages => "messages",
    Method => "method",
    Name => "name",
    New => "new",
    Outcome => "outcome",
    Payments => "payments",
    PaymentsBooked => "payments booked",
    Plan => "plan",
    PolicySays => "the policy says",
    Promise => "promise",
    Reason => "reason",
    Reasons => "reasons",
    Request => "request",
    Resolution => "resolution",
    Role => "role",
    Rows => "rows",
    RowsCopied => "rows copied",
    Run => "run",
    SeenBefore => "seen before",
    Size => "size (bytes)",
    Status => "status",
    Suggestion => "suggestion",
    TermsDays => "payment terms (days)",
    Test => "to test",
    ToReview => "to review",
    Train => "to train",
    Transactions => "transactions",
    Unchanged => "unchanged",
    Until => "until",
    ValidUntil => "valid until",
    Value => "value",
    Was => "was",
    YourAnswer => "answered",
}

/// One fact's value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Value {
    /// What a person wrote (a reason, a note): shown as written.
    Text(String),
    /// A code from Tegoed's vocabulary (`credit_manager`, `approved`):
    /// translated by the reader.
    Word(String),
    /// Codes, translated one by one.
    Words(Vec<String>),
    /// Document numbers and other names: shown as written.
    Names(Vec<String>),
    /// An ISO date.
    Date(String),
    /// An amount in minor units with its currency.
    Money { minor: i64, currency: String },
    /// A whole number (a count, an id).
    Number(i64),
    /// A decimal number with its decimals.
    Decimal { value: f64, decimals: usize },
    /// A text Tegoed wrote in both languages at the time.
    Both { nl: String, en: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Fact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    #[serde(flatten)]
    value: Value,
}

/// An audit line's details, built fact by fact.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Detail {
    facts: Vec<Fact>,
}

impl Detail {
    /// No details.
    pub fn none() -> Detail {
        Detail::default()
    }

    /// Just what a person wrote (a note, a reason).
    pub fn said(text: &str) -> Detail {
        Detail::none().unlabelled(Value::Text(text.trim().to_string()))
    }

    fn unlabelled(mut self, value: Value) -> Detail {
        if !matches!(&value, Value::Text(t) if t.is_empty()) {
            self.facts.push(Fact { label: None, value });
        }
        self
    }

    fn with(mut self, label: Label, value: Value) -> Detail {
        self.facts.push(Fact {
            label: Some(label.key().to_string()),
            value,
        });
        self
    }

    /// What a person wrote; left out when empty.
    pub fn text(self, label: Label, text: &str) -> Detail {
        if text.trim().is_empty() {
            return self;
        }
        self.with(label, Value::Text(text.trim().to_string()))
    }

    /// A code from the vocabulary (a role, a status).
    pub fn word(self, label: Label, code: &str) -> Detail {
        self.with(label, Value::Word(code.to_string()))
    }

    /// Codes from the vocabulary.
    pub fn words<S: AsRef<str>>(self, label: Label, codes: &[S]) -> Detail {
        let codes = codes.iter().map(|c| c.as_ref().to_string()).collect();
        self.with(label, Value::Words(codes))
    }

    /// Document numbers, file names: shown as written.
    pub fn names<S: AsRef<str>>(self, label: Label, names: &[S]) -> Detail {
        let names = names.iter().map(|c| c.as_ref().to_string()).collect();
        self.with(label, Value::Names(names))
    }

    pub fn date(self, label: Label, date: Date) -> Detail {
        self.with(label, Value::Date(date.to_string()))
    }

    pub fn money(self, label: Label, money: Money) -> Detail {
        self.with(
            label,
            Value::Money {
                minor: money.minor,
                currency: money.currency.code().to_string(),
            },
        )
    }

    /// An amount, or the word `none` without one.
    pub fn money_or_none(self, label: Label, money: Option<Money>) -> Detail {
        match money {
            Some(m) => self.money(label, m),
            None => self.word(label, "none"),
        }
    }

    pub fn number(self, label: Label, n: impl TryInto<i64>) -> Detail {
        self.with(label, Value::Number(n.try_into().unwrap_or(i64::MAX)))
    }

    pub fn decimal(self, label: Label, value: f64, decimals: usize) -> Detail {
        self.with(label, Value::Decimal { value, decimals })
    }

    /// What an import did with a file's rows.
    pub fn row_counts(rows: u64, new: u64, changed: u64, unchanged: u64) -> Detail {
        Detail::none()
            .number(Label::Rows, rows)
            .number(Label::New, new)
            .number(Label::Changed, changed)
            .number(Label::Unchanged, unchanged)
    }

    /// A text Tegoed words itself, in both languages.
    pub fn both(self, label: Label, nl: String, en: String) -> Detail {
        self.with(label, Value::Both { nl, en })
    }

    /// The form stored in the audit log.
    pub fn stored(&self) -> String {
        if self.facts.is_empty() {
            return String::new();
        }
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The details of a stored line: `None` for a line written as plain
    /// text (before details were typed) or left empty.
    pub fn from_stored(stored: &str) -> Option<Detail> {
        if !stored.starts_with("{\"facts\":") {
            return None;
        }
        serde_json::from_str(stored).ok()
    }

    /// The details for a reader of `language`: `words` translates a label
    /// key or a vocabulary code (the web app's `t`).
    pub fn render(&self, language: Language, words: &dyn Fn(&str) -> String) -> String {
        let mut out = Vec::with_capacity(self.facts.len());
        for fact in &self.facts {
            let value = render_value(&fact.value, language, words);
            match &fact.label {
                Some(label) => out.push(format!("{}: {value}", words(label))),
                None => out.push(value),
            }
        }
        out.join(" · ")
    }
}

fn render_value(value: &Value, language: Language, words: &dyn Fn(&str) -> String) -> String {
    match value {
        Value::Text(text) => text.clone(),
        Value::Word(code) => words(code),
        Value::Words(codes) => codes
            .iter()
            .map(|c| words(c))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Names(names) => names.join(", "),
        Value::Date(iso) => match Date::parse_iso(iso) {
            Ok(date) => format::short_date(date, language),
            Err(_) => iso.clone(),
        },
        Value::Money { minor, currency } => format::money(*minor, currency, language),
        Value::Number(n) => format::integer(*n, language),
        Value::Decimal { value, decimals } => format::number(*value, *decimals, language),
        Value::Both { nl, en } => match language {
            Language::Nl => nl.clone(),
            Language::En => en.clone(),
        },
    }
}

/// A stored detail for a reader of `language`: typed details in the
/// reader's words and formats, older plain-text details as written.
pub fn show(stored: &str, language: Language, words: &dyn Fn(&str) -> String) -> String {
    match Detail::from_stored(stored) {
        Some(detail) => detail.render(language, words),
        None => stored.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tegoed_core::Currency;

    fn dutch(key: &str) -> String {
        match key {
            "until" => "tot".into(),
            "reason" => "reden".into(),
            "limit" => "limiet".into(),
            "was" => "was".into(),
            "none" => "geen".into(),
            other => other.into(),
        }
    }

    #[test]
    fn details_read_in_the_readers_language_and_formats() {
        let date = Date::from_ymd(2026, 12, 31).unwrap();
        let stored = Detail::none()
            .date(Label::Until, date)
            .text(Label::Reason, " customer on holiday ")
            .stored();
        assert_eq!(
            show(&stored, Language::Nl, &dutch),
            "tot: 31-12-2026 · reden: customer on holiday"
        );
        assert_eq!(
            show(&stored, Language::En, &|k| k.to_string()),
            "until: 31 Dec 2026 · reason: customer on holiday"
        );
        let limit = Detail::none()
            .money_or_none(Label::Limit, Some(Money::new(123_456, Currency::EUR)))
            .money_or_none(Label::Was, None)
            .stored();
        assert_eq!(
            show(&limit, Language::Nl, &dutch),
            "limiet: €\u{a0}1.234,56 · was: geen"
        );
    }

    #[test]
    fn plain_text_lines_of_before_show_as_written() {
        assert_eq!(
            show("12 rows: 3 new", Language::Nl, &dutch),
            "12 rows: 3 new"
        );
        assert_eq!(show("", Language::Nl, &dutch), "");
        assert_eq!(Detail::none().stored(), "");
        assert_eq!(Detail::said("  ").stored(), "");
    }
}
