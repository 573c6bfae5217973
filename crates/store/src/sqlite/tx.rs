//! The SQLite side of a group-commit batch: `BEGIN IMMEDIATE` on the single writer connection, then bulk
//! statements (`IN (…)` lookups and multi-row `INSERT`s split below the bind-parameter limit).

use super::rows;
use crate::StoreError;
use crate::batch::{BatchTx, NewEvent, NewIdempotency, Outcome, StoredIdempotency, apply_batch, placed_keys};
use crate::codec::{db, from_json, now_micros, rows_per_statement, time_text, to_i64, to_json};
use crate::policy::PolicyCell;
use crate::seqs::align_seqs;
use crate::writer::{Backend, Submitted};
use async_trait::async_trait;
use crossdock_model::{InventoryPosition, Location, LocationId, Order, OrderId, Sku};
use sqlx::{Connection, QueryBuilder, Row, Sqlite, SqlitePool, Transaction};
use std::collections::HashMap;

/// Applies batches on the write pool, which holds exactly one connection.
pub(crate) struct SqliteBackend {
    pub write_pool: SqlitePool,
    pub policy: PolicyCell,
    pub pii: crate::pii::Pii,
    /// Where committed events are kept for the senders.
    pub recent: std::sync::Arc<crate::recent::RecentEvents>,
    /// How long the WAL may grow before a batch checkpoints first (see `checkpoint`).
    pub wal: super::checkpoint::WalLimit,
}

#[async_trait]
impl Backend for SqliteBackend {
    async fn apply(&self, requests: &[&Submitted]) -> Result<Vec<Outcome>, StoreError> {
        let ring = placed_keys(&self.pii, requests).await?;
        let now = now_micros();
        // IMMEDIATE takes the write lock up front (waiting up to busy_timeout for another process), so the
        // state read below cannot change before COMMIT and sequence numbers follow commit order.
        let mut connection = self.write_pool.acquire().await.map_err(db)?;
        super::checkpoint::restart_if_long(&mut connection, &self.wal).await?;
        let mut tx = SqliteTx(connection.begin_with("BEGIN IMMEDIATE").await.map_err(db)?);
        let (outcomes, written) = apply_batch(&mut tx, requests, ring, now, self.policy.get(), &self.pii).await?;
        tx.0.commit().await.map_err(db)?;
        self.recent.insert(written);
        Ok(outcomes)
    }
}

pub(super) struct SqliteTx<'c>(pub(super) Transaction<'c, Sqlite>);

/// `SELECT … WHERE column IN (…)`, one statement per chunk of values.
async fn select_in(
    tx: &mut SqliteTx<'_>,
    head: &str,
    values: &[String],
) -> Result<Vec<sqlx::sqlite::SqliteRow>, StoreError> {
    let mut out = Vec::new();
    for chunk in values.chunks(rows_per_statement(1)) {
        let mut query = QueryBuilder::<Sqlite>::new(head);
        query.push(" IN (");
        let mut list = query.separated(", ");
        for value in chunk {
            list.push_bind(value.clone());
        }
        query.push(")");
        out.extend(query.build().fetch_all(&mut *tx.0).await.map_err(db)?);
    }
    Ok(out)
}

