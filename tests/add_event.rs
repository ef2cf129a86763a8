//! `svcgen add-event` as a user meets it, on a small fixture blueprint whose events part has the
//! same shape as the built-in service blueprint's: new files, a shared file kept once created,
//! inserts at anchors, numbered migrations, a JSON Schema contract.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

mod common;
use common::{commit_all, files, read, svcgen};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/blueprints/evented")
}

/// A fresh service made from the fixture, committed, in a temp dir.
fn service(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join(name);
    svcgen()
        .args(["new", name, "--no-input", "--blueprint"])
        .arg(fixture())
        .arg("--output")
        .arg(&dest)
        .assert()
        .success();
    (tmp, dest)
}

fn add_product_changed(dir: &Path) -> assert_cmd::assert::Assert {
    add_product_changed_cmd(dir).assert()
}

fn add_product_changed_cmd(dir: &Path) -> Command {
    let mut cmd = svcgen();
    cmd.args([
        "add-event",
        "ProductChanged",
        "--field",
        "name:string",
        "--field",
        "price:cents",
        "--service",
    ])
    .arg(dir);
    cmd
}

#[test]
fn producer_event_creates_files_inserts_at_anchors_and_records_it() {
    let (_tmp, dir) = service("product");
    add_product_changed(&dir)
        .success()
        .stderr(predicate::str::contains(
            "Created src/events/product_changed.rs",
        ))
        .stderr(predicate::str::contains("Updated src/lib.rs"))
        .stderr(predicate::str::contains(
            "Added producer event ProductChanged",
        ));

    assert_eq!(
        read(&dir, "src/lib.rs"),
        "pub mod db;\npub mod events;\n// svcgen:anchor modules\n"
    );
    assert_eq!(
        read(&dir, "src/events/mod.rs"),
        "//! Events of product.\npub mod product_changed;\n// svcgen:anchor events\n"
    );
    let event = read(&dir, "src/events/product_changed.rs");
    assert!(
        event
            .contains("pub struct ProductChanged {\n    pub name: String,\n    pub price: i64,\n}"),
        "{event}"
    );
    assert!(
        event.contains("producer of `product`, from product"),
        "{event}"
    );
    assert!(read(&dir, "Cargo.toml").contains("default = [\n    \"events\",\n    # svcgen:anchor"));
    // Numbered after the service's newest migration, with its width.
    assert_eq!(
        read(&dir, "migrations/20260101000001_outbox.sql"),
        "create table outbox (id uuid primary key);\n"
    );
    assert!(dir.join("events/product-changed.v1.json").is_file());
    let record = read(&dir, ".svcgen/record.toml");
    assert!(
        record.contains("[[events]]\nname = \"ProductChanged\"\nrole = \"producer\"\nfields = [\"name:string\", \"price:cents\"]"),
        "{record}"
    );
}

#[test]
fn running_the_same_command_twice_changes_nothing() {
    let (_tmp, dir) = service("product");
    add_product_changed(&dir).success();
    commit_all(&dir);
    let after_first = files(&dir);
    add_product_changed(&dir)
        .success()
        .stderr(predicate::str::contains(
            "already has ProductChanged as a producer event; nothing to do",
        ));
    assert_eq!(files(&dir), after_first);
}

#[test]
fn a_second_event_adds_to_the_first_and_shares_the_outbox() {
    let (_tmp, dir) = service("product");
    add_product_changed(&dir).success();
    commit_all(&dir);
    svcgen()
        .args([
            "add-event",
            "ProductDeleted",
            "--field",
            "reason:string",
            "--service",
        ])
        .arg(&dir)
        .assert()
        .success();
    assert_eq!(
        read(&dir, "src/events/mod.rs"),
        "//! Events of product.\npub mod product_changed;\npub mod product_deleted;\n// svcgen:anchor events\n"
    );
    assert_eq!(
        read(&dir, "src/lib.rs").matches("pub mod events;").count(),
        1
    );
    assert_eq!(read(&dir, "Cargo.toml").matches("\"events\",").count(), 1);
    let migrations: Vec<String> = std::fs::read_dir(dir.join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        migrations.len(),
        2,
        "one outbox for both events: {migrations:?}"
    );
    assert_eq!(
        read(&dir, ".svcgen/record.toml")
            .matches("[[events]]")
            .count(),
        2
    );
}

#[test]
fn consumer_takes_fields_from_the_producers_schema() {
    let (_tmp, producer) = service("product");
    add_product_changed(&producer).success();
    let (_tmp2, consumer) = service("catalog");
    svcgen()
        .args([
            "add-event",
            "ProductChanged",
            "--consume",
            "--from",
            "product",
            "--schema",
        ])
        .arg(producer.join("events/product-changed.v1.json"))
        .arg("--service")
        .arg(&consumer)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "Added consumer event ProductChanged",
        ));
    assert_eq!(
        read(
            &consumer,
            "migrations/20260101000001_product_changed_copy.sql"
        ),
        "create table product_copy (id uuid primary key, name text, price bigint);\n"
    );
    assert!(
        read(&consumer, "src/events/product_changed.rs")
            .contains("consumer of `product`, from product")
    );
    assert!(
        !consumer
            .join("migrations/20260101000002_outbox.sql")
            .exists()
    );
    let record = read(&consumer, ".svcgen/record.toml");
    assert!(
        record.contains("role = \"consumer\"") && record.contains("from = \"product\""),
        "{record}"
    );
}

