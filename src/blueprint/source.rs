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
    Git {
        url: String,
        reference: Option<String>,
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
            let (url, reference) = match spec.rsplit_once('#') {
                Some((url, reference)) if !reference.is_empty() => {
                    (url.to_owned(), Some(reference.to_owned()))
                }
                _ => (spec.trim_end_matches('#').to_owned(), None),
            };
            return BlueprintSource::Git { url, reference };
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
            BlueprintSource::Git { url, reference } => {
                let fetched = mirror::fetch(url, reference.as_deref(), cache_dir)?;
                Ok(LoadedBlueprint {
                    blueprint: Blueprint::from_files(self.to_string(), fetched.files)?,
                    commit: Some(fetched.commit),
                    used_offline_cache: fetched.offline,
                })
            }
        }
    }

    /// The form stored in a service's record: directories become absolute so that a later
    /// `update` run from anywhere finds the same blueprint.
    pub fn for_record(&self) -> BlueprintSource {
        match self {
            BlueprintSource::Path(path) => {
                BlueprintSource::Path(std::path::absolute(path).unwrap_or_else(|_| path.clone()))
            }
            other => other.clone(),
        }
    }
}

impl fmt::Display for BlueprintSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlueprintSource::Builtin(name) => write!(f, "builtin:{name}"),
            BlueprintSource::Path(path) => write!(f, "{}", path.display()),
            BlueprintSource::Git {
                url,
                reference: Some(reference),
            } => write!(f, "{url}#{reference}"),
            BlueprintSource::Git {
                url,
                reference: None,
            } => f.write_str(url),
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
                reference: Some("v2".into())
            }
        );
        assert_eq!(
            BlueprintSource::parse("file:///tmp/bp"),
            BlueprintSource::Git {
                url: "file:///tmp/bp".into(),
                reference: None
            }
        );
    }

    #[test]
    fn display_round_trips() {
        for spec in ["builtin:service", "https://h/x.git#main", "/abs/dir"] {
            assert_eq!(BlueprintSource::parse(spec).to_string(), spec);
        }
    }
}
