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
    /// The database: a file (SQLite, created when missing; also
    /// sqlite://PATH) or a PostgreSQL URL (postgres://USER@HOST/DATABASE).
    #[arg(long, global = true, env = "TEGOED_DB", default_value = "tegoed.db")]
    pub db: String,
    /// The day to reason about (YYYY-MM-DD); default: today (UTC).
    #[arg(long, global = true, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<tegoed_core::Date>,
    /// Print the result as JSON (stable, documented shapes) instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// The configuration file (segments, strategies, company, delivery);
    /// default: ./tegoed.toml when it exists, else the shipped default.
    #[arg(long, global = true, env = "TEGOED_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
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
    /// Target groups: who is in which segment, and why.
    Segments {
        #[command(subcommand)]
        command: SegmentsCommand,
    },
    /// The dunning run: preview it, run it, look at messages sent.
    Dunning {
        #[command(subcommand)]
        command: DunningCommand,
    },
    /// Disputes about invoices (dunning pauses on a disputed invoice).
    Dispute {
        #[command(subcommand)]
        command: DisputeCommand,
    },
    /// Promises to pay (dunning pauses until the promised date).
    Promise {
        #[command(subcommand)]
        command: PromiseCommand,
    },
    /// Payment agreements made at the sale: the terms the customer heard and
    /// agreed to (reminders quote them; the pre-sale check ticks them off).
    Agreement {
        #[command(subcommand)]
        command: AgreementCommand,
    },
    /// Appreciation for customers who keep their deal: open suggestions
    /// (plan completed, promise kept, back on time, a year on time), a
    /// thank-you message, a relationship gift against the quarterly budget.
    Appreciation {
        #[command(subcommand)]
        command: Option<AppreciationCommand>,
    },
    /// The cash expected in each of the next weeks, from the company's own
    /// payment history (`forecast backtest`: how far off it was on the past).
    Forecast {
        /// How many weeks, from the as-of date's week.
        #[arg(long, default_value_t = 13)]
        weeks: u32,
        #[command(subcommand)]
        command: Option<ForecastCommand>,
    },
    /// The customer's own page: a fresh link to read out on the phone, or
    /// revoke every link of a customer.
    Portal {
        #[command(subcommand)]
        command: PortalCommand,
    },
    /// The joint sales/credit meeting: record what was decided.
    Meeting {
        #[command(subcommand)]
        command: MeetingCommand,
    },
    /// Cross-training: what happens after the sale, on a salesperson's own
    /// invoices.
    Training {
        #[command(subcommand)]
        command: TrainingCommand,
    },
    /// Payment plans over a customer's overdue invoices.
    Plan {
        #[command(subcommand)]
        command: PlanCommand,
    },
    /// Pause dunning for a customer up to and including a date.
    Pause {
        customer: String,
        /// The last day of the pause (today or later).
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date, required_unless_present = "end")]
        until: Option<tegoed_core::Date>,
        /// End the customer's pause today instead (dunning resumes).
        #[arg(long, conflicts_with = "until")]
        end: bool,
        /// Why (shown on the timeline and to the collectors).
        #[arg(long)]
        reason: String,
    },
    /// Open call tasks (who, why, talking points, amounts); `tasks done ID`.
    Tasks {
        #[command(subcommand)]
        command: Option<TasksCommand>,
        /// Also list tasks that are done.
        #[arg(long)]
        all: bool,
    },
    /// Dutch statutory interest and collection costs.
    Legal {
        #[command(subcommand)]
        command: LegalCommand,
    },
    /// The full claim on a customer: per invoice principal and interest, and
    /// collection costs.
    Claim {
        customer: String,
        /// The currency of the invoices to claim.
        #[arg(long, default_value = "EUR")]
        currency: String,
    },
    /// The configuration file.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Message templates.
    Templates {
        #[command(subcommand)]
        command: TemplatesCommand,
    },
    /// The risk model: train it on the payment history, show a customer's score.
    Risk {
        #[command(subcommand)]
        command: RiskCommand,
    },
    /// The credit policy.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// The pre-sale check: sell normally, with conditions, or prepayment only.
    Check(CheckArgs),
    /// Serve the web app and the JSON API (`--demo`: on demo data, with demo
    /// users).
    Serve(ServeArgs),
    /// Copy everything in one database into a new, empty one (e.g. from the
    /// SQLite file to PostgreSQL) and verify the copy: rows, money totals
    /// and every value, per table.
    Migrate {
        /// The database to copy (a file or a URL, as --db).
        #[arg(long)]
        from: String,
        /// The empty database to copy into (a file or a URL, as --db).
        #[arg(long)]
        to: String,
    },
    /// Users of the web app, and API tokens.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// What non-payment of a sale would cost: financing, collection, and the
    /// extra revenue needed to earn back a write-off.
    Cost {
        /// The sale's amount, e.g. 10000 or 10.000,00.
        #[arg(long)]
        amount: String,
        /// Expected days paid late.
        #[arg(long, default_value_t = 30.0)]
        days_late: f64,
        /// Gross margin in percent (default: policy.margin in tegoed.toml).
        #[arg(long, value_name = "PCT")]
        margin: Option<String>,
        /// Probability that the sale is never paid, in percent: adds the
        /// expected loss.
        #[arg(long, value_name = "PCT")]
        probability: Option<String>,
    },
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The customer number.
    #[arg(long, conflicts_with = "new", required_unless_present = "new")]
    pub customer: Option<String>,
    /// A prospect that is not a customer yet (give --name).
    #[arg(long = "new", requires = "name")]
    pub new: bool,
    /// The prospect's name.
    #[arg(long)]
    pub name: Option<String>,
    /// The prospect's KvK number (finds imported ratings).
    #[arg(long)]
    pub kvk: Option<String>,
    /// The prospect's SBI industry code, e.g. 4120.
    #[arg(long)]
    pub industry: Option<String>,
    /// The prospect's kind.
    #[arg(long, default_value = "b2b")]
    pub kind: String,
    /// The deal's amount, e.g. 25000 or 25.000,00.
    #[arg(long)]
    pub amount: String,
    /// Payment terms of the deal in days (default: the customer's).
    #[arg(long, value_name = "DAYS")]
    pub terms: Option<i32>,
    /// Language of reasons and checklist: nl or en (default: the company's).
    #[arg(long)]
    pub lang: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum RiskCommand {
    /// Fit the model on invoices due before the cut-off; test on those after.
    Train {
        /// The cut-off is as-of minus this many months (default 6).
        #[arg(long)]
        holdout_months: Option<i32>,
        /// "Late" is paid more than this many days after the due date
        /// (default 30; 0 = paid after the due date at all).
        #[arg(long)]
        late_days: Option<i32>,
    },
    /// A customer's probability, class and reasons.
    Show {
        customer: String,
        /// Language of the reasons: nl or en (default: the company's).
        #[arg(long)]
        lang: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// The policy as a one-page text for sales, generated from its rules.
    Explain {
        /// nl or en (default: the company's language).
        #[arg(long)]
        lang: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum SegmentsCommand {
    /// Each segment with its customer count and open and overdue amounts.
    List,
    /// Which rule put a customer in their segment, with which values.
    Explain { customer: String },
}

#[derive(Subcommand, Debug)]
pub enum DunningCommand {
    /// What a run would do: per customer the step, invoices, amounts and the
    /// rendered message. Changes nothing.
    Preview {
        /// Only this customer.
        #[arg(long)]
        customer: Option<String>,
        /// Only the counts per segment and step, not every message.
        #[arg(long)]
        summary: bool,
    },
    /// Run dunning: record every message, then deliver (outbox, letters,
    /// tasks, claim files).
    Run {
        /// Only this customer.
        #[arg(long)]
        customer: Option<String>,
        /// Wait this many milliseconds after each delivery.
        #[arg(long, value_name = "MS")]
        throttle_ms: Option<u64>,
    },
    /// Messages recorded for a customer (all, as sent), or without a
    /// customer those of the --as-of day; oldest first.
    Messages {
        customer: Option<String>,
        /// Print each message's full text.
        #[arg(long)]
        full: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum DisputeCommand {
    /// Open a dispute on an invoice.
    Open {
        invoice: String,
        /// What the customer disputes.
        #[arg(long)]
        reason: String,
    },
    /// Resolve the open dispute on an invoice; dunning resumes.
    Resolve {
        invoice: String,
        /// How it was resolved.
        #[arg(long)]
        resolution: Option<String>,
    },
    /// Open disputes (all with --all).
    List {
        /// Also resolved disputes.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum AppreciationCommand {
    /// Open suggestions (the default): raises what became true first.
    List {
        /// Only the customers of this account manager (name or e-mail).
        #[arg(long)]
        account_manager: Option<String>,
    },
    /// Send the customer a thank-you for its open suggestions, signed by
    /// its account manager, through the same delivery as dunning.
    Thank {
        customer: String,
        /// Only this suggestion (default: all the customer's open ones).
        #[arg(long)]
        id: Option<i64>,
    },
    /// Log a relationship gift (over the account manager's quarterly
    /// budget it waits for a credit manager's approval).
    Gift {
        customer: String,
        /// What the gift is.
        #[arg(long)]
        item: String,
        /// What it is worth, in euros (e.g. 45.00).
        #[arg(long)]
        value: String,
        /// The suggestion it answers (default: the customer's open ones).
        #[arg(long)]
        id: Option<i64>,
    },
    /// Dismiss a suggestion: no thank-you, no gift.
    Dismiss { id: i64 },
    /// Approve a gift over the budget (credit manager).
    Approve { gift: i64 },
    /// Refuse a gift over the budget (credit manager).
    Refuse { gift: i64 },
    /// The gifts given, newest first, and each account manager's budget
    /// this quarter.
    Gifts {
        /// Only this customer's gifts.
        #[arg(long)]
        customer: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ForecastCommand {
    /// Fit on what was known at the cut-off (the as-of date minus the
    /// hold-out), predict the payment day of every invoice open on it or
    /// issued after it and paid since, and compare with what happened and
    /// with "paid on the due date".
    Backtest {
        #[arg(long, default_value_t = 3)]
        holdout_months: u32,
    },
}

#[derive(Subcommand, Debug)]
pub enum PortalCommand {
    /// Print a fresh link to the customer's own page (valid for
    /// `[portal] link_days`; earlier links keep working until they expire).
    Link { customer: String },
    /// Revoke every link to the customer's own page (credit manager); the
    /// next message carries a new one.
    Revoke { customer: String },
}

#[derive(Subcommand, Debug)]
pub enum MeetingCommand {
    /// Record a decision about a customer: a task for its owner and a line
    /// on the timeline; the next meeting pack says whether it was done.
    Decide {
        customer: String,
        /// What was decided.
        #[arg(long)]
        text: String,
        /// Who carries it out (e-mail or name; default: the customer's
        /// account manager).
        #[arg(long)]
        owner: Option<String>,
        /// When it is due (default: in two weeks).
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        due: Option<tegoed_core::Date>,
    },
}

#[derive(Subcommand, Debug)]
pub enum TrainingCommand {
    /// The story of one of the salesperson's own invoices that went wrong:
    /// issued, due, each reminder with its text, calls, promises, the
    /// payment or the hand-off, and what each stage cost.
    Story {
        /// The account manager, by name or e-mail address.
        #[arg(long)]
        account_manager: String,
        /// This invoice (default: the most instructive of the last year).
        #[arg(long)]
        invoice: Option<String>,
        /// nl or en (default: the company's language).
        #[arg(long)]
        lang: Option<String>,
    },
    /// A question of the policy quiz: a real customer, a deal; what does
    /// the policy say? (`--seed` asks the same one again.)
    Quiz {
        #[arg(long)]
        seed: Option<u64>,
        #[arg(long)]
        lang: Option<String>,
    },
    /// Answer a quiz question: checked against the policy's own decision,
    /// kept for the scores.
    Answer {
        #[arg(long)]
        seed: u64,
        /// approve, conditions or prepay.
        #[arg(long)]
        answer: String,
        #[arg(long)]
        lang: Option<String>,
    },
    /// Who did the quiz and how well, in a period (default: the quarter
    /// --as-of is in).
    Scores {
        #[arg(long)]
        period: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AgreementCommand {
    /// Record the payment agreement made at the sale with a customer.
    Record {
        customer: String,
        /// The payment terms agreed, in days.
        #[arg(long)]
        terms: u32,
        /// How the customer pays: transfer (default) or direct_debit.
        #[arg(long)]
        method: Option<String>,
        /// The e-mail address the invoices go to.
        #[arg(long)]
        invoice_contact: Option<String>,
        /// The person at the customer who agreed.
        #[arg(long)]
        agreed_with: String,
        /// The day it was agreed.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        date: tegoed_core::Date,
        #[arg(long)]
        note: Option<String>,
    },
    /// The agreements made at the sale with a customer, oldest first.
    List { customer: String },
}

#[derive(Subcommand, Debug)]
pub enum PromiseCommand {
    /// Record a promise to pay an amount by a date.
    Add {
        customer: String,
        /// The amount promised, e.g. 1250.00 or 1.250,00.
        #[arg(long)]
        amount: String,
        /// The day the money will be there.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        date: tegoed_core::Date,
        /// The invoices it covers (default: all overdue ones); repeatable.
        #[arg(long = "invoice", value_name = "NUMBER")]
        invoices: Vec<String>,
        /// A note for the timeline.
        #[arg(long)]
        note: Option<String>,
    },
    /// Promises with their status (only broken ones with --broken).
    List {
        /// Only broken promises.
        #[arg(long)]
        broken: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum PlanCommand {
    /// A payment plan over the customer's overdue invoices.
    Create {
        customer: String,
        /// The number of instalments (the last one takes the rounding).
        #[arg(long)]
        instalments: u32,
        /// Due date of the first instalment.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        first: tegoed_core::Date,
        /// Time between instalments: 1m, 2w, 14d.
        #[arg(long, default_value = "1m")]
        interval: String,
    },
    /// Payment plans with their status.
    List,
}

#[derive(Subcommand, Debug)]
pub enum TasksCommand {
    /// Record the outcome of a task (on the customer's timeline).
    Done {
        id: i64,
        /// What came of the call.
        #[arg(long)]
        outcome: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum LegalCommand {
    /// Statutory interest over a period, split by rate periods and years.
    Interest {
        /// The amount owed.
        #[arg(long)]
        principal: String,
        /// The first day interest runs (the day after the due date).
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        from: tegoed_core::Date,
        /// The day up to which interest runs (not counted).
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        to: tegoed_core::Date,
        /// Wettelijke handelsrente (the default).
        #[arg(long, conflicts_with = "consumer")]
        commercial: bool,
        /// Wettelijke rente.
        #[arg(long)]
        consumer: bool,
    },
    /// WIK collection costs over a principal.
    Wik {
        /// The principal: the summed amount of the invoices collected together.
        amount: String,
        /// Raise the costs by this VAT percentage (when you cannot deduct VAT).
        #[arg(long, value_name = "PCT")]
        vat_uplift: Option<String>,
    },
    /// The statutory interest rate tables in use.
    Rates,
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Write the shipped default configuration, documented, to a file.
    Init {
        #[arg(default_value = "tegoed.toml")]
        path: PathBuf,
    },
    /// Check the configuration and summarise segments and strategies.
    Check,
}

#[derive(Subcommand, Debug)]
pub enum TemplatesCommand {
    /// Write the shipped templates to a folder, to edit and use as overrides
    /// (set delivery.templates in tegoed.toml).
    Export {
        #[arg(default_value = "templates")]
        dir: PathBuf,
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
    /// External credit ratings: customer_id or kvk, provider, score,
    /// recommended_limit, date.
    Ratings { file: PathBuf },
    /// What an earlier system already sent (go-live): invoice_number, step,
    /// date; optional channel, strategy. Invoices continue their ladder
    /// from there.
    DunningHistory { file: PathBuf },
}

#[derive(Subcommand, Debug)]
pub enum CustomerCommand {
    /// The customer's statement: open items, payments, unallocated credit.
    Show {
        /// Customer number (customer_id in the CSV files).
        id: String,
    },
    /// Everything that happened with the customer, in date order.
    Timeline {
        id: String,
        /// nl or en (default: the company's language); notes stay as written.
        #[arg(long)]
        lang: Option<String>,
    },
    /// Add tags (or remove them with --remove); segments can use tags.
    Tag {
        id: String,
        #[arg(required = true)]
        tags: Vec<String>,
        #[arg(long)]
        remove: bool,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum GroupBy {
    Customer,
    AccountManager,
    Industry,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RiskGroupBy {
    Industry,
    Segment,
    AccountManager,
}

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// Per industry (SBI section), segment or account manager: customers,
    /// revenue, DSO, late payment, losses and the risk-class mix.
    RiskGroups {
        #[arg(long, default_value = "industry")]
        by: RiskGroupBy,
    },
    /// Open amounts per bucket of days overdue.
    Aging {
        /// One row per customer, account manager or industry (SBI section).
        #[arg(long)]
        by: Option<GroupBy>,
        /// Report invoices in this currency.
        #[arg(long, default_value = "EUR")]
        currency: String,
    },
    /// The paid-on-time scoreboard: per account manager, what fell due in
    /// the period and how much was paid within the agreed terms, late, not
    /// yet, or went to the collection agency; with what late payment cost.
    PaidOnTime {
        /// A month (2026-11), a quarter (2026-Q4) or a year (2026); default:
        /// the last full month before --as-of.
        #[arg(long)]
        period: Option<String>,
        /// Days after the due date a payment still counts as on time
        /// (default: [scoreboard] grace_days in tegoed.toml).
        #[arg(long)]
        grace_days: Option<i32>,
    },
    /// The pack for the joint sales/credit meeting: writes meeting.html
    /// (self-contained, prints well) and meeting.pdf; --json prints the
    /// same figures.
    Meeting {
        /// A quarter (2026Q4), a month (2026-11) or a year (2026); default:
        /// the quarter --as-of is in.
        #[arg(long)]
        period: Option<String>,
        /// The folder to write meeting.html and meeting.pdf to.
        #[arg(long, value_name = "DIR", default_value = ".")]
        out: std::path::PathBuf,
        /// nl or en (default: the company's language).
        #[arg(long)]
        lang: Option<String>,
    },
    /// Days sales outstanding, by the countback and the simple method.
    /// The figures a credit manager reports, per month: DSO (countback,
    /// simple, best possible), ADD, CEI, bad-debt ratio, promise-kept rate,
    /// share paid on time, average days late, and the amounts behind them,
    /// with the targets of `[kpi]`.
    Kpi {
        /// How many months, up to the as-of date's month.
        #[arg(long, default_value_t = 24)]
        months: u32,
        /// One row per collector, account manager or segment, for the last
        /// month.
        #[arg(long, value_name = "collector|account-manager|segment")]
        by: Option<String>,
    },
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
    /// Undo a person's match or assignment: the invoices it paid are open
    /// again and the payment is back on the queue, the chosen customer as
    /// its suggestion.
    Undo { payment_id: String },
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

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The address to listen on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: std::net::SocketAddr,
    /// Create (or reuse) demo data in the database, train the risk model,
    /// add demo users, and print their logins.
    #[arg(long)]
    pub demo: bool,
    /// Mark cookies Secure (when served behind HTTPS).
    #[arg(long)]
    pub secure_cookies: bool,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user; the password is asked for (or read from standard input
    /// when that is not a terminal).
    Add {
        email: String,
        /// admin, credit_manager, collector or sales.
        #[arg(long)]
        role: String,
        #[arg(long)]
        name: Option<String>,
        /// The user's language: nl or en.
        #[arg(long, default_value = "nl")]
        language: String,
        /// For sales: the account manager (name or e-mail) whose customers
        /// are theirs (default: the one with the same e-mail address).
        #[arg(long)]
        account_manager: Option<String>,
    },
    /// List the users.
    List,
    /// The audit log, newest first: who changed what, from the web app and
    /// the command line.
    Audit {
        /// How many lines (newest first).
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        limit: u32,
    },
    /// Create an API token for a user (shown once).
    Token {
        email: String,
        /// What the token is for (e.g. "crm").
        #[arg(long)]
        name: String,
    },
}
