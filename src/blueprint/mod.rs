//! A blueprint in memory: its checked manifest and its template files.
//!
//! Blueprints come from a directory, a git repository or the binary itself ([`source`]); each
//! source produces the same list of [`SourceFile`]s, so nothing downstream knows where a
//! blueprint came from. Once loaded, a blueprint never touches the disk again, which keeps
//! [`crate::render::render`] pure.

pub mod builtin;
pub mod locate;
pub mod manifest;
pub mod schema;
pub mod source;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::tree::Mode;
pub use manifest::{Manifest, Variable};

/// The folder inside a blueprint that holds the files to render.
pub const TEMPLATE_DIR: &str = "template";

/// A blueprint file's bytes: borrowed from the binary for built-in blueprints (no copy of the
/// embedded template text at every start), shared when read from a folder or git, so a file
/// copied into the service without rendering is the same buffer there.
pub type FileContents = bytes::Bytes;

/// A file of a blueprint, with its path relative to the blueprint's root (`/`-separated).
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub contents: FileContents,
    pub mode: Mode,
}

/// A file under `template/`, with its path relative to that folder.
#[derive(Debug, Clone)]
pub struct TemplateFile {
    pub path: String,
    pub contents: FileContents,
    pub mode: Mode,
}

#[derive(Debug, Clone)]
pub struct Blueprint {
    /// Where the blueprint came from, as shown in messages (`blueprints/service`, `builtin:service`).
    pub origin: String,
    pub manifest: Manifest,
    /// Sorted by path.
    pub templates: Vec<TemplateFile>,
    /// Every other file beside `blueprint.toml` and `template/` (such as the `events/` part that
    /// `add-event` renders), with paths relative to the blueprint's root.
    pub other_files: Vec<SourceFile>,
    /// Templates already parsed, shared by every render of this blueprint value and its clones.
    pub compiled: CompiledTemplates,
}

impl Blueprint {
    pub fn from_files(origin: impl Into<String>, files: Vec<SourceFile>) -> Result<Blueprint> {
        let origin = origin.into();
        let manifest_file = files
            .iter()
            .find(|f| f.path == manifest::MANIFEST_FILE)
            .ok_or_else(|| Error::NotABlueprint {
                origin: origin.clone(),
            })?;
        let manifest_name = manifest_path(&origin);
        let text = std::str::from_utf8(&manifest_file.contents).map_err(|_| Error::Manifest {
            location: crate::error::Location {
                file: manifest_name.clone(),
                line: None,
            },
            message: "not valid UTF-8".into(),
        })?;
        let manifest = Manifest::parse(text, &manifest_name)?;

        if let Some(required) = &manifest.min_svcgen_version {
            let running = running_version();
            if *required > running {
                return Err(Error::SvcgenTooOld {
                    blueprint: manifest.name.clone(),
                    required: required.clone(),
                    running,
                });
            }
        }

        let prefix = format!("{TEMPLATE_DIR}/");
        let mut templates = Vec::new();
        let mut other_files = Vec::new();
        for file in files {
            match file.path.strip_prefix(&prefix) {
                Some(path) => templates.push(TemplateFile {
                    path: path.to_owned(),
                    contents: file.contents,
                    mode: file.mode,
                }),
                None if file.path == manifest::MANIFEST_FILE => {}
                None => other_files.push(file),
            }
        }
        templates.sort_by(|a, b| a.path.cmp(&b.path));
        other_files.sort_by(|a, b| a.path.cmp(&b.path));

        Ok(Blueprint {
            origin,
            manifest,
            templates,
            other_files,
            compiled: CompiledTemplates::default(),
        })
    }

    /// How `blueprint.toml` is named in error messages.
    pub fn manifest_path(&self) -> String {
        manifest_path(&self.origin)
    }

    /// How a template file is named in error messages.
    pub fn display_path(&self, template_path: &str) -> String {
        format!("{}/{TEMPLATE_DIR}/{template_path}", self.origin)
    }
}

/// Parsed templates, reused across renders: parsing is most of a render's cost, and
/// `update --all` renders one blueprint once per service. Keyed by the templates a render
/// selected (their paths and a hash of their text), so answers that select other files, or
/// templates changed in place, get their own entry.
#[derive(Clone, Default)]
pub struct CompiledTemplates(Arc<Mutex<HashMap<TemplateSetKey, Arc<tera::Tera>>>>);

type TemplateSetKey = (Vec<String>, u64);

impl CompiledTemplates {
    /// The parsed templates for `sources` (path, text), parsed with `parse` on first use. A
    /// failure is not cached.
    pub fn get_or_parse(
        &self,
        sources: &[(&str, &str)],
        parse: impl FnOnce() -> Result<tera::Tera>,
    ) -> Result<Arc<tera::Tera>> {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        sources.hash(&mut hasher);
        let key = (
            sources.iter().map(|(path, _)| (*path).to_owned()).collect(),
            hasher.finish(),
        );
        let lock = || {
            self.0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        };
        if let Some(parsed) = lock().get(&key) {
            return Ok(Arc::clone(parsed));
        }
        // Parsed outside the lock: two threads may both parse once, none waits on the other.
        let parsed = Arc::new(parse()?);
        Ok(Arc::clone(lock().entry(key).or_insert(parsed)))
    }
}

impl std::fmt::Debug for CompiledTemplates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let entries = self.0.lock().map_or(0, |map| map.len());
        write!(f, "CompiledTemplates({entries} sets)")
    }
}

fn manifest_path(origin: &str) -> String {
    format!("{origin}/{}", manifest::MANIFEST_FILE)
}

pub fn running_version() -> semver::Version {
    semver::Version::parse(env!("CARGO_PKG_VERSION")).expect("Cargo.toml version is semver")
}
