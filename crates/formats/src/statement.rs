//! Bank statements, whatever the file format: the model CAMT and MT940 are
//! read into, and the entry point that detects the format.
//!
//! A statement has entries; an entry has one or more transaction details
//! (a batch booking has several). Each detail is one payment for Tegoed.

use std::fmt;

use tegoed_core::{Currency, Date, Money};

use crate::{camt, mt940, text, zip};

/// Which format a statement came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementFormat {
    /// ISO 20022 camt.052 (intraday report), camt.053 (statement) or
    /// camt.054 (notification), with the schema version, e.g. `053.001.02`.
    Camt { message: String },
    /// SWIFT MT940 (or MT942 interim report).
    Mt94x,
}

impl fmt::Display for StatementFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatementFormat::Camt { message } => write!(f, "camt.{message}"),
            StatementFormat::Mt94x => f.write_str("MT940"),
        }
    }
}

/// Money in or out of the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Credit,
    Debit,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Credit => "credit",
            Direction::Debit => "debit",
        }
    }
}

/// Whether the bank has booked the entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryStatus {
    Booked,
    Pending,
    Information,
}

/// A balance on a date (negative when the account is overdrawn).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balance {
    pub amount: Money,
    pub date: Date,
}

/// One payment inside an entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TxDetail {
    /// Positive, in the entry's currency.
    pub amount: Option<Money>,
    pub end_to_end_id: Option<String>,
    pub instruction_id: Option<String>,
    pub mandate_id: Option<String>,
    pub servicer_ref: Option<String>,
    pub counterparty_name: Option<String>,
    /// As written in the file; checked when used.
    pub counterparty_account: Option<String>,
    pub counterparty_bic: Option<String>,
    /// Structured creditor reference (`Strd/CdtrRefInf/Ref`, `/REMI/STRD/CUR/…`).
    pub structured_reference: Option<String>,
    /// Unstructured remittance text and other free text that may name invoices.
    pub remittance: Option<String>,
    pub return_reason: Option<String>,
}

/// A booking on the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankEntry {
    /// Line in the file where the entry starts.
    pub line: u64,
    pub booking_date: Date,
    pub value_date: Option<Date>,
    pub direction: Direction,
    /// The entry reverses an earlier one (a returned direct debit, a
    /// recalled transfer).
    pub reversal: bool,
    pub status: EntryStatus,
    /// Positive.
    pub amount: Money,
    pub entry_ref: Option<String>,
    pub servicer_ref: Option<String>,
    /// Bank transaction code (`PMNT-RCDT-ESCT`, `NTRF`, …).
    pub bank_code: Option<String>,
    pub additional_info: Option<String>,
    /// At least one.
    pub details: Vec<TxDetail>,
}

/// One statement (or report, or notification) for one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub format: StatementFormat,
    pub id: Option<String>,
    /// The statement's own account (IBAN or other identifier).
    pub account: Option<String>,
    pub account_name: Option<String>,
    pub currency: Option<Currency>,
    pub opening: Option<Balance>,
    pub closing: Option<Balance>,
    pub entries: Vec<BankEntry>,
}

/// Statements read from one file, and what was odd about it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatementFile {
    pub statements: Vec<Statement>,
    pub warnings: Vec<String>,
}

/// A statement file that cannot be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementError {
    pub line: u64,
    /// The XML element path or MT940 field, when known.
    pub element: Option<String>,
    pub message: String,
}

impl fmt::Display for StatementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(element) = &self.element {
            write!(f, ", {element}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for StatementError {}

impl StatementError {
    /// An error; a long message (one quoting a huge value) is shortened
    /// to [`text::MAX_MESSAGE`] characters, an element name to
    /// [`text::MAX_VALUE`].
    pub fn new(line: u64, element: Option<String>, message: impl Into<String>) -> StatementError {
        let message = message.into();
        StatementError {
            line,
            element: element.map(|e| match text::shorten(&e, text::MAX_VALUE) {
                std::borrow::Cow::Borrowed(_) => e,
                std::borrow::Cow::Owned(short) => short,
            }),
            message: text::shorten(&message, text::MAX_MESSAGE).into_owned(),
        }
    }
}

/// What a file looks like from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected {
    Zip,
    Xml,
    Mt94x,
    Unknown,
}

/// Guesses the format of a statement file from its content.
pub fn detect(bytes: &[u8]) -> Detected {
    if bytes.starts_with(b"PK\x03\x04") {
        return Detected::Zip;
    }
    let head = &bytes[..bytes.len().min(4096)];
    let head = String::from_utf8_lossy(head);
    let trimmed = head.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('<') {
        return Detected::Xml;
    }
    let starts_with_field = trimmed.starts_with(':')
        && trimmed[1..].find(':').is_some_and(|end| {
            end > 0
                && end <= 4
                && trimmed[1..1 + end]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric())
        });
    if starts_with_field
        || head.contains(":20:")
        || head.contains(":25:")
        || head.contains(":940:")
        || head.contains("{4:")
    {
        return Detected::Mt94x;
    }
    Detected::Unknown
}

