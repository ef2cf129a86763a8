//! `/v1/products`: create, read, list (with filters), update, delete.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse, spawn_app};

const COLLECTION: &str = "/v1/products";

/// A valid create body: every required field, overridden by `extra`.
fn body(name: &str, extra: Value) -> Value {
    let mut body = json!({
        "name": name,
        "description": "a test product",
        "price_cents": 1999,
        "stock": 5,
        "category": "lighting",
    });
    for (key, value) in extra.as_object().expect("an object") {
        body[key] = value.clone();
    }
    body
}

async fn create(app: &TestApp, name: &str) -> Value {
    create_with(app, name, json!({})).await
}

async fn create_with(app: &TestApp, name: &str, extra: Value) -> Value {
    let response = app
        .send_json(Method::POST, COLLECTION, &body(name, extra))
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    response.json()
}

/// The `(field, code)` pairs of a 422 `validation_failed` problem.
fn field_errors(response: &TestResponse) -> Vec<(String, String)> {
    let problem = response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    problem["errors"]
        .as_array()
        .expect("errors array")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().expect("field").to_owned(),
                e["code"].as_str().expect("code").to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(field, code)| ((*field).to_owned(), (*code).to_owned()))
        .collect()
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items array")
        .iter()
        .map(|entry| entry["name"].as_str().expect("name").to_owned())
        .collect()
}

#[tokio::test]
async fn create_returns_201_with_location_and_the_product() {
    let app = spawn_app().await;

    let response = app
        .send_json(
            Method::POST,
            COLLECTION,
            &json!({
                "name": "  Desk lamp ",
                "description": "Warm light",
                "price_cents": 3990,
                "stock": 24,
                "category": " Lighting ",
            }),
        )
        .await;

    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    let body = response.json();
    let id = body["id"].as_str().expect("id");
    assert_eq!(
        response.header("location"),
        Some(format!("{COLLECTION}/{id}").as_str())
    );
    assert_eq!(body["name"], "Desk lamp");
    assert_eq!(body["description"], "Warm light");
    assert_eq!(body["price_cents"], 3990);
    assert_eq!(body["stock"], 24);
    assert_eq!(body["category"], "lighting", "stored as a lowercase slug");
    assert_eq!(body["version"], 1);
    assert!(body["created_at"].is_string());
    assert_eq!(body["created_at"], body["updated_at"]);
}

#[tokio::test]
async fn create_reports_every_invalid_field() {
    let app = spawn_app().await;

    let response = app
        .send_json(
            Method::POST,
            COLLECTION,
            &json!({ "description": "x".repeat(2001) }),
        )
        .await;

    let problem = response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(
        problem["errors"],
        json!([
            { "field": "name", "code": "required", "message": "must not be empty" },
            { "field": "description", "code": "too_long", "message": "must be at most 2000 characters" },
            { "field": "price_cents", "code": "required", "message": "must be given, in cents" },
            { "field": "stock", "code": "required", "message": "must be given (0 when out of stock)" },
            { "field": "category", "code": "required", "message": "must not be empty" },
        ])
    );
}

#[tokio::test]
async fn create_names_each_invalid_field_alone() {
    let app = spawn_app().await;
    let cases = [
        (json!({ "name": "x".repeat(201) }), "name", "too_long"),
        (json!({ "name": "   " }), "name", "required"),
        (json!({ "price_cents": -1 }), "price_cents", "out_of_range"),
        (
            json!({ "price_cents": 100_000_001 }),
            "price_cents",
            "out_of_range",
        ),
        (json!({ "price_cents": null }), "price_cents", "required"),
        (json!({ "stock": -1 }), "stock", "out_of_range"),
        (
            json!({ "stock": 2_147_483_648_i64 }),
            "stock",
            "out_of_range",
        ),
        (json!({ "stock": null }), "stock", "required"),
        (json!({ "category": "" }), "category", "required"),
        (
            json!({ "category": "home garden" }),
            "category",
            "invalid_format",
        ),
        (
            json!({ "category": "home--garden" }),
            "category",
            "invalid_format",
        ),
        (
            json!({ "category": "a".repeat(51) }),
            "category",
            "too_long",
        ),
    ];

    for (extra, field, code) in cases {
        let sent = body("Desk lamp", extra);
        let response = app.send_json(Method::POST, COLLECTION, &sent).await;
        assert_eq!(field_errors(&response), pairs(&[(field, code)]), "{sent}");
    }
    assert_eq!(app.get(COLLECTION).await.json()["page"]["total"], 0);
}

