//! `svcgen update`, `check` and `diff` as a team meets them: a service made from version 1 of a
//! blueprint, edited by its team, brought to versions 2 and 3.
//!
//! The blueprint (tests/fixtures/update/v1, v2, v3) is committed into a fresh local git
//! repository with one tag per version, exactly how a platform team publishes one; services are
//! made from `file://...#v1.0.0` and updated with `--to` or to the newest tag.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

// ---------------------------------------------------------------------------------------------
// Harness

fn fixture(version: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/update")
        .join(version)
}

fn signature() -> git2::Signature<'static> {
    git2::Signature::now("Test", "test@example.com").unwrap()
}

/// Stages everything (new, changed, deleted) and commits it.
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

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            // fs::copy keeps the permission bits, so executable templates stay executable.
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file under `dir` but `.git`, with its bytes and executable bit.
fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, bool)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy();
            (
                rel.replace('\\', "/"),
                (std::fs::read(e.path()).unwrap(), is_executable(e.path())),
            )
        })
        .collect()
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &Path) -> bool {
    false
}

#[cfg(unix)]
fn set_executable(path: &Path, executable: bool) {
    use std::os::unix::fs::PermissionsExt;
    let mode = if executable { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The blueprint as a git repository with tags v1.0.0, v2.0.0 and v3.0.0.
fn publish_blueprint(root: &Path, versions: &[&str]) -> String {
    let repo_dir = root.join("blueprint");
    std::fs::create_dir_all(&repo_dir).unwrap();
    let repo = git2::Repository::init(&repo_dir).unwrap();
    for version in versions {
        // Replace the working tree with this version.
        for entry in std::fs::read_dir(&repo_dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().unwrap() != ".git" {
                if path.is_dir() {
                    std::fs::remove_dir_all(&path).unwrap();
                } else {
                    std::fs::remove_file(&path).unwrap();
                }
            }
        }
        copy_dir(&fixture(version), &repo_dir);
        commit_all(&repo_dir, &format!("Blueprint {version}"));
        let head = repo.head().unwrap().peel_to_commit().unwrap();
        let number = version.trim_start_matches('v');
        repo.tag_lightweight(&format!("v{number}.0.0"), head.as_object(), false)
            .unwrap();
    }
    format!("file://{}", repo_dir.display())
}

/// A service made from the fixture blueprint's v1.0.0 tag, committed, in its own temp dir.
struct Service {
    tmp: tempfile::TempDir,
    dir: PathBuf,
    url: String,
}

impl Service {
    fn new() -> Service {
        Service::with_args(&[])
    }

    fn with_args(extra: &[&str]) -> Service {
        let tmp = tempfile::tempdir().unwrap();
        let url = publish_blueprint(tmp.path(), &["v1", "v2", "v3"]);
        let dir = tmp.path().join("svc");
        let mut service = Service { tmp, dir, url };
        let mut cmd = service.svcgen();
        cmd.current_dir(service.tmp.path())
            .args(["new", "svc", "--no-input", "--blueprint"])
            .arg(format!("{}#v1.0.0", service.url))
            .args(extra)
            .arg("--output")
            .arg(&service.dir)
            .assert()
            .success();
        service.dir = std::fs::canonicalize(&service.dir).unwrap();
        service
    }

    fn svcgen(&self) -> Command {
        let mut cmd = Command::cargo_bin("svcgen").unwrap();
        cmd.env("NO_COLOR", "1")
            .env("XDG_CACHE_HOME", self.tmp.path().join("cache"))
            .env("GIT_AUTHOR_NAME", "Test")
            .current_dir(&self.dir);
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.svcgen().args(args).output().unwrap()
    }

    fn update(&self, args: &[&str]) -> Output {
        let mut all = vec!["update", "--no-input"];
        all.extend_from_slice(args);
        self.run(&all)
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn bytes(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn exists(&self, rel: &str) -> bool {
        self.path(rel).exists()
    }

    fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    /// Replaces `old` by `new` in a file, which must contain it.
    fn edit(&self, rel: &str, old: &str, new: &str) {
        let text = self.read(rel);
        assert!(
            text.contains(old),
            "{rel} does not contain {old:?}:\n{text}"
        );
        self.write(rel, text.replacen(old, new, 1));
    }

    fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path(rel)).unwrap();
    }

    fn commit(&self, message: &str) {
        commit_all(&self.dir, message);
    }

    fn head_message(&self) -> String {
        let repo = git2::Repository::open(&self.dir).unwrap();
        let head = repo.head().unwrap().peel_to_commit().unwrap();
        head.message().unwrap().to_owned()
    }

    fn commit_count(&self) -> usize {
        let repo = git2::Repository::open(&self.dir).unwrap();
        let mut walk = repo.revwalk().unwrap();
        walk.push_head().unwrap();
        walk.count()
    }

    fn is_clean(&self) -> bool {
        let repo = git2::Repository::open(&self.dir).unwrap();
        let mut options = git2::StatusOptions::new();
        options.include_untracked(true);
        let statuses = repo.statuses(Some(&mut options)).unwrap();
        statuses.is_empty()
    }

    fn record(&self) -> String {
        self.read(".svcgen/record.toml")
    }
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

/// Fails showing the whole of `haystack`, so a missing line is seen in its context.
#[track_caller]
fn assert_contains(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "expected to find {needle:?} in:\n{haystack}"
    );
}

/// The rendered v1 README of a service named `svc` with default answers.
const README_V1: &str = "# svc

The svc service

## Running

Start it with `make run`.
It listens on port 8080.

## Testing

Run `make test`.
Tests need a database.

## Deploying

Deploy with the pipeline.

Ask the platform team for access.
";

// ---------------------------------------------------------------------------------------------
// Scenarios

#[test]
fn s01_new_writes_the_base_with_every_generated_file() {
    let svc = Service::new();
    assert_eq!(svc.read("README.md"), README_V1);
    let base = svc.read(".svcgen/base");
    assert!(base.starts_with("# Written by svcgen"), "{base}");
    for line in [
        "file managed 644 ",
        " text README.md",
        " - assets/logo.bin",
        "file seed 644 ",
        " - src/example.rs",
        "file user 644 ",
        "file managed 755 ",
        " text scripts/run.sh",
    ] {
        assert!(
            base.contains(line),
            "{line:?} missing from the base:\n{base}"
        );
    }
    assert!(
        !base.contains(".svcgen/record.toml"),
        "svcgen's own files are not in the base"
    );
    assert!(svc.is_clean(), "new commits the base too");
}

#[test]
fn s02_untouched_service_takes_every_blueprint_change() {
    let svc = Service::new();
    let out = svc.update(&["--to", "v2.0.0"]);
    assert_code(&out, 0);
    let readme = svc.read("README.md");
    assert!(readme.starts_with("# Svc\n"), "{readme}");
    assert_contains(&readme, "Deploy with the v2 pipeline.");
    assert_eq!(svc.read("src/added.rs"), "pub fn added() {}\n");
    assert!(!svc.exists("obsolete.txt"));
    assert!(!svc.exists("old-name.txt"));
    assert_eq!(
        svc.read("docs/moved.txt"),
        "a file that moves\nline 2\nline 3\nline 4\nline 5\nline 6 (v2)\n"
    );
    assert_eq!(
        svc.read("scripts/run.sh"),
        "#!/bin/sh\nset -eu\nexec ./target/release/svc\n"
    );
    let record = svc.record();
    assert_contains(&record, "version = \"2.0.0\"");
    assert!(
        record.contains("#v2.0.0\""),
        "the record follows the tag: {record}"
    );
    let err = stderr(&out);
    assert_contains(&err, "Updated svc from blueprint upd 1.0.0 to 2.0.0");
}

#[test]
fn s03_edits_on_different_hunks_are_merged() {
    let svc = Service::new();
    svc.edit(
        "README.md",
        "Tests need a database.",
        "Tests need a database and Docker.",
    );
    svc.commit("Document Docker");
    let out = svc.update(&["--to", "v2.0.0"]);
    assert_code(&out, 0);
    let readme = svc.read("README.md");
    assert_contains(&readme, "Tests need a database and Docker.");
    assert_contains(&readme, "Deploy with the v2 pipeline.");
    assert_contains(&readme, "Start it with `make run` or `cargo run`.");
    assert_contains(&stderr(&out), "Merged README.md");
}

#[test]
fn s04_edits_on_the_same_hunk_conflict_with_markers_and_exit_3() {
    let svc = Service::new();
    svc.edit(
        "README.md",
        "Deploy with the pipeline.",
        "Deploy with Argo CD.",
    );
    svc.commit("Argo");
    let out = svc.update(&["--to", "v2.0.0"]);
    assert_code(&out, 3);
    let readme = svc.read("README.md");
    assert_contains(
        &readme,
        "<<<<<<< yours\nDeploy with Argo CD.\n=======\nDeploy with the v2 pipeline.\n>>>>>>> blueprint upd 2.0.0\n",
    );
    // The rest of the blueprint's changes still landed.
    assert!(readme.starts_with("# Svc\n"), "{readme}");
    let err = stderr(&out);
    assert_contains(&err, "Conflict README.md (1 conflict)");
    assert_contains(&err, "1 conflict in README.md");
    assert!(!svc.exists("README.md.rej") && !svc.exists("README.md.orig"));
}

#[test]
fn s05_the_same_edit_on_both_sides_is_not_a_conflict() {
    let svc = Service::new();
    svc.edit(
        "README.md",
        "Deploy with the pipeline.",
        "Deploy with the v2 pipeline.",
    );
    svc.commit("Already there");
    let out = svc.update(&["--to", "v2.0.0"]);
    assert_code(&out, 0);
    assert!(!svc.read("README.md").contains("<<<<<<<"));
}

#[test]
fn s06_a_file_you_deleted_that_the_blueprint_changed_stays_deleted_and_is_reported() {
    let svc = Service::new();
    svc.remove("docs/guide.md");
    svc.commit("No guide");
    let out = svc.update(&["--to", "v2.0.0"]);
    assert_code(&out, 0);
    assert!(!svc.exists("docs/guide.md"));
    let err = stderr(&out);
    assert_contains(&err, "Kept docs/guide.md: you deleted it");
}

#[test]
fn s07_a_file_you_deleted_that_the_blueprint_did_not_change_stays_deleted_quietly() {
    let svc = Service::new();
    svc.remove("src/main.rs");
    svc.write("src/lib.rs", "// a library now\n");
    svc.commit("Library only");
    // v2 changes main.rs (reported once, as in s06); v3 does not, so that update says nothing.
    assert_code(&svc.update(&["--to", "v2.0.0"]), 0);
    assert!(!svc.exists("src/main.rs"));
    svc.commit("v2");
    let out = svc.update(&["--to", "v3.0.0"]);
    assert_code(&out, 0);
    assert!(!svc.exists("src/main.rs"));
    assert!(!stderr(&out).contains("src/main.rs"), "{}", stderr(&out));
}

#[test]
fn s08_a_file_the_blueprint_dropped_is_removed_when_unmodified() {
    let svc = Service::new();
    let out = svc.update(&["--to", "v2.0.0"]);
    assert_code(&out, 0);
    assert!(!svc.exists("obsolete.txt"));
    assert_contains(&stderr(&out), "Removed obsolete.txt");
    assert!(!svc.read(".svcgen/base").contains("obsolete.txt"));
}

#[test]
fn s09_a_modified_file_the_blueprint_dropped_is_kept_and_reported() {
    let svc = Service::new();
    svc.write("obsolete.txt", "we still use this\n");
    svc.commit("Keep using it");
    let out = svc.update(&["--to", "v2.0.0"]);
    assert_code(&out, 0);
    assert_eq!(svc.read("obsolete.txt"), "we still use this\n");
    let err = stderr(&out);
    assert_contains(
        &err,
        "Kept obsolete.txt: the blueprint no longer generates it",
    );
    assert!(
        !svc.read(".svcgen/base").contains("obsolete.txt"),
        "no longer svcgen's: later updates leave it alone"
    );
}

#[test]
fn s10_a_new_blueprint_file_identical_to_yours_is_adopted() {
    let svc = Service::new();
    svc.write("CONTRIBUTING.md", "Contributions welcome.\n");
    svc.commit("Same as the blueprint will have");
    let out = svc.update(&["--to", "v2.0.0"]);
    assert_code(&out, 0);
    assert_eq!(svc.read("CONTRIBUTING.md"), "Contributions welcome.\n");
    assert!(svc.read(".svcgen/base").contains(" CONTRIBUTING.md\n"));
}

#[test]
fn s11_a_new_blueprint_file_colliding_with_yours_conflicts_and_keeps_yours() {
    let svc = Service::new();
    svc.write("CONTRIBUTING.md", "Ask on #svc before opening a PR.\n");
    svc.commit("Our own rules");
    let out = svc.update(&["--to", "v2.0.0"]);
    assert_code(&out, 3);
    let text = svc.read("CONTRIBUTING.md");
    assert_contains(&text, "Ask on #svc before opening a PR.");
    assert_contains(&text, "Contributions welcome.");
    assert_contains(&text, "<<<<<<< yours");
    assert_contains(&stderr(&out), "Conflict CONTRIBUTING.md");
}

#[test]
fn s12_a_rename_moves_an_unedited_file() {
    let svc = Service::new();
    let out = svc.update(&["--to", "v2.0.0"]);
    assert_code(&out, 0);
    assert!(!svc.exists("old-name.txt"));
    assert!(svc.exists("docs/moved.txt"));
    assert_contains(
        &stderr(&out),
        "Renamed old-name.txt -> docs/moved.txt (updated)",
    );
}

#[test]
fn s13_a_rename_carries_your_edits_to_the_new_path() {
    let svc = Service::new();
    svc.edit(
        "old-name.txt",
        "a file that moves",
        "a file that moves, edited by us",
    );
    svc.commit("Edit");
    let out = svc.update(&["--to", "v2.0.0"]);
    assert_code(&out, 0);
    assert!(!svc.exists("old-name.txt"));
    assert_eq!(
        svc.read("docs/moved.txt"),
        "a file that moves, edited by us\nline 2\nline 3\nline 4\nline 5\nline 6 (v2)\n"
    );
    assert_contains(
        &stderr(&out),
        "Renamed old-name.txt -> docs/moved.txt (merged)",
    );
}

#[test]
fn s14_renames_chain_across_versions_in_one_update() {
    let svc = Service::new();
    svc.edit("old-name.txt", "line 4", "line 4, ours");
    svc.commit("Edit");
    let out = svc.update(&[]);
    assert_code(&out, 0);
    assert!(!svc.exists("old-name.txt") && !svc.exists("docs/moved.txt"));
    assert_eq!(
        svc.read("docs/final.txt"),
        "a file that moves\nline 2 (v3)\nline 3\nline 4, ours\nline 5\nline 6 (v2)\n"
    );
}

#[test]
fn s15_a_rename_of_a_file_you_deleted_does_not_bring_it_back() {
    let svc = Service::new();
    svc.remove("old-name.txt");
    svc.commit("Not needed");
    assert_code(&svc.update(&["--to", "v2.0.0"]), 0);
    assert!(!svc.exists("old-name.txt") && !svc.exists("docs/moved.txt"));
}

#[test]
fn s16_a_binary_file_only_the_blueprint_changed_is_replaced() {
    let svc = Service::new();
    assert_code(&svc.update(&["--to", "v2.0.0"]), 0);
    assert_eq!(svc.bytes("assets/logo.bin"), b"\x89PNG\r\n\x1a\n\0\0v2");
}

#[test]
fn s17_a_binary_file_only_you_changed_is_kept() {
    let svc = Service::new();
    // The logo changes from v1 to v2 but not from v2 to v3.
    assert_code(&svc.update(&["--to", "v2.0.0"]), 0);
    svc.write("assets/logo.bin", b"\x89PNG\0ours");
    svc.commit("Our logo");
    let out = svc.update(&["--to", "v3.0.0"]);
    assert_code(&out, 0);
    assert_eq!(svc.bytes("assets/logo.bin"), b"\x89PNG\0ours");
    assert!(!svc.exists("assets/logo.bin.svcgen-new"));
}

#[test]
fn s18_a_binary_file_both_changed_keeps_yours_and_sets_theirs_beside_it() {
    let svc = Service::new();
    svc.write("assets/logo.bin", b"\x89PNG\0ours");
    svc.commit("Our logo");
    let out = svc.update(&["--to", "v2.0.0", "--commit"]);
    // Nothing can be merged, so which to keep is the team's call: a conflict, not committed.
    assert_code(&out, 3);
    assert_contains(&stderr(&out), "(not committed)");
    assert!(!svc.is_clean(), "the update is left for review");
    assert_eq!(svc.bytes("assets/logo.bin"), b"\x89PNG\0ours");
    assert_eq!(
        svc.bytes("assets/logo.bin.svcgen-new"),
        b"\x89PNG\r\n\x1a\n\0\0v2"
    );
    let err = stderr(&out);
    assert_contains(
        &err,
        "Binary assets/logo.bin: yours kept, the blueprint's is assets/logo.bin.svcgen-new",
    );
}

#[test]
fn s19_crlf_files_merge_and_keep_crlf() {
    let svc = Service::new();
    svc.edit("win.bat", "rem build svc\r\n", "rem build svc (ours)\r\n");
    svc.commit("Edit the batch file");
    assert_code(&svc.update(&["--to", "v2.0.0"]), 0);
    assert_eq!(
        svc.read("win.bat"),
        "@echo off\r\nrem build svc (ours)\r\ncargo build\r\nrem step two\r\ncargo test --locked\r\nrem done\r\n"
    );
}

#[test]
fn s20_crlf_conflicts_have_crlf_markers() {
    let svc = Service::new();
    svc.edit("win.bat", "cargo test\r\n", "cargo nextest run\r\n");
    svc.commit("nextest");
    assert_code(&svc.update(&["--to", "v2.0.0"]), 3);
    let text = svc.read("win.bat");
    assert!(
        text.contains("<<<<<<< yours\r\ncargo nextest run\r\n=======\r\ncargo test --locked\r\n>>>>>>> blueprint upd 2.0.0\r\n"),
        "{text:?}"
    );
    assert!(
        !text.replace("\r\n", "").contains('\n'),
        "every line ends in CRLF: {text:?}"
    );
}

#[cfg(unix)]
#[test]
fn s21_the_blueprint_making_a_script_executable_applies() {
    let svc = Service::new();
    assert!(!is_executable(&svc.path("scripts/gen.sh")));
    let out = svc.update(&["--to", "v2.0.0"]);
    assert_code(&out, 0);
    assert!(is_executable(&svc.path("scripts/gen.sh")));
    assert_contains(&stderr(&out), "Updated scripts/gen.sh (mode 644 -> 755)");
}

#[cfg(unix)]
#[test]
fn s22_your_exec_bit_survives_a_content_update() {
    let svc = Service::new();
    set_executable(&svc.path("config/app.toml"), true);
    svc.commit("Odd but ours");
    assert_code(&svc.update(&["--to", "v2.0.0"]), 0);
    assert!(is_executable(&svc.path("config/app.toml")));
    assert!(svc.read("config/app.toml").contains("log_level = \"info\""));
}

#[test]
fn s23_new_variables_take_their_defaults_with_no_input() {
    let svc = Service::new();
    assert_code(&svc.update(&["--to", "v2.0.0"]), 0);
    assert_eq!(
        svc.read("config/app.toml"),
        "port = 8080\nworkers = 4\nlog_level = \"info\"\n"
    );
    assert!(
        svc.record().contains("log_level = \"info\""),
        "{}",
        svc.record()
    );
}

#[test]
fn s24_set_answers_a_new_variable() {
    let svc = Service::new();
    assert_code(
        &svc.update(&["--to", "v2.0.0", "--set", "log_level=debug"]),
        0,
    );
    svc.commit("v2");
    assert!(
        svc.read("config/app.toml")
            .contains("log_level = \"debug\"")
    );
    let out = svc.update(&["--set", "log_level=loud"]);
    assert_code(&out, 1);
    assert_contains(&stderr(&out), "invalid value for `log_level`");
}

#[test]
fn s25_answer_migrations_rename_and_set_variables() {
    let svc = Service::with_args(&["--set", "port=9000"]);
    assert!(svc.read("config/app.toml").starts_with("port = 9000\n"));
    let out = svc.update(&["--to", "v2.0.0"]);
    assert_code(&out, 0);
    // `port` became `http_port` with its value; `service_title`, required, came from `set`.
    assert!(svc.read("config/app.toml").starts_with("port = 9000\n"));
    let record = svc.record();
    assert_contains(&record, "http_port = 9000");
    assert!(!record.contains("\nport = "), "{record}");
    assert_contains(&record, "service_title = \"Svc\"");
    assert!(svc.read("README.md").starts_with("# Svc\n"));
}

#[test]
fn s26_seed_files_are_never_touched_again() {
    let svc = Service::new();
    svc.edit("src/example.rs", "v1 example", "our example");
    svc.commit("Make the example ours");
    let out = svc.update(&["--to", "v2.0.0"]);
    assert_code(&out, 0);
    assert!(svc.read("src/example.rs").contains("our example"));
    assert_contains(&stderr(&out), "Kept src/example.rs: a seed file");
}

#[test]
fn s27_a_deleted_seed_file_is_not_written_again() {
    let svc = Service::new();
    svc.remove("src/example.rs");
    svc.commit("No example");
    assert_code(&svc.update(&["--to", "v2.0.0"]), 0);
    assert!(!svc.exists("src/example.rs"));
}

#[test]
fn s28_user_files_are_only_written_by_new() {
    let svc = Service::new();
    assert_eq!(svc.read("NOTES.md"), "Team notes for svc (v1).\n");
    svc.remove("NOTES.md");
    svc.commit("No notes");
    let out = svc.update(&["--to", "v2.0.0"]);
    assert_code(&out, 0);
    assert!(!svc.exists("NOTES.md"));
    assert_contains(&stderr(&out), "Kept NOTES.md: a user file");
}

#[test]
fn s29_updating_twice_the_second_is_a_no_op() {
    let svc = Service::new();
    svc.edit(
        "README.md",
        "Tests need a database.",
        "Tests need a database and Docker.",
    );
    svc.commit("Edit");
    assert_code(&svc.update(&["--to", "v2.0.0"]), 0);
    svc.commit("Update to v2");
    let before = snapshot(&svc.dir);
    let out = svc.update(&["--to", "v2.0.0"]);
    assert_code(&out, 0);
    assert_contains(&stderr(&out), "Up to date");
    assert_eq!(snapshot(&svc.dir), before);
    assert!(svc.is_clean());
}

#[test]
fn s30_a_file_of_yours_where_the_blueprint_needs_a_folder_is_a_conflict_not_a_failure() {
    let svc = Service::new();
    svc.edit(
        "README.md",
        "Tests need a database.",
        "Tests need a database and Docker.",
    );
    // v2 adds tools/check.sh; the team has a file named `tools`.
    svc.write("tools", "our tools list\n");
    svc.commit("Edits");
    let out = svc.update(&["--to", "v2.0.0"]);
    assert_code(&out, 3);
    let err = stderr(&out);
    assert_contains(&err, "Conflict tools/check.sh");
    assert_contains(&err, "git mv tools tools.old");
    assert_eq!(
        svc.read("tools"),
        "our tools list\n",
        "your file is untouched"
    );
    assert!(
        svc.read("README.md").contains("and Docker."),
        "the rest of the update is applied"
    );
    // Once the file is out of the way, the next update brings the folder.
    std::fs::rename(svc.dir.join("tools"), svc.dir.join("tools.old")).unwrap();
    svc.commit("Tools aside");
    assert_code(&svc.update(&["--to", "v2.0.0"]), 0);
    assert!(svc.exists("tools/check.sh"));
}

#[test]
fn s31_a_template_error_in_the_new_version_changes_nothing() {
    let svc = Service::new();
    let broken = svc.tmp.path().join("broken");
    copy_dir(&fixture("v2"), &broken);
    std::fs::write(broken.join("template/src/added.rs"), "{{ nope }}\n").unwrap();
    // Point the service at the broken copy, as if the blueprint moved there.
    let record = svc.record().replace(
        &format!("{}#v1.0.0", svc.url),
        &broken.display().to_string(),
    );
    svc.write(".svcgen/record.toml", record);
    svc.commit("Use a local blueprint");
    let before = snapshot(&svc.dir);
    let out = svc.update(&[]);
    assert_code(&out, 1);
    assert_contains(&stderr(&out), "added.rs:1");
    assert_eq!(snapshot(&svc.dir), before);
}

#[test]
fn s32_a_dirty_tree_is_refused() {
    let svc = Service::new();
    svc.edit("README.md", "Tests need a database.", "uncommitted");
    let before = snapshot(&svc.dir);
    let out = svc.update(&["--to", "v2.0.0"]);
    assert_code(&out, 1);
    assert_contains(&stderr(&out), "uncommitted changes (README.md)");
    assert_eq!(snapshot(&svc.dir), before);
    assert_code(&svc.update(&["--to", "v2.0.0", "--allow-dirty"]), 0);
}

#[test]
fn s33_dry_run_shows_the_plan_and_writes_nothing() {
    let svc = Service::new();
    svc.edit(
        "README.md",
        "Deploy with the pipeline.",
        "Deploy with Argo CD.",
    );
    svc.commit("Argo");
    let before = snapshot(&svc.dir);
    let out = svc.update(&["--to", "v2.0.0", "--dry-run"]);
    // The exit code the update itself would have: 3, conflicts to resolve.
    assert_code(&out, 3);
    let err = stderr(&out);
    assert_contains(&err, "Conflict README.md");
    assert_contains(&err, "nothing written (--dry-run)");
    assert_eq!(snapshot(&svc.dir), before);
}

#[test]
fn s34_events_added_to_the_service_are_replayed_on_the_new_version() {
    // The events part needs a blueprint that has one: the add-event fixture, as a directory
    // the platform team edits in place between versions.
    let tmp = tempfile::tempdir().unwrap();
    let blueprint = tmp.path().join("evented");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/blueprints/evented"),
        &blueprint,
    );
    let dir = tmp.path().join("shop");
    let svcgen = || {
        let mut cmd = Command::cargo_bin("svcgen").unwrap();
        cmd.env("NO_COLOR", "1")
            .env("XDG_CACHE_HOME", tmp.path().join("cache"));
        cmd
    };
    svcgen()
        .args(["new", "shop", "--no-input", "--blueprint"])
        .arg(&blueprint)
        .arg("--output")
        .arg(&dir)
        .assert()
        .success();
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
        .success();
    commit_all(&dir, "Add ProductChanged");
    let lib_after_event = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
    assert_contains(&lib_after_event, "pub mod events;");
    let base = std::fs::read_to_string(dir.join(".svcgen/base")).unwrap();
    assert!(
        base.contains("|pub mod events;|"),
        "add-event keeps the base in step: {base}"
    );

    // Version 1.1.0 of the blueprint changes lib.rs and Cargo.toml around the anchors.
    let manifest = blueprint.join("blueprint.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("version = \"1.0.0\"", "version = \"1.1.0\""),
    )
    .unwrap();
    std::fs::write(
        blueprint.join("template/src/lib.rs"),
        "pub mod db;\npub mod health;\n// svcgen:anchor modules\n",
    )
    .unwrap();
    // The team's own edit to lib.rs, far from the blueprint's.
    let ours = format!("//! The shop service.\n{lib_after_event}");
    std::fs::write(dir.join("src/lib.rs"), &ours).unwrap();
    commit_all(&dir, "Doc comment");

    let out = svcgen()
        .args(["update", "--no-input", "--service"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_code(&out, 0);
    let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
    assert_eq!(
        lib,
        "//! The shop service.\npub mod db;\npub mod health;\npub mod events;\n// svcgen:anchor modules\n"
    );
    let cargo = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(
        cargo.contains("    \"events\",\n"),
        "the event's insert survives: {cargo}"
    );
    assert!(dir.join("src/events/product_changed.rs").is_file());
    let record = std::fs::read_to_string(dir.join(".svcgen/record.toml")).unwrap();
    assert_contains(&record, "name = \"ProductChanged\"");
    assert_contains(&record, "version = \"1.1.0\"");
    let err = stderr(&out);
    assert!(!err.contains("Conflict"), "{err}");
}

#[test]
fn s35_check_exit_codes_up_to_date_behind_and_error() {
    let svc = Service::new();
    let out = svc.run(&["check"]);
    assert_code(&out, 1);
    assert_eq!(
        stdout(&out),
        "svc: blueprint upd 1.0.0 (current), 3.0.0 (available): behind; run `svcgen update`\n"
    );
    let out = svc.run(&["check", "--format", "json"]);
    assert_code(&out, 1);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            json["current"].as_str(),
            json["available"].as_str(),
            json["behind"].as_bool()
        ),
        (Some("1.0.0"), Some("3.0.0"), Some(true))
    );
    assert_code(&svc.update(&[]), 0);
    svc.commit("Update");
    let out = svc.run(&["check"]);
    assert_code(&out, 0);
    assert!(stdout(&out).contains("3.0.0 (current), 3.0.0 (available): up to date"));
    let not_a_service = svc.tmp.path().join("nothing");
    std::fs::create_dir_all(&not_a_service).unwrap();
    let out = svc
        .svcgen()
        .arg("check")
        .arg("--service")
        .arg(&not_a_service)
        .output()
        .unwrap();
    assert_code(&out, 2);
    assert_contains(&stderr(&out), "not a service made by svcgen");
}

