//! The WMS in isolation: a signed `order.released` in, a shipment out; short picks, wrong picks, cycle
//! counts with drift, and no work during an outage.

use super::fake_hub::{FakeHub, released_order};
use super::{clock, context, envelope, eventually, post_signed, secret};
use crossdock_sim::catalog::{Catalog, CatalogConfig, default_sites};
use crossdock_sim::faults::{FaultConfig, Outage, OutageMode};
use crossdock_sim::systems::wms::{Wms, WmsConfig};
use crossdock_sim::systems::{RunningSystem, SimSystem, start_system};
use crossdock_sim::world::GroundTruth;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

fn quiet() -> WmsConfig {
    WmsConfig {
        pick_hours: 1.0,
        pick_jitter_hours: 0.0,
        short_pick_rate: 0.0,
        wrong_pick_rate: 0.0,
        count_every_hours: 0.0,
        replenish_every_hours: 0.0,
        ..WmsConfig::default()
    }
}

struct Setup {
    hub: FakeHub,
    clock: crossdock_sim::SimClock,
    wms: Arc<Wms>,
    truth: Arc<GroundTruth>,
    running: RunningSystem,
    stop: watch::Sender<bool>,
}

async fn setup(config: WmsConfig, faults: FaultConfig) -> Setup {
    let hub = FakeHub::start().await;
    let clock = clock(3600.0);
    let catalog = Arc::new(Catalog::generate(&CatalogConfig { skus: 10, ..Default::default() }, 1).unwrap());
    let truth = Arc::new(GroundTruth::default());
    let wms =
        Arc::new(Wms::new(context("wms", &hub, &clock, faults), config, catalog, &default_sites(), truth.clone()));
    let running = start_system(wms.clone(), secret(3)).await.unwrap();
    let (stop, stopped) = watch::channel(false);
    wms.clone().spawn_tasks(stopped);
    Setup { hub, clock, wms, truth, running, stop }
}

fn released(seq: i64, order_id: &str, lines: &[(&str, u32)], location: &str) -> Value {
    let lines: Vec<Value> =
        lines.iter().map(|(id, q)| json!({"line_id": id, "location": location, "quantity": q})).collect();
    envelope(seq, order_id, json!({"type": "order.released", "order_id": order_id, "lines": lines}))
}

#[tokio::test]
async fn a_released_order_is_picked_and_shipped_after_the_pick_delay() {
    let s = setup(quiet(), FaultConfig::default()).await;
    s.hub.put_order(released_order("o1", &[("1", "SKU-A", 2), ("2", "SKU-B", 1)], Some("wh-east"), "10001"));
    s.wms.shelves().set("wh-east", "SKU-A", 5);
    s.wms.shelves().set("wh-east", "SKU-B", 5);
    let event = released(7, "o1", &[("1", 2), ("2", 1)], "wh-east");
    let url = s.running.webhook_url();
    assert_eq!(post_signed(&url, &s.running.secret, "evt-7", &event).await.status(), 200);
    assert_eq!(post_signed(&url, &s.running.secret, "evt-7", &event).await.status(), 200, "duplicate");
    let shipments = s.hub.wait_for("POST", "/v1/orders/o1/shipments", 1, Duration::from_secs(5)).await;
    assert_eq!(shipments.len(), 1);
    let shipment = &shipments[0];
    assert_eq!(shipment.key.as_deref(), Some("wms:ship:o1-wh-east-r7-w1"));
    assert_eq!(shipment.body["location"], "wh-east");
    assert_eq!(shipment.body["carrier"], "SimParcel");
    assert_eq!(shipment.body["lines"], json!([{"line_id": "1", "quantity": 2}, {"line_id": "2", "quantity": 1}]));
    let shipped_at: chrono::DateTime<chrono::Utc> = shipment.body["shipped_at"].as_str().unwrap().parse().unwrap();
    assert!(shipped_at >= s.clock.origin() + chrono::TimeDelta::hours(1), "shipped after the simulated pick delay");
    assert_eq!((s.wms.shelves().get("wh-east", "SKU-A"), s.wms.shelves().get("wh-east", "SKU-B")), (3, 4));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(s.hub.requests_to("POST", "/shipments").len(), 1, "the duplicate was not picked again");

    // Releases at stores or other warehouses are not this WMS's business.
    let elsewhere = released(8, "o2", &[("1", 1)], "store-nyc");
    assert_eq!(post_signed(&url, &s.running.secret, "evt-8", &elsewhere).await.status(), 200);
    assert_eq!(s.running.system.context().stats.snapshot().events_handled, 1);
    let _ = s.stop.send(true);
    s.running.stop().await;
}

