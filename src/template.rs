//! The Tera environment blueprints are rendered in: filters, expressions, and error messages that
//! point at a line.
//!
//! A template must not be able to make rendering depend on the machine, the clock or chance:
//! Tera's `get_env`, `now` and `get_random` are replaced by functions that fail saying why.
//! `toml_string`, `yaml_string` and `rust_string` quote an answer as a literal of each language;
//! `sql_ident` quotes it as a PostgreSQL identifier.

use std::cell::RefCell;
use std::collections::HashMap;

use heck::{
    ToKebabCase, ToLowerCamelCase, ToShoutySnakeCase, ToSnakeCase, ToTitleCase, ToUpperCamelCase,
};
use tera::{Context, Tera};

use crate::answers::{Answers, Value};

/// A template failure, before it is tied to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub message: String,
    pub line: Option<usize>,
}

/// A Tera instance with svcgen's filters and no auto-escaping (blueprints produce code, not HTML).
pub fn new_tera() -> Tera {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![]);
    register_filters(&mut tera);
    tera
}

/// What templates, defaults and conditions see: every answer.
pub fn context(answers: &Answers) -> Context {
    let mut context = Context::new();
    for (name, value) in answers {
        match value {
            Value::Bool(b) => context.insert(name, b),
            Value::Integer(n) => context.insert(name, n),
            Value::String(s) => context.insert(name, s),
            Value::List(items) => context.insert(name, items),
        }
    }
    context
}

/// Renders a short template (a default, a path) that is not part of the template tree.
pub fn render_str(source: &str, context: &Context) -> Result<String, TemplateError> {
    if !source.contains("{{") && !source.contains("{%") && !source.contains("{#") {
        return Ok(source.to_owned());
    }
    // One Tera serves every short template: setting one up registers some 70 built-ins, which
    // costs more than rendering a path segment or a default.
    thread_local! {
        static INLINE: RefCell<Tera> = RefCell::new(new_tera());
    }
    INLINE.with_borrow_mut(|tera| {
        tera.add_raw_template("__inline", source)
            .map_err(|err| describe(&err, source))?;
        tera.render("__inline", context)
            .map_err(|err| describe(&err, source))
    })
}

/// Evaluates a `when` condition such as `example_resource` or `ci == 'github'`.
pub fn eval_condition(expression: &str, context: &Context) -> Result<bool, TemplateError> {
    // `{% if %}` treats an undefined name as false, which would hide a typo in a condition;
    // printing the expression first makes Tera report it.
    render_str(&format!("{{{{ {expression} }}}}"), context).map_err(|mut err| {
        err.line = None;
        err.message = format!("in condition `{expression}`: {}", err.message);
        err
    })?;
    let source = format!("{{% if {expression} %}}true{{% else %}}false{{% endif %}}");
    let rendered = render_str(&source, context).map_err(|mut err| {
        err.line = None;
        err.message = format!("in condition `{expression}`: {}", err.message);
        err
    })?;
    Ok(rendered == "true")
}

/// Turns Tera's error chain into one line plus, where it can be found, the template line.
pub fn describe(err: &tera::Error, source: &str) -> TemplateError {
    let mut messages = vec![err.to_string()];
    let mut cause = std::error::Error::source(err);
    while let Some(inner) = cause {
        messages.push(inner.to_string());
        cause = inner.source();
    }
    let innermost = messages.last().cloned().unwrap_or_default();

    // Parse errors carry a pest report: ` --> LINE:COL`, the source line, and `= expected ...`.
    if let Some(line) = parse_error_line(&innermost) {
        let expected = innermost
            .lines()
            .find_map(|l| l.trim().strip_prefix("= "))
            .unwrap_or("syntax error");
        return TemplateError {
            message: format!("template syntax error: {expected}"),
            line: Some(line),
        };
    }

    // Render errors name the culprit in backticks (`Variable `foo` not found ...`); point at the
    // first tag that mentions it.
    let culprit = innermost.split('`').nth(1).filter(|name| !name.is_empty());
    let line = culprit.and_then(|name| find_tag_line(source, name));
    let message = innermost
        .split(" while rendering")
        .next()
        .unwrap_or(&innermost)
        .trim()
        .to_owned();
    TemplateError { message, line }
}

fn parse_error_line(report: &str) -> Option<usize> {
    let arrow = report.find("--> ")?;
    let rest = &report[arrow + 4..];
    let line = rest.split(':').next()?;
    line.trim().parse().ok()
}

