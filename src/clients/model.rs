//! An OpenAPI document as the `clients/` templates see it: operations with their parameters,
//! bodies and responses, and the schemas they use as named types, each with its Rust type.
//!
//! Only what the operations reach is modelled, so a provider's internal schemas cost nothing.
//! What the blueprint's client cannot express (`oneOf`, a form body, a header parameter) is
//! refused naming the construct and its JSON pointer, never skipped: a client that silently
//! lacked an operation or a field would fail at the first call that needed it.
//!
//! Rust's spelling of a type comes from the part's `[types]` table (part.toml), so a
//! platform team changes `date-time` to `time::OffsetDateTime` in its blueprint, not here.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use heck::{ToSnakeCase, ToUpperCamelCase};
use serde::Serialize;
use serde_json::Value;

use crate::contract::pointer;

/// How the part spells Rust types: `"string:uuid" = "uuid::Uuid"`, plus the shapes `array`
/// (`{item}`), `map` (`{value}`) and `optional` (`{inner}`), and `any` for a schema that allows
/// anything.
#[derive(Debug, Clone)]
pub struct TypeMap {
    pub scalars: BTreeMap<String, String>,
}

/// The keys a `[types]` table must have, besides the scalar types.
pub const SHAPE_KEYS: &[(&str, &str)] = &[
    ("any", ""),
    ("array", "{item}"),
    ("map", "{value}"),
    ("optional", "{inner}"),
];

/// The scalar types a `[types]` table must name: OpenAPI's, without a format.
pub const SCALAR_KEYS: &[&str] = &["string", "integer", "number", "boolean"];

impl TypeMap {
    fn get(&self, key: &str) -> &str {
        self.scalars
            .get(key)
            .map(String::as_str)
            .expect("checked when the part was read")
    }

    fn scalar(&self, kind: &str, format: Option<&str>) -> String {
        format
            .and_then(|format| self.scalars.get(&format!("{kind}:{format}")))
            .map_or_else(|| self.get(kind).to_owned(), Clone::clone)
    }

    fn shape(&self, key: &str, placeholder: &str, inner: &str) -> String {
        self.get(key).replace(placeholder, inner)
    }
}

/// A spec the client cannot be made from: what, and where (a JSON pointer into the document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    pub pointer: String,
    pub message: String,
}

type Outcome<T> = Result<T, Unsupported>;

fn unsupported<T>(pointer: &str, message: impl Into<String>) -> Outcome<T> {
    Err(Unsupported {
        pointer: pointer.to_owned(),
        message: message.into(),
    })
}

