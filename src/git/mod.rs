//! Everything svcgen does with git, on libgit2, behaving as the `git` command does for the user:
//!
//! - [`init_and_commit`]: `git init` and the first commit of a new service ([`init`]);
//! - [`enclosing_work_tree`]: a new service inside an existing repository (a monorepo), staged
//!   in its index instead;
//! - [`dirty_paths`]: the dirty check before `update` and `add-event` ([`status`]);
//! - [`commit_paths`]: `update --commit` ([`commit`]);
//! - [`mirror`]: blueprints fetched from git into the cache;
//! - [`workspace`]: a fleet's service repositories cloned into the cache, branched and pushed;
//! - [`history`]: a blueprint's earlier versions, for upgrade tests;
//! - [`read_blob`], [`moved_to`]: what a service's own history knows, for `update`;
//! - [`blob_id`]: git's id of some bytes, which `.svcgen/base` records.
//!
//! The user's configuration and identity are read as git reads them ([`config`]), and which
//! files git ignores is decided by git's rules ([`gitignore`]), where libgit2's differ.

mod commit;
mod config;
pub mod gitignore;
pub mod history;
mod init;
pub mod mirror;
mod service_history;
mod status;
mod work_tree;
pub mod workspace;

pub use commit::commit_paths;
pub use init::init_and_commit;
pub use service_history::{moved_to, read_blob};
pub use status::dirty_paths;
pub use work_tree::{Enclosing, enclosing_work_tree};

/// The id git gives these bytes as a blob (`git hash-object`).
pub fn blob_id(contents: &[u8]) -> String {
    git2::Oid::hash_object(git2::ObjectType::Blob, contents)
        .expect("hashing bytes in memory fails only if libgit2 cannot allocate")
        .to_string()
}
