//! Where a service's blueprint lives, and what happens when it moves: blueprints in folders of
//! a git repository of several (`URL#REF:FOLDER`), per-blueprint version tags, a local
//! blueprint folder recorded relative to a service in the same repository, and
//! `svcgen update --blueprint` for a blueprint that moved.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

// ---------------------------------------------------------------------------------------------
// Harness

fn signature() -> git2::Signature<'static> {
    git2::Signature::now("Platform", "platform@example.com").unwrap()
}

/// Stages everything (new, changed, deleted) in the repository at `dir` and commits it.
fn commit_all(dir: &Path, message: &str) {
    let repo = git2::Repository::open(dir).unwrap();
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.update_all(["*"], None).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let parent = repo.head().ok().map(|h| h.peel_to_commit().unwrap());
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    repo.commit(
        Some("HEAD"),
        &signature(),
        &signature(),
        message,
        &tree,
        &parents,
    )
    .unwrap();
}

fn tag(dir: &Path, name: &str) {
    let repo = git2::Repository::open(dir).unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    repo.tag_lightweight(name, head.as_object(), false).unwrap();
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A blueprint named `name` at `version` in `dir`: a README with a line that says which
/// version wrote it, and a line for the team to edit.
fn write_blueprint(dir: &Path, name: &str, version: &str) {
    write(
        &dir.join("blueprint.toml"),
        &format!("[blueprint]\nname = \"{name}\"\nversion = \"{version}\"\n"),
    );
    write(
        &dir.join("template/README.md"),
        &format!(
            "# {{{{ name }}}}\n\nMade from {name}.\n\nOwners: nobody yet.\n\n\n\nBlueprint {version}.\n"
        ),
    );
}

fn svcgen(cache: &Path) -> Command {
    let mut cmd = Command::cargo_bin("svcgen").unwrap();
    cmd.env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", cache)
        .env("GIT_AUTHOR_NAME", "Test");
    cmd
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[track_caller]
fn assert_code(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}

#[track_caller]
fn assert_contains(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "expected to find {needle:?} in:\n{haystack}"
    );
}

/// `source = "..."` of a service's record.
fn recorded_source(service: &Path) -> String {
    let record = read(&service.join(".svcgen/record.toml"));
    let line = record
        .lines()
        .find(|l| l.starts_with("source = "))
        .unwrap_or_else(|| panic!("no source in:\n{record}"));
    line["source = ".len()..].trim_matches('"').to_owned()
}

fn recorded_version(service: &Path) -> String {
    let record = read(&service.join(".svcgen/record.toml"));
    let line = record
        .lines()
        .find(|l| l.starts_with("version = "))
        .unwrap_or_else(|| panic!("no version in:\n{record}"));
    line["version = ".len()..].trim_matches('"').to_owned()
}

/// A platform team's repository of two blueprints, `blueprints/service` (named `svc`) and
/// `blueprints/worker` (named `worker`): both at 1.0.0 tagged `v1.0.0`, then both at 1.1.0
/// tagged `v1.1.0`.
struct Blueprints {
    tmp: tempfile::TempDir,
}

impl Blueprints {
    fn publish() -> Blueprints {
        let blueprints = Blueprints {
            tmp: tempfile::tempdir().unwrap(),
        };
        let repo = blueprints.repo();
        git2::Repository::init(&repo).unwrap();
        for version in ["1.0.0", "1.1.0"] {
            write_blueprint(&repo.join("blueprints/service"), "svc", version);
            write_blueprint(&repo.join("blueprints/worker"), "worker", version);
            commit_all(&repo, &format!("Blueprints {version}"));
            tag(&repo, &format!("v{version}"));
        }
        blueprints
    }

    fn repo(&self) -> PathBuf {
        self.tmp.path().join("platform")
    }

    fn url(&self) -> String {
        format!("file://{}", self.repo().display())
    }

    fn cache(&self) -> PathBuf {
        self.tmp.path().join("cache")
    }

    fn svcgen(&self) -> Command {
        svcgen(&self.cache())
    }

    /// `svcgen new NAME --blueprint SOURCE`, a git repository in the temp dir.
    fn new_service(&self, name: &str, source: &str) -> PathBuf {
        let dir = self.tmp.path().join(name);
        let output = self
            .svcgen()
            .args(["new", name, "--no-input", "--blueprint", source, "--output"])
            .arg(&dir)
            .output()
            .unwrap();
        assert_code(&output, 0);
        dir
    }

    fn run(&self, service: &Path, args: &[&str]) -> Output {
        self.svcgen()
            .current_dir(service)
            .args(args)
            .output()
            .unwrap()
    }
}

// ---------------------------------------------------------------------------------------------
// Git sources with a folder

#[test]
fn services_are_made_checked_and_updated_from_folders_of_one_repository() {
    let blueprints = Blueprints::publish();
    let url = blueprints.url();
    let api = blueprints.new_service("api", &format!("{url}#v1.0.0:blueprints/service"));
    let jobs = blueprints.new_service("jobs", &format!("{url}#v1.0.0:blueprints/worker"));

    // Each service is made from its own folder, and records it.
    assert_contains(&read(&api.join("README.md")), "Made from svc.");
    assert_contains(&read(&jobs.join("README.md")), "Made from worker.");
    assert_contains(&read(&api.join("README.md")), "Blueprint 1.0.0.");
    assert_eq!(
        recorded_source(&api),
        format!("{url}#v1.0.0:blueprints/service")
    );
    assert_eq!(
        recorded_source(&jobs),
        format!("{url}#v1.0.0:blueprints/worker")
    );

    // Both are behind: 1.1.0 is tagged.
    for (service, blueprint) in [(&api, "svc"), (&jobs, "worker")] {
        let output = blueprints.run(service, &["check"]);
        assert_code(&output, 1);
        assert_contains(
            &stdout(&output),
            &format!("blueprint {blueprint} 1.0.0 (current), 1.1.0 (available): behind"),
        );
    }

    // The team's edit survives the update; the record names the folder at the new tag.
    let readme = api.join("README.md");
    write(
        &readme,
        &read(&readme).replace("Owners: nobody yet.", "Owners: the api team."),
    );
    commit_all(&api, "Name the owners");
    let output = blueprints.run(&api, &["update", "--no-input"]);
    assert_code(&output, 0);
    let readme = read(&readme);
    assert_contains(&readme, "Owners: the api team.");
    assert_contains(&readme, "Blueprint 1.1.0.");
    assert_contains(&readme, "Made from svc.");
    assert_eq!(
        recorded_source(&api),
        format!("{url}#v1.1.0:blueprints/service")
    );
    assert_eq!(recorded_version(&api), "1.1.0");
    assert_code(&blueprints.run(&api, &["check"]), 0);

    // `--to` a version finds the tag, in the folder.
    let output = blueprints.run(&jobs, &["update", "--no-input", "--to", "1.1.0"]);
    assert_code(&output, 0);
    assert_contains(&read(&jobs.join("README.md")), "Made from worker.");
    assert_eq!(
        recorded_source(&jobs),
        format!("{url}#v1.1.0:blueprints/worker")
    );
}

#[test]
fn a_folder_without_a_ref_is_the_default_branch_and_a_missing_folder_is_named() {
    let blueprints = Blueprints::publish();
    let url = blueprints.url();
    let jobs = blueprints.new_service("jobs", &format!("{url}#:blueprints/worker"));
    assert_contains(&read(&jobs.join("README.md")), "Blueprint 1.1.0.");
    assert_eq!(recorded_source(&jobs), format!("{url}#:blueprints/worker"));
    assert_code(&blueprints.run(&jobs, &["check"]), 0);

    let output = blueprints
        .svcgen()
        .current_dir(blueprints.tmp.path())
        .args(["new", "other", "--no-input", "--blueprint"])
        .arg(format!("{url}#v1.0.0:blueprints/nothing"))
        .output()
        .unwrap();
    assert_code(&output, 1);
    assert_contains(
        &stderr(&output),
        "the repository has no folder `blueprints/nothing` at this commit",
    );
}

#[test]
fn a_blueprint_in_a_folder_follows_its_own_tags_once_it_has_them() {
    let blueprints = Blueprints::publish();
    let url = blueprints.url();
    let repo = blueprints.repo();
    let jobs = blueprints.new_service("jobs", &format!("{url}#v1.0.0:blueprints/worker"));

    // The service blueprint goes on with plain tags; the worker gets its own, `worker/v…`.
    write_blueprint(&repo.join("blueprints/service"), "svc", "9.0.0");
    commit_all(&repo, "svc 9.0.0");
    tag(&repo, "v9.0.0");
    write_blueprint(&repo.join("blueprints/worker"), "worker", "1.2.0");
    commit_all(&repo, "worker 1.2.0");
    tag(&repo, "worker/v1.2.0");
    write_blueprint(&repo.join("blueprints/worker"), "worker", "1.3.0");
    commit_all(&repo, "worker 1.3.0");
    tag(&repo, "worker-v1.3.0");

    let output = blueprints.run(&jobs, &["check"]);
    assert_code(&output, 1);
    assert_contains(
        &stdout(&output),
        "blueprint worker 1.0.0 (current), 1.3.0 (available)",
    );
    let output = blueprints.run(&jobs, &["update", "--no-input", "--to", "1.2.0"]);
    assert_code(&output, 0);
    assert_eq!(
        recorded_source(&jobs),
        format!("{url}#worker/v1.2.0:blueprints/worker")
    );
    assert_contains(&read(&jobs.join("README.md")), "Blueprint 1.2.0.");
}

// ---------------------------------------------------------------------------------------------
// Local blueprint folders

#[test]
fn a_blueprint_folder_in_the_services_repository_is_recorded_relative_and_survives_a_move() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let mono = tmp.path().join("mono");
    git2::Repository::init(&mono).unwrap();
    write_blueprint(&mono.join("blueprints/svc"), "svc", "1.0.0");
    std::fs::create_dir_all(mono.join("services")).unwrap();
    let output = svcgen(&cache)
        .current_dir(mono.join("services"))
        .args([
            "new",
            "orders",
            "--no-input",
            "--no-git",
            "--blueprint",
            "../blueprints/svc",
        ])
        .output()
        .unwrap();
    assert_code(&output, 0);
    let service = mono.join("services/orders");
    assert_eq!(recorded_source(&service), "../../blueprints/svc");
    commit_all(&mono, "Blueprint and orders");

    // The whole repository moves (or is cloned elsewhere): the record still points right.
    let moved = tmp.path().join("elsewhere/mono");
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    std::fs::rename(&mono, &moved).unwrap();
    let service = moved.join("services/orders");
    let output = svcgen(&cache)
        .current_dir(&service)
        .arg("check")
        .output()
        .unwrap();
    assert_code(&output, 0);

    // A new version of the blueprint, found where the record says relative to the service.
    write_blueprint(&moved.join("blueprints/svc"), "svc", "1.1.0");
    commit_all(&moved, "svc 1.1.0");
    let output = svcgen(&cache)
        .current_dir(&service)
        .arg("check")
        .output()
        .unwrap();
    assert_code(&output, 1);
    assert_contains(&stdout(&output), "1.1.0 (available)");
    let output = svcgen(&cache)
        .args(["update", "--no-input", "--service"])
        .arg(&service)
        .output()
        .unwrap();
    assert_code(&output, 0);
    assert_contains(&read(&service.join("README.md")), "Blueprint 1.1.0.");
    assert_eq!(recorded_source(&service), "../../blueprints/svc");

    // A blueprint folder outside the service's repository is recorded absolute, as before.
    let outside = tmp.path().join("outside-bp");
    write_blueprint(&outside, "svc", "1.0.0");
    let output = svcgen(&cache)
        .current_dir(moved.join("services"))
        .args(["new", "billing", "--no-input", "--no-git", "--blueprint"])
        .arg(&outside)
        .output()
        .unwrap();
    assert_code(&output, 0);
    assert_eq!(
        recorded_source(&moved.join("services/billing")),
        outside.display().to_string()
    );
}

