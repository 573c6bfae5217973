//! PostgreSQL reads for the KPIs: every delivery as a sample of its system's uptime and sync latency.

use crate::StoreError;
use crate::codec::db;
use crate::delivery::DeliveryStatus;
use chrono::{DateTime, Utc};
use crossdock_engine::kpi::DeliverySample;
use sqlx::{PgPool, Row};

/// Deliveries joined to their events' commit times, oldest event first; only events committed at or after
/// `since` when it is given.
pub(crate) async fn delivery_samples(
    pool: &PgPool,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<DeliverySample>, StoreError> {
    let rows = sqlx::query(
        "SELECT d.system, e.recorded_at, d.delivered_at, d.status FROM deliveries d JOIN events e ON e.seq = d.seq \
         WHERE $1::timestamptz IS NULL OR e.recorded_at >= $1 ORDER BY d.seq, d.id",
    )
    .bind(since)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|row| {
            let status: String = row.try_get("status").map_err(db)?;
            let status = DeliveryStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown delivery status {status:?}")))?;
            Ok(DeliverySample {
                system: row.try_get("system").map_err(db)?,
                committed_at: row.try_get("recorded_at").map_err(db)?,
                acknowledged_at: row.try_get("delivered_at").map_err(db)?,
                dead_lettered: matches!(status, DeliveryStatus::Dead | DeliveryStatus::Discarded),
            })
        })
        .collect()
}
