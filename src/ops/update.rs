//! `svcgen update` (and `diff`, which plans the same update and shows it): one service onto a
//! newer version of its blueprint, keeping its team's edits.

use std::path::Path;

use super::Context;
use crate::answers::GivenAnswers;
use crate::apply::{Change, Recovery};
use crate::blueprint::source::BlueprintSource;
use crate::error::{Error, Result};
use crate::resolve::Prompter;
use crate::service::Service;
use crate::update::target::{Network, Target, Wanted, resolve_target};
use crate::update::{self, RecordedParts, Update, apply_update, plan_update};

pub struct UpdateOptions<'a> {
    /// The version asked for (`--to`, `--pre`).
    pub wanted: Wanted<'a>,
    /// Going to an older version than the service's is refused unless this is set.
    pub allow_downgrade: bool,
    /// `--set` answers, over the recorded ones.
    pub overrides: &'a GivenAnswers,
    /// Asks for variables new in the target version; `None` takes their defaults.
    pub prompter: Option<&'a mut dyn Prompter>,
    /// Plan, write nothing.
    pub dry_run: bool,
    pub allow_dirty: bool,
    /// Commit the update when it leaves no conflicts.
    pub commit: bool,
    /// Where the blueprint is now (`--blueprint`), over the recorded source, which the update
    /// records instead: for a blueprint that moved.
    pub blueprint: Option<&'a BlueprintSource>,
}

/// How an update of one service ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Already on the target: nothing to write.
    UpToDate,
    /// `--dry-run`: the plan, not applied; `conflicts` lists the files that would conflict.
    WouldUpdate { conflicts: Vec<String> },
    /// Written, no conflicts, not committed.
    Updated,
    /// Written and committed.
    Committed { commit: String },
    /// Written with conflict markers in these files, for the team to resolve (never committed).
    Conflicts { files: Vec<String> },
}

impl Outcome {
    /// Conflicts the update left (or, for a dry run, would leave).
    pub fn conflicts(&self) -> &[String] {
        match self {
            Outcome::WouldUpdate { conflicts } | Outcome::Conflicts { files: conflicts } => {
                conflicts
            }
            _ => &[],
        }
    }
}

/// One service's update, with its plan.
#[derive(Debug)]
pub struct ServiceUpdate {
    pub update: Update,
    pub outcome: Outcome,
    pub recovered: Vec<Recovery>,
    /// Things to tell the user that are not errors (the plan's own included).
    pub warnings: Vec<String>,
    /// With [`UpdateOptions::blueprint`]: the source recorded before, and the one recorded now
    /// (or, with `dry_run`, that would be), when they differ.
    pub source_change: Option<(BlueprintSource, BlueprintSource)>,
}

/// Updates the service in `dir` to the version `options.to` names, or the newest.
pub fn update_service(
    dir: &Path,
    options: UpdateOptions<'_>,
    context: &Context,
) -> Result<ServiceUpdate> {
    let service = Service::open(dir)?;
    let target = match options.blueprint {
        Some(source) => resolve_target(
            &source.for_record(),
            options.wanted,
            &context.cache_dir,
            context.network,
        )?,
        None => resolve(&service, options.wanted, context)?,
    };
    if let Some(source) = options.blueprint {
        let (found, recorded) = (
            &target.blueprint.manifest.name,
            &service.record.blueprint.name,
        );
        if found != recorded {
            return Err(Error::Usage(format!(
                "--blueprint {source} is blueprint `{found}`, and this service was made from blueprint `{recorded}`"
            )));
        }
    }
    let mut warnings = Vec::new();
    if target.offline && context.network == Network::Fetch {
        warnings.push(format!(
            "could not fetch {}; using the cached copy",
            options
                .blueprint
                .cloned()
                .unwrap_or_else(|| service.record.blueprint.source.clone())
        ));
    }
    let moving = options.blueprint.is_some();
    let mut updated = update_to(&service, &target, options)?;
    warnings.append(&mut updated.warnings);
    updated.warnings = warnings;
    let (before, after) = (
        &service.record.blueprint.source,
        &updated.update.record.blueprint.source,
    );
    if moving && before != after {
        updated.source_change = Some((before.clone(), after.clone()));
    }
    Ok(updated)
}

/// The blueprint version `wanted` names (or the newest) for `service`, from its recorded
/// source. A blueprint no longer where the record says is [`Error::BlueprintMoved`], which says
/// how to point the service at it.
pub fn resolve(service: &Service, wanted: Wanted<'_>, context: &Context) -> Result<Target> {
    let source = service.blueprint_source();
    locate_recorded(service, &source)?;
    resolve_target(&source, wanted, &context.cache_dir, context.network)
        .map_err(|err| if_lost(service, err))
}

/// [`Error::BlueprintMoved`] when `source` (the service's recorded source, resolved) is a
/// folder that is not there.
pub(crate) fn locate_recorded(service: &Service, source: &BlueprintSource) -> Result<()> {
    let recorded = &service.record.blueprint.source;
    match source {
        BlueprintSource::Path(path) if !path.is_dir() => Err(Error::BlueprintMoved {
            recorded: recorded.to_string(),
            reason: if source == recorded {
                "no such folder".to_owned()
            } else {
                format!(
                    "no folder at {}, where it is relative to the service",
                    path.display()
                )
            },
        }),
        _ => Ok(()),
    }
}

