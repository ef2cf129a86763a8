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

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;

use super::history::History;
use super::matrix::{DEFAULT_SERVICE_NAME, check_variant_name};
use super::patch::{self, FileChange, Patch, PatchError};
use super::suggest::suggestion;
use crate::answers::GivenAnswers;
use crate::apply::write_tree;
use crate::blueprint::manifest::NAME_VARIABLE;
use crate::blueprint::source::BlueprintSource;
use crate::blueprint::{Blueprint, Manifest, TEMPLATE_DIR};
use crate::error::{Error, Result};
use crate::name::validate_service_name;
use crate::record::{RECORD_PATH, Record};
use crate::render::render;
use crate::resolve::resolve_answers;
use crate::tree::{RelPath, Tree};
use crate::update::base::Base;
use crate::update::policy::Policies;
use crate::update::target::Target;
use crate::update::{EventReplay, RecordedEvents, UpdateOptions, apply_update, plan_update};

/// One `[[upgrade_tests]]` entry.
#[derive(Debug, Clone)]
pub struct UpgradeTest {
    /// Its position in `blueprint.toml`, for messages.
    pub index: usize,
    pub name: String,
    /// A git revision of the blueprint's repository: a tag, branch or commit.
    pub from: String,
    /// As in `[[tests]]`; `name` sets the service name.
    pub answers: IndexMap<String, toml::Value>,
    /// Paths relative to the blueprint folder, applied in order.
    pub patches: Vec<String>,
    /// Paths of the generated service the update is expected to leave with conflicts.
    pub expect_conflicts: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUpgradeTest {
    name: String,
    from: String,
    #[serde(default)]
    answers: IndexMap<String, toml::Value>,
    #[serde(default)]
    patches: Vec<String>,
    #[serde(default)]
    expect_conflicts: Vec<String>,
}

/// A problem with an entry as written, located by a dotted key under `upgrade_tests.N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecProblem {
    /// `upgrade_tests.0`, `upgrade_tests.0.patches.1`: a path for
    /// [`ManifestLines`](super::locate::ManifestLines).
    pub key: String,
    pub message: String,
}

/// The entries that are well-formed, and what is wrong with the others.
pub fn parse_specs(manifest: &Manifest) -> (Vec<UpgradeTest>, Vec<SpecProblem>) {
    let mut tests: Vec<UpgradeTest> = Vec::new();
    let mut problems = Vec::new();
    for (index, value) in manifest.upgrade_tests.iter().enumerate() {
        let key = format!("upgrade_tests.{index}");
        let mut found = Vec::new();
        let mut problem = |at: String, message: String| {
            found.push(SpecProblem {
                key: at,
                message: format!("[[upgrade_tests]] {message}"),
            })
        };
        let raw: RawUpgradeTest = match value.clone().try_into() {
            Ok(raw) => raw,
            Err(err) => {
                let err: toml::de::Error = err;
                problem(
                    key,
                    format!("entry {}: {}", index + 1, err.message().trim_end()),
                );
                problems.extend(found);
                continue;
            }
        };
        let named = |message: String| format!("`{}`: {message}", raw.name);
        if let Err(reason) = check_variant_name(&raw.name) {
            problem(format!("{key}.name"), named(reason));
        } else if tests.iter().any(|t| t.name == raw.name) {
            problem(
                format!("{key}.name"),
                named("two upgrade tests have this name".into()),
            );
        }
        if raw.from.trim().is_empty() {
            problem(
                format!("{key}.from"),
                named("`from` is empty; name a tag or commit of the blueprint's repository".into()),
            );
        }
        for (at, path) in raw.patches.iter().enumerate() {
            let at = format!("{key}.patches.{at}");
            if RelPath::new(path).is_err() {
                problem(
                    at,
                    named(format!(
                        "patch path `{path}` must be relative to the blueprint folder and stay inside it"
                    )),
                );
            } else if path.starts_with(&format!("{TEMPLATE_DIR}/")) {
                problem(
                    at,
                    named(format!(
                        "patch `{path}` is under {TEMPLATE_DIR}/, so every service would get it; keep patches beside it, in `upgrade-tests/`"
                    )),
                );
            }
        }
        for (at, path) in raw.expect_conflicts.iter().enumerate() {
            if let Err(reason) = RelPath::new(path) {
                problem(
                    format!("{key}.expect_conflicts.{at}"),
                    named(format!(
                        "expected conflict `{path}` {reason}; name a file of the generated service"
                    )),
                );
            }
        }
        if !found.is_empty() {
            problems.extend(found);
            continue;
        }
        tests.push(UpgradeTest {
            index,
            name: raw.name,
            from: raw.from,
            answers: raw.answers,
            patches: raw.patches,
            expect_conflicts: raw.expect_conflicts,
        });
    }
    (tests, problems)
}

