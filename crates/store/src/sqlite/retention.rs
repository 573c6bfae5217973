//! SQLite retention (see `crate::retention`): settled deliveries and idempotency records deleted in chunks,
//! each chunk one `BEGIN IMMEDIATE` transaction on the writer connection, which the group-commit writer
//! then waits for (it shares the connection) for at most one chunk.

use super::kpis::id_floor;
use crate::StoreError;
use crate::codec::{db, time_text};
use crate::retention::{PruneTarget, Pruned};
use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

pub(crate) async fn prune(
    read: &SqlitePool,
    write: &SqlitePool,
    target: PruneTarget,
    before: DateTime<Utc>,
    chunk_rows: u32,
) -> Result<Pruned, StoreError> {
    let limit = chunk_rows.max(1);
    match target {
        PruneTarget::Deliveries => prune_deliveries(write, delivery_floor(read, before).await?, before, limit).await,
        PruneTarget::Idempotency => prune_idempotency(write, before, limit).await,
    }
}

pub(crate) async fn prunable(read: &SqlitePool, target: PruneTarget, before: DateTime<Utc>) -> Result<u64, StoreError> {
    let count: i64 = match target {
        PruneTarget::Deliveries => {
            let floor = delivery_floor(read, before).await?;
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM deliveries WHERE id < ?1 AND status IN ('delivered', 'discarded') \
                 AND created_at < ?2",
            )
            .bind(floor)
            .bind(time_text(before))
            .fetch_one(read)
            .await
            .map_err(db)?
        }
        PruneTarget::Idempotency => sqlx::query_scalar("SELECT COUNT(*) FROM idempotency WHERE created_at < ?1")
            .bind(time_text(before))
            .fetch_one(read)
            .await
            .map_err(db)?,
    };
    Ok(u64::try_from(count).unwrap_or(0))
}

/// The id below which deliveries are considered (`delivery::floor`): deliveries have no time index, but ids
/// follow creation, so the delete is a range of the primary key. Rows created within `floor::SLACK` of the
/// cutoff may lie above it: the next prune takes them.
async fn delivery_floor(read: &SqlitePool, before: DateTime<Utc>) -> Result<i64, StoreError> {
    let mut conn = read.acquire().await.map_err(db)?;
    id_floor(&mut conn, Some(before)).await
}

/// Walks [0, floor) in chunks of `limit` settled rows; `created_at` is checked on each row as well, so
/// a row whose clock stepped back is never taken early.
async fn prune_deliveries(
    write: &SqlitePool,
    floor: i64,
    before: DateTime<Utc>,
    limit: u32,
) -> Result<Pruned, StoreError> {
    let before = time_text(before);
    let mut pruned = Pruned::default();
    let mut from = 0;
    while from < floor {
        let mut tx = write.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
        // The chunk ends at the `limit`-th settled row from `from`, or at the floor when fewer are left.
        let last: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM deliveries WHERE id >= ?1 AND id < ?2 AND status IN ('delivered', 'discarded') \
             AND created_at < ?3 ORDER BY id LIMIT 1 OFFSET ?4",
        )
        .bind(from)
        .bind(floor)
        .bind(before.clone())
        .bind(i64::from(limit - 1))
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let until = last.unwrap_or(floor - 1);
        let deleted = sqlx::query(
            "DELETE FROM deliveries WHERE id >= ?1 AND id <= ?2 AND status IN ('delivered', 'discarded') \
             AND created_at < ?3",
        )
        .bind(from)
        .bind(until)
        .bind(before.clone())
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
        tx.commit().await.map_err(db)?;
        if deleted > 0 {
            pruned.rows += deleted;
            pruned.chunks += 1;
        }
        from = until + 1;
        // Let the writers waiting for the connection have it between two chunks.
        tokio::task::yield_now().await;
    }
    Ok(pruned)
}

/// Oldest first along `idempotency_by_created_at`, so each chunk reads only the rows it deletes.
async fn prune_idempotency(write: &SqlitePool, before: DateTime<Utc>, limit: u32) -> Result<Pruned, StoreError> {
    let before = time_text(before);
    let mut pruned = Pruned::default();
    loop {
        let mut tx = write.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
        let deleted = sqlx::query(
            "DELETE FROM idempotency WHERE key IN \
             (SELECT key FROM idempotency WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)",
        )
        .bind(before.clone())
        .bind(i64::from(limit))
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
        tx.commit().await.map_err(db)?;
        if deleted == 0 {
            return Ok(pruned);
        }
        pruned.rows += deleted;
        pruned.chunks += 1;
        if deleted < u64::from(limit) {
            return Ok(pruned);
        }
        tokio::task::yield_now().await;
    }
}
