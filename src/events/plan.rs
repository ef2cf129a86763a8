//! Planning `add-event`: from a service's files, its record and an event, the exact set of file
//! changes, computed in memory before anything is written.
//!
//! The plan is a pure function of its inputs ([`FileView`] is read, never written), which is what
//! makes `--dry-run` honest and lets `update` replay recorded events on a tree in memory.

use std::collections::BTreeMap;

use heck::ToSnakeCase;
use serde::Serialize;

use super::part::EventsPart;
use super::spec::EventSpec;
use crate::apply::Change;
use crate::error::{Error, Result};
use crate::part::insert::{Pending, apply_insert};
use crate::render::render_with_context;
use crate::service::files::FileView;
use crate::service::record::{EventRecord, EventRole, RECORD_PATH, Record};
use crate::template;
use crate::tree::RelPath;

/// The folder whose `.sql` files are migrations, numbered by a version prefix.
const MIGRATIONS_DIR: &str = "migrations";

/// Everything an `add-event` run changes. Empty when the event is already there as asked.
#[derive(Debug, Clone, PartialEq)]
pub struct EventPlan {
    /// The service's files that change (never svcgen's own: see `record`).
    pub changes: Vec<Change>,
    /// The record with the event in it, for the caller to store with the changes.
    pub record: Record,
    /// Whether the record gains the event (false on a re-run).
    pub records_new_event: bool,
}

impl EventPlan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && !self.records_new_event
    }
}

/// How an event looks to templates (`event.name`, `event.fields`, ...).
#[derive(Debug, Clone, Serialize)]
struct EventContext {
    name: String,
    role: EventRole,
    from: String,
    version: u32,
    /// The snake_case thing the event is about: the name without its last word
    /// (`ProductChanged` -> `product`, `OrderLinePlaced` -> `order_line`).
    aggregate: String,
    fields: Vec<toml::Table>,
}

/// Plans adding `spec` to the service whose files `files` shows. `service_name` is the service's
/// own name (the record's `name` answer).
pub fn plan_add_event(
    part: &EventsPart,
    record: &Record,
    spec: &EventSpec,
    files: &dyn FileView,
) -> Result<EventPlan> {
    let new_record = record_with_event(record, spec)?;
    let service_name = record
        .service_name()
        .ok_or_else(|| Error::Record {
            path: RECORD_PATH.into(),
            message: "has no `name` answer".into(),
        })?
        .to_owned();

    let context = build_context(part, &new_record, spec, &service_name)?;
    let mut pending = Pending::new(files);

    // Whole files first, so inserts can target a file this run creates (`src/events/mod.rs`).
    let rendered = render_with_context(&part.part.templates, &context)?;
    let migrations = assign_migration_names(&rendered, files)?;
    for (template_path, entry) in rendered.iter() {
        let path = migrations
            .get(template_path)
            .cloned()
            .unwrap_or_else(|| template_path.clone());
        match pending.read(&path)? {
            None => pending.write(path, entry.clone()),
            // Same bytes is a re-run; same bytes with another mode is the team's choice.
            Some(existing) if existing.contents == entry.contents => {}
            Some(_)
                if part.part.keep.is_match(path.as_str())
                    || migrations.contains_key(template_path) => {}
            Some(_) => {
                return Err(Error::EventConflict {
                    event: spec.name.clone(),
                    message: format!(
                        "`{path}` already exists with other contents; svcgen will not overwrite it. \
                         If it is a leftover, remove it; if the event changed, give it a new name"
                    ),
                });
            }
        }
    }

    for insert in &part.part.inserts {
        apply_insert(&part.part, insert, &context, &mut pending)?;
    }

    let records_new_event = new_record != *record;
    Ok(EventPlan {
        changes: pending.into_changes()?,
        record: new_record,
        records_new_event,
    })
}

/// The record with `spec` appended, or unchanged when the same event is already recorded. An event
/// of the same name recorded differently is refused: changing a published contract in place
/// would break its consumers.
fn record_with_event(record: &Record, spec: &EventSpec) -> Result<Record> {
    let wanted = spec.to_record();
    match record.events.iter().find(|e| e.name == wanted.name) {
        Some(existing) if *existing == wanted => Ok(record.clone()),
        Some(existing) => Err(Error::EventConflict {
            event: spec.name.clone(),
            message: format!(
                "this service already has it as a {} event {}; \
                 an event's contract is not changed in place: add a new event (e.g. `{}V2`) instead",
                role_word(existing.role),
                describe_record(existing),
                spec.name
            ),
        }),
        None => {
            let mut updated = record.clone();
            updated.events.push(wanted);
            Ok(updated)
        }
    }
}

fn role_word(role: EventRole) -> &'static str {
    match role {
        EventRole::Producer => "producer",
        EventRole::Consumer => "consumer",
    }
}

