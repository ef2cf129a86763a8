//! Careless and hostile input: blueprints that try to read outside themselves or write svcgen's
//! own files, answers and names that would break the generated code, records edited by hand,
//! and a `new` that is interrupted or killed. Each is refused with a message that says what and
//! where, or handled, and never leaves a broken or half-written service behind.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

fn svcgen(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("svcgen").unwrap();
    cmd.env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .current_dir(home);
    cmd
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

/// A blueprint folder with `files` under `template/` (and `blueprint.toml` from `manifest`).
fn blueprint(root: &Path, manifest: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = root.join("bp");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("blueprint.toml"),
        format!("[blueprint]\nname = \"bp\"\nversion = \"1.0.0\"\n{manifest}"),
    )
    .unwrap();
    for (path, text) in files {
        let file = dir.join("template").join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    dir
}

/// Everything in `dir`, to show nothing was written.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn new(home: &Path, blueprint: &str, extra: &[&str]) -> Output {
    svcgen(home)
        .args(["new", "svc", "--no-input", "--blueprint", blueprint])
        .args(extra)
        .output()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn a_blueprint_symlink_to_a_local_file_is_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let secret = tmp.path().join("secret.txt");
    std::fs::write(&secret, "TOKEN=hunter2\n").unwrap();
    let bp = blueprint(tmp.path(), "", &[("README.md", "hello\n")]);
    std::os::unix::fs::symlink(&secret, bp.join("template/pw")).unwrap();
    let before = entries(tmp.path());

    let out = new(tmp.path(), bp.to_str().unwrap(), &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("template/pw: a symbolic link"), "{err}");
    assert!(err.contains("secret.txt"), "names the target: {err}");
    assert_eq!(entries(tmp.path()), before, "nothing written");

    let lint = svcgen(tmp.path())
        .args(["blueprint", "lint"])
        .arg(&bp)
        .output()
        .unwrap();
    assert_ne!(code(&lint), 0);
    assert!(stderr(&lint).contains("template/pw"), "{}", stderr(&lint));
}

#[cfg(unix)]
#[test]
fn a_symlink_committed_in_a_git_blueprint_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let bp = blueprint(tmp.path(), "", &[("README.md", "hello\n")]);
    std::os::unix::fs::symlink("/etc/passwd", bp.join("template/pw")).unwrap();
    let repo = git2::Repository::init(&bp).unwrap();
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let me = git2::Signature::now("T", "t@example.com").unwrap();
    repo.commit(Some("HEAD"), &me, &me, "bp", &tree, &[])
        .unwrap();

    let out = new(tmp.path(), &format!("file://{}", bp.display()), &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("pw: a symbolic link (to `/etc/passwd`)"),
        "{}",
        stderr(&out)
    );
    assert!(!tmp.path().join("svc").exists());
}

