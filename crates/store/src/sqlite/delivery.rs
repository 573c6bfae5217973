//! SQLite delivery state, the hot path: registering subscriptions, scheduling, claiming and completing.
//! Every write runs in a `BEGIN IMMEDIATE` transaction on the single writer connection.

use super::rows;
use crate::StoreError;
use crate::codec::{db, now_micros, parse_time_text, rows_per_statement, time_text, to_json};
use crate::delivery::RowState;
use crate::delivery::outcomes::{LastOutcomes, note_outcome};
use crate::delivery::sealing::{delivery_subject, ids_to_seal, seal_results};
use crate::delivery::{
    ClaimedDelivery, DeliveryOutcome, DeliveryResult, ScheduleBatch, SubscriptionStart, idempotency_key,
    unreadable_event,
};
use chrono::{DateTime, Utc};
use crossdock_model::RecordedEvent;
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};
use std::collections::HashMap;
use std::time::Duration;

pub(crate) async fn head_seq(pool: &SqlitePool) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS head FROM events").fetch_one(pool).await.map_err(db)?;
    row.try_get("head").map_err(db)
}

pub(crate) async fn register(
    pool: &SqlitePool,
    name: &str,
    system: &str,
    start: SubscriptionStart,
) -> Result<i64, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
    let cursor = match start {
        SubscriptionStart::Beginning => 0,
        SubscriptionStart::Head => {
            let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS head FROM events")
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
            row.try_get::<i64, _>("head").map_err(db)?
        }
    };
    let row = sqlx::query(
        "INSERT INTO subscriptions (name, system, cursor, created_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (name) DO UPDATE SET system = excluded.system RETURNING cursor",
    )
    .bind(name.to_string())
    .bind(system.to_string())
    .bind(cursor)
    .bind(time_text(now_micros()))
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let cursor = row.try_get("cursor").map_err(db)?;
    // A subscription re-pointed at another system takes its backlog along: the worker routes by the row's
    // system, and rows left on a system no longer configured would wait (and block their orders) forever.
    sqlx::query(
        "UPDATE deliveries SET system = ?1 WHERE subscription = ?2 AND status IN ('pending', 'dead') \
         AND system <> ?1",
    )
    .bind(system.to_string())
    .bind(name.to_string())
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(cursor)
}

pub(crate) async fn cursor(pool: &SqlitePool, name: &str) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query("SELECT cursor FROM subscriptions WHERE name = ?")
        .bind(name.to_string())
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    row.map(|row| row.try_get("cursor").map_err(db)).transpose()
}

/// Applies the batches in one transaction; for each, whether its cursor moved (false: nothing of it written).
pub(crate) async fn schedule(pool: &SqlitePool, batches: &[ScheduleBatch]) -> Result<Vec<bool>, StoreError> {
    for batch in batches {
        batch.check()?;
    }
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
    let mut moved = Vec::with_capacity(batches.len());
    for batch in batches {
        moved.push(schedule_one(&mut tx, batch).await?);
    }
    tx.commit().await.map_err(db)?;
    Ok(moved)
}

async fn schedule_one(tx: &mut sqlx::Transaction<'static, Sqlite>, batch: &ScheduleBatch) -> Result<bool, StoreError> {
    let moved = sqlx::query("UPDATE subscriptions SET cursor = ? WHERE name = ? AND cursor = ?")
        .bind(batch.new_cursor)
        .bind(batch.subscription.clone())
        .bind(batch.expected_cursor)
        .execute(&mut **tx)
        .await
        .map_err(db)?
        .rows_affected();
    if moved == 0 {
        // A subscription never registered starts at 0; any other mismatch means someone moved the cursor.
        let inserted = batch.expected_cursor == 0
            && sqlx::query(
                "INSERT INTO subscriptions (name, system, cursor, created_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(batch.subscription.clone())
            .bind(batch.system.clone())
            .bind(batch.new_cursor)
            .bind(time_text(batch.now))
            .execute(&mut **tx)
            .await
            .map_err(db)?
            .rows_affected()
                == 1;
        if !inserted {
            return Ok(false);
        }
    }
    let now = time_text(batch.now);
    let written_at = now_micros();
    for chunk in batch.deliveries.chunks(rows_per_statement(18)) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "INSERT INTO deliveries (subscription, system, seq, aggregate_id, event_type, status, next_attempt_at, \
             idempotency_key, created_at, queued_at, last_error, attempts, first_attempt_at, last_attempt_at, \
             delivered_at, latency_ms, lease_owner, lease_expires_at) ",
        );
        query.push_values(chunk, |mut row, d| {
            let row_state = RowState::of(d, written_at);
            row.push_bind(batch.subscription.clone())
                .push_bind(batch.system.clone())
                .push_bind(d.seq)
                .push_bind(d.aggregate_id.clone())
                .push_bind(d.event_type.clone())
                .push_bind(row_state.status.as_str())
                .push_bind(now.clone())
                .push_bind(idempotency_key(&batch.subscription, d.seq))
                .push_bind(now.clone())
                .push_bind(now.clone())
                .push_bind(d.dead_error.clone())
                .push_bind(i64::from(row_state.delivered.is_some()))
                .push_bind(row_state.delivered.map(|_| now.clone()))
                .push_bind(row_state.delivered.map(|_| now.clone()))
                .push_bind(row_state.delivered.map(|(at, _)| time_text(at)))
                .push_bind(row_state.delivered.map(|(_, latency)| latency))
                .push_bind(row_state.lease.map(|(owner, _)| owner.to_string()))
                .push_bind(row_state.lease.map(|(_, until)| time_text(until)));
        });
        query.push(" ON CONFLICT (subscription, seq) DO NOTHING");
        query.build().execute(&mut **tx).await.map_err(db)?;
    }
    if let Some(at) =
        batch.deliveries.iter().filter_map(|d| RowState::of(d, written_at).delivered.map(|(at, _)| at)).max()
    {
        sqlx::query("UPDATE subscriptions SET last_success_at = MAX(COALESCE(last_success_at, ''), ?) WHERE name = ?")
            .bind(time_text(at))
            .bind(batch.subscription.clone())
            .execute(&mut **tx)
            .await
            .map_err(db)?;
    }
    Ok(true)
}

