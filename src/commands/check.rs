use std::path::{Path, PathBuf};

use svcgen::ops::Context;
use svcgen::ops::check::{CheckOptions, CheckReport, DriftKind, Standing, check_service};
use svcgen::ops::fleet::{Fleet, default_jobs, members};

use super::fleet::{self, Format, Row};
use super::fleet_page;
use crate::ui::Ui;

/// Exit codes of `check`.
const UP_TO_DATE: u8 = 0;
const BEHIND: u8 = 1;
const FAILED: u8 = 2;

/// Tell whether a service (or a fleet) is on the newest version of its blueprint.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  svcgen check                            This folder's service
  svcgen check --all services/            Every service under services/, as a table
  svcgen check --all fleet.toml --format json
  svcgen check --all fleet.toml --format html > fleet.html   One page for people

Built-in blueprints are compared with the version this svcgen ships, without the network; git
blueprints are fetched (--offline: the cached copy), and their highest version tag counts.
Exit codes: 0 up to date, 1 behind, 2 error.")]
pub struct CheckArgs {
    /// The service's repository.
    #[arg(long, value_name = "DIR", default_value = ".", conflicts_with = "all")]
    pub service: PathBuf,

    /// Check every service found under DIR, or named by FILE: a fleet file of git repositories
    /// (TOML, `[[service]] repo = "..."`), or a list of folders, one per line.
    #[arg(long, value_name = "DIR|FILE")]
    pub all: Option<PathBuf>,

    /// Print the result as text or json; with --all also html, a self-contained page.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,

    /// Do not fetch git blueprints; use the cached copy.
    #[arg(long)]
    pub offline: bool,

    /// With --all: how many services to check at once [default: the number of CPUs].
    #[arg(long, short, value_name = "N")]
    pub jobs: Option<usize>,

    /// Also list the generated files the team deleted or changed, and fail on any the record's
    /// `[drift] allow` does not call intended.
    #[arg(long)]
    pub drift: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
    Html,
}

pub fn exec(args: CheckArgs, ui: &Ui) -> u8 {
    let context = Context::new(args.offline);
    let result = match &args.all {
        Some(spec) => check_all(&args, spec, &context, ui),
        None => check_one(&args, &context, ui),
    };
    result.unwrap_or_else(|err| {
        ui.error(&err);
        FAILED
    })
}

fn check_one(args: &CheckArgs, context: &Context, ui: &Ui) -> svcgen::Result<u8> {
    let report = check_service(&args.service, options(args), context)?;
    for recovered in &report.recovered {
        ui.status("Recovered", recovered);
    }
    for note in &report.notes {
        ui.warn(note);
    }
    let CheckReport {
        service,
        blueprint,
        current,
        available,
        standing,
        changes,
        ..
    } = &report;
    if args.format == CheckFormat::Html {
        return Err(svcgen::Error::Usage(
            "--format html is a fleet's page: use it with --all".into(),
        ));
    }
    if args.format == CheckFormat::Json {
        let row = serde_json::json!({
            "service": service,
            "blueprint": blueprint,
            "current": current.to_string(),
            "available": available.to_string(),
            "behind": report.is_behind(),
            "status": standing,
            "changes": changes,
            "unresolved": report.unresolved,
            "drift": report.drift,
            "notes": report.notes,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&row).expect("serialises")
        );
    } else {
        let verdict = match standing {
            Standing::UpToDate => "up to date".to_owned(),
            Standing::Behind => "behind; run `svcgen update`".to_owned(),
            // Both causes give the same plan; only the old render could tell them apart.
            Standing::ChangedWithoutVersionBump => format!(
                "{} file{} would change at the same version: the blueprint changed without a version bump, or an answer in .svcgen/record.toml was edited; run `svcgen update`",
                changes.len(),
                if changes.len() == 1 { "" } else { "s" }
            ),
        };
        println!(
            "{service}: blueprint {blueprint} {current} (current), {available} (available): {verdict}"
        );
        if *standing == Standing::ChangedWithoutVersionBump {
            for path in changes {
                println!("  would change: {path}");
            }
        }
        for path in &report.unresolved {
            println!(
                "  unresolved: {path} still holds the <<<<<<< markers of an update; resolve them and commit"
            );
        }
        for drift in &report.drift {
            let what = match drift.kind {
                DriftKind::Deleted => "deleted",
                DriftKind::Changed => "changed",
            };
            let intended = if drift.intended {
                " (intended: [drift] allow)"
            } else {
                ""
            };
            println!("  drift: {} {what}{intended}", drift.path);
        }
    }
    Ok(if report.fails() { BEHIND } else { UP_TO_DATE })
}

fn options(args: &CheckArgs) -> CheckOptions {
    // The page shows every service's drift.
    CheckOptions {
        drift: args.drift || args.format == CheckFormat::Html,
    }
}

fn check_all(args: &CheckArgs, spec: &Path, context: &Context, ui: &Ui) -> svcgen::Result<u8> {
    let members = members(spec)?;
    let jobs = args.jobs.unwrap_or_else(default_jobs);
    let bar = fleet::progress(ui, members.len(), "Fetching");
    let fleet = Fleet::load(&members, Default::default(), context, jobs, || bar.inc(1))?;
    bar.finish_and_clear();
    let bar = fleet::progress(ui, fleet.services.len(), "Checking");
    let entries = fleet.check(options(args), jobs, |_| bar.inc(1));
    bar.finish_and_clear();
    match args.format {
        CheckFormat::Html => print!("{}", fleet_page::render(&entries)),
        CheckFormat::Text | CheckFormat::Json => {
            let rows: Vec<Row> = entries
                .iter()
                .map(|entry| {
                    let mut row = Row::of(entry, |checked| {
                        let report = &checked.report;
                        let mut result = match report.standing {
                            Standing::UpToDate => "up to date",
                            Standing::Behind => "behind",
                            Standing::ChangedWithoutVersionBump => "changed",
                        }
                        .to_owned();
                        let drifted = report.drift.iter().filter(|d| !d.intended).count();
                        if drifted > 0 {
                            result.push_str(&format!(", {drifted} drifted"));
                        }
                        let mut conflicts = report.unresolved.clone();
                        if let Some(branch) = &checked.open_branch {
                            conflicts.extend(branch.conflicts.iter().cloned());
                        }
                        (result, conflicts, None)
                    });
                    if let Ok(Some(branch)) = entry.result.as_ref().map(|c| &c.open_branch) {
                        row.branch = Some(branch.name.clone());
                    }
                    row
                })
                .collect();
            let format = if args.format == CheckFormat::Json {
                Format::Json
            } else {
                Format::Text
            };
            fleet::print_rows(&rows, format);
        }
    }
    for entry in &entries {
        for note in entry.result.iter().flat_map(|r| &r.report.notes) {
            ui.warn(format!("{}: {note}", entry.service));
        }
    }
    let behind = entries
        .iter()
        .filter(|e| {
            e.result.as_ref().is_ok_and(|r| {
                let report = &r.report;
                // Drift fails the check only when asked for (the page lists it regardless).
                report.is_behind()
                    || !report.unresolved.is_empty()
                    || (args.drift && report.drift.iter().any(|d| !d.intended))
            })
        })
        .count();
    let errors = entries.iter().filter(|e| e.result.is_err()).count();
    ui.status(
        "Checked",
        format!(
            "{} services: {behind} behind or with problems, {} up to date, {errors} failed",
            entries.len(),
            entries.len() - behind - errors
        ),
    );
    Ok(if errors > 0 {
        FAILED
    } else if behind > 0 {
        BEHIND
    } else {
        UP_TO_DATE
    })
}
