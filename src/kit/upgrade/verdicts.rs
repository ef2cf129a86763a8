//! What an upgrade test checks in the updated service: lost edits, unexpected or missing
//! conflicts, and stray conflict markers.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use super::spec::UpgradeTest;
use crate::error::{Error, Result};
use crate::kit::patch::{self, FileChange, Patch};
use crate::tree::Tree;
use crate::update::plan::Plan;

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

/// Everything wrong with the updated service: conflicts other than the expected ones, expected
/// ones that did not happen, the patches' edits the update lost, and stray conflict markers.
pub(super) fn judge(
    test: &UpgradeTest,
    patches: &[Patch],
    plan: &Plan,
    states: &States<'_>,
) -> Result<Vec<Failure>> {
    let conflicts: Vec<String> = plan.conflicted_files().map(|f| f.path.clone()).collect();
    let renamed: HashMap<&str, &str> = plan
        .files
        .iter()
        .filter_map(|f| Some((f.renamed_from.as_deref()?, f.path.as_str())))
        .collect();
    let outcome_of = |path: &str| {
        plan.files
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
    for file in &conflicts {
        if !test.expect_conflicts.contains(file) {
            let text = std::fs::read(states.result.join(file))
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
        if !conflicts.contains(file) {
            failures.push(Failure::MissingConflict {
                file: file.clone(),
                outcome: outcome_of(file).to_owned(),
            });
        }
    }
    for (path, patch_file, file) in &edits {
        if path.starts_with(".svcgen/") {
            // svcgen's own files (an answer changed in the record) are read by the update, not
            // merged.
            continue;
        }
        let conflicted = conflicts.iter().any(|c| c == path);
        failures.extend(lost_edits(patch_file, file, path, conflicted, states)?);
    }
    let skip: Vec<&String> = conflicts.iter().chain(&test.expect_conflicts).collect();
    failures.extend(markers(states.result, &skip, states.theirs)?);
    Ok(failures)
}

/// The same service at each step: as made, as edited by the patches, the working copy's
/// render, and the updated service on disk.
pub(super) struct States<'a> {
    pub(super) made: &'a Tree,
    pub(super) edited: &'a Tree,
    pub(super) theirs: &'a Tree,
    pub(super) result: &'a Path,
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
    use crate::tree::RelPath;

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
                contents: text.as_bytes().to_vec().into(),
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
