//! What a developer portal (Backstage, Port, Cortex) meets: the blueprint's questions as a JSON
//! Schema its form renders and validates, the answers it sends back to `svcgen new`, and the
//! `catalog-info.yaml` and `CODEOWNERS` it reads from the service that was made.

use std::path::Path;

use assert_cmd::Command;
use serde_json::{Value, json};

fn svcgen() -> Command {
    let mut cmd = Command::cargo_bin("svcgen").unwrap();
    cmd.env(
        "XDG_CACHE_HOME",
        std::env::temp_dir().join("svcgen-test-cache"),
    );
    cmd
}

fn service_schema() -> Value {
    let output = svcgen()
        .args(["blueprint", "schema", "service"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON document")
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::meta::validate(schema).expect("a valid draft 2020-12 schema");
    jsonschema::validator_for(schema).unwrap()
}

fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// What a form starts with: every literal default the schema shows, the conditional ones too.
fn form_defaults(schema: &Value) -> serde_json::Map<String, Value> {
    let mut form = serde_json::Map::new();
    let mut take = |properties: &Value| {
        for (name, property) in properties.as_object().unwrap() {
            if let Some(default) = property.get("default") {
                form.insert(name.clone(), default.clone());
            }
        }
    };
    take(&schema["properties"]);
    for rule in schema["allOf"].as_array().into_iter().flatten() {
        take(&rule["then"]["properties"]);
    }
    form
}

/// `svcgen new NAME --no-input --answers FILE --format json` in `dir`: the exit status, and on
/// success the JSON it printed.
fn new_with_answers(dir: &Path, name: &str, answers: &Value) -> (bool, Option<Value>, String) {
    let file = dir.join(format!("{name}-answers.json"));
    std::fs::write(&file, serde_json::to_string(answers).unwrap()).unwrap();
    let output = svcgen()
        .args([
            "new",
            name,
            "--no-input",
            "--no-git",
            "--format",
            "json",
            "--answers",
        ])
        .arg(&file)
        .arg("--output")
        .arg(dir.join(name))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let printed = output
        .status
        .success()
        .then(|| serde_json::from_slice(&output.stdout).expect("stdout is one JSON document"));
    (output.status.success(), printed, stderr)
}

#[test]
fn the_schema_is_draft_2020_12_and_a_form_of_defaults_satisfies_it() {
    let schema = service_schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let validator = validator(&schema);

    let mut form = form_defaults(&schema);
    assert_eq!(form["port"], 8080);
    assert_eq!(form["ci"], "github");
    assert!(!form.contains_key("name"), "a service name has no default");
    let empty = Value::Object(form.clone());
    assert!(
        !validator.is_valid(&empty),
        "the service name is required: {empty}"
    );
    form.insert("name".into(), json!("catalog"));
    let form = Value::Object(form);
    assert_eq!(errors(&validator, &form), Vec::<String>::new(), "{form}");

    // The form's answers are what svcgen takes, and what it makes of them satisfies the schema
    // too (templated defaults filled in).
    let tmp = tempfile::tempdir().unwrap();
    let (ok, printed, stderr) = new_with_answers(tmp.path(), "catalog", &form);
    assert!(ok, "{stderr}");
    let answers = &printed.unwrap()["answers"];
    assert_eq!(answers["database_name"], "catalog");
    assert_eq!(
        errors(&validator, answers),
        Vec::<String>::new(),
        "{answers}"
    );
}

/// Each answer the schema refuses, svcgen refuses as well, and for the same variable.
#[test]
fn a_bad_answer_fails_the_schema_and_svcgen_alike() {
    let schema = service_schema();
    let validator = validator(&schema);
    let tmp = tempfile::tempdir().unwrap();
    let bad: [(&str, Value); 9] = [
        ("port", json!(70000)),
        ("port", json!("eighty")),
        ("ci", json!("jenkins")),
        ("database_name", json!("Bad-Name")),
        ("description", json!("two\nlines")),
        ("team", json!("Platform Team")),
        ("resource", json!("type")),
        ("public_url", json!("https://catalog.example.com/")),
        ("colour", json!("blue")),
    ];
    for (index, (variable, value)) in bad.into_iter().enumerate() {
        let answers = json!({ "name": "catalog", variable: value });
        assert!(!validator.is_valid(&answers), "the schema takes {answers}");
        let (ok, _, stderr) = new_with_answers(tmp.path(), &format!("svc{index}"), &answers);
        assert!(!ok, "svcgen takes {answers}");
        assert!(stderr.contains(&format!("`{variable}`")), "{stderr}");
    }
}

/// A variable with `when` is checked only while its condition holds, in svcgen and the schema.
#[test]
fn a_conditional_answer_counts_only_while_its_condition_holds() {
    let schema = service_schema();
    let validator = validator(&schema);
    let tmp = tempfile::tempdir().unwrap();

    let shown = json!({ "name": "catalog", "resource": "Not Snake" });
    assert!(!validator.is_valid(&shown));
    assert!(!new_with_answers(tmp.path(), "shown", &shown).0);

    let hidden = json!({ "name": "catalog", "example_resource": false, "resource": "Not Snake" });
    assert_eq!(errors(&validator, &hidden), Vec::<String>::new());
    let (ok, _, stderr) = new_with_answers(tmp.path(), "hidden", &hidden);
    assert!(ok, "{stderr}");
}

fn catalog_info(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("catalog-info.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap_or_else(|err| panic!("{err}\n{text}"))
}

/// Backstage's rule for entity names and the name part of references (catalog-model's
/// `KubernetesValidatorFunctions.isValidObjectName`).
fn is_entity_name(text: &str) -> bool {
    let bytes = text.as_bytes();
    let alnum = |b: &u8| b.is_ascii_alphanumeric();
    (1..=63).contains(&text.len())
        && alnum(&bytes[0])
        && alnum(&bytes[bytes.len() - 1])
        && bytes.iter().all(|b| alnum(b) || b"-_.".contains(b))
}

#[test]
fn catalog_info_is_a_backstage_component_owned_by_the_team() {
    let tmp = tempfile::tempdir().unwrap();
    let answers = json!({
        "name": "orders",
        "description": "Takes orders: \"all of them\"",
        "team": "payments",
        "codeowners_org": "acme/backend",
        "system": "storefront",
        "public_url": "https://orders.shop.example",
    });
    let (ok, printed, stderr) = new_with_answers(tmp.path(), "orders", &answers);
    assert!(ok, "{stderr}");
    let printed = printed.unwrap();
    let dir = tmp.path().join("orders");
    let entity = catalog_info(&dir);

    assert_eq!(entity["apiVersion"], "backstage.io/v1alpha1");
    assert_eq!(entity["kind"], "Component");
    let metadata = &entity["metadata"];
    assert_eq!(metadata["name"], "orders");
    assert!(is_entity_name(metadata["name"].as_str().unwrap()));
    assert_eq!(metadata["description"], "Takes orders: \"all of them\"");
    let annotations = metadata["annotations"].as_object().unwrap();
    assert_eq!(annotations["svcgen.dev/blueprint"], "service");
    assert_eq!(
        annotations["svcgen.dev/blueprint-version"],
        printed["blueprint"]["version"]
    );
    // Backstage: annotation values are strings.
    assert!(
        annotations.values().all(Value::is_string),
        "{annotations:?}"
    );
    let links: Vec<&str> = metadata["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|link| link["url"].as_str().unwrap())
        .collect();
    assert!(
        links.contains(&"https://orders.shop.example/openapi.json"),
        "{links:?}"
    );

    let spec = &entity["spec"];
    assert_eq!(spec["type"], "service");
    assert!(spec["lifecycle"].as_str().is_some_and(|l| !l.is_empty()));
    assert_eq!(spec["owner"], "payments");
    assert_eq!(spec["system"], "storefront");
    assert!(is_entity_name(spec["owner"].as_str().unwrap()));
    assert_eq!(spec["dependsOn"], json!([]));

    let codeowners = std::fs::read_to_string(dir.join("CODEOWNERS")).unwrap();
    let rules: Vec<&str> = codeowners
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    assert_eq!(rules, ["* @acme/backend/payments"]);
}

#[test]
fn without_a_system_the_component_names_none() {
    let tmp = tempfile::tempdir().unwrap();
    let (ok, _, stderr) = new_with_answers(tmp.path(), "billing", &json!({}));
    assert!(ok, "{stderr}");
    let entity = catalog_info(&tmp.path().join("billing"));
    assert!(entity["spec"].get("system").is_none(), "{entity}");
    assert_eq!(entity["spec"]["owner"], "platform");
    assert_eq!(
        entity["metadata"]["links"][0]["url"],
        "https://billing.example.com/openapi.json"
    );
}

/// The one free-text answer in catalog-info.yaml is the description: whatever a form lets a
/// person type must come back from the YAML as typed, not as another type, a comment, an alias
/// or a folded line, or a file the catalog cannot read at all.
#[test]
fn catalog_info_keeps_awkward_descriptions_as_typed() {
    let tmp = tempfile::tempdir().unwrap();
    let descriptions = [
        "Takes orders: \"all of them\" # not a comment",
        "key: value: more",
        "- looks like a list item",
        "&anchor *alias !tag %directive @at `tick`",
        "{ not: a map } [not, a, list]",
        "it's 'single' quoted",
        "back\\slash \\n not a newline",
        "yes",
        "null",
        "~",
        "0x1F",
        "1e3",
        "  leading and trailing spaces  ",
        "Café crème, naïve résumé",
        "注文サービス 🚀 ✓",
        "שירות הזמנות",
        "zero\u{200b}width and e\u{301} combining",
        "line\u{2028}separator and paragraph\u{2029}separator",
        "no-break\u{a0}space",
        "byte order mark \u{feff} inside",
    ];
    let mut failures = Vec::new();
    for (i, description) in descriptions.iter().enumerate() {
        let name = format!("awkward{i}");
        let answers = json!({ "description": description });
        let (ok, _, stderr) = new_with_answers(tmp.path(), &name, &answers);
        if !ok {
            failures.push(format!("{description:?}: svcgen new failed: {stderr}"));
            continue;
        }
        let path = tmp.path().join(&name).join("catalog-info.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        match serde_yaml_ng::from_str::<Value>(&text) {
            Ok(entity) if entity["metadata"]["description"] == json!(description) => {}
            Ok(entity) => failures.push(format!(
                "{description:?}: read back as {}",
                entity["metadata"]["description"]
            )),
            Err(err) => failures.push(format!("{description:?}: not YAML: {err}\n{text}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
