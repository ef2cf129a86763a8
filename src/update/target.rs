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
    to: Option<&str>,
    cache_dir: &Path,
    network: Network,
) -> Result<Target> {
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
            })
        }
        BlueprintSource::Git { url, reference } => {
            let mirror = Mirror::open(url, cache_dir, network == Network::Fetch)?;
            let chosen: Option<String> = match to {
                Some(wanted) => {
                    Some(tag_for_version(&mirror, wanted)?.unwrap_or(wanted.to_owned()))
                }
                None => match reference {
                    None => None,
                    Some(branch) if mirror.is_branch(branch) => Some(branch.clone()),
                    Some(pinned) => Some(
                        mirror
                            .version_tags()?
                            .into_iter()
                            .next()
                            .map_or_else(|| pinned.clone(), |(_, tag)| tag),
                    ),
                },
            };
            let commit = mirror.resolve(chosen.as_deref())?;
            let source = BlueprintSource::Git {
                url: url.clone(),
                reference: chosen,
            };
            let blueprint = Blueprint::from_files(source.to_string(), mirror.read(commit)?)?;
            Ok(Target {
                blueprint,
                source,
                commit: Some(commit.to_string()),
                offline: mirror.offline,
            })
        }
    }
}

/// `2.0.0` or `v2.0.0` as the tag that names it, when there is one.
fn tag_for_version(mirror: &Mirror, wanted: &str) -> Result<Option<String>> {
    let Some(version) = parse_version(wanted) else {
        return Ok(None);
    };
    Ok(mirror
        .version_tags()?
        .into_iter()
        .find(|(v, _)| *v == version)
        .map(|(_, tag)| tag))
}

fn parse_version(text: &str) -> Option<semver::Version> {
    semver::Version::parse(text.strip_prefix('v').unwrap_or(text)).ok()
}
