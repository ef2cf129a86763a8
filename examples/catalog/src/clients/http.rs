//! What every client shares: its settings, calls with a timeout and retries, the request id
//! carried over from the request being handled, problem+json errors as a type, and pages of a
//! collection.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use reqwest::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::config::{Reader, positive_integer};
use crate::http::middleware::REQUEST_ID_HEADER;

/// The longest wait between two attempts, whatever `Retry-After` asks for.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);

/// How much of a body that is not a problem an error keeps, for its message.
const ERROR_BODY_LIMIT: usize = 1024;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Middleware: keeps the id of the request being handled (the request-id layer has set it)
/// for the calls its handler makes, so one id follows a request through every service's logs.
pub async fn capture_request_id(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    match id {
        Some(id) => REQUEST_ID.scope(id, next.run(request)).await,
        None => next.run(request).await,
    }
}

/// Runs `work` with `id` as the request id its calls carry: for work that no request started
/// (a consumer, a backfill), so its calls can be followed too.
pub async fn with_request_id<F: Future>(id: impl Into<String>, work: F) -> F::Output {
    REQUEST_ID.scope(id.into(), work).await
}

/// The request id calls made now carry, if any.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Where a service is and how long to wait for it.
#[derive(Clone)]
pub struct ClientSettings {
    /// `<NAME>_URL`: the service's base URL; operation paths go under it.
    pub base_url: Url,
    /// `<NAME>_TIMEOUT_MILLIS`: the longest one attempt may take, the body included.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// `<NAME>_RETRIES`: attempts after the first, for idempotent calls only.
    pub max_retries: u32,
    /// The wait before the first retry; each next one waits about twice as long.
    pub retry_delay: Duration,
}

impl ClientSettings {
    /// Settings with the defaults `.env.example` documents.
    pub fn new(base_url: Url) -> Self {
        Self {
            base_url,
            timeout: Duration::from_millis(5000),
            connect_timeout: Duration::from_secs(2),
            max_retries: 2,
            retry_delay: Duration::from_millis(100),
        }
    }

    /// Reads `<prefix>_URL`, `<prefix>_TIMEOUT_MILLIS` and `<prefix>_RETRIES`.
    pub(crate) fn read(reader: &mut Reader<'_>, prefix: &str, default_url: &str) -> Self {
        let url_key = format!("{prefix}_URL");
        // Not through `reader.parse`, which quotes bad values: a URL may hold a password.
        let raw = (reader.lookup)(&url_key).unwrap_or_else(|| default_url.to_owned());
        let base_url = match parse_base_url(raw.trim()) {
            Ok(url) => url,
            Err(expected) => {
                reader.problems.push(format!(
                    "{url_key}: {expected} (value not shown: it may hold a password)"
                ));
                Url::parse(default_url)
                    .unwrap_or_else(|_| Url::parse("http://localhost").expect("a valid URL"))
            }
        };
        let defaults = Self::new(base_url);
        let timeout = reader.parse(
            &format!("{prefix}_TIMEOUT_MILLIS"),
            defaults.timeout.as_millis() as u64,
            positive_integer,
        );
        let max_retries =
            reader.parse(
                &format!("{prefix}_RETRIES"),
                defaults.max_retries,
                |v| match v.parse::<u32>() {
                    Ok(n) if n <= 10 => Ok(n),
                    _ => Err("expected an integer from 0 to 10".to_owned()),
                },
            );
        Self {
            timeout: Duration::from_millis(timeout),
            max_retries,
            ..defaults
        }
    }
}

fn parse_base_url(value: &str) -> Result<Url, String> {
    let expected = || "expected an http:// or https:// URL".to_owned();
    let url = Url::parse(value).map_err(|_| expected())?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(expected());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("expected a base URL without a query or fragment".to_owned());
    }
    Ok(url)
}

impl fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.base_url.clone();
        if shown.password().is_some() {
            let _ = shown.set_password(Some("redacted"));
        }
        f.debug_struct("ClientSettings")
            .field("base_url", &shown.as_str())
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_retries", &self.max_retries)
            .field("retry_delay", &self.retry_delay)
            .finish()
    }
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The service answered with a problem (`application/problem+json`): dispatch on
    /// `problem.code` (`not_found`, `validation_failed`, `version_conflict`, ...).
    #[error("{service} answered {status}: {}", .problem.detail)]
    Problem {
        service: &'static str,
        status: StatusCode,
        problem: Box<Problem>,
    },
    /// The service answered an error without a problem body (a proxy in between, say).
    #[error("{service} answered {status}")]
    Status {
        service: &'static str,
        status: StatusCode,
        body: String,
    },
    #[error("{service} did not answer in time")]
    Timeout {
        service: &'static str,
        #[source]
        source: reqwest::Error,
    },
    #[error("cannot reach {service}")]
    Transport {
        service: &'static str,
        #[source]
        source: reqwest::Error,
    },
    #[error("{service} answered with a body this client cannot read")]
    Decode {
        service: &'static str,
        #[source]
        source: reqwest::Error,
    },
}

