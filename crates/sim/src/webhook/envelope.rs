//! The body of the hub's webhooks: the dispatcher's canonical envelope (`type`, `seq`, `aggregate_kind`,
//! `aggregate_id`, `version`, `schema_version`, `recorded_at`, `data`), read back into a [`RecordedEvent`].
//! A body in the change feed's own form (a `RecordedEvent` as `GET /v1/events` lists it) is accepted too.

use chrono::{DateTime, Utc};
use crossdock_model::{AggregateKind, Event, RecordedEvent};
use serde::Deserialize;

#[derive(Deserialize)]
struct CanonicalEnvelope {
    #[serde(rename = "type")]
    event_type: String,
    seq: i64,
    aggregate_kind: AggregateKind,
    aggregate_id: String,
    version: u64,
    schema_version: u32,
    recorded_at: DateTime<Utc>,
    data: Event,
}

/// Parses a webhook body; the error is the canonical envelope's when neither form fits.
pub fn parse_event(body: &[u8]) -> Result<RecordedEvent, serde_json::Error> {
    match serde_json::from_slice::<CanonicalEnvelope>(body) {
        Ok(e) => Ok(RecordedEvent {
            seq: e.seq,
            aggregate_kind: e.aggregate_kind,
            aggregate_id: e.aggregate_id,
            version: e.version,
            event_type: e.event_type,
            schema_version: e.schema_version,
            recorded_at: e.recorded_at,
            idempotency_key: String::new(),
            payload: e.data,
        }),
        Err(envelope_error) => serde_json::from_slice::<RecordedEvent>(body).map_err(|_| envelope_error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossdock_model::OrderId;

    #[test]
    fn both_forms_parse_to_the_same_event() {
        let payload = Event::OrderHoldReleased { order_id: OrderId::new("o-1").unwrap() };
        let recorded = RecordedEvent {
            seq: 7,
            aggregate_kind: AggregateKind::Order,
            aggregate_id: "o-1".into(),
            version: 3,
            event_type: "order.hold_released".into(),
            schema_version: 1,
            recorded_at: DateTime::UNIX_EPOCH,
            idempotency_key: String::new(),
            payload: payload.clone(),
        };
        let envelope = serde_json::json!({
            "type": "order.hold_released", "seq": 7, "aggregate_kind": "order", "aggregate_id": "o-1",
            "version": 3, "schema_version": 1, "recorded_at": "1970-01-01T00:00:00Z", "data": payload,
        });
        assert_eq!(parse_event(envelope.to_string().as_bytes()).unwrap(), recorded);
        assert_eq!(parse_event(&serde_json::to_vec(&recorded).unwrap()).unwrap(), recorded);
        let error = parse_event(br#"{"seq": 1}"#).unwrap_err().to_string();
        assert!(error.contains("type"), "{error}");
    }
}
