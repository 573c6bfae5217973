//! SQLite reads for the KPIs: every delivery as a sample of its system's uptime and sync latency.

use crate::StoreError;
use crate::codec::{db, parse_time_text, time_text};
use crate::delivery::DeliveryStatus;
use chrono::{DateTime, Utc};
use crossdock_engine::kpi::DeliverySample;
use sqlx::{Row, SqlitePool};

/// Deliveries joined to their events' commit times, oldest event first; only events committed at or after
/// `since` when it is given.
pub(crate) async fn delivery_samples(
    pool: &SqlitePool,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<DeliverySample>, StoreError> {
    let rows = sqlx::query(
        "SELECT d.system, e.recorded_at, d.delivered_at, d.status FROM deliveries d JOIN events e ON e.seq = d.seq \
         WHERE e.recorded_at >= ? ORDER BY d.seq, d.id",
    )
    .bind(since.map(time_text).unwrap_or_default())
    .fetch_all(pool)
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
