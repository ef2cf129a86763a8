//! A blueprint's questions as a JSON Schema (draft 2020-12), for a portal's form (Backstage,
//! Port, Cortex) to render and validate before it runs `svcgen new --answers`.
//!
//! One property per variable, plus `name` (the service name `new` takes on its command line):
//! `title` from the prompt, `description` from the help, `type`, `default` when it is a
//! literal, `enum` from choices, `minimum`/`maximum` from min/max, and `pattern` from
//! `validate.regex` (unanchored in both: svcgen and JSON Schema find the pattern anywhere). A
//! templated default (`{{ name | snake_case }}`) is no value a form can show, so it is left out
//! of `default` and kept as `x-svcgen-default`: leaving the field empty lets svcgen derive it.
//!
//! A variable with a `when` is declared only inside an `allOf` entry's `if`/`then`, so a form
//! shows it only while its condition holds; `propertyNames` lists every variable, so an unknown
//! answer fails the schema as it fails svcgen. The conditions are translated from their Tera
//! expression: names, `not`, `and`, `or`, `==`/`!=`/`<`/`<=`/`>`/`>=` against a literal and `in`
//! a list of literals. A name the answers leave out takes its literal default, as in svcgen, so
//! each comparison is true of a missing answer exactly when it is true of the default (and, for
//! a templated default, false). A condition beyond that is kept as `x-svcgen-when`, its variable
//! shown always, and reported as an [`Unexpressed`] condition.
//!
//! Only keywords draft-07 also has are used, so forms whose validator is draft-07 (Backstage's
//! react-jsonschema-form with Ajv) read the same schema once `$schema` is dropped.

use serde_json::{Map, Value as Json, json};
use tera::ast::{Expr, ExprVal, LogicOperator, Node};

use super::manifest::{Default, Manifest, NAME_VARIABLE, Variable};
use crate::answers::{Value, VarType};

pub const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// A blueprint's JSON Schema and the conditions it could not express.
#[derive(Debug, Clone)]
pub struct BlueprintSchema {
    pub schema: Json,
    pub unexpressed: Vec<Unexpressed>,
}

/// A `when` condition that JSON Schema cannot state: its variable is in the schema without it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unexpressed {
    pub variable: String,
    pub when: String,
    pub reason: String,
}

impl std::fmt::Display for Unexpressed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`when = \"{}\"` of `{}` is not expressible in JSON Schema ({}); the schema shows `{}` always and keeps the condition as `x-svcgen-when`",
            self.when, self.variable, self.reason, self.variable
        )
    }
}

/// The variables that share one `when`: an `allOf` entry `{ if: condition, then: ... }`.
struct Conditional {
    when: String,
    condition: Json,
    properties: Map<String, Json>,
    required: Vec<Json>,
}

