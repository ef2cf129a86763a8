//! `/v1/categories`: the categories of the listed products, with their counts. Read only; the
//! SQL is in `db::products` (categories are a grouping of the product listing, not a table).

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::ApiError;
use super::extract::{Json, Query};
use super::pagination::{Page, PageParams};
use super::problem::Problem;
use crate::db;
use crate::domain::product::CategorySummary;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_categories))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryResponse {
    /// The value to pass as `category` to `GET /v1/products`.
    #[schema(example = "lighting")]
    pub name: String,
    /// Products listed in the category (deleted ones are not).
    #[schema(example = 12)]
    pub product_count: i64,
    /// Those of them with stock (`in_stock` or `low_stock`).
    #[schema(example = 9)]
    pub available_count: i64,
}

impl From<CategorySummary> for CategoryResponse {
    fn from(category: CategorySummary) -> Self {
        Self {
            name: category.name,
            product_count: category.product_count,
            available_count: category.available_count,
        }
    }
}

/// List the categories that have at least one listed product, by name.
#[utoipa::path(
    get,
    path = "/v1/categories",
    tag = "products",
    params(PageParams),
    responses(
        (status = 200, description = "One page of categories; `total` counts them all", body = Page<CategoryResponse>),
        (status = 422, description = "Invalid `limit` or `offset`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_categories(
    State(state): State<AppState>,
    Query(params): Query<PageParams>,
) -> Result<Json<Page<CategoryResponse>>, ApiError> {
    let page = params.validate()?;
    let (rows, total) = db::products::categories(&state.db, page.limit, page.offset).await?;
    let listed = rows.into_iter().map(CategoryResponse::from).collect();
    Ok(Json(Page::new(listed, page, total)))
}
