//! `/v1/dead-letters`: list with filters and pages, show with the last request and response, replay and
//! discard one or by filter; scopes.

use crate::helpers::{TestState, call, make_key, order_body, request, test_state};
use axum::http::Method;
use chrono::Utc;
use crossdock_store::{
    CommandRequest, DeliveryOutcome, DeliveryResult, NewDelivery, ScheduleBatch, Store, SubscriptionStart,
};
use serde_json::{Value, json};
use std::time::Duration;

/// Places `orders` orders, schedules every event for `subscription` (of `system`), and turns the
/// deliveries into dead letters: odd ones refused with 400 and a kept request and response, even ones
/// failed by a mapping. Returns the dead letters' ids.
pub async fn dead_letters(store: &dyn Store, subscription: &str, system: &str, orders: usize) -> Vec<i64> {
    let cursor = store.register_subscription(subscription, system, SubscriptionStart::Beginning).await.unwrap();
    for n in 0..orders {
        let mut body = order_body(&format!("{subscription}-{n}"));
        body["id"] = json!(format!("{subscription}-o{n}"));
        body["placed_at"] = json!("2026-01-01T00:00:00Z");
        let command = serde_json::from_value(body).unwrap();
        let request = CommandRequest {
            idempotency_key: format!("{subscription}-{n}"),
            command: crossdock_model::Command::PlaceOrder(command),
            actor: "test".into(),
            expected_version: None,
            origin: Default::default(),
        };
        store.submit(request).await.unwrap();
    }
    let events = store.events_after(cursor, 1000).await.unwrap();
    let deliveries = events.iter().map(NewDelivery::pending).collect();
    let head = events.last().map_or(cursor, |e| e.seq);
    let batch = ScheduleBatch {
        subscription: subscription.into(),
        system: system.into(),
        expected_cursor: cursor,
        new_cursor: head,
        deliveries,
        now: Utc::now(),
    };
    assert!(store.schedule(&batch).await.unwrap());
    let mut ids = Vec::new();
    loop {
        let claimed = store.claim("test-owner", Duration::from_secs(60), Utc::now(), 100).await.unwrap();
        if claimed.is_empty() {
            break;
        }
        let results: Vec<DeliveryResult> = claimed
            .iter()
            .filter(|d| d.subscription == subscription)
            .map(|d| {
                ids.push(d.id);
                let outcome = if d.event.seq % 2 == 1 {
                    DeliveryOutcome::Dead {
                        error: "http 400".into(),
                        // The mapped body carries the customer's name, as a real one would.
                        request: Some(json!({"transport": "http",
                                             "body": {"seq": d.event.seq, "ship_to": {"name": "Ada Lovelace"}}})),
                        response: Some(json!({"status": 400, "body": "unknown sku"})),
                    }
                } else {
                    DeliveryOutcome::Dead { error: "mapping failed: no sku".into(), request: None, response: None }
                };
                DeliveryResult { id: d.id, outcome }
            })
            .collect();
        store.complete("test-owner", &results).await.unwrap();
    }
    ids.sort();
    ids
}

async fn get(t: &TestState, path: &str) -> crate::helpers::Reply {
    call(&t.state, request(Method::GET, path, Some(&t.admin), None)).await
}

async fn post(t: &TestState, path: &str, body: Value) -> crate::helpers::Reply {
    call(&t.state, request(Method::POST, path, Some(&t.admin), Some(&body))).await
}