/// A patch file of a test that is missing or does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchProblem {
    /// The patch at `patches.N` is not a file of the blueprint folder.
    Missing { key: String, message: String },
    /// The file exists and is not a unified diff it can use.
    Invalid(PatchError),
}

impl fmt::Display for PatchProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatchProblem::Missing { message, .. } => f.write_str(message),
            PatchProblem::Invalid(err) => err.fmt(f),
        }
    }
}

/// Reads and parses the test's patches from the blueprint's own files.
pub fn load_patches(
    test: &UpgradeTest,
    blueprint: &Blueprint,
) -> std::result::Result<Vec<Patch>, Vec<PatchProblem>> {
    let mut patches = Vec::new();
    let mut problems = Vec::new();
    for (at, path) in test.patches.iter().enumerate() {
        let shown = format!("{}/{path}", blueprint.origin);
        let Some(file) = blueprint.other_files.iter().find(|f| f.path == *path) else {
            problems.push(PatchProblem::Missing {
                key: format!("upgrade_tests.{}.patches.{at}", test.index),
                message: format!(
                    "[[upgrade_tests]] `{}`: patch `{path}` does not exist (looked for {shown})",
                    test.name
                ),
            });
            continue;
        };
        let parsed = std::str::from_utf8(&file.contents)
            .map_err(|_| PatchError {
                file: shown.clone(),
                line: 1,
                message: "not UTF-8 text".into(),
            })
            .and_then(|text| patch::parse(&shown, text));
        match parsed {
            Ok(patch) => patches.push(patch),
            Err(err) => problems.push(PatchProblem::Invalid(err)),
        }
    }
    if problems.is_empty() {
        Ok(patches)
    } else {
        Err(problems)
    }
}

/// A test's answers, by where they are used.
pub struct SplitAnswers {
    /// `name`, or the default service name.
    pub service: String,
    /// Variables of the old version: they render it, and reach the working copy through the
    /// record and its `[[migrations]]`, as for a real service.
    pub old: IndexMap<String, toml::Value>,
    /// Variables only the working copy declares: given to the update, as `--set` would be.
    pub update: IndexMap<String, toml::Value>,
}

/// Splits a test's answers between the old version (`None` when it could not be read: every
/// answer is then taken to be its) and the working copy. Fails with `(key, message)` for each
/// answer neither declares, and for a `name` that is not a valid service name.
pub fn split_answers(
    test: &UpgradeTest,
    old: Option<&Manifest>,
    current: &Manifest,
) -> std::result::Result<SplitAnswers, Vec<(String, String)>> {
    let mut split = SplitAnswers {
        service: DEFAULT_SERVICE_NAME.to_owned(),
        old: IndexMap::new(),
        update: IndexMap::new(),
    };
    let mut problems = Vec::new();
    for (key, value) in &test.answers {
        let at = format!("upgrade_tests.{}.answers.{key}", test.index);
        if key == NAME_VARIABLE {
            match value.as_str() {
                Some(name) => match validate_service_name(name) {
                    Ok(()) => split.service = name.to_owned(),
                    Err(err) => {
                        problems.push((at, format!("[[upgrade_tests]] `{}`: {err}", test.name)))
                    }
                },
                None => problems.push((
                    at,
                    format!(
                        "[[upgrade_tests]] `{}`: `name` must be a string, found {}",
                        test.name,
                        value.type_str()
                    ),
                )),
            }
            continue;
        }
        match old {
            Some(old) if old.variable(key).is_none() => {
                if current.variable(key).is_some() {
                    split.update.insert(key.clone(), value.clone());
                } else {
                    problems.push((
                        at,
                        format!(
                            "[[upgrade_tests]] `{}` answers `{key}`, which neither `{}` nor the working copy declares{}",
                            test.name,
                            test.from,
                            suggestion(key, current)
                        ),
                    ));
                }
            }
            // Unknown when the old version cannot be read: it may well declare the answer.
            _ => {
                split.old.insert(key.clone(), value.clone());
            }
        }
    }
    if problems.is_empty() {
        Ok(split)
    } else {
        Err(problems)
    }
}

