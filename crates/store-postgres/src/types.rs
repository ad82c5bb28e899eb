//! Values between Rust and PostgreSQL that the driver does not map itself:
//! [`Day`] (a `tegoed_core::Date` as a PostgreSQL `date`), and the binary
//! `COPY` row encoder used by bulk loads and whole-table copies.

use std::error::Error;

use bytes::BytesMut;
use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use tegoed_core::Date;
use tegoed_store::{Result, StoreError};

/// Days from 1970-01-01 (the core's epoch) to 2000-01-01 (PostgreSQL's).
const PG_EPOCH_OFFSET: i32 = 10_957;

/// A day as PostgreSQL's `date`: on the wire, days since 2000-01-01 as a
/// four-byte integer, so no calendar arithmetic happens on either side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Day(pub Date);

impl Day {
    /// The wire value, or an error for a day PostgreSQL cannot hold.
    pub(crate) fn wire(self) -> Result<i32, DateRange> {
        self.0
            .days_since_epoch()
            .checked_sub(PG_EPOCH_OFFSET)
            .filter(|v| *v != i32::MIN && *v != i32::MAX)
            .ok_or(DateRange)
    }

    fn from_wire(value: i32) -> Result<Day, DateRange> {
        // i32::MIN and i32::MAX are PostgreSQL's -infinity and infinity.
        if value == i32::MIN || value == i32::MAX {
            return Err(DateRange);
        }
        value
            .checked_add(PG_EPOCH_OFFSET)
            .map(|days| Day(Date::from_days_since_epoch(days)))
            .ok_or(DateRange)
    }
}

/// A date outside what both sides can represent (or an infinite date).
#[derive(Debug, Clone, Copy)]
pub(crate) struct DateRange;

impl std::fmt::Display for DateRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("date out of range (or infinite)")
    }
}

impl Error for DateRange {}

impl ToSql for Day {
    fn to_sql(
        &self,
        _ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        out.extend_from_slice(&self.wire()?.to_be_bytes());
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::DATE
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Day {
    fn from_sql(_ty: &Type, raw: &'a [u8]) -> Result<Day, Box<dyn Error + Sync + Send>> {
        let bytes: [u8; 4] = raw.try_into().map_err(|_| "a date is four bytes")?;
        Ok(Day::from_wire(i32::from_be_bytes(bytes))?)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::DATE
    }
}

pub(crate) fn day(date: Date) -> Day {
    Day(date)
}

pub(crate) fn opt_day(date: Option<Date>) -> Option<Day> {
    date.map(Day)
}

/// Rows in PostgreSQL's binary `COPY` format: a header, then per row the
/// number of fields and each field as a length and its bytes (-1 for
/// NULL), then a trailer. Encoding is a few `extend_from_slice` calls per
/// field: no text escaping, no number formatting, no parsing on the server.
pub(crate) struct CopyEncoder {
    buf: Vec<u8>,
}

impl CopyEncoder {
    pub(crate) fn new() -> CopyEncoder {
        let mut buf = Vec::with_capacity(1 << 16);
        buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
        buf.extend_from_slice(&0i32.to_be_bytes()); // flags
        buf.extend_from_slice(&0i32.to_be_bytes()); // header extension length
        CopyEncoder { buf }
    }

    pub(crate) fn row(&mut self, fields: usize) -> Result<()> {
        let n = i16::try_from(fields)
            .map_err(|_| StoreError::Backend("too many fields for COPY".into()))?;
        self.buf.extend_from_slice(&n.to_be_bytes());
        Ok(())
    }

    pub(crate) fn null(&mut self) {
        self.buf.extend_from_slice(&(-1i32).to_be_bytes());
    }

    pub(crate) fn int8(&mut self, value: i64) {
        self.buf.extend_from_slice(&8i32.to_be_bytes());
        self.buf.extend_from_slice(&value.to_be_bytes());
    }

    pub(crate) fn opt_int8(&mut self, value: Option<i64>) {
        match value {
            Some(v) => self.int8(v),
            None => self.null(),
        }
    }

    pub(crate) fn float8(&mut self, value: f64) {
        self.buf.extend_from_slice(&8i32.to_be_bytes());
        self.buf.extend_from_slice(&value.to_bits().to_be_bytes());
    }

    pub(crate) fn boolean(&mut self, value: bool) {
        self.buf.extend_from_slice(&1i32.to_be_bytes());
        self.buf.push(u8::from(value));
    }

    pub(crate) fn date(&mut self, value: Date) -> Result<()> {
        let wire = Day(value)
            .wire()
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        self.buf.extend_from_slice(&4i32.to_be_bytes());
        self.buf.extend_from_slice(&wire.to_be_bytes());
        Ok(())
    }

    pub(crate) fn text(&mut self, value: &str) -> Result<()> {
        let len = i32::try_from(value.len())
            .map_err(|_| StoreError::Backend("a text too long for PostgreSQL".into()))?;
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.extend_from_slice(value.as_bytes());
        Ok(())
    }

    pub(crate) fn opt_text(&mut self, value: Option<&str>) -> Result<()> {
        match value {
            Some(v) => self.text(v),
            None => {
                self.null();
                Ok(())
            }
        }
    }

    /// The whole stream, trailer included.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.buf.extend_from_slice(&(-1i16).to_be_bytes());
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_map_to_postgres_epoch_and_back() {
        let d = Date::parse_iso("2000-01-01").unwrap();
        assert_eq!(Day(d).wire().unwrap(), 0);
        let d = Date::parse_iso("1970-01-01").unwrap();
        assert_eq!(Day(d).wire().unwrap(), -10_957);
        assert_eq!(Day::from_wire(-10_957).unwrap(), Day(d));
        assert!(Day::from_wire(i32::MAX).is_err(), "infinity is refused");
        assert!(Day(Date::from_days_since_epoch(i32::MIN)).wire().is_err());
    }
}
