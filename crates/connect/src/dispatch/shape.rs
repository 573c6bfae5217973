//! What a subscription sends: which events it selects (event-type patterns, then an optional filter) and
//! the body each becomes (the canonical envelope, or a mapping). The jq filter and mapping plug in through
//! [`Shape`].

use crate::mapping::MappingError;
use crossdock_model::RecordedEvent;
use serde_json::{Value, json};

/// Why a filter or mapping could not decide or shape an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ShapeError {
    pub message: String,
    /// Trying again later may succeed (a mapping that timed out under load): the delivery is retried
    /// through the retry policy instead of going to the dead-letter queue.
    pub retryable: bool,
}

impl ShapeError {
    /// An error that would repeat: the delivery goes to the dead-letter queue.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self { message: message.into(), retryable: false }
    }
}

impl From<MappingError> for ShapeError {
    fn from(error: MappingError) -> Self {
        Self { retryable: error.is_retryable(), message: error.to_string() }
    }
}

/// A subscription's filter and mapping. Both are called on the dispatcher's tasks and must not block for
/// long; a permanent `Err` is a message for the dead-letter queue (the delivery is not retried until
/// replayed), a retryable one is retried through the retry policy.
pub trait Shape: Send + Sync + 'static {
    /// Whether the subscription wants the event at all (the jq filter). Evaluated when scheduling, and for
    /// a filtering subscription again before each attempt (so that an event whose filter failed for now at
    /// scheduling is decided then, and a replayed dead letter meets the current filter).
    fn selects(&self, _event: &RecordedEvent) -> Result<bool, ShapeError> {
        Ok(true)
    }

    /// Whether [`Self::selects`] reads the event (a filter); when no subscription's does, scheduling reads only
    /// the events' heads.
    fn filters(&self) -> bool {
        false
    }

    /// The body to send for the event (the jq mapping). Evaluated at every attempt, so that a fixed mapping
    /// applies to replayed dead letters. `Ok(None)` drops the delivery (recorded as discarded).
    fn body(&self, event: &RecordedEvent) -> Result<Option<Value>, ShapeError> {
        Ok(Some(envelope(event)))
    }

    /// [`Self::body`] as the bytes sent. A shape without a mapping writes the envelope straight from the
    /// event ([`envelope_bytes`]) instead of copying the payload into a new tree first.
    fn body_bytes(&self, event: &RecordedEvent) -> Result<Option<Vec<u8>>, ShapeError> {
        match self.body(event)? {
            Some(body) => serde_json::to_vec(&body)
                .map(Some)
                .map_err(|e| ShapeError::permanent(format!("cannot serialise the body: {e}"))),
            None => Ok(None),
        }
    }
}

/// The canonical envelope: the body sent when a subscription has no mapping.
pub fn envelope(event: &RecordedEvent) -> Value {
    json!({
        "type": event.event_type,
        "seq": event.seq,
        "aggregate_kind": event.aggregate_kind.as_str(),
        "aggregate_id": event.aggregate_id,
        "version": event.version,
        "schema_version": event.schema_version,
        "recorded_at": event.recorded_at,
        "data": event.payload,
    })
}

/// The canonical envelope as JSON bytes, written straight from the event rather than through a
/// `serde_json::Value` tree: the same JSON as [`envelope`] (keys of the event's data in declaration order).
pub fn envelope_bytes(event: &RecordedEvent) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct Envelope<'a> {
        aggregate_id: &'a str,
        aggregate_kind: &'a str,
        data: &'a crossdock_model::Event,
        recorded_at: &'a chrono::DateTime<chrono::Utc>,
        schema_version: u32,
        seq: i64,
        #[serde(rename = "type")]
        event_type: &'a str,
        version: u64,
    }
    let envelope = Envelope {
        aggregate_id: &event.aggregate_id,
        aggregate_kind: event.aggregate_kind.as_str(),
        data: &event.payload,
        recorded_at: &event.recorded_at,
        schema_version: event.schema_version,
        seq: event.seq,
        event_type: &event.event_type,
        version: event.version,
    };
    // Serialising strings, numbers and a model event (plain data, string keys) into a Vec cannot fail.
    serde_json::to_vec(&envelope).unwrap_or_default()
}

/// The shape of a subscription with neither filter nor mapping.
#[derive(Debug, Clone, Copy, Default)]
pub struct Canonical;

impl Shape for Canonical {
    fn body_bytes(&self, event: &RecordedEvent) -> Result<Option<Vec<u8>>, ShapeError> {
        Ok(Some(envelope_bytes(event)))
    }
}

/// Whether an event type matches one pattern: `*` matches everything, `order.*` every type that starts with
/// `order.`, anything else only itself.
pub fn pattern_matches(pattern: &str, event_type: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => event_type.starts_with(prefix),
        None => pattern == event_type,
    }
}

pub fn any_pattern_matches(patterns: &[String], event_type: &str) -> bool {
    patterns.iter().any(|p| pattern_matches(p, event_type))
}