fn find_tag_line(source: &str, name: &str) -> Option<usize> {
    let lines: Vec<&str> = source.lines().collect();
    let in_tag = |line: &&str| line.contains(name) && (line.contains("{{") || line.contains("{%"));
    lines
        .iter()
        .position(in_tag)
        .or_else(|| lines.iter().position(|line| line.contains(name)))
        .map(|index| index + 1)
}

type Filter = fn(&str) -> String;

/// Tera's functions that read the environment, the clock or chance.
pub const IMPURE_FUNCTIONS: [&str; 3] = ["get_env", "now", "get_random"];

const STRING_FILTERS: [(&str, Filter); 4] = [
    ("toml_string", |s| {
        toml::Value::String(s.to_owned()).to_string()
    }),
    ("yaml_string", yaml_double_quoted),
    ("rust_string", |s| format!("{s:?}")),
    ("sql_ident", sql_quoted_identifier),
];

/// A PostgreSQL quoted identifier: a name that is a keyword (`order`, `user`, `select`) is
/// then a name like any other, and a `"` inside is doubled. Quoted names are case-sensitive,
/// so the unquoted lowercase names of SQL written by hand still match.
fn sql_quoted_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A YAML double-quoted scalar: JSON's escapes, and every control character (DEL included,
/// which JSON leaves as it is and YAML does not allow) as `\uXXXX`.
fn yaml_double_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

const CASE_FILTERS: [(&str, Filter); 6] = [
    ("snake_case", |s| s.to_snake_case()),
    ("kebab_case", |s| s.to_kebab_case()),
    ("pascal_case", |s| s.to_upper_camel_case()),
    ("camel_case", |s| s.to_lower_camel_case()),
    ("shouty_snake_case", |s| s.to_shouty_snake_case()),
    ("title_case", |s| s.to_title_case()),
];

/// Whether `filter` is one of the case filters, whose output holds only letters, digits, `_`,
/// `-` and spaces (never `/` or `.`), which makes it safe inside a path.
pub fn is_case_filter(filter: &str) -> bool {
    CASE_FILTERS.iter().any(|(name, _)| *name == filter)
}