/// What one upgrade test found.
#[derive(Debug)]
pub struct UpgradeResult {
    pub name: String,
    pub from: String,
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

impl UpgradeOutcome {
    pub fn is_failure(&self) -> bool {
        !matches!(self, UpgradeOutcome::Passed(_))
    }
}

#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub from_version: Option<semver::Version>,
    pub to_version: Option<semver::Version>,
    pub patches: usize,
    pub hunks: usize,
    /// How many files the update gave each outcome (`merged`, `updated`, ...).
    pub outcomes: BTreeMap<&'static str, usize>,
    pub conflicts: Vec<String>,
    /// The update's own warnings, and anything odd about the test.
    pub notes: Vec<String>,
}

/// Something wrong with an update's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Lines of a hunk that the update undid: added lines gone, removed lines back.
    LostEdit {
        file: String,
        hunk: String,
        /// `patchfile:line` of the hunk.
        at: String,
        added_gone: Vec<String>,
        removed_back: Vec<String>,
    },
    /// The file a patch edits or creates is not there after the update.
    FileGone { file: String, at: String },
    /// A file a patch deletes is back.
    FileBack { file: String, at: String },
    /// A conflict not in `expect_conflicts`, with the hunks (`` `@@ ... @@` of file:line``)
    /// whose lines are inside its conflict markers.
    UnexpectedConflict { file: String, hunks: Vec<String> },
    /// A file the team edited that the working copy no longer generates: the edit survives in
    /// a file nothing maintains any more.
    Orphaned { file: String, at: String },
    /// An `expect_conflicts` file the update did not leave with conflicts.
    MissingConflict { file: String, outcome: String },
    /// A conflict marker outside the files expected to conflict.
    Marker {
        file: String,
        line: usize,
        text: String,
        in_blueprint: bool,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::LostEdit {
                file,
                hunk,
                at,
                added_gone,
                removed_back,
            } => {
                let mut what: Vec<String> = added_gone
                    .iter()
                    .map(|l| format!("added line `{}` is gone", l.trim()))
                    .collect();
                what.extend(
                    removed_back
                        .iter()
                        .map(|l| format!("removed line `{}` is back", l.trim())),
                );
                write!(
                    f,
                    "{file}: lost edit: hunk `{hunk}` of {at}: {}",
                    what.join(", ")
                )
            }
            Failure::FileGone { file, at } => write!(
                f,
                "{file}: lost edit: the file {at} edits is gone after the update"
            ),
            Failure::FileBack { file, at } => write!(
                f,
                "{file}: lost edit: {at} deletes this file, and the update brought it back"
            ),
            Failure::UnexpectedConflict { file, hunks } => {
                write!(f, "{file}: unexpected conflict")?;
                if !hunks.is_empty() {
                    write!(f, " with hunk {}", hunks.join(", hunk "))?;
                }
                write!(
                    f,
                    "; if the blueprint cannot avoid it, add the file to `expect_conflicts`"
                )
            }
            Failure::Orphaned { file, at } => write!(
                f,
                "{file}: lost edit: the working copy no longer generates this file, so the edit from {at} lives on in a file nothing maintains; if the file moved, declare it in [[files.renames]], if it was dropped on purpose, drop the edit from this test"
            ),
            Failure::MissingConflict { file, outcome } => write!(
                f,
                "{file}: expected a conflict (`expect_conflicts`), but the update's outcome for it is `{outcome}`"
            ),
            Failure::Marker {
                file,
                line,
                text,
                in_blueprint,
            } => {
                write!(
                    f,
                    "{file}:{line}: conflict marker `{text}` in a file not expected to conflict"
                )?;
                if *in_blueprint {
                    write!(
                        f,
                        " (the blueprint's own output has it: a template holds an unresolved merge)"
                    )?;
                }
                Ok(())
            }
        }
    }
}

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
        from: test.from.clone(),
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
        patches: patches.len(),
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
    let mut made = render(&old, &resolved)?;
    let source = BlueprintSource::Path(dir.to_owned());
    Record::new(&old, &source, None, &resolved).add_to(&mut made);
    let policies = Policies::compile(&old.manifest, &old.manifest_path(), &resolved)?;
    Base::add_generated(&mut made, |path| policies.of(path.as_str()));

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
    };
    let update = plan_update(
        workdir.path(),
        &record,
        &target,
        UpdateOptions {
            overrides: &GivenAnswers::from_values(answers.update),
            prompter: None,
            replay: &RecordedEvents,
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
    let theirs = RecordedEvents.replay(
        current,
        &update.record,
        render(current, &update.record.answers)?,
    )?;
    let renamed: HashMap<&str, &str> = update
        .plan
        .files
        .iter()
        .filter_map(|f| Some((f.renamed_from.as_deref()?, f.path.as_str())))
        .collect();
    let outcome_of = |path: &str| {
        update
            .plan
            .files
            .iter()
            .find(|f| f.path == path)
            .map_or("unchanged", |f| f.outcome.as_str())
    };

    // Each edited file, under the path it has after the update.
    let edits: Vec<(&str, &str, &patch::FilePatch)> = patches
        .iter()
        .flat_map(|patch| {
            patch
                .files
                .iter()
                .map(move |file| (patch.file.as_str(), file))
        })
        .map(|(patch_file, file)| {
            let path = renamed
                .get(file.path.as_str())
                .copied()
                .unwrap_or(file.path.as_str());
            (path, patch_file, file)
        })
        .collect();

    let mut failures = Vec::new();
    for file in &summary.conflicts {
        if !test.expect_conflicts.contains(file) {
            let text = std::fs::read(workdir.path().join(file))
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .unwrap_or_default();
            let touching: Vec<(&str, &patch::FilePatch)> = edits
                .iter()
                .filter(|(path, _, _)| path == file)
                .map(|(_, patch_file, edit)| (*patch_file, *edit))
                .collect();
            failures.push(Failure::UnexpectedConflict {
                file: file.clone(),
                hunks: conflicting_hunks(&text, &touching),
            });
        }
    }
    for file in &test.expect_conflicts {
        if !summary.conflicts.contains(file) {
            failures.push(Failure::MissingConflict {
                file: file.clone(),
                outcome: outcome_of(file).to_owned(),
            });
        }
    }
    let states = States {
        made: &made,
        edited: &edited,
        theirs: &theirs,
        result: workdir.path(),
    };
    for (path, patch_file, file) in &edits {
        if path.starts_with(".svcgen/") {
            // svcgen's own files (an answer changed in the record) are read by the update, not
            // merged.
            continue;
        }
        let conflicted = summary.conflicts.iter().any(|c| c == path);
        failures.extend(lost_edits(patch_file, file, path, conflicted, &states)?);
    }
    let skip: Vec<&String> = summary
        .conflicts
        .iter()
        .chain(&test.expect_conflicts)
        .collect();
    failures.extend(markers(workdir.path(), &skip, &theirs)?);

    if failures.is_empty() {
        return Ok(UpgradeOutcome::Passed(summary));
    }
    Ok(UpgradeOutcome::Failed {
        summary,
        failures,
        kept: workdir.keep(),
    })
}

/// The same service at each step: as made, as edited by the patches, the working copy's
/// render, and the updated service on disk.
struct States<'a> {
    made: &'a Tree,
    edited: &'a Tree,
    theirs: &'a Tree,
    result: &'a Path,
}

