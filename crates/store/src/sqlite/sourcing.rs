//! The SQLite statements of automatic sourcing inside a batch (see `crate::sourcing`), and the schema of
//! migration 3: the backorder queue and the orders sourced per location and day.

use super::rows;
use super::tx::SqliteTx;
use crate::StoreError;
use crate::codec::{db, parse_id, rows_per_statement};
use crate::sourcing::SourcingTx;
use async_trait::async_trait;
use chrono::NaiveDate;
use crossdock_model::{InventoryPosition, Location, LocationId, Order, OrderId, Sku};
use sqlx::{QueryBuilder, Row, Sqlite};
use std::collections::BTreeSet;

/// Migration 3. `backorders` holds one row per (sku, order) with a backordered line, `since_seq` being the
/// sequence number of the order's last event when it joined the queue (the queue is FIFO on it).
pub(crate) const SOURCING_SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS backorders (
    sku       TEXT    NOT NULL,
    order_id  TEXT    NOT NULL,
    since_seq INTEGER NOT NULL,
    PRIMARY KEY (sku, order_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS backorders_fifo ON backorders (sku, since_seq, order_id);
CREATE INDEX IF NOT EXISTS backorders_by_order ON backorders (order_id);

CREATE TABLE IF NOT EXISTS sourcing_load (
    location TEXT    NOT NULL,
    day      TEXT    NOT NULL,
    orders   INTEGER NOT NULL,
    PRIMARY KEY (location, day)
) STRICT, WITHOUT ROWID;
"#;

fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

#[async_trait]
impl SourcingTx for SqliteTx<'_> {
    async fn positions_of_skus(&mut self, skus: &[Sku]) -> Result<Vec<InventoryPosition>, StoreError> {
        let mut out = Vec::new();
        for chunk in skus.chunks(rows_per_statement(1)) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "SELECT sku, location, on_hand, reserved, safety_stock, in_transit, version, updated_at \
                 FROM inventory WHERE sku IN (",
            );
            let mut list = query.separated(", ");
            for sku in chunk {
                list.push_bind(sku.to_string());
            }
            query.push(")");
            for row in query.build().fetch_all(&mut *self.0).await.map_err(db)? {
                out.push(rows::position(&row)?);
            }
        }
        Ok(out)
    }

    async fn all_locations(&mut self) -> Result<Vec<(Location, u64)>, StoreError> {
        let found = sqlx::query("SELECT state, version FROM locations").fetch_all(&mut *self.0).await.map_err(db)?;
        found.iter().map(rows::location).collect()
    }

    async fn sourced_on(&mut self, day: NaiveDate) -> Result<Vec<(LocationId, u32)>, StoreError> {
        let found = sqlx::query("SELECT location, orders FROM sourcing_load WHERE day = ?")
            .bind(day_text(day))
            .fetch_all(&mut *self.0)
            .await
            .map_err(db)?;
        let mut out = Vec::with_capacity(found.len());
        for row in found {
            let location = parse_id("location", row.try_get("location").map_err(db)?, LocationId::new)?;
            let orders: i64 = row.try_get("orders").map_err(db)?;
            out.push((location, u32::try_from(orders.max(0)).unwrap_or(u32::MAX)));
        }
        Ok(out)
    }

    async fn save_sourced(&mut self, day: NaiveDate, counts: &[(&LocationId, u32)]) -> Result<(), StoreError> {
        for chunk in counts.chunks(rows_per_statement(3)) {
            let mut query = QueryBuilder::<Sqlite>::new("INSERT INTO sourcing_load (location, day, orders) ");
            query.push_values(chunk, |mut row, (location, orders)| {
                row.push_bind(location.to_string()).push_bind(day_text(day)).push_bind(i64::from(*orders));
            });
            query.push(" ON CONFLICT (location, day) DO UPDATE SET orders = excluded.orders");
            query.build().execute(&mut *self.0).await.map_err(db)?;
        }
        Ok(())
    }

    async fn backorders_of(&mut self, sku: &Sku, limit: u32) -> Result<Vec<OrderId>, StoreError> {
        let found = sqlx::query("SELECT order_id FROM backorders WHERE sku = ? ORDER BY since_seq, order_id LIMIT ?")
            .bind(sku.to_string())
            .bind(i64::from(limit))
            .fetch_all(&mut *self.0)
            .await
            .map_err(db)?;
        found.iter().map(|row| parse_id("order id", row.try_get("order_id").map_err(db)?, OrderId::new)).collect()
    }

    async fn sync_backorders(&mut self, orders: &[(&Order, i64)]) -> Result<(), StoreError> {
        let waiting = waiting_rows(orders);
        // Ids hold no control characters, so "order \x1f sku" names a row unambiguously.
        for chunk in orders.chunks(rows_per_statement(2) / 2) {
            let ids: BTreeSet<String> = chunk.iter().map(|(o, _)| o.id.to_string()).collect();
            let mut query = QueryBuilder::<Sqlite>::new("DELETE FROM backorders WHERE order_id IN (");
            let mut list = query.separated(", ");
            for id in &ids {
                list.push_bind(id.clone());
            }
            query.push(") AND (order_id || char(31) || sku) NOT IN (''");
            for (sku, order_id, _) in waiting.iter().filter(|w| ids.contains(&w.1)) {
                query.push(", ").push_bind(format!("{order_id}\u{1f}{sku}"));
            }
            query.push(")");
            query.build().execute(&mut *self.0).await.map_err(db)?;
        }
        for chunk in waiting.chunks(rows_per_statement(3)) {
            let mut query = QueryBuilder::<Sqlite>::new("INSERT INTO backorders (sku, order_id, since_seq) ");
            query.push_values(chunk, |mut row, (sku, order_id, seq)| {
                row.push_bind(sku.clone()).push_bind(order_id.clone()).push_bind(*seq);
            });
            query.push(" ON CONFLICT (sku, order_id) DO NOTHING");
            query.build().execute(&mut *self.0).await.map_err(db)?;
        }
        Ok(())
    }
}

/// `(sku, order id, seq)` of every sku an order waits for.
pub(crate) fn waiting_rows(orders: &[(&Order, i64)]) -> Vec<(String, String, i64)> {
    orders
        .iter()
        .flat_map(|(order, seq)| {
            let skus: BTreeSet<&Sku> =
                order.lines.iter().filter(|l| l.quantities.backordered > 0).map(|l| &l.sku).collect();
            skus.into_iter().map(|sku| (sku.to_string(), order.id.to_string(), *seq))
        })
        .collect()
}
