//! Git's on-disk formats, written directly: object ids, trees, commits, a pack with its pack
//! index, and the index (staging area) file.
//!
//! `svcgen new` makes one commit of files it already holds in memory. Through libgit2 that cost
//! two collision-detecting SHA-1 passes per object, a delta search (pointless in a first commit)
//! and a second pass to index the pack; writing the bytes here takes a fraction of the
//! instructions, and the pack is streamed to its file rather than held in memory. Each format is git's version 2 (gitformat-pack(5), gitformat-index(5)); the
//! tests read the result back with libgit2 and, where git is installed, run `git fsck --strict`.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashSet;
use std::fmt;
use std::io::{self, Write};

use sha1::{Digest, Sha1};

/// A SHA-1 object name.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId(pub [u8; 20]);

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Commit,
    Tree,
    Blob,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Commit => "commit",
            Kind::Tree => "tree",
            Kind::Blob => "blob",
        }
    }

    /// The type number in a pack entry's header.
    fn pack_type(self) -> u8 {
        match self {
            Kind::Commit => 1,
            Kind::Tree => 2,
            Kind::Blob => 3,
        }
    }
}

pub fn object_id(kind: Kind, data: &[u8]) -> ObjectId {
    let mut hasher = Sha1::new();
    hasher.update(format!("{} {}\0", kind.name(), data.len()).as_bytes());
    hasher.update(data);
    ObjectId(hasher.finalize().into())
}

/// What a tree entry points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryMode {
    File,
    Executable,
    Folder,
}

impl EntryMode {
    fn octal(self) -> &'static str {
        match self {
            EntryMode::File => "100644",
            EntryMode::Executable => "100755",
            EntryMode::Folder => "40000",
        }
    }
}

