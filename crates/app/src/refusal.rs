//! Requests a business rule refuses, known by kind.
//!
//! The agreements a collector or salesperson makes (a pause, a promise, a
//! plan, a dispute, a sale agreement) are refused for a handful of reasons.
//! Each is a [`Refusal`] with its data, so every edge says it in its own
//! way without reading English back: the CLI and the API print
//! [`Display`](std::fmt::Display) (the words they always printed, with the
//! CLI's flags), the web app says [`Refusal::text`] in the reader's
//! language at the form field [`Refusal::field`] names.

use std::fmt;

use tegoed_core::{Date, Language};

/// How far ahead a pause may end, a promise fall due or a payment plan
/// start: a year. Further out, dunning would stop for years on one click.
pub const MAX_DAYS_AHEAD: i32 = 365;

/// The last day a pause, promise or plan may reach from `today`.
pub fn latest_ahead(today: Date) -> Date {
    today.add_days(MAX_DAYS_AHEAD)
}

/// Refuses `date` (the form's `field`) when it lies more than a year after
/// `today`.
pub fn within_a_year(field: &'static str, date: Date, today: Date) -> Result<(), Refusal> {
    let latest = latest_ahead(today);
    if date > latest {
        return Err(Refusal::TooFarAhead {
            field,
            date,
            latest,
        });
    }
    Ok(())
}

/// A request a business rule refuses; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A pause that ended before today would put an untrue line on the
    /// timeline.
    PauseEndsBeforeToday { until: Date, today: Date },
    /// A salesperson's request for a pause that ends before today.
    RequestedPauseEndsBeforeToday { until: Date, today: Date },
    /// A pause, promise or first instalment more than a year ahead
    /// (`field`: `until`, `date` or `first`).
    TooFarAhead {
        field: &'static str,
        date: Date,
        latest: Date,
    },
    /// A promise to pay on a day that has passed.
    PromiseBeforeToday { date: Date, today: Date },
    /// A payment plan whose first instalment is due on a day that has
    /// passed.
    FirstInstalmentBeforeToday { first: Date, today: Date },
    /// An agreement made at the sale is recorded on or after the day it was
    /// made, not before.
    SaleAgreementInTheFuture { date: Date, today: Date },
    /// Payment terms outside 0 to 365 days.
    TermsOutOfRange { terms: u32 },
    /// An amount that cannot be read.
    AmountUnreadable { amount: String, reason: String },
    /// An amount of zero or less.
    AmountNotPositive { amount: String },
    /// A gift's value that cannot be read.
    GiftValueUnreadable { value: String, reason: String },
    /// A gift worth nothing or less.
    GiftValueNotPositive { value: String },
    /// A text the request needs was left empty.
    Missing(Needed),
    /// A payment plan of fewer than 1 or more than 120 instalments.
    InstalmentsOutOfRange { count: u32 },
    /// An interval between instalments that cannot be read.
    IntervalUnreadable { interval: String },
    /// A payment plan for a customer with nothing overdue.
    NothingOverdue { customer: String, today: Date },
    /// A promise without invoices named, for a customer with nothing
    /// overdue.
    NoOverdueInvoices { customer: String, today: Date },
    /// A second payment plan while one is running.
    PlanAlreadyRunning { customer: String },
    /// A dispute on an invoice already disputed.
    AlreadyDisputed {
        invoice: String,
        since: Date,
        reason: String,
    },
    /// Resolving a dispute on an invoice that has none open.
    NoOpenDispute { invoice: String },
    /// Ending a pause for a customer who is not paused.
    NotPaused { customer: String },
    /// Taking the role or the access of the last active administrator:
    /// nobody could manage users any more.
    LastAdministrator { email: String },
    /// A way of paying other than transfer or direct debit.
    MethodUnknown { method: String },
    /// An e-mail address that is not one (`field`: `invoice_contact` or
    /// `email`).
    EmailInvalid {
        field: &'static str,
        text: String,
        reason: String,
    },
    /// A text longer than the field allows; `said` is what the CLI prints.
    TooLong {
        field: &'static str,
        max: usize,
        said: &'static str,
    },
    /// Lifting a credit hold that is not (any more) set.
    NotOnHold { customer: String },
    /// A negative credit limit.
    LimitNegative,
    /// A meeting decision due on a day that has passed.
    DecisionDueBeforeToday { due: Date, today: Date },
    /// A decision's owner who is neither a user nor an account manager.
    OwnerUnknown { owner: String },
    /// A quiz answer that is not one of the verdicts.
    AnswerUnknown { answer: String },
    /// A pre-sale check of a deal of nothing or less.
    DealNotPositive { amount: String },
    /// A password shorter than the minimum.
    PasswordTooShort { min: usize },
    /// A second user with the same e-mail address.
    UserExists { email: String },
    /// Deciding a pause request that was decided already.
    PauseRequestDecided { id: i64, status: String },
}

