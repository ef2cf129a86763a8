//! Keeping the base in step with what a part adds (`add-event`, `add-client`).
//!
//! The base must be what svcgen generated, never the team's edits: were a part's command to
//! store the files it changed as it left them on disk, edits already in those files would
//! become "what the blueprint wrote" and the next update would take them back out. So the
//! part's changes are planned a second time, against the base itself, and that result is stored.

use std::path::Path;

use crate::apply::Change;
use crate::blueprint::Blueprint;
use crate::error::Result;
use crate::service::State;
use crate::service::base::{Base, BaseEntry, is_svcgen_file};
use crate::service::files::{FileView, WorkDir};
use crate::service::policy::Policies;
use crate::service::record::Record;
use crate::tree::{FileEntry, RelPath, Tree};

/// The base as files: stored content where the base has it, the service's own file otherwise
/// (binary, seed and user files, which are never merged, and files svcgen did not make). Folder
/// listings are the service's, so migrations are numbered as they are in the service.
pub struct BaseView {
    stored: Tree,
    service: WorkDir,
}

impl FileView for BaseView {
    fn read(&self, path: &RelPath) -> Result<Option<FileEntry>> {
        if let Some(file) = self.stored.get(path.as_str()) {
            return Ok(Some(file.clone()));
        }
        self.service.read(path)
    }

    fn list_files(&self, dir: &str) -> Result<Vec<String>> {
        self.service.list_files(dir)
    }

    fn is_dir(&self, path: &RelPath) -> Result<bool> {
        self.service.is_dir(path)
    }

    fn files_under(&self, dir: &RelPath) -> Result<Vec<RelPath>> {
        self.service.files_under(dir)
    }

    fn read_blob(&self, id: &str) -> Result<Option<Vec<u8>>> {
        self.service.read_blob(id)
    }

    fn moved_to(&self, path: &RelPath) -> Result<Option<RelPath>> {
        self.service.moved_to(path)
    }
}

/// The service's base once the changes `plan` makes to a view of it are made: `None` when the
/// service in `dir` has no base (nothing to keep in step).
pub fn base_after(
    dir: &Path,
    blueprint: &Blueprint,
    record: &Record,
    plan: impl FnOnce(&dyn FileView) -> Result<Vec<Change>>,
) -> Result<Option<Base>> {
    let Some(mut base) = Base::read(dir)? else {
        return Ok(None);
    };
    let view = BaseView {
        stored: base.content_tree(),
        service: WorkDir::new(dir),
    };
    let changes = plan(&view)?;
    let policies = Policies::compile(
        &blueprint.manifest,
        &blueprint.manifest_path(),
        &record.answers,
    )?;
    for change in &changes {
        if let Change::Write { path, after, .. } = change
            && !is_svcgen_file(path)
        {
            base.insert(
                path.clone(),
                BaseEntry::new(policies.of(path.as_str()), after),
            );
        }
    }
    Ok(Some(base))
}

/// A part's `changes` to the service in `dir` with svcgen's own files added: the record
/// `after`, and the base kept in step by planning the part again on it (`replan`). A base that
/// cannot take them only costs a later update some conflicts, so that is a warning, pushed onto
/// `warnings`, not an error.
pub fn with_state(
    dir: &Path,
    blueprint: &Blueprint,
    before: &Record,
    after: &Record,
    mut changes: Vec<Change>,
    replan: impl FnOnce(&dyn FileView) -> Result<Vec<Change>>,
    warnings: &mut Vec<String>,
) -> Result<Vec<Change>> {
    let base = match base_after(dir, blueprint, before, replan) {
        Ok(base) => base,
        Err(err) => {
            warnings.push(format!(
                "could not keep .svcgen/base in step ({err}); a later `svcgen update` may report conflicts in the files this changed"
            ));
            Base::read(dir).ok().flatten()
        }
    };
    let state = State {
        record: after,
        base: base.as_ref(),
    };
    changes.extend(state.changes_from(&WorkDir::new(dir))?);
    changes.sort_by(|a, b| a.path().cmp(b.path()));
    Ok(changes)
}
