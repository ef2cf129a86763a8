//! Interactive questions with dialoguer, validated as the user types.

use dialoguer::theme::ColorfulTheme;
use dialoguer::{Confirm, Input, Select};

use crate::answers::{Value, VarType};
use crate::blueprint::Variable;
use crate::error::{Error, Result};
use crate::resolve::Prompter;

pub struct TerminalPrompter {
    theme: ColorfulTheme,
}

impl TerminalPrompter {
    pub fn new() -> Self {
        TerminalPrompter {
            theme: ColorfulTheme::default(),
        }
    }
}

impl Default for TerminalPrompter {
    fn default() -> Self {
        Self::new()
    }
}

impl Prompter for TerminalPrompter {
    fn ask(&mut self, variable: &Variable, default: Option<&Value>) -> Result<Value> {
        let prompt = match &variable.help {
            Some(help) => format!("{} ({help})", variable.prompt),
            None => variable.prompt.clone(),
        };
        let failed = |err: dialoguer::Error| Error::Prompt(err.to_string());
        match variable.kind {
            VarType::Bool => {
                let mut confirm = Confirm::with_theme(&self.theme).with_prompt(prompt);
                if let Some(default) = default.and_then(Value::as_bool) {
                    confirm = confirm.default(default);
                }
                confirm.interact().map(Value::Bool).map_err(failed)
            }
            VarType::Choice => {
                let selected = default
                    .and_then(|d| variable.choices.iter().position(|c| *c == d.to_string()))
                    .unwrap_or(0);
                let index = Select::with_theme(&self.theme)
                    .with_prompt(prompt)
                    .items(&variable.choices)
                    .default(selected)
                    .interact()
                    .map_err(failed)?;
                Ok(Value::String(variable.choices[index].clone()))
            }
            VarType::String | VarType::Integer | VarType::List => {
                let kind = variable.kind;
                let mut input = Input::<String>::with_theme(&self.theme)
                    .with_prompt(prompt)
                    .allow_empty(kind == VarType::List)
                    .validate_with(|text: &String| -> std::result::Result<(), String> {
                        let value = Value::parse(text, kind)?;
                        variable.check(&value)
                    });
                if let Some(default) = default {
                    input = input.default(default.to_string());
                }
                let text = input.interact_text().map_err(failed)?;
                Value::parse(&text, kind).map_err(|message| Error::InvalidAnswer {
                    variable: variable.name.clone(),
                    message,
                })
            }
        }
    }
}