/// One subscription's claimable deliveries, oldest first: due, unleased and the earliest pending of their
/// aggregate. Walks `deliveries_pending_by_subscription` and stops at the limit.
const CANDIDATES: &str = "SELECT d.id, d.seq FROM deliveries d \
    WHERE d.subscription = ?1 AND d.status = 'pending' AND d.next_attempt_at <= ?2 \
      AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= ?2) \
      AND NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.status = 'pending' AND p.subscription = d.subscription \
                      AND p.aggregate_id = d.aggregate_id AND p.seq < d.seq) \
    ORDER BY d.seq LIMIT ?3";

pub(crate) async fn claim(
    read: &SqlitePool,
    pool: &SqlitePool,
    owner: &str,
    lease: Duration,
    now: DateTime<Utc>,
    limit: u32,
    pii: &crate::pii::Pii,
) -> Result<Vec<ClaimedDelivery>, StoreError> {
    // Most polls find nothing due (new events go out through the senders): look on a read connection first
    // rather than taking the write lock from the group-commit writer for nothing.
    let due = sqlx::query(
        "SELECT EXISTS (SELECT 1 FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? \
         AND (lease_expires_at IS NULL OR lease_expires_at <= ?)) AS due",
    )
    .bind(time_text(now))
    .bind(time_text(now))
    .fetch_one(read)
    .await
    .map_err(db)?;
    if !due.try_get::<bool, _>("due").map_err(db)? {
        return Ok(Vec::new());
    }
    let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
    let ids = fair_candidates(&mut tx, now, limit.max(1)).await?;
    let mut leased = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(rows_per_statement(1)) {
        let mut query = QueryBuilder::<Sqlite>::new("UPDATE deliveries SET lease_owner = ");
        query.push_bind(owner.to_string()).push(", lease_expires_at = ").push_bind(time_text(until));
        query.push(" WHERE id IN (");
        let mut list = query.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        query.push(") RETURNING id, subscription, system, seq, idempotency_key, attempts, queued_at");
        leased.extend(query.build().fetch_all(&mut *tx).await.map_err(db)?);
    }
    let seqs: Vec<i64> = leased.iter().map(|row| row.try_get("seq")).collect::<Result<_, _>>().map_err(db)?;
    let events = read_events(&mut tx, seqs, pii).await?;
    let mut claimed = Vec::with_capacity(leased.len());
    for row in leased {
        let id: i64 = row.try_get("id").map_err(db)?;
        let seq: i64 = row.try_get("seq").map_err(db)?;
        let event = match events.get(&seq) {
            Some(Ok(event)) => event.clone(),
            Some(Err(error)) => {
                dead_on_claim(&mut tx, id, unreadable_event(seq, error)).await?;
                continue;
            }
            None => {
                dead_on_claim(&mut tx, id, format!("event {seq} is missing from the log")).await?;
                continue;
            }
        };
        let attempts: i64 = row.try_get("attempts").map_err(db)?;
        claimed.push(ClaimedDelivery {
            id,
            subscription: row.try_get("subscription").map_err(db)?,
            system: row.try_get("system").map_err(db)?,
            idempotency_key: row.try_get("idempotency_key").map_err(db)?,
            attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            queued_at: parse_time_text(&row.try_get::<String, _>("queued_at").map_err(db)?)?,
            lease_expires_at: until,
            event,
        });
    }
    // Nothing is leased unless every claimed event was read: an error above rolls the leases back.
    tx.commit().await.map_err(db)?;
    claimed.sort_by_key(|c| c.event.seq);
    Ok(claimed)
}

