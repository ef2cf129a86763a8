//! What `svcgen contract diff` reports: one finding per change between two contracts, each a
//! rule, a place and whether it breaks the contract's readers.

use serde::Serialize;

/// Whether a change breaks someone who relies on the old contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// A client, consumer or stored event valid under the old contract may fail under the new.
    Breaking,
    /// Worth a note in a review; nobody relying on the old contract fails.
    Compatible,
}

/// Who reads the values a schema describes, which decides whether accepting more or fewer
/// values breaks anyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Clients write, the service reads: accepting fewer values breaks clients.
    Request,
    /// The service writes, clients read: sending values the old contract ruled out breaks
    /// clients, which were written against it.
    Response,
    /// The producer writes, consumers read, and the stream keeps old events: consumers built
    /// against the old contract read new events (so sending more breaks them), and consumers
    /// built against the new one read events kept from before (so accepting fewer breaks them).
    Event,
}

/// How a change moves the set of values a schema allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Fewer values are allowed than before.
    Narrows,
    /// More values are allowed than before.
    Widens,
    /// Some values are newly allowed and others newly ruled out.
    Changes,
}

impl Effect {
    /// Whether this effect breaks the readers of a schema used in this direction.
    pub fn severity(self, direction: Direction) -> Severity {
        let breaks = match (self, direction) {
            (Effect::Changes, _) | (_, Direction::Event) => true,
            (Effect::Narrows, Direction::Request) | (Effect::Widens, Direction::Response) => true,
            (Effect::Narrows, Direction::Response) | (Effect::Widens, Direction::Request) => false,
        };
        if breaks {
            Severity::Breaking
        } else {
            Severity::Compatible
        }
    }
}

/// Every rule `contract diff` applies; `docs/contracts.md` has a row for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    PathRemoved,
    PathAdded,
    OperationRemoved,
    OperationAdded,
    ParameterRemoved,
    ParameterAdded,
    RequiredParameterAdded,
    ParameterBecameRequired,
    ParameterBecameOptional,
    RequestBodyBecameRequired,
    RequestBodyBecameOptional,
    RequestBodyRemoved,
    RequestMediaTypeRemoved,
    RequestMediaTypeAdded,
    ResponseRemoved,
    ResponseAdded,
    ResponseMediaTypeRemoved,
    ResponseMediaTypeAdded,
    TypeChanged,
    TypeNarrowed,
    TypeWidened,
    PropertyRemoved,
    PropertyAdded,
    RequiredPropertyAdded,
    PropertyBecameRequired,
    PropertyBecameOptional,
    EnumValueRemoved,
    EnumValueAdded,
    EnumAdded,
    EnumRemoved,
    ConstraintTightened,
    ConstraintLoosened,
    PatternAdded,
    PatternRemoved,
    PatternChanged,
    FormatNarrowed,
    FormatWidened,
    FormatChanged,
    AdditionalPropertiesForbidden,
    AdditionalPropertiesAllowed,
    AlternativeAdded,
    AlternativeRemoved,
}

impl Rule {
    /// Every rule, in the order of the table in `docs/contracts.md`.
    pub const ALL: &[Rule] = &[
        Rule::PathRemoved,
        Rule::PathAdded,
        Rule::OperationRemoved,
        Rule::OperationAdded,
        Rule::ParameterRemoved,
        Rule::ParameterAdded,
        Rule::RequiredParameterAdded,
        Rule::ParameterBecameRequired,
        Rule::ParameterBecameOptional,
        Rule::RequestBodyBecameRequired,
        Rule::RequestBodyBecameOptional,
        Rule::RequestBodyRemoved,
        Rule::RequestMediaTypeRemoved,
        Rule::RequestMediaTypeAdded,
        Rule::ResponseRemoved,
        Rule::ResponseAdded,
        Rule::ResponseMediaTypeRemoved,
        Rule::ResponseMediaTypeAdded,
        Rule::TypeChanged,
        Rule::TypeNarrowed,
        Rule::TypeWidened,
        Rule::PropertyRemoved,
        Rule::PropertyAdded,
        Rule::RequiredPropertyAdded,
        Rule::PropertyBecameRequired,
        Rule::PropertyBecameOptional,
        Rule::EnumValueRemoved,
        Rule::EnumValueAdded,
        Rule::EnumAdded,
        Rule::EnumRemoved,
        Rule::ConstraintTightened,
        Rule::ConstraintLoosened,
        Rule::PatternAdded,
        Rule::PatternRemoved,
        Rule::PatternChanged,
        Rule::FormatNarrowed,
        Rule::FormatWidened,
        Rule::FormatChanged,
        Rule::AdditionalPropertiesForbidden,
        Rule::AdditionalPropertiesAllowed,
        Rule::AlternativeAdded,
        Rule::AlternativeRemoved,
    ];

