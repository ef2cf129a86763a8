//! The `svcgen` binary as a user meets it: files written, exit codes, messages.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn svcgen() -> Command {
    let mut cmd = Command::cargo_bin("svcgen").unwrap();
    cmd.env_remove("NO_COLOR");
    // Git blueprints are cached here, never in the real home of whoever runs the tests.
    cmd.env(
        "XDG_CACHE_HOME",
        std::env::temp_dir().join("svcgen-test-cache"),
    );
    cmd
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/blueprints")
        .join(name)
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn new_creates_a_repository_with_one_commit_and_a_record() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("catalog");
    svcgen()
        .args(["new", "catalog", "--no-input", "--output"])
        .arg(&dest)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "Created catalog from blueprint service",
        ));

    assert!(dest.join("Cargo.toml").is_file());
    assert!(dest.join("Cargo.lock").is_file());
    let record = std::fs::read_to_string(dest.join(".svcgen/record.toml")).unwrap();
    assert!(record.contains("format_version = 1"), "{record}");
    assert!(record.contains("source = \"builtin:service\""), "{record}");
    assert!(record.contains("name = \"catalog\""), "{record}");

    let repo = git2::Repository::open(&dest).unwrap();
    let mut walk = repo.revwalk().unwrap();
    walk.push_head().unwrap();
    let commits: Vec<_> = walk.collect();
    assert_eq!(commits.len(), 1);
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    assert!(
        head.message()
            .unwrap()
            .starts_with("Generate catalog from blueprint service 1.5.0")
    );
    // Everything written is committed: the working tree is clean.
    let statuses = repo.statuses(None).unwrap();
    assert_eq!(statuses.len(), 0);
    // Nothing but the new repository is left beside it.
    assert_eq!(entries(tmp.path()), ["catalog"]);
}

/// `svcgen new` makes the repository `git init && git add -A && git commit` would: the author from
/// `GIT_AUTHOR_*` even with no git configuration at all, the hooks of the user's
/// `init.templateDir` installed, `init.defaultBranch` followed, and a repository `git fsck
/// --strict` passes and `git status` calls clean.
#[cfg(unix)]
#[test]
fn new_commits_as_git_would_with_the_users_identity_template_hooks_and_branch() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let hooks = tmp.path().join("templates/hooks");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&hooks).unwrap();
    let hook = hooks.join("commit-msg");
    std::fs::write(&hook, "#!/bin/sh\ngrep -q . \"$1\"\n").unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let empty_config = tmp.path().join("empty.gitconfig");
    std::fs::write(&empty_config, "").unwrap();
    let team_config = tmp.path().join("team.gitconfig");
    std::fs::write(
        &team_config,
        format!(
            "[init]\n\ttemplateDir = {}\n\tdefaultBranch = trunk\n",
            tmp.path().join("templates").display()
        ),
    )
    .unwrap();
    // Only what the test sets: no system file, a global file of its own, an empty home.
    let isolated = |cmd: &mut std::process::Command, global: &Path| {
        for name in [
            "GIT_AUTHOR_NAME",
            "GIT_AUTHOR_EMAIL",
            "GIT_COMMITTER_NAME",
            "GIT_COMMITTER_EMAIL",
            "GIT_TEMPLATE_DIR",
            "EMAIL",
        ] {
            cmd.env_remove(name);
        }
        cmd.env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", global)
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"));
    };
    let git = |dir: &Path, args: &[&str]| {
        let mut cmd = std::process::Command::new("git");
        cmd.arg("-C").arg(dir).args(args);
        isolated(&mut cmd, &empty_config);
        cmd.output().ok()
    };

    let by_env = tmp.path().join("by-env");
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("svcgen"));
    cmd.args(["new", "by-env", "--no-input", "--quiet", "--output"])
        .arg(&by_env);
    isolated(&mut cmd, &empty_config);
    let status = cmd
        .env("GIT_AUTHOR_NAME", "Ada Lovelace")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .status()
        .unwrap();
    assert!(status.success());
    let repo = git2::Repository::open(&by_env).unwrap();
    let head = repo.head().unwrap();
    assert_eq!(head.name().ok(), Some("refs/heads/main"));
    let commit = head.peel_to_commit().unwrap();
    assert_eq!(commit.author().name().ok(), Some("Ada Lovelace"));
    assert_eq!(commit.author().email().ok(), Some("ada@example.com"));

    let by_template = tmp.path().join("by-template");
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("svcgen"));
    cmd.args(["new", "by-template", "--no-input", "--quiet", "--output"])
        .arg(&by_template);
    isolated(&mut cmd, &team_config);
    assert!(cmd.status().unwrap().success());
    let repo = git2::Repository::open(&by_template).unwrap();
    assert_eq!(repo.head().unwrap().name().ok(), Some("refs/heads/trunk"));
    let installed = by_template.join(".git/hooks/commit-msg");
    assert_eq!(
        std::fs::read(&installed).unwrap(),
        std::fs::read(&hook).unwrap()
    );
    let mode = std::fs::metadata(&installed).unwrap().permissions().mode();
    assert_eq!(mode & 0o111, 0o111, "the hook is executable");
    // With no configuration at all, the commit falls back to svcgen's own identity.
    let commit = repo.head().unwrap().peel_to_commit().unwrap();
    assert_eq!(commit.author().name().ok(), Some("svcgen"));

    // git's own verdicts, where git is installed.
    for dir in [&by_env, &by_template] {
        let Some(fsck) = git(dir, &["fsck", "--strict", "--full"]) else {
            return;
        };
        assert!(fsck.status.success(), "{fsck:?}");
        assert_eq!(String::from_utf8_lossy(&fsck.stderr), "", "{dir:?}");
        let status = git(dir, &["status", "--porcelain"]).unwrap();
        assert_eq!(String::from_utf8_lossy(&status.stdout), "", "{dir:?}");
    }
}

