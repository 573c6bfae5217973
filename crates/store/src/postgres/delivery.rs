//! PostgreSQL delivery state, the hot path: registering subscriptions, scheduling, claiming (`FOR UPDATE
//! SKIP LOCKED`, so several hub processes share the work) and completing.

use super::rows;
use crate::StoreError;
use crate::codec::{db, now_micros, rows_per_statement, to_json};
use crate::delivery::RowState;
use crate::delivery::outcomes::{LastOutcomes, note_outcome};
use crate::delivery::sealing::{delivery_subject, ids_to_seal, seal_results};
use crate::delivery::{
    ClaimedDelivery, DeliveryOutcome, DeliveryResult, ScheduleBatch, SubscriptionStart, idempotency_key,
    unreadable_event,
};
use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder, Row, Transaction};
use std::collections::HashMap;
use std::time::Duration;

pub(crate) async fn head_seq(pool: &PgPool) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS head FROM events").fetch_one(pool).await.map_err(db)?;
    row.try_get("head").map_err(db)
}

pub(crate) async fn register(
    pool: &PgPool,
    name: &str,
    system: &str,
    start: SubscriptionStart,
) -> Result<i64, StoreError> {
    let cursor = match start {
        SubscriptionStart::Beginning => 0,
        SubscriptionStart::Head => head_seq(pool).await?,
    };
    let mut tx = pool.begin().await.map_err(db)?;
    let row = sqlx::query(
        "INSERT INTO subscriptions (name, system, cursor, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET system = excluded.system RETURNING cursor",
    )
    .bind(name.to_string())
    .bind(system.to_string())
    .bind(cursor)
    .bind(now_micros())
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let cursor = row.try_get("cursor").map_err(db)?;
    // A subscription re-pointed at another system takes its backlog along: the worker routes by the row's
    // system, and rows left on a system no longer configured would wait (and block their orders) forever.
    sqlx::query(
        "UPDATE deliveries SET system = $1 WHERE subscription = $2 AND status IN ('pending', 'dead') \
         AND system <> $1",
    )
    .bind(system.to_string())
    .bind(name.to_string())
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(cursor)
}

pub(crate) async fn cursor(pool: &PgPool, name: &str) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query("SELECT cursor FROM subscriptions WHERE name = $1")
        .bind(name.to_string())
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    row.map(|row| row.try_get("cursor").map_err(db)).transpose()
}

/// Applies the batches in one transaction; for each, whether its cursor moved (false: nothing of it written).
pub(crate) async fn schedule(pool: &PgPool, batches: &[ScheduleBatch]) -> Result<Vec<bool>, StoreError> {
    for batch in batches {
        batch.check()?;
    }
    let mut tx = pool.begin().await.map_err(db)?;
    // The subscription rows in name order first, as `complete` does, so that two transactions cannot lock
    // them in crossed orders.
    let names: Vec<String> = batches.iter().map(|b| b.subscription.clone()).collect();
    sqlx::query("SELECT name FROM subscriptions WHERE name = ANY($1) ORDER BY name FOR UPDATE")
        .bind(names)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
    let mut moved = Vec::with_capacity(batches.len());
    for batch in batches {
        moved.push(schedule_one(&mut tx, batch).await?);
    }
    tx.commit().await.map_err(db)?;
    Ok(moved)
}

