//! PostgreSQL retention (see `crate::retention`): settled deliveries and idempotency records deleted in
//! chunks, one statement (one transaction) per chunk. Rows another transaction holds are skipped (`SKIP
//! LOCKED`), not waited for: a prune then never waits on a replay or a complete, so it cannot close a
//! deadlock with them, and what it skipped goes at the next prune.

use super::kpis::id_floor;
use crate::StoreError;
use crate::codec::db;
use crate::retention::{PruneTarget, Pruned};
use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row};

pub(crate) async fn prune(
    read: &PgPool,
    write: &PgPool,
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

pub(crate) async fn prunable(read: &PgPool, target: PruneTarget, before: DateTime<Utc>) -> Result<u64, StoreError> {
    let count: i64 = match target {
        PruneTarget::Deliveries => {
            let floor = delivery_floor(read, before).await?;
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM deliveries WHERE id < $1 AND status IN ('delivered', 'discarded') \
                 AND COALESCE(delivered_at, last_attempt_at, created_at) < $2",
            )
            .bind(floor)
            .bind(before)
            .fetch_one(read)
            .await
            .map_err(db)?
        }
        PruneTarget::Idempotency => sqlx::query_scalar("SELECT COUNT(*) FROM idempotency WHERE created_at < $1")
            .bind(before)
            .fetch_one(read)
            .await
            .map_err(db)?,
    };
    Ok(u64::try_from(count).unwrap_or(0))
}

/// The id below which deliveries are considered (`delivery::floor`): deliveries have no time index, but ids
/// follow creation, so the delete is a range of the primary key. Rows created within `floor::SLACK` of the
/// cutoff may lie above it: the next prune takes them.
async fn delivery_floor(read: &PgPool, before: DateTime<Utc>) -> Result<i64, StoreError> {
    let mut conn = read.acquire().await.map_err(db)?;
    id_floor(&mut conn, Some(before)).await
}

/// Walks [0, floor) in chunks of `limit` settled rows, each checked by when it was settled: delivered
/// (`delivered_at`), else its last attempt (a dead letter discarded), else its creation. A row created before
/// the cutoff and settled after it (a replayed dead letter) stays.
async fn prune_deliveries(write: &PgPool, floor: i64, before: DateTime<Utc>, limit: u32) -> Result<Pruned, StoreError> {
    let mut pruned = Pruned::default();
    let mut from = 0;
    while from < floor {
        let row = sqlx::query(
            "WITH doomed AS (SELECT id FROM deliveries WHERE id >= $1 AND id < $2 \
               AND status IN ('delivered', 'discarded') AND COALESCE(delivered_at, last_attempt_at, created_at) < $3 \
               ORDER BY id LIMIT $4 \
               FOR UPDATE SKIP LOCKED), \
             gone AS (DELETE FROM deliveries WHERE id IN (SELECT id FROM doomed) RETURNING id) \
             SELECT COUNT(*) AS n, MAX(id) AS last FROM gone",
        )
        .bind(from)
        .bind(floor)
        .bind(before)
        .bind(i64::from(limit))
        .fetch_one(write)
        .await
        .map_err(db)?;
        let deleted: i64 = row.try_get("n").map_err(db)?;
        let last: Option<i64> = row.try_get("last").map_err(db)?;
        let (Some(last), true) = (last, deleted > 0) else { break };
        pruned.rows += u64::try_from(deleted).unwrap_or(0);
        pruned.chunks += 1;
        if deleted < i64::from(limit) {
            break;
        }
        from = last + 1;
    }
    delete_old_markers(write, before).await?;
    Ok(pruned)
}

/// Markers of acknowledgements recorded but never written (`edi_unwritten_acks`) that are older than the
/// deliveries' cutoff: their input was removed by hand, or the outbox has been unwritable for that long.
/// Receiving such an input again records it and a new acknowledgement. Not counted in `Pruned`.
async fn delete_old_markers(write: &PgPool, before: DateTime<Utc>) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM edi_unwritten_acks WHERE created_at < $1")
        .bind(before)
        .execute(write)
        .await
        .map_err(db)
        .map(drop)
}

/// Oldest first along `idempotency_by_created_at`, so each chunk reads only the rows it deletes.
async fn prune_idempotency(write: &PgPool, before: DateTime<Utc>, limit: u32) -> Result<Pruned, StoreError> {
    let mut pruned = Pruned::default();
    loop {
        let deleted = sqlx::query(
            "DELETE FROM idempotency WHERE key IN (SELECT key FROM idempotency WHERE created_at < $1 \
             ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
        )
        .bind(before)
        .bind(i64::from(limit))
        .execute(write)
        .await
        .map_err(db)?
        .rows_affected();
        if deleted == 0 {
            return Ok(pruned);
        }
        pruned.rows += deleted;
        pruned.chunks += 1;
        if deleted < u64::from(limit) {
            return Ok(pruned);
        }
    }
}
