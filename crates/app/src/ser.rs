//! Serde helpers for the stable JSON shapes: money as decimal strings
//! (`"1234.56"`), dates as `YYYY-MM-DD`, currencies as codes.

use serde::Serializer;
use tegoed_core::{Currency, Date, Money};

pub fn money<S: Serializer>(value: &Money, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&value.to_decimal_string())
}

pub fn opt_money<S: Serializer>(value: &Option<Money>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(m) => s.serialize_str(&m.to_decimal_string()),
        None => s.serialize_none(),
    }
}

pub fn date<S: Serializer>(value: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

pub fn opt_date<S: Serializer>(value: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(d) => s.collect_str(d),
        None => s.serialize_none(),
    }
}

pub fn currency<S: Serializer>(value: &Currency, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(value.code())
}

/// Days as a number with one decimal.
pub fn days<S: Serializer>(value: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.serialize_f64((v * 10.0).round() / 10.0),
        None => s.serialize_none(),
    }
}
