//! The generated repository's git history: `git init` and one commit of the rendered tree.
//!
//! The commit is built from the [`Tree`] in memory rather than by scanning the working directory
//! (`git add -A`): the bytes are already here. The repository's files are written directly in
//! git's formats ([`git_format`]): one pack holding every object, its pack index, the index, the
//! branch and a `config` like `git init`'s. That is about a dozen files, where libgit2's
//! `init` alone copies git's sample hooks and rewrites `config` once per setting, and each file
//! created is the expensive part on most file systems.
//!
//! Building the commit ([`InitialCommit::build`]) needs only the tree and the user's git
//! configuration; [`InitialCommit::write`] puts it into `.git` once the files are written.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use git2::Signature;

use crate::apply::new_dir::{create_new_file, write_new_file};
use crate::error::{Error, Result};
use crate::git_format::{self, EntryMode, IndexEntry, Kind, ObjectId, Pack, StatData};
use crate::git_ignore::{IgnoreRules, is_gitignore};
use crate::tree::{Mode, RelPath, Tree};

/// Used when the user has no `user.name`/`user.email` configured, so generation never fails
/// on a fresh CI machine.
const FALLBACK_AUTHOR: (&str, &str) = ("svcgen", "svcgen@localhost");

/// Initialises a repository in `dir`, which holds `tree` already written out, and commits every
/// file of it that git would not ignore. Returns the commit id.
pub fn init_and_commit(dir: &Path, tree: &Tree, message: &str) -> Result<String> {
    InitialCommit::build(tree, message)?.write(dir)
}

/// The first commit of a tree, assembled in memory: every object of it (the files' bytes
/// borrowed from the tree), and the index entries waiting for the written files' stat data.
pub struct InitialCommit<'t> {
    branch: String,
    commit: ObjectId,
    pack: Pack<'t>,
    staged: Vec<Staged<'t>>,
}

struct Staged<'t> {
    path: &'t RelPath,
    executable: bool,
    id: ObjectId,
}

