//! `svcgen update`: bring a service to a newer blueprint version without losing its edits.
//!
//! Like every command, an update computes first and applies last:
//!
//! 1. [`target`] picks the blueprint version to update to.
//! 2. [`migrate`] turns the recorded answers into answers of that version; new variables are
//!    asked (or take their defaults).
//! 3. The new version is rendered and the recorded `add-event`s and `add-client`s are made
//!    again on it ([`PartReplay`]): that is "theirs".
//! 4. [`plan`] merges, file by file, the stored [`base`] (what svcgen last wrote), "ours" (the
//!    service as it is) and theirs, under each file's [`policy`], into a [`plan::Plan`].
//! 5. [`crate::apply`] writes the plan, the new record and the new base all or nothing.

pub mod merge;
pub mod migrate;
pub mod plan;
pub mod target;

use std::path::Path;

use serde::Serialize;

use crate::answers::GivenAnswers;
use crate::apply::Change;
use crate::blueprint::Blueprint;
use crate::error::{Error, Result};
use crate::render::render;
use crate::resolve::{Prompter, resolve_answers};
use crate::service::State;
use crate::service::base::{BASE_PATH, Base, is_svcgen_file};
use crate::service::files::{FileView, WorkDir};
use crate::service::policy::{Policies, renames_for};
use crate::service::record::{BlueprintRef, FORMAT_VERSION, RECORD_PATH, Record};
use crate::tree::Tree;
use merge::Labels;
use plan::{Plan, PlanInput};
use target::Target;

/// Makes a service's recorded `add-event`s and `add-client`s again on a fresh render. The seam
/// between update and the parts' engines: [`RecordedParts`] is the real one, tests may plug in
/// their own. `service` shows the service's files (clients read the contracts it keeps).
pub trait PartReplay: Sync {
    fn replay(
        &self,
        blueprint: &Blueprint,
        record: &Record,
        service: &dyn FileView,
        tree: Tree,
    ) -> Result<Tree>;
}

/// Replays events and clients with [`crate::generate::replay_parts`], the same planning
/// `add-event` and `add-client` run.
pub struct RecordedParts;

impl PartReplay for RecordedParts {
    fn replay(
        &self,
        blueprint: &Blueprint,
        record: &Record,
        service: &dyn FileView,
        tree: Tree,
    ) -> Result<Tree> {
        crate::generate::replay_parts(blueprint, record, service, tree)
    }
}

pub struct UpdateOptions<'a> {
    /// `--set` answers: win over recorded (and migrated) ones.
    pub overrides: &'a GivenAnswers,
    /// Asks for variables that have no answer yet; `None` takes their defaults.
    pub prompter: Option<&'a mut dyn Prompter>,
    pub replay: &'a dyn PartReplay,
}

/// A computed update, not yet applied.
#[derive(Debug, Clone)]
pub struct Update {
    pub service: String,
    pub blueprint: String,
    pub from: semver::Version,
    pub to: semver::Version,
    pub plan: Plan,
    /// Every change to make, the record and the base included.
    pub changes: Vec<Change>,
    pub record: Record,
    pub migrations: Vec<semver::Version>,
    pub dropped_answers: Vec<String>,
    /// Things to tell the user that are not errors.
    pub warnings: Vec<String>,
}

