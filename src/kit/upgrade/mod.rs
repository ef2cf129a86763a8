//! `[[upgrade_tests]]`: does a service made from an earlier version of the blueprint, and then
//! edited by its team, update to the working copy without losing those edits?
//!
//! Each test:
//!
//! 1. reads the blueprint at `from` (a tag or any commit of its git repository, see
//!    [`history`](super::history)) and renders it with the test's answers, record and base
//!    included, exactly as `svcgen new --no-git` would;
//! 2. applies the test's `patches` (unified diffs: the team's edits) to that render;
//! 3. runs `svcgen update`'s engine on it, to the blueprint in the working copy;
//! 4. checks the result: every line a patch added is still there and every line it removed is
//!    still gone (a lost edit fails, naming the file and the hunk), the files left with
//!    conflicts are exactly `expect_conflicts`, and no other file holds conflict markers.
//!
//! Lines are compared by how often they occur in the file, not where, so an edit survives the
//! blueprint moving code around it; the blueprint's own changes to the same line are allowed
//! for (a line the new version also adds or removes is not counted against the team).
//!
//! The stages are modules: `spec` reads the entries (lint checks them with the same code),
//! `run` makes, edits and updates the service, and `verdicts` judges the result.

use std::collections::BTreeMap;
use std::path::PathBuf;

mod run;
mod spec;
mod verdicts;

pub use run::run_one;
pub(crate) use spec::{PatchProblem, load_patches, split_answers};
pub use spec::{SpecProblem, UpgradeTest, parse_specs};
pub use verdicts::Failure;

/// What one upgrade test found.
#[derive(Debug)]
pub struct UpgradeResult {
    pub name: String,
    pub outcome: UpgradeOutcome,
}

#[derive(Debug)]
pub enum UpgradeOutcome {
    Passed(Summary),
    /// The update ran; its result is wrong in these ways. The updated service is kept in
    /// `kept` for a look.
    Failed {
        summary: Summary,
        failures: Vec<Failure>,
        kept: PathBuf,
    },
    /// The test could not get as far as the update: the old version does not render, a patch
    /// does not apply, the update itself fails.
    Broken(String),
}

#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub from_version: Option<semver::Version>,
    pub to_version: Option<semver::Version>,
    pub hunks: usize,
    /// How many files the update gave each outcome (`merged`, `updated`, ...).
    pub outcomes: BTreeMap<&'static str, usize>,
    pub conflicts: Vec<String>,
    /// The update's own warnings, and anything odd about the test.
    pub notes: Vec<String>,
}
