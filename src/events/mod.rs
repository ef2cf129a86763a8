//! `svcgen add-event`: give a service a published or a consumed event.
//!
//! [`spec`] checks what was asked, [`part`] reads the blueprint's `events/` part, [`plan`] turns
//! both into file changes against the service's files (and, through `part::base`, the base's), and
//! `ops::add_event` applies them. [`replay`] is the same planning run over a tree in memory,
//! for `update`.

pub mod part;
pub mod plan;
pub mod schema;
pub mod spec;

use crate::apply::Change;
use crate::blueprint::Blueprint;
use crate::error::{Error, Result};
use crate::service::record::Record;
use crate::tree::Tree;

pub use part::EventsPart;
pub use plan::{EventPlan, plan_add_event};
pub use spec::{EventSpec, FieldSpec};

/// Applies every event recorded in `record` to `tree` (a fresh render of the service's
/// blueprint), in the order they were added: what the service's generated files would be had
/// every `add-event` run on this blueprint version.
pub fn replay(blueprint: &Blueprint, record: &Record, mut tree: Tree) -> Result<Tree> {
    if record.events.is_empty() {
        return Ok(tree);
    }
    let part = EventsPart::from_blueprint(blueprint)?.ok_or_else(|| Error::NoEventsPart {
        blueprint: blueprint.origin.clone(),
    })?;
    let types = part.type_names();
    let mut so_far = Record {
        events: Vec::new(),
        ..record.clone()
    };
    for recorded in &record.events {
        let spec = EventSpec::from_record(recorded, &types)?;
        let plan = plan_add_event(&part, &so_far, &spec, &tree)?;
        for change in plan.changes {
            if let Change::Write { path, after, .. } = change {
                tree.insert(path, after);
            }
        }
        so_far = plan.record;
    }
    Ok(tree)
}
