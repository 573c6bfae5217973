//! The HTTP webhook transport: each message is a signed JSON `POST` on a pooled keep-alive client.
//!
//! 2xx is delivered; 408, 429, 5xx, timeouts and connection errors are retried (honouring `Retry-After`);
//! any other status is refused for good, with the response kept.

use super::api::{OutboundMessage, ResponseRecord, SendOutcome, Transport, TransportError, truncate_body};
use super::retry_after::parse_retry_after;
use crate::signature::{SigningKey, sign};
use async_trait::async_trait;
use chrono::Utc;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use std::fmt;
use std::time::Duration;

/// How to reach one webhook endpoint.
#[derive(Clone)]
pub struct HttpTransportConfig {
    pub url: String,
    /// Whole-request timeout (connect, send, response).
    pub timeout: Duration,
    /// Standard Webhooks key; outbound messages are signed when set.
    pub signing_key: Option<SigningKey>,
    /// Sent as `Authorization: Bearer …` when set.
    pub bearer_token: Option<String>,
    /// Idle keep-alive connections kept per host (at least the system's maximum in-flight).
    pub max_idle_connections: usize,
    /// PEM CA certificates trusted for HTTPS besides the platform's (a private CA, a self-signed peer).
    pub extra_ca_pem: Option<Vec<u8>>,
}

impl fmt::Debug for HttpTransportConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |s: &Option<String>| s.as_ref().map(|_| "<redacted>");
        f.debug_struct("HttpTransportConfig")
            .field("url", &self.url)
            .field("timeout", &self.timeout)
            .field("signing_key", &self.signing_key.as_ref().map(|_| "<redacted>"))
            .field("bearer_token", &redacted(&self.bearer_token))
            .field("max_idle_connections", &self.max_idle_connections)
            .field("extra_ca_pem", &self.extra_ca_pem.as_ref().map(Vec::len))
            .finish()
    }
}

impl HttpTransportConfig {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            timeout: Duration::from_secs(10),
            signing_key: None,
            bearer_token: None,
            max_idle_connections: 64,
            extra_ca_pem: None,
        }
    }
}

/// Reads a PEM file of CA certificates and checks it holds at least one; the error names the file only.
pub fn read_ca_file(path: &std::path::Path) -> Result<Vec<u8>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    match reqwest::Certificate::from_pem_bundle(&pem) {
        Ok(certs) if !certs.is_empty() => Ok(pem),
        Ok(_) => Err(format!("{} holds no PEM certificate", path.display())),
        Err(e) => Err(format!("{} is not a PEM certificate file: {e}", path.display())),
    }
}

/// A webhook endpoint behind a keep-alive connection pool.
pub struct HttpTransport {
    url: reqwest::Url,
    client: reqwest::Client,
    timeout: Duration,
    key: Option<SigningKey>,
    bearer: Option<HeaderValue>,
}

impl fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpTransport").field("url", &self.url.as_str()).finish_non_exhaustive()
    }
}

