//! One or more cases per rule of `docs/contracts.md`, breaking and compatible.

use serde_json::{Value, json};

use super::*;

fn doc(value: Value) -> Document {
    Document::parse(&value.to_string()).expect("a valid test document")
}

fn diff(old: Value, new: Value) -> Vec<Finding> {
    compare(&doc(old), &doc(new)).expect("same kinds")
}

/// The (rule, severity) of each finding.
fn verdicts(findings: &[Finding]) -> Vec<(Rule, Severity)> {
    findings.iter().map(|f| (f.rule, f.severity)).collect()
}

use Severity::{Breaking, Compatible};

/// An API of one path whose POST takes `request` and whose GET answers 200 with `response`.
fn api(request: Value, response: Value) -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/things": {
                "post": {
                    "requestBody": {"required": true, "content": {"application/json": {"schema": request}}},
                    "responses": {"201": {"description": "created"}}
                },
                "get": {
                    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": response}}}}
                }
            }
        }
    })
}

fn request_diff(old: Value, new: Value) -> Vec<Finding> {
    diff(api(old, json!({})), api(new, json!({})))
}

fn response_diff(old: Value, new: Value) -> Vec<Finding> {
    diff(api(json!({}), old), api(json!({}), new))
}

fn object(properties: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": properties, "required": required})
}

fn event(data: Value) -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "ThingChanged v1",
        "type": "object",
        "required": ["id", "data"],
        "properties": {"id": {"type": "string", "format": "uuid"}, "data": data}
    })
}

const REQUEST_POINTER: &str = "/paths/~1things/post/requestBody/content/application~1json/schema";
const RESPONSE_POINTER: &str = "/paths/~1things/get/responses/200/content/application~1json/schema";

#[test]
fn identical_documents_have_no_findings() {
    let document = api(
        object(json!({"name": {"type": "string"}}), &["name"]),
        json!({"type": "array"}),
    );
    assert_eq!(diff(document.clone(), document), []);
}

#[test]
fn a_removed_path_breaks_and_an_added_one_does_not() {
    let old = api(json!({}), json!({}));
    let mut new = old.clone();
    let item = new["paths"]["/things"].take();
    new["paths"] = json!({"/others": item});
    let findings = diff(old, new);
    assert_eq!(
        verdicts(&findings),
        [(Rule::PathRemoved, Breaking), (Rule::PathAdded, Compatible)]
    );
    assert_eq!(findings[0].pointer, "/paths/~1things");
    assert_eq!(findings[1].pointer, "/paths/~1others");
}

