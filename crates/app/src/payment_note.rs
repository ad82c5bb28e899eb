//! The note a payment carries: why it waits for a person, or what the
//! matcher did that a person should know (credit kept, a return booked).
//! Stored typed (a small JSON value in the payment's `note`), so the queue
//! reads it in the reader's language with their number and date formats.
//! Notes written before they were typed are plain English sentences;
//! [`PaymentNote::from_stored`] reads the ones Tegoed wrote back into
//! their typed form and keeps any other text as written.

use serde::{Deserialize, Serialize};
use tegoed_core::matching::{Basis, ReviewReason};
use tegoed_core::{Date, Language, Money};

use crate::format;

/// Why a payment waits for a person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    NothingKnown,
    AmountFitsNothing,
    SharedAccount { customers: usize },
}

/// Why a customer is suggested.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Because {
    OwnAccount,
    SimilarName,
}

impl From<ReviewReason> for Reason {
    fn from(reason: ReviewReason) -> Reason {
        match reason {
            ReviewReason::NothingKnown => Reason::NothingKnown,
            ReviewReason::AmountFitsNothing => Reason::AmountFitsNothing,
            ReviewReason::SharedAccount(customers) => Reason::SharedAccount { customers },
        }
    }
}

impl From<Basis> for Because {
    fn from(basis: Basis) -> Because {
        match basis {
            Basis::OwnAccount => Because::OwnAccount,
            Basis::SimilarName => Because::SimilarName,
        }
    }
}

/// A payment's note.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentNote {
    /// Not matched: why, and why a customer is suggested (if one is).
    Review {
        reason: Reason,
        suggested_because: Option<Because>,
    },
    /// Names invoices that were already paid; kept as the customer's credit.
    AlreadyPaid { invoices: Vec<String> },
    /// Paid more than was open; the rest kept as the customer's credit.
    MoreThanOpen { minor: i64, currency: String },
    /// A refund we made came back.
    RefundCameBack { refund: String },
    /// Money out: a refund of the customer's credit.
    RefundOfCredit,
    /// Money the bank took back: the payment it returns, with the bank's
    /// reason code; the invoices are open again.
    Returns {
        original: String,
        reason: Option<String>,
    },
    /// This payment was returned by the bank on a day.
    ReturnedOn { date: String },
    /// A return whose original payment is not in Tegoed.
    ReturnWithoutOriginal { reason: Option<String> },
    /// A person's decision on the payment was undone.
    DecisionUndone,
    /// A person decided; what the note said before.
    Decided { was: Box<PaymentNote> },
    /// A text Tegoed did not write typed (kept as written).
    Text(String),
}

const DECIDED_EN: &str = "decided by a person; was: ";

impl PaymentNote {
    /// The form stored with the payment.
    pub fn stored(&self) -> String {
        match self {
            PaymentNote::Text(text) => text.clone(),
            typed => serde_json::to_string(typed).unwrap_or_default(),
        }
    }

    /// A stored note: a typed one, an English sentence Tegoed wrote before
    /// notes were typed (read back into its typed form), or other text.
    pub fn from_stored(stored: &str) -> PaymentNote {
        if (stored.starts_with('{') || stored.starts_with('"'))
            && let Ok(note) = serde_json::from_str(stored)
        {
            return note;
        }
        from_english(stored)
    }

