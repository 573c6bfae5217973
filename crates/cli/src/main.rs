//! The `crossdock` binary: serve the hub, manage API keys, check config, dead letters and replay, prune and
//! back up the store, jq mapping tests, benchmarks. Each command lives in its own module; this file only
//! dispatches.

mod audit;
mod backup;
mod bench;
mod bench_deliver;
mod bench_e2e;
mod bench_edi;
mod check;
mod config;
mod demo;
mod dlq;
mod edi;
mod keys;
mod map_cmd;
mod orders_gen;
mod policy_config;
mod prune;
mod retention_config;
mod serve;
mod store_url;

use anyhow::Context;

// The hub allocates many small, short-lived buffers per request (JSON, SQL rows); mimalloc spends far less
// time in malloc/free than glibc's allocator under that load (measured with `perf` on `bench ingest`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "crossdock", version, about = "A self-hosted OMS integration hub")]
struct Cli {
    /// Configuration file (default: ./crossdock.toml if present, else built-in defaults).
    #[arg(long, short, global = true, env = "CROSSDOCK_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the hub with simulated systems: orders through their whole life, then the KPI report.
    Demo(demo::DemoArgs),
    /// Run the hub: the HTTP API over the configured store.
    Serve {
        /// Listen address, overriding the configuration.
        #[arg(long)]
        listen: Option<String>,
    },
    /// Check the configuration, then that the store and every connected system answer.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Create, list and revoke API keys.
    Keys {
        #[command(subcommand)]
        action: keys::KeysAction,
    },
    /// The dead-letter queue: list, show, replay, discard.
    Dlq {
        #[command(subcommand)]
        action: dlq::DlqAction,
    },
    /// The audit trail: verify its hash chain.
    Audit {
        #[command(subcommand)]
        action: audit::AuditAction,
    },
    /// Delete delivered and discarded deliveries and idempotency records older than a number of days
    /// (defaults from [retention]); the event log and the audit trail are never pruned.
    Prune(prune::PruneArgs),
    /// Copy the SQLite store and its PII key file into DIR while the hub runs (PostgreSQL: use pg_dump).
    Backup {
        /// Folder to write the copies into (created if missing); existing files are never overwritten.
        dir: PathBuf,
    },
    /// Re-send a subscription's history from a sequence number (back-fill a new system).
    Replay {
        #[arg(long)]
        subscription: String,
        #[arg(long)]
        from_seq: i64,
    },
    /// jq mappings.
    Map {
        #[command(subcommand)]
        action: MapAction,
    },
    /// X12 files: parse, validate, acknowledge, map to canonical.
    Edi {
        #[command(subcommand)]
        action: edi::EdiAction,
    },
    /// Benchmarks (not tests): they print figures.
    Bench {
        #[command(subcommand)]
        which: BenchWhich,
    },
}

#[derive(Subcommand)]
enum ConfigAction {
    /// Validate the configuration, read secrets, compile mappings, connect to the store and to each system.
    Check,
}

