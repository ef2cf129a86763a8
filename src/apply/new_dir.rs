//! Writing a new repository, all or nothing.
//!
//! A new repository is built in a hidden temporary folder beside the destination and renamed
//! into place only when every file (and the git commit) is done, so an error at any point, or an
//! interrupted process, never leaves a half-made service where the user asked for one. Ctrl-C or
//! SIGTERM removes the folder before svcgen exits; after a `kill -9`, the next `svcgen new` in
//! the same parent folder removes it (its lock, beside it, is free: see [`super::lock`]).

use std::collections::HashSet;
use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use super::interrupt::{self, Critical};
use super::lock;
use crate::error::{Error, Result};
use crate::tree::Tree;

const STAGING_PREFIX: &str = ".svcgen-tmp-";

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
    let _critical = Critical::enter()?;
    let created_parent = create_missing_dirs(&parent)?;

    let result = (|| {
        // The lock is beside the folder, not in it (what is staged is committed and renamed as
        // it is), and taken before the folder exists.
        let (staged, lock) =
            lock::locked_folder(&parent, STAGING_PREFIX).map_err(|err| Error::io(&parent, err))?;
        let lock_path = lock::beside(&staged);
        let placed = (|| {
            write_tree(tree, &staged)?;
            interrupt::check()?;
            finish(&staged)?;
            interrupt::check()?;
            set_dir_mode(&staged)?;
            // Renaming over an empty directory is allowed on Unix; elsewhere remove it first.
            fs::rename(&staged, dest)
                .or_else(|_| {
                    fs::remove_dir(dest).ok();
                    fs::rename(&staged, dest)
                })
                .map_err(|err| Error::io(dest, err))
        })();
        if placed.is_err() {
            let _ = fs::remove_dir_all(&staged);
        }
        drop(lock);
        let _ = fs::remove_file(&lock_path);
        placed
    })();

    if result.is_err()
        && let Some(first_created) = created_parent
    {
        let _ = fs::remove_dir_all(first_created);
    }
    result
}

/// Removes what svcgen runs killed while creating a service in `parent` left there: their
/// staging folders, whose locks are free. Returns the folders removed.
pub fn remove_abandoned_staging(parent: &Path) -> Result<Vec<PathBuf>> {
    let entries = match fs::read_dir(parent) {
        Ok(entries) => entries,
        Err(err) if err.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(Error::io(parent, err)),
    };
    let mut removed = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|err| Error::io(parent, err))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.starts_with(STAGING_PREFIX) {
            continue;
        }
        let path = entry.path();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir {
            let lock_path = lock::beside(&path);
            if lock::is_abandoned(&lock_path).map_err(|err| Error::io(&path, err))? {
                fs::remove_dir_all(&path).map_err(|err| Error::io(&path, err))?;
                let _ = fs::remove_file(&lock_path);
                removed.push(path);
            }
        } else if let Some(folder) = name.strip_suffix(lock::SIBLING_SUFFIX) {
            // A lock whose folder is gone: taking it proves its svcgen is gone too.
            let lone = !parent.join(folder).exists()
                && fs::File::open(&path).is_ok_and(|file| file.try_lock().is_ok());
            if lone {
                let _ = fs::remove_file(&path);
            }
        }
    }
    Ok(removed)
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
        interrupt::check()?;
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
                contents: b"hi".to_vec().into(),
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
    fn empty_destination_directory_is_used() {
        let base = tempfile::tempdir().unwrap();
        let dest = base.path().join("svc");
        fs::create_dir(&dest).unwrap();
        create_dir_atomically(&tree(), &dest, |_| Ok(())).unwrap();
        assert!(dest.join("a/b.txt").is_file());
    }
}