#[tokio::test]
async fn short_picks_follow_later_and_are_cancelled_after_the_last_wave() {
    let config = WmsConfig { short_pick_rate: 1.0, max_waves: 2, short_pick_retry_hours: 2.0, ..quiet() };
    let s = setup(config, FaultConfig::default()).await;
    s.hub.put_order(released_order("o1", &[("1", "SKU-A", 1)], Some("wh-east"), "10001"));
    s.wms.shelves().set("wh-east", "SKU-A", 5);
    let event = released(1, "o1", &[("1", 1)], "wh-east");
    assert_eq!(post_signed(&s.running.webhook_url(), &s.running.secret, "e1", &event).await.status(), 200);
    let cancels = s.hub.wait_for("POST", "/v1/orders/o1/cancel", 1, Duration::from_secs(8)).await;
    assert_eq!(cancels.len(), 1);
    assert_eq!(cancels[0].body["lines"], json!([{"line_id": "1", "quantity": 1}]));
    assert!(cancels[0].body["reason"].as_str().unwrap().starts_with("short pick"));
    assert!(s.hub.requests_to("POST", "/shipments").is_empty(), "nothing was found to ship");
    assert_eq!(s.hub.requests_to("GET", "/v1/orders/o1").len(), 2, "two waves");
    assert_eq!(s.wms.shelves().get("wh-east", "SKU-A"), 5);
    let _ = s.stop.send(true);
    s.running.stop().await;
}

#[tokio::test]
async fn a_second_release_to_the_same_site_is_a_shipment_of_its_own() {
    let s = setup(quiet(), FaultConfig::default()).await;
    s.hub.put_order(released_order("o1", &[("1", "SKU-A", 3)], Some("wh-east"), "10001"));
    s.wms.shelves().set("wh-east", "SKU-A", 5);
    // A backorder filled at the same warehouse later comes as a second `order.released` for the order.
    for (seq, id) in [(4, "e4"), (9, "e9")] {
        let event = released(seq, "o1", &[("1", 1)], "wh-east");
        assert_eq!(post_signed(&s.running.webhook_url(), &s.running.secret, id, &event).await.status(), 200);
    }
    let shipments = s.hub.wait_for("POST", "/shipments", 2, Duration::from_secs(5)).await;
    let mut keys: Vec<&str> = shipments.iter().filter_map(|r| r.key.as_deref()).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["wms:ship:o1-wh-east-r4-w1", "wms:ship:o1-wh-east-r9-w1"], "two releases, two shipments");
    let _ = s.stop.send(true);
    s.running.stop().await;
}

#[tokio::test]
async fn a_short_shelf_ships_what_is_there_and_the_rest_in_a_second_shipment() {
    let config = WmsConfig { short_pick_retry_hours: 1.0, ..quiet() };
    let s = setup(config, FaultConfig::default()).await;
    s.hub.put_order(released_order("o1", &[("1", "SKU-A", 3)], Some("wh-east"), "10001"));
    s.wms.shelves().set("wh-east", "SKU-A", 2);
    let event = released(1, "o1", &[("1", 3)], "wh-east");
    assert_eq!(post_signed(&s.running.webhook_url(), &s.running.secret, "e1", &event).await.status(), 200);
    s.hub.wait_for("POST", "/shipments", 1, Duration::from_secs(5)).await;
    s.wms.shelves().add("wh-east", "SKU-A", 4);
    let shipments = s.hub.wait_for("POST", "/shipments", 2, Duration::from_secs(5)).await;
    let units: Vec<&Value> = shipments.iter().map(|r| &r.body["lines"][0]["quantity"]).collect();
    assert_eq!(units, [&json!(2), &json!(1)], "a split shipment");
    assert_eq!(shipments[1].key.as_deref(), Some("wms:ship:o1-wh-east-r1-w2"));
    let _ = s.stop.send(true);
    s.running.stop().await;
}

