//! Blueprints from git: a bare mirror per URL in the cache, read straight from the object
//! database (no checkout), reused as is when the network is not there.

use std::path::{Path, PathBuf};

use git2::{FetchOptions, ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};

use crate::blueprint::SourceFile;
use crate::error::{Error, Result};
use crate::tree::Mode;

pub struct Fetched {
    pub files: Vec<SourceFile>,
    pub commit: String,
    pub offline: bool,
}

const REFSPECS: [&str; 3] = [
    "+refs/heads/*:refs/remotes/origin/*",
    "+refs/tags/*:refs/tags/*",
    "+HEAD:refs/remotes/origin/HEAD",
];

/// The blueprint at `reference` of `url`, in its folder `subdir` of the repository (the root
/// when `None`).
pub fn fetch(
    url: &str,
    reference: Option<&str>,
    subdir: Option<&str>,
    cache_dir: &Path,
) -> Result<Fetched> {
    let mirror = Mirror::open(url, cache_dir, true)?;
    let commit = mirror.resolve(reference)?;
    Ok(Fetched {
        files: mirror.read(commit, subdir)?,
        commit: commit.to_string(),
        offline: mirror.offline,
    })
}

/// A bare clone of a blueprint repository in the cache, fetched when opened.
pub struct Mirror {
    repo: Repository,
    url: String,
    /// True when the fetch failed and the cached copy is used as it was.
    pub offline: bool,
}

impl Mirror {
    /// Opens (creating it if needed) the cached clone of `url`; fetches it unless `fetch` is
    /// false and a cached copy exists.
    pub fn open(url: &str, cache_dir: &Path, fetch: bool) -> Result<Mirror> {
        let mirror = cache_dir.join("git").join(cache_key(url));
        let existed = mirror.join("HEAD").exists();
        let repo = if existed {
            Repository::open_bare(&mirror).map_err(|err| {
                Error::git(format!("opening cached clone {}", mirror.display()), err)
            })?
        } else {
            std::fs::create_dir_all(&mirror).map_err(|err| Error::io(&mirror, err))?;
            Repository::init_bare(&mirror)
                .map_err(|err| Error::git("creating blueprint cache", err))?
        };
        if existed && !fetch {
            return Ok(Mirror {
                repo,
                url: url.to_owned(),
                offline: true,
            });
        }
        let offline = match fetch_into(&repo, url) {
            Ok(()) => false,
            // A cached copy is better than no blueprint; the caller says that it was used.
            Err(_) if existed => true,
            Err(err) => {
                let _ = std::fs::remove_dir_all(&mirror);
                return Err(err);
            }
        };
        Ok(Mirror {
            repo,
            url: url.to_owned(),
            offline,
        })
    }

    /// A branch, a tag, or a commit id (full or abbreviated); `None` is the remote's HEAD.
    pub fn resolve(&self, reference: Option<&str>) -> Result<Oid> {
        resolve(&self.repo, reference).map_err(|err| {
            Error::git(
                format!(
                    "finding `{}` in blueprint {}",
                    reference.unwrap_or("HEAD"),
                    self.url
                ),
                err,
            )
        })
    }

    pub fn is_branch(&self, name: &str) -> bool {
        self.repo
            .find_reference(&format!("refs/remotes/origin/{name}"))
            .is_ok()
    }

    /// Every tag's name.
    pub fn tag_names(&self) -> Result<Vec<String>> {
        let names = self
            .repo
            .tag_names(None)
            .map_err(|err| Error::git(format!("listing tags of {}", self.url), err))?;
        Ok(names
            .iter()
            .flatten()
            .flatten()
            .map(str::to_owned)
            .collect())
    }

    /// Tags that name a version of the blueprint in `subdir` (`v1.2.0`, `1.2.0`, `v2`, `v2.1`,
    /// or per blueprint `service-v1.2.0`, `service/v1.2.0`), highest first: see
    /// [`crate::update::target::version_tags`].
    pub fn version_tags(&self, subdir: Option<&str>) -> Result<Vec<(semver::Version, String)>> {
        Ok(crate::update::target::version_tags(
            self.tag_names()?,
            subdir,
        ))
    }

    /// The blueprint's files at `commit`, from its folder `subdir` (the root when `None`).
    pub fn read(&self, commit: Oid, subdir: Option<&str>) -> Result<Vec<SourceFile>> {
        read_commit(&self.repo, commit, subdir).map_err(|err| match err {
            ReadError::Git(err) => {
                Error::git(format!("reading blueprint {} at {commit}", self.url), err)
            }
            ReadError::NoFolder(reason) => Error::git(
                format!("reading blueprint {} at {commit}", self.url),
                git2::Error::from_str(&reason),
            ),
            ReadError::Link { path, target } => Error::BlueprintLink {
                origin: match subdir {
                    Some(subdir) => format!("{}#{commit}:{subdir}", self.url),
                    None => format!("{}#{commit}", self.url),
                },
                path,
                target,
            },
        })
    }
}

