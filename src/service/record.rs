//! `.svcgen/record.toml`: what a generated repository remembers about how it was made, so later
//! commands (`update`, `check`, `add-event`) can render it again without asking anything.
//!
//! The record is part of the rendered tree (it is committed with the service), and holds nothing
//! time-dependent: generating twice with the same inputs gives the same record.

use std::path::Path;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::answers::{Answers, Value};
use crate::blueprint::Blueprint;
use crate::blueprint::source::BlueprintSource;
use crate::error::{Error, Result};

pub const RECORD_PATH: &str = ".svcgen/record.toml";

/// Bumped when the layout changes in a way older svcgen versions cannot read.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub format_version: u32,
    /// The svcgen version that wrote this record.
    pub svcgen_version: String,
    pub blueprint: BlueprintRef,
    pub answers: IndexMap<String, Value>,
    /// Every `svcgen add-event` applied to this repository, in order, so `update` can replay them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventRecord>,
    /// Every `svcgen add-client`, in order, so `update` can make the clients again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<ClientRecord>,
    /// What the team changed on purpose in generated files, for `svcgen check --drift`.
    #[serde(default, skip_serializing_if = "DriftRules::is_empty")]
    pub drift: DriftRules,
    /// Where the service is in its git repository; absent (the default) means at its root.
    #[serde(default, skip_serializing_if = "Placement::is_root")]
    pub repository: Placement,
}

/// `[repository]`: where in its git repository the service lives. A service made inside an
/// existing repository (a monorepo, `svcgen new catalog --output services/catalog`) records
/// its folder; records without the table (every service with a repository of its own, and
/// every record older svcgen versions wrote) mean the repository's root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    /// The service's folder relative to the repository's root, `/`-separated
    /// (`services/catalog`); `None` at the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl Placement {
    /// At the root of the repository.
    pub fn root() -> Placement {
        Placement::default()
    }

    /// In the folder `path` of the repository (the root when empty).
    pub fn at(path: &str) -> Placement {
        let path = path.trim_matches('/');
        Placement {
            path: (!path.is_empty()).then(|| path.to_owned()),
        }
    }

    pub fn is_root(&self) -> bool {
        self.path.is_none()
    }
}

/// `[drift]`: generated files the team changes or deletes on purpose. `check --drift` lists
/// them as intended instead of as drift from the blueprint's conventions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftRules {
    /// Globs over the service's paths (`docs/**`, `Makefile`).
    #[serde(default)]
    pub allow: Vec<String>,
}

impl DriftRules {
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty()
    }
}

/// One `svcgen add-client`: the service called, and where its contract was read. The contract
/// itself is kept in the service, at [`ClientRecord::spec_path`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientRecord {
    pub service: String,
    /// The `--spec` given: a URL, or a path relative to the service's folder.
    pub source: String,
}

impl ClientRecord {
    /// Where the service keeps the contract its client was made from.
    pub fn spec_path(&self) -> String {
        client_spec_path(&self.service)
    }
}

/// Where a service keeps the contract of the service `name` it calls.
pub fn client_spec_path(name: &str) -> String {
    format!("api/clients/{name}.json")
}

/// One `svcgen add-event` invocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRecord {
    /// The event name, PascalCase (`ProductChanged`).
    pub name: String,
    pub role: EventRole,
    /// `name:type` pairs, in the order given.
    pub fields: Vec<String>,
    /// The producing service, for consumers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The line of each of `fields` in the record it was read from, for error messages.
    #[serde(skip)]
    pub field_lines: SourceLines,
}

/// Lines of `.svcgen/record.toml` that values were read from: where to point a person at when
/// a value turns out wrong later (a field type only the blueprint knows). Never part of what a
/// record is, so two records that say the same are equal wherever they came from.
#[derive(Debug, Clone, Default)]
pub struct SourceLines(pub Vec<usize>);

impl PartialEq for SourceLines {
    fn eq(&self, _: &SourceLines) -> bool {
        true
    }
}

impl Eq for SourceLines {}