/// The JSON Schema of `manifest`'s variables.
pub fn json_schema(manifest: &Manifest) -> BlueprintSchema {
    let mut properties = Map::new();
    properties.insert(NAME_VARIABLE.to_owned(), name_property());
    let mut required = vec![Json::from(NAME_VARIABLE)];
    // One `if`/`then` per distinct condition, in the order the conditions first appear.
    let mut conditionals: Vec<Conditional> = Vec::new();
    let mut unexpressed = Vec::new();

    for variable in &manifest.variables {
        let mut property = variable_property(variable);
        let needs_answer = variable.default.is_none();
        let Some(when) = &variable.when else {
            properties.insert(variable.name.clone(), Json::Object(property));
            if needs_answer {
                required.push(Json::from(variable.name.as_str()));
            }
            continue;
        };
        match condition_schema(when, manifest) {
            Ok(condition) => {
                let index = match conditionals.iter().position(|c| c.when == *when) {
                    Some(index) => index,
                    None => {
                        conditionals.push(Conditional {
                            when: when.clone(),
                            condition,
                            properties: Map::new(),
                            required: Vec::new(),
                        });
                        conditionals.len() - 1
                    }
                };
                let conditional = &mut conditionals[index];
                conditional
                    .properties
                    .insert(variable.name.clone(), Json::Object(property));
                if needs_answer {
                    conditional
                        .required
                        .push(Json::from(variable.name.as_str()));
                }
            }
            Err(reason) => {
                property.insert("x-svcgen-when".into(), Json::from(when.as_str()));
                properties.insert(variable.name.clone(), Json::Object(property));
                unexpressed.push(Unexpressed {
                    variable: variable.name.clone(),
                    when: when.clone(),
                    reason,
                });
            }
        }
    }

    let names: Vec<Json> = std::iter::once(NAME_VARIABLE)
        .chain(manifest.variables.iter().map(|v| v.name.as_str()))
        .map(Json::from)
        .collect();
    let mut schema = Map::new();
    schema.insert("$schema".into(), Json::from(DRAFT_2020_12));
    schema.insert(
        "title".into(),
        Json::from(format!("{} {}", manifest.name, manifest.version)),
    );
    if !manifest.description.is_empty() {
        schema.insert(
            "description".into(),
            Json::from(manifest.description.as_str()),
        );
    }
    schema.insert(
        "x-svcgen-blueprint".into(),
        json!({ "name": manifest.name, "version": manifest.version.to_string() }),
    );
    schema.insert("type".into(), Json::from("object"));
    schema.insert("properties".into(), Json::Object(properties));
    schema.insert("required".into(), Json::Array(required));
    schema.insert("propertyNames".into(), json!({ "enum": names }));
    if !conditionals.is_empty() {
        let all_of = conditionals
            .into_iter()
            .map(|conditional| {
                let mut then = Map::new();
                then.insert("properties".into(), Json::Object(conditional.properties));
                if !conditional.required.is_empty() {
                    then.insert("required".into(), Json::Array(conditional.required));
                }
                json!({ "if": conditional.condition, "then": then })
            })
            .collect();
        schema.insert("allOf".into(), Json::Array(all_of));
    }
    BlueprintSchema {
        schema: Json::Object(schema),
        unexpressed,
    }
}

/// `name`: the rules of [`crate::name::validate_service_name`] as a pattern and a list.
fn name_property() -> Json {
    json!({
        "title": "Service name",
        "description": "The crate name and DNS label: lowercase letters, digits and `-`, starting with a letter, at most 63 characters",
        "type": "string",
        "pattern": "^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$",
        "not": { "enum": crate::name::RESERVED },
    })
}

fn variable_property(variable: &Variable) -> Map<String, Json> {
    let mut property = Map::new();
    property.insert("title".into(), Json::from(variable.prompt.as_str()));
    if let Some(help) = &variable.help {
        property.insert("description".into(), Json::from(help.as_str()));
    }
    let string_rules = |property: &mut Map<String, Json>| {
        let mut rules: Vec<Json> = Vec::new();
        if let Some(validate) = &variable.validate {
            let mut rule = json!({ "pattern": validate.regex.as_str() });
            if validate.reserved_in_rust {
                rule["not"] = json!({ "enum": rust_keyword_forms() });
            }
            rules.push(rule);
        }
        if !variable.multiline {
            // svcgen refuses control characters (Unicode Cc) in one-line strings.
            rules.push(json!({ "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F]*$" }));
        }
        // One `pattern` per schema object: the blueprint's own goes in place, where a form
        // reports it, and the control-character rule under `allOf`.
        let mut rules = rules.into_iter();
        if let Some(Json::Object(first)) = rules.next() {
            property.extend(first);
        }
        let rest: Vec<Json> = rules.collect();
        if !rest.is_empty() {
            property.insert("allOf".into(), Json::Array(rest));
        }
    };
    match variable.kind {
        VarType::Bool => {
            property.insert("type".into(), Json::from("boolean"));
        }
        VarType::Integer => {
            property.insert("type".into(), Json::from("integer"));
            if let Some(min) = variable.min {
                property.insert("minimum".into(), Json::from(min));
            }
            if let Some(max) = variable.max {
                property.insert("maximum".into(), Json::from(max));
            }
        }
        VarType::String => {
            property.insert("type".into(), Json::from("string"));
            string_rules(&mut property);
        }
        VarType::Choice => {
            property.insert("type".into(), Json::from("string"));
            property.insert("enum".into(), json!(variable.choices));
        }
        VarType::List => {
            property.insert("type".into(), Json::from("array"));
            let mut items = Map::new();
            items.insert("type".into(), Json::from("string"));
            string_rules(&mut items);
            property.insert("items".into(), Json::Object(items));
        }
    }
    if variable.multiline {
        // Backstage reads `ui:*` keys in a parameter's schema as its uiSchema.
        property.insert("ui:widget".into(), Json::from("textarea"));
    }
    match &variable.default {
        Some(Default::Literal(value)) => {
            property.insert("default".into(), to_json(value));
        }
        Some(Default::Template(source)) => {
            property.insert("x-svcgen-default".into(), Json::from(source.as_str()));
        }
        None => {}
    }
    property
}

