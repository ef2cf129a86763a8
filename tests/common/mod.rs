//! What the command tests of `add-event` and `add-client` share: running svcgen as a user does,
//! and looking at the service it wrote.
//!
//! Each test crate that declares `mod common;` uses only part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;

/// The built binary, without colour, with git blueprints cached in a temporary folder rather
/// than the real home of whoever runs the tests.
pub fn svcgen() -> Command {
    let mut cmd = Command::cargo_bin("svcgen").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd.env(
        "XDG_CACHE_HOME",
        std::env::temp_dir().join("svcgen-test-cache"),
    );
    cmd
}

/// Every file under `dir` (but `.git`), with its bytes.
pub fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap();
            (
                rel.to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

pub fn read(dir: &Path, path: &str) -> String {
    std::fs::read_to_string(dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Commits everything in the service's repository, so the next command sees a clean tree.
pub fn commit_all(dir: &Path) {
    let repo = git2::Repository::open(dir).unwrap();
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let parent = repo.head().unwrap().peel_to_commit().unwrap();
    let sig = git2::Signature::now("t", "t@example.com").unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "commit all", &tree, &[&parent])
        .unwrap();
}