/// Modes are the blueprint's exactly, whatever the umask: files are created with their mode, and
/// set again through the open file when the umask took bits from it.
#[cfg(unix)]
#[test]
fn modes_are_exact_under_a_restrictive_umask() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("tool");
    let bin = assert_cmd::cargo::cargo_bin("svcgen");
    let status = std::process::Command::new("sh")
        .args(["-c", "umask 077 && exec \"$0\" \"$@\""])
        .arg(&bin)
        .args([
            "new",
            "tool",
            "--blueprint",
            "minimal",
            "--no-input",
            "--quiet",
        ])
        .arg("--output")
        .arg(&dest)
        .status()
        .unwrap();
    assert!(status.success());
    let mode = |path: &str| {
        std::fs::metadata(dest.join(path))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("scripts/check.sh"), 0o755);
    assert_eq!(mode("README.md"), 0o644);
    // `.git` follows the umask, as `git init` and `git add` under `umask 077` leave it.
    assert_eq!(mode(".git/index"), 0o600);
    let repo = git2::Repository::open(&dest).unwrap();
    assert_eq!(repo.statuses(None).unwrap().len(), 0, "the index matches");
}

/// What a portal reads after running `svcgen new`: one JSON object on stdout, nothing else
/// there; progress stays on stderr.
#[test]
fn new_format_json_prints_what_was_made_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("catalog");
    let output = svcgen()
        .args([
            "new",
            "catalog",
            "--no-input",
            "--set",
            "port=9000",
            "--format",
            "json",
            "--output",
        ])
        .arg(&dest)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let made: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is exactly one JSON document");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("Created catalog from blueprint service"),
        "{output:?}"
    );

    assert_eq!(
        Path::new(made["path"].as_str().unwrap()),
        std::path::absolute(&dest).unwrap()
    );
    assert_eq!(made["service"], "catalog");
    assert_eq!(made["blueprint"]["name"], "service");
    assert_eq!(made["blueprint"]["source"], "builtin:service");
    let record = std::fs::read_to_string(dest.join(".svcgen/record.toml")).unwrap();
    let version = made["blueprint"]["version"].as_str().unwrap();
    assert!(
        record.contains(&format!("version = \"{version}\"")),
        "{record}"
    );
    // A built-in blueprint has no commit of its own; the service's first commit is HEAD.
    assert!(made["blueprint"]["commit"].is_null(), "{made}");
    let repo = git2::Repository::open(&dest).unwrap();
    let head = repo
        .head()
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .id()
        .to_string();
    assert_eq!(made["commit"], head.as_str());
    assert_eq!(made["answers"]["name"], "catalog");
    assert_eq!(made["answers"]["port"], 9000);
    assert_eq!(made["answers"]["database_name"], "catalog");
    let files: Vec<&str> = made["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(files.contains(&"Cargo.toml") && files.contains(&".svcgen/record.toml"));

    // With --dry-run and --no-git: the same object, no commit, nothing written.
    let planned = tmp.path().join("planned");
    let output = svcgen()
        .args(["new", "planned", "--no-input", "--dry-run", "--no-git"])
        .args(["--format", "json", "--output"])
        .arg(&planned)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(plan["dry_run"], true);
    assert!(plan["commit"].is_null());
    assert!(!planned.exists());
}

