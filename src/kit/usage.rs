//! Which variables a template reads, found by walking Tera's syntax tree.
//!
//! Only free variables count: names bound inside the template (`{% for x in ... %}`, `{% set %}`,
//! macro arguments, `loop`) are not answers. A dotted or indexed reference (`event.name`,
//! `items[i]`) uses its first segment, and any variable inside the brackets.
//!
//! Lint's rules on variables (undeclared, unused, declaration order) and on templates both read
//! these, so they live here rather than in either rule family.

use std::collections::HashSet;

use regex::Regex;
use tera::ast::{Expr, ExprVal, Node};

use crate::template;

/// Parses `source` as a Tera template on its own (no other template is needed to parse one).
pub(crate) fn parse(name: &str, source: &str) -> Result<Vec<Node>, tera::Error> {
    tera::Template::new(name, None, source).map(|template| template.ast)
}

/// The free variables of a template, each once, in order of first use.
pub(crate) fn free_variables(ast: &[Node]) -> Vec<String> {
    let mut walker = Walker::default();
    walker.nodes(ast);
    walker.found
}

/// The free variables of one expression (a `when` condition).
pub(crate) fn expression_variables(expr: &Expr) -> Vec<String> {
    let mut walker = Walker::default();
    walker.expr(expr);
    walker.found
}

/// The first segment of a Tera identifier: `event` for `event.name`, `items` for `items[0]`.
pub(crate) fn root_of(ident: &str) -> &str {
    let end = ident.find(['.', '[']).unwrap_or(ident.len());
    &ident[..end]
}

/// The variables a `default` template reads.
pub(crate) fn template_variables(source: &str) -> Result<Vec<String>, String> {
    parse("default", source)
        .map(|ast| free_variables(&ast))
        .map_err(|err| template::describe(&err, source).message)
}

/// The variables a condition such as `ci == 'github'` reads.
pub(crate) fn condition_variables(expression: &str) -> Result<Vec<String>, String> {
    let source = format!("{{{{ {expression} }}}}");
    let ast =
        parse("condition", &source).map_err(|err| template::describe(&err, &source).message)?;
    Ok(match ast.as_slice() {
        [Node::VariableBlock(_, expr)] => expression_variables(expr),
        _ => free_variables(&ast),
    })
}

/// The line of the first tag in `source` that reads `name`.
pub(crate) fn line_of_use(source: &str, name: &str) -> Option<usize> {
    let tags = Regex::new(r"(?s)\{\{.*?\}\}|\{%.*?%\}").expect("valid regex");
    let word = Regex::new(&format!(r"\b{}\b", regex::escape(name))).expect("escaped");
    tags.find_iter(source)
        .find_map(|tag| word.find(tag.as_str()).map(|m| tag.start() + m.start()))
        .map(|offset| source[..offset].matches('\n').count() + 1)
}

#[derive(Default)]
struct Walker {
    /// Names bound by the template itself, innermost scope last. The first scope is the
    /// template's top level, where `{% set_global %}` binds.
    scopes: Vec<HashSet<String>>,
    found: Vec<String>,
}

impl Walker {
    fn bound(&self, name: &str) -> bool {
        self.scopes.iter().any(|scope| scope.contains(name))
    }

    fn bind(&mut self, name: &str, global: bool) {
        if self.scopes.is_empty() {
            self.scopes.push(HashSet::new());
        }
        let scope = if global {
            self.scopes.first_mut()
        } else {
            self.scopes.last_mut()
        };
        scope.expect("pushed above").insert(name.to_owned());
    }

    fn with_scope(&mut self, names: &[&str], body: impl FnOnce(&mut Self)) {
        if self.scopes.is_empty() {
            self.scopes.push(HashSet::new());
        }
        self.scopes
            .push(names.iter().map(|n| (*n).to_owned()).collect());
        body(self);
        self.scopes.pop();
    }

    fn nodes(&mut self, nodes: &[Node]) {
        for node in nodes {
            self.node(node);
        }
    }

    fn node(&mut self, node: &Node) {
        match node {
            Node::VariableBlock(_, expr) => self.expr(expr),
            Node::Set(_, set) => {
                self.expr(&set.value);
                self.bind(&set.key, set.global);
            }
            Node::If(branches, _) => {
                for (_, condition, body) in &branches.conditions {
                    self.expr(condition);
                    self.nodes(body);
                }
                if let Some((_, body)) = &branches.otherwise {
                    self.nodes(body);
                }
            }
            Node::Forloop(_, forloop, _) => {
                self.expr(&forloop.container);
                let mut names = vec![forloop.value.as_str(), "loop"];
                if let Some(key) = &forloop.key {
                    names.push(key);
                }
                self.with_scope(&names, |walker| {
                    walker.nodes(&forloop.body);
                    if let Some(empty) = &forloop.empty_body {
                        walker.nodes(empty);
                    }
                });
            }
            Node::MacroDefinition(_, definition, _) => {
                for default in definition.args.values().flatten() {
                    self.expr(default);
                }
                let args: Vec<&str> = definition.args.keys().map(String::as_str).collect();
                self.with_scope(&args, |walker| walker.nodes(&definition.body));
            }
            Node::FilterSection(_, section, _) => {
                for arg in section.filter.args.values() {
                    self.expr(arg);
                }
                self.nodes(&section.body);
            }
            Node::Block(_, block, _) => self.nodes(&block.body),
            Node::Super
            | Node::Text(_)
            | Node::Raw(..)
            | Node::Comment(..)
            | Node::Extends(..)
            | Node::Include(..)
            | Node::ImportMacro(..)
            | Node::Break(_)
            | Node::Continue(_) => {}
        }
    }

