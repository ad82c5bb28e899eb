//! Tegoed's canonical CSV files for customers, invoices and payments: what a
//! user exports from their accounting package.
//!
//! The reader is forgiving about form (comma, semicolon or tab delimiter;
//! `1234.56` or `1.234,56`; `YYYY-MM-DD` or `DD-MM-YYYY`; UTF-8 or
//! Windows-1252; columns in any order) and strict about content: a required
//! column missing, an unknown column, or a value that cannot be read fails the
//! whole file with the line, column and value. The writer produces the same
//! format, so an export can be imported again.

use std::fmt;
use std::io::Write;

use rustc_hash::FxHashMap;
use tegoed_core::customer::{
    Address, Customer, CustomerKind, DEFAULT_PAYMENT_TERMS_DAYS, Language,
};
use tegoed_core::party::{Email, KvkNumber, SbiCode, VatNumber};
use tegoed_core::{Currency, Date, Iban, Money, PaymentReference};

use crate::text;

/// A CSV file that cannot be imported, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    /// 1-based line number in the file.
    pub line: u64,
    pub column: Option<String>,
    pub value: Option<String>,
    pub reason: String,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(column) = &self.column {
            write!(f, ", column '{column}'")?;
        }
        if let Some(value) = &self.value {
            write!(f, ", value '{value}'")?;
        }
        write!(f, ": {}", self.reason)
    }
}

impl std::error::Error for CsvError {}

/// Rows read from a file, and what was odd about the file without being wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    pub rows: Vec<T>,
    pub warnings: Vec<String>,
}

/// The columns of one canonical file.
struct Schema {
    what: &'static str,
    required: &'static [&'static str],
    optional: &'static [&'static str],
}

impl Schema {
    /// "a" or "an" before [`Schema::what`] ("an invoices file").
    fn article(&self) -> &'static str {
        match self.what.as_bytes().first() {
            Some(b'a' | b'e' | b'i' | b'o' | b'u') => "an",
            _ => "a",
        }
    }
}

pub const CUSTOMER_COLUMNS: (&[&str], &[&str]) = (
    &["customer_id", "name"],
    &[
        "kind",
        "email",
        "phone",
        "language",
        "industry",
        "account_manager",
        "credit_limit",
        "payment_terms_days",
        "iban",
        "kvk",
        "vat_number",
        "street",
        "postal_code",
        "city",
        "country",
    ],
);

pub const INVOICE_COLUMNS: (&[&str], &[&str]) = (
    &["invoice_number", "customer_id", "issue_date", "amount"],
    &[
        "due_date",
        "currency",
        "payment_reference",
        "description",
        "applies_to",
    ],
);

pub const PAYMENT_COLUMNS: (&[&str], &[&str]) = (
    &["payment_id", "date", "amount"],
    &[
        "currency",
        "customer_id",
        "invoice_number",
        "reference",
        "counterparty_iban",
        "counterparty_name",
    ],
);

pub const RATING_COLUMNS: (&[&str], &[&str]) = (
    &["provider", "score", "date"],
    &["customer_id", "kvk", "recommended_limit"],
);

pub const DUNNING_HISTORY_COLUMNS: (&[&str], &[&str]) = (
    &["invoice_number", "step", "date"],
    &["channel", "strategy"],
);

const DUNNING_HISTORY: Schema = Schema {
    what: "dunning history",
    required: DUNNING_HISTORY_COLUMNS.0,
    optional: DUNNING_HISTORY_COLUMNS.1,
};

const RATINGS: Schema = Schema {
    what: "ratings",
    required: RATING_COLUMNS.0,
    optional: RATING_COLUMNS.1,
};

const CUSTOMERS: Schema = Schema {
    what: "customers",
    required: CUSTOMER_COLUMNS.0,
    optional: CUSTOMER_COLUMNS.1,
};
const INVOICES: Schema = Schema {
    what: "invoices",
    required: INVOICE_COLUMNS.0,
    optional: INVOICE_COLUMNS.1,
};
const PAYMENTS: Schema = Schema {
    what: "payments",
    required: PAYMENT_COLUMNS.0,
    optional: PAYMENT_COLUMNS.1,
};