#[async_trait]
impl BatchTx for SqliteTx<'_> {
    async fn idempotency(&mut self, keys: &[String]) -> Result<HashMap<String, StoredIdempotency>, StoreError> {
        let rows = select_in(self, "SELECT key, request_hash, receipt FROM idempotency WHERE key", keys).await?;
        let mut out = HashMap::with_capacity(rows.len());
        for row in rows {
            let key: String = row.try_get("key").map_err(db)?;
            let receipt: String = row.try_get("receipt").map_err(db)?;
            let receipt = from_json(&format!("receipt of idempotency key {key:?}"), &receipt)?;
            out.insert(key, StoredIdempotency { request_hash: row.try_get("request_hash").map_err(db)?, receipt });
        }
        Ok(out)
    }

    async fn orders(&mut self, ids: &[OrderId]) -> Result<Vec<String>, StoreError> {
        let ids: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
        select_in(self, "SELECT state FROM orders WHERE id", &ids).await?.iter().map(rows::order_state).collect()
    }

    async fn positions(&mut self, keys: &[(Sku, LocationId)]) -> Result<Vec<InventoryPosition>, StoreError> {
        let mut out = Vec::new();
        for chunk in keys.chunks(rows_per_statement(2)) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "SELECT sku, location, on_hand, reserved, safety_stock, in_transit, version, updated_at \
                 FROM inventory WHERE (sku, location) IN (",
            );
            query.push_values(chunk, |mut row, (sku, location)| {
                row.push_bind(sku.to_string()).push_bind(location.to_string());
            });
            query.push(")");
            for row in query.build().fetch_all(&mut *self.0).await.map_err(db)? {
                out.push(rows::position(&row)?);
            }
        }
        Ok(out)
    }

    async fn locations(&mut self, ids: &[LocationId]) -> Result<Vec<(Location, u64)>, StoreError> {
        let ids: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
        select_in(self, "SELECT state, version FROM locations WHERE id", &ids)
            .await?
            .iter()
            .map(rows::location)
            .collect()
    }

    async fn append_events(&mut self, events: &[NewEvent]) -> Result<Vec<i64>, StoreError> {
        let mut returned = Vec::with_capacity(events.len());
        for chunk in events.chunks(rows_per_statement(9)) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO events (aggregate_kind, aggregate_id, version, event_type, schema_version, payload, \
                 recorded_at, idempotency_key, actor) ",
            );
            query.push_values(chunk, |mut row, e| {
                row.push_bind(e.aggregate_kind.as_str())
                    .push_bind(e.aggregate_id.clone())
                    .push_bind(to_i64(e.version))
                    .push_bind(e.event_type)
                    .push_bind(i64::from(e.schema_version))
                    .push_bind(e.payload.clone())
                    .push_bind(time_text(e.recorded_at))
                    .push_bind(e.idempotency_key.clone())
                    .push_bind(e.actor.clone());
            });
            query.push(" RETURNING seq, aggregate_kind, aggregate_id, version");
            for row in query.build().fetch_all(&mut *self.0).await.map_err(db)? {
                returned.push((
                    row.try_get("aggregate_kind").map_err(db)?,
                    row.try_get("aggregate_id").map_err(db)?,
                    row.try_get("version").map_err(db)?,
                    row.try_get("seq").map_err(db)?,
                ));
            }
        }
        align_seqs(events, returned)
    }

    async fn upsert_orders(&mut self, orders: &[(&Order, i64)], states: &[String]) -> Result<(), StoreError> {
        let rows: Vec<_> = orders.iter().zip(states).collect();
        for chunk in rows.chunks(rows_per_statement(9)) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO orders (id, channel, external_id, status, updated_at, last_seq, version, state, customer_id) ",
            );
            query.push_values(chunk, |mut row, ((order, last_seq), state)| {
                row.push_bind(order.id.to_string())
                    .push_bind(order.channel.to_string())
                    .push_bind(order.external_id.to_string())
                    .push_bind(order.status.as_str())
                    .push_bind(time_text(order.updated_at))
                    .push_bind(*last_seq)
                    .push_bind(to_i64(order.version))
                    .push_bind((*state).clone())
                    .push_bind(order.customer.as_ref().and_then(|c| c.id.as_ref()).map(|id| id.to_string()));
            });
            query.push(
                " ON CONFLICT (id) DO UPDATE SET channel = excluded.channel, external_id = excluded.external_id, \
                 status = excluded.status, updated_at = excluded.updated_at, last_seq = excluded.last_seq, \
                 version = excluded.version, state = excluded.state, customer_id = excluded.customer_id",
            );
            query.build().execute(&mut *self.0).await.map_err(db)?;
        }
        Ok(())
    }

    async fn upsert_positions(&mut self, positions: &[&InventoryPosition]) -> Result<(), StoreError> {
        for chunk in positions.chunks(rows_per_statement(8)) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO inventory (sku, location, on_hand, reserved, safety_stock, in_transit, version, updated_at) ",
            );
            query.push_values(chunk, |mut row, p| {
                row.push_bind(p.sku.to_string())
                    .push_bind(p.location.to_string())
                    .push_bind(p.on_hand)
                    .push_bind(p.reserved)
                    .push_bind(p.safety_stock)
                    .push_bind(p.in_transit)
                    .push_bind(to_i64(p.version))
                    .push_bind(time_text(p.updated_at));
            });
            query.push(
                " ON CONFLICT (sku, location) DO UPDATE SET on_hand = excluded.on_hand, reserved = excluded.reserved, \
                 safety_stock = excluded.safety_stock, in_transit = excluded.in_transit, version = excluded.version, \
                 updated_at = excluded.updated_at",
            );
            query.build().execute(&mut *self.0).await.map_err(db)?;
        }
        Ok(())
    }

    async fn upsert_locations(&mut self, locations: &[(&Location, u64)]) -> Result<(), StoreError> {
        let states = locations.iter().map(|(l, _)| to_json(l)).collect::<Result<Vec<_>, _>>()?;
        let rows: Vec<_> = locations.iter().zip(states).collect();
        for chunk in rows.chunks(rows_per_statement(3)) {
            let mut query = QueryBuilder::<Sqlite>::new("INSERT INTO locations (id, version, state) ");
            query.push_values(chunk, |mut row, ((location, version), state)| {
                row.push_bind(location.id.to_string()).push_bind(to_i64(*version)).push_bind(state.clone());
            });
            query.push(" ON CONFLICT (id) DO UPDATE SET version = excluded.version, state = excluded.state");
            query.build().execute(&mut *self.0).await.map_err(db)?;
        }
        Ok(())
    }

    async fn insert_idempotency(&mut self, records: &[NewIdempotency]) -> Result<(), StoreError> {
        for chunk in records.chunks(rows_per_statement(4)) {
            let mut query =
                QueryBuilder::<Sqlite>::new("INSERT INTO idempotency (key, request_hash, receipt, created_at) ");
            query.push_values(chunk, |mut row, r| {
                row.push_bind(r.key.clone())
                    .push_bind(r.request_hash.clone())
                    .push_bind(r.receipt.clone())
                    .push_bind(time_text(r.created_at));
            });
            query.build().execute(&mut *self.0).await.map_err(db)?;
        }
        Ok(())
    }
}