#[test]
fn a_moved_blueprint_folder_is_named_and_update_blueprint_records_where_it_went() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let old = tmp.path().join("bp");
    write_blueprint(&old, "svc", "1.0.0");
    let service = tmp.path().join("orders");
    let output = svcgen(&cache)
        .args(["new", "orders", "--no-input", "--blueprint"])
        .arg(&old)
        .arg("--output")
        .arg(&service)
        .output()
        .unwrap();
    assert_code(&output, 0);

    let new = tmp.path().join("platform/bp");
    std::fs::create_dir_all(new.parent().unwrap()).unwrap();
    std::fs::rename(&old, &new).unwrap();

    let expected = format!(
        "cannot find the blueprint this service records, `{}` (no such folder); if it moved, point the service at it with `svcgen update --blueprint <SOURCE>`",
        old.display()
    );
    let run = |args: &[&str]| {
        svcgen(&cache)
            .current_dir(&service)
            .args(args)
            .output()
            .unwrap()
    };
    let output = run(&["check"]);
    assert_code(&output, 2);
    assert_contains(&stderr(&output), &expected);
    let output = run(&["update", "--no-input"]);
    assert_code(&output, 1);
    assert_contains(&stderr(&output), &expected);
    let output = run(&["add-event", "OrderPlaced", "--field", "total:cents"]);
    assert_code(&output, 1);
    assert_contains(&stderr(&output), &expected);

    // A dry run shows the new source and writes nothing.
    let record_before = read(&service.join(".svcgen/record.toml"));
    let new_arg = new.display().to_string();
    let output = run(&["update", "--no-input", "--dry-run", "--blueprint", &new_arg]);
    assert_code(&output, 0);
    assert_contains(
        &stderr(&output),
        &format!("source {} -> {} (--dry-run)", old.display(), new.display()),
    );
    assert_eq!(read(&service.join(".svcgen/record.toml")), record_before);

    let output = run(&["update", "--no-input", "--blueprint", &new_arg]);
    assert_code(&output, 0);
    assert_eq!(recorded_source(&service), new_arg);
    assert_code(&run(&["check"]), 0);

    // A blueprint of another name is not taken for this one.
    let other = tmp.path().join("other");
    write_blueprint(&other, "worker", "1.0.0");
    let output = run(&[
        "update",
        "--no-input",
        "--allow-dirty",
        "--blueprint",
        &other.display().to_string(),
    ]);
    assert_code(&output, 2);
    assert_contains(
        &stderr(&output),
        "is blueprint `worker`, and this service was made from blueprint `svc`",
    );
}

