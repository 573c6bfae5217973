//! `SqliteStore`: the embedded default. WAL with `synchronous=FULL`, one writer connection driven by the
//! group-commit task, and a separate pool of read-only connections for queries.

use super::pii_keys::{self, SqliteKeyTable};
use super::{dead_letters, delivery, edi, rows, schema, sender, tx::SqliteBackend};
use crate::codec::{db, page_size, time_text};
use crate::edi::{
    ControlBlock, InterchangeAckUpdate, InterchangeFilter, InterchangeRecord, NewInterchange, UnwrittenAck,
};
use crate::pii::{Erasure, Pii, StoreOptions};
use crate::writer::Writer;
use crate::{
    ApiKeyRecord, ClaimedDelivery, CommandReceipt, CommandRequest, DeadLetterFilter, DeliveryRecord, DeliveryResult,
    DeliverySelector, OrderFilter, OrderRow, ScheduleBatch, Store, StoreError, SubmitError, SubscriptionReplay,
    SubscriptionStart, SubscriptionStats, codec,
};
use crate::{CustomerExport, EXPORT_MAX_ORDERS};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crossdock_model::{
    AggregateKind, CustomerId, InventoryPosition, Location, LocationId, Order, OrderId, RecordedEvent, Sku,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// How long a connection waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// Read connections; SQLite readers in WAL mode do not block the writer or each other.
const READ_CONNECTIONS: u32 = 8;

/// The event log and projections in one SQLite file.
pub struct SqliteStore {
    read: SqlitePool,
    write: SqlitePool,
    writer: Writer,
    policy: crate::policy::PolicyCell,
    pii: Pii,
    /// Events this process committed lately, opened (see `recent`).
    recent: std::sync::Arc<crate::recent::RecentEvents>,
    /// Keeps the WAL checkpointer running (see `checkpoint`).
    _checkpointer: super::checkpoint::Alive,
}

/// Connection options for `sqlite://path`, `sqlite:path` or a bare file path; the file is created if missing.
fn connect_options(url: &str) -> Result<SqliteConnectOptions, StoreError> {
    if url.contains(":memory:") || url.contains("mode=memory") {
        return Err(StoreError::Database(
            "an in-memory SQLite database cannot be shared by the writer and the readers; give a file path".into(),
        ));
    }
    let options = if url.starts_with("sqlite:") {
        SqliteConnectOptions::from_str(url).map_err(db)?
    } else {
        SqliteConnectOptions::new().filename(url)
    };
    Ok(options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: the WAL is synced at every commit, so an answered command survives kill -9 and power loss.
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true)
        // Statement journals (and temporary indices) in memory, not in temporary files: they only roll a
        // statement back inside its transaction, so they never need to outlive the process.
        .pragma("temp_store", "memory")
        // For a connection that writes without the store's checkpointer (another tool on the file): every
        // ~16 MiB of WAL rather than 4 MiB. The store's writer turns it off (see `checkpoint`).
        .pragma("wal_autocheckpoint", "4000"))
}

