//! Unified diffs, as `git diff` or `diff -u` write them: parsed, and applied to a rendered tree.
//!
//! Upgrade tests describe a team's edits to a generated service as patches. Only what such
//! edits need is supported: changed, new and deleted text files. Renames, copies and binary
//! patches are refused with a message rather than half-applied. Like `git apply`, a hunk may
//! have moved (it is searched for above and below where its header says), but its context must
//! match exactly: there is no fuzz, since a patch written against one render of a blueprint
//! either fits that render or is out of date.

use std::fmt;

use crate::tree::{FileEntry, Mode, RelPath, Tree};

/// A problem in a patch file, or a patch that does not fit the files it is applied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PatchError {
    /// The patch file, as shown to the user.
    pub(crate) file: String,
    /// The line of the patch file the problem is on.
    pub(crate) line: usize,
    pub(crate) message: String,
}

impl fmt::Display for PatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for PatchError {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Patch {
    /// The patch file, as shown to the user.
    pub(crate) file: String,
    pub(crate) files: Vec<FilePatch>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileChange {
    Modify,
    Create,
    Delete,
}

/// The hunks of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FilePatch {
    /// The file's path in the service, with git's `a/` and `b/` prefixes removed.
    pub(crate) path: String,
    pub(crate) change: FileChange,
    /// The line of the patch file its `---` header is on.
    pub(crate) line: usize,
    pub(crate) hunks: Vec<Hunk>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hunk {
    /// `@@ -3,4 +3,6 @@`, without the section text git appends.
    pub(crate) header: String,
    /// The line of the patch file the header is on.
    pub(crate) line: usize,
    old_start: usize,
    old_len: usize,
    pub(crate) lines: Vec<HunkLine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    Context,
    Added,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HunkLine {
    pub(crate) kind: LineKind,
    /// Without its line break.
    pub(crate) text: String,
    /// Followed by `\ No newline at end of file`.
    pub(crate) no_newline: bool,
}

impl Hunk {
    pub(crate) fn added(&self) -> impl Iterator<Item = &str> {
        self.of_kind(LineKind::Added)
    }

    pub(crate) fn removed(&self) -> impl Iterator<Item = &str> {
        self.of_kind(LineKind::Removed)
    }

    fn of_kind(&self, kind: LineKind) -> impl Iterator<Item = &str> {
        self.lines
            .iter()
            .filter(move |l| l.kind == kind)
            .map(|l| l.text.as_str())
    }

    /// The lines the hunk expects to find.
    fn old_side(&self) -> Vec<&str> {
        self.lines
            .iter()
            .filter(|l| l.kind != LineKind::Added)
            .map(|l| l.text.as_str())
            .collect()
    }

    /// The lines it leaves, and whether the last of them ends the file without a line break.
    fn new_side(&self) -> (Vec<&str>, bool) {
        let lines: Vec<&HunkLine> = self
            .lines
            .iter()
            .filter(|l| l.kind != LineKind::Removed)
            .collect();
        let no_newline = lines.last().is_some_and(|l| l.no_newline);
        (lines.iter().map(|l| l.text.as_str()).collect(), no_newline)
    }
}

/// Parses a unified diff. `file` names the patch in errors.
pub(crate) fn parse(file: &str, text: &str) -> Result<Patch, PatchError> {
    let error = |line: usize, message: String| PatchError {
        file: file.to_owned(),
        line,
        message,
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut files: Vec<FilePatch> = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        let line = lines[at];
        let number = at + 1;
        if line.starts_with("rename from ") || line.starts_with("copy from ") {
            return Err(error(
                number,
                "renames and copies are not supported; write the edit as a deleted file and a new one".into(),
            ));
        }
        if line.starts_with("GIT binary patch") || line.starts_with("Binary files ") {
            return Err(error(
                number,
                "binary patches are not supported; upgrade tests edit text files".into(),
            ));
        }
        if let Some(old) = line.strip_prefix("--- ") {
            let Some(new) = lines.get(at + 1).and_then(|l| l.strip_prefix("+++ ")) else {
                return Err(error(
                    number,
                    "a `--- FILE` line must be followed by a `+++ FILE` line".into(),
                ));
            };
            let (path, change) = file_of(old, new).map_err(|message| error(number, message))?;
            files.push(FilePatch {
                path,
                change,
                line: number,
                hunks: Vec::new(),
            });
            at += 2;
            continue;
        }
        if line.starts_with("@@ ") {
            let Some(current) = files.last_mut() else {
                return Err(error(
                    number,
                    "hunk before any `--- FILE` / `+++ FILE` header".into(),
                ));
            };
            let (hunk, next) = parse_hunk(&lines, at).map_err(|(line, m)| error(line, m))?;
            current.hunks.push(hunk);
            at = next;
            continue;
        }
        // `diff --git`, `index`, mode lines, a commit message: nothing to apply.
        at += 1;
    }
    if files.is_empty() {
        return Err(error(
            1,
            "no file changes found; expected a unified diff (`--- a/FILE`, `+++ b/FILE`, `@@ -1,2 +1,3 @@` hunks), as `git diff` writes".into(),
        ));
    }
    if let Some(empty) = files.iter().find(|f| f.hunks.is_empty()) {
        return Err(error(empty.line, format!("`{}` has no hunks", empty.path)));
    }
    for (index, patch) in files.iter().enumerate() {
        if files[..index].iter().any(|f| f.path == patch.path) {
            return Err(error(
                patch.line,
                format!(
                    "`{}` appears twice in this patch; put all its hunks under one header",
                    patch.path
                ),
            ));
        }
    }
    Ok(Patch {
        file: file.to_owned(),
        files,
    })
}

/// The service path a `---`/`+++` pair names, and what happens to the file.
fn file_of(old: &str, new: &str) -> Result<(String, FileChange), String> {
    let name = |raw: &str| -> String {
        // `diff -u` appends a tab and a timestamp; git appends a tab to names with spaces.
        let raw = raw.split('\t').next().unwrap_or(raw).trim_end();
        raw.strip_prefix('"')
            .and_then(|r| r.strip_suffix('"'))
            .unwrap_or(raw)
            .to_owned()
    };
    let (old, new) = (name(old), name(new));
    const NULL: &str = "/dev/null";
    let (old, new) = match (old.as_str(), new.as_str()) {
        (NULL, NULL) => return Err("both sides are /dev/null".into()),
        _ => ((old != NULL).then_some(old), (new != NULL).then_some(new)),
    };
    // Strip one leading folder when it is what differs between the two names: git's `a/` and
    // `b/`, or the two folders of `diff -ru before/ after/`.
    let strip = |path: &str, prefix: &str| path.strip_prefix(prefix).map(str::to_owned);
    let (path, change) = match (&old, &new) {
        (Some(old), Some(new)) => {
            let stripped = match (old.split_once('/'), new.split_once('/')) {
                (Some((_, a)), Some((_, b))) if a == b && old != new => Some(a.to_owned()),
                _ => None,
            };
            match stripped {
                Some(path) => (path, FileChange::Modify),
                None if old == new => (old.clone(), FileChange::Modify),
                None => {
                    return Err(format!(
                        "the old and new names differ (`{old}`, `{new}`); renames are not supported"
                    ));
                }
            }
        }
        (None, Some(new)) => (
            strip(new, "b/").unwrap_or_else(|| new.clone()),
            FileChange::Create,
        ),
        (Some(old), None) => (
            strip(old, "a/").unwrap_or_else(|| old.clone()),
            FileChange::Delete,
        ),
        (None, None) => unreachable!("both /dev/null is refused above"),
    };
    RelPath::new(&path).map_err(|reason| format!("path `{path}` {reason}"))?;
    Ok((path, change))
}

type LineError = (usize, String);

/// Parses the hunk whose header is at `lines[at]`; returns it and the index after it.
fn parse_hunk(lines: &[&str], at: usize) -> Result<(Hunk, usize), LineError> {
    let number = at + 1;
    let header_line = lines[at];
    let bad_header = || {
        (
            number,
            format!(
                "invalid hunk header `{header_line}`; expected `@@ -START,COUNT +START,COUNT @@`"
            ),
        )
    };
    let inner = header_line
        .strip_prefix("@@ ")
        .and_then(|rest| rest.split_once(" @@"))
        .map(|(ranges, _)| ranges)
        .ok_or_else(bad_header)?;
    let (old, new) = inner.split_once(' ').ok_or_else(bad_header)?;
    let range = |text: Option<&str>| -> Option<(usize, usize)> {
        let text = text?;
        match text.split_once(',') {
            Some((start, len)) => Some((start.parse().ok()?, len.parse().ok()?)),
            None => Some((text.parse().ok()?, 1)),
        }
    };
    let (old_start, old_len) = range(old.strip_prefix('-')).ok_or_else(bad_header)?;
    let (_, new_len) = range(new.strip_prefix('+')).ok_or_else(bad_header)?;

    let mut hunk = Hunk {
        header: format!("@@ {inner} @@"),
        line: number,
        old_start,
        old_len,
        lines: Vec::new(),
    };
    let (mut old_seen, mut new_seen) = (0, 0);
    let mut next = at + 1;
    while old_seen < old_len || new_seen < new_len {
        let Some(&line) = lines.get(next) else {
            return Err((
                number,
                format!(
                    "hunk `{}` ends early: the patch ends after {old_seen} of {old_len} old and {new_seen} of {new_len} new lines",
                    hunk.header
                ),
            ));
        };
        let (kind, text) = match line.chars().next() {
            Some(' ') => (LineKind::Context, &line[1..]),
            // Editors often strip the space of an empty context line; git accepts that too.
            None => (LineKind::Context, ""),
            Some('+') => (LineKind::Added, &line[1..]),
            Some('-') => (LineKind::Removed, &line[1..]),
            Some('\\') => {
                mark_no_newline(&mut hunk);
                next += 1;
                continue;
            }
            _ => {
                return Err((
                    next + 1,
                    format!(
                        "hunk `{}` ends early: after {old_seen} of {old_len} old and {new_seen} of {new_len} new lines, this line starts with none of ` `, `+`, `-`",
                        hunk.header
                    ),
                ));
            }
        };
        match kind {
            LineKind::Context => {
                old_seen += 1;
                new_seen += 1;
            }
            LineKind::Added => new_seen += 1,
            LineKind::Removed => old_seen += 1,
        }
        if old_seen > old_len || new_seen > new_len {
            return Err((
                next + 1,
                format!(
                    "hunk `{}` has more lines than its header counts",
                    hunk.header
                ),
            ));
        }
        hunk.lines.push(HunkLine {
            kind,
            text: text.to_owned(),
            no_newline: false,
        });
        next += 1;
    }
    if lines.get(next).is_some_and(|l| l.starts_with('\\')) {
        mark_no_newline(&mut hunk);
        next += 1;
    }
    // A hunk line right after the counted ones means the header is wrong; silently dropping
    // it would test less than the author wrote. (`-- ` closes a `git format-patch` mail.)
    if let Some(line) = lines.get(next)
        && (line.starts_with('+') || line.starts_with(' ') || line.starts_with('-'))
        && !line.starts_with("--- ")
        && *line != "-- "
    {
        return Err((
            next + 1,
            format!(
                "hunk `{}` has more lines than its header counts",
                hunk.header
            ),
        ));
    }
    Ok((hunk, next))
}

fn mark_no_newline(hunk: &mut Hunk) {
    if let Some(last) = hunk.lines.last_mut() {
        last.no_newline = true;
    }
}

/// Applies `patch` to `tree`, every file or none. `rendered_by` says what the files are, for
/// messages (`the render of v1.0.0`).
pub(crate) fn apply(patch: &Patch, tree: &mut Tree, rendered_by: &str) -> Result<(), PatchError> {
    let mut result = tree.clone();
    for file in &patch.files {
        let error = |line: usize, message: String| PatchError {
            file: patch.file.clone(),
            line,
            message,
        };
        let path = RelPath::new(&file.path).expect("checked when parsed");
        let existing = tree.get(&file.path);
        let (lines, final_newline, mode) = match (file.change, existing) {
            (FileChange::Create, Some(_)) => {
                return Err(error(
                    file.line,
                    format!("creates `{}`, which {rendered_by} already has", file.path),
                ));
            }
            (FileChange::Create, None) => (Vec::new(), true, Mode::Regular),
            (_, None) => {
                return Err(error(
                    file.line,
                    format!("`{}` is not in {rendered_by}", file.path),
                ));
            }
            (_, Some(entry)) => {
                let Some(text) = std::str::from_utf8(&entry.contents)
                    .ok()
                    .filter(|t| !t.contains('\0'))
                else {
                    return Err(error(
                        file.line,
                        format!("`{}` is a binary file in {rendered_by}", file.path),
                    ));
                };
                let (lines, final_newline) = split_lines(text);
                (
                    lines.into_iter().map(str::to_owned).collect(),
                    final_newline,
                    entry.mode,
                )
            }
        };
        let (lines, final_newline) = apply_hunks(&file.path, &file.hunks, lines, final_newline)
            .map_err(|(line, message)| error(line, format!("{message} in {rendered_by}")))?;
        if file.change == FileChange::Delete {
            if !lines.is_empty() {
                return Err(error(
                    file.line,
                    format!(
                        "deletes `{}`, but its hunks do not remove all of it in {rendered_by}",
                        file.path
                    ),
                ));
            }
            result = result
                .iter()
                .filter(|(p, _)| **p != path)
                .map(|(p, e)| (p.clone(), e.clone()))
                .fold(Tree::new(), |mut t, (p, e)| {
                    t.insert(p, e);
                    t
                });
            continue;
        }
        let mut contents = lines.join("\n");
        if final_newline && !lines.is_empty() {
            contents.push('\n');
        }
        result.insert(
            path,
            FileEntry {
                contents: contents.into_bytes().into(),
                mode,
            },
        );
    }
    *tree = result;
    Ok(())
}

/// Lines without their `\n` (a `\r` stays, as it does in the patch), and whether the last one
/// had a line break.
fn split_lines(text: &str) -> (Vec<&str>, bool) {
    if text.is_empty() {
        return (Vec::new(), true);
    }
    let final_newline = text.ends_with('\n');
    let body = text.strip_suffix('\n').unwrap_or(text);
    (body.split('\n').collect(), final_newline)
}

fn apply_hunks(
    path: &str,
    hunks: &[Hunk],
    original: Vec<String>,
    mut final_newline: bool,
) -> Result<(Vec<String>, bool), LineError> {
    let mut out: Vec<String> = Vec::with_capacity(original.len());
    let mut cursor = 0;
    // How far earlier hunks moved the file, so a later hunk is looked for where it now is.
    let mut shift: isize = 0;
    for hunk in hunks {
        let old = hunk.old_side();
        if old.len() != hunk.old_len {
            return Err((hunk.line, format!("hunk `{}` is malformed", hunk.header)));
        }
        // A header's start is 1-based, and names the line *before* an insertion (0: the top).
        let stated = if hunk.old_len == 0 {
            hunk.old_start
        } else {
            hunk.old_start.saturating_sub(1)
        };
        let expected = (stated as isize - shift).max(0) as usize;
        let Some(found) = find_block(&original, &old, cursor, expected) else {
            return Err((
                hunk.line,
                format!(
                    "hunk `{}` does not apply to `{path}`: {}",
                    hunk.header,
                    mismatch(&original, &old, expected.max(cursor))
                ),
            ));
        };
        out.extend(original[cursor..found].iter().cloned());
        let (new, no_newline) = hunk.new_side();
        out.extend(new.iter().map(|l| (*l).to_owned()));
        cursor = found + old.len();
        shift += found as isize - stated as isize;
        if cursor == original.len() && !new.is_empty() {
            final_newline = !no_newline;
        }
    }
    out.extend(original[cursor..].iter().cloned());
    Ok((out, final_newline))
}

/// The start of `block` in `lines` at or after `from`, the nearest to `expected` first.
fn find_block(lines: &[String], block: &[&str], from: usize, expected: usize) -> Option<usize> {
    let fits = |at: usize| {
        at >= from
            && at + block.len() <= lines.len()
            && lines[at..at + block.len()]
                .iter()
                .zip(block)
                .all(|(have, want)| have == want)
    };
    let last = lines.len().saturating_sub(block.len());
    (0..=last.max(expected))
        .flat_map(|distance| {
            let below = expected.checked_add(distance);
            let above = expected.checked_sub(distance).filter(|_| distance > 0);
            [below, above]
        })
        .flatten()
        .find(|&at| fits(at))
}

/// Why `block` is not at `at`: the first line that differs.
fn mismatch(lines: &[String], block: &[&str], at: usize) -> String {
    for (offset, want) in block.iter().enumerate() {
        match lines.get(at + offset) {
            None => {
                return format!(
                    "the file has {} lines, the hunk expects `{want}` at line {}",
                    lines.len(),
                    at + offset + 1
                );
            }
            Some(have) if have != want => {
                return format!(
                    "line {} is `{have}`, the hunk expects `{want}` (and its lines are nowhere else in the file)",
                    at + offset + 1
                );
            }
            Some(_) => {}
        }
    }
    "its lines overlap an earlier hunk".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> Tree {
        let mut tree = Tree::new();
        for (path, text) in files {
            tree.insert(
                RelPath::new(path).unwrap(),
                FileEntry {
                    contents: text.as_bytes().to_vec().into(),
                    mode: Mode::Regular,
                },
            );
        }
        tree
    }

    fn text(tree: &Tree, path: &str) -> String {
        String::from_utf8(tree.get(path).unwrap().contents.to_vec()).unwrap()
    }

    const GIT_DIFF: &str = "diff --git a/src/main.rs b/src/main.rs
index 1111111..2222222 100644
--- a/src/main.rs
+++ b/src/main.rs
@@ -1,4 +1,5 @@ fn main() {
 fn main() {
-    old();
+    new();
+    more();
 
 }
";

    #[test]
    fn git_diffs_parse_with_their_prefixes_removed() {
        let patch = parse("p.patch", GIT_DIFF).unwrap();
        assert_eq!(patch.files.len(), 1);
        let file = &patch.files[0];
        assert_eq!((file.path.as_str(), file.line), ("src/main.rs", 3));
        assert_eq!(file.hunks[0].header, "@@ -1,4 +1,5 @@");
        assert_eq!(file.hunks[0].line, 5);
        assert_eq!(
            file.hunks[0].added().collect::<Vec<_>>(),
            ["    new();", "    more();"]
        );
        assert_eq!(file.hunks[0].removed().collect::<Vec<_>>(), ["    old();"]);
    }

    #[test]
    fn hunks_apply_and_may_have_moved() {
        let patch = parse("p.patch", GIT_DIFF).unwrap();
        let mut files = tree(&[(
            "src/main.rs",
            "// moved down\nfn main() {\n    old();\n\n}\n",
        )]);
        apply(&patch, &mut files, "the render").unwrap();
        assert_eq!(
            text(&files, "src/main.rs"),
            "// moved down\nfn main() {\n    new();\n    more();\n\n}\n"
        );
    }

    #[test]
    fn a_hunk_that_does_not_fit_names_its_line_and_the_difference() {
        let patch = parse("p.patch", GIT_DIFF).unwrap();
        let mut files = tree(&[("src/main.rs", "fn main() {\n    other();\n\n}\n")]);
        let err = apply(&patch, &mut files, "the render of v1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "p.patch:5: hunk `@@ -1,4 +1,5 @@` does not apply to `src/main.rs`: line 2 is `    other();`, the hunk expects `    old();` (and its lines are nowhere else in the file) in the render of v1"
        );
        assert_eq!(
            text(&files, "src/main.rs"),
            "fn main() {\n    other();\n\n}\n"
        );
    }

    #[test]
    fn new_and_deleted_files_and_missing_final_newlines() {
        let text_patch = "--- /dev/null\n+++ b/docs/team.md\n@@ -0,0 +1,2 @@\n+# Team\n+notes\n\\ No newline at end of file\n--- a/OLD\n+++ /dev/null\n@@ -1 +0,0 @@\n-gone\n";
        let patch = parse("p.patch", text_patch).unwrap();
        let mut files = tree(&[("OLD", "gone\n"), ("keep", "x\n")]);
        apply(&patch, &mut files, "the render").unwrap();
        assert_eq!(text(&files, "docs/team.md"), "# Team\nnotes");
        assert!(files.get("OLD").is_none());
        assert_eq!(files.len(), 2);
    }

    #[test]
    fn plain_diff_u_folders_are_stripped() {
        let patch = parse(
            "p.patch",
            "--- before/a.txt\t2024-01-01\n+++ after/a.txt\t2024-01-02\n@@ -1 +1 @@\n-a\n+b\n",
        )
        .unwrap();
        assert_eq!(patch.files[0].path, "a.txt");
    }

    #[test]
    fn malformed_patches_name_the_line() {
        let cases = [
            ("just text\n", 1, "no file changes found"),
            (
                "--- a/x\nnope\n",
                1,
                "must be followed by a `+++ FILE` line",
            ),
            ("--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n", 3, "ends early"),
            (
                "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n+c\n",
                6,
                "more lines than its header counts",
            ),
            ("--- a/x\n+++ b/x\n@@ nope @@\n", 3, "invalid hunk header"),
            (
                "--- a/../x\n+++ b/../x\n@@ -1 +1 @@\n-a\n+b\n",
                1,
                "contains `..`",
            ),
            (
                "diff --git a/x b/y\nrename from x\n",
                2,
                "renames and copies are not supported",
            ),
        ];
        for (text, line, message) in cases {
            let err = parse("p.patch", text).unwrap_err();
            assert_eq!(err.line, line, "{text}: {err}");
            assert!(err.message.contains(message), "{text}: {err}");
        }
    }
}
