//! `blueprint.toml`: parsed, then checked as a whole before anybody is asked a question.
//!
//! Parsing goes through a raw serde layer that mirrors the file, then [`Manifest::parse`] turns it
//! into checked types (compiled regexes and globs, typed defaults) and reports problems with the
//! line they come from.

use globset::{GlobSet, GlobSetBuilder};
use indexmap::IndexMap;
use regex::Regex;
use serde::Deserialize;

use crate::answers::{Value, VarType};
use crate::error::{Error, Location, Result};

pub const MANIFEST_FILE: &str = "blueprint.toml";

/// The variable every blueprint gets from the command line: the service name.
pub const NAME_VARIABLE: &str = "name";

/// What templates (not defaults or conditions) read about the blueprint rendering them:
/// `{{ svcgen.blueprint }}` and `{{ svcgen.blueprint_version }}`, so a generated file such as a
/// portal's catalog entry can say which blueprint version made it, and `{{ svcgen.version }}`,
/// so a generated CI job can install the svcgen that made the service (a newer svcgen renders
/// its own version on `svcgen update`).
pub const SVCGEN_VARIABLE: &str = "svcgen";

#[derive(Debug, Clone)]
pub struct Manifest {
    pub name: String,
    pub description: String,
    pub version: semver::Version,
    pub min_svcgen_version: Option<semver::Version>,
    /// In declaration order: defaults and `when` may refer to earlier variables only.
    pub variables: Vec<Variable>,
    pub include_rules: Vec<IncludeRule>,
    pub copy_without_render: GlobSet,
    /// How `svcgen update` treats each generated file (see [`FilePolicies`]).
    pub policies: FilePolicies,
    /// Files the blueprint moved, in declaration order; `update` moves the service's copy along.
    pub renames: Vec<Rename>,
    /// Changes to recorded answers, sorted by version; applied by `update` in that order.
    pub migrations: Vec<Migration>,
    pub tests: Vec<AnswerSet>,
    /// `[check]`: what `svcgen blueprint test --build` runs inside each rendered variant.
    pub check: Option<Check>,
    /// `[[upgrade_tests]]`, kept as written: rendering ignores them, and the blueprint kit
    /// ([`crate::kit`]) parses and runs them, so a bad entry is a lint finding with its line
    /// rather than an error that stops every `svcgen new`.
    pub upgrade_tests: Vec<toml::Value>,
}

/// A shell command run in the root of a rendered variant (`cargo check --locked`).
#[derive(Debug, Clone)]
pub struct Check {
    pub command: String,
}

/// `[files] seed = [...]` and `user = [...]`: globs over the paths of the *generated* service
/// (not the template paths), each a Tera template over the answers first, so a blueprint can
/// name `src/domain/{{ resource }}.rs`. A file matching neither is `managed`.
#[derive(Debug, Clone, Default)]
pub struct FilePolicies {
    /// Written when the file does not exist yet, never changed or removed afterwards.
    pub seed: Vec<String>,
    /// Written by `svcgen new` only; `update` never writes, merges or removes them.
    pub user: Vec<String>,
}

/// `[[files.renames]]`: the file the blueprint used to generate at `from` is now generated at
/// `to`. Both are path templates over the answers.
#[derive(Debug, Clone)]
pub struct Rename {
    pub from: String,
    pub to: String,
    /// The blueprint version that made the move: services already on it or newer are left
    /// alone, so a later file that reuses the old name is not moved. `None`: always applies.
    pub since: Option<semver::Version>,
}

/// `[[migrations]]`: how answers recorded by versions older than `version` become answers of
/// this version.
#[derive(Debug, Clone)]
pub struct Migration {
    pub version: semver::Version,
    /// Old variable name to new name, value kept.
    pub rename: IndexMap<String, String>,
    /// Variable to Tera expression over the (already renamed) answers; the text it renders is
    /// parsed as the variable's type.
    pub set: IndexMap<String, String>,
    /// Variables that no longer exist.
    pub remove: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    pub kind: VarType,
    pub prompt: String,
    pub help: Option<String>,
    pub default: Option<Default>,
    pub validate: Option<Validation>,
    pub choices: Vec<String>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    /// Tera expression; when it is false the variable is not asked and takes its default.
    pub when: Option<String>,
    /// Where the variable is declared in `blueprint.toml`, and its `default` and `when` keys,
    /// for messages about them.
    pub lines: KeyLines,
    /// A string that may hold line breaks and tabs. Other strings are one line, without
    /// control characters: they go into TOML, YAML, Rust doc comments and commit messages.
    pub multiline: bool,
}

