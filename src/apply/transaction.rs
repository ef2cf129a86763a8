//! Changing an existing repository as one transaction: afterwards it holds either every change
//! or none, whether the apply succeeded, failed half-way, was interrupted with Ctrl-C or
//! SIGTERM, or was killed outright.
//!
//! Everything happens inside `.svcgen/transaction/`, on the same file system as the files it
//! changes, so that every step is a rename:
//!
//! 1. **Stage.** Every new version is written to `new/<n>` of a fresh folder
//!    (`.svcgen/transaction-XXXX`), with its mode. Nothing in the repository has changed yet;
//!    a failure or a signal here just removes the folder.
//! 2. **Journal.** The list of changes (and the folders the writes will create) is written to
//!    `journal`, and the folder renamed to `.svcgen/transaction`: from here on the journal is
//!    there for whoever finds it, this process or the next.
//! 3. **Apply.** Deletions first (so a file can make way for a folder of the same name), then
//!    writes, svcgen's own files (record, base) last: each file in the way is moved to `old/<n>`,
//!    then `new/<n>` is moved into place.
//! 4. **Commit.** A `committed` marker is written, then the folder is renamed to
//!    `.svcgen/finished-*` and removed with the old versions in it (a rename first, so a kill
//!    while it is being removed leaves nothing a later run could mistake for a transaction).
//!
//! Undoing (on an error, a signal, or by [`recover`] in a later run) walks the journal
//! backwards: a change whose `new/<n>` is gone was placed and is removed, a file in `old/<n>`
//! goes back, and the folders the writes created go. Files are not `fsync`ed: the threat this
//! guards against is an interrupted process, whose writes the kernel keeps, not a power cut.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Change;
use super::interrupt::{self, Critical};
use super::lock::{self, FolderLock, is_abandoned};
use crate::error::{Error, Result};
use crate::tree::RelPath;

/// Where an applying transaction lives, inside the repository it changes.
pub const TRANSACTION_DIR: &str = ".svcgen/transaction";
const STAGING_PREFIX: &str = "transaction-";
/// A transaction that is over (committed or rolled back) is renamed to this prefix before it is
/// deleted: a kill half-way through deleting it must never leave a transaction folder that has
/// lost its `committed` marker but kept its journal, which the next run would roll back.
const FINISHED_PREFIX: &str = "finished-";
const JOURNAL: &str = "journal";
const COMMITTED: &str = "committed";
const JOURNAL_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    version: u32,
    /// In the order they are applied.
    steps: Vec<Step>,
    /// Folders the writes create, parents first.
    created_dirs: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Step {
    path: String,
    /// A write has its new version staged as `new/<index>`; a deletion has none.
    write: bool,
}

/// What [`recover`] found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// A transaction was interrupted before it committed: its changes were undone.
    RolledBack { files: usize },
    /// A transaction had committed but not yet cleaned up: it was finished.
    Completed,
    /// A transaction was interrupted while it staged, before it changed anything: its staging
    /// folder was removed.
    Discarded,
}

impl std::fmt::Display for Recovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Recovery::RolledBack { files } => write!(
                f,
                "an interrupted svcgen run was rolled back ({files} file{} restored)",
                if *files == 1 { "" } else { "s" }
            ),
            Recovery::Completed => f.write_str(
                "an interrupted svcgen run had finished its changes; its leftovers were removed",
            ),
            Recovery::Discarded => f.write_str(
                "an interrupted svcgen run had changed nothing yet; its staging folder was removed",
            ),
        }
    }
}

/// Applies `changes` under `root` as one transaction (see the module documentation).
pub fn apply_changes(root: &Path, changes: &[Change]) -> Result<()> {
    apply_with(root, changes, &mut |from, to| fs::rename(from, to))
}