    fn expr(&mut self, expr: &Expr) {
        self.value(&expr.val);
        for filter in &expr.filters {
            for arg in filter.args.values() {
                self.expr(arg);
            }
        }
    }

    fn value(&mut self, value: &ExprVal) {
        match value {
            ExprVal::String(_) | ExprVal::Int(_) | ExprVal::Float(_) | ExprVal::Bool(_) => {}
            ExprVal::Ident(ident) => self.ident(ident),
            ExprVal::Math(math) => {
                self.expr(&math.lhs);
                self.expr(&math.rhs);
            }
            ExprVal::Logic(logic) => {
                self.expr(&logic.lhs);
                self.expr(&logic.rhs);
            }
            ExprVal::Test(test) => {
                self.ident(&test.ident);
                for arg in &test.args {
                    self.expr(arg);
                }
            }
            ExprVal::MacroCall(call) => {
                for arg in call.args.values() {
                    self.expr(arg);
                }
            }
            ExprVal::FunctionCall(call) => {
                for arg in call.args.values() {
                    self.expr(arg);
                }
            }
            ExprVal::Array(items) => {
                for item in items {
                    self.expr(item);
                }
            }
            ExprVal::StringConcat(concat) => {
                for part in &concat.values {
                    self.value(part);
                }
            }
            ExprVal::In(within) => {
                self.expr(&within.lhs);
                self.expr(&within.rhs);
            }
        }
    }

    fn ident(&mut self, ident: &str) {
        let root = root_of(ident);
        // Tera's own magic variable: the whole context.
        if root != "__tera_context"
            && !root.is_empty()
            && !self.bound(root)
            && !self.found.iter().any(|f| f == root)
        {
            self.found.push(root.to_owned());
        }
        // `items[index]`: the index may itself be a variable (a quoted key or a number is not).
        let mut rest = &ident[root.len()..];
        while let Some(open) = rest.find('[') {
            let Some(close) = rest[open..].find(']') else {
                break;
            };
            let inner = rest[open + 1..open + close].trim();
            let literal = inner.starts_with(['"', '\'', '`']) || inner.parse::<i64>().is_ok();
            if !literal && !inner.is_empty() {
                self.ident(inner);
            }
            rest = &rest[open + close + 1..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(source: &str) -> Vec<String> {
        free_variables(&parse("t", source).unwrap())
    }

    #[test]
    fn plain_and_dotted_references() {
        assert_eq!(
            vars("{{ name }} {{ event.name | snake_case }} {{ name }}"),
            ["name", "event"]
        );
    }

    #[test]
    fn conditions_filters_and_tests_count() {
        assert_eq!(
            vars(
                "{% if ci == 'github' and not db %}x{% endif %}{{ a | default(value=b) }}{% if c is defined %}{% endif %}"
            ),
            ["ci", "db", "a", "b", "c"]
        );
    }

    #[test]
    fn bound_names_are_not_free() {
        let source = "{% for item in items %}{{ item }}{{ loop.index }}{{ outer }}{% endfor %}\
            {% set local = port + 1 %}{{ local }}\
            {% macro m(arg) %}{{ arg }}{% endmacro m %}";
        assert_eq!(vars(source), ["items", "outer", "port"]);
    }

    #[test]
    fn loop_variables_do_not_leak() {
        assert_eq!(vars("{% for x in xs %}{% endfor %}{{ x }}"), ["xs", "x"]);
    }

    #[test]
    fn index_expressions() {
        assert_eq!(
            vars("{{ map[key] }}{{ list[0] }}{{ m[\"k\"] }}"),
            ["map", "key", "list", "m"]
        );
    }

    #[test]
    fn raw_and_comments_are_ignored() {
        assert_eq!(
            vars("{% raw %}{{ x }}{% endraw %}{# {{ y }} #}"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn uses_are_found_on_their_line() {
        let source = "a\n{% raw %}port{% endraw %}\n{{ name }}\nport: {{ port }}\n";
        assert_eq!(line_of_use(source, "port"), Some(4));
        assert_eq!(line_of_use(source, "name"), Some(3));
    }

    #[test]
    fn expressions_list_their_variables() {
        assert_eq!(
            condition_variables("ci == 'github' and not db").unwrap(),
            ["ci", "db"]
        );
        assert!(condition_variables("ci ==").is_err());
    }
}