impl Update {
    /// Nothing to write at all: the second run of the same update.
    pub fn is_noop(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn conflicts(&self) -> usize {
        self.plan.conflicts()
    }

    /// `2 updated, 1 merged, 40 unchanged`: how many files had each outcome.
    pub fn counts(&self) -> String {
        let mut counts: Vec<(plan::Outcome, usize)> = Vec::new();
        for file in &self.plan.files {
            match counts.iter_mut().find(|(o, _)| *o == file.outcome) {
                Some((_, n)) => *n += 1,
                None => counts.push((file.outcome, 1)),
            }
        }
        counts.sort_by_key(|(outcome, _)| *outcome as u8);
        let mut parts: Vec<String> = counts
            .iter()
            .map(|(outcome, n)| format!("{n} {}", outcome.as_str()))
            .collect();
        let renamed = self
            .plan
            .files
            .iter()
            .filter(|f| f.renamed_from.is_some())
            .count();
        if renamed > 0 {
            parts.push(format!("{renamed} renamed"));
        }
        parts.push(format!("{} unchanged", self.plan.unchanged));
        parts.join(", ")
    }

    /// The plan as `--plan json` prints it.
    pub fn summary(&self, applied: bool) -> PlanSummary<'_> {
        PlanSummary {
            service: &self.service,
            blueprint: &self.blueprint,
            from: self.from.to_string(),
            to: self.to.to_string(),
            applied,
            migrations: self.migrations.iter().map(ToString::to_string).collect(),
            dropped_answers: &self.dropped_answers,
            files: &self.plan.files,
            unchanged: self.plan.unchanged,
            conflicts: self.conflicts(),
            warnings: &self.warnings,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PlanSummary<'a> {
    pub service: &'a str,
    pub blueprint: &'a str,
    pub from: String,
    pub to: String,
    /// False for `--dry-run`.
    pub applied: bool,
    pub migrations: Vec<String>,
    pub dropped_answers: &'a [String],
    pub files: &'a [plan::FilePlan],
    pub unchanged: usize,
    pub conflicts: usize,
    pub warnings: &'a [String],
}

/// Plans updating the service in `dir` (whose record is `record`) to `target`.
pub fn plan_update(
    dir: &Path,
    record: &Record,
    target: &Target,
    options: UpdateOptions<'_>,
) -> Result<Update> {
    let blueprint = &target.blueprint;
    let manifest = &blueprint.manifest;
    let manifest_file = blueprint.manifest_path();
    let from = record.blueprint.version.clone();
    let to = manifest.version.clone();
    let mut warnings = Vec::new();
    if record.blueprint.name != manifest.name {
        warnings.push(format!(
            "the service was made from blueprint `{}`, the target is named `{}`",
            record.blueprint.name, manifest.name
        ));
    }

    let service = record
        .service_name()
        .ok_or_else(|| Error::Record {
            path: dir.join(RECORD_PATH),
            message: "has no `name` answer".into(),
        })?
        .to_owned();

    let migrated = migrate::migrate_answers(&record.answers, manifest, &manifest_file, &from)?;
    let mut given = migrated.answers.clone();
    for name in options.overrides.names() {
        let value = options.overrides.get(name).expect("listed").clone();
        given.insert(name.to_owned(), value);
    }
    let answers = resolve_answers(
        manifest,
        &manifest_file,
        &service,
        &GivenAnswers::from_values(given),
        options.prompter,
    )?;

    let new_record = Record {
        format_version: FORMAT_VERSION,
        svcgen_version: env!("CARGO_PKG_VERSION").to_owned(),
        blueprint: BlueprintRef {
            name: manifest.name.clone(),
            version: to.clone(),
            source: target.source.for_record_in(dir),
            commit: target.commit.clone(),
        },
        answers: answers.clone(),
        events: record.events.clone(),
        clients: record.clients.clone(),
        drift: record.drift.clone(),
        repository: record.repository.clone(),
    };

    let rendered = render(blueprint, &answers)?;
    let mut theirs = options
        .replay
        .replay(blueprint, &new_record, &WorkDir::new(dir), rendered)?;
    theirs.retain(|path, _| !is_svcgen_file(path));

    let policies = Policies::compile(manifest, &manifest_file, &answers)?;
    let renames = renames_for(&manifest.renames, &manifest_file, &answers, &from)?;
    let base = match Base::read(dir)? {
        Some(base) => base,
        // Made by an svcgen that kept no base: at the same version, the render is the base.
        None if from == to => Base::from_tree(&theirs, |path| policies.of(path.as_str())),
        None => {
            return Err(Error::Record {
                path: dir.join(BASE_PATH),
                message: format!(
                    "missing: it holds what svcgen generated last (blueprint {} {from}), which \
                     an update merges your files against. If it was deleted, restore it from \
                     git (`git checkout HEAD -- {BASE_PATH}`; `git log -- {BASE_PATH}` finds \
                     older copies). Otherwise rebuild it with `svcgen update --to {from}` (it \
                     renders {from} again, so that version must still be available), then update",
                    record.blueprint.name
                ),
            });
        }
    };
    for damaged in &base.damaged {
        warnings.push(format!(
            "{BASE_PATH}: the entry for `{damaged}` was edited by hand and is ignored; \
             if you and the blueprint both changed that file it is treated as a conflict"
        ));
    }

    let labels = Labels {
        base: format!("blueprint {} {from}", manifest.name),
        ours: merge::OURS_LABEL.to_owned(),
        theirs: format!("blueprint {} {to}", manifest.name),
    };
    let ours = WorkDir::new(dir);
    let plan = plan::plan(&PlanInput {
        base: &base,
        ours: &ours,
        theirs: &theirs,
        policies: &policies,
        renames: &renames,
        labels: &labels,
    })?;

    let mut changes = plan.changes.clone();
    let state = State {
        record: &new_record,
        base: Some(&plan.base),
    };
    changes.extend(state.changes_from(&ours)?);
    changes.sort_by(|a, b| a.path().cmp(b.path()));

    Ok(Update {
        service,
        blueprint: manifest.name.clone(),
        from,
        to,
        plan,
        changes,
        record: new_record,
        migrations: migrated.applied,
        dropped_answers: migrated.dropped,
        warnings,
    })
}

/// Writes an update all or nothing.
pub fn apply_update(dir: &Path, update: &Update) -> Result<()> {
    crate::apply::apply_changes(dir, &update.changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blueprint::SourceFile;
    use crate::blueprint::source::BlueprintSource;
    use crate::resolve::resolve_answers;
    use crate::tree::{Mode, RelPath};

    fn blueprint(version: &str, main: &str) -> Blueprint {
        let file = |path: &str, text: &str| SourceFile {
            path: path.to_owned(),
            contents: text.as_bytes().to_vec().into(),
            mode: Mode::Regular,
        };
        Blueprint::from_files(
            "bp",
            vec![
                file(
                    "blueprint.toml",
                    &format!("[blueprint]\nname = \"bp\"\nversion = \"{version}\"\n"),
                ),
                file("template/main.txt", main),
            ],
        )
        .unwrap()
    }

    /// A replay that stands in for the events engine: appends one line per recorded event.
    struct AppendLine;

    impl PartReplay for AppendLine {
        fn replay(
            &self,
            _: &Blueprint,
            record: &Record,
            _: &dyn FileView,
            mut tree: Tree,
        ) -> Result<Tree> {
            let path = RelPath::new("main.txt").unwrap();
            let mut file = tree.get(path.as_str()).unwrap().clone();
            let mut contents = file.contents.to_vec();
            for event in &record.events {
                contents.extend_from_slice(format!("event {}\n", event.name).as_bytes());
            }
            file.contents = contents.into();
            tree.insert(path, file);
            Ok(tree)
        }
    }

    #[test]
    fn recorded_events_are_replayed_through_the_given_seam() {
        let v1 = blueprint("1.0.0", "top\nmiddle\nbottom\n");
        let answers =
            resolve_answers(&v1.manifest, "bp", "svc", &GivenAnswers::default(), None).unwrap();
        let mut record = Record::new(&v1, &BlueprintSource::Path("bp".into()), None, &answers);
        record.events.push(crate::service::record::EventRecord {
            name: "Shipped".into(),
            role: crate::service::record::EventRole::Producer,
            fields: vec![],
            from: None,
            field_lines: Default::default(),
        });
        // What `new` then `add-event` left: the event's line, in the files and in the base.
        let made = AppendLine
            .replay(
                &v1,
                &record,
                &crate::service::files::WorkDir::new(std::path::Path::new("/nonexistent")),
                render(&v1, &answers).unwrap(),
            )
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut on_disk = made.clone();
        let base = Base::from_tree(&made, |_| crate::service::policy::Policy::Managed);
        State {
            record: &record,
            base: Some(&base),
        }
        .add_to(&mut on_disk);
        crate::apply::write_tree(&on_disk, dir.path()).unwrap();

        let target = Target {
            blueprint: blueprint("2.0.0", "TOP\nmiddle\nbottom\n"),
            source: BlueprintSource::Path("bp".into()),
            commit: None,
            offline: false,
            unreadable_tags: Vec::new(),
        };
        let update = plan_update(
            dir.path(),
            &record,
            &target,
            UpdateOptions {
                overrides: &GivenAnswers::default(),
                prompter: None,
                replay: &AppendLine,
            },
        )
        .unwrap();
        apply_update(dir.path(), &update).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("main.txt")).unwrap(),
            "TOP\nmiddle\nbottom\nevent Shipped\n",
            "the blueprint's change lands, the replayed event stays, nothing conflicts"
        );
        assert_eq!(update.plan.files.len(), 1);
        assert_eq!(update.plan.files[0].outcome, plan::Outcome::Updated);
        assert_eq!(update.record.events, record.events);
    }
}
