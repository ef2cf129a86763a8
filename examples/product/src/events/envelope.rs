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

/// Where `value` holds the NUL character (U+0000), as paths into it (`name`, `tags[2]`,
/// `meta.colour`; the empty path is `value` itself). PostgreSQL stores it neither in `text` nor
/// in `jsonb` (which refuses `\u0000`), so an event holding one can be neither written to the
/// outbox nor copied by a consumer: both refuse it before the database does, naming the field.
pub fn nul_paths(value: &serde_json::Value) -> Vec<String> {
    let mut paths = Vec::new();
    collect_nul_paths(value, &mut String::new(), &mut paths);
    paths
}

fn collect_nul_paths(value: &serde_json::Value, path: &mut String, paths: &mut Vec<String>) {
    use std::fmt::Write;

    use serde_json::Value;
    let start = path.len();
    match value {
        Value::String(text) if text.contains('\0') => paths.push(path.clone()),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let _ = write!(path, "[{index}]");
                collect_nul_paths(item, path, paths);
                path.truncate(start);
            }
        }
        Value::Object(members) => {
            for (key, member) in members {
                if !path.is_empty() {
                    path.push('.');
                }
                // A key holding NUL (or a line break) is named escaped: the path goes into logs
                // and into dead-letter headers, which must stay one line.
                if key.chars().any(char::is_control) {
                    path.push_str(&key.escape_default().to_string());
                } else {
                    path.push_str(key);
                }
                if key.contains('\0') {
                    paths.push(path.clone());
                }
                collect_nul_paths(member, path, paths);
                path.truncate(start);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nul_characters_are_found_and_named_by_their_path() {
        let value = json!({
            "name": "a\u{0}b",
            "ok": "fine",
            "tags": ["x", "\u{0}"],
            "meta": {"colour": "re\u{0}d", "size": 3},
            "key\u{0}": true,
        });
        let mut paths = nul_paths(&value);
        paths.sort();
        assert_eq!(paths, ["key\\u{0}", "meta.colour", "name", "tags[1]"]);
        assert!(nul_paths(&json!({"name": "clean", "n": [1, "two"]})).is_empty());
    }
}
