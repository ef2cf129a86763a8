use std::io::IsTerminal;
use std::path::PathBuf;

use svcgen::blueprint::builtin;
use svcgen::blueprint::source::BlueprintSource;
use svcgen::ops::new::{Created, NewOptions, new_service};
use svcgen::ops::{Context, given_answers};
use svcgen::prompt::TerminalPrompter;
use svcgen::resolve::Prompter;
use svcgen::tree::Tree;

use super::fleet::Format;
use crate::ui::Ui;

/// Create a new service repository from a blueprint.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  svcgen new catalog
  svcgen new catalog --no-input --set port=9000 --set example_resource=false
  svcgen new catalog --answers answers.toml --output services/catalog
  svcgen new catalog --blueprint ./blueprints/service --dry-run
  svcgen new catalog --blueprint https://git.example.com/platform/blueprints.git#v2.1.0
  svcgen new catalog --no-input --answers answers.json --format json
  svcgen new catalog --output services/catalog --commit   (inside a monorepo)

Inside an existing git work tree (a monorepo) no repository is made: the service's files are
staged in the enclosing repository's index, and committed there only with --commit.

--format json prints one JSON object on stdout (progress stays on stderr): path, service,
blueprint {name, version, source, commit}, commit (the service's first commit, if git),
repository {root, path, committed} (the enclosing repository, inside one; else null), files and
answers; what a portal records about the service it made (docs/portals.md).")]
pub struct NewArgs {
    /// Service name: the crate name and DNS label (lowercase letters, digits and `-`).
    pub name: String,

    /// Blueprint: a built-in name (see `svcgen blueprints`), a directory, or a git URL with an
    /// optional #branch, #tag or #commit, and :FOLDER for a blueprint in a folder of the
    /// repository (URL#v2.0.0:blueprints/service, URL#:blueprints/worker).
    #[arg(long, short, value_name = "SOURCE", default_value = builtin::DEFAULT)]
    pub blueprint: String,

    /// Answer a variable; repeatable. Wins over --answers.
    #[arg(long = "set", short = 's', value_name = "KEY=VALUE")]
    pub set: Vec<String>,

    /// Read answers from a TOML (or .json) file of `variable = value` lines.
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,

    /// Never prompt: take defaults, and fail listing every required variable left unanswered.
    #[arg(long)]
    pub no_input: bool,

    /// Where to create the service [default: ./NAME]. Must not exist, or be empty.
    #[arg(long, short, value_name = "DIR")]
    pub output: Option<PathBuf>,

    /// Print the files that would be written (mode, size, path) and write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Do not use git at all: no repository made, nothing staged in an enclosing one.
    #[arg(long)]
    pub no_git: bool,

    /// Inside an existing git work tree (a monorepo): commit the service there, not only stage
    /// it. A service with a repository of its own is always committed.
    #[arg(long, conflicts_with_all = ["no_git", "dry_run"])]
    pub commit: bool,

    /// Print what was made as text (on stderr) or as one JSON object on stdout.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Text)]
    pub format: Format,
}

pub fn exec(args: NewArgs, ui: &Ui) -> svcgen::Result<()> {
    // The name is checked first, so a bad one is the error shown before anything is read.
    svcgen::name::validate_service_name(&args.name)?;
    let dest = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.name));
    // Before any question is asked, so nobody answers ten prompts to be told the folder is taken.
    svcgen::apply::check_destination(&dest)?;
    let given = given_answers(args.answers.as_deref(), &args.set)?;
    let source = BlueprintSource::parse(&args.blueprint);
    if matches!(source, BlueprintSource::Git { .. }) {
        ui.status("Fetching", &source);
    }

    let interactive = !args.no_input && std::io::stdin().is_terminal();
    let mut terminal = TerminalPrompter::new();
    let prompter: Option<&mut dyn Prompter> = if interactive {
        Some(&mut terminal)
    } else {
        None
    };
    let created = new_service(
        NewOptions {
            name: &args.name,
            source: &source,
            given: &given,
            prompter,
            dest: &dest,
            git: !args.no_git,
            commit: args.commit,
            dry_run: args.dry_run,
        },
        &Context::new(false),
    )?;
    for warning in &created.warnings {
        ui.warn(warning);
    }
    for leftover in &created.removed_leftovers {
        ui.status(
            "Removed",
            format!(
                "{}, left by an svcgen run that was killed while creating a service",
                leftover.display()
            ),
        );
    }
    // The status line goes to stderr either way; stdout holds the listing or the JSON.
    report(&created, args.dry_run, args.format, ui);
    if args.format == Format::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json_report(&created, args.dry_run))
                .expect("a JSON value serialises")
        );
    }
    Ok(())
}

/// What a portal records about the service it made: where, from which blueprint at which
/// version and commit, and with which answers.
fn json_report(created: &Created, dry_run: bool) -> serde_json::Value {
    let blueprint = &created.record.blueprint;
    let path = std::path::absolute(&created.dest).unwrap_or_else(|_| created.dest.clone());
    serde_json::json!({
        "path": path.display().to_string(),
        "service": created.record.service_name(),
        "blueprint": {
            "name": blueprint.name,
            "version": blueprint.version.to_string(),
            "source": blueprint.source.to_string(),
            "commit": blueprint.commit,
        },
        "commit": created.commit,
        "repository": created.enclosing.as_ref().map(|enclosing| serde_json::json!({
            "root": enclosing.root.display().to_string(),
            "path": enclosing.prefix,
            "committed": created.commit.is_some(),
        })),
        "dry_run": dry_run,
        "files": created.tree.iter().map(|(path, _)| path.to_string()).collect::<Vec<_>>(),
        "answers": created.record.answers,
        "warnings": created.warnings,
    })
}

fn report(created: &Created, dry_run: bool, format: Format, ui: &Ui) {
    if dry_run {
        if format == Format::Text {
            print_listing(&created.tree);
        }
        ui.status(
            "Would create",
            format!(
                "{} in {} ({} files, {}); nothing written (--dry-run)",
                created.described(),
                created.dest.display(),
                created.tree.len(),
                human_size(created.tree.total_bytes())
            ),
        );
    } else {
        ui.status(
            "Created",
            format!(
                "{} in {} ({} files)",
                created.described(),
                created.dest.display(),
                created.tree.len()
            ),
        );
        if let Some(enclosing) = &created.enclosing {
            match &created.commit {
                Some(commit) => ui.status(
                    "Committed",
                    format!(
                        "{} to the repository at {} (commit {})",
                        enclosing.prefix,
                        enclosing.root.display(),
                        &commit[..commit.len().min(12)]
                    ),
                ),
                None => ui.status(
                    "Added",
                    format!(
                        "{} to the repository at {} (staged, not committed; commit when ready, or pass --commit)",
                        enclosing.prefix,
                        enclosing.root.display()
                    ),
                ),
            }
        }
    }
}

fn print_listing(tree: &Tree) {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (path, entry) in tree.iter() {
        // A closed pipe (`| head`) is not an error worth reporting.
        if writeln!(out, "{}  {:>9}  {path}", entry.mode, entry.contents.len()).is_err() {
            return;
        }
    }
}

fn human_size(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}