/// [`apply_changes`] with the rename step given, so tests can make it fail at any point.
pub(crate) fn apply_with(
    root: &Path,
    changes: &[Change],
    rename: &mut dyn FnMut(&Path, &Path) -> io::Result<()>,
) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let _critical = Critical::enter()?;
    let svcgen_dir = root.join(".svcgen");
    let made_svcgen_dir = fs::symlink_metadata(&svcgen_dir).is_err();
    fs::create_dir_all(&svcgen_dir).map_err(|err| Error::io(&svcgen_dir, err))?;
    let final_dir = root.join(TRANSACTION_DIR);
    if fs::symlink_metadata(&final_dir).is_ok() {
        return Err(Error::TransactionPending(final_dir));
    }

    let order = application_order(changes);
    // Locked from before it exists (beside it, while it is staged) and from inside (once it
    // is renamed into place), so no other svcgen ever takes it for a leftover.
    let (staged, staging_lock) = lock::locked_folder(&svcgen_dir, STAGING_PREFIX)
        .map_err(|err| Error::io(&svcgen_dir, err))?;
    let give_up = |err: Error| {
        let _ = fs::remove_dir_all(&staged);
        let _ = fs::remove_file(lock::beside(&staged));
        if made_svcgen_dir {
            let _ = fs::remove_dir(&svcgen_dir);
        }
        err
    };
    let _lock = match FolderLock::take(&lock::inside(&staged)) {
        Ok(lock) => lock,
        Err(err) => return Err(give_up(Error::io(&staged, err))),
    };
    let journal = match stage(root, &staged, changes, &order, made_svcgen_dir) {
        Ok(journal) => journal,
        Err(err) => return Err(give_up(err)),
    };
    if let Err(err) = fs::rename(&staged, &final_dir) {
        return Err(give_up(Error::io(&final_dir, err)));
    }
    drop(staging_lock);
    let _ = fs::remove_file(lock::beside(&staged));

    let txn = Transaction {
        root,
        dir: &final_dir,
        journal: &journal,
    };
    let mut failure = None;
    for (index, step) in journal.steps.iter().enumerate() {
        if let Err(err) = interrupt::check().and_then(|()| txn.do_step(index, step, rename)) {
            failure = Some(err);
            break;
        }
    }
    match failure {
        None => txn.commit(),
        Some(cause) => match txn.roll_back() {
            Ok(_) => Err(cause),
            Err(problems) => Err(Error::RollbackFailed {
                cause: Box::new(cause),
                problems,
                transaction: final_dir,
            }),
        },
    }
}

/// Indexes into `changes` in the order they are applied: deletions (deepest first), then
/// writes, and svcgen's own files last, so the record and base only move once all else has.
fn application_order(changes: &[Change]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..changes.len()).collect();
    let rank = |change: &Change| {
        let own = change.path().as_str().starts_with(".svcgen/");
        let write = matches!(change, Change::Write { .. });
        (own, write)
    };
    order.sort_by(|&a, &b| {
        let (a, b) = (&changes[a], &changes[b]);
        rank(a).cmp(&rank(b)).then_with(|| match a {
            // Deeper deletions first, so the folders they empty can go before a file replaces
            // one of them.
            Change::Delete { .. } => {
                let depth = |c: &Change| c.path().segments().count();
                depth(b).cmp(&depth(a)).then_with(|| a.path().cmp(b.path()))
            }
            Change::Write { .. } => a.path().cmp(b.path()),
        })
    });
    order
}

/// Writes every new version into `staging/new`, and the journal that says what to do with them.
fn stage(
    root: &Path,
    staging: &Path,
    changes: &[Change],
    order: &[usize],
    made_svcgen_dir: bool,
) -> Result<Journal> {
    let new_dir = staging.join("new");
    let old_dir = staging.join("old");
    for dir in [&new_dir, &old_dir] {
        fs::create_dir(dir).map_err(|err| Error::io(dir, err))?;
    }
    let deleted: BTreeSet<&str> = changes
        .iter()
        .filter(|c| matches!(c, Change::Delete { .. }))
        .map(|c| c.path().as_str())
        .collect();
    let mut steps = Vec::with_capacity(order.len());
    let mut created_dirs = BTreeSet::new();
    if made_svcgen_dir {
        created_dirs.insert(".svcgen".to_owned());
    }
    for (index, &at) in order.iter().enumerate() {
        interrupt::check()?;
        let change = &changes[at];
        let path = change.path();
        if let Change::Write { after, .. } = change {
            let staged = new_dir.join(index.to_string());
            super::new_dir::write_new_file(&staged, &after.contents, after.mode.unix())
                .map_err(|err| Error::io(&staged, err))?;
            for folder in folders_to_create(root, path, &deleted) {
                created_dirs.insert(folder);
            }
        }
        steps.push(Step {
            path: path.as_str().to_owned(),
            write: matches!(change, Change::Write { .. }),
        });
    }
    let journal = Journal {
        version: JOURNAL_VERSION,
        steps,
        created_dirs: created_dirs.into_iter().collect(),
    };
    let text = serde_json::to_vec(&journal).expect("a journal serialises");
    let path = staging.join(JOURNAL);
    fs::write(&path, text).map_err(|err| Error::io(&path, err))?;
    Ok(journal)
}

