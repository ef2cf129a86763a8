//! The update planner: from the stored base, the service's files and the new render, what
//! happens to every file. Pure: it reads through a [`FileView`] and returns bytes to write;
//! [`super::apply`] is the only part that touches the disk.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::merge::{Labels, TextMerge, merge_text};
use crate::apply::Change;
use crate::error::Result;
use crate::render::is_binary;
use crate::service::base::{Base, BaseEntry, is_svcgen_file};
use crate::service::files::FileView;
use crate::service::policy::{Policies, Policy, RenderedRename};
use crate::tree::{FileEntry, Mode, RelPath, Tree};

/// Suffix of the file that holds the blueprint's version of a binary file both sides changed.
pub const THEIRS_SUFFIX: &str = ".svcgen-new";

pub struct PlanInput<'a> {
    /// What svcgen last wrote (the merge base).
    pub base: &'a Base,
    /// The service as it is now.
    pub ours: &'a dyn FileView,
    /// The new render, events replayed; svcgen's own files (`.svcgen/`) are ignored.
    pub theirs: &'a Tree,
    /// The new blueprint's policies, rendered with the service's answers.
    pub policies: &'a Policies,
    pub renames: &'a [RenderedRename],
    pub labels: &'a Labels,
}

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Nothing to do: the blueprint did not change it, or you already have its change.
    Unchanged,
    /// You had not changed it: replaced with the blueprint's new version.
    Updated,
    /// Both changed it, on different lines: merged.
    Merged,
    /// Both changed the same lines: written with conflict markers for you to resolve.
    Conflict,
    /// New in the blueprint.
    Added,
    /// The blueprint dropped it and you had not changed it.
    Removed,
    /// Left as you have it although the blueprint changed or dropped it (see the note).
    Kept,
    /// A binary file both changed: yours kept, the blueprint's written beside it.
    Binary,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Unchanged => "unchanged",
            Outcome::Updated => "updated",
            Outcome::Merged => "merged",
            Outcome::Conflict => "conflict",
            Outcome::Added => "added",
            Outcome::Removed => "removed",
            Outcome::Kept => "kept",
            Outcome::Binary => "binary",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModeChange {
    pub from: String,
    pub to: String,
}

/// One file's line in the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilePlan {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    pub outcome: Outcome,
    pub policy: Policy,
    #[serde(skip_serializing_if = "is_zero")]
    pub conflicts: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<ModeChange>,
    /// Where the blueprint's version of a binary file was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theirs_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Every file whose outcome is not a silent `unchanged`, sorted by path.
    pub files: Vec<FilePlan>,
    /// How many files needed nothing.
    pub unchanged: usize,
    /// The writes and deletions, in path order.
    pub changes: Vec<Change>,
    /// The base to store once the changes are applied.
    pub base: Base,
}

impl Plan {
    pub fn conflicts(&self) -> usize {
        self.files.iter().map(|f| f.conflicts).sum()
    }

    /// Files left for the team to resolve: conflict markers, a binary file both sides changed,
    /// a link or a folder where the blueprint has a file.
    pub fn conflicted_files(&self) -> impl Iterator<Item = &FilePlan> {
        self.files.iter().filter(|f| f.conflicts > 0)
    }
}

/// The decision for one path: what should be there afterwards and what the new base is.
struct Decision<'a> {
    outcome: Outcome,
    /// What the file becomes: often the team's or the blueprint's file as it is, borrowed, so a
    /// large file is not copied once more to be left alone.
    result: Option<Cow<'a, FileEntry>>,
    base: Option<BaseEntry>,
    conflicts: usize,
    side: Option<FileEntry>,
    note: Option<String>,
}

impl<'a> Decision<'a> {
    fn new(outcome: Outcome, result: Option<Cow<'a, FileEntry>>, base: Option<BaseEntry>) -> Self {
        Decision {
            outcome,
            result,
            base,
            conflicts: 0,
            side: None,
            note: None,
        }
    }

    fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

pub fn plan(input: &PlanInput<'_>) -> Result<Plan> {
    let theirs = input.theirs;

    // The base, moved along the blueprint's renames. `origin` is where the file was.
    let mut base_at: BTreeMap<RelPath, (BaseEntry, RelPath)> = input
        .base
        .iter()
        .map(|(path, entry)| (path.clone(), (entry.clone(), path.clone())))
        .collect();
    for rename in input.renames {
        // A blueprint that still makes `from` copied the file rather than moved it.
        if theirs.get(rename.from.as_str()).is_some() || base_at.contains_key(&rename.to) {
            continue;
        }
        if let Some(moved) = base_at.remove(&rename.from) {
            base_at.insert(rename.to.clone(), moved);
        }
    }
    // A move only carries your file along when nothing of yours is at the new path already;
    // otherwise both stay where they are and are handled as a removal and an addition.
    let mut moved_from: BTreeMap<RelPath, RelPath> = BTreeMap::new();
    let renamed: Vec<RelPath> = base_at
        .iter()
        .filter(|(path, (_, origin))| *path != origin)
        .map(|(path, _)| path.clone())
        .collect();
    for path in renamed {
        let origin = base_at[&path].1.clone();
        let yours_at_new = input.ours.read(&path)?.is_some();
        let yours_at_old = input.ours.read(&origin)?.is_some();
        if yours_at_new && !yours_at_old && !base_at.contains_key(&origin) {
            // You already made the move the blueprint declares: your file at the new path is
            // merged against the old path's base, as if svcgen had moved it.
            continue;
        }
        if yours_at_new || base_at.contains_key(&origin) {
            let (entry, origin) = base_at.remove(&path).expect("listed above");
            base_at.insert(origin.clone(), (entry, origin));
        } else {
            moved_from.insert(path, origin);
        }
    }

    let paths: BTreeSet<&RelPath> = base_at
        .keys()
        .chain(theirs.iter().map(|(path, _)| path))
        .filter(|path| !is_svcgen_file(path))
        .collect();

    let mut plan = Plan::default();
    for path in paths {
        let origin = moved_from.get(path);
        let ours_path = origin.unwrap_or(path);
        let base = base_at.get(path).map(|(entry, _)| entry);
        let their_file = theirs.get(path.as_str());
        let policy = match (their_file, base) {
            (Some(_), _) => input.policies.of(path.as_str()),
            (None, Some(base)) => base.policy,
            (None, None) => unreachable!("every path is in the base or the new render"),
        };
        // A managed file the blueprint did not change stays as the team has it, whatever they
        // did to it: decided without reading it, so a large file is not held in memory for
        // nothing. (The full decision below would say the same: unchanged, base moved on.)
        if origin.is_none()
            && policy == Policy::Managed
            && let (Some(base), Some(theirs)) = (base, their_file)
            && base.mode == theirs.mode
            && base.same_bytes(&theirs.contents)
            && input.ours.is_plain_file(path)?
        {
            plan.base
                .insert(path.clone(), BaseEntry::new(Policy::Managed, theirs));
            plan.unchanged += 1;
            continue;
        }
        let mut ours = input.ours.read(ours_path)?;
        // The team moved a generated file (`git mv`) that the blueprint still makes where it
        // was: the blueprint's change is merged into the moved file, where the team keeps it.
        let mut moved_by_team = None;
        if ours.is_none()
            && origin.is_none()
            && base.is_some()
            && their_file.is_some()
            && policy == Policy::Managed
            && let Some(moved) = input.ours.moved_to(path)?
            && theirs.get(moved.as_str()).is_none()
            && !base_at.contains_key(&moved)
            && let Some(file) = input.ours.read(&moved)?
        {
            ours = Some(file);
            moved_by_team = Some(moved);
        }
        let decision = match (&ours, their_file) {
            (Some(link), Some(theirs)) if link.mode == Mode::Symlink => {
                decide_link(base, link, theirs, policy)
            }
            _ => match policy {
                Policy::Managed => decide_managed(path, base, ours.as_ref(), their_file, input)?,
                Policy::Seed => decide_seed(base, ours.as_ref(), their_file),
                Policy::User => decide_user(base, ours.as_ref(), their_file),
            },
        };

        // Changes on disk.
        let at = moved_by_team.as_ref().unwrap_or(path);
        match origin {
            Some(origin) => {
                if let Some(before) = &ours {
                    plan.changes.push(Change::Delete {
                        path: origin.clone(),
                        before: before.clone(),
                    });
                }
                if let Some(after) = &decision.result {
                    plan.changes.push(Change::Write {
                        path: path.clone(),
                        before: None,
                        after: FileEntry::clone(after),
                    });
                }
            }
            None => match (&ours, &decision.result) {
                (Some(before), Some(after)) if *before != **after => {
                    plan.changes.push(Change::Write {
                        path: at.clone(),
                        before: Some(before.clone()),
                        after: FileEntry::clone(after),
                    });
                }
                (Some(before), None) => plan.changes.push(Change::Delete {
                    path: at.clone(),
                    before: before.clone(),
                }),
                (None, Some(after)) => plan.changes.push(Change::Write {
                    path: at.clone(),
                    before: None,
                    after: FileEntry::clone(after),
                }),
                _ => {}
            },
        }
        let theirs_at = match &decision.side {
            Some(side) => {
                let side_path = RelPath::new(&format!("{at}{THEIRS_SUFFIX}"))
                    .expect("a suffix keeps a path valid");
                plan.changes.push(Change::Write {
                    before: input.ours.read(&side_path)?,
                    path: side_path.clone(),
                    after: side.clone(),
                });
                Some(side_path.to_string())
            }
            None => None,
        };
        if let Some(entry) = decision.base {
            plan.base.insert(path.clone(), entry);
        }

        let renamed_from = origin.filter(|_| ours.is_some());
        let mode = match (&ours, &decision.result) {
            (Some(before), Some(after)) if before.mode != after.mode => Some(ModeChange {
                from: before.mode.to_string(),
                to: after.mode.to_string(),
            }),
            _ => None,
        };
        let mut outcome = decision.outcome;
        if outcome == Outcome::Unchanged && mode.is_some() {
            outcome = Outcome::Updated;
        }
        if outcome == Outcome::Unchanged && renamed_from.is_none() {
            plan.unchanged += 1;
            continue;
        }
        let note = match &moved_by_team {
            Some(_) => Some(format!(
                "you moved `{path}` here; the blueprint's change to it is {} here",
                if decision.conflicts > 0 {
                    "written with conflict markers"
                } else {
                    "applied"
                }
            )),
            None => decision.note,
        };
        plan.files.push(FilePlan {
            path: at.to_string(),
            renamed_from: renamed_from.map(ToString::to_string),
            outcome,
            policy,
            conflicts: decision.conflicts,
            mode,
            theirs_at,
            note,
        });
    }
    plan.changes.sort_by(|a, b| a.path().cmp(b.path()));
    hold_back_file_folder_clashes(&mut plan, input)?;
    Ok(plan)
}

/// A write that needs a path to be a file where a folder stays, or a folder where a file stays
/// (the blueprint turned `config` into `config/app.toml`, or the reverse, and the team changed
/// what was there): not applied, but reported as a conflict with what to do. Where nothing of
/// the team's is in the way, the deletions and writes together swap the two in one transaction.
fn hold_back_file_folder_clashes(plan: &mut Plan, input: &PlanInput<'_>) -> Result<()> {
    let deleted: BTreeSet<RelPath> = plan
        .changes
        .iter()
        .filter(|c| matches!(c, Change::Delete { .. }))
        .map(|c| c.path().clone())
        .collect();
    let written: BTreeSet<RelPath> = plan
        .changes
        .iter()
        .filter(|c| matches!(c, Change::Write { .. }))
        .map(|c| c.path().clone())
        .collect();
    let mut held = BTreeMap::new();
    for path in &written {
        let text = path.as_str();
        for (end, _) in text.match_indices('/') {
            let folder = RelPath::new(&text[..end]).expect("a prefix of a valid path");
            if !deleted.contains(&folder) && input.ours.read(&folder)?.is_some() {
                held.insert(
                    path.clone(),
                    format!(
                        "the blueprint now has a folder `{folder}` (for this file) where you have a file `{folder}` it no longer makes; move your file aside (`git mv {folder} {folder}.old`), run the update again, then bring your changes across"
                    ),
                );
                break;
            }
        }
        if input.ours.is_dir(path)? {
            let staying: Vec<RelPath> = input
                .ours
                .files_under(path)?
                .into_iter()
                .filter(|file| !deleted.contains(file))
                .collect();
            if let Some(first) = staying.first() {
                held.insert(
                    path.clone(),
                    format!(
                        "the blueprint now has a file `{path}` where you have a folder holding files it no longer makes (such as `{first}`); move the folder aside (`git mv {path} {path}.old`), run the update again, then bring your changes across"
                    ),
                );
            }
        }
    }
    if held.is_empty() {
        return Ok(());
    }
    plan.changes
        .retain(|change| !held.contains_key(change.path()));
    for (path, note) in held {
        // The base stays as it was, so the next update offers the change again.
        match input.base.get(&path) {
            Some(entry) => plan.base.insert(path.clone(), entry.clone()),
            None => {
                plan.base.remove(&path);
            }
        }
        if let Some(file) = plan.files.iter_mut().find(|f| f.path == path.as_str()) {
            file.outcome = Outcome::Conflict;
            file.conflicts = 1;
            file.note = Some(note);
        }
    }
    Ok(())
}

/// A symbolic link where the blueprint has a file (the team linked it to a file of theirs, or
/// it lies in a linked folder). svcgen never writes through a link: when the blueprint changed
/// the file, its version goes beside the link and the link is a conflict to resolve by hand.
fn decide_link<'a>(
    base: Option<&BaseEntry>,
    link: &'a FileEntry,
    theirs: &'a FileEntry,
    policy: Policy,
) -> Decision<'a> {
    let new_base = Some(BaseEntry::new(policy, theirs));
    let blueprint_changed = base.is_none_or(|base| !base.same_bytes(&theirs.contents));
    if policy != Policy::Managed || !blueprint_changed {
        return Decision::new(Outcome::Unchanged, Some(Cow::Borrowed(link)), new_base);
    }
    let target = String::from_utf8_lossy(&link.contents).into_owned();
    let mut decision = Decision::new(Outcome::Conflict, Some(Cow::Borrowed(link)), new_base).note(
        format!(
            "a symbolic link (to `{target}`) where the blueprint has a file: left as it is; apply the blueprint's change to what it links to by hand"
        ),
    );
    decision.side = Some(theirs.clone());
    decision.conflicts = 1;
    decision
}

