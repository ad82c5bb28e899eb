//! Customers (debtors) and the account managers who own the relationship.
//!
//! Tegoed says "customer", not "debtor", on purpose: a customer who owes money
//! is still a customer, and the account manager is on the record.

use std::fmt;

use crate::iban::Iban;
use crate::ids::AccountManagerId;
use crate::money::Money;
use crate::party::{Email, KvkNumber, SbiCode, VatNumber};

/// Business or consumer: the law treats them differently (interest rate,
/// the 14-day letter before collection costs).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, PartialOrd, Ord)]
pub enum CustomerKind {
    #[default]
    B2b,
    B2c,
}

impl CustomerKind {
    pub fn parse(text: &str) -> Option<CustomerKind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "b2b" | "business" | "zakelijk" => Some(CustomerKind::B2b),
            "b2c" | "consumer" | "particulier" => Some(CustomerKind::B2c),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CustomerKind::B2b => "b2b",
            CustomerKind::B2c => "b2c",
        }
    }
}

impl fmt::Display for CustomerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The language a customer is written to in.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, PartialOrd, Ord)]
pub enum Language {
    #[default]
    Nl,
    En,
}

impl Language {
    pub fn parse(text: &str) -> Option<Language> {
        match text.trim().to_ascii_lowercase().as_str() {
            "nl" | "nld" | "dutch" | "nederlands" => Some(Language::Nl),
            "en" | "eng" | "english" | "engels" => Some(Language::En),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Language::Nl => "nl",
            Language::En => "en",
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A postal address. Country is an ISO 3166 alpha-2 code.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct Address {
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub country: String,
}

/// Payment terms when none are agreed: 30 days (art. 6:119a BW).
pub const DEFAULT_PAYMENT_TERMS_DAYS: u32 = 30;

/// A customer as the accounting system knows it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Customer {
    /// The customer number from the accounting system; the key users see.
    pub number: String,
    pub name: String,
    pub kind: CustomerKind,
    pub email: Option<Email>,
    pub phone: Option<String>,
    pub language: Language,
    pub industry: Option<SbiCode>,
    pub account_manager: Option<AccountManagerId>,
    pub credit_limit: Option<Money>,
    pub payment_terms_days: u32,
    pub ibans: Vec<Iban>,
    pub kvk: Option<KvkNumber>,
    pub vat_number: Option<VatNumber>,
    pub address: Address,
}

impl Customer {
    /// A customer with only a number and a name; everything else defaulted.
    pub fn new(number: impl Into<String>, name: impl Into<String>) -> Customer {
        Customer {
            number: number.into(),
            name: name.into(),
            kind: CustomerKind::B2b,
            email: None,
            phone: None,
            language: Language::Nl,
            industry: None,
            account_manager: None,
            credit_limit: None,
            payment_terms_days: DEFAULT_PAYMENT_TERMS_DAYS,
            ibans: Vec::new(),
            kvk: None,
            vat_number: None,
            address: Address {
                country: "NL".to_string(),
                ..Address::default()
            },
        }
    }
}

/// An account manager or salesperson: owns customer relationships.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AccountManager {
    pub name: String,
    pub email: Option<Email>,
}