#[tokio::test]
async fn create_accepts_the_bounds_of_price_and_stock() {
    let app = spawn_app().await;

    let free = create_with(&app, "Sticker", json!({ "price_cents": 0, "stock": 0 })).await;
    let dear = create_with(
        &app,
        "Grand piano",
        json!({ "price_cents": 100_000_000, "stock": 2_147_483_647 }),
    )
    .await;

    assert_eq!(
        (free["price_cents"].as_i64(), free["stock"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(dear["price_cents"], 100_000_000);
    assert_eq!(dear["stock"], 2_147_483_647);
}

#[tokio::test]
async fn create_with_a_malformed_body_is_a_problem() {
    let app = spawn_app().await;

    let syntax = app
        .send_raw(Method::POST, COLLECTION, "application/json", r#"{"name": "#)
        .await;
    let shape = app
        .send_json(Method::POST, COLLECTION, &json!({ "name": 42 }))
        .await;
    let price_shape = app
        .send_json(
            Method::POST,
            COLLECTION,
            &body("Desk lamp", json!({ "price_cents": "19.99" })),
        )
        .await;
    let media_type = app
        .send_raw(Method::POST, COLLECTION, "text/plain", "name=lamp")
        .await;

    syntax.assert_problem(StatusCode::BAD_REQUEST, "malformed_json");
    let problem = shape.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("name"))
    );
    let problem = price_shape.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("price_cents"))
    );
    media_type.assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
}

#[tokio::test]
async fn get_with_a_malformed_id_is_a_400_problem() {
    let app = spawn_app().await;

    let response = app.get(&format!("{COLLECTION}/not-a-uuid")).await;

    response.assert_problem(StatusCode::BAD_REQUEST, "invalid_path_parameter");
}

#[tokio::test]
async fn create_with_a_taken_name_is_a_409_problem() {
    let app = spawn_app().await;
    create(&app, "Desk lamp").await;

    let response = app
        .send_json(
            Method::POST,
            COLLECTION,
            &body("Desk lamp", json!({ "category": "other" })),
        )
        .await;

    response.assert_problem(StatusCode::CONFLICT, "already_exists");
}

#[tokio::test]
async fn get_returns_the_product() {
    let app = spawn_app().await;
    let created = create(&app, "Desk lamp").await;

    let response = app
        .get(&format!(
            "{COLLECTION}/{}",
            created["id"].as_str().expect("id")
        ))
        .await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json(), created);
}

#[tokio::test]
async fn get_unknown_product_is_a_404_problem() {
    let app = spawn_app().await;

    let response = app
        .get(&format!("{COLLECTION}/{}", uuid::Uuid::new_v4()))
        .await;

    let problem = response.assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(problem["detail"], "product not found");
}

#[tokio::test]
async fn list_pages_in_creation_order_with_the_total() {
    let app = spawn_app().await;
    for name in ["a", "b", "c"] {
        create(&app, name).await;
    }

    let first = app.get(&format!("{COLLECTION}?limit=2")).await.json();
    let second = app
        .get(&format!("{COLLECTION}?limit=2&offset=2"))
        .await
        .json();

    assert_eq!(names(&first), ["a", "b"]);
    assert_eq!(
        first["page"],
        json!({ "limit": 2, "offset": 0, "total": 3 })
    );
    assert_eq!(names(&second), ["c"]);
    assert_eq!(
        second["page"],
        json!({ "limit": 2, "offset": 2, "total": 3 })
    );
}

#[tokio::test]
async fn list_of_nothing_is_an_empty_page() {
    let app = spawn_app().await;

    let response = app.get(COLLECTION).await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        response.json(),
        json!({ "items": [], "page": { "limit": 20, "offset": 0, "total": 0 } })
    );
}

#[tokio::test]
async fn list_with_out_of_range_paging_is_a_422_problem() {
    let app = spawn_app().await;

    let response = app.get(&format!("{COLLECTION}?limit=0&offset=-1")).await;

    let problem = response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors array")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    assert_eq!(fields, ["limit", "offset"]);
}

/// Five products over two categories, two of them out of stock.
async fn create_catalogue(app: &TestApp) {
    for (name, category, stock) in [
        ("Desk lamp", "lighting", 3),
        ("Floor LAMP", "lighting", 0),
        ("Lamp oil 100%", "household", 8),
        ("Pendant light", "lighting", 7),
        ("Candle", "household", 0),
    ] {
        create_with(app, name, json!({ "category": category, "stock": stock })).await;
    }
}

