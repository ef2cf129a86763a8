//! `git init` and the first commit of a rendered service, as the `git` command would make them:
//! the default branch from `init.defaultBranch`, the hooks and files of the user's template
//! folder (`init.templateDir`, say a team's `commit-msg` hook), an index that matches the
//! written files, and the user's identity.

use std::path::{Path, PathBuf};

use git2::{Repository, RepositoryInitOptions};

use super::config::{self, Env};
use super::gitignore::IgnoreRules;
use crate::error::{Error, Result};
use crate::tree::{FileEntry, Tree};

/// svcgen's branch when the user has not chosen one (git's own default is still `master`).
const DEFAULT_BRANCH: &str = "main";

/// Initialises a repository in `dir`, which holds `tree` already written out, and commits every
/// file of it that git would not ignore. Returns the commit id.
pub fn init_and_commit(dir: &Path, tree: &Tree, message: &str) -> Result<String> {
    init_and_commit_with(dir, tree, message, &Env::process())
}

pub(super) fn init_and_commit_with(
    dir: &Path,
    tree: &Tree,
    message: &str,
    env: &Env,
) -> Result<String> {
    let user_config = config::user_config(env)?;
    let branch = match user_config.get_string("init.defaultBranch") {
        Ok(branch) if !branch.is_empty() => branch,
        _ => DEFAULT_BRANCH.to_owned(),
    };
    if !git2::Reference::is_valid_name(&format!("refs/heads/{branch}")) {
        return Err(Error::git(
            "git init",
            git2::Error::from_str(&format!(
                "init.defaultBranch `{branch}` is not a valid branch name"
            )),
        ));
    }
    let mut options = RepositoryInitOptions::new();
    options.no_reinit(true).initial_head(&branch);
    match template_dir(&user_config, env) {
        Template::Dir(dir) => {
            options.template_path(&dir);
        }
        Template::SystemDefault => {}
        Template::Builtin => {
            options.external_template(false);
        }
    }
    let repo = Repository::init_opts(dir, &options).map_err(|err| Error::git("git init", err))?;
    let config = config::repo_config(&repo, env)?;

    // What `git add -A` would stage: the tree minus what its `.gitignore` files, the global
    // excludes file and `.git/info/exclude` (which a template may bring) leave out.
    let excludes = [
        config::excludes_file(&config, env),
        Some(repo.path().join("info/exclude")),
    ];
    let ignore = IgnoreRules::of_tree(tree, excludes.iter().flatten().map(PathBuf::as_path));
    let failed = |err| Error::git("git add", err);
    let mut index = repo.index().map_err(failed)?;
    let staged: Vec<(&str, &FileEntry)> = tree
        .iter()
        .filter(|(path, _)| !ignore.is_ignored(path))
        .map(|(path, entry)| (path.as_str(), entry))
        .collect();
    if converts_line_endings(&config) || attributes_may_filter(&repo, &config, tree, env) {
        // git would store other bytes than a file's (line endings, `filter=`, `ident`):
        // libgit2 stages each from disk the way `git add` does.
        for (path, _) in &staged {
            index.add_path(Path::new(path)).map_err(failed)?;
        }
    } else {
        // The blobs are the bytes svcgen wrote, so they are made from the tree in memory; each
        // entry takes the written file's stat data, so `git status` is clean without rereading.
        let ids = write_blobs(&repo, &staged).map_err(failed)?;
        for ((path, _), id) in staged.iter().zip(ids) {
            let written = dir.join(path);
            let metadata =
                std::fs::symlink_metadata(&written).map_err(|err| Error::io(&written, err))?;
            index
                .add(&index_entry(Path::new(path), id, &metadata))
                .map_err(failed)?;
        }
    }
    index.write().map_err(failed)?;
    let tree_id = index.write_tree().map_err(failed)?;
    let root = repo.find_tree(tree_id).map_err(failed)?;

    let (author, committer) = config::signatures(&config, env)?;
    let message =
        git2::message_prettify(message, None).map_err(|err| Error::git("git commit", err))?;
    let commit = repo
        .commit(Some("HEAD"), &author, &committer, &message, &root, &[])
        .map_err(|err| Error::git("git commit", err))?;
    Ok(commit.to_string())
}