impl<'t> InitialCommit<'t> {
    /// Packs every file of `tree` that git would not ignore (the tree's `.gitignore` files, the
    /// user's global excludes), its folders and a commit with `message`, authored by the user's
    /// git identity. Reads the user's git configuration, and nothing else from disk.
    pub fn build(tree: &'t Tree, message: &str) -> Result<InitialCommit<'t>> {
        let user_config = git2::Config::open_default().ok();
        let setting = |key: &str| user_config.as_ref()?.get_string(key).ok();
        let branch = setting("init.defaultBranch").unwrap_or_else(|| "main".to_owned());
        if !git2::Reference::is_valid_name(&format!("refs/heads/{branch}")) {
            return Err(Error::git(
                "git init",
                git2::Error::from_str(&format!(
                    "init.defaultBranch `{branch}` is not a valid branch name"
                )),
            ));
        }
        let signature = match (setting("user.name"), setting("user.email")) {
            (Some(name), Some(email)) => Signature::now(&name, &email).ok(),
            _ => None,
        };
        let signature = match signature {
            Some(signature) => signature,
            None => Signature::now(FALLBACK_AUTHOR.0, FALLBACK_AUTHOR.1)
                .map_err(|err| Error::git("creating commit author", err))?,
        };
        let excludes = user_config
            .as_ref()
            .and_then(|config| config.get_path("core.excludesFile").ok())
            .or_else(default_excludes_file);
        let ignore = IgnoreRules::of_tree(tree, excludes.as_deref());

        let mut pack = Pack::new();
        let mut root = Folder::default();
        let mut staged = Vec::with_capacity(tree.len());
        for (path, entry) in tree.iter() {
            if ignore.is_ignored(path) {
                continue;
            }
            let id = pack.add(Kind::Blob, entry.contents.as_slice());
            staged.push(Staged {
                path,
                executable: entry.mode == Mode::Executable,
                id,
            });
            root.insert(path.segments(), id, entry.mode);
        }
        let root_id = root.write(&mut pack);
        let commit = pack.add(
            Kind::Commit,
            git_format::commit(root_id, &signature_line(&signature), message),
        );
        Ok(InitialCommit {
            branch,
            commit,
            pack,
            staged,
        })
    }

    /// Creates `dir/.git` holding the commit on the default branch, with an index that matches
    /// the files already written in `dir`, so `git status` is clean from the first command.
    /// Returns the commit id.
    pub fn write(self, dir: &Path) -> Result<String> {
        let git_dir = dir.join(".git");
        write_skeleton(&git_dir, &self.branch)?;
        let mut index = Vec::with_capacity(self.staged.len());
        for staged in &self.staged {
            let written = dir.join(staged.path.to_path_buf());
            let metadata =
                fs::symlink_metadata(&written).map_err(|err| Error::io(&written, err))?;
            index.push(IndexEntry {
                path: staged.path.as_str(),
                executable: staged.executable,
                id: staged.id,
                stat: StatData::of(&metadata),
            });
        }
        // The pack is named after its checksum, known once it is written.
        let packs = git_dir.join("objects/pack");
        let partial = packs.join("tmp_pack_svcgen");
        let written = (|| {
            let mut out = BufWriter::with_capacity(64 * 1024, create_new_file(&partial, 0o444)?);
            let written = self.pack.write(&mut out)?;
            out.flush()?;
            Ok(written)
        })()
        .map_err(|err| Error::io(&partial, err))?;
        let pack_base = packs.join(format!("pack-{}", written.checksum));
        let pack_path = pack_base.with_extension("pack");
        fs::rename(&partial, &pack_path).map_err(|err| Error::io(&pack_path, err))?;
        write_file(&pack_base.with_extension("idx"), &written.index, 0o444)?;
        write_file(
            &git_dir.join("packed-refs"),
            format!(
                "# pack-refs with: peeled fully-peeled sorted \n{} refs/heads/{}\n",
                self.commit, self.branch
            )
            .as_bytes(),
            0o644,
        )?;
        write_file(
            &git_dir.join("index"),
            &git_format::index_file(&index),
            0o644,
        )?;
        Ok(self.commit.to_string())
    }
}

/// Where git looks for the global excludes file when `core.excludesFile` is not set.
fn default_excludes_file() -> Option<PathBuf> {
    let config_home = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(config_home.join("git/ignore"))
}

/// What `git init` leaves that git needs: HEAD on the unborn branch, `config`, and the object
/// and ref folders. Sample hooks, `description` and `info/exclude` are optional and skipped.
fn write_skeleton(git_dir: &Path, branch: &str) -> Result<()> {
    // Parents first, so no `mkdir` fails on its way (as `create_dir_all` would try the deepest).
    // `refs/heads` and `refs/tags` are left for git to make when it first needs them: the branch
    // is recorded in `packed-refs`, as `git clone` records the branches it fetches, and each
    // folder is one of the costlier things to create (see bench/README.md).
    for folder in ["", "objects", "objects/pack", "refs"] {
        let path = git_dir.join(folder);
        fs::create_dir(&path).map_err(|err| Error::io(&path, err))?;
    }
    write_file(
        &git_dir.join("HEAD"),
        format!("ref: refs/heads/{branch}\n").as_bytes(),
        0o644,
    )?;
    write_file(
        &git_dir.join("config"),
        repo_config(git_dir).as_bytes(),
        0o644,
    )
}

/// `git init`'s `[core]` section, with its file-system probes: case-insensitive file systems get
/// `ignorecase`, Windows gets no symlinks and no file modes.
fn repo_config(git_dir: &Path) -> String {
    let mut config = String::from(
        "[core]\n\trepositoryformatversion = 0\n\tfilemode = FILEMODE\n\tbare = false\n\tlogallrefupdates = true\n",
    )
    .replace("FILEMODE", if cfg!(unix) { "true" } else { "false" });
    if cfg!(windows) {
        config.push_str("\tsymlinks = false\n");
    }
    // `.git` exists; if `.GIT` resolves to it, names are compared without case.
    if git_dir.with_file_name(".GIT").exists() {
        config.push_str("\tignorecase = true\n");
    }
    config
}

fn write_file(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    write_new_file(path, contents, mode).map_err(|err| Error::io(path, err))
}

/// `Name <email> seconds +hhmm`, as commits record an author.
fn signature_line(signature: &Signature<'_>) -> String {
    let when = signature.when();
    let offset = when.offset_minutes();
    format!(
        "{} <{}> {} {}{:02}{:02}",
        String::from_utf8_lossy(signature.name_bytes()),
        String::from_utf8_lossy(signature.email_bytes()),
        when.seconds(),
        if offset < 0 { '-' } else { '+' },
        offset.abs() / 60,
        offset.abs() % 60
    )
}

/// A folder being assembled: files and subfolders by name.
#[derive(Default)]
struct Folder<'a> {
    files: BTreeMap<&'a str, (ObjectId, Mode)>,
    folders: BTreeMap<&'a str, Folder<'a>>,
}