#[tokio::test]
async fn list_filters_by_category() {
    let app = spawn_app().await;
    create_catalogue(&app).await;

    let page = app
        .get(&format!("{COLLECTION}?category=Lighting&limit=2"))
        .await
        .json();

    assert_eq!(names(&page), ["Desk lamp", "Floor LAMP"]);
    assert_eq!(page["page"], json!({ "limit": 2, "offset": 0, "total": 3 }));
    let none = app
        .get(&format!("{COLLECTION}?category=garden"))
        .await
        .json();
    assert_eq!(none["page"]["total"], 0);
}

#[tokio::test]
async fn list_searches_names_case_insensitively() {
    let app = spawn_app().await;
    create_catalogue(&app).await;

    let lamps = app.get(&format!("{COLLECTION}?q=lAmP")).await.json();
    // `%` is a plain character, not a wildcard.
    let percent = app.get(&format!("{COLLECTION}?q=%25")).await.json();

    assert_eq!(names(&lamps), ["Desk lamp", "Floor LAMP", "Lamp oil 100%"]);
    assert_eq!(lamps["page"]["total"], 3);
    assert_eq!(names(&percent), ["Lamp oil 100%"]);
}

#[tokio::test]
async fn list_filters_by_stock() {
    let app = spawn_app().await;
    create_catalogue(&app).await;

    let in_stock = app.get(&format!("{COLLECTION}?in_stock=true")).await.json();
    let out_of_stock = app
        .get(&format!("{COLLECTION}?in_stock=false"))
        .await
        .json();

    assert_eq!(
        names(&in_stock),
        ["Desk lamp", "Lamp oil 100%", "Pendant light"]
    );
    assert_eq!(names(&out_of_stock), ["Floor LAMP", "Candle"]);
}

#[tokio::test]
async fn list_combines_filters_and_pages_through_the_result() {
    let app = spawn_app().await;
    create_catalogue(&app).await;

    let uri = format!("{COLLECTION}?category=lighting&q=l&in_stock=true&limit=1&offset=1");
    let page = app.get(&uri).await.json();

    assert_eq!(names(&page), ["Pendant light"]);
    assert_eq!(page["page"], json!({ "limit": 1, "offset": 1, "total": 2 }));
}

#[tokio::test]
async fn list_with_bad_filters_is_a_422_problem_naming_each() {
    let app = spawn_app().await;

    let all = app
        .get(&format!(
            "{COLLECTION}?limit=500&category=home%20garden&q=%20&in_stock=yes"
        ))
        .await;
    let long = app
        .get(&format!(
            "{COLLECTION}?category={}&q={}",
            "a".repeat(51),
            "b".repeat(201)
        ))
        .await;
    let empty = app.get(&format!("{COLLECTION}?category=&in_stock=")).await;

    assert_eq!(
        field_errors(&all),
        pairs(&[
            ("limit", "out_of_range"),
            ("category", "invalid_format"),
            ("q", "required"),
            ("in_stock", "invalid_value"),
        ])
    );
    assert_eq!(
        field_errors(&long),
        pairs(&[("category", "too_long"), ("q", "too_long")])
    );
    assert_eq!(
        field_errors(&empty),
        pairs(&[("category", "required"), ("in_stock", "invalid_value")])
    );
}

#[tokio::test]
async fn update_with_the_current_version_replaces_fields_and_bumps_the_version() {
    let app = spawn_app().await;
    let created = create(&app, "Desk lamp").await;
    let uri = format!("{COLLECTION}/{}", created["id"].as_str().expect("id"));

    let response = app
        .send_json(
            Method::PUT,
            &uri,
            &json!({
                "name": "Floor lamp",
                "price_cents": 8900,
                "stock": 0,
                "category": "Living-Room",
                "version": 1,
            }),
        )
        .await;

    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let updated = response.json();
    assert_eq!(updated["name"], "Floor lamp");
    assert_eq!(updated["description"], Value::Null);
    assert_eq!(updated["price_cents"], 8900);
    assert_eq!(updated["stock"], 0);
    assert_eq!(updated["category"], "living-room");
    assert_eq!(updated["version"], 2);
    assert_ne!(updated["updated_at"], created["updated_at"]);
    assert_eq!(app.get(&uri).await.json(), updated);
}

