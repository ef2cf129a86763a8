//! What the user asked `add-event` for: an event name, its fields and its role, checked.

use heck::ToUpperCamelCase;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::service::record::{EventRecord, EventRole};

/// One `--field name:type`, checked against the part's type table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
}

impl FieldSpec {
    /// Parses `name:type`. `types` are the type names the blueprint's events part knows.
    pub fn parse(spec: &str, types: &[&str]) -> Result<FieldSpec> {
        let invalid = |reason: String| Error::InvalidField {
            spec: spec.to_owned(),
            reason,
        };
        let (name, kind) = Self::check_syntax(spec).map_err(invalid)?;
        if !types.contains(&kind) {
            return Err(invalid(format!(
                "unknown type `{kind}` (known: {})",
                types.join(", ")
            )));
        }
        Ok(FieldSpec {
            name: name.to_owned(),
            kind: kind.to_owned(),
        })
    }

    /// Checks the form of `name:type`, whatever types a blueprint knows: the name and the type
    /// as written, or why they cannot be.
    pub fn check_syntax(spec: &str) -> std::result::Result<(&str, &str), String> {
        let invalid = |reason: String| Err(reason);
        let Some((name, kind)) = spec.split_once(':') else {
            return invalid("expected NAME:TYPE, e.g. `price:cents`".into());
        };
        let (name, kind) = (name.trim(), kind.trim());
        if name.is_empty() {
            return invalid("the field name is empty".into());
        }
        let snake_case = name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !name.contains("__")
            && !name.ends_with('_');
        if !snake_case {
            return invalid(format!(
                "`{name}` is not a snake_case name (lowercase letters, digits and single `_`, starting with a letter)"
            ));
        }
        if crate::keywords::is_rust_keyword(name) {
            return invalid(format!(
                "`{name}` is a Rust keyword and cannot name a struct field; try `{name}_value` or another word"
            ));
        }
        Ok((name, kind))
    }

    /// The `name:type` form the record keeps.
    pub fn to_spec(&self) -> String {
        format!("{}:{}", self.name, self.kind)
    }
}

/// A checked `add-event` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSpec {
    pub name: String,
    pub role: EventRole,
    pub fields: Vec<FieldSpec>,
    /// The producing service: the service itself for a producer.
    pub from: Option<String>,
}

impl EventSpec {
    pub fn new(
        name: &str,
        role: EventRole,
        fields: Vec<FieldSpec>,
        from: Option<String>,
        reserved: &[String],
    ) -> Result<EventSpec> {
        validate_event_name(name)?;
        if fields.is_empty() {
            return Err(Error::InvalidField {
                spec: String::new(),
                reason: format!(
                    "event `{name}` has no fields; give at least one with --field NAME:TYPE"
                ),
            });
        }
        for (i, field) in fields.iter().enumerate() {
            if fields[..i].iter().any(|f| f.name == field.name) {
                return Err(Error::InvalidField {
                    spec: field.to_spec(),
                    reason: format!("field `{}` is given twice", field.name),
                });
            }
            if reserved.contains(&field.name) {
                return Err(Error::InvalidField {
                    spec: field.to_spec(),
                    reason: format!(
                        "`{}` is reserved: every event already carries it (reserved: {})",
                        field.name,
                        reserved.join(", ")
                    ),
                });
            }
        }
        Ok(EventSpec {
            name: name.to_owned(),
            role,
            fields,
            from,
        })
    }

    pub fn to_record(&self) -> EventRecord {
        EventRecord {
            field_lines: Default::default(),
            name: self.name.clone(),
            role: self.role,
            fields: self.fields.iter().map(FieldSpec::to_spec).collect(),
            from: self.from.clone(),
        }
    }