    /// The rule's id, as printed and as in the docs' table.
    pub fn id(self) -> &'static str {
        match self {
            Rule::PathRemoved => "path-removed",
            Rule::PathAdded => "path-added",
            Rule::OperationRemoved => "operation-removed",
            Rule::OperationAdded => "operation-added",
            Rule::ParameterRemoved => "parameter-removed",
            Rule::ParameterAdded => "parameter-added",
            Rule::RequiredParameterAdded => "required-parameter-added",
            Rule::ParameterBecameRequired => "parameter-became-required",
            Rule::ParameterBecameOptional => "parameter-became-optional",
            Rule::RequestBodyBecameRequired => "request-body-became-required",
            Rule::RequestBodyBecameOptional => "request-body-became-optional",
            Rule::RequestBodyRemoved => "request-body-removed",
            Rule::RequestMediaTypeRemoved => "request-media-type-removed",
            Rule::RequestMediaTypeAdded => "request-media-type-added",
            Rule::ResponseRemoved => "response-removed",
            Rule::ResponseAdded => "response-added",
            Rule::ResponseMediaTypeRemoved => "response-media-type-removed",
            Rule::ResponseMediaTypeAdded => "response-media-type-added",
            Rule::TypeChanged => "type-changed",
            Rule::TypeNarrowed => "type-narrowed",
            Rule::TypeWidened => "type-widened",
            Rule::PropertyRemoved => "property-removed",
            Rule::PropertyAdded => "property-added",
            Rule::RequiredPropertyAdded => "required-property-added",
            Rule::PropertyBecameRequired => "property-became-required",
            Rule::PropertyBecameOptional => "property-became-optional",
            Rule::EnumValueRemoved => "enum-value-removed",
            Rule::EnumValueAdded => "enum-value-added",
            Rule::EnumAdded => "enum-added",
            Rule::EnumRemoved => "enum-removed",
            Rule::ConstraintTightened => "constraint-tightened",
            Rule::ConstraintLoosened => "constraint-loosened",
            Rule::PatternAdded => "pattern-added",
            Rule::PatternRemoved => "pattern-removed",
            Rule::PatternChanged => "pattern-changed",
            Rule::FormatNarrowed => "format-narrowed",
            Rule::FormatWidened => "format-widened",
            Rule::FormatChanged => "format-changed",
            Rule::AdditionalPropertiesForbidden => "additional-properties-forbidden",
            Rule::AdditionalPropertiesAllowed => "additional-properties-allowed",
            Rule::AlternativeAdded => "alternative-added",
            Rule::AlternativeRemoved => "alternative-removed",
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// One change between two contracts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// A JSON pointer (RFC 6901) to the changed place: in the new document, or in the old one
    /// for what was removed. Inside a `$ref`'d schema it is the schema's own place
    /// (`/components/schemas/Item/...`); the message names where it is used.
    pub pointer: String,
    pub rule: Rule,
    pub severity: Severity,
    /// What changed and, for a breaking change, whom it breaks.
    pub message: String,
}

impl Finding {
    pub fn is_breaking(&self) -> bool {
        self.severity == Severity::Breaking
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrowing_breaks_requests_and_events_but_not_responses() {
        assert_eq!(
            Effect::Narrows.severity(Direction::Request),
            Severity::Breaking
        );
        assert_eq!(
            Effect::Narrows.severity(Direction::Response),
            Severity::Compatible
        );
        assert_eq!(
            Effect::Narrows.severity(Direction::Event),
            Severity::Breaking
        );
    }

    #[test]
    fn widening_breaks_responses_and_events_but_not_requests() {
        assert_eq!(
            Effect::Widens.severity(Direction::Request),
            Severity::Compatible
        );
        assert_eq!(
            Effect::Widens.severity(Direction::Response),
            Severity::Breaking
        );
        assert_eq!(
            Effect::Widens.severity(Direction::Event),
            Severity::Breaking
        );
    }

    #[test]
    fn rule_ids_are_unique_and_serialise_as_printed() {
        let mut ids: Vec<_> = Rule::ALL.iter().map(|r| r.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Rule::ALL.len());
        for rule in Rule::ALL {
            assert_eq!(
                serde_json::to_value(rule).unwrap(),
                serde_json::Value::String(rule.id().to_owned())
            );
        }
    }
}
