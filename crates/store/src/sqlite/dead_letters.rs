//! SQLite delivery state, the operator's side: dead letters (list, show, replay, discard), subscription
//! replay from a sequence number, and per-subscription statistics.

use crate::StoreError;
use crate::codec::{db, from_json, page_size, parse_time_text, rows_per_statement, time_text};
use crate::delivery::{
    DeadLetterFilter, DeliveryRecord, DeliverySelector, DeliveryStatus, SubscriptionReplay, SubscriptionStats,
};
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};
use std::collections::HashMap;

const SUMMARY_COLUMNS: &str = "SELECT id, subscription, system, seq, aggregate_id, event_type, status, attempts, \
    idempotency_key, next_attempt_at, created_at, first_attempt_at, last_attempt_at, delivered_at, latency_ms, \
    last_error";

fn time(row: &SqliteRow, column: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    let text: Option<String> = row.try_get(column).map_err(db)?;
    text.as_deref().map(parse_time_text).transpose()
}

fn json(row: &SqliteRow, column: &str) -> Result<Option<serde_json::Value>, StoreError> {
    let text: Option<String> = row.try_get(column).map_err(db)?;
    text.as_deref().map(|t| from_json(column, t)).transpose()
}

/// Decodes the summary columns, and `last_request`/`last_response` when `full`.
fn record(row: &SqliteRow, full: bool) -> Result<DeliveryRecord, StoreError> {
    let status: String = row.try_get("status").map_err(db)?;
    let attempts: i64 = row.try_get("attempts").map_err(db)?;
    let required =
        |column: &str| time(row, column)?.ok_or_else(|| StoreError::Corrupt(format!("delivery {column} is missing")));
    Ok(DeliveryRecord {
        id: row.try_get("id").map_err(db)?,
        subscription: row.try_get("subscription").map_err(db)?,
        system: row.try_get("system").map_err(db)?,
        seq: row.try_get("seq").map_err(db)?,
        aggregate_id: row.try_get("aggregate_id").map_err(db)?,
        event_type: row.try_get("event_type").map_err(db)?,
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown delivery status {status:?}")))?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        idempotency_key: row.try_get("idempotency_key").map_err(db)?,
        next_attempt_at: required("next_attempt_at")?,
        created_at: required("created_at")?,
        first_attempt_at: time(row, "first_attempt_at")?,
        last_attempt_at: time(row, "last_attempt_at")?,
        delivered_at: time(row, "delivered_at")?,
        latency_ms: row.try_get("latency_ms").map_err(db)?,
        last_error: row.try_get("last_error").map_err(db)?,
        last_request: if full { json(row, "last_request")? } else { None },
        last_response: if full { json(row, "last_response")? } else { None },
    })
}

/// Appends ` AND …` conditions for the filter's matching fields (not its page fields).
fn push_filter(query: &mut QueryBuilder<Sqlite>, filter: &DeadLetterFilter) {
    if let Some(system) = &filter.system {
        query.push(" AND system = ").push_bind(system.clone());
    }
    if let Some(subscription) = &filter.subscription {
        query.push(" AND subscription = ").push_bind(subscription.clone());
    }
    if let Some(event_type) = &filter.event_type {
        query.push(" AND event_type = ").push_bind(event_type.clone());
    }
    if let Some(needle) = &filter.error_contains {
        query.push(" AND instr(COALESCE(last_error, ''), ").push_bind(needle.clone()).push(") > 0");
    }
}

pub(crate) async fn dead_letters(
    pool: &SqlitePool,
    filter: &DeadLetterFilter,
) -> Result<Vec<DeliveryRecord>, StoreError> {
    let mut query = QueryBuilder::<Sqlite>::new(SUMMARY_COLUMNS);
    query.push(" FROM deliveries WHERE status = 'dead'");
    push_filter(&mut query, filter);
    if let Some(after) = filter.after_id {
        query.push(" AND id > ").push_bind(after);
    }
    query.push(" ORDER BY id LIMIT ").push_bind(page_size(filter.limit));
    query.build().fetch_all(pool).await.map_err(db)?.iter().map(|row| record(row, false)).collect()
}

pub(crate) async fn delivery(pool: &SqlitePool, id: i64) -> Result<Option<DeliveryRecord>, StoreError> {
    let mut query = QueryBuilder::<Sqlite>::new(SUMMARY_COLUMNS);
    query.push(", last_request, last_response FROM deliveries WHERE id = ").push_bind(id);
    query.build().fetch_optional(pool).await.map_err(db)?.as_ref().map(|row| record(row, true)).transpose()
}

/// Every delivery of one aggregate's events, any status, by id.
pub(crate) async fn aggregate_deliveries(
    pool: &SqlitePool,
    aggregate_id: &str,
    limit: u32,
) -> Result<Vec<DeliveryRecord>, StoreError> {
    let mut query = QueryBuilder::<Sqlite>::new(SUMMARY_COLUMNS);
    query.push(" FROM deliveries WHERE aggregate_id = ").push_bind(aggregate_id.to_string());
    query.push(" ORDER BY id LIMIT ").push_bind(page_size(limit));
    query.build().fetch_all(pool).await.map_err(db)?.iter().map(|row| record(row, false)).collect()
}