/// One row of a customers file.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerRow {
    pub line: u64,
    pub customer: Customer,
    /// Name or e-mail of the account manager, as written in the file.
    pub account_manager: Option<String>,
}

/// One row of an invoices file (a credit note when the amount is negative).
#[derive(Debug, Clone, PartialEq)]
pub struct InvoiceRow {
    pub line: u64,
    pub number: String,
    pub customer_number: String,
    pub issue_date: Date,
    /// `None`: issue date plus the customer's payment terms.
    pub due_date: Option<Date>,
    pub amount: Money,
    pub payment_reference: Option<PaymentReference>,
    pub description: Option<String>,
    /// For a credit note: the invoice it credits.
    pub applies_to: Option<String>,
}

/// One row of a payments file.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentRow {
    pub line: u64,
    pub payment_id: String,
    pub date: Date,
    pub amount: Money,
    pub customer_number: Option<String>,
    pub invoice_number: Option<String>,
    pub reference: Option<String>,
    pub counterparty_iban: Option<Iban>,
    pub counterparty_name: Option<String>,
}

/// A parsed header: column name → field index, and the delimiter found.
struct Table<'a> {
    reader: csv::Reader<&'a [u8]>,
    columns: Columns,
    width: usize,
}

/// Column name → field index. A short list searched linearly: faster than
/// hashing for the dozen columns a file has, on every field of every row.
struct Columns(Vec<(&'static str, usize)>);

impl Columns {
    fn get(&self, name: &str) -> Option<usize> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, idx)| *idx)
    }
}

/// The delimiter that occurs most in the header line, outside quotes.
fn sniff_delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for ch in header.chars() {
        match ch {
            '"' => quoted = !quoted,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3)
        .max_by_key(|&i| (counts[i], std::cmp::Reverse(i)))
        .unwrap_or(0);
    [b',', b';', b'\t'][best]
}

