//! The generation pipeline: everything svcgen makes for a service, from its blueprint and its
//! record. `svcgen new`, `update`, the blueprint kit and the tests all generate through here, so
//! they cannot disagree about what a service "should" hold.
//!
//! answers (resolved by the caller, [`crate::resolve`]) → [`render`] → the recorded events
//! replayed ([`events::replay`]) → the service's state ([`State`]: the record, and the base that
//! later updates merge against).

use crate::blueprint::Blueprint;
use crate::error::Result;
use crate::events;
use crate::render::render;
use crate::service::{Base, Policies, Record, State};
use crate::tree::Tree;

/// A service as svcgen generates it.
#[derive(Debug, Clone)]
pub struct Generated {
    /// Every file, svcgen's own (`.svcgen/`) included.
    pub tree: Tree,
    /// What the base holds: the generated files under their policies.
    pub base: Base,
}

/// The files the blueprint and the recorded events make for the service described by `record`,
/// without svcgen's own state: what `update` merges in as the new version, what snapshots pin.
pub fn render_service(blueprint: &Blueprint, record: &Record) -> Result<Tree> {
    let rendered = render(blueprint, &record.answers)?;
    events::replay(blueprint, record, rendered)
}

/// Everything svcgen writes for the service described by `record`: its files, its record and
/// its base.
pub fn generate(blueprint: &Blueprint, record: &Record) -> Result<Generated> {
    let mut tree = render_service(blueprint, record)?;
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
