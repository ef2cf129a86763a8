//! Answers: the typed values of a blueprint's variables, and where they come from.
//!
//! Answers arrive as text (`--set port=8080`, a prompt) or as TOML/JSON values (`--answers FILE`,
//! a record). Both are parsed against the variable's declared type here, so every other module
//! sees only typed [`Value`]s.

use std::fmt;
use std::path::Path;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VarType {
    String,
    Bool,
    Integer,
    Choice,
    List,
}

impl fmt::Display for VarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VarType::String => "string",
            VarType::Bool => "bool",
            VarType::Integer => "integer",
            VarType::Choice => "choice",
            VarType::List => "list",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Integer(i64),
    String(String),
    List(Vec<String>),
}

impl Value {
    /// Parses text typed by a person (or given with `--set`) as a value of `kind`.
    pub fn parse(text: &str, kind: VarType) -> std::result::Result<Value, String> {
        match kind {
            VarType::String | VarType::Choice => Ok(Value::String(text.to_owned())),
            VarType::Bool => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "1" | "on" => Ok(Value::Bool(true)),
                "false" | "no" | "n" | "0" | "off" => Ok(Value::Bool(false)),
                _ => Err(format!("expected true or false, got `{text}`")),
            },
            VarType::Integer => text
                .trim()
                .parse()
                .map(Value::Integer)
                .map_err(|_| format!("expected a whole number, got `{text}`")),
            VarType::List => Ok(Value::List(
                text.split(',')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(str::to_owned)
                    .collect(),
            )),
        }
    }

    /// Converts a TOML value (from a blueprint default, an answers file or a record).
    pub fn from_toml(value: &toml::Value, kind: VarType) -> std::result::Result<Value, String> {
        match (kind, value) {
            (VarType::String | VarType::Choice, toml::Value::String(s)) => {
                Ok(Value::String(s.clone()))
            }
            (VarType::Bool, toml::Value::Boolean(b)) => Ok(Value::Bool(*b)),
            (VarType::Integer, toml::Value::Integer(n)) => Ok(Value::Integer(*n)),
            (VarType::List, toml::Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    toml::Value::String(s) => Ok(s.clone()),
                    other => Err(format!(
                        "expected a list of strings, found {}",
                        other.type_str()
                    )),
                })
                .collect::<std::result::Result<_, _>>()
                .map(Value::List),
            // Text is accepted for every type, parsed as if typed at a prompt.
            (_, toml::Value::String(s)) => Value::parse(s, kind),
            (_, other) => Err(format!("expected {kind}, found {}", other.type_str())),
        }
    }

    pub fn to_toml(&self) -> toml::Value {
        match self {
            Value::Bool(b) => toml::Value::Boolean(*b),
            Value::Integer(n) => toml::Value::Integer(*n),
            Value::String(s) => toml::Value::String(s.clone()),
            Value::List(items) => {
                toml::Value::Array(items.iter().cloned().map(toml::Value::String).collect())
            }
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Integer(n) => write!(f, "{n}"),
            Value::String(s) => f.write_str(s),
            Value::List(items) => f.write_str(&items.join(", ")),
        }
    }
}

/// Variable name to value, in the order the variables were resolved.
pub type Answers = IndexMap<String, Value>;

/// Answers given up front, before their types are known: text from `--set`, values from a file.
#[derive(Debug, Default, Clone)]
pub struct GivenAnswers {
    values: IndexMap<String, toml::Value>,
    /// The answers file the values (those not set again with `--set`) came from.
    file: Option<AnswersFile>,
}

/// An `--answers` file, kept to say where a bad answer in it is.
#[derive(Debug, Clone)]
struct AnswersFile {
    path: std::path::PathBuf,
    /// The file's keys not set again on the command line.
    keys: std::collections::HashSet<String>,
    /// Where they are, where found.
    lines: std::collections::HashMap<String, usize>,
}

/// Where a given answer came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GivenBy<'a> {
    CommandLine,
    File { path: &'a Path, line: Option<usize> },
}

