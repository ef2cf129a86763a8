//! A blueprint's parts: folders beside `template/` (`events/`, `clients/`) whose templates and
//! insertions a command renders into a service that already exists (`add-event`, `add-client`),
//! each described by its `part.toml` and templated like the blueprint itself, so platform teams
//! change them the way they change a service (see docs/blueprints.md).
//!
//! This module reads what every part has (kept files, inserts, templates); a part's own keys
//! (events' `[types]`, say) are handed to its command as [`PartFile::extra`]. [`insert`] plans
//! the changes a part makes against the service's files.

pub mod base;
pub mod insert;

use globset::GlobSet;
use serde::Deserialize;

use crate::blueprint::manifest::Manifest;
use crate::blueprint::{Blueprint, TEMPLATE_DIR, TemplateFile};
use crate::error::{Error, Location, Result};

pub const PART_FILE: &str = "part.toml";

/// What every part has.
#[derive(Debug, Clone)]
pub struct Part {
    /// How the part is named in messages, e.g. `builtin:service/events`.
    pub origin: String,
    /// Files that, once they exist, belong to the service team and are never rewritten.
    pub keep: GlobSet,
    pub inserts: Vec<Insert>,
    /// The part's `template/` folder as a blueprint, so it renders with the same engine.
    pub templates: Blueprint,
}

/// Text inserted into an existing file, just above the line that carries the anchor.
#[derive(Debug, Clone)]
pub struct Insert {
    /// Path of the target file (a template).
    pub file: String,
    pub anchor: String,
    /// Tera template of the inserted text.
    pub text: String,
    pub when: Option<String>,
    /// Where the `[[inserts]]` entry starts in part.toml, for messages.
    pub line: Option<usize>,
}

/// A part as read from its `part.toml`.
pub struct PartFile {
    pub part: Part,
    /// The keys of `part.toml` only this kind of part knows, for its command to check.
    pub extra: toml::Table,
    /// The text of `part.toml`, to find the line of what the command's checks refuse.
    pub text: String,
}

impl PartFile {
    /// An error in `part.toml`, at `line` when known.
    pub fn error(&self, line: Option<usize>, message: String) -> Error {
        Error::Manifest {
            location: Location {
                file: self.part.manifest_display(),
                line,
            },
            message,
        }
    }

    /// The part's own key `key` as a `T`, `None` when absent; a value of another shape is an
    /// error at the key's line.
    pub fn extra_as<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let Some(value) = self.extra.get(key) else {
            return Ok(None);
        };
        value
            .clone()
            .try_into()
            .map(Some)
            .map_err(|err: toml::de::Error| {
                let line = self
                    .find_line(&format!("[{key}"))
                    .or_else(|| self.find_line(key));
                self.error(line, format!("{key}: {}", err.message().trim_end()))
            })
    }

    /// The first line of `part.toml` that contains `needle`.
    pub fn find_line(&self, needle: &str) -> Option<usize> {
        self.text
            .lines()
            .position(|line| line.contains(needle))
            .map(|i| i + 1)
    }
}

