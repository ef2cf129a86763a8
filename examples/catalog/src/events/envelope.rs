//! The CloudEvents 1.0 envelope (structured JSON mode) every event travels in, so any consumer,
//! in any language, reads the same fields: `id`, `source`, `type`, `subject`, `time`, `data`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const SPEC_VERSION: &str = "1.0";
/// The `content-type` header of a structured-mode CloudEvent.
pub const CONTENT_TYPE: &str = "application/cloudevents+json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudEvent<T> {
    pub specversion: String,
    /// Unique per `source`: the outbox row id (a UUIDv7), also sent as `Nats-Msg-Id`.
    pub id: String,
    /// The producing service.
    pub source: String,
    /// `<service>.<event>.v<version>`, e.g. `product.product_changed.v1`; a new version is a new
    /// type.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The aggregate the event is about: its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// When the change was committed to the outbox.
    pub time: DateTime<Utc>,
    pub datacontenttype: String,
    pub data: T,
}

/// What happened to an aggregate. Every event's `data` carries it, with the aggregate's `id` and
/// its `version` after the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Created,
    Updated,
    /// The aggregate is gone; its `version` is one more than its last update's, so consumers
    /// order the deletion after it.
    Deleted,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Deleted => "deleted",
        }
    }
}
