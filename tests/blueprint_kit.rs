//! `svcgen blueprint lint|test|new` as a blueprint author meets them: one broken fixture per
//! lint rule with its exact message, the snapshot test/accept round trip, diffs on mismatch,
//! `--build` failures naming the variant, and a starter that passes everything as created.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn svcgen() -> Command {
    let mut cmd = Command::cargo_bin("svcgen").unwrap();
    // Plain output: the tests compare messages, not colours.
    cmd.env("NO_COLOR", "1");
    cmd.env(
        "XDG_CACHE_HOME",
        std::env::temp_dir().join("svcgen-test-cache"),
    );
    cmd
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/kit")
        .join(name)
}

/// Runs `svcgen blueprint lint` on a fixture from the fixtures folder, so messages carry the
/// short relative path `kit/<name>/...`; checks it exits 1 and returns stderr.
fn lint_fails(name: &str) -> String {
    let output = svcgen()
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"))
        .args(["blueprint", "lint", &format!("kit/{name}")])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(output.stdout.is_empty());
    String::from_utf8(output.stderr).unwrap()
}

/// [`lint_fails`] on a copy of the fixture committed to a new git repository (as
/// `kit/<name>` inside it), for the rules that read the blueprint's git history.
fn lint_fails_in_git(name: &str) -> (BlueprintRepo, String) {
    let repo = BlueprintRepo::new(&format!("kit/{name}"));
    copy_dir(&fixture(name), &repo.dir());
    repo.commit("fixture");
    let output = svcgen()
        .current_dir(repo.root())
        .args(["blueprint", "lint", &format!("kit/{name}")])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    (repo, String::from_utf8(output.stderr).unwrap())
}

/// Checks that every expected line is printed, and that the fixture's findings are exactly
/// those: a one-rule fixture must not trip other rules.
fn assert_lines(stderr: &str, expected: &[&str]) {
    let findings = stderr
        .lines()
        .filter(|l| l.starts_with("error: kit/") && l.ends_with(']'))
        .count();
    let expected_findings = expected.iter().filter(|l| l.ends_with(']')).count();
    assert_eq!(findings, expected_findings, "{stderr}");
    for line in expected {
        assert!(
            stderr.lines().any(|l| l == *line),
            "missing line:\n{line}\nin:\n{stderr}"
        );
    }
}

