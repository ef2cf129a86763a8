//! Telling a folder svcgen is writing from one a killed svcgen left behind.
//!
//! Each staging folder has a lock file (inside it, or beside it when the folder's contents must
//! be exactly what is staged) that its svcgen holds locked while it works. The lock goes with
//! the process, however it ends, so a later svcgen that can take the lock knows the folder is a
//! leftover. A folder without a lock file is a leftover too once it is a minute old (the lock
//! file is created right after the folder, so a younger one may be just starting).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

const LOCK_FILE: &str = ".svcgen-lock";
/// Suffix of a lock file kept beside its folder.
pub const SIBLING_SUFFIX: &str = ".lock";
const YOUNG: Duration = Duration::from_secs(60);
const RETRIES: usize = 10;
const RETRY_PAUSE: Duration = Duration::from_millis(20);

/// The lock on a staging folder, held until dropped.
#[derive(Debug)]
pub struct FolderLock {
    // Never read: holding the open file is what holds the lock.
    _file: fs::File,
}

impl FolderLock {
    /// Creates the lock file `lock_file` (for a folder this process just created) and locks it.
    pub fn take(lock_file: &Path) -> io::Result<FolderLock> {
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(lock_file)?;
        file.lock()?;
        Ok(FolderLock { _file: file })
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

/// Whether `folder`, locked by `lock_file`, is a leftover of an svcgen that is no longer
/// running.
pub fn is_abandoned(folder: &Path, lock_file: &Path) -> io::Result<bool> {
    match fs::File::open(lock_file) {
        Ok(file) => {
            // A lock is also held, for a moment, by a child process this or another svcgen
            // forks before it execs (the lock's file descriptor is copied until then): retry
            // briefly before calling it held by a live svcgen.
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
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            let modified = fs::symlink_metadata(folder)?.modified()?;
            let age = SystemTime::now()
                .duration_since(modified)
                .unwrap_or_default();
            Ok(age > YOUNG)
        }
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_not_abandoned_and_a_released_one_is() {
        let dir = tempfile::tempdir().unwrap();
        let lock = FolderLock::take(&inside(dir.path())).unwrap();
        assert!(!is_abandoned(dir.path(), &inside(dir.path())).unwrap());
        drop(lock);
        assert!(is_abandoned(dir.path(), &inside(dir.path())).unwrap());
    }

    #[test]
    fn a_young_folder_without_a_lock_may_be_starting() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!is_abandoned(dir.path(), &beside(dir.path())).unwrap());
    }
}
