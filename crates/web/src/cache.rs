//! The debtor book in memory: the [`Portfolio`] and the dunning
//! [`Preview`] of the current day, rebuilt in the background after every
//! change. Changes made through this server invalidate it at once; changes
//! made by anyone else on the same database (a CLI import, another `tegoed
//! serve` on PostgreSQL) are noticed through the store's revision
//! ([`tegoed_store::ReadTx::revision`]), which every request compares with
//! the one the book was built from — at most [`REVISION_CHECK`] apart, one
//! indexed read. Readers get the newest finished build at once; pages that
//! must show the effect of a change ask for a fresh one and wait for it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tegoed_app::appreciation::SuggestionLine;
use tegoed_app::dunning::{self, Preview};
use tegoed_app::portfolio::{self, Portfolio};
use tegoed_app::scoreboard::PaidOnTime;
use tegoed_core::Date;
use tegoed_core::scoreboard::Period;

use crate::AppState;

/// Rebuild in the background when the build is older than this: a safety
/// net only, changes are noticed through the revision. Rebuilding a 100k
/// book takes half a minute of a core on PostgreSQL; every five minutes,
/// as it was, it ran during the bench's web measurements and tripled
/// their p95.
pub const MAX_AGE: Duration = Duration::from_secs(3600);

/// How often a request looks at the store's revision (reading it is
/// cheap, but not free on a remote database).
pub const REVISION_CHECK: Duration = Duration::from_millis(500);

#[derive(Default)]
pub struct Cache {
    inner: Mutex<Inner>,
    /// DSO at the end of each of the last 23 months, per day: past months
    /// change only with back-dated entries, so it is computed once per day
    /// (per server) in the background, not after every change.
    dso: Mutex<Daily<Vec<tegoed_app::reports::DsoReport>>>,
    /// The KPI report of the last 24 months, per day (the same reasoning).
    kpi: Mutex<Daily<tegoed_app::kpi::KpiPage>>,
    /// Scoreboard reports of the current generation: each reads the whole
    /// ledger and every message, and the Scoreboard and My customers ask
    /// for the same ones again and again.
    scores: Mutex<Scores>,
}

#[derive(Default)]
struct Scores {
    /// The day and generation they are of.
    key: Option<(Date, u64)>,
    /// The last 12 full months (the Scoreboard's trend).
    months: Option<Arc<Vec<PaidOnTime>>>,
    /// Other periods asked for.
    periods: std::collections::HashMap<(Date, Date), Arc<PaidOnTime>>,
    /// Every open appreciation suggestion (Today shows them on every visit).
    suggestions: Option<Arc<Vec<SuggestionLine>>>,
}

/// A value computed once per business day in the background.
struct Daily<T> {
    value: Option<(Date, Arc<T>)>,
    building: bool,
}

impl<T> Default for Daily<T> {
    fn default() -> Daily<T> {
        Daily {
            value: None,
            building: false,
        }
    }
}

#[derive(Default)]
struct Inner {
    portfolio: Option<Built<Portfolio>>,
    preview: Option<Built<Preview>>,
    /// Bumped by every change.
    generation: u64,
    building: bool,
    /// The store's revision last seen, and when it was read.
    revision: Option<i64>,
    revision_read: Option<Instant>,
}

struct Built<T> {
    value: Arc<T>,
    as_of: Date,
    generation: u64,
    at: Instant,
}

impl<T> Built<T> {
    fn usable(&self, as_of: Date, generation: u64, fresh: bool) -> bool {
        self.as_of == as_of && (!fresh || self.generation == generation)
    }

    fn stale(&self, generation: u64) -> bool {
        self.generation != generation || self.at.elapsed() > MAX_AGE
    }
}

type Slot<T> = fn(&mut Inner) -> &mut Option<Built<T>>;