#[test]
fn update_blueprint_points_a_service_at_a_repository_that_moved() {
    let blueprints = Blueprints::publish();
    let old_url = blueprints.url();
    let api = blueprints.new_service("api", &format!("{old_url}#v1.0.0:blueprints/service"));
    let moved = blueprints.tmp.path().join("platform-moved");
    std::fs::rename(blueprints.repo(), &moved).unwrap();
    // Without its cache, the repository cannot be found at all.
    std::fs::remove_dir_all(blueprints.cache()).unwrap();
    let output = blueprints.run(&api, &["check"]);
    assert_code(&output, 2);
    assert_contains(
        &stderr(&output),
        &format!(
            "cannot find the blueprint this service records, `{old_url}#v1.0.0:blueprints/service` (fetching blueprint {old_url}"
        ),
    );
    assert_contains(&stderr(&output), "svcgen update --blueprint <SOURCE>");

    let new_url = format!("file://{}", moved.display());
    let new_source = format!("{new_url}#v1.0.0:blueprints/service");
    // `--to` the service's version: only the record changes.
    let output = blueprints.run(
        &api,
        &[
            "update",
            "--no-input",
            "--to",
            "1.0.0",
            "--blueprint",
            &new_source,
        ],
    );
    assert_code(&output, 0);
    assert_eq!(recorded_source(&api), new_source);
    assert_eq!(recorded_version(&api), "1.0.0");
    assert_contains(&read(&api.join("README.md")), "Blueprint 1.0.0.");
    commit_all(&api, "Blueprint moved");

    // From then on the service follows the new place.
    let output = blueprints.run(&api, &["update", "--no-input"]);
    assert_code(&output, 0);
    assert_eq!(
        recorded_source(&api),
        format!("{new_url}#v1.1.0:blueprints/service")
    );
}

