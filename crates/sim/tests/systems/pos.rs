//! The POS in isolation: store pickups (release at a store → pickup shipment → collected), in-store returns
//! of online orders (always for a wrong item), and walk-in sales as adjustments.

use super::fake_hub::{FakeHub, released_order};
use super::{clock, context, envelope, post_signed, secret};
use crossdock_sim::catalog::{Catalog, CatalogConfig, default_sites};
use crossdock_sim::faults::FaultConfig;
use crossdock_sim::systems::pos::{Pos, PosConfig};
use crossdock_sim::systems::{RunningSystem, SimSystem, start_system};
use crossdock_sim::world::GroundTruth;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

struct Setup {
    hub: FakeHub,
    clock: crossdock_sim::SimClock,
    pos: Arc<Pos>,
    truth: Arc<GroundTruth>,
    running: RunningSystem,
    stop: watch::Sender<bool>,
}

async fn setup(config: PosConfig) -> Setup {
    let hub = FakeHub::start().await;
    let clock = clock(3600.0);
    let catalog = Arc::new(Catalog::generate(&CatalogConfig { skus: 5, ..Default::default() }, 1).unwrap());
    let truth = Arc::new(GroundTruth::default());
    let sites = Arc::new(default_sites());
    let pos =
        Arc::new(Pos::new(context("pos", &hub, &clock, FaultConfig::default()), config, catalog, sites, truth.clone()));
    let running = start_system(pos.clone(), secret(6)).await.unwrap();
    let (stop, stopped) = watch::channel(false);
    pos.clone().spawn_tasks(stopped);
    Setup { hub, clock, pos, truth, running, stop }
}

fn no_sales() -> PosConfig {
    PosConfig { sales_per_hour: 0.0, return_rate: 0.0, ..PosConfig::default() }
}

#[tokio::test]
async fn a_pickup_order_is_picked_in_store_and_collected() {
    let s = setup(PosConfig { pick_hours: 1.0, collect_after_hours: 2.0, ..no_sales() }).await;
    s.hub.put_order(released_order("o1", &[("1", "SKU-A", 1)], Some("store-nyc"), "10001"));
    s.pos.shelves().set("store-nyc", "SKU-A", 3);
    let event = envelope(
        5,
        "o1",
        json!({"type": "order.released", "order_id": "o1",
        "lines": [{"line_id": "1", "location": "store-nyc", "quantity": 1}]}),
    );
    assert_eq!(post_signed(&s.running.webhook_url(), &s.running.secret, "e5", &event).await.status(), 200);
    let shipments = s.hub.wait_for("POST", "/v1/orders/o1/shipments", 1, Duration::from_secs(5)).await;
    assert_eq!(shipments[0].body["carrier"], "store-pickup");
    assert_eq!(shipments[0].body["location"], "store-nyc");
    let collected = s.hub.wait_for("POST", "/v1/orders/o1/deliveries", 1, Duration::from_secs(5)).await;
    assert_eq!(collected[0].body["shipment_id"], "o1-store-nyc-pickup");
    assert_eq!(s.pos.shelves().get("store-nyc", "SKU-A"), 2);
    let _ = s.stop.send(true);
    s.running.stop().await;
}

#[tokio::test]
async fn a_wrong_item_is_brought_back_to_the_nearest_store() {
    let s = setup(PosConfig { return_after_hours: 3.0, ..no_sales() }).await;
    let mut order = released_order("o1", &[("1", "SKU-A", 2), ("2", "SKU-B", 1)], Some("wh-east"), "60614");
    for line in order["lines"].as_array_mut().unwrap() {
        let q = line["quantities"]["ordered"].clone();
        line["quantities"]["shipped"] = q.clone();
        line["quantities"]["delivered"] = q;
    }
    s.hub.put_order(order);
    s.truth.record_wrong_pick("o1", "2", 1);
    let delivered = envelope(
        9,
        "o1",
        json!({"type": "order.delivery_confirmed", "order_id": "o1",
        "shipment_id": "s1", "delivered_at": s.clock.now()}),
    );
    assert_eq!(post_signed(&s.running.webhook_url(), &s.running.secret, "e9", &delivered).await.status(), 200);
    let returns = s.hub.wait_for("POST", "/v1/orders/o1/returns", 1, Duration::from_secs(6)).await;
    assert_eq!(returns.len(), 1);
    let body = &returns[0].body;
    assert_eq!(body["location"], "store-chi", "Chicago ship-to, Chicago store");
    assert_eq!(
        body["lines"],
        json!([{"line_id": "2", "quantity": 1, "reason": "wrong_item", "disposition": "resellable"}])
    );
    assert_eq!(returns[0].key.as_deref(), Some("pos:return:o1"));
    let received_at: chrono::DateTime<chrono::Utc> = body["received_at"].as_str().unwrap().parse().unwrap();
    assert!(received_at >= s.clock.origin() + chrono::TimeDelta::hours(3));
    let restocked = super::eventually(3, || s.pos.shelves().get("store-chi", "SKU-B") == 1).await;
    assert!(restocked, "resellable: back on the store's shelf");

    // Without a wrong item and at a zero return rate, nobody comes back.
    let other = envelope(
        10,
        "o2",
        json!({"type": "order.delivery_confirmed", "order_id": "o2",
        "shipment_id": "s2", "delivered_at": s.clock.now()}),
    );
    assert_eq!(post_signed(&s.running.webhook_url(), &s.running.secret, "e10", &other).await.status(), 200);
    s.clock.advance(chrono::TimeDelta::days(5));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(s.hub.requests_to("POST", "/v1/orders/o2/returns").is_empty());
    let _ = s.stop.send(true);
    s.running.stop().await;
}

#[tokio::test]
async fn walk_in_sales_are_reported_as_adjustments_at_stores() {
    let s = setup(PosConfig { sales_per_hour: 20.0, ..no_sales() }).await;
    for store in s.pos.stores() {
        for product in ["SKU-00001", "SKU-00002", "SKU-00003", "SKU-00004", "SKU-00005"] {
            s.pos.shelves().set(store, product, 50);
        }
    }
    let sales = s.hub.wait_for("POST", "/v1/inventory/adjustments", 5, Duration::from_secs(5)).await;
    assert!(sales.len() >= 5);
    for sale in &sales {
        assert_eq!(sale.body["delta"], -1);
        assert_eq!(sale.body["reason"], "pos sale");
        assert!(sale.body["location"].as_str().unwrap().starts_with("store-"));
    }
    let keys: std::collections::BTreeSet<_> = sales.iter().filter_map(|s| s.key.clone()).collect();
    assert_eq!(keys.len(), sales.len(), "every sale has its own idempotency key");
    let _ = s.stop.send(true);
    s.running.stop().await;
}
