use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use svcgen::answers::GivenAnswers;
use svcgen::error::Error;
use svcgen::git;
use svcgen::prompt::TerminalPrompter;
use svcgen::record::{RECORD_PATH, Record};
use svcgen::resolve::Prompter;
use svcgen::update::fleet::{default_jobs, run_parallel};
use svcgen::update::plan::{Change, Outcome};
use svcgen::update::target::{Network, Target, resolve_target};
use svcgen::update::{RecordedEvents, Update, UpdateOptions, apply_update, plan_update};

use super::fleet::{self, Fleet, Format, Row};
use crate::ui::Ui;

/// Exit code when the update left conflicts to resolve.
pub const CONFLICTS: u8 = 3;

/// Bring a service (or a fleet of them) to a newer version of its blueprint, keeping your edits.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  svcgen update                           Update the service in this folder to the newest version
  svcgen update --to v2.0.0 --dry-run     Show what updating to tag v2.0.0 would do, write nothing
  svcgen update --plan json --dry-run     The plan, for scripts
  svcgen update --all services/ --commit  Update every service under services/, one commit each

Each file the blueprint generated is merged three ways: what svcgen wrote last time
(.svcgen/base), your version, and the new version. Conflicting edits are written with
<<<<<<< markers and listed. Files declared `seed` or `user` in blueprint.toml are left alone.
Exit codes: 0 done (or nothing to do), 3 conflicts to resolve, 1 error, 2 bad command line.")]
pub struct UpdateArgs {
    /// The service's repository.
    #[arg(long, value_name = "DIR", default_value = ".", conflicts_with = "all")]
    pub service: PathBuf,

    /// Update every service found under DIR (or listed, one folder per line, in FILE).
    #[arg(long, value_name = "DIR|FILE")]
    pub all: Option<PathBuf>,

    /// The blueprint version: a git tag, branch or commit, or a version number (tag v2.0.0 or
    /// 2.0.0) [default: the newest; for a service that follows a branch, its tip].
    #[arg(long, value_name = "REF|VERSION")]
    pub to: Option<String>,

    /// Show the plan and write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// How to print the plan: text (status lines on stderr) or json (on stdout).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Text)]
    pub plan: Format,

    /// With --all: print the closing table as text or json.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Text)]
    pub format: Format,

    /// Never prompt: variables new in this version take their defaults.
    #[arg(long)]
    pub no_input: bool,

    /// Answer a variable (new or changed); repeatable.
    #[arg(long = "set", short = 's', value_name = "KEY=VALUE")]
    pub set: Vec<String>,

    /// Commit each updated service (not one with conflicts), naming both versions.
    #[arg(long)]
    pub commit: bool,

    /// Proceed even if the git working tree has uncommitted changes.
    #[arg(long)]
    pub allow_dirty: bool,

    /// Do not fetch git blueprints; use the cached copy.
    #[arg(long)]
    pub offline: bool,

    /// With --all: how many services to update at once [default: the number of CPUs].
    #[arg(long, short, value_name = "N")]
    pub jobs: Option<usize>,
}

pub fn exec(args: UpdateArgs, ui: &Ui) -> u8 {
    let result = match &args.all {
        Some(spec) => update_all(&args, spec, ui),
        None => update_one(&args, ui),
    };
    result.unwrap_or_else(|err| {
        ui.error(&err);
        err.exit_code() as u8
    })
}

fn network(offline: bool) -> Network {
    if offline {
        Network::CacheOnly
    } else {
        Network::Fetch
    }
}

fn overrides(set: &[String]) -> svcgen::Result<GivenAnswers> {
    let mut given = GivenAnswers::default();
    for assignment in set {
        given.set(assignment)?;
    }
    Ok(given)
}

pub fn read_record(dir: &Path) -> svcgen::Result<Record> {
    if !dir.join(RECORD_PATH).is_file() {
        return Err(Error::NotAService(dir.to_owned()));
    }
    Record::read(dir)
}

/// Refuses to go to an older version unless it was asked for by name.
fn check_direction(record: &Record, target: &Target, to: Option<&str>) -> svcgen::Result<()> {
    if to.is_none() && *target.version() < record.blueprint.version {
        return Err(Error::Usage(format!(
            "the newest available blueprint {} {} is older than this service's {}; pass --to {} to go back to it",
            target.blueprint.manifest.name,
            target.version(),
            record.blueprint.version,
            target.version()
        )));
    }
    Ok(())
}

fn refuse_dirty(dir: &Path) -> svcgen::Result<()> {
    if let Some(dirty) = git::dirty_paths(dir)?
        && !dirty.is_empty()
    {
        return Err(Error::DirtyTree(dirty));
    }
    Ok(())
}

