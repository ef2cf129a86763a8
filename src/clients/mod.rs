//! `svcgen add-client`: typed clients of other services, made from their OpenAPI documents.
//!
//! [`spec`] reads a provider's contract, [`model`] turns it into what the blueprint's `clients/`
//! part ([`part`]) renders, [`plan`] turns both into file changes against the service's files,
//! and `ops::add_client` applies them. [`replay`] is the same planning on a tree in memory, for
//! `update`.

pub mod model;
pub mod part;
pub mod plan;
pub mod spec;

use crate::apply::Change;
use crate::blueprint::Blueprint;
use crate::error::{Error, Result};
use crate::service::files::FileView;
use crate::service::record::Record;
use crate::tree::{RelPath, Tree};

pub use part::ClientsPart;
pub use plan::{ClientPlan, plan_add_client};
pub use spec::ProviderSpec;

/// Makes every client recorded in `record` on `tree` (a fresh render of the service's blueprint,
/// its events replayed), from the contracts the service keeps (`service` shows its files):
/// what the generated files would be had every `add-client` run on this blueprint version.
pub fn replay(
    blueprint: &Blueprint,
    record: &Record,
    service: &dyn FileView,
    mut tree: Tree,
) -> Result<Tree> {
    if record.clients.is_empty() {
        return Ok(tree);
    }
    let part = ClientsPart::from_blueprint(blueprint)?.ok_or_else(|| Error::NoClientsPart {
        blueprint: blueprint.origin.clone(),
    })?;
    let mut so_far = Record {
        clients: Vec::new(),
        ..record.clone()
    };
    for recorded in &record.clients {
        let spec_path = recorded.spec_path();
        let kept = RelPath::new(&spec_path)
            .ok()
            .map(|path| service.read(&path))
            .transpose()?
            .flatten()
            .ok_or_else(|| Error::ClientConflict {
                service: recorded.service.clone(),
                message: format!(
                    "the record lists it, and `{spec_path}` (its contract) is missing; restore it, or run `svcgen add-client {} --spec ...`",
                    recorded.service
                ),
            })?;
        let text = String::from_utf8_lossy(&kept.contents);
        let spec = ProviderSpec::parse(&spec_path, &text)?;
        let plan = plan_add_client(
            &part,
            &so_far,
            &recorded.service,
            &recorded.source,
            &spec,
            &tree,
        )?;
        for change in plan.changes {
            if let Change::Write { path, after, .. } = change {
                tree.insert(path, after);
            }
        }
        so_far = plan.record;
    }
    Ok(tree)
}
