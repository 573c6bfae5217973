//! The SQLite statement of the availability aggregate (see `crate::availability`).

use super::tx::{SqliteTx, lite};
use crate::StoreError;
use crate::availability::AvailabilityTx;
use crate::codec::to_u64;
use async_trait::async_trait;
use rusqlite::OptionalExtension;

#[async_trait]
impl AvailabilityTx for SqliteTx<'_> {
    async fn last_event_of(&mut self, kind: &str, id: &str) -> Result<Option<(u64, String)>, StoreError> {
        let found: Option<(i64, String)> = self
            .conn
            .prepare_cached(
                "SELECT version, payload FROM events WHERE aggregate_kind = ?1 AND aggregate_id = ?2 \
                 ORDER BY version DESC LIMIT 1",
            )
            .and_then(|mut select| select.query_row([kind, id], |row| Ok((row.get(0)?, row.get(1)?))).optional())
            .map_err(lite)?;
        let Some((version, payload)) = found else { return Ok(None) };
        Ok(Some((to_u64("version", version)?, payload)))
    }
}
