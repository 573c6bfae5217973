//! PII through the API: masked unless the key has `pii:read`, erased by `DELETE /v1/customers/{id}/pii`,
//! exported by `GET /v1/customers/{id}/export`.

use crate::helpers::{Reply, call, make_key, order_body, request, test_state};
use axum::http::Method;
use crossdock_server::AppState;
use serde_json::{Value, json};

fn customer_order(external_id: &str) -> Value {
    let mut body = order_body(external_id);
    body["customer"] =
        json!({"id": "c-77", "email": "ada@example.com", "name": "Ada Lovelace", "phone": "+1 555 0100 42"});
    body["bill_to"] = body["ship_to"].clone();
    body
}

async fn get(state: &AppState, key: &str, path: &str) -> Reply {
    call(state, request(Method::GET, path, Some(key), None)).await
}

fn assert_plain(order: &Value) {
    assert_eq!(order["customer"]["name"], "Ada Lovelace", "{order}");
    assert_eq!(order["customer"]["email"], "ada@example.com");
    assert_eq!(order["customer"]["phone"], "+1 555 0100 42");
    assert_eq!(order["ship_to"]["line1"], "1 Main St");
    assert_eq!(order["bill_to"]["name"], "Ada Lovelace");
}

fn assert_masked(order: &Value) {
    assert_eq!(order["customer"]["name"], "A** L*******", "{order}");
    assert_eq!(order["customer"]["email"], "a***@example.com");
    assert_eq!(order["customer"]["phone"], "+* *** **** 42");
    assert_eq!(order["customer"]["id"], "c-77", "the customer id is not PII");
    assert_eq!(order["ship_to"]["name"], "A** L*******");
    assert_eq!(order["ship_to"]["line1"], "1 M*** S*");
    assert_eq!(order["ship_to"]["city"], "S**********");
    assert_eq!(order["ship_to"]["postal_code"], "6****");
    assert_eq!(order["bill_to"]["line1"], "1 M*** S*");
    assert_eq!((&order["ship_to"]["region"], &order["ship_to"]["country"]), (&json!("IL"), &json!("US")));
}

fn assert_erased(order: &Value) {
    assert_eq!(order["customer"]["name"], "[erased]", "{order}");
    assert!(order["customer"].get("email").is_none(), "{order}");
    assert_eq!(order["customer"]["phone"], "[erased]");
    assert_eq!(order["ship_to"]["line1"], "[erased]");
    assert_eq!(order["bill_to"]["postal_code"], "[erased]");
    assert_eq!(order["lines"][0]["quantities"]["ordered"], 2, "the lines stay");
}

#[tokio::test]
async fn pii_is_masked_for_keys_without_pii_read() {
    let t = test_state().await;
    let store = t.state.store.as_ref();
    let writer = make_key(store, &["orders:write"]).await;
    let reader = make_key(store, &["orders:read", "events:read"]).await;
    let pii_reader = make_key(store, &["orders:read", "events:read", "pii:read"]).await;

    let placed = call(&t.state, request(Method::POST, "/v1/orders", Some(&writer), Some(&customer_order("m-1")))).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    assert_masked(&placed.body["order"]);
    let id = placed.body["order"]["id"].as_str().unwrap().to_string();

    assert_masked(&get(&t.state, &reader, &format!("/v1/orders/{id}")).await.body);
    assert_masked(&get(&t.state, &reader, "/v1/orders").await.body["items"][0]);
    let events = get(&t.state, &reader, "/v1/events").await;
    assert_eq!(events.body["items"][0]["payload"]["type"], "order.placed");
    assert_masked(&events.body["items"][0]["payload"]["order"]);

    assert_plain(&get(&t.state, &pii_reader, &format!("/v1/orders/{id}")).await.body);
    assert_plain(&get(&t.state, &pii_reader, "/v1/orders").await.body["items"][0]);
    assert_plain(&get(&t.state, &pii_reader, "/v1/events").await.body["items"][0]["payload"]["order"]);
    assert_plain(&get(&t.state, &t.admin, &format!("/v1/orders/{id}")).await.body);
}

