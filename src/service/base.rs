//! `.svcgen/base`: the exact bytes svcgen last wrote to every file it generated, the common
//! ancestor of `svcgen update`'s three-way merge.
//!
//! # Why one line-framed text file, committed with the service
//!
//! - It has to travel with a plain `git clone` (so it is a committed file, not a git ref, a
//!   notes entry or something git-ignored), and it must not need the old blueprint to exist or
//!   render again (so it holds the bytes themselves, not a version to re-render).
//! - Plain copies under `.svcgen/base/` would look like source to everything that globs the
//!   repository: shellcheck finding `*.sh`, hadolint `Dockerfile`s, linters and formatters,
//!   IDE indexes, code search. One file with no known extension is read by none of them.
//! - A compressed or encoded blob would make every update's diff opaque and bloat history. In
//!   this format a blueprint change reads in `git diff` like the change itself.
//! - Formatters that "fix" text files (trailing whitespace, final newline, mixed line endings,
//!   `core.autocrlf`) must not corrupt it: every content line is framed as `|line|`, so no line
//!   ends in whitespace and the bytes of a CRLF file sit inside the frame, and a CR added after
//!   the frame on checkout is dropped when reading. Each file also carries its git blob id: an
//!   entry whose bytes no longer hash to it (edited by hand) is reported and treated as
//!   missing, never merged against.
//! - Only `managed` text files carry content: binary files are never merged (their blob id is
//!   enough to tell whether either side changed them), and `seed`/`user` files are never
//!   touched after they are written. Text files over [`LARGEST_STORED`] are kept by id too;
//!   an update reads their old bytes from git when it has to merge them.
//!
//! The layout, after comment lines starting with `#`:
//!
//! ```text
//! svcgen-base 1
//! file managed 644 <blob id> text src/main.rs
//! |fn main() {|
//! |}|
//! file managed 644 <blob id> - assets/logo.png
//! file seed 644 <blob id> - src/domain/item.rs
//! ```
//!
//! A line `\` after the last content line means the file does not end with a newline.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::render::is_binary;
use crate::tree::{FileEntry, Mode, RelPath, Tree};

use super::policy::Policy;

pub const BASE_PATH: &str = ".svcgen/base";
/// Keeps line-ending conversion off the base and folds it in code review (GitHub, GitLab).
pub const ATTRIBUTES_PATH: &str = ".svcgen/.gitattributes";
const ATTRIBUTES: &str = "# svcgen's copy of what it generated (see `svcgen update`): keep its bytes as they are,\n# and fold it in code review.\nbase -text linguist-generated=true\n";

const HEADER: &str = "svcgen-base 1";
/// Files under this folder are svcgen's own, never part of the base.
pub const SVCGEN_DIR: &str = ".svcgen/";
/// That folder's name.
pub const SVCGEN_DIR_NAME: &str = ".svcgen";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseEntry {
    pub policy: Policy,
    pub mode: Mode,
    /// The git blob id of the bytes svcgen wrote: a cheap, content-addressed "same as before?".
    pub blob: String,
    /// The bytes, for managed text files only.
    pub content: Option<bytes::Bytes>,
}

impl BaseEntry {
    pub fn new(policy: Policy, file: &FileEntry) -> BaseEntry {
        BaseEntry {
            policy,
            mode: file.mode,
            blob: blob_id(&file.contents),
            content: keeps_content(policy, &file.contents).then(|| file.contents.clone()),
        }
    }

