//! The OpenAPI walk: paths, operations, parameters, request bodies and responses of two
//! documents matched up, and their schemas handed to the schema rules with the direction
//! they are read in (parameters and bodies: requests; responses: responses).

use serde_json::{Map, Value};

use super::finding::{Direction, Rule, Severity};
use super::pointer;
use super::walk::{Place, Walk};

/// The operations of a path item (OpenAPI 3.0 and 3.1; `query` is 3.2's).
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace", "query",
];

fn object(value: Option<&Value>) -> Map<String, Value> {
    value
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// `/items/{id}` and `/items/{item_id}` are the same path to a client: parameter names in a
/// template are the server's business.
fn path_shape(path: &str) -> String {
    let mut shape = String::with_capacity(path.len());
    let mut in_parameter = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_parameter = true;
                shape.push_str("{}");
            }
            '}' => in_parameter = false,
            c if !in_parameter => shape.push(c),
            _ => {}
        }
    }
    shape
}

/// The names of a path template's parameters, in order.
fn path_parameter_names(path: &str) -> Vec<String> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

/// A parameter as a client sees it: where it goes and its name (a path parameter: its
/// position in the template, since its name is not sent).
#[derive(Debug, Clone, PartialEq, Eq)]
enum ParameterKey {
    Path(usize),
    Named { location: String, name: String },
}

struct Parameter {
    key: ParameterKey,
    value: Map<String, Value>,
    /// Where it is in its document.
    pointer: String,
    label: String,
}

