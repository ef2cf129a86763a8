{%- set E = event.name -%}
{%- set e = event.name | snake_case -%}
{%- set r = resource | snake_case -%}
{%- set R = resource | pascal_case -%}
{%- set bound = event.role == "producer" and example_resource and event.aggregate == r -%}
{%- set event_type = event.from ~ "." ~ e ~ ".v" ~ event.version -%}
{#- What the event is about; an event of this service that is not about the example resource
    may come without one: then it is its own aggregate. -#}
{%- set aggregate = event.aggregate -%}
{%- if not aggregate %}{% set aggregate = e %}{% endif -%}
{%- set copy_table = aggregate ~ "_copy" -%}
{%- if event.role == "producer" -%}
//! `{{ E }}`: published by this service{% if bound %} whenever a {{ r | replace(from="_", to=" ") }} is created, updated or
//! deleted (`db::{{ resource_plural | snake_case }}` emits it in the same transaction){% endif %}.
//!
//! Consumers rely on its contract, `events/{{ E | kebab_case }}.v1.json`: change the fields only by
//! adding a new event (`{{ E }}V2`), never in place.

use serde::{Deserialize, Serialize};
{%- if bound %}
use sqlx::{Postgres, Transaction};
{%- endif %}
use uuid::Uuid;

use super::envelope::Change;
{%- if bound %}
use super::outbox;
{%- endif %}
use super::outbox::Event;
{%- if bound %}
use crate::domain::{{ r }}::{{ R }};
{%- endif %}

/// The event's `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct {{ E }} {
    /// The {{ aggregate | replace(from="_", to=" ") }}'s id (also the CloudEvents `subject`).
    pub id: Uuid,
    /// The {{ aggregate | replace(from="_", to=" ") }}'s version after the change; consumers keep the newest.
    pub version: i64,
    pub change: Change,
{%- for field in event.fields %}
    pub {{ field.name }}: {{ field.rust }},
{%- endfor %}
}

impl Event for {{ E }} {
    const EVENT_TYPE: &'static str = "{{ event_type }}";
    const AGGREGATE_TYPE: &'static str = "{{ aggregate }}";

    fn aggregate_id(&self) -> String {
        self.id.to_string()
    }

    fn aggregate_version(&self) -> i64 {
        self.version
    }
}
{%- if bound %}

impl {{ E }} {
    /// The event for `change`, from the {{ r | replace(from="_", to=" ") }} as the change left it (for a deletion: as it was).
    pub fn new({{ r }}: &{{ R }}, change: Change) -> Self {
        Self {
            id: {{ r }}.id,
            // A deletion comes after the last update, so it gets the next version.
            version: match change {
                Change::Deleted => {{ r }}.version + 1,
                Change::Created | Change::Updated => {{ r }}.version,
            },
            change,
{%- for field in event.fields %}
{%- if field.name == "name" and field.rust == "String" %}
            name: {{ r }}.name.clone(),
{%- elif field.name == "description" and field.rust == "String" %}
            description: {{ r }}.description.clone().unwrap_or_default(),
{%- else %}
            // Not a field of `{{ R }}`: set it from where it lives (add the column first).
            {{ field.name }}: Default::default(),
{%- endif %}
{%- endfor %}
        }
    }
}

/// Records the event in `tx`'s outbox: it is published if and only if `tx` commits.
pub async fn emit(
    tx: &mut Transaction<'_, Postgres>,
    {{ r }}: &{{ R }},
    change: Change,
) -> Result<(), outbox::EnqueueError> {
    outbox::enqueue(tx, &{{ E }}::new({{ r }}, change))
        .await
        .map(drop)
}
{%- endif %}
{% else -%}
//! `{{ E }}`: consumed from `{{ event.from }}` (its contract is `events/{{ E | kebab_case }}.v1.json`
//! in the {{ event.from }} repository).
//!
//! [`Consume::apply_batch`] below is yours: the generated one keeps a local copy of each
//! {{ aggregate | replace(from="_", to=" ") }} in `{{ aggregate }}_copy`. Whatever it does, it runs in the transaction
//! that records the events as handled, so it happens once per event.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::consumer::{Consume, HandlerError, Outcome};
use super::envelope::{Change, CloudEvent};

