//! Unified diffs of planned changes, for `--dry-run` (and `svcgen diff`): what a reviewer
//! would see in `git diff` after the command ran.

use similar::TextDiff;

use crate::render::is_binary;
use crate::tree::{FileEntry, RelPath};

/// The unified diff turning `before` into `after` at `path`, with `a/` and `b/` prefixes like
/// git's so the output applies with `git apply` or `patch -p1`.
pub fn unified(path: &RelPath, before: Option<&FileEntry>, after: Option<&FileEntry>) -> String {
    let old_name = before.map_or_else(|| "/dev/null".to_owned(), |_| format!("a/{path}"));
    let new_name = after.map_or_else(|| "/dev/null".to_owned(), |_| format!("b/{path}"));
    let old = before.map_or(&[][..], |e| &e.contents[..]);
    let new = after.map_or(&[][..], |e| &e.contents[..]);
    let mut out = String::new();
    if let (Some(b), Some(a)) = (before, after)
        && b.mode != a.mode
    {
        out.push_str(&format!(
            "diff --git a/{path} b/{path}\nold mode 100{}\nnew mode 100{}\n",
            b.mode, a.mode
        ));
    }
    if old == new {
        return out;
    }
    if is_binary(old) || is_binary(new) {
        out.push_str(&format!("Binary files {old_name} and {new_name} differ\n"));
        return out;
    }
    let old = std::str::from_utf8(old).expect("checked by is_binary");
    let new = std::str::from_utf8(new).expect("checked by is_binary");
    let diff = TextDiff::from_lines(old, new);
    out.push_str(
        &diff
            .unified_diff()
            .context_radius(3)
            .missing_newline_hint(true)
            .header(&old_name, &new_name)
            .to_string(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::Mode;

    fn entry(text: &str) -> FileEntry {
        FileEntry {
            contents: text.as_bytes().to_vec().into(),
            mode: Mode::Regular,
        }
    }

    #[test]
    fn new_files_diff_from_dev_null() {
        let path = RelPath::new("src/a.rs").unwrap();
        let diff = unified(&path, None, Some(&entry("x\n")));
        assert!(
            diff.starts_with("--- /dev/null\n+++ b/src/a.rs\n"),
            "{diff}"
        );
        assert!(diff.contains("+x\n"), "{diff}");
    }

    #[test]
    fn changes_show_context_and_lines() {
        let path = RelPath::new("a").unwrap();
        let diff = unified(
            &path,
            Some(&entry("1\n2\n3\n")),
            Some(&entry("1\nnew\n2\n3\n")),
        );
        assert!(
            diff.contains("--- a/a\n+++ b/a\n@@ -1,3 +1,4 @@\n 1\n+new\n 2\n"),
            "{diff}"
        );
    }
}