/// A copy of a fixture in a temporary folder, for tests that write snapshots.
fn copy_of(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join(name);
    copy_dir(&fixture(name), &dest);
    (tmp, dest)
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn snapshot_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// ---- lint: one fixture per rule ----

#[test]
fn lint_rule_manifest_reports_every_manifest_problem() {
    let stderr = lint_fails("manifest");
    assert_lines(
        &stderr,
        &[
            "error: kit/manifest/blueprint.toml:5: choice variable `ci` needs `choices` [manifest]",
            "error: kit/manifest/blueprint.toml:9: `min`/`max` only apply to integer variables, `strict` is a bool [manifest]",
            // A template's own syntax does not depend on the manifest: reported in the same run.
            "error: kit/manifest/template/ci.md:5: template syntax error: expected tag or some content [template-syntax]",
            "error: kit/manifest: lint found 3 problems",
        ],
    );
}

#[test]
fn lint_rule_template_syntax_names_file_and_line() {
    let stderr = lint_fails("template-syntax");
    assert!(
        stderr.contains("error: kit/template-syntax/template/README.md:3: template syntax error: expected `or`, `and`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: kit/template-syntax/template/{{ name | snake_case.txt: path segment `{{ name | snake_case.txt`: template syntax error"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("[template-syntax]").count(), 2, "{stderr}");
    assert!(!stderr.contains("[test-matrix]"), "{stderr}");
}

#[test]
fn lint_rule_undeclared_variable_suggests_the_near_miss() {
    let stderr = lint_fails("undeclared-variable");
    assert_lines(
        &stderr,
        &[
            "error: kit/undeclared-variable/template/config.toml:4: template reads `prot`, which is not a declared variable (did you mean `port`?) [undeclared-variable]",
        ],
    );
}

#[test]
fn lint_rule_unused_variable_points_at_its_declaration() {
    let stderr = lint_fails("unused-variable");
    assert_lines(
        &stderr,
        &[
            "error: kit/unused-variable/blueprint.toml:9: variable `team` is declared but no template, path, condition or default reads it; remove it, or use it [unused-variable]",
        ],
    );
}

#[test]
fn lint_rule_declaration_order_names_both_lines() {
    let stderr = lint_fails("declaration-order");
    assert_lines(
        &stderr,
        &[
            "error: kit/declaration-order/blueprint.toml:7: `default` of `database_name` reads `service_prefix`, which is declared after it (line 9); answers are resolved in declaration order, so move `service_prefix` above `database_name` [declaration-order]",
        ],
    );
}

#[test]
fn lint_rule_unmatched_pattern_points_at_the_glob() {
    let stderr = lint_fails("unmatched-pattern");
    assert_lines(
        &stderr,
        &[
            "error: kit/unmatched-pattern/blueprint.toml:10: [[files.include]] pattern `.githb/**` matches no file under template/, so its condition `ci` never decides anything [unmatched-pattern]",
        ],
    );
}

#[test]
fn lint_rule_unsafe_path_explains_the_escape_and_the_fix() {
    let stderr = lint_fails("unsafe-path");
    assert_lines(
        &stderr,
        &[
            "error: kit/unsafe-path/template/{{ module }}/mod.rs: path segment `{{ module }}` could render outside the output folder: `module` is a string with no `validate` regex, so an answer such as `../../x` would write outside the output; pipe it through a case filter (`{{ module | kebab_case }}`) or give `module` a `validate` regex that rejects `/` and `..` [unsafe-path]",
        ],
    );
}

#[test]
fn lint_rule_test_matrix_catches_what_only_a_pairwise_variant_renders() {
    // The declared answer set renders; only split_config = false makes two files collide.
    let stderr = lint_fails("test-matrix");
    assert_lines(
        &stderr,
        &[
            "error: kit/test-matrix/template/{% if split_config %}app{% else %}config{% endif %}.toml: renders to `config.toml`, the same path as `config.toml`; fails in variant `pairwise-split_config=false` (split_config = false) [test-matrix]",
        ],
    );
}

#[test]
fn lint_rule_upgrade_test_checks_each_entry() {
    let stderr = lint_fails("upgrade-test");
    assert_lines(
        &stderr,
        &[
            "error: kit/upgrade-test/blueprint.toml:9: [[upgrade_tests]] entry 1: unknown field `patch`, expected one of `name`, `from`, `answers`, `patches`, `expect_conflicts` [upgrade-test]",
            "error: kit/upgrade-test/blueprint.toml:17: [[upgrade_tests]] `escapes`: patch path `../outside.patch` must be relative to the blueprint folder and stay inside it [upgrade-test]",
        ],
    );
}

#[test]
fn lint_rule_upgrade_ref_needs_git_and_a_resolvable_from() {
    let (_repo, stderr) = lint_fails_in_git("upgrade-ref");
    assert_lines(
        &stderr,
        &[
            "error: kit/upgrade-ref/blueprint.toml:11: [[upgrade_tests]] `from-a-typo`: `v0.9.O` is not a tag, branch or commit of the blueprint's git repository [upgrade-ref]",
        ],
    );

    // Outside any repository, there is no history to start from.
    let (_tmp, dir) = copy_of("upgrade-ref");
    let output = svcgen()
        .current_dir(dir.parent().unwrap())
        .args(["blueprint", "lint", "upgrade-ref"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("error: upgrade-ref/blueprint.toml:9: upgrade-ref is not inside a git repository; [[upgrade_tests]] read the version they start from (`from`) from the blueprint's git history [upgrade-ref]"),
        "{stderr}"
    );
}

#[test]
fn lint_rule_upgrade_patch_finds_missing_and_malformed_patches() {
    let (_repo, stderr) = lint_fails_in_git("upgrade-patch");
    assert_lines(
        &stderr,
        &[
            "error: kit/upgrade-patch/blueprint.toml:14: [[upgrade_tests]] `team-edits`: patch `upgrade-tests/missing.patch` does not exist (looked for kit/upgrade-patch/upgrade-tests/missing.patch) [upgrade-patch]",
            "error: kit/upgrade-patch/upgrade-tests/readme.patch:8: hunk `@@ -1,3 +1,4 @@` has more lines than its header counts [upgrade-patch]",
        ],
    );
}

#[test]
fn lint_rule_upgrade_answers_must_be_declared() {
    let (_repo, stderr) = lint_fails_in_git("upgrade-answers");
    assert_lines(
        &stderr,
        &[
            "error: kit/upgrade-answers/blueprint.toml:12: [[upgrade_tests]] `red` answers `colour`, which neither `HEAD` nor the working copy declares (did you mean `color`?) [upgrade-answers]",
        ],
    );
}

#[test]
fn lint_lists_every_problem_in_one_run() {
    let stderr = lint_fails("many");
    let problems: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error: kit/many/") && l.ends_with(']'))
        .collect();
    assert_eq!(problems.len(), 4, "{stderr}");
    for rule in [
        "[unused-variable]",
        "[unmatched-pattern]",
        "[undeclared-variable]",
        "[unsafe-path]",
    ] {
        assert!(
            problems.iter().any(|p| p.ends_with(rule)),
            "{rule}: {stderr}"
        );
    }
    assert!(
        stderr.contains("error: kit/many: lint found 4 problems"),
        "{stderr}"
    );
}

#[test]
fn builtin_blueprints_lint_clean() {
    for name in ["service", "minimal"] {
        svcgen()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["blueprint", "lint", &format!("blueprints/{name}")])
            .assert()
            .success()
            .stderr(predicate::str::contains(format!(
                "Linted blueprints/{name}: no problems"
            )));
    }
}

// ---- test: snapshots ----

#[test]
fn test_then_accept_then_test_round_trip() {
    let (_tmp, dir) = copy_of("tiny");
    let snapshots = dir.join("snapshots");

    svcgen()
        .args(["blueprint", "test"])
        .arg(&dir)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "variant defaults (defaults) has no snapshot",
        ))
        .stderr(predicate::str::contains(
            "Tested tiny: 4 variants (1 from [[tests]], 3 pairwise over rust, ci)",
        ));
    // Pending files for `cargo insta review`, no accepted snapshot yet.
    assert!(
        snapshot_names(&snapshots)
            .iter()
            .all(|n| n.ends_with(".snap.new")),
        "{:?}",
        snapshot_names(&snapshots)
    );

    svcgen()
        .args(["blueprint", "test", "--accept"])
        .arg(&dir)
        .assert()
        .success()
        .stderr(predicate::str::contains("Created"));
    assert_eq!(
        snapshot_names(&snapshots),
        [
            "tiny__defaults.snap",
            "tiny__pairwise-rust=false-ci=github.snap",
            "tiny__pairwise-rust=false-ci=none.snap",
            "tiny__pairwise-rust=true-ci=none.snap",
        ]
    );

    svcgen()
        .args(["blueprint", "test"])
        .arg(&dir)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "Matched pairwise-rust=false-ci=none",
        ));
}

