//! `svcgen blueprint new NAME`: a starter blueprint with one variable, one conditional file and
//! one test, with its snapshots already accepted, so `svcgen blueprint lint` and
//! `svcgen blueprint test` pass on it as created.

use super::{matrix, snapshot};
use crate::blueprint::{Blueprint, SourceFile, running_version};
use crate::error::{Error, Result};
use crate::render::render;
use crate::tree::{FileEntry, Mode, RelPath, Tree};

/// Blueprint names end up in snapshot file names and `.svcgen/record.toml`.
pub fn validate_name(name: &str) -> Result<()> {
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && name.len() <= 64;
    if valid {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "blueprint name `{name}` must start with a lowercase letter and hold only lowercase letters, digits, `-` and `_` (at most 64)"
        )))
    }
}

/// Every file of the starter blueprint `name`, snapshots included. `origin` is how the
/// blueprint will be named in messages (the folder it is written to).
pub fn starter(name: &str, origin: &str) -> Result<Tree> {
    validate_name(name)?;
    let files: Vec<(&str, String)> = vec![
        ("blueprint.toml", manifest(name)),
        ("README.md", readme(name)),
        (".gitignore", GITIGNORE.into()),
        (
            "template/README.md",
            TEMPLATE_README.replace("BLUEPRINT", name),
        ),
        (
            "template/.github/workflows/ci.yml",
            TEMPLATE_WORKFLOW.into(),
        ),
    ];
    let sources: Vec<SourceFile> = files
        .iter()
        .map(|(path, text)| SourceFile {
            path: (*path).to_owned(),
            contents: text.clone().into_bytes().into(),
            mode: Mode::Regular,
        })
        .collect();
    let mut tree = Tree::new();
    for source in &sources {
        tree.insert(
            RelPath::new(&source.path).expect("fixed, safe paths"),
            FileEntry {
                contents: source.contents.clone(),
                mode: source.mode,
            },
        );
    }

    // The snapshots are the starter's own output, so `svcgen blueprint test` passes at once.
    let blueprint = Blueprint::from_files(origin, sources)?;
    let built = matrix::build(&blueprint);
    assert!(
        built.problems.is_empty(),
        "the starter's own answer sets resolve: {:?}",
        built.problems
    );
    for variant in &built.variants {
        let rendered = render(&blueprint, &variant.answers)?;
        let snap = snapshot::Snapshot {
            source: blueprint.manifest_path(),
            description: super::suite::description(&blueprint, variant),
            contents: snapshot::describe(&rendered),
        };
        let path = format!("snapshots/{}", snapshot::file_name(name, &variant.name));
        tree.insert(
            RelPath::new(&path).expect("variant names are safe file names"),
            FileEntry {
                contents: snap.to_file_text().into_bytes().into(),
                mode: Mode::Regular,
            },
        );
    }
    Ok(tree)
}

const GITIGNORE: &str =
    "# Pending snapshots, left by a failed `svcgen blueprint test`.\n*.snap.new\n";

const TEMPLATE_WORKFLOW: &str = r#"name: CI

on:
  push:
    branches: [main]
  pull_request:

jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      # GitHub expressions share Tera's delimiters: write them with the gh_expr filter.
      - run: echo "Checking {{ name }} at {{ "github.sha" | gh_expr }}"
"#;

fn manifest(name: &str) -> String {
    format!(
        r#"[blueprint]
name = "{name}"
description = "What services made from this blueprint are for"
version = "0.1.0"
min_svcgen_version = "{version}"

# Variables are asked in this order. `name` (the service name) is always given on the command
# line and is not declared here.
[variables.ci]
type = "bool"
prompt = "Add a GitHub Actions workflow?"
default = true

# Files matching `paths` (globs over paths under template/) are rendered only when `when` holds.
[[files.include]]
paths = [".github/**"]
when = "ci"

# Answer sets `svcgen blueprint test` renders and compares with snapshots/, on top of a pairwise
# matrix over every bool and choice variable. Accept new output with `--accept`.
[[tests]]
name = "no-ci"
answers = {{ ci = false }}

# What `svcgen blueprint test --build` runs in each rendered variant, e.g. "cargo check --locked".
[check]
command = "test -s README.md"

# Once this blueprint is in git with a tagged release, upgrade tests check that a team's edits
# survive `svcgen update` to the working copy: `svcgen blueprint test` renders the version at
# `from`, applies the patches (made with `git diff` in a service generated from it), updates,
# and fails on a lost edit or on conflicts other than `expect_conflicts`.
# [[upgrade_tests]]
# name = "keeps-team-edits"
# from = "v0.1.0"
# patches = ["upgrade-tests/readme.patch"]
# expect_conflicts = []
"#,
        version = running_version()
    )
}

fn readme(name: &str) -> String {
    format!(
        r#"# {name}

An svcgen blueprint: `blueprint.toml` says what it asks, `template/` holds the files of the
repository it generates (every file and path is a Tera template).

```sh
svcgen new my-service --blueprint .    # try it
svcgen blueprint lint                  # check the blueprint itself
svcgen blueprint test                  # compare every variant with snapshots/
svcgen blueprint test --accept         # ... and accept the new output
svcgen blueprint test --build          # also run [check] command in each variant
svcgen blueprint test --upgrade-only   # only the [[upgrade_tests]] (once there are some)
```

The two checks, `svcgen blueprint lint && svcgen blueprint test`, are this repository's CI.
"#
    )
}

const TEMPLATE_README: &str = r#"# {{ name }}

Made from the BLUEPRINT blueprint.
{% if ci %}
Every push is checked by GitHub Actions (`.github/workflows/ci.yml`).
{% endif %}"#;