#[test]
fn s36_check_of_a_builtin_blueprint_needs_no_network() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("catalog");
    let mut cmd = Command::cargo_bin("svcgen").unwrap();
    cmd.args(["new", "catalog", "--no-input", "--no-git", "--output"])
        .arg(&dir)
        .assert()
        .success();
    let mut cmd = Command::cargo_bin("svcgen").unwrap();
    let out = cmd
        // An unreachable cache and no HOME: nothing could be fetched even if svcgen tried.
        .env("XDG_CACHE_HOME", "/nonexistent/cache")
        .env_remove("HOME")
        .args(["check", "--service"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_code(&out, 0);
    assert_contains(&stdout(&out), "up to date");
}

#[test]
fn s37_diff_prints_what_update_would_change_and_writes_nothing() {
    let svc = Service::new();
    svc.edit(
        "README.md",
        "Tests need a database.",
        "Tests need a database and Docker.",
    );
    svc.commit("Edit");
    let before = snapshot(&svc.dir);
    let out = svc.run(&["diff", "--to", "v2.0.0"]);
    assert_code(&out, 0);
    let diff = stdout(&out);
    assert_contains(&diff, "--- a/README.md\n+++ b/README.md\n");
    assert_contains(
        &diff,
        "-Deploy with the pipeline.\n+Deploy with the v2 pipeline.\n",
    );
    assert!(
        !diff.contains("-Tests need a database and Docker."),
        "your edit stays: {diff}"
    );
    assert_contains(&diff, "--- /dev/null\n+++ b/src/added.rs\n");
    assert_contains(&diff, "--- a/obsolete.txt\n+++ /dev/null\n");
    assert_contains(&diff, "old mode 100644\nnew mode 100755");
    assert!(!diff.contains(".svcgen/base"), "{diff}");
    assert_eq!(snapshot(&svc.dir), before);

    // The diff is what update then does: the same README comes out.
    let new_readme: String = diff
        .split("+++ b/README.md\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|line| !line.starts_with("diff --git") && !line.starts_with("--- "))
        .filter(|line| line.starts_with('+'))
        .map(|line| format!("{}\n", &line[1..]))
        .collect();
    assert_code(&svc.update(&["--to", "v2.0.0"]), 0);
    let readme = svc.read("README.md");
    assert!(readme.contains("Deploy with the v2 pipeline.") && readme.contains("and Docker."));
    for added in new_readme.lines() {
        assert!(
            readme.contains(added),
            "{added:?} from the diff is in {readme}"
        );
    }
}

#[test]
fn s38_update_step_by_step_then_to_the_newest() {
    let svc = Service::new();
    svc.edit(
        "README.md",
        "Ask the platform team for access.",
        "Ask #platform for access.",
    );
    svc.commit("Edit");
    assert_code(&svc.update(&["--to", "2.0.0"]), 0);
    svc.commit("v2");
    assert!(svc.record().contains("version = \"2.0.0\""));
    assert_code(&svc.update(&[]), 0);
    let readme = svc.read("README.md");
    assert_contains(&readme, "It listens on port 8080 (HTTP).");
    assert_contains(&readme, "Ask #platform for access.");
    assert!(svc.read("config/app.toml").ends_with("replicas = 2\n"));
    assert!(svc.record().contains("version = \"3.0.0\""));
}

#[test]
fn s39_commit_makes_one_commit_naming_the_versions() {
    let svc = Service::new();
    let commits = svc.commit_count();
    let out = svc.update(&["--to", "v2.0.0", "--commit"]);
    assert_code(&out, 0);
    assert_eq!(svc.commit_count(), commits + 1);
    let message = svc.head_message();
    assert!(
        message
            .starts_with("Update svc to blueprint upd 2.0.0\n\nFrom blueprint upd 1.0.0 to 2.0.0"),
        "{message}"
    );
    assert!(
        svc.is_clean(),
        "everything the update wrote or removed is committed"
    );
}

#[test]
fn s40_with_conflicts_commit_is_skipped() {
    let svc = Service::new();
    svc.edit(
        "README.md",
        "Deploy with the pipeline.",
        "Deploy with Argo CD.",
    );
    svc.commit("Argo");
    let commits = svc.commit_count();
    let out = svc.update(&["--to", "v2.0.0", "--commit"]);
    assert_code(&out, 3);
    assert_eq!(svc.commit_count(), commits);
    assert_contains(&stderr(&out), "(not committed)");
}

#[test]
fn s41_after_resolving_a_conflict_the_next_update_does_not_repeat_it() {
    let svc = Service::new();
    svc.edit(
        "README.md",
        "Deploy with the pipeline.",
        "Deploy with Argo CD.",
    );
    svc.commit("Argo");
    assert_code(&svc.update(&["--to", "v2.0.0"]), 3);
    let resolved = svc.read("README.md").replace(
        "<<<<<<< yours\nDeploy with Argo CD.\n=======\nDeploy with the v2 pipeline.\n>>>>>>> blueprint upd 2.0.0\n",
        "Deploy with Argo CD (v2).\n",
    );
    svc.write("README.md", resolved);
    svc.commit("Resolve");
    let out = svc.update(&[]);
    assert_code(&out, 0);
    let readme = svc.read("README.md");
    assert!(
        readme.contains("Deploy with Argo CD (v2).") && !readme.contains("<<<<<<<"),
        "{readme}"
    );
}

#[test]
fn s42_the_base_travels_with_git_clone() {
    let svc = Service::new();
    svc.edit(
        "README.md",
        "Tests need a database.",
        "Tests need a database and Docker.",
    );
    svc.commit("Edit");
    let clone = svc.tmp.path().join("clone");
    git2::Repository::clone(&format!("file://{}", svc.dir.display()), &clone).unwrap();
    assert!(clone.join(".svcgen/base").is_file());
    let out = svc
        .svcgen()
        .current_dir(&clone)
        .args(["update", "--no-input", "--to", "v2.0.0"])
        .output()
        .unwrap();
    assert_code(&out, 0);
    let readme = std::fs::read_to_string(clone.join("README.md")).unwrap();
    assert!(
        readme.contains("and Docker.") && readme.contains("v2 pipeline"),
        "{readme}"
    );
}

#[test]
fn s43_plan_json_lists_every_outcome() {
    let svc = Service::new();
    svc.edit(
        "README.md",
        "Deploy with the pipeline.",
        "Deploy with Argo CD.",
    );
    svc.edit("old-name.txt", "line 2", "line 2, ours");
    svc.write("assets/logo.bin", b"\x89PNG\0ours");
    svc.write("obsolete.txt", "still used\n");
    svc.remove("docs/guide.md");
    svc.commit("Edits");
    let out = svc.update(&["--to", "v2.0.0", "--dry-run", "--plan", "json"]);
    assert_code(&out, 3);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["applied"], false);
    // README.md's lines, and the logo both sides changed.
    assert_eq!(json["conflicts"], 2);
    insta::with_settings!({
        snapshot_path => "../snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
        description => "svcgen update --to v2.0.0 --dry-run --plan json, fixture upd 1.0.0 with edits",
    }, {
        insta::assert_snapshot!("update__plan_json", stdout(&out));
    });
    insta::with_settings!({
        snapshot_path => "../snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
        description => "svcgen update --to v2.0.0 --dry-run (the text plan, on stderr)",
    }, {
        let text = stderr(&svc.update(&["--to", "v2.0.0", "--dry-run"]));
        insta::assert_snapshot!("update__plan_text", text);
    });
}

#[test]
fn s44_fleet_check_and_update_all() {
    let tmp = tempfile::tempdir().unwrap();
    let url = publish_blueprint(tmp.path(), &["v1", "v2"]);
    let fleet = tmp.path().join("fleet");
    let svcgen = || {
        let mut cmd = Command::cargo_bin("svcgen").unwrap();
        cmd.env("NO_COLOR", "1")
            .env("XDG_CACHE_HOME", tmp.path().join("cache"));
        cmd
    };
    for name in ["alpha", "beta", "gamma"] {
        svcgen()
            .args(["new", name, "--no-input", "--blueprint"])
            .arg(format!("{url}#v1.0.0"))
            .arg("--output")
            .arg(fleet.join("team").join(name))
            .assert()
            .success();
    }
    // beta's team edited the line v2 changes.
    let beta = fleet.join("team/beta");
    let readme = std::fs::read_to_string(beta.join("README.md")).unwrap();
    std::fs::write(
        beta.join("README.md"),
        readme.replace("Deploy with the pipeline.", "Deploy by hand."),
    )
    .unwrap();
    commit_all(&beta, "By hand");

    let out = svcgen()
        .args(["check", "--all"])
        .arg(&fleet)
        .output()
        .unwrap();
    assert_code(&out, 1);
    let table = stdout(&out);
    assert_eq!(
        table,
        "SERVICE  FROM   TO     RESULT  CONFLICTS\n\
         alpha    1.0.0  2.0.0  behind  -\n\
         beta     1.0.0  2.0.0  behind  -\n\
         gamma    1.0.0  2.0.0  behind  -\n"
    );

    let out = svcgen()
        .args(["update", "--all"])
        .arg(&fleet)
        .args(["--commit", "--format", "json"])
        .output()
        .unwrap();
    assert_code(&out, 3);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results: Vec<(&str, &str)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["service"].as_str().unwrap(),
                r["result"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        results,
        [
            ("alpha", "updated, committed"),
            ("beta", "conflicts"),
            ("gamma", "updated, committed")
        ]
    );
    assert_eq!(rows[1]["conflicts"][0], "README.md");
    let repo = git2::Repository::open(fleet.join("team/alpha")).unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    assert!(
        head.message()
            .unwrap()
            .starts_with("Update alpha to blueprint upd 2.0.0")
    );

    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = svcgen()
        .args(["update", "--all"])
        .arg(&empty)
        .output()
        .unwrap();
    assert_code(&out, 2);
    assert_contains(&stderr(&out), "no services under");

    // A list file works as well as a folder; alpha and gamma are now up to date.
    let list = tmp.path().join("services.txt");
    std::fs::write(&list, "fleet/team/alpha\nfleet/team/gamma\n").unwrap();
    let out = svcgen()
        .args(["check", "--all"])
        .arg(&list)
        .output()
        .unwrap();
    assert_code(&out, 0);
    assert_eq!(
        stdout(&out),
        "SERVICE  FROM   TO     RESULT      CONFLICTS\n\
         alpha    2.0.0  2.0.0  up to date  -\n\
         gamma    2.0.0  2.0.0  up to date  -\n"
    );
}

#[test]
fn s45_a_hand_edited_base_is_reported_not_trusted() {
    let svc = Service::new();
    let base = svc
        .read(".svcgen/base")
        .replace("|Deploy with the pipeline.|", "|Deploy somehow.|");
    svc.write(".svcgen/base", base);
    svc.commit("Oops");
    let out = svc.update(&["--to", "v2.0.0"]);
    assert_code(&out, 0);
    assert_contains(
        &stderr(&out),
        "the entry for `README.md` was edited by hand",
    );
    // README was not changed by the team, so the blueprint's version is taken as is.
    assert!(
        svc.read("README.md")
            .contains("Deploy with the v2 pipeline.")
    );
}

#[test]
fn s46_update_never_goes_back_unless_asked() {
    let svc = Service::new();
    let out = svc.update(&["--to", "v9.9.9"]);
    assert_code(&out, 1);
    assert_contains(&stderr(&out), "finding `v9.9.9`");
    // A service on a version newer than any tag (made from a branch, say) is not downgraded.
    let record = svc
        .record()
        .replace("version = \"1.0.0\"", "version = \"4.0.0\"");
    svc.write(".svcgen/record.toml", record);
    svc.commit("Pretend 4.0.0");
    let out = svc.update(&[]);
    assert_code(&out, 2);
    assert_contains(
        &stderr(&out),
        "is older than this service's 4.0.0; pass --to 3.0.0",
    );
    // Going back is possible when asked for by name and allowed (answers the old migrations
    // no longer provide must then be given).
    let out = svc.update(&["--to", "v3.0.0", "--dry-run", "--set", "service_title=Svc"]);
    assert_code(&out, 2);
    assert_contains(&stderr(&out), "pass --allow-downgrade as well");
    assert_code(
        &svc.update(&[
            "--to",
            "v3.0.0",
            "--allow-downgrade",
            "--dry-run",
            "--set",
            "service_title=Svc",
        ]),
        0,
    );
}

#[test]
fn s47_in_a_terminal_only_new_variables_are_asked() {
    let svc = Service::new();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("svcgen"));
    cmd.args(["update", "--to", "v2.0.0", "--service"])
        .arg(&svc.dir)
        .env("XDG_CACHE_HOME", svc.tmp.path().join("cache"))
        .env("NO_COLOR", "1");
    let mut session = rexpect::session::spawn_command(cmd, Some(20_000)).unwrap();
    // `description` and `port` have recorded answers, `service_title` comes from a migration:
    // the one question is the new `log_level`.
    let before = session.exp_string("log level").unwrap();
    assert!(
        !before.contains("description") && !before.contains("title"),
        "{before}"
    );
    // Down once from the default (info) selects warn.
    session.send("\x1b[B").unwrap();
    session.send_line("").unwrap();
    session
        .exp_string("Updated svc from blueprint upd 1.0.0 to 2.0.0")
        .unwrap();
    session.exp_eof().unwrap();
    assert!(
        svc.record().contains("log_level = \"warn\""),
        "{}",
        svc.record()
    );
    assert!(svc.read("config/app.toml").contains("log_level = \"warn\""));
}