/// Up to `limit` claimable deliveries taken in turns from each subscription (the oldest of each, then the
/// second oldest of each, …), so that one subscription's backlog cannot starve the others.
async fn fair_candidates(
    tx: &mut sqlx::Transaction<'static, Sqlite>,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<i64>, StoreError> {
    let names = sqlx::query("SELECT name FROM subscriptions").fetch_all(&mut **tx).await.map_err(db)?;
    let mut ranked: Vec<(usize, i64, i64)> = Vec::new();
    for name in names {
        let rows = sqlx::query(CANDIDATES)
            .bind(name.try_get::<String, _>("name").map_err(db)?)
            .bind(time_text(now))
            .bind(i64::from(limit))
            .fetch_all(&mut **tx)
            .await
            .map_err(db)?;
        for (turn, row) in rows.iter().enumerate() {
            ranked.push((turn, row.try_get("seq").map_err(db)?, row.try_get("id").map_err(db)?));
        }
    }
    ranked.sort_unstable();
    ranked.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(ranked.into_iter().map(|(_, _, id)| id).collect())
}

/// The events of these sequence numbers, each read or with the reason it could not be.
async fn read_events(
    tx: &mut sqlx::Transaction<'static, Sqlite>,
    mut seqs: Vec<i64>,
    pii: &crate::pii::Pii,
) -> Result<HashMap<i64, Result<std::sync::Arc<RecordedEvent>, StoreError>>, StoreError> {
    seqs.sort_unstable();
    seqs.dedup();
    let mut events = HashMap::with_capacity(seqs.len());
    for chunk in seqs.chunks(rows_per_statement(1)) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT seq, aggregate_kind, aggregate_id, version, event_type, schema_version, payload, recorded_at, \
             idempotency_key FROM events WHERE seq IN (",
        );
        let mut list = query.separated(", ");
        for seq in chunk {
            list.push_bind(*seq);
        }
        query.push(")");
        let found = query.build().fetch_all(&mut **tx).await.map_err(db)?;
        let ring = pii.ring_for(found.iter().filter_map(|r| r.try_get::<&str, _>("payload").ok())).await?;
        for row in found {
            let seq: i64 = row.try_get("seq").map_err(db)?;
            events.insert(seq, rows::event(&row, &ring).map(std::sync::Arc::new));
        }
    }
    Ok(events)
}

/// Moves a claimed delivery whose event cannot be read to the dead-letter queue (no attempt was made), so
/// that it neither fails every claim nor waits for a lease to expire.
async fn dead_on_claim(tx: &mut sqlx::Transaction<'static, Sqlite>, id: i64, error: String) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE deliveries SET status = 'dead', last_error = ?, lease_owner = NULL, lease_expires_at = NULL \
         WHERE id = ?",
    )
    .bind(error)
    .bind(id)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

/// The data-key subject of each of these deliveries whose event has one (see `delivery::sealing`).
async fn delivery_subjects(pool: &SqlitePool, ids: &[i64]) -> Result<HashMap<i64, String>, StoreError> {
    let mut subjects = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(rows_per_statement(1)) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT d.id, e.aggregate_kind, d.aggregate_id, o.customer_id FROM deliveries d \
             JOIN events e ON e.seq = d.seq LEFT JOIN orders o ON o.id = d.aggregate_id WHERE d.id IN (",
        );
        let mut list = query.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        query.push(")");
        for row in query.build().fetch_all(pool).await.map_err(db)? {
            let kind: String = row.try_get("aggregate_kind").map_err(db)?;
            let aggregate: String = row.try_get("aggregate_id").map_err(db)?;
            let customer: Option<String> = row.try_get("customer_id").map_err(db)?;
            if let Some(subject) = delivery_subject(&kind, &aggregate, customer.as_deref()) {
                subjects.insert(row.try_get("id").map_err(db)?, subject);
            }
        }
    }
    Ok(subjects)
}

