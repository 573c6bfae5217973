//! `crossdock bench deliver`: commits orders to a store (a fresh SQLite file, or a PostgreSQL database that
//! may hold earlier runs: keys, subscriptions and counts are this run's own) and fans their events out to webhook
//! receivers on loopback (keep-alive HTTP), one subscription per receiver; measures deliveries per second
//! and the sync latency from commit (the store's answer) to the receiver's 2xx. With `--rate`, commands are
//! committed at a steady rate (open loop) and the latency is the figure to watch. With `--webhook-batch N` the
//! systems send up to N messages per signed POST (`batch_max`); every message is still a delivery of its own
//! (its own key and row), and the receivers count the messages in each array.

use crate::orders_gen::OrderGenerator;
use anyhow::{Context, bail};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use clap::Args;
use crossdock_connect::dispatch::{DispatchOptions, DispatchSubscription, DispatchSystem, Dispatcher};
use crossdock_connect::transport::{HttpTransport, HttpTransportConfig};
use crossdock_model::{Command, PlaceOrder};
use crossdock_store::{CommandRequest, Store};
use hdrhistogram::Histogram;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Args)]
pub struct DeliverArgs {
    /// Events to commit at least (orders are placed until the log holds this many).
    #[arg(long, default_value_t = 20_000)]
    pub events: usize,
    /// Webhook receivers (one system and one subscription to every event each).
    #[arg(long, default_value_t = 5)]
    pub systems: usize,
    /// Commit at this many commands per second (open loop) instead of as fast as possible.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub rate: Option<u64>,
    /// Concurrent committers in the as-fast-as-possible mode.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// `sqlite` for a fresh temporary file, or a postgres:// URL.
    #[arg(long, default_value = "sqlite")]
    pub store: String,
    /// Messages per webhook POST (`batch_max` of every system, 1..=1000); 1, the default, is one request per
    /// message.
    #[arg(long, default_value_t = 1)]
    pub webhook_batch: u32,
    /// Give up waiting for deliveries after this many seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout_secs: u64,
}

/// What one receiver saw: the sequence number and arrival time of every request.
#[derive(Default)]
struct Receiver {
    arrivals: Mutex<Vec<(i64, Instant)>>,
    count: AtomicU64,
}

/// One element of a batched webhook body: only the sequence number is read.
#[derive(serde::Deserialize)]
struct Element {
    seq: i64,
}

/// Records the sequence number of each message: from the `idempotency-key` header of a single message, or
/// from every element of a batch (a JSON array).
async fn receive(State(receiver): State<Arc<Receiver>>, headers: HeaderMap, body: axum::body::Bytes) -> StatusCode {
    let now = Instant::now();
    let seqs: Vec<i64> = if body.first() == Some(&b'[') {
        match serde_json::from_slice::<Vec<Element>>(&body) {
            Ok(elements) => elements.into_iter().map(|e| e.seq).collect(),
            Err(_) => return StatusCode::BAD_REQUEST,
        }
    } else {
        let seq = headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .and_then(|k| k.rsplit(':').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or(-1);
        vec![seq]
    };
    let count = seqs.len() as u64;
    receiver.arrivals.lock().unwrap_or_else(|e| e.into_inner()).extend(seqs.into_iter().map(|seq| (seq, now)));
    receiver.count.fetch_add(count, Ordering::Relaxed);
    StatusCode::NO_CONTENT
}

async fn start_receiver() -> anyhow::Result<(String, Arc<Receiver>)> {
    let receiver = Arc::new(Receiver::default());
    let app = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, receiver))
}

/// Commit times of this run's events, by sequence number past `base` (the log's head when the run began:
/// a database that already holds events costs no memory for them).
struct CommitTimes {
    base: i64,
    times: Mutex<Vec<Option<Instant>>>,
}

type Commits = Arc<CommitTimes>;

impl CommitTimes {
    fn new(base: i64) -> Self {
        Self { base: base.max(0), times: Mutex::new(Vec::new()) }
    }