/// The text a request needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needed {
    /// Why dunning pauses.
    PauseReason,
    /// Why a salesperson asks for a pause.
    PauseRequestReason,
    /// Why a pause ends early.
    EndPauseReason,
    /// Why the credit hold is lifted.
    LiftHoldReason,
    /// What the invoice is disputed for.
    DisputeReason,
    /// What came of a call.
    CallOutcome,
    /// A note's text.
    Note,
    /// Who at the customer agreed to a sale agreement.
    AgreedWith,
    /// What the meeting decided.
    Decision,
}

impl Refusal {
    /// The form field the refusal is about (the web app's field names),
    /// when it is about one.
    pub fn field(&self) -> Option<&'static str> {
        Some(match self {
            Refusal::PauseEndsBeforeToday { .. }
            | Refusal::RequestedPauseEndsBeforeToday { .. } => "until",
            Refusal::PromiseBeforeToday { .. } | Refusal::SaleAgreementInTheFuture { .. } => "date",
            Refusal::FirstInstalmentBeforeToday { .. } => "first",
            Refusal::TooFarAhead { field, .. } => field,
            Refusal::TermsOutOfRange { .. } => "terms",
            Refusal::AmountUnreadable { .. } | Refusal::AmountNotPositive { .. } => "amount",
            Refusal::GiftValueUnreadable { .. } | Refusal::GiftValueNotPositive { .. } => "value",
            Refusal::Missing(Needed::CallOutcome) => "outcome",
            Refusal::Missing(Needed::Note) => "text",
            Refusal::Missing(Needed::AgreedWith) => "agreed_with",
            Refusal::Missing(Needed::Decision) => "text",
            Refusal::Missing(_) => "reason",
            Refusal::InstalmentsOutOfRange { .. } => "instalments",
            Refusal::IntervalUnreadable { .. } => "interval",
            Refusal::NoOverdueInvoices { .. } => "invoices",
            Refusal::AlreadyDisputed { .. } | Refusal::NoOpenDispute { .. } => "invoice",
            Refusal::LastAdministrator { .. } => "role",
            Refusal::MethodUnknown { .. } => "method",
            Refusal::EmailInvalid { field, .. } | Refusal::TooLong { field, .. } => field,
            Refusal::LimitNegative => "limit",
            Refusal::DecisionDueBeforeToday { .. } => "due",
            Refusal::OwnerUnknown { .. } => "owner",
            Refusal::AnswerUnknown { .. } => "answer",
            Refusal::DealNotPositive { .. } => "amount",
            Refusal::PasswordTooShort { .. } => "password",
            Refusal::UserExists { .. } => "email",
            Refusal::NotOnHold { .. } | Refusal::PauseRequestDecided { .. } => return None,
            Refusal::NothingOverdue { .. }
            | Refusal::PlanAlreadyRunning { .. }
            | Refusal::NotPaused { .. } => return None,
        })
    }

    /// What is wrong and what to do, in `lang`, as the end of a sentence
    /// that starts with the field's label (no CLI flags, no ISO dates).
    pub fn text(&self, lang: Language) -> String {
        let nl = lang == Language::Nl;
        let pick = |dutch: &str, english: &str| if nl { dutch } else { english }.to_string();
        match self {
            Refusal::PauseEndsBeforeToday { .. }
            | Refusal::RequestedPauseEndsBeforeToday { .. } => pick(
                "een pauze loopt tot en met vandaag of later",
                "a pause lasts until today or later",
            ),
            Refusal::PromiseBeforeToday { .. } | Refusal::FirstInstalmentBeforeToday { .. } => {
                pick(
                    "die datum is al voorbij; kies vandaag of later",
                    "that day has passed; choose today or later",
                )
            }
            Refusal::TooFarAhead { latest, .. } => {
                let latest = crate::format::long_date(*latest, lang);
                if nl {
                    format!("hooguit een jaar vooruit, tot en met {latest}")
                } else {
                    format!("at most a year ahead, until {latest}")
                }
            }
            Refusal::SaleAgreementInTheFuture { .. } => pick(
                "een afspraak bij de verkoop ligt niet in de toekomst",
                "an agreement made at the sale is not in the future",
            ),
            Refusal::TermsOutOfRange { .. } => pick(
                "een betaaltermijn van 0 tot 365 dagen",
                "payment terms of 0 to 365 days",
            ),
            Refusal::AmountUnreadable { .. } => pick(
                "dat is geen bedrag (bijvoorbeeld 250 of 250,00)",
                "that is not an amount (for example 250 or 250.00)",
            ),
            Refusal::AmountNotPositive { .. } => pick(
                "het bedrag moet meer dan nul zijn",
                "the amount must be more than zero",
            ),
            Refusal::GiftValueUnreadable { .. } => pick(
                "dat is geen bedrag (bijvoorbeeld 45 of 45,00)",
                "that is not an amount (for example 45 or 45.00)",
            ),
            Refusal::GiftValueNotPositive { .. } => pick(
                "een cadeau is meer dan niets waard",
                "a gift is worth more than nothing",
            ),
            Refusal::Missing(Needed::CallOutcome) => pick(
                "vul in wat het gesprek opleverde",
                "fill in what came of the call",
            ),
            Refusal::Missing(Needed::Note) => pick("vul iets in", "write something"),
            Refusal::Missing(Needed::AgreedWith) => pick(
                "vul in met wie bij de klant het is afgesproken",
                "fill in who at the customer agreed",
            ),
            Refusal::Missing(Needed::Decision) => {
                pick("vul in wat er besloten is", "fill in what was decided")
            }
            Refusal::Missing(_) => pick("vul een reden in", "fill in a reason"),
            Refusal::InstalmentsOutOfRange { .. } => {
                pick("kies 1 tot 120 termijnen", "choose 1 to 120 instalments")
            }
            Refusal::IntervalUnreadable { .. } => pick(
                "schrijf een getal en m, w of d (1m, 2w, 14d)",
                "write a number and m, w or d (1m, 2w, 14d)",
            ),
            Refusal::NothingOverdue { .. } => pick(
                "deze klant heeft niets vervallen",
                "this customer has nothing overdue",
            ),
            Refusal::NoOverdueInvoices { .. } => pick(
                "deze klant heeft geen vervallen facturen; kies de facturen",
                "this customer has no overdue invoices; name the invoices",
            ),
            Refusal::PlanAlreadyRunning { .. } => pick(
                "deze klant heeft al een lopende betalingsregeling",
                "this customer already has a payment plan running",
            ),
            Refusal::AlreadyDisputed { .. } => pick(
                "op deze factuur loopt al een geschil",
                "this invoice is already disputed",
            ),
            Refusal::NoOpenDispute { .. } => pick(
                "op deze factuur loopt geen geschil",
                "this invoice has no open dispute",
            ),
            Refusal::NotPaused { .. } => pick(
                "de aanmaningen van deze klant zijn niet gepauzeerd",
                "dunning for this customer is not paused",
            ),
            Refusal::MethodUnknown { .. } => pick(
                "kies overschrijving of automatische incasso",
                "choose transfer or direct debit",
            ),
            Refusal::EmailInvalid { .. } => pick(
                "dat is geen e-mailadres (naam@bedrijf.nl)",
                "that is not an e-mail address (name@company.com)",
            ),
            Refusal::TooLong { max, .. } => {
                let max = crate::format::integer(*max as i64, lang);
                if nl {
                    format!("te lang; hooguit {max} tekens")
                } else {
                    format!("too long; at most {max} characters")
                }
            }
            Refusal::NotOnHold { .. } => pick(
                "deze klant staat niet (meer) op kredietstop",
                "this customer is not (any more) on credit hold",
            ),
            Refusal::LimitNegative => pick(
                "een kredietlimiet is nul of meer (leeg: geen limiet)",
                "a credit limit is zero or more (empty: no limit)",
            ),
            Refusal::DecisionDueBeforeToday { .. } => pick(
                "die datum is al voorbij; kies vandaag of later",
                "that day has passed; choose today or later",
            ),
            Refusal::OwnerUnknown { .. } => pick(
                "geen gebruiker of accountmanager; geef een e-mailadres of naam",
                "not a user or account manager; give an e-mail address or name",
            ),
            Refusal::AnswerUnknown { .. } => pick(
                "kies goedkeuren, met voorwaarden of vooruitbetalen",
                "choose approve, with conditions or prepay",
            ),
            Refusal::DealNotPositive { .. } => pick(
                "het bedrag van de order moet meer dan nul zijn",
                "the order's amount must be more than zero",
            ),
            Refusal::PasswordTooShort { min } => {
                if nl {
                    format!("een wachtwoord heeft minstens {min} tekens")
                } else {
                    format!("a password has at least {min} characters")
                }
            }
            Refusal::UserExists { .. } => pick(
                "er is al een gebruiker met dit e-mailadres",
                "there is a user with this e-mail address already",
            ),
            Refusal::PauseRequestDecided { .. } => pick(
                "over dit verzoek is al besloten; het staat niet meer op de lijst",
                "this request was decided already; it is no longer on the list",
            ),
            Refusal::LastAdministrator { .. } => pick(
                "dit is de laatste actieve beheerder; maak eerst iemand anders beheerder",
                "this is the last active administrator; make someone else an administrator first",
            ),
        }
    }
}

