//! End to end against a real hub in process (SQLite in a temporary folder): the sites and opening stock
//! are put on the hub, the web store and the marketplace place orders, the sourcing stand-in allocates and
//! releases them, and — the hub's dispatcher not being wired yet — the change-feed stand-in hands the
//! hub's events to the WMS, the carrier, the POS, the ERP and the CRM through their `handle_event`, until
//! every order has run its whole life.

use chrono::TimeDelta;
use crossdock_model::{Order, OrderStatus};
use crossdock_sim::{HubConfig, SimConfig, SimNetwork};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Hub {
    base: String,
    key: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

async fn start_hub() -> Hub {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("hub.db").display());
    let store: Arc<dyn crossdock_store::Store> = crossdock_store::open(&url).await.unwrap();
    let (key, record) = crossdock_server::auth::new_key("sim", vec!["admin".to_string()], None);
    store.insert_api_key(&record).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = crossdock_server::AppState::new(store);
    tokio::spawn(crossdock_server::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    Hub { base, key, stop: Some(stop), _dir: dir }
}

/// Every order on the hub.
async fn all_orders(hub: &Hub) -> Vec<Order> {
    let client = crossdock_sim::new_http_client();
    let mut orders = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut url = format!("{}/v1/orders?limit=500", hub.base);
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: serde_json::Value = client.get(url).bearer_auth(&hub.key).send().await.unwrap().json().await.unwrap();
        orders.extend(serde_json::from_value::<Vec<Order>>(page["items"].clone()).unwrap());
        cursor = page["next_cursor"].as_str().map(str::to_string);
        if cursor.is_none() {
            break;
        }
    }
    orders
}

fn finished(order: &Order) -> bool {
    matches!(
        order.status,
        OrderStatus::Delivered | OrderStatus::PartiallyReturned | OrderStatus::Returned | OrderStatus::Cancelled
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn orders_run_their_whole_life_through_a_real_hub() {
    run_whole_life(40, 50, Duration::from_secs(120)).await;
}

/// The demo's scale (2,000 orders; about 15 s): `cargo test -p crossdock-sim --test end_to_end -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "demo scale: 2,000 orders, about 15 s"]
async fn two_thousand_orders_at_demo_scale() {
    run_whole_life(2000, 200, Duration::from_secs(600)).await;
}

async fn run_whole_life(count: u32, skus: usize, within: Duration) {
    let mut hub = start_hub().await;
    let mut config = SimConfig::new(HubConfig::new(&hub.base, &hub.key), 42).with_orders(count);
    config.time_factor = 100_000.0;
    config.catalog.skus = skus;
    config.catalog.warehouse_units = 8 * count;
    config.catalog.store_units = 2 * count;
    config.pos.sales_per_hour = 1.0;
    config.pos.return_rate = 0.1;
    config.web_store.orders_per_hour = f64::from(count) / 2.0;
    config.marketplace.orders_per_hour = f64::from(count) / 4.0;

    let mut network = SimNetwork::start(config).await.unwrap();
    let endpoints = network.endpoints();
    assert_eq!(endpoints.len(), 7);
    assert!(endpoints.iter().all(|e| e.webhook_url.starts_with("http://127.0.0.1:") && e.secret.starts_with("whsec_")));
    assert!(network.systems_toml().contains("[[subscriptions]]\nname = \"wms-events\""));

    let seeded = network.seed_hub().await.unwrap();
    assert_eq!(seeded, 9 + skus as u32 * 9);
    network.start_traffic();
    network.spawn_change_feed_stand_in(0, Duration::from_millis(20)).unwrap();

    let started = Instant::now();
    let mut orders = Vec::new();
    while started.elapsed() < within {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if network.orders_placed() < u64::from(count) || !network.is_idle() {
            continue;
        }
        orders = all_orders(&hub).await;
        if orders.len() == count as usize && orders.iter().all(finished) {
            break;
        }
    }
    let report = network.report();
    let statuses: BTreeMap<&str, usize> = orders.iter().fold(BTreeMap::new(), |mut m, o| {
        *m.entry(o.status.as_str()).or_default() += 1;
        m
    });
    let context = format!("statuses {statuses:?}\nreport {}", serde_json::to_string_pretty(&report).unwrap());

    assert_eq!(report.orders_placed, u64::from(count), "{context}");
    assert_eq!(report.orders_failed, 0, "{context}");
    assert_eq!(orders.len(), count as usize, "{context}");
    assert!(orders.iter().all(finished), "every order ran its life: {context}");
    let delivered: Vec<&Order> = orders.iter().filter(|o| o.status != OrderStatus::Cancelled).collect();
    assert!(delivered.len() >= count as usize * 3 / 4, "{context}");
    assert!(orders.iter().any(|o| o.channel.as_str() == "marketplace"), "{context}");

    // Simulated timestamps: placed → delivered spans days of simulated time, not milliseconds.
    let mut cycle_hours: Vec<i64> = delivered
        .iter()
        .filter_map(|o| {
            let last = o.shipments.iter().filter_map(|s| s.delivered_at).max()?;
            Some((last - o.placed_at).num_hours())
        })
        .collect();
    cycle_hours.sort_unstable();
    let median = cycle_hours.get(cycle_hours.len() / 2).copied().unwrap_or(0);
    assert!((12..=24 * 15).contains(&median), "median cycle {median} h: {context}");
    let span = report.sim_time - network.clock().origin();
    assert!(span > TimeDelta::days(2), "{context}");

    // Every system did its part, and what they sent went over the wire.
    let sent = |name: &str, action: &str| {
        report.systems.iter().find(|s| s.name == name).and_then(|s| s.stats.sent.get(action).copied()).unwrap_or(0)
    };
    assert_eq!(sent("web_store", "place_order") + sent("marketplace", "place_order"), u64::from(count));
    // The hub sources orders itself when they are placed; the stand-in releases them (and allocates only what
    // the hub left unallocated).
    assert!(sent("sourcing", "release_to_warehouse") >= count as u64 * 3 / 4, "{context}");
    assert!(sent("wms", "confirm_shipment") > 0, "{context}");
    assert!(sent("tms", "confirm_delivery") > 0, "{context}");
    assert_eq!(report.erp_orders, count as usize, "{context}");
    assert!(report.crm_customers > 0, "{context}");
    let shipped_units: u32 = orders.iter().flat_map(|o| &o.lines).map(|l| l.quantities.shipped).sum();
    assert!(shipped_units > 0);
    let erp = network.erp.reconciliation();
    assert!(erp.totals.invoiced_minor > 0, "{context}");

    eprintln!("{count} orders in {:?}: median cycle {median} h, statuses {statuses:?}", started.elapsed());
    network.stop().await;
    if let Some(stop) = hub.stop.take() {
        let _ = stop.send(());
    }
}
