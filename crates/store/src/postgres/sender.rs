//! PostgreSQL support for sending on schedule: the subscription's sender lease, the aggregates that must queue
//! behind a pending delivery, the ids of rows just recorded, and events by sequence number.

use crate::StoreError;
use crate::codec::db;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use std::collections::{HashMap, HashSet};

/// Takes or renews `subscription`'s sender lease for `owner` until `until`, unless another owner holds it
/// past `now`; true when `owner` holds it afterwards. `until <= now` hands it back.
pub(crate) async fn acquire_sender(
    pool: &PgPool,
    subscription: &str,
    owner: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE subscriptions SET sender = $1, sender_until = $2 \
         WHERE name = $3 AND (sender IS NULL OR sender = $1 OR sender_until <= $4)",
    )
    .bind(owner.to_string())
    .bind(until)
    .bind(subscription.to_string())
    .bind(now)
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(done.rows_affected() == 1)
}

/// Which of `aggregates` have a pending delivery for `subscription`.
pub(crate) async fn pending_aggregates(
    pool: &PgPool,
    subscription: &str,
    aggregates: &[String],
) -> Result<HashSet<String>, StoreError> {
    if aggregates.is_empty() {
        return Ok(HashSet::new());
    }
    let rows = sqlx::query(
        "SELECT DISTINCT aggregate_id FROM deliveries WHERE status = 'pending' AND subscription = $1 \
         AND aggregate_id = ANY($2)",
    )
    .bind(subscription.to_string())
    .bind(aggregates.to_vec())
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.iter().map(|row| row.try_get::<String, _>("aggregate_id").map_err(db)).collect()
}

/// The delivery id of each of these events' deliveries to `subscription`, by sequence number.
pub(crate) async fn delivery_ids(
    pool: &PgPool,
    subscription: &str,
    seqs: &[i64],
) -> Result<HashMap<i64, i64>, StoreError> {
    if seqs.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = sqlx::query("SELECT seq, id FROM deliveries WHERE subscription = $1 AND seq = ANY($2)")
        .bind(subscription.to_string())
        .bind(seqs.to_vec())
        .fetch_all(pool)
        .await
        .map_err(db)?;
    rows.iter().map(|row| Ok((row.try_get("seq").map_err(db)?, row.try_get("id").map_err(db)?))).collect()
}

/// The rows of the events with these sequence numbers, in sequence order (missing ones left out).
pub(crate) async fn event_rows_at(pool: &PgPool, seqs: &[i64]) -> Result<Vec<PgRow>, StoreError> {
    if seqs.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query(
        "SELECT seq, aggregate_kind, aggregate_id, version, event_type, schema_version, payload, recorded_at, \
         idempotency_key FROM events WHERE seq = ANY($1) ORDER BY seq",
    )
    .bind(seqs.to_vec())
    .fetch_all(pool)
    .await
    .map_err(db)
}