/// The event's `data`. Fields the producer adds later are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct {{ E }} {
    /// The {{ aggregate | replace(from="_", to=" ") }}'s id.
    pub id: Uuid,
    /// The {{ aggregate | replace(from="_", to=" ") }}'s version after the change.
    pub version: i64,
    pub change: Change,
{%- for field in event.fields %}
    pub {{ field.name }}: {{ field.rust }},
{%- endfor %}
}

impl Consume for {{ E }} {
    const PRODUCER: &'static str = "{{ event.from }}";
    const EVENT_TYPE: &'static str = "{{ event_type }}";
    const NAME: &'static str = "{{ e }}";

    /// One event: a batch of one.
    async fn apply(
        tx: &mut Transaction<'_, Postgres>,
        event: &CloudEvent<Self>,
    ) -> Result<Outcome, HandlerError> {
        let outcomes = Self::apply_batch(tx, std::slice::from_ref(event)).await?;
        Ok(outcomes[0])
    }

    /// Upserts the copies in one statement, each unless it already holds this version or a
    /// newer one; a deletion keeps the row, marked `deleted`, so a late older event cannot
    /// bring it back.
    async fn apply_batch(
        tx: &mut Transaction<'_, Postgres>,
        events: &[CloudEvent<Self>],
    ) -> Result<Vec<Outcome>, HandlerError> {
        // Only the newest version per id is written: one statement may not change a row twice,
        // and the older versions are stale anyway.
        let mut newest: HashMap<Uuid, usize> = HashMap::new();
        for (index, event) in events.iter().enumerate() {
            let kept = newest.entry(event.data.id).or_insert(index);
            if events[*kept].data.version < event.data.version {
                *kept = index;
            }
        }
        // In id order, so concurrent batches lock the rows in the same order (no deadlocks).
        let mut rows: Vec<&CloudEvent<Self>> =
            newest.values().map(|&index| &events[index]).collect();
        rows.sort_unstable_by_key(|event| event.data.id);

        // The table and field names are quoted, so an SQL keyword (`order`, `user`) can be one.
        let applied: HashSet<Uuid> = sqlx::query_scalar(
            r#"insert into {{ copy_table | sql_ident }}
             (id, version, deleted, {% for field in event.fields %}{{ field.name | sql_ident }}, {% endfor %}changed_at)
             select * from unnest($1::uuid[], $2::bigint[], $3::boolean[], {% for field in event.fields %}${{ loop.index + 3 }}::{{ field.sql }}[], {% endfor %}${{ event.fields | length + 4 }}::timestamptz[])
             on conflict (id) do update set
             version = excluded.version, deleted = excluded.deleted,
             {% for field in event.fields %}{{ field.name | sql_ident }} = excluded.{{ field.name | sql_ident }}, {% endfor %}changed_at = excluded.changed_at, updated_at = now()
             where {{ copy_table | sql_ident }}.version < excluded.version
             returning id"#,
        )
        .bind(column(&rows, |event| event.data.id))
        .bind(column(&rows, |event| event.data.version))
        .bind(column(&rows, |event| event.data.change == Change::Deleted))
{%- for field in event.fields %}
        .bind(column(&rows, |event| event.data.{{ field.name }}{% if not field.copy %}.clone(){% endif %}))
{%- endfor %}
        .bind(column(&rows, |event| event.time))
        .fetch_all(&mut **tx)
        .await?
        .into_iter()
        .collect();
        Ok(events
            .iter()
            .enumerate()
            .map(|(index, event)| {
                if newest[&event.data.id] == index && applied.contains(&event.data.id) {
                    Outcome::Applied
                } else {
                    Outcome::Stale
                }
            })
            .collect())
    }
}

/// One column of the rows, to bind as an array.
fn column<R, T>(rows: &[&R], value: impl Fn(&R) -> T) -> Vec<T> {
    rows.iter().map(|&row| value(row)).collect()
}
{% endif -%}
