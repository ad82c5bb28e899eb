//! Which database a command works on (`--db`, `TEGOED_DB`): a file path or
//! `sqlite://PATH` is the embedded SQLite file (created when missing); a
//! `postgres://…` or `postgresql://…` URL is a PostgreSQL database (created
//! beforehand by its administrator; Tegoed creates its tables).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use tegoed_store::Store;
use tegoed_store_postgres::PostgresStore;
use tegoed_store_sqlite::SqliteStore;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Location {
    pub fn parse(text: &str) -> Location {
        let text = text.trim();
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Location::Postgres(text.to_string())
        } else {
            Location::Sqlite(PathBuf::from(
                text.strip_prefix("sqlite://").unwrap_or(text),
            ))
        }
    }

    /// Opens the database, creating (SQLite) or bringing up to date (both)
    /// its schema.
    pub fn open(&self) -> Result<Arc<dyn Store>> {
        Ok(self.open_telling()?.0)
    }

    /// [`Self::open`], and whether that created Tegoed's tables (a new
    /// SQLite file, or a PostgreSQL database without them).
    pub fn open_telling(&self) -> Result<(Arc<dyn Store>, bool)> {
        let context = || format!("cannot use the database {}", self.shown());
        Ok(match self {
            Location::Sqlite(path) => {
                let created = !path.exists();
                (
                    Arc::new(SqliteStore::open(path).with_context(context)?),
                    created,
                )
            }
            Location::Postgres(url) => {
                let store = PostgresStore::open(url).with_context(context)?;
                let created = store.created();
                (Arc::new(store), created)
            }
        })
    }

    /// Where it is, fit to print: a PostgreSQL URL without its password.
    pub fn shown(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres(url) => without_password(url),
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user@host/db`.
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split_once(':').map_or(user, |(name, _)| name);
            format!("{scheme}://{user}@{host}{path}")
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_urls_choose_the_backend() {
        assert_eq!(
            Location::parse("tegoed.db"),
            Location::Sqlite("tegoed.db".into())
        );
        assert_eq!(
            Location::parse("sqlite:///var/lib/tegoed.db"),
            Location::Sqlite("/var/lib/tegoed.db".into())
        );
        assert_eq!(
            Location::parse("postgres://t@db.example/tegoed"),
            Location::Postgres("postgres://t@db.example/tegoed".into())
        );
        assert!(matches!(
            Location::parse("postgresql://db.example/tegoed"),
            Location::Postgres(_)
        ));
    }

    #[test]
    fn a_password_is_never_shown() {
        assert_eq!(
            without_password("postgres://tegoed:s3cret@db.example:5432/tegoed?sslmode=disable"),
            "postgres://tegoed@db.example:5432/tegoed?sslmode=disable"
        );
        assert_eq!(
            without_password("postgres://db.example/tegoed"),
            "postgres://db.example/tegoed"
        );
        assert_eq!(
            Location::Postgres("postgres://a:b@h/d".into()).shown(),
            "postgres://a@h/d"
        );
    }
}
