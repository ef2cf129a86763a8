//! Printing what a part's command (`add-event`, `add-client`) changed or, with `--dry-run`,
//! would change.

use svcgen::apply::Change;
use svcgen::diff;
use svcgen::service::base::{BASE_PATH, is_svcgen_file};

use crate::ui::Ui;

/// With `dry_run`, prints every change but the base as a unified diff on stdout; otherwise one
/// status line per file of the service's own. Returns how many of the service's files change.
pub fn print(changes: &[Change], dry_run: bool, ui: &Ui) -> usize {
    let files = changes.iter().filter(|c| !is_svcgen_file(c.path())).count();
    if dry_run {
        use std::io::Write;
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        // The base says nothing a reviewer needs; the record says what was added.
        for change in changes.iter().filter(|c| c.path().as_str() != BASE_PATH) {
            let text = diff::unified(change.path(), change.before(), change.after());
            // A closed pipe (`| head`) is not an error worth reporting.
            if out.write_all(text.as_bytes()).is_err() {
                break;
            }
        }
        return files;
    }
    for change in changes.iter().filter(|c| !is_svcgen_file(c.path())) {
        let verb = match change {
            Change::Write {
                before: Some(_), ..
            } => "Updated",
            Change::Write { before: None, .. } => "Created",
            Change::Delete { .. } => "Removed",
        };
        ui.status(verb, change.path());
    }
    files
}
