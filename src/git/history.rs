//! A blueprint as it was at an earlier commit of its own git repository, read from git's object
//! database: the working tree is never checked out or touched.
//!
//! Upgrade tests start from a previous version (`from = "v1.0.0"`); the blueprint folder may be
//! anywhere inside its repository (a repository of several blueprints), and is found at the
//! same place in the older commit.

use std::path::Path;

use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};

use crate::blueprint::SourceFile;
use crate::tree::Mode;

/// Why an older version cannot be read, as a sentence for a lint finding or a failed test.
pub type HistoryError = String;

/// The git repository a blueprint folder is in, and where in it the folder is.
pub struct History {
    repo: Repository,
    /// The folder relative to the repository's root, `/`-separated; empty at the root.
    prefix: String,
}

impl History {
    /// Finds the repository holding `dir` (which may be any folder inside it).
    pub fn discover(dir: &Path) -> Result<History, HistoryError> {
        let not_in_git = || {
            format!(
                "{} is not inside a git repository; [[upgrade_tests]] read the version they start from (`from`) from the blueprint's git history",
                dir.display()
            )
        };
        let repo = Repository::discover(dir).map_err(|_| not_in_git())?;
        let root = repo.workdir().ok_or_else(not_in_git)?;
        let canonical = |path: &Path| {
            std::fs::canonicalize(path).map_err(|err| format!("{}: {err}", path.display()))
        };
        let (root, folder) = (canonical(root)?, canonical(dir)?);
        let relative = folder.strip_prefix(&root).map_err(|_| not_in_git())?;
        let parts: Option<Vec<&str>> = relative
            .components()
            .map(|c| c.as_os_str().to_str())
            .collect();
        let prefix = parts
            .ok_or_else(|| format!("{}: path is not UTF-8", dir.display()))?
            .join("/");
        Ok(History { repo, prefix })
    }

    /// The commit `reference` names: a tag, a branch, a commit id, or anything
    /// `git rev-parse` accepts (`HEAD~2`, `v1.0.0^{commit}`).
    /// A version tag such as `v1.0.0` is also found as the blueprint's own tag
    /// (`service-v1.0.0`, `service/v1.0.0`) when the repository has no plain one.
    pub fn resolve(&self, reference: &str) -> Result<Oid, HistoryError> {
        let folder = self.folder().and_then(|f| f.rsplit('/').next());
        let own_tags = folder
            .filter(|_| crate::update::target::version_of_tag(reference).is_some())
            .map(|folder| {
                vec![
                    format!("{folder}-{reference}"),
                    format!("{folder}/{reference}"),
                ]
            })
            .unwrap_or_default();
        std::iter::once(reference.to_owned())
            .chain(own_tags)
            .find_map(|candidate| {
                self.repo
                    .revparse_single(&candidate)
                    .and_then(|object| object.peel_to_commit())
                    .ok()
            })
            .map(|commit| commit.id())
            .ok_or(())
            .map_err(|_| {
                format!(
                    "`{reference}` is not a tag, branch or commit of the blueprint's git repository"
                )
            })
    }

    /// Every file of the blueprint folder at `commit`, the way `read_dir` reads the working
    /// copy. Symbolic links and submodules are skipped: a blueprint is copied as content.
    pub fn blueprint_files(
        &self,
        commit: Oid,
        reference: &str,
    ) -> Result<Vec<SourceFile>, HistoryError> {
        let failed =
            |err: git2::Error| format!("reading the blueprint at `{reference}`: {}", err.message());
        let root = self
            .repo
            .find_commit(commit)
            .and_then(|c| c.tree())
            .map_err(failed)?;
        let tree = if self.prefix.is_empty() {
            root
        } else {
            let entry = root.get_path(Path::new(&self.prefix)).map_err(|_| {
                format!(
                    "the blueprint folder `{}` does not exist at `{reference}`",
                    self.prefix
                )
            })?;
            entry
                .to_object(&self.repo)
                .and_then(|object| object.peel_to_tree())
                .map_err(|_| format!("`{}` is not a folder at `{reference}`", self.prefix))?
        };
        let mut entries = Vec::new();
        tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
            // 0o120000: a symbolic link.
            if entry.kind() == Some(ObjectType::Blob) && entry.filemode() != 0o120000 {
                entries.push((
                    format!("{dir}{}", entry.name().unwrap_or_default()),
                    entry.id(),
                    entry.filemode(),
                ));
            }
            TreeWalkResult::Ok
        })
        .map_err(failed)?;
        let mut files = Vec::with_capacity(entries.len());
        for (path, id, filemode) in entries {
            let blob = self.repo.find_blob(id).map_err(failed)?;
            files.push(SourceFile {
                path,
                contents: blob.content().to_vec().into(),
                mode: Mode::from_unix(filemode as u32),
            });
        }
        Ok(files)
    }

    /// The repository's tags that name a version of this blueprint (`v1.2.0`, `1.2.0`, `v2`,
    /// or its own `service-v1.2.0`, `service/v1.2.0` for a blueprint in a folder `service`),
    /// highest first: see [`crate::update::target::version_tags`].
    pub fn version_tags(&self) -> Vec<(semver::Version, String)> {
        let names: Vec<String> = self
            .repo
            .tag_names(None)
            .map(|names| {
                names
                    .iter()
                    .flatten()
                    .flatten()
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        crate::update::target::version_tags(names, self.folder())
    }

    /// The blueprint's folder in its repository, `None` at the root.
    fn folder(&self) -> Option<&str> {
        (!self.prefix.is_empty()).then_some(self.prefix.as_str())
    }

    /// Whether git ignores `path` (relative to the blueprint folder).
    pub fn is_ignored(&self, path: &str) -> bool {
        let in_repo = if self.prefix.is_empty() {
            path.to_owned()
        } else {
            format!("{}/{path}", self.prefix)
        };
        self.repo
            .status_should_ignore(Path::new(&in_repo))
            .unwrap_or(false)
    }
}