#[test]
fn renaming_a_path_parameter_changes_nothing_for_clients() {
    let path = |name: &str| {
        json!({
            "openapi": "3.1.0",
            "paths": {format!("/things/{{{name}}}"): {"get": {
                "parameters": [{"name": name, "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}}
            }}}
        })
    };
    assert_eq!(diff(path("id"), path("thing_id")), []);
}

#[test]
fn a_removed_operation_breaks_and_an_added_one_does_not() {
    let old = api(json!({}), json!({}));
    let mut new = old.clone();
    let get = new["paths"]["/things"]["get"].take();
    new["paths"]["/things"]
        .as_object_mut()
        .unwrap()
        .remove("get");
    new["paths"]["/things"]["delete"] = get;
    let findings = diff(old, new);
    assert_eq!(
        verdicts(&findings),
        [
            (Rule::OperationRemoved, Breaking),
            (Rule::OperationAdded, Compatible)
        ]
    );
    assert_eq!(findings[0].pointer, "/paths/~1things/get");
}

#[test]
fn a_removed_response_status_breaks_and_an_added_one_does_not() {
    let old = api(json!({}), json!({}));
    let mut new = old.clone();
    let responses = &mut new["paths"]["/things"]["post"]["responses"];
    responses.as_object_mut().unwrap().remove("201");
    responses["200"] = json!({"description": "ok"});
    let findings = diff(old, new);
    assert_eq!(
        verdicts(&findings),
        [
            (Rule::ResponseRemoved, Breaking),
            (Rule::ResponseAdded, Compatible)
        ]
    );
    assert_eq!(findings[0].pointer, "/paths/~1things/post/responses/201");
}

#[test]
fn a_removed_response_property_breaks() {
    let findings = response_diff(
        object(
            json!({"id": {"type": "string"}, "name": {"type": "string"}}),
            &["id"],
        ),
        object(json!({"id": {"type": "string"}}), &["id"]),
    );
    assert_eq!(verdicts(&findings), [(Rule::PropertyRemoved, Breaking)]);
    assert_eq!(
        findings[0].pointer,
        format!("{RESPONSE_POINTER}/properties/name")
    );
    assert!(
        findings[0].message.starts_with("`name`: property removed"),
        "{}",
        findings[0].message
    );
}

#[test]
fn a_removed_request_property_is_compatible_unless_unknown_ones_are_rejected() {
    let old = object(
        json!({"name": {"type": "string"}, "note": {"type": "string"}}),
        &[],
    );
    let new = object(json!({"name": {"type": "string"}}), &[]);
    assert_eq!(
        verdicts(&request_diff(old.clone(), new.clone())),
        [(Rule::PropertyRemoved, Compatible)]
    );
    let mut strict = new;
    strict["additionalProperties"] = json!(false);
    assert_eq!(
        verdicts(&request_diff(old, strict)),
        [
            (Rule::PropertyRemoved, Breaking),
            (Rule::AdditionalPropertiesForbidden, Breaking)
        ]
    );
}

#[test]
fn a_required_request_property_added_breaks_an_optional_one_does_not() {
    let old = object(json!({"name": {"type": "string"}}), &["name"]);
    let required = object(
        json!({"name": {"type": "string"}, "sku": {"type": "string"}}),
        &["name", "sku"],
    );
    let optional = object(
        json!({"name": {"type": "string"}, "sku": {"type": "string"}}),
        &["name"],
    );
    assert_eq!(
        verdicts(&request_diff(old.clone(), required)),
        [(Rule::RequiredPropertyAdded, Breaking)]
    );
    assert_eq!(
        verdicts(&request_diff(old, optional)),
        [(Rule::PropertyAdded, Compatible)]
    );
}

#[test]
fn a_request_property_that_became_required_breaks_and_optional_does_not() {
    let optional = object(json!({"name": {"type": "string"}}), &[]);
    let required = object(json!({"name": {"type": "string"}}), &["name"]);
    let findings = request_diff(optional.clone(), required.clone());
    assert_eq!(
        verdicts(&findings),
        [(Rule::PropertyBecameRequired, Breaking)]
    );
    assert_eq!(
        findings[0].pointer,
        format!("{REQUEST_POINTER}/properties/name")
    );
    assert_eq!(
        verdicts(&request_diff(required, optional)),
        [(Rule::PropertyBecameOptional, Compatible)]
    );
}

#[test]
fn a_response_property_that_became_optional_breaks_and_required_does_not() {
    let optional = object(json!({"name": {"type": "string"}}), &[]);
    let required = object(json!({"name": {"type": "string"}}), &["name"]);
    assert_eq!(
        verdicts(&response_diff(required.clone(), optional.clone())),
        [(Rule::PropertyBecameOptional, Breaking)]
    );
    assert_eq!(
        verdicts(&response_diff(optional, required)),
        [(Rule::PropertyBecameRequired, Compatible)]
    );
}

fn with_parameters(parameters: Value) -> Value {
    json!({
        "openapi": "3.0.3",
        "paths": {"/things": {"get": {"parameters": parameters, "responses": {"200": {"description": "ok"}}}}}
    })
}

#[test]
fn a_required_parameter_added_breaks_an_optional_one_does_not() {
    let old = with_parameters(json!([]));
    let required = with_parameters(json!([{"name": "tenant", "in": "header", "required": true}]));
    let optional =
        with_parameters(json!([{"name": "limit", "in": "query", "schema": {"type": "integer"}}]));
    let findings = diff(old.clone(), required);
    assert_eq!(
        verdicts(&findings),
        [(Rule::RequiredParameterAdded, Breaking)]
    );
    assert_eq!(findings[0].pointer, "/paths/~1things/get/parameters/0");
    assert_eq!(
        verdicts(&diff(old, optional)),
        [(Rule::ParameterAdded, Compatible)]
    );
}

#[test]
fn a_parameter_that_became_required_breaks_and_a_removed_one_does_not() {
    let optional =
        with_parameters(json!([{"name": "limit", "in": "query", "schema": {"type": "integer"}}]));
    let required = with_parameters(
        json!([{"name": "limit", "in": "query", "required": true, "schema": {"type": "integer"}}]),
    );
    let findings = diff(optional.clone(), required.clone());
    assert_eq!(
        verdicts(&findings),
        [(Rule::ParameterBecameRequired, Breaking)]
    );
    assert_eq!(
        findings[0].pointer,
        "/paths/~1things/get/parameters/0/required"
    );
    assert_eq!(
        verdicts(&diff(required, optional.clone())),
        [(Rule::ParameterBecameOptional, Compatible)]
    );
    assert_eq!(
        verdicts(&diff(optional, with_parameters(json!([])))),
        [(Rule::ParameterRemoved, Compatible)]
    );
}

#[test]
fn a_parameter_schema_is_read_as_a_request() {
    let old = with_parameters(
        json!([{"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 100}}]),
    );
    let new = with_parameters(
        json!([{"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 50}}]),
    );
    let findings = diff(old, new);
    assert_eq!(verdicts(&findings), [(Rule::ConstraintTightened, Breaking)]);
    assert_eq!(
        findings[0].pointer,
        "/paths/~1things/get/parameters/0/schema/maximum"
    );
    assert!(
        findings[0]
            .message
            .contains("maximum lowered from 100 to 50"),
        "{}",
        findings[0].message
    );
}

#[test]
fn an_incompatible_type_change_breaks_both_ways() {
    let string = object(json!({"price": {"type": "string"}}), &["price"]);
    let integer = object(json!({"price": {"type": "integer"}}), &["price"]);
    for findings in [
        request_diff(string.clone(), integer.clone()),
        response_diff(string, integer),
    ] {
        assert_eq!(verdicts(&findings), [(Rule::TypeChanged, Breaking)]);
        assert!(findings[0].pointer.ends_with("/properties/price/type"));
        assert!(findings[0].message.contains("from string to integer"));
    }
}

#[test]
fn integer_to_number_widens_compatible_in_requests_breaking_in_responses() {
    let integer = json!({"type": "integer"});
    let number = json!({"type": "number"});
    assert_eq!(
        verdicts(&request_diff(integer.clone(), number.clone())),
        [(Rule::TypeWidened, Compatible)]
    );
    assert_eq!(
        verdicts(&response_diff(integer.clone(), number.clone())),
        [(Rule::TypeWidened, Breaking)]
    );
    assert_eq!(
        verdicts(&request_diff(number, integer)),
        [(Rule::TypeNarrowed, Breaking)]
    );
}

#[test]
fn a_response_value_that_may_now_be_null_breaks() {
    let findings = response_diff(
        json!({"type": "string"}),
        json!({"type": ["string", "null"]}),
    );
    assert_eq!(verdicts(&findings), [(Rule::TypeWidened, Breaking)]);
    assert!(findings[0].message.contains("may now be null"));
    assert_eq!(
        verdicts(&request_diff(
            json!({"type": "string"}),
            json!({"type": "string", "nullable": true})
        )),
        [(Rule::TypeWidened, Compatible)]
    );
}

#[test]
fn a_nullable_one_of_is_the_same_as_a_nullable_type() {
    let schemas = json!({"Money": {"type": "integer"}});
    let with = |schema: Value| {
        let mut document = api(json!({}), schema);
        document["components"] = json!({"schemas": schemas.clone()});
        document
    };
    let old = with(json!({"type": ["integer", "null"]}));
    let new = with(json!({"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Money"}]}));
    assert_eq!(diff(old, new), []);
}

#[test]
fn a_removed_enum_value_breaks_requests_not_responses() {
    let old = json!({"type": "string", "enum": ["red", "green", "blue"]});
    let new = json!({"type": "string", "enum": ["red", "green"]});
    let findings = request_diff(old.clone(), new.clone());
    assert_eq!(verdicts(&findings), [(Rule::EnumValueRemoved, Breaking)]);
    assert_eq!(findings[0].pointer, format!("{REQUEST_POINTER}/enum"));
    assert!(findings[0].message.contains("\"blue\""));
    assert_eq!(
        verdicts(&response_diff(old, new)),
        [(Rule::EnumValueRemoved, Compatible)]
    );
}

#[test]
fn an_added_enum_value_breaks_responses_not_requests() {
    let old = json!({"enum": ["created", "updated"]});
    let new = json!({"enum": ["created", "updated", "archived"]});
    assert_eq!(
        verdicts(&response_diff(old.clone(), new.clone())),
        [(Rule::EnumValueAdded, Breaking)]
    );
    assert_eq!(
        verdicts(&request_diff(old, new)),
        [(Rule::EnumValueAdded, Compatible)]
    );
}

#[test]
fn an_enum_added_narrows_and_one_removed_widens() {
    let free = json!({"type": "string"});
    let closed = json!({"type": "string", "enum": ["a"]});
    assert_eq!(
        verdicts(&request_diff(free.clone(), closed.clone())),
        [(Rule::EnumAdded, Breaking)]
    );
    assert_eq!(
        verdicts(&response_diff(closed, free)),
        [(Rule::EnumRemoved, Breaking)]
    );
}

#[test]
fn a_lowered_max_length_breaks_requests_and_a_raised_one_does_not() {
    let at = |n: u64| json!({"type": "string", "maxLength": n});
    let findings = request_diff(at(100), at(50));
    assert_eq!(verdicts(&findings), [(Rule::ConstraintTightened, Breaking)]);
    assert_eq!(findings[0].pointer, format!("{REQUEST_POINTER}/maxLength"));
    assert_eq!(
        verdicts(&request_diff(at(50), at(100))),
        [(Rule::ConstraintLoosened, Compatible)]
    );
    assert_eq!(
        verdicts(&response_diff(at(50), at(100))),
        [(Rule::ConstraintLoosened, Breaking)]
    );
}

#[test]
fn a_raised_minimum_or_an_added_bound_breaks_requests() {
    let findings = request_diff(
        json!({"type": "integer", "minimum": 0}),
        json!({"type": "integer", "minimum": 1}),
    );
    assert_eq!(verdicts(&findings), [(Rule::ConstraintTightened, Breaking)]);
    assert!(findings[0].message.contains("minimum raised from 0 to 1"));
    assert_eq!(
        verdicts(&request_diff(
            json!({"type": "array"}),
            json!({"type": "array", "maxItems": 10, "uniqueItems": true})
        )),
        [
            (Rule::ConstraintTightened, Breaking),
            (Rule::ConstraintTightened, Breaking)
        ]
    );
    assert_eq!(
        verdicts(&request_diff(
            json!({"type": "number", "multipleOf": 2}),
            json!({"type": "number", "multipleOf": 1})
        )),
        [(Rule::ConstraintLoosened, Compatible)]
    );
}

#[test]
fn an_added_pattern_breaks_requests_a_removed_one_does_not_and_a_changed_one_always_breaks() {
    let free = json!({"type": "string"});
    let sku = json!({"type": "string", "pattern": "^[A-Z]{3}$"});
    let other = json!({"type": "string", "pattern": "^[0-9]+$"});
    assert_eq!(
        verdicts(&request_diff(free.clone(), sku.clone())),
        [(Rule::PatternAdded, Breaking)]
    );
    assert_eq!(
        verdicts(&request_diff(sku.clone(), free)),
        [(Rule::PatternRemoved, Compatible)]
    );
    assert_eq!(
        verdicts(&response_diff(sku, other)),
        [(Rule::PatternChanged, Breaking)]
    );
}

#[test]
fn a_narrowed_format_breaks_requests_and_a_widened_one_responses() {
    let int = |format: &str| json!({"type": "integer", "format": format});
    assert_eq!(
        verdicts(&request_diff(int("int64"), int("int32"))),
        [(Rule::FormatNarrowed, Breaking)]
    );
    assert_eq!(
        verdicts(&request_diff(int("int32"), int("int64"))),
        [(Rule::FormatWidened, Compatible)]
    );
    assert_eq!(
        verdicts(&response_diff(int("int32"), int("int64"))),
        [(Rule::FormatWidened, Breaking)]
    );
    assert_eq!(
        verdicts(&request_diff(
            json!({"type": "string"}),
            json!({"type": "string", "format": "uuid"})
        )),
        [(Rule::FormatNarrowed, Breaking)]
    );
    assert_eq!(
        verdicts(&response_diff(
            json!({"type": "string", "format": "uuid"}),
            json!({"type": "string", "format": "date"})
        )),
        [(Rule::FormatChanged, Breaking)]
    );
}

#[test]
fn a_request_body_that_became_required_breaks() {
    let mut old = api(json!({}), json!({}));
    old["paths"]["/things"]["post"]["requestBody"]["required"] = json!(false);
    let new = api(json!({}), json!({}));
    let findings = diff(old.clone(), new.clone());
    assert_eq!(
        verdicts(&findings),
        [(Rule::RequestBodyBecameRequired, Breaking)]
    );
    assert_eq!(findings[0].pointer, "/paths/~1things/post/requestBody");
    assert_eq!(
        verdicts(&diff(new.clone(), old)),
        [(Rule::RequestBodyBecameOptional, Compatible)]
    );
    let mut without = new.clone();
    without["paths"]["/things"]["post"]
        .as_object_mut()
        .unwrap()
        .remove("requestBody");
    assert_eq!(
        verdicts(&diff(new, without)),
        [(Rule::RequestBodyRemoved, Compatible)]
    );
}

#[test]
fn a_removed_media_type_breaks_requests_and_responses() {
    let old = api(json!({}), json!({}));
    let mut new = old.clone();
    let body = &mut new["paths"]["/things"]["post"]["requestBody"]["content"];
    *body = json!({"application/xml": {}});
    let ok = &mut new["paths"]["/things"]["get"]["responses"]["200"]["content"];
    *ok = json!({"text/csv": {}});
    assert_eq!(
        verdicts(&diff(old, new)),
        // GET is walked before POST.
        [
            (Rule::ResponseMediaTypeRemoved, Breaking),
            (Rule::RequestMediaTypeRemoved, Breaking),
            (Rule::ResponseMediaTypeAdded, Compatible),
            (Rule::RequestMediaTypeAdded, Compatible),
        ]
    );
}

/// Two operations answer with `#/components/schemas/Thing`, and a response component too.
fn shared_component(thing: Value) -> Value {
    json!({
        "openapi": "3.1.0",
        "paths": {
            "/things": {"get": {"responses": {"200": {"$ref": "#/components/responses/Things"}}}},
            "/things/{id}": {"get": {
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}}
            }}
        },
        "components": {
            "responses": {"Things": {"description": "ok", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}}
            }}}}},
            "schemas": {"Thing": thing}
        }
    })
}

