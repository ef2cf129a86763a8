//! `svcgen blueprint schema`: a blueprint's questions as a JSON Schema, for portals' forms.

use svcgen::blueprint::schema::json_schema;
use svcgen::blueprint::source::BlueprintSource;
use svcgen::ops::Context;

use crate::ui::Ui;

/// Print a blueprint's variables as a JSON Schema (draft 2020-12) that a portal form
/// (Backstage, Port, Cortex) can render: types, defaults, choices as enums, validation patterns,
/// prompts as titles, and variables with `when` as if/then conditionals. `name` is the service
/// name `svcgen new` takes. Give the form's answers to `svcgen new --answers`, which checks
/// them again (docs/portals.md).
#[derive(clap::Args)]
#[command(after_help = "Examples:
  svcgen blueprint schema service                 The built-in blueprint
  svcgen blueprint schema ./acme-service > form.schema.json
  svcgen blueprint schema https://git.example.com/platform/blueprints.git#v2.1.0")]
pub struct SchemaArgs {
    /// The blueprint: a built-in name, a directory, or a git URL with an optional #REF and
    /// :FOLDER (URL#v2.0.0:blueprints/service).
    #[arg(default_value = ".", value_name = "DIR|NAME|URL")]
    pub blueprint: String,
}

pub fn exec(args: SchemaArgs, ui: &Ui) -> svcgen::Result<()> {
    let source = BlueprintSource::parse(&args.blueprint);
    if matches!(source, BlueprintSource::Git { .. }) {
        ui.status("Fetching", &source);
    }
    let loaded = source.load(&Context::new(false).cache_dir)?;
    if loaded.used_offline_cache {
        ui.warn(format!(
            "could not fetch {source}; using the cached copy at commit {}",
            loaded.commit.as_deref().unwrap_or("?")
        ));
    }
    let built = json_schema(&loaded.blueprint.manifest);
    for unexpressed in &built.unexpressed {
        ui.warn(unexpressed);
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&built.schema).expect("a JSON value serialises")
    );
    Ok(())
}
