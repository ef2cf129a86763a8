//! Turning what the user gave (flags, an answers file, prompts) into a complete, checked set of
//! answers, variable by variable in declaration order.
//!
//! Each variable is, in order of precedence: skipped to its default when its `when` is false,
//! taken from the given answers, asked through the [`Prompter`], or set to its default. Defaults
//! and conditions are Tera expressions over the answers resolved so far.

use crate::answers::{Answers, GivenAnswers, GivenBy, Value};
use crate::blueprint::manifest::{Default, Manifest, NAME_VARIABLE, Variable};
use crate::error::{Error, Location, Result};
use crate::template;

/// Asks a person for a value. The implementation must only return values that pass
/// [`Variable::check`]; [`crate::prompt`] re-asks until they do.
pub trait Prompter {
    fn ask(&mut self, variable: &Variable, default: Option<&Value>) -> Result<Value>;
}

/// Resolves every variable of `manifest`. With no prompter, unanswered variables take their
/// defaults, and all variables that have none are reported together.
pub fn resolve_answers(
    manifest: &Manifest,
    manifest_file: &str,
    name: &str,
    given: &GivenAnswers,
    mut prompter: Option<&mut dyn Prompter>,
) -> Result<Answers> {
    if let Some(unknown) = given
        .names()
        .find(|n| *n != NAME_VARIABLE && manifest.variable(n).is_none())
    {
        let known = manifest
            .variables
            .iter()
            .map(|v| v.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        // A file's content is not a command-line mistake: it is named, with the line.
        return Err(match given.given_by(unknown) {
            GivenBy::CommandLine => Error::UnknownVariable {
                variable: unknown.to_owned(),
                known,
            },
            GivenBy::File { path, line } => Error::Record {
                path: path.to_owned(),
                message: format!(
                    "{}`{unknown}` is not a variable of this blueprint (it has: {known})",
                    line.map(|l| format!("line {l}: ")).unwrap_or_default()
                ),
            },
        });
    }

    let mut answers = Answers::new();
    answers.insert(NAME_VARIABLE.to_owned(), Value::String(name.to_owned()));
    let mut missing = Vec::new();

    for variable in &manifest.variables {
        let context = template::context(&answers);
        let expression_error = |what: &str, err: template::TemplateError| Error::Manifest {
            location: Location {
                file: manifest_file.to_owned(),
                line: if what == "default" {
                    variable.lines.default
                } else {
                    variable.lines.when
                }
                .or(variable.lines.declared),
            },
            message: format!("{what} of `{}`: {}", variable.name, err.message),
        };
        let default = match &variable.default {
            None => None,
            Some(Default::Literal(value)) => Some(value.clone()),
            Some(Default::Template(source)) => {
                let text = template::render_str(source, &context)
                    .map_err(|err| expression_error("default", err))?;
                let value = Value::parse(&text, variable.kind).map_err(|msg| Error::Manifest {
                    location: Location {
                        file: manifest_file.to_owned(),
                        line: variable.lines.default.or(variable.lines.declared),
                    },
                    message: format!("default of `{}` rendered to `{text}`: {msg}", variable.name),
                })?;
                Some(value)
            }
        };
        let asked = match &variable.when {
            Some(condition) => template::eval_condition(condition, &context)
                .map_err(|err| expression_error("`when`", err))?,
            None => true,
        };

        let value = if !asked {
            default
        } else if let Some(raw) = given.get(&variable.name) {
            let value =
                Value::from_toml(raw, variable.kind).map_err(|message| Error::InvalidAnswer {
                    variable: variable.name.clone(),
                    message,
                })?;
            Some(value)
        } else if let Some(prompter) = prompter.as_deref_mut() {
            Some(prompter.ask(variable, default.as_ref())?)
        } else {
            default
        };

        match value {
            Some(value) => {
                if asked {
                    variable
                        .check(&value)
                        .map_err(|message| Error::InvalidAnswer {
                            variable: variable.name.clone(),
                            message,
                        })?;
                }
                answers.insert(variable.name.clone(), value);
            }
            None => missing.push(variable.name.clone()),
        }
    }

    if missing.is_empty() {
        Ok(answers)
    } else {
        Err(Error::MissingAnswers(missing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(body: &str) -> Manifest {
        Manifest::parse(
            &format!("[blueprint]\nname = \"t\"\nversion = \"1.0.0\"\n{body}"),
            "blueprint.toml",
        )
        .unwrap()
    }

    fn given(pairs: &[&str]) -> GivenAnswers {
        let mut given = GivenAnswers::default();
        for pair in pairs {
            given.set(pair).unwrap();
        }
        given
    }

    const BODY: &str = r#"
[variables.database_name]
type = "string"
default = "{{ name | snake_case }}_db"
validate = { regex = "^[a-z_]+$", message = "must be a lowercase SQL identifier" }
[variables.with_resource]
type = "bool"
default = true
[variables.resource]
type = "string"
default = "item"
when = "with_resource"
[variables.port]
type = "integer"
default = 8080
min = 1
max = 65535
"#;

    #[test]
    fn defaults_are_expressions_over_earlier_answers() {
        let answers = resolve_answers(&manifest(BODY), "bp", "my-svc", &given(&[]), None).unwrap();
        assert_eq!(answers["database_name"], Value::String("my_svc_db".into()));
        assert_eq!(answers["port"], Value::Integer(8080));
        let order: Vec<_> = answers.keys().map(String::as_str).collect();
        assert_eq!(
            order,
            ["name", "database_name", "with_resource", "resource", "port"]
        );
    }

    #[test]
    fn given_answers_are_typed_and_checked() {
        let answers = resolve_answers(
            &manifest(BODY),
            "bp",
            "s",
            &given(&["port=9000", "with_resource=false"]),
            None,
        )
        .unwrap();
        assert_eq!(answers["port"], Value::Integer(9000));
        assert_eq!(answers["with_resource"], Value::Bool(false));

        let err =
            resolve_answers(&manifest(BODY), "bp", "s", &given(&["port=70000"]), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid value for `port`: must be at most 65535, got 70000"
        );
        let err = resolve_answers(
            &manifest(BODY),
            "bp",
            "s",
            &given(&["database_name=Bad-Name"]),
            None,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("must be a lowercase SQL identifier"),
            "{err}"
        );
    }

    #[test]
    fn when_false_takes_the_default_even_if_given() {
        let answers = resolve_answers(
            &manifest(BODY),
            "bp",
            "s",
            &given(&["with_resource=false", "resource=order"]),
            None,
        )
        .unwrap();
        assert_eq!(answers["resource"], Value::String("item".into()));
    }

    #[test]
    fn every_missing_required_variable_is_listed() {
        let m = manifest(
            "[variables.team]\ntype = \"string\"\n[variables.owner]\ntype = \"string\"\n[variables.x]\ntype = \"bool\"\ndefault = false\n",
        );
        let err = resolve_answers(&m, "bp", "s", &given(&[]), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no answer for required variables `team`, `owner`; pass them with --set NAME=VALUE or --answers FILE"
        );
    }

    #[test]
    fn unknown_given_variable_is_a_usage_error() {
        let err =
            resolve_answers(&manifest(BODY), "bp", "s", &given(&["prot=1"]), None).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("`prot`"), "{err}");
    }

    #[test]
    fn prompter_is_asked_only_for_unanswered_variables() {
        struct Recorder(Vec<String>);
        impl Prompter for Recorder {
            fn ask(&mut self, variable: &Variable, default: Option<&Value>) -> Result<Value> {
                self.0.push(variable.name.clone());
                Ok(default.cloned().unwrap_or(Value::String("x".into())))
            }
        }
        let mut recorder = Recorder(vec![]);
        resolve_answers(
            &manifest(BODY),
            "bp",
            "s",
            &given(&["port=1", "with_resource=false"]),
            Some(&mut recorder),
        )
        .unwrap();
        assert_eq!(recorder.0, ["database_name"]);
    }
}
