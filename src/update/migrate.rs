//! Answer migrations: how a service's recorded answers become answers of a newer blueprint
//! version (`[[migrations]]` in `blueprint.toml`).

use indexmap::IndexMap;

use crate::answers::{Answers, Value};
use crate::blueprint::manifest::{Manifest, NAME_VARIABLE};
use crate::error::{Error, Location, Result};
use crate::template;

#[derive(Debug, Clone, PartialEq)]
pub struct Migrated {
    /// The answers to give the new blueprint (without `name`).
    pub answers: IndexMap<String, toml::Value>,
    /// The versions whose migrations ran, in order.
    pub applied: Vec<semver::Version>,
    /// Recorded answers the new blueprint no longer has a variable for.
    pub dropped: Vec<String>,
}

/// Runs every migration newer than `from` (the version the answers were recorded with), in
/// version order, then keeps only the answers the new blueprint declares.
pub fn migrate_answers(
    recorded: &Answers,
    manifest: &Manifest,
    manifest_file: &str,
    from: &semver::Version,
) -> Result<Migrated> {
    let mut answers = recorded.clone();
    let mut applied = Vec::new();
    for migration in manifest.migrations.iter().filter(|m| m.version > *from) {
        let fail = |message: String| Error::Manifest {
            location: Location {
                file: manifest_file.to_owned(),
                line: None,
            },
            message: format!("[[migrations]] {}: {message}", migration.version),
        };
        for (old, new) in &migration.rename {
            if let Some(value) = answers.shift_remove(old) {
                answers.insert(new.clone(), value);
            }
        }
        for (variable, expression) in &migration.set {
            let context = template::context(&answers);
            let text = template::render_str(expression, &context)
                .map_err(|err| fail(format!("setting `{variable}`: {}", err.message)))?;
            let kind = manifest
                .variable(variable)
                .expect("checked when the manifest was parsed")
                .kind;
            let value = Value::parse(&text, kind)
                .map_err(|message| fail(format!("setting `{variable}` to `{text}`: {message}")))?;
            answers.insert(variable.clone(), value);
        }
        for variable in &migration.remove {
            answers.shift_remove(variable);
        }
        applied.push(migration.version.clone());
    }

    let mut dropped = Vec::new();
    let mut kept = IndexMap::new();
    for (variable, value) in answers {
        if variable == NAME_VARIABLE {
            continue;
        }
        if manifest.variable(&variable).is_some() {
            kept.insert(variable, value.to_toml());
        } else {
            dropped.push(variable);
        }
    }
    Ok(Migrated {
        answers: kept,
        applied,
        dropped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest::parse(
            r#"[blueprint]
name = "t"
version = "3.0.0"
[variables.http_port]
type = "integer"
[variables.title]
type = "string"
[[migrations]]
version = "3.0.0"
set = { title = "{{ name | title_case }} on {{ http_port }}" }
[[migrations]]
version = "2.0.0"
rename = { port = "http_port" }
remove = ["legacy"]
"#,
            "blueprint.toml",
        )
        .unwrap()
    }

    fn recorded() -> Answers {
        let mut answers = Answers::new();
        answers.insert("name".into(), Value::String("my-shop".into()));
        answers.insert("port".into(), Value::Integer(9000));
        answers.insert("legacy".into(), Value::Bool(true));
        answers.insert("forgotten".into(), Value::Bool(true));
        answers
    }

    #[test]
    fn migrations_run_in_version_order_from_the_recorded_version() {
        let migrated = migrate_answers(
            &recorded(),
            &manifest(),
            "bp",
            &semver::Version::new(1, 0, 0),
        )
        .unwrap();
        assert_eq!(
            migrated.applied,
            [semver::Version::new(2, 0, 0), semver::Version::new(3, 0, 0)]
        );
        assert_eq!(migrated.answers["http_port"], toml::Value::Integer(9000));
        assert_eq!(
            migrated.answers["title"],
            toml::Value::String("My Shop on 9000".into())
        );
        assert_eq!(migrated.dropped, ["forgotten"]);
    }

    #[test]
    fn migrations_at_or_below_the_recorded_version_are_skipped() {
        let mut answers = recorded();
        answers.shift_remove("port");
        answers.insert("http_port".into(), Value::Integer(1));
        let migrated =
            migrate_answers(&answers, &manifest(), "bp", &semver::Version::new(2, 0, 0)).unwrap();
        assert_eq!(migrated.applied, [semver::Version::new(3, 0, 0)]);
        assert!(migrated.dropped.contains(&"legacy".to_owned()));
    }
}