fn describe_record(event: &EventRecord) -> String {
    let from = event
        .from
        .as_deref()
        .map(|f| format!(" from `{f}`"))
        .unwrap_or_default();
    format!("with fields {}{from}", event.fields.join(" "))
}

fn build_context(
    part: &EventsPart,
    record: &Record,
    spec: &EventSpec,
    service_name: &str,
) -> Result<tera::Context> {
    let types = part.type_names();
    let events: Vec<EventContext> = record
        .events
        .iter()
        .map(|recorded| {
            let recorded = EventSpec::from_record(recorded, &types)?;
            Ok(event_context(part, &recorded, service_name))
        })
        .collect::<Result<_>>()?;
    let by_role = |role: EventRole| -> Vec<&EventContext> {
        events.iter().filter(|e| e.role == role).collect()
    };
    let producer_events = by_role(EventRole::Producer);
    let consumer_events = by_role(EventRole::Consumer);
    // "First" by position in the record, so a re-run of the first event is still the first.
    let first_of_role = |list: &[&EventContext]| list.first().is_some_and(|e| e.name == spec.name);

    let mut context = template::context(&record.answers);
    context.insert("event", &event_context(part, spec, service_name));
    context.insert("first_producer", &first_of_role(&producer_events));
    context.insert("first_consumer", &first_of_role(&consumer_events));
    context.insert("producer_events", &producer_events);
    context.insert("consumer_events", &consumer_events);
    context.insert("events", &events);
    Ok(context)
}

fn event_context(part: &EventsPart, spec: &EventSpec, service_name: &str) -> EventContext {
    let fields = spec
        .fields
        .iter()
        .map(|field| {
            let mut table = part.types.get(&field.kind).cloned().unwrap_or_default();
            table.insert("name".into(), toml::Value::String(field.name.clone()));
            table.insert("type".into(), toml::Value::String(field.kind.clone()));
            table
        })
        .collect();
    EventContext {
        name: spec.name.clone(),
        role: spec.role,
        from: spec.from.clone().unwrap_or_else(|| service_name.to_owned()),
        version: 1,
        aggregate: aggregate_of(&spec.name),
        fields,
    }
}

/// `ProductChanged` -> `product`; a one-word name is its own aggregate.
pub fn aggregate_of(event_name: &str) -> String {
    let snake = event_name.to_snake_case();
    match snake.rsplit_once('_') {
        Some((aggregate, _verb)) => aggregate.to_owned(),
        None => snake,
    }
}

/// Migrations in the part are written as `migrations/<stem>.sql`; in the service each becomes
/// `migrations/<version>_<stem>.sql`, with versions after the service's newest, unless a
/// migration with that stem exists already (a re-run, or a second event sharing the outbox).
fn assign_migration_names(
    rendered: &crate::tree::Tree,
    files: &dyn FileView,
) -> Result<BTreeMap<RelPath, RelPath>> {
    let existing = files.list_files(MIGRATIONS_DIR)?;
    let mut next_version = existing
        .iter()
        .filter_map(|name| version_prefix(name))
        .max()
        .map_or(1, |v| v + 1);
    let width = existing
        .iter()
        .filter_map(|name| name.split_once('_').map(|(v, _)| v.len()))
        .max()
        .unwrap_or(4);

    let mut names = BTreeMap::new();
    for (path, _) in rendered.iter() {
        let Some(file) = path
            .as_str()
            .strip_prefix(MIGRATIONS_DIR)
            .and_then(|rest| rest.strip_prefix('/'))
        else {
            continue;
        };
        if file.contains('/') {
            continue;
        }
        let suffix = format!("_{file}");
        let name = match existing
            .iter()
            .find(|name| name.ends_with(&suffix) && version_prefix(name).is_some())
        {
            Some(found) => found.clone(),
            None => {
                let name = format!("{next_version:0width$}_{file}");
                next_version += 1;
                name
            }
        };
        let target = RelPath::new(&format!("{MIGRATIONS_DIR}/{name}"))
            .expect("a file name under a valid folder is a valid path");
        names.insert(path.clone(), target);
    }
    Ok(names)
}

fn version_prefix(file_name: &str) -> Option<u64> {
    let (version, _) = file_name.split_once('_')?;
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    version.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregate_drops_the_verb() {
        assert_eq!(aggregate_of("ProductChanged"), "product");
        assert_eq!(aggregate_of("OrderLinePlaced"), "order_line");
        assert_eq!(aggregate_of("Ping"), "ping");
    }

    #[test]
    fn migration_versions_follow_the_newest() {
        assert_eq!(
            version_prefix("20260101000100_create_items.sql"),
            Some(20260101000100)
        );
        assert_eq!(version_prefix("README.md"), None);
        assert_eq!(version_prefix("_x.sql"), None);
    }
}
