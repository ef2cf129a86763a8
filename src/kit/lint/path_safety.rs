//! The `unsafe-path` rule: no templated path segment can render to something that escapes the
//! output (`..`, `/`, `.git`) for any answer a person could give.

use tera::ast::{Expr, ExprVal, Node};

use crate::answers::VarType;
use crate::blueprint::Manifest;
use crate::blueprint::manifest::NAME_VARIABLE;
use crate::kit::usage;
use crate::template;

/// Why a templated path segment could leave the output folder, one reason per expression that
/// could. The analysis is conservative: an expression is safe when its value cannot hold `/`
/// and cannot be `..`, `.` or `.git`, whatever a person answers.
pub(super) fn unsafe_segment(ast: &[Node], manifest: &Manifest) -> Vec<String> {
    let mut reasons = Vec::new();
    walk_segment(ast, manifest, &mut reasons);
    reasons
}

fn walk_segment(nodes: &[Node], manifest: &Manifest, reasons: &mut Vec<String>) {
    for node in nodes {
        match node {
            Node::Text(text) | Node::Raw(_, text, _) => {
                if let Some(reason) = unsafe_literal(text) {
                    reasons.push(format!("the text `{text}` {reason}"));
                }
            }
            Node::VariableBlock(_, expr) => {
                if let Some(reason) = unsafe_expression(expr, manifest) {
                    reasons.push(reason);
                }
            }
            Node::If(branches, _) => {
                for (_, _, body) in &branches.conditions {
                    walk_segment(body, manifest, reasons);
                }
                if let Some((_, body)) = &branches.otherwise {
                    walk_segment(body, manifest, reasons);
                }
            }
            Node::Comment(..) | Node::Set(..) => {}
            _ => reasons.push(
                "only text, `{{ }}` and `{% if %}` can be checked in a path; move the logic into a variable's default".into(),
            ),
        }
    }
}

fn unsafe_literal(text: &str) -> Option<&'static str> {
    if text.contains('/') || text.contains('\\') {
        Some("holds a path separator")
    } else if matches!(text, "." | ".." | ".git") {
        Some("is a reserved path segment")
    } else {
        None
    }
}

/// Filters that keep a safe value safe.
const HARMLESS_FILTERS: [&str; 5] = ["lower", "upper", "trim", "capitalize", "title"];

/// Answers that must never be accepted for a string rendered into a path.
const ESCAPE_PROBES: [&str; 6] = ["..", "../x", "a/b", "/x", ".git", "a\\b"];

fn unsafe_expression(expr: &Expr, manifest: &Manifest) -> Option<String> {
    if expr.negated {
        return None;
    }
    if expr
        .filters
        .last()
        .is_some_and(|f| template::is_case_filter(&f.name))
    {
        return None;
    }
    if let Some(filter) = expr
        .filters
        .iter()
        .find(|f| !HARMLESS_FILTERS.contains(&f.name.as_str()))
    {
        return Some(format!(
            "the filter `{}` can produce any text; end the expression with a case filter such as `| kebab_case`",
            filter.name
        ));
    }
    unsafe_value(&expr.val, manifest)
}

fn unsafe_value(value: &ExprVal, manifest: &Manifest) -> Option<String> {
    match value {
        ExprVal::String(text) => {
            unsafe_literal(text).map(|reason| format!("the string `{text}` {reason}"))
        }
        ExprVal::Int(_)
        | ExprVal::Float(_)
        | ExprVal::Bool(_)
        | ExprVal::Math(_)
        | ExprVal::Logic(_)
        | ExprVal::Test(_)
        | ExprVal::In(_) => None,
        ExprVal::StringConcat(concat) => concat
            .values
            .iter()
            .find_map(|part| unsafe_value(part, manifest)),
        ExprVal::Ident(ident) => unsafe_variable(ident, manifest),
        ExprVal::Array(_) | ExprVal::FunctionCall(_) | ExprVal::MacroCall(_) => Some(
            "the value of this expression cannot be checked; end it with a case filter such as `| kebab_case`".into(),
        ),
    }
}

fn unsafe_variable(ident: &str, manifest: &Manifest) -> Option<String> {
    let name = usage::root_of(ident);
    if name == NAME_VARIABLE && ident == name {
        // Service names are checked: lowercase letters, digits and `-`.
        return None;
    }
    let variable = manifest.variable(name)?;
    if ident != name {
        return Some(format!(
            "`{ident}` reads inside `{name}`, whose parts cannot be checked; end it with a case filter such as `| kebab_case`"
        ));
    }
    let fix = format!(
        "pipe it through a case filter (`{{{{ {name} | kebab_case }}}}`) or give `{name}` a `validate` regex that rejects `/` and `..`"
    );
    match variable.kind {
        VarType::Bool | VarType::Integer => None,
        VarType::Choice => variable.choices.iter().find_map(|choice| {
            unsafe_literal(choice).map(|reason| format!("choice `{choice}` of `{name}` {reason}"))
        }),
        VarType::List => Some(format!(
            "`{name}` is a list, which renders with brackets, commas and quotes; {fix}"
        )),
        VarType::String => match &variable.validate {
            None => Some(format!(
                "`{name}` is a string with no `validate` regex, so an answer such as `../../x` would write outside the output; {fix}"
            )),
            Some(validation) => ESCAPE_PROBES
                .iter()
                .find(|probe| validation.regex.is_match(probe))
                .map(|probe| format!("the `validate` regex of `{name}` accepts `{probe}`; {fix}")),
        },
    }
}
