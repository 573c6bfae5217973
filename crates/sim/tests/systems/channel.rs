//! The web store and the sourcing stand-in against the fake hub: orders placed with idempotency keys,
//! deterministic for a seed; allocation to the nearest warehouse with stock, then release; backorders
//! tried again and finally cancelled.

use super::fake_hub::{FakeHub, released_order};
use super::{clock, context};
use crossdock_sim::catalog::{Catalog, CatalogConfig, default_sites};
use crossdock_sim::faults::FaultConfig;
use crossdock_sim::systems::SimSystem;
use crossdock_sim::systems::channel::{ChannelConfig, ChannelSystem};
use crossdock_sim::systems::sourcing::{SourcingConfig, SourcingOutcome, SourcingStandIn};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

fn web_store(hub: &FakeHub, orders: u32, sourcing: Option<Arc<SourcingStandIn>>) -> Arc<ChannelSystem> {
    let clock = clock(3600.0);
    let catalog = Arc::new(Catalog::generate(&CatalogConfig::default(), 1).unwrap());
    let config = ChannelConfig {
        orders,
        orders_per_hour: 3600.0,
        pickup_share: 0.0,
        cancel_share: 0.0,
        ..ChannelConfig::web_store()
    };
    Arc::new(ChannelSystem::new(
        context("web_store", hub, &clock, FaultConfig::default()),
        config,
        catalog,
        Arc::new(default_sites()),
        sourcing,
    ))
}

async fn placed_bodies(orders: u32) -> Vec<Value> {
    let hub = FakeHub::start().await;
    let store = web_store(&hub, orders, None);
    let (stop, stopped) = watch::channel(false);
    store.clone().spawn_tasks(stopped);
    let placed = hub.wait_for("POST", "/v1/orders", orders as usize, Duration::from_secs(10)).await;
    let _ = stop.send(true);
    assert!(super::eventually(3, || store.placed() == u64::from(orders) && store.done()).await);
    let mut bodies: Vec<Value> = placed
        .into_iter()
        .map(|r| {
            let mut body = r.body;
            assert_eq!(
                r.key.as_deref(),
                Some(format!("web:order:{}:1", body["external_id"].as_str().unwrap()).as_str())
            );
            body["placed_at"] = Value::Null;
            body
        })
        .collect();
    bodies.sort_by_key(|b| b["id"].as_str().unwrap_or_default().to_string());
    bodies
}

#[tokio::test]
async fn orders_are_placed_with_idempotency_keys_and_the_same_seed_gives_the_same_orders() {
    let first = placed_bodies(12).await;
    let second = placed_bodies(12).await;
    assert_eq!(first.len(), 12);
    assert_eq!(first, second);
    assert_eq!(first[0]["id"], "web-000001");
    assert_eq!(first[0]["channel"], "web");
    assert!(first.iter().all(|b| (1..=5).contains(&b["lines"].as_array().unwrap().len())));
}

#[tokio::test]
async fn a_failed_post_is_retried_with_the_same_key() {
    let hub = FakeHub::start().await;
    hub.fail_next(2);
    let store = web_store(&hub, 1, None);
    assert_eq!(store.place_next().await.as_deref(), Some("web-000001"));
    let posts = hub.requests_to("POST", "/v1/orders");
    assert_eq!(posts.len(), 3);
    assert!(posts.iter().all(|p| p.key == posts[0].key && p.body == posts[0].body));
}

#[tokio::test]
async fn a_share_of_orders_is_cancelled_by_the_shopper_instead_of_sourced() {
    let hub = FakeHub::start().await;
    let clock = clock(3600.0);
    let sourcing = Arc::new(SourcingStandIn::new(
        context("sourcing", &hub, &clock, FaultConfig::default()),
        Arc::new(default_sites()),
        SourcingConfig::default(),
    ));
    let catalog = Arc::new(Catalog::generate(&CatalogConfig::default(), 1).unwrap());
    let config = ChannelConfig { orders: 3, cancel_share: 1.0, ..ChannelConfig::web_store() };
    let store = ChannelSystem::new(
        context("web_store", &hub, &clock, FaultConfig::default()),
        config,
        catalog,
        Arc::new(default_sites()),
        Some(sourcing.clone()),
    );
    store.place_next().await;
    let cancels = hub.requests_to("POST", "/v1/orders/web-000001/cancel");
    assert_eq!(cancels.len(), 1);
    assert_eq!(cancels[0].key.as_deref(), Some("web:cancel:web-000001"));
    assert_eq!(sourcing.pending(), 0, "a cancelled order is not sourced");
}