/// The folders above `path` that do not exist yet, or that exist as a file this transaction
/// deletes (a file that becomes a folder), outermost first.
fn folders_to_create(root: &Path, path: &RelPath, deleted: &BTreeSet<&str>) -> Vec<String> {
    let text = path.as_str();
    text.match_indices('/')
        .map(|(end, _)| &text[..end])
        .filter(|folder| {
            deleted.contains(folder) || fs::symlink_metadata(root.join(folder)).is_err()
        })
        .map(str::to_owned)
        .collect()
}

struct Transaction<'a> {
    root: &'a Path,
    dir: &'a Path,
    journal: &'a Journal,
}

impl Transaction<'_> {
    fn staged(&self, index: usize) -> PathBuf {
        self.dir.join("new").join(index.to_string())
    }

    fn aside(&self, index: usize) -> PathBuf {
        self.dir.join("old").join(index.to_string())
    }

    fn target(&self, step: &Step) -> PathBuf {
        self.root.join(&step.path)
    }

    fn do_step(
        &self,
        index: usize,
        step: &Step,
        rename: &mut dyn FnMut(&Path, &Path) -> io::Result<()>,
    ) -> Result<()> {
        let target = self.target(step);
        if let Ok(metadata) = fs::symlink_metadata(&target) {
            if metadata.is_dir() {
                return Err(Error::io(
                    &target,
                    io::Error::new(
                        io::ErrorKind::IsADirectory,
                        "is a folder where svcgen expects a file; move it away and run again",
                    ),
                ));
            }
            rename(&target, &self.aside(index)).map_err(|err| Error::io(&target, err))?;
        }
        if step.write {
            let parent = target.parent().expect("a joined path has a parent");
            fs::create_dir_all(parent).map_err(|err| Error::io(parent, err))?;
            rename(&self.staged(index), &target).map_err(|err| Error::io(&target, err))?;
        } else {
            remove_empty_parents(self.root, &target);
        }
        Ok(())
    }

    fn commit(&self) -> Result<()> {
        let marker = self.dir.join(COMMITTED);
        fs::File::create(&marker).map_err(|err| Error::io(&marker, err))?;
        // Done: what is left are the old versions, which nothing needs any more.
        discard_finished(self.dir);
        self.remove_created_dirs();
        Ok(())
    }

    /// Removes the folders the journal says the transaction created, deepest first, where they
    /// are empty (after a commit, only a `.svcgen` that nothing was written into).
    fn remove_created_dirs(&self) {
        for dir in self.journal.created_dirs.iter().rev() {
            let _ = fs::remove_dir(self.root.join(dir));
        }
    }

    /// Undoes every step done so far; on success removes the transaction. Returns the problems
    /// it could not mend (and then keeps the transaction, so a later run can try again).
    fn roll_back(&self) -> std::result::Result<usize, Vec<String>> {
        let created: BTreeSet<&str> = self
            .journal
            .created_dirs
            .iter()
            .map(String::as_str)
            .collect();
        let mut problems = Vec::new();
        let mut restored = 0;
        for (index, step) in self.journal.steps.iter().enumerate().rev() {
            let target = self.target(step);
            let placed = step.write && fs::symlink_metadata(self.staged(index)).is_err();
            if placed {
                // Moved back rather than deleted, so that a rollback interrupted in turn
                // finds this step undone (its new version staged again) and never takes out
                // the old version restored below.
                match fs::rename(&target, self.staged(index)) {
                    Ok(()) => {}
                    Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                    Err(err) => problems.push(format!("removing {}: {err}", target.display())),
                }
                remove_created_parents(self.root, &step.path, &created);
            }
            let aside = self.aside(index);
            if fs::symlink_metadata(&aside).is_ok() {
                // A file that made way for a folder: the folder (if the writes under it are
                // undone) goes first.
                let under = format!("{}/", step.path);
                for dir in created.iter().rev() {
                    if *dir == step.path || dir.starts_with(&under) {
                        let _ = fs::remove_dir(self.root.join(dir));
                    }
                }
                let parent = target.parent().expect("a joined path has a parent");
                let restore = fs::create_dir_all(parent).and_then(|()| fs::rename(&aside, &target));
                match restore {
                    Ok(()) => restored += 1,
                    Err(err) => problems.push(format!(
                        "restoring {} from {}: {err}",
                        target.display(),
                        aside.display()
                    )),
                }
            } else if placed {
                restored += 1;
            }
        }
        if problems.is_empty() {
            discard_finished(self.dir);
            self.remove_created_dirs();
            Ok(restored)
        } else {
            Err(problems)
        }
    }
}

