//! Keeping the base in step with `svcgen add-event`.
//!
//! The base must be what svcgen generated, never the team's edits: were `add-event` to store
//! the files it changed as it left them on disk, edits already in those files would become
//! "what the blueprint wrote" and the next update would take them back out. So the event is
//! planned a second time, against the base itself, and that result is stored.

use std::path::Path;

use super::base::{BASE_PATH, Base, BaseEntry, is_svcgen_file};
use super::policy::Policies;
use crate::blueprint::Blueprint;
use crate::error::Result;
use crate::events::{EventSpec, EventsPart, plan_add_event};
use crate::record::Record;
use crate::tree::{FileEntry, Mode, RelPath, Tree};
use crate::workdir::{FileView, WorkDir};

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
}

/// The new `.svcgen/base` once `spec` is added to the service in `dir`: `None` when the service
/// has no base (nothing to keep in step) or the base would not change.
pub fn base_after_add_event(
    dir: &Path,
    blueprint: &Blueprint,
    part: &EventsPart,
    record: &Record,
    spec: &EventSpec,
) -> Result<Option<(RelPath, Option<FileEntry>, FileEntry)>> {
    let Some(mut base) = Base::read(dir)? else {
        return Ok(None);
    };
    let view = BaseView {
        stored: base.content_tree(),
        service: WorkDir::new(dir),
    };
    let plan = plan_add_event(part, record, spec, &view)?;
    if plan.is_empty() {
        return Ok(None);
    }
    let policies = Policies::compile(
        &blueprint.manifest,
        &blueprint.manifest_path(),
        &record.answers,
    )?;
    for change in &plan.changes {
        if !is_svcgen_file(&change.path) {
            let policy = policies.of(change.path.as_str());
            base.insert(change.path.clone(), BaseEntry::new(policy, &change.after));
        }
    }
    let path = RelPath::new(BASE_PATH).expect("constant path is valid");
    let before = WorkDir::new(dir).read(&path)?;
    let after = FileEntry {
        contents: base.to_text().into_bytes(),
        mode: before.as_ref().map_or(Mode::Regular, |b| b.mode),
    };
    if before.as_ref().map(|b| &b.contents) == Some(&after.contents) {
        return Ok(None);
    }
    Ok(Some((path, before, after)))
}
