//! A fleet file's repository: fetched into its clone in the cache, updated on the branch
//! `svcgen/<blueprint>-<version>` made from the branch the fleet file names, and pushed.
//!
//! Re-running is idempotent. The update starts from the update branch when it already exists
//! and still holds the branch it was made from (the remote's copy first, where the team may have
//! resolved conflicts), so a branch that already has the update gets no new commit, and one
//! whose blueprint moved since (a tag moved, a followed branch advanced) gets one on top. When
//! the starting branch moved on without it, the update branch is made again from there.

use std::path::Path;

use git2::Oid;

use super::{FleetUpdate, Prepared, Remote, Updated};
use crate::error::Result;
use crate::git::workspace::Workspace;
use crate::ops::check::unresolved_conflicts;
use crate::ops::update::{Outcome, commit_update, update_to};
use crate::service::Service;
use crate::update::merge::has_update_conflict_markers;
use crate::update::target::Target;

/// A remote's update branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateBranch {
    /// `svcgen/<blueprint>-<version>`.
    pub name: String,
    /// Its tip; `None` when it holds no commit of its own (conflicts left uncommitted).
    pub commit: Option<String>,
    /// Whether this run committed on it.
    pub committed: bool,
    /// Whether this run pushed it.
    pub pushed: bool,
    /// Whether the remote has it at `commit` now.
    pub on_remote: bool,
    /// Files on it that hold conflict markers.
    pub conflicts: Vec<String>,
}

/// `svcgen/service-1.2.0`: the branch an update to `version` of `blueprint` is proposed on;
/// `svcgen/services/catalog/service-1.2.0` for the service in the folder `services/catalog` of
/// a monorepo, so each of its services has a branch of its own.
pub fn branch_name(blueprint: &str, version: &semver::Version, path: Option<&str>) -> String {
    match path {
        Some(path) => format!("svcgen/{path}/{blueprint}-{version}"),
        None => format!("svcgen/{blueprint}-{version}"),
    }
}

/// Fetches `remote` into its clone in `dir` (its root) and checks out the commit updates start from.
pub(super) fn prepare(remote: &Remote, dir: &Path) -> Result<Oid> {
    let workspace = Workspace::fetch(&remote.url, dir)?;
    let base = workspace.base(remote.branch.as_deref())?;
    workspace.switch(None, base)?;
    Ok(base)
}

/// The remote's update branch to `target`, when it was pushed and is not merged yet.
pub(super) fn open_branch(prepared: &Prepared, target: &Target) -> Result<Option<UpdateBranch>> {
    let workspace = Workspace::open(&prepared.remote.url, &prepared.clone)?;
    let path = prepared.remote.path.as_deref();
    let name = branch_name(&target.blueprint.manifest.name, target.version(), path);
    let Some(tip) = workspace.remote_branch(&name) else {
        return Ok(None);
    };
    if workspace.contains(prepared.base, tip) {
        return Ok(None);
    }
    Ok(Some(UpdateBranch {
        name,
        commit: Some(tip.to_string()),
        committed: false,
        pushed: false,
        on_remote: true,
        conflicts: workspace.files_matching(tip, path, has_update_conflict_markers),
    }))
}

/// Updates the service in `dir` (the clone's root, or its folder in it) to `target` on its update branch, commits, and pushes as
/// `settings` say. `service` is the service as checked out at the base.
pub(super) fn update_on_branch(
    prepared: &Prepared,
    dir: &Path,
    service: &Service,
    target: &Target,
    settings: &FleetUpdate<'_>,
) -> Result<Updated> {
    let workspace = Workspace::open(&prepared.remote.url, &prepared.clone)?;
    let base = prepared.base;
    let name = branch_name(
        &target.blueprint.manifest.name,
        target.version(),
        prepared.remote.path.as_deref(),
    );
    let on_remote = workspace.remote_branch(&name);
    let start = match (workspace.local_branch(&name), on_remote) {
        (Some(local), Some(remote)) if workspace.contains(local, remote) => Some(local),
        (local, remote) => remote.or(local),
    }
    .filter(|tip| workspace.contains(*tip, base))
    .unwrap_or(base);
    workspace.switch(Some(&name), start)?;
    let reopened;
    let service = if start == base {
        service
    } else {
        reopened = Service::open(dir)?;
        &reopened
    };
    // The clone is svcgen's and was just reset, so there is nothing of anyone's to protect.
    let mut options = settings.options(true);
    options.commit = true;
    let mut done = update_to(service, target, options)?;
    let mut committed = matches!(done.outcome, Outcome::Committed { .. });
    match &done.outcome {
        Outcome::UpToDate if start == base => {
            return Ok(Updated {
                update: done,
                branch: None,
            });
        }
        Outcome::UpToDate => {
            // The branch has this update already; its conflicts may still be unresolved.
            let files = unresolved_conflicts(service)?;
            if !files.is_empty() {
                done.outcome = Outcome::Conflicts { files };
            }
        }
        Outcome::Conflicts { files } if settings.push_conflicts && !settings.dry_run => {
            commit_update(dir, &done.update, files)?;
            committed = true;
        }
        _ => {}
    }
    let tip = workspace.head()?;
    let conflicts = done.outcome.conflicts().to_vec();
    let shareable = conflicts.is_empty() || settings.push_conflicts;
    let has_commits = tip != base;
    let mut pushed = false;
    if settings.push && shareable && has_commits && !settings.dry_run && on_remote != Some(tip) {
        workspace.push(&name)?;
        pushed = true;
    }
    Ok(Updated {
        update: done,
        branch: Some(UpdateBranch {
            name,
            commit: has_commits.then(|| tip.to_string()),
            committed,
            pushed,
            on_remote: pushed || (has_commits && on_remote == Some(tip)),
            conflicts,
        }),
    })
}
