use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use svcgen::blueprint::source::BlueprintSource;
use svcgen::ops::fleet::{Fleet, FleetUpdate, default_jobs, members};
use svcgen::ops::update::{
    Outcome as UpdateOutcome, ServiceUpdate, UpdateOptions, commit_subject, update_service,
};
use svcgen::ops::{Context, given_answers};
use svcgen::prompt::TerminalPrompter;
use svcgen::resolve::Prompter;
use svcgen::update::Update;
use svcgen::update::plan::Outcome;
use svcgen::update::target::Wanted;

use super::fleet::{self, Format, Row};
use crate::ui::Ui;

/// Exit code when the update left conflicts to resolve.
pub const CONFLICTS: u8 = 3;

/// Bring a service (or a fleet of them) to a newer version of its blueprint, keeping your edits.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  svcgen update                           Update the service in this folder to the newest version
  svcgen update --to v2.0.0 --dry-run     Show what updating to tag v2.0.0 would do, write nothing
  svcgen update --plan json --dry-run     The plan, for scripts
  svcgen update --blueprint ../platform/blueprints/service --dry-run
                                          The blueprint moved: show the update from its new
                                          place, which the record will name
  svcgen update --all services/ --commit  Update every service under services/, one commit each
  svcgen update --all fleet.toml --push   Update every repository of a fleet file on a branch
                                          svcgen/<blueprint>-<version>, and push the branches

Each file the blueprint generated is merged three ways: what svcgen wrote last time
(.svcgen/base), your version, and the new version. Conflicting edits are written with
<<<<<<< markers and listed. Files declared `seed` or `user` in blueprint.toml are left alone.
The repositories of a fleet file are cloned into $XDG_CACHE_HOME/svcgen/fleet (docs/fleet.md).
Exit codes: 0 done (or nothing to do), 3 conflicts to resolve, 1 error, 2 bad command line.")]
pub struct UpdateArgs {
    /// The service's repository.
    #[arg(long, value_name = "DIR", default_value = ".", conflicts_with = "all")]
    pub service: PathBuf,

    /// Update every service found under DIR, or named by FILE: a fleet file of git repositories
    /// (TOML, `[[service]] repo = "..."`), or a list of folders, one per line.
    #[arg(long, value_name = "DIR|FILE")]
    pub all: Option<PathBuf>,

    /// The blueprint version: a git tag, branch or commit, or a version number (tag v2.0.0 or
    /// 2.0.0) [default: the newest; for a service that follows a branch, its tip].
    #[arg(long, value_name = "REF|VERSION")]
    pub to: Option<String>,

    /// Show the plan and write nothing (exit code 3 when it has conflicts, as the update would).
    #[arg(long)]
    pub dry_run: bool,

    /// Without --to: the newest version may be a pre-release (such as 2.0.0-rc.1).
    #[arg(long)]
    pub pre: bool,

    /// With --to: allow going to an older version than the service's.
    #[arg(long, requires = "to")]
    pub allow_downgrade: bool,

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

    /// With a fleet file: push each repository's update branch (not one with conflicts).
    #[arg(long, requires = "all")]
    pub push: bool,

    /// With --push: push update branches with conflicts too, committed with the conflict
    /// markers and a message listing the conflicted files.
    #[arg(long, requires = "push")]
    pub push_conflicts: bool,

