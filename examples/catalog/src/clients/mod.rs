//! Clients of the services this one calls, made by `svcgen add-client` from their OpenAPI
//! documents (`api/clients/*.json`). How they behave and what to change: docs/clients.md.
//!
//! Each client is a module of its own (`product.rs`), which `svcgen add-client` rewrites when
//! the provider's contract changes: keep code that uses a client elsewhere. This file and
//! `http.rs` are the team's after the first client; later clients add lines at the anchors.

pub mod http;
// product: product 0.1.0 (`api/clients/product.json`). svcgen
// writes it again from each new contract, laid out as it lays it out: rustfmt leaves it alone.
#[rustfmt::skip]
pub mod product;
// svcgen:anchor clients-modules

use crate::config::Reader;

/// Where each service is and how long to wait for it, read with the rest of the
/// configuration (`crate::config`) and documented in `.env.example`.
#[derive(Debug, Clone)]
pub struct ClientsConfig {
    /// The `product` service (`PRODUCT_URL`, `PRODUCT_TIMEOUT_MILLIS`, `PRODUCT_RETRIES`).
    pub product: http::ClientSettings,
    // svcgen:anchor clients-fields
}

impl ClientsConfig {
    /// Reads every client's settings; problems are collected in `reader` with the others.
    pub(crate) fn read(reader: &mut Reader<'_>) -> Self {
        Self {
            product: http::ClientSettings::read(reader, "PRODUCT", "http://localhost:8080"),
            // svcgen:anchor clients-read
        }
    }
}
