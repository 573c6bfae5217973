//! Oversell race across processes: two real `crossdock serve` processes on one PostgreSQL database take 200
//! concurrent one-unit orders for a sku with 50 units at three warehouses. Exactly 50 units are promised, the
//! other 150 orders are backordered, and no position is reserved beyond its stock. Runs when
//! `CROSSDOCK_TEST_PG_URL` is set (the single-process and SQLite cases are in the store test suite).

mod support;

use serde_json::{Value, json};
use std::process::Child;
use std::time::Duration;
use support::{create_key, start};

const ORDERS: usize = 200;
const STOCK: [(&str, i64); 3] = [("W1", 20), ("W2", 20), ("W3", 10)];

/// A `serve` process, killed when dropped so a failing assertion leaves no process behind.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn order(n: usize) -> Value {
    json!({
        "id": format!("race-{n}"),
        "channel": "web",
        "external_id": format!("race-ext-{n}"),
        "ship_to": {"name": "Grace Hopper", "line1": "1 Main St", "city": "Springfield", "region": "IL", "postal_code": "62701", "country": "US"},
        "currency": "USD",
        "lines": [{"id": "1", "sku": "SKU-RACE", "quantity": 1, "unit_price": {"amount_minor": 1000, "currency": "USD"}}]
    })
}

async fn send(client: &reqwest::Client, key: &str, method: reqwest::Method, url: String, body: &Value) -> Value {
    let reply = client.request(method, &url).bearer_auth(key).json(body).send().await.expect("send");
    let status = reply.status();
    let body: Value = reply.json().await.expect("json reply");
    assert!(status.is_success(), "{url}: {status} {body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_serve_processes_on_one_postgres_database_never_oversell() {
    let Some(db) = crossdock_store::testing::postgres().await.expect("a fresh PostgreSQL schema") else {
        println!("skipped: CROSSDOCK_TEST_PG_URL is not set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("crossdock.toml");
    std::fs::write(&config, format!("[store]\nurl = \"{}\"\n[pii]\nmaster_key_file = \"pii.key\"\n", db.url)).unwrap();
    std::fs::write(dir.path().join("pii.key"), "5a".repeat(32)).unwrap();
    let key = create_key(&config, "race");

    let (a, url_a) = start(&config);
    let (b, url_b) = start(&config);
    let (_a, _b) = (Serve(a), Serve(b));
    crossdock_connect::transport::install_default_crypto_provider();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    for (i, (location, units)) in STOCK.iter().enumerate() {
        let body =
            json!({"name": location, "kind": "warehouse", "coordinates": {"lat": 40.0 + i as f64, "lon": -90.0}});
        send(&client, &key, reqwest::Method::PUT, format!("{url_a}/v1/locations/{location}"), &body).await;
        let adjust = json!({"sku": "SKU-RACE", "location": location, "delta": units, "reason": "receipt"});
        send(&client, &key, reqwest::Method::POST, format!("{url_b}/v1/inventory/adjustments"), &adjust).await;
    }

    // 200 orders at once, alternating between the two processes.
    let placing: Vec<_> = (0..ORDERS)
        .map(|n| {
            let (client, key) = (client.clone(), key.clone());
            let url = if n % 2 == 0 { url_a.clone() } else { url_b.clone() };
            tokio::spawn(async move {
                send(&client, &key, reqwest::Method::POST, format!("{url}/v1/orders"), &order(n)).await;
            })
        })
        .collect();
    for task in placing {
        task.await.expect("every order is answered 2xx");
    }

    let mut statuses = std::collections::BTreeMap::<String, usize>::new();
    let mut promised = 0;
    for n in 0..ORDERS {
        let url = format!("{url_a}/v1/orders/race-{n}");
        let reply = client.get(&url).bearer_auth(&key).send().await.unwrap();
        let order: Value = reply.json().await.unwrap();
        *statuses.entry(order["status"].as_str().unwrap_or("?").to_string()).or_default() += 1;
        let lines = order["lines"].as_array().cloned().unwrap_or_default();
        promised += lines.iter().map(|l| l["quantities"]["allocated"].as_i64().unwrap_or(0)).sum::<i64>();
    }
    let positions: Value = client
        .get(format!("{url_b}/v1/inventory?sku=SKU-RACE"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let positions = positions["items"].as_array().expect("positions").clone();
    let reserved: i64 = positions.iter().map(|p| p["reserved"].as_i64().unwrap()).sum();
    for p in &positions {
        assert!(p["reserved"].as_i64() <= p["on_hand"].as_i64(), "oversold at a location: {p}");
    }
    println!(
        "two processes, {ORDERS} orders for 50 units: {statuses:?}, {promised} units promised, {reserved} reserved"
    );
    assert_eq!(statuses.get("allocated"), Some(&50), "{statuses:?}");
    assert_eq!(statuses.get("backordered"), Some(&150), "{statuses:?}");
    assert_eq!((promised, reserved), (50, 50), "exactly the stock is promised");
}
