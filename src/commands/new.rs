use std::io::IsTerminal;
use std::path::PathBuf;

use svcgen::blueprint::builtin;
use svcgen::blueprint::source::BlueprintSource;
use svcgen::ops::new::{Created, NewOptions, new_service};
use svcgen::ops::{Context, given_answers};
use svcgen::prompt::TerminalPrompter;
use svcgen::resolve::Prompter;
use svcgen::tree::Tree;

use crate::ui::Ui;

/// Create a new service repository from a blueprint.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  svcgen new catalog
  svcgen new catalog --no-input --set port=9000 --set example_resource=false
  svcgen new catalog --answers answers.toml --output services/catalog
  svcgen new catalog --blueprint ./blueprints/service --dry-run
  svcgen new catalog --blueprint https://git.example.com/platform/blueprints.git#v2.1.0")]
pub struct NewArgs {
    /// Service name: the crate name and DNS label (lowercase letters, digits and `-`).
    pub name: String,

    /// Blueprint: a built-in name (see `svcgen blueprints`), a directory, or a git URL with an
    /// optional #branch, #tag or #commit.
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

    /// Do not create a git repository.
    #[arg(long)]
    pub no_git: bool,
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
    report(&created, args.dry_run, ui);
    Ok(())
}

fn report(created: &Created, dry_run: bool, ui: &Ui) {
    if dry_run {
        print_listing(&created.tree);
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
