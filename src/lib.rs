//! svcgen: start every microservice the same way, and keep it that way.
//!
//! The data flow, from the outside in:
//!
//! 1. [`blueprint::source`] loads a [`blueprint::Blueprint`] (built-in, directory or git) into
//!    memory and checks its `blueprint.toml` ([`blueprint::manifest`]).
//! 2. [`resolve`] turns flags, an answers file and prompts into typed [`answers::Answers`].
//! 3. [`render::render`] is a pure function from blueprint and answers to a [`tree::Tree`].
//! 4. Commands apply trees: [`apply`] writes one atomically, [`git`] commits it, and
//!    [`record`] keeps what later commands need to render the same tree again.
//! 5. [`events`] plans `add-event` against a service's files ([`workdir`]) or a tree in memory,
//!    from the blueprint's `events/` [`part`] (templates and insertions at anchors).

pub mod answers;
pub mod apply;
pub mod blueprint;
pub mod clients;
pub mod contract;
pub mod diff;
pub mod error;
pub mod events;
pub mod generate;
pub mod git;
pub mod keywords;
pub mod kit;
pub mod macro_recursion;
pub mod name;
pub mod ops;
pub mod part;
pub mod prompt;
pub mod render;
pub mod resolve;
pub mod service;
pub mod template;
pub mod template_text;
pub mod tree;
pub mod update;

pub use error::{Error, Result};
