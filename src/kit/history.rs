//! A blueprint's earlier versions, read from its git repository: lives with the rest of svcgen's
//! git code in [`crate::git::history`].

pub use crate::git::history::{History, HistoryError};
