//! The blueprint authoring kit: what `svcgen blueprint lint`, `test` and `new` are made of, so a
//! blueprint repository gets a CI in two commands.
//!
//! - [`lint`]: every static rule, all findings at once, each with file and line
//!   ([`locate`] finds lines in `blueprint.toml`, `usage` finds the variables templates read,
//!   `suggest` the variable a misspelt name means).
//! - [`matrix`]: the variants to test: `[[tests]]` answer sets plus a pairwise covering set.
//! - [`suite`]: render each variant and compare it with its [`snapshot`] (insta's `.snap`).
//! - [`check`]: run the blueprint's `[check] command` in each rendered variant (`--build`).
//! - [`upgrade`]: `[[upgrade_tests]]`: render an earlier version (from the blueprint's git
//!   [`history`]), apply a team's edits (`patch`), update to the working copy, and check that
//!   no edit was lost.
//! - [`starter`]: a new blueprint that passes all of the above as created.

pub mod check;
pub mod history;
pub mod lint;
// Line numbers in blueprint.toml: the manifest uses them too, so they live with it.
pub use crate::blueprint::locate;
pub mod matrix;
mod patch;
pub mod snapshot;
pub mod starter;
mod suggest;
pub mod suite;
pub mod upgrade;
mod usage;

/// How a blueprint folder given on the command line is named in messages: as typed, without a
/// trailing `/` (which would otherwise show up as `dir//blueprint.toml`).
pub fn origin_of(dir: &std::path::Path) -> String {
    let shown = dir.display().to_string();
    let trimmed = shown.trim_end_matches(['/', '\\']);
    if trimmed.is_empty() {
        shown
    } else {
        trimmed.to_owned()
    }
}
