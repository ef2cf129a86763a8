//! `svcgen blueprint lint`: every check a blueprint can fail without a person looking at its
//! output, reported all at once, each with the file and line to fix.
//!
//! The rules, each with its code (shown after the message):
//!
//! - `manifest`: `blueprint.toml` parses and is valid (every problem, not the first).
//! - `template-syntax`: every template, and every templated path segment, parses.
//! - `undeclared-variable`: every variable a template, path or `[[files.include]]` condition
//!   reads is declared (or is `name`).
//! - `unused-variable`: every declared variable is read somewhere (templates, paths, conditions,
//!   other variables' defaults, or a part folder such as `events/`).
//! - `declaration-order`: a variable's `default` and `when` read only variables declared before
//!   it, since answers are resolved in order.
//! - `unmatched-pattern`: every glob of `[[files.include]]` and `copy_without_render` matches at
//!   least one file under `template/`.
//! - `unsafe-path`: no templated path segment can render to something that escapes the output
//!   (`..`, `/`, `.git`) for any answer a person could give.
//! - `test-matrix`: every variant `svcgen blueprint test` renders (the `[[tests]]` answer sets and
//!   the pairwise matrix) resolves and renders without error.
//! - `upgrade-test`: every `[[upgrade_tests]]` entry is well-formed (known keys, a usable name,
//!   relative patch and conflict paths).
//! - `upgrade-ref`: the blueprint is in a git repository, and each upgrade test's `from` names a
//!   commit of it that holds a readable blueprint at the same place.
//! - `upgrade-patch`: each patch exists beside the blueprint and is a unified diff svcgen can
//!   apply (checked against its own text; whether it fits the old render is `test`'s job).
//! - `upgrade-answers`: each answer of an upgrade test is a variable of the `from` version or of
//!   the working copy.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use regex::Regex;
use tera::ast::{Expr, ExprVal, Node};

use super::history::History;
use super::locate::ManifestLines;
use super::matrix::{self, Origin};
use super::suggest::suggestion;
use super::upgrade::{self, PatchProblem};
use super::usage;
use crate::answers::VarType;
use crate::blueprint::manifest::{self, Default, MANIFEST_FILE, Manifest, NAME_VARIABLE};
use crate::blueprint::source::read_dir;
use crate::blueprint::{Blueprint, SourceFile, TEMPLATE_DIR};
use crate::error::{Error, Location, Result};
use crate::render::{is_binary, render};
use crate::template;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    Manifest,
    TemplateSyntax,
    UndeclaredVariable,
    UnusedVariable,
    DeclarationOrder,
    UnmatchedPattern,
    UnsafePath,
    TestMatrix,
    UpgradeTest,
    UpgradeRef,
    UpgradePatch,
    UpgradeAnswers,
}

impl Rule {
    pub fn code(self) -> &'static str {
        match self {
            Rule::Manifest => "manifest",
            Rule::TemplateSyntax => "template-syntax",
            Rule::UndeclaredVariable => "undeclared-variable",
            Rule::UnusedVariable => "unused-variable",
            Rule::DeclarationOrder => "declaration-order",
            Rule::UnmatchedPattern => "unmatched-pattern",
            Rule::UnsafePath => "unsafe-path",
            Rule::TestMatrix => "test-matrix",
            Rule::UpgradeTest => "upgrade-test",
            Rule::UpgradeRef => "upgrade-ref",
            Rule::UpgradePatch => "upgrade-patch",
            Rule::UpgradeAnswers => "upgrade-answers",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    pub location: Location,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} [{}]",
            self.location,
            self.message,
            self.rule.code()
        )
    }
}

#[derive(Debug, Default)]
pub struct Report {
    /// In file order: `blueprint.toml` first, then templates by path.
    pub findings: Vec<Finding>,
    /// How many variants of the test matrix were rendered; `None` when rendering was skipped
    /// because earlier problems would make every variant fail the same way.
    pub variants_rendered: Option<usize>,
}

