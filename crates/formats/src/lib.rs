//! Bytes in, domain values out.
//!
//! Each module reads one file format into values from `tegoed-core`, or
//! writes one. Nothing here touches the file system or the database: callers
//! hand over bytes and get back rows, warnings, or an error that says where
//! the file is wrong. No input, however broken, makes a parser panic.

pub mod camt;
pub mod corpus;
pub mod epc;
pub mod ledger_csv;
pub mod mt940;
pub mod pdf;
pub mod png;
pub mod statement;
pub mod text;
pub mod ubl;
pub mod xml;
pub mod zip;
