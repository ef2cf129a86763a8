//! `GET /v1/categories`: the categories of the listed products, with their counts.

use axum::http::StatusCode;
use serde_json::json;

use crate::helpers::spawn_app;
use crate::seed::{deletion, deliver_all, product};

#[tokio::test]
async fn counts_listed_and_available_products_per_category_by_name() {
    let app = spawn_app().await;
    let sofa = product("Sofa", "furniture", 2);
    deliver_all(
        &app,
        &[
            product("Desk lamp", "lighting", 4),
            product("Floor lamp", "lighting", 0),
            product("Armchair", "furniture", 7),
            product("Bookshelf", "furniture", 0),
            sofa.clone(),
            deletion(&sofa),
        ],
    )
    .await;

    let response = app.get("/v1/categories").await;

    assert_eq!(response.status, StatusCode::OK, "body: {}", response.text());
    assert_eq!(
        response.json(),
        json!({
            "items": [
                {"name": "furniture", "product_count": 2, "available_count": 1},
                {"name": "lighting", "product_count": 2, "available_count": 1},
            ],
            "page": {"limit": 20, "offset": 0, "total": 2},
        })
    );
}

#[tokio::test]
async fn a_category_whose_products_are_all_deleted_is_not_listed() {
    let app = spawn_app().await;
    let neon = product("Neon sign", "signs", 1);
    deliver_all(
        &app,
        &[
            product("Desk lamp", "lighting", 1),
            neon.clone(),
            deletion(&neon),
        ],
    )
    .await;

    let response = app.get("/v1/categories").await;

    let body = response.json();
    assert_eq!(
        body["items"],
        json!([{"name": "lighting", "product_count": 1, "available_count": 1}])
    );
    assert_eq!(body["page"]["total"], 1);
}

#[tokio::test]
async fn no_products_is_an_empty_page() {
    let app = spawn_app().await;

    let response = app.get("/v1/categories").await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        response.json(),
        json!({"items": [], "page": {"limit": 20, "offset": 0, "total": 0}})
    );
}

#[tokio::test]
async fn categories_are_paginated() {
    let app = spawn_app().await;
    deliver_all(
        &app,
        &[
            product("Chair", "chairs", 1),
            product("Lamp", "lamps", 1),
            product("Rug", "rugs", 1),
        ],
    )
    .await;

    let response = app.get("/v1/categories?limit=1&offset=1").await;

    assert_eq!(
        response.json(),
        json!({
            "items": [{"name": "lamps", "product_count": 1, "available_count": 1}],
            "page": {"limit": 1, "offset": 1, "total": 3},
        })
    );
}

#[tokio::test]
async fn invalid_pagination_is_a_422_naming_each_parameter() {
    let app = spawn_app().await;

    let response = app.get("/v1/categories?limit=0&offset=-1").await;

    let problem = response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|error| error["field"].as_str().expect("field"))
        .collect();
    assert_eq!(fields, ["limit", "offset"]);
}