/// `err`, or [`Error::BlueprintMoved`] when it says the service's recorded git repository
/// cannot be fetched (and is not in the cache either).
pub(crate) fn if_lost(service: &Service, err: Error) -> Error {
    match err {
        Error::Git { context, source } if context.starts_with("fetching blueprint") => {
            Error::BlueprintMoved {
                recorded: service.record.blueprint.source.to_string(),
                reason: format!("{context}: {source}"),
            }
        }
        err => err,
    }
}

/// Updates `service` to `target` (resolved by the caller: a fleet resolves each blueprint once).
pub fn update_to(
    service: &Service,
    target: &Target,
    options: UpdateOptions<'_>,
) -> Result<ServiceUpdate> {
    check_direction(service, target, options.wanted.to, options.allow_downgrade)?;
    if !options.dry_run && !options.allow_dirty {
        let dirty = service.uncommitted()?;
        if !dirty.is_empty() {
            return Err(Error::DirtyTree(dirty));
        }
    }
    let update = plan(service, target, options.overrides, options.prompter)?;
    let mut warnings = update.warnings.clone();
    if !update.dropped_answers.is_empty() {
        warnings.push(format!(
            "blueprint {} {} has no variable{} {}; dropped from the record",
            update.blueprint,
            update.to,
            if update.dropped_answers.len() == 1 {
                ""
            } else {
                "s"
            },
            update
                .dropped_answers
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let conflicts: Vec<String> = update
        .plan
        .conflicted_files()
        .map(|f| f.path.clone())
        .collect();
    let outcome = if update.is_noop() {
        Outcome::UpToDate
    } else if options.dry_run {
        Outcome::WouldUpdate { conflicts }
    } else {
        apply_update(&service.dir, &update)?;
        if !conflicts.is_empty() {
            Outcome::Conflicts { files: conflicts }
        } else if options.commit {
            Outcome::Committed {
                commit: commit_update(&service.dir, &update, &[])?,
            }
        } else {
            Outcome::Updated
        }
    };
    Ok(ServiceUpdate {
        update,
        outcome,
        recovered: service.recovered.clone(),
        warnings,
        source_change: None,
    })
}

/// The update of `service` to `target`, planned and not applied (`svcgen diff`).
pub fn plan<'a>(
    service: &Service,
    target: &Target,
    overrides: &'a GivenAnswers,
    prompter: Option<&'a mut dyn Prompter>,
) -> Result<Update> {
    plan_update(
        &service.dir,
        &service.record,
        target,
        update::UpdateOptions {
            overrides,
            prompter,
            replay: &RecordedParts,
        },
    )
}

/// Refuses to go to an older version unless it was asked for by name, with `--allow-downgrade`.
fn check_direction(
    service: &Service,
    target: &Target,
    to: Option<&str>,
    allow_downgrade: bool,
) -> Result<()> {
    let current = &service.record.blueprint.version;
    let older = target.version();
    if older >= current || (to.is_some() && allow_downgrade) {
        return Ok(());
    }
    let name = &target.blueprint.manifest.name;
    Err(Error::Usage(match to {
        None => format!(
            "the newest available blueprint {name} {older} is older than this service's {current}; pass --to {older} --allow-downgrade to go back to it"
        ),
        Some(to) => format!(
            "`--to {to}` is blueprint {name} {older}, older than this service's {current}; pass --allow-downgrade as well to go back to it"
        ),
    }))
}

/// `Update catalog to blueprint service 1.2.0`: the subject of an update's commit.
pub fn commit_subject(update: &Update) -> String {
    format!(
        "Update {} to blueprint {} {}",
        update.service, update.blueprint, update.to
    )
}

/// Commits what `update` wrote in `dir`, naming both versions; `conflicts` (files left with
/// conflict markers, for a fleet's update branch) are listed in the message.
pub fn commit_update(dir: &Path, update: &Update, conflicts: &[String]) -> Result<String> {
    // Services of one monorepo share its index, so a fleet commits one service at a time.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut written = Vec::new();
    let mut deleted = Vec::new();
    for change in &update.changes {
        match change {
            Change::Write { path, .. } => written.push(path.to_string()),
            Change::Delete { path, .. } => deleted.push(path.to_string()),
        }
    }
    let mut message = format!(
        "{}\n\nFrom blueprint {} {} to {} with svcgen {}: {}.",
        commit_subject(update),
        update.blueprint,
        update.from,
        update.to,
        env!("CARGO_PKG_VERSION"),
        update.counts()
    );
    if !conflicts.is_empty() {
        message.push_str(
            "\n\nConflicts to resolve (the files hold <<<<<<< markers; edit them and commit):\n",
        );
        for path in conflicts {
            message.push_str(&format!("- {path}\n"));
        }
    }
    crate::git::commit_paths(dir, &written, &deleted, &message)
}
