//! Keeping the base in step with `svcgen add-event`.
//!
//! The base must be what svcgen generated, never the team's edits: were `add-event` to store
//! the files it changed as it left them on disk, edits already in those files would become
//! "what the blueprint wrote" and the next update would take them back out. So the event is
//! planned a second time, against the base itself, and that result is stored.

use std::path::Path;

use crate::apply::Change;
use crate::blueprint::Blueprint;
use crate::error::Result;
use crate::events::{EventSpec, EventsPart, plan_add_event};
use crate::service::base::{Base, BaseEntry, is_svcgen_file};
use crate::service::files::{FileView, WorkDir};
use crate::service::policy::Policies;
use crate::service::record::Record;
use crate::tree::{FileEntry, RelPath, Tree};

/// The base as files: stored content where the base has it, the service's own file otherwise
/// (binary, seed and user files, which are never merged, and files svcgen did not make). Folder
/// listings are the service's, so migrations are numbered as they are in the service.
struct BaseView {
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

/// The service's base once `spec` is added to the service in `dir`: `None` when the service has
/// no base (nothing to keep in step).
pub fn base_after_add_event(
    dir: &Path,
    blueprint: &Blueprint,
    part: &EventsPart,
    record: &Record,
    spec: &EventSpec,
) -> Result<Option<Base>> {
    let Some(mut base) = Base::read(dir)? else {
        return Ok(None);
    };
    let view = BaseView {
        stored: base.content_tree(),
        service: WorkDir::new(dir),
    };
    let plan = plan_add_event(part, record, spec, &view)?;
    let policies = Policies::compile(
        &blueprint.manifest,
        &blueprint.manifest_path(),
        &record.answers,
    )?;
    for change in &plan.changes {
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
