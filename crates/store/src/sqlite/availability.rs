//! The SQLite statement of the availability aggregate (see `crate::availability`).

use super::tx::SqliteTx;
use crate::StoreError;
use crate::availability::AvailabilityTx;
use crate::codec::{db, to_u64};
use async_trait::async_trait;
use sqlx::Row;

#[async_trait]
impl AvailabilityTx for SqliteTx<'_> {
    async fn last_event_of(&mut self, kind: &str, id: &str) -> Result<Option<(u64, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT version, payload FROM events WHERE aggregate_kind = ?1 AND aggregate_id = ?2 \
             ORDER BY version DESC LIMIT 1",
        )
        .bind(kind)
        .bind(id)
        .fetch_optional(&mut *self.0)
        .await
        .map_err(db)?;
        let Some(row) = row else { return Ok(None) };
        let version: i64 = row.try_get("version").map_err(db)?;
        let payload: String = row.try_get("payload").map_err(db)?;
        Ok(Some((to_u64("version", version)?, payload)))
    }
}
