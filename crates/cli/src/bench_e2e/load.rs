//! The load of `bench e2e`: concurrent clients posting generated orders for a bounded time, as fast as
//! the peer answers, each order noted in the tracker just before it is sent.

use super::receivers::Tracker;
use crate::orders_gen::OrderGenerator;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Where the orders go.
#[derive(Clone)]
pub enum Target {
    /// The hub: `POST /v1/orders`, answered once durable, sourced and released to the warehouse in the same
    /// transaction (the hub's policy releases on sourcing).
    Hub { base: String, key: String },
    /// Node-RED's `POST /orders`.
    NodeRed { url: String },
}

/// What the clients did.
#[derive(Debug, Default)]
pub struct Sent {
    pub accepted: u64,
    pub failed: u64,
    pub seconds: f64,
    /// The first failure, for the report.
    pub first_error: Option<String>,
}

/// Sends orders from `concurrency` clients until `seconds` pass or `max_orders` are sent.
pub async fn drive(
    target: Target,
    tracker: Arc<Tracker>,
    seconds: f64,
    concurrency: usize,
    max_orders: u64,
    skus: usize,
    run: &str,
) -> anyhow::Result<Sent> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let stop_at = start + Duration::from_secs_f64(seconds);
    let mut clients = Vec::new();
    for worker in 0..concurrency {
        let (client, target, tracker, next) = (client.clone(), target.clone(), tracker.clone(), next.clone());
        let mut generator = OrderGenerator::new(worker as u64 + 1, skus, &format!("{run}-w{worker}"));
        clients.push(tokio::spawn(async move {
            let mut sent = Sent::default();
            let mut local = 0usize;
            while Instant::now() < stop_at && next.fetch_add(1, Ordering::Relaxed) < max_orders {
                let order = generator.order(local);
                local += 1;
                let id = order["id"].as_str().unwrap_or_default().to_string();
                tracker.sent(&id, Instant::now());
                match send(&client, &target, &order).await {
                    Ok(()) => sent.accepted += 1,
                    Err(e) => {
                        sent.failed += 1;
                        sent.first_error.get_or_insert(e);
                    }
                }
            }
            sent
        }));
    }
    let mut total = Sent::default();
    for handle in clients {
        let sent = handle.await?;
        total.accepted += sent.accepted;
        total.failed += sent.failed;
        if total.first_error.is_none() {
            total.first_error = sent.first_error;
        }
    }
    total.seconds = start.elapsed().as_secs_f64();
    Ok(total)
}

async fn send(client: &reqwest::Client, target: &Target, order: &serde_json::Value) -> Result<(), String> {
    let timeout = Duration::from_secs(30);
    match target {
        Target::Hub { base, key } => {
            let placed = client.post(format!("{base}/v1/orders")).bearer_auth(key).json(order).timeout(timeout);
            expect(placed.send().await, "POST /v1/orders").await
        }
        Target::NodeRed { url } => {
            expect(client.post(url).json(order).timeout(timeout).send().await, "POST /orders").await
        }
    }
}

async fn expect(response: reqwest::Result<reqwest::Response>, what: &str) -> Result<(), String> {
    let response = response.map_err(|e| format!("{what}: {e}"))?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| format!("{what}: {e}"))?;
    if status.is_success() { Ok(()) } else { Err(format!("{what}: {status} {}", String::from_utf8_lossy(&body))) }
}
