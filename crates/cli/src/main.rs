//! `tegoed`: the command-line tool. A thin layer over `tegoed-app`: parse
//! arguments, read files, call a use case, print text or JSON.
//!
//! Exit codes: 0 success, 1 a user or input error (with a message naming
//! what was wrong), 2 a usage error (from clap).

mod args;
mod bar;
mod render;

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use serde::Serialize;
use tegoed_app::demo::{self, DemoConfig, DemoOutcome};
use tegoed_app::reports::{self, AgingGroup};
use tegoed_app::{import, managers};
use tegoed_core::aging::Bucket;
use tegoed_core::{Currency, Date};
use tegoed_store::SqliteStore;

use crate::args::{
    AccountManagerCommand, Cli, Command, CustomerCommand, GroupBy, ImportCommand, PaymentsCommand,
    ReportCommand,
};
use crate::render::{Align, Table, days, money};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.global.json;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if json {
                let body = serde_json::json!({ "error": format!("{error:#}") });
                println!("{body}");
            }
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}

/// What every command needs: the database, the date, the output mode.
struct Ctx {
    db: std::path::PathBuf,
    as_of: Date,
    json: bool,
}

impl Ctx {
    fn open(&self) -> Result<SqliteStore> {
        SqliteStore::open(&self.db)
            .with_context(|| format!("cannot use the database {}", self.db.display()))
    }

    /// Prints `value` as JSON, or the text from `text`.
    fn print<T: Serialize>(&self, value: &T, text: impl FnOnce(&T) -> String) -> Result<()> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value)?);
        } else {
            print!("{}", text(value));
        }
        Ok(())
    }

    /// A progress bar on a terminal, nothing in pipes or with --json.
    fn progress(&self) -> bar::Bar {
        bar::Bar::new(!self.json && std::io::stderr().is_terminal())
    }
}

/// Today in UTC; the only place Tegoed reads the clock.
fn today() -> Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Date::from_days_since_epoch((secs / 86_400) as i32)
}

fn run(cli: Cli) -> Result<()> {
    let ctx = Ctx {
        db: cli.global.db.clone(),
        as_of: cli.global.as_of.unwrap_or_else(today),
        json: cli.global.json,
    };
    match cli.command {
        Command::Init => init(&ctx),
        Command::Demo(args) => demo_cmd(&ctx, args),
        Command::Import { what } => import_cmd(&ctx, what),
        Command::Customer {
            command: CustomerCommand::Show { id },
        } => customer_show(&ctx, &id),
        Command::Report { report } => match report {
            ReportCommand::Aging { by, currency } => aging(&ctx, by, &currency),
            ReportCommand::Dso { days, currency } => dso(&ctx, days, &currency),
        },
        Command::Payments {
            command: PaymentsCommand::Unallocated,
        } => unallocated(&ctx),
        Command::AccountManager { command } => account_managers(&ctx, command),
    }
}

fn parse_currency(code: &str) -> Result<Currency> {
    Currency::parse(code).map_err(|e| anyhow::anyhow!("--currency: {e}"))
}

fn init(ctx: &Ctx) -> Result<()> {
    let existed = ctx.db.exists();
    ctx.open()?;
    #[derive(Serialize)]
    struct Init {
        db: String,
        created: bool,
    }
    let out = Init {
        db: ctx.db.display().to_string(),
        created: !existed,
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
    let outcome = demo::fill(&store, &config, &ctx.progress())?;
    let overview = reports::overview(&store, ctx.as_of)?;
    #[derive(Serialize)]
    struct Demo {
        db: String,
        #[serde(flatten)]
        outcome: DemoOutcome,
        overview: reports::Overview,
    }
    let out = Demo {
        db: ctx.db.display().to_string(),
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
        "As of {}\n  Customers        {}\n  Invoices         {} (with credit notes)\n  Open             {}\n  Overdue          {}\n  DSO (countback)  {}\n  DSO (simple, 90) {}\n\nNext: `tegoed report aging --by customer`, `tegoed report dso`, `tegoed customer show C000001`.\n",
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

/// An import use case: store, file name, bytes, progress.
type ImportFn = fn(
    &SqliteStore,
    &str,
    &[u8],
    &dyn tegoed_app::Progress,
) -> tegoed_app::Result<import::ImportSummary>;

fn import_cmd(ctx: &Ctx, what: ImportCommand) -> Result<()> {
    let (path, run): (&Path, ImportFn) = match &what {
        ImportCommand::Customers { file } => {
            (file, |s, f, b, p| import::import_customers(s, f, b, p))
        }
        ImportCommand::Invoices { file } => {
            (file, |s, f, b, p| import::import_invoices(s, f, b, p))
        }
        ImportCommand::Payments { file } => {
            (file, |s, f, b, p| import::import_payments(s, f, b, p))
        }
    };
    let bytes = read_file(path)?;
    let store = ctx.open()?;
    let started = Instant::now();
    let summary = run(&store, &path.display().to_string(), &bytes, &ctx.progress())?;
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
    let store = ctx.open()?;
    let statement = reports::statement(&store, id, ctx.as_of)?;
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
    let store = ctx.open()?;
    let group = by.map(|g| match g {
        GroupBy::Customer => AgingGroup::Customer,
        GroupBy::AccountManager => AgingGroup::AccountManager,
        GroupBy::Industry => AgingGroup::Industry,
    });
    let report = reports::aging(&store, ctx.as_of, currency, group)?;
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
    let store = ctx.open()?;
    let report = reports::dso(&store, ctx.as_of, currency, period)?;
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

fn unallocated(ctx: &Ctx) -> Result<()> {
    let store = ctx.open()?;
    let lines = reports::unallocated_payments(&store, ctx.as_of)?;
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
    let store = ctx.open()?;
    match command {
        AccountManagerCommand::List => {
            let lines = managers::list(&store)?;
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
            let created = managers::add(&store, &name, email.as_deref())?;
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
