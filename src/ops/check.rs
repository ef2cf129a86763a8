//! `svcgen check`: is a service on the newest version of its blueprint?

use std::path::Path;

use super::Context;
use crate::error::Result;
use crate::service::Service;
use crate::update::target::Target;

/// Where a service stands against its blueprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    pub service: String,
    pub blueprint: String,
    pub current: semver::Version,
    pub available: semver::Version,
    pub behind: bool,
}

/// Checks the service in `dir` against what its blueprint source offers now.
pub fn check_service(dir: &Path, context: &Context) -> Result<CheckReport> {
    let service = Service::open(dir)?;
    let target = super::update::resolve(&service, None, context)?;
    Ok(check_against(&service, &target))
}

/// Checks `service` against `target` (resolved by the caller: a fleet resolves each blueprint
/// once).
pub fn check_against(service: &Service, target: &Target) -> CheckReport {
    let current = service.record.blueprint.version.clone();
    let available = target.version().clone();
    CheckReport {
        service: service
            .name()
            .map(str::to_owned)
            .unwrap_or_else(|_| super::fleet::display_name(&service.dir)),
        blueprint: service.record.blueprint.name.clone(),
        behind: available > current,
        current,
        available,
    }
}
