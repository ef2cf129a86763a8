//! What each command does, as library calls: each takes options and returns what happened as
//! data (an outcome per service, never text). `src/commands/` parses arguments into these
//! options and prints the results; tests call them without a process.
//!
//! - [`new`]: resolve answers, [`crate::generate`], write the repository atomically, commit.
//! - [`add_event`]: plan the event against the service, keep the base in step, apply.
//! - [`add_client`]: read the provider's contract, plan its client likewise, apply.
//! - [`update`]: pick the target version, plan the three-way merge, apply, commit; `diff` is
//!   the same plan, shown instead of applied.
//! - [`check`]: compare a service's version with what its blueprint offers.
//! - [`contract`]: compare two versions of a service's contract (OpenAPI or event schema).
//! - [`fleet`]: the same operations over many services, in parallel, one outcome each.

pub mod add_client;
pub mod add_event;
pub mod check;
pub mod contract;
pub mod fleet;
pub mod new;
pub mod update;

use std::path::{Path, PathBuf};

use crate::answers::GivenAnswers;
use crate::error::Result;
use crate::update::target::Network;

/// What every operation that loads blueprints needs to know about its surroundings.
#[derive(Debug, Clone)]
pub struct Context {
    /// Where clones of git blueprints are kept.
    pub cache_dir: PathBuf,
    pub network: Network,
}

impl Context {
    /// The user's cache folder, fetching git blueprints (unless `offline`).
    pub fn new(offline: bool) -> Context {
        Context {
            cache_dir: default_cache_dir(),
            network: if offline {
                Network::CacheOnly
            } else {
                Network::Fetch
            },
        }
    }
}

/// Where git blueprints are cached: `$XDG_CACHE_HOME/svcgen`, else `~/.cache/svcgen`.
pub fn default_cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("svcgen")
}

/// The answers given on the command line: an answers file, then `--set KEY=VALUE`s over it.
pub fn given_answers(file: Option<&Path>, sets: &[String]) -> Result<GivenAnswers> {
    let mut given = match file {
        Some(file) => GivenAnswers::from_file(file)?,
        None => GivenAnswers::default(),
    };
    for assignment in sets {
        given.set(assignment)?;
    }
    Ok(given)
}