fn decide_managed<'a>(
    path: &RelPath,
    base: Option<&BaseEntry>,
    ours: Option<&'a FileEntry>,
    theirs: Option<&'a FileEntry>,
    input: &PlanInput<'_>,
) -> Result<Decision<'a>> {
    let new_base = |file: &FileEntry| Some(BaseEntry::new(Policy::Managed, file));
    Ok(match (base, ours, theirs) {
        (_, _, None) => match (base, ours) {
            (Some(base), Some(ours)) if base.same_bytes(&ours.contents) => {
                Decision::new(Outcome::Removed, None, None)
            }
            (Some(_), Some(ours)) => Decision::new(Outcome::Kept, Some(Cow::Borrowed(ours)), None).note(
                "the blueprint no longer generates it; kept because you changed it (it is yours now)",
            ),
            _ => Decision::new(Outcome::Unchanged, None, None),
        },
        (None, None, Some(theirs)) => {
            Decision::new(Outcome::Added, Some(Cow::Borrowed(theirs)), new_base(theirs))
        }
        (Some(base), None, Some(theirs)) => {
            // The base moves on either way, so the deletion is reported once per blueprint
            // change, not on every later update.
            if base.same_bytes(&theirs.contents) && base.mode == theirs.mode {
                Decision::new(Outcome::Unchanged, None, new_base(theirs))
            } else {
                Decision::new(Outcome::Kept, None, new_base(theirs)).note(
                    "you deleted it and the blueprint changed it; it stays deleted",
                )
            }
        }
        (None, Some(ours), Some(theirs)) => {
            // A new blueprint file where you already have one.
            if ours.contents == theirs.contents {
                Decision::new(Outcome::Unchanged, Some(Cow::Borrowed(ours)), new_base(theirs))
            } else {
                combine(path, &[], ours, theirs, input)?
                    .note("the blueprint added a file where you already had one")
            }
        }
        (Some(base), Some(ours), Some(theirs)) => {
            let mode = if ours.mode == base.mode {
                theirs.mode
            } else {
                ours.mode
            };
            let with_mode = |file| with_mode(file, mode);
            let blueprint_changed = !base.same_bytes(&theirs.contents);
            let you_changed = !base.same_bytes(&ours.contents);
            if !blueprint_changed || ours.contents == theirs.contents {
                Decision::new(Outcome::Unchanged, Some(with_mode(ours)), new_base(theirs))
            } else if !you_changed {
                Decision::new(Outcome::Updated, Some(with_mode(theirs)), new_base(theirs))
            } else {
                // A base kept by id only (a file that was `seed` or `user`, or large) is still
                // in the service's history.
                let from_history;
                let base_text = match &base.content {
                    Some(content) => &content[..],
                    None => {
                        from_history = input.ours.read_blob(&base.blob)?.unwrap_or_default();
                        from_history.as_slice()
                    }
                };
                let mut decision = combine(path, base_text, ours, theirs, input)?;
                if let Some(result) = &mut decision.result
                    && result.mode != mode
                {
                    result.to_mut().mode = mode;
                }
                decision
            }
        }
    })
}