fn register_filters(tera: &mut Tera) {
    for (name, convert) in CASE_FILTERS {
        tera.register_filter(
            name,
            move |value: &tera::Value, _: &HashMap<String, tera::Value>| {
                let text = tera::try_get_value!(name, "value", String, value);
                Ok(tera::Value::String(convert(&text)))
            },
        );
    }
    // Quoted string literals of the languages blueprints write, escaped as each needs: an
    // answer with a quote, a backslash or (for a multiline variable) a line break stays one
    // valid value.
    for (name, quote) in STRING_FILTERS {
        tera.register_filter(
            name,
            move |value: &tera::Value, _: &HashMap<String, tera::Value>| {
                let text = tera::try_get_value!(name, "value", String, value);
                Ok(tera::Value::String(quote(&text)))
            },
        );
    }
    // Functions that read outside the blueprint and its answers (the environment, the clock,
    // chance) would make a render depend on where and when it ran, and put a token or a path
    // of the machine into a service; the same answers must give the same bytes, which
    // `update`'s merge base relies on. Registered over Tera's own, they fail with a reason.
    for function in IMPURE_FUNCTIONS {
        tera.register_function(
            function,
            move |_: &HashMap<String, tera::Value>| -> tera::Result<tera::Value> {
                Err(tera::Error::msg(format!(
                    "Function `{function}` is not available in blueprints: a render depends only on the blueprint and the answers; ask for the value with a variable instead"
                )))
            },
        );
    }
    // `{{ "secrets.TOKEN" | gh_expr }}` writes `${{ secrets.TOKEN }}`: GitHub Actions expressions
    // use Tera's own delimiters, and this is shorter than a `{% raw %}` block for one expression.
    tera.register_filter(
        "gh_expr",
        |value: &tera::Value, _: &HashMap<String, tera::Value>| {
            let text = tera::try_get_value!("gh_expr", "value", String, value);
            Ok(tera::Value::String(format!("${{{{ {text} }}}}")))
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(pairs: &[(&str, Value)]) -> Context {
        let answers: Answers = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        context(&answers)
    }

    #[test]
    fn case_filters() {
        let c = ctx(&[("name", Value::String("product-catalog".into()))]);
        let out = render_str(
            "{{ name | snake_case }} {{ name | kebab_case }} {{ name | pascal_case }} {{ name | camel_case }} {{ name | shouty_snake_case }} {{ name | title_case }}",
            &c,
        )
        .unwrap();
        assert_eq!(
            out,
            "product_catalog product-catalog ProductCatalog productCatalog PRODUCT_CATALOG Product Catalog"
        );
    }

    #[test]
    fn case_filters_never_produce_path_separators_or_dots() {
        // `svcgen blueprint lint` relies on this to call `{{ x | kebab_case }}` safe in a path.
        for evil in ["../../etc/passwd", "/abs", "a\\b", ".git", "..", "x/../y.z"] {
            let c = ctx(&[("x", Value::String(evil.into()))]);
            for (name, _) in CASE_FILTERS {
                assert!(is_case_filter(name));
                let out = render_str(&format!("{{{{ x | {name} }}}}"), &c).unwrap();
                assert!(
                    !out.contains(['/', '\\', '.']),
                    "{name}({evil:?}) = {out:?}"
                );
            }
        }
        assert!(!is_case_filter("replace"));
    }

    #[test]
    fn string_filters_give_valid_literals() {
        let awkward = "say \"hi\" \\ o'k\nline two\t\u{7f}";
        let c = ctx(&[("d", Value::String(awkward.into()))]);
        let toml_text = render_str("d = {{ d | toml_string }}\n", &c).unwrap();
        let parsed: toml::Table = toml::from_str(&toml_text).unwrap();
        assert_eq!(parsed["d"].as_str(), Some(awkward));
        let yaml = render_str("{{ d | yaml_string }}", &c).unwrap();
        let from_yaml: String = serde_json::from_str(&yaml.replace("\\u007F", "\\u007f")).unwrap();
        assert_eq!(
            from_yaml, awkward,
            "the YAML form is also valid JSON here: {yaml}"
        );
        assert!(!yaml.contains('\u{7f}'), "DEL is escaped: {yaml}");
        assert_eq!(
            render_str("{{ d | rust_string }}", &c).unwrap(),
            format!("{awkward:?}")
        );
    }

    #[test]
    fn sql_ident_quotes_keywords_and_doubles_quotes() {
        for (name, quoted) in [
            ("order", r#""order""#),
            ("user_copy", r#""user_copy""#),
            (r#"say "hi""#, r#""say ""hi""""#),
        ] {
            let c = ctx(&[("n", Value::String(name.into()))]);
            assert_eq!(render_str("{{ n | sql_ident }}", &c).unwrap(), quoted);
        }
    }

    #[test]
    fn templates_cannot_read_the_environment_the_clock_or_chance() {
        for call in [
            "get_env(name=\"HOME\")",
            "now()",
            "get_random(start=0, end=9)",
        ] {
            let err = render_str(&format!("x = {{{{ {call} }}}}"), &ctx(&[])).unwrap_err();
            assert!(
                err.message.contains("not available in blueprints"),
                "{call}: {err:?}"
            );
        }
    }

    #[test]
    fn github_expressions() {
        let c = ctx(&[]);
        assert_eq!(
            render_str("{{ \"matrix.os\" | gh_expr }}", &c).unwrap(),
            "${{ matrix.os }}"
        );
        assert_eq!(
            render_str("{% raw %}${{ github.sha }}{% endraw %}", &c).unwrap(),
            "${{ github.sha }}"
        );
    }

    #[test]
    fn conditions() {
        let c = ctx(&[
            ("ci", Value::String("github".into())),
            ("db", Value::Bool(false)),
        ]);
        assert!(eval_condition("ci == 'github'", &c).unwrap());
        assert!(!eval_condition("db", &c).unwrap());
        assert!(eval_condition("not db and ci != 'none'", &c).unwrap());
        let err = eval_condition("missing", &c).unwrap_err();
        assert!(err.message.contains("missing"), "{err:?}");
    }

    #[test]
    fn syntax_error_points_at_its_line() {
        let err = render_str("line one\n{{ name }}\n{{ oops oops }}\n", &ctx(&[])).unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(err.message.starts_with("template syntax error"), "{err:?}");
    }

    #[test]
    fn undefined_variable_points_at_its_line() {
        let err = render_str("a\nb\nport = {{ port }}\n", &ctx(&[])).unwrap_err();
        assert_eq!(err.line, Some(3));
        assert_eq!(err.message, "Variable `port` not found in context");
    }

    #[test]
    fn crlf_and_trailing_newline_survive() {
        let c = ctx(&[("name", Value::String("x".into()))]);
        assert_eq!(render_str("a\r\n{{ name }}\r\n", &c).unwrap(), "a\r\nx\r\n");
    }
}