fn text_of(tree: &Tree, path: &str) -> String {
    tree.get(path)
        .map(|f| String::from_utf8_lossy(&f.contents).into_owned())
        .unwrap_or_default()
}

fn count(text: &str, line: &str) -> isize {
    text.split('\n').filter(|l| *l == line).count() as isize
}

fn lost_edits(
    patch_file: &str,
    file: &patch::FilePatch,
    result_path: &str,
    conflicted: bool,
    states: &States<'_>,
) -> Result<Vec<Failure>> {
    let on_disk = states.result.join(result_path);
    let result = match std::fs::read(&on_disk) {
        Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => return Err(Error::io(on_disk, err)),
    };
    let at = format!("{patch_file}:{}", file.line);
    let Some(result) = result else {
        if file.change == FileChange::Delete {
            return Ok(Vec::new());
        }
        return Ok(vec![Failure::FileGone {
            file: result_path.to_owned(),
            at,
        }]);
    };
    if file.change == FileChange::Delete {
        return Ok(vec![Failure::FileBack {
            file: result_path.to_owned(),
            at,
        }]);
    }
    if file.change == FileChange::Modify && states.theirs.get(result_path).is_none() {
        return Ok(vec![Failure::Orphaned {
            file: result_path.to_owned(),
            at,
        }]);
    }
    let made = text_of(states.made, &file.path);
    let edited = text_of(states.edited, &file.path);
    let theirs = text_of(states.theirs, result_path);
    let strip = |line: &str| line.strip_suffix('\r').unwrap_or(line).trim().is_empty();
    let mut failures = Vec::new();
    for hunk in &file.hunks {
        let blueprint_delta = |line: &str| count(&theirs, line) - count(&made, line);
        let mut added_gone: Vec<String> = hunk
            .added()
            .filter(|line| !strip(line))
            .filter(|line| {
                count(&result, line) < count(&edited, line) + blueprint_delta(line).min(0)
            })
            .map(str::to_owned)
            .collect();
        added_gone.dedup();
        // In a conflicted file the blueprint's side of a conflict may show removed lines: the
        // edit is waiting for a person, not lost.
        let mut removed_back: Vec<String> = if conflicted {
            Vec::new()
        } else {
            hunk.removed()
                .filter(|line| !strip(line))
                .filter(|line| {
                    count(&result, line) > count(&edited, line) + blueprint_delta(line).max(0)
                })
                .map(str::to_owned)
                .collect()
        };
        removed_back.dedup();
        if !added_gone.is_empty() || !removed_back.is_empty() {
            failures.push(Failure::LostEdit {
                file: result_path.to_owned(),
                hunk: hunk.header.clone(),
                at: format!("{patch_file}:{}", hunk.line),
                added_gone,
                removed_back,
            });
        }
    }
    Ok(failures)
}

