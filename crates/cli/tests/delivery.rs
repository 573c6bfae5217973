//! Delivery with real `crossdock serve` processes and a webhook receiver on loopback: a process SIGKILLed
//! during delivery and restarted loses nothing (duplicates carry the same idempotency key), and two
//! processes on one PostgreSQL schema deliver every (event, subscription) exactly once in a run without
//! failures.

mod support;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{create_key, crossdock, start};

/// Every request the receiver answered: (idempotency key, webhook-id).
#[derive(Default)]
struct Received {
    requests: Mutex<Vec<(String, String)>>,
    delay: Duration,
}

async fn receive(State(received): State<Arc<Received>>, headers: HeaderMap) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    tokio::time::sleep(received.delay).await;
    received.requests.lock().unwrap().push((header("idempotency-key"), header("webhook-id")));
    StatusCode::OK
}

async fn receiver(delay: Duration) -> (String, Arc<Received>) {
    let received = Arc::new(Received { requests: Mutex::new(Vec::new()), delay });
    let app = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

fn config_text(store_url: &str, hook: &str, lease_secs: u64, max_in_flight: u32) -> String {
    format!(
        "[store]\nurl = \"{store_url}\"\n[pii]\nplaintext_dev_mode = true\n[dispatch]\nlease_secs = {lease_secs}\npoll_interval_ms = 20\n\
         [[systems]]\nname = \"erp\"\nrole = \"erp\"\ntimeout_ms = 1000\nmax_in_flight = {max_in_flight}\n\
         transport = {{ type = \"http\", url = \"{hook}\" }}\nauth = {{ type = \"hmac\", secret = \"whsec_dGVzdC1zaWduaW5nLWtleS0wMTIzNDU2Nzg5\" }}\n\
         [[subscriptions]]\nname = \"to-erp\"\nsystem = \"erp\"\nevents = [\"*\"]\n"
    )
}

fn order(n: usize) -> Value {
    json!({
        "channel": "web", "external_id": format!("d-{n}"),
        "ship_to": {"name": "Ada Lovelace", "line1": "1 Main St", "city": "Springfield", "region": "IL", "postal_code": "62701", "country": "US"},
        "currency": "USD",
        "lines": [{"id": "1", "sku": "SKU-1", "quantity": 1, "unit_price": {"amount_minor": 999, "currency": "USD"}}]
    })
}

/// Posts `count` orders spread over `urls`; returns the highest sequence number written.
async fn place_orders(urls: &[String], key: &str, count: usize) -> i64 {
    crossdock_connect::transport::install_default_crypto_provider();
    let client = reqwest::Client::new();
    let mut head = 0;
    for n in 0..count {
        let url = &urls[n % urls.len()];
        let reply: Value = client
            .post(format!("{url}/v1/orders"))
            .bearer_auth(key)
            .json(&order(n))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        head = head.max(reply["receipt"]["last_seq"].as_i64().unwrap());
    }
    head
}

/// Delivered sequence numbers of subscription `to-erp`, with how often each arrived.
fn delivered(received: &Received) -> BTreeMap<i64, usize> {
    let mut seen = BTreeMap::new();
    for (key, webhook_id) in received.requests.lock().unwrap().iter() {
        assert_eq!(key, webhook_id, "webhook-id and Idempotency-Key agree");
        let seq = key.strip_prefix("to-erp:").and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("key {key:?}"));
        *seen.entry(seq).or_insert(0) += 1;
    }
    seen
}

async fn wait_for_all(received: &Received, head: i64, limit: Duration) -> BTreeMap<i64, usize> {
    let deadline = Instant::now() + limit;
    loop {
        let seen = delivered(received);
        let complete = (1..=head).all(|seq| seen.contains_key(&seq));
        if complete || Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_delivery_loses_nothing_and_duplicates_share_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("crossdock.toml");
    let db = dir.path().join("hub.db");
    // A slow receiver and few sends in flight, so the kill lands mid-delivery; short leases for the restart.
    let (hook, received) = receiver(Duration::from_millis(30)).await;
    std::fs::write(&config, config_text(&format!("sqlite://{}", db.display()), &hook, 3, 2)).unwrap();
    let key = create_key(&config, "t");

    let (mut child, url) = start(&config);
    let head = place_orders(std::slice::from_ref(&url), &key, 150).await;
    assert!(head >= 150);
    let deadline = Instant::now() + Duration::from_secs(30);
    while (delivered(&received).len() as i64) < head / 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().expect("SIGKILL serve");
    child.wait().unwrap();
    let before = delivered(&received).len() as i64;
    assert!(before > 0 && before < head, "the kill came during delivery ({before} of {head} delivered)");

    let (mut child, _url) = start(&config);
    let seen = wait_for_all(&received, head, Duration::from_secs(60)).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let missing: Vec<i64> = (1..=head).filter(|seq| !seen.contains_key(seq)).collect();
    if !missing.is_empty() {
        let out = crossdock(&config).args(["dlq", "list", "--json"]).output().unwrap();
        println!("dead letters:\n{}", String::from_utf8_lossy(&out.stdout));
        let _ = std::fs::copy(&db, "/tmp/delivery-failed.db");
    }
    assert!(
        missing.is_empty(),
        "{} of {head} events never arrived, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    let duplicates = seen.values().filter(|n| **n > 1).count();
    println!(
        "sigkill during delivery: {before} of {head} delivered before the kill, all after; {duplicates} sent twice (same key)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_postgres_schema_deliver_each_event_once() {
    let Some(db) = crossdock_store::testing::postgres().await.unwrap() else {
        println!("skipped: CROSSDOCK_TEST_PG_URL is not set (two serve processes need PostgreSQL)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("crossdock.toml");
    let (hook, received) = receiver(Duration::from_millis(1)).await;
    std::fs::write(&config, config_text(&db.url, &hook, 30, 8)).unwrap();
    let key = create_key(&config, "t");
    let (mut a, url_a) = start(&config);
    let (mut b, url_b) = start(&config);
    let head = place_orders(&[url_a, url_b], &key, 200).await;
    let seen = wait_for_all(&received, head, Duration::from_secs(60)).await;
    // Let any late duplicate arrive before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let seen_after = delivered(&received);
    for child in [&mut a, &mut b] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let missing: BTreeSet<i64> = (1..=head).filter(|seq| !seen.contains_key(seq)).collect();
    assert!(missing.is_empty(), "never delivered: {missing:?}");
    let twice: Vec<(&i64, &usize)> = seen_after.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    println!("two processes: {head} events, each delivered once");
}

#[tokio::test]
async fn bench_deliver_counts_only_its_own_run_on_a_database_that_has_earlier_ones() {
    let Some(db) = crossdock_store::testing::postgres().await.expect("a fresh PostgreSQL schema") else {
        println!("skipped: CROSSDOCK_TEST_PG_URL is not set");
        return;
    };
    for run in 1..=2 {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_crossdock"))
            .args(["bench", "deliver", "--events", "40", "--systems", "2", "--timeout-secs", "60", "--store", &db.url])
            .env("CROSSDOCK_LOG", "warn")
            .output()
            .unwrap();
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "run {run}: {said}");
        // Each run commits its own events (earlier runs' keys would be duplicates that commit nothing) and
        // waits only for their deliveries.
        let committed: u64 = said
            .split(" events committed")
            .next()
            .and_then(|s| s.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!((40..400).contains(&committed), "run {run}: {said}");
        let expected = format!("{0} of {0} deliveries", committed * 2);
        assert!(said.contains(&expected) && !said.contains("gave up"), "run {run}: {said}");
    }
}
