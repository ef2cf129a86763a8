//! `/v1/products`: create, read, list, update, delete.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

const COLLECTION: &str = "/v1/products";

async fn create(app: &TestApp, name: &str) -> Value {
    let response = app
        .send_json(
            Method::POST,
            COLLECTION,
            &json!({ "name": name, "description": "a test product" }),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    response.json()
}

#[tokio::test]
async fn create_returns_201_with_location_and_the_product() {
    let app = spawn_app().await;

    let response = app
        .send_json(
            Method::POST,
            COLLECTION,
            &json!({ "name": "  Desk lamp ", "description": "Warm light" }),
        )
        .await;

    assert_eq!(response.status, StatusCode::CREATED);
    let body = response.json();
    let id = body["id"].as_str().expect("id");
    assert_eq!(
        response.header("location"),
        Some(format!("{COLLECTION}/{id}").as_str())
    );
    assert_eq!(body["name"], "Desk lamp");
    assert_eq!(body["description"], "Warm light");
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
        ])
    );
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
        .send_json(Method::POST, COLLECTION, &json!({ "name": "Desk lamp" }))
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

    let names = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .expect("items array")
            .iter()
            .map(|entry| entry["name"].as_str().expect("name").to_owned())
            .collect()
    };
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

#[tokio::test]
async fn update_with_the_current_version_replaces_fields_and_bumps_the_version() {
    let app = spawn_app().await;
    let created = create(&app, "Desk lamp").await;
    let uri = format!("{COLLECTION}/{}", created["id"].as_str().expect("id"));

    let response = app
        .send_json(
            Method::PUT,
            &uri,
            &json!({ "name": "Floor lamp", "version": 1 }),
        )
        .await;

    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let updated = response.json();
    assert_eq!(updated["name"], "Floor lamp");
    assert_eq!(updated["description"], Value::Null);
    assert_eq!(updated["version"], 2);
    assert_ne!(updated["updated_at"], created["updated_at"]);
    assert_eq!(app.get(&uri).await.json(), updated);
}

#[tokio::test]
async fn update_with_a_stale_version_is_a_409_problem() {
    let app = spawn_app().await;
    let created = create(&app, "Desk lamp").await;
    let uri = format!("{COLLECTION}/{}", created["id"].as_str().expect("id"));
    let body = json!({ "name": "Floor lamp", "version": 1 });
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
            &json!({ "name": "Desk lamp", "version": 1 }),
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
    assert_eq!(fields, ["name", "version"]);
}

#[tokio::test]
async fn update_of_an_unknown_product_is_a_404_problem() {
    let app = spawn_app().await;

    let response = app
        .send_json(
            Method::PUT,
            &format!("{COLLECTION}/{}", uuid::Uuid::new_v4()),
            &json!({ "name": "Desk lamp", "version": 1 }),
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
