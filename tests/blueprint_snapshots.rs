//! Pins the whole output of every built-in blueprint, for every answer set it declares in
//! `[[tests]]`, as readable snapshots in the top-level `snapshots/` folder. A change to a
//! template shows up in review as a change to these files.

use svcgen::answers::GivenAnswers;
use svcgen::blueprint::builtin;
use svcgen::render::{is_binary, render};
use svcgen::resolve::resolve_answers;
use svcgen::tree::Tree;

fn describe(tree: &Tree) -> String {
    let mut out = String::new();
    for (path, entry) in tree.iter() {
        out.push_str(&format!(
            "==== {path} (mode {}, {} bytes)\n",
            entry.mode,
            entry.contents.len()
        ));
        if is_binary(&entry.contents) {
            out.push_str("<binary>\n");
        } else {
            out.push_str(&String::from_utf8_lossy(&entry.contents));
            if !entry.contents.ends_with(b"\n") {
                out.push_str("\n<no newline at end of file>\n");
            }
        }
    }
    out
}

#[test]
fn every_builtin_blueprint_has_at_least_two_answer_sets_and_matches_its_snapshots() {
    let names: Vec<_> = builtin::names().collect();
    assert!(names.contains(&"service"), "built-ins: {names:?}");
    for name in names {
        let blueprint = builtin::load(name).unwrap();
        let sets = &blueprint.manifest.tests;
        assert!(
            sets.len() >= 2,
            "blueprint {name} declares {} [[tests]] answer sets; at least two are pinned",
            sets.len()
        );
        for set in sets {
            let given = GivenAnswers::from_values(set.answers.clone());
            let answers = resolve_answers(
                &blueprint.manifest,
                &blueprint.manifest_path(),
                "catalog",
                &given,
                None,
            )
            .unwrap_or_else(|err| panic!("{name}/{}: {err}", set.name));
            let tree = render(&blueprint, &answers)
                .unwrap_or_else(|err| panic!("{name}/{}: {err}", set.name));
            let answers_text = answers
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect::<Vec<_>>()
                .join("\n");
            insta::with_settings!({
                snapshot_path => "../snapshots",
                prepend_module_to_snapshot => false,
                omit_expression => true,
                description => format!("blueprint {name} {}, answer set `{}`:\n{answers_text}", blueprint.manifest.version, set.name),
            }, {
                insta::assert_snapshot!(format!("{name}__{}", set.name), describe(&tree));
            });
        }
    }
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
    use svcgen::record::{EventRecord, EventRole, Record};

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
        record.add_to(&mut base);
        record.events = events
            .iter()
            .map(|(name, role, from)| EventRecord {
                name: (*name).to_owned(),
                role: *role,
                fields: vec!["name:string".into(), "price:cents".into()],
                from: from.map(str::to_owned),
            })
            .collect();
        let evented = svcgen::events::replay(&blueprint, &record, base.clone())
            .unwrap_or_else(|err| panic!("{set_name}: {err}"));
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
