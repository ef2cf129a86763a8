//! One module per subcommand, each with its clap arguments and an `exec` that calls the library.

mod add_client;
mod add_event;
mod blueprint;
mod blueprint_schema;
mod blueprints;
mod check;
mod contract;
mod diff;
mod fleet;
mod fleet_page;
mod new;
mod part_changes;
mod update;

use clap::{Parser, Subcommand};

use crate::ui::{ColorChoice, Ui};

#[derive(Parser)]
#[command(
    name = "svcgen",
    version,
    about = "Start every microservice the same way, and keep it that way.",
    long_about = "svcgen renders a blueprint (Tera templates + blueprint.toml) into a new service \
repository: an HTTP API, database migrations, a Dockerfile, compose file, CI config and Makefile, \
identical in shape across every service a platform team starts.",
    after_help = "Examples:
  svcgen new catalog                      Ask for each answer, create ./catalog
  svcgen new catalog --no-input           Take every default (for CI and scripts)
  svcgen new orders --set port=9000 --set ci=gitlab
  svcgen new orders --blueprint ./my-blueprint --dry-run
  svcgen add-event ProductChanged --field name:string --field price:cents
  svcgen add-event ProductChanged --consume --from product --field name:string
  svcgen add-client product --spec ../product/api/openapi.json   A typed client of another service
  svcgen check                            Is this service on its blueprint's newest version?
  svcgen update --dry-run                 What updating would do; `svcgen diff` shows it as a diff
  svcgen update --all services/ --commit  Update a fleet, one commit per service
  svcgen contract diff old.json api/openapi.json   Breaking changes to an API or event contract
  svcgen blueprints                       List the built-in blueprints and their variables
  svcgen blueprint new acme-service       Start a blueprint of your own
  svcgen blueprint lint ./acme-service    Check it (every problem, with file:line)
  svcgen blueprint test ./acme-service    Compare its output with snapshots
  svcgen blueprint schema service         Its questions as a JSON Schema, for a portal's form
  svcgen new catalog --no-input --answers answers.json --format json   What a portal runs

Exit codes: 0 success, 1 error, 2 bad command line; `update` 3 when conflicts are left to resolve,
`check` 1 when behind and 2 on error, `contract diff` 1 on breaking changes and 2 on bad input."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// When to use colours: auto (default; off under NO_COLOR or when not a terminal), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Print only errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Subcommand)]
pub enum Command {
    New(new::NewArgs),
    AddEvent(add_event::AddEventArgs),
    AddClient(add_client::AddClientArgs),
    Update(update::UpdateArgs),
    Check(check::CheckArgs),
    Diff(diff::DiffArgs),
    Contract(contract::ContractArgs),
    Blueprints(blueprints::BlueprintsArgs),
    Blueprint(blueprint::BlueprintArgs),
}

/// Runs a command and returns the process exit code. `update`, `check` and `contract` have
/// codes of their own (conflicts, behind, breaking), so they report their errors themselves.
pub fn run(command: Command, ui: &Ui) -> u8 {
    let result = match command {
        Command::New(args) => new::exec(args, ui),
        Command::AddEvent(args) => add_event::exec(args, ui),
        Command::AddClient(args) => add_client::exec(args, ui),
        Command::Update(args) => return update::exec(args, ui),
        Command::Check(args) => return check::exec(args, ui),
        Command::Diff(args) => diff::exec(args, ui),
        Command::Contract(args) => return contract::exec(args, ui),
        Command::Blueprints(args) => blueprints::exec(args, ui),
        Command::Blueprint(args) => blueprint::exec(args, ui),
    };
    match result {
        Ok(()) => 0,
        Err(err) => {
            ui.error(&err);
            err.exit_code() as u8
        }
    }
}