/// A tree object's contents. Git orders entries by name, a folder's name compared as if it ended
/// in `/`; `entries` may come in any order.
pub fn tree(entries: &mut [(&str, EntryMode, ObjectId)]) -> Vec<u8> {
    entries.sort_by(|a, b| tree_order(a.0, a.1, b.0, b.1));
    let mut bytes = Vec::with_capacity(entries.len() * 40);
    for (name, mode, id) in entries.iter() {
        bytes.extend_from_slice(mode.octal().as_bytes());
        bytes.push(b' ');
        bytes.extend_from_slice(name.as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(&id.0);
    }
    bytes
}

fn tree_order(a: &str, a_mode: EntryMode, b: &str, b_mode: EntryMode) -> Ordering {
    let key = |name: &str, mode| {
        let slash: &[u8] = if mode == EntryMode::Folder { b"/" } else { b"" };
        name.as_bytes()
            .iter()
            .chain(slash)
            .copied()
            .collect::<Vec<u8>>()
    };
    key(a, a_mode).cmp(&key(b, b_mode))
}

/// A commit object's contents. `signature` is `Name <email> seconds +hhmm`.
pub fn commit(tree: ObjectId, signature: &str, message: &str) -> Vec<u8> {
    let newline = if message.ends_with('\n') { "" } else { "\n" };
    format!("tree {tree}\nauthor {signature}\ncommitter {signature}\n\n{message}{newline}")
        .into_bytes()
}

/// The objects of a pack, gathered before it is written: blobs borrowed from the tree they come
/// from, each object once however often it is added.
///
/// Objects are written in deflate's stored blocks, which every zlib reads, not compressed.
/// Compressing the service blueprint's 370 KB at level 1 made `svcgen new` 1.5 to 2.5 ms slower
/// (bench/new.sh) and took 380 KB of compressor state (valgrind's massif), about a twentieth of
/// its memory, to save 210 KB of disk in a repository that `git gc` or any repack compresses,
/// with deltas, anyway.
#[derive(Default)]
pub struct Pack<'a> {
    objects: Vec<(ObjectId, Kind, Cow<'a, [u8]>)>,
    added: HashSet<ObjectId>,
}

/// The name of a written pack (`pack-<checksum>`) and the bytes of its pack index.
pub struct PackIndex {
    pub checksum: ObjectId,
    pub index: Vec<u8>,
}

struct PackEntry {
    id: ObjectId,
    offset: u64,
    crc: u32,
}

/// The largest stored deflate block.
const STORED_BLOCK: usize = 65_535;

impl<'a> Pack<'a> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an object (once, however often it is added) and returns its id.
    pub fn add(&mut self, kind: Kind, data: impl Into<Cow<'a, [u8]>>) -> ObjectId {
        let data = data.into();
        let id = object_id(kind, &data);
        if self.added.insert(id) {
            self.objects.push((id, kind, data));
        }
        id
    }

    /// Streams the pack to `out` and returns its checksum and pack index.
    pub fn write(&self, out: &mut impl Write) -> io::Result<PackIndex> {
        let count = u32::try_from(self.objects.len()).expect("fewer than 4 billion objects");
        let mut pack = HashingWriter {
            out,
            sha: Sha1::new(),
            crc: 0,
            written: 0,
        };
        pack.put(b"PACK")?;
        pack.put(&2u32.to_be_bytes())?;
        pack.put(&count.to_be_bytes())?;
        let mut entries = Vec::with_capacity(self.objects.len());
        for (id, kind, data) in &self.objects {
            let offset = pack.written;
            pack.crc = 0;
            // Type and size: 3 bits of type and 4 of size, then 7 bits of size per byte.
            let mut header = Vec::with_capacity(10);
            let mut size = data.len();
            let mut byte = (kind.pack_type() << 4) | (size & 0x0f) as u8;
            size >>= 4;
            while size > 0 {
                header.push(byte | 0x80);
                byte = (size & 0x7f) as u8;
                size >>= 7;
            }
            header.push(byte);
            // A zlib stream (RFC 1950): header, stored blocks, Adler-32 of the data.
            header.extend_from_slice(&[0x78, 0x01]);
            pack.put(&header)?;
            let mut blocks = data.chunks(STORED_BLOCK).peekable();
            if data.is_empty() {
                pack.put(&[1, 0x00, 0x00, 0xff, 0xff])?;
            }
            while let Some(block) = blocks.next() {
                let last = u8::from(blocks.peek().is_none());
                let len = block.len() as u16;
                let [len_lo, len_hi] = len.to_le_bytes();
                let [not_lo, not_hi] = (!len).to_le_bytes();
                pack.put(&[last, len_lo, len_hi, not_lo, not_hi])?;
                pack.put(block)?;
            }
            pack.put(&zlib_rs::adler32::adler32(1, data).to_be_bytes())?;
            entries.push(PackEntry {
                id: *id,
                offset,
                crc: pack.crc,
            });
        }
        let checksum = ObjectId(pack.sha.finalize().into());
        out.write_all(&checksum.0)?;
        Ok(PackIndex {
            checksum,
            index: pack_index(entries, checksum),
        })
    }
}

/// Writes through to `out`, keeping the pack's SHA-1, the current object's CRC-32 and the offset.
struct HashingWriter<'w, W> {
    out: &'w mut W,
    sha: Sha1,
    crc: u32,
    written: u64,
}

impl<W: Write> HashingWriter<'_, W> {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.sha.update(bytes);
        self.crc = zlib_rs::crc32::crc32(self.crc, bytes);
        self.written += bytes.len() as u64;
        Ok(())
    }
}

