//! SQLite retention (see `crate::retention`): settled deliveries and idempotency records deleted in chunks,
//! each chunk one `BEGIN IMMEDIATE` transaction on the writer connection, which the group-commit writer
//! then waits for (it shares the connection) for at most one chunk. What a delivery chunk deletes is found
//! before that transaction, on the read pool.

use super::kpis::id_floor;
use crate::StoreError;
use crate::codec::{db, time_text, to_json};
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
        PruneTarget::Deliveries => {
            prune_deliveries(read, write, delivery_floor(read, before).await?, before, limit).await
        }
        PruneTarget::Idempotency => prune_idempotency(write, before, limit).await,
    }
}

pub(crate) async fn prunable(read: &SqlitePool, target: PruneTarget, before: DateTime<Utc>) -> Result<u64, StoreError> {
    let count: i64 = match target {
        PruneTarget::Deliveries => {
            let floor = delivery_floor(read, before).await?;
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM deliveries WHERE id < ?1 AND status IN ('delivered', 'discarded') \
                 AND COALESCE(delivered_at, last_attempt_at, created_at) < ?2",
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
/// cutoff may lie above it: the next prune takes them. A row created before the cutoff may have been
/// settled after it (a replayed dead letter): each row is checked by when it was last settled as well.
async fn delivery_floor(read: &SqlitePool, before: DateTime<Utc>) -> Result<i64, StoreError> {
    let mut conn = read.acquire().await.map_err(db)?;
    id_floor(&mut conn, Some(before)).await
}

/// Walks [0, floor) in chunks of `limit` settled rows. Each chunk's ids are found on the read pool, outside
/// the write lock, however many dead or pending rows lie between them; the delete then looks up only those
/// ids and checks status and age again (a row replayed meanwhile stays). Timestamps are fixed-width RFC 3339
/// text (`time_text`), so comparing them as text compares the times. When the row was settled: delivered
/// (`delivered_at`), else its last attempt (a dead letter discarded, `last_attempt_at`), else its creation.
async fn prune_deliveries(
    read: &SqlitePool,
    write: &SqlitePool,
    floor: i64,
    before: DateTime<Utc>,
    limit: u32,
) -> Result<Pruned, StoreError> {
    let before = time_text(before);
    let mut pruned = Pruned::default();
    let mut from = 0;
    while from < floor {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM deliveries WHERE id >= ?1 AND id < ?2 AND status IN ('delivered', 'discarded') \
             AND COALESCE(delivered_at, last_attempt_at, created_at) < ?3 ORDER BY id LIMIT ?4",
        )
        .bind(from)
        .bind(floor)
        .bind(before.clone())
        .bind(i64::from(limit))
        .fetch_all(read)
        .await
        .map_err(db)?;
        let Some(&last) = ids.last() else { break };
        let mut tx = write.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
        let deleted = sqlx::query(
            "DELETE FROM deliveries WHERE id IN (SELECT value FROM json_each(?1)) \
             AND status IN ('delivered', 'discarded') AND COALESCE(delivered_at, last_attempt_at, created_at) < ?2",
        )
        .bind(to_json(&ids)?)
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
        if ids.len() < limit as usize {
            break;
        }
        from = last + 1;
        // Let the writers waiting for the connection have it between two chunks.
        tokio::task::yield_now().await;
    }
    delete_old_markers(write, &before).await?;
    Ok(pruned)
}

/// Markers of acknowledgements recorded but never written (`edi_unwritten_acks`) that are older than the
/// deliveries' cutoff: their input was removed by hand, or the outbox has been unwritable for that long.
/// Receiving such an input again records it and a new acknowledgement. Not counted in `Pruned`.
async fn delete_old_markers(write: &SqlitePool, before: &str) -> Result<(), StoreError> {
    let mut tx = write.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
    sqlx::query("DELETE FROM edi_unwritten_acks WHERE created_at < ?1")
        .bind(before.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)
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
