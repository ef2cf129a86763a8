//! Every way svcgen can fail, as data.
//!
//! Each variant carries the context a person needs to act on it (which file, which line, which
//! variable) so that `main` only has to print it. Variants that are the user's own command line
//! being wrong map to exit code 2, everything else to 1.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A position inside a blueprint, for messages like `blueprint.toml:12: ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Path as shown to the user: the blueprint origin joined with the file inside it.
    pub file: String,
    pub line: Option<usize>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}", self.file, line),
            None => write!(f, "{}", self.file),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{location}: invalid blueprint definition: {message}")]
    Manifest { location: Location, message: String },

    #[error("{location}: {message}")]
    Template { location: Location, message: String },

    #[error("blueprint `{origin}` has no `blueprint.toml`")]
    NotABlueprint { origin: String },

    #[error(
        "blueprint `{origin}` has no files under `template/`, so it would generate nothing; put the files to render there"
    )]
    NoTemplates { origin: String },

    #[error(
        "{origin}/{path}: a symbolic link (to `{target}`); svcgen reads a blueprint's files only as files inside it, never through links. Replace the link with the file itself"
    )]
    BlueprintLink {
        origin: String,
        path: String,
        target: String,
    },

    #[error("blueprint `{blueprint}` needs svcgen {required} or newer, this is svcgen {running}")]
    SvcgenTooOld {
        blueprint: String,
        required: semver::Version,
        running: semver::Version,
    },

    #[error("unknown built-in blueprint `{name}` (built-in: {available})")]
    UnknownBuiltin { name: String, available: String },

    #[error("invalid value for `{variable}`: {message}")]
    InvalidAnswer { variable: String, message: String },

    #[error("`{variable}` is not a variable of this blueprint (it has: {known})")]
    UnknownVariable { variable: String, known: String },

    #[error(
        "no answer for required variable{} {}; pass them with --set NAME=VALUE or --answers FILE",
        if .0.len() == 1 { "" } else { "s" },
        .0.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
    )]
    MissingAnswers(Vec<String>),

    #[error("invalid service name `{name}`: {reason}")]
    InvalidName { name: String, reason: String },

    #[error("invalid argument: {0}")]
    Usage(String),

    #[error("{}: destination exists and is not empty; choose another --output or remove it", .0.display())]
    DestinationNotEmpty(PathBuf),

    #[error("rendered path `{path}` (from template `{template}`) {reason}")]
    UnsafePath {
        template: String,
        path: String,
        reason: &'static str,
    },

    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{context}: {source}")]
    Git {
        context: String,
        #[source]
        source: git2::Error,
    },

    #[error("{}: {message}", .path.display())]
    Record { path: PathBuf, message: String },

    /// The blueprint a service's record names is not where it says (moved, renamed, or the
    /// service cloned where a recorded folder does not exist).
    #[error(
        "cannot find the blueprint this service records, `{recorded}` ({reason}); if it moved, point the service at it with `svcgen update --blueprint <SOURCE>` (with --dry-run to see the change first)"
    )]
    BlueprintMoved { recorded: String, reason: String },

    #[error("{}{}: {message}", .path.display(), .line.map(|l| format!(":{l}")).unwrap_or_default())]
    FleetFile {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },

    #[error("prompt failed: {0}")]
    Prompt(String),

    /// `svcgen blueprint lint` or `test` found problems, already printed one by one.
    #[error("{0}")]
    BlueprintChecksFailed(String),

    #[error("invalid event name `{name}`: {reason}")]
    InvalidEventName { name: String, reason: String },

    #[error("invalid --field `{spec}`: {reason}")]
    InvalidField { spec: String, reason: String },

    #[error("cannot add event `{event}`: {message}")]
    EventConflict { event: String, message: String },

    #[error("{file}: cannot insert at anchor `{anchor}`: {reason}")]
    MissingAnchor {
        file: String,
        anchor: String,
        reason: String,
    },

    #[error("{}: not a service made by svcgen (no .svcgen/record.toml); run this inside one or pass --service DIR", .0.display())]
    NotAService(PathBuf),

    #[error(
        "blueprint `{blueprint}` has no events part (events/part.toml), so it cannot add events"
    )]
    NoEventsPart { blueprint: String },

    #[error(
        "blueprint `{blueprint}` has no clients part (clients/part.toml), so it cannot add clients"
    )]
    NoClientsPart { blueprint: String },

    /// A provider's contract a client cannot be made from: what, and where in it.
    #[error("{file}: {pointer}: {message}")]
    ClientSpec {
        file: String,
        pointer: String,
        message: String,
    },

    #[error("cannot add the client of `{service}`: {message}")]
    ClientConflict { service: String, message: String },

    #[error(
        "the working tree has uncommitted changes ({}); commit or stash them first so svcgen's changes can be reviewed on their own, or pass --allow-dirty",
        summarize_paths(.0)
    )]
    DirtyTree(Vec<String>),

    #[error("{}: {message}", .path.display())]
    Schema { path: PathBuf, message: String },

    /// A file given to `svcgen contract diff` that is not a contract it can compare.
    #[error("{}: {message}", .path.display())]
    Contract { path: PathBuf, message: String },

    /// Ctrl-C or SIGTERM arrived while files were being written; what was written is undone.
    #[error("interrupted by {}; nothing was changed", signal_name(*.signal))]
    Interrupted { signal: i32 },

    #[error(
        "{}: another svcgen is changing this service right now; wait for it to finish (if none is running, run the command again: svcgen recovers what an interrupted run left)",
        .0.display()
    )]
    TransactionPending(PathBuf),

    #[error(
        "{cause}; undoing the changes made so far failed too ({}). svcgen keeps what it set aside in {} and tries again at its next run in this service",
        .problems.join("; "),
        .transaction.display()
    )]
    RollbackFailed {
        cause: Box<Error>,
        problems: Vec<String>,
        transaction: PathBuf,
    },
}

fn signal_name(signal: i32) -> String {
    match signal {
        2 => "SIGINT (Ctrl-C)".to_owned(),
        15 => "SIGTERM".to_owned(),
        other => format!("signal {other}"),
    }
}

fn summarize_paths(paths: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut text = paths
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if paths.len() > SHOWN {
        text.push_str(&format!(" and {} more", paths.len() - SHOWN));
    }
    text
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub fn git(context: impl Into<String>, source: git2::Error) -> Self {
        Error::Git {
            context: context.into(),
            source,
        }
    }

    /// The process exit code for this error: 2 when the command line itself was wrong
    /// (like clap's own usage errors), 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::InvalidName { .. }
            | Error::Usage(_)
            | Error::UnknownVariable { .. }
            | Error::UnknownBuiltin { .. }
            | Error::InvalidEventName { .. }
            | Error::InvalidField { .. } => 2,
            // As a shell reports a process its signal ended: 130 for Ctrl-C, 143 for SIGTERM.
            Error::Interrupted { signal } => 128 + signal,
            _ => 1,
        }
    }
}