#[tokio::test]
async fn dead_letters_are_listed_filtered_and_paged() {
    let t = test_state().await;
    let erp = dead_letters(t.state.store.as_ref(), "to-erp", "erp", 3).await;
    let wms = dead_letters(t.state.store.as_ref(), "to-wms", "wms", 2).await;
    assert!(erp.len() >= 3 && wms.len() >= 2);

    let all = get(&t, "/v1/dead-letters?limit=500").await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(all.body["items"].as_array().unwrap().len(), erp.len() + wms.len());
    assert!(all.body["next_cursor"].is_null());
    assert!(all.body["items"][0].get("last_request").is_none(), "listing leaves requests out");

    let by_system = get(&t, "/v1/dead-letters?system=wms").await;
    let items = by_system.body["items"].as_array().unwrap();
    assert_eq!(items.len(), wms.len());
    assert!(items.iter().all(|i| i["system"] == "wms" && i["status"] == "dead"));

    let by_error = get(&t, "/v1/dead-letters?error=mapping%20failed&subscription=to-erp").await;
    let items = by_error.body["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|i| i["last_error"].as_str().unwrap().contains("mapping failed")));

    let by_type = get(&t, "/v1/dead-letters?event_type=order.placed").await;
    assert!(by_type.body["items"].as_array().unwrap().iter().all(|i| i["event_type"] == "order.placed"));

    // Pages of two, following the cursor, see every dead letter once, in id order.
    let mut seen = Vec::new();
    let mut path = "/v1/dead-letters?limit=2".to_string();
    loop {
        let page = get(&t, &path).await;
        for item in page.body["items"].as_array().unwrap() {
            seen.push(item["id"].as_i64().unwrap());
        }
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/dead-letters?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    let mut expected: Vec<i64> = erp.iter().chain(&wms).copied().collect();
    expected.sort();
    assert_eq!(seen, expected);

    get(&t, "/v1/dead-letters?cursor=zz").await.problem(400, "invalid_parameter");
    get(&t, "/v1/dead-letters?colour=red").await.problem(400, "invalid_parameter");
}

#[tokio::test]
async fn one_dead_letter_shows_its_request_and_response_and_is_replayed_once() {
    let t = test_state().await;
    let ids = dead_letters(t.state.store.as_ref(), "to-erp", "erp", 2).await;
    let refused = {
        let all = get(&t, "/v1/dead-letters?error=http%20400").await;
        all.body["items"][0]["id"].as_i64().unwrap()
    };
    let shown = get(&t, &format!("/v1/dead-letters/{refused}")).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert_eq!(shown.body["last_response"]["status"], 400);
    assert_eq!(shown.body["last_response"]["body"], "unknown sku");
    assert_eq!(shown.body["last_request"]["transport"], "http");
    assert!(shown.body["idempotency_key"].as_str().unwrap().starts_with("to-erp:"));

    let replayed = post(&t, &format!("/v1/dead-letters/{refused}/replay"), json!({})).await;
    assert_eq!((replayed.status.as_u16(), &replayed.body["affected"]), (200, &json!(1)), "{}", replayed.body);
    let after = get(&t, &format!("/v1/dead-letters/{refused}")).await;
    assert_eq!(after.body["status"], "pending");
    assert_eq!(after.body["attempts"], 0, "a fresh retry budget");
    post(&t, &format!("/v1/dead-letters/{refused}/replay"), json!({})).await.problem(409, "not_a_dead_letter");
    post(&t, &format!("/v1/dead-letters/{refused}/discard"), json!({})).await.problem(409, "not_a_dead_letter");

    let other = *ids.iter().find(|id| **id != refused).unwrap();
    let discarded = post(&t, &format!("/v1/dead-letters/{other}/discard"), json!({})).await;
    assert_eq!(discarded.body["affected"], 1, "{}", discarded.body);
    assert_eq!(get(&t, &format!("/v1/dead-letters/{other}")).await.body["status"], "discarded");

    get(&t, "/v1/dead-letters/999999").await.problem(404, "dead_letter_not_found");
    get(&t, "/v1/dead-letters/abc").await.problem(400, "invalid_parameter");
}

#[tokio::test]
async fn replay_and_discard_by_filter_need_a_selection() {
    let t = test_state().await;
    let erp = dead_letters(t.state.store.as_ref(), "to-erp", "erp", 2).await;
    let wms = dead_letters(t.state.store.as_ref(), "to-wms", "wms", 2).await;
    post(&t, "/v1/dead-letters/replay", json!({})).await.problem(422, "invalid_field");
    post(&t, "/v1/dead-letters/discard", json!({"all": true, "system": "erp"})).await.problem(422, "invalid_field");
    post(&t, "/v1/dead-letters/replay", json!({"colour": "red"})).await.problem(400, "unknown_field");

    let replayed = post(&t, "/v1/dead-letters/replay", json!({"system": "erp"})).await;
    assert_eq!(replayed.body["affected"], json!(erp.len()), "{}", replayed.body);
    let left = get(&t, "/v1/dead-letters").await;
    assert!(left.body["items"].as_array().unwrap().iter().all(|i| i["system"] == "wms"));

    let discarded = post(&t, "/v1/dead-letters/discard", json!({"all": true})).await;
    assert_eq!(discarded.body["affected"], json!(wms.len()));
    assert!(get(&t, "/v1/dead-letters").await.body["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn reading_needs_dlq_read_and_acting_needs_dlq_write() {
    let t = test_state().await;
    dead_letters(t.state.store.as_ref(), "to-erp", "erp", 1).await;
    let reader = make_key(t.state.store.as_ref(), &["dlq:read"]).await;
    let list = call(&t.state, request(Method::GET, "/v1/dead-letters", Some(&reader), None)).await;
    assert_eq!(list.status, 200);
    let body = json!({"all": true});
    call(&t.state, request(Method::POST, "/v1/dead-letters/replay", Some(&reader), Some(&body)))
        .await
        .problem(403, "insufficient_scope");
    call(&t.state, request(Method::GET, "/v1/dead-letters", None, None)).await.problem(401, "missing_api_key");
    let writer = make_key(t.state.store.as_ref(), &["dlq:replay"]).await;
    let replay = call(&t.state, request(Method::POST, "/v1/dead-letters/replay", Some(&writer), Some(&body))).await;
    assert_eq!(replay.status, 200, "{}", replay.body);
}
