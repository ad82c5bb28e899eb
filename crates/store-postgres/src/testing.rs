//! Throw-away PostgreSQL databases for test suites (this crate's, the
//! CLI's, the web app's).
//!
//! ```no_run
//! let Some(db) = tegoed_store_postgres::testing::scratch() else { return };
//! let store = tegoed_store_postgres::PostgresStore::open(&db.url).unwrap();
//! // ... the database is dropped with `db`.
//! ```
//!
//! `TEGOED_TEST_POSTGRES` names a server where the tests may create
//! databases (`postgres://tegoed@127.0.0.1:PORT/postgres`; `.ci/postgres.sh`
//! starts one). Without it the tests skip, saying so on stderr, except under
//! `CI=true`, where a missing server is a failure rather than a silent pass.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use postgres::{Client, NoTls};

/// The variable naming the test server.
pub const ENV: &str = "TEGOED_TEST_POSTGRES";

/// A database created for one test, dropped (with its connections) when
/// this is dropped.
#[derive(Debug)]
pub struct Scratch {
    /// The URL of the scratch database.
    pub url: String,
    /// The server URL it was created through.
    admin_url: String,
    name: String,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh, empty database on the test server, or `None` (with one line on
/// stderr) when no server is configured. Panics under `CI=true` without a
/// server, and whenever the server is configured but refuses.
pub fn scratch() -> Option<Scratch> {
    let admin_url = match std::env::var(ENV) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("PostgreSQL is required under CI=true: set {ENV} (see .ci/postgres.sh)");
            }
            eprintln!("skipped: PostgreSQL tests need {ENV} (see .ci/postgres.sh)");
            return None;
        }
    };
    let name = format!(
        "tegoed_t_{}_{}_{:08x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        RandomState::new().build_hasher().finish() as u32
    );
    let url = with_database(&admin_url, &name);
    let mut client = admin(&admin_url);
    // The name is made of digits, letters and underscores only.
    let create = format!("CREATE DATABASE \"{name}\"");
    let mut tries = 0;
    loop {
        match client.batch_execute(&create) {
            Ok(()) => break,
            // "source database is being accessed by other users": another
            // test is creating a database from the same template.
            Err(e) if tries < 20 && e.code().is_some_and(|c| c.code() == "55006") => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => panic!("cannot create the test database {name}: {e:?}"),
        }
    }
    Some(Scratch {
        url,
        admin_url,
        name,
    })
}

/// The variable that runs the CLI, web app and use-case suites on
/// PostgreSQL instead of SQLite: `TEGOED_TEST_BACKEND=postgres`.
pub const BACKEND_ENV: &str = "TEGOED_TEST_BACKEND";

/// Whether the suites run on PostgreSQL ([`BACKEND_ENV`] is `postgres`).
pub fn suites_on_postgres() -> bool {
    std::env::var(BACKEND_ENV).is_ok_and(|v| v.eq_ignore_ascii_case("postgres"))
}

/// A scratch database for a suite asked to run on PostgreSQL: a missing
/// server is a failure here, never a skip (the run asked for it).
pub fn required() -> Scratch {
    if std::env::var(ENV).map_or(true, |url| url.trim().is_empty()) {
        panic!(
            "{BACKEND_ENV}=postgres needs {ENV}, a server to create test databases on (see .ci/postgres.sh)"
        );
    }
    scratch().expect("a scratch database (the server is configured)")
}

fn admin(url: &str) -> Client {
    Client::connect(url, NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to {ENV} ({e:?}); is the server running?"))
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    if let Some(scheme_end) = url.find("://") {
        let rest = scheme_end + 3;
        let query = url[rest..].find('?').map_or(url.len(), |i| rest + i);
        let path = url[rest..query].find('/').map_or(query, |i| rest + i);
        format!("{}/{name}{}", &url[..path], &url[query..])
    } else {
        // A key=value string: a later dbname wins.
        format!("{url} dbname={name}")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let dropped = Client::connect(&self.admin_url, NoTls).and_then(|mut client| {
            client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
        });
        if let Err(e) = dropped {
            eprintln!("could not drop the test database {}: {e:?}", self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_of_a_url_is_replaced() {
        assert_eq!(
            with_database("postgres://t@127.0.0.1:5432/postgres", "x"),
            "postgres://t@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://t@h:1?sslmode=disable", "x"),
            "postgres://t@h:1/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgresql://t@h/db?connect_timeout=5", "x"),
            "postgresql://t@h/x?connect_timeout=5"
        );
        assert_eq!(
            with_database("host=h user=t", "x"),
            "host=h user=t dbname=x"
        );
    }
}