#[test]
fn s48_a_service_without_a_base_records_one_at_its_own_version_first() {
    let svc = Service::new();
    svc.remove(".svcgen/base");
    svc.remove(".svcgen/.gitattributes");
    svc.edit(
        "README.md",
        "Tests need a database.",
        "Tests need a database and Docker.",
    );
    svc.commit("As made by an svcgen without update");
    let out = svc.update(&["--to", "v2.0.0"]);
    assert_code(&out, 1);
    assert_contains(&stderr(&out), "svcgen update --to 1.0.0");
    let out = svc.update(&["--to", "v1.0.0"]);
    assert_code(&out, 0);
    assert_eq!(
        svc.read("README.md"),
        README_V1.replace("a database.", "a database and Docker."),
        "recording the base changes no file of the team's"
    );
    assert!(svc.exists(".svcgen/base"));
    svc.commit("Record the base");
    assert_code(&svc.update(&["--to", "v2.0.0"]), 0);
    let readme = svc.read("README.md");
    assert!(
        readme.contains("and Docker.") && readme.contains("v2 pipeline"),
        "{readme}"
    );
}

#[test]
fn s49_a_monorepo_fleet_gets_one_commit_per_service() {
    let tmp = tempfile::tempdir().unwrap();
    let url = publish_blueprint(tmp.path(), &["v1", "v2"]);
    let mono = tmp.path().join("mono");
    git2::Repository::init(&mono).unwrap();
    let svcgen = || {
        let mut cmd = Command::cargo_bin("svcgen").unwrap();
        cmd.env("NO_COLOR", "1")
            .env("XDG_CACHE_HOME", tmp.path().join("cache"));
        cmd
    };
    let names = ["one", "two", "three", "four"];
    for name in names {
        svcgen()
            .args(["new", name, "--no-input", "--no-git", "--blueprint"])
            .arg(format!("{url}#v1.0.0"))
            .arg("--output")
            .arg(mono.join("services").join(name))
            .assert()
            .success();
    }
    std::fs::write(mono.join("README.md"), "the monorepo\n").unwrap();
    commit_all(&mono, "All services");

    let out = svcgen()
        .args(["update", "--all"])
        .arg(mono.join("services"))
        .args(["--commit", "--jobs", "4"])
        .output()
        .unwrap();
    assert_code(&out, 0);
    let repo = git2::Repository::open(&mono).unwrap();
    let mut walk = repo.revwalk().unwrap();
    walk.push_head().unwrap();
    let mut subjects: Vec<String> = walk
        .map(|id| {
            let commit = repo.find_commit(id.unwrap()).unwrap();
            commit.message().unwrap().lines().next().unwrap().to_owned()
        })
        .collect();
    subjects.sort();
    let mut expected: Vec<String> = names
        .iter()
        .map(|n| format!("Update {n} to blueprint upd 2.0.0"))
        .collect();
    expected.push("All services".into());
    expected.sort();
    assert_eq!(subjects, expected);
    let mut options = git2::StatusOptions::new();
    options.include_untracked(true);
    assert!(repo.statuses(Some(&mut options)).unwrap().is_empty());
    assert!(
        std::fs::read_to_string(mono.join("services/three/README.md"))
            .unwrap()
            .contains("v2 pipeline")
    );
}