#[test]
fn snapshot_mismatch_exits_non_zero_with_a_diff() {
    let (_tmp, dir) = copy_of("tiny");
    svcgen()
        .args(["blueprint", "test", "--accept"])
        .arg(&dir)
        .assert()
        .success();
    let readme = dir.join("template/README.md");
    let text = fs::read_to_string(&readme).unwrap();
    fs::write(
        &readme,
        text.replace("Rust: {{ rust }}", "Rust crate: {{ rust }}"),
    )
    .unwrap();

    let output = svcgen()
        .args(["blueprint", "test"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("error: variant defaults (defaults) does not match"),
        "{stderr}"
    );
    assert!(
        stderr.contains("    -Rust: true, CI: github\n    +Rust crate: true, CI: github\n"),
        "{stderr}"
    );
    assert!(stderr.contains("    @@ "), "{stderr}");
    assert!(
        stderr.contains("error: tiny: 4 of 4 variants failed"),
        "{stderr}"
    );
    let pending = dir.join("snapshots/tiny__defaults.snap.new");
    assert!(
        fs::read_to_string(&pending)
            .unwrap()
            .contains("Rust crate: true")
    );

    // Accepting clears the pending files and the failure.
    svcgen()
        .args(["blueprint", "test", "--accept"])
        .arg(&dir)
        .assert()
        .success()
        .stderr(predicate::str::contains("Updated"));
    assert!(!pending.exists());
    svcgen()
        .args(["blueprint", "test"])
        .arg(&dir)
        .assert()
        .success();
}

#[test]
fn obsolete_snapshots_are_reported_and_removed_on_accept() {
    let (_tmp, dir) = copy_of("tiny");
    svcgen()
        .args(["blueprint", "test", "--accept"])
        .arg(&dir)
        .assert()
        .success();
    let gone = dir.join("snapshots/tiny__renamed-test.snap");
    fs::write(&gone, "---\nsource: x\n---\nold\n").unwrap();
    svcgen()
        .args(["blueprint", "test"])
        .arg(&dir)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "tiny__renamed-test.snap is not produced by any variant; `--accept` deletes it",
        ));
    svcgen()
        .args(["blueprint", "test", "--accept"])
        .arg(&dir)
        .assert()
        .success()
        .stderr(predicate::str::contains("Removed"));
    assert!(!gone.exists());
}

