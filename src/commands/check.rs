use std::path::{Path, PathBuf};

use svcgen::update::fleet::{default_jobs, run_parallel};
use svcgen::update::target::{Network, resolve_target};

use super::fleet::{self, Fleet, Format, Row};
use super::update::read_record;
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
  svcgen check --all fleet.txt --format json

Built-in blueprints are compared with the version this svcgen ships, without the network; git
blueprints are fetched (--offline: the cached copy), and their highest version tag counts.
Exit codes: 0 up to date, 1 behind, 2 error.")]
pub struct CheckArgs {
    /// The service's repository.
    #[arg(long, value_name = "DIR", default_value = ".", conflicts_with = "all")]
    pub service: PathBuf,

    /// Check every service found under DIR (or listed, one folder per line, in FILE).
    #[arg(long, value_name = "DIR|FILE")]
    pub all: Option<PathBuf>,

    /// Print the result as text or json.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Text)]
    pub format: Format,

    /// Do not fetch git blueprints; use the cached copy.
    #[arg(long)]
    pub offline: bool,

    /// With --all: how many services to check at once [default: the number of CPUs].
    #[arg(long, short, value_name = "N")]
    pub jobs: Option<usize>,
}

pub fn exec(args: CheckArgs, ui: &Ui) -> u8 {
    let network = if args.offline {
        Network::CacheOnly
    } else {
        Network::Fetch
    };
    let result = match &args.all {
        Some(spec) => check_all(&args, spec, network, ui),
        None => check_one(&args.service, args.format, network),
    };
    result.unwrap_or_else(|err| {
        ui.error(&err);
        FAILED
    })
}

fn check_one(dir: &Path, format: Format, network: Network) -> svcgen::Result<u8> {
    let record = read_record(dir)?;
    let target = resolve_target(&record.blueprint.source, None, &super::cache_dir(), network)?;
    let current = &record.blueprint.version;
    let available = target.version();
    let behind = available > current;
    let service = record
        .answers
        .get("name")
        .map(ToString::to_string)
        .unwrap_or_else(|| fleet::display_name(dir));
    if format == Format::Json {
        let row = serde_json::json!({
            "service": service,
            "blueprint": record.blueprint.name,
            "current": current.to_string(),
            "available": available.to_string(),
            "behind": behind,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&row).expect("serialises")
        );
    } else if behind {
        println!(
            "{service}: blueprint {} {current} (current), {available} (available): behind; run `svcgen update`",
            record.blueprint.name
        );
    } else {
        println!(
            "{service}: blueprint {} {current} (current), {available} (available): up to date",
            record.blueprint.name
        );
    }
    Ok(if behind { BEHIND } else { UP_TO_DATE })
}

fn check_all(args: &CheckArgs, spec: &Path, network: Network, ui: &Ui) -> svcgen::Result<u8> {
    let fleet = Fleet::load(spec, None, network)?;
    let bar = fleet::progress(ui, fleet.services.len(), "Checking");
    let rows = run_parallel(
        &fleet.services,
        args.jobs.unwrap_or_else(default_jobs),
        |(dir, record)| {
            let record = match record {
                Ok(record) => record,
                Err(err) => return Row::failed(dir, None, err),
            };
            let service = record
                .answers
                .get("name")
                .map(ToString::to_string)
                .unwrap_or_else(|| fleet::display_name(dir));
            let mut row = Row {
                service,
                path: dir.display().to_string(),
                from: Some(record.blueprint.version.to_string()),
                to: None,
                result: String::new(),
                conflicts: Vec::new(),
                commit: None,
                error: None,
            };
            match fleet.target(record) {
                Ok(target) => {
                    row.to = Some(target.version().to_string());
                    row.result = if target.version() > &record.blueprint.version {
                        "behind".into()
                    } else {
                        "up to date".into()
                    };
                }
                Err(err) => {
                    row.result = "error".into();
                    row.error = Some(err);
                }
            }
            row
        },
        |_, _| bar.inc(1),
    );
    bar.finish_and_clear();
    fleet::print_rows(&rows, args.format);
    let behind = rows.iter().filter(|r| r.result == "behind").count();
    let errors = rows.iter().filter(|r| r.error.is_some()).count();
    ui.status(
        "Checked",
        format!(
            "{} services: {behind} behind, {} up to date, {errors} failed",
            rows.len(),
            rows.len() - behind - errors
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
