use std::path::PathBuf;

use svcgen::apply::{Replacement, replace_files};
use svcgen::blueprint::source::BlueprintSource;
use svcgen::error::Error;
use svcgen::events::{EventSpec, EventsPart, FieldSpec, plan_add_event, schema};
use svcgen::record::{EventRole, RECORD_PATH, Record};
use svcgen::update::event_base::base_after_add_event;
use svcgen::workdir::WorkDir;
use svcgen::{diff, git, name};

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
    let dir = &args.service;
    if !dir.join(RECORD_PATH).is_file() {
        return Err(Error::NotAService(dir.clone()));
    }
    let record = Record::read(dir)?;

    let source = pinned_source(&record);
    let loaded = source.load(&super::cache_dir())?;
    let blueprint = &loaded.blueprint;
    if blueprint.manifest.version != record.blueprint.version {
        ui.warn(format!(
            "this service was made with blueprint {} {}, and {} {} is what is available; \
             the event code follows {}. Run `svcgen update` to bring the rest along",
            record.blueprint.name,
            record.blueprint.version,
            blueprint.manifest.name,
            blueprint.manifest.version,
            blueprint.manifest.version
        ));
    }
    let part = EventsPart::from_blueprint(blueprint)?.ok_or_else(|| Error::NoEventsPart {
        blueprint: blueprint.origin.clone(),
    })?;
    let types = part.type_names();

    let role = if args.consume {
        EventRole::Consumer
    } else {
        EventRole::Producer
    };
    if let Some(from) = &args.from {
        name::validate_service_name(from)?;
    }
    // Check the name before reading fields, so a bad name is the error shown.
    svcgen::events::spec::validate_event_name(&args.event)?;
    let fields = match &args.schema {
        Some(path) => schema::fields_from_schema(path, &types, &part.reserved_fields)?,
        None => args
            .fields
            .iter()
            .map(|spec| FieldSpec::parse(spec, &types))
            .collect::<svcgen::Result<Vec<_>>>()?,
    };
    let spec = EventSpec::new(
        &args.event,
        role,
        fields,
        args.from.clone(),
        &part.reserved_fields,
    )?;

    if !args.dry_run
        && !args.allow_dirty
        && let Some(dirty) = git::dirty_paths(dir)?
        && !dirty.is_empty()
    {
        return Err(Error::DirtyTree(dirty));
    }

    let plan = plan_add_event(&part, &record, &spec, &WorkDir::new(dir))?;
    let role_word = if args.consume { "consumer" } else { "producer" };
    if plan.is_empty() {
        ui.status(
            "Unchanged",
            format!(
                "{} already has {} as a {role_word} event; nothing to do",
                dir.display(),
                spec.name
            ),
        );
        return Ok(());
    }

    if args.dry_run {
        use std::io::Write;
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        for change in &plan.changes {
            let text = diff::unified(&change.path, change.before.as_ref(), Some(&change.after));
            // A closed pipe (`| head`) is not an error worth reporting.
            if out.write_all(text.as_bytes()).is_err() {
                break;
            }
        }
        ui.status(
            "Would change",
            format!(
                "{} files to add {role_word} event {}; nothing written (--dry-run)",
                plan.changes.len(),
                spec.name
            ),
        );
        return Ok(());
    }

    // The update base follows the event too (see svcgen::update::event_base); a base that
    // cannot take the event only costs a later update some conflicts, so it does not stop this.
    let base_change = match base_after_add_event(dir, blueprint, &part, &record, &spec) {
        Ok(change) => change,
        Err(err) => {
            ui.warn(format!(
                    "could not record the event in .svcgen/base ({err}); a later `svcgen update` may report conflicts in the files it touched"
                ));
            None
        }
    };
    let mut replacements: Vec<Replacement<'_>> = plan
        .changes
        .iter()
        .map(|change| Replacement {
            path: &change.path,
            before: change.before.as_ref(),
            after: &change.after,
        })
        .collect();
    if let Some((path, before, after)) = &base_change {
        replacements.push(Replacement {
            path,
            before: before.as_ref(),
            after,
        });
    }
    replace_files(dir, &replacements)?;
    for change in &plan.changes {
        let verb = if change.before.is_some() {
            "Updated"
        } else {
            "Created"
        };
        ui.status(verb, &change.path);
    }
    ui.status(
        "Added",
        format!(
            "{role_word} event {} to {} ({} files); review with `git diff`, then `make test`",
            spec.name,
            dir.display(),
            plan.changes.len()
        ),
    );
    Ok(())
}

/// The blueprint the service was made from, pinned to the exact commit for git sources, so event
/// code matches the anchors and conventions of the version the service is on.
fn pinned_source(record: &Record) -> BlueprintSource {
    match (&record.blueprint.source, &record.blueprint.commit) {
        (BlueprintSource::Git { url, .. }, Some(commit)) => BlueprintSource::Git {
            url: url.clone(),
            reference: Some(commit.clone()),
        },
        (source, _) => source.clone(),
    }
}
