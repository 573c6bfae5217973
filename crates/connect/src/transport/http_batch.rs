//! Batched webhooks: several messages in one signed `POST`, as a JSON array of elements that each carry
//! their own idempotency key (receivers dedupe per element), and the one response spread over them all.
//!
//! The body of a batch is
//! `[{"idempotency_key":"erp-orders:42","event_type":"order.placed","seq":42,"aggregate_id":"ord-1","body":{…}}, …]`,
//! in the order of the messages, `body` being each message's own body (the canonical envelope or the
//! subscription's mapping) exactly as it would have been sent alone. A system configured with
//! `batch_max > 1` always gets arrays, a batch of one included, so that its receiver has one format to read.

use super::api::{OutboundMessage, SendOutcome};
use sha2::{Digest, Sha256};
use std::fmt::Write;

/// Most messages in one batch (`transport.batch_max`).
pub const MAX_BATCH: usize = 1000;
/// The request header giving the number of elements of a batch; absent on a single message.
pub const BATCH_SIZE_HEADER: &str = "webhook-batch-size";

/// The `webhook-id` (and `Idempotency-Key`) of a batch: `batch_` and 32 hex digits of the SHA-256 of its
/// elements' keys, so that sending the same messages again gives the same id. It names the request only;
/// a later attempt may group messages differently, so receivers dedupe on the elements' keys.
pub fn batch_id(messages: &[&OutboundMessage]) -> String {
    let mut hash = Sha256::new();
    for message in messages {
        hash.update(message.idempotency_key.as_bytes());
        hash.update(b"\n");
    }
    let digest = hash.finalize();
    let mut id = String::with_capacity(6 + 32);
    id.push_str("batch_");
    for byte in &digest[..16] {
        let _ = write!(id, "{byte:02x}");
    }
    id
}

/// Why a message cannot be an element of a batch (its body is not JSON), if it cannot.
pub fn element_problem(message: &OutboundMessage) -> Option<SendOutcome> {
    match serde_json::from_slice::<serde::de::IgnoredAny>(&message.body) {
        Ok(_) => None,
        Err(error) => Some(SendOutcome::Reject {
            error: format!("the body is not JSON, which a batch element must be: {error}"),
            response: None,
        }),
    }
}

/// The JSON array of a batch; every body must be JSON ([`element_problem`]), and is copied as it is.
pub fn batch_body(messages: &[&OutboundMessage]) -> Vec<u8> {
    let size: usize = messages.iter().map(|m| m.body.len() + m.idempotency_key.len() + m.aggregate_id.len() + 96).sum();
    let mut out = Vec::with_capacity(size + 2);
    out.push(b'[');
    for (i, message) in messages.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"idempotency_key\":");
        push_string(&mut out, &message.idempotency_key);
        out.extend_from_slice(b",\"event_type\":");
        push_string(&mut out, &message.event_type);
        out.extend_from_slice(b",\"seq\":");
        out.extend_from_slice(message.seq.to_string().as_bytes());
        out.extend_from_slice(b",\"aggregate_id\":");
        push_string(&mut out, &message.aggregate_id);
        out.extend_from_slice(b",\"body\":");
        out.extend_from_slice(&message.body);
        out.push(b'}');
    }
    out.push(b']');
    out
}

fn push_string(out: &mut Vec<u8>, text: &str) {
    // Serialising a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

/// One outcome per message: those refused before sending keep theirs, the `size` sent ones all share
/// `sent`, its error saying that it was a batch's.
pub fn spread(refused: Vec<Option<SendOutcome>>, mut sent: SendOutcome, size: usize) -> Vec<SendOutcome> {
    if let SendOutcome::Retry { error, .. } | SendOutcome::Reject { error, .. } = &mut sent {
        let _ = write!(error, " (a batch of {size})");
    }
    refused.into_iter().map(|own| own.unwrap_or_else(|| sent.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use serde_json::{Value, json};

    fn message(key: &str, body: &str) -> OutboundMessage {
        OutboundMessage {
            idempotency_key: key.into(),
            event_type: "order.placed".into(),
            seq: 42,
            aggregate_id: "ord-\"1\"".into(),
            body: body.as_bytes().to_vec(),
            timestamp: Utc::now(),
        }
    }

    #[test]
    fn the_body_is_an_array_of_elements_with_their_own_keys_and_bodies() {
        let (a, b) = (message("erp:42", r#"{"n": 1}"#), message("erp:43", "[1,2]"));
        let body: Value = serde_json::from_slice(&batch_body(&[&a, &b])).unwrap();
        assert_eq!(
            body,
            json!([
                {"idempotency_key": "erp:42", "event_type": "order.placed", "seq": 42, "aggregate_id": "ord-\"1\"", "body": {"n": 1}},
                {"idempotency_key": "erp:43", "event_type": "order.placed", "seq": 42, "aggregate_id": "ord-\"1\"", "body": [1, 2]},
            ])
        );
        assert_eq!(batch_body(&[]), b"[]");
    }

    #[test]
    fn the_batch_id_is_stable_and_depends_on_every_key() {
        let (a, b, c) = (message("k:1", "{}"), message("k:2", "{}"), message("k:3", "{}"));
        let id = batch_id(&[&a, &b, &c]);
        assert_eq!(id.len(), "batch_".len() + 32);
        assert_eq!(id, batch_id(&[&a, &b, &c]));
        assert_ne!(id, batch_id(&[&a, &c]));
        assert_ne!(id, batch_id(&[&a, &c, &b]));
    }

    #[test]
    fn only_json_bodies_may_be_elements() {
        assert_eq!(element_problem(&message("k:1", r#"{"ok":true}"#)), None);
        let Some(SendOutcome::Reject { error, response: None }) = element_problem(&message("k:1", "{nope")) else {
            panic!("a broken body is refused")
        };
        assert!(error.starts_with("the body is not JSON"), "{error}");
        assert!(element_problem(&message("k:1", "")).is_some());
    }
}