#[test]
fn snapshots_can_live_elsewhere() {
    let (tmp, dir) = copy_of("tiny");
    let elsewhere = tmp.path().join("all-snapshots");
    svcgen()
        .args(["blueprint", "test", "--accept", "--snapshots"])
        .arg(&elsewhere)
        .arg(&dir)
        .assert()
        .success();
    assert_eq!(snapshot_names(&elsewhere).len(), 4);
    assert!(!dir.join("snapshots").exists());
}

#[test]
fn kit_snapshots_are_read_by_insta() {
    use svcgen::blueprint::Blueprint;
    use svcgen::blueprint::source::read_dir;
    use svcgen::kit::{matrix, snapshot, suite};
    use svcgen::render::render;

    let (tmp, dir) = copy_of("tiny");
    let snapshots = tmp.path().join("snaps");
    let blueprint = Blueprint::from_files("tiny", read_dir(&dir).unwrap()).unwrap();
    suite::run(&blueprint, &snapshots, true).unwrap();
    let variant = matrix::build(&blueprint).variants.remove(0);
    let text = snapshot::describe(&render(&blueprint, &variant.answers).unwrap());
    // insta compares the file svcgen wrote with the same output: it must see no difference.
    insta::with_settings!({
        snapshot_path => &snapshots,
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!("tiny__defaults", text);
    });
}

// ---- test --build ----

