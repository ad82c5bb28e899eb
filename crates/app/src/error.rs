//! The errors a use case can end in: bad input (named by file, line, column
//! and value), something the user asked for that does not exist, or a store
//! failure.

use tegoed_formats::ledger_csv::CsvError;
use tegoed_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A file that cannot be imported; nothing of it was saved.
    #[error("{file}: {error}")]
    Input { file: String, error: CsvError },
    /// A bank statement or e-invoice that cannot be read; nothing of it was
    /// saved.
    #[error("{file}: line {line}{}: {message}", element.as_ref().map(|e| format!(", {e}")).unwrap_or_default())]
    File {
        file: String,
        line: u64,
        element: Option<String>,
        message: String,
    },
    /// A configuration file that cannot be used.
    #[error("{file}: {message}")]
    Config { file: String, message: String },
    /// A customer, invoice or payment that does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A request that cannot be carried out as asked.
    #[error("{0}")]
    Invalid(String),
    /// A business rule refuses the request (known by kind, see
    /// [`crate::refusal`]).
    #[error(transparent)]
    Refused(#[from] crate::refusal::Refusal),
    /// The acting user may not do this (their role, or not their customer).
    #[error("{0}")]
    Forbidden(String),
    /// Someone else is doing this right now (a dunning run in progress).
    #[error("{0}")]
    Busy(String),
    /// It was done already, or changed in the meantime (a suggestion
    /// thanked or dismissed, a gift decided): nothing was changed.
    #[error("{0}")]
    Conflict(String),
    /// A total of money too large to compute (checked arithmetic).
    #[error(transparent)]
    Money(#[from] tegoed_core::MoneyError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AppError {
    /// True for errors caused by the user's input (as opposed to the system).
    pub fn is_user_error(&self) -> bool {
        !matches!(self, AppError::Store(_))
    }

    pub(crate) fn row(
        file: &str,
        line: u64,
        column: &str,
        value: &str,
        reason: impl Into<String>,
    ) -> AppError {
        AppError::Input {
            file: file.to_string(),
            error: CsvError {
                line,
                column: Some(column.to_string()),
                value: Some(value.to_string()),
                reason: reason.into(),
            },
        }
    }
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;
