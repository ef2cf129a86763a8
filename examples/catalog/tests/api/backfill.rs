//! The backfill (src/backfill.rs) against a product stand-in served over HTTP, which changes
//! its products between the pages it serves, while events reach catalog's database: nothing
//! read from product may undo a newer event, and no product may be skipped.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use uuid::Uuid;

use catalog::backfill::{self, Report};
use catalog::clients::product::{ListProductsQuery, ProductClient};
use catalog::config::Config;
use catalog::events::consumer::{Consume, Outcome};
use catalog::events::product_changed::ProductChanged;

use crate::helpers::{TestApp, spawn_app};
use crate::seed::{self, deletion, deliver, next};

type Pending = Pin<Box<dyn Future<Output = ()> + Send>>;
/// Runs before the stand-in answers request number N: changes its products, and returns what
/// else happens meanwhile (an event applied in catalog).
type Hook = Box<dyn FnOnce(&mut Vec<ProductChanged>) -> Pending + Send>;

/// product, as far as the backfill sees it: `GET /v1/products` in creation order, by offset.
#[derive(Clone)]
struct Stand {
    products: Arc<Mutex<Vec<ProductChanged>>>,
    hooks: Arc<Mutex<HashMap<usize, Hook>>>,
    requests: Arc<Mutex<usize>>,
}

impl Stand {
    fn new(products: &[ProductChanged]) -> Self {
        Self {
            products: Arc::new(Mutex::new(products.to_vec())),
            hooks: Arc::default(),
            requests: Arc::default(),
        }
    }

    async fn before_request(&self, number: usize, hook: Hook) {
        self.hooks.lock().await.insert(number, hook);
    }

    async fn requests(&self) -> usize {
        *self.requests.lock().await
    }

    /// Serves on a free port; the client of it, through the service's own configuration.
    async fn serve(&self) -> Config {
        let router = Router::new()
            .route("/v1/products", get(list))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        tokio::spawn(async move { axum::serve(listener, router).await });
        let vars = HashMap::from([
            (
                "DATABASE_URL",
                "postgres://postgres@127.0.0.1:5432/unused".to_owned(),
            ),
            ("PRODUCT_URL", url),
            ("PRODUCT_RETRIES", "0".to_owned()),
            ("BACKFILL_PAGE_SIZE", "3".to_owned()),
        ]);
        Config::from_lookup(|key| vars.get(key).cloned()).expect("a valid configuration")
    }
}

async fn list(State(stand): State<Stand>, Query(query): Query<ListProductsQuery>) -> Json<Value> {
    let number = {
        let mut requests = stand.requests.lock().await;
        *requests += 1;
        *requests - 1
    };
    let hook = stand.hooks.lock().await.remove(&number);
    if let Some(hook) = hook {
        let meanwhile = hook(&mut *stand.products.lock().await);
        meanwhile.await;
    }
    let products = stand.products.lock().await;
    let offset = usize::try_from(query.offset.unwrap_or(0)).expect("offset >= 0");
    let limit = usize::try_from(query.limit.unwrap_or(20)).expect("limit >= 0");
    let items: Vec<Value> = products
        .iter()
        .skip(offset)
        .take(limit)
        .map(|product| {
            json!({
                "id": product.id, "version": product.version, "name": product.name,
                "description": product.description, "price_cents": product.price_cents,
                "stock": product.stock, "category": product.category,
                "created_at": Utc::now(), "updated_at": Utc::now(),
            })
        })
        .collect();
    Json(json!({
        "items": items,
        "page": { "limit": limit, "offset": offset, "total": products.len() },
    }))
}

fn products(count: usize) -> Vec<ProductChanged> {
    (0..count)
        .map(|i| seed::product(&format!("product {i:02}"), "lighting", 1))
        .collect()
}

