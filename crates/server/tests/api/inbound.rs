//! `POST /v1/inbound/{system}`: signed webhooks mapped into commands. The attack cases (tampered body,
//! wrong secret, stale timestamp, replayed message) store nothing, or change nothing the second time.

use crate::helpers::{Reply, TestState, call, order_body, test_state};
use axum::body::Body;
use axum::http::Request;
use crossdock_connect::config::ConnectConfig;
use crossdock_connect::signature::{SigningKey, sign, sign_body_base64, unix_now};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const SHOP_SECRET: &str = "whsec_c2hvcC1zaWduaW5nLWtleS0wMTIzNDU2Nzg5";
const SHOPIFY_SECRET: &str = "shpss_0123456789abcdef0123";

fn mappings() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../connect/mappings")
}

/// A hub with two inbound systems: `shop` (Standard Webhooks, a mapping that refuses `fail`) and `shopify`
/// (body HMAC in `X-Shopify-Hmac-Sha256`, the shipped Shopify mapping).
async fn hub() -> (TestState, tempfile::TempDir) {
    let mut t = test_state().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("shop.jq"), "if .fail then error(\"refused: \\(.fail)\") else . end\n").unwrap();
    let shopify = mappings().join("shopify_order_to_place_order.jq");
    let config: ConnectConfig = serde_json::from_value(json!({
        "systems": [
            {"name": "shop", "role": "channel", "transport": {"type": "http", "url": "http://127.0.0.1:9/shop"},
             "auth": {"type": "hmac", "secret": SHOP_SECRET},
             "inbound": {"mapping": "shop.jq", "tolerance_secs": 300}},
            {"name": "shopify", "role": "channel", "transport": {"type": "http", "url": "http://127.0.0.1:9/shopify"},
             "inbound": {"signature": {"type": "body_hmac_base64", "header": "X-Shopify-Hmac-Sha256"},
                         "secret": SHOPIFY_SECRET, "mapping": shopify.display().to_string()}},
            {"name": "quiet", "role": "erp", "transport": {"type": "http", "url": "http://127.0.0.1:9/erp"}}
        ]
    }))
    .unwrap();
    let loaded = config.load_with_env("test.toml", dir.path(), &|_| None).unwrap();
    t.state.connect = Some(Arc::new(loaded));
    (t, dir)
}

/// A canonical PlaceOrder command, as the `shop` system sends it.
fn place_order(n: u32) -> Value {
    let mut body = order_body(&format!("ext-{n}"));
    body["type"] = json!("place_order");
    body["id"] = json!(format!("shop-{n}"));
    body["placed_at"] = json!("2026-01-02T03:04:05Z");
    body
}

fn standard(path: &str, key: &str, id: &str, timestamp: i64, body: &[u8], signed_body: &[u8]) -> Request<Body> {
    let key = SigningKey::parse(key).unwrap();
    Request::post(path)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", sign(&key, id, timestamp, signed_body))
        .body(Body::from(body.to_vec()))
        .unwrap()
}

async fn event_count(t: &TestState) -> usize {
    t.state.store.events_after(0, 10_000).await.unwrap().len()
}

async fn send(t: &TestState, request: Request<Body>) -> Reply {
    call(&t.state, request).await
}