    /// Where the service's blueprint is now, recorded instead of the source in
    /// .svcgen/record.toml: for a blueprint folder or repository that moved (with --dry-run, the
    /// change is shown and not written).
    #[arg(long, value_name = "SOURCE", conflicts_with = "all")]
    pub blueprint: Option<String>,

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

fn update_one(args: &UpdateArgs, ui: &Ui) -> svcgen::Result<u8> {
    let overrides = given_answers(None, &args.set)?;
    let interactive = !args.no_input && std::io::stdin().is_terminal();
    let mut terminal = TerminalPrompter::new();
    let prompter: Option<&mut dyn Prompter> = if interactive {
        Some(&mut terminal)
    } else {
        None
    };
    let blueprint = args.blueprint.as_deref().map(BlueprintSource::parse);
    let done = update_service(
        &args.service,
        UpdateOptions {
            wanted: wanted(args),
            allow_downgrade: args.allow_downgrade,
            overrides: &overrides,
            prompter,
            dry_run: args.dry_run,
            allow_dirty: args.allow_dirty,
            commit: args.commit,
            blueprint: blueprint.as_ref(),
        },
        &Context::new(args.offline),
    )?;
    for recovered in &done.recovered {
        ui.status("Recovered", recovered);
    }
    if let Some((before, after)) = &done.source_change {
        ui.status(
            "Blueprint",
            format!(
                "source {before} -> {after}{}",
                if args.dry_run { " (--dry-run)" } else { "" }
            ),
        );
    }
    for warning in &done.warnings {
        ui.warn(warning);
    }
    let update = &done.update;
    if args.plan == Format::Json {
        let applied = !matches!(done.outcome, UpdateOutcome::WouldUpdate { .. });
        println!(
            "{}",
            serde_json::to_string_pretty(&update.summary(applied)).expect("plans serialise")
        );
    } else {
        print_plan(update, ui);
    }
    report(&done, args.commit, ui);
    Ok(exit_code(&done.outcome))
}

/// The closing status lines of a one-service update.
fn report(done: &ServiceUpdate, commit: bool, ui: &Ui) {
    let update = &done.update;
    let described = format!(
        "{} from blueprint {} {} to {}",
        update.service, update.blueprint, update.from, update.to
    );
    match &done.outcome {
        UpdateOutcome::UpToDate => ui.status(
            "Up to date",
            format!(
                "{} is on blueprint {} {}; nothing to change",
                update.service, update.blueprint, update.to
            ),
        ),
        UpdateOutcome::WouldUpdate { .. } => ui.status(
            "Would update",
            format!(
                "{described}: {}; nothing written (--dry-run)",
                update.counts()
            ),
        ),
        UpdateOutcome::Conflicts { files } => {
            ui.status("Updated", format!("{described}: {}", update.counts()));
            ui.warn(format!(
                "{} conflict{} in {}: resolve the <<<<<<< markers, then commit{}",
                update.conflicts(),
                if update.conflicts() == 1 { "" } else { "s" },
                files.join(", "),
                if commit { " (not committed)" } else { "" }
            ));
        }
        UpdateOutcome::Committed { commit } => {
            ui.status("Updated", format!("{described}: {}", update.counts()));
            ui.status(
                "Committed",
                format!("{} {}", short(commit), commit_subject(update)),
            );
        }
        UpdateOutcome::Updated => {
            ui.status("Updated", format!("{described}: {}", update.counts()));
            ui.status("Review", "with `git diff`, then commit");
        }
    }
}

/// 3 when conflicts are left (or, with `--dry-run`, would be), else 0.
fn exit_code(outcome: &UpdateOutcome) -> u8 {
    if outcome.conflicts().is_empty() {
        0
    } else {
        CONFLICTS
    }
}

fn wanted(args: &UpdateArgs) -> Wanted<'_> {
    Wanted {
        to: args.to.as_deref(),
        pre: args.pre,
    }
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
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
        if file.conflicts > 0 && file.outcome == Outcome::Conflict && file.theirs_at.is_none() {
            message.push_str(&format!(
                " ({} conflict{})",
                file.conflicts,
                if file.conflicts == 1 { "" } else { "s" }
            ));
        }
        if let Some(theirs) = &file.theirs_at {
            message.push_str(&format!(": yours kept, the blueprint's is {theirs}"));
        } else if let Some(note) = &file.note {
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

fn update_all(args: &UpdateArgs, spec: &Path, ui: &Ui) -> svcgen::Result<u8> {
    let overrides = given_answers(None, &args.set)?;
    let members = members(spec)?;
    let jobs = args.jobs.unwrap_or_else(default_jobs);
    let bar = fleet::progress(ui, members.len(), "Fetching");
    let fleet = Fleet::load(
        &members,
        wanted(args),
        &Context::new(args.offline),
        jobs,
        || bar.inc(1),
    )?;
    bar.finish_and_clear();
    let bar = fleet::progress(ui, fleet.services.len(), "Updating");
    let entries = fleet.update(
        &FleetUpdate {
            wanted: wanted(args),
            allow_downgrade: args.allow_downgrade,
            overrides: &overrides,
            dry_run: args.dry_run,
            allow_dirty: args.allow_dirty,
            commit: args.commit,
            push: args.push,
            push_conflicts: args.push_conflicts,
        },
        jobs,
        |path| {
            bar.set_message(svcgen::ops::fleet::display_name(path));
            bar.inc(1);
        },
    );
    bar.finish_and_clear();
    let rows: Vec<Row> = entries
        .iter()
        .map(|entry| {
            let mut row = Row::of(entry, |updated| {
                let done = &updated.update;
                let result = match (&done.outcome, &updated.branch) {
                    (UpdateOutcome::UpToDate, Some(_)) => "up to date on its branch".to_owned(),
                    (UpdateOutcome::UpToDate, None) => "up to date".to_owned(),
                    (UpdateOutcome::WouldUpdate { .. }, _) => {
                        format!("would update: {}", done.update.counts())
                    }
                    (UpdateOutcome::Updated, _) => "updated".to_owned(),
                    (UpdateOutcome::Committed { .. }, _) => "updated, committed".to_owned(),
                    (UpdateOutcome::Conflicts { .. }, Some(branch)) if branch.committed => {
                        "conflicts, committed".to_owned()
                    }
                    (UpdateOutcome::Conflicts { .. }, Some(branch)) if !branch.on_remote => {
                        "conflicts, not pushed".to_owned()
                    }
                    (UpdateOutcome::Conflicts { .. }, _) => "conflicts".to_owned(),
                };
                let commit = match (&done.outcome, &updated.branch) {
                    (UpdateOutcome::Committed { commit }, _) => Some(short(commit).to_owned()),
                    (_, Some(branch)) => branch.commit.as_deref().map(|c| short(c).to_owned()),
                    _ => None,
                };
                (result, done.outcome.conflicts().to_vec(), commit)
            });
            if let Ok(Some(branch)) = entry.result.as_ref().map(|u| &u.branch) {
                row.branch = Some(branch.name.clone());
                row.pushed = branch.pushed;
            }
            row
        })
        .collect();
    fleet::print_rows(&rows, args.format);
    let outcomes = || {
        entries
            .iter()
            .filter_map(|e| e.result.as_ref().ok())
            .map(|u| &u.update)
    };
    let pushed = entries
        .iter()
        .filter_map(|e| e.result.as_ref().ok())
        .filter(|u| u.branch.as_ref().is_some_and(|b| b.pushed))
        .count();
    let errors = entries.iter().filter(|e| e.result.is_err()).count();
    let conflicted = outcomes()
        .filter(|done| !done.outcome.conflicts().is_empty())
        .count();
    let updated = outcomes()
        .filter(|done| {
            matches!(
                done.outcome,
                UpdateOutcome::Updated | UpdateOutcome::Committed { .. }
            )
        })
        .count();
    ui.status(
        if args.dry_run { "Checked" } else { "Updated" },
        format!(
            "{} services: {updated} updated, {conflicted} with conflicts, {errors} failed{}",
            entries.len(),
            if args.push {
                format!("; {pushed} branches pushed")
            } else {
                String::new()
            }
        ),
    );
    Ok(if errors > 0 {
        1
    } else if conflicted > 0 {
        CONFLICTS
    } else {
        0
    })
}
