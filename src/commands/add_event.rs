use std::path::PathBuf;

use svcgen::ops::Context;
use svcgen::ops::add_event::{AddEventOptions, add_event};
use svcgen::service::record::EventRole;

use crate::ui::Ui;
/// Add an event to a service made by svcgen: published through a transactional outbox, or
/// consumed idempotently.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  svcgen add-event ProductChanged --field name:string --field price:cents
  svcgen add-event ProductChanged --consume --from product --schema ../product/events/product-changed.v1.json
  svcgen add-event ProductChanged --consume --from product --field name:string --field price:cents
  svcgen add-event ProductChanged --field name:string --dry-run    Show the diff, write nothing

Field types come from the blueprint's events part; the built-in service blueprint knows:
string, text, bool, i32, i64, f64, decimal, cents, uuid, timestamp, json.
Running the same command twice changes nothing; a second event adds to the first.")]
pub struct AddEventArgs {
    /// The event's name, PascalCase: a noun and a past-tense verb, e.g. ProductChanged.
    pub event: String,

    /// A field of the event as NAME:TYPE; repeatable, in order.
    #[arg(long = "field", short = 'f', value_name = "NAME:TYPE")]
    pub fields: Vec<String>,

    /// This service consumes the event (default: it produces it).
    #[arg(long, requires = "from")]
    pub consume: bool,

    /// The service that produces the event (with --consume).
    #[arg(long, value_name = "SERVICE", requires = "consume")]
    pub from: Option<String>,

    /// Take the fields from the producer's JSON Schema contract (with --consume).
    #[arg(
        long,
        value_name = "FILE",
        requires = "consume",
        conflicts_with = "fields"
    )]
    pub schema: Option<PathBuf>,

    /// The service's repository [default: the current directory].
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub service: PathBuf,

    /// Print the changes as a unified diff and write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Proceed even if the service's git working tree has uncommitted changes.
    #[arg(long)]
    pub allow_dirty: bool,
}

pub fn exec(args: AddEventArgs, ui: &Ui) -> svcgen::Result<()> {
    let role = if args.consume {
        EventRole::Consumer
    } else {
        EventRole::Producer
    };
    let added = add_event(
        AddEventOptions {
            dir: &args.service,
            event: &args.event,
            role,
            fields: &args.fields,
            from: args.from.as_deref(),
            schema: args.schema.as_deref(),
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
    let role_word = match role {
        EventRole::Producer => "producer",
        EventRole::Consumer => "consumer",
    };
    if added.changes.is_empty() {
        ui.status(
            "Unchanged",
            format!(
                "{} already has {} as a {role_word} event; nothing to do",
                added.dir.display(),
                added.event
            ),
        );
        return Ok(());
    }
    let files = super::part_changes::print(&added.changes, args.dry_run, ui);
    if args.dry_run {
        ui.status(
            "Would change",
            format!(
                "{files} files to add {role_word} event {}; nothing written (--dry-run)",
                added.event
            ),
        );
        return Ok(());
    }
    ui.status(
        "Added",
        format!(
            "{role_word} event {} to {} ({files} files); review with `git diff`, then `make test`",
            added.event,
            added.dir.display(),
        ),
    );
    Ok(())
}
