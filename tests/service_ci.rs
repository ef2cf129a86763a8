//! The CI a service made from the built-in `service` blueprint gets for keeping up with its
//! blueprint: a `blueprint` job running `svcgen check` (failing, or a warning with
//! `blueprint_check = "warn"`), and a scheduled job running `ci/propose-update.sh`, for GitHub
//! Actions and GitLab CI. The CI files are read as YAML and the shell they run is executed with
//! a stand-in `svcgen`; `ci/propose-update.sh` runs for real (real svcgen, real git) against a
//! local bare remote, with a stand-in `gh` that records what it was asked, or a GitLab-like
//! remote whose hook records the push options. The `contract` job runs `ci/contract-diff.sh`
//! against such a remote too, with the real `svcgen contract diff`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use assert_cmd::cargo::CommandCargoExt;
use serde_yaml_ng::Value as Yaml;

const INSTALL_DEFAULT: &str = r#"cargo install --locked --git https://github.com/your-org/svcgen --tag "v$SVCGEN_VERSION" svcgen"#;

fn svcgen_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_svcgen"))
}

/// `svcgen new NAME --no-input` from the built-in service blueprint, with `--set` answers.
fn new_service(root: &Path, name: &str, answers: &[&str]) -> PathBuf {
    let dir = root.join(name);
    let mut cmd = Command::cargo_bin("svcgen").unwrap();
    cmd.env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", root.join("cache"))
        .current_dir(root)
        .args(["new", name, "--no-input", "--output"])
        .arg(&dir);
    for answer in answers {
        cmd.args(["--set", answer]);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "svcgen new: {}", text(&out.stderr));
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn yaml(path: &Path) -> Yaml {
    let source = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // One document: serde_yaml_ng refuses a stream of several.
    serde_yaml_ng::from_str(&source)
        .unwrap_or_else(|e| panic!("{} is not one YAML document: {e}", path.display()))
}

fn str_of<'a>(value: &'a Yaml, what: &str) -> &'a str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {value:?}"))
}

/// The `run:` of the step of a GitHub job whose `name` is `name`.
fn step_run<'a>(job: &'a Yaml, name: &str) -> &'a str {
    let steps = job["steps"].as_sequence().expect("steps");
    let step = steps
        .iter()
        .find(|s| s["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no step named {name:?} in {steps:#?}"));
    str_of(&step["run"], name)
}

/// Runs `script` with bash (as GitHub's `run:` does, `-e`) or sh, with a stand-in `svcgen` on
/// PATH that prints a line and exits `svcgen_exit`.
fn run_with_fake_svcgen(shell: &[&str], script: &str, svcgen_exit: i32) -> Output {
    let bin = tempfile::tempdir().unwrap();
    let fake = bin.path().join("svcgen");
    fs::write(
        &fake,
        format!("#!/bin/sh\necho \"svcgen $*\"\nexit {svcgen_exit}\n"),
    )
    .unwrap();
    make_executable(&fake);
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap()
    );
    Command::new(shell[0])
        .args(&shell[1..])
        .arg(script)
        .env("PATH", path)
        .output()
        .unwrap()
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

const GITHUB_RUN: &[&str] = &["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"];

#[test]
fn github_blueprint_job_fails_when_behind_and_warn_makes_it_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    for (check, behind_exit) in [("fail", 1), ("warn", 0)] {
        let dir = new_service(
            tmp.path(),
            &format!("gh-{check}"),
            &["ci=github", &format!("blueprint_check={check}")],
        );
        let ci = yaml(&dir.join(".github/workflows/ci.yml"));
        let job = &ci["jobs"]["blueprint"];
        assert!(
            ci["jobs"].get("blueprint").is_some(),
            "ci.yml has no `blueprint` job"
        );
        assert!(
            job.get("continue-on-error").is_none(),
            "the check's outcome is decided by its exit code, not continue-on-error"
        );
        // It runs where the rest of CI runs: every pull request and push to main.
        // `pull_request:` with nothing after it is a key whose value is null.
        assert!(ci["on"].get("pull_request").is_some(), "{:?}", ci["on"]);
        assert!(ci["on"].get("push").is_some(), "{:?}", ci["on"]);

        let run = step_run(job, "svcgen check");
        let up_to_date = run_with_fake_svcgen(GITHUB_RUN, run, 0);
        assert_eq!(up_to_date.status.code(), Some(0), "{check}: up to date");
        let behind = run_with_fake_svcgen(GITHUB_RUN, run, 1);
        assert_eq!(
            behind.status.code(),
            Some(behind_exit),
            "{check}: behind\n{run}"
        );
        let annotated = text(&behind.stdout).contains("::warning ");
        assert_eq!(
            annotated,
            check == "warn",
            "{check}: {}",
            text(&behind.stdout)
        );
        // An error (exit 2: no blueprint, no network) is never only a warning.
        let error = run_with_fake_svcgen(GITHUB_RUN, run, 2);
        assert_eq!(error.status.code(), Some(2), "{check}: error");
    }
}

