//! A service made inside a git work tree that already exists (a monorepo): the repository is
//! found as `git` finds it from the destination, and the service's files are staged in its index
//! (`git add services/catalog`) instead of a repository of their own being nested there.

use std::path::{Path, PathBuf};

use super::gitignore::is_gitignore;
use super::status::ignore_rules;
use crate::error::{Error, Result};
use crate::tree::{RelPath, Tree};

/// The git work tree a folder (which may not exist yet) lies in, and where in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enclosing {
    /// The work tree's root, canonical.
    pub root: PathBuf,
    /// The folder relative to `root`, `/`-separated; never empty.
    pub prefix: String,
}

/// The work tree `dest` would be in, found from its nearest existing ancestor as
/// `git rev-parse --show-toplevel` finds it; `None` when that is no git work tree (or a bare
/// repository), or when `dest` would be the work tree's root itself.
pub fn enclosing_work_tree(dest: &Path) -> Result<Option<Enclosing>> {
    let absolute = std::path::absolute(dest).map_err(|err| Error::io(dest, err))?;
    let mut existing = absolute.as_path();
    let mut missing = Vec::new();
    while !existing.is_dir() {
        let (Some(parent), Some(name)) = (existing.parent(), existing.file_name()) else {
            return Ok(None);
        };
        missing.push(name.to_owned());
        existing = parent;
    }
    let repo = match git2::Repository::discover(existing) {
        Ok(repo) => repo,
        Err(err) if err.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(err) => {
            return Err(Error::git(
                format!("looking for a git repository around {}", dest.display()),
                err,
            ));
        }
    };
    let Some(workdir) = repo.workdir() else {
        return Ok(None);
    };
    let canonical = |p: &Path| std::fs::canonicalize(p).map_err(|err| Error::io(p, err));
    let root = canonical(workdir)?;
    let Ok(inside) = canonical(existing)?
        .strip_prefix(&root)
        .map(Path::to_path_buf)
    else {
        return Ok(None);
    };
    let mut parts: Vec<String> = inside
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.extend(
        missing
            .iter()
            .rev()
            .map(|name| name.to_string_lossy().into_owned()),
    );
    // `.git` itself is no place for a service; git would not look into it either.
    if parts.is_empty() || parts.first().is_some_and(|first| first == ".git") {
        return Ok(None);
    }
    Ok(Some(Enclosing {
        root,
        prefix: parts.join("/"),
    }))
}

impl Enclosing {
    /// The files of `tree`, written at `prefix`, that `git add` would stage there: the tree
    /// minus what the repository's `.gitignore` files, the tree's own, the global excludes file
    /// and `.git/info/exclude` leave out. Paths relative to the service folder.
    pub fn addable(&self, tree: &Tree) -> Result<Vec<String>> {
        let repo = self.open()?;
        let gitignores = tree
            .iter()
            .map(|(path, _)| path.as_str())
            .filter(|path| is_gitignore(path))
            .map(|path| format!("{}/{path}", self.prefix))
            .collect::<Vec<_>>();
        let rules = ignore_rules(&repo, &self.root, gitignores.into_iter());
        Ok(tree
            .iter()
            .map(|(path, _)| path.as_str())
            .filter(|path| {
                RelPath::new(&format!("{}/{path}", self.prefix))
                    .is_ok_and(|path| !rules.is_ignored(&path))
            })
            .map(str::to_owned)
            .collect())
    }

    /// Stages `paths` (relative to the service folder, written already) in the repository's
    /// index, as `git add` does; nothing is committed.
    pub fn stage(&self, paths: &[String]) -> Result<()> {
        let repo = self.open()?;
        let failed = |err| Error::git(format!("git add {}", self.prefix), err);
        let mut index = repo.index().map_err(failed)?;
        for path in paths {
            index
                .add_path(Path::new(&format!("{}/{path}", self.prefix)))
                .map_err(failed)?;
        }
        index.write().map_err(failed)
    }

    fn open(&self) -> Result<git2::Repository> {
        git2::Repository::open(&self.root).map_err(|err| {
            Error::git(
                format!("opening the git repository at {}", self.root.display()),
                err,
            )
        })
    }
}
