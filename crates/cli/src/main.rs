//! `tegoed`: the command-line tool. A thin layer over `tegoed-app`: parse
//! arguments, read files, call a use case, print text or JSON.
//!
//! Exit codes: 0 success, 1 a user or input error (with a message naming
//! what was wrong), 2 a usage error (from clap).

mod args;
mod bar;
mod collection;
mod credit;
mod db;
mod render;
mod web;

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use serde::Serialize;
use tegoed_app::access::Actor;
use tegoed_app::demo::{self, DemoConfig, DemoOutcome};
use tegoed_app::reports::{self, AgingGroup};
use tegoed_app::{bank, einvoice, import, managers, review};
use tegoed_core::aging::Bucket;
use tegoed_core::{Currency, Date};
use tegoed_store::{ReadTx, Store, WriteTx};

use crate::args::{
    AccountManagerCommand, Cli, Command, CustomerCommand, GroupBy, ImportCommand, PaymentsCommand,
    ReportCommand,
};
use crate::render::{Align, Table, days, money};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_log();
    let json = cli.global.json;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if json && error.downcast_ref::<Reported>().is_none() {
                let body = serde_json::json!({ "error": format!("{error:#}") });
                println!("{body}");
            }
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}

/// Log lines (internal errors of the web app, with their cause) go to
/// standard error; `TEGOED_LOG` sets how much: error, warn (default), info,
/// debug or trace.
fn init_log() {
    let level = match std::env::var("TEGOED_LOG")
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "error" => tracing_subscriber::filter::LevelFilter::ERROR,
        "info" => tracing_subscriber::filter::LevelFilter::INFO,
        "debug" => tracing_subscriber::filter::LevelFilter::DEBUG,
        "trace" => tracing_subscriber::filter::LevelFilter::TRACE,
        _ => tracing_subscriber::filter::LevelFilter::WARN,
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}

/// A failure whose details were already printed (in the JSON result of a
/// multi-file import): exit 1 without printing a second JSON document.
#[derive(Debug)]
pub(crate) struct Reported(pub(crate) String);

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Reported {}

/// What every command needs: the database, the date, the output mode.
pub(crate) struct Ctx {
    pub(crate) db: db::Location,
    pub(crate) as_of: Date,
    pub(crate) json: bool,
    pub(crate) config: Option<std::path::PathBuf>,
    /// The --as-of date when one was given (the server otherwise follows
    /// the calendar).
    pub(crate) fixed_as_of: Option<Date>,
}

impl Ctx {
    /// The configuration: --config, else ./tegoed.toml, else the default.
    fn config(&self) -> Result<tegoed_app::config::Config> {
        collection::load_config(self.config.as_deref())
    }

    fn templates(
        &self,
        config: &tegoed_app::config::Config,
    ) -> Result<tegoed_app::dunning::templates::Templates> {
        collection::load_templates(config)
    }

    fn open(&self) -> Result<std::sync::Arc<dyn Store>> {
        self.db.open()
    }

    /// Who acts from the command line, now (see [`acting_user`]).
    fn actor(&self) -> Actor {
        Actor::system(&acting_user(), now())
    }

    /// Runs a use case in a read transaction.
    fn read<T>(&self, work: impl FnOnce(&mut dyn ReadTx) -> tegoed_app::Result<T>) -> Result<T> {
        let store = self.open()?;
        Ok(tegoed_app::read_tx(store.as_ref(), work)?)
    }

    /// Runs a use case in a write transaction as the command line's actor,
    /// committed when it succeeds.
    fn write<T>(
        &self,
        work: impl FnOnce(&mut dyn WriteTx, &Actor) -> tegoed_app::Result<T>,
    ) -> Result<T> {
        let store = self.open()?;
        let actor = self.actor();
        Ok(tegoed_app::write_tx(store.as_ref(), |tx| work(tx, &actor))?)
    }

    /// Prints `value` as JSON, or the text from `text`.
    fn print<T: Serialize>(&self, value: &T, text: impl FnOnce(&T) -> String) -> Result<()> {
        if self.json {
            print_json(value)
        } else {
            write_stdout(&text(value))
        }
    }

    /// A progress bar on a terminal, nothing in pipes or with --json.
    fn progress(&self) -> bar::Bar {
        bar::Bar::new(!self.json && std::io::stderr().is_terminal())
    }
}

/// Prints `value` as pretty JSON and a newline.
fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    write_stdout(&text)
}

/// Writes to stdout. A closed pipe (`tegoed … | head`) ends the program
/// quietly, as other command-line tools do, instead of panicking.
fn write_stdout(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(e).context("cannot write to standard output"),
    }
}

/// Today in UTC; with [`now`], the only place the CLI reads the clock.
fn today() -> Date {
    Date::from_days_since_epoch((now() / 86_400) as i32)
}