#[test]
fn build_failure_names_the_variant_and_shows_the_output() {
    let (tmp, dir) = copy_of("tiny");
    svcgen()
        .args(["blueprint", "test", "--accept"])
        .arg(&dir)
        .assert()
        .success();
    let output = svcgen()
        .env("CARGO_TARGET_DIR", tmp.path().join("target"))
        .args(["blueprint", "test", "--build", "--jobs", "2"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("Checked defaults"), "{stderr}");
    assert!(
        stderr.contains("Checked pairwise-rust=true-ci=none"),
        "{stderr}"
    );
    for variant in [
        "pairwise-rust=false-ci=github",
        "pairwise-rust=false-ci=none",
    ] {
        let headline = format!("error: variant {variant} (rust = false, ci = ");
        let at = stderr
            .find(&headline)
            .unwrap_or_else(|| panic!("{variant}: {stderr}"));
        let details = &stderr[at..];
        assert!(
            details.contains("failed (exit status: 7); rendered in "),
            "{stderr}"
        );
        assert!(
            details.contains(&format!("    checking {variant}\n    no Cargo.toml here\n")),
            "{stderr}"
        );
        // The failed variant's folder is kept for a look.
        let kept = details
            .split("rendered in ")
            .nth(1)
            .and_then(|rest| rest.split(":\n").next())
            .map(PathBuf::from)
            .unwrap();
        assert!(kept.join("README.md").is_file(), "{}", kept.display());
        assert!(!kept.join("Cargo.toml").exists());
        fs::remove_dir_all(kept).unwrap();
    }
    assert!(
        stderr.contains("error: tiny: the check command failed in 2 variants"),
        "{stderr}"
    );
}

#[test]
fn build_needs_a_check_command() {
    svcgen()
        .args(["blueprint", "test", "--build"])
        .arg(fixture("unused-variable"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "declares no check command; add `[check]`",
        ));
}

// ---- new ----

#[test]
fn new_blueprint_passes_lint_test_and_build_as_created() {
    let tmp = tempfile::tempdir().unwrap();
    svcgen()
        .current_dir(tmp.path())
        .args(["blueprint", "new", "acme-service"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "Created blueprint acme-service in acme-service",
        ));
    let dir = tmp.path().join("acme-service");
    let manifest = fs::read_to_string(dir.join("blueprint.toml")).unwrap();
    assert_eq!(manifest.matches("\n[variables.").count(), 1, "{manifest}");
    assert_eq!(
        manifest.matches("[[files.include]]").count(),
        1,
        "{manifest}"
    );
    assert_eq!(manifest.matches("[[tests]]").count(), 1, "{manifest}");

    svcgen()
        .current_dir(&dir)
        .args(["blueprint", "lint"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "Linted .: no problems, 2 test variants rendered",
        ));
    svcgen()
        .current_dir(&dir)
        .args(["blueprint", "test"])
        .assert()
        .success()
        .stderr(predicate::str::contains("Matched no-ci"))
        .stderr(predicate::str::contains("Matched pairwise-ci=true"));
    svcgen()
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", tmp.path().join("target"))
        .args(["blueprint", "test", "--build"])
        .assert()
        .success()
        .stderr(predicate::str::contains("Checked no-ci"));
    // Services can be made from it right away.
    svcgen()
        .current_dir(tmp.path())
        .args([
            "new",
            "orders",
            "--no-input",
            "--blueprint",
            "./acme-service",
        ])
        .assert()
        .success();
    assert!(tmp.path().join("orders/.github/workflows/ci.yml").is_file());
}

#[test]
fn new_blueprint_refuses_bad_names_and_taken_folders() {
    let tmp = tempfile::tempdir().unwrap();
    svcgen()
        .current_dir(tmp.path())
        .args(["blueprint", "new", "Acme"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("blueprint name `Acme` must start"));
    fs::create_dir(tmp.path().join("taken")).unwrap();
    fs::write(tmp.path().join("taken/file"), "x").unwrap();
    svcgen()
        .current_dir(tmp.path())
        .args(["blueprint", "new", "taken"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "destination exists and is not empty",
        ));
}

// ---- test: [[upgrade_tests]] ----

/// A git repository holding a blueprint in a subfolder, committed and tagged step by step like
/// a platform team's blueprint repository.
struct BlueprintRepo {
    tmp: tempfile::TempDir,
    folder: String,
    repo: git2::Repository,
}

impl BlueprintRepo {
    fn new(folder: &str) -> BlueprintRepo {
        let tmp = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(tmp.path()).unwrap();
        BlueprintRepo {
            tmp,
            folder: folder.to_owned(),
            repo,
        }
    }

    fn root(&self) -> &Path {
        self.tmp.path()
    }

    fn dir(&self) -> PathBuf {
        self.root().join(&self.folder)
    }

    fn write(&self, path: &str, text: &str) {
        let target = self.dir().join(path);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::write(target, text).unwrap();
    }

    fn remove(&self, path: &str) {
        fs::remove_file(self.dir().join(path)).unwrap();
    }

    fn commit(&self, message: &str) -> git2::Oid {
        let mut index = self.repo.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.update_all(["*"], None).unwrap();
        index.write().unwrap();
        let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
        let signature = git2::Signature::now("Platform", "platform@example.com").unwrap();
        let parent = self
            .repo
            .head()
            .ok()
            .and_then(|head| head.peel_to_commit().ok());
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        self.repo
            .commit(
                Some("HEAD"),
                &signature,
                &signature,
                message,
                &tree,
                &parents,
            )
            .unwrap()
    }

    fn tag(&self, name: &str) {
        let head = self.repo.head().unwrap().peel_to_commit().unwrap();
        self.repo
            .tag_lightweight(name, head.as_object(), false)
            .unwrap();
    }

    /// `svcgen blueprint test --upgrade-only shop`, run from the repository's root.
    fn upgrade_test(&self) -> (Option<i32>, String) {
        let output = svcgen()
            .current_dir(self.root())
            .args(["blueprint", "test", "--upgrade-only", &self.folder])
            .output()
            .unwrap();
        assert!(output.stdout.is_empty());
        (
            output.status.code(),
            String::from_utf8(output.stderr).unwrap(),
        )
    }
}

const SHOP_V1: &str = r#"[blueprint]
name = "shop"
version = "1.0.0"

[variables.greeting]
type = "string"
default = "hello"
"#;

const ROUTES_V1: &str = r#"// Routes of {{ name }}
pub fn routes() -> Vec<&'static str> {
    vec![
        "/health",
        // more routes here
    ]
}
"#;

const CONFIG_V1: &str = "greeting = \"{{ greeting }}\"\nport = 8080\n";

/// The team's edit: one route, added where the blueprint leaves room for it.
const ADD_ROUTE: &str = r#"diff --git a/src/routes.rs b/src/routes.rs
--- a/src/routes.rs
+++ b/src/routes.rs
@@ -2,5 +2,6 @@ pub fn routes() -> Vec<&'static str> {
 pub fn routes() -> Vec<&'static str> {
     vec![
         "/health",
+        "/orders",
         // more routes here
     ]
"#;

/// The team's edit of the line v2 of the blueprint also changes.
const CHANGE_PORT: &str = "--- a/config.toml\n+++ b/config.toml\n@@ -1,2 +1,2 @@\n greeting = \"hello\"\n-port = 8080\n+port = 7000\n";

/// A shop blueprint tagged `v1.0.0`, with the team's patches beside it, and its v2 in the
/// working copy: `routes.rs` and `config.toml` as given, `upgrade_tests` appended to the
/// manifest.
fn shop(routes_v2: &str, config_v2: &str, upgrade_tests: &str) -> BlueprintRepo {
    let repo = BlueprintRepo::new("shop");
    repo.write("blueprint.toml", SHOP_V1);
    repo.write("template/src/routes.rs", ROUTES_V1);
    repo.write("template/config.toml", CONFIG_V1);
    repo.write(
        "template/README.md",
        "# {{ name }}\n\nMade from the shop blueprint.\n",
    );
    repo.commit("shop 1.0.0");
    repo.tag("v1.0.0");

    repo.write(
        "blueprint.toml",
        &format!("{}{upgrade_tests}", SHOP_V1.replace("1.0.0", "2.0.0")),
    );
    repo.write("template/src/routes.rs", routes_v2);
    repo.write("template/config.toml", config_v2);
    repo.write(
        "template/README.md",
        "# {{ name }}\n\nMade from the shop blueprint.\n\n## Running\n\n`cargo run`\n",
    );
    repo.write("upgrade-tests/add-route.patch", ADD_ROUTE);
    repo.write("upgrade-tests/change-port.patch", CHANGE_PORT);
    repo.commit("shop 2.0.0");
    repo
}

const KEEPS_ROUTE: &str = r#"
[[upgrade_tests]]
name = "keeps-route"
from = "v1.0.0"
patches = ["upgrade-tests/add-route.patch"]
"#;

const PORT_CONFLICT: &str = r#"
[[upgrade_tests]]
name = "port-conflict"
from = "v1.0.0"
patches = ["upgrade-tests/change-port.patch"]
expect_conflicts = ["config.toml"]
"#;

/// Where a failed upgrade test left the updated service, from its message.
fn kept_dir(stderr: &str) -> PathBuf {
    let path = stderr
        .split("the updated service is in ")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .unwrap_or_else(|| panic!("no kept folder in: {stderr}"));
    PathBuf::from(path)
}

#[test]
fn upgrade_test_passes_when_the_edit_survives_and_the_conflict_is_expected() {
    let repo = shop(
        &ROUTES_V1.replace("// Routes of", "// HTTP routes of"),
        &CONFIG_V1.replace("8080", "9090"),
        &format!("{KEEPS_ROUTE}{PORT_CONFLICT}"),
    );
    let (code, stderr) = repo.upgrade_test();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("Upgrading keeps-route from `v1.0.0` to the working copy (1 patch)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Upgraded keeps-route: 1.0.0 -> 2.0.0, 1 hunk checked; files: 1 merged, 2 updated; conflicts: none"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Upgraded port-conflict: 1.0.0 -> 2.0.0, 1 hunk checked; files: 1 conflict, 2 updated; conflicts: config.toml"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Tested shop: 2 upgrade tests, 2 passed"),
        "{stderr}"
    );

    // lint agrees: the refs resolve, the patches parse, nothing is undeclared.
    svcgen()
        .current_dir(repo.root())
        .args(["blueprint", "lint", "shop"])
        .assert()
        .success()
        .stderr(predicate::str::contains("Linted shop: no problems"));
}