impl ClientError {
    /// The status the service answered, when it answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Problem { status, .. } | Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Self::Problem { problem, .. } => Some(problem),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// The fields a `validation_failed` problem names, with the rule each broke.
    pub fn field_errors(&self) -> &[FieldError] {
        self.problem().map_or(&[], |problem| &problem.errors)
    }

    async fn from_response(service: &'static str, response: reqwest::Response) -> Self {
        let status = response.status();
        let is_problem = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/problem+json"));
        let mut body = response.text().await.unwrap_or_default();
        if is_problem && let Ok(problem) = serde_json::from_str::<Problem>(&body) {
            return Self::Problem {
                service,
                status,
                problem: Box::new(problem),
            };
        }
        if body.len() > ERROR_BODY_LIMIT {
            let mut end = ERROR_BODY_LIMIT;
            while !body.is_char_boundary(end) {
                end -= 1;
            }
            body.truncate(end);
        }
        Self::Status {
            service,
            status,
            body,
        }
    }
}

/// An `application/problem+json` body (RFC 9457), as every service made by svcgen answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub status: u16,
    #[serde(default)]
    pub detail: String,
    /// Stable and machine-readable: `not_found`, `validation_failed`, `version_conflict`.
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub errors: Vec<FieldError>,
}

/// One rule a field of the request broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

/// How a client reaches its service: one connection pool, the settings, and the rules for
/// sending a call again.
#[derive(Debug, Clone)]
pub struct Transport {
    service: &'static str,
    http: reqwest::Client,
    settings: ClientSettings,
}

impl Transport {
    pub fn new(service: &'static str, settings: &ClientSettings) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .user_agent(concat!(
                env!("CARGO_PKG_NAME"),
                "/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|source| ClientError::Transport { service, source })?;
        Ok(Self {
            service,
            http,
            settings: settings.clone(),
        })
    }

    /// The URL of `segments` under the base URL, each one percent-encoded.
    pub fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.settings.base_url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    pub fn request(&self, method: Method, url: Url) -> reqwest::RequestBuilder {
        self.http.request(method, url)
    }

    /// Sends `request` and reads its JSON body.
    pub async fn json<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        idempotent: bool,
    ) -> Result<T, ClientError> {
        let response = self.send(request, idempotent).await?;
        response.json().await.map_err(|source| ClientError::Decode {
            service: self.service,
            source,
        })
    }

    /// Sends `request`, whose success has no body.
    pub async fn empty(
        &self,
        request: reqwest::RequestBuilder,
        idempotent: bool,
    ) -> Result<(), ClientError> {
        self.send(request, idempotent).await.map(drop)
    }

    /// Sends `request` with the current request id; an idempotent one is sent again, after a
    /// growing wait, when it could not connect, timed out, or met 429, 502, 503 or 504.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        idempotent: bool,
    ) -> Result<reqwest::Response, ClientError> {
        let service = self.service;
        let mut request = request
            .build()
            .map_err(|source| ClientError::Transport { service, source })?;
        if let Some(id) = current_request_id()
            && let Ok(value) = HeaderValue::from_str(&id)
        {
            request.headers_mut().insert(REQUEST_ID_HEADER, value);
        }
        let method = request.method().clone();
        let mut attempt = 0;
        loop {
            let started = Instant::now();
            let this = request
                .try_clone()
                .expect("bodies sent here are bytes, which clone");
            let retry_allowed = idempotent && attempt < self.settings.max_retries;
            let asked_delay = match self.http.execute(this).await {
                Ok(response) if response.status().is_success() => {
                    self.observe(&method, response.status().as_str(), started);
                    return Ok(response);
                }
                Ok(response) => {
                    let status = response.status();
                    self.observe(&method, status.as_str(), started);
                    if !(retry_allowed && is_transient(status)) {
                        return Err(ClientError::from_response(service, response).await);
                    }
                    retry_after(&response)
                }
                Err(source) => {
                    let timed_out = source.is_timeout();
                    self.observe(
                        &method,
                        if timed_out { "timeout" } else { "error" },
                        started,
                    );
                    if !(retry_allowed && (timed_out || source.is_connect())) {
                        return Err(if timed_out {
                            ClientError::Timeout { service, source }
                        } else {
                            ClientError::Transport { service, source }
                        });
                    }
                    None
                }
            };
            attempt += 1;
            let delay = asked_delay
                .unwrap_or_else(|| backoff(self.settings.retry_delay, attempt))
                .min(MAX_RETRY_DELAY);
            tracing::debug!(service, %method, attempt, ?delay, "retrying a call");
            tokio::time::sleep(delay).await;
        }
    }

    fn observe(&self, method: &Method, outcome: &str, started: Instant) {
        metrics::histogram!(
            "http_client_request_duration_seconds",
            "service" => self.service,
            "method" => method.to_string(),
            "outcome" => outcome.to_owned(),
        )
        .record(started.elapsed().as_secs_f64());
    }
}