/// The wall clock in Unix seconds (for run leases, not for business dates).
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Who acts from the command line: `TEGOED_USER`, else the OS user.
pub(crate) fn acting_user() -> String {
    ["TEGOED_USER", "USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "command line".into())
}

fn run(cli: Cli) -> Result<()> {
    let ctx = Ctx {
        db: db::Location::parse(&cli.global.db),
        as_of: cli.global.as_of.unwrap_or_else(today),
        json: cli.global.json,
        config: cli.global.config.clone(),
        fixed_as_of: cli.global.as_of,
    };
    match cli.command {
        Command::Init => init(&ctx),
        Command::Demo(args) => demo_cmd(&ctx, args),
        Command::Import { what } => import_cmd(&ctx, what),
        Command::Customer { command } => match command {
            CustomerCommand::Show { id } => customer_show(&ctx, &id),
            CustomerCommand::Timeline { id, lang } => {
                collection::timeline_cmd(&ctx, &id, lang.as_deref())
            }
            CustomerCommand::Tag { id, tags, remove } => {
                collection::tag_cmd(&ctx, &id, &tags, remove)
            }
        },
        Command::Report { report } => match report {
            ReportCommand::Aging { by, currency } => aging(&ctx, by, &currency),
            ReportCommand::Dso { days, currency } => dso(&ctx, days, &currency),
            ReportCommand::Kpi { months, by } => kpi(&ctx, months, by.as_deref()),
            ReportCommand::RiskGroups { by } => credit::risk_groups(&ctx, by),
            ReportCommand::PaidOnTime { period, grace_days } => {
                paid_on_time(&ctx, period.as_deref(), grace_days)
            }
            ReportCommand::Meeting { period, out, lang } => {
                collection::meeting_report(&ctx, period.as_deref(), &out, lang.as_deref())
            }
        },
        Command::Payments { command } => match command {
            PaymentsCommand::Unallocated => unallocated(&ctx),
            PaymentsCommand::Unmatched => unmatched(&ctx),
            PaymentsCommand::Match {
                payment_id,
                invoice_numbers,
            } => {
                let outcome = ctx.write(|tx, actor| {
                    review::match_payment(tx, actor, &payment_id, &invoice_numbers)
                })?;
                print_decision(&ctx, &outcome)
            }
            PaymentsCommand::Assign {
                payment_id,
                customer_id,
            } => {
                let outcome = ctx.write(|tx, actor| {
                    review::assign_payment(tx, actor, &payment_id, &customer_id)
                })?;
                print_decision(&ctx, &outcome)
            }
            PaymentsCommand::Undo { payment_id } => {
                let as_of = ctx.as_of;
                let outcome =
                    ctx.write(|tx, actor| review::unmatch_payment(tx, actor, &payment_id, as_of))?;
                ctx.print(&outcome, |o| {
                    let mut text = format!("Payment {} is back on the queue", o.payment_id);
                    if !o.customer_id.is_empty() {
                        text.push_str(&format!(" (suggested: {})", o.customer_id));
                    }
                    text.push('.');
                    if !o.reopened.is_empty() {
                        let parts: Vec<String> = o
                            .reopened
                            .iter()
                            .map(|a| format!("{} {}", a.invoice_number, money(a.amount)))
                            .collect();
                        text.push_str(&format!(" Open again: {}.", parts.join(", ")));
                    }
                    if let Some(iban) = &o.forgotten_iban {
                        text.push_str(&format!(" Forgot {iban} for this customer."));
                    }
                    text.push('\n');
                    text
                })
            }
        },
        Command::AccountManager { command } => account_managers(&ctx, command),
        Command::Segments { command } => collection::segments_cmd(&ctx, command),
        Command::Dunning { command } => collection::dunning_cmd(&ctx, command),
        Command::Dispute { command } => collection::dispute_cmd(&ctx, command),
        Command::Promise { command } => collection::promise_cmd(&ctx, command),
        Command::Agreement { command } => collection::agreement_cmd(&ctx, command),
        Command::Training { command } => collection::training_cmd(&ctx, command),
        Command::Appreciation { command } => collection::appreciation_cmd(&ctx, command),
        Command::Meeting { command } => collection::meeting_cmd(&ctx, command),
        Command::Portal { command } => collection::portal_cmd(&ctx, command),
        Command::Forecast { weeks, command } => forecast_cmd(&ctx, weeks, command),
        Command::Plan { command } => collection::plan_cmd(&ctx, command),
        Command::Pause {
            customer,
            until,
            end,
            reason,
        } => collection::pause_cmd(&ctx, &customer, until.filter(|_| !end), &reason),
        Command::Tasks { command, all } => collection::tasks_cmd(&ctx, command, all),
        Command::Legal { command } => collection::legal_cmd(&ctx, command),
        Command::Claim { customer, currency } => collection::claim_cmd(&ctx, &customer, &currency),
        Command::Config { command } => collection::config_cmd(&ctx, command),
        Command::Templates { command } => collection::templates_cmd(&ctx, command),
        Command::Risk { command } => credit::risk_cmd(&ctx, command),
        Command::Policy { command } => credit::policy_cmd(&ctx, command),
        Command::Check(args) => credit::check_cmd(&ctx, args),
        Command::Serve(args) => web::serve_cmd(&ctx, args),
        Command::User { command } => web::user_cmd(&ctx, command),
        Command::Migrate { from, to } => migrate_cmd(&ctx, &from, &to),
        Command::Cost {
            amount,
            days_late,
            margin,
            probability,
        } => credit::cost_cmd(
            &ctx,
            &amount,
            days_late,
            margin.as_deref(),
            probability.as_deref(),
        ),
    }
}

/// `tegoed migrate --from A --to B`.
fn migrate_cmd(ctx: &Ctx, from: &str, to: &str) -> Result<()> {
    let (from, to) = (db::Location::parse(from), db::Location::parse(to));
    if from == to {
        bail!("--from and --to are the same database");
    }
    if let db::Location::Sqlite(path) = &from
        && !path.exists()
    {
        bail!("{}: no such database file", path.display());
    }
    let started = Instant::now();
    let (source, target) = (from.open()?, to.open()?);
    let report = tegoed_app::migrate::migrate(
        source.as_ref(),
        target.as_ref(),
        &ctx.actor(),
        (&from.shown(), &to.shown()),
        &ctx.progress(),
    )?;
    let seconds = started.elapsed().as_secs_f64();
    ctx.print(&report, |r| {
        let mut table = Table::new(&[
            ("Table", Align::Left),
            ("Rows", Align::Right),
            ("Money totals (minor units)", Align::Left),
            ("Same", Align::Left),
        ]);
        for t in &r.tables {
            table.row(vec![
                t.table.to_string(),
                t.rows.to_string(),
                t.totals
                    .iter()
                    .filter(|(_, total)| *total != 0)
                    .map(|(column, total)| format!("{column} {total}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if t.identical { "yes" } else { "NO" }.to_string(),
            ]);
        }
        format!(
            "Copied {} rows from {} to {} ({seconds:.1} s).\n{}{}\n",
            r.rows,
            r.from,
            r.to,
            table.render(),
            if r.verified {
                "Verified: every table holds the same rows, totals and values."
            } else {
                "NOT VERIFIED: the tables marked NO differ; do not use the copy."
            }
        )
    })?;
    if !report.verified {
        return Err(Reported("the copy differs from the source".into()).into());
    }
    Ok(())
}

fn parse_currency(code: &str) -> Result<Currency> {
    Currency::parse(code).map_err(|e| anyhow::anyhow!("--currency: {e}"))
}

fn init(ctx: &Ctx) -> Result<()> {
    let (_, created) = ctx.db.open_telling()?;
    #[derive(Serialize)]
    struct Init {
        db: String,
        created: bool,
    }
    let out = Init {
        db: ctx.db.shown(),
        created,
    };
    ctx.print(&out, |o| {
        if o.created {
            format!("Created an empty Tegoed database: {}\n", o.db)
        } else {
            format!("{} already exists; its schema is up to date.\n", o.db)
        }
    })
}

fn demo_cmd(ctx: &Ctx, args: args::DemoArgs) -> Result<()> {
    let config = DemoConfig {
        customers: args.customers,
        seed: args.seed,
        as_of: ctx.as_of,
    };
    let started = Instant::now();
    if let Some(path) = args.statement {
        let xml = ctx.read(|tx| demo::statement(tx, ctx.as_of, args.entries, args.seed))?;
        std::fs::write(&path, xml).with_context(|| format!("cannot write {}", path.display()))?;
        let out =
            serde_json::json!({ "file": path.display().to_string(), "entries": args.entries });
        return ctx.print(&out, |_| {
            format!(
                "Wrote a camt.053 statement with {} entries to {}.\n",
                args.entries,
                path.display()
            )
        });
    }
    if let Some(dir) = args.csv_dir {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let create = |name: &str| -> Result<std::io::BufWriter<std::fs::File>> {
            let path = dir.join(name);
            let file = std::fs::File::create(&path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            Ok(std::io::BufWriter::with_capacity(1 << 20, file))
        };
        let mut sink = demo::CsvSink::new(
            create("customers.csv")?,
            create("invoices.csv")?,
            create("payments.csv")?,
        )?;
        let counts = demo::generate(&config, &mut sink, &ctx.progress())?;
        sink.finish()?;
        #[derive(Serialize)]
        struct Exported {
            dir: String,
            #[serde(flatten)]
            counts: demo::DemoCounts,
            seconds: f64,
        }
        let out = Exported {
            dir: dir.display().to_string(),
            counts,
            seconds: started.elapsed().as_secs_f64(),
        };
        return ctx.print(&out, |o| {
            format!(
                "Wrote demo CSV files to {}: {} customers, {} invoices, {} credit notes, {} payments ({:.1} s).\n",
                o.dir, o.counts.customers, o.counts.invoices, o.counts.credit_notes, o.counts.payments, o.seconds
            )
        });
    }
    let store = ctx.open()?;
    let actor = ctx.actor();
    let outcome = tegoed_app::write_tx(store.as_ref(), |tx| {
        demo::fill(tx, &actor, &config, &ctx.progress())
    })?;
    let overview = tegoed_app::read_tx(store.as_ref(), |tx| reports::overview(tx, ctx.as_of))?;
    #[derive(Serialize)]
    struct Demo {
        db: String,
        #[serde(flatten)]
        outcome: DemoOutcome,
        overview: reports::Overview,
    }
    let out = Demo {
        db: ctx.db.shown(),
        outcome,
        overview,
    };
    ctx.print(&out, |o| {
        let mut text = match &o.outcome {
            DemoOutcome::Generated(c) => format!(
                "Demo data written to {} in {:.1} s: {} account managers, {} customers, {} invoices, {} credit notes, {} payments.\n\n",
                o.db,
                started.elapsed().as_secs_f64(),
                c.account_managers,
                c.customers,
                c.invoices,
                c.credit_notes,
                c.payments
            ),
            DemoOutcome::AlreadyFilled { customers } => format!(
                "{} already holds {customers} customers; no demo data added (use another --db for a fresh demo).\n\n",
                o.db
            ),
        };
        text.push_str(&overview_text(&o.overview));
        text
    })
}

fn overview_text(o: &reports::Overview) -> String {
    format!(
        "As of {}\n  Customers        {}\n  Invoices         {} (with credit notes)\n  Open             {}\n  Overdue          {}\n  DSO (countback)  {}\n  DSO (simple, 90) {}\n\nNext: `tegoed report aging --by customer`, `tegoed segments list`, `tegoed dunning preview --summary`, `tegoed risk train`, `tegoed check --customer C000001 --amount 5000`.\n",
        o.as_of,
        o.customers,
        o.invoices,
        money(o.open),
        money(o.overdue),
        days(o.dso_countback),
        days(o.dso_simple_90),
    )
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// An import use case: transaction, actor, file name, bytes, progress.
type ImportFn = fn(
    &mut dyn WriteTx,
    &Actor,
    &str,
    &[u8],
    &dyn tegoed_app::Progress,
) -> tegoed_app::Result<import::ImportSummary>;

fn import_cmd(ctx: &Ctx, what: ImportCommand) -> Result<()> {
    let (path, run): (&Path, ImportFn) = match &what {
        ImportCommand::Customers { file } => (file, import::import_customers),
        ImportCommand::Invoices { file } => (file, import::import_invoices),
        ImportCommand::Payments { file } => (file, import::import_payments),
        ImportCommand::Statement { files } => return import_statements(ctx, files),
        ImportCommand::Ubl { paths } => return import_ubl(ctx, paths),
        ImportCommand::Ratings { file } => return credit::import_ratings(ctx, file),
        ImportCommand::DunningHistory { file } => return collection::import_history(ctx, file),
    };
    let bytes = read_file(path)?;
    let started = Instant::now();
    let name = path.display().to_string();
    let summary = ctx.write(|tx, actor| run(tx, actor, &name, &bytes, &ctx.progress()))?;
    let seconds = started.elapsed().as_secs_f64();
    ctx.print(&summary, |s| {
        let mut text = format!(
            "Imported {} ({}): {} rows: {} inserted, {} updated, {} unchanged",
            s.file, s.kind, s.rows, s.inserted, s.updated, s.unchanged
        );
        if s.account_managers_created > 0 {
            text.push_str(&format!(
                "; {} account managers created",
                s.account_managers_created
            ));
        }
        if s.allocations > 0 {
            text.push_str(&format!("; {} allocations", s.allocations));
        }
        text.push_str(&format!(" ({seconds:.2} s).\n"));
        for warning in &s.warnings {
            text.push_str(&format!("warning: {warning}\n"));
        }
        text
    })
}

fn customer_show(ctx: &Ctx, id: &str) -> Result<()> {
    let statement = ctx.read(|tx| {
        let ledger = tegoed_app::facts::CustomerLedger::load(tx, id, ctx.as_of)?;
        reports::statement(tx, &ledger, ctx.as_of)
    })?;
    ctx.print(&statement, |s| {
        let mut text = format!("{} — {} ({})\n", s.customer_id, s.name, s.kind);
        if let Some(manager) = &s.account_manager {
            text.push_str(&format!("Account manager: {manager}\n"));
        }
        if let Some(limit) = s.credit_limit {
            text.push_str(&format!("Credit limit: {}   ", money(limit)));
        }
        text.push_str(&format!("Payment terms: {} days\n\n", s.payment_terms_days));
        text.push_str(&format!("Open items as of {}\n", s.as_of));
        if s.open_items.is_empty() {
            text.push_str("  (none)\n");
        } else {
            let mut table = Table::new(&[
                ("invoice", Align::Left),
                ("issued", Align::Left),
                ("due", Align::Left),
                ("amount", Align::Right),
                ("open", Align::Right),
                ("days overdue", Align::Right),
            ]);
            for item in &s.open_items {
                table.row(vec![
                    item.invoice_number.clone(),
                    item.issue_date.to_string(),
                    item.due_date.to_string(),
                    money(item.amount),
                    money(item.open_amount),
                    if item.days_overdue > 0 {
                        item.days_overdue.to_string()
                    } else {
                        "-".into()
                    },
                ]);
            }
            text.push_str(&table.render());
        }
        if !s.credit_notes.is_empty() {
            text.push_str("\nCredit notes with credit left\n");
            let mut table = Table::new(&[
                ("credit note", Align::Left),
                ("issued", Align::Left),
                ("unused", Align::Right),
            ]);
            for cn in &s.credit_notes {
                table.row(vec![
                    cn.invoice_number.clone(),
                    cn.issue_date.to_string(),
                    money(cn.unused),
                ]);
            }
            text.push_str(&table.render());
        }
        text.push_str("\nPayments (newest first)\n");
        if s.payments.is_empty() {
            text.push_str("  (none)\n");
        } else {
            let mut table = Table::new(&[
                ("payment", Align::Left),
                ("date", Align::Left),
                ("amount", Align::Right),
                ("unallocated", Align::Right),
                ("applied to", Align::Left),
            ]);
            for p in s.payments.iter().take(20) {
                table.row(vec![
                    p.payment_id.clone(),
                    p.date.to_string(),
                    money(p.amount),
                    if p.unallocated.minor != 0 {
                        money(p.unallocated)
                    } else {
                        "-".into()
                    },
                    p.applied_to
                        .iter()
                        .map(|a| a.invoice_number.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                ]);
            }
            text.push_str(&table.render());
            if s.payments.len() > 20 {
                text.push_str(&format!(
                    "  … and {} older payments (see --json)\n",
                    s.payments.len() - 20
                ));
            }
        }
        text.push_str(&format!(
            "\nTotal open {}   Overdue {}   Unallocated credit {}   Balance {}\n",
            money(s.total_open),
            money(s.overdue),
            money(s.unallocated_credit),
            money(s.balance)
        ));
        text
    })
}

fn aging(ctx: &Ctx, by: Option<GroupBy>, currency: &str) -> Result<()> {
    let currency = parse_currency(currency)?;
    let group = by.map(|g| match g {
        GroupBy::Customer => AgingGroup::Customer,
        GroupBy::AccountManager => AgingGroup::AccountManager,
        GroupBy::Industry => AgingGroup::Industry,
    });
    let report = ctx.read(|tx| reports::aging(tx, ctx.as_of, currency, group))?;
    ctx.print(&report, |r| {
        let mut headers = vec![("", Align::Left)];
        if r.rows.is_some() {
            headers.push(("name", Align::Left));
        }
        for bucket in Bucket::ALL {
            headers.push((bucket.label(), Align::Right));
        }
        headers.push(("total", Align::Right));
        let mut table = Table::new(&headers);
        let amounts = |lines: &[reports::BucketLine]| {
            lines.iter().map(|b| money(b.amount)).collect::<Vec<_>>()
        };
        if let Some(rows) = &r.rows {
            for row in rows {
                let mut cells = vec![row.key.clone(), row.name.clone()];
                cells.extend(amounts(&row.buckets));
                cells.push(money(row.total));
                table.row(cells);
            }
        }
        let mut total = vec!["TOTAL".to_string()];
        if r.rows.is_some() {
            total.push(String::new());
        }
        total.extend(amounts(&r.buckets));
        total.push(money(r.total));
        table.row(total);
        let mut counts = vec!["items".to_string()];
        if r.rows.is_some() {
            counts.push(String::new());
        }
        counts.extend(r.buckets.iter().map(|b| b.count.to_string()));
        counts.push(r.buckets.iter().map(|b| b.count).sum::<u64>().to_string());
        table.row(counts);
        let mut text = format!(
            "Aging as of {} ({}), days overdue{}\n\n",
            r.as_of,
            r.currency,
            r.by.map(|b| format!(", by {b}")).unwrap_or_default()
        );
        text.push_str(&table.render());
        text.push_str(&format!(
            "\nOverdue: {} of {} open.\n",
            money(r.overdue),
            money(r.total)
        ));
        if r.other_currency_items > 0 {
            text.push_str(&format!(
                "{} open items in other currencies are not included (use --currency).\n",
                r.other_currency_items
            ));
        }
        text
    })
}

fn dso(ctx: &Ctx, period: u32, currency: &str) -> Result<()> {
    let currency = parse_currency(currency)?;
    let report = ctx.read(|tx| reports::dso(tx, ctx.as_of, currency, period))?;
    ctx.print(&report, |r| {
        format!(
            "DSO as of {} ({})\n\nReceivables (open invoices minus unused credit): {}\n\n\
             Countback method: {}\n  Receivables are matched against revenue month by month, newest first;\n  {} months of revenue used{}.\n\n\
             Simple method ({} days): {}\n  Receivables / revenue over the last {} days ({}) × {}.\n",
            r.as_of,
            r.currency,
            money(r.receivables),
            days(r.countback.days),
            r.countback.months_used,
            if r.countback.exceeds_history { ", and the receivables exceed all revenue in 24 months" } else { "" },
            r.simple.period_days,
            days(r.simple.days),
            r.simple.period_days,
            money(r.simple.revenue),
            r.simple.period_days,
        )
    })
}

fn forecast_cmd(ctx: &Ctx, weeks: u32, command: Option<args::ForecastCommand>) -> Result<()> {
    use tegoed_app::forecast;
    let figure = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.1}"));
    match command {
        Some(args::ForecastCommand::Backtest { holdout_months }) => {
            let report = ctx.read(|tx| forecast::backtest(tx, ctx.as_of, holdout_months))?;
            ctx.print(&report, |r| {
                format!(
                    "Backtest from {} to {}: {} invoices paid since the cut-off.\n\
                     Days between predicted and actual payment: RMSE {} (paid-on-due-date baseline {}), MAE {}.\n\
                     Weekly cash-in error (MAPE): {}% (baseline {}%).\n",
                    r.cutoff,
                    ctx.as_of,
                    r.n,
                    figure(r.rmse_days),
                    figure(r.baseline_rmse_days),
                    figure(r.mae_days),
                    figure(r.weekly_mape),
                    figure(r.baseline_weekly_mape),
                )
            })
        }
        None => {
            let report = ctx.read(|tx| forecast::forecast(tx, ctx.as_of, weeks))?;
            ctx.print(&report, |r| {
                let mut out = format!(
                    "Cash-in forecast as of {} (EUR)\n\n{:<12} {:>14} {:>14} {:>14} {:>16}\n",
                    r.as_of, "week of", "expected", "low", "high", "promised/plan"
                );
                for w in &r.weeks {
                    out.push_str(&format!(
                        "{:<12} {:>14} {:>14} {:>14} {:>16}\n",
                        w.week_start.to_string(),
                        money(w.expected),
                        money(w.low),
                        money(w.high),
                        money(w.from_plans_and_promises)
                    ));
                }
                out.push_str(&format!(
                    "\nLater: {}. Not expected (at the agency, later than anyone paid before, or from a customer who has stopped paying): {}.\n{}\n",
                    money(r.model.after_horizon),
                    money(r.never_expected),
                    r.model.method
                ));
                out
            })
        }
    }
}

fn kpi(ctx: &Ctx, months: u32, by: Option<&str>) -> Result<()> {
    let config = ctx.config()?;
    let by = match by {
        None => None,
        Some(text) => Some(tegoed_app::kpi::By::parse(text).ok_or_else(|| {
            anyhow::anyhow!("--by '{text}': choose collector, account-manager or segment")
        })?),
    };
    let report = ctx.read(|tx| tegoed_app::kpi::report(tx, &config, ctx.as_of, months, by))?;
    ctx.print(&report, |r| {
        let figure = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.1}"));
        let mut out = format!(
            "Credit KPIs as of {} (EUR)\n\n{:<8} {:>7} {:>7} {:>7} {:>6} {:>6} {:>7} {:>8} {:>8} {:>6} {:>14} {:>14}\n",
            r.as_of, "month", "DSO cb", "DSO", "best", "ADD", "CEI%", "bad%", "kept%", "on time%", "late", "receivables", "credit sales"
        );
        for m in &r.months {
            out.push_str(&format!(
                "{:<8} {:>7} {:>7} {:>7} {:>6} {:>6} {:>7} {:>8} {:>8} {:>6} {:>14} {:>14}\n",
                m.month,
                figure(m.dso_countback),
                figure(m.dso_simple),
                figure(m.best_possible_dso),
                figure(m.add),
                figure(m.cei),
                figure(m.bad_debt_ratio),
                figure(m.promise_kept_rate),
                figure(m.share_paid_on_time),
                figure(m.avg_days_late),
                money(m.receivables),
                money(m.credit_sales),
            ));
        }
        if let Some(rows) = &r.rows {
            out.push_str(&format!(
                "\n{:<28} {:>9} {:>7} {:>7} {:>6} {:>8} {:>14}\n",
                "group (last month)", "customers", "DSO", "ADD", "CEI%", "on time%", "receivables"
            ));
            for row in rows {
                out.push_str(&format!(
                    "{:<28} {:>9} {:>7} {:>7} {:>6} {:>8} {:>14}\n",
                    row.name,
                    row.customers,
                    figure(row.figures.dso_simple),
                    figure(row.figures.add),
                    figure(row.figures.cei),
                    figure(row.figures.share_paid_on_time),
                    money(row.figures.receivables),
                ));
            }
        }
        let t = &r.targets;
        out.push_str(&format!(
            "\nTargets: CEI ≥ {}, DSO ≤ {}, ADD ≤ {}, bad debt ≤ {}%, promises kept ≥ {}%, paid on time ≥ {}%\n",
            figure(t.cei_min),
            figure(t.dso_max),
            figure(t.add_max),
            figure(t.bad_debt_ratio_max),
            figure(t.promise_kept_rate_min),
            figure(t.share_paid_on_time_min),
        ));
        out
    })
}

fn paid_on_time(ctx: &Ctx, period: Option<&str>, grace_days: Option<i32>) -> Result<()> {
    let period = tegoed_app::scoreboard::period_of(period, ctx.as_of)?;
    let config = ctx.config()?;
    let report = ctx.read(|tx| {
        tegoed_app::scoreboard::paid_on_time(tx, &config, ctx.as_of, period, grace_days)
    })?;
    ctx.print(&report, |r| {
        let mut out = format!(
            "Paid on time: invoices due {} to {} (as of {}, grace {} days)\n\n",
            r.period.from, r.period.to, r.as_of, r.grace_days
        );
        let mut table = Table::new(&[
            ("rank", Align::Right),
            ("account manager", Align::Left),
            ("invoices", Align::Right),
            ("invoiced", Align::Right),
            ("on time", Align::Right),
            ("late", Align::Right),
            ("open", Align::Right),
            ("written off", Align::Right),
            ("share on time", Align::Right),
            ("avg days late", Align::Right),
            ("cost of late payment", Align::Right),
            ("sales to earn it back", Align::Right),
        ]);
        let share = |s: Option<f64>| s.map_or("-".to_string(), |s| format!("{:.0} %", s * 100.0));
        let cost = |c: &tegoed_app::scoreboard::CostLine| {
            tegoed_core::Money::eur(
                c.financing.minor + c.collection.minor + c.written_off.minor,
            )
        };
        let last = r.rows.len();
        for (i, row) in r.rows.iter().chain(std::iter::once(&r.total)).enumerate() {
            table.row(vec![
                row.rank.map_or(String::new(), |n| n.to_string()),
                match &row.account_manager {
                    Some(name) => name.clone(),
                    None if i == last => "total".into(),
                    None => "(no account manager)".into(),
                },
                row.invoices.to_string(),
                money(row.invoiced),
                money(row.paid_on_time),
                money(row.paid_late),
                money(row.open_overdue),
                money(row.written_off),
                share(row.share_on_time),
                row.avg_days_beyond_terms
                    .map_or("-".into(), |d| format!("{d:.1} days")),
                money(cost(&row.cost_of_late_payment)),
                row.cost_of_late_payment
                    .extra_revenue_needed
                    .map_or("-".into(), money),
            ]);
        }
        out.push_str(&table.render());
        out.push_str(
            "\nRanked by money paid on time less money written off. Cost: financing, collection effort and write-offs; sales to earn it back at the margin in tegoed.toml.\n",
        );
        out
    })
}

fn unallocated(ctx: &Ctx) -> Result<()> {
    let lines = ctx.read(|tx| reports::unallocated_payments(tx, ctx.as_of))?;
    ctx.print(&lines, |lines| {
        if lines.is_empty() {
            return format!("No unallocated payments as of {}.\n", ctx.as_of);
        }
        let mut table = Table::new(&[
            ("payment", Align::Left),
            ("date", Align::Left),
            ("amount", Align::Right),
            ("unallocated", Align::Right),
            ("customer", Align::Left),
            ("counterparty", Align::Left),
            ("reference", Align::Left),
        ]);
        for l in lines {
            table.row(vec![
                l.payment_id.clone(),
                l.date.to_string(),
                money(l.amount),
                money(l.unallocated),
                l.customer_id.clone().unwrap_or_else(|| "(unknown)".into()),
                l.counterparty_name.clone().unwrap_or_default(),
                l.reference.clone().unwrap_or_default(),
            ]);
        }
        format!(
            "Unallocated payments as of {}\n\n{}",
            ctx.as_of,
            table.render()
        )
    })
}

fn account_managers(ctx: &Ctx, command: AccountManagerCommand) -> Result<()> {
    match command {
        AccountManagerCommand::List => {
            let lines = ctx.read(managers::list)?;
            ctx.print(&lines, |lines| {
                let mut table = Table::new(&[
                    ("id", Align::Right),
                    ("name", Align::Left),
                    ("email", Align::Left),
                    ("customers", Align::Right),
                ]);
                for l in lines {
                    table.row(vec![
                        l.id.to_string(),
                        l.name.clone(),
                        l.email.clone().unwrap_or_default(),
                        l.customers.to_string(),
                    ]);
                }
                table.render()
            })
        }
        AccountManagerCommand::Add { name, email } => {
            let created =
                ctx.write(|tx, actor| managers::add(tx, actor, &name, email.as_deref()))?;
            ctx.print(
                &serde_json::json!({ "name": name, "created": created }),
                |_| {
                    if created {
                        format!("Added account manager {name}.\n")
                    } else {
                        format!("Updated account manager {name}.\n")
                    }
                },
            )
        }
    }
}

/// The outcome of one file in a multi-file import.
#[derive(Serialize)]
struct FileOutcome<T: Serialize> {
    file: String,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// All files of a multi-file import: good ones are imported, bad ones
/// listed; the command fails when any file failed.
#[derive(Serialize)]
struct MultiImport<T: Serialize> {
    imported: u64,
    failed: u64,
    files: Vec<FileOutcome<T>>,
}

fn run_files<T: Serialize>(
    ctx: &Ctx,
    files: &[std::path::PathBuf],
    mut one: impl FnMut(&str, &[u8]) -> tegoed_app::Result<T>,
    describe: impl Fn(&T) -> String,
) -> Result<()> {
    let mut result = MultiImport {
        imported: 0,
        failed: 0,
        files: Vec::new(),
    };
    for path in files {
        let name = path.display().to_string();
        let outcome = match std::fs::read(path) {
            Err(e) => Err(format!("{name}: cannot read: {e}")),
            Ok(bytes) => one(&name, &bytes).map_err(|e| e.to_string()),
        };
        match outcome {
            Ok(summary) => {
                result.imported += 1;
                result.files.push(FileOutcome {
                    file: name,
                    ok: true,
                    summary: Some(summary),
                    error: None,
                });
            }
            Err(error) => {
                result.failed += 1;
                result.files.push(FileOutcome {
                    file: name,
                    ok: false,
                    summary: None,
                    error: Some(error),
                });
            }
        }
    }
    ctx.print(&result, |r| {
        let mut text = String::new();
        for f in &r.files {
            match (&f.summary, &f.error) {
                (Some(summary), _) => {
                    text.push_str(&format!("imported {}: {}\n", f.file, describe(summary)))
                }
                (_, Some(error)) => text.push_str(&format!("FAILED   {error}\n")),
                _ => {}
            }
        }
        text.push_str(&format!("{} imported, {} failed.\n", r.imported, r.failed));
        text
    })?;
    if result.failed > 0 {
        let message = format!(
            "{} of {} files could not be imported",
            result.failed,
            files.len()
        );
        return Err(Reported(message).into());
    }
    Ok(())
}

fn import_statements(ctx: &Ctx, files: &[std::path::PathBuf]) -> Result<()> {
    let store = ctx.open()?;
    let actor = ctx.actor();
    let progress = ctx.progress();
    run_files(
        ctx,
        files,
        |name, bytes| {
            tegoed_app::write_tx(store.as_ref(), |tx| {
                bank::import_statement(tx, &actor, name, bytes, &progress)
            })
        },
        |s| {
            let mut text = format!(
                "{} {}, {} transactions: {} payments booked ({} by reference, {} by invoice number, {} by IBAN and amount, {} already paid, {} to review), {} duplicates, {} debits left out",
                s.statements,
                s.format,
                s.transactions,
                s.payments,
                s.matched_by_reference,
                s.matched_by_invoice_number,
                s.matched_by_iban_amount,
                s.already_paid,
                s.to_review,
                s.duplicates,
                s.debits_skipped
            );
            if s.refunds > 0 {
                text.push_str(&format!(", {} refunds", s.refunds));
            }
            if s.reversals > 0 {
                text.push_str(&format!(", {} returned payments", s.reversals));
            }
            if s.not_booked > 0 {
                text.push_str(&format!(", {} not yet booked", s.not_booked));
            }
            for w in &s.warnings {
                text.push_str(&format!("\n  warning: {w}"));
            }
            text
        },
    )
}

/// The files named, with the `.xml` files in each folder named (and in its
/// subfolders, as inboxes are often sorted by month or sender; symbolic
/// links to folders are not followed). A folder without any is an error.
fn expand_paths(paths: &[std::path::PathBuf]) -> Result<Vec<std::path::PathBuf>> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) -> Result<()> {
        let mut entries: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read the folder {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for path in entries {
            let is_link =
                std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
            if path.is_dir() && !is_link {
                walk(&path, out)?;
            } else if path.is_file()
                && path
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("xml"))
            {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let before = files.len();
            walk(path, &mut files)?;
            if files.len() == before {
                bail!(
                    "{}: no .xml files in this folder or its subfolders",
                    path.display()
                );
            }
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn import_ubl(ctx: &Ctx, paths: &[std::path::PathBuf]) -> Result<()> {
    let store = ctx.open()?;
    let actor = ctx.actor();
    let files = expand_paths(paths)?;
    run_files(
        ctx,
        &files,
        |name, bytes| {
            tegoed_app::write_tx(store.as_ref(), |tx| {
                einvoice::import_ubl(tx, &actor, name, bytes)
            })
        },
        |s| {
            let mut text = format!(
                "{} {} for {}{} ({}, {})",
                s.kind.replace('_', " "),
                s.invoice_number,
                s.customer_id,
                if s.customer_created {
                    " (new customer)"
                } else {
                    ""
                },
                money(s.amount),
                s.outcome
            );
            for w in &s.warnings {
                text.push_str(&format!("\n  warning: {w}"));
            }
            text
        },
    )
}

fn unmatched(ctx: &Ctx) -> Result<()> {
    let lines = ctx.read(review::unmatched)?;
    ctx.print(&lines, |lines| {
        if lines.is_empty() {
            return "Nothing to review: every bank payment is matched.\n".to_string();
        }
        let mut text = format!("{} payments to review\n\n", lines.len());
        for l in lines {
            text.push_str(&format!(
                "{}  {}  {} (open {})  from {} {}\n",
                l.payment_id,
                l.date,
                money(l.amount),
                money(l.unallocated),
                l.counterparty_name.as_deref().unwrap_or("(no name)"),
                l.counterparty_iban.as_deref().unwrap_or("")
            ));
            if let Some(customer) = &l.customer_id {
                text.push_str(&format!("    customer: {customer}\n"));
            }
            if let Some(reference) = &l.reference {
                text.push_str(&format!("    reference: {reference}\n"));
            }
            if let Some(note) = &l.note {
                text.push_str(&format!("    why: {note}\n"));
            }
            match &l.suggestion {
                Some(s) => {
                    let invoices: Vec<String> = s
                        .allocations
                        .iter()
                        .map(|a| format!("{} {}", a.invoice_number, money(a.amount)))
                        .collect();
                    text.push_str(&format!(
                        "    suggestion: {} {} ({}% sure){}\n    → tegoed payments assign {} {}\n",
                        s.customer_id,
                        s.name,
                        s.confidence,
                        if invoices.is_empty() { String::new() } else { format!(": {}", invoices.join(", ")) },
                        l.payment_id,
                        s.customer_id
                    ));
                }
                None => text.push_str(&format!(
                    "    → tegoed payments match {} INVOICE_NUMBER…  or  tegoed payments assign {} CUSTOMER_ID\n",
                    l.payment_id, l.payment_id
                )),
            }
        }
        text
    })
}

fn print_decision(ctx: &Ctx, outcome: &review::DecisionOutcome) -> Result<()> {
    ctx.print(outcome, |o| {
        let mut text = format!("Payment {} is now {}'s.", o.payment_id, o.customer_id);
        if o.applied.is_empty() {
            text.push_str(" Nothing was open to apply it to.");
        } else {
            let parts: Vec<String> = o
                .applied
                .iter()
                .map(|a| format!("{} {}", a.invoice_number, money(a.amount)))
                .collect();
            text.push_str(&format!(" Applied to {}.", parts.join(", ")));
        }
        if o.credit.minor != 0 {
            text.push_str(&format!(" Credit left: {}.", money(o.credit)));
        }
        if let Some(iban) = &o.learned_iban {
            text.push_str(&format!(" Remembered {iban} for this customer."));
        }
        text.push('\n');
        text
    })
}
