//! Property: when the team and the blueprint edit different lines of a managed file, the update
//! keeps every line each side wrote and every line each side deleted stays deleted, with no
//! conflict, whatever the edits and line endings.

use proptest::prelude::*;
use svcgen::apply::Change;
use svcgen::service::base::Base;
use svcgen::service::policy::{Policies, Policy};
use svcgen::tree::{FileEntry, Mode, RelPath, Tree};
use svcgen::update::merge::{Labels, TextMerge, merge_text};
use svcgen::update::plan::{Outcome, PlanInput, plan};

#[derive(Debug, Clone)]
enum Edit {
    Keep,
    Replace(String),
    InsertAfter(String),
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Side {
    Nobody,
    Team,
    Blueprint,
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        6 => Just(Edit::Keep),
        2 => "[a-z ]{0,12}".prop_map(Edit::Replace),
        1 => "[a-z ]{0,12}".prop_map(Edit::InsertAfter),
        1 => Just(Edit::Delete),
    ]
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Nobody), Just(Side::Team), Just(Side::Blueprint)]
}

/// A base of `n` distinct lines, and for each line an edit by one side (or none). Two edits
/// of different sides are kept at least one untouched line apart: that is what "different
/// lines" means to a line-based merge (git too conflicts on touching changes).
fn scenario() -> impl Strategy<Value = (usize, Vec<(Side, Edit)>, bool)> {
    (1usize..40)
        .prop_flat_map(|n| {
            (
                Just(n),
                proptest::collection::vec((side(), edit()), n),
                any::<bool>(),
            )
        })
        .prop_map(|(n, mut edits, crlf)| {
            // The lines an edit touches: its own line, and the next one for an insertion.
            let mut last_touched: Option<(Side, usize)> = None;
            for (i, slot) in edits.iter_mut().enumerate() {
                let (side, edit) = &*slot;
                if matches!(edit, Edit::Keep) || *side == Side::Nobody {
                    *slot = (Side::Nobody, Edit::Keep);
                    continue;
                }
                let reach = if matches!(edit, Edit::InsertAfter(_)) {
                    i + 1
                } else {
                    i
                };
                let side = *side;
                let too_close =
                    matches!(last_touched, Some((other, at)) if other != side && i <= at + 1);
                if too_close {
                    *slot = (Side::Nobody, Edit::Keep);
                } else {
                    last_touched = Some((side, reach));
                }
            }
            (n, edits, crlf)
        })
}

fn base_lines(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("line {i}")).collect()
}

/// The file after the edits of `who` (both sides with `None`).
fn apply(n: usize, edits: &[(Side, Edit)], who: Option<Side>) -> Vec<String> {
    let mut out = Vec::new();
    for (line, (side, edit)) in base_lines(n).into_iter().zip(edits) {
        let mine = who.is_none_or(|w| w == *side);
        match edit {
            Edit::Replace(text) if mine => out.push(format!("{side:?} {text}")),
            Edit::InsertAfter(text) if mine => {
                out.push(line);
                out.push(format!("{side:?} new {text}"));
            }
            Edit::Delete if mine => {}
            _ => out.push(line),
        }
    }
    out
}

fn join(lines: &[String], crlf: bool) -> Vec<u8> {
    let eol = if crlf { "\r\n" } else { "\n" };
    lines
        .iter()
        .map(|l| format!("{l}{eol}"))
        .collect::<String>()
        .into_bytes()
}

/// What a merged file lost of the edits, read off the file itself: a line either side added
/// that is missing, or a base line either side replaced or deleted that is back.
fn lost_edits(n: usize, edits: &[(Side, Edit)], merged: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(merged);
    // `lines` drops the `\r` of a CRLF line too.
    let lines: Vec<&str> = text.lines().collect();
    let mut lost = Vec::new();
    for ((side, edit), line) in edits.iter().zip(base_lines(n)) {
        let added = match edit {
            Edit::Replace(t) => Some(format!("{side:?} {t}")),
            Edit::InsertAfter(t) => Some(format!("{side:?} new {t}")),
            Edit::Keep | Edit::Delete => None,
        };
        if let Some(added) = added
            && !lines.contains(&added.as_str())
        {
            lost.push(format!("lost the line {added:?} {side:?} added"));
        }
        if matches!(edit, Edit::Replace(_) | Edit::Delete) && lines.contains(&line.as_str()) {
            lost.push(format!("kept {line:?}, which {side:?} removed"));
        }
    }
    lost
}

fn labels() -> Labels {
    Labels {
        base: "base".into(),
        ours: "yours".into(),
        theirs: "blueprint".into(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        // A failing case is saved beside this file and replayed first on the next run.
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("regressions"),
        )),
        ..ProptestConfig::default()
    })]

    #[test]
    fn disjoint_edits_merge_cleanly_and_lose_nothing((n, edits, crlf) in scenario()) {
        let base = join(&base_lines(n), crlf);
        let ours = join(&apply(n, &edits, Some(Side::Team)), crlf);
        let theirs = join(&apply(n, &edits, Some(Side::Blueprint)), crlf);
        let expected = join(&apply(n, &edits, None), crlf);

        let merged = merge_text("f.txt", &base, &ours, &theirs, &labels()).unwrap();
        // Checked before the comparison with `expected`, so that a merge that drops an edit
        // says which one.
        let merged_text = match &merged {
            TextMerge::Clean(content) | TextMerge::Conflicted { content, .. } => content,
        };
        let lost = lost_edits(n, &edits, merged_text);
        prop_assert!(lost.is_empty(), "the merge {}", lost.join("; "));
        prop_assert_eq!(&merged, &TextMerge::Clean(expected.clone()));

        // The same through the planner, which is what `svcgen update` runs.
        let path = RelPath::new("f.txt").unwrap();
        let tree = |contents: &[u8]| {
            let mut tree = Tree::new();
            tree.insert(path.clone(), FileEntry { contents: contents.to_vec().into(), mode: Mode::Regular });
            tree
        };
        let stored = Base::from_tree(&tree(&base), |_| Policy::Managed);
        let planned = plan(&PlanInput {
            base: &stored,
            ours: &tree(&ours),
            theirs: &tree(&theirs),
            policies: &Policies::default(),
            renames: &[],
            labels: &labels(),
        }).unwrap();
        let written = planned.changes.iter().find_map(|change| match change {
            Change::Write { after, .. } => Some(after.contents.to_vec()),
            Change::Delete { .. } => None,
        });
        let written = written.unwrap_or(ours.clone());
        let lost = lost_edits(n, &edits, &written);
        prop_assert!(lost.is_empty(), "the planner {}", lost.join("; "));
        prop_assert_eq!(written, expected);
        prop_assert!(planned.files.iter().all(|f| f.outcome != Outcome::Conflict));
    }
}
