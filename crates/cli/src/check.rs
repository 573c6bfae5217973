//! `crossdock config check`: the configuration (every error at once), the systems' secrets and mappings,
//! the store, then a connectivity check of each connected system with a timeout. Never prints a secret.

use crate::config::{self, Checked};
use crate::serve::open_existing_store;
use anyhow::{Context, bail};
use std::time::{Duration, Instant};

/// Longest wait for one system, whatever its configured timeout.
const MAX_CHECK: Duration = Duration::from_secs(10);

pub async fn run(checked: &Checked) -> anyhow::Result<()> {
    println!(
        "configuration: ok (listen {}, store {})",
        checked.listen,
        crossdock_store::redact_url(&checked.store_url)
    );
    let loaded = checked.load_connect()?;
    println!(
        "systems: {} configured, {} subscription(s); secrets read, mappings compiled",
        loaded.systems.len(),
        loaded.subscriptions.len()
    );
    if crate::serve::tls_config(checked)?.is_some() {
        println!("tls: certificate and key usable");
    }
    // What `serve` would refuse is a failed check, reported after the systems so one run shows everything.
    let mut failures = Vec::new();
    // A SQLite file not made yet is what a fresh install has: `serve` creates it, and a check must not.
    match crate::store_url::sqlite_file(&checked.store_url).filter(|file| !file.exists()) {
        Some(file) => {
            // The master key is still read and checked, as opening the store would.
            checked.store_options().map_err(anyhow::Error::msg)?;
            println!("store: {} does not exist yet; `serve` creates it", file.display());
            let as_written = checked.store_url_as_written.as_deref();
            if let Err(moved) = crate::store_url::refuse_moved(&checked.store_url, as_written, &checked.file) {
                failures.push(moved);
            }
        }
        None => {
            let store = open_existing_store(checked).await?;
            store.ping().await.context("store did not answer")?;
            println!("store: ok");
        }
    }
    match &checked.pii {
        config::PiiSetting::File(path) => println!("pii: master key read from {}", path.display()),
        config::PiiSetting::Env(var) => println!("pii: master key read from environment variable {var}"),
        config::PiiSetting::Missing { dev_mode: true } => println!("pii: plaintext_dev_mode: PII stored unencrypted"),
        config::PiiSetting::Missing { dev_mode: false } => {
            println!("pii: no master key configured; `serve` refuses to start (see [pii] in the README)");
            failures.push(format!(
                "{}: pii: no master key configured (pii.master_key_file, pii.master_key_env, or \
                 pii.plaintext_dev_mode = true for development)",
                checked.file
            ));
        }
    }
    match &checked.retention {
        Some(r) => {
            let days =
                |d: Option<chrono::TimeDelta>| d.map_or("kept".to_string(), |d| format!("{} days", d.num_days()));
            println!(
                "retention: deliveries {}, idempotency records {}, pruned every {} min",
                days(r.deliveries),
                days(r.idempotency),
                r.interval.as_secs() / 60
            );
        }
        None => println!("retention: none ([retention] absent: nothing is pruned)"),
    }
    let mut unreachable = 0;
    for system in &loaded.systems {
        let name = &system.config.name;
        let kind = system.config.transport.type_name();
        let transport = match crossdock_connect::transport::build(system) {
            Ok(t) => t,
            Err(error) => {
                println!("system {name} ({kind}): cannot be set up: {error}");
                unreachable += 1;
                continue;
            }
        };
        let limit = Duration::from_millis(system.config.timeout_ms).min(MAX_CHECK);
        let started = Instant::now();
        let outcome = tokio::time::timeout(limit, transport.connect()).await;
        let ms = started.elapsed().as_millis();
        match outcome {
            Ok(Ok(())) => println!("system {name} ({kind} {}): reachable in {ms} ms", transport.target()),
            Ok(Err(error)) => {
                println!("system {name} ({kind}): unreachable: {error}");
                unreachable += 1;
            }
            Err(_) => {
                println!(
                    "system {name} ({kind} {}): unreachable: no answer within {} ms",
                    transport.target(),
                    limit.as_millis()
                );
                unreachable += 1;
            }
        }
        transport.close().await;
    }
    if unreachable > 0 {
        failures.push(format!("{unreachable} of {} system(s) could not be reached", loaded.systems.len()));
    }
    if !failures.is_empty() {
        bail!("{}", failures.join("\n"));
    }
    Ok(())
}
