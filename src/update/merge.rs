//! Three-way merge of one text file, with libgit2's merge (the algorithm behind `git merge`).

use crate::error::{Error, Result};

/// The names conflict markers show for each side.
#[derive(Debug, Clone)]
pub struct Labels {
    pub base: String,
    pub ours: String,
    pub theirs: String,
}

/// The label of the team's side in the conflict markers an update writes.
pub const OURS_LABEL: &str = "yours";

/// Whether `text` still holds conflict markers an update wrote: `<<<<<<< yours` and, later,
/// `>>>>>>> blueprint ...` (see [`Labels`]).
pub fn has_update_conflict_markers(text: &[u8]) -> bool {
    let opening = format!("<<<<<<< {OURS_LABEL}");
    let mut opened = false;
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line == opening.as_bytes() {
            opened = true;
        } else if opened && line.starts_with(b">>>>>>> blueprint ") {
            return true;
        }
    }
    false
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextMerge {
    Clean(Vec<u8>),
    /// The merged text with conflict markers, and how many conflicting regions it has.
    Conflicted {
        content: Vec<u8>,
        conflicts: usize,
    },
}

/// Merges `theirs`' changes since `base` into `ours`. An empty `base` is an add/add merge:
/// whatever differs between the two sides is a conflict.
pub fn merge_text(
    path: &str,
    base: &[u8],
    ours: &[u8],
    theirs: &[u8],
    labels: &Labels,
) -> Result<TextMerge> {
    // The trivial cases, answered without libgit2. They are also the only ones that can merge
    // to nothing, and git2's `MergeFileResult::content` is unsound on an empty result (it
    // builds a slice from a null pointer).
    if ours == theirs || theirs == base {
        return Ok(TextMerge::Clean(ours.to_vec()));
    }
    if ours == base {
        return Ok(TextMerge::Clean(theirs.to_vec()));
    }
    // git2's `merge_file` is the one entry point that does not initialise libgit2 first (it
    // fails with "no error" when nothing else in the process touched git yet); any call that
    // does, like this one, fixes that.
    let _ = git2::Oid::from_bytes(&[0; 20]);
    let input = |content| {
        let mut input = git2::MergeFileInput::new();
        input.content(content).path(path);
        input
    };
    let mut options = git2::MergeFileOptions::new();
    options
        .ancestor_label(labels.base.as_str())
        .our_label(labels.ours.as_str())
        .their_label(labels.theirs.as_str());
    let result = git2::merge_file(
        &input(base),
        &input(ours),
        &input(theirs),
        Some(&mut options),
    )
    .map_err(|err| Error::git(format!("merging {path}"), err))?;
    let content = result.content().to_vec();
    if result.is_automergeable() {
        return Ok(TextMerge::Clean(content));
    }
    let opening = format!("<<<<<<< {}", labels.ours);
    let conflicts = content
        .split(|b| *b == b'\n')
        .filter(|line| line.strip_suffix(b"\r").unwrap_or(line) == opening.as_bytes())
        .count()
        .max(1);
    let content = if uses_crlf(ours) && uses_crlf(theirs) {
        crlf_markers(&content, labels)
    } else {
        content
    };
    Ok(TextMerge::Conflicted { content, conflicts })
}

/// Whether every line ending of `text` is CRLF (and there is at least one).
fn uses_crlf(text: &[u8]) -> bool {
    let newlines = text.iter().filter(|b| **b == b'\n').count();
    newlines > 0 && text.windows(2).filter(|w| w == b"\r\n").count() == newlines
}

/// libgit2 ends the marker lines it writes with LF; in a CRLF file they should end like every
/// other line, or editors and `git diff` flag them as mixed line endings.
fn crlf_markers(content: &[u8], labels: &Labels) -> Vec<u8> {
    let markers = [
        format!("<<<<<<< {}", labels.ours),
        format!("||||||| {}", labels.base),
        "=======".to_owned(),
        format!(">>>>>>> {}", labels.theirs),
    ];
    let mut out = Vec::with_capacity(content.len() + 16);
    for line in content.split_inclusive(|b| *b == b'\n') {
        match line.strip_suffix(b"\n") {
            Some(body)
                if !body.ends_with(b"\r") && markers.iter().any(|m| m.as_bytes() == body) =>
            {
                out.extend_from_slice(body);
                out.extend_from_slice(b"\r\n");
            }
            _ => out.extend_from_slice(line),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_an_update_wrote_are_found_and_others_are_not() {
        let written = b"a\n<<<<<<< yours\nours\n||||||| blueprint s 1.0.0\nbase\n=======\ntheirs\n>>>>>>> blueprint s 2.0.0\nz\n";
        assert!(has_update_conflict_markers(written));
        assert!(has_update_conflict_markers(
            &written
                .iter()
                .flat_map(|&b| if b == b'\n' {
                    vec![b'\r', b'\n']
                } else {
                    vec![b]
                })
                .collect::<Vec<_>>()
        ));
        assert!(!has_update_conflict_markers(
            b"<<<<<<< HEAD\nx\n=======\ny\n>>>>>>> main\n"
        ));
        assert!(!has_update_conflict_markers(b"resolved\n"));
    }

    fn labels() -> Labels {
        Labels {
            base: "blueprint 1.0.0".into(),
            ours: "yours".into(),
            theirs: "blueprint 2.0.0".into(),
        }
    }

    #[test]
    fn edits_to_different_lines_merge_cleanly() {
        let merged = merge_text(
            "f",
            b"a\nb\nc\nd\ne\n",
            b"A\nb\nc\nd\ne\n",
            b"a\nb\nc\nd\nE\n",
            &labels(),
        )
        .unwrap();
        assert_eq!(merged, TextMerge::Clean(b"A\nb\nc\nd\nE\n".to_vec()));
    }

    #[test]
    fn edits_to_the_same_line_conflict_with_labelled_markers() {
        let merged = merge_text("f", b"a\nb\n", b"mine\nb\n", b"theirs\nb\n", &labels()).unwrap();
        let TextMerge::Conflicted { content, conflicts } = merged else {
            panic!("expected a conflict");
        };
        assert_eq!(conflicts, 1);
        assert_eq!(
            String::from_utf8(content).unwrap(),
            "<<<<<<< yours\nmine\n=======\ntheirs\n>>>>>>> blueprint 2.0.0\nb\n"
        );
    }

    #[test]
    fn crlf_files_keep_crlf_through_merges_and_markers() {
        let merged = merge_text(
            "f.bat",
            b"a\r\nb\r\nc\r\nd\r\n",
            b"A\r\nb\r\nc\r\nd\r\n",
            b"a\r\nb\r\nc\r\nD\r\n",
            &labels(),
        )
        .unwrap();
        assert_eq!(merged, TextMerge::Clean(b"A\r\nb\r\nc\r\nD\r\n".to_vec()));
        let TextMerge::Conflicted { content, .. } =
            merge_text("f.bat", b"a\r\n", b"x\r\n", b"y\r\n", &labels()).unwrap()
        else {
            panic!("expected a conflict");
        };
        let text = String::from_utf8(content).unwrap();
        assert_eq!(
            text,
            "<<<<<<< yours\r\nx\r\n=======\r\ny\r\n>>>>>>> blueprint 2.0.0\r\n"
        );
    }

    #[test]
    fn add_add_with_empty_base_conflicts_only_where_sides_differ() {
        let TextMerge::Conflicted { conflicts, .. } =
            merge_text("f", b"", b"same\nmine\n", b"same\ntheirs\n", &labels()).unwrap()
        else {
            panic!("expected a conflict");
        };
        assert_eq!(conflicts, 1);
    }
}
