//! Many services at once: finding them, and running work on them in parallel.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};
use crate::record::RECORD_PATH;

/// Folders never searched for services: build output, dependencies, VCS data.
const SKIPPED_DIRS: [&str; 5] = [".git", "target", "node_modules", ".svcgen", "vendor"];

/// The services named by `spec`: every folder under it with a `.svcgen/record.toml` when it is
/// a directory, or the folders listed one per line when it is a file (`#` comments and blank
/// lines ignored, relative paths taken from the list's own folder). Sorted, without repeats.
pub fn find_services(spec: &Path) -> Result<Vec<PathBuf>> {
    let metadata = std::fs::metadata(spec).map_err(|err| Error::io(spec, err))?;
    let mut found = if metadata.is_dir() {
        let mut found = Vec::new();
        let mut walker = walkdir::WalkDir::new(spec).follow_links(false).into_iter();
        while let Some(entry) = walker.next() {
            let entry = entry
                .map_err(|err| Error::io(err.path().unwrap_or(spec).to_owned(), err.into()))?;
            if !entry.file_type().is_dir() {
                continue;
            }
            let name = entry.file_name().to_string_lossy();
            if entry.depth() > 0 && SKIPPED_DIRS.contains(&name.as_ref()) {
                walker.skip_current_dir();
                continue;
            }
            if entry.path().join(RECORD_PATH).is_file() {
                found.push(entry.path().to_owned());
                // A service's own folders are its business, not more services.
                walker.skip_current_dir();
            }
        }
        found
    } else {
        let text = std::fs::read_to_string(spec).map_err(|err| Error::io(spec, err))?;
        let relative_to = spec.parent().unwrap_or(Path::new("."));
        text.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(|line| relative_to.join(line))
            .collect()
    };
    found.sort();
    found.dedup();
    Ok(found)
}

/// Runs `work` on every item with `jobs` threads, and returns the results in the items' order.
/// `done` is called (from the worker threads) after each item, for progress.
pub fn run_parallel<T: Sync, R: Send>(
    items: &[T],
    jobs: usize,
    work: impl Fn(&T) -> R + Sync,
    done: impl Fn(&T, &R) + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(index) else { break };
                    let result = work(item);
                    done(item, &result);
                    results.lock().expect("no worker panics holding the lock")[index] =
                        Some(result);
                }
            });
        }
    });
    results
        .into_inner()
        .expect("workers finished")
        .into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
}

/// How many threads to use: `SVCGEN_JOBS` if set, else the machine's parallelism.
pub fn default_jobs() -> usize {
    std::env::var("SVCGEN_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_services_but_not_inside_them_or_in_build_folders() {
        let root = tempfile::tempdir().unwrap();
        for dir in [
            "a",
            "group/b",
            "a/nested",
            "target/c",
            "group/d/node_modules/e",
        ] {
            let record = root.path().join(dir).join(RECORD_PATH);
            std::fs::create_dir_all(record.parent().unwrap()).unwrap();
            std::fs::write(record, "").unwrap();
        }
        let found = find_services(root.path()).unwrap();
        let names: Vec<_> = found
            .iter()
            .map(|p| p.strip_prefix(root.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["a", "group/b"]);

        let list = root.path().join("services.txt");
        std::fs::write(&list, "# the fleet\ngroup/b\n\na\n").unwrap();
        assert_eq!(
            find_services(&list).unwrap(),
            [root.path().join("a"), root.path().join("group/b")]
        );
    }

    #[test]
    fn parallel_results_keep_their_order() {
        let items: Vec<u32> = (0..50).collect();
        let count = AtomicUsize::new(0);
        let out = run_parallel(
            &items,
            4,
            |n| n * 2,
            |_, _| {
                count.fetch_add(1, Ordering::Relaxed);
            },
        );
        assert_eq!(out, items.iter().map(|n| n * 2).collect::<Vec<_>>());
        assert_eq!(count.load(Ordering::Relaxed), 50);
    }
}
