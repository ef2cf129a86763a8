//! Which blueprint version a service updates to (`--to`, or the newest available), and the
//! source the record names afterwards.

use std::path::Path;

use crate::blueprint::Blueprint;
use crate::blueprint::source::BlueprintSource;
use crate::error::{Error, Result};
use crate::git::mirror::Mirror;

/// The blueprint an update renders, and how the record will name it.
#[derive(Debug, Clone)]
pub struct Target {
    pub blueprint: Blueprint,
    /// The source to record: for git, the URL and the tag or branch chosen.
    pub source: BlueprintSource,
    /// The exact commit, for git sources.
    pub commit: Option<String>,
    /// True when a git source could not be fetched and its cached copy was used.
    pub offline: bool,
    /// Tags of a git source that look like versions but are not (`v2.0.0.1`, `2.x`), which
    /// svcgen cannot order and so never updates to: worth telling the user about.
    pub unreadable_tags: Vec<String>,
}

/// Which version of a blueprint a command asks for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wanted<'a> {
    /// A tag, branch or commit, or a version (`--to`); `None` is the newest.
    pub to: Option<&'a str>,
    /// Whether the newest may be a pre-release such as `2.0.0-rc.1` (`--pre`).
    pub pre: bool,
}

impl Target {
    pub fn version(&self) -> &semver::Version {
        &self.blueprint.manifest.version
    }
}

/// Whether `fetch` may use the network for git sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    Fetch,
    /// Use the cached clone as it is (fails when there is none).
    CacheOnly,
}

/// Resolves what `source` (a service's recorded source) offers: the version `to` (a git tag,
/// branch or commit, or a version such as `2.0.0` whose tag is `v2.0.0` or `2.0.0`), or by
/// default the newest: a branch's tip for a service that follows a branch, else the highest
/// version tag. Built-in and directory blueprints have exactly one version, the one there.
pub fn resolve_target(
    source: &BlueprintSource,
    wanted: Wanted<'_>,
    cache_dir: &Path,
    network: Network,
) -> Result<Target> {
    let to = wanted.to;
    match source {
        BlueprintSource::Builtin(_) | BlueprintSource::Path(_) => {
            let loaded = source.load(cache_dir)?;
            if let Some(wanted) = to {
                let version = &loaded.blueprint.manifest.version;
                if parse_version(wanted).as_ref() != Some(version) {
                    let what = match source {
                        BlueprintSource::Builtin(name) => {
                            format!(
                                "built-in blueprint `{name}` is at version {version} in this svcgen"
                            )
                        }
                        _ => format!("blueprint {source} is at version {version}"),
                    };
                    return Err(Error::Usage(format!(
                        "cannot update to `{wanted}`: {what}, and only that version is available"
                    )));
                }
            }
            Ok(Target {
                blueprint: loaded.blueprint,
                source: source.for_record(),
                commit: None,
                offline: false,
                unreadable_tags: Vec::new(),
            })
        }
        BlueprintSource::Git {
            url,
            reference,
            subdir,
        } => {
            let mirror = Mirror::open(url, cache_dir, network == Network::Fetch)?;
            let subdir = subdir.as_deref();
            let chosen: Option<String> = match to {
                Some(wanted) => {
                    Some(tag_for_version(&mirror, subdir, wanted)?.unwrap_or(wanted.to_owned()))
                }
                None => match reference {
                    None => None,
                    Some(branch) if mirror.is_branch(branch) => Some(branch.clone()),
                    Some(pinned) => Some(
                        mirror
                            .version_tags(subdir)?
                            .into_iter()
                            .find(|(version, _)| wanted.pre || version.pre.is_empty())
                            .map_or_else(|| pinned.clone(), |(_, tag)| tag),
                    ),
                },
            };
            let commit = mirror.resolve(chosen.as_deref())?;
            let source = BlueprintSource::Git {
                url: url.clone(),
                reference: chosen,
                subdir: subdir.map(str::to_owned),
            };
            let blueprint =
                Blueprint::from_files(source.to_string(), mirror.read(commit, subdir)?)?;
            let unreadable_tags = mirror
                .tag_names()?
                .into_iter()
                .filter(|tag| looks_like_a_version(tag) && version_of_tag(tag).is_none())
                .collect();
            Ok(Target {
                blueprint,
                source,
                commit: Some(commit.to_string()),
                offline: mirror.offline,
                unreadable_tags,
            })
        }
    }
}

/// `2.0.0` or `v2.0.0` as the tag that names it, when there is one.
fn tag_for_version(mirror: &Mirror, subdir: Option<&str>, wanted: &str) -> Result<Option<String>> {
    let Some(version) = parse_version(wanted) else {
        return Ok(None);
    };
    Ok(mirror
        .version_tags(subdir)?
        .into_iter()
        .find(|(v, _)| *v == version)
        .map(|(_, tag)| tag))
}

