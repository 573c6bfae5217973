//! The SQLite statements of automatic sourcing inside a batch (see `crate::sourcing`; run through rusqlite on
//! the batch's handle, see `tx`), and the schema of migration 3: the backorder queue and the orders sourced
//! per location and day.

use super::rows;
use super::tx::{SqliteTx, lite};
use crate::StoreError;
use crate::codec::parse_id;
use crate::sourcing::SourcingTx;
use async_trait::async_trait;
use chrono::NaiveDate;
use crossdock_model::{InventoryPosition, Location, LocationId, Order, OrderId, Sku};
use rusqlite::params;
use std::collections::{BTreeSet, HashSet};

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
        let mut select = self
            .conn
            .prepare_cached(
                "SELECT sku, location, on_hand, reserved, safety_stock, in_transit, version, updated_at \
                 FROM inventory WHERE sku = ?1",
            )
            .map_err(lite)?;
        let mut out = Vec::new();
        for sku in skus {
            let mut found = select.query([sku.as_str()]).map_err(lite)?;
            while let Some(row) = found.next().map_err(lite)? {
                out.push(rows::position(row)?);
            }
        }
        Ok(out)
    }

    async fn all_locations(&mut self) -> Result<Vec<(Location, u64)>, StoreError> {
        let mut select = self.conn.prepare_cached("SELECT state, version FROM locations").map_err(lite)?;
        let mut found = select.query([]).map_err(lite)?;
        let mut out = Vec::new();
        while let Some(row) = found.next().map_err(lite)? {
            out.push(rows::location(row)?);
        }
        Ok(out)
    }

    async fn sourced_on(&mut self, day: NaiveDate) -> Result<Vec<(LocationId, u32)>, StoreError> {
        let mut select =
            self.conn.prepare_cached("SELECT location, orders FROM sourcing_load WHERE day = ?1").map_err(lite)?;
        let found = select
            .query_map([day_text(day)], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)))
            .map_err(lite)?;
        let mut out = Vec::new();
        for row in found {
            let (location, orders) = row.map_err(lite)?;
            let location = parse_id("location", location, LocationId::new)?;
            out.push((location, u32::try_from(orders.max(0)).unwrap_or(u32::MAX)));
        }
        Ok(out)
    }

    async fn save_sourced(&mut self, day: NaiveDate, counts: &[(&LocationId, u32)]) -> Result<(), StoreError> {
        let mut upsert = self
            .conn
            .prepare_cached(
                "INSERT INTO sourcing_load (location, day, orders) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (location, day) DO UPDATE SET orders = excluded.orders",
            )
            .map_err(lite)?;
        let day = day_text(day);
        for (location, orders) in counts {
            upsert.execute(params![location.as_str(), day, i64::from(*orders)]).map_err(lite)?;
        }
        Ok(())
    }

    async fn backorders_of(&mut self, sku: &Sku, limit: u32) -> Result<Vec<OrderId>, StoreError> {
        let mut select = self
            .conn
            .prepare_cached("SELECT order_id FROM backorders WHERE sku = ?1 ORDER BY since_seq, order_id LIMIT ?2")
            .map_err(lite)?;
        let found = select.query_map(params![sku.as_str(), i64::from(limit)], |row| row.get(0)).map_err(lite)?;
        let mut out = Vec::new();
        for id in found {
            out.push(parse_id("order id", id.map_err(lite)?, OrderId::new)?);
        }
        Ok(out)
    }

    async fn sync_backorders(&mut self, orders: &[(&Order, i64)]) -> Result<(), StoreError> {
        let waiting = waiting_rows(orders);
        let waits: HashSet<(&str, &str)> =
            waiting.iter().map(|(sku, order, _)| (order.as_str(), sku.as_str())).collect();
        let mut queued = self.conn.prepare_cached("SELECT sku FROM backorders WHERE order_id = ?1").map_err(lite)?;
        let mut delete =
            self.conn.prepare_cached("DELETE FROM backorders WHERE order_id = ?1 AND sku = ?2").map_err(lite)?;
        // A row an order still waits for keeps its `since_seq` (its place in the queue); the others go.
        for (order, _) in orders {
            let id = order.id.as_str();
            let skus: Vec<String> =
                queued.query_map([id], |row| row.get(0)).and_then(|found| found.collect()).map_err(lite)?;
            for sku in skus {
                if !waits.contains(&(id, sku.as_str())) {
                    delete.execute([id, sku.as_str()]).map_err(lite)?;
                }
            }
        }
        let mut insert = self
            .conn
            .prepare_cached(
                "INSERT INTO backorders (sku, order_id, since_seq) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (sku, order_id) DO NOTHING",
            )
            .map_err(lite)?;
        for (sku, order_id, seq) in &waiting {
            insert.execute(params![sku, order_id, seq]).map_err(lite)?;
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
