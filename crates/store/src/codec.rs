//! Conversions shared by both backends: request hashes, canonical JSON, timestamps, limits and error mapping.

use crate::StoreError;
use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use crossdock_model::{AggregateKind, Command};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Most rows a page of `list_orders` or `events_after` returns; `limit: 0` asks for [`DEFAULT_PAGE`].
pub const MAX_PAGE: u32 = 10_000;
/// Page size used when a caller passes `limit: 0`.
pub const DEFAULT_PAGE: u32 = 100;
/// Bound parameters per statement, kept well below SQLite's 32 766 and PostgreSQL's 65 535.
pub(crate) const MAX_BIND_PARAMS: usize = 30_000;

/// The page size to use for a requested limit.
pub(crate) fn page_size(limit: u32) -> i64 {
    i64::from(if limit == 0 { DEFAULT_PAGE } else { limit.min(MAX_PAGE) })
}

/// How many rows of `columns` bound values fit in one statement.
pub(crate) fn rows_per_statement(columns: usize) -> usize {
    (MAX_BIND_PARAMS / columns.max(1)).max(1)
}

/// The current time at the precision both backends store (microseconds), so that what is read back equals
/// what was written.
pub(crate) fn now_micros() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The SQLite text form of a timestamp: fixed width RFC 3339 in UTC, so text order is time order.
pub(crate) fn time_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn parse_time_text(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("timestamp {text:?}: {e}")))
}

/// Maps a driver error to the store's error; the full error is logged here, once.
pub(crate) fn db(error: sqlx::Error) -> StoreError {
    tracing::warn!(error = %error, "database error");
    StoreError::Database(error.to_string())
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("cannot serialise a value to JSON: {e}")))
}

pub(crate) fn from_json<T: DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Parses a validated newtype (id, sku) read back from a column.
pub(crate) fn parse_id<T, E: std::fmt::Display>(
    what: &str,
    value: String,
    parse: fn(String) -> Result<T, E>,
) -> Result<T, StoreError> {
    parse(value).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

pub(crate) fn to_u64(what: &str, value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} {value} is negative")))
}

pub(crate) fn to_i64(value: u64) -> i64 {
    // Versions count events; they cannot reach 2^63.
    i64::try_from(value).unwrap_or(i64::MAX)
}

pub(crate) fn parse_kind(text: &str) -> Result<AggregateKind, StoreError> {
    match text {
        "order" => Ok(AggregateKind::Order),
        "inventory" => Ok(AggregateKind::Inventory),
        "location" => Ok(AggregateKind::Location),
        "availability" => Ok(AggregateKind::Availability),
        other => Err(StoreError::Corrupt(format!("unknown aggregate kind {other:?}"))),
    }
}

/// The hash that tells a resubmission from a different request under the same key: SHA-256 (hex) of the
/// command's canonical JSON, a newline, and the expected version (`-` when none).
pub fn request_hash(command: &Command, expected_version: Option<u64>) -> String {
    let value = serde_json::to_value(command).unwrap_or(Value::Null);
    // serde_json's maps are BTreeMaps (its `preserve_order` feature is off), so a `Value` is written with its
    // keys sorted at every depth: canonical JSON, with no sorting of our own (the tests below fail if that
    // changes).
    let mut text = serde_json::to_vec(&value).unwrap_or_default();
    text.push(b'\n');
    match expected_version {
        Some(v) => text.extend_from_slice(v.to_string().as_bytes()),
        None => text.push(b'-'),
    }
    hex::encode(Sha256::digest(&text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossdock_model::{LocationId, Sku};

    fn adjust(delta: i64) -> Command {
        Command::AdjustInventory {
            sku: Sku::new("S-1").unwrap(),
            location: LocationId::new("L1").unwrap(),
            delta,
            reason: "cycle".into(),
        }
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let value: Value = serde_json::from_str(r#"{"b":1,"a":{"d":[{"z":1,"y":"é"}],"c":null}}"#).unwrap();
        let out = serde_json::to_string(&value).unwrap();
        assert_eq!(out, r#"{"a":{"c":null,"d":[{"y":"é","z":1}]},"b":1}"#);
    }

    #[test]
    fn request_hashes_stay_what_earlier_versions_stored() {
        // Stored idempotency records compare against these: a change here turns every retry after an upgrade
        // into a "key reused" refusal.
        assert_eq!(request_hash(&adjust(5), None), "def18b826060567ae3949fd4c0407b571d87b54caf62fd027ad7df8e191e0348");
        assert_eq!(
            request_hash(&adjust(-2), Some(7)),
            "14e1ace68729752e9d7468fffecfe73ae242e313ccef7bda3f3fd074edd5a81a"
        );
    }

    #[test]
    fn request_hash_covers_the_body_and_the_expected_version() {
        let base = request_hash(&adjust(5), None);
        assert_eq!(base.len(), 64);
        assert_eq!(base, request_hash(&adjust(5), None));
        assert_ne!(base, request_hash(&adjust(6), None));
        assert_ne!(base, request_hash(&adjust(5), Some(0)));
        assert_ne!(request_hash(&adjust(5), Some(1)), request_hash(&adjust(5), Some(2)));
    }

    #[test]
    fn time_text_is_fixed_width_and_round_trips() {
        let a = DateTime::parse_from_rfc3339("2024-03-01T10:00:00Z").unwrap().with_timezone(&Utc);
        let b = DateTime::parse_from_rfc3339("2024-03-01T10:00:00.25Z").unwrap().with_timezone(&Utc);
        assert_eq!(time_text(a), "2024-03-01T10:00:00.000000Z");
        assert!(time_text(a) < time_text(b));
        assert_eq!(parse_time_text(&time_text(b)).unwrap(), b);
        assert!(parse_time_text("yesterday").is_err());
    }

    #[test]
    fn page_sizes_default_and_cap() {
        assert_eq!(page_size(0), 100);
        assert_eq!(page_size(7), 7);
        assert_eq!(page_size(u32::MAX), 10_000);
        assert_eq!(rows_per_statement(9), 3_333);
    }
}
