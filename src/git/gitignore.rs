//! Which files of a tree git would leave out of a commit: the tree's own `.gitignore` files and
//! the user's global excludes file, matched with the `ignore` crate (ripgrep's gitignore
//! engine) and combined with git's precedence rules (gitignore(5)):
//!
//! - a `.gitignore` applies to its folder and everything below it; a deeper file's verdict
//!   wins over a shallower one's, and the global excludes file comes last;
//! - within one file the last matching pattern wins, so `!pattern` re-includes;
//! - a file inside an ignored folder is ignored whatever its own patterns say, because git
//!   never looks inside that folder.
//!
//! `svcgen new` decides this from the rendered tree in memory; the dirty check of `update` and
//! `add-event` uses it to correct libgit2, which ignores a file that a deeper `.gitignore`
//! re-includes (see the tests).

use std::path::Path;

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::tree::{RelPath, Tree};

const GITIGNORE: &str = ".gitignore";

pub struct IgnoreRules {
    /// Each `.gitignore` of the tree by the folder it sits in (`""` for the root), deepest
    /// first.
    by_folder: Vec<(String, Gitignore)>,
    global: Option<Gitignore>,
}

impl IgnoreRules {
    /// The rules of `tree`'s `.gitignore` files, then of the `excludes` files that can be read
    /// (see [`IgnoreRules::new`]).
    pub fn of_tree<'a>(tree: &'a Tree, excludes: impl Iterator<Item = &'a Path>) -> IgnoreRules {
        let files = tree
            .iter()
            .map(|(path, entry)| (path.as_str(), &entry.contents[..]));
        IgnoreRules::new(files, excludes)
    }

    /// The rules of the `.gitignore` files among `files` (repository-relative path, contents),
    /// then of the `excludes` files (the global excludes file, `.git/info/exclude`), the later
    /// winning, for those that can be read. Patterns git would skip (invalid globs) are skipped
    /// here too.
    pub fn new<'a>(
        files: impl Iterator<Item = (&'a str, &'a [u8])>,
        excludes: impl Iterator<Item = &'a Path>,
    ) -> IgnoreRules {
        let mut by_folder: Vec<(String, Gitignore)> = files
            .filter_map(|(path, contents)| {
                let folder = match path.strip_suffix(GITIGNORE)? {
                    "" => "",
                    prefix => prefix.strip_suffix('/')?,
                };
                let text = String::from_utf8_lossy(contents);
                let root = if folder.is_empty() { "." } else { folder };
                let mut builder = GitignoreBuilder::new(root);
                for line in text.lines() {
                    // An invalid pattern is skipped, as git skips it; the rest still apply.
                    let _ = builder.add_line(None, line);
                }
                Some((folder.to_owned(), builder.build().ok()?))
            })
            .collect();
        by_folder.sort_by_key(|(folder, _)| std::cmp::Reverse(depth(folder)));
        let mut builder = GitignoreBuilder::new(".");
        let mut any = false;
        for path in excludes.filter(|path| path.is_file()) {
            // A line that cannot be read or parsed is skipped; the rest still apply.
            let _ = builder.add(path);
            any = true;
        }
        let global = any.then(|| builder.build().ok()).flatten();
        IgnoreRules { by_folder, global }
    }

    /// Whether git would ignore the file at `path`.
    pub fn is_ignored(&self, path: &RelPath) -> bool {
        let text = path.as_str();
        let mut folders = text.match_indices('/').map(|(end, _)| &text[..end]);
        folders.any(|folder| self.verdict(folder, true)) || self.verdict(text, false)
    }

    /// Whether `path` (a file, or a folder when `is_dir`) itself matches an ignore rule, the
    /// most specific verdict winning.
    fn verdict(&self, path: &str, is_dir: bool) -> bool {
        let applicable = self
            .by_folder
            .iter()
            .filter(|(folder, _)| {
                folder.is_empty()
                    || path
                        .strip_prefix(folder.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
            .map(|(_, rules)| rules)
            .chain(&self.global);
        for rules in applicable {
            match rules.matched(path, is_dir) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => return false,
                Match::None => {}
            }
        }
        false
    }
}

/// Whether the file at `path` (repository-relative, `/`-separated) is a `.gitignore`.
pub fn is_gitignore(path: &str) -> bool {
    path == GITIGNORE || path.ends_with("/.gitignore")
}

fn depth(folder: &str) -> usize {
    if folder.is_empty() {
        0
    } else {
        folder.matches('/').count() + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::{FileEntry, Mode};

    fn tree(files: &[(&str, &str)]) -> Tree {
        let mut tree = Tree::new();
        for (path, contents) in files {
            tree.insert(
                RelPath::new(path).unwrap(),
                FileEntry {
                    contents: contents.as_bytes().to_vec().into(),
                    mode: Mode::Regular,
                },
            );
        }
        tree
    }

    /// A tree that exercises each precedence rule. The expected verdicts are git's (`git
    /// check-ignore`, asked again below wherever git is installed). libgit2, which svcgen used
    /// before, gets `src/important.log` wrong: it ignores a file that a deeper `.gitignore`
    /// re-includes.
    #[test]
    fn agrees_with_git_on_nested_rules_negation_and_ignored_folders() {
        let files = [
            (
                ".gitignore",
                "/target/\n*.log\n!keep.log\nbuild\ndocs/*.tmp\n[invalid\nsecrets/\n",
            ),
            (
                "src/.gitignore",
                "generated.rs\n!important.log\n/local-only\n",
            ),
            ("src/nested/.gitignore", "!generated.rs\n"),
            ("src/main.rs", "fn main() {}\n"),
            ("src/generated.rs", "x"),
            ("src/nested/generated.rs", "x"),
            ("src/important.log", "x"),
            ("src/debug.log", "x"),
            ("src/local-only", "x"),
            ("src/nested/local-only", "x"),
            ("debug.log", "x"),
            ("keep.log", "x"),
            ("target/x", "x"),
            ("src/target/y", "x"),
            ("build/out", "x"),
            ("src/build", "x"),
            ("docs/a.tmp", "x"),
            ("docs/deep/a.tmp", "x"),
            ("secrets/.gitignore", "!key\n"),
            ("secrets/key", "x"),
            ("README.md", "x"),
        ];
        let tree = tree(&files);
        let rules = IgnoreRules::of_tree(&tree, std::iter::empty());
        let ignored: Vec<&str> = tree
            .iter()
            .filter(|(path, _)| rules.is_ignored(path))
            .map(|(path, _)| path.as_str())
            .collect();
        assert_eq!(
            ignored,
            [
                "build/out",
                "debug.log",
                "docs/a.tmp",
                "secrets/.gitignore",
                "secrets/key",
                "src/build",
                "src/debug.log",
                "src/generated.rs",
                "src/local-only",
                "target/x",
            ]
        );

        let dir = tempfile::tempdir().unwrap();
        crate::apply::write_tree(&tree, dir.path()).unwrap();
        let git = |args: &[&str]| {
            std::process::Command::new("git")
                .arg("-C")
                .arg(dir.path())
                .args(["-c", "core.excludesFile=/nonexistent"])
                .args(args)
                .output()
                .ok()
        };
        if git(&["init", "-q"]).is_none() {
            return; // git is not installed; the expected list above is what it says
        }
        for (path, _) in tree.iter() {
            let verdict = git(&["check-ignore", "-q", path.as_str()]).unwrap();
            let by_git = verdict.status.code() == Some(0);
            assert_eq!(
                rules.is_ignored(path),
                by_git,
                "{path}: git says ignored={by_git}"
            );
        }
    }

    #[test]
    fn the_global_excludes_file_applies_last() {
        let tree = tree(&[
            (".gitignore", "!notes.md\n"),
            ("notes.md", "x"),
            ("a.swp", "x"),
        ]);
        let dir = tempfile::tempdir().unwrap();
        let global = dir.path().join("ignore");
        std::fs::write(&global, "*.swp\nnotes.md\n").unwrap();

        let rules = IgnoreRules::of_tree(&tree, std::iter::once(global.as_path()));
        assert!(rules.is_ignored(&RelPath::new("a.swp").unwrap()));
        assert!(
            !rules.is_ignored(&RelPath::new("notes.md").unwrap()),
            "the tree's rule wins"
        );

        let without =
            IgnoreRules::of_tree(&tree, std::iter::once(dir.path().join("missing").as_path()));
        assert!(!without.is_ignored(&RelPath::new("a.swp").unwrap()));
    }
}