#[tokio::test]
async fn a_signed_message_is_mapped_submitted_and_a_replay_changes_nothing() {
    let (t, _dir) = hub().await;
    let body = place_order(1).to_string();
    let now = unix_now();
    let reply =
        send(&t, standard("/v1/inbound/shop", SHOP_SECRET, "msg_1", now, body.as_bytes(), body.as_bytes())).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["aggregate_id"], "shop-1");
    assert!(reply.body["event_count"].as_u64().unwrap() >= 1);
    assert_eq!(reply.header("idempotent-replayed"), None);
    let order = t.state.store.order(&crossdock_model::OrderId::new("shop-1").unwrap()).await.unwrap();
    assert!(order.is_some(), "the command is durable when the answer comes");
    let events = event_count(&t).await;

    // The same message again (a retry, or an attacker replaying it within the window): the first answer.
    let again =
        send(&t, standard("/v1/inbound/shop", SHOP_SECRET, "msg_1", now, body.as_bytes(), body.as_bytes())).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(event_count(&t).await, events, "a replayed message changes nothing");

    // Both are in the audit trail as the system, under the message's key.
    let filter = crossdock_store::AuditFilter { actor: Some("system:shop".into()), ..Default::default() };
    let entries = t.state.store.audit_entries(&filter).await.unwrap();
    let summary: Vec<_> =
        entries.iter().map(|e| (e.fields.idempotency_key.as_str(), e.fields.outcome.as_str())).collect();
    assert_eq!(summary, [("inbound:shop:msg_1", "accepted"), ("inbound:shop:msg_1", "replayed")]);
}

#[tokio::test]
async fn bad_signatures_are_refused_and_store_nothing() {
    let (t, _dir) = hub().await;
    let body = place_order(2).to_string();
    let tampered = body.replace("\"quantity\":2", "\"quantity\":20");
    assert_ne!(body, tampered);
    let now = unix_now();
    let wrong_key = "whsec_d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZw==";
    let cases = [
        ("tampered body", standard("/v1/inbound/shop", SHOP_SECRET, "m2", now, tampered.as_bytes(), body.as_bytes())),
        ("wrong secret", standard("/v1/inbound/shop", wrong_key, "m3", now, body.as_bytes(), body.as_bytes())),
        (
            "stale timestamp",
            standard("/v1/inbound/shop", SHOP_SECRET, "m4", now - 400, body.as_bytes(), body.as_bytes()),
        ),
        (
            "future timestamp",
            standard("/v1/inbound/shop", SHOP_SECRET, "m5", now + 400, body.as_bytes(), body.as_bytes()),
        ),
        (
            "no signature",
            Request::post("/v1/inbound/shop")
                .header("content-type", "application/json")
                .body(Body::from(body.clone()))
                .unwrap(),
        ),
    ];
    for (case, request) in cases {
        let reply = send(&t, request).await;
        reply.problem(401, "invalid_signature");
        assert!(!reply.body["detail"].as_str().unwrap().contains("c2hvcC"), "{case}: no secret in the answer");
    }
    // A message id reused with another body does not verify either (the id is signed).
    let other = place_order(3).to_string();
    let reused = standard("/v1/inbound/shop", SHOP_SECRET, "m6", now, other.as_bytes(), body.as_bytes());
    send(&t, reused).await.problem(401, "invalid_signature");
    assert_eq!(event_count(&t).await, 0, "nothing stored");
}

#[tokio::test]
async fn mapping_errors_are_422_with_the_jq_error_and_unknown_systems_404() {
    let (t, _dir) = hub().await;
    let body = json!({"fail": "out of stock"}).to_string();
    let now = unix_now();
    let reply = send(&t, standard("/v1/inbound/shop", SHOP_SECRET, "m7", now, body.as_bytes(), body.as_bytes())).await;
    let problem = reply.problem(422, "mapping_failed");
    assert!(problem["detail"].as_str().unwrap().contains("refused: out of stock"), "{problem}");

    let not_a_command = json!({"type": "place_order", "id": "x"}).to_string();
    let reply = send(
        &t,
        standard("/v1/inbound/shop", SHOP_SECRET, "m8", now, not_a_command.as_bytes(), not_a_command.as_bytes()),
    )
    .await;
    reply.problem(422, "invalid_command");

    let garbage = b"{not json";
    send(&t, standard("/v1/inbound/shop", SHOP_SECRET, "m9", now, garbage, garbage))
        .await
        .problem(400, "malformed_json");

    for path in ["/v1/inbound/nobody", "/v1/inbound/quiet"] {
        let request = standard(path, SHOP_SECRET, "m10", now, body.as_bytes(), body.as_bytes());
        send(&t, request).await.problem(404, "unknown_system");
    }
    assert_eq!(event_count(&t).await, 0);
}