#[test]
fn s50_commit_takes_only_the_update_never_what_you_had_staged() {
    let svc = Service::new();
    svc.write("scratch.txt", "work in progress\n");
    let repo = git2::Repository::open(&svc.dir).unwrap();
    let mut index = repo.index().unwrap();
    index.add_path(Path::new("scratch.txt")).unwrap();
    index.write().unwrap();
    let out = svc.update(&["--to", "v2.0.0", "--commit", "--allow-dirty"]);
    assert_code(&out, 0);
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    let tree = head.tree().unwrap();
    assert!(
        tree.get_path(Path::new("scratch.txt")).is_err(),
        "not committed"
    );
    assert!(tree.get_path(Path::new("src/added.rs")).is_ok());
    assert!(
        tree.get_path(Path::new("obsolete.txt")).is_err(),
        "deleted in the commit"
    );
    let script = tree.get_path(Path::new("scripts/gen.sh")).unwrap();
    assert_eq!(script.filemode(), 0o100755, "the mode change is committed");
    // Still staged, and nothing else is left over.
    let statuses = repo.statuses(None).unwrap();
    let left: Vec<(String, git2::Status)> = statuses
        .iter()
        .map(|e| (e.path().unwrap().to_owned(), e.status()))
        .collect();
    assert_eq!(left, [("scratch.txt".to_owned(), git2::Status::INDEX_NEW)]);
}

