//! `svcgen blueprint test --build`: the blueprint's `[check] command` run inside each rendered
//! variant, several at a time.
//!
//! Each variant is written to its own temporary folder; the command runs there through the
//! shell, with stderr merged into stdout so its output reads as it would in a terminal. The
//! caller passes the environment (a shared `CARGO_TARGET_DIR`, so dependencies are compiled
//! once for all variants). A failed variant's folder is kept for a look at what went wrong.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::apply::write_tree;
use crate::error::{Error, Result};
use crate::tree::Tree;

/// One variant to check.
pub struct Job<'a> {
    pub variant: &'a str,
    pub tree: &'a Tree,
}

#[derive(Debug, Clone)]
pub struct CheckResult {
    pub variant: String,
    pub passed: bool,
    /// How the command ended: `exit status: 101`, `killed by signal 9`.
    pub status: String,
    /// stdout and stderr, interleaved as written.
    pub output: String,
    pub duration: Duration,
    /// Where the variant was rendered; kept only when the check failed.
    pub kept_dir: Option<PathBuf>,
}

/// Runs `command` in every job's rendered tree, `parallelism` at a time, and calls `on_done`
/// as each finishes (from the worker's thread). Results come back in job order.
pub fn run(
    command: &str,
    jobs: &[Job<'_>],
    parallelism: usize,
    env: &[(String, OsString)],
    on_done: &(dyn Fn(&CheckResult) + Sync),
) -> Result<Vec<CheckResult>> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<CheckResult>>>> =
        Mutex::new((0..jobs.len()).map(|_| None).collect());
    let workers = parallelism.clamp(1, jobs.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let Some(job) = jobs.get(index) else { break };
                    let result = check_one(command, job, env);
                    if let Ok(result) = &result {
                        on_done(result);
                    }
                    results.lock().expect("no worker panics holding it")[index] = Some(result);
                }
            });
        }
    });
    results
        .into_inner()
        .expect("workers are done")
        .into_iter()
        .map(|r| r.expect("every job ran"))
        .collect()
}

fn check_one(command: &str, job: &Job<'_>, env: &[(String, OsString)]) -> Result<CheckResult> {
    let dir = tempfile::Builder::new()
        .prefix(&format!("svcgen-check-{}-", job.variant))
        .tempdir()
        .map_err(|err| Error::io(std::env::temp_dir(), err))?;
    write_tree(job.tree, dir.path())?;

    let started = Instant::now();
    let mut shell = shell_command(command);
    shell
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .env("SVCGEN_VARIANT", job.variant);
    for (key, value) in env {
        shell.env(key, value);
    }
    let output = shell.output().map_err(|err| Error::io(dir.path(), err))?;
    let duration = started.elapsed();

    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    let passed = output.status.success();
    let kept_dir = if passed { None } else { Some(dir.keep()) };
    Ok(CheckResult {
        variant: job.variant.to_owned(),
        passed,
        status: output.status.to_string(),
        output: text,
        duration,
        kept_dir,
    })
}

/// The command through the platform's shell, stderr joined to stdout so that the output keeps
/// its order.
#[cfg(unix)]
fn shell_command(command: &str) -> Command {
    let mut shell = Command::new("sh");
    shell.arg("-c").arg(format!("exec 2>&1\n{command}"));
    shell
}

#[cfg(not(unix))]
fn shell_command(command: &str) -> Command {
    let mut shell = Command::new("cmd");
    shell.arg("/C").arg(format!("{command} 2>&1"));
    shell
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::tree::{FileEntry, Mode, RelPath};

    fn tree(files: &[&str]) -> Tree {
        let mut tree = Tree::new();
        for path in files {
            tree.insert(
                RelPath::new(path).unwrap(),
                FileEntry {
                    contents: b"x\n".to_vec().into(),
                    mode: Mode::Regular,
                },
            );
        }
        tree
    }

    #[test]
    fn runs_in_each_variant_and_reports_failures_with_output() {
        let good = tree(&["Cargo.toml"]);
        let bad = tree(&["README.md"]);
        let jobs = [
            Job {
                variant: "good",
                tree: &good,
            },
            Job {
                variant: "bad",
                tree: &bad,
            },
        ];
        let seen = Mutex::new(Vec::new());
        let results = run(
            "echo \"checking $SVCGEN_VARIANT\"; test -f Cargo.toml || { echo missing >&2; exit 3; }",
            &jobs,
            2,
            &[],
            &|r| seen.lock().unwrap().push(r.variant.clone()),
        )
        .unwrap();
        assert_eq!(seen.lock().unwrap().len(), 2);
        assert_eq!(results[0].variant, "good");
        assert!(results[0].passed);
        assert!(results[0].kept_dir.is_none());
        assert!(!results[1].passed);
        assert_eq!(results[1].output, "checking bad\nmissing\n");
        assert!(results[1].status.contains('3'), "{}", results[1].status);
        let kept = results[1].kept_dir.clone().unwrap();
        assert!(kept.join("README.md").is_file());
        std::fs::remove_dir_all(kept).unwrap();
    }
}
