//! The store's public contract: the `Store` trait, command requests and receipts, queries, API key records.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crossdock_engine::DecideError;
use crossdock_model::{
    AggregateKind, Command, CustomerId, InventoryPosition, Location, LocationId, Order, OrderId, OrderStatus,
    RecordedEvent, Sku,
};
use serde::{Deserialize, Serialize};

use crate::delivery::{
    ClaimedDelivery, DeadLetterFilter, DeliveryRecord, DeliveryResult, DeliverySelector, ScheduleBatch,
    SubscriptionReplay, SubscriptionStart, SubscriptionStats,
};

/// A command to apply, with the idempotency key that makes resubmission safe.
#[derive(Debug, Clone)]
pub struct CommandRequest {
    /// Source system + external id + revision, or the client's `Idempotency-Key`.
    pub idempotency_key: String,
    pub command: Command,
    /// Who sent it: an API key id or a connected system's name.
    pub actor: String,
    /// When set, the addressed aggregate must be at exactly this version (optimistic concurrency for clients).
    pub expected_version: Option<u64>,
    /// Where the request came from, for the audit trail (empty for the hub's own commands).
    pub origin: Origin,
}

/// Where a command came from: recorded with `actor` in its audit entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// The client's address (`ip:port`), when the command came over the network.
    pub source: Option<String>,
    /// The request id of the HTTP request (or message) that carried it.
    pub request_id: Option<String>,
}

/// What applying a command did; stored with the idempotency key and returned again on a replay.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommandReceipt {
    pub aggregate_kind: AggregateKind,
    pub aggregate_id: String,
    /// Version of the addressed aggregate after the command.
    pub version: u64,
    /// Sequence numbers of the first and last events written (equal when one event; 0 when none).
    pub first_seq: i64,
    pub last_seq: i64,
    pub event_count: u32,
    /// True when this receipt is the stored answer to an earlier identical request.
    #[serde(default)]
    pub replayed: bool,
    /// The order as this command left it, when the command addressed an order and was applied now (never on
    /// a replay), so that the API can answer without reading it back. Not stored, and not part of equality.
    #[serde(skip)]
    pub order: Option<std::sync::Arc<Order>>,
}

impl PartialEq for CommandReceipt {
    fn eq(&self, other: &Self) -> bool {
        (self.aggregate_kind, &self.aggregate_id, self.version, self.first_seq, self.last_seq)
            == (other.aggregate_kind, &other.aggregate_id, other.version, other.first_seq, other.last_seq)
            && (self.event_count, self.replayed) == (other.event_count, other.replayed)
    }
}

impl Eq for CommandReceipt {}

/// Why a command was not applied. Nothing was written in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error(transparent)]
    Rejected(#[from] DecideError),
    #[error("idempotency key {key:?} was already used with a different request")]
    KeyReused { key: String },
    #[error("expected version {expected} but the aggregate is at version {actual}")]
    VersionConflict { expected: u64, actual: u64 },
    #[error(transparent)]
    Storage(#[from] StoreError),
}

/// A storage failure (connection lost, disk full, corrupted row). Logged in full, reported briefly.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(String),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    #[error("the store is shutting down")]
    Closed,
}

/// Filters for listing orders. Results are ordered by the sequence number of each order's last event.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub channel: Option<String>,
    pub updated_since: Option<DateTime<Utc>>,
    /// Only orders whose last event has a sequence number greater than this (the page cursor).
    pub after_seq: Option<i64>,
    pub limit: u32,
}

/// An order with the sequence number of its last event (the cursor to continue after it).
#[derive(Debug, Clone)]
pub struct OrderRow {
    pub order: Order,
    pub last_seq: i64,
}

/// Filters for reading the audit trail; entries come in chain order (ascending `seq`).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// The addressed aggregate as `kind:id` (`order:o-1`), or a bare id matching it under any kind.
    pub aggregate: Option<String>,
    pub actor: Option<String>,
    /// Entries recorded at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Entries recorded before this time.
    pub to: Option<DateTime<Utc>>,
    /// Only entries with a sequence number greater than this (the page cursor).
    pub after_seq: Option<i64>,
    pub limit: u32,
}

/// A stored API key: only the SHA-256 of its secret is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    /// Public id, the part of the key before the secret.
    pub id: String,
    pub name: String,
    /// Hex SHA-256 of the secret part.
    pub secret_hash: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// After a rotation: the hex SHA-256 of the secret it replaced, accepted until `previous_valid_until`.
    #[serde(default)]
    pub previous_secret_hash: Option<String>,
    #[serde(default)]
    pub previous_valid_until: Option<DateTime<Utc>>,
    /// Requests per minute this key may make (`None`: the server's default).
    #[serde(default)]
    pub rate_limit_per_minute: Option<u32>,
}

