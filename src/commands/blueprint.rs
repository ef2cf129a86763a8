//! `svcgen blueprint lint|test|new|schema`: the blueprint authoring kit on the command line.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use svcgen::apply::create_dir_atomically;
use svcgen::blueprint::Blueprint;
use svcgen::blueprint::manifest::MANIFEST_FILE;
use svcgen::blueprint::source::read_dir;
use svcgen::error::{Error, Location};
use svcgen::kit::history::History;
use svcgen::kit::locate::ManifestLines;
use svcgen::kit::matrix::Origin;
use svcgen::kit::suite::{self, Outcome};
use svcgen::kit::upgrade::{self, UpgradeOutcome};
use svcgen::kit::{check, lint, starter};

use crate::ui::Ui;

/// Check, test and start blueprints: a blueprint repository's CI is `svcgen blueprint lint &&
/// svcgen blueprint test`.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  svcgen blueprint new acme-service           Start a blueprint that passes lint and test
  svcgen blueprint lint ./acme-service        Every rule, every problem, with file:line
  svcgen blueprint test ./acme-service        Compare each variant with snapshots/
  svcgen blueprint test --accept              Write the new output as the snapshots
  svcgen blueprint test --build               Also run [check] command in each variant
  svcgen blueprint test --upgrade-only        Only the [[upgrade_tests]] (edits survive an update)
  svcgen blueprint schema service             Its questions as a JSON Schema, for a portal's form")]
pub struct BlueprintArgs {
    #[command(subcommand)]
    pub command: BlueprintCommand,
}

#[derive(Subcommand)]
pub enum BlueprintCommand {
    Lint(LintArgs),
    Test(TestArgs),
    New(NewArgs),
    Schema(super::blueprint_schema::SchemaArgs),
}

/// Check a blueprint without rendering it for a person: manifest, template syntax, variables
/// declared and used, declaration order, file rules, path safety, and that every variant of
/// the test matrix renders. Lists every problem with file:line; exits 1 if there is any.
#[derive(clap::Args)]
pub struct LintArgs {
    /// The blueprint's folder.
    #[arg(default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
}

/// Render every test variant (the [[tests]] answer sets plus a pairwise matrix over bool and
/// choice variables) and compare each with its snapshot in insta's .snap format. A difference
/// prints a diff, leaves a .snap.new for `cargo insta review`, and exits 1. Then run every
/// [[upgrade_tests]] entry: render the `from` version of the blueprint's git history, apply its
/// patches, update to this working copy, and fail on lost edits or unexpected conflicts.
#[derive(clap::Args)]
pub struct TestArgs {
    /// The blueprint's folder.
    #[arg(default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,

    /// Write the output of every variant that differs as its snapshot, and delete snapshots no
    /// variant produces any more.
    #[arg(long)]
    pub accept: bool,

    /// Also run the blueprint's `[check] command` inside each rendered variant, in parallel,
    /// sharing CARGO_TARGET_DIR (default: svcgen's cache folder).
    #[arg(long)]
    pub build: bool,

    /// Where the snapshots are [default: DIR/snapshots].
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,

    /// How many checks run at once with --build [default: the number of CPUs].
    #[arg(long, short, value_name = "N")]
    pub jobs: Option<usize>,

    /// Run only the [[upgrade_tests]], not the snapshots.
    #[arg(long, conflicts_with_all = ["accept", "build", "snapshots", "no_upgrade"])]
    pub upgrade_only: bool,

    /// Skip the [[upgrade_tests]] (they read the blueprint's git history and run an update
    /// each).
    #[arg(long)]
    pub no_upgrade: bool,
}

/// Create a starter blueprint (one variable, one conditional file, one test, accepted
/// snapshots) that passes `lint` and `test` as created.
#[derive(clap::Args)]
pub struct NewArgs {
    /// The blueprint's name: lowercase letters, digits, `-` and `_`.
    pub name: String,

    /// Where to create it [default: ./NAME]. Must not exist, or be empty.
    #[arg(long, short, value_name = "DIR")]
    pub output: Option<PathBuf>,
}

pub fn exec(args: BlueprintArgs, ui: &Ui) -> svcgen::Result<()> {
    match args.command {
        BlueprintCommand::Lint(args) => exec_lint(args, ui),
        BlueprintCommand::Test(args) => exec_test(args, ui),
        BlueprintCommand::New(args) => exec_new(args, ui),
        BlueprintCommand::Schema(args) => super::blueprint_schema::exec(args, ui),
    }
}

