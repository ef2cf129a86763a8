//! A blueprint's `events/` part: the files and insertions `svcgen add-event` renders, described by
//! `events/part.toml` and templated like the blueprint itself, so platform teams change what an
//! event looks like the same way they change a service (see docs/blueprints.md).

use globset::GlobSet;
use indexmap::IndexMap;
use serde::Deserialize;

use crate::blueprint::manifest::Manifest;
use crate::blueprint::{Blueprint, SourceFile, TEMPLATE_DIR};
use crate::error::{Error, Location, Result};

/// The folder beside `blueprint.toml` that holds the part.
pub const PART_DIR: &str = "events";
pub const PART_FILE: &str = "part.toml";

/// What `--field name:TYPE` accepts: each type's attributes (`rust`, `sql`, `schema`, ...) are
/// handed to templates on every field of that type.
pub type TypeTable = IndexMap<String, toml::Table>;

#[derive(Debug, Clone)]
pub struct EventsPart {
    /// How the part is named in messages, e.g. `builtin:service/events`.
    pub origin: String,
    pub types: TypeTable,
    /// Field names every event already carries (an aggregate id, say), refused in `--field`.
    pub reserved_fields: Vec<String>,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPart {
    part: RawInfo,
    #[serde(default)]
    types: TypeTable,
    #[serde(default)]
    reserved_fields: Vec<String>,
    #[serde(default)]
    files: RawFiles,
    #[serde(default)]
    inserts: Vec<RawInsert>,
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

/// Attributes every type must define: templates rely on them.
const REQUIRED_TYPE_KEYS: &[&str] = &["rust", "sql", "schema"];

impl EventsPart {
    /// The blueprint's events part, or `None` when it has none.
    pub fn from_blueprint(blueprint: &Blueprint) -> Result<Option<EventsPart>> {
        let manifest_path = format!("{PART_DIR}/{PART_FILE}");
        let Some(manifest) = blueprint
            .other_files
            .iter()
            .find(|f| f.path == manifest_path)
        else {
            return Ok(None);
        };
        let origin = format!("{}/{PART_DIR}", blueprint.origin);
        let display = format!("{origin}/{PART_FILE}");
        let text = std::str::from_utf8(&manifest.contents).map_err(|_| Error::Manifest {
            location: Location {
                file: display.clone(),
                line: None,
            },
            message: "not valid UTF-8".into(),
        })?;
        let raw: RawPart = toml::from_str(text).map_err(|err| Error::Manifest {
            location: Location {
                file: display.clone(),
                line: err.span().map(|span| line_at(text, span.start)),
            },
            message: err.message().trim_end().to_owned(),
        })?;
        let fail = |line: Option<usize>, message: String| Error::Manifest {
            location: Location {
                file: display.clone(),
                line,
            },
            message,
        };

        if raw.types.is_empty() {
            return Err(fail(
                None,
                "no [types.*]: declare the field types `--field` accepts".into(),
            ));
        }
        for (name, attributes) in &raw.types {
            for key in REQUIRED_TYPE_KEYS {
                if !attributes.contains_key(*key) {
                    return Err(fail(
                        find_line(text, &format!("[types.{name}]")),
                        format!("type `{name}` has no `{key}`"),
                    ));
                }
            }
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

        let prefix = format!("{PART_DIR}/");
        let files: Vec<SourceFile> = blueprint
            .other_files
            .iter()
            .filter_map(|file| {
                let path = file.path.strip_prefix(&prefix)?;
                path.starts_with(&format!("{TEMPLATE_DIR}/"))
                    .then(|| SourceFile {
                        path: path.to_owned(),
                        contents: file.contents.clone(),
                        mode: file.mode,
                    })
            })
            .collect();
        let mut templates = Blueprint {
            origin: origin.clone(),
            manifest: Manifest::for_part(&raw.part.name, blueprint.manifest.version.clone()),
            templates: Vec::new(),
            other_files: Vec::new(),
            compiled: Default::default(),
        };
        templates.templates = files
            .into_iter()
            .map(|file| crate::blueprint::TemplateFile {
                path: file.path[TEMPLATE_DIR.len() + 1..].to_owned(),
                contents: file.contents,
                mode: file.mode,
            })
            .collect();
        templates.templates.sort_by(|a, b| a.path.cmp(&b.path));
        templates.manifest.description = raw.part.description;

        Ok(Some(EventsPart {
            origin,
            types: raw.types,
            reserved_fields: raw.reserved_fields,
            keep,
            inserts,
            templates,
        }))
    }

    pub fn type_names(&self) -> Vec<&str> {
        self.types.keys().map(String::as_str).collect()
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