#[test]
fn github_update_workflow_is_weekly_and_manual_and_may_open_pull_requests() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = new_service(tmp.path(), "gh", &["ci=github"]);
    let wf = yaml(&dir.join(".github/workflows/blueprint-update.yml"));

    let cron = str_of(&wf["on"]["schedule"][0]["cron"], "cron");
    let fields: Vec<_> = cron.split_whitespace().collect();
    assert_eq!(fields.len(), 5, "{cron}");
    assert!(
        fields[0].parse::<u8>().is_ok() && fields[1].parse::<u8>().is_ok(),
        "once a day at a fixed time: {cron}"
    );
    assert_eq!(
        (fields[2], fields[3]),
        ("*", "*"),
        "any day of the month: {cron}"
    );
    assert!(
        fields[4].parse::<u8>().is_ok(),
        "one day of the week: {cron}"
    );
    assert!(
        wf["on"].get("workflow_dispatch").is_some(),
        "manual dispatch"
    );
    assert_eq!(wf["permissions"]["contents"].as_str(), Some("write"));
    assert_eq!(wf["permissions"]["pull-requests"].as_str(), Some("write"));

    let job = &wf["jobs"]["propose"];
    assert_eq!(
        step_run(job, "propose the update"),
        "bash ci/propose-update.sh github"
    );
    // The weekly run is a `schedule` event, whose payload has no repository: the target
    // branch must not come from github.event.repository alone, or it is empty exactly then.
    let propose = job["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["name"].as_str() == Some("propose the update"))
        .unwrap();
    let target = str_of(
        &propose["env"]["SVCGEN_TARGET_BRANCH"],
        "SVCGEN_TARGET_BRANCH",
    );
    assert!(
        target.contains("github.event.repository.default_branch || github.ref_name"),
        "{target}"
    );
    // The push-and-PR checks run with a read-only token; only the update workflow writes.
    let ci = yaml(&dir.join(".github/workflows/ci.yml"));
    assert_eq!(ci["permissions"]["contents"].as_str(), Some("read"));
    assert_eq!(
        ci["permissions"].as_mapping().map(|h| h.len()),
        Some(1),
        "ci.yml asks for nothing but contents: read"
    );
    let script = dir.join("ci/propose-update.sh");
    assert!(
        script.is_file(),
        "the script the workflow runs is generated"
    );

    // svcgen comes from the install answer, at the version that rendered the file, cached.
    for file in ["ci.yml", "blueprint-update.yml"] {
        let wf = yaml(&dir.join(".github/workflows").join(file));
        let job = wf["jobs"]
            .as_mapping()
            .unwrap()
            .values()
            .find(|j| {
                j["steps"].as_sequence().is_some_and(|s| {
                    s.iter()
                        .any(|s| s["name"].as_str() == Some("install svcgen"))
                })
            })
            .unwrap_or_else(|| panic!("{file}: no job installs svcgen"));
        let version = str_of(&job["env"]["SVCGEN_VERSION"], "SVCGEN_VERSION");
        assert!(
            version.contains(&format!("'{}'", env!("CARGO_PKG_VERSION"))),
            "{file}: {version}"
        );
        let install = step_run(job, "install svcgen");
        assert!(install.contains(INSTALL_DEFAULT), "{file}: {install}");
        let steps = job["steps"].as_sequence().unwrap();
        let cache = steps
            .iter()
            .find(|s| {
                s["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("actions/cache@"))
            })
            .unwrap_or_else(|| panic!("{file}: no actions/cache step"));
        assert_eq!(cache["with"]["path"].as_str(), Some("~/.svcgen-tool"));
        let key = str_of(&cache["with"]["key"], "cache key");
        assert!(key.contains("env.SVCGEN_VERSION"), "{file}: {key}");
        let install_step = steps
            .iter()
            .find(|s| s["name"].as_str() == Some("install svcgen"))
            .unwrap();
        assert!(
            str_of(&install_step["if"], "if").contains("cache-hit != 'true'"),
            "{file}: installs only on a cache miss"
        );
    }
}

#[test]
fn gitlab_blueprint_job_fails_when_behind_and_warn_allows_exit_1_only() {
    let tmp = tempfile::tempdir().unwrap();
    for check in ["fail", "warn"] {
        let dir = new_service(
            tmp.path(),
            &format!("gl-{check}"),
            &["ci=gitlab", &format!("blueprint_check={check}")],
        );
        let ci = yaml(&dir.join(".gitlab-ci.yml"));
        let job = &ci["blueprint"];
        assert_eq!(job["extends"].as_str(), Some(".svcgen"));
        let script: Vec<_> = job["script"].as_sequence().unwrap().iter().collect();
        assert_eq!(script, [&Yaml::String("svcgen check".into())]);
        // The script's exit code is svcgen check's; GitLab decides from it.
        let behind = run_with_fake_svcgen(&["sh", "-ec"], "svcgen check", 1);
        assert_eq!(behind.status.code(), Some(1));
        if check == "warn" {
            let codes = job["allow_failure"]["exit_codes"].as_sequence().unwrap();
            assert_eq!(codes, &[Yaml::Number(1.into())], "only `behind` is allowed");
        } else {
            assert!(
                job.get("allow_failure").is_none(),
                "{:?}",
                job["allow_failure"]
            );
        }
        // Never in the pipeline that proposes the update.
        let rules = job["rules"].as_sequence().unwrap();
        assert_eq!(rules[0]["if"].as_str(), Some("$SVCGEN_UPDATE == \"true\""));
        assert_eq!(rules[0]["when"].as_str(), Some("never"));
    }
}

#[test]
fn gitlab_update_job_runs_on_schedule_or_by_hand_with_cached_svcgen() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = new_service(tmp.path(), "gl", &["ci=gitlab"]);
    let ci = yaml(&dir.join(".gitlab-ci.yml"));
    let job = &ci["blueprint-update"];
    let rule = str_of(&job["rules"][0]["if"], "rule");
    assert!(
        rule.contains("$SVCGEN_UPDATE == \"true\"")
            && rule.contains("$CI_PIPELINE_SOURCE == \"schedule\"")
            && rule.contains("$CI_PIPELINE_SOURCE == \"web\""),
        "{rule}"
    );
    assert_eq!(
        job["rules"].as_sequence().unwrap().len(),
        1,
        "no other pipeline"
    );
    assert_eq!(
        job["script"][0].as_str(),
        Some("bash ci/propose-update.sh gitlab")
    );
    assert_eq!(
        job["variables"]["SVCGEN_TARGET_BRANCH"].as_str(),
        Some("$CI_DEFAULT_BRANCH")
    );

    let base = &ci[".svcgen"];
    assert_eq!(
        base["variables"]["SVCGEN_VERSION"].as_str(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        base["variables"]["CARGO_INSTALL_ROOT"].as_str(),
        Some("$CI_PROJECT_DIR/.svcgen-tool")
    );
    assert_eq!(base["cache"]["paths"][0].as_str(), Some(".svcgen-tool/"));
    let before: Vec<_> = base["before_script"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        before.iter().any(|l| l.contains(INSTALL_DEFAULT)
            && l.contains("if [ ! -x \"$CARGO_INSTALL_ROOT/bin/svcgen\" ]")),
        "installs only when the cache has no svcgen: {before:#?}"
    );
}

/// The `.svcgen` jobs' before_script, run for real in a generated GitLab service (minus the
/// apt-get line), with an install command that writes where `cargo install` does: into
/// CARGO_HOME (`.cargo`, inside the checkout) and CARGO_INSTALL_ROOT. The checkout must stay
/// clean, or propose-update.sh commits the cargo registry into the merge request.
#[test]
fn gitlab_svcgen_install_leaves_the_checkout_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let install = r#"mkdir -p "$CARGO_HOME/registry/cache" "$CARGO_INSTALL_ROOT/bin" && touch "$CARGO_HOME/registry/cache/svcgen.crate" && touch "$CARGO_INSTALL_ROOT/bin/svcgen" && chmod +x "$CARGO_INSTALL_ROOT/bin/svcgen""#;
    let dir = new_service(
        tmp.path(),
        "gl",
        &["ci=gitlab", &format!("svcgen_install={install}")],
    );
    git(&dir, &["init", "--quiet"]);
    git(&dir, &["add", "--all"]);
    git(
        &dir,
        &["commit", "--quiet", "--allow-empty", "-m", "generated"],
    );

    let ci = yaml(&dir.join(".gitlab-ci.yml"));
    let project = dir.display().to_string();
    let var = |value: &Yaml| str_of(value, "variable").replace("$CI_PROJECT_DIR", &project);
    let script: Vec<&str> = ci[".svcgen"]["before_script"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|l| str_of(l, "before_script line"))
        .filter(|l| !l.starts_with("apt-get"))
        .collect();
    let out = Command::new("sh")
        .args(["-ec", &script.join("\n")])
        .current_dir(&dir)
        .env("CI_PROJECT_DIR", &dir)
        .env("CARGO_HOME", var(&ci["variables"]["CARGO_HOME"]))
        .env(
            "CARGO_INSTALL_ROOT",
            var(&ci[".svcgen"]["variables"]["CARGO_INSTALL_ROOT"]),
        )
        .output()
        .unwrap();
    assert!(out.status.success(), "before_script: {}", text(&out.stderr));
    assert!(
        dir.join(".cargo/registry/cache/svcgen.crate").is_file()
            && dir.join(".svcgen-tool/bin/svcgen").is_file(),
        "the install command ran"
    );
    let status = git(&dir, &["status", "--porcelain", "--untracked-files=all"]);
    assert_eq!(status, "", "the checkout after installing svcgen");
}

