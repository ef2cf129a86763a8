//! `svcgen add-event`: a published or consumed event, added to a service made by svcgen.

use std::path::{Path, PathBuf};

use super::Context;
use crate::apply::{self, Change, Recovery};
use crate::blueprint::source::BlueprintSource;
use crate::error::{Error, Result};
use crate::events::{EventSpec, EventsPart, FieldSpec, plan_add_event, schema};
use crate::name;
use crate::part::base::with_state;
use crate::service::record::EventRole;
use crate::service::{Record, Service};

pub struct AddEventOptions<'a> {
    pub dir: &'a Path,
    /// PascalCase: `ProductChanged`.
    pub event: &'a str,
    pub role: EventRole,
    /// `name:type` pairs, in order.
    pub fields: &'a [String],
    /// The producing service, for a consumer.
    pub from: Option<&'a str>,
    /// The producer's JSON Schema contract, to take the fields from.
    pub schema: Option<&'a Path>,
    pub dry_run: bool,
    pub allow_dirty: bool,
}

/// What adding the event did (or, with `dry_run`, would do).
#[derive(Debug)]
pub struct EventAdded {
    pub dir: PathBuf,
    pub event: String,
    pub role: EventRole,
    /// Every change, svcgen's own files (record, base) included; empty when the event was
    /// already there as asked.
    pub changes: Vec<Change>,
    pub applied: bool,
    pub recovered: Vec<Recovery>,
    pub warnings: Vec<String>,
}

impl EventAdded {
    /// The changes to the service's own files, leaving out svcgen's state.
    pub fn file_changes(&self) -> impl Iterator<Item = &Change> {
        self.changes
            .iter()
            .filter(|change| !crate::service::base::is_svcgen_file(change.path()))
    }
}

pub fn add_event(options: AddEventOptions<'_>, context: &Context) -> Result<EventAdded> {
    let service = Service::open(options.dir)?;
    let record = &service.record;
    let mut warnings = Vec::new();

    let source = pinned_source(record).resolved_against(options.dir);
    super::update::locate_recorded(&service, &source)?;
    let loaded = source
        .load(&context.cache_dir)
        .map_err(|err| super::update::if_lost(&service, err))?;
    let blueprint = &loaded.blueprint;
    warnings.extend(version_warning(record, blueprint, "the event code"));
    let part = EventsPart::from_blueprint(blueprint)?.ok_or_else(|| Error::NoEventsPart {
        blueprint: blueprint.origin.clone(),
    })?;
    let types = part.type_names();

    if let Some(from) = options.from {
        name::validate_service_name(from)?;
    }
    // The name first, so a bad name is the error shown.
    crate::events::spec::validate_event_name(options.event)?;
    let fields = match options.schema {
        Some(path) => schema::fields_from_schema(path, &types, &part.reserved_fields)?,
        None => options
            .fields
            .iter()
            .map(|spec| FieldSpec::parse(spec, &types))
            .collect::<Result<Vec<_>>>()?,
    };
    let spec = EventSpec::new(
        options.event,
        options.role,
        fields,
        options.from.map(str::to_owned),
        &part.reserved_fields,
    )?;

    if !options.dry_run && !options.allow_dirty {
        let dirty = service.uncommitted()?;
        if !dirty.is_empty() {
            return Err(Error::DirtyTree(dirty));
        }
    }

    let files = service.files();
    let plan = plan_add_event(&part, record, &spec, &files)?;
    let mut added = EventAdded {
        dir: service.dir.clone(),
        event: spec.name.clone(),
        role: options.role,
        changes: Vec::new(),
        applied: false,
        recovered: service.recovered,
        warnings,
    };
    if plan.is_empty() {
        return Ok(added);
    }

    // The base follows the event too (see `part::base`).
    added.changes = with_state(
        options.dir,
        blueprint,
        record,
        &plan.record,
        plan.changes,
        |view| Ok(plan_add_event(&part, record, &spec, view)?.changes),
        &mut added.warnings,
    )?;
    if !options.dry_run {
        apply::apply_changes(options.dir, &added.changes)?;
        added.applied = true;
    }
    Ok(added)
}

/// A warning when the blueprint loaded is not the version the service is on: `what` (the event
/// code, the client) follows the loaded one, the rest of the service waits for `svcgen update`.
pub(crate) fn version_warning(
    record: &Record,
    blueprint: &crate::blueprint::Blueprint,
    what: &str,
) -> Option<String> {
    (blueprint.manifest.version != record.blueprint.version).then(|| {
        format!(
            "this service was made with blueprint {} {}, and {} {} is what is available; \
             {what} follows {}. Run `svcgen update` to bring the rest along",
            record.blueprint.name,
            record.blueprint.version,
            blueprint.manifest.name,
            blueprint.manifest.version,
            blueprint.manifest.version
        )
    })
}

/// The blueprint the service was made from, pinned to the exact commit for git sources, so event
/// code matches the anchors and conventions of the version the service is on.
pub(crate) fn pinned_source(record: &Record) -> BlueprintSource {
    match (&record.blueprint.source, &record.blueprint.commit) {
        (BlueprintSource::Git { url, subdir, .. }, Some(commit)) => BlueprintSource::Git {
            url: url.clone(),
            reference: Some(commit.clone()),
            subdir: subdir.clone(),
        },
        (source, _) => source.clone(),
    }
}
