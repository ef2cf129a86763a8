//! The `declaration-order`, `undeclared-variable` and `unused-variable` rules, over the uses the
//! template rules recorded and those of the variables' own defaults and conditions.

use regex::Regex;

use super::{Finding, Lint, Rule, Use};
use crate::blueprint::SourceFile;
use crate::blueprint::manifest::{Default, NAME_VARIABLE, SVCGEN_VERSION_VARIABLE};
use crate::kit::suggest::suggestion;
use crate::kit::usage;

impl Lint<'_> {
    /// Defaults and conditions of variables read only `name` and earlier variables.
    pub(super) fn declaration_order(&mut self) {
        let variables = &self.blueprint.manifest.variables;
        for (index, variable) in variables.iter().enumerate() {
            let mut expressions = Vec::new();
            if let Some(Default::Template(source)) = &variable.default {
                expressions.push(("default", usage::template_variables(source)));
            }
            if let Some(condition) = &variable.when {
                expressions.push(("when", usage::condition_variables(condition)));
            }
            for (key, parsed) in expressions {
                let location = self.manifest_at(&format!("variables.{}.{key}", variable.name));
                let names = match parsed {
                    Ok(names) => names,
                    Err(message) => {
                        self.push(
                            Rule::TemplateSyntax,
                            location,
                            format!("`{key}` of `{}`: {message}", variable.name),
                        );
                        continue;
                    }
                };
                for name in names {
                    self.uses.entry(name.clone()).or_default().push(Use {
                        location: location.clone(),
                        by: "variable",
                        owner: Some(variable.name.clone()),
                    });
                    if name == NAME_VARIABLE || name == SVCGEN_VERSION_VARIABLE {
                        continue;
                    }
                    let message = match variables.iter().position(|v| v.name == name) {
                        Some(at) if at < index => continue,
                        Some(at) if at == index => {
                            format!("`{key}` of `{}` reads `{name}` itself", variable.name)
                        }
                        Some(_) => {
                            let line = self
                                .lines
                                .line(&format!("variables.{name}"))
                                .map(|l| format!(" (line {l})"))
                                .unwrap_or_default();
                            format!(
                                "`{key}` of `{}` reads `{name}`, which is declared after it{line}; answers are resolved in declaration order, so move `{name}` above `{}`",
                                variable.name, variable.name
                            )
                        }
                        None => format!(
                            "`{key}` of `{}` reads `{name}`, which is not a declared variable",
                            variable.name
                        ),
                    };
                    self.push(Rule::DeclarationOrder, location.clone(), message);
                }
            }
        }
    }

    pub(super) fn undeclared(&mut self) {
        let manifest = &self.blueprint.manifest;
        let mut found = Vec::new();
        for (name, uses) in &self.uses {
            if name == NAME_VARIABLE
                || name == SVCGEN_VERSION_VARIABLE
                || manifest.variable(name).is_some()
            {
                continue;
            }
            // Variables' own expressions are reported by the declaration-order rule.
            let mut reported_files = Vec::new();
            for use_ in uses.iter().filter(|u| u.owner.is_none()) {
                // One finding per file is enough to find the typo.
                if reported_files.contains(&use_.location.file) {
                    continue;
                }
                reported_files.push(use_.location.file.clone());
                found.push(Finding {
                    rule: Rule::UndeclaredVariable,
                    location: use_.location.clone(),
                    message: format!(
                        "{} reads `{name}`, which is not a declared variable{}",
                        use_.by,
                        suggestion(name, manifest)
                    ),
                });
            }
        }
        self.findings.extend(found);
    }

    pub(super) fn unused(&mut self) {
        let parts = part_texts(&self.blueprint.other_files);
        let unused: Vec<String> = self
            .blueprint
            .manifest
            .variables
            .iter()
            .filter(|variable| {
                // A variable's own default or condition reading it is not a use.
                let used = self.uses.get(&variable.name).is_some_and(|uses| {
                    uses.iter()
                        .any(|u| u.owner.as_deref() != Some(variable.name.as_str()))
                });
                !used && !parts.iter().any(|text| mentions(text, &variable.name))
            })
            .map(|variable| variable.name.clone())
            .collect();
        for name in unused {
            let location = self.manifest_at(&format!("variables.{name}"));
            self.push(
                Rule::UnusedVariable,
                location,
                format!(
                    "variable `{name}` is declared but no template, path, condition or default reads it; remove it, or use it"
                ),
            );
        }
    }
}

/// The text of every file in a part folder (a top-level folder holding a `part.toml`, such as
/// `events/`): parts render with more than the answers, so they are not linted as templates,
/// but a variable they mention is in use.
fn part_texts(files: &[SourceFile]) -> Vec<String> {
    let parts: Vec<&str> = files
        .iter()
        .filter_map(|f| f.path.strip_suffix("/part.toml"))
        .filter(|dir| !dir.contains('/'))
        .collect();
    files
        .iter()
        .filter(|f| {
            parts
                .iter()
                .any(|dir| f.path.starts_with(&format!("{dir}/")))
        })
        .filter_map(|f| String::from_utf8(f.contents.to_vec()).ok())
        .chain(
            files
                .iter()
                .filter(|f| {
                    parts
                        .iter()
                        .any(|dir| f.path.starts_with(&format!("{dir}/")))
                })
                .map(|f| f.path.clone()),
        )
        .collect()
}

fn mentions(text: &str, name: &str) -> bool {
    Regex::new(&format!(r"\b{}\b", regex::escape(name)))
        .expect("escaped")
        .is_match(text)
}