/// Writes the files' blobs, half of them (by size) on a second thread with a repository handle of
/// its own: compressing them is most of what the first commit costs. Returns their ids in order.
fn write_blobs(
    repo: &Repository,
    files: &[(&str, &FileEntry)],
) -> std::result::Result<Vec<git2::Oid>, git2::Error> {
    let write = |repo: &Repository, files: &[(&str, &FileEntry)]| {
        files
            .iter()
            .map(|(_, entry)| repo.blob(&entry.contents))
            .collect::<Result<Vec<_>, _>>()
    };
    let total: usize = files.iter().map(|(_, entry)| entry.contents.len()).sum();
    let mut so_far = 0;
    let half = files
        .iter()
        .position(|(_, entry)| {
            so_far += entry.contents.len();
            so_far >= total / 2
        })
        .map_or(files.len(), |index| index + 1);
    let (first, second) = files.split_at(half);
    let path = repo.path().to_owned();
    let (ids, rest) = std::thread::scope(|scope| {
        let other = scope.spawn(|| write(&Repository::open(&path)?, second));
        let ids = write(repo, first);
        let rest = other
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (ids, rest)
    });
    let mut ids = ids?;
    ids.extend(rest?);
    Ok(ids)
}

/// Whether `core.autocrlf` has `git add` turn CRLF into LF in every text file.
fn converts_line_endings(config: &git2::Config) -> bool {
    match config.get_string("core.autocrlf") {
        Ok(value) => !matches!(
            value.to_ascii_lowercase().as_str(),
            "false" | "no" | "off" | "0" | ""
        ),
        Err(_) => false,
    }
}

/// Whether any attributes file git reads for the tree (its own `.gitattributes` files,
/// `.git/info/attributes` from a template, the user's and the system's) could pass a file
/// through a clean filter on `git add`.
fn attributes_may_filter(repo: &Repository, config: &git2::Config, tree: &Tree, env: &Env) -> bool {
    let in_tree = tree
        .iter()
        .filter(|(path, _)| path.as_str().rsplit('/').next() == Some(".gitattributes"))
        .map(|(_, entry)| entry.contents.to_vec());
    let outside = [
        Some(repo.path().join("info/attributes")),
        config::attributes_file(config, env),
        Some(PathBuf::from("/etc/gitattributes")),
    ]
    .into_iter()
    .flatten()
    .filter_map(|file| std::fs::read(file).ok());
    in_tree
        .chain(outside)
        .any(|text| sets_converting_attribute(&text))
}

/// The attributes that make `git add` store other bytes than the file's: line-ending
/// conversion, a filter driver, `$Id$` expansion, a working-tree encoding.
const CONVERTING_ATTRIBUTES: [&str; 6] = [
    "text",
    "eol",
    "crlf",
    "filter",
    "ident",
    "working-tree-encoding",
];

/// Whether a `.gitattributes` text sets (not unsets) a converting attribute for any pattern,
/// or defines a macro (which could). Erring towards yes only costs speed: such files are staged
/// from disk by libgit2.
fn sets_converting_attribute(text: &[u8]) -> bool {
    String::from_utf8_lossy(text).lines().any(|line| {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return false;
        }
        if line.starts_with("[attr]") {
            return true;
        }
        line.split_whitespace().skip(1).any(|token| {
            !token.starts_with('-')
                && !token.starts_with('!')
                && CONVERTING_ATTRIBUTES.contains(&token.split('=').next().unwrap_or(token))
        })
    })
}

/// The index entry `git add` would make for the file at `path` holding blob `id`.
#[cfg(unix)]
fn index_entry(path: &Path, id: git2::Oid, metadata: &std::fs::Metadata) -> git2::IndexEntry {
    use std::os::unix::fs::MetadataExt;
    let mode = if metadata.file_type().is_symlink() {
        0o120000
    } else if metadata.mode() & 0o100 != 0 {
        0o100755
    } else {
        0o100644
    };
    // The index keeps 32 bits of each; git truncates the same way.
    git2::IndexEntry {
        ctime: git2::IndexTime::new(metadata.ctime() as i32, metadata.ctime_nsec() as u32),
        mtime: git2::IndexTime::new(metadata.mtime() as i32, metadata.mtime_nsec() as u32),
        dev: metadata.dev() as u32,
        ino: metadata.ino() as u32,
        mode,
        uid: metadata.uid(),
        gid: metadata.gid(),
        file_size: metadata.len() as u32,
        id,
        flags: 0,
        flags_extended: 0,
        path: path.to_string_lossy().into_owned().into_bytes(),
    }
}

