//! The connector lifecycle every transport follows (connect → send batch → per-message outcome → close)
//! and the types it speaks.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Most bytes of a response body kept for the dead-letter queue.
pub const MAX_KEPT_BODY: usize = 64 * 1024;

/// One message to send: an event's delivery to one subscription, its body already shaped and serialised.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundMessage {
    /// `{subscription}:{seq}`, the same on every attempt: receivers dedupe on it.
    pub idempotency_key: String,
    pub event_type: String,
    pub seq: i64,
    pub aggregate_id: String,
    /// The JSON body, exactly as sent (and signed).
    pub body: Vec<u8>,
    /// When this attempt is made (the signature timestamp).
    pub timestamp: DateTime<Utc>,
}

/// What the system answered, trimmed for storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseRecord {
    pub status: u16,
    /// The body as text (lossy UTF-8), cut at 64 KiB.
    pub body: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// How sending one message ended.
#[derive(Debug, Clone, PartialEq)]
pub enum SendOutcome {
    /// Acknowledged.
    Delivered,
    /// A transient failure (5xx, 408, 429, timeout, connection error): try again, after `after` when the
    /// system said so (`Retry-After`).
    Retry { after: Option<Duration>, error: String, response: Option<ResponseRecord> },
    /// Refused for good (another 4xx): a dead letter, with the response kept.
    Reject { error: String, response: Option<ResponseRecord> },
}

impl SendOutcome {
    pub fn is_failure(&self) -> bool {
        matches!(self, SendOutcome::Retry { .. })
    }
}

/// A transport that could not be set up or reached.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("invalid transport configuration: {0}")]
    Config(String),
    #[error("cannot reach {target}: {reason}")]
    Unreachable { target: String, reason: String },
}

/// A way to deliver messages to one connected system. Implementations are shared by the dispatcher's tasks
/// and must be safe to call concurrently; `send_batch` returns exactly one outcome per message, in order.
#[async_trait]
pub trait Transport: Send + Sync + 'static {
    /// The transport's type as written in the config (`http`, `nats`, `file`).
    fn kind(&self) -> &'static str;
    /// Where messages go (URL, subject, folder), for records and logs; never holds a secret.
    fn target(&self) -> String;
    /// Checks that the system can be reached (`crossdock config check`) and warms up connections. Sending
    /// does not require it: a transport reconnects on its own.
    async fn connect(&self) -> Result<(), TransportError>;
    async fn send_batch(&self, batch: &[OutboundMessage]) -> Vec<SendOutcome>;
    /// Releases connections; the transport may not be used afterwards.
    async fn close(&self);
}

/// Keeps at most [`MAX_KEPT_BODY`] bytes of a body as text, never splitting a character; the flag tells
/// whether anything was cut.
pub fn truncate_body(bytes: &[u8]) -> (String, bool) {
    let cut = bytes.len() > MAX_KEPT_BODY;
    let mut kept = &bytes[..bytes.len().min(MAX_KEPT_BODY)];
    if let Err(error) = std::str::from_utf8(kept) {
        // A character split by the cut is dropped whole.
        if cut && error.error_len().is_none() {
            kept = &kept[..error.valid_up_to()];
        }
    }
    let mut text = String::from_utf8_lossy(kept).into_owned();
    // Replacement characters may have made it longer than the limit.
    let mut end = text.len().min(MAX_KEPT_BODY);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    (text, cut)
}