impl GivenAnswers {
    /// Reads an answers file: TOML, or JSON when the file name ends in `.json`.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|err| Error::io(path, err))?;
        let is_json = path.extension().is_some_and(|ext| ext == "json");
        let values: IndexMap<String, toml::Value> = if is_json {
            serde_json::from_str(&text).map_err(|err| Error::Record {
                path: path.to_owned(),
                message: format!("line {}, column {}: {err}", err.line(), err.column()),
            })?
        } else {
            toml::from_str(&text).map_err(|err| {
                let at = err
                    .span()
                    .map(|span| {
                        let (line, column) =
                            crate::service::record::line_and_column(&text, span.start);
                        format!("line {line}, column {column}: ")
                    })
                    .unwrap_or_default();
                Error::Record {
                    path: path.to_owned(),
                    message: format!("{at}{}", err.message().trim_end()),
                }
            })?
        };
        let lines = if is_json {
            values
                .keys()
                .filter_map(|key| {
                    let quoted = format!("\"{key}\"");
                    let line = text.lines().position(|l| l.contains(&quoted))? + 1;
                    Some((key.clone(), line))
                })
                .collect()
        } else {
            let located = crate::blueprint::locate::ManifestLines::new(&text);
            values
                .keys()
                .filter_map(|key| Some((key.clone(), located.line(key)?)))
                .collect()
        };
        Ok(GivenAnswers {
            file: Some(AnswersFile {
                path: path.to_owned(),
                keys: values.keys().cloned().collect(),
                lines,
            }),
            values,
        })
    }

    pub fn from_values(values: IndexMap<String, toml::Value>) -> Self {
        GivenAnswers { values, file: None }
    }

    /// Where the answer `name` came from.
    pub fn given_by(&self, name: &str) -> GivenBy<'_> {
        match &self.file {
            Some(file) if file.keys.contains(name) => GivenBy::File {
                path: &file.path,
                line: file.lines.get(name).copied(),
            },
            _ => GivenBy::CommandLine,
        }
    }

    /// Adds `KEY=VALUE` from the command line; later ones win.
    pub fn set(&mut self, assignment: &str) -> Result<()> {
        let (key, value) = assignment
            .split_once('=')
            .ok_or_else(|| Error::Usage(format!("--set expects KEY=VALUE, got `{assignment}`")))?;
        let key = key.trim();
        if key.is_empty() {
            return Err(Error::Usage(format!(
                "--set expects KEY=VALUE, got `{assignment}`"
            )));
        }
        self.values
            .insert(key.to_owned(), toml::Value::String(value.to_owned()));
        // Set again on the command line: no longer the file's.
        if let Some(file) = &mut self.file {
            file.keys.remove(key);
        }
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&toml::Value> {
        self.values.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_parsed_by_type() {
        assert_eq!(Value::parse("yes", VarType::Bool), Ok(Value::Bool(true)));
        assert_eq!(
            Value::parse(" 8080 ", VarType::Integer),
            Ok(Value::Integer(8080))
        );
        assert_eq!(
            Value::parse("a, b,,c", VarType::List),
            Ok(Value::List(vec!["a".into(), "b".into(), "c".into()]))
        );
        assert!(Value::parse("maybe", VarType::Bool).is_err());
        assert!(Value::parse("80.5", VarType::Integer).is_err());
    }

    #[test]
    fn toml_values_must_match_the_type() {
        assert_eq!(
            Value::from_toml(&toml::Value::Integer(3), VarType::Integer),
            Ok(Value::Integer(3))
        );
        assert_eq!(
            Value::from_toml(&toml::Value::String("false".into()), VarType::Bool),
            Ok(Value::Bool(false))
        );
        let err = Value::from_toml(&toml::Value::Boolean(true), VarType::Integer).unwrap_err();
        assert_eq!(err, "expected integer, found boolean");
    }

    #[test]
    fn set_requires_key_value() {
        let mut given = GivenAnswers::default();
        given.set("port=9000").unwrap();
        given.set("description=a=b").unwrap();
        assert_eq!(
            given.get("description"),
            Some(&toml::Value::String("a=b".into()))
        );
        assert!(matches!(given.set("port"), Err(Error::Usage(_))));
        assert!(matches!(given.set("=1"), Err(Error::Usage(_))));
    }
}
