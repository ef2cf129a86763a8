//! `GET /v1/products` and `GET /v1/products/{id}`: the listing of the products received as
//! `ProductChanged` events.

use axum::http::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use catalog::events::consumer::Outcome;

use crate::helpers::{TestResponse, spawn_app};
use crate::seed::{self, deletion, deliver, deliver_all, next, product};

fn names(response: &TestResponse) -> Vec<String> {
    assert_eq!(response.status, StatusCode::OK, "body: {}", response.text());
    response.json()["items"]
        .as_array()
        .expect("items is an array")
        .iter()
        .map(|item| item["name"].as_str().expect("name").to_owned())
        .collect()
}

fn total(response: &TestResponse) -> i64 {
    response.json()["page"]["total"].as_i64().expect("total")
}

#[tokio::test]
async fn lists_products_by_name_with_price_and_availability() {
    let app = spawn_app().await;
    let mut lamp = product("Desk lamp", "lighting", 12);
    lamp.price_cents = 1234;
    deliver_all(
        &app,
        &[
            lamp.clone(),
            product("Armchair", "furniture", 3),
            product("Bookshelf", "furniture", 0),
        ],
    )
    .await;

    let response = app.get("/v1/products").await;

    assert_eq!(names(&response), ["Armchair", "Bookshelf", "Desk lamp"]);
    let body = response.json();
    assert_eq!(body["page"], json!({"limit": 20, "offset": 0, "total": 3}));
    assert_eq!(
        body["items"][2],
        json!({
            "id": lamp.id,
            "name": "Desk lamp",
            "description": "All about the Desk lamp",
            "price_cents": 1234,
            "price": "12.34",
            "stock": 12,
            "availability": "in_stock",
            "category": "lighting",
            "updated_at": "2026-03-01T12:00:00Z",
        })
    );
    assert_eq!(body["items"][0]["availability"], "low_stock");
    assert_eq!(body["items"][1]["availability"], "out_of_stock");
}

#[tokio::test]
async fn a_product_without_description_has_a_null_one_as_in_product() {
    let app = spawn_app().await;
    // `product` publishes an absent description as "" (the event's field is not optional).
    let mut plain = product("Plain mug", "kitchen", 4);
    plain.description = String::new();
    deliver_all(&app, &[plain.clone()]).await;

    let listed = app.get("/v1/products").await;
    let one = app.get(&format!("/v1/products/{}", plain.id)).await;

    assert_eq!(listed.json()["items"][0]["description"], Value::Null);
    assert_eq!(one.json()["description"], Value::Null);
}

#[tokio::test]
async fn an_empty_listing_is_an_empty_page() {
    let app = spawn_app().await;

    let response = app.get("/v1/products").await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        response.json(),
        json!({"items": [], "page": {"limit": 20, "offset": 0, "total": 0}})
    );
}