#[test]
fn lint_compares_a_blueprint_in_a_folder_with_its_own_release_tag() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    git2::Repository::init(repo).unwrap();
    write_blueprint(&repo.join("blueprints/worker"), "worker", "1.0.0");
    commit_all(repo, "worker 1.0.0");
    tag(repo, "worker-v1.0.0");
    let readme = repo.join("blueprints/worker/template/README.md");
    write(
        &readme,
        &read(&readme).replace("nobody yet", "ask #platform"),
    );
    let output = svcgen(&tmp.path().join("cache"))
        .current_dir(repo)
        .args(["blueprint", "lint", "blueprints/worker"])
        .output()
        .unwrap();
    assert_code(&output, 0);
    assert_contains(
        &stderr(&output),
        "the blueprint differs from its release worker-v1.0.0 (template/README.md) but `version` is still 1.0.0",
    );
}

#[test]
fn an_upgrade_test_from_a_version_starts_from_the_folders_own_tag() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    git2::Repository::init(repo).unwrap();
    let worker = repo.join("blueprints/worker");
    write_blueprint(&worker, "worker", "1.0.0");
    commit_all(repo, "worker 1.0.0");
    tag(repo, "worker-v1.0.0");
    write_blueprint(&worker, "worker", "1.1.0");
    let manifest = worker.join("blueprint.toml");
    write(
        &manifest,
        &format!(
            "{}\n[[upgrade_tests]]\nname = \"from-the-first-release\"\nfrom = \"v1.0.0\"\n",
            read(&manifest)
        ),
    );
    let output = svcgen(&tmp.path().join("cache"))
        .current_dir(repo)
        .args(["blueprint", "test", "--upgrade-only", "blueprints/worker"])
        .output()
        .unwrap();
    assert_code(&output, 0);
    assert_contains(&stderr(&output), "1 passed");
}

