//! Read access to a repository's files, on disk or in memory.
//!
//! Commands that change an existing service (`add-event`, `update`) plan against a [`FileView`]
//! instead of the disk, so the same planning code runs on a working tree and on a tree rendered
//! in memory (an update replays recorded events on the new render before merging).

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::tree::{FileEntry, Mode, RelPath, Tree};

pub trait FileView {
    /// The file at `path`, or `None` when there is none.
    fn read(&self, path: &RelPath) -> Result<Option<FileEntry>>;
    /// Names of the files (not folders) directly inside `dir`, sorted.
    fn list_files(&self, dir: &str) -> Result<Vec<String>>;
}

impl FileView for Tree {
    fn read(&self, path: &RelPath) -> Result<Option<FileEntry>> {
        Ok(self.get(path.as_str()).cloned())
    }

    fn list_files(&self, dir: &str) -> Result<Vec<String>> {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        Ok(self
            .iter()
            .filter_map(|(path, _)| {
                let rest = path.as_str().strip_prefix(&prefix)?;
                (!rest.contains('/')).then(|| rest.to_owned())
            })
            .collect())
    }
}

/// A repository on disk, read lazily: only the files a plan asks for are read, so a `target/`
/// folder of gigabytes costs nothing.
pub struct WorkDir {
    root: PathBuf,
}

impl WorkDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        WorkDir { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl FileView for WorkDir {
    fn read(&self, path: &RelPath) -> Result<Option<FileEntry>> {
        let full = self.root.join(path.to_path_buf());
        let contents = match fs::read(&full) {
            Ok(contents) => contents,
            Err(err) if matches!(err.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
                return Ok(None);
            }
            Err(err) => return Err(Error::io(full, err)),
        };
        let metadata = fs::metadata(&full).map_err(|err| Error::io(&full, err))?;
        Ok(Some(FileEntry {
            contents,
            mode: mode_of(&metadata),
        }))
    }

    fn list_files(&self, dir: &str) -> Result<Vec<String>> {
        let full = self.root.join(dir);
        let entries = match fs::read_dir(&full) {
            Ok(entries) => entries,
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(Error::io(full, err)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|err| Error::io(&full, err))?;
            if entry.file_type().map(|t| t.is_file()).unwrap_or(false)
                && let Some(name) = entry.file_name().to_str()
            {
                names.push(name.to_owned());
            }
        }
        names.sort();
        Ok(names)
    }
}

#[cfg(unix)]
fn mode_of(metadata: &fs::Metadata) -> Mode {
    use std::os::unix::fs::PermissionsExt;
    Mode::from_unix(metadata.permissions().mode())
}

#[cfg(not(unix))]
fn mode_of(_: &fs::Metadata) -> Mode {
    Mode::Regular
}
