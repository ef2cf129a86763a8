//! The generation pipeline: everything svcgen makes for a service, from its blueprint and its
//! record. `svcgen new`, `update`, the blueprint kit and the tests all generate through here, so
//! they cannot disagree about what a service "should" hold.
//!
//! answers (resolved by the caller, [`crate::resolve`]) → [`render`] → the recorded parts
//! replayed ([`replay_parts`]: events, then clients) → the service's state ([`State`]: the
//! record, and the base that later updates merge against).

use crate::blueprint::Blueprint;
use crate::error::Result;
use crate::render::render;
use crate::service::files::FileView;
use crate::service::{Base, Policies, Record, State};
use crate::tree::Tree;
use crate::{clients, events};

/// A service as svcgen generates it.
#[derive(Debug, Clone)]
pub struct Generated {
    /// Every file, svcgen's own (`.svcgen/`) included.
    pub tree: Tree,
    /// What the base holds: the generated files under their policies.
    pub base: Base,
}

/// The files the blueprint and the recorded parts make for the service described by `record`,
/// without svcgen's own state: what `update` merges in as the new version, what snapshots pin.
/// `service` shows the service's files: a client is made from the contract the service keeps.
pub fn render_service(
    blueprint: &Blueprint,
    record: &Record,
    service: &dyn FileView,
) -> Result<Tree> {
    let rendered = render(blueprint, &record.answers)?;
    replay_parts(blueprint, record, service, rendered)
}

/// The record's `add-event`s and `add-client`s made again on `tree`, with the planning those
/// commands run.
pub fn replay_parts(
    blueprint: &Blueprint,
    record: &Record,
    service: &dyn FileView,
    tree: Tree,
) -> Result<Tree> {
    let tree = events::replay(blueprint, record, tree)?;
    clients::replay(blueprint, record, service, tree)
}

/// Everything svcgen writes for the service described by `record`: its files, its record and
/// its base. `service` as for [`render_service`]; a new service has no files yet
/// (`&Tree::new()`).
pub fn generate(
    blueprint: &Blueprint,
    record: &Record,
    service: &dyn FileView,
) -> Result<Generated> {
    let mut tree = render_service(blueprint, record, service)?;
    let policies = Policies::compile(
        &blueprint.manifest,
        &blueprint.manifest_path(),
        &record.answers,
    )?;
    let base = Base::from_tree(&tree, |path| policies.of(path.as_str()));
    State {
        record,
        base: Some(&base),
    }
    .add_to(&mut tree);
    Ok(Generated { tree, base })
}
