//! Probes, metrics, the OpenAPI document, request ids and shutdown.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use tokio::sync::oneshot;

use catalog::healthcheck::probe;
use catalog::server::Server;

use crate::helpers::{http_config, spawn_app};

#[tokio::test]
async fn livez_answers_ok() {
    let app = spawn_app().await;

    let response = app.get("/livez").await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["status"], "ok");
}

#[tokio::test]
async fn readyz_answers_ok_when_the_database_is_reachable() {
    let app = spawn_app().await;

    let response = app.get("/readyz").await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["status"], "ok");
}

#[tokio::test]
async fn readyz_answers_503_once_draining_has_begun() {
    let app = spawn_app().await;

    app.state.readiness.begin_draining();
    let response = app.get("/readyz").await;

    let problem = response.assert_problem(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert_eq!(problem["detail"], "shutting down");
    assert_eq!(app.get("/livez").await.status, StatusCode::OK);
}

#[tokio::test]
async fn readyz_answers_503_when_the_database_is_closed() {
    let app = spawn_app().await;

    app.state.db.close().await;
    let response = app.get("/readyz").await;

    let problem = response.assert_problem(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert_eq!(problem["detail"], "database unreachable");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;

    let generated = app.get("/livez").await;
    let propagated = app
        .request(
            Request::get("/livez")
                .header("x-request-id", "req-from-client")
                .body(Body::empty())
                .expect("valid request"),
        )
        .await;
    let error = app.get("/no-such-route").await;

    let id = generated.header("x-request-id").expect("generated id");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id} is not a UUID");
    assert_eq!(propagated.header("x-request-id"), Some("req-from-client"));
    assert!(error.header("x-request-id").is_some());
}

#[tokio::test]
async fn request_ids_unsafe_to_log_are_replaced_by_a_generated_one() {
    let app = spawn_app().await;
    let with_ids = |ids: &[&str]| {
        let mut request = Request::get("/livez");
        for id in ids {
            request = request.header("x-request-id", *id);
        }
        request.body(Body::empty()).expect("valid request")
    };
    let longest = "a".repeat(128);

    for ids in [
        vec!["x".repeat(129)],
        vec!["has space".to_owned()],
        vec!["quote\"and{brace}".to_owned()],
        vec!["one".to_owned(), "two".to_owned()],
    ] {
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let response = app.request(with_ids(&ids)).await;
        let id = response.header("x-request-id").expect("an id");
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{ids:?} gave {id}");
    }
    let kept = app.request(with_ids(&[&longest])).await;
    assert_eq!(kept.header("x-request-id"), Some(longest.as_str()));
    let kept = app.request(with_ids(&["trace-1.2:3_4/5+6=7@x"])).await;
    assert_eq!(kept.header("x-request-id"), Some("trace-1.2:3_4/5+6=7@x"));
}

#[tokio::test]
async fn metrics_count_requests_by_method_route_and_status() {
    let app = spawn_app().await;
    app.get("/livez").await;
    app.get("/no-such-route").await;

    let response = app.get("/metrics").await;

    assert_eq!(response.status, StatusCode::OK);
    assert!(
        response
            .header("content-type")
            .is_some_and(|ct| ct.starts_with("text/plain"))
    );
    let text = response.text();
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/livez",status="200"}"#),
        "{text}"
    );
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="unmatched",status="404"}"#),
        "{text}"
    );
    assert!(
        text.contains("http_request_duration_seconds_bucket{"),
        "{text}"
    );
}

#[tokio::test]
async fn openapi_document_is_openapi_3_1_and_lists_the_routes() {
    let app = spawn_app().await;

    let response = app.get("/openapi.json").await;

    assert_eq!(response.status, StatusCode::OK);
    let doc = response.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "catalog");
    assert!(doc["info"].get("license").is_none());
    let paths = doc["paths"].as_object().expect("paths object");
    for path in ["/livez", "/readyz"] {
        assert!(paths.contains_key(path), "{path} missing from {doc}");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
}

#[tokio::test]
async fn openapi_json_serves_the_committed_contract() {
    let app = spawn_app().await;
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/api/openapi.json"))
            .expect("api/openapi.json is committed (`make api` writes it)");

    let response = app.get("/openapi.json").await;

    assert_eq!(response.status, StatusCode::OK);
    assert!(
        response.text() == committed,
        "GET /openapi.json differs from api/openapi.json: run `make api` and commit the result"
    );
}

#[tokio::test]
async fn openapi_document_lists_the_shared_error_responses_on_every_operation() {
    let app = spawn_app().await;
    let doc = app.get("/openapi.json").await.json();

    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let responses = operation["responses"].as_object().expect("responses");
            let has_body = operation.get("requestBody").is_some();
            let has_parameters = operation
                .get("parameters")
                .and_then(Value::as_array)
                .is_some_and(|p| !p.is_empty());
            let mut expected = vec!["408", "413", "500"];
            if has_body || has_parameters {
                expected.extend(["400", "422"]);
            }
            if has_body {
                expected.push("415");
            }
            for status in expected {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} does not document {status}: {responses:?}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 2, "{doc}");
    for name in [
        "BadRequest",
        "RequestTimeout",
        "PayloadTooLarge",
        "UnsupportedMediaType",
        "UnprocessableEntity",
        "InternalError",
    ] {
        let response = &doc["components"]["responses"][name];
        assert_eq!(
            response["content"]["application/problem+json"]["schema"]["$ref"],
            "#/components/schemas/Problem",
            "{name}: {response}"
        );
    }
}

#[tokio::test]
async fn server_drains_then_stops_after_the_shutdown_signal() {
    let app = spawn_app().await;
    let server = Server::bind(&http_config(), app.state.clone())
        .await
        .expect("bind port 0");
    let addr: SocketAddr = server.local_addr().expect("bound address");
    let (stop, stopped) = oneshot::channel::<()>();
    let running = tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));
    let get = |path: &'static str| probe(addr, path, Duration::from_secs(2));

    assert_eq!(get("/readyz").await.expect("probe"), 200);
    stop.send(()).expect("server is running");
    tokio::time::sleep(Duration::from_millis(100)).await;

    // Draining: still serving, but no longer ready.
    assert_eq!(get("/readyz").await.expect("probe"), 503);
    assert_eq!(get("/livez").await.expect("probe"), 200);

    tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("server stops after the drain period")
        .expect("server task")
        .expect("server exits cleanly");
    assert!(get("/livez").await.is_err(), "listener is closed");
}
