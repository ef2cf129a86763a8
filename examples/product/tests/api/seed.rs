//! `product seed`: the bundled sample products, loaded through the same inserts as the API.

use axum::http::{Method, StatusCode};
use serde_json::json;

use product::domain::product::ProductFields;
use product::seed::{self, SeedReport};

use crate::helpers::spawn_app;

async fn outbox_rows(app: &crate::helpers::TestApp) -> i64 {
    sqlx::query_scalar(
        "select count(*) from outbox where event_type = 'product.product_changed.v1'",
    )
    .fetch_one(&app.state.db)
    .await
    .expect("count outbox rows")
}

#[tokio::test]
async fn seeding_twice_creates_each_product_once_with_one_event_each() {
    let app = spawn_app().await;
    let products = seed::parse(seed::BUNDLED).expect("the bundled seed is valid");

    let first = seed::load(&app.state.db, &products).await.expect("seed");
    let second = seed::load(&app.state.db, &products)
        .await
        .expect("seed again");

    assert_eq!(
        first,
        SeedReport {
            created: products.len(),
            skipped: 0
        }
    );
    assert_eq!(
        second,
        SeedReport {
            created: 0,
            skipped: products.len()
        }
    );
    let listed = app.get("/v1/products?limit=1").await.json();
    assert_eq!(listed["page"]["total"], products.len());
    assert_eq!(
        outbox_rows(&app).await,
        i64::try_from(products.len()).expect("small")
    );
}

#[tokio::test]
async fn seeding_skips_names_created_through_the_api_and_loads_the_rest() {
    let app = spawn_app().await;
    let products = seed::parse(seed::BUNDLED).expect("the bundled seed is valid");
    let taken: &ProductFields = &products[0];
    let created = app
        .send_json(
            Method::POST,
            "/v1/products",
            &json!({
                "name": taken.name,
                "price_cents": 1,
                "stock": 1,
                "category": "other",
            }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());

    let report = seed::load(&app.state.db, &products).await.expect("seed");

    assert_eq!(
        report,
        SeedReport {
            created: products.len() - 1,
            skipped: 1
        }
    );
    // The API's copy was kept, not overwritten.
    let kept = app.get("/v1/products?category=other").await.json();
    assert_eq!(kept["items"][0]["name"], taken.name.as_str());
    assert_eq!(kept["items"][0]["price_cents"], 1);
    let lighting = app
        .get("/v1/products?category=lighting&in_stock=false")
        .await;
    assert_eq!(lighting.status, StatusCode::OK);
    assert!(
        lighting.json()["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|p| p["category"] == "lighting" && p["stock"] == 0)
    );
    assert_eq!(
        outbox_rows(&app).await,
        i64::try_from(products.len()).expect("small")
    );
}
