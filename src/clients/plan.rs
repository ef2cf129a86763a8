//! Planning `add-client`: from a service's files, its record and a provider's contract, the exact
//! file changes, computed in memory before anything is written (so `--dry-run` is honest and
//! `update` can make the clients again on a tree in memory).
//!
//! A client's module is svcgen's: a newer contract rewrites it. What the team may have changed
//! in it is never lost silently: the module is rewritten only when it is what the contract kept
//! in the service made, and otherwise the plan is refused naming the file.

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
use serde::Serialize;

use super::model::{self, ApiModel};
use super::part::ClientsPart;
use super::spec::ProviderSpec;
use crate::apply::Change;
use crate::error::{Error, Result};
use crate::part::insert::{Pending, apply_insert};
use crate::render::render_with_context;
use crate::service::files::FileView;
use crate::service::record::{ClientRecord, Record, client_spec_path};
use crate::template;
use crate::tree::{FileEntry, Mode, RelPath, Tree};

/// Base URL in `.env.example` when the contract names no server.
const DEFAULT_URL: &str = "http://localhost:8080";

/// Everything an `add-client` run changes. Empty when the client is already there as asked.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientPlan {
    /// The service's files that change (never svcgen's own: see `record`).
    pub changes: Vec<Change>,
    /// The record with the client in it.
    pub record: Record,
}

impl ClientPlan {
    pub fn records_change(&self, before: &Record) -> bool {
        self.record != *before
    }
}

/// How a client looks to templates (`client.service`, `client.api.operations`, ...).
#[derive(Debug, Clone, Serialize)]
struct ClientContext<'a> {
    service: &'a str,
    module: String,
    type_name: String,
    env: String,
    spec_path: String,
    default_url: String,
    api: &'a ApiModel,
}

/// Plans the client of `service` (a service name, already checked) from `spec`, read from
/// `source`, against the files `files` shows.
pub fn plan_add_client(
    part: &ClientsPart,
    record: &Record,
    service: &str,
    source: &str,
    spec: &ProviderSpec,
    files: &dyn FileView,
) -> Result<ClientPlan> {
    let new_record = record_with_client(record, service, source);
    let module_path = module_path(service)?;
    let rendered = render_client(part, &new_record, service, spec)?;
    let mut pending = Pending::new(files);

    // The contract the service kept before: what the module on disk should have been made from.
    let spec_path =
        RelPath::new(&client_spec_path(service)).map_err(|reason| Error::UnsafePath {
            template: part.part.manifest_display(),
            path: client_spec_path(service),
            reason,
        })?;
    let kept_spec = pending.read(&spec_path)?;

    for (path, entry) in rendered.iter() {
        match pending.read(path)? {
            None => pending.write(path.clone(), entry.clone()),
            Some(existing) if existing.contents == entry.contents => {}
            Some(_) if part.part.keep.is_match(path.as_str()) => {}
            Some(existing) => {
                let made_before = match (&kept_spec, path == &module_path) {
                    (Some(kept), true) => previous_render(part, &new_record, service, kept, path)?,
                    _ => None,
                };
                if made_before.as_ref() != Some(&existing.contents.to_vec()) {
                    return Err(Error::ClientConflict {
                        service: service.to_owned(),
                        message: format!(
                            "`{path}` is not what svcgen made from `{}`: it was edited, and svcgen will not overwrite it. \
                             Move the edits out of it (it is svcgen's), or remove it, then run again",
                            spec_path
                        ),
                    });
                }
                pending.write(path.clone(), entry.clone());
            }
        }
    }
    pending.write(
        spec_path,
        FileEntry {
            contents: spec.text.clone().into_bytes().into(),
            mode: Mode::Regular,
        },
    );

    let context = context(part, &new_record, service, spec)?;
    for insert in &part.part.inserts {
        apply_insert(&part.part, insert, &context, &mut pending)?;
    }
    Ok(ClientPlan {
        changes: pending.into_changes()?,
        record: new_record,
    })
}

/// The record with the client of `service` read from `source`: added at the end, or with its
/// source updated where it already is.
fn record_with_client(record: &Record, service: &str, source: &str) -> Record {
    let mut updated = record.clone();
    match updated.clients.iter_mut().find(|c| c.service == service) {
        Some(existing) => existing.source = source.to_owned(),
        None => updated.clients.push(ClientRecord {
            service: service.to_owned(),
            source: source.to_owned(),
        }),
    }
    updated
}

/// `src/clients/<module>.rs`, the file a client's contract rewrites.
fn module_path(service: &str) -> Result<RelPath> {
    let path = format!("src/clients/{}.rs", service.to_snake_case());
    RelPath::new(&path).map_err(|reason| Error::UnsafePath {
        template: "add-client".into(),
        path,
        reason,
    })
}

fn context(
    part: &ClientsPart,
    record: &Record,
    service: &str,
    spec: &ProviderSpec,
) -> Result<tera::Context> {
    let api = model::model(&spec.root, &part.types).map_err(|unsupported| Error::ClientSpec {
        file: spec.display.clone(),
        pointer: unsupported.pointer,
        message: unsupported.message,
    })?;
    let client = ClientContext {
        service,
        module: service.to_snake_case(),
        type_name: format!("{}Client", service.to_upper_camel_case()),
        env: service.to_shouty_snake_case(),
        spec_path: client_spec_path(service),
        default_url: api.server.clone().unwrap_or_else(|| DEFAULT_URL.to_owned()),
        api: &api,
    };
    let services: Vec<&str> = record.clients.iter().map(|c| c.service.as_str()).collect();
    let mut context = template::context(&record.answers);
    context.insert("client", &client);
    context.insert("clients", &services);
    context.insert("first_client", &(services.first() == Some(&service)));
    Ok(context)
}

fn render_client(
    part: &ClientsPart,
    record: &Record,
    service: &str,
    spec: &ProviderSpec,
) -> Result<Tree> {
    render_with_context(&part.part.templates, &context(part, record, service, spec)?)
}

/// The bytes of `path` as the contract kept in `kept` made it; `None` when that contract can no
/// longer be read (it was edited by hand), which counts as "not what svcgen made".
fn previous_render(
    part: &ClientsPart,
    record: &Record,
    service: &str,
    kept: &FileEntry,
    path: &RelPath,
) -> Result<Option<Vec<u8>>> {
    let Ok(text) = std::str::from_utf8(&kept.contents) else {
        return Ok(None);
    };
    let Ok(spec) = ProviderSpec::parse(&client_spec_path(service), text) else {
        return Ok(None);
    };
    let Ok(tree) = render_client(part, record, service, &spec) else {
        return Ok(None);
    };
    Ok(tree.get(path.as_str()).map(|entry| entry.contents.to_vec()))
}