/// `update` and `add-event` read the blueprint (its `events/` part included) through the same
/// loader as `new`: a link the blueprint gains later is refused there too, the service untouched.
#[cfg(unix)]
#[test]
fn a_symlink_a_blueprint_gains_in_its_part_is_refused_by_update() {
    let tmp = tempfile::tempdir().unwrap();
    let bp = blueprint(tmp.path(), "", &[("README.md", "hello\n")]);
    let out = new(tmp.path(), bp.to_str().unwrap(), &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let service = tmp.path().join("svc");
    let record_before = std::fs::read(service.join(".svcgen/record.toml")).unwrap();

    let manifest = std::fs::read_to_string(bp.join("blueprint.toml")).unwrap();
    std::fs::write(
        bp.join("blueprint.toml"),
        manifest.replace("1.0.0", "1.1.0"),
    )
    .unwrap();
    std::fs::write(bp.join("template/README.md"), "hello again\n").unwrap();
    std::fs::create_dir_all(bp.join("events/template")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", bp.join("events/template/pw")).unwrap();

    let out = svcgen(tmp.path())
        .args(["update", "--no-input", "--service"])
        .arg(&service)
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("events/template/pw: a symbolic link (to `/etc/passwd`)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(service.join("README.md")).unwrap(),
        "hello\n"
    );
    assert_eq!(
        std::fs::read(service.join(".svcgen/record.toml")).unwrap(),
        record_before
    );
}

#[test]
fn templates_may_not_write_svcgen_state() {
    let tmp = tempfile::tempdir().unwrap();
    let bp = blueprint(
        tmp.path(),
        "",
        &[(".svcgen/record.toml", "forged = true\n")],
    );
    let out = new(tmp.path(), bp.to_str().unwrap(), &[]);
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    assert!(
        err.contains("template/.svcgen/record.toml"),
        "names the template: {err}"
    );
    assert!(err.contains("svcgen's own state"), "{err}");
}

#[test]
fn a_template_cannot_read_the_environment() {
    let tmp = tempfile::tempdir().unwrap();
    let bp = blueprint(
        tmp.path(),
        "",
        &[("home.txt", "x\n{{ get_env(name=\"HOME\") }}\n")],
    );
    let out = new(tmp.path(), bp.to_str().unwrap(), &[]);
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    assert!(err.contains("home.txt:2"), "file and line: {err}");
    assert!(err.contains("not available in blueprints"), "{err}");

    let lint = svcgen(tmp.path())
        .args(["blueprint", "lint"])
        .arg(&bp)
        .output()
        .unwrap();
    assert_eq!(code(&lint), 1);
    let err = stderr(&lint);
    assert!(
        err.contains("template/home.txt:2: Function `get_env` is not available in blueprints"),
        "lint names the template and line: {err}"
    );
}

#[test]
fn a_blueprint_without_templates_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let bp = blueprint(tmp.path(), "", &[]);
    let out = new(tmp.path(), bp.to_str().unwrap(), &[]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("no files under `template/`"),
        "{}",
        stderr(&out)
    );
    assert!(!tmp.path().join("svc").exists());
}

#[test]
fn rust_keywords_are_refused_where_they_would_name_a_module() {
    let tmp = tempfile::tempdir().unwrap();
    for (set, keyword) in [
        ("resource=type", "type"),
        ("resource_plural=match", "match"),
    ] {
        let out = new(tmp.path(), "service", &["--set", set, "--dry-run"]);
        assert_eq!(code(&out), 1, "{set}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("`{keyword}` is a Rust keyword")),
            "{set}: {}",
            stderr(&out)
        );
    }
    let made = new(tmp.path(), "service", &["--no-git"]);
    assert_eq!(code(&made), 0, "{}", stderr(&made));
    for event in ["Type", "Match"] {
        let out = svcgen(tmp.path())
            .args([
                "add-event",
                event,
                "--field",
                "name:string",
                "--service",
                "svc",
            ])
            .args(["--dry-run"])
            .output()
            .unwrap();
        assert_eq!(code(&out), 2, "{event}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("Rust keyword"),
            "{event}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn one_line_answers_with_control_characters_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for value in ["two\nlines", "carriage\rreturn", "del\u{7f}ete"] {
        let out = new(
            tmp.path(),
            "service",
            &["--set", &format!("description={value}"), "--dry-run"],
        );
        assert_eq!(code(&out), 1, "{value:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("must be one line without control characters"),
            "{value:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn quotes_in_a_description_give_valid_toml_in_the_minimal_blueprint() {
    let tmp = tempfile::tempdir().unwrap();
    let out = new(
        tmp.path(),
        "minimal",
        &["--set", r#"description=say "hi" \ back"#, "--no-git"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = std::fs::read_to_string(tmp.path().join("svc/Cargo.toml")).unwrap();
    let manifest: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(
        manifest["package"]["description"].as_str(),
        Some(r#"say "hi" \ back"#)
    );
}

#[test]
fn an_unknown_key_in_an_answers_file_is_the_files_error() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("answers.toml"),
        "port = 9000\nprot = 9001\n",
    )
    .unwrap();
    let out = new(
        tmp.path(),
        "service",
        &["--answers", "answers.toml", "--dry-run"],
    );
    assert_eq!(
        code(&out),
        1,
        "a file's content is not a command-line error"
    );
    let err = stderr(&out);
    assert!(
        err.contains("answers.toml: line 2: `prot` is not a variable"),
        "{err}"
    );

    std::fs::write(tmp.path().join("broken.toml"), "port = 9000\nci = [\n").unwrap();
    let out = new(
        tmp.path(),
        "service",
        &["--answers", "broken.toml", "--dry-run"],
    );
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("broken.toml: line "),
        "{}",
        stderr(&out)
    );
}

#[test]
fn manifest_expressions_that_fail_name_their_line() {
    let tmp = tempfile::tempdir().unwrap();
    let bp = blueprint(
        tmp.path(),
        "\n[variables.title]\ntype = \"string\"\ndefault = \"{{ nme }}\"\n",
        &[("a.txt", "{{ title }}\n")],
    );
    let out = new(tmp.path(), bp.to_str().unwrap(), &["--dry-run"]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("blueprint.toml:7"),
        "{}",
        stderr(&out)
    );

    let bp = blueprint(
        tmp.path(),
        "\n[[files.include]]\npaths = [\"a.txt\"]\nwhen = \"ci ===\"\n",
        &[("a.txt", "x\n")],
    );
    let out = new(tmp.path(), bp.to_str().unwrap(), &["--dry-run"]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("blueprint.toml:7"),
        "{}",
        stderr(&out)
    );
}

/// A service made from the built-in minimal blueprint, its record then edited by `edit`.
fn service_with_record(home: &Path, edit: impl Fn(&str) -> String) -> PathBuf {
    let out = new(home, "minimal", &["--no-git"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let record = home.join("svc/.svcgen/record.toml");
    let text = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, edit(&text)).unwrap();
    home.join("svc")
}

#[test]
fn a_hand_edited_record_is_checked_as_strictly_as_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = service_with_record(tmp.path(), |text| {
        format!(
            "{text}\n[[events]]\nname = \"../Evil\"\nrole = \"producer\"\nfields = [\"a:string\"]\n"
        )
    });
    let out = svcgen(tmp.path())
        .args(["update", "--no-input", "--service"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    assert!(err.contains(".svcgen/record.toml: line "), "{err}");
    assert!(err.contains("../Evil"), "{err}");

    let tmp = tempfile::tempdir().unwrap();
    let dir = service_with_record(tmp.path(), |text| {
        text.replace("version = \"1.0.0\"", "version = \"banana\"")
    });
    let out = svcgen(tmp.path())
        .args(["check", "--service"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("(`blueprint.version`)"),
        "names the key: {err}"
    );
    assert!(
        err.contains("git checkout HEAD -- .svcgen/record.toml"),
        "{err}"
    );
}

/// A field type only the blueprint's events part can check is still the record's mistake:
/// named with its file and line, not as a `--field` nobody gave.
/// An answer edited in the record is not "up to date": check lists the files `update` would
/// then change, as it does for a blueprint changed without a version bump.
#[test]
fn check_lists_the_files_an_answer_edited_in_the_record_would_change() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = service_with_record(tmp.path(), |text| text.to_owned());
    let out = svcgen(tmp.path())
        .arg("check")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));

    let record = dir.join(".svcgen/record.toml");
    let text = std::fs::read_to_string(&record).unwrap();
    let edited: String = text
        .lines()
        .map(|line| match line.starts_with("description = ") {
            true => "description = \"Edited by hand\"".to_owned(),
            false => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(edited.trim(), text.trim(), "the record has a description");
    std::fs::write(&record, edited + "\n").unwrap();
    let out = svcgen(tmp.path())
        .arg("check")
        .current_dir(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(code(&out), 1, "{stdout}");
    assert!(
        stdout.contains("an answer in .svcgen/record.toml was edited"),
        "{stdout}"
    );
    assert!(stdout.contains("  would change: Cargo.toml"), "{stdout}");
}

#[test]
fn a_recorded_event_field_of_an_unknown_type_names_the_record_line() {
    let tmp = tempfile::tempdir().unwrap();
    let out = new(tmp.path(), "service", &["--no-git"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let record = tmp.path().join("svc/.svcgen/record.toml");
    let text = std::fs::read_to_string(&record).unwrap();
    let edited = format!(
        "{text}\n[[events]]\nname = \"PriceSet\"\nrole = \"producer\"\nfields = [\"price:money\"]\n"
    );
    let line = edited.lines().count();
    std::fs::write(&record, edited).unwrap();
    let out = svcgen(tmp.path())
        .args(["update", "--no-input", "--service"])
        .arg(tmp.path().join("svc"))
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(".svcgen/record.toml: line {line}: ")),
        "{err}"
    );
    assert!(err.contains("unknown type `money`"), "{err}");
    assert!(!err.contains("--field"), "{err}");
}

#[test]
fn a_truncated_base_says_how_to_restore_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = service_with_record(tmp.path(), str::to_owned);
    std::fs::write(dir.join(".svcgen/base"), "").unwrap();
    let out = svcgen(tmp.path())
        .args(["update", "--no-input", "--allow-dirty", "--service"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    assert!(err.contains("empty (cut short?)"), "{err}");
    assert!(err.contains("git checkout HEAD -- .svcgen/base"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_staging_folder_a_killed_new_left_is_removed_by_the_next_new() {
    let tmp = tempfile::tempdir().unwrap();
    // What a `kill -9` during `new` leaves: a staging folder and, beside it, its lock file,
    // which nobody holds any more (the lock went with the killed process).
    let leftover = tmp.path().join(".svcgen-tmp-AbCdEf");
    std::fs::create_dir_all(leftover.join("src")).unwrap();
    std::fs::write(leftover.join("src/main.rs"), "half").unwrap();
    std::fs::write(tmp.path().join(".svcgen-tmp-AbCdEf.lock"), "").unwrap();
    let out = new(tmp.path(), "minimal", &["--no-git"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("left by an svcgen run that was killed"),
        "{}",
        stderr(&out)
    );
    assert_eq!(entries(tmp.path()), ["svc"]);
}

#[cfg(unix)]
#[test]
fn an_interrupted_new_leaves_nothing_behind() {
    use std::os::unix::process::ExitStatusExt;
    let tmp = tempfile::tempdir().unwrap();
    let files: Vec<(String, String)> = (0..4000)
        .map(|i| {
            (
                format!("f{}/{i}.txt", i % 40),
                format!("file {i}\n{{{{ name }}}}\n"),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let bp = blueprint(tmp.path(), "", &refs);
    let out_dir = tmp.path().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let started = std::time::Instant::now();
    let full = svcgen(&out_dir)
        .args(["new", "svc", "--no-input", "--blueprint"])
        .arg(&bp)
        .output()
        .unwrap();
    assert!(full.status.success(), "{}", stderr(&full));
    let full_run = started.elapsed();
    std::fs::remove_dir_all(&out_dir).unwrap();

    let mut interrupted = 0;
    for (signal, name) in [(2, "INT"), (15, "TERM")] {
        for fraction in [0.1, 0.3, 0.5, 0.7, 0.9] {
            std::fs::create_dir_all(&out_dir).unwrap();
            let child = std::process::Command::new(env!("CARGO_BIN_EXE_svcgen"))
                .args(["new", "svc", "--no-input", "--blueprint"])
                .arg(&bp)
                .current_dir(&out_dir)
                .env("GIT_AUTHOR_NAME", "Test")
                .env("GIT_AUTHOR_EMAIL", "test@example.com")
                .env("GIT_COMMITTER_NAME", "Test")
                .env("GIT_COMMITTER_EMAIL", "test@example.com")
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            std::thread::sleep(full_run.mul_f64(fraction));
            let _ = std::process::Command::new("kill")
                .arg(format!("-{name}"))
                .arg(child.id().to_string())
                .status();
            let out = child.wait_with_output().unwrap();
            let left = entries(&out_dir);
            let complete = out_dir.join("svc/.svcgen/record.toml").exists();
            match out.status.code() {
                Some(0) => assert!(complete, "exit 0 but no service: {left:?}"),
                Some(c) => {
                    assert_eq!(c, 128 + signal, "{}", stderr(&out));
                    assert!(left.is_empty(), "SIG{name} at {fraction}: left {left:?}");
                    interrupted += 1;
                }
                None => {
                    // Killed before svcgen set up its handler: it had written nothing.
                    assert_eq!(out.status.signal(), Some(signal));
                    assert!(left.is_empty(), "SIG{name} at {fraction}: left {left:?}");
                }
            }
            std::fs::remove_dir_all(&out_dir).unwrap();
        }
    }
    eprintln!("{interrupted} of 10 signals arrived while svcgen was writing");
}

#[test]
fn a_macro_that_calls_itself_forever_is_an_error_not_a_crash() {
    let tmp = tempfile::tempdir().unwrap();
    let bp = blueprint(
        tmp.path(),
        "",
        &[(
            "a.txt",
            "first line\n{% macro spin(n) %}{{ self::spin(n=n) }}{% endmacro spin %}\n{{ self::spin(n=1) }}\n",
        )],
    );
    let out = new(tmp.path(), bp.to_str().unwrap(), &["--dry-run"]);
    assert_eq!(code(&out), 1, "an error, not an abort: {}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("template/a.txt:2"), "file and line: {err}");
    assert!(err.contains("macro `spin` always calls itself"), "{err}");
    let lint = svcgen(tmp.path())
        .args(["blueprint", "lint"])
        .arg(&bp)
        .output()
        .unwrap();
    assert_eq!(code(&lint), 1, "{}", stderr(&lint));
    assert!(stderr(&lint).contains("macro `spin`"), "{}", stderr(&lint));
}