#[derive(Deserialize)]
struct RawPart {
    part: RawInfo,
    #[serde(default)]
    files: RawFiles,
    #[serde(default)]
    inserts: Vec<RawInsert>,
    /// The keys of one kind of part; checked against what that kind declares.
    #[serde(flatten)]
    rest: toml::Table,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInfo {
    name: String,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFiles {
    #[serde(default)]
    keep: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInsert {
    file: String,
    anchor: String,
    text: String,
    when: Option<String>,
}

impl Part {
    /// The part in folder `dir` of `blueprint`, or `None` when the blueprint has none. `extra_keys`
    /// are the top-level keys this kind of part adds to the common ones; any other key is an
    /// error naming it.
    pub fn read(blueprint: &Blueprint, dir: &str, extra_keys: &[&str]) -> Result<Option<PartFile>> {
        let manifest_path = format!("{dir}/{PART_FILE}");
        let Some(manifest) = blueprint
            .other_files
            .iter()
            .find(|f| f.path == manifest_path)
        else {
            return Ok(None);
        };
        let origin = format!("{}/{dir}", blueprint.origin);
        let display = format!("{origin}/{PART_FILE}");
        let fail = |line: Option<usize>, message: String| Error::Manifest {
            location: Location {
                file: display.clone(),
                line,
            },
            message,
        };
        let text = std::str::from_utf8(&manifest.contents)
            .map_err(|_| fail(None, "not valid UTF-8".into()))?;
        let syntax = |err: toml::de::Error| {
            fail(
                err.span().map(|span| line_at(text, span.start)),
                err.message().trim_end().to_owned(),
            )
        };
        let mut raw: RawPart = toml::from_str(text).map_err(syntax)?;
        let mut extra = toml::Table::new();
        for (key, value) in std::mem::take(&mut raw.rest) {
            if !extra_keys.contains(&key.as_str()) {
                let mut known: Vec<&str> = vec!["part", "files", "inserts"];
                known.extend(extra_keys);
                return Err(fail(
                    text.lines()
                        .position(|line| {
                            let line = line.trim_start().trim_start_matches('[');
                            line.starts_with(key.as_str())
                        })
                        .map(|i| i + 1),
                    format!(
                        "unknown key `{key}`; a {dir} part has {}",
                        known
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            extra.insert(key, value);
        }

        let keep = crate::blueprint::manifest::build_globset(&raw.files.keep)
            .map_err(|message| fail(find_line(text, "keep"), message))?;
        let insert_lines = header_lines(text, "[[inserts]]");
        let inserts = raw
            .inserts
            .into_iter()
            .enumerate()
            .map(|(i, insert)| Insert {
                file: insert.file,
                anchor: insert.anchor,
                text: insert.text,
                when: insert.when,
                line: insert_lines.get(i).copied(),
            })
            .collect();

        let prefix = format!("{dir}/{TEMPLATE_DIR}/");
        let mut templates: Vec<TemplateFile> = blueprint
            .other_files
            .iter()
            .filter_map(|file| {
                let path = file.path.strip_prefix(&prefix)?;
                Some(TemplateFile {
                    path: path.to_owned(),
                    contents: file.contents.clone(),
                    mode: file.mode,
                })
            })
            .collect();
        templates.sort_by(|a, b| a.path.cmp(&b.path));
        let mut manifest = Manifest::for_part(&raw.part.name, blueprint.manifest.version.clone());
        manifest.description = raw.part.description;

        Ok(Some(PartFile {
            part: Part {
                origin: origin.clone(),
                keep,
                inserts,
                templates: Blueprint {
                    origin,
                    manifest,
                    templates,
                    other_files: Vec::new(),
                    compiled: Default::default(),
                },
            },
            extra,
            text: text.to_owned(),
        }))
    }

    pub fn manifest_display(&self) -> String {
        format!("{}/{PART_FILE}", self.origin)
    }
}

fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn find_line(text: &str, needle: &str) -> Option<usize> {
    text.lines()
        .position(|line| line.contains(needle))
        .map(|i| i + 1)
}

fn header_lines(text: &str, header: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.trim() == header)
        .map(|(i, _)| i + 1)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blueprint::SourceFile;
    use crate::tree::Mode;

    fn blueprint_with_part(part_toml: &str) -> Blueprint {
        let mut blueprint = crate::blueprint::builtin::load("minimal").expect("built-in");
        blueprint.other_files = vec![
            SourceFile {
                path: "extras/part.toml".into(),
                contents: part_toml.as_bytes().to_vec().into(),
                mode: Mode::Regular,
            },
            SourceFile {
                path: "extras/template/src/extra.rs".into(),
                contents: b"// {{ name }}\n".to_vec().into(),
                mode: Mode::Regular,
            },
        ];
        blueprint
    }

    fn error_of(part_toml: &str, extra_keys: &[&str]) -> String {
        match Part::read(&blueprint_with_part(part_toml), "extras", extra_keys) {
            Err(err) => err.to_string(),
            Ok(_) => panic!("part.toml was accepted:\n{part_toml}"),
        }
    }

    #[test]
    fn a_part_has_its_templates_inserts_and_own_keys() {
        let text = "flavour = \"plain\"\n\n[part]\nname = \"extras\"\n\n[files]\nkeep = [\"src/extra.rs\"]\n\n[[inserts]]\nfile = \"src/lib.rs\"\nanchor = \"modules\"\ntext = \"pub mod extra;\\n\"\n";
        let file = Part::read(&blueprint_with_part(text), "extras", &["flavour"])
            .unwrap()
            .expect("the blueprint has the part");
        assert_eq!(file.part.origin, "builtin:minimal/extras");
        let paths: Vec<&str> = file
            .part
            .templates
            .templates
            .iter()
            .map(|t| t.path.as_str())
            .collect();
        assert_eq!(paths, ["src/extra.rs"]);
        assert!(file.part.keep.is_match("src/extra.rs"));
        assert_eq!(file.part.inserts.len(), 1);
        assert_eq!(file.part.inserts[0].line, Some(9));
        assert_eq!(
            file.extra.get("flavour").and_then(|v| v.as_str()),
            Some("plain")
        );
        assert!(
            Part::read(&blueprint_with_part(text), "other", &[])
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_key_no_part_has_is_named_with_its_line() {
        let message = error_of("[part]\nname = \"extras\"\n\n[typos]\nx = 1\n", &["types"]);
        assert!(
            message.contains("extras/part.toml:4") && message.contains("unknown key `typos`"),
            "{message}"
        );
    }

    #[test]
    fn a_wrong_value_in_a_common_key_keeps_its_line() {
        let message = error_of(
            "[part]\nname = \"extras\"\n\n[[inserts]]\nfile = \"src/lib.rs\"\nanchor = 3\ntext = \"x\"\n",
            &[],
        );
        assert!(message.contains("extras/part.toml:6"), "{message}");
    }
}
