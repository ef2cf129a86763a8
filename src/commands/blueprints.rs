use svcgen::blueprint::builtin;
use svcgen::blueprint::manifest::Default;

use crate::ui::Ui;

/// List the built-in blueprints with their descriptions and variables.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  svcgen blueprints
  svcgen new catalog --blueprint service")]
pub struct BlueprintsArgs {}

pub fn exec(_: BlueprintsArgs, ui: &Ui) -> svcgen::Result<()> {
    for name in builtin::names() {
        let blueprint = builtin::load(name)?;
        let manifest = &blueprint.manifest;
        println!(
            "{} {}  {}",
            ui.bold(&manifest.name),
            manifest.version,
            manifest.description
        );
        for variable in &manifest.variables {
            let default = match &variable.default {
                Some(Default::Literal(value)) => format!(" = {value}"),
                Some(Default::Template(source)) => format!(" = {source}"),
                None => " (required)".to_owned(),
            };
            let kind = if variable.choices.is_empty() {
                variable.kind.to_string()
            } else {
                variable.choices.join("|")
            };
            println!("    {:<20} {kind}{default}", variable.name);
            if let Some(help) = &variable.help {
                println!("    {:<20} {help}", "");
            }
        }
        println!();
    }
    Ok(())
}
