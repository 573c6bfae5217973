//! The PostgreSQL side of a group-commit batch: a transaction that first takes the store-wide advisory lock,
//! then bulk statements (`= ANY($1)` lookups and multi-row `INSERT`s split below the bind-parameter limit).

use super::rows;
use crate::StoreError;
use crate::batch::{BatchTx, NewEvent, NewIdempotency, Outcome, StoredIdempotency, apply_batch, placed_keys};
use crate::codec::{db, from_json, now_micros, rows_per_statement, to_i64, to_json};
use crate::policy::PolicyCell;
use crate::seqs::align_seqs;
use crate::writer::{Backend, Submitted};
use async_trait::async_trait;
use crossdock_model::{InventoryPosition, Location, LocationId, Order, OrderId, Sku};
use sqlx::{PgPool, Postgres, QueryBuilder, Row, Transaction};
use std::collections::HashMap;

/// Key of the transaction-scoped advisory lock every batch takes first ("cdwriter"). It makes writers in all
/// processes sharing the database take turns, so identity values are handed out in commit order: a reader of
/// the change feed that has seen seq N will never later find a committed event below N. It also means the
/// state a batch reads cannot change under it before COMMIT (no lost update).
const WRITE_LOCK: i64 = 0x6364_7772_6974_6572;

/// Applies batches on the write pool, which holds exactly one connection.
pub(crate) struct PgBackend {
    pub write_pool: PgPool,
    pub policy: PolicyCell,
    pub pii: crate::pii::Pii,
    /// Where committed events are kept for the senders.
    pub recent: std::sync::Arc<crate::recent::RecentEvents>,
}

#[async_trait]
impl Backend for PgBackend {
    async fn apply(&self, requests: &[&Submitted]) -> Result<Vec<Outcome>, StoreError> {
        let ring = placed_keys(&self.pii, requests).await?;
        let mut tx = PgTx(self.write_pool.begin().await.map_err(db)?);
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(WRITE_LOCK).execute(&mut *tx.0).await.map_err(db)?;
        let now = now_micros();
        let (outcomes, written) = apply_batch(&mut tx, requests, ring, now, self.policy.get(), &self.pii).await?;
        tx.0.commit().await.map_err(db)?;
        self.recent.insert(written);
        Ok(outcomes)
    }
}

pub(super) struct PgTx(pub(super) Transaction<'static, Postgres>);

/// `SELECT … WHERE column = ANY($1)` with all values in one array parameter.
async fn select_any(
    tx: &mut PgTx,
    sql: &'static str,
    values: Vec<String>,
) -> Result<Vec<sqlx::postgres::PgRow>, StoreError> {
    sqlx::query(sql).bind(values).fetch_all(&mut *tx.0).await.map_err(db)
}

#[async_trait]
impl BatchTx for PgTx {
    async fn idempotency(&mut self, keys: &[String]) -> Result<HashMap<String, StoredIdempotency>, StoreError> {
        let rows =
            select_any(self, "SELECT key, request_hash, receipt FROM idempotency WHERE key = ANY($1)", keys.to_vec())
                .await?;
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
        select_any(self, "SELECT state FROM orders WHERE id = ANY($1)", ids)
            .await?
            .iter()
            .map(rows::order_state)
            .collect()
    }

    async fn positions(&mut self, keys: &[(Sku, LocationId)]) -> Result<Vec<InventoryPosition>, StoreError> {
        let skus: Vec<String> = keys.iter().map(|(sku, _)| sku.to_string()).collect();
        let locations: Vec<String> = keys.iter().map(|(_, location)| location.to_string()).collect();
        sqlx::query(
            "SELECT sku, location, on_hand, reserved, safety_stock, in_transit, version, updated_at FROM inventory \
             WHERE (sku, location) IN (SELECT * FROM UNNEST($1::text[], $2::text[]))",
        )
        .bind(skus)
        .bind(locations)
        .fetch_all(&mut *self.0)
        .await
        .map_err(db)?
        .iter()
        .map(rows::position)
        .collect()
    }

    async fn locations(&mut self, ids: &[LocationId]) -> Result<Vec<(Location, u64)>, StoreError> {
        let ids: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
        select_any(self, "SELECT state, version FROM locations WHERE id = ANY($1)", ids)
            .await?
            .iter()
            .map(rows::location)
            .collect()
    }

    async fn append_events(&mut self, events: &[NewEvent]) -> Result<Vec<i64>, StoreError> {
        let mut returned = Vec::with_capacity(events.len());
        for chunk in events.chunks(rows_per_statement(9)) {
            let mut query = QueryBuilder::<Postgres>::new(
                "INSERT INTO events (aggregate_kind, aggregate_id, version, event_type, schema_version, payload, \
                 recorded_at, idempotency_key, actor) ",
            );
            query.push_values(chunk, |mut row, e| {
                row.push_bind(e.aggregate_kind.as_str())
                    .push_bind(e.aggregate_id.clone())
                    .push_bind(to_i64(e.version))
                    .push_bind(e.event_type)
                    .push_bind(i32::try_from(e.schema_version).unwrap_or(i32::MAX))
                    .push_bind(e.payload.clone())
                    .push_bind(e.recorded_at)
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
            let mut query = QueryBuilder::<Postgres>::new(
                "INSERT INTO orders (id, channel, external_id, status, updated_at, last_seq, version, state, customer_id) ",
            );
            query.push_values(chunk, |mut row, ((order, last_seq), state)| {
                row.push_bind(order.id.to_string())
                    .push_bind(order.channel.to_string())
                    .push_bind(order.external_id.to_string())
                    .push_bind(order.status.as_str())
                    .push_bind(order.updated_at)
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
            let mut query = QueryBuilder::<Postgres>::new(
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
                    .push_bind(p.updated_at);
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
            let mut query = QueryBuilder::<Postgres>::new("INSERT INTO locations (id, version, state) ");
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
                QueryBuilder::<Postgres>::new("INSERT INTO idempotency (key, request_hash, receipt, created_at) ");
            query.push_values(chunk, |mut row, r| {
                row.push_bind(r.key.clone())
                    .push_bind(r.request_hash.clone())
                    .push_bind(r.receipt.clone())
                    .push_bind(r.created_at);
            });
            query.build().execute(&mut *self.0).await.map_err(db)?;
        }
        Ok(())
    }
}