fn open_table<'a>(text: &'a str, schema: &Schema) -> Result<Table<'a>, CsvError> {
    let header_error = |reason: String| CsvError {
        line: 1,
        column: None,
        value: None,
        reason,
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sniff_delimiter(text))
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| header_error(format!("cannot read the header row: {e}")))?
        .clone();
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(header_error(format!(
            "the file is empty; {} {} file starts with a header row naming its columns ({})",
            schema.article(),
            schema.what,
            schema.required.join(", ")
        )));
    }
    let known = |name: &str| -> Option<&'static str> {
        schema
            .required
            .iter()
            .chain(schema.optional)
            .find(|c| **c == name)
            .copied()
    };
    let mut columns: Vec<(&'static str, usize)> = Vec::new();
    let mut unknown = Vec::new();
    for (idx, raw) in headers.iter().enumerate() {
        let name = raw.trim().to_ascii_lowercase();
        match known(&name) {
            Some(column) => {
                if columns.iter().any(|(c, _)| *c == column) {
                    return Err(CsvError {
                        line: 1,
                        column: Some(column.to_string()),
                        value: None,
                        reason: "this column appears twice".into(),
                    });
                }
                columns.push((column, idx));
            }
            None if name.is_empty() => {}
            None => unknown.push(format!("'{}'", text::shorten(raw.trim(), 40))),
        }
    }
    if !unknown.is_empty() {
        // A few names say enough (a damaged header may have thousands).
        const SHOWN: usize = 5;
        if unknown.len() > SHOWN {
            let more = unknown.len() - SHOWN;
            unknown.truncate(SHOWN);
            unknown.push(format!("and {more} more"));
        }
        return Err(header_error(format!(
            "unknown column{} {} in {} {} file; known columns: {}",
            if unknown.len() > 1 { "s" } else { "" },
            unknown.join(", "),
            schema.article(),
            schema.what,
            schema
                .required
                .iter()
                .chain(schema.optional)
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let missing: Vec<&str> = schema
        .required
        .iter()
        .filter(|c| !columns.iter().any(|(name, _)| name == *c))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(header_error(format!(
            "missing required column{} {} in {} {} file",
            if missing.len() > 1 { "s" } else { "" },
            missing
                .iter()
                .map(|m| format!("'{m}'"))
                .collect::<Vec<_>>()
                .join(", "),
            schema.article(),
            schema.what
        )));
    }
    Ok(Table {
        reader,
        width: headers.len(),
        columns: Columns(columns),
    })
}

/// One data row with its line number, for typed field access.
struct Row<'r> {
    record: &'r csv::StringRecord,
    line: u64,
    columns: &'r Columns,
}

impl Row<'_> {
    /// An error in a cell; a huge value is shortened (see [`text::shorten`]).
    fn error(&self, column: &str, value: &str, reason: impl Into<String>) -> CsvError {
        let reason = reason.into();
        CsvError {
            line: self.line,
            column: Some(column.to_string()),
            value: Some(text::shorten(value, text::MAX_VALUE).into_owned()),
            reason: text::shorten(&reason, text::MAX_MESSAGE).into_owned(),
        }
    }

    /// The trimmed value, `None` when the column is absent or the cell empty.
    fn get(&self, column: &'static str) -> Option<&str> {
        let idx = self.columns.get(column)?;
        let value = self.record.get(idx)?.trim();
        (!value.is_empty()).then_some(value)
    }

    fn required(&self, column: &'static str) -> Result<&str, CsvError> {
        self.get(column)
            .ok_or_else(|| self.error(column, "", "required, but empty"))
    }

    fn text(&self, column: &'static str) -> Option<String> {
        self.get(column).map(str::to_string)
    }

    fn parse<T, E>(
        &self,
        column: &'static str,
        parse: impl Fn(&str) -> Result<T, E>,
        reason: impl Fn(E) -> String,
    ) -> Result<Option<T>, CsvError> {
        match self.get(column) {
            None => Ok(None),
            Some(value) => parse(value)
                .map(Some)
                .map_err(|e| self.error(column, value, reason(e))),
        }
    }

    fn date(&self, column: &'static str) -> Result<Option<Date>, CsvError> {
        self.parse(column, Date::parse_lenient, |e| e.reason.to_string())
    }

    fn currency(&self) -> Result<Currency, CsvError> {
        Ok(self
            .parse("currency", Currency::parse, |_| {
                "expected a three-letter currency code such as EUR".to_string()
            })?
            .unwrap_or(Currency::EUR))
    }

    fn money(&self, column: &'static str, currency: Currency) -> Result<Option<Money>, CsvError> {
        self.parse(
            column,
            |v| Money::parse(v, currency),
            |e| match e {
                tegoed_core::money::MoneyError::Amount { reason, .. } => reason.to_string(),
                other => other.to_string(),
            },
        )
    }
}

/// Reads the data rows of `bytes` with `schema`: `read` turns a row into a
/// value, `each` receives it. Stops at the first error of either. Returns
/// the warnings about the file as a whole.
fn read_rows<T, E: From<CsvError>>(
    bytes: &[u8],
    schema: &Schema,
    mut read: impl FnMut(&Row<'_>) -> Result<T, CsvError>,
    mut each: impl FnMut(T) -> Result<(), E>,
) -> Result<Vec<String>, E> {
    let (text, fallback) = text::decode(bytes);
    let mut warnings = Vec::new();
    if fallback {
        warnings.push("the file is not UTF-8; it was read as Windows-1252".to_string());
    }
    let mut table = open_table(&text, schema)?;
    let mut lines = LineCounter::new(text.as_bytes());
    let mut record = csv::StringRecord::new();
    loop {
        let before = table.reader.position().byte();
        match table.reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = lines.line_of(e.position().map_or(before, |p| p.byte()));
                return Err(CsvError {
                    line,
                    column: None,
                    value: None,
                    reason: format!("cannot read this row: {e}"),
                }
                .into());
            }
        }
        let line = lines.line_of(record.position().map_or(before, |p| p.byte()));
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() != table.width {
            return Err(CsvError {
                line,
                column: None,
                value: None,
                reason: format!(
                    "expected {} fields like the header, found {}",
                    table.width,
                    record.len()
                ),
            }
            .into());
        }
        // No text Tegoed keeps may hold a NUL character (PostgreSQL cannot
        // store one, and it is a sign of a binary file).
        if let Some(idx) = record.iter().position(|f| f.contains('\0')) {
            let column = table
                .reader
                .headers()
                .ok()
                .and_then(|h| h.get(idx))
                .map(|h| h.trim().to_string());
            let value = record.get(idx).unwrap_or_default().replace('\0', "\\0");
            return Err(CsvError {
                line,
                column,
                value: Some(text::shorten(&value, text::MAX_VALUE).into_owned()),
                reason: "contains a NUL character (is this a text file?)".into(),
            }
            .into());
        }
        let row = Row {
            record: &record,
            line,
            columns: &table.columns,
        };
        each(read(&row)?)?;
    }
    Ok(warnings)
}

