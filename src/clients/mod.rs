//! Typed clients of other services, made from their OpenAPI documents (`svcgen add-client`).
//!
//! [`model`] turns a provider's document into what the blueprint's `clients/` part renders:
//! operations and the named types they use, each spelled in Rust by the part's `[types]` table.

pub mod model;