/// The Rust keywords, and the PascalCase form a template may write (`Type`), as svcgen's
/// `reserved = ["rust"]` check finds them in a snake_case answer.
fn rust_keyword_forms() -> Vec<String> {
    use heck::ToUpperCamelCase;
    let mut forms: Vec<String> = Vec::new();
    for keyword in crate::keywords::RUST {
        for form in [keyword.to_string(), keyword.to_upper_camel_case()] {
            if !forms.contains(&form) {
                forms.push(form);
            }
        }
    }
    forms
}

fn to_json(value: &Value) -> Json {
    match value {
        Value::Bool(b) => Json::from(*b),
        Value::Integer(n) => Json::from(*n),
        Value::String(s) => Json::from(s.as_str()),
        Value::List(items) => json!(items),
    }
}

/// The schema an object of answers satisfies exactly when `when` is true of them.
fn condition_schema(when: &str, manifest: &Manifest) -> Result<Json, String> {
    let source = format!("{{{{ {when} }}}}");
    let ast = tera::Template::new("when", None, &source)
        .map_err(|err| crate::template::describe(&err, &source).message)?
        .ast;
    match ast.as_slice() {
        [Node::VariableBlock(_, expr)] => expression(expr, manifest),
        _ => Err("not a single expression".into()),
    }
}

fn expression(expr: &Expr, manifest: &Manifest) -> Result<Json, String> {
    if !expr.filters.is_empty() {
        return Err("it applies a filter".into());
    }
    let schema = match &expr.val {
        ExprVal::Bool(b) => Json::Bool(*b),
        ExprVal::Ident(name) => atom(name, Test::Truthy, manifest)?,
        ExprVal::Logic(logic) => match logic.operator {
            LogicOperator::And => json!({ "allOf": [
                expression(&logic.lhs, manifest)?,
                expression(&logic.rhs, manifest)?,
            ] }),
            LogicOperator::Or => json!({ "anyOf": [
                expression(&logic.lhs, manifest)?,
                expression(&logic.rhs, manifest)?,
            ] }),
            operator => comparison(&logic.lhs, operator, &logic.rhs, manifest)?,
        },
        ExprVal::In(membership) => {
            let ExprVal::Ident(name) = &membership.lhs.val else {
                return Err("`in` tests something other than a variable".into());
            };
            let ExprVal::Array(items) = &membership.rhs.val else {
                return Err("`in` is not over a list of literals".into());
            };
            let literals = items
                .iter()
                .map(literal)
                .collect::<Option<Vec<Json>>>()
                .ok_or("`in` is not over a list of literals")?;
            let test = atom(name, Test::In(literals), manifest)?;
            if membership.negated {
                json!({ "not": test })
            } else {
                test
            }
        }
        _ => {
            return Err("it uses more than names, `not`, `and`, `or`, comparisons and `in`".into());
        }
    };
    Ok(if expr.negated {
        json!({ "not": schema })
    } else {
        schema
    })
}

