//! `svcgen contract diff` as CI runs it: the OpenAPI document a generated service serves, and an
//! event's schema, against edited copies; exit codes, text lines and JSON.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use svcgen::contract::Rule;

fn svcgen() -> Command {
    let mut cmd = Command::cargo_bin("svcgen").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd
}

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// What a service made with `svcgen new` serves at `/openapi.json` (the example resource, items).
const SERVICE_OPENAPI: &str = "tests/fixtures/contract/service.openapi.json";
/// An event's contract as `svcgen add-event` writes it.
const EVENT_SCHEMA: &str = "examples/product/events/product-changed.v1.json";

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `path`'s document, changed by `edit`, written to a file in `dir`.
fn edited(dir: &Path, path: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut document = read_json(&repo_file(path));
    edit(&mut document);
    let out = dir.join("edited.json");
    std::fs::write(&out, serde_json::to_string_pretty(&document).unwrap()).unwrap();
    out
}

/// The fixture is the document `svcgen new demo` commits, which the generated service's own
/// test holds equal to what it serves.
#[test]
fn the_fixture_is_what_a_new_service_commits() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    svcgen()
        .args([
            "new",
            "demo",
            "--no-input",
            "--no-git",
            "--quiet",
            "--output",
        ])
        .arg(&dir)
        .assert()
        .success();
    let committed = std::fs::read_to_string(dir.join("api/openapi.json")).unwrap();
    let fixture = std::fs::read_to_string(repo_file(SERVICE_OPENAPI)).unwrap();
    assert!(
        committed == fixture,
        "{SERVICE_OPENAPI} is not what `svcgen new demo` writes as api/openapi.json; copy it over"
    );
}

#[test]
fn a_document_against_itself_is_compatible() {
    svcgen()
        .args(["contract", "diff", SERVICE_OPENAPI, SERVICE_OPENAPI])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .assert()
        .code(0)
        .stdout("")
        .stderr(predicate::str::contains("0 breaking changes, 0 compatible"));
}

fn breaking_edit(document: &mut Value) {
    let schemas = &mut document["components"]["schemas"];
    schemas["ItemResponse"]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("description");
    schemas["CreateItem"]["properties"]["name"]["maxLength"] = 100.into();
    document["paths"]["/v1/items/{id}"]
        .as_object_mut()
        .unwrap()
        .remove("delete");
    document["paths"]["/v1/items"]["get"]["parameters"][0]["required"] = true.into();
    // And one compatible change.
    document["components"]["schemas"]["CreateItem"]["properties"]["colour"] =
        serde_json::json!({"type": "string"});
}

#[test]
fn breaking_changes_exit_1_with_one_line_each() {
    let tmp = tempfile::tempdir().unwrap();
    let new = edited(tmp.path(), SERVICE_OPENAPI, breaking_edit);
    let output = svcgen()
        .args(["contract", "diff", SERVICE_OPENAPI])
        .arg(&new)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("4 breaking changes, 1 compatible"))
        .get_output()
        .stdout
        .clone();
    let stdout = String::from_utf8(output).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    for expected in [
        "breaking: /paths/~1v1~1items/get/parameters/0/required: query parameter `limit` became required (GET /v1/items): requests without it are rejected [parameter-became-required]",
        "breaking: /components/schemas/CreateItem/properties/name/maxLength: `name`: maxLength lowered from 200 to 100 (request body of POST /v1/items): requests that were valid may now be rejected [constraint-tightened]",
        "breaking: /components/schemas/ItemResponse/properties/description: `description`: property removed: clients reading it find it missing (response 201 of POST /v1/items) [property-removed]",
        "breaking: /paths/~1v1~1items~1{id}/delete: operation DELETE /v1/items/{id} removed: clients calling it get 405 or 404 [operation-removed]",
    ] {
        assert!(lines.contains(&expected), "missing {expected}\n{stdout}");
    }
    assert_eq!(
        lines[4],
        "note: /components/schemas/CreateItem/properties/colour: `colour`: optional property added (request body of POST /v1/items) [property-added]"
    );
}

#[test]
fn json_output_lists_every_finding_with_its_pointer_rule_and_severity() {
    let tmp = tempfile::tempdir().unwrap();
    let new = edited(tmp.path(), SERVICE_OPENAPI, breaking_edit);
    let output = svcgen()
        .args(["contract", "diff", "--format", "json", SERVICE_OPENAPI])
        .arg(&new)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let report: Value = serde_json::from_slice(&output).expect("stdout is one JSON document");
    assert_eq!(report["kind"], "open-api");
    assert_eq!(report["breaking"], true);
    let findings = report["findings"].as_array().unwrap();
    let rules: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["severity"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rules,
        [
            ("parameter-became-required", "breaking"),
            ("constraint-tightened", "breaking"),
            ("property-removed", "breaking"),
            ("operation-removed", "breaking"),
            ("property-added", "compatible"),
        ]
    );
    for finding in findings {
        let pointer = finding["pointer"].as_str().unwrap();
        // Every pointer names a place in one of the two documents.
        let old = read_json(&repo_file(SERVICE_OPENAPI));
        let new = read_json(&new);
        assert!(
            old.pointer(pointer).is_some() || new.pointer(pointer).is_some(),
            "{pointer} is in neither document"
        );
    }
}

