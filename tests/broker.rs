//! The built-in service blueprint's `broker` answer: what `nats` and `kafka` give a service's
//! events, and switching from one to the other with `svcgen update --set broker=...`. (That the
//! Kafka code builds, passes clippy and its own tests against a Kafka-protocol broker is
//! `.ci/check-generated.sh`'s to show.)

use std::path::{Path, PathBuf};

mod common;
use common::{commit_all, files, read, svcgen};

/// A service made from the built-in blueprint with `answers`, given a producer event, committed.
fn service_with_event(tmp: &Path, name: &str, answers: &[&str]) -> PathBuf {
    let dest = tmp.join(name);
    let mut new = svcgen();
    new.args(["new", name, "--no-input", "--set", "resource=product"]);
    for answer in answers {
        new.args(["--set", answer]);
    }
    new.arg("--output").arg(&dest).assert().success();
    svcgen()
        .args([
            "add-event",
            "ProductChanged",
            "--field",
            "name:string",
            "--service",
        ])
        .arg(&dest)
        .assert()
        .success();
    commit_all(&dest);
    dest
}

#[test]
fn a_kafka_service_gets_the_kafka_code_settings_and_only_its_dependencies() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = service_with_event(tmp.path(), "shop", &["broker=kafka"]);
    let written = files(&dir);
    assert!(written.contains_key("src/events/kafka.rs"));
    assert!(!written.contains_key("src/events/nats.rs"));
    for path in ["Cargo.toml", "Cargo.lock"] {
        let text = read(&dir, path);
        assert!(text.contains("rdkafka"), "{path} has no rdkafka");
        assert!(!text.contains("async-nats"), "{path} still has async-nats");
    }
    let env = read(&dir, ".env.example");
    assert!(env.contains("KAFKA_BROKERS=localhost:9092"), "{env}");
    assert!(!env.contains("NATS_URL"), "{env}");
    assert!(read(&dir, "compose.yaml").contains("image: apache/kafka:"));
    assert!(read(&dir, "deploy/k8s/base/config.env").contains("KAFKA_BROKERS=kafka:9092"));
    // librdkafka is built from source: the builder image needs `make`.
    assert!(read(&dir, "Dockerfile").contains("install -y --no-install-recommends make"));
    let relay = read(&dir, "src/events/relay.rs");
    assert!(relay.contains(".key(row.aggregate_id.as_str())"), "{relay}");
    assert!(read(&dir, "src/events/kafka.rs").contains(r#".set("enable.idempotence", "true")"#));
}

#[test]
fn a_nats_service_has_no_kafka_in_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = service_with_event(tmp.path(), "shop", &[]);
    for (path, bytes) in files(&dir) {
        if path.starts_with(".svcgen/") {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes).to_lowercase();
        assert!(
            !text.contains("kafka") && !text.contains("{% if broker"),
            "{path} mentions Kafka"
        );
    }
}

#[test]
fn switching_the_broker_is_an_answer_change_update_carries_keeping_the_teams_edits() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = service_with_event(tmp.path(), "shop", &[]);
    // The team's own line in a file both brokers share.
    let outbox = dir.join("src/events/outbox.rs");
    let edited = format!(
        "{}\n// Ours: reviewed by the payments team.\n",
        read(&dir, "src/events/outbox.rs")
    );
    std::fs::write(&outbox, &edited).unwrap();
    commit_all(&dir);

    svcgen()
        .args(["update", "--no-input", "--set", "broker=kafka", "--service"])
        .arg(&dir)
        .assert()
        .success();
    let written = files(&dir);
    assert!(written.contains_key("src/events/kafka.rs"));
    assert!(!written.contains_key("src/events/nats.rs"));
    assert!(read(&dir, "Cargo.toml").contains("rdkafka"));
    assert!(read(&dir, "src/events/relay.rs").contains("Kafka"));
    assert!(read(&dir, ".svcgen/record.toml").contains(r#"broker = "kafka""#));
    assert_eq!(read(&dir, "src/events/outbox.rs"), edited);

    // And back: the same files as a service made with NATS from the start.
    commit_all(&dir);
    svcgen()
        .args(["update", "--no-input", "--set", "broker=nats", "--service"])
        .arg(&dir)
        .assert()
        .success();
    let fresh = service_with_event(tmp.path(), "shop-again", &[]);
    for path in [
        "src/events/relay.rs",
        "src/events/mod.rs",
        "Cargo.toml",
        "Cargo.lock",
    ] {
        assert_eq!(
            read(&dir, path).replace("shop", "X"),
            read(&fresh, path)
                .replace("shop_again", "X")
                .replace("shop-again", "X"),
            "{path}"
        );
    }
    assert!(!files(&dir).contains_key("src/events/kafka.rs"));
}
