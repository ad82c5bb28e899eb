//! The database of a use-case test: a SQLite file in the test's folder, or
//! with `TEGOED_TEST_BACKEND=postgres` a throw-away PostgreSQL database
//! (dropped with the [`TestDb`]), so the suite runs on either backend.

#![allow(dead_code)]

use std::path::Path;

use tegoed_store::Store;
use tegoed_store_postgres::PostgresStore;
use tegoed_store_postgres::testing::{Scratch, required, suites_on_postgres};
use tegoed_store_sqlite::SqliteStore;

/// A store and what keeps its database alive.
pub struct TestDb {
    pub store: Box<dyn Store>,
    _scratch: Option<Scratch>,
}

impl std::ops::Deref for TestDb {
    type Target = dyn Store;
    fn deref(&self) -> &(dyn Store + 'static) {
        self.store.as_ref()
    }
}

/// A fresh, empty database for a test (`name` names the SQLite file).
pub fn database(dir: &Path, name: &str) -> TestDb {
    if suites_on_postgres() {
        let scratch = required();
        TestDb {
            store: Box::new(PostgresStore::open(&scratch.url).unwrap()),
            _scratch: Some(scratch),
        }
    } else {
        TestDb {
            store: Box::new(SqliteStore::open(dir.join(format!("{name}.db"))).unwrap()),
            _scratch: None,
        }
    }
}