impl HttpTransport {
    pub fn new(config: HttpTransportConfig) -> Result<Self, TransportError> {
        let url = reqwest::Url::parse(&config.url)
            .map_err(|e| TransportError::Config(format!("endpoint {:?}: {e}", config.url)))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(TransportError::Config(format!("endpoint {:?}: scheme must be http or https", config.url)));
        }
        let bearer = config
            .bearer_token
            .as_deref()
            .map(|token| {
                let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
                    .map_err(|_| TransportError::Config("bearer token holds characters a header cannot".into()))?;
                value.set_sensitive(true);
                Ok::<_, TransportError>(value)
            })
            .transpose()?;
        let key = config.signing_key;
        super::install_default_crypto_provider();
        let mut builder = reqwest::Client::builder();
        if let Some(pem) = &config.extra_ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| TransportError::Config(format!("extra CA certificates: {e}")))?;
            builder = builder.tls_certs_merge(certs);
        }
        let client = builder
            .pool_max_idle_per_host(config.max_idle_connections.max(1))
            .pool_idle_timeout(Duration::from_secs(90))
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .tcp_nodelay(true)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| TransportError::Config(format!("http client: {e}")))?;
        Ok(Self { url, client, timeout: config.timeout, key, bearer })
    }

    /// Sends one message and classifies the result.
    pub async fn send_one(&self, message: &OutboundMessage) -> SendOutcome {
        let timestamp = message.timestamp.timestamp();
        let mut request = self
            .client
            .post(self.url.clone())
            .timeout(self.timeout)
            .header(CONTENT_TYPE, "application/json")
            .header("webhook-id", &message.idempotency_key)
            .header("webhook-timestamp", timestamp.to_string())
            .header("Idempotency-Key", &message.idempotency_key)
            .body(message.body.clone());
        if let Some(key) = &self.key {
            let signature = sign(key, &message.idempotency_key, timestamp, &message.body);
            request = request.header("webhook-signature", signature);
        }
        if let Some(bearer) = &self.bearer {
            request = request.header(AUTHORIZATION, bearer.clone());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return classify_error(&error),
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, Utc::now()));
        if status.is_success() {
            // Drain the (usually empty) body so the connection goes back to the pool.
            let _ = read_kept(response).await;
            return SendOutcome::Delivered;
        }
        let record = read_kept(response).await;
        let error = format!("http {}", status.as_u16());
        let code = status.as_u16();
        if code == 408 || code == 429 || status.is_server_error() {
            SendOutcome::Retry { after: retry_after, error, response: Some(record) }
        } else {
            SendOutcome::Reject { error, response: Some(record) }
        }
    }
}

/// Reads up to 64 KiB of the body (stopping there), and the status.
async fn read_kept(mut response: reqwest::Response) -> ResponseRecord {
    let status = response.status().as_u16();
    let mut bytes = Vec::new();
    let mut cut = false;
    // A body that fails midway keeps what arrived.
    while let Ok(Some(chunk)) = response.chunk().await {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > super::api::MAX_KEPT_BODY {
            cut = true;
            break;
        }
    }
    let (body, truncated) = truncate_body(&bytes);
    ResponseRecord { status, body, truncated: truncated || cut }
}

fn classify_error(error: &reqwest::Error) -> SendOutcome {
    if error.is_builder() {
        return SendOutcome::Reject { error: format!("request could not be built: {error}"), response: None };
    }
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    // The error's own text and its root cause (say, `invalid peer certificate: UnknownIssuer`), not the
    // whole chain.
    let mut root: &dyn std::error::Error = error;
    while let Some(source) = root.source() {
        root = source;
    }
    let error = if std::ptr::addr_eq(root, error as &dyn std::error::Error) {
        format!("{what}: {error}")
    } else {
        format!("{what}: {error}: {root}")
    };
    SendOutcome::Retry { after: None, error, response: None }
}

#[async_trait]
impl Transport for HttpTransport {
    fn kind(&self) -> &'static str {
        "http"
    }

    fn target(&self) -> String {
        let mut url = self.url.clone();
        // Never show credentials embedded in a URL.
        let _ = url.set_password(None);
        let _ = url.set_username("");
        url.to_string()
    }

    /// Opens a connection to the endpoint's host and port (no request is sent).
    async fn connect(&self) -> Result<(), TransportError> {
        let unreachable = |reason: String| TransportError::Unreachable { target: self.target(), reason };
        let host = self.url.host_str().ok_or_else(|| unreachable("no host".into()))?.to_string();
        let port = self.url.port_or_known_default().ok_or_else(|| unreachable("no port".into()))?;
        match tokio::time::timeout(self.timeout, tokio::net::TcpStream::connect((host.as_str(), port))).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(unreachable(e.to_string())),
            Err(_) => Err(unreachable(format!("no connection within {:?}", self.timeout))),
        }
    }

    /// Sends every message of the batch concurrently over the pool.
    async fn send_batch(&self, batch: &[OutboundMessage]) -> Vec<SendOutcome> {
        let sends = batch.iter().map(|message| self.send_one(message));
        futures::future::join_all(sends).await
    }

    async fn close(&self) {}
}
