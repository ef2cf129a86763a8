//! A blueprint's `clients/` part: the files and insertions `svcgen add-client` renders (a
//! [`Part`]), and the `[types]` table that spells OpenAPI's types in the service's language.

use crate::blueprint::Blueprint;
use crate::error::Result;
use crate::part::Part;

use super::model::{SCALAR_KEYS, SHAPE_KEYS, TypeMap};

/// The folder beside `blueprint.toml` that holds the part.
pub const PART_DIR: &str = "clients";

#[derive(Debug, Clone)]
pub struct ClientsPart {
    pub part: Part,
    pub types: TypeMap,
}

impl ClientsPart {
    /// The blueprint's clients part, or `None` when it has none.
    pub fn from_blueprint(blueprint: &Blueprint) -> Result<Option<ClientsPart>> {
        let Some(file) = Part::read(blueprint, PART_DIR, &["types"])? else {
            return Ok(None);
        };
        let scalars: std::collections::BTreeMap<String, String> =
            file.extra_as("types")?.unwrap_or_default();
        let types_line = file.find_line("[types]");
        for key in SCALAR_KEYS {
            if !scalars.contains_key(*key) {
                return Err(file.error(types_line, format!("[types] has no `{key}`")));
            }
        }
        for (key, placeholder) in SHAPE_KEYS {
            match scalars.get(*key) {
                None => return Err(file.error(types_line, format!("[types] has no `{key}`"))),
                Some(value) if !value.contains(placeholder) => {
                    return Err(file.error(
                        file.find_line(&format!("{key} =")).or(types_line),
                        format!("[types] `{key}` = {value:?} does not contain `{placeholder}`"),
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(Some(ClientsPart {
            part: file.part,
            types: TypeMap { scalars },
        }))
    }
}
