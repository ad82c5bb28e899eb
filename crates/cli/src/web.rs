//! `tegoed serve` and `tegoed user`: the web app and its users.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, Result, bail};
use serde::Serialize;
use tegoed_app::access::{self, NewUser, Role};
use tegoed_app::audit;
use tegoed_app::demo::{self, DemoConfig};
use tegoed_app::risk;
use tegoed_core::Language;

use crate::Ctx;
use crate::args::{ServeArgs, UserCommand};

/// The demo password of every demo user (printed by `serve --demo`).
pub const DEMO_PASSWORD: &str = "tegoed-demo";

pub fn serve_cmd(ctx: &Ctx, args: ServeArgs) -> Result<()> {
    let store = ctx.open()?;
    let config = ctx.config()?;
    let actor = ctx.actor();
    let mut logins = Vec::new();
    if args.demo {
        let outcome = tegoed_app::write_tx(store.as_ref(), |tx| {
            demo::fill(
                tx,
                &actor,
                &DemoConfig::default_on(ctx.as_of),
                &ctx.progress(),
            )
        })?;
        if let demo::DemoOutcome::Generated(c) = &outcome {
            eprintln!(
                "Demo data written to {}: {} customers, {} invoices.",
                ctx.db.shown(),
                c.customers,
                c.invoices
            );
        }
        let has_model =
            tegoed_app::read_tx(store.as_ref(), |tx| Ok(risk::load_model(tx)?.is_some()))?;
        if !has_model {
            match risk::train(store.as_ref(), &actor, &config.risk, ctx.as_of, None, None) {
                Ok(report) => eprintln!(
                    "Risk model trained (AUC {:.3}).",
                    report.auc.unwrap_or(f64::NAN)
                ),
                Err(e) => eprintln!("No risk model: {e}"),
            }
        }
        logins = tegoed_app::write_tx(store.as_ref(), |tx| demo_users(tx, &actor))?;
        // Settings and message templates are edited in the app and saved
        // to a settings file: give the demo one (the shipped default).
        let default = std::path::Path::new("tegoed.toml");
        if ctx.config.is_none() && !default.exists() {
            std::fs::write(default, tegoed_app::config::DEFAULT_CONFIG)
                .context("cannot write tegoed.toml for the demo")?;
            eprintln!(
                "Settings written to tegoed.toml (the shipped default; edit them on the Settings page)."
            );
        }
    }
    let config_path = match &ctx.config {
        Some(path) => Some(path.clone()),
        None if std::path::Path::new("tegoed.toml").exists() => Some("tegoed.toml".into()),
        None => None,
    };
    // The store outlives the runtime: the PostgreSQL client blocks on its
    // own runtime when it closes, which must not happen on the server's.
    let keep = store.clone();
    let state = tegoed_web::AppState::new(tegoed_web::Settings {
        store,
        config,
        config_path,
        as_of: ctx.fixed_as_of,
        secure_cookies: args.secure_cookies,
    })
    .map_err(anyhow::Error::msg)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the web server's runtime")?;
    let json = ctx.json;
    let served = runtime.block_on(tegoed_web::serve(state, args.addr, move |addr| {
        print_ready(addr, &logins, json);
    }));
    drop(runtime);
    drop(keep);
    served?;
    Ok(())
}

#[derive(Serialize)]
struct Ready<'a> {
    url: String,
    logins: &'a [(String, String)],
    password: Option<&'static str>,
}

fn print_ready(addr: std::net::SocketAddr, logins: &[(String, String)], json: bool) {
    let url = format!("http://{addr}/");
    let mut out = std::io::stdout().lock();
    if json {
        let ready = Ready {
            url,
            logins,
            password: (!logins.is_empty()).then_some(DEMO_PASSWORD),
        };
        let _ = writeln!(out, "{}", serde_json::to_string(&ready).unwrap_or_default());
    } else {
        let _ = writeln!(out, "Tegoed is running at {url}  (Ctrl-C stops it)");
        if !logins.is_empty() {
            let _ = writeln!(out, "\nDemo logins (password: {DEMO_PASSWORD}):");
            for (email, role) in logins {
                let _ = writeln!(out, "  {email:<40} {role}");
            }
        }
    }
    let _ = out.flush();
}

/// Adds the demo users that are missing: an admin, a credit manager, a
/// collector, and a salesperson for the first account manager.
fn demo_users(
    tx: &mut dyn tegoed_store::WriteTx,
    actor: &access::Actor,
) -> tegoed_app::Result<Vec<(String, String)>> {
    let sales_email = tx
        .account_managers()?
        .into_iter()
        .find_map(|(_, m)| m.email.map(|e| e.as_str().to_string()));
    let mut wanted = vec![
        (
            "admin@tegoed.example".to_string(),
            Role::Admin,
            "Ada Admin",
            Language::En,
        ),
        (
            "credit@tegoed.example".to_string(),
            Role::CreditManager,
            "Carla Krediet",
            Language::Nl,
        ),
        (
            "collector@tegoed.example".to_string(),
            Role::Collector,
            "Koen Incasso",
            Language::Nl,
        ),
    ];
    if let Some(email) = sales_email {
        wanted.push((email, Role::Sales, "", Language::Nl));
    }
    let existing: Vec<String> = access::users(tx)?.into_iter().map(|u| u.email).collect();
    let mut logins = Vec::new();
    for (email, role, name, language) in wanted {
        if !existing.iter().any(|e| e.eq_ignore_ascii_case(&email)) {
            access::add_user(
                tx,
                actor,
                &NewUser {
                    email: &email,
                    name: (!name.is_empty()).then_some(name),
                    role,
                    language,
                    password: DEMO_PASSWORD,
                    account_manager: None,
                },
            )?;
        }
        logins.push((email, role.as_str().to_string()));
    }
    Ok(logins)
}

