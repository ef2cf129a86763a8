//! A fleet of git repositories, as a platform team runs one: 12 services made from v1.0.0 of a
//! blueprint repository, each pushed to its own bare repository (`file://` remotes) and named
//! in a fleet file; three teams edited lines the blueprint leaves alone, one edited the line
//! v1.1.0 changes. `check --all` sees the fleet behind, `update --all --push` pushes an update
//! branch to every repository but the conflicting one, a rerun moves nothing, the conflicting
//! one is pushed with `--push-conflicts` and resolved on its branch, and once every branch is
//! merged the fleet is up to date.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

const SERVICES: usize = 12;
/// Services whose team edited a line v1.1.0 does not change.
const EDITED: [usize; 3] = [1, 2, 3];
/// The service whose team edited the line v1.1.0 changes.
const CONFLICTING: usize = 4;
const BRANCH: &str = "svcgen/tiny-1.1.0";

fn signature() -> git2::Signature<'static> {
    git2::Signature::now("Team", "team@example.com").unwrap()
}

fn write(path: &Path, contents: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

/// Stages everything in the work tree and commits it on HEAD.
fn commit_all(dir: &Path, message: &str) -> git2::Oid {
    let repo = git2::Repository::open(dir).unwrap();
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
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
    .unwrap()
}

const README_V1: &str =
    "# {{ name }}\n\nline a: what the service does\nline b\nline c: built from tiny 1.0\nline d\n";

struct Fleet {
    tmp: tempfile::TempDir,
}

impl Fleet {
    fn root(&self) -> &Path {
        self.tmp.path()
    }

    fn blueprint(&self) -> PathBuf {
        self.root().join("blueprint")
    }

    fn checkout(&self, i: usize) -> PathBuf {
        self.root().join(format!("checkouts/svc-{i:02}"))
    }

    fn remote(&self, i: usize) -> PathBuf {
        self.root().join(format!("remotes/svc-{i:02}.git"))
    }

    fn fleet_file(&self) -> PathBuf {
        self.root().join("fleet.toml")
    }

    fn svcgen(&self) -> Command {
        let mut cmd = Command::cargo_bin("svcgen").unwrap();
        cmd.env("NO_COLOR", "1")
            .env("HOME", self.root())
            .env("XDG_CONFIG_HOME", self.root().join("config"))
            .env("XDG_CACHE_HOME", self.root().join("cache"))
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

    fn publish(&self, version: &str, readme: &str) {
        let dir = self.blueprint();
        write(
            &dir.join("blueprint.toml"),
            &format!(
                "[blueprint]\nname = \"tiny\"\ndescription = \"A small test blueprint\"\nversion = \"{version}\"\n"
            ),
        );
        write(&dir.join("template/README.md"), readme);
        write(
            &dir.join("template/src/main.rs"),
            "fn main() {\n    println!(\"{{ name }}\");\n}\n",
        );
        let commit = commit_all(&dir, &format!("tiny {version}"));
        let repo = git2::Repository::open(&dir).unwrap();
        repo.tag_lightweight(
            &format!("v{version}"),
            &repo.find_object(commit, None).unwrap(),
            false,
        )
        .unwrap();
    }

    /// The blueprint at v1.0.0, the services made from it and pushed, the teams' edits.
    fn new() -> Fleet {
        let fleet = Fleet {
            tmp: tempfile::tempdir().unwrap(),
        };
        git2::Repository::init(fleet.blueprint()).unwrap();
        fleet.publish("1.0.0", README_V1);
        let source = format!("file://{}#v1.0.0", fleet.blueprint().display());
        let mut toml = String::from("# every service of the test fleet\n");
        for i in 1..=SERVICES {
            let checkout = fleet.checkout(i);
            let out = fleet
                .svcgen()
                .args(["new", &format!("svc-{i:02}"), "--no-input", "--quiet"])
                .args(["--blueprint", &source, "--output"])
                .arg(&checkout)
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
            if EDITED.contains(&i) {
                edit(
                    &checkout.join("README.md"),
                    "line a: what the service does",
                    "line a: the team's words",
                );
                commit_all(&checkout, "Say what we do");
            }
            if i == CONFLICTING {
                edit(
                    &checkout.join("README.md"),
                    "line c: built from tiny 1.0",
                    "line c: ours",
                );
                commit_all(&checkout, "Our line c");
            }
            let bare = git2::Repository::init_bare(fleet.remote(i)).unwrap();
            bare.set_head("refs/heads/main").unwrap();
            push(&checkout, &fleet.remote(i), "main", "main");
            // Every other one follows its HEAD; the rest name the branch.
            toml.push_str(&format!(
                "\n[[service]]\nrepo = \"file://{}\"\n{}",
                fleet.remote(i).display(),
                if i % 2 == 0 {
                    "branch = \"main\"\n"
                } else {
                    ""
                }
            ));
        }
        write(&fleet.fleet_file(), &toml);
        fleet
    }

    /// Every branch of every bare repository and where it points.
    fn remote_refs(&self) -> BTreeMap<String, String> {
        let mut refs = BTreeMap::new();
        for i in 1..=SERVICES {
            let repo = git2::Repository::open_bare(self.remote(i)).unwrap();
            for reference in repo.references().unwrap() {
                let reference = reference.unwrap();
                refs.insert(
                    format!("svc-{i:02} {}", reference.name().unwrap()),
                    reference.target().unwrap().to_string(),
                );
            }
        }
        refs
    }

    /// A file at the tip of `branch` in bare repository `i`.
    fn remote_file(&self, i: usize, branch: &str, path: &str) -> Option<String> {
        let repo = git2::Repository::open_bare(self.remote(i)).unwrap();
        let tip = repo
            .find_reference(&format!("refs/heads/{branch}"))
            .ok()?
            .peel_to_commit()
            .unwrap();
        let entry = tip.tree().unwrap().get_path(Path::new(path)).ok()?;
        let blob = repo.find_blob(entry.id()).unwrap();
        Some(String::from_utf8(blob.content().to_vec()).unwrap())
    }

    fn remote_message(&self, i: usize, branch: &str) -> String {
        let repo = git2::Repository::open_bare(self.remote(i)).unwrap();
        let commit = repo
            .find_reference(&format!("refs/heads/{branch}"))
            .unwrap()
            .peel_to_commit()
            .unwrap();
        commit.message().unwrap().to_owned()
    }

    /// Merges `branch` into main in bare repository `i`: the update branch starts from main, so
    /// main moves to it, as a fast-forward merge of the request would.
    fn merge(&self, i: usize, branch: &str) {
        let repo = git2::Repository::open_bare(self.remote(i)).unwrap();
        let tip = repo
            .find_reference(&format!("refs/heads/{branch}"))
            .unwrap()
            .target()
            .unwrap();
        let main = repo
            .find_reference("refs/heads/main")
            .unwrap()
            .target()
            .unwrap();
        assert!(repo.graph_descendant_of(tip, main).unwrap());
        repo.reference("refs/heads/main", tip, true, "merge")
            .unwrap();
    }
}

fn edit(path: &Path, old: &str, new: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.contains(old),
        "{} lacks {old:?}:\n{text}",
        path.display()
    );
    std::fs::write(path, text.replacen(old, new, 1)).unwrap();
}

/// Pushes branch `from` of the repository in `dir` to branch `to` of `remote`.
fn push(dir: &Path, remote: &Path, from: &str, to: &str) {
    let repo = git2::Repository::open(dir).unwrap();
    let mut remote = repo
        .remote_anonymous(&format!("file://{}", remote.display()))
        .unwrap();
    remote
        .push(
            &[format!("+refs/heads/{from}:refs/heads/{to}").as_str()],
            None,
        )
        .unwrap();
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_code(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

/// The JSON rows of a fleet run, by service name.
fn rows(out: &Output) -> BTreeMap<String, serde_json::Value> {
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|err| panic!("{err}: {}\n{}", stdout(out), stderr(out)));
    rows.into_iter()
        .map(|row| (row["service"].as_str().unwrap().to_owned(), row))
        .collect()
}

fn name(i: usize) -> String {
    format!("svc-{i:02}")
}

#[test]
fn a_fleet_of_repositories_is_updated_on_pushed_branches_keeping_every_edit() {
    let fleet = Fleet::new();
    let file = fleet.fleet_file();
    let file = file.to_str().unwrap();
    fleet.publish(
        "1.1.0",
        &README_V1.replace("line c: built from tiny 1.0", "line c: built from tiny 1.1"),
    );

    // Behind, every one of them.
    let out = fleet.run(&["check", "--all", file, "--format", "json"]);
    assert_code(&out, 1);
    let checked = rows(&out);
    assert_eq!(checked.len(), SERVICES);
    for row in checked.values() {
        assert_eq!(row["result"], "behind", "{row}");
        assert_eq!(row["from"], "1.0.0");
        assert_eq!(row["to"], "1.1.0");
    }

    // Update and push: a branch for every service but the conflicting one.
    let before = fleet.remote_refs();
    let out = fleet.run(&[
        "update",
        "--all",
        file,
        "--no-input",
        "--push",
        "--format",
        "json",
    ]);
    assert_code(&out, 3);
    let updated = rows(&out);
    for i in 1..=SERVICES {
        let row = &updated[&name(i)];
        assert_eq!(row["branch"], BRANCH, "{row}");
        if i == CONFLICTING {
            assert_eq!(row["result"], "conflicts, not pushed", "{row}");
            assert_eq!(row["conflicts"], serde_json::json!(["README.md"]));
            assert!(row.get("pushed").is_none(), "{row}");
            assert_eq!(fleet.remote_file(i, BRANCH, "README.md"), None);
            continue;
        }
        assert_eq!(row["result"], "updated, committed", "{row}");
        assert_eq!(row["pushed"], true, "{row}");
        let readme = fleet.remote_file(i, BRANCH, "README.md").unwrap();
        assert!(readme.contains("line c: built from tiny 1.1"), "{readme}");
        let team_line = if EDITED.contains(&i) {
            "line a: the team's words"
        } else {
            "line a: what the service does"
        };
        assert!(readme.contains(team_line), "{}: {readme}", name(i));
        let message = fleet.remote_message(i, BRANCH);
        assert!(
            message.starts_with(&format!("Update {} to blueprint tiny 1.1.0", name(i))),
            "{message}"
        );
        assert!(
            message.contains("From blueprint tiny 1.0.0 to 1.1.0"),
            "{message}"
        );
        // main is the team's to merge into.
        let main_readme = fleet.remote_file(i, "main", "README.md").unwrap();
        assert!(!main_readme.contains("tiny 1.1"), "{main_readme}");
    }
    let after = fleet.remote_refs();
    let new_branches: Vec<&String> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    assert_eq!(new_branches.len(), SERVICES - 1, "{new_branches:?}");
    assert!(before.iter().all(|(name, id)| after.get(name) == Some(id)));
    assert!(
        stderr(&out)
            .contains("12 services: 11 updated, 1 with conflicts, 0 failed; 11 branches pushed"),
        "{}",
        stderr(&out)
    );

    // Again: nothing moves, and the conflict is still reported.
    let out = fleet.run(&[
        "update",
        "--all",
        file,
        "--no-input",
        "--push",
        "--format",
        "json",
    ]);
    assert_code(&out, 3);
    assert_eq!(fleet.remote_refs(), after);
    let again = rows(&out);
    for i in (1..=SERVICES).filter(|i| *i != CONFLICTING) {
        assert_eq!(again[&name(i)]["result"], "up to date on its branch");
    }
    assert_eq!(again[&name(CONFLICTING)]["result"], "conflicts, not pushed");

    // The conflicting one, pushed on request with the markers and a message naming the file.
    let out = fleet.run(&[
        "update",
        "--all",
        file,
        "--no-input",
        "--push",
        "--push-conflicts",
    ]);
    assert_code(&out, 3);
    let readme = fleet.remote_file(CONFLICTING, BRANCH, "README.md").unwrap();
    assert!(
        readme.contains("<<<<<<<") && readme.contains("line c: ours"),
        "{readme}"
    );
    let message = fleet.remote_message(CONFLICTING, BRANCH);
    assert!(message.contains("Conflicts to resolve"), "{message}");
    assert!(message.contains("- README.md"), "{message}");
    let out = fleet.run(&["check", "--all", file, "--format", "json"]);
    assert_code(&out, 1);
    assert_eq!(
        rows(&out)[&name(CONFLICTING)]["conflicts"],
        serde_json::json!(["README.md"])
    );

    // Its team resolves the conflict on the branch; a rerun keeps their resolution.
    let checkout = fleet.checkout(CONFLICTING);
    {
        let repo = git2::Repository::open(&checkout).unwrap();
        let mut remote = repo
            .remote_anonymous(&format!("file://{}", fleet.remote(CONFLICTING).display()))
            .unwrap();
        remote
            .fetch(
                &[format!("+refs/heads/{BRANCH}:refs/heads/{BRANCH}").as_str()],
                None,
                None,
            )
            .unwrap();
        let tip = repo.revparse_single(BRANCH).unwrap();
        repo.checkout_tree(&tip, Some(git2::build::CheckoutBuilder::new().force()))
            .unwrap();
        repo.set_head(&format!("refs/heads/{BRANCH}")).unwrap();
    }
    let resolved =
        "# svc-04\n\nline a: what the service does\nline b\nline c: ours, on tiny 1.1\nline d\n";
    std::fs::write(checkout.join("README.md"), resolved).unwrap();
    commit_all(&checkout, "Resolve the update's conflict");
    push(&checkout, &fleet.remote(CONFLICTING), BRANCH, BRANCH);
    let resolved_refs = fleet.remote_refs();
    let out = fleet.run(&["update", "--all", file, "--no-input", "--push"]);
    assert_code(&out, 0);
    assert_eq!(fleet.remote_refs(), resolved_refs);

    // Merged everywhere: up to date.
    for i in 1..=SERVICES {
        fleet.merge(i, BRANCH);
    }
    let out = fleet.run(&["check", "--all", file, "--format", "json"]);
    assert_code(&out, 0);
    assert!(rows(&out).values().all(|row| row["result"] == "up to date"));
    assert_eq!(
        fleet.remote_file(CONFLICTING, "main", "README.md").unwrap(),
        resolved
    );
    let out = fleet.run(&["update", "--all", file, "--no-input", "--push"]);
    assert_code(&out, 0);
    assert_eq!(
        fleet.remote_refs().len(),
        resolved_refs.len(),
        "no new branches once merged"
    );
}

#[test]
fn one_unreachable_repository_never_stops_the_others() {
    let fleet = Fleet::new_small(2);
    let file = fleet.fleet_file();
    let mut toml = std::fs::read_to_string(&file).unwrap();
    toml.push_str(&format!(
        "\n[[service]]\nrepo = \"file://{}\"\n\n[[service]]\nrepo = \"file://{}\"\nbranch = \"no-such-branch\"\n",
        fleet.root().join("remotes/missing.git").display(),
        fleet.remote(1).display()
    ));
    // The same repository twice is refused, so the second one is another clone of it.
    let copy = fleet.root().join("remotes/copy.git");
    let repo = git2::Repository::init_bare(&copy).unwrap();
    drop(repo);
    push(&fleet.checkout(1), &copy, "main", "main");
    let toml = toml.replace(
        &format!("file://{}\"\nbranch", fleet.remote(1).display()),
        &format!("file://{}\"\nbranch", copy.display()),
    );
    std::fs::write(&file, toml).unwrap();
    fleet.publish(
        "1.1.0",
        &README_V1.replace("line c: built from tiny 1.0", "line c: built from tiny 1.1"),
    );
    let out = fleet.run(&[
        "update",
        "--all",
        file.to_str().unwrap(),
        "--no-input",
        "--push",
        "--format",
        "json",
    ]);
    assert_code(&out, 1);
    let rows = rows(&out);
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert_eq!(rows["svc-01"]["result"], "updated, committed");
    assert_eq!(rows["svc-02"]["result"], "updated, committed");
    assert!(
        rows["missing"]["error"]
            .as_str()
            .unwrap()
            .contains("fetching file://"),
        "{}",
        rows["missing"]
    );
    assert!(
        rows["copy"]["error"]
            .as_str()
            .unwrap()
            .contains("has no branch `no-such-branch`"),
        "{}",
        rows["copy"]
    );
}

impl Fleet {
    /// `count` services, no edits.
    fn new_small(count: usize) -> Fleet {
        let fleet = Fleet {
            tmp: tempfile::tempdir().unwrap(),
        };
        git2::Repository::init(fleet.blueprint()).unwrap();
        fleet.publish("1.0.0", README_V1);
        let source = format!("file://{}#v1.0.0", fleet.blueprint().display());
        let mut toml = String::new();
        for i in 1..=count {
            let out = fleet
                .svcgen()
                .args([
                    "new",
                    &name(i),
                    "--no-input",
                    "--quiet",
                    "--blueprint",
                    &source,
                    "--output",
                ])
                .arg(fleet.checkout(i))
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
            git2::Repository::init_bare(fleet.remote(i))
                .unwrap()
                .set_head("refs/heads/main")
                .unwrap();
            push(&fleet.checkout(i), &fleet.remote(i), "main", "main");
            toml.push_str(&format!(
                "[[service]]\nrepo = \"file://{}\"\n",
                fleet.remote(i).display()
            ));
        }
        write(&fleet.fleet_file(), &toml);
        fleet
    }
}
