//! The schema rules: two JSON Schemas (an OpenAPI body or parameter, an event) compared keyword
//! by keyword. Each change narrows the values allowed, widens them, or both, and
//! [`Effect::severity`] says whom that breaks for the schema's [`Direction`].
//!
//! `$ref`s are followed (with their sibling keywords laid over the target), `allOf` is merged,
//! and a `oneOf`/`anyOf` of one schema and `null` is that schema, nullable, which is how
//! OpenAPI generators write `Option<T>`.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::finding::{Direction, Effect, Rule, Severity};
use super::pointer;
use super::walk::{At, In, Place, Walk};

/// A schema after `$ref`, `allOf` and nullable wrappers are taken off.
struct Resolved {
    schema: Map<String, Value>,
    /// Where the schema's own keywords are.
    pointer: String,
    /// A `null` alternative was taken off.
    nullable: bool,
}

/// Follows `$ref`s and unwraps `allOf` and nullable `oneOf`/`anyOf` until the schema's own
/// keywords are reached. The document's refs were checked when it was read, and a chain of
/// bare refs cannot loop, so this ends.
fn resolve(root: &Value, value: &Value, at: &str) -> Resolved {
    let mut schema = as_schema(value);
    let mut pointer = at.to_owned();
    let mut nullable = false;
    // Bounded anyway: a guard against a document this walk did not check.
    for _ in 0..64 {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let Some(target) = pointer::ref_target(reference) else {
                break;
            };
            let Some(found) = pointer::resolve(root, &target) else {
                break;
            };
            let mut merged = as_schema(found);
            // 2020-12 and OpenAPI 3.1 allow keywords beside `$ref`; they apply too.
            for (key, value) in schema.iter().filter(|(k, _)| *k != "$ref") {
                merged.insert(key.clone(), value.clone());
            }
            schema = merged;
            pointer = target;
            continue;
        }
        if let Some(Value::Array(parts)) = schema.get("allOf").cloned() {
            schema.remove("allOf");
            if parts.len() == 1 {
                let inner = resolve(
                    root,
                    &parts[0],
                    &pointer::child(&pointer::child(&pointer, "allOf"), "0"),
                );
                nullable |= inner.nullable;
                let mut merged = inner.schema;
                merge_into(&mut merged, &schema);
                schema = merged;
                pointer = inner.pointer;
            } else {
                let holder = pointer.clone();
                for (index, part) in parts.iter().enumerate() {
                    let at = pointer::child(&pointer::child(&holder, "allOf"), &index.to_string());
                    let inner = resolve(root, part, &at);
                    nullable |= inner.nullable;
                    merge_into(&mut schema, &inner.schema);
                }
            }
            continue;
        }
        let keyword = ["oneOf", "anyOf"]
            .into_iter()
            .find(|k| schema.get(*k).is_some_and(Value::is_array));
        if let Some(keyword) = keyword {
            let branches = schema[keyword].as_array().cloned().unwrap_or_default();
            let others: Vec<(usize, &Value)> = branches
                .iter()
                .enumerate()
                .filter(|(_, branch)| !is_null_schema(branch))
                .collect();
            if others.len() == 1 && branches.len() > 1 {
                let (index, branch) = others[0];
                let at = pointer::child(&pointer::child(&pointer, keyword), &index.to_string());
                let inner = resolve(root, branch, &at);
                nullable = true;
                let mut merged = inner.schema;
                let mut siblings = schema.clone();
                siblings.remove(keyword);
                merge_into(&mut merged, &siblings);
                schema = merged;
                nullable |= inner.nullable;
                pointer = inner.pointer;
                continue;
            }
        }
        break;
    }
    Resolved {
        schema,
        pointer,
        nullable,
    }
}

/// `true`, `{}` and anything else that is not an object allow every value.
fn as_schema(value: &Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

fn is_null_schema(value: &Value) -> bool {
    match value.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(types)) => types.len() == 1 && types[0] == "null",
        _ => false,
    }
}

