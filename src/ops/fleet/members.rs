//! What a fleet is made of: the service folders a directory holds or a list names (updated in
//! place), or the git repositories a fleet file names (worked on in clones in the cache).
//!
//! A fleet file is TOML:
//!
//! ```toml
//! [[service]]
//! repo = "git@git.example.com:shop/catalog.git"   # any git URL, or a local repository
//! branch = "main"                                 # optional: default, the remote's HEAD
//! path = "services/catalog"                       # optional: the service's folder, in a monorepo
//! ```
//!
//! One repository may be listed several times with different `path`s: each service of a
//! monorepo is checked and updated on its own clone and update branch.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::service::record::RECORD_PATH;

/// One service of a fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    /// A service's checkout on this machine, checked and updated in place.
    Folder(PathBuf),
    /// A service's git repository, checked and updated in a clone in svcgen's cache.
    Remote(Remote),
}

/// A `[[service]]` of a fleet file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    /// As the fleet file writes it, for messages and tables.
    pub repo: String,
    /// What git is given: the URL, or a local repository's absolute path.
    pub url: String,
    /// The branch updates start from; `None` is the remote's HEAD.
    pub branch: Option<String>,
    /// The service's folder in the repository (`services/catalog`, `/`-separated); `None` at
    /// its root.
    pub path: Option<String>,
}

/// The services `spec` names: every folder under it with a `.svcgen/record.toml` when it is a
/// directory; the `[[service]]` repositories of a fleet file (a `.toml` file, or one with a
/// `[[service]]` line); else the folders a list file names one per line (`#` comments and blank
/// lines ignored). Relative paths are taken from the file's own folder.
pub fn members(spec: &Path) -> Result<Vec<Member>> {
    let metadata = std::fs::metadata(spec).map_err(|err| Error::io(spec, err))?;
    if metadata.is_dir() {
        let found = find_services(spec)?;
        if found.is_empty() {
            return Err(Error::Usage(format!(
                "no services under {}: none of its folders has a .svcgen/record.toml",
                spec.display()
            )));
        }
        return Ok(found.into_iter().map(Member::Folder).collect());
    }
    let text = std::fs::read_to_string(spec).map_err(|err| Error::io(spec, err))?;
    let relative_to = spec.parent().unwrap_or(Path::new("."));
    let is_fleet_file = spec.extension().is_some_and(|ext| ext == "toml")
        || text.lines().any(|line| line.trim() == "[[service]]");
    if is_fleet_file {
        return Ok(parse_fleet_file(&text, spec, relative_to)?
            .into_iter()
            .map(Member::Remote)
            .collect());
    }
    let mut found: Vec<PathBuf> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| relative_to.join(line))
        .collect();
    found.sort();
    found.dedup();
    Ok(found.into_iter().map(Member::Folder).collect())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FleetFile {
    #[serde(default)]
    service: Vec<Entry>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    repo: toml::Spanned<String>,
    branch: Option<String>,
    path: Option<String>,
}

/// The repositories of the fleet file `path` (its text `text`), in its order. Local
/// repositories are resolved against `relative_to`.
pub fn parse_fleet_file(text: &str, path: &Path, relative_to: &Path) -> Result<Vec<Remote>> {
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let error = |line: Option<usize>, message: String| Error::FleetFile {
        path: path.to_owned(),
        line,
        message,
    };
    let file: FleetFile = toml::from_str(text).map_err(|err| {
        error(
            err.span().map(|span| line_of(span.start)),
            err.message().trim().to_owned(),
        )
    })?;
    let mut remotes: Vec<(Remote, usize)> = Vec::new();
    for entry in file.service {
        let line = line_of(entry.repo.span().start);
        let repo = entry.repo.into_inner();
        if repo.trim().is_empty() {
            return Err(error(Some(line), "`repo` is empty".into()));
        }
        if let Some(branch) = &entry.branch
            && (branch.is_empty() || branch.starts_with('-') || branch.contains(".."))
        {
            return Err(error(
                Some(line),
                format!("`branch = \"{branch}\"` is not a branch name"),
            ));
        }
        let folder = match entry.path.as_deref().map(|p| p.trim_matches('/')) {
            None | Some("") | Some(".") => None,
            Some(folder) => {
                let outside = folder.contains('\\')
                    || folder
                        .split('/')
                        .any(|part| part.is_empty() || part == "." || part == "..");
                if outside {
                    return Err(error(
                        Some(line),
                        format!(
                            "`path = \"{folder}\"` is not a folder inside the repository: give it relative to the repository's root, `/`-separated (`services/catalog`)"
                        ),
                    ));
                }
                Some(folder.to_owned())
            }
        };
        let url = if is_url(&repo) {
            repo.clone()
        } else {
            std::path::absolute(relative_to.join(&repo))
                .map_err(|err| Error::io(relative_to.join(&repo), err))?
                .display()
                .to_string()
        };
        if let Some((_, first)) = remotes
            .iter()
            .find(|(other, _)| same_repository(&other.url, &url) && other.path == folder)
        {
            return Err(error(
                Some(line),
                match &folder {
                    None => format!(
                        "`{repo}` is listed twice (first on line {first}); each repository is one service, unless each entry names its folder with `path`"
                    ),
                    Some(folder) => format!(
                        "`{repo}` with `path = \"{folder}\"` is listed twice (first on line {first}); each folder is one service"
                    ),
                },
            ));
        }
        remotes.push((
            Remote {
                repo,
                url,
                branch: entry.branch,
                path: folder,
            },
            line,
        ));
    }
    if remotes.is_empty() {
        return Err(error(
            None,
            "names no services; add a `[[service]]` with `repo = \"...\"` for each".into(),
        ));
    }
    Ok(remotes.into_iter().map(|(remote, _)| remote).collect())
}

