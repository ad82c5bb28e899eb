//! What the CLI tests share: a sandbox folder with its own database in
//! which the built `tegoed` binary runs (as its working directory, so
//! outboxes and letters land there too).

#![allow(dead_code)]

pub mod smtp;
pub mod web;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

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

/// A temporary folder with a database, where `tegoed` runs.
pub struct Sandbox {
    pub db: PathBuf,
    dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        Sandbox {
            db: dir.path().join("test.db"),
            dir,
        }
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
