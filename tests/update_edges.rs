//! `svcgen update` and `check` where a careful user is most likely to be let down: links, files
//! that become folders, renames the team already made, files whose policy changes, and which
//! version "newest" means. Each test publishes its own small blueprint as a git repository.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// One release of a test blueprint: its tag and its template files.
struct Release<'a> {
    tag: &'a str,
    version: &'a str,
    manifest_extra: &'a str,
    files: &'a [(&'a str, &'a str)],
}

fn commit_all(dir: &Path, message: &str) {
    let repo = git2::Repository::open(dir).unwrap();
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.update_all(["*"], None).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let signature = git2::Signature::now("Test", "test@example.com").unwrap();
    let parent = repo.head().ok().map(|h| h.peel_to_commit().unwrap());
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    repo.commit(
        Some("HEAD"),
        &signature,
        &signature,
        message,
        &tree,
        &parents,
    )
    .unwrap();
}

/// Commits each release over the last in a new repository, tagging it; returns its URL.
fn publish(root: &Path, releases: &[Release<'_>]) -> String {
    let dir = root.join("blueprint");
    std::fs::create_dir_all(&dir).unwrap();
    git2::Repository::init(&dir).unwrap();
    for release in releases {
        publish_release(&dir, release);
    }
    format!("file://{}", dir.display())
}

fn publish_release(dir: &Path, release: &Release<'_>) {
    let template = dir.join("template");
    if template.exists() {
        std::fs::remove_dir_all(&template).unwrap();
    }
    std::fs::write(
        dir.join("blueprint.toml"),
        format!(
            "[blueprint]\nname = \"edges\"\nversion = \"{}\"\n{}",
            release.version, release.manifest_extra
        ),
    )
    .unwrap();
    for (path, text) in release.files {
        let file = template.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    commit_all(dir, &format!("Release {}", release.version));
    if !release.tag.is_empty() {
        let repo = git2::Repository::open(dir).unwrap();
        let head = repo.head().unwrap().peel_to_commit().unwrap();
        repo.tag_lightweight(release.tag, head.as_object(), false)
            .unwrap();
    }
}

struct Service {
    tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Service {
    /// A service made from `releases[0]`'s tag (or `reference`), committed.
    fn new(releases: &[Release<'_>], reference: &str) -> Service {
        let tmp = tempfile::tempdir().unwrap();
        let url = publish(tmp.path(), &releases[..1]);
        let service = Service {
            dir: tmp.path().join("svc"),
            tmp,
        };
        service
            .svcgen()
            .current_dir(service.tmp.path())
            .args(["new", "svc", "--no-input", "--output", "svc", "--blueprint"])
            .arg(format!("{url}#{reference}"))
            .assert()
            .success();
        for release in &releases[1..] {
            publish_release(&service.tmp.path().join("blueprint"), release);
        }
        service
    }

    fn svcgen(&self) -> Command {
        let mut cmd = Command::cargo_bin("svcgen").unwrap();
        cmd.env("NO_COLOR", "1")
            .env("XDG_CACHE_HOME", self.tmp.path().join("cache"))
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .current_dir(&self.dir);
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.svcgen().args(args).output().unwrap()
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.path(rel), text).unwrap();
    }

    fn commit(&self, message: &str) {
        commit_all(&self.dir, message);
    }
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const LINES: &str = "one\ntwo\nthree\nfour\nfive\n";

#[cfg(unix)]
#[test]
fn a_team_symlink_where_the_blueprint_changes_a_file_is_a_conflict_and_stays_a_link() {
    let releases = [
        Release {
            tag: "v1.0.0",
            version: "1.0.0",
            manifest_extra: "",
            files: &[("shared.txt", LINES), ("other.txt", "x\n")],
        },
        Release {
            tag: "v2.0.0",
            version: "2.0.0",
            manifest_extra: "",
            files: &[
                ("shared.txt", "ONE\ntwo\nthree\nfour\nfive\n"),
                ("other.txt", "x\n"),
            ],
        },
    ];
    let svc = Service::new(&releases, "v1.0.0");
    std::fs::remove_file(svc.path("shared.txt")).unwrap();
    svc.write("mine.txt", "the team's own text\n");
    std::os::unix::fs::symlink("mine.txt", svc.path("shared.txt")).unwrap();
    svc.commit("Link shared.txt to our file");

    let out = svc.run(&["update", "--no-input", "--commit"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Conflict shared.txt"),
        "{}",
        stderr(&out)
    );
    let link = std::fs::symlink_metadata(svc.path("shared.txt")).unwrap();
    assert!(link.file_type().is_symlink(), "the link is never replaced");
    assert_eq!(svc.read("mine.txt"), "the team's own text\n");
    assert_eq!(
        svc.read("shared.txt.svcgen-new"),
        "ONE\ntwo\nthree\nfour\nfive\n"
    );
}

#[test]
fn a_file_that_becomes_a_folder_and_a_folder_that_becomes_a_file_are_swapped() {
    let releases = [
        Release {
            tag: "v1.0.0",
            version: "1.0.0",
            manifest_extra: "",
            files: &[
                ("config", "flat = true\n"),
                ("settings/app.toml", "nested = true\n"),
            ],
        },
        Release {
            tag: "v2.0.0",
            version: "2.0.0",
            manifest_extra: "",
            files: &[
                ("config/app.toml", "nested = true\n"),
                ("settings", "flat = true\n"),
            ],
        },
    ];
    let svc = Service::new(&releases, "v1.0.0");
    let out = svc.run(&["update", "--no-input"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(svc.read("config/app.toml"), "nested = true\n");
    assert_eq!(svc.read("settings"), "flat = true\n");
}

#[test]
fn a_file_the_team_edited_where_the_blueprint_now_has_a_folder_is_held_back() {
    let releases = [
        Release {
            tag: "v1.0.0",
            version: "1.0.0",
            manifest_extra: "",
            files: &[("config", "flat = true\n")],
        },
        Release {
            tag: "v2.0.0",
            version: "2.0.0",
            manifest_extra: "",
            files: &[("config/app.toml", "nested = true\n")],
        },
    ];
    let svc = Service::new(&releases, "v1.0.0");
    svc.write("config", "flat = true\nours = 1\n");
    svc.commit("Tune");
    let out = svc.run(&["update", "--no-input"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("Conflict config/app.toml"), "{err}");
    assert!(err.contains("git mv config config.old"), "{err}");
    assert_eq!(svc.read("config"), "flat = true\nours = 1\n");
}

#[test]
fn a_rename_the_team_already_made_merges_into_the_new_path() {
    let releases = [
        Release {
            tag: "v1.0.0",
            version: "1.0.0",
            manifest_extra: "",
            files: &[("notes.txt", LINES)],
        },
        Release {
            tag: "v2.0.0",
            version: "2.0.0",
            manifest_extra: "[[files.renames]]\nfrom = \"notes.txt\"\nto = \"docs/notes.txt\"\nsince = \"2.0.0\"\n",
            files: &[("docs/notes.txt", "ONE\ntwo\nthree\nfour\nfive\n")],
        },
    ];
    let svc = Service::new(&releases, "v1.0.0");
    std::fs::create_dir_all(svc.path("docs")).unwrap();
    std::fs::remove_file(svc.path("notes.txt")).unwrap();
    svc.write("docs/notes.txt", "one\ntwo\nthree\nfour\nFIVE (ours)\n");
    svc.commit("Move the notes, edit the last line");
    let out = svc.run(&["update", "--no-input"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        svc.read("docs/notes.txt"),
        "ONE\ntwo\nthree\nfour\nFIVE (ours)\n"
    );
}

#[test]
fn a_seed_file_that_becomes_managed_merges_disjoint_edits_from_history() {
    let releases = [
        Release {
            tag: "v1.0.0",
            version: "1.0.0",
            manifest_extra: "[files]\nseed = [\"grow.txt\"]\n",
            files: &[("grow.txt", LINES)],
        },
        Release {
            tag: "v2.0.0",
            version: "2.0.0",
            manifest_extra: "",
            files: &[("grow.txt", "ONE\ntwo\nthree\nfour\nfive\n")],
        },
    ];
    let svc = Service::new(&releases, "v1.0.0");
    svc.write("grow.txt", "one\ntwo\nthree\nfour\nFIVE (ours)\n");
    svc.commit("Ours");
    let out = svc.run(&["update", "--no-input"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(svc.read("grow.txt"), "ONE\ntwo\nthree\nfour\nFIVE (ours)\n");
}

#[test]
fn pre_releases_only_when_asked_for() {
    let release = |tag, version| Release {
        tag,
        version,
        manifest_extra: "",
        files: &[("a.txt", "a\n")],
    };
    let releases = [
        release("v1.0.0", "1.0.0"),
        release("v1.1.0", "1.1.0"),
        release("v2.0.0-rc.1", "2.0.0-rc.1"),
    ];
    let svc = Service::new(&releases, "v1.0.0");
    let out = svc.run(&["update", "--no-input", "--dry-run", "--plan", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["to"], "1.1.0");
    let out = svc.run(&[
        "update",
        "--no-input",
        "--pre",
        "--dry-run",
        "--plan",
        "json",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["to"], "2.0.0-rc.1");
}

#[test]
fn short_version_tags_count_and_unreadable_ones_are_reported() {
    let release = |tag, version, files| Release {
        tag,
        version,
        manifest_extra: "",
        files,
    };
    let releases = [
        release("v1", "1.0.0", &[("a.txt", "a\n")]),
        release("v2", "2.0.0", &[("a.txt", "b\n")]),
        release("v3.0.0.1", "3.0.1", &[("a.txt", "c\n")]),
    ];
    let svc = Service::new(&releases, "v1");
    let out = svc.run(&["check"]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("2.0.0 (available): behind"),
        "{}",
        stdout(&out)
    );
    assert!(stderr(&out).contains("v3.0.0.1"), "{}", stderr(&out));
}

#[test]
fn check_and_update_agree_for_a_service_that_follows_a_branch() {
    let release = |version, files| Release {
        tag: "",
        version,
        manifest_extra: "",
        files,
    };
    let releases = [
        release("1.0.0", &[("a.txt", "first\n")]),
        release("1.0.0", &[("a.txt", "second\n")]),
    ];
    let svc = Service::new(&releases, "master");
    let out = svc.run(&["check"]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(
        stdout(&out).contains(
            "1 file would change at the same version: the blueprint changed without a version bump"
        ) && stdout(&out).contains("\n  would change: a.txt\n"),
        "{}",
        stdout(&out)
    );
    let out = svc.run(&["update", "--no-input", "--commit"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(svc.read("a.txt"), "second\n");
    let out = svc.run(&["check"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
}

#[test]
fn a_file_the_team_moved_gets_the_blueprints_change_where_it_now_is() {
    let releases = [
        Release {
            tag: "v1.0.0",
            version: "1.0.0",
            manifest_extra: "",
            files: &[(
                "notes.txt",
                "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\n",
            )],
        },
        Release {
            tag: "v2.0.0",
            version: "2.0.0",
            manifest_extra: "",
            files: &[(
                "notes.txt",
                "ONE\ntwo\nthree\nfour\nfive\nsix\nseven\neight\n",
            )],
        },
    ];
    let svc = Service::new(&releases, "v1.0.0");
    std::fs::create_dir_all(svc.path("docs")).unwrap();
    std::fs::rename(svc.path("notes.txt"), svc.path("docs/notes.txt")).unwrap();
    svc.commit("git mv notes.txt docs/notes.txt");
    svc.write(
        "docs/notes.txt",
        "one\ntwo\nthree\nfour\nfive\nsix\nseven\nEIGHT (ours)\n",
    );
    svc.commit("Our edit");
    let out = svc.run(&["update", "--no-input"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("you moved `notes.txt` here"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        svc.read("docs/notes.txt"),
        "ONE\ntwo\nthree\nfour\nfive\nsix\nseven\nEIGHT (ours)\n"
    );
    assert!(!svc.path("notes.txt").exists(), "not brought back");
}

#[test]
fn check_fails_on_committed_conflict_markers_and_on_drift_the_record_does_not_allow() {
    let releases = [
        Release {
            tag: "v1.0.0",
            version: "1.0.0",
            manifest_extra: "",
            files: &[("notes.txt", LINES), ("Dockerfile", "FROM scratch\n")],
        },
        Release {
            tag: "v2.0.0",
            version: "2.0.0",
            manifest_extra: "",
            files: &[
                ("notes.txt", "ONE\ntwo\nthree\nfour\nfive\n"),
                ("Dockerfile", "FROM scratch\n"),
            ],
        },
    ];
    let svc = Service::new(&releases, "v1.0.0");
    svc.write("notes.txt", "uno\ntwo\nthree\nfour\nfive\n");
    svc.commit("Ours");
    assert_eq!(code(&svc.run(&["update", "--no-input"])), 3);
    // The team commits the markers as they are.
    svc.commit("Update (conflicts left)");
    let out = svc.run(&["check"]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("unresolved: notes.txt still holds the <<<<<<< markers"),
        "{}",
        stdout(&out)
    );
    svc.write("notes.txt", "ONE (both)\ntwo\nthree\nfour\nfive\n");
    svc.commit("Resolved");
    assert_eq!(code(&svc.run(&["check"])), 0);

    std::fs::remove_file(svc.path("Dockerfile")).unwrap();
    svc.commit("We deploy differently");
    assert_eq!(
        code(&svc.run(&["check"])),
        0,
        "drift is only checked when asked"
    );
    let out = svc.run(&["check", "--drift", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let drift = report["drift"].as_array().unwrap();
    assert!(
        drift
            .iter()
            .any(|d| d["path"] == "Dockerfile" && d["kind"] == "deleted"),
        "{report}"
    );
    let record = svc.read(".svcgen/record.toml");
    svc.write(
        ".svcgen/record.toml",
        &format!("{record}\n[drift]\nallow = [\"Dockerfile\", \"notes.txt\"]\n"),
    );
    svc.commit("Intended");
    let out = svc.run(&["check", "--drift"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("drift: Dockerfile deleted (intended"),
        "{}",
        stdout(&out)
    );
}

/// A text file over 1 MiB is kept in `.svcgen/base` by its blob id, not its bytes (the base
/// would otherwise double the repository's largest files); an update still merges it, reading
/// the old version from the service's git history.
#[test]
fn a_large_text_file_is_kept_by_id_in_the_base_and_still_merges() {
    let v1: String = (0..200_000).map(|n| format!("line {n}\n")).collect();
    assert!(v1.len() > 1 << 20);
    let v2 = v1.replacen("line 0\n", "line 0 (v2)\n", 1);
    let releases = [
        Release {
            tag: "v1.0.0",
            version: "1.0.0",
            manifest_extra: "",
            files: &[("big.txt", &v1)],
        },
        Release {
            tag: "v2.0.0",
            version: "2.0.0",
            manifest_extra: "",
            files: &[("big.txt", &v2)],
        },
    ];
    let svc = Service::new(&releases, "v1.0.0");
    let base = std::fs::metadata(svc.path(".svcgen/base")).unwrap().len();
    assert!(base < 64 * 1024, "the base holds {base} bytes");
    let ours = v1.replacen("line 199999\n", "line 199999 (ours)\n", 1);
    svc.write("big.txt", &ours);
    svc.commit("Ours");
    let out = svc.run(&["update", "--no-input"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let merged = svc.read("big.txt");
    assert!(merged.starts_with("line 0 (v2)\n"));
    assert!(merged.ends_with("line 199999 (ours)\n"));
    assert_eq!(merged.len(), v1.len() + "(v2) (ours) ".len());
}
