//! How `check --all` and `update --all` show a fleet: a progress bar, then one row per service,
//! as an aligned table or JSON.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use svcgen::ops::fleet::FleetEntry;

use crate::ui::Ui;

/// One row of the closing table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub service: String,
    pub path: String,
    /// A fleet file's repository, as the file names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// The service's folder in that repository, when it is not at its root (`path`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repo_path: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub result: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// A remote's update branch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Whether this run pushed that branch.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub pushed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Row {
    /// The row of `entry`; `describe` gives a successful outcome's result, conflicts and commit.
    pub fn of<T>(
        entry: &FleetEntry<T>,
        describe: impl Fn(&T) -> (String, Vec<String>, Option<String>),
    ) -> Row {
        let mut row = Row {
            service: entry.service.clone(),
            path: entry.path.display().to_string(),
            repo: entry.repo.clone(),
            repo_path: entry.repo_path.clone(),
            from: entry.from.as_ref().map(ToString::to_string),
            to: entry.to.as_ref().map(ToString::to_string),
            result: "error".into(),
            conflicts: Vec::new(),
            commit: None,
            branch: None,
            pushed: false,
            error: None,
        };
        match &entry.result {
            Ok(outcome) => {
                (row.result, row.conflicts, row.commit) = describe(outcome);
            }
            Err(err) => row.error = Some(err.to_string()),
        }
        row
    }
}

pub fn progress(ui: &Ui, total: usize, verb: &str) -> ProgressBar {
    let target = if ui.is_quiet() || !std::io::stderr().is_terminal() {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let bar = ProgressBar::with_draw_target(Some(total as u64), target);
    bar.set_style(
        ProgressStyle::with_template("{prefix:>12.green.bold} [{bar:30}] {pos}/{len} {wide_msg}")
            .expect("constant template")
            .progress_chars("=> "),
    );
    bar.set_prefix(verb.to_owned());
    bar
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Prints the rows as an aligned table (or JSON) on stdout.
pub fn print_rows(rows: &[Row], format: Format) {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if format == Format::Json {
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(rows).expect("rows serialise")
        );
        return;
    }
    // The BRANCH column only for fleets of repositories, whose updates go on branches.
    let remote = rows.iter().any(|row| row.repo.is_some());
    let mut headers = vec!["SERVICE", "FROM", "TO", "RESULT", "CONFLICTS"];
    if remote {
        headers.insert(4, "BRANCH");
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let result = match &row.error {
                Some(error) => format!("error: {error}"),
                None => row.result.clone(),
            };
            let mut cells = vec![
                row.service.clone(),
                row.from.clone().unwrap_or_else(|| "-".into()),
                row.to.clone().unwrap_or_else(|| "-".into()),
                result,
                if row.conflicts.is_empty() {
                    "-".into()
                } else {
                    row.conflicts.join(", ")
                },
            ];
            if remote {
                cells.insert(
                    4,
                    match &row.branch {
                        Some(branch) if row.pushed => format!("{branch} (pushed)"),
                        Some(branch) => branch.clone(),
                        None => "-".into(),
                    },
                );
            }
            cells
        })
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        text.trim_end().to_owned()
    };
    let _ = writeln!(out, "{}", line(&headers));
    for row in &cells {
        let row: Vec<&str> = row.iter().map(String::as_str).collect();
        let _ = writeln!(out, "{}", line(&row));
    }
}
