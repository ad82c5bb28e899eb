//! Long work off the request: *Approve and send* starts the dunning run on
//! a thread of its own and answers at once; the run's progress (phase,
//! units done of the total) and its outcome are kept here for the progress
//! page. One run at a time per server; another server's run on the same
//! database is kept out by the run lease in `tegoed_app::lease`, and then
//! this run's outcome says so.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tegoed_app::dunning::RunReport;
use tegoed_app::progress::Progress;

/// How a run ended.
#[derive(Clone, Debug)]
pub enum Outcome {
    Done(Arc<RunReport>),
    /// The error's stable code and its words for the reader (as an error
    /// page would say them).
    Failed {
        code: &'static str,
        message: String,
    },
}

/// One run in the background: who started it, where it is, how it ended.
#[derive(Debug)]
pub struct Run {
    pub started_by: String,
    phase: Mutex<String>,
    total: AtomicU64,
    done: AtomicU64,
    outcome: Mutex<Option<Outcome>>,
}

impl Run {
    pub fn new(started_by: &str) -> Run {
        Run {
            started_by: started_by.to_string(),
            phase: Mutex::new(String::new()),
            total: AtomicU64::new(0),
            done: AtomicU64::new(0),
            outcome: Mutex::new(None),
        }
    }

    /// The phase, the units done and the total (0: not known yet).
    pub fn progress(&self) -> (String, u64, u64) {
        (
            self.phase.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }

    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn finish_with(&self, outcome: Outcome) {
        *self.outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
    }
}

impl Progress for Run {
    fn start(&self, what: &str, total: u64) {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner()) = what.to_string();
        self.total.store(total, Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
    }

    fn advance(&self, units: u64) {
        self.done.fetch_add(units, Ordering::Relaxed);
    }

    fn finish(&self) {}
}

/// The server's latest run (kept after it ends, for its outcome).
#[derive(Default)]
pub struct Runs {
    latest: Mutex<Option<Arc<Run>>>,
}

impl Runs {
    /// A new run, unless one is still going on this server.
    pub fn begin(&self, started_by: &str) -> Option<Arc<Run>> {
        let mut latest = self.latest.lock().unwrap_or_else(|e| e.into_inner());
        if latest.as_ref().is_some_and(|run| run.outcome().is_none()) {
            return None;
        }
        let run = Arc::new(Run::new(started_by));
        *latest = Some(run.clone());
        Some(run)
    }

    pub fn latest(&self) -> Option<Arc<Run>> {
        self.latest
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_run_at_a_time_and_its_progress_is_read_back() {
        let runs = Runs::default();
        let run = runs.begin("a@t.example").unwrap();
        assert!(runs.begin("b@t.example").is_none(), "one at a time");
        run.start("Delivering", 10);
        run.advance(3);
        assert_eq!(run.progress(), ("Delivering".into(), 3, 10));
        run.finish_with(Outcome::Failed {
            code: "conflict",
            message: "busy".into(),
        });
        assert!(runs.begin("b@t.example").is_some(), "the next may start");
    }
}
