//! The state of one comparison: both documents, the findings so far, and the pairs of
//! `$ref`'d schemas already compared (so a schema used by many operations is reported once,
//! and a recursive schema ends).

use std::collections::HashSet;

use serde_json::Value;

use super::finding::{Direction, Effect, Finding, Rule, Severity};

pub(crate) struct Walk<'a> {
    pub old_root: &'a Value,
    pub new_root: &'a Value,
    pub findings: Vec<Finding>,
    /// (old pointer, new pointer, direction) of every schema compared.
    seen: HashSet<(String, String, Direction)>,
}

/// Where the walk is, in both documents, and what a person calls it.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    pub old: String,
    pub new: String,
    /// Where in the API or event this is, for messages: `request body of POST /v1/items`.
    pub context: String,
    /// The field inside a schema, dotted (`data.price_cents`, `tags[]`); empty at its top.
    pub field: String,
}

impl Place {
    pub fn root(context: impl Into<String>) -> Place {
        Place {
            old: String::new(),
            new: String::new(),
            context: context.into(),
            field: String::new(),
        }
    }

    /// One token deeper in both documents.
    pub fn child(&self, token: &str) -> Place {
        Place {
            old: super::pointer::child(&self.old, token),
            new: super::pointer::child(&self.new, token),
            ..self.clone()
        }
    }

    /// `what`, prefixed with the field when there is one: "`data.name`: what".
    pub fn describe(&self, what: &str) -> String {
        let field = if self.field.is_empty() {
            String::new()
        } else {
            format!("`{}`: ", self.field)
        };
        format!("{field}{what} ({})", self.context)
    }
}

/// Which document a finding's pointer is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum In {
    Old,
    New,
}

/// Where a finding points: a place's schema in one document, or one of its keywords.
#[derive(Debug, Clone, Copy)]
pub(crate) struct At<'k> {
    pub side: In,
    pub keyword: Option<&'k str>,
}

impl<'k> At<'k> {
    pub fn old(keyword: Option<&'k str>) -> At<'k> {
        At {
            side: In::Old,
            keyword,
        }
    }

    pub fn new(keyword: Option<&'k str>) -> At<'k> {
        At {
            side: In::New,
            keyword,
        }
    }
}

impl<'a> Walk<'a> {
    pub fn new(old_root: &'a Value, new_root: &'a Value) -> Walk<'a> {
        Walk {
            old_root,
            new_root,
            findings: Vec::new(),
            seen: HashSet::new(),
        }
    }

    /// Whether this pair of schemas is compared for the first time in this direction; marks it.
    pub fn first_visit(&mut self, old: &str, new: &str, direction: Direction) -> bool {
        self.seen
            .insert((old.to_owned(), new.to_owned(), direction))
    }

    pub fn report(&mut self, rule: Rule, severity: Severity, pointer: String, message: String) {
        self.findings.push(Finding {
            pointer,
            rule,
            severity,
            message,
        });
    }

    /// A schema change whose severity follows from its effect and the direction; the message
    /// gets the reason it breaks, when it does.
    pub fn report_effect(
        &mut self,
        rule: Rule,
        effect: Effect,
        direction: Direction,
        place: &Place,
        at: At<'_>,
        what: &str,
    ) {
        let base = match at.side {
            In::Old => &place.old,
            In::New => &place.new,
        };
        let pointer = match at.keyword {
            Some(keyword) => super::pointer::child(base, keyword),
            None => base.clone(),
        };
        let severity = effect.severity(direction);
        let mut message = place.describe(what);
        if severity == Severity::Breaking {
            message.push_str(": ");
            message.push_str(why(effect, direction));
        }
        self.report(rule, severity, pointer, message);
    }
}

/// Why a change with this effect breaks the readers in this direction.
pub(crate) fn why(effect: Effect, direction: Direction) -> &'static str {
    match (direction, effect) {
        (Direction::Request, _) => "requests that were valid may now be rejected",
        (Direction::Response, Effect::Changes) => {
            "clients may receive values they were not written for, and stop receiving ones they were"
        }
        (Direction::Response, _) => "clients may receive values they were not written for",
        (Direction::Event, Effect::Widens) => {
            "consumers built on the old contract may receive events they do not expect"
        }
        (Direction::Event, Effect::Narrows) => {
            "events already in the stream, and consumers' replays of them, may not match the new contract"
        }
        (Direction::Event, Effect::Changes) => {
            "old consumers may not read new events, nor new consumers the events already in the stream"
        }
    }
}
