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
