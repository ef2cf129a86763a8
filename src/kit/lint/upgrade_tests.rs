//! The `upgrade-test`, `upgrade-ref`, `upgrade-patch` and `upgrade-answers` rules: each
//! `[[upgrade_tests]]` entry as written, the `from` commit it starts at, its patches and its
//! answers, checked with the same spec parsing `svcgen blueprint test` runs them with.

use std::collections::HashMap;
use std::path::Path;

use super::{Lint, Rule};
use crate::blueprint::{Blueprint, Manifest};
use crate::error::Location;
use crate::kit::history::History;
use crate::kit::upgrade::{self, PatchProblem};

impl Lint<'_> {
    /// `[[upgrade_tests]]`: the entries, their `from`, their patches and their answers.
    pub(super) fn upgrade_tests(&mut self, dir: Option<&Path>) {
        let blueprint = self.blueprint;
        let (tests, problems) = upgrade::parse_specs(&blueprint.manifest);
        for problem in problems {
            let location = self.manifest_at(&problem.key);
            self.push(Rule::UpgradeTest, location, problem.message);
        }
        let Some(first) = tests.first() else { return };
        let history = match dir.map(History::discover) {
            None => None,
            Some(Ok(history)) => Some(history),
            Some(Err(message)) => {
                // Once: every test would say the same.
                let location = self.manifest_at(&format!("upgrade_tests.{}", first.index));
                self.push(Rule::UpgradeRef, location, message);
                None
            }
        };
        let mut old_versions: HashMap<String, std::result::Result<Manifest, String>> =
            HashMap::new();
        for test in &tests {
            let old = history.as_ref().map(|history| {
                old_versions
                    .entry(test.from.clone())
                    .or_insert_with(|| {
                        let commit = history.resolve(&test.from)?;
                        let files = history.blueprint_files(commit, &test.from)?;
                        Blueprint::from_files(format!("{}@{}", blueprint.origin, test.from), files)
                            .map(|old| old.manifest)
                            .map_err(|err| {
                                format!("the blueprint at `{}` cannot be read: {err}", test.from)
                            })
                    })
                    .clone()
            });
            let old = match old {
                Some(Err(message)) => {
                    let location = self.manifest_at(&format!("upgrade_tests.{}.from", test.index));
                    self.push(
                        Rule::UpgradeRef,
                        location,
                        format!("[[upgrade_tests]] `{}`: {message}", test.name),
                    );
                    None
                }
                Some(Ok(manifest)) => Some(manifest),
                None => None,
            };
            if let Err(problems) = upgrade::load_patches(test, blueprint) {
                for problem in problems {
                    match problem {
                        PatchProblem::Missing { key, message } => {
                            let location = self.manifest_at(&key);
                            self.push(Rule::UpgradePatch, location, message);
                        }
                        PatchProblem::Invalid(err) => self.push(
                            Rule::UpgradePatch,
                            Location {
                                file: err.file,
                                line: Some(err.line),
                            },
                            err.message,
                        ),
                    }
                }
            }
            if let Err(problems) = upgrade::split_answers(test, old.as_ref(), &blueprint.manifest) {
                for (key, message) in problems {
                    let location = self.manifest_at(&key);
                    self.push(Rule::UpgradeAnswers, location, message);
                }
            }
        }
    }
}
