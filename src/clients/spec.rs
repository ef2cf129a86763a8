//! Reading a provider's contract for `add-client`: a file or an http(s) URL, JSON or YAML, which
//! must be an OpenAPI document whose `$ref`s resolve. It is kept in the service as pretty JSON,
//! so the service's own review and `svcgen contract diff` see every change to it.

use std::path::Path;

use serde_json::Value;

use crate::contract::document::{Document, Kind};
use crate::error::{Error, Result};

/// A provider's contract as read.
#[derive(Debug, Clone)]
pub struct ProviderSpec {
    /// How the contract is named in messages: the path or URL given.
    pub display: String,
    pub root: Value,
    /// The contract as the service keeps it (pretty JSON, one newline at the end).
    pub text: String,
}

impl ProviderSpec {
    /// Parses `text`, read from `display`.
    pub fn parse(display: &str, text: &str) -> Result<ProviderSpec> {
        let bad = |message: String| Error::ClientSpec {
            file: display.to_owned(),
            pointer: String::new(),
            message,
        };
        let document = Document::parse(text).map_err(bad)?;
        if document.kind != Kind::OpenApi {
            return Err(bad(format!(
                "{}, not an OpenAPI document: a client is made from a service's API",
                document.kind
            )));
        }
        let mut text = serde_json::to_string_pretty(&document.root).expect("JSON serialises");
        text.push('\n');
        Ok(ProviderSpec {
            display: display.to_owned(),
            root: document.root,
            text,
        })
    }

    /// Reads `source`: an http(s) URL, or a path (relative ones from `base_dir`).
    pub fn read(source: &str, base_dir: &Path) -> Result<ProviderSpec> {
        let text = if is_url(source) {
            fetch(source)?
        } else {
            let path = base_dir.join(source);
            std::fs::read_to_string(&path).map_err(|err| Error::Io {
                path: path.clone(),
                source: err,
            })?
        };
        ProviderSpec::parse(source, &text)
    }
}

pub fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

fn fetch(url: &str) -> Result<String> {
    let failed = |message: String| Error::ClientSpec {
        file: url.to_owned(),
        pointer: String::new(),
        message,
    };
    let agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(30)))
        .build()
        .new_agent();
    let mut response = agent
        .get(url)
        .header("accept", "application/json, application/yaml;q=0.9")
        .call()
        .map_err(|err| failed(format!("cannot fetch it: {err}")))?;
    response
        .body_mut()
        .with_config()
        .limit(16 * 1024 * 1024)
        .read_to_string()
        .map_err(|err| failed(format!("cannot read it: {err}")))
}
