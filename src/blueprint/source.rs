//! Where a blueprint comes from: a built-in name, a local directory, or a git repository.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Blueprint, SourceFile, builtin};
use crate::error::{Error, Result};
use crate::git::mirror;
use crate::tree::Mode;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum BlueprintSource {
    Builtin(String),
    Path(PathBuf),
    /// A git repository: `URL`, `URL#REF`, `URL#REF:FOLDER` or `URL#:FOLDER`.
    Git {
        url: String,
        /// A branch, tag or commit; `None` is the remote's HEAD.
        reference: Option<String>,
        /// The blueprint's folder inside the repository (`blueprints/service`), `/`-separated;
        /// `None` is the repository's root.
        subdir: Option<String>,
    },
}

/// A loaded blueprint and the exact revision it was loaded at (for git sources).
#[derive(Debug, Clone)]
pub struct LoadedBlueprint {
    pub blueprint: Blueprint,
    pub commit: Option<String>,
    /// True when a git source could not be fetched and its cached copy was used.
    pub used_offline_cache: bool,
}

impl BlueprintSource {
    /// Interprets a `--blueprint` argument. Anything that looks like a URL is git, anything that
    /// looks like a path (or exists) is a directory, and a bare word is a built-in name.
    pub fn parse(spec: &str) -> BlueprintSource {
        if let Some(name) = spec.strip_prefix("builtin:") {
            return BlueprintSource::Builtin(name.to_owned());
        }
        let is_url = ["https://", "http://", "ssh://", "git://", "file://", "git@"]
            .iter()
            .any(|scheme| spec.starts_with(scheme));
        if is_url {
            // `#REF:FOLDER`: git forbids `:` in ref names, and a commit id has none, so the
            // first `:` after the `#` starts the folder.
            let (url, fragment) = spec.rsplit_once('#').unwrap_or((spec, ""));
            let (reference, folder) = fragment.split_once(':').unwrap_or((fragment, ""));
            let folder = folder.trim_matches('/');
            return BlueprintSource::Git {
                url: url.to_owned(),
                reference: (!reference.is_empty()).then(|| reference.to_owned()),
                subdir: (!folder.is_empty()).then(|| folder.to_owned()),
            };
        }
        let looks_like_path =
            spec.contains('/') || spec.starts_with('.') || Path::new(spec).exists();
        if looks_like_path {
            BlueprintSource::Path(PathBuf::from(spec))
        } else {
            BlueprintSource::Builtin(spec.to_owned())
        }
    }

    /// Reads the blueprint. `cache_dir` holds clones of git sources.
    pub fn load(&self, cache_dir: &Path) -> Result<LoadedBlueprint> {
        match self {
            BlueprintSource::Builtin(name) => Ok(LoadedBlueprint {
                blueprint: builtin::load(name)?,
                commit: None,
                used_offline_cache: false,
            }),
            BlueprintSource::Path(path) => Ok(LoadedBlueprint {
                blueprint: Blueprint::from_files(path.display().to_string(), read_dir(path)?)?,
                commit: None,
                used_offline_cache: false,
            }),
            BlueprintSource::Git {
                url,
                reference,
                subdir,
            } => {
                let fetched =
                    mirror::fetch(url, reference.as_deref(), subdir.as_deref(), cache_dir)?;
                Ok(LoadedBlueprint {
                    blueprint: Blueprint::from_files(self.to_string(), fetched.files)?,
                    commit: Some(fetched.commit),
                    used_offline_cache: fetched.offline,
                })
            }
        }
    }

    /// The form stored in a service's record: directories become absolute (`..` taken out, as
    /// a shell's `cd` does) so that a later `update` run from anywhere finds the same blueprint.
    pub fn for_record(&self) -> BlueprintSource {
        match self {
            BlueprintSource::Path(path) => BlueprintSource::Path(
                std::path::absolute(path)
                    .map(|absolute| without_dot_dot(&absolute))
                    .unwrap_or_else(|_| path.clone()),
            ),
            other => other.clone(),
        }
    }