#[tokio::test]
async fn search_matches_part_of_the_name_ignoring_case() {
    let app = spawn_app().await;
    deliver_all(
        &app,
        &[
            product("Desk lamp", "lighting", 1),
            product("LAMP SHADE", "lighting", 1),
            product("Floor Lamp", "lighting", 1),
            product("Table", "furniture", 1),
        ],
    )
    .await;

    let lower = app.get("/v1/products?q=lamp").await;
    let mixed = app.get("/v1/products?q=LaMp").await;
    let padded = app.get("/v1/products?q=%20lamp%20").await;

    assert_eq!(names(&lower), ["Desk lamp", "Floor Lamp", "LAMP SHADE"]);
    assert_eq!(total(&lower), 3);
    assert_eq!(names(&mixed), names(&lower));
    assert_eq!(names(&padded), names(&lower));
    assert_eq!(
        names(&app.get("/v1/products?q=sofa").await),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn search_treats_like_wildcards_as_plain_characters() {
    let app = spawn_app().await;
    deliver_all(
        &app,
        &[
            product("100% cotton throw", "textiles", 1),
            product("1000 cotton throws", "textiles", 1),
            product("under_score", "misc", 1),
            product("underXscore", "misc", 1),
        ],
    )
    .await;

    assert_eq!(
        names(&app.get("/v1/products?q=100%25").await),
        ["100% cotton throw"]
    );
    assert_eq!(
        names(&app.get("/v1/products?q=under_").await),
        ["under_score"]
    );
}

#[tokio::test]
async fn category_filter_matches_the_category_exactly() {
    let app = spawn_app().await;
    deliver_all(
        &app,
        &[
            product("Desk lamp", "lighting", 1),
            product("Floor lamp", "lighting", 1),
            product("Neon sign", "Lighting", 1),
            product("Lighting rig", "stage", 1),
        ],
    )
    .await;

    let response = app.get("/v1/products?category=lighting").await;

    assert_eq!(names(&response), ["Desk lamp", "Floor lamp"]);
    assert_eq!(total(&response), 2);
}

#[tokio::test]
async fn available_filter_splits_by_stock() {
    let app = spawn_app().await;
    deliver_all(
        &app,
        &[
            product("Alpha", "misc", 0),
            product("Bravo", "misc", 1),
            product("Charlie", "misc", 6),
            product("Delta", "misc", -2),
        ],
    )
    .await;

    let available = app.get("/v1/products?available=true").await;
    let unavailable = app.get("/v1/products?available=false").await;

    assert_eq!(names(&available), ["Bravo", "Charlie"]);
    assert_eq!(names(&unavailable), ["Alpha", "Delta"]);
    let availability: Vec<Value> = unavailable.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["availability"].clone())
        .collect();
    assert_eq!(availability, ["out_of_stock", "out_of_stock"]);
}

#[tokio::test]
async fn filters_combine_and_total_counts_the_matches() {
    let app = spawn_app().await;
    deliver_all(
        &app,
        &[
            product("Desk lamp", "lighting", 4),
            product("Floor lamp", "lighting", 0),
            product("Lamp table", "furniture", 4),
            product("Ceiling light", "lighting", 4),
        ],
    )
    .await;

    let response = app
        .get("/v1/products?q=lamp&category=lighting&available=true&limit=1")
        .await;

    assert_eq!(names(&response), ["Desk lamp"]);
    assert_eq!(
        response.json()["page"],
        json!({"limit": 1, "offset": 0, "total": 1})
    );
}

#[tokio::test]
async fn pages_cover_every_product_once_in_order() {
    let app = spawn_app().await;
    let all = ["Alpha", "Bravo", "Charlie", "Delta", "Echo"];
    // Delivered out of order: the listing sorts by name, not arrival.
    for name in all.iter().rev() {
        deliver(&app, &product(name, "misc", 1)).await;
    }

    let mut seen = Vec::new();
    for (offset, expected_len) in [(0, 2), (2, 2), (4, 1)] {
        let response = app
            .get(&format!("/v1/products?limit=2&offset={offset}"))
            .await;
        let page = names(&response);
        assert_eq!(page.len(), expected_len, "offset {offset}");
        assert_eq!(
            response.json()["page"],
            json!({"limit": 2, "offset": offset, "total": 5})
        );
        seen.extend(page);
    }
    let past_the_end = app.get("/v1/products?limit=2&offset=6").await;

    assert_eq!(seen, all);
    assert_eq!(names(&past_the_end), Vec::<String>::new());
    assert_eq!(total(&past_the_end), 5);
}

#[tokio::test]
async fn deleted_products_are_never_listed() {
    let app = spawn_app().await;
    let kept = product("Desk lamp", "lighting", 3);
    let gone = product("Floor lamp", "lighting", 3);
    deliver_all(&app, &[kept.clone(), gone.clone(), deletion(&gone)]).await;

    let listing = app.get("/v1/products").await;
    let searched = app.get("/v1/products?q=floor").await;
    let filtered = app
        .get("/v1/products?category=lighting&available=true")
        .await;

    assert_eq!(names(&listing), ["Desk lamp"]);
    assert_eq!(total(&listing), 1);
    assert_eq!(total(&searched), 0);
    assert_eq!(names(&filtered), ["Desk lamp"]);
}

#[tokio::test]
async fn the_listing_follows_the_newest_version() {
    let app = spawn_app().await;
    let lamp = product("Desk lamp", "lighting", 10);
    let renamed = next(&lamp, |p| {
        p.name = "Reading lamp".to_owned();
        p.stock = 2;
        p.price_cents = 2500;
    });
    deliver_all(&app, &[lamp.clone(), renamed]).await;
    // A late copy of the first version changes nothing.
    assert_eq!(deliver(&app, &lamp).await, Outcome::Stale);

    let response = app.get(&format!("/v1/products/{}", lamp.id)).await;

    assert_eq!(response.status, StatusCode::OK);
    let body = response.json();
    assert_eq!(body["name"], "Reading lamp");
    assert_eq!(body["availability"], "low_stock");
    assert_eq!(body["price"], "25.00");
    assert_eq!(total(&app.get("/v1/products?q=desk").await), 0);
}

#[tokio::test]
async fn get_returns_one_product() {
    let app = spawn_app().await;
    let lamp = product("Desk lamp", "lighting", 0);
    let changed_at = "2026-04-02T08:30:00Z".parse().expect("a time");
    seed::deliver_at(&app, &lamp, changed_at).await;

    let response = app.get(&format!("/v1/products/{}", lamp.id)).await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        response.json(),
        json!({
            "id": lamp.id,
            "name": "Desk lamp",
            "description": "All about the Desk lamp",
            "price_cents": 1999,
            "price": "19.99",
            "stock": 0,
            "availability": "out_of_stock",
            "category": "lighting",
            "updated_at": "2026-04-02T08:30:00Z",
        })
    );
}