/// Line numbers of byte offsets, counted onwards from the last one asked
/// for (offsets only grow while a file is read, so this stays linear).
///
/// The CSV reader's own line count is one low on every row of a file with
/// Windows line endings (it counts a `\n`, and stops a row at the `\r`
/// before it) and does not count old Mac `\r` endings at all. Here `\r\n`,
/// `\n` and a lone `\r` each end a line, as an editor shows them.
struct LineCounter<'a> {
    text: &'a [u8],
    /// Bytes before this are counted.
    at: usize,
    /// The line at `at`.
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> LineCounter<'a> {
        LineCounter {
            text,
            at: 0,
            line: 1,
        }
    }

    /// The line of the row whose reading started at byte `offset`: the
    /// reader's position may still be on the line ending (or blank lines)
    /// before the row, so those are skipped first.
    fn line_of(&mut self, offset: u64) -> u64 {
        let mut target = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while target < self.text.len() && matches!(self.text[target], b'\r' | b'\n') {
            target += 1;
        }
        if target < self.at {
            (self.at, self.line) = (0, 1);
        }
        for idx in self.at..target {
            match self.text[idx] {
                b'\n' => self.line += 1,
                b'\r' if self.text.get(idx + 1) != Some(&b'\n') => self.line += 1,
                _ => {}
            }
        }
        self.at = target;
        self.line
    }
}

/// Collects what a `read_*` function streams.
fn collect<T>(
    read: impl FnOnce(&mut dyn FnMut(T) -> Result<(), CsvError>) -> Result<Vec<String>, CsvError>,
) -> Result<Parsed<T>, CsvError> {
    let mut rows = Vec::new();
    let warnings = read(&mut |row| {
        rows.push(row);
        Ok(())
    })?;
    Ok(Parsed { rows, warnings })
}

/// A quick upper estimate of the data rows in a file (for progress bars).
pub fn estimate_rows(bytes: &[u8]) -> u64 {
    bytecount_newlines(bytes).saturating_sub(1)
}

fn bytecount_newlines(bytes: &[u8]) -> u64 {
    let lines = bytes.iter().filter(|b| **b == b'\n').count() as u64;
    lines + u64::from(!bytes.is_empty() && bytes.last() != Some(&b'\n'))
}

/// Rejects a key that occurs twice in one file.
struct Seen(FxHashMap<String, u64>);

impl Seen {
    fn new() -> Seen {
        Seen(FxHashMap::default())
    }

    fn check(&mut self, row: &Row<'_>, column: &'static str, key: &str) -> Result<(), CsvError> {
        if let Some(first) = self.0.insert(key.to_string(), row.line) {
            return Err(row.error(
                column,
                key,
                format!("also on line {first}; each key may appear once per file"),
            ));
        }
        Ok(())
    }
}

/// Reads a customers file into memory.
pub fn parse_customers(bytes: &[u8]) -> Result<Parsed<CustomerRow>, CsvError> {
    collect(|each| read_customers(bytes, each))
}