/// Everything the store holds about a customer, PII opened (or reading as erased): their orders and the
/// events of those orders, oldest first.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerExport {
    pub customer_id: CustomerId,
    pub orders: Vec<Order>,
    pub events: Vec<RecordedEvent>,
}

/// Most orders a customer export holds.
pub const EXPORT_MAX_ORDERS: i64 = 1_000;

/// The durable heart of the hub. Every write goes through `submit`, which groups concurrent commands
/// into one transaction (group commit) and answers only once that transaction is durable.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    async fn submit(&self, request: CommandRequest) -> Result<CommandReceipt, SubmitError>;

    /// The orchestration policy commands are decided with (sourcing, channel groups, restocking fee).
    fn policy(&self) -> std::sync::Arc<crossdock_engine::Policy>;
    /// Replaces the policy; batches started afterwards use the new one.
    fn set_policy(&self, policy: crossdock_engine::Policy);

    /// Submits several requests (an EDI file, a CSV batch) and returns one outcome per request, in order.
    /// Each is settled on its own — a refused one does not stop the others — but the store applies each run
    /// of up to `MAX_BATCH` of them in the same transaction when it can. The default submits one at a time.
    async fn submit_batch(&self, requests: Vec<CommandRequest>) -> Vec<Result<CommandReceipt, SubmitError>> {
        let mut outcomes = Vec::with_capacity(requests.len());
        for request in requests {
            outcomes.push(self.submit(request).await);
        }
        outcomes
    }

    async fn order(&self, id: &OrderId) -> Result<Option<Order>, StoreError>;
    async fn list_orders(&self, filter: &OrderFilter) -> Result<Vec<OrderRow>, StoreError>;
    /// Ids of the orders whose id starts with `prefix`, in id order, at most `limit`: the candidates for a
    /// reference that a partner echoes after it was shortened to fit an EDI element.
    async fn order_ids_with_prefix(&self, prefix: &str, limit: u32) -> Result<Vec<OrderId>, StoreError>;
    async fn inventory(
        &self,
        sku: Option<&Sku>,
        location: Option<&LocationId>,
    ) -> Result<Vec<InventoryPosition>, StoreError>;
    async fn location(&self, id: &LocationId) -> Result<Option<Location>, StoreError>;
    /// Events with a sequence number greater than `after`, in sequence order, at most `limit`.
    async fn events_after(&self, after: i64, limit: u32) -> Result<Vec<RecordedEvent>, StoreError>;
    /// The heads of the events after `after` (no payload: nothing decoded or opened), in sequence order, at
    /// most `limit`: for readers that select by type before they need a payload (the dispatcher's scheduling).
    async fn event_heads_after(&self, after: i64, limit: u32) -> Result<Vec<EventHead>, StoreError>;
    /// Events this process committed in the last seconds that follow `after` without a gap, at most `limit`,
    /// opened, from memory (no read); empty when the next event is not among them, and then the log must be
    /// read (`event_heads_after`, `events_after`). The dispatcher's senders try it first.
    fn recent_events_after(&self, after: i64, limit: u32) -> Vec<std::sync::Arc<RecordedEvent>> {
        let _ = (after, limit);
        Vec::new()
    }
    /// The events with these sequence numbers, in sequence order; numbers with no event are left out.
    async fn events_at(&self, seqs: &[i64]) -> Result<Vec<std::sync::Arc<RecordedEvent>>, StoreError>;
    /// The events of aggregates of `kind` after `after`, in sequence order, at most `limit` (the availability
    /// feed reads only inventory events).
    async fn events_of_kind_after(
        &self,
        kind: AggregateKind,
        after: i64,
        limit: u32,
    ) -> Result<Vec<RecordedEvent>, StoreError>;
    /// The `order.sourced` events of an order (every sourcing decision with its explanation), oldest first.
    async fn sourcing_decisions(&self, order: &OrderId) -> Result<Vec<RecordedEvent>, StoreError>;
    /// Every event of one aggregate (an order's timeline), oldest first, at most `limit` (the console).
    async fn aggregate_events(
        &self,
        kind: AggregateKind,
        id: &str,
        limit: u32,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Destroys the customer's PII data key (crypto-shredding): their names, e-mail addresses, phone numbers
    /// and addresses read as erased everywhere afterwards; the orders' other data stays. The request is
    /// recorded in the audit trail (`actor`, `origin`, command `erase_customer_pii`, its outcome), also when
    /// the key table fails.
    async fn erase_customer_pii(
        &self,
        customer: &CustomerId,
        actor: &str,
        origin: &Origin,
    ) -> Result<crate::pii::Erasure, StoreError>;
    /// The customer's orders (at most [`EXPORT_MAX_ORDERS`]) with their events.
    async fn customer_export(&self, customer: &CustomerId) -> Result<CustomerExport, StoreError>;

    async fn insert_api_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError>;
    async fn api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>, StoreError>;
    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError>;
    /// Marks a key revoked; false when no such key exists.
    async fn revoke_api_key(&self, id: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Gives an unrevoked key a new secret hash; its current one becomes the previous one, accepted until
    /// `previous_valid_until` (a previous one from an earlier rotation is dropped). False when there is no
    /// such key or it is revoked.
    async fn rotate_api_key(
        &self,
        id: &str,
        new_secret_hash: &str,
        previous_valid_until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Audit entries matching `filter`, in chain order.
    async fn audit_entries(&self, filter: &crate::AuditFilter) -> Result<Vec<crate::audit::AuditEntry>, StoreError>;
    /// The chain's recorded head: sequence number and hash of the last entry ((0, genesis) when empty).
    async fn audit_head(&self) -> Result<(i64, String), StoreError>;

    /// A cheap round trip to the database, for `/readyz`.
    async fn ping(&self) -> Result<(), StoreError>;

    // Delivery state (see the `delivery` module for the rules these follow).

    /// The sequence number of the last event in the log (0 when empty).
    async fn head_seq(&self) -> Result<i64, StoreError>;
    /// Creates the subscription's cursor if it has none (at 0, or at the head of the log) and returns the
    /// cursor; an existing subscription keeps its cursor (its system is updated).
    async fn register_subscription(
        &self,
        name: &str,
        system: &str,
        start: SubscriptionStart,
    ) -> Result<i64, StoreError>;
    /// The subscription's cursor: the last sequence number its dispatcher has examined.
    async fn subscription_cursor(&self, name: &str) -> Result<Option<i64>, StoreError>;
    /// Inserts the batch's deliveries and moves the cursor from `expected_cursor` to `new_cursor`, in one
    /// transaction; false (and nothing written) when the cursor is no longer `expected_cursor`.
    async fn schedule(&self, batch: &ScheduleBatch) -> Result<bool, StoreError> {
        Ok(self.schedule_many(std::slice::from_ref(batch)).await?.first().copied().unwrap_or(false))
    }
    /// [`Self::schedule`] for several subscriptions in one transaction; for each batch, whether it was applied.
    async fn schedule_many(&self, batches: &[ScheduleBatch]) -> Result<Vec<bool>, StoreError>;
    /// Leases up to `limit` due deliveries to `owner` until `now + lease`, oldest first, at most one per
    /// (subscription, aggregate) at a time and only the earliest pending one of each.
    async fn claim(
        &self,
        owner: &str,
        lease: std::time::Duration,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>, StoreError>;
    /// Records the results of claimed deliveries in one transaction; results for deliveries `owner` no longer
    /// holds are ignored. Returns how many were recorded.
    async fn complete(&self, owner: &str, results: &[DeliveryResult]) -> Result<u64, StoreError>;
    /// Takes or renews the sender lease of `subscription` for `owner` until `until` (sending on schedule),
    /// unless another owner holds it past `now`; true when `owner` holds it afterwards. Handing it back:
    /// `until <= now`.
    async fn acquire_sender(
        &self,
        subscription: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Which of `aggregates` have a pending delivery for `subscription` (their new events queue behind it).
    async fn pending_aggregates(
        &self,
        subscription: &str,
        aggregates: &[String],
    ) -> Result<std::collections::HashSet<String>, StoreError>;
    /// The id of `subscription`'s delivery of each of these events that has one, by sequence number.
    async fn delivery_ids(
        &self,
        subscription: &str,
        seqs: &[i64],
    ) -> Result<std::collections::HashMap<i64, i64>, StoreError>;
    /// Dead letters matching `filter`, by id.
    async fn dead_letters(&self, filter: &DeadLetterFilter) -> Result<Vec<DeliveryRecord>, StoreError>;
    /// One delivery with its last request and response.
    async fn delivery(&self, id: i64) -> Result<Option<DeliveryRecord>, StoreError>;
    /// Every delivery (any status) of one aggregate's events, by id, at most `limit`, without request and
    /// response (the console's per-order delivery status).
    async fn aggregate_deliveries(&self, aggregate_id: &str, limit: u32) -> Result<Vec<DeliveryRecord>, StoreError>;
    /// Puts the selected dead letters back to pending, due `now`, with a fresh retry budget.
    async fn replay_dead_letters(&self, selector: &DeliverySelector, now: DateTime<Utc>) -> Result<u64, StoreError>;
    /// Marks the selected dead letters discarded.
    async fn discard_dead_letters(&self, selector: &DeliverySelector) -> Result<u64, StoreError>;
    /// Re-sends a subscription's history from `from_seq`: its deliveries at or after it go back to pending
    /// (same idempotency keys) and its cursor moves back so that events never scheduled are examined again.
    /// `None` when there is no such subscription.
    async fn replay_subscription(
        &self,
        subscription: &str,
        from_seq: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<SubscriptionReplay>, StoreError>;
    /// Cursor, lag, counts and last outcome of every subscription, by name.
    async fn delivery_stats(&self) -> Result<Vec<SubscriptionStats>, StoreError>;
    /// Every delivery as a KPI sample (system, event committed at, acknowledged at, dead-lettered or
    /// discarded), by event; only events committed at or after `since` when it is given.
    async fn delivery_samples(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<crossdock_engine::kpi::DeliverySample>, StoreError>;
    /// Integration KPIs per system over the deliveries of events committed in `period`, counted in the
    /// database: the same numbers as `kpi::integration_kpis` over [`delivery_samples`](Self::delivery_samples)
    /// (filtered to the period), at a cost that does not grow with reading every sample. `systems` are
    /// reported even without deliveries; sorted by name.
    async fn integration_kpis(
        &self,
        period: &crossdock_engine::kpi::Period,
        systems: &[String],
        budget: chrono::TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<Vec<crossdock_engine::kpi::SystemKpis>, StoreError>;

    // Retention (see the `retention` module for what is pruned and what that changes).

    /// Deletes the rows of `target` created before `before` (deliveries only when delivered or discarded),
    /// at most `chunk_rows` in each transaction.
    async fn prune(
        &self,
        target: crate::retention::PruneTarget,
        before: DateTime<Utc>,
        chunk_rows: u32,
    ) -> Result<crate::retention::Pruned, StoreError>;
    /// How many rows [`prune`](Self::prune) would delete now (a dry run; rows change meanwhile).
    async fn prunable(&self, target: crate::retention::PruneTarget, before: DateTime<Utc>) -> Result<u64, StoreError>;

    // EDI interchanges and control numbers (see the `edi` module for the rules these follow).

    /// Records received or sent interchanges in one transaction (all or none); returns their ids in order.
    async fn insert_interchanges(&self, records: &[crate::edi::NewInterchange]) -> Result<Vec<i64>, StoreError>;
    /// Records a received interchange and the acknowledgement to write back for it in one transaction, marked
    /// as not written until [`Store::ack_written`]; `input_hash` is [`crate::edi::input_hash`] of
    /// `inbound.raw` (the caller computes it once, off the async runtime, for both calls).
    async fn insert_received(
        &self,
        inbound: &crate::edi::NewInterchange,
        ack: &crate::edi::NewInterchange,
        input_hash: &str,
    ) -> Result<crate::edi::UnwrittenAck, StoreError>;
    /// The received interchange of `partner` whose bytes hash to `input_hash` ([`crate::edi::input_hash`])
    /// and whose acknowledgement is recorded but not written.
    async fn unwritten_ack(
        &self,
        partner: &str,
        input_hash: &str,
    ) -> Result<Option<crate::edi::UnwrittenAck>, StoreError>;
    /// The acknowledgement of received interchange `inbound_id` is written: drops its marker.
    async fn ack_written(&self, inbound_id: i64) -> Result<(), StoreError>;
    /// The order a short reference sent to `partner` stands for (`NewInterchange::references`).
    async fn referenced_order(&self, partner: &str, reference: &str) -> Result<Option<OrderId>, StoreError>;
    /// One interchange with its raw bytes.
    async fn interchange(&self, id: i64) -> Result<Option<crate::edi::InterchangeRecord>, StoreError>;
    /// Interchanges matching `filter`, newest first, without raw bytes.
    async fn list_interchanges(
        &self,
        filter: &crate::edi::InterchangeFilter,
    ) -> Result<Vec<crate::edi::InterchangeRecord>, StoreError>;
    /// Records an acknowledgement's outcome; false when there is no such interchange.
    async fn update_interchange_ack(&self, update: &crate::edi::InterchangeAckUpdate) -> Result<bool, StoreError>;
    /// Turns expected acknowledgements due before `now` overdue; returns the ids changed.
    async fn mark_overdue_acks(&self, now: DateTime<Utc>) -> Result<Vec<i64>, StoreError>;
    /// Allocates `interchanges` ISA13s and `groups` GS06s for `partner` from counters that never go back.
    async fn allocate_control_numbers(
        &self,
        partner: &str,
        interchanges: u32,
        groups: u32,
    ) -> Result<crate::edi::ControlBlock, StoreError>;
}

/// An event without its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventHead {
    pub seq: i64,
    pub aggregate_kind: AggregateKind,
    pub aggregate_id: String,
    pub event_type: String,
}
