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
//! - `version-not-bumped` (a warning, not an error): the working copy differs from the
//!   blueprint at its latest release tag while `version` is still that release's.
//!
//! `manifest` gates the rest and is checked here; each other family is a module: `templates`
//! (template-syntax), `path_safety` (unsafe-path), `variables` (undeclared, unused, declaration
//! order), `file_patterns` (unmatched-pattern), `test_matrix` and `upgrade_tests` (the four
//! upgrade rules).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use super::locate::ManifestLines;
use crate::blueprint::manifest::{MANIFEST_FILE, Manifest};
use crate::blueprint::source::read_dir;
use crate::blueprint::{Blueprint, SourceFile};
use crate::error::{Error, Location, Result};

mod file_patterns;
mod path_safety;
mod templates;
mod test_matrix;
mod upgrade_tests;
mod variables;
mod version_bump;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Rule {
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
    VersionNotBumped,
}

impl Rule {
    pub(crate) fn code(self) -> &'static str {
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
            Rule::VersionNotBumped => "version-not-bumped",
        }
    }

    /// Whether a finding of this rule is a warning: printed, but lint still passes.
    pub(crate) fn is_warning(self) -> bool {
        matches!(self, Rule::VersionNotBumped)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub(crate) rule: Rule,
    pub(crate) location: Location,
    pub(crate) message: String,
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

impl Finding {
    pub fn is_warning(&self) -> bool {
        self.rule.is_warning()
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
pub(crate) fn lint_files(
    origin: &str,
    files: Vec<SourceFile>,
    dir: Option<&Path>,
) -> Result<Report> {
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

    // A template parses or not whatever the manifest says, so a broken manifest does not hide
    // the templates' own problems: one run shows everything to fix.
    if let Err(errors) = Manifest::parse_all(text, &manifest_file) {
        report.findings.extend(
            errors
                .into_iter()
                .map(|err| finding_from_error(Rule::Manifest, err, &at(None))),
        );
        report
            .findings
            .extend(templates::syntax_without_manifest(origin, &files, text));
        return Ok(report);
    }
    let working_copy = files.clone();
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
    lint.version_bump(dir, &working_copy);
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
