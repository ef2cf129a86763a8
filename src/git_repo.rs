//! The generated repository's git history: `git init` and one commit of the rendered tree.
//!
//! The commit is built from the [`Tree`] in memory rather than by scanning the working directory
//! (`git add -A`): the bytes are already here, and a scan costs a stat, a realpath and an
//! ignore-rule match per file. Objects go through an in-memory pack that is written out once, so
//! a 45-file service costs a handful of writes instead of one loose object file per blob and
//! folder.

use std::collections::BTreeMap;
use std::path::Path;

use git2::{FileMode, Oid, Repository, RepositoryInitOptions, Signature};

use crate::error::{Error, Result};
use crate::tree::{Mode, Tree};

/// Used when the user has no `user.name`/`user.email` configured, so generation never fails
/// on a fresh CI machine.
const FALLBACK_AUTHOR: (&str, &str) = ("svcgen", "svcgen@localhost");

/// Initialises a repository in `dir`, which holds `tree` already written out, and commits every
/// file of it that the tree's own `.gitignore` does not ignore. Returns the commit id.
pub fn init_and_commit(dir: &Path, tree: &Tree, message: &str) -> Result<String> {
    let branch = git2::Config::open_default()
        .and_then(|config| config.get_string("init.defaultBranch"))
        .unwrap_or_else(|_| "main".to_owned());
    let mut options = RepositoryInitOptions::new();
    options.initial_head(&branch);
    let repo = Repository::init_opts(dir, &options).map_err(|err| Error::git("git init", err))?;

    let odb = repo
        .odb()
        .map_err(|err| Error::git("opening git objects", err))?;
    let mempack = odb
        .add_new_mempack_backend(1000)
        .map_err(|err| Error::git("preparing git objects", err))?;

    let root = build_tree(&repo, tree)?;
    let signature = repo
        .signature()
        .or_else(|_| Signature::now(FALLBACK_AUTHOR.0, FALLBACK_AUTHOR.1))
        .map_err(|err| Error::git("creating commit author", err))?;
    let root_tree = repo
        .find_tree(root)
        .map_err(|err| Error::git("reading git tree", err))?;
    let commit_id = repo
        .commit(None, &signature, &signature, message, &root_tree, &[])
        .map_err(|err| Error::git("git commit", err))?;

    // Write the in-memory objects as one pack, then point the branch at the commit.
    let mut pack = git2::Buf::new();
    mempack
        .dump(&repo, &mut pack)
        .map_err(|err| Error::git("packing git objects", err))?;
    let mut writer = odb
        .packwriter()
        .map_err(|err| Error::git("writing git pack", err))?;
    std::io::Write::write_all(&mut writer, &pack)
        .map_err(|err| Error::io(dir.join(".git"), err))?;
    writer
        .commit()
        .map_err(|err| Error::git("writing git pack", err))?;
    mempack
        .reset()
        .map_err(|err| Error::git("writing git pack", err))?;
    repo.reference(
        &format!("refs/heads/{branch}"),
        commit_id,
        true,
        "svcgen: initial commit",
    )
    .map_err(|err| Error::git("updating branch", err))?;

    // The index matches the commit, so `git status` is clean from the first command.
    let mut index = repo
        .index()
        .map_err(|err| Error::git("opening git index", err))?;
    index
        .read_tree(&root_tree)
        .map_err(|err| Error::git("writing git index", err))?;
    index
        .write()
        .map_err(|err| Error::git("writing git index", err))?;
    Ok(commit_id.to_string())
}

/// A folder being assembled: files and subfolders by name.
#[derive(Default)]
struct Folder {
    files: BTreeMap<String, (Oid, Mode)>,
    folders: BTreeMap<String, Folder>,
}

fn build_tree(repo: &Repository, tree: &Tree) -> Result<Oid> {
    let mut root = Folder::default();
    for (path, entry) in tree.iter() {
        if repo
            .is_path_ignored(path.as_str())
            .map_err(|err| Error::git("reading .gitignore", err))?
        {
            continue;
        }
        let blob = repo
            .blob(&entry.contents)
            .map_err(|err| Error::git(format!("storing {path}"), err))?;
        let segments: Vec<&str> = path.segments().collect();
        let (file_name, folders) = segments.split_last().expect("a path has a segment");
        let mut folder = &mut root;
        for name in folders {
            folder = folder.folders.entry((*name).to_owned()).or_default();
        }
        folder
            .files
            .insert((*file_name).to_owned(), (blob, entry.mode));
    }
    write_folder(repo, &root)
}

fn write_folder(repo: &Repository, folder: &Folder) -> Result<Oid> {
    let failed = |err| Error::git("writing git tree", err);
    let mut builder = repo.treebuilder(None).map_err(failed)?;
    for (name, child) in &folder.folders {
        let id = write_folder(repo, child)?;
        builder
            .insert(name, id, FileMode::Tree.into())
            .map_err(failed)?;
    }
    for (name, (id, mode)) in &folder.files {
        let mode = match mode {
            Mode::Executable => FileMode::BlobExecutable,
            Mode::Regular => FileMode::Blob,
        };
        builder.insert(name, *id, mode.into()).map_err(failed)?;
    }
    builder.write().map_err(failed)
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
        .include_ignored(false);
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
    Ok(Some(
        statuses
            .iter()
            .filter(|entry| entry.status() != git2::Status::CURRENT)
            .map(|entry| {
                let path = String::from_utf8_lossy(entry.path_bytes());
                path.strip_prefix(&strip).unwrap_or(&path).to_owned()
            })
            .collect(),
    ))
}
