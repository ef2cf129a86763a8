//! Putting trees and changes on disk, all or nothing. The only module that writes a service.
//!
//! - [`Change`] is the one way to say "this file becomes that": every command that changes an
//!   existing service (`add-event`, `update`) plans a list of them, and [`apply_changes`] writes
//!   the list as one transaction ([`transaction`]): staged first, journaled, and rolled back on
//!   any failure or on Ctrl-C, or recovered by the next svcgen command after a `kill -9`.
//! - A new service is written by [`create_dir_atomically`] ([`new_dir`]): built in a hidden
//!   folder beside the destination and renamed into place when complete.
//! - [`interrupt`] turns SIGINT and SIGTERM into a clean stop at the next safe point.

pub mod interrupt;
mod lock;
pub mod new_dir;
pub mod transaction;

pub use new_dir::{check_destination, create_dir_atomically, write_tree};
pub use transaction::{Recovery, apply_changes, recover};

use crate::tree::{FileEntry, RelPath};

/// A change to one file of a repository, with what was there before, so that a plan can be
/// shown as a diff and an interrupted apply can be undone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Create `path`, or replace what is there (`before`) with `after`: new contents, a new
    /// mode, or both.
    Write {
        path: RelPath,
        before: Option<FileEntry>,
        after: FileEntry,
    },
    Delete {
        path: RelPath,
        before: FileEntry,
    },
}

impl Change {
    pub fn path(&self) -> &RelPath {
        match self {
            Change::Write { path, .. } | Change::Delete { path, .. } => path,
        }
    }

    /// What was there before the change, if anything.
    pub fn before(&self) -> Option<&FileEntry> {
        match self {
            Change::Write { before, .. } => before.as_ref(),
            Change::Delete { before, .. } => Some(before),
        }
    }

    /// What is there after the change; `None` for a deletion.
    pub fn after(&self) -> Option<&FileEntry> {
        match self {
            Change::Write { after, .. } => Some(after),
            Change::Delete { .. } => None,
        }
    }

    /// The change from `before` to `after` at `path`; `None` when there is nothing to do.
    pub fn between(
        path: RelPath,
        before: Option<FileEntry>,
        after: Option<FileEntry>,
    ) -> Option<Change> {
        match (before, after) {
            (before, Some(after)) if before.as_ref() != Some(&after) => Some(Change::Write {
                path,
                before,
                after,
            }),
            (Some(before), None) => Some(Change::Delete { path, before }),
            _ => None,
        }
    }
}