    /// Whether `contents` are the bytes svcgen wrote.
    pub fn same_bytes(&self, contents: &[u8]) -> bool {
        match &self.content {
            Some(content) => content == contents,
            None => blob_id(contents) == self.blob,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Base {
    entries: BTreeMap<RelPath, BaseEntry>,
    /// Entries whose stored bytes did not match their blob id when read; their content was
    /// dropped.
    pub damaged: Vec<RelPath>,
}

impl Base {
    /// The base of a freshly generated tree: every file except svcgen's own.
    pub fn from_tree(tree: &Tree, policy_of: impl Fn(&RelPath) -> Policy) -> Base {
        let mut base = Base::default();
        for (path, file) in tree.iter() {
            if !is_svcgen_file(path) {
                base.insert(path.clone(), BaseEntry::new(policy_of(path), file));
            }
        }
        base
    }

    pub fn get(&self, path: &RelPath) -> Option<&BaseEntry> {
        self.entries.get(path)
    }

    /// Records `entry` for `path` (a [`RelPath`] holds no line break, so every path can be
    /// written in this line-based file).
    pub fn insert(&mut self, path: RelPath, entry: BaseEntry) {
        self.entries.insert(path, entry);
    }

    pub fn remove(&mut self, path: &RelPath) -> Option<BaseEntry> {
        self.entries.remove(path)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&RelPath, &BaseEntry)> {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The stored content as a tree (managed text files only), for planning against the base.
    pub fn content_tree(&self) -> Tree {
        let mut tree = Tree::new();
        for (path, entry) in &self.entries {
            if let Some(content) = &entry.content {
                tree.insert(
                    path.clone(),
                    FileEntry {
                        contents: content.clone(),
                        mode: entry.mode,
                    },
                );
            }
        }
        tree
    }

    pub fn to_text(&self) -> String {
        write_text(self.entries.iter().map(|(path, entry)| Line {
            path,
            policy: entry.policy,
            mode: entry.mode,
            blob: entry.blob.clone(),
            content: entry.content.as_deref(),
        }))
    }

    pub fn parse(text: &[u8], path: &Path) -> Result<Base> {
        let fail = |line: usize, message: String| Error::Record {
            path: path.to_owned(),
            message: format!(
                "line {line}: {message}. It is svcgen's copy of what it generated: restore it from git (`git checkout HEAD -- {BASE_PATH}`, or an older copy from `git log -- {BASE_PATH}`)"
            ),
        };
        let text = std::str::from_utf8(text).map_err(|_| fail(1, "not UTF-8".into()))?;
        let mut lines = text
            .split_inclusive('\n')
            .map(|line| {
                let line = line.strip_suffix('\n').unwrap_or(line);
                // A CR after the frame can only come from a line-ending conversion.
                line.strip_suffix('\r').unwrap_or(line)
            })
            .enumerate()
            .map(|(index, line)| (index + 1, line))
            .filter(|(_, line)| !line.starts_with('#'))
            .peekable();

        match lines.next() {
            Some((_, HEADER)) => {}
            Some((number, other)) => {
                return Err(fail(
                    number,
                    format!("expected `{HEADER}`, found `{other}` (written by a newer svcgen?)"),
                ));
            }
            None => return Err(fail(1, "empty (cut short?)".into())),
        }

        let mut base = Base::default();
        while let Some((number, line)) = lines.next() {
            let fields: Vec<&str> = line.splitn(6, ' ').collect();
            let [tag, policy, mode, blob, stored, file_path] = fields[..] else {
                return Err(fail(
                    number,
                    format!("expected a `file` line, found `{line}`"),
                ));
            };
            if tag != "file" {
                return Err(fail(
                    number,
                    format!("expected a `file` line, found `{line}`"),
                ));
            }
            let policy = Policy::parse(policy)
                .ok_or_else(|| fail(number, format!("unknown policy `{policy}`")))?;
            let mode = match mode {
                "644" => Mode::Regular,
                "755" => Mode::Executable,
                other => return Err(fail(number, format!("unknown mode `{other}`"))),
            };
            let rel = RelPath::new(file_path)
                .map_err(|reason| fail(number, format!("path `{file_path}` {reason}")))?;
            let content = match stored {
                "-" => None,
                "text" => {
                    let mut content = String::new();
                    while let Some((_, next)) = lines.peek() {
                        if let Some(framed) = next.strip_prefix('|') {
                            let Some(inner) = framed.strip_suffix('|') else {
                                return Err(fail(
                                    lines.peek().map_or(number, |(n, _)| *n),
                                    "content line lost its closing `|`".into(),
                                ));
                            };
                            content.push_str(inner);
                            content.push('\n');
                            lines.next();
                        } else if *next == "\\" {
                            if content.pop().is_none() {
                                return Err(fail(number, "`\\` with no content before it".into()));
                            }
                            lines.next();
                            break;
                        } else {
                            break;
                        }
                    }
                    Some(content.into_bytes().into())
                }
                other => return Err(fail(number, format!("unknown storage `{other}`"))),
            };
            let mut entry = BaseEntry {
                policy,
                mode,
                blob: blob.to_owned(),
                content,
            };
            if let Some(content) = &entry.content
                && blob_id(content) != entry.blob
            {
                entry.content = None;
                base.damaged.push(rel.clone());
            }
            base.entries.insert(rel, entry);
        }
        Ok(base)
    }

    /// Reads a service's base; `None` when it has none (made by an svcgen without `update`).
    pub fn read(repo: &Path) -> Result<Option<Base>> {
        let path = repo.join(BASE_PATH);
        match std::fs::read(&path) {
            Ok(bytes) => Base::parse(&bytes, &path).map(Some),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(Error::io(&path, err)),
        }
    }

    /// The files that hold the base, as they go into a tree.
    pub fn files(&self) -> [(RelPath, FileEntry); 2] {
        files_holding(self.to_text())
    }
}

/// `.svcgen/base` and its attributes, holding `text`.
fn files_holding(text: String) -> [(RelPath, FileEntry); 2] {
    [
        (
            RelPath::new(BASE_PATH).expect("constant path is valid"),
            FileEntry {
                contents: text.into_bytes().into(),
                mode: Mode::Regular,
            },
        ),
        (
            RelPath::new(ATTRIBUTES_PATH).expect("constant path is valid"),
            FileEntry {
                contents: bytes::Bytes::from_static(ATTRIBUTES.as_bytes()),
                mode: Mode::Regular,
            },
        ),
    ]
}

/// Managed text files up to this size are stored with their bytes. A larger one is stored by
/// blob id, like a binary file: its bytes are in the service's git history, where an update
/// finds them to merge against, and a copy would double the base (and the memory of every
/// command reading it).
pub const LARGEST_STORED: usize = 1 << 20;

/// Only managed text files are stored with their bytes (see the module documentation).
fn keeps_content(policy: Policy, contents: &[u8]) -> bool {
    policy == Policy::Managed && contents.len() <= LARGEST_STORED && !is_binary(contents)
}

/// One file's entry in `.svcgen/base`, borrowed from a [`Base`] or straight from a tree.
struct Line<'a> {
    path: &'a RelPath,
    policy: Policy,
    mode: Mode,
    blob: String,
    content: Option<&'a [u8]>,
}

fn write_text<'a>(lines: impl Iterator<Item = Line<'a>>) -> String {
    let lines: Vec<Line<'a>> = lines.collect();
    // Sized up front (each content line gains its two `|` and maybe a `\`): the text is about
    // as big as the tree, and growing it by doubling would hold up to twice that.
    let size: usize = lines
        .iter()
        .map(|line| {
            let framing = line.content.map_or(0, |c| {
                3 * (c.iter().filter(|&&byte| byte == b'\n').count() + 1) + 2
            });
            line.content.map_or(0, <[u8]>::len) + framing + 80 + line.path.as_str().len()
        })
        .sum();
    let mut out = String::with_capacity(size + 256);
    out.push_str(
        "# Written by svcgen: what it generated for each file, so `svcgen update` can merge the\n\
         # blueprint's changes with yours. Do not edit; it changes with every update.\n",
    );
    out.push_str(HEADER);
    out.push('\n');
    for line in lines {
        let stored = if line.content.is_some() { "text" } else { "-" };
        out.push_str(&format!(
            "file {} {} {} {stored} {}\n",
            line.policy, line.mode, line.blob, line.path
        ));
        if let Some(content) = line.content {
            let text = std::str::from_utf8(content).expect("stored content is text");
            for line in text.split_inclusive('\n') {
                out.push('|');
                match line.strip_suffix('\n') {
                    Some(line) => {
                        out.push_str(line);
                        out.push_str("|\n");
                    }
                    None => {
                        out.push_str(line);
                        out.push_str("|\n\\\n");
                    }
                }
            }
        }
    }
    out
}

pub fn is_svcgen_file(path: &RelPath) -> bool {
    path.as_str().starts_with(SVCGEN_DIR)
}

/// The id git gives these bytes as a blob (`git hash-object`).
pub fn blob_id(contents: &[u8]) -> String {
    crate::git::blob_id(contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(contents: &[u8], mode: Mode) -> FileEntry {
        FileEntry {
            contents: contents.to_vec().into(),
            mode,
        }
    }

    fn sample() -> Tree {
        let mut tree = Tree::new();
        let files: [(&str, &[u8], Mode); 8] = [
            ("a.txt", b"one\ntwo  \n\n", Mode::Regular),
            ("no-newline.txt", b"x\ny", Mode::Regular),
            ("crlf.bat", b"echo\r\n\r\nexit\r\n", Mode::Regular),
            ("empty", b"", Mode::Regular),
            (
                "run.sh",
                b"#!/bin/sh\n|pipes| \\ everywhere|\n",
                Mode::Executable,
            ),
            ("logo.png", b"\x89PNG\0\x01", Mode::Regular),
            ("seed.rs", b"fn seed() {}\n", Mode::Regular),
            (".svcgen/record.toml", b"x = 1\n", Mode::Regular),
        ];
        for (path, contents, mode) in files {
            tree.insert(RelPath::new(path).unwrap(), entry(contents, mode));
        }
        tree
    }

    fn base() -> Base {
        Base::from_tree(&sample(), |p| {
            if p.as_str() == "seed.rs" {
                Policy::Seed
            } else {
                Policy::Managed
            }
        })
    }

    #[test]
    fn round_trips_every_kind_of_file() {
        let base = base();
        assert_eq!(base.len(), 7, "svcgen's own files are not in the base");
        let text = base.to_text();
        let parsed = Base::parse(text.as_bytes(), Path::new("base")).unwrap();
        assert_eq!(parsed, base);
        let content_of = |p: &str| {
            parsed
                .get(&RelPath::new(p).unwrap())
                .unwrap()
                .content
                .clone()
        };
        assert_eq!(content_of("no-newline.txt").unwrap(), &b"x\ny"[..]);
        assert_eq!(
            content_of("crlf.bat").unwrap(),
            &b"echo\r\n\r\nexit\r\n"[..]
        );
        assert_eq!(content_of("empty").unwrap(), &b""[..]);
        assert_eq!(content_of("logo.png"), None, "binary: blob id only");
        assert_eq!(content_of("seed.rs"), None, "seed: blob id only");
        let logo = parsed.get(&RelPath::new("logo.png").unwrap()).unwrap();
        assert!(logo.same_bytes(b"\x89PNG\0\x01"));
        assert!(!logo.same_bytes(b"\x89PNG\0\x02"));
    }

    #[test]
    fn survives_whitespace_fixers_and_crlf_checkouts() {
        let text = base().to_text();
        // No line of the file ends in whitespace, so trailing-whitespace fixers leave it alone.
        assert!(
            text.lines()
                .all(|line| !line.ends_with(' ') && !line.ends_with('\t')),
            "{text}"
        );
        // `core.autocrlf=true` turns every LF into CRLF on checkout.
        let converted = text.replace('\n', "\r\n");
        let parsed = Base::parse(converted.as_bytes(), Path::new("base")).unwrap();
        assert_eq!(parsed, base());
    }

    #[test]
    fn hand_edited_content_is_reported_not_trusted() {
        let text = base().to_text().replace("|one|", "|ONE|");
        let parsed = Base::parse(text.as_bytes(), Path::new("base")).unwrap();
        let path = RelPath::new("a.txt").unwrap();
        assert_eq!(parsed.damaged, std::slice::from_ref(&path));
        assert_eq!(parsed.get(&path).unwrap().content, None);
    }

    #[test]
    fn malformed_files_name_the_line() {
        let err = Base::parse(b"svcgen-base 9\n", Path::new("b")).unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
        let err =
            Base::parse(b"svcgen-base 1\nfile managed 600 x - a\n", Path::new("b")).unwrap_err();
        assert!(err.to_string().contains("line 2: unknown mode"), "{err}");
        let err = Base::parse(
            b"svcgen-base 1\nfile managed 644 x text ../a\n",
            Path::new("b"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("could escape"), "{err}");
    }

    #[test]
    fn a_path_with_a_line_break_can_never_reach_the_base() {
        // The base is line-based: such a name would forge an entry. It is refused as a path.
        assert!(RelPath::new("a\nfile managed 644 x - b").is_err());
    }

    #[test]
    fn blob_ids_are_gits() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            blob_id(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
    }
}
