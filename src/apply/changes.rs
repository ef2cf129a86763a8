//! Applying a plan to a service's files all or nothing.
//!
//! Every new version is first written to a temporary file beside its target. Only when all are
//! written does anything in place change: each file that is replaced or deleted is first moved
//! aside (a rename within its folder), then the new version renamed in. If any step fails, the
//! moves done so far are undone in reverse, so the service is left exactly as it was; the
//! set-aside copies are deleted only once everything is in place.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::plan::Change;
use crate::error::{Error, Result};

/// Applies `changes` under `root`.
pub fn apply_changes(root: &Path, changes: &[Change]) -> Result<()> {
    apply_with(root, changes, &mut |from, to| fs::rename(from, to))
}

/// What a completed step did, to undo it.
enum Done {
    /// `target` was moved to `aside`.
    MovedAside { target: PathBuf, aside: PathBuf },
    /// A new file was renamed to `target` (nothing was there).
    Placed { target: PathBuf },
}

/// [`apply_changes`] with the rename step given, so tests can make it fail half-way.
pub(crate) fn apply_with(
    root: &Path,
    changes: &[Change],
    rename: &mut dyn FnMut(&Path, &Path) -> io::Result<()>,
) -> Result<()> {
    let mut created_dirs: Vec<PathBuf> = Vec::new();
    let mut staged: Vec<Option<tempfile::TempPath>> = Vec::with_capacity(changes.len());
    let staging = (|| -> Result<()> {
        for change in changes {
            match change {
                Change::Write { path, after, .. } => {
                    let target = root.join(path.to_path_buf());
                    let dir = target.parent().expect("a joined path has a parent");
                    create_missing_dirs(dir, &mut created_dirs)?;
                    staged.push(Some(stage(dir, &after.contents, after.mode.unix())?));
                }
                Change::Delete { .. } => staged.push(None),
            }
        }
        Ok(())
    })();
    if let Err(err) = staging {
        drop(staged);
        remove_created(&created_dirs);
        return Err(err);
    }

    let mut done: Vec<Done> = Vec::new();
    let mut asides: Vec<tempfile::TempPath> = Vec::new();
    let mut failure = None;
    for (change, temp) in changes.iter().zip(staged.iter_mut()) {
        let target = root.join(change.path().to_path_buf());
        let step = (|| -> Result<()> {
            if target.symlink_metadata().is_ok() {
                let dir = target.parent().expect("a joined path has a parent");
                // Reserve a unique name, then move the old file onto it.
                let aside = tempfile::Builder::new()
                    .prefix(".svcgen-old-")
                    .tempfile_in(dir)
                    .map_err(|err| Error::io(dir, err))?
                    .into_temp_path();
                rename(&target, &aside).map_err(|err| Error::io(&target, err))?;
                done.push(Done::MovedAside {
                    target: target.clone(),
                    aside: aside.to_path_buf(),
                });
                asides.push(aside);
            }
            if let Some(temp) = temp.take() {
                rename(&temp, &target).map_err(|err| Error::io(&target, err))?;
                // Placed: the temporary path no longer exists, do not delete it on drop.
                let _ = temp.keep();
                done.push(Done::Placed {
                    target: target.clone(),
                });
            }
            Ok(())
        })();
        if let Err(err) = step {
            failure = Some(err);
            break;
        }
    }

    let Some(err) = failure else {
        // Dropping the set-aside paths deletes the old versions.
        drop(asides);
        for change in changes {
            if let Change::Delete { path, .. } = change {
                remove_empty_parents(root, &root.join(path.to_path_buf()));
            }
        }
        return Ok(());
    };
    for step in done.into_iter().rev() {
        match step {
            Done::Placed { target } => {
                let _ = fs::remove_file(&target);
            }
            Done::MovedAside { target, aside } => {
                let _ = fs::rename(&aside, &target);
            }
        }
    }
    // The asides were renamed back; their TempPaths now name nothing.
    for aside in asides {
        let _ = aside.keep();
    }
    drop(staged);
    remove_created(&created_dirs);
    Err(err)
}

fn stage(dir: &Path, contents: &[u8], mode: u32) -> Result<tempfile::TempPath> {
    use std::io::Write;
    let mut temp = tempfile::Builder::new()
        .prefix(".svcgen-tmp-")
        .tempfile_in(dir)
        .map_err(|err| Error::io(dir, err))?;
    temp.write_all(contents)
        .and_then(|()| temp.flush())
        .map_err(|err| Error::io(temp.path(), err))?;
    set_mode(temp.path(), mode)?;
    Ok(temp.into_temp_path())
}

