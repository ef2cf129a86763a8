//! A contract as read from a file: JSON or YAML, recognised as an OpenAPI 3.x document or a
//! JSON Schema, with every `$ref` checked to point inside the document.

use serde_json::{Map, Value};

use super::pointer;

/// What kind of contract a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// An OpenAPI 3.0 or 3.1 document: an HTTP API.
    OpenApi,
    /// A JSON Schema on its own: an event's contract (`events/*.json`).
    JsonSchema,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::OpenApi => "an OpenAPI document",
            Kind::JsonSchema => "a JSON Schema",
        })
    }
}

/// A parsed contract whose `$ref`s all resolve.
#[derive(Debug, Clone)]
pub struct Document {
    pub kind: Kind,
    pub root: Value,
}

impl Document {
    /// Parses `text` (JSON, or YAML when it does not start like a JSON object) and recognises
    /// its kind. The error says what is wrong, for the caller to put after the file's name.
    pub fn parse(text: &str) -> Result<Document, String> {
        let root = parse_value(text)?;
        let kind = recognise(&root)?;
        check_refs(&root, &root, "", &mut Vec::new())?;
        Ok(Document { kind, root })
    }
}

fn parse_value(text: &str) -> Result<Value, String> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.is_empty() {
        return Err("empty file: expected a JSON or YAML document".to_owned());
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return serde_json::from_str(trimmed).map_err(|err| format!("not valid JSON: {err}"));
    }
    let yaml: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(trimmed).map_err(|err| format!("not valid JSON or YAML: {err}"))?;
    yaml_to_json(yaml)
}

/// YAML's mappings may have numbers as keys (`200:` under `responses`); JSON's are strings.
fn yaml_to_json(yaml: serde_yaml_ng::Value) -> Result<Value, String> {
    use serde_yaml_ng::Value as Yaml;
    Ok(match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => serde_json::to_value(&n).map_err(|err| format!("a number: {err}"))?,
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(yaml_to_json)
                .collect::<Result<_, _>>()?,
        ),
        Yaml::Mapping(mapping) => {
            let mut object = Map::new();
            for (key, value) in mapping {
                let key = match key {
                    Yaml::String(s) => s,
                    Yaml::Number(n) => n.to_string(),
                    Yaml::Bool(b) => b.to_string(),
                    other => {
                        return Err(format!(
                            "a mapping key that is not a string or number: {other:?}"
                        ));
                    }
                };
                object.insert(key, yaml_to_json(value)?);
            }
            Value::Object(object)
        }
        Yaml::Tagged(tagged) => yaml_to_json(tagged.value)?,
    })
}

fn recognise(root: &Value) -> Result<Kind, String> {
    let Value::Object(object) = root else {
        return Err(format!(
            "the document is {}, not an object: neither an OpenAPI document nor a JSON Schema",
            type_name(root)
        ));
    };
    if let Some(version) = object.get("openapi") {
        return match version.as_str() {
            Some(v) if v.starts_with("3.") => {
                match object.get("paths") {
                    None | Some(Value::Object(_)) => {}
                    Some(other) => {
                        return Err(format!(
                            "`paths` is {}, not an object of paths",
                            type_name(other)
                        ));
                    }
                }
                Ok(Kind::OpenApi)
            }
            Some(v) => Err(format!(
                "OpenAPI version `{v}` is not supported: only OpenAPI 3.x documents are"
            )),
            None => Err(format!(
                "`openapi` is {}, not a version string such as \"3.1.0\"",
                type_name(version)
            )),
        };
    }
    if object.contains_key("swagger") {
        return Err(
            "a Swagger 2.0 document: only OpenAPI 3.x documents are supported (convert it first)"
                .to_owned(),
        );
    }
    const SCHEMA_KEYWORDS: &[&str] = &[
        "$schema",
        "type",
        "properties",
        "$ref",
        "enum",
        "const",
        "allOf",
        "anyOf",
        "oneOf",
        "items",
    ];
    if SCHEMA_KEYWORDS.iter().any(|k| object.contains_key(*k)) {
        return Ok(Kind::JsonSchema);
    }
    Err(
        "neither an OpenAPI document (no `openapi` field) nor a JSON Schema (none of `$schema`, `type`, `properties`, `$ref`, `enum`, `allOf`, `anyOf`, `oneOf`)"
            .to_owned(),
    )
}

