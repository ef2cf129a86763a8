//! The file tree that rendering produces and every command applies.
//!
//! A [`Tree`] is plain data: relative paths mapped to bytes and a mode. Nothing in here touches the
//! disk, which is what lets `new`, `--dry-run` and later `update` and `diff` share one renderer.

use std::collections::BTreeMap;
use std::fmt;

/// File mode as svcgen records it: only the executable bit is meaningful across platforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    Regular,
    Executable,
    /// A symbolic link found in a service (its contents are the link's target). Blueprints
    /// never render one, and svcgen never writes through one: a link where the blueprint has a
    /// file is reported, not replaced.
    Symlink,
}

impl Mode {
    pub fn from_unix(mode: u32) -> Self {
        if mode & 0o111 != 0 {
            Mode::Executable
        } else {
            Mode::Regular
        }
    }

    /// The permission bits svcgen writes a file with (a link has none of its own).
    pub fn unix(self) -> u32 {
        match self {
            Mode::Regular => 0o644,
            Mode::Executable => 0o755,
            Mode::Symlink => 0o777,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mode::Symlink => f.write_str("link"),
            _ => write!(f, "{:o}", self.unix()),
        }
    }
}

/// A normalised path relative to the root of a tree: `/`-separated, no empty, `.` or `..`
/// segments, never absolute. Constructing one is the only place path safety is decided.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelPath(String);

impl RelPath {
    /// Checks `raw` and returns it as a `RelPath`, or the reason it cannot be one.
    pub fn new(raw: &str) -> Result<Self, &'static str> {
        if raw.is_empty() {
            return Err("is empty");
        }
        if raw.starts_with('/') || raw.starts_with('\\') || has_windows_prefix(raw) {
            return Err("is absolute");
        }
        if raw.contains('\\') {
            return Err("contains a backslash");
        }
        if raw.contains('\0') {
            return Err("contains a NUL byte");
        }
        // A line break or other control character in a file name breaks every line-based
        // format it is written into (git's output, `.svcgen/base`, scripts), and no blueprint
        // means one.
        if raw.chars().any(char::is_control) {
            return Err("contains a control character (such as a line break)");
        }
        for segment in raw.split('/') {
            match segment {
                "" => return Err("has an empty path segment"),
                "." => return Err("contains a `.` segment"),
                ".." => return Err("contains `..` and could escape the output directory"),
                ".git" => return Err("would write inside the `.git` directory"),
                _ => {}
            }
        }
        Ok(RelPath(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Path segments from the root.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    pub fn to_path_buf(&self) -> std::path::PathBuf {
        self.segments().collect()
    }
}

fn has_windows_prefix(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Shared bytes: cloning a file (into a plan, a change, a base) does not copy it.
    pub contents: bytes::Bytes,
    pub mode: Mode,
}

/// A rendered repository: sorted, so that iteration order (and therefore every listing, snapshot
/// and commit) is deterministic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    files: BTreeMap<RelPath, FileEntry>,
}

impl Tree {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, path: RelPath, entry: FileEntry) -> Option<FileEntry> {
        self.files.insert(path, entry)
    }

    pub fn get(&self, path: &str) -> Option<&FileEntry> {
        RelPath::new(path).ok().and_then(|p| self.files.get(&p))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&RelPath, &FileEntry)> {
        self.files.iter()
    }

    /// Keeps only the files `keep` accepts, without copying any.
    pub fn retain(&mut self, mut keep: impl FnMut(&RelPath, &FileEntry) -> bool) {
        self.files.retain(|path, entry| keep(path, entry));
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn total_bytes(&self) -> usize {
        self.files.values().map(|f| f.contents.len()).sum()
    }

    /// A file path that is also used as a directory (`a` and `a/b`) cannot be written.
    pub fn find_file_dir_clash(&self) -> Option<(&RelPath, &RelPath)> {
        self.files.keys().find_map(|path| {
            let raw = path.as_str();
            raw.match_indices('/').find_map(|(at, _)| {
                let parent = RelPath(raw[..at].to_owned());
                self.files
                    .get_key_value(&parent)
                    .map(|(file, _)| (file, path))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rel_path_rejects_escapes_and_absolute_paths() {
        assert_eq!(
            RelPath::new("../x"),
            Err("contains `..` and could escape the output directory")
        );
        assert_eq!(
            RelPath::new("a/../../x"),
            Err("contains `..` and could escape the output directory")
        );
        assert_eq!(RelPath::new("/etc/passwd"), Err("is absolute"));
        assert_eq!(RelPath::new("C:/x"), Err("is absolute"));
        assert_eq!(RelPath::new("a//b"), Err("has an empty path segment"));
        assert_eq!(RelPath::new("a\\b"), Err("contains a backslash"));
        assert_eq!(
            RelPath::new(".git/hooks/pre-commit"),
            Err("would write inside the `.git` directory")
        );
        assert!(RelPath::new("src/main.rs").is_ok());
        assert!(RelPath::new(".github/workflows/ci.yml").is_ok());
    }

    #[test]
    fn clash_between_file_and_directory_is_found() {
        let mut tree = Tree::new();
        let entry = FileEntry {
            contents: vec![].into(),
            mode: Mode::Regular,
        };
        tree.insert(RelPath::new("a").unwrap(), entry.clone());
        tree.insert(RelPath::new("a-b").unwrap(), entry.clone());
        assert!(tree.find_file_dir_clash().is_none());
        tree.insert(RelPath::new("a/b").unwrap(), entry);
        let (file, nested) = tree.find_file_dir_clash().unwrap();
        assert_eq!((file.as_str(), nested.as_str()), ("a", "a/b"));
    }

    #[test]
    fn mode_keeps_only_the_executable_bit() {
        assert_eq!(Mode::from_unix(0o100755), Mode::Executable);
        assert_eq!(Mode::from_unix(0o100744), Mode::Executable);
        assert_eq!(Mode::from_unix(0o100644), Mode::Regular);
        assert_eq!(Mode::Executable.unix(), 0o755);
    }
}
