//! `check --all` and `update --all`: the one-service operations over a fleet, in parallel. Each
//! service gets its own outcome; one that fails never stops the others.
//!
//! A fleet is service folders on this machine, updated in place, or the git repositories of a
//! fleet file ([`members`]), each cloned into the cache and updated on a branch of its own
//! ([`remote`]).

pub mod members;
mod remote;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub use members::{Member, Remote, members};
pub use remote::{UpdateBranch, branch_name};

use super::Context;
use super::check::{CheckOptions, CheckReport, check_against};
use super::update::{ServiceUpdate, UpdateOptions, update_to};
use crate::answers::GivenAnswers;
use crate::error::{Error, Result};
use crate::service::Service;
use crate::update::target::{Target, Wanted};

/// Every service of a fleet, opened once (remote ones fetched first), and each distinct
/// blueprint source resolved once.
pub struct Fleet {
    pub services: Vec<Loaded>,
    targets: HashMap<String, std::result::Result<Arc<Target>, Arc<Error>>>,
}

/// One service of a fleet, ready to be checked or updated.
pub struct Loaded {
    /// Where the service is: its folder, or for a remote the clone in the cache.
    pub path: PathBuf,
    /// For a fleet file's repository: which, and the commit its updates start from.
    pub remote: Option<Prepared>,
    pub service: std::result::Result<Service, Arc<Error>>,
}

/// A remote repository fetched into its clone and checked out at the commit updates start from.
pub struct Prepared {
    pub remote: Remote,
    base: git2::Oid,
    /// The clone's root (the service is in its `remote.path` folder).
    clone: PathBuf,
}

/// The service a fleet file's entry names, in its clone: at the root, or in its `path`.
fn open_in_clone(remote: &Remote, dir: &Path) -> std::result::Result<Service, Arc<Error>> {
    if let Some(path) = &remote.path
        && !dir.join(crate::service::record::RECORD_PATH).is_file()
    {
        return Err(Arc::new(Error::Usage(format!(
            "{} has no service in `{path}`: no {} there",
            remote.repo,
            crate::service::record::RECORD_PATH
        ))));
    }
    Service::open(dir).map_err(Arc::new)
}

/// One service's line in a fleet run: what it was, what it went to, and how it ended.
#[derive(Debug)]
pub struct FleetEntry<T> {
    pub path: PathBuf,
    /// The service's name (its folder's or repository's when its record cannot be read).
    pub service: String,
    /// For a fleet file's repository: as the file names it.
    pub repo: Option<String>,
    /// For a fleet file's service in a folder of its repository: that folder (`path`).
    pub repo_path: Option<String>,
    pub from: Option<semver::Version>,
    pub to: Option<semver::Version>,
    pub result: std::result::Result<T, Arc<Error>>,
}

/// `check --all`'s outcome for one service.
#[derive(Debug)]
pub struct Checked {
    pub report: CheckReport,
    /// A remote's update branch to the available version, pushed and not merged yet.
    pub open_branch: Option<UpdateBranch>,
}

/// `update --all`'s outcome for one service.
#[derive(Debug)]
pub struct Updated {
    pub update: ServiceUpdate,
    /// A remote's update branch, as this run left it.
    pub branch: Option<UpdateBranch>,
}

impl Fleet {
    /// The services of `members` (see [`members`]), remote ones fetched `jobs` at a time into
    /// `context`'s cache, with the target `wanted` (or the newest) of each blueprint they use.
    /// `fetched` is called after each member is ready (for progress).
    pub fn load(
        members: &[Member],
        wanted: Wanted<'_>,
        context: &Context,
        jobs: usize,
        fetched: impl Fn() + Sync,
    ) -> Result<Fleet> {
        if members.is_empty() {
            return Err(Error::Usage("no services: the list names none".into()));
        }
        let root = context.cache_dir.join("fleet");
        let services = run_parallel(
            members,
            jobs,
            |member| match member {
                Member::Folder(dir) => Loaded {
                    path: dir.clone(),
                    remote: None,
                    service: Service::open(dir).map_err(Arc::new),
                },
                Member::Remote(remote) => {
                    // A clone per service, so services of one monorepo never share a work tree
                    // or a branch while they run in parallel.
                    let key = match &remote.path {
                        Some(path) => format!("{}#{path}", remote.url),
                        None => remote.url.clone(),
                    };
                    let clone = crate::git::workspace::workspace_dir(&root, &key);
                    let dir = match &remote.path {
                        Some(path) => clone.join(path),
                        None => clone.clone(),
                    };
                    let (base, service) = match remote::prepare(remote, &clone) {
                        Ok(base) => (base, open_in_clone(remote, &dir)),
                        Err(err) => (git2::Oid::ZERO_SHA1, Err(Arc::new(err))),
                    };
                    Loaded {
                        path: dir,
                        remote: Some(Prepared {
                            remote: remote.clone(),
                            base,
                            clone,
                        }),
                        service,
                    }
                }
            },
            |_, _| fetched(),
        );
        let mut targets = HashMap::new();
        for loaded in &services {
            let Ok(service) = &loaded.service else {
                continue;
            };
            // Services recording the same blueprint share one resolution (and its error).
            targets
                .entry(service.blueprint_source().to_string())
                .or_insert_with(|| {
                    crate::ops::update::resolve(service, wanted, context)
                        .map(Arc::new)
                        .map_err(Arc::new)
                });
        }
        Ok(Fleet { services, targets })
    }