/// A default is either a typed literal (`default = 8080`) or a Tera template rendered with the
/// answers given so far (`default = "{{ name | snake_case }}"`).
#[derive(Debug, Clone, PartialEq)]
pub enum Default {
    Literal(Value),
    Template(String),
}

#[derive(Debug, Clone)]
pub struct Validation {
    pub regex: Regex,
    pub message: String,
    /// Values that become identifiers of these languages must not be their keywords
    /// (`reserved = ["rust"]`).
    pub reserved_in_rust: bool,
}

/// Lines in `blueprint.toml` of a declaration and of its keys that hold expressions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyLines {
    pub declared: Option<usize>,
    pub default: Option<usize>,
    pub when: Option<usize>,
}

/// Files matching `paths` are only rendered when `when` is true.
#[derive(Debug, Clone)]
pub struct IncludeRule {
    pub patterns: Vec<String>,
    pub paths: GlobSet,
    pub when: String,
    /// The line of its `when` in `blueprint.toml`.
    pub line: Option<usize>,
}

/// A named set of answers, used by snapshot tests (and by `svcgen blueprint test`).
#[derive(Debug, Clone)]
pub struct AnswerSet {
    pub name: String,
    pub answers: IndexMap<String, toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    blueprint: RawInfo,
    #[serde(default)]
    variables: IndexMap<String, RawVariable>,
    #[serde(default)]
    files: RawFiles,
    #[serde(default)]
    migrations: Vec<RawMigration>,
    #[serde(default)]
    tests: Vec<RawAnswerSet>,
    check: Option<RawCheck>,
    #[serde(default)]
    upgrade_tests: Vec<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    command: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRename {
    from: String,
    to: String,
    since: Option<semver::Version>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMigration {
    version: semver::Version,
    #[serde(default)]
    rename: IndexMap<String, String>,
    #[serde(default)]
    set: IndexMap<String, String>,
    #[serde(default)]
    remove: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInfo {
    name: String,
    #[serde(default)]
    description: String,
    version: semver::Version,
    min_svcgen_version: Option<semver::Version>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariable {
    #[serde(rename = "type")]
    kind: VarType,
    prompt: Option<String>,
    help: Option<String>,
    default: Option<toml::Value>,
    validate: Option<RawValidation>,
    #[serde(default)]
    choices: Vec<String>,
    min: Option<i64>,
    max: Option<i64>,
    when: Option<String>,
    #[serde(default)]
    multiline: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawValidation {
    regex: String,
    message: Option<String>,
    #[serde(default)]
    reserved: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFiles {
    #[serde(default)]
    include: Vec<RawIncludeRule>,
    #[serde(default)]
    copy_without_render: Vec<String>,
    #[serde(default)]
    seed: Vec<String>,
    #[serde(default)]
    user: Vec<String>,
    #[serde(default)]
    renames: Vec<RawRename>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIncludeRule {
    paths: Vec<String>,
    when: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnswerSet {
    name: String,
    #[serde(default)]
    answers: IndexMap<String, toml::Value>,
}

impl Manifest {
    /// Parses and checks a manifest. `file` is how the file is named in error messages.
    pub fn parse(text: &str, file: &str) -> Result<Manifest> {
        Manifest::parse_all(text, file).map_err(|mut errors| errors.swap_remove(0))
    }

    /// Like [`Manifest::parse`], but reports every problem found rather than the first, for
    /// `svcgen blueprint lint`. A TOML syntax error still stops at once: nothing after it can be
    /// read. The error list is never empty.
    pub fn parse_all(text: &str, file: &str) -> std::result::Result<Manifest, Vec<Error>> {
        let raw: RawManifest = toml::from_str(text).map_err(|err| {
            vec![Error::Manifest {
                location: Location {
                    file: file.to_owned(),
                    line: err.span().map(|span| line_at(text, span.start)),
                },
                message: err.message().trim_end().to_owned(),
            }]
        })?;
        let fail = |needle: &str, message: String| Error::Manifest {
            location: Location {
                file: file.to_owned(),
                line: find_line(text, needle),
            },
            message,
        };
        let mut errors = Vec::new();
        let lines = super::locate::ManifestLines::new(text);

        // Migrations may name any declared variable, even one with a problem of its own.
        let declared_names: Vec<String> = raw.variables.keys().cloned().collect();
        let mut variables = Vec::with_capacity(raw.variables.len());
        for (name, raw_var) in raw.variables {
            let header = format!("[variables.{name}]");
            let key_lines = KeyLines {
                declared: lines.line(&format!("variables.{name}")),
                default: lines.line(&format!("variables.{name}.default")),
                when: lines.line(&format!("variables.{name}.when")),
            };
            match check_variable(name, raw_var) {
                Ok(mut variable) => {
                    variable.lines = key_lines;
                    variables.push(variable);
                }
                Err(msg) => errors.push(fail(&header, msg)),
            }
        }

        let mut include_rules = Vec::with_capacity(raw.files.include.len());
        for (index, rule) in raw.files.include.into_iter().enumerate() {
            let line = lines.line_or_parent(&format!("files.include.{index}.when"));
            let first = rule.paths.first().cloned().unwrap_or_default();
            if rule.paths.is_empty() {
                errors.push(fail("[[files.include]]", "`paths` is empty".into()));
                continue;
            }
            match build_globset(&rule.paths) {
                Ok(paths) => include_rules.push(IncludeRule {
                    patterns: rule.paths,
                    paths,
                    when: rule.when,
                    line,
                }),
                Err(msg) => errors.push(fail(&first, msg)),
            }
        }
        let copy_without_render =
            build_globset(&raw.files.copy_without_render).unwrap_or_else(|msg| {
                errors.push(fail("copy_without_render", msg));
                GlobSet::empty()
            });

        for pattern in raw.files.seed.iter().chain(&raw.files.user) {
            // Templated patterns are checked once rendered, when their answers are known.
            if !is_template(pattern)
                && let Err(msg) = build_globset(std::slice::from_ref(pattern))
            {
                errors.push(fail(pattern, msg));
            }
        }
        let policies = FilePolicies {
            seed: raw.files.seed,
            user: raw.files.user,
        };
        let mut renames = Vec::with_capacity(raw.files.renames.len());
        for rename in raw.files.renames {
            if rename.from.trim().is_empty() || rename.to.trim().is_empty() {
                errors.push(fail(
                    "[[files.renames]]",
                    "a rename needs a non-empty `from` and `to`".into(),
                ));
                continue;
            }
            if rename.from == rename.to {
                errors.push(fail(
                    &rename.from,
                    format!("rename `from` and `to` are the same: `{}`", rename.from),
                ));
                continue;
            }
            if let Some(since) = rename
                .since
                .as_ref()
                .filter(|v| **v > raw.blueprint.version)
            {
                errors.push(fail(
                    &rename.from,
                    format!(
                        "rename of `{}` is `since` {since}, newer than this blueprint ({})",
                        rename.from, raw.blueprint.version
                    ),
                ));
                continue;
            }
            renames.push(Rename {
                from: rename.from,
                to: rename.to,
                since: rename.since,
            });
        }

        let declared = |name: &str| declared_names.iter().any(|v| v == name);
        let mut migrations: Vec<Migration> = Vec::with_capacity(raw.migrations.len());
        for raw_migration in raw.migrations {
            let version = raw_migration.version;
            let header = "[[migrations]]";
            let before = errors.len();
            if version > raw.blueprint.version {
                errors.push(fail(
                    header,
                    format!(
                        "migration for version {version} is newer than this blueprint ({})",
                        raw.blueprint.version
                    ),
                ));
            }
            for (old, new) in &raw_migration.rename {
                if !declared(new) {
                    errors.push(fail(
                        header,
                        format!(
                            "migration {version} renames `{old}` to `{new}`, which is not a declared variable"
                        ),
                    ));
                }
            }
            for target in raw_migration.set.keys() {
                if !declared(target) {
                    errors.push(fail(
                        header,
                        format!(
                            "migration {version} sets `{target}`, which is not a declared variable"
                        ),
                    ));
                }
            }
            if migrations.iter().any(|m| m.version == version) {
                errors.push(fail(
                    header,
                    format!("two [[migrations]] for version {version}"),
                ));
            }
            if errors.len() > before {
                continue;
            }
            migrations.push(Migration {
                version,
                rename: raw_migration.rename,
                set: raw_migration.set,
                remove: raw_migration.remove,
            });
        }
        migrations.sort_by(|a, b| a.version.cmp(&b.version));

        let mut tests = Vec::with_capacity(raw.tests.len());
        for set in raw.tests {
            if tests.iter().any(|t: &AnswerSet| t.name == set.name) {
                errors.push(fail(
                    &set.name,
                    format!("two [[tests]] are named `{}`", set.name),
                ));
                continue;
            }
            tests.push(AnswerSet {
                name: set.name,
                answers: set.answers,
            });
        }

        let check = match raw.check {
            Some(check) if check.command.trim().is_empty() => {
                errors.push(fail("[check]", "`command` is empty".into()));
                None
            }
            Some(check) => Some(Check {
                command: check.command,
            }),
            None => None,
        };

        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Manifest {
            name: raw.blueprint.name,
            description: raw.blueprint.description,
            version: raw.blueprint.version,
            min_svcgen_version: raw.blueprint.min_svcgen_version,
            variables,
            include_rules,
            copy_without_render,
            policies,
            renames,
            migrations,
            tests,
            check,
            upgrade_tests: raw.upgrade_tests,
        })
    }

    /// A manifest with no variables or rules, for rendering a blueprint's part (such as the
    /// `events/` folder) with the same renderer as the blueprint itself.
    pub fn for_part(name: &str, version: semver::Version) -> Manifest {
        Manifest {
            name: name.to_owned(),
            description: String::new(),
            version,
            min_svcgen_version: None,
            variables: Vec::new(),
            include_rules: Vec::new(),
            copy_without_render: GlobSet::empty(),
            policies: FilePolicies::default(),
            renames: Vec::new(),
            migrations: Vec::new(),
            tests: Vec::new(),
            check: None,
            upgrade_tests: Vec::new(),
        }
    }

    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.name == name)
    }
}

fn check_variable(name: String, raw: RawVariable) -> std::result::Result<Variable, String> {
    if name == NAME_VARIABLE {
        return Err(format!(
            "`{NAME_VARIABLE}` is given on the command line and cannot be declared"
        ));
    }
    if name == SVCGEN_VARIABLE {
        return Err(format!(
            "`{SVCGEN_VARIABLE}` is set by svcgen for templates (`svcgen.blueprint`, `svcgen.blueprint_version`, `svcgen.version`) and cannot be declared"
        ));
    }
    if !is_identifier(&name) {
        return Err(format!(
            "variable name `{name}` must be a lowercase identifier (letters, digits, `_`), so templates can use it"
        ));
    }
    match raw.kind {
        VarType::Choice if raw.choices.is_empty() => {
            return Err(format!("choice variable `{name}` needs `choices`"));
        }
        VarType::Choice => {}
        _ if !raw.choices.is_empty() => {
            return Err(format!(
                "`choices` only applies to choice variables, `{name}` is a {}",
                raw.kind
            ));
        }
        _ => {}
    }
    if (raw.min.is_some() || raw.max.is_some()) && raw.kind != VarType::Integer {
        return Err(format!(
            "`min`/`max` only apply to integer variables, `{name}` is a {}",
            raw.kind
        ));
    }
    if let (Some(min), Some(max)) = (raw.min, raw.max)
        && min > max
    {
        return Err(format!("`min` ({min}) is greater than `max` ({max})"));
    }
    let validate = match raw.validate {
        Some(v) => {
            if !matches!(raw.kind, VarType::String | VarType::List) {
                return Err(format!(
                    "`validate` only applies to string and list variables, `{name}` is a {}",
                    raw.kind
                ));
            }
            let regex = Regex::new(&v.regex)
                .map_err(|err| format!("invalid `validate.regex` for `{name}`: {err}"))?;
            let message = v
                .message
                .unwrap_or_else(|| format!("must match the pattern `{}`", v.regex));
            let mut reserved_in_rust = false;
            for language in &v.reserved {
                match language.as_str() {
                    "rust" => reserved_in_rust = true,
                    other => {
                        return Err(format!(
                            "`validate.reserved` of `{name}`: unknown language `{other}` (known: rust)"
                        ));
                    }
                }
            }
            Some(Validation {
                regex,
                message,
                reserved_in_rust,
            })
        }
        None => None,
    };

    let mut variable = Variable {
        prompt: raw.prompt.unwrap_or_else(|| name.replace('_', " ")),
        name,
        kind: raw.kind,
        help: raw.help,
        default: None,
        validate,
        choices: raw.choices,
        min: raw.min,
        max: raw.max,
        when: raw.when,
        lines: KeyLines::default(),
        multiline: raw.multiline,
    };
    if variable.multiline && variable.kind != VarType::String {
        return Err(format!(
            "`multiline` only applies to string variables, `{}` is a {}",
            variable.name, variable.kind
        ));
    }
    variable.default = match raw.default {
        None => None,
        Some(toml::Value::String(text)) if text.contains("{{") || text.contains("{%") => {
            Some(Default::Template(text))
        }
        Some(value) => {
            let value = Value::from_toml(&value, variable.kind)
                .map_err(|msg| format!("default of `{}`: {msg}", variable.name))?;
            variable
                .check(&value)
                .map_err(|msg| format!("default of `{}` {msg}", variable.name))?;
            Some(Default::Literal(value))
        }
    };
    Ok(variable)
}

impl Variable {
    /// Checks an already typed value against this variable's rules; the error completes the
    /// sentence "value ...".
    pub fn check(&self, value: &Value) -> std::result::Result<(), String> {
        match value {
            Value::Integer(n) => {
                if let Some(min) = self.min.filter(|min| n < min) {
                    return Err(format!("must be at least {min}, got {n}"));
                }
                if let Some(max) = self.max.filter(|max| n > max) {
                    return Err(format!("must be at most {max}, got {n}"));
                }
            }
            Value::String(s) => {
                let allowed = |c: char| self.multiline && (c == '\n' || c == '\t');
                if let Some(bad) = s.chars().find(|&c| c.is_control() && !allowed(c)) {
                    return Err(format!(
                        "must be one line without control characters (found {}); it is written into TOML, YAML and code comments",
                        describe_control(bad)
                    ));
                }
                if self.kind == VarType::Choice && !self.choices.contains(s) {
                    return Err(format!(
                        "must be one of {}, got `{s}`",
                        self.choices.join(", ")
                    ));
                }
                if let Some(v) = &self.validate {
                    v.check(s)?;
                }
            }
            Value::List(items) => {
                if let Some(v) = &self.validate {
                    for item in items {
                        v.check(item)?;
                    }
                }
            }
            Value::Bool(_) => {}
        }
        Ok(())
    }
}

impl Validation {
    fn check(&self, value: &str) -> std::result::Result<(), String> {
        if !self.regex.is_match(value) {
            return Err(format!("{} (got `{value}`)", self.message));
        }
        if self.reserved_in_rust
            && let Some(keyword) = crate::keywords::rust_keyword_form(value)
        {
            return Err(format!(
                "`{keyword}` is a Rust keyword and cannot name a module or type in the generated code; choose another word (got `{value}`)"
            ));
        }
        Ok(())
    }
}

/// How a control character is named in a message: `a line break`, `U+007F`.
fn describe_control(c: char) -> String {
    match c {
        '\n' => "a line break".to_owned(),
        '\r' => "a carriage return".to_owned(),
        '\t' => "a tab".to_owned(),
        other => format!("U+{:04X}", other as u32),
    }
}

/// Whether a string holds Tera syntax (and so is rendered before use).
pub fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

pub(crate) fn build_globset(patterns: &[String]) -> std::result::Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|err| format!("invalid glob `{pattern}`: {}", err.kind()))?;
        builder.add(glob);
    }
    builder.build().map_err(|err| err.to_string())
}

fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn find_line(text: &str, needle: &str) -> Option<usize> {
    text.lines()
        .position(|line| line.contains(needle))
        .map(|index| index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "[blueprint]\nname = \"t\"\nversion = \"1.0.0\"\n";

    fn parse(body: &str) -> Result<Manifest> {
        Manifest::parse(&format!("{HEADER}{body}"), "blueprint.toml")
    }

    #[test]
    fn variables_keep_declaration_order() {
        let m = parse(
            "[variables.zeta]\ntype = \"string\"\n[variables.alpha]\ntype = \"bool\"\ndefault = true\n",
        )
        .unwrap();
        let names: Vec<_> = m.variables.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["zeta", "alpha"]);
        assert_eq!(
            m.variables[1].default,
            Some(Default::Literal(Value::Bool(true)))
        );
    }

    #[test]
    fn syntax_error_names_the_line() {
        let err = parse("[variables.port]\ntype = \"integer\"\ndefault = \n").unwrap_err();
        assert!(err.to_string().starts_with("blueprint.toml:6:"), "{err}");
    }

    #[test]
    fn semantic_error_names_the_variable_line() {
        let err = parse("\n[variables.port]\ntype = \"integer\"\ndefault = \"x\"\n").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("blueprint.toml:5:"), "{text}");
        assert!(text.contains("default of `port`"), "{text}");
    }

    #[test]
    fn choice_needs_choices_and_default_among_them() {
        assert!(parse("[variables.ci]\ntype = \"choice\"\n").is_err());
        let err =
            parse("[variables.ci]\ntype = \"choice\"\nchoices = [\"a\", \"b\"]\ndefault = \"c\"\n")
                .unwrap_err();
        assert!(err.to_string().contains("must be one of a, b"), "{err}");
    }

    #[test]
    fn parse_all_reports_every_problem() {
        let text = format!(
            "{HEADER}[variables.a]\ntype = \"choice\"\n[variables.b]\ntype = \"bool\"\nmin = 1\n[[files.include]]\npaths = [\"[\"]\nwhen = \"a\"\n"
        );
        let errors = Manifest::parse_all(&text, "blueprint.toml").unwrap_err();
        let texts: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(texts.len(), 3, "{texts:#?}");
        assert!(texts[0].starts_with("blueprint.toml:4:"), "{texts:#?}");
        assert!(texts[1].starts_with("blueprint.toml:6:"), "{texts:#?}");
        assert!(texts[2].contains("invalid glob"), "{texts:#?}");
    }

    #[test]
    fn check_command_and_upgrade_tests_kept_as_written() {
        let m = parse(
            "[check]\ncommand = \"cargo check --locked\"\n[[upgrade_tests]]\nfrom = \"v1\"\n",
        )
        .unwrap();
        assert_eq!(m.check.unwrap().command, "cargo check --locked");
        assert_eq!(m.upgrade_tests.len(), 1);
        let err = parse("[check]\ncommand = \" \"\n").unwrap_err();
        assert!(err.to_string().contains("`command` is empty"), "{err}");
    }

    #[test]
    fn name_cannot_be_redeclared() {
        let err = parse("[variables.name]\ntype = \"string\"\n").unwrap_err();
        assert!(err.to_string().contains("cannot be declared"), "{err}");
        let err = parse("[variables.svcgen]\ntype = \"string\"\n").unwrap_err();
        assert!(err.to_string().contains("set by svcgen"), "{err}");
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = parse("[variables.x]\ntype = \"string\"\ndefualt = \"a\"\n").unwrap_err();
        assert!(err.to_string().contains("defualt"), "{err}");
    }

    #[test]
    fn policies_renames_and_migrations_are_read_and_checked() {
        let m = parse(
            r#"
[variables.region]
type = "string"
default = "eu"
[files]
seed = ["src/domain/{{ name }}.rs", "examples/**"]
user = ["README.md"]
[[files.renames]]
from = "ci.yml"
to = ".ci/{{ name }}.yml"
since = "1.0.0"
[[migrations]]
version = "1.0.0"
rename = { zone = "region" }
[[migrations]]
version = "0.9.0"
set = { region = "{{ zone | upper }}" }
remove = ["legacy"]
"#,
        )
        .unwrap();
        assert_eq!(m.policies.seed.len(), 2);
        assert_eq!(m.policies.user, ["README.md"]);
        assert_eq!(m.renames[0].to, ".ci/{{ name }}.yml");
        let versions: Vec<String> = m.migrations.iter().map(|m| m.version.to_string()).collect();
        assert_eq!(versions, ["0.9.0", "1.0.0"], "sorted by version");

        let err = parse("[[migrations]]\nversion = \"2.0.0\"\n").unwrap_err();
        assert!(
            err.to_string().contains("newer than this blueprint"),
            "{err}"
        );
        let err =
            parse("[[migrations]]\nversion = \"1.0.0\"\nset = { nope = \"1\" }\n").unwrap_err();
        assert!(
            err.to_string().contains("`nope`, which is not a declared"),
            "{err}"
        );
        let err = parse("[files]\nseed = [\"a/[\"]\n").unwrap_err();
        assert!(err.to_string().contains("invalid glob"), "{err}");
        let err = parse("[[files.renames]]\nfrom = \"a\"\nto = \"a\"\n").unwrap_err();
        assert!(err.to_string().contains("are the same"), "{err}");
    }

    #[test]
    fn bad_regex_is_reported() {
        let err =
            parse("[variables.x]\ntype = \"string\"\nvalidate = { regex = \"(\" }\n").unwrap_err();
        assert!(
            err.to_string().contains("invalid `validate.regex`"),
            "{err}"
        );
    }
}