#[test]
fn dry_run_prints_a_diff_and_writes_nothing() {
    let (_tmp, dir) = service("product");
    let before = files(&dir);
    add_product_changed_cmd(&dir)
        .arg("--dry-run")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,2 +1,3 @@\n pub mod db;\n+pub mod events;\n",
        ))
        .stdout(predicate::str::contains(
            "--- /dev/null\n+++ b/src/events/product_changed.rs",
        ))
        .stderr(predicate::str::contains("nothing written (--dry-run)"));
    assert_eq!(files(&dir), before);
}

#[test]
fn a_removed_anchor_is_named_and_nothing_is_written() {
    let (_tmp, dir) = service("product");
    std::fs::write(dir.join("src/lib.rs"), "pub mod db;\n").unwrap();
    commit_all(&dir);
    let before = files(&dir);
    add_product_changed(&dir)
        .failure()
        .code(1)
        .stderr(predicate::str::contains(
            "src/lib.rs: cannot insert at anchor `modules`: no line carries `svcgen:anchor modules`",
        ));
    assert_eq!(files(&dir), before);
}

#[test]
fn bad_event_names_and_fields_are_usage_errors() {
    let (_tmp, dir) = service("product");
    let cases: [(&[&str], &str); 4] = [
        (
            &["product_changed", "-f", "a:string"],
            "invalid event name `product_changed`: event names are PascalCase and start with an uppercase letter, e.g. `ProductChanged`",
        ),
        (
            &["HTTPCalled", "-f", "a:string"],
            "write acronyms as words, e.g. `HttpCalled`",
        ),
        (
            &["ProductChanged", "-f", "price:money"],
            "invalid --field `price:money`: unknown type `money` (known: string, cents)",
        ),
        (&["ProductChanged", "-f", "id:string"], "`id` is reserved"),
    ];
    for (args, message) in cases {
        svcgen()
            .arg("add-event")
            .args(args)
            .arg("--service")
            .arg(&dir)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
    }
}

#[test]
fn changing_a_recorded_event_is_refused() {
    let (_tmp, dir) = service("product");
    add_product_changed(&dir).success();
    commit_all(&dir);
    svcgen()
        .args([
            "add-event",
            "ProductChanged",
            "--field",
            "name:string",
            "--service",
        ])
        .arg(&dir)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "already has it as a producer event with fields name:string price:cents",
        ));
}

#[test]
fn a_dirty_tree_is_refused_unless_allowed() {
    let (_tmp, dir) = service("product");
    std::fs::write(dir.join("notes.txt"), "wip").unwrap();
    add_product_changed(&dir)
        .code(1)
        .stderr(predicate::str::contains("uncommitted changes (notes.txt)"));
    assert!(!dir.join("src/events").exists());
    add_product_changed_cmd(&dir)
        .arg("--allow-dirty")
        .assert()
        .success();
}

#[test]
fn outside_a_service_it_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    add_product_changed(tmp.path())
        .code(1)
        .stderr(predicate::str::contains("not a service made by svcgen"));
}

#[test]
fn replaying_the_record_on_a_fresh_render_gives_the_working_tree() {
    // What `update` relies on: the record alone (blueprint + answers + events) reproduces what
    // `new` followed by every `add-event` wrote.
    let (_tmp, dir) = service("product");
    add_product_changed(&dir).success();
    commit_all(&dir);
    svcgen()
        .args([
            "add-event",
            "ProductDeleted",
            "-f",
            "reason:string",
            "--service",
        ])
        .arg(&dir)
        .assert()
        .success();

    let record = svcgen::service::record::Record::read(&dir).unwrap();
    let blueprint = svcgen::blueprint::source::BlueprintSource::Path(fixture())
        .load(Path::new("/nonexistent-cache"))
        .unwrap()
        .blueprint;
    let generated = svcgen::generate::generate(
        &blueprint,
        &record,
        &svcgen::service::files::WorkDir::new(&dir),
    )
    .unwrap();
    let mut replayed: BTreeMap<String, Vec<u8>> = generated
        .tree
        .iter()
        .map(|(path, entry)| (path.to_string(), entry.contents.to_vec()))
        .collect();
    replayed.remove(svcgen::service::base::ATTRIBUTES_PATH);
    replayed.remove(svcgen::service::base::BASE_PATH);
    // The update base (svcgen's copy of what it generated) is not rendered; it must hold the
    // same bytes as the replay for every file it stores.
    let mut on_disk = files(&dir);
    on_disk.remove(svcgen::service::base::ATTRIBUTES_PATH);
    let base_text = on_disk.remove(svcgen::service::base::BASE_PATH).unwrap();
    assert_eq!(replayed, on_disk);
    let base = svcgen::service::base::Base::parse(&base_text, Path::new("base")).unwrap();
    assert!(base.damaged.is_empty());
    let stored = base.content_tree();
    assert!(stored.len() > 3, "the base stores the generated text files");
    for (path, entry) in stored.iter() {
        assert_eq!(
            Some(&entry.contents[..]),
            replayed.get(path.as_str()).map(Vec::as_slice),
            "base of {path} after add-event"
        );
    }
}