/// Every `$ref` must be a local pointer (`#/...`) to something in the document, and no chain
/// of `$ref`s may lead back to itself without a schema in between: the walk that follows them
/// can then trust them.
fn check_refs(
    root: &Value,
    value: &Value,
    at: &str,
    chain: &mut Vec<String>,
) -> Result<(), String> {
    match value {
        Value::Object(object) => {
            if let Some(reference) = object.get("$ref") {
                let Some(reference) = reference.as_str() else {
                    return Err(format!("{at}/$ref: not a string"));
                };
                let target = pointer::ref_target(reference).ok_or_else(|| {
                    format!(
                        "{at}/$ref: `{reference}` is not a reference inside this document (`#/...`); references to other files are not followed"
                    )
                })?;
                let Some(resolved) = pointer::resolve(root, &target) else {
                    return Err(format!(
                        "{at}/$ref: `{reference}` points at nothing in this document"
                    ));
                };
                // A schema whose only content is a `$ref` back up the chain resolves to nothing.
                if is_bare_ref(resolved) {
                    if chain.contains(&target) {
                        chain.push(target);
                        return Err(format!("a `$ref` cycle: {}", chain.join(" -> ")));
                    }
                    chain.push(target.clone());
                    let result = check_refs(root, resolved, &target, chain);
                    chain.pop();
                    result?;
                }
            }
            for (key, child) in object {
                if key == "$ref" {
                    continue;
                }
                check_refs(root, child, &pointer::child(at, key), &mut Vec::new())?;
            }
            Ok(())
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                check_refs(
                    root,
                    child,
                    &pointer::child(at, &index.to_string()),
                    &mut Vec::new(),
                )?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn is_bare_ref(value: &Value) -> bool {
    value
        .as_object()
        .is_some_and(|object| object.len() == 1 && object.contains_key("$ref"))
}

pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_yaml_openapi_documents_are_recognised() {
        let json = Document::parse(r#"{"openapi": "3.1.0", "paths": {}}"#).unwrap();
        assert_eq!(json.kind, Kind::OpenApi);
        let yaml = Document::parse(
            "openapi: 3.0.3\npaths:\n  /a:\n    get:\n      responses:\n        200:\n          description: ok\n",
        )
        .unwrap();
        assert_eq!(yaml.kind, Kind::OpenApi);
        // A numeric YAML key becomes the status code's string.
        assert!(yaml.root["paths"]["/a"]["get"]["responses"]["200"].is_object());
    }

    #[test]
    fn an_event_schema_is_a_json_schema() {
        let doc = Document::parse(
            r#"{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}"#,
        )
        .unwrap();
        assert_eq!(doc.kind, Kind::JsonSchema);
    }

    #[test]
    fn bad_documents_say_what_is_wrong() {
        let err = |text: &str| Document::parse(text).unwrap_err();
        assert!(err("").contains("empty file"));
        assert!(err("{\"openapi\": ").contains("not valid JSON"));
        assert!(err("a: [").contains("not valid JSON or YAML"));
        assert!(err("[1, 2]").contains("an array, not an object"));
        assert!(err(r#"{"swagger": "2.0"}"#).contains("Swagger 2.0"));
        assert!(err(r#"{"openapi": "2.0"}"#).contains("only OpenAPI 3.x"));
        assert!(err(r#"{"name": "x"}"#).contains("neither an OpenAPI document"));
    }

    #[test]
    fn refs_must_point_inside_the_document() {
        let err = Document::parse(
            r##"{"type": "object", "properties": {"a": {"$ref": "other.json#/x"}}}"##,
        )
        .unwrap_err();
        assert!(err.contains("/properties/a/$ref"), "{err}");
        assert!(err.contains("other files are not followed"), "{err}");
        let err = Document::parse(
            r##"{"type": "object", "properties": {"a": {"$ref": "#/$defs/none"}}}"##,
        )
        .unwrap_err();
        assert!(err.contains("points at nothing"), "{err}");
    }

    #[test]
    fn a_ref_chain_back_to_itself_is_refused_but_a_recursive_schema_is_not() {
        let err = Document::parse(
            r##"{"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}}"##,
        )
        .unwrap_err();
        assert!(err.contains("cycle"), "{err}");
        Document::parse(
            r##"{"$ref": "#/$defs/node", "$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}}}}"##,
        )
        .unwrap();
    }
}
