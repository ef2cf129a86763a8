//! The OpenAPI document, assembled from the `#[utoipa::path]` annotations,
//! plus the error responses every operation shares (see [`document_shared_errors`]).

use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{Components, Content, Ref, RefOr, Response};

use super::problem::PROBLEM_JSON;

/// Title, version and description come from `Cargo.toml`.
#[derive(OpenApi)]
#[openapi(
    tags(
        (name = "products", description = "The product listing: a read-only copy of the products of `product`, and their categories"),
        (name = "operations", description = "Probes for orchestrators and load balancers"),
    )
)]
pub struct ApiDoc;

/// The document served at `/openapi.json`, before the routes add their paths.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    // utoipa copies `license` from Cargo.toml; this service has none (it is not
    // published), so leave the field out rather than emit an empty name.
    document.info.license = None;
    document
}

/// The document as `/openapi.json` serves it and `api/openapi.json` keeps it:
/// pretty-printed, so a change to the contract reads well in a diff, and
/// ending with a newline, as a text file does.
pub fn to_json(document: &utoipa::openapi::OpenApi) -> String {
    let mut json =
        serde_json::to_string_pretty(document).expect("the OpenAPI document has only string keys");
    json.push('\n');
    json
}

/// The answers of the shared machinery (extractors, middleware), named in
/// `components.responses`: (status, component name, description, applies to).
const SHARED_ERRORS: &[(&str, &str, &str, Applies)] = &[
    (
        "400",
        "BadRequest",
        "The body is not JSON (`malformed_json`), or a path or query parameter has the wrong type (`invalid_path_parameter`, `invalid_query_parameter`)",
        Applies::WithInput,
    ),
    (
        "408",
        "RequestTimeout",
        "The request was not handled within the time limit (`request_timeout`)",
        Applies::Always,
    ),
    (
        "413",
        "PayloadTooLarge",
        "The body, or its announced `Content-Length`, exceeds the size limit (`payload_too_large`)",
        Applies::Always,
    ),
    (
        "415",
        "UnsupportedMediaType",
        "The body is not `application/json` (`unsupported_media_type`)",
        Applies::WithBody,
    ),
    (
        "422",
        "UnprocessableEntity",
        "The body has the wrong shape (`invalid_body`), or values break rules, such as text holding U+0000 (`validation_failed`, see `errors`)",
        Applies::WithInput,
    ),
    (
        "500",
        "InternalError",
        "An unexpected failure (`internal_error`); the cause is logged, never returned",
        Applies::Always,
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Applies {
    Always,
    /// Operations with a request body.
    WithBody,
    /// Operations with a request body, or path or query parameters.
    WithInput,
}

impl Applies {
    fn to(self, operation: &Operation) -> bool {
        let has_body = operation.request_body.is_some();
        let has_parameters = operation.parameters.iter().flatten().any(|parameter| {
            matches!(
                parameter,
                RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Path | ParameterIn::Query)
            )
        });
        match self {
            Self::Always => true,
            Self::WithBody => has_body,
            Self::WithInput => has_body || has_parameters,
        }
    }
}

/// Adds the problem+json answers every operation can give to each one that
/// does not document that status itself, so the document lists every status
/// the service answers (schemathesis checks this in CI).
pub fn document_shared_errors(mut document: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let components = document.components.get_or_insert_with(Components::new);
    for (_, name, description, _) in SHARED_ERRORS {
        let mut response = Response::new(*description);
        response.content.insert(
            PROBLEM_JSON.to_owned(),
            RefOr::T(Content::new(Some(Ref::from_schema_name("Problem")))),
        );
        components
            .responses
            .insert((*name).to_owned(), RefOr::T(response));
    }
    for item in document.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
            &mut item.query,
        ]
        .into_iter()
        .flatten()
        .chain(item.additional_operations.values_mut());
        for operation in operations {
            for (status, name, _, applies) in SHARED_ERRORS {
                if applies.to(operation) {
                    operation
                        .responses
                        .responses
                        .entry((*status).to_owned())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(*name)));
                }
            }
        }
    }
    document
}