fn update_one(args: &UpdateArgs, ui: &Ui) -> svcgen::Result<u8> {
    let dir = &args.service;
    let record = read_record(dir)?;
    let overrides = overrides(&args.set)?;
    let target = resolve_target(
        &record.blueprint.source,
        args.to.as_deref(),
        &super::cache_dir(),
        network(args.offline),
    )?;
    if target.offline && !args.offline {
        ui.warn(format!(
            "could not fetch {}; using the cached copy",
            record.blueprint.source
        ));
    }
    check_direction(&record, &target, args.to.as_deref())?;
    if !args.dry_run && !args.allow_dirty {
        refuse_dirty(dir)?;
    }

    let interactive = !args.no_input && std::io::stdin().is_terminal();
    let mut terminal = TerminalPrompter::new();
    let prompter: Option<&mut dyn Prompter> = if interactive {
        Some(&mut terminal)
    } else {
        None
    };
    let update = plan_update(
        dir,
        &record,
        &target,
        UpdateOptions {
            overrides: &overrides,
            prompter,
            replay: &RecordedEvents,
        },
    )?;
    for warning in &update.warnings {
        ui.warn(warning);
    }
    if !update.dropped_answers.is_empty() {
        ui.warn(format!(
            "blueprint {} {} has no variable{} {}; dropped from the record",
            update.blueprint,
            update.to,
            if update.dropped_answers.len() == 1 {
                ""
            } else {
                "s"
            },
            update
                .dropped_answers
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }

    if !args.dry_run && !update.is_noop() {
        apply_update(dir, &update)?;
    }
    if args.plan == Format::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&update.summary(!args.dry_run)).expect("plans serialise")
        );
    } else {
        print_plan(&update, ui);
    }

    let described = format!(
        "{} from blueprint {} {} to {}",
        update.service, update.blueprint, update.from, update.to
    );
    if update.is_noop() {
        ui.status(
            "Up to date",
            format!(
                "{} is on blueprint {} {}; nothing to change",
                update.service, update.blueprint, update.to
            ),
        );
        return Ok(0);
    }
    if args.dry_run {
        ui.status(
            "Would update",
            format!(
                "{described}: {}; nothing written (--dry-run)",
                counts(&update)
            ),
        );
        return Ok(0);
    }
    ui.status("Updated", format!("{described}: {}", counts(&update)));
    if update.conflicts() > 0 {
        let files: Vec<&str> = update
            .plan
            .conflicted_files()
            .map(|f| f.path.as_str())
            .collect();
        ui.warn(format!(
            "{} conflict{} in {}: resolve the <<<<<<< markers, then commit{}",
            update.conflicts(),
            if update.conflicts() == 1 { "" } else { "s" },
            files.join(", "),
            if args.commit { " (not committed)" } else { "" }
        ));
        return Ok(CONFLICTS);
    }
    if args.commit {
        let id = commit(dir, &update)?;
        ui.status(
            "Committed",
            format!("{} {}", &id[..id.len().min(12)], commit_subject(&update)),
        );
    } else {
        ui.status("Review", "with `git diff`, then commit");
    }
    Ok(0)
}

fn counts(update: &Update) -> String {
    let mut counts: Vec<(Outcome, usize)> = Vec::new();
    for file in &update.plan.files {
        match counts.iter_mut().find(|(o, _)| *o == file.outcome) {
            Some((_, n)) => *n += 1,
            None => counts.push((file.outcome, 1)),
        }
    }
    counts.sort_by_key(|(outcome, _)| *outcome as u8);
    let mut parts: Vec<String> = counts
        .iter()
        .map(|(outcome, n)| format!("{n} {}", outcome.as_str()))
        .collect();
    let renamed = update
        .plan
        .files
        .iter()
        .filter(|f| f.renamed_from.is_some())
        .count();
    if renamed > 0 {
        parts.push(format!("{renamed} renamed"));
    }
    parts.push(format!("{} unchanged", update.plan.unchanged));
    parts.join(", ")
}

/// One status line per file that is not plainly unchanged.
pub fn print_plan(update: &Update, ui: &Ui) {
    for file in &update.plan.files {
        let mut message = file.path.clone();
        if let Some(mode) = &file.mode {
            message.push_str(&format!(" (mode {} -> {})", mode.from, mode.to));
        }
        let verb = match file.outcome {
            Outcome::Unchanged => "Unchanged",
            Outcome::Updated => "Updated",
            Outcome::Merged => "Merged",
            Outcome::Conflict => "Conflict",
            Outcome::Added => "Added",
            Outcome::Removed => "Removed",
            Outcome::Kept => "Kept",
            Outcome::Binary => "Binary",
        };
        if let Some(from) = &file.renamed_from {
            message = format!("{from} -> {message}");
            if !matches!(file.outcome, Outcome::Unchanged | Outcome::Conflict) {
                message.push_str(&format!(" ({})", file.outcome.as_str()));
            }
        }
        if file.conflicts > 0 {
            message.push_str(&format!(
                " ({} conflict{})",
                file.conflicts,
                if file.conflicts == 1 { "" } else { "s" }
            ));
        }
        if let Some(theirs) = &file.theirs_at {
            message.push_str(&format!(": yours kept, the blueprint's is {theirs}"));
        } else if let Some(note) = &file.note
            && file.outcome == Outcome::Kept
        {
            message.push_str(&format!(": {note}"));
        }
        let verb = if file.renamed_from.is_some() {
            "Renamed"
        } else {
            verb
        };
        if matches!(
            file.outcome,
            Outcome::Conflict | Outcome::Binary | Outcome::Kept
        ) {
            ui.attention(verb, message);
        } else {
            ui.status(verb, message);
        }
    }
}

