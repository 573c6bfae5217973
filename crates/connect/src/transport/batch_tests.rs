//! Batched webhook tests against receivers on 127.0.0.1: splitting at `batch_max`, the array and its
//! headers, the signature over the whole body, one response applied to every message of a request, and
//! `batch_max = 1` sending bare bodies as before.

use super::*;
use crate::signature::{DEFAULT_TOLERANCE, SigningKey, WebhookHeaders, unix_now, verify};
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use chrono::Utc;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// One request as received: its headers (lower-case name → value) and body.
type Seen = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A receiver recording every request and answering what `answer` says about its body.
async fn receiver(answer: fn(&[u8]) -> (u16, Option<&'static str>)) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let router = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| async move {
            let (status, retry_after) = answer(&body);
            log.lock().unwrap().push((headers, body));
            let mut headers = HeaderMap::new();
            if let Some(value) = retry_after {
                headers.insert("retry-after", value.parse().unwrap());
            }
            (StatusCode::from_u16(status).unwrap(), headers, format!("answered {status}")).into_response()
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    (format!("http://{address}/hook"), seen)
}

fn messages(count: usize) -> Vec<OutboundMessage> {
    (0..count)
        .map(|i| OutboundMessage {
            idempotency_key: format!("erp-orders:{}", 40 + i),
            event_type: if i % 2 == 0 { "order.placed" } else { "order.released" }.into(),
            seq: 40 + i as i64,
            aggregate_id: format!("ord-{i}"),
            body: serde_json::to_vec(&json!({"type": "order.placed", "n": i})).unwrap(),
            timestamp: Utc::now(),
        })
        .collect()
}

fn transport(url: &str, batch_max: usize) -> HttpTransport {
    let mut config = HttpTransportConfig::new(url);
    config.timeout = Duration::from_millis(2_000);
    config.signing_key = Some(SigningKey::parse(SECRET).unwrap());
    config.batch_max = batch_max;
    HttpTransport::new(config).unwrap()
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn ok(_: &[u8]) -> (u16, Option<&'static str>) {
    (204, None)
}

#[tokio::test]
async fn batches_split_at_batch_max_and_carry_every_element_signed_as_a_whole() {
    let (url, seen) = receiver(ok).await;
    let sent = messages(7);
    let outcomes = transport(&url, 3).send_batch(&sent).await;
    assert_eq!(outcomes, vec![SendOutcome::Delivered; 7]);

    let key = SigningKey::parse(SECRET).unwrap();
    let mut requests = seen.lock().unwrap().clone();
    // The groups go out concurrently: put them back in order by their first element's seq.
    let first_seq = |body: &Bytes| serde_json::from_slice::<Value>(body).unwrap()[0]["seq"].as_i64().unwrap();
    requests.sort_by_key(|(_, body)| first_seq(body));
    let sizes: Vec<usize> =
        requests.iter().map(|(_, body)| serde_json::from_slice::<Vec<Value>>(body).unwrap().len()).collect();
    assert_eq!(sizes, [3, 3, 1]);
    let mut elements = Vec::new();
    for ((headers, body), size) in requests.iter().zip(&sizes) {
        assert_eq!(header(headers, "content-type"), Some("application/json"));
        assert_eq!(header(headers, BATCH_SIZE_HEADER), Some(size.to_string().as_str()));
        let id = header(headers, "webhook-id").unwrap();
        assert!(id.starts_with("batch_") && id.len() == 38, "{id}");
        assert_eq!(header(headers, "idempotency-key"), Some(id));
        let signed = WebhookHeaders::from_lookup(|name| header(headers, name)).unwrap();
        verify(&key, &signed, body, unix_now(), DEFAULT_TOLERANCE).unwrap();
        let mut tampered = body.to_vec();
        tampered.insert(1, b' ');
        assert!(verify(&key, &signed, &tampered, unix_now(), DEFAULT_TOLERANCE).is_err());
        elements.extend(serde_json::from_slice::<Vec<Value>>(body).unwrap());
    }
    // Every element, in order, with its own key, type, seq, aggregate and body.
    let expected: Vec<Value> = sent
        .iter()
        .map(|m| {
            json!({
                "idempotency_key": m.idempotency_key,
                "event_type": m.event_type,
                "seq": m.seq,
                "aggregate_id": m.aggregate_id,
                "body": serde_json::from_slice::<Value>(&m.body).unwrap(),
            })
        })
        .collect();
    assert_eq!(elements, expected);
    // The id names the messages of the request: the same group sent again has the same id.
    let first: Vec<&OutboundMessage> = sent[..3].iter().collect();
    assert_eq!(header(&requests[0].0, "webhook-id"), Some(batch_id(&first).as_str()));
}

#[tokio::test]
async fn a_single_message_of_a_batching_system_is_still_an_array() {
    let (url, seen) = receiver(ok).await;
    let sent = messages(1);
    assert_eq!(transport(&url, 50).send_batch(&sent).await, [SendOutcome::Delivered]);
    let seen = seen.lock().unwrap();
    let (headers, body) = &seen[0];
    assert_eq!(header(headers, BATCH_SIZE_HEADER), Some("1"));
    let elements: Vec<Value> = serde_json::from_slice(body).unwrap();
    assert_eq!(elements.len(), 1);
    assert_eq!(elements[0]["idempotency_key"], "erp-orders:40");
}

#[tokio::test]
async fn batch_max_one_sends_bare_bodies_as_before() {
    let (url, seen) = receiver(ok).await;
    let sent = messages(3);
    assert_eq!(transport(&url, 1).send_batch(&sent).await, vec![SendOutcome::Delivered; 3]);
    let mut seen = seen.lock().unwrap().clone();
    seen.sort_by_key(|(headers, _)| header(headers, "webhook-id").unwrap().to_string());
    assert_eq!(seen.len(), 3);
    for ((headers, body), message) in seen.iter().zip(&sent) {
        assert_eq!(body.as_ref(), message.body.as_slice());
        assert_eq!(header(headers, "webhook-id"), Some(message.idempotency_key.as_str()));
        assert_eq!(header(headers, BATCH_SIZE_HEADER), None);
    }
}

fn busy(_: &[u8]) -> (u16, Option<&'static str>) {
    (503, Some("7"))
}

fn refuse(_: &[u8]) -> (u16, Option<&'static str>) {
    (422, None)
}

/// Fails the request holding the third message only.
fn fail_third(body: &[u8]) -> (u16, Option<&'static str>) {
    let text = String::from_utf8_lossy(body);
    if text.contains("\"erp-orders:42\"") { (500, None) } else { (200, None) }
}

#[tokio::test]
async fn the_response_applies_to_every_message_of_its_request() {
    let record = |status: u16| Some(ResponseRecord { status, body: format!("answered {status}"), truncated: false });
    let (url, _) = receiver(busy).await;
    let retry = SendOutcome::Retry {
        after: Some(Duration::from_secs(7)),
        error: "http 503 (a batch of 4)".into(),
        response: record(503),
    };
    assert_eq!(transport(&url, 10).send_batch(&messages(4)).await, vec![retry; 4]);

    let (url, _) = receiver(refuse).await;
    let reject = SendOutcome::Reject { error: "http 422 (a batch of 3)".into(), response: record(422) };
    assert_eq!(transport(&url, 10).send_batch(&messages(3)).await, vec![reject; 3]);

    // Two requests of two: only the one holding the third message fails, and its two messages with it.
    let (url, seen) = receiver(fail_third).await;
    let outcomes = transport(&url, 2).send_batch(&messages(4)).await;
    let retried: Vec<bool> = outcomes.iter().map(SendOutcome::is_failure).collect();
    assert_eq!(retried, [false, false, true, true], "{outcomes:?}");
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_refused_alone_and_the_rest_sent() {
    let (url, seen) = receiver(ok).await;
    let mut sent = messages(3);
    sent[1].body = b"{not json".to_vec();
    let outcomes = transport(&url, 10).send_batch(&sent).await;
    assert_eq!(outcomes[0], SendOutcome::Delivered);
    assert!(matches!(&outcomes[1], SendOutcome::Reject { error, response: None } if error.contains("not JSON")));
    assert_eq!(outcomes[2], SendOutcome::Delivered);
    let seen = seen.lock().unwrap();
    let keys: Vec<String> = serde_json::from_slice::<Vec<Value>>(&seen[0].1)
        .unwrap()
        .iter()
        .map(|e| e["idempotency_key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(keys, ["erp-orders:40", "erp-orders:42"]);
    assert_eq!(header(&seen[0].0, BATCH_SIZE_HEADER), Some("2"));
}

#[tokio::test]
async fn a_batch_that_times_out_or_finds_no_one_is_retried_whole() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}/hook", listener.local_addr().unwrap());
    drop(listener);
    let outcomes = transport(&closed, 5).send_batch(&messages(3)).await;
    assert_eq!(outcomes.len(), 3);
    for outcome in &outcomes {
        assert!(
            matches!(outcome, SendOutcome::Retry { after: None, error, response: None } if error.ends_with("(a batch of 3)")),
            "{outcome:?}"
        );
    }
}

#[test]
fn batch_max_must_lie_in_1_to_1000() {
    for bad in [0, 1001] {
        let mut config = HttpTransportConfig::new("http://127.0.0.1:1/hook");
        config.batch_max = bad;
        let error = HttpTransport::new(config).unwrap_err().to_string();
        assert_eq!(error, format!("invalid transport configuration: batch_max {bad} is outside 1..=1000"));
    }
    let mut config = HttpTransportConfig::new("http://127.0.0.1:1/hook");
    config.batch_max = MAX_BATCH;
    assert!(HttpTransport::new(config).is_ok());
}