/// `file` with `mode`: itself when it has that mode already.
fn with_mode(file: &FileEntry, mode: Mode) -> Cow<'_, FileEntry> {
    if file.mode == mode {
        Cow::Borrowed(file)
    } else {
        Cow::Owned(FileEntry {
            contents: file.contents.clone(),
            mode,
        })
    }
}

/// Both sides changed the file: merge text, set binary side by side.
fn combine<'a>(
    path: &RelPath,
    base: &[u8],
    ours: &'a FileEntry,
    theirs: &'a FileEntry,
    input: &PlanInput<'_>,
) -> Result<Decision<'a>> {
    let new_base = Some(BaseEntry::new(Policy::Managed, theirs));
    if is_binary(&ours.contents) || is_binary(&theirs.contents) || is_binary(base) {
        let mut decision = Decision::new(Outcome::Binary, Some(Cow::Borrowed(ours)), new_base).note(
            "binary file changed by you and by the blueprint: yours is kept, the blueprint's is beside it",
        );
        decision.side = Some(theirs.clone());
        // Nothing can be merged: which version to keep is the team's call, so it is a conflict
        // (exit code 3, never committed by --commit).
        decision.conflicts = 1;
        return Ok(decision);
    }
    let merged = merge_text(
        path.as_str(),
        base,
        &ours.contents,
        &theirs.contents,
        input.labels,
    )?;
    Ok(match merged {
        TextMerge::Clean(contents) => Decision::new(
            Outcome::Merged,
            Some(Cow::Owned(FileEntry {
                contents: contents.into(),
                mode: ours.mode,
            })),
            new_base,
        ),
        TextMerge::Conflicted { content, conflicts } => {
            let mut decision = Decision::new(
                Outcome::Conflict,
                Some(Cow::Owned(FileEntry {
                    contents: content.into(),
                    mode: ours.mode,
                })),
                new_base,
            );
            decision.conflicts = conflicts;
            decision
        }
    })
}