async fn schedule_one(
    tx: &mut sqlx::Transaction<'static, Postgres>,
    batch: &ScheduleBatch,
) -> Result<bool, StoreError> {
    // The row lock taken here serialises schedulers of one subscription across processes.
    let moved = sqlx::query("UPDATE subscriptions SET cursor = $1 WHERE name = $2 AND cursor = $3")
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
                "INSERT INTO subscriptions (name, system, cursor, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(batch.subscription.clone())
            .bind(batch.system.clone())
            .bind(batch.new_cursor)
            .bind(batch.now)
            .execute(&mut **tx)
            .await
            .map_err(db)?
            .rows_affected()
                == 1;
        if !inserted {
            return Ok(false);
        }
    }
    let written_at = now_micros();
    for chunk in batch.deliveries.chunks(rows_per_statement(18)) {
        let mut query = QueryBuilder::<Postgres>::new(
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
                .push_bind(batch.now)
                .push_bind(idempotency_key(&batch.subscription, d.seq))
                .push_bind(batch.now)
                .push_bind(batch.now)
                .push_bind(d.dead_error.clone())
                .push_bind(i32::from(row_state.delivered.is_some()))
                .push_bind(row_state.delivered.map(|_| batch.now))
                .push_bind(row_state.delivered.map(|_| batch.now))
                .push_bind(row_state.delivered.map(|(at, _)| at))
                .push_bind(row_state.delivered.map(|(_, latency)| latency))
                .push_bind(row_state.lease.map(|(owner, _)| owner.to_string()))
                .push_bind(row_state.lease.map(|(_, until)| until));
        });
        query.push(" ON CONFLICT (subscription, seq) DO NOTHING");
        query.build().execute(&mut **tx).await.map_err(db)?;
    }
    if let Some(at) =
        batch.deliveries.iter().filter_map(|d| RowState::of(d, written_at).delivered.map(|(at, _)| at)).max()
    {
        sqlx::query(
            "UPDATE subscriptions SET last_success_at = GREATEST(COALESCE(last_success_at, $1), $1) WHERE name = $2",
        )
        .bind(at)
        .bind(batch.subscription.clone())
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    }
    Ok(true)
}

/// Leases the due, unleased, earliest-pending-of-its-aggregate deliveries, skipping rows another process is
/// claiming right now, and returns them with their events. Each subscription's candidates are walked oldest
/// first on `deliveries_pending_by_subscription` (at most `$4` each), then taken in turns (the oldest of
/// each, then the second oldest of each, …) so that one subscription's backlog cannot starve the others.
const CLAIM: &str = "WITH candidates AS ( \
    SELECT c.id, c.seq, ROW_NUMBER() OVER (PARTITION BY c.subscription ORDER BY c.seq) AS turn \
    FROM subscriptions s CROSS JOIN LATERAL ( \
      SELECT d.id, d.seq, d.subscription FROM deliveries d \
      WHERE d.subscription = s.name AND d.status = 'pending' AND d.next_attempt_at <= $3 \
        AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= $3) \
        AND NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.status = 'pending' AND p.subscription = d.subscription \
                        AND p.aggregate_id = d.aggregate_id AND p.seq < d.seq) \
      ORDER BY d.seq LIMIT $4 FOR UPDATE SKIP LOCKED) c), \
  chosen AS (SELECT id FROM candidates ORDER BY turn, seq LIMIT $4), \
  leased AS ( \
    UPDATE deliveries SET lease_owner = $1, lease_expires_at = $2 FROM chosen \
    WHERE deliveries.id = chosen.id \
    RETURNING deliveries.id, deliveries.subscription, deliveries.system, deliveries.seq, \
              deliveries.idempotency_key, deliveries.attempts, deliveries.queued_at) \
  SELECT l.id AS delivery_id, l.subscription AS delivery_subscription, l.system AS delivery_system, \
         l.idempotency_key AS delivery_key, l.attempts AS delivery_attempts, l.queued_at AS delivery_queued_at, \
         l.seq AS delivery_seq, e.seq, e.aggregate_kind, e.aggregate_id, e.version, e.event_type, \
         e.schema_version, e.payload, e.recorded_at, e.idempotency_key \
  FROM leased l LEFT JOIN events e ON e.seq = l.seq";

