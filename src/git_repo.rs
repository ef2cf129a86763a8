//! The generated repository's git history: `git init` and one commit of everything.

use std::path::Path;

use git2::{IndexAddOption, Repository, RepositoryInitOptions, Signature};

use crate::error::{Error, Result};

/// Used when the user has no `user.name`/`user.email` configured, so generation never fails
/// on a fresh CI machine.
const FALLBACK_AUTHOR: (&str, &str) = ("svcgen", "svcgen@localhost");

/// Initialises a repository in `dir` and commits every file not ignored by its `.gitignore`.
/// Returns the commit id.
pub fn init_and_commit(dir: &Path, message: &str) -> Result<String> {
    let branch = git2::Config::open_default()
        .and_then(|config| config.get_string("init.defaultBranch"))
        .unwrap_or_else(|_| "main".to_owned());
    let mut options = RepositoryInitOptions::new();
    options.initial_head(&branch);
    let repo = Repository::init_opts(dir, &options).map_err(|err| Error::git("git init", err))?;

    let mut index = repo
        .index()
        .map_err(|err| Error::git("opening git index", err))?;
    index
        .add_all(["*"], IndexAddOption::DEFAULT, None)
        .map_err(|err| Error::git("git add", err))?;
    index
        .write()
        .map_err(|err| Error::git("writing git index", err))?;
    let tree_id = index
        .write_tree()
        .map_err(|err| Error::git("writing git tree", err))?;
    let tree = repo
        .find_tree(tree_id)
        .map_err(|err| Error::git("reading git tree", err))?;

    let signature = repo
        .signature()
        .or_else(|_| Signature::now(FALLBACK_AUTHOR.0, FALLBACK_AUTHOR.1))
        .map_err(|err| Error::git("creating commit author", err))?;
    let commit = repo
        .commit(Some("HEAD"), &signature, &signature, message, &tree, &[])
        .map_err(|err| Error::git("git commit", err))?;
    Ok(commit.to_string())
}
