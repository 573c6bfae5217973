//! One group-commit batch, whatever the backend: load the state the batch needs in a few queries, decide and
//! evolve every command in memory, then write events, projections and idempotency records in bulk.

mod apply;
mod decide;
mod working;

pub(crate) use apply::{apply_batch, placed_keys};

use crate::audit::AuditTx;
use crate::availability::AvailabilityTx;
use crate::sourcing::SourcingTx;
use crate::{CommandReceipt, StoreError, SubmitError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crossdock_model::{AggregateKind, InventoryPosition, Location, LocationId, Order, OrderId, Sku};
use std::collections::HashMap;

/// What one request of a batch came to.
pub(crate) type Outcome = Result<CommandReceipt, SubmitError>;

/// An event to append, with the version of its aggregate after it.
pub(crate) struct NewEvent {
    pub aggregate_kind: AggregateKind,
    pub aggregate_id: String,
    pub version: u64,
    pub event_type: &'static str,
    pub schema_version: u32,
    pub payload: String,
    /// The event itself, opened (kept in memory only: see `recent`).
    pub event: crossdock_model::Event,
    pub recorded_at: DateTime<Utc>,
    pub idempotency_key: String,
    pub actor: String,
}

impl NewEvent {
    /// The event as the log holds it once appended at `seq`.
    fn recorded(self, seq: i64) -> crossdock_model::RecordedEvent {
        crossdock_model::RecordedEvent {
            seq,
            aggregate_kind: self.aggregate_kind,
            aggregate_id: self.aggregate_id,
            version: self.version,
            event_type: self.event_type.to_string(),
            schema_version: self.schema_version,
            recorded_at: self.recorded_at,
            idempotency_key: self.idempotency_key,
            payload: self.event,
        }
    }
}

/// An idempotency record as stored.
pub(crate) struct StoredIdempotency {
    pub request_hash: String,
    pub receipt: CommandReceipt,
}

/// An idempotency record to insert; `receipt` is the receipt's JSON.
pub(crate) struct NewIdempotency {
    pub key: String,
    pub request_hash: String,
    pub receipt: String,
    pub created_at: DateTime<Utc>,
}

/// The statements a batch needs, inside one open transaction that holds the store's write lock.
/// Every method is one round trip (or a few, when a bulk statement is split below the bind-parameter limit).
#[async_trait]
pub(crate) trait BatchTx: SourcingTx + AvailabilityTx + AuditTx + Send {
    async fn idempotency(&mut self, keys: &[String]) -> Result<HashMap<String, StoredIdempotency>, StoreError>;
    /// The stored states (JSON, PII sealed) of these orders.
    async fn orders(&mut self, ids: &[OrderId]) -> Result<Vec<String>, StoreError>;
    async fn positions(&mut self, keys: &[(Sku, LocationId)]) -> Result<Vec<InventoryPosition>, StoreError>;
    async fn locations(&mut self, ids: &[LocationId]) -> Result<Vec<(Location, u64)>, StoreError>;
    /// Appends the events in order and returns their sequence numbers, aligned with `events`.
    async fn append_events(&mut self, events: &[NewEvent]) -> Result<Vec<i64>, StoreError>;
    /// Upserts orders with the sequence number of each one's last event and the state to store (`states`,
    /// aligned with `orders`: the order's JSON with its PII sealed).
    async fn upsert_orders(&mut self, orders: &[(&Order, i64)], states: &[String]) -> Result<(), StoreError>;
    async fn upsert_positions(&mut self, positions: &[&InventoryPosition]) -> Result<(), StoreError>;
    async fn upsert_locations(&mut self, locations: &[(&Location, u64)]) -> Result<(), StoreError>;
    async fn insert_idempotency(&mut self, records: &[NewIdempotency]) -> Result<(), StoreError>;
}
