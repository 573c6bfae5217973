//! `crossdock bench e2e`: orders end to end with a 5-way fan-out, crossdock against Node-RED in one run.
//! Each peer gets fresh receivers (WMS, ERP, CRM, TMS, finance) on loopback and clients posting generated
//! orders as fast as it answers for `--seconds`; an order counts once all five receivers have it. The hub
//! is `crossdock serve` in a child process on a fresh SQLite file, durable (an order is answered once
//! committed) and sourcing each order before it is released; Node-RED answers 202 before anything is kept.
//! `--webhook-batch N` lets the hub send its webhooks in batches of up to N (a JSON array per POST); the
//! default, 1, is one request per message, as Node-RED sends them.

mod hub;
mod load;
mod node_red;
mod process;
mod receivers;

use anyhow::bail;
use clap::Args;
use load::{Sent, Target};
use receivers::{SYSTEMS, Tracker};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Args)]
pub struct E2eArgs {
    /// How long each peer is loaded, in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Concurrent clients posting orders.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// At most this many orders per peer, whatever the time.
    #[arg(long, default_value_t = 500_000)]
    pub max_orders: u64,
    /// Skus ordered (Zipf-popular), each stocked at three warehouses of the hub.
    #[arg(long, default_value_t = 500)]
    pub skus: usize,
    /// Deliveries in flight per system in the hub; with `--webhook-batch N`, at least 4 × N (four batches).
    #[arg(long, default_value_t = 64)]
    pub max_in_flight: u32,
    /// Messages per webhook POST from the hub (`batch_max` of its five systems, 1..=1000); 1, the default,
    /// is one request per message, like for like with Node-RED.
    #[arg(long, default_value_t = 1)]
    pub webhook_batch: u32,
    /// Time allowed, after the clients stop, for the fan-out to finish.
    #[arg(long, default_value_t = 60)]
    pub drain_secs: u64,
    /// Measure crossdock only.
    #[arg(long)]
    pub no_node_red: bool,
}

/// The figures of one peer.
struct PeerResult {
    name: String,
    sent: Sent,
    delivered: u64,
    orders_per_sec: f64,
    delivery_ms: (f64, f64),
    end_to_end_ms: (f64, f64),
    duplicates: u64,
    /// Arrivals of orders the load never sent.
    unknown: u64,
    cpu_seconds: Option<f64>,
    wall_seconds: f64,
    peak_mib: Option<f64>,
}

impl PeerResult {
    fn print(&self) {
        let cpu = match self.cpu_seconds {
            Some(cpu) => format!(
                "CPU {cpu:.1} s ({:.2} cores, {:.2} ms per order)",
                cpu / self.wall_seconds.max(1e-9),
                cpu * 1000.0 / self.delivered.max(1) as f64
            ),
            None => "CPU unknown".into(),
        };
        let memory = self.peak_mib.map_or("peak memory unknown".into(), |m| format!("peak memory {m:.0} MiB"));
        println!(
            "{}: {} orders accepted ({} failed) in {:.1} s; {} delivered to all {} systems = {:.0} orders/s end to end; \
             order sent → one system p50 {:.1} ms, p99 {:.1} ms; → all systems p50 {:.1} ms, p99 {:.1} ms; \
             {} duplicates, {} unknown; {cpu}; {memory}",
            self.name,
            self.sent.accepted,
            self.sent.failed,
            self.sent.seconds,
            self.delivered,
            SYSTEMS.len(),
            self.orders_per_sec,
            self.delivery_ms.0,
            self.delivery_ms.1,
            self.end_to_end_ms.0,
            self.end_to_end_ms.1,
            self.duplicates,
            self.unknown,
        );
        if let Some(error) = &self.sent.first_error {
            println!("  first failure: {error}");
        }
    }
}

