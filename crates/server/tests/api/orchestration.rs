//! Order orchestration through the API: buy online, return in store (an RMA, the POS receiving it, the refund
//! with tax less the restocking fee, the store restocked), cancelling after release (a request to the
//! warehouse and its answer), and a channel's availability limited to its location group.

use crate::helpers::{TestApp, location_body, order_body, spawn_app};
use axum::http::Method;
use crossdock_engine::{ChannelGroup, Policy, RestockingFeeRule};
use crossdock_model::{ChannelId, LocationId};
use serde_json::{Value, json};

/// A warehouse (`wh-east`, 5 × SKU-1) and a store (`store-spi`, nothing yet) in Springfield, IL.
async fn network(app: &TestApp) {
    let reply = app.send(Method::PUT, "/v1/locations/wh-east", Some(&location_body()), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let store = json!({"name": "Springfield store", "kind": "store", "coordinates": {"lat": 39.8, "lon": -89.64}});
    let reply = app.send(Method::PUT, "/v1/locations/store-spi", Some(&store), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let receipt = json!({"sku": "SKU-1", "location": "wh-east", "delta": 5, "reason": "receipt"});
    assert_eq!(app.post("/v1/inventory/adjustments", &receipt).await.status, 200);
}

/// Places `id` online (2 × SKU-1 at 19.99, shipped to Illinois: 6.25 %) and releases it to the warehouse.
async fn placed_and_released(app: &TestApp, id: &str) {
    let mut order = order_body(id);
    order["id"] = json!(id);
    let reply = app.post("/v1/orders", &order).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.body["order"]["lines"][0]["allocations"][0]["location"], "wh-east", "{}", reply.body);
    let reply = app.post(&format!("/v1/orders/{id}/release"), &json!({})).await;
    assert_eq!(reply.body["order"]["status"], "released", "{}", reply.body);
}

async fn events_of_type(app: &TestApp, event_type: &str) -> Vec<Value> {
    let page = app.get("/v1/events?limit=1000").await;
    let items = page.body["items"].as_array().expect("events").clone();
    items.into_iter().filter(|e| e["event_type"] == event_type).map(|e| e["payload"].clone()).collect()
}

async fn on_hand(app: &TestApp, location: &str) -> Value {
    let reply = app.get(&format!("/v1/inventory?sku=SKU-1&location={location}")).await;
    reply.body["items"][0]["on_hand"].clone()
}

#[tokio::test]
async fn buy_online_return_in_store_refunds_price_and_tax_less_the_fee_and_restocks_the_store() {
    let app = spawn_app().await;
    // A 10 % restocking fee, waived for fulfilment errors.
    app.store
        .set_policy(Policy { restocking: RestockingFeeRule { fee_bp: 1000, waived_for: vec![] }, ..Policy::default() });
    network(&app).await;
    placed_and_released(&app, "bo-1").await;
    let shipment = json!({"shipment_id": "S1", "location": "wh-east", "carrier": "UPS",
                          "lines": [{"line_id": "1", "quantity": 2}]});
    assert_eq!(app.post("/v1/orders/bo-1/shipments", &shipment).await.status, 200);
    assert_eq!(app.post("/v1/orders/bo-1/deliveries", &json!({"shipment_id": "S1"})).await.status, 200);

    // More than was shipped cannot be authorised.
    let too_many = json!({"lines": [{"line_id": "1", "quantity": 3, "reason": "no_longer_needed"}]});
    let reply = app.post("/v1/orders/bo-1/return-authorisations", &too_many).await;
    assert_eq!(reply.problem(422, "exceeds_returnable")["pointer"], "/lines/0/quantity");

    // The customer asks to return one unit at the store.
    let rma = json!({"id": "RMA-1", "lines": [{"line_id": "1", "quantity": 1, "reason": "no_longer_needed"}],
                     "expected_location": "store-spi"});
    let reply = app.post("/v1/orders/bo-1/return-authorisations", &rma).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["order"]["return_authorisations"][0]["id"], "RMA-1");
    assert_eq!(events_of_type(&app, "order.return_authorised").await.len(), 1);

    // The store's POS receives it, resellable.
    let pos_return = json!({"return_id": "POS-R1", "location": "store-spi", "authorisation": "RMA-1",
                            "lines": [{"line_id": "1", "quantity": 1, "reason": "no_longer_needed",
                                       "disposition": "resellable"}]});
    let reply =
        app.send(Method::POST, "/v1/orders/bo-1/returns", Some(&pos_return), &[("Idempotency-Key", "pos:r1")]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["order"]["status"], "partially_returned");
    assert_eq!(reply.body["order"]["return_authorisations"][0]["received"], json!([1]));
    // The POS retrying changes nothing.
    let again =
        app.send(Method::POST, "/v1/orders/bo-1/returns", Some(&pos_return), &[("Idempotency-Key", "pos:r1")]).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"), "{}", again.body);

    // Refund: 19.99 + tax (half of the line's 2.50 = 39.98 × 6.25 %, rounded half up) − 10 % fee (2.00).
    let refunds = events_of_type(&app, "order.refund_due").await;
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    let refund = &refunds[0]["refund"];
    assert_eq!(refund["price"]["amount_minor"], 1999);
    assert_eq!(refund["tax"]["amount_minor"], 125);
    assert_eq!(refund["restocking_fee"]["amount_minor"], 200);
    assert_eq!(refund["total"]["amount_minor"], 1924);
    assert_eq!((&refund["location"], &refund["authorisation"]), (&json!("store-spi"), &json!("RMA-1")));
    // The store restocked the unit; the warehouse shipped two of its five.
    assert_eq!(on_hand(&app, "store-spi").await, 3 - 2);
    assert_eq!(on_hand(&app, "wh-east").await, 3);

    // An authorisation the order does not have is refused, naming the field.
    let reply = app
        .post(
            "/v1/orders/bo-1/returns",
            &json!({"location": "store-spi", "authorisation": "RMA-9",
        "lines": [{"line_id": "1", "quantity": 1, "reason": "other", "disposition": "damaged"}]}),
        )
        .await;
    assert_eq!(reply.problem(422, "unknown_authorisation")["pointer"], "/authorisation");

    // The second unit comes back as a walk-in at the store, damaged (a fulfilment error: no fee, no restock).
    let walk_in = json!({"location": "store-spi", "lines": [{"line_id": "1", "quantity": 1,
                         "reason": "damaged_in_transit", "disposition": "damaged"}]});
    let reply = app.post("/v1/orders/bo-1/returns", &walk_in).await;
    assert_eq!(reply.body["order"]["status"], "returned", "{}", reply.body);
    let refunds = events_of_type(&app, "order.refund_due").await;
    let second = &refunds[1]["refund"];
    assert_eq!((&second["tax"]["amount_minor"], &second["total"]["amount_minor"]), (&json!(125), &json!(2124)));
    assert_eq!(on_hand(&app, "store-spi").await, 1);

    // Nothing is left to authorise.
    let reply = app
        .post(
            "/v1/orders/bo-1/return-authorisations",
            &json!({"lines": [{"line_id": "1", "quantity": 1, "reason": "other"}]}),
        )
        .await;
    reply.problem(422, "exceeds_returnable");
}

