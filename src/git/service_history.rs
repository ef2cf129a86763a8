//! What a service's own git history knows that its working tree no longer shows: the bytes
//! of a version svcgen committed long ago (an update's merge base kept by id only), and where
//! the team moved a generated file.

use std::path::Path;

/// The bytes of the blob `id` in the git repository `dir` is in; `None` when there is no
/// repository or it does not have that blob.
pub fn read_blob(dir: &Path, id: &str) -> Option<Vec<u8>> {
    let repo = git2::Repository::discover(dir).ok()?;
    let id = git2::Oid::from_str(id).ok()?;
    let blob = repo.find_blob(id).ok()?;
    Some(blob.content().to_vec())
}

/// Where the file `path` (relative to the service folder `dir`) went when it was last removed
/// from the branch's history: the commit that removed it, compared with its parent using git's
/// rename detection (what `git log --follow` sees), where the moved file still is; `None` when
/// it was deleted, not moved, moved again since, or there is no history.
pub fn moved_to(dir: &Path, path: &str) -> Option<String> {
    let repo = git2::Repository::discover(dir).ok()?;
    let workdir = repo.workdir()?;
    let prefix = std::fs::canonicalize(dir)
        .ok()?
        .strip_prefix(std::fs::canonicalize(workdir).ok()?)
        .ok()?
        .to_string_lossy()
        .replace('\\', "/");
    let in_repo = |p: &str| {
        if prefix.is_empty() {
            p.to_owned()
        } else {
            format!("{prefix}/{p}")
        }
    };
    let mut walk = repo.revwalk().ok()?;
    walk.push_head().ok()?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL).ok()?;
    let mut newer: Option<git2::Commit<'_>> = None;
    let mut wanted = in_repo(path);
    for id in walk.take(1000) {
        let commit = repo.find_commit(id.ok()?).ok()?;
        let has = commit.tree().ok()?.get_path(Path::new(&wanted)).is_ok();
        if has {
            let removed_by = newer?;
            let mut diff = repo
                .diff_tree_to_tree(
                    Some(&commit.tree().ok()?),
                    Some(&removed_by.tree().ok()?),
                    None,
                )
                .ok()?;
            diff.find_similar(Some(git2::DiffFindOptions::new().renames(true)))
                .ok()?;
            let moved = diff.deltas().find_map(|delta| {
                (delta.status() == git2::Delta::Renamed
                    && delta.old_file().path()? == Path::new(&wanted))
                .then(|| {
                    delta
                        .new_file()
                        .path()
                        .map(|p| p.to_string_lossy().replace('\\', "/"))
                })
                .flatten()
            })?;
            wanted = moved;
            // The moved file must be in the service folder, as it is now.
            let relative = if prefix.is_empty() {
                wanted.clone()
            } else {
                wanted.strip_prefix(&format!("{prefix}/"))?.to_owned()
            };
            return dir.join(&relative).is_file().then_some(relative);
        }
        newer = Some(commit);
    }
    None
}