/// Streams the rows of a customers file to `each`.
pub fn read_customers<E: From<CsvError>>(
    bytes: &[u8],
    each: impl FnMut(CustomerRow) -> Result<(), E>,
) -> Result<Vec<String>, E> {
    let mut seen = Seen::new();
    read_rows(
        bytes,
        &CUSTOMERS,
        move |row| {
            let number = row.required("customer_id")?.to_string();
            seen.check(row, "customer_id", &number)?;
            let name = row.required("name")?.to_string();
            let mut customer = Customer::new(number, name);
            if let Some(kind) = row.get("kind") {
                customer.kind = CustomerKind::parse(kind)
                    .ok_or_else(|| row.error("kind", kind, "expected b2b or b2c"))?;
            }
            customer.email = row.parse("email", Email::parse, |e| e.reason.to_string())?;
            customer.phone = row.text("phone");
            customer.industry = row.parse("industry", SbiCode::parse, |e| e.reason.to_string())?;
            customer.credit_limit = row.money("credit_limit", Currency::EUR)?;
            if let Some(limit) = customer.credit_limit
                && limit.is_negative()
            {
                return Err(row.error(
                    "credit_limit",
                    row.get("credit_limit").unwrap_or(""),
                    "must not be negative",
                ));
            }
            customer.payment_terms_days = row
                .parse(
                    "payment_terms_days",
                    |v| v.parse::<u32>().ok().filter(|d| *d <= 365).ok_or(()),
                    |_| "expected a whole number of days from 0 to 365".to_string(),
                )?
                .unwrap_or(DEFAULT_PAYMENT_TERMS_DAYS);
            if let Some(ibans) = row.get("iban") {
                // A set for the duplicates: a cell may hold thousands.
                let mut seen_ibans = rustc_hash::FxHashSet::default();
                for part in ibans
                    .split(['|', ',', ';'])
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                {
                    let iban = Iban::parse(part).map_err(|e| row.error("iban", part, e.reason))?;
                    if seen_ibans.insert(iban.clone()) {
                        customer.ibans.push(iban);
                    }
                }
            }
            customer.kvk = row.parse("kvk", KvkNumber::parse, |e| e.reason.to_string())?;
            customer.vat_number =
                row.parse("vat_number", VatNumber::parse, |e| e.reason.to_string())?;
            let country = match row.get("country") {
                None => "NL".to_string(),
                Some(c) if c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()) => {
                    c.to_ascii_uppercase()
                }
                Some(c) => {
                    return Err(row.error(
                        "country",
                        c,
                        "expected a two-letter country code such as NL",
                    ));
                }
            };
            customer.language = match row.get("language") {
                Some(language) => Language::parse(language)
                    .ok_or_else(|| row.error("language", language, "expected nl or en"))?,
                None if country == "NL" => Language::Nl,
                None => Language::En,
            };
            customer.address = Address {
                street: row.text("street"),
                postal_code: row.text("postal_code"),
                city: row.text("city"),
                country,
            };
            Ok(CustomerRow {
                line: row.line,
                customer,
                account_manager: row.text("account_manager"),
            })
        },
        each,
    )
}

/// Reads an invoices file into memory.
pub fn parse_invoices(bytes: &[u8]) -> Result<Parsed<InvoiceRow>, CsvError> {
    collect(|each| read_invoices(bytes, each))
}

/// Streams the rows of an invoices file to `each`.
pub fn read_invoices<E: From<CsvError>>(
    bytes: &[u8],
    each: impl FnMut(InvoiceRow) -> Result<(), E>,
) -> Result<Vec<String>, E> {
    let mut seen = Seen::new();
    read_rows(
        bytes,
        &INVOICES,
        move |row| {
            let number = row.required("invoice_number")?.to_string();
            seen.check(row, "invoice_number", &number)?;
            let customer_number = row.required("customer_id")?.to_string();
            row.required("issue_date")?;
            let issue_date = row
                .date("issue_date")?
                .unwrap_or(Date::from_days_since_epoch(0));
            let due_date = row.date("due_date")?;
            if let Some(due) = due_date
                && due < issue_date
            {
                return Err(row.error(
                    "due_date",
                    row.get("due_date").unwrap_or(""),
                    format!("the due date is before the issue date {issue_date}"),
                ));
            }
            let currency = row.currency()?;
            row.required("amount")?;
            let amount = row
                .money("amount", currency)?
                .unwrap_or(Money::zero(currency));
            let payment_reference =
                row.parse("payment_reference", PaymentReference::parse, |e| {
                    e.reason.to_string()
                })?;
            let applies_to = row.text("applies_to");
            if applies_to.is_some() && amount.minor >= 0 {
                return Err(row.error(
                    "applies_to",
                    row.get("applies_to").unwrap_or(""),
                    "only a credit note (negative amount) can apply to another invoice",
                ));
            }
            if applies_to.as_deref() == Some(number.as_str()) {
                return Err(row.error(
                    "applies_to",
                    &number,
                    "a credit note cannot apply to itself",
                ));
            }
            Ok(InvoiceRow {
                line: row.line,
                number,
                customer_number,
                issue_date,
                due_date,
                amount,
                payment_reference,
                description: row.text("description"),
                applies_to,
            })
        },
        each,
    )
}

