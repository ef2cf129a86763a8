//! Embeds every blueprint under `blueprints/` into the binary, keeping each file's executable
//! bit (which `include_dir`-style embedding loses), so built-in blueprints render exactly like
//! the same blueprint read from disk.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"))
        .join("blueprints");
    println!("cargo:rerun-if-changed={}", root.display());

    let mut names: Vec<PathBuf> = fs::read_dir(&root)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.join("blueprint.toml").is_file())
                .collect()
        })
        .unwrap_or_default();
    names.sort();

    let mut out = String::from("pub static BUILTINS: &[EmbeddedBlueprint] = &[\n");
    for dir in &names {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("blueprint folder names are UTF-8");
        let mut files = Vec::new();
        collect(dir, dir, &mut files);
        files.sort();
        writeln!(out, "    EmbeddedBlueprint {{ name: {name:?}, files: &[").unwrap();
        for (relative, absolute, executable) in files {
            writeln!(
                out,
                "        EmbeddedFile {{ path: {relative:?}, contents: include_bytes!({absolute:?}), executable: {executable} }},"
            )
            .unwrap();
        }
        out.push_str("    ] },\n");
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"))
        .join("builtin_blueprints.rs");
    fs::write(dest, out).expect("OUT_DIR is writable");
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, String, bool)>) {
    for entry in fs::read_dir(dir).expect("blueprint folder is readable") {
        let path = entry.expect("blueprint entry is readable").path();
        // Upgrade tests are for `svcgen blueprint test` on the source tree; the binary never
        // reads them.
        if path
            .file_name()
            .is_some_and(|n| n == ".git" || n == "upgrade-tests")
        {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            let relative = path.strip_prefix(root).expect("under root");
            let relative: Vec<&str> = relative
                .components()
                .map(|c| c.as_os_str().to_str().expect("UTF-8 file names"))
                .collect();
            files.push((
                relative.join("/"),
                path.display().to_string(),
                is_executable(&path),
            ));
        }
    }
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn is_executable(_: &Path) -> bool {
    false
}
