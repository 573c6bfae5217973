//! Decoding PostgreSQL rows into canonical types.

use crate::codec::{db, from_json, parse_id, parse_kind, to_u64};
use crate::pii::KeyRing;
use crate::{ApiKeyRecord, StoreError};
use chrono::{DateTime, Utc};
use crossdock_model::{InventoryPosition, Location, LocationId, Order, RecordedEvent, Sku};
use sqlx::Row;
use sqlx::postgres::PgRow;

fn text(row: &PgRow, column: &str) -> Result<String, StoreError> {
    row.try_get(column).map_err(db)
}

fn int(row: &PgRow, column: &str) -> Result<i64, StoreError> {
    row.try_get(column).map_err(db)
}

fn time(row: &PgRow, column: &str) -> Result<DateTime<Utc>, StoreError> {
    row.try_get(column).map_err(db)
}

/// Columns: `state` (the order's JSON with its PII sealed).
pub(crate) fn order_state(row: &PgRow) -> Result<String, StoreError> {
    text(row, "state")
}

/// Columns: `state`; opened with the keys of `ring`.
pub(crate) fn order(row: &PgRow, ring: &KeyRing) -> Result<Order, StoreError> {
    ring.open_order("order state", &text(row, "state")?)
}

/// Columns: `sku, location, on_hand, reserved, safety_stock, in_transit, version, updated_at`.
pub(crate) fn position(row: &PgRow) -> Result<InventoryPosition, StoreError> {
    Ok(InventoryPosition {
        sku: parse_id("sku", text(row, "sku")?, Sku::new)?,
        location: parse_id("location", text(row, "location")?, LocationId::new)?,
        on_hand: int(row, "on_hand")?,
        reserved: int(row, "reserved")?,
        safety_stock: int(row, "safety_stock")?,
        in_transit: int(row, "in_transit")?,
        version: to_u64("inventory version", int(row, "version")?)?,
        updated_at: time(row, "updated_at")?,
    })
}

/// Columns: `state, version`.
pub(crate) fn location(row: &PgRow) -> Result<(Location, u64), StoreError> {
    let location = from_json("location state", &text(row, "state")?)?;
    Ok((location, to_u64("location version", int(row, "version")?)?))
}

/// Columns: `seq, aggregate_kind, aggregate_id, event_type`.
pub(crate) fn event_head(row: &PgRow) -> Result<crate::EventHead, StoreError> {
    Ok(crate::EventHead {
        seq: int(row, "seq")?,
        aggregate_kind: parse_kind(&text(row, "aggregate_kind")?)?,
        aggregate_id: text(row, "aggregate_id")?,
        event_type: text(row, "event_type")?,
    })
}

/// Columns: `seq, aggregate_kind, aggregate_id, version, event_type, schema_version, payload, recorded_at,
/// idempotency_key`.
pub(crate) fn event(row: &PgRow, ring: &KeyRing) -> Result<RecordedEvent, StoreError> {
    let seq = int(row, "seq")?;
    let schema_version: i32 = row.try_get("schema_version").map_err(db)?;
    Ok(RecordedEvent {
        seq,
        aggregate_kind: parse_kind(&text(row, "aggregate_kind")?)?,
        aggregate_id: text(row, "aggregate_id")?,
        version: to_u64("event version", int(row, "version")?)?,
        event_type: text(row, "event_type")?,
        schema_version: u32::try_from(schema_version)
            .map_err(|_| StoreError::Corrupt(format!("event {seq}: schema version out of range")))?,
        recorded_at: time(row, "recorded_at")?,
        idempotency_key: text(row, "idempotency_key")?,
        payload: ring.open_event(&format!("event {seq} payload"), &text(row, "payload")?)?,
    })
}

/// Columns: `id, name, secret_hash, scopes, created_at, expires_at, revoked_at, previous_secret_hash,
/// previous_valid_until, rate_limit_per_minute`.
pub(crate) fn api_key(row: &PgRow) -> Result<ApiKeyRecord, StoreError> {
    Ok(ApiKeyRecord {
        id: text(row, "id")?,
        name: text(row, "name")?,
        secret_hash: text(row, "secret_hash")?,
        scopes: from_json("api key scopes", &text(row, "scopes")?)?,
        created_at: time(row, "created_at")?,
        expires_at: row.try_get("expires_at").map_err(db)?,
        revoked_at: row.try_get("revoked_at").map_err(db)?,
        previous_secret_hash: row.try_get("previous_secret_hash").map_err(db)?,
        previous_valid_until: row.try_get("previous_valid_until").map_err(db)?,
        rate_limit_per_minute: row
            .try_get::<Option<i32>, _>("rate_limit_per_minute")
            .map_err(db)?
            .map(|n| u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("api key rate limit {n} out of range"))))
            .transpose()?,
    })
}