/// Reads a payments file into memory.
pub fn parse_payments(bytes: &[u8]) -> Result<Parsed<PaymentRow>, CsvError> {
    collect(|each| read_payments(bytes, each))
}

/// Streams the rows of a payments file to `each`.
pub fn read_payments<E: From<CsvError>>(
    bytes: &[u8],
    each: impl FnMut(PaymentRow) -> Result<(), E>,
) -> Result<Vec<String>, E> {
    let mut seen = Seen::new();
    read_rows(
        bytes,
        &PAYMENTS,
        move |row| {
            let payment_id = row.required("payment_id")?.to_string();
            seen.check(row, "payment_id", &payment_id)?;
            row.required("date")?;
            let date = row.date("date")?.unwrap_or(Date::from_days_since_epoch(0));
            let currency = row.currency()?;
            let amount_text = row.required("amount")?;
            let amount = row
                .money("amount", currency)?
                .unwrap_or(Money::zero(currency));
            if amount.is_zero() {
                return Err(row.error("amount", amount_text, "a payment of zero moves no money"));
            }
            let counterparty_iban =
                row.parse("counterparty_iban", Iban::parse, |e| e.reason.to_string())?;
            Ok(PaymentRow {
                line: row.line,
                payment_id,
                date,
                amount,
                customer_number: row.text("customer_id"),
                invoice_number: row.text("invoice_number"),
                reference: row.text("reference"),
                counterparty_iban,
                counterparty_name: row.text("counterparty_name"),
            })
        },
        each,
    )
}

/// One row of an external credit ratings file.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingRow {
    pub line: u64,
    pub customer_number: Option<String>,
    pub kvk: Option<KvkNumber>,
    pub provider: String,
    /// The score as the provider gives it (any scale; the app maps it).
    pub score: f64,
    pub recommended_limit: Option<Money>,
    pub date: Date,
}

/// Reads a ratings file (Graydon, Creditsafe and similar exports): each row
/// names a customer number or a KvK number (or both).
pub fn parse_ratings(bytes: &[u8]) -> Result<Parsed<RatingRow>, CsvError> {
    collect(|each| {
        read_rows(
            bytes,
            &RATINGS,
            |row| {
                let customer_number = row.text("customer_id");
                let kvk = row.parse("kvk", KvkNumber::parse, |e| e.reason.to_string())?;
                if customer_number.is_none() && kvk.is_none() {
                    return Err(row.error(
                        "customer_id",
                        "",
                        "each rating needs a customer_id or a kvk number",
                    ));
                }
                let provider = row.required("provider")?.to_string();
                let score_text = row.required("score")?;
                let score = score_text
                    .replace(',', ".")
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite())
                    .ok_or_else(|| {
                        row.error("score", score_text, "expected a number such as 72 or 6,5")
                    })?;
                row.required("date")?;
                let date = row.date("date")?.unwrap_or(Date::from_days_since_epoch(0));
                Ok(RatingRow {
                    line: row.line,
                    customer_number,
                    kvk,
                    provider,
                    score,
                    recommended_limit: row.money("recommended_limit", Currency::EUR)?,
                    date,
                })
            },
            each,
        )
    })
}

/// One row of a dunning history file: a step an earlier system sent about
/// an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DunningHistoryRow {
    pub line: u64,
    pub invoice_number: String,
    /// A step id of the strategy, or a kind (`reminder`, `final_notice`, …).
    pub step: String,
    pub date: Date,
    /// `email`, `letter`, `call` or `handoff`, as written.
    pub channel: Option<String>,
    pub strategy: Option<String>,
}

