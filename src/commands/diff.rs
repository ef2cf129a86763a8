use std::path::PathBuf;

use svcgen::diff;
use svcgen::ops::update::{plan, resolve};
use svcgen::ops::{Context, given_answers};
use svcgen::service::Service;
use svcgen::service::base::BASE_PATH;

use crate::ui::Ui;

/// Print, as a unified diff, what `svcgen update` would change. Writes nothing.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  svcgen diff                             What updating to the newest version would change
  svcgen diff --to v2.0.0 | less
  svcgen diff > update.patch && git apply --check update.patch

Conflicts show with their <<<<<<< markers, as update would write them. The base file
(.svcgen/base) is left out: it changes with every update and says nothing a reviewer needs.")]
pub struct DiffArgs {
    /// The service's repository.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub service: PathBuf,

    /// The blueprint version, as for `svcgen update --to`.
    #[arg(long, value_name = "REF|VERSION")]
    pub to: Option<String>,

    /// Without --to: the newest version may be a pre-release, as for `svcgen update --pre`.
    #[arg(long)]
    pub pre: bool,

    /// Answer a variable new in that version (others take their defaults); repeatable.
    #[arg(long = "set", short = 's', value_name = "KEY=VALUE")]
    pub set: Vec<String>,

    /// Do not fetch git blueprints; use the cached copy.
    #[arg(long)]
    pub offline: bool,
}

pub fn exec(args: DiffArgs, ui: &Ui) -> svcgen::Result<()> {
    let service = Service::open(&args.service)?;
    for recovered in &service.recovered {
        ui.status("Recovered", recovered);
    }
    let overrides = given_answers(None, &args.set)?;
    let wanted = svcgen::update::target::Wanted {
        to: args.to.as_deref(),
        pre: args.pre,
    };
    let target = resolve(&service, wanted, &Context::new(args.offline))?;
    let update = plan(&service, &target, &overrides, None)?;
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for change in &update.changes {
        if change.path().as_str() == BASE_PATH {
            continue;
        }
        let text = diff::unified(change.path(), change.before(), change.after());
        // A closed pipe (`| head`) is not an error worth reporting.
        if out.write_all(text.as_bytes()).is_err() {
            return Ok(());
        }
    }
    if update.is_noop() {
        ui.status(
            "Up to date",
            format!(
                "{} is on blueprint {} {}",
                update.service, update.blueprint, update.to
            ),
        );
    }
    Ok(())
}