#[tokio::test]
async fn get_of_an_unknown_product_is_a_404_problem() {
    let app = spawn_app().await;
    deliver(&app, &product("Desk lamp", "lighting", 1)).await;

    let response = app.get(&format!("/v1/products/{}", Uuid::new_v4())).await;

    let problem = response.assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(problem["detail"], "product not found");
}

#[tokio::test]
async fn get_of_a_deleted_product_is_a_404_problem() {
    let app = spawn_app().await;
    let lamp = product("Desk lamp", "lighting", 1);
    deliver_all(&app, &[lamp.clone(), deletion(&lamp)]).await;

    let response = app.get(&format!("/v1/products/{}", lamp.id)).await;

    response.assert_problem(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn get_with_a_malformed_id_is_a_400_problem() {
    let app = spawn_app().await;

    let response = app.get("/v1/products/not-a-uuid").await;

    response.assert_problem(StatusCode::BAD_REQUEST, "invalid_path_parameter");
}

/// The `(field, code)` pairs of a 422 problem, in order.
fn broken_rules(response: &TestResponse) -> Vec<(String, String)> {
    let problem = response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    problem["errors"]
        .as_array()
        .expect("errors is an array")
        .iter()
        .map(|error| {
            assert!(error["message"].is_string(), "{error}");
            (
                error["field"].as_str().expect("field").to_owned(),
                error["code"].as_str().expect("code").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn each_invalid_parameter_is_a_422_naming_it() {
    let app = spawn_app().await;
    let long = "x".repeat(201);
    let cases = [
        ("q=".to_owned(), "q", "blank"),
        ("q=%20%20".to_owned(), "q", "blank"),
        (format!("q={long}"), "q", "too_long"),
        ("category=".to_owned(), "category", "blank"),
        (format!("category={long}"), "category", "too_long"),
        ("limit=0".to_owned(), "limit", "out_of_range"),
        ("limit=101".to_owned(), "limit", "out_of_range"),
        ("offset=-1".to_owned(), "offset", "out_of_range"),
    ];

    for (query, field, code) in cases {
        let response = app.get(&format!("/v1/products?{query}")).await;
        assert_eq!(
            broken_rules(&response),
            [(field.to_owned(), code.to_owned())],
            "?{query}"
        );
    }
}

#[tokio::test]
async fn every_invalid_parameter_is_reported_at_once() {
    let app = spawn_app().await;

    let response = app
        .get("/v1/products?q=&category=%20&available=true&limit=500&offset=-5")
        .await;

    let fields: Vec<String> = broken_rules(&response)
        .into_iter()
        .map(|(field, _)| field)
        .collect();
    assert_eq!(fields, ["q", "category", "limit", "offset"]);
}

#[tokio::test]
async fn a_parameter_of_the_wrong_type_is_a_400_naming_it() {
    let app = spawn_app().await;

    for (query, field) in [("available=yes", "available"), ("limit=many", "limit")] {
        let response = app.get(&format!("/v1/products?{query}")).await;
        let problem = response.assert_problem(StatusCode::BAD_REQUEST, "invalid_query_parameter");
        let detail = problem["detail"].as_str().expect("detail");
        assert!(detail.contains(field), "?{query}: {detail}");
    }
}

#[tokio::test]
async fn the_routes_are_in_the_openapi_document() {
    let app = spawn_app().await;

    let doc = app.get("/openapi.json").await.json();

    let list = &doc["paths"]["/v1/products"]["get"];
    let params: Vec<&str> = list["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .map(|param| param["name"].as_str().expect("name"))
        .collect();
    assert_eq!(params, ["q", "category", "available", "limit", "offset"]);
    assert!(list["responses"]["422"].is_object());
    assert!(doc["paths"]["/v1/products/{id}"]["get"]["responses"]["404"].is_object());
    assert!(doc["paths"]["/v1/categories"]["get"].is_object());
    let availability = &doc["components"]["schemas"]["Availability"]["enum"];
    assert_eq!(
        availability,
        &json!(["in_stock", "low_stock", "out_of_stock"])
    );
}

/// The migration's partial indexes match the view's `not deleted`, so the listing's queries
/// need not read the whole table. The rows are inserted with SQL: what matters here is the
/// planner's statistics, not how products arrive. Sequential scans are off so the plan does
/// not depend on how cheap reading a table of this size is.
#[tokio::test]
async fn the_listing_queries_can_use_the_listing_indexes() {
    let app = spawn_app().await;
    sqlx::query(
        "insert into product_copy \
         (id, version, deleted, name, description, price_cents, stock, category, changed_at) \
         select gen_random_uuid(), 1, i % 10 = 0, 'product ' || md5(i::text), '', 100, i % 7, \
         'category ' || (i % 50), now() from generate_series(1, 10000) as i",
    )
    .execute(&app.state.db)
    .await
    .expect("insert");
    // As autovacuum would: the planner reads the trigram index's size from what vacuum records.
    sqlx::raw_sql("vacuum analyze product_copy")
        .execute(&app.state.db)
        .await
        .expect("vacuum");
    let mut tx = app.state.db.begin().await.expect("begin");
    sqlx::query("set local enable_seqscan = off")
        .execute(&mut *tx)
        .await
        .expect("set");

    let mut plans = Vec::new();
    for sql in [
        "explain select id from product_listing where name ilike '%c4ca4%'",
        "explain select id from product_listing where category = 'category 7' \
         order by name, id limit 20",
        "explain select id from product_listing order by name, id limit 20 offset 40",
    ] {
        let lines: Vec<String> = sqlx::query_scalar(sql)
            .fetch_all(&mut *tx)
            .await
            .expect(sql);
        plans.push(lines.join("\n"));
    }

    assert!(plans[0].contains("product_copy_name_trgm"), "{}", plans[0]);
    assert!(
        plans[1].contains("product_copy_category_listing"),
        "{}",
        plans[1]
    );
    assert!(
        plans[2].contains("product_copy_listing_order"),
        "{}",
        plans[2]
    );
}
