//! The `unmatched-pattern` rule: every glob of `[[files.include]]` and `copy_without_render`
//! matches at least one file under `template/`.

use super::{Lint, Rule};
use crate::blueprint::TEMPLATE_DIR;
use crate::blueprint::manifest;

impl Lint<'_> {
    /// Every glob of the file rules matches at least one file under `template/`.
    pub(super) fn patterns(&mut self) {
        let manifest = &self.blueprint.manifest;
        let paths: Vec<&str> = self
            .blueprint
            .templates
            .iter()
            .map(|t| t.path.as_str())
            .collect();
        let mut unmatched = Vec::new();
        for (index, rule) in manifest.include_rules.iter().enumerate() {
            for (at, pattern) in rule.patterns.iter().enumerate() {
                if !matches_any(pattern, &paths) {
                    unmatched.push((
                        format!("files.include.{index}.paths.{at}"),
                        format!(
                            "[[files.include]] pattern `{pattern}` matches no file under {TEMPLATE_DIR}/, so its condition `{}` never decides anything",
                            rule.when
                        ),
                    ));
                }
            }
        }
        for (at, pattern) in raw_copy_patterns(self.manifest_text).iter().enumerate() {
            if !matches_any(pattern, &paths) {
                unmatched.push((
                    format!("files.copy_without_render.{at}"),
                    format!("copy_without_render pattern `{pattern}` matches no file under {TEMPLATE_DIR}/"),
                ));
            }
        }
        for (path, message) in unmatched {
            let location = self.manifest_at(&path);
            self.push(Rule::UnmatchedPattern, location, message);
        }
    }
}

fn matches_any(pattern: &str, paths: &[&str]) -> bool {
    match manifest::build_globset(&[pattern.to_owned()]) {
        Ok(set) => paths.iter().any(|p| set.is_match(p)),
        // An invalid glob is a manifest error, already reported.
        Err(_) => true,
    }
}

/// `copy_without_render` as written (the checked manifest keeps only the compiled set).
fn raw_copy_patterns(manifest_text: &str) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Raw {
        #[serde(default)]
        files: RawFiles,
    }
    #[derive(serde::Deserialize, Default)]
    struct RawFiles {
        #[serde(default)]
        copy_without_render: Vec<String>,
    }
    toml::from_str::<Raw>(manifest_text)
        .map(|raw| raw.files.copy_without_render)
        .unwrap_or_default()
}