    /// The form stored in the record of the service in `service_dir` (which need not exist
    /// yet): a directory inside the same git work tree as the service is recorded relative to
    /// the service, so the record stays right when the whole repository moves or is cloned
    /// elsewhere; any other directory is recorded absolute, as [`Self::for_record`] does.
    pub fn for_record_in(&self, service_dir: &Path) -> BlueprintSource {
        let recorded = self.for_record();
        let BlueprintSource::Path(absolute) = &recorded else {
            return recorded;
        };
        relative_in_same_work_tree(absolute, service_dir)
            .map(BlueprintSource::Path)
            .unwrap_or(recorded)
    }

    /// This source as recorded by the service in `service_dir`, made usable from anywhere: a
    /// relative directory is resolved against the service's folder.
    pub fn resolved_against(&self, service_dir: &Path) -> BlueprintSource {
        match self {
            BlueprintSource::Path(path) if path.is_relative() => {
                BlueprintSource::Path(service_dir.join(path)).for_record()
            }
            other => other.clone(),
        }
    }
}

/// An absolute path with its `.` and `..` parts taken out by name.
fn without_dot_dot(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut clean = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                clean.pop();
            }
            other => clean.push(other),
        }
    }
    clean
}

/// `blueprint` relative to `service_dir` when both are inside one git work tree, found from
/// the service's folder (or, before it exists, its nearest existing parent).
fn relative_in_same_work_tree(blueprint: &Path, service_dir: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(service_dir).ok()?;
    // The service folder may not exist yet (`new`): canonicalise what exists, keep the rest.
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        rest.push(existing.file_name()?.to_owned());
        existing = existing.parent()?;
    }
    let mut service = std::fs::canonicalize(existing).ok()?;
    for part in rest.iter().rev() {
        service.push(part);
    }
    let blueprint = std::fs::canonicalize(blueprint).ok()?;
    let repo = git2::Repository::discover(existing).ok()?;
    let root = std::fs::canonicalize(repo.workdir()?).ok()?;
    if !blueprint.starts_with(&root) || !service.starts_with(&root) {
        return None;
    }
    let common = blueprint
        .components()
        .zip(service.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut relative = PathBuf::new();
    for _ in service.components().skip(common) {
        relative.push("..");
    }
    for part in blueprint.components().skip(common) {
        relative.push(part);
    }
    if relative.as_os_str().is_empty() {
        relative.push(".");
    }
    Some(relative)
}

impl fmt::Display for BlueprintSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlueprintSource::Builtin(name) => write!(f, "builtin:{name}"),
            BlueprintSource::Path(path) => write!(f, "{}", path.display()),
            BlueprintSource::Git {
                url,
                reference,
                subdir,
            } => {
                f.write_str(url)?;
                match (reference, subdir) {
                    (None, None) => Ok(()),
                    (Some(reference), None) => write!(f, "#{reference}"),
                    (reference, Some(subdir)) => {
                        write!(f, "#{}:{subdir}", reference.as_deref().unwrap_or(""))
                    }
                }
            }
        }
    }
}

impl From<BlueprintSource> for String {
    fn from(source: BlueprintSource) -> String {
        source.to_string()
    }
}

impl From<String> for BlueprintSource {
    fn from(spec: String) -> Self {
        BlueprintSource::parse(&spec)
    }
}

/// Reads every file of a blueprint directory; `.git` is skipped. A symbolic link anywhere
/// inside is refused: a blueprint (often fetched from someone else's repository) must not be
/// able to make svcgen read a file outside it, such as `~/.ssh/id_ed25519`, into a service and
/// its first commit. The folder itself may be reached through a link.
pub fn read_dir(root: &Path) -> Result<Vec<SourceFile>> {
    if !root.is_dir() {
        return Err(Error::io(
            root,
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "blueprint directory not found",
            ),
        ));
    }
    let origin = root.display().to_string();
    let mut files = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .follow_root_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| entry.file_name() != ".git");
    for entry in walker {
        let entry = entry.map_err(|err| {
            let path = err.path().unwrap_or(root).to_owned();
            Error::io(path, err.into())
        })?;
        let relative = entry
            .path()
            .strip_prefix(root)
            .expect("walkdir yields paths under its root");
        if entry.path_is_symlink() && entry.depth() > 0 {
            let target = std::fs::read_link(entry.path())
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            return Err(Error::BlueprintLink {
                origin,
                path: relative.display().to_string(),
                target,
            });
        }
        if !entry.file_type().is_file() {
            continue;
        }
        let Some(path) = relative
            .components()
            .map(|c| c.as_os_str().to_str())
            .collect::<Option<Vec<_>>>()
        else {
            return Err(Error::io(
                entry.path(),
                std::io::Error::new(std::io::ErrorKind::InvalidData, "file name is not UTF-8"),
            ));
        };
        let contents = std::fs::read(entry.path()).map_err(|err| Error::io(entry.path(), err))?;
        let metadata = entry
            .metadata()
            .map_err(|err| Error::io(entry.path(), err.into()))?;
        files.push(SourceFile {
            path: path.join("/"),
            contents: contents.into(),
            mode: mode_of(&metadata),
        });
    }
    Ok(files)
}