#[tokio::test]
async fn cancel_after_release_is_a_request_answered_by_the_warehouse() {
    let app = spawn_app().await;
    network(&app).await;
    placed_and_released(&app, "cr-1").await;
    let reply = app.post("/v1/orders/cr-1/cancel", &json!({"reason": "customer changed their mind"})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["order"]["status"], "released", "nothing is cancelled until the warehouse answers");
    assert_eq!(reply.body["order"]["cancel_requests"][0]["lines"][0]["location"], "wh-east");
    let requested = events_of_type(&app, "order.cancel_requested").await;
    assert_eq!(requested.len(), 1, "the request is in the log, for the warehouse's subscription");

    let reply = app.post("/v1/orders/cr-1/cancel", &json!({"reason": "again"})).await;
    reply.problem(409, "cancel_request_open");

    // Too late: the warehouse refuses, the order continues.
    let reply =
        app.post("/v1/orders/cr-1/cancel-answer", &json!({"outcome": "refused", "reason": "already packed"})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["order"]["status"], "released");
    assert_eq!(reply.body["order"]["cancel_requests"][0]["outcome"], "refused");

    // A second request, accepted: the units are cancelled and the reservation released.
    assert_eq!(app.post("/v1/orders/cr-1/cancel", &json!({"reason": "customer"})).await.status, 200);
    let reply = app.post("/v1/orders/cr-1/cancel-answer", &json!({"outcome": "accepted"})).await;
    assert_eq!(reply.body["order"]["status"], "cancelled", "{}", reply.body);
    let atp = app.get("/v1/availability/SKU-1").await;
    assert_eq!(atp.body["available"], 5);
    // The same answer again changes nothing; the other answer is a conflict.
    let reply = app.post("/v1/orders/cr-1/cancel-answer", &json!({"outcome": "accepted"})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    app.post("/v1/orders/cr-1/cancel-answer", &json!({"outcome": "refused"}))
        .await
        .problem(409, "no_open_cancel_request");
    let reply = app.post("/v1/orders/cr-1/cancel-answer", &json!({"outcome": "maybe"})).await;
    assert_eq!(reply.status, 422, "{}", reply.body);
}

#[tokio::test]
async fn a_channels_availability_counts_only_its_location_group() {
    let app = spawn_app().await;
    network(&app).await;
    let receipt = json!({"sku": "SKU-1", "location": "store-spi", "delta": 2, "reason": "receipt"});
    assert_eq!(app.post("/v1/inventory/adjustments", &receipt).await.status, 200);
    let group = |id: &str, ls: &[&str]| ChannelGroup {
        id: ChannelId::new(id).unwrap(),
        locations: ls.iter().map(|l| LocationId::new(*l).unwrap()).collect(),
    };
    app.store
        .set_policy(Policy { channels: vec![group("pos", &["store-spi"]), group("web", &[])], ..Policy::default() });
    let all = app.get("/v1/availability/SKU-1").await;
    assert_eq!(all.body["available"], 7, "{}", all.body);
    let pos = app.get("/v1/availability/SKU-1?channel=pos").await;
    assert_eq!((&pos.body["channel"], &pos.body["available"]), (&json!("pos"), &json!(2)), "{}", pos.body);
    assert_eq!(pos.body["locations"].as_array().map(Vec::len), Some(1));
    let web = app.get("/v1/availability/SKU-1?channel=web").await;
    assert_eq!(web.body["available"], 7, "a channel without a group sees the network");
    app.get("/v1/availability/SKU-1?chanel=web").await.problem(400, "invalid_parameter");

    // A POS order is sourced from the store only.
    let mut order = order_body("pos-1");
    order["channel"] = json!("pos");
    let reply = app.post("/v1/orders", &order).await;
    assert_eq!(reply.body["order"]["lines"][0]["allocations"][0]["location"], "store-spi", "{}", reply.body);
}

#[tokio::test]
async fn a_site_cancelling_missing_units_cancels_only_its_own() {
    let app = spawn_app().await;
    network(&app).await;
    let receipt = json!({"sku": "SKU-1", "location": "store-spi", "delta": 5, "reason": "receipt"});
    assert_eq!(app.post("/v1/inventory/adjustments", &receipt).await.status, 200);
    // Four units, sourced by hand: two from the warehouse, two from the store, all released.
    let mut order = order_body("split-1");
    order["id"] = json!("split-1");
    order["lines"][0]["quantity"] = json!(4);
    order["sourcing"] = json!({"mode": "manual"});
    assert_eq!(app.post("/v1/orders", &order).await.status, 201);
    let split = json!({"allocations": [{"line_id": "1", "location": "wh-east", "quantity": 2},
                                       {"line_id": "1", "location": "store-spi", "quantity": 2}]});
    let reply = app.post("/v1/orders/split-1/allocations", &split).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(app.post("/v1/orders/split-1/release", &json!({})).await.status, 200);

    // The store cannot find one unit: the request names the store, not the warehouse listed first.
    let missing = json!({"lines": [{"line_id": "1", "quantity": 1}], "reason": "not found", "location": "store-spi"});
    let reply = app.post("/v1/orders/split-1/cancel", &missing).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.body["order"]["cancel_requests"][0]["lines"],
        json!([{"line_id": "1", "location": "store-spi",
                                                                           "quantity": 1}])
    );
    let reply = app.post("/v1/orders/split-1/cancel-answer", &json!({"outcome": "accepted"})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let allocations = &reply.body["order"]["lines"][0]["allocations"];
    let at = |location: &str| allocations.as_array().unwrap().iter().find(|a| a["location"] == location).cloned();
    assert_eq!(at("wh-east").unwrap()["released"], 2, "{allocations}");
    assert_eq!(at("store-spi").unwrap()["released"], 1, "{allocations}");

    // More than the store holds, or a location holding nothing of the order, is refused naming the field.
    let too_many = json!({"lines": [{"line_id": "1", "quantity": 2}], "reason": "x", "location": "store-spi"});
    let reply = app.post("/v1/orders/split-1/cancel", &too_many).await;
    assert_eq!(reply.problem(422, "exceeds_open")["pointer"], "/lines/0/quantity");
    let elsewhere = json!({"reason": "x", "location": "wh-west"});
    let reply = app.post("/v1/orders/split-1/cancel", &elsewhere).await;
    assert_eq!(reply.problem(422, "nothing_open_at_location")["pointer"], "/location");
}