#[test]
fn no_ci_means_no_blueprint_jobs_and_no_script() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = new_service(tmp.path(), "plain", &["ci=none"]);
    assert!(!dir.join(".github").exists());
    assert!(!dir.join(".gitlab-ci.yml").exists());
    assert!(!dir.join("ci").exists());
    let readme = fs::read_to_string(dir.join("README.md")).unwrap();
    assert!(!readme.contains("## Blueprint updates"), "{readme}");
}

// ---- ci/propose-update.sh against local remotes ------------------------------------------------

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Team")
        .env("GIT_AUTHOR_EMAIL", "team@example.com")
        .env("GIT_COMMITTER_NAME", "Team")
        .env("GIT_COMMITTER_EMAIL", "team@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        text(&out.stderr)
    );
    text(&out.stdout).trim().to_owned()
}

/// A blueprint repository: `config.toml` with three settings, tagged per version.
struct TinyBlueprint {
    dir: PathBuf,
}

impl TinyBlueprint {
    fn new(root: &Path) -> TinyBlueprint {
        let dir = root.join("tiny-blueprint");
        fs::create_dir_all(dir.join("template")).unwrap();
        git(&dir, &["init", "-q"]);
        let blueprint = TinyBlueprint { dir };
        blueprint.publish("1.0.0", "10", "info");
        blueprint
    }