/// Removes a transaction that is over: renamed out of the way in one step, then deleted.
fn discard_finished(dir: &Path) {
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let count = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let finished = dir.with_file_name(format!("{FINISHED_PREFIX}{}-{count}", std::process::id()));
    match fs::rename(dir, &finished) {
        Ok(()) => {
            let _ = fs::remove_dir_all(&finished);
        }
        Err(_) => {
            let _ = fs::remove_dir_all(dir);
        }
    }
}

/// Removes the folders above `path` that the transaction created, if they are empty.
fn remove_created_parents(root: &Path, path: &str, created: &BTreeSet<&str>) {
    for (end, _) in path.rmatch_indices('/') {
        let folder = &path[..end];
        if created.contains(folder) {
            let _ = fs::remove_dir(root.join(folder));
        }
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

/// Finishes or undoes what an interrupted svcgen left in `root`, and removes its staging
/// folders. Every command that changes or reads a service calls this first. Fails when another
/// svcgen is changing the service right now.
pub fn recover(root: &Path) -> Result<Vec<Recovery>> {
    let svcgen_dir = root.join(".svcgen");
    let mut done = Vec::new();
    let entries = match fs::read_dir(&svcgen_dir) {
        Ok(entries) => entries,
        Err(err)
            if matches!(
                err.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(done);
        }
        Err(err) => return Err(Error::io(&svcgen_dir, err)),
    };
    let final_dir = root.join(TRANSACTION_DIR);
    for entry in entries {
        let entry = entry.map_err(|err| Error::io(&svcgen_dir, err))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let path = entry.path();
        if path == final_dir {
            continue;
        }
        if name.starts_with(FINISHED_PREFIX) {
            // Over, and killed while it was being deleted: nothing in it is needed.
            let _ = fs::remove_dir_all(&path);
            continue;
        }
        if !name.starts_with(STAGING_PREFIX) {
            continue;
        }
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            let lock_file = lock::beside(&path);
            if is_abandoned(&lock_file).map_err(|err| Error::io(&path, err))? {
                fs::remove_dir_all(&path).map_err(|err| Error::io(&path, err))?;
                let _ = fs::remove_file(lock_file);
                done.push(Recovery::Discarded);
            }
        } else if let Some(folder) = name.strip_suffix(lock::SIBLING_SUFFIX)
            && !svcgen_dir.join(folder).exists()
            && is_abandoned(&path).map_err(|err| Error::io(&path, err))?
        {
            // Killed between taking the lock and making its folder.
            let _ = fs::remove_file(&path);
        }
    }
    if fs::symlink_metadata(&final_dir).is_err() {
        return Ok(done);
    }
    if !is_abandoned(&lock::inside(&final_dir)).map_err(|err| Error::io(&final_dir, err))? {
        return Err(Error::TransactionPending(final_dir));
    }
    // The lock is free: take it, so no other svcgen starts recovering the same transaction.
    let lock_file = lock::inside(&final_dir);
    let _held = fs::File::open(&lock_file)
        .ok()
        .filter(|f| f.try_lock().is_ok());
    if final_dir.join(COMMITTED).exists() {
        discard_finished(&final_dir);
        if fs::symlink_metadata(&final_dir).is_ok() {
            return Err(Error::io(
                &final_dir,
                io::Error::other("a finished transaction could not be removed"),
            ));
        }
        done.push(Recovery::Completed);
        return Ok(done);
    }
    let journal_path = final_dir.join(JOURNAL);
    let journal: Journal = fs::read(&journal_path)
        .map_err(|err| Error::io(&journal_path, err))
        .and_then(|bytes| {
            serde_json::from_slice(&bytes).map_err(|err| Error::Record {
                path: journal_path.clone(),
                message: format!(
                    "unreadable ({err}); the files it set aside are in {}",
                    final_dir.join("old").display()
                ),
            })
        })?;
    if journal.version != JOURNAL_VERSION {
        return Err(Error::Record {
            path: journal_path,
            message: format!(
                "written by another svcgen (journal version {}); recover with that svcgen",
                journal.version
            ),
        });
    }
    let txn = Transaction {
        root,
        dir: &final_dir,
        journal: &journal,
    };
    match txn.roll_back() {
        Ok(files) => {
            done.push(Recovery::RolledBack { files });
            Ok(done)
        }
        Err(problems) => Err(Error::RollbackFailed {
            cause: Box::new(Error::Usage(
                "an interrupted svcgen run left changes half-applied".into(),
            )),
            problems,
            transaction: final_dir,
        }),
    }
}

/// Writes `text` to `path` through a temporary file beside it, so a reader never sees it half
/// written. For svcgen's own files outside a transaction (snapshots, a new blueprint).
pub fn write_file_atomically(path: &Path, text: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(|err| Error::io(dir, err))?;
    temp.write_all(text)
        .map_err(|err| Error::io(temp.path(), err))?;
    temp.persist(path)
        .map_err(|err| Error::io(path, err.error))
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::{FileEntry, Mode, RelPath};

    fn entry(text: &str, mode: Mode) -> FileEntry {
        FileEntry {
            contents: text.as_bytes().to_vec().into(),
            mode,
        }
    }

    /// Every file and folder under `root` with its contents, to compare states.
    fn snapshot(root: &Path) -> Vec<(String, String)> {
        let mut files: Vec<_> = walkdir::WalkDir::new(root)
            .min_depth(1)
            .into_iter()
            .map(|e| e.unwrap())
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
        fs::create_dir_all(root.path().join(".svcgen")).unwrap();
        fs::write(root.path().join("a.txt"), "a1").unwrap();
        fs::write(root.path().join("old/gone.txt"), "g").unwrap();
        fs::write(root.path().join(".svcgen/record.toml"), "r1").unwrap();
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
            Change::Write {
                path: RelPath::new(".svcgen/record.toml").unwrap(),
                before: Some(entry("r1", Mode::Regular)),
                after: entry("r2", Mode::Regular),
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
                (".svcgen".into(), "<dir>".into()),
                (".svcgen/record.toml".into(), "r2".into()),
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
        // 6 renames: gone aside, a aside, a in, run.sh in, record aside, record in.
        for fail_at in 0..6 {
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
        fs::create_dir(root.path().join("blocker-dir")).unwrap();
        fs::write(root.path().join("blocker-dir/inside"), "x").unwrap();
        changes.push(Change::Write {
            path: RelPath::new("blocker-dir").unwrap(),
            before: None,
            after: entry("x", Mode::Regular),
        });
        let before = snapshot(root.path());
        assert!(apply_changes(root.path(), &changes).is_err());
        assert_eq!(snapshot(root.path()), before);
    }

    #[test]
    fn a_file_becomes_a_folder_and_a_folder_a_file() {
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join("config"), "flat").unwrap();
        fs::create_dir_all(root.path().join("settings")).unwrap();
        fs::write(root.path().join("settings/app.toml"), "nested").unwrap();
        let changes = vec![
            Change::Delete {
                path: RelPath::new("config").unwrap(),
                before: entry("flat", Mode::Regular),
            },
            Change::Write {
                path: RelPath::new("config/app.toml").unwrap(),
                before: None,
                after: entry("nested", Mode::Regular),
            },
            Change::Delete {
                path: RelPath::new("settings/app.toml").unwrap(),
                before: entry("nested", Mode::Regular),
            },
            Change::Write {
                path: RelPath::new("settings").unwrap(),
                before: None,
                after: entry("flat", Mode::Regular),
            },
        ];
        let before = snapshot(root.path());
        // 4 renames (two set aside, two placed): undone at every one of them, then done.
        for fail_at in 0..4 {
            let mut calls = 0;
            let result = apply_with(root.path(), &changes, &mut |from, to| {
                calls += 1;
                if calls > fail_at {
                    Err(io::Error::other("disk full"))
                } else {
                    fs::rename(from, to)
                }
            });
            assert!(result.is_err());
            assert_eq!(snapshot(root.path()), before, "failing at rename {fail_at}");
        }
        apply_changes(root.path(), &changes).unwrap();
        assert_eq!(
            fs::read_to_string(root.path().join("config/app.toml")).unwrap(),
            "nested"
        );
        assert_eq!(
            fs::read_to_string(root.path().join("settings")).unwrap(),
            "flat"
        );
    }

    /// What a `kill -9` at any point leaves, and what the next run's recovery makes of it.
    #[test]
    fn recovery_after_a_kill_at_any_step_gives_the_old_tree() {
        for kill_at in 0..6 {
            let (root, changes) = setup();
            let before = snapshot(root.path());
            let mut calls = 0;
            // A panic stands in for the kill: no rollback code runs after it.
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                apply_with(root.path(), &changes, &mut |from, to| {
                    calls += 1;
                    if calls > kill_at {
                        panic!("killed");
                    }
                    fs::rename(from, to)
                })
            }));
            assert!(outcome.is_err(), "the stand-in kill happened at {kill_at}");
            assert!(root.path().join(TRANSACTION_DIR).is_dir());
            let recovered = recover(root.path()).unwrap();
            assert!(
                matches!(recovered[..], [Recovery::RolledBack { .. }]),
                "{recovered:?}"
            );
            assert_eq!(snapshot(root.path()), before, "killed at rename {kill_at}");
        }
    }

    #[test]
    fn a_committed_transaction_is_finished_by_recovery() {
        let (root, changes) = setup();
        apply_changes(root.path(), &changes).unwrap();
        let after = snapshot(root.path());
        let left = root.path().join(TRANSACTION_DIR);
        fs::create_dir_all(left.join("old")).unwrap();
        fs::write(lock::inside(&left), "").unwrap();
        fs::write(left.join("old/0"), "a1").unwrap();
        fs::write(left.join(COMMITTED), "").unwrap();
        assert_eq!(recover(root.path()).unwrap(), [Recovery::Completed]);
        assert_eq!(snapshot(root.path()), after);
    }

    /// A kill while a finished transaction is being deleted leaves its renamed folder with any
    /// part of what it held (here: every subset of marker, journal, an old and a new version).
    /// The new tree stays, and the next run removes the rest. Deleting it in place, as svcgen
    /// once did, could leave a journal without its `committed` marker: rolled back next run.
    #[test]
    fn a_kill_while_a_finished_transaction_is_deleted_keeps_the_new_tree() {
        let parts = [COMMITTED, JOURNAL, "old/0", "new/1"];
        for subset in 0..(1u32 << parts.len()) {
            let (root, changes) = setup();
            apply_changes(root.path(), &changes).unwrap();
            let after = snapshot(root.path());
            let left = root
                .path()
                .join(".svcgen")
                .join(format!("{FINISHED_PREFIX}1-0"));
            fs::create_dir_all(left.join("old")).unwrap();
            fs::create_dir_all(left.join("new")).unwrap();
            for (bit, part) in parts.iter().enumerate() {
                if subset & (1 << bit) != 0 {
                    fs::write(left.join(part), "{}").unwrap();
                }
            }
            assert_eq!(recover(root.path()).unwrap(), [], "subset {subset:b}");
            assert_eq!(snapshot(root.path()), after, "subset {subset:b}");
        }
    }

    #[test]
    fn a_transaction_another_svcgen_holds_is_left_alone() {
        let (root, changes) = setup();
        let held = root.path().join(TRANSACTION_DIR);
        fs::create_dir_all(&held).unwrap();
        let _lock = FolderLock::take(&lock::inside(&held)).unwrap();
        assert!(matches!(
            recover(root.path()),
            Err(Error::TransactionPending(_))
        ));
        assert!(matches!(
            apply_changes(root.path(), &changes),
            Err(Error::TransactionPending(_))
        ));
    }

    #[test]
    fn application_order_puts_deletions_first_and_svcgen_files_last() {
        let (_root, changes) = setup();
        let order: Vec<&str> = application_order(&changes)
            .into_iter()
            .map(|i| changes[i].path().as_str())
            .collect();
        assert_eq!(
            order,
            [
                "old/gone.txt",
                "a.txt",
                "new/dir/run.sh",
                ".svcgen/record.toml"
            ]
        );
    }
}