/// Reads a dunning history file (`invoice_number`, `step`, `date`;
/// optional `channel`, `strategy`). The step and channel are checked
/// against the configuration by the caller.
pub fn parse_dunning_history(bytes: &[u8]) -> Result<Parsed<DunningHistoryRow>, CsvError> {
    collect(|each| {
        read_rows(
            bytes,
            &DUNNING_HISTORY,
            |row| {
                let invoice_number = row.required("invoice_number")?.to_string();
                let step = row.required("step")?.to_string();
                row.required("date")?;
                let date = row.date("date")?.unwrap_or(Date::from_days_since_epoch(0));
                Ok(DunningHistoryRow {
                    line: row.line,
                    invoice_number,
                    step,
                    date,
                    channel: row.text("channel"),
                    strategy: row.text("strategy"),
                })
            },
            each,
        )
    })
}

/// Writes canonical CSV (comma-delimited, UTF-8, `.` decimals) with the given
/// header; used for exports and by the demo generator.
pub struct CsvWriter<W: Write> {
    writer: csv::Writer<W>,
}

impl<W: Write> CsvWriter<W> {
    pub fn new(out: W, header: &[&str]) -> std::io::Result<CsvWriter<W>> {
        let mut writer = csv::WriterBuilder::new().from_writer(out);
        writer.write_record(header).map_err(std::io::Error::other)?;
        Ok(CsvWriter { writer })
    }

