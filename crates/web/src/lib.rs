//! Tegoed's web app: server-rendered pages for credit staff and sales, and
//! the JSON API under `/api/v1`, on axum.
//!
//! Every request does its work on the blocking pool ([`blocking`]): the
//! store is synchronous (SQLite), and a page is a few indexed reads. The
//! pages that summarise the whole debtor book (Today, customer search, My
//! customers, the dunning preview) read a [`cache::Cache`] that is rebuilt
//! in the background after every change made through the app and every few
//! minutes, so they stay fast on a million invoices.

pub mod api;
mod auth;
mod background;
mod cache;
mod forms;
pub mod i18n;
mod listing;
mod pages;
mod portal;
mod view;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::response::Response;
use tegoed_app::config::Config;
use tegoed_app::dunning::templates::Templates;
use tegoed_core::Date;
use tegoed_store::Store;

pub use cache::Cache;

/// What the server needs to start.
pub struct Settings {
    pub store: Arc<dyn Store>,
    pub config: Config,
    /// Where the configuration came from (saved there from Settings), if a
    /// file.
    pub config_path: Option<PathBuf>,
    /// A fixed as-of date (demos, tests); default: today, read per request.
    pub as_of: Option<Date>,
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
}

/// Shared by all requests.
pub struct AppState {
    pub store: Arc<dyn Store>,
    config: RwLock<Arc<Live>>,
    config_path: Option<PathBuf>,
    as_of: Option<Date>,
    secure_cookies: bool,
    pub cache: Cache,
    limiter: auth::Limiter,
    /// Signs the login form's double-submit token (shared by every server
    /// on the database).
    login_key: String,
    views: view::Views,
    /// Requests doing work at once (see [`blocking`]).
    work: tokio::sync::Semaphore,
    /// The dunning run started from this server, running or done.
    pub runs: background::Runs,
    /// The day appreciation suggestions were last raised by this server.
    appreciation_day: std::sync::Mutex<Option<Date>>,
    /// Where this server listens (`http://addr`): the customer portal's
    /// links point here unless `[portal] public_url` says otherwise.
    listen_url: std::sync::OnceLock<String>,
}

/// The configuration in use with its message templates.
pub struct Live {
    pub config: Config,
    pub templates: Templates,
}

impl AppState {
    pub fn new(settings: Settings) -> Result<Arc<AppState>, String> {
        let templates = Templates::load(settings.config.delivery.templates.as_deref())
            .map_err(|e| e.to_string())?;
        let login_key = tegoed_app::access::login_form_key(settings.store.as_ref())
            .map_err(|e| e.to_string())?;
        Ok(Arc::new(AppState {
            login_key,
            store: settings.store,
            config: RwLock::new(Arc::new(Live {
                config: settings.config,
                templates,
            })),
            config_path: settings.config_path,
            as_of: settings.as_of,
            secure_cookies: settings.secure_cookies,
            cache: Cache::default(),
            limiter: auth::Limiter::default(),
            views: view::Views::new(),
            work: tokio::sync::Semaphore::new(work_slots()),
            runs: background::Runs::default(),
            appreciation_day: std::sync::Mutex::new(None),
            listen_url: std::sync::OnceLock::new(),
        }))
    }

