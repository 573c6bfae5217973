//! A batching webhook system from `crossdock.toml` (`batch_max = 100`, `max_in_flight` left out): the
//! dispatcher hands the transport slices that fill a batch, and a system whose in-flight limit could not
//! hold one batch is refused.

use super::harness::{Running, SECRET, eventually, http_system, seed_orders, sqlite};
use crate::config::ConnectConfig;
use crate::dispatch::{DispatchError, DispatchSubscription, Dispatcher, from_config};
use crate::signature::{DEFAULT_TOLERANCE, SigningKey, WebhookHeaders, unix_now, verify};
use crate::transport::BATCH_SIZE_HEADER;
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the receiver saw: the element keys of each request, and requests failing their signature check.
#[derive(Default)]
struct Batches {
    requests: Vec<Vec<String>>,
    bad: usize,
}

async fn receiver() -> (String, Arc<Mutex<Batches>>) {
    let seen: Arc<Mutex<Batches>> = Arc::default();
    let log = seen.clone();
    let router = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| async move {
            let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
            let key = SigningKey::parse(SECRET).unwrap();
            let verified = WebhookHeaders::from_lookup(|name| get(name))
                .and_then(|signed| verify(&key, &signed, &body, unix_now(), DEFAULT_TOLERANCE));
            let elements: Vec<Value> = serde_json::from_slice(&body).unwrap_or_default();
            let keys: Vec<String> =
                elements.iter().map(|e| e["idempotency_key"].as_str().unwrap_or("").to_string()).collect();
            let mut log = log.lock().unwrap();
            if verified.is_err() || get(BATCH_SIZE_HEADER) != Some(keys.len().to_string().as_str()) {
                log.bad += 1;
                return StatusCode::UNAUTHORIZED;
            }
            log.requests.push(keys);
            StatusCode::NO_CONTENT
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    (url, seen)
}

fn config(url: &str) -> ConnectConfig {
    let text = format!(
        r#"
[[systems]]
name = "erp"
role = "erp"
transport = {{ type = "http", url = "{url}", batch_max = 100 }}
auth = {{ type = "hmac", secret = "{SECRET}" }}

[[subscriptions]]
name = "erp-orders"
system = "erp"
events = ["order.placed"]
"#
    );
    toml::from_str(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batching_system_gets_full_batches_with_the_default_in_flight_limit() {
    let (url, seen) = receiver().await;
    let folder = tempfile::tempdir().unwrap();
    let loaded = config(&url).load_with_env("crossdock.toml", folder.path(), &|_| None).unwrap();
    let (systems, subscriptions) = from_config(&loaded, &|_| None).unwrap();
    let erp = &systems[0];
    assert_eq!((erp.request_batch, erp.batch_size, erp.max_in_flight), (100, 100, 400));

    let db = sqlite();
    let store = db.open_store().await;
    seed_orders(store.as_ref(), "batch", 250, 0).await;
    let running = Running::start(store.clone(), systems, subscriptions, "batching");
    let delivered = || {
        let seen = seen.clone();
        async move { seen.lock().unwrap().requests.iter().flatten().collect::<HashSet<_>>().len() == 250 }
    };
    eventually(Duration::from_secs(20), "250 orders arrive in batches", delivered).await;
    running.stop().await;

    let seen = seen.lock().unwrap();
    assert_eq!(seen.bad, 0);
    let sizes: Vec<usize> = seen.requests.iter().map(Vec::len).collect();
    assert!(sizes.iter().all(|n| (1..=100).contains(n)), "{sizes:?}");
    // The 250 events are scheduled in one transaction and claimed together: full batches of 100, never
    // capped at the plain default of 16 in flight.
    assert_eq!(sizes.iter().max(), Some(&100), "{sizes:?}");
    assert!(sizes.len() <= 10, "250 messages took {} requests: {sizes:?}", sizes.len());
    for keys in &seen.requests {
        assert!(keys.iter().all(|k| k.starts_with("erp-orders:")), "{keys:?}");
    }
}

#[tokio::test]
async fn a_system_whose_in_flight_limit_cannot_hold_one_batch_is_refused() {
    let db = sqlite();
    let store = db.open_store().await;
    let mut erp = http_system("erp", "http://127.0.0.1:9/hook", Duration::from_secs(1));
    erp.request_batch = 100;
    erp.batch_size = 100;
    erp.max_in_flight = 16;
    let subscriptions = vec![DispatchSubscription::new("erp-orders", "erp", &["*"])];
    let Err(DispatchError::Setup(errors)) = Dispatcher::new(store, vec![erp], subscriptions, Default::default()) else {
        panic!("a batch of 100 behind 16 permits was accepted")
    };
    assert_eq!(
        errors,
        ["system \"erp\": batch_size (100) and max_in_flight (16) must be at least the transport's batch of 100"]
    );
}
