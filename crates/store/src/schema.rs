//! The logical schema every backend stores: the tables, their columns and
//! what kind of value each holds, in an order where every table comes after
//! the tables it refers to. `tegoed migrate` copies a database table by
//! table through [`crate::ReadTx::copy_out`] and [`crate::WriteTx::copy_in`]
//! with it, and the contract story checks that each backend can copy every
//! table, so a column added to one backend's migrations and not to this list
//! (or the other backend) fails the tests.

/// What a column holds, as a backend-neutral [`Cell`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A whole number (ids, minor units, counts, Unix seconds).
    Int,
    /// A day, as days since 1970-01-01 in [`Cell::Int`].
    Date,
    /// A flag, as 0 or 1 in [`Cell::Int`].
    Bool,
    /// A provider's rating score (never money).
    Real,
    Text,
}

/// One value of a row being copied.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

/// A table of the logical schema.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [(&'static str, Kind)],
    /// The columns that identify a row; rows are copied in this order.
    pub key: &'static [&'static str],
    /// Whether `id` is handed out by the database (so a backend must move
    /// its counter past the copied ids).
    pub serial_id: bool,
}

impl Table {
    /// The columns' names, comma-separated, for a statement.
    pub fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|(name, _)| format!("\"{name}\""))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The key columns, comma-separated, for `ORDER BY`.
    pub fn key_list(&self) -> String {
        self.key
            .iter()
            .map(|name| format!("\"{name}\""))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

use Kind::*;

/// Every table, parents before children.
pub const TABLES: &[Table] = &[
    Table {
        name: "account_manager",
        columns: &[("id", Int), ("name", Text), ("email", Text)],
        key: &["id"],
        serial_id: true,
    },
    Table {
        name: "customer",
        columns: &[
            ("id", Int),
            ("number", Text),
            ("name", Text),
            ("kind", Text),
            ("email", Text),
            ("phone", Text),
            ("language", Text),
            ("industry", Text),
            ("account_manager_id", Int),
            ("credit_limit_minor", Int),
            ("payment_terms_days", Int),
            ("kvk", Text),
            ("vat_number", Text),
            ("street", Text),
            ("postal_code", Text),
            ("city", Text),
            ("country", Text),
            ("peppol_id", Text),
        ],
        key: &["id"],
        serial_id: true,
    },
    Table {
        name: "customer_iban",
        columns: &[("iban", Text), ("customer_id", Int), ("source", Text)],
        key: &["customer_id", "iban"],
        serial_id: false,
    },
    Table {
        name: "invoice",
        columns: &[
            ("id", Int),
            ("number", Text),
            ("customer_id", Int),
            ("issue_date", Date),
            ("due_date", Date),
            ("amount_minor", Int),
            ("currency", Text),
            ("payment_reference", Text),
            ("description", Text),
            ("credits_invoice", Text),
        ],
        key: &["id"],
        serial_id: true,
    },
    Table {
        name: "payment",
        columns: &[
            ("id", Int),
            ("external_id", Text),
            ("date", Date),
            ("amount_minor", Int),
            ("currency", Text),
            ("customer_id", Int),
            ("invoice_id", Int),
            ("reference", Text),
            ("counterparty_iban", Text),
            ("counterparty_name", Text),
            ("source", Text),
            ("end_to_end_id", Text),
            ("bank_account", Text),
            ("match_rule", Text),
            ("match_confidence", Int),
            ("needs_review", Bool),
            ("suggested_customer_id", Int),
            ("note", Text),
            ("reverses_payment_id", Int),
        ],
        key: &["id"],
        serial_id: true,
    },
    Table {
        name: "allocation",
        columns: &[
            ("id", Int),
            ("invoice_id", Int),
            ("payment_id", Int),
            ("credit_note_id", Int),
            ("date", Date),
            ("amount_minor", Int),
        ],
        key: &["id"],
        serial_id: true,
    },
    Table {
        name: "statement_import",
        columns: &[
            ("id", Int),
            ("file_name", Text),
            ("file_hash", Text),
            ("format", Text),
            ("accounts", Text),
            ("statements", Int),
            ("entries", Int),
            ("booked", Int),
            ("duplicates", Int),
            ("debits", Int),
            ("imported_at", Text),
        ],
        key: &["id"],
        serial_id: true,
    },
    Table {
        name: "customer_tag",
        columns: &[("customer_id", Int), ("tag", Text)],
        key: &["customer_id", "tag"],
        serial_id: false,
    },
    Table {
        name: "collection_state",
        columns: &[
            ("customer_id", Int),
            ("credit_hold_since", Date),
            ("credit_hold_reason", Text),
            ("pause_until", Date),
            ("pause_reason", Text),
            ("handed_off_on", Date),
        ],
        key: &["customer_id"],
        serial_id: false,
    },
    Table {
        name: "dispute",
        columns: &[
            ("id", Int),
            ("invoice_id", Int),
            ("customer_id", Int),
            ("opened_on", Date),
            ("reason", Text),
            ("resolved_on", Date),
            ("resolution", Text),
        ],
        key: &["id"],
        serial_id: true,
    },
    Table {
        name: "promise",
        columns: &[
            ("id", Int),
            ("customer_id", Int),
            ("created_on", Date),
            ("amount_minor", Int),
            ("currency", Text),
            ("promised_on", Date),
            ("status", Text),
            ("status_on", Date),
            ("note", Text),
        ],
        key: &["id"],
        serial_id: true,
    },
    Table {
        name: "sale_agreement",
        columns: &[
            ("id", Int),
            ("customer_id", Int),
            ("agreed_on", Date),
            ("terms_days", Int),
            ("method", Text),
            ("invoice_contact", Text),
            ("agreed_with", Text),
            ("agreed_by", Text),
            ("note", Text),
        ],
        key: &["id"],
        serial_id: true,
    },
    Table {
        name: "promise_invoice",
        columns: &[("promise_id", Int), ("invoice_id", Int)],
        key: &["promise_id", "invoice_id"],
        serial_id: false,
    },
    Table {
        name: "payment_plan",
        columns: &[
            ("id", Int),
            ("customer_id", Int),
            ("created_on", Date),
            ("total_minor", Int),
            ("currency", Text),
            ("instalments", Int),
            ("first_due", Date),
            ("interval", Text),
            ("status", Text),
            ("status_on", Date),
            ("missed_due", Date),
        ],
        key: &["id"],
        serial_id: true,
    },
    Table {
        name: "plan_invoice",
        columns: &[("plan_id", Int), ("invoice_id", Int)],
        key: &["plan_id", "invoice_id"],
        serial_id: false,
    },
    Table {
        name: "dunning_run",
        columns: &[
            ("id", Int),
            ("as_of", Date),
            ("messages", Int),
            ("started_at", Text),
        ],
        key: &["id"],
        serial_id: true,
    },
    Table {
        name: "dunning_message",
        columns: &[
            ("id", Int),
            ("run_id", Int),
            ("customer_id", Int),
            ("as_of", Date),
            ("segment", Text),
            ("strategy", Text),
            ("step_id", Text),
            ("step_offset", Int),
            ("channel", Text),
            ("language", Text),
            ("recipient", Text),
            ("sender_name", Text),
            ("sender_email", Text),
            ("subject", Text),
            ("body_text", Text),
            ("document", Text),
            ("currency", Text),
            ("principal_minor", Int),
            ("interest_minor", Int),
            ("costs_minor", Int),
            ("vat_uplift_minor", Int),
            ("credit_minor", Int),
            ("pay_by", Date),
            ("effects", Text),
            ("status", Text),
            ("delivered_on", Date),
            ("file_path", Text),
            ("error", Text),
            ("fourteen_day", Bool),
            ("received_on", Date),
            ("pay_without_costs_until", Date),
            ("stated_costs_minor", Int),
            ("claimed_by", Text),
        ],
        key: &["id"],
        serial_id: true,
    },
    Table {
        name: "dunning_item",
        columns: &[
            ("message_id", Int),
            ("invoice_id", Int),
            ("open_minor", Int),
            ("interest_minor", Int),
            ("days_overdue", Int),
            ("step_offset", Int),
            ("step", Text),
            ("kind", Text),
        ],
        key: &["message_id", "invoice_id"],
        serial_id: false,
    },
    Table {
        name: "task",
        columns: &[
            ("id", Int),
            ("customer_id", Int),
            ("message_id", Int),
            ("kind", Text),
            ("created_on", Date),
            ("due_on", Date),
            ("assignee", Text),
            ("title", Text),
            ("talking_points", Text),
            ("amount_minor", Int),
            ("currency", Text),
            ("status", Text),
            ("done_on", Date),
            ("outcome", Text),
        ],
        key: &["id"],
        serial_id: true,
    },
    Table {
        name: "timeline_event",
        columns: &[
            ("id", Int),
            ("customer_id", Int),
            ("date", Date),
            ("kind", Text),
            ("invoice_id", Int),
            ("ref_id", Int),
            ("text", Text),
            ("author", Text),
            ("text_nl", Text),
        ],
        key: &["id"],
        serial_id: true,
    },
    Table {
        name: "risk_model",
        columns: &[("id", Int), ("trained_as_of", Date), ("body", Text)],
        key: &["id"],
        serial_id: true,
    },
    Table {
        name: "rating",
        columns: &[
            ("id", Int),
            ("subject", Text),
            ("customer_id", Int),
            ("kvk", Text),
            ("provider", Text),
            ("score", Real),
            ("recommended_limit_minor", Int),
            ("rated_on", Date),
        ],
        key: &["id"],
        serial_id: true,
    },
    Table {
        name: "app_user",
        columns: &[
            ("id", Int),
            ("email", Text),
            ("name", Text),
            ("role", Text),
            ("language", Text),
            ("password_hash", Text),
            ("account_manager_id", Int),
            ("disabled", Bool),
            ("created_at", Int),
        ],
        key: &["id"],
        serial_id: true,
    },
    Table {
        name: "session",
        columns: &[
            ("token_hash", Text),
            ("user_id", Int),
            ("csrf", Text),
            ("created_at", Int),
            ("expires_at", Int),
        ],
        key: &["token_hash"],
        serial_id: false,
    },
    Table {
        name: "api_token",
        columns: &[
            ("id", Int),
            ("token_hash", Text),
            ("user_id", Int),
            ("name", Text),
            ("created_at", Int),
        ],
        key: &["id"],
        serial_id: true,
    },
    Table {
        name: "audit_log",
        columns: &[
            ("id", Int),
            ("at", Int),
            ("actor", Text),
            ("action", Text),
            ("subject", Text),
            ("detail", Text),
        ],
        key: &["id"],
        serial_id: true,
    },
    Table {
        name: "pause_request",
        columns: &[
            ("id", Int),
            ("customer_id", Int),
            ("requested_by", Text),
            ("requested_on", Date),
            ("until", Date),
            ("reason", Text),
            ("status", Text),
            ("decided_by", Text),
            ("decided_on", Date),
        ],
        key: &["id"],
        serial_id: true,
    },
    Table {
        name: "run_lease",
        columns: &[
            ("name", Text),
            ("token", Text),
            ("holder", Text),
            ("host", Text),
            ("pid", Int),
            ("started_at", Int),
            ("expires_at", Int),
        ],
        key: &["name"],
        serial_id: false,
    },
    Table {
        name: "server_secret",
        columns: &[("name", Text), ("value", Text)],
        key: &["name"],
        serial_id: false,
    },
    Table {
        name: "dunning_history",
        columns: &[
            ("invoice_id", Int),
            ("date", Date),
            ("step", Text),
            ("kind", Text),
            ("channel", Text),
            ("strategy", Text),
        ],
        key: &["invoice_id", "date", "step"],
        serial_id: false,
    },
    Table {
        name: "appreciation",
        columns: &[
            ("id", Int),
            ("customer_id", Int),
            ("reason", Text),
            ("since", Date),
            ("ref_id", Int),
            ("suggested", Text),
            ("evidence", Text),
            ("evidence_nl", Text),
            ("raised_on", Date),
            ("status", Text),
            ("decided_on", Date),
            ("decided_by", Text),
            ("message_id", Int),
        ],
        key: &["id"],
        serial_id: true,
    },
    Table {
        name: "portal_token",
        columns: &[
            ("hash", Text),
            ("customer_id", Int),
            ("issued_on", Date),
            ("expires_on", Date),
            ("revoked_on", Date),
        ],
        key: &["hash"],
        serial_id: false,
    },
    Table {
        name: "portal_request",
        columns: &[
            ("id", Int),
            ("customer_id", Int),
            ("kind", Text),
            ("created_on", Date),
            ("created_at", Int),
            ("on_date", Date),
            ("amount_minor", Int),
            ("currency", Text),
            ("instalments", Int),
            ("invoice_id", Int),
            ("reason", Text),
            ("text", Text),
            ("outcome", Text),
            ("why", Text),
            ("ref_id", Int),
            ("task_id", Int),
            ("fingerprint", Text),
        ],
        key: &["id"],
        serial_id: true,
    },
    Table {
        name: "quiz_answer",
        columns: &[
            ("id", Int),
            ("user_email", Text),
            ("answered_on", Date),
            ("customer_id", Int),
            ("amount_minor", Int),
            ("terms_days", Int),
            ("answer", Text),
            ("verdict", Text),
            ("rule", Text),
        ],
        key: &["id"],
        serial_id: true,
    },
    Table {
        name: "gift",
        columns: &[
            ("id", Int),
            ("customer_id", Int),
            ("account_manager_id", Int),
            ("appreciation_id", Int),
            ("given_on", Date),
            ("item", Text),
            ("value_minor", Int),
            ("currency", Text),
            ("logged_by", Text),
            ("status", Text),
            ("decided_by", Text),
            ("decided_on", Date),
        ],
        key: &["id"],
        serial_id: true,
    },
];

/// The table called `name`.
pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}
