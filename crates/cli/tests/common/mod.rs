//! What the CLI tests share: a sandbox folder with its own database in
//! which the built `tegoed` binary runs (as its working directory, so
//! outboxes and letters land there too).

#![allow(dead_code)]

pub mod smtp;
pub mod web;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// A database for a test: a SQLite file `NAME.db` in `dir`, or a
/// throw-away PostgreSQL database when the suites run on PostgreSQL.
pub fn new_database(
    dir: &Path,
    name: &str,
) -> (String, Option<tegoed_store_postgres::testing::Scratch>) {
    if tegoed_store_postgres::testing::suites_on_postgres() {
        let scratch = tegoed_store_postgres::testing::required();
        (scratch.url.clone(), Some(scratch))
    } else {
        (dir.join(format!("{name}.db")).display().to_string(), None)
    }
}

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A test data file under `crates/cli/tests/data`.
pub fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
        .display()
        .to_string()
}

/// A temporary folder with a database, where `tegoed` runs. The database
/// is a SQLite file in the folder, or with `TEGOED_TEST_BACKEND=postgres` a
/// throw-away PostgreSQL database (dropped with the sandbox): every CLI test
/// runs on either backend.
pub struct Sandbox {
    /// What `--db` gets: a path or a `postgres://` URL.
    pub db: String,
    dir: tempfile::TempDir,
    _postgres: Option<tegoed_store_postgres::testing::Scratch>,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let (db, postgres) = new_database(dir.path(), "test");
        Sandbox {
            db,
            dir,
            _postgres: postgres,
        }
    }

    /// Whether this sandbox's database is PostgreSQL.
    pub fn on_postgres(&self) -> bool {
        self._postgres.is_some()
    }

    /// A fresh sandbox with the example customers, invoices and payments.
    pub fn with_examples() -> Sandbox {
        let sandbox = Sandbox::new();
        sandbox.import_examples();
        sandbox
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn import_examples(&self) {
        for kind in ["customers", "invoices", "payments"] {
            let file = root().join(format!("examples/{kind}.csv"));
            self.ok(&["import", kind, file.to_str().unwrap()]);
        }
    }

    /// The command, ready to run in the sandbox.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tegoed"));
        command
            .current_dir(self.dir())
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .env_remove("TEGOED_DB")
            .env_remove("TEGOED_CONFIG");
        command
    }

    pub fn tegoed(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run tegoed")
    }

    /// Runs and expects success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.tegoed(args);
        assert!(
            out.status.success(),
            "tegoed {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        serde_json::from_str(&self.ok(&all)).expect("valid JSON")
    }

    /// Runs and expects exit code 1; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.tegoed(args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "tegoed {args:?} should fail with 1: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stderr).unwrap()
    }

    /// Writes a file into the sandbox; returns its path.
    pub fn write(&self, name: &str, text: &str) -> String {
        let path = self.dir().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    }

    /// The files in a folder of the sandbox, sorted.
    pub fn files(&self, folder: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir().join(folder))
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

/// The text drawn on the pages of a PDF (its content streams, inflated).
pub fn pdf_text(pdf: &[u8]) -> String {
    let mut out = String::new();
    let mut at = 0;
    while let Some(start) = find(&pdf[at..], b"stream\n").map(|i| at + i + 7) {
        let Some(end) = find(&pdf[start..], b"endstream").map(|i| start + i) else {
            break;
        };
        if let Ok(bytes) = miniz_oxide::inflate::decompress_to_vec_zlib(&pdf[start..end]) {
            out.push_str(&String::from_utf8_lossy(&bytes));
        }
        at = end;
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
