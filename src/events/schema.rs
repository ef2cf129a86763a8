//! Reading an event's fields back from the JSON Schema contract its producer publishes
//! (`events/<event>.v1.json`), so a consumer is generated from the producer's contract instead
//! of a second, hand-typed list of fields that could drift from it.

use std::path::Path;

use serde_json::Value as Json;

use super::spec::FieldSpec;
use crate::error::{Error, Result};

/// The schema keyword the events part writes beside each property, naming its svcgen type.
pub const TYPE_KEYWORD: &str = "x-svcgen-type";

/// The fields of the event described by the schema at `path`, in the schema's order. Properties
/// in `reserved` (carried by every event, such as the aggregate id) are skipped.
pub fn fields_from_schema(
    path: &Path,
    types: &[&str],
    reserved: &[String],
) -> Result<Vec<FieldSpec>> {
    let text = std::fs::read_to_string(path).map_err(|err| Error::io(path, err))?;
    let fail = |message: String| Error::Schema {
        path: path.to_owned(),
        message,
    };
    let schema: Json =
        serde_json::from_str(&text).map_err(|err| fail(format!("not valid JSON: {err}")))?;
    // A CloudEvents envelope schema keeps the event's own fields under `data`.
    let properties = schema
        .pointer("/properties/data/properties")
        .or_else(|| schema.pointer("/properties"))
        .and_then(Json::as_object)
        .ok_or_else(|| fail("has no `properties` (nor `properties.data.properties`)".into()))?;

    let mut fields = Vec::new();
    for (name, property) in properties {
        if reserved.contains(name) {
            continue;
        }
        let kind = match property.get(TYPE_KEYWORD).and_then(Json::as_str) {
            Some(kind) => kind.to_owned(),
            None => infer_type(property).ok_or_else(|| {
                fail(format!(
                    "cannot tell the type of property `{name}`; add \"{TYPE_KEYWORD}\" to it or pass --field {name}:TYPE"
                ))
            })?,
        };
        fields.push(FieldSpec::parse(&format!("{name}:{kind}"), types)?);
    }
    Ok(fields)
}

/// The svcgen type a plain JSON Schema property most likely stands for.
fn infer_type(property: &Json) -> Option<String> {
    let kind = match property.get("type") {
        Some(Json::String(kind)) => kind.as_str(),
        // `["string", "null"]`: the non-null member decides.
        Some(Json::Array(kinds)) => kinds
            .iter()
            .filter_map(Json::as_str)
            .find(|k| *k != "null")?,
        _ => return None,
    };
    let format = property.get("format").and_then(Json::as_str);
    Some(
        match (kind, format) {
            ("string", Some("uuid")) => "uuid",
            ("string", Some("date-time")) => "timestamp",
            ("string", _) => "string",
            ("integer", Some("int32")) => "i32",
            ("integer", _) => "i64",
            ("number", _) => "f64",
            ("boolean", _) => "bool",
            ("object" | "array", _) => "json",
            _ => return None,
        }
        .to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPES: &[&str] = &[
        "string",
        "text",
        "cents",
        "uuid",
        "timestamp",
        "i64",
        "i32",
        "f64",
        "bool",
        "json",
    ];

    #[test]
    fn reads_data_fields_in_order_with_declared_types() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("product-changed.v1.json");
        std::fs::write(
            &path,
            r#"{"properties": {"id": {"type": "string"}, "data": {"properties": {
                "name": {"type": "string"},
                "price": {"type": "integer", "x-svcgen-type": "cents"},
                "owner": {"type": ["string", "null"], "format": "uuid"},
                "at": {"type": "string", "format": "date-time"},
                "id": {"type": "string", "format": "uuid"}
            }}}}"#,
        )
        .unwrap();
        let fields = fields_from_schema(&path, TYPES, &["id".into()]).unwrap();
        let specs: Vec<String> = fields.iter().map(FieldSpec::to_spec).collect();
        assert_eq!(
            specs,
            ["name:string", "price:cents", "owner:uuid", "at:timestamp"]
        );
    }

    #[test]
    fn unknown_shapes_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        std::fs::write(&path, r#"{"properties": {"blob": {}}}"#).unwrap();
        let err = fields_from_schema(&path, TYPES, &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("property `blob`") && err.contains("x.json"),
            "{err}"
        );
    }
}
