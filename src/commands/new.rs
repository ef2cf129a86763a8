use std::io::IsTerminal;
use std::path::PathBuf;

use svcgen::answers::GivenAnswers;
use svcgen::apply::{check_destination, create_dir_atomically};
use svcgen::blueprint::builtin;
use svcgen::blueprint::source::BlueprintSource;
use svcgen::prompt::TerminalPrompter;
use svcgen::record::Record;
use svcgen::render::render;
use svcgen::resolve::{Prompter, resolve_answers};
use svcgen::tree::Tree;
use svcgen::update::base::Base;
use svcgen::update::policy::Policies;
use svcgen::{git, name};

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
    name::validate_service_name(&args.name)?;
    let dest = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.name));
    check_destination(&dest)?;

    let mut given = match &args.answers {
        Some(file) => GivenAnswers::from_file(file)?,
        None => GivenAnswers::default(),
    };
    for assignment in &args.set {
        given.set(assignment)?;
    }

    let source = BlueprintSource::parse(&args.blueprint);
    if matches!(source, BlueprintSource::Git { .. }) {
        ui.status("Fetching", &source);
    }
    let loaded = source.load(&super::cache_dir())?;
    if loaded.used_offline_cache {
        ui.warn(format!(
            "could not fetch {source}; using the cached copy at commit {}",
            loaded.commit.as_deref().unwrap_or("?")
        ));
    }
    let blueprint = &loaded.blueprint;

    let interactive = !args.no_input && std::io::stdin().is_terminal();
    let mut terminal = TerminalPrompter::new();
    let prompter: Option<&mut dyn Prompter> = if interactive {
        Some(&mut terminal)
    } else {
        None
    };
    let answers = resolve_answers(
        &blueprint.manifest,
        &blueprint.manifest_path(),
        &args.name,
        &given,
        prompter,
    )?;

    let record = Record::new(blueprint, &source, loaded.commit.clone(), &answers);
    let policies = Policies::compile(&blueprint.manifest, &blueprint.manifest_path(), &answers)?;
    let described = format!(
        "{} from blueprint {} {}",
        args.name, blueprint.manifest.name, blueprint.manifest.version
    );
    let message = format!(
        "Generate {described}\n\nCreated by svcgen {} from {source}.",
        env!("CARGO_PKG_VERSION")
    );
    let mut tree = render(blueprint, &answers)?;
    // Nothing below needs the blueprint: its templates, read and parsed, are freed before the
    // tree is copied into its base and its git pack.
    drop(loaded);
    record.add_to(&mut tree);
    // What `svcgen update` merges against later (see svcgen::update::base).
    Base::add_generated(&mut tree, |path| policies.of(path.as_str()));

    if args.dry_run {
        print_listing(&tree);
        ui.status(
            "Would create",
            format!(
                "{described} in {} ({} files, {}); nothing written (--dry-run)",
                dest.display(),
                tree.len(),
                human_size(tree.total_bytes())
            ),
        );
        return Ok(());
    }

    create_dir_atomically(&tree, &dest, |staging| {
        if !args.no_git {
            git::init_and_commit(staging, &tree, &message)?;
        }
        Ok(())
    })?;
    ui.status(
        "Created",
        format!("{described} in {} ({} files)", dest.display(), tree.len()),
    );
    Ok(())
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
