//! Services in a monorepo: `svcgen new --output services/a` inside an existing git work tree
//! stages the service in that repository (no nested `.git`), and `check`, `update --commit`
//! and rename following work on the service's folder of it.

use std::path::PathBuf;
use std::process::Output;

use assert_cmd::Command;

/// A monorepo with a first commit, and a local blueprint folder (`mono`) to make services from.
struct Monorepo {
    dir: tempfile::TempDir,
}

impl Monorepo {
    fn new() -> Monorepo {
        let dir = tempfile::tempdir().unwrap();
        let repo_dir = dir.path().join("repo");
        std::fs::create_dir_all(&repo_dir).unwrap();
        git2::Repository::init(&repo_dir).unwrap();
        std::fs::write(repo_dir.join("README.md"), "# Our monorepo\n").unwrap();
        let monorepo = Monorepo { dir };
        monorepo.commit_all("First commit");
        monorepo.publish("1.0.0", "v1");
        monorepo
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn blueprint(&self) -> PathBuf {
        self.dir.path().join("blueprint")
    }

    /// Writes the blueprint at `version`, its README template ending with `line`.
    fn publish(&self, version: &str, line: &str) {
        let dir = self.blueprint();
        std::fs::create_dir_all(dir.join("template/src")).unwrap();
        std::fs::write(
            dir.join("blueprint.toml"),
            format!(
                "[blueprint]\nname = \"mono\"\ndescription = \"Monorepo fixture\"\nversion = \"{version}\"\n"
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join("template/README.md"),
            format!("# {{{{ name }}}}\n\nThe {{{{ name }}}} service.\n\n{line}\n"),
        )
        .unwrap();
        std::fs::write(
            dir.join("template/src/main.rs"),
            format!("fn main() {{\n    println!(\"{{{{ name }}}} {line}\");\n}}\n"),
        )
        .unwrap();
        std::fs::write(dir.join("template/.gitignore"), "/target/\n").unwrap();
    }

    fn svcgen(&self) -> Command {
        let mut cmd = Command::cargo_bin("svcgen").unwrap();
        cmd.env("NO_COLOR", "1")
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "svcgen")
            .env("GIT_AUTHOR_EMAIL", "svcgen@example.com")
            .env("GIT_COMMITTER_NAME", "svcgen")
            .env("GIT_COMMITTER_EMAIL", "svcgen@example.com")
            .current_dir(self.root());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.svcgen().args(args).output().unwrap()
    }

    /// `svcgen new NAME --output services/NAME` from the local blueprint, plus `extra`.
    fn new_service(&self, name: &str, extra: &[&str]) -> Output {
        let blueprint = self.blueprint().display().to_string();
        let output = format!("services/{name}");
        let mut args = vec![
            "new",
            name,
            "--blueprint",
            &blueprint,
            "--no-input",
            "--output",
            &output,
        ];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    fn repo(&self) -> git2::Repository {
        git2::Repository::open(self.root()).unwrap()
    }

    /// `git status` of the monorepo: (path, status) for every path not current.
    fn status(&self) -> Vec<(String, git2::Status)> {
        let repo = self.repo();
        let mut options = git2::StatusOptions::new();
        options.include_untracked(true).recurse_untracked_dirs(true);
        let statuses = repo.statuses(Some(&mut options)).unwrap();
        let mut listed: Vec<(String, git2::Status)> = statuses
            .iter()
            .map(|entry| (entry.path().unwrap().to_owned(), entry.status()))
            .collect();
        listed.sort_by(|a, b| a.0.cmp(&b.0));
        listed
    }

    /// Stages everything and commits it, as `git add -A && git commit` would.
    fn commit_all(&self, message: &str) {
        let repo = self.repo();
        let mut index = repo.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.update_all(["*"], None).unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let parent = repo.head().ok().map(|h| h.peel_to_commit().unwrap());
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        let signature = git2::Signature::now("Test", "test@example.com").unwrap();
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

    /// The paths HEAD's commit changed against its parent.
    fn last_commit_paths(&self) -> Vec<String> {
        let repo = self.repo();
        let head = repo.head().unwrap().peel_to_commit().unwrap();
        let parent = head.parent(0).unwrap();
        let diff = repo
            .diff_tree_to_tree(
                Some(&parent.tree().unwrap()),
                Some(&head.tree().unwrap()),
                None,
            )
            .unwrap();
        let mut paths: Vec<String> = diff
            .deltas()
            .map(|d| d.new_file().path().unwrap().display().to_string())
            .collect();
        paths.sort();
        paths
    }

    fn head_message(&self) -> String {
        let repo = self.repo();
        let head = repo.head().unwrap().peel_to_commit().unwrap();
        head.message().unwrap().to_owned()
    }

    fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.root().join(path)).unwrap()
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

#[track_caller]
fn assert_contains(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "expected to find {needle:?} in:\n{haystack}"
    );
}

/// The files svcgen writes for a service of the `mono` blueprint, under `services/NAME/`.
fn service_files(name: &str) -> Vec<String> {
    [
        ".gitignore",
        ".svcgen/.gitattributes",
        ".svcgen/base",
        ".svcgen/record.toml",
        "README.md",
        "src/main.rs",
    ]
    .iter()
    .map(|path| format!("services/{name}/{path}"))
    .collect()
}

#[test]
fn new_in_a_monorepo_stages_the_service_in_it_and_makes_no_nested_repository() {
    let mono = Monorepo::new();
    let made = mono.new_service("a", &[]);
    assert_code(&made, 0);
    let root = std::fs::canonicalize(mono.root()).unwrap();
    assert_contains(
        &stderr(&made),
        &format!(
            "Added services/a to the repository at {} (staged, not committed",
            root.display()
        ),
    );
    assert!(!mono.root().join("services/a/.git").exists());
    // Staged (added to the index), nothing else touched, nothing committed.
    let expected: Vec<(String, git2::Status)> = service_files("a")
        .into_iter()
        .map(|path| (path, git2::Status::INDEX_NEW))
        .collect();
    assert_eq!(mono.status(), expected);
    assert_eq!(mono.head_message(), "First commit");

    // The record says where in the repository the service is.
    assert_contains(
        &mono.read("services/a/.svcgen/record.toml"),
        "[repository]\npath = \"services/a\"\n",
    );

    // A second service beside it, committed with --commit; a's files stay staged, uncommitted.
    let made = mono.new_service("b", &["--commit", "--format", "json"]);
    assert_code(&made, 0);
    assert_contains(&stderr(&made), "Committed services/b to the repository at");
    let json: serde_json::Value = serde_json::from_slice(&made.stdout).unwrap();
    assert_eq!(json["repository"]["root"], root.display().to_string());
    assert_eq!(json["repository"]["path"], "services/b");
    assert_eq!(json["repository"]["committed"], true);
    let commit = json["commit"].as_str().unwrap().to_owned();
    assert_eq!(
        mono.repo().head().unwrap().target().unwrap().to_string(),
        commit
    );
    assert!(
        mono.head_message()
            .starts_with("Generate b from blueprint mono 1.0.0")
    );
    assert_eq!(mono.last_commit_paths(), service_files("b"));
    assert!(!mono.root().join("services/b/.git").exists());
    assert!(
        mono.status()
            .iter()
            .all(|(path, status)| path.starts_with("services/a/")
                && *status == git2::Status::INDEX_NEW),
        "{:?}",
        mono.status()
    );
}

#[test]
fn new_outside_a_repository_still_makes_one_and_no_git_means_no_git() {
    let mono = Monorepo::new();
    // --no-git in the monorepo: written, nothing staged, no repository.
    let made = mono.new_service("a", &["--no-git", "--format", "json"]);
    assert_code(&made, 0);
    let json: serde_json::Value = serde_json::from_slice(&made.stdout).unwrap();
    // The key is always there, null when the service was added to no enclosing repository.
    assert_eq!(
        json.get("repository"),
        Some(&serde_json::Value::Null),
        "{json}"
    );
    assert!(!mono.root().join("services/a/.git").exists());
    assert!(
        mono.status()
            .iter()
            .all(|(_, status)| *status == git2::Status::WT_NEW),
        "{:?}",
        mono.status()
    );
    assert!(
        !mono
            .read("services/a/.svcgen/record.toml")
            .contains("[repository]")
    );

    // Outside any repository: a repository of its own, committed, its record without a path.
    let elsewhere = mono.dir.path().join("standalone");
    let made = mono.run(&[
        "new",
        "solo",
        "--blueprint",
        &mono.blueprint().display().to_string(),
        "--no-input",
        "--output",
        &elsewhere.display().to_string(),
        "--format",
        "json",
    ]);
    assert_code(&made, 0);
    let json: serde_json::Value = serde_json::from_slice(&made.stdout).unwrap();
    assert_eq!(
        json.get("repository"),
        Some(&serde_json::Value::Null),
        "{json}"
    );
    assert!(json["commit"].is_string(), "{json}");
    assert!(elsewhere.join(".git").is_dir());
    let record = std::fs::read_to_string(elsewhere.join(".svcgen/record.toml")).unwrap();
    assert!(!record.contains("[repository]"), "{record}");
}

#[test]
fn check_and_update_commit_work_on_a_service_folder_of_the_monorepo() {
    let mono = Monorepo::new();
    assert_code(&mono.new_service("a", &[]), 0);
    assert_code(&mono.new_service("b", &[]), 0);
    mono.commit_all("Add services a and b");

    // From the monorepo's root, and from inside the service's folder.
    let check = mono.run(&["check", "--service", "services/a"]);
    assert_code(&check, 0);
    assert_contains(&stdout(&check), "up to date");
    let check = mono
        .svcgen()
        .current_dir(mono.root().join("services/b"))
        .arg("check")
        .output()
        .unwrap();
    assert_code(&check, 0);

    mono.publish("1.1.0", "v2");
    let check = mono.run(&["check", "--service", "services/a"]);
    assert_code(&check, 1);
    assert_contains(&stdout(&check), "1.1.0");

    // A change elsewhere in the monorepo does not make the service dirty; one in it does.
    std::fs::write(mono.root().join("README.md"), "# Our monorepo, edited\n").unwrap();
    std::fs::write(mono.root().join("services/b/notes.txt"), "b's own\n").unwrap();
    std::fs::write(mono.root().join("services/a/scratch.txt"), "wip\n").unwrap();
    let refused = mono.run(&["update", "--service", "services/a", "--commit"]);
    assert_code(&refused, 1);
    assert_contains(&stderr(&refused), "scratch.txt");
    std::fs::remove_file(mono.root().join("services/a/scratch.txt")).unwrap();

    let updated = mono.run(&["update", "--service", "services/a", "--commit"]);
    assert_code(&updated, 0);
    assert!(
        mono.head_message()
            .starts_with("Update a to blueprint mono 1.1.0"),
        "{}",
        mono.head_message()
    );
    assert_eq!(
        mono.last_commit_paths(),
        [
            "services/a/.svcgen/base",
            "services/a/.svcgen/record.toml",
            "services/a/README.md",
            "services/a/src/main.rs",
        ]
    );
    assert_contains(&mono.read("services/a/README.md"), "v2");
    assert_contains(&mono.read("services/b/README.md"), "v1");
    // The record keeps the service's place; the edits outside a stay uncommitted.
    assert_contains(
        &mono.read("services/a/.svcgen/record.toml"),
        "[repository]\npath = \"services/a\"\n",
    );
    let left: Vec<String> = mono.status().into_iter().map(|(path, _)| path).collect();
    assert_eq!(left, ["README.md", "services/b/notes.txt"]);

    let check = mono.run(&["check", "--service", "services/a"]);
    assert_code(&check, 0);
    assert_contains(&stdout(&check), "up to date");
    let check = mono.run(&["check", "--service", "services/b"]);
    assert_code(&check, 1);
}

#[test]
fn update_follows_a_file_the_team_moved_within_the_service_folder() {
    let mono = Monorepo::new();
    assert_code(&mono.new_service("a", &["--commit"]), 0);
    let service = mono.root().join("services/a");
    std::fs::create_dir_all(service.join("docs")).unwrap();
    std::fs::rename(service.join("README.md"), service.join("docs/README.md")).unwrap();
    mono.commit_all("Move a's README into docs/");

    mono.publish("1.1.0", "v2");
    let updated = mono.run(&["update", "--service", "services/a", "--commit"]);
    assert_code(&updated, 0);
    assert!(!service.join("README.md").exists(), "{}", stderr(&updated));
    assert_contains(&mono.read("services/a/docs/README.md"), "v2");
    assert!(mono.status().is_empty(), "{:?}", mono.status());
}

/// The paths `branch` of the bare repository `bare` changed against `main`, and its message.
fn branch_changes(bare: &std::path::Path, branch: &str) -> (Vec<String>, String) {
    let repo = git2::Repository::open_bare(bare).unwrap();
    let tip = repo
        .find_reference(&format!("refs/heads/{branch}"))
        .unwrap_or_else(|_| panic!("no branch {branch}"))
        .peel_to_commit()
        .unwrap();
    let main = repo
        .find_reference("refs/heads/main")
        .unwrap()
        .peel_to_commit()
        .unwrap();
    let diff = repo
        .diff_tree_to_tree(
            Some(&main.tree().unwrap()),
            Some(&tip.tree().unwrap()),
            None,
        )
        .unwrap();
    let mut paths: Vec<String> = diff
        .deltas()
        .map(|d| d.new_file().path().unwrap().display().to_string())
        .collect();
    paths.sort();
    (paths, tip.message().unwrap().to_owned())
}

#[test]
fn a_fleet_file_names_services_in_folders_of_one_repository_with_path() {
    let mono = Monorepo::new();
    assert_code(&mono.new_service("a", &["--commit"]), 0);
    assert_code(&mono.new_service("b", &["--commit"]), 0);
    let bare = mono.dir.path().join("remote/mono.git");
    let remote = git2::Repository::init_bare(&bare).unwrap();
    remote.set_head("refs/heads/main").unwrap();
    {
        let repo = mono.repo();
        let head = repo.head().unwrap().name().unwrap().to_owned();
        let mut push = repo
            .remote_anonymous(&format!("file://{}", bare.display()))
            .unwrap();
        push.push(&[format!("+{head}:refs/heads/main").as_str()], None)
            .unwrap();
    }
    let fleet_file = mono.dir.path().join("fleet.toml");
    std::fs::write(
        &fleet_file,
        format!(
            "[[service]]\nrepo = \"file://{0}\"\npath = \"services/a\"\n\n[[service]]\nrepo = \"file://{0}\"\npath = \"services/b\"\n",
            bare.display()
        ),
    )
    .unwrap();
    let file = fleet_file.display().to_string();

    let check = mono.run(&["check", "--all", &file, "--format", "json"]);
    assert_code(&check, 0);
    let json: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    let services: Vec<(&str, &str, &str)> = json
        .as_array()
        .unwrap_or_else(|| panic!("{json}"))
        .iter()
        .map(|s| {
            (
                s["service"].as_str().unwrap(),
                s["repo_path"].as_str().unwrap(),
                s["result"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        services,
        [
            ("a", "services/a", "up to date"),
            ("b", "services/b", "up to date")
        ],
        "{json}"
    );

    mono.publish("1.1.0", "v2");
    let check = mono.run(&["check", "--all", &file]);
    assert_code(&check, 1);

    let updated = mono.run(&["update", "--all", &file, "--no-input", "--push"]);
    assert_code(&updated, 0);
    for name in ["a", "b"] {
        let (paths, message) = branch_changes(&bare, &format!("svcgen/services/{name}/mono-1.1.0"));
        assert!(
            message.starts_with(&format!("Update {name} to blueprint mono 1.1.0")),
            "{message}"
        );
        let expected: Vec<String> = [
            ".svcgen/base",
            ".svcgen/record.toml",
            "README.md",
            "src/main.rs",
        ]
        .iter()
        .map(|path| format!("services/{name}/{path}"))
        .collect();
        assert_eq!(paths, expected, "{}", stderr(&updated));
    }
    // No service at the folder a fleet file names is an error naming it.
    std::fs::write(
        &fleet_file,
        format!(
            "[[service]]\nrepo = \"file://{}\"\npath = \"services/c\"\n",
            bare.display()
        ),
    )
    .unwrap();
    let check = mono.run(&["check", "--all", &file]);
    assert_code(&check, 2);
    assert_contains(&stdout(&check), "has no service in `services/c`");
}

#[test]
fn a_folder_the_monorepo_ignores_is_written_and_nothing_is_staged_with_a_warning() {
    let mono = Monorepo::new();
    std::fs::write(mono.root().join(".gitignore"), "/scratch/\n").unwrap();
    mono.commit_all("Ignore scratch/");
    let blueprint = mono.blueprint().display().to_string();
    let made = mono.run(&[
        "new",
        "tmp",
        "--blueprint",
        &blueprint,
        "--no-input",
        "--output",
        "scratch/tmp",
    ]);
    assert_code(&made, 0);
    assert_contains(&stderr(&made), "ignores scratch/tmp");
    assert!(!stderr(&made).contains("Added"), "{}", stderr(&made));
    assert!(mono.root().join("scratch/tmp/README.md").is_file());
    assert!(!mono.root().join("scratch/tmp/.git").exists());
    assert!(mono.status().is_empty(), "{:?}", mono.status());
}

#[test]
fn add_event_works_on_a_service_folder_and_minds_only_its_changes() {
    let mono = Monorepo::new();
    let made = mono.run(&[
        "new",
        "catalog",
        "--no-input",
        "--output",
        "services/catalog",
        "--commit",
    ]);
    assert_code(&made, 0);
    assert!(!mono.root().join("services/catalog/.git").exists());
    std::fs::write(mono.root().join("NOTES.md"), "another team's work\n").unwrap();
    std::fs::write(mono.root().join("services/catalog/wip.txt"), "mine\n").unwrap();
    let add = |mono: &Monorepo| {
        mono.run(&[
            "add-event",
            "ProductChanged",
            "--field",
            "name:string",
            "--service",
            "services/catalog",
        ])
    };
    let refused = add(&mono);
    assert_code(&refused, 1);
    assert_contains(&stderr(&refused), "wip.txt");
    assert!(
        !stderr(&refused).contains("NOTES.md"),
        "{}",
        stderr(&refused)
    );

    std::fs::remove_file(mono.root().join("services/catalog/wip.txt")).unwrap();
    let added = add(&mono);
    assert_code(&added, 0);
    assert_contains(
        &mono.read("services/catalog/.svcgen/record.toml"),
        "name = \"ProductChanged\"",
    );
    let changed: Vec<String> = mono.status().into_iter().map(|(path, _)| path).collect();
    assert!(changed.contains(&"NOTES.md".to_owned()), "{changed:?}");
    assert!(
        changed
            .iter()
            .all(|path| path == "NOTES.md" || path.starts_with("services/catalog/")),
        "{changed:?}"
    );
    assert!(changed.len() > 2, "{changed:?}");
}

/// The platform team keeps its blueprint in the monorepo too: a service made from it records
/// the blueprint relative to the service, so a clone of the monorepo elsewhere still finds it.
#[test]
fn a_blueprint_folder_of_the_monorepo_is_recorded_relative_and_found_after_a_move() {
    let mono = Monorepo::new();
    let inside = mono.root().join("blueprints/mono");
    std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
    std::fs::rename(mono.blueprint(), &inside).unwrap();
    let out = mono.run(&[
        "new",
        "a",
        "--blueprint",
        "blueprints/mono",
        "--no-input",
        "--commit",
        "--output",
        "services/a",
    ]);
    assert_code(&out, 0);
    let record = mono.read("services/a/.svcgen/record.toml");
    assert_contains(&record, "source = \"../../blueprints/mono\"");

    // The whole monorepo moves (a clone elsewhere): the service still finds its blueprint.
    let moved = mono.dir.path().join("elsewhere");
    std::fs::rename(mono.root(), &moved).unwrap();
    let check = mono
        .svcgen()
        .current_dir(moved.join("services/a"))
        .arg("check")
        .output()
        .unwrap();
    assert_code(&check, 0);
    assert_contains(&stdout(&check), "up to date");
}