    fn note(&self, first: i64, last: i64, at: Instant) {
        let mut times = self.times.lock().unwrap_or_else(|e| e.into_inner());
        for seq in first.max(self.base + 1)..=last {
            let i = (seq - self.base) as usize;
            if times.len() <= i {
                times.resize(i + 1, None);
            }
            times[i] = Some(at);
        }
    }

    /// When event `seq` was committed, if it is one of this run's.
    fn at(&self, seq: i64) -> Option<Instant> {
        let i = usize::try_from(seq - self.base).ok()?;
        self.times.lock().unwrap_or_else(|e| e.into_inner()).get(i).copied().flatten()
    }
}

pub async fn run(args: DeliverArgs) -> anyhow::Result<()> {
    if args.events == 0 || args.systems == 0 || args.concurrency == 0 {
        bail!("--events, --systems and --concurrency must be at least 1");
    }
    let batch = args.webhook_batch as usize;
    if !(1..=crossdock_connect::transport::MAX_BATCH).contains(&batch) {
        bail!("--webhook-batch must be in 1..={}", crossdock_connect::transport::MAX_BATCH);
    }
    let dir = tempfile::tempdir().context("creating a temporary folder")?;
    let url = match args.store.as_str() {
        "sqlite" => format!("sqlite://{}", dir.path().join("bench.db").display()),
        u if u.starts_with("postgres") => u.to_string(),
        other => bail!("--store {other:?}: expected `sqlite` or a postgres:// URL"),
    };
    let store = crossdock_store::open(&url).await.context("opening the store")?;
    // A postgres database may hold earlier runs: this run's subscriptions, keys and counts are its own.
    let run = format!("deliver{}", chrono::Utc::now().timestamp_micros());
    let base = store.head_seq().await.context("reading the log's head")?;
    let mut receivers = Vec::new();
    let mut systems = Vec::new();
    let mut subscriptions = Vec::new();
    for i in 0..args.systems {
        let (endpoint, receiver) = start_receiver().await?;
        let mut http = HttpTransportConfig::new(endpoint);
        http.max_idle_connections = 256;
        http.batch_max = batch;
        let mut system = DispatchSystem::new(format!("bench-{i}"), Arc::new(HttpTransport::new(http)?));
        // Four requests' worth in flight at least, and send batches that fill a request.
        system.max_in_flight = 256.max(4 * batch);
        system.batch_size = 64.max(batch);
        system.request_batch = batch;
        systems.push(system);
        let mut subscription = DispatchSubscription::new(format!("{run}-{i}-all"), format!("bench-{i}"), &["*"]);
        subscription.start = crossdock_store::SubscriptionStart::Head;
        // Registered here, before the first commit, not when the dispatcher gets to it: its cursor is the
        // head as it is now, so it neither back-fills earlier runs nor skips this run's first events.
        store.register_subscription(&subscription.name, &subscription.system, subscription.start).await?;
        subscriptions.push(subscription);
        receivers.push(receiver);
    }
    let options = DispatchOptions { poll_interval: Duration::from_millis(20), ..DispatchOptions::default() };
    let dispatcher = Dispatcher::new(store.clone(), systems, subscriptions, options)?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = dispatcher.clone();
    let dispatching = tokio::spawn(async move {
        running
            .run(async move {
                let _ = stopped.await;
            })
            .await
    });

    let commits: Commits = Arc::new(CommitTimes::new(base));
    let started = Instant::now();
    let committed = commit_orders(&args, &run, store.clone(), &dispatcher, &commits).await?;
    let commit_secs = started.elapsed().as_secs_f64();
    let expected = committed * args.systems as u64;
    let deadline = started + Duration::from_secs(args.timeout_secs);
    while receivers.iter().map(|r| r.count.load(Ordering::Relaxed)).sum::<u64>() < expected && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    let _ = stop.send(());
    dispatching.await?.context("the dispatcher failed")?;

    let mut latency = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3)?;
    let (mut received, mut unique, mut last) = (0u64, 0u64, started);
    for receiver in &receivers {
        let arrivals = receiver.arrivals.lock().unwrap_or_else(|e| e.into_inner());
        received += arrivals.len() as u64;
        let mut seen = HashSet::new();
        for (seq, at) in arrivals.iter() {
            last = last.max(*at);
            if !seen.insert(*seq) {
                continue;
            }
            unique += 1;
            if let Some(committed_at) = commits.at(*seq) {
                latency.saturating_record(at.saturating_duration_since(committed_at).as_micros().max(1) as u64);
            }
        }
    }
    let span = last.duration_since(started).as_secs_f64().max(f64::EPSILON);
    let ms = |q: f64| latency.value_at_quantile(q) as f64 / 1000.0;
    let mut mode = match args.rate {
        Some(r) => format!("steady {r} commands/s"),
        None => format!("as fast as possible, {} committers", args.concurrency),
    };
    if batch > 1 {
        mode.push_str(&format!(", up to {batch} messages per POST"));
    }
    println!(
        "deliver ({mode}, {} systems, {}): {committed} events committed in {commit_secs:.2} s ({:.0} events/s); \
         {unique} of {expected} deliveries in {span:.2} s = {:.0} deliveries/s; {} duplicates; \
         commit-to-2xx latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms{}",
        args.systems,
        if args.store == "sqlite" { "sqlite" } else { "postgres" },
        committed as f64 / commit_secs,
        unique as f64 / span,
        received - unique,
        ms(0.5),
        ms(0.9),
        ms(0.99),
        latency.max() as f64 / 1000.0,
        if unique < expected { format!("; gave up after {secs:.0} s") } else { String::new() },
    );
    Ok(())
}

