//! Tegoed's use cases: load from the store, decide with the core, save.
//!
//! The CLI and the web app both call these functions; neither talks to the
//! store or the core on its own for anything a user can do. A use case takes
//! the transaction it works in (`&mut dyn ReadTx` to look, `&mut dyn
//! WriteTx` to change) and, when it changes something, the acting user
//! ([`access::Actor`]): it checks what that actor may do and writes the
//! audit line in the same transaction. The edges begin and commit (see
//! [`read_tx`] and [`write_tx`]). Inputs are values (bytes for files, never
//! paths) and, where the date matters, the as-of date; none reads the clock.
//!
//! A few use cases are jobs that work in parts and take the store instead:
//! the dunning run (claims and delivers message by message), the dunning
//! plan (two reader threads) and risk training (fits outside any
//! transaction). They take the actor too.

pub mod access;
pub mod agreements;
pub mod appreciation;
pub mod audit;
pub mod bank;
pub mod config;
pub mod customer;
pub mod demo;
pub mod dunning;
pub mod einvoice;
pub mod error;
pub mod facts;
pub mod forecast;
pub mod format;
pub mod import;
pub mod kpi;
pub mod lease;
pub mod legal;
pub mod managers;
pub mod meeting;
pub mod migrate;
pub mod news;
pub mod payment_note;
pub mod policy;
pub mod portal;
pub mod portfolio;
pub mod posting;
pub mod progress;
pub mod quiz;
pub mod refusal;
pub mod reports;
pub mod review;
pub mod risk;
pub mod rng;
pub mod scoreboard;
pub mod segments;
pub mod ser;
pub mod training;

pub use error::{AppError, Result};
pub use progress::{Progress, Silent};

use tegoed_store::{ReadTx, Store, WriteTx};

/// Runs `work` in a read transaction of `store`: a consistent snapshot.
pub fn read_tx<T>(store: &dyn Store, work: impl FnOnce(&mut dyn ReadTx) -> Result<T>) -> Result<T> {
    let mut tx = store.read()?;
    work(tx.as_mut())
}

/// Runs `work` in a write transaction of `store` and commits when it
/// succeeds; after an error nothing of it is saved.
pub fn write_tx<T>(
    store: &dyn Store,
    work: impl FnOnce(&mut dyn WriteTx) -> Result<T>,
) -> Result<T> {
    let mut tx = store.write()?;
    let value = work(tx.as_mut())?;
    tx.commit()?;
    Ok(value)
}