fn decide_seed<'a>(
    base: Option<&BaseEntry>,
    ours: Option<&'a FileEntry>,
    theirs: Option<&'a FileEntry>,
) -> Decision<'a> {
    let Some(theirs) = theirs else {
        // Seeds are never removed.
        return Decision::new(Outcome::Unchanged, ours.map(Cow::Borrowed), None);
    };
    let new_base = Some(BaseEntry::new(Policy::Seed, theirs));
    match (base, ours) {
        (None, None) => Decision::new(Outcome::Added, Some(Cow::Borrowed(theirs)), new_base),
        // You removed it: a seed is never written again.
        (Some(_), None) => Decision::new(Outcome::Unchanged, None, new_base),
        (base, Some(ours)) => {
            let blueprint_changed = match base {
                Some(base) => !base.same_bytes(&theirs.contents),
                None => ours.contents != theirs.contents,
            };
            let decision = Decision::new(
                if blueprint_changed {
                    Outcome::Kept
                } else {
                    Outcome::Unchanged
                },
                Some(Cow::Borrowed(ours)),
                new_base,
            );
            if blueprint_changed {
                decision.note("a seed file: written once, then yours; the blueprint's changes to it are not applied")
            } else {
                decision
            }
        }
    }
}

fn decide_user<'a>(
    base: Option<&BaseEntry>,
    ours: Option<&'a FileEntry>,
    theirs: Option<&'a FileEntry>,
) -> Decision<'a> {
    let Some(theirs) = theirs else {
        return Decision::new(Outcome::Unchanged, ours.map(Cow::Borrowed), None);
    };
    let new_base = Some(BaseEntry::new(Policy::User, theirs));
    let blueprint_changed = match base {
        Some(base) => !base.same_bytes(&theirs.contents),
        None => ours.is_none_or(|ours| ours.contents != theirs.contents),
    };
    if blueprint_changed {
        Decision::new(Outcome::Kept, ours.map(Cow::Borrowed), new_base).note(
            "a user file: only `svcgen new` writes it; the blueprint's version is not applied",
        )
    } else {
        Decision::new(Outcome::Unchanged, ours.map(Cow::Borrowed), new_base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::Mode;

    fn file(text: &str) -> FileEntry {
        FileEntry {
            contents: text.as_bytes().to_vec().into(),
            mode: Mode::Regular,
        }
    }

    fn tree(files: &[(&str, &str)]) -> Tree {
        let mut tree = Tree::new();
        for (path, text) in files {
            tree.insert(RelPath::new(path).unwrap(), file(text));
        }
        tree
    }

    fn labels() -> Labels {
        Labels {
            base: "base".into(),
            ours: "yours".into(),
            theirs: "blueprint".into(),
        }
    }

    fn run(base: &[(&str, &str)], ours: &[(&str, &str)], theirs: &[(&str, &str)]) -> Plan {
        run_with(base, ours, theirs, &[])
    }

    fn run_with(
        base: &[(&str, &str)],
        ours: &[(&str, &str)],
        theirs: &[(&str, &str)],
        renames: &[(&str, &str)],
    ) -> Plan {
        let base = Base::from_tree(&tree(base), |_| Policy::Managed);
        let renames: Vec<RenderedRename> = renames
            .iter()
            .map(|(from, to)| RenderedRename {
                from: RelPath::new(from).unwrap(),
                to: RelPath::new(to).unwrap(),
            })
            .collect();
        plan(&PlanInput {
            base: &base,
            ours: &tree(ours),
            theirs: &tree(theirs),
            policies: &Policies::default(),
            renames: &renames,
            labels: &labels(),
        })
        .unwrap()
    }

    fn outcomes(plan: &Plan) -> Vec<(String, Outcome)> {
        plan.files
            .iter()
            .map(|f| (f.path.clone(), f.outcome))
            .collect()
    }

    #[test]
    fn nothing_changed_is_an_empty_plan() {
        let plan = run(&[("a", "1\n")], &[("a", "1\n")], &[("a", "1\n")]);
        assert!(plan.files.is_empty() && plan.changes.is_empty());
        assert_eq!(plan.unchanged, 1);
    }

    #[test]
    fn each_combination_of_sides_has_its_outcome() {
        let plan = run(
            &[
                ("upd", "1\n"),
                ("gone", "x\n"),
                ("mine", "x\n"),
                ("del", "x\n"),
            ],
            &[
                ("upd", "1\n"),
                ("gone", "x\n"),
                ("mine", "edited\n"),
                ("new", "n\n"),
            ],
            &[
                ("upd", "2\n"),
                ("del", "y\n"),
                ("new", "n\n"),
                ("add", "a\n"),
            ],
        );
        assert_eq!(
            outcomes(&plan),
            [
                ("add".into(), Outcome::Added),
                ("del".into(), Outcome::Kept),
                ("gone".into(), Outcome::Removed),
                ("mine".into(), Outcome::Kept),
                ("upd".into(), Outcome::Updated),
            ]
        );
        // `new` existed on both sides with the same bytes: adopted silently, now in the base.
        assert!(plan.base.get(&RelPath::new("new").unwrap()).is_some());
        assert!(plan.base.get(&RelPath::new("mine").unwrap()).is_none());
        let changed: Vec<&str> = plan.changes.iter().map(|c| c.path().as_str()).collect();
        assert_eq!(changed, ["add", "gone", "upd"]);
    }

    #[test]
    fn rename_carries_your_edits_to_the_new_path() {
        let plan = run_with(
            &[("old", "a\nb\nc\nd\n")],
            &[("old", "A\nb\nc\nd\n")],
            &[("new", "a\nb\nc\nD\n")],
            &[("old", "new")],
        );
        assert_eq!(outcomes(&plan), [("new".into(), Outcome::Merged)]);
        assert_eq!(plan.files[0].renamed_from.as_deref(), Some("old"));
        assert_eq!(
            plan.changes,
            [
                Change::Write {
                    path: RelPath::new("new").unwrap(),
                    before: None,
                    after: file("A\nb\nc\nD\n"),
                },
                Change::Delete {
                    path: RelPath::new("old").unwrap(),
                    before: file("A\nb\nc\nd\n"),
                },
            ]
        );
    }

    #[test]
    fn rename_onto_a_file_of_yours_is_a_removal_and_an_addition() {
        let plan = run_with(
            &[("old", "a\n")],
            &[("old", "a\n"), ("new", "mine\n")],
            &[("new", "a\n")],
            &[("old", "new")],
        );
        assert_eq!(
            outcomes(&plan),
            [
                ("new".into(), Outcome::Conflict),
                ("old".into(), Outcome::Removed)
            ]
        );
    }

    #[test]
    fn binary_changed_on_both_sides_is_set_beside() {
        let plan = run(&[("b", "\0a")], &[("b", "\0ours")], &[("b", "\0theirs")]);
        assert_eq!(plan.files[0].outcome, Outcome::Binary);
        assert_eq!(plan.files[0].theirs_at.as_deref(), Some("b.svcgen-new"));
        assert_eq!(plan.changes.len(), 1);
        assert_eq!(plan.changes[0].path().as_str(), "b.svcgen-new");
    }
}
