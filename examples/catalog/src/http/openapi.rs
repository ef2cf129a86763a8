//! The OpenAPI document, assembled from the `#[utoipa::path]` annotations.

use utoipa::OpenApi;

/// Title, version and description come from `Cargo.toml`.
#[derive(OpenApi)]
#[openapi(
    tags(
        (name = "products", description = "The product listing: a read-only copy of the products of `product`, and their categories"),
        (name = "operations", description = "Probes for orchestrators and load balancers"),
    )
)]
pub struct ApiDoc;

/// The document served at `/openapi.json`, before the routes add their paths.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    // utoipa copies `license` from Cargo.toml; this service has none (it is not
    // published), so leave the field out rather than emit an empty name.
    document.info.license = None;
    document
}
