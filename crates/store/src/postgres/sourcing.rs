//! The PostgreSQL statements of automatic sourcing inside a batch (see `crate::sourcing`), and the schema of
//! migration 3: the backorder queue and the orders sourced per location and day.

use super::rows;
use super::tx::PgTx;
use crate::StoreError;
use crate::codec::{db, parse_id};
use crate::sourcing::SourcingTx;
use async_trait::async_trait;
use chrono::NaiveDate;
use crossdock_model::{InventoryPosition, Location, LocationId, Order, OrderId, Sku};
use sqlx::Row;
use std::collections::BTreeSet;

/// Migration 3. `backorders` holds one row per (sku, order) with a backordered line, `since_seq` being the
/// sequence number of the order's last event when it joined the queue (the queue is FIFO on it).
pub(crate) const SOURCING_SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS backorders (
    sku       TEXT   NOT NULL,
    order_id  TEXT   NOT NULL,
    since_seq BIGINT NOT NULL,
    PRIMARY KEY (sku, order_id)
);
CREATE INDEX IF NOT EXISTS backorders_fifo ON backorders (sku, since_seq, order_id);
CREATE INDEX IF NOT EXISTS backorders_by_order ON backorders (order_id);

CREATE TABLE IF NOT EXISTS sourcing_load (
    location TEXT    NOT NULL,
    day      DATE    NOT NULL,
    orders   INTEGER NOT NULL,
    PRIMARY KEY (location, day)
);
"#;

#[async_trait]
impl SourcingTx for PgTx {
    async fn positions_of_skus(&mut self, skus: &[Sku]) -> Result<Vec<InventoryPosition>, StoreError> {
        let skus: Vec<String> = skus.iter().map(|s| s.to_string()).collect();
        sqlx::query(
            "SELECT sku, location, on_hand, reserved, safety_stock, in_transit, version, updated_at FROM inventory \
             WHERE sku = ANY($1)",
        )
        .bind(skus)
        .fetch_all(&mut *self.0)
        .await
        .map_err(db)?
        .iter()
        .map(rows::position)
        .collect()
    }

    async fn all_locations(&mut self) -> Result<Vec<(Location, u64)>, StoreError> {
        let found = sqlx::query("SELECT state, version FROM locations").fetch_all(&mut *self.0).await.map_err(db)?;
        found.iter().map(rows::location).collect()
    }

    async fn sourced_on(&mut self, day: NaiveDate) -> Result<Vec<(LocationId, u32)>, StoreError> {
        let found = sqlx::query("SELECT location, orders FROM sourcing_load WHERE day = $1")
            .bind(day)
            .fetch_all(&mut *self.0)
            .await
            .map_err(db)?;
        let mut out = Vec::with_capacity(found.len());
        for row in found {
            let location = parse_id("location", row.try_get("location").map_err(db)?, LocationId::new)?;
            let orders: i32 = row.try_get("orders").map_err(db)?;
            out.push((location, u32::try_from(orders.max(0)).unwrap_or(0)));
        }
        Ok(out)
    }

    async fn save_sourced(&mut self, day: NaiveDate, counts: &[(&LocationId, u32)]) -> Result<(), StoreError> {
        let locations: Vec<String> = counts.iter().map(|(l, _)| l.to_string()).collect();
        let orders: Vec<i32> = counts.iter().map(|(_, n)| i32::try_from(*n).unwrap_or(i32::MAX)).collect();
        sqlx::query(
            "INSERT INTO sourcing_load (location, day, orders) SELECT l, $2, n FROM UNNEST($1::text[], $3::int[]) \
             AS t (l, n) ON CONFLICT (location, day) DO UPDATE SET orders = excluded.orders",
        )
        .bind(locations)
        .bind(day)
        .bind(orders)
        .execute(&mut *self.0)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn backorders_of(&mut self, sku: &Sku, limit: u32) -> Result<Vec<OrderId>, StoreError> {
        let found = sqlx::query("SELECT order_id FROM backorders WHERE sku = $1 ORDER BY since_seq, order_id LIMIT $2")
            .bind(sku.to_string())
            .bind(i64::from(limit))
            .fetch_all(&mut *self.0)
            .await
            .map_err(db)?;
        found.iter().map(|row| parse_id("order id", row.try_get("order_id").map_err(db)?, OrderId::new)).collect()
    }

    async fn sync_backorders(&mut self, orders: &[(&Order, i64)]) -> Result<(), StoreError> {
        let ids: Vec<String> = orders.iter().map(|(o, _)| o.id.to_string()).collect();
        let mut skus = Vec::new();
        let mut order_ids = Vec::new();
        let mut seqs = Vec::new();
        for (order, seq) in orders {
            let waiting: BTreeSet<&Sku> =
                order.lines.iter().filter(|l| l.quantities.backordered > 0).map(|l| &l.sku).collect();
            for sku in waiting {
                skus.push(sku.to_string());
                order_ids.push(order.id.to_string());
                seqs.push(*seq);
            }
        }
        // Ids hold no control characters, so "order \x1f sku" names a row unambiguously.
        let keep: Vec<String> = order_ids.iter().zip(&skus).map(|(o, s)| format!("{o}\u{1f}{s}")).collect();
        sqlx::query("DELETE FROM backorders WHERE order_id = ANY($1) AND order_id || chr(31) || sku <> ALL($2)")
            .bind(ids)
            .bind(keep)
            .execute(&mut *self.0)
            .await
            .map_err(db)?;
        if !skus.is_empty() {
            sqlx::query(
                "INSERT INTO backorders (sku, order_id, since_seq) \
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[]) ON CONFLICT (sku, order_id) DO NOTHING",
            )
            .bind(skus)
            .bind(order_ids)
            .bind(seqs)
            .execute(&mut *self.0)
            .await
            .map_err(db)?;
        }
        Ok(())
    }
}
