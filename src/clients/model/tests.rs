use serde_json::json;

use super::*;

fn types() -> TypeMap {
    let pairs = [
        ("string", "String"),
        ("string:uuid", "uuid::Uuid"),
        ("string:date-time", "chrono::DateTime<chrono::Utc>"),
        ("integer", "i64"),
        ("integer:int32", "i32"),
        ("integer:int64", "i64"),
        ("number", "f64"),
        ("boolean", "bool"),
        ("any", "serde_json::Value"),
        ("array", "Vec<{item}>"),
        ("map", "std::collections::BTreeMap<String, {value}>"),
        ("optional", "Option<{inner}>"),
    ];
    TypeMap {
        scalars: pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn product_document() -> Value {
    let text = include_str!("../../../examples/product/api/openapi.json");
    serde_json::from_str(text).expect("the example's contract is JSON")
}

fn operation<'m>(model: &'m ApiModel, ident: &str) -> &'m Operation {
    model
        .operations
        .iter()
        .find(|op| op.ident == ident)
        .unwrap_or_else(|| panic!("no operation {ident}"))
}

fn type_def<'m>(model: &'m ApiModel, name: &str) -> &'m TypeDef {
    model
        .types
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no type {name}"))
}

fn refused(document: Value) -> Unsupported {
    match model(&document, &types()) {
        Err(err) => err,
        Ok(model) => panic!("modelled: {model:?}"),
    }
}

fn one_operation(operation: Value) -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/things/{id}": {"post": operation}},
    })
}

#[test]
fn the_product_contract_gives_every_operation_with_its_types() {
    let model = model(&product_document(), &types()).unwrap();
    let idents: Vec<&str> = model
        .operations
        .iter()
        .map(|op| op.ident.as_str())
        .collect();
    assert_eq!(
        idents,
        [
            "livez",
            "readyz",
            "list_products",
            "create_product",
            "get_product",
            "update_product",
            "delete_product"
        ]
    );

    let get = operation(&model, "get_product");
    assert_eq!(get.method, "GET");
    assert!(get.idempotent);
    assert_eq!(get.response_type.as_deref(), Some("ProductResponse"));
    assert_eq!(get.path_params[0].rust_type, "uuid::Uuid");
    let segments: Vec<(Option<&str>, Option<&str>)> = get
        .segments
        .iter()
        .map(|s| (s.literal.as_deref(), s.param.as_deref()))
        .collect();
    assert_eq!(
        segments,
        [
            (Some("v1"), None),
            (Some("products"), None),
            (None, Some("id"))
        ]
    );
    assert!(get.error_statuses.contains(&404));

    let create = operation(&model, "create_product");
    assert!(!create.idempotent, "POST is not sent twice");
    assert_eq!(create.status, 201);
    assert_eq!(
        create.body.as_ref().map(|b| b.rust_type.as_str()),
        Some("CreateProduct")
    );
    assert_eq!(operation(&model, "delete_product").response_type, None);

    let fields = &type_def(&model, "CreateProduct").fields;
    let description = fields.iter().find(|f| f.name == "description").unwrap();
    assert_eq!(description.rust_type, "Option<String>");
    assert!(!description.required);
    let price = fields.iter().find(|f| f.name == "price_cents").unwrap();
    assert_eq!((price.rust_type.as_str(), price.required), ("i64", true));
}

#[test]
fn a_page_of_a_collection_is_the_shared_envelope_of_the_component_it_inlines() {
    let model = model(&product_document(), &types()).unwrap();
    let list = operation(&model, "list_products");
    assert_eq!(
        list.page.as_ref().map(|p| p.item_type.as_str()),
        Some("ProductResponse"),
        "the inlined item schema is ProductResponse's"
    );
    assert_eq!(list.response_type, None);
    assert!(model.paginated);
    let query = type_def(&model, list.query_type.as_deref().unwrap());
    let names: Vec<&str> = query.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["limit", "offset", "category", "q", "in_stock"]);
    assert!(
        query
            .fields
            .iter()
            .all(|f| f.rust_type.starts_with("Option<"))
    );
    for unused in [
        "Page_ProductResponse",
        "PagePageProductResponse",
        "Problem",
        "PageInfo",
    ] {
        assert!(
            model.types.iter().all(|t| t.name != unused),
            "{unused} is not used by a client"
        );
    }
}

