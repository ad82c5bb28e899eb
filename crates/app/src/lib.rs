//! Tegoed's use cases: load from the store, decide with the core, save.
//!
//! The CLI and the web app both call these functions; neither talks to the
//! store or the core on its own for anything a user can do. Each use case
//! takes the store, its inputs (bytes for files, never paths) and, where the
//! date matters, the as-of date; none reads the clock.

pub mod access;
pub mod agreements;
pub mod bank;
pub mod config;
pub mod demo;
pub mod dunning;
pub mod einvoice;
pub mod error;
pub mod facts;
pub mod import;
pub mod lease;
pub mod legal;
pub mod managers;
pub mod policy;
pub mod portfolio;
pub mod posting;
pub mod progress;
pub mod reports;
pub mod review;
pub mod risk;
pub mod rng;
pub mod segments;
pub mod ser;

pub use error::{AppError, Result};
pub use progress::{Progress, Silent};