/// The words the CLI and the API print (with the CLI's flags).
impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::PauseEndsBeforeToday { until, today } => write!(
                f,
                "--until {until}: a pause ends today or later (today is {today})"
            ),
            Refusal::RequestedPauseEndsBeforeToday { until, today } => {
                write!(f, "the pause would end on {until}, before today ({today})")
            }
            Refusal::TooFarAhead {
                field,
                date,
                latest,
            } => write!(f, "--{field} {date}: at most a year ahead (until {latest})"),
            Refusal::PromiseBeforeToday { date, today } => {
                write!(f, "the promised date {date} is before today ({today})")
            }
            Refusal::FirstInstalmentBeforeToday { first, today } => {
                write!(f, "--first {first} is before today ({today})")
            }
            Refusal::SaleAgreementInTheFuture { date, today } => write!(
                f,
                "--date {date}: an agreement made at the sale is in the past (today is {today})"
            ),
            Refusal::TermsOutOfRange { terms } => {
                write!(f, "--terms {terms}: payment terms of 0 to 365 days")
            }
            Refusal::AmountUnreadable { amount, reason } => {
                write!(f, "--amount '{amount}': {reason}")
            }
            Refusal::AmountNotPositive { amount } => {
                write!(f, "--amount '{amount}' must be more than zero")
            }
            Refusal::GiftValueUnreadable { value, reason } => {
                write!(f, "--value '{value}': {reason}")
            }
            Refusal::GiftValueNotPositive { value } => {
                write!(f, "--value '{value}': a gift is worth more than nothing")
            }
            Refusal::Missing(needed) => f.write_str(match needed {
                Needed::PauseReason => "a pause needs a reason (--reason)",
                Needed::PauseRequestReason => "a pause request needs a reason",
                Needed::EndPauseReason => "say why the pause ends (--reason)",
                Needed::LiftHoldReason => "say why the credit hold is lifted (--reason)",
                Needed::DisputeReason => "a dispute needs a reason (--reason)",
                Needed::CallOutcome => "say what came of it (--outcome)",
                Needed::Note => "a note cannot be empty",
                Needed::AgreedWith => "say who at the customer agreed (--agreed-with)",
                Needed::Decision => "--text: say what was decided",
            }),
            Refusal::InstalmentsOutOfRange { count } => {
                write!(f, "--instalments {count}: choose 1 to 120 instalments")
            }
            Refusal::IntervalUnreadable { interval } => write!(
                f,
                "--interval '{interval}': write a number and m, w or d (1m, 2w, 14d)"
            ),
            Refusal::NothingOverdue { customer, today } => {
                write!(f, "customer {customer} has nothing overdue on {today}")
            }
            Refusal::NoOverdueInvoices { customer, today } => write!(
                f,
                "customer {customer} has no overdue invoices on {today}; name the invoices with --invoice"
            ),
            Refusal::PlanAlreadyRunning { customer } => {
                write!(f, "customer {customer} already has an active payment plan")
            }
            Refusal::AlreadyDisputed {
                invoice,
                since,
                reason,
            } => write!(
                f,
                "invoice {invoice} is already disputed since {since} ({reason})"
            ),
            Refusal::NoOpenDispute { invoice } => {
                write!(f, "invoice {invoice} has no open dispute")
            }
            Refusal::NotPaused { customer } => write!(f, "customer {customer} is not paused"),
            Refusal::MethodUnknown { method } => {
                write!(f, "--method '{method}': transfer or direct_debit")
            }
            Refusal::EmailInvalid {
                field,
                text,
                reason,
            } => match *field {
                "invoice_contact" => write!(f, "--invoice-contact '{text}': {reason}"),
                _ => write!(f, "e-mail address '{text}': {reason}"),
            },
            Refusal::TooLong { said, .. } => f.write_str(said),
            Refusal::NotOnHold { customer } => {
                write!(f, "customer {customer} is not on credit hold")
            }
            Refusal::LimitNegative => f.write_str("a credit limit cannot be negative"),
            Refusal::DecisionDueBeforeToday { due, today } => write!(
                f,
                "--due {due}: a decision is due today or later (today is {today})"
            ),
            Refusal::OwnerUnknown { owner } => write!(
                f,
                "--owner '{owner}': not a user or account manager (give an e-mail address or name)"
            ),
            Refusal::AnswerUnknown { answer } => {
                write!(f, "answer '{answer}': approve, conditions or prepay")
            }
            Refusal::DealNotPositive { amount } => {
                write!(f, "--amount {amount}: a deal needs a positive amount")
            }
            Refusal::PasswordTooShort { min } => {
                write!(f, "the password must be at least {min} characters")
            }
            Refusal::UserExists { email } => {
                write!(f, "a user with e-mail address {email} exists already")
            }
            Refusal::PauseRequestDecided { id, status } => {
                write!(f, "pause request {id} was {status} already")
            }
            Refusal::LastAdministrator { email } => write!(
                f,
                "{email} is the last active administrator; make someone else an administrator first"
            ),
        }
    }
}

