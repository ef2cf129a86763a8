//! A blueprint's `events/` part: the files and insertions `svcgen add-event` renders (a
//! [`Part`]), plus the field types `--field name:TYPE` accepts and the field names every event
//! already carries.

use indexmap::IndexMap;

use crate::blueprint::Blueprint;
use crate::error::Result;
use crate::part::{PART_FILE, Part};

/// The folder beside `blueprint.toml` that holds the part.
pub const PART_DIR: &str = "events";

/// What `--field name:TYPE` accepts: each type's attributes (`rust`, `sql`, `schema`, ...) are
/// handed to templates on every field of that type.
pub type TypeTable = IndexMap<String, toml::Table>;

#[derive(Debug, Clone)]
pub struct EventsPart {
    pub part: Part,
    pub types: TypeTable,
    /// Field names every event already carries (an aggregate id, say), refused in `--field`.
    pub reserved_fields: Vec<String>,
}

/// Attributes every type must define: templates rely on them.
const REQUIRED_TYPE_KEYS: &[&str] = &["rust", "sql", "schema"];

impl EventsPart {
    /// The blueprint's events part, or `None` when it has none.
    pub fn from_blueprint(blueprint: &Blueprint) -> Result<Option<EventsPart>> {
        let Some(file) = Part::read(blueprint, PART_DIR, &["types", "reserved_fields"])? else {
            return Ok(None);
        };
        let types: TypeTable = file.extra_as("types")?.unwrap_or_default();
        if types.is_empty() {
            return Err(file.error(
                None,
                "no [types.*]: declare the field types `--field` accepts".into(),
            ));
        }
        for (name, attributes) in &types {
            for key in REQUIRED_TYPE_KEYS {
                if !attributes.contains_key(*key) {
                    return Err(file.error(
                        file.find_line(&format!("[types.{name}]")),
                        format!("type `{name}` has no `{key}`"),
                    ));
                }
            }
        }
        let reserved_fields: Vec<String> = file.extra_as("reserved_fields")?.unwrap_or_default();
        Ok(Some(EventsPart {
            part: file.part,
            types,
            reserved_fields,
        }))
    }

    pub fn type_names(&self) -> Vec<&str> {
        self.types.keys().map(String::as_str).collect()
    }

    pub fn manifest_display(&self) -> String {
        format!("{}/{PART_FILE}", self.part.origin)
    }
}