/// Places generated orders until at least `args.events` events are committed; returns the event count.
async fn commit_orders(
    args: &DeliverArgs,
    run: &str,
    store: Arc<dyn Store>,
    dispatcher: &Dispatcher,
    commits: &Commits,
) -> anyhow::Result<u64> {
    let mut generator = OrderGenerator::new(1, 1000, run);
    let events = Arc::new(AtomicU64::new(0));
    let next = Arc::new(AtomicU64::new(0));
    let target = args.events as u64;
    let orders: Arc<Vec<PlaceOrder>> = Arc::new(
        (0..args.events)
            .map(|n| {
                let mut body = generator.order(n);
                body["placed_at"] = serde_json::json!(chrono::Utc::now());
                serde_json::from_value(body).context("a generated order is not a PlaceOrder")
            })
            .collect::<anyhow::Result<_>>()?,
    );
    let workers = if args.rate.is_some() { 256 } else { args.concurrency };
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (store, waker, events, next, orders, commits) =
            (store.clone(), dispatcher.waker(), events.clone(), next.clone(), orders.clone(), commits.clone());
        let (rate, run) = (args.rate, run.to_string());
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if events.load(Ordering::Relaxed) >= target || n as usize >= orders.len() {
                    return Ok::<(), anyhow::Error>(());
                }
                if let Some(r) = rate {
                    tokio::time::sleep_until((start + Duration::from_secs_f64(n as f64 / r as f64)).into()).await;
                }
                let request = CommandRequest {
                    idempotency_key: format!("{run}-{n}"),
                    command: Command::PlaceOrder(orders[n as usize].clone()),
                    actor: "bench".into(),
                    expected_version: None,
                    origin: Default::default(),
                };
                let receipt = store.submit(request).await.map_err(|e| anyhow::anyhow!("submit failed: {e}"))?;
                commits.note(receipt.first_seq, receipt.last_seq, Instant::now());
                events.fetch_add(u64::from(receipt.event_count), Ordering::Relaxed);
                waker.notify_one();
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    // This run's events (a shared database's head also counts what was there before).
    Ok(events.load(Ordering::Relaxed))
}