/// Local repositories (`file://` or a path) are fetched by libgit2 itself: no credentials, proxy
/// or TLS are involved. Network transports go through the `git` command, as cargo's
/// `net.git-fetch-with-cli` does, because what makes a fetch work on a user's machine is git's
/// own configuration, which libgit2 reads only in part: credential helpers (libgit2 only calls
/// back into its caller), the SSH agent and `~/.ssh/config` host aliases and jump hosts (libssh2
/// reads no ssh config), `http.proxy` and the system's TLS settings. It also keeps TLS and SSH
/// libraries out of svcgen (linking libgit2's OpenSSL transport made every run read the
/// system's CA bundle at start-up, tripling `new`'s time).
fn fetch_into(repo: &Repository, url: &str) -> Result<()> {
    fetch_refs(repo, url, &REFSPECS, false)
        .map_err(|err| Error::git(format!("fetching blueprint {url}"), err))
}

/// Whether libgit2 reaches `url` on its own: a local repository.
pub(super) fn is_local(url: &str) -> bool {
    url.starts_with("file://") || url.starts_with('/') || url.starts_with('.')
}

/// Fetches `refspecs` from `url` into `repo` (see [`fetch_into`] for which transport), removing
/// remote-tracking refs the remote no longer has when `prune` is set.
pub(super) fn fetch_refs(
    repo: &Repository,
    url: &str,
    refspecs: &[&str],
    prune: bool,
) -> std::result::Result<(), git2::Error> {
    if is_local(url) {
        let mut options = FetchOptions::new();
        if prune {
            options.prune(git2::FetchPrune::On);
        }
        return repo
            .remote_anonymous(url)
            .and_then(|mut remote| remote.fetch(refspecs, Some(&mut options), None));
    }
    let mut command = std::process::Command::new("git");
    command
        .arg("--git-dir")
        .arg(repo.path())
        .args(["fetch", "--quiet", "--force"]);
    if prune {
        command.arg("--prune");
    }
    run_git(command.arg(url).args(refspecs))
}

/// Runs a `git` command, its error output the error.
pub(super) fn run_git(command: &mut std::process::Command) -> std::result::Result<(), git2::Error> {
    let output = command
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|err| git2::Error::from_str(&format!("running git: {err}")))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(git2::Error::from_str(
            String::from_utf8_lossy(&output.stderr).trim(),
        ))
    }
}

enum ReadError {
    Git(git2::Error),
    /// The named folder is not in the commit, or is not a folder.
    NoFolder(String),
    Link {
        path: String,
        target: String,
    },
}

impl From<git2::Error> for ReadError {
    fn from(err: git2::Error) -> Self {
        ReadError::Git(err)
    }
}

/// A readable, filesystem-safe directory name for a URL.
pub(super) fn cache_key(url: &str) -> PathBuf {
    let key: String = url
        .trim_end_matches('/')
        .trim_end_matches(".git")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    PathBuf::from(key.trim_matches('_'))
}

/// A branch, a tag, or a commit id (full or abbreviated), in that order.
fn resolve(repo: &Repository, reference: Option<&str>) -> std::result::Result<Oid, git2::Error> {
    let Some(reference) = reference else {
        return repo
            .revparse_single("refs/remotes/origin/HEAD")?
            .peel_to_commit()
            .map(|c| c.id());
    };
    for candidate in [
        format!("refs/remotes/origin/{reference}"),
        format!("refs/tags/{reference}"),
        reference.to_owned(),
    ] {
        if let Ok(object) = repo.revparse_single(&candidate) {
            return object.peel_to_commit().map(|c| c.id());
        }
    }
    Err(git2::Error::from_str(
        "no branch, tag or commit of that name",
    ))
}

/// The blueprint's files at `commit`. A symbolic link in it is refused, as in a blueprint folder
/// (see [`super::source::read_dir`]): git stores a link as its target, which svcgen would
/// otherwise have to follow or copy as a link into the service.
fn read_commit(
    repo: &Repository,
    commit: Oid,
    subdir: Option<&str>,
) -> std::result::Result<Vec<SourceFile>, ReadError> {
    let root = repo.find_commit(commit)?.tree()?;
    let tree = match subdir {
        None => root,
        Some(subdir) => {
            let entry = root.get_path(Path::new(subdir)).map_err(|_| {
                ReadError::NoFolder(format!(
                    "the repository has no folder `{subdir}` at this commit"
                ))
            })?;
            entry
                .to_object(repo)
                .and_then(|object| object.peel_to_tree())
                .map_err(|_| {
                    ReadError::NoFolder(format!("`{subdir}` is not a folder at this commit"))
                })?
        }
    };
    let mut entries = Vec::new();
    tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() == Some(ObjectType::Blob) {
            entries.push((
                format!("{dir}{}", entry.name().unwrap_or_default()),
                entry.id(),
                entry.filemode(),
            ));
        }
        TreeWalkResult::Ok
    })?;
    let mut files = Vec::with_capacity(entries.len());
    for (path, id, filemode) in entries {
        let blob = repo.find_blob(id)?;
        // 0o120000 is a symbolic link; its blob holds the target.
        if filemode == 0o120000 {
            return Err(ReadError::Link {
                path,
                target: String::from_utf8_lossy(blob.content()).into_owned(),
            });
        }
        files.push(SourceFile {
            path,
            contents: blob.content().to_vec().into(),
            mode: Mode::from_unix(filemode as u32),
        });
    }
    Ok(files)
}