    /// What the note says in `language`.
    pub fn text(&self, language: Language) -> String {
        let nl = language == Language::Nl;
        let reason_code = |reason: &Option<String>| match reason {
            Some(r) if nl => format!(" (reden {r})"),
            Some(r) => format!(" (reason {r})"),
            None => String::new(),
        };
        match self {
            PaymentNote::Review {
                reason,
                suggested_because,
            } => {
                let why = match (reason, nl) {
                    (Reason::NothingKnown, true) => {
                        "geen betalingskenmerk, factuurnummer of bekende rekening".to_string()
                    }
                    (Reason::NothingKnown, false) => {
                        "no reference, invoice number or known account".to_string()
                    }
                    (Reason::AmountFitsNothing, true) => "bekende rekening, maar het bedrag past bij geen combinatie van openstaande facturen".to_string(),
                    (Reason::AmountFitsNothing, false) => {
                        "known account, but the amount fits no combination of open invoices"
                            .to_string()
                    }
                    (Reason::SharedAccount { customers }, true) => format!(
                        "de betalende rekening is van {} klanten",
                        format::integer(*customers as i64, language)
                    ),
                    (Reason::SharedAccount { customers }, false) => format!(
                        "the paying account belongs to {} customers",
                        format::integer(*customers as i64, language)
                    ),
                };
                match (suggested_because, nl) {
                    (None, _) => why,
                    (Some(Because::OwnAccount), true) => {
                        format!("{why}; voorgesteld omdat de betalende rekening is van deze klant")
                    }
                    (Some(Because::OwnAccount), false) => format!(
                        "{why}; suggested because the paying account belongs to this customer"
                    ),
                    (Some(Because::SimilarName), true) => format!(
                        "{why}; voorgesteld omdat de naam van de betaler lijkt op die van deze klant"
                    ),
                    (Some(Because::SimilarName), false) => format!(
                        "{why}; suggested because the payer's name is close to this customer's"
                    ),
                }
            }
            PaymentNote::AlreadyPaid { invoices } => {
                let numbers = invoices.join(", ");
                match (invoices.len() == 1, nl) {
                    (true, true) => format!(
                        "betaalt {numbers}, dat al betaald was; bewaard als tegoed van de klant"
                    ),
                    (false, true) => format!(
                        "betaalt {numbers}, die al betaald waren; bewaard als tegoed van de klant"
                    ),
                    (true, false) => format!(
                        "pays {numbers} which was already paid; kept as the customer's credit"
                    ),
                    (false, false) => format!(
                        "pays {numbers} which were already paid; kept as the customer's credit"
                    ),
                }
            }
            PaymentNote::MoreThanOpen { minor, currency } => {
                let amount = format::money(*minor, currency, language);
                if nl {
                    format!("{amount} meer dan er openstond; bewaard als tegoed van de klant")
                } else {
                    format!("{amount} more than was open; kept as the customer's credit")
                }
            }
            PaymentNote::RefundCameBack { refund } if nl => {
                format!("terugbetaling {refund} is teruggekomen")
            }
            PaymentNote::RefundCameBack { refund } => format!("refund {refund} came back"),
            PaymentNote::RefundOfCredit if nl => "terugbetaling van het tegoed van de klant".into(),
            PaymentNote::RefundOfCredit => "refund of the customer's credit".into(),
            PaymentNote::Returns { original, reason } if nl => format!(
                "stort {original}{} terug; de facturen staan weer open",
                reason_code(reason)
            ),
            PaymentNote::Returns { original, reason } => format!(
                "returns {original}{}; its invoices are open again",
                reason_code(reason)
            ),
            PaymentNote::ReturnedOn { date } => {
                let shown = Date::parse_iso(date)
                    .map(|d| format::short_date(d, language))
                    .unwrap_or_else(|_| date.clone());
                if nl {
                    format!("door de bank teruggeboekt op {shown}")
                } else {
                    format!("returned by the bank on {shown}")
                }
            }
            PaymentNote::ReturnWithoutOriginal { reason } if nl => format!(
                "een teruggeboekte betaling{} waarvan de oorspronkelijke betaling niet in Tegoed staat; wijs hem toe aan de klant die het bedrag weer verschuldigd is",
                reason_code(reason)
            ),
            PaymentNote::ReturnWithoutOriginal { reason } => format!(
                "a returned payment{} whose original is not in Tegoed; assign it to the customer who owes it again",
                reason_code(reason)
            ),
            PaymentNote::DecisionUndone if nl => {
                "de beslissing van een medewerker is teruggedraaid".into()
            }
            PaymentNote::DecisionUndone => "a person's decision was undone".into(),
            PaymentNote::Decided { was } if nl => {
                format!(
                    "door een medewerker besloten; eerst: {}",
                    was.text(language)
                )
            }
            PaymentNote::Decided { was } => format!("{DECIDED_EN}{}", was.text(language)),
            PaymentNote::Text(text) => text.clone(),
        }
    }

    /// Paid more than was open: `extra` kept as credit.
    pub fn more_than_open(extra: Money) -> PaymentNote {
        PaymentNote::MoreThanOpen {
            minor: extra.minor,
            currency: extra.currency.code().to_string(),
        }
    }
}

