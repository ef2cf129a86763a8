//! `/v1/products`: HTTP in and out; the rules live in `domain::product`, the SQL in `db::products`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use super::error::{ApiError, ResultExt};
use super::extract::{Json, Path, Query};
use super::pagination::{Page, PageParams};
use super::problem::Problem;
use crate::db;
use crate::db::products::UpdateOutcome;
use crate::domain::product::Product;
use crate::domain::product::ProductFields;
use crate::domain::product::{ProductFilter, ProductInput};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_products, create_product))
        .routes(routes!(get_product, update_product, delete_product))
}

/// Body of `POST /v1/products`. Missing fields are reported as validation errors, per field.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateProduct {
    #[serde(default)]
    #[schema(
        required = true,
        min_length = 1,
        max_length = 200,
        example = "Desk lamp"
    )]
    pub name: String,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// In the currency's smallest unit: 1999 is 19.99.
    #[schema(
        value_type = i64,
        required = true,
        minimum = 0,
        maximum = 100_000_000,
        example = 1999
    )]
    pub price_cents: Option<i64>,
    /// Units on hand; 0 when out of stock.
    #[schema(
        value_type = i32,
        required = true,
        minimum = 0,
        maximum = 2_147_483_647,
        example = 12
    )]
    pub stock: Option<i64>,
    /// A slug: letters and digits in words joined by single hyphens. Stored lowercased.
    #[schema(
        value_type = String,
        required = true,
        min_length = 1,
        max_length = 50,
        pattern = "^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$",
        example = "lighting"
    )]
    pub category: Option<String>,
}

impl CreateProduct {
    fn input(&self) -> ProductInput<'_> {
        ProductInput {
            name: &self.name,
            description: self.description.as_deref(),
            price_cents: self.price_cents,
            stock: self.stock,
            category: self.category.as_deref(),
        }
    }
}

/// Body of `PUT /v1/products/{id}`: the full new state, plus the version it replaces.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateProduct {
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    #[schema(value_type = i64, required = true, minimum = 0, maximum = 100_000_000)]
    pub price_cents: Option<i64>,
    #[schema(value_type = i32, required = true, minimum = 0, maximum = 2_147_483_647)]
    pub stock: Option<i64>,
    #[schema(
        value_type = String,
        required = true,
        min_length = 1,
        max_length = 50,
        pattern = "^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$"
    )]
    pub category: Option<String>,
    /// The `version` last read; a stale one is rejected with 409.
    #[schema(required = true, minimum = 1)]
    pub version: Option<i64>,
}

impl UpdateProduct {
    fn input(&self) -> ProductInput<'_> {
        ProductInput {
            name: &self.name,
            description: self.description.as_deref(),
            price_cents: self.price_cents,
            stock: self.stock,
            category: self.category.as_deref(),
        }
    }
}

/// `GET /v1/products` filters, besides `limit` and `offset`. Taken as text and checked by
/// `ProductFilter::parse`, so a bad value is a 422 naming the parameter, like a bad `limit`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductFilterParams {
    /// Only this category (compared after lowercasing, like stored categories).
    #[param(min_length = 1, max_length = 50, example = "lighting")]
    pub category: Option<String>,
    /// Only products whose name contains this text, ignoring case.
    #[param(min_length = 1, max_length = 200, example = "lamp")]
    pub q: Option<String>,
    /// `true`: only products with stock > 0; `false`: only those with stock 0.
    #[param(value_type = Option<bool>)]
    pub in_stock: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductResponse {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// In the currency's smallest unit.
    pub price_cents: i64,
    pub stock: i32,
    /// Lowercase slug.
    pub category: String,
    /// Send it back unchanged when updating.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Product> for ProductResponse {
    fn from(product: Product) -> Self {
        Self {
            id: product.id,
            name: product.name,
            description: product.description,
            price_cents: product.price_cents,
            stock: product.stock,
            category: product.category,
            version: product.version,
            created_at: product.created_at,
            updated_at: product.updated_at,
        }
    }
}

fn name_taken() -> ApiError {
    ApiError::Conflict {
        code: "already_exists",
        detail: "the name is already taken by another product".to_owned(),
    }
}