#[tokio::test]
async fn shopify_style_body_hmac_with_the_shipped_mapping() {
    let (t, _dir) = hub().await;
    let fixture = mappings().join("fixtures/shopify_order_to_place_order/usd_order.input.json");
    let body = std::fs::read(&fixture).unwrap();
    let key = SigningKey::parse(SHOPIFY_SECRET).unwrap();
    let request = |body: Vec<u8>, signature: String| {
        Request::post("/v1/inbound/shopify")
            .header("content-type", "application/json")
            .header("x-shopify-hmac-sha256", signature)
            .body(Body::from(body))
            .unwrap()
    };
    let good = sign_body_base64(&key, &body);
    let reply = send(&t, request(body.clone(), good.clone())).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["aggregate_id"], "shopify-5678901234567890123");
    let events = event_count(&t).await;

    // Shopify retries with the same body: deduped on the body's hash.
    let again = send(&t, request(body.clone(), good.clone())).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    let mut tampered = body.clone();
    let at = tampered.iter().position(|b| *b == b'2').unwrap();
    tampered[at] = b'3';
    send(&t, request(tampered, good)).await.problem(401, "invalid_signature");
    let wrong = sign_body_base64(&SigningKey::parse("another-secret-0123456789").unwrap(), &body);
    send(&t, request(body, wrong)).await.problem(401, "invalid_signature");
    assert_eq!(event_count(&t).await, events);
}

/// The body HMAC signs the body only: an `Idempotency-Key` header is not covered, so a captured body sent
/// again under a new one is still the same message, a replay that changes nothing.
#[tokio::test]
async fn a_body_hmac_message_resent_under_a_new_idempotency_key_is_a_replay() {
    let (t, _dir) = hub().await;
    let fixture = mappings().join("fixtures/shopify_order_to_place_order/usd_order.input.json");
    let body = std::fs::read(&fixture).unwrap();
    let signature = sign_body_base64(&SigningKey::parse(SHOPIFY_SECRET).unwrap(), &body);
    let request = |idempotency_key: &str| {
        Request::post("/v1/inbound/shopify")
            .header("content-type", "application/json")
            .header("x-shopify-hmac-sha256", signature.clone())
            .header("idempotency-key", idempotency_key)
            .body(Body::from(body.clone()))
            .unwrap()
    };
    let first = send(&t, request("capture-1")).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.header("idempotent-replayed"), None);
    let events = event_count(&t).await;

    let resent = send(&t, request("attacker-2")).await;
    assert_eq!(resent.status, 200, "{}", resent.body);
    assert_eq!(resent.header("idempotent-replayed"), Some("true"), "{}", resent.body);
    assert_eq!(event_count(&t).await, events, "nothing changes the second time");
    let filter = crossdock_store::AuditFilter { actor: Some("system:shopify".into()), ..Default::default() };
    let keys: Vec<_> =
        t.state.store.audit_entries(&filter).await.unwrap().into_iter().map(|e| e.fields.idempotency_key).collect();
    assert_eq!(keys.len(), 2);
    assert!(keys.iter().all(|k| *k == keys[0] && k.starts_with("inbound:shopify:sha256:")), "{keys:?}");
}