#[test]
fn s51_a_service_that_follows_a_branch_updates_to_its_tip() {
    let tmp = tempfile::tempdir().unwrap();
    let url = publish_blueprint(tmp.path(), &["v1"]);
    let repo_dir = tmp.path().join("blueprint");
    let repo = git2::Repository::open(&repo_dir).unwrap();
    let branch = repo.head().unwrap().shorthand().unwrap().to_owned();
    let dir = tmp.path().join("svc");
    let svcgen = || {
        let mut cmd = Command::cargo_bin("svcgen").unwrap();
        cmd.env("NO_COLOR", "1")
            .env("XDG_CACHE_HOME", tmp.path().join("cache"));
        cmd
    };
    svcgen()
        .args(["new", "svc", "--no-input", "--blueprint"])
        .arg(format!("{url}#{branch}"))
        .arg("--output")
        .arg(&dir)
        .assert()
        .success();

    // The platform team pushes version 2 to the branch, without a tag.
    std::fs::remove_dir_all(repo_dir.join("template")).unwrap();
    copy_dir(&fixture("v2"), &repo_dir);
    commit_all(&repo_dir, "Blueprint 2, untagged");

    let out = svcgen()
        .args(["check", "--service"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_code(&out, 1);
    assert_contains(&stdout(&out), "2.0.0 (available)");
    let out = svcgen()
        .args(["update", "--no-input", "--service"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_code(&out, 0);
    let record = std::fs::read_to_string(dir.join(".svcgen/record.toml")).unwrap();
    assert!(
        record.contains(&format!("#{branch}\"")),
        "still follows the branch: {record}"
    );
    let tip = repo.head().unwrap().peel_to_commit().unwrap().id();
    assert_contains(&record, &format!("commit = \"{tip}\""));
}