/// The copies: id -> (version, deleted, name).
async fn copies(app: &TestApp) -> HashMap<Uuid, (i64, bool, String)> {
    let rows: Vec<(Uuid, i64, bool, String)> =
        sqlx::query_as(r#"select id, version, deleted, "name" from "product_copy""#)
            .fetch_all(&app.state.db)
            .await
            .expect("read the copies");
    rows.into_iter()
        .map(|(id, version, deleted, name)| (id, (version, deleted, name)))
        .collect()
}

async fn backfill(app: &TestApp, config: &Config) -> Report {
    let client = ProductClient::from_config(config).expect("a client");
    backfill::run(&client, &app.state.db, config.backfill.page_size)
        .await
        .expect("the backfill finishes")
}

#[tokio::test]
async fn every_product_is_copied_once() {
    let app = spawn_app().await;
    let all = products(10);
    let stand = Stand::new(&all);
    let report = backfill(&app, &stand.serve().await).await;

    assert_eq!((report.read, report.copied), (10, 10));
    let copies = copies(&app).await;
    assert_eq!(copies.len(), 10);
    for product in &all {
        assert_eq!(copies[&product.id], (1, false, product.name.clone()));
    }
    // Pages of three overlapping by one: 0-2, 2-4, 4-6, 6-8, 8-9.
    assert_eq!(report.pages, 5);
    assert_eq!(stand.requests().await, 5);
}

/// The race the version rule is for: the backfill reads a product, the product changes and
/// its event is applied in catalog, and only then does the backfill write what it read.
#[tokio::test]
async fn a_change_made_during_the_backfill_is_not_lost() {
    let app = spawn_app().await;
    let all = products(6);
    let stand = Stand::new(&all);
    let changed = next(&all[3], |p| {
        p.name = "renamed during the backfill".to_owned()
    });
    let deleted = deletion(&all[4]);
    let (pool, event_changed, event_deleted) =
        (app.state.db.clone(), changed.clone(), deleted.clone());
    // The second page (products 2 to 4) answers with what product had when it read them;
    // the newer versions of products 3 and 4 reach catalog as events first.
    stand
        .before_request(
            1,
            Box::new(move |_| {
                Box::pin(async move {
                    for event in [event_changed, event_deleted] {
                        let mut tx = pool.begin().await.expect("begin");
                        let outcome = ProductChanged::apply(&mut tx, &seed::event(&event))
                            .await
                            .expect("the handler applies the event");
                        assert_eq!(outcome, Outcome::Applied);
                        tx.commit().await.expect("commit");
                    }
                })
            }),
        )
        .await;
    let report = backfill(&app, &stand.serve().await).await;

    let copies = copies(&app).await;
    assert_eq!(copies[&all[3].id], (2, false, changed.name.clone()));
    assert_eq!(copies[&all[4].id], (2, true, all[4].name.clone()));
    assert_eq!(
        (report.read, report.copied),
        (6, 4),
        "the two older versions were not written"
    );
    // And an event older than the backfilled copy changes nothing.
    assert_eq!(deliver(&app, &all[0]).await, Outcome::Stale);
}

#[tokio::test]
async fn products_deleted_during_the_backfill_skip_no_other_product() {
    let app = spawn_app().await;
    let all = products(12);
    let stand = Stand::new(&all);
    // After the first page (0-2), products 0 to 5 go: six places, two pages of three. A naive
    // reader would go on at offset 3, over products 6 to 8.
    stand
        .before_request(
            1,
            Box::new(|products| {
                products.drain(..6);
                Box::pin(async {})
            }),
        )
        .await;
    let report = backfill(&app, &stand.serve().await).await;

    let copies = copies(&app).await;
    for product in &all[6..] {
        assert_eq!(
            copies.get(&product.id),
            Some(&(1, false, product.name.clone()))
        );
    }
    // Products 0-2 were read before they went; their deletion events will mark them.
    assert_eq!(copies.len(), 9);
    assert_eq!(report.read, 9);
}

#[tokio::test]
async fn serve_backfills_a_database_once() {
    let app = spawn_app().await;
    let stand = Stand::new(&products(4));
    let config = stand.serve().await;

    let task = backfill::spawn_on_start(&config, &app.state.db)
        .expect("a client")
        .expect("BACKFILL_ON_START is on by default");
    task.await.expect("the backfill task finishes");
    assert_eq!(copies(&app).await.len(), 4);
    assert!(
        backfill::finished_before(&app.state.db)
            .await
            .expect("read backfills")
    );
    let requests = stand.requests().await;

    // On the next start there is nothing to do: product is not asked again.
    let task = backfill::spawn_on_start(&config, &app.state.db)
        .expect("a client")
        .expect("a task");
    task.await.expect("the task finishes");
    assert_eq!(stand.requests().await, requests);
}

#[tokio::test]
async fn an_unreachable_product_fails_the_backfill_command_and_records_nothing() {
    let app = spawn_app().await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    drop(listener);
    let vars = HashMap::from([
        (
            "DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/unused".to_owned(),
        ),
        ("PRODUCT_URL", url),
        ("PRODUCT_RETRIES", "0".to_owned()),
    ]);
    let config = Config::from_lookup(|key| vars.get(key).cloned()).expect("a configuration");
    let client = ProductClient::from_config(&config).expect("a client");

    let err = backfill::run(&client, &app.state.db, 100)
        .await
        .expect_err("product is not there");
    assert!(
        err.to_string()
            .starts_with("cannot list product's products"),
        "{err}"
    );
    assert!(
        !backfill::finished_before(&app.state.db)
            .await
            .expect("read backfills")
    );
    assert!(copies(&app).await.is_empty());
}
