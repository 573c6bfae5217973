//! Decoding SQLite rows into canonical types: rows read through sqlx, and rows read through rusqlite inside
//! a write batch (see `tx`), by the same functions over [`Columns`].

use crate::codec::{db, from_json, parse_id, parse_kind, parse_time_text, to_u64};
use crate::pii::KeyRing;
use crate::{ApiKeyRecord, StoreError};
use crossdock_model::{InventoryPosition, Location, LocationId, Order, RecordedEvent, Sku};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

/// A row's text and integer columns by name, whichever driver read it.
pub(crate) trait Columns {
    fn text(&self, column: &str) -> Result<String, StoreError>;
    fn int(&self, column: &str) -> Result<i64, StoreError>;
}

impl Columns for SqliteRow {
    fn text(&self, column: &str) -> Result<String, StoreError> {
        self.try_get(column).map_err(db)
    }

    fn int(&self, column: &str) -> Result<i64, StoreError> {
        self.try_get(column).map_err(db)
    }
}

impl Columns for rusqlite::Row<'_> {
    fn text(&self, column: &str) -> Result<String, StoreError> {
        self.get(column).map_err(super::tx::lite)
    }

    fn int(&self, column: &str) -> Result<i64, StoreError> {
        self.get(column).map_err(super::tx::lite)
    }
}

fn text(row: &impl Columns, column: &str) -> Result<String, StoreError> {
    row.text(column)
}

fn int(row: &impl Columns, column: &str) -> Result<i64, StoreError> {
    row.int(column)
}

fn optional_time(row: &SqliteRow, column: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
    let value: Option<String> = row.try_get(column).map_err(db)?;
    value.as_deref().map(parse_time_text).transpose()
}

/// Columns: `state`; opened with the keys of `ring`.
pub(crate) fn order(row: &SqliteRow, ring: &KeyRing) -> Result<Order, StoreError> {
    ring.open_order("order state", &text(row, "state")?)
}

/// Columns: `sku, location, on_hand, reserved, safety_stock, in_transit, version, updated_at`.
pub(crate) fn position(row: &impl Columns) -> Result<InventoryPosition, StoreError> {
    Ok(InventoryPosition {
        sku: parse_id("sku", text(row, "sku")?, Sku::new)?,
        location: parse_id("location", text(row, "location")?, LocationId::new)?,
        on_hand: int(row, "on_hand")?,
        reserved: int(row, "reserved")?,
        safety_stock: int(row, "safety_stock")?,
        in_transit: int(row, "in_transit")?,
        version: to_u64("inventory version", int(row, "version")?)?,
        updated_at: parse_time_text(&text(row, "updated_at")?)?,
    })
}

/// Columns: `state, version`.
pub(crate) fn location(row: &impl Columns) -> Result<(Location, u64), StoreError> {
    let location = from_json("location state", &text(row, "state")?)?;
    Ok((location, to_u64("location version", int(row, "version")?)?))
}

/// Columns: `seq, aggregate_kind, aggregate_id, event_type`.
pub(crate) fn event_head(row: &SqliteRow) -> Result<crate::EventHead, StoreError> {
    Ok(crate::EventHead {
        seq: int(row, "seq")?,
        aggregate_kind: parse_kind(&text(row, "aggregate_kind")?)?,
        aggregate_id: text(row, "aggregate_id")?,
        event_type: text(row, "event_type")?,
    })
}

/// Columns: `seq, aggregate_kind, aggregate_id, version, event_type, schema_version, payload, recorded_at,
/// idempotency_key`.
pub(crate) fn event(row: &SqliteRow, ring: &KeyRing) -> Result<RecordedEvent, StoreError> {
    let seq = int(row, "seq")?;
    Ok(RecordedEvent {
        seq,
        aggregate_kind: parse_kind(&text(row, "aggregate_kind")?)?,
        aggregate_id: text(row, "aggregate_id")?,
        version: to_u64("event version", int(row, "version")?)?,
        event_type: text(row, "event_type")?,
        schema_version: u32::try_from(int(row, "schema_version")?)
            .map_err(|_| StoreError::Corrupt(format!("event {seq}: schema version out of range")))?,
        recorded_at: parse_time_text(&text(row, "recorded_at")?)?,
        idempotency_key: text(row, "idempotency_key")?,
        payload: ring.open_event(&format!("event {seq} payload"), &text(row, "payload")?)?,
    })
}

/// A stored per-key rate limit back to its type.
fn rate_limit(value: Option<i64>) -> Result<Option<u32>, StoreError> {
    value
        .map(|n| u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("api key rate limit {n} out of range"))))
        .transpose()
}

/// Columns: `id, name, secret_hash, scopes, created_at, expires_at, revoked_at, previous_secret_hash,
/// previous_valid_until, rate_limit_per_minute`.
pub(crate) fn api_key(row: &SqliteRow) -> Result<ApiKeyRecord, StoreError> {
    Ok(ApiKeyRecord {
        id: text(row, "id")?,
        name: text(row, "name")?,
        secret_hash: text(row, "secret_hash")?,
        scopes: from_json("api key scopes", &text(row, "scopes")?)?,
        created_at: parse_time_text(&text(row, "created_at")?)?,
        expires_at: optional_time(row, "expires_at")?,
        revoked_at: optional_time(row, "revoked_at")?,
        previous_secret_hash: row.try_get("previous_secret_hash").map_err(db)?,
        previous_valid_until: optional_time(row, "previous_valid_until")?,
        rate_limit_per_minute: rate_limit(row.try_get("rate_limit_per_minute").map_err(db)?)?,
    })
}
