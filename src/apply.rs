//! Writing a tree to disk, all or nothing.
//!
//! A new repository is built in a hidden temporary folder beside the destination and renamed
//! into place only when every file (and the git commit) is done, so an error at any point, or an
//! interrupted process, never leaves a half-made service where the user asked for one.

use std::collections::HashSet;
use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::tree::{FileEntry, RelPath, Tree};

/// Fails unless `dest` is absent or an empty directory. Called before any question is asked, so
/// nobody answers ten prompts to be told the folder is taken.
pub fn check_destination(dest: &Path) -> Result<()> {
    match fs::read_dir(dest) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                Err(Error::DestinationNotEmpty(dest.to_owned()))
            } else {
                Ok(())
            }
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotADirectory => {
            Err(Error::DestinationNotEmpty(dest.to_owned()))
        }
        Err(err) => Err(Error::io(dest, err)),
    }
}

/// Writes `tree` as a new directory `dest`. `finish` runs on the complete temporary directory
/// before it is moved into place (this is where the git commit is made).
pub fn create_dir_atomically(
    tree: &Tree,
    dest: &Path,
    finish: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    check_destination(dest)?;
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let created_parent = create_missing_dirs(&parent)?;

    let result = (|| {
        let staging = tempfile::Builder::new()
            .prefix(".svcgen-tmp-")
            .tempdir_in(&parent)
            .map_err(|err| Error::io(&parent, err))?;
        write_tree(tree, staging.path())?;
        finish(staging.path())?;
        set_dir_mode(staging.path())?;
        // Renaming over an empty directory is allowed on Unix; elsewhere remove it first.
        let staged = staging.keep();
        let renamed = fs::rename(&staged, dest).or_else(|_| {
            fs::remove_dir(dest).ok();
            fs::rename(&staged, dest)
        });
        renamed.map_err(|err| {
            let _ = fs::remove_dir_all(&staged);
            Error::io(dest, err)
        })
    })();

    if result.is_err() {
        if let Some(first_created) = created_parent {
            let _ = fs::remove_dir_all(first_created);
        }
    }
    result
}

/// Writes every file of `tree` under `root`, which holds none of them yet, creating folders as
/// needed.
pub fn write_tree(tree: &Tree, root: &Path) -> Result<()> {
    // Each folder is made once, by the first file inside it, rather than asked for again (a
    // failing `mkdir` and a `stat`) by every file after it.
    let mut made: HashSet<&str> = HashSet::new();
    for (path, entry) in tree.iter() {
        let text = path.as_str();
        for (end, _) in text.match_indices('/') {
            let folder = &text[..end];
            if made.insert(folder) {
                let dir = root.join(folder);
                match fs::create_dir(&dir) {
                    Ok(()) => {}
                    Err(err) if err.kind() == ErrorKind::AlreadyExists && dir.is_dir() => {}
                    Err(err) => return Err(Error::io(&dir, err)),
                }
            }
        }
        let target = root.join(path.to_path_buf());
        write_new_file(&target, &entry.contents, entry.mode.unix())
            .map_err(|err| Error::io(&target, err))?;
    }
    Ok(())
}

/// Creates `path`, which must not exist yet, holding `contents`, with exactly `mode`'s
/// permission bits whatever the umask.
pub fn write_new_file(path: &Path, contents: &[u8], mode: u32) -> std::io::Result<()> {
    create_new_file(path, mode)?.write_all(contents)
}

/// Creates `path`, which must not exist yet, with exactly `mode`'s permission bits whatever the
/// umask, and opens it for writing. The file is created with `mode`, so the usual umask (022,
/// which takes nothing from 0644 or 0755) leaves nothing to fix; otherwise the bits are set
/// through the open file.
pub fn create_new_file(path: &Path, mode: u32) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let file = options.mode(mode).open(path)?;
        if umask().is_none_or(|umask| umask & mode != 0) {
            file.set_permissions(fs::Permissions::from_mode(mode))?;
        }
        Ok(file)
    }
    #[cfg(not(unix))]
    {
        let _ = mode;
        options.open(path)
    }
}