/// The version-2 pack index of a pack with `checksum` holding `entries`.
fn pack_index(mut entries: Vec<PackEntry>, checksum: ObjectId) -> Vec<u8> {
    entries.sort_by_key(|entry| entry.id);
    let mut index = Vec::with_capacity(8 + 256 * 4 + entries.len() * 28 + 40);
    index.extend_from_slice(b"\xfftOc");
    index.extend_from_slice(&2u32.to_be_bytes());
    let mut cumulative = 0u32;
    for first_byte in 0..=255u8 {
        while (cumulative as usize) < entries.len()
            && entries[cumulative as usize].id.0[0] == first_byte
        {
            cumulative += 1;
        }
        index.extend_from_slice(&cumulative.to_be_bytes());
    }
    for entry in &entries {
        index.extend_from_slice(&entry.id.0);
    }
    for entry in &entries {
        index.extend_from_slice(&entry.crc.to_be_bytes());
    }
    // Offsets past 2 GiB go to a table of 8-byte offsets, pointed at with the high bit.
    let mut large = Vec::new();
    for entry in &entries {
        let small = match u32::try_from(entry.offset) {
            Ok(offset) if offset < 0x8000_0000 => offset,
            _ => {
                large.push(entry.offset);
                0x8000_0000 | (large.len() as u32 - 1)
            }
        };
        index.extend_from_slice(&small.to_be_bytes());
    }
    for offset in large {
        index.extend_from_slice(&offset.to_be_bytes());
    }
    index.extend_from_slice(&checksum.0);
    let index_checksum = sha1(&index);
    index.extend_from_slice(&index_checksum.0);
    index
}

fn sha1(bytes: &[u8]) -> ObjectId {
    ObjectId(Sha1::digest(bytes).into())
}

/// The file-system facts git compares to tell whether a file changed since it was staged. All
/// zero is valid: git then compares contents once and refreshes them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatData {
    pub ctime: (u32, u32),
    pub mtime: (u32, u32),
    pub dev: u32,
    pub ino: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u32,
}

impl StatData {
    #[cfg(unix)]
    pub fn of(metadata: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        // The index keeps the low 32 bits of each, as git does.
        Self {
            ctime: (metadata.ctime() as u32, metadata.ctime_nsec() as u32),
            mtime: (metadata.mtime() as u32, metadata.mtime_nsec() as u32),
            dev: metadata.dev() as u32,
            ino: metadata.ino() as u32,
            uid: metadata.uid(),
            gid: metadata.gid(),
            size: metadata.size() as u32,
        }
    }

    #[cfg(not(unix))]
    pub fn of(metadata: &std::fs::Metadata) -> Self {
        Self {
            size: metadata.len() as u32,
            ..Self::default()
        }
    }
}

pub struct IndexEntry<'a> {
    pub path: &'a str,
    pub executable: bool,
    pub id: ObjectId,
    pub stat: StatData,
}