fn exec_lint(args: LintArgs, ui: &Ui) -> svcgen::Result<()> {
    let report = lint::lint_dir(&args.dir)?;
    for finding in &report.findings {
        if finding.is_warning() {
            ui.warn(finding);
        } else {
            ui.problem(finding);
        }
    }
    let warnings = report.findings.iter().filter(|f| f.is_warning()).count();
    let shown = svcgen::kit::origin_of(&args.dir);
    if report.variants_rendered.is_none() && report.findings.len() > warnings {
        ui.warn(format!(
            "{shown}: the test matrix was not rendered: fix the problems above first"
        ));
    }
    match report.findings.len() - warnings {
        0 => {
            let rendered = report
                .variants_rendered
                .map(|n| format!(", {n} test variant{} rendered", plural(n)))
                .unwrap_or_default();
            let warned = match warnings {
                0 => String::new(),
                n => format!(" ({n} warning{})", plural(n)),
            };
            ui.status("Linted", format!("{shown}: no problems{warned}{rendered}"));
            Ok(())
        }
        n => Err(Error::BlueprintChecksFailed(format!(
            "{shown}: lint found {n} problem{}",
            plural(n)
        ))),
    }
}

fn exec_test(args: TestArgs, ui: &Ui) -> svcgen::Result<()> {
    let blueprint = Blueprint::from_files(svcgen::kit::origin_of(&args.dir), read_dir(&args.dir)?)?;
    let name = blueprint.manifest.name.clone();
    if args.upgrade_only && blueprint.manifest.upgrade_tests.is_empty() {
        return Err(Error::Usage(format!(
            "--upgrade-only: blueprint `{name}` declares no [[upgrade_tests]] in {}",
            blueprint.manifest_path()
        )));
    }
    let mut reasons = Vec::new();
    if !args.upgrade_only {
        reasons.extend(run_snapshots(&args, &blueprint, ui)?);
    }
    if !args.no_upgrade {
        reasons.extend(run_upgrades(&args.dir, &blueprint, ui)?);
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(Error::BlueprintChecksFailed(format!(
            "{name}: {}",
            reasons.join("; ")
        )))
    }
}

/// The snapshot tests (and `--build`); returns why they failed, if they did.
fn run_snapshots(args: &TestArgs, blueprint: &Blueprint, ui: &Ui) -> svcgen::Result<Vec<String>> {
    let name = blueprint.manifest.name.clone();
    let check_command = match (&blueprint.manifest.check, args.build) {
        (None, true) => {
            return Err(Error::Usage(format!(
                "--build: blueprint `{name}` declares no check command; add `[check]` with `command = \"cargo check --locked\"` (or any shell command) to {}",
                blueprint.manifest_path()
            )));
        }
        (Some(check), true) => Some(check.command.clone()),
        (_, false) => None,
    };
    let snapshots = args
        .snapshots
        .clone()
        .unwrap_or_else(|| args.dir.join("snapshots"));
    let report = suite::run(blueprint, &snapshots, args.accept)?;

    for problem in &report.matrix.problems {
        ui.problem(format!(
            "{}: {}",
            blueprint.manifest_path(),
            problem.message
        ));
    }
    let mut failed = Vec::new();
    for result in &report.results {
        let variant = &result.variant;
        let label = format!("{} ({})", variant.name, variant.summary());
        match &result.outcome {
            Outcome::Matched => ui.status("Matched", &variant.name),
            Outcome::Accepted { created: true } => ui.status("Created", result.snapshot.display()),
            Outcome::Accepted { created: false } => ui.status("Updated", result.snapshot.display()),
            Outcome::Mismatch { diff, pending } => {
                ui.problem(format!(
                    "variant {label} does not match {}; the new output is in {}",
                    result.snapshot.display(),
                    pending.display()
                ));
                ui.diff(diff);
                failed.push(variant.name.clone());
            }
            Outcome::Missing { pending } => {
                ui.problem(format!(
                    "variant {label} has no snapshot {}; the output is in {}",
                    result.snapshot.display(),
                    pending.display()
                ));
                failed.push(variant.name.clone());
            }
            Outcome::RenderFailed { error } => {
                ui.problem(format!("variant {label} does not render: {error}"));
                failed.push(variant.name.clone());
            }
        }
    }
    for path in &report.obsolete {
        ui.warn(format!(
            "{} is not produced by any variant; `--accept` deletes it",
            path.display()
        ));
    }
    for path in &report.removed {
        ui.status("Removed", path.display());
    }

    let total = report.results.len();
    let tests = report
        .results
        .iter()
        .filter(|r| matches!(r.variant.origin, Origin::Test(_)))
        .count();
    let pairwise = total - tests;
    let over = if report.matrix.parameters.is_empty() {
        String::new()
    } else {
        format!(" over {}", report.matrix.parameters.join(", "))
    };
    let unreachable = match report.matrix.unreachable_pairs {
        0 => String::new(),
        n => format!(
            "; {n} value pair{} unreachable because of `when`",
            plural(n)
        ),
    };
    ui.status(
        "Tested",
        format!(
            "{name}: {total} variant{} ({tests} from [[tests]], {pairwise} pairwise{over}){unreachable}",
            plural(total)
        ),
    );

    let mut build_failures = 0;
    if let Some(command) = check_command {
        build_failures = run_checks(blueprint, &report, &command, args.jobs, ui)?;
    }

    let problems = report.matrix.problems.len();
    let mut reasons = Vec::new();
    if !failed.is_empty() {
        reasons.push(format!(
            "{} of {total} variant{} failed ({}); review the diffs, then accept them with `svcgen blueprint test --accept` or `cargo insta review --workspace-root {}`",
            failed.len(),
            plural(total),
            failed.join(", "),
            snapshots.display()
        ));
    }
    if problems > 0 {
        reasons.push(format!(
            "{problems} answer set{} could not be resolved",
            plural(problems)
        ));
    }
    if build_failures > 0 {
        reasons.push(format!(
            "the check command failed in {build_failures} variant{}",
            plural(build_failures)
        ));
    }
    Ok(reasons)
}