/// The process's umask, read once from `/proc/self/status` (reading it any other way means
/// changing it); `None` where it cannot be read, and modes are then always set explicitly.
fn umask() -> Option<u32> {
    static UMASK: std::sync::OnceLock<Option<u32>> = std::sync::OnceLock::new();
    *UMASK.get_or_init(|| {
        if !cfg!(target_os = "linux") {
            return None;
        }
        let status = fs::read_to_string("/proc/self/status").ok()?;
        let value = status
            .lines()
            .find_map(|line| line.strip_prefix("Umask:"))?;
        u32::from_str_radix(value.trim(), 8).ok()
    })
}

/// A file to put in place inside an existing repository: the new contents, and what was there
/// before (`None`: nothing), which is what an interrupted change is rolled back to.
pub struct Replacement<'a> {
    pub path: &'a RelPath,
    pub before: Option<&'a FileEntry>,
    pub after: &'a FileEntry,
}

/// Changes files of an existing repository all or nothing: every new version is first written to
/// a temporary file beside its target, and only when all are written are they renamed into place
/// (a rename within a folder is atomic). Should a rename fail, the ones already done are undone.
pub fn replace_files(root: &Path, replacements: &[Replacement<'_>]) -> Result<()> {
    let mut created_dirs = Vec::new();
    let mut staged = Vec::with_capacity(replacements.len());
    let stage_all = (|| {
        for replacement in replacements {
            let target = root.join(replacement.path.to_path_buf());
            let dir = target
                .parent()
                .expect("a joined relative path has a parent");
            if let Some(first) = create_missing_dirs(dir)? {
                created_dirs.push(first);
            }
            staged.push((stage(dir, replacement.after)?, target));
        }
        Ok(())
    })();
    if let Err(err) = stage_all {
        drop(staged);
        remove_dirs(&created_dirs);
        return Err(err);
    }

    let mut done = 0;
    let mut failure = None;
    for (temp, target) in staged {
        match temp.persist(&target) {
            Ok(_) => done += 1,
            Err(err) => {
                failure = Some(Error::io(&target, err.error));
                break;
            }
        }
    }
    let Some(err) = failure else {
        return Ok(());
    };
    for replacement in replacements[..done].iter().rev() {
        let target = root.join(replacement.path.to_path_buf());
        let _ = match replacement.before {
            Some(before) => stage(target.parent().expect("has a parent"), before)
                .and_then(|temp| {
                    temp.persist(&target)
                        .map_err(|e| Error::io(&target, e.error))
                })
                .map(drop),
            None => fs::remove_file(&target).map_err(|e| Error::io(&target, e)),
        };
    }
    remove_dirs(&created_dirs);
    Err(err)
}

fn stage(dir: &Path, entry: &FileEntry) -> Result<tempfile::NamedTempFile> {
    use std::io::Write;
    let mut temp = tempfile::Builder::new()
        .prefix(".svcgen-tmp-")
        .tempfile_in(dir)
        .map_err(|err| Error::io(dir, err))?;
    temp.write_all(&entry.contents)
        .and_then(|()| temp.flush())
        .map_err(|err| Error::io(temp.path(), err))?;
    set_file_mode(temp.path(), entry.mode.unix())?;
    Ok(temp)
}

fn remove_dirs(dirs: &[PathBuf]) {
    for dir in dirs.iter().rev() {
        let _ = fs::remove_dir_all(dir);
    }
}

/// Creates `dir` and its missing ancestors; returns the outermost one created, to undo on error.
fn create_missing_dirs(dir: &Path) -> Result<Option<PathBuf>> {
    let mut first_missing = None;
    for ancestor in dir.ancestors() {
        if ancestor.as_os_str().is_empty() || ancestor.exists() {
            break;
        }
        first_missing = Some(ancestor.to_owned());
    }
    fs::create_dir_all(dir).map_err(|err| Error::io(dir, err))?;
    Ok(first_missing)
}

#[cfg(unix)]
fn set_file_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|err| Error::io(path, err))
}

/// Temporary directories are created private (0700); the finished repository should not be.
#[cfg(unix)]
fn set_dir_mode(path: &Path) -> Result<()> {
    set_file_mode(path, 0o755)
}