/// Lints the blueprint in `dir`. Fails only when `dir` cannot be read or holds no blueprint;
/// everything wrong with the blueprint itself is a finding.
pub fn lint_dir(dir: &Path) -> Result<Report> {
    let files = read_dir(dir)?;
    lint_files(&super::origin_of(dir), files, Some(dir))
}

/// Lints a blueprint given as its files; `origin` prefixes every path in messages. `dir` is
/// where the files are on disk, to find the git history `[[upgrade_tests]]` start from; without
/// it, their `from` is not checked.
pub fn lint_files(origin: &str, files: Vec<SourceFile>, dir: Option<&Path>) -> Result<Report> {
    let manifest_file = format!("{origin}/{MANIFEST_FILE}");
    let at = |line: Option<usize>| Location {
        file: manifest_file.clone(),
        line,
    };
    let Some(manifest_source) = files.iter().find(|f| f.path == MANIFEST_FILE) else {
        return Err(Error::NotABlueprint {
            origin: origin.to_owned(),
        });
    };
    let mut report = Report::default();
    let Ok(text) = String::from_utf8(manifest_source.contents.to_vec()) else {
        report.findings.push(Finding {
            rule: Rule::Manifest,
            location: at(None),
            message: "not valid UTF-8".into(),
        });
        return Ok(report);
    };
    let text = text.as_str();
    let lines = ManifestLines::new(text);

    if let Err(errors) = Manifest::parse_all(text, &manifest_file) {
        report.findings.extend(
            errors
                .into_iter()
                .map(|err| finding_from_error(Rule::Manifest, err, &at(None))),
        );
        return Ok(report);
    }
    let blueprint = match Blueprint::from_files(origin, files) {
        Ok(blueprint) => blueprint,
        Err(err) => {
            report
                .findings
                .push(finding_from_error(Rule::Manifest, err, &at(None)));
            return Ok(report);
        }
    };

    let mut lint = Lint {
        blueprint: &blueprint,
        manifest_text: text,
        lines: &lines,
        manifest_file: &manifest_file,
        findings: Vec::new(),
        uses: BTreeMap::new(),
    };
    lint.upgrade_tests(dir);
    lint.templates();
    lint.conditions();
    lint.declaration_order();
    lint.undeclared();
    lint.unused();
    lint.patterns();
    // These make every variant fail to resolve or render the same way: rendering would only
    // repeat them.
    let blocking = lint.findings.iter().any(|f| {
        matches!(
            f.rule,
            Rule::TemplateSyntax | Rule::UndeclaredVariable | Rule::DeclarationOrder
        )
    });
    if !blocking {
        report.variants_rendered = Some(lint.test_matrix());
    }
    report.findings = lint.findings;
    report.findings.sort_by(|a, b| {
        let key = |f: &Finding| {
            (
                f.location.file != manifest_file,
                f.location.file.clone(),
                f.location.line,
            )
        };
        key(a).cmp(&key(b))
    });
    Ok(report)
}

/// Where a variable is read, for the undeclared and unused rules.
#[derive(Debug, Clone)]
struct Use {
    location: Location,
    /// What reads it, for messages: `template`, `[[files.include]] condition`, ...
    by: &'static str,
    /// The variable whose `default` or `when` reads it, if that is what reads it.
    owner: Option<String>,
}

struct Lint<'a> {
    blueprint: &'a Blueprint,
    manifest_text: &'a str,
    lines: &'a ManifestLines,
    manifest_file: &'a str,
    findings: Vec<Finding>,
    /// Variable name to the places that read it, first place first.
    uses: BTreeMap<String, Vec<Use>>,
}

