//! `svcgen add-client` as a user meets it: the built-in service blueprint's clients part, with
//! the product example's committed contract as the provider's.

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use serde_json::Value;

mod common;
use common::{commit_all, files, read, svcgen};

fn product_contract() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/product/api/openapi.json")
}

/// A fresh `catalog` made from the built-in blueprint, committed, in a temp dir.
fn service() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("catalog");
    svcgen()
        .args(["new", "catalog", "--no-input", "--output"])
        .arg(&dest)
        .assert()
        .success();
    (tmp, dest)
}

fn add_client(dir: &Path, spec: &Path) -> assert_cmd::assert::Assert {
    svcgen()
        .args(["add-client", "product", "--spec"])
        .arg(spec)
        .arg("--service")
        .arg(dir)
        .assert()
}

/// The product contract with a new property `sku` on every product it answers.
fn contract_with_sku(to: &Path) {
    let mut root: Value =
        serde_json::from_str(&std::fs::read_to_string(product_contract()).unwrap()).unwrap();
    let sku = serde_json::json!({"type": "string", "description": "Stock keeping unit."});
    root["components"]["schemas"]["ProductResponse"]["properties"]["sku"] = sku.clone();
    root["components"]["schemas"]["Page_ProductResponse"]["properties"]["items"]["items"]["properties"]
        ["sku"] = sku;
    std::fs::write(to, serde_json::to_string_pretty(&root).unwrap()).unwrap();
}

#[test]
fn a_client_is_added_recorded_and_the_same_command_again_changes_nothing() {
    let (_tmp, dir) = service();
    add_client(&dir, &product_contract())
        .success()
        .stderr(predicate::str::contains("client of product (7 operations)"));

    let module = read(&dir, "src/clients/product.rs");
    assert!(module.contains("pub struct ProductClient"), "{module}");
    assert!(module.contains(
        "pub async fn get_product(&self, id: uuid::Uuid) -> Result<ProductResponse, ClientError>"
    ));
    assert!(module.contains("pub fn list_products_pages"));
    let kept: Value = serde_json::from_str(&read(&dir, "api/clients/product.json")).unwrap();
    let given: Value =
        serde_json::from_str(&std::fs::read_to_string(product_contract()).unwrap()).unwrap();
    assert_eq!(kept, given, "the contract is kept as given");
    let record = read(&dir, ".svcgen/record.toml");
    assert!(
        record.contains("[[clients]]\nservice = \"product\""),
        "{record}"
    );
    assert!(read(&dir, ".env.example").contains("PRODUCT_URL=http://localhost:8080"));
    assert!(read(&dir, "Cargo.toml").contains("    \"clients\",\n"));
    assert!(read(&dir, "src/clients/mod.rs").contains("pub product: http::ClientSettings,"));
    assert!(
        read(&dir, "src/http/middleware.rs").contains("crate::clients::http::capture_request_id")
    );

    commit_all(&dir);
    let before = files(&dir);
    add_client(&dir, &product_contract())
        .success()
        .stderr(predicate::str::contains("Unchanged"));
    // Without --spec, the recorded source is read again.
    svcgen()
        .args(["add-client", "product", "--service"])
        .arg(&dir)
        .assert()
        .success()
        .stderr(predicate::str::contains("Unchanged"));
    assert_eq!(
        files(&dir),
        before,
        "running it again changes nothing, byte for byte"
    );
}

#[test]
fn the_rendered_client_is_pinned() {
    let (_tmp, dir) = service();
    add_client(&dir, &product_contract()).success();
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("client-product", read(&dir, "src/clients/product.rs"));
    });
}

#[test]
fn a_newer_contract_rewrites_the_client_and_an_edited_one_is_refused() {
    let (tmp, dir) = service();
    add_client(&dir, &product_contract()).success();
    commit_all(&dir);

    let newer = tmp.path().join("product-2.json");
    contract_with_sku(&newer);
    add_client(&dir, &newer).success();
    let module = read(&dir, "src/clients/product.rs");
    assert!(module.contains("pub sku: Option<String>,"), "{module}");
    assert!(read(&dir, "api/clients/product.json").contains("Stock keeping unit."));
    assert!(read(&dir, ".svcgen/record.toml").contains("product-2.json"));
    commit_all(&dir);

    // The team edits the client; the next contract does not silently take the edit away.
    let edited = module.replace(
        "pub struct ProductClient",
        "pub struct ProductClient // ours",
    );
    std::fs::write(dir.join("src/clients/product.rs"), &edited).unwrap();
    commit_all(&dir);
    let before = files(&dir);
    add_client(&dir, &product_contract()).failure().stderr(
        predicate::str::contains("src/clients/product.rs").and(predicate::str::contains("edited")),
    );
    assert_eq!(files(&dir), before, "nothing is written");
}

#[test]
fn a_contract_it_cannot_express_names_the_construct_and_where() {
    let (tmp, dir) = service();
    let mut root: Value =
        serde_json::from_str(&std::fs::read_to_string(product_contract()).unwrap()).unwrap();
    root["components"]["schemas"]["CreateProduct"]["properties"]["name"] =
        serde_json::json!({"oneOf": [{"type": "string"}, {"type": "integer"}]});
    let spec = tmp.path().join("union.json");
    std::fs::write(&spec, serde_json::to_string(&root).unwrap()).unwrap();
    let before = files(&dir);
    add_client(&dir, &spec)
        .failure()
        .code(1)
        .stderr(predicate::str::contains(
            "union.json: /components/schemas/CreateProduct/properties/name: `oneOf`",
        ));
    assert_eq!(files(&dir), before, "nothing is written");

    let not_openapi = tmp.path().join("event.json");
    std::fs::write(&not_openapi, r#"{"type": "object", "properties": {}}"#).unwrap();
    add_client(&dir, &not_openapi)
        .failure()
        .stderr(predicate::str::contains("not an OpenAPI document"));
}

#[test]
fn a_dirty_tree_is_refused_and_dry_run_writes_nothing() {
    let (_tmp, dir) = service();
    std::fs::write(dir.join("notes.txt"), "wip\n").unwrap();
    add_client(&dir, &product_contract())
        .failure()
        .stderr(predicate::str::contains("uncommitted changes"));
    std::fs::remove_file(dir.join("notes.txt")).unwrap();

    let before = files(&dir);
    svcgen()
        .args(["add-client", "product", "--dry-run", "--spec"])
        .arg(product_contract())
        .arg("--service")
        .arg(&dir)
        .assert()
        .success()
        .stdout(predicate::str::contains("+++ b/src/clients/product.rs"))
        .stderr(predicate::str::contains("nothing written (--dry-run)"));
    assert_eq!(files(&dir), before);
}

#[test]
fn an_update_makes_the_client_again_and_keeps_it() {
    let (_tmp, dir) = service();
    add_client(&dir, &product_contract()).success();
    commit_all(&dir);
    let module = read(&dir, "src/clients/product.rs");
    let config = read(&dir, "src/config.rs");
    svcgen()
        .args([
            "update",
            "--no-input",
            "--set",
            "description=The catalog, renamed",
            "--service",
        ])
        .arg(&dir)
        .assert()
        .success()
        .stderr(predicate::str::contains("conflict").not());
    assert_eq!(read(&dir, "src/clients/product.rs"), module);
    assert_eq!(read(&dir, "src/config.rs"), config);
    assert!(read(&dir, "Cargo.toml").contains("description = \"The catalog, renamed\""));
    assert!(read(&dir, "Cargo.toml").contains("    \"clients\",\n"));
}
