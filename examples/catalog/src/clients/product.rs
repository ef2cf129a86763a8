//! Client of the `product` service: product 0.1.0.
//!
//! Made by `svcgen add-client product` from `api/clients/product.json`, and made again
//! from it when the contract changes: svcgen rewrites this file, so keep code that uses the
//! client elsewhere. Calls time out, idempotent ones are retried, and each carries the id of
//! the request being handled (`super::http`).

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::http::{ClientError, ClientSettings, Page, Pages, Transport};

/// The service's name, in errors and metrics.
pub const SERVICE: &str = "product";

/// Calls to the `product` service; cheap to clone, and one is enough for the process
/// (it holds the connection pool).
#[derive(Debug, Clone)]
pub struct ProductClient {
    transport: Transport,
}

impl ProductClient {
    pub fn new(settings: &ClientSettings) -> Result<Self, ClientError> {
        Ok(Self { transport: Transport::new(SERVICE, settings)? })
    }

    /// The client the service's configuration describes (`PRODUCT_URL`, ...).
    pub fn from_config(config: &crate::config::Config) -> Result<Self, ClientError> {
        Self::new(&config.clients.product)
    }

    /// The process is up and serving HTTP. Checks no dependency, so a database
    /// outage never gets the service restarted.
    ///
    /// `GET /livez`; errors: 408, 413, 500.
    pub async fn livez(&self) -> Result<HealthStatus, ClientError> {
        let url = self.transport.url(&["livez"]);
        let request = self.transport.request(Method::GET, url);
        self.transport.json(request, true).await
    }

    /// The service can take traffic: its dependencies answer and shutdown has not begun.
    ///
    /// `GET /readyz`; errors: 408, 413, 500, 503.
    pub async fn readyz(&self) -> Result<HealthStatus, ClientError> {
        let url = self.transport.url(&["readyz"]);
        let request = self.transport.request(Method::GET, url);
        self.transport.json(request, true).await
    }

    /// List products in creation order, optionally filtered; `total` counts the products the
    /// filters keep.
    ///
    /// `GET /v1/products`; errors: 400, 408, 413, 422, 500.
    pub async fn list_products(&self, query: &ListProductsQuery) -> Result<Page<ProductResponse>, ClientError> {
        let url = self.transport.url(&["v1", "products"]);
        let request = self.transport.request(Method::GET, url).query(query);
        self.transport.json(request, true).await
    }

    /// Every item `list_products` lists, a page at a time as they are read.
    pub fn list_products_pages(&self, query: ListProductsQuery) -> Pages<'_, ProductResponse> {
        Pages::new(query.offset.unwrap_or(0), move |offset| {
            let query = ListProductsQuery { offset: Some(offset), ..query.clone() };
            Box::pin(async move { self.list_products(&query).await })
        })
    }

    /// Create a new product.
    ///
    /// `POST /v1/products`; errors: 400, 408, 409, 413, 415, 422, 500.
    pub async fn create_product(&self, body: &CreateProduct) -> Result<ProductResponse, ClientError> {
        let url = self.transport.url(&["v1", "products"]);
        let request = self.transport.request(Method::POST, url).json(body);
        self.transport.json(request, false).await
    }

    /// Fetch one product.
    ///
    /// `GET /v1/products/{id}`; errors: 400, 404, 408, 413, 422, 500.
    pub async fn get_product(&self, id: uuid::Uuid) -> Result<ProductResponse, ClientError> {
        let url = self.transport.url(&["v1", "products", &id.to_string()]);
        let request = self.transport.request(Method::GET, url);
        self.transport.json(request, true).await
    }

    /// Replace all fields of one product, if it is still at the `version` sent.
    ///
    /// `PUT /v1/products/{id}`; errors: 400, 404, 408, 409, 413, 415, 422, 500.
    pub async fn update_product(&self, id: uuid::Uuid, body: &UpdateProduct) -> Result<ProductResponse, ClientError> {
        let url = self.transport.url(&["v1", "products", &id.to_string()]);
        let request = self.transport.request(Method::PUT, url).json(body);
        self.transport.json(request, true).await
    }

    /// Delete one product.
    ///
    /// `DELETE /v1/products/{id}`; errors: 400, 404, 408, 413, 422, 500.
    pub async fn delete_product(&self, id: uuid::Uuid) -> Result<(), ClientError> {
        let url = self.transport.url(&["v1", "products", &id.to_string()]);
        let request = self.transport.request(Method::DELETE, url);
        self.transport.empty(request, true).await
    }
}

/// Query parameters of `GET /v1/products`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ListProductsQuery {
    /// Page size, 1 to 100 (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Number of entries to skip (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    /// Only this category (compared after lowercasing, like stored categories).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Only products whose name contains this text, ignoring case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// `true`: only products with stock > 0; `false`: only those with stock 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_stock: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthStatus {
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductResponse {
    /// Lowercase slug.
    pub category: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub id: uuid::Uuid,
    pub name: String,
    /// In the currency's smallest unit.
    pub price_cents: i64,
    pub stock: i32,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Send it back unchanged when updating.
    pub version: i64,
}

/// Body of `POST /v1/products`. Missing fields are reported as validation errors, per field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateProduct {
    /// A slug: letters and digits in words joined by single hyphens. Stored lowercased.
    pub category: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub name: String,
    /// In the currency's smallest unit: 1999 is 19.99.
    pub price_cents: i64,
    /// Units on hand; 0 when out of stock.
    pub stock: i32,
}

/// Body of `PUT /v1/products/{id}`: the full new state, plus the version it replaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateProduct {
    pub category: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub name: String,
    pub price_cents: i64,
    pub stock: i32,
    /// The `version` last read; a stale one is rejected with 409.
    pub version: Option<i64>,
}
