//! The `template-syntax` rule: every template, templated path segment and `[[files.include]]`
//! condition parses. Walking them also records the variables they read, for the variable rules,
//! and hands each templated path segment to the `unsafe-path` rule.

use super::path_safety::unsafe_segment;
use super::{Finding, Lint, Rule};
use crate::blueprint::manifest::build_globset;
use crate::blueprint::{SourceFile, TEMPLATE_DIR};
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

/// The `template-syntax` rule for a blueprint whose manifest is broken: each template's own
/// syntax, without the variables (those need the manifest). Which files are copied verbatim is
/// read from `[files] copy_without_render` when that much of the manifest reads; otherwise
/// every text file is parsed.
pub(super) fn syntax_without_manifest(
    origin: &str,
    files: &[SourceFile],
    manifest_text: &str,
) -> Vec<Finding> {
    let verbatim_globs: Vec<String> = toml::from_str::<toml::Table>(manifest_text)
        .ok()
        .and_then(|table| {
            let globs = table.get("files")?.get("copy_without_render")?.as_array()?;
            Some(
                globs
                    .iter()
                    .filter_map(|glob| glob.as_str().map(str::to_owned))
                    .collect(),
            )
        })
        .unwrap_or_default();
    let Ok(verbatim) = build_globset(&verbatim_globs) else {
        return Vec::new();
    };
    let prefix = format!("{TEMPLATE_DIR}/");
    let mut findings = Vec::new();
    for file in files {
        let Some(path) = file.path.strip_prefix(&prefix) else {
            continue;
        };
        if verbatim.is_match(path) || is_binary(&file.contents) {
            continue;
        }
        let source = std::str::from_utf8(&file.contents).expect("is_binary rejects non-UTF-8");
        if let Err(err) = usage::parse(path, source) {
            let described = template::describe(&err, source);
            findings.push(Finding {
                rule: Rule::TemplateSyntax,
                location: Location {
                    file: format!("{origin}/{}", file.path),
                    line: described.line,
                },
                message: described.message,
            });
        }
    }
    findings
}

fn has_tags(text: &str) -> bool {
    text.contains("{{") || text.contains("{%") || text.contains("{#")
}