#[tokio::test]
async fn the_stand_in_allocates_to_the_nearest_warehouse_with_stock_and_releases() {
    let hub = FakeHub::start().await;
    let clock = clock(3600.0);
    let sourcing = SourcingStandIn::new(
        context("sourcing", &hub, &clock, FaultConfig::default()),
        Arc::new(default_sites()),
        SourcingConfig::default(),
    );
    // A Los Angeles customer: the West DC is nearest, but it only has 1 unit; the rest comes from Central.
    let mut order = released_order("o1", &[("1", "SKU-A", 3)], None, "90012");
    order["status"] = json!("created");
    hub.put_order(order);
    hub.set_stock(&[("wh-east", 10), ("wh-central", 10), ("wh-west", 1), ("store-sf", 10)]);
    let outcome = sourcing.source("o1", None, 1).await.unwrap();
    assert_eq!(outcome, SourcingOutcome { allocated: 3, released: true, backordered: 0, cancelled: 0 });
    let allocations = hub.requests_to("POST", "/v1/orders/o1/allocations");
    assert_eq!(
        allocations[0].body,
        json!({"allocations": [{"line_id": "1", "location": "wh-west", "quantity": 1},
                               {"line_id": "1", "location": "wh-central", "quantity": 2}]}),
        "nearest first, split across warehouses, never a store for a shipped order"
    );
    assert_eq!(allocations[0].key.as_deref(), Some("sourcing:o1:allocate:1"));
    let releases = hub.requests_to("POST", "/v1/orders/o1/release");
    assert_eq!(releases.len(), 1);
    assert_eq!(releases[0].key.as_deref(), Some("sourcing:o1:release:1"));
}

#[tokio::test]
async fn a_pickup_order_goes_to_its_store_first() {
    let hub = FakeHub::start().await;
    let clock = clock(3600.0);
    let sourcing = SourcingStandIn::new(
        context("sourcing", &hub, &clock, FaultConfig::default()),
        Arc::new(default_sites()),
        SourcingConfig::default(),
    );
    hub.put_order(released_order("o1", &[("1", "SKU-A", 1)], None, "10001"));
    hub.set_stock(&[("wh-east", 10), ("store-nyc", 5)]);
    sourcing.source("o1", Some("store-nyc"), 1).await.unwrap();
    let allocations = hub.requests_to("POST", "/allocations");
    assert_eq!(allocations[0].body["allocations"][0]["location"], "store-nyc");
}

#[tokio::test]
async fn without_stock_the_order_waits_and_is_cancelled_after_the_last_try() {
    let hub = FakeHub::start().await;
    let clock = clock(3600.0);
    let config = SourcingConfig { retry_every_hours: 1.0, max_tries: 2, concurrency: 4 };
    let sourcing = Arc::new(SourcingStandIn::new(
        context("sourcing", &hub, &clock, FaultConfig::default()),
        Arc::new(default_sites()),
        config,
    ));
    hub.put_order(released_order("o1", &[("1", "SKU-A", 2)], None, "10001"));
    hub.set_stock(&[("wh-east", 0)]);
    let (stop, stopped) = watch::channel(false);
    sourcing.clone().spawn(stopped);
    assert!(sourcing.submit("o1", None));
    let cancels = hub.wait_for("POST", "/v1/orders/o1/cancel", 1, Duration::from_secs(5)).await;
    assert_eq!(cancels.len(), 1);
    assert_eq!(cancels[0].body["lines"], json!([{"line_id": "1", "quantity": 2}]));
    assert!(hub.requests_to("POST", "/allocations").is_empty());
    assert_eq!(hub.requests_to("GET", "/v1/orders/o1").len(), 2, "two tries");
    assert!(super::eventually(2, || sourcing.pending() == 0).await);
    let _ = stop.send(true);
}
