//! `check --all` and `update --all`: the one-service operations over a fleet, in parallel. Each
//! service gets its own outcome; one that fails never stops the others.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::Context;
use super::check::{CheckReport, check_against};
use super::update::{ServiceUpdate, UpdateOptions, update_to};
use crate::answers::GivenAnswers;
use crate::error::{Error, Result};
use crate::service::Service;
use crate::service::record::RECORD_PATH;
use crate::update::target::{Target, Wanted, resolve_target};

/// Every service of a fleet, opened once, and each distinct blueprint source resolved once.
pub struct Fleet {
    pub services: Vec<(PathBuf, std::result::Result<Service, Arc<Error>>)>,
    targets: HashMap<String, std::result::Result<Arc<Target>, Arc<Error>>>,
}

/// One service's line in a fleet run: what it was, what it went to, and how it ended.
#[derive(Debug)]
pub struct FleetEntry<T> {
    pub path: PathBuf,
    /// The service's name (its folder's when its record cannot be read).
    pub service: String,
    pub from: Option<semver::Version>,
    pub to: Option<semver::Version>,
    pub result: std::result::Result<T, Arc<Error>>,
}

impl Fleet {
    /// The services `spec` names (see [`find_services`]), with the target `to` (or the newest)
    /// of each blueprint they use.
    pub fn load(spec: &Path, wanted: Wanted<'_>, context: &Context) -> Result<Fleet> {
        let dirs = find_services(spec)?;
        if dirs.is_empty() {
            return Err(Error::Usage(format!(
                "no services under {}: none of its folders has a .svcgen/record.toml",
                spec.display()
            )));
        }
        let services: Vec<_> = dirs
            .into_iter()
            .map(|dir| {
                let service = Service::open(&dir).map_err(Arc::new);
                (dir, service)
            })
            .collect();
        let mut targets = HashMap::new();
        for (_, service) in &services {
            let Ok(service) = service else { continue };
            let source = &service.record.blueprint.source;
            targets.entry(source.to_string()).or_insert_with(|| {
                resolve_target(source, wanted, &context.cache_dir, context.network)
                    .map(Arc::new)
                    .map_err(Arc::new)
            });
        }
        Ok(Fleet { services, targets })
    }

    fn target(&self, service: &Service) -> std::result::Result<Arc<Target>, Arc<Error>> {
        self.targets
            .get(&service.record.blueprint.source.to_string())
            .cloned()
            .expect("every service's source was resolved")
    }

    /// Runs `work` on every service that could be opened, `jobs` at a time; `done` is called
    /// after each (for progress).
    fn run<T: Send>(
        &self,
        jobs: usize,
        work: impl Fn(&Service, &Target) -> Result<T> + Sync,
        done: impl Fn(&Path) + Sync,
    ) -> Vec<FleetEntry<T>> {
        run_parallel(
            &self.services,
            jobs,
            |(path, service)| {
                let service = match service {
                    Ok(service) => service,
                    Err(err) => {
                        return FleetEntry {
                            path: path.clone(),
                            service: display_name(path),
                            from: None,
                            to: None,
                            result: Err(Arc::clone(err)),
                        };
                    }
                };
                let (to, result) = match self.target(service) {
                    Ok(target) => (
                        Some(target.version().clone()),
                        work(service, &target).map_err(Arc::new),
                    ),
                    Err(err) => (None, Err(err)),
                };
                FleetEntry {
                    path: path.clone(),
                    service: service
                        .name()
                        .map(str::to_owned)
                        .unwrap_or_else(|_| display_name(path)),
                    from: Some(service.record.blueprint.version.clone()),
                    to,
                    result,
                }
            },
            |_, entry| done(&entry.path),
        )
    }

    /// `check --all`.
    pub fn check(
        &self,
        options: super::check::CheckOptions,
        jobs: usize,
        done: impl Fn(&Path) + Sync,
    ) -> Vec<FleetEntry<CheckReport>> {
        self.run(
            jobs,
            |service, target| check_against(service, target, options),
            done,
        )
    }

    /// `update --all`: each service updated as `update` would, never prompting.
    pub fn update(
        &self,
        settings: &FleetUpdate<'_>,
        jobs: usize,
        done: impl Fn(&Path) + Sync,
    ) -> Vec<FleetEntry<ServiceUpdate>> {
        self.run(
            jobs,
            |service, target| {
                update_to(
                    service,
                    target,
                    UpdateOptions {
                        wanted: settings.wanted,
                        allow_downgrade: settings.allow_downgrade,
                        overrides: settings.overrides,
                        prompter: None,
                        dry_run: settings.dry_run,
                        allow_dirty: settings.allow_dirty,
                        commit: settings.commit,
                    },
                )
            },
            done,
        )
    }
}

/// What `update --all` does to each service: [`UpdateOptions`] without a prompter.
pub struct FleetUpdate<'a> {
    pub wanted: Wanted<'a>,
    pub allow_downgrade: bool,
    pub overrides: &'a GivenAnswers,
    pub dry_run: bool,
    pub allow_dirty: bool,
    pub commit: bool,
}

/// A service's folder name, for messages about a service whose record cannot be read.
pub fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

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
fn run_parallel<T: Sync, R: Send>(
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
