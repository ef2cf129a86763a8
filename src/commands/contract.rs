//! `svcgen contract diff`: does a change to a service's contract break its readers?

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use svcgen::contract::Severity;
use svcgen::ops::contract::{ContractDiff, diff_files};

use crate::ui::Ui;

/// Exit codes of `contract diff`.
const COMPATIBLE: u8 = 0;
const BREAKING: u8 = 1;
const BAD_INPUT: u8 = 2;

/// Work with a service's contracts: its OpenAPI document (api/openapi.json) and its events'
/// JSON Schemas (events/*.json).
#[derive(clap::Args)]
#[command(after_help = "Examples:
  svcgen contract diff old/openapi.json api/openapi.json
  svcgen contract diff <(git show origin/main:api/openapi.json) api/openapi.json
  svcgen contract diff main.v1.json events/product-changed.v1.json --format json

The rules, and why each change breaks or not: docs/contracts.md.")]
pub struct ContractArgs {
    #[command(subcommand)]
    pub command: ContractCommand,
}

#[derive(Subcommand)]
pub enum ContractCommand {
    Diff(DiffArgs),
}

/// Compare two versions of a contract, an OpenAPI 3.x document or a JSON Schema (JSON or
/// YAML), and list every change: one line per breaking change (a JSON pointer into the
/// document and why it breaks), then the compatible ones as notes.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  svcgen contract diff old.json api/openapi.json            Breaking changes, then notes
  svcgen contract diff old.yaml new.yaml --format json      For a script or a CI report
  git show origin/main:events/product-changed.v1.json > /tmp/old.json &&
    svcgen contract diff /tmp/old.json events/product-changed.v1.json

In requests, accepting fewer values breaks clients; in responses, sending values the old
contract ruled out (a new enum value, a value that may now be null) breaks them; events are
read both ways (old consumers read new events, new consumers replay old ones), so both break.
Exit codes: 0 compatible, 1 breaking changes, 2 a file that is not a contract it can read.")]
pub struct DiffArgs {
    /// The contract as it was (the default branch's, the last release's).
    #[arg(value_name = "OLD")]
    pub old: PathBuf,

    /// The contract as it is now.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,

    /// Print the findings as text lines or as one JSON object.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
}

pub fn exec(args: ContractArgs, ui: &Ui) -> u8 {
    let ContractCommand::Diff(args) = args.command;
    let diff = match diff_files(&args.old, &args.new) {
        Ok(diff) => diff,
        Err(err) => {
            ui.error(&err);
            return BAD_INPUT;
        }
    };
    let printed = match args.format {
        DiffFormat::Text => print_text(&diff),
        DiffFormat::Json => print_json(&diff),
    };
    // A closed pipe (`| head`) is not worth an error; the exit code still tells.
    let _ = printed;
    summarise(&diff, ui);
    if diff.is_breaking() {
        BREAKING
    } else {
        COMPATIBLE
    }
}

fn print_text(diff: &ContractDiff) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for finding in &diff.findings {
        let label = match finding.severity {
            Severity::Breaking => "breaking",
            Severity::Compatible => "note",
        };
        // The empty pointer is the whole document.
        let pointer = if finding.pointer.is_empty() {
            "(document)"
        } else {
            &finding.pointer
        };
        writeln!(
            out,
            "{label}: {pointer}: {} [{}]",
            finding.message, finding.rule
        )?;
    }
    Ok(())
}

fn print_json(diff: &ContractDiff) -> std::io::Result<()> {
    let report = serde_json::json!({
        "old": diff.old,
        "new": diff.new,
        "kind": diff.kind,
        "breaking": diff.is_breaking(),
        "findings": diff.findings,
    });
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&report).expect("a JSON value serialises")
    )
}

fn summarise(diff: &ContractDiff, ui: &Ui) {
    let breaking = diff.breaking().count();
    let compatible = diff.findings.len() - breaking;
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let what = format!(
        "{} -> {}: {breaking} breaking change{}, {compatible} compatible",
        diff.old.display(),
        diff.new.display(),
        plural(breaking)
    );
    if breaking > 0 {
        ui.attention("Breaking", what);
    } else {
        ui.status("Compatible", what);
    }
}
