//! The reference services under `examples/` are what svcgen makes, plus what their teams wrote.
//!
//! Each is regenerated from its own `.svcgen/record.toml` (the built-in blueprint, the recorded
//! answers, the recorded `add-event`s replayed) and compared with the folder, file by file. Only
//! the files listed below as the team's may differ, and each of them must: a blueprint change
//! not carried into the examples (with `svcgen update`) fails here, and so does a list that has
//! gone stale.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use svcgen::blueprint::builtin;
use svcgen::generate::generate;
use svcgen::service::Record;
use svcgen::tree::Mode;

/// What the `product` team wrote or changed on top of the generated service.
const PRODUCT_TEAM_FILES: &[&str] = &[
    // Price, stock and category: a migration, validation, list filters, the event's values.
    "migrations/20260101000200_product_price_stock_category.sql",
    "src/domain/product.rs",
    "src/db/products.rs",
    "src/http/products.rs",
    "src/events/product_changed.rs",
    // Sample data: `product seed` (`make seed`).
    "seed/products.json",
    "src/seed.rs",
    "src/lib.rs",
    "src/main.rs",
    "Makefile",
    // Their tests.
    "tests/api/main.rs",
    "tests/api/products.rs",
    "tests/api/seed.rs",
    "tests/events/product_changed.rs",
    // What the team documented.
    "README.md",
    "docs/events.md",
    "docs/http-conventions.md",
];

/// What the `catalog` team wrote or changed on top of the generated service.
const CATALOG_TEAM_FILES: &[&str] = &[
    // The read model over `product_copy` and the read API over it.
    "migrations/20260101000003_product_listing.sql",
    "src/domain/mod.rs",
    "src/domain/product.rs",
    "src/db/mod.rs",
    "src/db/products.rs",
    "src/http/mod.rs",
    "src/http/openapi.rs",
    "src/http/products.rs",
    "src/http/categories.rs",
    // Their tests.
    "tests/api/main.rs",
    "tests/api/products.rs",
    "tests/api/categories.rs",
    "tests/api/seed.rs",
    // What the team documented.
    "README.md",
    "docs/http-conventions.md",
];

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

type Files = BTreeMap<String, (Vec<u8>, Mode)>;

fn regenerate(dir: &Path) -> Files {
    let record = Record::read(dir).expect("the example has a readable .svcgen/record.toml");
    let name = record.blueprint.source.to_string();
    let blueprint_name = name.strip_prefix("builtin:").unwrap_or_else(|| {
        panic!(
            "{}: made from {name}, not a built-in blueprint",
            dir.display()
        )
    });
    let blueprint = builtin::load(blueprint_name).expect("built-in blueprint loads");
    // Its state too: the committed `.svcgen/base` must be what svcgen records for these files.
    let tree = generate(&blueprint, &record)
        .expect("the recorded answers render and the recorded events replay")
        .tree;
    tree.iter()
        .map(|(path, entry)| {
            (
                path.as_str().to_owned(),
                (entry.contents.clone(), entry.mode),
            )
        })
        .collect()
}

fn on_disk(dir: &Path) -> Files {
    walkdir::WalkDir::new(dir)
        .into_iter()
        // A build inside the example (without CARGO_TARGET_DIR) is not part of it.
        .filter_entry(|e| e.depth() != 1 || e.file_name() != "target")
        .map(|e| e.expect("example folder is readable"))
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let relative = e.path().strip_prefix(dir).unwrap();
            let path = relative
                .components()
                .map(|c| c.as_os_str().to_str().expect("UTF-8 path"))
                .collect::<Vec<_>>()
                .join("/");
            let contents = std::fs::read(e.path()).unwrap();
            let mode = mode_of(e.path());
            (path, (contents, mode))
        })
        .collect()
}

#[cfg(unix)]
fn mode_of(path: &Path) -> Mode {
    use std::os::unix::fs::PermissionsExt;
    Mode::from_unix(std::fs::metadata(path).unwrap().permissions().mode())
}

#[cfg(not(unix))]
fn mode_of(_: &Path) -> Mode {
    Mode::Regular
}

fn diff_text(path: &str, generated: Option<&[u8]>, example: Option<&[u8]>) -> String {
    let text = |b: Option<&[u8]>| String::from_utf8_lossy(b.unwrap_or_default()).into_owned();
    similar::TextDiff::from_lines(text(generated), text(example))
        .unified_diff()
        .context_radius(2)
        .header(&format!("generated/{path}"), &format!("example/{path}"))
        .to_string()
}

fn assert_only_team_files_differ(name: &str, team_files: &[&str]) {
    let dir = example(name);
    let generated = regenerate(&dir);
    let example = on_disk(&dir);

    let paths: BTreeSet<&String> = generated.keys().chain(example.keys()).collect();
    let mut differing = BTreeSet::new();
    let mut report = String::new();
    for path in paths {
        let (g, e) = (generated.get(path), example.get(path));
        if g == e {
            continue;
        }
        differing.insert(path.as_str());
        if !team_files.contains(&path.as_str()) {
            let what = match (g, e) {
                (Some(_), None) => "generated but missing from the example",
                (None, Some(_)) => "in the example but not generated (a team file?)",
                (Some((gb, gm)), Some((eb, em))) if gb == eb => {
                    report.push_str(&format!("{path}: mode {gm:?} generated, {em:?} here\n"));
                    continue;
                }
                _ => "differs from what svcgen generates",
            };
            report.push_str(&format!("{path}: {what}\n"));
            report.push_str(&diff_text(
                path,
                g.map(|(b, _)| b.as_slice()),
                e.map(|(b, _)| b.as_slice()),
            ));
        }
    }
    let stale: Vec<&&str> = team_files
        .iter()
        .filter(|f| !differing.contains(**f))
        .collect();
    for file in &stale {
        report.push_str(&format!(
            "{file}: listed as the team's but identical to what svcgen generates; take it off the list\n"
        ));
    }
    assert!(
        report.is_empty(),
        "examples/{name} is no longer what svcgen makes plus its team's files.\n\
         If the blueprint changed, bring the example onto it with \
         `svcgen update --service examples/{name}`; if the team's code grew, list the file in \
         tests/examples.rs.\n\n{report}"
    );
}

#[test]
fn product_is_what_svcgen_makes_plus_its_teams_code() {
    assert_only_team_files_differ("product", PRODUCT_TEAM_FILES);
}

#[test]
fn catalog_is_what_svcgen_makes_plus_its_teams_code() {
    assert_only_team_files_differ("catalog", CATALOG_TEAM_FILES);
}