    /// Rebuilds a spec from the record (for replays), re-checking the fields: a problem is the
    /// record's, and named so.
    pub fn from_record(record: &EventRecord, types: &[&str]) -> Result<EventSpec> {
        let fields = record
            .fields
            .iter()
            .enumerate()
            .map(|(index, spec)| {
                FieldSpec::parse(spec, types).map_err(|err| match err {
                    Error::InvalidField { spec, reason } => Error::Record {
                        path: crate::service::record::RECORD_PATH.into(),
                        message: format!(
                            "{}[[events]] `{}`: field `{spec}`: {reason}; correct it in the record (the blueprint's events part knows the types)",
                            record.field_lines.prefix(index),
                            record.name
                        ),
                    },
                    other => other,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(EventSpec {
            name: record.name.clone(),
            role: record.role,
            fields,
            from: record.from.clone(),
        })
    }
}

/// Event names become Rust types, subjects and file names, so they must be PascalCase
/// identifiers that survive every case conversion and back.
pub fn validate_event_name(name: &str) -> Result<()> {
    let invalid = |reason: String| Error::InvalidEventName {
        name: name.to_owned(),
        reason,
    };
    if name.is_empty() {
        return Err(invalid("it is empty".into()));
    }
    if !name.starts_with(|c: char| c.is_ascii_uppercase()) {
        return Err(invalid(format!(
            "event names are PascalCase and start with an uppercase letter, e.g. `{}`",
            suggestion(name)
        )));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(invalid(format!(
            "only ASCII letters and digits are allowed, e.g. `{}`",
            suggestion(name)
        )));
    }
    // `HTTPRequested` would come back from snake_case as `HttpRequested`: file names, subjects
    // and the Rust type would disagree.
    if name.to_upper_camel_case() != name {
        return Err(invalid(format!(
            "not PascalCase: write acronyms as words, e.g. `{}`",
            name.to_upper_camel_case()
        )));
    }
    // The event's module (`mod product_changed;`) is its snake_case name.
    if let Some(keyword) = crate::keywords::rust_keyword_form(name) {
        return Err(invalid(format!(
            "`{keyword}` is a Rust keyword, and the event's module would be named so; add a word, e.g. `{name}Happened`"
        )));
    }
    Ok(())
}

fn suggestion(name: &str) -> String {
    let pascal = name.to_upper_camel_case();
    if pascal.is_empty() {
        "ProductChanged".into()
    } else {
        pascal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPES: &[&str] = &["string", "cents", "uuid"];

    #[test]
    fn pascal_case_names_pass() {
        for name in ["ProductChanged", "OrderV2Placed", "A"] {
            validate_event_name(name).unwrap();
        }
    }

    #[test]
    fn bad_names_say_why() {
        let cases = [
            ("productChanged", "`ProductChanged`"),
            ("product_changed", "`ProductChanged`"),
            ("Product-Changed", "only ASCII letters"),
            ("HTTPRequested", "`HttpRequested`"),
            ("", "empty"),
            ("Self", "keyword"),
        ];
        for (name, expected) in cases {
            let err = validate_event_name(name).unwrap_err().to_string();
            assert!(err.contains(expected), "{name}: {err}");
        }
    }

    #[test]
    fn fields_parse_and_reject_clearly() {
        assert_eq!(
            FieldSpec::parse("price:cents", TYPES).unwrap(),
            FieldSpec {
                name: "price".into(),
                kind: "cents".into()
            }
        );
        let cases = [
            ("price", "NAME:TYPE"),
            ("Price:cents", "snake_case"),
            ("type:string", "Rust keyword"),
            (
                "price:money",
                "unknown type `money` (known: string, cents, uuid)",
            ),
            (":string", "empty"),
        ];
        for (spec, expected) in cases {
            let err = FieldSpec::parse(spec, TYPES).unwrap_err().to_string();
            assert!(err.contains(expected), "{spec}: {err}");
        }
    }

    #[test]
    fn duplicate_reserved_and_missing_fields_are_refused() {
        let field = |s: &str| FieldSpec::parse(s, TYPES).unwrap();
        let reserved = vec!["id".to_owned()];
        let err = EventSpec::new(
            "ProductChanged",
            EventRole::Producer,
            vec![field("a:string"), field("a:cents")],
            None,
            &reserved,
        )
        .unwrap_err();
        assert!(err.to_string().contains("given twice"), "{err}");
        let err = EventSpec::new(
            "ProductChanged",
            EventRole::Producer,
            vec![field("id:uuid")],
            None,
            &reserved,
        )
        .unwrap_err();
        assert!(err.to_string().contains("reserved"), "{err}");
        let err = EventSpec::new(
            "ProductChanged",
            EventRole::Producer,
            vec![],
            None,
            &reserved,
        )
        .unwrap_err();
        assert!(err.to_string().contains("--field"), "{err}");
    }

    #[test]
    fn record_round_trip() {
        let spec = EventSpec::new(
            "ProductChanged",
            EventRole::Consumer,
            vec![FieldSpec::parse("price:cents", TYPES).unwrap()],
            Some("product".into()),
            &[],
        )
        .unwrap();
        assert_eq!(
            EventSpec::from_record(&spec.to_record(), TYPES).unwrap(),
            spec
        );
    }
}
