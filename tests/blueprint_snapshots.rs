//! Pins the whole output of every built-in blueprint, for every variant `svcgen blueprint test`
//! renders (its `[[tests]]` answer sets plus the pairwise matrix), against the snapshots in the
//! top-level `snapshots/` folder. It is the same check as
//! `svcgen blueprint test blueprints/NAME --snapshots snapshots` (which `.ci/run` also runs),
//! through the same library code, so `cargo test` catches a template change too.
//!
//! To accept a change: `svcgen blueprint test blueprints/NAME --snapshots snapshots --accept`,
//! or review the `.snap.new` files this test leaves with `cargo insta review`.

use std::path::Path;

use svcgen::answers::GivenAnswers;
use svcgen::blueprint::Blueprint;
use svcgen::blueprint::builtin;
use svcgen::blueprint::source::read_dir;
use svcgen::kit::suite::{self, Outcome};
use svcgen::render::render;
use svcgen::resolve::resolve_answers;
use svcgen::tree::Tree;

#[test]
fn every_builtin_blueprint_matches_its_snapshots() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let names: Vec<_> = builtin::names().collect();
    assert!(names.contains(&"service"), "built-ins: {names:?}");
    let mut failures = Vec::new();
    for name in names {
        let dir = root.join("blueprints").join(name);
        let blueprint =
            Blueprint::from_files(format!("blueprints/{name}"), read_dir(&dir).unwrap()).unwrap();
        assert!(
            blueprint.manifest.tests.len() >= 2,
            "blueprint {name} declares {} [[tests]] answer sets; at least two are pinned",
            blueprint.manifest.tests.len()
        );
        let report = suite::run(&blueprint, &root.join("snapshots"), false).unwrap();
        assert!(
            report.matrix.problems.is_empty(),
            "{name}: {:?}",
            report.matrix.problems
        );
        assert!(
            report.obsolete.is_empty(),
            "{name}: obsolete snapshots {:?}",
            report.obsolete
        );
        for result in &report.results {
            match &result.outcome {
                Outcome::Matched => {}
                Outcome::Mismatch { diff, .. } => {
                    failures.push(format!("{name}/{}:\n{diff}", result.variant.name))
                }
                other => failures.push(format!("{name}/{}: {other:?}", result.variant.name)),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "built-in blueprint output changed; accept it with `svcgen blueprint test blueprints/NAME --snapshots snapshots --accept`:\n{}",
        failures.join("\n")
    );
}

/// What `svcgen add-event` adds to a service of the built-in `service` blueprint: new files in
/// full, changed ones as unified diffs against the plain render.
fn describe_changes(before: &Tree, after: &Tree) -> String {
    let mut out = String::new();
    for (path, entry) in after.iter() {
        let new = String::from_utf8_lossy(&entry.contents);
        match before.get(path.as_str()) {
            None => {
                out.push_str(&format!("==== {path} (new, mode {})\n{new}", entry.mode));
                if !new.ends_with('\n') {
                    out.push_str("\n<no newline at end of file>\n");
                }
            }
            Some(old) if old.contents != entry.contents => {
                let old = String::from_utf8_lossy(&old.contents);
                let diff = similar::TextDiff::from_lines(old.as_ref(), new.as_ref());
                out.push_str(&format!("==== {path} (changed)\n"));
                out.push_str(&diff.unified_diff().context_radius(2).to_string());
            }
            Some(_) => {}
        }
    }
    out
}

#[test]
fn the_service_blueprints_events_part_matches_its_snapshots() {
    use svcgen::blueprint::source::BlueprintSource;
    use svcgen::service::State;
    use svcgen::service::record::{EventRecord, EventRole, Record};

    let blueprint = builtin::load("service").unwrap();
    let cases = [
        (
            "defaults",
            vec![
                ("ItemChanged", EventRole::Producer, None),
                ("ProductChanged", EventRole::Consumer, Some("product")),
            ],
        ),
        (
            "no-resource-gitlab",
            vec![("OrderPlaced", EventRole::Producer, None)],
        ),
        // No compose files: the broker goes into the Kubernetes manifests only.
        ("k8s-only", vec![("ItemChanged", EventRole::Producer, None)]),
    ];
    for (set_name, events) in cases {
        let set = blueprint
            .manifest
            .tests
            .iter()
            .find(|set| set.name == set_name)
            .unwrap_or_else(|| panic!("answer set {set_name}"));
        let given = GivenAnswers::from_values(set.answers.clone());
        let answers = resolve_answers(
            &blueprint.manifest,
            &blueprint.manifest_path(),
            "catalog",
            &given,
            None,
        )
        .unwrap();
        let plain = render(&blueprint, &answers).unwrap();
        let mut record = Record::new(
            &blueprint,
            &BlueprintSource::Builtin("service".into()),
            None,
            &answers,
        );
        let mut base = plain.clone();
        // The record, without and then with the events: add-event changes it too.
        fn add_record(record: &Record, tree: &mut Tree) {
            State { record, base: None }.add_to(tree);
        }
        add_record(&record, &mut base);
        record.events = events
            .iter()
            .map(|(name, role, from)| EventRecord {
                name: (*name).to_owned(),
                role: *role,
                fields: vec!["name:string".into(), "price:cents".into()],
                from: from.map(str::to_owned),
                field_lines: Default::default(),
            })
            .collect();
        let mut evented = svcgen::events::replay(&blueprint, &record, base.clone())
            .unwrap_or_else(|err| panic!("{set_name}: {err}"));
        add_record(&record, &mut evented);
        let summary = events
            .iter()
            .map(|(name, role, _)| format!("{name} ({role:?})"))
            .collect::<Vec<_>>()
            .join(", ");
        insta::with_settings!({
            snapshot_path => "../snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => format!("service blueprint, answer set `{set_name}`, add-event: {summary}"),
        }, {
            insta::assert_snapshot!(format!("service-events__{set_name}"), describe_changes(&base, &evented));
        });
    }
}
