//! One upgrade test, run: the old version rendered as `svcgen new --no-git` would, the team's
//! patches applied, and `svcgen update`'s engine run on it to the working copy.

use std::fmt;
use std::path::Path;

use super::spec::{UpgradeTest, load_patches, split_answers};
use super::verdicts::{States, judge};
use super::{Summary, UpgradeOutcome, UpgradeResult};
use crate::answers::GivenAnswers;
use crate::apply::write_tree;
use crate::blueprint::Blueprint;
use crate::blueprint::source::BlueprintSource;
use crate::error::Error;
use crate::generate::generate;
use crate::kit::history::History;
use crate::kit::patch;
use crate::render::render;
use crate::resolve::resolve_answers;
use crate::service::record::{RECORD_PATH, Record};
use crate::tree::Tree;
use crate::update::target::Target;
use crate::update::{PartReplay, RecordedParts, UpdateOptions, apply_update, plan_update};

/// Runs one test against the blueprint in `dir` (the working copy, `current`). `history` is
/// [`History::discover`] of `dir`, found once for all tests.
pub fn run_one(
    dir: &Path,
    history: &std::result::Result<History, String>,
    current: &Blueprint,
    test: &UpgradeTest,
) -> UpgradeResult {
    let outcome = match history {
        Ok(history) => {
            run(dir, history, current, test).unwrap_or_else(|stop| UpgradeOutcome::Broken(stop.0))
        }
        Err(message) => UpgradeOutcome::Broken(message.clone()),
    };
    UpgradeResult {
        name: test.name.clone(),
        outcome,
    }
}

/// A step that cannot go on, as a sentence: errors from the steps before the checks.
struct Stop(String);

impl From<Error> for Stop {
    fn from(err: Error) -> Stop {
        match err {
            // The generic advice (`--set`, `--answers`) does not apply to a test.
            Error::MissingAnswers(names) => Stop(format!(
                "no answer for {}, which {} no default; add {} to the test's `answers`",
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if names.len() == 1 { "has" } else { "have" },
                if names.len() == 1 { "it" } else { "them" },
            )),
            err => Stop(err.to_string()),
        }
    }
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn run(
    dir: &Path,
    history: &History,
    current: &Blueprint,
    test: &UpgradeTest,
) -> std::result::Result<UpgradeOutcome, Stop> {
    let commit = history.resolve(&test.from).map_err(Stop)?;
    let files = history.blueprint_files(commit, &test.from).map_err(Stop)?;
    let old = Blueprint::from_files(format!("{}@{}", current.origin, test.from), files)?;
    let patches = load_patches(test, current).map_err(|problems| {
        Stop(
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let answers = split_answers(test, Some(&old.manifest), &current.manifest)
        .map_err(|p| Stop(p.into_iter().map(|(_, m)| m).collect::<Vec<_>>().join("; ")))?;

    let mut summary = Summary {
        from_version: Some(old.manifest.version.clone()),
        to_version: Some(current.manifest.version.clone()),
        hunks: patches
            .iter()
            .flat_map(|p| &p.files)
            .map(|f| f.hunks.len())
            .sum(),
        ..Summary::default()
    };
    if current.manifest.version <= old.manifest.version {
        summary.notes.push(format!(
            "the working copy's version ({}) is not newer than `{}`'s ({}), so no [[migrations]] run",
            current.manifest.version, test.from, old.manifest.version
        ));
    }

    // What `svcgen new --no-git` writes.
    let resolved = resolve_answers(
        &old.manifest,
        &old.manifest_path(),
        &answers.service,
        &GivenAnswers::from_values(answers.old),
        None,
    )?;
    let source = BlueprintSource::Path(dir.to_owned());
    let made = generate(
        &old,
        &Record::new(&old, &source, None, &resolved),
        &Tree::new(),
    )?
    .tree;

    let mut edited = made.clone();
    let rendered_by = format!("the render of `{}`", test.from);
    for patch in &patches {
        patch::apply(patch, &mut edited, &rendered_by).map_err(|err| Stop(err.to_string()))?;
    }
    // A team may have edited an answer in the record, as the docs allow.
    let record_text = edited
        .get(RECORD_PATH)
        .map(|f| String::from_utf8_lossy(&f.contents).into_owned())
        .ok_or_else(|| Stop(format!("a patch deleted {RECORD_PATH}")))?;
    let record = Record::parse(&record_text, Path::new(RECORD_PATH))?;

    let workdir = tempfile::Builder::new()
        .prefix(&format!("svcgen-upgrade-{}-", test.name))
        .tempdir()
        .map_err(|err| Error::io(std::env::temp_dir(), err))?;
    write_tree(&edited, workdir.path())?;
    let target = Target {
        blueprint: current.clone(),
        source,
        commit: None,
        offline: false,
        unreadable_tags: Vec::new(),
    };
    let update = plan_update(
        workdir.path(),
        &record,
        &target,
        UpdateOptions {
            overrides: &GivenAnswers::from_values(answers.update),
            prompter: None,
            replay: &RecordedParts,
        },
    )?;
    apply_update(workdir.path(), &update)?;
    summary.notes.extend(update.warnings.iter().cloned());
    for file in &update.plan.files {
        *summary.outcomes.entry(file.outcome.as_str()).or_default() += 1;
    }
    summary.conflicts = update
        .plan
        .conflicted_files()
        .map(|f| f.path.clone())
        .collect();

    // The working copy as the update saw it ("theirs"), to tell the blueprint's own changes
    // from lost edits.
    let theirs = RecordedParts.replay(
        current,
        &update.record,
        &crate::service::files::WorkDir::new(workdir.path()),
        render(current, &update.record.answers)?,
    )?;
    let states = States {
        made: &made,
        edited: &edited,
        theirs: &theirs,
        result: workdir.path(),
    };
    let failures = judge(test, &patches, &update.plan, &states)?;

    if failures.is_empty() {
        return Ok(UpgradeOutcome::Passed(summary));
    }
    Ok(UpgradeOutcome::Failed {
        summary,
        failures,
        kept: workdir.keep(),
    })
}