    fn publish(&self, version: &str, timeout: &str, level: &str) {
        fs::write(
            self.dir.join("blueprint.toml"),
            format!("[blueprint]\nname = \"tiny\"\nversion = \"{version}\"\n"),
        )
        .unwrap();
        fs::write(
            self.dir.join("template/config.toml"),
            format!("name = \"{{{{ name }}}}\"\ntimeout = {timeout}\nlog_level = \"{level}\"\n"),
        )
        .unwrap();
        git(&self.dir, &["add", "-A"]);
        git(&self.dir, &["commit", "-qm", &format!("tiny {version}")]);
        git(&self.dir, &["tag", &format!("v{version}")]);
    }

    fn url(&self) -> String {
        format!("file://{}", self.dir.display())
    }
}

/// A service made from the tiny blueprint, with the service blueprint's `ci/propose-update.sh`,
/// pushed to a bare repository that stands for GitHub or GitLab.
struct Fleet {
    tmp: tempfile::TempDir,
    blueprint: TinyBlueprint,
    remote: PathBuf,
    main: String,
    runs: usize,
}

impl Fleet {
    fn new() -> Fleet {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let blueprint = TinyBlueprint::new(root);
        let script =
            new_service(root, "made-by-service", &["ci=github"]).join("ci/propose-update.sh");

        let svc = root.join("svc");
        let out = Command::new(svcgen_bin())
            .env("NO_COLOR", "1")
            .env("XDG_CACHE_HOME", root.join("cache"))
            .env("GIT_AUTHOR_NAME", "Team")
            .env("GIT_AUTHOR_EMAIL", "team@example.com")
            .current_dir(root)
            .args(["new", "svc", "--no-input", "--blueprint"])
            .arg(format!("{}#v1.0.0", blueprint.url()))
            .arg("--output")
            .arg(&svc)
            .output()
            .unwrap();
        assert!(out.status.success(), "svcgen new: {}", text(&out.stderr));
        fs::create_dir_all(svc.join("ci")).unwrap();
        fs::copy(&script, svc.join("ci/propose-update.sh")).unwrap();
        git(&svc, &["add", "-A"]);
        git(&svc, &["commit", "-qm", "CI: propose blueprint updates"]);
        let main = git(&svc, &["branch", "--show-current"]);

        let remote = root.join("remote.git");
        git(root, &["clone", "-q", "--bare", "svc", "remote.git"]);
        Fleet {
            tmp,
            blueprint,
            remote,
            main,
            runs: 0,
        }
    }

    fn root(&self) -> &Path {
        self.tmp.path()
    }