/// What the client templates get as `client.api`.
#[derive(Debug, Clone, Serialize)]
pub struct ApiModel {
    pub title: String,
    pub version: String,
    /// `servers[0].url`, when the document has one.
    pub server: Option<String>,
    pub operations: Vec<Operation>,
    /// Every named type the operations use, in the order first reached.
    pub types: Vec<TypeDef>,
    /// Whether any operation is paginated (templates import the page helpers then).
    pub paginated: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct TypeDef {
    /// A Rust type name (PascalCase).
    pub name: String,
    /// `struct` or `enum`.
    pub kind: &'static str,
    pub doc: Vec<String>,
    pub fields: Vec<Field>,
    pub variants: Vec<Variant>,
    /// Whether every field may be absent (templates derive `Default` then).
    pub all_optional: bool,
    /// Where the schema is in the document.
    pub pointer: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Field {
    /// The name in JSON.
    pub name: String,
    /// The Rust identifier (a raw identifier for a keyword).
    pub ident: String,
    /// Whether `ident` differs from `name` (templates add `#[serde(rename)]`).
    pub renamed: bool,
    /// The whole Rust type, `Option` included when the field may be absent or null.
    pub rust_type: String,
    /// The type without that `Option`.
    pub inner_type: String,
    pub required: bool,
    pub nullable: bool,
    pub doc: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Variant {
    pub ident: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Operation {
    /// The method's Rust name (snake_case `operationId`).
    pub ident: String,
    /// Upper case: `GET`.
    pub method: String,
    /// GET, HEAD, PUT, DELETE and OPTIONS may be sent again after a failure (RFC 9110, 9.2.2).
    pub idempotent: bool,
    pub path: String,
    pub segments: Vec<Segment>,
    pub path_params: Vec<Param>,
    /// The name of the query parameters' struct, when the operation has any.
    pub query_type: Option<String>,
    pub body: Option<Body>,
    /// The success response's type; `None` for a response without a body.
    pub response_type: Option<String>,
    pub status: u16,
    /// Set when the operation answers one page of a collection (`items` + `page`, with
    /// `limit` and `offset` parameters).
    pub page: Option<PageOf>,
    pub doc: Vec<String>,
    /// The error statuses the document lists, for the method's documentation.
    pub error_statuses: Vec<u16>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Segment {
    pub literal: Option<String>,
    /// The identifier of the path parameter this segment is.
    pub param: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Param {
    pub name: String,
    pub ident: String,
    pub rust_type: String,
    /// Whether the Rust type is the map's `string` (templates take `&str` for it).
    pub is_string: bool,
    pub doc: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Body {
    pub rust_type: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PageOf {
    pub item_type: String,
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
const IDEMPOTENT: &[&str] = &["get", "put", "delete", "options", "head"];

/// Models `root` (an OpenAPI 3.x document whose `$ref`s resolve) with `types`.
pub fn model(root: &Value, types: &TypeMap) -> Outcome<ApiModel> {
    let mut builder = Builder {
        root,
        types,
        named: BTreeMap::new(),
        used_names: BTreeSet::new(),
        defs: Vec::new(),
        queue: VecDeque::new(),
    };
    let mut operations = Vec::new();
    let mut idents = BTreeMap::new();
    let paths = root.get("paths").and_then(Value::as_object);
    for (path, item) in paths.into_iter().flatten() {
        let item_pointer = pointer::child("/paths", path);
        let item = builder.deref(item, &item_pointer)?;
        for method in METHODS {
            let Some(operation) = item.get(*method) else {
                continue;
            };
            let at = pointer::child(&item_pointer, method);
            let operation = builder.operation(path, method, item, operation, &at)?;
            if let Some(other) = idents.insert(operation.ident.clone(), at.clone()) {
                return unsupported(
                    &at,
                    format!(
                        "two operations would both be the method `{}` (the other is {other}); give them distinct operationIds",
                        operation.ident
                    ),
                );
            }
            operations.push(operation);
        }
    }
    if operations.is_empty() {
        return unsupported("/paths", "the document has no operations");
    }
    builder.drain()?;
    let info = root.get("info");
    let text = |key: &str| {
        info.and_then(|info| info.get(key))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let server = root
        .pointer("/servers/0/url")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let paginated = operations.iter().any(|op| op.page.is_some());
    Ok(ApiModel {
        title: text("title"),
        version: text("version"),
        server,
        operations,
        types: builder.defs,
        paginated,
    })
}

struct Builder<'a> {
    root: &'a Value,
    types: &'a TypeMap,
    /// Schema pointer -> the Rust name given to it.
    named: BTreeMap<String, String>,
    used_names: BTreeSet<String>,
    defs: Vec<TypeDef>,
    /// Named schemas reached but not yet modelled: (pointer, name).
    queue: VecDeque<(String, String)>,
}

/// A schema's Rust type, and whether the schema also allows `null`.
struct Ty {
    rust: String,
    nullable: bool,
}

impl<'a> Builder<'a> {
    /// Follows `$ref`s (checked to resolve when the document was read).
    fn deref(&self, value: &'a Value, at: &str) -> Outcome<&'a Value> {
        let mut value = value;
        let mut seen = 0;
        while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
            let Some(target) = pointer::ref_target(reference)
                .and_then(|target| pointer::resolve(self.root, &target))
            else {
                return unsupported(at, format!("`$ref: {reference}` does not resolve"));
            };
            value = target;
            seen += 1;
            if seen > 32 {
                return unsupported(at, "`$ref`s that refer to each other in a loop");
            }
        }
        Ok(value)
    }

    fn operation(
        &mut self,
        path: &str,
        method: &str,
        item: &'a Value,
        operation: &'a Value,
        at: &str,
    ) -> Outcome<Operation> {
        let ident = match operation.get("operationId").and_then(Value::as_str) {
            Some(id) => rust_ident(&id.to_snake_case()),
            None => rust_ident(&format!("{method} {path}").to_snake_case()),
        };
        if ident.trim_start_matches("r#").is_empty() {
            return unsupported(at, "an operationId with no letters or digits");
        }
        let pascal = ident.trim_start_matches("r#").to_upper_camel_case();

        // Path-level parameters, then the operation's (which win on the same name and place).
        let mut params: Vec<(String, &Value)> = Vec::new();
        for (owner, key) in [(item, "parameters"), (operation, "parameters")] {
            let owner_at = if std::ptr::eq(owner, item) {
                at.rsplit_once('/').map_or(at, |(p, _)| p).to_owned()
            } else {
                at.to_owned()
            };
            for (i, param) in owner
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let param_at = format!("{owner_at}/parameters/{i}");
                let param = self.deref(param, &param_at)?;
                let name = param.get("name").and_then(Value::as_str).unwrap_or("");
                let place = param.get("in").and_then(Value::as_str).unwrap_or("");
                params.retain(|(_, p)| {
                    p.get("name").and_then(Value::as_str) != Some(name)
                        || p.get("in").and_then(Value::as_str) != Some(place)
                });
                params.push((param_at, param));
            }
        }

        let mut path_params = Vec::new();
        let mut query_fields = Vec::new();
        for (param_at, param) in &params {
            let name = param
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| Unsupported {
                    pointer: param_at.clone(),
                    message: "a parameter without a name".into(),
                })?;
            let place = param.get("in").and_then(Value::as_str).unwrap_or("");
            let schema_at = format!("{param_at}/schema");
            let Some(schema) = param.get("schema") else {
                return unsupported(param_at, format!("parameter `{name}` has no `schema`"));
            };
            let hint = format!("{pascal}{}", name.to_upper_camel_case());
            let ty = self.type_of(schema, &schema_at, &hint)?;
            let doc = doc_lines(param);
            match place {
                "path" => {
                    if self.is_array(schema)? {
                        return unsupported(
                            &schema_at,
                            format!("path parameter `{name}` is an array"),
                        );
                    }
                    path_params.push(Param {
                        name: name.to_owned(),
                        ident: rust_ident(&name.to_snake_case()),
                        is_string: ty.rust == self.types.get("string"),
                        rust_type: ty.rust,
                        doc,
                    });
                }
                "query" => {
                    if self.is_array(schema)? {
                        return unsupported(
                            &schema_at,
                            format!(
                                "query parameter `{name}` is an array (its encoding, `style` and `explode`, is not one this client writes)"
                            ),
                        );
                    }
                    let required = param
                        .get("required")
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    query_fields.push(self.field(name, ty, required, doc));
                }
                other => {
                    return unsupported(
                        param_at,
                        format!(
                            "parameter `{name}` is in `{other}`; this client sends path and query parameters only"
                        ),
                    );
                }
            }
        }

        let segments = segments(path, &path_params, at)?;

        let query_type = (!query_fields.is_empty()).then(|| {
            let name = self.unique_name(&format!("{pascal}Query"));
            self.defs.push(TypeDef {
                name: name.clone(),
                kind: "struct",
                doc: vec![format!(
                    "Query parameters of `{} {path}`.",
                    method.to_uppercase()
                )],
                all_optional: query_fields.iter().all(|f| !f.required),
                fields: query_fields.clone(),
                variants: Vec::new(),
                pointer: format!("{at}/parameters"),
            });
            name
        });

        let body = match operation.get("requestBody") {
            None => None,
            Some(body) => {
                let body_at = format!("{at}/requestBody");
                let body = self.deref(body, &body_at)?;
                let (media_at, schema) = json_content(body, &body_at)?;
                match schema {
                    None => {
                        return unsupported(
                            &media_at,
                            "a request body without a schema".to_string(),
                        );
                    }
                    Some(schema) => {
                        let ty = self.type_of(
                            schema,
                            &format!("{media_at}/schema"),
                            &format!("{pascal}Body"),
                        )?;
                        Some(Body { rust_type: ty.rust })
                    }
                }
            }
        };

        let responses_at = format!("{at}/responses");
        let responses = operation
            .get("responses")
            .and_then(Value::as_object)
            .ok_or_else(|| Unsupported {
                pointer: responses_at.clone(),
                message: "an operation without responses".into(),
            })?;
        let success = responses
            .iter()
            .filter_map(|(code, response)| {
                let status: u16 = code.parse().ok()?;
                (200..300)
                    .contains(&status)
                    .then_some((status, code, response))
            })
            .min_by_key(|(status, _, _)| *status);
        let Some((status, code, response)) = success else {
            return unsupported(
                &responses_at,
                "no 2xx response: what does success look like?",
            );
        };
        let response_at = pointer::child(&responses_at, code);
        let response = self.deref(response, &response_at)?;
        let mut page = None;
        let response_type = match response.get("content") {
            None => None,
            Some(_) => {
                let (media_at, schema) = json_content(response, &response_at)?;
                match schema {
                    None => None,
                    Some(schema) => {
                        let schema_at = format!("{media_at}/schema");
                        if let Some(items) = self.page_items(schema, &query_fields)? {
                            let item = self.type_of(
                                items,
                                &format!("{schema_at}/properties/items/items"),
                                &format!("{pascal}Item"),
                            )?;
                            page = Some(PageOf {
                                item_type: item.rust,
                            });
                            None
                        } else {
                            Some(
                                self.type_of(schema, &schema_at, &format!("{pascal}Response"))?
                                    .rust,
                            )
                        }
                    }
                }
            }
        };
        let error_statuses = responses
            .keys()
            .filter_map(|code| code.parse::<u16>().ok())
            .filter(|status| *status >= 400)
            .collect();

        let mut doc = Vec::new();
        if let Some(summary) = operation.get("summary").and_then(Value::as_str) {
            doc.extend(summary.lines().map(str::to_owned));
        }
        let description = doc_lines(operation);
        if !description.is_empty() && !doc.is_empty() {
            doc.push(String::new());
        }
        doc.extend(description);

        Ok(Operation {
            ident,
            method: method.to_uppercase(),
            idempotent: IDEMPOTENT.contains(&method),
            path: path.to_owned(),
            segments,
            path_params,
            query_type,
            body,
            response_type,
            status,
            page,
            doc,
            error_statuses,
        })
    }

    fn field(&self, name: &str, ty: Ty, required: bool, doc: Vec<String>) -> Field {
        let ident = rust_ident(&name.to_snake_case());
        let optional = !required || ty.nullable;
        let rust_type = if optional {
            self.types.shape("optional", "{inner}", &ty.rust)
        } else {
            ty.rust.clone()
        };
        Field {
            name: name.to_owned(),
            renamed: ident.trim_start_matches("r#") != name,
            ident,
            rust_type,
            inner_type: ty.rust,
            required,
            nullable: ty.nullable,
            doc,
        }
    }

    fn is_array(&self, schema: &'a Value) -> Outcome<bool> {
        let schema = self.deref(schema, "")?;
        Ok(types_of(schema).contains(&"array"))
    }

    /// The item schema when `schema` is the shared page envelope (`items` array and `page`
    /// object) of an operation taking `limit` and `offset`.
    fn page_items(&self, schema: &'a Value, query: &[Field]) -> Outcome<Option<&'a Value>> {
        let schema = self.deref(schema, "")?;
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            return Ok(None);
        };
        let has_params = ["limit", "offset"]
            .iter()
            .all(|name| query.iter().any(|f| f.name == *name && !f.required));
        let offset_is_i64 = query.iter().any(|f| {
            f.name == "offset" && f.inner_type == self.types.scalar("integer", Some("int64"))
        });
        if !has_params || !offset_is_i64 || properties.len() != 2 {
            return Ok(None);
        }
        let (Some(items), Some(page)) = (properties.get("items"), properties.get("page")) else {
            return Ok(None);
        };
        let items = self.deref(items, "")?;
        let page = self.deref(page, "")?;
        let page_fields = page.get("properties").and_then(Value::as_object);
        let counts = ["limit", "offset", "total"]
            .iter()
            .all(|key| page_fields.is_some_and(|fields| fields.contains_key(*key)));
        if !types_of(items).contains(&"array") || !counts {
            return Ok(None);
        }
        Ok(items.get("items"))
    }

    /// The Rust type of `schema`, at `at`; an object or enum defined inline becomes a named
    /// type called `hint` (or the component it repeats).
    fn type_of(&mut self, schema: &'a Value, at: &str, hint: &str) -> Outcome<Ty> {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let target = pointer::ref_target(reference).unwrap_or_default();
            let resolved = self.deref(schema, at)?;
            if is_named_kind(resolved) {
                let name = self.name_for(&target);
                return Ok(Ty {
                    rust: name,
                    nullable: allows_null(resolved),
                });
            }
            return self.type_of(resolved, &target, hint);
        }
        for keyword in ["oneOf", "anyOf"] {
            if let Some(options) = schema.get(keyword).and_then(Value::as_array) {
                // `T or null` is the one union a Rust type says plainly.
                let others: Vec<&Value> = options
                    .iter()
                    .filter(|o| o.get("type").and_then(Value::as_str) != Some("null"))
                    .collect();
                if others.len() == 1 && options.len() == 2 {
                    let inner = self.type_of(others[0], &format!("{at}/{keyword}"), hint)?;
                    return Ok(Ty {
                        rust: inner.rust,
                        nullable: true,
                    });
                }
                return unsupported(
                    at,
                    format!("`{keyword}` (a union of schemas) has no Rust type this client makes"),
                );
            }
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            if all.len() == 1 {
                return self.type_of(&all[0], &format!("{at}/allOf/0"), hint);
            }
            return unsupported(at, "`allOf` of several schemas (merged types are not made)");
        }
        if schema.get("not").is_some() {
            return unsupported(at, "`not`");
        }
        let nullable =
            allows_null(schema) || schema.get("nullable").and_then(Value::as_bool) == Some(true);
        let kinds: Vec<&str> = types_of(schema)
            .into_iter()
            .filter(|kind| *kind != "null")
            .collect();
        if is_named_kind(schema) {
            let rust = match self.component_like(schema) {
                Some(component) => self.name_for(&component),
                None => {
                    let name = self.unique_name(hint);
                    self.named.insert(at.to_owned(), name.clone());
                    self.queue.push_back((at.to_owned(), name.clone()));
                    name
                }
            };
            return Ok(Ty { rust, nullable });
        }
        let rust = match kinds.as_slice() {
            [] => self.types.get("any").to_owned(),
            ["array"] => {
                let items = match schema.get("items") {
                    Some(items) => {
                        self.type_of(items, &format!("{at}/items"), &format!("{hint}Item"))?
                            .rust
                    }
                    None => self.types.get("any").to_owned(),
                };
                self.types.shape("array", "{item}", &items)
            }
            ["object"] => match schema.get("additionalProperties") {
                Some(Value::Object(values)) if !values.is_empty() => {
                    let value = self
                        .type_of(
                            schema.get("additionalProperties").expect("matched"),
                            &format!("{at}/additionalProperties"),
                            &format!("{hint}Value"),
                        )?
                        .rust;
                    self.types.shape("map", "{value}", &value)
                }
                _ => self.types.get("any").to_owned(),
            },
            [scalar @ ("string" | "integer" | "number" | "boolean")] => {
                let format = schema.get("format").and_then(Value::as_str);
                self.types.scalar(scalar, format)
            }
            [other] => return unsupported(at, format!("`type: {other}`")),
            several => {
                return unsupported(
                    at,
                    format!(
                        "`type` {:?}: a value of several types has no Rust type this client makes",
                        several
                    ),
                );
            }
        };
        Ok(Ty { rust, nullable })
    }

    /// The component schema an inline one repeats, as documents made from code often inline a
    /// component where it is used (a page's items): one type for both, named as the component.
    fn component_like(&self, schema: &Value) -> Option<String> {
        let components = self.root.pointer("/components/schemas")?.as_object()?;
        let bare = without_docs(schema);
        components
            .iter()
            .find(|(_, component)| without_docs(component) == bare)
            .map(|(name, _)| pointer::child("/components/schemas", name))
    }

    /// The Rust name of the schema at `target`, queued for modelling on first use.
    fn name_for(&mut self, target: &str) -> String {
        if let Some(name) = self.named.get(target) {
            return name.clone();
        }
        let last = target.rsplit('/').next().unwrap_or("Schema");
        let last = last.replace("~1", "/").replace("~0", "~");
        let name = self.unique_name(&type_ident(&last));
        self.named.insert(target.to_owned(), name.clone());
        self.queue.push_back((target.to_owned(), name.clone()));
        name
    }

    fn unique_name(&mut self, wanted: &str) -> String {
        let base = type_ident(wanted);
        let mut name = base.clone();
        let mut n = 2;
        while self.used_names.contains(&name) {
            name = format!("{base}{n}");
            n += 1;
        }
        self.used_names.insert(name.clone());
        name
    }

    /// Models every queued named schema (which may queue more).
    fn drain(&mut self) -> Outcome<()> {
        while let Some((at, name)) = self.queue.pop_front() {
            let schema = pointer::resolve(self.root, &at).ok_or_else(|| Unsupported {
                pointer: at.clone(),
                message: "does not resolve".into(),
            })?;
            let schema = self.deref(schema, &at)?;
            let def = self.type_def(schema, &at, &name)?;
            self.defs.push(def);
        }
        Ok(())
    }

    fn type_def(&mut self, schema: &'a Value, at: &str, name: &str) -> Outcome<TypeDef> {
        let doc = doc_lines(schema);
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let mut variants = Vec::new();
            let mut seen = BTreeSet::new();
            for (i, value) in values.iter().enumerate() {
                let Some(value) = value.as_str() else {
                    if value.is_null() {
                        continue;
                    }
                    return unsupported(
                        &format!("{at}/enum/{i}"),
                        "an enum value that is not a string",
                    );
                };
                let ident = type_ident(value);
                if ident.is_empty() || !seen.insert(ident.clone()) {
                    return unsupported(
                        &format!("{at}/enum/{i}"),
                        format!("enum value `{value}` gives no Rust name of its own"),
                    );
                }
                variants.push(Variant {
                    ident,
                    value: value.to_owned(),
                });
            }
            return Ok(TypeDef {
                name: name.to_owned(),
                kind: "enum",
                doc,
                fields: Vec::new(),
                variants,
                all_optional: false,
                pointer: at.to_owned(),
            });
        }
        let required: BTreeSet<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut fields = Vec::new();
        let mut idents = BTreeSet::new();
        for (field_name, property) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let field_at = pointer::child(&format!("{at}/properties"), field_name);
            let hint = format!("{name}{}", field_name.to_upper_camel_case());
            let ty = self.type_of(property, &field_at, &hint)?;
            let resolved = self.deref(property, &field_at)?;
            let field = self.field(
                field_name,
                ty,
                required.contains(field_name.as_str()),
                doc_lines(resolved),
            );
            if field.ident.trim_start_matches("r#").is_empty()
                || !idents.insert(field.ident.clone())
            {
                return unsupported(
                    &field_at,
                    format!("property `{field_name}` gives no Rust field name of its own"),
                );
            }
            fields.push(field);
        }
        Ok(TypeDef {
            name: name.to_owned(),
            kind: "struct",
            doc,
            all_optional: fields.iter().all(|f| !f.required),
            fields,
            variants: Vec::new(),
            pointer: at.to_owned(),
        })
    }
}

/// Objects with properties and string enums become named types; everything else is written
/// where it is used.
fn is_named_kind(schema: &Value) -> bool {
    schema.get("enum").is_some_and(|values| {
        values
            .as_array()
            .is_some_and(|values| values.iter().any(Value::is_string))
    }) || (types_of(schema).contains(&"object")
        && schema
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|p| !p.is_empty()))
}

fn types_of(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(kind)) => vec![kind.as_str()],
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
        _ if schema.get("properties").is_some() => vec!["object"],
        _ if schema.get("items").is_some() => vec!["array"],
        _ => Vec::new(),
    }
}

fn allows_null(schema: &Value) -> bool {
    types_of(schema).contains(&"null")
}

/// The schema with `description`, `example(s)` and `title` left out, everywhere in it.
fn without_docs(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| {
                    !matches!(
                        key.as_str(),
                        "description" | "example" | "examples" | "title"
                    )
                })
                .map(|(key, value)| (key.clone(), without_docs(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_docs).collect()),
        other => other.clone(),
    }
}