pub(crate) async fn claim(
    pool: &PgPool,
    owner: &str,
    lease: Duration,
    now: DateTime<Utc>,
    limit: u32,
    pii: &crate::pii::Pii,
) -> Result<Vec<ClaimedDelivery>, StoreError> {
    let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
    let mut tx = pool.begin().await.map_err(db)?;
    // Walk the pending index in sequence order and stop at the limit. Without this, a freshly filled
    // table (no statistics yet) gets a bitmap scan that sorts every pending row on each claim. And the
    // never-analysed subscriptions table makes the estimate large enough to JIT-compile the claim, which
    // costs far more than running it. (`set_config(…, true)` is `SET LOCAL`, both in one round trip.)
    sqlx::query("SELECT set_config('enable_bitmapscan', 'off', true), set_config('jit', 'off', true)")
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let found = sqlx::query(CLAIM)
        .bind(owner.to_string())
        .bind(until)
        .bind(now)
        .bind(i64::from(limit.max(1)))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
    // Read the events before committing: an error here rolls the leases back instead of leaving the rows
    // leased to nobody for a whole lease.
    let ring = pii.ring_for(found.iter().filter_map(|r| r.try_get::<&str, _>("payload").ok())).await?;
    let mut claimed = Vec::with_capacity(found.len());
    for row in found {
        let id: i64 = row.try_get("delivery_id").map_err(db)?;
        let seq: i64 = row.try_get("delivery_seq").map_err(db)?;
        let event = if row.try_get::<Option<i64>, _>("seq").map_err(db)?.is_none() {
            Err(format!("event {seq} is missing from the log"))
        } else {
            rows::event(&row, &ring).map_err(|error| unreadable_event(seq, &error))
        };
        let event = match event {
            Ok(event) => event,
            Err(error) => {
                dead_on_claim(&mut tx, id, error).await?;
                continue;
            }
        };
        let attempts: i32 = row.try_get("delivery_attempts").map_err(db)?;
        claimed.push(ClaimedDelivery {
            id,
            subscription: row.try_get("delivery_subscription").map_err(db)?,
            system: row.try_get("delivery_system").map_err(db)?,
            idempotency_key: row.try_get("delivery_key").map_err(db)?,
            attempts: u32::try_from(attempts).unwrap_or(0),
            queued_at: row.try_get("delivery_queued_at").map_err(db)?,
            lease_expires_at: until,
            event: std::sync::Arc::new(event),
        });
    }
    tx.commit().await.map_err(db)?;
    claimed.sort_by_key(|c| c.event.seq);
    Ok(claimed)
}

/// Moves a claimed delivery whose event cannot be read to the dead-letter queue (no attempt was made), so
/// that it neither fails every claim nor waits for a lease to expire.
async fn dead_on_claim(tx: &mut Transaction<'static, Postgres>, id: i64, error: String) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE deliveries SET status = 'dead', last_error = $1, lease_owner = NULL, lease_expires_at = NULL \
         WHERE id = $2",
    )
    .bind(error)
    .bind(id)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

/// The data-key subject of each of these deliveries whose event has one (see `delivery::sealing`).
async fn delivery_subjects(pool: &PgPool, ids: &[i64]) -> Result<HashMap<i64, String>, StoreError> {
    let rows = sqlx::query(
        "SELECT d.id, e.aggregate_kind, d.aggregate_id, o.customer_id FROM deliveries d \
         JOIN events e ON e.seq = d.seq LEFT JOIN orders o ON o.id = d.aggregate_id WHERE d.id = ANY($1)",
    )
    .bind(ids.to_vec())
    .fetch_all(pool)
    .await
    .map_err(db)?;
    let mut subjects = HashMap::with_capacity(rows.len());
    for row in rows {
        let kind: String = row.try_get("aggregate_kind").map_err(db)?;
        let aggregate: String = row.try_get("aggregate_id").map_err(db)?;
        let customer: Option<String> = row.try_get("customer_id").map_err(db)?;
        if let Some(subject) = delivery_subject(&kind, &aggregate, customer.as_deref()) {
            subjects.insert(row.try_get("id").map_err(db)?, subject);
        }
    }
    Ok(subjects)
}

