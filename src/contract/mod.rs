//! Contracts between services, and whether a change to one breaks its readers.
//!
//! A service's contracts are its OpenAPI document (`api/openapi.json`) and its events' JSON
//! Schemas (`events/*.json`). [`compare`] takes two versions of one and lists every change as
//! a [`Finding`]: breaking when someone relying on the old version (a client, a consumer, an
//! event kept in a stream) may fail, compatible otherwise. The rules, and why each breaks or
//! not, are the table in `docs/contracts.md`.
//!
//! - [`document`]: reading a contract (JSON or YAML) and telling its kind.
//! - [`openapi`]: the walk over paths, operations, parameters, bodies and responses.
//! - [`schema`]: the rules for two schemas, which depend on who reads the values.
//! - [`finding`]: what a change is reported as.

pub mod document;
pub mod finding;
mod openapi;
pub mod pointer;
mod schema;
mod walk;

pub use document::{Document, Kind};
pub use finding::{Direction, Effect, Finding, Rule, Severity};

use walk::{Place, Walk};

/// Every change from `old` to `new`, breaking ones first, each in document order.
pub fn compare(old: &Document, new: &Document) -> Result<Vec<Finding>, String> {
    if old.kind != new.kind {
        return Err(format!(
            "the old contract is {} and the new one {}: compare two versions of the same contract",
            old.kind, new.kind
        ));
    }
    let mut walk = Walk::new(&old.root, &new.root);
    match old.kind {
        Kind::OpenApi => walk.compare_openapi(),
        Kind::JsonSchema => {
            let title = new.root.get("title").and_then(serde_json::Value::as_str);
            let place =
                Place::root(title.map_or_else(|| "event".to_owned(), |t| format!("event {t}")));
            walk.compare_schema(&old.root, &new.root, &place, Direction::Event);
        }
    }
    let mut findings = walk.findings;
    let mut unique = Vec::with_capacity(findings.len());
    for finding in findings.drain(..) {
        if !unique.contains(&finding) {
            unique.push(finding);
        }
    }
    unique.sort_by_key(|f| f.severity);
    Ok(unique)
}

#[cfg(test)]
mod tests;