fn is_transient(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS
            | StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT
    )
}

/// `Retry-After` in seconds (the form services send; a date is ignored).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The wait before attempt `attempt + 1`: `first` doubled each time, times a random factor
/// from 0.5 to 1, so clients that failed together do not all come back together.
pub fn backoff(first: Duration, attempt: u32) -> Duration {
    let doubled = first.saturating_mul(1 << attempt.saturating_sub(1).min(16));
    let random = (uuid::Uuid::new_v4().as_u128() & 0xffff) as f64 / f64::from(u16::MAX);
    doubled.mul_f64(0.5 + random / 2.0)
}

/// One page of a collection, as every service made by svcgen answers a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: PageInfo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageInfo {
    pub limit: i64,
    pub offset: i64,
    /// Entries in the whole collection.
    pub total: i64,
}

/// A page being fetched.
pub type PageFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<Page<T>, ClientError>> + Send + 'a>>;

/// Every item of a collection, fetched a page at a time as they are read:
/// `while let Some(item) = pages.next_item().await { let item = item?; ... }`.
pub struct Pages<'a, T> {
    fetch: Box<dyn FnMut(i64) -> PageFuture<'a, T> + Send + 'a>,
    next_offset: Option<i64>,
    buffered: VecDeque<T>,
}

impl<'a, T> Pages<'a, T> {
    /// Pages from `offset` on, each fetched by `fetch(offset)`.
    pub fn new(offset: i64, fetch: impl FnMut(i64) -> PageFuture<'a, T> + Send + 'a) -> Self {
        Self {
            fetch: Box::new(fetch),
            next_offset: Some(offset),
            buffered: VecDeque::new(),
        }
    }

    /// The next item, fetching the next page when this one is read; `None` after the last
    /// item or after an error.
    pub async fn next_item(&mut self) -> Option<Result<T, ClientError>> {
        loop {
            if let Some(item) = self.buffered.pop_front() {
                return Some(Ok(item));
            }
            let offset = self.next_offset?;
            match (self.fetch)(offset).await {
                Ok(page) => {
                    let read = page.page.offset.saturating_add(page.items.len() as i64);
                    self.next_offset =
                        (!page.items.is_empty() && read < page.page.total).then_some(read);
                    self.buffered.extend(page.items);
                }
                Err(err) => {
                    self.next_offset = None;
                    return Some(Err(err));
                }
            }
        }
    }

    /// Every remaining item.
    pub async fn collect_all(mut self) -> Result<Vec<T>, ClientError> {
        let mut items = Vec::new();
        while let Some(item) = self.next_item().await {
            items.push(item?);
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_http_without_query() {
        assert!(parse_base_url("http://product:8080").is_ok());
        assert!(parse_base_url("https://product.example.com/api").is_ok());
        assert!(parse_base_url("ftp://product").is_err());
        assert!(parse_base_url("product:8080").is_err());
        assert!(parse_base_url("http://product/?x=1").is_err());
    }

    #[test]
    fn segments_are_encoded_under_the_base_path() {
        let mut settings = ClientSettings::new(Url::parse("http://product:8080/api/").unwrap());
        settings.max_retries = 0;
        let transport = Transport::new("product", &settings).unwrap();
        assert_eq!(
            transport.url(&["v1", "products", "a b/c"]).as_str(),
            "http://product:8080/api/v1/products/a%20b%2Fc"
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_and_stays_bounded() {
        let first = Duration::from_millis(100);
        for attempt in 1..=4 {
            let full = first * (1 << (attempt - 1));
            let delay = backoff(first, attempt);
            assert!(
                delay >= full / 2 && delay <= full,
                "attempt {attempt}: {delay:?}"
            );
        }
        assert!(backoff(first, 60) <= first * (1 << 16));
    }

    #[test]
    fn settings_never_show_a_password() {
        let settings = ClientSettings::new(Url::parse("http://me:secret@product").unwrap());
        let shown = format!("{settings:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[tokio::test]
    async fn pages_are_read_to_the_end_of_the_collection() {
        let total = 5;
        let mut offsets = Vec::new();
        let pages = Pages::new(0, |offset| {
            offsets.push(offset);
            Box::pin(async move {
                let items: Vec<i64> = (offset..(offset + 2).min(total)).collect();
                Ok(Page {
                    items,
                    page: PageInfo {
                        limit: 2,
                        offset,
                        total,
                    },
                })
            })
        });
        assert_eq!(pages.collect_all().await.unwrap(), [0, 1, 2, 3, 4]);
        assert_eq!(offsets, [0, 2, 4]);
    }

    #[tokio::test]
    async fn the_request_id_is_the_one_in_scope() {
        assert_eq!(current_request_id(), None);
        let seen = with_request_id("req-1", async { current_request_id() }).await;
        assert_eq!(seen.as_deref(), Some("req-1"));
    }
}
