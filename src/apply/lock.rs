//! Telling a folder svcgen is writing from one a killed svcgen left behind.
//!
//! A staging folder is created by [`locked_folder`]: first its lock file, beside it
//! (`<folder>.lock`), locked; only then the folder. The lock goes with the process, however it
//! ends, so a later svcgen that can take the lock (or finds none: it is removed only once the
//! folder is gone) knows the folder is a leftover. A folder that is renamed into place (the
//! transaction's `.svcgen/transaction`) also gets a lock inside it before the rename.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

const LOCK_FILE: &str = ".svcgen-lock";
/// Suffix of a lock file kept beside its folder.
pub const SIBLING_SUFFIX: &str = ".lock";
const RETRIES: usize = 10;
const RETRY_PAUSE: Duration = Duration::from_millis(20);

/// The lock on a staging folder, held until dropped.
#[derive(Debug)]
pub struct FolderLock {
    // Never read: holding the open file is what holds the lock.
    _file: fs::File,
}

impl FolderLock {
    /// Creates the lock file `lock_file` and locks it.
    pub fn take(lock_file: &Path) -> io::Result<FolderLock> {
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(lock_file)?;
        file.lock()?;
        Ok(FolderLock { _file: file })
    }
}

/// Creates a new folder `<prefix><random>` in `parent`, its lock beside it taken first, so that
/// the folder never exists unlocked while this process lives. Returns the folder and the lock.
pub fn locked_folder(parent: &Path, prefix: &str) -> io::Result<(PathBuf, FolderLock)> {
    loop {
        let lock_file = tempfile::Builder::new()
            .prefix(prefix)
            .suffix(SIBLING_SUFFIX)
            .tempfile_in(parent)?;
        let (file, lock_path) = lock_file.keep().map_err(|err| err.error)?;
        file.lock()?;
        let lock = FolderLock { _file: file };
        let name = lock_path.as_os_str().to_string_lossy();
        let folder = PathBuf::from(
            name.strip_suffix(SIBLING_SUFFIX)
                .expect("the lock was named with the suffix"),
        );
        match fs::create_dir(&folder) {
            Ok(()) => return Ok((folder, lock)),
            // A folder of that name was left by someone else: try another name.
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                drop(lock);
                let _ = fs::remove_file(&lock_path);
            }
            Err(err) => {
                drop(lock);
                let _ = fs::remove_file(&lock_path);
                return Err(err);
            }
        }
    }
}

/// The lock file kept inside `folder`.
pub fn inside(folder: &Path) -> PathBuf {
    folder.join(LOCK_FILE)
}

/// The lock file kept beside `folder`.
pub fn beside(folder: &Path) -> PathBuf {
    let mut name = folder.as_os_str().to_owned();
    name.push(SIBLING_SUFFIX);
    PathBuf::from(name)
}

/// Whether the folder locked by `lock_file` is a leftover of an svcgen that is no longer
/// running: nobody holds its lock, or the lock is gone.
pub fn is_abandoned(lock_file: &Path) -> io::Result<bool> {
    let file = match fs::File::open(lock_file) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(true),
        Err(err) => return Err(err),
    };
    // A lock is also held, for a moment, by a child process this or another svcgen forks
    // before it execs (the lock's file descriptor is copied until then): retry briefly before
    // calling it held by a live svcgen.
    for attempt in 0..RETRIES {
        match file.try_lock() {
            Ok(()) => return Ok(true),
            Err(fs::TryLockError::WouldBlock) if attempt + 1 < RETRIES => {
                std::thread::sleep(RETRY_PAUSE);
            }
            Err(fs::TryLockError::WouldBlock) => return Ok(false),
            Err(fs::TryLockError::Error(err)) => return Err(err),
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_not_abandoned_and_a_released_one_is() {
        let dir = tempfile::tempdir().unwrap();
        let (folder, lock) = locked_folder(dir.path(), "stage-").unwrap();
        assert!(folder.is_dir());
        assert!(!is_abandoned(&beside(&folder)).unwrap());
        drop(lock);
        assert!(is_abandoned(&beside(&folder)).unwrap());
    }

    #[test]
    fn a_folder_whose_lock_is_gone_is_abandoned() {
        let dir = tempfile::tempdir().unwrap();
        assert!(is_abandoned(&beside(&dir.path().join("stage-x"))).unwrap());
    }
}
