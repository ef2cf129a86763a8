//! `svcgen blueprint test`: render every variant of the test matrix and compare it with its
//! snapshot.
//!
//! Without `--accept`, a difference (or a missing snapshot) fails the run, prints a diff and
//! leaves `<snapshot>.snap.new` for `cargo insta review`. With `--accept`, snapshots are written
//! for every variant that differs and snapshots no variant produces any more are removed.

use std::fs;
use std::path::{Path, PathBuf};

use super::matrix::{self, Matrix, Variant};
use super::snapshot::{self, Snapshot};
use crate::blueprint::Blueprint;
use crate::error::{Error, Result};
use crate::render::render;
use crate::tree::Tree;

#[derive(Debug)]
pub enum Outcome {
    Matched,
    /// `--accept` wrote the snapshot (`created`: there was none before).
    Accepted {
        created: bool,
    },
    Mismatch {
        diff: String,
        pending: PathBuf,
    },
    Missing {
        pending: PathBuf,
    },
    RenderFailed {
        error: String,
    },
}

#[derive(Debug)]
pub struct VariantResult {
    pub variant: Variant,
    pub snapshot: PathBuf,
    pub outcome: Outcome,
    /// The rendered output, for `--build`; `None` when rendering failed.
    pub tree: Option<Tree>,
}

#[derive(Debug)]
pub struct Report {
    pub results: Vec<VariantResult>,
    pub matrix: Matrix,
    /// Snapshots of this blueprint that no variant produces (deleted with `--accept`).
    pub obsolete: Vec<PathBuf>,
    pub removed: Vec<PathBuf>,
}

/// Runs the snapshot tests of `blueprint` against the snapshots in `dir`.
pub fn run(blueprint: &Blueprint, dir: &Path, accept: bool) -> Result<Report> {
    let manifest = &blueprint.manifest;
    let built = matrix::build(blueprint);
    let source = blueprint
        .manifest_path()
        .trim_start_matches("./")
        .to_owned();

    let mut results = Vec::with_capacity(built.variants.len());
    for variant in &built.variants {
        let path = dir.join(snapshot::file_name(&manifest.name, &variant.name));
        let pending = snapshot::pending_path(&path);
        let tree = match render(blueprint, &variant.answers) {
            Ok(tree) => tree,
            Err(err) => {
                results.push(VariantResult {
                    variant: variant.clone(),
                    snapshot: path,
                    outcome: Outcome::RenderFailed {
                        error: err.to_string(),
                    },
                    tree: None,
                });
                continue;
            }
        };
        let new = Snapshot {
            source: source.clone(),
            description: description(blueprint, variant),
            contents: snapshot::describe(&tree),
        };
        let old = snapshot::read_contents(&path)?;
        let outcome = match (&old, accept) {
            (Some(old), _) if snapshot::matches(old, &new.contents) => {
                snapshot::remove_if_present(&pending)?;
                Outcome::Matched
            }
            (_, true) => {
                snapshot::write_atomically(&path, &new.to_file_text())?;
                snapshot::remove_if_present(&pending)?;
                Outcome::Accepted {
                    created: old.is_none(),
                }
            }
            (Some(old), false) => {
                snapshot::write_atomically(&pending, &new.to_file_text())?;
                Outcome::Mismatch {
                    diff: snapshot::diff(
                        old,
                        &new.contents,
                        &path.display().to_string(),
                        &format!("{} (rendered now)", variant.name),
                    ),
                    pending,
                }
            }
            (None, false) => {
                snapshot::write_atomically(&pending, &new.to_file_text())?;
                Outcome::Missing { pending }
            }
        };
        results.push(VariantResult {
            variant: variant.clone(),
            snapshot: path,
            outcome,
            tree: Some(tree),
        });
    }

    let expected: Vec<&Path> = results.iter().map(|r| r.snapshot.as_path()).collect();
    let obsolete: Vec<PathBuf> = snapshots_of(dir, &manifest.name)?
        .into_iter()
        .filter(|path| !expected.contains(&path.as_path()))
        .collect();
    let mut removed = Vec::new();
    if accept {
        for path in &obsolete {
            snapshot::remove_if_present(path)?;
            snapshot::remove_if_present(&snapshot::pending_path(path))?;
            removed.push(path.clone());
        }
    }
    Ok(Report {
        results,
        matrix: built,
        obsolete: if accept { Vec::new() } else { obsolete },
        removed,
    })
}

/// The header line insta shows in review: which blueprint, version and answers.
pub(crate) fn description(blueprint: &Blueprint, variant: &Variant) -> String {
    let answers = variant
        .answers
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join("\n");
    format!(
        "blueprint {} {}, answer set `{}`:\n{answers}",
        blueprint.manifest.name, blueprint.manifest.version, variant.name
    )
}

/// The `.snap` files of one blueprint in `dir`, sorted.
fn snapshots_of(dir: &Path, blueprint: &str) -> Result<Vec<PathBuf>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(Error::io(dir, err)),
    };
    let prefix = format!("{blueprint}__");
    let suffix = format!(".{}", snapshot::EXTENSION);
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|err| Error::io(dir, err))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(&prefix) && name.ends_with(&suffix) {
            found.push(entry.path());
        }
    }
    found.sort();
    Ok(found)
}
