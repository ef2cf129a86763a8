//! `svcgen check`: is a service on the newest version of its blueprint?
//!
//! `check` answers what `update` would do: it plans the update (writing nothing) and calls the
//! service behind when the plan changes any of its files. So a blueprint that moved without a
//! version bump (a new commit on a followed branch, a tag moved, a built-in changed in place)
//! is noticed, and check and update never disagree.

use std::path::Path;

use super::Context;
use crate::answers::GivenAnswers;
use crate::error::Result;
use crate::service::base::is_svcgen_file;
use crate::service::files::FileView;
use crate::service::{Policy, Service};
use crate::update::merge::has_update_conflict_markers;
use crate::update::target::Target;

/// Where a service stands against its blueprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Standing {
    /// Nothing for `update` to do.
    UpToDate,
    /// A newer version is available.
    Behind,
    /// The same version, with other content: `update` would change files.
    ChangedWithoutVersionBump,
}

/// A generated file the team changed away from what svcgen generated.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Drift {
    pub path: String,
    pub kind: DriftKind,
    /// Listed in the record's `[drift] allow`: changed on purpose.
    pub intended: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DriftKind {
    Deleted,
    Changed,
}

/// What to look at besides the version.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckOptions {
    /// List the managed files the team deleted or changed (`--drift`).
    pub drift: bool,
}

/// What `check` found for one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    pub service: String,
    pub blueprint: String,
    pub current: semver::Version,
    pub available: semver::Version,
    pub standing: Standing,
    /// The service's files an update would change (svcgen's own left out).
    pub changes: Vec<String>,
    /// Things to tell the user that are not the verdict (tags svcgen cannot read, say).
    pub notes: Vec<String>,
    /// What an interrupted svcgen had left in the service, finished or undone on opening it.
    pub recovered: Vec<crate::apply::Recovery>,
    /// Generated files that still hold an update's `<<<<<<<` conflict markers.
    pub unresolved: Vec<String>,
    /// With [`CheckOptions::drift`]: managed files the team deleted or changed.
    pub drift: Vec<Drift>,
}

impl CheckReport {
    pub fn is_behind(&self) -> bool {
        self.standing != Standing::UpToDate
    }

    /// Whether the service fails the check: behind, conflicts left unresolved, or drift that
    /// the record does not call intended.
    pub fn fails(&self) -> bool {
        self.is_behind() || !self.unresolved.is_empty() || self.drift.iter().any(|d| !d.intended)
    }
}

/// Checks the service in `dir` against what its blueprint source offers now.
pub fn check_service(dir: &Path, options: CheckOptions, context: &Context) -> Result<CheckReport> {
    let service = Service::open(dir)?;
    let target = super::update::resolve(&service, Default::default(), context)?;
    check_against(&service, &target, options)
}

/// Checks `service` against `target` (resolved by the caller: a fleet resolves each blueprint
/// once).
pub fn check_against(
    service: &Service,
    target: &Target,
    options: CheckOptions,
) -> Result<CheckReport> {
    let current = service.record.blueprint.version.clone();
    let available = target.version().clone();
    let update = super::update::plan(service, target, &GivenAnswers::default(), None)?;
    let changes: Vec<String> = update
        .changes
        .iter()
        .filter(|change| !is_svcgen_file(change.path()))
        .map(|change| change.path().to_string())
        .collect();
    let standing = if available > current {
        Standing::Behind
    } else if !changes.is_empty() && available == current {
        Standing::ChangedWithoutVersionBump
    } else {
        Standing::UpToDate
    };
    let mut notes = Vec::new();
    if !target.unreadable_tags.is_empty() {
        notes.push(format!(
            "the blueprint repository has tags that look like versions but are not ({}); svcgen orders tags such as v1.2.0, v1.2 or v1, and ignores these",
            target.unreadable_tags.join(", ")
        ));
    }
    let (unresolved, drift) = look_at_generated_files(service, options)?;
    Ok(CheckReport {
        unresolved,
        drift,
        service: service
            .name()
            .map(str::to_owned)
            .unwrap_or_else(|_| super::fleet::display_name(&service.dir)),
        blueprint: service.record.blueprint.name.clone(),
        current,
        available,
        standing,
        changes,
        notes,
        recovered: service.recovered.clone(),
    })
}

/// The managed files of `service` that still hold an update's `<<<<<<<` conflict markers.
pub fn unresolved_conflicts(service: &Service) -> Result<Vec<String>> {
    Ok(look_at_generated_files(service, CheckOptions::default())?.0)
}

/// The managed files that hold unresolved conflict markers and, with `--drift`, the ones the
/// team deleted or changed since svcgen last wrote them.
fn look_at_generated_files(
    service: &Service,
    options: CheckOptions,
) -> Result<(Vec<String>, Vec<Drift>)> {
    let Some(base) = service.base()? else {
        return Ok((Vec::new(), Vec::new()));
    };
    let allowed = crate::blueprint::manifest::build_globset(&service.record.drift.allow).map_err(
        |message| crate::error::Error::Record {
            path: service.dir.join(crate::service::record::RECORD_PATH),
            message: format!("[drift] allow: {message}"),
        },
    )?;
    let files = service.files();
    let mut unresolved = Vec::new();
    let mut drift = Vec::new();
    for (path, entry) in base.iter() {
        if entry.policy != Policy::Managed {
            continue;
        }
        let current = files.read(path)?;
        if let Some(file) = &current
            && has_update_conflict_markers(&file.contents)
        {
            unresolved.push(path.to_string());
        }
        if !options.drift {
            continue;
        }
        let kind = match &current {
            None => DriftKind::Deleted,
            Some(file) if !entry.same_bytes(&file.contents) => DriftKind::Changed,
            Some(_) => continue,
        };
        drift.push(Drift {
            path: path.to_string(),
            kind,
            intended: allowed.is_match(path.as_str()),
        });
    }
    Ok((unresolved, drift))
}