pub(crate) async fn complete(
    pool: &SqlitePool,
    owner: &str,
    results: &[DeliveryResult],
    pii: &crate::pii::Pii,
) -> Result<u64, StoreError> {
    let to_seal = ids_to_seal(pii, results);
    let sealed;
    let results = if to_seal.is_empty() {
        results
    } else {
        sealed = seal_results(pii, results, &delivery_subjects(pool, &to_seal).await?).await?;
        sealed.as_slice()
    };
    let now = now_micros();
    let now_text = time_text(now);
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
    let mut applied = 0;
    let mut last = LastOutcomes::default();
    // Successes, the bulk of the traffic, in one statement over a JSON array of (id, at, latency).
    let delivered: Vec<serde_json::Value> = results
        .iter()
        .filter_map(|r| match &r.outcome {
            DeliveryOutcome::Delivered { at, latency_ms } => {
                Some(serde_json::json!([r.id, time_text(*at), latency_ms]))
            }
            _ => None,
        })
        .collect();
    if !delivered.is_empty() {
        let rows = sqlx::query(
            "UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = r.at, \
             latency_ms = COALESCE(latency_ms, r.latency), first_attempt_at = COALESCE(first_attempt_at, ?2), \
             last_attempt_at = ?2, lease_owner = NULL, lease_expires_at = NULL \
             FROM (SELECT value ->> 0 AS id, value ->> 1 AS at, value ->> 2 AS latency FROM json_each(?1)) AS r \
             WHERE deliveries.id = r.id AND deliveries.lease_owner = ?3 AND deliveries.status = 'pending' \
             RETURNING subscription, delivered_at",
        )
        .bind(to_json(&delivered)?)
        .bind(now_text.clone())
        .bind(owner.to_string())
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        for row in rows {
            applied += 1;
            let at = parse_time_text(&row.try_get::<String, _>("delivered_at").map_err(db)?)?;
            let outcome = DeliveryOutcome::Delivered { at, latency_ms: 0 };
            note_outcome(&mut last, row.try_get("subscription").map_err(db)?, &outcome);
        }
    }
    for result in results {
        if matches!(result.outcome, DeliveryOutcome::Delivered { .. }) {
            continue;
        }
        let Some(subscription) = complete_one(&mut tx, owner, &now_text, result).await? else { continue };
        applied += 1;
        note_outcome(&mut last, subscription, &result.outcome);
    }
    for (subscription, at) in &last.success {
        sqlx::query("UPDATE subscriptions SET last_success_at = MAX(COALESCE(last_success_at, ''), ?) WHERE name = ?")
            .bind(time_text(*at))
            .bind(subscription.clone())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    for (subscription, error) in &last.error {
        sqlx::query("UPDATE subscriptions SET last_error = ?, last_error_at = ? WHERE name = ?")
            .bind(error.clone())
            .bind(now_text.clone())
            .bind(subscription.clone())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(applied)
}

/// Appends the condition that the caller still holds the lease.
macro_rules! held {
    ($sql:literal) => {
        concat!($sql, " WHERE id = ? AND lease_owner = ? AND status = 'pending' RETURNING subscription")
    };
}

/// Records one failed, deferred or discarded result if `owner` still holds the delivery; returns its
/// subscription when it did.
async fn complete_one(
    tx: &mut sqlx::Transaction<'static, Sqlite>,
    owner: &str,
    now: &str,
    result: &DeliveryResult,
) -> Result<Option<String>, StoreError> {
    let query = match &result.outcome {
        // Recorded in bulk by `complete`.
        DeliveryOutcome::Delivered { .. } => return Ok(None),
        DeliveryOutcome::Retry { at, error, request, response } => sqlx::query(held!(
            "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, last_request = ?, \
             last_response = ?, first_attempt_at = COALESCE(first_attempt_at, ?), last_attempt_at = ?, \
             lease_owner = NULL, lease_expires_at = NULL"
        ))
        .bind(time_text(*at))
        .bind(error.clone())
        .bind(request.as_ref().map(to_json).transpose()?)
        .bind(response.as_ref().map(to_json).transpose()?)
        .bind(now.to_string())
        .bind(now.to_string()),
        DeliveryOutcome::Dead { error, request, response } => sqlx::query(held!(
            "UPDATE deliveries SET status = 'dead', attempts = attempts + 1, last_error = ?, last_request = ?, \
             last_response = ?, first_attempt_at = COALESCE(first_attempt_at, ?), last_attempt_at = ?, \
             lease_owner = NULL, lease_expires_at = NULL"
        ))
        .bind(error.clone())
        .bind(request.as_ref().map(to_json).transpose()?)
        .bind(response.as_ref().map(to_json).transpose()?)
        .bind(now.to_string())
        .bind(now.to_string()),
        DeliveryOutcome::Deferred { until } => {
            sqlx::query(held!("UPDATE deliveries SET next_attempt_at = ?, lease_owner = NULL, lease_expires_at = NULL"))
                .bind(time_text(*until))
        }
        DeliveryOutcome::Discarded { reason } => sqlx::query(held!(
            "UPDATE deliveries SET status = 'discarded', last_error = ?, lease_owner = NULL, lease_expires_at = NULL"
        ))
        .bind(reason.clone()),
    };
    let row = query.bind(result.id).bind(owner.to_string()).fetch_optional(&mut **tx).await.map_err(db)?;
    row.map(|row| row.try_get("subscription").map_err(db)).transpose()
}
