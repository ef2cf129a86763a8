//! Tera macros that call themselves with nothing to stop them.
//!
//! Tera has no limit on macro recursion: a macro that calls itself unconditionally recurses
//! until the stack overflows, which aborts svcgen with no message. Before rendering, every
//! macro's body is read for calls to macros of the same file (`self::name(...)`) that are not
//! inside an `{% if %}` or `{% for %}`; a cycle of such calls can only recurse forever and is an
//! error naming the macro. Recursion with a stopping condition is left alone: whether the
//! condition is ever met cannot be known without running it.
//!
//! This reads Tera's syntax tree, which Tera does not promise to keep stable: Cargo.toml pins
//! tera to one minor version for it.

use std::collections::{BTreeMap, BTreeSet};

use tera::ast::{ExprVal, Node};

/// A macro that always calls itself, through a chain of macros of its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndlessMacro {
    /// The template that defines it.
    pub template: String,
    pub name: String,
    /// The chain of calls back to it, `a -> b -> a`.
    pub cycle: Vec<String>,
}

/// The first macro of `tera`'s templates that recurses without a stop, if any.
pub fn find_endless(tera: &tera::Tera) -> Option<EndlessMacro> {
    let mut names: Vec<&str> = tera.get_template_names().collect();
    names.sort_unstable();
    for template_name in names {
        let template = tera.get_template(template_name).ok()?;
        let calls: BTreeMap<&str, BTreeSet<String>> = template
            .macros
            .iter()
            .map(|(name, definition)| {
                let mut called = BTreeSet::new();
                unconditional_calls(&definition.body, &mut called);
                (name.as_str(), called)
            })
            .collect();
        for start in calls.keys() {
            if let Some(cycle) = cycle_from(start, &calls) {
                return Some(EndlessMacro {
                    template: template_name.to_owned(),
                    name: (*start).to_owned(),
                    cycle,
                });
            }
        }
    }
    None
}

/// Macros of the same file that `nodes` call whatever the input.
fn unconditional_calls(nodes: &[Node], called: &mut BTreeSet<String>) {
    for node in nodes {
        let expression = match node {
            Node::VariableBlock(_, expression) => Some(expression),
            Node::Set(_, set) => Some(&set.value),
            Node::FilterSection(_, section, _) => {
                unconditional_calls(&section.body, called);
                None
            }
            Node::Block(_, block, _) => {
                unconditional_calls(&block.body, called);
                None
            }
            _ => None,
        };
        if let Some(expression) = expression
            && let ExprVal::MacroCall(call) = &expression.val
            && call.namespace == "self"
        {
            called.insert(call.name.clone());
        }
    }
}

/// A path of unconditional calls from `start` back to it.
fn cycle_from(start: &str, calls: &BTreeMap<&str, BTreeSet<String>>) -> Option<Vec<String>> {
    let mut stack = vec![vec![start.to_owned()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().expect("paths are never empty");
        for next in calls.get(last.as_str()).into_iter().flatten() {
            let mut longer = path.clone();
            longer.push(next.clone());
            if next == start {
                return Some(longer);
            }
            if seen.insert(next.clone()) {
                stack.push(longer);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tera(source: &str) -> tera::Tera {
        let mut tera = tera::Tera::default();
        tera.add_raw_template("t", source).unwrap();
        tera
    }

    #[test]
    fn a_macro_that_always_calls_itself_is_found() {
        let found = find_endless(&tera(
            "{% macro spin(n) %}{{ self::spin(n=n) }}{% endmacro %}{{ self::spin(n=1) }}",
        ))
        .unwrap();
        assert_eq!(found.name, "spin");
        assert_eq!(found.cycle, ["spin", "spin"]);
    }

    #[test]
    fn two_macros_calling_each_other_are_found() {
        let found = find_endless(&tera(
            "{% macro a() %}{{ self::b() }}{% endmacro %}{% macro b() %}{% set x = self::a() %}{% endmacro %}",
        ))
        .unwrap();
        assert_eq!(found.cycle, ["a", "b", "a"]);
    }

    #[test]
    fn recursion_with_a_stop_is_left_alone() {
        let source = "{% macro down(n) %}{{ n }}{% if n > 0 %}{{ self::down(n=n-1) }}{% endif %}{% endmacro %}{{ self::down(n=3) }}";
        assert_eq!(find_endless(&tera(source)), None);
        let rendered = tera(source).render("t", &tera::Context::new()).unwrap();
        assert_eq!(rendered, "3210");
    }
}