/// Reads a bank statement file of any supported format: CAMT.052/053/054
/// (one or more documents), MT940/MT942, or a ZIP archive of those.
pub fn parse(bytes: &[u8]) -> Result<StatementFile, StatementError> {
    match detect(bytes) {
        Detected::Zip => {
            let members = zip::read_members(bytes).map_err(|e| {
                StatementError::new(1, None, format!("cannot read the ZIP archive: {e}"))
            })?;
            let mut file = StatementFile::default();
            for (name, content) in members {
                if name.ends_with('/') || content.is_empty() {
                    continue;
                }
                // Archives inside archives are not opened: banks do not
                // nest them, and each level would multiply what a ZIP bomb
                // may inflate to.
                if detect(&content) == Detected::Zip {
                    return Err(StatementError::new(
                        1,
                        None,
                        format!(
                            "in {name}: a ZIP archive inside a ZIP archive is not read; unpack it and import the statements in it"
                        ),
                    ));
                }
                let inner = parse(&content).map_err(|e| {
                    StatementError::new(e.line, e.element, format!("in {name}: {}", e.message))
                })?;
                file.statements.extend(inner.statements);
                file.warnings
                    .extend(inner.warnings.into_iter().map(|w| format!("{name}: {w}")));
            }
            if file.statements.is_empty() {
                return Err(StatementError::new(
                    1,
                    None,
                    "the ZIP archive holds no bank statement",
                ));
            }
            Ok(file)
        }
        Detected::Xml => {
            let (source, fallback) = text::decode(bytes);
            let mut file = camt::parse(&source)?;
            if fallback {
                file.warnings
                    .push("the file is not UTF-8; it was read as Windows-1252".into());
            }
            Ok(file)
        }
        Detected::Mt94x => {
            let (source, fallback) = text::decode(bytes);
            let mut file = mt940::parse(&source)?;
            if fallback {
                file.warnings
                    .push("the file is not UTF-8; it was read as Windows-1252".into());
            }
            Ok(file)
        }
        Detected::Unknown => Err(StatementError::new(
            1,
            None,
            "not a bank statement: expected CAMT.053/052/054 XML, MT940 or a ZIP archive of those",
        )),
    }
}

/// Collapses runs of whitespace into one space and trims; `None` when empty.
pub(crate) fn clean(text: &str) -> Option<String> {
    let cleaned = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!cleaned.is_empty()).then_some(cleaned)
}

/// The identity of one payment (transaction detail) in a statement, the
/// same whichever file it arrives in — so the same file imported twice, or
/// an intraday report followed by the day's statement, books it once.
///
/// It is made of: the account, the booking date, credit or debit, the
/// amount, the bank's entry reference (`NtryRef`, else `AcctSvcrRef`, else
/// the MT940 bank reference), the detail's end-to-end id or its own servicer
/// reference, the counterparty account (else name), the reversal flag, and —
/// for batch entries — the detail's position in the entry. Two payments that
/// agree on all of that (two equal transfers from one payer on one day
/// without references) are told apart by the caller by counting occurrences
/// within the file.
pub fn entry_identity(
    account: Option<&str>,
    entry: &BankEntry,
    detail: &TxDetail,
    detail_index: usize,
) -> String {
    let amount = detail.amount.unwrap_or(entry.amount);
    let entry_ref = entry
        .entry_ref
        .as_deref()
        .or(entry.servicer_ref.as_deref())
        .unwrap_or("");
    let detail_ref = detail
        .end_to_end_id
        .as_deref()
        .or(detail.servicer_ref.as_deref())
        .unwrap_or("");
    let party = detail
        .counterparty_account
        .as_deref()
        .or(detail.counterparty_name.as_deref())
        .unwrap_or("");
    let position = if entry.details.len() > 1 {
        detail_index.to_string()
    } else {
        String::new()
    };
    format!(
        "{}|{}|{}|{}|{}|{}|{}|{}|{}",
        account.unwrap_or(""),
        entry.booking_date,
        entry.direction.as_str(),
        amount,
        entry_ref,
        detail_ref,
        party,
        if entry.reversal { "R" } else { "" },
        position
    )
}
