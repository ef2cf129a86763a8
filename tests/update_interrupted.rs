//! An update interrupted at any moment (Ctrl-C, SIGTERM, `kill -9`) leaves the service either as
//! it was or fully updated, byte for byte, with no stray files, once the next svcgen command
//! has recovered what the killed one left.
//!
//! A service of 1,500 files (120 edited by its team, 120 others changed by the new blueprint
//! version) is updated again and again from the same starting point, each time signalled at
//! another moment of the run: from before it starts writing to after it is done.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FILES: usize = 1500;
const CHANGED_BY_BLUEPRINT: std::ops::Range<usize> = 0..120;
const EDITED_BY_TEAM: std::ops::Range<usize> = 200..320;

fn svcgen(cache: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_svcgen"));
    cmd.env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", cache)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

fn text(index: usize, first_line: &str) -> String {
    format!("{first_line} {index}\ntwo\nthree\nfour\nfive\n")
}

fn write_blueprint(dir: &Path, version: &str) {
    std::fs::write(
        dir.join("blueprint.toml"),
        format!("[blueprint]\nname = \"big\"\nversion = \"{version}\"\n"),
    )
    .unwrap();
    for index in 0..FILES {
        let first = if version != "1.0.0" && CHANGED_BY_BLUEPRINT.contains(&index) {
            "ONE"
        } else {
            "one"
        };
        let path = dir.join(format!("template/f{}/{index:04}.txt", index % 30));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text(index, first)).unwrap();
    }
}

/// Every file and folder under `dir` but `.git`, with contents and the executable bit.
fn tree(dir: &Path) -> BTreeMap<String, Option<(Vec<u8>, bool)>> {
    use std::os::unix::fs::PermissionsExt;
    walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
        .map(|e| e.unwrap())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            let metadata = std::fs::symlink_metadata(e.path()).unwrap();
            let value = metadata.is_file().then(|| {
                (
                    std::fs::read(e.path()).unwrap(),
                    metadata.permissions().mode() & 0o111 != 0,
                )
            });
            (rel, value)
        })
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn an_interrupted_update_leaves_the_old_tree_or_the_new_one() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let blueprint = tmp.path().join("blueprint");
    std::fs::create_dir_all(&blueprint).unwrap();
    git(&blueprint, &["init", "-q"]);
    write_blueprint(&blueprint, "1.0.0");
    git(&blueprint, &["add", "-A"]);
    git(&blueprint, &["commit", "-qm", "1.0.0"]);
    git(&blueprint, &["tag", "v1.0.0"]);

    let service = tmp.path().join("service");
    let made = svcgen(&cache)
        .args(["new", "big", "--no-input", "--blueprint"])
        .arg(format!("file://{}#v1.0.0", blueprint.display()))
        .arg("--output")
        .arg(&service)
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    for index in EDITED_BY_TEAM {
        let path = service.join(format!("f{}/{index:04}.txt", index % 30));
        let edited = text(index, "one").replace("five", "five (the team's)");
        std::fs::write(path, edited).unwrap();
    }
    git(&service, &["commit", "-qam", "The team's edits"]);

    write_blueprint(&blueprint, "2.0.0");
    git(&blueprint, &["commit", "-qam", "2.0.0"]);
    git(&blueprint, &["tag", "v2.0.0"]);

    let old = tree(&service);
    let reference = tmp.path().join("reference");
    copy_dir(&service, &reference);
    let started = Instant::now();
    let done = svcgen(&cache)
        .args(["update", "--no-input"])
        .current_dir(&reference)
        .output()
        .unwrap();
    let full_run = started.elapsed();
    assert!(done.status.success(), "{done:?}");
    let new = tree(&reference);
    assert_ne!(old, new);
    assert!(
        String::from_utf8_lossy(&std::fs::read(reference.join("f20/0200.txt")).unwrap())
            .contains("five (the team's)")
    );

    // Moments from the very start to well past the end of an uninterrupted run: one run timed
    // on a busy machine can be much quicker than the next, so the last moment leaves room.
    let moments: Vec<Duration> = [0.0, 0.2, 0.4, 0.55, 0.7, 0.85, 1.0, 1.3, 3.0]
        .iter()
        .map(|fraction| full_run.mul_f64(*fraction))
        .collect();
    let mut kept_old = 0;
    let mut got_new = 0;
    let mut recovered = 0;
    for (signal, name) in [(2, "INT"), (15, "TERM"), (9, "KILL")] {
        for (trial, moment) in moments.iter().enumerate() {
            let dir = tmp.path().join(format!("trial-{name}-{trial}"));
            copy_dir(&service, &dir);
            let child = svcgen(&cache)
                .args(["update", "--no-input"])
                .current_dir(&dir)
                .spawn()
                .unwrap();
            std::thread::sleep(*moment);
            let _ = Command::new("kill")
                .arg(format!("-{name}"))
                .arg(child.id().to_string())
                .status();
            let output = child.wait_with_output().unwrap();
            let code = output.status.code();
            let context = format!(
                "SIG{name} after {moment:?} (a full run takes {full_run:?}): exit {code:?}, {}",
                String::from_utf8_lossy(&output.stderr)
            );
            if signal != 9 {
                // Done, stopped cleanly, or (signalled before svcgen could set up its handler)
                // ended by the signal itself.
                use std::os::unix::process::ExitStatusExt;
                assert!(
                    code == Some(0)
                        || code == Some(128 + signal)
                        || output.status.signal() == Some(signal),
                    "{context}"
                );
            }
            // The next command finishes or undoes what the interrupted one left.
            let check = svcgen(&cache)
                .args(["check", "--offline"])
                .current_dir(&dir)
                .output()
                .unwrap();
            if String::from_utf8_lossy(&check.stderr).contains("Recovered") {
                recovered += 1;
            }
            let after = tree(&dir);
            if after == old {
                kept_old += 1;
                assert_ne!(code, Some(0), "{context}");
            } else {
                let differences = |other: &BTreeMap<String, Option<(Vec<u8>, bool)>>| {
                    after
                        .keys()
                        .chain(other.keys())
                        .filter(|k| after.get(*k) != other.get(*k))
                        .take(8)
                        .cloned()
                        .collect::<Vec<_>>()
                };
                assert!(
                    after == new,
                    "{context}: neither the old tree nor the new one (differs from the old at {:?}, from the new at {:?}); check said {}",
                    differences(&old),
                    differences(&new),
                    String::from_utf8_lossy(&check.stderr)
                );
                got_new += 1;
            }
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
    eprintln!(
        "{} interruptions: {kept_old} left the service as it was, {got_new} fully updated; \
         the next command recovered what {recovered} of them left",
        kept_old + got_new
    );
    assert!(
        kept_old > 0 && got_new > 0,
        "the moments cover before and after"
    );
}