#[tokio::test]
async fn export_then_erasure_through_the_api() {
    let t = test_state().await;
    let store = t.state.store.as_ref();
    let exporter = make_key(store, &["pii:read", "orders:read"]).await;
    let eraser = make_key(store, &["pii:erase"]).await;
    for external_id in ["e-1", "e-2"] {
        let reply =
            call(&t.state, request(Method::POST, "/v1/orders", Some(&t.admin), Some(&customer_order(external_id))))
                .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    let other = call(&t.state, request(Method::POST, "/v1/orders", Some(&t.admin), Some(&order_body("e-3")))).await;
    assert_eq!(other.status, 201);

    let export = get(&t.state, &exporter, "/v1/customers/c-77/export").await;
    assert_eq!(export.status, 200, "{}", export.body);
    assert_eq!(export.body["customer_id"], "c-77");
    assert_eq!(export.body["orders"].as_array().unwrap().len(), 2, "only the customer's orders");
    export.body["orders"].as_array().unwrap().iter().for_each(assert_plain);
    let events = export.body["events"].as_array().unwrap();
    assert!(events.len() >= 2 && events.iter().all(|e| e["aggregate_kind"] == "order"), "{events:?}");
    assert_plain(&events[0]["payload"]["order"]);
    get(&t.state, &exporter, "/v1/customers/nobody/export").await.problem(404, "customer_not_found");

    let erase = |key: String| {
        let state = t.state.clone();
        async move {
            let mut erase = request(Method::DELETE, "/v1/customers/c-77/pii", Some(&key), None);
            erase.headers_mut().insert("x-request-id", "req-erase-77".parse().unwrap());
            call(&state, erase).await
        }
    };
    let reply = erase(eraser.clone()).await;
    assert_eq!((reply.status.as_u16(), &reply.body["outcome"]), (200, &json!("erased")), "{}", reply.body);
    let again = erase(eraser.clone()).await;
    assert_eq!(again.body["outcome"], "no_key");

    // Both requests are in the audit chain (who, from where, what, outcome), and the chain verifies.
    let (eraser_id, _) = crossdock_server::auth::parse_key(&eraser).unwrap();
    let trail = get(&t.state, &t.admin, "/v1/audit?aggregate=customer:c-77").await;
    assert_eq!(trail.status, 200, "{}", trail.body);
    let items = trail.body["items"].as_array().unwrap();
    let summary: Vec<_> = items
        .iter()
        .map(|e| (e["actor"].as_str(), e["command"].as_str(), e["request_id"].as_str(), e["outcome"].as_str()))
        .collect();
    let entry = |outcome| (Some(eraser_id), Some("erase_customer_pii"), Some("req-erase-77"), Some(outcome));
    assert_eq!(summary, [entry("erased"), entry("no_key")], "{}", trail.body);
    assert_eq!(crossdock_store::audit::verify(store).await.unwrap().map(|n| n > 2), Ok(true));

    let export = get(&t.state, &exporter, "/v1/customers/c-77/export").await;
    export.body["orders"].as_array().unwrap().iter().for_each(assert_erased);
    assert_erased(&export.body["events"][0]["payload"]["order"]);
    let id = other.body["order"]["id"].as_str().unwrap();
    let untouched = get(&t.state, &exporter, &format!("/v1/orders/{id}")).await;
    assert_eq!(untouched.body["customer"]["name"], "Ada Lovelace", "another customer's order keeps its PII");
}

#[tokio::test]
async fn erasure_without_a_master_key_is_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("plain.db").display());
    let store = crossdock_store::open(&url).await.unwrap();
    let admin = make_key(store.as_ref(), &["admin"]).await;
    let state = AppState::new(store);
    call(&state, request(Method::DELETE, "/v1/customers/c-1/pii", Some(&admin), None))
        .await
        .problem(409, "pii_not_configured");
}

/// A dead letter's kept request and response hold the mapped body (names, addresses): withheld whole from a
/// key without pii:read, in the API and in the console.
#[tokio::test]
async fn dead_letter_bodies_need_pii_read() {
    let t = test_state().await;
    let store = t.state.store.as_ref();
    crate::dead_letters::dead_letters(store, "to-erp", "erp", 2).await;
    let reader = make_key(store, &["dlq:read"]).await;
    let pii_reader = make_key(store, &["dlq:read", "pii:read"]).await;
    let refused = get(&t.state, &reader, "/v1/dead-letters?error=http%20400").await.body["items"][0]["id"].clone();
    let path = format!("/v1/dead-letters/{refused}");

    let masked = get(&t.state, &reader, &path).await;
    assert_eq!(masked.status, 200, "{}", masked.body);
    assert_eq!(masked.body["last_request"], "[requires pii:read]");
    assert_eq!(masked.body["last_response"], "[requires pii:read]");
    assert!(!masked.body.to_string().contains("Ada"), "{}", masked.body);
    let listed = get(&t.state, &reader, "/v1/dead-letters").await;
    assert!(!listed.body.to_string().contains("Ada"), "{}", listed.body);

    let plain = get(&t.state, &pii_reader, &path).await;
    assert_eq!(plain.body["last_request"]["body"]["ship_to"]["name"], "Ada Lovelace", "{}", plain.body);
    assert_eq!(plain.body["last_response"]["status"], 400);

    // The console's page of the same dead letter.
    let page = |key: String| {
        let state = t.state.clone();
        let path = format!("/console/dead-letters/{refused}");
        async move { crate::console::page_as(&state, &key, &path).await }
    };
    let shown = page(reader).await;
    assert!(shown.contains("[requires pii:read]") && !shown.contains("Ada"), "{shown}");
    assert!(page(pii_reader).await.contains("Ada Lovelace"));
}