fn comparison(
    lhs: &Expr,
    operator: LogicOperator,
    rhs: &Expr,
    manifest: &Manifest,
) -> Result<Json, String> {
    let plain = |e: &Expr| e.filters.is_empty() && !e.negated;
    // `8080 < port` is `port > 8080`.
    let (name, operator, value) = match (&lhs.val, &rhs.val) {
        (ExprVal::Ident(name), _) if plain(lhs) && plain(rhs) => (
            name,
            operator,
            literal(rhs).ok_or("it compares two variables")?,
        ),
        (_, ExprVal::Ident(name)) if plain(lhs) && plain(rhs) => {
            let flipped = match operator {
                LogicOperator::Gt => LogicOperator::Lt,
                LogicOperator::Gte => LogicOperator::Lte,
                LogicOperator::Lt => LogicOperator::Gt,
                LogicOperator::Lte => LogicOperator::Gte,
                other => other,
            };
            (
                name,
                flipped,
                literal(lhs).ok_or("it compares two literals")?,
            )
        }
        _ => return Err("it compares something other than a variable and a literal".into()),
    };
    let bound = || {
        value
            .as_i64()
            .ok_or("it orders by a value that is not an integer")
    };
    let test = match operator {
        LogicOperator::Eq => Test::Equals(value.clone()),
        LogicOperator::NotEq => {
            return Ok(json!({ "not": atom(name, Test::Equals(value), manifest)? }));
        }
        LogicOperator::Gt => Test::Order(Order::Gt, bound()?),
        LogicOperator::Gte => Test::Order(Order::Gte, bound()?),
        LogicOperator::Lt => Test::Order(Order::Lt, bound()?),
        LogicOperator::Lte => Test::Order(Order::Lte, bound()?),
        LogicOperator::And | LogicOperator::Or => unreachable!("handled by the caller"),
    };
    atom(name, test, manifest)
}

fn literal(expr: &Expr) -> Option<Json> {
    if !expr.filters.is_empty() || expr.negated {
        return None;
    }
    match &expr.val {
        ExprVal::String(s) => Some(Json::from(s.as_str())),
        ExprVal::Int(n) => Some(Json::from(*n)),
        ExprVal::Bool(b) => Some(Json::from(*b)),
        _ => None,
    }
}

/// What a condition asks of one variable's value.
#[derive(Debug, Clone)]
enum Test {
    /// Tera's truthiness: true, a non-empty string or list, a number other than 0.
    Truthy,
    Equals(Json),
    In(Vec<Json>),
    Order(Order, i64),
}