#[test]
fn names_that_are_rust_keywords_stay_fields_with_their_json_names() {
    let document = one_operation(json!({
        "operationId": "makeThing",
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
        "requestBody": {"content": {"application/json": {"schema": {
            "type": "object",
            "required": ["type"],
            "properties": {
                "type": {"type": "string", "enum": ["big-one", "small"]},
                "self": {"type": "integer", "format": "int32"},
                "tags": {"type": "object", "additionalProperties": {"type": "number"}}
            }
        }}}},
        "responses": {"204": {"description": "made"}}
    }));
    let model = model(&document, &types()).unwrap();
    let op = operation(&model, "make_thing");
    assert!(op.path_params[0].is_string);
    let body = type_def(&model, "MakeThingBody");
    let field = |name: &str| body.fields.iter().find(|f| f.name == name).unwrap();
    assert_eq!(field("type").ident, "r#type");
    assert!(!field("type").renamed, "serde strips r#");
    assert_eq!(field("self").ident, "self_");
    assert!(field("self").renamed);
    assert_eq!(
        field("tags").rust_type,
        "Option<std::collections::BTreeMap<String, f64>>"
    );
    let kind = type_def(&model, &field("type").inner_type);
    assert_eq!(kind.kind, "enum");
    let variants: Vec<(&str, &str)> = kind
        .variants
        .iter()
        .map(|v| (v.ident.as_str(), v.value.as_str()))
        .collect();
    assert_eq!(variants, [("BigOne", "big-one"), ("Small", "small")]);
}

#[test]
fn what_the_client_cannot_express_is_refused_with_its_pointer() {
    let path_param =
        json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}});
    let cases = [
        (
            json!({"parameters": [path_param, {"name": "x", "in": "header", "schema": {"type": "string"}}],
                   "responses": {"204": {"description": ""}}}),
            "/paths/~1things~1{id}/post/parameters/1",
            "in `header`",
        ),
        (
            json!({"parameters": [path_param],
                   "requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object"}}}},
                   "responses": {"204": {"description": ""}}}),
            "/paths/~1things~1{id}/post/requestBody/content",
            "JSON",
        ),
        (
            json!({"parameters": [path_param],
                   "requestBody": {"content": {"application/json": {"schema": {
                       "oneOf": [{"type": "string"}, {"type": "integer"}]}}}},
                   "responses": {"204": {"description": ""}}}),
            "/paths/~1things~1{id}/post/requestBody/content/application~1json/schema",
            "oneOf",
        ),
        (
            json!({"parameters": [path_param], "responses": {"404": {"description": ""}}}),
            "/paths/~1things~1{id}/post/responses",
            "no 2xx",
        ),
        (
            json!({"responses": {"204": {"description": ""}}}),
            "/paths/~1things~1{id}/post",
            "not a path parameter",
        ),
        (
            json!({"parameters": [path_param, {"name": "ids", "in": "query",
                   "schema": {"type": "array", "items": {"type": "string"}}}],
                   "responses": {"204": {"description": ""}}}),
            "/paths/~1things~1{id}/post/parameters/1/schema",
            "is an array",
        ),
    ];
    for (operation, pointer, words) in cases {
        let err = refused(one_operation(operation.clone()));
        assert_eq!(err.pointer, pointer, "{operation}: {err:?}");
        assert!(err.message.contains(words), "{operation}: {}", err.message);
    }
}

#[test]
fn a_nullable_union_is_an_option_and_formats_pick_their_type() {
    let document = one_operation(json!({
        "parameters": [{"name": "id", "in": "path", "required": true,
                        "schema": {"type": "string", "format": "uuid"}}],
        "responses": {"200": {"description": "", "content": {"application/json": {"schema": {
            "type": "object",
            "required": ["at", "note"],
            "properties": {
                "at": {"type": "string", "format": "date-time"},
                "note": {"anyOf": [{"type": "string", "format": "email"}, {"type": "null"}]},
                "anything": {}
            }
        }}}}}
    }));
    let model = model(&document, &types()).unwrap();
    let op = &model.operations[0];
    assert_eq!(op.ident, "post_things_id");
    assert!(!op.path_params[0].is_string);
    let response = type_def(&model, op.response_type.as_deref().unwrap());
    let field = |name: &str| response.fields.iter().find(|f| f.name == name).unwrap();
    assert_eq!(field("at").rust_type, "chrono::DateTime<chrono::Utc>");
    assert_eq!(
        field("note").rust_type,
        "Option<String>",
        "an unknown format is its type's"
    );
    assert!(field("note").required && field("note").nullable);
    assert_eq!(field("anything").rust_type, "Option<serde_json::Value>");
}

#[test]
fn identifiers_are_always_rust() {
    assert_eq!(rust_ident("type"), "r#type");
    assert_eq!(rust_ident("crate"), "crate_");
    assert_eq!(rust_ident("2fa_code"), "_2fa_code");
    assert_eq!(rust_ident("x-request"), "x_request");
    assert_eq!(type_ident("Page_ProductResponse"), "PageProductResponse");
    assert_eq!(type_ident("3d-model"), "V3dModel");
}