#[test]
fn dry_run_lists_files_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("catalog");
    svcgen()
        .args(["new", "catalog", "--no-input", "--dry-run", "--output"])
        .arg(&dest)
        .assert()
        .success()
        .stdout(predicate::str::contains("644").and(predicate::str::contains("Cargo.toml")))
        .stdout(predicate::str::contains(".svcgen/record.toml"))
        .stderr(predicate::str::contains("nothing written"));
    assert!(entries(tmp.path()).is_empty());
}

#[test]
fn no_input_lists_every_missing_required_variable() {
    let tmp = tempfile::tempdir().unwrap();
    svcgen()
        .args(["new", "svc", "--no-input", "--blueprint"])
        .arg(fixture("required"))
        .arg("--output")
        .arg(tmp.path().join("svc"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "no answer for required variables `team`, `owner_email`",
        ));
    assert!(entries(tmp.path()).is_empty());
}

#[test]
fn answers_come_from_a_file_and_set_overrides_it() {
    let tmp = tempfile::tempdir().unwrap();
    let answers = tmp.path().join("answers.toml");
    std::fs::write(
        &answers,
        "team = \"search\"\nowner_email = \"a@b.c\"\nport = 1\n",
    )
    .unwrap();
    let dest = tmp.path().join("svc");
    svcgen()
        .args([
            "new",
            "svc",
            "--no-input",
            "--set",
            "port=9000",
            "--blueprint",
        ])
        .arg(fixture("required"))
        .arg("--answers")
        .arg(&answers)
        .arg("--output")
        .arg(&dest)
        .arg("--no-git")
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(dest.join("OWNERS")).unwrap(),
        "team = \"search\" <a@b.c> port 9000\n"
    );
    assert!(!dest.join(".git").exists());
}

#[test]
fn invalid_answer_names_the_variable_and_rule() {
    let tmp = tempfile::tempdir().unwrap();
    svcgen()
        .args([
            "new",
            "svc",
            "--no-input",
            "--set",
            "team=x",
            "--set",
            "owner_email=nope",
        ])
        .arg("--blueprint")
        .arg(fixture("required"))
        .arg("--output")
        .arg(tmp.path().join("svc"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "invalid value for `owner_email`: must be an email address (got `nope`)",
        ));
}

#[test]
fn non_empty_destination_is_refused_and_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
    svcgen()
        .args(["new", "catalog", "--no-input", "--output"])
        .arg(tmp.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "destination exists and is not empty",
        ));
    assert_eq!(entries(tmp.path()), ["notes.txt"]);
}

#[test]
fn failure_in_the_last_file_leaves_no_directory_and_names_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    svcgen()
        .args(["new", "svc", "--no-input", "--blueprint"])
        .arg(fixture("bad-last-file"))
        .arg("--output")
        .arg(tmp.path().join("svc"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "bad-last-file/template/zz-last.txt:3: Variable `not_declared` not found in context",
        ));
    assert!(entries(tmp.path()).is_empty());
}

#[test]
fn bad_toml_names_file_and_line() {
    svcgen()
        .args(["new", "svc", "--no-input", "--dry-run", "--blueprint"])
        .arg(fixture("bad-toml"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "bad-toml/blueprint.toml:7: invalid blueprint definition",
        ));
}

#[test]
fn invalid_name_is_a_usage_error_that_says_why() {
    svcgen()
        .args(["new", "My_Service", "--no-input", "--dry-run"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid service name `My_Service`",
        ))
        .stderr(predicate::str::contains("lowercase"));
}

#[test]
fn unknown_flag_is_a_usage_error() {
    svcgen().args(["new", "x", "--frobnicate"]).assert().code(2);
}