#[derive(Debug, Clone, Copy)]
enum Order {
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Test {
    fn schema(&self, kind: VarType) -> Json {
        match self {
            Test::Truthy => match kind {
                VarType::Bool => json!({ "const": true }),
                VarType::Integer => json!({ "not": { "const": 0 } }),
                VarType::String | VarType::Choice => json!({ "minLength": 1 }),
                VarType::List => json!({ "minItems": 1 }),
            },
            Test::Equals(value) => json!({ "const": value }),
            Test::In(values) => json!({ "enum": values }),
            Test::Order(Order::Gt, n) => json!({ "exclusiveMinimum": n }),
            Test::Order(Order::Gte, n) => json!({ "minimum": n }),
            Test::Order(Order::Lt, n) => json!({ "exclusiveMaximum": n }),
            Test::Order(Order::Lte, n) => json!({ "maximum": n }),
        }
    }

    /// Whether the test holds of `value`, as Tera would evaluate it.
    fn holds(&self, value: &Value) -> bool {
        let json = to_json(value);
        match self {
            Test::Truthy => match value {
                Value::Bool(b) => *b,
                Value::Integer(n) => *n != 0,
                Value::String(s) => !s.is_empty(),
                Value::List(items) => !items.is_empty(),
            },
            Test::Equals(expected) => json == *expected,
            Test::In(values) => values.contains(&json),
            Test::Order(order, bound) => match value {
                Value::Integer(n) => match order {
                    Order::Gt => n > bound,
                    Order::Gte => n >= bound,
                    Order::Lt => n < bound,
                    Order::Lte => n <= bound,
                },
                _ => false,
            },
        }
    }
}

/// The schema of `test` on variable `name`, true of answers that leave the variable out exactly
/// when svcgen's value for it then (its literal default) passes the test.
fn atom(name: &str, test: Test, manifest: &Manifest) -> Result<Json, String> {
    if name.contains(['.', '[']) {
        return Err(format!("it reads a part of `{name}`"));
    }
    let (kind, missing_passes) = if name == NAME_VARIABLE {
        // Always given: a missing name fails the schema's `required` anyway.
        (VarType::String, true)
    } else {
        let variable = manifest
            .variable(name)
            .ok_or_else(|| format!("`{name}` is not a variable of this blueprint"))?;
        let passes = match &variable.default {
            Some(Default::Literal(value)) => test.holds(value),
            _ => false,
        };
        (variable.kind, passes)
    };
    let mut schema = json!({ "properties": { name: test.schema(kind) } });
    if !missing_passes {
        schema["required"] = json!([name]);
    }
    Ok(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(body: &str) -> Manifest {
        Manifest::parse(
            &format!(
                "[blueprint]\nname = \"t\"\ndescription = \"A test\"\nversion = \"1.2.3\"\n{body}"
            ),
            "blueprint.toml",
        )
        .unwrap()
    }

    fn schema(body: &str) -> Json {
        let built = json_schema(&manifest(body));
        assert!(built.unexpressed.is_empty(), "{:?}", built.unexpressed);
        built.schema
    }

    #[test]
    fn variables_become_typed_properties_with_their_rules() {
        let s = schema(
            r#"
[variables.port]
type = "integer"
prompt = "HTTP port"
help = "Where it listens"
default = 8080
min = 1
max = 65535
[variables.ci]
type = "choice"
prompt = "CI"
choices = ["github", "none"]
default = "github"
[variables.db]
type = "string"
prompt = "Database"
default = "{{ name | snake_case }}"
validate = { regex = "^[a-z_]+$", message = "lowercase" }
[variables.team]
type = "string"
prompt = "Team"
"#,
        );
        assert_eq!(s["$schema"], DRAFT_2020_12);
        assert_eq!(s["title"], "t 1.2.3");
        assert_eq!(s["description"], "A test");
        assert_eq!(
            s["x-svcgen-blueprint"],
            json!({"name": "t", "version": "1.2.3"})
        );
        let port = &s["properties"]["port"];
        assert_eq!(port["type"], "integer");
        assert_eq!(port["title"], "HTTP port");
        assert_eq!(port["description"], "Where it listens");
        assert_eq!(port["default"], 8080);
        assert_eq!(
            (&port["minimum"], &port["maximum"]),
            (&json!(1), &json!(65535))
        );
        assert_eq!(s["properties"]["ci"]["enum"], json!(["github", "none"]));
        let db = &s["properties"]["db"];
        assert!(db.get("default").is_none(), "{db}");
        assert_eq!(db["x-svcgen-default"], "{{ name | snake_case }}");
        assert_eq!(db["pattern"], "^[a-z_]+$");
        assert_eq!(
            db["allOf"][0]["pattern"],
            "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
        );
        // No default: a form must ask for it; `name` is always required.
        assert_eq!(s["required"], json!(["name", "team"]));
        assert_eq!(
            s["propertyNames"]["enum"],
            json!(["name", "port", "ci", "db", "team"])
        );
        assert!(s.get("allOf").is_none());
    }

    #[test]
    fn reserved_words_are_excluded() {
        let s = schema(
            "[variables.resource]\ntype = \"string\"\ndefault = \"item\"\nvalidate = { regex = \"^[a-z]+$\", reserved = [\"rust\"] }\n",
        );
        let excluded = &s["properties"]["resource"]["not"]["enum"];
        let excluded = excluded.as_array().unwrap();
        assert!(excluded.contains(&json!("type")) && excluded.contains(&json!("Type")));
        let name_excluded = s["properties"]["name"]["not"]["enum"].as_array().unwrap();
        assert!(name_excluded.contains(&json!("std")));
    }

    #[test]
    fn conditional_variables_live_under_if_then() {
        let s = schema(
            r#"
[variables.with_resource]
type = "bool"
default = true
[variables.resource]
type = "string"
default = "item"
when = "with_resource"
[variables.plural]
type = "string"
default = "{{ resource }}s"
when = "with_resource"
"#,
        );
        assert!(s["properties"].get("resource").is_none());
        let rule = &s["allOf"][0];
        // The default is true, so answers without `with_resource` meet the condition too.
        assert_eq!(
            rule["if"],
            json!({ "properties": { "with_resource": { "const": true } } })
        );
        let then = rule["then"]["properties"].as_object().unwrap();
        assert_eq!(then.keys().collect::<Vec<_>>(), ["resource", "plural"]);
        assert_eq!(s["allOf"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn conditions_translate_with_the_default_of_a_missing_answer() {
        let s = schema(
            r#"
[variables.ci]
type = "choice"
choices = ["github", "gitlab", "none"]
default = "github"
[variables.flag]
type = "bool"
default = false
[variables.port]
type = "integer"
default = 8080
[variables.a]
type = "string"
default = "x"
when = "ci == 'gitlab'"
[variables.b]
type = "string"
default = "x"
when = "not flag and ci != 'none'"
[variables.c]
type = "string"
default = "x"
when = "port >= 9000 or ci in ['github', 'gitlab']"
"#,
        );
        let ifs: Vec<&Json> = s["allOf"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["if"])
            .collect();
        // `github` is not `gitlab`: answers without `ci` do not meet it.
        assert_eq!(
            *ifs[0],
            json!({ "properties": { "ci": { "const": "gitlab" } }, "required": ["ci"] })
        );
        assert_eq!(
            *ifs[1],
            json!({ "allOf": [
                { "not": { "properties": { "flag": { "const": true } }, "required": ["flag"] } },
                { "not": { "properties": { "ci": { "const": "none" } }, "required": ["ci"] } },
            ] })
        );
        assert_eq!(
            *ifs[2],
            json!({ "anyOf": [
                { "properties": { "port": { "minimum": 9000 } }, "required": ["port"] },
                { "properties": { "ci": { "enum": ["github", "gitlab"] } } },
            ] })
        );
    }

    #[test]
    fn a_condition_json_schema_cannot_state_is_reported_and_kept() {
        let built = json_schema(&manifest(
            "[variables.ci]\ntype = \"string\"\ndefault = \"github\"\n[variables.x]\ntype = \"bool\"\ndefault = true\nwhen = \"ci | upper == 'GITHUB'\"\n",
        ));
        assert_eq!(built.unexpressed.len(), 1, "{:?}", built.unexpressed);
        assert_eq!(built.unexpressed[0].variable, "x");
        let x = &built.schema["properties"]["x"];
        assert_eq!(x["x-svcgen-when"], "ci | upper == 'GITHUB'");
        assert!(built.unexpressed[0].to_string().contains("x-svcgen-when"));
    }

    #[test]
    fn one_line_strings_refuse_control_characters_and_multiline_is_a_textarea() {
        let s = schema(
            "[variables.d]\ntype = \"string\"\ndefault = \"\"\n[variables.notes]\ntype = \"string\"\ndefault = \"\"\nmultiline = true\n",
        );
        assert_eq!(
            s["properties"]["d"]["pattern"],
            "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
        );
        assert!(s["properties"]["notes"].get("pattern").is_none());
        assert_eq!(s["properties"]["notes"]["ui:widget"], "textarea");
    }
}