impl<'a> Folder<'a> {
    fn insert(&mut self, path: impl Iterator<Item = &'a str>, id: ObjectId, mode: Mode) {
        let segments: Vec<&str> = path.collect();
        let (file_name, folders) = segments.split_last().expect("a path has a segment");
        let mut folder = self;
        for name in folders {
            folder = folder.folders.entry(name).or_default();
        }
        folder.files.insert(file_name, (id, mode));
    }

    /// Adds this folder's tree, and its subfolders', to `pack`.
    fn write(&self, pack: &mut Pack<'_>) -> ObjectId {
        let mut entries = Vec::with_capacity(self.files.len() + self.folders.len());
        for (name, folder) in &self.folders {
            entries.push((*name, EntryMode::Folder, folder.write(pack)));
        }
        for (name, (id, mode)) in &self.files {
            let mode = match mode {
                Mode::Executable => EntryMode::Executable,
                // A rendered tree holds no links.
                Mode::Regular | Mode::Symlink => EntryMode::File,
            };
            entries.push((*name, mode, *id));
        }
        pack.add(Kind::Tree, git_format::tree(&mut entries))
    }
}

/// The bytes of the blob `id` in the git repository `dir` is in; `None` when there is no
/// repository or it does not have that blob.
pub fn read_blob(dir: &Path, id: &str) -> Option<Vec<u8>> {
    let repo = git2::Repository::discover(dir).ok()?;
    let id = git2::Oid::from_str(id).ok()?;
    let blob = repo.find_blob(id).ok()?;
    Some(blob.content().to_vec())
}

/// Where the file `path` (relative to the service folder `dir`) went when it was last removed
/// from the branch's history: the commit that removed it, compared with its parent using git's
/// rename detection (what `git log --follow` sees), where the moved file still is; `None` when
/// it was deleted, not moved, moved again since, or there is no history.
pub fn moved_to(dir: &Path, path: &str) -> Option<String> {
    let repo = git2::Repository::discover(dir).ok()?;
    let workdir = repo.workdir()?;
    let prefix = std::fs::canonicalize(dir)
        .ok()?
        .strip_prefix(std::fs::canonicalize(workdir).ok()?)
        .ok()?
        .to_string_lossy()
        .replace('\\', "/");
    let in_repo = |p: &str| {
        if prefix.is_empty() {
            p.to_owned()
        } else {
            format!("{prefix}/{p}")
        }
    };
    let mut walk = repo.revwalk().ok()?;
    walk.push_head().ok()?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL).ok()?;
    let mut newer: Option<git2::Commit<'_>> = None;
    let mut wanted = in_repo(path);
    for id in walk.take(1000) {
        let commit = repo.find_commit(id.ok()?).ok()?;
        let has = commit.tree().ok()?.get_path(Path::new(&wanted)).is_ok();
        if has {
            let removed_by = newer?;
            let mut diff = repo
                .diff_tree_to_tree(
                    Some(&commit.tree().ok()?),
                    Some(&removed_by.tree().ok()?),
                    None,
                )
                .ok()?;
            diff.find_similar(Some(git2::DiffFindOptions::new().renames(true)))
                .ok()?;
            let moved = diff.deltas().find_map(|delta| {
                (delta.status() == git2::Delta::Renamed
                    && delta.old_file().path()? == Path::new(&wanted))
                .then(|| {
                    delta
                        .new_file()
                        .path()
                        .map(|p| p.to_string_lossy().replace('\\', "/"))
                })
                .flatten()
            })?;
            wanted = moved;
            // The moved file must be in the service folder, as it is now.
            let relative = if prefix.is_empty() {
                wanted.clone()
            } else {
                wanted.strip_prefix(&format!("{prefix}/"))?.to_owned()
            };
            return dir.join(&relative).is_file().then_some(relative);
        }
        newer = Some(commit);
    }
    None
}

