//! `crossdock bench ingest`: durable order ingest over HTTP on loopback, with throughput and latency.

use crate::orders_gen::OrderGenerator;
use anyhow::{Context, bail};
use hdrhistogram::Histogram;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What `bench ingest` measures.
pub struct IngestArgs {
    pub orders: usize,
    pub concurrency: usize,
    /// Open-loop rate in orders per second; `None` sends as fast as the hub answers.
    pub rate: Option<u64>,
    /// `sqlite` (a fresh temporary file) or a `postgres://` URL.
    pub store: String,
    pub seed: u64,
    /// Seal PII at rest under a generated master key (as `serve` does); false measures without.
    pub pii: bool,
}

/// The figures of one run.
pub struct IngestReport {
    pub ok: usize,
    pub failed: usize,
    pub seconds: f64,
    pub latency: Histogram<u64>,
}

impl IngestReport {
    pub fn print(&self, label: &str) {
        let us = |q: f64| self.latency.value_at_quantile(q) as f64 / 1000.0;
        println!(
            "{label}: {} orders in {:.2} s = {:.0} orders/s durable; latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {} failed",
            self.ok,
            self.seconds,
            self.ok as f64 / self.seconds,
            us(0.5),
            us(0.9),
            us(0.99),
            self.latency.max() as f64 / 1000.0,
            self.failed
        );
    }
}

/// One worker's (or the run's) answers: the latency of the accepted orders, and how many failed.
struct Tally {
    latency: Histogram<u64>,
    ok: usize,
    failed: usize,
}

impl Tally {
    fn new() -> Self {
        let latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("constant histogram bounds");
        Self { latency, ok: 0, failed: 0 }
    }

    /// Counts one answer. Only a success adds its latency: the percentiles describe durable orders, as the
    /// throughput does; a fast 4xx or a timeout would otherwise pull them down or up.
    fn record(&mut self, succeeded: bool, latency: Duration) {
        if succeeded {
            self.ok += 1;
            self.latency.saturating_record(latency.as_micros() as u64);
        } else {
            self.failed += 1;
        }
    }
}

/// Starts a hub on loopback over the chosen store and posts generated orders to it.
pub async fn ingest(args: IngestArgs) -> anyhow::Result<IngestReport> {
    if args.orders == 0 || args.concurrency == 0 {
        bail!("--orders and --concurrency must be at least 1");
    }
    let dir = tempfile::tempdir().context("creating a temporary folder")?;
    let url = match args.store.as_str() {
        "sqlite" => format!("sqlite://{}", dir.path().join("bench.db").display()),
        u if u.starts_with("postgres") => u.to_string(),
        other => bail!("--store {other:?}: expected `sqlite` or a postgres:// URL"),
    };
    let options = match args.pii {
        true => {
            let master = crossdock_store::MasterKey::from_hex(&crossdock_store::MasterKey::generate_hex(), "bench")
                .map_err(anyhow::Error::msg)?;
            crossdock_store::StoreOptions { pii: Some(Arc::new(master)) }
        }
        false => crossdock_store::StoreOptions::default(),
    };
    let store = crossdock_store::open_with(&url, options)
        .await
        .with_context(|| format!("opening the store {}", crossdock_store::redact_url(&url)))?;
    let (key, record) = crossdock_server::auth::new_key("bench", vec!["orders:write".into()], None);
    store.insert_api_key(&record).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = crossdock_server::AppState::new(store.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crossdock_server::serve(listener, state, async move {
        let _ = stopped.await;
    }));

    let run = format!("bench{}", chrono::Utc::now().timestamp_micros());
    let mut generator = OrderGenerator::new(args.seed, 1000, &run);
    let bodies: Arc<Vec<Vec<u8>>> =
        Arc::new((0..args.orders).map(|n| serde_json::to_vec(&generator.order(n)).expect("json")).collect());
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency).build()?;
    let endpoint = format!("http://{addr}/v1/orders");
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let (client, endpoint, key, bodies, next) =
            (client.clone(), endpoint.clone(), key.clone(), bodies.clone(), next.clone());
        let rate = args.rate;
        workers.push(tokio::spawn(async move {
            let mut tally = Tally::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= bodies.len() {
                    break;
                }
                // Open loop: order n is due at n / rate seconds; latency counts from then.
                let due = match rate {
                    Some(r) => {
                        let due = start + Duration::from_secs_f64(n as f64 / r as f64);
                        tokio::time::sleep_until(due.into()).await;
                        due
                    }
                    None => Instant::now(),
                };
                let response = client
                    .post(&endpoint)
                    .bearer_auth(&key)
                    .header("content-type", "application/json")
                    .body(bodies[n].clone())
                    .timeout(Duration::from_secs(30))
                    .send()
                    .await;
                let succeeded = match response {
                    Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                    _ => false,
                };
                tally.record(succeeded, due.elapsed());
            }
            tally
        }));
    }
    let mut total = Tally::new();
    for worker in workers {
        let tally = worker.await?;
        total.latency.add(tally.latency)?;
        total.ok += tally.ok;
        total.failed += tally.failed;
    }
    let Tally { latency, ok, failed } = total;
    let seconds = start.elapsed().as_secs_f64();
    let _ = stop.send(());
    let _ = server.await;
    Ok(IngestReport { ok, failed, seconds, latency })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_counted_but_not_in_the_latency() {
        let mut tally = Tally::new();
        tally.record(true, Duration::from_millis(5));
        tally.record(false, Duration::from_millis(1));
        tally.record(false, Duration::from_secs(30));
        assert_eq!((tally.ok, tally.failed), (1, 2));
        assert_eq!(tally.latency.len(), 1);
        assert!(tally.latency.max() >= 4_900 && tally.latency.max() <= 5_100, "{}", tally.latency.max());
    }
}