    pub fn row<I, S>(&mut self, fields: I) -> std::io::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.writer
            .write_record(fields)
            .map_err(std::io::Error::other)
    }

    pub fn finish(mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn err<T: fmt::Debug>(result: Result<Parsed<T>, CsvError>) -> String {
        result.expect_err("should fail").to_string()
    }

    #[test]
    fn invoices_semicolon_dutch_amounts_and_dates() {
        let file = "invoice_number;customer_id;issue_date;amount;due_date;currency\n\
                    F-1;C1;01-03-2026;1.234,56;31-03-2026;eur\n\
                    F-2;C1;2026-03-05;-100,00;;\n";
        let parsed = parse_invoices(file.as_bytes()).unwrap();
        assert_eq!(parsed.rows.len(), 2);
        assert_eq!(parsed.rows[0].amount, Money::eur(123_456));
        assert_eq!(parsed.rows[0].due_date, Date::from_ymd(2026, 3, 31));
        assert_eq!(parsed.rows[1].amount, Money::eur(-10_000));
        assert_eq!(parsed.rows[1].due_date, None);
        assert_eq!(parsed.rows[1].line, 3);
    }

    #[test]
    fn errors_name_line_column_and_value() {
        let file = "invoice_number,customer_id,issue_date,amount\nF-1,C1,2026-01-01,10.00\nF-2,C1,2026-13-01,5\n";
        assert_eq!(
            err(parse_invoices(file.as_bytes())),
            "line 3, column 'issue_date', value '2026-13-01': no such day"
        );
        let file = "invoice_number,customer_id,issue_date,amount,colour\n";
        assert!(err(parse_invoices(file.as_bytes())).contains("unknown column 'colour'"));
        let file = "invoice_number,customer_id,amount\n";
        assert!(
            err(parse_invoices(file.as_bytes())).contains("missing required column 'issue_date'")
        );
        let file = "invoice_number,customer_id,issue_date,amount\nF-1,C1,2026-01-01,10.00\nF-1,C1,2026-01-02,11.00\n";
        assert_eq!(
            err(parse_invoices(file.as_bytes())),
            "line 3, column 'invoice_number', value 'F-1': also on line 2; each key may appear once per file"
        );
        let file = "invoice_number,customer_id,issue_date,amount\nF-1,,2026-01-01,10.00\n";
        assert_eq!(
            err(parse_invoices(file.as_bytes())),
            "line 2, column 'customer_id', value '': required, but empty"
        );
        let file = "invoice_number,customer_id,issue_date,amount\nF-1,C1,2026-01-01\n";
        assert!(err(parse_invoices(file.as_bytes())).starts_with("line 2: expected 4 fields"));
        let file = "invoice_number,customer_id,issue_date,amount,payment_reference\nF-1,C1,2026-01-01,1,4000056789012345\n";
        assert_eq!(
            err(parse_invoices(file.as_bytes())),
            "line 2, column 'payment_reference', value '4000056789012345': betalingskenmerk check digit does not match"
        );
    }

    #[test]
    fn customers_with_validation() {
        let file = "customer_id,name,kind,email,iban,kvk,vat_number,industry,country,credit_limit\n\
                    C1,Bakkerij De Vries,b2b,info@devries.nl,NL91ABNA0417164300|DE89 3704 0044 0532 0130 00,12345678,NL812345678B01,1071,nl,\"5.000,00\"\n\
                    C2,Jan Jansen,b2c,,,,,,BE,\n";
        let parsed = parse_customers(file.as_bytes()).unwrap();
        let c1 = &parsed.rows[0].customer;
        assert_eq!(c1.ibans.len(), 2);
        assert_eq!(c1.credit_limit, Some(Money::eur(500_000)));
        assert_eq!(c1.language, Language::Nl);
        let c2 = &parsed.rows[1].customer;
        assert_eq!(c2.kind, CustomerKind::B2c);
        assert_eq!(c2.language, Language::En);
        assert_eq!(c2.address.country, "BE");

        let bad = "customer_id,name,iban\nC1,X,NL91ABNA0417164301\n";
        assert_eq!(
            err(parse_customers(bad.as_bytes())),
            "line 2, column 'iban', value 'NL91ABNA0417164301': check digits do not match (mod-97)"
        );
        let bad = "customer_id,name,kvk\nC1,X,1234\n";
        assert_eq!(
            err(parse_customers(bad.as_bytes())),
            "line 2, column 'kvk', value '1234': expected 8 digits"
        );
        let bad = "customer_id,name,email\nC1,X,not-an-email\n";
        assert_eq!(
            err(parse_customers(bad.as_bytes())),
            "line 2, column 'email', value 'not-an-email': missing '@'"
        );
    }

    #[test]
    fn payments() {
        let file = "payment_id\tdate\tamount\tcounterparty_iban\tinvoice_number\nP1\t2026-02-01\t10,00\tNL91ABNA0417164300\tF-1\n";
        let parsed = parse_payments(file.as_bytes()).unwrap();
        assert_eq!(parsed.rows[0].amount, Money::eur(1000));
        assert_eq!(parsed.rows[0].invoice_number.as_deref(), Some("F-1"));
        let zero = "payment_id,date,amount\nP1,2026-02-01,0\n";
        assert!(err(parse_payments(zero.as_bytes())).contains("zero"));
    }

    #[test]
    fn empty_file_and_blank_lines() {
        assert!(err(parse_payments(b"")).contains("empty"));
        let file = "payment_id,date,amount\n\nP1,2026-02-01,1\n,,\n";
        assert_eq!(parse_payments(file.as_bytes()).unwrap().rows.len(), 1);
    }

    #[test]
    fn writer_round_trip() {
        let mut out = Vec::new();
        let mut writer =
            CsvWriter::new(&mut out, &["payment_id", "date", "amount", "reference"]).unwrap();
        writer
            .row(["P1", "2026-01-01", "12.50", "a, \"quoted\" text"])
            .unwrap();
        writer.finish().unwrap();
        let parsed = parse_payments(&out).unwrap();
        assert_eq!(
            parsed.rows[0].reference.as_deref(),
            Some("a, \"quoted\" text")
        );
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse_customers(&bytes);
            let _ = parse_invoices(&bytes);
            let _ = parse_payments(&bytes);
        }

        #[test]
        fn never_panics_on_plausible_rows(rows in proptest::collection::vec("[A-Za-z0-9,;.\\- ]{0,40}", 0..6)) {
            let text = format!("invoice_number,customer_id,issue_date,amount,due_date\n{}", rows.join("\n"));
            let _ = parse_invoices(text.as_bytes());
        }
    }
}
