//! Snapshot files of rendered variants, in insta's `.snap` format.
//!
//! A snapshot is a YAML header between two `---` lines, then the text. Writing the same format
//! insta writes (and comparing the way insta compares: trailing whitespace trimmed, CRLF read as
//! LF) means a blueprint's snapshots can be reviewed with `cargo insta review` and the
//! snapshots of svcgen's own blueprints stay readable by insta-based tests. A mismatch leaves a
//! `.snap.new` beside the snapshot, which is what `cargo insta review` offers to accept.

use std::fs;
use std::path::{Path, PathBuf};

use similar::TextDiff;

use crate::error::{Error, Result};
use crate::render::is_binary;
use crate::tree::Tree;

pub(crate) const EXTENSION: &str = "snap";
pub(crate) const PENDING_EXTENSION: &str = "snap.new";

/// The whole of a rendered tree as one reviewable text: each file's path, mode and size, then
/// its contents. Byte counts make invisible changes (line endings, a trailing newline) visible.
pub fn describe(tree: &Tree) -> String {
    let mut out = String::new();
    for (path, entry) in tree.iter() {
        out.push_str(&format!(
            "==== {path} (mode {}, {} bytes)\n",
            entry.mode,
            entry.contents.len()
        ));
        if is_binary(&entry.contents) {
            out.push_str("<binary>\n");
        } else {
            out.push_str(&String::from_utf8_lossy(&entry.contents));
            if !entry.contents.ends_with(b"\n") {
                out.push_str("\n<no newline at end of file>\n");
            }
        }
    }
    out
}

/// `<blueprint>__<variant>.snap`: one folder can hold the snapshots of several blueprints.
pub(crate) fn file_name(blueprint: &str, variant: &str) -> String {
    format!("{blueprint}__{variant}.{EXTENSION}")
}

/// The pending file written beside `snapshot` when the output differs from it.
pub(crate) fn pending_path(snapshot: &Path) -> PathBuf {
    snapshot.with_extension(PENDING_EXTENSION)
}

/// A snapshot as it will be written: header fields and text.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    pub(crate) source: String,
    pub(crate) description: String,
    pub(crate) contents: String,
}

impl Snapshot {
    /// The file's bytes, as insta serialises a snapshot.
    pub(crate) fn to_file_text(&self) -> String {
        format!(
            "---\nsource: {}\ndescription: {}\n---\n{}\n",
            yaml_string(&self.source),
            yaml_string(&self.description),
            normalize(&self.contents)
        )
    }
}

/// What a snapshot file holds after its header, or `None` when there is no file.
pub(crate) fn read_contents(path: &Path) -> Result<Option<String>> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(Error::io(path, err)),
    };
    Ok(Some(contents_of(&text)))
}

fn contents_of(text: &str) -> String {
    let mut lines = text.split_inclusive('\n');
    let first = lines.clone().next().unwrap_or("");
    if first.trim_end() != "---" {
        // Not insta's YAML header: take the text as it is (insta's legacy format differs, but
        // svcgen never wrote it).
        return text.to_owned();
    }
    lines.next();
    for line in lines.by_ref() {
        if line.trim_end() == "---" {
            break;
        }
    }
    lines.collect()
}

/// insta's comparison: trailing whitespace is not significant, CRLF equals LF.
pub(crate) fn normalize(text: &str) -> String {
    text.trim_end().replace("\r\n", "\n")
}

pub(crate) fn matches(expected: &str, actual: &str) -> bool {
    normalize(expected) == normalize(actual)
}

/// A unified diff from the stored snapshot to the new output, with some context.
pub(crate) fn diff(expected: &str, actual: &str, old_label: &str, new_label: &str) -> String {
    let old = normalize(expected) + "\n";
    let new = normalize(actual) + "\n";
    TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header(old_label, new_label)
        .to_string()
}

/// Writes `text` to `path` through a temporary file in the same folder, so a snapshot is
/// either the old one or the new one, never half of each.
pub(crate) fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|err| Error::io(dir, err))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".svcgen-snap-")
        .tempfile_in(dir)
        .map_err(|err| Error::io(dir, err))?;
    std::io::Write::write_all(&mut temp, text.as_bytes()).map_err(|err| Error::io(path, err))?;
    // Temporary files are private (0600); a snapshot is an ordinary committed file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o644))
            .map_err(|err| Error::io(path, err))?;
    }
    temp.persist(path)
        .map_err(|err| Error::io(path, err.error))?;
    Ok(())
}

/// Removes `path` if it exists.
pub(crate) fn remove_if_present(path: &Path) -> Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(Error::io(path, err)),
    }
}

/// A YAML double-quoted scalar: always quoted, so no value is ever read back as a number or a
/// boolean, with the escapes insta's own writer uses.
fn yaml_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::{FileEntry, Mode, RelPath};

    #[test]
    fn describe_shows_modes_sizes_binaries_and_missing_newlines() {
        let mut tree = Tree::new();
        tree.insert(
            RelPath::new("run.sh").unwrap(),
            FileEntry {
                contents: b"#!/bin/sh\n".to_vec().into(),
                mode: Mode::Executable,
            },
        );
        tree.insert(
            RelPath::new("a.bin").unwrap(),
            FileEntry {
                contents: vec![0, 1, 2].into(),
                mode: Mode::Regular,
            },
        );
        tree.insert(
            RelPath::new("b.txt").unwrap(),
            FileEntry {
                contents: b"no newline".to_vec().into(),
                mode: Mode::Regular,
            },
        );
        assert_eq!(
            describe(&tree),
            "==== a.bin (mode 644, 3 bytes)\n<binary>\n\
             ==== b.txt (mode 644, 10 bytes)\nno newline\n<no newline at end of file>\n\
             ==== run.sh (mode 755, 10 bytes)\n#!/bin/sh\n"
        );
    }

    #[test]
    fn file_text_round_trips() {
        let snapshot = Snapshot {
            source: "blueprint.toml".into(),
            description: "blueprint t 1.0.0, answer set `a`:\nname = \"x\"".into(),
            contents: "line one\nline two\n".into(),
        };
        let text = snapshot.to_file_text();
        assert_eq!(
            text,
            "---\nsource: \"blueprint.toml\"\ndescription: \"blueprint t 1.0.0, answer set `a`:\\nname = \\\"x\\\"\"\n---\nline one\nline two\n"
        );
        assert!(matches(&contents_of(&text), "line one\nline two\n"));
    }

    #[test]
    fn comparison_ignores_trailing_whitespace_and_crlf_only() {
        assert!(matches("a\r\nb\n\n", "a\nb"));
        assert!(!matches("a\nb", "a\nc"));
        assert!(!matches(" a", "a"));
    }

    #[test]
    fn diff_shows_changed_lines_with_context() {
        let d = diff("1\n2\n3\n4\n", "1\n2\nthree\n4\n", "old", "new");
        assert!(d.contains("--- old\n+++ new\n"), "{d}");
        assert!(d.contains("-3\n+three\n"), "{d}");
        assert!(d.contains(" 2\n"), "{d}");
    }
}
