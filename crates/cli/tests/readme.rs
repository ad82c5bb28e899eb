//! The README's commands work as written: the tour (on the default demo)
//! and the own-data walk-through (on the example files), each command line
//! run exactly as the README prints it, with `tegoed` being the built
//! binary. A command the README shows that fails, or a README whose blocks
//! were renamed, fails this test.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Sandbox, root};

/// The `sh` code block that follows `heading` … `marker` in the README.
fn block_after(readme: &str, heading: &str, marker: &str) -> Vec<String> {
    let start = readme
        .find(heading)
        .unwrap_or_else(|| panic!("README has no '{heading}'"));
    let from = start
        + readme[start..]
            .find(marker)
            .unwrap_or_else(|| panic!("no '{marker}' after '{heading}'"));
    let code = from + readme[from..].find("```sh\n").expect("an sh block") + 6;
    let end = code + readme[code..].find("```").expect("the block ends");
    readme[code..end]
        .lines()
        .map(|l| l.split(" # ").next().unwrap().trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Splits a command line as a shell would (double quotes only).
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Runs each line in `dir` (where `examples` points at the repository's).
fn run_all(dir: &Path, lines: &[String]) {
    for line in lines {
        let args = words(line);
        assert_eq!(args[0], "tegoed", "a tegoed command: {line}");
        let out = Command::new(env!("CARGO_BIN_EXE_tegoed"))
            .current_dir(dir)
            .args(&args[1..])
            .env_remove("TEGOED_DB")
            .env_remove("TEGOED_CONFIG")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "README command failed: {line}\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn link_examples(dir: &Path) {
    std::os::unix::fs::symlink(root().join("examples"), dir.join("examples")).unwrap();
}

#[test]
fn the_readme_tour_works_as_written() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let sandbox = Sandbox::new();
    link_examples(sandbox.dir());
    // `cargo run --release -- demo`, in a folder of its own.
    run_all(sandbox.dir(), &["tegoed demo".to_string()]);
    let tour = block_after(&readme, "## A tour", "After `cargo run");
    assert!(tour.len() > 20, "the tour has its commands: {tour:?}");
    run_all(sandbox.dir(), &tour);
}

#[test]
fn the_readme_own_data_walk_through_works_as_written() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let sandbox = Sandbox::new();
    link_examples(sandbox.dir());
    let lines = block_after(&readme, "## A tour", "Your own data");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("import statement examples/camt053.xml"))
            && lines
                .iter()
                .any(|l| l.contains("import ubl examples/inbox/")),
        "{lines:?}"
    );
    run_all(sandbox.dir(), &lines);
}