/// The `[[upgrade_tests]]`, one after the other; returns why they failed, if they did.
fn run_upgrades(dir: &Path, blueprint: &Blueprint, ui: &Ui) -> svcgen::Result<Vec<String>> {
    let (tests, problems) = upgrade::parse_specs(&blueprint.manifest);
    if tests.is_empty() && problems.is_empty() {
        return Ok(Vec::new());
    }
    let manifest_file = dir.join(MANIFEST_FILE);
    let text = fs::read_to_string(&manifest_file).map_err(|err| Error::io(&manifest_file, err))?;
    let lines = ManifestLines::new(&text);
    for problem in &problems {
        let location = Location {
            file: blueprint.manifest_path(),
            line: lines.line_or_parent(&problem.key),
        };
        ui.problem(format!("{location}: {}", problem.message));
    }

    let history = History::discover(dir);
    let mut failed = Vec::new();
    for test in &tests {
        ui.status(
            "Upgrading",
            format!(
                "{} from `{}` to the working copy ({} patch{})",
                test.name,
                test.from,
                test.patches.len(),
                if test.patches.len() == 1 { "" } else { "es" }
            ),
        );
        let result = upgrade::run_one(dir, &history, blueprint, test);
        match &result.outcome {
            UpgradeOutcome::Passed(summary) => {
                for note in &summary.notes {
                    ui.warn(format!("upgrade test `{}`: {note}", result.name));
                }
                ui.status(
                    "Upgraded",
                    format!("{}: {}", result.name, describe(summary)),
                );
            }
            UpgradeOutcome::Failed {
                summary,
                failures,
                kept,
            } => {
                for note in &summary.notes {
                    ui.warn(format!("upgrade test `{}`: {note}", result.name));
                }
                for failure in failures {
                    ui.problem(format!("upgrade test `{}`: {failure}", result.name));
                }
                ui.problem(format!(
                    "upgrade test `{}` failed with {} problem{} ({}); the updated service is in {}",
                    result.name,
                    failures.len(),
                    plural(failures.len()),
                    describe(summary),
                    kept.display()
                ));
                failed.push(result.name.clone());
            }
            UpgradeOutcome::Broken(message) => {
                ui.problem(format!(
                    "upgrade test `{}` could not run: {message}",
                    result.name
                ));
                failed.push(result.name.clone());
            }
        }
    }
    let total = tests.len() + problems.len();
    ui.status(
        "Tested",
        format!(
            "{}: {total} upgrade test{}, {} passed",
            blueprint.manifest.name,
            plural(total),
            tests.len() - failed.len()
        ),
    );
    let mut reasons = Vec::new();
    if !failed.is_empty() {
        reasons.push(format!(
            "{} of {total} upgrade test{} failed ({})",
            failed.len(),
            plural(total),
            failed.join(", ")
        ));
    }
    if !problems.is_empty() {
        reasons.push(format!(
            "{} [[upgrade_tests]] entr{} could not be read; `svcgen blueprint lint` lists them too",
            problems.len(),
            if problems.len() == 1 { "y" } else { "ies" }
        ));
    }
    Ok(reasons)
}