impl Cache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts a background build now (at server start).
    pub fn warm(&self, state: &Arc<AppState>) {
        self.notice_outside_changes(state);
        self.rebuild(state);
    }

    /// Something changed: the next fresh read waits for a new build, other
    /// reads get the old one while a new one is made.
    pub fn invalidate(&self, state: &Arc<AppState>) {
        self.lock().generation += 1;
        self.rebuild(state);
    }

    /// Compares the store's revision with the last one seen (at most every
    /// [`REVISION_CHECK`]); a change made elsewhere counts as a change made
    /// here. Read before a build's snapshot, so the build includes it.
    fn notice_outside_changes(&self, state: &Arc<AppState>) {
        {
            let inner = self.lock();
            if inner
                .revision_read
                .is_some_and(|at| at.elapsed() < REVISION_CHECK)
            {
                return;
            }
        }
        let revision = match state.store.read().and_then(|mut tx| tx.revision()) {
            Ok(revision) => revision,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the store's revision");
                return;
            }
        };
        let changed = {
            let mut inner = self.lock();
            inner.revision_read = Some(Instant::now());
            let changed = inner.revision.is_some_and(|seen| seen != revision);
            inner.revision = Some(revision);
            if changed {
                inner.generation += 1;
            }
            changed
        };
        if changed {
            self.rebuild(state);
        }
    }

    /// The portfolio of today; `fresh` waits for one that includes every
    /// change made so far.
    pub fn portfolio(&self, state: &Arc<AppState>, fresh: bool) -> Result<Arc<Portfolio>, String> {
        self.get(state, fresh, |i| &mut i.portfolio, build_portfolio)
    }

    /// The dunning preview of today.
    pub fn preview(&self, state: &Arc<AppState>, fresh: bool) -> Result<Arc<Preview>, String> {
        self.get(state, fresh, |i| &mut i.preview, build_preview)
    }

    /// The preview if one of today is ready, without waiting.
    /// The DSO of the last 23 month-ends when it is computed for today;
    /// otherwise `None`, and it is being computed.
    pub fn dso_history(
        &self,
        state: &Arc<AppState>,
    ) -> Option<Arc<Vec<tegoed_app::reports::DsoReport>>> {
        daily(
            state,
            "dso-history",
            |c| &c.dso,
            |tx, as_of, _| {
                tegoed_app::reports::dso_history(tx, as_of, tegoed_core::Currency::EUR, 23)
            },
        )
    }

    /// The KPI report of the last 24 months when it is computed for today;
    /// otherwise `None`, and it is being computed.
    pub fn kpi(&self, state: &Arc<AppState>) -> Option<Arc<tegoed_app::kpi::KpiPage>> {
        daily(
            state,
            "kpi",
            |c| &c.kpi,
            |tx, as_of, config| tegoed_app::kpi::page(tx, config, as_of),
        )
    }

    /// The scores of this generation, emptied when the day or the
    /// generation moved on.
    fn scores(&self, state: &Arc<AppState>) -> std::sync::MutexGuard<'_, Scores> {
        self.notice_outside_changes(state);
        let key = (state.as_of(), self.lock().generation);
        let mut scores = self.scores.lock().unwrap_or_else(|e| e.into_inner());
        if scores.key != Some(key) {
            *scores = Scores {
                key: Some(key),
                ..Scores::default()
            };
        }
        scores
    }

    /// Every open appreciation suggestion of today, oldest first: read
    /// (with the customers they name, as they are now) once per generation
    /// instead of on every visit to Today (2,566 suggestions on the 100k
    /// bench made Today's p95 0.8 s at 50 clients).
    pub fn suggestions(&self, state: &Arc<AppState>) -> Result<Arc<Vec<SuggestionLine>>, String> {
        let key = {
            let scores = self.scores(state);
            if let Some(list) = &scores.suggestions {
                return Ok(list.clone());
            }
            scores.key
        };
        let list = Arc::new(
            tegoed_app::read_tx(state.store.as_ref(), |tx| {
                tegoed_app::appreciation::open_suggestions(tx, None, state.as_of())
            })
            .map_err(|e| e.to_string())?,
        );
        let mut scores = self.scores(state);
        // Kept only if nothing changed while it was read.
        if scores.key == key {
            scores.suggestions = Some(list.clone());
        }
        Ok(list)
    }

    /// The paid-on-time scoreboard of each of the last 12 full months.
    pub fn scoreboard_months(&self, state: &Arc<AppState>) -> Result<Arc<Vec<PaidOnTime>>, String> {
        if let Some(months) = &self.scores(state).months {
            return Ok(months.clone());
        }
        let live = state.live();
        let months = Arc::new(
            tegoed_app::read_tx(state.store.as_ref(), |tx| {
                tegoed_app::scoreboard::months(tx, &live.config, state.as_of(), 12, None)
            })
            .map_err(|e| e.to_string())?,
        );
        self.scores(state).months = Some(months.clone());
        Ok(months)
    }

    /// The paid-on-time scoreboard of `period` (one of the 12 months when
    /// they are worked out already).
    pub fn scoreboard(
        &self,
        state: &Arc<AppState>,
        period: Period,
    ) -> Result<Arc<PaidOnTime>, String> {
        {
            let scores = self.scores(state);
            let month = scores.months.as_ref().and_then(|months| {
                months
                    .iter()
                    .find(|m| m.period.from == period.from && m.period.to == period.to)
                    .cloned()
            });
            if let Some(month) = month {
                return Ok(Arc::new(month));
            }
            if let Some(report) = scores.periods.get(&(period.from, period.to)) {
                return Ok(report.clone());
            }
        }
        let live = state.live();
        let report = Arc::new(
            tegoed_app::read_tx(state.store.as_ref(), |tx| {
                tegoed_app::scoreboard::paid_on_time(tx, &live.config, state.as_of(), period, None)
            })
            .map_err(|e| e.to_string())?,
        );
        let mut scores = self.scores(state);
        if scores.periods.len() >= 32 {
            scores.periods.clear();
        }
        scores
            .periods
            .insert((period.from, period.to), report.clone());
        Ok(report)
    }

    pub fn preview_if_ready(&self, state: &Arc<AppState>) -> Option<Arc<Preview>> {
        let as_of = state.as_of();
        let inner = self.lock();
        inner
            .preview
            .as_ref()
            .filter(|b| b.as_of == as_of)
            .map(|b| b.value.clone())
    }

    fn get<T>(
        &self,
        state: &Arc<AppState>,
        fresh: bool,
        slot: Slot<T>,
        build: fn(&Arc<AppState>, Date) -> Result<T, String>,
    ) -> Result<Arc<T>, String> {
        let as_of = state.as_of();
        self.notice_outside_changes(state);
        let generation = {
            let mut inner = self.lock();
            let generation = inner.generation;
            if let Some(built) = slot(&mut inner)
                && built.usable(as_of, generation, fresh)
            {
                let value = built.value.clone();
                let stale = built.stale(generation);
                drop(inner);
                if stale {
                    self.rebuild(state);
                }
                return Ok(value);
            }
            generation
        };
        let value = Arc::new(build(state, as_of)?);
        let mut inner = self.lock();
        let keep = slot(&mut inner)
            .as_ref()
            .is_none_or(|b| b.as_of != as_of || b.generation <= generation);
        if keep {
            *slot(&mut inner) = Some(Built {
                value: value.clone(),
                as_of,
                generation,
                at: Instant::now(),
            });
        }
        Ok(value)
    }

    /// Builds portfolio and preview on a background thread until they
    /// reflect the newest generation (one builder at a time).
    fn rebuild(&self, state: &Arc<AppState>) {
        {
            let mut inner = self.lock();
            if inner.building {
                return;
            }
            inner.building = true;
        }
        let state = state.clone();
        let spawned = std::thread::Builder::new()
            .name("tegoed-cache".into())
            .spawn(move || {
                loop {
                    let (generation, as_of) = (state.cache.lock().generation, state.as_of());
                    match build_portfolio(&state, as_of) {
                        Ok(p) => state.cache.put(|i| &mut i.portfolio, p, as_of, generation),
                        Err(e) => tracing::error!(error = %e, "cannot build the portfolio"),
                    }
                    match build_preview(&state, as_of) {
                        Ok(p) => state.cache.put(|i| &mut i.preview, p, as_of, generation),
                        Err(e) => tracing::error!(error = %e, "cannot build the dunning preview"),
                    }
                    let mut inner = state.cache.lock();
                    if inner.generation == generation {
                        inner.building = false;
                        break;
                    }
                }
            });
        if spawned.is_err() {
            self.lock().building = false;
        }
    }

    fn put<T>(&self, slot: Slot<T>, value: T, as_of: Date, generation: u64) {
        let mut inner = self.lock();
        let keep = slot(&mut inner)
            .as_ref()
            .is_none_or(|b| b.as_of != as_of || b.generation <= generation);
        if keep {
            *slot(&mut inner) = Some(Built {
                value: Arc::new(value),
                as_of,
                generation,
                at: Instant::now(),
            });
        }
    }
}