/// List products in creation order, optionally filtered; `total` counts the products the
/// filters keep.
#[utoipa::path(
    get,
    path = "/v1/products",
    tag = "products",
    params(PageParams, ProductFilterParams),
    responses(
        (status = 200, description = "One page of products", body = Page<ProductResponse>),
        (status = 422, description = "Invalid `limit`, `offset`, `category`, `q` or `in_stock`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_products(
    State(state): State<AppState>,
    Query(params): Query<PageParams>,
    Query(filter): Query<ProductFilterParams>,
) -> Result<Json<Page<ProductResponse>>, ApiError> {
    // Both checked before answering, so one 422 names every bad parameter.
    let page = params.validate();
    let filter = ProductFilter::parse(
        filter.category.as_deref(),
        filter.q.as_deref(),
        filter.in_stock.as_deref(),
    );
    let (page, filter) = match (page, filter) {
        (Ok(page), Ok(filter)) => (page, filter),
        (page, filter) => {
            let mut errors = page.err().unwrap_or_default();
            errors.0.extend(filter.err().unwrap_or_default().0);
            return Err(errors.into());
        }
    };
    let (rows, total) = db::products::list(&state.db, &filter, page.limit, page.offset).await?;
    let listed = rows.into_iter().map(ProductResponse::from).collect();
    Ok(Json(Page::new(listed, page, total)))
}

/// Create a new product.
#[utoipa::path(
    post,
    path = "/v1/products",
    tag = "products",
    request_body = CreateProduct,
    responses(
        (status = 201, description = "Created", body = ProductResponse,
            headers(("location" = String, description = "URL of the new product"))),
        (status = 409, description = "The name is taken by another product", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_product(
    State(state): State<AppState>,
    Json(input): Json<CreateProduct>,
) -> Result<impl IntoResponse, ApiError> {
    let fields = ProductFields::parse(input.input())?;
    let created = db::products::insert(&state.db, &fields)
        .await
        .on_constraint(db::products::NAME_UNIQUE, |_| name_taken())?;
    let location = format!("/v1/products/{}", created.id);
    let body = Json(ProductResponse::from(created));
    Ok((StatusCode::CREATED, [(LOCATION, location)], body))
}

/// Fetch one product.
#[utoipa::path(
    get,
    path = "/v1/products/{id}",
    tag = "products",
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 200, description = "The product", body = ProductResponse),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
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

/// Replace all fields of one product, if it is still at the `version` sent.
#[utoipa::path(
    put,
    path = "/v1/products/{id}",
    tag = "products",
    params(("id" = Uuid, Path, description = "Product id")),
    request_body = UpdateProduct,
    responses(
        (status = 200, description = "The updated product, with a new version", body = ProductResponse),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Stale `version`, or the name is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_product(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Json(input): Json<UpdateProduct>,
) -> Result<Json<ProductResponse>, ApiError> {
    let fields = ProductFields::parse(input.input());
    let (fields, version) = match (fields, input.version) {
        (Ok(fields), Some(version)) => (fields, version),
        (fields, version) => {
            let mut errors = fields.err().unwrap_or_default();
            if version.is_none() {
                errors.add("version", "required", "must be the version last read");
            }
            return Err(errors.into());
        }
    };
    let outcome = db::products::update(&state.db, id, version, &fields)
        .await
        .on_constraint(db::products::NAME_UNIQUE, |_| name_taken())?;
    match outcome {
        UpdateOutcome::Updated(product) => Ok(Json(product.into())),
        UpdateOutcome::NotFound => Err(ApiError::NotFound("product")),
        UpdateOutcome::VersionMismatch { current } => Err(ApiError::Conflict {
            code: "version_conflict",
            detail: format!(
                "the product is at version {current}, not {version}; fetch it again and reapply the change"
            ),
        }),
    }
}

/// Delete one product.
#[utoipa::path(
    delete,
    path = "/v1/products/{id}",
    tag = "products",
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_product(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    if db::products::delete(&state.db, id).await?.is_some() {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("product"))
    }
}
