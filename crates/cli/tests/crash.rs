//! Crash test: a real `crossdock serve` is SIGKILLed in the middle of a burst of orders. After a
//! restart every order that was answered 2xx is there, and nothing is half-written.

mod support;

use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{create_key, start};

fn order(n: usize) -> Value {
    json!({
        "id": format!("crash-{n}"),
        "channel": "web",
        "external_id": format!("ext-{n}"),
        "ship_to": {"name": "Ada Lovelace", "line1": "1 Main St", "city": "Springfield", "region": "IL", "postal_code": "62701", "country": "US"},
        "currency": "USD",
        "lines": [
            {"id": "1", "sku": "SKU-1", "quantity": 2, "unit_price": {"amount_minor": 1999, "currency": "USD"}},
            {"id": "2", "sku": "SKU-2", "quantity": 1, "unit_price": {"amount_minor": 500, "currency": "USD"}}
        ]
    })
}

async fn get_all(
    client: &reqwest::Client,
    url: &str,
    key: &str,
    path: &str,
    cursor_field: &str,
    param: &str,
) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut request = client.get(format!("{url}{path}")).bearer_auth(key).query(&[("limit", "500")]);
        if let Some(c) = &cursor {
            request = request.query(&[(param, c.as_str())]);
        }
        let page: Value = request.send().await.unwrap().error_for_status().unwrap().json().await.unwrap();
        let batch = page["items"].as_array().unwrap().clone();
        if batch.is_empty() {
            return items;
        }
        items.extend(batch);
        cursor = match &page[cursor_field] {
            Value::Null => return items,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        };
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_burst_loses_no_acknowledged_order() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("crossdock.toml");
    let db = dir.path().join("hub.db");
    std::fs::write(
        &config,
        format!("[store]\nurl = \"sqlite://{}\"\n[pii]\nmaster_key_file = \"pii.key\"\n", db.display()),
    )
    .unwrap();
    std::fs::write(dir.path().join("pii.key"), "ab".repeat(32)).unwrap();
    let key = create_key(&config, "crash");

    let (mut child, url) = start(&config);
    crossdock_connect::transport::install_default_crypto_provider();
    let client = reqwest::Client::new();
    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let total = 3000;
    let mut senders = Vec::new();
    for _ in 0..16 {
        let (client, url, key, acknowledged, next) =
            (client.clone(), url.clone(), key.clone(), acknowledged.clone(), next.clone());
        senders.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= total {
                    return;
                }
                let sent = client
                    .post(format!("{url}/v1/orders"))
                    .bearer_auth(&key)
                    .json(&order(n))
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                if let Ok(r) = sent
                    && r.status().is_success()
                {
                    acknowledged.lock().unwrap().insert(format!("crash-{n}"));
                }
            }
        }));
    }
    // Kill once a good part of the burst has been answered, while the rest is in flight.
    for _ in 0..600 {
        if acknowledged.lock().unwrap().len() >= 400 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().expect("SIGKILL serve");
    child.wait().unwrap();
    for s in senders {
        s.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 400, "only {} orders answered before the kill", acknowledged.len());
    assert!(acknowledged.len() < total, "the kill came after the burst ended; nothing was in flight");

    let (mut child, url) = start(&config);
    let orders = get_all(&client, &url, &key, "/v1/orders", "next_cursor", "cursor").await;
    let events = get_all(&client, &url, &key, "/v1/events", "next_after", "after").await;
    child.kill().unwrap();
    child.wait().unwrap();

    let stored: BTreeMap<String, u64> =
        orders.iter().map(|o| (o["id"].as_str().unwrap().to_string(), o["version"].as_u64().unwrap())).collect();
    let missing: Vec<_> = acknowledged.iter().filter(|id| !stored.contains_key(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged orders lost, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );

    // Nothing half-written: every stored order has exactly its events, every placed event has its order.
    let mut per_order: BTreeMap<String, u64> = BTreeMap::new();
    for e in &events {
        if e["aggregate_kind"] == "order" {
            *per_order.entry(e["aggregate_id"].as_str().unwrap().to_string()).or_default() += 1;
        }
    }
    assert_eq!(per_order, stored, "event log and order projection disagree");
    println!("crash test: {} acknowledged before SIGKILL, {} stored after restart", acknowledged.len(), stored.len());
}