fn build_portfolio(state: &Arc<AppState>, as_of: Date) -> Result<Portfolio, String> {
    let live = state.live();
    tegoed_app::read_tx(state.store.as_ref(), |tx| {
        portfolio::build(tx, &live.config, as_of)
    })
    .map_err(|e| e.to_string())
}

fn build_preview(state: &Arc<AppState>, as_of: Date) -> Result<Preview, String> {
    let live = state.live();
    dunning::plan(
        state.store.as_ref(),
        &live.config,
        &live.templates,
        as_of,
        &dunning::Options::default(),
        &tegoed_app::Silent,
    )
    .map_err(|e| e.to_string())
}

/// The value in `slot` when it was computed for today; otherwise `None`,
/// and a background thread (`name`) computes it with `build` in one read
/// transaction (a failure is logged; the next request tries again).
fn daily<T: Send + Sync + 'static>(
    state: &Arc<AppState>,
    name: &str,
    slot: fn(&Cache) -> &Mutex<Daily<T>>,
    build: fn(
        &mut dyn tegoed_store::ReadTx,
        Date,
        &tegoed_app::config::Config,
    ) -> tegoed_app::Result<T>,
) -> Option<Arc<T>> {
    let as_of = state.as_of();
    let mut daily = slot(&state.cache).lock().unwrap_or_else(|e| e.into_inner());
    if let Some((day, value)) = &daily.value
        && *day == as_of
    {
        return Some(value.clone());
    }
    if !daily.building {
        daily.building = true;
        let state = state.clone();
        let what = name.to_string();
        let spawned = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let config = state.live();
                let built = tegoed_app::read_tx(state.store.as_ref(), |tx| {
                    build(tx, as_of, &config.config)
                });
                let mut daily = slot(&state.cache).lock().unwrap_or_else(|e| e.into_inner());
                daily.building = false;
                match built {
                    Ok(value) => daily.value = Some((as_of, Arc::new(value))),
                    Err(e) => tracing::warn!(error = %e, what, "a daily figure could not be built"),
                }
            });
        if spawned.is_err() {
            daily.building = false;
        }
    }
    None
}
