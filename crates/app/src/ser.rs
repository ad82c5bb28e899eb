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

/// A date as `YYYY-MM-DD`, both ways (for stored documents).
pub mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use tegoed_core::Date;

    pub fn serialize<S: Serializer>(value: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = String::deserialize(d)?;
        Date::parse_iso(&text).map_err(serde::de::Error::custom)
    }
}

/// A language as `nl` / `en`, both ways.
pub mod language {
    use serde::{Deserialize, Deserializer, Serializer};
    use tegoed_core::Language;

    pub fn serialize<S: Serializer>(value: &Language, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(value.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Language, D::Error> {
        let text = String::deserialize(d)?;
        Language::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown language '{text}'")))
    }
}
