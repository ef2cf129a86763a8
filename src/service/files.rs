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
    /// The file at `path`, or `None` when there is none (or a folder is there). A symbolic link
    /// is a file of [`Mode::Symlink`] holding its target, and so is anything inside a linked
    /// folder: svcgen never writes through a link.
    fn read(&self, path: &RelPath) -> Result<Option<FileEntry>>;
    /// Names of the files (not folders) directly inside `dir`, sorted.
    fn list_files(&self, dir: &str) -> Result<Vec<String>>;
    /// Whether `path` is a file that is not a symbolic link (nor inside a linked folder),
    /// without reading it.
    fn is_plain_file(&self, path: &RelPath) -> Result<bool> {
        Ok(self
            .read(path)?
            .is_some_and(|file| file.mode != Mode::Symlink))
    }
    /// Whether `path` is a folder.
    fn is_dir(&self, path: &RelPath) -> Result<bool>;
    /// Every file (not folder) below the folder `dir`, at any depth.
    fn files_under(&self, dir: &RelPath) -> Result<Vec<RelPath>>;
    /// The bytes of the git blob `id`, where the view can find them (a service's history holds
    /// every version svcgen committed, so a base entry kept by id only can still be merged
    /// against).
    fn read_blob(&self, _id: &str) -> Result<Option<Vec<u8>>> {
        Ok(None)
    }
    /// Where the team moved `path` to, as git's rename detection sees it in the service's
    /// history; `None` when it was not moved, or there is no history to tell.
    fn moved_to(&self, _path: &RelPath) -> Result<Option<RelPath>> {
        Ok(None)
    }
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

    fn is_dir(&self, path: &RelPath) -> Result<bool> {
        let prefix = format!("{path}/");
        Ok(self
            .iter()
            .any(|(file, _)| file.as_str().starts_with(&prefix)))
    }

    fn files_under(&self, dir: &RelPath) -> Result<Vec<RelPath>> {
        let prefix = format!("{dir}/");
        Ok(self
            .iter()
            .filter(|(file, _)| file.as_str().starts_with(&prefix))
            .map(|(file, _)| file.clone())
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
        // First: a missing file inside a linked folder is still behind the link.
        if let Some(link) = self.linked_ancestor(path)? {
            return Ok(Some(link));
        }
        let full = self.root.join(path.to_path_buf());
        let metadata = match fs::symlink_metadata(&full) {
            Ok(metadata) => metadata,
            Err(err) if matches!(err.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
                return Ok(None);
            }
            Err(err) => return Err(Error::io(full, err)),
        };
        if metadata.file_type().is_symlink() {
            let target = fs::read_link(&full).map_err(|err| Error::io(&full, err))?;
            return Ok(Some(FileEntry {
                contents: target.to_string_lossy().into_owned().into_bytes().into(),
                mode: Mode::Symlink,
            }));
        }
        if metadata.is_dir() {
            return Ok(None);
        }
        let contents = fs::read(&full).map_err(|err| Error::io(&full, err))?;
        Ok(Some(FileEntry {
            contents: contents.into(),
            mode: mode_of(&metadata),
        }))
    }

    fn is_plain_file(&self, path: &RelPath) -> Result<bool> {
        if self.linked_ancestor(path)?.is_some() {
            return Ok(false);
        }
        let full = self.root.join(path.to_path_buf());
        match fs::symlink_metadata(&full) {
            Ok(metadata) => Ok(metadata.file_type().is_file()),
            Err(err) if matches!(err.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
                Ok(false)
            }
            Err(err) => Err(Error::io(full, err)),
        }
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

    fn is_dir(&self, path: &RelPath) -> Result<bool> {
        let full = self.root.join(path.to_path_buf());
        Ok(fs::symlink_metadata(full).is_ok_and(|m| m.is_dir()))
    }

    fn read_blob(&self, id: &str) -> Result<Option<Vec<u8>>> {
        Ok(crate::git::read_blob(&self.root, id))
    }

    fn moved_to(&self, path: &RelPath) -> Result<Option<RelPath>> {
        Ok(crate::git::moved_to(&self.root, path.as_str())
            .and_then(|moved| RelPath::new(&moved).ok()))
    }

    fn files_under(&self, dir: &RelPath) -> Result<Vec<RelPath>> {
        let full = self.root.join(dir.to_path_buf());
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(&full).min_depth(1) {
            let entry = entry.map_err(|err| Error::io(&full, err.into()))?;
            if entry.file_type().is_dir() {
                continue;
            }
            let relative = entry
                .path()
                .strip_prefix(&self.root)
                .expect("walked below the root");
            let text: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if let Ok(path) = RelPath::new(&text.join("/")) {
                files.push(path);
            }
        }
        files.sort();
        Ok(files)
    }
}

impl WorkDir {
    /// A folder above `path` that is a symbolic link, as the link it is: what lies inside is
    /// somewhere else, which svcgen neither merges nor writes.
    fn linked_ancestor(&self, path: &RelPath) -> Result<Option<FileEntry>> {
        let text = path.as_str();
        for (end, _) in text.match_indices('/') {
            let folder = self.root.join(&text[..end]);
            match fs::symlink_metadata(&folder) {
                Ok(metadata) if metadata.file_type().is_symlink() => {
                    let target = fs::read_link(&folder).map_err(|err| Error::io(&folder, err))?;
                    return Ok(Some(FileEntry {
                        contents: target.to_string_lossy().into_owned().into_bytes().into(),
                        mode: Mode::Symlink,
                    }));
                }
                Ok(_) => {}
                Err(_) => return Ok(None),
            }
        }
        Ok(None)
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
