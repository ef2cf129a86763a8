//! What `check --all` and `update --all` share: finding the services, one blueprint load per
//! source, a progress bar, and the closing table.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use svcgen::record::Record;
use svcgen::update::target::{Network, Target, resolve_target};

use crate::ui::Ui;

/// One row of the closing table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub service: String,
    pub path: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub result: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Row {
    pub fn failed(path: &Path, service: Option<String>, error: &svcgen::Error) -> Row {
        Row {
            service: service.unwrap_or_else(|| display_name(path)),
            path: path.display().to_string(),
            from: None,
            to: None,
            result: "error".into(),
            conflicts: Vec::new(),
            commit: None,
            error: Some(error.to_string()),
        }
    }
}

pub fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Every service's record, read once, and each distinct blueprint target resolved once.
pub struct Fleet {
    pub services: Vec<(PathBuf, svcgen::Result<Record>)>,
    targets: HashMap<String, Result<Arc<Target>, String>>,
}

impl Fleet {
    pub fn load(spec: &Path, to: Option<&str>, network: Network) -> svcgen::Result<Fleet> {
        let dirs = svcgen::update::fleet::find_services(spec)?;
        if dirs.is_empty() {
            return Err(svcgen::Error::Usage(format!(
                "no services under {}: none of its folders has a .svcgen/record.toml",
                spec.display()
            )));
        }
        let services: Vec<_> = dirs
            .into_iter()
            .map(|dir| {
                let record = Record::read(&dir);
                (dir, record)
            })
            .collect();
        let mut targets = HashMap::new();
        for (_, record) in &services {
            let Ok(record) = record else { continue };
            let key = record.blueprint.source.to_string();
            targets.entry(key).or_insert_with(|| {
                resolve_target(&record.blueprint.source, to, &super::cache_dir(), network)
                    .map(Arc::new)
                    .map_err(|err| err.to_string())
            });
        }
        Ok(Fleet { services, targets })
    }

    pub fn target(&self, record: &Record) -> Result<Arc<Target>, String> {
        self.targets
            .get(&record.blueprint.source.to_string())
            .cloned()
            .expect("every record's source was resolved")
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
    let headers = ["SERVICE", "FROM", "TO", "RESULT", "CONFLICTS"];
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|row| {
            let result = match &row.error {
                Some(error) => format!("error: {error}"),
                None => row.result.clone(),
            };
            [
                row.service.clone(),
                row.from.clone().unwrap_or_else(|| "-".into()),
                row.to.clone().unwrap_or_else(|| "-".into()),
                result,
                if row.conflicts.is_empty() {
                    "-".into()
                } else {
                    row.conflicts.join(", ")
                },
            ]
        })
        .collect();
    let mut widths = headers.map(str::len);
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
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
    let _ = writeln!(out, "{}", line(headers));
    for row in &cells {
        let _ = writeln!(out, "{}", line(row.each_ref().map(String::as_str)));
    }
}