/// Runs the statement `head` starts (an `UPDATE … WHERE status = 'dead'`) over the selected dead letters.
async fn update_selected(
    pool: &SqlitePool,
    head: impl Fn(&mut QueryBuilder<Sqlite>),
    selector: &DeliverySelector,
) -> Result<u64, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
    let mut changed = 0;
    match selector {
        DeliverySelector::Ids(ids) => {
            for chunk in ids.chunks(rows_per_statement(1)) {
                let mut query = QueryBuilder::<Sqlite>::new("");
                head(&mut query);
                query.push(" AND id IN (");
                let mut list = query.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                query.push(")");
                changed += query.build().execute(&mut *tx).await.map_err(db)?.rows_affected();
            }
        }
        DeliverySelector::Filter(filter) => {
            let mut query = QueryBuilder::<Sqlite>::new("");
            head(&mut query);
            push_filter(&mut query, filter);
            changed += query.build().execute(&mut *tx).await.map_err(db)?.rows_affected();
        }
    }
    tx.commit().await.map_err(db)?;
    Ok(changed)
}

pub(crate) async fn replay(
    pool: &SqlitePool,
    selector: &DeliverySelector,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let now = time_text(now);
    let head = |query: &mut QueryBuilder<Sqlite>| {
        query
            .push("UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ")
            .push_bind(now.clone())
            .push(", queued_at = ")
            .push_bind(now.clone())
            .push(", lease_owner = NULL, lease_expires_at = NULL WHERE status = 'dead'");
    };
    update_selected(pool, head, selector).await
}

pub(crate) async fn discard(pool: &SqlitePool, selector: &DeliverySelector) -> Result<u64, StoreError> {
    let head = |query: &mut QueryBuilder<Sqlite>| {
        query.push(
            "UPDATE deliveries SET status = 'discarded', lease_owner = NULL, lease_expires_at = NULL \
             WHERE status = 'dead'",
        );
    };
    update_selected(pool, head, selector).await
}

pub(crate) async fn replay_subscription(
    pool: &SqlitePool,
    subscription: &str,
    from_seq: i64,
    now: DateTime<Utc>,
) -> Result<Option<SubscriptionReplay>, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
    let Some(row) = sqlx::query("UPDATE subscriptions SET cursor = MIN(cursor, ?) WHERE name = ? RETURNING cursor")
        .bind(from_seq.saturating_sub(1).max(0))
        .bind(subscription.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?
    else {
        return Ok(None);
    };
    let cursor: i64 = row.try_get("cursor").map_err(db)?;
    // Requeued rows start over as freshly scheduled ones: a delivered row keeping its acknowledgement would
    // count as acknowledged while pending, and its old latency would outlive the redelivery.
    let requeued = sqlx::query(
        "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?1, queued_at = ?1, \
         delivered_at = NULL, latency_ms = NULL, first_attempt_at = NULL, last_attempt_at = NULL, \
         last_error = NULL, last_request = NULL, last_response = NULL, \
         lease_owner = NULL, lease_expires_at = NULL WHERE subscription = ?2 AND seq >= ?3",
    )
    .bind(time_text(now))
    .bind(subscription.to_string())
    .bind(from_seq)
    .execute(&mut *tx)
    .await
    .map_err(db)?
    .rows_affected();
    tx.commit().await.map_err(db)?;
    Ok(Some(SubscriptionReplay { requeued, cursor }))
}

pub(crate) async fn stats(pool: &SqlitePool) -> Result<Vec<SubscriptionStats>, StoreError> {
    let head: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS head FROM events")
        .fetch_one(pool)
        .await
        .map_err(db)?
        .try_get("head")
        .map_err(db)?;
    let mut counts: HashMap<(String, String), u64> = HashMap::new();
    for row in sqlx::query("SELECT subscription, status, COUNT(*) AS n FROM deliveries GROUP BY subscription, status")
        .fetch_all(pool)
        .await
        .map_err(db)?
    {
        let n: i64 = row.try_get("n").map_err(db)?;
        counts.insert((row.try_get("subscription").map_err(db)?, row.try_get("status").map_err(db)?), n as u64);
    }
    let mut oldest: HashMap<String, DateTime<Utc>> = HashMap::new();
    for row in sqlx::query(
        "SELECT p.subscription, e.recorded_at FROM (SELECT subscription, MIN(seq) AS seq FROM deliveries \
         WHERE status = 'pending' GROUP BY subscription) p JOIN events e ON e.seq = p.seq",
    )
    .fetch_all(pool)
    .await
    .map_err(db)?
    {
        let at = parse_time_text(&row.try_get::<String, _>("recorded_at").map_err(db)?)?;
        oldest.insert(row.try_get("subscription").map_err(db)?, at);
    }
    let subscriptions = sqlx::query(
        "SELECT name, system, cursor, last_success_at, last_error, last_error_at FROM subscriptions ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .map_err(db)?;
    let mut out = Vec::with_capacity(subscriptions.len());
    for row in subscriptions {
        let name: String = row.try_get("name").map_err(db)?;
        let count = |status: DeliveryStatus| counts.get(&(name.clone(), status.as_str().to_string())).copied();
        out.push(SubscriptionStats {
            system: row.try_get("system").map_err(db)?,
            cursor: row.try_get("cursor").map_err(db)?,
            head_seq: head,
            pending: count(DeliveryStatus::Pending).unwrap_or(0),
            delivered: count(DeliveryStatus::Delivered).unwrap_or(0),
            dead: count(DeliveryStatus::Dead).unwrap_or(0),
            discarded: count(DeliveryStatus::Discarded).unwrap_or(0),
            oldest_pending_recorded_at: oldest.get(&name).copied(),
            last_success_at: time(&row, "last_success_at")?,
            last_error: row.try_get("last_error").map_err(db)?,
            last_error_at: time(&row, "last_error_at")?,
            subscription: name,
        });
    }
    Ok(out)
}
