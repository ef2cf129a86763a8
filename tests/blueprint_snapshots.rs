//! Pins the whole output of every built-in blueprint, for every variant `svcgen blueprint test`
//! renders (its `[[tests]]` answer sets plus the pairwise matrix), against the snapshots in the
//! top-level `snapshots/` folder. It is the same check as
//! `svcgen blueprint test blueprints/NAME --snapshots snapshots` (which `.ci/run` also runs),
//! through the same library code, so `cargo test` catches a template change too.
//!
//! To accept a change: `svcgen blueprint test blueprints/NAME --snapshots snapshots --accept`,
//! or review the `.snap.new` files this test leaves with `cargo insta review`.

use std::path::Path;

use svcgen::blueprint::Blueprint;
use svcgen::blueprint::builtin;
use svcgen::blueprint::source::read_dir;
use svcgen::kit::suite::{self, Outcome};

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