impl Lint<'_> {
    fn manifest_at(&self, path: &str) -> Location {
        Location {
            file: self.manifest_file.to_owned(),
            line: self.lines.line_or_parent(path),
        }
    }

    fn push(&mut self, rule: Rule, location: Location, message: String) {
        self.findings.push(Finding {
            rule,
            location,
            message,
        });
    }

    fn record_use(&mut self, name: &str, location: Location, by: &'static str) {
        self.uses.entry(name.to_owned()).or_default().push(Use {
            location,
            by,
            owner: None,
        });
    }

    /// `[[upgrade_tests]]`: the entries, their `from`, their patches and their answers.
    fn upgrade_tests(&mut self, dir: Option<&Path>) {
        let blueprint = self.blueprint;
        let (tests, problems) = upgrade::parse_specs(&blueprint.manifest);
        for problem in problems {
            let location = self.manifest_at(&problem.key);
            self.push(Rule::UpgradeTest, location, problem.message);
        }
        let Some(first) = tests.first() else { return };
        let history = match dir.map(History::discover) {
            None => None,
            Some(Ok(history)) => Some(history),
            Some(Err(message)) => {
                // Once: every test would say the same.
                let location = self.manifest_at(&format!("upgrade_tests.{}", first.index));
                self.push(Rule::UpgradeRef, location, message);
                None
            }
        };
        let mut old_versions: HashMap<String, std::result::Result<Manifest, String>> =
            HashMap::new();
        for test in &tests {
            let old = history.as_ref().map(|history| {
                old_versions
                    .entry(test.from.clone())
                    .or_insert_with(|| {
                        let commit = history.resolve(&test.from)?;
                        let files = history.blueprint_files(commit, &test.from)?;
                        Blueprint::from_files(format!("{}@{}", blueprint.origin, test.from), files)
                            .map(|old| old.manifest)
                            .map_err(|err| {
                                format!("the blueprint at `{}` cannot be read: {err}", test.from)
                            })
                    })
                    .clone()
            });
            let old = match old {
                Some(Err(message)) => {
                    let location = self.manifest_at(&format!("upgrade_tests.{}.from", test.index));
                    self.push(
                        Rule::UpgradeRef,
                        location,
                        format!("[[upgrade_tests]] `{}`: {message}", test.name),
                    );
                    None
                }
                Some(Ok(manifest)) => Some(manifest),
                None => None,
            };
            if let Err(problems) = upgrade::load_patches(test, blueprint) {
                for problem in problems {
                    match problem {
                        PatchProblem::Missing { key, message } => {
                            let location = self.manifest_at(&key);
                            self.push(Rule::UpgradePatch, location, message);
                        }
                        PatchProblem::Invalid(err) => self.push(
                            Rule::UpgradePatch,
                            Location {
                                file: err.file,
                                line: Some(err.line),
                            },
                            err.message,
                        ),
                    }
                }
            }
            if let Err(problems) = upgrade::split_answers(test, old.as_ref(), &blueprint.manifest) {
                for (key, message) in problems {
                    let location = self.manifest_at(&key);
                    self.push(Rule::UpgradeAnswers, location, message);
                }
            }
        }
    }

    /// Syntax of every template and path segment, the variables they read, and path safety.
    fn templates(&mut self) {
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
    fn conditions(&mut self) {
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

    /// Defaults and conditions of variables read only `name` and earlier variables.
    fn declaration_order(&mut self) {
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
                    if name == NAME_VARIABLE {
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

    fn undeclared(&mut self) {
        let manifest = &self.blueprint.manifest;
        let mut found = Vec::new();
        for (name, uses) in &self.uses {
            if name == NAME_VARIABLE || manifest.variable(name).is_some() {
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

    fn unused(&mut self) {
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

    /// Every glob of the file rules matches at least one file under `template/`.
    fn patterns(&mut self) {
        let manifest = &self.blueprint.manifest;
        let paths: Vec<&str> = self
            .blueprint
            .templates
            .iter()
            .map(|t| t.path.as_str())
            .collect();
        let mut unmatched = Vec::new();
        for (index, rule) in manifest.include_rules.iter().enumerate() {
            for (at, pattern) in rule.patterns.iter().enumerate() {
                if !matches_any(pattern, &paths) {
                    unmatched.push((
                        format!("files.include.{index}.paths.{at}"),
                        format!(
                            "[[files.include]] pattern `{pattern}` matches no file under {TEMPLATE_DIR}/, so its condition `{}` never decides anything",
                            rule.when
                        ),
                    ));
                }
            }
        }
        for (at, pattern) in raw_copy_patterns(self.manifest_text).iter().enumerate() {
            if !matches_any(pattern, &paths) {
                unmatched.push((
                    format!("files.copy_without_render.{at}"),
                    format!("copy_without_render pattern `{pattern}` matches no file under {TEMPLATE_DIR}/"),
                ));
            }
        }
        for (path, message) in unmatched {
            let location = self.manifest_at(&path);
            self.push(Rule::UnmatchedPattern, location, message);
        }
    }

    /// Resolves and renders every variant `svcgen blueprint test` would; returns how many.
    fn test_matrix(&mut self) -> usize {
        let blueprint = self.blueprint;
        let built = matrix::build(blueprint);
        for problem in &built.problems {
            let location = match problem.test {
                Some(index) => self.manifest_at(&format!("tests.{index}")),
                None => self.manifest_at("variables"),
            };
            self.push(Rule::TestMatrix, location, problem.message.clone());
        }
        // The same broken template usually fails every variant: one finding per distinct error,
        // naming the variants it failed.
        let mut failures: Vec<(Location, String, Vec<String>)> = Vec::new();
        for variant in &built.variants {
            let Err(err) = render(blueprint, &variant.answers) else {
                continue;
            };
            let fallback = match variant.origin {
                Origin::Test(index) => self.manifest_at(&format!("tests.{index}")),
                Origin::Pairwise => self.manifest_at("variables"),
            };
            let (location, message) = split_error(err, fallback);
            let label = format!("`{}` ({})", variant.name, variant.summary());

            match failures
                .iter_mut()
                .find(|(l, m, _)| *l == location && *m == message)
            {
                Some((_, _, variants)) => variants.push(label),
                None => failures.push((location, message, vec![label])),
            }
        }
        for (location, message, variants) in failures {
            let which = if variants.len() == 1 {
                format!("variant {}", variants[0])
            } else {
                format!("{} variants: {}", variants.len(), variants.join(", "))
            };
            self.push(
                Rule::TestMatrix,
                location,
                format!("{message}; fails in {which}"),
            );
        }
        built.variants.len()
    }
}

fn finding_from_error(rule: Rule, err: Error, fallback: &Location) -> Finding {
    let (location, message) = split_error(err, fallback.clone());
    Finding {
        rule,
        location,
        message,
    }
}

/// An error's location and the rest of its message.
fn split_error(err: Error, fallback: Location) -> (Location, String) {
    match err {
        Error::Manifest { location, message } => (location, message),
        Error::Template { location, message } => (location, message),
        Error::UnsafePath {
            template,
            path,
            reason,
        } => (
            Location {
                file: template,
                line: None,
            },
            format!("renders to path `{path}`, which {reason}"),
        ),
        other => (fallback, other.to_string()),
    }
}

fn has_tags(text: &str) -> bool {
    text.contains("{{") || text.contains("{%") || text.contains("{#")
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

fn matches_any(pattern: &str, paths: &[&str]) -> bool {
    match manifest::build_globset(&[pattern.to_owned()]) {
        Ok(set) => paths.iter().any(|p| set.is_match(p)),
        // An invalid glob is a manifest error, already reported.
        Err(_) => true,
    }
}

/// `copy_without_render` as written (the checked manifest keeps only the compiled set).
fn raw_copy_patterns(manifest_text: &str) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Raw {
        #[serde(default)]
        files: RawFiles,
    }
    #[derive(serde::Deserialize, Default)]
    struct RawFiles {
        #[serde(default)]
        copy_without_render: Vec<String>,
    }
    toml::from_str::<Raw>(manifest_text)
        .map(|raw| raw.files.copy_without_render)
        .unwrap_or_default()
}

/// Why a templated path segment could leave the output folder, one reason per expression that
/// could. The analysis is conservative: an expression is safe when its value cannot hold `/`
/// and cannot be `..`, `.` or `.git`, whatever a person answers.
fn unsafe_segment(ast: &[Node], manifest: &Manifest) -> Vec<String> {
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