/// A note Tegoed wrote as an English sentence before notes were typed, in
/// its typed form; any other text as written.
fn from_english(text: &str) -> PaymentNote {
    let between =
        |start: &str, end: &str| -> Option<&str> { text.strip_prefix(start)?.strip_suffix(end) };
    let reason_of = |rest: &str| -> (String, Option<String>) {
        match rest.split_once(" (reason ") {
            Some((head, code)) => (
                head.to_string(),
                Some(code.trim_end_matches(')').to_string()),
            ),
            None => (rest.to_string(), None),
        }
    };
    if let Some(was) = text.strip_prefix(DECIDED_EN) {
        return PaymentNote::Decided {
            was: Box::new(from_english(was)),
        };
    }
    let (reason, because) = match text.split_once("; suggested because ") {
        Some((reason, "the paying account belongs to this customer")) => {
            (reason, Some(Because::OwnAccount))
        }
        Some((reason, "the payer's name is close to this customer's")) => {
            (reason, Some(Because::SimilarName))
        }
        _ => (text, None),
    };
    let review = |reason: Reason| PaymentNote::Review {
        reason,
        suggested_because: because,
    };
    match reason {
        "no reference, invoice number or known account" => return review(Reason::NothingKnown),
        "known account, but the amount fits no combination of open invoices" => {
            return review(Reason::AmountFitsNothing);
        }
        _ => {}
    }
    if let Some(n) = reason
        .strip_prefix("the paying account belongs to ")
        .and_then(|r| r.strip_suffix(" customers"))
        .and_then(|n| n.parse().ok())
    {
        return review(Reason::SharedAccount { customers: n });
    }
    if let Some(rest) = between("pays ", " already paid; kept as the customer's credit") {
        let numbers = rest
            .strip_suffix(" which was")
            .or_else(|| rest.strip_suffix(" which were"))
            .unwrap_or(rest);
        return PaymentNote::AlreadyPaid {
            invoices: numbers.split(", ").map(str::to_string).collect(),
        };
    }
    if let Some(refund) = between("refund ", " came back") {
        return PaymentNote::RefundCameBack {
            refund: refund.to_string(),
        };
    }
    if text == "refund of the customer's credit" {
        return PaymentNote::RefundOfCredit;
    }
    if let Some(rest) = between("returns ", "; its invoices are open again") {
        let (original, reason) = reason_of(rest);
        return PaymentNote::Returns { original, reason };
    }
    if let Some(date) = text.strip_prefix("returned by the bank on ")
        && Date::parse_iso(date).is_ok()
    {
        return PaymentNote::ReturnedOn {
            date: date.to_string(),
        };
    }
    if let Some(rest) = between(
        "a returned payment",
        " whose original is not in Tegoed; assign it to the customer who owes it again",
    ) {
        let reason = rest
            .strip_prefix(" (reason ")
            .map(|r| r.trim_end_matches(')').to_string());
        return PaymentNote::ReturnWithoutOriginal { reason };
    }
    if text == "a person's decision was undone" {
        return PaymentNote::DecisionUndone;
    }
    PaymentNote::Text(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tegoed_core::Currency;

    fn every_kind() -> Vec<PaymentNote> {
        vec![
            PaymentNote::Review {
                reason: Reason::NothingKnown,
                suggested_because: Some(Because::SimilarName),
            },
            PaymentNote::Review {
                reason: Reason::AmountFitsNothing,
                suggested_because: Some(Because::OwnAccount),
            },
            PaymentNote::Review {
                reason: Reason::SharedAccount { customers: 3 },
                suggested_because: None,
            },
            PaymentNote::AlreadyPaid {
                invoices: vec!["2026-0001".into(), "2026-0002".into()],
            },
            PaymentNote::AlreadyPaid {
                invoices: vec!["2026-0001".into()],
            },
            PaymentNote::more_than_open(Money::new(123_456, Currency::EUR)),
            PaymentNote::RefundCameBack {
                refund: "R1".into(),
            },
            PaymentNote::RefundOfCredit,
            PaymentNote::Returns {
                original: "P1".into(),
                reason: Some("AC04".into()),
            },
            PaymentNote::ReturnedOn {
                date: "2026-11-20".into(),
            },
            PaymentNote::ReturnWithoutOriginal {
                reason: Some("MD06".into()),
            },
            PaymentNote::DecisionUndone,
            PaymentNote::Decided {
                was: Box::new(PaymentNote::RefundOfCredit),
            },
        ]
    }

    #[test]
    fn every_note_is_stored_and_read_back() {
        for note in every_kind() {
            assert_eq!(PaymentNote::from_stored(&note.stored()), note);
        }
    }

    #[test]
    fn the_english_sentences_of_before_read_back_into_their_typed_form() {
        // What Tegoed wrote before notes were typed is the English text of
        // the typed note (dates then were ISO), except the amount of
        // "more than was open", which stays as written.
        for note in every_kind() {
            if matches!(note, PaymentNote::MoreThanOpen { .. }) {
                continue;
            }
            let english = match &note {
                PaymentNote::ReturnedOn { date } => format!("returned by the bank on {date}"),
                other => other.text(Language::En),
            };
            assert_eq!(PaymentNote::from_stored(&english), note, "{english}");
        }
        assert_eq!(
            PaymentNote::from_stored("anything else"),
            PaymentNote::Text("anything else".into())
        );
    }

    #[test]
    fn notes_read_in_dutch_with_dutch_numbers_and_dates() {
        let nl = |n: &str| PaymentNote::from_stored(n).text(Language::Nl);
        assert_eq!(
            nl(
                "no reference, invoice number or known account; suggested because the payer's name is close to this customer's"
            ),
            "geen betalingskenmerk, factuurnummer of bekende rekening; voorgesteld omdat de naam van de betaler lijkt op die van deze klant"
        );
        assert_eq!(
            nl("pays 2026-0001, 2026-0002 which were already paid; kept as the customer's credit"),
            "betaalt 2026-0001, 2026-0002, die al betaald waren; bewaard als tegoed van de klant"
        );
        assert_eq!(
            nl("returned by the bank on 2026-11-20"),
            "door de bank teruggeboekt op 20-11-2026"
        );
        assert_eq!(
            nl("a person's decision was undone"),
            "de beslissing van een medewerker is teruggedraaid"
        );
        assert_eq!(
            PaymentNote::more_than_open(Money::new(123_456, Currency::EUR)).text(Language::Nl),
            "€\u{a0}1.234,56 meer dan er openstond; bewaard als tegoed van de klant"
        );
    }
}
