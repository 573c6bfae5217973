//! The delivery state's public types: what the dispatcher schedules, claims and completes, dead letters and
//! per-subscription statistics.

use crate::StoreError;
use chrono::{DateTime, Utc};
use crossdock_model::RecordedEvent;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where a delivery stands. Only `Pending` deliveries are ever claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its first attempt or for a retry.
    Pending,
    /// Acknowledged by the system.
    Delivered,
    /// Refused by the system or out of retries: a dead letter, until replayed or discarded.
    Dead,
    /// A dead letter an operator chose to drop.
    Discarded,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
            Self::Discarded => "discarded",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Dead, Self::Discarded].into_iter().find(|s| s.as_str() == text)
    }
}

/// Where a subscription starts when it is registered for the first time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionStart {
    /// From the first event of the log: the whole history is delivered (back-fill).
    Beginning,
    /// From the current head of the log: only events recorded from now on.
    Head,
}

/// One event the dispatcher matched for a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub seq: i64,
    pub aggregate_id: String,
    pub event_type: String,
    /// When set, the delivery is recorded straight as a dead letter with this error (a mapping that failed).
    pub dead_error: Option<String>,
    /// What the dispatcher already did with it before recording it (sending on schedule); `None`: nothing
    /// yet, the row is pending for the claim path.
    pub sent: Option<Sent>,
}

impl NewDelivery {
    /// The delivery of `event`, to be recorded pending (nothing done with it yet).
    pub fn pending(event: &RecordedEvent) -> Self {
        Self {
            seq: event.seq,
            aggregate_id: event.aggregate_id.clone(),
            event_type: event.event_type.clone(),
            dead_error: None,
            sent: None,
        }
    }
}

/// A delivery the dispatcher sent before recording it (see `delivery` module: sending on schedule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// Acknowledged at `at`, `latency_ms` after the event's commit: recorded straight as delivered, one
    /// attempt, without ever being pending.
    Delivered { at: DateTime<Utc>, latency_ms: i64 },
    /// Attempted (or held back by the circuit) without success: recorded pending and leased to `owner`
    /// for `lease`, so that the owner records the attempt's outcome with `complete` (which seals its
    /// request and response) and nobody else sends it meanwhile. The lease starts when the row is written,
    /// not when the sender's round began: after a long round it would otherwise be over on arrival, and a
    /// claimer would send the delivery again at once, ignoring its backoff.
    Held { owner: String, lease: std::time::Duration },
}

/// Deliveries to insert for one subscription and the cursor move that covers them, applied atomically.
#[derive(Debug, Clone)]
pub struct ScheduleBatch {
    pub subscription: String,
    pub system: String,
    /// The cursor the dispatcher read; the batch is refused (nothing written) if it has moved since.
    pub expected_cursor: i64,
    /// The sequence number of the last event examined (matched or not).
    pub new_cursor: i64,
    pub deliveries: Vec<NewDelivery>,
    pub now: DateTime<Utc>,
}

impl ScheduleBatch {
    /// A cursor only moves forward.
    pub(crate) fn check(&self) -> Result<(), StoreError> {
        if self.new_cursor < self.expected_cursor {
            return Err(StoreError::Database(format!(
                "a schedule may not move the cursor of {:?} back from {} to {}",
                self.subscription, self.expected_cursor, self.new_cursor
            )));
        }
        Ok(())
    }
}

/// A delivery leased to one owner, with the event it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedDelivery {
    pub id: i64,
    pub subscription: String,
    pub system: String,
    /// `{subscription}:{seq}`: stable across every attempt, replay and process.
    pub idempotency_key: String,
    /// Attempts made before this one (0 on the first).
    pub attempts: u32,
    /// Start of the current retry budget: when scheduled, or when last replayed.
    pub queued_at: DateTime<Utc>,
    pub lease_expires_at: DateTime<Utc>,
    /// Shared with the other subscriptions' deliveries of the same event.
    pub event: std::sync::Arc<RecordedEvent>,
}

/// How one attempt at a claimed delivery ended.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryOutcome {
    /// Acknowledged at `at`; `latency_ms` is the time from the event's commit to the acknowledgement.
    Delivered { at: DateTime<Utc>, latency_ms: i64 },
    /// Failed; try again at `at`. The request and response are kept for inspection.
    Retry { at: DateTime<Utc>, error: String, request: Option<Value>, response: Option<Value> },
    /// Refused or out of retries: becomes a dead letter with its request and response.
    Dead { error: String, request: Option<Value>, response: Option<Value> },
    /// Not attempted (the system's circuit is open): due again at `until`; no attempt is counted.
    Deferred { until: DateTime<Utc> },
    /// Dropped without an attempt (the subscription's filter no longer selects it).
    Discarded { reason: String },
}

/// The result of one claimed delivery, completed by its lease owner.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryResult {
    pub id: i64,
    pub outcome: DeliveryOutcome,
}

/// Which dead letters to list (and, for replay and discard by filter, which to act on). Every set field
/// must match; `error_contains` is a case-sensitive substring of the last error.
#[derive(Debug, Clone, Default)]
pub struct DeadLetterFilter {
    pub system: Option<String>,
    pub subscription: Option<String>,
    pub event_type: Option<String>,
    pub error_contains: Option<String>,
    /// Only dead letters with an id greater than this (the page cursor); ignored by replay and discard.
    pub after_id: Option<i64>,
    /// Page size for listing (0: the default page); ignored by replay and discard, which take every match.
    pub limit: u32,
}

/// The dead letters an operation acts on.
#[derive(Debug, Clone)]
pub enum DeliverySelector {
    Ids(Vec<i64>),
    Filter(DeadLetterFilter),
}

/// A delivery as stored. Listing leaves `last_request` and `last_response` out (`None`); `delivery(id)`
/// fills them in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    pub id: i64,
    pub subscription: String,
    pub system: String,
    pub seq: i64,
    pub aggregate_id: String,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub idempotency_key: String,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub first_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Event commit to acknowledgement, for the first successful attempt.
    pub latency_ms: Option<i64>,
    pub last_error: Option<String>,
    pub last_request: Option<Value>,
    pub last_response: Option<Value>,
}

/// What `replay_subscription` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionReplay {
    /// Deliveries at or after the sequence number put back to pending.
    pub requeued: u64,
    /// The subscription's cursor afterwards.
    pub cursor: i64,
}

/// Health and lag of one subscription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionStats {
    pub subscription: String,
    pub system: String,
    pub cursor: i64,
    /// The log's last sequence number; `head_seq - cursor` is the lag still to be scheduled.
    pub head_seq: i64,
    pub pending: u64,
    pub delivered: u64,
    pub dead: u64,
    pub discarded: u64,
    /// When the oldest event still pending for this subscription was recorded.
    pub oldest_pending_recorded_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
}

/// The idempotency key of an event's delivery to a subscription.
pub fn idempotency_key(subscription: &str, seq: i64) -> String {
    format!("{subscription}:{seq}")
}