/// Off Unix the entry carries no stat data: git then rereads the file once to see it is clean.
#[cfg(not(unix))]
fn index_entry(path: &Path, id: git2::Oid, metadata: &std::fs::Metadata) -> git2::IndexEntry {
    git2::IndexEntry {
        ctime: git2::IndexTime::new(0, 0),
        mtime: git2::IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode: 0o100644,
        uid: 0,
        gid: 0,
        file_size: metadata.len() as u32,
        id,
        flags: 0,
        flags_extended: 0,
        path: path.to_string_lossy().into_owned().into_bytes(),
    }
}

enum Template {
    /// The folder git would copy into `.git`.
    Dir(PathBuf),
    /// libgit2's own search: git's installed templates (`/usr/share/git-core/templates`).
    SystemDefault,
    /// libgit2's built-in minimum (no sample hooks).
    Builtin,
}

/// git's order: `GIT_TEMPLATE_DIR`, then `init.templateDir`, then the templates git installed.
fn template_dir(config: &git2::Config, env: &Env) -> Template {
    if let Some(dir) = env.path("GIT_TEMPLATE_DIR") {
        return Template::Dir(dir);
    }
    if let Ok(dir) = config.get_path("init.templateDir") {
        return Template::Dir(dir);
    }
    // Left to itself libgit2 first reads `init.templateDir` from its own view of the global
    // configuration, which ignores `GIT_CONFIG_GLOBAL` and `GIT_CONFIG_NOSYSTEM`. Where that view
    // names a folder git would not use, its built-in template stands in for git's installed one:
    // that loses only the inactive `*.sample` hooks, where the other would install hooks the
    // user did not ask for.
    let libgit2_would_use = git2::Config::open_default()
        .and_then(|config| config.get_path("init.templatedir"))
        .is_ok();
    if libgit2_would_use {
        Template::Builtin
    } else {
        Template::SystemDefault
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::process::Command;

    use super::*;
    use crate::apply::write_tree;
    use crate::tree::{FileEntry, Mode, RelPath};

    fn tree(files: &[(&str, &str, Mode)]) -> Tree {
        let mut tree = Tree::new();
        for (path, contents, mode) in files {
            tree.insert(
                RelPath::new(path).unwrap(),
                FileEntry {
                    contents: contents.as_bytes().to_vec().into(),
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

    #[test]
    fn files_the_attributes_filter_are_staged_as_git_add_stages_them() {
        let dir = tempfile::tempdir().unwrap();
        let tree = tree(&[
            (".gitattributes", "*.txt text\n", Mode::Regular),
            ("notes.txt", "one\r\ntwo\r\n", Mode::Regular),
            ("data.bin", "kept\r\n", Mode::Regular),
        ]);
        write_tree(&tree, dir.path()).unwrap();
        init_and_commit(dir.path(), &tree, "Generate it").unwrap();

        let repo = git2::Repository::open(dir.path()).unwrap();
        let committed = |path: &str| {
            let head = repo.head().unwrap().peel_to_tree().unwrap();
            let entry = head.get_path(Path::new(path)).unwrap();
            repo.find_blob(entry.id()).unwrap().content().to_vec()
        };
        assert_eq!(
            committed("notes.txt"),
            b"one\ntwo\n",
            "normalised as `text`"
        );
        assert_eq!(
            committed("data.bin"),
            b"kept\r\n",
            "no attribute: as written"
        );
    }

    #[test]
    fn attribute_files_that_could_convert_a_file_are_told_apart() {
        for converting in [
            "*.txt text\n",
            "* text=auto\n",
            "*.sh eol=lf\n",
            "secret.env filter=crypt\n",
            "# a comment\nversion.rs ident\n",
            "*.txt working-tree-encoding=UTF-16\n",
            "[attr]mine text\n*.x mine\n",
        ] {
            assert!(
                sets_converting_attribute(converting.as_bytes()),
                "{converting:?}"
            );
        }
        for harmless in [
            "base -text linguist-generated=true\n",
            "*.png binary\n*.lock -diff !text\n",
            "# text eol filter\n\n",
            "text-notes/* linguist-documentation\n",
        ] {
            assert!(
                !sets_converting_attribute(harmless.as_bytes()),
                "{harmless:?}"
            );
        }
    }

    /// A configuration of the test's own: no system file, `global` as the global file.
    fn isolated(home: &Path, global: &Path) -> Vec<(String, String)> {
        vec![
            ("GIT_CONFIG_NOSYSTEM".into(), "1".into()),
            ("GIT_CONFIG_GLOBAL".into(), global.display().to_string()),
            ("HOME".into(), home.display().to_string()),
            (
                "XDG_CONFIG_HOME".into(),
                home.join(".config").display().to_string(),
            ),
        ]
    }

    fn env_of(pairs: &[(String, String)]) -> Env {
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Env::fixed(&pairs)
    }

    /// Runs git in `dir` with exactly the environment `pairs` adds for git, if git is installed.
    fn git_with(
        dir: &Path,
        pairs: &[(String, String)],
        args: &[&str],
    ) -> Option<std::process::Output> {
        let mut command = Command::new("git");
        command.arg("-C").arg(dir).args(args);
        for name in [
            "GIT_TEMPLATE_DIR",
            "GIT_AUTHOR_NAME",
            "GIT_AUTHOR_EMAIL",
            "EMAIL",
        ] {
            command.env_remove(name);
        }
        command
            .envs(pairs.iter().map(|(k, v)| (k, v)))
            .output()
            .ok()
    }

    /// Every file under `.git/hooks` and `.git/info`, with its permission bits.
    #[cfg(unix)]
    fn template_files(git_dir: &Path) -> Vec<(String, u32)> {
        use std::os::unix::fs::PermissionsExt;
        let mut files: Vec<(String, u32)> = walkdir::WalkDir::new(git_dir)
            .into_iter()
            .map(|entry| entry.unwrap())
            .filter(|entry| entry.file_type().is_file())
            .filter_map(|entry| {
                let relative = entry.path().strip_prefix(git_dir).unwrap();
                let name = relative.to_str().unwrap().to_owned();
                (name.starts_with("hooks/") || name.starts_with("info/"))
                    .then(|| (name, entry.metadata().unwrap().permissions().mode() & 0o777))
            })
            .collect();
        files.sort();
        files
    }

    #[cfg(unix)]
    #[test]
    fn the_template_folder_and_default_branch_of_the_git_config_are_used_as_git_init_uses_them() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        let templates = home.path().join("team-templates");
        fs::create_dir_all(templates.join("hooks")).unwrap();
        fs::create_dir_all(templates.join("info")).unwrap();
        // The hook leaves a mark, so running it shows it installed and executable.
        let hook = templates.join("hooks/commit-msg");
        fs::write(
            &hook,
            "#!/bin/sh\ntouch \"$(git rev-parse --git-dir)/commit-msg-ran\"\n",
        )
        .unwrap();
        fs::set_permissions(&hook, fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(templates.join("hooks/pre-commit.sample"), "#!/bin/sh\n").unwrap();
        fs::write(templates.join("info/exclude"), "*.secret\n").unwrap();
        let global = home.path().join("gitconfig");
        fs::write(
            &global,
            format!(
                "[init]\n\ttemplateDir = {}\n\tdefaultBranch = trunk\n",
                templates.display()
            ),
        )
        .unwrap();
        let pairs = isolated(home.path(), &global);

        let dir = tempfile::tempdir().unwrap();
        let tree = tree(&[
            ("README.md", "hello\n", Mode::Regular),
            ("token.secret", "not for git\n", Mode::Regular),
        ]);
        write_tree(&tree, dir.path()).unwrap();
        init_and_commit_with(dir.path(), &tree, "Generate it", &env_of(&pairs)).unwrap();

        let repo = git2::Repository::open(dir.path()).unwrap();
        assert_eq!(repo.head().unwrap().name().ok(), Some("refs/heads/trunk"));
        let committed = repo.head().unwrap().peel_to_tree().unwrap();
        assert!(committed.get_name("README.md").is_some());
        assert!(
            committed.get_name("token.secret").is_none(),
            "the template's info/exclude applies, as to `git add -A`"
        );
        let ours = template_files(repo.path());
        assert!(
            ours.contains(&("hooks/commit-msg".to_owned(), 0o755)),
            "{ours:?}"
        );

        // git itself, where installed: the same hooks from the same configuration, a valid and
        // clean repository, and the hook runs on the team's next commit.
        let by_git = tempfile::tempdir().unwrap();
        let Some(init) = git_with(by_git.path(), &pairs, &["init", "-q"]) else {
            return;
        };
        assert!(init.status.success(), "{init:?}");
        assert_eq!(ours, template_files(&by_git.path().join(".git")));
        let fsck = git_with(dir.path(), &pairs, &["fsck", "--strict", "--full"]).unwrap();
        assert!(fsck.status.success(), "{fsck:?}");
        let status = git_with(dir.path(), &pairs, &["status", "--porcelain"]).unwrap();
        assert_eq!(String::from_utf8_lossy(&status.stdout), "");
        let mut team = pairs.clone();
        team.extend([
            ("GIT_AUTHOR_NAME".into(), "Team".into()),
            ("GIT_AUTHOR_EMAIL".into(), "team@example.com".into()),
            ("GIT_COMMITTER_NAME".into(), "Team".into()),
            ("GIT_COMMITTER_EMAIL".into(), "team@example.com".into()),
        ]);
        let commit = git_with(
            dir.path(),
            &team,
            &["commit", "-q", "--allow-empty", "-m", "next"],
        )
        .unwrap();
        assert!(commit.status.success(), "{commit:?}");
        assert!(repo.path().join("commit-msg-ran").exists());
    }

    #[test]
    fn git_template_dir_in_the_environment_wins_over_the_config() {
        let home = tempfile::tempdir().unwrap();
        for name in ["from-config", "from-env"] {
            let hooks = home.path().join(name).join("hooks");
            fs::create_dir_all(&hooks).unwrap();
            fs::write(hooks.join(name), "#!/bin/sh\n").unwrap();
        }
        let global = home.path().join("gitconfig");
        fs::write(
            &global,
            format!(
                "[init]\n\ttemplateDir = {}\n",
                home.path().join("from-config").display()
            ),
        )
        .unwrap();
        let mut pairs = isolated(home.path(), &global);
        pairs.push((
            "GIT_TEMPLATE_DIR".into(),
            home.path().join("from-env").display().to_string(),
        ));
        let dir = tempfile::tempdir().unwrap();
        let tree = tree(&[("a", "a\n", Mode::Regular)]);
        write_tree(&tree, dir.path()).unwrap();
        init_and_commit_with(dir.path(), &tree, "x", &env_of(&pairs)).unwrap();
        let hooks = dir.path().join(".git/hooks");
        assert!(hooks.join("from-env").is_file());
        assert!(!hooks.join("from-config").exists());
    }

    #[test]
    fn the_commit_is_authored_from_the_environment_with_no_git_config() {
        let home = tempfile::tempdir().unwrap();
        let mut pairs = isolated(home.path(), &home.path().join("no-such-config"));
        pairs.extend([
            ("GIT_AUTHOR_NAME".into(), "Ada Lovelace".into()),
            ("GIT_AUTHOR_EMAIL".into(), "ada@example.com".into()),
            ("GIT_AUTHOR_DATE".into(), "1700000000 +0100".into()),
        ]);
        let dir = tempfile::tempdir().unwrap();
        let tree = tree(&[("a", "a\n", Mode::Regular)]);
        write_tree(&tree, dir.path()).unwrap();
        init_and_commit_with(dir.path(), &tree, "x", &env_of(&pairs)).unwrap();

        let repo = git2::Repository::open(dir.path()).unwrap();
        assert_eq!(repo.head().unwrap().name().ok(), Some("refs/heads/main"));
        let commit = repo.head().unwrap().peel_to_commit().unwrap();
        let author = commit.author();
        assert_eq!(
            (
                author.name().ok(),
                author.email().ok(),
                author.when().seconds()
            ),
            (Some("Ada Lovelace"), Some("ada@example.com"), 1_700_000_000)
        );
        assert_eq!(author.when().offset_minutes(), 60);
        // No GIT_COMMITTER_* and no configuration: the committer is svcgen's fallback.
        let committer = commit.committer();
        assert_eq!(
            (committer.name().ok(), committer.email().ok()),
            (Some("svcgen"), Some("svcgen@localhost"))
        );
    }

    #[test]
    fn an_invalid_default_branch_is_refused_before_anything_is_written() {
        let home = tempfile::tempdir().unwrap();
        let global = home.path().join("gitconfig");
        fs::write(&global, "[init]\n\tdefaultBranch = bad..name\n").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let tree = tree(&[("a", "a\n", Mode::Regular)]);
        let err = init_and_commit_with(
            dir.path(),
            &tree,
            "x",
            &env_of(&isolated(home.path(), &global)),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("`bad..name` is not a valid branch name"),
            "{err}"
        );
        assert!(!dir.path().join(".git").exists());
    }
}