    /// The team changes `timeout` on the main branch, as a pushed commit.
    fn team_edits_timeout(&self, value: &str) {
        let dir = self.root().join("team");
        if !dir.exists() {
            git(self.root(), &["clone", "-q", "remote.git", "team"]);
        }
        git(&dir, &["pull", "-q"]);
        let path = dir.join("config.toml");
        let old = fs::read_to_string(&path).unwrap();
        let new: String = old
            .lines()
            .map(|l| {
                if l.starts_with("timeout") {
                    format!("timeout = {value}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        fs::write(&path, new).unwrap();
        git(&dir, &["commit", "-qam", "team: longer timeout"]);
        git(&dir, &["push", "-q"]);
    }

    /// What a CI job does: a fresh clone of the remote, then the script, with `gh` and
    /// `svcgen` on PATH.
    fn run_script(&mut self, platform: &str) -> Output {
        self.runs += 1;
        let checkout = self.root().join(format!("ci-{}", self.runs));
        git(
            self.root(),
            &["clone", "-q", "remote.git", checkout.to_str().unwrap()],
        );
        let head_before = git(&checkout, &["rev-parse", "HEAD"]);
        let bin = self.root().join("bin");
        fs::create_dir_all(&bin).unwrap();
        fs::write(bin.join("gh"), FAKE_GH).unwrap();
        make_executable(&bin.join("gh"));
        let path = format!(
            "{}:{}:{}",
            bin.display(),
            svcgen_bin().parent().unwrap().display(),
            std::env::var("PATH").unwrap()
        );
        let mut cmd = Command::new("bash");
        cmd.arg("ci/propose-update.sh")
            .arg(platform)
            .current_dir(&checkout)
            .env("PATH", path)
            .env("NO_COLOR", "1")
            .env("XDG_CACHE_HOME", self.root().join("cache"))
            .env("SVCGEN_TARGET_BRANCH", &self.main)
            .env("FAKE_GH_DIR", self.root().join("gh"))
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE");
        if platform == "gitlab" {
            // The script builds the URL from CI_SERVER_* and the token; a local remote stands in.
            cmd.env("SVCGEN_PUSH_URL", &self.remote);
        }
        let out = cmd.output().unwrap();
        // The checkout is left as it was: same commit, nothing changed or added.
        assert_eq!(git(&checkout, &["rev-parse", "HEAD"]), head_before);
        assert_eq!(
            git(
                &checkout,
                &["status", "--porcelain", "--untracked-files=all"]
            ),
            "",
            "the script left the checkout dirty\n{}",
            text(&out.stderr)
        );
        out
    }

    /// The remote's branches other than main, with their commits.
    fn update_branches(&self) -> Vec<(String, String)> {
        let listing = git(
            &self.remote,
            &[
                "for-each-ref",
                "--format=%(refname:short) %(objectname)",
                "refs/heads/svcgen/",
            ],
        );
        listing
            .lines()
            .map(|l| {
                let (name, id) = l.split_once(' ').unwrap();
                (name.to_owned(), id.to_owned())
            })
            .collect()
    }

    fn show(&self, rev_path: &str) -> String {
        git(&self.remote, &["show", rev_path])
    }

    /// Every `gh` call so far, one line of arguments each.
    fn gh_calls(&self) -> Vec<String> {
        fs::read_to_string(self.root().join("gh/calls"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn gh_created(&self) -> Vec<String> {
        self.gh_calls()
            .into_iter()
            .filter(|c| c.starts_with("pr create"))
            .collect()
    }

    fn gh_body(&self, number: usize) -> String {
        fs::read_to_string(self.root().join(format!("gh/body-{number}.md"))).unwrap()
    }

    /// Turns the bare repository into a GitLab stand-in: push options accepted and recorded
    /// by a pre-receive hook, one line per push.
    fn accept_push_options(&self) {
        git(
            &self.remote,
            &["config", "receive.advertisePushOptions", "true"],
        );
        let hook = self.remote.join("hooks/pre-receive");
        fs::write(
            &hook,
            format!(
                "#!/bin/sh\nopts=\"\"\ni=0\nwhile [ \"$i\" -lt \"${{GIT_PUSH_OPTION_COUNT:-0}}\" ]; do\n  eval \"o=\\$GIT_PUSH_OPTION_$i\"\n  opts=\"$opts|$o\"\n  i=$((i + 1))\ndone\nwhile read -r old new ref; do echo \"$ref$opts\" >> {}; done\n",
                self.root().join("pushes").display()
            ),
        )
        .unwrap();
        make_executable(&hook);
    }

    fn pushes(&self) -> Vec<String> {
        fs::read_to_string(self.root().join("pushes"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// A `gh` that records its arguments and keeps the pull requests it opened: `pr list --head B`
/// prints the state of each one opened for branch B, `pr create` opens one (body kept).
const FAKE_GH: &str = r#"#!/usr/bin/env bash
set -euo pipefail
dir="$FAKE_GH_DIR"
mkdir -p "$dir"
echo "$*" >> "$dir/calls"
head="" body="" jq=""
args=("$@")
for ((i = 0; i < $#; i++)); do
  case "${args[i]}" in
    --head) head="${args[i + 1]}" ;;
    --body-file) body="${args[i + 1]}" ;;
    --jq) jq="${args[i + 1]}" ;;
  esac
done
case "$1 $2" in
  "pr list")
    [[ "$jq" == '.[].state' ]] || { echo "fake gh: unexpected --jq $jq" >&2; exit 1; }
    grep "^$head " "$dir/prs" 2>/dev/null | cut -d' ' -f2 || true ;;
  "pr create")
    n=$(( $(wc -l < "$dir/prs" 2>/dev/null || echo 0) + 1 ))
    cp "$body" "$dir/body-$n.md"
    echo "$head OPEN" >> "$dir/prs"
    echo "https://github.example/pull/$n" ;;
  *) echo "fake gh: unexpected $*" >&2; exit 1 ;;
esac
"#;

fn assert_ok(out: &Output) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "propose-update.sh:\n{stderr}");
    stderr
}

#[test]
fn propose_update_on_github_opens_a_pull_request_then_a_draft_for_conflicts_and_never_twice() {
    let mut fleet = Fleet::new();
    let main = fleet.main.clone();

    // Up to date: nothing pushed, no pull request.
    let said = assert_ok(&fleet.run_script("github"));
    assert!(said.contains("up to date"), "{said}");
    assert!(fleet.update_branches().is_empty());
    assert!(fleet.gh_calls().is_empty(), "{:?}", fleet.gh_calls());

    // 1.1.0 changes the log level: a branch with the change and a ready pull request.
    fleet.blueprint.publish("1.1.0", "10", "warn");
    assert_ok(&fleet.run_script("github"));
    let branches = fleet.update_branches();
    assert_eq!(branches.len(), 1, "{branches:?}");
    assert_eq!(branches[0].0, "svcgen/tiny-1.1.0");
    let config = fleet.show("svcgen/tiny-1.1.0:config.toml");
    assert!(config.contains("log_level = \"warn\""), "{config}");
    let message = fleet.show("svcgen/tiny-1.1.0");
    assert!(
        message.contains("Update svc to blueprint tiny 1.1.0"),
        "{message}"
    );
    assert!(message.contains("From blueprint tiny 1.0.0"), "{message}");
    let record = fleet.show("svcgen/tiny-1.1.0:.svcgen/record.toml");
    assert!(record.contains("version = \"1.1.0\""), "{record}");
    assert_eq!(fleet.gh_created().len(), 1, "{:?}", fleet.gh_calls());
    let created = &fleet.gh_created()[0];
    assert!(
        created.starts_with(&format!(
            "pr create --base {main} --head svcgen/tiny-1.1.0 --title Update svc to blueprint tiny 1.1.0 --body-file "
        )),
        "{created}"
    );
    assert!(!created.contains("--draft"), "{created}");
    let body = fleet.gh_body(1);
    assert!(body.contains("`config.toml`: updated"), "{body}");
    assert!(!body.contains("Conflicts"), "{body}");

    // The next week: the branch and the pull request are there, nothing new.
    let said = assert_ok(&fleet.run_script("github"));
    assert!(said.contains("already on the remote"), "{said}");
    assert!(said.contains("already open"), "{said}");
    assert_eq!(fleet.update_branches(), branches, "the branch did not move");
    assert_eq!(fleet.gh_created().len(), 1);

    // The team changes the timeout line, and 1.2.0 changes it too: a draft listing the file.
    fleet.team_edits_timeout("30");
    fleet.blueprint.publish("1.2.0", "20", "warn");
    assert_ok(&fleet.run_script("github"));
    let branches = fleet.update_branches();
    assert_eq!(branches.len(), 2, "{branches:?}");
    let config = fleet.show("svcgen/tiny-1.2.0:config.toml");
    assert!(
        config.contains("<<<<<<< ")
            && config.contains("timeout = 30")
            && config.contains("timeout = 20"),
        "committed with its conflict markers:\n{config}"
    );
    let message = fleet.show("svcgen/tiny-1.2.0");
    assert!(message.contains("Conflicts to resolve"), "{message}");
    assert!(message.contains("- config.toml"), "{message}");
    let created = fleet.gh_created();
    assert_eq!(created.len(), 2, "{created:?}");
    assert!(
        created[1].contains("--head svcgen/tiny-1.2.0"),
        "{}",
        created[1]
    );
    assert!(created[1].ends_with(" --draft"), "{}", created[1]);
    let body = fleet.gh_body(2);
    assert!(body.contains("Conflicts to resolve"), "{body}");
    assert!(body.contains("- `config.toml`\n"), "{body}");

    // Rerun: nothing new, the conflicted branch (perhaps being resolved) left alone.
    assert_ok(&fleet.run_script("github"));
    assert_eq!(fleet.update_branches(), branches);
    assert_eq!(fleet.gh_created().len(), 2);
}

#[test]
fn propose_update_on_gitlab_pushes_merge_request_options_draft_with_conflicts_once() {
    let mut fleet = Fleet::new();
    fleet.accept_push_options();
    let main = fleet.main.clone();

    fleet.blueprint.publish("1.1.0", "10", "warn");
    assert_ok(&fleet.run_script("gitlab"));
    let pushes = fleet.pushes();
    assert_eq!(pushes.len(), 1, "{pushes:?}");
    let options: Vec<_> = pushes[0].split('|').collect();
    assert_eq!(options[0], "refs/heads/svcgen/tiny-1.1.0");
    assert!(options.contains(&"merge_request.create"), "{options:?}");
    let target = format!("merge_request.target={main}");
    assert!(options.contains(&target.as_str()), "{options:?}");
    assert!(
        options.contains(&"merge_request.title=Update svc to blueprint tiny 1.1.0"),
        "{options:?}"
    );
    assert!(!options.contains(&"merge_request.draft"), "{options:?}");

    // Again: the branch exists, so no push and no second merge request.
    let said = assert_ok(&fleet.run_script("gitlab"));
    assert!(said.contains("already on the remote"), "{said}");
    assert_eq!(fleet.pushes().len(), 1);

    fleet.team_edits_timeout("30");
    let before = fleet.pushes().len();
    fleet.blueprint.publish("1.2.0", "20", "warn");
    assert_ok(&fleet.run_script("gitlab"));
    let pushes = fleet.pushes();
    assert_eq!(pushes.len(), before + 1, "{pushes:?}");
    let options: Vec<_> = pushes.last().unwrap().split('|').collect();
    assert_eq!(options[0], "refs/heads/svcgen/tiny-1.2.0");
    assert!(options.contains(&"merge_request.draft"), "{options:?}");
    assert!(
        options.contains(&"merge_request.title=Draft: Update svc to blueprint tiny 1.2.0"),
        "{options:?}"
    );
    let description = options
        .iter()
        .find(|o| o.starts_with("merge_request.description="))
        .unwrap();
    assert!(
        description.contains("Conflicts to resolve: config.toml."),
        "{description}"
    );
    assert!(fleet.gh_calls().is_empty(), "gh is GitHub's only");
}

#[test]
fn propose_update_says_what_is_missing() {
    let fleet = Fleet::new();
    fleet.blueprint.publish("1.1.0", "10", "warn");
    let checkout = fleet.root().join("bare-ci");
    git(fleet.root(), &["clone", "-q", "remote.git", "bare-ci"]);
    let out = Command::new("bash")
        .args(["ci/propose-update.sh", "github"])
        .current_dir(&checkout)
        .env_remove("SVCGEN_TARGET_BRANCH")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("SVCGEN_TARGET_BRANCH is not set"),
        "{}",
        text(&out.stderr)
    );

    let out = Command::new("bash")
        .args(["ci/propose-update.sh", "bitbucket"])
        .current_dir(&checkout)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("usage:"),
        "{}",
        text(&out.stderr)
    );

    // GitLab without a push URL needs the project access token.
    let out = Command::new("bash")
        .args(["ci/propose-update.sh", "gitlab"])
        .current_dir(&checkout)
        .env("SVCGEN_TARGET_BRANCH", "main")
        .env(
            "PATH",
            format!(
                "{}:{}",
                svcgen_bin().parent().unwrap().display(),
                std::env::var("PATH").unwrap()
            ),
        )
        .env_remove("SVCGEN_PUSH_URL")
        .env_remove("SVCGEN_UPDATE_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("SVCGEN_UPDATE_TOKEN is not set"),
        "{}",
        text(&out.stderr)
    );
}

// ---- the `contract` job and ci/contract-diff.sh ------------------------------------------------

#[test]
fn github_contract_job_runs_on_pull_requests_against_their_base_branch() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = new_service(tmp.path(), "gh-contract", &["ci=github"]);
    let ci = yaml(&dir.join(".github/workflows/ci.yml"));
    let job = &ci["jobs"]["contract"];
    assert_eq!(
        str_of(&job["if"], "if"),
        "github.event_name == 'pull_request'"
    );
    assert_eq!(
        str_of(&job["env"]["BASE_BRANCH"], "BASE_BRANCH"),
        "${{ github.base_ref }}"
    );
    // svcgen comes from the same cache, installed the same way, as for the blueprint job.
    let blueprint = &ci["jobs"]["blueprint"];
    assert_eq!(
        job["env"]["SVCGEN_VERSION"],
        blueprint["env"]["SVCGEN_VERSION"]
    );
    assert_eq!(
        step_run(job, "install svcgen"),
        step_run(blueprint, "install svcgen")
    );
    let key = |job: &Yaml| {
        job["steps"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|s| s["id"].as_str() == Some("svcgen-cache"))
            .map(|s| s["with"]["key"].clone())
            .expect("a cache step")
    };
    assert_eq!(key(job), key(blueprint));
    let run = step_run(job, "svcgen contract diff");
    assert_eq!(run, r#"bash ci/contract-diff.sh "$BASE_BRANCH""#);
}

#[test]
fn gitlab_contract_job_runs_on_branches_but_the_default_one() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = new_service(tmp.path(), "gl-contract", &["ci=gitlab"]);
    let ci = yaml(&dir.join(".gitlab-ci.yml"));
    let job = &ci["contract"];
    assert_eq!(str_of(&job["extends"], "extends"), ".svcgen");
    let rules: Vec<String> = job["rules"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|rule| {
            format!(
                "{} {}",
                str_of(&rule["if"], "if"),
                rule["when"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            r#"$SVCGEN_UPDATE == "true" never"#,
            r#"$CI_PIPELINE_SOURCE == "merge_request_event" never"#,
            "$CI_COMMIT_BRANCH && $CI_COMMIT_BRANCH != $CI_DEFAULT_BRANCH ",
        ]
    );
    let script = job["script"].as_sequence().unwrap();
    assert_eq!(
        str_of(&script[0], "script"),
        r#"bash ci/contract-diff.sh "$CI_DEFAULT_BRANCH""#
    );
}

/// A service with an event contract on its main branch, pushed to a bare remote; each case is
/// a branch of a fresh clone, checked by `ci/contract-diff.sh` with the real svcgen.
struct ContractRepo {
    tmp: tempfile::TempDir,
    main: String,
    runs: usize,
}

const EVENT: &str = "events/product-changed.v1.json";

impl ContractRepo {
    fn new() -> ContractRepo {
        let tmp = tempfile::tempdir().unwrap();
        let svc = new_service(tmp.path(), "svc", &["ci=github"]);
        fs::create_dir_all(svc.join("events")).unwrap();
        fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples/product")
                .join(EVENT),
            svc.join(EVENT),
        )
        .unwrap();
        git(&svc, &["add", "-A"]);
        git(&svc, &["commit", "-qm", "publish ProductChanged"]);
        let main = git(&svc, &["branch", "--show-current"]);
        git(tmp.path(), &["clone", "-q", "--bare", "svc", "remote.git"]);
        ContractRepo { tmp, main, runs: 0 }
    }

    /// A clone on a new branch, `change` applied and committed, then the script against main.
    fn check(&mut self, change: impl FnOnce(&Path)) -> Output {
        self.runs += 1;
        let root = self.tmp.path();
        let checkout = root.join(format!("ci-{}", self.runs));
        git(
            root,
            &["clone", "-q", "remote.git", checkout.to_str().unwrap()],
        );
        git(&checkout, &["checkout", "-qb", "change"]);
        change(&checkout);
        git(&checkout, &["add", "-A"]);
        git(&checkout, &["commit", "-qm", "change", "--allow-empty"]);
        self.run(&checkout, &[&self.main.clone()])
    }

    fn run(&self, checkout: &Path, args: &[&str]) -> Output {
        let path = format!(
            "{}:{}",
            svcgen_bin().parent().unwrap().display(),
            std::env::var("PATH").unwrap()
        );
        Command::new("bash")
            .arg("ci/contract-diff.sh")
            .args(args)
            .current_dir(checkout)
            .env("PATH", path)
            .env("NO_COLOR", "1")
            .env_remove("GIT_DIR")
            .output()
            .unwrap()
    }
}

fn edit_json(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut value: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    edit(&mut value);
    fs::write(path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
}

#[test]
fn contract_diff_passes_compatible_branches_and_fails_breaking_ones() {
    let mut repo = ContractRepo::new();

    let unchanged = repo.check(|_| {});
    assert_eq!(
        unchanged.status.code(),
        Some(0),
        "{}",
        text(&unchanged.stderr)
    );
    assert!(
        text(&unchanged.stderr).contains("2 contract(s) compatible"),
        "{}",
        text(&unchanged.stderr)
    );

    let compatible = repo.check(|dir| {
        edit_json(&dir.join("api/openapi.json"), |doc| {
            doc["components"]["schemas"]["CreateItem"]["properties"]["colour"] =
                serde_json::json!({"type": "string"});
        });
        fs::write(
            dir.join("events/order-placed.v1.json"),
            r#"{"type": "object"}"#,
        )
        .unwrap();
    });
    assert_eq!(
        compatible.status.code(),
        Some(0),
        "{}",
        text(&compatible.stderr)
    );
    assert!(
        text(&compatible.stdout).contains("note: /components/schemas/CreateItem/properties/colour")
    );
    assert!(
        text(&compatible.stderr).contains("events/order-placed.v1.json: new on this branch"),
        "{}",
        text(&compatible.stderr)
    );

    let breaking_api = repo.check(|dir| {
        edit_json(&dir.join("api/openapi.json"), |doc| {
            doc["paths"]
                .as_object_mut()
                .unwrap()
                .remove("/v1/items/{id}");
        });
    });
    assert_eq!(
        breaking_api.status.code(),
        Some(1),
        "{}",
        text(&breaking_api.stderr)
    );
    let stdout = text(&breaking_api.stdout);
    assert!(
        stdout.contains("breaking: /paths/~1v1~1items~1{id}: path /v1/items/{id} removed"),
        "{stdout}"
    );
    assert!(text(&breaking_api.stderr).contains("breaking changes against"));

    let renamed_field = repo.check(|dir| {
        edit_json(&dir.join(EVENT), |schema| {
            let data = &mut schema["properties"]["data"];
            let price = data["properties"]
                .as_object_mut()
                .unwrap()
                .remove("price_cents")
                .unwrap();
            data["properties"]["price"] = price;
            for name in data["required"].as_array_mut().unwrap() {
                if name == "price_cents" {
                    *name = "price".into();
                }
            }
        });
    });
    assert_eq!(
        renamed_field.status.code(),
        Some(1),
        "{}",
        text(&renamed_field.stderr)
    );
    assert!(
        text(&renamed_field.stdout).contains("renamed to `price`?"),
        "{}",
        text(&renamed_field.stdout)
    );

    let removed = repo.check(|dir| fs::remove_file(dir.join(EVENT)).unwrap());
    assert_eq!(removed.status.code(), Some(1), "{}", text(&removed.stderr));
    assert!(text(&removed.stderr).contains(&format!("{EVENT}: removed on this branch")));

    let broken = repo.check(|dir| fs::write(dir.join("api/openapi.json"), "{").unwrap());
    assert_eq!(broken.status.code(), Some(2), "{}", text(&broken.stderr));
    assert!(
        text(&broken.stderr).contains("api/openapi.json: not valid JSON"),
        "{}",
        text(&broken.stderr)
    );
}

#[test]
fn contract_diff_says_what_is_missing() {
    let mut repo = ContractRepo::new();
    let checkout = repo.tmp.path().join("plain-clone");
    git(
        repo.tmp.path(),
        &["clone", "-q", "remote.git", checkout.to_str().unwrap()],
    );
    let usage = repo.run(&checkout, &[]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(text(&usage.stderr).contains("usage:"));
    let no_branch = repo.run(&checkout, &["no-such-branch"]);
    assert_eq!(no_branch.status.code(), Some(2));
    assert!(
        text(&no_branch.stderr).contains("cannot fetch branch no-such-branch from origin"),
        "{}",
        text(&no_branch.stderr)
    );
    repo.runs += 1;
}