pub(crate) async fn complete(
    pool: &PgPool,
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
    let mut tx = pool.begin().await.map_err(db)?;
    // Every subscription row this touches, locked up front in name order before any delivery row: two
    // processes completing (or scheduling, or replaying) at once then cannot lock them in crossed orders.
    let all_ids: Vec<i64> = results.iter().map(|r| r.id).collect();
    sqlx::query(
        "SELECT name FROM subscriptions WHERE name IN (SELECT subscription FROM deliveries WHERE id = ANY($1)) \
         ORDER BY name FOR UPDATE",
    )
    .bind(all_ids)
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    let mut last = LastOutcomes::default();
    // Successes, the bulk of the traffic, in one statement.
    let (mut ids, mut ats, mut latencies) = (Vec::new(), Vec::new(), Vec::new());
    for result in results {
        if let DeliveryOutcome::Delivered { at, latency_ms } = &result.outcome {
            ids.push(result.id);
            ats.push(*at);
            latencies.push(*latency_ms);
        }
    }
    let mut applied = 0;
    if !ids.is_empty() {
        let rows = sqlx::query(
            "UPDATE deliveries d SET status = 'delivered', attempts = d.attempts + 1, delivered_at = r.at, \
             latency_ms = COALESCE(d.latency_ms, r.latency), first_attempt_at = COALESCE(d.first_attempt_at, $4), \
             last_attempt_at = $4, lease_owner = NULL, lease_expires_at = NULL \
             FROM UNNEST($1::bigint[], $2::timestamptz[], $3::bigint[]) AS r(id, at, latency) \
             WHERE d.id = r.id AND d.lease_owner = $5 AND d.status = 'pending' RETURNING d.subscription, r.at",
        )
        .bind(ids)
        .bind(ats)
        .bind(latencies)
        .bind(now)
        .bind(owner.to_string())
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        for row in rows {
            applied += 1;
            let at: DateTime<Utc> = row.try_get("at").map_err(db)?;
            let outcome = DeliveryOutcome::Delivered { at, latency_ms: 0 };
            note_outcome(&mut last, row.try_get("subscription").map_err(db)?, &outcome);
        }
    }
    for result in results {
        if matches!(result.outcome, DeliveryOutcome::Delivered { .. }) {
            continue;
        }
        let Some(subscription) = complete_one(&mut tx, owner, now, result).await? else { continue };
        applied += 1;
        note_outcome(&mut last, subscription, &result.outcome);
    }
    for (subscription, at) in &last.success {
        sqlx::query(
            "UPDATE subscriptions SET last_success_at = GREATEST(COALESCE(last_success_at, $1), $1) WHERE name = $2",
        )
        .bind(*at)
        .bind(subscription.clone())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    for (subscription, error) in &last.error {
        sqlx::query("UPDATE subscriptions SET last_error = $1, last_error_at = $2 WHERE name = $3")
            .bind(error.clone())
            .bind(now)
            .bind(subscription.clone())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(applied)
}

/// Appends the condition that the caller still holds the lease (`$1`: id, `$2`: owner, `$3`: now).
macro_rules! held {
    ($sql:literal) => {
        concat!($sql, " WHERE id = $1 AND lease_owner = $2 AND status = 'pending' RETURNING subscription")
    };
}

/// Records one failed, deferred or discarded result if `owner` still holds the delivery.
async fn complete_one(
    tx: &mut Transaction<'static, Postgres>,
    owner: &str,
    now: DateTime<Utc>,
    result: &DeliveryResult,
) -> Result<Option<String>, StoreError> {
    let query = sqlx::query(match &result.outcome {
        DeliveryOutcome::Delivered { .. } => return Ok(None),
        DeliveryOutcome::Retry { .. } => held!(
            "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = $4, last_error = $5, \
             last_request = $6, last_response = $7, first_attempt_at = COALESCE(first_attempt_at, $3), \
             last_attempt_at = $3, lease_owner = NULL, lease_expires_at = NULL"
        ),
        DeliveryOutcome::Dead { .. } => held!(
            "UPDATE deliveries SET status = 'dead', attempts = attempts + 1, last_error = $5, last_request = $6, \
             last_response = $7, first_attempt_at = COALESCE(first_attempt_at, $3), last_attempt_at = $3, \
             lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = COALESCE($4, next_attempt_at)"
        ),
        // Nothing was sent: no attempt is recorded (as in SQLite); the unused parameters are bound all the same.
        DeliveryOutcome::Deferred { .. } => {
            held!("UPDATE deliveries SET next_attempt_at = $4, lease_owner = NULL, lease_expires_at = NULL")
        }
        DeliveryOutcome::Discarded { .. } => held!(
            "UPDATE deliveries SET status = 'discarded', last_error = $5, lease_owner = NULL, lease_expires_at = NULL"
        ),
    });
    let (at, error, request, response) = match &result.outcome {
        DeliveryOutcome::Delivered { .. } => return Ok(None),
        DeliveryOutcome::Retry { at, error, request, response } => (Some(*at), Some(error), request, response),
        DeliveryOutcome::Dead { error, request, response } => (None, Some(error), request, response),
        DeliveryOutcome::Deferred { until } => (Some(*until), None, &None, &None),
        DeliveryOutcome::Discarded { reason } => (None, Some(reason), &None, &None),
    };
    let row = query
        .bind(result.id)
        .bind(owner.to_string())
        .bind(now)
        .bind(at)
        .bind(error.cloned())
        .bind(request.as_ref().map(to_json).transpose()?)
        .bind(response.as_ref().map(to_json).transpose()?)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    row.map(|row| row.try_get("subscription").map_err(db)).transpose()
}
