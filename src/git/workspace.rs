//! A service's repository cloned into svcgen's cache for a fleet run: fetched, checked out at
//! the branch updates start from, an update branch made and pushed. The cache copy is svcgen's
//! own, so it is reset to what was fetched at every run, whatever an earlier run left in it.

use std::path::{Path, PathBuf};

use git2::build::CheckoutBuilder;
use git2::{BranchType, ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};

use super::mirror::{cache_key, fetch_refs, is_local, run_git};
use crate::error::{Error, Result};

const REFSPECS: [&str; 2] = [
    "+refs/heads/*:refs/remotes/origin/*",
    "+HEAD:refs/remotes/origin/HEAD",
];

/// The cache folder of the repository at `url`, under `root` (`$XDG_CACHE_HOME/svcgen/fleet`).
pub fn workspace_dir(root: &Path, url: &str) -> PathBuf {
    root.join(cache_key(url))
}

/// A clone, with a work tree, of one service's repository.
pub struct Workspace {
    repo: Repository,
    url: String,
}

impl Workspace {
    /// Opens the clone of `url` in `dir` (making it when there is none) and fetches every
    /// branch and the remote's HEAD. A clone that cannot be opened is made again.
    pub fn fetch(url: &str, dir: &Path) -> Result<Workspace> {
        let repo = match Repository::open(dir) {
            Ok(repo) if repo.workdir().is_some() => repo,
            _ => {
                if dir.exists() {
                    std::fs::remove_dir_all(dir).map_err(|err| Error::io(dir, err))?;
                }
                std::fs::create_dir_all(dir).map_err(|err| Error::io(dir, err))?;
                Repository::init(dir).map_err(|err| {
                    Error::git(format!("creating the clone {}", dir.display()), err)
                })?
            }
        };
        fetch_refs(&repo, url, &REFSPECS, true)
            .map_err(|err| Error::git(format!("fetching {url}"), err))?;
        Ok(Workspace {
            repo,
            url: url.to_owned(),
        })
    }

    /// Opens a clone [`Workspace::fetch`] made, without fetching.
    pub fn open(url: &str, dir: &Path) -> Result<Workspace> {
        let repo = Repository::open(dir)
            .map_err(|err| Error::git(format!("opening the clone {}", dir.display()), err))?;
        Ok(Workspace {
            repo,
            url: url.to_owned(),
        })
    }

    pub fn dir(&self) -> &Path {
        self.repo.workdir().expect("a workspace has a work tree")
    }

    /// The tip of the remote's `branch`, or of its HEAD when `branch` is `None`.
    pub fn base(&self, branch: Option<&str>) -> Result<Oid> {
        let name = format!("refs/remotes/origin/{}", branch.unwrap_or("HEAD"));
        self.repo
            .revparse_single(&name)
            .and_then(|object| object.peel_to_commit())
            .map(|commit| commit.id())
            .map_err(|err| {
                Error::git(
                    match branch {
                        Some(branch) => format!("{} has no branch `{branch}`", self.url),
                        None => format!("{} has no HEAD (an empty repository?)", self.url),
                    },
                    err,
                )
            })
    }

    /// The remote's branch `name`, as last fetched.
    pub fn remote_branch(&self, name: &str) -> Option<Oid> {
        self.repo
            .find_branch(&format!("origin/{name}"), BranchType::Remote)
            .ok()
            .and_then(|branch| branch.get().target())
    }

    /// This clone's own branch `name`.
    pub fn local_branch(&self, name: &str) -> Option<Oid> {
        self.repo
            .find_branch(name, BranchType::Local)
            .ok()
            .and_then(|branch| branch.get().target())
    }

    /// Whether `commit` is `ancestor` or comes after it.
    pub fn contains(&self, commit: Oid, ancestor: Oid) -> bool {
        commit == ancestor
            || self
                .repo
                .graph_descendant_of(commit, ancestor)
                .unwrap_or(false)
    }

    /// Makes the work tree exactly `commit` (files svcgen or anyone left there removed, ignored
    /// ones aside) and HEAD the branch `branch` set to it, or `commit` itself when `None`.
    pub fn switch(&self, branch: Option<&str>, commit: Oid) -> Result<()> {
        let failed = |err| Error::git(format!("checking out {commit} in {}", self.url), err);
        let object = self.repo.find_object(commit, None).map_err(failed)?;
        self.repo
            .checkout_tree(
                &object,
                Some(CheckoutBuilder::new().force().remove_untracked(true)),
            )
            .map_err(failed)?;
        // Detached first: git refuses to move the branch HEAD is on.
        self.repo.set_head_detached(commit).map_err(failed)?;
        if let Some(name) = branch {
            let target = object.peel_to_commit().map_err(failed)?;
            self.repo.branch(name, &target, true).map_err(failed)?;
            self.repo
                .set_head(&format!("refs/heads/{name}"))
                .map_err(failed)?;
        }
        Ok(())
    }

    /// The commit HEAD is at.
    pub fn head(&self) -> Result<Oid> {
        self.repo
            .head()
            .ok()
            .and_then(|head| head.target())
            .ok_or_else(|| {
                Error::git(
                    format!("reading HEAD of the clone of {}", self.url),
                    git2::Error::from_str("no HEAD"),
                )
            })
    }

    /// Pushes the local branch `name` to the remote's branch of the same name, replacing it:
    /// `svcgen/*` branches are svcgen's, remade when the branch they start from moved.
    pub fn push(&self, name: &str) -> Result<()> {
        let refspec = format!("+refs/heads/{name}:refs/heads/{name}");
        let pushed = if is_local(&self.url) {
            self.repo
                .remote_anonymous(&self.url)
                .and_then(|mut remote| remote.push(&[refspec.as_str()], None))
        } else {
            run_git(
                std::process::Command::new("git")
                    .arg("--git-dir")
                    .arg(self.repo.path())
                    .args(["push", "--quiet", &self.url, &refspec]),
            )
        };
        pushed.map_err(|err| Error::git(format!("pushing {name} to {}", self.url), err))?;
        // What the remote has now, as a fetch would record it.
        if let Some(commit) = self.local_branch(name) {
            self.repo
                .reference(
                    &format!("refs/remotes/origin/{name}"),
                    commit,
                    true,
                    "pushed by svcgen",
                )
                .map_err(|err| Error::git("recording the pushed branch", err))?;
        }
        Ok(())
    }

    /// The files at `commit` whose bytes `matches`: every file, or those of the folder `under`
    /// (relative to it).
    pub fn files_matching(
        &self,
        commit: Oid,
        under: Option<&str>,
        matches: impl Fn(&[u8]) -> bool,
    ) -> Vec<String> {
        let Ok(mut tree) = self.repo.find_commit(commit).and_then(|c| c.tree()) else {
            return Vec::new();
        };
        if let Some(folder) = under {
            let Ok(sub) = tree
                .get_path(Path::new(folder))
                .and_then(|entry| entry.to_object(&self.repo))
                .and_then(|object| object.peel_to_tree())
            else {
                return Vec::new();
            };
            tree = sub;
        }
        let mut found = Vec::new();
        let _ = tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(ObjectType::Blob)
                && let Ok(blob) = self.repo.find_blob(entry.id())
                && !blob.is_binary()
                && matches(blob.content())
            {
                found.push(format!("{dir}{}", entry.name().unwrap_or_default()));
            }
            TreeWalkResult::Ok
        });
        found
    }
}
