//! The `test-matrix` rule: every variant `svcgen blueprint test` renders resolves and renders.

use super::{Lint, Rule, split_error};
use crate::error::Location;
use crate::kit::matrix::{self, Origin};
use crate::render::render;

impl Lint<'_> {
    /// Resolves and renders every variant `svcgen blueprint test` would; returns how many.
    pub(super) fn test_matrix(&mut self) -> usize {
        let blueprint = self.blueprint;
        let built = matrix::build(blueprint);
        for problem in &built.problems {
            let location = match problem.test {
                Some(index) => self.manifest_at(&format!("tests.{index}")),
                None => self.manifest_at("variables"),
            };
            self.push(Rule::TestMatrix, location, problem.message.clone());
        }
        // The same broken template usually fails every variant: one finding per distinct error,
        // naming the variants it failed.
        let mut failures: Vec<(Location, String, Vec<String>)> = Vec::new();
        for variant in &built.variants {
            let Err(err) = render(blueprint, &variant.answers) else {
                continue;
            };
            let fallback = match variant.origin {
                Origin::Test(index) => self.manifest_at(&format!("tests.{index}")),
                Origin::Pairwise => self.manifest_at("variables"),
            };
            let (location, message) = split_error(err, fallback);
            let label = format!("`{}` ({})", variant.name, variant.summary());

            match failures
                .iter_mut()
                .find(|(l, m, _)| *l == location && *m == message)
            {
                Some((_, _, variants)) => variants.push(label),
                None => failures.push((location, message, vec![label])),
            }
        }
        for (location, message, variants) in failures {
            let which = if variants.len() == 1 {
                format!("variant {}", variants[0])
            } else {
                format!("{} variants: {}", variants.len(), variants.join(", "))
            };
            self.push(
                Rule::TestMatrix,
                location,
                format!("{message}; fails in {which}"),
            );
        }
        built.variants.len()
    }
}
