//! SQLite reads for the KPIs: every delivery as a sample of its system's uptime and sync latency, or the
//! same counted per system in SQL (`integration`).

use crate::StoreError;
use crate::codec::{db, parse_time_text, time_text};
use crate::delivery::DeliveryStatus;
use crate::delivery::floor;
use crate::integration::{Judgement, SystemCounts};
use chrono::{DateTime, Utc};
use crossdock_engine::kpi::{DeliverySample, Period};
use sqlx::{Row, SqliteConnection, SqlitePool};

/// Deliveries joined to their events' commit times, oldest event first; only events committed at or after
/// `since` when it is given.
pub(crate) async fn delivery_samples(
    pool: &SqlitePool,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<DeliverySample>, StoreError> {
    let mut conn = pool.acquire().await.map_err(db)?;
    let floor = id_floor(&mut conn, since).await?;
    let rows = sqlx::query(
        "SELECT d.system, e.recorded_at, d.delivered_at, d.status FROM deliveries d JOIN events e ON e.seq = d.seq \
         WHERE e.recorded_at >= ? AND d.id >= ? ORDER BY d.seq, d.id",
    )
    .bind(since.map(time_text).unwrap_or_default())
    .bind(floor)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|row| {
            let status: String = row.try_get("status").map_err(db)?;
            let status = DeliveryStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown delivery status {status:?}")))?;
            let committed: String = row.try_get("recorded_at").map_err(db)?;
            let delivered: Option<String> = row.try_get("delivered_at").map_err(db)?;
            Ok(DeliverySample {
                system: row.try_get("system").map_err(db)?,
                committed_at: parse_time_text(&committed)?,
                acknowledged_at: delivered.as_deref().map(parse_time_text).transpose()?,
                dead_lettered: matches!(status, DeliveryStatus::Dead | DeliveryStatus::Discarded),
            })
        })
        .collect()
}

/// The smallest delivery id worth reading for events committed at or after `since` (`delivery::floor`; 0
/// without `since`).
pub(crate) async fn id_floor(conn: &mut SqliteConnection, since: Option<DateTime<Utc>>) -> Result<i64, StoreError> {
    let Some(threshold) = since.and_then(|at| at.checked_sub_signed(floor::SLACK)).map(time_text) else {
        return Ok(0);
    };
    let max_id: Option<i64> =
        sqlx::query_scalar("SELECT MAX(id) FROM deliveries").fetch_one(&mut *conn).await.map_err(db)?;
    let mut search = floor::FloorSearch::new(max_id.unwrap_or(0));
    while let Some(id) = search.next() {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT id, created_at FROM deliveries WHERE id >= ? ORDER BY id LIMIT 1")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db)?;
        search.answer(id, row.map(|(id, created)| (id, created < threshold)));
    }
    Ok(search.floor())
}

/// Deliveries of events committed in the period, with commit and acknowledgement times in microseconds
/// (`time_text` is fixed width: whole seconds from `unixepoch`, microseconds from characters 21 to 26).
macro_rules! samples {
    () => {
        "WITH s AS ( \
        SELECT d.system AS system, d.status IN ('dead', 'discarded') AS dead, \
          unixepoch(e.recorded_at) * 1000000 + CAST(substr(e.recorded_at, 21, 6) AS INTEGER) AS c_us, \
          unixepoch(d.delivered_at) * 1000000 + CAST(substr(d.delivered_at, 21, 6) AS INTEGER) AS a_us \
        FROM deliveries d JOIN events e ON e.seq = d.seq \
        WHERE e.recorded_at >= ?1 AND (?2 IS NULL OR e.recorded_at < ?2) AND d.id >= ?3)"
    };
}

/// Per system: deliveries, dead letters, acknowledged ones, first and last minute, minutes with a failure
/// (dead-lettered, acknowledged after the budget, or unacknowledged past it at `now`).
pub(crate) async fn integration_counts(
    conn: &mut SqliteConnection,
    period: &Period,
    floor: i64,
    judge: Judgement,
) -> Result<Vec<SystemCounts>, StoreError> {
    let sql = concat!(
        samples!(),
        ", m AS ( \
           SELECT system, (c_us - ((c_us % 60000000) + 60000000) % 60000000) / 60000000 AS minute, \
             COUNT(*) AS n, SUM(dead) AS dead, COUNT(a_us) AS acked, \
             MAX(dead OR (a_us IS NOT NULL AND a_us - c_us > ?4) OR (a_us IS NULL AND ?5 - c_us > ?4)) AS failed \
           FROM s GROUP BY system, minute) \
         SELECT system, SUM(n) AS n, SUM(dead) AS dead, SUM(acked) AS acked, MIN(minute) AS first, \
           MAX(minute) AS last, SUM(failed) AS failed FROM m GROUP BY system"
    );
    let rows = sqlx::query(sql)
        .bind(period.from.map(time_text).unwrap_or_default())
        .bind(period.to.map(time_text))
        .bind(floor)
        .bind(judge.budget_us)
        .bind(judge.now_us)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    rows.iter()
        .map(|row| {
            Ok(SystemCounts {
                system: row.try_get("system").map_err(db)?,
                deliveries: row.try_get("n").map_err(db)?,
                dead_letters: row.try_get("dead").map_err(db)?,
                acknowledged: row.try_get("acked").map_err(db)?,
                first_minute: row.try_get("first").map_err(db)?,
                last_minute: row.try_get("last").map_err(db)?,
                failed_minutes: row.try_get("failed").map_err(db)?,
            })
        })
        .collect()
}

/// The latencies (microseconds) at the given (system, 1-based rank) pairs of each system's sorted sample.
pub(crate) async fn latencies_at_ranks(
    conn: &mut SqliteConnection,
    period: &Period,
    floor: i64,
    wanted: &[(String, i64)],
) -> Result<Vec<(String, i64, i64)>, StoreError> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let sql = concat!(
        samples!(),
        ", r AS ( \
           SELECT system, a_us - c_us AS latency, \
             ROW_NUMBER() OVER (PARTITION BY system ORDER BY a_us - c_us) AS rank \
           FROM s WHERE a_us IS NOT NULL) \
         SELECT system, rank, latency FROM r \
         WHERE (system, rank) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?4))"
    );
    let wanted = serde_json::to_string(wanted).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let rows = sqlx::query(sql)
        .bind(period.from.map(time_text).unwrap_or_default())
        .bind(period.to.map(time_text))
        .bind(floor)
        .bind(wanted)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("system").map_err(db)?,
                row.try_get("rank").map_err(db)?,
                row.try_get("latency").map_err(db)?,
            ))
        })
        .collect()
}