    fn target(&self, service: &Service) -> std::result::Result<Arc<Target>, Arc<Error>> {
        self.targets
            .get(&service.blueprint_source().to_string())
            .cloned()
            .expect("every service's source was resolved")
    }

    /// Runs `work` on every service that could be opened, `jobs` at a time; `done` is called
    /// after each (for progress).
    fn run<T: Send>(
        &self,
        jobs: usize,
        work: impl Fn(&Loaded, &Service, &Target) -> Result<T> + Sync,
        done: impl Fn(&Path) + Sync,
    ) -> Vec<FleetEntry<T>> {
        run_parallel(
            &self.services,
            jobs,
            |loaded| {
                let path = &loaded.path;
                let repo = loaded.remote.as_ref().map(|p| p.remote.repo.clone());
                let repo_path = loaded.remote.as_ref().and_then(|p| p.remote.path.clone());
                let fallback_name = || match &loaded.remote {
                    Some(prepared) => repository_name(&prepared.remote.repo),
                    None => display_name(path),
                };
                let service = match &loaded.service {
                    Ok(service) => service,
                    Err(err) => {
                        return FleetEntry {
                            path: path.clone(),
                            service: fallback_name(),
                            repo,
                            repo_path,
                            from: None,
                            to: None,
                            result: Err(Arc::clone(err)),
                        };
                    }
                };
                let (to, result) = match self.target(service) {
                    Ok(target) => (
                        Some(target.version().clone()),
                        work(loaded, service, &target).map_err(Arc::new),
                    ),
                    Err(err) => (None, Err(err)),
                };
                FleetEntry {
                    path: path.clone(),
                    service: service
                        .name()
                        .map(str::to_owned)
                        .unwrap_or_else(|_| fallback_name()),
                    repo,
                    repo_path,
                    from: Some(service.record.blueprint.version.clone()),
                    to,
                    result,
                }
            },
            |_, entry| done(&entry.path),
        )
    }

    /// `check --all`; for a remote, also its open update branch.
    pub fn check(
        &self,
        options: CheckOptions,
        jobs: usize,
        done: impl Fn(&Path) + Sync,
    ) -> Vec<FleetEntry<Checked>> {
        self.run(
            jobs,
            |loaded, service, target| {
                let report = check_against(service, target, options)?;
                let open_branch = match &loaded.remote {
                    Some(prepared) => remote::open_branch(prepared, target)?,
                    None => None,
                };
                Ok(Checked {
                    report,
                    open_branch,
                })
            },
            done,
        )
    }

    /// `update --all`: each service updated as `update` would, never prompting; a remote on its
    /// update branch.
    pub fn update(
        &self,
        settings: &FleetUpdate<'_>,
        jobs: usize,
        done: impl Fn(&Path) + Sync,
    ) -> Vec<FleetEntry<Updated>> {
        self.run(
            jobs,
            |loaded, service, target| match &loaded.remote {
                Some(prepared) => {
                    remote::update_on_branch(prepared, &loaded.path, service, target, settings)
                }
                None => Ok(Updated {
                    update: update_to(service, target, settings.options(settings.allow_dirty))?,
                    branch: None,
                }),
            },
            done,
        )
    }
}

/// What `update --all` does to each service: [`UpdateOptions`] without a prompter, and for
/// remotes whether to push.
pub struct FleetUpdate<'a> {
    pub wanted: Wanted<'a>,
    pub allow_downgrade: bool,
    pub overrides: &'a GivenAnswers,
    pub dry_run: bool,
    pub allow_dirty: bool,
    /// Commit each updated service folder (a remote's update branch is always committed).
    pub commit: bool,
    /// Push each remote's update branch (not one with conflicts, unless `push_conflicts`).
    pub push: bool,
    /// Commit and push an update branch with conflicts too, its message listing them.
    pub push_conflicts: bool,
}

impl FleetUpdate<'_> {
    fn options(&self, allow_dirty: bool) -> UpdateOptions<'_> {
        UpdateOptions {
            wanted: self.wanted,
            allow_downgrade: self.allow_downgrade,
            overrides: self.overrides,
            prompter: None,
            dry_run: self.dry_run,
            allow_dirty,
            commit: self.commit,
            blueprint: None,
        }
    }
}

/// A repository's name from its address: `shop/catalog.git` is `catalog`.
pub fn repository_name(repo: &str) -> String {
    let trimmed = repo.trim_end_matches('/').trim_end_matches(".git");
    trimmed
        .rsplit(['/', ':'])
        .next()
        .filter(|name| !name.is_empty())
        .unwrap_or(trimmed)
        .to_owned()
}

/// A service's folder name, for messages about a service whose record cannot be read.
pub fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
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
