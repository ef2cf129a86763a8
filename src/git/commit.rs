//! `--commit`: one commit per updated service, of exactly the files the update changed.

use std::path::{Path, PathBuf};

use super::config::{self, Env};
use crate::error::{Error, Result};

/// Commits the files at `written` (changed or added) and `deleted`, relative to `dir`, on the
/// current branch of the repository `dir` is in (a service may be a folder of a monorepo). The
/// commit is HEAD's tree plus exactly these changes: whatever else the team had staged stays
/// staged and out of svcgen's commit. Returns the commit id.
pub fn commit_paths(
    dir: &Path,
    written: &[String],
    deleted: &[String],
    message: &str,
) -> Result<String> {
    let failed = |err| Error::git("committing the update", err);
    let repo = git2::Repository::discover(dir).map_err(|err| {
        Error::git(
            format!("opening the git repository at {}", dir.display()),
            err,
        )
    })?;
    let workdir = repo
        .workdir()
        .ok_or_else(|| failed(git2::Error::from_str("the repository is bare")))?;
    let canonical = |p: &Path| std::fs::canonicalize(p).map_err(|err| Error::io(p, err));
    let prefix = canonical(dir)?
        .strip_prefix(canonical(workdir)?)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let in_repo = |path: &str| -> PathBuf { prefix.join(path) };

    let parent = match repo.head() {
        Ok(head) => Some(head.peel_to_commit().map_err(failed)?),
        Err(_) => None,
    };
    // HEAD's tree, in memory, with the update's changes on top.
    let mut tree_index = git2::Index::new().map_err(failed)?;
    if let Some(parent) = &parent {
        tree_index
            .read_tree(&parent.tree().map_err(failed)?)
            .map_err(failed)?;
    }
    for path in written {
        let full = dir.join(path);
        let contents = std::fs::read(&full).map_err(|err| Error::io(&full, err))?;
        let metadata = std::fs::metadata(&full).map_err(|err| Error::io(&full, err))?;
        let mode = if is_executable(&metadata) {
            0o100755
        } else {
            0o100644
        };
        let id = repo.blob(&contents).map_err(failed)?;
        tree_index
            .add(&git2::IndexEntry {
                ctime: git2::IndexTime::new(0, 0),
                mtime: git2::IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode,
                uid: 0,
                gid: 0,
                file_size: contents.len() as u32,
                id,
                flags: 0,
                flags_extended: 0,
                path: git_path(&in_repo(path)),
            })
            .map_err(failed)?;
    }
    for path in deleted {
        tree_index.remove_path(&in_repo(path)).map_err(failed)?;
    }
    let tree_id = tree_index.write_tree_to(&repo).map_err(failed)?;
    let tree = repo.find_tree(tree_id).map_err(failed)?;
    let env = Env::process();
    let (author, committer) = config::signatures(&config::repo_config(&repo, &env)?, &env)?;
    let message =
        git2::message_prettify(message, None).map_err(|err| Error::git("git commit", err))?;
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    let id = repo
        .commit(Some("HEAD"), &author, &committer, &message, &tree, &parents)
        .map_err(|err| Error::git("git commit", err))?;

    // The real index learns these paths too, so `git status` shows them committed.
    let mut index = repo.index().map_err(failed)?;
    for path in written {
        index.add_path(&in_repo(path)).map_err(failed)?;
    }
    for path in deleted {
        index.remove_path(&in_repo(path)).map_err(failed)?;
    }
    index.write().map_err(failed)?;
    Ok(id.to_string())
}

/// A path as git stores it: `/`-separated bytes.
fn git_path(path: &Path) -> Vec<u8> {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
        .into_bytes()
}

#[cfg(unix)]
fn is_executable(metadata: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &std::fs::Metadata) -> bool {
    false
}