/// The hunks with a line inside one of `text`'s conflicts, as `` `@@ ... @@` of file:line``;
/// every hunk of the file when none is (a conflict can be next to an edit rather than on it).
fn conflicting_hunks(text: &str, edits: &[(&str, &patch::FilePatch)]) -> Vec<String> {
    let mut inside = std::collections::HashSet::new();
    let mut depth = false;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with("<<<<<<<") {
            depth = true;
        } else if line.starts_with(">>>>>>>") {
            depth = false;
        } else if depth && !line.trim().is_empty() {
            inside.insert(line);
        }
    }
    let inside = &inside;
    let all: Vec<(String, bool)> = edits
        .iter()
        .flat_map(|(patch_file, file)| {
            file.hunks.iter().map(move |hunk| {
                let involved = hunk
                    .added()
                    .chain(hunk.removed())
                    .any(|line| inside.contains(line));
                (
                    format!("`{}` of {patch_file}:{}", hunk.header, hunk.line),
                    involved,
                )
            })
        })
        .collect();
    let involved: Vec<String> = all
        .iter()
        .filter(|(_, involved)| *involved)
        .map(|(hunk, _)| hunk.clone())
        .collect();
    if involved.is_empty() {
        all.into_iter().map(|(hunk, _)| hunk).collect()
    } else {
        involved
    }
}

fn is_marker(line: &str) -> bool {
    let line = line.strip_suffix('\r').unwrap_or(line);
    ["<<<<<<<", ">>>>>>>"].iter().any(|marker| {
        line.strip_prefix(marker)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
    })
}

