//! `PgStore`: the scale-out backend. Several hub processes may open the same database; their group-commit
//! writers take turns through an advisory lock. Queries run on a separate pool.

use super::pii_keys::PgKeyTable;
use super::{dead_letters, delivery, edi, rows, schema, sender, tx::PgBackend};
use crate::codec::{db, page_size};
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
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, QueryBuilder, Row};
use std::str::FromStr;
use std::time::Duration;

/// Connections for queries; the writer has its own.
const READ_CONNECTIONS: u32 = 8;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// The event log and projections in a PostgreSQL database (the schema of the connection's `search_path`).
pub struct PgStore {
    read: PgPool,
    write: PgPool,
    writer: Writer,
    policy: crate::policy::PolicyCell,
    pii: Pii,
    /// Events this process committed lately, opened (see `recent`).
    recent: std::sync::Arc<crate::recent::RecentEvents>,
}

impl PgStore {
    /// Connects to `url` (`postgres://…`) and applies the missing migrations.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, StoreOptions::default()).await
    }

    /// [`PgStore::open`] with options. With a master key, PII data keys are kept in the `pii_keys` table.
    pub async fn open_with(url: &str, store_options: StoreOptions) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(db)?;
        let write = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await
            .map_err(db)?;
        schema::migrate(&write).await?;
        let read = PgPoolOptions::new()
            .max_connections(READ_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(db)?;
        let policy = crate::policy::PolicyCell::default();
        let pii = match store_options.pii {
            Some(provider) => Pii::new(provider, Box::new(PgKeyTable { pool: read.clone() })),
            None => Pii::default(),
        };
        let recent = std::sync::Arc::default();
        let writer = Writer::spawn(PgBackend {
            write_pool: write.clone(),
            policy: policy.clone(),
            pii: pii.clone(),
            recent: std::sync::Arc::clone(&recent),
        });
        Ok(Self { read, write, writer, policy, pii, recent })
    }

    /// Events from rows of the `events` columns, PII opened.
    async fn open_events(&self, found: &[sqlx::postgres::PgRow]) -> Result<Vec<RecordedEvent>, StoreError> {
        let ring = self.pii.ring_for(found.iter().filter_map(|r| r.try_get::<&str, _>("payload").ok())).await?;
        found.iter().map(|row| rows::event(row, &ring)).collect()
    }
}

#[async_trait]
impl Store for PgStore {
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
        let row = sqlx::query("SELECT state FROM orders WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await
            .map_err(db)?;
        let ring = self.pii.ring_for(row.iter().filter_map(|r| r.try_get::<&str, _>("state").ok())).await?;
        row.as_ref().map(|row| rows::order(row, &ring)).transpose()
    }

    async fn order_ids_with_prefix(&self, prefix: &str, limit: u32) -> Result<Vec<OrderId>, StoreError> {
        let rows = sqlx::query("SELECT id FROM orders WHERE starts_with(id, $1) ORDER BY id LIMIT $2")
            .bind(prefix.to_string())
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await
            .map_err(db)?;
        rows.iter()
            .map(|row| crate::codec::parse_id("order id", row.try_get("id").map_err(db)?, OrderId::new))
            .collect()
    }

    async fn list_orders(&self, filter: &OrderFilter) -> Result<Vec<OrderRow>, StoreError> {
        let mut query = QueryBuilder::<Postgres>::new("SELECT state, last_seq FROM orders WHERE 1 = 1");
        if let Some(status) = filter.status {
            query.push(" AND status = ").push_bind(status.as_str());
        }
        if let Some(channel) = &filter.channel {
            query.push(" AND channel = ").push_bind(channel.clone());
        }
        if let Some(since) = filter.updated_since {
            query.push(" AND updated_at >= ").push_bind(since);
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
        let mut query = QueryBuilder::<Postgres>::new(
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
        let row = sqlx::query("SELECT state, version FROM locations WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await
            .map_err(db)?;
        Ok(row.as_ref().map(rows::location).transpose()?.map(|(location, _)| location))
    }

    async fn events_after(&self, after: i64, limit: u32) -> Result<Vec<RecordedEvent>, StoreError> {
        let found = sqlx::query(
            "SELECT seq, aggregate_kind, aggregate_id, version, event_type, schema_version, payload, recorded_at, \
             idempotency_key FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
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
            "SELECT seq, aggregate_kind, aggregate_id, event_type FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
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
        let found = sqlx::query(
            "SELECT seq, aggregate_kind, aggregate_id, version, event_type, schema_version, payload, recorded_at, \
             idempotency_key FROM events WHERE seq > $1 AND aggregate_kind = $2 ORDER BY seq LIMIT $3",
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
             idempotency_key FROM events WHERE aggregate_kind = 'order' AND aggregate_id = $1 \
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
        let found = sqlx::query("SELECT id, state FROM orders WHERE customer_id = $1 ORDER BY last_seq LIMIT $2")
            .bind(customer.to_string())
            .bind(EXPORT_MAX_ORDERS)
            .fetch_all(&self.read)
            .await
            .map_err(db)?;
        let ring = self.pii.ring_for(found.iter().filter_map(|r| r.try_get::<&str, _>("state").ok())).await?;
        let orders = found.iter().map(|row| rows::order(row, &ring)).collect::<Result<Vec<_>, _>>()?;
        let ids: Vec<String> = orders.iter().map(|o| o.id.to_string()).collect();
        let found = sqlx::query(
            "SELECT seq, aggregate_kind, aggregate_id, version, event_type, schema_version, payload, recorded_at, \
             idempotency_key FROM events WHERE aggregate_kind = 'order' AND aggregate_id = ANY($1) ORDER BY seq",
        )
        .bind(ids)
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        let events = self.open_events(&found).await?;
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
             idempotency_key FROM events WHERE aggregate_kind = $1 AND aggregate_id = $2 ORDER BY version LIMIT $3",
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
             previous_secret_hash, previous_valid_until, rate_limit_per_minute) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(key.id.clone())
        .bind(key.name.clone())
        .bind(key.secret_hash.clone())
        .bind(codec::to_json(&key.scopes)?)
        .bind(key.created_at)
        .bind(key.expires_at)
        .bind(key.revoked_at)
        .bind(key.previous_secret_hash.clone())
        .bind(key.previous_valid_until)
        .bind(key.rate_limit_per_minute.map(|n| i32::try_from(n).unwrap_or(i32::MAX)))
        .execute(&self.write)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, secret_hash, scopes, created_at, expires_at, revoked_at, previous_secret_hash, \
             previous_valid_until, rate_limit_per_minute FROM api_keys WHERE id = $1",
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
        let done = sqlx::query("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2")
            .bind(at)
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
            "UPDATE api_keys SET previous_secret_hash = secret_hash, previous_valid_until = $1, secret_hash = $2 \
             WHERE id = $3 AND revoked_at IS NULL",
        )
        .bind(previous_valid_until)
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
        delivery::claim(&self.write, owner, lease, now, limit, &self.pii).await
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
        let mut tx = self.read.begin().await.map_err(crate::codec::db)?;
        // One snapshot for both reads, so that the ranks asked for exist in the sample read second.
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *tx)
            .await
            .map_err(crate::codec::db)?;
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