#[test]
fn help_shows_examples() {
    svcgen()
        .args(["new", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:"))
        .stdout(predicate::str::contains("--no-input"));
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let plain = svcgen()
        .args(["new", "Bad", "--dry-run"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(!String::from_utf8_lossy(&plain).contains('\x1b'));
    let coloured = svcgen()
        .args(["--color", "always", "new", "Bad", "--dry-run"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&coloured).contains("\x1b[1;31merror"));
}

#[test]
fn blueprints_lists_builtins_with_variables() {
    svcgen()
        .arg("blueprints")
        .assert()
        .success()
        .stdout(predicate::str::contains("service 1.5.0"))
        .stdout(predicate::str::contains("example_resource"))
        .stdout(predicate::str::contains("compose|k8s|both"))
        .stdout(predicate::str::contains("github|gitlab|none"))
        .stdout(predicate::str::contains("nats|kafka"));
}

#[test]
fn git_blueprint_is_cloned_at_a_tag_and_its_commit_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = tmp.path().join("origin");
    let repo = git2::Repository::init(&origin).unwrap();
    let write_version = |version: &str| {
        std::fs::create_dir_all(origin.join("template")).unwrap();
        std::fs::write(
            origin.join("blueprint.toml"),
            format!("[blueprint]\nname = \"remote\"\nversion = \"{version}\"\n"),
        )
        .unwrap();
        std::fs::write(origin.join("template/VERSION"), version).unwrap();
        let mut index = repo.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("t", "t@t").unwrap();
        let parents: Vec<_> = repo
            .head()
            .ok()
            .map(|h| h.peel_to_commit().unwrap())
            .into_iter()
            .collect();
        let parent_refs: Vec<_> = parents.iter().collect();
        let id = repo
            .commit(Some("HEAD"), &sig, &sig, version, &tree, &parent_refs)
            .unwrap();
        repo.tag_lightweight(
            &format!("v{version}"),
            &repo.find_object(id, None).unwrap(),
            false,
        )
        .unwrap();
        id
    };
    let v1 = write_version("1.0.0");
    write_version("2.0.0");

    let cache = tmp.path().join("cache");
    let url = format!("file://{}", origin.display());
    let dest = tmp.path().join("svc");
    svcgen()
        .env("XDG_CACHE_HOME", &cache)
        .args(["new", "svc", "--no-input", "--no-git", "--blueprint"])
        .arg(format!("{url}#v1.0.0"))
        .arg("--output")
        .arg(&dest)
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(dest.join("VERSION")).unwrap(),
        "1.0.0"
    );
    let record = std::fs::read_to_string(dest.join(".svcgen/record.toml")).unwrap();
    assert!(record.contains(&format!("commit = \"{v1}\"")), "{record}");
    assert!(
        record.contains(&format!("source = \"{url}#v1.0.0\"")),
        "{record}"
    );

    // Without a ref: the default branch head. With the origin gone: the cache is reused.
    std::fs::remove_dir_all(&origin).unwrap();
    let dest2 = tmp.path().join("svc2");
    svcgen()
        .env("XDG_CACHE_HOME", &cache)
        .args(["new", "svc", "--no-input", "--no-git", "--blueprint"])
        .arg(&url)
        .arg("--output")
        .arg(&dest2)
        .assert()
        .success()
        .stderr(predicate::str::contains("using the cached copy"));
    assert_eq!(
        std::fs::read_to_string(dest2.join("VERSION")).unwrap(),
        "2.0.0"
    );
}

#[test]
fn prompts_are_answered_in_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("pty-svc");
    let bin = assert_cmd::cargo::cargo_bin("svcgen");
    let command = format!(
        "{} new pty-svc --blueprint minimal --no-git --output {}",
        bin.display(),
        dest.display()
    );
    let mut session = rexpect::spawn(&command, Some(20_000)).unwrap();
    session.exp_string("One-line description").unwrap();
    session.send_line("A program made in a pty").unwrap();
    session.exp_string("License").unwrap();
    // Down once from the default (MIT) selects Apache-2.0.
    session.send("\x1b[B").unwrap();
    session.send_line("").unwrap();
    session
        .exp_string("Add a GitHub Actions workflow?")
        .unwrap();
    session.exp_string("(y/n)").unwrap();
    session.send_line("n").unwrap();
    session
        .exp_string("pty-svc from blueprint minimal 1.0.0")
        .unwrap();
    session.exp_eof().unwrap();

    let cargo_toml = std::fs::read_to_string(dest.join("Cargo.toml")).unwrap();
    assert!(
        cargo_toml.contains("description = \"A program made in a pty\""),
        "{cargo_toml}"
    );
    assert!(
        cargo_toml.contains("license = \"Apache-2.0\""),
        "{cargo_toml}"
    );
    assert!(!dest.join(".github").exists());
}