#[test]
fn upgrade_test_fails_naming_file_and_hunk_when_v2_drops_the_edited_region() {
    // v2 replaces the list the team added a route to: their edit now conflicts.
    let repo = shop(
        "// HTTP routes of {{ name }}\npub const ROUTES: &[&str] = &[\"/health\"];\n",
        CONFIG_V1,
        KEEPS_ROUTE,
    );
    let (code, stderr) = repo.upgrade_test();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("error: upgrade test `keeps-route`: src/routes.rs: unexpected conflict with hunk `@@ -2,5 +2,6 @@` of shop/upgrade-tests/add-route.patch:4; if the blueprint cannot avoid it, add the file to `expect_conflicts`\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: upgrade test `keeps-route` failed with 1 problem (1.0.0 -> 2.0.0, 1 hunk checked; files: 1 conflict, 1 updated; conflicts: src/routes.rs); the updated service is in "),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: shop: 1 of 1 upgrade test failed (keeps-route)"),
        "{stderr}"
    );
    let kept = kept_dir(&stderr);
    let routes = fs::read_to_string(kept.join("src/routes.rs")).unwrap();
    assert!(routes.contains("<<<<<<< yours"), "{routes}");
    assert!(routes.contains("\"/orders\","), "{routes}");
    fs::remove_dir_all(kept).unwrap();
}