/// Paths under `dir` with uncommitted changes (modified, staged, deleted or untracked, not
/// ignored), relative to `dir`; `None` when `dir` is not inside a git repository. A service may
/// live in a folder of a larger repository, so only that folder is looked at.
pub fn dirty_paths(dir: &Path) -> Result<Option<Vec<String>>> {
    let repo = match git2::Repository::discover(dir) {
        Ok(repo) => repo,
        Err(err) if err.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(err) => {
            return Err(Error::git(
                format!("opening the git repository at {}", dir.display()),
                err,
            ));
        }
    };
    let Some(workdir) = repo.workdir() else {
        return Ok(None);
    };
    let canonical = |p: &Path| std::fs::canonicalize(p).map_err(|err| Error::io(p, err));
    let prefix = canonical(dir)?
        .strip_prefix(canonical(workdir)?)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    let mut options = git2::StatusOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(true);
    if !prefix.is_empty() {
        options.pathspec(format!("{prefix}/"));
    }
    let statuses = repo
        .statuses(Some(&mut options))
        .map_err(|err| Error::git("reading git status", err))?;
    let strip = if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}/")
    };
    // libgit2 calls a file ignored that a deeper `.gitignore` re-includes, where git lists it as
    // untracked (see git_ignore's tests), so its verdicts on files are judged again by git's.
    let listed_gitignores = statuses
        .iter()
        .filter_map(|entry| entry.path().ok().map(str::to_owned))
        .filter(|path| is_gitignore(path));
    let rules = ignore_rules(&repo, workdir, listed_gitignores);
    let is_dirty = |entry: &git2::StatusEntry<'_>| match entry.status() {
        git2::Status::CURRENT => false,
        git2::Status::IGNORED => {
            let path = String::from_utf8_lossy(entry.path_bytes());
            // A folder git ignores is never looked into, whatever is inside.
            !path.ends_with('/') && RelPath::new(&path).is_ok_and(|path| !rules.is_ignored(&path))
        }
        _ => true,
    };
    Ok(Some(
        statuses
            .iter()
            .filter(is_dirty)
            .map(|entry| {
                let path = String::from_utf8_lossy(entry.path_bytes());
                path.strip_prefix(&strip).unwrap_or(&path).to_owned()
            })
            .collect(),
    ))
}