/// The index file staging exactly `entries`, which must be sorted by path bytes (as a
/// [`crate::tree::Tree`] iterates).
pub fn index_file(entries: &[IndexEntry<'_>]) -> Vec<u8> {
    debug_assert!(entries.windows(2).all(|w| w[0].path < w[1].path));
    let mut bytes = Vec::with_capacity(12 + entries.len() * 96 + 20);
    bytes.extend_from_slice(b"DIRC");
    bytes.extend_from_slice(&2u32.to_be_bytes());
    let count = u32::try_from(entries.len()).expect("fewer than 4 billion files");
    bytes.extend_from_slice(&count.to_be_bytes());
    for entry in entries {
        let start = bytes.len();
        let stat = entry.stat;
        let mode: u32 = if entry.executable { 0o100755 } else { 0o100644 };
        for field in [
            stat.ctime.0,
            stat.ctime.1,
            stat.mtime.0,
            stat.mtime.1,
            stat.dev,
            stat.ino,
            mode,
            stat.uid,
            stat.gid,
            stat.size,
        ] {
            bytes.extend_from_slice(&field.to_be_bytes());
        }
        bytes.extend_from_slice(&entry.id.0);
        // Flags: stage 0 and the path length, capped at 0xfff.
        let flags = entry.path.len().min(0xfff) as u16;
        bytes.extend_from_slice(&flags.to_be_bytes());
        bytes.extend_from_slice(entry.path.as_bytes());
        // 1 to 8 NULs, so that each entry is a multiple of 8 bytes long.
        let len = bytes.len() - start;
        bytes.resize(start + ((len + 8) & !7), 0);
    }
    let checksum = sha1(&bytes);
    bytes.extend_from_slice(&checksum.0);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_are_gits() {
        // `git hash-object` of an empty file and of "hello\n"; the empty tree.
        assert_eq!(
            object_id(Kind::Blob, b"").to_string(),
            "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
        );
        assert_eq!(
            object_id(Kind::Blob, b"hello\n").to_string(),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(
            object_id(Kind::Tree, &tree(&mut [])).to_string(),
            "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
        );
    }

    #[test]
    fn trees_sort_folders_as_if_they_ended_in_a_slash() {
        let id = object_id(Kind::Blob, b"");
        let mut entries = [
            ("foo.rs", EntryMode::File, id),
            ("foo", EntryMode::Folder, id),
            ("foo-bar", EntryMode::Executable, id),
        ];
        let bytes = tree(&mut entries);
        let names: Vec<&str> = entries.iter().map(|e| e.0).collect();
        // '-' (0x2d) < '.' (0x2e) < '/' (0x2f)
        assert_eq!(names, ["foo-bar", "foo.rs", "foo"]);
        assert!(bytes.starts_with(b"100755 foo-bar\0"));
    }

    /// libgit2 reads back what is written here: the pack through its index, the index file, and
    /// the commit.
    #[test]
    fn libgit2_reads_the_pack_and_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        let mut pack = Pack::new();
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let small = pack.add(Kind::Blob, &b"fn main() {}\n"[..]);
        let large = pack.add(Kind::Blob, &big[..]);
        let empty = pack.add(Kind::Blob, &b""[..]);
        assert_eq!(
            pack.add(Kind::Blob, &b"fn main() {}\n"[..]),
            small,
            "added once"
        );
        let mut src = [
            ("main.rs", EntryMode::File, small),
            ("empty", EntryMode::File, empty),
        ];
        let src = pack.add(Kind::Tree, tree(&mut src));
        let mut root = [
            ("src", EntryMode::Folder, src),
            ("data.bin", EntryMode::Executable, large),
        ];
        let root = pack.add(Kind::Tree, tree(&mut root));
        let commit_id = pack.add(
            Kind::Commit,
            commit(
                root,
                "A U Thor <a@example.com> 1700000000 +0130",
                "First\n\nBody",
            ),
        );
        let mut bytes = Vec::new();
        let written = pack.write(&mut bytes).unwrap();
        let packs = dir.path().join(".git/objects/pack");
        let name = format!("pack-{}", written.checksum);
        std::fs::write(packs.join(format!("{name}.pack")), &bytes).unwrap();
        std::fs::write(packs.join(format!("{name}.idx")), &written.index).unwrap();

        let commit = repo
            .find_commit(git2::Oid::from_bytes(&commit_id.0).unwrap())
            .unwrap();
        assert_eq!(commit.message().unwrap(), "First\n\nBody\n");
        assert_eq!(commit.author().email().unwrap(), "a@example.com");
        assert_eq!(commit.author().when().offset_minutes(), 90);
        let tree = commit.tree().unwrap();
        let data = tree.get_name("data.bin").unwrap();
        assert_eq!(data.filemode(), 0o100755);
        let blob = repo.find_blob(data.id()).unwrap();
        assert_eq!(blob.content(), &big[..]);
        let main = tree.get_path(std::path::Path::new("src/main.rs")).unwrap();
        assert_eq!(main.id().as_bytes(), &small.0);

        let entries = [
            IndexEntry {
                path: "data.bin",
                executable: true,
                id: large,
                stat: StatData::default(),
            },
            IndexEntry {
                path: "src/empty",
                executable: false,
                id: empty,
                stat: StatData::default(),
            },
            IndexEntry {
                path: "src/main.rs",
                executable: false,
                id: small,
                stat: StatData {
                    size: 13,
                    ..StatData::default()
                },
            },
        ];
        std::fs::write(dir.path().join(".git/index"), index_file(&entries)).unwrap();
        let index = repo.index().unwrap();
        assert_eq!(index.len(), 3);
        let main = index
            .get_path(std::path::Path::new("src/main.rs"), 0)
            .unwrap();
        assert_eq!((main.mode, main.file_size), (0o100644, 13));
        assert_eq!(main.id.as_bytes(), &small.0);
        let diff = repo
            .diff_tree_to_index(Some(&tree), Some(&index), None)
            .unwrap();
        assert_eq!(diff.deltas().len(), 0, "the index stages the tree");
    }
}