#[cfg(unix)]
fn mode_of(metadata: &std::fs::Metadata) -> Mode {
    use std::os::unix::fs::PermissionsExt;
    Mode::from_unix(metadata.permissions().mode())
}

#[cfg(not(unix))]
fn mode_of(_: &std::fs::Metadata) -> Mode {
    Mode::Regular
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_are_told_apart() {
        assert_eq!(
            BlueprintSource::parse("service"),
            BlueprintSource::Builtin("service".into())
        );
        assert_eq!(
            BlueprintSource::parse("./blueprints/service"),
            BlueprintSource::Path("./blueprints/service".into())
        );
        assert_eq!(
            BlueprintSource::parse("https://example.com/bp.git#v2"),
            BlueprintSource::Git {
                url: "https://example.com/bp.git".into(),
                reference: Some("v2".into()),
                subdir: None,
            }
        );
        assert_eq!(
            BlueprintSource::parse("file:///tmp/bp"),
            BlueprintSource::Git {
                url: "file:///tmp/bp".into(),
                reference: None,
                subdir: None,
            }
        );
    }

    #[test]
    fn a_git_source_names_a_folder_after_the_ref() {
        let git = |url: &str, reference: Option<&str>, subdir: Option<&str>| BlueprintSource::Git {
            url: url.into(),
            reference: reference.map(Into::into),
            subdir: subdir.map(Into::into),
        };
        assert_eq!(
            BlueprintSource::parse("https://h/bps.git#v2:blueprints/service"),
            git("https://h/bps.git", Some("v2"), Some("blueprints/service"))
        );
        assert_eq!(
            BlueprintSource::parse("file:///srv/bps#:blueprints/worker/"),
            git("file:///srv/bps", None, Some("blueprints/worker"))
        );
        // The `:` of an scp-like URL comes before the `#`.
        assert_eq!(
            BlueprintSource::parse("git@h:org/bps.git#main:service"),
            git("git@h:org/bps.git", Some("main"), Some("service"))
        );
        assert_eq!(
            BlueprintSource::parse("git@h:org/bps.git"),
            git("git@h:org/bps.git", None, None)
        );
        // An empty folder is the root.
        assert_eq!(
            BlueprintSource::parse("https://h/bps.git#v2:"),
            git("https://h/bps.git", Some("v2"), None)
        );
    }

    #[test]
    fn a_recorded_folder_is_absolute_without_dot_dot() {
        let recorded = BlueprintSource::parse("/srv/services/a/../../bp/./svc").for_record();
        assert_eq!(recorded, BlueprintSource::Path("/srv/bp/svc".into()));
        let resolved = BlueprintSource::parse("../../bp").resolved_against(Path::new("/srv/x/y"));
        assert_eq!(resolved, BlueprintSource::Path("/srv/bp".into()));
        // Absolute recorded folders are used as they are.
        let absolute = BlueprintSource::parse("/srv/bp");
        assert_eq!(absolute.resolved_against(Path::new("/elsewhere")), absolute);
    }

    #[test]
    fn display_round_trips() {
        for spec in [
            "builtin:service",
            "https://h/x.git#main",
            "/abs/dir",
            "../blueprints/service",
            "https://h/x.git#v1.0.0:blueprints/service",
            "file:///srv/bps#:blueprints/worker",
            "git@h:org/x.git#main:a/b",
        ] {
            assert_eq!(BlueprintSource::parse(spec).to_string(), spec);
        }
    }
}
