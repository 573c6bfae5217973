//! The simulated systems' HTTP client for the hub's API: bearer key, `Idempotency-Key` on every write,
//! a few retries with backoff on connection errors, timeouts, 5xx, 408 and 429, each bounded in count and
//! time, and typed answers. Loopback addresses only.

use crate::stats::{Stats, bump};
use crossdock_model::{InventoryPosition, Order, RecordedEvent};
use reqwest::{Method, StatusCode, Url};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where the hub is and how hard to try.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubConfig {
    /// `http://127.0.0.1:<port>` (loopback only).
    pub base_url: String,
    /// An API key (`cdk_…`) with the orders and inventory scopes.
    pub api_key: String,
    /// Time allowed for one request, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Attempts per request (1 to 10).
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// Time allowed for all attempts of one request, in milliseconds.
    #[serde(default = "default_deadline_ms")]
    pub deadline_ms: u64,
}

fn default_timeout_ms() -> u64 {
    10_000
}
fn default_attempts() -> u32 {
    5
}
fn default_deadline_ms() -> u64 {
    30_000
}

impl HubConfig {
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            api_key: api_key.into(),
            timeout_ms: default_timeout_ms(),
            max_attempts: default_attempts(),
            deadline_ms: default_deadline_ms(),
        }
    }
}