#[tokio::test]
async fn wrong_picks_take_another_sku_off_the_shelf_and_are_remembered() {
    let s = setup(WmsConfig { wrong_pick_rate: 1.0, ..quiet() }, FaultConfig::default()).await;
    s.hub.put_order(released_order("o1", &[("1", "SKU-A", 2)], Some("wh-east"), "10001"));
    s.wms.shelves().set("wh-east", "SKU-A", 5);
    s.wms.shelves().set("wh-east", "SKU-B", 5);
    let event = released(1, "o1", &[("1", 2)], "wh-east");
    assert_eq!(post_signed(&s.running.webhook_url(), &s.running.secret, "e1", &event).await.status(), 200);
    let shipments = s.hub.wait_for("POST", "/shipments", 1, Duration::from_secs(5)).await;
    assert_eq!(shipments[0].body["lines"], json!([{"line_id": "1", "quantity": 2}]), "the hub is told all is well");
    assert!(eventually(2, || !s.truth.wrong_picks("o1").is_empty()).await);
    assert_eq!(s.truth.wrong_picks("o1"), vec![("1".to_string(), 1)]);
    assert_eq!((s.wms.shelves().get("wh-east", "SKU-A"), s.wms.shelves().get("wh-east", "SKU-B")), (4, 4));
    let _ = s.stop.send(true);
    s.running.stop().await;
}

#[tokio::test]
async fn cycle_counts_report_drifted_shelves() {
    let config = WmsConfig { count_every_hours: 1.0, count_skus: 5, drift_rate: 1.0, max_drift: 3, ..quiet() };
    let s = setup(config, FaultConfig::default()).await;
    for i in 0..5 {
        s.wms.shelves().set("wh-west", &format!("SKU-{i}"), 10);
    }
    let counts = s.hub.wait_for("POST", "/v1/inventory/counts", 5, Duration::from_secs(5)).await;
    assert_eq!(counts.len(), 5);
    for count in &counts {
        let (sku, counted) = (count.body["sku"].as_str().unwrap(), count.body["counted"].as_i64().unwrap());
        assert_eq!(count.body["location"], "wh-west");
        assert!((7..=13).contains(&counted) && counted != 10, "{sku}: {counted}");
        assert_eq!(s.wms.shelves().get("wh-west", sku), counted, "the count is what is on the shelf");
        assert!(count.key.as_deref().unwrap().starts_with("wms:count:wh-west:1:"));
    }
    let _ = s.stop.send(true);
    s.running.stop().await;
}

#[tokio::test]
async fn nothing_ships_during_an_outage_and_work_resumes_after_it() {
    let outage = Outage { start_hour: 0.0, hours: 48.0, mode: OutageMode::Refuse };
    let s = setup(quiet(), FaultConfig { outages: vec![outage], ..Default::default() }).await;
    s.hub.put_order(released_order("o1", &[("1", "SKU-A", 1)], Some("wh-east"), "10001"));
    s.wms.shelves().set("wh-east", "SKU-A", 5);
    // The hub cannot reach it; the event arrives through the handler (as from the change feed).
    let event: crossdock_model::RecordedEvent =
        serde_json::from_value(released(1, "o1", &[("1", 1)], "wh-east")).unwrap();
    assert_eq!(crossdock_sim::EventHandler::handle_event(s.wms.as_ref(), &event), crossdock_sim::Handled::Accepted);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(s.hub.requests().is_empty(), "down: no picking");
    s.clock.advance(chrono::TimeDelta::hours(48));
    assert_eq!(s.hub.wait_for("POST", "/shipments", 1, Duration::from_secs(5)).await.len(), 1);
    let _ = s.stop.send(true);
    s.running.stop().await;
}