impl SqliteStore {
    /// Opens (creating it if needed) the database at `url` and applies the missing migrations.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, StoreOptions::default()).await
    }

    /// [`SqliteStore::open`] with options. With a master key, PII data keys are kept in a file of their own
    /// beside the store's (see [`pii_keys::key_file_for`]).
    pub async fn open_with(url: &str, store_options: StoreOptions) -> Result<Self, StoreError> {
        Self::open_tuned(url, store_options, super::checkpoint::WAL_LIMIT_BYTES).await
    }

    /// [`SqliteStore::open_with`] with the WAL limit in bytes (see `checkpoint`), for tests.
    pub(crate) async fn open_tuned(
        url: &str,
        store_options: StoreOptions,
        wal_limit_bytes: u64,
    ) -> Result<Self, StoreError> {
        let options = connect_options(url)?;
        let wal = super::checkpoint::WalLimit::new(options.get_filename(), wal_limit_bytes);
        let pii = match store_options.pii {
            Some(provider) => {
                let table = SqliteKeyTable::open(&pii_keys::key_file_for(options.get_filename())).await?;
                Pii::new(provider, Box::new(table))
            }
            None => Pii::default(),
        };
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(BUSY_TIMEOUT * 2)
            .connect_with(
                options
                    .clone()
                    .pragma("wal_autocheckpoint", "0")
                    .pragma("journal_size_limit", wal.bytes.min(i64::MAX as u64).to_string()),
            )
            .await
            .map_err(db)?;
        schema::migrate(&write).await?;
        let checkpointer = super::checkpoint::start(&options).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(READ_CONNECTIONS)
            .connect_with(options.pragma("query_only", "ON"))
            .await
            .map_err(db)?;
        let policy = crate::policy::PolicyCell::default();
        let recent = std::sync::Arc::default();
        let writer = Writer::spawn(SqliteBackend {
            write_pool: write.clone(),
            policy: policy.clone(),
            pii: pii.clone(),
            recent: std::sync::Arc::clone(&recent),
            wal,
        });
        Ok(Self { read, write, writer, policy, pii, recent, _checkpointer: checkpointer })
    }

    /// Events from rows of the `events` columns, PII opened.
    async fn open_events(&self, found: &[sqlx::sqlite::SqliteRow]) -> Result<Vec<RecordedEvent>, StoreError> {
        let ring = self.pii.ring_for(found.iter().filter_map(|r| r.try_get::<&str, _>("payload").ok())).await?;
        found.iter().map(|row| rows::event(row, &ring)).collect()
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn submit(&self, request: CommandRequest) -> Result<CommandReceipt, SubmitError> {
        self.writer.submit(request).await
    }

    fn policy(&self) -> std::sync::Arc<crossdock_engine::Policy> {
        self.policy.get()
    }

    fn set_policy(&self, policy: crossdock_engine::Policy) {
        self.policy.set(policy);
    }

    async fn submit_batch(&self, requests: Vec<CommandRequest>) -> Vec<Result<CommandReceipt, SubmitError>> {
        self.writer.submit_batch(requests).await
    }

    async fn order(&self, id: &OrderId) -> Result<Option<Order>, StoreError> {
        let row = sqlx::query("SELECT state FROM orders WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await
            .map_err(db)?;
        let ring = self.pii.ring_for(row.iter().filter_map(|r| r.try_get::<&str, _>("state").ok())).await?;
        row.as_ref().map(|row| rows::order(row, &ring)).transpose()
    }

    async fn order_ids_with_prefix(&self, prefix: &str, limit: u32) -> Result<Vec<OrderId>, StoreError> {
        // Text compares byte by byte here, so [prefix, prefix + U+10FFFF) is a range of the id index.
        let rows = sqlx::query("SELECT id FROM orders WHERE id >= ? AND id < ? ORDER BY id LIMIT ?")
            .bind(prefix.to_string())
            .bind(format!("{prefix}{}", char::MAX))
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await
            .map_err(db)?;
        rows.iter()
            .map(|row| crate::codec::parse_id("order id", row.try_get("id").map_err(db)?, OrderId::new))
            .collect()
    }

    async fn list_orders(&self, filter: &OrderFilter) -> Result<Vec<OrderRow>, StoreError> {
        let mut query = QueryBuilder::<Sqlite>::new("SELECT state, last_seq FROM orders WHERE 1 = 1");
        if let Some(status) = filter.status {
            query.push(" AND status = ").push_bind(status.as_str());
        }
        if let Some(channel) = &filter.channel {
            query.push(" AND channel = ").push_bind(channel.clone());
        }
        if let Some(since) = filter.updated_since {
            query.push(" AND updated_at >= ").push_bind(time_text(since));
        }
        if let Some(after) = filter.after_seq {
            query.push(" AND last_seq > ").push_bind(after);
        }
        query.push(" ORDER BY last_seq LIMIT ").push_bind(page_size(filter.limit));
        let found = query.build().fetch_all(&self.read).await.map_err(db)?;
        let ring = self.pii.ring_for(found.iter().filter_map(|r| r.try_get::<&str, _>("state").ok())).await?;
        found
            .iter()
            .map(|row| Ok(OrderRow { order: rows::order(row, &ring)?, last_seq: row.try_get("last_seq").map_err(db)? }))
            .collect()
    }

    async fn inventory(
        &self,
        sku: Option<&Sku>,
        location: Option<&LocationId>,
    ) -> Result<Vec<InventoryPosition>, StoreError> {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT sku, location, on_hand, reserved, safety_stock, in_transit, version, updated_at FROM inventory WHERE 1 = 1",
        );
        if let Some(sku) = sku {
            query.push(" AND sku = ").push_bind(sku.to_string());
        }
        if let Some(location) = location {
            query.push(" AND location = ").push_bind(location.to_string());
        }
        query.push(" ORDER BY sku, location");
        query.build().fetch_all(&self.read).await.map_err(db)?.iter().map(rows::position).collect()
    }

    async fn location(&self, id: &LocationId) -> Result<Option<Location>, StoreError> {
        let row = sqlx::query("SELECT state, version FROM locations WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await
            .map_err(db)?;
        Ok(row.as_ref().map(rows::location).transpose()?.map(|(location, _)| location))
    }

    async fn events_after(&self, after: i64, limit: u32) -> Result<Vec<RecordedEvent>, StoreError> {
        let found = sqlx::query(
            "SELECT seq, aggregate_kind, aggregate_id, version, event_type, schema_version, payload, recorded_at, \
             idempotency_key FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(after)
        .bind(page_size(limit))
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        self.open_events(&found).await
    }

    async fn event_heads_after(&self, after: i64, limit: u32) -> Result<Vec<crate::EventHead>, StoreError> {
        let found = sqlx::query(
            "SELECT seq, aggregate_kind, aggregate_id, event_type FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(after)
        .bind(page_size(limit))
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        found.iter().map(rows::event_head).collect()
    }

    fn recent_events_after(&self, after: i64, limit: u32) -> Vec<std::sync::Arc<RecordedEvent>> {
        self.recent.run_after(after, page_size(limit) as usize)
    }

    async fn events_at(&self, seqs: &[i64]) -> Result<Vec<std::sync::Arc<RecordedEvent>>, StoreError> {
        self.recent
            .read_through(seqs, |missing| async move {
                let found = sender::event_rows_at(&self.read, &missing).await?;
                self.open_events(&found).await
            })
            .await
    }

    async fn events_of_kind_after(
        &self,
        kind: AggregateKind,
        after: i64,
        limit: u32,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        // `+` keeps the planner on the sequence order (not the (kind, id, version) index and a sort).
        let found = sqlx::query(
            "SELECT seq, aggregate_kind, aggregate_id, version, event_type, schema_version, payload, recorded_at, \
             idempotency_key FROM events WHERE seq > ? AND +aggregate_kind = ? ORDER BY seq LIMIT ?",
        )
        .bind(after)
        .bind(kind.as_str())
        .bind(page_size(limit))
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        self.open_events(&found).await
    }

    async fn sourcing_decisions(&self, order: &OrderId) -> Result<Vec<RecordedEvent>, StoreError> {
        let found = sqlx::query(
            "SELECT seq, aggregate_kind, aggregate_id, version, event_type, schema_version, payload, recorded_at, \
             idempotency_key FROM events WHERE aggregate_kind = 'order' AND aggregate_id = ? \
             AND event_type = 'order.sourced' ORDER BY version",
        )
        .bind(order.to_string())
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        self.open_events(&found).await
    }

    async fn erase_customer_pii(
        &self,
        customer: &CustomerId,
        actor: &str,
        origin: &crate::Origin,
    ) -> Result<Erasure, StoreError> {
        let erased = self.pii.erase_customer(customer.as_str()).await;
        // Opened events of the customer may be kept: drop them all (they are read again, now redacted).
        self.recent.clear();
        let fields = crate::audit::erasure_fields(customer.as_str(), actor, origin, &erased, chrono::Utc::now());
        super::audit::append_standalone(&self.write, fields).await?;
        erased
    }

    async fn customer_export(&self, customer: &CustomerId) -> Result<CustomerExport, StoreError> {
        let found = sqlx::query("SELECT id, state FROM orders WHERE customer_id = ? ORDER BY last_seq LIMIT ?")
            .bind(customer.to_string())
            .bind(EXPORT_MAX_ORDERS)
            .fetch_all(&self.read)
            .await
            .map_err(db)?;
        let ring = self.pii.ring_for(found.iter().filter_map(|r| r.try_get::<&str, _>("state").ok())).await?;
        let orders = found.iter().map(|row| rows::order(row, &ring)).collect::<Result<Vec<_>, _>>()?;
        let mut events = Vec::new();
        for chunk in orders.chunks(codec::rows_per_statement(1)) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "SELECT seq, aggregate_kind, aggregate_id, version, event_type, schema_version, payload, recorded_at, \
                 idempotency_key FROM events WHERE aggregate_kind = 'order' AND aggregate_id IN (",
            );
            let mut list = query.separated(", ");
            for order in chunk {
                list.push_bind(order.id.to_string());
            }
            query.push(") ORDER BY seq");
            let found = query.build().fetch_all(&self.read).await.map_err(db)?;
            events.extend(self.open_events(&found).await?);
        }
        events.sort_by_key(|e| e.seq);
        Ok(CustomerExport { customer_id: customer.clone(), orders, events })
    }

    async fn aggregate_events(
        &self,
        kind: AggregateKind,
        id: &str,
        limit: u32,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let found = sqlx::query(
            "SELECT seq, aggregate_kind, aggregate_id, version, event_type, schema_version, payload, recorded_at, \
             idempotency_key FROM events WHERE aggregate_kind = ? AND aggregate_id = ? ORDER BY version LIMIT ?",
        )
        .bind(kind.as_str())
        .bind(id.to_string())
        .bind(page_size(limit))
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        self.open_events(&found).await
    }

    async fn insert_api_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO api_keys (id, name, secret_hash, scopes, created_at, expires_at, revoked_at, \
             previous_secret_hash, previous_valid_until, rate_limit_per_minute) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(key.id.clone())
        .bind(key.name.clone())
        .bind(key.secret_hash.clone())
        .bind(codec::to_json(&key.scopes)?)
        .bind(time_text(key.created_at))
        .bind(key.expires_at.map(time_text))
        .bind(key.revoked_at.map(time_text))
        .bind(key.previous_secret_hash.clone())
        .bind(key.previous_valid_until.map(time_text))
        .bind(key.rate_limit_per_minute.map(i64::from))
        .execute(&self.write)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, secret_hash, scopes, created_at, expires_at, revoked_at, previous_secret_hash, \
             previous_valid_until, rate_limit_per_minute FROM api_keys WHERE id = ?",
        )
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await
        .map_err(db)?;
        row.as_ref().map(rows::api_key).transpose()
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        sqlx::query(
            "SELECT id, name, secret_hash, scopes, created_at, expires_at, revoked_at, previous_secret_hash, \
             previous_valid_until, rate_limit_per_minute FROM api_keys ORDER BY created_at, id",
        )
        .fetch_all(&self.read)
        .await
        .map_err(db)?
        .iter()
        .map(rows::api_key)
        .collect()
    }

    async fn revoke_api_key(&self, id: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        // A key already revoked keeps its first revocation time.
        let done = sqlx::query("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?")
            .bind(time_text(at))
            .bind(id.to_string())
            .execute(&self.write)
            .await
            .map_err(db)?;
        Ok(done.rows_affected() > 0)
    }

    async fn audit_entries(&self, filter: &crate::AuditFilter) -> Result<Vec<crate::audit::AuditEntry>, StoreError> {
        super::audit::entries(&self.read, filter).await
    }

    async fn audit_head(&self) -> Result<(i64, String), StoreError> {
        super::audit::head(&self.read).await
    }

    async fn rotate_api_key(
        &self,
        id: &str,
        new_secret_hash: &str,
        previous_valid_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE api_keys SET previous_secret_hash = secret_hash, previous_valid_until = ?, secret_hash = ? \
             WHERE id = ? AND revoked_at IS NULL",
        )
        .bind(time_text(previous_valid_until))
        .bind(new_secret_hash.to_string())
        .bind(id.to_string())
        .execute(&self.write)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() > 0)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.read).await.map_err(db)?;
        Ok(())
    }

    async fn head_seq(&self) -> Result<i64, StoreError> {
        delivery::head_seq(&self.read).await
    }

    async fn register_subscription(
        &self,
        name: &str,
        system: &str,
        start: SubscriptionStart,
    ) -> Result<i64, StoreError> {
        delivery::register(&self.write, name, system, start).await
    }

    async fn subscription_cursor(&self, name: &str) -> Result<Option<i64>, StoreError> {
        delivery::cursor(&self.read, name).await
    }

    async fn acquire_sender(
        &self,
        subscription: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        sender::acquire_sender(&self.write, subscription, owner, now, until).await
    }

    async fn pending_aggregates(
        &self,
        subscription: &str,
        aggregates: &[String],
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        sender::pending_aggregates(&self.read, subscription, aggregates).await
    }

    async fn delivery_ids(
        &self,
        subscription: &str,
        seqs: &[i64],
    ) -> Result<std::collections::HashMap<i64, i64>, StoreError> {
        sender::delivery_ids(&self.read, subscription, seqs).await
    }

    async fn schedule_many(&self, batches: &[ScheduleBatch]) -> Result<Vec<bool>, StoreError> {
        delivery::schedule(&self.write, batches).await
    }

    async fn claim(
        &self,
        owner: &str,
        lease: Duration,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        delivery::claim(&self.read, &self.write, owner, lease, now, limit, &self.pii).await
    }

    async fn complete(&self, owner: &str, results: &[DeliveryResult]) -> Result<u64, StoreError> {
        delivery::complete(&self.write, owner, results, &self.pii).await
    }

    async fn dead_letters(&self, filter: &DeadLetterFilter) -> Result<Vec<DeliveryRecord>, StoreError> {
        dead_letters::dead_letters(&self.read, filter).await
    }

    async fn delivery(&self, id: i64) -> Result<Option<DeliveryRecord>, StoreError> {
        match dead_letters::delivery(&self.read, id).await? {
            Some(record) => Ok(Some(crate::delivery::sealing::open_record(&self.pii, record).await?)),
            None => Ok(None),
        }
    }

    async fn aggregate_deliveries(&self, aggregate_id: &str, limit: u32) -> Result<Vec<DeliveryRecord>, StoreError> {
        dead_letters::aggregate_deliveries(&self.read, aggregate_id, limit).await
    }

    async fn replay_dead_letters(&self, selector: &DeliverySelector, now: DateTime<Utc>) -> Result<u64, StoreError> {
        dead_letters::replay(&self.write, selector, now).await
    }

    async fn discard_dead_letters(&self, selector: &DeliverySelector) -> Result<u64, StoreError> {
        dead_letters::discard(&self.write, selector).await
    }

    async fn replay_subscription(
        &self,
        subscription: &str,
        from_seq: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<SubscriptionReplay>, StoreError> {
        dead_letters::replay_subscription(&self.write, subscription, from_seq, now).await
    }

    async fn delivery_stats(&self) -> Result<Vec<SubscriptionStats>, StoreError> {
        dead_letters::stats(&self.read).await
    }

    async fn delivery_samples(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<crossdock_engine::kpi::DeliverySample>, StoreError> {
        super::kpis::delivery_samples(&self.read, since).await
    }

    async fn integration_kpis(
        &self,
        period: &crossdock_engine::kpi::Period,
        systems: &[String],
        budget: chrono::TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<Vec<crossdock_engine::kpi::SystemKpis>, StoreError> {
        let judge = crate::integration::Judgement::new(budget, now);
        // One read transaction (one WAL snapshot) for both reads, so that the ranks asked for exist.
        let mut tx = self.read.begin().await.map_err(crate::codec::db)?;
        let floor = super::kpis::id_floor(&mut tx, period.from).await?;
        let counts = super::kpis::integration_counts(&mut tx, period, floor, judge).await?;
        let wanted = crate::integration::wanted_ranks(&counts);
        let latencies = super::kpis::latencies_at_ranks(&mut tx, period, floor, &wanted).await?;
        tx.commit().await.map_err(crate::codec::db)?;
        Ok(crate::integration::assemble(systems, counts, &latencies))
    }

    async fn prune(
        &self,
        target: crate::retention::PruneTarget,
        before: DateTime<Utc>,
        chunk_rows: u32,
    ) -> Result<crate::retention::Pruned, StoreError> {
        super::retention::prune(&self.read, &self.write, target, before, chunk_rows).await
    }

    async fn prunable(&self, target: crate::retention::PruneTarget, before: DateTime<Utc>) -> Result<u64, StoreError> {
        super::retention::prunable(&self.read, target, before).await
    }

    async fn insert_interchanges(&self, records: &[NewInterchange]) -> Result<Vec<i64>, StoreError> {
        let raws = crate::edi::seal_raws(&self.pii, records).await?;
        edi::insert(&self.write, records, &raws, None).await
    }

    async fn insert_received(
        &self,
        inbound: &NewInterchange,
        ack: &NewInterchange,
        input_hash: &str,
    ) -> Result<UnwrittenAck, StoreError> {
        let records = [inbound.clone(), ack.clone()];
        let raws = crate::edi::seal_raws(&self.pii, &records).await?;
        let ids = edi::insert(&self.write, &records, &raws, Some(input_hash)).await?;
        Ok(UnwrittenAck { inbound_id: ids[0], ack_id: ids[1] })
    }

    async fn unwritten_ack(&self, partner: &str, input_hash: &str) -> Result<Option<UnwrittenAck>, StoreError> {
        edi::unwritten_ack(&self.read, partner, input_hash).await
    }

    async fn ack_written(&self, inbound_id: i64) -> Result<(), StoreError> {
        edi::ack_written(&self.write, inbound_id).await
    }

    async fn referenced_order(&self, partner: &str, reference: &str) -> Result<Option<OrderId>, StoreError> {
        edi::referenced_order(&self.read, partner, reference).await
    }

    async fn interchange(&self, id: i64) -> Result<Option<InterchangeRecord>, StoreError> {
        match edi::get(&self.read, id).await? {
            Some(record) => Ok(Some(crate::edi::open_raw(&self.pii, record).await?)),
            None => Ok(None),
        }
    }

    async fn list_interchanges(&self, filter: &InterchangeFilter) -> Result<Vec<InterchangeRecord>, StoreError> {
        edi::list(&self.read, filter).await
    }

    async fn update_interchange_ack(&self, update: &InterchangeAckUpdate) -> Result<bool, StoreError> {
        edi::update_ack(&self.write, update).await
    }

    async fn mark_overdue_acks(&self, now: DateTime<Utc>) -> Result<Vec<i64>, StoreError> {
        edi::mark_overdue(&self.write, now).await
    }

    async fn allocate_control_numbers(
        &self,
        partner: &str,
        interchanges: u32,
        groups: u32,
    ) -> Result<ControlBlock, StoreError> {
        edi::allocate(&self.write, partner, interchanges, groups).await
    }
}
