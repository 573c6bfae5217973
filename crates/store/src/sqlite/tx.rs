//! The SQLite side of a group-commit batch: `BEGIN IMMEDIATE` and `COMMIT` through sqlx on the single writer
//! connection, and in between every statement of the batch through rusqlite on that connection's own handle.
//!
//! Why rusqlite inside the batch: sqlx's SQLite driver runs each statement on a worker thread of its own and
//! sends each row back over a channel, so a batch of a dozen statements was a dozen thread round trips (and
//! one per row read). Locking the handle out from that worker ([`sqlx::sqlite::LockedSqliteHandle`]) lets the
//! batch run its statements in place, prepared once and cached. Beginning and committing stay with sqlx, so
//! a wait for another process's write lock (`busy_timeout`) or the commit's `fsync` never blocks the
//! runtime's threads, and a batch that fails is rolled back by dropping the sqlx transaction.

use super::rows;
use crate::StoreError;
use crate::batch::{BatchTx, NewEvent, NewIdempotency, Outcome, StoredIdempotency, apply_batch, placed_keys};
use crate::codec::{db, from_json, now_micros, time_text, to_i64, to_json};
use crate::policy::PolicyCell;
use crate::writer::{Backend, Submitted};
use async_trait::async_trait;
use crossdock_model::{InventoryPosition, Location, LocationId, Order, OrderId, Sku};
use rusqlite::{OptionalExtension, params};
use sqlx::sqlite::LockedSqliteHandle;
use sqlx::{Connection, SqlitePool};
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
        let mut tx = connection.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
        let (outcomes, written) = {
            let mut handle = tx.lock_handle().await.map_err(db)?;
            let mut batch = SqliteTx::new(&mut handle)?;
            apply_batch(&mut batch, requests, ring, now, self.policy.get(), &self.pii).await?
        };
        tx.commit().await.map_err(db)?;
        self.recent.insert(written);
        Ok(outcomes)
    }
}

/// Statements a batch keeps prepared (see `SqliteTx::new`).
const STATEMENTS: usize = 64;

/// A rusqlite connection over the handle of an open sqlx transaction (see the module's comment).
pub(super) struct SqliteTx<'h> {
    pub(super) conn: rusqlite::Connection,
    /// The locked handle `conn` uses: sqlx's worker makes no call on it while this borrow lives.
    _handle: std::marker::PhantomData<&'h mut LockedSqliteHandle<'h>>,
}

impl<'h> SqliteTx<'h> {
    pub(super) fn new(handle: &'h mut LockedSqliteHandle<'_>) -> Result<Self, StoreError> {
        // SAFETY: the handle is open and locked out from sqlx's worker for as long as `handle` is borrowed,
        // which outlives the returned value. `from_handle` does not take ownership: dropping `conn`
        // finalises the statements it prepared and leaves the connection open for sqlx.
        let conn = unsafe { rusqlite::Connection::from_handle(handle.as_raw_handle().as_ptr()) }.map_err(lite)?;
        // A batch prepares a score of distinct statements (commands, audit, sourcing); rusqlite's default of
        // 16 would evict and prepare some of them again within one batch.
        conn.set_prepared_statement_cache_capacity(STATEMENTS);
        Ok(Self { conn, _handle: std::marker::PhantomData })
    }
}

/// A rusqlite error as the store reports database errors.
pub(super) fn lite(error: rusqlite::Error) -> StoreError {
    tracing::warn!(error = %error, "database error");
    StoreError::Database(error.to_string())
}