#[test]
fn upgrade_test_fails_when_an_expected_conflict_does_not_happen() {
    // v2 leaves the port alone: the test expected a conflict that is not there any more.
    let repo = shop(ROUTES_V1, CONFIG_V1, PORT_CONFLICT);
    let (code, stderr) = repo.upgrade_test();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("error: upgrade test `port-conflict`: config.toml: expected a conflict (`expect_conflicts`), but the update's outcome for it is `unchanged`\n"),
        "{stderr}"
    );
    fs::remove_dir_all(kept_dir(&stderr)).unwrap();
}

#[test]
fn upgrade_test_fails_when_the_blueprint_moves_an_edited_file_without_a_rename() {
    let repo = shop(ROUTES_V1, CONFIG_V1, KEEPS_ROUTE);
    repo.remove("template/src/routes.rs");
    repo.write("template/src/http/routes.rs", ROUTES_V1);
    let (code, stderr) = repo.upgrade_test();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("error: upgrade test `keeps-route`: src/routes.rs: lost edit: the working copy no longer generates this file, so the edit from shop/upgrade-tests/add-route.patch:2 lives on in a file nothing maintains; if the file moved, declare it in [[files.renames]]"),
        "{stderr}"
    );
    fs::remove_dir_all(kept_dir(&stderr)).unwrap();

    // Declaring the move carries the edit along: the test passes.
    let manifest = fs::read_to_string(repo.dir().join("blueprint.toml")).unwrap();
    repo.write(
        "blueprint.toml",
        &format!(
            "{manifest}\n[[files.renames]]\nfrom = \"src/routes.rs\"\nto = \"src/http/routes.rs\"\n"
        ),
    );
    let (code, stderr) = repo.upgrade_test();
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn upgrade_test_with_a_stale_patch_names_the_patch_line() {
    let repo = shop(ROUTES_V1, CONFIG_V1, KEEPS_ROUTE);
    repo.write(
        "upgrade-tests/add-route.patch",
        &ADD_ROUTE.replace("\"/health\",\n+", "\"/healthz\",\n+"),
    );
    let (code, stderr) = repo.upgrade_test();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("error: upgrade test `keeps-route` could not run: shop/upgrade-tests/add-route.patch:4: hunk `@@ -2,5 +2,6 @@` does not apply to `src/routes.rs`: line 4 is `        \"/health\",`, the hunk expects `        \"/healthz\",` (and its lines are nowhere else in the file) in the render of `v1.0.0`\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: shop: 1 of 1 upgrade test failed (keeps-route)"),
        "{stderr}"
    );
}