impl SourceLines {
    /// `line N: ` for the value at `index`, or nothing when it was not read from a file.
    pub fn prefix(&self, index: usize) -> String {
        self.0
            .get(index)
            .map(|line| format!("line {line}: "))
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventRole {
    Producer,
    Consumer,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlueprintRef {
    pub name: String,
    pub version: semver::Version,
    pub source: BlueprintSource,
    /// The exact commit, for git sources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

impl Record {
    pub fn new(
        blueprint: &Blueprint,
        source: &BlueprintSource,
        commit: Option<String>,
        answers: &Answers,
    ) -> Record {
        Record {
            format_version: FORMAT_VERSION,
            svcgen_version: env!("CARGO_PKG_VERSION").to_owned(),
            blueprint: BlueprintRef {
                name: blueprint.manifest.name.clone(),
                version: blueprint.manifest.version.clone(),
                source: source.for_record(),
                commit,
            },
            answers: answers.clone(),
            events: Vec::new(),
            clients: Vec::new(),
            drift: DriftRules::default(),
            repository: Placement::root(),
        }
    }

    /// The service's name: the `name` answer.
    pub fn service_name(&self) -> Option<&str> {
        match self.answers.get(crate::blueprint::manifest::NAME_VARIABLE) {
            Some(Value::String(name)) => Some(name),
            _ => None,
        }
    }

    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).expect("a record always serialises");
        format!(
            "# Written by svcgen: how this repository was generated. `svcgen update` reads it;\n# edit it only to change an answer.\n{body}"
        )
    }

    pub fn parse(text: &str, path: &Path) -> Result<Record> {
        let mut record: Record = toml::from_str(text).map_err(|err| {
            let at = err
                .span()
                .map(|span| {
                    let (line, column) = line_and_column(text, span.start);
                    let key = key_at_line(text, line)
                        .map(|key| format!(" (`{key}`)"))
                        .unwrap_or_default();
                    format!("line {line}, column {column}{key}: ")
                })
                .unwrap_or_default();
            Error::Record {
                path: path.to_owned(),
                message: format!(
                    "{at}{}; fix it, or restore it from git (`git checkout HEAD -- {RECORD_PATH}`)",
                    err.message().trim_end()
                ),
            }
        })?;
        record.validate(text, path)?;
        record.locate_event_fields(text);
        if record.format_version > FORMAT_VERSION {
            return Err(Error::Record {
                path: path.to_owned(),
                message: format!(
                    "format_version {} is newer than this svcgen understands ({FORMAT_VERSION}); upgrade svcgen",
                    record.format_version
                ),
            });
        }
        Ok(record)
    }

    /// Checks what a person may have edited as strictly as the command line checks it: a
    /// recorded event or service name is used as a file name and an identifier when events are
    /// replayed.
    fn validate(&self, text: &str, path: &Path) -> Result<()> {
        let fail = |needle: &str, message: String| {
            let line = text
                .lines()
                .position(|l| l.contains(needle))
                .map(|i| format!("line {}: ", i + 1))
                .unwrap_or_default();
            Error::Record {
                path: path.to_owned(),
                message: format!("{line}{message}"),
            }
        };
        if let Some(name) = self.service_name() {
            crate::name::validate_service_name(name)
                .map_err(|err| fail(&format!("\"{name}\""), format!("answer `name`: {err}")))?;
        }
        if let Some(folder) = &self.repository.path {
            let outside = folder.starts_with('/')
                || folder.contains('\\')
                || folder
                    .split('/')
                    .any(|part| part.is_empty() || part == "." || part == "..");
            if outside {
                return Err(fail(
                    &format!("\"{folder}\""),
                    format!(
                        "[repository] path `{folder}` must be a folder inside the repository, relative to its root and `/`-separated (`services/catalog`)"
                    ),
                ));
            }
        }
        for event in &self.events {
            crate::events::spec::validate_event_name(&event.name)
                .map_err(|err| fail(&format!("\"{}\"", event.name), format!("[[events]] {err}")))?;
            if let Some(from) = &event.from {
                crate::name::validate_service_name(from).map_err(|err| {
                    fail(
                        &format!("\"{from}\""),
                        format!("[[events]] `{}`: `from`: {err}", event.name),
                    )
                })?;
            }
            for field in &event.fields {
                crate::events::spec::FieldSpec::check_syntax(field).map_err(|reason| {
                    fail(
                        &format!("\"{field}\""),
                        format!("[[events]] `{}`: field `{field}`: {reason}", event.name),
                    )
                })?;
            }
        }
        Ok(())
    }

    /// Fills each event's `field_lines`: the first line quoting the field after the line that
    /// quotes the event's name.
    fn locate_event_fields(&mut self, text: &str) {
        let lines: Vec<&str> = text.lines().collect();
        let line_of =
            |needle: &str, from: usize| (from..lines.len()).find(|&i| lines[i].contains(needle));
        for event in &mut self.events {
            let start = line_of(&format!("\"{}\"", event.name), 0).unwrap_or(0);
            event.field_lines = SourceLines(
                event
                    .fields
                    .iter()
                    .filter_map(|field| line_of(&format!("\"{field}\""), start).map(|i| i + 1))
                    .collect(),
            );
            if event.field_lines.0.len() != event.fields.len() {
                event.field_lines = SourceLines::default();
            }
        }
    }

    pub fn read(repo: &Path) -> Result<Record> {
        let path = repo.join(RECORD_PATH);
        let text = std::fs::read_to_string(&path).map_err(|err| Error::io(&path, err))?;
        Record::parse(&text, &path)
    }
}

/// `table.key` of the `key = value` line `line` (1-based) of a TOML text.
fn key_at_line(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let key = lines.get(line - 1)?.split_once('=')?.0.trim();
    let table = lines[..line - 1]
        .iter()
        .rev()
        .find_map(|l| l.trim().strip_prefix('[')?.strip_suffix(']'))
        .map(|t| t.trim_matches(['[', ']']).to_owned());
    Some(match table {
        Some(table) => format!("{table}.{key}"),
        None => key.to_owned(),
    })
}

/// The 1-based line and column of byte `offset` in `text`.
pub(crate) fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record {
        let mut answers = IndexMap::new();
        answers.insert("name".to_owned(), Value::String("catalog".into()));
        answers.insert("port".to_owned(), Value::Integer(8080));
        answers.insert("tags".to_owned(), Value::List(vec!["a".into()]));
        answers.insert("example".to_owned(), Value::Bool(true));
        Record {
            format_version: FORMAT_VERSION,
            svcgen_version: "0.1.0".into(),
            blueprint: BlueprintRef {
                name: "service".into(),
                version: semver::Version::new(1, 0, 0),
                source: BlueprintSource::Builtin("service".into()),
                commit: None,
            },
            answers,
            events: Vec::new(),
            clients: Vec::new(),
            drift: DriftRules::default(),
            repository: Placement::root(),
        }
    }

    #[test]
    fn the_folder_in_the_repository_round_trips_and_its_absence_means_the_root() {
        let record = sample();
        let text = record.to_toml();
        assert!(!text.contains("[repository]"), "{text}");
        assert!(
            Record::parse(&text, Path::new("r"))
                .unwrap()
                .repository
                .is_root()
        );

        let mut placed = sample();
        placed.repository = Placement::at("services/catalog/");
        let text = placed.to_toml();
        assert!(
            text.contains("[repository]\npath = \"services/catalog\"\n"),
            "{text}"
        );
        let parsed = Record::parse(&text, Path::new("r")).unwrap();
        assert_eq!(parsed.repository.path.as_deref(), Some("services/catalog"));
        assert_eq!(parsed, placed);
    }

    #[test]
    fn a_folder_outside_the_repository_is_refused() {
        for bad in ["../elsewhere", "/abs/path", "services/../../x", "a\\b"] {
            let text = format!("{}\n[repository]\npath = {bad:?}\n", sample().to_toml());
            let err = Record::parse(&text, Path::new(RECORD_PATH)).unwrap_err();
            assert!(
                err.to_string().contains("[repository] path"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn round_trips_through_toml() {
        let record = sample();
        let text = record.to_toml();
        assert!(text.contains("source = \"builtin:service\""), "{text}");
        assert_eq!(Record::parse(&text, Path::new("r")).unwrap(), record);
    }

    #[test]
    fn a_broken_record_names_the_line_and_how_to_restore_it() {
        let text = sample()
            .to_toml()
            .replace("tags = [\"a\"]", "tags = [\"a\"");
        let err = Record::parse(&text, Path::new(RECORD_PATH)).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("line "), "{message}");
        assert!(
            message.contains("git checkout HEAD -- .svcgen/record.toml"),
            "{message}"
        );
    }

    #[test]
    fn newer_format_is_refused() {
        let text = sample()
            .to_toml()
            .replace("format_version = 1", "format_version = 99");
        let err = Record::parse(&text, Path::new("r")).unwrap_err();
        assert!(err.to_string().contains("upgrade svcgen"), "{err}");
    }
}