#[cfg(not(unix))]
fn set_file_mode(_: &Path, _: u32) -> Result<()> {
    Ok(())
}

#[cfg(not(unix))]
fn set_dir_mode(_: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::{FileEntry, Mode, RelPath};

    fn tree() -> Tree {
        let mut tree = Tree::new();
        tree.insert(
            RelPath::new("a/b.txt").unwrap(),
            FileEntry {
                contents: b"hi".to_vec(),
                mode: Mode::Regular,
            },
        );
        tree
    }

    #[test]
    fn writes_into_a_new_directory_and_leaves_no_staging_folder() {
        let base = tempfile::tempdir().unwrap();
        let dest = base.path().join("deep/svc");
        create_dir_atomically(&tree(), &dest, |_| Ok(())).unwrap();
        assert_eq!(fs::read(dest.join("a/b.txt")).unwrap(), b"hi");
        let leftovers: Vec<_> = fs::read_dir(base.path().join("deep"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["svc"]);
    }

    #[test]
    fn failure_in_finish_leaves_nothing_behind() {
        let base = tempfile::tempdir().unwrap();
        let dest = base.path().join("new/parent/svc");
        let err = create_dir_atomically(&tree(), &dest, |_| Err(Error::Usage("boom".into())));
        assert!(err.is_err());
        assert_eq!(fs::read_dir(base.path()).unwrap().count(), 0);
    }

    #[test]
    fn non_empty_destination_is_refused() {
        let base = tempfile::tempdir().unwrap();
        fs::write(base.path().join("keep.txt"), "mine").unwrap();
        let err = create_dir_atomically(&tree(), base.path(), |_| Ok(())).unwrap_err();
        assert!(matches!(err, Error::DestinationNotEmpty(_)));
        assert_eq!(
            fs::read_to_string(base.path().join("keep.txt")).unwrap(),
            "mine"
        );
    }

    #[test]
    fn replace_files_writes_every_file_with_its_mode() {
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join("old.txt"), "before").unwrap();
        let old = RelPath::new("old.txt").unwrap();
        let new = RelPath::new("deep/new.sh").unwrap();
        let before = FileEntry {
            contents: b"before".to_vec(),
            mode: Mode::Regular,
        };
        let after_old = FileEntry {
            contents: b"after".to_vec(),
            mode: Mode::Regular,
        };
        let after_new = FileEntry {
            contents: b"#!/bin/sh\n".to_vec(),
            mode: Mode::Executable,
        };
        replace_files(
            root.path(),
            &[
                Replacement {
                    path: &old,
                    before: Some(&before),
                    after: &after_old,
                },
                Replacement {
                    path: &new,
                    before: None,
                    after: &after_new,
                },
            ],
        )
        .unwrap();
        assert_eq!(fs::read(root.path().join("old.txt")).unwrap(), b"after");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(root.path().join("deep/new.sh"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o755);
        }
        let names: Vec<_> = fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "no staging files left: {names:?}");
    }

    #[test]
    fn replace_files_changes_nothing_when_a_file_cannot_be_staged() {
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join("a.txt"), "mine").unwrap();
        // `blocker` is a file, so nothing can be staged under `blocker/`.
        fs::write(root.path().join("blocker"), "x").unwrap();
        let a = RelPath::new("a.txt").unwrap();
        let bad = RelPath::new("blocker/b.txt").unwrap();
        let entry = FileEntry {
            contents: b"theirs".to_vec(),
            mode: Mode::Regular,
        };
        let err = replace_files(
            root.path(),
            &[
                Replacement {
                    path: &a,
                    before: None,
                    after: &entry,
                },
                Replacement {
                    path: &bad,
                    before: None,
                    after: &entry,
                },
            ],
        );
        assert!(err.is_err());
        assert_eq!(
            fs::read_to_string(root.path().join("a.txt")).unwrap(),
            "mine"
        );
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 2);
    }

    #[test]
    fn empty_destination_directory_is_used() {
        let base = tempfile::tempdir().unwrap();
        let dest = base.path().join("svc");
        fs::create_dir(&dest).unwrap();
        create_dir_atomically(&tree(), &dest, |_| Ok(())).unwrap();
        assert!(dest.join("a/b.txt").is_file());
    }
}
