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
use crate::service::record::Placement;
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
    /// Use git: make a repository with the service as its first commit or, when `dest` lies in
    /// an existing git work tree (a monorepo), stage the service there instead.
    pub git: bool,
    /// In an existing work tree, commit the service too (a repository of its own is always
    /// committed).
    pub commit: bool,
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
    /// The first commit, when a repository was made; the service's commit in the enclosing
    /// repository, when it was added to one with `commit`.
    pub commit: Option<String>,
    /// The existing git work tree the service was added to (staged, and committed with
    /// `commit`), instead of a repository of its own being made.
    pub enclosing: Option<git::Enclosing>,
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
    // Inside an existing repository the service becomes one of its folders: a nested repository
    // would be a gitlink to the outer one, lost by its clones, its CI never run.
    let enclosing = match options.git {
        true => git::enclosing_work_tree(options.dest)?,
        false => None,
    };
    if let Some(enclosing) = &enclosing {
        record.repository = Placement::at(&enclosing.prefix);
    }
    // A blueprint folder in the service's own repository is recorded relative to the service.
    // A service made its own repository shares none with the blueprint folder.
    if !options.git || enclosing.is_some() {
        record.blueprint.source = options.source.for_record_in(options.dest);
    }
    // A new service has no files, and so no contracts of other services yet.
    let tree = generate(blueprint, &record, &Tree::new())?.tree;
    // The blueprint (its templates, read and parsed) is not needed past this point.
    drop(loaded);

    let mut created = Created {
        dest: options.dest.to_owned(),
        record,
        tree,
        commit: None,
        enclosing,
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
    let own_repository = options.git && created.enclosing.is_none();
    create_dir_atomically(&created.tree, options.dest, |staging| {
        if own_repository {
            commit = Some(git::init_and_commit(staging, &created.tree, &message)?);
        }
        Ok(())
    })?;
    if let Some(enclosing) = created.enclosing.clone() {
        // Only once the files are where they stay: the index records their final paths.
        let paths = enclosing.addable(&created.tree)?;
        if paths.is_empty() {
            created.warnings.push(format!(
                "the repository at {} ignores {} (its .gitignore or excludes): nothing staged",
                enclosing.root.display(),
                enclosing.prefix
            ));
            created.enclosing = None;
            return Ok(created);
        }
        if options.commit {
            commit = Some(git::commit_paths(options.dest, &paths, &[], &message)?);
        } else {
            enclosing.stage(&paths)?;
        }
    }
    created.commit = commit;
    Ok(created)
}
