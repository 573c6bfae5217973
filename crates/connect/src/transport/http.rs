//! The HTTP webhook transport: each message is a signed JSON `POST` on a pooled keep-alive client, or, with
//! `batch_max > 1`, each group of up to `batch_max` messages one signed `POST` of a JSON array
//! (`http_batch`).
//!
//! 2xx is delivered; 408, 429, 5xx, timeouts and connection errors are retried (honouring `Retry-After`);
//! any other status is refused for good, with the response kept. A batch's response is every one of its
//! messages' outcome.

use super::api::{OutboundMessage, ResponseRecord, SendOutcome, Transport, TransportError, truncate_body};
use super::http_batch::{BATCH_SIZE_HEADER, MAX_BATCH, batch_body, batch_id, element_problem, spread};
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
    /// Most messages per `POST`, 1..=[`MAX_BATCH`]; above 1, every `POST` carries a JSON array.
    pub batch_max: usize,
}

impl fmt::Debug for HttpTransportConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |s: &Option<String>| s.as_ref().map(|_| "<redacted>");
        f.debug_struct("HttpTransportConfig")
            .field("url", &shown_url(&self.url))
            .field("timeout", &self.timeout)
            .field("signing_key", &self.signing_key.as_ref().map(|_| "<redacted>"))
            .field("bearer_token", &redacted(&self.bearer_token))
            .field("max_idle_connections", &self.max_idle_connections)
            .field("extra_ca_pem", &self.extra_ca_pem.as_ref().map(Vec::len))
            .field("batch_max", &self.batch_max)
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
            batch_max: 1,
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
    batch_max: usize,
}

impl fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpTransport").field("url", &self.target()).finish_non_exhaustive()
    }
}

impl HttpTransport {
    pub fn new(config: HttpTransportConfig) -> Result<Self, TransportError> {
        let shown = shown_url(&config.url);
        let url =
            reqwest::Url::parse(&config.url).map_err(|e| TransportError::Config(format!("endpoint {shown:?}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(TransportError::Config(format!("endpoint {shown:?}: scheme must be http or https")));
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
        if !(1..=MAX_BATCH).contains(&config.batch_max) {
            return Err(TransportError::Config(format!("batch_max {} is outside 1..={MAX_BATCH}", config.batch_max)));
        }
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
            // Every retry is the dispatcher's (counted, backed off, dead-lettered); with none here reqwest also
            // stops copying every request's headers in case it wants to send it again.
            .retry(reqwest::retry::never().max_retries_per_request(0))
            .no_proxy()
            .build()
            .map_err(|e| TransportError::Config(format!("http client: {e}")))?;
        Ok(Self { url, client, timeout: config.timeout, key, bearer, batch_max: config.batch_max })
    }

    /// Sends one message, as its bare body, and classifies the result.
    pub async fn send_one(&self, message: &OutboundMessage) -> SendOutcome {
        self.post(&message.idempotency_key, message.timestamp.timestamp(), message.body.clone(), None).await
    }

    /// Sends up to `batch_max` messages as one JSON array (even a single one); every message gets the
    /// request's outcome, but for a message whose body is not JSON, refused without being sent.
    pub async fn send_group(&self, group: &[OutboundMessage]) -> Vec<SendOutcome> {
        let refused: Vec<Option<SendOutcome>> = group.iter().map(element_problem).collect();
        let elements: Vec<&OutboundMessage> =
            group.iter().zip(&refused).filter(|(_, refused)| refused.is_none()).map(|(m, _)| m).collect();
        let Some(timestamp) = elements.iter().map(|m| m.timestamp).max() else {
            return refused.into_iter().flatten().collect();
        };
        let size = elements.len();
        let sent = self.post(&batch_id(&elements), timestamp.timestamp(), batch_body(&elements), Some(size)).await;
        spread(refused, sent, size)
    }

    /// One signed `POST` under `id` (`webhook-id` and `Idempotency-Key`), classified; `batch` is the
    /// number of elements of a batch body.
    async fn post(&self, id: &str, timestamp: i64, body: Vec<u8>, batch: Option<usize>) -> SendOutcome {
        let mut request = self
            .client
            .post(self.url.clone())
            .timeout(self.timeout)
            .header(CONTENT_TYPE, "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("Idempotency-Key", id);
        if let Some(key) = &self.key {
            request = request.header("webhook-signature", sign(key, id, timestamp, &body));
        }
        if let Some(size) = batch {
            request = request.header(BATCH_SIZE_HEADER, size.to_string());
        }
        if let Some(bearer) = &self.bearer {
            request = request.header(AUTHORIZATION, bearer.clone());
        }
        let request = request.body(body);
        let response = match request.send().await {
            Ok(response) => response,
            // reqwest's errors name the URL, whose query may hold a key (`?code=` of Azure Functions).
            Err(mut error) => {
                if let Some(url) = error.url_mut() {
                    *url = redacted(url);
                }
                return classify_error(&error);
            }
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

/// `url` as it may be shown (errors, dead letters, `/v1/systems`): without credentials, fragment or query
/// values, which may be keys (`?code=…`); the query's parameter names stay, with `***` for values.
fn redacted(url: &reqwest::Url) -> reqwest::Url {
    let mut shown = url.clone();
    let _ = shown.set_password(None);
    let _ = shown.set_username("");
    shown.set_fragment(None);
    if url.query().is_some() {
        let names: Vec<String> = url.query_pairs().map(|(name, _)| name.into_owned()).collect();
        shown.set_query(None);
        if !names.is_empty() {
            let mut query = shown.query_pairs_mut();
            for name in &names {
                query.append_pair(name, "***");
            }
        }
    }
    shown
}

/// A configured URL as it may be shown, parsed or not.
fn shown_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(parsed) => redacted(&parsed).to_string(),
        Err(_) => crossdock_store::redact_url(url.split(['?', '#']).next().unwrap_or_default()),
    }
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
        redacted(&self.url).to_string()
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

    /// Sends every message of the batch concurrently over the pool; with `batch_max > 1`, every group of
    /// `batch_max` messages (in order) as one request, the groups concurrently.
    async fn send_batch(&self, batch: &[OutboundMessage]) -> Vec<SendOutcome> {
        if self.batch_max <= 1 {
            let sends = batch.iter().map(|message| self.send_one(message));
            return futures::future::join_all(sends).await;
        }
        let sends = batch.chunks(self.batch_max).map(|group| self.send_group(group));
        futures::future::join_all(sends).await.into_iter().flatten().collect()
    }

    async fn close(&self) {}
}
