//! Whether a service's files have uncommitted changes, as `git status` sees them.

use std::fs;
use std::path::{Path, PathBuf};

use super::config::{self, Env};
use super::gitignore::{IgnoreRules, is_gitignore};
use crate::error::{Error, Result};
use crate::tree::RelPath;

/// Paths under `dir` with uncommitted changes (modified, staged, deleted or untracked, not
/// ignored), relative to `dir`; `None` when `dir` is not inside a git repository. A service may
/// live in a folder of a larger repository, so only that folder is looked at.
pub fn dirty_paths(dir: &Path) -> Result<Option<Vec<String>>> {
    let repo = match git2::Repository::discover(dir) {
        Ok(repo) => repo,
        Err(err) if err.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(err) => {
            return Err(Error::git(
                format!("opening the git repository at {}", dir.display()),
                err,
            ));
        }
    };
    let Some(workdir) = repo.workdir() else {
        return Ok(None);
    };
    let canonical = |p: &Path| fs::canonicalize(p).map_err(|err| Error::io(p, err));
    let prefix = canonical(dir)?
        .strip_prefix(canonical(workdir)?)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    let mut options = git2::StatusOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(true);
    if !prefix.is_empty() {
        options.pathspec(format!("{prefix}/"));
    }
    let statuses = repo
        .statuses(Some(&mut options))
        .map_err(|err| Error::git("reading git status", err))?;
    let strip = if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}/")
    };
    // libgit2 calls a file ignored that a deeper `.gitignore` re-includes, where git lists it as
    // untracked (see git_ignore's tests), so its verdicts on files are judged again by git's.
    let listed_gitignores = statuses
        .iter()
        .filter_map(|entry| entry.path().ok().map(str::to_owned))
        .filter(|path| is_gitignore(path));
    let rules = ignore_rules(&repo, workdir, listed_gitignores);
    let is_dirty = |entry: &git2::StatusEntry<'_>| match entry.status() {
        git2::Status::CURRENT => false,
        git2::Status::IGNORED => {
            let path = String::from_utf8_lossy(entry.path_bytes());
            // A folder git ignores is never looked into, whatever is inside.
            !path.ends_with('/') && RelPath::new(&path).is_ok_and(|path| !rules.is_ignored(&path))
        }
        _ => true,
    };
    Ok(Some(
        statuses
            .iter()
            .filter(is_dirty)
            .map(|entry| {
                let path = String::from_utf8_lossy(entry.path_bytes());
                path.strip_prefix(&strip).unwrap_or(&path).to_owned()
            })
            .collect(),
    ))
}

/// The ignore rules of the repository's work tree: its `.gitignore` files as they are on disk
/// (those in the index, and `more` that status listed, such as untracked ones), the user's
/// global excludes file and `.git/info/exclude`.
pub(super) fn ignore_rules(
    repo: &git2::Repository,
    workdir: &Path,
    more: impl Iterator<Item = String>,
) -> IgnoreRules {
    let tracked: Vec<String> = repo
        .index()
        .map(|index| {
            index
                .iter()
                .filter_map(|entry| String::from_utf8(entry.path).ok())
                .filter(|path| is_gitignore(path))
                .collect()
        })
        .unwrap_or_default();
    let mut paths: Vec<String> = tracked.into_iter().chain(more).collect();
    paths.sort();
    paths.dedup();
    let gitignores: Vec<(String, Vec<u8>)> = paths
        .into_iter()
        .filter_map(|path| {
            let contents = fs::read(workdir.join(&path)).ok()?;
            Some((path, contents))
        })
        .collect();
    let env = Env::process();
    let global = config::repo_config(repo, &env)
        .ok()
        .and_then(|config| config::excludes_file(&config, &env));
    let excludes = [global, Some(repo.path().join("info/exclude"))];
    IgnoreRules::new(
        gitignores
            .iter()
            .map(|(path, contents)| (path.as_str(), contents.as_slice())),
        excludes.iter().flatten().map(PathBuf::as_path),
    )
}

#[cfg(test)]
mod tests {
    use git2::Signature;

    use super::*;
    use crate::apply::write_tree;
    use crate::tree::{FileEntry, Mode, Tree};

    fn tree(files: &[(&str, &str, Mode)]) -> Tree {
        let mut tree = Tree::new();
        for (path, contents, mode) in files {
            tree.insert(
                RelPath::new(path).unwrap(),
                FileEntry {
                    contents: contents.as_bytes().to_vec().into(),
                    mode: *mode,
                },
            );
        }
        tree
    }

    /// libgit2's status calls `src/important.log` ignored; git, and so svcgen, calls it untracked.
    #[test]
    fn a_file_a_deeper_gitignore_re_includes_is_dirty() {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        repo.config()
            .unwrap()
            .set_str("core.excludesFile", "/nonexistent")
            .unwrap();
        let files = [
            (".gitignore", "*.log\n/target/\n"),
            ("src/.gitignore", "!important.log\n"),
        ];
        write_tree(
            &tree(&files.map(|(p, c)| (p, c, Mode::Regular))),
            dir.path(),
        )
        .unwrap();
        let mut index = repo.index().unwrap();
        for (path, _) in files {
            index.add_path(Path::new(path)).unwrap();
        }
        index.write().unwrap();
        let tree_id = index.write_tree().unwrap();
        let signature = Signature::now("a", "a@example.com").unwrap();
        let tree = repo.find_tree(tree_id).unwrap();
        repo.commit(Some("HEAD"), &signature, &signature, "first", &tree, &[])
            .unwrap();
        assert_eq!(
            dirty_paths(dir.path()).unwrap().unwrap(),
            Vec::<String>::new()
        );

        for path in [
            "src/important.log",
            "src/debug.log",
            "debug.log",
            "target/x",
        ] {
            let path = dir.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, "x").unwrap();
        }
        assert_eq!(
            dirty_paths(dir.path()).unwrap().unwrap(),
            ["src/important.log"]
        );
    }
}
