//! `svcgen contract diff`: read two versions of a contract and list what changed.

use std::path::{Path, PathBuf};

use crate::contract::{self, Document, Finding, Kind};
use crate::error::{Error, Result};

/// What comparing two contract files found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ContractDiff {
    pub old: PathBuf,
    pub new: PathBuf,
    pub kind: Kind,
    /// Breaking changes first.
    pub findings: Vec<Finding>,
}

impl ContractDiff {
    pub fn breaking(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.is_breaking())
    }

    pub fn is_breaking(&self) -> bool {
        self.breaking().next().is_some()
    }
}

/// Reads `old` and `new` (JSON or YAML; an OpenAPI 3.x document or a JSON Schema each) and
/// compares them. A file that cannot be read or is not a contract is an
/// [`Error::Contract`] naming it.
pub fn diff_files(old: &Path, new: &Path) -> Result<ContractDiff> {
    let old_document = read(old)?;
    let new_document = read(new)?;
    let findings =
        contract::compare(&old_document, &new_document).map_err(|message| Error::Contract {
            path: new.to_path_buf(),
            message,
        })?;
    Ok(ContractDiff {
        old: old.to_path_buf(),
        new: new.to_path_buf(),
        kind: old_document.kind,
        findings,
    })
}

fn read(path: &Path) -> Result<Document> {
    let bytes = std::fs::read(path).map_err(|source| Error::io(path, source))?;
    let text = String::from_utf8(bytes).map_err(|_| Error::Contract {
        path: path.to_path_buf(),
        message: "not UTF-8 text: expected a JSON or YAML document".to_owned(),
    })?;
    Document::parse(&text).map_err(|message| Error::Contract {
        path: path.to_path_buf(),
        message,
    })
}
