//! `/v1/products`: the product listing, read only. The rules live in `domain::product`, the SQL
//! in `db::products`; the products themselves come from `product`'s `ProductChanged` events.

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use super::error::ApiError;
use super::extract::{Json, Path, Query};
use super::pagination::{Page, PageParams, PageRequest};
use super::problem::Problem;
use crate::db;
use crate::domain::product::{Availability, Product, ProductFilter};
use crate::domain::validation::ValidationErrors;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_products))
        .routes(routes!(get_product))
}

/// `GET /v1/products` query: the filters, then the usual `limit` and `offset` (declared here
/// rather than flattened from [`PageParams`]: serde's `flatten` cannot read numbers from a
/// query string).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListProductsParams {
    /// Part of the name, matched ignoring case (1 to 200 characters; `%` and `_` are literal).
    #[param(min_length = 1, max_length = 200, example = "lamp")]
    pub q: Option<String>,
    /// Exact category, as listed by `GET /v1/categories` (1 to 200 characters).
    #[param(min_length = 1, max_length = 200, example = "lighting")]
    pub category: Option<String>,
    /// `true`: only products with stock (`in_stock`, `low_stock`); `false`: only `out_of_stock`.
    pub available: Option<bool>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Number of entries to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

impl ListProductsParams {
    /// The filter and the page, or every broken rule of both.
    fn validate(&self) -> Result<(ProductFilter, PageRequest), ValidationErrors> {
        let filter =
            ProductFilter::parse(self.q.as_deref(), self.category.as_deref(), self.available);
        let page = PageParams {
            limit: self.limit,
            offset: self.offset,
        }
        .validate();
        match (filter, page) {
            (Ok(filter), Ok(page)) => Ok((filter, page)),
            (filter, page) => {
                let mut errors = filter.err().unwrap_or_default();
                errors.0.extend(page.err().unwrap_or_default().0);
                Err(errors)
            }
        }
    }
}

/// A listed product: the newest version `product` published.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductResponse {
    pub id: Uuid,
    #[schema(example = "Desk lamp")]
    pub name: String,
    /// Absent (`null`) when the product has none, as in `product`'s API.
    pub description: Option<String>,
    #[schema(example = 1234)]
    pub price_cents: i64,
    /// `price_cents` in major units with two decimals, for display.
    #[schema(example = "12.34")]
    pub price: String,
    pub stock: i32,
    /// `out_of_stock`: no stock; `low_stock`: 1 to 5 left; `in_stock`: more.
    pub availability: Availability,
    #[schema(example = "lighting")]
    pub category: String,
    /// When `product` made the change this listing shows.
    pub updated_at: DateTime<Utc>,
}

impl From<Product> for ProductResponse {
    fn from(product: Product) -> Self {
        Self {
            availability: product.availability(),
            price: product.price(),
            id: product.id,
            name: product.name,
            description: product.description,
            price_cents: product.price_cents,
            stock: product.stock,
            category: product.category,
            updated_at: product.changed_at,
        }
    }
}

/// List products by name, optionally searched and filtered. Deleted products never appear.
#[utoipa::path(
    get,
    path = "/v1/products",
    tag = "products",
    params(ListProductsParams),
    responses(
        (status = 200, description = "One page of products; `total` counts those matching", body = Page<ProductResponse>),
        (status = 400, description = "A parameter has the wrong type (e.g. `available=yes`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid `q`, `category`, `limit` or `offset`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_products(
    State(state): State<AppState>,
    Query(params): Query<ListProductsParams>,
) -> Result<Json<Page<ProductResponse>>, ApiError> {
    let (filter, page) = params.validate()?;
    let (rows, total) = db::products::list(&state.db, &filter, page.limit, page.offset).await?;
    let listed = rows.into_iter().map(ProductResponse::from).collect();
    Ok(Json(Page::new(listed, page, total)))
}

/// Fetch one product.
#[utoipa::path(
    get,
    path = "/v1/products/{id}",
    tag = "products",
    params(("id" = Uuid, Path, description = "Product id (as in `product`)")),
    responses(
        (status = 200, description = "The product", body = ProductResponse),
        (status = 404, description = "No such product, or it was deleted", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_product(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
) -> Result<Json<ProductResponse>, ApiError> {
    let found = db::products::find(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound("product"))?;
    Ok(Json(found.into()))
}