fn parse_version(text: &str) -> Option<semver::Version> {
    version_of_tag(text)
}

/// The version a tag names: `v1.2.0` or `1.2.0` (semver, pre-releases included), or the short
/// forms people tag with, `v2` and `v2.1` (2.0.0 and 2.1.0).
pub fn version_of_tag(tag: &str) -> Option<semver::Version> {
    let text = tag.strip_prefix('v').unwrap_or(tag);
    if let Ok(version) = semver::Version::parse(text) {
        return Some(version);
    }
    let parts: Vec<&str> = text.split('.').collect();
    let number = |part: &str| -> Option<u64> {
        (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse().ok())
            .flatten()
    };
    match parts[..] {
        [major] => Some(semver::Version::new(number(major)?, 0, 0)),
        [major, minor] => Some(semver::Version::new(number(major)?, number(minor)?, 0)),
        _ => None,
    }
}

/// The tags among `names` that name versions of the blueprint in the repository's folder
/// `subdir` (the root when `None`), highest first.
///
/// A repository of several blueprints may tag each on its own: for a blueprint in a folder
/// (`blueprints/worker`), tags named after the folder's last part, `worker-v1.2.0` or
/// `worker/v1.2.0`, are its versions. Once it has one such tag, only those count; until then
/// the repository's plain tags (`v1.2.0`) do, as they do for a blueprint at the root.
pub fn version_tags(
    names: impl IntoIterator<Item = String>,
    subdir: Option<&str>,
) -> Vec<(semver::Version, String)> {
    let names: Vec<String> = names.into_iter().collect();
    let folder = subdir
        .and_then(|s| s.rsplit('/').next())
        .filter(|f| !f.is_empty());
    let own = |name: &str| -> Option<semver::Version> {
        let folder = folder?;
        let rest = name.strip_prefix(folder)?;
        let rest = rest.strip_prefix('-').or_else(|| rest.strip_prefix('/'))?;
        version_of_tag(rest)
    };
    let mut tags: Vec<(semver::Version, String)> = names
        .iter()
        .filter_map(|name| Some((own(name)?, name.clone())))
        .collect();
    if tags.is_empty() {
        tags = names
            .iter()
            .filter_map(|name| Some((version_of_tag(name)?, name.clone())))
            .collect();
    }
    tags.sort_by(|a, b| b.0.cmp(&a.0));
    tags
}

/// A `v` and a digit, or a digit: meant as a version, readable or not.
fn looks_like_a_version(tag: &str) -> bool {
    let text = tag.strip_prefix('v').unwrap_or(tag);
    text.starts_with(|c: char| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_name_versions_in_their_long_and_short_forms() {
        let v = |text: &str| semver::Version::parse(text).unwrap();
        assert_eq!(version_of_tag("v1.2.3"), Some(v("1.2.3")));
        assert_eq!(version_of_tag("1.2.3"), Some(v("1.2.3")));
        assert_eq!(version_of_tag("v2.0.0-rc.1"), Some(v("2.0.0-rc.1")));
        assert_eq!(version_of_tag("v2"), Some(v("2.0.0")));
        assert_eq!(version_of_tag("v3.1"), Some(v("3.1.0")));
        for not_a_version in [
            "latest",
            "v",
            "v2.x",
            "v1.2.3.4",
            "release-1",
            "v-2",
            "v02a",
        ] {
            assert_eq!(version_of_tag(not_a_version), None, "{not_a_version}");
        }
        assert!(looks_like_a_version("v1.2.3.4"));
        assert!(looks_like_a_version("2024-01"));
        assert!(!looks_like_a_version("latest"));
    }

    #[test]
    fn a_blueprint_in_a_folder_may_have_tags_of_its_own() {
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let tags = |list: &[&str], subdir| -> Vec<String> {
            version_tags(names(list), subdir)
                .into_iter()
                .map(|(_, tag)| tag)
                .collect()
        };
        let repo = [
            "v1.0.0",
            "v1.1.0",
            "worker-v2.0.0",
            "worker/v2.1.0",
            "api-v9.0.0",
        ];
        assert_eq!(
            tags(&repo, Some("blueprints/worker")),
            ["worker/v2.1.0", "worker-v2.0.0"]
        );
        // No tags of its own: the plain ones.
        assert_eq!(
            tags(&repo, Some("blueprints/service")),
            ["v1.1.0", "v1.0.0"]
        );
        assert_eq!(tags(&repo, None), ["v1.1.0", "v1.0.0"]);
        // `workers-v3` is not `worker`'s.
        assert_eq!(
            tags(&["workers-v3.0.0", "v1.0.0"], Some("worker")),
            ["v1.0.0"]
        );
    }
}
