//! Automatic sourcing through the API: an order is allocated when placed, what is missing is backordered and
//! filled when stock arrives, and `GET /v1/orders/{id}/sourcing` explains every decision.

use crate::helpers::{location_body, order_body, spawn_app};
use axum::http::Method;
use serde_json::json;

#[tokio::test]
async fn orders_are_sourced_backordered_refilled_and_explained() {
    let app = spawn_app().await;
    let reply = app.send(Method::PUT, "/v1/locations/wh-east", Some(&location_body()), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let adjust = |units: i64| json!({"sku": "SKU-1", "location": "wh-east", "delta": units, "reason": "receipt"});
    assert_eq!(app.post("/v1/inventory/adjustments", &adjust(3)).await.status, 200);

    let mut first = order_body("s-1");
    first["id"] = json!("s-1");
    let reply = app.post("/v1/orders", &first).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.body["order"]["status"], "allocated", "{}", reply.body);

    let mut second = order_body("s-2");
    second["id"] = json!("s-2");
    let reply = app.post("/v1/orders", &second).await;
    assert_eq!(reply.body["order"]["status"], "backordered", "{}", reply.body);
    assert_eq!(reply.body["order"]["lines"][0]["quantities"]["backordered"], 1);

    let sourcing = app.get("/v1/orders/s-1/sourcing").await;
    assert_eq!(sourcing.status, 200, "{}", sourcing.body);
    let decision = &sourcing.body["decisions"][0];
    assert_eq!(decision["allocations"], json!([{"line_id": "1", "location": "wh-east", "quantity": 2}]));
    assert_eq!(decision["explanation"]["reason"]["code"], "cheapest_single_location", "{}", sourcing.body);
    assert_eq!(decision["explanation"]["candidates"][0]["location"], "wh-east");
    assert!(decision["explanation"]["candidates"][0]["shipping_minor"].is_i64());

    // Stock arrives: the backorder is filled in the same transaction as the receipt.
    assert_eq!(app.post("/v1/inventory/adjustments", &adjust(5)).await.status, 200);
    let order = app.get("/v1/orders/s-2").await;
    assert_eq!(order.body["status"], "allocated", "{}", order.body);
    let sourcing = app.get("/v1/orders/s-2/sourcing").await;
    let decisions = sourcing.body["decisions"].as_array().expect("decisions");
    assert_eq!(decisions.len(), 2, "{}", sourcing.body);
    assert_eq!(decisions[1]["allocations"][0]["quantity"], 1);

    // Manual orders wait for explicit allocations and have no decisions.
    let mut manual = order_body("s-3");
    manual["id"] = json!("s-3");
    manual["sourcing"] = json!({"mode": "manual"});
    let reply = app.post("/v1/orders", &manual).await;
    assert_eq!(reply.body["order"]["status"], "created", "{}", reply.body);
    let sourcing = app.get("/v1/orders/s-3/sourcing").await;
    assert_eq!((sourcing.status.as_u16(), &sourcing.body["decisions"]), (200, &json!([])));
    assert_eq!(sourcing.body["sourcing"]["mode"], "manual");

    app.get("/v1/orders/nope/sourcing").await.problem(404, "order_not_found");

    // 3 + 5 received, 2 + 2 promised: 4 available to promise at wh-east and across the network.
    let atp = app.get("/v1/availability/SKU-1").await;
    assert_eq!(atp.status, 200, "{}", atp.body);
    assert_eq!((&atp.body["available"], &atp.body["locations"][0]["reserved"]), (&json!(4), &json!(4)));
    let none = app.get("/v1/availability/SKU-NONE").await;
    assert_eq!((&none.body["available"], &none.body["locations"]), (&json!(0), &json!([])));
}