impl std::error::Error for Refusal {}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<Refusal> {
        let day = Date::parse_iso("2026-12-01").expect("date");
        let today = Date::parse_iso("2026-12-02").expect("date");
        let mut all = vec![
            Refusal::PauseEndsBeforeToday { until: day, today },
            Refusal::RequestedPauseEndsBeforeToday { until: day, today },
            Refusal::PromiseBeforeToday { date: day, today },
            Refusal::TooFarAhead {
                field: "until",
                date: day,
                latest: today,
            },
            Refusal::FirstInstalmentBeforeToday { first: day, today },
            Refusal::SaleAgreementInTheFuture { date: day, today },
            Refusal::TermsOutOfRange { terms: 400 },
            Refusal::AmountUnreadable {
                amount: "x".into(),
                reason: "invalid amount 'x': expected a number".into(),
            },
            Refusal::AmountNotPositive { amount: "0".into() },
            Refusal::GiftValueUnreadable {
                value: "x".into(),
                reason: "invalid amount 'x': expected a number".into(),
            },
            Refusal::GiftValueNotPositive { value: "0".into() },
            Refusal::InstalmentsOutOfRange { count: 0 },
            Refusal::IntervalUnreadable {
                interval: "x".into(),
            },
            Refusal::NothingOverdue {
                customer: "C1".into(),
                today,
            },
            Refusal::NoOverdueInvoices {
                customer: "C1".into(),
                today,
            },
            Refusal::PlanAlreadyRunning {
                customer: "C1".into(),
            },
            Refusal::AlreadyDisputed {
                invoice: "F1".into(),
                since: day,
                reason: "kapot".into(),
            },
            Refusal::NoOpenDispute {
                invoice: "F1".into(),
            },
            Refusal::NotPaused {
                customer: "C1".into(),
            },
            Refusal::LastAdministrator {
                email: "a@b.example".into(),
            },
            Refusal::MethodUnknown {
                method: "cash".into(),
            },
            Refusal::EmailInvalid {
                field: "invoice_contact",
                text: "x".into(),
                reason: "no @".into(),
            },
            Refusal::TooLong {
                field: "note",
                max: 2000,
                said: "--note: at most 2,000 characters",
            },
            Refusal::NotOnHold {
                customer: "C1".into(),
            },
            Refusal::LimitNegative,
            Refusal::DecisionDueBeforeToday { due: day, today },
            Refusal::OwnerUnknown {
                owner: "Niemand".into(),
            },
            Refusal::AnswerUnknown {
                answer: "maybe".into(),
            },
            Refusal::DealNotPositive {
                amount: "-1.00".into(),
            },
            Refusal::PasswordTooShort { min: 10 },
            Refusal::UserExists {
                email: "a@b.example".into(),
            },
            Refusal::PauseRequestDecided {
                id: 1,
                status: "approved".into(),
            },
        ];
        for needed in [
            Needed::PauseReason,
            Needed::PauseRequestReason,
            Needed::EndPauseReason,
            Needed::LiftHoldReason,
            Needed::DisputeReason,
            Needed::CallOutcome,
            Needed::Note,
            Needed::AgreedWith,
            Needed::Decision,
        ] {
            all.push(Refusal::Missing(needed));
        }
        all
    }

    #[test]
    fn every_refusal_reads_for_people_in_both_languages_and_keeps_the_clis_words() {
        for refusal in all() {
            for lang in [Language::Nl, Language::En] {
                let text = refusal.text(lang);
                assert!(!text.is_empty(), "{refusal:?}");
                // No CLI flag, no ISO date, no identifier.
                assert!(!text.contains("--"), "{refusal:?}: {text}");
                assert!(!text.contains("2026-12"), "{refusal:?}: {text}");
                assert!(!text.contains('_'), "{refusal:?}: {text}");
            }
            assert_ne!(refusal.text(Language::Nl), refusal.text(Language::En));
        }
        // The CLI prints what it always printed.
        let today = Date::parse_iso("2026-12-02").expect("date");
        let until = Date::parse_iso("2026-11-30").expect("date");
        assert_eq!(
            Refusal::PauseEndsBeforeToday { until, today }.to_string(),
            "--until 2026-11-30: a pause ends today or later (today is 2026-12-02)"
        );
        assert_eq!(
            Refusal::Missing(Needed::CallOutcome).to_string(),
            "say what came of it (--outcome)"
        );
    }
}