fn create_missing_dirs(dir: &Path, created: &mut Vec<PathBuf>) -> Result<()> {
    let mut missing = Vec::new();
    for ancestor in dir.ancestors() {
        if ancestor.as_os_str().is_empty() || ancestor.exists() {
            break;
        }
        missing.push(ancestor.to_owned());
    }
    for dir in missing.into_iter().rev() {
        fs::create_dir(&dir).map_err(|err| Error::io(&dir, err))?;
        created.push(dir);
    }
    Ok(())
}

fn remove_created(dirs: &[PathBuf]) {
    for dir in dirs.iter().rev() {
        let _ = fs::remove_dir(dir);
    }
}

/// After a file is deleted, folders it leaves empty go too (a renamed folder disappears).
fn remove_empty_parents(root: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(current) = dir {
        if current == root || !current.starts_with(root) || fs::remove_dir(current).is_err() {
            break;
        }
        dir = current.parent();
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|err| Error::io(path, err))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::{FileEntry, Mode, RelPath};

    fn entry(text: &str, mode: Mode) -> FileEntry {
        FileEntry {
            contents: text.as_bytes().to_vec(),
            mode,
        }
    }

    /// Every file under `root` with its contents, to compare states.
    fn snapshot(root: &Path) -> Vec<(String, String)> {
        let mut files: Vec<_> = walkdir::WalkDir::new(root)
            .min_depth(1)
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file() || e.file_type().is_dir())
            .map(|e| {
                let rel = e.path().strip_prefix(root).unwrap().display().to_string();
                let text = if e.file_type().is_file() {
                    fs::read_to_string(e.path()).unwrap()
                } else {
                    "<dir>".into()
                };
                (rel, text)
            })
            .collect();
        files.sort();
        files
    }

    fn setup() -> (tempfile::TempDir, Vec<Change>) {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("old")).unwrap();
        fs::write(root.path().join("a.txt"), "a1").unwrap();
        fs::write(root.path().join("old/gone.txt"), "g").unwrap();
        let changes = vec![
            Change::Write {
                path: RelPath::new("a.txt").unwrap(),
                before: Some(entry("a1", Mode::Regular)),
                after: entry("a2", Mode::Regular),
            },
            Change::Write {
                path: RelPath::new("new/dir/run.sh").unwrap(),
                before: None,
                after: entry("#!/bin/sh\n", Mode::Executable),
            },
            Change::Delete {
                path: RelPath::new("old/gone.txt").unwrap(),
                before: entry("g", Mode::Regular),
            },
        ];
        (root, changes)
    }

    #[test]
    fn applies_writes_and_deletes_and_tidies_up() {
        let (root, changes) = setup();
        apply_changes(root.path(), &changes).unwrap();
        assert_eq!(
            snapshot(root.path()),
            [
                ("a.txt".into(), "a2".into()),
                ("new".into(), "<dir>".into()),
                ("new/dir".into(), "<dir>".into()),
                ("new/dir/run.sh".into(), "#!/bin/sh\n".into()),
            ],
            "the emptied folder is removed and no temporary file is left"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(root.path().join("new/dir/run.sh"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o755);
        }
    }

    #[test]
    fn a_failure_at_any_step_leaves_everything_as_it_was() {
        // There are 4 renames (a aside, a in, run.sh in, gone aside); fail at each in turn.
        for fail_at in 0..4 {
            let (root, changes) = setup();
            let before = snapshot(root.path());
            let mut calls = 0;
            let err = apply_with(root.path(), &changes, &mut |from, to| {
                calls += 1;
                if calls > fail_at {
                    Err(io::Error::other("disk full"))
                } else {
                    fs::rename(from, to)
                }
            });
            assert!(err.is_err(), "step {fail_at}");
            assert_eq!(snapshot(root.path()), before, "failing at rename {fail_at}");
        }
    }

    #[test]
    fn a_file_that_cannot_be_staged_changes_nothing() {
        let (root, mut changes) = setup();
        fs::write(root.path().join("blocker"), "x").unwrap();
        changes.push(Change::Write {
            path: RelPath::new("blocker/inside.txt").unwrap(),
            before: None,
            after: entry("x", Mode::Regular),
        });
        let before = snapshot(root.path());
        assert!(apply_changes(root.path(), &changes).is_err());
        assert_eq!(snapshot(root.path()), before);
    }
}
