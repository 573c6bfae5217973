//! Order routes over a real socket: the whole lifecycle, idempotent replays, key reuse, If-Match.

use crate::helpers::{TestApp, location_body, order_body, spawn_app};
use axum::http::Method;
use serde_json::{Value, json};

/// A location `wh-east` with `units` of SKU-1.
async fn stock(app: &TestApp, units: i64) {
    let reply = app.send(Method::PUT, "/v1/locations/wh-east", Some(&location_body()), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let adjust = json!({"sku": "SKU-1", "location": "wh-east", "delta": units, "reason": "receipt"});
    let reply = app.post("/v1/inventory/adjustments", &adjust).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

/// Places an order with an explicit id and manual sourcing; returns the reply body.
async fn place(app: &TestApp, id: &str) -> Value {
    let mut body = order_body(&format!("ext-{id}"));
    body["id"] = json!(id);
    body["sourcing"] = json!({"mode": "manual"});
    let reply = app.post("/v1/orders", &body).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

#[tokio::test]
async fn an_order_goes_through_its_whole_lifecycle() {
    let app = spawn_app().await;
    stock(&app, 10).await;
    let mut body = order_body("1001");
    body["id"] = json!("o-1");
    body["sourcing"] = json!({"mode": "manual"});
    let reply = app.post("/v1/orders", &body).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.header("location"), Some("/v1/orders/o-1"));
    assert_eq!(reply.header("etag"), Some("\"1\""));
    assert_eq!(reply.body["order"]["status"], "created");
    assert_eq!(reply.body["receipt"]["aggregate_kind"], "order");
    assert_eq!(reply.body["receipt"]["replayed"], false);
    assert!(reply.header("idempotent-replayed").is_none());
    assert!(reply.header("x-request-id").is_some(), "every response carries a request id");

    let got = app.get("/v1/orders/o-1").await;
    assert_eq!((got.status.as_u16(), got.body["id"].as_str()), (200, Some("o-1")));
    assert_eq!(got.header("etag"), Some("\"1\""));

    let steps: [(&str, Value, &str); 6] = [
        ("hold", json!({"reason": "fraud check"}), "on_hold"),
        ("release-hold", json!({}), "created"),
        ("allocations", json!({"allocations": [{"line_id": "1", "location": "wh-east", "quantity": 2}]}), "allocated"),
        ("release", json!({}), "released"),
        (
            "shipments",
            json!({"shipment_id": "s-1", "location": "wh-east", "carrier": "UPS", "tracking_number": "1Z9",
                              "lines": [{"line_id": "1", "quantity": 2}]}),
            "shipped",
        ),
        ("deliveries", json!({"shipment_id": "s-1"}), "delivered"),
    ];
    for (action, body, status) in steps {
        let reply = app.post(&format!("/v1/orders/o-1/{action}"), &body).await;
        assert_eq!(reply.status, 200, "{action}: {}", reply.body);
        assert_eq!(reply.body["order"]["status"], status, "{action}");
        assert!(reply.header("etag").is_some());
    }
    let ret = json!({"location": "wh-east", "lines": [{"line_id": "1", "quantity": 1, "reason": "defective", "disposition": "damaged"}]});
    let reply = app.post("/v1/orders/o-1/returns", &ret).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["order"]["status"], "partially_returned");
    assert_eq!(reply.body["order"]["returns"].as_array().unwrap().len(), 1);

    let inventory = app.get("/v1/inventory?sku=SKU-1&location=wh-east").await;
    assert_eq!(inventory.status, 200);
    assert_eq!(inventory.body["items"][0]["on_hand"], 8, "{}", inventory.body);

    let events = app.get("/v1/events?after=0&limit=1000").await;
    assert_eq!(events.status, 200);
    let types: Vec<&str> =
        events.body["items"].as_array().unwrap().iter().map(|e| e["event_type"].as_str().unwrap()).collect();
    for expected in
        ["location.upserted", "inventory.adjusted", "order.placed", "order.shipment_confirmed", "order.return_recorded"]
    {
        assert!(types.contains(&expected), "{expected} missing from {types:?}");
    }
    let last = events.body["items"].as_array().unwrap().last().unwrap()["seq"].clone();
    assert_eq!(events.body["next_after"], last);
    let page = app.get("/v1/events?after=1&limit=2").await;
    assert_eq!(page.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(page.body["items"][0]["seq"], 2);
    let empty = app.get(&format!("/v1/events?after={last}")).await;
    assert_eq!((empty.body["items"].as_array().unwrap().len(), &empty.body["next_after"]), (0, &last));
}

#[tokio::test]
async fn cancel_count_and_engine_refusals() {
    let app = spawn_app().await;
    stock(&app, 1).await;
    place(&app, "o-2").await;
    let too_many = json!({"allocations": [{"line_id": "1", "location": "wh-east", "quantity": 2}]});
    let reply = app.post("/v1/orders/o-2/allocations", &too_many).await;
    assert_eq!(reply.body["pointer"], "/allocations/0/quantity", "{}", reply.body);
    reply.problem(422, "insufficient_stock");

    let reply = app.post("/v1/orders/o-2/cancel", &json!({"reason": "customer asked"})).await;
    assert_eq!((reply.status.as_u16(), &reply.body["order"]["status"]), (200, &json!("cancelled")), "{}", reply.body);
    app.post("/v1/orders/o-2/hold", &json!({"reason": "late"})).await.problem(409, "invalid_transition");
    app.post("/v1/orders/nope/hold", &json!({"reason": "x"})).await.problem(404, "order_not_found");
    app.get("/v1/orders/nope").await.problem(404, "order_not_found");
    let mut duplicate = order_body("other-ext");
    duplicate["id"] = json!("o-2");
    app.post("/v1/orders", &duplicate).await.problem(409, "order_exists");

    let count = json!({"sku": "SKU-1", "location": "wh-east", "counted": 7});
    let reply = app.post("/v1/inventory/counts", &count).await;
    assert_eq!((reply.status.as_u16(), &reply.body["position"]["on_hand"]), (200, &json!(7)), "{}", reply.body);
    assert_eq!(reply.body["receipt"]["aggregate_kind"], "inventory");
    let zero = json!({"sku": "SKU-1", "location": "wh-east", "delta": 0, "reason": "nothing"});
    let reply = app.post("/v1/inventory/adjustments", &zero).await;
    assert_eq!(reply.body["pointer"], "/delta");
    reply.problem(422, "zero_delta");
}

#[tokio::test]
async fn an_identical_retry_is_a_replay_and_another_body_conflicts() {
    let app = spawn_app().await;
    // No id, no placed_at, no Idempotency-Key: the key is derived from channel and external id.
    let body = order_body("retry-1");
    let first = app.post("/v1/orders", &body).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = app.post("/v1/orders", &body).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body["order"], first.body["order"]);
    assert_eq!(again.body["receipt"]["replayed"], true);
    assert_eq!(again.body["receipt"]["last_seq"], first.body["receipt"]["last_seq"]);
    let orders = app.get("/v1/orders?channel=web").await;
    assert_eq!(orders.body["items"].as_array().unwrap().len(), 1, "the retry placed nothing");

    let mut other = body.clone();
    other["lines"][0]["quantity"] = json!(3);
    let reply = app.post("/v1/orders", &other).await;
    assert_eq!(reply.body["parameter"], "Idempotency-Key");
    reply.problem(409, "idempotency_key_reused");

    // With an Idempotency-Key header, on an order command with a filled-in id and time.
    let mut with_id = order_body("retry-2");
    with_id["id"] = json!("o-r");
    app.post("/v1/orders", &with_id).await;
    let hold = json!({"reason": "check"});
    let key = [("idempotency-key", "hold-o-r-1")];
    let first = app.send(Method::POST, "/v1/orders/o-r/hold", Some(&hold), &key).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let again = app.send(Method::POST, "/v1/orders/o-r/hold", Some(&hold), &key).await;
    assert_eq!((again.status.as_u16(), again.header("idempotent-replayed")), (200, Some("true")));
    let other = app.send(Method::POST, "/v1/orders/o-r/hold", Some(&json!({"reason": "other"})), &key).await;
    other.problem(409, "idempotency_key_reused");
}

#[tokio::test]
async fn retried_shipments_without_ids_or_times_are_replays() {
    let app = spawn_app().await;
    stock(&app, 5).await;
    place(&app, "o-s").await;
    let alloc = json!({"allocations": [{"line_id": "1", "location": "wh-east", "quantity": 2}]});
    assert_eq!(app.post("/v1/orders/o-s/allocations", &alloc).await.status, 200);
    assert_eq!(app.post("/v1/orders/o-s/release", &json!({})).await.status, 200);
    let ship = json!({"location": "wh-east", "carrier": "UPS", "lines": [{"line_id": "1", "quantity": 1}]});
    let key = [("idempotency-key", "wms-945-1")];
    let first = app.send(Method::POST, "/v1/orders/o-s/shipments", Some(&ship), &key).await;
    assert_eq!(first.status, 200, "{}", first.body);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let again = app.send(Method::POST, "/v1/orders/o-s/shipments", Some(&ship), &key).await;
    assert_eq!((again.status.as_u16(), again.header("idempotent-replayed")), (200, Some("true")), "{}", again.body);
    assert_eq!(again.body["order"]["shipments"].as_array().unwrap().len(), 1);
    // Without a key each request is applied: a second shipment of the remaining unit.
    let second = app.post("/v1/orders/o-s/shipments", &ship).await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(second.body["order"]["shipments"].as_array().unwrap().len(), 2);
    assert_ne!(second.body["order"]["shipments"][0]["id"], second.body["order"]["shipments"][1]["id"]);
}

#[tokio::test]
async fn if_match_guards_against_concurrent_changes() {
    let app = spawn_app().await;
    place(&app, "o-v").await;
    let hold = json!({"reason": "check"});
    let stale = app.send(Method::POST, "/v1/orders/o-v/hold", Some(&hold), &[("if-match", "\"7\"")]).await;
    assert_eq!(stale.body["parameter"], "If-Match");
    stale.problem(412, "version_conflict");
    let current = app.get("/v1/orders/o-v").await.header("etag").unwrap().to_string();
    let ok = app.send(Method::POST, "/v1/orders/o-v/hold", Some(&hold), &[("if-match", &current)]).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let bad = app.send(Method::POST, "/v1/orders/o-v/release-hold", Some(&json!({})), &[("if-match", "*")]).await;
    bad.problem(400, "invalid_parameter");
    let empty = app.send(Method::POST, "/v1/orders/o-v/release-hold", None, &[]).await;
    assert_eq!(
        (empty.status.as_u16(), &empty.body["order"]["status"]),
        (200, &json!("created")),
        "no body reads as {{}}"
    );
}

#[tokio::test]
async fn orders_are_listed_by_filter_a_page_at_a_time() {
    let app = spawn_app().await;
    for n in 0..5 {
        place(&app, &format!("o-{n}")).await;
    }
    app.post("/v1/orders/o-3/hold", &json!({"reason": "x"})).await;
    let held = app.get("/v1/orders?status=on_hold").await;
    assert_eq!(held.status, 200);
    let ids: Vec<&str> = held.body["items"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["o-3"]);
    assert!(held.body["next_cursor"].is_null());

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/orders?limit=2&cursor={c}"),
            None => "/v1/orders?limit=2".to_string(),
        };
        let page = app.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|o| o["id"].as_str().unwrap().to_string()));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen, ["o-0", "o-1", "o-2", "o-3", "o-4"]);
    let future = app.get("/v1/orders?updated_since=2999-01-01T00:00:00Z").await;
    assert_eq!(future.body["items"].as_array().unwrap().len(), 0);
    let none = app.get("/v1/orders?channel=pos").await;
    assert_eq!(none.body["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn locations_are_put_with_the_path_id() {
    let app = spawn_app().await;
    let reply = app.send(Method::PUT, "/v1/locations/store-9", Some(&location_body()), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!((&reply.body["location"]["id"], &reply.body["location"]["active"]), (&json!("store-9"), &json!(true)));
    let mut same = location_body();
    same["id"] = json!("store-9");
    same["active"] = json!(false);
    let reply = app.send(Method::PUT, "/v1/locations/store-9", Some(&same), &[]).await;
    assert_eq!((reply.status.as_u16(), &reply.body["location"]["active"]), (200, &json!(false)));
    let mut other = location_body();
    other["id"] = json!("store-8");
    let reply = app.send(Method::PUT, "/v1/locations/store-9", Some(&other), &[]).await;
    assert_eq!(reply.body["pointer"], "/id");
    reply.problem(422, "invalid_field");
    let all = app.get("/v1/inventory").await;
    assert_eq!(all.status, 200);
}

#[tokio::test]
async fn health_readiness_and_graceful_shutdown() {
    let app = spawn_app().await;
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = crate::helpers::read(app.client.get(app.url("/readyz")).send().await.unwrap()).await;
    assert_eq!((ready.status.as_u16(), &ready.body["status"]), (200, &json!("ready")));
    let traced = app.client.get(app.url("/healthz")).header("x-request-id", "req-42").send().await.unwrap();
    assert_eq!(traced.headers()["x-request-id"], "req-42", "a client's request id is kept");
    let addr = app.addr;
    app.stop().await.expect("graceful shutdown");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "the listener is closed");
}