/// `1.0.0 -> 2.0.0, 3 hunks; 2 merged, 1 updated; conflicts: none`
fn describe(summary: &upgrade::Summary) -> String {
    let version = |v: &Option<semver::Version>| {
        v.as_ref()
            .map_or_else(|| "?".to_owned(), ToString::to_string)
    };
    let outcomes = summary
        .outcomes
        .iter()
        .map(|(outcome, n)| format!("{n} {outcome}"))
        .collect::<Vec<_>>();
    let conflicts = if summary.conflicts.is_empty() {
        "none".to_owned()
    } else {
        summary.conflicts.join(", ")
    };
    format!(
        "{} -> {}, {} hunk{} checked; files: {}; conflicts: {conflicts}",
        version(&summary.from_version),
        version(&summary.to_version),
        summary.hunks,
        plural(summary.hunks),
        if outcomes.is_empty() {
            "none changed".to_owned()
        } else {
            outcomes.join(", ")
        },
    )
}

/// Runs the check command in every rendered variant; returns how many failed.
fn run_checks(
    blueprint: &Blueprint,
    report: &suite::Report,
    command: &str,
    jobs: Option<usize>,
    ui: &Ui,
) -> svcgen::Result<usize> {
    let jobs_list: Vec<check::Job<'_>> = report
        .results
        .iter()
        .filter_map(|r| {
            r.tree.as_ref().map(|tree| check::Job {
                variant: &r.variant.name,
                tree,
            })
        })
        .collect();
    let parallelism = jobs
        .filter(|&n| n > 0)
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1);
    let target_dir = check_target_dir(&blueprint.manifest.name);
    ui.status(
        "Checking",
        format!(
            "{} variant{} with `{command}`, {parallelism} at a time (CARGO_TARGET_DIR={})",
            jobs_list.len(),
            plural(jobs_list.len()),
            Path::new(&target_dir).display()
        ),
    );
    let env = vec![("CARGO_TARGET_DIR".to_owned(), target_dir)];

    let bar = if ui.is_quiet() {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(Some(jobs_list.len() as u64), ProgressDrawTarget::stderr())
    };
    bar.set_style(
        ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} {wide_msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix("Building");
    let results = check::run(command, &jobs_list, parallelism, &env, &|result| {
        bar.suspend(|| {
            if result.passed {
                ui.status(
                    "Checked",
                    format!("{} ({:.1}s)", result.variant, result.duration.as_secs_f64()),
                );
            } else {
                ui.problem(format!(
                    "variant {}: check failed ({}); output below",
                    result.variant, result.status
                ));
            }
        });
        bar.inc(1);
        bar.set_message(result.variant.clone());
    })?;
    bar.finish_and_clear();

    let failures: Vec<&check::CheckResult> = results.iter().filter(|r| !r.passed).collect();
    for failure in &failures {
        let variant = report
            .results
            .iter()
            .find(|r| r.variant.name == failure.variant)
            .map(|r| r.variant.summary())
            .unwrap_or_default();
        ui.problem(format!(
            "variant {} ({variant}): `{command}` failed ({}); rendered in {}:",
            failure.variant,
            failure.status,
            failure
                .kept_dir
                .as_deref()
                .map(|d| d.display().to_string())
                .unwrap_or_default()
        ));
        for line in failure.output.lines() {
            eprintln!("    {line}");
        }
    }
    Ok(failures.len())
}

/// The build cache every variant's check shares (and every later run reuses): the caller's
/// `CARGO_TARGET_DIR`, else one per blueprint in svcgen's cache folder.
fn check_target_dir(blueprint: &str) -> OsString {
    std::env::var_os("CARGO_TARGET_DIR")
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| {
            svcgen::ops::default_cache_dir()
                .join("check-target")
                .join(blueprint)
                .into_os_string()
        })
}

fn exec_new(args: NewArgs, ui: &Ui) -> svcgen::Result<()> {
    starter::validate_name(&args.name)?;
    let dest = args.output.unwrap_or_else(|| PathBuf::from(&args.name));
    let tree = starter::starter(&args.name, &dest.display().to_string())?;
    create_dir_atomically(&tree, &dest, |_| Ok(()))?;
    ui.status(
        "Created",
        format!(
            "blueprint {} in {} ({} files); check it with `svcgen blueprint lint {}` and `svcgen blueprint test {}`",
            args.name,
            dest.display(),
            tree.len(),
            dest.display(),
            dest.display()
        ),
    );
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
