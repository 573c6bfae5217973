//! The carrier in isolation: a signed `order.shipment_confirmed` in, a delivery out after the transit time
//! for the zone (in simulated time); other carriers ignored; rate quotes by zone.

use super::fake_hub::{FakeHub, released_order};
use super::{clock, context, envelope, post_signed, secret};
use crossdock_sim::catalog::default_sites;
use crossdock_sim::faults::FaultConfig;
use crossdock_sim::systems::tms::{Tms, TmsConfig};
use crossdock_sim::systems::{SimSystem, start_system};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

fn shipped(seq: i64, order_id: &str, shipment_id: &str, carrier: &str, shipped_at: &str) -> Value {
    envelope(
        seq,
        order_id,
        json!({"type": "order.shipment_confirmed", "order_id": order_id, "shipment": {
            "id": shipment_id, "location": "wh-east", "carrier": carrier, "service": "ground",
            "tracking_number": "SP1", "lines": [{"line_id": "1", "quantity": 1}], "shipped_at": shipped_at}}),
    )
}

#[tokio::test]
async fn parcels_are_delivered_after_the_transit_time_of_their_zone() {
    let hub = FakeHub::start().await;
    let clock = clock(3600.0);
    let config = TmsConfig { delay_rate: 0.0, pickup_hours: 4.0, ..TmsConfig::default() };
    let tms =
        Arc::new(Tms::new(context("tms", &hub, &clock, FaultConfig::default()), config, Arc::new(default_sites())));
    let running = start_system(tms.clone(), secret(4)).await.unwrap();
    let (stop, stopped) = watch::channel(false);
    tms.clone().spawn_tasks(stopped);
    // East coast warehouse to San Francisco: zone 8, five days.
    hub.put_order(released_order("o1", &[("1", "SKU-A", 1)], Some("wh-east"), "94103"));
    let shipped_at = clock.now().to_rfc3339();
    let url = running.webhook_url();
    let event = shipped(3, "o1", "o1-wh-east-w1", "SimParcel", &shipped_at);
    assert_eq!(post_signed(&url, &running.secret, "evt-3", &event).await.status(), 200);
    assert_eq!(post_signed(&url, &running.secret, "evt-3", &event).await.status(), 200);
    let pickup = shipped(4, "o2", "o2-store-nyc-pickup", "store-pickup", &shipped_at);
    assert_eq!(post_signed(&url, &running.secret, "evt-4", &pickup).await.status(), 200);

    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(hub.requests_to("POST", "/deliveries").is_empty(), "not before the transit time");
    clock.advance(chrono::TimeDelta::days(6));
    let deliveries = hub.wait_for("POST", "/deliveries", 1, Duration::from_secs(5)).await;
    assert_eq!(deliveries.len(), 1);
    let delivery = &deliveries[0];
    assert_eq!(delivery.path, "/v1/orders/o1/deliveries");
    assert_eq!(delivery.key.as_deref(), Some("tms:deliver:o1-wh-east-w1"));
    assert_eq!(delivery.body["shipment_id"], "o1-wh-east-w1");
    let delivered_at: chrono::DateTime<chrono::Utc> = delivery.body["delivered_at"].as_str().unwrap().parse().unwrap();
    let shipped_at: chrono::DateTime<chrono::Utc> = shipped_at.parse().unwrap();
    assert_eq!(delivered_at - shipped_at, chrono::TimeDelta::hours(4 + 5 * 24 - 8), "pickup + 5 days, afternoon");
    assert!(super::eventually(3, || tms.tracking("o1-wh-east-w1").len() == 3).await);
    let statuses: Vec<String> = tms.tracking("o1-wh-east-w1").into_iter().map(|t| t.status).collect();
    assert_eq!(statuses, ["label created", "picked up (zone 8)", "delivered"]);
    assert!(tms.tracking("o2-store-nyc-pickup").is_empty(), "store pickups are not the carrier's");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(hub.requests_to("POST", "/deliveries").len(), 1, "one delivery for the duplicate");

    let tracking: Value =
        reqwest::get(format!("{}/tracking/o1-wh-east-w1", running.base_url())).await.unwrap().json().await.unwrap();
    assert_eq!(tracking["events"].as_array().map(Vec::len), Some(3));
    let _ = stop.send(true);
    running.stop().await;
}

#[tokio::test]
async fn a_failed_delivery_is_tried_again_once_the_hub_answers() {
    let hub = FakeHub::start().await;
    let clock = clock(3600.0);
    let config = TmsConfig { delay_rate: 0.0, pickup_hours: 0.0, ..TmsConfig::default() };
    let tms =
        Arc::new(Tms::new(context("tms", &hub, &clock, FaultConfig::default()), config, Arc::new(default_sites())));
    let (stop, stopped) = watch::channel(false);
    tms.clone().spawn_tasks(stopped);
    hub.put_order(released_order("o1", &[("1", "SKU-A", 1)], Some("wh-east"), "17013"));
    let event: crossdock_model::RecordedEvent =
        serde_json::from_value(shipped(1, "o1", "s1", "SimParcel", &clock.now().to_rfc3339())).unwrap();
    assert_eq!(crossdock_sim::EventHandler::handle_event(tms.as_ref(), &event), crossdock_sim::Handled::Accepted);
    hub.wait_for("GET", "/v1/orders/o1", 1, Duration::from_secs(3)).await;
    hub.fail_next(3);
    clock.advance(chrono::TimeDelta::days(2));
    let deliveries = hub.wait_for("POST", "/deliveries", 4, Duration::from_secs(8)).await;
    assert_eq!(deliveries.len(), 4, "three 500s answered, then the next round of attempts");
    assert!(deliveries.iter().all(|d| d.key.as_deref() == Some("tms:deliver:s1")), "the same idempotency key");
    assert!(super::eventually(3, || tms.context().stats.sent_count("confirm_delivery") == 1).await);
    let _ = stop.send(true);
}

#[tokio::test]
async fn rates_are_quoted_by_zone() {
    let hub = FakeHub::start().await;
    let clock = clock(3600.0);
    let tms = Arc::new(Tms::new(
        context("tms", &hub, &clock, FaultConfig::default()),
        TmsConfig::default(),
        Arc::new(default_sites()),
    ));
    let running = start_system(tms, secret(5)).await.unwrap();
    let quote: Value = reqwest::get(format!("{}/rates?from=17013&to=94103&weight_grams=2000", running.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(quote["zone"], 8);
    assert_eq!(quote["options"][0]["service"], "ground");
    let near: Value =
        reqwest::get(format!("{}/rates?from=17013&to=17013", running.base_url())).await.unwrap().json().await.unwrap();
    assert!(near["options"][0]["price_minor"].as_i64() < quote["options"][0]["price_minor"].as_i64());
    for bad in ["/rates", "/rates?from=1&to=94103", "/rates?from=17013&to=94103&weight_grams=-1"] {
        let status = reqwest::get(format!("{}{bad}", running.base_url())).await.unwrap().status();
        assert_eq!(status, 400, "{bad}");
    }
    running.stop().await;
}