#[tokio::test]
async fn update_with_a_stale_version_is_a_409_problem() {
    let app = spawn_app().await;
    let created = create(&app, "Desk lamp").await;
    let uri = format!("{COLLECTION}/{}", created["id"].as_str().expect("id"));
    let body = body("Floor lamp", json!({ "version": 1 }));
    app.send_json(Method::PUT, &uri, &body).await;

    let response = app.send_json(Method::PUT, &uri, &body).await;

    response.assert_problem(StatusCode::CONFLICT, "version_conflict");
    assert_eq!(app.get(&uri).await.json()["version"], 2);
}

#[tokio::test]
async fn update_to_a_taken_name_is_a_409_problem() {
    let app = spawn_app().await;
    create(&app, "Desk lamp").await;
    let other = create(&app, "Floor lamp").await;

    let response = app
        .send_json(
            Method::PUT,
            &format!("{COLLECTION}/{}", other["id"].as_str().expect("id")),
            &body("Desk lamp", json!({ "version": 1 })),
        )
        .await;

    response.assert_problem(StatusCode::CONFLICT, "already_exists");
}

#[tokio::test]
async fn update_without_a_version_is_a_422_problem() {
    let app = spawn_app().await;
    let created = create(&app, "Desk lamp").await;

    let response = app
        .send_json(
            Method::PUT,
            &format!("{COLLECTION}/{}", created["id"].as_str().expect("id")),
            &json!({ "name": "" }),
        )
        .await;

    let problem = response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors array")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    assert_eq!(
        fields,
        ["name", "price_cents", "stock", "category", "version"]
    );
}

#[tokio::test]
async fn update_with_invalid_fields_is_a_422_problem_and_changes_nothing() {
    let app = spawn_app().await;
    let created = create(&app, "Desk lamp").await;
    let uri = format!("{COLLECTION}/{}", created["id"].as_str().expect("id"));

    let response = app
        .send_json(
            Method::PUT,
            &uri,
            &body(
                "Desk lamp",
                json!({ "price_cents": -5, "stock": -1, "category": "a b", "version": 1 }),
            ),
        )
        .await;

    assert_eq!(
        field_errors(&response),
        pairs(&[
            ("price_cents", "out_of_range"),
            ("stock", "out_of_range"),
            ("category", "invalid_format"),
        ])
    );
    assert_eq!(app.get(&uri).await.json(), created);
}

#[tokio::test]
async fn update_of_an_unknown_product_is_a_404_problem() {
    let app = spawn_app().await;

    let response = app
        .send_json(
            Method::PUT,
            &format!("{COLLECTION}/{}", uuid::Uuid::new_v4()),
            &body("Desk lamp", json!({ "version": 1 })),
        )
        .await;

    response.assert_problem(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn delete_removes_the_product_then_404s() {
    let app = spawn_app().await;
    let created = create(&app, "Desk lamp").await;
    let uri = format!("{COLLECTION}/{}", created["id"].as_str().expect("id"));

    let first = app.delete(&uri).await;
    let second = app.delete(&uri).await;

    assert_eq!(first.status, StatusCode::NO_CONTENT);
    assert!(first.body.is_empty());
    second.assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.get(&uri)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn database_failure_is_a_masked_500_problem() {
    let app = spawn_app().await;
    app.state.db.close().await;

    let response = app.get(COLLECTION).await;

    let problem = response.assert_problem(StatusCode::INTERNAL_SERVER_ERROR, "internal_error");
    assert!(!response.text().contains("pool"), "{problem}");
}

#[tokio::test]
async fn openapi_documents_the_product_fields_and_list_filters() {
    let app = spawn_app().await;

    let doc = app.get("/openapi.json").await.json();

    let params: Vec<&str> = doc["paths"]["/v1/products"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .map(|p| p["name"].as_str().expect("a name"))
        .collect();
    assert_eq!(params, ["limit", "offset", "category", "q", "in_stock"]);
    let schemas = &doc["components"]["schemas"];
    for schema in ["CreateProduct", "UpdateProduct", "ProductResponse"] {
        let required = schemas[schema]["required"].as_array().expect("required");
        for field in ["name", "price_cents", "stock", "category"] {
            assert!(required.contains(&json!(field)), "{schema}.{field}");
        }
    }
    let price = &schemas["CreateProduct"]["properties"]["price_cents"];
    assert_eq!(price["type"], "integer", "required, so never null: {price}");
    assert_eq!(price["minimum"], 0);
    assert_eq!(price["maximum"], 100_000_000);
    let stock = &schemas["UpdateProduct"]["properties"]["stock"];
    assert_eq!(stock["format"], "int32", "{stock}");
}
