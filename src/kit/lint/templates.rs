//! The `template-syntax` rule: every template, templated path segment and `[[files.include]]`
//! condition parses. Walking them also records the variables they read, for the variable rules,
//! and hands each templated path segment to the `unsafe-path` rule.

use super::path_safety::unsafe_segment;
use super::{Lint, Rule};
use crate::error::Location;
use crate::kit::usage;
use crate::render::is_binary;
use crate::template;

impl Lint<'_> {
    /// Syntax of every template and path segment, the variables they read, and path safety.
    pub(super) fn templates(&mut self) {
        let blueprint = self.blueprint;
        for file in &blueprint.templates {
            let shown = blueprint.display_path(&file.path);
            for segment in file.path.split('/') {
                if !has_tags(segment) {
                    continue;
                }
                match usage::parse(&file.path, segment) {
                    Err(err) => {
                        let described = template::describe(&err, segment);
                        self.push(
                            Rule::TemplateSyntax,
                            Location {
                                file: shown.clone(),
                                line: None,
                            },
                            format!("path segment `{segment}`: {}", described.message),
                        );
                    }
                    Ok(ast) => {
                        for name in usage::free_variables(&ast) {
                            let location = Location {
                                file: shown.clone(),
                                line: None,
                            };
                            self.record_use(&name, location, "path");
                        }
                        for reason in unsafe_segment(&ast, &blueprint.manifest) {
                            self.push(
                                Rule::UnsafePath,
                                Location {
                                    file: shown.clone(),
                                    line: None,
                                },
                                format!("path segment `{segment}` could render outside the output folder: {reason}"),
                            );
                        }
                    }
                }
            }

            let verbatim = blueprint.manifest.copy_without_render.is_match(&file.path)
                || is_binary(&file.contents);
            if verbatim {
                continue;
            }
            let source = std::str::from_utf8(&file.contents).expect("is_binary rejects non-UTF-8");
            match usage::parse(&file.path, source) {
                Err(err) => {
                    let described = template::describe(&err, source);
                    self.push(
                        Rule::TemplateSyntax,
                        Location {
                            file: shown.clone(),
                            line: described.line,
                        },
                        described.message,
                    );
                }
                Ok(ast) => {
                    for name in usage::free_variables(&ast) {
                        let location = Location {
                            file: shown.clone(),
                            line: usage::line_of_use(source, &name),
                        };
                        self.record_use(&name, location, "template");
                    }
                }
            }
        }
    }

    /// The `when` of each `[[files.include]]` rule.
    pub(super) fn conditions(&mut self) {
        let rules = &self.blueprint.manifest.include_rules;
        for (index, rule) in rules.iter().enumerate() {
            let location = self.manifest_at(&format!("files.include.{index}.when"));
            match usage::condition_variables(&rule.when) {
                Err(message) => self.push(
                    Rule::TemplateSyntax,
                    location,
                    format!("[[files.include]] condition `{}`: {message}", rule.when),
                ),
                Ok(names) => {
                    for name in names {
                        self.record_use(&name, location.clone(), "[[files.include]] condition");
                    }
                }
            }
        }
    }
}

fn has_tags(text: &str) -> bool {
    text.contains("{{") || text.contains("{%") || text.contains("{#")
}