    /// The configuration and templates in use.
    pub fn live(&self) -> Arc<Live> {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn replace_config(&self, mut live: Live) {
        if live.config.portal.public_url.is_none() {
            live.config.portal.public_url = self.listen_url.get().cloned();
        }
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(live);
    }

    /// Records where the server listens; the portal's links point there
    /// when the settings name no public address.
    pub fn listening_on(&self, addr: SocketAddr) {
        let _ = self.listen_url.set(format!("http://{addr}"));
        let live = self.live();
        if live.config.portal.public_url.is_none() {
            let mut config = live.config.clone();
            config.portal.public_url = self.listen_url.get().cloned();
            // The templates loaded at start; read again, they are the same.
            match Templates::load(config.delivery.templates.as_deref()) {
                Ok(templates) => self.replace_config(Live { config, templates }),
                Err(e) => tracing::error!(error = %e, "cannot reload the message templates"),
            }
        }
    }

    /// Runs a use case in a read transaction (one consistent snapshot).
    pub(crate) fn read<T>(
        &self,
        work: impl FnOnce(&mut dyn tegoed_store::ReadTx) -> tegoed_app::Result<T>,
    ) -> Result<T, auth::Fail> {
        Ok(tegoed_app::read_tx(self.store.as_ref(), work)?)
    }

    /// Runs a use case in a write transaction, committed when it succeeds;
    /// the in-memory book is rebuilt afterwards.
    pub(crate) fn write<T>(
        self: &Arc<Self>,
        work: impl FnOnce(&mut dyn tegoed_store::WriteTx) -> tegoed_app::Result<T>,
    ) -> Result<T, auth::Fail> {
        let value = tegoed_app::write_tx(self.store.as_ref(), work)?;
        self.cache.invalidate(self);
        Ok(value)
    }

    /// Raises the appreciation suggestions that became true, once per
    /// business day per server, in the background (one ledger scan; the
    /// pages list what is stored meanwhile). The dunning run and `tegoed
    /// appreciation` raise them too; the store keeps each once.
    pub(crate) fn raise_appreciation(self: &Arc<Self>) {
        let as_of = self.as_of();
        {
            let mut day = self
                .appreciation_day
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if *day == Some(as_of) {
                return;
            }
            *day = Some(as_of);
        }
        let state = self.clone();
        let spawned = std::thread::Builder::new()
            .name("tegoed-appreciation".into())
            .spawn(move || {
                let rules = state.live().config.appreciation.rules.clone();
                let outcome = tegoed_app::write_tx(state.store.as_ref(), |tx| {
                    tegoed_app::appreciation::refresh(tx, &rules, as_of)
                });
                match outcome {
                    Ok(done) => tracing::info!(
                        raised = done.raised,
                        lapsed = done.lapsed,
                        "appreciation suggestions raised"
                    ),
                    Err(e) => {
                        tracing::error!(error = %e, "cannot raise appreciation suggestions");
                        *state
                            .appreciation_day
                            .lock()
                            .unwrap_or_else(|e| e.into_inner()) = None;
                    }
                }
            });
        if spawned.is_err() {
            *self
                .appreciation_day
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = None;
        }
    }

    /// The business day: fixed, or today (UTC).
    pub fn as_of(&self) -> Date {
        self.as_of
            .unwrap_or_else(|| Date::from_days_since_epoch((now() / 86_400) as i32))
    }
}

/// Unix seconds; the web layer is where the clock is read.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// All pages and API routes.
pub fn router(state: Arc<AppState>) -> Router {
    pages::routes()
        .merge(api::routes())
        .merge(portal::routes())
        .fallback(pages::not_found)
        .with_state(state)
}

/// How many requests do their work at once: a few per core. More would
/// not finish sooner on the same cores; they would only take turns and
/// each hold a database connection, so the rest wait in line (first come,
/// first served), which keeps the slowest answers close to the typical one.
fn work_slots() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()) * 2
}

/// Runs `work` on the blocking pool once a work slot is free.
pub(crate) async fn blocking<F>(state: Arc<AppState>, work: F) -> Response
where
    F: FnOnce() -> Response + Send + 'static,
{
    let Ok(_slot) = state.work.acquire().await else {
        use axum::response::IntoResponse;
        return axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    match tokio::task::spawn_blocking(work).await {
        Ok(response) => response,
        // A request that panicked: logged, answered like any internal error.
        Err(e) => auth::Fail::Internal(format!("a request stopped: {e}")).api(),
    }
}

/// Serves until Ctrl-C. `ready` gets the bound address.
pub async fn serve(
    state: Arc<AppState>,
    addr: SocketAddr,
    ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    state.listening_on(listener.local_addr()?);
    ready(listener.local_addr()?);
    // Off the async threads: the store blocks (the PostgreSQL client even
    // runs its own runtime, which may not start inside this one).
    let warming = state.clone();
    tokio::task::spawn_blocking(move || warming.cache.warm(&warming));
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
