//! What `svcgen update` may do to each generated file, from the blueprint's `[files]` table:
//! `managed` files are merged, `seed` files are written once, `user` files belong to the team.

use globset::GlobSet;
use serde::{Deserialize, Serialize};

use crate::answers::Answers;
use crate::blueprint::manifest::{Manifest, Rename, build_globset, is_template};
use crate::error::{Error, Location, Result};
use crate::template;
use crate::tree::RelPath;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Three-way merged on every update (the default).
    Managed,
    /// Written when missing (by `new`, or by the first update that brings it), then left alone.
    Seed,
    /// Written by `new` only.
    User,
}

impl Policy {
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Managed => "managed",
            Policy::Seed => "seed",
            Policy::User => "user",
        }
    }

    pub fn parse(text: &str) -> Option<Policy> {
        match text {
            "managed" => Some(Policy::Managed),
            "seed" => Some(Policy::Seed),
            "user" => Some(Policy::User),
            _ => None,
        }
    }
}

impl std::fmt::Display for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A blueprint's policy globs, rendered with one service's answers and compiled.
#[derive(Debug, Clone, Default)]
pub struct Policies {
    seed: GlobSet,
    user: GlobSet,
}

impl Policies {
    pub fn compile(manifest: &Manifest, manifest_file: &str, answers: &Answers) -> Result<Self> {
        let context = template::context(answers);
        let compile = |key: &str, patterns: &[String]| -> Result<GlobSet> {
            let rendered = patterns
                .iter()
                .map(|pattern| render_pattern(pattern, &context, manifest_file, key))
                .collect::<Result<Vec<_>>>()?;
            build_globset(&rendered).map_err(|message| Error::Manifest {
                location: Location {
                    file: manifest_file.to_owned(),
                    line: None,
                },
                message: format!("[files] {key}: {message}"),
            })
        };
        Ok(Policies {
            seed: compile("seed", &manifest.policies.seed)?,
            user: compile("user", &manifest.policies.user)?,
        })
    }

    /// `user` wins over `seed`, and both over the default `managed`.
    pub fn of(&self, path: &str) -> Policy {
        if self.user.is_match(path) {
            Policy::User
        } else if self.seed.is_match(path) {
            Policy::Seed
        } else {
            Policy::Managed
        }
    }
}

fn render_pattern(
    pattern: &str,
    context: &tera::Context,
    manifest_file: &str,
    key: &str,
) -> Result<String> {
    if !is_template(pattern) {
        return Ok(pattern.to_owned());
    }
    template::render_str(pattern, context).map_err(|err| Error::Manifest {
        location: Location {
            file: manifest_file.to_owned(),
            line: None,
        },
        message: format!("[files] {key} pattern `{pattern}`: {}", err.message),
    })
}

/// A rename with its paths rendered for one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedRename {
    pub from: RelPath,
    pub to: RelPath,
}

/// The renames that apply to a service on blueprint version `from_version`, rendered with its
/// answers, in declaration order.
pub fn renames_for(
    renames: &[Rename],
    manifest_file: &str,
    answers: &Answers,
    from_version: &semver::Version,
) -> Result<Vec<RenderedRename>> {
    let context = template::context(answers);
    let mut out = Vec::new();
    for rename in renames {
        if rename
            .since
            .as_ref()
            .is_some_and(|since| from_version >= since)
        {
            continue;
        }
        let path = |raw: &str| -> Result<RelPath> {
            let fail = |message: String| Error::Manifest {
                location: Location {
                    file: manifest_file.to_owned(),
                    line: None,
                },
                message,
            };
            let rendered = template::render_str(raw, &context)
                .map_err(|err| fail(format!("[[files.renames]] `{raw}`: {}", err.message)))?;
            RelPath::new(&rendered).map_err(|reason| {
                fail(format!(
                    "[[files.renames]] `{raw}` renders to `{rendered}`, which {reason}"
                ))
            })
        };
        out.push(RenderedRename {
            from: path(&rename.from)?,
            to: path(&rename.to)?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::Value;

    fn manifest(body: &str) -> Manifest {
        Manifest::parse(
            &format!("[blueprint]\nname = \"t\"\nversion = \"2.0.0\"\n{body}"),
            "blueprint.toml",
        )
        .unwrap()
    }

    fn answers() -> Answers {
        let mut answers = Answers::new();
        answers.insert("name".into(), Value::String("shop".into()));
        answers
    }

    #[test]
    fn templated_globs_match_generated_paths() {
        let m = manifest(
            "[files]\nseed = [\"src/domain/{{ name }}.rs\"]\nuser = [\"docs/**\", \"src/domain/shop.rs\"]\n",
        );
        let policies = Policies::compile(&m, "bp", &answers()).unwrap();
        assert_eq!(policies.of("src/domain/shop.rs"), Policy::User, "user wins");
        assert_eq!(policies.of("docs/a/b.md"), Policy::User);
        assert_eq!(policies.of("src/main.rs"), Policy::Managed);
        let m = manifest("[files]\nseed = [\"src/domain/{{ name }}.rs\"]\n");
        let policies = Policies::compile(&m, "bp", &answers()).unwrap();
        assert_eq!(policies.of("src/domain/shop.rs"), Policy::Seed);
    }

    #[test]
    fn renames_are_rendered_and_filtered_by_since() {
        let m = manifest(
            "[[files.renames]]\nfrom = \"a.txt\"\nto = \"{{ name }}/a.txt\"\nsince = \"2.0.0\"\n[[files.renames]]\nfrom = \"b\"\nto = \"c\"\n",
        );
        let old = semver::Version::new(1, 0, 0);
        let renames = renames_for(&m.renames, "bp", &answers(), &old).unwrap();
        assert_eq!(renames.len(), 2);
        assert_eq!(renames[0].to.as_str(), "shop/a.txt");
        let current = semver::Version::new(2, 0, 0);
        let renames = renames_for(&m.renames, "bp", &answers(), &current).unwrap();
        assert_eq!(
            renames.len(),
            1,
            "a rename since 2.0.0 does not apply to 2.0.0"
        );
        let m = manifest("[[files.renames]]\nfrom = \"a\"\nto = \"../x\"\n");
        let err = renames_for(&m.renames, "bp", &answers(), &old).unwrap_err();
        assert!(err.to_string().contains("could escape"), "{err}");
    }
}
