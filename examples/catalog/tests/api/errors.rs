//! Every error is an RFC 9457 problem, whatever produced it. Most of these
//! tests mount routes of their own behind the production middleware, using the
//! service's extractors, so they hold for every resource.

use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Method, Request, StatusCode, header};
use axum::routing::{get, post};
use futures_util::StreamExt;
use serde_json::{Value, json};
use uuid::Uuid;

use catalog::config::HttpConfig;
use catalog::http::extract::{Json, Path, Query};
use catalog::http::middleware;
use catalog::http::pagination::PageParams;

use crate::helpers::{TestResponse, http_config, send, spawn_app};

/// Routes exercising each extractor, behind the production middleware.
fn probe_app(config: &HttpConfig) -> Router {
    let routes = Router::new()
        .route(
            "/echo",
            post(|Json(body): Json<Value>| async { Json(body) }),
        )
        .route(
            "/things/{id}",
            get(|Path(id): Path<Uuid>| async move { id.to_string() }),
        )
        .route(
            "/things",
            get(|Query(page): Query<PageParams>| async move { format!("{page:?}") }),
        )
        .route(
            "/slow",
            get(|| async { tokio::time::sleep(Duration::from_secs(5)).await }),
        )
        .route(
            "/panic",
            get(|| async {
                if true {
                    panic!("secret internal detail");
                }
            }),
        );
    middleware::apply(routes, config)
}

async fn call(
    config: &HttpConfig,
    method: Method,
    uri: &str,
    body: Option<(&str, String)>,
) -> TestResponse {
    let mut request = Request::builder().method(method).uri(uri);
    let body = match body {
        Some((content_type, body)) => {
            request = request.header(header::CONTENT_TYPE, content_type);
            Body::from(body)
        }
        None => Body::empty(),
    };
    send(
        &probe_app(config),
        request.body(body).expect("valid request"),
    )
    .await
}

async fn post_echo(content_type: &str, body: &str) -> TestResponse {
    call(
        &http_config(),
        Method::POST,
        "/echo",
        Some((content_type, body.to_owned())),
    )
    .await
}

#[tokio::test]
async fn unknown_route_is_a_404_problem() {
    let app = spawn_app().await;

    let response = app.get("/v1/nothing-here").await;

    response.assert_problem(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn unsupported_method_is_a_405_problem_with_allow_header() {
    let app = spawn_app().await;

    let response = app
        .request(
            Request::patch("/livez")
                .body(Body::empty())
                .expect("valid request"),
        )
        .await;

    response.assert_problem(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    assert!(
        response
            .header("allow")
            .is_some_and(|allow| allow.contains("GET"))
    );
}

#[tokio::test]
async fn well_formed_json_passes_through() {
    let response = post_echo("application/json", r#"{"name": "lamp"}"#).await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["name"], "lamp");
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let response = post_echo("application/json", r#"{"name": "#).await;

    response.assert_problem(StatusCode::BAD_REQUEST, "malformed_json");
}

#[tokio::test]
async fn wrong_content_type_is_a_415_problem() {
    let response = post_echo("text/plain", r#"{"name": "lamp"}"#).await;

    response.assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
}

#[tokio::test]
async fn oversized_body_is_a_413_problem() {
    let body = format!(r#""{}""#, "x".repeat(http_config().body_limit_bytes));

    let response = post_echo("application/json", &body).await;

    response.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

#[tokio::test]
async fn announced_oversized_body_is_a_413_problem_at_once() {
    // 10 GiB announced, 20 bytes sent, then nothing: the answer must not wait for the rest.
    let stalled = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(
        b"{\"name\": \"0123456\"",
    ))])
    .chain(futures_util::stream::pending());
    let request = Request::post("/echo")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, "10737418240")
        .body(Body::from_stream(stalled))
        .expect("valid request");

    let response = tokio::time::timeout(
        Duration::from_secs(2),
        send(&probe_app(&http_config()), request),
    )
    .await
    .expect("answered without reading the body");

    response.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

#[tokio::test]
async fn text_with_a_nul_character_anywhere_in_a_body_is_a_422_naming_each_field() {
    let body = r#"{"name": "a\u0000b", "tags": ["ok", "\u0000"], "note": "a\\u0000 is fine"}"#;

    let response = post_echo("application/json", body).await;

    let problem = response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(
        problem["errors"],
        json!([
            { "field": "name", "code": "nul_character", "message": "must not contain the NUL character (U+0000)" },
            { "field": "tags[1]", "code": "nul_character", "message": "must not contain the NUL character (U+0000)" },
        ])
    );
    let escaped_backslash = post_echo("application/json", r#"{"note": "a\\u0000"}"#).await;
    assert_eq!(
        escaped_backslash.status,
        StatusCode::OK,
        "{}",
        escaped_backslash.text()
    );
}

#[tokio::test]
async fn nul_character_in_a_query_or_path_parameter_is_a_422_naming_it() {
    let query = call(&http_config(), Method::GET, "/things?limit=5&q=a%00", None).await;
    let path = call(&http_config(), Method::GET, "/things/%00", None).await;

    let problem = query.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "q", "{problem}");
    let problem = path.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "id", "{problem}");
    assert_eq!(problem["errors"][0]["code"], "nul_character");
}

#[tokio::test]
async fn invalid_path_parameter_is_a_400_problem() {
    let response = call(&http_config(), Method::GET, "/things/not-a-uuid", None).await;

    response.assert_problem(StatusCode::BAD_REQUEST, "invalid_path_parameter");
}

#[tokio::test]
async fn invalid_query_parameter_is_a_400_problem() {
    let response = call(&http_config(), Method::GET, "/things?limit=many", None).await;

    response.assert_problem(StatusCode::BAD_REQUEST, "invalid_query_parameter");
}

#[tokio::test]
async fn slow_request_is_a_408_problem() {
    let mut config = http_config();
    config.request_timeout = Duration::from_millis(50);

    let response = call(&config, Method::GET, "/slow", None).await;

    response.assert_problem(StatusCode::REQUEST_TIMEOUT, "request_timeout");
}

#[tokio::test]
async fn panic_is_a_masked_500_problem() {
    let response = call(&http_config(), Method::GET, "/panic", None).await;

    let problem = response.assert_problem(StatusCode::INTERNAL_SERVER_ERROR, "internal_error");
    assert!(!response.text().contains("secret"), "{problem}");
    assert!(response.header("x-request-id").is_some());
}
