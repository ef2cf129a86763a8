//! Blueprints compiled into the binary from the repository's `blueprints/` folder (see
//! `build.rs`), so `svcgen new` works offline and needs nothing installed beside it.

use super::{Blueprint, SourceFile};
use crate::error::{Error, Result};
use crate::tree::Mode;

pub struct EmbeddedBlueprint {
    pub name: &'static str,
    files: &'static [EmbeddedFile],
}

struct EmbeddedFile {
    path: &'static str,
    contents: &'static [u8],
    executable: bool,
}

include!(concat!(env!("OUT_DIR"), "/builtin_blueprints.rs"));

/// The blueprint `svcgen new` uses when none is named.
pub const DEFAULT: &str = "service";

pub fn names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|b| b.name)
}

pub fn load(name: &str) -> Result<Blueprint> {
    let embedded =
        BUILTINS
            .iter()
            .find(|b| b.name == name)
            .ok_or_else(|| Error::UnknownBuiltin {
                name: name.to_owned(),
                available: names().collect::<Vec<_>>().join(", "),
            })?;
    let files = embedded
        .files
        .iter()
        .map(|f| SourceFile {
            path: f.path.to_owned(),
            contents: f.contents.into(),
            mode: if f.executable {
                Mode::Executable
            } else {
                Mode::Regular
            },
        })
        .collect();
    Blueprint::from_files(format!("builtin:{name}"), files)
}
