//! Where the third-party test corpus of bank statements and e-invoices
//! lives, for the test suites of this and other crates.
//!
//! The corpus is not part of the repository: it is read from
//! `../shared/corpus` next to the checkout, or from `TEGOED_CORPUS`. When it
//! is missing, corpus tests say so and pass — except under `CI=true`, where
//! its absence is a failure (CI must test the real files).

use std::path::{Path, PathBuf};

/// The corpus folder, or `None` (after saying why on stderr) when it is not
/// there outside CI. Panics under `CI=true` when it is missing.
pub fn dir() -> Option<PathBuf> {
    let candidate = match std::env::var_os("TEGOED_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
    };
    if candidate.join("SOURCES.md").is_file() {
        return Some(candidate);
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(
        !ci,
        "the test corpus is missing at {} (set TEGOED_CORPUS); CI=true requires it",
        candidate.display()
    );
    eprintln!(
        "corpus tests skipped: no corpus at {} (set TEGOED_CORPUS to run them)",
        candidate.display()
    );
    None
}

/// Every file under `folder`, sorted, skipping expected-result files
/// (`.json`, `.yml`, `.pydata`), licenses and read-me files.
pub fn files(folder: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![folder.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            let expected = [".json", ".yml", ".pydata", ".md", ".txt.license"]
                .iter()
                .any(|e| name.ends_with(e));
            if expected || name.starts_with("license") {
                continue;
            }
            out.push(path);
        }
    }
    out.sort();
    out
}