#[test]
fn a_change_in_a_shared_component_is_reported_once_at_the_component() {
    let old = shared_component(object(
        json!({"id": {"type": "string"}, "name": {"type": "string"}}),
        &["id", "name"],
    ));
    let new = shared_component(object(json!({"id": {"type": "string"}}), &["id"]));
    let findings = diff(old, new);
    assert_eq!(verdicts(&findings), [(Rule::PropertyRemoved, Breaking)]);
    assert_eq!(
        findings[0].pointer,
        "/components/schemas/Thing/properties/name"
    );
    // Where it was first met: the list, through the response component.
    assert!(
        findings[0].message.contains("`items[].name`"),
        "{}",
        findings[0].message
    );
    assert!(
        findings[0].message.contains("GET /things"),
        "{}",
        findings[0].message
    );
}

#[test]
fn a_recursive_schema_is_compared_without_looping() {
    let node = |extra: Value| {
        let mut properties =
            json!({"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}});
        properties
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({"$ref": "#/$defs/Node", "$defs": {"Node": {"type": "object", "properties": properties, "required": ["children"]}}})
    };
    let findings = diff(
        node(json!({"label": {"type": "string"}})),
        node(json!({"label": {"type": "integer"}})),
    );
    assert_eq!(verdicts(&findings), [(Rule::TypeChanged, Breaking)]);
    assert_eq!(findings[0].pointer, "/$defs/Node/properties/label/type");
}

#[test]
fn all_of_parts_are_merged() {
    let with_part =
        |part: Value| json!({"allOf": [object(json!({"id": {"type": "string"}}), &["id"]), part]});
    let old = with_part(object(json!({"name": {"type": "string"}}), &["name"]));
    let new = with_part(object(
        json!({"name": {"type": "string"}, "sku": {"type": "string"}}),
        &["name", "sku"],
    ));
    assert_eq!(
        verdicts(&request_diff(old, new)),
        [(Rule::RequiredPropertyAdded, Breaking)]
    );
}

#[test]
fn alternatives_added_widen_and_removed_narrow() {
    let two = json!({"oneOf": [{"type": "string"}, {"type": "integer"}]});
    let three = json!({"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]});
    assert_eq!(
        verdicts(&response_diff(two.clone(), three.clone())),
        [(Rule::AlternativeAdded, Breaking)]
    );
    assert_eq!(
        verdicts(&request_diff(three, two)),
        [(Rule::AlternativeRemoved, Breaking)]
    );
}

#[test]
fn map_values_are_compared_like_properties() {
    let map = |value: Value| json!({"type": "object", "additionalProperties": value});
    assert_eq!(
        verdicts(&response_diff(
            map(json!({"type": "integer"})),
            map(json!({"type": "string"}))
        )),
        [(Rule::TypeChanged, Breaking)]
    );
    assert_eq!(
        verdicts(&response_diff(map(json!(false)), map(json!(true)))),
        [(Rule::AdditionalPropertiesAllowed, Breaking)]
    );
}

#[test]
fn an_event_field_removed_breaks_and_a_rename_is_named() {
    let old = event(object(
        json!({"name": {"type": "string"}, "price": {"type": "integer"}}),
        &["name", "price"],
    ));
    let new = event(object(
        json!({"name": {"type": "string"}, "price_cents": {"type": "integer"}}),
        &["name", "price_cents"],
    ));
    let findings = diff(old, new);
    assert_eq!(
        verdicts(&findings),
        [
            (Rule::PropertyRemoved, Breaking),
            (Rule::RequiredPropertyAdded, Breaking)
        ]
    );
    assert_eq!(findings[0].pointer, "/properties/data/properties/price");
    assert!(
        findings[0].message.contains("renamed to `price_cents`?"),
        "{}",
        findings[0].message
    );
    assert!(
        findings[0].message.contains("`data.price`"),
        "{}",
        findings[0].message
    );
    assert!(
        findings[0].message.contains("event ThingChanged v1"),
        "{}",
        findings[0].message
    );
}

#[test]
fn an_event_field_type_change_breaks() {
    let old = event(object(json!({"stock": {"type": "integer"}}), &["stock"]));
    let new = event(object(json!({"stock": {"type": "string"}}), &["stock"]));
    assert_eq!(verdicts(&diff(old, new)), [(Rule::TypeChanged, Breaking)]);
}

#[test]
fn a_new_required_event_field_breaks_an_optional_one_does_not() {
    let old = event(object(json!({"name": {"type": "string"}}), &["name"]));
    let required = event(object(
        json!({"name": {"type": "string"}, "sku": {"type": "string"}}),
        &["name", "sku"],
    ));
    let optional = event(object(
        json!({"name": {"type": "string"}, "sku": {"type": "string"}}),
        &["name"],
    ));
    let findings = diff(old.clone(), required);
    assert_eq!(
        verdicts(&findings),
        [(Rule::RequiredPropertyAdded, Breaking)]
    );
    assert!(
        findings[0].message.contains("events already in the stream"),
        "{}",
        findings[0].message
    );
    assert_eq!(
        verdicts(&diff(old, optional)),
        [(Rule::PropertyAdded, Compatible)]
    );
}

#[test]
fn event_enums_break_in_both_directions() {
    let with = |values: Value| event(object(json!({"change": {"enum": values}}), &["change"]));
    let findings = diff(
        with(json!(["created", "deleted"])),
        with(json!(["created", "deleted", "archived"])),
    );
    assert_eq!(verdicts(&findings), [(Rule::EnumValueAdded, Breaking)]);
    assert!(
        findings[0]
            .message
            .contains("consumers built on the old contract")
    );
    assert_eq!(
        verdicts(&diff(
            with(json!(["created", "deleted"])),
            with(json!(["created"]))
        )),
        [(Rule::EnumValueRemoved, Breaking)]
    );
}

#[test]
fn event_defs_are_followed() {
    let with = |money: Value| {
        let mut schema = event(object(
            json!({"price": {"$ref": "#/$defs/Money"}}),
            &["price"],
        ));
        schema["$defs"] = json!({"Money": money});
        schema
    };
    let findings = diff(
        with(json!({"type": "integer", "format": "int64"})),
        with(json!({"type": "integer", "format": "int32"})),
    );
    assert_eq!(verdicts(&findings), [(Rule::FormatNarrowed, Breaking)]);
    assert_eq!(findings[0].pointer, "/$defs/Money/format");
}

#[test]
fn descriptions_and_extensions_change_nothing() {
    let old = event(object(
        json!({"name": {"type": "string", "description": "a"}}),
        &["name"],
    ));
    let new = event(object(
        json!({"name": {"type": "string", "description": "b", "x-svcgen-type": "text"}}),
        &["name"],
    ));
    assert_eq!(diff(old, new), []);
}

#[test]
fn a_yaml_document_equals_its_json() {
    let json = api(
        object(json!({"name": {"type": "string"}}), &["name"]),
        json!({"type": "string"}),
    );
    let yaml = serde_yaml_ng::to_string(&json).unwrap();
    let findings = compare(&doc(json), &Document::parse(&yaml).unwrap()).unwrap();
    assert_eq!(findings, []);
}

#[test]
fn an_openapi_document_is_not_compared_with_an_event_schema() {
    let err = compare(&doc(api(json!({}), json!({}))), &doc(event(json!({})))).unwrap_err();
    assert!(
        err.contains("an OpenAPI document and the new one a JSON Schema"),
        "{err}"
    );
}

#[test]
fn breaking_findings_come_first() {
    // The walk meets the parameter (compatible) before the body (breaking).
    let mut old = api(json!({"type": "string"}), json!({}));
    let mut new = api(json!({"type": "string", "maxLength": 5}), json!({}));
    old["paths"]["/things"]["post"]["parameters"] = json!([]);
    new["paths"]["/things"]["post"]["parameters"] = json!([{"name": "dry_run", "in": "query"}]);
    assert_eq!(
        verdicts(&diff(old, new)),
        [
            (Rule::ConstraintTightened, Breaking),
            (Rule::ParameterAdded, Compatible)
        ]
    );
}