/// `(pointer of the JSON media type, its schema)` of a body or response's `content`.
fn json_content<'v>(owner: &'v Value, at: &str) -> Outcome<(String, Option<&'v Value>)> {
    let content_at = format!("{at}/content");
    let Some(content) = owner.get("content").and_then(Value::as_object) else {
        return unsupported(&content_at, "no `content`");
    };
    let json = content.iter().find(|(media, _)| {
        let essence = media.split(';').next().unwrap_or("").trim();
        essence == "application/json" || essence.ends_with("+json")
    });
    match json {
        Some((media, value)) => Ok((pointer::child(&content_at, media), value.get("schema"))),
        None => {
            let kinds: Vec<&str> = content.keys().map(String::as_str).collect();
            unsupported(
                &content_at,
                format!(
                    "content of type {} only; this client sends and reads JSON",
                    kinds.join(", ")
                ),
            )
        }
    }
}

fn segments(path: &str, params: &[Param], at: &str) -> Outcome<Vec<Segment>> {
    let mut segments = Vec::new();
    for part in path.trim_start_matches('/').split('/') {
        if part.is_empty() {
            continue;
        }
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            let Some(param) = params.iter().find(|p| p.name == name) else {
                return unsupported(
                    at,
                    format!("`{{{name}}}` in the path is not a path parameter"),
                );
            };
            segments.push(Segment {
                literal: None,
                param: Some(param.ident.clone()),
            });
        } else if part.contains('{') || part.contains('}') {
            return unsupported(
                at,
                format!("path segment `{part}` mixes text and a parameter"),
            );
        } else {
            segments.push(Segment {
                literal: Some(part.to_owned()),
                param: None,
            });
        }
    }
    for param in params {
        if !segments
            .iter()
            .any(|s| s.param.as_ref() == Some(&param.ident))
        {
            return unsupported(
                at,
                format!("path parameter `{}` is not in the path", param.name),
            );
        }
    }
    Ok(segments)
}