#[test]
fn a_fleet_check_names_the_lost_blueprint_for_each_service() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let old = tmp.path().join("bp");
    write_blueprint(&old, "svc", "1.0.0");
    let services = tmp.path().join("services");
    for name in ["a", "b"] {
        let output = svcgen(&cache)
            .current_dir(tmp.path())
            .args(["new", name, "--no-input", "--blueprint", "./bp", "--output"])
            .arg(services.join(name))
            .output()
            .unwrap();
        assert_code(&output, 0);
    }
    std::fs::rename(&old, tmp.path().join("bp2")).unwrap();
    let output = svcgen(&cache)
        .args(["check", "--all"])
        .arg(&services)
        .output()
        .unwrap();
    assert_code(&output, 2);
    let table = stdout(&output);
    for name in ["a ", "b "] {
        let row = table
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no row {name} in:\n{table}"));
        assert_contains(row, "svcgen update --blueprint <SOURCE>");
    }

    // Pointed at the new place (a new version there) by a path relative to where svcgen runs:
    // the record names the folder absolute, without `..`.
    write_blueprint(&tmp.path().join("bp2"), "svc", "1.1.0");
    let output = svcgen(&cache)
        .current_dir(services.join("a"))
        .args([
            "update",
            "--no-input",
            "--to",
            "1.1.0",
            "--blueprint",
            "../../bp2",
        ])
        .output()
        .unwrap();
    assert_code(&output, 0);
    assert_eq!(
        recorded_source(&services.join("a")),
        tmp.path().join("bp2").display().to_string()
    );
}