/// Loads `target` (a process `pid`) and waits for the fan-out of what it accepted.
async fn measure(
    name: &str,
    target: Target,
    pid: u32,
    tracker: Arc<Tracker>,
    args: &E2eArgs,
) -> anyhow::Result<PeerResult> {
    let cpu_before = process::cpu_seconds(pid);
    let started = Instant::now();
    let run = format!("e2e{}", chrono::Utc::now().timestamp_micros());
    let sent =
        load::drive(target, tracker.clone(), args.seconds, args.concurrency, args.max_orders, args.skus, &run).await?;
    let deadline = Instant::now() + Duration::from_secs(args.drain_secs);
    while tracker.done.load(Ordering::Relaxed) < sent.accepted && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let wall_seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = process::cpu_seconds(pid).zip(cpu_before).map(|(after, before)| after - before);
    let (delivery_ms, end_to_end_ms) = tracker.latencies_ms();
    Ok(PeerResult {
        name: name.to_string(),
        delivered: tracker.done.load(Ordering::Relaxed),
        orders_per_sec: tracker.orders_per_sec(),
        delivery_ms,
        end_to_end_ms,
        duplicates: tracker.duplicates.load(Ordering::Relaxed),
        unknown: tracker.unknown.load(Ordering::Relaxed),
        cpu_seconds,
        wall_seconds,
        peak_mib: process::peak_rss_mib(pid),
        sent,
    })
}

pub async fn run(args: E2eArgs) -> anyhow::Result<()> {
    if !(args.seconds > 0.0 && args.seconds <= 600.0) || args.concurrency == 0 || args.skus == 0 {
        bail!("--seconds must be in (0, 600], --concurrency and --skus at least 1");
    }
    if !(1..=crossdock_connect::transport::MAX_BATCH as u32).contains(&args.webhook_batch) {
        bail!("--webhook-batch must be in 1..={}", crossdock_connect::transport::MAX_BATCH);
    }
    // Each message of a batch holds one in-flight slot: room for four batches, as the config's default.
    let batching = args.webhook_batch > 1;
    let max_in_flight = if batching { args.max_in_flight.max(4 * args.webhook_batch) } else { args.max_in_flight };
    let delivery = hub::Delivery { max_in_flight, batch_max: args.webhook_batch };
    let webhooks = if batching {
        format!("webhooks in batches of up to {} (max_in_flight {max_in_flight})", args.webhook_batch)
    } else {
        format!("one webhook request per message (max_in_flight {max_in_flight})")
    };
    let dir = tempfile::tempdir()?;

    let tracker = Tracker::new();
    let receivers = receivers::start(&tracker).await?;
    let hub = hub::start(dir.path(), &receivers, args.skus, delivery).await?;
    let target = Target::Hub { base: hub.base.clone(), key: hub.key.clone() };
    let name = format!("crossdock (SQLite, durable, auto-sourced, released; {webhooks})");
    let ours = measure(&name, target, hub.pid, tracker, &args).await;
    let sync = match &ours {
        Ok(_) => hub::sync_latencies(&hub).await,
        Err(_) => Ok(Vec::new()),
    };
    hub.stop().await;
    let ours = ours?;
    ours.print();
    match sync {
        Ok(systems) => {
            let figures: Vec<String> =
                systems.iter().map(|(name, p50, p99)| format!("{name} p50 {p50:.1} ms / p99 {p99:.1} ms")).collect();
            println!("  sync latency (event committed → acknowledged, from GET /v1/kpis): {}", figures.join(", "));
        }
        Err(e) => println!("  sync latency unavailable: {e:#}"),
    }

    if args.no_node_red {
        return Ok(());
    }
    let installed = match node_red::ensure_installed().await? {
        Ok(installed) => installed,
        Err(reason) => {
            println!("node-red: skipped ({reason})");
            return Ok(());
        }
    };
    let tracker = Tracker::new();
    let receivers = receivers::start(&tracker).await?;
    let peer = node_red::start(&installed.0, installed.1, dir.path(), &receivers).await?;
    let name = format!("node-red {} (not durable, no sourcing)", peer.version);
    let theirs = measure(&name, Target::NodeRed { url: peer.url.clone() }, peer.pid, tracker, &args).await;
    peer.stop().await;
    let theirs = theirs?;
    theirs.print();
    println!(
        "ratio: crossdock {:.0} / node-red {:.0} orders/s = {:.1}x",
        ours.orders_per_sec,
        theirs.orders_per_sec,
        ours.orders_per_sec / theirs.orders_per_sec.max(f64::EPSILON)
    );
    Ok(())
}
