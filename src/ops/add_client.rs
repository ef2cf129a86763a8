//! `svcgen add-client`: a typed client of another service, added to a service made by svcgen,
//! or made again from a newer contract.

use std::path::{Path, PathBuf};

use super::Context;
use crate::apply::{self, Change, Recovery};
use crate::clients::{ClientsPart, ProviderSpec, plan_add_client, spec};
use crate::error::{Error, Result};
use crate::name;
use crate::part::base::with_state;
use crate::service::Service;

pub struct AddClientOptions<'a> {
    pub dir: &'a Path,
    /// The service called: `product`.
    pub service: &'a str,
    /// Its OpenAPI document: a path (relative to the current directory) or an http(s) URL;
    /// `None` reads again from where the record says it was read last time.
    pub spec: Option<&'a str>,
    pub dry_run: bool,
    pub allow_dirty: bool,
}

/// What adding the client did (or, with `dry_run`, would do).
#[derive(Debug)]
pub struct ClientAdded {
    pub dir: PathBuf,
    pub service: String,
    /// Where the contract was read.
    pub source: String,
    pub operations: usize,
    /// Every change, svcgen's own files included; empty when the client was already there as
    /// asked.
    pub changes: Vec<Change>,
    pub applied: bool,
    pub recovered: Vec<Recovery>,
    pub warnings: Vec<String>,
}

pub fn add_client(options: AddClientOptions<'_>, context: &Context) -> Result<ClientAdded> {
    name::validate_service_name(options.service)?;
    let service = Service::open(options.dir)?;
    let record = &service.record;
    let mut warnings = Vec::new();

    // A path given on the command line is relative to where svcgen runs; the record keeps it
    // relative to the service, so a later run from anywhere finds it again.
    let (source, base_dir) = match options.spec {
        Some(given) if spec::is_url(given) => (given.to_owned(), PathBuf::from(".")),
        Some(given) => (
            relative_to(Path::new(given), &service.dir),
            service.dir.clone(),
        ),
        None => match record.clients.iter().find(|c| c.service == options.service) {
            Some(recorded) => (recorded.source.clone(), service.dir.clone()),
            None => {
                return Err(Error::Usage(format!(
                    "this service has no client of `{}` yet: give its OpenAPI document with --spec FILE|URL",
                    options.service
                )));
            }
        },
    };
    let provider = ProviderSpec::read(&source, &base_dir)?;

    let blueprint_source = super::add_event::pinned_source(record).resolved_against(options.dir);
    super::update::locate_recorded(&service, &blueprint_source)?;
    let loaded = blueprint_source
        .load(&context.cache_dir)
        .map_err(|err| super::update::if_lost(&service, err))?;
    let blueprint = &loaded.blueprint;
    warnings.extend(super::add_event::version_warning(
        record,
        blueprint,
        "the client",
    ));
    let part = ClientsPart::from_blueprint(blueprint)?.ok_or_else(|| Error::NoClientsPart {
        blueprint: blueprint.origin.clone(),
    })?;

    if !options.dry_run && !options.allow_dirty {
        let dirty = service.uncommitted()?;
        if !dirty.is_empty() {
            return Err(Error::DirtyTree(dirty));
        }
    }

    let files = service.files();
    let plan = plan_add_client(&part, record, options.service, &source, &provider, &files)?;
    let operations = crate::clients::model::model(&provider.root, &part.types)
        .map(|api| api.operations.len())
        .unwrap_or_default();
    let mut added = ClientAdded {
        dir: service.dir.clone(),
        service: options.service.to_owned(),
        source: source.clone(),
        operations,
        changes: Vec::new(),
        applied: false,
        recovered: service.recovered,
        warnings,
    };
    if plan.changes.is_empty() && !plan.records_change(record) {
        return Ok(added);
    }

    // The base follows the client too (see `part::base`).
    added.changes = with_state(
        options.dir,
        blueprint,
        record,
        &plan.record,
        plan.changes,
        |view| {
            Ok(plan_add_client(&part, record, options.service, &source, &provider, view)?.changes)
        },
        &mut added.warnings,
    )?;
    if !options.dry_run {
        apply::apply_changes(options.dir, &added.changes)?;
        added.applied = true;
    }
    Ok(added)
}

/// `path` as seen from `dir` (both made absolute first), `/`-separated.
fn relative_to(path: &Path, dir: &Path) -> String {
    let absolute = |p: &Path| {
        std::path::absolute(p)
            .unwrap_or_else(|_| p.to_path_buf())
            .components()
            .collect::<PathBuf>()
    };
    let (path, dir) = (absolute(path), absolute(dir));
    let common = path
        .components()
        .zip(dir.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut relative = PathBuf::new();
    for _ in dir.components().skip(common) {
        relative.push("..");
    }
    for part in path.components().skip(common) {
        relative.push(part);
    }
    relative.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_kept_relative_to_the_service() {
        assert_eq!(
            relative_to(
                Path::new("/w/product/api/openapi.json"),
                Path::new("/w/catalog")
            ),
            "../product/api/openapi.json"
        );
        assert_eq!(
            relative_to(Path::new("/w/catalog/api/x.json"), Path::new("/w/catalog")),
            "api/x.json"
        );
    }
}