/// `allOf`: properties and `required` add up; any other keyword already there is kept.
fn merge_into(target: &mut Map<String, Value>, part: &Map<String, Value>) {
    for (key, value) in part {
        match (key.as_str(), target.get_mut(key), value) {
            ("properties", Some(Value::Object(mine)), Value::Object(theirs)) => {
                for (name, schema) in theirs {
                    mine.entry(name.clone()).or_insert_with(|| schema.clone());
                }
            }
            ("required", Some(Value::Array(mine)), Value::Array(theirs)) => {
                for name in theirs {
                    if !mine.contains(name) {
                        mine.push(name.clone());
                    }
                }
            }
            (_, Some(_), _) => {}
            (_, None, _) => {
                target.insert(key.clone(), value.clone());
            }
        }
    }
}

/// The JSON types a schema allows: `None` when it does not say (any type). OpenAPI 3.0's
/// `nullable: true` counts as `null`.
fn types(schema: &Map<String, Value>) -> Option<BTreeSet<String>> {
    let mut types: BTreeSet<String> = match schema.get("type")? {
        Value::String(t) => [t.clone()].into(),
        Value::Array(items) => items
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => return None,
    };
    if schema.get("nullable") == Some(&Value::Bool(true)) {
        types.insert("null".to_owned());
    }
    Some(types)
}

/// Whether every value of type `t` is allowed by `set` (an integer is a number).
fn covered(t: &str, set: &BTreeSet<String>) -> bool {
    set.contains(t) || (t == "integer" && set.contains("number"))
}

fn describe_types(set: &BTreeSet<String>) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(" or ")
}

fn enum_values(schema: &Map<String, Value>) -> Option<Vec<Value>> {
    if let Some(Value::Array(values)) = schema.get("enum") {
        return Some(values.clone());
    }
    schema.get("const").map(|value| vec![value.clone()])
}

fn number(schema: &Map<String, Value>, keyword: &str) -> Option<f64> {
    schema.get(keyword).and_then(Value::as_f64)
}

fn show(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1e15 {
        format!("{}", number as i64)
    } else {
        number.to_string()
    }
}

/// Formats where one allows every value of the other.
/// The rules a text keyword's changes fall under.
struct TextKeywordRules {
    keyword: &'static str,
    added: Rule,
    removed: Rule,
    changed: fn(&str, &str) -> (Rule, Effect),
}

const FORMAT_WIDENINGS: &[(&str, &str)] = &[("int32", "int64"), ("float", "double")];

/// Keywords that change nothing a reader relies on, left out when two schemas are compared
/// for equality (a renamed property keeps its schema but perhaps not its description).
const ANNOTATIONS: &[&str] = &["description", "title", "examples", "example", "$comment"];

