//! A smoke test against PostgreSQL, run when `CROSSDOCK_TEST_PG_URL` is set.

use crate::helpers::{order_body, spawn_on};
use axum::http::Method;
use serde_json::json;

#[tokio::test]
async fn smoke_on_postgres() {
    let Some(db) = crossdock_store::testing::postgres().await.expect("a fresh PostgreSQL schema") else {
        println!("skipped: CROSSDOCK_TEST_PG_URL is not set");
        return;
    };
    let store = db.open().await.expect("open PostgreSQL store");
    let app = spawn_on(store, None, |_| {}).await;
    let run = uuid::Uuid::now_v7().simple().to_string();
    let (location, order_id) = (format!("wh-{run}"), format!("o-{run}"));

    let put = json!({"name": "PG DC", "kind": "warehouse", "coordinates": {"lat": 1.0, "lon": 2.0}});
    assert_eq!(app.send(Method::PUT, &format!("/v1/locations/{location}"), Some(&put), &[]).await.status, 200);
    let adjust = json!({"sku": "SKU-1", "location": location, "delta": 5, "reason": "receipt"});
    assert_eq!(app.post("/v1/inventory/adjustments", &adjust).await.status, 200);

    let mut body = order_body(&format!("ext-{run}"));
    body["id"] = json!(order_id);
    body["sourcing"] = json!({"mode": "manual"});
    let placed = app.post("/v1/orders", &body).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    let replay = app.post("/v1/orders", &body).await;
    assert_eq!((replay.status.as_u16(), replay.header("idempotent-replayed")), (200, Some("true")), "{}", replay.body);
    let mut no_time = order_body(&format!("ext2-{run}"));
    no_time["id"] = json!(format!("{order_id}-2"));
    assert_eq!(app.post("/v1/orders", &no_time).await.status, 201);
    assert_eq!(
        app.post("/v1/orders", &no_time).await.status,
        200,
        "a retry without placed_at replays on PostgreSQL too"
    );

    let alloc = json!({"allocations": [{"line_id": "1", "location": location, "quantity": 2}]});
    let reply = app.post(&format!("/v1/orders/{order_id}/allocations"), &alloc).await;
    assert_eq!((reply.status.as_u16(), &reply.body["order"]["status"]), (200, &json!("allocated")), "{}", reply.body);
    let got = app.get(&format!("/v1/orders/{order_id}")).await;
    assert_eq!(got.body["version"], 2);
    let events =
        app.get(&format!("/v1/events?after={}", placed.body["receipt"]["last_seq"].as_i64().unwrap() - 1)).await;
    assert!(!events.body["items"].as_array().unwrap().is_empty());
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, 200);
}

#[tokio::test]
async fn sql_and_script_shaped_strings_are_stored_and_returned_literally_on_postgres() {
    let Some(db) = crossdock_store::testing::postgres().await.expect("a fresh PostgreSQL schema") else {
        println!("skipped: CROSSDOCK_TEST_PG_URL is not set");
        return;
    };
    let app = spawn_on(db.open().await.expect("open PostgreSQL store"), None, |_| {}).await;
    let run = uuid::Uuid::now_v7().simple().to_string();
    crate::bad_input::literal_strings_round_trip(&app, &run).await;
}