#[test]
fn upgrade_tests_run_with_the_snapshots_unless_told_otherwise() {
    let repo = shop(
        ROUTES_V1,
        CONFIG_V1,
        "\n[[upgrade_tests]]\nname = \"typo\"\nfrom = \"v1.0.O\"\n",
    );
    svcgen()
        .current_dir(repo.root())
        .args(["blueprint", "test", "--accept", "shop"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("Created"))
        .stderr(predicate::str::contains(
            "error: upgrade test `typo` could not run: `v1.0.O` is not a tag, branch or commit of the blueprint's git repository",
        ));
    svcgen()
        .current_dir(repo.root())
        .args(["blueprint", "test", "--no-upgrade", "shop"])
        .assert()
        .success()
        .stderr(predicate::str::contains("Upgrading").not());
}

#[test]
fn upgrade_test_answers_go_to_the_version_that_declares_them() {
    // `greeting` renders v1 (the patch's context only fits if it did); `region` exists only in
    // v2, so it is given to the update, as `svcgen update --set` would.
    let repo = shop(
        ROUTES_V1,
        &format!("region = \"{{{{ region }}}}\"\n{CONFIG_V1}"),
        r#"
# No default: the update fails unless the test's answer reaches it.
[variables.region]
type = "string"

[[tests]]
name = "us"
answers = { region = "us" }

[[upgrade_tests]]
name = "answers"
from = "v1.0.0"
answers = { name = "orders", greeting = "hi", region = "us" }
patches = ["upgrade-tests/port.patch"]
"#,
    );
    repo.write(
        "upgrade-tests/port.patch",
        &CHANGE_PORT.replace("\"hello\"", "\"hi\""),
    );
    let (code, stderr) = repo.upgrade_test();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("Upgraded answers: 1.0.0 -> 2.0.0, 1 hunk checked; files: 1 merged"),
        "{stderr}"
    );
    svcgen()
        .current_dir(repo.root())
        .args(["blueprint", "lint", "shop"])
        .assert()
        .success();

    // Without the answer, the update has no value for `region`, and says where to give one.
    let manifest = fs::read_to_string(repo.dir().join("blueprint.toml")).unwrap();
    repo.write(
        "blueprint.toml",
        &manifest.replace(", region = \"us\" }", " }"),
    );
    let (code, stderr) = repo.upgrade_test();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("error: upgrade test `answers` could not run: no answer for `region`, which has no default; add it to the test's `answers`\n"),
        "{stderr}"
    );
}

#[test]
fn upgrade_only_needs_upgrade_tests_and_reports_malformed_ones() {
    svcgen()
        .args(["blueprint", "test", "--upgrade-only"])
        .arg(fixture("tiny"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--upgrade-only: blueprint `tiny` declares no [[upgrade_tests]]",
        ));
    // The same findings as lint, from `test` itself: a malformed entry is not skipped silently.
    let output = svcgen()
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"))
        .args(["blueprint", "test", "--upgrade-only", "kit/upgrade-test"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("error: kit/upgrade-test/blueprint.toml:9: [[upgrade_tests]] entry 1: unknown field `patch`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: broken: 2 [[upgrade_tests]] entries could not be read; `svcgen blueprint lint` lists them too"),
        "{stderr}"
    );
}

// ---- lint: version-not-bumped (a warning) ----

/// `svcgen blueprint lint shop` from the repository's root: its exit code and stderr.
fn lint_shop(repo: &BlueprintRepo) -> (Option<i32>, String) {
    let output = svcgen()
        .current_dir(repo.root())
        .args(["blueprint", "lint", &repo.folder])
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn lint_warns_when_the_blueprint_changed_since_its_release_without_a_version_bump() {
    let repo = BlueprintRepo::new("shop");
    repo.write("blueprint.toml", SHOP_V1);
    repo.write("template/src/routes.rs", ROUTES_V1);
    repo.write("template/config.toml", CONFIG_V1);
    repo.write(".gitignore", "*.orig\n");
    repo.commit("shop 1.0.0");
    repo.tag("v1.0.0");
    // A file git ignores is not part of the blueprint's change.
    repo.write("template/config.toml.orig", "leftover\n");

    let (code, stderr) = lint_shop(&repo);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("version-not-bumped"), "{stderr}");

    // Changed, committed or not, with the version still 1.0.0: a warning, and lint passes.
    repo.write("template/config.toml", &CONFIG_V1.replace("8080", "9090"));
    let (code, stderr) = lint_shop(&repo);
    assert_eq!(code, Some(0), "{stderr}");
    let version_line = SHOP_V1
        .lines()
        .position(|line| line.starts_with("version"))
        .unwrap()
        + 1;
    assert!(
        stderr.contains(&format!(
            "warning: shop/blueprint.toml:{version_line}: the blueprint differs from its release v1.0.0 (template/config.toml) but `version` is still 1.0.0; bump it (to 1.1.0, say) so services are offered the change [version-not-bumped]"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("no problems (1 warning)"), "{stderr}");

    // Bumped: nothing to say.
    repo.write("blueprint.toml", &SHOP_V1.replace("1.0.0", "1.1.0"));
    let (code, stderr) = lint_shop(&repo);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("version-not-bumped"), "{stderr}");
}
