//! `svcgen new`: a new service repository from a blueprint.

use std::path::{Path, PathBuf};

use super::Context;
use crate::answers::GivenAnswers;
use crate::apply::{check_destination, create_dir_atomically, new_dir};
use crate::blueprint::source::BlueprintSource;
use crate::error::Result;
use crate::generate::generate;
use crate::resolve::{Prompter, resolve_answers};
use crate::service::Record;
use crate::tree::Tree;
use crate::{git, name};

pub struct NewOptions<'a> {
    /// The service's name: its crate name and DNS label.
    pub name: &'a str,
    pub source: &'a BlueprintSource,
    pub given: &'a GivenAnswers,
    /// Asks for what `given` does not answer; `None` takes the defaults.
    pub prompter: Option<&'a mut dyn Prompter>,
    pub dest: &'a Path,
    /// Make a git repository with the service as its first commit.
    pub git: bool,
    /// Compute everything, write nothing.
    pub dry_run: bool,
}

/// A service made (or, with `dry_run`, planned).
#[derive(Debug)]
pub struct Created {
    pub dest: PathBuf,
    pub record: Record,
    /// Every file written (or that would be).
    pub tree: Tree,
    /// The first commit, when a repository was made.
    pub commit: Option<String>,
    /// Staging folders of killed svcgen runs found beside the destination, and removed.
    pub removed_leftovers: Vec<PathBuf>,
    /// Things to tell the user that are not errors.
    pub warnings: Vec<String>,
}

impl Created {
    /// `catalog from blueprint service 1.2.0`.
    pub fn described(&self) -> String {
        format!(
            "{} from blueprint {} {}",
            self.record.service_name().unwrap_or("?"),
            self.record.blueprint.name,
            self.record.blueprint.version
        )
    }
}

pub fn new_service(options: NewOptions<'_>, context: &Context) -> Result<Created> {
    name::validate_service_name(options.name)?;
    check_destination(options.dest)?;

    let mut warnings = Vec::new();
    let loaded = options.source.load(&context.cache_dir)?;
    if loaded.used_offline_cache {
        warnings.push(format!(
            "could not fetch {}; using the cached copy at commit {}",
            options.source,
            loaded.commit.as_deref().unwrap_or("?")
        ));
    }
    let blueprint = &loaded.blueprint;
    let answers = resolve_answers(
        &blueprint.manifest,
        &blueprint.manifest_path(),
        options.name,
        options.given,
        options.prompter,
    )?;
    let mut record = Record::new(blueprint, options.source, loaded.commit.clone(), &answers);
    // A service made its own repository shares none with the blueprint folder.
    if !options.git {
        record.blueprint.source = options.source.for_record_in(options.dest);
    }
    let tree = generate(blueprint, &record)?.tree;
    // The blueprint (its templates, read and parsed) is not needed past this point.
    drop(loaded);

    let mut created = Created {
        dest: options.dest.to_owned(),
        record,
        tree,
        commit: None,
        removed_leftovers: Vec::new(),
        warnings,
    };
    if options.dry_run {
        return Ok(created);
    }

    let parent = match options.dest.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    created.removed_leftovers = new_dir::remove_abandoned_staging(parent)?;
    let message = format!(
        "Generate {}\n\nCreated by svcgen {} from {}.",
        created.described(),
        env!("CARGO_PKG_VERSION"),
        options.source
    );
    let mut commit = None;
    create_dir_atomically(&created.tree, options.dest, |staging| {
        if options.git {
            commit = Some(git::init_and_commit(staging, &created.tree, &message)?);
        }
        Ok(())
    })?;
    created.commit = commit;
    Ok(created)
}
