//! A service made by svcgen, and the state svcgen keeps in it.
//!
//! `.svcgen/` is committed with the service, so any clone can be updated:
//!
//! - [`record`]: `.svcgen/record.toml`, how the service was made (blueprint, version, answers,
//!   events added);
//! - [`base`]: `.svcgen/base`, what svcgen last generated, the common ancestor of an update;
//! - [`policy`]: which generated files updates merge, write once, or leave alone.
//!
//! [`files`] reads the service's files (or a tree in memory) for planning, and [`State`] is the
//! one place the record and base become files, for every command that writes them.

pub mod base;
pub mod files;
pub mod policy;
pub mod record;

use std::path::{Path, PathBuf};

pub use base::Base;
pub use files::{FileView, WorkDir};
pub use policy::{Policies, Policy};
pub use record::Record;

use crate::apply::{self, Change, Recovery};
use crate::error::{Error, Result};
use crate::tree::{FileEntry, Mode, RelPath, Tree};

/// A service on disk, opened by a command that reads or changes it.
#[derive(Debug)]
pub struct Service {
    pub dir: PathBuf,
    pub record: Record,
    /// What an interrupted svcgen had left here, and was finished or undone on opening.
    pub recovered: Vec<Recovery>,
}

impl Service {
    /// Opens the service in `dir`: first finishes or undoes what an interrupted svcgen left
    /// (see [`apply::recover`]), then reads and checks its record.
    pub fn open(dir: &Path) -> Result<Service> {
        let record_path = dir.join(record::RECORD_PATH);
        if !record_path.is_file() {
            return Err(Error::NotAService(dir.to_owned()));
        }
        let recovered = apply::recover(dir)?;
        let record = Record::read(dir)?;
        Ok(Service {
            dir: dir.to_owned(),
            record,
            recovered,
        })
    }

    /// The service's name, from its record.
    pub fn name(&self) -> Result<&str> {
        self.record.service_name().ok_or_else(|| Error::Record {
            path: self.dir.join(record::RECORD_PATH),
            message: "has no `name` answer; add `name = \"<service>\"` under [answers]".into(),
        })
    }

    /// Where the record says the blueprint is, usable from anywhere: a directory recorded
    /// relative to the service is resolved against its folder.
    pub fn blueprint_source(&self) -> crate::blueprint::source::BlueprintSource {
        self.record.blueprint.source.resolved_against(&self.dir)
    }

    /// The stored base; `None` when the service has none.
    pub fn base(&self) -> Result<Option<Base>> {
        Base::read(&self.dir)
    }

    pub fn files(&self) -> WorkDir {
        WorkDir::new(&self.dir)
    }

    /// Paths with uncommitted changes; empty when the service is not in a git repository.
    pub fn uncommitted(&self) -> Result<Vec<String>> {
        Ok(crate::git::dirty_paths(&self.dir)?.unwrap_or_default())
    }
}

/// What svcgen keeps in `.svcgen/` after a command: the record, and the base when the service
/// has one. Serialised here and nowhere else.
pub struct State<'a> {
    pub record: &'a Record,
    pub base: Option<&'a Base>,
}

impl State<'_> {
    /// svcgen's own files holding this state.
    pub fn files(&self) -> Vec<(RelPath, FileEntry)> {
        let mut files = vec![(
            RelPath::new(record::RECORD_PATH).expect("constant path is valid"),
            FileEntry {
                contents: self.record.to_toml().into_bytes().into(),
                mode: Mode::Regular,
            },
        )];
        if let Some(base) = self.base {
            files.extend(base.files());
        }
        files
    }

    /// Adds the state's files to a rendered tree, so they are written and committed with it.
    pub fn add_to(&self, tree: &mut Tree) {
        for (path, file) in self.files() {
            tree.insert(path, file);
        }
    }

    /// The changes that bring `current`'s copy of the state to this one. A file already saying
    /// the same keeps its bytes and mode.
    pub fn changes_from(&self, current: &dyn FileView) -> Result<Vec<Change>> {
        let mut changes = Vec::new();
        for (path, mut after) in self.files() {
            let before = current.read(&path)?;
            if let Some(before) = &before {
                if before.contents == after.contents || self.says_the_same(&path, before) {
                    continue;
                }
                after.mode = before.mode;
            }
            changes.extend(Change::between(path, before, Some(after)));
        }
        Ok(changes)
    }

    /// A record formatted by hand but saying what this state says is left as it is.
    fn says_the_same(&self, path: &RelPath, file: &FileEntry) -> bool {
        path.as_str() == record::RECORD_PATH
            && std::str::from_utf8(&file.contents)
                .ok()
                .and_then(|text| Record::parse(text, Path::new(record::RECORD_PATH)).ok())
                .is_some_and(|current| current == *self.record)
    }
}