#[derive(Subcommand)]
enum MapAction {
    /// Run a mapping on an input file, and compare with an expected output.
    Test {
        mapping: PathBuf,
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        expect: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum BenchWhich {
    /// Post generated orders over HTTP on loopback to a hub started for the run.
    Ingest {
        #[arg(long, default_value_t = 20_000)]
        orders: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Send at this many orders per second (open loop) instead of as fast as possible.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        rate: Option<u64>,
        /// `sqlite` for a fresh temporary file, `postgres` for CROSSDOCK_BENCH_PG_URL, or a postgres:// URL.
        #[arg(long, default_value = "sqlite")]
        store: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Store PII unencrypted (to measure what sealing it costs).
        #[arg(long)]
        no_pii: bool,
    },
    /// Cost-optimal sourcing on a generated network, against the exact optimum and a nearest-location baseline.
    Sourcing {
        #[arg(long, default_value_t = 50, value_parser = at_least_one())]
        locations: usize,
        #[arg(long, default_value_t = 10_000, value_parser = at_least_one())]
        skus: usize,
        #[arg(long, default_value_t = 100_000, value_parser = at_least_one())]
        orders: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Fan-out of committed events to webhook receivers on loopback: deliveries/s and commit-to-2xx latency.
    Deliver(bench_deliver::DeliverArgs),
    /// X12 throughput on a generated interchange of 850s: tokenize + envelope, with schemas, with mapping;
    /// `--file-mb N` adds a pass streamed from a file with its peak memory.
    Edi(bench_edi::EdiArgs),
    /// Orders end to end (accepted → sourced → released → delivered to five systems) through the hub and,
    /// in the same run, through a Node-RED flow doing the same fan-out; prints both and the ratio.
    E2e(bench_e2e::E2eArgs),
}

/// A count that must be at least 1 (a generated network or workload of nothing has nothing to index).
fn at_least_one() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // Two rustls providers are compiled in (reqwest, async-nats): make ring the default before any TLS.
    crossdock_connect::transport::install_default_crypto_provider();
    // A benchmark's output is its figures: the stores it opens for its fixtures log their migrations only
    // when asked (CROSSDOCK_LOG).
    let default_log = if matches!(cli.command, Command::Bench { .. }) { "warn" } else { "info,sqlx=warn" };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CROSSDOCK_LOG").unwrap_or_else(|_| default_log.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config_path = cli.config.as_deref();
    match cli.command {
        Command::Demo(args) => demo::run(args).await,
        Command::Serve { listen } => {
            let mut checked = config::load(config_path)?;
            if let Some(l) = listen {
                checked.listen = l.parse().with_context(|| format!("--listen {l:?} is not an address"))?;
            }
            serve::serve(checked).await
        }
        Command::Config { action: ConfigAction::Check } => check::run(&config::load(config_path)?).await,
        Command::Dlq { action } => {
            let store = serve::open_existing_store(&config::load(config_path)?).await?;
            dlq::run(store.as_ref(), action).await
        }
        Command::Audit { action } => {
            let store = serve::open_existing_store(&config::load(config_path)?).await?;
            audit::run(store.as_ref(), action).await
        }
        Command::Prune(args) => {
            let checked = config::load(config_path)?;
            let settings = prune::settings(&args, checked.retention.as_ref(), &checked.file)?;
            let store = serve::open_existing_store(&checked).await?;
            prune::run(store.as_ref(), &settings, args.dry_run).await
        }
        Command::Backup { dir } => backup::run(&config::load(config_path)?, &dir).await,
        Command::Replay { subscription, from_seq } => {
            let store = serve::open_existing_store(&config::load(config_path)?).await?;
            dlq::replay_subscription(store.as_ref(), &subscription, from_seq).await
        }
        Command::Map { action: MapAction::Test { mapping, input, expect } } => {
            map_cmd::test(&mapping, &input, expect.as_deref())
        }
        Command::Edi { action } => edi::run(action, config_path),
        Command::Bench { which: BenchWhich::Deliver(args) } => bench_deliver::run(args).await,
        Command::Keys { action } => {
            let checked = config::load(config_path)?;
            let store = serve::open_existing_store(&checked).await?;
            keys::run(store.as_ref(), action).await
        }
        Command::Bench { which: BenchWhich::Ingest { orders, concurrency, rate, store, seed, no_pii } } => {
            let store = match store.as_str() {
                "postgres" => std::env::var("CROSSDOCK_BENCH_PG_URL")
                    .or_else(|_| std::env::var("CROSSDOCK_TEST_PG_URL"))
                    .context("--store postgres needs CROSSDOCK_BENCH_PG_URL (or CROSSDOCK_TEST_PG_URL)")?,
                _ => store,
            };
            let label = format!(
                "ingest on {}, concurrency {concurrency}, PII {}",
                if store == "sqlite" { "sqlite" } else { "postgres" },
                if no_pii { "unencrypted" } else { "sealed" }
            );
            let report =
                bench::ingest(bench::IngestArgs { orders, concurrency, rate, store, seed, pii: !no_pii }).await?;
            report.print(&label);
            Ok(())
        }
        Command::Bench { which: BenchWhich::Sourcing { locations, skus, orders, seed } } => {
            let r = tokio::task::spawn_blocking(move || {
                crossdock_engine::sourcing::bench_sourcing(locations, skus, orders, seed)
            })
            .await?;
            println!(
                "sourcing: {} orders over {} locations and {} skus: {:.0} allocations/s on one thread; cost / exact optimum {:.4} on {} sampled orders; {:.1}% saved against nearest-with-stock; split rate {:.1}% (baseline {:.1}%)",
                r.orders,
                r.locations,
                r.skus,
                r.allocations_per_sec,
                r.cost_vs_optimum,
                r.sample_orders,
                r.saving_vs_baseline_pct,
                r.split_rate * 100.0,
                r.baseline_split_rate * 100.0
            );
            println!("{}", serde_json::to_string_pretty(&r)?);
            Ok(())
        }
        Command::Bench { which: BenchWhich::Edi(args) } => bench_edi::run(args).await,
        Command::Bench { which: BenchWhich::E2e(args) } => bench_e2e::run(args).await,
    }
}
