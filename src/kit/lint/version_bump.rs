//! The `version-not-bumped` rule (a warning): the working copy differs from the blueprint at its
//! latest release tag, yet `version` in `blueprint.toml` is still that release's. Services
//! already on that version would then never be offered the change by `svcgen update`'s version
//! comparison; `svcgen check` reports them "changed without a version bump" at best.

use std::collections::BTreeMap;
use std::path::Path;

use super::{Lint, Rule};
use crate::blueprint::{Blueprint, SourceFile};
use crate::kit::history::History;

impl Lint<'_> {
    /// Compares `files` (the working copy) with the blueprint at the highest version tag of its
    /// repository that holds it. Outside git, or with no release yet, there is nothing to say.
    pub(super) fn version_bump(&mut self, dir: Option<&Path>, files: &[SourceFile]) {
        let Some(history) = dir.and_then(|dir| History::discover(dir).ok()) else {
            return;
        };
        let released = history.version_tags().into_iter().find_map(|(_, tag)| {
            let commit = history.resolve(&tag).ok()?;
            let files = history.blueprint_files(commit, &tag).ok()?;
            let blueprint = Blueprint::from_files(tag.clone(), files.clone()).ok()?;
            Some((tag, blueprint.manifest.version, files))
        });
        let Some((tag, released_version, released_files)) = released else {
            return;
        };
        let version = &self.blueprint.manifest.version;
        if *version != released_version {
            return;
        }
        let contents = |files: &[SourceFile], skip_ignored: bool| -> BTreeMap<String, Vec<u8>> {
            files
                .iter()
                .filter(|f| !(skip_ignored && history.is_ignored(&f.path)))
                .map(|f| (f.path.clone(), f.contents.to_vec()))
                .collect()
        };
        let now = contents(files, true);
        let then = contents(&released_files, false);
        let mut changed: Vec<&String> = now
            .iter()
            .filter(|(path, bytes)| then.get(*path) != Some(bytes))
            .map(|(path, _)| path)
            .chain(then.keys().filter(|path| !now.contains_key(*path)))
            .collect();
        if changed.is_empty() {
            return;
        }
        changed.sort();
        const SHOWN: usize = 5;
        let mut list = changed
            .iter()
            .take(SHOWN)
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        if changed.len() > SHOWN {
            list.push_str(&format!(" and {} more", changed.len() - SHOWN));
        }
        let location = self.manifest_at("blueprint.version");
        self.push(
            Rule::VersionNotBumped,
            location,
            format!(
                "the blueprint differs from its release {tag} ({list}) but `version` is still {version}; bump it (to {}, say) so services are offered the change",
                next_minor(version)
            ),
        );
    }
}

fn next_minor(version: &semver::Version) -> semver::Version {
    semver::Version::new(version.major, version.minor + 1, 0)
}