fn commit_subject(update: &Update) -> String {
    format!(
        "Update {} to blueprint {} {}",
        update.service, update.blueprint, update.to
    )
}

fn commit(dir: &Path, update: &Update) -> svcgen::Result<String> {
    let mut written = Vec::new();
    let mut deleted = Vec::new();
    for change in &update.changes {
        match change {
            Change::Write { path, .. } => written.push(path.to_string()),
            Change::Delete { path, .. } => deleted.push(path.to_string()),
        }
    }
    let message = format!(
        "{}\n\nFrom blueprint {} {} to {} with svcgen {}: {}.",
        commit_subject(update),
        update.blueprint,
        update.from,
        update.to,
        env!("CARGO_PKG_VERSION"),
        counts(update)
    );
    svcgen::git::commit_paths(dir, &written, &deleted, &message)
}

fn update_all(args: &UpdateArgs, spec: &Path, ui: &Ui) -> svcgen::Result<u8> {
    let overrides = overrides(&args.set)?;
    let fleet = Fleet::load(spec, args.to.as_deref(), network(args.offline))?;
    let bar = fleet::progress(ui, fleet.services.len(), "Updating");
    // Services of one monorepo share its index: commits are made one at a time.
    let committing = std::sync::Mutex::new(());
    let rows = run_parallel(
        &fleet.services,
        args.jobs.unwrap_or_else(default_jobs),
        |(dir, record)| {
            let record = match record {
                Ok(record) => record,
                Err(err) => return Row::failed(dir, None, err),
            };
            let name = record
                .answers
                .get("name")
                .map(ToString::to_string)
                .unwrap_or_else(|| fleet::display_name(dir));
            let mut row = Row {
                service: name.clone(),
                path: dir.display().to_string(),
                from: Some(record.blueprint.version.to_string()),
                to: None,
                result: String::new(),
                conflicts: Vec::new(),
                commit: None,
                error: None,
            };
            let outcome = (|| -> svcgen::Result<()> {
                let target = fleet.target(record).map_err(Error::Usage)?;
                row.to = Some(target.version().to_string());
                check_direction(record, &target, args.to.as_deref())?;
                if !args.dry_run && !args.allow_dirty {
                    refuse_dirty(dir)?;
                }
                let update = plan_update(
                    dir,
                    record,
                    &target,
                    UpdateOptions {
                        overrides: &overrides,
                        prompter: None,
                        replay: &RecordedEvents,
                    },
                )?;
                row.conflicts = update
                    .plan
                    .conflicted_files()
                    .map(|f| f.path.clone())
                    .collect();
                if update.is_noop() {
                    row.result = "up to date".into();
                    return Ok(());
                }
                if args.dry_run {
                    row.result = format!("would update: {}", counts(&update));
                    return Ok(());
                }
                apply_update(dir, &update)?;
                if update.conflicts() > 0 {
                    row.result = "conflicts".into();
                    return Ok(());
                }
                row.result = "updated".into();
                if args.commit {
                    let _one_at_a_time = committing.lock().unwrap_or_else(|e| e.into_inner());
                    let id = commit(dir, &update)?;
                    row.commit = Some(id[..id.len().min(12)].to_owned());
                    row.result = "updated, committed".into();
                }
                Ok(())
            })();
            if let Err(err) = outcome {
                row.result = "error".into();
                row.error = Some(err.to_string());
            }
            row
        },
        |(dir, _), _| {
            bar.set_message(fleet::display_name(dir));
            bar.inc(1);
        },
    );
    bar.finish_and_clear();
    fleet::print_rows(&rows, args.format);
    let errors = rows.iter().filter(|r| r.error.is_some()).count();
    let conflicted = rows.iter().filter(|r| !r.conflicts.is_empty()).count();
    let updated = rows
        .iter()
        .filter(|r| r.result.starts_with("updated"))
        .count();
    ui.status(
        if args.dry_run { "Checked" } else { "Updated" },
        format!(
            "{} services: {updated} updated, {conflicted} with conflicts, {errors} failed",
            rows.len()
        ),
    );
    Ok(if errors > 0 {
        1
    } else if conflicted > 0 && !args.dry_run {
        CONFLICTS
    } else {
        0
    })
}