#[test]
fn compatible_changes_exit_0_and_are_listed_as_notes() {
    let tmp = tempfile::tempdir().unwrap();
    let new = edited(tmp.path(), SERVICE_OPENAPI, |document| {
        let schemas = &mut document["components"]["schemas"];
        schemas["CreateItem"]["properties"]["name"]["maxLength"] = 400.into();
        schemas["ItemResponse"]["properties"]["colour"] = serde_json::json!({"type": "string"});
        let livez = document["paths"]["/livez"].clone();
        document["paths"]["/healthz"] = livez;
    });
    let output = svcgen()
        .args(["contract", "diff", SERVICE_OPENAPI])
        .arg(&new)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .assert()
        .code(0)
        .stderr(predicate::str::contains("0 breaking changes, 3 compatible"))
        .get_output()
        .stdout
        .clone();
    let stdout = String::from_utf8(output).unwrap();
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert!(
        stdout.lines().all(|line| line.starts_with("note: ")),
        "{stdout}"
    );
    assert!(stdout.contains("[path-added]"), "{stdout}");
    assert!(stdout.contains("[constraint-loosened]"), "{stdout}");
}

#[test]
fn an_event_field_renamed_is_breaking() {
    let tmp = tempfile::tempdir().unwrap();
    let new = edited(tmp.path(), EVENT_SCHEMA, |schema| {
        let data = &mut schema["properties"]["data"];
        let stock = data["properties"]
            .as_object_mut()
            .unwrap()
            .remove("stock")
            .unwrap();
        data["properties"]["stock_level"] = stock;
        let required = data["required"].as_array_mut().unwrap();
        required.retain(|name| name != "stock");
        required.push("stock_level".into());
    });
    let output = svcgen()
        .args(["contract", "diff", EVENT_SCHEMA])
        .arg(&new)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let stdout = String::from_utf8(output).unwrap();
    assert!(
        stdout.contains("breaking: /properties/data/properties/stock: `data.stock`: property removed (renamed to `stock_level`?)"),
        "{stdout}"
    );
    assert!(stdout.contains("[required-property-added]"), "{stdout}");
}

#[test]
fn bad_input_exits_2_naming_the_file_and_what_is_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = tmp.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let cases = [
        (
            tmp.path().join("missing.json"),
            "missing.json: No such file",
        ),
        (
            write("broken.json", "{\"openapi\": "),
            "broken.json: not valid JSON",
        ),
        (
            write("list.yaml", "- a\n- b\n"),
            "list.yaml: the document is an array",
        ),
        (
            write("other.json", "{\"name\": \"x\"}"),
            "other.json: neither an OpenAPI document",
        ),
        (
            write(
                "external.json",
                r#"{"type": "object", "properties": {"a": {"$ref": "money.json"}}}"#,
            ),
            "external.json: /properties/a/$ref: `money.json` is not a reference inside this document",
        ),
    ];
    for (path, message) in cases {
        svcgen()
            .args(["contract", "diff"])
            .arg(&path)
            .arg(repo_file(SERVICE_OPENAPI))
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(message));
    }
    // Two contracts of different kinds.
    svcgen()
        .args(["contract", "diff"])
        .arg(repo_file(SERVICE_OPENAPI))
        .arg(repo_file(EVENT_SCHEMA))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "the old contract is an OpenAPI document and the new one a JSON Schema",
        ));
}

#[test]
fn yaml_documents_are_read() {
    let tmp = tempfile::tempdir().unwrap();
    let document = read_json(&repo_file(SERVICE_OPENAPI));
    let yaml = tmp.path().join("openapi.yaml");
    std::fs::write(&yaml, serde_yaml_ng::to_string(&document).unwrap()).unwrap();
    svcgen()
        .args(["contract", "diff"])
        .arg(&yaml)
        .arg(repo_file(SERVICE_OPENAPI))
        .assert()
        .code(0)
        .stdout("");
}

/// docs/contracts.md has one row per rule, and no row for a rule that does not exist.
#[test]
fn every_rule_is_documented_once() {
    let docs = std::fs::read_to_string(repo_file("docs/contracts.md")).unwrap();
    let rows: Vec<&str> = docs
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`').map(|(id, _)| id))
        .collect();
    let ids: Vec<&str> = Rule::ALL.iter().map(|rule| rule.id()).collect();
    assert_eq!(
        rows, ids,
        "the rules table of docs/contracts.md, in Rule::ALL's order"
    );
}

#[test]
fn the_readme_lists_the_command_and_links_the_rules() {
    let readme = std::fs::read_to_string(repo_file("README.md")).unwrap();
    assert!(readme.contains("svcgen contract diff OLD NEW [--format text|json]"));
    assert!(readme.contains("(docs/contracts.md)"));
}