/// The warehouse's answer to a cancel request arrives as a signed webhook mapped to `AnswerCancelRequest`.
#[tokio::test]
async fn a_cancel_answer_comes_back_through_an_inbound_webhook() {
    use crate::helpers::request;
    use axum::http::Method;
    let (t, _dir) = hub().await;
    let admin = |method: Method, path: &str, body: Value| request(method, path, Some(&t.admin), Some(&body));
    let adjust = json!({"sku": "SKU-1", "location": "wh-1", "delta": 5, "reason": "receipt"});
    assert_eq!(send(&t, admin(Method::POST, "/v1/inventory/adjustments", adjust)).await.status, 200);
    let body = place_order(7).to_string();
    let now = unix_now();
    let reply = send(&t, standard("/v1/inbound/shop", SHOP_SECRET, "m-7", now, body.as_bytes(), body.as_bytes())).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let allocate = json!({"allocations": [{"line_id": "1", "location": "wh-1", "quantity": 2}]});
    assert_eq!(send(&t, admin(Method::POST, "/v1/orders/shop-7/allocations", allocate)).await.status, 200);
    assert_eq!(send(&t, admin(Method::POST, "/v1/orders/shop-7/release", json!({}))).await.status, 200);
    let reply = send(&t, admin(Method::POST, "/v1/orders/shop-7/cancel", json!({"reason": "customer"}))).await;
    assert_eq!(reply.body["order"]["cancel_requests"][0]["id"], 1, "{}", reply.body);

    let answer = json!({"type": "answer_cancel_request", "order_id": "shop-7", "outcome": "accepted"}).to_string();
    let reply =
        send(&t, standard("/v1/inbound/shop", SHOP_SECRET, "ack-7", now, answer.as_bytes(), answer.as_bytes())).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let order = t.state.store.order(&crossdock_model::OrderId::new("shop-7").unwrap()).await.unwrap().unwrap();
    assert_eq!(order.status, crossdock_model::OrderStatus::Cancelled);
    let position = t.state.store.inventory(None, None).await.unwrap();
    assert_eq!(position[0].reserved, 0, "the reservation is released");
}

#[tokio::test]
async fn a_key_presented_with_a_webhook_must_be_scoped_to_that_system() {
    let (t, _dir) = hub().await;
    let store = t.state.store.as_ref();
    let shop_key = crate::helpers::make_key(store, &["inbound:shop"]).await;
    let other_key = crate::helpers::make_key(store, &["inbound:shopify", "orders:write"]).await;
    let now = unix_now();
    let signed = |id: &str, n: u32, key: Option<&str>| {
        let body = place_order(n).to_string();
        let mut request = standard("/v1/inbound/shop", SHOP_SECRET, id, now, body.as_bytes(), body.as_bytes());
        if let Some(key) = key {
            request.headers_mut().insert("authorization", format!("Bearer {key}").parse().unwrap());
        }
        request
    };
    let refused = send(&t, signed("k1", 1, Some(&other_key))).await;
    refused.problem(403, "insufficient_scope");
    assert!(refused.body["detail"].as_str().unwrap().contains("inbound:shop"));
    send(&t, signed("k2", 2, Some("cdk_000000000000_nope"))).await.problem(401, "invalid_api_key");
    assert_eq!(event_count(&t).await, 0, "nothing stored");
    let accepted = send(&t, signed("k3", 3, Some(&shop_key))).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(send(&t, signed("k4", 4, None)).await.status, 200, "the signature alone still suffices");
    // The key does not replace the signature.
    let body = place_order(5).to_string();
    let unsigned = Request::post("/v1/inbound/shop")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {shop_key}"))
        .body(Body::from(body))
        .unwrap();
    send(&t, unsigned).await.problem(401, "invalid_signature");
}

/// An oversize webhook is refused before its body is read: a declared length over the limit with a body
/// that never arrives is answered 413 at once, and nothing is stored.
#[tokio::test]
async fn an_oversize_webhook_is_refused_before_its_body_is_read() {
    let (t, _dir) = hub().await;
    let never = futures::stream::pending::<Result<axum::body::Bytes, std::io::Error>>();
    let request = Request::post("/v1/inbound/shop")
        .header("content-type", "application/json")
        .header("content-length", (t.state.body_limit + 1).to_string())
        .body(Body::from_stream(never))
        .unwrap();
    let reply = tokio::time::timeout(std::time::Duration::from_secs(5), send(&t, request))
        .await
        .expect("answered without waiting for the body");
    reply.problem(413, "body_too_large");
    assert_eq!(event_count(&t).await, 0);
}
