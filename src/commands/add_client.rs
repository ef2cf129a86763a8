use svcgen::ops::Context;
use svcgen::ops::add_client::{AddClientOptions, add_client};

use crate::ui::Ui;

/// Add a typed client of another service, made from its OpenAPI document; run again to follow
/// a newer contract.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  svcgen add-client product --spec ../product/api/openapi.json
  svcgen add-client product --spec http://localhost:8080/openapi.json
  svcgen add-client product                 Read the contract again from where it was read last
  svcgen add-client product --spec ../product/api/openapi.json --dry-run    Show the diff, write nothing

The client is src/clients/SERVICE.rs (svcgen's: it is rewritten when the contract changes),
configured by SERVICE_URL, SERVICE_TIMEOUT_MILLIS and SERVICE_RETRIES; the contract is kept
in api/clients/SERVICE.json. Running the same command twice changes nothing.")]
pub struct AddClientArgs {
    /// The service called, as it is named (kebab-case): product, order-history.
    pub name: String,

    /// Its OpenAPI document (JSON or YAML): a file, or an http(s) URL [default: where the
    /// record says it was read last].
    #[arg(long, value_name = "FILE|URL")]
    pub spec: Option<String>,

    /// The calling service's repository [default: the current directory].
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub service: std::path::PathBuf,

    /// Print the changes as a unified diff and write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Proceed even if the service's git working tree has uncommitted changes.
    #[arg(long)]
    pub allow_dirty: bool,
}

pub fn exec(args: AddClientArgs, ui: &Ui) -> svcgen::Result<()> {
    let added = add_client(
        AddClientOptions {
            dir: &args.service,
            service: &args.name,
            spec: args.spec.as_deref(),
            dry_run: args.dry_run,
            allow_dirty: args.allow_dirty,
        },
        &Context::new(false),
    )?;
    for recovered in &added.recovered {
        ui.status("Recovered", recovered);
    }
    for warning in &added.warnings {
        ui.warn(warning);
    }
    if added.changes.is_empty() {
        ui.status(
            "Unchanged",
            format!(
                "{} already has the client of {} as {} describes it; nothing to do",
                added.dir.display(),
                added.service,
                added.source
            ),
        );
        return Ok(());
    }
    let files = super::part_changes::print(&added.changes, args.dry_run, ui);
    if args.dry_run {
        ui.status(
            "Would change",
            format!(
                "{files} files for the client of {} ({} operations); nothing written (--dry-run)",
                added.service, added.operations
            ),
        );
        return Ok(());
    }
    ui.status(
        "Added",
        format!(
            "client of {} ({} operations) to {} ({files} files); review with `git diff`, then `make test`",
            added.service,
            added.operations,
            added.dir.display(),
        ),
    );
    Ok(())
}
