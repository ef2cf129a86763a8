//! The transactional outbox: the only way this service emits an event.
//!
//! [`enqueue`] writes the event into the `outbox` table inside the caller's transaction, so the
//! event exists if and only if the business change committed: no event for a rolled-back change,
//! no lost event for a committed one, whatever crashes when. The relay (`relay.rs`) publishes
//! committed rows to NATS afterwards.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use crate::http::middleware::REQUEST_ID_HEADER;

/// The W3C trace context header, passed on as it came so traces span the event hop.
pub const TRACEPARENT_HEADER: &str = "traceparent";

/// An event this service publishes. Implemented by each event's module (`product_changed.rs`).
pub trait Event: Serialize {
    /// The CloudEvents `type` and NATS subject: `<service>.<event>.v<version>`.
    const EVENT_TYPE: &'static str;
    /// What kind of thing the event is about, e.g. `product`.
    const AGGREGATE_TYPE: &'static str;

    /// Which one it is about; the CloudEvents `subject`.
    fn aggregate_id(&self) -> String;
    /// The aggregate's version after the change. Consumers apply an event only if it is newer
    /// than what they have, so versions of one aggregate must increase.
    fn aggregate_version(&self) -> i64;
}

/// Context of the request that caused the event, copied into the message headers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Headers {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
}

impl Headers {
    fn of(request: &Request) -> Self {
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        Self {
            request_id: header(REQUEST_ID_HEADER),
            traceparent: header(TRACEPARENT_HEADER),
        }
    }
}

tokio::task_local! {
    static REQUEST_HEADERS: Headers;
}

/// Middleware: remembers the request id and `traceparent` for the events the request emits.
pub async fn capture_request(request: Request, next: Next) -> Response {
    let headers = Headers::of(&request);
    REQUEST_HEADERS.scope(headers, next.run(request)).await
}

/// Writes `event` to the outbox in `tx`; it is published once `tx` commits, and never if it
/// rolls back. Returns the event id (the CloudEvents `id` and `Nats-Msg-Id`).
pub async fn enqueue<E: Event>(
    tx: &mut Transaction<'_, Postgres>,
    event: &E,
) -> sqlx::Result<Uuid> {
    // Time-ordered ids keep the table's newest rows together; the relay orders by `seq`.
    let id = Uuid::now_v7();
    let headers = REQUEST_HEADERS.try_with(Headers::clone).unwrap_or_default();
    sqlx::query(
        "insert into outbox \
         (id, aggregate_type, aggregate_id, aggregate_version, event_type, payload, headers) \
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(E::AGGREGATE_TYPE)
    .bind(event.aggregate_id())
    .bind(event.aggregate_version())
    .bind(E::EVENT_TYPE)
    .bind(Json(event))
    .bind(Json(&headers))
    .execute(&mut **tx)
    .await?;
    Ok(id)
}