/// The ignore rules of the repository's work tree: its `.gitignore` files as they are on disk
/// (those in the index, and `more` that status listed, such as untracked ones), the user's
/// global excludes file and
/// `.git/info/exclude`.
fn ignore_rules(
    repo: &git2::Repository,
    workdir: &Path,
    more: impl Iterator<Item = String>,
) -> IgnoreRules {
    let tracked: Vec<String> = repo
        .index()
        .map(|index| {
            index
                .iter()
                .filter_map(|entry| String::from_utf8(entry.path).ok())
                .filter(|path| is_gitignore(path))
                .collect()
        })
        .unwrap_or_default();
    let mut paths: Vec<String> = tracked.into_iter().chain(more).collect();
    paths.sort();
    paths.dedup();
    let gitignores: Vec<(String, Vec<u8>)> = paths
        .into_iter()
        .filter_map(|path| {
            let contents = fs::read(workdir.join(&path)).ok()?;
            Some((path, contents))
        })
        .collect();
    let global = repo
        .config()
        .ok()
        .and_then(|config| config.get_path("core.excludesFile").ok())
        .or_else(default_excludes_file);
    let excludes = [global, Some(repo.path().join("info/exclude"))];
    IgnoreRules::new(
        gitignores
            .iter()
            .map(|(path, contents)| (path.as_str(), contents.as_slice())),
        excludes.iter().flatten().map(PathBuf::as_path),
    )
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;
    use crate::apply::write_tree;
    use crate::tree::{FileEntry, RelPath};

    fn tree(files: &[(&str, &str, Mode)]) -> Tree {
        let mut tree = Tree::new();
        for (path, contents, mode) in files {
            tree.insert(
                RelPath::new(path).unwrap(),
                FileEntry {
                    contents: contents.as_bytes().to_vec(),
                    mode: *mode,
                },
            );
        }
        tree
    }

    /// Runs git in `dir` if it is installed; `None` if it is not.
    fn git(dir: &Path, args: &[&str]) -> Option<std::process::Output> {
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
    }

    #[test]
    fn commit_holds_the_tree_minus_ignored_files_and_the_index_matches_it() {
        let dir = tempfile::tempdir().unwrap();
        let tree = tree(&[
            (".gitignore", "/target/\n*.log\n!keep.log\n", Mode::Regular),
            ("src/main.rs", "fn main() {}\n", Mode::Regular),
            ("src/lib.rs", "", Mode::Regular),
            ("src-gen/a.rs", "", Mode::Regular),
            ("scripts/run.sh", "#!/bin/sh\n", Mode::Executable),
            ("debug.log", "ignored\n", Mode::Regular),
            ("keep.log", "kept\n", Mode::Regular),
            ("target/x", "ignored\n", Mode::Regular),
        ]);
        write_tree(&tree, dir.path()).unwrap();
        let id = init_and_commit(dir.path(), &tree, "Generate it").unwrap();

        let repo = git2::Repository::open(dir.path()).unwrap();
        let head = repo.head().unwrap();
        assert!(head.is_branch());
        let commit = head.peel_to_commit().unwrap();
        assert_eq!(commit.id().to_string(), id);
        assert_eq!(commit.message().unwrap(), "Generate it\n");
        assert_eq!(commit.parent_count(), 0);
        let mut committed = Vec::new();
        commit
            .tree()
            .unwrap()
            .walk(git2::TreeWalkMode::PreOrder, |folder, entry| {
                if entry.kind() == Some(git2::ObjectType::Blob) {
                    let name = entry.name().unwrap();
                    committed.push((format!("{folder}{name}"), entry.filemode()));
                }
                git2::TreeWalkResult::Ok
            })
            .unwrap();
        committed.sort();
        assert_eq!(
            committed,
            [
                (".gitignore".to_owned(), 0o100644),
                ("keep.log".to_owned(), 0o100644),
                ("scripts/run.sh".to_owned(), 0o100755),
                ("src-gen/a.rs".to_owned(), 0o100644),
                ("src/lib.rs".to_owned(), 0o100644),
                ("src/main.rs".to_owned(), 0o100644),
            ]
        );
        let statuses = repo.statuses(None).unwrap();
        let mut changes: Vec<(String, git2::Status)> = statuses
            .iter()
            .map(|entry| (entry.path().unwrap().to_owned(), entry.status()))
            .collect();
        changes.sort_by(|a, b| a.0.cmp(&b.0));
        let ignored = git2::Status::IGNORED;
        assert_eq!(
            changes,
            [
                ("debug.log".to_owned(), ignored),
                ("target/".to_owned(), ignored)
            ],
            "libgit2 sees a clean working tree"
        );

        // git itself, where installed: a valid repository, clean even to commands that do not
        // refresh the index first.
        if let Some(fsck) = git(dir.path(), &["fsck", "--strict", "--full"]) {
            assert!(fsck.status.success(), "{fsck:?}");
            let status = git(dir.path(), &["status", "--porcelain"]).unwrap();
            assert_eq!(String::from_utf8_lossy(&status.stdout), "");
            let diff = git(dir.path(), &["diff-index", "--quiet", "HEAD", "--"]).unwrap();
            assert!(diff.status.success(), "{diff:?}");
        }
    }

    /// libgit2's status calls `src/important.log` ignored; git, and so svcgen, calls it untracked.
    #[test]
    fn a_file_a_deeper_gitignore_re_includes_is_dirty() {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        repo.config()
            .unwrap()
            .set_str("core.excludesFile", "/nonexistent")
            .unwrap();
        let files = [
            (".gitignore", "*.log\n/target/\n"),
            ("src/.gitignore", "!important.log\n"),
        ];
        write_tree(
            &tree(&files.map(|(p, c)| (p, c, Mode::Regular))),
            dir.path(),
        )
        .unwrap();
        let mut index = repo.index().unwrap();
        for (path, _) in files {
            index.add_path(Path::new(path)).unwrap();
        }
        index.write().unwrap();
        let tree_id = index.write_tree().unwrap();
        let signature = Signature::now("a", "a@example.com").unwrap();
        let tree = repo.find_tree(tree_id).unwrap();
        repo.commit(Some("HEAD"), &signature, &signature, "first", &tree, &[])
            .unwrap();
        assert_eq!(
            dirty_paths(dir.path()).unwrap().unwrap(),
            Vec::<String>::new()
        );

        for path in [
            "src/important.log",
            "src/debug.log",
            "debug.log",
            "target/x",
        ] {
            let path = dir.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, "x").unwrap();
        }
        assert_eq!(
            dirty_paths(dir.path()).unwrap().unwrap(),
            ["src/important.log"]
        );
    }
}