fn same_schema(a: &Value, b: &Value) -> bool {
    fn strip(value: &Value) -> Value {
        match value {
            Value::Object(object) => Value::Object(
                object
                    .iter()
                    .filter(|(k, _)| !ANNOTATIONS.contains(&k.as_str()) && !k.starts_with("x-"))
                    .map(|(k, v)| (k.clone(), strip(v)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(strip).collect()),
            other => other.clone(),
        }
    }
    strip(a) == strip(b)
}

fn required(schema: &Map<String, Value>) -> BTreeSet<String> {
    match schema.get("required") {
        Some(Value::Array(names)) => names
            .iter()
            .filter_map(|n| n.as_str().map(str::to_owned))
            .collect(),
        _ => BTreeSet::new(),
    }
}

fn forbids_additional(schema: &Map<String, Value>) -> bool {
    schema.get("additionalProperties") == Some(&Value::Bool(false))
}

impl Walk<'_> {
    /// Compares the schema at `place.old` in the old document (`old`) with the one at
    /// `place.new` (`new`), read in `direction`.
    pub(crate) fn compare_schema(
        &mut self,
        old: &Value,
        new: &Value,
        place: &Place,
        direction: Direction,
    ) {
        let old = resolve(self.old_root, old, &place.old);
        let new = resolve(self.new_root, new, &place.new);
        let mut old_types = types(&old.schema);
        let mut new_types = types(&new.schema);
        // Nullability belongs to where the schema is used (`Option<Item>`), so it is compared
        // here, before a `$ref`'d schema already compared elsewhere is skipped.
        let old_null = old.nullable || old_types.as_ref().is_some_and(|t| t.contains("null"));
        let new_null = new.nullable || new_types.as_ref().is_some_and(|t| t.contains("null"));
        for set in [&mut old_types, &mut new_types].into_iter().flatten() {
            if set.len() > 1 {
                set.remove("null");
            }
        }
        let only_null = |t: &Option<BTreeSet<String>>| {
            t.as_ref()
                .is_some_and(|t| t.len() == 1 && t.contains("null"))
        };
        if old_null != new_null && !only_null(&old_types) && !only_null(&new_types) {
            let (effect, what) = if new_null {
                (Effect::Widens, "may now be null")
            } else {
                (Effect::Narrows, "may no longer be null")
            };
            let rule = if new_null {
                Rule::TypeWidened
            } else {
                Rule::TypeNarrowed
            };
            self.report_effect(rule, effect, direction, place, At::new(None), what);
        }
        if !self.first_visit(&old.pointer, &new.pointer, direction) {
            return;
        }
        let place = Place {
            old: old.pointer.clone(),
            new: new.pointer.clone(),
            ..place.clone()
        };
        if !self.compare_types(old_types.as_ref(), new_types.as_ref(), &place, direction) {
            // Nothing of one type is of the other: their other keywords cannot be compared.
            return;
        }
        self.compare_enums(&old.schema, &new.schema, &place, direction);
        self.compare_bounds(&old.schema, &new.schema, &place, direction);
        self.compare_pattern(&old.schema, &new.schema, &place, direction);
        self.compare_format(&old.schema, &new.schema, &place, direction);
        self.compare_properties(&old.schema, &new.schema, &place, direction);
        self.compare_items(&old.schema, &new.schema, &place, direction);
        self.compare_alternatives(&old.schema, &new.schema, &place, direction);
    }

    /// Returns false when the types have nothing in common.
    fn compare_types(
        &mut self,
        old: Option<&BTreeSet<String>>,
        new: Option<&BTreeSet<String>>,
        place: &Place,
        direction: Direction,
    ) -> bool {
        let (rule, effect, what, overlap) = match (old, new) {
            (None, None) => return true,
            (Some(o), Some(n)) if o == n => return true,
            (None, Some(n)) => (
                Rule::TypeNarrowed,
                Effect::Narrows,
                format!("type restricted to {}", describe_types(n)),
                true,
            ),
            (Some(o), None) => (
                Rule::TypeWidened,
                Effect::Widens,
                format!("type {} no longer restricted", describe_types(o)),
                true,
            ),
            (Some(o), Some(n)) => {
                let widened = o.iter().all(|t| covered(t, n));
                let narrowed = n.iter().all(|t| covered(t, o));
                let what = format!(
                    "type changed from {} to {}",
                    describe_types(o),
                    describe_types(n)
                );
                let overlap = o.iter().any(|t| covered(t, n)) || n.iter().any(|t| covered(t, o));
                match (widened, narrowed) {
                    (true, _) => (Rule::TypeWidened, Effect::Widens, what, true),
                    (_, true) => (Rule::TypeNarrowed, Effect::Narrows, what, true),
                    _ => (Rule::TypeChanged, Effect::Changes, what, overlap),
                }
            }
        };
        self.report_effect(rule, effect, direction, place, At::new(Some("type")), &what);
        overlap
    }

    fn compare_enums(
        &mut self,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        place: &Place,
        direction: Direction,
    ) {
        let keyword = |schema: &Map<String, Value>| {
            if schema.contains_key("enum") {
                "enum"
            } else {
                "const"
            }
        };
        match (enum_values(old), enum_values(new)) {
            (None, None) => {}
            (None, Some(values)) => self.report_effect(
                Rule::EnumAdded,
                Effect::Narrows,
                direction,
                place,
                At::new(Some(keyword(new))),
                &format!("values restricted to {}", join_values(&values)),
            ),
            (Some(values), None) => self.report_effect(
                Rule::EnumRemoved,
                Effect::Widens,
                direction,
                place,
                At::old(Some(keyword(old))),
                &format!("values no longer restricted to {}", join_values(&values)),
            ),
            (Some(old_values), Some(new_values)) => {
                for value in old_values.iter().filter(|v| !new_values.contains(v)) {
                    self.report_effect(
                        Rule::EnumValueRemoved,
                        Effect::Narrows,
                        direction,
                        place,
                        At::new(Some(keyword(new))),
                        &format!("value {value} removed"),
                    );
                }
                for value in new_values.iter().filter(|v| !old_values.contains(v)) {
                    self.report_effect(
                        Rule::EnumValueAdded,
                        Effect::Widens,
                        direction,
                        place,
                        At::new(Some(keyword(new))),
                        &format!("value {value} added"),
                    );
                }
            }
        }
    }

    fn compare_bounds(
        &mut self,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        place: &Place,
        direction: Direction,
    ) {
        // (keyword, true for an upper bound)
        const BOUNDS: &[(&str, bool)] = &[
            ("maxLength", true),
            ("minLength", false),
            ("maximum", true),
            ("minimum", false),
            ("exclusiveMaximum", true),
            ("exclusiveMinimum", false),
            ("maxItems", true),
            ("minItems", false),
            ("maxProperties", true),
            ("minProperties", false),
        ];
        for &(keyword, upper) in BOUNDS {
            let (o, n) = (number(old, keyword), number(new, keyword));
            let tightened = match (o, n) {
                (None, None) => continue,
                (Some(o), Some(n)) if o == n => continue,
                (None, Some(_)) => true,
                (Some(_), None) => false,
                (Some(o), Some(n)) => (n < o) == upper,
            };
            let what = match (o, n) {
                (None, Some(n)) => format!("{keyword} {} added", show(n)),
                (Some(o), None) => format!("{keyword} {} removed", show(o)),
                (Some(o), Some(n)) => format!(
                    "{keyword} {} from {} to {}",
                    if n < o { "lowered" } else { "raised" },
                    show(o),
                    show(n)
                ),
                (None, None) => unreachable!("skipped above"),
            };
            let (rule, effect) = if tightened {
                (Rule::ConstraintTightened, Effect::Narrows)
            } else {
                (Rule::ConstraintLoosened, Effect::Widens)
            };
            let side = if n.is_some() { In::New } else { In::Old };
            self.report_effect(
                rule,
                effect,
                direction,
                place,
                At {
                    side,
                    keyword: Some(keyword),
                },
                &what,
            );
        }

        match (number(old, "multipleOf"), number(new, "multipleOf")) {
            (None, None) => {}
            (Some(o), Some(n)) if o == n => {}
            (o, n) => {
                let divides = |a: f64, b: f64| b != 0.0 && (a / b).fract() == 0.0;
                let (rule, effect) = match (o, n) {
                    (None, Some(_)) => (Rule::ConstraintTightened, Effect::Narrows),
                    (Some(_), None) => (Rule::ConstraintLoosened, Effect::Widens),
                    (Some(o), Some(n)) if divides(n, o) => {
                        (Rule::ConstraintTightened, Effect::Narrows)
                    }
                    (Some(o), Some(n)) if divides(o, n) => {
                        (Rule::ConstraintLoosened, Effect::Widens)
                    }
                    _ => (Rule::ConstraintTightened, Effect::Changes),
                };
                let what = format!(
                    "multipleOf changed from {} to {}",
                    o.map(show).unwrap_or_else(|| "none".into()),
                    n.map(show).unwrap_or_else(|| "none".into())
                );
                let side = if n.is_some() { In::New } else { In::Old };
                self.report_effect(
                    rule,
                    effect,
                    direction,
                    place,
                    At {
                        side,
                        keyword: Some("multipleOf"),
                    },
                    &what,
                );
            }
        }

        let unique = |s: &Map<String, Value>| s.get("uniqueItems") == Some(&Value::Bool(true));
        match (unique(old), unique(new)) {
            (false, true) => self.report_effect(
                Rule::ConstraintTightened,
                Effect::Narrows,
                direction,
                place,
                At::new(Some("uniqueItems")),
                "items must now be unique",
            ),
            (true, false) => self.report_effect(
                Rule::ConstraintLoosened,
                Effect::Widens,
                direction,
                place,
                At::old(Some("uniqueItems")),
                "items no longer need to be unique",
            ),
            _ => {}
        }
    }

    fn compare_pattern(
        &mut self,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        place: &Place,
        direction: Direction,
    ) {
        let rules = TextKeywordRules {
            keyword: "pattern",
            added: Rule::PatternAdded,
            removed: Rule::PatternRemoved,
            changed: |_, _| (Rule::PatternChanged, Effect::Changes),
        };
        self.compare_text_keyword(&rules, old, new, place, direction);
    }

    fn compare_format(
        &mut self,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        place: &Place,
        direction: Direction,
    ) {
        let rules = TextKeywordRules {
            keyword: "format",
            added: Rule::FormatNarrowed,
            removed: Rule::FormatWidened,
            changed: |o, n| {
                if FORMAT_WIDENINGS.contains(&(o, n)) {
                    (Rule::FormatWidened, Effect::Widens)
                } else if FORMAT_WIDENINGS.contains(&(n, o)) {
                    (Rule::FormatNarrowed, Effect::Narrows)
                } else {
                    (Rule::FormatChanged, Effect::Changes)
                }
            },
        };
        self.compare_text_keyword(&rules, old, new, place, direction);
    }

    /// A text keyword added narrows the values, removed widens them;
    /// `changed` says what a change from one value to the other does.
    fn compare_text_keyword(
        &mut self,
        rules: &TextKeywordRules,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        place: &Place,
        direction: Direction,
    ) {
        let keyword = rules.keyword;
        let text =
            |s: &Map<String, Value>| s.get(keyword).and_then(Value::as_str).map(str::to_owned);
        let (rule, effect, side, what) = match (text(old), text(new)) {
            (None, None) => return,
            (Some(o), Some(n)) if o == n => return,
            (None, Some(n)) => (
                rules.added,
                Effect::Narrows,
                In::New,
                format!("{keyword} `{n}` added"),
            ),
            (Some(o), None) => (
                rules.removed,
                Effect::Widens,
                In::Old,
                format!("{keyword} `{o}` removed"),
            ),
            (Some(o), Some(n)) => {
                let (rule, effect) = (rules.changed)(&o, &n);
                (
                    rule,
                    effect,
                    In::New,
                    format!("{keyword} changed from `{o}` to `{n}`"),
                )
            }
        };
        self.report_effect(
            rule,
            effect,
            direction,
            place,
            At {
                side,
                keyword: Some(keyword),
            },
            &what,
        );
    }

    fn compare_properties(
        &mut self,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        place: &Place,
        direction: Direction,
    ) {
        let empty = Map::new();
        let old_props = old
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let new_props = new
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let (old_required, new_required) = (required(old), required(new));
        let any = Value::Object(Map::new());
        let mut names: Vec<&String> = old_props.keys().chain(old_required.iter()).collect();
        for name in new_props.keys().chain(new_required.iter()) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        let mut seen = BTreeSet::new();
        for name in names {
            if !seen.insert(name) {
                continue;
            }
            let in_old = old_props.contains_key(name) || old_required.contains(name);
            let in_new = new_props.contains_key(name) || new_required.contains(name);
            let field = if place.field.is_empty() {
                name.clone()
            } else {
                format!("{}.{name}", place.field)
            };
            let child = Place {
                field,
                ..place.child("properties").child(name)
            };
            match (in_old, in_new) {
                (true, false) => {
                    let renamed = old_props.get(name).and_then(|schema| {
                        new_props
                            .iter()
                            .find(|(other, candidate)| {
                                !old_props.contains_key(*other) && same_schema(schema, candidate)
                            })
                            .map(|(other, _)| other.clone())
                    });
                    let (severity, why) = match direction {
                        Direction::Request if forbids_additional(new) => (
                            Severity::Breaking,
                            "clients that still send it are rejected (additionalProperties is false)",
                        ),
                        Direction::Request => (Severity::Compatible, ""),
                        Direction::Response => {
                            (Severity::Breaking, "clients reading it find it missing")
                        }
                        Direction::Event => (
                            Severity::Breaking,
                            "consumers reading it find it missing in new events",
                        ),
                    };
                    let mut what = match renamed {
                        Some(other) => format!("property removed (renamed to `{other}`?)"),
                        None => "property removed".to_owned(),
                    };
                    if !why.is_empty() {
                        what = format!("{what}: {why}");
                    }
                    let message = child.describe(&what);
                    self.report(Rule::PropertyRemoved, severity, child.old.clone(), message);
                }
                (false, true) => {
                    if new_required.contains(name) {
                        self.report_effect(
                            Rule::RequiredPropertyAdded,
                            Effect::Narrows,
                            direction,
                            &child,
                            At::new(None),
                            "required property added",
                        );
                    } else {
                        let message = child.describe("optional property added");
                        self.report(
                            Rule::PropertyAdded,
                            Severity::Compatible,
                            child.new.clone(),
                            message,
                        );
                    }
                }
                (true, true) => {
                    match (old_required.contains(name), new_required.contains(name)) {
                        (false, true) => self.report_effect(
                            Rule::PropertyBecameRequired,
                            Effect::Narrows,
                            direction,
                            &child,
                            At::new(None),
                            "property became required",
                        ),
                        (true, false) => self.report_effect(
                            Rule::PropertyBecameOptional,
                            Effect::Widens,
                            direction,
                            &child,
                            At::new(None),
                            "property became optional",
                        ),
                        _ => {}
                    }
                    let old_schema = old_props.get(name).unwrap_or(&any);
                    let new_schema = new_props.get(name).unwrap_or(&any);
                    self.compare_schema(old_schema, new_schema, &child, direction);
                }
                (false, false) => unreachable!("every name comes from one of the schemas"),
            }
        }

        let (old_extra, new_extra) = (
            old.get("additionalProperties"),
            new.get("additionalProperties"),
        );
        match (forbids_additional(old), forbids_additional(new)) {
            (false, true) => self.report_effect(
                Rule::AdditionalPropertiesForbidden,
                Effect::Narrows,
                direction,
                place,
                At::new(Some("additionalProperties")),
                "properties not listed are now forbidden",
            ),
            (true, false) => self.report_effect(
                Rule::AdditionalPropertiesAllowed,
                Effect::Widens,
                direction,
                place,
                At::old(Some("additionalProperties")),
                "properties not listed are now allowed",
            ),
            (true, true) => {}
            (false, false) => {
                // A map's values (`additionalProperties: {schema}`), compared like a property.
                if old_extra.is_some_and(Value::is_object)
                    || new_extra.is_some_and(Value::is_object)
                {
                    let child = Place {
                        field: format!("{}{{*}}", place.field),
                        ..place.child("additionalProperties")
                    };
                    self.compare_schema(
                        old_extra.filter(|v| v.is_object()).unwrap_or(&any),
                        new_extra.filter(|v| v.is_object()).unwrap_or(&any),
                        &child,
                        direction,
                    );
                }
            }
        }
    }

    fn compare_items(
        &mut self,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        place: &Place,
        direction: Direction,
    ) {
        let any = Value::Object(Map::new());
        let (old_items, new_items) = (old.get("items"), new.get("items"));
        if old_items.is_none() && new_items.is_none() {
            return;
        }
        let child = Place {
            field: format!("{}[]", place.field),
            ..place.child("items")
        };
        self.compare_schema(
            old_items.unwrap_or(&any),
            new_items.unwrap_or(&any),
            &child,
            direction,
        );
    }

    /// `oneOf`/`anyOf` of several schemas, compared position by position.
    fn compare_alternatives(
        &mut self,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        place: &Place,
        direction: Direction,
    ) {
        for keyword in ["oneOf", "anyOf"] {
            let (Some(Value::Array(o)), Some(Value::Array(n))) =
                (old.get(keyword), new.get(keyword))
            else {
                let (o, n) = (old.get(keyword), new.get(keyword));
                if o.is_some() != n.is_some() {
                    let (rule, effect, side, what) = if n.is_some() {
                        (
                            Rule::AlternativeRemoved,
                            Effect::Narrows,
                            In::New,
                            format!("values must now match `{keyword}`"),
                        )
                    } else {
                        (
                            Rule::AlternativeAdded,
                            Effect::Widens,
                            In::Old,
                            format!("`{keyword}` removed"),
                        )
                    };
                    self.report_effect(
                        rule,
                        effect,
                        direction,
                        place,
                        At {
                            side,
                            keyword: Some(keyword),
                        },
                        &what,
                    );
                }
                continue;
            };
            let alternatives = place.child(keyword);
            for index in 0..o.len().min(n.len()) {
                let child = alternatives.child(&index.to_string());
                self.compare_schema(&o[index], &n[index], &child, direction);
            }
            for index in n.len()..o.len() {
                let child = alternatives.child(&index.to_string());
                self.report_effect(
                    Rule::AlternativeRemoved,
                    Effect::Narrows,
                    direction,
                    &child,
                    At::old(None),
                    &format!("{keyword} alternative {index} removed"),
                );
            }
            for index in o.len()..n.len() {
                let child = alternatives.child(&index.to_string());
                self.report_effect(
                    Rule::AlternativeAdded,
                    Effect::Widens,
                    direction,
                    &child,
                    At::new(None),
                    &format!("{keyword} alternative {index} added"),
                );
            }
        }
    }
}

fn join_values(values: &[Value]) -> String {
    values
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
