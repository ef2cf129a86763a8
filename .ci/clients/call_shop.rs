//! CI's caller of a generated client (`.ci/check-generated.sh`, check_clients): storefront's
//! `shop` client, made by `svcgen add-client shop`, against a running shop. Copied into
//! storefront's `examples/` by the script; exits non-zero naming the first expectation missed.

use reqwest::Url;
use storefront::clients::http::{ClientSettings, with_request_id};
use storefront::clients::shop::{CreateProduct, ListProductsQuery, ShopClient};

#[tokio::main]
async fn main() {
    let base = std::env::var("SHOP_URL").expect("SHOP_URL is set");
    let client = ShopClient::new(&ClientSettings::new(Url::parse(&base).expect("a URL")))
        .expect("the client builds");

    // Create: three products, one call each (POST is never retried).
    let mut created = Vec::new();
    for n in 0..3 {
        let body = CreateProduct {
            name: format!("client product {n}"),
            description: Some("made through the generated client".to_owned()),
        };
        let product = with_request_id(format!("ci-client-{n}"), client.create_product(&body))
            .await
            .expect("create_product");
        assert_eq!(product.name, body.name, "create answers the product");
        created.push(product);
    }

    // Get.
    let fetched = client
        .get_product(created[0].id)
        .await
        .expect("get_product");
    assert_eq!(fetched, created[0], "get answers what create made");

    // List with pagination: pages of two, read to the end.
    let query = ListProductsQuery {
        limit: Some(2),
        ..ListProductsQuery::default()
    };
    let first = client.list_products(&query).await.expect("list_products");
    assert_eq!(first.items.len(), 2, "a page holds `limit` items");
    assert!(
        first.page.total >= 3,
        "total counts the collection: {:?}",
        first.page
    );
    let all = client
        .list_products_pages(query)
        .collect_all()
        .await
        .expect("list_products_pages");
    assert_eq!(
        all.len() as i64,
        first.page.total,
        "the pages hold the whole collection"
    );
    for product in &created {
        assert!(
            all.iter().any(|p| p.id == product.id),
            "{} listed",
            product.id
        );
    }

    // 404 as a typed error.
    let missing = client
        .get_product(uuid::Uuid::from_u128(0x1234))
        .await
        .expect_err("an unknown id is an error");
    assert!(missing.is_not_found(), "404: {missing:?}");
    assert_eq!(
        missing.problem().map(|p| p.code.as_str()),
        Some("not_found")
    );

    // 422 as a typed error, naming the field.
    let invalid = client
        .create_product(&CreateProduct {
            name: " ".to_owned(),
            description: None,
        })
        .await
        .expect_err("a blank name is refused");
    assert_eq!(
        invalid.status().map(|s| s.as_u16()),
        Some(422),
        "{invalid:?}"
    );
    assert!(
        invalid.field_errors().iter().any(|e| e.field == "name"),
        "the problem names `name`: {invalid:?}"
    );

    // Delete, then the product is gone.
    client
        .delete_product(created[2].id)
        .await
        .expect("delete_product");
    let gone = client
        .get_product(created[2].id)
        .await
        .expect_err("deleted");
    assert!(gone.is_not_found(), "{gone:?}");

    println!(
        "client of shop: created 3, got 1, listed {} in pages of 2, 404 and 422 typed, deleted 1",
        all.len()
    );
}
