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

use super::envelope::nul_paths;
use crate::domain::validation::ValidationErrors;
use crate::http::error::ApiError;
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

/// Why an event could not be written to the outbox.
#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    /// A field holds what the outbox cannot store (the NUL character, which `jsonb` refuses):
    /// the request is at fault, and the HTTP layer answers 422 naming the fields.
    #[error("event {event_type} has fields the outbox cannot store: {}", fields(.errors))]
    Invalid {
        event_type: &'static str,
        errors: ValidationErrors,
    },
    #[error("cannot write the event to the outbox")]
    Database(#[from] sqlx::Error),
}

fn fields(errors: &ValidationErrors) -> String {
    let names: Vec<&str> = errors.0.iter().map(|error| error.field.as_str()).collect();
    names.join(", ")
}

/// A handler's `?` on [`enqueue`] answers 422 for an invalid event, 500 for the database.
impl From<EnqueueError> for ApiError {
    fn from(err: EnqueueError) -> Self {
        match err {
            EnqueueError::Invalid { errors, .. } => Self::Validation(errors),
            EnqueueError::Database(err) => Self::Database(err),
        }
    }
}

/// For code speaking `sqlx::Result` (the `db` module): an invalid event is an encoding error
/// there, still naming the fields. Its data comes from input the HTTP layer validated first.
impl From<EnqueueError> for sqlx::Error {
    fn from(err: EnqueueError) -> Self {
        match err {
            EnqueueError::Database(err) => err,
            invalid @ EnqueueError::Invalid { .. } => Self::Encode(Box::new(invalid)),
        }
    }
}

/// Writes `event` to the outbox in `tx`; it is published once `tx` commits, and never if it
/// rolls back. Returns the event id (the CloudEvents `id` and `Nats-Msg-Id`). An event holding
/// a NUL character is refused, with the fields named, before anything is written.
pub async fn enqueue<E: Event>(
    tx: &mut Transaction<'_, Postgres>,
    event: &E,
) -> Result<Uuid, EnqueueError> {
    let payload = serde_json::to_value(event).map_err(|err| sqlx::Error::Encode(Box::new(err)))?;
    let mut invalid = ValidationErrors::default();
    for path in nul_paths(&payload) {
        invalid.add(
            &path,
            "nul_character",
            "must not contain the NUL character (U+0000)",
        );
    }
    if !invalid.0.is_empty() {
        return Err(EnqueueError::Invalid {
            event_type: E::EVENT_TYPE,
            errors: invalid,
        });
    }
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
    .bind(Json(&payload))
    .bind(Json(&headers))
    .execute(&mut **tx)
    .await?;
    Ok(id)
}