/// The first conflict marker of every text file under `root` outside `skip` and `.svcgen/`.
fn markers(root: &Path, skip: &[&String], theirs: &Tree) -> Result<Vec<Failure>> {
    let mut found = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_name() != ".svcgen" && e.file_name() != ".git");
    for entry in walker {
        let entry = entry.map_err(|err| Error::io(root, err.into()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let relative = entry
            .path()
            .strip_prefix(root)
            .expect("walkdir yields paths under its root")
            .to_string_lossy()
            .replace('\\', "/");
        if skip.iter().any(|s| **s == relative) {
            continue;
        }
        let bytes = std::fs::read(entry.path()).map_err(|err| Error::io(entry.path(), err))?;
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        if let Some((index, line)) = text.split('\n').enumerate().find(|(_, l)| is_marker(l)) {
            let line = line.strip_suffix('\r').unwrap_or(line);
            found.push(Failure::Marker {
                in_blueprint: text_of(theirs, &relative)
                    .split('\n')
                    .any(|l| l.strip_suffix('\r').unwrap_or(l) == line),
                file: relative,
                line: index + 1,
                text: line.to_owned(),
            });
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_whole_marker_lines_only() {
        assert!(is_marker("<<<<<<< yours"));
        assert!(is_marker(">>>>>>> blueprint x 2.0.0\r"));
        assert!(is_marker("<<<<<<<"));
        assert!(!is_marker("<<<<<<<< eight"));
        assert!(!is_marker(" <<<<<<< indented"));
        assert!(!is_marker("======="));
    }

    #[test]
    fn lost_edit_messages_name_file_hunk_and_patch_line() {
        let failure = Failure::LostEdit {
            file: "src/routes.rs".into(),
            hunk: "@@ -3,4 +3,5 @@".into(),
            at: "bp/upgrade-tests/add-route.patch:5".into(),
            added_gone: vec!["    .route(\"/orders\", get(orders))".into()],
            removed_back: vec!["    // TODO".into()],
        };
        assert_eq!(
            failure.to_string(),
            "src/routes.rs: lost edit: hunk `@@ -3,4 +3,5 @@` of bp/upgrade-tests/add-route.patch:5: added line `.route(\"/orders\", get(orders))` is gone, removed line `// TODO` is back"
        );
    }

    fn tree(text: &str) -> Tree {
        let mut tree = Tree::new();
        tree.insert(
            RelPath::new("f").unwrap(),
            crate::tree::FileEntry {
                contents: text.as_bytes().to_vec(),
                mode: crate::tree::Mode::Regular,
            },
        );
        tree
    }

    #[test]
    fn lost_edits_count_lines_and_allow_for_the_blueprints_own_changes() {
        let patch = patch::parse(
            "p.patch",
            "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n",
        )
        .unwrap();
        let (made, edited) = (tree("a\nb\nc\n"), tree("a\nB\nc\n"));
        let check = |theirs: &str, result: &str| {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("f"), result).unwrap();
            let theirs = tree(theirs);
            let states = States {
                made: &made,
                edited: &edited,
                theirs: &theirs,
                result: dir.path(),
            };
            lost_edits("p.patch", &patch.files[0], "f", false, &states).unwrap()
        };
        // The blueprint added a line elsewhere: the edit is there.
        assert_eq!(check("a\nb\nc\nd\n", "a\nB\nc\nd\n"), []);
        // The blueprint made the same removal, or added another `b` of its own.
        assert_eq!(check("a\nc\n", "a\nB\nc\n"), []);
        assert_eq!(check("a\nb\nc\nb\n", "a\nB\nc\nb\n"), []);
        // The update undid the edit.
        assert_eq!(
            check("a\nb\nc\nd\n", "a\nb\nc\nd\n"),
            [Failure::LostEdit {
                file: "f".into(),
                hunk: "@@ -1,3 +1,3 @@".into(),
                at: "p.patch:3".into(),
                added_gone: vec!["B".into()],
                removed_back: vec!["b".into()],
            }]
        );
    }
}
