//! `[[upgrade_tests]]` as written: the entries, their patches and their answers. `svcgen
//! blueprint lint` reports what is wrong with them; `test` runs the ones that are right.

use std::fmt;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::blueprint::manifest::NAME_VARIABLE;
use crate::blueprint::{Blueprint, Manifest, TEMPLATE_DIR};
use crate::kit::matrix::{DEFAULT_SERVICE_NAME, check_variant_name};
use crate::kit::patch::{self, Patch, PatchError};
use crate::kit::suggest::suggestion;
use crate::name::validate_service_name;
use crate::tree::RelPath;

/// One `[[upgrade_tests]]` entry.
#[derive(Debug, Clone)]
pub struct UpgradeTest {
    /// Its position in `blueprint.toml`, for messages.
    pub(crate) index: usize,
    pub name: String,
    /// A git revision of the blueprint's repository: a tag, branch or commit.
    pub from: String,
    /// As in `[[tests]]`; `name` sets the service name.
    pub(crate) answers: IndexMap<String, toml::Value>,
    /// Paths relative to the blueprint folder, applied in order.
    pub patches: Vec<String>,
    /// Paths of the generated service the update is expected to leave with conflicts.
    pub(crate) expect_conflicts: Vec<String>,
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
    /// [`ManifestLines`](crate::kit::locate::ManifestLines).
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
pub(crate) enum PatchProblem {
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
pub(crate) fn load_patches(
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
pub(crate) struct SplitAnswers {
    /// `name`, or the default service name.
    pub(crate) service: String,
    /// Variables of the old version: they render it, and reach the working copy through the
    /// record and its `[[migrations]]`, as for a real service.
    pub(crate) old: IndexMap<String, toml::Value>,
    /// Variables only the working copy declares: given to the update, as `--set` would be.
    pub(crate) update: IndexMap<String, toml::Value>,
}

/// Splits a test's answers between the old version (`None` when it could not be read: every
/// answer is then taken to be its) and the working copy. Fails with `(key, message)` for each
/// answer neither declares, and for a `name` that is not a valid service name.
pub(crate) fn split_answers(
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