/// Reads a new password: twice, without echo, on a terminal; one line from
/// standard input otherwise.
fn read_password() -> Result<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let echo = |on: bool| {
        let _ = std::process::Command::new("stty")
            .arg(if on { "echo" } else { "-echo" })
            .stdin(std::process::Stdio::inherit())
            .status();
    };
    let ask = |prompt: &str| -> Result<String> {
        eprint!("{prompt}");
        let _ = std::io::stderr().flush();
        echo(false);
        let mut line = String::new();
        let read = std::io::stdin().lock().read_line(&mut line);
        echo(true);
        eprintln!();
        read.context("cannot read the password")?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    };
    let first = ask("Password: ")?;
    let second = ask("Password again: ")?;
    if first != second {
        bail!("the passwords differ");
    }
    Ok(first)
}

pub fn user_cmd(ctx: &Ctx, command: UserCommand) -> Result<()> {
    match command {
        UserCommand::Add {
            email,
            role,
            name,
            language,
            account_manager,
        } => {
            let role = Role::parse(&role).with_context(|| {
                format!("--role '{role}': choose admin, credit_manager, collector or sales")
            })?;
            let language = Language::parse(&language)
                .with_context(|| format!("--language '{language}': nl or en"))?;
            let password = read_password()?;
            let new = NewUser {
                email: &email,
                name: name.as_deref(),
                role,
                language,
                password: &password,
                account_manager: account_manager.as_deref(),
            };
            let line = ctx.write(|tx, actor| access::add_user(tx, actor, &new))?;
            ctx.print(&line, |u| {
                format!(
                    "Added {} ({}) as {}{}.\n",
                    u.email,
                    u.name,
                    u.role,
                    u.account_manager
                        .as_ref()
                        .map(|m| format!(", account manager {m}"))
                        .unwrap_or_default()
                )
            })
        }
        UserCommand::List => {
            let users = ctx.read(access::users)?;
            ctx.print(&users, |list| {
                let mut text = String::new();
                for u in list {
                    text.push_str(&format!(
                        "{:<36} {:<15} {:<3} {}{}\n",
                        u.email,
                        u.role,
                        u.language,
                        u.name,
                        if u.disabled { " (disabled)" } else { "" }
                    ));
                }
                if list.is_empty() {
                    text.push_str("No users yet: `tegoed user add EMAIL --role admin`.\n");
                }
                text
            })
        }
        UserCommand::Audit { limit } => {
            let mut lines = ctx.read(|tx| access::audit_log(tx, limit))?;
            // Details in English words and formats, as the rest of the CLI.
            let en = Language::En;
            for line in &mut lines {
                line.detail = audit::show(&line.detail, en, &|k| tegoed_web::i18n::t(en, k).into());
            }
            ctx.print(&lines, |lines| {
                let mut table = crate::render::Table::new(&[
                    ("When (UTC)", crate::render::Align::Left),
                    ("Who", crate::render::Align::Left),
                    ("What", crate::render::Align::Left),
                    ("Subject", crate::render::Align::Left),
                    ("Detail", crate::render::Align::Left),
                ]);
                for l in lines {
                    table.row(vec![
                        utc(l.at),
                        l.actor.clone(),
                        l.action.clone(),
                        l.subject.clone(),
                        l.detail.clone(),
                    ]);
                }
                if lines.is_empty() {
                    "The audit log is empty.\n".into()
                } else {
                    table.render()
                }
            })
        }
        UserCommand::Token { email, name } => {
            let token =
                ctx.write(|tx, actor| access::create_api_token(tx, actor, &email, &name))?;
            #[derive(Serialize)]
            struct Token {
                email: String,
                name: String,
                token: String,
            }
            ctx.print(&Token { email, name, token }, |t| {
                format!(
                    "API token for {} ({}), shown only once:\n{}\nUse it as: Authorization: Bearer {}\n",
                    t.email, t.name, t.token, t.token
                )
            })
        }
    }
}

/// Unix seconds as `YYYY-MM-DD HH:MM` (UTC).
fn utc(at: i64) -> String {
    let day = tegoed_core::Date::from_days_since_epoch(at.div_euclid(86_400) as i32);
    let seconds = at.rem_euclid(86_400);
    format!("{day} {:02}:{:02}", seconds / 3600, seconds % 3600 / 60)
}