fn doc_lines(value: &Value) -> Vec<String> {
    value
        .get("description")
        .and_then(Value::as_str)
        .map(|text| {
            text.trim()
                .lines()
                .map(|l| l.trim_end().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A snake_case name as a Rust identifier: keywords become raw identifiers (`r#type`), the
/// four that cannot be raw get a `_` after them, and a leading digit gets one before.
pub fn rust_ident(snake: &str) -> String {
    let cleaned: String = snake
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim_matches('_').to_owned();
    if cleaned.starts_with(|c: char| c.is_ascii_digit()) {
        return format!("_{cleaned}");
    }
    match cleaned.as_str() {
        "self" | "super" | "crate" | "Self" => format!("{cleaned}_"),
        word if crate::keywords::is_rust_keyword(word) => format!("r#{word}"),
        _ => cleaned,
    }
}

/// A PascalCase Rust type name from any name (`Page_ProductResponse` -> `PageProductResponse`).
pub fn type_ident(name: &str) -> String {
    let pascal: String = name
        .to_upper_camel_case()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    match pascal.chars().next() {
        Some(c) if c.is_ascii_digit() => format!("V{pascal}"),
        _ if pascal == "Self" => "SelfValue".to_owned(),
        _ => pascal,
    }
}

#[cfg(test)]
mod tests;
