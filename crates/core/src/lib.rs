//! Tegoed's domain: the rules of credit management as plain functions over
//! data.
//!
//! This crate does no IO, reads no clock and knows nothing about databases,
//! files or HTTP. Every date-dependent function takes the date it should
//! reason about. That keeps the rules testable for any day and fast enough
//! to run over a million invoices.

pub mod aging;
pub mod agreements;
pub mod allocation;
pub mod appreciation;
pub mod customer;
pub mod date;
pub mod dso;
pub mod dunning;
pub mod forecast;
pub mod iban;
pub mod ids;
pub mod kpi;
pub mod ledger;
pub mod legal;
pub mod matching;
pub mod money;
pub mod party;
pub mod policy;
pub mod portal;
pub mod priority;
pub mod rate;
pub mod reference;
pub mod risk;
pub mod scoreboard;
pub mod segment;
pub mod strategy;

pub use customer::{AccountManager, Address, Customer, CustomerKind, Language};
pub use date::Date;
pub use iban::Iban;
pub use ids::{AccountManagerId, CustomerId, InvoiceId, PaymentId};
pub use ledger::{Allocation, AllocationSource, Invoice, MatchInfo, Payment, PaymentSource};
pub use money::{Currency, Money, MoneyError};
pub use reference::PaymentReference;