/// Why a request to the hub did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HubError {
    #[error("hub url {0:?} is not an http url on a loopback address")]
    NotLoopback(String),
    #[error("hub configuration: {0}")]
    Config(String),
    #[error("the hub refused {action} with {status} {code}: {detail}")]
    Refused { action: &'static str, status: u16, code: String, detail: String },
    #[error("the hub did not answer {action} after {attempts} attempts: {last}")]
    Unavailable { action: &'static str, attempts: u32, last: String },
    #[error("the hub's answer to {action} is not what was expected: {detail}")]
    BadAnswer { action: &'static str, detail: String },
}

impl HubError {
    /// The problem code of a refusal (`insufficient_stock`, `invalid_transition`, …).
    pub fn code(&self) -> Option<&str> {
        match self {
            HubError::Refused { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// A client of the hub's API shared by the tasks of one system; it counts its requests in `stats`.
#[derive(Clone)]
pub struct HubClient {
    http: reqwest::Client,
    base: Url,
    key: String,
    max_attempts: u32,
    deadline: Duration,
    stats: Arc<Stats>,
}

impl std::fmt::Debug for HubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubClient").field("base", &self.base.as_str()).finish_non_exhaustive()
    }
}

/// Whether `url` is `http://` on 127.0.0.0/8, `::1` or `localhost`.
pub fn is_loopback_http(url: &Url) -> bool {
    let Some(host) = url.host_str() else { return false };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    url.scheme() == "http"
        && (host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()))
}

/// Percent-encodes a path segment.
fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A request body: JSON, or an X12 interchange.
#[derive(Clone, Copy)]
enum Payload<'a> {
    Json(&'a Value),
    X12(&'a [u8]),
}

/// One attempt's outcome: an answer to keep, or a reason to try again.
enum Attempt {
    Done(StatusCode, Value),
    Retry(String),
}

impl HubClient {
    /// A client for `config`; refuses anything but a loopback http url and out-of-range limits.
    pub fn new(config: &HubConfig, stats: Arc<Stats>) -> Result<Self, HubError> {
        let base = Url::parse(&config.base_url).map_err(|_| HubError::NotLoopback(config.base_url.clone()))?;
        if !is_loopback_http(&base) {
            return Err(HubError::NotLoopback(config.base_url.clone()));
        }
        if !(1..=10).contains(&config.max_attempts) {
            return Err(HubError::Config(format!("max_attempts is {}; 1 to 10 are allowed", config.max_attempts)));
        }
        if !(1..=600_000).contains(&config.timeout_ms) || !(1..=3_600_000).contains(&config.deadline_ms) {
            return Err(HubError::Config("timeout_ms must be 1 to 600000 and deadline_ms 1 to 3600000".into()));
        }
        crate::install_crypto_provider();
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_millis(config.timeout_ms))
            .connect_timeout(Duration::from_millis(config.timeout_ms.min(5_000)))
            .pool_max_idle_per_host(64)
            .build()
            .map_err(|e| HubError::Config(format!("cannot build an http client: {e}")))?;
        Ok(Self {
            http,
            base,
            key: config.api_key.clone(),
            max_attempts: config.max_attempts,
            deadline: Duration::from_millis(config.deadline_ms),
            stats,
        })
    }

    /// The counters this client bumps.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    fn url(&self, path: &str) -> Result<Url, HubError> {
        self.base.join(path).map_err(|e| HubError::Config(format!("bad path {path:?}: {e}")))
    }

    async fn attempt(&self, method: &Method, url: &Url, key: Option<&str>, body: Option<Payload<'_>>) -> Attempt {
        let mut request = self.http.request(method.clone(), url.clone()).bearer_auth(&self.key);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        match body {
            Some(Payload::Json(body)) => request = request.json(body),
            Some(Payload::X12(bytes)) => {
                request = request.header("content-type", "application/edi-x12").body(bytes.to_vec())
            }
            None => {}
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => return Attempt::Retry(format!("request failed: {e}")),
        };
        let status = response.status();
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes,
            Err(e) => return Attempt::Retry(format!("reading the answer failed: {e}")),
        };
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::REQUEST_TIMEOUT
        {
            return Attempt::Retry(format!("answered {status}"));
        }
        Attempt::Done(status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// Sends one request, retrying what may be retried, and returns the JSON of a 2xx answer (`None` for
    /// 404 when `missing_ok`).
    async fn send(
        &self,
        action: &'static str,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Payload<'_>>,
        missing_ok: bool,
    ) -> Result<Option<Value>, HubError> {
        let url = self.url(path)?;
        let started = Instant::now();
        let mut last = String::new();
        let mut attempts = 0;
        while attempts < self.max_attempts && started.elapsed() < self.deadline {
            if attempts > 0 {
                bump(&self.stats.request_retries);
                let backoff = Duration::from_millis(50u64 << attempts.min(5)).min(Duration::from_secs(1));
                tokio::time::sleep(backoff.min(self.deadline.saturating_sub(started.elapsed()))).await;
            }
            attempts += 1;
            match self.attempt(&method, &url, key, body).await {
                Attempt::Retry(why) => last = why,
                Attempt::Done(status, value) if status.is_success() => {
                    self.stats.sent_ok(action);
                    return Ok(Some(value));
                }
                Attempt::Done(StatusCode::NOT_FOUND, _) if missing_ok => return Ok(None),
                Attempt::Done(status, value) => {
                    let text = |field: &str| value.get(field).and_then(Value::as_str).unwrap_or("").to_string();
                    let error = HubError::Refused {
                        action,
                        status: status.as_u16(),
                        code: text("code"),
                        detail: text("detail"),
                    };
                    self.stats.sent_failed(action, &error.to_string());
                    return Err(error);
                }
            }
        }
        let error = HubError::Unavailable { action, attempts, last };
        self.stats.sent_failed(action, &error.to_string());
        Err(error)
    }

    async fn write(
        &self,
        action: &'static str,
        method: Method,
        path: &str,
        key: &str,
        body: &Value,
    ) -> Result<Value, HubError> {
        self.send(action, method, path, Some(key), Some(Payload::Json(body)), false)
            .await
            .map(Option::unwrap_or_default)
    }

    /// `POST /v1/edi/{partner}`: one X12 interchange from a trading partner; the hub's receipt (status,
    /// sets accepted, the 997 it sends back, issues). Resending the same bytes changes nothing on the hub.
    pub async fn post_edi(&self, partner: &str, interchange: &[u8]) -> Result<Value, HubError> {
        let path = format!("/v1/edi/{}", segment(partner));
        let body = Some(Payload::X12(interchange));
        self.send("post_edi", Method::POST, &path, None, body, false).await.map(Option::unwrap_or_default)
    }

    fn order_of(action: &'static str, value: Value) -> Result<Order, HubError> {
        let order = value.get("order").cloned().unwrap_or(value);
        serde_json::from_value(order).map_err(|e| HubError::BadAnswer { action, detail: e.to_string() })
    }

    /// `POST /v1/orders`: places an order (the body as the API takes it).
    pub async fn place_order(&self, body: &Value, key: &str) -> Result<Order, HubError> {
        let value = self.write("place_order", Method::POST, "/v1/orders", key, body).await?;
        Self::order_of("place_order", value)
    }

    /// `POST /v1/orders/{id}/{action}`: allocations, release, shipments, deliveries, returns, cancel.
    pub async fn order_command(
        &self,
        order_id: &str,
        command: OrderAction,
        key: &str,
        body: &Value,
    ) -> Result<Order, HubError> {
        let path = format!("/v1/orders/{}/{}", segment(order_id), command.path());
        let value = self.write(command.name(), Method::POST, &path, key, body).await?;
        Self::order_of(command.name(), value)
    }

    /// Cancels units a site found missing (`POST /v1/orders/{id}/cancel` naming the site as `location`, so
    /// that only units held there are cancelled). Released units become a cancel request to the site that
    /// holds them — the caller itself — which it accepts at once (`POST /v1/orders/{id}/cancel-answer`): it
    /// has already found the units are not there. While another site's request is open (409
    /// `cancel_request_open`; that site answers it at once) the cancel is tried again after a short pause.
    pub async fn cancel_missing(
        &self,
        order_id: &str,
        location: &str,
        key: &str,
        body: &Value,
    ) -> Result<Order, HubError> {
        let mut body = body.clone();
        if let Some(fields) = body.as_object_mut() {
            fields.insert("location".into(), Value::String(location.to_string()));
        }
        let mut pause = Duration::from_millis(50);
        let order = loop {
            match self.order_command(order_id, OrderAction::Cancel, key, &body).await {
                Err(e) if e.code() == Some("cancel_request_open") && pause < Duration::from_secs(5) => {
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                other => break other?,
            }
        };
        // Answer only a request for units at this site: another site's request is that site's to answer.
        let ours = order.open_cancel_request().is_some_and(|r| r.lines.iter().all(|m| m.location.as_str() == location));
        if !ours {
            return Ok(order);
        }
        let answer = serde_json::json!({"outcome": "accepted", "reason": "the units are not there"});
        self.order_command(order_id, OrderAction::AnswerCancel, &format!("{key}:answer"), &answer).await
    }

    /// `GET /v1/orders/{id}`; `None` when the hub has no such order.
    pub async fn order(&self, order_id: &str) -> Result<Option<Order>, HubError> {
        let path = format!("/v1/orders/{}", segment(order_id));
        match self.send("get_order", Method::GET, &path, None, None, true).await? {
            Some(value) => Self::order_of("get_order", value).map(Some),
            None => Ok(None),
        }
    }

    /// `GET /v1/inventory?sku=`: the positions of one sku at every location.
    pub async fn inventory_of(&self, sku: &str) -> Result<Vec<InventoryPosition>, HubError> {
        let path = format!("/v1/inventory?sku={}", segment(sku));
        let value = self.send("get_inventory", Method::GET, &path, None, None, false).await?.unwrap_or_default();
        let items = value.get("items").cloned().unwrap_or(Value::Array(vec![]));
        serde_json::from_value(items)
            .map_err(|e| HubError::BadAnswer { action: "get_inventory", detail: e.to_string() })
    }

    /// `POST /v1/inventory/adjustments`.
    pub async fn adjust_inventory(
        &self,
        sku: &str,
        location: &str,
        delta: i64,
        reason: &str,
        key: &str,
    ) -> Result<(), HubError> {
        let body = serde_json::json!({"sku": sku, "location": location, "delta": delta, "reason": reason});
        self.write("adjust_inventory", Method::POST, "/v1/inventory/adjustments", key, &body).await.map(drop)
    }

    /// `POST /v1/inventory/counts`.
    pub async fn count_inventory(&self, sku: &str, location: &str, counted: i64, key: &str) -> Result<(), HubError> {
        let body = serde_json::json!({"sku": sku, "location": location, "counted": counted});
        self.write("count_inventory", Method::POST, "/v1/inventory/counts", key, &body).await.map(drop)
    }

    /// `PUT /v1/locations/{id}`.
    pub async fn put_location(&self, id: &str, body: &Value, key: &str) -> Result<(), HubError> {
        let path = format!("/v1/locations/{}", segment(id));
        self.write("put_location", Method::PUT, &path, key, body).await.map(drop)
    }

    /// `GET /v1/events?after=&limit=`: a page of the change feed and the sequence number to continue after.
    pub async fn events(&self, after: i64, limit: u32) -> Result<(Vec<RecordedEvent>, i64), HubError> {
        let path = format!("/v1/events?after={after}&limit={}", limit.clamp(1, 1000));
        let value = self.send("get_events", Method::GET, &path, None, None, false).await?.unwrap_or_default();
        let bad = |detail: String| HubError::BadAnswer { action: "get_events", detail };
        let items = value.get("items").cloned().ok_or_else(|| bad("no items".into()))?;
        let events: Vec<RecordedEvent> = serde_json::from_value(items).map_err(|e| bad(e.to_string()))?;
        let next = value.get("next_after").and_then(Value::as_i64).unwrap_or(after);
        Ok((events, next))
    }
}

/// The order commands the simulated systems send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderAction {
    Allocate,
    Release,
    Ship,
    Deliver,
    Return,
    Cancel,
    AnswerCancel,
}

impl OrderAction {
    fn path(self) -> &'static str {
        match self {
            OrderAction::Allocate => "allocations",
            OrderAction::Release => "release",
            OrderAction::Ship => "shipments",
            OrderAction::Deliver => "deliveries",
            OrderAction::Return => "returns",
            OrderAction::Cancel => "cancel",
            OrderAction::AnswerCancel => "cancel-answer",
        }
    }

    /// The action's name in the counters.
    pub fn name(self) -> &'static str {
        match self {
            OrderAction::Allocate => "allocate_lines",
            OrderAction::Release => "release_to_warehouse",
            OrderAction::Ship => "confirm_shipment",
            OrderAction::Deliver => "confirm_delivery",
            OrderAction::Return => "record_return",
            OrderAction::Cancel => "cancel_order",
            OrderAction::AnswerCancel => "answer_cancel_request",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_is_accepted() {
        let stats = Arc::new(Stats::default());
        for good in ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9"] {
            assert!(HubClient::new(&HubConfig::new(good, "k"), stats.clone()).is_ok(), "{good}");
        }
        for bad in ["https://127.0.0.1", "http://10.0.0.1", "http://example.com", "nonsense"] {
            let e = HubClient::new(&HubConfig::new(bad, "k"), stats.clone()).unwrap_err();
            assert!(matches!(e, HubError::NotLoopback(_)), "{bad}: {e}");
        }
        let mut config = HubConfig::new("http://127.0.0.1:1", "k");
        config.max_attempts = 0;
        assert!(matches!(HubClient::new(&config, stats), Err(HubError::Config(_))));
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(segment("web-001"), "web-001");
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
    }
}
