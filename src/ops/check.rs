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
use crate::service::Service;
use crate::service::base::is_svcgen_file;
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
}

impl CheckReport {
    pub fn is_behind(&self) -> bool {
        self.standing != Standing::UpToDate
    }
}

/// Checks the service in `dir` against what its blueprint source offers now.
pub fn check_service(dir: &Path, context: &Context) -> Result<CheckReport> {
    let service = Service::open(dir)?;
    let target = super::update::resolve(&service, Default::default(), context)?;
    check_against(&service, &target)
}

/// Checks `service` against `target` (resolved by the caller: a fleet resolves each blueprint
/// once).
pub fn check_against(service: &Service, target: &Target) -> Result<CheckReport> {
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
    Ok(CheckReport {
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
