//! The command line: global options and subcommands (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Tegoed: credit management where a customer who owes money is still a
/// customer.
#[derive(Parser, Debug)]
#[command(name = "tegoed", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct Global {
    /// The database file (SQLite); created when missing.
    #[arg(long, global = true, env = "TEGOED_DB", default_value = "tegoed.db")]
    pub db: PathBuf,
    /// The day to reason about (YYYY-MM-DD); default: today (UTC).
    #[arg(long, global = true, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<tegoed_core::Date>,
    /// Print the result as JSON (stable, documented shapes) instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

fn parse_date(text: &str) -> Result<tegoed_core::Date, String> {
    tegoed_core::Date::parse_iso(text).map_err(|e| e.to_string())
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create an empty database (or bring an existing one's schema up to date).
    Init,
    /// Fill an empty database with realistic, deterministic demo data.
    Demo(DemoArgs),
    /// Import customers, invoices or payments from a canonical CSV file.
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Look at one customer.
    Customer {
        #[command(subcommand)]
        command: CustomerCommand,
    },
    /// Reports over the ledger.
    Report {
        #[command(subcommand)]
        report: ReportCommand,
    },
    /// Payments that need attention.
    Payments {
        #[command(subcommand)]
        command: PaymentsCommand,
    },
    /// Account managers and salespeople.
    AccountManager {
        #[command(subcommand)]
        command: AccountManagerCommand,
    },
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Number of customers to generate (about ten invoices each).
    #[arg(long, default_value_t = tegoed_app::demo::DemoConfig::DEFAULT_CUSTOMERS)]
    pub customers: u32,
    /// Random seed: the same seed and --as-of give the same data.
    #[arg(long, default_value_t = tegoed_app::demo::DemoConfig::DEFAULT_SEED)]
    pub seed: u64,
    /// Write customers.csv, invoices.csv and payments.csv to this folder
    /// instead of filling the database.
    #[arg(long, value_name = "DIR")]
    pub csv_dir: Option<PathBuf>,
    /// Write a camt.053 statement paying open invoices of the database (a
    /// realistic mix for the matching benchmark) instead of filling it.
    #[arg(long, value_name = "FILE")]
    pub statement: Option<PathBuf>,
    /// Entries in the --statement file.
    #[arg(long, default_value_t = 1_000)]
    pub entries: u32,
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Customers: customer_id, name, kind, email, phone, language, industry, …
    Customers { file: PathBuf },
    /// Invoices and credit notes: invoice_number, customer_id, issue_date, amount, …
    Invoices { file: PathBuf },
    /// Payments: payment_id, date, amount, customer_id, invoice_number, …
    Payments { file: PathBuf },
    /// Bank statements (CAMT.053/052/054, MT940/MT942, or a ZIP of them):
    /// books incoming payments and matches them to open invoices.
    Statement {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// UBL e-invoices and credit notes (Peppol BIS 3, EN 16931, SI-UBL 2.0);
    /// folders are read for *.xml files.
    Ubl {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum CustomerCommand {
    /// The customer's statement: open items, payments, unallocated credit.
    Show {
        /// Customer number (customer_id in the CSV files).
        id: String,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum GroupBy {
    Customer,
    AccountManager,
    Industry,
}

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// Open amounts per bucket of days overdue.
    Aging {
        /// One row per customer, account manager or industry (SBI section).
        #[arg(long)]
        by: Option<GroupBy>,
        /// Report invoices in this currency.
        #[arg(long, default_value = "EUR")]
        currency: String,
    },
    /// Days sales outstanding, by the countback and the simple method.
    Dso {
        /// Period of the simple method, in days.
        #[arg(long, default_value_t = 90)]
        days: u32,
        #[arg(long, default_value = "EUR")]
        currency: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum PaymentsCommand {
    /// Payments with money not applied to any invoice.
    Unallocated,
    /// Bank payments waiting for a person, with suggestions.
    Unmatched,
    /// Apply a payment to invoices (in the order given); the rest is credit.
    Match {
        payment_id: String,
        #[arg(required = true)]
        invoice_numbers: Vec<String>,
    },
    /// Assign a payment to a customer; applied to their oldest open items.
    Assign {
        payment_id: String,
        customer_id: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AccountManagerCommand {
    /// List account managers.
    List,
    /// Add an account manager (or update the e-mail of one with this name).
    Add {
        name: String,
        #[arg(long)]
        email: Option<String>,
    },
}