#[async_trait]
impl BatchTx for SqliteTx<'_> {
    async fn idempotency(&mut self, keys: &[String]) -> Result<HashMap<String, StoredIdempotency>, StoreError> {
        let mut select =
            self.conn.prepare_cached("SELECT request_hash, receipt FROM idempotency WHERE key = ?1").map_err(lite)?;
        let mut out = HashMap::with_capacity(keys.len());
        for key in keys {
            let found = select
                .query_row([key], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))
                .optional()
                .map_err(lite)?;
            if let Some((request_hash, receipt)) = found {
                let receipt = from_json(&format!("receipt of idempotency key {key:?}"), &receipt)?;
                out.insert(key.clone(), StoredIdempotency { request_hash, receipt });
            }
        }
        Ok(out)
    }

    async fn orders(&mut self, ids: &[OrderId]) -> Result<Vec<String>, StoreError> {
        let mut select = self.conn.prepare_cached("SELECT state FROM orders WHERE id = ?1").map_err(lite)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(state) = select.query_row([id.as_str()], |row| row.get(0)).optional().map_err(lite)? {
                out.push(state);
            }
        }
        Ok(out)
    }

    async fn positions(&mut self, keys: &[(Sku, LocationId)]) -> Result<Vec<InventoryPosition>, StoreError> {
        let mut select = self
            .conn
            .prepare_cached(
                "SELECT sku, location, on_hand, reserved, safety_stock, in_transit, version, updated_at \
                 FROM inventory WHERE sku = ?1 AND location = ?2",
            )
            .map_err(lite)?;
        let mut out = Vec::with_capacity(keys.len());
        for (sku, location) in keys {
            let mut found = select.query(params![sku.as_str(), location.as_str()]).map_err(lite)?;
            if let Some(row) = found.next().map_err(lite)? {
                out.push(rows::position(row)?);
            }
        }
        Ok(out)
    }

    async fn locations(&mut self, ids: &[LocationId]) -> Result<Vec<(Location, u64)>, StoreError> {
        let mut select =
            self.conn.prepare_cached("SELECT state, version FROM locations WHERE id = ?1").map_err(lite)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let mut found = select.query([id.as_str()]).map_err(lite)?;
            if let Some(row) = found.next().map_err(lite)? {
                out.push(rows::location(row)?);
            }
        }
        Ok(out)
    }

    async fn append_events(&mut self, events: &[NewEvent]) -> Result<Vec<i64>, StoreError> {
        let mut insert = self
            .conn
            .prepare_cached(
                "INSERT INTO events (aggregate_kind, aggregate_id, version, event_type, schema_version, payload, \
                 recorded_at, idempotency_key, actor) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .map_err(lite)?;
        let mut seqs = Vec::with_capacity(events.len());
        for e in events {
            let values = params![
                e.aggregate_kind.as_str(),
                e.aggregate_id,
                to_i64(e.version),
                e.event_type,
                i64::from(e.schema_version),
                e.payload,
                time_text(e.recorded_at),
                e.idempotency_key,
                e.actor,
            ];
            // `seq` is the rowid: `insert` returns it without the ephemeral table a RETURNING clause fills.
            seqs.push(insert.insert(values).map_err(lite)?);
        }
        Ok(seqs)
    }

    async fn upsert_orders(&mut self, orders: &[(&Order, i64)], states: &[String]) -> Result<(), StoreError> {
        let mut upsert = self
            .conn
            .prepare_cached(
                "INSERT INTO orders (id, channel, external_id, status, updated_at, last_seq, version, state, \
                 customer_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
                 ON CONFLICT (id) DO UPDATE SET channel = excluded.channel, external_id = excluded.external_id, \
                 status = excluded.status, updated_at = excluded.updated_at, last_seq = excluded.last_seq, \
                 version = excluded.version, state = excluded.state, customer_id = excluded.customer_id",
            )
            .map_err(lite)?;
        for ((order, last_seq), state) in orders.iter().zip(states) {
            upsert
                .execute(params![
                    order.id.as_str(),
                    order.channel.as_str(),
                    order.external_id.as_str(),
                    order.status.as_str(),
                    time_text(order.updated_at),
                    last_seq,
                    to_i64(order.version),
                    state,
                    order.customer.as_ref().and_then(|c| c.id.as_ref()).map(|id| id.as_str()),
                ])
                .map_err(lite)?;
        }
        Ok(())
    }

    async fn upsert_positions(&mut self, positions: &[&InventoryPosition]) -> Result<(), StoreError> {
        let mut upsert = self
            .conn
            .prepare_cached(
                "INSERT INTO inventory (sku, location, on_hand, reserved, safety_stock, in_transit, version, \
                 updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                 ON CONFLICT (sku, location) DO UPDATE SET on_hand = excluded.on_hand, reserved = excluded.reserved, \
                 safety_stock = excluded.safety_stock, in_transit = excluded.in_transit, version = excluded.version, \
                 updated_at = excluded.updated_at",
            )
            .map_err(lite)?;
        for p in positions {
            upsert
                .execute(params![
                    p.sku.as_str(),
                    p.location.as_str(),
                    p.on_hand,
                    p.reserved,
                    p.safety_stock,
                    p.in_transit,
                    to_i64(p.version),
                    time_text(p.updated_at),
                ])
                .map_err(lite)?;
        }
        Ok(())
    }

    async fn upsert_locations(&mut self, locations: &[(&Location, u64)]) -> Result<(), StoreError> {
        let mut upsert = self
            .conn
            .prepare_cached(
                "INSERT INTO locations (id, version, state) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (id) DO UPDATE SET version = excluded.version, state = excluded.state",
            )
            .map_err(lite)?;
        for (location, version) in locations {
            upsert.execute(params![location.id.as_str(), to_i64(*version), to_json(location)?]).map_err(lite)?;
        }
        Ok(())
    }

    async fn insert_idempotency(&mut self, records: &[NewIdempotency]) -> Result<(), StoreError> {
        let mut insert = self
            .conn
            .prepare_cached("INSERT INTO idempotency (key, request_hash, receipt, created_at) VALUES (?1, ?2, ?3, ?4)")
            .map_err(lite)?;
        for r in records {
            insert.execute(params![r.key, r.request_hash, r.receipt, time_text(r.created_at)]).map_err(lite)?;
        }
        Ok(())
    }
}