impl Walk<'_> {
    /// Follows a `$ref` (to `components/responses`, `parameters`, `requestBodies`, or a path
    /// item) to what it names, and where that is.
    fn follow(&self, in_new: bool, value: &Value, at: &str) -> (Map<String, Value>, String) {
        let root = if in_new { self.new_root } else { self.old_root };
        let mut current = (object(Some(value)), at.to_owned());
        for _ in 0..64 {
            let Some(target) = current
                .0
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(pointer::ref_target)
            else {
                break;
            };
            let Some(found) = pointer::resolve(root, &target) else {
                break;
            };
            current = (object(Some(found)), target);
        }
        current
    }

    pub(crate) fn compare_openapi(&mut self) {
        let old_paths = object(self.old_root.get("paths"));
        let new_paths = object(self.new_root.get("paths"));
        for (old_path, old_item) in &old_paths {
            let old_at = pointer::child("/paths", old_path);
            let shape = path_shape(old_path);
            let Some((new_path, new_item)) = new_paths.iter().find(|(p, _)| path_shape(p) == shape)
            else {
                self.report(
                    Rule::PathRemoved,
                    Severity::Breaking,
                    old_at,
                    format!("path {old_path} removed: clients calling it get 404"),
                );
                continue;
            };
            let new_at = pointer::child("/paths", new_path);
            let (old_item, old_at) = self.follow(false, old_item, &old_at);
            let (new_item, new_at) = self.follow(true, new_item, &new_at);
            self.compare_path_item(old_path, &old_item, &old_at, new_path, &new_item, &new_at);
        }
        for new_path in new_paths.keys() {
            let shape = path_shape(new_path);
            if !old_paths.keys().any(|p| path_shape(p) == shape) {
                self.report(
                    Rule::PathAdded,
                    Severity::Compatible,
                    pointer::child("/paths", new_path),
                    format!("path {new_path} added"),
                );
            }
        }
    }

    fn compare_path_item(
        &mut self,
        old_path: &str,
        old_item: &Map<String, Value>,
        old_at: &str,
        new_path: &str,
        new_item: &Map<String, Value>,
        new_at: &str,
    ) {
        for method in METHODS {
            let name = format!("{} {new_path}", method.to_uppercase());
            match (old_item.get(*method), new_item.get(*method)) {
                (None, None) => {}
                (Some(_), None) => self.report(
                    Rule::OperationRemoved,
                    Severity::Breaking,
                    pointer::child(old_at, method),
                    format!(
                        "operation {} {old_path} removed: clients calling it get 405 or 404",
                        method.to_uppercase()
                    ),
                ),
                (None, Some(_)) => self.report(
                    Rule::OperationAdded,
                    Severity::Compatible,
                    pointer::child(new_at, method),
                    format!("operation {name} added"),
                ),
                (Some(old_op), Some(new_op)) => {
                    let place = Place {
                        old: pointer::child(old_at, method),
                        new: pointer::child(new_at, method),
                        context: name,
                        field: String::new(),
                    };
                    let old_op = object(Some(old_op));
                    let new_op = object(Some(new_op));
                    let old_parameters =
                        self.parameters(false, old_path, old_item, old_at, &old_op, &place.old);
                    let new_parameters =
                        self.parameters(true, new_path, new_item, new_at, &new_op, &place.new);
                    self.compare_parameters(&old_parameters, &new_parameters, &place);
                    self.compare_request_body(&old_op, &new_op, &place);
                    self.compare_responses(&old_op, &new_op, &place);
                }
            }
        }
    }

    /// An operation's parameters: the path item's, overridden by the operation's own.
    fn parameters(
        &self,
        in_new: bool,
        path: &str,
        item: &Map<String, Value>,
        item_at: &str,
        operation: &Map<String, Value>,
        operation_at: &str,
    ) -> Vec<Parameter> {
        let names = path_parameter_names(path);
        let mut parameters: Vec<Parameter> = Vec::new();
        for (list, at) in [
            (item.get("parameters"), item_at),
            (operation.get("parameters"), operation_at),
        ] {
            let Some(Value::Array(list)) = list else {
                continue;
            };
            for (index, raw) in list.iter().enumerate() {
                let at = pointer::child(&pointer::child(at, "parameters"), &index.to_string());
                let (value, at) = self.follow(in_new, raw, &at);
                let location = value
                    .get("in")
                    .and_then(Value::as_str)
                    .unwrap_or("query")
                    .to_owned();
                let name = value
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                let key = match names.iter().position(|n| *n == name) {
                    Some(position) if location == "path" => ParameterKey::Path(position),
                    _ => ParameterKey::Named {
                        location: location.clone(),
                        name: name.clone(),
                    },
                };
                let label = format!("{location} parameter `{name}`");
                parameters.retain(|p| p.key != key);
                parameters.push(Parameter {
                    key,
                    value,
                    pointer: at,
                    label,
                });
            }
        }
        parameters
    }

    fn compare_parameters(&mut self, old: &[Parameter], new: &[Parameter], operation: &Place) {
        let is_required = |p: &Parameter| {
            p.value.get("required") == Some(&Value::Bool(true))
                || matches!(p.key, ParameterKey::Path(_))
        };
        for old_parameter in old {
            match new.iter().find(|p| p.key == old_parameter.key) {
                None => self.report(
                    Rule::ParameterRemoved,
                    Severity::Compatible,
                    old_parameter.pointer.clone(),
                    format!(
                        "{} removed ({}): clients that still send it are not rejected for it",
                        old_parameter.label, operation.context
                    ),
                ),
                Some(new_parameter) => {
                    let place = Place {
                        old: old_parameter.pointer.clone(),
                        new: new_parameter.pointer.clone(),
                        context: format!("{} of {}", new_parameter.label, operation.context),
                        field: String::new(),
                    };
                    match (is_required(old_parameter), is_required(new_parameter)) {
                        (false, true) => self.report(
                            Rule::ParameterBecameRequired,
                            Severity::Breaking,
                            pointer::child(&new_parameter.pointer, "required"),
                            format!(
                                "{} became required ({}): requests without it are rejected",
                                new_parameter.label, operation.context
                            ),
                        ),
                        (true, false) => self.report(
                            Rule::ParameterBecameOptional,
                            Severity::Compatible,
                            pointer::child(&new_parameter.pointer, "required"),
                            format!(
                                "{} became optional ({})",
                                new_parameter.label, operation.context
                            ),
                        ),
                        _ => {}
                    }
                    let any = Value::Object(Map::new());
                    let old_schema = old_parameter.value.get("schema").unwrap_or(&any);
                    let new_schema = new_parameter.value.get("schema").unwrap_or(&any);
                    let place = place.child("schema");
                    self.compare_schema(old_schema, new_schema, &place, Direction::Request);
                }
            }
        }
        for new_parameter in new {
            if old.iter().any(|p| p.key == new_parameter.key) {
                continue;
            }
            if is_required(new_parameter) {
                self.report(
                    Rule::RequiredParameterAdded,
                    Severity::Breaking,
                    new_parameter.pointer.clone(),
                    format!(
                        "required {} added ({}): requests without it are rejected",
                        new_parameter.label, operation.context
                    ),
                );
            } else {
                self.report(
                    Rule::ParameterAdded,
                    Severity::Compatible,
                    new_parameter.pointer.clone(),
                    format!(
                        "optional {} added ({})",
                        new_parameter.label, operation.context
                    ),
                );
            }
        }
    }

    fn compare_request_body(
        &mut self,
        old_op: &Map<String, Value>,
        new_op: &Map<String, Value>,
        operation: &Place,
    ) {
        let old_at = pointer::child(&operation.old, "requestBody");
        let new_at = pointer::child(&operation.new, "requestBody");
        let old_body = old_op
            .get("requestBody")
            .map(|b| self.follow(false, b, &old_at));
        let new_body = new_op
            .get("requestBody")
            .map(|b| self.follow(true, b, &new_at));
        let required = |body: &Option<(Map<String, Value>, String)>| {
            body.as_ref()
                .is_some_and(|(b, _)| b.get("required") == Some(&Value::Bool(true)))
        };
        let context = &operation.context;
        match (required(&old_body), required(&new_body)) {
            (false, true) => self.report(
                Rule::RequestBodyBecameRequired,
                Severity::Breaking,
                new_at.clone(),
                format!("the request body became required ({context}): requests without one are rejected"),
            ),
            (true, false) if new_body.is_some() => self.report(
                Rule::RequestBodyBecameOptional,
                Severity::Compatible,
                new_at.clone(),
                format!("the request body became optional ({context})"),
            ),
            _ => {}
        }
        let (old_body, new_body) = match (old_body, new_body) {
            (Some(old), Some(new)) => (old, new),
            (Some(_), None) => {
                self.report(
                    Rule::RequestBodyRemoved,
                    Severity::Compatible,
                    old_at,
                    format!("the request body removed ({context}): a body clients still send is not read"),
                );
                return;
            }
            _ => return,
        };
        let old_content = object(old_body.0.get("content"));
        let new_content = object(new_body.0.get("content"));
        let place = Place {
            old: pointer::child(&old_body.1, "content"),
            new: pointer::child(&new_body.1, "content"),
            context: format!("request body of {context}"),
            field: String::new(),
        };
        self.compare_content(
            &old_content,
            &new_content,
            &place,
            Direction::Request,
            (Rule::RequestMediaTypeRemoved, &|media_type| {
                format!("request media type {media_type} removed ({context}): clients sending it get 415")
            }),
            (Rule::RequestMediaTypeAdded, &|media_type| {
                format!("request media type {media_type} added ({context})")
            }),
        );
    }

    /// The media types of a request body or a response (`place` is its `content`): the schemas
    /// of each type both have are compared; a type removed breaks, one added does not, each said
    /// with its rule and message.
    fn compare_content(
        &mut self,
        old_content: &Map<String, Value>,
        new_content: &Map<String, Value>,
        place: &Place,
        direction: Direction,
        removed: (Rule, &dyn Fn(&str) -> String),
        added: (Rule, &dyn Fn(&str) -> String),
    ) {
        for (media_type, old_media) in old_content {
            let media = place.child(media_type);
            let Some(new_media) = new_content.get(media_type) else {
                self.report(
                    removed.0,
                    Severity::Breaking,
                    media.old,
                    removed.1(media_type),
                );
                continue;
            };
            let any = Value::Object(Map::new());
            self.compare_schema(
                old_media.get("schema").unwrap_or(&any),
                new_media.get("schema").unwrap_or(&any),
                &media.child("schema"),
                direction,
            );
        }
        for media_type in new_content.keys().filter(|m| !old_content.contains_key(*m)) {
            self.report(
                added.0,
                Severity::Compatible,
                place.child(media_type).new,
                added.1(media_type),
            );
        }
    }

    fn compare_responses(
        &mut self,
        old_op: &Map<String, Value>,
        new_op: &Map<String, Value>,
        operation: &Place,
    ) {
        let old_responses = object(old_op.get("responses"));
        let new_responses = object(new_op.get("responses"));
        let responses = operation.child("responses");
        let context = &operation.context;
        for (status, old_response) in &old_responses {
            let at = responses.child(status);
            let Some(new_response) = new_responses.get(status) else {
                self.report(
                    Rule::ResponseRemoved,
                    Severity::Breaking,
                    at.old,
                    format!("response {status} removed ({context}): clients handling it get a status they were not written for"),
                );
                continue;
            };
            let (old_response, old_at) = self.follow(false, old_response, &at.old);
            let (new_response, new_at) = self.follow(true, new_response, &at.new);
            let old_content = object(old_response.get("content"));
            let new_content = object(new_response.get("content"));
            let place = Place {
                old: pointer::child(&old_at, "content"),
                new: pointer::child(&new_at, "content"),
                context: format!("response {status} of {context}"),
                field: String::new(),
            };
            self.compare_content(
                &old_content,
                &new_content,
                &place,
                Direction::Response,
                (Rule::ResponseMediaTypeRemoved, &|media_type| {
                    format!("response {status} no longer comes as {media_type} ({context}): clients that read it cannot")
                }),
                (Rule::ResponseMediaTypeAdded, &|media_type| {
                    format!("response {status} may also come as {media_type} ({context})")
                }),
            );
        }
        for status in new_responses
            .keys()
            .filter(|s| !old_responses.contains_key(*s))
        {
            self.report(
                Rule::ResponseAdded,
                Severity::Compatible,
                responses.child(status).new,
                format!("response {status} added ({context})"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_templates_match_whatever_their_parameters_are_called() {
        assert_eq!(
            path_shape("/v1/items/{id}"),
            path_shape("/v1/items/{item_id}")
        );
        assert_ne!(path_shape("/v1/items/{id}"), path_shape("/v1/items"));
        assert_eq!(path_parameter_names("/a/{x}/b/{y}"), ["x", "y"]);
    }
}