/// A URL git understands (`scheme://...` or scp-like `user@host:path`), not a path.
fn is_url(repo: &str) -> bool {
    if repo.contains("://") {
        return true;
    }
    // `host:path` before any `/`, as git reads it; `./a:b` and `/a:b` are paths.
    match repo.split_once(':') {
        Some((host, _)) => !host.is_empty() && !host.contains('/'),
        None => false,
    }
}

/// Whether two repository addresses name the same repository, as far as their text tells.
fn same_repository(a: &str, b: &str) -> bool {
    let normal = |url: &str| {
        url.trim_end_matches('/')
            .trim_end_matches(".git")
            .trim_start_matches("file://")
            .to_owned()
    };
    normal(a) == normal(b)
}

/// Folders never searched for services: build output, dependencies, VCS data.
const SKIPPED_DIRS: [&str; 5] = [".git", "target", "node_modules", ".svcgen", "vendor"];

/// Every folder under `root` with a `.svcgen/record.toml`, not looking inside services or build
/// folders. Sorted.
pub fn find_services(root: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut walker = walkdir::WalkDir::new(root).follow_links(false).into_iter();
    while let Some(entry) = walker.next() {
        let entry =
            entry.map_err(|err| Error::io(err.path().unwrap_or(root).to_owned(), err.into()))?;
        if !entry.file_type().is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        if entry.depth() > 0 && SKIPPED_DIRS.contains(&name.as_ref()) {
            walker.skip_current_dir();
            continue;
        }
        if entry.path().join(RECORD_PATH).is_file() {
            found.push(entry.path().to_owned());
            // A service's own folders are its business, not more services.
            walker.skip_current_dir();
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Remote>> {
        parse_fleet_file(text, Path::new("fleet.toml"), Path::new("/fleets"))
    }

    fn message(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn finds_services_but_not_inside_them_or_in_build_folders() {
        let root = tempfile::tempdir().unwrap();
        for dir in [
            "a",
            "group/b",
            "a/nested",
            "target/c",
            "group/d/node_modules/e",
        ] {
            let record = root.path().join(dir).join(RECORD_PATH);
            std::fs::create_dir_all(record.parent().unwrap()).unwrap();
            std::fs::write(record, "").unwrap();
        }
        let folders = |members: Vec<Member>| -> Vec<PathBuf> {
            members
                .into_iter()
                .map(|m| match m {
                    Member::Folder(path) => path,
                    Member::Remote(remote) => panic!("a folder, not {remote:?}"),
                })
                .collect()
        };
        let found = folders(members(root.path()).unwrap());
        let names: Vec<_> = found
            .iter()
            .map(|p| p.strip_prefix(root.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["a", "group/b"]);

        let list = root.path().join("services.txt");
        std::fs::write(&list, "# the fleet\ngroup/b\n\na\n").unwrap();
        assert_eq!(
            folders(members(&list).unwrap()),
            [root.path().join("a"), root.path().join("group/b")]
        );
    }

    #[test]
    fn a_fleet_file_names_urls_and_local_repositories_with_their_branch() {
        let remotes = parse(
            r#"
# the shop
[[service]]
repo = "git@git.example.com:shop/catalog.git"
branch = "main"

[[service]]
repo = "https://git.example.com/shop/orders"

[[service]]
repo = "repos/billing.git"
"#,
        )
        .unwrap();
        assert_eq!(
            remotes,
            [
                Remote {
                    repo: "git@git.example.com:shop/catalog.git".into(),
                    url: "git@git.example.com:shop/catalog.git".into(),
                    branch: Some("main".into()),
                    path: None,
                },
                Remote {
                    repo: "https://git.example.com/shop/orders".into(),
                    url: "https://git.example.com/shop/orders".into(),
                    branch: None,
                    path: None,
                },
                Remote {
                    repo: "repos/billing.git".into(),
                    url: "/fleets/repos/billing.git".into(),
                    branch: None,
                    path: None,
                },
            ]
        );
    }

    #[test]
    fn bad_toml_is_reported_with_its_line() {
        let text = "[[service]]\nrepo = \"a\"\n\n[[service]]\nrepo = \"b\n";
        let err = message(text);
        assert!(err.starts_with("fleet.toml:5: "), "{err}");
    }

    #[test]
    fn unknown_keys_are_refused_with_their_line_and_the_known_ones() {
        let err = message("[[service]]\nrepo = \"a\"\nbrnach = \"main\"\n");
        assert!(
            err.starts_with("fleet.toml:3: unknown field `brnach`"),
            "{err}"
        );
        assert!(
            err.ends_with("expected one of `repo`, `branch`, `path`"),
            "{err}"
        );

        let err = message("[fleet]\nname = \"x\"\n");
        assert!(
            err.starts_with("fleet.toml:1: unknown field `fleet`"),
            "{err}"
        );

        let err = message("[[service]]\nbranch = \"main\"\n");
        assert!(err.contains("missing field `repo`"), "{err}");
    }

    #[test]
    fn a_repository_listed_twice_is_refused_naming_both_lines() {
        let err = message(
            "[[service]]\nrepo = \"file:///srv/git/catalog.git\"\n\n[[service]]\nrepo = \"file:///srv/git/catalog\"\nbranch = \"dev\"\n",
        );
        assert_eq!(
            err,
            "fleet.toml:5: `file:///srv/git/catalog` is listed twice (first on line 2); each repository is one service, unless each entry names its folder with `path`"
        );
        let err = message("[[service]]\nrepo = \"a\"\n[[service]]\nrepo = \"./a/\"\n");
        assert!(
            err.starts_with("fleet.toml:4: `./a/` is listed twice"),
            "{err}"
        );
    }

    #[test]
    fn services_in_folders_of_one_repository_are_each_listed_with_their_path() {
        let remotes = parse(
            "[[service]]\nrepo = \"mono.git\"\npath = \"services/a/\"\n\n[[service]]\nrepo = \"mono.git\"\npath = \"services/b\"\n\n[[service]]\nrepo = \"mono.git\"\n",
        )
        .unwrap();
        let paths: Vec<Option<&str>> = remotes.iter().map(|r| r.path.as_deref()).collect();
        assert_eq!(paths, [Some("services/a"), Some("services/b"), None]);

        let err = message(
            "[[service]]\nrepo = \"mono.git\"\npath = \"services/a\"\n[[service]]\nrepo = \"mono.git\"\npath = \"services/a\"\n",
        );
        assert_eq!(
            err,
            "fleet.toml:5: `mono.git` with `path = \"services/a\"` is listed twice (first on line 2); each folder is one service"
        );
        for bad in ["../a", "services/../../a", "a//b", "a\\\\b"] {
            let err = message(&format!(
                "[[service]]\nrepo = \"mono.git\"\npath = {bad:?}\n"
            ));
            assert!(
                err.contains("is not a folder inside the repository"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn an_empty_fleet_file_and_bad_values_are_errors() {
        assert!(message("").contains("names no services"));
        assert!(message("[[service]]\nrepo = \"\"\n").starts_with("fleet.toml:2: `repo` is empty"));
        assert!(
            message("[[service]]\nrepo = \"a\"\nbranch = \"-x\"\n")
                .contains("is not a branch name")
        );
    }

    #[test]
    fn urls_are_told_from_paths() {
        for url in [
            "git@host:shop/a.git",
            "host:a",
            "ssh://host/a",
            "file:///srv/a",
        ] {
            assert!(is_url(url), "{url}");
        }
        for path in ["./a:b", "/srv/a", "repos/a", "a"] {
            assert!(!is_url(path), "{path}");
        }
    }
}
